//! Hostile use of the dedicated and fractional mark workers on a `gosched`
//! runtime's Ps (`HeapBuilder::gosched`, Go's `findRunnableGCWorker`): a
//! `Trace` that panics on a P's worker, the heap dropped while a P runs a
//! dedicated worker, the runtime dropped while one marks, `block_on` on a
//! one-P runtime while a cycle marks (Go: no dedicated worker, one
//! fractional), a second heap's worker tasks outliving the first heap (the
//! GC worker's slot freed for a third), timers falling due on a P a
//! dedicated worker owns, and deadlock detection while the Ps mark. Each
//! test checks that every reachable object survives, every unreachable one
//! is dropped exactly once, and that nothing hangs (a watchdog aborts).
//!
//! Run: `cargo test -p gogc --features gosched --test gosched_workers_hostile`
#![cfg(all(feature = "gosched", not(miri)))] // gosched's threads are not run under Miri

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gogc::{Gc, GcCell, Heap, Phase, Trace, Tracer};

mod common;
use common::{busy_runtime, watchdog};

thread_local! {
    /// Set on a test's own (the heap's owning) thread.
    static OWNER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One test's counters (each test has its own statics).
struct Counters {
    /// Traces made on the runtime's Ms.
    on_ps: AtomicUsize,
    /// Traces made anywhere.
    traced: AtomicUsize,
    /// Traces made off the owning (test) thread.
    by_workers: AtomicUsize,
    /// Drops.
    drops: AtomicUsize,
    /// Panic in the next trace made on a runtime M (cleared by it).
    panic_on_p: AtomicBool,
    /// Panics raised.
    panics: AtomicUsize,
}

impl Counters {
    const fn new() -> Counters {
        Counters {
            on_ps: AtomicUsize::new(0),
            traced: AtomicUsize::new(0),
            by_workers: AtomicUsize::new(0),
            drops: AtomicUsize::new(0),
            panic_on_p: AtomicBool::new(false),
            panics: AtomicUsize::new(0),
        }
    }
}

#[derive(Trace)]
struct Holder {
    items: GcCell<Vec<Gc<Slow>>>,
}

/// A 4 KiB object whose scan spins for 50 µs, with a checked payload.
struct Slow {
    counters: &'static Counters,
    id: u64,
    payload: [u64; 510],
}

// SAFETY: no `Gc`s; visits nothing (it counts, spins and may panic,
// touching no heap state).
unsafe impl Trace for Slow {
    fn trace(&self, _: &mut Tracer<'_>) {
        let c = self.counters;
        c.traced.fetch_add(1, Ordering::Relaxed);
        if !OWNER.with(|o| o.get()) {
            c.by_workers.fetch_add(1, Ordering::Relaxed);
        }
        if std::thread::current().name() == Some("gosched-m") {
            c.on_ps.fetch_add(1, Ordering::Relaxed);
            if c.panic_on_p.swap(false, Ordering::SeqCst) {
                c.panics.fetch_add(1, Ordering::SeqCst);
                panic!("trace panicked on a P");
            }
        }
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_micros(50) {
            std::hint::spin_loop();
        }
    }
}

impl Drop for Slow {
    fn drop(&mut self) {
        self.counters.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn payload(id: u64) -> [u64; 510] {
    let mut p = [0; 510];
    for (i, w) in p.iter_mut().enumerate() {
        *w = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64;
    }
    p
}

fn check(item: &Slow) {
    assert_eq!(
        item.payload,
        payload(item.id),
        "a reachable object was freed"
    );
}

/// A heap on `rt` with `n` slow objects behind a rooted holder, and a
/// forced cycle whose roots the owner has scanned (every object queued for
/// the workers).
fn queued(rt: &gosched::Runtime, n: usize, counters: &'static Counters) -> (Heap, Gc<Holder>) {
    let heap = Heap::builder().gosched(rt).gogc(None).build();
    let holder = alloc_holder(&heap, n, counters);
    queue_cycle(&heap, n);
    (heap, holder)
}

fn alloc_holder(heap: &Heap, n: usize, counters: &'static Counters) -> Gc<Holder> {
    let holder = heap.alloc(Holder {
        items: GcCell::new(Vec::new()),
    });
    let items = (0..n as u64)
        .map(|id| {
            heap.alloc(Slow {
                counters,
                id,
                payload: payload(id),
            })
        })
        .collect();
    holder.items.set(items);
    holder
}

/// Starts a cycle and steps until the owner has scanned the roots and the
/// holder (its items shaded, the full buffers of them published for the
/// workers), then leaves the rest to the workers.
fn queue_cycle(heap: &Heap, n: usize) {
    assert!(heap.start_cycle());
    let _ = n;
    while heap.phase() == Phase::Mark && heap.stats().current.marked_objects < 1 {
        heap.step(1);
    }
    assert_eq!(heap.phase(), Phase::Mark);
}

/// Steps the cycle to its end, one object per millisecond, catching (and
/// counting) re-raised worker panics.
fn finish_slowly(heap: &Heap) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut caught = 0;
    while heap.phase() != Phase::Off {
        assert!(Instant::now() < deadline, "the cycle did not end");
        match catch_unwind(AssertUnwindSafe(|| heap.step(1))) {
            Ok(_) => {}
            Err(payload) => {
                assert_eq!(
                    payload.downcast_ref::<&str>(),
                    Some(&"trace panicked on a P")
                );
                caught += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    caught
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "not within 20 s: {what}");
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn a_trace_panicking_on_a_ps_worker_is_reraised_and_loses_nothing() {
    static C: Counters = Counters::new();
    let _w = watchdog("panic on a P", Duration::from_secs(120));
    let (rt, release, tasks) = busy_runtime(4);
    let (heap, holder) = queued(&rt, 400, &C);
    // The next trace on a P panics (the dedicated worker's, the Ps being
    // busy with tasks).
    C.panic_on_p.store(true, Ordering::SeqCst);
    let caught = finish_slowly(&heap);
    assert_eq!(C.panics.load(Ordering::SeqCst), 1);
    assert_eq!(caught, 1, "the worker's panic re-raised once");
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (4, 1));
    assert_eq!(last.lost_objects, 0);
    for item in holder.items.borrow().iter() {
        check(item);
    }
    // The panic left the GC worker registered and its dedicated slot
    // free: the next cycle marks on the Ps again.
    let on_ps = C.on_ps.load(Ordering::Relaxed);
    queue_cycle(&heap, 400);
    assert_eq!(finish_slowly(&heap), 0);
    let last = heap.stats().last;
    assert_eq!(last.marked_objects, 401);
    assert!(last.dedicated_time > Duration::ZERO, "{last:?}");
    assert!(C.on_ps.load(Ordering::Relaxed) > on_ps);
    assert_eq!(rt.num_goroutine(), 4, "no worker task");
    // Unreachable: each dropped exactly once.
    assert_eq!(C.drops.load(Ordering::SeqCst), 0);
    drop(holder);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(C.drops.load(Ordering::SeqCst), 400);
    drop(heap);
    assert_eq!(C.drops.load(Ordering::SeqCst), 400);
    release.store(true, Ordering::Relaxed);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
}

#[test]
fn the_heap_dropped_while_a_p_runs_a_dedicated_worker_drops_everything_once() {
    static C: Counters = Counters::new();
    static D: Counters = Counters::new();
    let _w = watchdog("heap dropped mid-mark", Duration::from_secs(120));
    let (rt, release, tasks) = busy_runtime(4);
    let (heap, holder) = queued(&rt, 2000, &C);
    // Traces so far: the owner's at the cycle's start.
    let base = C.traced.load(Ordering::SeqCst);
    wait_for("a P marking", || C.on_ps.load(Ordering::Relaxed) >= 20);
    assert_eq!(heap.phase(), Phase::Mark);
    drop(holder);
    drop(heap);
    let traced = C.traced.load(Ordering::SeqCst);
    assert!(traced - base < 2000, "the workers finished first");
    assert_eq!(C.drops.load(Ordering::SeqCst), 2000);
    // No worker traced a freed object (the world stopped first).
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(C.traced.load(Ordering::SeqCst), traced);
    // The runtime goes on, its GC worker's slot free for the next heap,
    // whose dedicated worker takes a P from the same busy tasks.
    let (heap, holder) = queued(&rt, 200, &D);
    assert_eq!(rt.num_goroutine(), 4, "no worker task");
    finish_slowly(&heap);
    assert_eq!(heap.stats().last.marked_objects, 201);
    assert!(D.on_ps.load(Ordering::Relaxed) > 0);
    drop(holder);
    drop(heap);
    assert_eq!(D.drops.load(Ordering::SeqCst), 200);
    release.store(true, Ordering::Relaxed);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
}

#[test]
fn the_runtime_dropped_while_a_dedicated_worker_marks_leaves_the_owner_to_finish() {
    static C: Counters = Counters::new();
    let _w = watchdog("runtime dropped mid-mark", Duration::from_secs(120));
    let (rt, release, tasks) = busy_runtime(4);
    let (heap, holder) = queued(&rt, 2000, &C);
    wait_for("a P marking", || C.on_ps.load(Ordering::Relaxed) >= 20);
    release.store(true, Ordering::Relaxed);
    drop(tasks);
    drop(rt); // joins the Ms: the dedicated worker must give its P back
    let on_ps = C.on_ps.load(Ordering::Relaxed);
    assert!(on_ps < 2000, "the workers finished first ({on_ps})");
    while heap.phase() != Phase::Off {
        heap.step(1 << 16);
    }
    assert_eq!(C.on_ps.load(Ordering::Relaxed), on_ps);
    let last = heap.stats().last;
    assert_eq!(last.marked_objects, 2001);
    assert_eq!(last.lost_objects, 0);
    for item in holder.items.borrow().iter() {
        check(item);
    }
    assert_eq!(C.drops.load(Ordering::SeqCst), 0);
    drop(holder);
    heap.collect();
    assert_eq!(C.drops.load(Ordering::SeqCst), 2000);
}

/// `block_on` of short sleeps, 300 times, while a cycle of `n` slow
/// objects marks on a runtime of `procs` Ps (the worker may be on the
/// `block_on` thread's own P, preempted when the main future is woken);
/// returns the cycle's statistics.
fn block_on_while_marking(procs: usize, n: usize, counters: &'static Counters) -> gogc::CycleStats {
    let rt = gosched::Runtime::builder().procs(procs).build().unwrap();
    let (heap, holder) = queued(&rt, n, counters);
    let traced = counters.traced.load(Ordering::SeqCst);
    for round in 0..300 {
        let v = rt
            .block_on(async move {
                gosched::sleep(Duration::from_millis(1)).await;
                round + 1
            })
            .unwrap();
        assert_eq!(v, round + 1);
    }
    // The workers marked meanwhile (the owner stepped nothing).
    assert!(counters.traced.load(Ordering::SeqCst) > traced);
    finish_slowly(&heap);
    let last = heap.stats().last;
    assert_eq!(last.marked_objects, n as u64 + 1);
    assert_eq!(last.lost_objects, 0);
    for item in holder.items.borrow().iter() {
        check(item);
    }
    drop(holder);
    heap.collect();
    assert_eq!(counters.drops.load(Ordering::SeqCst), n);
    last
}

#[test]
fn block_on_on_one_p_returns_while_a_cycle_marks() {
    static C: Counters = Counters::new();
    let _w = watchdog("block_on on one P", Duration::from_secs(120));
    // 1000 objects of ≥ 50 µs: at a 25 % goal, over 200 ms of marking.
    let last = block_on_while_marking(1, 1000, &C);
    // Go 1.19 with GOMAXPROCS=1: no dedicated worker, one fractional.
    assert_eq!((last.procs, last.dedicated_workers), (1, 0));
    assert!(last.fractional_worker);
}

#[test]
fn block_on_returns_while_a_dedicated_worker_marks() {
    static C: Counters = Counters::new();
    let _w = watchdog(
        "block_on beside a dedicated worker",
        Duration::from_secs(120),
    );
    let last = block_on_while_marking(4, 2000, &C);
    assert_eq!((last.procs, last.dedicated_workers), (4, 1));
    assert!(last.dedicated_time > Duration::ZERO, "{last:?}");
}

#[test]
fn the_runtime_dropped_while_the_owner_allocates_with_assists() {
    static C: Counters = Counters::new();
    let _w = watchdog("runtime dropped under assists", Duration::from_secs(120));
    let (rt, release, tasks) = busy_runtime(4);
    let heap = Heap::builder().gosched(&rt).min_heap(256 << 10).build();
    // Rooted handles.
    let mut held = Vec::new();
    let rt_slot = std::sync::Mutex::new(Some((rt, tasks)));
    let mut kept = 0u64;
    let mut made = 0u64;
    for i in 0..20_000u64 {
        let item = heap.alloc(Slow {
            counters: &C,
            id: i,
            payload: payload(i),
        });
        made += 1;
        // Every 8th is kept (reachable), the rest garbage.
        if i % 8 == 0 {
            held.push(item);
            kept += 1;
        }
        if i == 6_000 {
            // Mid-run, likely mid-cycle: the runtime goes.
            release.store(true, Ordering::Relaxed);
            let (rt, tasks) = rt_slot.lock().unwrap().take().unwrap();
            drop(tasks);
            drop(rt);
        }
    }
    assert!(heap.stats().cycles >= 2, "{:?}", heap.stats());
    for item in &held {
        check(item);
    }
    heap.collect();
    assert_eq!(heap.stats().live_objects as u64, kept);
    assert_eq!(C.drops.load(Ordering::SeqCst) as u64, made - kept);
    drop(held);
    heap.collect();
    assert_eq!(C.drops.load(Ordering::SeqCst) as u64, made);
}

#[test]
fn a_second_heaps_worker_tasks_outlive_the_first_heap() {
    static A: Counters = Counters::new();
    static B: Counters = Counters::new();
    static E: Counters = Counters::new();
    let _w = watchdog("two heaps", Duration::from_secs(120));
    let rt = gosched::Runtime::builder().procs(2).build().unwrap();
    let (first, first_holder) = queued(&rt, 200, &A);
    let tasks_before = rt.num_goroutine();
    let (second, second_holder) = queued(&rt, 400, &B);
    let worker_tasks = rt.num_goroutine() - tasks_before;
    assert!(worker_tasks >= 1, "the second heap's workers are tasks");
    // The first heap (the runtime's GC worker) goes mid-mark.
    drop(first_holder);
    drop(first);
    assert_eq!(A.drops.load(Ordering::SeqCst), 200);
    finish_slowly(&second);
    let last = second.stats().last;
    assert_eq!(last.marked_objects, 401);
    assert_eq!(last.lost_objects, 0);
    for item in second_holder.items.borrow().iter() {
        check(item);
    }
    // The slot is free: a third heap's workers are the Ps (no new task).
    let before_third = rt.num_goroutine();
    let (third, third_holder) = queued(&rt, 100, &E);
    assert_eq!(rt.num_goroutine(), before_third);
    finish_slowly(&third);
    assert_eq!(third.stats().last.marked_objects, 101);
    assert!(E.on_ps.load(Ordering::Relaxed) > 0);
    drop((second_holder, third_holder));
    drop(second);
    drop(third);
    assert_eq!(B.drops.load(Ordering::SeqCst), 400);
    assert_eq!(E.drops.load(Ordering::SeqCst), 100);
    // The second heap's worker tasks are gone with it.
    wait_for("the worker tasks gone", || {
        rt.num_goroutine() == tasks_before
    });
}

#[test]
fn timers_on_a_p_a_dedicated_worker_owns_fire() {
    static C: Counters = Counters::new();
    let _w = watchdog("timers under a dedicated worker", Duration::from_secs(120));
    let (rt, release, tasks) = busy_runtime(4);
    let (heap, holder) = queued(&rt, 3000, &C);
    wait_for("a P marking", || C.on_ps.load(Ordering::Relaxed) >= 20);
    // Sleepers started on every P while the dedicated worker owns one.
    let fired = Arc::new(AtomicUsize::new(0));
    let sleepers: Vec<_> = (0..16)
        .map(|_| {
            let fired = Arc::clone(&fired);
            rt.spawn(async move {
                gosched::sleep(Duration::from_millis(2)).await;
                fired.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for s in sleepers {
        rt.block_on(s).unwrap().unwrap();
    }
    assert_eq!(fired.load(Ordering::SeqCst), 16);
    assert_eq!(heap.phase(), Phase::Mark, "the mark ended first");
    finish_slowly(&heap);
    assert_eq!(heap.stats().last.marked_objects, 3001);
    drop(holder);
    heap.collect();
    assert_eq!(C.drops.load(Ordering::SeqCst), 3000);
    release.store(true, Ordering::Relaxed);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
}

#[test]
fn block_on_reports_a_deadlock_only_once_the_ps_stop_marking() {
    static C: Counters = Counters::new();
    let _w = watchdog("deadlock while marking", Duration::from_secs(120));
    let rt = Arc::new(gosched::Runtime::builder().procs(4).build().unwrap());
    OWNER.with(|o| o.set(true));
    let (heap, holder) = queued(&rt, 600, &C);
    let rt2 = Arc::clone(&rt);
    // Nothing can wake this future: a deadlock, but only once no P marks
    // (the Ps trace every queued object; the owner steps nothing).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = rt2.block_on(std::future::pending::<()>());
        tx.send((r, C.by_workers.load(Ordering::SeqCst))).unwrap();
    });
    let (r, traced_then) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(r.unwrap_err(), gosched::DeadlockError);
    // Every queued object traced once by the workers before the report.
    assert_eq!(traced_then, 600, "a deadlock reported while the Ps marked");
    finish_slowly(&heap);
    assert_eq!(heap.stats().last.marked_objects, 601);
    drop(holder);
    heap.collect();
    assert_eq!(C.drops.load(Ordering::SeqCst), 600);
}

#[test]
fn each_runtimes_procs_gets_go_1_19s_dedicated_and_fractional_workers() {
    static C: Counters = Counters::new();
    let _w = watchdog("worker plans", Duration::from_secs(120));
    // Go 1.19's startCycle: dedicated = int(0.25 P + 0.5); if that misses
    // 0.25 P by more than 30 %, one fewer if it overshoots, and a
    // fractional worker for the rest.
    let expected = [
        (1, 0, true),
        (2, 0, true),
        (3, 0, true),
        (4, 1, false),
        (5, 1, false),
        (6, 1, true),
        (7, 2, false),
        (8, 2, false),
    ];
    for (procs, dedicated, fractional) in expected {
        let rt = gosched::Runtime::builder().procs(procs).build().unwrap();
        let (heap, holder) = queued(&rt, 20, &C);
        finish_slowly(&heap);
        let last = heap.stats().last;
        assert_eq!(
            (last.procs, last.dedicated_workers, last.fractional_worker),
            (procs as u32, dedicated, fractional),
            "procs {procs}"
        );
        assert_eq!(last.marked_objects, 21);
        drop(holder);
        drop(heap);
    }
    assert_eq!(C.drops.load(Ordering::SeqCst), 8 * 20);
}
