//! Method promotion through embedded fields (Go spec, "Struct types":
//! promoted methods and the method sets of S and *S).

mod common;

use common::*;
use goiface::*;

/// `type Counter struct{ n int }` with `func (c *Counter) Inc()` and
/// `func (c Counter) Get() int`.
fn counter() -> &'static Type {
    fn inc(recv: &Val, _: &[Eface], _: &mut [Eface]) {
        let Val::Pointer(Some(p)) = recv else {
            panic!("Inc needs *Counter")
        };
        let n = p.field(0);
        let Val::Int(v) = n.load() else {
            unreachable!()
        };
        n.store(Val::Int(v + 1));
    }
    fn get(recv: &Val, _: &[Eface], out: &mut [Eface]) {
        let Val::Struct(fs) = recv else {
            panic!("Get needs Counter")
        };
        let Val::Int(v) = fs[0] else { unreachable!() };
        out[0] = Eface::from_int(v);
    }
    let get_sig = types::func_of(&[], &[types::int()], false);
    Named::new(
        "main",
        "Counter",
        types::struct_of("main", &[types::field("n", types::int())]).unwrap(),
    )
    .method(Method::new("Inc", sig0(), inc).pointer_receiver())
    .method(Method::new("Get", get_sig, get))
    .build()
    .unwrap()
}

fn incer() -> &'static Type {
    types::interface_of("main", &[IMethod::new("Inc", sig0())]).unwrap()
}

fn getter() -> &'static Type {
    types::interface_of(
        "main",
        &[IMethod::new(
            "Get",
            types::func_of(&[], &[types::int()], false),
        )],
    )
    .unwrap()
}

fn get(i: &Iface) -> Val {
    let mut out = [Eface::nil()];
    i.call(0, &[], &mut out);
    out[0].data().clone()
}

#[test]
fn embedded_value_promotes_value_methods_to_s_and_pointer_methods_to_ptr_s() {
    let c = counter();
    let s = Named::new(
        "main",
        "S",
        types::struct_of(
            "main",
            &[types::embedded(c), types::field("x", types::int())],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    assert_eq!(s.to_string(), "main.S");
    let names = |t: &Type| t.methods().iter().map(|m| m.name()).collect::<Vec<_>>();
    assert_eq!(names(s), ["Get"]);
    assert_eq!(names(types::ptr_to(s)), ["Get", "Inc"]);
    let zero = Val::Struct(vec![Val::Struct(vec![Val::Int(0)]), Val::Int(0)]);
    let sv = Eface::new(s, zero.clone()).unwrap();
    assert_eq!(
        common::panic_text(|| assert_e2i(incer(), &sv)),
        "interface conversion: main.S is not interface { Inc() }: missing method Inc"
    );
    // Through *S, Inc changes the embedded Counter inside S.
    let ps = new_ptr(s, zero).unwrap();
    let inc = assert_e2i(incer(), &ps);
    inc.call(0, &[], &mut []);
    inc.call(0, &[], &mut []);
    let g = assert_e2i(getter(), &ps);
    assert_eq!(get(&g), Val::Int(2));
    assert_eq!(get(&assert_e2i(getter(), &sv)), Val::Int(0));
}

#[test]
fn embedded_pointer_promotes_all_methods_to_both() {
    let c = counter();
    let s = Named::new(
        "main",
        "SP",
        types::struct_of("main", &[types::embedded(types::ptr_to(c))]).unwrap(),
    )
    .build()
    .unwrap();
    assert_eq!(s.methods().len(), 2);
    let shared = Pointer::new(Val::Struct(vec![Val::Int(40)]));
    let sv = Eface::new(s, Val::Struct(vec![Val::Pointer(Some(shared.clone()))])).unwrap();
    // A value of S reaches the Counter through the pointer: Inc works.
    let inc = assert_e2i(incer(), &sv);
    inc.call(0, &[], &mut []);
    inc.call(0, &[], &mut []);
    assert_eq!(get(&assert_e2i(getter(), &sv)), Val::Int(42));
    assert_eq!(shared.load(), Val::Struct(vec![Val::Int(42)]));
    // A nil embedded pointer panics like Go.
    let nil = Eface::new(s, Val::Struct(vec![Val::Pointer(None)])).unwrap();
    assert_eq!(
        common::panic_text(|| get(&assert_e2i(getter(), &nil))),
        "runtime error: invalid memory address or nil pointer dereference"
    );
}

#[test]
fn depth_ambiguity_and_shadowing() {
    let a = named_int("EA", &["M", "N"]);
    let b = named_int("EB", &["M"]);
    // Same depth: M is ambiguous (dropped), N is promoted.
    let s = Named::new(
        "main",
        "Amb",
        types::struct_of("main", &[types::embedded(a), types::embedded(b)]).unwrap(),
    )
    .build()
    .unwrap();
    let names: Vec<_> = s.methods().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["N"]);
    // Depth 2 through a depth-1 embedding: shallower wins.
    let outer = Named::new(
        "main",
        "Outer",
        types::struct_of("main", &[types::embedded(s), types::embedded(b)]).unwrap(),
    )
    .build()
    .unwrap();
    let m = outer.methods().iter().find(|m| m.name() == "M").unwrap();
    assert_eq!(
        m.via(),
        &[Hop {
            field: 1,
            deref: false
        }]
    );
    let n = outer.methods().iter().find(|m| m.name() == "N").unwrap();
    assert_eq!(
        n.via(),
        &[
            Hop {
                field: 0,
                deref: false
            },
            Hop {
                field: 0,
                deref: false
            }
        ]
    );
    // The type's own method shadows promoted ones.
    let own = Named::new(
        "main",
        "Own",
        types::struct_of("main", &[types::embedded(a)]).unwrap(),
    )
    .method(Method::new("M", sig0(), nop))
    .build()
    .unwrap();
    let m = own.methods().iter().find(|m| m.name() == "M").unwrap();
    assert!(m.via().is_empty());
}

#[test]
fn unnamed_struct_with_embedded_field_has_promoted_methods() {
    let a = named_int("EU", &["M"]);
    let s = types::struct_of("main", &[types::embedded(a)]).unwrap();
    assert_eq!(s.to_string(), "struct { main.EU }");
    assert!(s.has_uncommon());
    let e = Eface::new(s, Val::Struct(vec![Val::Int(1)])).unwrap();
    assert!(assert_e2i2(iface(&["M"]), &e).is_some());
}

/// Fields and methods share one namespace (Go spec, "Selectors"): a field
/// at the same or a shallower depth than a promoted method hides it, so the
/// struct does not implement an interface needing that method. Measured
/// with go1.19 (T has `func (T) M()`, U is `struct{ M int }`, W is
/// `struct{ T }`), each `any(x).(I)` panicking:
///
/// ```text
/// interface conversion: struct { M int; main.T } is not main.I: missing method M
/// interface conversion: struct { main.T; main.U } is not main.I: missing method M
/// interface conversion: struct { main.W; main.U } is not main.I: missing method M
/// ```
#[test]
fn fields_hide_promoted_methods_of_the_same_name() {
    let t = named_int("T", &["M"]);
    let u = Named::new(
        "main",
        "U",
        types::struct_of("main", &[types::field("M", types::int())]).unwrap(),
    )
    .build()
    .unwrap();
    let w = Named::new(
        "main",
        "W",
        types::struct_of("main", &[types::embedded(t)]).unwrap(),
    )
    .build()
    .unwrap();
    let i = Named::new("main", "I", iface(&["M"])).build().unwrap();
    let cases = [
        types::struct_of(
            "main",
            &[types::field("M", types::int()), types::embedded(t)],
        )
        .unwrap(),
        types::struct_of("main", &[types::embedded(t), types::embedded(u)]).unwrap(),
        types::struct_of("main", &[types::embedded(w), types::embedded(u)]).unwrap(),
    ];
    for s in cases {
        assert!(s.methods().is_empty(), "{s}: {:?}", s.methods());
        let e = Eface::new(s, s.zero()).unwrap();
        assert_eq!(
            common::panic_text(|| assert_e2i(i, &e)),
            format!("interface conversion: {s} is not main.I: missing method M")
        );
        assert!(types::ptr_to(s).methods().is_empty());
    }
    // A deeper field does not hide a shallower method: struct{ T; V } with
    // V = struct{ U } (field M at depth 2, method M at depth 1).
    let v = Named::new(
        "main",
        "V",
        types::struct_of("main", &[types::embedded(u)]).unwrap(),
    )
    .build()
    .unwrap();
    let s = types::struct_of("main", &[types::embedded(t), types::embedded(v)]).unwrap();
    assert!(assert_e2i2(i, &Eface::new(s, s.zero()).unwrap()).is_some());
}

/// Method declarations Go checks against the type: `func (T) _()` is legal
/// (twice too) and not in the method set (measured: `reflect.TypeOf(T(0)).
/// NumMethod()` is 1 for `T` with `_`, `_` and `A`); a method named like a
/// field of the struct is "field and method with the same name M".
#[test]
fn blank_methods_are_dropped_and_field_names_are_taken() {
    let t = Named::new("main", "T", types::int())
        .method(Method::new("_", sig0(), nop))
        .method(Method::new("_", sig0(), nop))
        .method(Method::new("A", sig0(), nop))
        .build()
        .unwrap();
    let names: Vec<_> = t.methods().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["A"]);
    let fields = |name| types::struct_of("main", &[types::field(name, types::int())]).unwrap();
    let e = Named::new("main", "S", fields("M"))
        .method(Method::new("M", sig0(), nop))
        .build()
        .unwrap_err();
    assert_eq!(e, TypeError::Duplicate("M".into()));
    let e = Named::new("main", "S", fields("m"))
        .method(Method::new("m", sig0(), nop))
        .build()
        .unwrap_err();
    assert_eq!(e, TypeError::Duplicate("m".into()));
    // Another package's unexported field is another identifier.
    let theirs = types::struct_of("example.com/p", &[types::field("m", types::int())]).unwrap();
    assert!(Named::new("main", "S", theirs)
        .method(Method::new("m", sig0(), nop))
        .build()
        .is_ok());
}
