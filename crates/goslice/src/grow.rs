//! Go's slice growth policy: how much capacity `append` asks for.
//!
//! # What
//!
//! When `append` needs more room than a slice's capacity, Go's runtime
//! (`growslice` in `runtime/slice.go`) picks a new capacity in two steps:
//!
//! 1. a *growth rule* turns the old capacity and the required length into a
//!    provisional capacity `newcap` (double small slices, grow large ones by
//!    roughly a quarter, jump straight to the request when doubling is not
//!    enough);
//! 2. the byte size `newcap * elem_size` is rounded up to the malloc *size
//!    class* that would hold it (`roundupsize`, `runtime/msize.go`), and the
//!    capacity becomes however many elements fit in that block.
//!
//! Step 2 is why a Go `[]int64` grows 512 → 848 rather than 512 → 832, and why
//! `append([]int64(nil), 1, 2, 3, 4, 5)` has capacity 6. This module
//! reproduces both steps bit for bit, for Go 1.18/1.19 ([`Policy::Go118`], the
//! default) and for Go 1.16/1.17 ([`Policy::Go117`]).
//!
//! # Layout
//!
//! ```text
//!  old cap ─┐        growth rule (Policy)               roundupsize
//!  needed  ─┼─►  newcap ──► newcap * elem_size bytes ──► class bytes ──► class bytes / elem_size
//!  es      ─┘                                          (8, 16, 24, 32, 48, … 32768,
//!                                                       then whole 8 KiB pages)
//! ```
//!
//! The size classes (67 of them, [`SIZE_CLASSES`]) are Go 1.19's
//! `class_to_size`; Go 1.16 (which added the 24-byte class) through 1.19 use
//! the same table, so [`Policy::Go117`] rounds exactly as Go 1.17 did.
//!
//! # Invariants
//!
//! - I1: for `needed >= old_cap` and no overflow, `next_cap(..) >= needed`.
//! - I2: for a non-zero element size the result times the element size never
//!   exceeds [`MAX_ALLOC`] (Go's `maxAlloc`), so it fits an allocation.
//! - I3: zero-size elements get exactly `needed` (no rounding), as in Go.
//! - I4: `roundupsize(n) >= n` for every `n`, and is a class size for
//!   `n < 32768`, a multiple of 8192 above (unless that would overflow, when it
//!   is `n` itself).
//!
//! # Tuning
//!
//! | constant | value | why |
//! |---|---|---|
//! | [`GO118_THRESHOLD`] | 256 | Go 1.18 lowered the "double below" point from 1024 to 256 and added `(newcap + 768) / 4` so growth slides from 2x (at 256) towards 1.25x instead of jumping |
//! | [`GO117_THRESHOLD`] | 1024 | the classic "double below 1024, then +25%" rule |
//! | [`MAX_SMALL_SIZE`] | 32768 | largest size-class object; bigger requests take whole pages |
//! | [`PAGE_SIZE`] | 8192 | Go's `_PageSize` |
//!
//! # Go correspondence
//!
//! Pinned source: Go 1.19, `src/runtime/slice.go` (`growslice`),
//! `src/runtime/msize.go` (`roundupsize`), `src/runtime/sizeclasses.go`
//! (`class_to_size`), `src/runtime/malloc.go` (`maxAlloc`). Go 1.17's
//! `growslice` differs only in the growth rule (see [`Policy::Go117`]).
//!
//! | Go | here |
//! |---|---|
//! | `growslice`'s capacity computation | [`next_cap`], [`try_next_cap`] |
//! | `roundupsize` | [`roundupsize`] |
//! | `class_to_size[1..]` | [`SIZE_CLASSES`] |
//! | `_MaxSmallSize`, `_PageSize`, `maxAlloc` | [`MAX_SMALL_SIZE`], [`PAGE_SIZE`], [`MAX_ALLOC`] |
//! | `panic(errorString("growslice: cap out of range"))` | [`GrowError`] |
//!
//! # Divergences
//!
//! - Go panics; [`try_next_cap`] returns [`GrowError`] and [`next_cap`] panics
//!   with Go's message.
//! - Go works in signed `int`; the arguments here are `usize`. A `needed`
//!   above `isize::MAX` (which no Go length can be) is an error.
//! - [`MAX_ALLOC`] is Go's value for the *target's* pointer width: 2^48 on
//!   64-bit targets (linux/amd64), 2^32 − 1 on 32-bit ones (386, arm).
//! - Go's lookup goes through two byte tables (`size_to_class8`,
//!   `size_to_class128`); we search [`SIZE_CLASSES`] directly, which gives the
//!   same answer (the smallest class that holds the request) for every size,
//!   as a unit test checks exhaustively.

use core::fmt;

/// Which Go release's growth rule to follow.
///
/// Go: the `newcap` computation at the top of `runtime.growslice`.
///
/// # Examples
///
/// ```
/// use goslice::grow::{next_cap, Policy};
///
/// // []int64 at capacity 512, appending one element:
/// assert_eq!(next_cap(Policy::Go118, 512, 513, 8), 848);
/// assert_eq!(next_cap(Policy::Go117, 512, 513, 8), 1024);
/// assert_eq!(Policy::default(), Policy::Go118);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Go 1.16 and 1.17: double while the old capacity is below 1024, else
    /// grow by a quarter (`newcap += newcap / 4`) until the request fits; then
    /// size-class rounding.
    Go117,
    /// Go 1.18 and 1.19 (the default): double while the old capacity is below
    /// 256, else repeat `newcap += (newcap + 3*256) / 4` until the request
    /// fits; then size-class rounding.
    #[default]
    Go118,
}

/// The old capacity below which Go 1.18+ doubles.
///
/// Go: `const threshold = 256` (runtime/slice.go, `growslice`).
pub const GO118_THRESHOLD: usize = 256;

/// The old capacity below which Go 1.17 doubles.
///
/// Go: the literal `1024` in Go 1.17's `growslice`.
pub const GO117_THRESHOLD: usize = 1024;

/// Largest object served from a size class; larger ones take whole pages.
///
/// Go: `_MaxSmallSize` (runtime/sizeclasses.go).
pub const MAX_SMALL_SIZE: usize = 32768;

/// Go's heap page size; allocations of [`MAX_SMALL_SIZE`] bytes or more are
/// rounded up to a multiple of it.
///
/// Go: `_PageSize` (runtime/sizeclasses.go, `_PageShift = 13`).
pub const PAGE_SIZE: usize = 8192;

/// The largest allocation Go's heap allows on this target's pointer width.
///
/// Go: `maxAlloc` (runtime/malloc.go): `1 << heapAddrBits` (48) on 64-bit
/// targets, `1<<32 - 1` on 32-bit ones.
#[cfg(target_pointer_width = "64")]
pub const MAX_ALLOC: usize = 1 << 48;

/// The largest allocation Go's heap allows on this target's pointer width.
///
/// Go: `maxAlloc` (runtime/malloc.go): `1 << heapAddrBits` (48) on 64-bit
/// targets, `1<<32 - 1` on 32-bit ones.
#[cfg(not(target_pointer_width = "64"))]
pub const MAX_ALLOC: usize = usize::MAX >> (usize::BITS.saturating_sub(32));

/// Go 1.19's malloc size classes in bytes, classes 1 to 67.
///
/// Go: `class_to_size[1:]` (runtime/sizeclasses.go). Class 0 ("no class",
/// size 0) is left out.
///
/// # Examples
///
/// ```
/// use goslice::grow::SIZE_CLASSES;
/// assert_eq!(SIZE_CLASSES.len(), 67);
/// assert_eq!(SIZE_CLASSES[..4], [8, 16, 24, 32]);
/// assert_eq!(SIZE_CLASSES[66], 32768);
/// ```
pub const SIZE_CLASSES: [usize; 67] = [
    8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352,
    384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
    2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
    10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672,
    32768,
];

/// The capacity could not be computed: the request or the rounded byte size
/// overflows, or is larger than Go's heap allows ([`MAX_ALLOC`]), or the
/// request is below the old capacity.
///
/// Go: `panic(errorString("growslice: cap out of range"))`; its `Display` is
/// Go's message without the `runtime error: ` prefix.
///
/// # Examples
///
/// ```
/// use goslice::grow::{try_next_cap, GrowError, Policy};
///
/// let e = try_next_cap(Policy::Go118, 0, usize::MAX / 2, 16).unwrap_err();
/// assert_eq!(e, GrowError);
/// assert_eq!(e.to_string(), "growslice: cap out of range");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrowError;

impl fmt::Display for GrowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("growslice: cap out of range")
    }
}

impl core::error::Error for GrowError {}

/// Rounds an allocation request up to the size Go's allocator would hand out.
///
/// Below [`MAX_SMALL_SIZE`] that is the smallest size class at least `size`
/// (`0` stays `0`); from there on it is `size` rounded up to whole
/// [`PAGE_SIZE`] pages, or `size` itself if that rounding would overflow.
///
/// Go: `roundupsize(size)` (runtime/msize.go).
///
/// # Examples
///
/// ```
/// use goslice::grow::roundupsize;
///
/// assert_eq!(roundupsize(0), 0);
/// assert_eq!(roundupsize(1), 8);
/// assert_eq!(roundupsize(33), 48);
/// assert_eq!(roundupsize(1025), 1152);
/// assert_eq!(roundupsize(32768), 32768);
/// assert_eq!(roundupsize(32769), 40960);
/// assert_eq!(roundupsize(usize::MAX), usize::MAX);
/// ```
pub const fn roundupsize(size: usize) -> usize {
    if size < MAX_SMALL_SIZE {
        if size == 0 {
            // Go: class_to_size[size_to_class8[0]] = class_to_size[0] = 0.
            return 0;
        }
        // Smallest class >= size: binary search over the sorted table.
        let (mut lo, mut hi) = (0usize, SIZE_CLASSES.len() - 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if SIZE_CLASSES[mid] >= size {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return SIZE_CLASSES[lo];
    }
    // Go: `if size+_PageSize < size { return size }`.
    match size.checked_add(PAGE_SIZE) {
        None => size,
        Some(_) => (size + PAGE_SIZE - 1) & !(PAGE_SIZE - 1),
    }
}

/// The capacity Go's `append` gives a slice that must grow from `old_cap` to
/// hold `needed` elements of `elem_size` bytes; panics where Go panics.
///
/// See [`try_next_cap`] for the rule and for the error-returning form.
///
/// Go: the capacity `growslice(et, old, needed)` returns (runtime/slice.go).
///
/// # Panics
///
/// With Go's message `growslice: cap out of range` when [`try_next_cap`]
/// returns [`GrowError`].
///
/// # Examples
///
/// ```
/// use goslice::grow::{next_cap, Policy};
///
/// assert_eq!(next_cap(Policy::Go118, 0, 5, 8), 6); // 40 B -> class 48
/// assert_eq!(next_cap(Policy::Go118, 256, 257, 8), 512);
/// assert_eq!(next_cap(Policy::Go118, 1024, 1025, 8), 1536);
/// assert_eq!(next_cap(Policy::Go117, 1024, 1025, 8), 1280);
/// assert_eq!(next_cap(Policy::Go118, 3, 4, 0), 4); // zero-size elements
/// ```
#[track_caller]
pub fn next_cap(policy: Policy, old_cap: usize, needed: usize, elem_size: usize) -> usize {
    match try_next_cap(policy, old_cap, needed, elem_size) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// The capacity Go's `append` gives a slice that must grow from `old_cap` to
/// hold `needed` elements of `elem_size` bytes.
///
/// The steps, as in Go's `growslice`:
/// 1. `needed < old_cap` is an error (Go: "growslice: cap out of range").
/// 2. Zero-size elements: the answer is `needed`, unrounded.
/// 3. If `needed > 2 * old_cap`, `newcap = needed`. Otherwise, below the
///    policy's threshold (256 for [`Policy::Go118`], 1024 for
///    [`Policy::Go117`]) `newcap = 2 * old_cap`; at or above it, repeat
///    `newcap += (newcap + 768) / 4` (Go118) or `newcap += newcap / 4` (Go117)
///    until `newcap >= needed` (in signed arithmetic; if it overflows,
///    `newcap = needed`).
/// 4. `bytes = roundupsize(newcap * elem_size)`; the answer is
///    `bytes / elem_size` (it may exceed `newcap`).
/// 5. Overflow of the multiplication, or `bytes` above [`MAX_ALLOC`], is an
///    error.
///
/// # Errors
///
/// [`GrowError`] in the cases above, and when `needed` exceeds `isize::MAX`.
///
/// # Examples
///
/// ```
/// use goslice::grow::{try_next_cap, GrowError, Policy};
///
/// assert_eq!(try_next_cap(Policy::Go118, 512, 513, 8), Ok(848));
/// assert_eq!(try_next_cap(Policy::Go118, 300, 310, 8), Ok(608));
/// assert_eq!(try_next_cap(Policy::Go118, 8, 7, 8), Err(GrowError));
/// assert_eq!(try_next_cap(Policy::Go118, 0, usize::MAX / 2, 1 << 10), Err(GrowError));
/// # Ok::<(), GrowError>(())
/// ```
pub fn try_next_cap(
    policy: Policy,
    old_cap: usize,
    needed: usize,
    elem_size: usize,
) -> Result<usize, GrowError> {
    // Go's lengths and capacities are `int`: nothing above isize::MAX exists.
    if needed > isize::MAX as usize || old_cap > isize::MAX as usize {
        return Err(GrowError);
    }
    if needed < old_cap {
        return Err(GrowError);
    }
    if elem_size == 0 {
        // Go: `return slice{unsafe.Pointer(&zerobase), old.len, cap}`.
        return Ok(needed);
    }
    let newcap = provisional_cap(policy, old_cap as isize, needed as isize) as usize;
    // Go checks `newcap > maxAlloc / es` (or the MulUintptr overflow), then
    // `capmem > maxAlloc` after rounding.
    let mem = match newcap.checked_mul(elem_size) {
        Some(m) if m <= MAX_ALLOC => m,
        _ => return Err(GrowError),
    };
    let capmem = roundupsize(mem);
    if capmem > MAX_ALLOC {
        return Err(GrowError);
    }
    Ok(capmem / elem_size)
}

/// Step 3 of [`try_next_cap`], in Go's signed `int` arithmetic (the overflow
/// to a non-positive value is what stops Go's loop; we reproduce it with
/// wrapping operations). Both inputs are in `0..=isize::MAX`, `needed >= old`.
fn provisional_cap(policy: Policy, old: isize, needed: isize) -> isize {
    // Go: doublecap := newcap + newcap (may wrap negative; then cap > doublecap).
    let doublecap = old.wrapping_add(old);
    if needed > doublecap {
        return needed;
    }
    let threshold = match policy {
        Policy::Go117 => GO117_THRESHOLD,
        Policy::Go118 => GO118_THRESHOLD,
    } as isize;
    if old < threshold {
        return doublecap;
    }
    let mut newcap = old;
    // Go: `for 0 < newcap && newcap < cap { ... }` — `0 < newcap` detects overflow.
    while 0 < newcap && newcap < needed {
        newcap = match policy {
            // 1024 -> 1280 -> 1600 ...: +25% each step.
            Policy::Go117 => newcap.wrapping_add(newcap / 4),
            // 256 -> 512 (2x), 512 -> 832 (1.625x), tending to 1.25x.
            Policy::Go118 => newcap.wrapping_add(newcap.wrapping_add(3 * threshold) / 4),
        };
    }
    if newcap <= 0 {
        needed
    } else {
        newcap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's own two-table lookup, transcribed, to check `roundupsize`'s search.
    fn go_roundupsize(size: usize) -> usize {
        const SMALL_SIZE_DIV: usize = 8;
        const SMALL_SIZE_MAX: usize = 1024;
        const LARGE_SIZE_DIV: usize = 128;
        let class_of = |n: usize| {
            // class index (1-based) of the smallest class >= n
            SIZE_CLASSES.iter().position(|&c| c >= n).unwrap() + 1
        };
        if size < MAX_SMALL_SIZE {
            if size <= SMALL_SIZE_MAX - 8 {
                let k = size.div_ceil(SMALL_SIZE_DIV);
                if k == 0 {
                    return 0;
                }
                // size_to_class8[k] is the class of k*8 bytes.
                SIZE_CLASSES[class_of(k * SMALL_SIZE_DIV) - 1]
            } else {
                // Go's uintptr arithmetic wraps for 1017..=1023: divRoundUp
                // gives 0 there.
                let k = size
                    .wrapping_sub(SMALL_SIZE_MAX)
                    .wrapping_add(LARGE_SIZE_DIV - 1)
                    / LARGE_SIZE_DIV;
                SIZE_CLASSES[class_of(SMALL_SIZE_MAX + k * LARGE_SIZE_DIV) - 1]
            }
        } else if size.checked_add(PAGE_SIZE).is_none() {
            size
        } else {
            size.div_ceil(PAGE_SIZE) * PAGE_SIZE
        }
    }

    #[test]
    fn roundupsize_matches_gos_table_lookup() {
        let step = if cfg!(miri) { 97 } else { 1 };
        for n in (0..70_000).step_by(step) {
            assert_eq!(roundupsize(n), go_roundupsize(n), "size {n}");
        }
        assert_eq!(roundupsize(usize::MAX - 5), usize::MAX - 5);
    }

    #[test]
    fn spec_worked_examples() {
        let g = |old, need, es| next_cap(Policy::Go118, old, need, es);
        let o = |old, need, es| next_cap(Policy::Go117, old, need, es);
        for (old, need, es, new19, new17) in [
            (0, 1, 8, 1, 1),
            (0, 5, 8, 6, 6),
            (3, 4, 8, 6, 6),
            (5, 6, 8, 10, 10),
            (0, 5, 1, 8, 8),
            (0, 17, 1, 24, 24),
            (0, 5, 24, 5, 5),
            (256, 257, 8, 512, 512),
            (512, 513, 8, 848, 1024),
            (1024, 1025, 8, 1536, 1280),
            (897, 997, 8, 1360, 2048),
        ] {
            assert_eq!(g(old, need, es), new19, "go1.19 {old} {need} {es}");
            assert_eq!(o(old, need, es), new17, "go1.17 {old} {need} {es}");
        }
        assert_eq!(g(300, 310, 8), 608);
    }

    fn one_at_a_time(policy: Policy, es: usize, upto: usize) -> alloc_free::Caps {
        let mut caps = alloc_free::Caps::new();
        let (mut len, mut cap) = (0usize, 0usize);
        while len < upto {
            if len == cap {
                cap = next_cap(policy, cap, len + 1, es);
                caps.push(cap);
            }
            len += 1;
        }
        caps
    }

    mod alloc_free {
        /// A fixed-size list, so these tests need no allocator.
        pub struct Caps {
            v: [usize; 64],
            n: usize,
        }
        impl Caps {
            pub fn new() -> Self {
                Caps { v: [0; 64], n: 0 }
            }
            pub fn push(&mut self, c: usize) {
                self.v[self.n] = c;
                self.n += 1;
            }
            pub fn get(&self) -> &[usize] {
                &self.v[..self.n]
            }
        }
    }

    #[test]
    fn spec_sequences() {
        let seq = |p, es, upto| one_at_a_time(p, es, upto);
        assert_eq!(
            seq(Policy::Go118, 1, 5376).get(),
            [8, 16, 32, 64, 128, 256, 512, 896, 1408, 2048, 3072, 4096, 5376]
        );
        assert_eq!(
            seq(Policy::Go117, 1, 5376).get(),
            [8, 16, 32, 64, 128, 256, 512, 1024, 1280, 1792, 2304, 3072, 4096, 5376]
        );
        assert_eq!(
            seq(Policy::Go118, 8, 5120).get(),
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280, 1792, 2560, 3408, 5120]
        );
        assert_eq!(
            seq(Policy::Go117, 8, 5120).get(),
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1280, 1696, 2304, 3072, 4096, 5120]
        );
        assert_eq!(
            seq(Policy::Go118, 4, 5440).get(),
            [2, 4, 8, 16, 32, 64, 128, 256, 512, 864, 1344, 2048, 3072, 4096, 5440]
        );
        assert_eq!(
            seq(Policy::Go118, 24, 3072).get(),
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 853, 1365, 2048, 3072]
        );
    }

    #[test]
    fn overflow_and_edges() {
        for p in [Policy::Go117, Policy::Go118] {
            assert_eq!(try_next_cap(p, 5, 4, 8), Err(GrowError));
            assert_eq!(try_next_cap(p, 0, usize::MAX, 1), Err(GrowError));
            assert_eq!(try_next_cap(p, 0, MAX_ALLOC / 8 + 1, 8), Err(GrowError));
            assert_eq!(try_next_cap(p, 0, 7, 0), Ok(7));
            assert_eq!(
                try_next_cap(p, 0, isize::MAX as usize, 0),
                Ok(isize::MAX as usize)
            );
            // Large: whole pages. 40000 B -> 40960 B.
            assert_eq!(try_next_cap(p, 0, 40000, 1), Ok(40960));
            // Loop overflow in signed arithmetic falls back to `needed`.
            let big = isize::MAX as usize - 10;
            assert_eq!(
                provisional_cap(p, big as isize - 5, big as isize),
                big as isize
            );
        }
    }

    #[test]
    fn result_always_holds_the_request() {
        for p in [Policy::Go117, Policy::Go118] {
            for es in [1usize, 2, 3, 5, 8, 24, 100, 4096] {
                let mut old = 0;
                while old < 5000 {
                    for need in [old, old + 1, old * 2, old * 2 + 1, old * 3 + 7] {
                        let c = next_cap(p, old, need.max(old), es);
                        assert!(c >= need.max(old), "{p:?} {old} {need} {es}");
                    }
                    old = old * 3 / 2 + 1;
                }
            }
        }
    }
}
