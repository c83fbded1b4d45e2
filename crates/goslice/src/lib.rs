//! Go's slices in Rust: shared backing arrays, three-index slicing, the
//! aliasing of `append`, and Go 1.19's exact growth policy.
//!
//! A Go slice is a small header — pointer, length, capacity — over a backing
//! array that other slices may share. [`Slice<T>`] is that header. It behaves
//! as Go's does, including the parts that surprise people, and `append`
//! grows capacity exactly as Go 1.19 does (checked against the real Go
//! toolchain in `tests/go_oracle.rs`).
//!
//! # Headers share arrays
//!
//! Cloning a slice copies the header, and reslicing makes a new header over
//! the same array, so writes through one are seen through the others.
//!
//! ```
//! use goslice::Slice;
//!
//! let a = Slice::from(vec![1, 2, 3, 4]);
//! let b = a.slice(1..3); // b := a[1:3]
//! b.set(0, 20); // b[0] = 20
//! assert_eq!(a, [1, 20, 3, 4]);
//! assert_eq!((b.len(), b.cap()), (2, 3)); // cap runs to the end of a's window
//! assert_eq!(b.slice(..3), [20, 3, 4]); // reslicing up to cap is allowed
//! ```
//!
//! # The append that surprises
//!
//! `append` returns a new header. While there is capacity it writes into the
//! shared array, so two appends to one slice write the same slot; once the
//! capacity is exhausted it copies to a new array, and the slices part ways.
//!
//! ```
//! use goslice::Slice;
//!
//! let a = Slice::<i32>::make(3, 4); // a := make([]int32, 3, 4)
//! let b = a.append(1); // b := append(a, 1): fits, writes a's array
//! let c = a.append(2); // c := append(a, 2): same slot!
//! assert_eq!(b.get(3), 2);
//! let d = b.append(5); // b is full: d gets a new array
//! d.set(0, 100);
//! assert_eq!(b.get(0), 0); // b (and a, c) unaffected
//! assert_eq!(d.cap(), 8);
//! ```
//!
//! A full slice expression limits the capacity so `append` cannot reach
//! into the rest of the array: [`Slice::slice3`] (Go's `s[lo:hi:max]`).
//!
//! # Nil, empty, make
//!
//! ```
//! use goslice::Slice;
//!
//! let n = Slice::<u8>::nil(); // var n []byte
//! let e = Slice::<u8>::empty(); // e := []byte{}
//! assert!(n.is_nil() && !e.is_nil());
//! let m = Slice::<u8>::make(2, 10); // make([]byte, 2, 10)
//! assert_eq!(format!("{m} {} {}", m.len(), m.cap()), "[0 0] 2 10"); // Go's fmt.Println(m, len(m), cap(m))
//! assert_eq!(format!("{m:?}"), "[0, 0]"); // Debug: Rust's list form
//! ```
//!
//! # Bounds errors, Go's words
//!
//! Out-of-range indexing and slicing panic with Go's runtime messages;
//! `try_` methods return a [`BoundsError`] with the same text. Likewise
//! `make` and `append` panic with Go's `makeslice`/`growslice` messages,
//! and [`Slice::try_make`], [`Slice::try_append`] and
//! [`Slice::try_append_vec`] return a [`MakeError`] or [`AppendError`]
//! instead — also when the allocator fails, which the panicking forms
//! report through `handle_alloc_error` (an abort, as for `Vec`; in Go a
//! fatal `out of memory`).
//!
//! ```
//! use goslice::Slice;
//!
//! let s = Slice::<u8>::make(3, 4);
//! assert_eq!(s.try_get(5).unwrap_err().to_string(), "index out of range [5] with length 3");
//! assert_eq!(s.try_slice(..7).unwrap_err().to_string(), "slice bounds out of range [:7] with capacity 4");
//! ```
//!
//! # Growth, exactly as Go
//!
//! [`grow::next_cap`] is Go's `growslice` capacity computation — the growth
//! rule of [`grow::Policy::Go118`] (Go 1.18, 1.19: double below 256, then a
//! smooth slide to 1.25x) or [`grow::Policy::Go117`] (double below 1024,
//! then +25%), followed by rounding up to a malloc size class
//! ([`grow::roundupsize`]).
//!
//! ```
//! use goslice::{grow, Slice};
//!
//! let mut s = Slice::<u64>::nil();
//! let mut caps = vec![];
//! for i in 0..1000u64 {
//!     let before = s.cap();
//!     s.push(i); // s = append(s, i)
//!     if s.cap() != before {
//!         caps.push(s.cap());
//!     }
//! }
//! assert_eq!(caps, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280]);
//! assert_eq!(grow::next_cap(grow::Policy::Go117, 512, 513, 8), 1024);
//! ```
//!
//! # Copy
//!
//! [`copy()`] is Go's `copy(dst, src)`: it copies `min(len)` elements and
//! handles overlapping windows like `memmove`.
//!
//! ```
//! use goslice::Slice;
//!
//! let s = Slice::from(vec![1, 2, 3, 4]);
//! let n = goslice::copy(&s.slice(1..), &s); // shift right
//! assert_eq!((n, s.to_vec()), (3, vec![1, 1, 2, 3]));
//! ```
//!
//! # Reading elements
//!
//! Any header may overwrite any element, so elements come out by value
//! ([`Slice::get`], [`Slice::iter`], which clone) or as a borrowed Rust
//! slice, inside a closure ([`Slice::with`], [`Slice::with_mut`]) or held
//! by a guard ([`Slice::as_slice`], a [`SliceRef`]); a write while such a
//! borrow is out panics instead of invalidating it. Code that only reads
//! many elements should borrow once: indexing and subslicing the borrowed
//! `&[T]` cost what they cost on a `Vec`, while each `get` checks the
//! borrow flag and each `slice` makes a counted header.
//!
//! ```
//! use goslice::Slice;
//!
//! let s = Slice::from((0..100u64).collect::<Vec<_>>());
//! let xs = s.as_slice();
//! let sum: u64 = xs.chunks(16).map(|w| w[0]).sum();
//! assert_eq!(sum, 0 + 16 + 32 + 48 + 64 + 80 + 96);
//! ```
//!
//! # Threads
//!
//! `Slice<T>` is neither `Send` nor `Sync`: its backing array is counted
//! like an `Rc`. Go lets goroutines share slices and leaves data races to
//! the programmer; safe Rust cannot, and making every access atomic would
//! slow down the single-threaded use slices nearly always have. To hand the
//! elements to another thread, convert to a `Vec` ([`Slice::to_vec`]).
//!
//! # Cargo features
//!
//! - `std` (default): nothing beyond `alloc` today; implies `alloc`.
//! - `alloc`: [`Slice`] and everything that needs a heap. Without it only the
//!   [`grow`] module (the growth policy and size classes) is built, which is
//!   `core`-only.
//! - `serde`: `Serialize`/`Deserialize` for [`Slice`], as a sequence of
//!   its `len` elements (implies `alloc`). Nil and empty slices both
//!   serialize as an empty sequence; deserializing makes a new array with
//!   `len == cap`.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use goslice::Slice;
//!
//! let s = Slice::from(vec![1, 2, 3, 4]).slice(1..3); // s := a[1:3]
//! let json = serde_json::to_string(&s).unwrap();
//! assert_eq!(json, "[2,3]"); // the window, not the capacity behind it
//! let back: Slice<i32> = serde_json::from_str(&json).unwrap();
//! assert_eq!((back.len(), back.cap()), (2, 2));
//! assert_eq!(back, s);
//! # }
//! ```
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

pub mod grow;

#[cfg(feature = "alloc")]
mod copy;
#[cfg(feature = "alloc")]
mod error;
#[cfg(feature = "alloc")]
mod external;
#[cfg(feature = "alloc")]
mod iter;
#[cfg(feature = "alloc")]
mod raw;
#[cfg(feature = "alloc")]
mod slice;

#[cfg(feature = "alloc")]
pub use copy::copy;
#[cfg(feature = "alloc")]
pub use error::{AppendError, BoundsError, MakeError};
#[cfg(feature = "alloc")]
pub use iter::Iter;
#[cfg(feature = "alloc")]
pub use raw::SliceRef;
#[cfg(feature = "alloc")]
pub use slice::Slice;

/// The crate README's examples run as doctests.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
