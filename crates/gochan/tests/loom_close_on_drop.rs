//! Loom models of `Mode::CloseOnDrop` (`counter` H1–H4): the last handle
//! that can send closes the channel exactly once, whichever of several
//! concurrent drops is last, after every value sent before the drops; an
//! explicit close racing the automatic one never fails; the last handle that
//! can receive wakes a parked sender with its value back.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gochan --test loom_close_on_drop`.
#![cfg(loom)]

use gochan::{Chan, Mode};
use loom::thread;

use gocore::model::check as model;

#[test]
fn concurrent_last_sender_drops_close_once_after_their_sends() {
    model(|| {
        let c = Chan::with_mode(2, Mode::CloseOnDrop);
        let rx = c.receiver();
        let a = c.sender();
        drop(c);
        let b = a.clone();
        // Each thread sends, then drops its sender; the two drops race.
        let t = thread::spawn(move || b.send(2).unwrap());
        a.send(1).unwrap();
        drop(a);
        t.join().unwrap();
        // Both values arrive, then closed: neither drop closed the channel
        // before the other thread's send.
        let mut got = [rx.recv(), rx.recv()];
        got.sort();
        assert_eq!(got, [Some(1), Some(2)]);
        assert_eq!(rx.recv(), None);
    });
}

#[test]
fn last_sender_drop_wakes_parked_receiver() {
    model(|| {
        let c = Chan::<u8>::with_mode(0, Mode::CloseOnDrop);
        let rx = c.receiver();
        let t = thread::spawn(move || rx.recv());
        drop(c);
        assert_eq!(t.join().unwrap(), None);
    });
}

#[test]
fn explicit_close_races_auto_close() {
    model(|| {
        let c = Chan::<u8>::with_mode(0, Mode::CloseOnDrop);
        let rx = c.receiver();
        let tx = c.sender();
        drop(c);
        let t = thread::spawn(move || tx.close());
        drop(rx); // the last receiver: closes too
                  // The explicit close either came first (Ok) or found the channel
                  // closed by the drop (Err); the automatic close never panics.
        let _ = t.join().unwrap();
    });
}

#[test]
fn last_receiver_drop_fails_parked_sender() {
    model(|| {
        let c = Chan::with_mode(0, Mode::CloseOnDrop);
        let tx = c.sender();
        let t = thread::spawn(move || tx.send(3u8).map_err(|e| e.into_inner()));
        drop(c);
        assert_eq!(t.join().unwrap(), Err(3));
    });
}
