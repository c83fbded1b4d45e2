//! The one-pointer store `GcCell::store`: what it stores and roots, its
//! panics, the barrier work it does (none with no cycle marking, each mode's
//! halves while one marks), the lost-object scenario through it, stores
//! from `Drop` and `Trace` code, and the checker after every store and step.

mod common;

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use common::{Counted, BARRIERS};
use gocore::rand::FastRand;
use gogc::{Barrier, Color, Gc, GcCell, Heap, Phase, Trace, Tracer, Violation};

#[derive(gogc_derive::Trace)]
struct Node {
    counted: Counted,
    next: GcCell<Option<Gc<Node>>>,
}

/// The same node with padding: another size class, so another span.
#[derive(gogc_derive::Trace)]
struct BigNode {
    next: GcCell<Option<Gc<Node>>>,
    _pad: [u64; 8],
}

fn node(heap: &Heap, drops: &Rc<Cell<usize>>) -> Gc<Node> {
    heap.alloc(Node {
        counted: Counted::new(drops),
        next: GcCell::new(None),
    })
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn finish_mark(heap: &Heap) {
    while heap.step(usize::MAX) == Phase::Mark {}
}

#[test]
fn store_points_the_cell_at_the_target_and_leaves_the_handle_rooted() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let a = node(&heap, &drops);
    let b = node(&heap, &drops);
    a.next.store(Some(&b));
    assert!(Gc::is_rooted(&b), "the caller's handle is untouched");
    let edge = a.next.borrow();
    assert!(Gc::ptr_eq(edge.as_ref().unwrap(), &b));
    assert!(
        !Gc::is_rooted(edge.as_ref().unwrap()),
        "the cell holds an edge"
    );
    drop(edge);
    drop(b);
    heap.collect();
    assert_eq!(drops.get(), 0, "b is reached through a");
    a.next.store(None);
    heap.collect();
    assert_eq!(drops.get(), 1, "b is freed once the edge is gone");
    drop(a);
    heap.collect();
    assert_eq!((drops.get(), heap.stats().live_objects), (2, 0));
}

#[test]
fn store_into_a_cell_outside_the_heap_keeps_a_rooted_handle() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let target = node(&heap, &drops);
    let cell = GcCell::new(None::<Gc<Node>>);
    cell.store(Some(&target));
    assert!(Gc::is_rooted(cell.borrow().as_ref().unwrap()));
    drop(target);
    heap.collect();
    assert_eq!(drops.get(), 0, "the cell's handle is a root");
    // Moving the cell into the heap unroots its contents.
    let holder = heap.alloc(cell);
    assert!(!Gc::is_rooted(holder.borrow().as_ref().unwrap()));
    heap.collect();
    assert_eq!(drops.get(), 0);
    drop(holder);
    heap.collect();
    assert_eq!(drops.get(), 1);
}

#[test]
fn store_into_a_never_empty_cell() {
    for barrier in BARRIERS {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::builder()
            .barrier(barrier)
            .verify_each_step(barrier != Barrier::None)
            .build();
        let (one, two) = (node(&heap, &drops), node(&heap, &drops));
        let cell = heap.alloc(GcCell::new(one.clone()));
        cell.store(&two);
        assert!(Gc::ptr_eq(&cell.borrow(), &two));
        heap.start_cycle();
        heap.step(1);
        cell.store(&one); // while marking: the barrier path
        if barrier != Barrier::None {
            assert_eq!(heap.verify(), Ok(()), "{barrier:?}");
        }
        finish_mark(&heap);
        drop((one, two));
        heap.collect();
        assert_eq!(drops.get(), 1, "{barrier:?}: only `two` is unreachable");
        assert!(!Gc::is_rooted(&cell.borrow()));
        // Outside the heap the cell keeps a rooted clone.
        let outside = GcCell::new(cell.get());
        let three = node(&heap, &drops);
        outside.store(&three);
        drop(three);
        heap.collect();
        assert_eq!(drops.get(), 1, "{barrier:?}");
        assert!(Gc::is_rooted(&outside.borrow()));
    }
}

#[test]
fn store_panics_while_the_cell_is_borrowed_and_changes_nothing() {
    for marking in [false, true] {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::new();
        let (a, b, c) = (
            node(&heap, &drops),
            node(&heap, &drops),
            node(&heap, &drops),
        );
        a.next.store(Some(&b));
        if marking {
            heap.start_cycle();
        }
        let guard = a.next.borrow();
        let result = catch_unwind(AssertUnwindSafe(|| a.next.store(Some(&c))));
        let message = panic_message(result.unwrap_err());
        assert!(message.contains("stored into while borrowed"), "{message}");
        assert!(Gc::ptr_eq(guard.as_ref().unwrap(), &b), "unchanged");
        drop(guard);
        a.next.store(Some(&c)); // the flags are clear again
        assert!(Gc::ptr_eq(a.next.borrow().as_ref().unwrap(), &c));
        drop((b, c));
        heap.collect();
        assert_eq!(drops.get(), 1, "marking {marking}: b is gone, c is kept");
    }
}

#[test]
fn store_of_a_gc_of_another_heap_panics_and_changes_nothing() {
    for marking in [false, true] {
        let drops = Rc::new(Cell::new(0));
        let (heap, other) = (Heap::new(), Heap::new());
        let a = node(&heap, &drops);
        let foreign = node(&other, &drops);
        if marking {
            heap.start_cycle();
        }
        let result = catch_unwind(AssertUnwindSafe(|| a.next.store(Some(&foreign))));
        let message = panic_message(result.unwrap_err());
        assert!(message.contains("another heap"), "{message}");
        assert!(a.next.borrow().is_none(), "marking {marking}");
        assert!(Gc::is_rooted(&foreign));
        heap.collect();
        other.collect();
        assert_eq!(
            (heap.stats().live_objects, other.stats().live_objects),
            (1, 1)
        );
        drop((a, foreign));
        heap.collect();
        other.collect();
        assert_eq!(drops.get(), 2);
    }
}

#[test]
fn with_no_cycle_marking_store_does_no_barrier_work_and_while_marking_each_mode_shades_its_halves()
{
    for barrier in BARRIERS {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::builder().barrier(barrier).gogc(None).build();
        let holder = heap.alloc(BigNode {
            next: GcCell::new(None),
            _pad: [0; 8],
        });
        let leaves: Vec<_> = (0..8).map(|_| node(&heap, &drops)).collect();
        for leaf in &leaves {
            holder.next.store(Some(leaf));
        }
        assert_eq!(heap.stats().current.barrier_shades, 0, "{barrier:?}");
        heap.start_cycle();
        for leaf in &leaves {
            holder.next.store(Some(leaf)); // old and new both set
        }
        let per_store =
            u64::from(barrier.shades_new_pointer()) + u64::from(barrier.shades_old_pointer());
        assert_eq!(
            heap.stats().current.barrier_shades,
            8 * per_store,
            "{barrier:?}"
        );
        holder.next.store(None); // no new pointer to shade
        assert_eq!(
            heap.stats().current.barrier_shades,
            8 * per_store + u64::from(barrier.shades_old_pointer()),
            "{barrier:?}"
        );
        finish_mark(&heap);
        drop(leaves);
        heap.collect();
        assert_eq!(drops.get(), 8, "{barrier:?}");
    }
}

/// Which halves of the barrier a mode runs, as the `Barrier` docs state.
trait Halves {
    fn shades_new_pointer(self) -> bool;
    fn shades_old_pointer(self) -> bool;
}

impl Halves for Barrier {
    fn shades_new_pointer(self) -> bool {
        matches!(self, Barrier::Dijkstra | Barrier::Hybrid)
    }
    fn shades_old_pointer(self) -> bool {
        matches!(self, Barrier::Yuasa | Barrier::Hybrid)
    }
}

/// gc.md (c.8a) through `store`: the sole pointer to a white object moves
/// from a grey holder into a black object, then the grey holder drops it.
/// Returns the checker's verdict right after, and the re-mark's lost count.
fn black_gets_sole_pointer_by_store(barrier: Barrier) -> (Result<(), Violation>, u64) {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder().barrier(barrier).build();
    // Yuasa shades every root when the cycle starts and the queue is LIFO:
    // allocate in the order that leaves `black` scanned and `grey` queued.
    let new_holder = |heap: &Heap| {
        heap.alloc(Node {
            counted: Counted::new(&drops),
            next: GcCell::new(None),
        })
    };
    let new_big = |heap: &Heap| {
        heap.alloc(BigNode {
            next: GcCell::new(None),
            _pad: [0; 8],
        })
    };
    let (black, grey) = if barrier == Barrier::Yuasa {
        let grey = new_big(&heap);
        (new_holder(&heap), grey)
    } else {
        let black = new_holder(&heap);
        (black, new_big(&heap))
    };
    grey.next.store(Some(&node(&heap, &drops)));
    heap.start_cycle();
    for _ in 0..100 {
        if heap.color(&black) == Color::Black && heap.color(&grey) == Color::Grey {
            break;
        }
        assert_eq!(heap.step(1), Phase::Mark);
    }
    assert_eq!(heap.color(&black), Color::Black, "{barrier:?}");
    assert_eq!(heap.color(&grey), Color::Grey, "{barrier:?}");
    let white = grey.next.get().unwrap();
    assert_eq!(heap.color(&white), Color::White, "{barrier:?}");
    black.next.store(Some(&white));
    grey.next.store(None);
    drop(white);
    let violation = heap.verify();
    finish_mark(&heap);
    let lost = heap.stats().last.lost_objects;
    heap.collect();
    heap.collect();
    assert_eq!(drops.get(), 0, "{barrier:?}: the moved object survives");
    assert!(black.next.borrow().is_some());
    (violation, lost)
}

#[test]
fn store_runs_each_barrier_against_the_lost_object() {
    for barrier in [Barrier::Dijkstra, Barrier::Yuasa, Barrier::Hybrid] {
        assert_eq!(black_gets_sole_pointer_by_store(barrier), (Ok(()), 0));
    }
    let (violation, lost) = black_gets_sole_pointer_by_store(Barrier::None);
    assert!(
        matches!(violation, Err(Violation::BlackToWhite { .. })),
        "{violation:?}"
    );
    assert_eq!(lost, 1, "the re-mark found and kept it");
}

#[test]
fn random_stores_keep_each_barriers_invariant_after_every_store_and_step() {
    // Under Miri: a short program, under the hybrid barrier only.
    let (rounds, objects, barriers) = if cfg!(miri) {
        (24, 8, &[Barrier::Hybrid][..])
    } else {
        (
            3000,
            64,
            &[Barrier::Dijkstra, Barrier::Yuasa, Barrier::Hybrid][..],
        )
    };
    for &barrier in barriers {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::builder()
            .barrier(barrier)
            .verify_each_step(true)
            .gogc(None)
            .build();
        let all: Vec<Gc<Node>> = (0..objects).map(|_| node(&heap, &drops)).collect();
        // Only a few stay rooted: the rest live through the slots alone.
        let mut roots: Vec<Gc<Node>> = all.iter().step_by(8).cloned().collect();
        for (i, n) in all.iter().enumerate() {
            n.next.store(Some(&all[(i + 1) % objects]));
        }
        drop(all);
        let mut rng = FastRand::new(17);
        heap.start_cycle();
        for _ in 0..rounds {
            let from = roots[rng.below(roots.len() as u32) as usize].clone();
            match rng.below(4) {
                0 => from.next.store(None),
                1 => {
                    let to = roots[rng.below(roots.len() as u32) as usize].clone();
                    from.next.store(Some(&to));
                }
                2 => {
                    // Read an edge into a root, or drop a root.
                    if let Some(child) = from.next.get() {
                        roots.push(child);
                    } else if roots.len() > 1 {
                        roots.swap_remove(rng.below(roots.len() as u32) as usize);
                    }
                }
                _ => {
                    // Move the pointer two hops away into `from`: the
                    // deletion that can hide a white object.
                    let hop = from.next.get().and_then(|n| n.next.get());
                    from.next.store(hop.as_ref());
                }
            }
            assert_eq!(heap.verify(), Ok(()), "{barrier:?}");
            if heap.step(1 + rng.below(64) as usize) == Phase::Off {
                heap.start_cycle();
            }
        }
        finish_mark(&heap);
        assert_eq!(heap.stats().last.lost_objects, 0, "{barrier:?}");
        drop(roots);
        heap.collect();
        assert_eq!(drops.get(), objects, "{barrier:?}: all freed, once");
    }
}

thread_local! {
    /// A rooted cell and target for the `Drop` and `Trace` impls below.
    static SIDE: RefCell<Option<(Gc<Node>, Gc<Node>)>> = const { RefCell::new(None) };
}

/// Stores `SIDE`'s target into `SIDE`'s cell when dropped.
struct StoreOnDrop;

impl Drop for StoreOnDrop {
    fn drop(&mut self) {
        SIDE.with(|side| {
            if let Some((cell, target)) = &*side.borrow() {
                cell.next.store(Some(target));
            }
        });
    }
}

// SAFETY: no `Gc` inside; the drop uses only rooted handles it does not hold.
unsafe impl Trace for StoreOnDrop {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

#[test]
fn drop_code_run_by_a_sweep_may_store() {
    // A sweep runs with no cycle marking: the store touches no heap state.
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let (cell, target) = (node(&heap, &drops), node(&heap, &drops));
    SIDE.with(|side| *side.borrow_mut() = Some((cell.clone(), target.clone())));
    drop(heap.alloc(StoreOnDrop));
    heap.collect();
    SIDE.with(|side| *side.borrow_mut() = None);
    assert!(Gc::ptr_eq(cell.next.borrow().as_ref().unwrap(), &target));
    drop(target);
    heap.collect();
    assert_eq!(drops.get(), 0, "the stored edge keeps the target");
    drop(cell);
    heap.collect();
    assert_eq!(drops.get(), 2);
}

/// Stores `SIDE`'s target into `SIDE`'s cell when traced.
struct StoreOnTrace;

// SAFETY: no `Gc` inside; the side effect is the point of the test.
unsafe impl Trace for StoreOnTrace {
    fn trace(&self, _: &mut Tracer<'_>) {
        SIDE.with(|side| {
            if let Some((cell, target)) = &*side.borrow() {
                cell.next.store(Some(target));
            }
        });
    }
}

#[test]
fn trace_code_may_store_only_while_no_cycle_marks() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let (cell, target) = (node(&heap, &drops), node(&heap, &drops));
    SIDE.with(|side| *side.borrow_mut() = Some((cell.clone(), target.clone())));
    // Allocation walks the value with `Trace`; no cycle marks: allowed.
    let storer = heap.alloc(StoreOnTrace);
    assert!(Gc::ptr_eq(cell.next.borrow().as_ref().unwrap(), &target));
    cell.next.store(None);
    // The marker runs the same `Trace`: the store must enter the heap.
    heap.start_cycle();
    let result = catch_unwind(AssertUnwindSafe(|| finish_mark(&heap)));
    let message = panic_message(result.unwrap_err());
    assert!(message.contains("used from Trace or Drop"), "{message}");
    assert!(cell.next.borrow().is_none(), "the store did not happen");
    SIDE.with(|side| *side.borrow_mut() = None);
    finish_mark(&heap); // the interrupted scan resumes
    heap.collect();
    assert_eq!(heap.stats().live_objects, 3);
    drop((storer, cell, target));
    heap.collect();
    assert_eq!((drops.get(), heap.stats().live_objects), (2, 0));
}
