//! Go's context: cancellation trees, deadlines, values, and leak-free timers usable in gochan's select.
//!
//! This crate is being built under issue #8 of the gort workspace; until
//! it lands it exports nothing.
#![no_std]
