//! Go's built-in `copy(dst, src)`.
//!
//! `copy` moves `min(len(dst), len(src))` elements and returns that count.
//! When both slices are windows of one backing array the ranges may
//! overlap; Go copies with `memmove`, so the result is as if the source had
//! been read completely before any write. We get the same result by cloning
//! in the safe direction (front to back when the destination starts before
//! the source, back to front otherwise), see `RawArray::copy_within`.
//!
//! Go: `copy` (spec "Appending to and copying slices"; runtime `slicecopy`).

use crate::slice::Slice;

/// Copies `min(dst.len(), src.len())` elements from `src` to `dst` and
/// returns the count. Overlapping windows of one array behave as with
/// `memmove`.
///
/// Go: `n := copy(dst, src)`.
///
/// # Panics
///
/// If an element of `dst`'s array is borrowed (inside a
/// [`Slice::with`] closure or a user `Clone`).
///
/// # Examples
///
/// ```
/// use goslice::Slice;
///
/// let s = Slice::from(vec![1, 2, 3, 4, 5]);
/// // Shift left by two, as Go's copy(s, s[2:]) does.
/// assert_eq!(goslice::copy(&s, &s.slice(2..)), 3);
/// assert_eq!(s, [3, 4, 5, 4, 5]);
/// ```
#[track_caller]
pub fn copy<T: Clone>(dst: &Slice<T>, src: &Slice<T>) -> usize {
    let n = dst.len().min(src.len());
    if n == 0 {
        return 0;
    }
    let (Some(da), Some(sa)) = (dst.raw(), src.raw()) else {
        unreachable!("S1: len > 0 implies an array")
    };
    if da.same(sa) {
        da.copy_within(src.offset(), dst.offset(), n);
    } else {
        sa.with(src.offset(), src.offset() + n, |xs| {
            da.write_clones(dst.offset(), xs)
        });
    }
    n
}

/// `copy(dst, src)` from a Rust slice; see [`Slice::copy_from_slice`].
#[track_caller]
pub(crate) fn copy_from_slice<T: Clone>(dst: &Slice<T>, src: &[T]) -> usize {
    let n = dst.len().min(src.len());
    if n == 0 {
        return 0;
    }
    match dst.raw() {
        Some(da) => da.write_clones(dst.offset(), &src[..n]),
        None => unreachable!("S1: len > 0 implies an array"),
    }
    n
}
