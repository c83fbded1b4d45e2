//! Scenarios from std's `library/std/src/sync/{mutex,rwlock,once,condvar}/tests.rs`
//! and parking_lot's mutex/rwlock/condvar test modules, re-written against
//! gosync.
//!
//! gosync has no poisoning (Go has none: a panic while locked unlocks), so
//! std's poison scenarios become "the lock is usable and the data is as the
//! panicking thread left it". Go's `Cond` has no timed wait, so the
//! `wait_timeout` scenarios are not ported.
#![cfg(feature = "std")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use gosync::{Cond, Mutex, Once, RwLock};

fn size(full: usize, small: usize) -> usize {
    if cfg!(miri) {
        small
    } else {
        full
    }
}

#[derive(Eq, PartialEq, Debug)]
struct NonCopy(i32);

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// std mutex/tests.rs: smoke
#[test]
fn mutex_smoke() {
    let m = Mutex::new(());
    drop(m.lock());
    drop(m.lock());
}

// std mutex/tests.rs: lots_and_lots; parking_lot mutex.rs: lots_and_lots
#[test]
fn mutex_lots_and_lots() {
    let iters = size(1000, 20);
    let threads = size(8, 2);
    let m = Arc::new(Mutex::new(0usize));
    let hs: Vec<_> = (0..threads)
        .map(|_| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                for _ in 0..iters {
                    *m.lock() += 1;
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(*m.lock(), iters * threads);
}

// std mutex/tests.rs: try_lock
#[test]
fn mutex_try_lock() {
    let m = Mutex::new(());
    let g = m.try_lock().expect("unlocked");
    assert!(m.try_lock().is_none());
    assert!(m.is_locked());
    drop(g);
    assert!(m.try_lock().is_some());
}

// std mutex/tests.rs: test_into_inner, test_into_inner_drop
#[test]
fn mutex_into_inner() {
    let m = Mutex::new(NonCopy(10));
    assert_eq!(m.into_inner(), NonCopy(10));

    let drops = Arc::new(AtomicUsize::new(0));
    let m = Mutex::new(DropCount(drops.clone()));
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    {
        let _inner = m.into_inner();
        assert_eq!(drops.load(Ordering::SeqCst), 0);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    let m = Mutex::new(DropCount(drops.clone()));
    drop(m);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

// std mutex/tests.rs: test_get_mut
#[test]
fn mutex_get_mut() {
    let mut m = Mutex::new(NonCopy(10));
    *m.get_mut() = NonCopy(20);
    assert_eq!(m.into_inner(), NonCopy(20));
}

// std mutex/tests.rs: test_mutex_arc_condvar (a Mutex and a Cond in an Arc)
#[test]
fn mutex_arc_cond() {
    let packet = Arc::new((Mutex::new(false), Cond::new()));
    let packet2 = Arc::clone(&packet);
    let h = thread::spawn(move || {
        *packet2.0.lock() = true;
        packet2.1.signal();
    });
    let mut g = packet.0.lock();
    while !*g {
        g = packet.1.wait(g);
    }
    drop(g);
    h.join().unwrap();
}

// std mutex/tests.rs: test_mutex_arc_poison → no poisoning in Go: the lock
// taken by a thread that panicked is released and the data is usable.
#[test]
fn mutex_no_poison_after_panic() {
    let arc = Arc::new(Mutex::new(1));
    let arc2 = Arc::clone(&arc);
    let r = thread::spawn(move || {
        let mut g = arc2.lock();
        *g = 2;
        panic!("with the lock held");
    })
    .join();
    assert!(r.is_err());
    assert!(!arc.is_locked());
    assert_eq!(*arc.lock(), 2);
    let m = Arc::try_unwrap(arc).ok().unwrap();
    assert_eq!(m.into_inner(), 2);
}

// std mutex/tests.rs: test_mutex_arc_nested
#[test]
fn mutex_arc_nested() {
    let arc = Arc::new(Mutex::new(1));
    let arc2 = Arc::new(Mutex::new(arc));
    let (tx, rx) = std::sync::mpsc::channel();
    let h = thread::spawn(move || {
        let lock = arc2.lock();
        let lock2 = lock.lock();
        assert_eq!(*lock2, 1);
        tx.send(()).unwrap();
    });
    rx.recv().unwrap();
    h.join().unwrap();
}

// std mutex/tests.rs: test_mutex_arc_access_in_unwind (a Drop running
// during unwinding takes the lock)
#[test]
fn mutex_access_in_unwind() {
    let arc = Arc::new(Mutex::new(1));
    let arc2 = Arc::clone(&arc);
    let r = catch_unwind(AssertUnwindSafe(move || {
        struct Unwinder {
            i: Arc<Mutex<i32>>,
        }
        impl Drop for Unwinder {
            fn drop(&mut self) {
                *self.i.lock() += 1;
            }
        }
        let _u = Unwinder { i: arc2 };
        panic!();
    }));
    assert!(r.is_err());
    assert_eq!(*arc.lock(), 2);
}

// std mutex/tests.rs: test_mutex_unsized; rwlock/tests.rs: test_rwlock_unsized
#[test]
fn unsized_data() {
    let mutex: &Mutex<[i32]> = &Mutex::new([1, 2, 3]);
    {
        let b = &mut *mutex.lock();
        b[0] = 4;
        b[2] = 5;
    }
    assert_eq!(&*mutex.lock(), &[4, 2, 5]);

    let rw: &RwLock<[i32]> = &RwLock::new([1, 2, 3]);
    {
        let b = &mut *rw.write();
        b[0] = 4;
        b[2] = 5;
    }
    assert_eq!(&*rw.read(), &[4, 2, 5]);
}

// parking_lot mutex.rs: test_mutex_debug; rwlock.rs: test_rwlock_debug
#[test]
fn debug_output() {
    let m = Mutex::new(vec![0u8, 10]);
    assert_eq!(format!("{m:?}"), "Mutex { data: [0, 10], .. }");
    let g = m.lock();
    assert_eq!(format!("{m:?}"), "Mutex { data: <locked>, .. }");
    assert_eq!(format!("{g:?}"), "[0, 10]");
    drop(g);

    let x = RwLock::new(vec![0u8, 10]);
    assert_eq!(format!("{x:?}"), "RwLock { data: [0, 10], .. }");
    let r = x.read();
    // Readers share: the data is still shown.
    assert_eq!(format!("{x:?}"), "RwLock { data: [0, 10], .. }");
    assert_eq!(format!("{r:?}"), "[0, 10]");
    drop(r);
    let w = x.write();
    assert_eq!(format!("{x:?}"), "RwLock { data: <locked>, .. }");
    drop(w);
}

// std: the guards are Display when the data is (MutexGuard,
// RwLockReadGuard, RwLockWriteGuard)
#[test]
fn guard_display() {
    let m = Mutex::new(String::from("go"));
    assert_eq!(m.lock().to_string(), "go");
    let l = RwLock::new(1.5);
    assert_eq!(l.read().to_string(), "1.5");
    assert_eq!(format!("{:>5}", l.write()), "  1.5");
}

// std rwlock/tests.rs: smoke
#[test]
fn rwlock_smoke() {
    let l = RwLock::new(());
    drop(l.read());
    drop(l.write());
    drop((l.read(), l.read()));
    drop(l.write());
}

// std rwlock/tests.rs: frob (random readers and writers)
#[test]
fn rwlock_frob() {
    let n = size(8, 2);
    let m = size(500, 10);
    let r = Arc::new(RwLock::new(()));
    let hs: Vec<_> = (0..n)
        .map(|t| {
            let r = Arc::clone(&r);
            thread::spawn(move || {
                let mut seed = 0x9e37_79b9_u32.wrapping_mul(t as u32 + 1);
                for _ in 0..m {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    if seed % n as u32 == 0 {
                        drop(r.write());
                    } else {
                        drop(r.read());
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

// std rwlock/tests.rs: test_rw_arc (a writer's intermediate state is never
// seen by readers)
#[test]
fn rwlock_rw_arc() {
    let arc = Arc::new(RwLock::new(0));
    let arc2 = Arc::clone(&arc);
    let steps = size(10, 3);
    let writer = thread::spawn(move || {
        let mut lock = arc2.write();
        for _ in 0..steps {
            let tmp = *lock;
            *lock = -1;
            thread::yield_now();
            *lock = tmp + 1;
        }
    });
    let readers: Vec<_> = (0..5)
        .map(|_| {
            let arc3 = Arc::clone(&arc);
            thread::spawn(move || {
                let lock = arc3.read();
                assert!(*lock >= 0);
            })
        })
        .collect();
    for r in readers {
        r.join().unwrap();
    }
    writer.join().unwrap();
    assert_eq!(*arc.read(), steps as i32);
}

// std rwlock/tests.rs: test_rw_arc_access_in_unwind
#[test]
fn rwlock_access_in_unwind() {
    let arc = Arc::new(RwLock::new(1));
    let arc2 = Arc::clone(&arc);
    let r = catch_unwind(AssertUnwindSafe(move || {
        struct Unwinder {
            i: Arc<RwLock<isize>>,
        }
        impl Drop for Unwinder {
            fn drop(&mut self) {
                *self.i.write() += 1;
            }
        }
        let _u = Unwinder { i: arc2 };
        panic!();
    }));
    assert!(r.is_err());
    assert_eq!(*arc.read(), 2);
}

// std rwlock/tests.rs: test_rw_arc_no_poison_wr / _ww / _rr (no poisoning:
// a panic under either lock leaves the lock usable)
#[test]
fn rwlock_no_poison_after_panic() {
    let arc = Arc::new(RwLock::new(1));
    for write in [false, true] {
        let arc2 = Arc::clone(&arc);
        let r = thread::spawn(move || {
            if write {
                let _g = arc2.write();
                panic!();
            } else {
                let _g = arc2.read();
                panic!();
            }
        })
        .join();
        assert!(r.is_err());
        assert_eq!(*arc.read(), 1);
        *arc.write() += 1;
        *arc.write() -= 1;
    }
}

// std rwlock/tests.rs: test_rwlock_try_write; parking_lot rwlock.rs:
// test_rwlock_try_read / try_write
#[test]
fn rwlock_try() {
    let l = RwLock::new(0);
    let r = l.read();
    assert!(
        l.try_write().is_none(),
        "try_write should fail while read_guard is in scope"
    );
    assert!(l.try_read().is_some());
    drop(r);
    let w = l.write();
    assert!(l.try_read().is_none());
    assert!(l.try_write().is_none());
    drop(w);
    assert!(l.try_write().is_some());
}

// std rwlock/tests.rs: test_into_inner, test_into_inner_drop, test_get_mut
#[test]
fn rwlock_into_inner_and_get_mut() {
    let m = RwLock::new(NonCopy(10));
    assert_eq!(m.into_inner(), NonCopy(10));
    let drops = Arc::new(AtomicUsize::new(0));
    let m = RwLock::new(DropCount(drops.clone()));
    {
        let _inner = m.into_inner();
        assert_eq!(drops.load(Ordering::SeqCst), 0);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let mut m = RwLock::new(NonCopy(10));
    *m.get_mut() = NonCopy(20);
    assert_eq!(m.into_inner(), NonCopy(20));
}

// parking_lot rwlock.rs: test_rw_arc (many readers inside at once while a
// writer waits behind them)
#[test]
fn rwlock_readers_inside_together() {
    let l = Arc::new(RwLock::new(0));
    let inside = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(std::sync::Barrier::new(3));
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let (l, inside, gate) = (l.clone(), inside.clone(), gate.clone());
            thread::spawn(move || {
                let g = l.read();
                inside.fetch_add(1, Ordering::SeqCst);
                // All three readers hold the lock at this point.
                gate.wait();
                assert_eq!(*g, 0);
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(inside.load(Ordering::SeqCst), 3);
}

// std once/tests.rs: smoke_once
#[test]
fn once_smoke() {
    static O: Once = Once::new();
    let mut a = 0;
    O.call_once(|| a += 1);
    assert_eq!(a, 1);
    O.call_once(|| a += 1);
    assert_eq!(a, 1);
    assert!(O.is_done());
}

// std once/tests.rs: stampede_once
#[test]
fn once_stampede() {
    static O: Once = Once::new();
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let threads = size(10, 3);
    let hs: Vec<_> = (0..threads)
        .map(|_| {
            thread::spawn(|| {
                for _ in 0..4 {
                    thread::yield_now();
                }
                O.call_once(|| {
                    assert_eq!(RUN.fetch_add(1, Ordering::SeqCst), 0);
                });
                assert_eq!(RUN.load(Ordering::SeqCst), 1);
            })
        })
        .collect();
    O.call_once(|| {
        assert_eq!(RUN.fetch_add(1, Ordering::SeqCst), 0);
    });
    assert_eq!(RUN.load(Ordering::SeqCst), 1);
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(RUN.load(Ordering::SeqCst), 1);
}

// std once/tests.rs: poison_bad / wait_for_force_to_finish → Go: a panic
// in f counts as done; later calls do not run their f.
#[test]
fn once_panic_counts_as_done() {
    static O: Once = Once::new();
    let r = catch_unwind(|| O.call_once(|| panic!("first")));
    assert!(r.is_err());
    assert!(O.is_done());
    let mut called = false;
    O.call_once(|| called = true);
    assert!(!called);
}

// std once/tests.rs: test_once_recursive-like: a call_once from another
// Once's f works (only re-entering the same Once deadlocks, as in Go)
#[test]
fn once_nested_different_onces() {
    static A: Once = Once::new();
    static B: Once = Once::new();
    let mut log = Vec::new();
    A.call_once(|| {
        log.push("a");
        B.call_once(|| log.push("b"));
    });
    assert_eq!(log, ["a", "b"]);
}

// std condvar/tests.rs: smoke (signal and broadcast with nobody waiting)
#[test]
fn cond_smoke() {
    let c = Cond::new();
    c.signal();
    c.broadcast();
}

// std condvar/tests.rs: notify_one
#[test]
fn cond_notify_one() {
    let m = Arc::new(Mutex::new(()));
    let c = Arc::new(Cond::new());
    let g = m.lock();
    let (m2, c2) = (m.clone(), c.clone());
    let h = thread::spawn(move || {
        let _g = m2.lock();
        c2.signal();
    });
    let g = c.wait(g);
    drop(g);
    h.join().unwrap();
}

// std condvar/tests.rs: notify_all
#[test]
fn cond_notify_all() {
    let n = size(10, 3);
    let data = Arc::new((Mutex::new(0usize), Cond::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let hs: Vec<_> = (0..n)
        .map(|_| {
            let data = data.clone();
            let tx = tx.clone();
            thread::spawn(move || {
                let (lock, cond) = &*data;
                let mut cnt = lock.lock();
                *cnt += 1;
                if *cnt == n {
                    tx.send(()).unwrap();
                }
                while *cnt != 0 {
                    cnt = cond.wait(cnt);
                }
                tx.send(()).unwrap();
            })
        })
        .collect();
    drop(tx);
    let (lock, cond) = &*data;
    rx.recv().unwrap();
    let mut cnt = lock.lock();
    *cnt = 0;
    cond.broadcast();
    drop(cnt);
    for _ in 0..n {
        rx.recv().unwrap();
    }
    for h in hs {
        h.join().unwrap();
    }
}

// std condvar/tests.rs: wait_while
#[test]
fn cond_wait_while() {
    let pair = Arc::new((Mutex::new(false), Cond::new()));
    let pair2 = pair.clone();
    let h = thread::spawn(move || {
        let (lock, cvar) = &*pair2;
        *lock.lock() = true;
        cvar.signal();
    });
    let (lock, cvar) = &*pair;
    let g = cvar.wait_while(lock.lock(), |started| !*started);
    assert!(*g);
    drop(g);
    h.join().unwrap();
}

// parking_lot condvar.rs: notify_one_returns / two_mutexes (one Cond used
// with different mutexes in turn: Go's Cond allows it, its L may change
// only while nobody waits)
#[test]
fn cond_with_two_mutexes_in_turn() {
    let c = Arc::new(Cond::new());
    for _ in 0..2 {
        let m = Arc::new(Mutex::new(false));
        let (m2, c2) = (m.clone(), c.clone());
        let h = thread::spawn(move || {
            *m2.lock() = true;
            c2.signal();
        });
        let g = c.wait_while(m.lock(), |ready| !*ready);
        assert!(*g);
        drop(g);
        h.join().unwrap();
    }
}
