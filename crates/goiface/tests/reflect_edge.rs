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
