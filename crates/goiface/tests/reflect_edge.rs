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
