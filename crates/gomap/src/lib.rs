//! Go's map: 8-slot buckets with tophash bytes, overflow chains, load factor 6.5 and incremental evacuation, with a std-grade API.
//!
//! This crate is being built under issue #3 of the gort workspace; until
//! it lands it exports nothing.
#![no_std]
