//! Go's `sync.RWMutex`: a writer-preferring reader/writer lock.
//!
//! # What
//!
//! Any number of readers or one writer. Writers exclude each other with an
//! inner [`RawMutex`] (so they get its fairness). A writer announces itself by
//! subtracting `RWMUTEX_MAX_READERS` from `reader_count`, which makes it
//! negative: from then on **new readers sleep** on `reader_sem`, while the
//! readers already inside finish; the last of those wakes the writer through
//! `writer_sem`. The writer's unlock adds the constant back and releases every
//! reader that queued meanwhile before letting the next writer in.
//!
//! # Layout
//!
//! ```text
//! +-------------+------------+------------+--------------+-------------+
//! | w: RawMutex | writer_sem | reader_sem | reader_count | reader_wait |
//! |  8 bytes    |  u32       |  u32       |  i32         |  i32        |
//! +-------------+------------+------------+--------------+-------------+
//!   reader_count = readers holding or queued            (no writer)
//!                = that − RWMUTEX_MAX_READERS (< 0)     (writer pending/active)
//! ```
//!
//! # Invariants
//!
//! - I1. `reader_count < 0` exactly while a writer holds `w` and has announced
//!   itself; readers that then arrive sleep on `reader_sem`.
//! - I2. `reader_wait` counts readers that were active when the writer
//!   announced itself and have not yet left; the one that takes it to 0
//!   releases `writer_sem` once.
//! - I3. At most `RWMUTEX_MAX_READERS - 1` readers at once, counting those
//!   queued behind a writer: beyond, `reader_count` no longer tells a pending
//!   writer by its sign (Go does not check). Only leaked read locks (a
//!   forgotten guard) can get near, so `read` refuses, with a panic, to go
//!   past `MAX_ADMITTED` readers, and `try_read` fails there; the margin
//!   up to `RWMUTEX_MAX_READERS` covers the threads that have incremented
//!   the count and not yet undone it.
//!
//! # Tuning
//!
//! `RWMUTEX_MAX_READERS` = 2^30, Go's value: large enough for any reader
//! count, and leaves the sign of an `i32` to flag a writer.
//!
//! # Waiting on a busy machine
//!
//! A writer waits until the readers inside have left, and a reader can be
//! inside without running: preempted in its read section, or released by
//! the previous writer's `unlock` (Go's readers hold the lock from the moment
//! `Unlock` adds them back to `readerCount`) and not yet scheduled. A Go
//! reader gets a P as soon as another goroutine blocks; a thread waits for
//! the kernel.
//!
//! Measured per write with the bench's writer-starvation workload (three
//! threads in back-to-back read locks, a writer locking every 1 ms, 200
//! writes per run; 2-CPU VM shared with other jobs), in an instrumented
//! build timing each phase of `lock` and `unlock` and noting which reader
//! left last:
//!
//! - Running readers leave within a microsecond. A writer still waiting
//!   after that waits for a reader that is off its CPU; in the instrumented
//!   runs that reader left 4-13 µs after the announcement, right after the
//!   writer went to sleep, which fits a reader whose CPU the writer took
//!   when its 1 ms sleep ended (three busy readers already fill the two
//!   CPUs) and which runs again once the writer gives that CPU up.
//! - Writers that slept on `writer_sem` at once (Go's `semacquire`) slept in
//!   170-184 of 200 writes, each sleep putting a futex wait and a wake-up by
//!   the last reader into the write. Polling `writer_sem` for `ACTIVE_SPIN`
//!   rounds of `ACTIVE_SPIN_CNT` PAUSEs first (about 1.2 µs here), under the
//!   spin budget of the `Mutex` (`spin.rs`, rule 1: only while the threads
//!   spinning in the process leave a CPU free for the readers), cut the
//!   sleeps to 50-63 in 200: the writes whose readers were off their CPUs.
//!   On the loaded machine (load average 3-8) that did not clearly move
//!   the tail: writes over 50 µs per 1000, median of paired runs, 26 before
//!   and 8 after in a first set of five, 23 and 27 in a second set of nine
//!   (`std`: 11). The poll is short on purpose: past it the reader is not
//!   running, and a longer poll keeps the CPU from it. In six paired runs of
//!   1000 writes, the 90th percentile write took 7-21 µs with 4 rounds,
//!   16-33 µs with 32 and 40-55 µs with 128 (`std`'s `RwLock`: 4-6 µs).
//! - Yielding instead of sleeping (up to 16 `sched_yield`s, stopping at one
//!   that lost the CPU for 50 µs, `spin.rs` rule 2) cut the sleeps to 0-26
//!   in 200 but made the worst writes worse: a thread that yielded is
//!   scheduled late, so in its `unlock` the readers it wakes preempted it
//!   for 8-15 ms. Not adopted.
//! - The rest of the tail is the scheduler's. Of 96 writes over 50 µs in
//!   six traced runs of 1000 (load average 6), 52 waited for a reader
//!   preempted inside its read section, 28 for a reader released by the
//!   previous writer's `unlock` a millisecond or more earlier and still not
//!   scheduled (the case Go's protocol adds: `std`'s released readers hold
//!   nothing until they run), and 16 lost their CPU in `unlock` while waking
//!   readers. The longest come in steps of the 4 ms scheduler tick, and
//!   `std`'s and `parking_lot`'s `RwLock` and Go itself show such steps in
//!   the same runs.
//!
//! Readers that find a writer pending sleep on `reader_sem` at once, as in
//! Go: a polling reader would take a CPU from the reader or writer it waits
//! for (polling before sleeping, 16 yields or 4 spin rounds and 16 yields,
//! raised the writes over 100 µs from 5-9 to 8-20 per 1000 in an earlier
//! experiment; 4 spin rounds alone, in eight paired runs of 1000 writes,
//! gave a median of 19 writes over 50 µs against 22.5: within the noise).
//!
//! # Go correspondence (Go 1.19 `src/sync/rwmutex.go`)
//!
//! `w` → `w`, `writerSem` → `writer_sem`, `readerSem` → `reader_sem`,
//! `readerCount` → `reader_count`, `readerWait` → `reader_wait`,
//! `rwmutexMaxReaders` → [`RWMUTEX_MAX_READERS`]; `RLock`, `TryRLock`,
//! `RUnlock`/`rUnlockSlow`, `Lock`, `TryLock`, `Unlock` → `read`, `try_read`,
//! `read_unlock`, `lock`, `try_lock`, `unlock`.
//!
//! # Divergences
//!
//! - Go's fatal errors ("sync: RUnlock of unlocked RWMutex", "sync: Unlock
//!   of unlocked RWMutex") are panics with the same messages, raised after
//!   the counter is restored.
//! - A writer waiting for readers polls `writer_sem` for about a microsecond
//!   before it sleeps, where Go's `Lock` parks at once (see "Waiting on a
//!   busy machine"). Which ticket it takes, and when, is Go's.
//! - `read` panics ("sync: too many RWMutex readers") rather than admit a
//!   reader past 2^30 − 2^24 − 1 (I3), and `try_read` fails there; Go does
//!   not check its limit of 2^30 − 1.

use super::mutex::RawMutex;
use super::spin::SpinBudget;
use crate::atomic::{AtomicI32, AtomicU32, Ordering};
use crate::sema;
use core::fmt;
use gocore::backoff::{procyield, ACTIVE_SPIN_CNT};

/// The most readers the lock tracks. Go: `rwmutexMaxReaders` (sync/rwmutex.go).
pub const RWMUTEX_MAX_READERS: i32 = 1 << 30;

/// The most readers [`RawRwLock::read`] admits at once (I3): Go's limit less
/// 2^24 for readers that incremented `reader_count` past it and are about to
/// undo (at most one per thread).
const MAX_ADMITTED: i32 = RWMUTEX_MAX_READERS - (1 << 24);

/// Go's `sync.RWMutex` without data.
///
/// Use [`crate::RwLock`] for a lock around a value.
///
/// Go: `sync.RWMutex`.
///
/// # Examples
///
/// ```
/// use gosync::RawRwLock;
/// let rw = RawRwLock::new();
/// rw.read();
/// assert!(rw.try_read()); // readers share
/// assert!(!rw.try_lock()); // but exclude a writer
/// // SAFETY: two read locks are held.
/// unsafe { rw.read_unlock(); rw.read_unlock() };
/// rw.lock();
/// // SAFETY: the write lock is held.
/// unsafe { rw.unlock() };
/// ```
#[doc(alias = "sync.RWMutex")]
#[doc(alias = "RWMutex")]
#[doc(alias = "RwMutex")]
pub struct RawRwLock {
    w: RawMutex,
    writer_sem: AtomicU32,
    reader_sem: AtomicU32,
    reader_count: AtomicI32,
    reader_wait: AtomicI32,
}

impl RawRwLock {
    /// Creates an unlocked lock (Go's zero value).
    ///
    /// # Examples
    ///
    /// ```
    /// static RW: gosync::RawRwLock = gosync::RawRwLock::new();
    /// assert!(RW.try_lock());
    /// # unsafe { RW.unlock() };
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        RawRwLock {
            w: RawMutex::new(),
            writer_sem: AtomicU32::new(0),
            reader_sem: AtomicU32::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
        }
    }

    /// Creates an unlocked lock (Go's zero value).
    #[cfg(loom)]
    pub fn new() -> Self {
        RawRwLock {
            w: RawMutex::new(),
            writer_sem: AtomicU32::new(0),
            reader_sem: AtomicU32::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
        }
    }

    /// Locks for reading; blocks while a writer holds or waits for the lock.
    ///
    /// Do not take a read lock recursively: a writer arriving in between
    /// makes the second `read` wait for it, and it waits for the first.
    ///
    /// Go: `rw.RLock()`.
    ///
    /// # Panics
    ///
    /// `"sync: too many RWMutex readers"` if 2^30 − 2^24 − 1 readers (Go's
    /// limit of 2^30 − 1, less a margin) already hold the lock or wait for
    /// it, which only leaked read locks can bring about; the lock is left as
    /// it was. Go does not check, and past its limit lets readers in beside a
    /// pending writer and reports a later, correct, unlock as unlocked.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// rw.read();
    /// # unsafe { rw.read_unlock() };
    /// ```
    #[inline]
    pub fn read(&self) {
        let r = self
            .reader_count
            .fetch_add(1, Ordering::AcqRel)
            .wrapping_add(1);
        // One comparison for the common case: no writer, and room (I3).
        if !(1..MAX_ADMITTED).contains(&r) {
            self.read_slow(r);
        }
    }

    /// `read` when a writer is pending, or when there are too many readers.
    #[cold]
    fn read_slow(&self, r: i32) {
        if r < MAX_ADMITTED - RWMUTEX_MAX_READERS {
            // A writer is pending (I1): wait for its unlock.
            sema::acquire(&self.reader_sem, false);
            return;
        }
        // Too many readers (I3): r >= MAX_ADMITTED without a writer, or
        // r >= MAX_ADMITTED - RWMUTEX_MAX_READERS with one. Leave as a reader
        // would, so that a writer that announced itself meanwhile, and
        // counted us among the readers it waits for, is not kept waiting.
        // A writer already pending did not count us (we came later), and
        // cannot unlock meanwhile: it waits for the readers before it, too
        // many of which are leaked to ever leave.
        if r >= MAX_ADMITTED {
            let r = self.reader_count.fetch_sub(1, Ordering::AcqRel) - 1;
            if r < 0 {
                self.read_unlock_slow(r);
            }
        } else {
            self.reader_count.fetch_sub(1, Ordering::AcqRel);
        }
        panic!("sync: too many RWMutex readers");
    }

    /// Locks for reading if no writer holds or waits for the lock (and
    /// fewer than 2^30 − 2^24 − 1 readers hold it, see [`RawRwLock::read`]).
    ///
    /// Go: `rw.TryRLock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// assert!(rw.try_read());
    /// # unsafe { rw.read_unlock() };
    /// ```
    pub fn try_read(&self) -> bool {
        let mut c = self.reader_count.load(Ordering::Relaxed);
        loop {
            // A writer is pending (I1), or there are too many readers (I3).
            if !(0..MAX_ADMITTED - 1).contains(&c) {
                return false;
            }
            match self.reader_count.compare_exchange_weak(
                c,
                c + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(cur) => c = cur,
            }
        }
    }

    /// Releases a read lock.
    ///
    /// Go: `rw.RUnlock()`.
    ///
    /// # Panics
    ///
    /// `"sync: RUnlock of unlocked RWMutex"` if no read lock is held.
    ///
    /// # Safety
    ///
    /// 1. The caller holds a read lock that nothing else relies on.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// rw.read();
    /// // SAFETY: the read lock is held.
    /// unsafe { rw.read_unlock() };
    /// ```
    #[inline]
    pub unsafe fn read_unlock(&self) {
        let r = self.reader_count.fetch_sub(1, Ordering::AcqRel) - 1;
        if r < 0 {
            self.read_unlock_slow(r);
        }
    }

    /// Go: `rUnlockSlow`.
    #[cold]
    fn read_unlock_slow(&self, r: i32) {
        if r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS {
            self.reader_count.fetch_add(1, Ordering::Relaxed);
            panic!("sync: RUnlock of unlocked RWMutex");
        }
        // A writer is pending; the last departing reader wakes it (I2).
        if self.reader_wait.fetch_sub(1, Ordering::AcqRel) - 1 == 0 {
            sema::release(&self.writer_sem, false);
        }
    }

    /// Locks for writing, waiting for readers inside to leave.
    ///
    /// Go: `rw.Lock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// rw.lock();
    /// assert!(!rw.try_read());
    /// # unsafe { rw.unlock() };
    /// ```
    pub fn lock(&self) {
        // First, resolve competition with other writers.
        self.w.lock();
        // Announce to readers there is a pending writer (I1).
        let r = self
            .reader_count
            .fetch_sub(RWMUTEX_MAX_READERS, Ordering::AcqRel);
        // Wait for active readers (I2).
        if r != 0 && self.reader_wait.fetch_add(r, Ordering::AcqRel) + r != 0 {
            self.wait_for_readers();
        }
    }

    /// Takes the ticket the last departing reader releases on `writer_sem`
    /// (I2): polls for it while the spin budget allows (`spin.rs`, rule 1),
    /// then sleeps on the semaphore. See "Waiting on a busy machine".
    #[cold]
    fn wait_for_readers(&self) {
        let mut budget = SpinBudget::new();
        let mut iter = 0;
        while budget.can_spin(iter) {
            if self.writer_sem.load(Ordering::Relaxed) != 0 {
                break;
            }
            procyield(ACTIVE_SPIN_CNT);
            iter += 1;
        }
        budget.stop_spinning();
        // Takes the ticket at once if it came while polling.
        sema::acquire(&self.writer_sem, false);
    }

    /// Locks for writing if nobody holds the lock.
    ///
    /// Go: `rw.TryLock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// assert!(rw.try_lock());
    /// assert!(!rw.try_lock());
    /// # unsafe { rw.unlock() };
    /// ```
    pub fn try_lock(&self) -> bool {
        if !self.w.try_lock() {
            return false;
        }
        if self
            .reader_count
            .compare_exchange(
                0,
                -RWMUTEX_MAX_READERS,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            // SAFETY: we locked `w` just above.
            unsafe { self.w.unlock() };
            return false;
        }
        true
    }

    /// Releases the write lock, letting the readers that queued meanwhile in
    /// before the next writer.
    ///
    /// Go: `rw.Unlock()`.
    ///
    /// # Panics
    ///
    /// `"sync: Unlock of unlocked RWMutex"` if not write-locked.
    ///
    /// # Safety
    ///
    /// 1. The caller holds the write lock and nothing else relies on it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// rw.lock();
    /// // SAFETY: the write lock is held.
    /// unsafe { rw.unlock() };
    /// assert!(rw.try_read());
    /// # unsafe { rw.read_unlock() };
    /// ```
    pub unsafe fn unlock(&self) {
        // Announce to readers there is no active writer.
        let r = self
            .reader_count
            .fetch_add(RWMUTEX_MAX_READERS, Ordering::AcqRel)
            + RWMUTEX_MAX_READERS;
        if r >= RWMUTEX_MAX_READERS {
            self.reader_count
                .fetch_sub(RWMUTEX_MAX_READERS, Ordering::Relaxed);
            panic!("sync: Unlock of unlocked RWMutex");
        }
        // Unblock the readers that queued behind us.
        for _ in 0..r {
            sema::release(&self.reader_sem, false);
        }
        // Allow other writers to proceed.
        // SAFETY: `w` was locked by our `lock`/`try_lock` (precondition 1).
        unsafe { self.w.unlock() };
    }

    /// Reports whether any lock (read or write) is held or awaited (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// assert!(!rw.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.reader_count.load(Ordering::Relaxed) != 0 || self.w.is_locked()
    }

    /// Reports whether a writer holds or waits for the lock (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// rw.lock();
    /// assert!(rw.is_locked_exclusive());
    /// # unsafe { rw.unlock() };
    /// ```
    pub fn is_locked_exclusive(&self) -> bool {
        self.reader_count.load(Ordering::Relaxed) < 0
    }

    /// The reader count as Go keeps it (negative while a writer is pending).
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::RawRwLock::new();
    /// rw.read();
    /// assert_eq!(rw.reader_count(), 1);
    /// # unsafe { rw.read_unlock() };
    /// ```
    pub fn reader_count(&self) -> i32 {
        self.reader_count.load(Ordering::Relaxed)
    }
}

impl Default for RawRwLock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RawRwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRwLock")
            .field("w", &self.w)
            .field("reader_count", &self.reader_count.load(Ordering::Relaxed))
            .field("reader_wait", &self.reader_wait.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(all(feature = "lock_api", not(loom)))]
// SAFETY: an exclusive lock is granted only with `w` held and
// `reader_count` negative with no active readers (I1, I2); a shared lock only
// while `reader_count` is non-negative or after the writer released it.
unsafe impl lock_api::RawRwLock for RawRwLock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawRwLock = RawRwLock::new();
    type GuardMarker = lock_api::GuardSend;

    fn lock_shared(&self) {
        self.read();
    }
    fn try_lock_shared(&self) -> bool {
        self.try_read()
    }
    unsafe fn unlock_shared(&self) {
        // SAFETY: lock_api's contract: a shared lock is held.
        unsafe { self.read_unlock() }
    }
    fn lock_exclusive(&self) {
        self.lock();
    }
    fn try_lock_exclusive(&self) -> bool {
        RawRwLock::try_lock(self)
    }
    unsafe fn unlock_exclusive(&self) {
        // SAFETY: lock_api's contract: the exclusive lock is held.
        unsafe { self.unlock() }
    }
    fn is_locked(&self) -> bool {
        RawRwLock::is_locked(self)
    }
    fn is_locked_exclusive(&self) -> bool {
        RawRwLock::is_locked_exclusive(self)
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::string::{String, ToString};
    use std::sync::Arc;

    fn message(r: std::thread::Result<()>) -> String {
        let e = r.expect_err("expected a panic");
        match e.downcast::<&str>() {
            Ok(s) => s.to_string(),
            Err(e) => *e.downcast::<String>().expect("a string payload"),
        }
    }

    /// Too many readers (I3), as leaked read guards make them: 2^30 − 1
    /// readers are Go's limit, past which Go's `RLock` lets a reader in
    /// beside a pending writer and its correct `RUnlock` then dies with
    /// "sync: RUnlock of unlocked RWMutex". Here the reader count is set
    /// directly (leaking ~2^30 guards one by one takes seconds), and the
    /// reader over the limit panics, leaving the count as it was.
    #[test]
    fn too_many_readers_panic_and_leave_the_lock_consistent() {
        // No writer: the last admitted reader, then one too many.
        let rw = RawRwLock::new();
        rw.reader_count.store(MAX_ADMITTED - 2, Ordering::Relaxed);
        assert!(rw.try_read());
        assert!(!rw.try_read());
        assert_eq!(
            message(catch_unwind(AssertUnwindSafe(|| rw.read()))),
            "sync: too many RWMutex readers"
        );
        assert_eq!(rw.reader_count(), MAX_ADMITTED - 1);
        // SAFETY: releases the read lock `try_read` took.
        unsafe { rw.read_unlock() };
        rw.read();
        // SAFETY: releases the read lock `read` took.
        unsafe { rw.read_unlock() };
        assert_eq!(rw.reader_count(), MAX_ADMITTED - 2);

        // A writer pending behind MAX_ADMITTED − 1 leaked readers (Go's
        // scenario with 2^30 − 1 of them): a new reader must not get in.
        let rw = Arc::new(RawRwLock::new());
        rw.reader_count.store(MAX_ADMITTED - 2, Ordering::Relaxed);
        rw.read(); // the one reader that will leave
        let writer = {
            let rw = Arc::clone(&rw);
            std::thread::spawn(move || {
                rw.lock();
                // SAFETY: the write lock is held.
                unsafe { rw.unlock() };
            })
        };
        while rw.reader_count() >= 0 {
            std::thread::yield_now();
        }
        let pending = rw.reader_count();
        assert_eq!(pending, MAX_ADMITTED - 1 - RWMUTEX_MAX_READERS);
        assert!(!rw.try_read());
        assert_eq!(
            message(catch_unwind(AssertUnwindSafe(|| rw.read()))),
            "sync: too many RWMutex readers"
        );
        assert_eq!(rw.reader_count(), pending);
        // SAFETY: releases the reader taken before the writer came; this
        // is a correct unlock and must not panic.
        unsafe { rw.read_unlock() };
        // The leaked readers leave (as if their guards were dropped after
        // all): the writer gets in and out.
        rw.reader_wait.fetch_sub(MAX_ADMITTED - 2, Ordering::AcqRel);
        rw.reader_count
            .fetch_sub(MAX_ADMITTED - 2, Ordering::AcqRel);
        sema::release(&rw.writer_sem, false);
        writer.join().unwrap();
        assert_eq!(rw.reader_count(), 0);
        assert!(rw.try_lock());
    }
}
