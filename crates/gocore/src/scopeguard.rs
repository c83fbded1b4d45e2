//! Run code on scope exit, also when a panic unwinds: for multi-step updates
//! that call user code (`Hash`, `Eq`, `Clone`, `Drop`) and must restore their
//! invariants if it panics.
//!
//! # Examples
//!
//! ```
//! use gocore::scopeguard::guard;
//! let mut log = Vec::new();
//! {
//!     let mut g = guard(&mut log, |l| l.push("cleanup"));
//!     g.push("work");
//! }
//! assert_eq!(log, ["work", "cleanup"]);
//! ```

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

/// Owns a value and runs `dropfn` on it when dropped, unless defused by
/// [`ScopeGuard::into_inner`].
#[must_use = "the closure runs as soon as the guard is dropped"]
pub struct ScopeGuard<T, F: FnOnce(T)> {
    value: ManuallyDrop<T>,
    dropfn: ManuallyDrop<F>,
}

/// Creates a guard that calls `dropfn(value)` at scope exit.
///
/// # Examples
///
/// ```
/// let mut ran = false;
/// drop(gocore::scopeguard::guard((), |_| ran = true));
/// assert!(ran);
/// ```
pub fn guard<T, F: FnOnce(T)>(value: T, dropfn: F) -> ScopeGuard<T, F> {
    ScopeGuard {
        value: ManuallyDrop::new(value),
        dropfn: ManuallyDrop::new(dropfn),
    }
}

impl<T, F: FnOnce(T)> ScopeGuard<T, F> {
    /// Defuses the guard: returns the value without running the closure.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ran = false;
    /// let g = gocore::scopeguard::guard(5, |_| ran = true);
    /// assert_eq!(gocore::scopeguard::ScopeGuard::into_inner(g), 5);
    /// assert!(!ran);
    /// ```
    pub fn into_inner(guard: Self) -> T {
        let mut guard = ManuallyDrop::new(guard);
        // SAFETY: `guard` is never used again and its `Drop` will not run
        // (ManuallyDrop), so each field is taken exactly once.
        let value = unsafe { ManuallyDrop::take(&mut guard.value) };
        // SAFETY: as above, for the closure, which is dropped unrun.
        drop(unsafe { ManuallyDrop::take(&mut guard.dropfn) });
        value
    }
}

impl<T, F: FnOnce(T)> Deref for ScopeGuard<T, F> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T, F: FnOnce(T)> DerefMut for ScopeGuard<T, F> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T, F: FnOnce(T)> Drop for ScopeGuard<T, F> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once and `into_inner` (the only other taker)
        // prevents it from running, so both fields are still present.
        let value = unsafe { ManuallyDrop::take(&mut self.value) };
        // SAFETY: as above.
        let dropfn = unsafe { ManuallyDrop::take(&mut self.dropfn) };
        dropfn(value);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn runs_during_unwinding() {
        let hits = std::sync::atomic::AtomicUsize::new(0);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _g = guard((), |_| {
                hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
            panic!("user Hash panicked");
        }));
        assert!(r.is_err());
        assert_eq!(hits.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
