//! `==` and hashing of interface values holding aggregates with NaN, ±0,
//! nested interfaces and uncomparable dynamic values, and `map[any]` with
//! them.

mod common;

use common::panic_text;
use goiface::types::*;
use goiface::*;

fn slice() -> Eface {
    Eface::new(slice_of(int()), Val::Slice(None)).unwrap()
}

/// Go 1.19 printed (`type S struct{ A any; B int }`, `type R struct{ B
/// int; A any }`): `any(S{[]int{}, 1}) == any(S{[]int{}, 2})` → panic
/// `runtime error: comparing uncomparable type []int`; `any(R{1,
/// []int{}}) == any(R{2, []int{}})` → false; `any([2]any{1, []int{}}) ==
/// any([2]any{2, []int{}})` → false; `any([2]any{[]int{}, 1}) ==
/// any([2]any{[]int{}, 2})` → the panic; `any([2]any{[]int{}, 1}) ==
/// any([2]any{map[int]int{}, 2})` → false; `[1]any{any(1)} == [1]any{1}`
/// → true; `x := [2]float64{NaN, 0}; any(x) == any(x)` → false;
/// `struct{ F float64 }{0} == {-0}` → true; complex(NaN, 0) → false.
#[test]
fn equality_of_aggregates_in_interfaces() {
    let s = struct_of("main", &[field("A", any()), field("B", int())]).unwrap();
    let r = struct_of("main", &[field("B", int()), field("A", any())]).unwrap();
    let sv = |a: Eface, b| Eface::new(s, Val::Struct(vec![Val::from(a), Val::Int(b)])).unwrap();
    let rv = |a: Eface, b| Eface::new(r, Val::Struct(vec![Val::Int(b), Val::from(a)])).unwrap();
    assert_eq!(
        panic_text(|| efaceeq(&sv(slice(), 1), &sv(slice(), 2))),
        "runtime error: comparing uncomparable type []int"
    );
    assert!(!efaceeq(&rv(slice(), 1), &rv(slice(), 2)));
    let a2 = array_of(2, any());
    let arr =
        |x: Eface, y: Eface| Eface::new(a2, Val::Array(vec![Val::from(x), Val::from(y)])).unwrap();
    let one = Eface::from_int(1);
    let two = Eface::from_int(2);
    assert!(!efaceeq(
        &arr(one.clone(), slice()),
        &arr(two.clone(), slice())
    ));
    assert_eq!(
        panic_text(|| efaceeq(&arr(slice(), one.clone()), &arr(slice(), two.clone()))),
        "runtime error: comparing uncomparable type []int"
    );
    let m = Eface::new(map_of(int(), int()).unwrap(), Val::Ref(None)).unwrap();
    assert!(!efaceeq(&arr(slice(), one.clone()), &arr(m, two)));
    let a1 = array_of(1, any());
    let nested = Eface::new(a1, Val::Array(vec![Val::from(one.clone())])).unwrap();
    assert!(efaceeq(&nested, &nested.clone()));
    let fa = Eface::new(
        array_of(2, float64()),
        Val::Array(vec![Val::Float(f64::NAN), Val::Float(0.0)]),
    )
    .unwrap();
    assert!(!efaceeq(&fa, &fa));
    let fs = struct_of("main", &[field("F", float64())]).unwrap();
    let z = Eface::new(fs, Val::Struct(vec![Val::Float(0.0)])).unwrap();
    let nz = Eface::new(fs, Val::Struct(vec![Val::Float(-0.0)])).unwrap();
    assert!(efaceeq(&z, &nz));
    let c = Eface::new(complex128(), Val::Complex(f64::NAN, 0.0)).unwrap();
    assert!(!efaceeq(&c, &c));
}

/// Go 1.19 printed: a `map[any]int` given `[1]float64{NaN}` twice has 2
/// entries; given `struct{ F float64 }{0}` and `{-0}` 1; `m[S{[]int{}, 1}]
/// = 1` panics `runtime error: hash of unhashable type []int`; reading
/// `S{func() {}, 1}` from a nil map panics `… hash of unhashable type
/// func()`; reading `[2]R{{1, 2}, {3, map[int]int{}}}` from a non-empty
/// map panics `… hash of unhashable type map[int]int`.
#[test]
fn any_maps_with_aggregate_keys() {
    let nan = Eface::new(
        array_of(1, float64()),
        Val::Array(vec![Val::Float(f64::NAN)]),
    )
    .unwrap();
    let mut m = AnyMap::make();
    m.insert(nan.clone(), 1);
    m.insert(nan, 2);
    assert_eq!(m.len(), 2);
    let fs = struct_of("main", &[field("F", float64())]).unwrap();
    let mut m = AnyMap::make();
    m.insert(
        Eface::new(fs, Val::Struct(vec![Val::Float(0.0)])).unwrap(),
        1,
    );
    m.insert(
        Eface::new(fs, Val::Struct(vec![Val::Float(-0.0)])).unwrap(),
        2,
    );
    assert_eq!(m.len(), 1);

    let s = struct_of("main", &[field("A", any()), field("B", int())]).unwrap();
    let sv = |a: Eface| Eface::new(s, Val::Struct(vec![Val::from(a), Val::Int(1)])).unwrap();
    let mut m = AnyMap::make();
    // An empty map hashes the key too (Go's mapaccess1/mapdelete).
    assert_eq!(
        panic_text(|| m.get(&sv(slice()))),
        "runtime error: hash of unhashable type []int"
    );
    assert_eq!(
        panic_text(|| m.remove(&sv(slice()))),
        "runtime error: hash of unhashable type []int"
    );
    assert_eq!(
        panic_text(|| m.insert(sv(slice()), 1)),
        "runtime error: hash of unhashable type []int"
    );
    assert_eq!(m.len(), 0);
    m.insert(Eface::from_int(1), 1);
    let f = Eface::new(func_of(&[], &[], false), Val::Ref(None)).unwrap();
    let nil: AnyMap<i32> = AnyMap::nil();
    assert_eq!(
        panic_text(|| nil.get(&sv(f))),
        "runtime error: hash of unhashable type func()"
    );
    let r = struct_of("main", &[field("B", int()), field("A", any())]).unwrap();
    let mp = Eface::new(map_of(int(), int()).unwrap(), Val::Ref(None)).unwrap();
    let rs = Val::Array(vec![
        Val::Struct(vec![Val::Int(1), Val::from(Eface::from_int(2))]),
        Val::Struct(vec![Val::Int(3), Val::from(mp)]),
    ]);
    let key = Eface::new(array_of(2, r), rs).unwrap();
    assert_eq!(
        panic_text(|| m.get(&key)),
        "runtime error: hash of unhashable type map[int]int"
    );
    assert_eq!(m.get(&Eface::from_int(1)), Some(&1));
}
