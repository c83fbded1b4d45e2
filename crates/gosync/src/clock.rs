//! The monotonic clock that decides starvation mode.
//!
//! Go's `Mutex` switches to starvation mode when a waiter has waited longer
//! than 1 ms (`starvationThresholdNs`), measured with `runtime_nanotime`. This
//! module is that clock, made replaceable:
//!
//! - with `std` (and not under loom) it is the process's monotonic clock
//!   (`std::time::Instant` since the first reading);
//! - a program can install its own with [`set_clock`]: a `no_std` target with
//!   a hardware timer, or a test (loom models use it to drive the mutex into
//!   starvation mode deterministically: time is then a counter the model owns);
//! - `no_std` without an installed clock, and loom without one, read a clock
//!   that never advances, so no waiter ever counts as starving (the mutex stays
//!   in normal mode: still correct, only without the 1 ms fairness bound).
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

// tidy: allow(atomic): a process-wide `static`, which loom's atomics cannot
// be; the clock is read, never part of a protocol a loom model checks.
use core::sync::atomic::{AtomicPtr, Ordering};

/// The installed clock, as a type-erased `fn() -> u64`; null = the default.
static CLOCK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Installs `clock` as the source of [`nanotime`] for the whole process.
///
/// `clock` must be monotonic (never go backwards) and count nanoseconds. Use
/// it on `no_std` targets to enable starvation mode, or in tests and loom
/// models to control time.
///
/// # Examples
///
/// ```
/// fn fixed() -> u64 { 42 }
/// gosync::clock::set_clock(fixed);
/// assert_eq!(gosync::clock::nanotime(), 42);
/// gosync::clock::reset_clock();
/// ```
pub fn set_clock(clock: fn() -> u64) {
    CLOCK.store(clock as *mut (), Ordering::Release);
}

/// Removes a clock installed by [`set_clock`]: the default clock is used again.
///
/// # Examples
///
/// ```
/// gosync::clock::reset_clock();
/// assert!(gosync::clock::nanotime() >= 1);
/// ```
pub fn reset_clock() {
    CLOCK.store(core::ptr::null_mut(), Ordering::Release);
}

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
    let p = CLOCK.load(Ordering::Acquire);
    let t = if p.is_null() {
        default_nanotime()
    } else {
        // SAFETY: the only non-null values ever stored in CLOCK are
        // `fn() -> u64` pointers cast to `*mut ()` by `set_clock`; casting back
        // to the same function pointer type is sound.
        let f = unsafe { core::mem::transmute::<*mut (), fn() -> u64>(p) };
        f()
    };
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

#[cfg(any(not(feature = "std"), loom))]
fn default_nanotime() -> u64 {
    1
}
