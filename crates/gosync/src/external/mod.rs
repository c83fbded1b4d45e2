//! Implementations of external crates' traits, one file per crate.

#[cfg(all(feature = "serde", feature = "std"))]
mod serde;
