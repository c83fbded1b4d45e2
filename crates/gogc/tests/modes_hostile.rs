//! Hostile tests for the mark worker modes: the CPU limiter with absurd
//! inputs, `procs(p)` worker threads under the invariant checker with
//! every barrier, a `Trace` that panics or is slow on a worker, builder
//! ordering, and (feature `gosched`) worker tasks and idle workers on a
//! runtime dropped before or after the heap, or mid-cycle.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{watchdog, Rng};
use gogc::{Barrier, CpuLimiter, Gc, GcCell, Heap, Phase, Trace, Tracer};

// ---------------------------------------------------------------------
// CPU limiter: absurd inputs never panic, and the bucket stays in range.
// ---------------------------------------------------------------------

fn in_range(l: &CpuLimiter) {
    assert!(
        l.fill() <= l.capacity(),
        "fill {} > capacity {}",
        l.fill(),
        l.capacity()
    );
}

#[test]
fn limiter_clock_spanning_the_whole_i64_range_does_not_overflow() {
    let mut l = CpuLimiter::new(i64::MIN, 1);
    l.update(i64::MAX);
    in_range(&l);
    // The whole window was mutator time: nothing fills.
    assert_eq!(l.fill(), 0);
    assert!(!l.limiting());

    let mut l = CpuLimiter::new(i64::MIN, 8);
    l.start_gc_transition(true, i64::MIN);
    l.finish_gc_transition(i64::MAX);
    in_range(&l);
    // An (absurdly) long pause is GC time on every processor: full.
    assert!(l.limiting());
    assert_eq!(l.fill(), l.capacity());
    assert!(l.overflow() > 0);
    l.start_gc_transition(false, i64::MIN);
    l.finish_gc_transition(i64::MIN);
    l.update(i64::MAX);
    in_range(&l);
}

#[test]
fn limiter_need_update_across_the_whole_range() {
    let l = CpuLimiter::new(i64::MIN, 1);
    assert!(l.need_update(i64::MAX));
    let l = CpuLimiter::new(i64::MAX, 1);
    assert!(!l.need_update(i64::MIN));
}

#[test]
fn limiter_with_zero_procs_never_panics_nor_limits_wrongly() {
    let mut l = CpuLimiter::new(0, 0);
    assert_eq!(l.capacity(), 0);
    l.add_assist_time(i64::MAX);
    l.update(1_000);
    in_range(&l);
    l.start_gc_transition(true, 2_000);
    l.finish_gc_transition(3_000);
    l.update(i64::MAX);
    in_range(&l);
    l.reset_capacity(i64::MAX, 4);
    assert_eq!(l.capacity(), 4 * gogc::CAPACITY_PER_PROC_NANOS);
    in_range(&l);
}

#[test]
fn limiter_huge_and_negative_pools_and_backwards_time() {
    let mut l = CpuLimiter::new(0, u32::MAX);
    assert_eq!(
        l.capacity(),
        u64::from(u32::MAX) * gogc::CAPACITY_PER_PROC_NANOS
    );
    for (assist, idle, now) in [
        (i64::MAX, i64::MAX, 10),
        (i64::MIN, 0, 5),
        (i64::MIN, i64::MIN, i64::MAX),
        (i64::MAX, i64::MIN, i64::MAX),
        (-1, -1, i64::MIN),
        (i64::MAX, 0, 0),
    ] {
        l.add_assist_time(assist);
        l.add_assist_time(assist);
        l.add_idle_time(idle);
        l.add_idle_time(idle);
        l.update(now);
        in_range(&l);
    }
    let mut l = CpuLimiter::new(1_000, 1);
    l.add_assist_time(500);
    // Backwards: nothing counted, the pool is kept for a later window.
    l.update(10);
    assert_eq!(l.fill(), 0);
    l.reset_capacity(i64::MIN, 0);
    in_range(&l);
    l.reset_capacity(i64::MAX, u32::MAX);
    in_range(&l);
}

// ---------------------------------------------------------------------
// procs(p) worker threads under the invariant checker, every barrier.
// ---------------------------------------------------------------------

#[derive(Trace)]
struct Node {
    id: u64,
    check: u64,
    edges: [GcCell<Option<Gc<Node>>>; 2],
    list: GcCell<Vec<Gc<Node>>>,
}

fn checksum(id: u64) -> u64 {
    id.rotate_left(23) ^ 0x0F1E_2D3C_4B5A_6978
}

fn reachable(roots: &[Gc<Node>]) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<Gc<Node>> = roots.to_vec();
    while let Some(node) = stack.pop() {
        assert_eq!(node.check, checksum(node.id), "a reachable node was freed");
        if seen.insert(Gc::as_ptr(&node) as usize) {
            stack.extend(node.edges[0].get());
            stack.extend(node.edges[1].get());
            stack.extend(node.list.get());
        }
    }
    seen.len()
}

/// Random mutations on a heap built by `builder` with the checkmark at
/// every termination and `verify` every 64 operations; returns cycles.
fn mutate(heap: &Heap, ops: u64, seed: u64) -> u64 {
    let mut rng = Rng(seed);
    let mut next_id = 0;
    let mut alloc = |heap: &Heap| {
        next_id += 1;
        heap.alloc(Node {
            id: next_id,
            check: checksum(next_id),
            edges: [GcCell::new(None), GcCell::new(None)],
            list: GcCell::new(Vec::new()),
        })
    };
    let mut roots: Vec<Gc<Node>> = (0..8).map(|_| alloc(heap)).collect();
    let population = if cfg!(miri) { 16 } else { 1024 };
    let anchor = alloc(heap);
    anchor
        .list
        .set((0..population).map(|_| alloc(heap)).collect());
    for done in 0..ops {
        let a = rng.below(roots.len());
        let b = rng.below(roots.len());
        match rng.below(8) {
            0..=2 => {
                let fresh = alloc(heap);
                fresh.edges[0].store(Some(&roots[b]));
                roots[a].edges[rng.below(2)].store(Some(&fresh));
            }
            3 => {
                let target = roots[a].edges[0].get();
                roots[b].edges[1].store(target.as_ref());
                roots[a].edges[0].store(None);
            }
            4 => {
                let items: Vec<Gc<Node>> = roots[a].edges.iter().filter_map(|e| e.get()).collect();
                roots[b].list.set(items);
            }
            5 => {
                if let Some(child) = roots[a].edges[rng.below(2)].get() {
                    roots[b] = child;
                } else {
                    roots[b] = anchor.list.borrow()[rng.below(population)].clone();
                }
            }
            6 => {
                heap.step(rng.below(2048) + 1);
            }
            _ => {
                if done % 64 == 0 {
                    assert_eq!(heap.verify(), Ok(()));
                }
                roots[a].edges[1].store(None);
            }
        }
    }
    roots.push(anchor);
    while heap.step(usize::MAX) != Phase::Off {}
    let live = reachable(&roots);
    heap.collect();
    assert_eq!(heap.verify(), Ok(()));
    assert_eq!(heap.stats().live_objects, live);
    assert_eq!(heap.stats().last.lost_objects, 0);
    heap.stats().cycles
}

#[test]
fn procs_1_to_8_with_every_barrier_keep_the_invariants() {
    let _dog = watchdog("procs stress", Duration::from_secs(240));
    let ops = if cfg!(miri) { 150 } else { 6_000 };
    let procs: &[u32] = if cfg!(miri) {
        &[2]
    } else {
        &[1, 2, 3, 4, 5, 6, 7, 8]
    };
    for &p in procs {
        for (i, barrier) in [Barrier::Hybrid, Barrier::Dijkstra, Barrier::Yuasa]
            .into_iter()
            .enumerate()
        {
            let heap = Heap::builder()
                .barrier(barrier)
                .procs(p)
                .checkmark(true)
                .verify_each_step(true)
                .min_heap(if cfg!(miri) { 2 << 10 } else { 64 << 10 })
                .build();
            let cycles = mutate(&heap, ops, 11 + u64::from(p) * 3 + i as u64);
            assert!(cycles > 0, "procs {p} {barrier:?}: no cycle ran");
            assert_eq!(heap.stats().last.procs, p);
        }
    }
}

// ---------------------------------------------------------------------
// Builder ordering: the last of mark_workers / procs counts.
// ---------------------------------------------------------------------

/// One cycle started as the pacer starts them (with its worker plan),
/// driven to its end by the owner's steps.
fn one_forced_cycle(heap: &Heap) -> gogc::CycleStats {
    let keep = heap.alloc(5u64);
    assert!(heap.start_cycle());
    while heap.step(1 << 16) != Phase::Off {}
    assert_eq!(*keep, 5);
    heap.stats().last
}

#[test]
#[cfg_attr(miri, ignore = "starts worker threads; the procs stress covers Miri")]
fn the_last_of_mark_workers_and_procs_counts() {
    let _dog = watchdog("builder ordering", Duration::from_secs(60));
    // procs(8) last: Go's split of 8 processors (2 dedicated).
    let heap = Heap::builder().mark_workers(3).procs(8).build();
    let last = one_forced_cycle(&heap);
    assert_eq!((last.procs, last.dedicated_workers), (8, 2));
    assert!(!last.fractional_worker);
    // mark_workers(3) last: three dedicated threads, no per-procs split.
    let heap = Heap::builder().procs(8).mark_workers(3).build();
    let last = one_forced_cycle(&heap);
    assert_ne!((last.procs, last.dedicated_workers), (8, 2));
    // mark_workers(0) last: no workers, the owner marks alone.
    let heap = Heap::builder().procs(8).mark_workers(0).build();
    let last = one_forced_cycle(&heap);
    assert_eq!(last.worker_time, Duration::ZERO);
    assert_eq!(last.worker_work, 0);
}

#[test]
fn procs_zero_is_refused_with_a_clear_message() {
    let built = catch_unwind(|| Heap::builder().procs(0));
    let payload = built.map(drop).expect_err("procs(0) must panic");
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(message.contains("procs must be at least 1"), "{message}");
}

// ---------------------------------------------------------------------
// A Trace that panics or is slow on a worker.
// ---------------------------------------------------------------------

/// One test's counters for its [`Hostile`] objects (tests run in
/// parallel).
struct Counters {
    /// Trace panics left to throw.
    armed: AtomicUsize,
    panics: AtomicUsize,
    drops: AtomicUsize,
}

impl Counters {
    const fn new() -> Counters {
        Counters {
            armed: AtomicUsize::new(0),
            panics: AtomicUsize::new(0),
            drops: AtomicUsize::new(0),
        }
    }
}

/// Panics in `trace` while its counters have shots left (on any thread),
/// and sleeps `delay_micros` per trace.
struct Hostile {
    delay_micros: u64,
    counters: &'static Counters,
}

// SAFETY: no `Gc`s; visits nothing.
unsafe impl Trace for Hostile {
    fn trace(&self, _: &mut Tracer<'_>) {
        if self.delay_micros > 0 {
            std::thread::sleep(Duration::from_micros(self.delay_micros));
        }
        if self
            .counters
            .armed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            self.counters.panics.fetch_add(1, Ordering::SeqCst);
            panic!("hostile trace");
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.counters.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Trace)]
struct Bag {
    items: GcCell<Vec<Gc<Hostile>>>,
}

/// Drives a forced cycle to its end, catching the re-raised trace panics;
/// returns how many the owner caught.
fn finish_catching(heap: &Heap) -> usize {
    let mut caught = 0;
    let mut steps = 0u64;
    loop {
        match catch_unwind(AssertUnwindSafe(|| heap.step(1 << 12))) {
            Ok(Phase::Off) => return caught,
            Ok(_) => {}
            Err(payload) => {
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"hostile trace"));
                caught += 1;
            }
        }
        steps += 1;
        assert!(steps < 10_000_000, "the cycle never ended");
    }
}

/// The Trace-panic scenario on a heap from `build`, `n` objects, `shots`
/// panics: every panic reaches the owner, every object survives the cycle
/// and is dropped exactly once.
fn trace_panics_reach_the_owner(heap: Heap, n: usize, shots: usize, counters: &'static Counters) {
    let drops_before = counters.drops.load(Ordering::SeqCst);
    let bag = heap.alloc(Bag {
        items: GcCell::new(Vec::new()),
    });
    bag.items.set(
        (0..n)
            .map(|_| {
                heap.alloc(Hostile {
                    delay_micros: 20,
                    counters,
                })
            })
            .collect(),
    );
    let panics_before = counters.panics.load(Ordering::SeqCst);
    counters.armed.store(shots, Ordering::SeqCst);
    assert!(heap.start_cycle());
    let caught = finish_catching(&heap);
    let panicked = counters.panics.load(Ordering::SeqCst) - panics_before;
    assert_eq!(panicked, shots);
    // Each panic on the owner reaches it; of the workers' panics between
    // two safe points only the first is re-raised.
    assert!(
        (1..=shots).contains(&caught),
        "{caught} of {shots} trace panics re-raised on the owner"
    );
    // Nothing reachable was freed; a clean cycle keeps all of it.
    heap.collect();
    assert_eq!(heap.verify(), Ok(()));
    assert_eq!(heap.stats().live_objects, n + 1);
    assert_eq!(counters.drops.load(Ordering::SeqCst), drops_before);
    bag.items.take();
    heap.collect();
    assert_eq!(heap.stats().live_objects, 1);
    assert_eq!(counters.drops.load(Ordering::SeqCst), drops_before + n);
    drop(bag);
    drop(heap);
    assert_eq!(counters.drops.load(Ordering::SeqCst), drops_before + n);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "worker threads with sleeps; see the mark_workers(0) variant"
)]
fn trace_panics_on_procs_worker_threads_reach_the_owner() {
    static COUNTERS: Counters = Counters::new();
    let _dog = watchdog("trace panic on procs workers", Duration::from_secs(120));
    for p in [1, 4, 8] {
        let heap = Heap::builder().procs(p).gogc(None).build();
        trace_panics_reach_the_owner(heap, 400, 3, &COUNTERS);
    }
}

#[test]
fn trace_panics_without_workers_reach_the_owner() {
    static COUNTERS: Counters = Counters::new();
    let heap = Heap::builder().mark_workers(0).gogc(None).build();
    trace_panics_reach_the_owner(heap, if cfg!(miri) { 20 } else { 200 }, 2, &COUNTERS);
}

// ---------------------------------------------------------------------
// Parked assists: a worker panics while the owner is parked; the heap is
// dropped right after a park.
// ---------------------------------------------------------------------

/// Allocates through a cycle in which workers trace slow objects (so the
/// owner's assists park for their credit) until the cycle ends; returns
/// (trace panics caught by the owner, assist parks seen).
fn allocate_through_a_slow_mark(
    heap: &Heap,
    bag: &Gc<Bag>,
    counters: &'static Counters,
    shots: usize,
) -> (usize, u64) {
    assert!(heap.start_cycle());
    for _ in 0..4 {
        heap.step(64);
    }
    counters.armed.store(shots, Ordering::SeqCst);
    let mut caught = 0;
    let mut parks = 0;
    let mut allocs = 0u64;
    while heap.phase() != Phase::Off {
        let alloc = catch_unwind(AssertUnwindSafe(|| {
            // 1 KiB of garbage per allocation: debt for the assists.
            drop(heap.alloc([0u64; 128]));
        }));
        if let Err(payload) = alloc {
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"hostile trace"));
            caught += 1;
        }
        parks = heap.stats().stall_causes.assist_park.count();
        allocs += 1;
        if allocs % 4096 == 0 {
            let step = catch_unwind(AssertUnwindSafe(|| heap.step(1 << 12)));
            if let Err(payload) = step {
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"hostile trace"));
                caught += 1;
            }
        }
        assert!(allocs < 50_000_000, "the cycle never ended");
    }
    assert!(!bag.items.borrow().is_empty());
    (caught, parks)
}

#[test]
#[cfg_attr(miri, ignore = "worker threads with sleeping traces")]
fn a_worker_panic_while_the_owner_is_parked_in_an_assist_reaches_the_owner() {
    static COUNTERS: Counters = Counters::new();
    let _dog = watchdog(
        "worker panic during a parked assist",
        Duration::from_secs(120),
    );
    let mut total_parks = 0;
    for workers in [1, 2] {
        let heap = Heap::builder()
            .mark_workers(workers)
            .min_heap(64 << 10)
            .build();
        let n = 600;
        let bag = heap.alloc(Bag {
            items: GcCell::new(Vec::new()),
        });
        bag.items.set(
            (0..n)
                .map(|_| {
                    heap.alloc(Hostile {
                        delay_micros: 30,
                        counters: &COUNTERS,
                    })
                })
                .collect(),
        );
        let drops = COUNTERS.drops.load(Ordering::SeqCst);
        let panics = COUNTERS.panics.load(Ordering::SeqCst);
        let (caught, parks) = allocate_through_a_slow_mark(&heap, &bag, &COUNTERS, 3);
        total_parks += parks;
        assert_eq!(COUNTERS.panics.load(Ordering::SeqCst) - panics, 3);
        // The owner re-raises the first of the workers' panics since its
        // last safe point (the others' payloads are dropped, their objects
        // queued again): at least one, at most all three, reach it.
        assert!(
            (1..=3).contains(&caught),
            "{caught} trace panics reached the owner"
        );
        heap.collect();
        assert_eq!(heap.verify(), Ok(()));
        assert_eq!(heap.stats().live_objects, n + 1);
        assert_eq!(COUNTERS.drops.load(Ordering::SeqCst), drops);
        drop(bag);
        drop(heap);
        assert_eq!(COUNTERS.drops.load(Ordering::SeqCst), drops + n);
    }
    eprintln!("assist parks seen: {total_parks}");
}

#[test]
#[cfg_attr(miri, ignore = "worker threads with sleeping traces")]
fn the_heap_dropped_mid_cycle_right_after_an_assist_frees_everything_once() {
    static COUNTERS: Counters = Counters::new();
    let _dog = watchdog("heap drop after an assist", Duration::from_secs(120));
    let (mut parked, mut mid_cycle) = (0, 0);
    let rounds = 20;
    for round in 0..rounds {
        let heap = Heap::builder()
            .mark_workers(1 + round % 2)
            .min_heap(64 << 10)
            .build();
        // Many small bags, so that the workers take (and hold) most of the
        // grey objects and the owner's assists run out of its own.
        let (bags, per_bag) = (100, 10);
        let root = heap.alloc(Nest {
            bags: GcCell::new(Vec::new()),
        });
        root.bags.set(
            (0..bags)
                .map(|_| {
                    let bag = heap.alloc(Bag {
                        items: GcCell::new(Vec::new()),
                    });
                    bag.items.set(
                        (0..per_bag)
                            .map(|_| {
                                heap.alloc(Hostile {
                                    delay_micros: 50,
                                    counters: &COUNTERS,
                                })
                            })
                            .collect(),
                    );
                    bag
                })
                .collect(),
        );
        let drops = COUNTERS.drops.load(Ordering::SeqCst);
        assert!(heap.start_cycle());
        // Let the workers take some of the bags, allocate (an assist, which
        // parks if the workers hold every grey object), then drop the heap
        // at once, mid-cycle.
        heap.step(1);
        std::thread::sleep(Duration::from_micros(200));
        let parks_before = heap.stats().stall_causes.assist_park.count();
        drop(heap.alloc([0u64; 128]));
        if heap.stats().stall_causes.assist_park.count() != parks_before {
            parked += 1;
        }
        mid_cycle += usize::from(heap.phase() != Phase::Off);
        drop(root);
        drop(heap);
        assert_eq!(
            COUNTERS.drops.load(Ordering::SeqCst),
            drops + bags * per_bag
        );
    }
    eprintln!("of {rounds} heaps, dropped mid-cycle: {mid_cycle}, right after a park: {parked}");
    assert!(mid_cycle > 0, "no heap was dropped mid-cycle");
}

#[derive(Trace)]
struct Nest {
    bags: GcCell<Vec<Gc<Bag>>>,
}

/// A panic payload whose drop panics while [`PAYLOAD_DROP_SHOTS`] has
/// shots left (once per cycle here: a second panic while unwinding would
/// abort).
struct PanickyPayload;

static PAYLOAD_DROP_SHOTS: AtomicUsize = AtomicUsize::new(0);

impl Drop for PanickyPayload {
    fn drop(&mut self) {
        if PAYLOAD_DROP_SHOTS
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            panic!("a payload that panics when dropped");
        }
    }
}

static PARENT_SHOTS: AtomicUsize = AtomicUsize::new(0);
static LEAF_DROPS: AtomicUsize = AtomicUsize::new(0);

struct Leaf {
    id: u64,
    check: u64,
}

// SAFETY: no `Gc`s.
unsafe impl Trace for Leaf {
    fn trace(&self, _: &mut Tracer<'_>) {}
}

impl Drop for Leaf {
    fn drop(&mut self) {
        LEAF_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

/// While shots are left, on a worker thread, waits 1 ms and panics with a
/// [`PanickyPayload`] before it visits its child.
struct Parent {
    child: Gc<Leaf>,
}

// SAFETY: visits its one `Gc`.
unsafe impl Trace for Parent {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        let worker = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("gogc-mark"));
        if worker
            && PARENT_SHOTS
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            std::thread::sleep(Duration::from_millis(1));
            std::panic::panic_any(PanickyPayload);
        }
        self.child.trace(tracer);
    }
}

#[derive(Trace)]
struct Parents {
    items: GcCell<Vec<Gc<Parent>>>,
}

/// Several workers' trace panics between two safe points, with payloads
/// whose drop panics (once a cycle): the owner re-raises the first and
/// drops the others; the panicking drop must not lose the requeued objects
/// of the panics after it (their children would be freed while reachable).
#[test]
#[cfg_attr(miri, ignore = "worker threads with sleeping traces")]
fn worker_panics_with_payloads_that_panic_on_drop_lose_no_grey_object() {
    let _dog = watchdog("panicky payloads", Duration::from_secs(120));
    let heap = Heap::builder()
        .mark_workers(4)
        .checkmark(true)
        .gogc(None)
        .build();
    let n = 2000;
    let root = heap.alloc(Parents {
        items: GcCell::new(Vec::new()),
    });
    root.items.set(
        (0..n)
            .map(|i| {
                let child = heap.alloc(Leaf {
                    id: i,
                    check: checksum(i),
                });
                heap.alloc(Parent { child })
            })
            .collect(),
    );
    for _ in 0..5 {
        PARENT_SHOTS.store(4, Ordering::SeqCst);
        // Several panicking drops: before the owner dropped the extra
        // payloads under a guard, a second one panicking while the first
        // unwound aborted the process.
        PAYLOAD_DROP_SHOTS.store(3, Ordering::SeqCst);
        assert!(heap.start_cycle());
        heap.step(64);
        // No safe point while the workers panic.
        std::thread::sleep(Duration::from_millis(30));
        let mut steps = 0;
        loop {
            match catch_unwind(AssertUnwindSafe(|| heap.step(1 << 12))) {
                Ok(Phase::Off) => break,
                Ok(_) => {}
                // The first trace's payload (the owner drops the others,
                // and leaks the panic of any of their drops); its own drop
                // may panic as well.
                Err(payload) => {
                    if let Err(nested) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                        std::mem::forget(nested);
                    }
                }
            }
            steps += 1;
            assert!(steps < 1_000_000);
        }
        assert_eq!(heap.verify(), Ok(()));
        heap.collect();
        for parent in root.items.get() {
            assert_eq!(
                parent.child.check,
                checksum(parent.child.id),
                "a reachable leaf was freed"
            );
        }
        assert_eq!(
            LEAF_DROPS.load(Ordering::SeqCst),
            0,
            "a reachable leaf was dropped"
        );
        assert_eq!(heap.stats().live_objects, 2 * n as usize + 1);
    }
}

// ---------------------------------------------------------------------
// gosched: worker tasks, idle workers, runtime and heap drop orders.
// ---------------------------------------------------------------------

#[cfg(all(feature = "gosched", not(miri)))]
mod on_gosched {
    use super::*;

    fn runtime(procs: usize) -> gosched::Runtime {
        gosched::Runtime::builder().procs(procs).build().unwrap()
    }

    #[test]
    fn trace_panics_on_idle_ps_and_worker_tasks_reach_the_owner() {
        static COUNTERS: Counters = Counters::new();
        let _dog = watchdog("trace panic on gosched", Duration::from_secs(120));
        for procs in [1, 2, 4] {
            let rt = runtime(procs);
            let heap = Heap::builder().gosched(&rt).gogc(None).build();
            trace_panics_reach_the_owner(heap, 400, 3, &COUNTERS);
            // The runtime's Ms survived: a task round trip.
            let handle = rt.spawn(async { 9 });
            assert_eq!(rt.block_on(handle).unwrap().unwrap(), 9);
        }
    }

    /// A heap on `rt` mid-cycle with `n` slow objects queued.
    fn mid_cycle(heap: &Heap, n: usize, counters: &'static Counters) -> Gc<Bag> {
        let bag = heap.alloc(Bag {
            items: GcCell::new(Vec::new()),
        });
        bag.items.set(
            (0..n)
                .map(|_| {
                    heap.alloc(Hostile {
                        delay_micros: 100,
                        counters,
                    })
                })
                .collect(),
        );
        assert!(heap.start_cycle());
        // Queue the bag's objects for the workers.
        for _ in 0..4 {
            heap.step(64);
        }
        bag
    }

    #[test]
    fn the_heap_dropped_mid_cycle_while_idle_ps_mark_frees_everything_once() {
        static COUNTERS: Counters = Counters::new();
        let _dog = watchdog("heap drop mid-cycle", Duration::from_secs(120));
        for procs in [1, 2, 4] {
            let rt = runtime(procs);
            let before = COUNTERS.drops.load(Ordering::SeqCst);
            let heap = Heap::builder().gosched(&rt).gogc(None).build();
            let bag = mid_cycle(&heap, 300, &COUNTERS);
            assert_ne!(heap.phase(), Phase::Off);
            std::thread::sleep(Duration::from_millis(2));
            drop(bag);
            drop(heap);
            assert_eq!(COUNTERS.drops.load(Ordering::SeqCst), before + 300);
            // No idle worker or task touches the freed heap afterwards.
            for _ in 0..20 {
                let handle = rt.spawn(async { gosched::sleep(Duration::from_micros(50)).await });
                rt.block_on(handle).unwrap().unwrap();
            }
            drop(rt);
            assert_eq!(COUNTERS.drops.load(Ordering::SeqCst), before + 300);
        }
    }

    #[test]
    fn the_runtime_dropped_mid_cycle_leaves_a_working_heap() {
        static COUNTERS: Counters = Counters::new();
        let _dog = watchdog("runtime drop mid-cycle", Duration::from_secs(120));
        for procs in [1, 2, 4, 8] {
            let rt = runtime(procs);
            let before = COUNTERS.drops.load(Ordering::SeqCst);
            let heap = Heap::builder().gosched(&rt).gogc(None).build();
            let bag = mid_cycle(&heap, 200, &COUNTERS);
            // The runtime goes first: its worker tasks are dropped, its
            // idle Ps stop; the owner finishes the mark alone.
            drop(rt);
            while heap.step(1 << 12) != Phase::Off {}
            assert_eq!(heap.verify(), Ok(()));
            assert_eq!(heap.stats().live_objects, 201);
            // Later cycles: no runtime, threads of the heap's own or none.
            heap.collect();
            assert_eq!(heap.stats().live_objects, 201);
            assert_eq!(heap.stats().last.idle_time, Duration::ZERO);
            bag.items.take();
            heap.collect();
            assert_eq!(heap.stats().live_objects, 1);
            assert_eq!(COUNTERS.drops.load(Ordering::SeqCst), before + 200);
            drop(bag);
            drop(heap);
        }
    }

    #[test]
    fn a_runtime_gone_before_the_first_cycle_gives_thread_workers() {
        let _dog = watchdog("runtime gone before first cycle", Duration::from_secs(60));
        let rt = runtime(8);
        let heap = Heap::builder().gosched(&rt).build();
        drop(rt);
        let last = one_forced_cycle(&heap);
        assert_eq!(last.idle_time, Duration::ZERO);
        assert_eq!((last.procs, last.dedicated_workers), (8, 2));
    }

    #[test]
    fn the_fractional_task_asleep_when_cycles_end_and_heaps_drop() {
        static COUNTERS: Counters = Counters::new();
        let _dog = watchdog("fractional timer", Duration::from_secs(120));
        // Two Ps: no dedicated worker, a fractional one at a 25 % goal,
        // which sleeps on a gosched timer once ahead of its goal.
        let rt = runtime(2);
        for round in 0..30 {
            let heap = Heap::builder().gosched(&rt).gogc(None).build();
            let bag = mid_cycle(&heap, 40, &COUNTERS);
            // Let the fractional task run ahead and go to sleep, then end
            // the cycle under it (or drop the heap under it).
            std::thread::sleep(Duration::from_micros(300));
            if round % 2 == 0 {
                while heap.step(usize::MAX) != Phase::Off {}
                assert!(heap.stats().last.fractional_worker);
                assert_eq!(heap.stats().last.dedicated_workers, 0);
                assert_eq!(heap.stats().last.lost_objects, 0);
                // A second cycle wakes the same task.
                heap.collect();
                assert_eq!(heap.stats().live_objects, 41);
            }
            drop(bag);
            drop(heap);
        }
        // The runtime is left with no heap's tasks: only ours run.
        let handle = rt.spawn(async { 1 });
        assert_eq!(rt.block_on(handle).unwrap().unwrap(), 1);
    }

    #[test]
    fn a_heap_owned_by_block_on_on_its_own_runtime_marks_and_drops() {
        static COUNTERS: Counters = Counters::new();
        let _dog = watchdog("heap inside block_on", Duration::from_secs(120));
        for procs in [1, 2, 4] {
            let rt = runtime(procs);
            let drops = COUNTERS.drops.load(Ordering::SeqCst);
            let live = rt
                .block_on(async {
                    let heap = Heap::builder().gosched(&rt).min_heap(64 << 10).build();
                    let bag = heap.alloc(Bag {
                        items: GcCell::new(Vec::new()),
                    });
                    let mut kept = Vec::new();
                    for i in 0..3000 {
                        let item = heap.alloc(Hostile {
                            delay_micros: 0,
                            counters: &COUNTERS,
                        });
                        if i % 3 == 0 {
                            kept.push(item);
                        }
                        if i % 100 == 0 {
                            // The kept ones live in the heap only.
                            let mut items = bag.items.take();
                            items.append(&mut kept);
                            bag.items.set(items);
                        }
                        if i % 500 == 0 {
                            gosched::yield_now().await;
                        }
                    }
                    let mut items = bag.items.take();
                    items.append(&mut kept);
                    bag.items.set(items);
                    heap.collect();
                    assert_eq!(heap.verify(), Ok(()));
                    let live = heap.stats().live_objects;
                    // Dropped mid-cycle, inside the runtime.
                    heap.start_cycle();
                    heap.step(16);
                    drop(bag);
                    drop(heap);
                    live
                })
                .unwrap();
            assert_eq!(live, 1001);
            assert_eq!(COUNTERS.drops.load(Ordering::SeqCst), drops + 3000);
        }
    }

    #[test]
    fn deadlock_is_reported_while_a_heap_has_worker_tasks_on_the_runtime() {
        let _dog = watchdog(
            "block_on deadlock detection with a heap's worker tasks",
            Duration::from_secs(30),
        );
        let rt = runtime(4);
        let heap = Heap::builder().gosched(&rt).build();
        // Start the workers (tasks waiting for the next cycle).
        let last = one_forced_cycle(&heap);
        assert_eq!(last.dedicated_workers, 1);
        // Go's checkdead does not count the GC's worker goroutines.
        assert!(rt.block_on(std::future::pending::<()>()).is_err());
        drop(heap);
    }

    /// A small object whose trace is slow (200 µs), counting traces made on
    /// the runtime's Ms.
    struct SlowSmall(&'static AtomicUsize);

    // SAFETY: no `Gc`s; visits nothing.
    unsafe impl Trace for SlowSmall {
        fn trace(&self, _: &mut Tracer<'_>) {
            if std::thread::current().name() == Some("gosched-m") {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    #[derive(Trace)]
    struct SmallBag {
        items: GcCell<Vec<Gc<SlowSmall>>>,
    }

    #[test]
    fn marking_with_a_slow_trace_of_small_objects_gives_the_p_back_within_64_objects() {
        static ON_MS: AtomicUsize = AtomicUsize::new(0);
        let _dog = watchdog("task latency during slow marking", Duration::from_secs(120));
        // One P: the idle worker or the fractional task marks on it.
        let rt = runtime(1);
        let heap = Heap::builder().gosched(&rt).gogc(None).build();
        let bag = heap.alloc(SmallBag {
            items: GcCell::new(Vec::new()),
        });
        bag.items
            .set((0..3000).map(|_| heap.alloc(SlowSmall(&ON_MS))).collect());
        let mut worst = Duration::ZERO;
        for _ in 0..3 {
            let before = ON_MS.load(Ordering::SeqCst);
            assert!(heap.start_cycle());
            // The owner queues the bag's objects and publishes them.
            for _ in 0..8 {
                heap.step(64);
            }
            let start = std::time::Instant::now();
            while ON_MS.load(Ordering::SeqCst) == before && start.elapsed() < Duration::from_secs(5)
            {
                std::thread::sleep(Duration::from_micros(100));
            }
            if ON_MS.load(Ordering::SeqCst) == before {
                while heap.step(usize::MAX) != Phase::Off {}
                continue;
            }
            // The runtime's only P marks: a task arriving now waits for at
            // most 64 objects' traces (about 13 ms), not 100 000 units of
            // scan work (thousands of small objects, over a second).
            let spawned = std::time::Instant::now();
            let handle = rt.spawn(async move { spawned.elapsed() });
            let waited = rt.block_on(handle).unwrap().unwrap();
            worst = worst.max(waited);
            while heap.step(usize::MAX) != Phase::Off {}
        }
        assert!(
            ON_MS.load(Ordering::SeqCst) > 0,
            "no trace ran on the runtime's M"
        );
        assert!(
            worst < Duration::from_millis(500),
            "a task waited {worst:?} for the P of a marking worker"
        );
        drop(bag);
        drop(heap);
    }

    #[test]
    fn gosched_then_procs_has_no_idle_workers_and_procs_then_gosched_has() {
        let _dog = watchdog("gosched builder ordering", Duration::from_secs(60));
        let rt = runtime(4);
        let heap = Heap::builder().gosched(&rt).procs(2).build();
        let last = one_forced_cycle(&heap);
        assert_eq!(last.procs, 2);
        assert_eq!(last.idle_time, Duration::ZERO);
        let heap = Heap::builder().procs(2).gosched(&rt).build();
        let last = one_forced_cycle(&heap);
        assert_eq!((last.procs, last.dedicated_workers), (4, 1));
        drop(heap);
        let heap = Heap::builder().gosched(&rt).mark_workers(0).build();
        let last = one_forced_cycle(&heap);
        assert_eq!(last.worker_work, 0);
    }
}
