//! Errors: Go's bounds-check panics and `make` failures, as values.
//!
//! Each `Display` is Go's runtime message without its `runtime error: `
//! prefix (Go: `boundsErrorFmts` in runtime/error.go, `panicmakeslicelen`,
//! `panicmakeslicecap` and `growslice`'s panic in runtime/slice.go). The
//! panicking methods panic with exactly that text. An allocator failure is
//! a fatal error in Go (`throw("out of memory")`, runtime/mheap.go): the
//! `try_` methods return it as a value, the others call
//! `alloc::alloc::handle_alloc_error`, as `Vec` does.

use core::alloc::Layout;
use core::fmt;

use crate::grow::GrowError;

/// An index or slice expression out of range: the value form of Go's bounds
/// panics.
///
/// Go: `runtime.boundsError` (runtime/error.go). The variants follow Go's
/// `boundsErrorCode`s that slices can produce.
///
/// # Examples
///
/// ```
/// use goslice::{BoundsError, Slice};
///
/// let s = Slice::from(vec![1, 2, 3]);
/// let e = s.try_get(5).unwrap_err();
/// assert_eq!(e, BoundsError::Index { index: 5, len: 3 });
/// assert_eq!(e.to_string(), "index out of range [5] with length 3");
/// let e = s.try_slice(..7).unwrap_err();
/// assert_eq!(e.to_string(), "slice bounds out of range [:7] with capacity 3");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoundsError {
    /// `s[index]` with `index >= len`. Go: `boundsIndex`,
    /// "index out of range [%x] with length %y".
    Index {
        /// The index used.
        index: usize,
        /// The slice's length.
        len: usize,
    },
    /// `s[lo:hi]` with `hi > cap`. Go: `boundsSliceAcap`,
    /// "slice bounds out of range [:%x] with capacity %y".
    SliceAcap {
        /// The high bound used.
        hi: usize,
        /// The slice's capacity.
        cap: usize,
    },
    /// `s[lo:hi]` with `lo > hi`. Go: `boundsSliceB`,
    /// "slice bounds out of range [%x:%y]".
    SliceB {
        /// The low bound used.
        lo: usize,
        /// The high bound used.
        hi: usize,
    },
    /// `s[lo:hi:max]` with `max > cap`. Go: `boundsSlice3Acap`,
    /// "slice bounds out of range [::%x] with capacity %y".
    Slice3Acap {
        /// The max bound used.
        max: usize,
        /// The slice's capacity.
        cap: usize,
    },
    /// `s[lo:hi:max]` with `hi > max`. Go: `boundsSlice3B`,
    /// "slice bounds out of range [:%x:%y]".
    Slice3B {
        /// The high bound used.
        hi: usize,
        /// The max bound used.
        max: usize,
    },
    /// `s[lo:hi:max]` with `lo > hi`. Go: `boundsSlice3C`,
    /// "slice bounds out of range [%x:%y:]".
    Slice3C {
        /// The low bound used.
        lo: usize,
        /// The high bound used.
        hi: usize,
    },
}

impl fmt::Display for BoundsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BoundsError::Index { index, len } => {
                write!(f, "index out of range [{index}] with length {len}")
            }
            BoundsError::SliceAcap { hi, cap } => {
                write!(f, "slice bounds out of range [:{hi}] with capacity {cap}")
            }
            BoundsError::SliceB { lo, hi } => write!(f, "slice bounds out of range [{lo}:{hi}]"),
            BoundsError::Slice3Acap { max, cap } => {
                write!(f, "slice bounds out of range [::{max}] with capacity {cap}")
            }
            BoundsError::Slice3B { hi, max } => {
                write!(f, "slice bounds out of range [:{hi}:{max}]")
            }
            BoundsError::Slice3C { lo, hi } => write!(f, "slice bounds out of range [{lo}:{hi}:]"),
        }
    }
}

impl core::error::Error for BoundsError {}

/// `make(len, cap)` asked for an impossible slice, or the allocator could
/// not provide it.
///
/// Go: `panicmakeslicelen` / `panicmakeslicecap` (runtime/slice.go). As in
/// Go, a length that alone is too large reports `LenOutOfRange`; a capacity
/// below the length, or too large, reports `CapOutOfRange`. "Too large"
/// means more than Go's `maxAlloc` bytes ([`MAX_ALLOC`](crate::grow::MAX_ALLOC),
/// 2^48 on 64-bit targets: exactly 2^48 bytes passes the check, as in Go) or
/// more than a Rust allocation can hold (`isize::MAX` bytes with the array
/// header, which is the tighter bound on 32-bit targets). A size that passes
/// these checks but that the allocator refuses is [`MakeError::AllocError`].
///
/// # Examples
///
/// ```
/// use goslice::{MakeError, Slice};
///
/// let e = Slice::<u8>::try_make(5, 3).unwrap_err();
/// assert_eq!(e, MakeError::CapOutOfRange);
/// assert_eq!(e.to_string(), "makeslice: cap out of range");
/// assert_eq!(Slice::<u64>::try_make(usize::MAX, usize::MAX).unwrap_err(), MakeError::LenOutOfRange);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MakeError {
    /// Go: "makeslice: len out of range".
    LenOutOfRange,
    /// Go: "makeslice: cap out of range".
    CapOutOfRange,
    /// The allocator returned null for the backing array. Go: the fatal
    /// `out of memory` of `mallocgc`.
    AllocError {
        /// The layout that was requested (array header included).
        layout: Layout,
    },
}

impl fmt::Display for MakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MakeError::LenOutOfRange => f.write_str("makeslice: len out of range"),
            MakeError::CapOutOfRange => f.write_str("makeslice: cap out of range"),
            MakeError::AllocError { layout } => out_of_memory(f, layout),
        }
    }
}

impl core::error::Error for MakeError {}

/// Go's `out of memory` report (runtime/mheap.go prints the block size).
fn out_of_memory(f: &mut fmt::Formatter<'_>, layout: &Layout) -> fmt::Result {
    write!(
        f,
        "out of memory: cannot allocate {}-byte block",
        layout.size()
    )
}

/// A fallible `append` ([`Slice::try_append`](crate::Slice::try_append),
/// [`Slice::try_append_vec`](crate::Slice::try_append_vec)) could not grow
/// the slice. The elements that were to be appended are dropped.
///
/// # Examples
///
/// ```
/// use goslice::{AppendError, Slice};
///
/// assert_eq!(
///     AppendError::CapOutOfRange.to_string(),
///     "growslice: cap out of range"
/// );
/// assert!(Slice::<u8>::nil().try_append(1).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppendError {
    /// The new capacity overflows or exceeds Go's `maxAlloc` bytes
    /// ([`GrowError`]). Go: "growslice: cap out of range".
    CapOutOfRange,
    /// The allocator returned null for the new backing array. Go: the
    /// fatal `out of memory` of `mallocgc`.
    AllocError {
        /// The layout that was requested (array header included).
        layout: Layout,
    },
}

impl From<GrowError> for AppendError {
    fn from(_: GrowError) -> Self {
        AppendError::CapOutOfRange
    }
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendError::CapOutOfRange => fmt::Display::fmt(&GrowError, f),
            AppendError::AllocError { layout } => out_of_memory(f, layout),
        }
    }
}

impl core::error::Error for AppendError {}
