//! Tophash matching with 64-bit ALU operations (SWAR: SIMD within a
//! register), for every target.
//!
//! A match is reported as the high bit of its byte: bit `8i + 7` stands for
//! slot `i`.

use super::{BitMask, Top, EMPTY_ONE, LO, MIN_TOP_HASH};

const HI: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// A bitmask with bit `8i + 7` set for every byte `i` of `word` that is zero.
///
/// Exact (no false positives): `(x & 0x7f..) + 0x7f..` sets a byte's high bit
/// iff its low seven bits are non-zero, without carrying into the next byte
/// (0x7f + 0x7f = 0xfe); or-ing `x` adds bytes whose own high bit is set. A
/// byte is zero iff the result's high bit is clear. For `x = 0x00_05`:
/// byte 0 → 0x05 + 0x7f = 0x84 (high set: non-zero), byte 1 → 0x7f (clear: zero).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x) & HI
}

/// The slots of a tophash word equal to `top`.
#[inline(always)]
fn match_byte(word: u64, top: Top) -> BitMask {
    BitMask(zero_bytes(word ^ top.0))
}

/// The slots of the tophash array at `p` equal to `top`.
///
/// # Safety
///
/// 1. `p` is valid for reading 8 bytes (any alignment).
#[inline(always)]
pub(crate) unsafe fn match_byte_at(p: *const u8, top: Top) -> BitMask {
    // SAFETY: 1.
    match_byte(
        super::word(unsafe { core::ptr::read_unaligned(p.cast::<[u8; 8]>()) }),
        top,
    )
}

/// The empty slots (`emptyRest` or `emptyOne`) of a tophash word.
#[inline(always)]
pub(crate) fn match_empty(word: u64) -> BitMask {
    const _: () = assert!(EMPTY_ONE == 1);
    // A byte is 0 or 1 iff it is zero once its low bit is cleared.
    BitMask(zero_bytes(word & !LO))
}

/// High bit of every byte of `word` that is a live tophash (at least
/// [`MIN_TOP_HASH`]), bit `8i + 7` for slot `i`.
///
/// Per byte `b`, `(b & 0x7f) + (0x80 - 5)` has its high bit set iff
/// `b & 0x7f >= 5`; or-ing `b` adds the bytes at or above 0x80. No carries
/// between bytes: 0x7f + 0x7b < 0x100. For `b = 0x05`: 0x05 + 0x7b = 0x80
/// (live); for `b = 0x01` (`emptyOne`): 0x7c (not live).
#[inline(always)]
pub(super) fn live_bytes(word: u64) -> u64 {
    let low = (word & LOW7).wrapping_add(LO.wrapping_mul(0x80 - MIN_TOP_HASH as u64));
    (low | word) & HI
}

/// The live slots (tophash >= `MIN_TOP_HASH`) of a tophash word.
#[inline(always)]
pub(crate) fn match_live(word: u64) -> BitMask {
    BitMask(live_bytes(word))
}

/// The live slots of a tophash word, slot `i` at bit `i` (bits 8 and up
/// clear).
///
/// [`match_live`] leaves slot `i` at bit `8i + 7`; shifted right by 7 it is
/// at bit `8i`, and the multiplier has bit `56 - 7i` for each `i`, so the
/// product has slot `i` at bit `8i + 56 - 7i = 56 + i`. Every other pair
/// (bit `8i` times bit `56 - 7j`, `i != j`) lands on `56 + i + 7(i - j)`,
/// outside 56..64, and no two pairs share a bit (that would need `8(i -
/// i') = 7(j - j')` with both differences below 8), so nothing carries
/// into the top byte.
#[inline(always)]
pub(crate) fn live_slot_bits(word: u64) -> u32 {
    const GATHER: u64 =
        1 << 56 | 1 << 49 | 1 << 42 | 1 << 35 | 1 << 28 | 1 << 21 | 1 << 14 | 1 << 7;
    ((live_bytes(word) >> 7).wrapping_mul(GATHER) >> 56) as u32
}

/// Slot `i` of a mask is bit `8i + 7`, so `bit >> 3` is the slot.
pub(crate) const SLOT_SHIFT: u32 = 3;
