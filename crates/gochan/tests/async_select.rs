//! The awaitable select (`select_async!`, `Select::select_async`): the
//! blocking select's semantics (random choice, closed and nil channels,
//! `default`, send cases), parking as a task, cancellation that leaves no
//! waiter behind and loses no value, panicking foreign wakers, and Go's
//! wait reasons.
#![cfg(feature = "std")]

mod common;
use common::size;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::thread;

use common::{counting_waker, Tracked};
use gochan::{select_async, Chan, Select, SendError};
use gocore::park::block_on;
use gocore::wait::{self, WaitReason};

fn poll<F: Future>(f: Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

/// Polls once, expecting `Pending`, and returns the wait reason recorded.
fn pending_reason<F: Future>(f: Pin<&mut F>, w: &Waker) -> Option<WaitReason> {
    let _ = wait::take();
    assert!(poll(f, w).is_pending());
    wait::take()
}

fn queues<T>(c: &Chan<T>) -> (usize, usize) {
    let s = c.snapshot().unwrap();
    (s.sendq, s.recvq)
}

#[test]
fn ready_case_fires_on_the_first_poll() {
    let (a, b) = (Chan::new(1), Chan::<i32>::new(1));
    a.send(1).unwrap();
    let (count, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(a) -> v => ("a", v),
            recv(b) -> v => ("b", v),
        }
    });
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready(("a", Some(1))));
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
}

#[test]
fn parked_select_is_completed_by_a_counterpart() {
    let (a, b) = (Chan::<u32>::new(0), Chan::<u32>::new(0));
    let (count, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(a) -> v => ("a", v),
            recv(b) -> v => ("b", v),
        }
    });
    assert_eq!(pending_reason(f.as_mut(), &w), Some(WaitReason::Select));
    // One sudog per case, parked as a task.
    assert_eq!(queues(&a), (0, 1));
    assert_eq!(queues(&b), (0, 1));
    // An unbuffered try_send finds the parked case and hands the value over.
    b.try_send(5).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    // The losing case is skipped by counterparts and unlinked by pass 3.
    assert!(a.try_send(6).is_err());
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready(("b", Some(5))));
    assert_eq!(queues(&a), (0, 0));
    assert_eq!(queues(&b), (0, 0));
}

#[test]
fn send_case_is_completed_by_a_receiver() {
    let (a, out) = (Chan::<u32>::new(0), Chan::<u32>::new(0));
    let (count, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(a) -> _ => "recv",
            send(out, 9) => "sent",
        }
    });
    assert_eq!(pending_reason(f.as_mut(), &w), Some(WaitReason::Select));
    assert_eq!(queues(&out), (1, 0));
    assert_eq!(out.try_recv(), Ok(9));
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready("sent"));
    assert_eq!(queues(&a), (0, 0));
}

#[test]
fn repoll_with_a_new_waker_wakes_only_that_one() {
    let c = Chan::<u32>::new(0);
    let d = Chan::<u32>::new(0);
    let (count1, w1) = counting_waker();
    let (count2, w2) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(c) -> v => v,
            recv(d) -> v => v,
        }
    });
    assert!(poll(f.as_mut(), &w1).is_pending());
    // Same waker again: still parked, nothing cloned or replaced.
    assert_eq!(pending_reason(f.as_mut(), &w1), Some(WaitReason::Select));
    assert_eq!(pending_reason(f.as_mut(), &w2), Some(WaitReason::Select));
    c.try_send(3).unwrap();
    assert_eq!(count1.0.load(Ordering::SeqCst), 0);
    assert_eq!(count2.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll(f.as_mut(), &w2), Poll::Ready(Some(3)));
}

#[test]
fn choice_among_ready_cases_is_uniform() {
    let n = if cfg!(miri) { 60 } else { 3000 };
    let (a, b, c) = (Chan::new(1), Chan::new(1), Chan::new(1));
    let mut hits = [0usize; 3];
    block_on(async {
        for _ in 0..n {
            for ch in [&a, &b, &c] {
                if ch.is_empty() {
                    ch.send(()).unwrap();
                }
            }
            let i = select_async! {
                recv(a) => 0,
                recv(b) => 1,
                recv(c) => 2,
            };
            hits[i] += 1;
        }
    });
    // Each ~n/3; a fixed choice would put n in one slot.
    for h in hits {
        assert!(h > n / 6, "{hits:?}");
    }
}

#[test]
fn closed_channels() {
    let (a, b) = (Chan::<u8>::new(0), Chan::<u8>::new(0));
    a.close().unwrap();
    b.close().unwrap();
    let got = block_on(async {
        select_async! {
            recv(a) -> v => v,
        }
    });
    assert_eq!(got, None);
    let back = block_on(async {
        select_async! {
            send(b, 4) -> r => r,
        }
    });
    assert_eq!(back, Err(SendError(4)));
    // The arm without `-> res` panics like Go.
    let r = catch_unwind(AssertUnwindSafe(|| {
        block_on(async {
            select_async! { send(b, 4) => () }
        })
    }));
    let msg = r.unwrap_err();
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"send on closed channel"));
}

#[test]
fn close_wakes_a_parked_select() {
    let (a, b) = (Chan::<u8>::new(0), Chan::<u8>::new(0));
    let (count, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(a) -> v => ("a", v),
            recv(b) -> v => ("b", v),
        }
    });
    assert!(poll(f.as_mut(), &w).is_pending());
    a.close().unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready(("a", None)));
    assert_eq!(queues(&b), (0, 0));
}

#[test]
fn nil_channels_are_never_chosen() {
    let (nil, ready) = (Chan::<u8>::nil(), Chan::new(1));
    ready.send(1).unwrap();
    for _ in 0..20 {
        let got = block_on(async {
            select_async! {
                recv(nil) => 0,
                send(nil, 0) => 0,
                recv(ready) -> v => v.unwrap(),
            }
        });
        assert_eq!(got, 1);
        ready.send(1).unwrap();
    }
}

#[test]
fn only_nil_cases_pend_forever_with_reason_select() {
    let nil = Chan::<u8>::nil();
    let (count, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(nil) => (),
            send(nil, 1) => (),
        }
    });
    for _ in 0..3 {
        assert_eq!(pending_reason(f.as_mut(), &w), Some(WaitReason::Select));
    }
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
}

#[test]
fn no_cases_pends_forever_with_reason_select_no_cases() {
    let (_, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {}
    });
    for _ in 0..3 {
        assert_eq!(
            pending_reason(f.as_mut(), &w),
            Some(WaitReason::SelectNoCases)
        );
    }
    let mut empty = pin!(Select::<()>::new().select_async());
    assert_eq!(
        pending_reason(empty.as_mut(), &w),
        Some(WaitReason::SelectNoCases)
    );
}

#[test]
fn default_runs_when_nothing_is_ready() {
    let (a, b) = (Chan::<u8>::new(0), Chan::<u8>::new(1));
    let got = block_on(async {
        select_async! {
            recv(a) -> v => v,
            send(b, 1) => Some(100),
            default => None,
        }
    });
    assert_eq!(got, Some(100), "the send case was ready");
    let got = block_on(async {
        select_async! {
            recv(a) -> v => v,
            send(b, 2) => Some(100),
            default => None,
        }
    });
    assert_eq!(got, None, "b is full: default");
    assert_eq!(b.try_recv(), Ok(1));
}

#[test]
fn arms_can_await_and_return() {
    let (a, out) = (Chan::new(1), Chan::new(1));
    a.send(20).unwrap();
    let r: Result<u32, &str> = block_on(async {
        let v = select_async! {
            recv(a) -> v => {
                let v = v.ok_or("closed")?;
                out.send_async(v + 1).await.unwrap();
                v
            }
        };
        Ok(v)
    });
    assert_eq!(r, Ok(20));
    assert_eq!(out.try_recv(), Ok(21));
}

#[test]
fn send_and_recv_on_the_same_channel_do_not_meet() {
    // A select cannot communicate with itself (Go's select.go).
    let c = Chan::<u8>::new(0);
    let (_, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(c) -> v => v,
            send(c, 1) => Some(99),
        }
    });
    assert!(poll(f.as_mut(), &w).is_pending());
    assert_eq!(queues(&c), (1, 1));
    assert_eq!(c.try_recv(), Ok(1));
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready(Some(99)));
    assert_eq!(queues(&c), (0, 0));
}

#[test]
fn dropping_a_parked_select_leaves_no_waiter_and_drops_values_once() {
    let live = Arc::new(AtomicIsize::new(0));
    let (a, b) = (Chan::<Tracked>::new(0), Chan::<Tracked>::new(0));
    let (_, w) = counting_waker();
    {
        let (x, y) = (Tracked::new(&live), Tracked::new(&live));
        let mut f = Box::pin(async {
            select_async! {
                send(a, x) => (),
                send(b, y) => (),
                recv(a) => (),
            }
        });
        assert!(poll(f.as_mut(), &w).is_pending());
        assert_eq!(queues(&a), (1, 1));
        assert_eq!(live.load(Ordering::SeqCst), 2);
        drop(f);
    }
    assert_eq!(queues(&a), (0, 0));
    assert_eq!(queues(&b), (0, 0));
    assert_eq!(live.load(Ordering::SeqCst), 0, "unsent values dropped once");
}

#[test]
fn dropping_a_select_that_won_a_receive_gives_the_value_back() {
    for cap in [0usize, 2] {
        let live = Arc::new(AtomicIsize::new(0));
        let (a, b) = (Chan::<Tracked>::new(cap), Chan::<Tracked>::new(0));
        let (count, w) = counting_waker();
        let mut f = Box::pin(async {
            select_async! {
                recv(a) -> v => v,
                recv(b) -> v => v,
            }
        });
        assert!(poll(f.as_mut(), &w).is_pending());
        // The parked receive case wins this value, then later values buffer.
        a.try_send(Tracked::new(&live)).unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        if cap > 0 {
            a.try_send(Tracked::new(&live)).unwrap();
        }
        drop(f);
        assert_eq!(queues(&a), (0, 0));
        assert_eq!(queues(&b), (0, 0));
        // Nothing lost: the won value is back at the head.
        let n = if cap > 0 { 2 } else { 1 };
        assert_eq!(live.load(Ordering::SeqCst), n);
        let mut got = 0;
        while a.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, n);
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn dropping_a_select_that_won_a_send_keeps_it_sent() {
    let live = Arc::new(AtomicIsize::new(0));
    let (a, b) = (Chan::<Tracked>::new(0), Chan::<Tracked>::new(0));
    let (_, w) = counting_waker();
    let mut f = Box::pin(async {
        select_async! {
            send(a, Tracked::new(&live)) => (),
            send(b, Tracked::new(&live)) => (),
        }
    });
    assert!(poll(f.as_mut(), &w).is_pending());
    let got = a.try_recv().unwrap();
    drop(f);
    assert_eq!(
        live.load(Ordering::SeqCst),
        1,
        "the sent value, not duplicated"
    );
    drop(got);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert!(b.try_recv().is_err());
}

#[test]
fn dropping_an_unpolled_or_finished_select_is_harmless() {
    let a = Chan::new(1);
    let f = Box::pin(async {
        select_async! { recv(a) -> v => v }
    });
    drop(f);
    a.send(1).unwrap();
    let mut f = Box::pin(async {
        select_async! { recv(a) -> v => v }
    });
    let (_, w) = counting_waker();
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready(Some(1)));
    drop(f);
    assert_eq!(queues(&a), (0, 0));
}

#[test]
fn select_builder_async() {
    let chans: Vec<Chan<u32>> = (0..10).map(|_| Chan::new(0)).collect();
    let out = Chan::new(0);
    let (count, w) = counting_waker();
    let mut sel = Select::new();
    for (i, c) in chans.iter().enumerate() {
        sel.recv(c, move |v| (i, v));
    }
    sel.send(&out, 77, |r| (100, r.ok().map(|()| 0)));
    let mut f = pin!(sel.select_async());
    assert_eq!(pending_reason(f.as_mut(), &w), Some(WaitReason::Select));
    chans[7].try_send(70).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready((7, Some(70))));
    for c in &chans {
        assert_eq!(queues(c), (0, 0));
    }
    assert_eq!(queues(&out), (0, 0));
}

#[test]
fn select_builder_async_dropped_gives_the_value_back() {
    let live = Arc::new(AtomicIsize::new(0));
    let (a, b) = (Chan::<Tracked>::new(0), Chan::<Tracked>::new(0));
    let (_, w) = counting_waker();
    let mut sel = Select::new();
    sel.recv(&a, |v| v.is_some());
    sel.send(&b, Tracked::new(&live), |r| r.is_ok());
    let mut f = Box::pin(sel.select_async());
    assert!(poll(f.as_mut(), &w).is_pending());
    a.try_send(Tracked::new(&live)).unwrap();
    drop(f);
    assert_eq!(
        live.load(Ordering::SeqCst),
        1,
        "the unsent value dropped, the won one kept"
    );
    assert!(a.try_recv().is_ok());
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
}

/// A waker whose `clone`, `wake` or `drop` panics when its flag says so
/// (the flags are shared by all its clones).
#[derive(Default)]
struct Fragile {
    clone_panics: AtomicUsize,
    drop_panics: AtomicUsize,
    wake_panics: AtomicUsize,
    clones: AtomicUsize,
    wakes: AtomicUsize,
}

fn fragile_waker(f: &Arc<Fragile>) -> Waker {
    unsafe fn clone(p: *const ()) -> RawWaker {
        // SAFETY: `p` comes from `Arc::into_raw` below and is live.
        let f = unsafe { &*(p as *const Fragile) };
        if f.clone_panics.load(Ordering::SeqCst) != 0 {
            panic!("Fragile::clone");
        }
        f.clones.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above; one more strong count for the clone.
        unsafe { Arc::increment_strong_count(p as *const Fragile) };
        RawWaker::new(p, &VTABLE)
    }
    unsafe fn wake(p: *const ()) {
        // SAFETY: `p` owns one strong count, live until released below.
        let panics = unsafe { note_wake(p) };
        // SAFETY: releases the count `p` owns; `p` is not used afterwards.
        unsafe { Arc::decrement_strong_count(p as *const Fragile) };
        if panics {
            std::panic::panic_any("Fragile::wake");
        }
    }
    unsafe fn wake_by_ref(p: *const ()) {
        // SAFETY: `p` is live (the caller's waker owns a count).
        if unsafe { note_wake(p) } {
            std::panic::panic_any("Fragile::wake");
        }
    }
    /// Counts a wake; whether it must panic.
    unsafe fn note_wake(p: *const ()) -> bool {
        // SAFETY: live (callers).
        let f = unsafe { &*(p as *const Fragile) };
        f.wakes.fetch_add(1, Ordering::SeqCst);
        f.wake_panics.load(Ordering::SeqCst) != 0
    }
    unsafe fn drop_waker(p: *const ()) {
        // SAFETY: `p` owns one strong count, live until released below.
        let panics = unsafe { &*(p as *const Fragile) }
            .drop_panics
            .load(Ordering::SeqCst)
            != 0;
        // SAFETY: releases the count `p` owns; `p` is not used afterwards.
        unsafe { Arc::decrement_strong_count(p as *const Fragile) };
        if panics {
            std::panic::panic_any("Fragile::drop");
        }
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);
    let p = Arc::into_raw(f.clone()) as *const ();
    // SAFETY: the vtable upholds the `RawWaker` contract (counts balanced).
    unsafe { Waker::from_raw(RawWaker::new(p, &VTABLE)) }
}

#[test]
fn panicking_clone_of_the_tasks_waker_leaves_nothing_linked() {
    let live = Arc::new(AtomicIsize::new(0));
    let (a, b) = (Chan::<Tracked>::new(0), Chan::<u8>::new(0));
    let fr = Arc::new(Fragile::default());
    let w = fragile_waker(&fr);
    fr.clone_panics.store(1, Ordering::SeqCst);
    {
        let mut sel = Select::new();
        sel.send(&a, Tracked::new(&live), |r| r.is_ok());
        sel.recv(&b, |v| v.is_some());
        let mut f = Box::pin(sel.select_async());
        let r = catch_unwind(AssertUnwindSafe(|| poll(f.as_mut(), &w)));
        assert!(r.is_err());
        assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
        assert_eq!(
            live.load(Ordering::SeqCst),
            1,
            "the send value still in its case"
        );
        // A later poll with a working waker parks normally.
        fr.clone_panics.store(0, Ordering::SeqCst);
        assert!(poll(f.as_mut(), &w).is_pending());
        assert_eq!((queues(&a), queues(&b)), ((1, 0), (0, 1)));
        // A re-poll with a new waker whose clone panics keeps the select parked.
        let fr2 = Arc::new(Fragile::default());
        let w2 = fragile_waker(&fr2);
        fr2.clone_panics.store(1, Ordering::SeqCst);
        let r = catch_unwind(AssertUnwindSafe(|| poll(f.as_mut(), &w2)));
        assert!(r.is_err());
        assert_eq!((queues(&a), queues(&b)), ((1, 0), (0, 1)));
        assert_eq!(
            fr.clones.load(Ordering::SeqCst),
            1,
            "the first waker's one clone"
        );
    }
    assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
    assert_eq!(
        live.load(Ordering::SeqCst),
        0,
        "dropped once, with its case"
    );
}

#[test]
fn panicking_clone_inside_an_async_block_unwinds_its_cases() {
    // A panic through an async block's poll drops the block's locals: the
    // select's cases (and their values) go with it, leaving nothing linked.
    let live = Arc::new(AtomicIsize::new(0));
    let (a, b) = (Chan::<Tracked>::new(0), Chan::<u8>::new(0));
    let fr = Arc::new(Fragile::default());
    let w = fragile_waker(&fr);
    fr.clone_panics.store(1, Ordering::SeqCst);
    let mut f = Box::pin(async {
        select_async! {
            send(a, Tracked::new(&live)) => (),
            recv(b) => (),
        }
    });
    let r = catch_unwind(AssertUnwindSafe(|| poll(f.as_mut(), &w)));
    assert!(r.is_err());
    assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn panicking_wake_of_the_select_delivers_the_value_once() {
    let live = Arc::new(AtomicIsize::new(0));
    let (a, b) = (Chan::<Tracked>::new(0), Chan::<Tracked>::new(0));
    let fr = Arc::new(Fragile::default());
    let w = fragile_waker(&fr);
    let mut f = Box::pin(async {
        select_async! {
            recv(a) -> v => v,
            recv(b) -> v => v,
        }
    });
    assert!(poll(f.as_mut(), &w).is_pending());
    fr.wake_panics.store(1, Ordering::SeqCst);
    // The counterpart completes the select, then its wake panics.
    let r = catch_unwind(AssertUnwindSafe(|| a.try_send(Tracked::new(&live))));
    assert!(r.is_err());
    assert_eq!(fr.wakes.load(Ordering::SeqCst), 1);
    fr.wake_panics.store(0, Ordering::SeqCst);
    let got = poll(f.as_mut(), &w);
    assert!(matches!(got, Poll::Ready(Some(_))));
    assert_eq!(live.load(Ordering::SeqCst), 1);
    drop(got);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
}

#[test]
fn panicking_wake_of_a_counterpart_gives_a_received_value_back() {
    let live = Arc::new(AtomicIsize::new(0));
    let (a, b) = (Chan::<Tracked>::new(0), Chan::<Tracked>::new(0));
    let fr = Arc::new(Fragile::default());
    let sender_waker = fragile_waker(&fr);
    // A sender parked as a task whose waker panics when woken.
    let mut send = Box::pin(a.send_async(Tracked::new(&live)));
    assert!(poll(send.as_mut(), &sender_waker).is_pending());
    fr.wake_panics.store(1, Ordering::SeqCst);
    let (_, w) = counting_waker();
    let mut f = Box::pin(async {
        select_async! {
            recv(a) -> v => v,
            recv(b) -> v => v,
        }
    });
    let r = catch_unwind(AssertUnwindSafe(|| poll(f.as_mut(), &w)));
    assert!(
        r.is_err(),
        "the counterpart's wake panicked through the poll"
    );
    assert_eq!(fr.wakes.load(Ordering::SeqCst), 1);
    // The sender did send; the value the select took went back to `a`.
    assert!(matches!(
        poll(send.as_mut(), &sender_waker),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(live.load(Ordering::SeqCst), 1);
    assert!(a.try_recv().is_ok());
    assert_eq!(live.load(Ordering::SeqCst), 0);
    // The select is finished: polling it again is a bug, reported as such.
    let again = catch_unwind(AssertUnwindSafe(|| poll(f.as_mut(), &w)));
    assert!(again.is_err());
    drop(f);
    assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
}

#[test]
fn select_async_futures_are_send() {
    fn assert_send<F: Future + Send>(f: F) -> F {
        f
    }
    let (a, b) = (Chan::<String>::new(1), Chan::<u8>::new(1));
    a.send("x".to_string()).unwrap();
    let f = assert_send(async {
        select_async! {
            recv(a) -> v => v.unwrap(),
            send(b, 1) => String::new(),
        }
    });
    let got = thread::scope(|s| s.spawn(|| block_on(f)).join().unwrap());
    assert!(got == "x" || got.is_empty());
}

#[test]
fn wait_reasons_of_channel_futures() {
    let (c, nil) = (Chan::<u8>::new(0), Chan::<u8>::nil());
    let (_, w) = counting_waker();
    let mut r = pin!(c.recv_async());
    assert_eq!(
        pending_reason(r.as_mut(), &w),
        Some(WaitReason::ChanReceive)
    );
    assert_eq!(
        pending_reason(r.as_mut(), &w),
        Some(WaitReason::ChanReceive)
    );
    let mut s = pin!(c.send_async(1));
    // The receive is parked: the send completes it at once, no reason.
    let _ = wait::take();
    assert_eq!(poll(s.as_mut(), &w), Poll::Ready(Ok(())));
    assert_eq!(wait::take(), None);
    assert_eq!(poll(r.as_mut(), &w), Poll::Ready(Some(1)));
    let mut s = pin!(c.send_async(2));
    assert_eq!(pending_reason(s.as_mut(), &w), Some(WaitReason::ChanSend));
    assert_eq!(pending_reason(s.as_mut(), &w), Some(WaitReason::ChanSend));
    let mut nr = pin!(nil.recv_async());
    assert_eq!(
        pending_reason(nr.as_mut(), &w),
        Some(WaitReason::ChanReceiveNilChan)
    );
    let mut ns = pin!(nil.send_async(1));
    assert_eq!(
        pending_reason(ns.as_mut(), &w),
        Some(WaitReason::ChanSendNilChan)
    );
}

#[test]
fn tasks_on_threads_select_without_losing_values() {
    let (n, producers) = if cfg!(miri) { (20u64, 2) } else { (2000, 4) };
    let (a, b, quit) = (Chan::<u64>::new(0), Chan::<u64>::new(4), Chan::<()>::new(0));
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let (a, b, quit) = (a.clone(), b.clone(), quit.clone());
            thread::spawn(move || {
                block_on(async {
                    let mut sum = 0u64;
                    loop {
                        select_async! {
                            recv(a) -> v => sum += v.unwrap(),
                            recv(b) -> v => sum += v.unwrap(),
                            recv(quit) => return sum,
                        }
                    }
                })
            })
        })
        .collect();
    let senders: Vec<_> = (0..producers)
        .map(|p| {
            let (a, b) = (a.clone(), b.clone());
            thread::spawn(move || {
                block_on(async {
                    for i in 1..=n {
                        let v = i * producers + p;
                        select_async! {
                            send(a, v) => (),
                            send(b, v) => (),
                        }
                    }
                })
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    // Every value was received before `quit` closes only if the buffer is drained.
    while !b.is_empty() {
        thread::yield_now();
    }
    quit.close().unwrap();
    let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    let expect: u64 = (0..producers)
        .map(|p| (1..=n).map(|i| i * producers + p).sum::<u64>())
        .sum();
    assert_eq!(total, expect);
}

#[test]
fn one_case_select_reports_the_plain_operations_reason() {
    // Go compiles a one-case `select` statement into the plain operation.
    let (c, nil) = (Chan::<u8>::new(0), Chan::<u8>::nil());
    let (_, w) = counting_waker();
    let mut r = pin!(async {
        select_async! { recv(c) -> v => v }
    });
    assert_eq!(
        pending_reason(r.as_mut(), &w),
        Some(WaitReason::ChanReceive)
    );
    assert_eq!(
        pending_reason(r.as_mut(), &w),
        Some(WaitReason::ChanReceive)
    );
    let d = Chan::<u8>::new(0);
    let mut s = pin!(async {
        select_async! { send(d, 1) => () }
    });
    assert_eq!(pending_reason(s.as_mut(), &w), Some(WaitReason::ChanSend));
    let mut nr = pin!(async {
        select_async! { recv(nil) => () }
    });
    assert_eq!(
        pending_reason(nr.as_mut(), &w),
        Some(WaitReason::ChanReceiveNilChan)
    );
    let mut ns = pin!(async {
        select_async! { send(nil, 1) => () }
    });
    assert_eq!(
        pending_reason(ns.as_mut(), &w),
        Some(WaitReason::ChanSendNilChan)
    );
    // `reflect.Select` with one case is still a select.
    let e = Chan::<u8>::new(0);
    let mut sel = Select::new();
    sel.recv(&e, |v| v);
    let mut b = pin!(sel.select_async());
    assert_eq!(pending_reason(b.as_mut(), &w), Some(WaitReason::Select));
}

#[cfg(feature = "futures-core")]
#[test]
fn a_waiting_stream_is_a_chan_receive() {
    use futures_core::Stream;
    let c = Chan::<u8>::new(0);
    let (_, w) = counting_waker();
    let mut s = pin!(c.stream());
    let _ = wait::take();
    assert!(s
        .as_mut()
        .poll_next(&mut Context::from_waker(&w))
        .is_pending());
    assert_eq!(wait::take(), Some(WaitReason::ChanReceive));
    let mut n = pin!(Chan::<u8>::nil().into_stream());
    assert!(n
        .as_mut()
        .poll_next(&mut Context::from_waker(&w))
        .is_pending());
    assert_eq!(wait::take(), Some(WaitReason::ChanReceiveNilChan));
}

#[test]
fn operands_evaluated_once_in_source_order_when_parking() {
    let log = std::cell::RefCell::new(Vec::new());
    let (a, c) = (Chan::<i32>::new(0), Chan::<i32>::new(0));
    let (_, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv({ log.borrow_mut().push("recv nil"); Chan::<i32>::nil() }) -> _ => None,
            recv({ log.borrow_mut().push("recv a"); &a }) -> v => v,
            send({ log.borrow_mut().push("send c"); &c }, { log.borrow_mut().push("value c"); 9 }) => None,
        }
    });
    assert!(poll(f.as_mut(), &w).is_pending());
    assert!(poll(f.as_mut(), &w).is_pending());
    a.try_send(4).unwrap();
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready(Some(4)));
    assert_eq!(*log.borrow(), ["recv nil", "recv a", "send c", "value c"]);
}

#[test]
fn many_cases_use_heap_orders() {
    // More cases than the inline order arrays hold, some on one channel.
    let chans: Vec<Chan<usize>> = (0..6).map(|_| Chan::new(0)).collect();
    let (count, w) = counting_waker();
    let mut f = pin!(async {
        select_async! {
            recv(chans[0]) -> v => (0, v),
            recv(chans[1]) -> v => (1, v),
            recv(chans[2]) -> v => (2, v),
            recv(chans[3]) -> v => (3, v),
            recv(chans[4]) -> v => (4, v),
            recv(chans[5]) -> v => (5, v),
            recv(chans[5]) -> v => (6, v),
            send(chans[0], 100) => (7, None),
            send(chans[1], 101) => (8, None),
            recv(Chan::<usize>::nil()) -> v => (9, v),
        }
    });
    assert!(poll(f.as_mut(), &w).is_pending());
    assert_eq!(queues(&chans[5]), (0, 2));
    assert_eq!(queues(&chans[0]), (1, 1));
    assert_eq!(chans[1].try_recv(), Ok(101));
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll(f.as_mut(), &w), Poll::Ready((8, None)));
    for c in &chans {
        assert_eq!(queues(c), (0, 0));
    }
}

#[test]
fn duplicate_channel_does_not_corrupt_the_queue() {
    // runtime/chan_test.go TestSelectDuplicateChannel, as tasks: A selects
    // on c twice and on d; B then parks a plain receive on c behind A.
    let (c, d) = (Chan::<i32>::new(0), Chan::<i32>::new(0));
    let (_, w) = counting_waker();
    let mut a = pin!(async {
        select_async! {
            recv(c) -> v => ("c", v),
            recv(c) -> v => ("c", v),
            recv(d) -> v => ("d", v),
        }
    });
    assert!(poll(a.as_mut(), &w).is_pending());
    let mut b = pin!(c.recv_async());
    assert!(poll(b.as_mut(), &w).is_pending());
    assert_eq!(queues(&c), (0, 3));
    d.try_send(7).unwrap(); // wakes A, which dequeues itself from c
    assert_eq!(poll(a.as_mut(), &w), Poll::Ready(("d", Some(7))));
    assert_eq!(queues(&c), (0, 1));
    c.try_send(8).unwrap(); // wakes B: recvq must not be corrupted
    assert_eq!(poll(b.as_mut(), &w), Poll::Ready(Some(8)));
    assert_eq!(queues(&c), (0, 0));
}

#[test]
fn self_select_never_receives_its_own_send() {
    // runtime/chan_test.go TestSelfSelect, as tasks on two threads.
    for cap in [0usize, 10] {
        let c = Chan::<usize>::new(cap);
        let hs: Vec<_> = (0..2usize)
            .map(|p| {
                let c = c.clone();
                thread::spawn(move || {
                    block_on(async {
                        for i in 0..size(1000, 20) {
                            if p == 0 || i % 2 == 0 {
                                select_async! {
                                    send(c, p) => {},
                                    recv(c) -> v => assert!(!(cap == 0 && v == Some(p)), "self receive"),
                                }
                            } else {
                                select_async! {
                                    recv(c) -> v => assert!(!(cap == 0 && v == Some(p)), "self receive"),
                                    send(c, p) => {},
                                }
                            }
                        }
                    })
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    }
}

#[test]
fn overlapping_async_and_blocking_selects_do_not_deadlock() {
    let (a, b) = (Chan::<usize>::new(0), Chan::<usize>::new(0));
    let n = size(3000, 20);
    let (a1, b1) = (a.clone(), b.clone());
    let t1 = thread::spawn(move || {
        block_on(async {
            for i in 0..n {
                select_async! { send(a1, i) => {}, send(b1, i) => {} }
            }
        })
    });
    let (a2, b2) = (a.clone(), b.clone());
    let t2 = thread::spawn(move || {
        let mut got = 0;
        for _ in 0..n {
            gochan::select! { recv(b2) => got += 1, recv(a2) => got += 1 }
        }
        got
    });
    t1.join().unwrap();
    assert_eq!(t2.join().unwrap(), n);
}

#[test]
fn fairness_within_gos_bound() {
    // runtime/chan_test.go TestSelectFairness, the select running as a task.
    let trials = size(10_000, 100);
    let (c1, c2) = (Chan::new(trials + 1), Chan::new(trials + 1));
    for _ in 0..trials + 1 {
        c1.send(1u8).unwrap();
        c2.send(2u8).unwrap();
    }
    let (c3, c4) = (Chan::<u8>::new(0), Chan::<u8>::new(0));
    let (mut cnt1, mut cnt2) = (0usize, 0usize);
    block_on(async {
        for _ in 0..trials {
            let b = select_async! {
                recv(c3) -> b => b,
                recv(c4) -> b => b,
                recv(c1) -> b => b,
                recv(c2) -> b => b,
            };
            match b {
                Some(1) => cnt1 += 1,
                Some(2) => cnt2 += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    });
    let r = cnt1 as f64 / trials as f64;
    let e = (r - 0.5).abs();
    assert!(
        e <= 4.891676 / (2.0 * (trials as f64).sqrt()),
        "unfair select: in {trials} trials, results were {cnt1}, {cnt2}"
    );
}

#[test]
fn panicking_drop_of_a_replaced_waker_keeps_the_select_parked() {
    let (a, b) = (Chan::<u8>::new(0), Chan::<u8>::new(0));
    let fr = Arc::new(Fragile::default());
    let w1 = fragile_waker(&fr);
    let (count2, w2) = counting_waker();
    let mut sel = Select::new();
    sel.recv(&a, |v| v);
    sel.recv(&b, |v| v);
    let mut f = Box::pin(sel.select_async());
    assert!(poll(f.as_mut(), &w1).is_pending());
    // The re-poll swaps in `w2`'s clone and drops the select's clone of
    // `w1`, after unlocking; that drop panics.
    fr.drop_panics.store(1, Ordering::SeqCst);
    let r = catch_unwind(AssertUnwindSafe(|| poll(f.as_mut(), &w2)));
    fr.drop_panics.store(0, Ordering::SeqCst);
    assert!(r.is_err());
    assert_eq!((queues(&a), queues(&b)), ((0, 1), (0, 1)));
    b.try_send(2).unwrap();
    assert_eq!(
        count2.0.load(Ordering::SeqCst),
        1,
        "the new waker was woken"
    );
    assert_eq!(poll(f.as_mut(), &w2), Poll::Ready(Some(2)));
    assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
    drop(w1);
    assert_eq!(
        Arc::strong_count(&fr),
        1,
        "every clone of the fragile waker released"
    );
}
