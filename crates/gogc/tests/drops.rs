//! Drop counting and unwinding: panicking `Drop` during sweeps, panicking
//! `Trace` during marking and allocation, re-entrant use from `Drop`,
//! cross-heap stores, borrow conflicts and dropping the heap. After every
//! panic the heap must be consistent: every object dropped exactly once
//! when it dies, none leaked, none dropped while reachable.

mod common;

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use common::{Counted, BARRIERS};
use gogc::{Gc, GcCell, Heap, Phase, Trace, Tracer};

#[derive(gogc_derive::Trace)]
struct Item(Counted);

#[test]
fn every_object_is_dropped_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let keep: Vec<_> = (0..50)
        .map(|_| heap.alloc(Item(Counted::new(&drops))))
        .collect();
    for _ in 0..150 {
        drop(heap.alloc(Item(Counted::new(&drops))));
    }
    heap.collect();
    assert_eq!(drops.get(), 150);
    heap.collect();
    assert_eq!(drops.get(), 150);
    drop(keep);
    drop(heap);
    assert_eq!(drops.get(), 200);
}

#[test]
fn dropping_the_heap_drops_cyclic_garbage_and_pending_objects() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let a = common::node(&heap, 1, &drops);
    let b = common::node(&heap, 2, &drops);
    common::link(&a, &b);
    common::link(&b, &a);
    heap.start_cycle(); // dropped mid-cycle, too
    heap.step(1);
    drop((a, b));
    drop(heap);
    assert_eq!(drops.get(), 2);
}

#[test]
#[cfg_attr(miri, ignore = "leaks the heap by design, which Miri reports")]
fn dropping_the_heap_with_live_roots_leaks_it_and_keeps_them_valid() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let kept = heap.alloc(Item(Counted::new(&drops)));
    drop(heap);
    assert_eq!(drops.get(), 0);
    assert!(!kept.0.panic_on_drop);
    let copy = kept.clone();
    drop((kept, copy));
    assert_eq!(drops.get(), 0, "leaked, never dropped");
}

#[test]
fn a_panicking_drop_in_a_sweep_leaves_the_heap_consistent() {
    for barrier in BARRIERS {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::builder().barrier(barrier).build();
        let keep: Vec<_> = (0..10)
            .map(|_| heap.alloc(Item(Counted::new(&drops))))
            .collect();
        for i in 0..20 {
            let item = if i == 7 {
                Counted::panicking(&drops)
            } else {
                Counted::new(&drops)
            };
            drop(heap.alloc(Item(item)));
        }
        let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
        assert!(result.is_err(), "the Drop's panic reaches the caller");
        // The sweeper finished the span: every garbage object was dropped once.
        assert_eq!(drops.get(), 20, "{barrier:?}");
        assert_eq!(heap.stats().live_objects, 10);
        heap.collect();
        assert_eq!(drops.get(), 20);
        for _ in 0..100 {
            drop(heap.alloc(Item(Counted::new(&drops))));
        }
        heap.collect();
        assert_eq!(drops.get(), 120);
        assert_eq!(keep.len(), 10);
        drop(keep);
        drop(heap);
        assert_eq!(drops.get(), 130);
    }
}

#[test]
fn a_panicking_drop_during_lazy_sweep_fails_the_allocation_only() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder().gogc(None).build();
    for i in 0..40 {
        let item = if i == 3 {
            Counted::panicking(&drops)
        } else {
            Counted::new(&drops)
        };
        drop(heap.alloc(Item(item)));
    }
    heap.start_cycle();
    while heap.step(usize::MAX) == Phase::Mark {}
    // Marking ended; sweeping is lazy: allocating sweeps the span.
    let value = Item(Counted::new(&drops));
    let result = catch_unwind(AssertUnwindSafe(|| heap.alloc(value)));
    assert!(result.is_err());
    assert_eq!(drops.get(), 41, "40 swept + the value being allocated");
    let fine = heap.alloc(Item(Counted::new(&drops)));
    heap.collect();
    assert_eq!(drops.get(), 41);
    assert_eq!(heap.stats().live_objects, 1);
    drop(fine);
}

/// A hand-written `Trace` that panics while `PANIC_TRACE` is set.
struct Fragile {
    child: Gc<Item>,
    fuse: Rc<Cell<bool>>,
}

// SAFETY: traces its one pointer (when it does not panic).
unsafe impl Trace for Fragile {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if self.fuse.get() {
            panic!("Fragile: trace panics");
        }
        self.child.trace(tracer);
    }
}

#[test]
fn a_panicking_trace_while_marking_keeps_the_object_grey() {
    for barrier in BARRIERS {
        let drops = Rc::new(Cell::new(0));
        let fuse = Rc::new(Cell::new(false));
        let heap = Heap::builder().barrier(barrier).build();
        let fragile = heap.alloc(Fragile {
            child: heap.alloc(Item(Counted::new(&drops))),
            fuse: fuse.clone(),
        });
        fuse.set(true);
        heap.start_cycle();
        let result = catch_unwind(AssertUnwindSafe(|| while heap.step(1) == Phase::Mark {}));
        assert!(result.is_err(), "{barrier:?}");
        assert_eq!(heap.color(&fragile), gogc::Color::Grey, "{barrier:?}");
        fuse.set(false);
        assert_eq!(heap.verify(), Ok(()));
        while heap.step(1) == Phase::Mark {}
        heap.collect();
        assert_eq!(drops.get(), 0, "{barrier:?}: the child stayed reachable");
        drop(fragile);
        heap.collect();
        assert_eq!(drops.get(), 1);
    }
}

#[test]
fn a_panicking_trace_during_alloc_drops_the_value_and_unroots_nothing_twice() {
    let drops = Rc::new(Cell::new(0));
    let fuse = Rc::new(Cell::new(true));
    let heap = Heap::new();
    let child = heap.alloc(Item(Counted::new(&drops)));
    let value = Fragile {
        child: child.clone(),
        fuse: fuse.clone(),
    };
    let result = catch_unwind(AssertUnwindSafe(|| heap.alloc(value)));
    assert!(result.is_err());
    assert_eq!(heap.stats().live_objects, 1);
    drop(child);
    heap.collect();
    assert_eq!(drops.get(), 1, "the child's root count came back to zero");
}

type SideCell = Gc<GcCell<Option<Gc<u32>>>>;

thread_local! {
    static SIDE_CELL: RefCell<Option<SideCell>> = const { RefCell::new(None) };
}

/// Tries to store into a heap cell from `Drop`.
struct Meddler;

impl Drop for Meddler {
    fn drop(&mut self) {
        SIDE_CELL.with(|cell| {
            if let Some(cell) = &*cell.borrow() {
                cell.set(None);
            }
        });
    }
}

// SAFETY: no `Gc` inside.
unsafe impl Trace for Meddler {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

#[test]
fn drop_code_cannot_reenter_the_heap() {
    let heap = Heap::new();
    let cell = heap.alloc(GcCell::new(Some(heap.alloc(0u32))));
    SIDE_CELL.with(|side| *side.borrow_mut() = Some(cell.clone()));
    drop(heap.alloc(Meddler));
    let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    let message = result.unwrap_err();
    let message = message.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("used from Trace or Drop"), "{message}");
    assert_eq!(cell.get().as_deref(), Some(&0));
    SIDE_CELL.with(|side| *side.borrow_mut() = None);
    heap.collect();
    cell.set(Some(heap.alloc(2)));
    assert_eq!(cell.get().as_deref(), Some(&2));
    heap.collect();
    assert_eq!(heap.stats().live_objects, 2);
}

#[test]
fn a_gc_of_another_heap_is_rejected() {
    let drops = Rc::new(Cell::new(0));
    let (one, two) = (Heap::new(), Heap::new());
    let foreign = two.alloc(Item(Counted::new(&drops)));
    let result = catch_unwind(AssertUnwindSafe(|| one.alloc(Some(foreign.clone()))));
    assert!(result.is_err());
    let cell = one.alloc(GcCell::new(None));
    let result = catch_unwind(AssertUnwindSafe(|| cell.set(Some(foreign.clone()))));
    assert!(result.is_err());
    assert!(cell.borrow().is_none());
    // Both heaps are intact, the handle still counts as a root.
    one.collect();
    two.collect();
    assert_eq!(drops.get(), 0);
    drop(foreign);
    two.collect();
    assert_eq!(drops.get(), 1);
}

#[test]
fn storing_into_a_borrowed_cell_panics_and_changes_nothing() {
    let heap = Heap::new();
    let cell = heap.alloc(GcCell::new(vec![1, 2, 3]));
    let guard = cell.borrow();
    let result = catch_unwind(AssertUnwindSafe(|| cell.set(vec![])));
    assert!(result.is_err());
    assert_eq!(*guard, [1, 2, 3]);
    drop(guard);
    cell.set(vec![4]);
    assert_eq!(cell.get(), [4]);
}

#[test]
fn cells_outside_the_heap_keep_their_pointers_rooted() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let outside = GcCell::new(None);
    outside.set(Some(heap.alloc(Item(Counted::new(&drops)))));
    heap.collect();
    assert_eq!(drops.get(), 0, "a cell on the stack is a root holder");
    let moved_in = heap.alloc(outside);
    heap.collect();
    assert_eq!(drops.get(), 0);
    let out = moved_in.replace(None).unwrap();
    assert!(Gc::is_rooted(&out));
    drop(moved_in);
    heap.collect();
    assert_eq!(drops.get(), 0);
    drop(out);
    heap.collect();
    assert_eq!(drops.get(), 1);
}

/// Stores into a heap cell from `Trace`.
struct Storer;

// SAFETY: no `Gc` inside; the side effect is the point of the test.
unsafe impl Trace for Storer {
    fn trace(&self, _: &mut Tracer<'_>) {
        SIDE_CELL.with(|cell| {
            if let Some(cell) = &*cell.borrow() {
                cell.set(None);
            }
        });
    }
}

#[test]
fn trace_code_cannot_store_into_the_heap_while_it_marks() {
    let heap = Heap::new();
    let cell = heap.alloc(GcCell::new(Some(heap.alloc(0u32))));
    let storer = heap.alloc(Storer);
    SIDE_CELL.with(|side| *side.borrow_mut() = Some(cell.clone()));
    heap.start_cycle();
    let result = catch_unwind(AssertUnwindSafe(|| while heap.step(1) == Phase::Mark {}));
    let message = result.unwrap_err();
    let message = message.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("used from Trace or Drop"), "{message}");
    assert_eq!(cell.get().as_deref(), Some(&0), "the store did not happen");
    SIDE_CELL.with(|side| *side.borrow_mut() = None);
    while heap.step(1) == Phase::Mark {}
    heap.collect();
    assert_eq!(heap.stats().live_objects, 3);
    drop(storer);
}

thread_local! {
    static HEAP_FOR_TRACE: RefCell<Option<Rc<Heap>>> = const { RefCell::new(None) };
}

/// Tries to run a collection from `Trace`.
struct Collector(Gc<u32>);

// SAFETY: traces its one pointer; the side effect is the point of the test.
unsafe impl Trace for Collector {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        HEAP_FOR_TRACE.with(|heap| {
            if let Some(heap) = &*heap.borrow() {
                heap.collect();
            }
        });
        self.0.trace(tracer);
    }
}

#[test]
fn trace_code_cannot_collect_while_a_value_moves_in_or_out() {
    let heap = Rc::new(Heap::new());
    let cell = heap.alloc(GcCell::new(Some(Collector(heap.alloc(5)))));
    HEAP_FOR_TRACE.with(|slot| *slot.borrow_mut() = Some(heap.clone()));
    // Moving out: the re-rooting walk runs under the heap's guard.
    let result = catch_unwind(AssertUnwindSafe(|| cell.replace(None)));
    let message = result.err().expect("collect from Trace must panic");
    let message = message.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("used from Trace or Drop"), "{message}");
    // Moving in: the unrooting walk too.
    let value = Collector(heap.alloc(6));
    let result = catch_unwind(AssertUnwindSafe(|| cell.set(Some(value))));
    assert!(result.is_err());
    HEAP_FOR_TRACE.with(|slot| *slot.borrow_mut() = None);
    heap.collect();
    assert!(cell.borrow().is_none());
    assert_eq!(heap.stats().live_objects, 1, "only the cell is left");
}
