//! loom model of sysmon's deep sleep (Go's `sysmonwait`) against a P
//! leaving the idle list: sysmon never sleeps through the kick.
//!
//! The executor's code is std-only, so this models its two sides with the
//! same locks, atomics and orderings as `sysmon_wait` and `pidleget` /
//! `exit_blocking` + `Shared::wake_sysmon`:
//!
//! ```text
//!   sysmon                                 pidleget (sched held)
//!   lock sched                             npidle -= 1 (SeqCst)
//!     if npidle != procs: stay awake       if sysmon_wait && !kicked.swap(true):
//!     sysmon_wait = true (SeqCst)              lock sysmon_wake; notify_one
//!   unlock sched
//!   lock sysmon_wake
//!     if !kicked: wait (the real code has a timeout: the earliest timer,
//!                 at most 60 s; modelled without one, so a lost kick is a
//!                 deadlock loom reports)
//!   lock sched; sysmon_wait = false
//!   kicked.swap(false)
//! ```
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosched --test loom_sysmon_wait`
#![cfg(loom)]

use gocore::atomic::{AtomicBool, AtomicU32, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

struct Shared {
    sched: Mutex<()>,
    npidle: AtomicU32,
    sysmon_wait: AtomicBool,
    kicked: AtomicBool,
    wake: (Mutex<()>, Condvar),
}

/// `sysmon_wait` with one P: returns whether it slept (and a kick ended it).
fn sysmon_wait(s: &Shared) -> bool {
    {
        let _g = s.sched.lock().unwrap();
        if s.npidle.load(Ordering::SeqCst) != 1 {
            return false;
        }
        s.sysmon_wait.store(true, Ordering::SeqCst);
    }
    {
        let g = s.wake.0.lock().unwrap();
        if !s.kicked.load(Ordering::Acquire) {
            drop(s.wake.1.wait(g).unwrap());
        }
    }
    {
        let _g = s.sched.lock().unwrap();
        s.sysmon_wait.store(false, Ordering::SeqCst);
    }
    assert!(
        s.kicked.swap(false, Ordering::AcqRel),
        "woken without a kick"
    );
    true
}

/// `pidleget` (or `exit_blocking`) and `wake_sysmon`.
fn pidleget(s: &Shared) {
    let _g = s.sched.lock().unwrap();
    s.npidle.fetch_sub(1, Ordering::SeqCst);
    if s.sysmon_wait.load(Ordering::SeqCst) && !s.kicked.swap(true, Ordering::AcqRel) {
        let _w = s.wake.0.lock().unwrap();
        s.wake.1.notify_one();
    }
}

#[test]
fn a_p_leaving_the_idle_list_ends_the_deep_sleep() {
    loom::model(|| {
        let s = Arc::new(Shared {
            sched: Mutex::new(()),
            npidle: AtomicU32::new(1),
            sysmon_wait: AtomicBool::new(false),
            kicked: AtomicBool::new(false),
            wake: (Mutex::new(()), Condvar::new()),
        });
        let s2 = s.clone();
        let taker = thread::spawn(move || pidleget(&s2));
        let slept = sysmon_wait(&s);
        taker.join().unwrap();
        // Whichever way it went, the P is taken and sysmon is awake with no
        // kick left over for its next sleep, unless the kick came after it
        // had already left (then the next nap consumes it, as in the
        // runtime).
        assert_eq!(s.npidle.load(Ordering::SeqCst), 0);
        assert!(!s.sysmon_wait.load(Ordering::SeqCst));
        if slept {
            assert!(!s.kicked.load(Ordering::SeqCst));
        }
    });
}
