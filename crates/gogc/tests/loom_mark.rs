//! loom models of the concurrent mark protocols: (a) a barriered store
//! into a `GcCell` racing a mark worker's trace of it, through the cell's
//! scan lock; (b) the stop-the-world handshake and phase change between
//! the owning thread and a worker; (c) termination detection against a
//! worker handing back a grey object it just found.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gogc --test loom_mark`
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;
use gogc::__loom::{Mode, OwnerLock, World};

/// Objects are bits of a mark word; a cell holds an object twice (a
/// two-word value, so a torn read would show as two different halves). The
/// lock is the cell's owner word, as in `GcCell`.
struct Cell {
    lock: OwnerLock<u64>,
    value: UnsafeCell<(u32, u32)>,
}

/// The "heap" the cell belongs to: the lock bits must leave it intact.
static HEAP: u64 = 0;

fn heap() -> std::ptr::NonNull<u64> {
    std::ptr::NonNull::from(&HEAP)
}

const A: u32 = 1;
const B: u32 = 2;

/// (a) The owner stores B over A (barrier: shade old and new into its
/// buffer, then replace under the scan lock) while a worker traces the
/// cell (under the scan lock: read, shade what it read). The worker reads
/// A or B whole, never a torn value, and after the owner flushes its
/// buffer (termination) B, the cell's new target, is marked.
#[test]
fn a_store_racing_a_workers_trace_never_loses_the_target() {
    model(|| {
        let cell = Arc::new(Cell {
            lock: OwnerLock::new(),
            value: UnsafeCell::new((A, A)),
        });
        cell.lock.set_owner(Some(heap()));
        let marks = Arc::new(AtomicU32::new(0));
        let worker = {
            let (cell, marks) = (Arc::clone(&cell), Arc::clone(&marks));
            thread::spawn(move || {
                let _scan = cell.lock.lock_for_scan();
                assert_eq!(cell.lock.owner(), Some(heap()));
                let (x, y) = cell.value.with(|v| {
                    // SAFETY: the scan lock excludes the owner's store.
                    unsafe { *v }
                });
                assert_eq!(x, y, "torn read of the cell");
                marks.fetch_or(x, Ordering::Relaxed);
                x
            })
        };
        // The owner's barriered store: shade old and new (buffered), then
        // replace under the lock.
        let old = cell.value.with(|v| {
            // SAFETY: a shared read; the only writer is this thread.
            unsafe { (*v).0 }
        });
        let buffered = [old, B];
        {
            let (_store, _waited) = cell.lock.lock_for_store();
            cell.value.with_mut(|v| {
                // SAFETY: the scan lock excludes the worker's read.
                unsafe { *v = (B, B) }
            });
        }
        assert_eq!(cell.lock.owner(), Some(heap()));
        let seen = worker.join().unwrap();
        assert_eq!(
            cell.lock.owner(),
            Some(heap()),
            "the lock bits were left set"
        );
        assert!(seen == A || seen == B);
        // Mark termination flushes the barrier buffer.
        for object in buffered {
            marks.fetch_or(object, Ordering::Relaxed);
        }
        assert_ne!(
            marks.load(Ordering::Relaxed) & B,
            0,
            "the stored target was lost"
        );
    });
}

/// (b) The owner starts a cycle (barrier flag on, work published, world
/// started), then stops the world, checks no worker is scanning, turns the
/// flag off (mark termination) and tells the worker to exit. A worker only
/// scans while the flag is set, and the owner never sees it scanning while
/// the world is stopped.
#[test]
fn workers_scan_only_while_marking_and_never_during_a_pause() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        let barrier_on = Arc::new(AtomicBool::new(false));
        let scanning = Arc::new(AtomicBool::new(false));
        let worker = {
            let (world, barrier_on, scanning) = (
                Arc::clone(&world),
                Arc::clone(&barrier_on),
                Arc::clone(&scanning),
            );
            thread::spawn(move || {
                let mut scanned = 0;
                while let Some(buf) = world.worker_take() {
                    scanning.store(true, Ordering::Relaxed);
                    assert!(
                        barrier_on.load(Ordering::Relaxed),
                        "a worker scanned while the barrier flag was clear"
                    );
                    scanned += buf;
                    scanning.store(false, Ordering::Relaxed);
                    world.worker_done(Vec::new(), u64::from(buf), 0, (1, 8));
                }
                scanned
            })
        };
        // Mark setup: the world is stopped (the workers have no mode to
        // mark in yet); flag on; publish; start.
        drop(world.stop_the_world());
        barrier_on.store(true, Ordering::Relaxed);
        world.publish(vec![1]);
        world.start_the_world(true);
        // Mark termination: stop, check, flag off.
        let mut control = world.stop_the_world();
        assert!(
            !scanning.load(Ordering::Relaxed),
            "a worker scanned during the pause"
        );
        assert_eq!(control.active, 0);
        assert_ne!(control.mode, Mode::Marking);
        // Whatever the worker did not take is still listed; what it took
        // is counted.
        let left: u32 = control.full.drain(..).sum();
        assert_eq!(u64::from(left) + world.scanned(), 1);
        drop(control);
        barrier_on.store(false, Ordering::Relaxed);
        world.start_the_world(false);
        world.exit();
        let scanned = worker.join().unwrap();
        assert_eq!(scanned + left, 1);
    });
}

/// (c) Termination detection: the owner ends the mark only with the world
/// stopped, no worker active and the shared list empty, so every grey
/// object, including one a worker found while the owner was deciding, has
/// been scanned (the worker's "child" 2 of object 1 is never lost).
#[test]
fn termination_waits_for_work_a_worker_hands_back() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        let scanned = Arc::new(AtomicU32::new(0));
        let worker = {
            let (world, scanned) = (Arc::clone(&world), Arc::clone(&scanned));
            thread::spawn(move || {
                while let Some(object) = world.worker_take() {
                    scanned.fetch_or(object, Ordering::Relaxed);
                    // Scanning 1 shades its child 2, handed back as grey.
                    let grey = if object == 1 { vec![2] } else { Vec::new() };
                    world.worker_done(grey, 1, 0, (1, 8));
                }
            })
        };
        drop(world.stop_the_world());
        world.publish(vec![1]);
        world.start_the_world(true);
        loop {
            if world.mark_done_hint() || world.workers_idle() {
                let control = world.stop_the_world();
                if control.full.is_empty() {
                    assert_eq!(control.active, 0);
                    break; // mark termination
                }
                drop(control);
                world.start_the_world(true); // grey objects left: mark on
            }
            thread::yield_now();
        }
        assert_eq!(
            scanned.load(Ordering::Relaxed),
            1 | 2,
            "a grey object was lost"
        );
        world.exit();
        worker.join().unwrap();
    });
}
