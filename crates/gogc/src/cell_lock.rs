//! A `GcCell`'s owner word, which doubles as the cell's scan lock: how a
//! mark worker's read of a [`GcCell`](crate::GcCell) and the owning
//! thread's store into it exclude each other.
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
//! # Layout
//!
//! The lock lives in the two low bits of the pointer to the cell's heap,
//! which a `GcCell` holds anyway (its heap is at least 4-aligned), so a cell
//! is no bigger than without workers:
//!
//! ```text
//!   word = heap address | SCANNING (0b01: a worker traces the contents)
//!                       | STORING  (0b10: the owning thread replaces them)
//!
//!   heap | 00 ── worker: CAS → heap | 01 ──▶ trace ──▶ release store heap | 00
//!   heap | 00 ── owner:  CAS → heap | 10 ──▶ write ──▶ release store heap | 00
//! ```
//!
//! # Invariants
//!
//! - I1. The lock is taken only while a cycle marks and the heap has mark
//!   workers: by a worker around its trace of the cell, by the owning
//!   thread around the replacement of the contents in a barriered store
//!   (which it makes only while the heap's barrier flag is set). While the
//!   flag is clear no worker runs, so the plain store and `GcCell::borrow`
//!   only load the word (`Relaxed`, a plain load) and do no
//!   read-modify-write.
//! - I2. The heap address changes ([`OwnerLock::set_owner`]) only while no
//!   worker can reach the cell: when its value enters the heap (before the
//!   object holding it is published to any marker) or leaves it (after the
//!   store that took it out, which held the lock).
//! - I3. Holders never wait for anything while holding it except another
//!   cell's lock, taken by a worker for a cell nested inside this one
//!   (owner-side holders run no user code and take no other lock), so the
//!   wait graph has no cycle.
//! - I4. Release is a `Release` store and acquisition an `Acquire` CAS, so
//!   whatever the previous holder wrote to the contents (a store) or read
//!   from them (a trace) happens before the next holder's access.
//!
//! The longest a store can wait is one worker's trace of that one cell's
//! contents (the worker's other work happens outside it).

use core::ptr::{null_mut, NonNull};

use gocore::atomic::{AtomicPtr, Ordering};
use gocore::backoff::Backoff;

/// A worker traces the contents.
const SCANNING: usize = 0b01;
/// The owning thread replaces the contents.
const STORING: usize = 0b10;
/// Both lock bits.
const LOCK_MASK: usize = SCANNING | STORING;

/// An owner pointer with a scan lock in its low bits; see the module docs.
/// `P` must be at least 4-aligned.
#[derive(Debug)]
pub struct OwnerLock<P> {
    word: AtomicPtr<P>,
}

impl<P> OwnerLock<P> {
    /// No owner, unlocked.
    #[cfg(not(loom))]
    pub const fn new() -> OwnerLock<P> {
        OwnerLock {
            word: AtomicPtr::new(null_mut()),
        }
    }

    /// No owner, unlocked.
    #[cfg(loom)]
    pub fn new() -> OwnerLock<P> {
        OwnerLock {
            word: AtomicPtr::new(null_mut()),
        }
    }

    /// The owner. A `Relaxed` load: the owner changes only on this thread
    /// (I2), the lock bits are masked off.
    #[inline]
    pub fn owner(&self) -> Option<NonNull<P>> {
        let word = self.word.load(Ordering::Relaxed);
        NonNull::new(word.map_addr(|addr| addr & !LOCK_MASK))
    }

    /// Sets the owner; only while no worker can reach the cell (I2).
    #[inline]
    pub fn set_owner(&self, owner: Option<NonNull<P>>) {
        debug_assert!(self.word.load(Ordering::Relaxed).addr() & LOCK_MASK == 0);
        let word = owner.map_or(null_mut(), NonNull::as_ptr);
        debug_assert!(word.addr() & LOCK_MASK == 0, "an owner must be 4-aligned");
        self.word.store(word, Ordering::Relaxed);
    }

    /// Locks for a mark worker's trace; spins (then yields) while the owner
    /// stores.
    #[inline]
    pub fn lock_for_scan(&self) -> OwnerLockGuard<'_, P> {
        let (guard, _) = self.acquire(SCANNING);
        guard
    }

    /// Locks for the owning thread's store; also returns whether it had to
    /// wait (a worker was tracing the cell).
    #[inline]
    pub fn lock_for_store(&self) -> (OwnerLockGuard<'_, P>, bool) {
        self.acquire(STORING)
    }

    /// CAS `owner | 00 → owner | holder` until it succeeds.
    fn acquire(&self, holder: usize) -> (OwnerLockGuard<'_, P>, bool) {
        let backoff = Backoff::new();
        let mut waited = false;
        loop {
            let word = self.word.load(Ordering::Relaxed);
            if word.addr() & LOCK_MASK == 0 {
                // Acquire: the previous holder's accesses happen before ours
                // (I4).
                let locked = word.map_addr(|addr| addr | holder);
                if self
                    .word
                    .compare_exchange(word, locked, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    let guard = OwnerLockGuard {
                        lock: self,
                        unlocked: word,
                    };
                    return (guard, waited);
                }
            }
            waited = true;
            backoff.snooze();
        }
    }
}

impl<P> Default for OwnerLock<P> {
    fn default() -> Self {
        OwnerLock::new()
    }
}

/// Holds an [`OwnerLock`]; unlocks on drop, also when a panicking `Trace`
/// unwinds through it.
#[must_use = "the cell is unlocked when the guard is dropped"]
#[clippy::has_significant_drop]
#[derive(Debug)]
pub struct OwnerLockGuard<'a, P> {
    lock: &'a OwnerLock<P>,
    /// The word as it was before locking (the owner, no lock bits).
    unlocked: *mut P,
}

impl<P> Drop for OwnerLockGuard<'_, P> {
    fn drop(&mut self) {
        // Release: our accesses to the contents happen before the next
        // holder's (I4). While the lock is held nobody else changes the
        // word (the owner changes only unlocked, I2), so a store suffices.
        self.lock.word.store(self.unlocked, Ordering::Release);
    }
}
