//! Scenarios of Go 1.19's `reflect/all_test.go` (and the rules it relies on)
//! for goiface's reflection entry points: the panic texts of the zero Value
//! and of wrong kinds, settability of slice and array elements, string
//! indexing, interface-typed places, and `Set` with interface targets.
//! Each expected text or value was printed by a Go 1.19 program doing the
//! same.

mod common;

use common::*;
use goiface::*;

fn int_ptr(i: i64) -> Eface {
    new_ptr(types::int(), Val::Int(i)).unwrap()
}

/// `reflect.Value{}`: the zero Value reports invalid and false, and every
/// method that needs a kind panics naming itself.
#[test]
fn zero_value_methods() {
    let z = value_of(&Eface::nil());
    assert!(!z.is_valid());
    assert_eq!(z.kind(), Kind::Invalid);
    assert!(!z.can_set());
    assert!(!z.can_addr());
    for (name, text) in [
        ("Field", panic_text(|| z.field(0))),
        ("NumField", panic_text(|| z.num_field())),
        ("Interface", panic_text(|| z.interface())),
        ("Len", panic_text(|| z.len())),
        ("Index", panic_text(|| z.index(0))),
        ("Elem", panic_text(|| z.elem())),
        ("CanInterface", panic_text(|| z.can_interface())),
    ] {
        assert_eq!(
            text,
            format!("reflect: call of reflect.Value.{name} on zero Value")
        );
    }
    assert_eq!(
        panic_text(|| z.addr()),
        "reflect.Value.Addr of unaddressable value"
    );
}

/// all_test.go `TestFieldPanic`/`TestIndex`-style misuse: methods on the
/// wrong kind name the method and the kind.
#[test]
fn wrong_kind_panics() {
    let five = value_of(&Eface::from_int(5));
    assert_eq!(
        panic_text(|| five.elem()),
        "reflect: call of reflect.Value.Elem on int Value"
    );
    assert_eq!(
        panic_text(|| five.field(0)),
        "reflect: call of reflect.Value.Field on int Value"
    );
    assert_eq!(
        panic_text(|| five.num_field()),
        "reflect: call of reflect.Value.NumField on int Value"
    );
    let one = types::struct_of("main", &[types::field("A", types::int())]).unwrap();
    let s = value_of(&Eface::new(one, one.zero()).unwrap());
    assert_eq!(
        panic_text(|| s.field(1)),
        "reflect: Field index out of range"
    );
    let empty = types::struct_of("main", &[]).unwrap();
    let e = value_of(&Eface::new(empty, empty.zero()).unwrap());
    assert_eq!(
        panic_text(|| e.len()),
        "reflect: call of reflect.Value.Len on struct Value"
    );
    assert_eq!(
        panic_text(|| e.index(0)),
        "reflect: call of reflect.Value.Index on struct Value"
    );
    // Through a pointer: no implicit dereference (but Len of *[N]T works).
    let ps = value_of(&new_ptr(one, one.zero()).unwrap());
    assert_eq!(
        panic_text(|| ps.field(0)),
        "reflect: call of reflect.Value.Field on ptr Value"
    );
    assert_eq!(
        panic_text(|| ps.num_field()),
        "reflect: call of reflect.Value.NumField on ptr Value"
    );
    let arr2 = types::array_of(2, types::int());
    let pa = value_of(&new_ptr(arr2, arr2.zero()).unwrap());
    assert_eq!(pa.len(), 2);
    assert_eq!(
        panic_text(|| pa.index(0)),
        "reflect: call of reflect.Value.Index on ptr Value"
    );
    // Setters check the kind after settability.
    let x = value_of(&int_ptr(5)).elem();
    assert_eq!(
        panic_text(|| x.set_string("a")),
        "reflect: call of reflect.Value.SetString on int Value"
    );
    let u8p = new_ptr(types::uint8(), Val::Uint(0)).unwrap();
    assert_eq!(
        panic_text(|| value_of(&u8p).elem().set_int(3)),
        "reflect: call of reflect.Value.SetInt on uint8 Value"
    );
    let ss = Eface::new(
        types::slice_of(types::string()),
        Val::Slice(Some(SliceVal::new(vec![Val::from("a")]))),
    )
    .unwrap();
    assert_eq!(
        panic_text(|| value_of(&ss).index(0).set_int(1)),
        "reflect: call of reflect.Value.SetInt on string Value"
    );
}

/// `SetInt` truncates to the type's width, as Go's does (`int8` ← 300 is 44).
#[test]
fn set_int_truncates() {
    let p = new_ptr(types::int8(), Val::Int(0)).unwrap();
    value_of(&p).elem().set_int(300);
    assert_eq!(value_of(&p).elem().val(), Val::Int(44));
    value_of(&p).elem().set_int(-129);
    assert_eq!(value_of(&p).elem().val(), Val::Int(127));
}

/// Slice elements are addressable and settable even when the slice Value
/// is not (they live in the backing array); array elements of an array held
/// by value are neither; string bytes are `uint8` and neither.
#[test]
fn slice_array_and_string_elements() {
    let st = types::slice_of(types::int());
    let sl = SliceVal::new(vec![Val::Int(1), Val::Int(2), Val::Int(3)]);
    let sv = value_of(&Eface::new(st, Val::Slice(Some(sl.clone()))).unwrap());
    assert!(!sv.can_set() && !sv.can_addr());
    assert!(sv.index(0).can_set() && sv.index(0).can_addr());
    sv.index(1).set_int(20);
    assert_eq!(sl.get(1), Val::Int(20));
    // Addr of an element, then Elem, writes the same element.
    sv.index(2).addr().elem().set_int(30);
    assert_eq!(sl.get(2), Val::Int(30));
    let ss = SliceVal::new(vec![Val::from("a")]);
    let ssv = value_of(
        &Eface::new(
            types::slice_of(types::string()),
            Val::Slice(Some(ss.clone())),
        )
        .unwrap(),
    );
    ssv.index(0).set_string("b");
    assert_eq!(ss.get(0), Val::from("b"));

    let at = types::array_of(2, types::int());
    let av = value_of(&Eface::new(at, Val::Array(vec![Val::Int(1), Val::Int(2)])).unwrap());
    assert!(!av.index(0).can_set() && !av.index(0).can_addr());
    let pa = value_of(&new_ptr(at, Val::Array(vec![Val::Int(1), Val::Int(2)])).unwrap());
    assert!(pa.elem().index(1).can_set());

    let b = value_of(&Eface::from_string("abc")).index(1);
    assert_eq!(b.kind(), Kind::Uint8);
    assert_eq!(b.val(), Val::Uint(98));
    assert!(!b.can_set() && !b.can_addr());
}

/// `Elem` of a nil pointer and of a nil interface place is the zero Value;
/// a pointer to a pointer's `Elem().Elem()` is settable.
#[test]
fn elem_of_nil_and_of_pointer_chains() {
    let pp = Eface::new(types::ptr_to(types::int()), Val::Pointer(None)).unwrap();
    assert!(!value_of(&pp).elem().is_valid());
    let q = int_ptr(5);
    let qq = new_ptr(types::ptr_to(types::int()), q.data().clone()).unwrap();
    let v = value_of(&qq).elem().elem();
    assert!(v.can_set());
    v.set_int(6);
    assert_eq!(value_of(&q).elem().val(), Val::Int(6));

    let i = iface(&["M"]);
    let j = new_ptr(i, i.zero()).unwrap();
    let jv = value_of(&j).elem();
    assert_eq!(jv.kind(), Kind::Interface);
    assert!(!jv.elem().is_valid());
}

/// `var a any = 5; w := ValueOf(&a).Elem()`: `w` is a settable interface
/// place; `w.Elem()` is the int copied out, not settable; `w.Set` stores a
/// new dynamic value, and a nil interface Value stores nil.
#[test]
fn interface_places() {
    let a = new_ptr(types::any(), Val::from(Eface::from_int(5))).unwrap();
    let w = value_of(&a).elem();
    assert_eq!(w.kind(), Kind::Interface);
    assert!(w.can_set());
    assert_eq!(w.elem().kind(), Kind::Int);
    assert!(!w.elem().can_set());
    assert_eq!(
        panic_text(|| w.elem().set_int(3)),
        "reflect: reflect.Value.SetInt using unaddressable value"
    );
    w.set(&value_of(&Eface::from_int(7)));
    assert!(efaceeq(&w.interface(), &Eface::from_int(7)));
    // reflect.Zero(any): a nil interface Value (here: an `any` field).
    let holder = types::struct_of("main", &[types::field("X", types::any())]).unwrap();
    let nil_any = value_of(&Eface::new(holder, holder.zero()).unwrap()).field(0);
    assert_eq!(nil_any.kind(), Kind::Interface);
    w.set(&nil_any);
    assert!(w.interface().is_nil());
    assert!(w.elem().kind() == Kind::Invalid);
}

/// `Set` into a field of interface type `I` takes values whose type
/// implements `I`, and refuses others with Go's text; the stored value
/// reflects as the dynamic type. `Set` of the zero Value and of a value read
/// through an unexported field panic as Go's do.
#[test]
fn set_interface_field_and_source_checks() {
    let i = Named::new("main", "I", iface(&["M"])).build().unwrap();
    let t = named_int("T", &["M"]);
    let s = Named::new(
        "main",
        "S",
        types::struct_of(
            "main",
            &[
                types::field("A", types::int()),
                types::field("b", types::int()),
                types::field("J", i),
            ],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let v = value_of(&new_ptr(s, s.zero()).unwrap()).elem();
    assert_eq!(
        panic_text(|| v.field(2).set(&value_of(&Eface::from_int(5)))),
        "reflect.Set: value of type int is not assignable to type main.I"
    );
    v.field(2).set(&value_of(&int_of(t, 1)));
    assert_eq!(v.field(2).kind(), Kind::Interface);
    assert_eq!(v.field(2).elem().kind(), Kind::Int);
    assert_eq!(v.field(2).elem().typ().to_string(), "main.T");
    assert_eq!(
        panic_text(|| v.field(0).set(&value_of(&Eface::nil()))),
        "reflect: call of reflect.Value.Set on zero Value"
    );
    assert_eq!(
        panic_text(|| v.field(0).set(&v.field(1))),
        "reflect: reflect.Value.Set using value obtained using unexported field"
    );
    assert!(v.field(1).can_addr() && !v.field(1).can_set());
    let x = value_of(&int_ptr(5)).elem();
    let i8v = Eface::new(types::int8(), Val::Int(1)).unwrap();
    assert_eq!(
        panic_text(|| x.set(&value_of(&i8v))),
        "reflect.Set: value of type int8 is not assignable to type int"
    );
}

/// `Set` with a Value of interface kind: an `I` place's Value goes into
/// an `any` or another `I` place (the dynamic value is copied, a nil `I`
/// makes the target nil); into `int` or a wider interface `K` it panics
/// naming the interface type. `Interface()` of an `I` place is its dynamic
/// value. Go 1.19 printed `main.T 1`, `reflect.Set: value of type interface
/// {} is not assignable to type int`, `reflect.Set: value of type main.I is
/// not assignable to type main.K`, `true` and `main.T`.
#[test]
fn set_from_interface_kind_values() {
    let i = Named::new("main", "I", iface(&["M"])).build().unwrap();
    let k = Named::new("main", "K", iface(&["M", "N"])).build().unwrap();
    let t = named_int("T", &["M"]);
    let ip = new_ptr(i, Val::from(int_of(t, 1))).unwrap();
    let iv = value_of(&ip).elem();
    assert_eq!(iv.kind(), Kind::Interface);
    assert!(iv.can_set() && !iv.elem().can_set());
    assert_eq!(iv.elem().typ().to_string(), "main.T");
    assert!(efaceeq(&iv.interface(), &int_of(t, 1)));

    let a = new_ptr(types::any(), types::any().zero()).unwrap();
    let av = value_of(&a).elem();
    av.set(&iv);
    assert!(efaceeq(&av.interface(), &int_of(t, 1)));
    assert_eq!(av.elem().typ().to_string(), "main.T");

    let j = new_ptr(i, i.zero()).unwrap();
    value_of(&j).elem().set(&iv);
    assert!(efaceeq(&value_of(&j).elem().interface(), &int_of(t, 1)));

    let x = value_of(&new_ptr(types::int(), Val::Int(0)).unwrap()).elem();
    let b = new_ptr(types::any(), Val::from(Eface::from_int(5))).unwrap();
    assert_eq!(
        panic_text(|| x.set(&value_of(&b).elem())),
        "reflect.Set: value of type interface {} is not assignable to type int"
    );
    let kp = new_ptr(k, k.zero()).unwrap();
    assert_eq!(
        panic_text(|| value_of(&kp).elem().set(&iv)),
        "reflect.Set: value of type main.I is not assignable to type main.K"
    );
    // A nil I stored into `any` (holding 7) makes it nil.
    let a7 = new_ptr(types::any(), Val::from(Eface::from_int(7))).unwrap();
    let n = new_ptr(i, i.zero()).unwrap();
    value_of(&a7).elem().set(&value_of(&n).elem());
    assert!(value_of(&a7).elem().interface().is_nil());
}
