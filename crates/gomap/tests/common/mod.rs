//! Shared by the drop-counting test files: a live-instance count, a key type
//! `D` that counts itself and panics on demand, a constant hasher, and
//! countdown triggers that make a user `Hash`, `Eq` or `Clone` panic on the
//! n-th call. Each test file uses the triggers it needs.
#![allow(dead_code)]

use std::cell::Cell;
use std::hash::{BuildHasher, Hash, Hasher};

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

/// A key/value that counts live instances and can panic on demand.
#[derive(Debug)]
pub struct D {
    pub id: u64,
    panic_on_drop: bool,
}

impl D {
    pub fn new(id: u64) -> D {
        LIVE.with(|l| l.set(l.get() + 1));
        D {
            id,
            panic_on_drop: false,
        }
    }
    pub fn bomb(id: u64) -> D {
        let mut d = D::new(id);
        d.panic_on_drop = true;
        d
    }
}

impl Drop for D {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
        if self.panic_on_drop {
            panic!("drop of {} panicked", self.id);
        }
    }
}

impl Clone for D {
    fn clone(&self) -> D {
        if countdown(&PANIC_CLONE_AT) {
            panic!("clone panicked");
        }
        D::new(self.id)
    }
}

impl PartialEq for D {
    fn eq(&self, o: &D) -> bool {
        self.id == o.id
    }
}
impl Eq for D {}

impl Hash for D {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if countdown(&PANIC_HASH_AT) {
            panic!("hash panicked");
        }
        self.id.hash(h);
    }
}

/// Every key hashes to one constant: one bucket chain, overflow buckets.
#[derive(Clone, Copy, Default)]
pub struct Constant;
pub struct ConstantHasher;
impl Hasher for ConstantHasher {
    fn finish(&self) -> u64 {
        0x5555_aaaa_1234_5678
    }
    fn write(&mut self, _: &[u8]) {}
}
impl BuildHasher for Constant {
    type Hasher = ConstantHasher;
    fn build_hasher(&self) -> ConstantHasher {
        ConstantHasher
    }
}
