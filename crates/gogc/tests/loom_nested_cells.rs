//! loom model of the scan-lock wait graph (`cell_lock` I3) with nested
//! cells: a mark worker holding an outer cell's scan lock takes the lock of
//! a cell nested in its contents, while the owning thread stores into the
//! inner cell, then replaces the outer one, then stops the world. No
//! interleaving deadlocks, no read is torn, and after the stop no lock bit
//! is left set and no worker is active.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gogc --test loom_nested_cells`
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;
use gogc::__loom::{OwnerLock, World};

/// A cell: its owner word (the scan lock) and a two-word value (a torn
/// read shows as two different halves).
struct Cell {
    lock: OwnerLock<u64>,
    value: UnsafeCell<(u32, u32)>,
}

impl Cell {
    fn new(value: u32) -> Cell {
        let cell = Cell {
            lock: OwnerLock::new(),
            value: UnsafeCell::new((value, value)),
        };
        cell.lock.set_owner(Some(heap()));
        cell
    }

    /// The owning thread's barriered store: replace under the store lock.
    fn store(&self, value: u32) {
        let (_store, _waited) = self.lock.lock_for_store();
        self.value.with_mut(|v| {
            // SAFETY: the store lock excludes the worker's read.
            unsafe { *v = (value, value) }
        });
    }

    /// A read under the lock the caller holds; checks it is whole.
    fn read(&self) -> u32 {
        let (x, y) = self.value.with(|v| {
            // SAFETY: the caller holds the scan lock, which excludes stores.
            unsafe { *v }
        });
        assert_eq!(x, y, "torn read of a cell");
        x
    }
}

/// The outer cell and the cell nested in its contents.
struct Nest {
    outer: Cell,
    inner: Cell,
}

static HEAP: u64 = 0;

fn heap() -> std::ptr::NonNull<u64> {
    std::ptr::NonNull::from(&HEAP)
}

#[test]
fn a_worker_holding_an_outer_cell_and_the_owner_storing_into_the_inner_one_never_deadlock() {
    model(|| {
        let nest = Arc::new(Nest {
            outer: Cell::new(1),
            inner: Cell::new(10),
        });
        let world: Arc<World<u32>> = Arc::new(World::new());
        world.publish(vec![1]);
        world.start_the_world(true);
        let worker = {
            let (world, nest) = (Arc::clone(&world), Arc::clone(&nest));
            thread::spawn(move || {
                let mut seen = Vec::new();
                while let Some(buf) = world.worker_take() {
                    // The trace of the object: the outer cell, and inside
                    // its contents the inner one (I3: the only wait while
                    // holding a lock).
                    let _outer = nest.outer.lock.lock_for_scan();
                    seen.push(nest.outer.read());
                    let _inner = nest.inner.lock.lock_for_scan();
                    seen.push(nest.inner.read());
                    drop((_inner, _outer));
                    world.worker_done(Vec::new(), u64::from(buf), 0, (1, 8));
                }
                seen
            })
        };
        // The owner: a store into the nested cell, then into the outer one,
        // then the mark-termination pause.
        nest.inner.store(20);
        nest.outer.store(2);
        let control = world.stop_the_world();
        assert_eq!(control.active, 0);
        for cell in [&nest.outer, &nest.inner] {
            assert_eq!(cell.lock.owner(), Some(heap()), "a lock bit is left set");
            // Locking again succeeds at once: the worker released both.
            let (_store, waited) = cell.lock.lock_for_store();
            assert!(!waited, "a lock was still held after the pause");
        }
        let left = control.full.len();
        drop(control);
        world.exit();
        let seen = worker.join().unwrap();
        // The worker traced the object once, or it was left for the owner.
        assert_eq!(seen.len() / 2 + left, 1);
        if let [outer, inner] = seen[..] {
            assert!(outer == 1 || outer == 2);
            assert!(inner == 10 || inner == 20);
            // Stores happen in program order: a worker that saw the new
            // outer value sees the new inner one too.
            assert!(outer == 1 || inner == 20);
        }
    });
}
