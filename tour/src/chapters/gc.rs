//! The `gc` chapter (issue #22): Go's tri-colour marking, step by step,
//! drawn from a live `gogc::Heap` (its own `color`, `step` and `verify`),
//! then a mutator store racing the marker under each write barrier, and the
//! checker catching the object lost when the barrier is off.

use gogc::{Barrier, Color, Gc, GcCell, Heap, Phase, Trace, Violation};

use crate::draw;

/// A node of the demonstration graph: a name and two pointer slots.
#[derive(Trace)]
struct Obj {
    name: char,
    left: GcCell<Option<Gc<Obj>>>,
    right: GcCell<Option<Gc<Obj>>>,
}

fn obj(heap: &Heap, name: char) -> Gc<Obj> {
    heap.alloc(Obj {
        name,
        left: GcCell::new(None),
        right: GcCell::new(None),
    })
}

fn symbol(c: Color) -> char {
    match c {
        Color::White => '○',
        Color::Grey => '◐',
        Color::Black => '●',
    }
}

/// Which slot to follow: `false` left, `true` right.
type Path = &'static [bool];

/// The colour of the object at `path` from `from`, reached through borrows
/// of the cells (a borrow takes no rooted handle, so looking does not
/// change what the marker sees).
fn color_at(heap: &Heap, from: &Gc<Obj>, path: &[bool]) -> (char, Color) {
    match path.split_first() {
        None => (from.name, heap.color(from)),
        Some((&right, rest)) => {
            let cell = if right { &from.right } else { &from.left };
            let child = cell.borrow();
            let child = child
                .as_ref()
                .expect("the demonstration graph has this edge");
            color_at(heap, child, rest)
        }
    }
}

fn marking_walk() {
    draw::section("marking: white, grey, black");
    draw::say("Every object starts white. The marker shades the roots (mark bit set, queued in a");
    draw::say("work buffer: grey), then takes grey objects one by one, shades what they point to");
    draw::say("and leaves them black. When no grey object is left, the white ones are garbage.");
    draw::say("This heap holds one rooted handle, R:");
    println!();
    println!("    R ─┬─▶ A ─┬─▶ C");
    println!("       │      └─▶ D");
    println!("       └─▶ B ───▶ E ───▶ A   (back to A: already marked, not queued again)");
    println!("    F ◀──▶ G                 (a cycle no root reaches)");
    println!();

    let heap = Heap::builder().barrier(Barrier::Hybrid).gogc(None).build();
    let r = obj(&heap, 'R');
    let (a, b, c, d, e) = (
        obj(&heap, 'A'),
        obj(&heap, 'B'),
        obj(&heap, 'C'),
        obj(&heap, 'D'),
        obj(&heap, 'E'),
    );
    let (f, g) = (obj(&heap, 'F'), obj(&heap, 'G'));
    a.left.set(Some(c));
    a.right.set(Some(d));
    e.left.set(Some(a.clone()));
    b.left.set(Some(e));
    r.left.set(Some(a));
    r.right.set(Some(b));
    f.right.set(Some(g.clone()));
    g.right.set(Some(f.clone()));
    let f_weak = Gc::downgrade(&f);
    drop((f, g)); // only R is rooted now

    const PATHS: [Path; 6] = [
        &[],
        &[false],
        &[true],
        &[false, false],
        &[false, true],
        &[true, false],
    ];
    let row = |heap: &Heap| {
        PATHS
            .iter()
            .map(|p| {
                let (name, c) = color_at(heap, &r, p);
                format!("{name}{}", symbol(c))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    draw::say("Legend: ○ white, ◐ grey (marked, queued), ● black (marked, scanned).");
    heap.start_cycle();
    println!("  start_cycle   {}", row(&heap));
    let mut steps = 0;
    loop {
        let phase = heap.step(1);
        steps += 1;
        if phase != Phase::Mark || steps > 40 {
            break;
        }
        println!("  step(1)       {}", row(&heap));
    }
    let stats = heap.stats();
    println!(
        "  mark done after {steps} steps of budget 1: cycle {}, {} objects marked, {} live before the sweep",
        stats.cycles, stats.last.marked_objects, stats.live_objects
    );
    heap.step(usize::MAX); // the sweep: one unbounded step
    let stats = heap.stats();
    println!(
        "  sweep: {} objects freed, {} live; F (and G with it) gone: {}",
        stats.last.freed_objects,
        stats.live_objects,
        f_weak.upgrade(&heap).is_none()
    );
}

/// The object a grey holder will hand over: 7, alone in its own span.
#[derive(Trace)]
struct Holder(GcCell<Option<Gc<u8>>>);

/// Another size of holder, so it sits in another span and its root is
/// shaded by a later step than `Holder`'s.
#[derive(Trace)]
struct OtherHolder(GcCell<Option<Gc<u8>>>, [u64; 4]);

/// The colour of the object held in `cell`, if any.
fn held(heap: &Heap, cell: &GcCell<Option<Gc<u8>>>) -> Option<Color> {
    cell.borrow().as_ref().map(|z| heap.color(z))
}

fn shown(c: Option<Color>) -> String {
    c.map_or("—".into(), |c| format!("Z{}", symbol(c)))
}

/// A heap with X (black), Y (grey) and Z (white, held only by Y), or `None`
/// if the marker never stops in that state. Which of X and Y the marker
/// scans first depends on the barrier's root rule (incremental root scanning
/// goes span by span; Yuasa's snapshot queues every root at once and the
/// work buffer is last-in first-out), so both allocation orders are tried.
fn race_start(barrier: Barrier) -> Option<(Heap, Gc<Holder>, Gc<OtherHolder>)> {
    for y_first in [false, true] {
        let heap = Heap::builder().barrier(barrier).gogc(None).build();
        let (x, y) = if y_first {
            let y = heap.alloc(OtherHolder(GcCell::new(None), [0; 4]));
            (heap.alloc(Holder(GcCell::new(None))), y)
        } else {
            let x = heap.alloc(Holder(GcCell::new(None)));
            (x, heap.alloc(OtherHolder(GcCell::new(None), [0; 4])))
        };
        y.0.set(Some(heap.alloc(7u8))); // Y holds the only pointer to Z
        heap.start_cycle();
        for _ in 0..20 {
            let state = (heap.color(&x), heap.color(&y), held(&heap, &y.0));
            if state == (Color::Black, Color::Grey, Some(Color::White)) {
                return Some((heap, x, y));
            }
            heap.step(1);
        }
    }
    None
}

/// Runs the race under `barrier`; returns whether `verify` caught it.
fn race(barrier: Barrier) -> bool {
    let name = format!("{barrier:?}");
    let Some((heap, x, y)) = race_start(barrier) else {
        println!("  {name:<9} the marker never stopped with X black, Y grey and Z white; skipped");
        return false;
    };
    // The mutator: X = Y.ptr (a black object gets the pointer to Z; the
    // one-pointer store copies it from Y's cell, no root in between) ...
    x.0.store(y.0.borrow().as_ref());
    let after_insert = held(&heap, &x.0);
    // ... then Y = nil (the grey path to Z is gone).
    y.0.store(None);
    let after_delete = held(&heap, &x.0);
    let verified = heap.verify();
    let verdict = match verified {
        Ok(()) => "verify: ok".to_string(),
        Err(v @ Violation::BlackToWhite { .. }) => {
            format!(
                "verify: {:?} invariant broken, a black object points to a white one",
                v.invariant()
            )
        }
        Err(v) => format!(
            "verify: {:?} invariant broken, a white object no grey one protects",
            v.invariant()
        ),
    };
    while heap.step(usize::MAX) == Phase::Mark {}
    let lost = heap.stats().last.lost_objects;
    heap.collect();
    let z = x.0.borrow().as_deref().copied();
    println!(
        "  {name:<9} X● Y◐ Z○ │ X.z = Z: {} │ Y.z = nil: {} │ {verdict}",
        shown(after_insert),
        shown(after_delete)
    );
    println!(
        "  {:<9} mark ends: lost objects found by the re-mark: {lost}; Z after the sweep: {}",
        "",
        z.map_or("freed".into(), |v| format!("alive ({v})"))
    );
    verified.is_err()
}

/// Runs the race under every barrier; returns those `verify` caught.
fn barrier_race() -> Vec<Barrier> {
    draw::section("a store races the marker");
    draw::say("X is black (scanned), Y grey (queued), Z white, and Y holds the only pointer to Z.");
    draw::say("Between two steps the program copies Y's pointer into X, then clears Y's slot.");
    draw::say("Nothing grey leads to Z any more; only the write barrier can save it:");
    draw::say("  Dijkstra (insertion) shades the stored pointer, Yuasa (deletion) the overwritten");
    draw::say("  one, Go's hybrid both; with no barrier Z stays white under a black X.");
    println!();
    let caught = [
        Barrier::Dijkstra,
        Barrier::Yuasa,
        Barrier::Hybrid,
        Barrier::None,
    ]
    .into_iter()
    .filter(|&b| race(b))
    .collect();
    println!();
    draw::say("A pointer waiting in the 512-entry write-barrier buffer (Go's wbBuf) counts as");
    draw::say("grey: it is shaded when the buffer flushes, at the latest before mark termination.");
    caught
}

fn checker(caught: &[Barrier]) {
    draw::section("the checker");
    draw::say("verify() checks the barrier's invariant on the live heap at any point of marking:");
    draw::say("strong (no black object points to a white one) for Dijkstra and the hybrid, weak");
    draw::say("(every white object a black one points to is still reachable from a grey one");
    draw::say("through white objects) for Yuasa.");
    let names: Vec<String> = caught.iter().map(|b| format!("{b:?}")).collect();
    println!(
        "Above, it failed the moment the grey path was cut under: {}.",
        if names.is_empty() {
            "no barrier mode".to_string()
        } else {
            names.join(", ")
        }
    );
    draw::say("At mark termination a gccheckmark-style re-mark walks the heap again from the");
    draw::say("roots; whatever the marker missed is counted as lost and kept, so the sweep never");
    draw::say("frees an object that is still reachable (with no barrier: Z, under black X).");
    draw::say("Built with verify_each_step(true), a heap runs both checks after every step and");
    draw::say("panics on the first violation.");
}

/// Runs the chapter.
pub fn run() {
    marking_walk();
    let caught = barrier_race();
    checker(&caught);
}
