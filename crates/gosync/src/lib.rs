//! Go's sync package: Mutex with starvation mode, RWMutex, WaitGroup, Once, sync.Map and the runtime semaphore.
//!
//! This crate is being built under issue #5 of the gort workspace; until
//! it lands it exports nothing.
#![no_std]
