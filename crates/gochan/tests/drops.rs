//! Every message is dropped exactly once: left in a dropped channel, returned
//! in an error, withdrawn from a select, or cancelled with a future.
#![cfg(feature = "std")]

use std::future::Future;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::Duration;

use gochan::{select, Chan, Select};

mod common;
use common::Tracked;

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn values_left_in_a_dropped_channel_are_dropped_once() {
    let live = Arc::new(AtomicIsize::new(0));
    for cap in [1usize, 3, 8] {
        let c = Chan::new(cap);
        // Wrap the ring around before leaving values behind.
        for _ in 0..cap + 1 {
            c.send(Tracked::new(&live)).unwrap();
            drop(c.recv());
        }
        for _ in 0..cap {
            c.send(Tracked::new(&live)).unwrap();
        }
        assert_eq!(live.load(Ordering::SeqCst), cap as isize);
        let c2 = c.clone();
        drop(c);
        assert_eq!(
            live.load(Ordering::SeqCst),
            cap as isize,
            "a clone keeps them"
        );
        drop(c2);
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn errors_give_values_back_exactly_once() {
    let live = Arc::new(AtomicIsize::new(0));
    let c = Chan::new(1);
    c.send(Tracked::new(&live)).unwrap();
    let e = c.try_send(Tracked::new(&live)).unwrap_err();
    assert_eq!(live.load(Ordering::SeqCst), 2);
    drop(e);
    let e = c
        .send_timeout(Tracked::new(&live), Duration::from_millis(1))
        .unwrap_err();
    drop(e.into_inner());
    c.close().unwrap();
    drop(c.send(Tracked::new(&live)).unwrap_err());
    assert_eq!(live.load(Ordering::SeqCst), 1);
    drop(c);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn parked_sender_gets_its_value_back_on_close() {
    let live = Arc::new(AtomicIsize::new(0));
    let c = Chan::new(0);
    let (c2, l2) = (c.clone(), live.clone());
    let t = thread::spawn(move || c2.send(Tracked::new(&l2)).unwrap_err().into_inner());
    thread::sleep(Duration::from_millis(20));
    c.close().unwrap();
    let v = t.join().unwrap();
    assert_eq!(live.load(Ordering::SeqCst), 1);
    drop(v);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn select_losing_send_cases_keep_their_values() {
    let live = Arc::new(AtomicIsize::new(0));
    let full = Chan::new(0);
    let ready = Chan::new(1);
    let r = select! {
        send(full, Tracked::new(&live)) => 0,
        send(ready, Tracked::new(&live)) => 1,
    };
    assert_eq!(r, 1);
    assert_eq!(
        live.load(Ordering::SeqCst),
        1,
        "the losing case's value was dropped"
    );
    // A timed-out select drops its unsent values.
    let r = select! {
        send(full, Tracked::new(&live)) => 0,
        default(Duration::from_millis(2)) => 1,
    };
    assert_eq!(r, 1);
    assert_eq!(live.load(Ordering::SeqCst), 1);
    // A dynamic select that never runs drops its values too.
    let mut sel = Select::new();
    sel.send(&full, Tracked::new(&live), |_| ());
    let sel = sel.try_select().unwrap_err();
    drop(sel);
    drop(ready);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn cancelled_futures_drop_nothing_twice() {
    let live = Arc::new(AtomicIsize::new(0));
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let c = Chan::new(0);
    // Send withdrawn before anyone took it: dropped with the future.
    let mut s = Box::pin(c.send_async(Tracked::new(&live)));
    assert!(s.as_mut().poll(&mut cx).is_pending());
    drop(s);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    // Receive handed a value, then dropped: the value goes back to the channel.
    let mut r = Box::pin(c.recv_async());
    assert!(r.as_mut().poll(&mut cx).is_pending());
    c.try_send(Tracked::new(&live)).unwrap();
    drop(r);
    assert_eq!(live.load(Ordering::SeqCst), 1);
    drop(c.try_recv().unwrap());
    assert_eq!(live.load(Ordering::SeqCst), 0);
    // A value re-delivered into the stash is dropped with the channel.
    let mut r = Box::pin(c.recv_async());
    assert!(r.as_mut().poll(&mut cx).is_pending());
    c.try_send(Tracked::new(&live)).unwrap();
    drop(r);
    drop(c);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn a_panicking_drop_does_not_double_drop() {
    struct Bomb(Arc<AtomicIsize>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("boom");
            }
        }
    }
    let drops = Arc::new(AtomicIsize::new(0));
    let c = Chan::new(3);
    for _ in 0..3 {
        c.send(Bomb(drops.clone())).unwrap();
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(c)));
    assert!(r.is_err());
    // The first drop panicked; the others were still dropped, each once.
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

/// A value whose `Drop` panics.
struct Bomb(Arc<AtomicIsize>);

impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("Bomb::drop");
    }
}

#[test]
fn a_panicking_drop_of_a_withdrawn_value_runs_outside_the_lock() {
    let n = Arc::new(AtomicIsize::new(0));
    let c = Chan::<Bomb>::new(0);
    let waker = Waker::noop();
    let mut fut = Box::pin(c.send_async(Bomb(n.clone())));
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(waker))
        .is_pending());
    // Dropping the pending send withdraws it, then drops the value: its
    // panic must find the channel unlocked and the waiter unlinked.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(fut)));
    assert!(r.is_err());
    assert_eq!(n.load(Ordering::SeqCst), 1, "dropped exactly once");
    assert_eq!(c.snapshot().unwrap().sendq, 0);
    assert!(
        c.try_recv().is_err(),
        "the lock is free and nothing is queued"
    );
    // The same through a blocking send that times out.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(c.send_timeout(Bomb(n.clone()), Duration::from_millis(1)));
    }));
    assert!(r.is_err());
    assert_eq!(n.load(Ordering::SeqCst), 2);
    assert_eq!(c.snapshot().unwrap().sendq, 0);
    assert!(c.try_recv().is_err());
}
