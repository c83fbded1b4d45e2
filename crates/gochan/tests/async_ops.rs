//! `send_async`/`recv_async`: completion, wake-ups, and cancellation that
//! loses no message and leaves no waiter behind.
#![cfg(feature = "std")]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use gochan::{Chan, SendError, TryRecvError, TrySendError};
use gocore::park::block_on;

/// A waker that counts its wake-ups.
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

#[test]
fn recv_future_is_woken_by_send() {
    let c = Chan::<u32>::new(0);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(c.recv_async());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    // The future is parked: an unbuffered try_send hands the value straight to it.
    c.try_send(7).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Some(7)));
}

#[test]
fn send_future_is_woken_by_recv() {
    let c = Chan::<u32>::new(0);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(c.send_async(9));
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(c.try_recv(), Ok(9));
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
}

#[test]
fn repoll_with_a_new_waker_uses_it() {
    let c = Chan::<u32>::new(1);
    let (count1, w1) = counting_waker();
    let (count2, w2) = counting_waker();
    let mut fut = pin!(c.recv_async());
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(&w1))
        .is_pending());
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(&w2))
        .is_pending());
    c.try_send(1).unwrap();
    assert_eq!(count1.0.load(Ordering::SeqCst), 0);
    assert_eq!(count2.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        fut.as_mut().poll(&mut Context::from_waker(&w2)),
        Poll::Ready(Some(1))
    );
}

#[test]
fn dropped_recv_future_gives_a_handed_value_back() {
    let c = Chan::<u32>::new(0);
    let (_count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = Box::pin(c.recv_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        c.try_send(42).unwrap(); // handed to the parked future...
        drop(fut); // ...which is dropped before returning it
    }
    // No message is lost: the next receive gets it. Like a parked sender's
    // value, it is not counted by `len()`: an unbuffered channel has none.
    assert_eq!(c.len(), 0);
    assert_eq!(c.try_recv(), Ok(42));
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));

    // If another receiver is parked, it gets the value directly.
    let mut f1 = Box::pin(c.recv_async());
    let mut f2 = Box::pin(c.recv_async());
    assert!(f1.as_mut().poll(&mut cx).is_pending());
    assert!(f2.as_mut().poll(&mut cx).is_pending());
    c.try_send(5).unwrap(); // goes to f1 (FIFO)
    drop(f1); // re-delivered to f2
    assert_eq!(f2.as_mut().poll(&mut cx), Poll::Ready(Some(5)));
}

#[test]
fn dropped_pending_futures_leave_no_waiter() {
    let c = Chan::<u32>::new(0);
    let (_count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = Box::pin(c.send_async(1));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    // The send was withdrawn: nothing to receive, no sender parked.
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    {
        let mut fut = Box::pin(c.recv_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    // The receive was withdrawn: an unbuffered try_send finds nobody.
    assert_eq!(c.try_send(2), Err(TrySendError::Full(2)));
}

#[test]
fn close_completes_pending_futures() {
    let c = Chan::<String>::new(0);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut r = Box::pin(c.recv_async());
    let mut s = Box::pin(c.send_async("x".to_string()));
    assert!(r.as_mut().poll(&mut cx).is_pending());
    // A receive is parked, so the send completes at once by hand-off.
    assert_eq!(s.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(r.as_mut().poll(&mut cx), Poll::Ready(Some("x".to_string())));
    let mut s = Box::pin(c.send_async("y".to_string()));
    assert!(s.as_mut().poll(&mut cx).is_pending());
    c.close().unwrap();
    assert!(count.0.load(Ordering::SeqCst) >= 2);
    assert_eq!(
        s.as_mut().poll(&mut cx),
        Poll::Ready(Err(SendError("y".to_string())))
    );
    assert_eq!(block_on(c.recv_async()), None);
}

#[test]
fn async_and_threads_mix() {
    let c = Chan::<usize>::new(1);
    let n = if cfg!(miri) { 30 } else { 5000 };
    let tx = c.clone();
    let t = thread::spawn(move || {
        block_on(async {
            for i in 0..n {
                tx.send_async(i).await.unwrap();
            }
        })
    });
    for i in 0..n {
        assert_eq!(c.recv(), Some(i));
    }
    t.join().unwrap();
    let rx = c.clone();
    let t = thread::spawn(move || block_on(async { rx.recv_async().await }));
    c.send(99).unwrap();
    assert_eq!(t.join().unwrap(), Some(99));
}

#[test]
fn nil_futures_stay_pending() {
    let c = Chan::<u8>::nil();
    let (_count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(pin!(c.recv_async()).poll(&mut cx).is_pending());
    assert!(pin!(c.send_async(1)).poll(&mut cx).is_pending());
}

#[test]
fn futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    let c = Chan::<u8>::new(0);
    is_send(&c.recv_async());
    is_send(&c.send_async(1));
    is_send(&c);
    fn is_sync<T: Sync>(_: &T) {}
    is_sync(&c);
}
