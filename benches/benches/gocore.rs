//! gocore benches: `fastrand` against a thread-local xorshift and `std`'s
//! `RandomState` hashing; the default hash builder against `std`'s SipHash.
//!
//! Dimensions: generator (gocore thread-local fastrandn, an explicit FastRand, std
//! RandomState hashing a counter) × 10M draws;
//! hasher (gocore DefaultHashBuilder, std RandomState) × u64 keys × 10M hashes.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::hint::black_box;

use gort_benches::Suite;

fn main() {
    let mut s = Suite::new("gocore");
    let n = s.size(10_000_000, 1_000_000);
    s.throughput(
        "fastrandn(8) draws",
        "gocore fastrandn",
        n as u64,
        3,
        || (),
        |_| {
            let mut acc = 0u32;
            for _ in 0..n {
                acc = acc.wrapping_add(gocore::rand::fastrandn(8));
            }
            acc
        },
    );
    s.throughput(
        "fastrandn(8) draws",
        "gocore FastRand",
        n as u64,
        3,
        || gocore::rand::FastRand::new(1),
        |mut r| {
            let mut acc = 0u32;
            for _ in 0..n {
                acc = acc.wrapping_add(r.below(8));
            }
            acc
        },
    );
    s.throughput(
        "fastrandn(8) draws",
        "std RandomState hash",
        n as u64,
        3,
        RandomState::new,
        |st| {
            let mut acc = 0u64;
            for i in 0..n as u64 {
                acc = acc.wrapping_add(st.hash_one(i) % 8);
            }
            acc
        },
    );
    let g = gocore::hash::DefaultHashBuilder::new();
    s.throughput(
        "hash u64",
        "gocore DefaultHashBuilder",
        n as u64,
        3,
        || (),
        |_| {
            let mut acc = 0u64;
            for i in 0..n as u64 {
                acc ^= g.hash_one(black_box(i));
            }
            acc
        },
    );
    let st = RandomState::new();
    s.throughput(
        "hash u64",
        "std SipHash",
        n as u64,
        3,
        || (),
        |_| {
            let mut acc = 0u64;
            for i in 0..n as u64 {
                acc ^= st.hash_one(black_box(i));
            }
            acc
        },
    );
    s.finish();
}
