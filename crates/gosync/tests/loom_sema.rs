//! Loom model of the runtime semaphore: a release is never lost, whether it
//! comes before, during or after the acquirer goes to sleep; hand-off gives
//! the ticket to the sleeper.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_sema`
#![cfg(loom)]

use gocore::atomic::{AtomicU32, Ordering};
use gosync::sema;
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;

#[test]
fn release_is_never_lost() {
    model(|| {
        let s = Arc::new(AtomicU32::new(0));
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || sema::release(&s2, false));
        sema::acquire(&s, false);
        t.join().unwrap();
        assert_eq!(s.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn handoff_release_is_never_lost() {
    model(|| {
        let s = Arc::new(AtomicU32::new(0));
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || sema::acquire(&s2, true));
        sema::release(&s, true);
        t.join().unwrap();
        assert_eq!(s.load(Ordering::SeqCst), 0);
    });
}
