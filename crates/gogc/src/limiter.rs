//! The GC CPU limiter (Go 1.19: `runtime/mgclimit.go`,
//! `gcCPULimiterState`): a leaky bucket of CPU time that turns mark assists
//! off while the collector has been using more than half the CPUs.
//!
//! # What
//!
//! With a memory limit, a heap that keeps its live data near the limit
//! would make the pacer collect back to back, and assists would take the
//! program's CPU time (a death spiral). Go caps the damage: it measures the
//! collector's CPU time against the mutator's and, while the collector has
//! used more than 50 % of all CPUs for long enough, stops assisting; the heap
//! may then overshoot the memory-limit goal instead.
//!
//! # The bucket
//!
//! ```text
//!   capacity = 1 CPU-second × procs                       ┌───────┐ ← capacity:
//!                                                         │       │   limiting
//!   every window (now − lastUpdate) × procs CPU-ns:       │ fill  │
//!     gc      = assist time + 25 % of the window          │       │
//!               (the background workers, while a cycle    │       │
//!               marks; Go's `gcEnabled`)                  ├───────┤
//!     mutator = window − idle time − gc                   │       │
//!     fill   += gc − mutator   (clamped to [0, capacity]; └───────┘ ← 0
//!               what spills over counts as overflow)
//!   limiting  ⇔ the bucket filled up, until a window drains it again
//! ```
//!
//! The bucket fills only while GC time exceeds mutator time (more than
//! 50 % of the CPU), and drains otherwise, so a short burst of assists never
//! turns the limiter on, and one second of pure GC time per processor does.
//!
//! # Invariants
//!
//! - L1: `fill ≤ capacity`; [`limiting`](CpuLimiter::limiting) is true only
//!   after a window ended with the bucket full, and a later window that
//!   changes the fill turns it off.
//! - L2: time before the last update is never counted twice: every window
//!   starts where the last ended, and a clock that goes backwards is
//!   ignored (Go's `now < lastUpdate` check).
//!
//! # Go correspondence
//!
//! `gcCPULimiterState` → [`CpuLimiter`]; `limiting`, `startGCTransition`,
//! `finishGCTransition`, `needUpdate`, `addAssistTime`, `addIdleTime`,
//! `update`/`updateLocked`, `accumulate`, `resetCapacity` → the methods of
//! the same names; `gcCPULimiterUpdatePeriod`, `capacityPerProc` →
//! [`UPDATE_PERIOD_NANOS`], [`CAPACITY_PER_PROC_NANOS`]. `lastEnabledCycle`
//! (Go's `/gc/limiter/last-enabled:gc-cycle` metric) →
//! [`last_enabled_cycle`](CpuLimiter::last_enabled_cycle).
//!
//! # Divergences
//!
//! - Go's limiter is shared by all Ps behind a try-lock, and reads each P's
//!   in-progress limiter event; the heap owns its limiter and reports
//!   assist time when an assist ends.
//! - gogc has no scavenger, and idle time is what the host reports through
//!   [`add_idle_time`](CpuLimiter::add_idle_time): on a `gosched` runtime
//!   the heap reports the time its Ps spent on the idle list (read as a
//!   running total that includes stretches in progress, Go's
//!   `limiterEvent.consume`) and its idle workers' time before every
//!   update. The limiter's one effect is on assists (see `concurrent`).

use crate::pacer::BACKGROUND_UTILIZATION;

/// Go's `capacityPerProc`: the bucket holds one second of CPU time per
/// processor, in nanoseconds.
pub const CAPACITY_PER_PROC_NANOS: u64 = 1_000_000_000;

/// Go's `gcCPULimiterUpdatePeriod`: a window longer than 10 ms asks for an
/// update ([`CpuLimiter::need_update`]).
pub const UPDATE_PERIOD_NANOS: i64 = 10_000_000;

/// Go 1.19's GC CPU limiter (`gcCPULimiterState`), as a plain value the heap
/// drives with its clock (nanoseconds on any clock, as the pacer's).
///
/// ```
/// use gogc::CpuLimiter;
///
/// // 2 processors: a bucket of 2 CPU-seconds.
/// let mut limiter = CpuLimiter::new(0, 2);
/// assert_eq!(limiter.capacity(), 2_000_000_000);
/// // A cycle marks for 1 s, with the owner assisting all the time: GC time
/// // is 1 s of assists + 25 % of 2 CPU-s = 1.5 CPU-s, mutator time 0.5.
/// limiter.start_gc_transition(true, 0);
/// limiter.finish_gc_transition(0);
/// limiter.add_assist_time(1_000_000_000);
/// limiter.update(1_000_000_000);
/// assert_eq!(limiter.fill(), 1_000_000_000); // 1.5 − 0.5 CPU-s
/// assert!(!limiter.limiting());
/// // Another such second fills the bucket: assists stop.
/// limiter.add_assist_time(1_000_000_000);
/// limiter.update(2_000_000_000);
/// assert!(limiter.limiting());
/// ```
#[derive(Clone, Debug)]
pub struct CpuLimiter {
    /// Go's `enabled`: the bucket is full.
    enabled: bool,
    /// Go's `bucket.fill`, CPU-nanoseconds.
    fill: u64,
    /// Go's `bucket.capacity`, CPU-nanoseconds.
    capacity: u64,
    /// Go's `overflow`: GC time that did not fit in the full bucket.
    overflow: u64,
    /// Go's `gcEnabled`: a cycle marks (its background workers count).
    gc_enabled: bool,
    /// Go's `transitioning`: between `start_gc_transition` and
    /// `finish_gc_transition` (the stop-the-world of a phase change).
    transitioning: bool,
    /// Go's `assistTimePool`: assist time not yet in a window.
    assist_time_pool: i64,
    /// Go's `idleTimePool`.
    idle_time_pool: i64,
    /// Go's `lastUpdate`.
    last_update: i64,
    /// Go's `lastEnabledCycle`.
    last_enabled_cycle: u32,
    /// Go's `memstats.numgc`: cycles whose mark has ended.
    completed_cycles: u32,
    /// Go's `nprocs`.
    nprocs: u32,
}

impl CpuLimiter {
    /// A limiter with an empty bucket for `procs` processors, its first
    /// window starting at `now` (Go: `resetCapacity` from `procresize`).
    ///
    /// ```
    /// let limiter = gogc::CpuLimiter::new(0, 4);
    /// assert_eq!((limiter.fill(), limiter.capacity()), (0, 4_000_000_000));
    /// ```
    pub fn new(now: i64, procs: u32) -> CpuLimiter {
        let mut limiter = CpuLimiter {
            enabled: false,
            fill: 0,
            capacity: 0,
            overflow: 0,
            gc_enabled: false,
            transitioning: false,
            assist_time_pool: 0,
            idle_time_pool: 0,
            last_update: now,
            last_enabled_cycle: 0,
            completed_cycles: 0,
            nprocs: procs,
        };
        limiter.reset_capacity(now, procs);
        limiter
    }

    /// Go's `limiting`: whether the bucket is full, so assists should not
    /// run.
    ///
    /// ```
    /// assert!(!gogc::CpuLimiter::new(0, 1).limiting());
    /// ```
    pub fn limiting(&self) -> bool {
        self.enabled
    }

    /// Go's `startGCTransition`, at the stop-the-world that starts
    /// (`enable_gc`) or ends a cycle's mark: closes the window so far under
    /// the old state. The time until [`finish_gc_transition`] counts as GC
    /// time on every processor.
    ///
    /// # Panics
    ///
    /// If a transition is in progress, or the mark is already in the state
    /// asked for (Go throws in both cases).
    ///
    /// [`finish_gc_transition`]: CpuLimiter::finish_gc_transition
    ///
    /// ```
    /// let mut limiter = gogc::CpuLimiter::new(0, 1);
    /// limiter.start_gc_transition(true, 1_000);
    /// limiter.finish_gc_transition(3_000); // 2 µs of pause: GC time
    /// assert_eq!(limiter.fill(), 2_000);
    /// ```
    pub fn start_gc_transition(&mut self, enable_gc: bool, now: i64) {
        assert!(
            !self.transitioning,
            "gogc: CPU limiter: GC transition already in progress"
        );
        assert!(
            self.gc_enabled != enable_gc,
            "gogc: CPU limiter: transitioning GC to the same state as before"
        );
        self.update_locked(now);
        self.gc_enabled = enable_gc;
        self.transitioning = true;
        if !enable_gc {
            // Go bumps `memstats.numgc` right after this call.
            self.completed_cycles = self.completed_cycles.wrapping_add(1);
        }
    }

    /// Go's `finishGCTransition`: the pause since `start_gc_transition`
    /// fills the bucket as GC time on all processors.
    ///
    /// # Panics
    ///
    /// If no transition is in progress (Go throws).
    ///
    /// ```
    /// let mut limiter = gogc::CpuLimiter::new(0, 2);
    /// limiter.start_gc_transition(true, 0);
    /// limiter.finish_gc_transition(500);
    /// assert_eq!(limiter.fill(), 1_000); // 500 ns × 2 processors
    /// ```
    pub fn finish_gc_transition(&mut self, now: i64) {
        assert!(
            self.transitioning,
            "gogc: CPU limiter: finish_gc_transition without a start"
        );
        if now >= self.last_update {
            let pause = now
                .saturating_sub(self.last_update)
                .saturating_mul(i64::from(self.nprocs));
            self.accumulate(0, pause);
        }
        self.last_update = now;
        self.transitioning = false;
    }

    /// Go's `needUpdate`: whether the window since the last update is longer
    /// than [`UPDATE_PERIOD_NANOS`].
    ///
    /// ```
    /// let limiter = gogc::CpuLimiter::new(0, 1);
    /// assert!(!limiter.need_update(10_000_000));
    /// assert!(limiter.need_update(10_000_001));
    /// ```
    pub fn need_update(&self, now: i64) -> bool {
        now.saturating_sub(self.last_update) > UPDATE_PERIOD_NANOS
    }

    /// Go's `addAssistTime`: nanoseconds the mutator spent assisting, counted
    /// at the next update.
    ///
    /// ```
    /// let mut limiter = gogc::CpuLimiter::new(0, 1);
    /// limiter.add_assist_time(700);
    /// limiter.update(1_000); // 700 GC, 300 mutator
    /// assert_eq!(limiter.fill(), 400);
    /// ```
    pub fn add_assist_time(&mut self, nanos: i64) {
        self.assist_time_pool = self.assist_time_pool.saturating_add(nanos);
    }

    /// Go's `addIdleTime`: processor nanoseconds nobody used (neither
    /// mutator nor GC time), counted at the next update.
    ///
    /// ```
    /// let mut limiter = gogc::CpuLimiter::new(0, 2);
    /// limiter.start_gc_transition(true, 0);
    /// limiter.finish_gc_transition(0);
    /// // 1 µs × 2 procs: 500 ns background GC, 1000 idle, 500 mutator.
    /// limiter.add_idle_time(1_000);
    /// limiter.update(1_000);
    /// assert_eq!(limiter.fill(), 0);
    /// ```
    pub fn add_idle_time(&mut self, nanos: i64) {
        self.idle_time_pool = self.idle_time_pool.saturating_add(nanos);
    }

    /// Go's `update`: closes the window since the last update and moves
    /// the bucket by its GC time less its mutator time.
    ///
    /// # Panics
    ///
    /// During a transition (Go throws).
    ///
    /// ```
    /// let mut limiter = gogc::CpuLimiter::new(0, 1);
    /// limiter.update(1_000_000); // all mutator time: stays empty
    /// assert_eq!(limiter.fill(), 0);
    /// ```
    pub fn update(&mut self, now: i64) {
        assert!(
            !self.transitioning,
            "gogc: CPU limiter: update during a GC transition"
        );
        self.update_locked(now);
    }

    /// Go's `updateLocked`.
    fn update_locked(&mut self, now: i64) {
        if now < self.last_update {
            // L2: a clock that went backwards adds nothing.
            return;
        }
        let mut window_total_time = now
            .saturating_sub(self.last_update)
            .saturating_mul(i64::from(self.nprocs));
        self.last_update = now;
        let assist_time = core::mem::take(&mut self.assist_time_pool);
        let idle_time = core::mem::take(&mut self.idle_time_pool);
        let mut window_gc_time = assist_time;
        if self.gc_enabled {
            // Truncation as Go's `int64(float64(x) * u)`.
            window_gc_time = window_gc_time
                .saturating_add((window_total_time as f64 * BACKGROUND_UTILIZATION) as i64);
        }
        window_total_time = window_total_time.saturating_sub(idle_time);
        self.accumulate(
            window_total_time.saturating_sub(window_gc_time),
            window_gc_time,
        );
    }

    /// Go's `accumulate`: GC time fills the bucket, mutator time drains it;
    /// a full bucket turns limiting on, any change off a full bucket turns
    /// it off.
    fn accumulate(&mut self, mutator_time: i64, gc_time: i64) {
        let headroom = self.capacity - self.fill;
        let was_full = headroom == 0;
        let change = gc_time.saturating_sub(mutator_time);
        if change > 0 && headroom <= change.unsigned_abs() {
            self.overflow = self
                .overflow
                .saturating_add(change.unsigned_abs() - headroom);
            self.fill = self.capacity;
            if !was_full {
                self.enabled = true;
                self.last_enabled_cycle = self.completed_cycles.wrapping_add(1);
            }
            return;
        }
        if change < 0 {
            self.fill = self.fill.saturating_sub(change.unsigned_abs());
        } else {
            self.fill += change.unsigned_abs();
        }
        if change != 0 && was_full {
            self.enabled = false;
        }
    }

    /// Go's `resetCapacity` (on a `GOMAXPROCS` change): closes the window
    /// and sizes the bucket for `procs` processors, clamping the fill.
    ///
    /// ```
    /// let mut limiter = gogc::CpuLimiter::new(0, 4);
    /// limiter.start_gc_transition(true, 0);
    /// limiter.finish_gc_transition(500_000_000); // 2 CPU-s of pause
    /// limiter.start_gc_transition(false, 500_000_000);
    /// limiter.finish_gc_transition(500_000_000);
    /// limiter.reset_capacity(500_000_000, 1); // 1 CPU-s: now full
    /// assert!(limiter.limiting());
    /// ```
    pub fn reset_capacity(&mut self, now: i64, procs: u32) {
        self.update_locked(now);
        self.nprocs = procs;
        self.capacity = u64::from(procs).saturating_mul(CAPACITY_PER_PROC_NANOS);
        if self.fill > self.capacity {
            self.fill = self.capacity;
            self.enabled = true;
            self.last_enabled_cycle = self.completed_cycles.wrapping_add(1);
        } else if self.fill < self.capacity {
            self.enabled = false;
        }
    }

    /// Go's `bucket.fill`: CPU-nanoseconds in the bucket.
    ///
    /// ```
    /// assert_eq!(gogc::CpuLimiter::new(0, 1).fill(), 0);
    /// ```
    pub fn fill(&self) -> u64 {
        self.fill
    }

    /// Go's `bucket.capacity`: [`CAPACITY_PER_PROC_NANOS`] × processors.
    ///
    /// ```
    /// assert_eq!(gogc::CpuLimiter::new(0, 3).capacity(), 3_000_000_000);
    /// ```
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Go's `overflow`: GC CPU-nanoseconds that did not fit in the full
    /// bucket (time the limiter could not cap).
    ///
    /// ```
    /// let mut limiter = gogc::CpuLimiter::new(0, 1);
    /// // 2 s of assists in a 2 s window: +2 CPU-s, 1 more than fits.
    /// limiter.add_assist_time(2_000_000_000);
    /// limiter.update(2_000_000_000);
    /// assert_eq!(limiter.overflow(), 1_000_000_000);
    /// ```
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Go's `lastEnabledCycle` (the `/gc/limiter/last-enabled:gc-cycle`
    /// metric): the cycle (1 for the first) during which the limiter last
    /// turned on; 0 if it never did.
    ///
    /// ```
    /// assert_eq!(gogc::CpuLimiter::new(0, 1).last_enabled_cycle(), 0);
    /// ```
    pub fn last_enabled_cycle(&self) -> u32 {
        self.last_enabled_cycle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    /// `updateLocked` with no cycle: pure mutator time never fills the
    /// bucket, whatever the window.
    #[test]
    fn update_mutator_time_only_stays_empty() {
        let mut l = CpuLimiter::new(0, 4);
        for now in [10 * MS, 1_000 * MS, 3_600_000 * MS] {
            l.update(now);
            assert_eq!(l.fill(), 0);
        }
        assert!(!l.limiting());
    }

    /// `finishGCTransition`: the pause is GC time on every processor;
    /// `updateLocked` while marking: the 25 % background share alone
    /// (below 50 %) drains the bucket at (1 − 2 × 0.25) × procs per ns.
    #[test]
    fn transition_fills_then_background_drains() {
        let mut l = CpuLimiter::new(0, 4);
        l.start_gc_transition(true, 100 * MS);
        l.finish_gc_transition(102 * MS);
        assert_eq!(l.fill(), (2 * MS * 4) as u64);
        // 4 ms × 4 procs = 16 ms: GC 4 ms, mutator 12 ms, drain 8 ms.
        l.update(106 * MS);
        assert_eq!(l.fill(), 0);
        // Half of that: 2 ms × 4 = 8: GC 2, mutator 6: −4 from 8 → 4 ms.
        let mut l = CpuLimiter::new(0, 4);
        l.start_gc_transition(true, 0);
        l.finish_gc_transition(2 * MS);
        l.update(4 * MS);
        assert_eq!(l.fill(), (4 * MS) as u64);
    }

    /// `accumulate`: GC time above 50 % fills; at capacity `limiting()`
    /// turns on with the overflow counted; the next window with mutator
    /// time above 50 % turns it off.
    #[test]
    fn accumulate_turns_limiting_on_and_off() {
        // 2 procs, capacity 2 s. A cycle marks from t = 0.
        let mut l = CpuLimiter::new(0, 2);
        l.start_gc_transition(true, 0);
        l.finish_gc_transition(0);
        // Each 100 ms window: 200 ms of CPU, 50 background + 150 assists =
        // 200 GC, mutator 0: +200 ms per window; 10 windows fill 2 s.
        for i in 1..=9 {
            l.add_assist_time(150 * MS);
            l.update(i * 100 * MS);
            assert_eq!(l.fill(), (i * 200 * MS) as u64);
            assert!(!l.limiting(), "window {i}");
        }
        l.add_assist_time(150 * MS);
        l.update(1_000 * MS);
        assert_eq!(l.fill(), l.capacity());
        assert!(l.limiting());
        assert_eq!(l.overflow(), 0);
        assert_eq!(l.last_enabled_cycle(), 1);
        // Full and still assisting: everything overflows.
        l.add_assist_time(150 * MS);
        l.update(1_100 * MS);
        assert_eq!(l.overflow(), (200 * MS) as u64);
        assert!(l.limiting());
        // A window without assists: 50 GC, 150 mutator: −100 ms, off.
        l.update(1_200 * MS);
        assert_eq!(l.fill(), l.capacity() - (100 * MS) as u64);
        assert!(!l.limiting());
    }

    /// `accumulate` with GC time exactly equal to mutator time: no change,
    /// and a full bucket stays limiting (Go: `change != 0 && enabled`).
    #[test]
    fn balanced_window_changes_nothing() {
        let mut l = CpuLimiter::new(0, 1);
        l.add_assist_time(2_000 * MS);
        l.update(2_000 * MS);
        assert!(l.limiting());
        // 1 proc, 100 ms window, 50 ms assists: GC 50, mutator 50.
        l.add_assist_time(50 * MS);
        l.update(2_100 * MS);
        assert!(l.limiting());
        assert_eq!(l.fill(), l.capacity());
    }

    /// `addIdleTime`: idle time is neither mutator nor GC time, so a
    /// mostly idle program with a little GC fills the bucket.
    #[test]
    fn idle_time_is_not_mutator_time() {
        let mut l = CpuLimiter::new(0, 1);
        // 100 ms window, 30 ms assists, 60 ms idle: GC 30, mutator 10.
        l.add_assist_time(30 * MS);
        l.add_idle_time(60 * MS);
        l.update(100 * MS);
        assert_eq!(l.fill(), (20 * MS) as u64);
    }

    /// `needUpdate`: strictly more than 10 ms since the last update.
    #[test]
    fn need_update_period() {
        let mut l = CpuLimiter::new(5 * MS, 1);
        assert!(!l.need_update(15 * MS));
        assert!(l.need_update(15 * MS + 1));
        l.update(20 * MS);
        assert!(!l.need_update(25 * MS));
    }

    /// `updateLocked`: a clock that went backwards adds nothing (L2).
    #[test]
    fn clock_going_backwards_is_ignored() {
        let mut l = CpuLimiter::new(100 * MS, 1);
        l.add_assist_time(10 * MS);
        l.update(50 * MS);
        assert_eq!(l.fill(), 0);
        // The pooled assist time is counted at the next window: 10 ms of
        // assists in a 10 ms window, all GC time.
        l.update(110 * MS);
        assert_eq!(l.fill(), (10 * MS) as u64);
    }

    /// `startGCTransition(false)` counts the cycle: a limiter that turns on
    /// in the second cycle's mark reports cycle 2.
    #[test]
    fn last_enabled_cycle_counts_cycles() {
        let mut l = CpuLimiter::new(0, 1);
        l.start_gc_transition(true, 0);
        l.finish_gc_transition(0);
        l.start_gc_transition(false, MS);
        l.finish_gc_transition(MS);
        l.start_gc_transition(true, 2 * MS);
        l.finish_gc_transition(2 * MS);
        l.add_assist_time(2_000 * MS);
        l.update(2_002 * MS);
        assert!(l.limiting());
        assert_eq!(l.last_enabled_cycle(), 2);
    }

    /// Go throws on a transition to the same state.
    #[test]
    #[should_panic(expected = "same state")]
    fn transition_to_the_same_state_panics() {
        let mut l = CpuLimiter::new(0, 1);
        l.start_gc_transition(false, 0);
    }
}
