//! [`RwLock<T>`]: Go's writer-preferring `sync.RWMutex` around a value.
//!
//! The lock is [`RawRwLock`]; this module adds the value and the read and
//! write guards. No poisoning, as in Go.

use crate::raw::RawRwLock;
use core::cell::UnsafeCell;
use core::fmt;
use core::ops::{Deref, DerefMut};

/// A reader/writer lock protecting a `T`: Go's `sync.RWMutex`.
///
/// Once a writer waits, new readers wait too (writer preference), so a
/// steady stream of readers cannot starve writers. Do not take a read lock
/// recursively.
///
/// Go: `rw.RLock()` / `rw.Lock()`.
///
/// # Examples
///
/// ```
/// let lock = gosync::RwLock::new(5);
/// {
///     let r1 = lock.read();
///     let r2 = lock.read();
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write() += 1;
/// assert_eq!(*lock.read(), 6);
/// ```
#[doc(alias = "sync.RWMutex")]
#[doc(alias = "RWMutex")]
#[doc(alias = "RwMutex")]
pub struct RwLock<T: ?Sized> {
    raw: RawRwLock,
    value: UnsafeCell<T>,
}

// SAFETY: readers share `&T` across threads (needs `T: Sync`) and writers
// move exclusive access between threads (needs `T: Send`), as std's RwLock.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: sending the lock sends the `T` it owns.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// static L: gosync::RwLock<u32> = gosync::RwLock::new(0);
    /// assert_eq!(*L.read(), 0);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        RwLock {
            raw: RawRwLock::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        RwLock {
            raw: RawRwLock::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns its value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gosync::RwLock::new('x').into_inner(), 'x');
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, blocking while a writer holds or waits for the lock.
    ///
    /// Go: `rw.RLock()`.
    ///
    /// # Panics
    ///
    /// `"sync: too many RWMutex readers"` if 2^30 − 2^24 − 1 readers already
    /// hold or await the lock (only leaked guards get there), as
    /// [`RawRwLock::read`](crate::RawRwLock::read).
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gosync::RwLock::new(1);
    /// assert_eq!(*l.read(), 1);
    /// ```
    #[inline]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.raw.read();
        RwLockReadGuard { lock: self }
    }

    /// Locks for reading if no writer holds or waits for the lock.
    ///
    /// Go: `rw.TryRLock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gosync::RwLock::new(1);
    /// let w = l.write();
    /// assert!(l.try_read().is_none());
    /// drop(w);
    /// assert!(l.try_read().is_some());
    /// ```
    #[inline]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        if self.raw.try_read() {
            Some(RwLockReadGuard { lock: self })
        } else {
            None
        }
    }

    /// Locks for writing, waiting for active readers to leave.
    ///
    /// Go: `rw.Lock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gosync::RwLock::new(vec![]);
    /// l.write().push(1);
    /// assert_eq!(l.read().len(), 1);
    /// ```
    #[inline]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.raw.lock();
        RwLockWriteGuard { lock: self }
    }

    /// Locks for writing if nobody holds the lock.
    ///
    /// Go: `rw.TryLock()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gosync::RwLock::new(1);
    /// let r = l.read();
    /// assert!(l.try_write().is_none());
    /// drop(r);
    /// assert!(l.try_write().is_some());
    /// ```
    #[inline]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        if self.raw.try_lock() {
            Some(RwLockWriteGuard { lock: self })
        } else {
            None
        }
    }

    /// Returns a mutable reference to the value without locking.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut l = gosync::RwLock::new(1);
    /// *l.get_mut() = 3;
    /// assert_eq!(*l.read(), 3);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The underlying [`RawRwLock`].
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gosync::RwLock::new(());
    /// let _r = l.read();
    /// assert_eq!(l.raw().reader_count(), 1);
    /// ```
    pub fn raw(&self) -> &RawRwLock {
        &self.raw
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Proof of a read lock on a [`RwLock`]; releases it on drop.
///
/// # Examples
///
/// ```
/// let l = gosync::RwLock::new(2);
/// let g: gosync::RwLockReadGuard<'_, i32> = l.read();
/// assert_eq!(*g, 2);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: the read guard only hands out `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard holds a read lock, so no writer (and no `&mut T`)
        // exists while it lives.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: a read guard always holds one read lock.
        unsafe { self.lock.raw.read_unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Proof of the write lock on a [`RwLock`]; releases it on drop.
///
/// # Examples
///
/// ```
/// let l = gosync::RwLock::new(2);
/// let mut g: gosync::RwLockWriteGuard<'_, i32> = l.write();
/// *g = 3;
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: sharing the write guard shares `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write guard holds the exclusive lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write guard holds the exclusive lock; `&mut self` makes
        // this the only borrow.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: a write guard always holds the write lock.
        unsafe { self.lock.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
