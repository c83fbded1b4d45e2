//! Bounded spinning before blocking.
//!
//! Go's runtime spins briefly before it parks: `sync.Mutex` spins up to
//! `active_spin = 4` rounds of `procyield(active_spin_cnt = 30)` PAUSE
//! instructions, and the runtime lock spins, then calls `osyield`, then
//! sleeps. [`Backoff`] is that policy as a value: [`Backoff::spin`] doubles the
//! number of PAUSEs per call up to `2^SPIN_LIMIT`; [`Backoff::snooze`] does
//! the same and then yields the thread (with `std`); [`Backoff::is_completed`]
//! says when spinning has stopped paying and the caller should park.
//!
//! # Examples
//!
//! ```
//! use gocore::backoff::Backoff;
//! let b = Backoff::new();
//! while !b.is_completed() {
//!     b.snooze();
//! }
//! b.reset();
//! assert!(!b.is_completed());
//! ```

use core::cell::Cell;

use crate::atomic::spin_loop;

/// Spinning rounds after which [`Backoff::spin`] stops growing (2^6 = 64 PAUSEs).
const SPIN_LIMIT: u32 = 6;
/// Rounds after which [`Backoff::is_completed`] advises parking.
const YIELD_LIMIT: u32 = 10;

/// Go's active spinning count per round.
///
/// Go: `active_spin_cnt` (runtime/lock_futex.go).
pub const ACTIVE_SPIN_CNT: u32 = 30;

/// Go's number of spin rounds a `sync.Mutex` waiter may take.
///
/// Go: `active_spin` (runtime/lock_futex.go).
pub const ACTIVE_SPIN: u32 = 4;

/// Executes `cycles` PAUSE instructions.
///
/// Go: `procyield(cycles)`.
///
/// # Examples
///
/// ```
/// gocore::backoff::procyield(gocore::backoff::ACTIVE_SPIN_CNT);
/// ```
#[inline]
pub fn procyield(cycles: u32) {
    // Under loom one yield stands for the whole round: each yield is a
    // scheduling branch, and a round of 64 would blow the model's budget.
    #[cfg(loom)]
    {
        let _ = cycles;
        spin_loop();
    }
    #[cfg(not(loom))]
    for _ in 0..cycles {
        spin_loop();
    }
}

/// Exponential back-off for spin loops.
///
/// Go: the spin-then-yield loop of `lock2` (runtime/lock_futex.go).
#[derive(Debug, Default)]
pub struct Backoff {
    step: Cell<u32>,
}

impl Backoff {
    /// Creates a back-off at its first step.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gocore::backoff::Backoff::new();
    /// b.spin();
    /// ```
    pub const fn new() -> Self {
        Backoff { step: Cell::new(0) }
    }

    /// Starts over from the first step.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gocore::backoff::Backoff::new();
    /// b.spin();
    /// b.reset();
    /// ```
    pub fn reset(&self) {
        self.step.set(0);
    }

    /// Spins a little longer each call: for retrying a failed CAS.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gocore::backoff::Backoff::new();
    /// for _ in 0..3 { b.spin(); }
    /// ```
    #[inline]
    pub fn spin(&self) {
        procyield(1 << self.step.get().min(SPIN_LIMIT));
        if self.step.get() <= SPIN_LIMIT {
            self.step.set(self.step.get() + 1);
        }
    }

    /// Spins, and past the spin limit yields the thread (with `std`): for
    /// waiting on another thread's progress.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gocore::backoff::Backoff::new();
    /// b.snooze();
    /// ```
    pub fn snooze(&self) {
        if self.step.get() <= SPIN_LIMIT {
            procyield(1 << self.step.get());
        } else {
            yield_now();
        }
        if self.step.get() <= YIELD_LIMIT {
            self.step.set(self.step.get() + 1);
        }
    }

    /// Reports whether spinning has gone on long enough that the caller should park.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gocore::backoff::Backoff::new();
    /// assert!(!b.is_completed());
    /// ```
    pub fn is_completed(&self) -> bool {
        self.step.get() > YIELD_LIMIT
    }
}

/// Yields the thread to the scheduler where there is one (Go: `osyield`);
/// spins once without `std`.
///
/// # Examples
///
/// ```
/// gocore::backoff::yield_now(); // returns once the scheduler runs us again
/// ```
#[inline]
pub fn yield_now() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(all(feature = "std", not(loom)))]
    std::thread::yield_now();
    #[cfg(all(not(feature = "std"), not(loom)))]
    spin_loop();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_after_the_yield_limit() {
        let b = Backoff::new();
        let mut rounds = 0;
        while !b.is_completed() {
            b.snooze();
            rounds += 1;
        }
        assert_eq!(rounds, YIELD_LIMIT + 1);
        b.reset();
        assert!(!b.is_completed());
        for _ in 0..100 {
            b.spin();
        }
        assert!(!b.is_completed(), "spin alone never advises parking");
    }
}
