//! Tophash values and the matching of a bucket's eight tophash bytes.
//!
//! Every slot of a bucket has one tophash byte. Values below [`MIN_TOP_HASH`]
//! describe the slot's state; a live entry stores the top byte of its hash,
//! bumped up by `MIN_TOP_HASH` when it would collide with a state value.
//!
//! The eight bytes of a bucket are read as one little-endian `u64` (byte `i`
//! in bits `8i..8i+8` on every target), so one lookup step compares all eight
//! at once instead of byte by byte. Two implementations share one interface
//! ([`match_byte_at`], [`match_empty`], [`match_live`] and the [`BitMask`] of
//! slots they return, and [`live_window`], the live slots as plain bits in
//! the order of Go's iteration); which one is built depends on the target:
//!
//! - `swar`: 64-bit ALU operations (SIMD within a register), on every
//!   target without SSE2. A match is the high bit of its byte.
//! - `sse2`: on x86 and x86-64, where SSE2 is in the baseline. The word sits
//!   in the low half of a vector register; one byte compare and one
//!   `movemask` give a bit per slot, a few instructions shorter on the lookup
//!   path than the SWAR formula.
//!
//! A lookup compares against its tophash copied into all eight bytes
//! ([`Top`]); a 2 KiB table maps each top byte straight to that word, so the
//! per-lookup cost is a shift and a load.

/// Slot empty, and every later slot of this bucket and of all its overflow
/// buckets is empty too: a search can stop here.
///
/// Go: `emptyRest` (runtime/map.go).
pub(crate) const EMPTY_REST: u8 = 0;
/// Slot empty; later slots may be full.
///
/// Go: `emptyOne` (runtime/map.go).
pub(crate) const EMPTY_ONE: u8 = 1;
/// Entry valid, evacuated to the first half (same index) of the new table.
///
/// Go: `evacuatedX` (runtime/map.go).
pub(crate) const EVACUATED_X: u8 = 2;
/// Entry valid, evacuated to the second half (index + 2^oldB).
///
/// Go: `evacuatedY` (runtime/map.go).
pub(crate) const EVACUATED_Y: u8 = 3;
/// Slot was empty when its bucket was evacuated.
///
/// Go: `evacuatedEmpty` (runtime/map.go).
pub(crate) const EVACUATED_EMPTY: u8 = 4;
/// Smallest tophash of a live entry.
///
/// Go: `minTopHash` (runtime/map.go).
pub(crate) const MIN_TOP_HASH: u8 = 5;

/// The tophash of a hash in all eight bytes of a word: what a lookup
/// compares each bucket's tophash word with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Top(u64);

impl Top {
    /// The [`tophash`] of `hash`, in every byte.
    #[inline(always)]
    pub(crate) fn of(hash: u64) -> Self {
        Top(TOPHASH_SPLAT[(hash >> 56) as usize])
    }

    /// The tophash byte.
    #[inline(always)]
    pub(crate) fn byte(self) -> u8 {
        self.0 as u8
    }
}

/// The tophash of `hash`: its top byte, moved out of the state range.
///
/// Go: `tophash(hash)`. Go takes the top byte of a pointer-width hash; our
/// hashes are `u64` on every target, so it is always bits 56..64.
#[inline(always)]
pub(crate) fn tophash(hash: u64) -> u8 {
    Top::of(hash).byte()
}

/// For every top byte `t`, `tophash(t << 56)` in all eight bytes: one load
/// instead of a compare, a fix-up and a multiply on the lookup path.
static TOPHASH_SPLAT: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let top = i as u8;
        let th = if top < MIN_TOP_HASH {
            top + MIN_TOP_HASH
        } else {
            top
        };
        t[i] = 0x0101_0101_0101_0101 * th as u64;
        i += 1;
    }
    t
};

/// Whether a slot with this tophash is empty (`emptyRest` or `emptyOne`).
///
/// Go: `isEmpty(x)`.
#[inline(always)]
pub(crate) fn is_empty(top: u8) -> bool {
    top <= EMPTY_ONE
}

/// Whether a slot holds a live entry.
#[inline(always)]
pub(crate) fn is_live(top: u8) -> bool {
    top >= MIN_TOP_HASH
}

/// Whether a bucket whose first tophash is `top0` has been evacuated.
///
/// Go: `evacuated(b)`: `h > emptyOne && h < minTopHash`.
#[inline(always)]
pub(crate) fn is_evacuated(top0: u8) -> bool {
    top0 > EMPTY_ONE && top0 < MIN_TOP_HASH
}

#[cfg(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "sse2"
))]
mod sse2;
#[cfg(any(
    test,
    not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse2"
    ))
))]
mod swar;

#[cfg(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "sse2"
))]
use sse2 as imp;
#[cfg(not(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "sse2"
)))]
use swar as imp;

pub(crate) use imp::{match_byte_at, match_empty, match_live};

/// A set of slot indexes, as the matchers return it. Each implementation
/// puts slot `i` at one bit whose index shifted right by its `SLOT_SHIFT` is
/// `i` (bit `8i + 7` for SWAR, bit `i` for SSE2), so the lowest slot is
/// `trailing_zeros >> SLOT_SHIFT` in both. Masks of the two are never mixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct BitMask(u64);

impl BitMask {
    /// The lowest slot in the set.
    #[inline(always)]
    pub(crate) fn lowest(self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            Some((self.0.trailing_zeros() >> imp::SLOT_SHIFT) as usize)
        }
    }

    /// The set without its lowest slot.
    #[inline(always)]
    pub(crate) fn without_lowest(self) -> Self {
        BitMask(self.0 & self.0.wrapping_sub(1))
    }
}

impl Iterator for BitMask {
    type Item = usize;
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        let i = self.lowest()?;
        *self = self.without_lowest();
        Some(i)
    }
}

/// The live slots of a tophash word in a 16-bit window that starts at slot
/// `offset`: bit `t` stands for slot `t & 7`, and ascending bits visit the
/// slots in Go's order from a random offset (`offset`, `offset + 1`, ...,
/// 7, 0, ..., `offset - 1`). `window` is `0xff << offset`.
///
/// The slot bits twice side by side (`bits * 0x101`), cut to the window:
/// for live slots {0, 2, 5, 7} (`0b1010_0101`) and offset 3, the doubled
/// mask is `0b1010_0101_1010_0101` and the window `0b0111_1111_1000`
/// keeps bits 5, 7, 8 and 10: slots 5, 7, 0, 2. The slot
/// of a bit needs no addition of the offset, only `& 7`.
#[inline(always)]
pub(crate) fn live_window(word: u64, window: u32) -> u32 {
    imp::live_slot_bits(word).wrapping_mul(0x101) & window
}

/// Whether the word holds an `emptyRest` byte: the chain ends in this bucket.
///
/// By invariant I2 (`raw/mod.rs`) an `emptyRest` slot is followed only by
/// `emptyRest` slots, so the bucket holds one iff its *last* byte is one:
/// a shift and a compare instead of a scan.
#[inline(always)]
pub(crate) fn has_empty_rest(word: u64) -> bool {
    word >> 56 == EMPTY_REST as u64
}

/// `0x01` in every byte: `!LO` keeps of a byte every bit but bit 0.
pub(crate) const LO: u64 = 0x0101_0101_0101_0101;

/// The mask of the bytes of `t` up to and including its last (highest)
/// non-zero byte: `0` for `t == 0`, all ones when byte 7 is non-zero.
///
/// `t`'s leading zeros rounded down to a whole byte count the zero bytes
/// above the last non-zero one: for `t = [8, 0, 0, 0, 0, 0, 0, 0]` (byte 0
/// first), 60 leading zeros, 56 rounded, and `u64::MAX >> 56` keeps byte 0.
/// For `t == 0` that count is 64, a shift the word does not have:
/// `checked_shr` gives 0 there (a compare and a conditional move).
#[inline(always)]
pub(crate) fn through_last_nonzero_byte(t: u64) -> u64 {
    u64::MAX.checked_shr(t.leading_zeros() & !7).unwrap_or(0)
}

/// The tophash word an evacuated bucket keeps (Go's `evacuate` writes it
/// slot by slot): `EVACUATED_X + y` in each live slot, where `y` is bit `i`
/// of `ys` (1 if slot i's entry went to the Y half), `EVACUATED_EMPTY` in
/// every other slot.
///
/// `word` holds only `EMPTY_REST`, `EMPTY_ONE` and live bytes (an old
/// bucket before its evacuation), and `ys` has bits only at live slots.
/// Each live slot becomes 0x01 in `live`: a byte is live iff it has a bit
/// other than bit 0; halved, such a byte is 1 to 0x7f, so adding 0x7f sets
/// its bit 7 and nothing else does, with no carry into the next byte. The
/// bits of `ys` become bytes the same way, after `ys * 0x0101..` puts a
/// copy of `ys` in every byte and `& 0x8040_2010_0804_0201` keeps bit i in
/// byte i. Then `EVACUATED_EMPTY - 2 * live + y` is 4 in empty slots, 2 + y
/// in live ones.
#[inline(always)]
pub(crate) fn evacuation_marks(word: u64, ys: u8) -> u64 {
    debug_assert!(word
        .to_le_bytes()
        .iter()
        .all(|&t| t == EMPTY_REST || t == EMPTY_ONE || t >= MIN_TOP_HASH));
    const _: () = assert!(EVACUATED_EMPTY - EVACUATED_X == 2 && EVACUATED_Y == EVACUATED_X + 1);
    const H: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let live = ((((word & !LO) >> 1) + H) >> 7) & LO;
    let y = ((((ys as u64).wrapping_mul(LO) & 0x8040_2010_0804_0201) + H) >> 7) & LO;
    debug_assert_eq!(y & !live, 0, "an X/Y decision for an empty slot");
    (EVACUATED_EMPTY as u64 * LO) - 2 * live + y
}

/// The tophash word of a bucket that nothing live follows in its chain,
/// with its trailing run of `EMPTY_ONE` slots turned into `EMPTY_REST`
/// (Go's `mapdelete` fix-up, once it walks back into an earlier bucket of
/// the chain), in one step instead of a byte-by-byte walk. Also says
/// whether the run reached slot 0 (no live slot is left in the bucket), so
/// that the walk must go on in the previous bucket.
///
/// `word` holds only `EMPTY_REST`, `EMPTY_ONE` and live bytes (no
/// evacuation marks: those are written only into a chain that is never
/// written again) and its `EMPTY_REST` bytes end it (I2), so the run is
/// exactly the bytes after the last live one. With only those three kinds
/// of bytes, a byte is live iff it has a bit other than bit 0: `word &
/// 0xfefe..` keeps a non-zero byte exactly where a live one is, and
/// [`through_last_nonzero_byte`] of it is the mask of the bytes to keep.
/// For `word = [9, 1, 1, 1, 0, 0, 0, 0]` (slot 0 first): `word & 0xfefe..`
/// is `[8, 0, ..]`, the mask keeps byte 0: `[9, 0, 0, 0, 0, 0, 0, 0]`, not
/// reaching slot 0. With no live byte, the mask keeps nothing.
#[inline(always)]
pub(crate) fn empty_rest_run(word: u64) -> (u64, bool) {
    debug_assert!(word
        .to_le_bytes()
        .iter()
        .all(|&t| t == EMPTY_REST || t == EMPTY_ONE || t >= MIN_TOP_HASH));
    const _: () = assert!(EMPTY_REST == 0);
    const _: () = assert!(EMPTY_ONE == 1 && MIN_TOP_HASH >= 2);
    let live = word & !LO;
    let keep = through_last_nonzero_byte(live);
    (word & keep, live == 0)
}

/// Reads a bucket's tophash array as one word (byte `i` = bits `8i..8i+8`).
#[inline(always)]
pub(crate) fn word(bytes: [u8; 8]) -> u64 {
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn slow_match(bytes: [u8; 8], f: impl Fn(u8) -> bool) -> Vec<usize> {
        (0..8).filter(|&i| f(bytes[i])).collect()
    }

    /// The slots of a mask of the built implementation, in order.
    fn slots(m: BitMask) -> Vec<usize> {
        m.collect()
    }

    /// The slots of a mask of the SWAR implementation (where it is not the
    /// built one, the shared `BitMask` would decode it with the wrong shift).
    fn swar_slots(m: BitMask) -> Vec<usize> {
        (0..64)
            .filter(|&b| m.0 >> b & 1 == 1)
            .map(|b| (b >> swar::SLOT_SHIFT) as usize)
            .collect()
    }

    #[test]
    fn tophash_never_collides_with_states() {
        for top in 0u64..=255 {
            let t = Top::of(top << 56);
            assert!(t.byte() >= MIN_TOP_HASH);
            assert_eq!(t.0, u64::from_le_bytes([t.byte(); 8]));
            if top >= 5 {
                assert_eq!(t.byte() as u64, top);
            } else {
                assert_eq!(t.byte() as u64, top + 5);
            }
        }
    }

    /// Both implementations (the SSE2 one where it is built) against a
    /// byte-by-byte model.
    #[test]
    fn matches_agree_with_bytewise_for_every_byte_value() {
        let mut r = gocore::rand::FastRand::new(1);
        let rounds = if cfg!(miri) { 20 } else { 20_000 };
        for round in 0..rounds {
            let mut bytes = r.next_u64().to_le_bytes();
            // Bias towards the interesting small values.
            for b in bytes.iter_mut() {
                if r.below(2) == 0 {
                    *b = r.below(8) as u8;
                }
            }
            let hash = if round % 2 == 0 {
                (bytes[r.below(8) as usize] as u64) << 56
            } else {
                r.next_u64()
            };
            let top = Top::of(hash);
            let w = word(bytes);
            let want = slow_match(bytes, |b| b == top.byte());
            // SAFETY: `bytes` is 8 readable bytes.
            let (m, s) = unsafe {
                (
                    match_byte_at(bytes.as_ptr(), top),
                    swar::match_byte_at(bytes.as_ptr(), top),
                )
            };
            assert_eq!(slots(m), want, "{bytes:?} {top:?}");
            assert_eq!(swar_slots(s), want, "{bytes:?} {top:?}");
            let want = slow_match(bytes, is_empty);
            assert_eq!(slots(match_empty(w)), want, "{bytes:?}");
            assert_eq!(swar_slots(swar::match_empty(w)), want, "{bytes:?}");
            let want = slow_match(bytes, is_live);
            assert_eq!(slots(match_live(w)), want, "{bytes:?}");
            let bits: Vec<usize> = (0..8).filter(|i| want.contains(i)).collect();
            let as_bits = |m: u32| (0..32).filter(|b| m >> b & 1 == 1).collect::<Vec<usize>>();
            assert_eq!(as_bits(imp::live_slot_bits(w)), bits, "{bytes:?}");
            assert_eq!(as_bits(swar::live_slot_bits(w)), bits, "{bytes:?}");
            for by in 0..8 {
                let order: Vec<usize> = as_bits(live_window(w, 0xff << by))
                    .into_iter()
                    .map(|t| t & 7)
                    .collect();
                let go: Vec<usize> = (0..8)
                    .map(|k| (k + by) & 7)
                    .filter(|i| want.contains(i))
                    .collect();
                assert_eq!(order, go, "{bytes:?} offset {by}");
            }
            assert_eq!(swar_slots(swar::match_live(w)), want, "{bytes:?}");
            // I2 holds in real buckets: emptyRest only in a tail run.
            let mut tail = bytes;
            if let Some(p) = tail.iter().position(|&b| b == EMPTY_REST) {
                tail[p..].fill(EMPTY_REST);
            }
            assert_eq!(has_empty_rest(word(tail)), tail.contains(&EMPTY_REST));
        }
    }

    #[test]
    fn empty_rest_run_matches_the_bytewise_walk() {
        let mut r = gocore::rand::FastRand::new(7);
        let rounds = if cfg!(miri) { 200 } else { 50_000 };
        for _ in 0..rounds {
            // A bucket whose slot i was just emptied and in whose chain no
            // live slot follows it: before i, live and `emptyOne` slots
            // (`emptyRest` ones only end a chain, I2), after it `emptyRest`.
            let mut bytes = [EMPTY_REST; 8];
            let i = r.below(8) as usize;
            for b in bytes[..i].iter_mut() {
                *b = match r.below(3) {
                    0 | 1 => EMPTY_ONE,
                    _ => MIN_TOP_HASH + r.below(251) as u8,
                };
            }
            bytes[i] = EMPTY_ONE;
            // Go's loop: walk back from i while the slot is emptyOne.
            let mut want = bytes;
            let mut j = i;
            let reached_start = loop {
                want[j] = EMPTY_REST;
                if j == 0 {
                    break true;
                }
                j -= 1;
                if want[j] != EMPTY_ONE {
                    break false;
                }
            };
            let (w, start) = empty_rest_run(word(bytes));
            assert_eq!(
                (w.to_le_bytes(), start),
                (want, reached_start),
                "{bytes:?} {i}"
            );
        }
    }

    #[test]
    fn through_last_nonzero_byte_matches_the_bytewise_scan() {
        let mut r = gocore::rand::FastRand::new(11);
        let rounds = if cfg!(miri) { 200 } else { 50_000 };
        for round in 0..rounds {
            let mut bytes = r.next_u64().to_le_bytes();
            // Zero a random tail (and, every few rounds, everything).
            let end = if round % 9 == 0 {
                0
            } else {
                r.below(9) as usize
            };
            bytes[end..].fill(0);
            if end > 0 && r.below(2) == 0 {
                bytes[end - 1] = 1 + r.below(255) as u8;
            }
            let keep = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            let mut want = [0u8; 8];
            want[..keep].fill(0xff);
            assert_eq!(
                through_last_nonzero_byte(word(bytes)).to_le_bytes(),
                want,
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn evacuation_marks_match_the_bytewise_walk() {
        let mut r = gocore::rand::FastRand::new(13);
        let rounds = if cfg!(miri) { 200 } else { 50_000 };
        for _ in 0..rounds {
            let mut bytes = [EMPTY_REST; 8];
            let mut ys = 0u8;
            let end = r.below(9) as usize;
            for (i, b) in bytes[..end].iter_mut().enumerate() {
                *b = match r.below(3) {
                    0 => EMPTY_ONE,
                    _ => MIN_TOP_HASH + r.below(251) as u8,
                };
                if *b >= MIN_TOP_HASH && r.below(2) == 0 {
                    ys |= 1 << i;
                }
            }
            // Go's loop in `evacuate`.
            let mut want = [0u8; 8];
            for i in 0..8 {
                want[i] = if is_empty(bytes[i]) {
                    EVACUATED_EMPTY
                } else {
                    EVACUATED_X + (ys >> i & 1)
                };
            }
            assert_eq!(
                evacuation_marks(word(bytes), ys).to_le_bytes(),
                want,
                "{bytes:?} {ys:#b}"
            );
        }
    }

    #[test]
    fn bitmask_iterates_slots_in_order() {
        let bytes = [9, 0, 9, 1, 2, 9, 4, 9];
        let w = word(bytes);
        assert_eq!(
            // SAFETY: 8 readable bytes.
            unsafe { match_byte_at(bytes.as_ptr(), Top::of(9 << 56)) }.collect::<Vec<_>>(),
            [0, 2, 5, 7]
        );
        assert_eq!(match_empty(w).lowest(), Some(1));
        assert_eq!(match_live(w).collect::<Vec<_>>(), [0, 2, 5, 7]);
        // Go's order from offset 3: slots 5, 7, then 0, 2 (bits 8 and 10).
        assert_eq!(
            live_window(w, 0xff << 3),
            1 << 5 | 1 << 7 | 1 << 8 | 1 << 10
        );
        assert!(is_evacuated(EVACUATED_EMPTY) && !is_evacuated(EMPTY_ONE) && !is_evacuated(9));
    }
}
