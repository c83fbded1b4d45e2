//! Scenarios of Go 1.19's `test/recover2.go` and `test/fixedbugs` programs
//! about interface comparison, hashing and the itab cache. Expected values
//! and panic texts were printed by Go 1.19 programs comparing through a
//! `//go:noinline func eq(a, b any) bool { return a == b }`.

mod common;

use common::*;
use goiface::*;

/// test/recover2.go test5 and test6: `type T struct{ a, b int; c []int }`
/// in an interface: `z != z` panics "comparing uncomparable type main.T",
/// using it as a map key "hash of unhashable type main.T".
#[test]
fn recover2_uncomparable_struct() {
    let t = Named::new(
        "main",
        "T",
        types::struct_of(
            "main",
            &[
                types::field("a", types::int()),
                types::field("b", types::int()),
                types::field("c", types::slice_of(types::int())),
            ],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let z = Eface::new(t, t.zero()).unwrap();
    assert_eq!(
        panic_text(|| efaceeq(&z, &z)),
        "runtime error: comparing uncomparable type main.T"
    );
    let mut m: AnyMap<i32> = AnyMap::make();
    assert_eq!(
        panic_text(|| m.insert(z.clone(), 1)),
        "runtime error: hash of unhashable type main.T"
    );
    assert!(m.is_empty());
    assert_eq!(
        try_nilinterhash(&z, 0).unwrap_err().to_string(),
        "runtime error: hash of unhashable type main.T"
    );
}

/// Blank fields take no part in `==` or hashing (spec: "corresponding
/// non-blank fields are equal"; Go printed `true` and found the key), but a
/// blank field of an uncomparable type still makes the struct uncomparable
/// (Go printed "comparing uncomparable type main.BU" and "hash of
/// unhashable type main.BU").
#[test]
fn blank_fields_in_equality_and_hashing() {
    let b = Named::new(
        "main",
        "B",
        types::struct_of(
            "main",
            &[
                types::field("_", types::int()),
                types::field("a", types::int()),
            ],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    // The blank field's contents differ; Go cannot even set them, but a
    // host building values can: they must not matter.
    let x = Eface::new(b, Val::Struct(vec![Val::Int(1), Val::Int(2)])).unwrap();
    let y = Eface::new(b, Val::Struct(vec![Val::Int(7), Val::Int(2)])).unwrap();
    let z = Eface::new(b, Val::Struct(vec![Val::Int(1), Val::Int(3)])).unwrap();
    assert!(efaceeq(&x, &y));
    assert!(!efaceeq(&x, &z));
    assert_eq!(nilinterhash(&x, 99), nilinterhash(&y, 99));
    let mut m = AnyMap::make();
    m.insert(x, 1);
    assert_eq!(m.get(&y), Some(&1));
    assert_eq!(m.get(&z), None);

    let bu = Named::new(
        "main",
        "BU",
        types::struct_of(
            "main",
            &[
                types::field("_", types::slice_of(types::int())),
                types::field("a", types::int()),
            ],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    assert!(!bu.comparable());
    let e = Eface::new(bu, bu.zero()).unwrap();
    assert_eq!(
        panic_text(|| efaceeq(&e, &e)),
        "runtime error: comparing uncomparable type main.BU"
    );
    assert_eq!(
        panic_text(|| AnyMap::make().insert(e.clone(), 1)),
        "runtime error: hash of unhashable type main.BU"
    );
}

/// Equality of interface-holding aggregates goes element by element (Go
/// 1.19 arrays) and, in structs, compares a field that can panic in its
/// place: `[2]any{[]int{}, 1}` vs `{[]int{}, "x"}` panics on element 0
/// although element 1's types differ; `[2]any{1, []int{}}` vs `{1, "x"}` is
/// false. Hashing finds an unhashable dynamic type anywhere inside.
#[test]
fn aggregates_of_interfaces_compare_in_order() {
    let arr = types::array_of(2, types::any());
    let a =
        |x: Eface, y: Eface| Eface::new(arr, Val::Array(vec![Val::from(x), Val::from(y)])).unwrap();
    let sl = || Eface::new(types::slice_of(types::int()), Val::Slice(None)).unwrap();
    let msg = "runtime error: comparing uncomparable type []int";
    assert_eq!(
        panic_text(|| efaceeq(
            &a(sl(), Eface::from_int(1)),
            &a(sl(), Eface::from_string("x"))
        )),
        msg
    );
    assert!(!efaceeq(
        &a(Eface::from_int(1), sl()),
        &a(Eface::from_int(1), Eface::from_string("x"))
    ));
    // struct{ a, b any } with ([]int{}, 1) vs ([]int{}, "x"): the panic.
    let s2 = types::struct_of(
        "main",
        &[
            types::field("a", types::any()),
            types::field("b", types::any()),
        ],
    )
    .unwrap();
    let sv =
        |x: Eface, y: Eface| Eface::new(s2, Val::Struct(vec![Val::from(x), Val::from(y)])).unwrap();
    assert_eq!(
        panic_text(|| efaceeq(
            &sv(sl(), Eface::from_int(1)),
            &sv(sl(), Eface::from_string("x"))
        )),
        msg
    );
    // struct{ a any; s string } with differing strings: still the panic.
    let ss = types::struct_of(
        "main",
        &[
            types::field("a", types::any()),
            types::field("s", types::string()),
        ],
    )
    .unwrap();
    let mk = |s: &str| Eface::new(ss, Val::Struct(vec![Val::from(sl()), Val::from(s)])).unwrap();
    assert_eq!(panic_text(|| efaceeq(&mk("a"), &mk("b"))), msg);
    // Hashing: [1]any{[]int{}} and, from a nil map, [1]any{func(){}}.
    let one = types::array_of(1, types::any());
    let k = Eface::new(one, Val::Array(vec![Val::from(sl())])).unwrap();
    assert_eq!(
        panic_text(|| AnyMap::make().insert(k.clone(), 1)),
        "runtime error: hash of unhashable type []int"
    );
    let f = Eface::new(sig0(), Val::Ref(None)).unwrap();
    let kf = Eface::new(one, Val::Array(vec![Val::from(f)])).unwrap();
    let nil: AnyMap<i32> = AnyMap::nil();
    assert_eq!(
        panic_text(|| nil.get(&kf).copied()),
        "runtime error: hash of unhashable type func()"
    );
    // float32 +0 and -0 are equal.
    let p = Eface::new(types::float32(), Val::Float(0.0)).unwrap();
    let n = Eface::new(types::float32(), Val::Float(-0.0)).unwrap();
    assert!(efaceeq(&p, &n));
    assert_eq!(nilinterhash(&p, 5), nilinterhash(&n, 5));
}

/// test/fixedbugs/issue31419.go: a failed `e.(I)` caches a negative itab;
/// while one thread keeps asking `e.(I)` with the comma-ok form (it must
/// always fail), another keeps asking the panicking form (which builds the
/// missing-method text from the cached itab). Neither may see the other's
/// work as success.
#[test]
#[cfg_attr(miri, ignore)] // threads and 2 000 iterations each
fn issue31419_negative_itab_under_concurrent_panics() {
    let t = Named::new("main", "T31419", types::int())
        .method(Method::new("M", sig0(), nop))
        .build()
        .unwrap();
    let i = types::interface_of(
        "main",
        &[IMethod::new("M", sig0()), IMethod::new("M2", sig0())],
    )
    .unwrap();
    let pt = types::ptr_to(t);
    let first = new_ptr(t, Val::Int(0)).unwrap();
    assert!(assert_e2i2(i, &first).is_none()); // populate the cache with a false result
    let n = 2_000;
    std::thread::scope(|s| {
        s.spawn(move || {
            let e = new_ptr(t, Val::Int(0)).unwrap();
            for _ in 0..n {
                let text = panic_text(|| assert_e2i(i, &e));
                assert!(text.ends_with("missing method M2"), "{text}");
            }
        });
        let e = new_ptr(t, Val::Int(0)).unwrap();
        assert!(std::ptr::eq(e.typ().unwrap(), pt));
        for k in 0..n {
            assert!(assert_e2i2(i, &e).is_none(), "conversion succeeded at {k}");
        }
    });
    let tab = itab_table()
        .find(i, pt)
        .expect("the negative itab is cached");
    assert!(!tab.implements());
}
