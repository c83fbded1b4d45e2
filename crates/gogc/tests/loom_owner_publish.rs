//! loom models of the owning thread's side of the work hand-off (`world`
//! W4, W6; Go's `putfull` / `enlistWorker` and `gcMarkDone`'s flush):
//! (a) the owner publishes a buffer without waking anyone and wakes a
//! waiting worker only afterwards, if one waited: a worker that waits
//! before, during or after the publish always gets the buffer (no lost
//! wake-up); (b) the owner keeps a partly filled buffer while the worker
//! drains what it was given: it hands the buffer over once the hint says
//! the workers ran dry, and ends the mark only with its own queue empty
//! and the world stopped, so no grey object is lost.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gogc --test loom_owner_publish`
#![cfg(loom)]

use loom::sync::atomic::{AtomicU32, Ordering};
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;
use gogc::__loom::World;

/// (a) One worker takes one buffer. The owner publishes it quietly and
/// makes the wake-up `publish_quietly` asks for; the worker is never left
/// waiting with the buffer queued (loom reports a deadlock if it is: the
/// owner joins it).
#[test]
fn a_deferred_wake_is_never_lost() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        world.start_the_world(true);
        // Restarted with nothing to take: the workers are out of work.
        assert!(world.mark_done_hint());
        let worker = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let object = world.worker_take().expect("the heap does not exit");
                world.worker_done(Vec::new(), 1, 0, (1, 8));
                object
            })
        };
        if world.publish_quietly(vec![7]) {
            world.wake_waiting_workers();
        }
        assert_eq!(worker.join().unwrap(), 7);
        // The worker's take cleared the hint, its `worker_done` with the
        // list empty raised it again.
        assert!(world.mark_done_hint());
        assert!(world.workers_idle());
        world.exit();
    });
}

/// (b) The owner holds object 4 in a partly filled buffer of its own and
/// publishes object 1, whose scan on the worker shades 2. It scans its own
/// buffer only through the workers (the worst case: an owner that never
/// assists), handing it over when the hint says they ran dry, and tries to
/// end the mark only with its own queue empty: every object is scanned
/// before termination.
#[test]
fn termination_waits_for_the_owners_partial_buffer() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        let scanned = Arc::new(AtomicU32::new(0));
        let worker = {
            let (world, scanned) = (Arc::clone(&world), Arc::clone(&scanned));
            thread::spawn(move || {
                while let Some(object) = world.worker_take() {
                    scanned.fetch_or(object, Ordering::Relaxed);
                    let grey = if object == 1 { vec![2] } else { Vec::new() };
                    world.worker_done(grey, 1, 0, (1, 8));
                }
            })
        };
        world.publish(vec![1]);
        world.start_the_world(true);
        let mut own = vec![4];
        loop {
            let dry = world.mark_done_hint();
            if dry && !own.is_empty() {
                // Go's `gcMarkDone` flush: hand everything to the workers.
                if world.publish_quietly(core::mem::take(&mut own)) {
                    world.wake_waiting_workers();
                }
            } else if own.is_empty() && (dry || world.workers_idle()) {
                let mut control = world.stop_the_world();
                own.append(&mut control.full);
                assert_eq!(control.active, 0);
                drop(control);
                if own.is_empty() {
                    break; // mark termination
                }
                world.start_the_world(true); // grey objects left: mark on
                if world.publish_quietly(core::mem::take(&mut own)) {
                    world.wake_waiting_workers();
                }
            }
            thread::yield_now();
        }
        assert_eq!(
            scanned.load(Ordering::Relaxed),
            1 | 2 | 4,
            "a grey object was lost"
        );
        world.exit();
        worker.join().unwrap();
    });
}
