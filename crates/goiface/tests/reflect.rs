//! reflect entry points beyond the seed's laws: Index/Len on arrays, slices
//! and strings, addressability through them, and Go's panic texts.

mod common;

use common::panic_text;
use goiface::*;

#[test]
fn index_and_len_on_arrays_slices_strings() {
    let at = types::array_of(3, types::int());
    let arr = Eface::new(at, Val::Array(vec![Val::Int(1), Val::Int(2), Val::Int(3)])).unwrap();
    let v = value_of(&arr);
    assert_eq!(v.len(), 3);
    assert_eq!(v.index(2).val(), Val::Int(3));
    assert!(
        !v.index(0).can_set(),
        "an array copied into an interface is not addressable"
    );
    assert_eq!(
        panic_text(|| v.index(3)),
        "reflect: array index out of range"
    );
    // Through a pointer, array elements are settable.
    let p = new_ptr(at, at.zero()).unwrap();
    let e1 = value_of(&p).elem().index(1);
    assert!(e1.can_set());
    e1.set_int(9);
    assert_eq!(
        value_of(&p).elem().val(),
        Val::Array(vec![Val::Int(0), Val::Int(9), Val::Int(0)])
    );

    let st = types::slice_of(types::string());
    let nil = Eface::new(st, Val::Slice(None)).unwrap();
    assert_eq!(value_of(&nil).len(), 0);
    assert_eq!(
        panic_text(|| value_of(&nil).index(0)),
        "reflect: slice index out of range"
    );

    let s = value_of(&Eface::from_string("go"));
    assert_eq!(s.len(), 2);
    let g = s.index(0);
    assert_eq!((g.kind(), g.val()), (Kind::Uint8, Val::Uint(b'g' as u64)));
    assert!(!g.can_set());
    assert_eq!(
        panic_text(|| s.index(2)),
        "reflect: string index out of range"
    );

    assert_eq!(
        panic_text(|| value_of(&Eface::from_int(1)).len()),
        "reflect: call of reflect.Value.Len on int Value"
    );
    let m = Eface::new(
        types::map_of(types::int(), types::int()).unwrap(),
        Val::Ref(None),
    )
    .unwrap();
    assert_eq!(
        panic_text(|| value_of(&m).len()),
        "goiface: reflect.Value.Len of a map value is not modelled (its contents are an opaque handle)"
    );
    assert_eq!(
        panic_text(|| value_of(&Eface::from_int(1)).index(0)),
        "reflect: call of reflect.Value.Index on int Value"
    );
}

#[test]
fn interface_fields_and_kinds() {
    let t = types::struct_of("main", &[types::field("X", types::any())]).unwrap();
    let empty = value_of(&Eface::new(t, t.zero()).unwrap()).field(0);
    assert_eq!(empty.kind(), Kind::Interface);
    assert!(
        !empty.elem().is_valid(),
        "Elem of a nil interface is the zero Value"
    );
    let full = Eface::new(t, Val::Struct(vec![Val::from(Eface::from_f64(1.5))])).unwrap();
    let x = value_of(&full).field(0);
    assert_eq!(x.elem().kind(), Kind::Float64);
    assert!(efaceeq(&x.interface(), &Eface::from_f64(1.5)));
    assert_eq!(
        panic_text(|| value_of(&Eface::nil()).typ()),
        "reflect: call of reflect.Value.Type on zero Value"
    );
    assert_eq!(
        panic_text(|| value_of(&Eface::from_int(1)).addr()),
        "reflect.Value.Addr of unaddressable value"
    );
}

/// `reflect.FuncOf(in, out, true)` panics "reflect.FuncOf: last arg of
/// variadic func must be slice" when the last parameter is not a slice or
/// there is none (Go 1.19 `reflect/type.go`); `types::func_of` used to
/// drop the flag silently and build `func(int)`.
#[test]
fn variadic_func_of_needs_a_trailing_slice() {
    const MSG: &str = "reflect.FuncOf: last arg of variadic func must be slice";
    assert_eq!(
        common::panic_text(|| types::func_of(&[types::int()], &[], true)),
        MSG
    );
    assert_eq!(common::panic_text(|| types::func_of(&[], &[], true)), MSG);
    let f = types::func_of(&[types::slice_of(types::int())], &[], true);
    assert_eq!(f.to_string(), "func(...int)");
    assert_eq!(
        types::func_of(&[types::int()], &[], false).to_string(),
        "func(int)"
    );
}

/// `reflect.ChanOf` panics "reflect.ChanOf: element size too large" for an
/// element of 1<<16 bytes or more (gc rejects `chan [65536]byte` too:
/// "channel element type too large (>64kB)"); 65535 bytes is fine.
#[test]
fn chan_of_refuses_elements_of_64_kib() {
    let big = types::array_of(1 << 16, types::uint8());
    assert_eq!(
        common::panic_text(|| types::chan_of(ChanDir::Both, big)),
        "reflect.ChanOf: element size too large"
    );
    let ok = types::array_of((1 << 16) - 1, types::uint8());
    assert_eq!(
        types::chan_of(ChanDir::Recv, ok).to_string(),
        "<-chan [65535]uint8"
    );
}

/// Names Go's type checker refuses: an interface method `_` ("methods must
/// have a unique non-blank name") and empty names (no identifier); goiface
/// built `interface { main._() }`, `interface { main.() }` and
/// `struct {  int }`.
#[test]
fn blank_interface_methods_and_empty_names_are_refused() {
    let f = types::func_of(&[], &[], false);
    let e = types::interface_of("main", &[IMethod::new("_", f)]).unwrap_err();
    assert_eq!(e, TypeError::InvalidName("_".into()));
    assert_eq!(e.to_string(), "methods must have a unique non-blank name");
    let e = types::interface_of("main", &[IMethod::new("", f)]).unwrap_err();
    assert_eq!(e.to_string(), "empty field or method name");
    let e = types::struct_of("main", &[types::field("", types::int())]).unwrap_err();
    assert_eq!(e, TypeError::InvalidName(String::new()));
    let e = Named::new("main", "T", types::int())
        .method(Method::new("", f, |_, _, _| {}))
        .build()
        .unwrap_err();
    assert_eq!(e, TypeError::InvalidName(String::new()));
    // Blank struct fields stay legal.
    assert!(types::struct_of("main", &[types::field("_", types::int())]).is_ok());
}
