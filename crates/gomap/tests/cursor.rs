//! Property tests for the cursor: Go's `range` guarantees under inserts,
//! removes and growth between steps.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

use gocore::rand::FastRand;
use gomap::{CursorError, GoMap};

/// Drives a cursor while applying random writes; checks the guarantees.
fn check<S: BuildHasher>(
    mut m: GoMap<u64, u64, S>,
    seed: u64,
    writes_per_step: u32,
    key_space: u64,
) {
    let mut r = FastRand::new(seed);
    let initial: HashSet<u64> = m.keys().copied().collect();
    let mut removed: HashSet<u64> = HashSet::new(); // ever removed during the walk
    let mut added: HashSet<u64> = HashSet::new(); // ever added during the walk
    let mut yielded: HashMap<u64, u32> = HashMap::new();
    let mut c = m.cursor();
    let mut grows = 0;
    loop {
        let before = m.stats().b;
        let Some((&k, &v)) = c.next(&m) else { break };
        assert!(
            !removed.contains(&k) || added.contains(&k),
            "yielded a key removed before it was reached: {k}"
        );
        assert_eq!(m.get(&k), Some(&v), "yielded value is not the current one");
        *yielded.entry(k).or_default() += 1;
        for _ in 0..r.below(writes_per_step + 1) {
            let x = r.next_u64() % key_space;
            if r.below(3) == 0 {
                if m.remove(&x).is_some() {
                    removed.insert(x);
                }
            } else if m.insert(x, r.next_u64()).is_none() {
                added.insert(x);
            } else {
                // An overwrite: value updated in place.
            }
        }
        if m.stats().b != before {
            grows += 1;
        }
    }
    for (&k, &n) in &yielded {
        assert!(n == 1, "key {k} yielded {n} times");
    }
    for k in &initial {
        if !removed.contains(k) {
            assert_eq!(
                yielded.get(k),
                Some(&1),
                "key {k} present throughout was not yielded"
            );
        }
    }
    let _ = grows;
}

#[test]
fn cursor_with_inserts_across_several_growths() {
    let (n, seeds) = if cfg!(miri) { (40, 1) } else { (2000, 20) };
    for seed in 0..seeds {
        let m: GoMap<u64, u64> = (0..n).map(|i| (i, i)).collect();
        // Mostly inserts: the map doubles several times during the walk.
        check(m, seed, 6, u64::MAX);
    }
}

#[test]
fn cursor_with_mixed_writes() {
    let (n, seeds) = if cfg!(miri) { (40, 1) } else { (3000, 20) };
    for seed in 0..seeds {
        let m: GoMap<u64, u64> = (0..n).map(|i| (i * 7, i)).collect();
        check(m, seed + 100, 4, n * 10);
    }
}

#[test]
fn cursor_started_mid_growth() {
    let rounds = if cfg!(miri) { 1 } else { 30 };
    for seed in 0..rounds {
        let mut m: GoMap<u64, u64> = GoMap::new();
        for k in 0..(105 + seed) {
            m.insert(k, k);
        }
        assert!(m.stats().growing || seed > 2);
        check(m, seed, 3, 400);
    }
}

#[test]
fn cursor_yields_everything_once_without_writes() {
    let n = if cfg!(miri) { 50 } else { 5000 };
    let m: GoMap<u64, u64> = (0..n).map(|i| (i, i)).collect();
    let mut c = m.cursor();
    let mut seen = HashSet::new();
    while let Some((k, _)) = c.next(&m) {
        assert!(seen.insert(*k));
    }
    assert_eq!(seen.len() as u64, n);
    assert!(c.is_finished());
    assert_eq!(c.next(&m), None);
}

#[test]
fn two_cursors_start_in_different_places() {
    let m: GoMap<u64, u64> = (0..64).map(|i| (i, i)).collect();
    let firsts: HashSet<u64> = (0..40).map(|_| *m.cursor().next(&m).unwrap().0).collect();
    assert!(firsts.len() > 5, "cursor start is not random: {firsts:?}");
}

#[test]
fn removing_everything_through_the_cursor() {
    let n = if cfg!(miri) { 30 } else { 3000 };
    let mut m: GoMap<u64, u64> = (0..n).map(|i| (i, i)).collect();
    let mut c = m.cursor();
    let mut count = 0;
    while let Some((&k, _)) = c.next(&m) {
        m.remove(&k);
        count += 1;
    }
    assert_eq!(count, n);
    assert!(m.is_empty());
}

#[test]
fn cursor_on_another_map_is_an_error() {
    let a: GoMap<u64, u64> = (0..10).map(|i| (i, i)).collect();
    let b = a.clone();
    let mut c = a.cursor();
    assert_eq!(c.try_next(&b), Err(CursorError::WrongMap));
    // The cursor is unchanged and still works on its own map.
    assert!(c.try_next(&a).unwrap().is_some());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut c = a.cursor();
        c.next(&b);
    }));
    assert!(r.is_err());
}

/// A hasher that maps every key to one of 4 hashes: heavy full-hash ties.
#[derive(Clone, Default)]
struct Collide;
struct CollideH(u64);
impl Hasher for CollideH {
    fn finish(&self) -> u64 {
        (self.0 % 4).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.wrapping_mul(31).wrapping_add(*b as u64);
        }
    }
}
impl BuildHasher for Collide {
    type Hasher = CollideH;
    fn build_hasher(&self) -> CollideH {
        CollideH(0)
    }
}

#[test]
fn cursor_with_full_hash_collisions_and_value_updates() {
    // Ties are yielded in chain order; with only overwrites (no inserts or
    // removes of tied keys) the guarantees hold exactly.
    let n = if cfg!(miri) { 20 } else { 200 };
    let mut m: GoMap<u64, u64, Collide> = GoMap::with_hasher(Collide);
    for i in 0..n {
        m.insert(i, i);
    }
    let mut c = m.cursor();
    let mut seen = HashSet::new();
    while let Some((&k, &v)) = c.next(&m) {
        assert!(seen.insert(k));
        assert_eq!(m.get(&k), Some(&v));
        let next = (k + 1) % n;
        let nv = m[&next] + 1000;
        m.insert(next, nv); // an overwrite: a write that runs growWork
    }
    assert_eq!(seen.len() as u64, n);
}
