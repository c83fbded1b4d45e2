//! Alignment arithmetic.
//!
//! Go's runtime rounds sizes and addresses with `alignUp(n, a) = (n + a - 1) &^ (a - 1)`
//! for power-of-two `a`. The same arithmetic lays out `gomap`'s buckets and
//! picks the 8-aligned window of `gosync`'s `WaitGroup`. Each function takes
//! the alignment as a `usize` that must be a power of two, and panics (at
//! compile time in a `const`) when it is not.
//!
//! # Examples
//!
//! ```
//! use gocore::align::{align_up, is_aligned};
//! assert_eq!(align_up(13, 8), 16);
//! assert!(is_aligned(64, 16));
//! ```

use static_assertions::const_assert_eq;

/// Rounds `n` up to a multiple of `align`.
///
/// Go: `alignUp(n, a)` (runtime/stubs.go).
///
/// # Panics
///
/// Panics if `align` is not a power of two or if the result overflows `usize`.
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
#[inline]
const fn checked_align_up(n: usize, align: usize) -> Option<usize> {
    if !align.is_power_of_two() {
        return None;
    }
    match n.checked_add(align - 1) {
        Some(v) => Some(v & !(align - 1)),
        None => None,
    }
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
