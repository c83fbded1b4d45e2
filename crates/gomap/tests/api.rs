//! The std-shaped public surface: traits, iterators, entries, serde.

use std::collections::{HashMap, HashSet};

use gomap::{Entry, GoMap};

#[test]
fn send_sync_and_default() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GoMap<String, Vec<u8>>>();
    assert_send_sync::<gomap::Iter<'static, u8, u8>>();
    assert_send_sync::<gomap::IterMut<'static, u8, u8>>();
    assert_send_sync::<gomap::IntoIter<u8, u8>>();
    assert_send_sync::<gomap::Cursor>();
    let m: GoMap<u8, u8> = Default::default();
    assert!(m.is_empty());
}

#[test]
fn traits_behave_like_std() {
    let m: GoMap<u32, String> = (0..20).map(|i| (i, i.to_string())).collect();
    let s: HashMap<u32, String> = (0..20).map(|i| (i, i.to_string())).collect();
    let c = m.clone();
    assert_eq!(m, c);
    let mut d = c.clone();
    d.insert(3, "x".into());
    assert_ne!(m, d);
    d.insert(3, "3".into());
    assert_eq!(m, d);
    d.insert(99, "99".into());
    assert_ne!(m, d);
    let dbg = format!("{:?}", GoMap::from([(1, 2)]));
    assert_eq!(dbg, "{1: 2}");
    assert_eq!(m[&7], "7");
    let mut e = GoMap::new();
    e.extend(s.clone());
    assert_eq!(e, m);
    let mut f: GoMap<u32, u32> = GoMap::new();
    let pairs: [(&u32, &u32); 2] = [(&1, &2), (&3, &4)];
    f.extend(pairs);
    assert_eq!(f.len(), 2);
    let r = std::panic::catch_unwind(|| {
        let m: GoMap<u32, u32> = GoMap::new();
        m[&1u32]
    });
    assert!(r.is_err());
}

#[test]
fn borrow_lookups() {
    let mut m: GoMap<String, u32> = GoMap::new();
    m.insert("a".into(), 1);
    assert_eq!(m.get("a"), Some(&1));
    assert!(m.contains_key("a"));
    assert_eq!(m.get_key_value("a"), Some((&"a".to_string(), &1)));
    *m.get_mut("a").unwrap() += 1;
    assert_eq!(m["a"], 2);
    assert_eq!(m.remove_entry("a"), Some(("a".into(), 2)));
    assert_eq!(m.remove("a"), None);
}

#[test]
fn entry_api() {
    let mut m: GoMap<&str, u32> = GoMap::new();
    m.entry("a").or_insert(1);
    *m.entry("a").or_default() += 1;
    m.entry("b").or_insert_with(|| 7);
    m.entry("c").or_insert_with_key(|k| k.len() as u32);
    m.entry("a").and_modify(|v| *v *= 10);
    assert_eq!(m["a"], 20);
    assert_eq!(m["b"], 7);
    assert_eq!(m["c"], 1);
    match m.entry("b") {
        Entry::Occupied(mut o) => {
            assert_eq!(o.key(), &"b");
            assert_eq!(o.insert(8), 7);
            assert_eq!(o.remove_entry(), ("b", 8));
        }
        Entry::Vacant(_) => unreachable!(),
    }
    match m.entry("z") {
        Entry::Vacant(v) => assert_eq!(v.into_key(), "z"),
        Entry::Occupied(_) => unreachable!(),
    }
    assert_eq!(m.len(), 2);
    assert!(format!("{:?}", m.entry("a")).contains("Occupied"));
    // Entry inserts grow the map exactly as inserts do.
    let mut g: GoMap<u64, u64> = GoMap::new();
    for k in 1..=105 {
        g.entry(k).or_insert(k);
    }
    assert!(g.stats().growing && g.stats().b == 5);
    for k in 1..=105 {
        assert_eq!(g[&k], k);
    }
}

#[test]
fn iterators_cover_everything_once() {
    let n = if cfg!(miri) { 100 } else { 5000 };
    let mut m: GoMap<u64, u64> = GoMap::new();
    for k in 0..n {
        m.insert(k, k);
        if k % 500 == 0 || m.stats().growing {
            // Also while growing (old buckets not yet evacuated).
            let ks: HashSet<u64> = m.keys().copied().collect();
            assert_eq!(ks.len() as u64, k + 1);
            assert_eq!(m.iter().len() as u64, k + 1);
        }
    }
    for v in m.values_mut() {
        *v += 1;
    }
    for (k, v) in &mut m {
        assert_eq!(*v, k + 1);
    }
    assert_eq!(m.values().sum::<u64>(), (0..n).map(|k| k + 1).sum::<u64>());
    let mut into: Vec<u64> = m.clone().into_values().collect();
    into.sort();
    assert_eq!(into.len() as u64, n);
    let mut drained: Vec<(u64, u64)> = m.drain().collect();
    drained.sort();
    assert_eq!(drained.len() as u64, n);
    assert!(m.is_empty());
}

/// Drains `it` with `next` only (a `for` loop calls nothing else).
fn by_next<I: Iterator>(it: I) -> Vec<I::Item> {
    let mut out = Vec::new();
    for x in it {
        out.push(x);
    }
    out
}

/// Drains `it` with `fold` only.
fn by_fold<I: Iterator>(it: I) -> Vec<I::Item> {
    it.fold(Vec::new(), |mut v, x| {
        v.push(x);
        v
    })
}

/// Hashes a `u64` key to itself times an odd constant, keeping only the
/// bits `keep` allows: few distinct low bits make long overflow chains.
#[derive(Clone, Copy)]
struct Masked {
    keep: u64,
}
struct MaskedHasher(u64, u64);
impl std::hash::Hasher for MaskedHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15) & self.1
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("u64 keys only")
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}
impl std::hash::BuildHasher for Masked {
    type Hasher = MaskedHasher;
    fn build_hasher(&self) -> MaskedHasher {
        MaskedHasher(0, self.keep)
    }
}

#[test]
fn fold_of_a_map_at_rest_visits_in_the_order_of_next() {
    // A map that is not growing folds through its own walk (two plain runs
    // over the array, chains included). Start points are random: many
    // iterations cover starts in many buckets, wrapped or not; sparse maps
    // yield their last entry long before the walk ends.
    let iterations = if cfg!(miri) { 8 } else { 300 };
    // Every hash keeps its top byte; `keep` decides how many buckets (low
    // bits) and so how long the chains are.
    for keep in [u64::MAX, 0xff00_0000_0000_0003, 0xff00_0000_0000_0000] {
        let mut m: GoMap<u64, u64, Masked> = GoMap::with_capacity_and_hasher(60, Masked { keep });
        for k in 0..60 {
            m.insert(k, k);
        }
        for round in 0..3 {
            assert!(!m.stats().growing);
            for it_no in 0..iterations {
                let mut it = m.iter();
                let skip = it_no % 4;
                let first: Vec<_> = it.by_ref().take(skip).collect();
                let want = by_next(it.clone());
                assert_eq!(first.len() + want.len(), m.len());
                assert_eq!(by_fold(it), want, "keep {keep:x} round {round}");
            }
            // Thin the map out: sparse buckets, emptied chain tails.
            let doomed: Vec<u64> = m.keys().copied().filter(|k| k % 3 != round).collect();
            for k in doomed.iter().take(doomed.len() / 2) {
                m.remove(k);
            }
        }
    }
}

#[test]
fn fold_visits_in_the_order_of_next() {
    // `fold` (behind `for_each`, `sum`, `count`, ...) walks buckets with its
    // own loop; it must yield what `next` yields, in the same order, from
    // any point of an iteration: while growing, over overflow chains, with
    // removed slots, and after some `next` calls.
    let n = if cfg!(miri) { 150 } else { 3000 };
    let mut m: GoMap<u64, u64> = GoMap::new();
    let mut checked_growing = false;
    for k in 0..n {
        m.insert(k, k * 3);
        if k % 7 == 3 {
            m.remove(&(k / 2));
        }
        let growing = m.stats().growing;
        if !(growing || k % 97 == 0) {
            continue;
        }
        checked_growing |= growing;
        let it = m.iter();
        for skip in [0, 1, 5, m.len() / 2, m.len()] {
            let mut a = it.clone();
            for _ in 0..skip {
                a.next();
            }
            let want = by_next(a.clone());
            assert_eq!(want.len(), m.len().saturating_sub(skip));
            assert_eq!(by_fold(a.clone()), want, "k {k} skip {skip}");
        }
        // The projections fold through the same walk.
        let keys = m.keys();
        assert_eq!(by_fold(keys.clone()), by_next(keys));
        let values = m.values();
        assert_eq!(by_fold(values.clone()), by_next(values));
    }
    assert!(checked_growing);
    // IterMut and ValuesMut: every value once.
    let len = m.len() as u64;
    let count = m.iter_mut().fold(0u64, |c, (k, v)| {
        *v = *k;
        c + 1
    });
    assert_eq!(count, len);
    m.values_mut().for_each(|v| *v += 1);
    assert!(m.iter().all(|(k, v)| *v == k + 1));
    assert_eq!(m.values().fold(0, |c, _| c + 1), len);
    // An empty default iterator folds to the initial value.
    assert_eq!(gomap::Iter::<u8, u8>::default().fold(7, |c, _| c + 1), 7);
    assert_eq!(gomap::IterMut::<u8, u8>::default().fold(7, |c, _| c + 1), 7);
}

#[test]
fn iteration_starts_at_random_bucket_and_offset() {
    let m: GoMap<u64, u64> = (0..8).map(|i| (i, i)).collect();
    let mut firsts: HashMap<u64, u32> = HashMap::new();
    let rounds = if cfg!(miri) { 100 } else { 2000 };
    for _ in 0..rounds {
        *firsts.entry(*m.keys().next().unwrap()).or_default() += 1;
    }
    // Go: each of the 8 keys comes first about 1/8 of the time.
    assert_eq!(firsts.len(), 8, "{firsts:?}");
    let big: GoMap<u64, u64> = (0..1000).map(|i| (i, i)).collect();
    let starts: HashSet<(usize, usize)> = (0..50).map(|_| big.iter().start()).collect();
    assert!(starts.len() > 10);
    let a: Vec<u64> = big.keys().copied().collect();
    let b: Vec<u64> = big.keys().copied().collect();
    assert_ne!(a, b, "two iterations in the same order");
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip() {
    let m: GoMap<String, u32> = (0..10).map(|i| (i.to_string(), i)).collect();
    let json = serde_json::to_string(&m).unwrap();
    let back: GoMap<String, u32> = serde_json::from_str(&json).unwrap();
    assert_eq!(m, back);
    let s: HashMap<String, u32> = serde_json::from_str(&json).unwrap();
    assert_eq!(s.len(), 10);
}
