//! Loom model of the Mutex state machine in normal and starvation modes.
//!
//! Starvation mode is time-based; the model installs a clock
//! (`gosync::clock::set_clock`) that advances 2 ms per reading, so every
//! waiter counts as starving and the hand-off path is explored. Without it
//! the loom clock stands still and only normal mode is explored.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosync --test loom_mutex`
#![cfg(loom)]

use gosync::Mutex;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;

struct Shared {
    mu: Mutex<()>,
    data: UnsafeCell<usize>,
}
// SAFETY: `data` is only touched with `mu` held (what the model checks).
unsafe impl Sync for Shared {}

fn bump(s: &Shared) {
    let _g = s.mu.lock();
    // loom's UnsafeCell reports any access not ordered by the lock.
    // SAFETY: the access is ordered by the primitive under test; loom checks it.
    s.data.with_mut(|p| unsafe { *p += 1 });
}

fn model_two_lockers() {
    let s = Arc::new(Shared {
        mu: Mutex::new(()),
        data: UnsafeCell::new(0),
    });
    let s2 = Arc::clone(&s);
    let t = thread::spawn(move || bump(&s2));
    bump(&s);
    t.join().unwrap();
    let _g = s.mu.lock();
    // SAFETY: the access is ordered by the primitive under test; loom checks it.
    assert_eq!(s.data.with(|p| unsafe { *p }), 2);
    drop(_g);
    assert_eq!(s.mu.raw().state().word(), 0, "state word not back to 0");
}

/// One test drives all models in turn: the clock is process-global, so
/// models that install different clocks must not run in parallel.
#[test]
fn mutex_models() {
    gosync::clock::reset_clock();
    model(model_two_lockers);
    // The standing-still clock never starves anyone: no hand-off explored.
    assert_eq!(gosync::sema::loom_stats::handoffs(), 0);
    mutex_starvation_mode_hands_off_and_returns_to_normal();
    // The fast clock makes every waiter starving: hand-offs were explored.
    let h = gosync::sema::loom_stats::handoffs();
    assert!(h > 0, "starvation mode never reached");
    starvation_hand_off_with_try_lock_bystander();
    eprintln!("hand-offs explored: {h}");
}

loom::lazy_static! {
    static ref NOW: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
}

/// 2 ms per reading: every wait is "longer than 1 ms".
fn fast_clock() -> u64 {
    NOW.fetch_add(2_000_000, std::sync::atomic::Ordering::Relaxed)
}

/// Starvation needs a waiter that wakes and finds the mutex re-taken: the
/// main thread locks twice while the other thread waits once.
fn mutex_starvation_mode_hands_off_and_returns_to_normal() {
    gosync::clock::set_clock(fast_clock);
    model(|| {
        let s = Arc::new(Shared {
            mu: Mutex::new(()),
            data: UnsafeCell::new(0),
        });
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || bump(&s2));
        bump(&s);
        bump(&s);
        t.join().unwrap();

        // SAFETY: the access is ordered by the primitive under test; loom checks it.
        assert_eq!(s.data.with(|p| unsafe { *p }), 3);
        assert_eq!(s.mu.raw().state().word(), 0, "state word not back to 0");
    });
    gosync::clock::reset_clock();
}

/// A holder that unlocks while a starving waiter is queued hands the lock
/// straight over; try_lock from a third party fails during the hand-off.
fn starvation_hand_off_with_try_lock_bystander() {
    gosync::clock::set_clock(fast_clock);
    model(|| {
        let s = Arc::new(Shared {
            mu: Mutex::new(()),
            data: UnsafeCell::new(0),
        });
        let s2 = Arc::clone(&s);
        let t = thread::spawn(move || bump(&s2));
        if let Some(_g) = s.mu.try_lock() {
            // SAFETY: the access is ordered by the primitive under test; loom checks it.
            s.data.with_mut(|p| unsafe { *p += 1 });
        } else {
            bump(&s);
        }
        t.join().unwrap();
        // SAFETY: the access is ordered by the primitive under test; loom checks it.
        assert_eq!(s.data.with(|p| unsafe { *p }), 2);
        assert_eq!(s.mu.raw().state().word(), 0);
    });
    gosync::clock::reset_clock();
}
