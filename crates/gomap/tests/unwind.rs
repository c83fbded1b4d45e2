//! Hostile user code: full-hash collisions under a cursor, and panicking
//! `Hash`/`Eq`/`Clone`/`Drop` in the middle of map operations. Each test
//! counts live instances to prove no leak and no double drop.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use gomap::{Entry, GoMap};

// ---- helpers -------------------------------------------------------------------

/// A `BuildHasher` whose every hash is the same constant: all keys share one
/// bucket chain and one full 64-bit hash.
mod common;
use common::{live, Constant, D, PANIC_CLONE_AT, PANIC_HASH_AT};

fn panics<R>(f: impl FnOnce() -> R) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

// ---- cursor under full-hash collisions --------------------------------------------

fn collide_sizes() -> &'static [u64] {
    if cfg!(miri) {
        &[9, 20]
    } else {
        &[9, 17, 40, 105, 300]
    }
}

/// `for k := range m { delete(m, k) }` visits every key exactly once.
#[test]
fn cursor_deleting_each_key_visits_all_under_constant_hash() {
    for &n in collide_sizes() {
        for round in 0..(if cfg!(miri) { 2 } else { 8 }) {
            let mut m: GoMap<u64, u64, Constant> = GoMap::with_hasher(Constant);
            for i in 0..n {
                m.insert(i, i * 10);
            }
            let mut c = m.cursor();
            let mut seen = HashSet::new();
            while let Some((&k, &v)) = c.next(&m) {
                assert_eq!(v, k * 10);
                assert!(seen.insert(k), "n={n} round={round}: {k} visited twice");
                assert_eq!(m.remove(&k), Some(v));
            }
            assert_eq!(seen.len() as u64, n, "n={n} round={round}: keys skipped");
            assert!(m.is_empty());
        }
    }
}

/// The same, with the map in the middle of a grow when the loop starts (so
/// the deletes evacuate the colliding chain between two steps).
#[test]
fn cursor_deleting_each_key_visits_all_during_growth() {
    let mut grew = 0;
    for &n in collide_sizes() {
        // Fill until an insert starts a grow, then iterate and delete.
        let mut m: GoMap<u64, u64, Constant> = GoMap::with_hasher(Constant);
        let mut i = 0;
        while i < n || !m.stats().growing {
            m.insert(i, i);
            i += 1;
            if i > 10 * n {
                break;
            }
        }
        grew += m.stats().growing as u32;
        let total = m.len() as u64;
        let mut c = m.cursor();
        let mut seen = HashSet::new();
        while let Some((&k, _)) = c.next(&m) {
            assert!(seen.insert(k), "n={n}: {k} visited twice");
            assert!(m.remove(&k).is_some());
        }
        assert_eq!(seen.len() as u64, total, "n={n}: keys skipped");
        assert!(m.is_empty());
    }
    assert!(grew > 0, "no map was growing when its loop started");
}

/// Deleting some *other* key (already visited or not) between steps.
#[test]
fn cursor_deleting_other_keys_under_constant_hash() {
    for &n in collide_sizes() {
        let mut m: GoMap<u64, u64, Constant> = GoMap::with_hasher(Constant);
        for i in 0..n {
            m.insert(i, i);
        }
        let mut c = m.cursor();
        let mut seen = HashSet::new();
        let mut removed = HashSet::new();
        let mut step = 0u64;
        while let Some((&k, _)) = c.next(&m) {
            assert!(!removed.contains(&k), "{k} yielded after its delete");
            assert!(seen.insert(k), "{k} visited twice");
            // Alternately delete a visited and a not-yet-visited key.
            let victim = (k * 7 + step) % n;
            if m.remove(&victim).is_some() {
                removed.insert(victim);
            }
            step += 1;
        }
        for k in 0..n {
            assert!(
                seen.contains(&k) || removed.contains(&k),
                "{k} present throughout but never visited"
            );
        }
    }
}

/// Go: entries added during the loop may or may not be visited; none is
/// visited twice, and every original entry is visited once.
#[test]
fn cursor_inserting_while_iterating_under_constant_hash() {
    for &n in collide_sizes() {
        for with_deletes in [false, true] {
            let mut m: GoMap<u64, u64, Constant> = GoMap::with_hasher(Constant);
            for i in 0..n {
                m.insert(i, i);
            }
            let mut c = m.cursor();
            let mut seen: HashMap<u64, u32> = HashMap::new();
            let mut next_new = 1_000_000;
            while let Some((&k, _)) = c.next(&m) {
                *seen.entry(k).or_default() += 1;
                if next_new < 1_000_000 + 3 * n {
                    // Two inserts per step: the map grows during the walk.
                    m.insert(next_new, 0);
                    m.insert(next_new + 1, 0);
                    next_new += 2;
                }
                if with_deletes {
                    m.remove(&k);
                }
            }
            for (k, count) in &seen {
                assert_eq!(*count, 1, "n={n}: {k} visited {count} times");
            }
            for k in 0..n {
                assert!(seen.contains_key(&k), "n={n}: original key {k} skipped");
            }
        }
    }
}

/// A key whose `Hash` writes nothing: every hasher gives all of them the
/// same hash, and the cursor's tie-break cannot separate them either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Twin(u64);
impl Hash for Twin {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// Twins in a map that is not growing: told apart by their chain slot,
/// which removes and inserts never change.
#[test]
fn cursor_over_indistinguishable_keys_deleting_each() {
    let n = if cfg!(miri) { 20 } else { 40 };
    // 8 buckets: a chain of 40 uses 5 buckets (4 overflow < 8, no grow).
    let mut m: GoMap<Twin, u64> = GoMap::with_capacity(n as usize);
    for i in 0..n {
        m.insert(Twin(i), i);
    }
    assert!(!m.stats().growing);
    let mut c = m.cursor();
    let mut seen = HashSet::new();
    while let Some((&k, _)) = c.next(&m) {
        assert!(seen.insert(k.0), "{k:?} visited twice");
        assert!(m.remove(&k).is_some());
    }
    assert_eq!(seen.len() as u64, n, "keys skipped");
    assert!(m.is_empty());
}

#[test]
fn cursor_over_indistinguishable_keys_with_inserts_and_deletes() {
    let n = if cfg!(miri) { 20 } else { 40 };
    let mut m: GoMap<Twin, u64> = GoMap::with_capacity(4 * n as usize);
    for i in 0..n {
        m.insert(Twin(i), i);
    }
    let moves_free = !m.stats().growing;
    let mut c = m.cursor();
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let mut next = 1000;
    while let Some((&k, _)) = c.next(&m) {
        *seen.entry(k.0).or_default() += 1;
        if k.0 % 4 != 1 {
            m.remove(&k); // a hole an insert may fill
        }
        if next < 1000 + n {
            m.insert(Twin(next), 0);
            next += 1;
        }
    }
    assert!(
        moves_free && !m.stats().growing,
        "the map grew: test needs a bigger hint"
    );
    for (k, count) in &seen {
        assert_eq!(*count, 1, "{k} visited {count} times");
    }
    for k in 0..n {
        assert!(seen.contains_key(&k), "original key {k} skipped");
    }
}

/// The documented exception: twins, a delete of the current key, and a
/// grow that moves the chain between two steps. Today's behaviour: no key
/// is yielded twice and none that was removed, but some may be skipped.
#[test]
fn cursor_over_indistinguishable_keys_during_growth_never_repeats() {
    let mut m: GoMap<Twin, u64> = GoMap::new();
    let mut i = 0;
    while i < 20 || !m.stats().growing {
        m.insert(Twin(i), i);
        i += 1;
    }
    let mut c = m.cursor();
    let mut seen = HashSet::new();
    while let Some((&k, _)) = c.next(&m) {
        assert!(seen.insert(k.0), "{k:?} visited twice");
        assert!(m.remove(&k).is_some(), "{k:?} yielded but not present");
    }
    // FIXME: keys may be skipped here (see `Cursor`'s limitation): the
    // evacuation compacts the chain and the cursor falls back to counting.
    assert!(!seen.is_empty());
}

// ---- panicking Drop of a key or value the map hands back or drops ------------------

#[test]
fn insert_overwrite_with_panicking_duplicate_key_drop_leaks_nothing() {
    let base = live();
    {
        let mut m = GoMap::new();
        m.insert(D::new(1), D::new(10));
        // The duplicate key is dropped by `insert`; its Drop panics. The old
        // value must not leak, and the new value must be stored.
        assert!(panics(|| m.insert(D::bomb(1), D::new(11))));
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&D::new(1)).map(|v| v.id), Some(11));
        assert_eq!(live() - base, 2, "old value leaked");
    }
    assert_eq!(live(), base);
}

#[test]
fn remove_with_panicking_stored_key_drop_leaks_nothing() {
    let base = live();
    {
        let mut m = GoMap::new();
        m.insert(D::bomb(1), D::new(10));
        m.insert(D::new(2), D::new(20));
        assert!(panics(|| m.remove(&D::new(1))));
        assert_eq!(m.len(), 1);
        assert!(m.get(&D::new(1)).is_none());
        assert_eq!(live() - base, 2, "removed value leaked");
    }
    assert_eq!(live(), base);
}

#[test]
fn entry_remove_with_panicking_key_drops_leak_nothing() {
    let base = live();
    {
        let mut m = GoMap::new();
        m.insert(D::bomb(1), D::new(10));
        m.insert(D::new(2), D::new(20));
        // OccupiedEntry::remove drops the stored key: it panics.
        assert!(panics(|| match m.entry(D::new(1)) {
            Entry::Occupied(o) => o.remove(),
            Entry::Vacant(_) => unreachable!(),
        }));
        assert_eq!(m.len(), 1);
        assert_eq!(live() - base, 2, "removed value leaked");
        // OccupiedEntry::remove_entry returns the stored key and drops the
        // key passed to `entry`: that one panics.
        assert!(panics(|| match m.entry(D::bomb(2)) {
            Entry::Occupied(o) => o.remove_entry(),
            Entry::Vacant(_) => unreachable!(),
        }));
        assert!(m.is_empty());
        // The panicking key was dropped during the unwind
        assert_eq!(live() - base, 0, "removed entry leaked");
        // OccupiedEntry::insert with a panicking lookup key: the old value
        // is returned (or dropped) and the new one stored.
        m.insert(D::new(3), D::new(30));
        assert!(panics(|| match m.entry(D::bomb(3)) {
            Entry::Occupied(mut o) => drop(o.insert(D::new(31))),
            Entry::Vacant(_) => unreachable!(),
        }));
        assert_eq!(m.get(&D::new(3)).map(|v| v.id), Some(31));
        assert_eq!(live() - base, 2);
    }
    assert_eq!(live(), base);
}

#[test]
fn panicking_value_drop_in_remove_and_retain() {
    let base = live();
    {
        let mut m = GoMap::new();
        for i in 0..20 {
            m.insert(D::new(i), if i == 5 { D::bomb(i) } else { D::new(i) });
        }
        assert!(panics(|| drop(m.remove(&D::new(5)))));
        assert_eq!(m.len(), 19);
        assert_eq!(live() - base, 38);
        for i in 0..20 {
            if i != 5 {
                assert_eq!(m.get(&D::new(i)).map(|v| v.id), Some(i));
            }
        }
    }
    assert_eq!(live(), base);
}

// ---- panicking Hash during growth and reserve -------------------------------------

#[test]
fn panicking_hash_in_every_growth_path_loses_nothing() {
    growth_paths_lose_nothing(|m, k| {
        m.insert(D::new(k), D::new(k));
    });
}

/// `entry` starts the grow an insert of its absent key would start, before
/// it returns the `VacantEntry`: a panicking hash there loses nothing either.
#[test]
fn panicking_hash_in_a_grow_started_by_entry_loses_nothing() {
    growth_paths_lose_nothing(|m, k| {
        m.entry(D::new(k)).or_insert(D::new(k));
    });
}

/// Inserts keys with `insert`, making the k-th hash call of each panic,
/// then reserves and removes with panicking hashes; every key the map
/// reports is found, and nothing leaks.
fn growth_paths_lose_nothing(insert: fn(&mut GoMap<D, D>, u64)) {
    let base = live();
    {
        // Start several grows; at each one, make the k-th hash call panic.
        let mut m: GoMap<D, D> = GoMap::new();
        let mut inserted = HashSet::new();
        let rounds = if cfg!(miri) { 30 } else { 400 };
        for round in 0..rounds {
            PANIC_HASH_AT.with(|p| p.set(round % 5));
            let k = round as u64;
            let ok = !panics(|| insert(&mut m, k));
            PANIC_HASH_AT.with(|p| p.set(usize::MAX));
            if ok {
                inserted.insert(k);
            } else if m.get(&D::new(k)).is_some() {
                // The key's own hash ran first and succeeded; the panic hit a
                // later step (an evacuation): the insert may or may not have
                // happened. Record what the map says.
                inserted.insert(k);
            }
            assert_eq!(m.len(), inserted.len(), "round {round}");
        }
        for &k in &inserted {
            assert_eq!(m.get(&D::new(k)).map(|v| v.id), Some(k), "lost {k}");
        }
        // reserve re-hashes everything: a panic there leaves the map as it was.
        PANIC_HASH_AT.with(|p| p.set(3));
        assert!(panics(|| m.reserve(10_000)));
        PANIC_HASH_AT.with(|p| p.set(usize::MAX));
        assert_eq!(m.len(), inserted.len());
        for &k in &inserted {
            assert_eq!(m.get(&D::new(k)).map(|v| v.id), Some(k), "lost {k}");
        }
        // Removes while growing run growWork too.
        PANIC_HASH_AT.with(|p| p.set(1));
        let _ = panics(|| m.remove(&D::new(0)));
        PANIC_HASH_AT.with(|p| p.set(usize::MAX));
        assert_eq!(m.iter().count(), m.len());
        assert_eq!(live() - base, 2 * m.len() as isize);
    }
    assert_eq!(live(), base);
}

#[test]
fn panicking_clone_of_growing_map_frees_the_partial_copy() {
    let base = live();
    {
        let mut m = GoMap::new();
        for i in 0..105 {
            m.insert(D::new(i), D::new(i));
        }
        assert!(m.stats().growing);
        for at in [0usize, 3, 50, 150, 209] {
            PANIC_CLONE_AT.with(|p| p.set(at));
            assert!(panics(|| m.clone()));
            PANIC_CLONE_AT.with(|p| p.set(usize::MAX));
            assert_eq!(live() - base, 210);
        }
    }
    assert_eq!(live(), base);
}

#[test]
fn extend_with_a_panicking_item_keeps_what_was_inserted() {
    let base = live();
    {
        let mut m = GoMap::new();
        let items = (0..30u64).map(|i| {
            if i == 20 {
                panic!("iterator panicked");
            }
            (D::new(i), D::new(i))
        });
        assert!(panics(|| m.extend(items)));
        assert_eq!(m.len(), 20);
        assert_eq!(live() - base, 40);
        // A duplicate key with a panicking drop in the middle of extend.
        let items = vec![(D::new(100), D::new(100)), (D::bomb(3), D::new(33))];
        assert!(panics(|| m.extend(items)));
        assert_eq!(m.get(&D::new(3)).map(|v| v.id), Some(33));
        assert_eq!(m.len(), 21);
        assert_eq!(live() - base, 42);
    }
    assert_eq!(live(), base);
}
