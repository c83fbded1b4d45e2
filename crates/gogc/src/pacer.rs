//! The pacer: when a cycle starts, how far the heap may grow, how much help
//! marking needs (Go 1.19: `runtime/mgcpacer.go`, `gcControllerState`).
//!
//! # What
//!
//! A collector that starts too late lets the heap overshoot its goal; one
//! that starts too early wastes CPU. Go's pacer picks a *heap goal* from
//! `GOGC` and the live heap the last cycle marked, and a *trigger*, the heap
//! size at which the next cycle starts, early enough that background marking
//! (25 % of the CPUs) finishes right at the goal. How early follows from the
//! *cons/mark ratio*: bytes the program allocates per byte the collector
//! scans, measured each cycle and smoothed by a PI controller (design
//! proposal 44167, "GC pacer redesign").
//!
//! # Layout
//!
//! ```text
//!   heap bytes ─────────────────────────────────────────────────────────▶
//!   0       heapMarked      0.70·growth   trigger   0.95·growth   goal
//!   │           │  sweep distance  │          │            │         │
//!   │           ├──── (1 MiB) ─▶   ├─ min ────┼──── max ───┤         │
//!   │           │                             │◀──── runway ────────▶│
//!   │           │◀──────────── growth = goal − heapMarked ──────────▶│
//!
//!   goal    = heapMarked + (heapMarked + lastStackScan + globalsScan)·GOGC/100,
//!             at least heapMinimum = 4 MiB·GOGC/100, at most the memory-limit
//!             goal; at least trigger + 64 KiB once a cycle has started
//!   runway  = consMark · (1 − 0.25)/0.25 · (lastHeapScan + lastStackScan + globalsScan)
//!   trigger = goal − runway, clamped to [max(0.70 bound, sweep distance), 0.95 bound]
//!             (the upper bound rises to goal − 4 MiB for big heaps)
//! ```
//!
//! # Invariants
//!
//! - I1: `trigger() ≤ heap_goal()` (Go throws if not; [`Pacer::trigger`]
//!   clamps so it cannot happen).
//! - I2: the assist ratios are finite and positive: the remaining work is at
//!   least 1000 units and the remaining heap at least 1 byte (`revise`).
//! - I3: `heap_live` is the bytes marked by the last cycle plus the bytes
//!   allocated since (Go's `heapLive`); it is what the trigger is tested
//!   against.
//!
//! # Tuning
//!
//! Every constant is Go 1.19's, named as there: background utilisation
//! 0.25, trigger bounds 45/64 and 61/64, minimum runway 64 KiB, PI
//! controller kp 0.9, ti 4.0, tt 1000, output in ±1000, memory-limit
//! headroom 1 MiB. Two are scaled by the heap's configurable minimum
//! ([`HeapBuilder::min_heap`](crate::HeapBuilder::min_heap), Go's
//! `defaultHeapMinimum`, 4 MiB): the big-heap trigger bound (`goal −
//! minimum`) and the sweep distance (`minimum / 4`, Go's 1 MiB
//! `sweepMinHeapDistance`). With the default minimum both are Go's numbers;
//! a host that shrinks the minimum to get small cycles gets a sweep distance
//! that shrinks with it.
//!
//! # Go correspondence
//!
//! Go 1.19 `runtime/mgcpacer.go`: `gcControllerState` → [`Pacer`];
//! `init`/`setGCPercent`/`setMemoryLimit` → [`Pacer::new`],
//! [`Pacer::set_gogc`], [`Pacer::set_memory_limit`]; `startCycle`,
//! `revise`, `endCycle`, `resetLive`, `update`, `commit`, `heapGoal`,
//! `memoryLimitHeapGoal`, `trigger` → the methods of the same names;
//! `piController` → `PiController`. `mgc.go`'s `gcTrigger.test`
//! (`gcTriggerHeap`) → [`Pacer::test_heap_trigger`].
//!
//! # Divergences
//!
//! - gogc has no goroutine stacks and no globals. Its roots are counted
//!   handles, found by root jobs over spans; the work of those jobs stands
//!   for `lastStackScan` (and `maxStackScan`), and `globalsScan` is 0.
//! - Scan work is gogc's: a scanned object counts its whole slot, where Go
//!   counts up to its last pointer word. The runway is a ratio of scan
//!   work to scan work, so the unit cancels out of the trigger.
//! - The memory-limit goal needs Go's `mappedReady`, `heapFree` and heap
//!   object bytes; the heap passes its span bytes, 0 (cached free page
//!   runs are not counted) and its live slot bytes
//!   ([`Pacer::set_memory`]).
//! - The CPU limiter (`mgclimit.go`) is a separate value,
//!   [`CpuLimiter`](crate::CpuLimiter), that the heap drives beside the
//!   pacer (assists skip their work while it limits); the pacer takes the
//!   assist and idle mark time it measures ([`Pacer::add_assist_time`],
//!   [`Pacer::add_idle_mark_time`]).
//! - Go converts the runway to `uint64` from a `float64`; a negative
//!   cons/mark estimate makes it negative, and Go 1.19 on amd64 wraps it to
//!   a huge runway (trigger at the lower bound). The pacer does the same
//!   (`go_uint64`); Go on arm64 would saturate it to 0 (trigger at the
//!   upper bound).
//! - Go's sweep distance (`commit`'s `isSweepDone`) and the minimum runway
//!   are kept. `GOGC=off` with no memory limit leaves Go's effectively
//!   infinite goal: the limit `i64::MAX` less the headroom.

/// Go's `gcBackgroundUtilization` (and `gcGoalUtilization`): the share of
/// the CPUs background marking aims to use.
pub const BACKGROUND_UTILIZATION: f64 = 0.25;

/// Go's `triggerRatioDen`, `minTriggerRatioNum`, `maxTriggerRatioNum`: the
/// trigger lies between 45/64 and 61/64 of the way from the marked heap to
/// the goal.
const TRIGGER_RATIO_DEN: u64 = 64;
const MIN_TRIGGER_RATIO_NUM: u64 = 45;
const MAX_TRIGGER_RATIO_NUM: u64 = 61;

/// Go's `minRunway` in `heapGoalInternal`: the goal stays this far above the
/// trigger once a cycle has started.
const MIN_RUNWAY: u64 = 64 << 10;

/// Go's `memoryLimitHeapGoalHeadroom`.
const MEMORY_LIMIT_HEADROOM: u64 = 1 << 20;

/// Go's `revise` floor on the remaining scan work.
const MIN_SCAN_WORK_REMAINING: i64 = 1000;

/// Go's `maxOvershoot` in `revise`.
const MAX_OVERSHOOT: f64 = 1.1;

/// `GOMEMLIMIT=off`: Go's `math.MaxInt64`.
pub const NO_MEMORY_LIMIT: u64 = i64::MAX as u64;

/// Go's `piController`: a proportional-integral controller that smooths the
/// measured cons/mark ratio from cycle to cycle.
#[derive(Clone, Debug)]
struct PiController {
    /// Proportional constant.
    kp: f64,
    /// Integral time constant.
    ti: f64,
    /// Reset time.
    tt: f64,
    min: f64,
    max: f64,
    err_integral: f64,
}

impl PiController {
    /// Go's `gcControllerState.init` tuning.
    const CONS_MARK: PiController = PiController {
        kp: 0.9,
        ti: 4.0,
        tt: 1000.0,
        min: -1000.0,
        max: 1000.0,
        err_integral: 0.0,
    };

    /// Go's `piController.next`: a new output for `input` moving towards
    /// `setpoint`; `None` (and a reset) if the arithmetic overflowed.
    fn next(&mut self, input: f64, setpoint: f64, period: f64) -> Option<f64> {
        let prop = self.kp * (setpoint - input);
        let raw_output = prop + self.err_integral;
        if raw_output.is_infinite() || raw_output.is_nan() {
            self.err_integral = 0.0;
            return None;
        }
        let output = raw_output.clamp(self.min, self.max);
        if self.ti != 0.0 && self.tt != 0.0 {
            self.err_integral += (self.kp * period / self.ti) * (setpoint - input)
                + (period / self.tt) * (output - raw_output);
            if self.err_integral.is_infinite() || self.err_integral.is_nan() {
                self.err_integral = 0.0;
                return None;
            }
        }
        Some(output)
    }
}

/// Go 1.19's GC pacer (`gcControllerState`), as a plain value the heap
/// drives: it holds the inputs (`GOGC`, the memory limit, the heap minimum),
/// the heap's counters, and the estimates each cycle updates.
///
/// The heap calls, as Go's runtime does: [`on_alloc`](Pacer::on_alloc) for
/// every allocation; [`test_heap_trigger`](Pacer::test_heap_trigger) to
/// decide whether to start a cycle; [`start_cycle`](Pacer::start_cycle) when
/// one starts; [`add_scan_work`](Pacer::add_scan_work) while it marks
/// (with mark workers also [`revise`](Pacer::revise) and
/// [`assist_work_per_byte`](Pacer::assist_work_per_byte) at every assist);
/// [`add_assist_time`](Pacer::add_assist_time) and
/// [`add_idle_mark_time`](Pacer::add_idle_mark_time) with the marking time
/// it measured, then [`end_cycle`](Pacer::end_cycle),
/// [`reset_live`](Pacer::reset_live) and [`commit`](Pacer::commit) at mark
/// termination.
///
/// ```
/// use gogc::Pacer;
///
/// let mut pacer = Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
/// // A fresh program: goal 4 MiB; no cons/mark estimate yet, so the trigger
/// // sits at the upper bound, 61/64 of the goal.
/// assert_eq!(pacer.trigger(), ((4 << 20) / 64 * 61, 4 << 20));
/// pacer.on_alloc(4 << 20, true);
/// assert!(pacer.test_heap_trigger());
/// ```
#[derive(Clone, Debug)]
pub struct Pacer {
    /// `GOGC`; -1 for off (Go's `gcPercent`).
    gc_percent: i64,
    /// Go's `memoryLimit`.
    memory_limit: u64,
    /// The heap minimum before `GOGC` scaling (Go's `defaultHeapMinimum`).
    default_heap_minimum: u64,
    /// `default_heap_minimum × GOGC/100` (Go's `heapMinimum`).
    heap_minimum: u64,
    runway: u64,
    cons_mark: f64,
    cons_mark_controller: PiController,
    gc_percent_heap_goal: u64,
    sweep_dist_min_trigger: u64,
    /// The trigger of the cycle in progress; `u64::MAX` between cycles.
    triggered: u64,
    last_heap_goal: u64,
    heap_live: u64,
    /// Scannable heap bytes (Go's `heapScan`): fixed while a cycle marks.
    heap_scan: u64,
    last_heap_scan: u64,
    last_stack_scan: u64,
    max_stack_scan: u64,
    globals_scan: u64,
    heap_marked: u64,
    heap_scan_work: u64,
    stack_scan_work: u64,
    assist_time: i64,
    idle_mark_time: i64,
    mark_start_time: i64,
    dedicated_mark_workers_needed: i64,
    fractional_utilization_goal: f64,
    assist_work_per_byte: f64,
    assist_bytes_per_work: f64,
    /// Go's `mappedReady`, `heapFree`, `totalAlloc − totalFree`.
    mapped_ready: u64,
    heap_free: u64,
    heap_alloc: u64,
}

impl Pacer {
    /// A pacer for `gogc` (`None` is `GOGC=off`), a memory limit in bytes
    /// ([`NO_MEMORY_LIMIT`] for none; values above it mean none) and a heap
    /// minimum (Go's 4 MiB `defaultHeapMinimum`). Go:
    /// `gcController.init(readGOGC(), readGOMEMLIMIT())`.
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(50), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.heap_goal(), 2 << 20); // 4 MiB × 50/100
    /// ```
    pub fn new(gogc: Option<u32>, memory_limit: u64, heap_minimum: u64) -> Pacer {
        let mut pacer = Pacer {
            gc_percent: 100,
            memory_limit: NO_MEMORY_LIMIT,
            default_heap_minimum: heap_minimum,
            heap_minimum,
            runway: 0,
            cons_mark: 0.0,
            cons_mark_controller: PiController::CONS_MARK,
            gc_percent_heap_goal: 0,
            sweep_dist_min_trigger: 0,
            triggered: u64::MAX,
            last_heap_goal: 0,
            heap_live: 0,
            heap_scan: 0,
            last_heap_scan: 0,
            last_stack_scan: 0,
            max_stack_scan: 0,
            globals_scan: 0,
            heap_marked: 0,
            heap_scan_work: 0,
            stack_scan_work: 0,
            assist_time: 0,
            idle_mark_time: 0,
            mark_start_time: 0,
            dedicated_mark_workers_needed: 0,
            fractional_utilization_goal: 0.0,
            assist_work_per_byte: 0.0,
            assist_bytes_per_work: 0.0,
            mapped_ready: 0,
            heap_free: 0,
            heap_alloc: 0,
        };
        pacer.set_gogc(gogc);
        pacer.set_memory_limit(memory_limit);
        // No sweep phase before the first cycle.
        pacer.commit(true);
        pacer
    }

    /// Sets `GOGC` (Go's `setGCPercent`; call [`commit`](Pacer::commit)
    /// after). The heap minimum scales with it.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.set_gogc(Some(200));
    /// pacer.commit(true);
    /// assert_eq!(pacer.heap_goal(), 8 << 20);
    /// ```
    pub fn set_gogc(&mut self, gogc: Option<u32>) {
        self.gc_percent = gogc.map_or(-1, i64::from);
        let percent = gogc.map_or(0, u64::from);
        self.heap_minimum = self.default_heap_minimum.saturating_mul(percent) / 100;
    }

    /// Sets the memory limit (Go's `setMemoryLimit`; call
    /// [`commit`](Pacer::commit) after). Values above [`NO_MEMORY_LIMIT`]
    /// are taken as it.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.set_memory_limit(3 << 20);
    /// pacer.commit(true);
    /// assert_eq!(pacer.heap_goal(), 2 << 20); // 3 MiB less 1 MiB headroom
    /// ```
    pub fn set_memory_limit(&mut self, bytes: u64) {
        self.memory_limit = bytes.min(NO_MEMORY_LIMIT);
    }

    /// The memory limit in bytes.
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), 1 << 30, 4 << 20);
    /// assert_eq!(pacer.memory_limit(), 1 << 30);
    /// ```
    pub fn memory_limit(&self) -> u64 {
        self.memory_limit
    }

    /// Updates the memory figures the memory-limit goal reads: bytes of
    /// memory the heap holds (Go's `mappedReady`), of it free for reuse
    /// (`heapFree`), and in objects (`totalAlloc − totalFree`).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), 8 << 20, 4 << 20);
    /// pacer.set_memory(6 << 20, 0, 2 << 20); // 4 MiB of overhead
    /// assert_eq!(pacer.heap_goal(), 3 << 20); // 8 − 4 − 1 MiB headroom
    /// ```
    pub fn set_memory(&mut self, mapped_ready: u64, heap_free: u64, heap_alloc: u64) {
        self.mapped_ready = mapped_ready;
        self.heap_free = heap_free;
        self.heap_alloc = heap_alloc;
    }

    /// Counts an allocation of `bytes` (Go's `gcControllerState.update`):
    /// the live heap grows; while no cycle marks, a `scannable` object also
    /// grows the scannable heap; while one marks, the assist ratio is
    /// revised.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.on_alloc(4096, true);
    /// assert_eq!(pacer.heap_live(), 4096);
    /// ```
    pub fn on_alloc(&mut self, bytes: u64, scannable: bool) {
        self.heap_live = self.heap_live.saturating_add(bytes);
        if self.triggered == u64::MAX {
            if scannable {
                self.heap_scan = self.heap_scan.saturating_add(bytes);
            }
        } else {
            self.revise();
        }
    }

    /// Adds marking work done: `heap` units scanning objects (Go's
    /// `heapScanWork`) and `roots` units of root jobs (standing for Go's
    /// `stackScanWork`; gogc has no globals).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.add_scan_work(1000, 24);
    /// assert_eq!(pacer.scan_work(), 1024);
    /// ```
    pub fn add_scan_work(&mut self, heap: u64, roots: u64) {
        self.heap_scan_work = self.heap_scan_work.saturating_add(heap);
        self.stack_scan_work = self.stack_scan_work.saturating_add(roots);
    }

    /// Scan work done in the cycle in progress (heap, stacks and globals).
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.scan_work(), 0);
    /// ```
    pub fn scan_work(&self) -> u64 {
        self.heap_scan_work.saturating_add(self.stack_scan_work)
    }

    /// Adds mark-assist time in nanoseconds (Go's `assistTime`), which
    /// `end_cycle` counts as GC utilisation above the background 25 %.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.add_assist_time(5_000);
    /// ```
    pub fn add_assist_time(&mut self, nanos: i64) {
        self.assist_time = self.assist_time.saturating_add(nanos);
    }

    /// Adds idle-worker mark time in nanoseconds (Go's `idleMarkTime`).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.add_idle_mark_time(5_000);
    /// ```
    pub fn add_idle_mark_time(&mut self, nanos: i64) {
        self.idle_mark_time = self.idle_mark_time.saturating_add(nanos);
    }

    /// Go's `gcTrigger{kind: gcTriggerHeap}.test`: whether the live heap has
    /// reached the trigger. Call it only while no cycle marks.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert!(!pacer.test_heap_trigger());
    /// ```
    pub fn test_heap_trigger(&self) -> bool {
        self.heap_live >= self.trigger().0
    }

    /// Go's `startCycle`: records the trigger, computes the mark workers for
    /// `procs` processors and the first assist ratio. `mark_start_nanos` is
    /// the time the cycle starts, on any clock `end_cycle` uses too.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.start_cycle(0, 4);
    /// assert_eq!(pacer.dedicated_mark_workers(), 1);
    /// assert_eq!(pacer.fractional_utilization_goal(), 0.0);
    /// ```
    pub fn start_cycle(&mut self, mark_start_nanos: i64, procs: u32) {
        self.heap_scan_work = 0;
        self.stack_scan_work = 0;
        self.assist_time = 0;
        self.idle_mark_time = 0;
        self.mark_start_time = mark_start_nanos;
        let (trigger, _) = self.trigger();
        self.triggered = trigger;

        // Round the dedicated workers to the nearest whole number; if that
        // misses 25 % by more than 30 % (GOMAXPROCS ≤ 3 or 6), round down and
        // make up the rest with a fractional worker.
        let procs = procs.max(1);
        let total_utilization_goal = f64::from(procs) * BACKGROUND_UTILIZATION;
        // Truncation of a non-negative value: Go's `int64(x + 0.5)`.
        let mut dedicated = (total_utilization_goal + 0.5) as i64;
        let util_error = dedicated as f64 / total_utilization_goal - 1.0;
        const MAX_UTIL_ERROR: f64 = 0.3;
        if !(-MAX_UTIL_ERROR..=MAX_UTIL_ERROR).contains(&util_error) {
            if dedicated as f64 > total_utilization_goal {
                dedicated -= 1;
            }
            self.fractional_utilization_goal =
                (total_utilization_goal - dedicated as f64) / f64::from(procs);
        } else {
            self.fractional_utilization_goal = 0.0;
        }
        self.dedicated_mark_workers_needed = dedicated;
        self.revise();
    }

    /// Go's `revise`: the assist ratio for the rest of the cycle, from the
    /// scan work left and the heap left before the goal. When more work than
    /// expected has been done, the goal is stretched in proportion (at most
    /// to `(1 + GOGC/100) × goal`); when the heap is past even that, the goal
    /// becomes `1.1 × goal` and the work left its worst case.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.on_alloc(3 << 20, true);
    /// pacer.start_cycle(0, 1);
    /// // No scan work expected yet: the floor of 1000 units over the 1 MiB
    /// // left before the 4 MiB goal.
    /// assert_eq!(pacer.assist_work_per_byte(), 1000.0 / f64::from(1 << 20));
    /// ```
    pub fn revise(&mut self) {
        let gc_percent = if self.gc_percent < 0 {
            100_000
        } else {
            self.gc_percent
        };
        let live = to_i64(self.heap_live);
        let work = to_i64(self.scan_work());
        let mut heap_goal = to_i64(self.heap_goal());
        let mut scan_work_expected = to_i64(self.expected_scan_work());
        let max_scan_work = to_i64(
            self.heap_scan
                .saturating_add(self.max_stack_scan)
                .saturating_add(self.globals_scan),
        );
        if work > scan_work_expected {
            let triggered = to_i64(self.triggered);
            // Go divides by the expected work, never 0 there (a Go program
            // always has globals). With nothing expected the stretch is
            // unbounded, so the hard goal below applies.
            let mut ext_heap_goal = if scan_work_expected > 0 {
                (((heap_goal - triggered) as f64 / scan_work_expected as f64 * max_scan_work as f64)
                    as i64)
                    .saturating_add(triggered)
            } else {
                i64::MAX
            };
            scan_work_expected = max_scan_work;
            let hard_goal = ((1.0 + gc_percent as f64 / 100.0) * heap_goal as f64) as i64;
            if ext_heap_goal > hard_goal {
                ext_heap_goal = hard_goal;
            }
            heap_goal = ext_heap_goal;
        }
        if live > heap_goal {
            heap_goal = (heap_goal as f64 * MAX_OVERSHOOT) as i64;
            scan_work_expected = max_scan_work;
        }
        let scan_work_remaining = (scan_work_expected - work).max(MIN_SCAN_WORK_REMAINING);
        let heap_remaining = (heap_goal - live).max(1);
        self.assist_work_per_byte = scan_work_remaining as f64 / heap_remaining as f64;
        self.assist_bytes_per_work = heap_remaining as f64 / scan_work_remaining as f64;
    }

    /// Go's `endCycle`: measures this cycle's cons/mark ratio and feeds it
    /// to the controller. `now_nanos` is on `start_cycle`'s clock; `procs`
    /// as there. Returns nothing; the estimate shows in
    /// [`cons_mark`](Pacer::cons_mark) and, after `commit`, in the runway.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.on_alloc(4 << 20, true);
    /// pacer.start_cycle(0, 1);
    /// pacer.add_scan_work(3 << 20, 0);
    /// pacer.on_alloc(1 << 20, true); // allocated while marking
    /// pacer.end_cycle(1_000_000, 1);
    /// assert!(pacer.cons_mark() > 0.0);
    /// ```
    pub fn end_cycle(&mut self, now_nanos: i64, procs: u32) {
        self.last_heap_goal = self.heap_goal();
        let assist_duration = now_nanos.saturating_sub(self.mark_start_time);
        let procs = i64::from(procs.max(1));
        let mut utilization = BACKGROUND_UTILIZATION;
        if assist_duration > 0 {
            utilization += self.assist_time as f64 / assist_duration.saturating_mul(procs) as f64;
        }
        if self.heap_live <= self.triggered {
            // The cycle was too short (or forced early) to measure anything.
            return;
        }
        let mut idle_utilization = 0.0;
        if assist_duration > 0 {
            idle_utilization =
                self.idle_mark_time as f64 / assist_duration.saturating_mul(procs) as f64;
        }
        let scan_work = self.scan_work();
        let current_cons_mark = ((self.heap_live - self.triggered) as f64
            * (utilization + idle_utilization))
            / (scan_work as f64 * (1.0 - utilization));
        self.cons_mark = self
            .cons_mark_controller
            .next(self.cons_mark, current_cons_mark, 1.0)
            .unwrap_or(0.0);
    }

    /// Go's `resetLive`, at mark termination: the live heap becomes the
    /// bytes marked, and this cycle's scan work becomes the next cycle's
    /// estimate.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.on_alloc(5 << 20, true);
    /// pacer.reset_live(2 << 20);
    /// assert_eq!((pacer.heap_live(), pacer.heap_marked()), (2 << 20, 2 << 20));
    /// ```
    pub fn reset_live(&mut self, bytes_marked: u64) {
        self.heap_marked = bytes_marked;
        self.heap_live = bytes_marked;
        self.heap_scan = self.heap_scan_work;
        self.last_heap_scan = self.heap_scan_work;
        self.last_stack_scan = self.stack_scan_work;
        self.max_stack_scan = self.stack_scan_work;
        self.triggered = u64::MAX;
    }

    /// Go's `commit`: the `GOGC` goal and the runway for the next cycle.
    /// `sweep_done` is whether the last cycle's sweep has finished; if not,
    /// the trigger keeps a sweep distance (a quarter of the heap minimum,
    /// Go's 1 MiB) above the live heap.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.reset_live(10 << 20);
    /// pacer.commit(true);
    /// assert_eq!(pacer.heap_goal(), 20 << 20);
    /// ```
    pub fn commit(&mut self, sweep_done: bool) {
        self.sweep_dist_min_trigger = if sweep_done {
            0
        } else {
            self.heap_live
                .saturating_add(self.sweep_min_heap_distance())
        };
        let mut goal = u64::MAX;
        if self.gc_percent >= 0 {
            let base = self
                .heap_marked
                .saturating_add(self.last_stack_scan)
                .saturating_add(self.globals_scan);
            goal = self
                .heap_marked
                .saturating_add(base.saturating_mul(self.gc_percent as u64) / 100);
        }
        self.gc_percent_heap_goal = goal.max(self.heap_minimum);
        let expected_scan = self.expected_scan_work();
        let runway = self.cons_mark * (1.0 - BACKGROUND_UTILIZATION) / BACKGROUND_UTILIZATION
            * expected_scan as f64;
        self.runway = go_uint64(runway);
    }

    /// The scan work the last cycle did, expected of the next one (Go's
    /// `lastHeapScan + lastStackScan + globalsScan`, which wraps in Go and
    /// saturates here: the inputs are caller-supplied byte counts).
    fn expected_scan_work(&self) -> u64 {
        self.last_heap_scan
            .saturating_add(self.last_stack_scan)
            .saturating_add(self.globals_scan)
    }

    /// Go's `sweepMinHeapDistance` scaled with the heap minimum.
    fn sweep_min_heap_distance(&self) -> u64 {
        self.default_heap_minimum / 4
    }

    /// The heap goal (Go's `heapGoal`).
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.heap_goal(), 4 << 20);
    /// ```
    pub fn heap_goal(&self) -> u64 {
        self.heap_goal_internal().0
    }

    /// Go's `heapGoalInternal`: the goal and the lowest trigger the sweep
    /// distance allows.
    fn heap_goal_internal(&self) -> (u64, u64) {
        let mut goal = self.gc_percent_heap_goal;
        let mut min_trigger = 0;
        let limit_goal = self.memory_limit_heap_goal();
        if limit_goal < goal {
            goal = limit_goal;
        } else {
            let sweep_dist_trigger = self.sweep_dist_min_trigger;
            if sweep_dist_trigger > goal {
                goal = sweep_dist_trigger;
            }
            min_trigger = sweep_dist_trigger;
            if self.triggered != u64::MAX && goal < self.triggered.saturating_add(MIN_RUNWAY) {
                goal = self.triggered.saturating_add(MIN_RUNWAY);
            }
        }
        (goal, min_trigger)
    }

    /// Go's `memoryLimitHeapGoal`: the memory limit less what is not heap
    /// objects, less what is already over the limit, less 1 MiB headroom;
    /// never below the marked heap.
    fn memory_limit_heap_goal(&self) -> u64 {
        let non_heap = self
            .mapped_ready
            .saturating_sub(self.heap_free)
            .saturating_sub(self.heap_alloc);
        let overage = self.mapped_ready.saturating_sub(self.memory_limit);
        if non_heap.saturating_add(overage) >= self.memory_limit {
            return self.heap_marked;
        }
        let mut goal = self.memory_limit - (non_heap + overage);
        if goal < MEMORY_LIMIT_HEADROOM || goal - MEMORY_LIMIT_HEADROOM < MEMORY_LIMIT_HEADROOM {
            goal = MEMORY_LIMIT_HEADROOM;
        } else {
            goal -= MEMORY_LIMIT_HEADROOM;
        }
        goal.max(self.heap_marked)
    }

    /// Go's `trigger`: the heap size at which the next cycle starts, and
    /// the goal. The trigger is `goal − runway`, kept between 45/64 and
    /// 61/64 of the way from the marked heap to the goal (the upper bound
    /// rises to `goal − heap minimum` for big heaps) and at or above the
    /// sweep distance.
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.reset_live(100 << 20);
    /// pacer.commit(true);
    /// // No runway estimate: the upper bound, here goal − 4 MiB (above the
    /// // 61/64 point, 195.3 MiB).
    /// assert_eq!(pacer.trigger(), (196 << 20, 200 << 20));
    /// ```
    pub fn trigger(&self) -> (u64, u64) {
        let (goal, mut min_trigger) = self.heap_goal_internal();
        if self.heap_marked >= goal {
            return (goal, goal);
        }
        let marked = self.heap_marked;
        min_trigger = min_trigger.max(marked);
        let growth = goal - marked;
        let lower_bound = growth / TRIGGER_RATIO_DEN * MIN_TRIGGER_RATIO_NUM + marked;
        min_trigger = min_trigger.max(lower_bound);
        let mut max_trigger = growth / TRIGGER_RATIO_DEN * MAX_TRIGGER_RATIO_NUM + marked;
        let minimum = self.default_heap_minimum;
        if goal > minimum && goal - minimum > max_trigger {
            max_trigger = goal - minimum;
        }
        max_trigger = max_trigger.max(min_trigger);
        let trigger = goal
            .checked_sub(self.runway)
            .unwrap_or(min_trigger)
            .clamp(min_trigger, max_trigger);
        // I1: `min_trigger ≤ goal` (the sweep distance only counts when it
        // also raised the goal), so the clamp keeps `trigger ≤ goal`.
        debug_assert!(trigger <= goal, "trigger {trigger} above goal {goal}");
        (trigger, goal)
    }

    /// Go's `heapLive`: bytes marked by the last cycle plus bytes allocated
    /// since (I3).
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.heap_live(), 0);
    /// ```
    pub fn heap_live(&self) -> u64 {
        self.heap_live
    }

    /// Go's `heapMarked`: bytes the last cycle marked.
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.heap_marked(), 0);
    /// ```
    pub fn heap_marked(&self) -> u64 {
        self.heap_marked
    }

    /// The goal the last `end_cycle` saw (Go's `lastHeapGoal`, the goal
    /// gctrace prints).
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.last_heap_goal(), 0);
    /// ```
    pub fn last_heap_goal(&self) -> u64 {
        self.last_heap_goal
    }

    /// The trigger the cycle in progress started at (`None` between
    /// cycles; Go's `triggered`).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.triggered(), None);
    /// pacer.start_cycle(0, 1);
    /// assert_eq!(pacer.triggered(), Some(pacer.trigger().0));
    /// ```
    pub fn triggered(&self) -> Option<u64> {
        (self.triggered != u64::MAX).then_some(self.triggered)
    }

    /// The smoothed cons/mark estimate (Go's `consMark`).
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.cons_mark(), 0.0);
    /// ```
    pub fn cons_mark(&self) -> f64 {
        self.cons_mark
    }

    /// The runway in bytes `commit` computed (Go's `runway`).
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.runway(), 0);
    /// ```
    pub fn runway(&self) -> u64 {
        self.runway
    }

    /// Dedicated mark workers the cycle wants (Go's
    /// `dedicatedMarkWorkersNeeded` at `startCycle`).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.start_cycle(0, 8);
    /// assert_eq!(pacer.dedicated_mark_workers(), 2);
    /// ```
    pub fn dedicated_mark_workers(&self) -> i64 {
        self.dedicated_mark_workers_needed
    }

    /// The share of each processor's time a fractional worker should mark
    /// (Go's `fractionalUtilizationGoal`).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.start_cycle(0, 2);
    /// assert_eq!(pacer.fractional_utilization_goal(), 0.25);
    /// ```
    pub fn fractional_utilization_goal(&self) -> f64 {
        self.fractional_utilization_goal
    }

    /// Scan work an allocation must pay per byte while marking (Go's
    /// `assistWorkPerByte`).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.start_cycle(0, 1);
    /// assert!(pacer.assist_work_per_byte() > 0.0);
    /// ```
    pub fn assist_work_per_byte(&self) -> f64 {
        self.assist_work_per_byte
    }

    /// Bytes of allocation one unit of scan work pays for (Go's
    /// `assistBytesPerWork`).
    ///
    /// ```
    /// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// pacer.start_cycle(0, 1);
    /// assert!(pacer.assist_bytes_per_work() * pacer.assist_work_per_byte() > 0.99);
    /// ```
    pub fn assist_bytes_per_work(&self) -> f64 {
        self.assist_bytes_per_work
    }

    /// Go's `maxStackScan`: the root scan work the heap expects (the last
    /// cycle's), which gctrace prints as stacks.
    ///
    /// ```
    /// let pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
    /// assert_eq!(pacer.max_stack_scan(), 0);
    /// ```
    pub fn max_stack_scan(&self) -> u64 {
        self.max_stack_scan
    }
}

/// Go's `uint64(x)` of a `float64` as Go 1.19 compiles it for amd64 (the
/// platform the conformance fixtures were recorded on): through `int64`, so
/// a negative value wraps to a huge one (Rust's `as u64` would give 0).
/// This matters for the runway: a negative cons/mark estimate (Go's
/// controller produces them when a cycle's measured utilisation passes
/// 100 %) gives a runway longer than any goal, so the trigger goes to its
/// lower bound, not (as with 0) to its upper bound. (arm64's conversion
/// saturates to 0 instead; the Go spec leaves it to the implementation.)
fn go_uint64(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x < TWO_63 {
        // `as i64` saturates out-of-range values to `i64::MIN`, the "integer
        // indefinite" amd64's CVTTSD2SQ returns; the cast to u64 wraps.
        x as i64 as u64
    } else {
        ((x - TWO_63) as i64 as u64) ^ (1 << 63)
    }
}

/// Go does this arithmetic in `int64`; the counters here are `u64`.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn pacer(gogc: u32) -> Pacer {
        Pacer::new(Some(gogc), NO_MEMORY_LIMIT, 4 * MIB)
    }

    /// `commit`: goal = marked + (marked + stacks + globals) × GOGC/100.
    #[test]
    fn commit_goal_counts_marked_and_root_work() {
        let mut p = pacer(100);
        p.stack_scan_work = 2 * MIB;
        p.reset_live(10 * MIB);
        p.commit(true);
        assert_eq!(p.heap_goal(), 10 * MIB + 12 * MIB);
        let mut p = pacer(50);
        p.reset_live(10 * MIB);
        p.commit(true);
        assert_eq!(p.heap_goal(), 15 * MIB);
    }

    /// `setGCPercent` + `commit`: the floor is 4 MiB × GOGC/100.
    #[test]
    fn commit_goal_floor_scales_with_gogc() {
        for (gogc, floor) in [(50, 2 * MIB), (100, 4 * MIB), (200, 8 * MIB), (0, 0)] {
            let mut p = pacer(gogc);
            p.reset_live(100 << 10);
            p.commit(true);
            let formula = (100u64 << 10) + (100u64 << 10) * u64::from(gogc) / 100;
            assert_eq!(p.heap_goal(), floor.max(formula), "GOGC={gogc}");
        }
    }

    /// `commit` with GOGC=off: only the memory limit bounds the goal.
    #[test]
    fn gogc_off_leaves_the_memory_limit_goal() {
        let p = Pacer::new(None, NO_MEMORY_LIMIT, 4 * MIB);
        assert_eq!(p.heap_goal(), NO_MEMORY_LIMIT - MIB);
        let p = Pacer::new(None, 64 * MIB, 4 * MIB);
        assert_eq!(p.heap_goal(), 63 * MIB);
    }

    /// `memoryLimitHeapGoal`: limit − non-heap − overage − 1 MiB, at least
    /// 1 MiB and at least the marked heap; non-heap past the limit gives
    /// the marked heap.
    #[test]
    fn memory_limit_goal_rules() {
        let mut p = Pacer::new(Some(100), 32 * MIB, 4 * MIB);
        p.reset_live(20 * MIB);
        p.commit(true);
        // GOGC says 40 MiB; the limit says 32 − 1.
        assert_eq!(p.heap_goal(), 31 * MIB);
        // 6 MiB mapped, 2 MiB of objects: 4 MiB of overhead.
        p.set_memory(6 * MIB, 0, 2 * MIB);
        assert_eq!(p.heap_goal(), 27 * MIB);
        // Free memory is not overhead.
        p.set_memory(6 * MIB, 4 * MIB, 2 * MIB);
        assert_eq!(p.heap_goal(), 31 * MIB);
        // 40 MiB mapped: 8 MiB over the limit comes off too.
        p.set_memory(40 * MIB, 0, 38 * MIB);
        assert_eq!(p.heap_goal(), 32 * MIB - 2 * MIB - 8 * MIB - MIB);
        // But never below the marked heap.
        p.set_memory(60 * MIB, 0, 38 * MIB);
        assert_eq!(p.heap_goal(), 20 * MIB);
        // Tiny limits: the headroom floor.
        let p = Pacer::new(Some(100), MIB + 1, 4 * MIB);
        assert_eq!(p.heap_goal(), MIB);
    }

    /// `trigger` with no runway: 61/64 of the growth for small heaps.
    #[test]
    fn trigger_upper_bound_small_heap() {
        let mut p = pacer(100);
        p.reset_live(MIB);
        p.commit(true);
        // goal 4 MiB; growth 3 MiB; 3 MiB / 64 × 61 + 1 MiB.
        assert_eq!(p.trigger(), (3 * MIB / 64 * 61 + MIB, 4 * MIB));
    }

    /// `trigger`: for big heaps the upper bound rises to goal − 4 MiB.
    #[test]
    fn trigger_upper_bound_big_heap() {
        let mut p = pacer(100);
        p.reset_live(100 * MIB);
        p.commit(true);
        assert_eq!(p.trigger(), (196 * MIB, 200 * MIB));
        // 61/64 of 100 MiB is 95.3 MiB < 96: the raised bound wins. At
        // GOGC=50, growth 50 MiB: 61/64 → 47.66 MiB > 46 MiB.
        let mut p = pacer(50);
        p.reset_live(100 * MIB);
        p.commit(true);
        assert_eq!(p.trigger(), (50 * MIB / 64 * 61 + 100 * MIB, 150 * MIB));
    }

    /// `trigger`: a long runway is clamped at 45/64 of the growth.
    #[test]
    fn trigger_lower_bound() {
        let mut p = pacer(100);
        p.reset_live(10 * MIB);
        p.cons_mark = 100.0;
        p.last_heap_scan = 10 * MIB;
        p.commit(true);
        assert!(p.runway() > 20 * MIB);
        assert_eq!(p.trigger(), (10 * MIB / 64 * 45 + 10 * MIB, 20 * MIB));
    }

    /// `commit` with a negative cons/mark (Go's controller gives one after
    /// a cycle measured above 100 % utilisation): Go's amd64 `uint64()`
    /// wraps the negative runway to a huge one, so the trigger is the lower
    /// bound.
    #[test]
    fn negative_cons_mark_puts_the_trigger_at_the_lower_bound() {
        let mut p = pacer(100);
        p.reset_live(10 * MIB);
        p.cons_mark = -27.38;
        p.last_heap_scan = MIB;
        p.commit(true);
        let runway = -27.38f64 * 3.0 * MIB as f64;
        assert_eq!(p.runway(), (runway as i64) as u64);
        assert!(p.runway() > p.heap_goal());
        assert_eq!(p.trigger(), (10 * MIB / 64 * 45 + 10 * MIB, 20 * MIB));
    }

    /// `go_uint64`: Go amd64's float64 → uint64 conversion.
    #[test]
    fn go_uint64_matches_amd64() {
        assert_eq!(go_uint64(5.9), 5);
        assert_eq!(go_uint64(-1.0), u64::MAX);
        assert_eq!(go_uint64(-2.5), u64::MAX - 1);
        assert_eq!(go_uint64(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(go_uint64(-1e300), 1 << 63);
    }

    /// `commit`'s runway = consMark × 3 × expected scan work; the trigger is
    /// goal − runway when that is inside the bounds.
    #[test]
    fn trigger_follows_the_runway() {
        let mut p = pacer(100);
        p.reset_live(10 * MIB);
        p.cons_mark = 0.1;
        p.last_heap_scan = 8 * MIB;
        p.commit(true);
        let runway = (0.1f64 * 3.0 * (8 * MIB) as f64) as u64;
        assert_eq!(p.runway(), runway);
        assert_eq!(p.trigger(), (20 * MIB - runway, 20 * MIB));
    }

    /// `commit(isSweepDone=false)`: the trigger stays 1 MiB above the live
    /// heap, raising the goal if it must.
    #[test]
    fn sweep_distance() {
        let mut p = pacer(100);
        p.reset_live(3 * MIB + MIB / 2);
        p.commit(false);
        // goal max(4 MiB floor, 7 MiB) = 7 MiB; lower bound 5.96 MiB > 4.5.
        assert_eq!(p.heap_goal(), 7 * MIB);
        let mut p = pacer(100);
        p.reset_live(MIB / 2);
        p.commit(false);
        assert_eq!(p.heap_goal(), 4 * MIB);
        let mut p = Pacer::new(Some(10), NO_MEMORY_LIMIT, 4 * MIB);
        p.reset_live(2 * MIB);
        p.commit(false);
        // GOGC=10: 2.2 MiB < 2 + 1 MiB of sweep distance.
        assert_eq!(p.heap_goal(), 3 * MIB);
        assert_eq!(p.trigger(), (3 * MIB, 3 * MIB));
    }

    /// `heapGoalInternal`: once triggered, goal ≥ trigger + 64 KiB.
    #[test]
    fn min_runway_above_the_trigger() {
        let mut p = pacer(100);
        p.on_alloc(5 * MIB, true);
        p.start_cycle(0, 1);
        assert_eq!(p.triggered(), Some(4 * MIB / 64 * 61));
        assert_eq!(p.heap_goal(), 4 * MIB);
        p.triggered = 4 * MIB - 1;
        assert_eq!(p.heap_goal(), 4 * MIB - 1 + (64 << 10));
    }

    /// `startCycle`'s worker split, gc.md table (b).
    #[test]
    fn start_cycle_workers() {
        let table: [(u32, i64, f64); 8] = [
            (1, 0, 0.25),
            (2, 0, 0.25),
            (3, 0, 0.25),
            (4, 1, 0.0),
            (5, 1, 0.0),
            (6, 1, 0.5 / 6.0),
            (8, 2, 0.0),
            (16, 4, 0.0),
        ];
        for (procs, dedicated, fractional) in table {
            let mut p = pacer(100);
            p.start_cycle(0, procs);
            assert_eq!(p.dedicated_mark_workers(), dedicated, "P={procs}");
            assert!(
                (p.fractional_utilization_goal() - fractional).abs() < 1e-12,
                "P={procs}: {}",
                p.fractional_utilization_goal()
            );
        }
    }

    /// `revise` in the normal regime: remaining work over remaining heap.
    #[test]
    fn revise_assist_ratio() {
        let mut p = pacer(100);
        p.last_heap_scan = 8 * MIB;
        p.heap_scan = 10 * MIB;
        p.reset_live(10 * MIB);
        p.last_heap_scan = 8 * MIB;
        p.heap_scan = 12 * MIB;
        p.commit(true);
        p.on_alloc(5 * MIB, true);
        p.start_cycle(0, 1);
        p.add_scan_work(2 * MIB, 0);
        p.on_alloc(MIB, true);
        // goal 20 MiB, live 16 MiB, work left 6 MiB.
        assert_eq!(p.assist_work_per_byte(), 6.0 / 4.0);
        assert_eq!(p.assist_bytes_per_work(), 4.0 / 6.0);
    }

    /// `revise` when scan work passes the estimate: the goal extends to
    /// trigger + (goal − trigger) × maxScanWork / expected, at most
    /// (1 + GOGC/100) × goal.
    #[test]
    fn revise_extends_the_goal() {
        let mut p = pacer(100);
        p.reset_live(10 * MIB);
        p.last_heap_scan = 4 * MIB;
        p.heap_scan = 12 * MIB;
        p.commit(true);
        p.on_alloc(5 * MIB, true); // live 15 MiB, scannable 17 MiB
        p.start_cycle(0, 1);
        let trigger = p.triggered().unwrap();
        p.add_scan_work(5 * MIB, 0);
        p.revise();
        let ext = ((20 * MIB - trigger) as f64 / (4 * MIB) as f64 * (17 * MIB) as f64) as i64
            + trigger as i64;
        let ext = ext.min(40 * MIB as i64);
        let want = (17 * MIB - 5 * MIB) as f64 / (ext - 15 * MIB as i64) as f64;
        assert_eq!(p.assist_work_per_byte(), want);
    }

    /// `revise` past even the extended goal: goal × 1.1, worst-case work.
    #[test]
    fn revise_overshoot() {
        let mut p = pacer(100);
        p.reset_live(10 * MIB);
        p.commit(true);
        p.on_alloc(11 * MIB, true); // live 21 MiB > goal 20 MiB
        p.start_cycle(0, 1);
        let heap_left = (20.0 * MIB as f64 * 1.1) as i64 - 21 * MIB as i64;
        assert_eq!(
            p.assist_work_per_byte(),
            (11 * MIB) as f64 / heap_left as f64
        );
        // Past 1.1 × goal: the heap-left floor of 1 byte.
        p.on_alloc(10 * MIB, true);
        assert_eq!(p.assist_work_per_byte(), (11 * MIB) as f64);
    }

    /// `endCycle`: consMark from (heapLive − trigger) × u / (work × (1 − u)),
    /// through the PI controller: first output kp × error.
    #[test]
    fn end_cycle_cons_mark() {
        let mut p = pacer(100);
        p.on_alloc(4 * MIB, true);
        p.start_cycle(0, 1);
        let triggered = p.triggered().unwrap();
        p.add_scan_work(3 * MIB, 0);
        p.on_alloc(MIB, true);
        p.end_cycle(1_000_000, 1);
        let allocated = (4 * MIB + MIB - triggered) as f64;
        let current = allocated * 0.25 / ((3 * MIB) as f64 * 0.75);
        assert_eq!(p.cons_mark(), 0.9 * current);
        // The next cycle: output = kp × (c − old) + integral, integral =
        // kp/ti × (c − 0).
        let integral = 0.9 / 4.0 * current;
        let old = p.cons_mark();
        p.reset_live(3 * MIB);
        p.commit(false);
        p.on_alloc(3 * MIB, true);
        p.start_cycle(0, 1);
        let triggered = p.triggered().unwrap();
        p.add_scan_work(3 * MIB, 0);
        p.on_alloc(MIB, true);
        p.end_cycle(1_000_000, 1);
        let current2 = (6 * MIB + MIB - triggered) as f64 * 0.25 / ((3 * MIB) as f64 * 0.75);
        let want = 0.9 * (current2 - old) + integral;
        assert!(
            (p.cons_mark() - want).abs() < 1e-12,
            "{} {want}",
            p.cons_mark()
        );
    }

    /// `endCycle` counts assist time as utilisation; a cycle that ends
    /// below its trigger measures nothing.
    #[test]
    fn end_cycle_assists_and_short_cycles() {
        let mut p = pacer(100);
        p.on_alloc(4 * MIB, true);
        p.start_cycle(0, 2);
        let triggered = p.triggered().unwrap();
        p.add_scan_work(MIB, 0);
        p.add_assist_time(500_000); // 0.5 ms of 2 × 1 ms: 25 % more
        p.on_alloc(MIB, true);
        p.end_cycle(1_000_000, 2);
        let u = 0.5;
        let current = (5 * MIB - triggered) as f64 * u / (MIB as f64 * (1.0 - u));
        assert_eq!(p.cons_mark(), 0.9 * current);

        let mut p = pacer(100);
        p.start_cycle(0, 1); // forced: live 0 below the trigger
        p.end_cycle(1_000_000, 1);
        assert_eq!(p.cons_mark(), 0.0);
        assert_eq!(p.last_heap_goal(), 4 * MIB);
    }

    /// `piController.next`: a NaN input resets and yields the minimum; the
    /// pacer then takes 0.
    #[test]
    fn controller_reset_on_overflow() {
        let mut c = PiController::CONS_MARK;
        assert_eq!(c.next(0.0, f64::NAN, 1.0), None);
        assert_eq!(c.err_integral, 0.0);
        assert_eq!(c.next(0.0, 1.0, 1.0), Some(0.9));
        assert_eq!(c.next(0.0, 1e6, 1.0), Some(1000.0));
    }

    /// `update`: scannable bytes grow the estimate only between cycles;
    /// `resetLive` restarts it from the scan work.
    #[test]
    fn heap_scan_fixed_while_marking() {
        let mut p = pacer(100);
        p.on_alloc(MIB, true);
        p.on_alloc(MIB, false);
        assert_eq!(p.heap_scan, MIB);
        p.start_cycle(0, 1);
        p.on_alloc(MIB, true);
        assert_eq!((p.heap_scan, p.heap_live()), (MIB, 3 * MIB));
        p.add_scan_work(MIB / 2, 100);
        p.reset_live(2 * MIB);
        assert_eq!((p.heap_scan, p.last_stack_scan), (MIB / 2, 100));
    }
}
