//! Loom model of `RwLock` (Go's `RWMutex`): exclusion, and writer preference (once a writer
//! waits, new readers are refused).
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_rwmutex`
#![cfg(loom)]

use gosync::RwLock;
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;

#[test]
fn readers_and_writer_exclude() {
    model(|| {
        let l = Arc::new(RwLock::new(loom::cell::UnsafeCell::new(0usize)));
        let l2 = Arc::clone(&l);
        let w = thread::spawn(move || {
            let g = l2.write();
            // SAFETY: the access is ordered by the primitive under test; loom checks it.
            g.with_mut(|p| unsafe { *p += 1 });
        });
        let l3 = Arc::clone(&l);
        let r = thread::spawn(move || {
            let g = l3.read();
            // SAFETY: the access is ordered by the primitive under test; loom checks it.
            let v = g.with(|p| unsafe { *p });
            assert!(v <= 1);
        });
        {
            let g = l.read();
            // SAFETY: the access is ordered by the primitive under test; loom checks it.
            let v = g.with(|p| unsafe { *p });
            assert!(v <= 1);
        }
        w.join().unwrap();
        r.join().unwrap();
        // SAFETY: the access is ordered by the primitive under test; loom checks it.
        assert_eq!(l.read().with(|p| unsafe { *p }), 1);
        assert_eq!(l.raw().reader_count(), 0);
    });
}

#[test]
fn a_pending_writer_blocks_new_readers() {
    model(|| {
        let l = Arc::new(RwLock::new(0usize));
        let r1 = l.read();
        let l2 = Arc::clone(&l);
        let w = thread::spawn(move || {
            *l2.write() = 1;
        });
        while !l.raw().is_locked_exclusive() {
            thread::yield_now();
        }
        // The writer has announced itself (readerCount < 0): new readers wait.
        assert!(l.try_read().is_none());
        drop(r1);
        w.join().unwrap();
        assert_eq!(*l.read(), 1);
    });
}
