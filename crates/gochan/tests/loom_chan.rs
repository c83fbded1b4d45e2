//! Loom models of the channel protocol: direct hand-off on an unbuffered
//! channel, the full-buffer-with-parked-sender rotation, and close racing a
//! parked send and a receive (hchan I5, I6: a completed sudog is never touched
//! again, and a value is received exactly when its send succeeds), and a
//! dropped async receive giving its value back while the channel closes
//! (hchan I9, I10).
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gochan --test loom_chan`.
#![cfg(loom)]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use gochan::{Chan, TryRecvError};
use loom::thread;

use gocore::model::check as model;

#[test]
fn unbuffered_hand_off() {
    model(|| {
        let c = Chan::new(0);
        let tx = c.clone();
        let t = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(c.recv(), Some(7));
        t.join().unwrap();
    });
}

#[test]
fn buffered_blocked_sender_keeps_fifo() {
    model(|| {
        let c = Chan::new(1);
        let tx = c.clone();
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(c.recv(), Some(1));
        assert_eq!(c.recv(), Some(2));
        t.join().unwrap();
    });
}

#[test]
fn close_races_send() {
    model(|| {
        let c = Chan::<u8>::new(0);
        let tx = c.clone();
        let sender = thread::spawn(move || tx.send(1));
        c.close().unwrap();
        // A send racing close either fails with its value back or never
        // started; nothing is received after close (unbuffered, no receiver).
        assert_eq!(c.recv(), None);
        assert_eq!(sender.join().unwrap().unwrap_err().into_inner(), 1);
    });
}

#[test]
fn close_races_recv() {
    model(|| {
        let c = Chan::<u8>::new(1);
        let rx = c.clone();
        let receiver = thread::spawn(move || rx.recv());
        c.send(5).unwrap();
        c.close().unwrap();
        // The receive either got the value (before or after close: buffered
        // values drain) or, if it was late, the value is still there.
        match receiver.join().unwrap() {
            Some(v) => assert_eq!(v, 5),
            None => panic!("a buffered value must drain before closed is reported"),
        }
        assert_eq!(c.recv(), None);
    });
}

#[test]
fn dropped_recv_async_gives_back_across_close() {
    // A receive handed a value, then dropped, while the sender closes: the
    // value goes back (to the stash when unbuffered, to the buffer's head
    // otherwise) and still drains before closed is reported.
    for cap in [0, 1] {
        model(move || {
            let c = Chan::<u8>::new(cap);
            let tx = c.clone();
            let sender = thread::spawn(move || {
                let sent = tx.try_send(1).is_ok();
                tx.close().unwrap();
                sent
            });
            let got = {
                let mut fut = Box::pin(c.recv_async());
                match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                    Poll::Ready(v) => v,
                    Poll::Pending => None, // dropped: a value it was handed goes back
                }
            };
            let sent = sender.join().unwrap();
            let rest = c.try_recv().ok();
            assert_eq!(c.try_recv(), Err(TryRecvError::Closed));
            assert!(c.len() <= c.cap());
            assert_eq!(
                u8::from(got.is_some()) + u8::from(rest.is_some()),
                u8::from(sent)
            );
        });
    }
}
