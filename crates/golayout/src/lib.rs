//! Go struct layout and alignment calculator for every GOARCH, with a CLI that reads Go source.
//!
//! This crate is being built under issue #7 of the gort workspace; until
//! it lands it exports nothing.
#![no_std]
