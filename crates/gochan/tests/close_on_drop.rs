//! `Mode::CloseOnDrop`: the last handle that can send closes the channel
//! (receivers drain, then see closed); the last handle that can receive
//! closes it for senders (blocked and later sends fail, buffered values are
//! dropped). `Mode::Go`, the default, never closes by itself.
#![cfg(feature = "std")]

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use gochan::{
    select, CanRecv, CanSend, Chan, CloseError, Mode, Receiver, RecvTimeoutError, Sender,
    TrySendError,
};

fn cod<T>(cap: usize) -> Chan<T> {
    Chan::with_mode(cap, Mode::CloseOnDrop)
}

/// Spins until `n` receivers are parked on `c`'s channel.
fn wait_recvq<T>(c: &impl CanRecv<T>, n: usize) {
    while c.as_chan().snapshot().unwrap().recvq < n {
        thread::yield_now();
    }
}

/// Spins until `n` senders are parked on `c`'s channel.
fn wait_sendq<T>(c: &impl CanSend<T>, n: usize) {
    while c.as_chan().snapshot().unwrap().sendq < n {
        thread::yield_now();
    }
}

/// A value that counts live instances and panics on a double drop.
mod common;
use common::{counting_waker, Tracked};

#[test]
fn mode_is_reported() {
    assert_eq!(Chan::<u8>::new(0).mode(), Mode::Go);
    assert_eq!(Chan::<u8>::nil().mode(), Mode::Go);
    assert_eq!(Chan::<u8>::with_mode(0, Mode::Go).mode(), Mode::Go);
    let c = cod::<u8>(0);
    let tx = c.sender();
    drop(c);
    // Only a sender left: still close-on-drop (its own count is nonzero).
    assert_eq!(tx.as_chan().mode(), Mode::CloseOnDrop);
    assert_eq!(Mode::default(), Mode::Go);
}

#[test]
fn buffered_values_drain_before_closed() {
    let c = cod(3);
    let rx = c.receiver();
    c.send(1).unwrap();
    c.send(2).unwrap();
    drop(c);
    assert!(rx.is_closed());
    assert_eq!(rx.recv(), Some(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.recv(), None);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)),
        Err(RecvTimeoutError::Closed)
    );
}

#[test]
fn only_the_last_sending_handle_closes() {
    let c = cod::<i32>(1);
    let rx = c.receiver();
    let tx1 = c.sender();
    let tx2 = tx1.clone();
    let c2 = c.clone();
    drop(c);
    drop(tx1);
    assert!(!rx.is_closed());
    drop(c2);
    assert!(!rx.is_closed());
    tx2.send(7).unwrap();
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.recv(), Some(7));
    assert_eq!(rx.recv(), None);
}

#[test]
fn receivers_do_not_keep_it_open_and_senders_do_not_count_as_receivers() {
    // Many receivers, one sender: the sender's drop closes.
    let c = cod::<u8>(0);
    let rxs: Vec<Receiver<u8>> = (0..3).map(|_| c.receiver()).collect();
    let tx = Sender::from(c); // the Chan gives up its receiving role
    assert!(!tx.is_closed());
    drop(tx);
    assert!(rxs.iter().all(|r| r.is_closed() && r.try_recv().is_err()));
}

#[test]
fn blocked_recv_ends_when_last_sender_drops() {
    let c = cod::<i32>(0);
    let rx = c.receiver();
    let t = thread::spawn(move || rx.recv());
    wait_recvq(&c, 1);
    drop(c);
    assert_eq!(t.join().unwrap(), None);
}

#[test]
fn blocked_iter_ends_when_last_sender_drops() {
    let c = cod::<i32>(1);
    let rx = c.receiver();
    let t = thread::spawn(move || rx.iter().collect::<Vec<_>>());
    c.send(1).unwrap();
    c.send(2).unwrap();
    wait_recvq(&c, 1);
    drop(c);
    assert_eq!(t.join().unwrap(), [1, 2]);
}

#[test]
fn into_iter_of_the_only_sender_ends() {
    // `Chan::into_iter` keeps only the receiving role, so the channel closes
    // when the iterator is made, and iteration ends after the buffer.
    let c = cod(2);
    c.send(1).unwrap();
    c.send(2).unwrap();
    assert_eq!(c.into_iter().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn blocked_select_ends_when_last_sender_drops() {
    let c = cod::<i32>(0);
    let other = Chan::<i32>::new(0);
    let rx = c.receiver();
    let t = thread::spawn(move || {
        select! {
            recv(rx) -> v => v,
            recv(other) -> _ => Some(-1),
        }
    });
    wait_recvq(&c, 1);
    drop(c);
    assert_eq!(t.join().unwrap(), None);
}

#[test]
fn recv_async_ends_when_last_sender_drops() {
    // Single-threaded: poll until parked, drop the sender, poll again.
    let c = cod::<i32>(0);
    let rx = c.receiver();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = pin!(rx.recv_async());
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
        drop(c);
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the close woke the task");
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(None));
    }
    // And across threads, with a real executor.
    let c = cod::<i32>(0);
    let rx = c.receiver();
    let t = thread::spawn(move || gocore::park::block_on(rx.recv_async()));
    wait_recvq(&c, 1);
    drop(c);
    assert_eq!(t.join().unwrap(), None);
}

#[test]
fn blocked_sender_gets_error_when_last_receiver_drops() {
    let c = cod::<i32>(1);
    let tx = c.sender();
    c.send(1).unwrap(); // full now
    let t = thread::spawn(move || {
        let r = tx.send(2);
        (r.map_err(|e| e.into_inner()), tx)
    });
    wait_sendq(&c, 1);
    drop(c); // the last handle that can receive
    let (r, tx) = t.join().unwrap();
    assert_eq!(r, Err(2));
    // Later sends fail at once, with the value back.
    assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    assert_eq!(tx.send(4).unwrap_err().into_inner(), 4);
    assert_eq!(
        tx.send_timeout(5, Duration::from_secs(5))
            .unwrap_err()
            .into_inner(),
        5
    );
    assert!(tx.is_closed());
}

#[test]
fn async_and_select_senders_get_errors_when_last_receiver_drops() {
    let c = cod::<i32>(0);
    let tx = c.sender();
    let (_count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = pin!(tx.send_async(1));
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
        drop(c);
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(Err(e)) => assert_eq!(e.into_inner(), 1),
            other => panic!("expected an error, got {other:?}"),
        }
    }
    let r = select! {
        send(tx, 2) -> r => r.map_err(|e| e.into_inner()),
    };
    assert_eq!(r, Err(2));
}

#[test]
fn last_receiver_drop_drops_buffered_values() {
    let live = Arc::new(AtomicIsize::new(0));
    let c = cod(4);
    let tx = c.sender();
    for _ in 0..3 {
        tx.send(Tracked::new(&live)).unwrap();
    }
    assert_eq!(live.load(Ordering::SeqCst), 3);
    drop(c);
    // Nobody can receive them any more: dropped now, not when `tx` goes.
    assert_eq!(live.load(Ordering::SeqCst), 0);
    let back = tx.send(Tracked::new(&live)).unwrap_err().into_inner();
    drop(back);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn panicking_drop_while_draining_loses_and_duplicates_nothing() {
    let live = Arc::new(AtomicIsize::new(0));
    let c = cod(4);
    let tx = c.sender();
    let mut first = Tracked::new(&live);
    first.panic_on_drop = true;
    tx.send(first).unwrap();
    tx.send(Tracked::new(&live)).unwrap();
    tx.send(Tracked::new(&live)).unwrap();
    let r = catch_unwind(AssertUnwindSafe(move || drop(c)));
    assert!(r.is_err(), "the value's panic propagates");
    // The first value is gone; the rest are still buffered, and the channel
    // is closed for senders all the same.
    assert_eq!(live.load(Ordering::SeqCst), 2);
    assert!(tx.is_closed());
    assert!(tx.try_send(Tracked::new(&live)).is_err());
    assert_eq!(live.load(Ordering::SeqCst), 2);
    // Dropping the last handle frees the rest, exactly once.
    drop(tx);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn panicking_drop_in_receiver_conversion_releases_both_roles() {
    // `Sender::from(chan)` gives up the receiving role, which drains; if a
    // value's drop panics there, the half-made `Sender` is dropped by the
    // unwinding and gives up the sending role too.
    let live = Arc::new(AtomicIsize::new(0));
    let c = cod(2);
    let rx_probe_count = c.receiver();
    drop(rx_probe_count);
    let mut v = Tracked::new(&live);
    v.panic_on_drop = true;
    c.send(v).unwrap();
    let watcher = c.sender();
    let r = catch_unwind(AssertUnwindSafe(move || Sender::from(c)));
    assert!(r.is_err());
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert!(watcher.is_closed());
    // Only `watcher` is left; dropping it must not close twice or underflow.
    drop(watcher);
}

#[test]
fn explicit_close_and_auto_close_combine() {
    // Close first, then drop everything: the auto-close is a no-op.
    let c = cod::<u8>(1);
    let tx = c.sender();
    tx.close().unwrap();
    drop(tx);
    assert_eq!(c.close(), Err(CloseError::Closed));
    drop(c);

    // Auto-close first (receivers gone), then an explicit close: an error,
    // as for any closed channel, never a panic.
    let c = cod::<u8>(1);
    let tx = c.sender();
    drop(c);
    assert_eq!(tx.close(), Err(CloseError::Closed));
    drop(tx);

    // Auto-close on the sending side, then the receiver closes: an error.
    let c = cod::<u8>(1);
    let rx = c.receiver();
    drop(c);
    assert!(rx.is_closed());
    drop(rx);
}

#[test]
fn panicking_waker_during_auto_close() {
    // The close that the last sender's drop triggers wakes a parked async
    // receive; its waker panics. The panic propagates out of the drop, the
    // channel is closed, and no role is released twice.
    struct PanicWake;
    impl Wake for PanicWake {
        fn wake(self: Arc<Self>) {
            panic!("wake panics");
        }
    }
    let c = cod::<i32>(0);
    let rx = c.receiver();
    let waker = Waker::from(Arc::new(PanicWake));
    let mut cx = Context::from_waker(&waker);
    let mut fut = Box::pin(rx.recv_async());
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
    let r = catch_unwind(AssertUnwindSafe(move || drop(c)));
    assert!(r.is_err());
    assert!(rx.is_closed());
    let (_n, ok_waker) = counting_waker();
    assert_eq!(
        fut.as_mut().poll(&mut Context::from_waker(&ok_waker)),
        Poll::Ready(None)
    );
    drop(fut);
    drop(rx);
}

#[test]
fn go_mode_receiver_without_senders_stays_blocked() {
    // Go's behaviour (the default): dropping every sender closes nothing.
    let c = Chan::<i32>::new(0);
    let rx = c.receiver();
    drop(c);
    assert!(!rx.is_closed());
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(20)),
        Err(RecvTimeoutError::Timeout)
    );
    // And a sender whose receivers are gone still blocks on a full channel.
    let c = Chan::new(1);
    let tx = c.sender();
    drop(c);
    tx.send(1).unwrap();
    assert!(tx
        .send_timeout(2, Duration::from_millis(20))
        .unwrap_err()
        .is_timeout());
}

#[test]
fn nil_channel_handles_drop_quietly() {
    let n = Chan::<u8>::nil();
    let tx: Sender<u8> = n.sender();
    let rx: Receiver<u8> = n.receiver();
    drop(n);
    assert!(tx.is_nil() && rx.is_nil());
    assert_eq!(rx.try_recv(), Err(gochan::TryRecvError::Empty));
}

#[test]
fn many_threads_last_sender_closes_once() {
    let n = if cfg!(miri) { 3 } else { 16 };
    let per = if cfg!(miri) { 5 } else { 200 };
    let c = cod::<usize>(4);
    let rx = c.receiver();
    let hs: Vec<_> = (0..n)
        .map(|i| {
            let tx = c.sender();
            thread::spawn(move || {
                for j in 0..per {
                    tx.send(i * per + j).unwrap();
                }
            })
        })
        .collect();
    drop(c);
    let mut got: Vec<usize> = rx.iter().collect();
    for h in hs {
        h.join().unwrap();
    }
    got.sort_unstable();
    assert_eq!(got, (0..n * per).collect::<Vec<_>>());
}
