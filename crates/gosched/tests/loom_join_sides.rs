//! loom model of T6 (`task.rs`): a task spawned with a `JoinHandle` is
//! finished by the last of its two owners, its exit and its handle's drop,
//! racing on two threads. Exactly one side finishes; the one that puts the
//! task on a free list holds the only reference besides the registry's;
//! and what either side did to the task before its decrement happens
//! before the reuse that rewrites it at once (loom's cells report a race
//! otherwise).
//!
//! The executor's code is std-only, so this models both sides with the
//! same atomics and orderings as `Task::join_side_done`,
//! `Shared::task_exit` and `Shared::join_handle_dropped` (an exit on an M
//! that lost its P, `Shared::task_exit_without_p`, runs the handle's code:
//! the same steps, with the global list as its free list):
//!
//! ```text
//!   M (exit)                                  handle's drop
//!   body = None (its last write)              read the task (its id)
//!   join_side_done()                          join_side_done()
//!   last: strong_count == 2 → free list       last: strong_count == 2 → free list
//!         else leave the registry                   else leave the registry
//!   drop its Arc                              drop its Arc
//! ```
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosched --test loom_join_sides`
#![cfg(loom)]

use gocore::atomic::{fence, AtomicU8, AtomicUsize, Ordering};
use loom::cell::UnsafeCell;
use loom::sync::{Arc, Mutex};
use loom::thread;

struct Task {
    /// `Arc::<Task>::strong_count`, modelled with `Arc`'s own orderings
    /// (a Release decrement on drop, the check a Relaxed load): loom's
    /// `Arc` orders more than std's.
    refs: AtomicUsize,
    join_sides: AtomicU8,
    /// The exit's last write (the body slot emptied).
    body: UnsafeCell<Option<u32>>,
    /// What the handle reads (its id); a reuse rewrites it.
    id: UnsafeCell<u64>,
}

/// `Task::join_side_done`.
fn join_side_done(t: &Task) -> bool {
    if t.join_sides.load(Ordering::Acquire) == 1 {
        return true;
    }
    t.join_sides.fetch_sub(1, Ordering::AcqRel) == 1
}

/// What became of the task.
#[derive(Default)]
struct Outcome {
    /// Tasks put on the free list.
    free: Vec<Arc<Task>>,
    /// Sides that finished (the last one) and left the registry instead.
    removed: usize,
}

/// The end of `task_exit` / `join_handle_dropped` for the last side.
fn finish(task: Arc<Task>, out: &Mutex<Outcome>) {
    // The registry's reference and ours: nobody else holds it.
    if task.refs.load(Ordering::Relaxed) == 2 {
        fence(Ordering::Acquire);
        // The spawn that reuses it may come at once, on this thread: it
        // rewrites what both sides touched (F2: T6 and the count ordered
        // the other side's uses, up to its `Arc` drop, before this).
        // SAFETY (model): F2, as above.
        task.id.with_mut(|i| unsafe { *i = 8 });
        // SAFETY (model): F2, as above.
        task.body.with_mut(|b| unsafe { *b = Some(2) });
        out.lock().unwrap().free.push(task);
    } else {
        out.lock().unwrap().removed += 1;
        drop_ref(&task);
    }
}

/// A side's `Arc<Task>` drop.
fn drop_ref(task: &Task) {
    task.refs.fetch_sub(1, Ordering::Release);
}

#[test]
fn the_last_of_exit_and_handle_finishes_the_task() {
    loom::model(|| {
        let registry = Arc::new(Task {
            refs: AtomicUsize::new(3),
            join_sides: AtomicU8::new(2),
            body: UnsafeCell::new(Some(1)),
            id: UnsafeCell::new(7),
        });
        let out = Arc::new(Mutex::new(Outcome::default()));
        let finishers = Arc::new(AtomicUsize::new(0));

        let exit = {
            let task = registry.clone();
            let out = out.clone();
            let finishers = finishers.clone();
            thread::spawn(move || {
                // SAFETY (model): the exiting M alone touches the body.
                task.body.with_mut(|b| unsafe { *b = None });
                if join_side_done(&task) {
                    finishers.fetch_add(1, Ordering::Relaxed);
                    finish(task, &out);
                } else {
                    drop_ref(&task);
                }
            })
        };
        let handle = {
            let task = registry.clone();
            let out = out.clone();
            let finishers = finishers.clone();
            thread::spawn(move || {
                // SAFETY (model): reads race only with a reuse, which T6
                // orders after this side's decrement.
                let id = task.id.with(|i| unsafe { *i });
                assert_eq!(id, 7);
                if join_side_done(&task) {
                    finishers.fetch_add(1, Ordering::Relaxed);
                    finish(task, &out);
                } else {
                    drop_ref(&task);
                }
            })
        };
        exit.join().unwrap();
        handle.join().unwrap();
        assert_eq!(
            finishers.load(Ordering::Relaxed),
            1,
            "exactly one side finishes"
        );

        let out = out.lock().unwrap();
        assert_eq!(out.free.len() + out.removed, 1);
        // Both sides are done: the registry's reference is the last one
        // unless the task went on the free list.
        assert_eq!(registry.refs.load(Ordering::Relaxed), 1 + out.free.len());
        drop(registry);
    });
}
