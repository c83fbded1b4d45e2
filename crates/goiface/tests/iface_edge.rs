//! Second-pass edge cases of interface values.

use goiface::*;

/// Converting a value of interface type to `any` keeps its dynamic value
/// (Go: `convI2E`: the type word is the dynamic type, nil stays nil); an
/// interface type is never a dynamic type. Go 1.19 printed `int true int`
/// for `var i any = 1; var e any = i; reflect.TypeOf(e), e == any(1),
/// reflect.ValueOf(e).Kind()`, and `true` for `var r io.Reader; var f any
/// = r; f == nil`. goiface's `Eface::new(any, Val::Iface(1))` had type
/// `interface {}`, was not `== any(1)`, and reflected as kind interface.
#[test]
fn an_interface_typed_value_in_any_is_its_dynamic_value() {
    let e = Eface::new(types::any(), Val::from(Eface::from_int(1))).unwrap();
    assert_eq!(type_of(&e).map(|t| t.to_string()), Some("int".to_string()));
    assert!(efaceeq(&e, &Eface::from_int(1)));
    assert_eq!(value_of(&e).kind(), Kind::Int);
    assert_eq!(e.try_assert(types::int()).ok(), Some(&Val::Int(1)));
    let sig = types::func_of(&[], &[types::string()], false);
    let stringer = types::interface_of("", &[IMethod::new("String", sig)]).unwrap();
    let nil = Eface::new(stringer, stringer.zero()).unwrap();
    assert!(nil.is_nil());
    // Values of types that do not implement the interface are still refused.
    assert!(Eface::new(stringer, Val::from(Eface::from_int(1))).is_err());
}
