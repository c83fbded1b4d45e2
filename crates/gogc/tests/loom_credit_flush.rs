//! loom models of the lock-free credit flush (W5 in `world.rs`): a worker's
//! `worker_flush` with no buffer to publish adds its credit and reads the
//! `assist_waiting` flag without the World lock; `park_assist` sets the
//! flag, then reads the credit. Either the parked owner sees the credit or
//! the flush sees the flag and wakes it. In these models the worker stays
//! active (it does not call `worker_done`, whose locked wake-up would hide
//! a lost one) until the owner has its credit, so a lost wake-up leaves
//! both threads blocked and loom reports the deadlock.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gogc --test loom_credit_flush`
#![cfg(loom)]

use std::time::Duration;

use loom::sync::{Arc, Condvar, Mutex};
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

/// A one-shot signal from the owner to the worker (the owner has its
/// credit): the worker stays active until then.
#[derive(Default)]
struct Signal {
    set: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    fn set(&self) {
        *self.set.lock().unwrap() = true;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut set = self.set.lock().unwrap();
        while !*set {
            set = self.cv.wait(set).unwrap();
        }
    }
}

/// The owner parks until it has `want` units, retrying while the worker
/// has not taken the buffer yet (a park then returns at once: a buffer is
/// on the shared list).
fn assist_until_paid(world: &World<u32>, want: usize) -> usize {
    let mut got = 0;
    while got < want {
        got += world.park_assist(want - got, FOREVER);
        if got < want {
            thread::yield_now();
        }
    }
    got
}

/// One lock-free flush of 30 pays a parked owner wanting 30: the owner
/// always returns with exactly the credit flushed.
#[test]
fn a_lock_free_flush_always_reaches_a_parked_assist() {
    model(|| {
        let world = marking_world();
        let paid = Arc::new(Signal::default());
        let worker = {
            let (world, paid) = (Arc::clone(&world), Arc::clone(&paid));
            thread::spawn(move || {
                let buf = world.worker_take().expect("marking");
                world.worker_flush(Vec::new(), 30);
                // Stay active until the owner has the credit.
                paid.wait();
                world.worker_done(Vec::new(), 0, 0, (0, 0));
                buf
            })
        };
        let got = assist_until_paid(&world, 30);
        paid.set();
        assert_eq!(got, 30);
        assert_eq!(worker.join().unwrap(), 1);
        assert_eq!(world.steal_credit(usize::MAX), 0, "credit made up");
        assert_eq!(world.scanned(), 30);
    });
}

/// Two parks in a row (the flag is cleared with a relaxed store when the
/// first ends and set again by the second): each is paid by its own
/// lock-free flush.
#[test]
fn a_second_park_is_reached_by_the_second_flush() {
    model(|| {
        let world = marking_world();
        let first_paid = Arc::new(Signal::default());
        let worker = {
            let (world, first_paid) = (Arc::clone(&world), Arc::clone(&first_paid));
            thread::spawn(move || {
                let buf = world.worker_take().expect("marking");
                world.worker_flush(Vec::new(), 10);
                first_paid.wait();
                world.worker_flush(Vec::new(), 10);
                buf
            })
        };
        let first = assist_until_paid(&world, 10);
        first_paid.set();
        // The worker is still active: only its second flush can pay this.
        let second = assist_until_paid(&world, 10);
        assert_eq!((first, second), (10, 10));
        assert_eq!(worker.join().unwrap(), 1);
        world.worker_done(Vec::new(), 0, 0, (0, 0));
        assert_eq!(world.steal_credit(usize::MAX), 0, "credit made up");
        assert_eq!(world.scanned(), 20);
    });
}
