//! Scenarios of std's `HashMap` tests (`library/std/src/collections/hash/map/tests.rs`)
//! and of hashbrown's map tests (`src/map.rs`'s test module, `tests/hasher.rs`),
//! re-written against `GoMap`. Each test names the scenario it follows.
//! Where Go's map gives a different answer than the peers (capacity is
//! Go's doubling point; overwrites keep the stored key as std does), the
//! assertion is the one that follows from gomap's documented rules.

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use gomap::{DefaultHashBuilder, Entry, GoMap};

fn assert_unwind_safe<T: std::panic::UnwindSafe>() {}

// std tests.rs: _assert_hashmap_is_unwind_safe (rust-lang/rust#62301)
#[test]
fn map_is_unwind_safe() {
    assert_unwind_safe::<GoMap<(), std::cell::UnsafeCell<()>>>();
}

// std/hashbrown: test_zero_capacities
#[test]
fn zero_capacities() {
    type M = GoMap<i32, i32>;
    assert_eq!(M::new().capacity(), 0);
    assert_eq!(M::default().capacity(), 0);
    assert_eq!(M::with_hasher(DefaultHashBuilder::default()).capacity(), 0);
    assert_eq!(M::with_capacity(0).capacity(), 0);
    assert_eq!(
        M::with_capacity_and_hasher(0, DefaultHashBuilder::default()).capacity(),
        0
    );
    let mut m = M::new();
    m.insert(1, 1);
    m.insert(2, 2);
    m.remove(&1);
    m.remove(&2);
    m.shrink_to_fit();
    assert_eq!(m.capacity(), 0);
    let mut m = M::new();
    m.reserve(0);
    assert_eq!(m.capacity(), 0);
}

// std: test_create_capacity_zero
#[test]
fn create_capacity_zero() {
    let mut m = GoMap::with_capacity(0);
    assert!(m.insert(1, 1).is_none());
    assert!(m.contains_key(&1));
    assert!(!m.contains_key(&0));
}

// std: test_insert, test_find, test_find_mut, test_insert_overwrite
#[test]
fn insert_find_overwrite() {
    let mut m = GoMap::new();
    assert!(m.get(&1).is_none());
    assert_eq!(m.len(), 0);
    assert!(m.insert(1, 2).is_none());
    assert_eq!(m.len(), 1);
    assert!(m.insert(2, 4).is_none());
    assert_eq!(m.len(), 2);
    assert_eq!(m.get(&1), Some(&2));
    assert_eq!(m.get(&2), Some(&4));
    *m.get_mut(&2).expect("present") = 100;
    assert_eq!(m.get(&2), Some(&100));
    assert_eq!(m.insert(1, 3), Some(2));
    assert_eq!(m.get(&1), Some(&3));
    assert_eq!(m.len(), 2);
    assert!(m.get_mut(&7).is_none());
}

// std: test_clone; hashbrown: test_clone_from
#[test]
fn clone_and_clone_from() {
    let mut m = GoMap::new();
    m.insert(1, 2);
    m.insert(2, 4);
    let m2 = m.clone();
    assert_eq!(m2.len(), 2);
    assert_eq!(m2[&1], 2);
    assert_eq!(m2[&2], 4);
    let mut m3: GoMap<i32, i32> = (10..40).map(|i| (i, i)).collect();
    m3.clone_from(&m);
    assert_eq!(m3, m);
    assert_eq!(m3.len(), 2);
    assert!(!m3.contains_key(&10));
    // The clone is independent of its source.
    m3.insert(9, 9);
    assert!(!m.contains_key(&9));
}

thread_local! {
    /// Per index: live instances of `Droppable` with that index.
    static DROP_VECTOR: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
}

#[derive(Hash, PartialEq, Eq)]
struct Droppable {
    k: usize,
}

impl Droppable {
    fn new(k: usize) -> Droppable {
        DROP_VECTOR.with(|v| v.borrow_mut()[k] += 1);
        Droppable { k }
    }
}

impl Drop for Droppable {
    fn drop(&mut self) {
        DROP_VECTOR.with(|v| v.borrow_mut()[self.k] -= 1);
    }
}

impl Clone for Droppable {
    fn clone(&self) -> Droppable {
        Droppable::new(self.k)
    }
}

/// Pairs in the drop-counting scenarios (std's 100; fewer under Miri).
const N: usize = if cfg!(miri) { 30 } else { 100 };

fn live(i: usize) -> i32 {
    DROP_VECTOR.with(|v| v.borrow()[i])
}

// std/hashbrown: test_drops
#[test]
fn drops() {
    DROP_VECTOR.with(|v| *v.borrow_mut() = vec![0; 2 * N]);
    {
        let mut m = GoMap::new();
        for i in 0..N {
            m.insert(Droppable::new(i), Droppable::new(i + N));
        }
        assert!((0..2 * N).all(|i| live(i) == 1));
        for i in 0..N / 2 {
            let k = Droppable::new(i);
            let v = m.remove(&k);
            assert!(v.is_some());
            // The probe and the returned value are still alive; the
            // stored key is gone.
            assert_eq!(live(i), 1);
            assert_eq!(live(i + N), 1);
        }
        for i in 0..N / 2 {
            assert_eq!(live(i), 0);
            assert_eq!(live(i + N), 0);
        }
        for i in N / 2..N {
            assert_eq!(live(i), 1);
            assert_eq!(live(i + N), 1);
        }
    }
    assert!((0..2 * N).all(|i| live(i) == 0));
}

// std/hashbrown: test_into_iter_drops
#[test]
fn into_iter_drops() {
    DROP_VECTOR.with(|v| *v.borrow_mut() = vec![0; 2 * N]);
    let m = {
        let mut m = GoMap::new();
        for i in 0..N {
            m.insert(Droppable::new(i), Droppable::new(i + N));
        }
        assert!((0..2 * N).all(|i| live(i) == 1));
        m
    };
    // Cloning, then dropping the clone, leaves the counts alone.
    drop(m.clone());
    assert!((0..2 * N).all(|i| live(i) == 1));
    {
        let mut half = m.into_iter().take(N / 2);
        assert!((0..2 * N).all(|i| live(i) == 1));
        for _ in half.by_ref() {}
        let nk = (0..N).filter(|&i| live(i) == 1).count();
        let nv = (0..N).filter(|&i| live(i + N) == 1).count();
        assert_eq!(nk, N / 2);
        assert_eq!(nv, N / 2);
    }
    assert!((0..2 * N).all(|i| live(i) == 0));
}

// std: test_empty_remove, test_empty_entry, test_empty_iter
#[test]
fn empty_map_operations() {
    let mut m: GoMap<i32, bool> = GoMap::new();
    assert_eq!(m.remove(&0), None);
    assert_eq!(m.remove_entry(&0), None);
    assert!(matches!(m.entry(0), Entry::Vacant(_)));
    assert_eq!(m.len(), 0);
    assert!(*m.entry(0).or_insert(true));
    assert_eq!(m.len(), 1);

    let mut m: GoMap<i32, bool> = GoMap::new();
    assert_eq!(m.drain().next(), None);
    assert_eq!(m.keys().next(), None);
    assert_eq!(m.values().next(), None);
    assert_eq!(m.values_mut().next(), None);
    assert_eq!(m.iter().next(), None);
    assert_eq!(m.iter_mut().next(), None);
    assert_eq!(m.len(), 0);
    assert!(m.is_empty());
    assert_eq!(m.into_iter().next(), None);
}

// std: test_lots_of_insertions (fewer rounds and keys; every round checks
// every key after every insert and remove)
#[test]
fn lots_of_insertions() {
    let (rounds, n) = if cfg!(miri) { (1, 16) } else { (3, 300) };
    let mut m = GoMap::new();
    for _ in 0..rounds {
        assert!(m.is_empty());
        for i in 1..=n {
            assert!(m.insert(i, i).is_none());
            for j in 1..=i {
                assert_eq!(m.get(&j), Some(&j));
            }
            for j in i + 1..=n {
                assert_eq!(m.get(&j), None);
            }
        }
        for i in n + 1..=2 * n {
            assert!(!m.contains_key(&i));
        }
        // Remove forwards.
        for i in 1..=n {
            assert!(m.remove(&i).is_some());
            for j in 1..=i {
                assert!(!m.contains_key(&j));
            }
            for j in i + 1..=n {
                assert!(m.contains_key(&j));
            }
        }
        for i in 1..=n {
            assert!(m.insert(i, i).is_none());
        }
        // Remove backwards.
        for i in (1..=n).rev() {
            assert!(m.remove(&i).is_some());
            for j in i..=n {
                assert!(!m.contains_key(&j));
            }
            for j in 1..i {
                assert!(m.contains_key(&j));
            }
        }
    }
}

// std: test_insert_conflicts, test_conflict_remove, test_is_empty
#[test]
fn conflicts_and_removal() {
    let mut m = GoMap::with_capacity(4);
    assert!(m.insert(1, 2).is_none());
    assert!(m.insert(5, 3).is_none());
    assert!(m.insert(9, 4).is_none());
    assert_eq!(m[&9], 4);
    assert_eq!(m[&5], 3);
    assert_eq!(m[&1], 2);
    assert_eq!(m.remove(&1), Some(2));
    assert_eq!(m[&9], 4);
    assert_eq!(m[&5], 3);
    assert!(!m.is_empty());
    assert_eq!(m.remove(&5), Some(3));
    assert_eq!(m.remove(&9), Some(4));
    assert!(m.is_empty());
    // test_remove, test_remove_entry
    m.insert(1, 2);
    assert_eq!(m.remove_entry(&1), Some((1, 2)));
    assert_eq!(m.remove(&1), None);
}

// std: test_iterate
#[test]
fn iterate_sees_each_key_once() {
    let mut m = GoMap::with_capacity(4);
    for i in 0..32u32 {
        assert!(m.insert(i, i * 2).is_none());
    }
    assert_eq!(m.len(), 32);
    let mut observed: u32 = 0;
    for (k, v) in &m {
        assert_eq!(*v, *k * 2);
        assert_eq!(observed & (1 << *k), 0, "{k} seen twice");
        observed |= 1 << *k;
    }
    assert_eq!(observed, 0xFFFF_FFFF);
}

// std: test_keys, test_values, test_values_mut, test_into_keys, test_into_values
#[test]
fn keys_values_and_their_owned_forms() {
    let map: GoMap<i32, char> = vec![(1, 'a'), (2, 'b'), (3, 'c')].into_iter().collect();
    let mut keys: Vec<_> = map.keys().cloned().collect();
    keys.sort_unstable();
    assert_eq!(keys, [1, 2, 3]);
    let mut values: Vec<_> = map.values().cloned().collect();
    values.sort_unstable();
    assert_eq!(values, ['a', 'b', 'c']);
    let mut into_keys: Vec<_> = map.clone().into_keys().collect();
    into_keys.sort_unstable();
    assert_eq!(into_keys, [1, 2, 3]);
    let mut into_values: Vec<_> = map.into_values().collect();
    into_values.sort_unstable();
    assert_eq!(into_values, ['a', 'b', 'c']);

    let mut map: GoMap<i32, i32> = vec![(1, 1), (2, 2), (3, 3)].into_iter().collect();
    for v in map.values_mut() {
        *v *= 2;
    }
    let mut values: Vec<_> = map.values().cloned().collect();
    values.sort_unstable();
    assert_eq!(values, [2, 4, 6]);
}

// std: test_eq
#[test]
fn equality_ignores_order_and_history() {
    let mut m1 = GoMap::new();
    m1.insert(1, 2);
    m1.insert(2, 3);
    m1.insert(3, 4);
    let mut m2 = GoMap::new();
    m2.insert(1, 2);
    m2.insert(2, 3);
    assert!(m1 != m2);
    m2.insert(3, 4);
    assert_eq!(m1, m2);
    // Same keys, another value.
    m2.insert(3, 5);
    assert!(m1 != m2);
    // Equal content reached through a grow and removals.
    let mut m3: GoMap<i32, i32> = (0..200).map(|i| (i, i)).collect();
    m3.retain(|&k, _| (1..=3).contains(&k));
    m3.insert(3, 4);
    m3.insert(1, 2);
    m3.insert(2, 3);
    assert_eq!(m1, m3);
}

// std: test_show
#[test]
fn debug_output() {
    let mut map = GoMap::new();
    let empty: GoMap<i32, i32> = GoMap::new();
    map.insert(1, 2);
    map.insert(3, 4);
    let s = format!("{map:?}");
    assert!(s == "{1: 2, 3: 4}" || s == "{3: 4, 1: 2}", "{s}");
    assert_eq!(format!("{empty:?}"), "{}");
    let alt = format!("{map:#?}");
    assert!(
        alt == "{\n    1: 2,\n    3: 4,\n}" || alt == "{\n    3: 4,\n    1: 2,\n}",
        "{alt}"
    );
}

// std/hashbrown: test_reserve_shrink_to_fit
#[test]
fn reserve_shrink_to_fit() {
    // std's 128, 256 and 100 (fewer under Miri).
    const A: usize = if cfg!(miri) { 32 } else { 128 };
    const KEEP: usize = A * 100 / 128;
    let mut m = GoMap::new();
    m.insert(0, 0);
    m.remove(&0);
    assert!(m.capacity() >= m.len());
    for i in 0..A {
        m.insert(i, i);
    }
    m.reserve(2 * A);
    let usable_cap = m.capacity();
    assert!(usable_cap >= 3 * A);
    for i in A..3 * A {
        m.insert(i, i);
        assert_eq!(m.capacity(), usable_cap);
    }
    for i in KEEP..3 * A {
        assert_eq!(m.remove(&i), Some(i));
    }
    m.shrink_to_fit();
    assert_eq!(m.len(), KEEP);
    assert!(!m.is_empty());
    assert!(m.capacity() >= m.len());
    assert!(m.capacity() < usable_cap);
    for i in 0..KEEP {
        assert_eq!(m.remove(&i), Some(i));
    }
    m.shrink_to_fit();
    m.insert(0, 0);
    assert_eq!(m.len(), 1);
    assert!(m.capacity() >= m.len());
    assert_eq!(m.remove(&0), Some(0));
}

// hashbrown: test_behavior_resize_policy, in Go's terms: B doubles at load
// 6.5, removals never shrink, shrink_to_fit goes back to the smallest B.
#[test]
fn resize_policy() {
    let mut m = GoMap::new();
    assert_eq!(m.stats().b, 0);
    m.insert(0, 0);
    m.remove(&0);
    assert!(m.is_empty());
    let cap0 = m.capacity();
    assert_eq!(cap0, 8);
    m.reserve(cap0 + 1);
    let cap1 = m.capacity();
    assert_eq!(cap1, 13);
    let mut i = 0;
    while m.len() < cap1 {
        m.insert(i, i);
        i += 1;
    }
    assert_eq!(m.capacity(), cap1);
    m.insert(i, i);
    i += 1;
    let cap2 = m.capacity();
    assert_eq!(cap2, 26);
    let b2 = m.stats().b;
    while m.len() > 2 {
        i -= 1;
        m.remove(&i);
        assert_eq!(m.stats().b, b2, "removals never shrink");
    }
    m.shrink_to_fit();
    assert_eq!(m.capacity(), cap0);
    assert_eq!(m.len(), 2);
    assert!(m.contains_key(&0) && m.contains_key(&1));
}

// std/hashbrown: test_from_iter, test_size_hint, test_iter_len,
// test_mut_size_hint, test_iter_mut_len
#[test]
fn from_iter_and_iterator_lengths() {
    let xs = [(1, 1), (2, 2), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)];
    let mut map: GoMap<_, _> = xs.iter().cloned().collect();
    for &(k, v) in &xs {
        assert_eq!(map.get(&k), Some(&v));
    }
    assert_eq!(map.iter().len(), xs.len() - 1);

    let mut iter = map.iter();
    for _ in iter.by_ref().take(3) {}
    assert_eq!(iter.size_hint(), (3, Some(3)));
    assert_eq!(iter.len(), 3);

    let mut iter = map.iter_mut();
    for _ in iter.by_ref().take(3) {}
    assert_eq!(iter.size_hint(), (3, Some(3)));
    assert_eq!(iter.len(), 3);

    let mut keys = map.keys();
    keys.next();
    assert_eq!(keys.len(), 5);
    let mut values = map.values_mut();
    values.next();
    assert_eq!(values.len(), 5);

    let mut into = map.clone().into_iter();
    into.next();
    assert_eq!(into.len(), 5);
    let mut drain = map.drain();
    drain.next();
    drain.next();
    assert_eq!(drain.len(), 4);
}

// std/hashbrown: test_index, test_index_nonexistent
#[test]
fn index() {
    let mut map = GoMap::new();
    map.insert(1, 2);
    map.insert(2, 1);
    map.insert(3, 4);
    assert_eq!(map[&2], 1);
    let r = catch_unwind(AssertUnwindSafe(|| map[&4]));
    assert!(r.is_err());
    // The map is intact after the panic.
    assert_eq!(map.len(), 3);
}

#[test]
#[should_panic]
fn index_nonexistent() {
    let mut map = GoMap::new();
    map.insert(1, 2);
    let _ = map[&4];
}

// std/hashbrown: test_entry
#[test]
fn entry() {
    let xs = [(1, 10), (2, 20), (3, 30), (4, 40), (5, 50), (6, 60)];
    let mut map: GoMap<_, _> = xs.iter().cloned().collect();

    // Existing key (insert).
    match map.entry(1) {
        Entry::Vacant(_) => unreachable!(),
        Entry::Occupied(mut view) => {
            assert_eq!(view.get(), &10);
            assert_eq!(view.insert(100), 10);
        }
    }
    assert_eq!(map.get(&1), Some(&100));
    assert_eq!(map.len(), 6);

    // Existing key (update).
    match map.entry(2) {
        Entry::Vacant(_) => unreachable!(),
        Entry::Occupied(mut view) => {
            let v = view.get_mut();
            *v *= 10;
        }
    }
    assert_eq!(map.get(&2), Some(&200));
    assert_eq!(map.len(), 6);

    // Existing key (take).
    match map.entry(3) {
        Entry::Vacant(_) => unreachable!(),
        Entry::Occupied(view) => assert_eq!(view.remove(), 30),
    }
    assert_eq!(map.get(&3), None);
    assert_eq!(map.len(), 5);

    // Absent key (insert).
    match map.entry(10) {
        Entry::Occupied(_) => unreachable!(),
        Entry::Vacant(view) => assert_eq!(*view.insert(1000), 1000),
    }
    assert_eq!(map.get(&10), Some(&1000));
    assert_eq!(map.len(), 6);
}

/// A small deterministic generator (xorshift), so scenarios that std
/// drives with `thread_rng` repeat exactly.
struct XorShift(u64);
impl XorShift {
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + (self.0 % (hi - lo) as u64) as i32
    }
}

// std/hashbrown: test_entry_take_doesnt_corrupt (rust-lang/rust#19292)
#[test]
fn entry_take_doesnt_corrupt() {
    fn check(m: &GoMap<i32, ()>) {
        for k in m.keys() {
            assert!(m.contains_key(k), "{k} is in keys() but not in the map?");
        }
        assert_eq!(m.keys().count(), m.len());
    }
    let mut m = GoMap::new();
    let mut rng = XorShift(0x7465_7374_7365_6564);
    for _ in 0..50 {
        m.insert(rng.range(-10, 10), ());
    }
    let rounds = if cfg!(miri) { 100 } else { 1000 };
    for _ in 0..rounds {
        let x = rng.range(-10, 10);
        if let Entry::Occupied(e) = m.entry(x) {
            e.remove();
        }
        check(&m);
    }
}

// std: test_extend_ref; hashbrown: test_extend_ref_k_ref_v
#[test]
fn extend_with_a_map_reference() {
    let mut a = GoMap::new();
    a.insert(1, "one");
    let mut b = GoMap::new();
    b.insert(2, "two");
    b.insert(3, "three");
    a.extend(&b);
    assert_eq!(a.len(), 3);
    assert_eq!(a[&1], "one");
    assert_eq!(a[&2], "two");
    assert_eq!(a[&3], "three");
    // Extending overwrites the values of keys already present.
    let mut c = GoMap::new();
    c.insert(3, "drei");
    a.extend(&c);
    assert_eq!(a.len(), 3);
    assert_eq!(a[&3], "drei");
}

// std/hashbrown: test_capacity_not_less_than_len
#[test]
fn capacity_not_less_than_len() {
    let mut a = GoMap::new();
    let mut item = 0;
    for _ in 0..116 {
        a.insert(item, 0);
        item += 1;
    }
    assert!(a.capacity() > a.len());
    let free = a.capacity() - a.len();
    for _ in 0..free {
        a.insert(item, 0);
        item += 1;
    }
    assert_eq!(a.len(), a.capacity());
    // Inserting at capacity starts Go's doubling.
    a.insert(item, 0);
    assert!(a.capacity() > a.len());
}

// std/hashbrown: test_occupied_entry_key, test_vacant_entry_key
#[test]
fn entry_keys() {
    let mut a = GoMap::new();
    let key = "hello there";
    let value = "value goes here";
    match a.entry(key) {
        Entry::Occupied(_) => panic!(),
        Entry::Vacant(e) => {
            assert_eq!(key, *e.key());
            e.insert(value);
        }
    }
    assert_eq!(a.len(), 1);
    assert_eq!(a[key], value);
    match a.entry(key) {
        Entry::Vacant(_) => panic!(),
        Entry::Occupied(e) => assert_eq!(key, *e.key()),
    }
    assert_eq!(a.len(), 1);
    assert_eq!(a[key], value);
}

// std/hashbrown: test_retain
#[test]
fn retain() {
    let mut map: GoMap<i32, i32> = (0..100).map(|x| (x, x * 10)).collect();
    map.retain(|&k, _| k % 2 == 0);
    assert_eq!(map.len(), 50);
    assert_eq!(map[&2], 20);
    assert_eq!(map[&4], 40);
    assert_eq!(map[&6], 60);
    assert!(!map.contains_key(&3));
    // The closure may change the values it keeps.
    map.retain(|_, v| {
        *v += 1;
        true
    });
    assert_eq!(map[&2], 21);
}

// hashbrown: test_extract_if
#[test]
fn extract_if() {
    let mut map: GoMap<i32, i32> = (0..8).map(|x| (x, x * 10)).collect();
    let mut out: Vec<_> = map.extract_if(|&k, _| k % 2 == 0).collect();
    out.sort_unstable();
    assert_eq!(out, [(0, 0), (2, 20), (4, 40), (6, 60)]);
    assert_eq!(map.len(), 4);

    let mut map: GoMap<i32, i32> = (0..8).map(|x| (x, x * 10)).collect();
    map.extract_if(|&k, _| k % 2 == 0).for_each(drop);
    assert_eq!(map.len(), 4);
}

fn sorted<T: Ord>(it: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = it.collect();
    v.sort_unstable();
    v
}

// std tests.rs mod test_drain_filter: empty, consuming_nothing,
// consuming_all, mutating_and_keeping, mutating_and_removing
#[test]
fn extract_if_cases() {
    let mut map: GoMap<i32, i32> = GoMap::new();
    map.extract_if(|_, _| unreachable!("there's nothing to decide on"))
        .for_each(drop);
    assert!(map.is_empty());

    let mut map: GoMap<i32, i32> = (0..3).map(|i| (i, i)).collect();
    assert!(map.extract_if(|_, _| false).next().is_none());
    assert_eq!(map.len(), 3);

    let mut map: GoMap<i32, i32> = (0..3).map(|i| (i, i)).collect();
    assert_eq!(
        sorted(map.extract_if(|_, _| true)),
        [(0, 0), (1, 1), (2, 2)]
    );
    assert!(map.is_empty());

    let mut map: GoMap<i32, i32> = (0..3).map(|i| (i, i)).collect();
    assert!(map
        .extract_if(|_, v| {
            *v += 6;
            false
        })
        .next()
        .is_none());
    assert_eq!(sorted(map.keys().copied()), [0, 1, 2]);
    assert_eq!(sorted(map.values().copied()), [6, 7, 8]);

    let mut map: GoMap<i32, i32> = (0..3).map(|i| (i, i)).collect();
    assert_eq!(
        sorted(map.extract_if(|_, v| {
            *v += 6;
            true
        })),
        [(0, 6), (1, 7), (2, 8)]
    );
    assert!(map.is_empty());
}

// std tests.rs mod test_drain_filter: drop_panic_leak. std's extract_if
// no longer drains on drop, so the items are consumed by the loop: the
// second item's drop panics, the loop ends, and dropping the map drops the
// entry not visited. Every value is dropped exactly once.
#[test]
fn extract_if_drop_panic_leaks_nothing() {
    static PREDS: AtomicUsize = AtomicUsize::new(0);
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct P;
    impl Drop for P {
        fn drop(&mut self) {
            if DROPS.fetch_add(1, Ordering::SeqCst) == 1 {
                panic!("panic in `drop`");
            }
        }
    }
    let mut map = (0..3).map(|i| (i, P)).collect::<GoMap<_, _>>();
    catch_unwind(AssertUnwindSafe(move || {
        map.extract_if(|_, _| {
            PREDS.fetch_add(1, Ordering::SeqCst);
            true
        })
        .for_each(drop)
    }))
    .unwrap_err();
    assert_eq!(PREDS.load(Ordering::SeqCst), 2);
    assert_eq!(DROPS.load(Ordering::SeqCst), 3);
}

// std tests.rs mod test_drain_filter: pred_panic_leak, pred_panic_reuse
#[test]
fn extract_if_pred_panic_keeps_the_rest() {
    static PREDS: AtomicUsize = AtomicUsize::new(0);
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct P;
    impl Drop for P {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mut map = (0..3).map(|i| (i, P)).collect::<GoMap<_, _>>();
    {
        let mut it = map.extract_if(|_, _| match PREDS.fetch_add(1, Ordering::SeqCst) {
            0 => true,
            _ => panic!(),
        });
        catch_unwind(AssertUnwindSafe(|| while it.next().is_some() {})).unwrap_err();
    }
    assert_eq!(PREDS.load(Ordering::SeqCst), 2);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    assert_eq!(map.len(), 2);
    assert_eq!(map.iter().count(), 2);
    drop(map);
    assert_eq!(DROPS.load(Ordering::SeqCst), 3);
}

// hashbrown: test_extend_ref_kv_tuple (references to pairs, a Vec of
// pairs by reference, an array of pairs by value)
#[test]
fn extend_with_references_to_pairs() {
    const M: i32 = if cfg!(miri) { 20 } else { 100 };
    let mut a = GoMap::new();
    a.insert(0, 0);
    let for_iter: Vec<_> = (0..M).map(|i| (i, i)).collect();
    a.extend(for_iter.iter());
    let vec: Vec<_> = (M..2 * M).map(|i| (i, i)).collect();
    a.extend(&vec);
    let mut arr = [(0, 0); M as usize];
    for (i, p) in arr.iter_mut().enumerate() {
        *p = (2 * M + i as i32, 2 * M + i as i32);
    }
    a.extend(arr);
    assert_eq!(a.len(), 3 * M as usize);
    for item in 0..3 * M {
        assert_eq!(a[&item], item);
    }
}

// hashbrown: test_const_with_hasher
#[test]
fn const_with_hasher() {
    #[derive(Clone, Copy)]
    struct Fixed;
    impl BuildHasher for Fixed {
        type Hasher = std::collections::hash_map::DefaultHasher;
        fn build_hasher(&self) -> Self::Hasher {
            std::collections::hash_map::DefaultHasher::new()
        }
    }
    const EMPTY: GoMap<u32, std::string::String, Fixed> = GoMap::with_hasher(Fixed);
    let mut m = EMPTY;
    m.insert(17, "seventeen".to_owned());
    assert_eq!("seventeen", m[&17]);
    assert_eq!(EMPTY.len(), 0);
}

// hashbrown: test_get_disjoint_mut, test_get_disjoint_mut_duplicate
#[test]
fn get_disjoint_mut() {
    let mut map = GoMap::new();
    map.insert("foo".to_owned(), 0);
    map.insert("bar".to_owned(), 10);
    map.insert("baz".to_owned(), 20);
    map.insert("qux".to_owned(), 30);
    let xs = map.get_disjoint_mut(["foo", "qux"]);
    assert_eq!(xs, [Some(&mut 0), Some(&mut 30)]);
    let xs = map.get_disjoint_mut(["foo", "dud"]);
    assert_eq!(xs, [Some(&mut 0), None]);
    // Absent keys may repeat: only present duplicates overlap.
    let xs = map.get_disjoint_mut(["dud", "dud"]);
    assert_eq!(xs, [None, None]);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = map.get_disjoint_mut(["foo", "foo"]);
    }));
    let msg = r.unwrap_err();
    let msg = msg
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| msg.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(msg.contains("duplicate keys found"), "{msg}");
}

// hashbrown: test_clone_from_double_drop. The target's old values are
// dropped once each, even when one of their drops panics; the target
// holds the clone afterwards, the source is untouched.
#[test]
fn clone_from_with_a_panicking_drop_drops_each_once() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    struct CheckedDrop {
        panic_in_drop: bool,
        dropped: bool,
    }
    impl CheckedDrop {
        fn new(panic_in_drop: bool) -> Self {
            LIVE.fetch_add(1, Ordering::SeqCst);
            CheckedDrop {
                panic_in_drop,
                dropped: false,
            }
        }
    }
    impl Clone for CheckedDrop {
        fn clone(&self) -> Self {
            CheckedDrop::new(self.panic_in_drop)
        }
    }
    impl Drop for CheckedDrop {
        fn drop(&mut self) {
            assert!(!self.dropped, "double drop");
            self.dropped = true;
            LIVE.fetch_sub(1, Ordering::SeqCst);
            if self.panic_in_drop {
                panic!("panic in drop");
            }
        }
    }
    let map1: GoMap<i32, CheckedDrop> = (1..=4).map(|i| (i, CheckedDrop::new(false))).collect();
    let mut map2: GoMap<i32, CheckedDrop> =
        (1..=4).map(|i| (i, CheckedDrop::new(i == 2))).collect();
    assert_eq!(LIVE.load(Ordering::SeqCst), 8);
    let r = catch_unwind(AssertUnwindSafe(|| map2.clone_from(&map1)));
    assert!(r.is_err());
    assert_eq!(map1.len(), 4);
    drop(map2);
    drop(map1);
    assert_eq!(LIVE.load(Ordering::SeqCst), 0);
}

// hashbrown tests/hasher.rs: default, random_state, zero, max
fn check_hasher<S: BuildHasher + Default>() {
    let n = if cfg!(miri) { 24 } else { 1000 };
    let mut m = GoMap::<i32, (), S>::default();
    m.extend((0..n).map(|i| (i, ())));
    assert_eq!(m.len(), n as usize);
    assert!(!m.contains_key(&i32::MIN));
    assert!(!m.contains_key(&-1));
    for i in 0..n {
        assert!(m.contains_key(&i));
    }
    assert!(!m.contains_key(&n));
    assert!(!m.contains_key(&i32::MAX));
}

#[derive(Default)]
struct ZeroHasher;
impl Hasher for ZeroHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, _: &[u8]) {}
}

#[derive(Default)]
struct MaxHasher;
impl Hasher for MaxHasher {
    fn finish(&self) -> u64 {
        u64::MAX
    }
    fn write(&mut self, _: &[u8]) {}
}

#[test]
fn alternate_hashers() {
    check_hasher::<DefaultHashBuilder>();
    check_hasher::<RandomState>();
    check_hasher::<BuildHasherDefault<ZeroHasher>>();
    check_hasher::<BuildHasherDefault<MaxHasher>>();
}

// hashbrown: test_empty_entry_ref, adapted: entry takes an owned key, and
// lookups borrow (`String` keys found by `&str`).
#[test]
fn borrowed_lookups_on_string_keys() {
    let mut m: GoMap<String, bool> = GoMap::new();
    assert!(!m.contains_key("poneyland"));
    assert!(*m.entry("poneyland".to_owned()).or_insert(true));
    assert_eq!(m.len(), 1);
    assert_eq!(m.get("poneyland"), Some(&true));
    assert_eq!(
        m.get_key_value("poneyland").map(|(k, _)| k.as_str()),
        Some("poneyland")
    );
    assert!(m["poneyland"]);
    *m.get_mut("poneyland").expect("present") = false;
    assert_eq!(
        m.remove_entry("poneyland"),
        Some(("poneyland".to_owned(), false))
    );
    assert!(m.is_empty());
}

// hashbrown tests/serde.rs: map_serde_tokens_empty, map_serde_tokens
// (through serde_json instead of serde_test's token streams), plus std's
// rule for a repeated key: the last value wins.
#[cfg(feature = "serde")]
#[test]
fn serde_tokens() {
    let empty: GoMap<char, u32> = GoMap::new();
    assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
    let back: GoMap<char, u32> = serde_json::from_str("{}").unwrap();
    assert!(back.is_empty());

    let mut m = GoMap::new();
    m.insert('b', 20);
    m.insert('a', 10);
    m.insert('c', 30);
    let s = serde_json::to_string(&m).unwrap();
    // Go's random order: any of the six permutations.
    let mut parts: Vec<&str> = s
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .collect();
    parts.sort_unstable();
    assert_eq!(parts, [r#""a":10"#, r#""b":20"#, r#""c":30"#]);
    let back: GoMap<char, u32> = serde_json::from_str(&s).unwrap();
    assert_eq!(back, m);

    let dup: GoMap<char, u32> = serde_json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    assert_eq!(dup.len(), 2);
    assert_eq!(dup[&'a'], 3);
    assert!(serde_json::from_str::<GoMap<char, u32>>(r#"{"a":1,"b":"x"}"#).is_err());
    assert!(serde_json::from_str::<GoMap<char, u32>>("[1]").is_err());
}

// std's Debug for the borrowing iterators: the items left, as a list.
#[test]
fn iterator_debug_lists_the_items_left() {
    let m: GoMap<i32, char> = GoMap::from([(1, 'a'), (2, 'b')]);
    let keys = format!("{:?}", m.keys());
    assert!(keys == "[1, 2]" || keys == "[2, 1]", "{keys}");
    let values = format!("{:?}", m.values());
    assert!(values == "['a', 'b']" || values == "['b', 'a']", "{values}");
    let iter = format!("{:?}", m.iter());
    assert!(
        iter == "[(1, 'a'), (2, 'b')]" || iter == "[(2, 'b'), (1, 'a')]",
        "{iter}"
    );
    let mut ks = m.keys();
    let first = *ks.next().expect("two keys");
    assert_eq!(format!("{ks:?}"), format!("[{}]", 3 - first));
    ks.next();
    assert_eq!(format!("{ks:?}"), "[]");
    assert_eq!(format!("{:?}", GoMap::<i32, i32>::new().values()), "[]");
}
