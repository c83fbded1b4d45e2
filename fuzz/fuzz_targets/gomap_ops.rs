//! Differential fuzzing of `gomap::GoMap` against `std::collections::HashMap`:
//! insert / remove / get / entry / insert_entry / retain / extract_if (also
//! dropped half-way) / get_disjoint_mut / shrink_to_fit / shrink_to /
//! try_reserve / clear / iterate, with `capacity() >= len()` after every
//! step (and `>= len + n` after `try_reserve(n)`), and cursor steps
//! interleaved with writes across growths (the cursor's guarantees are
//! checked against the model: entries present throughout are yielded exactly
//! once, removed ones never after removal, none twice). Half the runs use a
//! hasher that gives every key one of four hashes, so full 64-bit hash
//! collisions are the rule and the cursor's tie-break is exercised, also
//! by Go's `for k := range m { delete(m, k) }` (`CursorStepDelete`).
#![no_main]

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use arbitrary::Arbitrary;
use gomap::GoMap;
use libfuzzer_sys::fuzz_target;

/// Every key gets one of four hashes.
#[derive(Default)]
struct Collide(u64);
impl Hasher for Collide {
    fn finish(&self) -> u64 {
        (self.0 % 4).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.wrapping_mul(31).wrapping_add(*b as u64);
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    collide: bool,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    Entry(u16),
    Retain(u8),
    Clear,
    Iterate,
    /// Insert many keys at once (drives the map through growths).
    Bulk(u16, u8),
    /// Start a cursor (dropping any current one).
    CursorStart,
    /// Step the current cursor.
    CursorStep(u8),
    /// Step the current cursor, deleting each key it yields.
    CursorStepDelete(u8),
    /// `entry(k).insert_entry(v)`.
    InsertEntry(u16, u32),
    /// `extract_if(|k, _| k % (m + 2) == 0)`, taking at most `take` items
    /// (`take == 255`: all) before dropping the iterator.
    ExtractIf(u8, u8),
    /// `get_disjoint_mut([a, b, c])`, adding 1 to each value found; skipped
    /// when two present keys are equal (that panics, as in std).
    GetDisjoint(u16, u16, u16),
    ShrinkToFit,
    ShrinkTo(u16),
    TryReserve(u16),
}

struct CursorModel {
    cursor: gomap::Cursor,
    /// Keys present when the cursor started and not removed since.
    present_throughout: HashSet<u16>,
    /// Keys removed since the start (a removed key may not be yielded
    /// unless re-inserted).
    removed: HashSet<u16>,
    added: HashSet<u16>,
    yielded: HashSet<u16>,
}

fuzz_target!(|input: Input| {
    if input.collide {
        run(input.ops, BuildHasherDefault::<Collide>::default());
    } else {
        run(input.ops, gocore::hash::DefaultHashBuilder::new());
    }
});

fn run<S: BuildHasher>(ops: Vec<Op>, hasher: S) {
    let mut g: GoMap<u16, u32, S> = GoMap::with_hasher(hasher);
    let mut s: HashMap<u16, u32> = HashMap::new();
    let mut cur: Option<CursorModel> = None;
    for op in ops {
        match op {
            Op::Insert(k, v) => {
                let was = s.insert(k, v);
                assert_eq!(g.insert(k, v), was);
                if let Some(c) = cur.as_mut() {
                    if was.is_none() {
                        c.added.insert(k);
                    }
                }
            }
            Op::Remove(k) => {
                let was = s.remove(&k);
                assert_eq!(g.remove(&k), was);
                if let Some(c) = cur.as_mut() {
                    if was.is_some() {
                        c.present_throughout.remove(&k);
                        c.removed.insert(k);
                    }
                }
            }
            Op::Get(k) => assert_eq!(g.get(&k), s.get(&k)),
            Op::InsertEntry(k, v) => {
                let was = s.insert(k, v);
                let o = g.entry(k).insert_entry(v);
                assert_eq!((*o.key(), *o.get()), (k, v));
                if let Some(c) = cur.as_mut() {
                    if was.is_none() {
                        c.added.insert(k);
                    }
                }
            }
            Op::ExtractIf(m, take) => {
                let m = m as u16 % 7 + 2;
                let take = if take == 255 { usize::MAX } else { take as usize };
                let out: Vec<(u16, u32)> = g.extract_if(|k, _| k % m == 0).take(take).collect();
                let mut seen = HashSet::new();
                for (k, v) in out {
                    assert_eq!(k % m, 0, "extract_if yielded a key its predicate refused");
                    assert!(seen.insert(k), "extract_if yielded {k} twice");
                    assert_eq!(s.remove(&k), Some(v));
                    if let Some(c) = cur.as_mut() {
                        c.present_throughout.remove(&k);
                        c.removed.insert(k);
                    }
                }
                if take == usize::MAX {
                    assert!(s.keys().all(|k| k % m != 0), "extract_if missed an entry");
                }
            }
            Op::GetDisjoint(a, b, c) => {
                let keys = [a, b, c];
                let overlap = (0..3).any(|i| {
                    (0..i).any(|j| keys[i] == keys[j] && s.contains_key(&keys[i]))
                });
                if !overlap {
                    let got = g.get_disjoint_mut([&a, &b, &c]);
                    for (k, v) in keys.iter().zip(got) {
                        assert_eq!(v.as_deref(), s.get(k));
                        if let Some(v) = v {
                            *v = v.wrapping_add(1);
                        }
                    }
                    let mut done = HashSet::new();
                    for k in keys {
                        if done.insert(k) {
                            if let Some(v) = s.get_mut(&k) {
                                *v = v.wrapping_add(1);
                            }
                        }
                    }
                }
            }
            Op::ShrinkToFit => {
                g.shrink_to_fit();
                if g.is_empty() {
                    assert_eq!(g.capacity(), 0);
                }
            }
            Op::ShrinkTo(n) => {
                let before = g.capacity();
                g.shrink_to(n as usize);
                assert!(g.capacity() >= g.len().max((n as usize).min(before)));
            }
            Op::TryReserve(n) => {
                g.try_reserve(n as usize).expect("a small reserve failed");
                assert!(g.capacity() >= g.len() + n as usize);
            }
            Op::Entry(k) => {
                let was = s.contains_key(&k);
                // Wrapping: an earlier Insert may have stored u32::MAX.
                let e = g.entry(k).or_insert(0);
                *e = e.wrapping_add(1);
                let e = s.entry(k).or_insert(0);
                *e = e.wrapping_add(1);
                if let Some(c) = cur.as_mut() {
                    if !was {
                        c.added.insert(k);
                    }
                }
            }
            Op::Retain(m) => {
                let m = m as u16 % 7 + 2;
                let gone: Vec<u16> = s.keys().copied().filter(|k| k % m == 0).collect();
                g.retain(|k, _| k % m != 0);
                s.retain(|k, _| k % m != 0);
                if let Some(c) = cur.as_mut() {
                    for k in gone {
                        c.present_throughout.remove(&k);
                        c.removed.insert(k);
                    }
                }
            }
            Op::Clear => {
                g.clear();
                if let Some(c) = cur.as_mut() {
                    for k in s.keys() {
                        c.present_throughout.remove(k);
                        c.removed.insert(*k);
                    }
                }
                s.clear();
            }
            Op::Iterate => {
                let gi: HashMap<u16, u32> = g.iter().map(|(k, v)| (*k, *v)).collect();
                assert_eq!(gi, s);
                assert_eq!(g.iter().len(), s.len());
            }
            Op::Bulk(start, n) => {
                for k in start..start.saturating_add(n as u16 * 8) {
                    let was = s.insert(k, k as u32);
                    assert_eq!(g.insert(k, k as u32), was);
                    if let Some(c) = cur.as_mut() {
                        if was.is_none() {
                            c.added.insert(k);
                        }
                    }
                }
            }
            Op::CursorStart => {
                cur = Some(CursorModel {
                    cursor: g.cursor(),
                    present_throughout: s.keys().copied().collect(),
                    removed: HashSet::new(),
                    added: HashSet::new(),
                    yielded: HashSet::new(),
                });
            }
            Op::CursorStep(n) | Op::CursorStepDelete(n) => {
                let delete = matches!(op, Op::CursorStepDelete(_));
                let mut finished = false;
                if let Some(c) = cur.as_mut() {
                    for _ in 0..=n % 16 {
                        match c.cursor.next(&g) {
                            Some((&k, &v)) => {
                                assert_eq!(s.get(&k), Some(&v), "yielded a stale entry");
                                assert!(c.yielded.insert(k), "key {k} yielded twice");
                                assert!(
                                    !c.removed.contains(&k) || c.added.contains(&k),
                                    "yielded key {k} after its removal"
                                );
                                if delete {
                                    assert_eq!(g.remove(&k), s.remove(&k));
                                    c.present_throughout.remove(&k);
                                    c.removed.insert(k);
                                }
                            }
                            None => {
                                for k in &c.present_throughout {
                                    assert!(
                                        c.yielded.contains(k),
                                        "key {k} present throughout never yielded"
                                    );
                                }
                                finished = true;
                                break;
                            }
                        }
                    }
                }
                if finished {
                    cur = None;
                }
            }
        }
        assert_eq!(g.len(), s.len());
        assert!(g.capacity() >= g.len(), "capacity below len");
    }
}
