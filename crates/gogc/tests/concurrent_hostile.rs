//! Hostile use of a heap with mark workers: every way the owning thread
//! changes a heap value while workers trace it (nested `GcCell`s, cells
//! moved out of and back into the heap, weak upgrades, handles cloned and
//! dropped mid-mark, borrows held across assists), `Trace` impls that
//! panic inside a cell, sleep while holding a cell's scan lock, or visit a
//! field twice, and heaps dropped mid-mark, from a panic, or with many
//! workers. Each test checks the payload of every reachable object, the
//! live count after a full collection and that every `Drop` ran once.

mod common;

use std::cell::Cell;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use common::Rng;
use gogc::{Gc, GcCell, Heap, Phase, Trace, Tracer};

thread_local! {
    /// Leaves dropped on this (test, owning) thread.
    static LEAF_DROPS: Cell<usize> = const { Cell::new(0) };
}

fn leaf_drops() -> usize {
    LEAF_DROPS.with(Cell::get)
}

fn checksum(id: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0BAD_F00D
}

/// A pointer-free object with a checked payload that counts its drops.
struct Leaf {
    id: u64,
    check: u64,
}

// SAFETY: holds no `Gc`; `trace` visits nothing.
unsafe impl Trace for Leaf {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

impl Drop for Leaf {
    fn drop(&mut self) {
        LEAF_DROPS.with(|d| d.set(d.get() + 1));
    }
}

/// Allocates leaf `id`, counting it in `made`.
fn leaf(heap: &Heap, id: u64, made: &mut usize) -> Gc<Leaf> {
    *made += 1;
    heap.alloc(Leaf {
        id,
        check: checksum(id),
    })
}

/// Checks `leaf`'s payload and records it in `seen`.
fn see(leaf: &Gc<Leaf>, seen: &mut HashSet<usize>) {
    assert_eq!(leaf.check, checksum(leaf.id), "a reachable leaf was freed");
    seen.insert(Gc::as_ptr(leaf) as usize);
}

/// Starts a cycle and steps it to its end, calling `mutate` before each
/// step (while the workers trace what the steps publish).
fn mark_while(heap: &Heap, budget: usize, mut mutate: impl FnMut()) {
    assert!(heap.start_cycle());
    for _ in 0..10_000_000 {
        mutate();
        if heap.step(budget) == Phase::Off {
            return;
        }
        // Give the workers a moment to take what the step published (the
        // owning thread takes buffers back when it runs out of work).
        std::thread::sleep(Duration::from_micros(20));
    }
    panic!("the cycle never ended");
}

const CYCLES: usize = if cfg!(miri) { 2 } else { 50 };

/// A leaf beside a cell of leaves (a tuple holding a cell).
type LeafAndCell = (Gc<Leaf>, GcCell<Vec<Gc<Leaf>>>);

/// Cells inside cells: a `Vec` of cells, a cell holding a cell, a tuple
/// holding a cell.
#[derive(Trace)]
struct Nest {
    row: GcCell<Vec<GcCell<Option<Gc<Leaf>>>>>,
    boxed: GcCell<GcCell<Option<Gc<Leaf>>>>,
    pair: GcCell<LeafAndCell>,
}

impl Nest {
    fn reachable(&self) -> HashSet<usize> {
        let mut seen = HashSet::new();
        for cell in self.row.borrow().iter() {
            if let Some(leaf) = &*cell.borrow() {
                see(leaf, &mut seen);
            }
        }
        if let Some(leaf) = &*self.boxed.borrow().borrow() {
            see(leaf, &mut seen);
        }
        let pair = self.pair.borrow();
        see(&pair.0, &mut seen);
        for leaf in pair.1.borrow().iter() {
            see(leaf, &mut seen);
        }
        seen
    }
}

#[test]
fn nested_cells_stored_moved_out_and_back_while_workers_trace_them() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let mut made = 0;
    let mut id = 0;
    let mut fresh = |heap: &Heap| {
        id += 1;
        leaf(heap, id, &mut made)
    };
    // Natively enough nests that a cycle outlasts one assist (64-256 KiB
    // of scan work), so the workers get a share.
    let count = if cfg!(miri) { 2 } else { 4096 };
    let nests: Vec<Gc<Nest>> = (0..count)
        .map(|_| {
            heap.alloc(Nest {
                row: GcCell::new((0..8).map(|_| GcCell::new(Some(fresh(&heap)))).collect()),
                boxed: GcCell::new(GcCell::new(Some(fresh(&heap)))),
                pair: GcCell::new((fresh(&heap), GcCell::new(vec![fresh(&heap)]))),
            })
        })
        .collect();
    let mut rng = Rng(0x5eed);
    let mut worker_work = 0;
    for _ in 0..CYCLES {
        // Leaves made before the cycle: the mutations allocate (and so
        // assist) only once these run out, leaving the marking to the
        // workers and the steps.
        let mut pool: Vec<Gc<Leaf>> = (0..64).map(|_| fresh(&heap)).collect();
        mark_while(&heap, 64, || {
            let new = pool.pop().unwrap_or_else(|| fresh(&heap));
            let nest = &nests[rng.below(nests.len())];
            match rng.below(8) {
                // A store into a cell nested in a borrowed cell.
                0 => {
                    let row = nest.row.borrow();
                    row[rng.below(row.len())].store(Some(&new));
                }
                // The outer cell replaced whole: cells a worker may be
                // tracing leave the heap.
                1 => nest
                    .row
                    .set((0..8).map(|_| GcCell::new(Some(new.clone()))).collect()),
                // Cells moved out (rooted, detached), changed outside the
                // heap, and moved back in.
                2 => {
                    let mut row = nest.row.take();
                    row[0].set(Some(new.clone()));
                    row.push(GcCell::new(None));
                    row.truncate(8);
                    nest.row.set(row);
                }
                // A cell inside a cell, stored into and replaced.
                3 => nest.boxed.borrow().set(Some(new)),
                4 => {
                    let old = nest.boxed.replace(GcCell::new(Some(new.clone())));
                    // The old cell is outside the heap now: storing into it
                    // roots what it holds.
                    old.set(Some(new));
                    assert!(old.borrow().is_some());
                }
                5 => {
                    let old = nest.pair.replace((new.clone(), GcCell::new(vec![new])));
                    assert_eq!(old.0.check, checksum(old.0.id));
                }
                6 => nest.pair.borrow().1.set(vec![new.clone(), new]),
                _ => {
                    let reached = nest.reachable();
                    assert!(!reached.is_empty());
                }
            }
        });
        let last = heap.stats().last;
        assert_eq!(last.lost_objects, 0);
        worker_work += last.worker_work;
    }
    assert!(cfg!(miri) || worker_work > 0, "the workers never marked");
    let reachable: usize = nests.iter().map(|nest| nest.reachable().len()).sum();
    heap.collect();
    assert_eq!(heap.stats().live_objects, reachable + nests.len());
    assert_eq!(leaf_drops(), made - reachable);
    drop(nests);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made, "every leaf dropped exactly once");
}

static SLEEPY: AtomicBool = AtomicBool::new(false);

/// A cell value whose trace sleeps while the worker holds the cell's scan
/// lock, and visits its pointer twice.
struct Sleepy {
    leaf: Gc<Leaf>,
}

// SAFETY: visits its one `Gc` (twice, which only shades it twice); reads
// nothing else of the value; the sleep touches no heap state.
unsafe impl Trace for Sleepy {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if SLEEPY.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.leaf.trace(tracer);
        self.leaf.trace(tracer);
    }
}

#[derive(Trace)]
struct Bed {
    cell: GcCell<Sleepy>,
    next: GcCell<Option<Gc<Bed>>>,
}

#[test]
fn stores_and_pauses_wait_for_a_slow_trace_holding_a_cell_lock() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let mut made = 0;
    let beds: Vec<Gc<Bed>> = (0..4)
        .map(|i| {
            heap.alloc(Bed {
                cell: GcCell::new(Sleepy {
                    leaf: leaf(&heap, i, &mut made),
                }),
                next: GcCell::new(None),
            })
        })
        .collect();
    for i in 0..4 {
        beds[i].next.store(Some(&beds[(i + 1) % 4]));
    }
    let head = beds[0].clone();
    drop(beds);
    SLEEPY.store(true, Relaxed);
    let rounds = if cfg!(miri) { 1 } else { 20 };
    let mut id = 100;
    for _ in 0..rounds {
        mark_while(&heap, 16, || {
            // Stores into cells a worker may be asleep in, and a pause
            // (verify stops the world) while it sleeps.
            let mut bed = head.clone();
            for _ in 0..4 {
                id += 1;
                bed.cell.set(Sleepy {
                    leaf: leaf(&heap, id, &mut made),
                });
                let next = bed.next.get().unwrap();
                bed = next;
            }
            assert_eq!(heap.verify(), Ok(()));
        });
    }
    SLEEPY.store(false, Relaxed);
    let mut bed = head.clone();
    for _ in 0..4 {
        let cell = bed.cell.borrow();
        assert_eq!(cell.leaf.check, checksum(cell.leaf.id));
        drop(cell);
        let next = bed.next.get().unwrap();
        bed = next;
    }
    drop(bed);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 8);
    assert_eq!(leaf_drops(), made - 4);
    drop(head);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
}

static FLAKY_ARMED: AtomicBool = AtomicBool::new(false);
static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);
static FLAKY_PANICS: AtomicUsize = AtomicUsize::new(0);
static FLAKY_WORKER_PANICS: AtomicUsize = AtomicUsize::new(0);

/// A cell value whose trace panics on every other call once armed, after
/// visiting its pointer: the panic unwinds through the scan lock of the
/// cell holding it (on a worker) or its borrow (on the owning thread).
struct Flaky {
    leaf: Gc<Leaf>,
}

// SAFETY: visits its one `Gc`; the panic touches no heap state (the
// counters are the test's own).
unsafe impl Trace for Flaky {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.leaf.trace(tracer);
        if FLAKY_ARMED.load(Relaxed) && FLAKY_CALLS.fetch_add(1, Relaxed) % 2 == 0 {
            FLAKY_PANICS.fetch_add(1, Relaxed);
            let on_worker = std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("gogc-mark"));
            if on_worker {
                FLAKY_WORKER_PANICS.fetch_add(1, Relaxed);
            }
            panic!("flaky trace");
        }
    }
}

#[derive(Trace)]
struct FlakyHolder {
    cell: GcCell<Flaky>,
}

#[derive(Trace)]
struct Yard {
    holders: Vec<Gc<FlakyHolder>>,
}

#[test]
fn a_trace_panicking_inside_a_cell_on_every_other_call_unlocks_it() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let mut made = 0;
    let n = if cfg!(miri) { 6 } else { 3000 };
    let pool: Vec<Gc<Leaf>> = (0..n).map(|i| leaf(&heap, i, &mut made)).collect();
    // The holders are reachable only through the yard: the owning thread
    // shades them and hands them to the workers.
    let yard = heap.alloc(Yard {
        holders: pool
            .iter()
            .map(|leaf| {
                heap.alloc(FlakyHolder {
                    cell: GcCell::new(Flaky { leaf: leaf.clone() }),
                })
            })
            .collect(),
    });
    let mut rng = Rng(3);
    let mut caught = 0;
    for _ in 0..if cfg!(miri) { 1 } else { 10 } {
        FLAKY_ARMED.store(true, Relaxed);
        assert!(heap.start_cycle());
        let mut steps = 0;
        loop {
            // Every operation can re-raise a worker's panic: each is caught.
            // The stores allocate nothing (no assist marks for the workers).
            let step = catch_unwind(AssertUnwindSafe(|| heap.step(64)));
            let store = catch_unwind(AssertUnwindSafe(|| {
                let leaf = pool[rng.below(pool.len())].clone();
                yard.holders[rng.below(yard.holders.len())]
                    .cell
                    .set(Flaky { leaf });
            }));
            for result in [step.as_ref().err(), store.as_ref().err()]
                .into_iter()
                .flatten()
            {
                assert_eq!(result.downcast_ref::<&str>(), Some(&"flaky trace"));
                caught += 1;
            }
            if step.ok() == Some(Phase::Off) {
                break;
            }
            steps += 1;
            assert!(steps < 1_000_000, "the cycle never ended");
            if steps > 2000 {
                // Let the cycle end: a panic every other trace could go on
                // for long.
                FLAKY_ARMED.store(false, Relaxed);
            }
            std::thread::sleep(Duration::from_micros(20));
        }
        FLAKY_ARMED.store(false, Relaxed);
        assert_eq!(heap.stats().last.lost_objects, 0);
    }
    assert!(caught > 0 && caught <= FLAKY_PANICS.load(Relaxed));
    assert!(cfg!(miri) || FLAKY_WORKER_PANICS.load(Relaxed) > 0);
    drop(pool);
    for holder in &yard.holders {
        let flaky = holder.cell.borrow();
        assert_eq!(flaky.leaf.check, checksum(flaky.leaf.id));
    }
    heap.collect();
    let live_leaves: HashSet<usize> = yard
        .holders
        .iter()
        .map(|holder| Gc::as_ptr(&holder.cell.borrow().leaf) as usize)
        .collect();
    assert_eq!(
        heap.stats().live_objects,
        1 + yard.holders.len() + live_leaves.len()
    );
    // A store into every cell completes: no scan lock was left held.
    let spare = leaf(&heap, 0, &mut made);
    for holder in &yard.holders {
        holder.cell.set(Flaky {
            leaf: spare.clone(),
        });
    }
    drop((yard, spare));
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
}

#[derive(Trace)]
struct Chain {
    leaf: Gc<Leaf>,
    next: GcCell<Option<Gc<Chain>>>,
}

#[test]
fn weak_upgrades_and_handle_churn_during_concurrent_marking_lose_nothing() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let mut made = 0;
    let n = if cfg!(miri) { 12 } else { 400 };
    let links: Vec<Gc<Chain>> = (0..n)
        .map(|i| {
            heap.alloc(Chain {
                leaf: leaf(&heap, i, &mut made),
                next: GcCell::new(None),
            })
        })
        .collect();
    for pair in links.windows(2) {
        pair[0].next.store(Some(&pair[1]));
    }
    let weaks: Vec<_> = links.iter().map(Gc::downgrade).collect();
    let head = links[0].clone();
    drop(links);
    let mut kept = Vec::new();
    let mut rng = Rng(7);
    mark_while(&heap, 32, || {
        // Cut the chain somewhere: what follows is reachable only through
        // the weak pointers, which may upgrade it while workers mark.
        let weak = weaks[rng.below(weaks.len())];
        if let Some(link) = weak.upgrade(&heap) {
            // Handles to objects being traced cloned and dropped.
            let clone = link.clone();
            drop(link);
            if rng.below(4) == 0 {
                clone.next.store(None);
            }
            kept.push(clone);
        }
        if let Some(next) = head.next.get() {
            drop(next);
        }
    });
    // Everything we hold is intact, through every cycle to come.
    heap.collect();
    for link in &kept {
        assert_eq!(link.leaf.check, checksum(link.leaf.id));
    }
    let upgraded: HashSet<usize> = weaks
        .iter()
        .filter_map(|weak| weak.upgrade(&heap))
        .map(|link| {
            assert_eq!(link.leaf.check, checksum(link.leaf.id));
            Gc::as_ptr(&link) as usize
        })
        .collect();
    assert_eq!(heap.stats().live_objects, 2 * upgraded.len());
    drop((kept, head));
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
    assert!(weaks.iter().all(|weak| weak.upgrade(&heap).is_none()));
}

#[derive(Trace)]
struct Slots {
    items: GcCell<Vec<Gc<Leaf>>>,
}

#[test]
fn a_borrow_held_across_assists_blocks_stores_and_keeps_its_contents() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder()
        .mark_workers(1)
        .min_heap(if cfg!(miri) { 2 << 10 } else { 64 << 10 })
        .build();
    let mut made = 0;
    let slots = heap.alloc(Slots {
        items: GcCell::new((0..16).map(|i| leaf(&heap, i, &mut made)).collect()),
    });
    let guard = slots.items.borrow();
    let cycles_before = heap.stats().cycles;
    let mut id = 100;
    // Allocation starts cycles, assists mark and sweeps run while the
    // borrow lives.
    while heap.stats().cycles < cycles_before + 2 {
        id += 1;
        let _garbage = leaf(&heap, id, &mut made);
        if id % 64 == 0 {
            let store = catch_unwind(AssertUnwindSafe(|| slots.items.set(Vec::new())));
            assert!(store.is_err(), "a store into a borrowed cell succeeded");
        }
    }
    for leaf in guard.iter() {
        assert_eq!(leaf.check, checksum(leaf.id));
    }
    assert_eq!(guard.len(), 16);
    drop(guard);
    slots.items.set(Vec::new());
    drop(slots);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
}

/// A large object (more than 32 KiB: its own span) with cells.
#[derive(Trace)]
struct Big {
    pad: Vec<u64>,
    inline: [u64; 4500],
    items: GcCell<Vec<Gc<Leaf>>>,
    unit: GcCell<Option<Gc<()>>>,
}

#[test]
fn large_and_zero_sized_objects_beside_workers() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let mut made = 0;
    let bigs: Vec<Gc<Big>> = (0..3)
        .map(|_| {
            heap.alloc(Big {
                pad: vec![7; 16],
                inline: [9; 4500],
                items: GcCell::new(Vec::new()),
                unit: GcCell::new(None),
            })
        })
        .collect();
    let mut id = 0;
    for _ in 0..CYCLES {
        mark_while(&heap, 128, || {
            id += 1;
            let big = &bigs[id as usize % 3];
            let new = leaf(&heap, id, &mut made);
            let mut items = big.items.take();
            items.push(new);
            if items.len() > 8 {
                items.remove(0);
            }
            big.items.set(items);
            big.unit.store(Some(&heap.alloc(())));
        });
    }
    heap.collect();
    let mut live = 3;
    for big in &bigs {
        assert!(big.inline.iter().all(|&word| word == 9));
        assert_eq!(big.pad, [7; 16]);
        for leaf in big.items.borrow().iter() {
            assert_eq!(leaf.check, checksum(leaf.id));
            live += 1;
        }
        live += usize::from(big.unit.borrow().is_some());
    }
    assert_eq!(heap.stats().live_objects, live);
    drop(bigs);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
}

#[test]
fn a_heap_dropped_by_a_panic_while_workers_mark_drops_everything_once() {
    LEAF_DROPS.with(|d| d.set(0));
    let mut made = 0;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let heap = Heap::builder().mark_workers(3).gogc(None).build();
        let slots = heap.alloc(Slots {
            items: GcCell::new(
                (0..if cfg!(miri) { 20 } else { 5000 })
                    .map(|i| leaf(&heap, i, &mut made))
                    .collect(),
            ),
        });
        heap.start_cycle();
        heap.step(64);
        drop(slots);
        panic!("owner gives up mid-mark");
    }));
    assert!(result.is_err());
    assert_eq!(leaf_drops(), made);
}

#[test]
fn collect_step_and_verify_mixed_with_worker_marking_and_many_workers() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder()
        .mark_workers(if cfg!(miri) { 4 } else { 24 })
        .min_heap(if cfg!(miri) { 2 << 10 } else { 32 << 10 })
        .build();
    let mut made = 0;
    let head = heap.alloc(Chain {
        leaf: leaf(&heap, 0, &mut made),
        next: GcCell::new(None),
    });
    let mut rng = Rng(99);
    let rounds = if cfg!(miri) { 60 } else { 20_000 };
    let mut length = 1;
    for i in 1..rounds {
        // Push a link at the head's end, or cut the chain short.
        if rng.below(8) == 0 {
            head.next.store(None);
            length = 1;
        } else {
            let link = heap.alloc(Chain {
                leaf: leaf(&heap, i, &mut made),
                next: GcCell::new(head.next.get()),
            });
            head.next.store(Some(&link));
            length += 1;
        }
        match rng.below(16) {
            0 => heap.collect(),
            1 => {
                heap.step(256);
            }
            2 => assert_eq!(heap.verify(), Ok(())),
            3 => {
                heap.start_cycle();
            }
            _ => {}
        }
    }
    let mut count = 0;
    let mut link = Some(head.clone());
    while let Some(this) = link {
        assert_eq!(this.leaf.check, checksum(this.leaf.id));
        count += 1;
        link = this.next.get();
    }
    assert_eq!(count, length);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 2 * length);
    assert_eq!(leaf_drops(), made - length);
    drop(head);
    drop(heap);
    assert_eq!(leaf_drops(), made);
}

thread_local! {
    static CARRIER_DROPS: Cell<usize> = const { Cell::new(0) };
}

/// A cell value with a `Drop` (so not derivable) that holds cells itself:
/// stores into the outer cell drop old values full of cells.
struct Carrier {
    inner: GcCell<Option<Gc<Leaf>>>,
    more: Vec<GcCell<Vec<Gc<Leaf>>>>,
}

// SAFETY: visits every cell it owns; its `Drop` uses none of its `Gc`s.
unsafe impl Trace for Carrier {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.inner.trace(tracer);
        self.more.trace(tracer);
    }
}

impl Drop for Carrier {
    fn drop(&mut self) {
        CARRIER_DROPS.with(|d| d.set(d.get() + 1));
    }
}

#[derive(Trace)]
struct Dock {
    carrier: GcCell<Carrier>,
}

#[test]
fn stores_dropping_old_values_full_of_cells_while_workers_trace_them() {
    LEAF_DROPS.with(|d| d.set(0));
    CARRIER_DROPS.with(|d| d.set(0));
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let mut made = 0;
    let mut carriers = 0;
    let mut carrier = |heap: &Heap, id: u64, made: &mut usize| {
        carriers += 1;
        let a = leaf(heap, id, made);
        let b = leaf(heap, id + 1_000_000, made);
        Carrier {
            inner: GcCell::new(Some(a.clone())),
            more: vec![GcCell::new(vec![a, b.clone()]), GcCell::new(vec![b])],
        }
    };
    let dock = heap.alloc(Dock {
        carrier: GcCell::new(carrier(&heap, 0, &mut made)),
    });
    let mut id = 0;
    for _ in 0..CYCLES {
        mark_while(&heap, 32, || {
            id += 1;
            match id % 3 {
                0 => dock.carrier.set(carrier(&heap, id, &mut made)),
                1 => {
                    let old = dock.carrier.replace(carrier(&heap, id, &mut made));
                    // Out of the heap: its cells are detached, stores into
                    // them root what they hold.
                    old.more[1].set(Vec::new());
                    assert!(old.inner.borrow().is_some());
                }
                _ => {
                    let new = leaf(&heap, id, &mut made);
                    dock.carrier.borrow().more[0].set(vec![new]);
                }
            }
        });
    }
    {
        let carrier = dock.carrier.borrow();
        let leaf = carrier.inner.get().unwrap();
        assert_eq!(leaf.check, checksum(leaf.id));
        for cell in &carrier.more {
            for leaf in cell.borrow().iter() {
                assert_eq!(leaf.check, checksum(leaf.id));
            }
        }
    }
    drop(dock);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
    assert_eq!(CARRIER_DROPS.with(Cell::get), carriers);
}

/// Pointer-free cells inside a scanned object: a direct field (visited by
/// the derive, so it joins the heap and its stores lock) and cells in a
/// `Vec` (skipped by the `Vec`'s trace, as `u32` needs none: they never
/// join the heap, and workers never read them).
#[derive(Trace)]
struct Counters {
    direct: GcCell<u64>,
    skipped: Vec<GcCell<u64>>,
    text: GcCell<String>,
    next: GcCell<Option<Gc<Counters>>>,
}

#[test]
fn pointer_free_cells_in_scanned_objects_are_stored_into_while_workers_mark() {
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let n = if cfg!(miri) { 4 } else { 2000 };
    let counters: Vec<Gc<Counters>> = (0..n)
        .map(|_| {
            heap.alloc(Counters {
                direct: GcCell::new(0),
                skipped: vec![GcCell::new(0), GcCell::new(0)],
                text: GcCell::new(String::new()),
                next: GcCell::new(None),
            })
        })
        .collect();
    for pair in counters.windows(2) {
        pair[0].next.store(Some(&pair[1]));
    }
    let head = counters[0].clone();
    let mut round = 0u64;
    for _ in 0..CYCLES {
        mark_while(&heap, 64, || {
            round += 1;
            for (i, counter) in counters.iter().enumerate().step_by(7) {
                counter.direct.set(round);
                counter.skipped[i % 2].set(round);
                counter.text.set(round.to_string());
            }
        });
    }
    for (i, counter) in counters.iter().enumerate().step_by(7) {
        assert_eq!(counter.direct.get(), round);
        assert_eq!(counter.skipped[i % 2].get(), round);
        assert_eq!(counter.text.get(), round.to_string());
    }
    drop(counters);
    heap.collect();
    assert_eq!(heap.stats().live_objects, n);
    drop(head);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
}

static FUSE_ON_OWNER: AtomicBool = AtomicBool::new(false);

/// A scanned object whose trace panics on the owning thread (never on a
/// worker) while the fuse is lit.
struct Fuse {
    leaf: Gc<Leaf>,
    next: GcCell<Option<Gc<Fuse>>>,
}

// SAFETY: visits both fields; the panic touches no heap state.
unsafe impl Trace for Fuse {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.leaf.trace(tracer);
        self.next.trace(tracer);
        let on_worker = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("gogc-mark"));
        if !on_worker && FUSE_ON_OWNER.load(Relaxed) {
            panic!("fuse traced on the owning thread");
        }
    }
}

#[test]
fn a_collect_interrupted_by_a_panicking_trace_leaves_a_heap_the_workers_resume() {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder().mark_workers(2).gogc(None).build();
    let mut made = 0;
    let n = if cfg!(miri) { 8 } else { 3000 };
    let head = heap.alloc(Fuse {
        leaf: leaf(&heap, 0, &mut made),
        next: GcCell::new(None),
    });
    let mut tail = head.clone();
    for i in 1..n {
        let next = heap.alloc(Fuse {
            leaf: leaf(&heap, i, &mut made),
            next: GcCell::new(None),
        });
        tail.next.store(Some(&next));
        tail = next;
    }
    drop(tail);
    heap.start_cycle();
    heap.step(64);
    // `collect` stops the workers and marks alone: the fuse blows.
    FUSE_ON_OWNER.store(true, Relaxed);
    let collect = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    FUSE_ON_OWNER.store(false, Relaxed);
    assert!(collect.is_err());
    // The heap goes on: steps finish the cycle, later cycles use the
    // workers again.
    let mut steps = 0;
    while heap.phase() != Phase::Off {
        heap.step(64);
        steps += 1;
        assert!(steps < 10_000_000, "the interrupted cycle never ended");
    }
    let mut worker_work = 0;
    for _ in 0..CYCLES {
        mark_while(&heap, 64, || {});
        worker_work += heap.stats().last.worker_work;
    }
    assert!(cfg!(miri) || worker_work > 0, "the workers never resumed");
    let mut count = 0;
    let mut link = Some(head.clone());
    while let Some(this) = link {
        assert_eq!(this.leaf.check, checksum(this.leaf.id));
        count += 1;
        link = this.next.get();
    }
    assert_eq!(count, n as usize);
    assert_eq!(leaf_drops(), 0);
    drop(head);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
}

/// Moves random leaves between cells of random `Nest`s: the
/// barrier's case (an edge deleted from one object, inserted in another,
/// while workers trace both).
fn shuffle_under(barrier: gogc::Barrier) {
    LEAF_DROPS.with(|d| d.set(0));
    let heap = Heap::builder()
        .mark_workers(2)
        .gogc(None)
        .barrier(barrier)
        .build();
    let mut made = 0;
    let count = if cfg!(miri) { 3 } else { 1024 };
    let nests: Vec<Gc<Nest>> = (0..count)
        .map(|i| {
            heap.alloc(Nest {
                row: GcCell::new(
                    (0..4)
                        .map(|j| GcCell::new(Some(leaf(&heap, i * 8 + j, &mut made))))
                        .collect(),
                ),
                boxed: GcCell::new(GcCell::new(None)),
                pair: GcCell::new((leaf(&heap, i * 8 + 5, &mut made), GcCell::new(Vec::new()))),
            })
        })
        .collect();
    let mut rng = Rng(11);
    for _ in 0..if cfg!(miri) { 1 } else { 10 } {
        mark_while(&heap, 64, || {
            for _ in 0..4 {
                // Take a leaf out of one cell (no handle kept but ours)...
                let from = &nests[rng.below(nests.len())];
                let taken = from.row.borrow()[rng.below(4)].take();
                let Some(leaf) = taken else { continue };
                // ...and put it into another object's cell, dropping ours.
                let to = &nests[rng.below(nests.len())];
                match rng.below(3) {
                    0 => to.row.borrow()[rng.below(4)].store(Some(&leaf)),
                    1 => to.boxed.borrow().store(Some(&leaf)),
                    _ => {
                        let mut more = to.pair.borrow().1.take();
                        more.push(leaf);
                        more.truncate(4);
                        to.pair.borrow().1.set(more);
                    }
                }
            }
        });
    }
    let reachable: usize = nests.iter().map(|nest| nest.reachable().len()).sum();
    heap.collect();
    assert_eq!(heap.stats().live_objects, reachable + nests.len());
    assert_eq!(leaf_drops(), made - reachable);
    drop(nests);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    assert_eq!(leaf_drops(), made);
}

#[test]
fn edges_moved_between_objects_workers_trace_under_every_barrier() {
    for barrier in [
        gogc::Barrier::Hybrid,
        gogc::Barrier::Yuasa,
        gogc::Barrier::Dijkstra,
        gogc::Barrier::None,
    ] {
        shuffle_under(barrier);
    }
}
