//! Cancellation trees beyond Go's own tests: detaching, memory, causes,
//! after_func, without_cancel, virtual-clock deadlines, async, and a stress
//! test of cancel racing child creation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use gocontext::{
    after_func, background, cause, with_cancel, with_cancel_cause, with_deadline_on, with_timeout,
    with_timeout_on, with_value, without_cancel, Cause, Clock, Error, ManualClock, Timers,
};

fn n(full: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        full
    }
}

#[test]
fn cancelled_children_leave_the_parent_and_memory_returns() {
    let (parent, _pc) = with_cancel(&background());
    let kids: Vec<_> = (0..n(100_000, 300)).map(|_| with_cancel(&parent)).collect();
    assert_eq!(parent.children_len(), kids.len());
    for (_, c) in &kids {
        c.cancel();
    }
    assert_eq!(parent.children_len(), 0);
    // The parent is reusable and its set starts empty again.
    let (_k, kc) = with_cancel(&parent);
    assert_eq!(parent.children_len(), 1);
    kc.cancel();
    assert_eq!(parent.children_len(), 0);
}

#[test]
fn forgotten_cancel_does_not_grow_the_parent() {
    let (parent, _pc) = with_cancel(&background());
    for _ in 0..n(10_000, 100) {
        let (_child, _cancel) = with_cancel(&parent); // never cancelled, dropped
    }
    assert_eq!(parent.children_len(), 0, "dropped children left the set");
}

#[test]
fn a_child_whose_done_is_held_is_still_cancelled_with_its_parent() {
    let (parent, pc) = with_cancel(&background());
    let done = {
        let (child, _cancel) = with_cancel(&parent);
        child.done()
    }; // the context and its cancel func are gone; the receiver is not
    assert_eq!(
        parent.children_len(),
        1,
        "pinned while someone can wait on it"
    );
    pc.cancel();
    assert!(done.is_closed());
}

#[test]
fn cancel_is_idempotent_and_first_error_wins() {
    let timers = Timers::new(ManualClock::new());
    let (ctx, cancel) = with_timeout_on(&background(), &timers, Duration::ZERO);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    cancel.cancel();
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    let (c2, cancel2) = with_cancel(&ctx);
    assert_eq!(
        c2.err(),
        Some(Error::DeadlineExceeded),
        "derived from a cancelled parent"
    );
    cancel2.cancel();
    assert_eq!(c2.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn child_deadline_never_later_than_parent() {
    let clock = ManualClock::new();
    let timers = Timers::new(clock.clone());
    let (p, _pc) = with_deadline_on(&background(), &timers, Duration::from_secs(10));
    let (later, _c1) = with_deadline_on(&p, &timers, Duration::from_secs(20));
    assert_eq!(later.deadline_reading(), Some(Duration::from_secs(10)));
    assert_eq!(later.to_string(), format!("{p}.WithCancel"));
    let (sooner, _c2) = with_deadline_on(&p, &timers, Duration::from_secs(5));
    assert_eq!(sooner.deadline_reading(), Some(Duration::from_secs(5)));
    assert_eq!(timers.len(), 2, "the later child arms no timer");
    clock.advance(Duration::from_secs(5));
    timers.fire_due();
    assert_eq!(
        (p.err(), sooner.err(), later.err()),
        (None, Some(Error::DeadlineExceeded), None)
    );
    clock.advance(Duration::from_secs(5));
    timers.fire_due();
    assert_eq!(
        later.err(),
        Some(Error::DeadlineExceeded),
        "parent's deadline error propagates"
    );
    assert!(timers.is_empty());
}

/// Go's `Deadline()` returns the very time given to `WithDeadline`, also
/// one already past. Go 1.19 printed (probe: deadlines 5 s, 3 s and 7 s
/// before now):
///
/// ```text
/// past deadline preserved: true true context deadline exceeded
/// child of past (later) deadline reports parent's: true context deadline exceeded
/// child earlier past deadline reports own: true context deadline exceeded
/// ```
///
/// An instant before the global clock's epoch (its first use) read as zero,
/// so `deadline()` returned the epoch, a later instant, and two such past
/// deadlines compared equal. Hours here, so that they precede the epoch
/// however long the test binary has run.
#[test]
fn a_past_deadline_reads_back_exactly_as_given() {
    use std::time::Instant;
    let now = Instant::now();
    let ago = |h: u64| now.checked_sub(Duration::from_secs(h * 3600));
    let (Some(t0), Some(t1), Some(t2)) = (ago(5), ago(3), ago(7)) else {
        return; // this platform's clock cannot go back that far
    };
    let (c, _cf) = gocontext::with_deadline(&background(), t0);
    assert_eq!(c.deadline(), Some(t0));
    assert_eq!(c.err(), Some(Error::DeadlineExceeded));
    let (later, _c1) = gocontext::with_deadline(&c, t1);
    assert_eq!(later.deadline(), Some(t0), "the parent's sooner deadline");
    // Go prints the deadline and the (negative) time left until it.
    let (shown, child) = (c.to_string(), later.to_string());
    assert!(
        shown.starts_with("context.Background.WithDeadline(-"),
        "{shown}"
    );
    assert!(shown.contains(" [-18000."), "{shown}");
    assert!(child.ends_with("]).WithCancel"), "{child}");
    let (sooner, _c2) = gocontext::with_deadline(&c, t2);
    assert_eq!(sooner.deadline(), Some(t2), "its own, sooner deadline");
    assert_eq!(sooner.err(), Some(Error::DeadlineExceeded));
    // A future one, and a child of a value context, read back exactly too.
    let at = now + Duration::from_secs(3600);
    let (f, _c3) = gocontext::with_deadline(&background(), at);
    assert_eq!(with_value(&f, "k", 1u8).deadline(), Some(at));
}

/// Go's timerCtx.String prints `time.Until(deadline)`, negative once the
/// deadline has passed. Go 1.19 printed, 5 ms after a 1 ms timeout:
///
/// ```text
/// context.Background.WithDeadline(2026-12-07 23:26:58.14532733 +0000 UTC m=+0.001189763 [-4.457332ms])
/// ```
///
/// The remaining time saturated at `0ns` here.
#[test]
fn a_passed_deadline_prints_negative_remaining_time() {
    let clock = ManualClock::new();
    let timers = Timers::new(clock.clone());
    let (c, _cf) = with_deadline_on(&background(), &timers, Duration::from_secs(1));
    assert_eq!(c.to_string(), "context.Background.WithDeadline(1s [1s])");
    clock.advance(Duration::from_millis(3500));
    assert_eq!(c.to_string(), "context.Background.WithDeadline(1s [-2.5s])");
    let (at_now, _cf2) = with_deadline_on(&background(), &timers, clock.now());
    assert_eq!(
        at_now.to_string(),
        "context.Background.WithDeadline(3.5s [0ns])"
    );
}

#[test]
fn cancelling_a_timer_context_stops_its_timer() {
    let timers = Timers::new(ManualClock::new());
    let (p, _) = with_cancel(&background());
    let ctxs: Vec<_> = (0..100)
        .map(|i| with_timeout_on(&p, &timers, Duration::from_secs(i + 1)))
        .collect();
    assert_eq!(timers.len(), 100);
    for (_, c) in &ctxs {
        c.cancel();
    }
    assert!(timers.is_empty());
    assert_eq!(p.children_len(), 0);
}

#[test]
fn cause_follows_go_1_20() {
    let (ctx, cancel) = with_cancel_cause(&background());
    let (child, _c) = with_cancel(&ctx);
    assert!(cause(&ctx).is_none());
    let why: Cause = Arc::new(std::io::Error::other("disk full"));
    cancel.cancel(Some(why));
    cancel.cancel(Some(Arc::new(std::io::Error::other("ignored"))));
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(cause(&ctx).unwrap().to_string(), "disk full");
    assert_eq!(cause(&child).unwrap().to_string(), "disk full");
    let v = with_value(&child, 1u8, 1u8);
    assert_eq!(
        cause(&v).unwrap().to_string(),
        "disk full",
        "through value contexts"
    );
    assert!(cause(&background()).is_none());
    let (c2, cancel2) = with_cancel_cause(&background());
    cancel2.cancel(None);
    assert_eq!(cause(&c2).unwrap().to_string(), "context canceled");
}

#[test]
fn after_func_runs_once_and_stop_prevents_it() {
    let (ctx, cancel) = with_cancel(&background());
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    let stop1 = after_func(&ctx, move || tx.send(1).unwrap());
    let stop2 = after_func(&ctx, move || tx2.send(2).unwrap());
    assert!(stop2.stop());
    assert_eq!(ctx.children_len(), 1, "a stopped after_func leaves the set");
    cancel.cancel();
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 1);
    assert!(
        rx.recv_timeout(Duration::from_millis(20)).is_err(),
        "stopped func never runs"
    );
    assert!(!stop1.stop());
    // Registering on a cancelled context runs f at once.
    let (tx, rx) = mpsc::channel();
    let s = after_func(&ctx, move || tx.send(3).unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 3);
    assert!(!s.stop());
    // On a context that is never cancelled, f never runs and stop succeeds.
    let s = after_func(&background(), || unreachable!());
    assert!(s.stop());
}

#[test]
fn after_func_survives_dropped_handles() {
    let (root, cancel) = with_cancel(&background());
    let hits = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    {
        let (child, _cc) = with_cancel(&root);
        let h = Arc::clone(&hits);
        let _stop = after_func(&child, move || {
            h.fetch_add(1, Ordering::SeqCst);
            tx.send(()).unwrap();
        });
    }
    cancel.cancel();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn without_cancel_keeps_values_drops_cancellation() {
    let timers = Timers::new(ManualClock::new());
    let base = with_value(&background(), "user", String::from("gopher"));
    let (ctx, cancel) = with_timeout_on(&base, &timers, Duration::from_secs(1));
    let w = without_cancel(&ctx);
    assert_eq!(w.deadline_reading(), None);
    assert!(w.done().is_nil());
    cancel.cancel();
    assert_eq!(w.err(), None);
    assert_eq!(
        w.value::<_, String>(&"user").map(String::as_str),
        Some("gopher")
    );
    assert_eq!(w.to_string(), format!("{ctx}.WithoutCancel"));
    let (c, cc) = with_cancel(&w);
    assert_eq!(
        c.err(),
        None,
        "a child of without_cancel is not cancelled by the old parent"
    );
    cc.cancel();
    assert_eq!(c.err(), Some(Error::Canceled));
}

#[test]
fn done_is_stable_and_closed_when_asked_late() {
    let (ctx, cancel) = with_cancel(&background());
    let a = ctx.done();
    let b = ctx.done();
    assert!(a == b, "repeated done() returns the same channel");
    cancel.cancel();
    assert!(a.is_closed());
    let (late, cancel2) = with_cancel(&background());
    cancel2.cancel();
    assert!(
        late.done().is_closed(),
        "first done() after cancel is already closed"
    );
}

#[test]
fn value_lookup_walks_through_cancel_contexts() {
    #[derive(PartialEq)]
    struct K(u32);
    let mut ctx = with_value(&background(), K(0), 0u32);
    let mut cancels = Vec::new();
    for i in 1..10 {
        let (c, f) = with_cancel(&ctx);
        cancels.push(f);
        ctx = with_value(&c, K(i), i);
    }
    for i in 0..10 {
        assert_eq!(ctx.value::<_, u32>(&K(i)), Some(&i));
    }
    assert_eq!(ctx.value::<_, u32>(&K(10)), None);
    assert_eq!(ctx.value::<_, u64>(&K(3)), None, "wrong value type");
}

#[test]
fn real_timeout_fires_on_the_timer_thread() {
    let (ctx, _c) = with_timeout(&background(), Duration::from_millis(2));
    assert_eq!(ctx.done().recv(), None);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn done_works_with_recv_async() {
    let (ctx, cancel) = with_cancel(&background());
    let done = ctx.done();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1));
        cancel.cancel();
    });
    let r = gocore::park::block_on(async { done.recv_async().await });
    assert_eq!(r, None);
    assert_eq!(ctx.err(), Some(Error::Canceled));
    t.join().unwrap();
}

#[test]
fn values_are_dropped_with_the_tree() {
    struct D(Arc<AtomicUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let (root, cancel) = with_cancel(&background());
        let v = with_value(&root, 1u8, D(Arc::clone(&drops)));
        let (_c, _cc) = with_cancel(&v);
        let _leaf = with_value(&v, 2u8, D(Arc::clone(&drops)));
        cancel.cancel();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2, "no leak, no double drop");
    {
        // Never cancelled, everything dropped: still freed (weak child entries).
        let (root, _cancel) = with_cancel(&background());
        let v = with_value(&root, 1u8, D(Arc::clone(&drops)));
        let (_c, _cc) = with_cancel(&v);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    {
        // Never cancelled, done() handed out, deadline armed, everything
        // dropped: no reference cycle keeps the tree alive.
        let timers = Timers::new(ManualClock::new());
        let (root, _cancel) = with_cancel(&background());
        let v = with_value(&root, 1u8, D(Arc::clone(&drops)));
        let (c, _cc) = with_timeout_on(&v, &timers, Duration::from_secs(9));
        let _done = c.done();
        let _stop = after_func(&c, || {});
    }
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn a_dropped_deadline_child_still_closes_its_done_at_the_deadline() {
    let clock = ManualClock::new();
    let timers = Timers::new(clock.clone());
    let done = {
        let (c, _cancel) = with_timeout_on(&background(), &timers, Duration::from_secs(2));
        c.done()
    };
    assert_eq!(
        timers.len(),
        1,
        "the deadline stays armed for the orphaned done channel"
    );
    clock.advance(Duration::from_secs(2));
    timers.fire_due();
    assert!(done.is_closed());
    assert!(timers.is_empty());
}

#[test]
fn a_dropped_child_without_done_leaves_nothing_behind() {
    let timers = Timers::new(ManualClock::new());
    let (p, _pc) = with_cancel(&background());
    for _ in 0..100 {
        let _ = with_timeout_on(&p, &timers, Duration::from_secs(2));
    }
    assert_eq!(p.children_len(), 0);
    assert!(
        timers.is_empty(),
        "dropped timer contexts stop their timers"
    );
}

#[test]
fn stress_cancel_racing_child_creation() {
    let rounds = n(200, 4);
    let per = n(200, 10);
    for _ in 0..rounds {
        let (root, cancel) = with_cancel(&background());
        let makers: Vec<_> = (0..3)
            .map(|_| {
                let root = root.clone();
                std::thread::spawn(move || {
                    let mut kids = Vec::new();
                    for _ in 0..per {
                        let (c, f) = with_cancel(&root);
                        let (g, gf) = with_cancel(&c);
                        kids.push((c, f, g, gf));
                    }
                    kids
                })
            })
            .collect();
        std::thread::yield_now();
        cancel.cancel();
        for m in makers {
            for (c, _f, g, _gf) in m.join().unwrap() {
                // Every child made before or after the cancel is cancelled.
                assert_eq!(c.err(), Some(Error::Canceled));
                assert_eq!(g.err(), Some(Error::Canceled));
                assert!(c.done().is_closed() && g.done().is_closed());
                assert_eq!(c.children_len(), 0);
            }
        }
        assert_eq!(root.children_len(), 0);
    }
}

#[test]
fn stress_parent_and_child_cancel_concurrently() {
    let rounds = n(2000, 20);
    for _ in 0..rounds {
        let (p, pc) = with_cancel(&background());
        let (c, cc) = with_cancel(&p);
        let d = c.done();
        let t = std::thread::spawn(move || cc.cancel());
        pc.cancel();
        t.join().unwrap();
        assert!(d.is_closed());
        assert_eq!(c.err(), Some(Error::Canceled));
        assert_eq!(p.children_len(), 0);
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<gocontext::Context>();
    check::<gocontext::CancelFunc>();
    check::<gocontext::CancelCauseFunc>();
    check::<gocontext::AfterFuncStop>();
    check::<gocontext::Timer>();
    check::<gocontext::Ticker>();
    check::<gocontext::After>();
    check::<gocontext::TimerHandle>();
    check::<std::sync::Arc<Timers>>();
    check::<gocontext::Done>();
}
