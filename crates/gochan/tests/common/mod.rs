//! Shared by the test files: a value that counts live instances (and can
//! panic when dropped), a waker that counts its wakes, and sizes and
//! durations. Each test file uses what it needs.
#![allow(dead_code)]

use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};

/// A value that counts live instances, fails a test on a double drop, and
/// panics when dropped if `panic_on_drop` is set.
#[derive(Debug)]
pub struct Tracked {
    live: Arc<AtomicIsize>,
    alive: bool,
    pub panic_on_drop: bool,
}

impl Tracked {
    pub fn new(live: &Arc<AtomicIsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Tracked {
            live: live.clone(),
            alive: true,
            panic_on_drop: false,
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        assert!(self.alive, "double drop");
        self.alive = false;
        self.live.fetch_sub(1, Ordering::SeqCst);
        if self.panic_on_drop {
            panic!("Tracked::drop panics");
        }
    }
}

/// A waker that counts how often it was woken.
pub struct CountWake(pub AtomicUsize);

impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counting waker and the count behind it.
pub fn counting_waker() -> (Arc<CountWake>, Waker) {
    let w = Arc::new(CountWake(AtomicUsize::new(0)));
    (w.clone(), Waker::from(w))
}

/// `n` milliseconds.
pub fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}

/// `full` natively, `small` under Miri.
pub fn size(full: usize, small: usize) -> usize {
    if cfg!(miri) {
        small
    } else {
        full
    }
}
