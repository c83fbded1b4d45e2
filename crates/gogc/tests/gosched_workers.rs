//! Dedicated and fractional mark workers on a `gosched` runtime's Ps
//! (`HeapBuilder::gosched`; Go's `findRunnableGCWorker`): a P's
//! `schedule` runs them before its run queues while a cycle marks, so a
//! dedicated worker gets its P even while user tasks that never park keep
//! every P busy, and a fractional worker's time stays near its goal.
//!
//! Run: `cargo test -p gogc --features gosched --test gosched_workers`
#![cfg(all(feature = "gosched", not(miri)))] // gosched's threads are not run under Miri

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gogc::{Gc, GcCell, Heap, Phase, Trace, Tracer};

mod common;
use common::busy_runtime;

#[derive(Trace)]
struct Holder {
    items: GcCell<Vec<Gc<Slow>>>,
}

/// A 4 KiB object whose scan spins for 50 µs (a sleep would often last
/// far longer on a loaded machine), counting scans made on the runtime's
/// Ms.
struct Slow {
    on_ps: &'static AtomicUsize,
    _payload: [u64; 511],
}

// SAFETY: no `Gc`s; visits nothing (it only waits).
unsafe impl Trace for Slow {
    fn trace(&self, _: &mut Tracer<'_>) {
        if std::thread::current().name() == Some("gosched-m") {
            self.on_ps.fetch_add(1, Ordering::Relaxed);
        }
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_micros(50) {
            std::hint::spin_loop();
        }
    }
}

/// A heap on `rt` with `n` slow objects behind a rooted holder, and a
/// forced cycle whose roots the owning thread has scanned (every object
/// queued for the workers).
fn queued(rt: &gosched::Runtime, n: usize, on_ps: &'static AtomicUsize) -> (Heap, Gc<Holder>) {
    let heap = Heap::builder().gosched(rt).gogc(None).build();
    let holder = heap.alloc(Holder {
        items: GcCell::new(Vec::new()),
    });
    let items = (0..n)
        .map(|_| {
            heap.alloc(Slow {
                on_ps,
                _payload: [1; 511],
            })
        })
        .collect();
    holder.items.set(items);
    assert!(heap.start_cycle());
    while heap.phase() == Phase::Mark && heap.stats().current.marked_objects < n as u64 + 1 {
        heap.step(1);
    }
    (heap, holder)
}

/// The owning thread lets the workers mark: one object per millisecond of
/// its own, until the cycle ends.
fn finish_slowly(heap: &Heap) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while heap.phase() != Phase::Off {
        assert!(Instant::now() < deadline, "the cycle did not end");
        heap.step(1);
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_dedicated_worker_takes_its_p_from_tasks_that_never_park() {
    static ON_PS: AtomicUsize = AtomicUsize::new(0);
    // Four Ps: one dedicated worker, no fractional one; four user tasks
    // keep all four Ps busy.
    let (rt, release, tasks) = busy_runtime(4);
    let (heap, holder) = queued(&rt, 600, &ON_PS);
    finish_slowly(&heap);
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (4, 1));
    assert!(!last.fractional_worker);
    assert_eq!(last.marked_objects, 601);
    // No worker task: the runtime's Ms mark as the dedicated worker, which
    // owned its P while the tasks ran (and as idle workers on a P left
    // without a task for a moment while the tasks move between queues).
    assert_eq!(rt.num_goroutine(), 4);
    assert!(ON_PS.load(Ordering::Relaxed) > 300, "{last:?}");
    assert!(last.dedicated_time > last.assist_time, "{last:?}");
    // It marked through the concurrent mark: 600 objects of ≥ 50 µs on
    // one P, the owner marking one per millisecond besides.
    assert!(
        last.dedicated_time * 2 >= last.concurrent_mark,
        "dedicated {:?} of a {:?} mark",
        last.dedicated_time,
        last.concurrent_mark
    );
    release.store(true, Ordering::Relaxed);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
    drop(holder);
}

#[test]
fn a_fractional_workers_time_stays_near_its_goal() {
    static ON_PS: AtomicUsize = AtomicUsize::new(0);
    // Two Ps: no dedicated worker (0.5 rounds to 1, 100 % off), a
    // fractional goal of 25 % per P; two user tasks keep both Ps busy.
    let (rt, release, tasks) = busy_runtime(2);
    let (heap, holder) = queued(&rt, 1500, &ON_PS);
    finish_slowly(&heap);
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (2, 0));
    assert!(last.fractional_worker);
    assert_eq!(last.dedicated_time, Duration::ZERO);
    assert!(ON_PS.load(Ordering::Relaxed) > 0);
    // Two Ps at a 25 % goal each: half a P over the mark. Each P ends a
    // stretch past 1.2 × its goal (0.6 P in all), checked every 25 of these
    // objects; on a loaded machine a check can come late (the OS runs
    // something else mid-object), so the bound is twice the goal: a
    // dedicated-like worker would take up to 2 P.
    let share = last.fractional_time.as_secs_f64() / last.concurrent_mark.as_secs_f64();
    assert!(
        (0.1..=1.0).contains(&share),
        "fractional {:?} of a {:?} mark: {share:.2} P",
        last.fractional_time,
        last.concurrent_mark
    );
    release.store(true, Ordering::Relaxed);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
    drop(holder);
}

#[test]
fn one_procs_runs_one_fractional_worker() {
    static ON_PS: AtomicUsize = AtomicUsize::new(0);
    // Go: 0.25 rounds to 0 dedicated, so one P runs a fractional worker at
    // a 25 % goal.
    let (rt, release, tasks) = busy_runtime(1);
    let (heap, holder) = queued(&rt, 300, &ON_PS);
    finish_slowly(&heap);
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (1, 0));
    assert!(last.fractional_worker);
    assert!(last.fractional_time > Duration::ZERO);
    assert_eq!(last.marked_objects, 301);
    release.store(true, Ordering::Relaxed);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
    drop(holder);
}

#[test]
fn a_second_heap_on_the_runtime_runs_its_workers_as_tasks() {
    static ON_PS: AtomicUsize = AtomicUsize::new(0);
    let rt = gosched::Runtime::builder().procs(4).build().unwrap();
    // The first heap's workers are the runtime's GC worker (one per
    // runtime); the second's are tasks.
    let (first, first_holder) = queued(&rt, 10, &ON_PS);
    let (second, second_holder) = queued(&rt, 200, &ON_PS);
    assert!(rt.num_goroutine() >= 1);
    for heap in [&first, &second] {
        while heap.phase() != Phase::Off {
            heap.step(1 << 12);
        }
    }
    assert_eq!(second.stats().last.marked_objects, 201);
    drop((first_holder, second_holder));
    drop(first);
    drop(second);
}

#[test]
fn shutting_the_runtime_down_mid_cycle_leaves_the_owner_to_finish() {
    static ON_PS: AtomicUsize = AtomicUsize::new(0);
    let rt = gosched::Runtime::builder().procs(4).build().unwrap();
    let (heap, holder) = queued(&rt, 400, &ON_PS);
    drop(rt);
    // The Ms are gone; the owning thread marks the rest itself.
    while heap.phase() != Phase::Off {
        heap.step(1 << 16);
    }
    assert_eq!(heap.stats().last.marked_objects, 401);
    drop(holder);
}
