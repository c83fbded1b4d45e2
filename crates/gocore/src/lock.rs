//! The runtime lock: a small lock for short critical sections that spins,
//! yields, and then sleeps.
//!
//! Go's channels are guarded by the runtime's own `mutex` (`hchan.lock`), not
//! by `sync.Mutex`: the runtime lock spins, then yields, then sleeps, and its
//! critical sections are a few dozen instructions. [`SpinLock`] plays that
//! role here, so `gochan` never depends on `gosync` (as Go's runtime never
//! depends on package `sync`); `gosync`'s semaphore table locks its roots
//! with it too. The name stays from the days it only spun.
//!
//! # What
//!
//! Go's `lock_futex.go`, three states in one byte:
//!
//! ```text
//!  UNLOCKED (0) --lock: CAS 0 -> 1--> LOCKED (1)
//!  LOCKED/SLEEPING --unlock: swap -> 0--> UNLOCKED; if it was SLEEPING, wake
//!  a waiter that gives up spinning: swap -> SLEEPING (2), sleep while 2
//! ```
//!
//! `lock` tries one compare-exchange (the uncontended fast path). A waiter
//! then spins and yields with [`Backoff`] — a plain load while the lock is
//! held keeps the cache line shared — trying to take the lock whenever it
//! reads `UNLOCKED`. Once the back-off is exhausted it swaps in `SLEEPING`
//! (taking the lock if the swap returns `UNLOCKED`) and sleeps until an
//! unlock wakes it, then starts over. A waiter that has slept takes the lock
//! as `SLEEPING`, not `LOCKED`, since other sleepers may remain: their
//! wake-up must not be lost (Go's `wait` variable).
//!
//! Sleeping (with `std`): a futex-like wait on the lock's address, made from
//! a fixed table of `SLEEP_BUCKETS` `std::sync::{Mutex, Condvar}` pairs
//! picked by address (Go uses `futexsleep`/`futexwakeup`; gocore has no
//! `libc`). A sleeper locks its bucket and waits only if the state is still
//! `SLEEPING`; an unlocker that swapped `SLEEPING` out locks the bucket and
//! notifies all of its sleepers (several locks may share a bucket; woken
//! sleepers of other locks go back to sleep). Unlock is one swap, and takes
//! the bucket only when a sleeper was recorded.
//!
//! # Invariants
//!
//! - I1. The state is `UNLOCKED` exactly while no [`SpinLockGuard`] exists.
//! - I2. The value is only reached through a guard, so at most one `&mut T` exists.
//! - I3. A thread sleeps on the lock only while the state is `SLEEPING`, checked
//!   under its bucket's mutex; the state leaves `SLEEPING` only by an unlock,
//!   which then notifies the bucket under that mutex. So a sleeper is either
//!   woken or never sleeps: no wake-up is lost.
//! - I4. While a sleeper sleeps, the state is `SLEEPING` or a woken sleeper
//!   has yet to run; that one takes the lock as `SLEEPING` or swaps
//!   `SLEEPING` in before sleeping again. So the unlock that follows sees
//!   `SLEEPING` and wakes the remaining sleepers.
//! - I5. Nothing in `lock` or `unlock` runs user code or can panic: the bucket
//!   mutexes guard no data (a poisoned one is used as is).
//!
//! # Tuning
//!
//! - Spin then yield for [`Backoff`]'s rounds (7 rounds of 1..64 PAUSEs, then
//!   4 yields), then sleep. Go spins 4 × 30 PAUSEs and yields once.
//! - `SLEEP_BUCKETS` = 61 (prime: addresses are multiples of small powers
//!   of two), cache-padded: about 4 KiB of statics.
//!
//! # Go correspondence (Go 1.19 `src/runtime/lock_futex.go`)
//!
//! `mutex_unlocked`/`mutex_locked`/`mutex_sleeping` → `UNLOCKED`/`LOCKED`/
//! `SLEEPING`; `lock2` → `lock` + `lock_slow`; `unlock2` → the guard's drop;
//! `futexsleep`/`futexwakeup` → `sleep`/`wake`.
//!
//! # Divergences
//!
//! - Go's fast path is a swap; ours a compare-exchange, so a failed attempt
//!   writes nothing.
//! - Without `std` there is nothing to sleep on: the lock spins and then
//!   yields (one PAUSE without `std`) forever, and unlock is a plain store.
//! - Sleepers of locks sharing a bucket are all woken (`notify_all`), where a
//!   futex wakes one sleeper of one address.
//! - Under loom, waiters try once before they sleep (the model stays small),
//!   and the bucket table has one bucket of loom's `Mutex`/`Condvar`.
//!
//! # Examples
//!
//! ```
//! use gocore::lock::SpinLock;
//! let l = SpinLock::new(0);
//! *l.lock() += 1;
//! assert_eq!(*l.lock(), 1);
//! ```

use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

use crate::atomic::{AtomicU8, Ordering};
use crate::backoff::Backoff;

/// Free. Go: `mutex_unlocked`.
const UNLOCKED: u8 = 0;
/// Held, no sleeper recorded. Go: `mutex_locked`.
const LOCKED: u8 = 1;
/// Held, and some thread presumably sleeps on it. Go: `mutex_sleeping`.
#[cfg(feature = "std")]
const SLEEPING: u8 = 2;

/// Sleep buckets of the `std` lock (see the module docs, Tuning).
#[cfg(all(feature = "std", not(loom)))]
const SLEEP_BUCKETS: usize = 61;

/// A lock protecting a `T` that spins, yields, then sleeps: Go's runtime `mutex`.
///
/// Go: `lock(&c.lock)` / `unlock(&c.lock)` (runtime/lock_futex.go).
pub struct SpinLock<T: ?Sized> {
    state: AtomicU8,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one thread at a time (I2), so
// sharing the lock shares `T` only by moving access between threads: `T: Send`
// suffices, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for SpinLock<T> {}
// SAFETY: sending the lock sends the `T` it owns.
unsafe impl<T: ?Sized + Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// Creates an unlocked lock holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gocore::lock::SpinLock::new(5);
    /// assert_eq!(l.into_inner(), 5);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        SpinLock {
            state: AtomicU8::new(UNLOCKED),
            value: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        SpinLock {
            state: AtomicU8::new(UNLOCKED),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns its value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gocore::lock::SpinLock::new("v").into_inner(), "v");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> SpinLock<T> {
    /// Acquires the lock: spinning, yielding, then (with `std`) sleeping
    /// until it is free.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gocore::lock::SpinLock::new(vec![1]);
    /// l.lock().push(2);
    /// assert_eq!(l.lock().len(), 2);
    /// ```
    #[inline]
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        if let Some(g) = self.try_lock() {
            return g;
        }
        self.lock_slow()
    }

    /// Go: the loop of `lock2`.
    #[cold]
    fn lock_slow(&self) -> SpinLockGuard<'_, T> {
        // The state this thread leaves when it takes the lock: SLEEPING once
        // it has slept, since other sleepers may remain (I4).
        #[allow(unused_mut)] // only std ever changes it
        let mut wait = LOCKED;
        loop {
            let backoff = Backoff::new();
            loop {
                // Try whenever the lock reads free; a plain load while it is
                // held keeps the line shared.
                while self.state.load(Ordering::Relaxed) == UNLOCKED {
                    // Acquire pairs with the unlocker's Release swap/store.
                    if self
                        .state
                        .compare_exchange(UNLOCKED, wait, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                    {
                        return SpinLockGuard::new(self);
                    }
                }
                if cfg!(loom) && cfg!(feature = "std") || backoff.is_completed() {
                    break;
                }
                backoff.snooze();
            }
            #[cfg(feature = "std")]
            {
                // Record a sleeper; the swap takes the lock if it was free.
                if self.state.swap(SLEEPING, Ordering::Acquire) == UNLOCKED {
                    return SpinLockGuard::new(self);
                }
                wait = SLEEPING;
                sleep::sleep(&self.state);
            }
        }
    }

    /// Acquires the lock if it is free, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gocore::lock::SpinLock::new(());
    /// let g = l.try_lock().unwrap();
    /// assert!(l.try_lock().is_none());
    /// drop(g);
    /// assert!(l.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        // Acquire pairs with the Release swap/store in the guard's drop: the
        // previous holder's writes are visible to the new one.
        // A failed compare-exchange writes nothing, so waiters spinning here
        // keep the line shared (and a loom model sees no false progress).
        match self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => Some(SpinLockGuard::new(self)),
            Err(_) => None,
        }
    }

    /// Reports whether the lock is held right now (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gocore::lock::SpinLock::new(());
    /// let _g = l.lock();
    /// assert!(l.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) != UNLOCKED
    }

    /// Returns a mutable reference to the value; no locking is needed since
    /// the borrow is exclusive.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut l = gocore::lock::SpinLock::new(1);
    /// *l.get_mut() = 2;
    /// assert_eq!(*l.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Go: `unlock2`. Only a guard's drop calls this (I1).
    #[inline]
    fn unlock(&self) {
        // Release publishes our writes to the next holder's Acquire.
        #[cfg(feature = "std")]
        if self.state.swap(UNLOCKED, Ordering::Release) == SLEEPING {
            sleep::wake(&self.state);
        }
        // Nothing sleeps without std: nobody ever stores SLEEPING.
        #[cfg(not(feature = "std"))]
        self.state.store(UNLOCKED, Ordering::Release);
    }
}

/// Futex-like sleeping on a lock's state byte (I3), from a table of
/// `Mutex`/`Condvar` buckets picked by address.
#[cfg(feature = "std")]
mod sleep {
    use super::SLEEPING;
    use crate::atomic::{AtomicU8, Ordering};

    #[cfg(not(loom))]
    use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

    #[cfg(loom)]
    use loom::sync::{Condvar, Mutex, MutexGuard};

    struct Bucket {
        /// Guards no data: it orders a sleeper's check of the state before
        /// its wait against an unlocker's notify (I3).
        m: Mutex<()>,
        cv: Condvar,
    }

    #[cfg(not(loom))]
    static TABLE: [crate::CachePadded<Bucket>; super::SLEEP_BUCKETS] = [const {
        crate::CachePadded::new(Bucket {
            m: Mutex::new(()),
            cv: Condvar::new(),
        })
    }; super::SLEEP_BUCKETS];

    #[cfg(not(loom))]
    fn bucket(state: &AtomicU8) -> &'static Bucket {
        let addr = state as *const AtomicU8 as usize;
        &TABLE[addr % super::SLEEP_BUCKETS]
    }

    #[cfg(loom)]
    loom::lazy_static! {
        static ref TABLE: Bucket = Bucket { m: Mutex::new(()), cv: Condvar::new() };
    }

    #[cfg(loom)]
    fn bucket(_state: &AtomicU8) -> &'static Bucket {
        &TABLE
    }

    /// Locks a bucket's mutex; it guards no data, so poisoning (which its
    /// sections cannot cause anyway, I5) is ignored.
    fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
        #[cfg(not(loom))]
        return m.lock().unwrap_or_else(PoisonError::into_inner);
        #[cfg(loom)]
        m.lock().unwrap()
    }

    /// Go: `futexsleep(key, mutex_sleeping, -1)`: sleeps unless the state
    /// has left `SLEEPING`; may return spuriously.
    #[cold]
    pub(super) fn sleep(state: &AtomicU8) {
        let b = bucket(state);
        let g = lock(&b.m);
        // Under the bucket mutex: an unlock after this load notifies after
        // our wait has released the mutex (I3).
        if state.load(Ordering::Relaxed) == SLEEPING {
            #[cfg(all(test, not(loom)))]
            super::tests::slept_on(state);
            #[cfg(not(loom))]
            drop(b.cv.wait(g).unwrap_or_else(PoisonError::into_inner));
            #[cfg(loom)]
            drop(b.cv.wait(g).unwrap());
        }
    }

    /// Go: `futexwakeup(key, 1)`: wakes the sleepers of the bucket.
    #[cold]
    pub(super) fn wake(state: &AtomicU8) {
        let b = bucket(state);
        let _g = lock(&b.m);
        b.cv.notify_all();
    }
}

impl<T: Default> Default for SpinLock<T> {
    fn default() -> Self {
        SpinLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("SpinLock").field("value", &&*g).finish(),
            None => f
                .debug_struct("SpinLock")
                .field("value", &"<locked>")
                .finish(),
        }
    }
}

/// Proof that a [`SpinLock`] is held; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
#[clippy::has_significant_drop]
pub struct SpinLockGuard<'a, T: ?Sized> {
    lock: &'a SpinLock<T>,
    /// A guard hands out `&T` (and `&mut T`) as a `&mut T` would: so it is
    /// `Sync` only if `T` is, and `Send` only if `T` is (as std's
    /// `MutexGuard` is `Sync` only for `T: Sync`). Without it the guard
    /// would be `Sync` whenever the lock is, i.e. for any `T: Send`, and
    /// two threads sharing a `&SpinLockGuard<Cell<_>>` could race on the
    /// `Cell`.
    _value: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> SpinLockGuard<'a, T> {
    /// The guard of a lock the caller has just taken (I1).
    #[inline]
    fn new(lock: &'a SpinLock<T>) -> Self {
        SpinLockGuard {
            lock,
            _value: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a guard exists only while the state is not UNLOCKED (I1),
        // and guards are made only by the one atomic operation that took the
        // lock, so no other reference to the value exists (I2).
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow
        // through this guard.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for SpinLockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // The guard holds the lock (I1): unlocking it is ours to do.
        self.lock.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for SpinLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use std::vec::Vec;

    /// A guard lends out its value as a `&mut T` does: sharing a guard
    /// between threads (`&SpinLockGuard: Send`) needs `T: Sync`, sending one
    /// needs `T: Send`. It used to be `Sync` for every `T: Send`, so two
    /// threads could both reach a `Cell` through one `&guard`.
    #[test]
    fn guards_are_sync_only_for_sync_values() {
        use core::cell::Cell;
        static_assertions::assert_impl_all!(SpinLockGuard<'static, u8>: Send, Sync);
        static_assertions::assert_impl_all!(SpinLockGuard<'static, Cell<u8>>: Send);
        static_assertions::assert_not_impl_any!(SpinLockGuard<'static, Cell<u8>>: Sync);
        static_assertions::assert_not_impl_any!(SpinLockGuard<'static, std::rc::Rc<u8>>: Send, Sync);
        let l = SpinLock::new(Cell::new(1));
        let g = l.lock();
        g.set(2);
        drop(g);
        assert_eq!(l.into_inner().get(), 2);
    }

    /// Addresses of the locks a thread went to sleep on, in order.
    static SLEPT_ON: Mutex<Vec<usize>> = Mutex::new(Vec::new());

    /// Called by `sleep` under the bucket mutex, right before waiting.
    pub(super) fn slept_on(state: &AtomicU8) {
        SLEPT_ON
            .lock()
            .unwrap()
            .push(state as *const AtomicU8 as usize);
    }

    fn has_slept_on<T>(l: &SpinLock<T>) -> bool {
        let addr = &l.state as *const AtomicU8 as usize;
        SLEPT_ON.lock().unwrap().contains(&addr)
    }

    #[test]
    fn a_waiter_behind_a_long_holder_sleeps_and_is_woken() {
        let l = Arc::new(SpinLock::new(0u32));
        let g = l.lock();
        let l2 = Arc::clone(&l);
        let t = std::thread::spawn(move || *l2.lock() += 1);
        // The waiter spins, yields, records itself as a sleeper and sleeps.
        // It is recorded under the bucket mutex right before it waits, so
        // the unlock below (which takes that mutex) finds it waiting.
        let mut waited = 0;
        while !has_slept_on(&l) && waited < 10_000 {
            std::thread::sleep(Duration::from_millis(1));
            waited += 1;
        }
        assert!(has_slept_on(&l), "the waiter never slept");
        assert_eq!(l.state.load(Ordering::Relaxed), SLEEPING);
        drop(g); // must wake it
        t.join().unwrap();
        assert_eq!(*l.lock(), 1);
        assert_eq!(l.state.load(Ordering::Relaxed), UNLOCKED);
    }

    /// More threads than cores, each holding the lock for a while, so
    /// waiters sleep and wake all the time: still mutual exclusion.
    #[test]
    fn many_threads_sleeping_and_waking_still_exclude() {
        let threads = if cfg!(miri) { 4 } else { 16 };
        let per = if cfg!(miri) { 20 } else { 2_000 };
        let l = Arc::new(SpinLock::new((0usize, false)));
        let hs: std::vec::Vec<_> = (0..threads)
            .map(|i| {
                let l = Arc::clone(&l);
                std::thread::spawn(move || {
                    for j in 0..per {
                        let mut g = l.lock();
                        assert!(!g.1, "two holders at once");
                        g.1 = true;
                        if (i + j) % 64 == 0 {
                            // A holder that gets preempted: waiters sleep.
                            std::thread::yield_now();
                        }
                        g.0 += 1;
                        g.1 = false;
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(l.lock().0, threads * per);
        assert!(!l.is_locked());
    }

    #[test]
    fn counts_are_exact_under_contention() {
        let threads = 4;
        let per = if cfg!(miri) { 50 } else { 20_000 };
        let l = Arc::new(SpinLock::new(0usize));
        let hs: std::vec::Vec<_> = (0..threads)
            .map(|_| {
                let l = Arc::clone(&l);
                std::thread::spawn(move || {
                    for _ in 0..per {
                        *l.lock() += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(*l.lock(), threads * per);
    }

    #[test]
    fn a_panic_while_locked_releases_the_lock() {
        let l = Arc::new(SpinLock::new(1));
        let l2 = Arc::clone(&l);
        let r = std::thread::spawn(move || {
            let _g = l2.lock();
            panic!("boom");
        })
        .join();
        assert!(r.is_err());
        assert_eq!(*l.lock(), 1);
    }
}
