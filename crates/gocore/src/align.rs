//! Alignment arithmetic.
//!
//! Go's runtime rounds sizes and addresses with `alignUp(n, a) = (n + a - 1) &^ (a - 1)`
//! for power-of-two `a`. The same arithmetic sizes map buckets, channel
//! buffers and struct fields here. Each function takes the alignment as a
//! `usize` that must be a power of two; the `checked_` forms report overflow
//! and bad alignments as `None` instead of panicking.
//!
//! # Examples
//!
//! ```
//! use gocore::align::{align_up, align_down, checked_align_up, is_aligned};
//! assert_eq!(align_up(13, 8), 16);
//! assert_eq!(align_down(13, 8), 8);
//! assert!(is_aligned(64, 16));
//! assert_eq!(checked_align_up(usize::MAX, 8), None); // overflow
//! assert_eq!(checked_align_up(10, 3), None); // 3 is not a power of two
//! ```

use static_assertions::const_assert_eq;

/// Rounds `n` up to a multiple of `align`.
///
/// Go: `alignUp(n, a)` (runtime/stubs.go).
///
/// # Panics
///
/// Panics if `align` is not a power of two or if the result overflows `usize`;
/// use [`checked_align_up`] to get `None` instead.
///
/// # Examples
///
/// ```
/// assert_eq!(gocore::align::align_up(0, 8), 0);
/// assert_eq!(gocore::align::align_up(9, 4), 12);
/// ```
#[inline]
pub const fn align_up(n: usize, align: usize) -> usize {
    match checked_align_up(n, align) {
        Some(v) => v,
        None => {
            panic!("align_up: alignment must be a power of two and the result must fit in usize")
        }
    }
}

/// Rounds `n` up to a multiple of `align`, or `None` if `align` is not a power
/// of two or the result does not fit in `usize`.
///
/// # Examples
///
/// ```
/// assert_eq!(gocore::align::checked_align_up(5, 4), Some(8));
/// assert_eq!(gocore::align::checked_align_up(5, 0), None);
/// ```
#[inline]
pub const fn checked_align_up(n: usize, align: usize) -> Option<usize> {
    if !align.is_power_of_two() {
        return None;
    }
    match n.checked_add(align - 1) {
        Some(v) => Some(v & !(align - 1)),
        None => None,
    }
}

/// Rounds `n` down to a multiple of `align`.
///
/// Go: `alignDown(n, a)`.
///
/// # Panics
///
/// Panics if `align` is not a power of two.
///
/// # Examples
///
/// ```
/// assert_eq!(gocore::align::align_down(15, 8), 8);
/// ```
#[inline]
pub const fn align_down(n: usize, align: usize) -> usize {
    assert!(
        align.is_power_of_two(),
        "align_down: alignment must be a power of two"
    );
    n & !(align - 1)
}

/// Reports whether `n` is a multiple of `align`.
///
/// # Panics
///
/// Panics if `align` is not a power of two.
///
/// # Examples
///
/// ```
/// assert!(gocore::align::is_aligned(24, 8));
/// assert!(!gocore::align::is_aligned(20, 8));
/// ```
#[inline]
pub const fn is_aligned(n: usize, align: usize) -> bool {
    assert!(
        align.is_power_of_two(),
        "is_aligned: alignment must be a power of two"
    );
    n & (align - 1) == 0
}

// Go's map bucket for map[int64]int8 on amd64: 8 tophash + 64 keys + 8 elems + 8 overflow = 88.
const_assert_eq!(align_up(8 + 64 + 8 + 8, 8), 88);
// hchanSize rounded to maxAlign = 8 on 386: 52 -> 56.
const_assert_eq!(align_up(52, 8), 56);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_up_matches_a_division_model() {
        for align in [1usize, 2, 4, 8, 16, 64, 4096] {
            for n in 0..200usize {
                let model = n.div_ceil(align) * align;
                assert_eq!(align_up(n, align), model, "n={n} align={align}");
                assert_eq!(align_down(n, align), n / align * align);
                assert_eq!(is_aligned(n, align), n % align == 0);
            }
        }
    }

    #[test]
    fn checked_reports_bad_input() {
        assert_eq!(checked_align_up(usize::MAX - 2, 4), None);
        assert_eq!(checked_align_up(usize::MAX - 3, 4), Some(usize::MAX - 3));
        assert_eq!(checked_align_up(1, 6), None);
    }

    #[test]
    #[should_panic(expected = "power of two")]
    fn align_up_panics_on_bad_alignment() {
        let _ = align_up(1, 12);
    }
}
