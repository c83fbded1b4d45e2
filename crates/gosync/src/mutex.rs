//! [`Mutex<T>`]: Go's `sync.Mutex` around a value, with RAII guards.
//!
//! The lock is [`RawMutex`] (Go's state word, starvation mode and all); this
//! module adds the value and the guard, as `std::sync::Mutex` users expect.
//! There is no poisoning: like Go, a panic while locked simply unlocks (the
//! guard's drop runs during unwinding).

use crate::raw::RawMutex;
use core::cell::UnsafeCell;
use core::fmt;
use core::ops::{Deref, DerefMut};

/// A mutual-exclusion lock protecting a `T`: Go's `sync.Mutex` with its
/// normal and starvation modes.
///
/// Go: `var mu sync.Mutex; mu.Lock(); defer mu.Unlock()`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::Mutex;
///
/// let counter = Arc::new(Mutex::new(0));
/// let hs: Vec<_> = (0..4)
///     .map(|_| {
///         let c = Arc::clone(&counter);
///         std::thread::spawn(move || *c.lock() += 1)
///     })
///     .collect();
/// for h in hs {
///     h.join().unwrap();
/// }
/// assert_eq!(*counter.lock(), 4);
/// ```
#[doc(alias = "sync.Mutex")]
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    value: UnsafeCell<T>,
}

// SAFETY: the mutex gives one thread at a time access to `T`, so sharing it
// moves access to `T` between threads: `T: Send` is enough (as std's Mutex).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: sending the mutex sends the `T` it owns.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// static M: gosync::Mutex<Vec<u8>> = gosync::Mutex::new(Vec::new());
    /// M.lock().push(1);
    /// assert_eq!(M.lock().len(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Mutex {
            raw: RawMutex::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked mutex holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Mutex {
            raw: RawMutex::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns its value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gosync::Mutex::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, blocking until it is available, and returns a guard
    /// that unlocks on drop.
    ///
    /// Not re-entrant: locking twice from one thread deadlocks, as in Go.
    ///
    /// Go: `mu.Lock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(String::from("go"));
    /// m.lock().push_str("pher");
    /// assert_eq!(*m.lock(), "gopher");
    /// ```
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard { mutex: self }
    }

    /// Locks the mutex if it is free (and not in starvation mode).
    ///
    /// Go: `mu.TryLock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(1);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        if self.raw.try_lock() {
            Some(MutexGuard { mutex: self })
        } else {
            None
        }
    }

    /// Returns a mutable reference to the value; no locking is needed since
    /// the borrow is exclusive.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gosync::Mutex::new(1);
    /// *m.get_mut() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Reports whether the mutex is locked right now (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(());
    /// let g = m.lock();
    /// assert!(m.is_locked());
    /// drop(g);
    /// assert!(!m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// The underlying [`RawMutex`] (its state word, for diagnostics).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(());
    /// assert_eq!(m.raw().state().waiters(), 0);
    /// ```
    pub fn raw(&self) -> &RawMutex {
        &self.raw
    }

    /// Unlocks the mutex without a guard, as Go's `mu.Unlock()` from code
    /// that leaked its guard with `core::mem::forget`.
    ///
    /// # Panics
    ///
    /// `"sync: unlock of unlocked mutex"` if the mutex is not locked.
    ///
    /// # Safety
    ///
    /// 1. No live guard of this mutex is used afterwards (the lock it proves
    ///    is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(0);
    /// core::mem::forget(m.lock());
    /// // SAFETY: the only guard was forgotten.
    /// unsafe { m.force_unlock() };
    /// assert!(m.try_lock().is_some());
    /// ```
    pub unsafe fn force_unlock(&self) {
        // SAFETY: precondition 1; an unlocked mutex panics instead.
        unsafe { self.raw.unlock() }
    }

    /// A raw pointer to the value, for code that manages the lock itself.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(5);
    /// let _g = m.lock();
    /// // SAFETY: the lock is held and no reference to the value exists.
    /// assert_eq!(unsafe { *m.data_ptr() }, 5);
    /// ```
    pub fn data_ptr(&self) -> *mut T {
        self.value.get()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Proof that a [`Mutex`] is locked; gives access to the value and unlocks
/// on drop.
///
/// A Go mutex may be unlocked by any goroutine, so the guard is `Send` when
/// `T` is (unlike `std`'s).
///
/// # Examples
///
/// ```
/// let m = gosync::Mutex::new(vec![1]);
/// let mut g = m.lock();
/// g.push(2);
/// assert_eq!(*g, [1, 2]);
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: a guard hands out `&T` through `&MutexGuard`, so sharing the guard
// shares `&T`: needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::Mutex::new(());
    /// let g = m.lock();
    /// assert!(core::ptr::eq(gosync::MutexGuard::mutex(&g), &m));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while the mutex is locked by it (made
        // by a successful lock/try_lock), so no `&mut T` exists elsewhere.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a MutexGuard always holds the lock, and after drop nothing
        // uses it.
        unsafe { self.mutex.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
