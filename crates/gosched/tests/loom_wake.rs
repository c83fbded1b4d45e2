//! loom model of a task's state word (`task.rs`, invariants T4, T7, T8): a
//! wake racing with the start of a poll is never lost, and a task already
//! queued is not queued twice.
//!
//! The executor's code is std-only, so this models the two sides with the
//! same atomics and orderings as `Task::wake_by_ref` and `execute`:
//!
//! ```text
//!   waker (e.g. JoinHandle::abort)       M that popped the task
//!   flag = true (Release)                state.swap(RUNNING)          (T4)
//!                                        (no write if the load finds the
//!                                        RUNNING a yield left: T8)
//!   IDLE → SCHEDULED: queue it           read flag (Acquire)
//!   RUNNING → NOTIFIED                   flag seen: done
//!   SCHEDULED/NOTIFIED: write it back    else CAS RUNNING → IDLE (park),
//!                                        or NOTIFIED: requeue, poll again
//!                                      after `yield_now` with its own waker:
//!                                        requeue it, state left RUNNING or
//!                                        NOTIFIED (T7); the next poll
//!                                        starts from there (T8)
//! ```
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosched --test loom_wake`
#![cfg(loom)]

use gocore::atomic::{AtomicBool, AtomicU8, Ordering};
use loom::sync::Arc;
use loom::thread;

const IDLE: u8 = 0;
const SCHEDULED: u8 = 1;
const RUNNING: u8 = 2;
const NOTIFIED: u8 = 3;
const DONE: u8 = 4;

struct Task {
    state: AtomicU8,
    /// What the waker publishes before waking (the abort flag).
    flag: AtomicBool,
}

/// `Task::wake_by_ref`; returns whether this wake queued the task.
fn wake(t: &Task) -> bool {
    let mut state = t.state.load(Ordering::Acquire);
    loop {
        let next = match state {
            IDLE => SCHEDULED,
            RUNNING => NOTIFIED,
            SCHEDULED | NOTIFIED => state,
            _ => return false,
        };
        match t
            .state
            .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => return state == IDLE,
            Err(actual) => state = actual,
        }
    }
}

enum Polled {
    /// The poll saw the flag (the task finishes).
    SawFlag,
    /// Pending and not woken meanwhile: parked (IDLE).
    Parked,
    /// Woken during the poll: queued again.
    Requeued,
}

/// The start of `execute`'s poll: a task queued SCHEDULED, or NOTIFIED
/// (woken while its yield had it queued), is swapped to RUNNING (T4); one
/// that its yield left RUNNING and no wake touched since is not written
/// (T8).
fn start_poll(t: &Task) {
    if t.state.load(Ordering::Acquire) != RUNNING {
        let queued = t.state.swap(RUNNING, Ordering::AcqRel);
        assert!(
            queued == SCHEDULED || queued == NOTIFIED,
            "polled a task that was not queued: {queued}"
        );
    }
}

/// `execute`: one poll of a task popped from a queue.
fn poll_once(t: &Task) -> Polled {
    start_poll(t);
    if t.flag.load(Ordering::Acquire) {
        t.state.store(DONE, Ordering::Release);
        return Polled::SawFlag;
    }
    match t
        .state
        .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
    {
        Ok(_) => Polled::Parked,
        Err(actual) => {
            assert_eq!(actual, NOTIFIED);
            t.state.store(SCHEDULED, Ordering::Release);
            Polled::Requeued
        }
    }
}

/// The task sits in a queue when the waker sets its flag and wakes it:
/// the flag is seen by a poll, either directly or because the wake queued
/// the task again after it parked.
#[test]
fn wake_of_a_queued_task_is_not_lost() {
    loom::model(|| {
        let t = Arc::new(Task {
            state: AtomicU8::new(SCHEDULED),
            flag: AtomicBool::new(false),
        });
        let t2 = t.clone();
        let waker = thread::spawn(move || {
            t2.flag.store(true, Ordering::Release);
            wake(&t2)
        });
        let mut seen = false;
        let mut parked = false;
        for _ in 0..2 {
            match poll_once(&t) {
                Polled::SawFlag => {
                    seen = true;
                    break;
                }
                Polled::Parked => {
                    parked = true;
                    break;
                }
                Polled::Requeued => {}
            }
        }
        let queued = waker.join().unwrap();
        if parked {
            assert!(queued, "the task parked without seeing the wake");
            assert!(matches!(poll_once(&t), Polled::SawFlag));
        } else {
            assert!(seen);
            assert!(!queued, "queued a task that was running or queued");
        }
    });
}

/// `execute` after `yield_now` polled with the task's own waker (no wake):
/// the M requeues the task itself, leaving its state RUNNING or NOTIFIED
/// (T7: no write). Returns whether the poll saw the flag.
fn poll_and_yield(t: &Task) -> bool {
    start_poll(t);
    if t.flag.load(Ordering::Acquire) {
        t.state.store(DONE, Ordering::Release);
        return true;
    }
    let now = t.state.load(Ordering::Relaxed);
    assert!(now == RUNNING || now == NOTIFIED, "state {now}");
    false
}

/// A task that keeps yielding while a waker sets its flag and wakes it:
/// the wake never queues it a second time (the M requeues it), and the
/// poll after the one the wake overlapped sees the flag.
#[test]
fn wake_of_a_yielding_task_is_seen_and_not_queued_twice() {
    loom::model(|| {
        let t = Arc::new(Task {
            state: AtomicU8::new(SCHEDULED),
            flag: AtomicBool::new(false),
        });
        let t2 = t.clone();
        let waker = thread::spawn(move || {
            t2.flag.store(true, Ordering::Release);
            wake(&t2)
        });
        let mut seen = false;
        for _ in 0..2 {
            if poll_and_yield(&t) {
                seen = true;
                break;
            }
        }
        let queued = waker.join().unwrap();
        assert!(!queued, "queued a task that was running or queued");
        if !seen {
            assert!(poll_and_yield(&t));
        }
    });
}

/// A task yields (requeued RUNNING, T7), then its next poll parks it, while
/// a waker sets its flag and wakes it: the wake is never lost (the task
/// parks only if the wake comes after, which then queues it) and never
/// queues the task while the yield has it queued.
#[test]
fn wake_of_a_task_queued_by_its_yield_is_not_lost() {
    loom::model(|| {
        let t = Arc::new(Task {
            state: AtomicU8::new(SCHEDULED),
            flag: AtomicBool::new(false),
        });
        let t2 = t.clone();
        let waker = thread::spawn(move || {
            t2.flag.store(true, Ordering::Release);
            wake(&t2)
        });
        let mut seen = poll_and_yield(&t);
        let mut parked = false;
        while !seen && !parked {
            match poll_once(&t) {
                Polled::SawFlag => seen = true,
                Polled::Parked => parked = true,
                Polled::Requeued => {}
            }
        }
        let queued = waker.join().unwrap();
        if parked {
            assert!(queued, "the task parked without seeing the wake");
            assert!(matches!(poll_once(&t), Polled::SawFlag));
        } else {
            assert!(!queued, "queued a task that was running or queued");
        }
    });
}

/// Two wakes of a parked task queue it once.
#[test]
fn two_wakes_queue_once() {
    loom::model(|| {
        let t = Arc::new(Task {
            state: AtomicU8::new(IDLE),
            flag: AtomicBool::new(false),
        });
        let ws: Vec<_> = (0..2)
            .map(|_| {
                let t = t.clone();
                thread::spawn(move || wake(&t))
            })
            .collect();
        let queued: usize = ws.into_iter().map(|w| w.join().unwrap() as usize).sum();
        assert_eq!(queued, 1);
        assert_eq!(t.state.load(Ordering::Acquire), SCHEDULED);
    });
}
