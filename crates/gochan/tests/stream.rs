//! `futures_core::Stream` for receiving (feature `futures-core`): values
//! until closed and drained, then `None` for ever; the nil channel's stream
//! is pending for ever; dropping a pending stream loses no value.
#![cfg(all(feature = "std", feature = "futures-core"))]

use std::future::poll_fn;
use std::pin::{pin, Pin};
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::thread;

use futures_core::{FusedStream, Stream};
use gochan::{Chan, Mode, RecvStream};

mod common;
use common::counting_waker;

/// `StreamExt::next` without futures-util.
async fn next<S: Stream + ?Sized>(mut s: Pin<&mut S>) -> Option<S::Item> {
    poll_fn(|cx| s.as_mut().poll_next(cx)).await
}

/// Collects a stream to its end on the current thread.
fn collect<S: Stream>(s: S) -> Vec<S::Item> {
    let mut s = pin!(s);
    gocore::park::block_on(async {
        let mut out = Vec::new();
        while let Some(v) = next(s.as_mut()).await {
            out.push(v);
        }
        out
    })
}

#[test]
fn yields_buffered_values_then_none_for_ever() {
    let c = Chan::new(4);
    for i in 0..4 {
        c.send(i).unwrap();
    }
    c.close().unwrap();
    let mut s = pin!(c.stream());
    assert!(!s.is_terminated());
    let got = gocore::park::block_on(async {
        let mut out = Vec::new();
        while let Some(v) = next(s.as_mut()).await {
            out.push(v);
        }
        out
    });
    assert_eq!(got, [0, 1, 2, 3]);
    assert!(s.is_terminated());
    // Fused: still `None`, without touching the channel.
    let (_n, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Ready(None));
}

#[test]
fn values_from_another_thread() {
    let n = if cfg!(miri) { 10 } else { 1000 };
    let c = Chan::new(0);
    let tx = c.sender();
    let t = thread::spawn(move || {
        for i in 0..n {
            tx.send(i).unwrap();
        }
        tx.close().unwrap();
    });
    let got = collect(c.receiver().into_stream());
    t.join().unwrap();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
}

#[test]
fn pending_then_woken_by_send() {
    let c = Chan::new(0);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut s = pin!(c.stream());
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Pending);
    assert_eq!(c.snapshot().unwrap().recvq, 1, "one receive parked");
    // Polling again while pending re-uses the parked receive.
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Pending);
    assert_eq!(c.snapshot().unwrap().recvq, 1);
    c.try_send(7).unwrap(); // hand-off to the parked receive
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Ready(Some(7)));
    assert_eq!(c.snapshot().unwrap().recvq, 0);
    c.close().unwrap();
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Ready(None));
}

#[test]
fn nil_channel_stream_is_pending_for_ever() {
    let c = Chan::<i32>::nil();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut s = pin!(c.stream());
    for _ in 0..3 {
        assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Pending);
    }
    assert!(!s.is_terminated());
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    let mut owned: Pin<Box<RecvStream<'static, i32>>> = Box::pin(Chan::nil().into_stream());
    assert_eq!(owned.as_mut().poll_next(&mut cx), Poll::Pending);
}

#[test]
fn dropping_a_pending_stream_loses_no_value() {
    // The value is handed to the stream's parked receive, then the stream is
    // dropped before it returns it: the value goes back to the channel.
    let c = Chan::new(0);
    let (_n, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut s = Box::pin(c.stream());
        assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Pending);
        c.try_send(1).unwrap();
    }
    assert_eq!(c.try_recv(), Ok(1));
    // Dropped while still waiting: unlinked, nothing left parked.
    {
        let mut s = Box::pin(c.stream());
        assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Pending);
    }
    assert_eq!(c.snapshot().unwrap().recvq, 0);
    assert!(c.try_send(2).is_err(), "no receiver is parked any more");
}

#[test]
fn dropping_a_pending_owned_stream_loses_no_value() {
    let c = Chan::new(0);
    let (_n, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut s = Box::pin(c.receiver().into_stream());
    assert_eq!(s.as_mut().poll_next(&mut cx), Poll::Pending);
    c.try_send(5).unwrap();
    drop(s); // the stream owned a receiver: its channel outlives the receive
    assert_eq!(c.try_recv(), Ok(5));
}

#[test]
fn owned_stream_outlives_the_other_handles() {
    let c = Chan::new(2);
    c.send(1).unwrap();
    c.send(2).unwrap();
    c.close().unwrap();
    let s = c.into_stream(); // the only handle now
    let s: RecvStream<'static, i32> = s;
    let t = thread::spawn(move || collect(s));
    assert_eq!(t.join().unwrap(), [1, 2]);
}

#[test]
fn close_on_drop_ends_the_stream() {
    let c = Chan::with_mode(1, Mode::CloseOnDrop);
    let rx = c.receiver();
    let t = thread::spawn(move || {
        for i in 0..5 {
            c.send(i).unwrap();
        }
        // `c`, the only handle that can send, is dropped here.
    });
    assert_eq!(collect(rx.stream()), [0, 1, 2, 3, 4]);
    t.join().unwrap();

    // `Chan::into_stream` gives up the sending role: alone, it closes.
    let c = Chan::with_mode(2, Mode::CloseOnDrop);
    c.send(9).unwrap();
    assert_eq!(collect(c.into_stream()), [9]);
}

#[test]
fn send_and_sync_and_debug() {
    fn assert_send<S: Send>(_: &S) {}
    let c = Chan::<u8>::new(0);
    let s = c.receiver().into_stream();
    assert_send(&s);
    let dbg = format!("{s:?}");
    assert!(
        dbg.contains("RecvStream") && dbg.contains("owning: true"),
        "{dbg}"
    );
}
