//! Scenarios of Go 1.19's `test/interface/*.go` and `test/typeswitch*.go`
//! programs, re-stated with goiface's builders. Run-time checks keep Go's
//! values and panic texts (printed by Go 1.19 programs doing the same);
//! the `errorcheck` programs map to the errors goiface's builders return
//! or to the assertions failing at run time.

mod common;

use common::*;
use goiface::*;

fn string_sig() -> &'static Type {
    types::func_of(&[], &[types::string()], false)
}

/// test/interface/fail.go: `*S` has only a blank method `_()`, so
/// `e.(I)` with `I interface{ Foo() }` panics.
#[test]
fn fail_blank_method_does_not_implement() {
    let i = Named::new("main", "I", iface(&["Foo"])).build().unwrap();
    let s = Named::new("main", "S", types::struct_of("main", &[]).unwrap())
        .method(Method::new("_", sig0(), nop).pointer_receiver())
        .build()
        .unwrap();
    // A blank method is not in the method set (Go omits it from the
    // uncommon type: reflect's NumMethod of *S is 0).
    assert!(types::ptr_to(s).methods().is_empty());
    let ps = Eface::new(types::ptr_to(s), Val::Pointer(None)).unwrap();
    assert_eq!(
        panic_text(|| assert_e2i(i, &ps)),
        "interface conversion: *main.S is not main.I: missing method Foo"
    );
}

/// test/interface/returntype.go: methods of the same name with different
/// result types do not match: `i1.(I2)` panics.
#[test]
fn returntype_mismatch_panics() {
    let r8 = types::func_of(&[], &[types::int8()], false);
    let r64 = types::func_of(&[], &[types::int64()], false);
    let i1 = Named::new(
        "main",
        "I1",
        types::interface_of("main", &[IMethod::new("Name", r8)]).unwrap(),
    )
    .build()
    .unwrap();
    let i2 = Named::new(
        "main",
        "I2",
        types::interface_of("main", &[IMethod::new("Name", r64)]).unwrap(),
    )
    .build()
    .unwrap();
    let s2 = Named::new(
        "main",
        "S2",
        types::struct_of("main", &[types::field("a", types::int())]).unwrap(),
    )
    .method(Method::new("Name", r8, nop).pointer_receiver())
    .build()
    .unwrap();
    let ps = Eface::new(types::ptr_to(s2), Val::Pointer(None)).unwrap();
    let v1 = assert_e2i(i1, &ps);
    assert_eq!(
        panic_text(|| assert_i2i(i2, &v1)),
        "interface conversion: *main.S2 is not main.I2: missing method Name"
    );
    assert!(assert_i2i2(i2, &v1).is_none());
}

/// test/interface/noeq.go: `x == x` panics for maps, structs holding a
/// slice, and funcs; `1 == 1` does not.
#[test]
fn noeq_uncomparable_dynamic_types() {
    let one = Eface::from_int(1);
    assert!(efaceeq(&one, &one));
    let m = Eface::new(
        types::map_of(types::int(), types::int()).unwrap(),
        Val::Ref(None),
    )
    .unwrap();
    let s = types::struct_of("main", &[types::field("x", types::slice_of(types::int()))]).unwrap();
    let sv = Eface::new(s, s.zero()).unwrap();
    let f = Eface::new(sig0(), Val::Ref(None)).unwrap();
    for (e, t) in [
        (m, "map[int]int"),
        (sv, "struct { x []int }"),
        (f, "func()"),
    ] {
        assert_eq!(
            panic_text(|| efaceeq(&e, &e)),
            format!("runtime error: comparing uncomparable type {t}")
        );
        assert_eq!(
            try_efaceeq(&e, &e).unwrap_err().to_string(),
            format!("runtime error: comparing uncomparable type {t}")
        );
    }
}

/// test/interface/receiver1.go (its errorcheck lines, at run time): `T`
/// has value method V and pointer method P. `T` and `ES struct{ T }` lack
/// P; `*T`, `*ES` and `ESP struct{ *T }` have both.
#[test]
fn receiver1_method_sets_through_embedding() {
    let t = Named::new("main", "T", types::int())
        .method(Method::new("V", sig0(), nop))
        .method(Method::new("P", sig0(), nop).pointer_receiver())
        .build()
        .unwrap();
    let v = Named::new("main", "V", iface(&["V"])).build().unwrap();
    let p = Named::new("main", "P", iface(&["P", "V"])).build().unwrap();
    let es = Named::new(
        "main",
        "ES",
        types::struct_of("main", &[types::embedded(t)]).unwrap(),
    )
    .build()
    .unwrap();
    let esp = Named::new(
        "main",
        "ESP",
        types::struct_of("main", &[types::embedded(types::ptr_to(t))]).unwrap(),
    )
    .build()
    .unwrap();
    let tv = int_of(t, 0);
    let esv = Eface::new(es, es.zero()).unwrap();
    let espv = Eface::new(esp, esp.zero()).unwrap();
    assert!(assert_e2i2(v, &tv).is_some());
    assert_eq!(
        panic_text(|| assert_e2i(p, &tv)),
        "interface conversion: main.T is not main.P: missing method P"
    );
    assert!(assert_e2i2(v, &esv).is_some());
    assert_eq!(
        panic_text(|| assert_e2i(p, &esv)),
        "interface conversion: main.ES is not main.P: missing method P"
    );
    assert!(assert_e2i2(v, &espv).is_some());
    assert!(assert_e2i2(p, &espv).is_some(), "p = sp: no error!");
    for ptr in [
        new_ptr(t, Val::Int(0)).unwrap(),
        new_ptr(es, es.zero()).unwrap(),
        new_ptr(esp, esp.zero()).unwrap(),
    ] {
        assert!(assert_e2i2(v, &ptr).is_some());
        assert!(assert_e2i2(p, &ptr).is_some());
    }
    // The static view agrees (Go: assignability of T to P).
    assert!(!p.assignable_from(t));
    assert!(p.assignable_from(types::ptr_to(t)));
    assert!(!p.assignable_from(es));
    assert!(p.assignable_from(esp));
}

/// test/interface/convert.go: T2I, I2T, T2E, E2T, I2I, E2I with `T string`
/// (String, Length) and `U string` (String only).
#[test]
fn convert_all_directions() {
    fn string_of(recv: &Val, _: &[Eface], out: &mut [Eface]) {
        let Val::String(s) = recv else {
            panic!("not a string")
        };
        out[0] = Eface::from_string(s);
    }
    fn length_of(recv: &Val, _: &[Eface], out: &mut [Eface]) {
        let Val::String(s) = recv else {
            panic!("not a string")
        };
        out[0] = Eface::from_int(s.len() as i64);
    }
    let len_sig = types::func_of(&[], &[types::int()], false);
    let stringer = Named::new(
        "main",
        "Stringer",
        types::interface_of("main", &[IMethod::new("String", string_sig())]).unwrap(),
    )
    .build()
    .unwrap();
    let sl = Named::new(
        "main",
        "SL",
        types::interface_of(
            "main",
            &[
                IMethod::new("String", string_sig()),
                IMethod::new("Length", len_sig),
            ],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let t = Named::new("main", "TS", types::string())
        .method(Method::new("String", string_sig(), string_of))
        .method(Method::new("Length", len_sig, length_of))
        .build()
        .unwrap();
    let u = Named::new("main", "US", types::string())
        .method(Method::new("String", string_sig(), string_of))
        .build()
        .unwrap();
    let call = |i: &Iface, name: &str| {
        let mut out = [Eface::nil()];
        i.call(i.method_index(name).unwrap(), &[], &mut out);
        out[0].data().clone()
    };
    let te = Eface::new(t, Val::from("hello")).unwrap();
    // T2I, I2T
    let s = Iface::convert(stringer, &te).unwrap();
    assert_eq!(call(&s, "String"), Val::from("hello"));
    assert_eq!(s.assert(t), &Val::from("hello"));
    // I2I to a wider interface, I2E, E2I
    let w = assert_i2i(sl, &s);
    assert_eq!(call(&w, "Length"), Val::Int(5));
    let e = w.to_eface();
    assert!(efaceeq(&e, &te));
    let back = assert_e2i(stringer, &e);
    assert_eq!(call(&back, "String"), Val::from("hello"));
    // I2I to a narrower one needs no assertion.
    let narrow = Iface::from_iface(stringer, &w);
    assert_eq!(call(&narrow, "String"), Val::from("hello"));
    // Failures.
    let us = Iface::convert(stringer, &Eface::new(u, Val::from("goodbye")).unwrap()).unwrap();
    assert_eq!(
        panic_text(|| assert_i2i(sl, &us)),
        "interface conversion: main.US is not main.SL: missing method Length"
    );
    assert_eq!(
        panic_text(|| s.assert(u).clone()),
        "interface conversion: main.Stringer is main.TS, not main.US"
    );
    assert_eq!(
        panic_text(|| te.assert(types::int()).clone()),
        "interface conversion: interface {} is main.TS, not int"
    );
    assert_eq!(
        panic_text(|| assert_e2i(sl, &Eface::nil())),
        "interface conversion: interface is nil, not main.SL"
    );
    assert!(Iface::convert(sl, &Eface::new(u, Val::from("x")).unwrap()).is_err());
}

/// test/interface/explicit.go (errorcheck) as builder errors and static
/// assignability: blank interface methods are refused; `i2 = i` (I lacks N)
/// and `m = Int` (M has the wrong signature) are not assignable; `e = t`
/// and `i = i2` are.
#[test]
fn explicit_errorcheck_as_builder_results() {
    assert_eq!(
        types::interface_of("main", &[IMethod::new("_", sig0())])
            .unwrap_err()
            .to_string(),
        "methods must have a unique non-blank name"
    );
    assert!(matches!(
        types::interface_of(
            "main",
            &[IMethod::new("M", sig0()), IMethod::new("_", sig0())]
        ),
        Err(TypeError::InvalidName(_))
    ));
    assert!(matches!(
        types::interface_of(
            "main",
            &[IMethod::new("M", sig0()), IMethod::new("M", sig0())]
        ),
        Err(TypeError::Duplicate(_))
    ));
    let i = Named::new("main", "I", iface(&["M"])).build().unwrap();
    let i2 = Named::new("main", "I2", iface(&["M", "N"]))
        .build()
        .unwrap();
    assert!(i.assignable_from(i2));
    assert!(!i2.assignable_from(i));
    let t = Named::new(
        "main",
        "T",
        types::struct_of("main", &[types::field("a", types::int())]).unwrap(),
    )
    .build()
    .unwrap();
    assert!(types::any().assignable_from(types::ptr_to(t)));
    assert!(!i.assignable_from(types::ptr_to(t)));
    let int_m = Named::new("main", "Int", types::int())
        .method(Method::new(
            "M",
            types::func_of(&[types::float64()], &[], false),
            nop,
        ))
        .build()
        .unwrap();
    assert!(!i.assignable_from(int_m));
    assert!(!i.assignable_from(types::int()));
    // X has M on the pointer: the value type is not an I.
    let x = Named::new("main", "X", types::int())
        .method(Method::new("M", sig0(), nop).pointer_receiver())
        .build()
        .unwrap();
    assert!(!i.assignable_from(x));
    assert!(i.assignable_from(types::ptr_to(x)));
}

/// test/typeswitch1.go: `whatis` with multi-type cases, `nil` and
/// `default`; each case list is flattened into one case per type.
#[test]
fn typeswitch1_whatis() {
    // case int, int8, int16, int32 / int64 / uint, uint8, uint16, uint32 / uint64 / nil
    let groups: [&[&'static Type]; 4] = [
        &[types::int(), types::int8(), types::int16(), types::int32()],
        &[types::int64()],
        &[
            types::uint(),
            types::uint8(),
            types::uint16(),
            types::uint32(),
        ],
        &[types::uint64()],
    ];
    let mut cases = Vec::new();
    let mut group_of = Vec::new();
    for (g, ts) in groups.iter().enumerate() {
        for &t in ts.iter() {
            cases.push(Case::Type(t));
            group_of.push(g);
        }
    }
    cases.push(Case::Nil);
    group_of.push(4);
    let sw = TypeSwitch::new(&cases);
    let whatis = |e: &Eface| sw.select(e).map(|k| group_of[k]);
    assert_eq!(whatis(&Eface::from_int(1)), Some(0));
    assert_eq!(
        whatis(&Eface::new(types::int16(), Val::Int(1)).unwrap()),
        Some(0)
    );
    assert_eq!(
        whatis(&Eface::new(types::uint(), Val::Uint(1)).unwrap()),
        Some(2)
    );
    assert_eq!(
        whatis(&Eface::new(types::int64(), Val::Int(1)).unwrap()),
        Some(1)
    );
    assert_eq!(
        whatis(&Eface::new(types::uint64(), Val::Uint(1)).unwrap()),
        Some(3)
    );
    assert_eq!(whatis(&Eface::from_f64(1.5)), None, "default");
    assert_eq!(whatis(&Eface::nil()), Some(4));
    // A named type with an int underlying type is not int.
    assert_eq!(whatis(&int_of(named_int("N", &[]), 1)), None);
}

/// Type switches take the first matching case in source order: an
/// interface case before a concrete one wins; `case interface{}` does not
/// match a nil interface (Go 1.19 printed `stringer first` and `nil`).
#[test]
fn typeswitch_case_order_and_nil() {
    let stringer = Named::new(
        "main",
        "Stringer",
        types::interface_of("main", &[IMethod::new("String", string_sig())]).unwrap(),
    )
    .build()
    .unwrap();
    let ts = Named::new("main", "TS", types::string())
        .method(Method::new("String", string_sig(), nop))
        .build()
        .unwrap();
    let x = Eface::new(ts, Val::from("x")).unwrap();
    let sw = TypeSwitch::new(&[Case::Type(stringer), Case::Type(ts)]);
    assert_eq!(sw.select(&x), Some(0));
    let sw = TypeSwitch::new(&[Case::Type(ts), Case::Type(stringer)]);
    assert_eq!(sw.select(&x), Some(0));
    let sw = TypeSwitch::new(&[Case::Type(types::any()), Case::Nil]);
    assert_eq!(sw.select(&Eface::nil()), Some(1));
    assert_eq!(sw.select(&x), Some(0));
    // The same switch from a non-empty interface value.
    let i = Iface::convert(stringer, &x).unwrap();
    let sw = TypeSwitch::new(&[Case::Nil, Case::Type(ts)]);
    assert_eq!(sw.select_iface(&i), Some(1));
    assert_eq!(sw.select_iface(&Iface::nil(stringer)), Some(0));
    // A typed nil pointer is not nil.
    let p = Eface::new(types::ptr_to(ts), Val::Pointer(None)).unwrap();
    assert!(!p.is_nil());
    assert_eq!(TypeSwitch::new(&[Case::Nil]).select(&p), None);
}
