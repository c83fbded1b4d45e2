//! The per-cell scan lock: how a mark worker's read of a [`GcCell`] and the
//! owning thread's store into it exclude each other.
//!
//! Go needs no such lock: a pointer slot is one machine word, stores to it
//! are atomic, and the write barrier shades the old and new pointer before
//! the store, so a marker reading the slot concurrently sees one of the two,
//! both already shaded (mbarrier.go). A `GcCell<T>` holds any `T` — a
//! `Vec`, a struct of several `Gc`s — and a store replaces it whole, so a
//! worker reading it during the store could see a torn value or freed
//! memory. The lock makes each store and each worker's trace of the cell
//! atomic with respect to each other; the barrier then argues as Go's does.
//!
//! ```text
//!   state  0 ── worker: CAS 0→SCANNING ──▶ 1   (worker traces the contents)
//!          0 ── owner:  CAS 0→STORING  ──▶ 2   (owner replaces the contents)
//!          1, 2 ── release store ──▶ 0
//! ```
//!
//! Invariants:
//!
//! - I1. The lock is taken only while a cycle marks: by a worker around its
//!   trace of the cell, by the owning thread around the replacement of the
//!   contents in a barriered store (which the owning thread makes only
//!   while the heap's barrier flag is set). While the flag is clear no
//!   worker runs, so the plain store and `GcCell::borrow` do not look at
//!   the lock at all: their fast paths have no read-modify-write.
//! - I2. Holders never wait for anything while holding it except another
//!   cell's lock taken by a worker for a cell nested inside this one
//!   (owner-side holders run no user code and take no other lock), so the
//!   wait graph has no cycle.
//! - I3. Release is a `Release` store and acquisition an `Acquire` CAS, so
//!   whatever the previous holder wrote to the contents (a store) or read
//!   from them (a trace) happens before the next holder's access.
//!
//! The longest a store can wait is one worker's trace of that one cell's
//! contents (the worker's other work happens outside it).

use gocore::atomic::{AtomicU8, Ordering};
use gocore::backoff::Backoff;

/// Unlocked.
const FREE: u8 = 0;
/// A mark worker traces the contents.
const SCANNING: u8 = 1;
/// The owning thread replaces the contents.
const STORING: u8 = 2;

/// A cell's scan lock; see the module docs.
#[derive(Debug)]
pub struct CellLock {
    state: AtomicU8,
}

impl CellLock {
    /// An unlocked lock.
    #[cfg(not(loom))]
    pub const fn new() -> CellLock {
        CellLock {
            state: AtomicU8::new(FREE),
        }
    }

    /// An unlocked lock.
    #[cfg(loom)]
    pub fn new() -> CellLock {
        CellLock {
            state: AtomicU8::new(FREE),
        }
    }

    /// Locks for a mark worker's trace; spins (then yields) while the owner
    /// stores.
    #[inline]
    pub fn lock_for_scan(&self) -> CellLockGuard<'_> {
        self.acquire(SCANNING);
        CellLockGuard { lock: self }
    }

    /// Locks for the owning thread's store; returns whether it had to wait
    /// (a worker was tracing the cell).
    #[inline]
    pub fn lock_for_store(&self) -> (CellLockGuard<'_>, bool) {
        let waited = self.acquire(STORING);
        (CellLockGuard { lock: self }, waited)
    }

    /// CAS `FREE → holder` until it succeeds; `true` if it did not at once.
    fn acquire(&self, holder: u8) -> bool {
        // Acquire: the previous holder's accesses happen before ours (I3).
        if self
            .state
            .compare_exchange(FREE, holder, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return false;
        }
        let backoff = Backoff::new();
        loop {
            backoff.snooze();
            if self.state.load(Ordering::Relaxed) == FREE
                && self
                    .state
                    .compare_exchange(FREE, holder, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return true;
            }
        }
    }
}

impl Default for CellLock {
    fn default() -> Self {
        CellLock::new()
    }
}

/// Holds a [`CellLock`]; unlocks on drop, also when a panicking `Trace`
/// unwinds through it.
#[must_use = "the cell is unlocked when the guard is dropped"]
#[clippy::has_significant_drop]
#[derive(Debug)]
pub struct CellLockGuard<'a> {
    lock: &'a CellLock,
}

impl Drop for CellLockGuard<'_> {
    fn drop(&mut self) {
        // Release: our accesses to the contents happen before the next
        // holder's (I3). The guard exists only while this thread holds the
        // lock, so nobody else can have changed the state.
        self.lock.state.store(FREE, Ordering::Release);
    }
}
