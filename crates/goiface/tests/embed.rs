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

/// An embedded interface lends its methods to the struct and its pointer;
/// a call runs the method of the value the field holds. Measured with
/// go1.19: with `type I interface{ M() string }`, `type J interface{ M()
/// string; N() int }`, `type T int` with `func (t T) M() string` returning
/// `"T" + t`, `type S struct{ I }`, `type S2 struct{ S }` and `type Amb
/// struct{ I; J }`: `any(S{T(3)}).(I).M()` is "T3", through `&S{T(4)}` "T4",
/// `S2{S{T(5)}}` "T5", `Amb{}` does not implement I (M is ambiguous), and
/// `S{}` panics with the nil-dereference text.
#[test]
fn embedded_interface_promotes_its_methods_to_s_and_ptr_s() {
    fn m(recv: &Val, _: &[Eface], out: &mut [Eface]) {
        let Val::Int(v) = recv else {
            panic!("M needs T")
        };
        out[0] = Eface::from_string(&format!("T{v}"));
    }
    let sig = types::func_of(&[], &[types::string()], false);
    let n_sig = types::func_of(&[], &[types::int()], false);
    let named = |name, u| Named::new("main", name, u).build().unwrap();
    let i = named(
        "I",
        types::interface_of("main", &[IMethod::new("M", sig)]).unwrap(),
    );
    let j = named(
        "J",
        types::interface_of("main", &[IMethod::new("M", sig), IMethod::new("N", n_sig)]).unwrap(),
    );
    let t = Named::new("main", "T", types::int())
        .method(Method::new("M", sig, m))
        .build()
        .unwrap();
    let s = named(
        "S",
        types::struct_of("main", &[types::embedded(i)]).unwrap(),
    );
    let s2 = named(
        "S2",
        types::struct_of("main", &[types::embedded(s)]).unwrap(),
    );
    let amb = named(
        "Amb",
        types::struct_of("main", &[types::embedded(i), types::embedded(j)]).unwrap(),
    );
    let holding = |e: Eface| Val::Struct(vec![Val::from(e)]);
    let call_m = |e: &Eface| {
        let mut out = [Eface::default()];
        assert_e2i(i, e).call(0, &[], &mut out);
        out[0].data().clone()
    };
    let t3 = Val::String("T3".into());
    assert_eq!(call_m(&Eface::new(s, holding(int_of(t, 3))).unwrap()), t3);
    assert_eq!(
        call_m(&new_ptr(s, holding(int_of(t, 4))).unwrap()),
        Val::String("T4".into())
    );
    let s2v = Val::Struct(vec![holding(int_of(t, 5))]);
    assert_eq!(
        call_m(&Eface::new(s2, s2v).unwrap()),
        Val::String("T5".into())
    );
    // The field may hold a struct that itself only has the promoted method.
    let inner = Eface::new(s, holding(int_of(t, 6))).unwrap();
    assert_eq!(
        call_m(&Eface::new(s, holding(inner)).unwrap()),
        Val::String("T6".into())
    );
    let names: Vec<_> = amb.methods().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["N"]);
    assert!(assert_e2i2(i, &Eface::new(amb, amb.zero()).unwrap()).is_none());
    assert_eq!(
        common::panic_text(|| call_m(&Eface::new(s, s.zero()).unwrap())),
        "runtime error: invalid memory address or nil pointer dereference"
    );
    // What the descriptors say.
    for t in [s, types::ptr_to(s)] {
        let [m] = t.methods() else {
            panic!("{t}: {:?}", t.methods())
        };
        assert!(m.func().is_none() && !m.is_pointer_receiver());
        assert!(matches!(m.interface_method(), Some((it, 0)) if core::ptr::eq(it, i)));
    }
    let e = Eface::new(s, holding(int_of(t, 1))).unwrap();
    let tab = assert_e2i(i, &e).tab().unwrap();
    assert!(matches!(
        tab.fun()[0],
        Some(ItabFn::Embedded { index: 0, inter, .. }) if core::ptr::eq(inter, i)
    ));
}

/// The embedded field types Go refuses. Measured with go1.19 `go build`
/// of `struct{ *I }`, `struct{ P }` (`type P *int`), `struct{
/// unsafe.Pointer }`, `struct{ *unsafe.Pointer }` and `struct{ *P }`.
#[test]
fn embedded_field_types_go_refuses() {
    let i = Named::new("main", "I", iface(&["M"])).build().unwrap();
    let p = Named::new("main", "P", types::ptr_to(types::int()))
        .build()
        .unwrap();
    let up = types::unsafe_pointer();
    let cases = [
        (types::ptr_to(i), "a pointer to an interface"),
        (p, "a pointer"),
        (up, "unsafe.Pointer"),
        (types::ptr_to(up), "unsafe.Pointer"),
        (types::ptr_to(p), "a pointer"),
    ];
    for (typ, why) in cases {
        let err = types::struct_of("main", &[types::embedded(typ)]).unwrap_err();
        assert_eq!(err, TypeError::InvalidEmbedded(why), "{typ}");
        assert_eq!(
            err.to_string(),
            format!("embedded field type cannot be {why}")
        );
        // As a named field, each is fine.
        assert!(types::struct_of("main", &[types::field("f", typ)]).is_ok());
    }
    // What Go embeds: I, *T, T.
    let t = named_int("T", &["M"]);
    for typ in [i, t, types::ptr_to(t)] {
        assert!(
            types::struct_of("main", &[types::embedded(typ)]).is_ok(),
            "{typ}"
        );
    }
}

/// Unexported method names of different packages are different names (Go
/// spec, "Uniqueness of identifiers"): a struct keeps its own `main.m` and
/// the `q.m` promoted from an embedded `q.T`, and two embedded types with
/// `q.m` and `main.m` at one depth do not cancel. Measured with go1.19
/// (`type S struct{ q.T }` with `func (S) m() string`, `type Mix struct{
/// q.T; W }`): `q.Call(S{})` (asserting to `q.I`) printed "q.m",
/// `J(S{}).m()` "main.m", `q.Call(Mix{})` "q.m", `J(Mix{}).m()`
/// "main.W.m". goiface dropped `q.m` from S (shadowed by name alone) and
/// both from Mix (a same-depth "ambiguity").
#[test]
fn unexported_methods_of_different_packages_do_not_collide() {
    fn says(s: &'static str) -> MethodFn {
        match s {
            "q" => |_, _, out| out[0] = Eface::from_string("q.m"),
            "main" => |_, _, out| out[0] = Eface::from_string("main.m"),
            _ => |_, _, out| out[0] = Eface::from_string("main.W.m"),
        }
    }
    let sig = types::func_of(&[], &[types::string()], false);
    let empty = |pkg| types::struct_of(pkg, &[]).unwrap();
    let qt = Named::new("example.com/q", "T", empty("example.com/q"))
        .method(Method::new("m", sig, says("q")))
        .build()
        .unwrap();
    let qi = types::interface_of("example.com/q", &[IMethod::new("m", sig)]).unwrap();
    let j = types::interface_of("main", &[IMethod::new("m", sig)]).unwrap();
    let s = Named::new(
        "main",
        "S",
        types::struct_of("main", &[types::embedded(qt)]).unwrap(),
    )
    .method(Method::new("m", sig, says("main")))
    .build()
    .unwrap();
    let w = Named::new("main", "W", empty("main"))
        .method(Method::new("m", sig, says("W")))
        .build()
        .unwrap();
    let mix = Named::new(
        "main",
        "Mix",
        types::struct_of("main", &[types::embedded(qt), types::embedded(w)]).unwrap(),
    )
    .build()
    .unwrap();
    let call = |inter, t: &'static Type| {
        let e = match t.elem() {
            Some(s) => new_ptr(s, s.zero()).unwrap(),
            None => Eface::new(t, t.zero()).unwrap(),
        };
        let Some(i) = assert_e2i2(inter, &e) else {
            return format!("{t} is not {inter}");
        };
        let mut out = [Eface::default()];
        i.call(0, &[], &mut out);
        format!("{:?}", out[0].data())
    };
    assert_eq!(call(qi, s), "\"q.m\"");
    assert_eq!(call(j, s), "\"main.m\"");
    assert_eq!(call(qi, mix), "\"q.m\"");
    assert_eq!(call(j, mix), "\"main.W.m\"");
    assert_eq!(call(qi, types::ptr_to(s)), "\"q.m\"");
    let names: Vec<_> = s
        .methods()
        .iter()
        .map(|m| (m.name(), m.pkg_path()))
        .collect();
    assert_eq!(names, [("m", "example.com/q"), ("m", "main")]);
}
