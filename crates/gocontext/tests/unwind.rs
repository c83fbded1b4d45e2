//! Hostile user code inside the cancellation tree and the timer heap: wakers
//! that panic or call back into the context they are woken for, `Drop`s of
//! timer closures and context values that panic or re-enter the heap. Every
//! step that could hang runs on a watchdog thread with a deadline.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context as TaskCx, Poll, Wake, Waker};
use std::time::Duration;

use gocontext::{
    after_func, background, cause, with_cancel, with_value, Context, ManualClock, TimerHandle,
    Timers,
};

/// Runs `f` on its own thread; fails the test if it does not finish in time
/// (a deadlock) or panics.
fn within(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(r.is_ok());
    });
    let limit = Duration::from_secs(if cfg!(miri) { 3600 } else { 20 });
    match rx.recv_timeout(limit) {
        Ok(true) => t.join().unwrap(),
        Ok(false) => panic!("{what}: panicked"),
        Err(_) => panic!("{what}: deadlocked"),
    }
}

/// Polls `done.recv_async()` once with `waker`, which stays parked on the
/// done channel while the returned future lives.
fn park_waker<'a>(done: &'a gocontext::Done, waker: &Waker) -> Pin<Box<impl Future + 'a>> {
    let mut fut = Box::pin(done.recv_async());
    let pending = fut
        .as_mut()
        .poll(&mut TaskCx::from_waker(waker))
        .is_pending();
    assert!(pending, "the done channel was already closed");
    fut
}

/// A waker that calls back into its context (locks it) when woken.
struct Reenter {
    ctx: Mutex<Option<Context>>,
    woken: AtomicUsize,
}

impl Wake for Reenter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(ctx) = self.ctx.lock().unwrap().take() {
            // Each of these takes the context's lock.
            let d = ctx.done();
            assert!(d.is_closed());
            assert!(cause(&ctx).is_some());
            let (child, _c) = with_cancel(&ctx);
            assert!(child.err().is_some());
            assert_eq!(ctx.children_len(), 0);
        }
        self.woken.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_waker_that_reenters_its_context_on_cancel_does_not_deadlock() {
    within("waker re-entering on cancel", || {
        let (ctx, cancel) = with_cancel(&background());
        let w = Arc::new(Reenter {
            ctx: Mutex::new(Some(ctx.clone())),
            woken: AtomicUsize::new(0),
        });
        let waker = Waker::from(Arc::clone(&w));
        let done = ctx.done();
        let _parked = park_waker(&done, &waker);
        cancel.cancel();
        assert_eq!(w.woken.load(Ordering::SeqCst), 1);
    });
}

/// A waker whose `wake` panics.
struct Bomb;
impl Wake for Bomb {
    fn wake(self: Arc<Self>) {
        panic!("waker panicked");
    }
}

#[test]
fn a_panicking_waker_does_not_stop_the_subtree_from_being_cancelled() {
    within("panicking waker", || {
        let (ctx, cancel) = with_cancel(&background());
        let (child, _cc) = with_cancel(&ctx);
        let (grandchild, _gc) = with_cancel(&with_value(&child, "k", 1u8));
        let (tx, rx) = mpsc::channel();
        let _stop = after_func(&child, move || tx.send("ran").unwrap());
        let waker = Waker::from(Arc::new(Bomb));
        let done = ctx.done();
        let _parked = park_waker(&done, &waker);
        let r = catch_unwind(AssertUnwindSafe(|| cancel.cancel()));
        assert!(r.is_err(), "the waker's panic reaches the caller");
        // The tree is cancelled all the same.
        assert!(ctx.err().is_some());
        assert!(ctx.done().is_closed());
        assert!(child.err().is_some(), "child not cancelled");
        assert!(child.done().is_closed());
        assert!(grandchild.err().is_some(), "grandchild not cancelled");
        assert_eq!(ctx.children_len(), 0);
        assert_eq!(rx.recv_timeout(Duration::from_secs(60)), Ok("ran"));
        // And the context stays usable.
        let (late, _l) = with_cancel(&ctx);
        assert!(late.err().is_some());
    });
}

#[test]
fn a_panicking_waker_on_an_orphaned_done_channel_loses_nothing() {
    within("panicking waker on an orphan", || {
        let (parent, cancel) = with_cancel(&background());
        let (child, child_cancel) = with_cancel(&parent);
        let done = child.done();
        let (tx, rx) = mpsc::channel();
        let _stop = after_func(&child, move || tx.send("ran").unwrap());
        let waker = Waker::from(Arc::new(Bomb));
        let _parked = park_waker(&done, &waker);
        // Drop the child while live: its done channel and after-func are
        // left behind in the parent (an orphan).
        drop(child);
        drop(child_cancel);
        assert_eq!(parent.children_len(), 1);
        let r = catch_unwind(AssertUnwindSafe(|| cancel.cancel()));
        assert!(r.is_err());
        assert!(done.is_closed());
        assert_eq!(rx.recv_timeout(Duration::from_secs(60)), Ok("ran"));
        assert_eq!(parent.children_len(), 0);
    });
}

/// An after-func that panics: with `std` it runs (and panics) on its own
/// thread; without, inline in `cancel`, whose walk must still finish.
#[test]
fn a_panicking_after_func_does_not_stop_the_cancellation() {
    within("panicking after-func", || {
        let (ctx, cancel) = with_cancel(&background());
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let _a = after_func(&ctx, move || tx.send("first").unwrap());
        let _b = after_func(&ctx, || panic!("after-func panicked"));
        let (child, _cc) = with_cancel(&ctx);
        let _c = after_func(&child, move || tx2.send("child").unwrap());
        let r = catch_unwind(AssertUnwindSafe(|| cancel.cancel()));
        assert_eq!(r.is_err(), cfg!(not(feature = "std")));
        assert!(ctx.done().is_closed());
        assert!(child.err().is_some());
        assert!(child.done().is_closed());
        let mut got = vec![
            rx.recv_timeout(Duration::from_secs(60)).unwrap(),
            rx.recv_timeout(Duration::from_secs(60)).unwrap(),
        ];
        got.sort();
        assert_eq!(got, ["child", "first"]);
    });
}

// ---- values ------------------------------------------------------------------

static VALUES_LIVE: AtomicUsize = AtomicUsize::new(0);

struct Val {
    panic: bool,
    reenter: Option<Context>,
}
impl Val {
    fn new(panic: bool, reenter: Option<Context>) -> Val {
        VALUES_LIVE.fetch_add(1, Ordering::SeqCst);
        Val { panic, reenter }
    }
}
impl Drop for Val {
    fn drop(&mut self) {
        VALUES_LIVE.fetch_sub(1, Ordering::SeqCst);
        if let Some(c) = self.reenter.take() {
            // Re-enter the tree from a Drop.
            let (x, cx) = with_cancel(&c);
            cx.cancel();
            assert!(x.err().is_some());
            let _ = c.children_len();
        }
        if self.panic {
            panic!("value drop panicked");
        }
    }
}

#[test]
fn panicking_and_reentrant_value_drops() {
    within("value drops", || {
        let base = VALUES_LIVE.load(Ordering::SeqCst);
        let (root, cancel) = with_cancel(&background());
        {
            let v = with_value(&root, "a", Val::new(true, None));
            let (c, cc) = with_cancel(&with_value(&v, "b", Val::new(false, Some(root.clone()))));
            assert_eq!(root.children_len(), 1);
            cc.cancel();
            drop(cc);
            // The last handle of the chain drops both values: one re-enters
            // the tree, one panics.
            let r = catch_unwind(AssertUnwindSafe(move || drop((c, v))));
            assert!(r.is_err());
        }
        assert_eq!(VALUES_LIVE.load(Ordering::SeqCst), base, "value leaked");
        assert_eq!(root.children_len(), 0);
        cancel.cancel();
        assert!(root.err().is_some());
    });
}

// ---- the timer heap ------------------------------------------------------------

/// Captured by a timer closure: its Drop arms and stops another timer on the
/// same service (takes the heap lock).
struct Rearm {
    timers: Arc<Timers>,
    dropped: Arc<AtomicUsize>,
    panic: bool,
}
impl Drop for Rearm {
    fn drop(&mut self) {
        let h = self.timers.after_func(Duration::from_secs(1), || {});
        assert!(h.stop());
        let _ = self.timers.len();
        self.dropped.fetch_add(1, Ordering::SeqCst);
        if self.panic {
            panic!("timer closure drop panicked");
        }
    }
}

fn rearming_timer(t: &Arc<Timers>, dropped: &Arc<AtomicUsize>, panic: bool) -> TimerHandle {
    let r = Rearm {
        timers: Arc::clone(t),
        dropped: Arc::clone(dropped),
        panic,
    };
    t.after_func(Duration::from_secs(5), move || {
        let _keep = &r;
    })
}

#[test]
fn timer_closure_drop_reentering_the_heap_on_stop_reset_fire_and_drop() {
    within("re-entrant timer closure drops", || {
        let clock = ManualClock::new();
        let t = Timers::new(clock.clone());
        let dropped = Arc::new(AtomicUsize::new(0));
        // stop, then drop the handle.
        let h = rearming_timer(&t, &dropped, false);
        assert!(h.stop());
        drop(h);
        // reset (removes and re-inserts the entry), then drop while armed.
        let h = rearming_timer(&t, &dropped, false);
        assert!(h.reset(Duration::from_secs(9)));
        assert!(h.reset(Duration::from_secs(1)));
        drop(h);
        // fired, then dropped.
        let h = rearming_timer(&t, &dropped, false);
        clock.advance(Duration::from_secs(5));
        assert_eq!(t.fire_due(), None);
        assert!(!h.is_armed());
        drop(h);
        assert_eq!(dropped.load(Ordering::SeqCst), 3);
        assert!(t.is_empty());
    });
}

#[test]
fn a_panicking_timer_closure_drop_leaves_the_heap_consistent() {
    within("panicking timer closure drop", || {
        let clock = ManualClock::new();
        let t = Timers::new(clock.clone());
        let dropped = Arc::new(AtomicUsize::new(0));
        let other = t.after_func(Duration::from_secs(7), || {});
        let h = rearming_timer(&t, &dropped, true);
        assert!(h.reset(Duration::from_secs(2)));
        let r = catch_unwind(AssertUnwindSafe(move || drop(h)));
        assert!(r.is_err());
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
        assert_eq!(t.len(), 1);
        assert_eq!(t.next_deadline(), Some(Duration::from_secs(7)));
        assert!(other.stop());
        assert!(t.is_empty());
    });
}

#[test]
fn a_waker_reentering_its_context_on_a_deadline_does_not_deadlock() {
    within("waker re-entering on a deadline", || {
        let clock = ManualClock::new();
        let timers = Timers::new(clock.clone());
        let (ctx, _cancel) =
            gocontext::with_timeout_on(&background(), &timers, Duration::from_secs(1));
        let w = Arc::new(Reenter {
            ctx: Mutex::new(Some(ctx.clone())),
            woken: AtomicUsize::new(0),
        });
        let waker = Waker::from(Arc::clone(&w));
        let done = ctx.done();
        let _parked = park_waker(&done, &waker);
        clock.advance(Duration::from_secs(1));
        timers.fire_due();
        assert_eq!(w.woken.load(Ordering::SeqCst), 1);
        assert!(timers.is_empty());
    });
}

#[test]
fn poll_ready_after_cancel() {
    // Sanity check of the helper: a done channel already closed is ready.
    let (ctx, cancel) = with_cancel(&background());
    cancel.cancel();
    let waker = Waker::from(Arc::new(Bomb));
    let done = ctx.done();
    let mut fut = pin!(done.recv_async());
    assert!(matches!(
        fut.as_mut().poll(&mut TaskCx::from_waker(&waker)),
        Poll::Ready(_)
    ));
}
