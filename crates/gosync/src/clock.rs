//! The monotonic clock that decides starvation mode.
//!
//! Go's `Mutex` switches to starvation mode when a waiter has waited longer
//! than 1 ms (`starvationThresholdNs`), measured with `runtime_nanotime`. This
//! module is that clock:
//!
//! - with `std` (and not under loom) it is the process's monotonic clock
//!   (`std::time::Instant` since the first reading);
//! - `no_std` reads a clock that never advances, so no waiter ever counts as
//!   starving (the mutex stays in normal mode: still correct, only without the
//!   1 ms fairness bound);
//! - loom models replace it: under `--cfg loom` only, `set_clock` installs a
//!   clock the model owns, which drives the mutex into starvation mode
//!   deterministically.
//!
//! The clock is deliberately not replaceable in ordinary builds: it is one
//! hook for the whole process, and any dependency could change it behind
//! the program's back (making every mutex starve, or never). Loom is a cfg
//! that only test builds set.
//!
//! Readings are nanoseconds and never 0: the mutex uses 0 for "has not waited
//! yet", as Go's `waitStartTime` does.
//!
//! # Examples
//!
//! ```
//! let a = gosync::clock::nanotime();
//! let b = gosync::clock::nanotime();
//! assert!(a >= 1 && b >= a);
//! ```

/// Reads the clock: nanoseconds, never 0.
///
/// Go: `runtime_nanotime` (sync/runtime.go).
///
/// # Examples
///
/// ```
/// assert!(gosync::clock::nanotime() > 0);
/// ```
pub fn nanotime() -> u64 {
    #[cfg(loom)]
    let t = model_clock::read();
    #[cfg(not(loom))]
    let t = default_nanotime();
    t.max(1)
}

#[cfg(all(feature = "std", not(loom)))]
fn default_nanotime() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    // 2^64 ns is 584 years: the cast does not truncate in practice.
    base.elapsed().as_nanos() as u64 + 1
}

#[cfg(all(not(feature = "std"), not(loom)))]
fn default_nanotime() -> u64 {
    1
}

#[cfg(loom)]
pub use model_clock::{reset_clock, set_clock};

/// The replaceable clock of loom models (never compiled outside `--cfg loom`).
#[cfg(loom)]
mod model_clock {
    // tidy: allow(atomic): not a loom atomic on purpose: the clock is
    // installed outside the model, between `loom::model` runs, and read as
    // plain configuration (and a `static` cannot hold a loom atomic).
    use core::sync::atomic::{AtomicPtr, Ordering};

    /// The installed clock, as a type-erased `fn() -> u64`; null = standing still.
    static CLOCK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

    /// Installs `clock` as the source of [`nanotime`](super::nanotime) for the
    /// whole process (loom models only). It must be monotonic and count
    /// nanoseconds.
    pub fn set_clock(clock: fn() -> u64) {
        CLOCK.store(clock as *mut (), Ordering::Release);
    }

    /// Removes a clock installed by [`set_clock`]: time stands still again.
    pub fn reset_clock() {
        CLOCK.store(core::ptr::null_mut(), Ordering::Release);
    }

    pub(super) fn read() -> u64 {
        let p = CLOCK.load(Ordering::Acquire);
        if p.is_null() {
            return 1;
        }
        // SAFETY: the only non-null values ever stored in CLOCK are
        // `fn() -> u64` pointers cast to `*mut ()` by `set_clock`; casting back
        // to the same function pointer type is sound.
        let f = unsafe { core::mem::transmute::<*mut (), fn() -> u64>(p) };
        f()
    }
}
