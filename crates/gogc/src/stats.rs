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

    // Pacing (see the pacer in `pacer.rs`), and what gctrace prints.
    /// Go's `heapLive` when the cycle started (gctrace's first heap figure):
    /// bytes the last cycle marked plus bytes allocated since.
    pub heap_start_bytes: u64,
    /// Go's `heapLive` when marking ended (gctrace's second heap figure).
    pub heap_end_bytes: u64,
    /// The trigger the cycle started at ([`Pacer::trigger`](crate::Pacer::trigger)
    /// when it started; a cycle that `step` started had reached it, a forced
    /// one may not have).
    pub trigger_bytes: u64,
    /// The heap goal when marking ended (Go's `lastHeapGoal`, gctrace's
    /// "MB goal").
    pub goal_bytes: u64,
    /// Work scanning objects (Go's `heapScanWork`): the slot sizes of the
    /// objects scanned.
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
    /// Time the host's steps spent marking this cycle (they do what Go's
    /// assists and mark workers do; gctrace prints it as assist CPU time);
    /// zero without `std`.
    pub mark_step_time: Duration,
    /// Go's GC CPU percentage at the end of this cycle's mark (gctrace's
    /// "N%"): the time all mark steps took since the heap was built, over
    /// the time since it was built (sweeping not counted, as in Go); zero
    /// without `std`.
    pub gc_cpu_percent: u32,
    /// Processors the pacer planned the cycle for (gctrace's "P"): 1, the
    /// host thread that drives the heap.
    pub procs: u32,
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

    // Pacing (see [`Pacer`](crate::Pacer)).
    /// `heap_live_bytes` at which [`Heap::step`](crate::Heap::step) starts
    /// the next cycle (Go's trigger).
    pub trigger_bytes: usize,
    /// Go's `heapLive`: bytes the last cycle marked plus bytes allocated
    /// since. Equal to `live_bytes` once the last cycle's sweep is done.
    pub heap_live_bytes: usize,
    /// The memory limit (Go's `GOMEMLIMIT`;
    /// [`NO_MEMORY_LIMIT`](crate::NO_MEMORY_LIMIT) when none is set).
    pub memory_limit: u64,
}
