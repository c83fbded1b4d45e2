//! Loom models of gocore's concurrency protocols: the runtime lock's mutual
//! exclusion and its sleep/wake handshake, and the parkers' "an unpark is never lost" rule (park.rs I1).
//!
//! Run with `cargo xtask loom gocore`.
#![cfg(loom)]

use gocore::atomic::{AtomicUsize, Ordering};
use gocore::lock::SpinLock;
use gocore::park::{Park, SpinPark, ThreadPark};
use loom::sync::Arc;
use loom::thread;

#[test]
fn spin_lock_excludes() {
    loom::model(|| {
        let lock = Arc::new(SpinLock::new(0usize));
        let l2 = Arc::clone(&lock);
        let t = thread::spawn(move || {
            let mut g = l2.lock();
            let v = *g;
            *g = v + 1;
        });
        {
            let mut g = lock.lock();
            let v = *g;
            *g = v + 1;
        }
        t.join().unwrap();
        assert_eq!(*lock.lock(), 2);
    });
}

/// Two waiters queue behind a holder: under loom a waiter tries once, then
/// records itself as a sleeper and sleeps (lock.rs I3, I4). Loom reports a
/// lost wake-up as a deadlock; the count checks mutual exclusion.
#[test]
fn spin_lock_sleepers_are_all_woken() {
    loom::model(|| {
        let lock = Arc::new(SpinLock::new(0usize));
        let g = lock.lock();
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let l = Arc::clone(&lock);
                thread::spawn(move || {
                    let mut g = l.lock();
                    let v = *g;
                    *g = v + 1;
                })
            })
            .collect();
        drop(g);
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 2);
        assert!(!lock.is_locked());
    });
}

/// The waiter parks on `P` until a flag another thread sets (then unparks)
/// is visible, re-checking the flag around every park (park.rs I3).
fn never_loses_an_unpark<P: Park + Send + Sync + 'static>(make: fn() -> P) {
    loom::model(move || {
        let flag = Arc::new(AtomicUsize::new(0));
        let park = Arc::new(make());
        let (f2, p2) = (Arc::clone(&flag), Arc::clone(&park));
        let t = thread::spawn(move || {
            f2.store(1, Ordering::Release);
            p2.unpark();
        });
        while flag.load(Ordering::Acquire) == 0 {
            park.park();
        }
        t.join().unwrap();
    });
}

#[test]
fn thread_park_never_loses_an_unpark() {
    never_loses_an_unpark(ThreadPark::new);
}

#[test]
fn spin_park_never_loses_an_unpark() {
    never_loses_an_unpark(SpinPark::new);
}
