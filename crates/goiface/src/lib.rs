//! Go's interfaces at run time: type descriptors, `eface`/`iface`, the itab
//! table, assertions, type switches, `==` and hashing, and reflection's
//! entry points — faithful to Go 1.19, for Rust programs that host Go
//! semantics (interpreters and VMs for Go-shaped code, tools that model Go
//! values).
//!
//! # Types and values
//!
//! Build descriptors with [`types`] (interned unnamed types) and [`Named`]
//! (defined types with methods); put values in interfaces with [`Eface`]:
//!
//! ```
//! use goiface::{types, Eface, Val};
//! let t = types::slice_of(types::int());
//! assert_eq!(t.to_string(), "[]int");
//! assert_eq!(t.size(), if cfg!(target_pointer_width = "64") { 24 } else { 12 });
//! let e = Eface::new(t, Val::Slice(None)).unwrap();
//! assert!(!e.is_nil());
//! ```
//!
//! Descriptors (`&'static Type`) and the itab table are shared by all
//! threads; values ([`Val`], [`Eface`]) share memory through `Rc` and stay on
//! one thread, as an interpreter's heap does.
//!
//! # Interfaces, itabs and assertions
//!
//! ```
//! use goiface::{assert_e2i, types, Eface, IMethod, Method, Named, Val};
//! fn quack(_: &Val, _: &[Eface], out: &mut [Eface]) { out[0] = Eface::from_string("Quack!"); }
//! let sig = types::func_of(&[], &[types::string()], false);
//! let duck = types::interface_of("main", &[IMethod::new("Quack", sig)]).unwrap();
//! // Chicken never says it implements Duck; its method set is enough.
//! let chicken = Named::new("main", "Chicken", types::struct_of("main", &[]).unwrap())
//!     .method(Method::new("Quack", sig, quack))
//!     .build()
//!     .unwrap();
//! let e = Eface::new(chicken, Val::Struct(vec![])).unwrap();
//! let d = assert_e2i(duck, &e);
//! let mut out = [Eface::nil()];
//! d.call(0, &[], &mut out);
//! assert_eq!(out[0].data(), &Val::from("Quack!"));
//! ```
//!
//! # Equality, hashing and maps
//!
//! ```
//! use goiface::{AnyMap, Eface};
//! let mut m = AnyMap::make();
//! m.insert(Eface::from_f64(0.0), 1);
//! assert_eq!(m.get(&Eface::from_f64(-0.0)), Some(&1)); // +0 == -0
//! ```
//!
//! # Reflection
//!
//! ```
//! use goiface::{value_of, Eface, Kind};
//! let v = value_of(&Eface::from_int(5));
//! assert_eq!(v.kind(), Kind::Int);
//! assert!(!v.can_set());
//! ```
//!
//! # Cargo features
//!
//! - `std` (default): implies `alloc`; gomap's OS-seeded map hashes.
//! - `alloc`: everything but [`Kind`] and the flag constants needs it, and
//!   also compare-and-swap (the type registry and the itab table take a lock):
//!   on targets without CAS (thumbv6m) add `portable-atomic` with a backend.
//! - `portable-atomic`: atomics from portable-atomic (targets without CAS).
//! - `portable-atomic-critical-section`: portable-atomic's critical-section
//!   backend (you supply the `critical-section` implementation).
//!
//! See `ty.rs`, `itab.rs`, `iface.rs`, `alg.rs` and `reflect.rs` for the
//! design of each part.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod kind;
pub use kind::*;

/// Marks the items that need an allocator and a lock (so CAS, native or
/// from portable-atomic).
macro_rules! with_alloc_and_cas {
    ($($item:item)*) => {$(
        #[cfg(all(feature = "alloc", any(target_has_atomic = "ptr", feature = "portable-atomic")))]
        $item
    )*};
}

with_alloc_and_cas! {
mod alg;
mod convert;
mod iface;
mod itab;
mod map;
mod reflect;
mod registry;
mod sha256;
mod ty;
mod value;

pub use alg::{
    efaceeq, ifaceeq, interhash, memhash, memhash32, memhash64, nilinterhash, try_efaceeq,
    try_nilinterhash, RuntimeError, C0, C1,
};
pub use convert::{data_word, DataWord};
/// golayout's basic kinds, used by [`Detail::Basic`].
pub use golayout::BasicKind;
pub use iface::{
    assert_e2i, assert_e2i2, assert_i2i, assert_i2i2, new_ptr, Case, Eface, Iface,
    TypeAssertionError, TypeSwitch, BINARY_SEARCH_MIN,
};
pub use itab::{getitab, itab_table, missing_method, Itab, ItabFn, ItabTable, ITAB_INIT_SIZE};
pub use map::AnyMap;
pub use reflect::{
    type_of, value_of, Flag, Value, FLAG_ADDR, FLAG_EMBED_RO, FLAG_INDIR, FLAG_KIND_MASK,
    FLAG_METHOD, FLAG_RO, FLAG_STICKY_RO,
};
pub use registry::type_count;
pub use ty::{
    method_order, types, Detail, Hop, IMethod, Method, MethodFn, Named, ShapeError, StructField, Type,
    TypeError, HOST_ARCH, MAX_NESTING, MAX_PTRMASK_WORDS,
};
pub use value::{Pointer, SliceVal, Val};
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
