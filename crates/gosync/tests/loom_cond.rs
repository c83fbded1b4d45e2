//! Loom model of Cond (Go's ticket-based notifyList): no lost signal — a
//! signal or broadcast sent after the condition changed always wakes a
//! waiter that saw the old condition — and a broadcast wakes every waiter.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_cond`
#![cfg(loom)]

use gosync::{Cond, Mutex};
use loom::sync::Arc;
use loom::thread;

/// `loom::model` with room for the yielding parkers (gocore's ThreadPark
/// yields under loom until its token is set, which costs branches); the
/// preemption bound still comes from `LOOM_MAX_PREEMPTIONS`.
fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    let mut b = loom::model::Builder::new();
    b.max_branches = 100_000;
    b.check(f);
}

struct Shared {
    m: Mutex<u32>,
    c: Cond,
}

/// One waiter, one signaller that sets the flag then signals (outside the
/// lock, the racier variant): the waiter always returns (a lost signal would
/// leave it asleep, which loom reports as a deadlock).
#[test]
fn signal_is_never_lost() {
    model(|| {
        let s = Arc::new(Shared {
            m: Mutex::new(0),
            c: Cond::new(),
        });
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || {
            *s2.m.lock() = 1;
            s2.c.signal();
        });
        let g = s.c.wait_while(s.m.lock(), |v| *v == 0);
        assert_eq!(*g, 1);
        drop(g);
        t.join().unwrap();
    });
}

/// Two waiters and one broadcast: both wake.
#[test]
fn broadcast_wakes_every_waiter() {
    model(|| {
        let s = Arc::new(Shared {
            m: Mutex::new(0),
            c: Cond::new(),
        });
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || {
                    let g = s.c.wait_while(s.m.lock(), |v| *v == 0);
                    assert_eq!(*g, 1);
                })
            })
            .collect();
        *s.m.lock() = 1;
        s.c.broadcast();
        for w in waiters {
            w.join().unwrap();
        }
    });
}

/// Two waiters, two signals (each after its own increment): both wake —
/// the second signal cannot be absorbed by a ticket already notified.
#[test]
fn two_signals_wake_two_waiters() {
    model(|| {
        let s = Arc::new(Shared {
            m: Mutex::new(0),
            c: Cond::new(),
        });
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || {
                    let mut g = s.c.wait_while(s.m.lock(), |v| *v == 0);
                    *g -= 1; // consume one token
                })
            })
            .collect();
        for _ in 0..2 {
            *s.m.lock() += 1;
            s.c.signal();
        }
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(*s.m.lock(), 0);
    });
}
