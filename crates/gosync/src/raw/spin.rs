//! When a blocked locker may spin or yield instead of sleeping: Go's
//! `sync_runtime_canSpin` for OS threads.
//!
//! # What
//!
//! Spinning pays only while the lock holder is running: then it releases
//! the lock within a few hundred nanoseconds and a spinner takes it without
//! paying a sleep and a wake-up. Go's `canSpin` knows when that can be the
//! case: it refuses unless the machine has more than one CPU, some other P
//! is running (`GOMAXPROCS > npidle + nmspinning + 1`) and the spinner's
//! own run queue is empty. Since at most `GOMAXPROCS` goroutines run at a
//! time, at most `GOMAXPROCS − 1` of them can spin beside a running holder.
//!
//! An OS thread cannot see whether the holder is on a CPU, and threads
//! often outnumber CPUs: eight spinners on two CPUs take the CPUs away from
//! the holder they wait for (the holder was preempted, or is waiting for a
//! CPU after its own wake-up). So a [`RawMutex`](super::RawMutex) waiter
//! follows three rules, each checked before every spin round or yield:
//!
//! 1. **Spinners leave a CPU to the holder.** A process-wide count of
//!    spinning threads (`SPINNERS`, Go's bound made explicit): a thread
//!    starts spinning only if the threads already spinning leave at least
//!    one CPU free, `SPINNERS < ncpu − 1`. On two CPUs one thread spins at
//!    a time; the others go on to yield.
//! 2. **A yield that lost the CPU ends the yielding.** A yield that returns
//!    after [`LONG_YIELD_NS`] or more ran some other thread for a good part
//!    of a time slice: the CPUs are oversubscribed, and yielding again only
//!    competes with the holder for a CPU. The waiter queues on the
//!    semaphore instead (where `unlock` can wake it and starvation mode can
//!    hand it the lock).
//! 3. **A waiter past the starvation threshold queues.** Yields do not put
//!    a waiter in the queue that starvation mode hands the lock to, so a
//!    waiter that has waited more than
//!    [`STARVATION_THRESHOLD_NS`](super::mutex::STARVATION_THRESHOLD_NS)
//!    stops yielding and, as Go's waiter that waited more than 1 ms and finds
//!    the mutex locked, switches the mutex to starvation mode (checked in
//!    `lock_slow`, which owns the clock readings).
//!
//! # Tuning
//!
//! - `LONG_YIELD_NS` = 50 µs: on the project's VM a yield returns in
//!   0.4 µs when nothing else is runnable, and in 2.5 µs when it switches to
//!   a thread that yields straight back (two threads pinned to one CPU); a
//!   lock hand-over between running threads takes well under a
//!   microsecond. A yield 20 times longer than that ran a thread that used
//!   its time slice (the writer waits measured in `rwmutex.rs` come in steps
//!   of the 4 ms scheduler tick).
//! - The spinner bound is Go's effective one (at most `GOMAXPROCS − 1`
//!   spinning goroutines beside the running holder).
//!
//! # Go correspondence
//!
//! `sync_runtime_canSpin` (runtime/proc.go) → [`SpinBudget::can_spin`];
//! `sched.nmspinning` (spinning Ms, the count `canSpin` reads) →
//! `SPINNERS` (spinning lockers). The yield rules have no Go counterpart:
//! Go's waiters park at once (see `mutex.rs`, Divergences).
//!
//! A [`RawRwLock`](super::RawRwLock) writer waiting for the readers inside
//! uses rule 1 only: it polls for at most `ACTIVE_SPIN` rounds and then
//! sleeps, never yields (`rwmutex.rs`, "Waiting on a busy machine").
//!
//! Without `std` (no scheduler to yield to, the CPU count unknown: assumed
//! one) and under loom (sleeping is what the models explore) nobody spins or
//! yields.

use gocore::backoff::ACTIVE_SPIN;

/// A yield that kept the thread off its CPU this long shows the CPUs are
/// oversubscribed (rule 2).
pub const LONG_YIELD_NS: u64 = 50_000;

/// Time-slice yields a locker may make after its spin rounds, before it
/// sleeps (rules 2 and 3 may end them sooner).
#[cfg(all(feature = "std", not(loom)))]
pub const SLEEP_YIELDS: u32 = 16;

/// One waiter's spin and yield budget in `lock_slow`: its registration as a
/// spinner (rule 1) and what its yields showed (rules 2 and 3).
///
/// Dropping it (on any return from `lock_slow`) withdraws the registration.
#[derive(Debug)]
pub(super) struct SpinBudget {
    /// Counted in `SPINNERS`.
    spinning: bool,
    /// The last yield lost the CPU for `LONG_YIELD_NS` or more.
    lost_cpu: bool,
}

impl SpinBudget {
    pub(super) const fn new() -> Self {
        SpinBudget {
            spinning: false,
            lost_cpu: false,
        }
    }

    /// Whether to spin one more round after `iter` rounds (rule 1). Go:
    /// `sync_runtime_canSpin`. Registers as a spinner on the first `true`.
    #[inline]
    pub(super) fn can_spin(&mut self, iter: u32) -> bool {
        if iter >= ACTIVE_SPIN {
            self.stop_spinning();
            return false;
        }
        if !self.spinning {
            self.spinning = spinners::enter(ncpu());
        }
        self.spinning
    }

    /// Leaves the spinner count (before yielding, sleeping or returning).
    #[inline]
    pub(super) fn stop_spinning(&mut self) {
        if self.spinning {
            spinners::leave();
            self.spinning = false;
        }
    }

    /// Whether a locker that has made `iter` spin or yield rounds may yield
    /// once more instead of sleeping (rule 2; the caller checks rule 3,
    /// since it owns the clock readings).
    #[inline]
    pub(super) fn may_yield(&self, iter: u32) -> bool {
        #[cfg(all(feature = "std", not(loom)))]
        return !self.lost_cpu && iter < ACTIVE_SPIN + SLEEP_YIELDS;
        #[cfg(not(all(feature = "std", not(loom))))]
        {
            let _ = (iter, self.lost_cpu);
            false
        }
    }

    /// Yields the time slice and notes whether it lost the CPU (rule 2).
    pub(super) fn yield_now(&mut self) {
        let start = crate::clock::nanotime();
        gocore::backoff::yield_now();
        self.lost_cpu = lost_cpu(crate::clock::nanotime().saturating_sub(start));
    }

    /// Starts a new round of spinning and yielding after a wake-up (Go resets
    /// `iter`; a wake-up is also a fresh look at the CPUs).
    pub(super) fn reset(&mut self) {
        self.lost_cpu = false;
    }
}

impl Drop for SpinBudget {
    fn drop(&mut self) {
        self.stop_spinning();
    }
}

/// The number of CPUs this process may run on.
#[cfg(all(feature = "std", not(loom)))]
pub(super) fn ncpu() -> usize {
    // tidy: allow(atomic): a `static` cache of the CPU count (never under loom).
    use core::sync::atomic::{AtomicUsize, Ordering};
    static NCPU: AtomicUsize = AtomicUsize::new(0);
    let n = NCPU.load(Ordering::Relaxed);
    if n != 0 {
        return n;
    }
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    NCPU.store(n, Ordering::Relaxed);
    n
}

/// Under loom, no spinning: a spinning thread yields to the model on every
/// PAUSE, which lets the holder run to completion, so with bounded
/// preemptions the model would never see a waiter go to sleep. Sleeping (and
/// hence starvation mode) is the part worth exploring.
#[cfg(loom)]
pub(super) fn ncpu() -> usize {
    1
}

/// Without `std` we cannot ask; embedded targets are mostly single-core,
/// where spinning only delays the holder.
#[cfg(all(not(feature = "std"), not(loom)))]
pub(super) fn ncpu() -> usize {
    1
}

/// The process-wide spinner count of rule 1.
#[cfg(all(feature = "std", not(loom)))]
mod spinners {
    // tidy: allow(atomic): a process-wide `static` gauge (never under loom),
    // a speed hint outside the lock protocol.
    use core::sync::atomic::{AtomicUsize, Ordering};

    /// Threads spinning in some `lock_slow` right now. Go: `sched.nmspinning`.
    static SPINNERS: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn enter(ncpu: usize) -> bool {
        enter_gauge(&SPINNERS, ncpu)
    }

    pub(super) fn leave() {
        SPINNERS.fetch_sub(1, Ordering::Relaxed);
    }

    /// Joins the spinners counted by `gauge` if, with us among them, they
    /// still leave a CPU free for the holder: `gauge < ncpu − 1` before we
    /// join.
    pub(super) fn enter_gauge(gauge: &AtomicUsize, ncpu: usize) -> bool {
        // Relaxed: a heuristic count; no data is published through it.
        if gauge.fetch_add(1, Ordering::Relaxed) + 1 < ncpu {
            return true;
        }
        gauge.fetch_sub(1, Ordering::Relaxed);
        false
    }
}

/// One CPU (no `std`) or loom: nobody spins.
#[cfg(not(all(feature = "std", not(loom))))]
mod spinners {
    pub(super) fn enter(ncpu: usize) -> bool {
        ncpu > 1
    }

    pub(super) fn leave() {}
}

/// Whether a yield that took `yield_ns` lost the CPU to another thread
/// (rule 2).
#[inline]
fn lost_cpu(yield_ns: u64) -> bool {
    yield_ns >= LONG_YIELD_NS
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use core::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn spinners_leave_a_cpu_for_the_holder() {
        let gauge = AtomicUsize::new(0);
        assert!(!spinners::enter_gauge(&gauge, 1), "one CPU: nobody spins");
        assert_eq!(gauge.load(Ordering::Relaxed), 0);
        assert!(spinners::enter_gauge(&gauge, 2), "two CPUs: one spinner");
        assert!(!spinners::enter_gauge(&gauge, 2), "... but not two");
        assert_eq!(gauge.load(Ordering::Relaxed), 1);
        // Four CPUs: three spinners beside the holder.
        assert!(spinners::enter_gauge(&gauge, 4));
        assert!(spinners::enter_gauge(&gauge, 4));
        assert!(!spinners::enter_gauge(&gauge, 4));
        assert_eq!(gauge.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn budget_stops_spinning_after_active_spin_rounds() {
        let mut b = SpinBudget::new();
        for i in 0..ACTIVE_SPIN {
            // Spinning needs a free CPU: never on one, and only while
            // registered as a spinner.
            let spins = b.can_spin(i);
            assert_eq!(spins, b.spinning);
            if ncpu() == 1 {
                assert!(!spins);
            }
        }
        assert!(!b.can_spin(ACTIVE_SPIN));
        assert!(
            !b.spinning,
            "past ACTIVE_SPIN rounds the spinner leaves the count"
        );
    }

    #[test]
    fn yields_stop_after_the_budget_or_a_lost_cpu() {
        let mut b = SpinBudget::new();
        assert!(b.may_yield(ACTIVE_SPIN));
        assert!(b.may_yield(ACTIVE_SPIN + SLEEP_YIELDS - 1));
        assert!(!b.may_yield(ACTIVE_SPIN + SLEEP_YIELDS));
        // Rule 2: a yield that lost the CPU ends the yielding until a reset.
        assert!(!lost_cpu(LONG_YIELD_NS - 1) && lost_cpu(LONG_YIELD_NS));
        b.lost_cpu = true;
        assert!(!b.may_yield(ACTIVE_SPIN));
        b.reset();
        assert!(b.may_yield(ACTIVE_SPIN));
    }
}
