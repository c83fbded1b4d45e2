//! A worker pool with cancellation: gochan for the jobs, gosync's WaitGroup
//! for the workers, gocontext to stop them.
//!
//! Four workers take jobs from one channel and send results on another.
//! The main thread cancels the pool's context once it has the results it
//! needs; each worker notices in its `select!`, as a Go worker's
//! `case <-ctx.Done(): return` does, and the WaitGroup says when all of them
//! have returned.
//!
//! Run: `cargo run -p gocontext --example worker_pool`

use std::sync::Arc;

use gochan::{select, Chan};
use gocontext::{background, with_cancel, Error};
use gosync::WaitGroup;

const WORKERS: u32 = 4;
const WANTED: usize = 20;

fn main() {
    let (ctx, cancel) = with_cancel(&background());
    let jobs: Chan<u64> = Chan::new(8);
    let results: Chan<(u32, u64)> = Chan::new(8);
    let wg = Arc::new(WaitGroup::new());

    for id in 0..WORKERS {
        let (ctx, jobs, results) = (ctx.clone(), jobs.receiver(), results.sender());
        wg.go(move || loop {
            select! {
                recv(ctx.done()) -> _ => return,
                recv(jobs) -> job => {
                    let Some(n) = job else { return };
                    let answer = (1..=n).fold(1, |acc, k| acc * k % 1_000_003);
                    // A result nobody waits for any more must not block the
                    // worker: give up when the context is cancelled.
                    select! {
                        send(results, (id, answer)) => {}
                        recv(ctx.done()) -> _ => return,
                    }
                }
            }
        });
    }

    // Feed jobs from a thread of its own, until the context is cancelled.
    let feeder = {
        let (ctx, jobs) = (ctx.clone(), jobs.sender());
        std::thread::spawn(move || {
            let mut sent = 0u64;
            for n in 1.. {
                select! {
                    send(jobs, n) => sent += 1,
                    recv(ctx.done()) -> _ => break,
                }
            }
            sent
        })
    };

    let mut per_worker = [0usize; WORKERS as usize];
    for _ in 0..WANTED {
        let (id, _answer) = results.recv().expect("results is never closed");
        per_worker[id as usize] += 1;
    }
    cancel.cancel();
    wg.wait();
    let sent = feeder.join().expect("the feeder does not panic");

    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(per_worker.iter().sum::<usize>(), WANTED);
    assert!(sent >= WANTED as u64);
    println!("{WANTED} results from {WORKERS} workers {per_worker:?}; {sent} jobs sent; all workers returned");
}
