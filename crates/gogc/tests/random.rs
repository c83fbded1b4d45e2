//! Randomised mutator programs against a shadow model, with the invariant
//! checker after every step (`verify_each_step`), under every barrier.
//! Pointers change through both stores: `GcCell::set` of a whole `Vec` of
//! edges, and `GcCell::store` of one pointer into an object's slot.
//!
//! The model is the object graph as indices. After every operation it
//! checks that no object reachable from the roots was dropped, that no
//! object was dropped twice, that the heap's edges match the model's, and
//! that nothing unreachable survives two cycles: an object unreachable
//! while `c` cycles had finished is freed once cycle `c + 3` is marking
//! (cycle `c + 1` may keep it as floating garbage, cycle `c + 2` frees it,
//! and a cycle starts only after the previous sweep is finished), and
//! `collect()` frees everything unreachable before it.

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use gocore::rand::FastRand;
use gogc::{Barrier, Gc, GcCell, Heap, Phase, Trace, Tracer};

/// Records its drop in the shared log (and catches double drops).
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

#[derive(gogc_derive::Trace)]
struct Obj {
    tag: Tag,
    edges: GcCell<Vec<Gc<Obj>>>,
    /// One more edge, changed only by the one-pointer `store`.
    slot: GcCell<Option<Gc<Obj>>>,
    /// Varies the size (and so the size class) of objects.
    pad: Vec<u8>,
}

/// Small, so that short programs (under Miri) still run several cycles.
const MIN_HEAP: usize = if cfg!(miri) { 1 << 10 } else { 16 << 10 };

struct Model {
    heap: Heap,
    freed: Rc<RefCell<Vec<bool>>>,
    edges: Vec<Vec<usize>>,
    /// Each object's slot.
    slots: Vec<Option<usize>>,
    /// Rooted handles, with the id they point to.
    roots: Vec<(usize, Gc<Obj>)>,
    /// Id -> `stats.cycles` when it was first seen unreachable.
    unreachable_since: BTreeMap<usize, u64>,
}

impl Model {
    fn new(barrier: Barrier) -> Model {
        Model {
            heap: Heap::builder()
                .barrier(barrier)
                .verify_each_step(true)
                .min_heap(MIN_HEAP)
                .build(),
            freed: Rc::new(RefCell::new(Vec::new())),
            edges: Vec::new(),
            slots: Vec::new(),
            roots: Vec::new(),
            unreachable_since: BTreeMap::new(),
        }
    }

    fn reachable(&self) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = self.roots.iter().map(|(id, _)| *id).collect();
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                stack.extend(self.edges[id].iter().copied());
                stack.extend(self.slots[id]);
            }
        }
        seen
    }

    fn alloc(&mut self, pad: usize) {
        let id = self.edges.len();
        self.edges.push(Vec::new());
        self.slots.push(None);
        self.freed.borrow_mut().push(false);
        let obj = self.heap.alloc(Obj {
            tag: Tag {
                id,
                freed: self.freed.clone(),
            },
            edges: GcCell::new(Vec::new()),
            slot: GcCell::new(None),
            pad: vec![0; pad],
        });
        self.roots.push((id, obj));
    }

    fn link(&mut self, from: usize, to: usize) {
        let target = self.roots[to].1.clone();
        let (id, obj) = &self.roots[from];
        let mut edges = obj.edges.take();
        edges.push(target);
        obj.edges.set(edges);
        self.edges[*id].push(self.roots[to].0);
    }

    /// Points root `from`'s slot at root `to`'s object, or at nothing.
    fn point(&mut self, from: usize, to: Option<usize>) {
        let target = to.map(|to| &self.roots[to].1);
        let (id, obj) = &self.roots[from];
        obj.slot.store(target);
        self.slots[*id] = to.map(|to| self.roots[to].0);
    }

    /// Roots the object in root `from`'s slot, if any.
    fn read_slot(&mut self, from: usize) {
        let (id, obj) = &self.roots[from];
        let Some(child_id) = self.slots[*id] else {
            return;
        };
        let child = obj.slot.get().expect("the model says the slot is set");
        assert_eq!(child.tag.id, child_id);
        self.roots.push((child_id, child));
    }

    /// Moves the object in root `from`'s slot into root `to`'s slot (or
    /// into a new root), then clears `from`'s slot: the lost-object moves
    /// again, through one-pointer stores.
    fn move_slot(&mut self, from: usize, to: Option<usize>) {
        if self.slots[self.roots[from].0].is_none() {
            return;
        }
        self.read_slot(from);
        let taken = self.roots.len() - 1;
        if let Some(to) = to {
            self.point(to, Some(taken));
            self.roots.pop();
        }
        self.point(from, None);
    }

    fn unlink(&mut self, from: usize, which: usize) {
        let (id, obj) = &self.roots[from];
        if self.edges[*id].is_empty() {
            return;
        }
        let k = which % self.edges[*id].len();
        let mut edges = obj.edges.take();
        edges.remove(k);
        obj.edges.set(edges);
        self.edges[*id].remove(k);
    }

    fn read_edge(&mut self, from: usize, which: usize) {
        let (id, obj) = &self.roots[from];
        if self.edges[*id].is_empty() {
            return;
        }
        let k = which % self.edges[*id].len();
        let child = obj.edges.borrow()[k].clone();
        let child_id = self.edges[*id][k];
        assert_eq!(child.tag.id, child_id);
        self.roots.push((child_id, child));
    }

    /// Moves edge `which` of root `from` into root `to` (or into a new
    /// root when `to` is `None`): the two lost-object moves of gc.md (c.8).
    fn move_edge(&mut self, from: usize, which: usize, to: Option<usize>) {
        let id = self.roots[from].0;
        if self.edges[id].is_empty() {
            return;
        }
        let k = which % self.edges[id].len();
        self.read_edge(from, k);
        let taken = self.roots.len() - 1;
        if let Some(to) = to {
            self.link(to, taken);
            self.roots.pop();
        }
        self.unlink(from, k);
    }

    fn check(&mut self, after_collect: bool) {
        let reachable = self.reachable();
        let freed = self.freed.borrow().clone();
        let cycles = self.heap.stats().cycles;
        let marking = self.heap.phase() == Phase::Mark;
        for (id, &was_freed) in freed.iter().enumerate() {
            if reachable.contains(&id) {
                assert!(!was_freed, "reachable object {id} was freed");
                self.unreachable_since.remove(&id);
            } else if !was_freed {
                let since = *self.unreachable_since.entry(id).or_insert(cycles);
                assert!(
                    !after_collect,
                    "object {id} unreachable before collect() survived it"
                );
                assert!(
                    !(marking && cycles >= since + 2),
                    "object {id} unreachable since cycle {since} survived to {cycles}"
                );
            }
        }
        // The heap's graph is the model's.
        for (id, obj) in &self.roots {
            let labels: Vec<usize> = obj.edges.borrow().iter().map(|e| e.tag.id).collect();
            assert_eq!(labels, self.edges[*id]);
            let slot = obj.slot.borrow().as_ref().map(|e| e.tag.id);
            assert_eq!(slot, self.slots[*id]);
        }
        let stats = self.heap.stats();
        assert_eq!(
            stats.live_objects,
            freed.iter().filter(|f| !**f).count(),
            "live objects = allocated - dropped"
        );
    }

    fn run(&mut self, rng: &mut FastRand, ops: usize) {
        for _ in 0..ops {
            let nroots = self.roots.len() as u32;
            match rng.below(100) {
                0..=24 => {
                    let pad = [0, 8, 40, 200, 3000, 40_000][rng.below(6) as usize];
                    self.alloc(pad);
                }
                25..=34 if nroots > 0 => {
                    let (a, b) = (rng.below(nroots), rng.below(nroots));
                    self.link(a as usize, b as usize);
                }
                35..=44 if nroots > 0 => {
                    let to = (rng.below(4) != 0).then(|| rng.below(nroots) as usize);
                    self.point(rng.below(nroots) as usize, to);
                }
                45..=50 if nroots > 0 => {
                    self.unlink(rng.below(nroots) as usize, rng.below(8) as usize);
                }
                51..=54 if nroots > 0 => {
                    if rng.below(2) == 0 {
                        self.read_edge(rng.below(nroots) as usize, rng.below(8) as usize);
                    } else {
                        self.read_slot(rng.below(nroots) as usize);
                    }
                }
                55..=59 if nroots > 0 => {
                    let to = (rng.below(2) == 0).then(|| rng.below(nroots) as usize);
                    self.move_slot(rng.below(nroots) as usize, to);
                }
                60..=64 if nroots > 0 => {
                    let to = (rng.below(2) == 0).then(|| rng.below(nroots) as usize);
                    self.move_edge(rng.below(nroots) as usize, rng.below(8) as usize, to);
                }
                65..=79 if nroots > 0 => {
                    self.roots.swap_remove(rng.below(nroots) as usize);
                }
                80..=94 => {
                    self.heap.step(1 + rng.below(256) as usize);
                }
                95..=97 => {
                    self.heap.start_cycle();
                }
                98 => {
                    self.heap.collect();
                    self.check(true);
                }
                _ => {
                    // Weak round trip of a random root.
                    if nroots > 0 {
                        let (id, obj) = &self.roots[rng.below(nroots) as usize];
                        let weak = Gc::downgrade(obj);
                        let back = weak.upgrade(&self.heap).expect("rooted");
                        assert_eq!(back.tag.id, *id);
                    }
                }
            }
            self.check(false);
        }
        // The program did exercise incremental marking and the barrier.
        let stats = self.heap.stats();
        assert!(stats.cycles > 0 && stats.mark_work > 0, "{stats:?}");
        self.roots.clear();
        self.heap.collect();
        self.check(true);
        assert_eq!(self.heap.stats().live_objects, 0);
    }
}

#[test]
fn random_mutator_programs_keep_the_invariants() {
    let (seeds, ops) = if cfg!(miri) { (1, 60) } else { (12, 1500) };
    for barrier in [Barrier::Dijkstra, Barrier::Yuasa, Barrier::Hybrid] {
        for seed in 0..seeds {
            let mut rng = FastRand::new(seed * 7919 + 1);
            Model::new(barrier).run(&mut rng, ops);
        }
    }
}

#[test]
fn random_programs_without_a_barrier_stay_safe_through_the_re_mark() {
    // The checker may report violations (so it is not run after each step
    // here), but the re-mark keeps every reachable object alive: `run`
    // checks that no reachable object is ever dropped.
    let (seeds, ops) = if cfg!(miri) { (1, 60) } else { (12, 1500) };
    for seed in 0..seeds {
        let mut rng = FastRand::new(seed * 104_729 + 3);
        let mut model = Model::new(Barrier::None);
        model.heap = Heap::builder()
            .barrier(Barrier::None)
            .min_heap(MIN_HEAP)
            .build();
        model.run(&mut rng, ops);
    }
}
