//! `gosync::Cond`: Go 1.19's `sync/cond_test.go`, ported (each test names the
//! Go test it follows), plus FIFO order and unwinding checks.
#![cfg(feature = "std")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

use gosync::{Cond, Mutex};

/// Go's `Cond{L: &m}`: the mutex and its condition variable.
struct Shared<T> {
    m: Mutex<T>,
    c: Cond,
}

fn shared<T>(v: T) -> Arc<Shared<T>> {
    Arc::new(Shared {
        m: Mutex::new(v),
        c: Cond::new(),
    })
}

/// Go: TestCondSignal — each signal wakes exactly one sleeper.
#[test]
fn cond_signal() {
    let n = 2;
    let s = shared(());
    let (running_tx, running) = channel();
    let (awake_tx, awake) = channel();
    let hs: Vec<_> = (0..n)
        .map(|_| {
            let (s, running_tx, awake_tx) = (Arc::clone(&s), running_tx.clone(), awake_tx.clone());
            std::thread::spawn(move || {
                let g = s.m.lock();
                running_tx.send(()).unwrap();
                let g = s.c.wait(g);
                awake_tx.send(()).unwrap();
                drop(g);
            })
        })
        .collect();
    for _ in 0..n {
        running.recv().unwrap(); // wait for everyone to run
    }
    for _ in 0..n {
        assert_eq!(
            awake.try_recv(),
            Err(TryRecvError::Empty),
            "goroutine not asleep"
        );
        let g = s.m.lock();
        s.c.signal();
        drop(g);
        awake.recv().unwrap(); // deadlocks if no one wakes up
        assert_eq!(
            awake.try_recv(),
            Err(TryRecvError::Empty),
            "too many goroutines awake"
        );
    }
    s.c.signal();
    for h in hs {
        h.join().unwrap();
    }
}

/// Go: TestCondSignalGenerations — a signal wakes the oldest waiter (FIFO).
#[test]
fn cond_signal_generations() {
    let n = if cfg!(miri) { 4 } else { 100 };
    let s = shared(());
    let (running_tx, running) = channel();
    let (awake_tx, awake) = channel();
    let mut hs = Vec::new();
    for i in 0..n {
        let (s2, running_tx, awake_tx) = (Arc::clone(&s), running_tx.clone(), awake_tx.clone());
        hs.push(std::thread::spawn(move || {
            let g = s2.m.lock();
            running_tx.send(()).unwrap();
            let g = s2.c.wait(g);
            awake_tx.send(i).unwrap();
            drop(g);
        }));
        if i > 0 {
            let a = awake.recv().unwrap();
            assert_eq!(a, i - 1, "wrong goroutine woke up");
        }
        running.recv().unwrap();
        let g = s.m.lock();
        s.c.signal();
        drop(g);
    }
    assert_eq!(awake.recv().unwrap(), n - 1);
    for h in hs {
        h.join().unwrap();
    }
}

/// FIFO with many sleepers at once: k signals wake the k oldest.
#[test]
fn signal_wakes_the_oldest_waiters_first() {
    let n = if cfg!(miri) { 3 } else { 8 };
    let s = shared(0usize); // number of waiters asleep
    let (awake_tx, awake) = channel();
    let mut hs = Vec::new();
    for i in 0..n {
        let (s2, awake_tx) = (Arc::clone(&s), awake_tx.clone());
        hs.push(std::thread::spawn(move || {
            let mut g = s2.m.lock();
            *g += 1;
            g = s2.c.wait(g);
            awake_tx.send(i).unwrap();
            drop(g);
        }));
        // Wait until waiter i holds its ticket (it counts itself under the
        // mutex just before `wait`, which takes the ticket before unlocking).
        while *s.m.lock() != i + 1 {
            std::thread::yield_now();
        }
    }
    for i in 0..n {
        s.c.signal();
        assert_eq!(awake.recv().unwrap(), i);
    }
    for h in hs {
        h.join().unwrap();
    }
}

/// Go: TestCondBroadcast — every broadcast wakes every sleeper once.
#[test]
fn cond_broadcast() {
    let n = if cfg!(miri) { 3 } else { 50 };
    let s = shared(false); // exit
    let (running_tx, running) = channel();
    let (awake_tx, awake) = channel();
    let hs: Vec<_> = (0..n)
        .map(|g| {
            let (s, running_tx, awake_tx) = (Arc::clone(&s), running_tx.clone(), awake_tx.clone());
            std::thread::spawn(move || {
                let mut guard = s.m.lock();
                while !*guard {
                    running_tx.send(g).unwrap();
                    guard = s.c.wait(guard);
                    awake_tx.send(g).unwrap();
                }
            })
        })
        .collect();
    drop(running_tx);
    for i in 0..n {
        for _ in 0..n {
            running.recv().unwrap(); // deadlocks unless n are running
        }
        if i == n - 1 {
            *s.m.lock() = true;
        }
        assert_eq!(
            awake.try_recv(),
            Err(TryRecvError::Empty),
            "goroutine not asleep"
        );
        let guard = s.m.lock();
        s.c.broadcast();
        drop(guard);
        let mut seen = vec![false; n];
        for _ in 0..n {
            let g = awake.recv().unwrap();
            assert!(!seen[g], "goroutine woke up twice");
            seen[g] = true;
        }
    }
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(
        running.try_recv(),
        Err(TryRecvError::Disconnected),
        "goroutine did not exit"
    );
    s.c.broadcast();
}

/// Go: TestRace — the mutex orders the hand-overs between three threads.
#[test]
fn race() {
    let s = shared(0u32); // x
    let s1 = Arc::clone(&s);
    let a = std::thread::spawn(move || {
        let mut x = s1.m.lock();
        *x = 1;
        x = s1.c.wait(x);
        assert_eq!(*x, 2, "want 2");
        *x = 3;
        s1.c.signal();
    });
    let s2 = Arc::clone(&s);
    let b = std::thread::spawn(move || {
        let mut x = s2.m.lock();
        loop {
            if *x == 1 {
                *x = 2;
                s2.c.signal();
                break;
            }
            drop(x);
            std::thread::yield_now();
            x = s2.m.lock();
        }
    });
    let s3 = Arc::clone(&s);
    let c = std::thread::spawn(move || {
        let mut x = s3.m.lock();
        loop {
            if *x == 2 {
                x = s3.c.wait(x);
                assert_eq!(*x, 3, "want 3");
                break;
            }
            if *x == 3 {
                break;
            }
            drop(x);
            std::thread::yield_now();
            x = s3.m.lock();
        }
    });
    a.join().unwrap();
    b.join().unwrap();
    c.join().unwrap();
}

/// Go: TestCondSignalStealing — a broadcast racing a new waiter must still
/// wake the waiter that was already asleep.
#[test]
#[cfg_attr(miri, ignore)]
fn cond_signal_stealing() {
    for _ in 0..200 {
        let s = shared(false); // done
        let (ch_tx, ch) = channel();
        let s1 = Arc::clone(&s);
        let first = std::thread::spawn(move || {
            let g = s1.m.lock();
            ch_tx.send(()).unwrap();
            let g = s1.c.wait(g);
            drop(g);
            ch_tx.send(()).unwrap();
        });
        ch.recv().unwrap();
        drop(s.m.lock()); // the first waiter is inside wait now
        let s2 = Arc::clone(&s);
        let broadcaster = std::thread::spawn(move || s2.c.broadcast());
        let s3 = Arc::clone(&s);
        let second = std::thread::spawn(move || {
            let g = s3.m.lock();
            drop(s3.c.wait_while(g, |done| !*done));
        });
        ch.recv_timeout(Duration::from_secs(10))
            .expect("first waiter didn't get broadcast");
        *s.m.lock() = true;
        s.c.broadcast();
        first.join().unwrap();
        broadcaster.join().unwrap();
        second.join().unwrap();
    }
}

/// A signal or broadcast with nobody waiting is not remembered: a later
/// waiter sleeps until the next one.
#[test]
fn notifications_without_waiters_are_not_kept() {
    let s = shared(0u32);
    s.c.signal();
    s.c.broadcast();
    let s1 = Arc::clone(&s);
    let t = std::thread::spawn(move || {
        let mut g = s1.m.lock();
        *g = 1;
        g = s1.c.wait(g);
        *g
    });
    while *s.m.lock() != 1 {
        std::thread::yield_now();
    }
    let mut g = s.m.lock();
    *g = 2;
    s.c.signal();
    drop(g);
    assert_eq!(t.join().unwrap(), 2);
}

/// A panicking condition in `wait_while` unlocks the mutex as it unwinds,
/// and the Cond stays usable.
#[test]
fn panicking_condition_unlocks() {
    let s = shared(5u32);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _g = s.c.wait_while(s.m.lock(), |_| panic!("condition"));
    }));
    assert!(r.is_err());
    assert!(!s.m.is_locked(), "mutex left locked");
    let g = s.c.wait_while(s.m.lock(), |v| *v != 5);
    assert_eq!(*g, 5);
}

/// Single-threaded: with no waiter, signal and broadcast are no-ops, and
/// `wait_while` with a false condition returns at once.
#[test]
fn no_waiters_single_thread() {
    let s = shared(Vec::<u8>::new());
    for _ in 0..3 {
        s.c.signal();
        s.c.broadcast();
    }
    let mut g = s.c.wait_while(s.m.lock(), |v| !v.is_empty());
    g.push(1);
    assert_eq!(*g, [1]);
    assert!(format!("{:?}", s.c).contains("unnotified_tickets: 0"));
}
