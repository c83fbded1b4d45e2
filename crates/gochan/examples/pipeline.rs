//! Fan-out and fan-in pipelines, as in the Go blog's "Go Concurrency
//! Patterns: Pipelines and cancellation".
//!
//! `gen` emits numbers, three `sq` stages square them in parallel (fan-out),
//! `merge` gathers their outputs into one channel (fan-in), and the main
//! thread sums what arrives. Each stage closes its output when its input is
//! drained, so `for v in out.iter()` ends by itself, as Go's `range` does.
//!
//! Run: `cargo run -p gochan --example pipeline`

use std::thread;

use gochan::{Chan, Receiver};

fn gen(nums: Vec<u64>) -> Receiver<u64> {
    let out = Chan::new(0);
    let tx = out.sender();
    thread::spawn(move || {
        for n in nums {
            tx.send(n).expect("gen's output is never closed by others");
        }
        tx.close().expect("closed once");
    });
    out.receiver()
}

fn sq(input: Receiver<u64>) -> Receiver<u64> {
    let out = Chan::new(0);
    let tx = out.sender();
    thread::spawn(move || {
        for n in input.iter() {
            tx.send(n * n)
                .expect("sq's output is never closed by others");
        }
        tx.close().expect("closed once");
    });
    out.receiver()
}

/// Go's `merge`: one goroutine per input copies into `out`; a last one
/// closes `out` when they are all done.
fn merge(inputs: Vec<Receiver<u64>>) -> Receiver<u64> {
    let out = Chan::new(4);
    let copiers: Vec<_> = inputs
        .into_iter()
        .map(|input| {
            let tx = out.sender();
            thread::spawn(move || {
                for v in input.iter() {
                    tx.send(v).expect("out is closed only after every copier");
                }
            })
        })
        .collect();
    let closer = out.sender();
    thread::spawn(move || {
        for c in copiers {
            c.join().expect("a copier does not panic");
        }
        closer.close().expect("closed once");
    });
    out.receiver()
}

fn main() {
    let nums: Vec<u64> = (1..=100).collect();
    let source = gen(nums.clone());
    // Fan out: three workers read the same channel.
    let workers = (0..3).map(|_| sq(source.clone())).collect();
    // Fan in.
    let total: u64 = merge(workers).iter().sum();
    let expected: u64 = nums.iter().map(|n| n * n).sum();
    assert_eq!(total, expected);
    println!("sum of squares of 1..=100 through 3 workers: {total}");
}
