//! Go 1.19's map programs in `test/` (`map.go`, `mapclear.go`) and the
//! tests of `src/runtime/map_test.go` that `golang.rs` does not cover,
//! ported to `GoMap`. Each test names the Go function it follows; a Go
//! `range` loop that deletes or inserts is a `Cursor`.
//!
//! Copyright 2009 The Go Authors. All rights reserved.
//! Use of this source code is governed by a BSD-style
//! license that can be found in Go's LICENSE file
//! (<https://github.com/golang/go/blob/go1.19/LICENSE>).

use std::hash::{Hash, Hasher};

use gomap::GoMap;

/// A Go float key (`float32`/`float64`, or a complex as two of them): `==`
/// is IEEE equality (NaN unequal to itself, +0 equal to -0), and the hash
/// treats ±0 alike, as Go's `f32hash`/`f64hash`/`c128hash` do.
#[derive(Clone, Copy, Debug)]
struct F<const N: usize>([f64; N]);

impl<const N: usize> PartialEq for F<N> {
    fn eq(&self, o: &Self) -> bool {
        self.0.iter().zip(o.0.iter()).all(|(a, b)| a == b)
    }
}
impl<const N: usize> Eq for F<N> {}
impl<const N: usize> Hash for F<N> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for x in self.0 {
            let bits = if x == 0.0 { 0 } else { x.to_bits() };
            bits.hash(h);
        }
    }
}

/// Go: test/map.go `testbasic` — literal maps, maps of every key and value
/// kind filled in one loop, lookups, comma-ok existence and non-existence,
/// in-place updates of structured values, and ranging over an empty map.
#[test]
fn map_go_testbasic() {
    // Literal: map[string]int{"0": 0, "1": 1, "2": 2}
    let mlit = GoMap::from([
        ("0".to_string(), 0),
        ("1".to_string(), 1),
        ("2".to_string(), 2),
    ]);
    for i in 0..3 {
        assert_eq!(mlit[&i.to_string()], i);
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct T {
        i: i64,
        f: f32,
    }
    const COUNT: i64 = 10;
    let mut mib: GoMap<i64, bool> = GoMap::new();
    let mut mii: GoMap<i64, i64> = GoMap::new();
    let mut mfi: GoMap<F<1>, i64> = GoMap::new();
    let mut mif: GoMap<i64, f32> = GoMap::new();
    let mut msi: GoMap<String, i64> = GoMap::new();
    let mut mis: GoMap<i64, String> = GoMap::new();
    let mut mss: GoMap<String, String> = GoMap::new();
    let mut mspa: GoMap<String, Vec<String>> = GoMap::new();
    // A map of structs by value, and of maps.
    let mut mipt: GoMap<i64, T> = GoMap::new();
    let mut mipm: GoMap<i64, GoMap<i64, i64>> = GoMap::new();
    let mut mit: GoMap<i64, T> = GoMap::new();
    let mut mpti: GoMap<Box<(i64, u32)>, i64> = GoMap::new();
    for i in 0..COUNT {
        let s = i.to_string();
        let s10 = (i * 10).to_string();
        let f = i as f32;
        let t = T { i, f };
        mib.insert(i, i != 0);
        mii.insert(i, 10 * i);
        mfi.insert(F([f64::from(f)]), 10 * i);
        mif.insert(i, 10.0 * f);
        mis.insert(i, s.clone());
        msi.insert(s.clone(), i);
        mss.insert(s.clone(), s10.clone());
        mss.insert(s.clone(), s10.clone()); // an overwrite: one entry
        mspa.insert(s.clone(), vec![s.clone(), s.clone()]);
        mipt.insert(i, t);
        mpti.insert(Box::new((i, f.to_bits())), i);
        let mut inner = GoMap::new();
        inner.insert(i, i + 1);
        mipm.insert(i, inner);
        mit.insert(i, t);
    }
    let n = COUNT as usize;
    for len in [
        mib.len(),
        mii.len(),
        mfi.len(),
        mif.len(),
        msi.len(),
        mis.len(),
        mss.len(),
        mspa.len(),
        mipt.len(),
        mpti.len(),
        mipm.len(),
        mit.len(),
    ] {
        assert_eq!(len, n);
    }

    // Test construction directly.
    for i in 0..COUNT {
        let s = i.to_string();
        let f = i as f32;
        assert_eq!(mib[&i], i != 0);
        assert_eq!(mii[&i], 10 * i);
        assert_eq!(mfi[&F([f64::from(f)])], 10 * i);
        assert_eq!(mif[&i], 10.0 * f);
        assert_eq!(mis[&i], s);
        assert_eq!(msi[&s], i);
        assert_eq!(mss[&s], (i * 10).to_string());
        assert_eq!(mspa[&s], [s.clone(), s.clone()]);
        assert_eq!(mipt[&i], T { i, f });
        assert_eq!(mpti[&Box::new((i, f.to_bits()))], i);
        assert_eq!(mipm[&i][&i], i + 1);
        assert_eq!(mit[&i], T { i, f });
    }

    // Test existence with tuple check (`_, b := m[k]`).
    for i in 0..COUNT {
        let s = i.to_string();
        assert!(mib.contains_key(&i));
        assert!(mii.get(&i).is_some());
        assert!(mfi.contains_key(&F([i as f64])));
        assert!(mif.contains_key(&i));
        assert!(mis.contains_key(&i));
        assert!(msi.contains_key(&s));
        assert!(mss.contains_key(&s));
        assert!(mspa.contains_key(&s));
        assert!(mipt.contains_key(&i));
        assert!(mpti.contains_key(&Box::new((i, (i as f32).to_bits()))));
        assert!(mipm.contains_key(&i));
        assert!(mit.contains_key(&i));
    }

    // Test nonexistence with tuple check: keys COUNT..2*COUNT.
    for i in COUNT..2 * COUNT {
        let s = i.to_string();
        assert!(!mib.contains_key(&i));
        assert!(mii.get(&i).is_none());
        assert!(!mfi.contains_key(&F([i as f64])));
        assert!(!mif.contains_key(&i));
        assert!(!mis.contains_key(&i));
        assert!(!msi.contains_key(&s));
        assert!(!mss.contains_key(&s));
        assert!(!mspa.contains_key(&s));
        assert!(!mipt.contains_key(&i));
        assert!(!mpti.contains_key(&Box::new((i, (i as f32).to_bits()))));
        assert!(!mipm.contains_key(&i));
        assert!(!mit.contains_key(&i));
    }

    // Tests for structured map element updates.
    for i in 0..COUNT {
        let s = i.to_string();
        let idx = (i % 2) as usize;
        mspa.get_mut(&s).expect("present")[idx] = "deleted".to_string();
        assert_eq!(mspa[&s][idx], "deleted");
        mipt.get_mut(&i).expect("present").i += 1;
        assert_eq!(mipt[&i].i, i + 1);
        mipt.get_mut(&i).expect("present").f = (i + 1) as f32;
        assert_eq!(mipt[&i].f, (i + 1) as f32);
        *mipm
            .get_mut(&i)
            .expect("present")
            .get_mut(&i)
            .expect("present") += 1;
        assert_eq!(mipm[&i][&i], (i + 1) + 1);
    }

    // Test range on an empty (Go: nil) map.
    let mnil: GoMap<String, i64> = GoMap::new();
    assert_eq!(mnil.iter().count(), 0, "range mnil");
}

/// Go: test/map.go `testfloat` — `+0 == -0` for reads and writes, and NaN
/// keys never found, for float32, float64, complex64 and complex128 keys.
#[test]
fn map_go_testfloat() {
    // float32 and float64 keys: one component (f32 values widen exactly).
    let nan32 = f64::from(f32::NAN);
    let nan32b = f64::from(f32::from_bits(f32::NAN.to_bits() ^ 2));
    let nan64b = f64::from_bits(f64::NAN.to_bits() ^ 2);
    for (nana, nanb) in [(nan32, nan32b), (f64::NAN, nan64b)] {
        let (pz, nz) = (F([0.0]), F([-0.0]));
        let mut m = GoMap::from([(pz, "+0"), (F([nana]), "NaN"), (F([nanb]), "NaN")]);
        assert_eq!(m.get(&pz), Some(&"+0"), "cannot read back m[+0]");
        assert_eq!(m.get(&nz), Some(&"+0"), "-0 and +0 not equal for read");
        m.insert(nz, "-0");
        assert_eq!(m.get(&pz), Some(&"-0"), "-0 and +0 not equal for write");
        assert!(!m.contains_key(&F([nana])), "NaN lookup (a)");
        assert!(!m.contains_key(&F([nanb])), "NaN lookup (b)");
        assert_eq!(m.len(), 3);
        m.insert(F([nana]), "NaN");
        m.insert(F([nanb]), "NaN");
        assert_eq!(m.len(), 5);
    }
    // complex64 and complex128 keys: (re, im).
    for (nana, nanb) in [(5.0, nan32), (5.0, nan64b)] {
        let (pz, nz) = (F([0.0, 0.0]), F([0.0, -0.0]));
        let (a, b) = (F([nana, f64::NAN]), F([nana, nanb]));
        let mut m = GoMap::from([(pz, "+0"), (a, "NaN"), (b, "NaN")]);
        assert_eq!(m.get(&nz), Some(&"+0"), "-0 and +0 not equal for read");
        m.insert(nz, "-0");
        assert_eq!(m.get(&pz), Some(&"-0"), "-0 and +0 not equal for write");
        assert!(!m.contains_key(&a) && !m.contains_key(&b), "NaN lookup");
        assert_eq!(m.len(), 3);
        m.insert(a, "NaN");
        m.insert(b, "NaN");
        assert_eq!(m.len(), 5);
    }
}

/// Go: test/map.go `testnan` — 500 inserts of NaN make 500 entries, and
/// ranging yields each once with a NaN key.
#[test]
fn map_go_testnan() {
    let n = if cfg!(miri) { 40 } else { 500 };
    let mut m: GoMap<F<1>, i32> = GoMap::new();
    for _ in 0..n {
        m.insert(F([f64::NAN]), 1);
    }
    assert_eq!(m.len(), n, "wrong size map after nan insertion");
    let mut iters = 0;
    for (k, &v) in &m {
        iters += 1;
        assert!(k.0[0].is_nan(), "not NaN");
        assert_eq!(v, 1, "wrong value");
    }
    assert_eq!(iters, n, "wrong number of nan range iters");
}

/// Go: test/mapclear.go `checkcleared` — after a delete-all range loop the
/// map is empty and usable; a later insert is seen by a range.
#[test]
fn mapclear_checkcleared() {
    let mut m: GoMap<u8, i32> = GoMap::new();
    m.insert(1, 1);
    m.insert(2, 2);
    let mut c = m.cursor();
    while let Some((&k, _)) = c.next(&m) {
        m.remove(&k);
    }
    assert_eq!(m.len(), 0, "len after map clear");
    m.insert(0, 0);
    assert_eq!(m.iter().count(), 1, "number of keys found");
    // The same through `clear`, which the Go loop compiles to.
    m.insert(1, 1);
    m.clear();
    assert_eq!(m.len(), 0);
    m.insert(0, 0);
    assert_eq!(m.iter().count(), 1);
}

/// Go: test/mapclear.go `checkloopvars` — the loop variable keeps the last
/// key after a delete-all loop.
#[test]
fn mapclear_checkloopvars() {
    let mut k = 0;
    let mut m: GoMap<i32, i32> = GoMap::new();
    m.insert(42, 0);
    let mut c = m.cursor();
    while let Some((&key, _)) = c.next(&m) {
        k = key;
        m.remove(&k);
    }
    assert_eq!(k, 42, "var after range with side-effect");
    assert!(m.is_empty());
}

/// Go: test/mapclear.go `checksideeffects` — a delete whose key has a side
/// effect runs once per entry; a loop that deletes and counts visits each
/// entry once.
#[test]
fn mapclear_checksideeffects() {
    let mut x = 0;
    let mut f = || {
        x += 1;
        0
    };
    let mut m: GoMap<i32, i32> = GoMap::from([(0, 0), (1, 1)]);
    let mut c = m.cursor();
    while let Some((&k, _)) = c.next(&m) {
        m.remove(&(k + f()));
    }
    assert_eq!(x, 2, "var after range with side-effect");
    assert!(m.is_empty());

    let mut n = 0;
    let mut m: GoMap<i32, i32> = GoMap::from([(0, 0), (1, 1)]);
    let mut c = m.cursor();
    while let Some((&k, _)) = c.next(&m) {
        m.remove(&k);
        n += 1;
    }
    assert_eq!(n, 2, "counter for range with side-effect");
}

/// Go: `TestMapOperatorAssignment` — `m[k] op= x` for +, / and %.
#[test]
fn map_operator_assignment() {
    let mut m: GoMap<i32, i32> = GoMap::new();
    m.insert(0, 12345);
    *m.entry(0).or_default() += 67890;
    *m.entry(0).or_default() /= 123;
    *m.entry(0).or_default() %= 456;
    assert_eq!(m[&0], (12345 + 67890) / 123 % 456);
}

/// Go: `TestMapAppendAssignment` — `m[k] = append(m[k], ...)`.
#[test]
fn map_append_assignment() {
    let mut m: GoMap<i32, Vec<i32>> = GoMap::new();
    m.insert(0, Vec::new());
    m.entry(0).or_default().push(12345);
    m.entry(0).or_default().push(67890);
    m.entry(0).or_default().extend([123, 456]);
    let a = [7, 8, 9, 0];
    m.entry(0).or_default().extend_from_slice(&a);
    assert_eq!(m[&0], [12345, 67890, 123, 456, 7, 8, 9, 0]);
}

/// Go: `TestAlias` — a second name for a map writes the same map (Go maps
/// are references; here the second name is a `&mut`).
#[test]
fn alias() {
    let mut m: GoMap<i32, i32> = GoMap::new();
    m.insert(0, 5);
    let n = &mut m;
    n.insert(0, 6);
    assert_eq!(m[&0], 6, "alias didn't work");
}

/// A Go `any` key holding an int, a complex128, a string or a struct of
/// special-case fields (Go's `TestMapInterfaceKey` `GrabBag`): each kind
/// hashes and compares by its dynamic type and value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Any {
    Int(i64),
    Complex(F<2>),
    Str(String),
    Bag(Box<GrabBag>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct GrabBag {
    f32: F<1>,
    f64: F<1>,
    c64: F<2>,
    c128: F<2>,
    s: String,
    i0: Option<Box<Any>>,
    a: [String; 4],
}

impl<const N: usize> Default for F<N> {
    fn default() -> Self {
        F([0.0; N])
    }
}

/// Go: `TestDeferDeleteSlow` — deferred deletes of complex keys stored in a
/// `map[any]int` empty it.
#[test]
fn defer_delete_slow() {
    let ks = [0.0, 1.0, 2.0, 3.0].map(|re| Any::Complex(F([re, 0.0])));
    let mut m: GoMap<Any, usize> = GoMap::new();
    for (i, k) in ks.iter().enumerate() {
        m.insert(k.clone(), i);
    }
    assert_eq!(m.len(), ks.len());
    {
        // `defer delete(m, k)` for each k runs the deletes in reverse.
        for k in ks.iter().rev() {
            m.remove(k);
        }
    }
    assert_eq!(m.len(), 0);
}

/// Go: `TestMapInterfaceKey` — a map with 1000 int keys finds struct keys
/// whose only non-zero field is each of the special-case kinds.
#[test]
fn map_interface_key() {
    let n = if cfg!(miri) { 100 } else { 1000 };
    let mut m: GoMap<Any, bool> = GoMap::new();
    for i in 0..n {
        m.insert(Any::Int(i), true);
    }
    let bags = [
        GrabBag {
            f32: F([1.0]),
            ..GrabBag::default()
        },
        GrabBag {
            f64: F([1.0]),
            ..GrabBag::default()
        },
        GrabBag {
            c64: F([0.0, 1.0]),
            ..GrabBag::default()
        },
        GrabBag {
            c128: F([0.0, 1.0]),
            ..GrabBag::default()
        },
        GrabBag {
            s: "foo".into(),
            ..GrabBag::default()
        },
        GrabBag {
            i0: Some(Box::new(Any::Str("foo".into()))),
            ..GrabBag::default()
        },
        GrabBag {
            i0: Some(Box::new(Any::Int(5))),
            ..GrabBag::default()
        },
        GrabBag {
            a: ["foo", "bar", "baz", "bop"].map(String::from),
            ..GrabBag::default()
        },
    ];
    for bag in &bags {
        m.insert(Any::Bag(Box::new(bag.clone())), true);
        assert_eq!(
            m.get(&Any::Bag(Box::new(bag.clone()))),
            Some(&true),
            "{bag:?} not found"
        );
    }
    assert_eq!(m.len(), n as usize + bags.len());
    // A -0 float field equals +0: same entry.
    let negzero = GrabBag {
        f64: F([-0.0]),
        ..GrabBag::default()
    };
    assert!(!m.contains_key(&Any::Bag(Box::new(negzero.clone()))));
    m.insert(Any::Bag(Box::default()), false);
    assert_eq!(m.get(&Any::Bag(Box::new(negzero))), Some(&false));
}

/// Go: `TestMapHugeZero` — a lookup of an absent key with a huge value type
/// gives the zero value (`m[0]`) and `ok == false` (`_, ok := m[0]`).
#[test]
fn map_huge_zero() {
    let m: GoMap<i32, [u8; 4000]> = GoMap::new();
    let x = m.get(&0).copied().unwrap_or([0; 4000]);
    assert_eq!(x, [0; 4000]);
    assert!(m.get(&0).is_none());
}

/// Go: `TestConcurrentReadsAfterGrowth` — after each insert (growing the
/// map step by step) many threads range over it and look every key up at
/// the same time; reads never move data, so all see every key.
#[test]
#[cfg_attr(miri, ignore)] // thread-heavy
fn concurrent_reads_after_growth() {
    let (loops, steps, readers) = (2, 100, 4);
    for _ in 0..loops {
        let mut m: GoMap<i32, i32> = GoMap::new();
        for gs in 0..steps {
            m.insert(gs, gs);
            let m = &m;
            std::thread::scope(|s| {
                for _ in 0..readers {
                    s.spawn(move || assert_eq!(m.iter().count(), gs as usize + 1));
                    s.spawn(move || {
                        for key in 0..gs {
                            assert_eq!(m.get(&key), Some(&key));
                        }
                    });
                }
            });
        }
    }
}

/// Go's test/fixedbugs programs about maps.
mod fixedbugs {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// A Go `interface{}` key that may hold an unhashable dynamic type: its
    /// hash panics as Go's `typehash` does ("hash of unhashable type").
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Iface {
        Int(i64),
        IntSlice(Vec<i64>),
    }
    impl Hash for Iface {
        fn hash<H: Hasher>(&self, h: &mut H) {
            match self {
                Iface::Int(i) => i.hash(h),
                Iface::IntSlice(_) => panic!("runtime error: hash of unhashable type []int"),
            }
        }
    }

    #[track_caller]
    fn must_panic(f: impl FnOnce()) {
        assert!(catch_unwind(AssertUnwindSafe(f)).is_err(), "didn't panic");
    }

    /// Go: fixedbugs/issue23734.go — looking up or deleting an unhashable
    /// key panics even in an empty map: Go hashes the key first when its
    /// type's hash may panic (`mapaccess1`, `mapaccess2`, `mapdelete`).
    #[test]
    fn issue23734() {
        let mut m: GoMap<Iface, i32> = GoMap::new();
        let k = Iface::IntSlice(vec![]);
        must_panic(|| {
            let _ = m.get(&k);
        });
        must_panic(|| {
            let _ = m.contains_key(&k);
        });
        must_panic(|| {
            let _ = m.get_key_value(&k);
        });
        must_panic(|| {
            let _ = m.get_mut(&k);
        });
        must_panic(|| {
            let _ = m.remove(&k);
        });
        must_panic(|| {
            let _ = m.remove_entry(&k);
        });
        // Emptied by deletes (count 0 again, buckets kept): same.
        m.insert(Iface::Int(1), 1);
        m.remove(&Iface::Int(1));
        must_panic(|| {
            let _ = m.get(&k);
        });
        must_panic(|| {
            let _ = m.remove(&k);
        });
        // And in a non-empty map.
        m.insert(Iface::Int(2), 2);
        must_panic(|| {
            let _ = m.get(&k);
        });
        must_panic(|| {
            let _ = m.remove(&k);
        });
        must_panic(|| {
            let _ = m.insert(k.clone(), 3);
        });
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&Iface::Int(2)), Some(&2));
    }

    /// Go: fixedbugs/gcc61258.go — deleting a zero-size key from an empty
    /// map.
    #[test]
    fn gcc61258() {
        let mut m: GoMap<[bool; 0], i32> = GoMap::new();
        assert_eq!(m.remove(&[]), None);
        m.insert([], 1);
        assert_eq!(m.remove(&[]), Some(1));
        assert!(m.is_empty());
    }

    /// Go: fixedbugs/issue19710.go — deferred deletes of every key leave
    /// the map empty.
    #[test]
    fn issue19710() {
        let mut m: GoMap<i32, bool> = GoMap::new();
        let mut deferred = Vec::new();
        for i in 0..3 {
            m.insert(i, true);
            deferred.push(i);
        }
        for i in deferred.into_iter().rev() {
            m.remove(&i);
        }
        assert_eq!(m.len(), 0, "bad defer delete");
    }

    /// Go: fixedbugs/bug442.go — struct keys with blank fields: equal keys
    /// overwrite.
    #[test]
    fn bug442() {
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        struct T {
            x: i64,
            y: F<1>,
        }
        let mut m: GoMap<T, i32> = GoMap::new();
        m.insert(T { x: 1, y: F([2.0]) }, 1);
        m.insert(T { x: 2, y: F([3.0]) }, 2);
        m.insert(T { x: 1, y: F([2.0]) }, 3); // overwrites the first entry
        assert_eq!(m.len(), 2);
        assert_eq!(m[&T { x: 1, y: F([2.0]) }], 3);
    }

    /// Go: fixedbugs/issue9691.go — `for m[k] = range s`: the last index
    /// stays in the map under a key copied before the source changes.
    #[test]
    fn issue9691() {
        let s = "foo";
        let mut b = s.as_bytes().to_vec();
        let mut m: GoMap<String, usize> = GoMap::new();
        for (i, _) in s.char_indices() {
            m.insert(String::from_utf8(b.clone()).expect("utf-8"), i);
        }
        b[0] = b'b';
        assert_eq!(m["foo"], 2);
    }
}
