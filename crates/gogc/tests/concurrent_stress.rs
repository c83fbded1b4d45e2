//! Stress: one mutating thread and mark workers on a random graph, with the
//! `gccheckmark`-style re-mark at every mark termination (it panics if the
//! concurrent mark missed a reachable object) and the tri-colour checker
//! run with the workers stopped every few hundred operations.
//!
//! Runs for `GOGC_STRESS_SECS` seconds (default 20, split between the three
//! barriers that keep an invariant; `GOGC_STRESS_SECS=600` for ten
//! minutes). Under Miri it runs a few hundred operations instead.

mod common;

use std::time::{Duration, Instant};

use common::Rng;
use gogc::{Barrier, Gc, GcCell, Heap, Phase, Trace};

#[derive(Trace)]
struct Node {
    id: u64,
    check: u64,
    edges: [GcCell<Option<Gc<Node>>>; 2],
    list: GcCell<Vec<Gc<Node>>>,
}

fn checksum(id: u64) -> u64 {
    id.rotate_left(17) ^ 0x5151_7A7A_0F0F_3C3C
}

/// Checks every node reachable from the roots; returns how many there are.
fn check_reachable(roots: &[Gc<Node>]) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<Gc<Node>> = roots.to_vec();
    while let Some(node) = stack.pop() {
        assert_eq!(
            node.check,
            checksum(node.id),
            "a reachable node was corrupted"
        );
        if seen.insert(Gc::as_ptr(&node) as usize) {
            stack.extend(node.edges[0].get());
            stack.extend(node.edges[1].get());
            stack.extend(node.list.get());
        }
    }
    seen.len()
}

/// Runs random mutations for `duration` (or `ops` operations, whichever
/// ends first); returns (operations, cycles, work the workers did in the
/// cycles it looked at).
fn stress(
    barrier: Barrier,
    workers: usize,
    duration: Duration,
    ops: u64,
    seed: u64,
) -> (u64, u64, u64) {
    let heap = Heap::builder()
        .barrier(barrier)
        .mark_workers(workers)
        .checkmark(true)
        .verify_each_step(true)
        .min_heap(if cfg!(miri) { 2 << 10 } else { 128 << 10 })
        .build();
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
    let mut roots: Vec<Gc<Node>> = (0..16).map(|_| alloc(&heap)).collect();
    // A long-lived population the workers have to trace every cycle, held
    // by one root's multi-word cell and mutated like the rest.
    let population = if cfg!(miri) { 32 } else { 4096 };
    let anchor = alloc(&heap);
    anchor
        .list
        .set((0..population).map(|_| alloc(&heap)).collect());
    let mut worker_work = 0;
    let mut seen_cycle = 0;
    let start = Instant::now();
    let mut done = 0;
    while done < ops && start.elapsed() < duration {
        done += 1;
        let a = rng.below(roots.len());
        let b = rng.below(roots.len());
        if rng.below(4) == 0 {
            // Work on a member of the population for a while.
            let member = anchor.list.borrow()[rng.below(population)].clone();
            let slot = rng.below(roots.len());
            roots[slot] = member;
        }
        match rng.below(10) {
            // Allocate, linked from a root (allocation may start, assist or
            // end a cycle).
            0..=2 => {
                let fresh = alloc(&heap);
                fresh.edges[0].store(Some(&roots[b]));
                roots[a].edges[rng.below(2)].store(Some(&fresh));
            }
            // Move an edge: the classic lost-object race against a worker.
            3 => {
                let target = roots[a].edges[0].get();
                roots[b].edges[1].store(target.as_ref());
                roots[a].edges[0].store(None);
            }
            // Replace a multi-word cell whole.
            4 => {
                let items: Vec<Gc<Node>> = roots[a].edges.iter().filter_map(|e| e.get()).collect();
                roots[b].list.set(items);
            }
            // Take a reachable node as a new root, drop an old root.
            5 => {
                if let Some(child) = roots[a].edges[rng.below(2)].get() {
                    let slot = rng.below(roots.len());
                    roots[slot] = child;
                }
            }
            6 => {
                let taken = roots[a].list.take();
                if let Some(first) = taken.first() {
                    roots[b] = first.clone();
                }
            }
            // Collector steps, and the checker with the workers stopped.
            7 => {
                heap.step(rng.below(4096) + 1);
            }
            8 if done % 64 == 0 => {
                assert_eq!(heap.verify(), Ok(()));
            }
            _ => {
                roots[a].edges[1].store(None);
            }
        }
        if done % 4096 == 0 {
            check_reachable(&roots);
            let stats = heap.stats();
            if stats.cycles != seen_cycle {
                seen_cycle = stats.cycles;
                worker_work += stats.last.worker_work;
            }
        }
    }
    roots.push(anchor);
    // Finish the cycle in flight; everything reachable is intact and the
    // unreachable rest is freed by a full cycle.
    while heap.step(usize::MAX) != Phase::Off {}
    let reachable = check_reachable(&roots);
    heap.collect();
    assert_eq!(heap.stats().live_objects, reachable);
    assert_eq!(heap.stats().last.lost_objects, 0);
    (done, heap.stats().cycles, worker_work)
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a long multi-threaded run; Miri runs the short variant below"
)]
fn concurrent_mark_stress() {
    let secs: u64 = std::env::var("GOGC_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let barriers = [Barrier::Hybrid, Barrier::Dijkstra, Barrier::Yuasa];
    let per_run = Duration::from_secs(secs) / (2 * barriers.len() as u32);
    for (i, barrier) in barriers.into_iter().enumerate() {
        for workers in [1, 2] {
            let (ops, cycles, worker_work) =
                stress(barrier, workers, per_run, u64::MAX, 7 + i as u64);
            eprintln!(
                "{barrier:?} with {workers} workers: {ops} operations, {cycles} cycles, \
                 worker scan work {worker_work} (sampled cycles)"
            );
            assert!(cycles > 0);
            assert!(worker_work > 0, "the workers never scanned");
        }
    }
}

#[test]
fn concurrent_mark_stress_short() {
    let ops = if cfg!(miri) { 150 } else { 20_000 };
    for barrier in [Barrier::Hybrid, Barrier::Yuasa] {
        let (done, cycles, _) = stress(barrier, 1, Duration::from_secs(3600), ops, 99);
        assert_eq!(done, ops);
        assert!(cycles > 0);
    }
}
