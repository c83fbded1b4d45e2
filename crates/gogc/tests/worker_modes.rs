//! Go's split of the mark workers (`HeapBuilder::procs`): the dedicated
//! and fractional workers each cycle's plan gives, per processor count as
//! Go 1.19's `startCycle` computes them, the fractional worker's marking
//! held near its utilisation goal, and the time of each mode in the cycle's
//! statistics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gogc::{Gc, GcCell, Heap, Phase, Trace, Tracer};

#[derive(Trace)]
struct Holder {
    items: GcCell<Vec<Gc<Slow>>>,
}

/// Objects dropped, to check each is dropped once.
static SLOW_DROPS: AtomicUsize = AtomicUsize::new(0);

/// A 4 KiB object whose scan takes at least `SLOW_TRACE`: marking a few
/// thousand of them takes long enough to measure a worker's share.
struct Slow {
    _payload: [u64; 512],
}

const SLOW_TRACE: Duration = Duration::from_micros(50);

// SAFETY: no `Gc`s; visits nothing (it only waits).
unsafe impl Trace for Slow {
    fn trace(&self, _: &mut Tracer<'_>) {
        std::thread::sleep(SLOW_TRACE);
    }
}

impl Drop for Slow {
    fn drop(&mut self) {
        SLOW_DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Go 1.19's split for P = 1, 2, 3, 4, 6, 8 (`startCycle`: round(0.25 ×
/// P) dedicated workers, one fewer plus a fractional worker when rounding
/// misses 25 % by more than 30 %).
const GO_SPLIT: [(u32, u32, bool); 6] = [
    (1, 0, true),
    (2, 0, true),
    (3, 0, true),
    (4, 1, false),
    (6, 1, true),
    (8, 2, false),
];

/// Runs a cycle with the workers (`collect` would run it on the calling
/// thread alone) to its end: a forced start, then steps.
fn run_cycle(heap: &Heap) {
    assert!(heap.start_cycle());
    while heap.phase() != Phase::Off {
        heap.step(1 << 16);
    }
}

#[test]
fn each_cycle_splits_the_workers_as_go_does() {
    for (procs, dedicated, fractional) in GO_SPLIT {
        let heap = Heap::builder().procs(procs).build();
        let keep = heap.alloc(Holder {
            items: GcCell::new(Vec::new()),
        });
        for round in 1..=2u64 {
            run_cycle(&heap);
            let last = heap.stats().last;
            assert_eq!(last.number, round);
            assert_eq!(last.procs, procs, "P={procs}");
            assert_eq!(last.dedicated_workers, dedicated, "P={procs}");
            assert_eq!(last.fractional_worker, fractional, "P={procs}");
            if dedicated == 0 {
                assert_eq!(last.dedicated_time, Duration::ZERO, "P={procs}");
            }
            if !fractional {
                assert_eq!(last.fractional_time, Duration::ZERO, "P={procs}");
            }
            assert_eq!(last.worker_time, last.dedicated_time + last.fractional_time);
            assert_eq!(
                last.idle_time,
                Duration::ZERO,
                "no scheduler, no idle workers"
            );
        }
        drop(keep);
    }
}

#[test]
fn mark_workers_are_all_dedicated_and_the_last_setting_counts() {
    let heap = Heap::builder().procs(2).mark_workers(3).build();
    run_cycle(&heap);
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (4, 3));
    assert!(!last.fractional_worker);

    let heap = Heap::builder().mark_workers(3).procs(8).build();
    run_cycle(&heap);
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (8, 2));

    let heap = Heap::builder().procs(8).mark_workers(0).build();
    heap.collect();
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (1, 0));
    assert!(!last.fractional_worker);
}

#[test]
#[should_panic(expected = "gogc: procs must be at least 1")]
fn zero_procs_is_refused() {
    let _ = Heap::builder().procs(0);
}

/// A heap holding `n` slow objects behind one rooted holder, with a forced
/// cycle started and every object queued for the workers: the owning
/// thread scans the root and the holder in small steps (only it may scan
/// roots), then leaves the marking to the workers (unless a worker took
/// the holder and drained everything first, and the steps ended the mark). Returns the heap, the
/// holder and when the cycle started.
fn queued_slow_objects(procs: u32, n: usize) -> (Heap, Gc<Holder>, Instant) {
    let heap = Heap::builder().procs(procs).gogc(None).build();
    let holder = heap.alloc(Holder {
        items: GcCell::new(Vec::new()),
    });
    let items: Vec<Gc<Slow>> = (0..n)
        .map(|_| heap.alloc(Slow { _payload: [7; 512] }))
        .collect();
    holder.items.set(items);
    let started = Instant::now();
    assert!(heap.start_cycle());
    while heap.phase() == Phase::Mark && heap.stats().current.marked_objects < n as u64 + 1 {
        heap.step(1);
    }
    (heap, holder, started)
}

#[test]
#[cfg_attr(miri, ignore = "measures a worker over 600 ms of wall time")]
fn a_fractional_worker_marks_near_its_utilisation_goal() {
    // Two processors: no dedicated worker, a fractional one at 25 %. Its
    // work (6000 × at least 50 µs) would take it at least 300 ms if it
    // marked without pause; over 600 ms it may mark about 150 ms.
    let (heap, holder, started) = queued_slow_objects(2, 6000);
    std::thread::sleep(Duration::from_millis(600));
    let current = heap.stats().current;
    let share = current.fractional_time.as_secs_f64() / started.elapsed().as_secs_f64();
    assert_eq!(current.dedicated_time, Duration::ZERO);
    assert!(current.fractional_worker);
    // The goal is 0.25 and a stretch ends past 1.2 × 0.25 = 0.30; the
    // band leaves room for a loaded machine and the stretch in progress
    // (not counted until it ends).
    assert!(
        (0.08..=0.40).contains(&share),
        "fractional worker's share of the cycle: {share:.3}"
    );
    assert!(current.worker_work > 0);
    let before = SLOW_DROPS.load(Ordering::Relaxed);
    drop(holder);
    drop(heap); // joins the worker, asleep or marking
    assert_eq!(SLOW_DROPS.load(Ordering::Relaxed) - before, 6000);
}

#[test]
#[cfg_attr(miri, ignore = "measures a worker over 300 ms of wall time")]
fn a_dedicated_worker_marks_without_a_goal() {
    // Four processors: one dedicated worker, no fractional one.
    let (heap, holder, started) = queued_slow_objects(4, 1000);
    std::thread::sleep(Duration::from_millis(300));
    // The cycle, still marking or (if the worker drained everything while
    // the owner stepped, and a step ended the mark) the last one.
    let stats = heap.stats();
    let current = if heap.phase() == Phase::Mark {
        stats.current
    } else {
        stats.last
    };
    assert_eq!(current.fractional_time, Duration::ZERO);
    assert!(!current.fractional_worker);
    assert_eq!(current.dedicated_workers, 1);
    assert!(current.dedicated_time > Duration::ZERO);
    assert!(current.dedicated_time <= started.elapsed());
    while heap.phase() != Phase::Off {
        heap.step(1 << 16);
    }
    let last = heap.stats().last;
    assert_eq!(last.marked_objects, 1001);
    assert!(last.gctrace().to_string().ends_with(" 4 P (forced)"));
    drop(holder);
}

#[test]
fn a_heap_dropped_while_its_fractional_worker_waits_joins_it() {
    let n = if cfg!(miri) { 20 } else { 400 };
    let (heap, holder, _) = queued_slow_objects(1, n);
    let before = SLOW_DROPS.load(Ordering::Relaxed);
    drop(holder);
    drop(heap);
    assert_eq!(SLOW_DROPS.load(Ordering::Relaxed) - before, n);
}

/// `mark_workers(usize::MAX)` and `procs(u32::MAX)` run their cycles with
/// `MAX_MARK_WORKERS` threads (they used to try to start that many OS
/// threads at the first cycle, and panic when the OS refused). Not under
/// Miri: 256 threads there take minutes.
#[test]
#[cfg_attr(miri, ignore)]
fn huge_worker_counts_run_with_the_maximum() {
    let dedicated = Heap::builder().mark_workers(usize::MAX).gogc(None).build();
    let keep = dedicated.alloc(7u64);
    let dropped = dedicated.alloc(8u64);
    drop(dropped);
    run_cycle(&dedicated);
    let last = dedicated.stats().last;
    assert_eq!(last.procs as usize, gogc::MAX_MARK_WORKERS + 1);
    assert_eq!(last.dedicated_workers as usize, gogc::MAX_MARK_WORKERS);
    assert_eq!(last.marked_objects, 1); // `keep`, not `dropped`
    assert_eq!(*keep, 7);
    drop(keep);
    drop(dedicated); // joins the threads

    let procs = Heap::builder().procs(u32::MAX).gogc(None).build();
    let keep = procs.alloc(9u64);
    run_cycle(&procs);
    let last = procs.stats().last;
    assert_eq!(last.procs, gogc::MAX_PROCS);
    assert_eq!(last.dedicated_workers as usize, gogc::MAX_MARK_WORKERS);
    assert!(!last.fractional_worker);
    assert_eq!(*keep, 9);
}
