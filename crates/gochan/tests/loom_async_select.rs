//! Loom models of the async select (`Select::select_async`): a counterpart
//! completing a parked select races with the task dropping the future
//! (pass 3 on drop must unlink every sudog and give a won value back), and
//! with the task re-polling with a new waker (the swap under every lock
//! must never leave the winner waking a stale waker), and a task selecting
//! against a thread blocked in `send` is woken exactly when it must be.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gochan --test loom_async_select`.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use gochan::{Chan, Select};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// `loom::model` with room for the spin lock's retry branches.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.max_branches = 100_000;
    b.check(f);
}

/// A waker that counts its wake-ups (in a loom atomic, so the model sees
/// the wake as a synchronising event).
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn waker() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

#[test]
fn dropped_select_races_its_winner() {
    model(|| {
        let a = Chan::<u8>::new(0);
        let b = Chan::<u8>::new(0);
        let a2 = a.clone();
        // Succeeds only by completing the parked select's case on `a`.
        let t = thread::spawn(move || a2.try_send(1).is_ok());
        let (_, w) = waker();
        let got = {
            let mut sel = Select::new();
            sel.recv(&a, |v| v);
            sel.recv(&b, |v| v);
            let mut f = pin!(sel.select_async());
            match f.as_mut().poll(&mut Context::from_waker(&w)) {
                Poll::Ready(v) => v,
                Poll::Pending => None, // dropped while parked
            }
        };
        let sent = t.join().unwrap();
        let sa = a.snapshot().unwrap();
        let sb = b.snapshot().unwrap();
        assert_eq!((sa.recvq, sb.recvq), (0, 0), "no waiter left behind");
        assert_eq!(got, None, "the select was not ready on its one poll");
        // A value the dropped select had won is back in `a`, exactly once.
        assert_eq!(a.try_recv().ok(), sent.then_some(1));
    });
}

#[test]
fn repoll_with_a_new_waker_races_its_winner() {
    model(|| {
        let a = Chan::<u8>::new(0);
        let b = Chan::<u8>::new(0);
        let a2 = a.clone();
        let t = thread::spawn(move || a2.try_send(1).is_ok());
        let (c1, w1) = waker();
        let (c2, w2) = waker();
        let mut sel = Select::new();
        sel.recv(&a, |v| v);
        sel.recv(&b, |v| v);
        let mut f = Box::pin(sel.select_async());
        let first = f.as_mut().poll(&mut Context::from_waker(&w1));
        assert!(first.is_pending());
        let second = f.as_mut().poll(&mut Context::from_waker(&w2));
        let sent = t.join().unwrap();
        match second {
            Poll::Ready(v) => assert_eq!(v, Some(1)),
            Poll::Pending => {
                if sent {
                    // Completed after the swap: the new waker was woken.
                    assert_eq!(c2.0.load(Ordering::SeqCst), 1);
                    assert_eq!(c1.0.load(Ordering::SeqCst), 0);
                    let third = f.as_mut().poll(&mut Context::from_waker(&w2));
                    assert_eq!(third, Poll::Ready(Some(1)));
                }
            }
        }
        drop(f);
        let sa = a.snapshot().unwrap();
        let sb = b.snapshot().unwrap();
        assert_eq!((sa.recvq, sb.recvq), (0, 0), "no waiter left behind");
    });
}

#[test]
fn select_task_meets_a_blocking_sender() {
    model(|| {
        let a = Chan::<u8>::new(0);
        let b = Chan::<u8>::new(0);
        let a2 = a.clone();
        // Parks (as a thread) unless the select is already parked on `a`.
        let t = thread::spawn(move || a2.send(1).unwrap());
        let (count, w) = waker();
        let mut sel = Select::new();
        sel.recv(&a, |v| v);
        sel.recv(&b, |v| v);
        let mut f = Box::pin(sel.select_async());
        let got = loop {
            let seen = count.0.load(Ordering::SeqCst);
            match f.as_mut().poll(&mut Context::from_waker(&w)) {
                Poll::Ready(v) => break v,
                // Pending: only a wake-up can make progress now; a lost
                // one would spin here for ever (loom reports the livelock).
                Poll::Pending => {
                    while count.0.load(Ordering::SeqCst) == seen {
                        thread::yield_now();
                    }
                }
            }
        };
        assert_eq!(got, Some(1));
        t.join().unwrap();
        drop(f);
        let (sa, sb) = (a.snapshot().unwrap(), b.snapshot().unwrap());
        assert_eq!((sa.sendq, sa.recvq, sb.recvq), (0, 0, 0));
    });
}
