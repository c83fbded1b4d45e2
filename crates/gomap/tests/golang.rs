//! Go's own map tests (`src/runtime/map_test.go`, Go 1.19), ported to
//! `GoMap`. Each test names the Go test it follows.
//!
//! Copyright 2013 The Go Authors. All rights reserved.
//! Use of this source code is governed by a BSD-style
//! license that can be found in Go's LICENSE file
//! (<https://github.com/golang/go/blob/go1.19/LICENSE>).

use gomap::GoMap;

/// Go: `TestIterGrowAndDelete` — grow and delete from inside a range loop;
/// deleted (odd) keys must not be returned afterwards.
#[test]
fn iter_grow_and_delete() {
    let mut m: GoMap<i64, i64> = GoMap::with_capacity(4);
    for i in 0..100 {
        m.insert(i, i);
    }
    let mut growflag = true;
    let mut c = m.cursor();
    while let Some((&k, _)) = c.next(&m) {
        if growflag {
            for i in 100..1000 {
                m.insert(i, i);
            }
            for i in (1..1000).step_by(2) {
                m.remove(&i);
            }
            growflag = false;
        } else {
            assert!(k & 1 == 0, "odd value returned");
        }
    }
}

/// Go: `TestIterGrowWithGC` — every key present for the whole loop is
/// returned, while the map grows during the loop.
#[test]
fn iter_grow_with_gc() {
    let mut m: GoMap<i64, i64> = GoMap::with_capacity(4);
    for i in 0..8 {
        m.insert(i, i);
    }
    for i in 8..16 {
        *m.entry(i).or_insert(0) += i;
    }
    let mut growflag = true;
    let mut bitmask = 0u32;
    let mut c = m.cursor();
    while let Some((&k, _)) = c.next(&m) {
        if k < 16 {
            bitmask |= 1 << k;
        }
        if growflag {
            for i in 100..1000 {
                m.insert(i, i);
            }
            growflag = false;
        }
    }
    assert_eq!(bitmask, (1 << 16) - 1, "missing key");
}

/// Go: `TestBigItems` — 256-byte keys and values (stored indirectly).
#[test]
fn big_items() {
    let mut key = [0u8; 256];
    let mut m: GoMap<[u8; 256], [u8; 256]> = GoMap::new();
    for i in 0..100u8 {
        key[37] = i;
        let mut v = [0u8; 256];
        v[200] = i;
        m.insert(key, v);
    }
    let mut keys = Vec::new();
    let mut vals = Vec::new();
    for (k, v) in &m {
        keys.push(k[37]);
        vals.push(v[200]);
    }
    keys.sort();
    vals.sort();
    for i in 0..100u8 {
        assert_eq!(keys[i as usize], i);
        assert_eq!(vals[i as usize], i);
    }
}

/// Go: `TestEmptyKeyAndValue` — zero-sized keys and values.
#[test]
fn empty_key_and_value() {
    let mut a: GoMap<i64, ()> = GoMap::new();
    let mut b: GoMap<(), i64> = GoMap::new();
    let mut c: GoMap<(), ()> = GoMap::new();
    a.insert(0, ());
    b.insert((), 0);
    c.insert((), ());
    assert_eq!((a.len(), b.len(), c.len()), (1, 1, 1));
}

/// Go: `TestSingleBucketMapStringKeys_DupLen` and `_NoDupLen`.
#[test]
fn single_bucket_map_string_keys() {
    for keys in [
        vec!["xx", "xy", "yy", "yz", "zz"],
        vec!["a", "bb", "ccc", "dddd"],
    ] {
        let m: GoMap<String, i64> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), i as i64 + 1))
            .collect();
        assert_eq!(m.stats().b, 0);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(*k), Some(&(i as i64 + 1)));
        }
        assert_eq!(m.get("nope"), None);
    }
}

/// Go: `TestMapIterOrder` — iterating the same map yields at least two
/// different orders.
#[test]
fn map_iter_order() {
    for n in [3, 7, 9, 15] {
        let rounds = if cfg!(miri) { 5 } else { 1000 };
        for _ in 0..rounds {
            let m: GoMap<i64, bool> = (0..n).map(|i| (i, true)).collect();
            let ord = || m.keys().copied().collect::<Vec<_>>();
            let first = ord();
            assert!(
                (0..100).any(|_| ord() != first),
                "n={n} had consistent iteration order: {first:?}"
            );
        }
    }
}

/// Go: `TestMapSparseIterOrder` (issue 8410) — a sparse map also varies.
#[test]
fn map_sparse_iter_order() {
    let n = if cfg!(miri) { 200 } else { 1000 };
    for _ in 0..10 {
        let mut m: GoMap<i64, bool> = (0..n).map(|i| (i, true)).collect();
        for i in 20..n {
            m.remove(&i);
        }
        let first: Vec<i64> = m.keys().copied().collect();
        assert!(
            (0..800).any(|_| m.keys().copied().collect::<Vec<_>>() != first),
            "constant iteration order"
        );
    }
}

/// Go: `TestMapLargeKeyNoPointer` and `TestMapLargeValNoPointer`.
#[test]
fn map_large_key_and_value_no_pointer() {
    const I: usize = 1000;
    let n = if cfg!(miri) { 50 } else { I };
    let mut m: GoMap<[i64; 32], i64> = GoMap::new();
    let mut v: GoMap<i64, [i64; 32]> = GoMap::new();
    for i in 0..n as i64 {
        m.insert([i; 32], i);
        v.insert(i, [i; 32]);
    }
    for i in 0..n as i64 {
        assert_eq!(m[&[i; 32]], i, "large key");
        assert_eq!(v[&i], [i; 32], "large value");
    }
}

/// Go: `TestIgnoreBogusMapHint` — absurd hints make an empty map, no panic.
#[test]
fn ignore_bogus_map_hint() {
    let m: GoMap<i64, i64> = GoMap::with_capacity(usize::MAX / 4); // Go: 1 << 62
    assert_eq!(m.stats().b, 0);
    let m: GoMap<i64, i64> = GoMap::with_capacity(usize::MAX);
    assert_eq!(m.stats().b, 0);
}

/// Go: `TestMapBuckets` ("nohint" and "makemap") — bucket counts.
#[test]
fn map_buckets() {
    for (n, want) in [
        (0usize, 1usize),
        (1, 1),
        (8, 1),
        (9, 2),
        (13, 2),
        (14, 4),
        (26, 4),
    ] {
        let mut a: GoMap<usize, usize> = GoMap::new();
        let mut b: GoMap<usize, usize> = GoMap::with_capacity(n);
        for i in 0..n {
            a.insert(i, i);
            b.insert(i, i);
        }
        assert_eq!(a.stats().buckets, want, "nohint n={n}");
        assert_eq!(b.stats().buckets, want, "makemap n={n}");
    }
}

/// Go's `MapTombstoneCheck` (runtime/export_test.go): per chain, a run of
/// filled and emptyOne slots, then only emptyRest; the last slot before the
/// emptyRest run is not emptyOne.
fn tombstone_check<S>(m: &GoMap<i64, i64, S>) {
    for chain in m.tophash_dump().buckets {
        let slots: Vec<u8> = chain.iter().flatten().copied().collect();
        let n = slots.iter().filter(|&&t| t != 0).count();
        for (k, &t) in slots.iter().enumerate() {
            assert!(!(k < n && t == 0), "early emptyRest");
            assert!(!(k >= n && t != 0), "late non-emptyRest");
            assert!(
                !(k + 1 == n && t == 1),
                "last non-emptyRest entry is emptyOne"
            );
        }
    }
}

/// Go: `TestMapTombstones`.
#[test]
fn map_tombstones() {
    let n: i64 = if cfg!(miri) { 300 } else { 10_000 };
    let mut m: GoMap<i64, i64> = GoMap::new();
    for i in 0..n {
        m.insert(i, i);
    }
    while m.stats().growing {
        m.insert(0, 0);
    }
    tombstone_check(&m);
    for i in (0..n).step_by(2) {
        m.remove(&i);
    }
    tombstone_check(&m);
    for i in n..3 * n / 2 {
        m.insert(i, i);
    }
    while m.stats().growing {
        m.insert(n, n);
    }
    tombstone_check(&m);
    for i in 0..3 * n / 2 {
        m.remove(&i);
    }
    tombstone_check(&m);
    assert!(m.is_empty());
}

/// Go: `TestIncrementAfterDeleteValueInt` and friends — `m[k]++` after a
/// delete starts from the zero value.
#[test]
fn increment_after_delete() {
    let mut m: GoMap<i64, i64> = GoMap::new();
    m.insert(1, 41);
    m.remove(&1);
    *m.entry(1).or_default() += 1;
    assert_eq!(m[&1], 1);
    let mut s: GoMap<String, String> = GoMap::new();
    s.insert("k".into(), "old".into());
    s.remove("k");
    s.entry("k".into()).or_default().push_str("new");
    assert_eq!(s["k"], "new");
}

/// Go: `TestIncrementAfterBulkClearKeyStringValueInt` — after the clear
/// idiom, increments start from zero.
#[test]
fn increment_after_bulk_clear() {
    let mut m: GoMap<String, i64> = GoMap::new();
    m.insert("a".into(), 1);
    m.insert("b".into(), 2);
    m.clear();
    *m.entry("a".into()).or_default() += 1;
    assert_eq!(m["a"], 1);
    assert_eq!(m.len(), 1);
}

/// Go: `TestMapStringBytesLookup` — lookups through a borrowed form.
#[test]
fn map_string_bytes_lookup() {
    let mut m: GoMap<String, i64> = GoMap::new();
    m.insert(
        "1000000000000000000000000000000000000000000000000".into(),
        1,
    );
    m.insert(
        "2000000000000000000000000000000000000000000000000".into(),
        2,
    );
    let buf = String::from("1000000000000000000000000000000000000000000000000");
    assert_eq!(m.get(buf.as_str()), Some(&1));
    let buf2 = buf.replace('1', "2");
    assert_eq!(m.get(&buf2[..]), Some(&2));
}

/// A Go `float64` key: `==` is IEEE equality, so NaN is not equal to
/// itself (an `Eq` that is not reflexive, as Go's float keys are).
#[derive(Clone, Copy, Debug)]
struct Float(f64);

impl PartialEq for Float {
    fn eq(&self, other: &Float) -> bool {
        self.0 == other.0
    }
}
impl Eq for Float {}
impl core::hash::Hash for Float {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        // +0 and -0 hash alike, as Go's f64hash; every NaN hashes alike
        // here (Go draws a random hash per NaN: see the Divergences of
        // the raw map's design notes).
        let bits = if self.0 == 0.0 { 0 } else { self.0.to_bits() };
        bits.hash(h);
    }
}

/// Go: `testMapNan` — three NaN entries, values 1, 2 and 4, each yielded
/// once with a NaN key.
#[allow(clippy::eq_op)] // `k != k` is the point: NaN
fn check_map_nan(m: &GoMap<Float, i32>) {
    assert_eq!(m.len(), 3);
    let mut s = 0;
    for (k, &v) in m {
        assert!(k != k, "nan disappeared");
        assert_eq!(v & (v - 1), 0, "value wrong");
        s |= v;
    }
    assert_eq!(s, 7, "values wrong");
}

/// Go: `TestMapAssignmentNan` and `TestMapOperatorAssignmentNan` — every
/// write of a NaN key adds an entry, which no lookup or delete finds.
#[test]
fn map_assignment_nan() {
    let nan = Float(f64::NAN);
    let mut m = GoMap::with_capacity(0);
    m.insert(nan, 1);
    m.insert(nan, 2);
    m.insert(nan, 4);
    check_map_nan(&m);

    // `m[nan] += x` is `m[nan] = m[nan] + x`: the read finds nothing (0).
    let mut m = GoMap::with_capacity(0);
    for x in [1, 2, 4] {
        let old = m.get(&nan).copied().unwrap_or(0);
        m.insert(nan, old + x);
    }
    check_map_nan(&m);
    assert_eq!(m.get(&nan), None);
    assert!(!m.contains_key(&nan));
    assert_eq!(m.remove(&nan), None);
    assert_eq!(m.len(), 3);
    // Only bulk removal reaches them (Go 1.19 has none; `clear` came in 1.21).
    m.clear();
    assert!(m.is_empty());
}

/// Go: `TestGrowWithNaN` — NaN entries survive a grow started inside a
/// range loop.
#[test]
#[allow(clippy::eq_op)] // `k != k` is the point: NaN
fn grow_with_nan() {
    let nan = Float(f64::NAN);
    let mut m = GoMap::with_capacity(4);
    m.insert(nan, 1);
    m.insert(nan, 2);
    m.insert(nan, 4);
    let (mut cnt, mut s) = (0, 0);
    let mut growflag = true;
    let mut c = m.cursor();
    while let Some((&k, &v)) = c.next(&m) {
        if growflag {
            // Force a resize.
            for i in 0..50 {
                m.insert(Float(f64::from(i)), i);
            }
            for i in 50..100 {
                let old = m.get(&Float(f64::from(i))).copied().unwrap_or(0);
                m.insert(Float(f64::from(i)), old + i);
            }
            growflag = false;
        }
        if k != k {
            cnt += 1;
            s |= v;
        }
    }
    assert_eq!(cnt, 3, "NaN keys lost during grow");
    assert_eq!(s, 7, "NaN values lost during grow");
}

/// Go: `TestMapNanGrowIterator` — an iteration started in the middle of a
/// grow over NaN keys, which finishes the grow halfway, yields every entry
/// once.
#[test]
fn map_nan_grow_iterator() {
    let nan = Float(f64::NAN);
    let mut m = GoMap::new();
    const N_BUCKETS: i32 = 16;
    // To fill N_BUCKETS buckets takes 6.5 * N_BUCKETS keys.
    let n_keys = N_BUCKETS * 13 / 2;
    for i in 0..n_keys {
        m.insert(nan, i);
    }
    // Trigger a grow.
    m.insert(Float(1.0), 1);
    m.remove(&Float(1.0));
    assert!(m.stats().growing);

    let mut found = std::collections::HashSet::new();
    let mut c = m.cursor();
    while let Some((_, &v)) = c.next(&m) {
        if v != -1 {
            assert!(found.insert(v), "repeat of value {v}");
        }
        if found.len() as i32 == n_keys / 2 {
            // Halfway through the iteration, finish the grow.
            for _ in 0..N_BUCKETS {
                m.remove(&Float(1.0));
            }
        }
    }
    assert!(!m.stats().growing);
    assert_eq!(found.len() as i32, n_keys, "missing value");
}
