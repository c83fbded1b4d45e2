//! The [`Clock`] trait: where a timer service reads the time (core only).

use core::time::Duration;

/// A monotonic clock for a `Timers` service.
///
/// `now` returns the time elapsed since some fixed epoch of the clock's own
/// choosing; it must never go backwards. With `std`, `Timers::global` uses
/// the process's monotonic clock; on `no_std` implement this over your
/// hardware timer, or use `ManualClock`.
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use gocontext::Clock;
///
/// struct Fixed;
/// impl Clock for Fixed {
///     fn now(&self) -> Duration {
///         Duration::from_secs(7)
///     }
/// }
/// assert_eq!(Fixed.now(), Duration::from_secs(7));
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time, as a distance from the clock's epoch.
    fn now(&self) -> Duration;
}
