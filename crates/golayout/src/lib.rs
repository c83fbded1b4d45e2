//! Go struct layout and alignment calculator for every GOARCH, with a CLI that reads Go source.
//!
//! golayout computes what Go 1.19's gc compiler computes for `unsafe.Sizeof`,
//! `unsafe.Alignof` and `unsafe.Offsetof` on each `GOARCH`, shows where the
//! padding is, suggests the field order that `fieldalignment` would, and warns
//! about 64-bit fields that 32-bit targets leave 4-aligned. Every rule is
//! checked against the real compiler (see `tests/go_oracle.rs`).
//!
//! # Sizes and offsets
//!
//! Build a [`GoType`] by hand and ask for its layout on an [`Arch`]:
//!
//! ```
//! use golayout::{Arch, BasicKind::*, GoType};
//! let t = GoType::struct_of([("a", GoType::Basic(Int8)), ("b", GoType::Basic(Int64))]);
//! assert_eq!(golayout::sizeof(&t, Arch::I386)?, 12); // int64 is 4-aligned on 386
//! assert_eq!(golayout::sizeof(&t, Arch::Amd64)?, 16);
//! # Ok::<(), golayout::LayoutError>(())
//! ```
//!
//! # Reading Go source
//!
//! A [`Program`] parses Go files and resolves their types; it already knows the
//! common standard-library types (`sync.Mutex`, `sync.WaitGroup`, `time.Time`,
//! `atomic.Int64`, …):
//!
//! ```
//! use golayout::{Arch, Program};
//! let mut prog = Program::with_stdlib();
//! let pkg = prog.add_source("example.com/demo", "demo.go", r#"
//!     package demo
//!     import "sync/atomic"
//!     type Counter struct {
//!         on bool
//!         n  atomic.Int64 // 8-aligned even on 386, thanks to align64
//!     }
//! "#)?;
//! let t = prog.resolver(Arch::I386).resolve(pkg, "Counter")?;
//! let l = golayout::layout(&t, Arch::I386)?;
//! assert_eq!((l.info.size, l.fields[1].offset), (16, 8));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! # Padding and a better order
//!
//! ```
//! use golayout::{Arch, BasicKind::*, GoType};
//! let GoType::Struct(s) = GoType::struct_of([
//!     ("a", GoType::Basic(Int8)), ("b", GoType::Basic(Int32)), ("c", GoType::Basic(Int16)),
//! ]) else { unreachable!() };
//! let r = golayout::analyze(&s, Arch::Amd64)?;
//! assert_eq!(r.padding_bytes(), 5);
//! assert_eq!((r.optimal_order.as_slice(), r.saving()), ([1, 2, 0].as_slice(), 4));
//! # Ok::<(), golayout::LayoutError>(())
//! ```
//!
//! # 64-bit atomics on 32-bit targets
//!
//! ```
//! use golayout::{Arch, BasicKind::*, GoType};
//! let t = GoType::struct_of([("flag", GoType::Basic(Int32)), ("hits", GoType::Basic(Uint64))]);
//! let w = golayout::atomic64_check(&t, Arch::Arm, &|name: &str| name == "hits")?;
//! assert_eq!(w[0].offset, 4); // atomic.AddUint64(&x.hits, 1) would panic on arm
//! # Ok::<(), golayout::LayoutError>(())
//! ```
//!
//! # The CLI
//!
//! `golayout [--arch LIST] [--format text|json] [--optimize] [--check] PATTERN...`
//! loads packages as the go command does ([`load`]: `./...`, `std`, import
//! paths, modules, `vendor/`, the module cache), draws every struct as a byte
//! map, prints JSON, or lints: `--check` reports `fieldalignment`'s findings
//! and 64-bit atomic fields a 32-bit arch misaligns, and exits 1 when there
//! are any (2 for usage and load errors).
//!
//! # Cargo features
//!
//! - `std` (default): the `golayout` binary and [`cli`] (reading files and directories).
//! - `alloc`: everything else (type model, calculator, reports, parser).
//!   Without it only [`Arch`] remains. The crate is `no_std` and has no
//!   `unsafe` code and no dependencies.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod arch;
pub use arch::{Arch, UnknownArch};

#[cfg(feature = "alloc")]
pub mod parse;
#[cfg(feature = "alloc")]
mod report;
#[cfg(feature = "alloc")]
mod resolve;
#[cfg(feature = "alloc")]
mod sizes;
#[cfg(feature = "alloc")]
pub mod stdlib;
#[cfg(feature = "alloc")]
mod ty;

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod cli;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod load;

#[cfg(feature = "alloc")]
pub use report::{
    analyze, analyze_type, atomic64_check, atomic64_types, optimal_order, pack, padding,
    AtomicWarning, Padding, Report,
};
#[cfg(feature = "alloc")]
pub use resolve::{Package, Program, ResolveError, ResolveErrorKind, Resolver, SourceFile};
#[cfg(feature = "alloc")]
pub use sizes::{
    alignof, info, layout, offsetsof, sizeof, struct_layout, FieldLayout, Info, LayoutError,
    StructLayout,
};
#[cfg(feature = "alloc")]
pub use ty::{BasicKind, ChanDir, Field, GoType, Named, Struct, TypeName};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
