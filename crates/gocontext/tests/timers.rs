//! Channel timers: after, tick, Timer, Ticker; leak-freedom of the heap.

use std::time::Duration;

use gocontext::{after, tick, ManualClock, Ticker, Timer, Timers};

#[test]
fn after_delivers_once() {
    let a = after(Duration::from_millis(1));
    let t = a.recv().expect("a time");
    assert!(t.elapsed() < Duration::from_secs(60));
    assert!(
        a.recv_timeout(Duration::from_millis(10)).is_err(),
        "only once"
    );
}

#[test]
fn dropped_after_leaves_the_heap_at_once() {
    let timers = Timers::new(ManualClock::new());
    for _ in 0..if cfg!(miri) { 50 } else { 1000 } {
        let a = timers.after(Duration::from_secs(3600));
        assert!(a.try_recv().is_err());
        assert_eq!(timers.len(), 1);
    }
    assert_eq!(timers.len(), 0, "no timer left behind");
    assert_eq!(timers.capacity(), 0);
}

#[test]
fn timer_stop_reset_follow_go() {
    let clock = ManualClock::new();
    let timers = Timers::new(clock.clone());
    let t = timers.timer(Duration::from_secs(1));
    assert!(t.stop());
    assert!(!t.stop());
    clock.advance(Duration::from_secs(2));
    timers.fire_due();
    assert!(t.c().try_recv().is_err(), "stopped timer sends nothing");
    assert!(!t.reset(Duration::from_secs(1)));
    clock.advance(Duration::from_secs(1));
    timers.fire_due();
    assert_eq!(t.c().try_recv(), Ok(Duration::from_secs(3)));
    assert!(!t.stop(), "already fired");
}

#[test]
fn ticker_drops_ticks_for_slow_receivers() {
    let clock = ManualClock::new();
    let timers = Timers::new(clock.clone());
    let tk = timers.ticker(Duration::from_secs(1));
    for _ in 0..5 {
        clock.advance(Duration::from_secs(1));
        timers.fire_due();
    }
    assert_eq!(
        tk.try_recv(),
        Ok(Duration::from_secs(1)),
        "the first tick waited"
    );
    assert!(
        tk.try_recv().is_err(),
        "the others were dropped (capacity 1)"
    );
    tk.reset(Duration::from_secs(10));
    clock.advance(Duration::from_secs(10));
    timers.fire_due();
    assert_eq!(tk.try_recv(), Ok(Duration::from_secs(15)));
    drop(tk);
    assert!(timers.is_empty());
}

#[test]
fn global_timer_and_ticker() {
    let t = Timer::new(Duration::from_millis(1));
    assert!(t.c().recv().is_some());
    let tk = Ticker::new(Duration::from_millis(1));
    let a = tk.c().recv().unwrap();
    let b = tk.c().recv().unwrap();
    assert!(b > a);
    tk.stop();
    assert!(tick(Duration::ZERO).is_nil());
    let tk2 = tick(Duration::from_millis(1));
    assert!(tk2.recv().is_some());
}

#[test]
#[should_panic(expected = "non-positive interval for NewTicker")]
fn zero_ticker_panics_with_go_message() {
    let _ = Ticker::new(Duration::ZERO);
}

#[test]
fn creating_and_stopping_many_timers_leaves_nothing() {
    let timers = Timers::new(ManualClock::new());
    let n = if cfg!(miri) { 200 } else { 100_000 };
    let hs: Vec<_> = (0..n)
        .map(|i| timers.after_func(Duration::from_nanos(i as u64 % 977), || {}))
        .collect();
    assert_eq!(timers.len(), n);
    for h in &hs {
        assert!(h.stop());
    }
    assert_eq!(timers.len(), 0);
    assert_eq!(timers.capacity(), 0);
}

/// Go's `WithTimeout(ctx, math.MaxInt64)` and `time.After` of it: a
/// duration too long to add to now is a deadline that never comes, with a
/// `Deadline` that can still be read (Go saturates the time), not a panic.
#[test]
fn huge_durations_never_fire_and_their_deadlines_read_back() {
    use gocontext::{background, with_deadline, with_timeout};
    use std::time::Instant;
    let (ctx, cancel) = with_timeout(&background(), Duration::MAX);
    let deadline = ctx.deadline().expect("a deadline");
    assert!(deadline > Instant::now() + Duration::from_secs(86_400 * 365));
    assert_eq!(ctx.err(), None);
    // A child with an earlier deadline keeps its own.
    let (child, _c) = with_timeout(&ctx, Duration::from_secs(3600));
    assert!(child.deadline().unwrap() < deadline);
    cancel.cancel();
    assert_eq!(ctx.err(), Some(gocontext::Error::Canceled));
    if let Some(far) = Instant::now().checked_add(Duration::from_secs(700 * 365 * 86_400)) {
        let (ctx, cancel) = with_deadline(&background(), far);
        assert!(ctx.done().recv_timeout(Duration::from_millis(10)).is_err());
        assert!(ctx.deadline().unwrap() > Instant::now());
        cancel.cancel();
    }
    let a = after(Duration::MAX);
    assert!(a.recv_timeout(Duration::from_millis(10)).is_err());
    let t = tick(Duration::MAX);
    assert!(t.recv_timeout(Duration::from_millis(10)).is_err());
}
