//! Tophash matching with SSE2, on x86 and x86-64.
//!
//! The tophash word goes into the low 8 bytes of a 128-bit register; one
//! byte-wise compare and `movemask` turn it into a bit per slot: bit `i`
//! stands for slot `i`. The upper 8 bytes of the register are zero; their
//! bits are masked off, since zero compares equal to zero and passes
//! the `emptyRest` test.

#[cfg(target_arch = "x86")]
use core::arch::x86 as arch;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64 as arch;

use super::{BitMask, Top, EMPTY_ONE, MIN_TOP_HASH};

/// The tophash word in the low half of a vector.
#[inline(always)]
fn load(word: u64) -> arch::__m128i {
    // SAFETY: SSE2 is enabled for this target (the module's cfg).
    unsafe { arch::_mm_set_epi64x(0, word as i64) }
}

/// One bit per byte of the low half of `v` whose high bit is set.
#[inline(always)]
fn movemask(v: arch::__m128i) -> BitMask {
    // SAFETY: SSE2 is enabled for this target (the module's cfg).
    BitMask(unsafe { arch::_mm_movemask_epi8(v) } as u64 & 0xff)
}

/// The slots of the tophash array at `p` equal to `top`.
///
/// The eight bytes are loaded straight into a vector register (no trip
/// through a general-purpose register: this is the lookup's critical path),
/// and `top` fills both halves of the other operand, so the zero upper half
/// never matches and the mask needs no trimming.
///
/// # Safety
///
/// 1. `p` is valid for reading 8 bytes (any alignment).
#[inline(always)]
pub(crate) unsafe fn match_byte_at(p: *const u8, top: Top) -> BitMask {
    // SAFETY: SSE2 is enabled for this target (the module's cfg); 1 covers
    // the 8-byte unaligned load.
    unsafe {
        let w = arch::_mm_loadl_epi64(p.cast());
        let t = arch::_mm_set1_epi64x(top.0 as i64);
        BitMask(arch::_mm_movemask_epi8(arch::_mm_cmpeq_epi8(w, t)) as u64)
    }
}

/// The empty slots (`emptyRest` or `emptyOne`) of a tophash word.
#[inline(always)]
pub(crate) fn match_empty(word: u64) -> BitMask {
    let w = load(word);
    // SAFETY: SSE2 is enabled for this target (the module's cfg).
    unsafe {
        // b <= EMPTY_ONE iff min(b, EMPTY_ONE) == b (unsigned).
        let one = arch::_mm_set1_epi8(EMPTY_ONE as i8);
        movemask(arch::_mm_cmpeq_epi8(arch::_mm_min_epu8(w, one), w))
    }
}

/// The live slots (tophash >= `MIN_TOP_HASH`) of a tophash word.
#[inline(always)]
pub(crate) fn match_live(word: u64) -> BitMask {
    let w = load(word);
    // SAFETY: SSE2 is enabled for this target (the module's cfg).
    unsafe {
        // b >= MIN_TOP_HASH iff max(b, MIN_TOP_HASH) == b (unsigned).
        let min = arch::_mm_set1_epi8(MIN_TOP_HASH as i8);
        movemask(arch::_mm_cmpeq_epi8(arch::_mm_max_epu8(w, min), w))
    }
}

/// The live slots of a tophash word, slot `i` at bit `i` (bits 8 and up
/// clear): [`match_live`] without the trim, since the zero upper half of
/// the register never reaches `MIN_TOP_HASH`.
#[inline(always)]
pub(crate) fn live_slot_bits(word: u64) -> u32 {
    let w = load(word);
    // SAFETY: SSE2 is enabled for this target (the module's cfg).
    unsafe {
        let min = arch::_mm_set1_epi8(MIN_TOP_HASH as i8);
        arch::_mm_movemask_epi8(arch::_mm_cmpeq_epi8(arch::_mm_max_epu8(w, min), w)) as u32
    }
}

/// Slot `i` of a mask is bit `i`.
pub(crate) const SLOT_SHIFT: u32 = 0;
