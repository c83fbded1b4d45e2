//! Tri-colour marking as gc.md describes it: colours, allocate-black, the
//! cycle's phases, and the seed's walk (scenario d.1).

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{link, node, BARRIERS};
use gogc::{Color, Heap, Phase};

#[test]
fn tri_colour_walk_frees_exactly_the_unreachable() {
    // gc.md (d.1): {root -> A -> B, C -> D}: A, B survive, C, D are freed.
    for barrier in BARRIERS {
        let drops = Rc::new(Cell::new(0));
        let heap = Heap::builder()
            .barrier(barrier)
            .verify_each_step(true)
            .build();
        let a = node(&heap, 1, &drops);
        let b = node(&heap, 2, &drops);
        let c = node(&heap, 3, &drops);
        let d = node(&heap, 4, &drops);
        link(&a, &b);
        link(&c, &d);
        drop((b, c, d));
        heap.start_cycle();
        let mut steps = 0;
        while heap.step(1) == Phase::Mark {
            steps += 1;
            assert!(steps < 1000);
        }
        // Marking is over; the sweep frees C and D.
        heap.collect();
        assert_eq!(drops.get(), 2, "{barrier:?}");
        assert_eq!(heap.stats().live_objects, 2);
        assert_eq!(a.edges.borrow()[0].label, 2);
    }
}

#[test]
fn shading_makes_grey_then_scanning_black() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let a = node(&heap, 1, &drops);
    let b = node(&heap, 2, &drops);
    link(&a, &b);
    let b_in_a = a.edges.borrow()[0].clone();
    drop(b);
    heap.start_cycle();
    assert_eq!(heap.phase(), Phase::Mark);
    assert_eq!(
        (heap.color(&a), heap.color(&b_in_a)),
        (Color::White, Color::White)
    );
    // The first step scans the root span: `a` and the handle `b_in_a` are
    // roots (both rooted), so both turn grey.
    heap.step(1);
    assert_eq!(heap.color(&a), Color::Grey);
    while heap.color(&a) != Color::Black {
        heap.step(1);
    }
    assert_ne!(heap.color(&b_in_a), Color::White);
    while heap.step(1) == Phase::Mark {}
    assert_eq!(heap.color(&a), Color::White, "no cycle marking: white");
}

#[test]
fn pointer_free_objects_go_straight_to_black() {
    let heap = Heap::new();
    let n = heap.alloc(42u64);
    heap.start_cycle();
    heap.step(1); // root scan of its span
    assert_eq!(heap.color(&n), Color::Black);
}

#[test]
fn objects_allocated_while_marking_are_black_and_survive_the_cycle() {
    // gc.md (c.3).
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let _root = node(&heap, 0, &drops);
    heap.start_cycle();
    let fresh = node(&heap, 1, &drops);
    assert_eq!(heap.color(&fresh), Color::Black);
    drop(fresh);
    while heap.step(1) == Phase::Mark {}
    heap.collect(); // this call's own cycle frees it: white allocation now
    assert_eq!(drops.get(), 1);
    // While the phase is off, allocation is white and dies in the next cycle.
    drop(node(&heap, 2, &drops));
    heap.collect();
    assert_eq!(drops.get(), 2);
}

#[test]
fn objects_unreachable_since_marking_began_survive_as_floating_garbage() {
    // gc.md (c.2): may survive one cycle, must not survive two.
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::new();
    let a = node(&heap, 1, &drops);
    heap.start_cycle();
    heap.step(1); // `a` shaded as a root
    drop(a);
    while heap.step(1) == Phase::Mark {}
    heap.step(usize::MAX); // sweep
    assert_eq!(drops.get(), 0, "floating garbage survives this cycle");
    heap.collect();
    assert_eq!(drops.get(), 1, "and is freed by the next");
}

#[test]
fn step_budget_bounds_each_step() {
    let drops = Rc::new(Cell::new(0));
    let heap = Heap::builder().gogc(None).build();
    let n = if cfg!(miri) { 300 } else { 2000 };
    let nodes: Vec<_> = (0..n).map(|i| node(&heap, i, &drops)).collect();
    for pair in nodes.windows(2) {
        link(&pair[0], &pair[1]);
    }
    let head = nodes[0].clone();
    drop(nodes);
    heap.start_cycle();
    let mut steps = 0;
    while heap.step(512) == Phase::Mark {
        steps += 1;
    }
    let last = heap.stats().last;
    assert!(steps > 10, "a long chain takes many bounded steps: {steps}");
    // A step overshoots its budget by at most one object or one root span.
    assert!(
        last.longest_step_work <= 512 + 8192 * 2,
        "{}",
        last.longest_step_work
    );
    assert_eq!(last.marked_objects, u64::from(n));
    assert_eq!(head.label, 0);
}

#[test]
fn steps_start_cycles_at_the_heap_goal() {
    let (min_heap, allocs) = if cfg!(miri) {
        (8 << 10, 2000)
    } else {
        (64 << 10, 20_000)
    };
    let heap = Heap::builder().min_heap(min_heap).gogc(Some(100)).build();
    let goal = heap.stats().goal_bytes;
    assert_eq!(goal, min_heap);
    for i in 0..allocs {
        drop(heap.alloc([i; 8]));
        heap.step(1 << 12);
    }
    assert!(heap.stats().cycles >= 2, "{:?}", heap.stats());
    assert!(heap.stats().live_bytes <= 4 * goal, "{:?}", heap.stats());
    // GOGC=off: no cycle starts by itself.
    let off = Heap::builder().gogc(None).build();
    for i in 0..allocs / 4 {
        drop(off.alloc([i; 8]));
        assert_eq!(off.step(1 << 12), Phase::Off);
    }
    assert_eq!(off.stats().cycles, 0);
}

#[test]
fn marking_ends_even_when_allocation_outpaces_the_steps() {
    // Root jobs cover the spans that existed when the cycle started; spans
    // made later hold only black objects. So a mutator that adds spans
    // faster than steps scan them cannot keep the mark from ending.
    let heap = Heap::builder().gogc(None).build();
    let (old, per_step) = if cfg!(miri) { (200, 300) } else { (2000, 2000) };
    let keep: Vec<_> = (0..old).map(|i| heap.alloc([i as u64; 4])).collect();
    heap.start_cycle();
    let mut steps = 0;
    while heap.step(1) == Phase::Mark {
        for i in 0..per_step {
            drop(heap.alloc([i as u64; 4]));
        }
        steps += 1;
        assert!(steps < 1000, "the mark never ends");
    }
    assert_eq!(heap.stats().cycles, 1);
    assert_eq!(keep[old - 1][0], (old - 1) as u64);
}

#[test]
fn the_heap_goal_follows_gogc() {
    // gc.md (c.9): goal = marked + (marked + stacks + globals) × GOGC/100,
    // never below min_heap × GOGC/100. gogc's root jobs stand for the stack
    // and globals scan (Go 1.18+ counts them; this test assumed the pre-1.18
    // `marked × (1 + GOGC/100)` before the pacer).
    for gogc in [50u32, 100, 200] {
        let heap = Heap::builder().gogc(Some(gogc)).min_heap(4096).build();
        let n = if cfg!(miri) { 60 } else { 500 };
        let keep: Vec<_> = (0..n).map(|i| heap.alloc([i; 8])).collect();
        heap.collect();
        let stats = heap.stats();
        let marked = stats.last.marked_bytes as usize;
        assert_eq!(marked, stats.live_bytes);
        let roots = stats.last.root_scan_work as usize;
        assert!(roots > 0, "every kept object is a root");
        let want =
            (marked + (marked + roots) * gogc as usize / 100).max(4096 * gogc as usize / 100);
        assert_eq!(stats.goal_bytes, want, "GOGC={gogc}");
        assert_eq!(keep.len() as u64, n);
    }
}
