//! Errors: Go's bounds-check panics and `make` failures, as values.
//!
//! Each `Display` is Go's runtime message without its `runtime error: `
//! prefix (Go: `boundsErrorFmts` in runtime/error.go, `panicmakeslicelen` and
//! `panicmakeslicecap` in runtime/slice.go). The panicking methods panic with
//! exactly that text.

use core::fmt;

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

/// `make(len, cap)` asked for an impossible slice.
///
/// Go: `panicmakeslicelen` / `panicmakeslicecap` (runtime/slice.go). As in
/// Go, a length that alone is too large reports `LenOutOfRange`; a capacity
/// below the length, or too large, reports `CapOutOfRange`.
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
}

impl fmt::Display for MakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MakeError::LenOutOfRange => "makeslice: len out of range",
            MakeError::CapOutOfRange => "makeslice: cap out of range",
        })
    }
}

impl core::error::Error for MakeError {}
