//! loom models of the parked assist (Go's `gcParkAssist`, `gcFlushBgCredit`
//! and the end of the mark): (a) the owner parks for credit while a worker
//! flushes it in two parts and goes idle; the owner is never left waiting
//! and takes no more credit than there is; (b) the owner parks while the
//! worker goes idle without credit (the mark is done): the wake-up is
//! never lost, so mark termination cannot deadlock; (c) a worker that
//! stays active flushes credit without the lock (Go's `gcFlushBgCredit`
//! fast path) while the owner is about to park: the owner still gets it.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gogc --test loom_assist_park`
#![cfg(loom)]

use std::time::Duration;

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;
use gogc::__loom::World;

/// A park limit the model never reaches (loom's timed wait never times
/// out, so the model checks the wake-ups alone).
const FOREVER: Duration = Duration::from_secs(3600);

/// A marking world with one buffer published for the worker to take.
fn marking_world() -> Arc<World<u32>> {
    let world: Arc<World<u32>> = Arc::new(World::new());
    world.publish(vec![1]);
    world.start_the_world(true);
    world
}

/// (a) Credit arrives in two flushes of 30; the owner wants 50. It returns
/// with 50 once both flushes are in, or earlier with less only because the
/// worker went idle; the credit it took plus what is left is what the
/// worker flushed.
#[test]
fn a_parked_assist_is_woken_by_flushed_credit() {
    model(|| {
        let world = marking_world();
        let worker = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let buf = world.worker_take().expect("marking");
                world.worker_flush(Vec::new(), 30);
                world.worker_flush(Vec::new(), 30);
                world.worker_done(Vec::new(), 0, 0, (0, 0));
                buf
            })
        };
        // The owner assists until it has its 50 units or the mark is done
        // (the worker idle and nothing queued), as `State::assist` retries.
        let mut got = 0;
        loop {
            got += world.park_assist(50 - got, FOREVER);
            if got >= 50 {
                break;
            }
            if world.workers_idle() {
                // The retry steals again before it ends the mark.
                got += world.steal_credit(50 - got);
                break;
            }
            // Back from a park without its credit: the buffer was not taken
            // yet (the real owner would take it).
            thread::yield_now();
        }
        assert_eq!(worker.join().unwrap(), 1);
        let left = world.steal_credit(usize::MAX);
        assert_eq!(got + left, 60, "credit lost or made up");
        assert_eq!(got, 50, "the owner gave up with credit available");
        assert_eq!(world.scanned(), 60);
    });
}

/// (b) No credit at all: the worker finds nothing and goes idle. The
/// parked owner wakes (never deadlocks), sees the workers idle, and can
/// stop the world to terminate.
#[test]
fn a_parked_assist_wakes_when_the_workers_run_dry() {
    model(|| {
        let world = marking_world();
        let worker = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let buf = world.worker_take().expect("marking");
                world.worker_done(Vec::new(), 0, 0, (0, 0));
                buf
            })
        };
        let mut got = 0;
        while !world.workers_idle() {
            got += world.park_assist(10, FOREVER);
            thread::yield_now();
        }
        assert_eq!(got, 0);
        // Mark termination: the stop returns at once.
        let control = world.stop_the_world();
        assert_eq!(control.active, 0);
        assert!(control.full.is_empty());
        drop(control);
        world.exit();
        assert_eq!(worker.join().unwrap(), 1);
    });
}

/// (c) The worker flushes 30 units with no buffer to publish (the lock-free
/// path) and stays active until the owner has its credit: only the flush
/// can end the owner's park, so a lost wake-up would leave it parked for
/// ever while the worker waits for it.
#[test]
fn a_lock_free_credit_flush_reaches_an_assist_about_to_park() {
    model(|| {
        let world = marking_world();
        let paid = Arc::new(AtomicBool::new(false));
        let worker = {
            let world = Arc::clone(&world);
            let paid = Arc::clone(&paid);
            thread::spawn(move || {
                let buf = world.worker_take().expect("marking");
                world.worker_flush(Vec::new(), 30);
                while !paid.load(Ordering::Acquire) {
                    thread::yield_now();
                }
                world.worker_done(Vec::new(), 0, 0, (0, 0));
                buf
            })
        };
        let mut got = 0;
        while got < 30 {
            // Returns at once while the buffer waits to be taken.
            got += world.park_assist(30 - got, FOREVER);
            thread::yield_now();
        }
        paid.store(true, Ordering::Release);
        assert_eq!(got, 30);
        assert_eq!(worker.join().unwrap(), 1);
        assert_eq!(world.steal_credit(usize::MAX), 0, "credit made up");
    });
}
