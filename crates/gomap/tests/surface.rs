//! The rest of std's `HashMap` surface: `extract_if`, `shrink_to_fit` /
//! `shrink_to`, `get_disjoint_mut`, `insert_entry`, the `const`
//! `with_hasher`, `Default` iterators, std's `capacity` rule and
//! `try_reserve`'s two errors — plus `Stats::evacuated` after a grow. Every
//! test with owned values counts live instances (no leak, no double drop);
//! panicking predicates, `Hash` and `Drop` leave a consistent map.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use gomap::{Entry, GoMap, TryReserveError};

mod common;
use common::{live, Constant, D, PANIC_HASH_AT};

/// The hash of a `u64` key is the key itself: tests choose buckets.
#[derive(Clone, Copy, Default)]
struct Identity;
struct IdentityHasher(u64);
impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
impl BuildHasher for Identity {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

fn panics<R>(f: impl FnOnce() -> R) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

fn sizes() -> &'static [u64] {
    if cfg!(miri) {
        &[0, 9, 40]
    } else {
        &[0, 1, 8, 9, 40, 105, 300, 1000]
    }
}

/// Every key in `0..n` whose membership `keep` says is present, and no other.
fn assert_holds<S: BuildHasher>(m: &GoMap<D, D, S>, n: u64, keep: impl Fn(u64) -> bool) {
    let mut count = 0;
    for k in 0..n {
        let probe = D::new(k);
        let got = m.get(&probe).map(|v| v.id);
        drop(probe);
        if keep(k) {
            assert_eq!(got, Some(k * 10), "key {k} lost");
            count += 1;
        } else {
            assert_eq!(got, None, "key {k} should be gone");
        }
    }
    assert_eq!(m.len(), count);
    assert_eq!(m.iter().count(), count);
}

fn filled<S: BuildHasher>(n: u64, hasher: S) -> GoMap<D, D, S> {
    let mut m = GoMap::with_hasher(hasher);
    for k in 0..n {
        m.insert(D::new(k), D::new(k * 10));
    }
    m
}

// ---- extract_if ------------------------------------------------------------------

#[test]
fn extract_if_yields_exactly_the_matching_entries() {
    for &n in sizes() {
        let mut m = filled(n, gocore::hash::DefaultHashBuilder::new());
        let mut seen = HashSet::new();
        for (k, v) in m.extract_if(|k, _| k.id % 3 == 0) {
            assert_eq!(v.id, k.id * 10);
            assert!(seen.insert(k.id), "{} yielded twice", k.id);
        }
        assert_eq!(seen, (0..n).filter(|k| k % 3 == 0).collect());
        assert_holds(&m, n, |k| k % 3 != 0);
        assert_eq!(live(), 2 * m.len() as isize);
        drop(m);
        assert_eq!(live(), 0);
    }
}

#[test]
fn extract_if_can_change_the_values_it_keeps() {
    let mut m: GoMap<u32, u32> = (0..50).map(|k| (k, k)).collect();
    let out: Vec<_> = m
        .extract_if(|_, v| {
            *v += 1000;
            *v % 2 == 0
        })
        .collect();
    assert_eq!(out.len(), 25);
    assert!(out.iter().all(|&(k, v)| v == k + 1000));
    assert!(m.iter().all(|(&k, &v)| v == k + 1000 && k % 2 == 1));
}

#[test]
fn extract_if_dropped_early_keeps_what_it_did_not_visit() {
    let n = if cfg!(miri) { 30 } else { 200 };
    let mut m = filled(n, gocore::hash::DefaultHashBuilder::new());
    let mut it = m.extract_if(|_, _| true);
    assert_eq!(it.size_hint(), (0, Some(n as usize)));
    let first: Vec<(D, D)> = it.by_ref().take(5).collect();
    assert_eq!(it.size_hint(), (0, Some(n as usize - 5)));
    drop(it);
    assert_eq!(m.len(), n as usize - 5);
    let gone: HashSet<u64> = first.iter().map(|(k, _)| k.id).collect();
    assert_holds(&m, n, |k| !gone.contains(&k));
    drop(first);
    // Never advanced: nothing removed.
    drop(m.extract_if(|_, _| true));
    assert_eq!(m.len(), n as usize - 5);
    drop(m);
    assert_eq!(live(), 0);
}

#[test]
fn extract_if_in_the_middle_of_a_grow() {
    // 105 inserts start a doubling 16 -> 32 buckets that later writes finish.
    let mut m = filled(105, gocore::hash::DefaultHashBuilder::new());
    assert!(m.stats().growing);
    let evacuated = m.stats().evacuated;
    let out: Vec<_> = m.extract_if(|k, _| k.id % 2 == 0).collect();
    assert_eq!(out.len(), 53);
    drop(out);
    // No growWork ran: extract_if is one bulk operation, as retain.
    assert!(m.stats().growing);
    assert_eq!(m.stats().evacuated, evacuated);
    assert_holds(&m, 105, |k| k % 2 == 1);
    // The grow finishes over later writes with nothing lost.
    for k in 200..260 {
        m.insert(D::new(k), D::new(k * 10));
    }
    assert!(!m.stats().growing);
    assert_holds(&m, 260, |k| (k < 105 && k % 2 == 1) || k >= 200);
    drop(m);
    assert_eq!(live(), 0);
}

#[test]
fn extract_if_restores_empty_rest_along_whole_chains() {
    // One chain of 5 buckets; removing everything in Go's random order must
    // leave every slot emptyRest (0), as Go's delete loop does.
    let n = 40;
    for _ in 0..(if cfg!(miri) { 2 } else { 20 }) {
        let mut m: GoMap<u64, u64, Constant> = GoMap::with_hasher(Constant);
        for k in 0..n {
            m.insert(k, k);
        }
        let chain_len = m.tophash_dump().buckets.iter().map(Vec::len).max().unwrap();
        assert!(chain_len >= 5);
        assert_eq!(m.extract_if(|_, _| true).count(), n as usize);
        assert!(m.is_empty());
        let d = m.tophash_dump();
        for chain in &d.buckets {
            for row in chain {
                assert_eq!(*row, [0u8; 8], "emptyRest not restored: {d:?}");
            }
        }
    }
}

#[test]
fn extract_if_predicate_panic_keeps_the_map_consistent() {
    let n = if cfg!(miri) { 30 } else { 300 };
    for panic_at in [0, 1, 7, n / 2] {
        let mut m = filled(n, Constant);
        let mut removed = HashSet::new();
        let mut calls = 0;
        let p = panics(|| {
            for (k, _) in m.extract_if(|k, _| {
                if calls == panic_at {
                    panic!("predicate panicked");
                }
                calls += 1;
                k.id % 2 == 0
            }) {
                removed.insert(k.id);
            }
        });
        assert!(p);
        assert_holds(&m, n, |k| !removed.contains(&k));
        assert_eq!(live(), 2 * m.len() as isize);
        // Still usable: extract the rest.
        let rest = m.extract_if(|_, _| true).count();
        assert_eq!(rest + removed.len(), n as usize);
        assert_eq!(live(), 0);
    }
}

#[test]
fn extract_if_item_drop_panic_keeps_the_map_consistent() {
    let mut m: GoMap<u64, D> = GoMap::new();
    for k in 0..20 {
        m.insert(k, if k == 7 { D::bomb(k) } else { D::new(k) });
    }
    assert!(panics(|| m.extract_if(|k, _| *k >= 5).for_each(drop)));
    // Entry 7 was removed before its drop panicked; the iterator was
    // dropped during the unwind, keeping the entries it had not visited.
    assert!(!m.contains_key(&7));
    assert!((0..5).all(|k| m.contains_key(&k)));
    assert_eq!(live(), m.len() as isize);
    drop(m);
    assert_eq!(live(), 0);
}

// ---- shrink_to_fit / shrink_to -----------------------------------------------------

#[test]
fn shrink_to_fit_rebuilds_into_the_smallest_go_array() {
    for &n in sizes() {
        let mut m = filled(n, gocore::hash::DefaultHashBuilder::new());
        m.retain(|k, _| k.id % 10 == 0);
        let len = m.len();
        let b = m.stats().b;
        m.shrink_to_fit();
        let s = m.stats();
        let expect: GoMap<u8, u8> = GoMap::with_capacity(len);
        if len == 0 {
            assert_eq!(m.capacity(), 0);
        } else {
            assert_eq!(s.b, expect.stats().b.min(b));
            assert!(m.capacity() >= len);
        }
        assert!(!s.growing);
        assert_holds(&m, n, |k| k % 10 == 0);
        assert_eq!(live(), 2 * len as isize);
        // Inserting up to capacity after the shrink allocates no new array.
        let cap = m.capacity() as u64;
        let b = m.stats().b;
        for k in 0..cap - len as u64 {
            m.insert(D::new(n + k), D::new(0));
        }
        assert_eq!(m.stats().b, b);
        assert!(!m.stats().growing);
        drop(m);
        assert_eq!(live(), 0);
    }
}

#[test]
fn shrink_to_keeps_the_lower_limit_and_never_grows() {
    let mut m: GoMap<u32, u32> = GoMap::with_capacity(1000);
    assert_eq!(m.stats().b, 8);
    m.insert(1, 1);
    m.shrink_to(100);
    assert_eq!(m.stats().b, 4);
    assert!(m.capacity() >= 100);
    m.shrink_to(1000); // above the capacity: no-op, not a grow
    assert_eq!(m.stats().b, 4);
    m.shrink_to(0);
    assert_eq!(m.stats().b, 0);
    assert_eq!(m.capacity(), 8);
    assert_eq!(m[&1], 1);
    m.remove(&1);
    m.shrink_to(0);
    assert_eq!(m.capacity(), 0);
    assert_eq!(m.tophash_dump().buckets.len(), 0);
}

#[test]
fn shrink_while_growing_finishes_the_grow() {
    let mut m = filled(105, gocore::hash::DefaultHashBuilder::new());
    assert!(m.stats().growing);
    m.retain(|k, _| k.id < 20);
    m.shrink_to_fit();
    assert!(!m.stats().growing);
    assert_eq!(m.stats().b, 2); // make(map, 20)
    assert_holds(&m, 105, |k| k < 20);
    drop(m);
    assert_eq!(live(), 0);
}

#[test]
fn shrink_hash_panic_leaves_the_map_unchanged() {
    let n = if cfg!(miri) { 60 } else { 400 };
    for panic_at in [0, 3, 11] {
        let mut m = filled(n, gocore::hash::DefaultHashBuilder::new());
        m.retain(|k, _| k.id % 4 == 0);
        let before = m.stats();
        PANIC_HASH_AT.with(|c| c.set(panic_at));
        assert!(panics(|| m.shrink_to_fit()));
        PANIC_HASH_AT.with(|c| c.set(usize::MAX));
        assert_eq!(m.stats(), before);
        assert_holds(&m, n, |k| k % 4 == 0);
        assert_eq!(live(), 2 * m.len() as isize);
        m.shrink_to_fit(); // works once Hash behaves
        assert!(m.stats().b < before.b);
        assert_holds(&m, n, |k| k % 4 == 0);
        drop(m);
        assert_eq!(live(), 0);
    }
}

// ---- get_disjoint_mut ---------------------------------------------------------------

#[test]
fn get_disjoint_mut_gives_each_value_once() {
    let mut m = filled(50, gocore::hash::DefaultHashBuilder::new());
    let keys = [D::new(3), D::new(49), D::new(77), D::new(0)];
    let [a, b, c, d] = m.get_disjoint_mut([&keys[0], &keys[1], &keys[2], &keys[3]]);
    assert!(c.is_none());
    let (a, b, d) = (a.unwrap(), b.unwrap(), d.unwrap());
    assert_eq!((a.id, b.id, d.id), (30, 490, 0));
    core::mem::swap(a, b);
    d.id = 1;
    assert_eq!(m.get(&keys[0]).unwrap().id, 490);
    assert_eq!(m.get(&keys[1]).unwrap().id, 30);
    assert_eq!(m.get(&keys[3]).unwrap().id, 1);
    // The same absent key twice is not an overlap.
    let [x, y] = m.get_disjoint_mut([&keys[2], &keys[2]]);
    assert!(x.is_none() && y.is_none());
    let [] = m.get_disjoint_mut::<D, 0>([]);
    drop(keys);
    assert_eq!(live(), 100);
    drop(m);
    assert_eq!(live(), 0);
}

#[test]
fn get_disjoint_mut_panics_on_overlapping_keys() {
    let mut m: GoMap<String, u32> = [("a".to_string(), 1), ("b".to_string(), 2)].into();
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = m.get_disjoint_mut(["b", "a", "b"]);
    }));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<&str>().copied().unwrap_or("");
    assert!(msg.contains("duplicate keys"), "{msg}");
    // Nothing changed.
    assert_eq!((m["a"], m["b"], m.len()), (1, 2, 2));
}

#[test]
fn get_disjoint_mut_survives_a_panicking_hash() {
    let mut m = filled(20, gocore::hash::DefaultHashBuilder::new());
    let keys = [D::new(1), D::new(2)];
    PANIC_HASH_AT.with(|c| c.set(1));
    assert!(panics(|| {
        let _ = m.get_disjoint_mut([&keys[0], &keys[1]]);
    }));
    PANIC_HASH_AT.with(|c| c.set(usize::MAX));
    assert_holds(&m, 20, |_| true);
    drop((keys, m));
    assert_eq!(live(), 0);
}

#[test]
fn get_disjoint_unchecked_mut_with_distinct_keys() {
    let mut m: GoMap<u64, u64, Constant> = GoMap::with_hasher(Constant);
    for k in 0..30 {
        m.insert(k, k); // one chain: distinct slots, same hash
    }
    // SAFETY: distinct keys.
    let [a, b, c] = unsafe { m.get_disjoint_unchecked_mut([&0, &29, &100]) };
    *a.unwrap() += 100;
    *b.unwrap() += 100;
    assert!(c.is_none());
    assert_eq!((m[&0], m[&29], m[&1]), (100, 129, 1));
}

// ---- insert_entry --------------------------------------------------------------------

#[test]
fn insert_entry_on_both_kinds_of_entry() {
    let mut m: GoMap<D, D> = GoMap::new();
    {
        let o = m.entry(D::new(1)).insert_entry(D::new(10));
        assert_eq!((o.key().id, o.get().id), (1, 10));
    }
    assert_eq!(live(), 2);
    {
        // Occupied: the old value is dropped, the stored key kept, and the
        // lookup key dropped with the entry.
        let o = m.entry(D::new(1)).insert_entry(D::new(11));
        assert_eq!(o.get().id, 11);
        assert_eq!(live(), 3);
    }
    assert_eq!(live(), 2);
    let o = m.entry(D::new(1)).insert_entry(D::new(12));
    let (k, v) = o.remove_entry();
    assert_eq!((k.id, v.id), (1, 12));
    assert!(m.is_empty());
    drop((k, v));
    assert_eq!(live(), 0);
    if let Entry::Vacant(v) = m.entry(D::new(5)) {
        let mut o = v.insert_entry(D::new(50));
        o.get_mut().id += 1;
    }
    assert_eq!(m.get(&D::new(5)).unwrap().id, 51);
    drop(m);
    assert_eq!(live(), 0);
}

#[test]
fn insert_entry_that_starts_a_grow_points_at_the_new_slot() {
    for n in [8u64, 13, 26, 52, 104] {
        let mut m: GoMap<u64, u64> = (0..n).map(|k| (k, k)).collect();
        let b = m.stats().b;
        let o = m.entry(n).insert_entry(n * 10);
        assert_eq!((*o.key(), *o.get()), (n, n * 10));
        assert_eq!(o.remove(), n * 10);
        assert!(m.stats().b > b, "the insert did not grow");
        assert_eq!(m.len(), n as usize);
        assert!((0..n).all(|k| m[&k] == k));
    }
}

#[test]
fn insert_entry_replacing_a_panicking_value() {
    let mut m: GoMap<u64, D> = GoMap::new();
    m.insert(1, D::bomb(1));
    assert!(panics(|| {
        let _ = m.entry(1).insert_entry(D::new(2));
    }));
    assert_eq!(m[&1].id, 2);
    assert_eq!(live(), 1);
    drop(m);
    assert_eq!(live(), 0);
}

// ---- const with_hasher, Default iterators -----------------------------------------

#[test]
fn with_hasher_is_const() {
    const EMPTY: GoMap<u64, &str, Identity> = GoMap::with_hasher(Identity);
    static NAMES: std::sync::Mutex<GoMap<u64, &str, Identity>> =
        std::sync::Mutex::new(GoMap::with_hasher(Identity));
    let mut m = EMPTY;
    assert_eq!((m.len(), m.capacity()), (0, 0));
    m.insert(1, "one");
    assert_eq!(m[&1], "one");
    NAMES.lock().unwrap().insert(2, "two");
    assert_eq!(NAMES.lock().unwrap()[&2], "two");
    // Cursors work on maps made in a const context.
    let mut c = m.cursor();
    assert_eq!(c.next(&m), Some((&1, &"one")));
    assert_eq!(c.next(&m), None);
    // A clone gets an identity of its own.
    let copy = m.clone();
    let mut c = m.cursor();
    assert_eq!(c.try_next(&copy), Err(gomap::CursorError::WrongMap));
}

#[test]
fn iterators_default_to_empty() {
    fn empty<I: Iterator + ExactSizeIterator + Default>() {
        let mut it = I::default();
        assert_eq!(it.len(), 0);
        assert!(it.next().is_none());
        assert!(it.next().is_none());
    }
    empty::<gomap::Iter<'_, String, D>>();
    empty::<gomap::IterMut<'_, String, D>>();
    empty::<gomap::IntoIter<String, D>>();
    empty::<gomap::Keys<'_, String, D>>();
    empty::<gomap::Values<'_, String, D>>();
    empty::<gomap::ValuesMut<'_, String, D>>();
    empty::<gomap::IntoKeys<String, D>>();
    empty::<gomap::IntoValues<String, D>>();
    assert_eq!(format!("{:?}", gomap::Iter::<u8, u8>::default()), "[]");
}

// ---- capacity, try_reserve -----------------------------------------------------------

#[test]
fn capacity_is_zero_until_something_is_allocated() {
    assert_eq!(GoMap::<u8, u8>::new().capacity(), 0);
    assert_eq!(GoMap::<u8, u8>::default().capacity(), 0);
    assert_eq!(GoMap::<u8, u8>::with_capacity(0).capacity(), 0);
    assert_eq!(GoMap::<u8, u8>::with_capacity(1).capacity(), 8);
    assert_eq!(GoMap::<u8, u8>::new().stats().capacity, 8); // doubling point
    let mut m = GoMap::<u8, u8>::new();
    m.reserve(0);
    assert_eq!(m.capacity(), 0);
    m.reserve(1);
    assert_eq!(m.capacity(), 8);
}

#[test]
fn capacity_holds_without_a_new_array() {
    let cases: &[usize] = if cfg!(miri) {
        &[1, 9, 14, 60]
    } else {
        &[1, 8, 9, 13, 14, 100, 105, 1000, 5000]
    };
    for &n in cases {
        for presize in [false, true] {
            let mut m: GoMap<u64, u64> = if presize {
                GoMap::with_capacity(n)
            } else {
                let mut m = GoMap::new();
                m.reserve(n);
                m
            };
            let cap = m.capacity();
            assert!(cap >= n);
            let b = m.stats().b;
            for k in 0..cap as u64 {
                m.insert(k, k);
                let s = m.stats();
                assert!(s.b == b && !s.growing, "n {n}: insert {k} reallocated");
            }
            assert_eq!(m.capacity(), cap);
            m.insert(u64::MAX, 0);
            assert!(
                m.stats().b > b,
                "n {n}: capacity {cap} is not the doubling point"
            );
        }
    }
}

#[test]
fn capacity_drops_to_len_when_removals_leave_too_many_overflow_buckets() {
    // B = 3 (8 buckets). Fill one bucket with 9 keys (one overflow bucket),
    // remove them, move on to the next bucket: removals keep overflow
    // buckets, so after 8 rounds there are 8 = 2^B of them.
    let mut m: GoMap<u64, u64, Identity> = GoMap::with_capacity_and_hasher(52, Identity);
    assert_eq!(m.stats().b, 3);
    for bucket in 0..8u64 {
        let keys: Vec<u64> = (0..9).map(|j| bucket + 8 * j).collect();
        for &k in &keys {
            m.insert(k, k);
        }
        if bucket < 7 {
            for k in &keys {
                m.remove(k);
            }
        }
    }
    let s = m.stats();
    assert_eq!((s.b, s.noverflow, s.growing), (3, 8, false));
    assert_eq!(m.len(), 9);
    assert_eq!(m.capacity(), 9, "the next insert starts a same-size grow");
    assert_eq!(s.capacity, 52);
    m.insert(1000, 0);
    let s = m.stats();
    assert!(s.growing && s.same_size_growth);
    // reserve rebuilds such a map instead of trusting the doubling point.
    let mut m2: GoMap<u64, u64, Identity> = GoMap::with_capacity_and_hasher(52, Identity);
    for bucket in 0..8u64 {
        for j in 0..9 {
            m2.insert(bucket + 8 * j, 0);
        }
        for j in 0..9 {
            m2.remove(&(bucket + 8 * j));
        }
    }
    assert_eq!(m2.capacity(), 0);
    m2.insert(5, 5);
    assert!(m2.stats().same_size_growth); // Go's answer to the churn
}

#[test]
fn try_reserve_tells_overflow_from_allocation_failure() {
    let mut m: GoMap<u64, u64> = (0..10).map(|k| (k, k)).collect();
    let mut empty: GoMap<u64, u64> = GoMap::new();
    for map in [&mut m, &mut empty] {
        let before = map.stats();
        assert_eq!(
            map.try_reserve(usize::MAX),
            Err(TryReserveError::CapacityOverflow)
        );
        // The array for that many entries would pass isize::MAX bytes.
        let too_big = if cfg!(target_pointer_width = "64") {
            1 << 58
        } else {
            1 << 28
        };
        assert_eq!(
            map.try_reserve(too_big),
            Err(TryReserveError::CapacityOverflow)
        );
        if cfg!(all(target_pointer_width = "64", not(miri))) {
            // 2^50 buckets of 144 bytes: below isize::MAX, beyond any memory.
            match map.try_reserve(1 << 52) {
                Err(TryReserveError::AllocError { layout }) => {
                    assert!(layout.size() >= (1 << 50) * 144);
                    assert!(layout.size() <= isize::MAX as usize);
                }
                other => panic!("expected AllocError, got {other:?}"),
            }
        }
        assert_eq!(map.stats(), before);
    }
    assert!((0..10).all(|k| m[&k] == k));
    // std's own test asks HashMap<u8, u8> for usize::MAX / 16. Go's u8/u8
    // bucket is 32 bytes (64-bit): that needs 2^58 + 2^54 buckets, past
    // isize::MAX bytes; usize::MAX / 32 needs half and fits.
    let mut bytes: GoMap<u8, u8> = GoMap::new();
    if cfg!(target_pointer_width = "64") {
        assert_eq!(bytes.stats().bucket_size, 32);
        assert_eq!(
            bytes.try_reserve(usize::MAX / 16),
            Err(TryReserveError::CapacityOverflow)
        );
        if !cfg!(miri) {
            assert!(matches!(
                bytes.try_reserve(usize::MAX / 32),
                Err(TryReserveError::AllocError { .. })
            ));
        }
    }
    assert_eq!(bytes.capacity(), 0);
    // Go's makemap rule for with_capacity: a hint whose hint × bucket size
    // passes the limit is treated as 0.
    assert_eq!(
        GoMap::<u64, u64>::with_capacity(usize::MAX / 100).stats().b,
        0
    );
}

#[test]
fn try_reserve_moves_owned_entries_without_drops() {
    let mut m = filled(105, gocore::hash::DefaultHashBuilder::new());
    assert!(m.stats().growing);
    assert_eq!(
        m.try_reserve(usize::MAX),
        Err(TryReserveError::CapacityOverflow)
    );
    assert_eq!(live(), 210);
    m.try_reserve(1000).unwrap(); // finishes the grow, rebuilds into B = 8
    assert_eq!(m.stats().b, 8);
    assert!(!m.stats().growing);
    assert_eq!(live(), 210);
    assert_holds(&m, 105, |_| true);
    // A panicking Hash during the rebuild leaves the map as it was.
    PANIC_HASH_AT.with(|c| c.set(5));
    assert!(panics(|| m.try_reserve(5000)));
    PANIC_HASH_AT.with(|c| c.set(usize::MAX));
    assert_eq!(m.stats().b, 8);
    assert_holds(&m, 105, |_| true);
    drop(m);
    assert_eq!(live(), 0);
}

// ---- Stats::evacuated -------------------------------------------------------------------

#[test]
fn evacuated_keeps_the_old_bucket_count_until_the_next_grow() {
    let mut m: GoMap<u32, u32> = GoMap::new();
    assert_eq!(m.stats().evacuated, 0);
    for k in 0..9 {
        m.insert(k, k);
    }
    // 1 -> 2 buckets, finished inside the 9th insert.
    let s = m.stats();
    assert!(!s.growing);
    assert_eq!((s.b, s.evacuated), (1, 1));
    for k in 9..105 {
        m.insert(k, k);
    }
    let s = m.stats();
    assert!(s.growing && s.old_buckets == 16 && s.evacuated < 16);
    while m.stats().growing {
        m.insert(0, 0);
    }
    assert_eq!(m.stats().evacuated, 16);
    // Reads and removals of absent keys while not growing leave it.
    m.remove(&100_000);
    let _ = m.get(&3);
    assert_eq!(m.stats().evacuated, 16);
    for k in 105..208 {
        m.insert(k, k);
    }
    assert_eq!(m.stats().evacuated, 16);
    m.insert(208, 208); // the next doubling starts: back to 0, then climbing
    let s = m.stats();
    assert!(s.growing && s.evacuated <= 2);
    while m.stats().growing {
        m.insert(0, 0);
    }
    assert_eq!(m.stats().evacuated, 32);
    m.reserve(10_000); // a rebuild: no grow behind it
    assert_eq!((m.stats().b, m.stats().evacuated), (11, 0));
    for k in 0..9 {
        m.insert(10_000 + k, 0);
    }
    m.shrink_to_fit();
    assert_eq!(m.stats().evacuated, 0);
    m.clear();
    assert_eq!(m.stats().evacuated, 0);
}

/// As std's `HashMap` (rust-lang/rust#62301): a map is `UnwindSafe` even
/// when its values have interior mutability (`UnsafeCell` is `UnwindSafe`).
#[test]
fn maps_are_unwind_safe_like_std() {
    fn unwind_safe<T: std::panic::UnwindSafe>() {}
    unwind_safe::<GoMap<(), std::cell::UnsafeCell<()>>>();
    let mut m: GoMap<(), ()> = GoMap::new();
    assert!(catch_unwind(move || m.insert((), ())).is_ok());
}
