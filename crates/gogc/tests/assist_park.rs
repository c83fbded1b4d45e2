//! Assists that park (Go's `gcParkAssist`): a mutator that allocates while
//! the only grey object sits on a mark worker waits for the worker's credit
//! instead of running ahead of the marker and is paid by it; beside a
//! worker too slow for a park's limit it allocates on; the cycle always
//! ends; without workers nothing parks.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use gogc::{Gc, GcCell, Heap, Trace, Tracer};

/// Nanoseconds each trace takes while not 0 (tests in this file run one at
/// a time under the lock below, so the setting is theirs).
static TRACE_NANOS: AtomicU64 = AtomicU64::new(0);
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Traces run on a thread other than the heap's owner (a mark worker).
static WORKER_TRACES: AtomicU64 = AtomicU64::new(0);

std::thread_local! {
    /// Set on the thread that owns the heap under test.
    static ON_OWNER: Cell<bool> = const { Cell::new(false) };
}

/// A list node whose trace takes a while when `SLOW` is set: a list has
/// one grey object at a time, so whoever holds it holds all the work.
struct Link {
    next: GcCell<Option<Gc<Link>>>,
}

// SAFETY: `trace` visits the one `Gc` the node holds, through its cell,
// and nothing else; the sleep touches no heap state.
unsafe impl Trace for Link {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if !ON_OWNER.with(Cell::get) {
            WORKER_TRACES.fetch_add(1, Relaxed);
        }
        let nanos = TRACE_NANOS.load(Relaxed);
        if nanos > 0 {
            let started = Instant::now();
            while started.elapsed() < Duration::from_nanos(nanos) {
                std::hint::spin_loop();
            }
        }
        self.next.trace(tracer);
    }
}

fn list(heap: &Heap, len: usize) -> Gc<Link> {
    let mut head = heap.alloc(Link {
        next: GcCell::new(None),
    });
    for _ in 1..len {
        head = heap.alloc(Link {
            next: GcCell::new(Some(head)),
        });
    }
    head
}

fn list_len(head: &Gc<Link>) -> usize {
    let mut len = 1;
    let mut at = head.next.get();
    while let Some(node) = at {
        len += 1;
        at = node.next.get();
    }
    len
}

/// Runs a cycle over a rooted list of `len` nodes, each traced in
/// `trace_nanos`, on one worker while the owner allocates 32 KiB of
/// garbage at a time (a debt that soon outruns both its own minimum assist
/// and the worker's credit), once the worker holds the list; returns the
/// cycle's statistics.
fn cycle_beside_allocation(len: usize, trace_nanos: u64) -> gogc::CycleStats {
    let heap = Heap::builder().mark_workers(1).min_heap(64 << 10).build();
    let head = list(&heap, len);
    // Finish the cycles the list's allocation started.
    heap.collect();
    ON_OWNER.with(|o| o.set(true));
    WORKER_TRACES.store(0, Relaxed);
    TRACE_NANOS.store(trace_nanos, Relaxed);
    assert!(heap.start_cycle());
    let cycle = heap.stats().current.number;
    hand_the_list_to_the_worker(&heap, cycle);
    // The worker holds the list's only grey node and never hands it back
    // (a worker shares only a spare buffer, or more than 4 objects: Go's
    // `balance`), so from here on the owner has no work of its own.
    while heap.stats().cycles < cycle {
        drop(heap.alloc([0u64; 4096]));
    }
    TRACE_NANOS.store(0, Relaxed);
    ON_OWNER.with(|o| o.set(false));
    assert_eq!(list_len(&head), len);
    heap.stats().last
}

/// Only the owner scans roots, so the list's head turns grey in one of its
/// assists; a list has one grey object at a time, and the owner keeps a
/// partly filled buffer (world W6), so the worker gets the list only when
/// the owner publishes everything it holds because the workers ran dry
/// (the W4 hint, as Go's `gcMarkDone` flushes each P's `gcWork`). The
/// owner's next assist would take it back from the shared list as Go's
/// `gcDrainN` does: so after each small allocation (an assist) the owner
/// waits, allocating nothing, until the worker has traced a node.
fn hand_the_list_to_the_worker(heap: &Heap, cycle: u64) {
    let started = Instant::now();
    while WORKER_TRACES.load(Relaxed) == 0 {
        assert!(
            heap.stats().cycles < cycle,
            "the cycle ended before the worker took the list"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker never took the list"
        );
        drop(heap.alloc(0u64));
        let waited = Instant::now();
        while WORKER_TRACES.load(Relaxed) == 0 && waited.elapsed() < Duration::from_millis(20) {
            std::thread::yield_now();
        }
    }
}

/// A list has one grey object at a time, held by the worker: the owner
/// runs out of work and parks, and the worker's flushes (every 64 nodes of
/// 250 ns, 16 µs apart, within a park's 50 µs) pay it.
#[test]
#[cfg_attr(miri, ignore)] // threads: the loom model covers the hand-off
fn an_allocating_mutator_parks_and_is_paid_by_the_workers_credit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // The worker holds the list (`hand_the_list_to_the_worker`), but
    // whether its flushes come while the owner is parked depends on the OS
    // scheduler (a descheduled worker flushes nothing): up to 5 tries for
    // one where credit reached a parked assist.
    let mut runs = Vec::new();
    for _ in 0..5 {
        let last = cycle_beside_allocation(20_000, 250);
        assert!(last.assist_park_time <= last.assist_time);
        let paid = last.assist_park_credit > 0;
        runs.push(last);
        if paid {
            break;
        }
    }
    let last = runs.last().unwrap();
    assert!(last.assist_parks > 0, "{runs:?}");
    assert!(
        last.assist_park_credit > 0,
        "no credit reached a parked assist: {runs:?}"
    );
    assert!(last.worker_work > 0);
}

/// A worker slower than a park (a flush every 64 × 20 µs, past an
/// assist's 40 µs slice): the parks end at their limit, the owner
/// allocates on with its debt, and the cycle still ends.
///
/// Not under Miri: its clock advances with every interpreted block, so an
/// assist's 40 µs slice is over before the assist could park (a run
/// there assisted 3 times and parked 0 times).
#[test]
#[cfg_attr(miri, ignore)] // the assist's wall-clock slice, see above
fn parks_end_at_their_limit_beside_a_slow_worker() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let last = cycle_beside_allocation(2_000, 20_000);
    assert!(last.worker_work > 0, "{last:?}");
    assert!(last.assist_parks >= 2, "{last:?}");
    // Parks that ended at the slice's end left debt for the next
    // allocation.
    assert!(last.assists_preempted > 0, "{last:?}");
    assert!(last.assist_park_time <= last.assist_time, "{last:?}");
}

#[test]
#[cfg_attr(miri, ignore)] // threads
fn parked_assists_never_deadlock_mark_termination() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let heap = Heap::builder().mark_workers(1).min_heap(64 << 10).build();
    // Many short cycles with short lists: the worker runs dry often, while
    // the owner is parked or about to park.
    let mut keep = Vec::new();
    for round in 0..40 {
        keep.push(list(&heap, 50 + round));
        if keep.len() > 4 {
            keep.remove(0);
        }
        for _ in 0..2000 {
            drop(heap.alloc([0u64; 4]));
        }
    }
    let stats = heap.stats();
    assert!(stats.cycles >= 5, "only {} cycles", stats.cycles);
    for (i, head) in keep.iter().enumerate() {
        assert_eq!(list_len(head), 50 + 36 + i);
    }
    assert!(!stats.cpu_limiting);
}

/// Without mark workers nothing parks: the host-driven heap is unchanged.
#[test]
fn without_workers_nothing_parks() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let heap = Heap::builder().min_heap(4 << 10).build();
    let head = list(&heap, 100);
    heap.start_cycle();
    while heap.stats().current.number != 0 {
        heap.step(1 << 10);
    }
    assert_eq!(list_len(&head), 100);
    let stats = heap.stats();
    assert_eq!(stats.last.assist_parks, 0);
    assert_eq!(stats.stall_causes.assist_park.count(), 0);
    assert_eq!(stats.stalls.count(), 0);
}
