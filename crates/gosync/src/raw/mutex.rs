//! Go's `sync.Mutex`: one 32-bit state word and one semaphore.
//!
//! # What
//!
//! A mutual-exclusion lock that is fair without being slow. In **normal
//! mode** waiters queue FIFO, but a woken waiter does not own the mutex: it
//! competes with newly arriving lockers, which usually win (they are already
//! on a CPU). A waiter that loses is re-queued at the **front**. A waiter that
//! has waited more than 1 ms in total switches the mutex to **starvation
//! mode**: `unlock` then hands ownership straight to the first waiter,
//! newcomers neither spin nor grab the lock and queue at the tail. Starvation
//! mode ends when a waiter that receives the lock waited less than 1 ms or is
//! the last waiter. (Go's essay in sync/mutex.go, paraphrased.)
//!
//! # Layout
//!
//! ```text
//!  state: i32                                          sema: u32
//!  31                               3   2   1   0
//! +-----------------------------------+---+---+---+   +-----------+
//! |       waiter count (state >> 3)   | S | W | L |   | tickets   |
//! +-----------------------------------+---+---+---+   +-----------+
//!   L = MUTEX_LOCKED (1)   W = MUTEX_WOKEN (2)   S = MUTEX_STARVING (4)
//! ```
//!
//! Example: three waiters, locked, normal mode: `3 << 3 | 1 = 25`. The same in
//! starvation mode while the lock is being handed over (L clear, S set):
//! `3 << 3 | 4 = 28`.
//!
//! # Invariants
//!
//! - I1. `L` is set exactly while someone owns the mutex, except during a
//!   starvation-mode hand-off, where the new owner owns it with `L` clear
//!   until it sets `L` itself; `S` keeps everybody else out meanwhile.
//! - I2. `W` set means a woken or spinning locker exists, so `unlock` wakes no
//!   one else (at most one awake contender is let loose per unlock).
//! - I3. The waiter count counts threads that are sleeping, or about to sleep,
//!   on `sema`; it is decremented by the unlocker that wakes one (normal) or by
//!   the woken owner itself (starvation hand-off).
//! - I4. In starvation mode with the mutex handed off, `W` and `L` are clear
//!   and the count is ≥ 1 (Go throws "inconsistent mutex state" otherwise;
//!   we `debug_assert!`).
//!
//! # Tuning
//!
//! - `STARVATION_THRESHOLD_NS` = 1 ms: Go's value, long enough that normal
//!   mode's throughput wins almost always, short enough to bound tail latency.
//! - Spinning: at most `ACTIVE_SPIN` = 4 rounds of `ACTIVE_SPIN_CNT` = 30
//!   PAUSEs, only while the mutex is locked and not starving, and only while
//!   the threads spinning in the process leave a CPU free for the holder
//!   (Go's `sync_runtime_canSpin`, rule 1 of [`super::spin`]).
//! - Yielding: after the spin rounds, up to `SLEEP_YIELDS` = 16
//!   `thread::yield_now` calls (with `std`) before sleeping on `sema`, ended
//!   early by a yield that lost the CPU for 50 µs or more, or by a wait past
//!   the 1 ms starvation threshold (rules 2 and 3 of [`super::spin`]); see
//!   Divergences.
//!
//! # Fast path
//!
//! Go's `Lock` tries `CAS(state, 0, mutexLocked)` and otherwise enters
//! `lockSlow`, whose first step, for a mutex that is neither locked nor
//! starving, is `CAS(state, old, old | mutexLocked)`. Under contention the
//! waiter count is rarely 0, so the holder relocking its mutex pays a failed
//! CAS and then a second one: two atomic read-modify-writes where one would
//! do. So `lock` has two equivalent fast paths, chosen per thread by a
//! thread-local hint (with `std`):
//!
//! - uncontended (the hint is clear): Go's CAS from 0. If it fails, the hint
//!   is set and `lock_slow` starts from the state the CAS returned.
//! - contended (the hint is set): load the state; 0 takes the CAS from 0 and
//!   clears the hint; unlocked and not starving takes `lockSlow`'s first
//!   step at once; anything else enters `lock_slow` with that state.
//!
//! The load is not on the uncontended path, where it would delay the CAS
//! (it must wait for the previous unlock's read-modify-write of the same
//! word). The transitions are Go's either way; only the number of atomic
//! operations differs. In the gosync benchmark (medians of 3 runs) the
//! 4-thread long-critical-section row went from 0.96x to 1.04x
//! `parking_lot`, with the uncontended row at 1.01x `std`.
//!
//! # Go correspondence (Go 1.19 `src/sync/mutex.go`)
//!
//! `Mutex.state` → `state`, `Mutex.sema` → `sema`, `mutexLocked` →
//! [`MUTEX_LOCKED`], `mutexWoken` → [`MUTEX_WOKEN`], `mutexStarving` →
//! [`MUTEX_STARVING`], `mutexWaiterShift` → [`MUTEX_WAITER_SHIFT`],
//! `starvationThresholdNs` → [`STARVATION_THRESHOLD_NS`], `Lock`/`lockSlow` →
//! `lock`/`lock_slow`, `TryLock` → `try_lock`, `Unlock`/`unlockSlow` →
//! `unlock`/`unlock_slow`, `runtime_canSpin` → `SpinBudget::can_spin`, `runtime_doSpin` →
//! `procyield(ACTIVE_SPIN_CNT)`, `runtime_nanotime` → [`crate::clock::nanotime`].
//!
//! # Divergences
//!
//! - Go's `fatal("sync: unlock of unlocked mutex")` cannot be recovered; ours
//!   is a Rust panic with the same message, raised after restoring the state
//!   word (so the mutex stays usable if the panic is caught).
//! - Time comes from [`crate::clock`]: the process clock with `std`, a
//!   standing-still one without (no starvation mode), a model's under loom.
//! - Where Go's `lockSlow` would park the goroutine, ours first yields the
//!   thread's time slice, up to `SLEEP_YIELDS` times while the mutex stays
//!   locked and not starving, re-reading the state after each yield. Parking
//!   a goroutine costs Go a few hundred nanoseconds; sleeping an OS thread
//!   costs a futex wait here and, worse, a futex wake in the *holder's*
//!   `unlock`, on the path every other locker waits behind. With more threads
//!   than cores a yield usually runs the holder, so most waiters get the lock
//!   without ever sleeping. The wait a yielding waiter adds before it queues
//!   is a few microseconds, far below the 1 ms starvation threshold. In the
//!   gosync benchmark with 8 threads on 2 cores and short critical sections
//!   the yields raised throughput about 1.7x.
//! - The yields adapt to a busy machine ([`super::spin`], rules 2 and 3):
//!   they stop at the first one that kept the thread off its CPU for 50 µs
//!   or more (another thread used a time slice there; yielding again only
//!   competes with the holder, and a waiter that is not queued cannot be
//!   handed the lock), and a waiter whose yields took it past 1 ms switches
//!   the mutex to starvation mode, as Go's waiter does after a sleep. A
//!   fixed 16 yields could each hand a CPU-bound thread its whole time slice
//!   while the waiter was neither queued nor able to claim starvation mode.
//!   Measured on the project's 2-CPU VM (other jobs kept it at load average
//!   7-16) with the bench's fairness workload, Go's `TestMutexFairness` (a
//!   greedy thread holds the lock 100 µs at a time, a polite one locks every
//!   100 µs), paired runs of 100 polite locks, fixed vs adaptive yields:
//!   with two CPU-bound threads sharing one CPU with them (four runs), the
//!   polite thread's longest wait fell from 198-367 ms to 13-50 ms and its
//!   median from 111-151 ms to at most 2.1 ms; with four CPU-bound threads
//!   on both CPUs (three runs), from 276-329 ms to 65-78 ms, medians 1.2-45
//!   ms before and 1.2-2.1 ms after (a queued waiter handed the lock still
//!   waits for a CPU); with no extra threads, pinned to one CPU, from
//!   12.5-13.7 ms to 9.4-9.8 ms, median 1.2 ms both ways. That median is Go's own bound for the workload, the
//!   1 ms starvation threshold plus one 100 µs hold (Go's run of the row:
//!   2.2 ms; `std`'s mutex, which has no starvation mode, gets 0.3-0.5 ms
//!   when the kernel runs the woken polite thread before the greedy one
//!   relocks).

use super::spin::SpinBudget;
use crate::atomic::{AtomicI32, AtomicU32, Ordering};
use crate::sema;
use core::fmt;
use gocore::backoff::{procyield, ACTIVE_SPIN_CNT};

/// The mutex is locked. Go: `mutexLocked` (sync/mutex.go).
pub const MUTEX_LOCKED: i32 = 1;
/// A waiter has been woken or a locker is spinning; unlock wakes no one else.
/// Go: `mutexWoken` (sync/mutex.go).
pub const MUTEX_WOKEN: i32 = 2;
/// The mutex is in starvation mode. Go: `mutexStarving` (sync/mutex.go).
pub const MUTEX_STARVING: i32 = 4;
/// The waiter count is `state >> MUTEX_WAITER_SHIFT`. Go: `mutexWaiterShift`.
pub const MUTEX_WAITER_SHIFT: u32 = 3;
/// A waiter that waited longer than this switches the mutex to starvation
/// mode. Go: `starvationThresholdNs` (sync/mutex.go), 1e6 ns.
pub const STARVATION_THRESHOLD_NS: u64 = 1_000_000;

/// Go's `sync.Mutex` without data: the state word and the semaphore.
///
/// Use [`crate::Mutex`] for a lock around a value; use `RawMutex` for a lock
/// with no data, as Go programs do (`mu.Lock(); ...; mu.Unlock()`), or with
/// `lock_api` (feature `lock_api`).
///
/// Go: `sync.Mutex`.
///
/// # Examples
///
/// ```
/// use gosync::RawMutex;
/// let mu = RawMutex::new();
/// mu.lock();
/// assert!(!mu.try_lock());
/// // SAFETY: locked just above.
/// unsafe { mu.unlock() };
/// assert!(mu.try_lock());
/// # unsafe { mu.unlock() };
/// ```
#[doc(alias = "sync.Mutex")]
pub struct RawMutex {
    state: AtomicI32,
    sema: AtomicU32,
}

/// A snapshot of a [`RawMutex`]'s state word, decoded.
///
/// # Examples
///
/// ```
/// use gosync::RawMutex;
/// let mu = RawMutex::new();
/// assert_eq!(mu.state().word(), 0);
/// mu.lock();
/// let s = mu.state();
/// assert!(s.locked() && !s.starving() && s.waiters() == 0);
/// # unsafe { mu.unlock() };
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MutexState(i32);

impl MutexState {
    /// Decodes a raw state word.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gosync::raw::MutexState::from_word(3 << 3 | 1);
    /// assert_eq!((s.locked(), s.waiters()), (true, 3));
    /// ```
    pub const fn from_word(word: i32) -> Self {
        MutexState(word)
    }
    /// The raw word, as Go's `m.state`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gosync::raw::MutexState::from_word(25).word(), 25);
    /// ```
    pub const fn word(self) -> i32 {
        self.0
    }
    /// `MUTEX_LOCKED` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gosync::raw::MutexState::from_word(1).locked());
    /// ```
    pub const fn locked(self) -> bool {
        self.0 & MUTEX_LOCKED != 0
    }
    /// `MUTEX_WOKEN` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gosync::raw::MutexState::from_word(2).woken());
    /// ```
    pub const fn woken(self) -> bool {
        self.0 & MUTEX_WOKEN != 0
    }
    /// `MUTEX_STARVING` is set: starvation mode.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gosync::raw::MutexState::from_word(4).starving());
    /// ```
    pub const fn starving(self) -> bool {
        self.0 & MUTEX_STARVING != 0
    }
    /// The number of waiters, `state >> MUTEX_WAITER_SHIFT`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gosync::raw::MutexState::from_word(2 << 3).waiters(), 2);
    /// ```
    pub const fn waiters(self) -> u32 {
        (self.0 as u32) >> MUTEX_WAITER_SHIFT
    }
}

impl fmt::Debug for MutexState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexState")
            .field("locked", &self.locked())
            .field("woken", &self.woken())
            .field("starving", &self.starving())
            .field("waiters", &self.waiters())
            .finish()
    }
}

/// The per-thread choice between `lock`'s two fast paths (module docs,
/// "Fast path"). Only a speed hint: both paths make the same transitions.
#[cfg(all(feature = "std", not(loom)))]
mod fast_path {
    use std::cell::Cell;

    std::thread_local! {
        /// This thread's last lock found waiters (or the mutex locked).
        static CONTENDED: Cell<bool> = const { Cell::new(false) };
    }

    #[inline(always)]
    pub(super) fn contended() -> bool {
        CONTENDED.with(Cell::get)
    }

    #[inline(always)]
    pub(super) fn set_contended(contended: bool) {
        CONTENDED.with(|c| c.set(contended));
    }
}

/// Without `std` (no thread-locals) the fast path is Go's: a CAS from 0.
/// Under loom it is the load-first path, which covers both transitions.
#[cfg(not(all(feature = "std", not(loom))))]
mod fast_path {
    #[inline(always)]
    pub(super) fn contended() -> bool {
        cfg!(loom)
    }

    #[inline(always)]
    pub(super) fn set_contended(_contended: bool) {}
}

impl RawMutex {
    /// Creates an unlocked mutex (the zero value, as in Go).
    ///
    /// # Examples
    ///
    /// ```
    /// static MU: gosync::RawMutex = gosync::RawMutex::new();
    /// assert!(!MU.is_locked());
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        RawMutex {
            state: AtomicI32::new(0),
            sema: AtomicU32::new(0),
        }
    }

    /// Creates an unlocked mutex (the zero value, as in Go).
    #[cfg(loom)]
    pub fn new() -> Self {
        RawMutex {
            state: AtomicI32::new(0),
            sema: AtomicU32::new(0),
        }
    }

    /// Locks the mutex, blocking until it is available.
    ///
    /// Go: `m.Lock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mu = gosync::RawMutex::new();
    /// mu.lock();
    /// assert!(mu.is_locked());
    /// # unsafe { mu.unlock() };
    /// ```
    #[inline]
    pub fn lock(&self) {
        // Fast path (see "Fast path" in the module docs). Acquire pairs with
        // the Release of the previous unlock.
        if !fast_path::contended() {
            // Go's `CompareAndSwapInt32(&m.state, 0, mutexLocked)`.
            if let Err(old) =
                self.state
                    .compare_exchange(0, MUTEX_LOCKED, Ordering::Acquire, Ordering::Relaxed)
            {
                fast_path::set_contended(true);
                self.lock_slow(old);
            }
            return;
        }
        let old = self.state.load(Ordering::Relaxed);
        let grabbed = if old == 0 {
            fast_path::set_contended(false);
            self.state
                .compare_exchange(0, MUTEX_LOCKED, Ordering::Acquire, Ordering::Relaxed)
        } else if old & (MUTEX_LOCKED | MUTEX_STARVING) == 0 {
            // `lockSlow`'s first step for an unlocked mutex with waiters.
            self.state.compare_exchange(
                old,
                old | MUTEX_LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
        } else {
            Err(old)
        };
        if let Err(cur) = grabbed {
            self.lock_slow(cur);
        }
    }

    /// Go: `lockSlow` (sync/mutex.go), step for step, from the state `old`
    /// the fast path last saw.
    #[cold]
    fn lock_slow(&self, mut old: i32) {
        let mut wait_start: u64 = 0;
        let mut slept = false;
        let mut starving = false;
        let mut awoke = false;
        let mut iter = 0u32;
        let mut budget = SpinBudget::new();
        loop {
            // Don't spin in starvation mode: ownership is handed off to
            // waiters, so we would not be able to acquire the mutex anyway.
            // Nor while other spinners already keep all CPUs but one busy
            // (see `spin`, rule 1).
            if old & (MUTEX_LOCKED | MUTEX_STARVING) == MUTEX_LOCKED && budget.can_spin(iter) {
                // Try to set the woken flag so unlock does not wake others (I2).
                if !awoke
                    && old & MUTEX_WOKEN == 0
                    && old >> MUTEX_WAITER_SHIFT != 0
                    && self
                        .state
                        .compare_exchange(
                            old,
                            old | MUTEX_WOKEN,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                {
                    awoke = true;
                }
                procyield(ACTIVE_SPIN_CNT);
                iter += 1;
                old = self.state.load(Ordering::Relaxed);
                continue;
            }
            budget.stop_spinning();
            // Spinning is over: yield the time slice a few times before
            // sleeping (Divergences). Starving mutexes are handed off, so
            // waiting for them means queueing at once, as in Go; so does a
            // waiter that is itself starving (it must set the mode), and one
            // whose last yield lost the CPU (`spin`, rules 2 and 3). The
            // yields count as waiting towards the starvation threshold.
            if old & (MUTEX_LOCKED | MUTEX_STARVING) == MUTEX_LOCKED
                && !starving
                && budget.may_yield(iter)
            {
                let now = crate::clock::nanotime();
                if wait_start == 0 {
                    wait_start = now;
                }
                if now.saturating_sub(wait_start) <= STARVATION_THRESHOLD_NS {
                    budget.yield_now();
                    iter += 1;
                    old = self.state.load(Ordering::Relaxed);
                    continue;
                }
                // Rule 3: Go's rule after a sleep, applied to time spent
                // yielding: a waiter that waited over 1 ms and finds the
                // mutex locked switches it to starvation mode.
                starving = true;
            }
            let mut new = old;
            // Don't try to acquire a starving mutex: newcomers must queue.
            if old & MUTEX_STARVING == 0 {
                new |= MUTEX_LOCKED;
            }
            if old & (MUTEX_LOCKED | MUTEX_STARVING) != 0 {
                new += 1 << MUTEX_WAITER_SHIFT;
            }
            // Switch to starvation mode, but only if the mutex is locked:
            // unlock expects starving mutexes to have waiters.
            if starving && old & MUTEX_LOCKED != 0 {
                new |= MUTEX_STARVING;
            }
            if awoke {
                // We are the woken/spinning one (I2): reset the flag.
                debug_assert!(new & MUTEX_WOKEN != 0, "sync: inconsistent mutex state");
                new &= !MUTEX_WOKEN;
            }
            match self
                .state
                .compare_exchange(old, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    if old & (MUTEX_LOCKED | MUTEX_STARVING) == 0 {
                        return; // locked the mutex with the CAS
                    }
                    // Waited before (slept, or yielded into starvation)? Then
                    // queue at the front.
                    let lifo = slept || starving;
                    if wait_start == 0 {
                        wait_start = crate::clock::nanotime();
                    }
                    sema::acquire(&self.sema, lifo);
                    slept = true;
                    starving = starving
                        || crate::clock::nanotime().saturating_sub(wait_start)
                            > STARVATION_THRESHOLD_NS;
                    old = self.state.load(Ordering::Acquire);
                    if old & MUTEX_STARVING != 0 {
                        // Ownership was handed to us (I1, I4).
                        debug_assert!(
                            old & (MUTEX_LOCKED | MUTEX_WOKEN) == 0
                                && old >> MUTEX_WAITER_SHIFT != 0,
                            "sync: inconsistent mutex state"
                        );
                        let mut delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
                        if !starving || old >> MUTEX_WAITER_SHIFT == 1 {
                            // Exit starvation mode: it is critical to do it
                            // here and consider wait time, else two goroutines
                            // could lock-step forever in starvation mode.
                            delta -= MUTEX_STARVING;
                        }
                        self.state.fetch_add(delta, Ordering::AcqRel);
                        return;
                    }
                    awoke = true;
                    iter = 0;
                    budget.reset();
                }
                Err(cur) => old = cur,
            }
        }
    }

    /// Locks the mutex if it is free, without blocking.
    ///
    /// Fails while the mutex is locked or in starvation mode; may succeed
    /// while waiters are queued (they are not owed the lock in normal mode).
    ///
    /// Go: `m.TryLock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mu = gosync::RawMutex::new();
    /// assert!(mu.try_lock());
    /// assert!(!mu.try_lock());
    /// # unsafe { mu.unlock() };
    /// ```
    #[inline]
    pub fn try_lock(&self) -> bool {
        let old = self.state.load(Ordering::Relaxed);
        if old & (MUTEX_LOCKED | MUTEX_STARVING) != 0 {
            return false;
        }
        self.state
            .compare_exchange(
                old,
                old | MUTEX_LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Unlocks the mutex.
    ///
    /// Any thread may unlock a locked mutex (a Go mutex is not tied to its
    /// locker).
    ///
    /// Go: `m.Unlock()`.
    ///
    /// # Panics
    ///
    /// `"sync: unlock of unlocked mutex"` if the mutex is not locked (Go's
    /// fatal error). The state word is restored first.
    ///
    /// # Safety
    ///
    /// 1. The mutex is locked, and the caller is entitled to release it: no
    ///    guard or other code still relies on holding this lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let mu = gosync::RawMutex::new();
    /// mu.lock();
    /// // SAFETY: locked just above, and nothing else relies on it.
    /// unsafe { mu.unlock() };
    /// assert!(!mu.is_locked());
    /// ```
    #[inline]
    pub unsafe fn unlock(&self) {
        // Release publishes the critical section to the next locker.
        let new = self.state.fetch_sub(MUTEX_LOCKED, Ordering::Release) - MUTEX_LOCKED;
        if new != 0 {
            self.unlock_slow(new);
        }
    }

    /// Go: `unlockSlow` (sync/mutex.go).
    #[cold]
    fn unlock_slow(&self, new: i32) {
        if (new + MUTEX_LOCKED) & MUTEX_LOCKED == 0 {
            self.state.fetch_add(MUTEX_LOCKED, Ordering::Relaxed);
            panic!("sync: unlock of unlocked mutex");
        }
        if new & MUTEX_STARVING == 0 {
            let mut old = new;
            loop {
                // No waiters, or somebody is already woken / has grabbed the
                // lock / the mutex went starving: nobody to wake (I2).
                if old >> MUTEX_WAITER_SHIFT == 0
                    || old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING) != 0
                {
                    return;
                }
                // Take one waiter off the count and give it the right to wake.
                let new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
                match self
                    .state
                    .compare_exchange(old, new, Ordering::Release, Ordering::Relaxed)
                {
                    Ok(_) => {
                        sema::release(&self.sema, false);
                        return;
                    }
                    Err(cur) => old = cur,
                }
            }
        } else {
            // Starvation mode: hand ownership to the first waiter. L stays
            // clear until it sets it; S keeps newcomers out (I1).
            sema::release(&self.sema, true);
        }
    }

    /// Reports whether the mutex is locked right now (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let mu = gosync::RawMutex::new();
    /// assert!(!mu.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & MUTEX_LOCKED != 0
    }

    /// A snapshot of the state word (for diagnostics, tests and the tour).
    ///
    /// # Examples
    ///
    /// ```
    /// let mu = gosync::RawMutex::new();
    /// assert!(!mu.state().starving());
    /// ```
    pub fn state(&self) -> MutexState {
        MutexState(self.state.load(Ordering::Relaxed))
    }
}

impl Default for RawMutex {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RawMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMutex")
            .field("state", &self.state())
            .finish()
    }
}

#[cfg(all(feature = "lock_api", not(loom)))]
// SAFETY: `lock`/`try_lock` return only once the state word's MUTEX_LOCKED
// bit was set by this caller's CAS (or handed over in starvation mode, I1),
// and it is cleared only by `unlock`, so the lock is never held twice.
unsafe impl lock_api::RawMutex for RawMutex {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawMutex = RawMutex::new();
    // A Go mutex may be unlocked by any thread.
    type GuardMarker = lock_api::GuardSend;

    fn lock(&self) {
        RawMutex::lock(self);
    }
    fn try_lock(&self) -> bool {
        RawMutex::try_lock(self)
    }
    unsafe fn unlock(&self) {
        // SAFETY: lock_api's contract is ours: the lock is held by the caller.
        unsafe { RawMutex::unlock(self) }
    }
    fn is_locked(&self) -> bool {
        RawMutex::is_locked(self)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn state_word_packing() {
        assert_eq!(MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING, 0b111);
        assert_eq!(1 << MUTEX_WAITER_SHIFT, 8);
        let s = MutexState::from_word(3 << MUTEX_WAITER_SHIFT | MUTEX_STARVING);
        assert_eq!(s.waiters(), 3);
        assert!(s.starving() && !s.locked() && !s.woken());
    }

    #[test]
    fn try_lock_fails_in_starvation_mode_even_when_unlocked() {
        let mu = RawMutex::new();
        // A hand-off in progress: starving, one waiter, locked bit clear (I1).
        mu.state
            .store(MUTEX_STARVING | 1 << MUTEX_WAITER_SHIFT, Ordering::Relaxed);
        assert!(!mu.try_lock());
        mu.state.store(1 << MUTEX_WAITER_SHIFT, Ordering::Relaxed);
        // Normal mode with a waiter: a newcomer may barge in (Go's TryLock).
        assert!(mu.try_lock());
        assert_eq!(mu.state().word(), 1 << MUTEX_WAITER_SHIFT | MUTEX_LOCKED);
    }

    #[test]
    #[cfg(feature = "std")]
    fn both_fast_paths_make_go_transitions() {
        let mu = RawMutex::new();
        // A waiter is queued (count 1) but the mutex is unlocked: the
        // uncontended path's CAS from 0 fails, lock_slow grabs it, and the
        // thread switches to the load-first path.
        fast_path::set_contended(false);
        mu.state.store(1 << MUTEX_WAITER_SHIFT, Ordering::Relaxed);
        mu.lock();
        assert_eq!(mu.state().word(), 1 << MUTEX_WAITER_SHIFT | MUTEX_LOCKED);
        assert!(fast_path::contended());
        // Release without waking the made-up waiter.
        mu.state.fetch_sub(MUTEX_LOCKED, Ordering::Release);
        // The load-first path takes the same step directly.
        mu.lock();
        assert_eq!(mu.state().word(), 1 << MUTEX_WAITER_SHIFT | MUTEX_LOCKED);
        assert!(fast_path::contended());
        mu.state.fetch_sub(MUTEX_LOCKED, Ordering::Release);
        // With no waiters left it takes Go's CAS from 0 and clears the hint.
        mu.state.store(0, Ordering::Relaxed);
        mu.lock();
        assert_eq!(mu.state().word(), MUTEX_LOCKED);
        assert!(!fast_path::contended());
        // SAFETY: locked just above.
        unsafe { mu.unlock() };
        assert_eq!(mu.state().word(), 0);
    }

    #[test]
    fn unlock_of_unlocked_panics_and_restores() {
        let mu = RawMutex::new();
        #[cfg(feature = "std")]
        {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: deliberately wrong, to check the panic; the state is
                // restored before the panic, so nothing relies on it.
                unsafe { mu.unlock() }
            }));
            let msg = r.unwrap_err();
            assert_eq!(
                msg.downcast_ref::<&str>().copied(),
                Some("sync: unlock of unlocked mutex")
            );
            assert_eq!(mu.state().word(), 0);
        }
        mu.lock();
        assert!(!mu.try_lock());
        // SAFETY: locked just above.
        unsafe { mu.unlock() };
        assert_eq!(mu.state().word(), 0);
    }
}
