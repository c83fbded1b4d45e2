//! Loom model of SyncMap promotion: a writer adds keys (dirty, amended)
//! while a reader misses and promotes dirty to read; no value is lost and the
//! maps end consistent.
//!
//! Under loom the read-map pointer, entry pointers and the reclamation
//! domain's epoch and reader counts are loom atomics, so the model explores
//! the lock-free paths, the map's Mutex and the reclamation protocol's
//! interleavings together. (Loom does not track heap frees itself; memory
//! safety of the same code is checked by Miri in the ordinary tests.)
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_sync_map`
#![cfg(loom)]

use gosync::SyncMap;
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;

#[test]
fn promotion_racing_stores_loses_nothing() {
    model(|| {
        let m = Arc::new(SyncMap::new());
        m.store(0u8, 0u8);
        let m2 = Arc::clone(&m);
        let w = thread::spawn(move || {
            m2.store(1, 1);
            m2.store(0, 10);
        });
        // Misses on key 1 promote dirty whenever they outnumber it.
        let a = m.load(&1);
        assert!(a.is_none() || a == Some(1));
        let b = m.load(&0);
        assert!(b == Some(0) || b == Some(10));
        w.join().unwrap();
        assert_eq!(m.load(&1), Some(1));
        assert_eq!(m.load(&0), Some(10));
        let s = m.stats();
        assert!(s.dirty_len.is_none() || s.amended || s.dirty_len == Some(s.read_len));
    });
}
