//! Shared by the drop-counting test files: a live-instance count and
//! countdown triggers that make a user `Hash`, `Eq` or `Clone` panic on the
//! n-th call. Each test file uses the triggers it needs.
#![allow(dead_code)]

use std::cell::Cell;

thread_local! {
    pub static LIVE: Cell<isize> = const { Cell::new(0) };
    pub static PANIC_HASH_AT: Cell<usize> = const { Cell::new(usize::MAX) };
    pub static PANIC_EQ_AT: Cell<usize> = const { Cell::new(usize::MAX) };
    pub static PANIC_CLONE_AT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Instances alive on this thread.
pub fn live() -> isize {
    LIVE.with(|l| l.get())
}

/// Counts down a thread-local trigger; true (once) when it reaches zero.
pub fn countdown(c: &'static std::thread::LocalKey<Cell<usize>>) -> bool {
    c.with(|n| {
        let v = n.get();
        if v == 0 {
            n.set(usize::MAX);
            true
        } else {
            if v != usize::MAX {
                n.set(v - 1);
            }
            false
        }
    })
}
