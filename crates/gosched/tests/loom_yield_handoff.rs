//! loom model of a yielded task changing Ms (`task.rs` T7/T8, `runtime/p.rs`
//! Y1): M1 polls the task, which yields with its own waker; M1 requeues it
//! with its state left RUNNING (or NOTIFIED) and no write, and M2 pops it
//! from the queue (a steal, or the global queue) and polls it, while a
//! foreign waker sets a flag and wakes it.
//!
//! ```text
//!   M1                         M2                           waker
//!   swap → RUNNING (T4)        pop (Acquire)                flag = true
//!   write the future           load state: RUNNING? no     wake: IDLE → SCHEDULED
//!   flag? done                   write (T8), else swap      (queue it),
//!   else push (Release),       read/write the future        RUNNING → NOTIFIED,
//!     state untouched (T7)     flag? done, else park        else write back
//!                              (CAS RUNNING → IDLE) or
//!                              requeue (NOTIFIED)
//! ```
//!
//! Checked: the future is never touched by two Ms without a happens-before
//! edge (loom's `UnsafeCell`), M2 never finds a state a queued task cannot
//! have, the wake is seen by some poll, and the wake queues the task only
//! when it had parked (never while the yield has it queued).
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosched --test loom_yield_handoff`
#![cfg(loom)]

use gocore::atomic::{AtomicBool, AtomicU8, Ordering};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

const IDLE: u8 = 0;
const SCHEDULED: u8 = 1;
const RUNNING: u8 = 2;
const NOTIFIED: u8 = 3;
const DONE: u8 = 4;

/// The queue slot between the Ms.
const EMPTY: u8 = 0;
const PUSHED: u8 = 1;
const FINISHED: u8 = 2;

struct Task {
    state: AtomicU8,
    flag: AtomicBool,
    /// The future: only the M polling the task touches it (T1).
    future: UnsafeCell<u32>,
    queue: AtomicU8,
}

/// `Task::mark_woken`.
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

/// The start of `execute` (T4, T8).
fn start_poll(t: &Task) {
    if t.state.load(Ordering::Acquire) != RUNNING {
        let queued = t.state.swap(RUNNING, Ordering::AcqRel);
        assert!(
            queued == SCHEDULED || queued == NOTIFIED,
            "polled a task that was not queued: {queued}"
        );
    }
    // SAFETY (model): T1, the queue's Release/Acquire orders the Ms.
    t.future.with_mut(|f| unsafe { *f += 1 });
}

/// Whether this poll saw the flag (the task then finishes).
fn saw_flag(t: &Task) -> bool {
    if t.flag.load(Ordering::Acquire) {
        t.state.store(DONE, Ordering::Release);
        true
    } else {
        false
    }
}

#[test]
fn a_task_yielded_on_one_m_and_polled_on_another_loses_no_wake() {
    loom::model(|| {
        let t = Arc::new(Task {
            state: AtomicU8::new(SCHEDULED),
            flag: AtomicBool::new(false),
            future: UnsafeCell::new(0),
            queue: AtomicU8::new(EMPTY),
        });
        let m1 = {
            let t = t.clone();
            thread::spawn(move || {
                start_poll(&t);
                if saw_flag(&t) {
                    t.queue.store(FINISHED, Ordering::Release);
                    return true;
                }
                // The yield: requeued as it is (T7).
                let now = t.state.load(Ordering::Relaxed);
                assert!(now == RUNNING || now == NOTIFIED, "state {now}");
                t.queue.store(PUSHED, Ordering::Release);
                false
            })
        };
        let waker = {
            let t = t.clone();
            thread::spawn(move || {
                t.flag.store(true, Ordering::Release);
                wake(&t)
            })
        };
        // M2.
        let mut seen = false;
        let mut parked = false;
        loop {
            match t.queue.load(Ordering::Acquire) {
                EMPTY => thread::yield_now(),
                FINISHED => break,
                _ => {
                    // At most two polls: the wake can make one requeue.
                    for _ in 0..2 {
                        start_poll(&t);
                        if saw_flag(&t) {
                            seen = true;
                            break;
                        }
                        match t.state.compare_exchange(
                            RUNNING,
                            IDLE,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => {
                                parked = true;
                                break;
                            }
                            Err(actual) => {
                                assert_eq!(actual, NOTIFIED);
                                t.state.store(SCHEDULED, Ordering::Release);
                            }
                        }
                    }
                    break;
                }
            }
        }
        let m1_saw = m1.join().unwrap();
        let queued = waker.join().unwrap();
        if parked {
            assert!(queued, "the task parked without seeing the wake");
            start_poll(&t);
            assert!(saw_flag(&t));
        } else {
            assert!(m1_saw || seen, "no poll saw the wake");
            assert!(!queued, "queued a task that was running or queued");
        }
    });
}
