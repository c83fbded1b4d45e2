//! Loom model of Once: the function runs once and its effects are visible
//! to every caller when its call returns.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_once`
#![cfg(loom)]

use gosync::Once;
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;

struct Shared {
    once: Once,
    calls: AtomicUsize,
    data: UnsafeCell<usize>,
}
// SAFETY: `data` is written inside the once and read after call_once.
unsafe impl Sync for Shared {}

fn init(s: &Shared) {
    s.once.call_once(|| {
        s.calls.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the access is ordered by the primitive under test; loom checks it.
        s.data.with_mut(|p| unsafe { *p = 7 });
    });
    // SAFETY: the access is ordered by the primitive under test; loom checks it.
    assert_eq!(s.data.with(|p| unsafe { *p }), 7);
}

#[test]
fn once_runs_once_and_publishes() {
    model(|| {
        let s = Arc::new(Shared {
            once: Once::new(),
            calls: AtomicUsize::new(0),
            data: UnsafeCell::new(0),
        });
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || init(&s2));
        init(&s);
        t.join().unwrap();
        assert_eq!(s.calls.load(Ordering::Relaxed), 1);
    });
}
