//! Tophash values and the SWAR matching of a bucket's eight tophash bytes.
//!
//! Every slot of a bucket has one tophash byte. Values below [`MIN_TOP_HASH`]
//! describe the slot's state; a live entry stores the top byte of its hash,
//! bumped up by `MIN_TOP_HASH` when it would collide with a state value.
//!
//! The eight bytes of a bucket are read as one little-endian `u64` (byte `i`
//! in bits `8i..8i+8` on every target), so one lookup step compares all eight
//! at once with a handful of ALU operations instead of eight byte compares.

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

/// The tophash of `hash`: its top byte, moved out of the state range.
///
/// Go: `tophash(hash)`. Go takes the top byte of a pointer-width hash; our
/// hashes are `u64` on every target, so it is always bits 56..64.
#[inline(always)]
pub(crate) fn tophash(hash: u64) -> u8 {
    TOPHASH[(hash >> 56) as usize]
}

/// [`tophash`] for every top byte: one load instead of a compare and a fix-up
/// on the lookup path.
static TOPHASH: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let top = i as u8;
        t[i] = if top < MIN_TOP_HASH {
            top + MIN_TOP_HASH
        } else {
            top
        };
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

const LO: u64 = 0x0101_0101_0101_0101;
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
pub(crate) fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x) & HI
}

/// The slots of a tophash word equal to `top`, as a [`BitMask`].
#[inline(always)]
pub(crate) fn match_byte(word: u64, top: u8) -> BitMask {
    BitMask(zero_bytes(word ^ (LO.wrapping_mul(top as u64))))
}

/// The empty slots (`emptyRest` or `emptyOne`) of a tophash word.
#[inline(always)]
pub(crate) fn match_empty(word: u64) -> BitMask {
    // A byte is 0 or 1 iff it is zero once its low bit is cleared.
    BitMask(zero_bytes(word & !LO))
}

/// Whether the word holds an `emptyRest` byte: the chain ends in this bucket.
///
/// By invariant I2 (`raw/mod.rs`) an `emptyRest` slot is followed only by
/// `emptyRest` slots, so the bucket holds one iff its *last* byte is one:
/// a shift and a compare instead of a SWAR scan.
#[inline(always)]
pub(crate) fn has_empty_rest(word: u64) -> bool {
    word >> 56 == EMPTY_REST as u64
}

/// The live slots (tophash >= `MIN_TOP_HASH`) of a tophash word.
#[inline(always)]
pub(crate) fn match_live(word: u64) -> BitMask {
    // Bytes 0..=4 have no bit at or above 8 and, after subtracting nothing,
    // are exactly those with (b | 3) <= 7 and b < 5. Compute per byte
    // `b + (0x80 - 5)`: high bit set iff b >= 5 for b < 0x80; bytes >= 0x80
    // have the high bit already. No carries: 0x7f + 0x7b < 0x100.
    let low = (word & LOW7).wrapping_add(LO.wrapping_mul(0x80 - MIN_TOP_HASH as u64));
    BitMask((low | word) & HI)
}

/// A set of slot indexes, one high bit per byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BitMask(pub(crate) u64);

impl BitMask {
    /// The lowest set slot.
    #[inline(always)]
    pub(crate) fn lowest(self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0.trailing_zeros() as usize / 8)
        }
    }

    /// Whether slot `i` is set.
    #[cfg(test)]
    pub(crate) fn contains(self, i: usize) -> bool {
        self.0 & (0x80 << (8 * i)) != 0
    }
}

impl Iterator for BitMask {
    type Item = usize;
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        let i = self.lowest()?;
        self.0 &= self.0 - 1;
        Some(i)
    }
}

/// Reads a bucket's tophash array as one word (byte `i` = bits `8i..8i+8`).
#[inline(always)]
pub(crate) fn word(bytes: [u8; 8]) -> u64 {
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow_match(bytes: [u8; 8], f: impl Fn(u8) -> bool) -> u64 {
        let mut m = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if f(b) {
                m |= 0x80 << (8 * i);
            }
        }
        m
    }

    #[test]
    fn tophash_never_collides_with_states() {
        for top in 0u64..=255 {
            let t = tophash(top << 56);
            assert!(t >= MIN_TOP_HASH);
            if top >= 5 {
                assert_eq!(t as u64, top);
            } else {
                assert_eq!(t as u64, top + 5);
            }
        }
    }

    #[test]
    fn swar_matches_agree_with_bytewise_for_every_byte_value() {
        let mut r = gocore::rand::FastRand::new(1);
        let rounds = if cfg!(miri) { 200 } else { 20_000 };
        for round in 0..rounds {
            let mut bytes = r.next_u64().to_le_bytes();
            // Bias towards the interesting small values.
            for b in bytes.iter_mut() {
                if r.below(2) == 0 {
                    *b = r.below(8) as u8;
                }
            }
            let top = if round % 2 == 0 {
                bytes[r.below(8) as usize]
            } else {
                r.next_u32() as u8
            };
            let w = word(bytes);
            assert_eq!(
                match_byte(w, top).0,
                slow_match(bytes, |b| b == top),
                "{bytes:?} {top}"
            );
            assert_eq!(match_empty(w).0, slow_match(bytes, is_empty), "{bytes:?}");
            assert_eq!(match_live(w).0, slow_match(bytes, is_live), "{bytes:?}");
            // I2 holds in real buckets: emptyRest only in a tail run.
            let mut tail = bytes;
            if let Some(p) = tail.iter().position(|&b| b == EMPTY_REST) {
                tail[p..].fill(EMPTY_REST);
            }
            assert_eq!(has_empty_rest(word(tail)), tail.contains(&EMPTY_REST));
        }
    }

    #[test]
    fn bitmask_iterates_slots_in_order() {
        let w = word([9, 0, 9, 1, 2, 9, 4, 9]);
        assert_eq!(
            match_byte(w, 9).collect::<alloc::vec::Vec<_>>(),
            [0, 2, 5, 7]
        );
        assert_eq!(match_empty(w).lowest(), Some(1));
        assert!(match_live(w).contains(7));
        assert!(!match_live(w).contains(6));
        assert!(is_evacuated(EVACUATED_EMPTY) && !is_evacuated(EMPTY_ONE) && !is_evacuated(9));
    }
}
