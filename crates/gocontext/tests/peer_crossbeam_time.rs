//! Scenarios from crossbeam-channel's `tests/after.rs` and `tests/tick.rs`,
//! re-written against gocontext's `after` and `tick` (Go's `time.After`
//! and `time.Tick`). Go's timer channels are never closed: after the one
//! value of `after`, receives wait for ever (crossbeam's `after` reports
//! empty too).
#![cfg(feature = "std")]

use std::time::{Duration, Instant};

use gochan::{select, RecvTimeoutError, TryRecvError};
use gocontext::{after, tick};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// after.rs: fire, recv, try_recv, recv_timeout
#[test]
fn after_fires_once_and_is_never_closed() {
    let start = Instant::now();
    let a = after(ms(50));
    assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
    let fired = a.recv().unwrap();
    assert!(fired >= start + ms(50));
    assert!(Instant::now() >= start + ms(50));
    assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(a.recv_timeout(ms(20)), Err(RecvTimeoutError::Timeout));
    assert!(!a.receiver().is_closed());
    assert_eq!((a.receiver().cap(), a.receiver().len()), (1, 0));
}

// after.rs: len_empty_full; an expired `after` holds its value until read
#[test]
fn after_zero_is_ready_at_once() {
    let a = after(Duration::ZERO);
    let v = a.recv_timeout(ms(5000)).unwrap();
    assert!(v <= Instant::now());
    let a = after(ms(1));
    let give_up = Instant::now() + ms(10_000);
    while a.receiver().is_empty() && Instant::now() < give_up {
        std::thread::sleep(ms(1));
    }
    std::thread::sleep(ms(20));
    assert_eq!(a.receiver().len(), 1);
    assert!(a.try_recv().is_ok());
    assert_eq!(a.receiver().len(), 0);
}

// after.rs: select (the earliest of several timers wins)
#[test]
fn select_picks_the_earliest_after() {
    let (short, long) = (after(ms(10)), after(ms(5000)));
    let which = select! {
        recv(long.receiver()) => "long",
        recv(short.receiver()) => "short",
    };
    assert_eq!(which, "short");
}

// tick.rs: intervals, recv (ticks come at least a period apart, in order)
#[test]
fn tick_intervals() {
    let start = Instant::now();
    let t = tick(ms(20));
    let mut last = start;
    for i in 1..=3u32 {
        let at = t.recv().unwrap();
        assert!(at >= start + ms(20) * i, "tick {i} too early");
        assert!(at >= last);
        last = at;
    }
    assert!(Instant::now() >= start + ms(60));
}

// tick.rs: ready (a slow receiver finds one tick, not a backlog: Go's
// ticker channel has one slot and drops ticks that do not fit)
#[test]
fn tick_does_not_queue_a_backlog() {
    let t = tick(ms(5));
    assert!(t.recv().is_some());
    // Twelve periods pass; at most the one buffered tick (and one more, if
    // a period ends while we drain) can be read at once. (None is possible
    // if the timer thread was not scheduled, as on a loaded machine.)
    std::thread::sleep(ms(60));
    let mut drained = 0;
    while t.try_recv().is_ok() {
        drained += 1;
    }
    assert!(drained <= 2, "{drained} ticks queued");
    assert!(t.c().len() <= 1);
}

// never.rs: tick_n — a zero-period tick is the nil channel
#[test]
fn zero_tick_is_nil() {
    let t = tick(Duration::ZERO);
    assert!(t.c().is_nil());
    assert_eq!(t.recv_timeout(ms(10)), Err(RecvTimeoutError::Timeout));
}
