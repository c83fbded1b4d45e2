//! The idle-work hook (`Runtime::idle_hook`): an idle P runs registered
//! work before it parks, the work yields the P as soon as a task arrives,
//! a panicking work is unregistered without killing its M, and a dropped
//! registration is no longer called.
#![cfg(not(miri))] // the runtime's threads and parking are not modelled under Miri

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use gosched::{IdleP, IdleWork, Runtime};

/// Counts down one unit per call while units are left.
struct Countdown {
    left: AtomicUsize,
    calls: AtomicUsize,
}

impl IdleWork for Countdown {
    fn has_work(&self) -> bool {
        self.left.load(Ordering::Relaxed) > 0
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

#[test]
fn an_idle_p_runs_registered_work_until_it_is_done() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let work = Arc::new(Countdown {
        left: AtomicUsize::new(100),
        calls: AtomicUsize::new(0),
    });
    let registration = rt.idle_hook().register(work.clone()).unwrap();
    registration.wake();
    eventually("the idle work", || work.left.load(Ordering::Relaxed) == 0);
    // Once it has no work the idle Ps park: the calls stop, after at most
    // one per P that found no unit left (it saw work just before the last
    // unit went).
    let quiet = || {
        let before = work.calls.load(Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(20));
        work.calls.load(Ordering::Relaxed) == before
    };
    eventually("the idle Ps stop calling the work", quiet);
    let calls = work.calls.load(Ordering::Relaxed);
    assert!(calls <= 100 + 2, "{calls} calls for 100 units on 2 Ps");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(work.calls.load(Ordering::Relaxed), calls);
    drop(registration);
}

/// Runs until the P has something else to do.
struct UntilStopped {
    running: AtomicBool,
    stopped: AtomicUsize,
}

impl IdleWork for UntilStopped {
    fn has_work(&self) -> bool {
        true
    }
    fn run(&self, idle: &IdleP<'_>) -> bool {
        self.running.store(true, Ordering::Relaxed);
        while !idle.should_stop() {
            std::hint::spin_loop();
        }
        self.running.store(false, Ordering::Relaxed);
        self.stopped.fetch_add(1, Ordering::Relaxed);
        true
    }
}

#[test]
fn idle_work_gives_the_p_back_when_a_task_arrives() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let work = Arc::new(UntilStopped {
        running: AtomicBool::new(false),
        stopped: AtomicUsize::new(0),
    });
    let registration = rt.idle_hook().register(work.clone()).unwrap();
    registration.wake();
    eventually("the idle work to start", || {
        work.running.load(Ordering::Relaxed)
    });
    // The only P is busy with idle work; a task still runs.
    let task = rt.spawn(async { 6 * 7 });
    assert_eq!(rt.block_on(task).unwrap().unwrap(), 42);
    assert!(work.stopped.load(Ordering::Relaxed) >= 1);
    // Unregistered, the work stops being called once its P leaves it.
    drop(registration);
    let stops = work.stopped.load(Ordering::Relaxed);
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap().unwrap(), 1);
    eventually("the last call to end", || {
        !work.running.load(Ordering::Relaxed)
    });
    let after = work.stopped.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(20));
    assert!(after >= stops);
    assert_eq!(work.stopped.load(Ordering::Relaxed), after);
    drop(rt); // shutdown ends any call in progress
}

/// Panics on its first call.
struct Panics {
    calls: AtomicUsize,
}

impl IdleWork for Panics {
    fn has_work(&self) -> bool {
        true
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        self.calls.fetch_add(1, Ordering::Relaxed);
        panic!("idle work panicked");
    }
}

#[test]
fn a_panicking_idle_work_is_unregistered_and_the_m_goes_on() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let work = Arc::new(Panics {
        calls: AtomicUsize::new(0),
    });
    let registration = rt.idle_hook().register(work.clone()).unwrap();
    registration.wake();
    eventually("the panicking call", || {
        work.calls.load(Ordering::Relaxed) == 1
    });
    // The runtime still runs tasks, and the work is not called again.
    for i in 0..10 {
        assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap().unwrap(), i);
        registration.wake();
    }
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(work.calls.load(Ordering::Relaxed), 1);
}

#[test]
fn a_registration_outliving_its_runtime_is_inert() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let hook = rt.idle_hook();
    let work = Arc::new(Countdown {
        left: AtomicUsize::new(0),
        calls: AtomicUsize::new(0),
    });
    let registration = hook.register(work.clone()).unwrap();
    drop(rt);
    registration.wake();
    drop(registration);
    assert!(hook.register(work).is_none());
}
