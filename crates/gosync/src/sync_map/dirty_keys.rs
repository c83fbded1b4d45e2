//! [`DirtyKeys`]: a Bloom filter of the keys that are in dirty but not in
//! read, so that a load of a key in neither map needs no lock.
//!
//! # What
//!
//! Go's `Load` of a key missing from the read map locks `mu` whenever read
//! is `amended`, even when the key is in no map at all. With a workload that
//! stores new keys now and then and reads absent keys often (conc-map-bench's
//! read-heavy mix reads absent keys half the time), every such read
//! serialises on `mu`. Each amended read map therefore carries a filter of
//! its dirty-only keys: a key whose bits are not all set is in neither map,
//! and the lookup is answered without the lock.
//!
//! # Layout
//!
//! A power-of-two array of `usize` words (a *blocked* Bloom filter). A key's
//! hash, multiplied by an odd constant so that every input bit reaches the
//! high bits (a user hasher may leave the high bits of small keys zero),
//! picks one word and two bits in it, so a check reads one word:
//!
//! ```text
//!  h = hash * φ:  [ a: 6 bits | b: 6 bits | .. | word index from bit 32 | .. ]
//!  words[i] & (1 << a | 1 << b) == both bits: "maybe in dirty"
//! ```
//!
//! On 32-bit targets the words have 32 bits and `a`, `b` are taken mod 32.
//!
//! # Invariants
//!
//! - F1. Bits are only ever set, never cleared, while the filter lives: a
//!   "no" is final for the filter's generation (one amended read map).
//! - F2. Every key put into dirty that read lacks has its bits set before
//!   `mu` is released (`insert_new_locked`). Keys that reach dirty any other
//!   way (the copy of read, an un-expunged entry) are in read already.
//!
//! # Tuning
//!
//! Four bits per key of the read map the filter was made for, at least 1,024
//! bits, at most 2^22. Dirty-only keys are new since dirty was built, usually
//! few; when they outgrow the filter its false positives take the locked path
//! and count misses, as in Go, which brings the promotion (and a fresh,
//! larger filter) sooner.

use crate::atomic::{AtomicUsize, Ordering};

use alloc::vec::Vec;

const BITS: u32 = usize::BITS;
const MIN_BITS: usize = 1 << 10;
const MAX_BITS: usize = 1 << 22;

/// The dirty-only keys of one amended read map (F1, F2).
pub(super) struct DirtyKeys {
    words: Vec<AtomicUsize>,
}

impl DirtyKeys {
    /// A filter for the new keys of a dirty map built from `read_len` keys.
    pub(super) fn for_read_len(read_len: usize) -> Self {
        let bits = read_len
            .saturating_mul(4)
            .clamp(MIN_BITS, MAX_BITS)
            .next_power_of_two();
        // Loom tracks every atomic: one word keeps the models small.
        let words = if cfg!(loom) { 1 } else { bits / BITS as usize };
        DirtyKeys {
            words: (0..words).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    /// The word index and the two-bit mask of `hash`.
    fn place(&self, hash: u64) -> (usize, usize) {
        let h = hash.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let i = (h >> 32) as usize & (self.words.len() - 1);
        let a = (h >> 58) as u32 % BITS;
        let b = (h >> 52) as u32 % BITS;
        (i, (1 << a) | (1 << b))
    }

    /// Records a key put into dirty (F2). Under `mu`.
    pub(super) fn insert(&self, hash: u64) {
        let (i, mask) = self.place(hash);
        // Relaxed: a load that must see this key happens after the store
        // that called us returned, hence after this write (coherence); a
        // load that sees the bit takes `mu`, which orders everything else.
        self.words[i].fetch_or(mask, Ordering::Relaxed);
    }

    /// Whether a key with `hash` may be in dirty; `false` is certain (F1).
    pub(super) fn may_contain(&self, hash: u64) -> bool {
        let (i, mask) = self.place(hash);
        self.words[i].load(Ordering::Relaxed) & mask == mask
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn inserted_hashes_are_always_found() {
        let f = DirtyKeys::for_read_len(100);
        let mut r = gocore::rand::FastRand::new(3);
        let hs: Vec<u64> = (0..300).map(|_| r.next_u64()).collect();
        for &h in &hs {
            f.insert(h);
        }
        assert!(hs.iter().all(|&h| f.may_contain(h)));
    }

    #[test]
    fn few_keys_give_few_false_positives() {
        let f = DirtyKeys::for_read_len(8192); // 32 Ki bits
        let mut r = gocore::rand::FastRand::new(5);
        for _ in 0..500 {
            f.insert(r.next_u64());
        }
        let probes = if cfg!(miri) { 1_000 } else { 100_000 };
        let fp = (0..probes).filter(|_| f.may_contain(r.next_u64())).count();
        // Expected about (1 - e^(-2*500/32768))^2 ≈ 0.1%, more with blocking.
        assert!(fp * 100 < probes, "{fp} false positives in {probes}");
    }

    #[test]
    fn small_integer_hashes_spread_over_the_words() {
        // An identity hasher gives keys 0..n as hashes: they must not all
        // land in one word.
        let f = DirtyKeys::for_read_len(8192);
        for k in 0..500u64 {
            f.insert(k);
        }
        let used = f
            .words
            .iter()
            .filter(|w| w.load(Ordering::Relaxed) != 0)
            .count();
        assert!(used > 300, "{used} of {} words used", f.words.len());
        let fp = (10_000..20_000u64).filter(|&k| f.may_contain(k)).count();
        assert!(fp < 200, "{fp} false positives in 10,000");
    }

    #[test]
    fn size_follows_the_read_map_within_bounds() {
        let words = |n| DirtyKeys::for_read_len(n).words.len() * BITS as usize;
        assert_eq!(words(0), MIN_BITS);
        assert_eq!(words(10_000), 65_536);
        assert_eq!(words(usize::MAX), MAX_BITS);
    }
}
