//! A rate limiter on a ticker, as Go's wiki writes one with `time.Tick`.
//!
//! Requests arrive on a channel; each waits for the next tick before it is
//! served, so at most one request is served per period. A burst allowance
//! is a buffered channel pre-filled with tokens and refilled by the ticker.
//!
//! Run: `cargo run -p gocontext --example rate_limiter`

use std::time::{Duration, Instant};

use gochan::{select, Chan};
use gocontext::tick;

const PERIOD: Duration = Duration::from_millis(10);
const BURST: usize = 3;
const REQUESTS: usize = 8;

fn main() {
    // One request per tick.
    // Timers never fire early, so four ticks take at least four periods
    // from the moment the ticker starts.
    let start = Instant::now();
    let limiter = tick(PERIOD);
    for _ in 0..4 {
        limiter.c().recv();
    }
    let steady = start.elapsed();
    limiter.stop();
    assert!(steady >= PERIOD * 4, "served 4 requests in {steady:?}");

    // Bursts: up to BURST tokens saved up, one more per tick.
    let tokens: Chan<()> = Chan::new(BURST);
    for _ in 0..BURST {
        tokens.try_send(()).expect("room for the initial burst");
    }
    let start = Instant::now();
    let refill = tick(PERIOD);
    let mut served_at = Vec::new();
    while served_at.len() < REQUESTS {
        select! {
            recv(tokens) -> _ => served_at.push(start.elapsed()),
            recv(refill.c()) -> _ => {
                // A full bucket drops the token, as Go's `select` with
                // `default` does.
                let _ = tokens.try_send(());
            }
        }
    }
    refill.stop();

    // The burst is served at once; the rest one per tick.
    assert!(
        served_at[BURST - 1] < PERIOD,
        "burst took {:?}",
        served_at[BURST - 1]
    );
    let rest = served_at[REQUESTS - 1];
    assert!(
        rest >= PERIOD * (REQUESTS - BURST) as u32,
        "took only {rest:?}"
    );
    println!(
        "steady: 4 requests in {steady:?}; burst of {BURST} then {} more in {rest:?}",
        REQUESTS - BURST
    );
}
