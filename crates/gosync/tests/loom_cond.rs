//! Loom model of Cond (Go's ticket-based notifyList): no lost signal — a
//! signal or broadcast sent after the condition changed always wakes a
//! waiter that saw the old condition — also when both threads wait on the
//! same Cond in turn. (Two threads per model: three-thread models with the
//! mutex's and the Cond's parkers take minutes.)
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_cond`
#![cfg(loom)]

use gosync::{Cond, Mutex};
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;

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

/// A waiter, and a broadcaster that changes the condition under the lock
/// and broadcasts after unlocking: the waiter always returns.
#[test]
fn broadcast_is_never_lost() {
    model(|| {
        let s = Arc::new(Shared {
            m: Mutex::new(0),
            c: Cond::new(),
        });
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || {
            *s2.m.lock() = 1;
            s2.c.broadcast();
        });
        let g = s.c.wait_while(s.m.lock(), |v| *v == 0);
        assert_eq!(*g, 1);
        drop(g);
        t.join().unwrap();
    });
}

/// Ping-pong over one Cond: each thread waits for its turn, takes it, and
/// signals the other; two rounds each. Every signal must reach the other
/// thread even though both take tickets from the same Cond (a signal
/// absorbed by a stale ticket would leave one asleep: a loom deadlock).
#[test]
fn ping_pong_two_rounds() {
    model(|| {
        let s = Arc::new(Shared {
            m: Mutex::new(0),
            c: Cond::new(),
        });
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || {
            for round in 0..2 {
                let mut g = s2.c.wait_while(s2.m.lock(), |v| *v != 2 * round + 1);
                *g += 1;
                drop(g);
                s2.c.signal();
            }
        });
        for round in 0..2 {
            let mut g = s.c.wait_while(s.m.lock(), |v| *v != 2 * round);
            *g += 1;
            drop(g);
            s.c.signal();
        }
        t.join().unwrap();
        assert_eq!(*s.m.lock(), 4);
    });
}
