//! Go's channels for threads, async and no_std: ring buffer, direct hand-off, close, select and nil channels.
//!
//! This crate is being built under issue #4 of the gort workspace; until
//! it lands it exports nothing.
#![no_std]
