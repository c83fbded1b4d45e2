//! The fallback hasher, for targets where aHash cannot build.
//!
//! Go hashes map keys with AES instructions when the CPU has them and falls
//! back to `memhashFallback` (runtime/hash64.go, hash32.go) otherwise: a
//! wyhash variant built on one operation, `mix(a, b)` = the 128-bit product
//! of `a` and `b` folded to 64 bits by XOR of its halves. aHash, the hasher
//! gocore uses elsewhere, needs compare-and-swap at run time on every target
//! but bare-metal ARM, so targets without it (riscv32imc) get this instead.
//!
//! It is a streaming hasher, because Rust's `Hash` feeds a key in pieces:
//! each piece of up to 8 bytes is folded into the state with `mix`, keyed by
//! the seed and by the piece's length (so `[0]` and `[0, 0]` differ), and
//! `finish` mixes in the total length. Go's constants `m1`…`m5` key the
//! steps. Seeds come from [`super::DefaultHashBuilder`], as `hash0` does.

use core::hash::Hasher;

// Go's hash64.go constants.
const M1: u64 = 0xa076_1d64_78bd_642f;
const M2: u64 = 0xe703_7ed1_a0b4_28db;
const M3: u64 = 0x8ebc_6af0_9c88_c6e3;
const M4: u64 = 0x5899_65cc_7537_4cc3;
const M5: u64 = 0x1d8e_4e27_c47d_124f;

/// Go's `mix`: the 128-bit product folded to 64 bits.
#[inline]
fn mix(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// The seeds of one builder (Go's `hash0`, widened to two words).
#[derive(Clone, Copy)]
pub struct WyState {
    seed: u64,
    seed2: u64,
}

impl WyState {
    /// A state keyed by four random words.
    pub fn with_seeds(k0: u64, k1: u64, k2: u64, k3: u64) -> Self {
        WyState {
            seed: mix(k0 ^ M1, k1 ^ M2),
            seed2: mix(k2 ^ M3, k3 ^ M4),
        }
    }

    /// A hasher for one key.
    #[inline]
    pub fn build_hasher(&self) -> WyHasher {
        WyHasher {
            acc: self.seed,
            seed2: self.seed2,
            len: 0,
        }
    }
}

/// The streaming hasher [`WyState`] builds.
#[derive(Clone)]
pub struct WyHasher {
    acc: u64,
    seed2: u64,
    len: u64,
}

impl WyHasher {
    /// Folds one piece of at most 8 bytes, given as a little-endian word
    /// and its length.
    #[inline]
    fn fold(&mut self, word: u64, bytes: u64) {
        self.acc = mix(self.acc ^ word ^ M2, self.seed2 ^ M3 ^ (bytes << 56));
        self.len = self.len.wrapping_add(bytes);
    }
}

impl Hasher for WyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for piece in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..piece.len()].copy_from_slice(piece);
            self.fold(u64::from_le_bytes(word), piece.len() as u64);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.fold(u64::from(i), 1);
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.fold(u64::from(i), 2);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.fold(u64::from(i), 4);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.fold(i, 8);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.fold(i as u64, core::mem::size_of::<usize>() as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        mix(self.acc ^ M4, self.len ^ M5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(s: &WyState, bytes: &[u8]) -> u64 {
        let mut h = s.build_hasher();
        h.write(bytes);
        h.finish()
    }

    #[test]
    fn seeds_lengths_and_contents_all_matter() {
        let a = WyState::with_seeds(1, 2, 3, 4);
        let b = WyState::with_seeds(1, 2, 3, 5);
        assert_eq!(hash(&a, b"gopher"), hash(&a, b"gopher"));
        assert_ne!(hash(&a, b"gopher"), hash(&b, b"gopher"));
        assert_ne!(hash(&a, &[0]), hash(&a, &[0, 0]));
        assert_ne!(hash(&a, b""), hash(&a, &[0]));
        assert_ne!(hash(&a, b"ab"), hash(&a, b"ba"));
    }

    #[test]
    fn low_bits_spread_over_buckets() {
        // As gocore's aHash test: a map with B = 4 picks the bucket from the
        // low 4 bits; sequential keys must not pile up.
        let s = WyState::with_seeds(3, 1, 4, 1);
        let mut counts = [0u32; 16];
        for k in 0u64..1600 {
            let mut h = s.build_hasher();
            h.write_u64(k);
            counts[(h.finish() & 15) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (50..=150).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn top_bits_spread_too() {
        // Go's tophash is the top 8 bits of the hash.
        let s = WyState::with_seeds(9, 9, 9, 9);
        let mut seen = [false; 256];
        for k in 0u32..4096 {
            let mut h = s.build_hasher();
            h.write_u32(k);
            seen[(h.finish() >> 56) as usize] = true;
        }
        assert!(seen.iter().filter(|&&s| s).count() > 240);
    }
}
