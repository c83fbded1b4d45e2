//! Go-style fast random numbers.
//!
//! Go's runtime needs randomness that is cheap rather than strong: the bucket
//! and slot a map iteration starts at, the poll order of a `select`, the
//! priorities of the semaphore treap, the map seed `hash0`. It keeps one
//! 64-bit state per M (OS thread) and advances it with **wyrand** on 64-bit
//! targets:
//!
//! ```text
//! state += 0xa0761d6478bd642f
//! (hi, lo) = state * (state ^ 0xe7037ed1a0b428db)   // 128-bit product
//! return hi ^ lo                                     // fastrand64; fastrand = low 32 bits
//! ```
//!
//! and `fastrandn(n) = (fastrand() as u64 * n as u64) >> 32` (Lemire's
//! multiply-shift reduction: no division, and every value below `n`).
//!
//! # Layout of the state
//!
//! - [`FastRand`]: an explicit generator (one `u64`), seedable, for tests and
//!   for code that owns its randomness.
//! - With `std`: one `FastRand` per thread in a `thread_local!`, first seeded
//!   from the operating system's entropy (through `std`'s `RandomState`) mixed
//!   with the thread's identity, like Go seeds each M.
//! - Without `std`: one global counter. wyrand is a *counter-based* generator
//!   (the state only ever has a constant added), so with compare-and-swap a
//!   single `fetch_add` makes it safe to share between threads and interrupts.
//!   Where the target has no 64-bit atomics a 32-bit counter is mixed with the
//!   `murmur3` finaliser instead; where it has no CAS at all (thumbv6m without
//!   `portable-atomic`) the counter is advanced with a load and a store, and two
//!   racing callers may draw the same number (harmless for iteration order).
//!   Seed it with [`seed`] from a hardware source at start-up; unseeded it
//!   starts from a fixed constant.
//!
//! # Divergences from Go
//!
//! Go uses xorshift64+ on 32-bit targets; we use wyrand everywhere so a seeded
//! [`FastRand`] gives the same sequence on every target (the 128-bit product is
//! cheap enough on 32-bit CPUs for our uses).

const WY_ADD: u64 = 0xa076_1d64_78bd_642f;
const WY_XOR: u64 = 0xe703_7ed1_a0b4_28db;

/// An explicit, seedable wyrand generator: the state Go keeps per M.
///
/// Go: `m.fastrand` (runtime/runtime2.go) with `fastrand`/`fastrand64`/`fastrandn`.
///
/// # Examples
///
/// ```
/// use gocore::rand::FastRand;
/// let mut r = FastRand::new(7);
/// let first = r.next_u64();
/// assert_eq!(FastRand::new(7).next_u64(), first); // reproducible
/// assert!(r.below(6) < 6);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FastRand {
    state: u64,
}

impl FastRand {
    /// Creates a generator whose sequence is fixed by `seed`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = gocore::rand::FastRand::new(1);
    /// let _ = r.next_u32();
    /// ```
    pub const fn new(seed: u64) -> Self {
        FastRand { state: seed }
    }

    /// Returns the next 64 random bits.
    ///
    /// Go: `fastrand64()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = gocore::rand::FastRand::new(1);
    /// assert_ne!(r.next_u64(), r.next_u64());
    /// ```
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(WY_ADD);
        wymix(self.state)
    }

    /// Returns the next 32 random bits.
    ///
    /// Go: `fastrand()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = gocore::rand::FastRand::new(1);
    /// let _: u32 = r.next_u32();
    /// ```
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    /// Returns a number in `0..n`, or 0 when `n == 0`, by Go's
    /// multiply-shift: each value comes from `⌊2^32/n⌋` or `⌈2^32/n⌉` of
    /// the 2^32 draws, so its probability is within `2^-32` of `1/n`. For
    /// small `n` that is uniform for every practical purpose; for `n` near
    /// 2^32 some values are twice as likely as others (Go's `fastrandn`
    /// has the same bias; it serves map iteration starts and `select`
    /// orders, where `n` is small).
    ///
    /// Go: `fastrandn(n)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = gocore::rand::FastRand::new(1);
    /// assert!(r.below(3) < 3);
    /// assert_eq!(r.below(0), 0);
    /// ```
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        reduce(self.next_u32(), n)
    }
}

#[inline]
fn wymix(state: u64) -> u64 {
    let product = (state as u128).wrapping_mul((state ^ WY_XOR) as u128);
    ((product >> 64) as u64) ^ (product as u64)
}

#[inline]
fn reduce(x: u32, n: u32) -> u32 {
    ((x as u64 * n as u64) >> 32) as u32
}

/// Returns 32 random bits from the current thread's generator.
///
/// Go: `fastrand()` (runtime/stubs.go).
///
/// # Examples
///
/// ```
/// let a = gocore::rand::fastrand();
/// let b = gocore::rand::fastrand();
/// let c = gocore::rand::fastrand();
/// assert!(a != b || b != c);
/// ```
#[inline]
pub fn fastrand() -> u32 {
    fastrand64() as u32
}

/// Returns a number in `0..n` (0 when `n == 0`), with the bias of Go's
/// multiply-shift described at [`FastRand::below`].
///
/// Go: `fastrandn(n)`.
///
/// # Examples
///
/// ```
/// for _ in 0..100 {
///     assert!(gocore::rand::fastrandn(8) < 8);
/// }
/// ```
#[inline]
pub fn fastrandn(n: u32) -> u32 {
    reduce(fastrand(), n)
}

/// Returns 64 random bits from the current thread's generator.
///
/// Go: `fastrand64()`.
///
/// # Examples
///
/// ```
/// let _: u64 = gocore::rand::fastrand64();
/// ```
#[inline]
pub fn fastrand64() -> u64 {
    imp::next_u64()
}

/// Seeds the generator of the calling thread (with `std`) or the global
/// generator (without `std`), making the following draws reproducible.
///
/// With `std`, other threads keep their own seeds. Without `std`, call this
/// once at start-up with a hardware random value (or a fixed value in tests).
///
/// # Examples
///
/// ```
/// gocore::rand::seed(99);
/// let a = gocore::rand::fastrand64();
/// gocore::rand::seed(99);
/// assert_eq!(gocore::rand::fastrand64(), a);
/// ```
pub fn seed(seed: u64) {
    imp::seed(seed)
}

#[cfg(all(feature = "std", not(loom)))]
mod imp {
    use super::FastRand;
    use core::cell::Cell;
    use core::hash::BuildHasher;

    std::thread_local! {
        static STATE: Cell<u64> = Cell::new(initial_seed());
    }

    /// Seeds a new thread from the OS entropy `RandomState` draws, mixed with
    /// the thread's id, so no two threads share a sequence.
    fn initial_seed() -> u64 {
        std::collections::hash_map::RandomState::new().hash_one(std::thread::current().id())
    }

    pub(super) fn next_u64() -> u64 {
        STATE.with(|s| {
            let mut r = FastRand::new(s.get());
            let v = r.next_u64();
            s.set(r.state);
            v
        })
    }

    pub(super) fn seed(seed: u64) {
        STATE.with(|s| s.set(seed));
    }
}

#[cfg(any(not(feature = "std"), loom))]
mod imp {
    #[cfg(any(target_has_atomic = "64", feature = "portable-atomic", loom))]
    mod counter {
        use crate::atomic::{AtomicU64, Ordering};
        use crate::rand::{wymix, WY_ADD};

        #[cfg(not(loom))]
        static STATE: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);

        #[cfg(loom)]
        loom::lazy_static! {
            static ref STATE: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);
        }

        pub(in super::super) fn next_u64() -> u64 {
            wymix(
                STATE
                    .fetch_add(WY_ADD, Ordering::Relaxed)
                    .wrapping_add(WY_ADD),
            )
        }

        pub(in super::super) fn seed(seed: u64) {
            STATE.store(seed, Ordering::Relaxed);
        }
    }

    #[cfg(not(any(target_has_atomic = "64", feature = "portable-atomic", loom)))]
    mod counter {
        use crate::atomic::{AtomicU32, Ordering};

        static STATE: AtomicU32 = AtomicU32::new(0x748f_ea9b);
        const GOLDEN: u32 = 0x9e37_79b9;

        /// murmur3's 32-bit finaliser: a bijection that spreads a counter.
        fn fmix32(mut h: u32) -> u32 {
            h ^= h >> 16;
            h = h.wrapping_mul(0x85eb_ca6b);
            h ^= h >> 13;
            h = h.wrapping_mul(0xc2b2_ae35);
            h ^ (h >> 16)
        }

        #[cfg(target_has_atomic = "32")]
        fn step() -> u32 {
            STATE
                .fetch_add(GOLDEN, Ordering::Relaxed)
                .wrapping_add(GOLDEN)
        }

        // No CAS: a racy load/store. Two racing callers may draw the same
        // value; nothing in gort needs more than that from iteration order.
        #[cfg(not(target_has_atomic = "32"))]
        fn step() -> u32 {
            let v = STATE.load(Ordering::Relaxed).wrapping_add(GOLDEN);
            STATE.store(v, Ordering::Relaxed);
            v
        }

        pub(in super::super) fn next_u64() -> u64 {
            let hi = fmix32(step()) as u64;
            let lo = fmix32(step()) as u64;
            (hi << 32) | lo
        }

        pub(in super::super) fn seed(seed: u64) {
            STATE.store((seed ^ (seed >> 32)) as u32, Ordering::Relaxed);
        }
    }

    pub(super) use counter::{next_u64, seed};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wyrand_matches_go_reference_arithmetic() {
        // Go: mp.fastrand += 0xa0761d6478bd642f; hi, lo := Mul64(s, s^0xe7037ed1a0b428db); hi^lo.
        let mut r = FastRand::new(0);
        let s: u64 = 0xa076_1d64_78bd_642f;
        let p = (s as u128) * ((s ^ 0xe703_7ed1_a0b4_28db) as u128);
        assert_eq!(r.next_u64(), ((p >> 64) as u64) ^ (p as u64));
    }

    #[test]
    fn below_stays_in_range_and_handles_zero() {
        let mut r = FastRand::new(3);
        for n in [1u32, 2, 3, 7, 8, 1000, u32::MAX] {
            for _ in 0..100 {
                assert!(r.below(n) < n);
            }
        }
        assert_eq!(r.below(0), 0);
    }

    /// The bound `below`'s docs state: the draws `reduce` maps to a value
    /// `v` are those `x` with `v·2^32 ≤ x·n < (v+1)·2^32`, a run of
    /// `⌊2^32/n⌋` or `⌈2^32/n⌉` of them; for `n` above 2^31 that is 1 or 2.
    #[test]
    fn below_maps_floor_or_ceil_of_the_draws_to_each_value() {
        let mut r = FastRand::new(17);
        for n in [3u32, 10, 1000, 0x8000_0001, 0xC000_0000, u32::MAX] {
            let (lo, hi) = ((1u64 << 32) / n as u64, (1u64 << 32).div_ceil(n as u64));
            for _ in 0..64 {
                let v = r.below(n) as u64;
                let first = (v << 32).div_ceil(n as u64);
                let end = ((v + 1) << 32).div_ceil(n as u64);
                assert_eq!(reduce(first as u32, n) as u64, v);
                assert_eq!(reduce((end - 1) as u32, n) as u64, v);
                if end < 1 << 32 {
                    assert_eq!(reduce(end as u32, n) as u64, v + 1);
                }
                assert!((lo..=hi).contains(&(end - first)), "n {n} v {v}");
            }
        }
    }

    #[test]
    fn distribution_is_uniform_by_chi_square() {
        // 8 buckets, as for a map iteration's slot offset. With 7 degrees of
        // freedom the 99.9% quantile of chi-square is 24.32.
        let rounds = if cfg!(miri) { 800 } else { 80_000 };
        let mut r = FastRand::new(0x1234_5678);
        let mut counts = [0u32; 8];
        for _ in 0..rounds {
            counts[r.below(8) as usize] += 1;
        }
        let expected = rounds as f64 / 8.0;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 24.32, "chi-square {chi2} for {counts:?}");
    }

    #[test]
    fn bits_are_balanced() {
        let mut r = FastRand::new(11);
        let rounds = if cfg!(miri) { 256 } else { 20_000 };
        let mut ones = [0u32; 64];
        for _ in 0..rounds {
            let v = r.next_u64();
            for (bit, count) in ones.iter_mut().enumerate() {
                *count += ((v >> bit) & 1) as u32;
            }
        }
        for (bit, &count) in ones.iter().enumerate() {
            let frac = count as f64 / rounds as f64;
            assert!((0.40..0.60).contains(&frac), "bit {bit} set {frac}");
        }
    }

    #[test]
    fn seeding_the_global_generator_is_reproducible() {
        seed(5);
        let a: [u32; 4] = core::array::from_fn(|_| fastrand());
        seed(5);
        let b: [u32; 4] = core::array::from_fn(|_| fastrand());
        assert_eq!(a, b);
        assert!(fastrandn(5) < 5);
    }

    #[cfg(feature = "std")]
    #[test]
    fn threads_draw_different_sequences() {
        let draw = || (0..4).map(|_| fastrand64()).collect::<std::vec::Vec<_>>();
        let a = std::thread::spawn(draw).join().unwrap();
        let b = std::thread::spawn(draw).join().unwrap();
        assert_ne!(a, b);
    }
}
