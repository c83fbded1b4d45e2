//! Loom model of Pool: the ring (Go's poolDequeue) alone, its owner pushing
//! and popping the head while a stealer pops the tail, through a wrap-around
//! of a 2-slot ring; then the Pool with its chain under concurrent put, get
//! and steal, with the chain growing and a drained ring retired; and a
//! clear_cycle racing a put and a get. Every value put is got exactly once.
//!
//! Under loom a pool has 2 shards, every thread's home shard is 0 (a thread
//! that finds it pinned takes shard 1), and a chain's first ring holds 2.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_pool`
#![cfg(loom)]

use gosync::loom_dequeue::Ring;
use gosync::Pool;
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;

fn pool() -> Pool<u32> {
    Pool::new(|| 0)
}

/// Collects what is left in the pool (single-threaded by then).
fn drain(p: &Pool<u32>, got: &mut Vec<u32>) {
    while let Some(v) = p.try_get() {
        got.push(v);
    }
}

/// The ring alone: the owner pushes 1, 2, 3 into 2 slots (3 fits only if
/// the stealer has freed a slot, and never over a slot it is still
/// reading), then pops the head; the stealer pops the tail twice.
#[test]
fn ring_push_pop_steal() {
    model(|| {
        let ring = Arc::new(Ring::new(2));
        let stealer = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || {
                let mut got = Vec::new();
                got.extend(ring.pop_tail());
                got.extend(ring.pop_tail());
                got
            })
        };
        let mut pushed = Vec::new();
        let mut got = Vec::new();
        for v in 1..=3u32 {
            // SAFETY: this thread is the only owner.
            if unsafe { ring.push_head(v) }.is_ok() {
                pushed.push(v);
            }
        }
        // SAFETY: as above.
        got.extend(unsafe { ring.pop_head() });
        got.extend(stealer.join().unwrap());
        // SAFETY: as above; the stealer is done.
        while let Some(v) = unsafe { ring.pop_head() } {
            got.push(v);
        }
        assert!(
            pushed.starts_with(&[1, 2]),
            "an empty 2-slot ring refused a push"
        );
        got.sort_unstable();
        assert_eq!(got, pushed, "a value was lost or got twice");
    });
}

/// The owner puts four values (one private, three in the chain: its first
/// ring of 2 fills and a second ring is linked) and takes one back, while a
/// thief takes one (stealing from the tail when its own shard is empty).
#[test]
fn put_get_and_steal() {
    model(|| {
        let p = Arc::new(pool());
        let thief = {
            let p = Arc::clone(&p);
            thread::spawn(move || p.try_get())
        };
        for v in 1..=4 {
            p.put(v);
        }
        let mut got: Vec<u32> = p.try_get().into_iter().collect();
        got.extend(thief.join().unwrap());
        drain(&p, &mut got);
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3, 4], "a value was lost or got twice");
    });
}

/// Two thieves race for the last values of a chain whose first ring is
/// drained (one of them retires it).
#[test]
fn two_thieves_race_over_a_drained_ring() {
    model(|| {
        let p = Arc::new(pool());
        // Private 1; chain: ring [2, 3], then ring [4].
        for v in 1..=4 {
            p.put(v);
        }
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let p = Arc::clone(&p);
                thread::spawn(move || (p.try_get(), p.try_get()))
            })
            .collect();
        let mut got = Vec::new();
        for t in thieves {
            let (a, b) = t.join().unwrap();
            got.extend(a);
            got.extend(b);
        }
        drain(&p, &mut got);
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3, 4], "a value was lost or got twice");
    });
}

/// A clear_cycle racing a put and a get: one cycle keeps every value (as a
/// victim), so each is got exactly once.
#[test]
fn clear_cycle_racing_put_and_get() {
    model(|| {
        let p = Arc::new(pool());
        p.put(1);
        let cleaner = {
            let p = Arc::clone(&p);
            thread::spawn(move || p.clear_cycle())
        };
        p.put(2);
        let mut got: Vec<u32> = p.try_get().into_iter().collect();
        cleaner.join().unwrap();
        drain(&p, &mut got);
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}
