//! Second-pass edge cases of reflection: Go 1.19's panic texts and rules
//! for the zero Value, assignability, `Len` and the flag word.

mod common;

use common::panic_text;
use goiface::*;

/// Setting through the zero Value names the method, as Go's
/// `mustBeAssignableSlow` does for `f == 0`. Go 1.19 printed:
/// `reflect: call of reflect.Value.Set on zero Value` (and `SetInt`,
/// `SetString`); goiface said "… using unaddressable value".
#[test]
fn setting_the_zero_value_names_the_method() {
    let z = value_of(&Eface::nil());
    assert_eq!(
        panic_text(|| z.set(&value_of(&Eface::from_int(1)))),
        "reflect: call of reflect.Value.Set on zero Value"
    );
    assert_eq!(
        panic_text(|| z.set_int(1)),
        "reflect: call of reflect.Value.SetInt on zero Value"
    );
    assert_eq!(
        panic_text(|| z.set_string("x")),
        "reflect: call of reflect.Value.SetString on zero Value"
    );
    // An unaddressable non-zero Value keeps Go's other text.
    assert_eq!(
        panic_text(|| value_of(&Eface::from_string("s")).set_int(1)),
        "reflect: reflect.Value.SetInt using unaddressable value"
    );
}

/// Go 1.19's `Value.Len` on a pointer to an array is the array type's
/// length, without dereferencing (so also for a nil pointer); on a pointer
/// to anything else it panics with its own text. Go 1.19 printed `3` for
/// `reflect.ValueOf((*[3]int)(nil)).Len()` and
/// `reflect: call of reflect.Value.Len on ptr to non-array Value` for a
/// `*int`; goiface said "… on ptr Value" for both.
#[test]
fn len_of_a_pointer_to_an_array_is_the_array_length() {
    let pa = types::ptr_to(types::array_of(3, types::int()));
    let nil = value_of(&Eface::new(pa, Val::Pointer(None)).unwrap());
    assert_eq!(nil.len(), 3);
    let p = new_ptr(
        types::array_of(2, types::string()),
        types::array_of(2, types::string()).zero(),
    )
    .unwrap();
    assert_eq!(value_of(&p).len(), 2);
    let pi = new_ptr(types::int(), Val::Int(1)).unwrap();
    assert_eq!(
        panic_text(|| value_of(&pi).len()),
        "reflect: call of reflect.Value.Len on ptr to non-array Value"
    );
}

/// `flagIndir` as Go 1.19 sets it: every value that lives in memory has it
/// (Elem of a pointer, an element of a slice, a field or element of an
/// indirect aggregate), not only values of non-direct types. Go printed the
/// flag words (amd64 and 386 alike): Elem of `**int` 406, Elem of `*int`
/// 386, `ValueOf(S{p, 1}).Field(0)` 150, `ValueOf(D{p}).Field(0)` 22,
/// `ValueOf(&d).Elem().Field(0)` 406, `ValueOf([]*int{p}).Index(0)` 406,
/// `ValueOf([1]*int{p}).Index(0)` 22, `ValueOf([2]*int{p, p}).Index(1)`
/// 150, `ValueOf(&x).Elem().Addr()` 22, `ValueOf("ab").Index(1)` 136.
/// goiface gave 278, 386, 22, 22, 278, 278, 22, 22, 22, 136 (no indir
/// bit on pointer-shaped values in memory).
#[test]
fn flag_indir_is_set_where_go_sets_it() {
    let pint = types::ptr_to(types::int());
    let x = new_ptr(types::int(), Val::Int(5)).unwrap();
    let px = x.data().clone();
    let ppx = new_ptr(pint, px.clone()).unwrap();
    assert_eq!(value_of(&ppx).elem().flag(), 406);
    assert_eq!(value_of(&x).elem().flag(), 386);
    let s = types::struct_of(
        "main",
        &[types::field("P", pint), types::field("X", types::int())],
    )
    .unwrap();
    let sv = Val::Struct(vec![px.clone(), Val::Int(1)]);
    assert_eq!(value_of(&Eface::new(s, sv).unwrap()).field(0).flag(), 150);
    let d = types::struct_of("main", &[types::field("P", pint)]).unwrap();
    let dv = Val::Struct(vec![px.clone()]);
    assert_eq!(
        value_of(&Eface::new(d, dv.clone()).unwrap())
            .field(0)
            .flag(),
        22
    );
    let pd = new_ptr(d, dv).unwrap();
    assert_eq!(value_of(&pd).elem().field(0).flag(), 406);
    let sl = Val::Slice(Some(SliceVal::new(vec![px.clone()])));
    let sl = Eface::new(types::slice_of(pint), sl).unwrap();
    assert_eq!(value_of(&sl).index(0).flag(), 406);
    let a1 = Eface::new(types::array_of(1, pint), Val::Array(vec![px.clone()])).unwrap();
    assert_eq!(value_of(&a1).index(0).flag(), 22);
    let a2 = Eface::new(types::array_of(2, pint), Val::Array(vec![px.clone(), px])).unwrap();
    assert_eq!(value_of(&a2).index(1).flag(), 150);
    assert_eq!(value_of(&x).elem().addr().flag(), 22);
    assert_eq!(value_of(&Eface::from_string("ab")).index(1).flag(), 136);
}

/// `Value::set` follows Go's `directlyAssignable`: identical underlying
/// types with at most one side named, and a bidirectional chan into a
/// directional one. Go 1.19 printed, for `var mi MyInts` (`type MyInts
/// []int`): `ValueOf(&mi).Elem().Set(ValueOf([]int{1, 2}))` → `[1 2]`;
/// `[]int` ← `MyInts{3}` → `[3]`; `<-chan int` ← `chan int` → ok;
/// `chan int` ← `<-chan int` → `reflect.Set: value of type <-chan int is
/// not assignable to type chan int`; `int` ← `MyInt(3)` → `reflect.Set:
/// value of type main.MyInt is not assignable to type int`. goiface
/// refused the first three ("… is not assignable …").
#[test]
fn set_takes_directly_assignable_values() {
    let ints = types::slice_of(types::int());
    let my = Named::new("main", "MyInts", ints).build().unwrap();
    let two = Val::Slice(Some(SliceVal::new(vec![Val::Int(1), Val::Int(2)])));
    let p = new_ptr(my, Val::Slice(None)).unwrap();
    value_of(&p)
        .elem()
        .set(&value_of(&Eface::new(ints, two.clone()).unwrap()));
    assert_eq!(value_of(&p).elem().val(), two);
    assert_eq!(value_of(&p).elem().typ().to_string(), "main.MyInts");
    let q = new_ptr(ints, Val::Slice(None)).unwrap();
    value_of(&q)
        .elem()
        .set(&value_of(&Eface::new(my, two.clone()).unwrap()));
    assert_eq!(value_of(&q).elem().val(), two);

    // A named struct and its unnamed underlying struct.
    let st = types::struct_of("main", &[types::field("a", types::int())]).unwrap();
    let named = Named::new("main", "T", st).build().unwrap();
    let r = new_ptr(named, named.zero()).unwrap();
    let sv = Val::Struct(vec![Val::Int(7)]);
    value_of(&r)
        .elem()
        .set(&value_of(&Eface::new(st, sv.clone()).unwrap()));
    assert_eq!(value_of(&r).elem().val(), sv);

    let c = types::chan_of(ChanDir::Both, types::int());
    let rc = types::chan_of(ChanDir::Recv, types::int());
    let h: std::rc::Rc<dyn std::any::Any> = std::rc::Rc::new(0u8);
    let chv = Val::Ref(Some(h));
    let pr = new_ptr(rc, Val::Ref(None)).unwrap();
    value_of(&pr)
        .elem()
        .set(&value_of(&Eface::new(c, chv.clone()).unwrap()));
    assert_eq!(value_of(&pr).elem().val(), chv);
    let pc = new_ptr(c, Val::Ref(None)).unwrap();
    assert_eq!(
        panic_text(|| value_of(&pc)
            .elem()
            .set(&value_of(&Eface::new(rc, Val::Ref(None)).unwrap()))),
        "reflect.Set: value of type <-chan int is not assignable to type chan int"
    );
    let my_int = Named::new("main", "MyInt", types::int()).build().unwrap();
    let pi = new_ptr(types::int(), Val::Int(0)).unwrap();
    assert_eq!(
        panic_text(|| value_of(&pi)
            .elem()
            .set(&value_of(&Eface::new(my_int, Val::Int(3)).unwrap()))),
        "reflect.Set: value of type main.MyInt is not assignable to type int"
    );
    // Two named types with one underlying type stay apart.
    let other = Named::new("main", "Other", ints).build().unwrap();
    assert_eq!(
        panic_text(|| value_of(&p)
            .elem()
            .set(&value_of(&Eface::new(other, Val::Slice(None)).unwrap()))),
        "reflect.Set: value of type main.Other is not assignable to type main.MyInts"
    );
}

/// A nil interface value set into a variable of another interface type
/// leaves it nil (Go's `assignTo` special case). Go 1.19 printed `true` for
/// `a = 1; ValueOf(&a).Elem().Set(ValueOf(&err).Elem()); a == nil`.
#[test]
fn setting_a_nil_interface_into_another_interface_type() {
    let sig = types::func_of(&[], &[types::string()], false);
    let error = types::interface_of("", &[IMethod::new("Error", sig)]).unwrap();
    let pe = new_ptr(error, error.zero()).unwrap();
    let pa = new_ptr(types::any(), Val::from(Eface::from_int(1))).unwrap();
    value_of(&pa).elem().set(&value_of(&pe).elem());
    assert!(value_of(&pa).elem().interface().is_nil());
    assert_eq!(value_of(&pa).elem().val(), Val::from(Eface::nil()));
}

/// Read-only bits through unexported and embedded fields, as Go 1.19
/// (`type inner struct{ X int }`, `type Outer struct { inner; p *inner; Q
/// *inner; a [2]int; I any; i any }`, `v := ValueOf(&o).Elem()`) printed
/// (CanSet, CanInterface[, CanAddr]): `v.Field(0)` false false true;
/// `v.Field(0).Field(0)` true true (flagEmbedRO is cleared by Field);
/// `v.Field(1).Elem().Field(0)` false false; `v.Field(2).Elem().Field(0)`
/// true true; `v.Field(3).Index(0)` false false true; `v.Field(4).Elem()`
/// false true false; `v.Field(5).Elem()` false false false;
/// `v.Field(3).Index(0).SetInt(1)` panics `reflect: reflect.Value.SetInt
/// using value obtained using unexported field`; `Set` from it `reflect:
/// reflect.Value.Set using value obtained using unexported field`;
/// `v.Field(0).Addr().Elem().Field(0).SetInt(9)` sets `o.X` to 9;
/// `v.Field(4).Set(ValueOf("s"))` sets `o.I`.
#[test]
fn read_only_bits_through_unexported_and_embedded_fields() {
    let inner = Named::new(
        "main",
        "inner",
        types::struct_of("main", &[types::field("X", types::int())]).unwrap(),
    )
    .build()
    .unwrap();
    let pi = types::ptr_to(inner);
    let outer = Named::new(
        "main",
        "Outer",
        types::struct_of(
            "main",
            &[
                types::embedded(inner),
                types::field("p", pi),
                types::field("Q", pi),
                types::field("a", types::array_of(2, types::int())),
                types::field("I", types::any()),
                types::field("i", types::any()),
            ],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let cell = |x| Val::Pointer(Some(Pointer::new(Val::Struct(vec![Val::Int(x)]))));
    let o = Val::Struct(vec![
        Val::Struct(vec![Val::Int(0)]),
        cell(1),
        cell(2),
        Val::Array(vec![Val::Int(0), Val::Int(0)]),
        Val::from(Eface::from_int(5)),
        Val::from(Eface::from_int(6)),
    ]);
    let po = new_ptr(outer, o).unwrap();
    let v = value_of(&po).elem();
    let bits = |f: &Value| (f.can_set(), f.can_interface(), f.can_addr());
    assert_eq!(bits(&v.field(0)), (false, false, true));
    assert_eq!(bits(&v.field(0).field(0)), (true, true, true));
    assert_eq!(bits(&v.field(1).elem().field(0)), (false, false, true));
    assert_eq!(bits(&v.field(2).elem().field(0)), (true, true, true));
    assert_eq!(bits(&v.field(3).index(0)), (false, false, true));
    assert_eq!(bits(&v.field(4).elem()), (false, true, false));
    assert_eq!(bits(&v.field(5).elem()), (false, false, false));
    assert_eq!(
        panic_text(|| v.field(5).interface()),
        "reflect.Value.Interface: cannot return value obtained from unexported field or method"
    );
    assert_eq!(
        panic_text(|| v.field(3).index(0).set_int(1)),
        "reflect: reflect.Value.SetInt using value obtained using unexported field"
    );
    let x = new_ptr(types::int(), Val::Int(0)).unwrap();
    assert_eq!(
        panic_text(|| value_of(&x).elem().set(&v.field(3).index(0))),
        "reflect: reflect.Value.Set using value obtained using unexported field"
    );
    assert_eq!(
        panic_text(|| v.field(3).addr().elem().index(0).set_int(3)),
        "reflect: reflect.Value.SetInt using value obtained using unexported field"
    );
    v.field(0).addr().elem().field(0).set_int(9);
    assert_eq!(v.field(0).field(0).val(), Val::Int(9));
    v.field(4).set(&value_of(&Eface::from_string("s")));
    assert!(efaceeq(&v.field(4).interface(), &Eface::from_string("s")));
    assert!(!v.field(1).elem().addr().can_interface());
}

/// A value of an interface type goes into a variable of another interface
/// type when the first's method set includes the second's (Go's
/// `reflect.implements` for two interfaces). Go 1.19, with `type R
/// interface{ Read() int }`, `type RW interface{ Read() int; Write() }` and
/// `F` implementing both: `ValueOf(&r).Elem().Set(ValueOf(&rw).Elem())`
/// left `r` holding `main.F` (`r.Read()` 7); the reverse panicked
/// `reflect.Set: value of type main.R is not assignable to type main.RW`.
/// goiface refused the first (an interface type's own method set is empty).
#[test]
fn set_an_interface_value_into_a_smaller_interface() {
    let read = types::func_of(&[], &[types::int()], false);
    let write = types::func_of(&[], &[], false);
    let r = Named::new(
        "main",
        "R",
        types::interface_of("main", &[IMethod::new("Read", read)]).unwrap(),
    )
    .build()
    .unwrap();
    let rw = Named::new(
        "main",
        "RW",
        types::interface_of(
            "main",
            &[IMethod::new("Read", read), IMethod::new("Write", write)],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let f = Named::new("main", "F", types::int())
        .method(Method::new("Read", read, |_, _, out| {
            out[0] = Eface::from_int(7)
        }))
        .method(Method::new("Write", write, |_, _, _| {}))
        .build()
        .unwrap();
    assert!(r.assignable_from(rw) && !rw.assignable_from(r));
    let pr = new_ptr(r, r.zero()).unwrap();
    let prw = new_ptr(rw, Val::from(Eface::new(f, Val::Int(1)).unwrap())).unwrap();
    value_of(&pr).elem().set(&value_of(&prw).elem());
    let got = value_of(&pr).elem().interface();
    assert_eq!(got.typ().map(|t| t.to_string()), Some("main.F".into()));
    let mut out = [Eface::nil()];
    assert_e2i(r, &got).call(0, &[], &mut out);
    assert!(efaceeq(&out[0], &Eface::from_int(7)));
    let prw2 = new_ptr(rw, rw.zero()).unwrap();
    assert_eq!(
        panic_text(|| value_of(&prw2).elem().set(&value_of(&pr).elem())),
        "reflect.Set: value of type main.R is not assignable to type main.RW"
    );
}
