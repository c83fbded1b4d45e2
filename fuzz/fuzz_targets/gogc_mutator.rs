//! Random mutator programs against gogc: allocation, pointer stores through
//! `GcCell` (`set` of a whole edge list, and the one-pointer `store` into a
//! slot), root drops, reads of heap pointers into roots, weak pointers,
//! `step` with random budgets, cycle starts and full collections, under a
//! barrier the input picks, with the invariant checker after every step.
//!
//! A shadow graph of `Rc` nodes mirrors the heap. After every operation:
//! no object reachable from the roots has been dropped, no object is
//! dropped twice, the heap's edges equal the shadow's, and nothing
//! unreachable survives two cycles (an object unreachable while `c` cycles
//! had finished is gone once cycle `c + 3` marks; `collect` frees everything
//! unreachable before it).
#![no_main]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use arbitrary::Arbitrary;
use gogc::{Barrier, Gc, GcCell, Heap, Phase, Trace, Tracer};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Alloc { pad: u8 },
    Store { from: u8, to: u8 },
    Unlink { from: u8, which: u8 },
    Read { from: u8, which: u8 },
    Move { from: u8, which: u8, to: Option<u8> },
    Point { from: u8, to: Option<u8> },
    ReadSlot { from: u8 },
    MoveSlot { from: u8, to: Option<u8> },
    DropRoot { root: u8 },
    Step { budget: u16 },
    StartCycle,
    Collect,
    WeakRoundTrip { root: u8 },
}

#[derive(Arbitrary, Debug)]
struct Program {
    barrier: u8,
    ops: Vec<Op>,
}

struct Tag {
    id: usize,
    freed: Rc<RefCell<Vec<bool>>>,
}

impl Drop for Tag {
    fn drop(&mut self) {
        let mut freed = self.freed.borrow_mut();
        assert!(!freed[self.id], "object {} dropped twice", self.id);
        freed[self.id] = true;
    }
}

// SAFETY: no `Gc` inside.
unsafe impl Trace for Tag {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

#[derive(Trace)]
struct Obj {
    tag: Tag,
    edges: GcCell<Vec<Gc<Obj>>>,
    /// One more edge, changed only by the one-pointer `GcCell::store`.
    slot: GcCell<Option<Gc<Obj>>>,
    pad: Vec<u8>,
}

/// The shadow of one object.
struct Shadow {
    id: usize,
    edges: RefCell<Vec<Rc<Shadow>>>,
    slot: RefCell<Option<Rc<Shadow>>>,
}

struct World {
    heap: Heap,
    freed: Rc<RefCell<Vec<bool>>>,
    next_id: usize,
    roots: Vec<(Rc<Shadow>, Gc<Obj>)>,
    unreachable_since: BTreeMap<usize, u64>,
    all: Vec<Rc<Shadow>>,
}

impl World {
    fn reachable(&self) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<Rc<Shadow>> = self.roots.iter().map(|(s, _)| s.clone()).collect();
        while let Some(node) = stack.pop() {
            if seen.insert(node.id) {
                stack.extend(node.edges.borrow().iter().cloned());
                stack.extend(node.slot.borrow().iter().cloned());
            }
        }
        seen
    }

    fn root(&self, index: u8) -> Option<usize> {
        (!self.roots.is_empty()).then(|| index as usize % self.roots.len())
    }

    fn edge(&self, root: usize, which: u8) -> Option<usize> {
        let n = self.roots[root].0.edges.borrow().len();
        (n > 0).then(|| which as usize % n)
    }

    fn read(&mut self, from: usize, k: usize) -> usize {
        let shadow = self.roots[from].0.edges.borrow()[k].clone();
        let real = self.roots[from].1.edges.borrow()[k].clone();
        assert_eq!(real.tag.id, shadow.id);
        self.roots.push((shadow, real));
        self.roots.len() - 1
    }

    fn store(&mut self, from: usize, to: usize) {
        let (shadow, real) = (self.roots[to].0.clone(), self.roots[to].1.clone());
        let mut edges = self.roots[from].1.edges.take();
        edges.push(real);
        self.roots[from].1.edges.set(edges);
        self.roots[from].0.edges.borrow_mut().push(shadow);
    }

    /// Points root `from`'s slot at root `to`'s object, or at nothing.
    fn point(&mut self, from: usize, to: Option<usize>) {
        let target = to.map(|to| &self.roots[to].1);
        self.roots[from].1.slot.store(target);
        *self.roots[from].0.slot.borrow_mut() = to.map(|to| self.roots[to].0.clone());
    }

    /// Roots the object in root `from`'s slot; its new root index.
    fn read_slot(&mut self, from: usize) -> Option<usize> {
        let shadow = self.roots[from].0.slot.borrow().clone()?;
        let real = self.roots[from].1.slot.get().expect("the shadow's slot is set");
        assert_eq!(real.tag.id, shadow.id);
        self.roots.push((shadow, real));
        Some(self.roots.len() - 1)
    }

    fn unlink(&mut self, from: usize, k: usize) {
        let mut edges = self.roots[from].1.edges.take();
        edges.remove(k);
        self.roots[from].1.edges.set(edges);
        self.roots[from].0.edges.borrow_mut().remove(k);
    }

    fn check(&mut self, after_collect: bool) {
        let reachable = self.reachable();
        let freed = self.freed.borrow().clone();
        let cycles = self.heap.stats().cycles;
        let marking = self.heap.phase() == Phase::Mark;
        for id in 0..self.next_id {
            if reachable.contains(&id) {
                assert!(!freed[id], "reachable object {id} was freed");
                self.unreachable_since.remove(&id);
            } else if !freed[id] {
                let since = *self.unreachable_since.entry(id).or_insert(cycles);
                assert!(!after_collect, "object {id} survived collect()");
                assert!(
                    !(marking && cycles >= since + 2),
                    "object {id} unreachable since cycle {since} survived to {cycles}"
                );
            }
        }
        for (shadow, real) in &self.roots {
            let got: Vec<usize> = real.edges.borrow().iter().map(|e| e.tag.id).collect();
            let want: Vec<usize> = shadow.edges.borrow().iter().map(|s| s.id).collect();
            assert_eq!(got, want);
            let got = real.slot.borrow().as_ref().map(|e| e.tag.id);
            let want = shadow.slot.borrow().as_ref().map(|s| s.id);
            assert_eq!(got, want);
        }
        assert_eq!(
            self.heap.stats().live_objects,
            freed.iter().filter(|f| !**f).count()
        );
    }
}

fuzz_target!(|program: Program| {
    let barrier = [Barrier::Dijkstra, Barrier::Yuasa, Barrier::Hybrid, Barrier::None]
        [program.barrier as usize % 4];
    let mut world = World {
        heap: Heap::builder()
            .barrier(barrier)
            .verify_each_step(barrier != Barrier::None)
            .min_heap(8 << 10)
            .build(),
        freed: Rc::new(RefCell::new(Vec::new())),
        next_id: 0,
        roots: Vec::new(),
        unreachable_since: BTreeMap::new(),
        all: Vec::new(),
    };
    for op in program.ops.into_iter().take(2000) {
        let mut after_collect = false;
        match op {
            Op::Alloc { pad } => {
                let id = world.next_id;
                world.next_id += 1;
                world.freed.borrow_mut().push(false);
                let pad = [0, 8, 64, 500, 5000, 40_000][pad as usize % 6];
                let real = world.heap.alloc(Obj {
                    tag: Tag {
                        id,
                        freed: world.freed.clone(),
                    },
                    edges: GcCell::new(Vec::new()),
                    slot: GcCell::new(None),
                    pad: vec![0; pad],
                });
                let shadow = Rc::new(Shadow {
                    id,
                    edges: RefCell::new(Vec::new()),
                    slot: RefCell::new(None),
                });
                world.all.push(shadow.clone());
                world.roots.push((shadow, real));
            }
            Op::Store { from, to } => {
                if let (Some(from), Some(to)) = (world.root(from), world.root(to)) {
                    world.store(from, to);
                }
            }
            Op::Unlink { from, which } => {
                if let Some(from) = world.root(from) {
                    if let Some(k) = world.edge(from, which) {
                        world.unlink(from, k);
                    }
                }
            }
            Op::Read { from, which } => {
                if let Some(from) = world.root(from) {
                    if let Some(k) = world.edge(from, which) {
                        world.read(from, k);
                    }
                }
            }
            Op::Move { from, which, to } => {
                if let Some(from) = world.root(from) {
                    if let Some(k) = world.edge(from, which) {
                        let taken = world.read(from, k);
                        if let Some(to) = to.and_then(|to| world.root(to)) {
                            world.store(to, taken);
                            world.roots.pop();
                        }
                        world.unlink(from, k);
                    }
                }
            }
            Op::Point { from, to } => {
                if let Some(from) = world.root(from) {
                    let to = to.and_then(|to| world.root(to));
                    world.point(from, to);
                }
            }
            Op::ReadSlot { from } => {
                if let Some(from) = world.root(from) {
                    world.read_slot(from);
                }
            }
            Op::MoveSlot { from, to } => {
                // The lost-object moves through one-pointer stores.
                if let Some(from) = world.root(from) {
                    if let Some(taken) = world.read_slot(from) {
                        if let Some(to) = to.and_then(|to| world.root(to)) {
                            world.point(to, Some(taken));
                            world.roots.pop();
                        }
                        world.point(from, None);
                    }
                }
            }
            Op::DropRoot { root } => {
                if let Some(root) = world.root(root) {
                    world.roots.swap_remove(root);
                }
            }
            Op::Step { budget } => {
                world.heap.step(budget as usize);
            }
            Op::StartCycle => {
                world.heap.start_cycle();
            }
            Op::Collect => {
                world.heap.collect();
                after_collect = true;
            }
            Op::WeakRoundTrip { root } => {
                if let Some(root) = world.root(root) {
                    let weak = Gc::downgrade(&world.roots[root].1);
                    let back = weak.upgrade(&world.heap).expect("rooted objects are alive");
                    assert!(Gc::ptr_eq(&back, &world.roots[root].1));
                }
            }
        }
        world.check(after_collect);
    }
    world.roots.clear();
    world.heap.collect();
    world.check(true);
    assert_eq!(world.heap.stats().live_objects, 0);
    // Break the shadow's cycles so it does not leak.
    for shadow in &world.all {
        shadow.edges.borrow_mut().clear();
        shadow.slot.borrow_mut().take();
    }
});
