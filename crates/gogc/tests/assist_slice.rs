//! Assists bounded in time (Go's `gcDrainN` stopping when its goroutine is
//! preempted): an assist scans until its 40 µs slice ends, reading the clock
//! every 32 objects, and returns to the mutator with the rest of its debt,
//! which the next allocations pay, slice by slice, until the cycle ends.
//!
//! The bound is checked in objects, not wall time: every object's `Trace`
//! spins longer than a whole slice, so an assist stops at its first clock
//! check, after at most 32 objects, however loaded the machine is.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use gogc::{Gc, Heap, Trace, Tracer};

/// How many objects an assist scans between two readings of the clock
/// (gogc's `ASSIST_CLOCK_CHECK_OBJECTS`): with each object longer than the
/// slice, the most one assist scans.
const CLOCK_CHECK_OBJECTS: usize = 32;

/// Nanoseconds a trace on the test's (owning) thread takes while not 0:
/// longer than the 40 µs slice.
static OWNER_TRACE_NANOS: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds a trace on a mark worker takes while not 0: much longer, so
/// that the worker's credit (flushed every 64 objects) pays nothing of the
/// owner's debt during the allocations a test looks at.
static WORKER_TRACE_NANOS: AtomicU64 = AtomicU64::new(0);
/// Objects traced on the owning thread.
static OWNER_TRACES: AtomicUsize = AtomicUsize::new(0);
/// Tests in this file run one at a time (the settings above are theirs).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// Whether this thread is the heap's owner (the test's thread).
    static IS_OWNER: Cell<bool> = const { Cell::new(false) };
}

/// A leaf object whose trace takes a while (see the statics above).
struct Slow {
    value: u64,
}

// SAFETY: `trace` visits no `Gc` (the object holds none); the spin and the
// counter touch no heap state.
unsafe impl Trace for Slow {
    fn trace(&self, _tracer: &mut Tracer<'_>) {
        let owner = IS_OWNER.with(Cell::get);
        if owner {
            OWNER_TRACES.fetch_add(1, Relaxed);
        }
        let nanos = if owner {
            OWNER_TRACE_NANOS.load(Relaxed)
        } else {
            WORKER_TRACE_NANOS.load(Relaxed)
        };
        if nanos > 0 {
            let started = Instant::now();
            while started.elapsed() < Duration::from_nanos(nanos) {
                std::hint::spin_loop();
            }
        }
    }
}

/// What one allocation's assist did.
struct Assist {
    /// Objects the owning thread traced.
    traced: usize,
    /// Whether the assist ended with debt left.
    preempted: bool,
    /// Whether it walked rooted objects (a root job): the clock is read
    /// right after one, and on a loaded machine a root job alone can
    /// outlast the slice, leaving no time to trace an object.
    scanned_roots: bool,
}

/// Allocates `bytes` of garbage and reports the allocation's assist.
fn alloc_garbage<const WORDS: usize>(heap: &Heap) -> Assist {
    let traced_before = OWNER_TRACES.load(Relaxed);
    let before = heap.stats().current;
    drop(heap.alloc([0u64; WORDS]));
    let traced = OWNER_TRACES.load(Relaxed) - traced_before;
    let current = heap.stats().current;
    // A cycle that ended during the allocation starts its count anew.
    let preempted = current.number != 0 && current.assists_preempted > before.assists_preempted;
    let scanned_roots =
        current.number == before.number && current.root_scan_work > before.root_scan_work;
    Assist {
        traced,
        preempted,
        scanned_roots,
    }
}

/// Allocations with a debt beyond one slice scan at most 32 objects each
/// and keep the rest of their debt; the tiny allocations after it, whose own
/// debt one slice would more than pay, go on scanning and keep debt left
/// (the debt was kept, not forgiven); every allocation of the cycle stays
/// within the bound, and the cycle ends with every rooted object alive.
#[test]
#[cfg_attr(miri, ignore)] // a mark worker thread and spinning traces
fn an_assist_stops_at_its_slice_and_the_next_allocations_pay_the_rest() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    IS_OWNER.with(|o| o.set(true));
    let heap = Heap::builder().mark_workers(1).min_heap(1 << 20).build();
    // Rooted objects in a few spans: only the owner scans roots, so each of
    // the first allocations finds grey objects of its own to scan.
    let roots: Vec<Gc<Slow>> = (0..2_000u64)
        .map(|value| heap.alloc(Slow { value }))
        .collect();
    // Finish the cycles the allocation started.
    heap.collect();
    OWNER_TRACE_NANOS.store(60_000, Relaxed);
    WORKER_TRACE_NANOS.store(2_000_000, Relaxed);
    assert!(heap.start_cycle());
    let cycle = heap.stats().current.number;

    // 256 KiB at a time: each a debt of more scan work than one slice
    // does.
    for i in 0..4 {
        let a = alloc_garbage::<{ 32 << 10 }>(&heap);
        assert!(
            a.traced <= CLOCK_CHECK_OBJECTS,
            "assist {i} traced {} objects",
            a.traced
        );
        assert!(
            a.traced > 0 || a.scanned_roots,
            "assist {i} scanned nothing"
        );
        assert!(a.preempted, "assist {i} paid its whole debt");
    }
    // Each 8-byte allocation owes next to nothing of its own, yet pays on
    // the debt left, in slices.
    for i in 0..5 {
        let a = alloc_garbage::<1>(&heap);
        assert!(
            a.traced <= CLOCK_CHECK_OBJECTS,
            "allocation {i} traced {} objects",
            a.traced
        );
        assert!(
            a.traced > 0 || a.scanned_roots,
            "allocation {i} paid nothing of the debt left"
        );
        assert!(a.preempted, "allocation {i} ended the debt");
    }
    // Allocating on, the mutator keeps paying until the mark ends.
    let mut allocations = 0;
    while heap.stats().cycles < cycle {
        let a = alloc_garbage::<4>(&heap);
        assert!(
            a.traced <= CLOCK_CHECK_OBJECTS,
            "an assist traced {} objects",
            a.traced
        );
        allocations += 1;
        assert!(allocations < 1_000_000, "the cycle never ended");
    }
    OWNER_TRACE_NANOS.store(0, Relaxed);
    WORKER_TRACE_NANOS.store(0, Relaxed);
    let last = heap.stats().last;
    assert_eq!(last.number, cycle);
    assert!(last.assists_preempted >= 9, "{last:?}");
    assert!(last.assist_work > 0);
    for (value, object) in roots.iter().enumerate() {
        assert_eq!(object.value, value as u64);
    }
    IS_OWNER.with(|o| o.set(false));
}

/// The slice bounds assists only: the host's own `step` does the work it
/// asks for (it chose the stall), and a heap without workers has no
/// assists to cut short.
#[test]
fn a_step_is_not_cut_short_by_the_assist_slice() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    IS_OWNER.with(|o| o.set(true));
    let heap = Heap::builder().min_heap(4 << 10).build();
    let count = if cfg!(miri) { 40 } else { 200 };
    let roots: Vec<Gc<Slow>> = (0..count).map(|value| heap.alloc(Slow { value })).collect();
    heap.collect();
    OWNER_TRACE_NANOS.store(if cfg!(miri) { 0 } else { 60_000 }, Relaxed);
    assert!(heap.start_cycle());
    let cycle = heap.stats().current.number;
    let before = OWNER_TRACES.load(Relaxed);
    // Enough work for the whole mark in one step.
    heap.step(usize::MAX / 2);
    OWNER_TRACE_NANOS.store(0, Relaxed);
    let traced = OWNER_TRACES.load(Relaxed) - before;
    assert!(
        traced >= count as usize,
        "the step traced {traced} of {count} rooted objects"
    );
    let stats = heap.stats();
    assert!(stats.cycles >= cycle, "the step did not finish the mark");
    assert_eq!(stats.last.assists_preempted, 0);
    for (value, object) in roots.iter().enumerate() {
        assert_eq!(object.value, value as u64);
    }
    IS_OWNER.with(|o| o.set(false));
}
