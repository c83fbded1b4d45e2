//! Implementations of external crates' traits, one file per crate.

#[cfg(feature = "serde")]
mod serde;
