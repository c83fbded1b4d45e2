//! The pacer driving the heap: cycles start at the trigger (Go's
//! `gcTrigger{kind: gcTriggerHeap}.test`), the memory limit, the per-cycle
//! pacing figures, gctrace and a panicking `Trace` in the middle of a paced
//! cycle.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use gogc::{Gc, GcCell, Heap, Phase, Trace, Tracer, NO_MEMORY_LIMIT};

const MIN_HEAP: usize = if cfg!(miri) { 8 << 10 } else { 256 << 10 };
const ALLOCS: u64 = if cfg!(miri) { 1_000 } else { 60_000 };
/// Allocations of the tests with a mark worker (Miri runs its threads
/// slowly).
const WORKER_ALLOCS: u64 = if cfg!(miri) { 300 } else { ALLOCS };

/// Steps once per allocation, so a cycle starts on the first allocation
/// that takes the live heap to the trigger.
fn churn(heap: &Heap, allocs: u64) {
    for i in 0..allocs {
        drop(heap.alloc([i; 6]));
        heap.step(256);
    }
}

#[test]
fn step_starts_cycles_at_the_trigger_not_the_goal() {
    let heap = Heap::builder().min_heap(MIN_HEAP).build();
    let before = heap.stats();
    assert_eq!(before.goal_bytes, MIN_HEAP);
    // No cons/mark estimate yet: 61/64 of the way to the goal (Go's first
    // cycle, `trigger` with runway 0).
    assert_eq!(before.trigger_bytes, MIN_HEAP / 64 * 61);
    let mut starts = Vec::new();
    let mut marking = false;
    for i in 0..ALLOCS {
        let before = heap.stats();
        let (live_before, trigger) = (before.heap_live_bytes, before.trigger_bytes);
        drop(heap.alloc([i; 6]));
        let now_marking = heap.step(256) == Phase::Mark;
        if now_marking && !marking {
            starts.push((live_before, trigger));
        }
        marking = now_marking;
    }
    assert!(starts.len() >= 3, "{starts:?}");
    for &(live_before, trigger) in &starts {
        // Started by the allocation that reached the trigger, not later.
        assert!(live_before < trigger, "{live_before} {trigger}");
    }
    let last = heap.stats().last;
    assert!(!last.forced);
    assert!(last.heap_start_bytes >= last.trigger_bytes, "{last:?}");
    assert!(last.trigger_bytes < last.goal_bytes, "{last:?}");
    assert_eq!(last.procs, 1);
}

#[test]
fn trigger_stays_between_the_bounds_of_the_growth() {
    // Under Miri one setting (the pacer's unit tests cover each rule).
    let settings: &[u32] = if cfg!(miri) { &[200] } else { &[50, 100, 200] };
    for &gogc in settings {
        let heap = Heap::builder().gogc(Some(gogc)).min_heap(MIN_HEAP).build();
        let keep: Vec<Gc<[u64; 6]>> = (0..ALLOCS / 10).map(|i| heap.alloc([i; 6])).collect();
        churn(&heap, ALLOCS);
        heap.collect();
        let stats = heap.stats();
        let marked = stats.last.marked_bytes as usize;
        let growth = stats.goal_bytes - marked;
        let lower = growth / 64 * 45 + marked;
        let upper = (growth / 64 * 61 + marked).max(stats.goal_bytes.saturating_sub(MIN_HEAP));
        // `commit` ran with the sweep unfinished: the trigger also keeps a
        // quarter of the heap minimum above the live heap.
        let min_trigger = lower.max(marked + MIN_HEAP / 4);
        let max_trigger = upper.max(min_trigger);
        let trigger = stats.trigger_bytes;
        assert!(
            (min_trigger..=max_trigger).contains(&trigger),
            "GOGC={gogc}: {min_trigger} <= {trigger} <= {max_trigger} ({stats:?})"
        );
        assert_eq!(keep.len() as u64, ALLOCS / 10);
    }
}

#[test]
fn collect_is_forced_and_recorded() {
    let heap = Heap::new();
    let keep = heap.alloc([7u64; 100]);
    heap.collect();
    let last = heap.stats().last;
    assert!(last.forced);
    assert_eq!(last.number, 1);
    // Nothing was allocated while marking: the heap at mark end is where it
    // started, and all of it was live.
    assert_eq!(last.heap_start_bytes, last.heap_end_bytes);
    assert_eq!(last.heap_end_bytes, last.marked_bytes);
    assert_eq!(heap.stats().heap_live_bytes as u64, last.marked_bytes);
    assert!(last.root_scan_work > 0, "the root's span was walked");
    // A pointer-free object is marked but never scanned (Go's noscan).
    assert_eq!(last.heap_scan_work, 0, "{last:?}");
    let line = last.gctrace().to_string();
    assert!(line.starts_with("gc 1 @"), "{line}");
    assert!(line.ends_with(" 1 P (forced)"), "{line}");
    assert_eq!(keep[99], 7);
}

#[test]
fn gctrace_prints_without_disturbing_the_cycle() {
    // The line goes to stderr (libtest captures it); the cycle is as usual.
    let heap = Heap::builder().gctrace(true).min_heap(MIN_HEAP).build();
    churn(&heap, ALLOCS / 4);
    heap.collect();
    assert!(heap.stats().cycles >= 2);
    assert_eq!(heap.stats().live_objects, 0);
}

#[test]
fn memory_limit_starts_cycles_with_gogc_off() {
    let limit = 4 * MIN_HEAP;
    let off = Heap::builder().gogc(None).build();
    assert_eq!(off.stats().memory_limit, NO_MEMORY_LIMIT);
    let limited = Heap::builder().gogc(None).memory_limit(limit).build();
    assert_eq!(limited.stats().memory_limit, limit as u64);
    // An empty heap: the limit less 1 MiB of headroom (at least 1 MiB).
    let headroom = 1 << 20;
    assert_eq!(
        limited.stats().goal_bytes,
        limit.saturating_sub(headroom).max(headroom)
    );
    churn(&off, ALLOCS / 2);
    churn(&limited, ALLOCS / 2);
    assert_eq!(off.stats().cycles, 0);
    let stats = limited.stats();
    // The cycles the limit started kept the live heap near its goal (under
    // Miri the churn stays below the 1 MiB floor of the goal).
    assert!(cfg!(miri) || stats.cycles > 0, "{stats:?}");
    assert!(
        stats.live_bytes <= 2 * stats.goal_bytes.max(headroom),
        "{stats:?}"
    );
}

#[test]
fn memory_limit_below_gogc_goal_wins() {
    let heap = Heap::builder()
        .gogc(Some(100))
        .memory_limit(3 << 20)
        .build();
    assert_eq!(heap.stats().goal_bytes, 2 << 20);
    let free = Heap::builder().gogc(Some(100)).build();
    assert_eq!(free.stats().goal_bytes, 4 << 20);
}

#[test]
fn heap_live_is_marked_plus_allocated_since() {
    let heap = Heap::builder().gogc(None).build();
    let keep: Vec<_> = (0..100u64).map(|i| heap.alloc([i; 6])).collect();
    for i in 0..100u64 {
        drop(heap.alloc([i; 6]));
    }
    heap.start_cycle();
    while heap.step(1 << 10) == Phase::Mark {}
    let stats = heap.stats();
    // Right after the mark: the garbage is not swept yet, but Go's heapLive
    // already counts only what was marked.
    assert_eq!(stats.heap_live_bytes as u64, stats.last.marked_bytes);
    assert!(stats.live_bytes > stats.heap_live_bytes);
    let slot = stats.heap_live_bytes / 100;
    drop(heap.alloc([0u64; 6]));
    assert_eq!(heap.stats().heap_live_bytes, 101 * slot);
    // Once swept, the two agree.
    heap.step(usize::MAX);
    let stats = heap.stats();
    assert_eq!(stats.live_bytes, stats.heap_live_bytes);
    assert_eq!(keep.len(), 100);
}

/// A node whose `Trace` panics when armed.
struct Fragile {
    armed: Rc<Cell<bool>>,
    drops: Rc<Cell<u32>>,
    next: GcCell<Option<Gc<Fragile>>>,
}

// SAFETY: visits its one `Gc` (when it does not panic first).
unsafe impl Trace for Fragile {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if self.armed.replace(false) {
            panic!("Trace panics mid-cycle");
        }
        self.next.trace(tracer);
    }
}

impl Drop for Fragile {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

#[test]
fn a_panicking_trace_leaves_pacing_consistent() {
    let armed = Rc::new(Cell::new(false));
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder().min_heap(MIN_HEAP).build();
    let node = |next| Fragile {
        armed: armed.clone(),
        drops: drops.clone(),
        next: GcCell::new(next),
    };
    let n = if cfg!(miri) { 50 } else { 500 };
    let mut head = heap.alloc(node(None));
    for _ in 1..n {
        head = heap.alloc(node(Some(head)));
    }
    heap.start_cycle();
    armed.set(true);
    let panicked = catch_unwind(AssertUnwindSafe(|| while heap.step(64) == Phase::Mark {}));
    assert!(panicked.is_err());
    // The object being scanned stays grey; the cycle goes on and ends.
    while heap.step(64) == Phase::Mark {}
    let stats = heap.stats();
    assert_eq!(stats.cycles, 1);
    assert_eq!(stats.last.marked_bytes, stats.heap_live_bytes as u64);
    assert!(stats.trigger_bytes < stats.goal_bytes);
    drop(head);
    heap.collect();
    assert_eq!(drops.get(), n, "every node dropped once");
    assert_eq!(heap.stats().live_objects, 0);
}

// ---- With mark workers: the pacer starts the cycles allocation starts,
// plans for the owning thread plus the workers, and hears their time ----

/// A node with a pointer cell and some payload, so that cycles have scan
/// work for the workers.
#[derive(Trace)]
struct Link {
    next: GcCell<Option<Gc<Link>>>,
    payload: [u64; 4],
}

/// A list of `len` links kept alive by its head.
fn list(heap: &Heap, len: u64) -> Gc<Link> {
    let head = heap.alloc(Link {
        next: GcCell::new(None),
        payload: [0; 4],
    });
    let mut tail = head.clone();
    for i in 1..len {
        let link = heap.alloc(Link {
            next: GcCell::new(None),
            payload: [i; 4],
        });
        tail.next.store(Some(&link));
        tail = link;
    }
    head
}

#[test]
fn allocation_with_workers_starts_cycles_at_the_trigger() {
    let heap = Heap::builder().mark_workers(1).min_heap(MIN_HEAP).build();
    let mut starts = 0;
    let mut previous = (0, usize::MAX);
    for i in 0..WORKER_ALLOCS {
        let before = heap.stats();
        let was_off = heap.phase() == Phase::Off;
        drop(heap.alloc([i; 6]));
        let live = before.heap_live_bytes;
        let trigger = before.trigger_bytes;
        if was_off && heap.phase() == Phase::Mark {
            // Go's mallocgc: the allocation that finds the live heap at the
            // trigger starts the cycle; the one before did not.
            assert!(live >= trigger, "{live} < {trigger}");
            assert!(previous.0 < previous.1, "{previous:?}");
            starts += 1;
        }
        previous = (live, trigger);
    }
    assert!(starts >= 2, "{starts} cycles started");
    let last = heap.stats().last;
    assert!(!last.forced);
    assert!(last.heap_start_bytes >= last.trigger_bytes, "{last:?}");
    assert!(last.trigger_bytes < last.goal_bytes, "{last:?}");
    // The owning thread and one worker.
    assert_eq!(last.procs, 2);
}

#[test]
fn worker_and_pause_times_reach_the_statistics_and_gctrace() {
    let heap = Heap::builder().mark_workers(1).min_heap(MIN_HEAP).build();
    let keep = list(&heap, WORKER_ALLOCS / 20);
    let mut cycles = Vec::new();
    let mut seen = heap.stats().cycles;
    for i in 0..WORKER_ALLOCS {
        drop(heap.alloc(Link {
            next: GcCell::new(None),
            payload: [i; 4],
        }));
        let stats = heap.stats();
        if stats.cycles != seen {
            seen = stats.cycles;
            cycles.push(stats.last);
        }
    }
    assert!(cycles.len() >= 2, "{} cycles", cycles.len());
    for cycle in &cycles {
        assert_eq!(cycle.procs, 2);
        // Both pauses and the mark between them were timed.
        assert!(!cycle.sweep_termination_pause.is_zero(), "{cycle:?}");
        assert!(!cycle.mark_termination_pause.is_zero(), "{cycle:?}");
        assert!(!cycle.concurrent_mark.is_zero(), "{cycle:?}");
        // A worker that scanned was timed, and its work counts as heap
        // scan work (the pacer's `heapScanWork`).
        if cycle.worker_work > 0 {
            assert!(!cycle.worker_time.is_zero(), "{cycle:?}");
        }
        assert!(cycle.heap_scan_work >= cycle.worker_work, "{cycle:?}");
        // gctrace prints the clocks and the background CPU time.
        let line = cycle.gctrace().to_string();
        let clock = line
            .split(": ")
            .nth(1)
            .unwrap()
            .split(" ms clock")
            .next()
            .unwrap();
        let clocks: Vec<&str> = clock.split('+').collect();
        assert_eq!(clocks.len(), 3, "{line}");
        let cpu = line
            .split(" ms clock, ")
            .nth(1)
            .unwrap()
            .split(" ms cpu")
            .next()
            .unwrap();
        let background = cpu.split('/').nth(1).unwrap();
        assert_eq!(
            background == "0",
            cycle.worker_time < std::time::Duration::from_micros(1),
            "{line} {cycle:?}"
        );
        assert!(line.ends_with(" 2 P"), "{line}");
    }
    // Some cycle's marking was done by the worker (on a busy machine it
    // may not have run in every cycle; under Miri's scheduler the owning
    // thread's assists mark the small heap before the worker runs).
    if !cfg!(miri) {
        assert!(cycles.iter().any(|c| c.worker_work > 0), "{cycles:?}");
    }
    assert_eq!(keep.payload[0], 0);
}

#[test]
fn a_heap_without_workers_plans_for_one_processor_and_times_its_pauses() {
    let heap = Heap::builder().min_heap(MIN_HEAP).build();
    let _keep = list(&heap, WORKER_ALLOCS / 20);
    churn(&heap, ALLOCS / 4);
    let last = heap.stats().last;
    assert_eq!(last.procs, 1);
    assert!(last.worker_time.is_zero() && last.worker_work == 0);
    // The step that ended the mark timed its termination; the marking
    // between the pauses is the steps' time.
    assert!(!last.mark_termination_pause.is_zero(), "{last:?}");
    assert!(!last.concurrent_mark.is_zero(), "{last:?}");
    assert!(last.concurrent_mark <= last.mark_time, "{last:?}");
}
