//! WaitGroup: its 12 bytes, both windows (at 0 and 4 mod 8), reuse, misuse
//! detection and `go`.
#![cfg(not(loom))]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use gosync::WaitGroup;

#[test]
fn size_and_alignment_are_go_1_19_32_bit() {
    assert_eq!(core::mem::size_of::<WaitGroup>(), 12);
    assert_eq!(core::mem::align_of::<WaitGroup>(), 4);
}

#[repr(C, align(8))]
struct Buf([u32; 8]);

/// A WaitGroup at an address 4 mod 8 and one at 0 mod 8 both work, across
/// threads (the i686 requirement; it holds on every target since our
/// alignment is 4 everywhere).
#[test]
fn wait_groups_at_0_and_4_mod_8_both_work() {
    let mut buf = Buf([0; 8]);
    let base = buf.0.as_mut_ptr();
    for (word, expect_state_off) in [(0usize, 0usize), (1, 4)] {
        let p = base.wrapping_add(word).cast::<WaitGroup>();
        assert_eq!(p as usize % 8, word * 4);
        // SAFETY: `p` is 4-aligned with 12 valid bytes inside `buf`.
        unsafe { p.write(WaitGroup::new()) };
        // SAFETY: initialised above; `buf` outlives the scope below.
        let wg: &WaitGroup = unsafe { &*p };
        assert_eq!(wg.window().state_offset, expect_state_off);
        let n = if cfg!(miri) { 3 } else { 8 };
        let sum = AtomicUsize::new(0);
        wg.add(n as i32);
        thread::scope(|s| {
            for i in 0..n {
                let sum = &sum;
                s.spawn(move || {
                    sum.fetch_add(i, Ordering::SeqCst);
                    wg.done();
                });
            }
            // Several waiters at once.
            for _ in 0..2 {
                s.spawn(|| wg.wait());
            }
            wg.wait();
            assert_eq!(sum.load(Ordering::SeqCst), n * (n - 1) / 2);
        });
        // At rest: counter in word 1, everything else 0.
        // SAFETY: no thread uses the WaitGroup any more.
        let words = unsafe { p.cast::<[u32; 3]>().read() };
        assert_eq!(words, [0, 0, 0]);
    }
}

/// Moving a WaitGroup with a non-zero counter to an address of the other
/// parity keeps the counter (the counter is word 1 in both windows).
#[test]
fn a_moved_wait_group_keeps_its_counter() {
    let mut buf = Buf([0; 8]);
    let base = buf.0.as_mut_ptr();
    let a = base.cast::<WaitGroup>();
    let b = base.wrapping_add(5).cast::<WaitGroup>(); // 20 bytes in: 4 mod 8
                                                      // SAFETY: both are 4-aligned 12-byte slots inside `buf`, not overlapping
                                                      // (words 0..3 and 5..8).
    unsafe {
        a.write(WaitGroup::new());
        (*a).add(3);
        b.write(a.read()); // a bitwise move, as `let b = a;` does
        assert_eq!((*b).counter(), 3);
        (*b).add(-3);
        (*b).wait();
        assert_eq!((*b).counter(), 0);
    }
}

#[test]
fn reuse_after_wait_returns() {
    let wg = Arc::new(WaitGroup::new());
    for round in 0..if cfg!(miri) { 2 } else { 20 } {
        let hits = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let hits = Arc::clone(&hits);
                wg.go(move || {
                    hits.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        wg.wait();
        assert_eq!(hits.load(Ordering::SeqCst), 3, "round {round}");
        for h in hs {
            h.join().unwrap();
        }
    }
}

#[test]
fn go_calls_done_even_when_the_task_panics() {
    let wg = Arc::new(WaitGroup::new());
    let h = wg.go(|| panic!("task failed"));
    wg.wait();
    assert!(h.join().is_err());
    assert_eq!(wg.counter(), 0);
}

#[test]
fn negative_counter_panics_with_gos_message() {
    let wg = WaitGroup::new();
    let e = catch_unwind(AssertUnwindSafe(|| wg.add(-1))).unwrap_err();
    assert_eq!(
        e.downcast_ref::<&str>(),
        Some(&"sync: negative WaitGroup counter")
    );
}

/// Go's check "Add called concurrently with Wait": an Add with a positive
/// delta that starts from counter 0 while a waiter is registered. We build
/// that state word by hand in a buffer (8-aligned window: waiters are word 0
/// on little-endian).
#[cfg(target_endian = "little")]
#[test]
fn add_racing_wait_is_detected() {
    let mut buf = Buf([0; 8]);
    buf.0[0] = 1; // one registered waiter, counter 0
                  // SAFETY: an 8-aligned, 12-byte slot holding a valid WaitGroup bit pattern.
    let wg = unsafe { &*buf.0.as_mut_ptr().cast::<WaitGroup>() };
    assert_eq!((wg.counter(), wg.waiters()), (0, 1));
    let e = catch_unwind(AssertUnwindSafe(|| wg.add(1))).unwrap_err();
    assert_eq!(
        e.downcast_ref::<&str>(),
        Some(&"sync: WaitGroup misuse: Add called concurrently with Wait")
    );
}

#[test]
fn debug_shows_counter_and_waiters() {
    let wg = WaitGroup::default();
    wg.add(2);
    assert_eq!(format!("{wg:?}"), "WaitGroup { counter: 2, waiters: 0 }");
    wg.add(-2);
}
