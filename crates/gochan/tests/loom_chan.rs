//! Loom models of the channel protocol: direct hand-off on an unbuffered
//! channel, the full-buffer-with-parked-sender rotation, and close racing a
//! parked send and a receive (hchan I5, I6: a completed sudog is never touched
//! again, and a value is received exactly when its send succeeds).
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gochan --test loom_chan`.
#![cfg(loom)]

use gochan::Chan;
use loom::thread;

/// `loom::model` with room for the spin lock's retry branches.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.max_branches = 100_000;
    b.check(f);
}

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
