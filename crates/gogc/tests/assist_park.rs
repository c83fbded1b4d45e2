//! Assists that park (Go's `gcParkAssist`): a mutator that allocates while
//! the only grey object sits on a slow mark worker waits for the worker's
//! credit instead of running ahead of the marker, is woken by that credit
//! while the cycle still marks, and the cycle still ends; the CPU limiter
//! state shows in the statistics.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use gogc::{Gc, GcCell, Heap, Trace, Tracer};

/// Slows each trace while set (tests in this file run one at a time under
/// the lock below, so the flag is theirs).
static SLOW: AtomicBool = AtomicBool::new(false);
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A list node whose trace takes a while when `SLOW` is set: a list has
/// one grey object at a time, so whoever holds it holds all the work.
struct Link {
    next: GcCell<Option<Gc<Link>>>,
}

// SAFETY: `trace` visits the one `Gc` the node holds, through its cell,
// and nothing else; the sleep touches no heap state.
unsafe impl Trace for Link {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if SLOW.load(Relaxed) {
            std::thread::sleep(Duration::from_micros(20));
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

#[test]
#[cfg_attr(miri, ignore)] // threads and sleeps: the loom model covers the hand-off
fn an_allocating_mutator_parks_for_a_slow_workers_credit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let heap = Heap::builder().mark_workers(1).min_heap(64 << 10).build();
    let head = list(&heap, 3000);
    SLOW.store(true, Relaxed);
    heap.start_cycle();
    let cycle = heap.stats().current.number;
    // Allocate garbage until the owner has parked twice in this cycle: the
    // first park must then have ended with the worker still holding the
    // list (a park that ends because the worker ran dry lets the retry end
    // the mark), so it was woken by flushed credit.
    let mut parked_while_marking = false;
    for _ in 0..200_000 {
        drop(heap.alloc([0u64; 8]));
        let stats = heap.stats();
        if stats.current.number != cycle {
            break;
        }
        if stats.current.assist_parks >= 2 {
            parked_while_marking = true;
            assert!(stats.current.assist_park_time > Duration::ZERO);
            assert!(stats.stall_causes.assist_park.count() >= 1);
            break;
        }
    }
    SLOW.store(false, Relaxed);
    assert!(
        parked_while_marking,
        "the owner never parked twice while the worker held the list"
    );
    // The cycle ends: no deadlock between the parked assist and
    // termination.
    while heap.stats().cycles < cycle {
        drop(heap.alloc([0u64; 8]));
    }
    assert_eq!(list_len(&head), 3000);
    let last = heap.stats().last;
    assert!(last.assist_parks >= 2);
    assert!(last.assist_park_time <= last.assist_time);
    assert!(last.worker_work > 0);
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
