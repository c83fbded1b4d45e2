//! The `core` chapter: what every other crate leans on.

use core::hash::BuildHasher;
use std::sync::Arc;
use std::time::Instant;

use gocore::hash::DefaultHashBuilder;
use gocore::park::{Park, ThreadPark};
use gocore::rand::FastRand;

use crate::draw;

/// Runs the chapter.
pub fn run() {
    draw::section("fastrand: Go's wyrand, one state per thread");
    draw::say("Go starts every map iteration at fastrand() & (2^B-1) and offsets every bucket by");
    draw::say("(fastrand() >> B) & 7. Here are 8000 draws of fastrandn(8), seed 2019:");
    let mut r = FastRand::new(2019);
    let mut counts = [0u32; 8];
    for _ in 0..8000 {
        counts[r.below(8) as usize] += 1;
    }
    let max = *counts.iter().max().unwrap_or(&1) as f64;
    for (i, c) in counts.iter().enumerate() {
        println!("  offset {i}  {} {c}", draw::bar(*c as f64, max, 40));
    }

    draw::say(
        "Two iterations of a map with B = 3 (8 buckets) start at different places and wrap around:",
    );
    for _ in 0..2 {
        let x = r.next_u32();
        let (start, offset) = (x & 7, (x >> 3) & 7);
        let order: Vec<String> = (0..8).map(|i| format!("b{}", (start + i) & 7)).collect();
        println!(
            "  start bucket {start}, slot offset {offset}:\n{}",
            draw::cells(&order)
        );
    }

    draw::section("hash0: every map hashes with its own seed");
    let a = DefaultHashBuilder::with_seed(1);
    let b = DefaultHashBuilder::with_seed(2);
    println!(
        "  {:<10} {:>18} {:>18}",
        "key", "map A (seed 1)", "map B (seed 2)"
    );
    for k in ["go", "rust", "gopher"] {
        println!(
            "  {:<10} {:#018x} {:#018x}",
            k,
            a.hash_one(k),
            b.hash_one(k)
        );
    }
    draw::say("Low bits pick the bucket, the top byte becomes the tophash, so the two maps");
    draw::say("put the same keys in different buckets: a collision attack on one says nothing of the other.");

    draw::section("parking: gopark / goready for threads");
    draw::say("A waiter parks; its counterpart holds a Waker. Ping-pong between two threads:");
    let me = Arc::new(ThreadPark::new());
    let (tx, rx) = std::sync::mpsc::channel();
    let me2 = Arc::clone(&me);
    let rounds = 1000;
    let start = Instant::now();
    let t = std::thread::spawn(move || {
        let other = Arc::new(ThreadPark::new());
        tx.send(Arc::clone(&other))
            .expect("main thread waits for this");
        for _ in 0..rounds {
            other.park();
            me2.unpark();
        }
    });
    let other: Arc<ThreadPark> = rx.recv().expect("the thread sends its parker");
    for _ in 0..rounds {
        other.unpark();
        me.park();
    }
    t.join().expect("ping-pong thread");
    let per = start.elapsed() / (2 * rounds);
    println!("  main ──unpark──▶ peer ──unpark──▶ main   × {rounds}: {per:?} per wake-up");
    draw::say("That cost is why gochan and gosync spin briefly before they park, as Go does.");
}
