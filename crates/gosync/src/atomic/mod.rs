//! Go's `sync/atomic` package, the part Rust's `core::sync::atomic` lacks:
//! [`Value`], an atomically replaced value of one consistent type.
//!
//! (Inside the crate this module also re-exports `gocore::atomic`, the one
//! place gort's integer atomics come from — core, `portable-atomic` or loom.)

#[allow(unused_imports)] // which ones a build uses depends on its features
pub(crate) use gocore::atomic::*;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod value;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use value::{AnyValue, Value};
