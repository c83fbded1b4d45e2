//! Go's slices: shared backing arrays, three-index slicing, append aliasing and Go's exact growth policy.
//!
//! This crate is being built under issue #6 of the gort workspace; until
//! it lands it exports nothing.
#![no_std]
