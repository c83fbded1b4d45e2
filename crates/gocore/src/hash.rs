//! The default hash builder, with a per-map random seed like Go's `hash0`.
//!
//! Go gives every map a 32-bit seed, `hmap.hash0 = fastrand()`, drawn when the
//! map is made, and hashes each key with `hasher(key, hash0)`. Seeding per map
//! (not per process) means that two maps never share a collision pattern, and
//! an attacker who learns one map's layout learns nothing about another's.
//!
//! [`DefaultHashBuilder`] does the same with [aHash](https://docs.rs/ahash)
//! (on targets without compare-and-swap other than bare-metal ARM, where
//! aHash cannot build, with Go's own wyhash fallback, `memhashFallback`):
//! each [`DefaultHashBuilder::new`] draws four fresh 64-bit keys from
//! [`crate::rand::fastrand64`]. With `std` that generator is seeded from the
//! operating system. **Without `std`** it is a global counter that starts from
//! a fixed constant: call [`crate::rand::seed`] once at start-up with a value
//! from your hardware RNG, or build maps with [`DefaultHashBuilder::with_seed`].
//!
//! # Examples
//!
//! ```
//! use core::hash::BuildHasher;
//! use gocore::hash::DefaultHashBuilder;
//!
//! let a = DefaultHashBuilder::with_seed(1);
//! let b = DefaultHashBuilder::with_seed(1);
//! assert_eq!(a.hash_one("go"), b.hash_one("go")); // same seed, same hash
//! let c = DefaultHashBuilder::new(); // fresh random seed, like Go's hash0
//! let _ = c.hash_one("go");
//! ```

use core::fmt;
use core::hash::BuildHasher;

use crate::rand::{fastrand64, FastRand};

// The condition under which aHash builds (its own Cargo.toml and
// `random_state.rs` need compare-and-swap except on bare-metal ARM); keep it
// equal to the target-specific dependency in gocore's Cargo.toml.
#[cfg(any(
    target_has_atomic = "ptr",
    all(target_arch = "arm", target_os = "none")
))]
use ahash::{AHasher as Hasher, RandomState as State};
#[cfg(not(any(
    target_has_atomic = "ptr",
    all(target_arch = "arm", target_os = "none")
)))]
use wyhash::{WyHasher as Hasher, WyState as State};

#[cfg(any(
    test,
    not(any(
        target_has_atomic = "ptr",
        all(target_arch = "arm", target_os = "none")
    ))
))]
mod wyhash;

/// A [`BuildHasher`] with its own random seed: Go's `hash0`.
///
/// Go: `hmap.hash0` (runtime/map.go).
///
/// Cloning keeps the seed (a clone hashes like the original), as a copied map
/// must find its keys.
#[derive(Clone)]
pub struct DefaultHashBuilder {
    state: State,
}

impl DefaultHashBuilder {
    /// Creates a builder with a fresh random seed.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::hash::BuildHasher;
    /// let s = gocore::hash::DefaultHashBuilder::new();
    /// assert_eq!(s.hash_one(1u64), s.hash_one(1u64));
    /// ```
    pub fn new() -> Self {
        Self::from_keys([fastrand64(), fastrand64(), fastrand64(), fastrand64()])
    }

    /// Creates a builder whose hashes are fixed by `seed`: for tests and for
    /// `no_std` targets that supply their own entropy.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::hash::BuildHasher;
    /// use gocore::hash::DefaultHashBuilder;
    /// assert_ne!(
    ///     DefaultHashBuilder::with_seed(1).hash_one(5u8),
    ///     DefaultHashBuilder::with_seed(2).hash_one(5u8),
    /// );
    /// ```
    pub fn with_seed(seed: u64) -> Self {
        let mut r = FastRand::new(seed);
        Self::from_keys([r.next_u64(), r.next_u64(), r.next_u64(), r.next_u64()])
    }

    fn from_keys(k: [u64; 4]) -> Self {
        DefaultHashBuilder {
            state: State::with_seeds(k[0], k[1], k[2], k[3]),
        }
    }
}

impl Default for DefaultHashBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BuildHasher for DefaultHashBuilder {
    type Hasher = Hasher;

    #[inline]
    fn build_hasher(&self) -> Hasher {
        self.state.build_hasher()
    }
}

impl fmt::Debug for DefaultHashBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The seed is a secret, as Go never prints hash0.
        f.debug_struct("DefaultHashBuilder").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_builder_draws_its_own_seed() {
        let a = DefaultHashBuilder::new();
        let b = DefaultHashBuilder::new();
        let differs = (0u64..16).any(|k| a.hash_one(k) != b.hash_one(k));
        assert!(differs, "two maps got the same hash0");
    }

    #[test]
    fn clones_and_equal_seeds_hash_alike() {
        let a = DefaultHashBuilder::with_seed(9);
        let b = a.clone();
        for k in 0u64..16 {
            assert_eq!(a.hash_one(k), b.hash_one(k));
            assert_eq!(a.hash_one(k), DefaultHashBuilder::with_seed(9).hash_one(k));
        }
    }

    #[test]
    fn low_bits_spread_over_buckets() {
        // A map with B = 4 picks the bucket from the low 4 bits: sequential
        // keys must not pile up.
        let s = DefaultHashBuilder::with_seed(3);
        let mut counts = [0u32; 16];
        for k in 0u64..1600 {
            counts[(s.hash_one(k) & 15) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (50..=150).contains(&c)),
            "{counts:?}"
        );
    }
}
