//! The tiny shared core of the gort crates.
//!
//! Go's runtime keeps a handful of services that every data structure leans on:
//! a cheap per-thread random number generator (`fastrand`), a seeded hash
//! (`hash0`), a way to park and ready goroutines (`gopark`/`goready`), the
//! runtime's own lock, and alignment arithmetic. `gocore` is that layer for
//! the gort crates, and nothing more: a piece of code lives here only when two
//! or more crates need it.
//!
//! | module | Go counterpart | used by |
//! |---|---|---|
//! | [`rand`] | `runtime.fastrand`, `fastrandn` | map iteration start, `select` order, mutex spinning |
//! | [`hash`] | `hmap.hash0`, `memhash` | `gomap`, `gosync::SyncMap` |
//! | [`park`] | `gopark` / `goready`, `sudog` wake-ups | `gochan`, `gosync`, `gocontext` |
//! | [`lock`] | the runtime `mutex` (`lock`/`unlock`) | `gochan`'s `hchan.lock` |
//! | [`backoff`] | `procyield`, `osyield` | spinning in locks and channels |
//! | [`align`], [`CachePadded`] | `alignUp`, `cpu.CacheLinePad` | every crate |
//! | [`atomic`] | `runtime/internal/atomic` | every crate |
//! | [`wait`] | `g.waitreason` | `gochan`, `gocontext` (set), `gosched` (read) |
//!
//! # Examples
//!
//! ```
//! use gocore::rand::FastRand;
//!
//! // A seeded generator is reproducible: handy in tests.
//! let mut a = FastRand::new(42);
//! let mut b = FastRand::new(42);
//! assert_eq!(a.next_u32(), b.next_u32());
//! // `fastrandn(n)` is always below `n`.
//! assert!(gocore::rand::fastrandn(10) < 10);
//! assert_eq!(gocore::align::align_up(13, 8), 16);
//! ```
//!
//! # Cargo features
//!
//! - `std` (default): thread parking ([`park::ThreadPark`]), a runtime lock
//!   ([`lock::SpinLock`]) that sleeps once spinning fails, per-thread random
//!   state seeded from the operating system, [`park::block_on`]. Implies `alloc`.
//! - `alloc`: turning any [`park::Park`] into a [`core::task::Waker`].
//! - `portable-atomic`: take atomics from the `portable-atomic` crate, for targets
//!   without compare-and-swap (thumbv6m). Pick a backend too:
//!   `portable-atomic-critical-section` or `portable-atomic-unsafe-assume-single-core`
//!   (the latter is only sound on single-core targets).
//!
//! Without `std` the crate is `#![no_std]`: the global random generator is an
//! atomic counter you can seed with [`rand::seed`], and parking spins
//! ([`park::SpinPark`]) unless you implement [`park::Park`] for your RTOS.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(
        clippy::std_instead_of_core,
        clippy::std_instead_of_alloc,
        clippy::alloc_instead_of_core
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod align;
pub mod atomic;
pub mod backoff;
mod cache_padded;
pub mod hash;
#[cfg(any(target_has_atomic = "8", feature = "portable-atomic"))]
pub mod lock;
#[cfg(loom)]
pub mod model;
pub mod park;
pub mod rand;
pub mod scopeguard;
pub mod wait;

pub use cache_padded::CachePadded;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
