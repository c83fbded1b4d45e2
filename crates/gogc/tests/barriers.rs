//! Each write barrier against the lost-object scenarios of gc.md (c.8) and
//! the seed's barrier examples (d.2–d.4); the barrier buffer; root rules.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{Counted, BARRIERS};
use gogc::{Barrier, Color, Gc, GcCell, Heap, Phase, Violation};

#[derive(gogc_derive::Trace)]
struct Leaf(Counted, GcCell<Option<Gc<Leaf>>>);

/// Small holder: one span class.
#[derive(gogc_derive::Trace)]
struct Holder(GcCell<Option<Gc<Leaf>>>);

/// Bigger holder: another span class, so another span (root-scan order).
#[derive(gogc_derive::Trace)]
struct BigHolder(GcCell<Option<Gc<Leaf>>>, [u64; 8]);

fn leaf(heap: &Heap, drops: &Rc<Cell<usize>>) -> Gc<Leaf> {
    heap.alloc(Leaf(Counted::new(drops), GcCell::new(None)))
}

fn step_until(heap: &Heap, mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        assert_eq!(heap.step(1), Phase::Mark, "the cycle ended first");
    }
    panic!("condition not reached");
}

fn finish_mark(heap: &Heap) {
    while heap.step(usize::MAX) == Phase::Mark {}
}

struct Outcome {
    violation: Result<(), Violation>,
    lost: u64,
    drops_after_two_cycles: usize,
}

/// (c.8a) the sole pointer to a white object moves from a grey holder into
/// a black object, then the grey holder drops it.
fn black_gets_sole_pointer(barrier: Barrier) -> Outcome {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder().barrier(barrier).build();
    // Yuasa shades every root when the cycle starts and the queue is LIFO:
    // allocate in the order that leaves `black` scanned and `grey` queued.
    let (black, grey) = if barrier == Barrier::Yuasa {
        let grey = heap.alloc(BigHolder(GcCell::new(None), [0; 8]));
        (heap.alloc(Holder(GcCell::new(None))), grey)
    } else {
        let black = heap.alloc(Holder(GcCell::new(None)));
        (black, heap.alloc(BigHolder(GcCell::new(None), [0; 8])))
    };
    grey.0.set(Some(leaf(&heap, &drops)));
    heap.start_cycle();
    step_until(&heap, || heap.color(&black) == Color::Black);
    step_until(&heap, || heap.color(&grey) == Color::Grey);
    let white = grey.0.get().unwrap();
    assert_eq!(heap.color(&white), Color::White, "{barrier:?}");
    black.0.set(Some(white.clone()));
    grey.0.set(None);
    drop(white);
    let violation = heap.verify();
    finish_mark(&heap);
    let lost = heap.stats().last.lost_objects;
    heap.collect();
    heap.collect();
    assert!(black.0.borrow().is_some());
    Outcome {
        violation,
        lost,
        drops_after_two_cycles: drops.get(),
    }
}

/// (c.8b) the sole pointer moves from the heap into an already scanned
/// root, then the heap pointer is deleted.
fn scanned_root_gets_sole_pointer(barrier: Barrier) -> Outcome {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder().barrier(barrier).build();
    // The leaf's span comes first, so its (empty) root job runs before the
    // holder's span is scanned.
    let first = leaf(&heap, &drops);
    let grey = heap.alloc(BigHolder(GcCell::new(Some(first)), [0; 8]));
    heap.start_cycle();
    step_until(&heap, || heap.color(&grey) == Color::Grey);
    let root = grey.0.get().unwrap(); // a root, in a span already scanned
    assert_eq!(heap.color(&root), Color::White);
    grey.0.set(None);
    let violation = heap.verify();
    finish_mark(&heap);
    let lost = heap.stats().last.lost_objects;
    heap.collect();
    heap.collect();
    assert_eq!(drops.get(), 0);
    drop(root);
    Outcome {
        violation,
        lost,
        drops_after_two_cycles: drops.get(),
    }
}

#[test]
fn without_a_barrier_the_checker_catches_the_lost_object() {
    let outcome = black_gets_sole_pointer(Barrier::None);
    assert!(
        matches!(outcome.violation, Err(Violation::BlackToWhite { .. })),
        "{:?}",
        outcome.violation
    );
    assert_eq!(outcome.lost, 1, "the re-mark found it");
    assert_eq!(outcome.drops_after_two_cycles, 0, "and kept it alive");

    let outcome = scanned_root_gets_sole_pointer(Barrier::None);
    assert!(
        matches!(
            outcome.violation,
            Err(Violation::Unprotected { holder: None, .. })
        ),
        "{:?}",
        outcome.violation
    );
    assert_eq!(outcome.lost, 1);
}

#[test]
fn every_real_barrier_prevents_the_lost_object() {
    for barrier in [Barrier::Dijkstra, Barrier::Yuasa, Barrier::Hybrid] {
        let outcome = black_gets_sole_pointer(barrier);
        assert_eq!(outcome.violation, Ok(()), "{barrier:?}");
        assert_eq!(outcome.lost, 0, "{barrier:?}");
        assert_eq!(outcome.drops_after_two_cycles, 0, "{barrier:?}");

        let outcome = scanned_root_gets_sole_pointer(barrier);
        assert_eq!(outcome.violation, Ok(()), "{barrier:?}");
        assert_eq!(outcome.lost, 0, "{barrier:?}");
    }
}

#[test]
fn insertion_shades_the_new_pointer_and_leaves_floating_garbage() {
    // gc.md (d.2): black A gets a pointer to white C: C is shaded at once;
    // A is then redirected to B: C survives this cycle, dies in the next.
    for barrier in [Barrier::Dijkstra, Barrier::Hybrid] {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::builder()
            .barrier(barrier)
            .verify_each_step(true)
            .build();
        let a = heap.alloc(Holder(GcCell::new(None)));
        let c = heap.alloc(Leaf(Counted::new(&drops), GcCell::new(None)));
        let b = heap.alloc(Leaf(Counted::new(&drops), GcCell::new(None)));
        heap.start_cycle();
        step_until(&heap, || heap.color(&a) == Color::Black);
        assert_eq!(heap.color(&c), Color::White);
        a.0.set(Some(c.clone()));
        assert_eq!(heap.color(&c), Color::Grey, "{barrier:?}");
        a.0.set(Some(b.clone()));
        drop((b, c));
        finish_mark(&heap);
        heap.step(usize::MAX); // sweep
        assert_eq!(drops.get(), 0, "{barrier:?}: C floats this cycle");
        heap.collect();
        assert_eq!(drops.get(), 1, "{barrier:?}: and is freed by the next");
    }
}

#[test]
fn deletion_shades_the_old_pointer_and_what_it_reaches_survives() {
    // gc.md (d.3): a white object's pointer to white C is overwritten: C is
    // shaded, and C and D (C -> D) survive this cycle.
    for barrier in [Barrier::Yuasa, Barrier::Hybrid] {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::builder()
            .barrier(barrier)
            .verify_each_step(true)
            .build();
        let d = heap.alloc(Leaf(Counted::new(&drops), GcCell::new(None)));
        let c = heap.alloc(Leaf(Counted::new(&drops), GcCell::new(Some(d))));
        let holder = heap.alloc(BigHolder(GcCell::new(Some(c)), [0; 8]));
        let _keep = heap.alloc(Holder(GcCell::new(None)));
        heap.start_cycle();
        holder.0.set(None); // the deletion, holder still white or grey
        finish_mark(&heap);
        heap.step(usize::MAX);
        assert_eq!(drops.get(), 0, "{barrier:?}: C and D survive this cycle");
        heap.collect();
        assert_eq!(drops.get(), 2, "{barrier:?}");
    }
}

#[test]
fn hybrid_root_gains_what_a_heap_object_drops() {
    // gc.md (d.4): heap object 5 drops object 6 while root 1 gains it.
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder()
        .barrier(Barrier::Hybrid)
        .verify_each_step(true)
        .build();
    let five = heap.alloc(Holder(GcCell::new(Some(leaf(&heap, &drops)))));
    heap.start_cycle();
    heap.step(1);
    let six = five.0.replace(None).unwrap(); // the root gains 6, 5 drops it
    finish_mark(&heap);
    heap.collect();
    assert_eq!(drops.get(), 0);
    assert!(Gc::is_rooted(&six));
}

#[test]
fn only_dijkstra_rescans_roots_at_mark_termination() {
    // gc.md (c.5): hybrid scans each root once and never again.
    for barrier in BARRIERS {
        let heap = Heap::builder().barrier(barrier).build();
        let _a = heap.alloc(Holder(GcCell::new(None)));
        heap.collect();
        let rescans = heap.stats().last.root_rescans;
        assert_eq!(
            rescans,
            u64::from(barrier == Barrier::Dijkstra),
            "{barrier:?}"
        );
    }
}

#[test]
fn barrier_buffer_flushes_every_512_pointers_and_only_while_marking() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder().barrier(Barrier::Hybrid).gogc(None).build();
    let holder = heap.alloc(Holder(GcCell::new(None)));
    // 260 stores shade 520 pointers: one full 512-pointer buffer.
    let leaves: Vec<_> = (0..260).map(|_| leaf(&heap, &drops)).collect();
    for l in &leaves {
        holder.0.set(Some(l.clone()));
    }
    assert_eq!(heap.stats().current.barrier_shades, 0, "barrier off");
    heap.start_cycle();
    for l in &leaves {
        holder.0.set(Some(l.clone())); // shades old and new: 2 per store
    }
    let current = heap.stats().current;
    assert_eq!(current.barrier_shades, 520);
    assert_eq!(current.wbbuf_flushes, 1, "520 pointers: one full buffer");
    assert!(heap.verify().is_ok());
}

#[test]
fn yuasa_snapshots_all_roots_when_the_cycle_starts() {
    let heap = Heap::builder().barrier(Barrier::Yuasa).build();
    let a = heap.alloc(Holder(GcCell::new(None)));
    let b = heap.alloc(BigHolder(GcCell::new(None), [0; 8]));
    heap.start_cycle();
    assert_eq!((heap.color(&a), heap.color(&b)), (Color::Grey, Color::Grey));
    let hybrid = Heap::builder().barrier(Barrier::Hybrid).build();
    let c = hybrid.alloc(Holder(GcCell::new(None)));
    hybrid.start_cycle();
    assert_eq!(hybrid.color(&c), Color::White, "scanned incrementally");
}
