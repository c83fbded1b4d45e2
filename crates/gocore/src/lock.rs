//! The runtime lock: a small spin lock for short critical sections.
//!
//! Go's channels are guarded by the runtime's own `mutex` (`hchan.lock`), not
//! by `sync.Mutex`: the runtime lock spins, then yields, then sleeps, and its
//! critical sections are a few dozen instructions. [`SpinLock`] plays that
//! role here, so `gochan` never depends on `gosync` (as Go's runtime never
//! depends on package `sync`).
//!
//! It is a test-and-test-and-set lock: try one compare-exchange; while that fails, read
//! the flag (a plain load keeps the cache line shared) and back off with
//! [`Backoff::snooze`], which yields the thread once spinning stops paying.
//!
//! # Invariants
//!
//! - I1. `locked` is `true` exactly while a [`SpinLockGuard`] exists.
//! - I2. The value is only reached through a guard, so at most one `&mut T` exists.
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
use core::ops::{Deref, DerefMut};

use crate::atomic::{AtomicBool, Ordering};
use crate::backoff::Backoff;

/// A spin lock protecting a `T`: Go's runtime `mutex`.
///
/// Go: `lock(&c.lock)` / `unlock(&c.lock)` (runtime/lock_futex.go).
pub struct SpinLock<T: ?Sized> {
    locked: AtomicBool,
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
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
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
    /// Acquires the lock, spinning and yielding until it is free.
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

    #[cold]
    fn lock_slow(&self) -> SpinLockGuard<'_, T> {
        let backoff = Backoff::new();
        loop {
            while self.locked.load(Ordering::Relaxed) {
                backoff.snooze();
            }
            if let Some(g) = self.try_lock() {
                return g;
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
        // Acquire pairs with the Release store in the guard's drop: the
        // previous holder's writes are visible to the new one.
        // A failed compare-exchange writes nothing, so waiters spinning here
        // keep the line shared (and a loom model sees no false progress).
        match self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => Some(SpinLockGuard { lock: self }),
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
        self.locked.load(Ordering::Relaxed)
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
}

impl<T: ?Sized> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a guard exists only while `locked` is true (I1), and guards
        // are made only by a successful compare-exchange, so no other reference to the
        // value exists (I2).
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
    fn drop(&mut self) {
        // The guard holds the lock (I1); Release publishes our writes to the
        // next holder's Acquire compare-exchange.
        self.lock.locked.store(false, Ordering::Release);
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
    use std::sync::Arc;

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
