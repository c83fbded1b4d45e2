//! Hostile tests of the owning thread's partly filled work buffers (`world`
//! W6: the owner keeps its partial buffers, publishes only full ones or a
//! share, and wakes a waiting worker only after the assist's stall).
//!
//! Each test leaves grey objects in the owner's own buffers while the
//! workers run dry, then makes the owner do what a host may do next: sleep
//! for a long time, step, collect, allocate until an assist, drop the heap,
//! or re-raise a `Trace` panic. The checks: the cycle ends, no reachable
//! object is freed (payload checksums, the tri-colour checker with the
//! workers stopped, `lost_objects`, weak pointers to reachable objects still
//! upgrade), and every `Drop` runs exactly once. A churn with the invariant
//! checker at every step and the `gccheckmark`-style re-mark at every mark
//! termination runs for `GOGC_OWNER_SOAK_SECS` seconds (default 8) over
//! `procs(1..=4)` and `mark_workers(1..=4)` and the three barriers that keep
//! an invariant.

mod common;

use std::cell::Cell;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use common::{watchdog, Rng};
use gogc::{Barrier, Gc, GcCell, Heap, Phase, Trace, Tracer, Weak};

thread_local! {
    /// Nodes dropped on this (test, owning) thread.
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

fn drops() -> usize {
    DROPS.with(Cell::get)
}

fn checksum(id: u64) -> u64 {
    id.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xC0FF_EE00_D15E_A5E5
}

/// A graph node with a checked payload that counts its drops.
#[derive(Trace)]
struct Node {
    id: u64,
    check: u64,
    kids: GcCell<Vec<Gc<Node>>>,
    counted: DropCount,
}

/// Counts its drops in [`DROPS`].
struct DropCount;

// SAFETY: holds no `Gc`; `trace` visits nothing.
unsafe impl Trace for DropCount {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

impl Drop for DropCount {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

struct Maker {
    next_id: u64,
    made: usize,
}

impl Maker {
    fn new() -> Maker {
        Maker {
            next_id: 0,
            made: 0,
        }
    }

    fn node(&mut self, heap: &Heap, kids: Vec<Gc<Node>>) -> Gc<Node> {
        self.next_id += 1;
        self.made += 1;
        heap.alloc(Node {
            id: self.next_id,
            check: checksum(self.next_id),
            kids: GcCell::new(kids),
            counted: DropCount,
        })
    }
}

/// Checks every node reachable from `roots`; returns their addresses.
fn reachable(roots: &[Gc<Node>]) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut stack: Vec<Gc<Node>> = roots.to_vec();
    while let Some(node) = stack.pop() {
        assert_eq!(
            node.check,
            checksum(node.id),
            "a reachable node was freed or corrupted"
        );
        if seen.insert(Gc::as_ptr(&node) as usize) {
            stack.extend(node.kids.borrow().iter().cloned());
        }
    }
    seen
}

/// A wide, deep graph: `fan` subtrees of `depth` levels of `width`
/// children, so a step with a small budget leaves many grey children in the
/// owner's buffers. Returns the root.
fn forest(heap: &Heap, maker: &mut Maker, fan: usize, width: usize, depth: usize) -> Gc<Node> {
    fn tree(heap: &Heap, maker: &mut Maker, width: usize, depth: usize) -> Gc<Node> {
        let kids = if depth == 0 {
            Vec::new()
        } else {
            (0..width)
                .map(|_| tree(heap, maker, width, depth - 1))
                .collect()
        };
        maker.node(heap, kids)
    }
    let subtrees = (0..fan).map(|_| tree(heap, maker, width, depth)).collect();
    maker.node(heap, subtrees)
}

const SMALL: bool = cfg!(miri);

/// A heap under test and, with the `gosched` feature, the runtime its
/// workers run on (dropped after the heap: fields drop in order).
struct Subject {
    name: String,
    heap: Heap,
    #[cfg(feature = "gosched")]
    _runtime: Option<gosched::Runtime>,
}

impl Subject {
    fn own(name: String, heap: Heap) -> Subject {
        Subject {
            name,
            heap,
            #[cfg(feature = "gosched")]
            _runtime: None,
        }
    }
}

/// Heaps with workers of every kind the owner hands buffers to: threads
/// of the heap's own (`mark_workers`, `procs`) and, with the `gosched`
/// feature, tasks and idle Ps of a runtime.
fn heaps() -> Vec<Subject> {
    let mut heaps = Vec::new();
    let max = if SMALL { 2 } else { 4 };
    for n in 1..=max {
        heaps.push(Subject::own(
            format!("mark_workers({n})"),
            Heap::builder().mark_workers(n).gogc(None).build(),
        ));
        heaps.push(Subject::own(
            format!("procs({n})"),
            Heap::builder().procs(n as u32).gogc(None).build(),
        ));
        #[cfg(all(feature = "gosched", not(miri)))]
        {
            let runtime = gosched::Runtime::builder().procs(n).build().unwrap();
            heaps.push(Subject {
                name: format!("gosched procs({n})"),
                heap: Heap::builder().gosched(&runtime).gogc(None).build(),
                _runtime: Some(runtime),
            });
        }
    }
    heaps
}

/// A forest of 32 trees (2 when `SMALL`) with a forced cycle started, one
/// step taken and `sleep_ms` (1 when `SMALL`) given to the workers: they
/// ran dry while the owner may still hold grey objects in partial buffers.
fn forest_in_a_cycle(heap: &Heap, maker: &mut Maker, sleep_ms: u64) -> Gc<Node> {
    let (fan, width, depth) = if SMALL { (2, 2, 2) } else { (32, 3, 4) };
    let root = forest(heap, maker, fan, width, depth);
    assert!(heap.start_cycle());
    heap.step(16);
    std::thread::sleep(Duration::from_millis(if SMALL { 1 } else { sleep_ms }));
    root
}

/// Steps a cycle until it ends, with a bound.
fn finish(heap: &Heap) {
    for _ in 0..10_000_000 {
        if heap.step(256) == Phase::Off {
            return;
        }
    }
    panic!("the cycle never ended");
}

#[test]
fn grey_objects_kept_by_the_owner_survive_a_long_owner_sleep() {
    let _dog = watchdog("owner sleep with partial buffers", Duration::from_secs(90));
    for subject in heaps() {
        let (name, heap) = (&subject.name, &subject.heap);
        DROPS.with(|d| d.set(0));
        let mut maker = Maker::new();
        let (fan, width, depth) = if SMALL { (3, 2, 2) } else { (64, 4, 4) };
        let root = forest(heap, &mut maker, fan, width, depth);
        // Weak pointers to every leaf-level node of the first subtree: the
        // reachable ones must still upgrade after every cycle.
        let first = root.kids.borrow()[0].clone();
        let weak: Vec<Weak<Node>> = first.kids.borrow().iter().map(Gc::downgrade).collect();
        drop(first);
        // Garbage beside it, freed by the cycle.
        let garbage = forest(heap, &mut maker, 4, 2, 2);
        drop(garbage);
        for round in 0..if SMALL { 1 } else { 4 } {
            assert!(heap.start_cycle(), "{name}");
            // Small steps: the owner scans the roots and a few objects and
            // keeps the grey children it queued (its buffers are not full).
            for _ in 0..3 {
                if heap.step(32) == Phase::Off {
                    break;
                }
            }
            // The workers drain what was published and run dry while the
            // owner holds the rest; nothing runs on the owner for a while.
            std::thread::sleep(Duration::from_millis(if SMALL { 1 } else { 20 }));
            if heap.phase() != Phase::Off {
                assert_eq!(heap.verify(), Ok(()), "{name} round {round}");
            }
            // Mutate after the sleep: move a subtree under another while
            // its old parent may still be grey in the owner's buffer.
            let kids = root.kids.borrow().clone();
            let moved = kids[round % kids.len()].kids.take();
            kids[(round + 1) % kids.len()].kids.set(moved);
            drop(kids);
            finish(heap);
            let stats = heap.stats();
            assert_eq!(stats.last.lost_objects, 0, "{name} round {round}");
            let live = reachable(std::slice::from_ref(&root));
            for w in &weak {
                if let Some(node) = w.upgrade(heap) {
                    assert_eq!(node.check, checksum(node.id), "{name}");
                }
            }
            heap.collect();
            assert_eq!(
                heap.stats().live_objects,
                live.len(),
                "{name} round {round}"
            );
            assert_eq!(drops(), maker.made - live.len(), "{name} round {round}");
        }
        drop(root);
        heap.collect();
        assert_eq!(heap.stats().live_objects, 0, "{name}");
        assert_eq!(drops(), maker.made, "{name}");
        assert!(weak.iter().all(|w| w.upgrade(heap).is_none()), "{name}");
    }
}

#[test]
fn collect_after_the_workers_ran_dry_behind_the_owners_buffers() {
    let _dog = watchdog("collect with partial buffers", Duration::from_secs(90));
    for subject in heaps() {
        let (name, heap) = (&subject.name, &subject.heap);
        DROPS.with(|d| d.set(0));
        let mut maker = Maker::new();
        let root = forest_in_a_cycle(heap, &mut maker, 10);
        let all = reachable(std::slice::from_ref(&root)).len();
        // `collect` finishes the cycle in flight and runs a full one; the
        // owner never allocated since it kept its buffers.
        heap.collect();
        assert_eq!(heap.stats().last.lost_objects, 0, "{name}");
        assert_eq!(reachable(std::slice::from_ref(&root)).len(), all, "{name}");
        assert_eq!(heap.stats().live_objects, all, "{name}");
        assert_eq!(drops(), 0, "{name}");
        drop(root);
        heap.collect();
        assert_eq!(drops(), maker.made, "{name}");
    }
}

#[test]
fn allocations_alone_end_a_forced_cycle_after_the_workers_ran_dry() {
    // GOGC off, a forced cycle, one step, a quiet owner: then only
    // allocations (no step, no collect). The owner's safe points must hand
    // its partial buffers over and end the mark.
    let _dog = watchdog("allocation-only end of a cycle", Duration::from_secs(90));
    for subject in heaps() {
        let (name, heap) = (&subject.name, &subject.heap);
        DROPS.with(|d| d.set(0));
        let mut maker = Maker::new();
        let root = forest_in_a_cycle(heap, &mut maker, 10);
        let all = reachable(std::slice::from_ref(&root)).len();
        let mut allocations = 0;
        while heap.phase() != Phase::Off {
            drop(maker.node(heap, Vec::new()));
            allocations += 1;
            assert!(
                allocations < 10_000_000,
                "{name}: the cycle did not end by allocation"
            );
        }
        eprintln!("{name}: the cycle ended after {allocations} allocations");
        assert_eq!(heap.stats().last.lost_objects, 0, "{name}");
        assert_eq!(reachable(std::slice::from_ref(&root)).len(), all, "{name}");
        heap.collect();
        assert_eq!(heap.stats().live_objects, all, "{name}");
        assert_eq!(drops(), maker.made - all, "{name}");
        drop(root);
        heap.collect();
        assert_eq!(drops(), maker.made, "{name}");
    }
}

#[test]
fn a_heap_dropped_while_the_owner_holds_partial_buffers_drops_everything_once() {
    let _dog = watchdog("heap drop with partial buffers", Duration::from_secs(90));
    for subject in heaps() {
        let (name, heap) = (&subject.name, &subject.heap);
        DROPS.with(|d| d.set(0));
        let mut maker = Maker::new();
        let root = forest_in_a_cycle(heap, &mut maker, 5);
        heap.step(16);
        drop(root);
        let name = name.clone();
        drop(subject);
        assert_eq!(drops(), maker.made, "{name}");
    }
}

#[test]
fn an_owner_that_only_allocates_ends_the_cycle_through_its_assists() {
    // No step, no collect: only allocations (each a safe point that may
    // assist) drive the cycle while the owner keeps partial buffers.
    let _dog = watchdog("assist-driven cycle", Duration::from_secs(90));
    let max = if SMALL { 1 } else { 4 };
    for n in 1..=max {
        for by_procs in [false, true] {
            DROPS.with(|d| d.set(0));
            let builder = Heap::builder().min_heap(if SMALL { 2 << 10 } else { 64 << 10 });
            let heap = if by_procs {
                builder.procs(n).build()
            } else {
                builder.mark_workers(n as usize).build()
            };
            let mut maker = Maker::new();
            let (fan, width, depth) = if SMALL { (2, 2, 2) } else { (48, 3, 4) };
            let root = forest(&heap, &mut maker, fan, width, depth);
            let live = reachable(std::slice::from_ref(&root)).len();
            let mut rng = Rng(17 + u64::from(n));
            let target = if SMALL { 1 } else { 6 };
            let mut last_node = None;
            let start = Instant::now();
            while heap.stats().cycles < target {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "procs/workers {n}: cycles stopped ending"
                );
                // Garbage, with a pause now and then in which the workers
                // run dry and the owner sits on its buffers.
                let junk = maker.node(&heap, Vec::new());
                last_node = Some(Gc::downgrade(&junk));
                drop(junk);
                if rng.below(512) == 0 {
                    std::thread::sleep(Duration::from_micros(300));
                }
            }
            assert!(last_node.is_some());
            assert_eq!(heap.stats().last.lost_objects, 0);
            assert_eq!(reachable(std::slice::from_ref(&root)).len(), live);
            heap.collect();
            assert_eq!(heap.stats().live_objects, live);
            assert_eq!(drops(), maker.made - live);
            drop(root);
            heap.collect();
            assert_eq!(drops(), maker.made);
        }
    }
}

/// Set by a test to make [`Fuse`] panic once on a mark worker thread.
static WORKER_FUSE: AtomicBool = AtomicBool::new(false);
static WORKER_FUSE_BLOWN: AtomicUsize = AtomicUsize::new(0);
/// Set by a test to make [`Fuse`] panic once on the owning thread.
static OWNER_FUSE: AtomicBool = AtomicBool::new(false);

/// A node whose trace panics once when its fuse for the tracing thread is
/// lit, after visiting its children.
struct Fuse {
    kids: Vec<Gc<Node>>,
}

// SAFETY: visits every `Gc` it holds; the panic touches no heap state.
unsafe impl Trace for Fuse {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.kids.trace(tracer);
        let on_worker = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("gogc-mark"));
        if on_worker && WORKER_FUSE.swap(false, Relaxed) {
            WORKER_FUSE_BLOWN.fetch_add(1, Relaxed);
            panic!("fuse traced on a worker");
        }
        if !on_worker && OWNER_FUSE.swap(false, Relaxed) {
            panic!("fuse traced on the owner");
        }
    }
}

#[derive(Trace)]
struct Holder {
    fuses: Vec<Gc<Fuse>>,
}

#[test]
fn a_trace_panic_while_the_owner_holds_partial_buffers_loses_nothing() {
    let _dog = watchdog("trace panic with partial buffers", Duration::from_secs(90));
    let mut worker_panics = 0;
    for on_worker in [true, false] {
        for workers in 1..=if SMALL { 1 } else { 3 } {
            DROPS.with(|d| d.set(0));
            let heap = Heap::builder().mark_workers(workers).gogc(None).build();
            let mut maker = Maker::new();
            let (count, width, depth) = if SMALL { (4, 2, 1) } else { (256, 3, 3) };
            let holder = heap.alloc(Holder {
                fuses: (0..count)
                    .map(|_| {
                        let kids = (0..2)
                            .map(|_| forest(&heap, &mut maker, 1, width, depth))
                            .collect();
                        heap.alloc(Fuse { kids })
                    })
                    .collect(),
            });
            let all = {
                let roots: Vec<Gc<Node>> = holder
                    .fuses
                    .iter()
                    .flat_map(|f| f.kids.iter().cloned())
                    .collect();
                reachable(&roots).len()
            };
            WORKER_FUSE_BLOWN.store(0, Relaxed);
            assert!(heap.start_cycle());
            if on_worker {
                WORKER_FUSE.store(true, Relaxed);
            } else {
                OWNER_FUSE.store(true, Relaxed);
            }
            let mut caught = 0;
            let mut steps = 0;
            loop {
                let step = catch_unwind(AssertUnwindSafe(|| heap.step(24)));
                match step {
                    Ok(Phase::Off) => break,
                    Ok(_) => {}
                    Err(payload) => {
                        let text = payload.downcast_ref::<&str>().copied();
                        assert!(
                            matches!(
                                text,
                                Some("fuse traced on a worker" | "fuse traced on the owner")
                            ),
                            "{text:?}"
                        );
                        caught += 1;
                    }
                }
                steps += 1;
                assert!(steps < 1_000_000, "the cycle never ended");
                if steps % 8 == 0 {
                    // Let the workers run dry behind the owner's buffers.
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
            WORKER_FUSE.store(false, Relaxed);
            OWNER_FUSE.store(false, Relaxed);
            if on_worker {
                // A worker may not have traced a fuse at all (the owner
                // may have scanned every one); when one blew it was
                // re-raised.
                assert_eq!(caught, WORKER_FUSE_BLOWN.load(Relaxed));
                worker_panics += caught;
            } else {
                assert!(caught <= 1);
            }
            assert_eq!(heap.stats().last.lost_objects, 0);
            assert_eq!(heap.verify(), Ok(()));
            let roots: Vec<Gc<Node>> = holder
                .fuses
                .iter()
                .flat_map(|f| f.kids.iter().cloned())
                .collect();
            assert_eq!(reachable(&roots).len(), all);
            drop(roots);
            heap.collect();
            assert_eq!(heap.stats().live_objects, all + count + 1);
            assert_eq!(drops(), 0);
            drop(holder);
            heap.collect();
            assert_eq!(heap.stats().live_objects, 0);
            assert_eq!(drops(), maker.made);
        }
    }
    assert!(SMALL || worker_panics > 0, "no fuse was traced on a worker");
}

/// Random mutations with allocation-driven cycles (assists), steps, pauses
/// in which the owner holds its buffers, weak pointers and the checkers.
/// Returns (operations, cycles).
fn churn(heap: Heap, duration: Duration, ops: u64, seed: u64) -> (u64, u64) {
    DROPS.with(|d| d.set(0));
    let mut maker = Maker::new();
    let mut rng = Rng(seed);
    let population = if SMALL { 16 } else { 2048 };
    let anchor = {
        let members = (0..population)
            .map(|_| maker.node(&heap, Vec::new()))
            .collect();
        maker.node(&heap, members)
    };
    let mut roots: Vec<Gc<Node>> = (0..8).map(|_| maker.node(&heap, Vec::new())).collect();
    let mut weak: Vec<Weak<Node>> = Vec::new();
    let start = Instant::now();
    let mut done = 0;
    while done < ops && start.elapsed() < duration {
        done += 1;
        let a = rng.below(roots.len());
        let b = rng.below(roots.len());
        match rng.below(12) {
            0..=3 => {
                let fresh = maker.node(&heap, vec![roots[b].clone()]);
                let mut kids = roots[a].kids.take();
                kids.push(fresh);
                if kids.len() > 6 {
                    kids.remove(rng.below(kids.len()));
                }
                roots[a].kids.set(kids);
            }
            // Move a child between roots while it may be grey in the
            // owner's buffer.
            4 => {
                let mut from = roots[a].kids.take();
                if let Some(child) = from.pop() {
                    let mut to = roots[b].kids.take();
                    to.push(child);
                    roots[b].kids.set(to);
                }
                roots[a].kids.set(from);
            }
            5 => {
                let member = anchor.kids.borrow()[rng.below(population)].clone();
                roots[a] = member;
            }
            6 => {
                let child = roots[a].kids.borrow().first().cloned();
                if let Some(child) = child {
                    weak.push(Gc::downgrade(&child));
                    roots[b] = child;
                }
            }
            7 => {
                heap.step(rng.below(512) + 1);
            }
            8 if done % 128 == 0 => {
                assert_eq!(heap.verify(), Ok(()));
            }
            9 if done % 256 == 0 => {
                // The owner goes quiet: the workers run dry.
                std::thread::sleep(Duration::from_micros(500));
            }
            10 if done % 1024 == 0 => {
                // Reachable through a root: the weak pointer upgrades.
                let w = Gc::downgrade(&roots[a]);
                assert!(w.upgrade(&heap).is_some());
                weak.truncate(64);
            }
            _ => {
                roots[a].kids.set(Vec::new());
            }
        }
        if done % 4096 == 0 {
            let mut all = roots.clone();
            all.push(anchor.clone());
            reachable(&all);
        }
    }
    while heap.step(usize::MAX) != Phase::Off {}
    roots.push(anchor);
    let live = reachable(&roots);
    heap.collect();
    assert_eq!(heap.stats().last.lost_objects, 0);
    assert_eq!(heap.stats().live_objects, live.len());
    assert_eq!(drops(), maker.made - live.len());
    for w in &weak {
        if let Some(node) = w.upgrade(&heap) {
            assert!(live.contains(&(Gc::as_ptr(&node) as usize)));
        }
    }
    let cycles = heap.stats().cycles;
    drop(roots);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(drops(), maker.made);
    (done, cycles)
}

fn checked(barrier: Barrier) -> gogc::HeapBuilder {
    Heap::builder()
        .barrier(barrier)
        .checkmark(true)
        .verify_each_step(true)
        .min_heap(if SMALL { 2 << 10 } else { 64 << 10 })
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a multi-threaded timed churn; Miri runs the short variant below"
)]
fn churn_over_procs_and_workers_with_the_checkers() {
    let _dog = watchdog("owner buffer churn", Duration::from_secs(600));
    let secs: u64 = std::env::var("GOGC_OWNER_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let barriers = [Barrier::Hybrid, Barrier::Dijkstra, Barrier::Yuasa];
    let per_run = Duration::from_secs(secs) / 8;
    let mut seed = 1;
    for n in 1..=4u32 {
        for by_procs in [false, true] {
            seed += 1;
            let barrier = barriers[seed as usize % barriers.len()];
            let builder = checked(barrier);
            let heap = if by_procs {
                builder.procs(n).build()
            } else {
                builder.mark_workers(n as usize).build()
            };
            let (ops, cycles) = churn(heap, per_run, u64::MAX, seed);
            eprintln!("{barrier:?} n={n} by_procs={by_procs}: {ops} operations, {cycles} cycles");
            assert!(cycles > 0);
        }
        #[cfg(feature = "gosched")]
        {
            // Workers as tasks and idle Ps of a runtime.
            let runtime = gosched::Runtime::builder()
                .procs(n as usize)
                .build()
                .unwrap();
            let barrier = barriers[n as usize % barriers.len()];
            let heap = checked(barrier).gosched(&runtime).build();
            let (ops, cycles) = churn(heap, per_run / 2, u64::MAX, 100 + u64::from(n));
            eprintln!("{barrier:?} gosched procs({n}): {ops} operations, {cycles} cycles");
            assert!(cycles > 0);
        }
    }
}

#[test]
fn churn_short() {
    let ops = if SMALL { 200 } else { 20_000 };
    for (seed, barrier) in [(5, Barrier::Hybrid), (6, Barrier::Dijkstra)] {
        let heap = checked(barrier).mark_workers(1).build();
        let (done, cycles) = churn(heap, Duration::from_secs(3600), ops, seed);
        assert_eq!(done, ops);
        assert!(cycles > 0);
    }
}
