//! The one place atomics come from.
//!
//! Every gort crate imports its atomics from here, so the choice of backend is
//! made once:
//!
//! - under `--cfg loom`, [loom](https://docs.rs/loom)'s model-checked atomics;
//! - with the `portable-atomic` feature, the `portable-atomic` crate (targets
//!   without compare-and-swap, such as `thumbv6m-none-eabi`, where you pick its
//!   backend);
//! - otherwise `core::sync::atomic`.
//!
//! `AtomicU64` is exported where the target has native 64-bit atomics or
//! `portable-atomic` supplies them (Go's `WaitGroup` needs it on 32-bit targets).
//!
//! # Examples
//!
//! ```
//! use gocore::atomic::{AtomicUsize, Ordering};
//! let n = AtomicUsize::new(1);
//! n.store(2, Ordering::Relaxed);
//! assert_eq!(n.load(Ordering::Relaxed), 2);
//! ```

#[cfg(loom)]
pub use loom::sync::atomic::{
    fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

#[cfg(all(not(loom), feature = "portable-atomic"))]
pub use portable_atomic::{
    fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

#[cfg(all(not(loom), not(feature = "portable-atomic")))]
pub use core::sync::atomic::{
    fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering,
};

#[cfg(all(not(loom), not(feature = "portable-atomic"), target_has_atomic = "64"))]
pub use core::sync::atomic::AtomicU64;

/// Hints the processor that the caller is in a spin loop (x86 `PAUSE`, arm `YIELD`).
///
/// Go: `procyield(1)`. Under loom this yields to the model checker instead, so
/// spin loops terminate in a model.
#[inline]
pub fn spin_loop() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}
