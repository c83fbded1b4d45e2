//! Counters the heap keeps (Go: `gctrace` fields, `runtime.MemStats`).
//!
//! Work is counted in *work units* that approximate bytes touched, the unit
//! of Go's scan work: scanning an object counts its slot size; checking a
//! slot for roots, sweeping a slot and re-marking an object in the checker
//! count a header's size. [`Heap::step`](crate::Heap::step)'s budget is in
//! the same units.

use core::time::Duration;

/// Statistics of one collection cycle: its marking, and the sweep that
/// follows it (which goes on after the mark ends, so a cycle's sweep figures
/// grow until the next cycle starts).
///
/// ```
/// let heap = gogc::Heap::new();
/// let _keep = heap.alloc(1u64);
/// drop(heap.alloc(2u64));
/// heap.collect();
/// let last = heap.stats().last;
/// assert_eq!((last.marked_objects, last.freed_objects), (1, 1));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CycleStats {
    /// 1 for the first cycle.
    pub number: u64,
    /// `step` and `collect` calls that did work for this cycle.
    pub steps: u64,
    /// Marking work: objects scanned, roots checked, checker re-marks.
    pub mark_work: u64,
    /// Sweeping work.
    pub sweep_work: u64,
    /// The most work one `step` (or `collect`) did.
    pub longest_step_work: u64,
    /// The longest wall-clock time one `step` (or `collect`) took; zero
    /// without the `std` feature.
    pub longest_step: Duration,
    /// Objects marked, including those allocated black during marking.
    pub marked_objects: u64,
    /// Bytes (slot sizes) marked.
    pub marked_bytes: u64,
    /// Objects swept (freed, their `Drop` run).
    pub freed_objects: u64,
    /// Bytes (slot sizes) swept.
    pub freed_bytes: u64,
    /// Pointers the write barrier recorded.
    pub barrier_shades: u64,
    /// Write-barrier buffer flushes.
    pub wbbuf_flushes: u64,
    /// Full root rescans at mark termination (`Barrier::Dijkstra`).
    pub root_rescans: u64,
    /// Reachable objects the marker missed and the re-mark at mark
    /// termination found (and kept alive). Always 0 with a real barrier;
    /// the negative tests of `Barrier::None` make it positive.
    pub lost_objects: u64,

    // ---- Concurrent marking: pauses, assists, workers ----
    /// The first stop-the-world pause: sweep termination and mark setup
    /// (Go's gctrace `A` in `A+B+C ms clock`); zero without `std`.
    pub sweep_termination_pause: Duration,
    /// The second pause: mark termination (gctrace `C`), including the
    /// `Dijkstra` root rescan and the checker's re-mark when they run. With
    /// mark workers, the owning thread holds the workers stopped for it;
    /// without, it is the end of the step (or `collect`) that finished the
    /// mark. Zero without `std`.
    pub mark_termination_pause: Duration,
    /// Wall time between the two pauses (gctrace `B`): with mark workers,
    /// from the end of the first pause until the workers stop for mark
    /// termination; without, until the end of the mark, while the host's
    /// steps marked. Zero without `std`.
    pub concurrent_mark: Duration,
    /// Termination attempts that found grey objects after flushing and went
    /// back to concurrent marking (Go's two-stage termination).
    pub mark_restarts: u64,
    /// Scan work done by the owning thread's assists.
    pub assist_work: u64,
    /// Time the owning thread spent in assists.
    pub assist_time: Duration,
    /// Times an assist found no grey object of its own while the workers
    /// held them all, and parked until they flushed credit (Go's
    /// `gcParkAssist`).
    pub assist_parks: u64,
    /// Time the owning thread spent parked in assists (also in
    /// `assist_time`); an assist scans and parks for at most 40 µs in all
    /// (longer on the wall clock only if the OS runs other threads before
    /// the owner's wake-up).
    pub assist_park_time: Duration,
    /// Scan work credit the parked assists received from the workers'
    /// flushes.
    pub assist_park_credit: u64,
    /// Assists skipped because the CPU limiter was on (Go's
    /// `gcCPULimiter.limiting()` in `gcAssistAlloc`); their debt is kept.
    pub assists_limited: u64,
    /// Assists that returned to the mutator at the end of their time slice
    /// (40 µs of scanning and parking) with debt left, which the next
    /// allocations pay (Go's `gcDrainN` stopping at a preemption request,
    /// the goroutine keeping its negative `gcAssistBytes`).
    pub assists_preempted: u64,
    /// Scan work done by the mark workers, idle ones included (not in
    /// `mark_work`).
    pub worker_work: u64,
    /// Time the mark workers spent marking as dedicated and fractional
    /// workers, added over the workers (Go's background mark time,
    /// gctrace's background CPU): `dedicated_time + fractional_time`; zero
    /// without workers.
    pub worker_time: Duration,
    /// The dedicated workers' part of `worker_time` (Go's
    /// `dedicatedMarkTime`).
    pub dedicated_time: Duration,
    /// The fractional worker's part of `worker_time` (Go's
    /// `fractionalMarkTime`).
    pub fractional_time: Duration,
    /// Dedicated mark workers this cycle (Go's
    /// `dedicatedMarkWorkersNeeded` at `startCycle`): `round(0.25 × procs)`
    /// with [`HeapBuilder::procs`](crate::HeapBuilder::procs), every worker
    /// with [`HeapBuilder::mark_workers`](crate::HeapBuilder::mark_workers),
    /// 0 without workers.
    pub dedicated_workers: u32,
    /// Whether a fractional worker ran this cycle (Go's
    /// `fractionalUtilizationGoal > 0`).
    pub fractional_worker: bool,
    /// Time idle workers spent marking on a scheduler's idle processors
    /// (Go's `idleMarkTime`, gctrace's idle CPU); not in `worker_time`,
    /// zero without the `gosched` feature's idle workers.
    pub idle_time: Duration,

    // Pacing (see the pacer in `pacer.rs`), and what gctrace prints.
    /// Go's `heapLive` when the cycle started (gctrace's first heap figure):
    /// bytes the last cycle marked plus bytes allocated since.
    pub heap_start_bytes: u64,
    /// Go's `heapLive` when marking ended (gctrace's second heap figure).
    pub heap_end_bytes: u64,
    /// The trigger the cycle started at ([`Pacer::trigger`](crate::Pacer::trigger)
    /// when it started; a cycle that `step`, or with mark workers an
    /// allocation, started had reached it, a forced one may not have).
    pub trigger_bytes: u64,
    /// The heap goal when marking ended (Go's `lastHeapGoal`, gctrace's
    /// "MB goal").
    pub goal_bytes: u64,
    /// Work scanning objects (Go's `heapScanWork`): the slot sizes of the
    /// objects scanned, by the owning thread and the mark workers.
    pub heap_scan_work: u64,
    /// Work of the root jobs that walked a span with rooted objects (gogc's
    /// stand-in for Go's stack and globals scan work).
    pub root_scan_work: u64,
    /// Started by [`Heap::collect`](crate::Heap::collect) or
    /// [`Heap::start_cycle`](crate::Heap::start_cycle), not by the trigger
    /// (gctrace's "(forced)").
    pub forced: bool,
    /// When the cycle started, since the heap was built; zero without `std`.
    pub start_time: Duration,
    /// Wall-clock time from the cycle's start to the end of its mark; zero
    /// without `std`.
    pub mark_time: Duration,
    /// Time the owning thread spent marking this cycle: its mark steps,
    /// and with mark workers its assists (`assist_time`, counted in both).
    /// It is the mutator's share of the marking, printed by gctrace as
    /// assist CPU time; without workers the steps also do what Go's
    /// background workers do. Zero without `std`.
    pub mark_step_time: Duration,
    /// Go's GC CPU percentage at the end of this cycle's mark (gctrace's
    /// "N%"): the GC CPU time since the heap was built, as Go's
    /// `work.totaltime` counts it (every cycle's two pauses times `procs`,
    /// the owning thread's `mark_step_time` and the workers'
    /// `worker_time`; idle workers' `idle_time` is left out, as Go leaves
    /// it out), over that time multiplied by `procs` (sweeping not
    /// counted, as in Go); zero without `std`. The second pause counts
    /// with the length gctrace prints for it (measured before the
    /// bookkeeping of mark termination, which computes this figure).
    pub gc_cpu_percent: u32,
    /// Processors the pacer planned the cycle for (gctrace's "P", Go's
    /// `GOMAXPROCS`): [`HeapBuilder::procs`](crate::HeapBuilder::procs),
    /// or the owning thread plus the heap's mark workers
    /// ([`HeapBuilder::mark_workers`](crate::HeapBuilder::mark_workers)),
    /// so 1 without workers.
    pub procs: u32,
}

/// Stalls of the owning thread: how long it was kept from its own work by
/// a stop-the-world pause, an assist or a wait on a `GcCell`'s scan lock,
/// counted in power-of-two buckets of microseconds.
///
/// ```
/// use gogc::StallHistogram;
/// use std::time::Duration;
/// let mut h = StallHistogram::default();
/// h.record(Duration::from_micros(3)); // [2, 4) µs
/// assert_eq!(h.buckets[2], 1);
/// assert_eq!(h.count(), 1);
/// assert_eq!(h.longest, Duration::from_micros(3));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StallHistogram {
    /// `buckets[0]`: stalls under 1 µs; `buckets[i]` (i ≥ 1): stalls in
    /// `[2^(i-1), 2^i)` µs; the last bucket takes everything longer.
    pub buckets: [u64; STALL_BUCKETS],
    /// The longest stall.
    pub longest: Duration,
}

/// The owning thread's stalls by what it waited for, each a
/// [`StallHistogram`]; [`Stats::stalls`] counts them all together.
///
/// ```
/// let heap = gogc::Heap::builder().mark_workers(1).build();
/// heap.start_cycle();
/// let stats = heap.stats();
/// // The first pause (sweep termination and mark setup) is a stall.
/// assert_eq!(stats.stall_causes.pause.count(), 1);
/// assert_eq!(stats.stalls.count(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StallCauses {
    /// Stop-the-world pauses: the two of each cycle, and termination
    /// attempts that restarted the mark.
    pub pause: StallHistogram,
    /// Of each stop of the workers (the pauses, and the stops of the
    /// checker and colour queries), the part spent waiting for them to
    /// acknowledge it (hand their work back); counted here as well as in
    /// `pause`.
    pub stop_wait: StallHistogram,
    /// Assists that scanned (roots, grey objects, buffers taken from the
    /// workers), their park excluded.
    pub assist: StallHistogram,
    /// Assists parked for the workers' credit.
    pub assist_park: StallHistogram,
    /// Barriered stores that waited for a worker's scan of the cell.
    pub cell_lock: StallHistogram,
}

/// Buckets of a [`StallHistogram`]: up to 2^30 µs (about 18 minutes).
pub const STALL_BUCKETS: usize = 32;

impl StallHistogram {
    /// Counts one stall.
    pub fn record(&mut self, stall: Duration) {
        let micros = stall.as_micros();
        let bucket = if micros == 0 {
            0
        } else {
            (u128::BITS - micros.leading_zeros()) as usize
        };
        self.buckets[bucket.min(STALL_BUCKETS - 1)] += 1;
        self.longest = self.longest.max(stall);
    }

    /// Stalls counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// A snapshot of the heap's statistics ([`Heap::stats`](crate::Heap::stats)).
///
/// ```
/// let heap = gogc::Heap::new();
/// let a = heap.alloc([0u8; 100]);
/// let stats = heap.stats();
/// assert_eq!(stats.live_objects, 1);
/// assert!(stats.live_bytes >= 100);
/// # drop(a);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Completed mark phases.
    pub cycles: u64,
    /// Bytes (slot sizes) allocated and not yet swept.
    pub live_bytes: usize,
    /// Objects allocated and not yet swept.
    pub live_objects: usize,
    /// The heap goal (Go's `heapGoal`): the heap size the pacer wants the
    /// next (or current) cycle to finish by (see
    /// [`HeapBuilder::gogc`](crate::HeapBuilder::gogc)).
    pub goal_bytes: usize,
    /// Spans in the heap.
    pub spans: usize,
    /// Objects allocated since the heap was built.
    pub allocated_objects: u64,
    /// Bytes allocated since the heap was built.
    pub allocated_bytes: u64,
    /// Objects freed since the heap was built.
    pub freed_objects: u64,
    /// Marking work since the heap was built.
    pub mark_work: u64,
    /// Sweeping work since the heap was built.
    pub sweep_work: u64,
    /// The cycle marking now (all zero when none is).
    pub current: CycleStats,
    /// The last cycle whose mark has finished, with its sweep so far.
    pub last: CycleStats,

    // ---- Concurrent marking ----
    /// Stalls of the owning thread since the heap was built, with mark
    /// workers (empty without them: then every collector call is a `step`
    /// or `collect` the host makes).
    pub stalls: StallHistogram,
    /// The same stalls by cause (with `stop_wait`, part of each pause).
    pub stall_causes: StallCauses,
    /// The longest stop-the-world pause of any cycle (either of the two),
    /// with mark workers.
    pub longest_pause: Duration,

    // Pacing (see [`Pacer`](crate::Pacer)).
    /// `heap_live_bytes` at which [`Heap::step`](crate::Heap::step) (and,
    /// with mark workers, allocation) starts the next cycle (Go's trigger).
    pub trigger_bytes: usize,
    /// Go's `heapLive`: bytes the last cycle marked plus bytes allocated
    /// since. Equal to `live_bytes` once the last cycle's sweep is done.
    pub heap_live_bytes: usize,
    /// The memory limit (Go's `GOMEMLIMIT`;
    /// [`NO_MEMORY_LIMIT`](crate::NO_MEMORY_LIMIT) when none is set).
    pub memory_limit: u64,
    /// The GC CPU limiter is on (assists are skipped; see
    /// [`CpuLimiter`](crate::CpuLimiter)).
    pub cpu_limiting: bool,
    /// The cycle during which the CPU limiter last turned on, 0 if never
    /// (Go's `/gc/limiter/last-enabled:gc-cycle` metric).
    pub cpu_limiter_last_enabled_cycle: u64,
}
