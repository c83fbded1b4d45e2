//! The heap: allocation, the collection cycle and the public [`Heap`] type
//! (Go: `malloc.go`'s `mallocgc`, `mgc.go`'s `gcStart`, `gcMarkDone`,
//! `gcMarkTermination`).
//!
//! # The cycle
//!
//! ```text
//!            start_cycle (sweep termination + mark setup)
//!   ┌──────┐ ─────────────────────────────────────────────▶ ┌──────┐
//!   │ Off  │   finish sweeping, phase = Mark, barrier on,    │ Mark │◀─┐ step: scan grey objects,
//!   │      │   Yuasa: shade every root now                   │      │──┘ root spans, flush wbBuf
//!   └──────┘ ◀──────────────────────────┐                    └──────┘
//!    ▲  │ step: sweep spans       ┌─────┴──────────────┐        │ no grey object, roots done,
//!    └──┘ (allocation sweeps      │ MarkTermination    │◀───────┘ wbBuf empty
//!         lazily too)             │ Dijkstra: rescan   │
//!                                 │ roots + drain;     │
//!                                 │ checkmark re-mark; │
//!                                 │ flush the mcache;  │
//!                                 │ sweepgen += 2      │
//!                                 └────────────────────┘
//! ```
//!
//! Without mark workers everything runs inside calls the host makes:
//! [`Heap::step`] advances by a bounded amount of work, [`Heap::collect`]
//! runs a whole cycle. A heap belongs to one thread (`Heap` is neither
//! `Send` nor `Sync`); every entry point takes the heap's single-entry
//! guard ([`HeapInner::enter`]), which also stops `Trace` and `Drop` code
//! the heap runs from re-entering it.
//!
//! # With mark workers
//!
//! [`HeapBuilder::mark_workers`] and [`HeapBuilder::procs`] add threads
//! that trace grey objects during `Mark` (the owning thread's side is the
//! `concurrent` module, the workers' `mark::run_worker`, the shared part,
//! the handshake and each cycle's split into dedicated, fractional and
//! idle workers `world`; with the `gosched` feature a runtime's Ps run the
//! dedicated and fractional workers, `mark::mark_on_p`, and its idle Ps
//! the idle ones, `mark::mark_idle`). The cycle above stays, with two
//! stop-the-world pauses (the workers parked, their buffers handed back):
//!
//! ```text
//!   Off ──(alloc or step at the trigger, start_cycle)──▶ P1 ──▶ Mark (concurrent)
//!   P1: stop the workers; sweep termination + mark setup; restart them
//!   Mark: workers drain the shared list; the mutator at each safe point
//!         (alloc, barriered store, step) pays assists at the pacer's
//!         ratio: credit, else roots first, then grey objects, publishing
//!         what it queued
//!   P2 (mutator out of work and workers idle, or a worker's hint):
//!         stop; flush wbBuf; grey left? restart (Mark again)
//!         : MarkTermination as above; workers stay parked ──▶ Off
//! ```
//!
//! The pacer ([`Pacer`], in `State::pacer`) hears of every allocation
//! (`on_alloc`), of the scan work of the owning thread (as it does it) and
//! of the workers (at each assist, from `World::scanned`), and at mark
//! termination of the time spent marking (`end_pacing`); it plans for
//! `procs(p)` processors, or for the owning thread plus the workers.
//!
//! A safe point is delayed by at most one object's `Trace` per worker
//! (the pause waits for it) or one cell's trace (a store waits for the
//! cell's scan lock).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;
// tidy: allow(atomic): only the `static` heap-id counter below, which loom's
// atomics cannot be; it takes part in no modelled protocol.
use core::sync::atomic::{AtomicUsize, Ordering as IdOrdering};
use core::time::Duration;

use gocore::atomic::{AtomicBool, Ordering};

use crate::barrier::{Barrier, WbBuf};
use crate::central::{Central, MCache};
use crate::check::Violation;
#[cfg(feature = "std")]
use crate::concurrent::Workers;
use crate::gc::{Gc, RawGc};
use crate::limiter::CpuLimiter;
use crate::mark::GcWork;
use crate::pacer::{Pacer, BACKGROUND_UTILIZATION, NO_MEMORY_LIMIT};
use crate::sizeclass::{
    class_to_size, large_npages, size_class_for, SpanClass, CLASS_TO_ALLOCNPAGES, NUM_SPAN_CLASSES,
    PAGE_SIZE,
};
use crate::span::{GcBox, Header, PageHeap, Span, VTable, NO_WEAK};
use crate::stats::{CycleStats, Stats};
use crate::trace::{trace_with, Trace, TraceOp, Tracer};

/// The collector's phase (Go's `gcphase`).
///
/// ```
/// use gogc::{Heap, Phase};
/// let heap = Heap::new();
/// assert_eq!(heap.phase(), Phase::Off);
/// heap.start_cycle();
/// assert_eq!(heap.phase(), Phase::Mark);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// No marking; allocation is white, sweeping may be pending (Go's
    /// `_GCoff`).
    Off,
    /// Marking: the write barrier is on and allocation is black (`_GCmark`).
    Mark,
    /// Mark termination (`_GCmarktermination`). Seen from outside only if
    /// `Trace` code panicked inside it; the next step resumes it.
    MarkTermination,
}

/// An object's colour while marking (see the [crate docs](crate#colours)).
///
/// ```
/// use gogc::{Color, Heap};
/// let heap = Heap::new();
/// let a = heap.alloc(1);
/// assert_eq!(heap.color(&a), Color::White);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Color {
    /// Not marked (or no cycle is marking).
    White,
    /// Marked and waiting to be scanned (in a work buffer or the write-barrier buffer).
    Grey,
    /// Marked and scanned.
    Black,
}

/// Settings fixed when the heap is built.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) barrier: Barrier,
    pub(crate) verify_each_step: bool,
    pub(crate) checkmark: bool,
    pub(crate) gogc: Option<u32>,
    pub(crate) min_heap: usize,
    /// The mark workers and how they split each cycle.
    #[cfg(feature = "std")]
    pub(crate) mark_workers: MarkWorkers,
    /// The `gosched` runtime whose idle Ps run idle mark workers.
    #[cfg(feature = "gosched")]
    pub(crate) idle_hook: Option<gosched::IdleHook>,
    pub(crate) memory_limit: u64,
    pub(crate) gctrace: bool,
}

/// Which mark workers a heap runs ([`HeapBuilder::mark_workers`],
/// [`HeapBuilder::procs`]).
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MarkWorkers {
    /// None: the host drives the collector through `step` and `collect`.
    None,
    /// `mark_workers(n)`: `n` threads, all dedicated; the pacer plans for
    /// `n + 1` processors.
    Dedicated(usize),
    /// `procs(p)`: Go's split of `p` processors each cycle.
    Procs(u32),
}

#[cfg(feature = "std")]
impl MarkWorkers {
    /// Processors the pacer plans with (Go's `GOMAXPROCS`).
    pub(crate) fn procs(&self) -> u32 {
        match *self {
            MarkWorkers::None => 1,
            MarkWorkers::Dedicated(n) => u32::try_from(n).unwrap_or(u32::MAX).saturating_add(1),
            MarkWorkers::Procs(p) => p,
        }
    }

    /// Worker threads to start: every dedicated worker of Go's split plus
    /// one for its fractional worker (the split depends on `p` alone, so
    /// every cycle's plan fits). The builder keeps this at most
    /// [`MAX_MARK_WORKERS`] (`Dedicated` at most that, `Procs` at most
    /// [`MAX_PROCS`]) except for a `gosched` runtime's `GOMAXPROCS`, whose
    /// Ps or tasks run the workers.
    pub(crate) fn threads(&self) -> usize {
        match *self {
            MarkWorkers::None => 0,
            MarkWorkers::Dedicated(n) => n,
            MarkWorkers::Procs(p) => {
                let (dedicated, fractional_goal) = go_split(p);
                dedicated + usize::from(fractional_goal > 0.0)
            }
        }
    }
}

/// Go's `startCycle` split of `procs` processors: dedicated workers and
/// the fractional utilisation goal, from the pacer.
#[cfg(feature = "std")]
pub(crate) fn go_split(procs: u32) -> (usize, f64) {
    let mut pacer = Pacer::new(Some(100), NO_MEMORY_LIMIT, DEFAULT_MIN_HEAP as u64);
    pacer.start_cycle(0, procs);
    let dedicated = usize::try_from(pacer.dedicated_mark_workers()).unwrap_or(0);
    (dedicated, pacer.fractional_utilization_goal())
}

/// Builds a [`Heap`] ([`Heap::builder`]).
///
/// ```
/// use gogc::{Barrier, Heap};
/// let heap = Heap::builder()
///     .barrier(Barrier::Hybrid)
///     .gogc(Some(100))
///     .verify_each_step(cfg!(debug_assertions))
///     .build();
/// assert_eq!(heap.barrier(), Barrier::Hybrid);
/// ```
#[derive(Clone, Debug)]
#[must_use = "call `build` to get a heap"]
pub struct HeapBuilder {
    config: Config,
}

/// Go's `defaultHeapMinimum`: 4 MiB.
///
/// ```
/// assert_eq!(gogc::Heap::new().stats().goal_bytes, gogc::DEFAULT_MIN_HEAP);
/// ```
pub const DEFAULT_MIN_HEAP: usize = 4 << 20;

/// The most mark worker threads a heap starts: a larger
/// [`HeapBuilder::mark_workers`] count is clamped to it. Each worker is an
/// OS thread with its own stack, started at the heap's first cycle; an
/// unchecked count (a `usize::MAX` by mistake, a core count multiplied
/// twice) made the heap try to start that many before any marking, until
/// the OS refused and the cycle panicked. 256 is what
/// [`procs`](HeapBuilder::procs)`(`[`MAX_PROCS`]`)` gets: Go's 25 % of
/// 1024 processors.
///
/// ```
/// // Built, not run: the threads start at the first cycle (256 of them).
/// let heap = gogc::Heap::builder().mark_workers(usize::MAX).build();
/// assert_eq!(gogc::MAX_MARK_WORKERS as u32, gogc::MAX_PROCS / 4);
/// # drop(heap);
/// ```
pub const MAX_MARK_WORKERS: usize = 256;

/// The most processors [`HeapBuilder::procs`] plans for: a larger count is
/// clamped to it, so that Go's split (`round(0.25 × p)` dedicated workers)
/// starts at most [`MAX_MARK_WORKERS`] threads. Go 1.19 has no limit of its
/// own on `GOMAXPROCS` (Go 1.9 and earlier had this one, 1024); its workers
/// are goroutines on the Ps, not a thread each.
///
/// ```
/// // Go's split of 1024 processors: 256 dedicated workers, no fractional one.
/// let mut pacer = gogc::Pacer::new(Some(100), gogc::NO_MEMORY_LIMIT, 4 << 20);
/// pacer.start_cycle(0, gogc::MAX_PROCS);
/// assert_eq!(pacer.dedicated_mark_workers(), gogc::MAX_MARK_WORKERS as i64);
/// assert_eq!(pacer.fractional_utilization_goal(), 0.0);
/// ```
pub const MAX_PROCS: u32 = 1024;

impl HeapBuilder {
    /// The write barrier (default [`Barrier::Hybrid`]).
    ///
    /// ```
    /// let heap = gogc::Heap::builder().barrier(gogc::Barrier::Yuasa).build();
    /// assert_eq!(heap.barrier(), gogc::Barrier::Yuasa);
    /// ```
    pub fn barrier(mut self, barrier: Barrier) -> Self {
        self.config.barrier = barrier;
        self
    }

    /// Run [`Heap::verify`] after every `step` and panic on a violation,
    /// and panic if the re-mark at mark termination finds a lost object
    /// (default off; for debug and test builds). Implies
    /// [`checkmark`](HeapBuilder::checkmark).
    ///
    /// ```
    /// let heap = gogc::Heap::builder().verify_each_step(true).build();
    /// let _a = heap.alloc(1);
    /// heap.collect(); // verified after the step, re-marked at termination
    /// assert_eq!(heap.stats().last.lost_objects, 0);
    /// ```
    pub fn verify_each_step(mut self, on: bool) -> Self {
        self.config.verify_each_step = on;
        self
    }

    /// Run the `gccheckmark`-style re-mark at every mark termination
    /// (default off; always on with [`Barrier::None`]).
    ///
    /// ```
    /// let heap = gogc::Heap::builder().checkmark(true).build();
    /// let _a = heap.alloc(1);
    /// heap.collect();
    /// assert!(heap.stats().last.mark_work > 0);
    /// ```
    pub fn checkmark(mut self, on: bool) -> Self {
        self.config.checkmark = on;
        self
    }

    /// Go's `GOGC`: the heap goal is `marked + (marked + root scan work) ×
    /// gogc/100` bytes, and at least `min_heap × gogc/100`; `step` starts a
    /// cycle at the pacer's trigger, somewhat before the goal (see
    /// [`Pacer`]). `None` is `GOGC=off`: only the
    /// [`memory_limit`](HeapBuilder::memory_limit) starts cycles by itself,
    /// and [`Heap::start_cycle`] and [`Heap::collect`] always do. Default
    /// 100.
    ///
    /// ```
    /// let heap = gogc::Heap::builder().gogc(Some(50)).build();
    /// assert_eq!(heap.stats().goal_bytes, gogc::DEFAULT_MIN_HEAP / 2);
    /// let off = gogc::Heap::builder().gogc(None).build();
    /// assert!(off.stats().trigger_bytes > usize::MAX / 4); // never reached
    /// ```
    pub fn gogc(mut self, gogc: Option<u32>) -> Self {
        self.config.gogc = gogc;
        self
    }

    /// The minimum heap goal before `gogc` scaling (default 4 MiB, Go's
    /// `defaultHeapMinimum`). The pacer also scales two distances with it
    /// (see [`Pacer`]): the sweep distance is a quarter of it (Go's 1 MiB)
    /// and, for heaps bigger than it, the trigger may come as late as
    /// `goal − min_heap`.
    ///
    /// ```
    /// let heap = gogc::Heap::builder().min_heap(1 << 20).build();
    /// assert_eq!(heap.stats().goal_bytes, 1 << 20);
    /// ```
    pub fn min_heap(mut self, bytes: usize) -> Self {
        self.config.min_heap = bytes;
        self
    }

    /// Mark worker threads, all dedicated (default 0). With `n ≥ 1` the
    /// heap starts `n` threads at its first cycle; they sleep while no
    /// cycle marks and trace grey objects beside the owning thread while
    /// one does (Go's background mark workers). The owning thread then also
    /// starts cycles from allocation when the heap reaches the pacer's
    /// trigger, pays for its allocation during marking with assists, sweeps
    /// a little on each allocation, and scans the roots; see the
    /// [crate docs](crate#concurrent-marking). The workers are joined when
    /// the heap is dropped. With 0 the host drives all collector work
    /// through `step` and `collect`.
    ///
    /// The pacer plans each cycle for `n + 1` processors, the owning thread
    /// and the workers ([`CycleStats::procs`](crate::CycleStats::procs)),
    /// and measures the workers' time (see the
    /// [crate docs](crate#pacing)). Every one of the `n` workers marks as a
    /// dedicated worker whenever there is work; for Go's split of a number
    /// of processors (dedicated, fractional) use
    /// [`procs`](HeapBuilder::procs) instead. The two settings replace each
    /// other: the last one called counts.
    ///
    /// `n` above [`MAX_MARK_WORKERS`] (256) is clamped to it, and the pacer
    /// then plans for `MAX_MARK_WORKERS + 1` processors.
    ///
    /// ```
    /// use gogc::{Gc, GcCell, Heap, Trace};
    ///
    /// #[derive(Trace)]
    /// struct Node(GcCell<Option<Gc<Node>>>);
    ///
    /// let heap = Heap::builder().mark_workers(1).min_heap(64 << 10).build();
    /// let root = heap.alloc(Node(GcCell::new(None)));
    /// for _ in 0..20_000 {
    ///     let next = heap.alloc(Node(GcCell::new(None)));
    ///     root.0.store(Some(&next)); // the old one becomes garbage
    /// }
    /// assert!(heap.stats().cycles > 0); // started by allocation
    /// heap.collect();
    /// assert_eq!(heap.stats().live_objects, 2);
    /// ```
    #[cfg(feature = "std")]
    pub fn mark_workers(mut self, n: usize) -> Self {
        self.config.mark_workers = if n == 0 {
            MarkWorkers::None
        } else {
            MarkWorkers::Dedicated(n.min(MAX_MARK_WORKERS))
        };
        #[cfg(feature = "gosched")]
        {
            self.config.idle_hook = None;
        }
        self
    }

    /// Go's mark workers for `p` processors (`GOMAXPROCS`), the owning
    /// thread counted as one: every cycle the pacer's `start_cycle` splits
    /// the 25 % background utilisation into `round(0.25 × p)` dedicated
    /// workers, and when rounding misses by more than 30 % a fractional
    /// worker that marks only while its share of the cycle's time is below
    /// [`Pacer::fractional_utilization_goal`] (see the
    /// [crate docs](crate#mark-workers)). The heap starts one thread per
    /// dedicated worker plus one for the fractional worker at its first
    /// cycle; the rest is as [`mark_workers`](HeapBuilder::mark_workers)
    /// (the last of the two settings counts). Each cycle's marking time by
    /// mode is in [`CycleStats`](crate::CycleStats)
    /// (`dedicated_time`, `fractional_time`, `idle_time`).
    ///
    /// | `p` | dedicated | fractional goal | threads |
    /// |---|---|---|---|
    /// | 1 | 0 | 0.25 | 1 |
    /// | 2 | 0 | 0.25 | 1 |
    /// | 3 | 0 | 0.25 | 1 |
    /// | 4 | 1 | 0 | 1 |
    /// | 6 | 1 | 0.083 | 2 |
    /// | 8 | 2 | 0 | 2 |
    ///
    /// Idle workers (Go's third mode) need to know when a processor has
    /// nothing else to do, which only a scheduler knows: threads of the
    /// heap's own have none.
    ///
    /// `p` above [`MAX_PROCS`] (1024) is clamped to it: the pacer plans for
    /// 1024 processors and the heap starts [`MAX_MARK_WORKERS`] (256)
    /// dedicated worker threads.
    ///
    /// # Panics
    ///
    /// If `p` is 0.
    ///
    /// ```
    /// use gogc::{Gc, GcCell, Heap, Trace};
    ///
    /// #[derive(Trace)]
    /// struct Node(GcCell<Option<Gc<Node>>>);
    ///
    /// // Two processors: one fractional worker at a 25 % goal.
    /// let heap = Heap::builder().procs(2).min_heap(64 << 10).build();
    /// let root = heap.alloc(Node(GcCell::new(None)));
    /// for _ in 0..20_000 {
    ///     root.0.store(Some(&heap.alloc(Node(GcCell::new(None)))));
    /// }
    /// heap.collect();
    /// let last = heap.stats().last;
    /// assert_eq!(last.procs, 2);
    /// assert_eq!(last.dedicated_time, std::time::Duration::ZERO);
    /// assert_eq!(last.worker_time, last.fractional_time);
    /// ```
    #[cfg(feature = "std")]
    pub fn procs(mut self, p: u32) -> Self {
        assert!(p > 0, "gogc: procs must be at least 1");
        self.config.mark_workers = MarkWorkers::Procs(p.min(MAX_PROCS));
        #[cfg(feature = "gosched")]
        {
            self.config.idle_hook = None;
        }
        self
    }

    /// Go's mark workers for a [`gosched`] runtime (feature `gosched`),
    /// running as its Ps: the split of [`procs`](HeapBuilder::procs) for
    /// its `GOMAXPROCS`, with the dedicated and fractional workers run by
    /// the Ps' `schedule` before their run queues while a cycle marks
    /// (Go's `findRunnableGCWorker`, through gosched's
    /// [`GcWorker`](gosched::GcWorker) hook): the first `dedicated` Ps to
    /// ask own their P until the work runs out or the world stops, any
    /// other P marks as a fractional worker while its fractional time this
    /// cycle is under the goal (see the crate's "Mark workers"), plus
    /// **idle workers**: a P of the runtime that finds no task to run marks
    /// before it parks (Go's idle GC worker in `findRunnable`, through
    /// gosched's [`IdleWork`](gosched::IdleWork) hook), at most `P −
    /// dedicated` at once (Go 1.19's `maxIdleMarkWorkers`), and gives the P
    /// back as soon as a task is runnable (checked every 64 objects and
    /// every 100 000 units of scan work, Go's `pollWork`). A cycle's start
    /// wakes an idle P (Go's `wakep` after `gcStart`). Their time is
    /// [`CycleStats::idle_time`](crate::CycleStats::idle_time) (gctrace's
    /// idle CPU) and goes to the pacer as Go's idle mark time; the CPU
    /// limiter is given it and the time the Ps spend idle (Go's
    /// `limiterEventIdleMarkWork`, `limiterEventIdle`). The heap
    /// itself stays on its owning thread, in or outside the runtime; a
    /// `Trace` that panics on an idle P is re-raised there, as on a worker
    /// thread. The heap's drop unregisters the workers and waits for those
    /// in progress to hand their work back. A runtime has one `GcWorker`:
    /// a second heap on it runs its dedicated and fractional workers as
    /// tasks of the runtime (each poll marks for at most 50 µs, then yields
    /// its P; the fractional one waits on a gosched timer while ahead of
    /// its goal), which the heap's drop ends. If the runtime is gone when
    /// the first cycle starts, the workers are threads of the heap's own
    /// and there are no idle workers (at most [`MAX_MARK_WORKERS`] of
    /// them, the rest of a bigger plan's dedicated workers left out). The
    /// runtime's `GOMAXPROCS` is not clamped to [`MAX_PROCS`]: on its Ps
    /// the workers are no threads of their own. The last of
    /// `gosched`, `procs` and `mark_workers` counts.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(4).build().unwrap();
    /// let heap = gogc::Heap::builder().gosched(&rt).build();
    /// let keep = heap.alloc(7u64);
    /// heap.start_cycle();
    /// while heap.phase() != gogc::Phase::Off {
    ///     heap.step(1 << 16);
    /// }
    /// let last = heap.stats().last;
    /// assert_eq!((last.procs, last.dedicated_workers), (4, 1));
    /// assert_eq!(*keep, 7);
    /// ```
    #[cfg(feature = "gosched")]
    pub fn gosched(mut self, runtime: &gosched::Runtime) -> Self {
        let procs = u32::try_from(runtime.gomaxprocs()).unwrap_or(u32::MAX);
        self.config.mark_workers = MarkWorkers::Procs(procs);
        self.config.idle_hook = Some(runtime.idle_hook());
        self
    }

    /// Go's soft memory limit (`GOMEMLIMIT`, `debug.SetMemoryLimit`), in
    /// bytes: the heap goal is kept below the limit less the memory the
    /// heap holds outside objects (its spans' unused slots) less 1 MiB of
    /// headroom, even with `gogc(None)`. Default: none
    /// ([`NO_MEMORY_LIMIT`](crate::NO_MEMORY_LIMIT)).
    ///
    /// ```
    /// let heap = gogc::Heap::builder().gogc(None).memory_limit(3 << 20).build();
    /// assert_eq!(heap.stats().goal_bytes, 2 << 20);
    /// let keep: Vec<_> = (0..100_000u64).map(|i| heap.alloc(i)).collect();
    /// drop(keep);
    /// for i in 0..100_000u64 {
    ///     drop(heap.alloc(i));
    ///     heap.step(1 << 12);
    /// }
    /// assert!(heap.stats().cycles > 0); // the limit started cycles
    /// ```
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.config.memory_limit = bytes as u64;
        self
    }

    /// Print a gctrace line to standard error at the end of every mark
    /// phase, as `GODEBUG=gctrace=1` does (default off; needs the `std`
    /// feature, without it the lines are only available through
    /// [`CycleStats::gctrace`](crate::CycleStats::gctrace)).
    ///
    /// ```
    /// let heap = gogc::Heap::builder().gctrace(true).build();
    /// heap.collect(); // prints "gc 1 @0.000s 0%: ... (forced)"
    /// ```
    pub fn gctrace(mut self, on: bool) -> Self {
        self.config.gctrace = on;
        self
    }

    /// Builds the heap.
    ///
    /// ```
    /// let heap = gogc::Heap::builder().build();
    /// assert_eq!(heap.phase(), gogc::Phase::Off);
    /// ```
    pub fn build(self) -> Heap {
        Heap::with_config(self.config)
    }
}

impl Default for HeapBuilder {
    fn default() -> Self {
        HeapBuilder {
            config: Config {
                barrier: Barrier::Hybrid,
                verify_each_step: false,
                checkmark: false,
                gogc: Some(100),
                min_heap: DEFAULT_MIN_HEAP,
                #[cfg(feature = "std")]
                mark_workers: MarkWorkers::None,
                #[cfg(feature = "gosched")]
                idle_hook: None,
                memory_limit: NO_MEMORY_LIMIT,
                gctrace: false,
            },
        }
    }
}

/// Identities of heaps: never reused, so a stale [`Weak`](crate::Weak)
/// cannot match a later heap. (A plain counter, not part of any
/// synchronisation protocol, so it is not a `gocore::atomic` loom atomic.)
static NEXT_HEAP_ID: AtomicUsize = AtomicUsize::new(1);

/// A garbage-collected heap.
///
/// See the [crate docs](crate) for a tour. A `Heap` stays on the thread that
/// built it, as do its [`Gc`]s.
///
/// ```
/// use gogc::{Gc, GcCell, Heap, Trace};
///
/// #[derive(Trace)]
/// struct Node {
///     next: GcCell<Option<Gc<Node>>>,
/// }
///
/// let heap = Heap::new();
/// let root = heap.alloc(Node { next: GcCell::new(None) });
/// for _ in 0..100 {
///     // Each new node replaces the last; the old one becomes garbage.
///     root.next.set(Some(heap.alloc(Node { next: GcCell::new(None) })));
///     heap.step(64);
/// }
/// heap.collect();
/// assert_eq!(heap.stats().live_objects, 2);
/// ```
pub struct Heap {
    inner: NonNull<HeapInner>,
    _not_send: PhantomData<*mut ()>,
}

/// The heap's state behind its single-entry guard.
pub(crate) struct HeapInner {
    pub(crate) id: usize,
    busy: Cell<bool>,
    /// Go's `writeBarrier.enabled`: set while a cycle marks (`phase !=
    /// Off`), readable without entering the heap. A one-pointer store
    /// ([`GcCell::store`](crate::GcCell::store)) that finds it clear is a
    /// plain store; see [`HeapInner::write_barrier_enabled`].
    write_barrier: AtomicBool,
    state: UnsafeCell<State>,
}

impl HeapInner {
    /// Whether stores into this heap must run the write barrier (a cycle is
    /// marking).
    ///
    /// A `Relaxed` load is enough, with or without mark workers: the flag
    /// publishes no data, it only picks the path, and only the heap's one
    /// mutator thread reads it and writes it (inside a heap entry point), so
    /// program order puts every change before every later store. As Go's
    /// `gcStart` and `gcMarkTermination` do, it flips only while the world
    /// is stopped (no worker holds work; `world` W2), and the restart (the
    /// `World`'s mutex, a release/acquire pair) orders the change and all
    /// the mutator's earlier writes before any worker's next read of an
    /// object. No worker reads a heap object while the flag is clear, so
    /// the plain store the clear flag allows races with nothing; stores made
    /// while it is set replace a cell's contents under the cell's scan lock
    /// (`cell_lock`), which does not change this load.
    #[inline]
    pub(crate) fn write_barrier_enabled(&self) -> bool {
        self.write_barrier.load(Ordering::Relaxed)
    }

    /// Takes the single-entry guard.
    ///
    /// # Panics
    ///
    /// If the heap is already entered: `Trace` or `Drop` code the heap is
    /// running tried to use it.
    #[inline]
    pub(crate) fn enter(&self) -> Entered<'_> {
        assert!(
            !self.busy.replace(true),
            "gogc: the heap was used from Trace or Drop code it was running"
        );
        // SAFETY: `busy` was clear, so no other `Entered` exists, and it stays
        // set until this one is dropped: the `&mut` is unique.
        let state = unsafe { &mut *self.state.get() };
        Entered {
            busy: &self.busy,
            state,
        }
    }
}

/// Exclusive access to the heap's state (see [`HeapInner::enter`]).
pub(crate) struct Entered<'a> {
    busy: &'a Cell<bool>,
    state: &'a mut State,
}

impl Deref for Entered<'_> {
    type Target = State;
    #[inline]
    fn deref(&self) -> &State {
        self.state
    }
}

impl DerefMut for Entered<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut State {
        self.state
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.busy.set(false);
    }
}

/// The marker's state: grey objects, the barrier buffer, this cycle's counters.
pub(crate) struct MarkState {
    pub(crate) work: GcWork,
    pub(crate) wbbuf: WbBuf,
    /// An object whose scan a panicking `Trace` interrupted; it is grey and
    /// goes back on the queue at the next step.
    pub(crate) interrupted: Option<NonNull<Header>>,
    pub(crate) cycle: CycleStats,
}

impl MarkState {
    /// Go's `greyobject`: mark, and queue if it has pointers.
    #[inline]
    pub(crate) fn shade(&mut self, object: NonNull<Header>) {
        shade(&mut self.work, &mut self.cycle, object);
    }

    /// The write barrier's slow-ish path: record `object` in the buffer.
    #[inline]
    pub(crate) fn barrier_put(&mut self, object: NonNull<Header>) {
        self.cycle.barrier_shades += 1;
        if self.wbbuf.put(object) {
            self.flush_wbbuf();
        }
    }

    /// Go's `wbBufFlush1`: shade everything buffered.
    pub(crate) fn flush_wbbuf(&mut self) {
        self.cycle.wbbuf_flushes += 1;
        for object in self.wbbuf.drain() {
            shade(&mut self.work, &mut self.cycle, object);
        }
    }

    /// Go's `scanobject`: blacken a grey object. Returns its size (work).
    pub(crate) fn scan_object(&mut self, object: NonNull<Header>) -> usize {
        self.interrupted = Some(object);
        // SAFETY: queued objects are live objects of this heap.
        let header = unsafe { object.as_ref() };
        // SAFETY: the span outlives its objects.
        let size = unsafe { header.span.as_ref() }.elemsize;
        let trace = header.vtable.trace;
        // SAFETY: 1. the header starts a live object of the vtable's type.
        unsafe { trace(object, &mut Tracer::new(TraceOp::Mark(self))) };
        self.interrupted = None;
        size
    }
}

/// Shades `object` (see [`MarkState::shade`]).
#[inline]
pub(crate) fn shade(work: &mut GcWork, cycle: &mut CycleStats, object: NonNull<Header>) {
    // SAFETY: `object` is a live object of this heap (a traced pointer, a
    // root, or a barrier entry, none of which can be freed while marking).
    let span = unsafe { object.as_ref().span.as_ref() };
    if span.try_mark(span.index_of(object)) {
        cycle.marked_objects += 1;
        cycle.marked_bytes += span.elemsize as u64;
        if !span.spanclass.noscan() {
            work.put(object);
        }
    }
}

/// Moving a value into the heap: check each pointer is ours, unroot it, and
/// (while marking) record it in the barrier buffer: Dijkstra's insertion
/// half, which `Hybrid` and `Dijkstra` need for every store and which keeps
/// a black new object from pointing to white ones.
pub(crate) struct AdoptOp<'a> {
    pub(crate) heap: NonNull<HeapInner>,
    barrier: Option<&'a mut MarkState>,
}

impl AdoptOp<'_> {
    #[inline]
    pub(crate) fn gc(&mut self, gc: &RawGc) {
        let header = gc.header();
        // SAFETY: the handle is part of a value the caller owns, and every
        // `Gc` in such a value is rooted or reached from a rooted one, so its
        // object (and span) is live.
        let heap = unsafe { header.as_ref().span.as_ref().heap };
        assert!(
            heap == self.heap,
            "gogc: a Gc of one heap cannot be stored in another heap"
        );
        // SAFETY: 1. live, as above.
        unsafe { gc.set_rooted(false) };
        if let Some(mark) = self.barrier.as_deref_mut() {
            mark.barrier_put(header);
        }
    }
}

/// Root scanning progress for the cycle in progress.
#[derive(Default)]
pub(crate) struct RootScan {
    /// The next span (index in `allspans`) whose rooted objects to shade.
    pub(crate) next_span: usize,
    /// Spans that existed when the cycle started: later spans hold only
    /// objects allocated black, so they need no root job (and the jobs
    /// cannot be outrun by allocation).
    pub(crate) end: usize,
    /// Every span scanned once.
    pub(crate) done: bool,
}

/// Weak pointer slots: each holds an object and a generation that changes
/// when the object is swept, so stale `Weak`s see a mismatch.
#[derive(Default)]
pub(crate) struct WeakTable {
    entries: Vec<WeakEntry>,
    free: Vec<u32>,
}

struct WeakEntry {
    target: Option<NonNull<Header>>,
    generation: u32,
}

impl WeakTable {
    fn release(&mut self, index: u32) {
        let entry = &mut self.entries[index as usize];
        entry.target = None;
        entry.generation = entry.generation.wrapping_add(1);
        // A slot whose generation would wrap is retired, so a stale `Weak`
        // can never match a later object.
        if entry.generation != u32::MAX {
            self.free.push(index);
        }
    }
}

/// The type-specific pieces of an object: its vtable and size class.
struct TypeInfo<T>(PhantomData<T>);

impl<T: Trace + 'static> TypeInfo<T> {
    const VTABLE: VTable = VTable {
        trace: trace_value::<T>,
        drop_value: drop_value::<T>,
    };
    const SIZE_CLASS: usize = size_class_for(size_of::<GcBox<T>>(), align_of::<GcBox<T>>());
}

/// # Safety
///
/// 1. `header` starts a live `GcBox<T>`.
unsafe fn trace_value<T: Trace>(header: NonNull<Header>, tracer: &mut Tracer<'_>) {
    let boxed = header.cast::<GcBox<T>>();
    // SAFETY: 1.
    unsafe { (*boxed.as_ptr()).value.trace(tracer) };
}

/// # Safety
///
/// 1. `header` starts a live `GcBox<T>`. 2. The value is not used again.
unsafe fn drop_value<T>(header: NonNull<Header>) {
    let boxed = header.cast::<GcBox<T>>();
    // SAFETY: 1. and 2.
    unsafe { core::ptr::drop_in_place(&raw mut (*boxed.as_ptr()).value) };
}

/// A cycle's CPU time as Go's `gcMarkTermination` adds it to
/// `work.totaltime` (the GC CPU percentage of gctrace): the two pauses on
/// every processor they stop (`stwprocs` × clock), plus the assist and
/// background (dedicated and fractional) marking time. Idle workers' time
/// is left out, as Go leaves it out ("it's free").
fn gc_cpu_time(cycle: &CycleStats) -> Duration {
    let procs = cycle.procs.max(1);
    (cycle.sweep_termination_pause + cycle.mark_termination_pause)
        .saturating_mul(procs)
        .saturating_add(cycle.mark_step_time)
        .saturating_add(cycle.worker_time)
}

/// Everything the heap owns.
pub(crate) struct State {
    /// The `HeapInner` this state lives in (recorded in spans and cells).
    pub(crate) this: NonNull<HeapInner>,
    pub(crate) config: Config,
    pub(crate) phase: Phase,
    /// Go's `mheap_.sweepgen`.
    pub(crate) sweepgen: u32,
    pub(crate) pages: PageHeap,
    pub(crate) central: Vec<Central>,
    pub(crate) cache: MCache,
    /// Every span (Go's `mheap_.allspans`).
    pub(crate) allspans: Vec<NonNull<Span>>,
    pub(crate) mark: MarkState,
    pub(crate) roots: RootScan,
    /// No span is left to sweep this cycle.
    pub(crate) sweep_done: bool,
    /// The background sweeper's position (a span class).
    pub(crate) sweep_class: usize,
    pub(crate) weak: WeakTable,
    pub(crate) stats: Stats,
    /// The mark workers, once started.
    #[cfg(feature = "std")]
    pub(crate) workers: Option<Workers>,
    /// Allocation debt in work units while marking with workers (Go's
    /// `gcAssistBytes`, negated: positive means the mutator owes work).
    #[cfg(feature = "std")]
    pub(crate) assist_debt: f64,
    /// When the concurrent mark phase of this cycle started.
    #[cfg(feature = "std")]
    pub(crate) mark_started: Option<std::time::Instant>,
    /// The workers' scan work of this cycle already given to the pacer.
    #[cfg(feature = "std")]
    pub(crate) worker_work_paced: u64,
    /// The workers' scan work of this cycle already in `mark.cycle`.
    #[cfg(feature = "std")]
    pub(crate) worker_work_taken: u64,
    /// When each cycle starts, how far the heap may grow, and how much an
    /// assist pays per byte.
    pub(crate) pacer: Pacer,
    /// Go's GC CPU limiter: turns assists off while the collector has used
    /// more than half the processors for a CPU-second per processor.
    pub(crate) limiter: CpuLimiter,
    /// Assist nanoseconds given to the limiter since its last update.
    #[cfg(feature = "std")]
    pub(crate) pending_assist_nanos: i64,
    /// The `gosched` runtime's idle time the CPU limiter has been given,
    /// in nanoseconds (`feed_limiter_idle_time`).
    #[cfg(feature = "gosched")]
    pub(crate) idle_time_fed: u64,
    /// Wake-ups the owning thread owes the workers for buffers it
    /// published, made once the stall it is timing is over (`world` W6).
    #[cfg(feature = "std")]
    pub(crate) deferred_wake: crate::concurrent::DeferredWake,
    /// Stop-the-world pauses since the heap was built, in all (what an
    /// assist that ran one does not count as its own stall).
    pub(crate) paused: Duration,
    /// Bytes of memory in spans (Go's `mappedReady` for the memory limit).
    pub(crate) span_bytes: usize,
    /// The heap's clock: zero when it was built.
    pub(crate) clock: Clock,
    /// Time the owning thread spent marking in the cycle in progress (its
    /// mark steps, and with workers its assists).
    pub(crate) host_mark_time: Duration,
    /// GC CPU time since the heap was built, as Go's `work.totaltime`
    /// (see `gc_cpu_time`; gctrace's GC CPU percentage).
    pub(crate) total_mark_time: Duration,
}

impl State {
    #[inline]
    pub(crate) fn marking(&self) -> bool {
        self.phase != Phase::Off
    }

    /// Processors the pacer plans with (Go's `GOMAXPROCS`): `procs(p)`, or
    /// the owning thread plus the dedicated workers of `mark_workers(n)`.
    fn procs(&self) -> u32 {
        config_procs(&self.config)
    }

    /// Changes the phase, and Go's `writeBarrier.enabled` with it (set for
    /// `Mark` and `MarkTermination`, as Go's `setGCPhase`).
    fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
        // SAFETY: `this` is the live `HeapInner` holding this state (set in
        // `with_config`); the shared reference covers only its atomic flag,
        // never the `state` field this `&mut State` borrows.
        let inner = unsafe { &(*self.this.as_ptr()).write_barrier };
        inner.store(phase != Phase::Off, Ordering::Relaxed);
    }

    /// Walks a value entering the heap: see `AdoptOp`.
    #[inline]
    fn adopt<T: Trace + ?Sized>(&mut self, value: &T, shade_new: bool) {
        if !T::NEEDS_TRACE {
            return;
        }
        let barrier = if shade_new && self.marking() {
            Some(&mut self.mark)
        } else {
            None
        };
        trace_with(
            value,
            TraceOp::Adopt(AdoptOp {
                heap: self.this,
                barrier,
            }),
        );
    }

    /// The write barrier of a store `slot = new` into a cell of this heap.
    /// Runs before the store, as Go's does.
    #[inline]
    pub(crate) fn write_barrier<T: Trace>(&mut self, old: &T, new: &T) {
        let barrier = self.config.barrier;
        self.adopt(new, barrier.shades_new());
        if barrier.shades_old() && self.marking() && T::NEEDS_TRACE {
            trace_with(old, TraceOp::Deletion(&mut self.mark));
        }
    }

    /// Allocates and initialises an object; returns its header, counted as
    /// rooted once.
    fn alloc_object<T: Trace + 'static>(&mut self, value: T) -> NonNull<Header> {
        let size = size_of::<GcBox<T>>();
        let align = align_of::<GcBox<T>>();
        let noscan = !T::NEEDS_TRACE;
        let (span, index) = match TypeInfo::<T>::SIZE_CLASS {
            0 => self.alloc_large(size, align, noscan),
            class => self.alloc_small(SpanClass::new(class, noscan)),
        };
        // SAFETY: spans outlive their objects; this one was just handed out.
        let span_ref = unsafe { span.as_ref() };
        let slot = span_ref.slot(index).cast::<GcBox<T>>();
        // SAFETY: the slot is a claimed, unused, suitably aligned (size class
        // chosen for the alignment, span page-aligned) run of at least
        // `size` bytes inside the span.
        unsafe {
            slot.as_ptr().write(GcBox {
                header: Header {
                    vtable: &TypeInfo::<T>::VTABLE,
                    span,
                    roots: Cell::new(1),
                    weak: Cell::new(NO_WEAK),
                },
                value,
            });
        }
        // The object starts with one rooted handle (`roots: 1` above).
        span_ref
            .rooted_objects
            .set(span_ref.rooted_objects.get() + 1);
        let elemsize = span_ref.elemsize;
        if self.marking() && span_ref.try_mark(index) {
            // Go's gcmarknewobject: allocate black.
            self.mark.cycle.marked_objects += 1;
            self.mark.cycle.marked_bytes += elemsize as u64;
        }
        self.stats.live_bytes += elemsize;
        self.pacer.on_alloc(elemsize as u64, !noscan);
        self.stats.live_objects += 1;
        self.stats.allocated_objects += 1;
        self.stats.allocated_bytes += elemsize as u64;
        slot.cast()
    }

    /// Go's `mcache.nextFree` + `refill`.
    #[inline]
    fn alloc_small(&mut self, spc: SpanClass) -> (NonNull<Span>, usize) {
        if let Some(span) = self.cache.alloc[spc.index()] {
            // SAFETY: cached spans are live.
            if let Some(index) = unsafe { span.as_ref() }.take_free_slot() {
                return (span, index);
            }
        }
        let span = self.refill(spc);
        // SAFETY: as above.
        let index = unsafe { span.as_ref() }
            .take_free_slot()
            .expect("gogc: a refilled span has a free slot");
        (span, index)
    }

    /// Go's `mcache.refill` + `mcentral.cacheSpan`: a span with a free slot
    /// for the cache, sweeping lazily.
    fn refill(&mut self, spc: SpanClass) -> NonNull<Span> {
        let class = spc.index();
        if let Some(full) = self.cache.alloc[class].take() {
            self.central[class].push_swept(full, self.sweepgen);
        }
        let span = match self.central[class].pop_partial_swept(self.sweepgen) {
            Some(span) => span,
            None => loop {
                let Some(span) = self.central[class].pop_unswept(self.sweepgen) else {
                    break self.new_span(spc);
                };
                // SAFETY: spans in the lists are live.
                if unsafe { span.as_ref() }.sweepgen.get() != self.sweepgen {
                    self.sweep_span(span);
                }
                // SAFETY: as above.
                if unsafe { span.as_ref() }.is_full() {
                    self.central[class].push_swept(span, self.sweepgen);
                } else {
                    break span;
                }
            },
        };
        self.cache.alloc[class] = Some(span);
        span
    }

    fn new_span(&mut self, spc: SpanClass) -> NonNull<Span> {
        let class = spc.size_class();
        let span = self.pages.alloc_span(
            CLASS_TO_ALLOCNPAGES[class] as usize,
            PAGE_SIZE,
            class_to_size(class),
            spc,
            self.this,
            self.sweepgen,
        );
        self.add_span(span);
        span
    }

    /// Go's `mheap.allocLarge`: a span of its own, filed as a full swept
    /// span of class 0 so the sweeper finds it.
    fn alloc_large(&mut self, size: usize, align: usize, noscan: bool) -> (NonNull<Span>, usize) {
        let npages = large_npages(size).expect("gogc: object too large");
        let spc = SpanClass::new(0, noscan);
        let span = self.pages.alloc_span(
            npages,
            align,
            npages * PAGE_SIZE,
            spc,
            self.this,
            self.sweepgen,
        );
        self.add_span(span);
        // SAFETY: just allocated.
        let index = unsafe { span.as_ref() }
            .take_free_slot()
            .expect("gogc: a new span has a free slot");
        self.central[spc.index()].push_swept(span, self.sweepgen);
        (span, index)
    }

    fn add_span(&mut self, span: NonNull<Span>) {
        // SAFETY: just allocated, live.
        let span_ref = unsafe { span.as_ref() };
        span_ref.allspans_index.set(self.allspans.len());
        self.span_bytes += span_ref.npages * PAGE_SIZE;
        self.allspans.push(span);
        self.stats.spans = self.allspans.len();
    }

    /// Frees an empty span that is in no list.
    pub(crate) fn free_span(&mut self, span: NonNull<Span>) {
        // SAFETY: live until freed below.
        let span_ref = unsafe { span.as_ref() };
        let index = span_ref.allspans_index.get();
        self.span_bytes -= span_ref.npages * PAGE_SIZE;
        self.allspans.swap_remove(index);
        if let Some(&moved) = self.allspans.get(index) {
            // SAFETY: spans in `allspans` are live.
            unsafe { moved.as_ref() }.allspans_index.set(index);
        }
        self.stats.spans = self.allspans.len();
        // SAFETY: 1. allocated by `self.pages`; 2. empty, removed from
        // `allspans` and from every list by the caller.
        unsafe { self.pages.free_span(span) };
    }

    /// Go's `gcStart`: sweep termination, then mark setup, in the first
    /// stop-the-world pause; then the workers (if any) start marking.
    /// `forced`: the host asked for it (Go's `userForced`), the trigger did
    /// not.
    pub(crate) fn start_cycle(&mut self, forced: bool) {
        #[cfg(feature = "std")]
        if self.concurrent() && self.workers.is_none() {
            self.workers = Some(Workers::start(&self.config));
        }
        let timer = StepTimer::start();
        #[cfg(feature = "std")]
        let payload = self.stop_workers();
        self.setup_cycle(forced);
        #[cfg(feature = "std")]
        if let Some(world) = self.world() {
            world.reset_cycle_counters();
            self.worker_work_taken = 0;
            let plan = self.cycle_plan();
            world.plan_cycle(plan);
            self.mark.cycle.dedicated_workers =
                u32::try_from(plan.dedicated.min(self.config.mark_workers.threads()))
                    .unwrap_or(u32::MAX);
            self.mark.cycle.fractional_worker = plan.fractional_goal > 0.0;
        }
        let pause = timer.elapsed();
        self.mark.cycle.sweep_termination_pause = pause;
        self.record_pause(pause);
        #[cfg(feature = "std")]
        {
            self.assist_debt = 0.0;
            self.mark_started = Some(std::time::Instant::now());
            self.start_workers();
            if let Some(payload) = payload {
                std::panic::resume_unwind(payload);
            }
        }
    }

    /// Sweep termination and mark setup (the work of the first pause).
    pub(crate) fn setup_cycle(&mut self, forced: bool) {
        debug_assert_eq!(self.phase, Phase::Off);
        let start_time = self.clock.now();
        let heap_start_bytes = self.pacer.heap_live();
        self.finish_sweep();
        self.sync_pacer_memory();
        let procs = self.procs();
        self.pacer.start_cycle(nanos(start_time), procs);
        // Go's `gcStart`: assists may begin; the pause so far is GC time.
        #[cfg(feature = "gosched")]
        self.feed_limiter_idle_time();
        self.limiter.start_gc_transition(true, nanos(start_time));
        self.host_mark_time = Duration::ZERO;
        #[cfg(feature = "std")]
        {
            self.worker_work_paced = 0;
        }
        self.mark.cycle = CycleStats {
            number: self.stats.cycles + 1,
            heap_start_bytes,
            trigger_bytes: self.pacer.triggered().unwrap_or(0),
            forced,
            start_time,
            procs,
            ..CycleStats::default()
        };
        self.set_phase(Phase::Mark);
        self.roots = RootScan {
            next_span: 0,
            end: self.allspans.len(),
            done: self.allspans.is_empty(),
        };
        if self.config.barrier == Barrier::Yuasa {
            // Snapshot at the beginning: every root before any store.
            let root_work_before = self.mark.cycle.root_scan_work;
            while !self.roots.done {
                let work = self.scan_root_span();
                self.mark.cycle.mark_work += work as u64;
                self.stats.mark_work += work as u64;
            }
            let root_work = self.mark.cycle.root_scan_work - root_work_before;
            self.pacer.add_scan_work(0, root_work);
        }
        self.limiter.finish_gc_transition(nanos(self.clock.now()));
    }

    /// Tells the pacer the memory figures its memory-limit goal reads:
    /// span bytes, no free memory (cached page runs are not counted), and
    /// object bytes.
    pub(crate) fn sync_pacer_memory(&mut self) {
        self.pacer
            .set_memory(self.span_bytes as u64, 0, self.stats.live_bytes as u64);
    }

    /// Shades the rooted objects of the next span (a root job).
    pub(crate) fn scan_root_span(&mut self) -> usize {
        if self.roots.next_span >= self.roots.end {
            self.roots.done = true;
            return 0;
        }
        let span = self.allspans[self.roots.next_span];
        self.roots.next_span += 1;
        if self.roots.next_span == self.roots.end {
            self.roots.done = true;
        }
        self.shade_roots_in(span)
    }

    fn shade_roots_in(&mut self, span: NonNull<Span>) -> usize {
        // SAFETY: spans in `allspans` are live.
        let span = unsafe { span.as_ref() };
        let work = span.nelems * size_of::<Header>();
        if span.rooted_objects.get() == 0 {
            debug_assert!(
                span.allocated().all(|object| {
                    // SAFETY: allocated slots hold live objects.
                    unsafe { object.as_ref() }.roots.get() == 0
                }),
                "a span counted no rooted object but holds one"
            );
            return work;
        }
        for object in span.allocated() {
            // SAFETY: allocated slots hold live objects.
            if unsafe { object.as_ref() }.roots.get() > 0 {
                self.mark.shade(object);
            }
        }
        // Only a walked span counts as root scan work for the pacer: a span
        // without rooted objects costs one test.
        self.mark.cycle.root_scan_work += work as u64;
        work
    }

    /// Marking work up to `budget`; ends the mark phase when nothing is
    /// left. Returns the work done.
    pub(crate) fn mark_work(&mut self, budget: usize) -> usize {
        #[cfg(feature = "std")]
        if self.workers.is_some() {
            return self.mark_work_concurrent(budget);
        }
        self.mark_work_alone(budget)
    }

    /// Puts back the object a panicking `Trace` left grey, so that the next
    /// scan takes it first.
    pub(crate) fn resume_interrupted_scan(&mut self) {
        if let Some(object) = self.mark.interrupted.take() {
            self.mark.work.put(object);
        }
    }

    /// One unit of the owning thread's marking: scan a grey object from its
    /// own work cache, else shade the roots of the next root span. Returns
    /// the work done and the part of it that was heap scanning, or `None`
    /// when it has neither (what is left is in the barrier buffer, or with
    /// the workers).
    pub(crate) fn scan_grey_or_root(&mut self) -> Option<(usize, u64)> {
        if let Some(object) = self.mark.work.try_get() {
            let scanned = self.mark.scan_object(object);
            Some((scanned, scanned as u64))
        } else if !self.roots.done {
            Some((self.scan_root_span(), 0))
        } else {
            None
        }
    }

    /// `mark_work` without workers (or with them stopped).
    pub(crate) fn mark_work_alone(&mut self, budget: usize) -> usize {
        if self.phase == Phase::MarkTermination {
            return self.mark_termination();
        }
        self.resume_interrupted_scan();
        let root_work_before = self.mark.cycle.root_scan_work;
        let began = self.clock.now();
        let mut work = 0;
        let mut heap_work = 0;
        loop {
            if work >= budget && work > 0 {
                break;
            }
            if let Some((scanned, heap_scanned)) = self.scan_grey_or_root() {
                work += scanned;
                heap_work += heap_scanned;
            } else if !self.mark.wbbuf.is_empty() {
                self.mark.flush_wbbuf();
            } else {
                // Go's gcMarkDone: no grey object anywhere. The rest of
                // this step is the cycle's mark termination (gctrace's
                // second pause).
                let timer = StepTimer::start();
                if self.config.barrier == Barrier::Dijkstra {
                    let (rescan_work, drain_work) = self.rescan_roots_and_drain();
                    work += rescan_work;
                    heap_work += drain_work;
                }
                self.account_mark_work(work, heap_work, root_work_before, began);
                self.mark.cycle.mark_termination_pause = timer.elapsed();
                work += self.mark_termination();
                self.stats.last.mark_termination_pause = timer.elapsed();
                return work;
            }
        }
        self.account_mark_work(work, heap_work, root_work_before, began);
        work
    }

    /// Counts a step's marking work, and the time it took since `began`,
    /// in the statistics and the pacer.
    pub(crate) fn account_mark_work(
        &mut self,
        work: usize,
        heap_work: u64,
        root_work_before: u64,
        began: Duration,
    ) {
        self.host_mark_time += self.clock.now().saturating_sub(began);
        self.mark.cycle.mark_work += work as u64;
        self.stats.mark_work += work as u64;
        self.mark.cycle.heap_scan_work += heap_work;
        let root_work = self.mark.cycle.root_scan_work - root_work_before;
        self.pacer.add_scan_work(heap_work, root_work);
    }

    /// Go 1.5–1.7's mark termination for the insertion barrier: with the
    /// mutator stopped, rescan every root and drain.
    /// Returns the work done and, of it, the work scanning objects.
    pub(crate) fn rescan_roots_and_drain(&mut self) -> (usize, u64) {
        self.mark.cycle.root_rescans += 1;
        let mut work = 0;
        for index in 0..self.allspans.len() {
            work += self.shade_roots_in(self.allspans[index]);
        }
        let mut heap_work = 0;
        while let Some(object) = self.mark.work.try_get() {
            let scanned = self.mark.scan_object(object);
            work += scanned;
            heap_work += scanned as u64;
        }
        (work, heap_work)
    }

    /// Go's `gcMarkTermination`. Restartable: a panic in the checker's
    /// tracing leaves the phase at `MarkTermination` and the next step runs
    /// this again.
    pub(crate) fn mark_termination(&mut self) -> usize {
        self.set_phase(Phase::MarkTermination);
        let mut work = 0;
        if self.config.checkmark
            || self.config.verify_each_step
            || self.config.barrier == Barrier::None
        {
            work += self.checkmark();
            self.mark.cycle.mark_work += work as u64;
            self.stats.mark_work += work as u64;
        }
        self.cache.release_all(&mut self.central, self.sweepgen);
        self.end_pacing();
        self.set_phase(Phase::Off);
        self.sweepgen = self.sweepgen.wrapping_add(2);
        self.sweep_done = false;
        self.sweep_class = 0;
        self.stats.cycles += 1;
        self.stats.last = core::mem::take(&mut self.mark.cycle);
        #[cfg(feature = "std")]
        if self.config.gctrace {
            std::eprintln!("{}", self.stats.last.gctrace());
        }
        if self.config.verify_each_step
            && self.config.barrier != Barrier::None
            && self.stats.last.lost_objects > 0
        {
            panic!(
                "gogc: the re-mark at mark termination found {} reachable objects the marker missed",
                self.stats.last.lost_objects
            );
        }
        work
    }

    /// The pacer's part of mark termination, in Go's order: `endCycle`
    /// (cons/mark, the goal gctrace prints), `heap1`, `resetLive` to the
    /// bytes marked, then `commit` for the next cycle, with this cycle's
    /// sweep still to do.
    ///
    /// Go's `endCycle` assumes the background workers met their 25 % of
    /// the processors over the mark phase and adds the measured assist and
    /// idle-worker time on top. gogc measures all of it: the mark workers'
    /// time and the owning thread's (its mark steps and assists). Idle
    /// workers' time goes to the pacer as idle mark time, as in Go; so does
    /// dedicated and fractional workers' time beyond the 25 % share (with
    /// [`HeapBuilder::mark_workers`] every worker is dedicated and may mark
    /// more than Go's split would); the
    /// owning thread's goes as assist time, less whatever part of the 25 %
    /// share the workers did not cover (the whole share without workers:
    /// then the owner's steps do all the marking, standing for both Go's
    /// background workers and its assists, and the assist time may be
    /// negative when they took less than 25 %). Either way the utilisation
    /// `endCycle` sees is the measured marking time over the mark phase's
    /// processor time. Without `std` nothing is timed and Go's 25 % stands.
    fn end_pacing(&mut self) {
        #[cfg(feature = "std")]
        self.pace_worker_work(self.mark.cycle.worker_work);
        let now = self.clock.now();
        // Go's `gcMarkTermination`: assists cease (the transition ends with
        // this pause, below).
        #[cfg(feature = "gosched")]
        self.feed_limiter_idle_time();
        self.limiter.start_gc_transition(false, nanos(now));
        let procs = self.procs();
        let mark_duration = now.saturating_sub(self.mark.cycle.start_time);
        let background = mark_duration.as_secs_f64() * BACKGROUND_UTILIZATION * f64::from(procs);
        let host_time = core::mem::take(&mut self.host_mark_time);
        let host = host_time.as_secs_f64();
        let workers = self.mark.cycle.worker_time.as_secs_f64();
        let idle_time = self.mark.cycle.idle_time;
        if !idle_time.is_zero() {
            self.pacer
                .add_idle_mark_time(i64::try_from(idle_time.as_nanos()).unwrap_or(i64::MAX));
        }
        if workers > background {
            self.pacer
                .add_idle_mark_time(((workers - background) * 1e9) as i64);
            self.pacer.add_assist_time((host * 1e9) as i64);
        } else if host + workers > 0.0 {
            self.pacer
                .add_assist_time(((host - (background - workers)) * 1e9) as i64);
        }
        self.pacer.end_cycle(nanos(now), procs);
        let cycle = &mut self.mark.cycle;
        cycle.mark_step_time = host_time;
        self.total_mark_time += gc_cpu_time(cycle);
        // Go's `gc_cpu_fraction`: GC time over all processors' time since
        // the program started (sweeping not counted), printed as `int(f × 100)`.
        let elapsed = now.as_secs_f64() * f64::from(procs);
        if elapsed > 0.0 {
            cycle.gc_cpu_percent = (self.total_mark_time.as_secs_f64() / elapsed * 100.0) as u32;
        }
        cycle.goal_bytes = self.pacer.last_heap_goal();
        cycle.heap_end_bytes = self.pacer.heap_live();
        cycle.mark_time = now.saturating_sub(cycle.start_time);
        if cycle.concurrent_mark.is_zero() {
            // Not marked with workers (they set it when they stop): the
            // time between the pauses, when the host's steps marked.
            cycle.concurrent_mark = cycle
                .mark_time
                .saturating_sub(cycle.sweep_termination_pause);
        }
        self.pacer.reset_live(cycle.marked_bytes);
        self.sync_pacer_memory();
        self.pacer.commit(false);
        self.limiter.finish_gc_transition(nanos(self.clock.now()));
    }

    /// The heap goal (Go's `heapGoal`).
    pub(crate) fn goal(&self) -> usize {
        usize::try_from(self.pacer.heap_goal()).unwrap_or(usize::MAX)
    }

    /// One increment of collector work: marking; or the last cycle's sweep;
    /// or, once that is done, starting a cycle if the live heap has reached
    /// the trigger (Go's `gcTrigger{kind: gcTriggerHeap}.test`). Go's
    /// proportional sweep finishes the sweep before the trigger (the sweep
    /// distance leaves room for it) and `gcStart` sweeps whatever is left;
    /// here a step that finds the sweep unfinished sweeps first, within its
    /// budget, so that no step sweeps a whole heap.
    fn step(&mut self, budget: usize) -> usize {
        self.safe_point();
        match self.phase {
            Phase::Mark | Phase::MarkTermination => self.mark_work(budget),
            Phase::Off if !self.sweep_done => self.sweep_work(budget),
            Phase::Off => {
                self.sync_pacer_memory();
                if self.pacer.test_heap_trigger() {
                    self.start_cycle(false);
                    self.mark_work(budget)
                } else {
                    0
                }
            }
        }
    }

    /// A whole cycle (Go's `runtime.GC`): finish the cycle in progress,
    /// run a new one, sweep everything.
    ///
    /// With mark workers the whole cycle runs on the calling thread with
    /// the workers stopped: `collect` is for when the program wants the
    /// garbage gone now, not for overlapping with it.
    fn collect(&mut self) -> usize {
        #[cfg(feature = "std")]
        let payload = self.stop_workers();
        let mut work = 0;
        if self.marking() {
            work += self.mark_work_alone(usize::MAX);
        }
        #[cfg(feature = "std")]
        {
            // This cycle marks alone; `end_pacing` measures its clock.
            self.mark_started = None;
        }
        let timer = StepTimer::start();
        self.setup_cycle(true);
        let pause = timer.elapsed();
        self.mark.cycle.sweep_termination_pause = pause;
        self.record_pause(pause);
        work += self.mark_work_alone(usize::MAX);
        work += self.sweep_work(usize::MAX);
        #[cfg(feature = "std")]
        if let Some(payload) = payload {
            // Its object was rescanned by the cycle above.
            std::panic::resume_unwind(payload);
        }
        work
    }

    /// Credits a step to the cycle it worked for: the one marking, or (for
    /// sweeping and for the step that ended a mark) the last one.
    fn record_step(&mut self, work: usize, elapsed: Duration) {
        let cycle = if self.marking() {
            &mut self.mark.cycle
        } else {
            &mut self.stats.last
        };
        cycle.steps += 1;
        cycle.longest_step_work = cycle.longest_step_work.max(work as u64);
        cycle.longest_step = cycle.longest_step.max(elapsed);
    }

    /// A weak-table slot for `object` (allocated on first use).
    pub(crate) fn weak_slot(&mut self, object: NonNull<Header>) -> (u32, u32) {
        // SAFETY: the caller holds a handle to the object.
        let header = unsafe { object.as_ref() };
        let index = header.weak.get();
        if index != NO_WEAK {
            return (index, self.weak.entries[index as usize].generation);
        }
        let index = match self.weak.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.weak.entries.len())
                    .ok()
                    .filter(|&i| i != NO_WEAK)
                    .expect("gogc: too many weak pointers");
                self.weak.entries.push(WeakEntry {
                    target: None,
                    generation: 0,
                });
                index
            }
        };
        let entry = &mut self.weak.entries[index as usize];
        entry.target = Some(object);
        header.weak.set(index);
        (index, entry.generation)
    }

    /// The object behind a weak slot if it is alive, counted as rooted.
    pub(crate) fn upgrade_weak(&mut self, index: u32, generation: u32) -> Option<NonNull<Header>> {
        let entry = self.weak.entries.get(index as usize)?;
        if entry.generation != generation {
            return None;
        }
        let object = entry.target?;
        // SAFETY: a weak slot's target is live until the sweep that frees it
        // clears the slot.
        let header = unsafe { object.as_ref() };
        // SAFETY: as above, so is its span.
        let span = unsafe { header.span.as_ref() };
        let unswept = span.sweepgen.get() != self.sweepgen;
        if !self.marking() && unswept && !span.is_marked(span.index_of(object)) {
            // Found unreachable by the last mark, waiting for its sweep.
            return None;
        }
        if self.marking() {
            self.mark.shade(object);
        }
        header.add_root();
        Some(object)
    }

    /// Releases the weak slot of a swept object.
    pub(crate) fn release_weak(&mut self, index: u32) {
        self.weak.release(index);
    }

    /// The header and span of a `Gc`, checked to be of this heap.
    pub(crate) fn own_object(&self, gc: &RawGc) -> NonNull<Header> {
        let header = gc.header();
        // SAFETY: the caller holds the handle, so the object is live.
        let heap = unsafe { header.as_ref().span.as_ref().heap };
        assert!(heap == self.this, "gogc: a Gc of another heap");
        header
    }
}

impl Heap {
    /// A heap with the default settings: [`Barrier::Hybrid`], `GOGC=100`.
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// assert_eq!(heap.barrier(), gogc::Barrier::Hybrid);
    /// ```
    pub fn new() -> Heap {
        HeapBuilder::default().build()
    }

    /// A builder for a heap with other settings.
    ///
    /// ```
    /// let heap = gogc::Heap::builder().barrier(gogc::Barrier::Dijkstra).build();
    /// assert_eq!(heap.barrier(), gogc::Barrier::Dijkstra);
    /// ```
    pub fn builder() -> HeapBuilder {
        HeapBuilder::default()
    }

    fn with_config(config: Config) -> Heap {
        let id = NEXT_HEAP_ID.fetch_add(1, IdOrdering::Relaxed);
        assert!(id != usize::MAX, "gogc: heap identities exhausted");
        let inner = Box::new(HeapInner {
            id,
            busy: Cell::new(false),
            write_barrier: AtomicBool::new(false),
            state: UnsafeCell::new(State {
                #[cfg(feature = "std")]
                workers: None,
                #[cfg(feature = "std")]
                assist_debt: 0.0,
                #[cfg(feature = "std")]
                mark_started: None,
                #[cfg(feature = "std")]
                worker_work_paced: 0,
                #[cfg(feature = "std")]
                worker_work_taken: 0,
                #[cfg(feature = "std")]
                pending_assist_nanos: 0,
                // Idle time before the heap's limiter started is not its.
                #[cfg(feature = "gosched")]
                idle_time_fed: config
                    .idle_hook
                    .as_ref()
                    .and_then(gosched::IdleHook::idle_time)
                    .map_or(0, |t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)),
                #[cfg(feature = "std")]
                deferred_wake: crate::concurrent::DeferredWake::default(),
                paused: Duration::ZERO,
                limiter: CpuLimiter::new(0, config_procs(&config)),
                this: NonNull::dangling(),
                phase: Phase::Off,
                sweepgen: 0,
                pages: PageHeap::new(),
                central: (0..NUM_SPAN_CLASSES).map(|_| Central::default()).collect(),
                cache: MCache::new(),
                allspans: Vec::new(),
                mark: MarkState {
                    work: GcWork::new(),
                    wbbuf: WbBuf::new(),
                    interrupted: None,
                    cycle: CycleStats::default(),
                },
                roots: RootScan::default(),
                sweep_done: true,
                sweep_class: 0,
                weak: WeakTable::default(),
                stats: Stats::default(),
                pacer: Pacer::new(config.gogc, config.memory_limit, config.min_heap as u64),
                span_bytes: 0,
                clock: Clock::start(),
                host_mark_time: Duration::ZERO,
                total_mark_time: Duration::ZERO,
                config,
            }),
        });
        let inner = NonNull::from(Box::leak(inner));
        // SAFETY: just leaked from a box, so valid; no one else has it yet.
        unsafe { inner.as_ref() }.enter().this = inner;
        Heap {
            inner,
            _not_send: PhantomData,
        }
    }

    pub(crate) fn inner(&self) -> &HeapInner {
        // SAFETY: the heap owns its `HeapInner` until it is dropped.
        unsafe { self.inner.as_ref() }
    }

    /// Allocates `value` in the heap (Go's `mallocgc`). The `Gc`s inside
    /// `value` become edges of the heap; the returned handle is a root.
    ///
    /// During marking the object is allocated black, and its initial
    /// pointers are shaded (as stores into it would be).
    ///
    /// With [mark workers](HeapBuilder::mark_workers) an allocation is
    /// also a safe point: before allocating it sweeps a little while spans
    /// are left unswept and starts a cycle once the heap reaches the pacer's
    /// trigger, or, while marking, pays its assist (see the
    /// [crate docs](crate#concurrent-marking)).
    ///
    /// # Panics
    ///
    /// - If `value` holds a `Gc` of another heap.
    /// - If called from `Trace` or `Drop` code the heap is running.
    /// - If a `Drop` of an object swept to make room panics (the heap stays
    ///   consistent and `value` is dropped).
    /// - With mark workers, if a `Trace` panicked on a worker since the last
    ///   safe point (the panic is raised again here; its object stays grey
    ///   and is scanned again; `value` is dropped). `step`, `collect`,
    ///   `start_cycle` and barriered stores re-raise it too.
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// let v = heap.alloc(vec![1, 2, 3]);
    /// assert_eq!(v.len(), 3);
    /// ```
    pub fn alloc<T: Trace + 'static>(&self, value: T) -> Gc<T> {
        let mut state = self.inner().enter();
        state.before_alloc(size_of::<GcBox<T>>());
        let shade_new = state.config.barrier != Barrier::None;
        state.adopt(&value, shade_new);
        let header = state.alloc_object(value);
        drop(state);
        Gc::from_rooted_header(header)
    }

    /// Runs a whole collection cycle (Go's `runtime.GC`): finishes the cycle
    /// in progress, marks from the current roots, then sweeps every span.
    /// Everything unreachable before the call is freed when it returns.
    /// With [mark workers](HeapBuilder::mark_workers) the cycle runs on the
    /// calling thread with the workers stopped (one long pause, as asked).
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// drop(heap.alloc(1));
    /// heap.collect();
    /// assert_eq!(heap.stats().live_objects, 0);
    /// ```
    pub fn collect(&self) {
        let mut state = self.inner().enter();
        let timer = StepTimer::start();
        let work = state.collect();
        state.record_step(work, timer.elapsed());
        if state.config.verify_each_step {
            state.verify_or_panic();
        }
    }

    /// Does a bounded increment of collector work and returns the phase
    /// after it.
    ///
    /// `budget` is in work units, which approximate bytes (see
    /// [`Stats`]): a step scans grey objects, root spans or, once marking
    /// is done, sweeps spans, and stops once it has done `budget` units. A
    /// step always makes progress and overshoots by at most one object or
    /// one span. Three pieces of work are not split, by design: the step
    /// that starts a `Yuasa` cycle shades every root (the snapshot), the
    /// step that ends a `Dijkstra` mark rescans every root and drains (Go
    /// 1.7's stop-the-world rescan), and the re-mark of
    /// [`HeapBuilder::checkmark`] runs whole at mark termination. When no
    /// cycle marks and the last one is swept, a step starts a cycle if the
    /// live heap (Go's `heapLive`, [`Stats::heap_live_bytes`]) has reached
    /// the pacer's trigger ([`Stats::trigger_bytes`], see
    /// [`Pacer`](crate::Pacer)), as Go's allocation does.
    ///
    /// Without mark workers there are no mark assists: a host that
    /// allocates much faster than its steps mark will see the heap grow
    /// past the goal before the cycle ends; the time its mark steps take is
    /// what the pacer measures as the GC's share of the mark phase. With
    /// mark workers, `step` scans roots and grey objects beside them and
    /// tries to end the mark once they run dry (allocation does the same
    /// through assists); it does no work while the workers hold every grey
    /// object, so a host waiting for the end of a mark with `step` may spin
    /// a little.
    ///
    /// ```
    /// use gogc::{Heap, Phase};
    /// let heap = Heap::new();
    /// let _a = heap.alloc(1);
    /// heap.start_cycle();
    /// while heap.step(1024) == Phase::Mark {}
    /// assert_eq!(heap.stats().cycles, 1);
    /// ```
    pub fn step(&self, budget: usize) -> Phase {
        let mut state = self.inner().enter();
        let timer = StepTimer::start();
        let work = state.step(budget);
        if work > 0 {
            state.record_step(work, timer.elapsed());
        }
        if state.config.verify_each_step {
            state.with_world_stopped(|state| state.verify_or_panic());
        }
        state.phase
    }

    /// Starts a cycle now, whatever the heap goal (Go's `gcStart` with a
    /// forced trigger): finishes sweeping the last one, turns on the write
    /// barrier and allocate-black. Does nothing if a cycle is marking.
    /// Returns whether it started one. The cycle counts as forced
    /// ([`CycleStats::forced`](crate::CycleStats::forced), gctrace's
    /// "(forced)").
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// assert!(heap.start_cycle());
    /// assert!(!heap.start_cycle());
    /// ```
    pub fn start_cycle(&self) -> bool {
        let mut state = self.inner().enter();
        state.safe_point();
        if state.marking() {
            return false;
        }
        state.start_cycle(true);
        true
    }

    /// The current phase.
    ///
    /// ```
    /// assert_eq!(gogc::Heap::new().phase(), gogc::Phase::Off);
    /// ```
    pub fn phase(&self) -> Phase {
        self.inner().enter().phase
    }

    /// The write barrier the heap was built with.
    ///
    /// ```
    /// assert_eq!(gogc::Heap::new().barrier(), gogc::Barrier::Hybrid);
    /// ```
    pub fn barrier(&self) -> Barrier {
        self.inner().enter().config.barrier
    }

    /// A snapshot of the statistics.
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// heap.collect();
    /// assert_eq!(heap.stats().cycles, 1);
    /// ```
    pub fn stats(&self) -> Stats {
        let state = self.inner().enter();
        let mut stats = state.stats.clone();
        stats.current = state.mark.cycle.clone();
        #[cfg(feature = "std")]
        if let (Some(world), true) = (state.world(), state.marking()) {
            let control = world.lock();
            let worker_work = world.scanned().saturating_sub(state.worker_work_taken);
            stats.current.worker_work += worker_work;
            stats.current.heap_scan_work += worker_work;
            stats.current.add_worker_times(
                control.dedicated_nanos,
                control.fractional_nanos,
                control.idle_nanos,
            );
            stats.current.marked_objects += control.marked_objects;
            stats.current.marked_bytes += control.marked_bytes;
        }
        stats.goal_bytes = state.goal();
        stats.trigger_bytes = usize::try_from(state.pacer.trigger().0).unwrap_or(usize::MAX);
        stats.heap_live_bytes = usize::try_from(state.pacer.heap_live()).unwrap_or(usize::MAX);
        stats.memory_limit = state.pacer.memory_limit();
        stats.cpu_limiting = state.limiter.limiting();
        stats.cpu_limiter_last_enabled_cycle = u64::from(state.limiter.last_enabled_cycle());
        stats
    }

    /// Checks the barrier's tri-colour invariant on the live heap (see
    /// [`Barrier::invariant`]); `Ok` when no cycle is marking. Reads the
    /// whole heap: for tests and debugging.
    ///
    /// With mark workers it stops them while it reads the heap.
    ///
    /// # Errors
    ///
    /// The first [`Violation`] found.
    ///
    /// # Panics
    ///
    /// With mark workers, to re-raise a panic of a `Trace` impl on a worker
    /// that no safe point has raised yet (after the check has run and the
    /// workers are restarted; the object stays grey and is scanned again).
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// let _a = heap.alloc(1);
    /// heap.start_cycle();
    /// heap.step(1);
    /// assert_eq!(heap.verify(), Ok(()));
    /// ```
    pub fn verify(&self) -> Result<(), Violation> {
        self.inner()
            .enter()
            .with_world_stopped(|state| state.verify())
    }

    /// The colour of an object in the cycle that is marking (white when no
    /// cycle is). A pointer waiting in the write-barrier buffer counts as
    /// grey, as the checker counts it.
    ///
    /// # Panics
    ///
    /// If `gc` belongs to another heap; with mark workers, also to re-raise
    /// a panic of a `Trace` impl on a worker, as [`Heap::verify`] does.
    ///
    /// ```
    /// use gogc::{Color, Heap};
    /// let heap = Heap::new();
    /// let a = heap.alloc(1u8);
    /// heap.start_cycle();
    /// heap.step(1);
    /// let b = heap.alloc(2u8);
    /// assert_eq!(heap.color(&b), Color::Black); // allocated black
    /// # drop(a);
    /// ```
    pub fn color<T: Trace + 'static>(&self, gc: &Gc<T>) -> Color {
        let mut state = self.inner().enter();
        let object = state.own_object(Gc::raw(gc));
        state.with_world_stopped(|state| state.color_of(object))
    }
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl core::fmt::Debug for Heap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.inner().enter();
        f.debug_struct("Heap")
            .field("barrier", &state.config.barrier)
            .field("phase", &state.phase)
            .field("live_objects", &state.stats.live_objects)
            .finish_non_exhaustive()
    }
}

impl Drop for Heap {
    /// Drops every object and frees the memory — unless a rooted `Gc` (or a
    /// `GcCell` outside the heap holding one) still exists, in which case the
    /// heap is leaked whole so those handles stay valid.
    fn drop(&mut self) {
        // Stop and join the workers before anything is freed or leaked:
        // they read objects.
        #[cfg(feature = "std")]
        if let Some(workers) = self.inner().enter().workers.take() {
            workers.join();
        }
        let rooted = {
            let state = self.inner().enter();
            state.allspans.iter().any(|span| {
                // SAFETY: spans in `allspans` are live.
                let span = unsafe { span.as_ref() };
                debug_assert_eq!(
                    span.rooted_objects.get(),
                    span.allocated()
                        // SAFETY: allocated slots hold live objects.
                        .filter(|object| unsafe { object.as_ref() }.roots.get() > 0)
                        .count(),
                    "a span's count of rooted objects is off"
                );
                span.rooted_objects.get() > 0
            })
        };
        if rooted {
            return;
        }
        let teardown = Teardown {
            inner: self.inner,
            span: 0,
            slot: 0,
        };
        teardown.run();
    }
}

/// Drops every object of a heap nothing refers to, then frees it. If a
/// `Drop` panics, the guard's own `Drop` carries on with the rest (a second
/// panic aborts, as with `Vec`).
struct Teardown {
    inner: NonNull<HeapInner>,
    /// The next slot to look at: span index in `allspans`, slot in the span.
    span: usize,
    slot: usize,
}

impl Teardown {
    fn run(mut self) {
        self.drop_objects();
        // `Drop` frees the memory.
    }

    fn drop_objects(&mut self) {
        // SAFETY: the heap is alive until `Drop` frees it.
        let inner = unsafe { self.inner.as_ref() };
        loop {
            let Some(&span) = inner.enter().allspans.get(self.span) else {
                return;
            };
            // SAFETY: spans in `allspans` are live.
            let span_ref = unsafe { span.as_ref() };
            if self.slot >= span_ref.nelems {
                self.span += 1;
                self.slot = 0;
                continue;
            }
            let index = self.slot;
            self.slot += 1;
            if !span_ref.is_allocated(index) {
                continue;
            }
            span_ref.clear_allocated(index);
            let object = span_ref.slot(index);
            // SAFETY: the slot held a live object (its alloc bit was set), now
            // unlisted, and nothing refers to it.
            let drop_fn = unsafe { object.as_ref() }.vtable.drop_value;
            // Drop code must not use the heap: hold the guard.
            let _busy = inner.enter();
            // SAFETY: 1. live object of the vtable's type; 2. its slot is
            // free, so it is dropped exactly once.
            unsafe { drop_fn(object) };
        }
    }
}

impl Drop for Teardown {
    fn drop(&mut self) {
        self.drop_objects();
        // SAFETY: the heap was leaked from a box in `with_config`, every
        // object is dropped and nothing refers to it any more.
        let inner = unsafe { Box::from_raw(self.inner.as_ptr()) };
        let mut state = inner.state.into_inner();
        state.cache = MCache::new();
        for span in core::mem::take(&mut state.allspans) {
            // SAFETY: 1. allocated by this page heap; 2. every object is dropped.
            unsafe { state.pages.free_span(span) };
        }
    }
}

/// The heap's clock for cycle start times: wall-clock time since the heap
/// was built with `std`, always zero without.
pub(crate) struct Clock {
    #[cfg(feature = "std")]
    origin: std::time::Instant,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            #[cfg(feature = "std")]
            origin: std::time::Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> Duration {
        #[cfg(feature = "std")]
        return self.origin.elapsed();
        #[cfg(not(feature = "std"))]
        return Duration::ZERO;
    }
}

/// Processors a heap with `config` plans with: see `State::procs`.
fn config_procs(config: &Config) -> u32 {
    #[cfg(feature = "std")]
    return config.mark_workers.procs();
    #[cfg(not(feature = "std"))]
    {
        let _ = config;
        1
    }
}

/// A clock reading in the pacer's unit, Go's `int64` nanoseconds.
pub(crate) fn nanos(time: Duration) -> i64 {
    i64::try_from(time.as_nanos()).unwrap_or(i64::MAX)
}

/// Times a step: wall-clock with `std`, nothing without.
pub(crate) struct StepTimer {
    #[cfg(feature = "std")]
    started: std::time::Instant,
}

impl StepTimer {
    pub(crate) fn start() -> StepTimer {
        StepTimer {
            #[cfg(feature = "std")]
            started: std::time::Instant::now(),
        }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        #[cfg(feature = "std")]
        return self.started.elapsed();
        #[cfg(not(feature = "std"))]
        return Duration::ZERO;
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    /// A huge worker count starts at most `MAX_MARK_WORKERS` threads, and
    /// the pacer plans for the threads there are (it used to ask for
    /// `usize::MAX` threads, or a billion for `procs(u32::MAX)`).
    #[test]
    fn huge_worker_counts_are_clamped() {
        let dedicated = HeapBuilder::default().mark_workers(usize::MAX);
        assert_eq!(
            dedicated.config.mark_workers,
            MarkWorkers::Dedicated(MAX_MARK_WORKERS)
        );
        assert_eq!(dedicated.config.mark_workers.threads(), MAX_MARK_WORKERS);
        assert_eq!(
            dedicated.config.mark_workers.procs() as usize,
            MAX_MARK_WORKERS + 1
        );
        let procs = HeapBuilder::default().procs(u32::MAX);
        assert_eq!(procs.config.mark_workers, MarkWorkers::Procs(MAX_PROCS));
        assert_eq!(procs.config.mark_workers.threads(), MAX_MARK_WORKERS);
        // Counts at and under the limits are kept as they are.
        let at = HeapBuilder::default().mark_workers(MAX_MARK_WORKERS);
        assert_eq!(at.config.mark_workers.threads(), MAX_MARK_WORKERS);
        let small = HeapBuilder::default().procs(6);
        assert_eq!(small.config.mark_workers, MarkWorkers::Procs(6));
        assert_eq!(small.config.mark_workers.threads(), 2);
    }

    /// gctrace's GC CPU percentage adds up a cycle's CPU as Go's
    /// `work.totaltime` does: both pauses on every processor, assists and
    /// background workers, but not idle workers (it used to count idle
    /// time and leave the pauses out).
    #[test]
    fn gc_cpu_time_counts_pauses_per_processor_and_not_idle_workers() {
        let cycle = CycleStats {
            procs: 4,
            sweep_termination_pause: Duration::from_micros(10),
            mark_termination_pause: Duration::from_micros(30),
            mark_step_time: Duration::from_micros(500),
            worker_time: Duration::from_micros(2_000),
            idle_time: Duration::from_micros(7_000),
            ..CycleStats::default()
        };
        // 4 × (10 + 30) + 500 + 2000 µs.
        assert_eq!(gc_cpu_time(&cycle), Duration::from_micros(2_660));
        // No processors recorded (a cycle without stats): counted as one.
        let cycle = CycleStats {
            sweep_termination_pause: Duration::from_micros(10),
            ..CycleStats::default()
        };
        assert_eq!(gc_cpu_time(&cycle), Duration::from_micros(10));
    }
}
