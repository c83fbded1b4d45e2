//! Hostile tests for the mark worker modes: the CPU limiter with absurd
//! inputs, `procs(p)` worker threads under the invariant checker with
//! every barrier, a `Trace` that panics or is slow on a worker, builder
//! ordering, and (feature `gosched`) worker tasks and idle workers on a
//! runtime dropped before or after the heap, or mid-cycle.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gogc::{Barrier, CpuLimiter, Gc, GcCell, Heap, Phase, Trace, Tracer};

/// Aborts the process with `what` if the returned guard is not dropped
/// within `limit` (a hang is a failure, not a stuck CI job).
struct Watchdog(Arc<AtomicBool>);

fn watchdog(what: &'static str, limit: Duration) -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&done);
    std::thread::spawn(move || {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if seen.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("watchdog: {what} hung for {limit:?}");
        std::process::abort();
    });
    Watchdog(done)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

// ---------------------------------------------------------------------
// CPU limiter: absurd inputs never panic, and the bucket stays in range.
// ---------------------------------------------------------------------

fn in_range(l: &CpuLimiter) {
    assert!(
        l.fill() <= l.capacity(),
        "fill {} > capacity {}",
        l.fill(),
        l.capacity()
    );
}

#[test]
fn limiter_clock_spanning_the_whole_i64_range_does_not_overflow() {
    let mut l = CpuLimiter::new(i64::MIN, 1);
    l.update(i64::MAX);
    in_range(&l);
    // The whole window was mutator time: nothing fills.
    assert_eq!(l.fill(), 0);
    assert!(!l.limiting());

    let mut l = CpuLimiter::new(i64::MIN, 8);
    l.start_gc_transition(true, i64::MIN);
    l.finish_gc_transition(i64::MAX);
    in_range(&l);
    // An (absurdly) long pause is GC time on every processor: full.
    assert!(l.limiting());
    assert_eq!(l.fill(), l.capacity());
    assert!(l.overflow() > 0);
    l.start_gc_transition(false, i64::MIN);
    l.finish_gc_transition(i64::MIN);
    l.update(i64::MAX);
    in_range(&l);
}

#[test]
fn limiter_need_update_across_the_whole_range() {
    let l = CpuLimiter::new(i64::MIN, 1);
    assert!(l.need_update(i64::MAX));
    let l = CpuLimiter::new(i64::MAX, 1);
    assert!(!l.need_update(i64::MIN));
}

#[test]
fn limiter_with_zero_procs_never_panics_nor_limits_wrongly() {
    let mut l = CpuLimiter::new(0, 0);
    assert_eq!(l.capacity(), 0);
    l.add_assist_time(i64::MAX);
    l.update(1_000);
    in_range(&l);
    l.start_gc_transition(true, 2_000);
    l.finish_gc_transition(3_000);
    l.update(i64::MAX);
    in_range(&l);
    l.reset_capacity(i64::MAX, 4);
    assert_eq!(l.capacity(), 4 * gogc::CAPACITY_PER_PROC_NANOS);
    in_range(&l);
}

#[test]
fn limiter_huge_and_negative_pools_and_backwards_time() {
    let mut l = CpuLimiter::new(0, u32::MAX);
    assert_eq!(
        l.capacity(),
        u64::from(u32::MAX) * gogc::CAPACITY_PER_PROC_NANOS
    );
    for (assist, idle, now) in [
        (i64::MAX, i64::MAX, 10),
        (i64::MIN, 0, 5),
        (i64::MIN, i64::MIN, i64::MAX),
        (i64::MAX, i64::MIN, i64::MAX),
        (-1, -1, i64::MIN),
        (i64::MAX, 0, 0),
    ] {
        l.add_assist_time(assist);
        l.add_assist_time(assist);
        l.add_idle_time(idle);
        l.add_idle_time(idle);
        l.update(now);
        in_range(&l);
    }
    let mut l = CpuLimiter::new(1_000, 1);
    l.add_assist_time(500);
    // Backwards: nothing counted, the pool is kept for a later window.
    l.update(10);
    assert_eq!(l.fill(), 0);
    l.reset_capacity(i64::MIN, 0);
    in_range(&l);
    l.reset_capacity(i64::MAX, u32::MAX);
    in_range(&l);
}
