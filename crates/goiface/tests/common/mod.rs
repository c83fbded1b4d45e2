//! Shared helpers: building Go-like test types and catching panic texts.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use goiface::{types, Eface, IMethod, Method, Named, Type, Val};

/// The text of the panic raised by `f` (which must panic).
pub fn panic_text<R>(f: impl FnOnce() -> R) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(p) => match p.downcast::<String>() {
            Ok(s) => *s,
            Err(p) => p
                .downcast::<&'static str>()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        },
    }
}

/// A method body that does nothing.
pub fn nop(_: &Val, _: &[Eface], _: &mut [Eface]) {}

/// `func()`.
pub fn sig0() -> &'static Type {
    types::func_of(&[], &[], false)
}

/// `interface { names… }` in package main, every method `func()`.
pub fn iface(names: &[&str]) -> &'static Type {
    let ms: Vec<IMethod> = names.iter().map(|n| IMethod::new(n, sig0())).collect();
    types::interface_of("main", &ms).unwrap()
}

/// `type name int` in package main with value methods `names…`, all `func()`.
pub fn named_int(name: &str, names: &[&str]) -> &'static Type {
    let mut n = Named::new("main", name, types::int());
    for m in names {
        n = n.method(Method::new(m, sig0(), nop));
    }
    n.build().unwrap()
}

/// A value of a named int type.
pub fn int_of(t: &'static Type, i: i64) -> Eface {
    Eface::new(t, Val::Int(i)).unwrap()
}
