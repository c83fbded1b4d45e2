//! Loom model of a two-channel select: a blocked select over two channels is
//! completed by exactly one counterpart (the `SelCtx::done` CAS, hchan I7),
//! the losing case is unlinked (select S3), and the other value is taken by
//! a later plain receive, so both values arrive exactly once.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gochan --test loom_select`.
#![cfg(loom)]

use gochan::{select, Chan};
use loom::thread;

use gocore::model::check as model;

#[test]
fn two_channel_select_fires_once() {
    model(|| {
        // Buffered, so the sender never parks. It sends on `a` then on `b`:
        // the first send may complete the parked select (winning its CAS);
        // the second then meets the select's stale sudog on `b`, must skip it
        // (losing CAS) and buffer its value instead.
        let a = Chan::<u8>::new(1);
        let b = Chan::<u8>::new(1);
        let (a2, b2) = (a.clone(), b.clone());
        let t = thread::spawn(move || {
            a2.send(1).unwrap();
            b2.send(2).unwrap();
        });
        let first = select! {
            recv(a) -> v => v,
            recv(b) -> v => v,
        };
        let second = match first {
            Some(1) => b.recv(),
            Some(2) => a.recv(),
            other => panic!("unexpected {other:?}"),
        };
        let mut got = [first.unwrap(), second.unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
        t.join().unwrap();
        assert_eq!((a.len(), b.len()), (0, 0));
    });
}

#[test]
fn select_woken_by_close() {
    model(|| {
        let a = Chan::<u8>::new(0);
        let b = Chan::<u8>::new(1);
        let b2 = b.clone();
        let t = thread::spawn(move || b2.close().unwrap());
        let r = select! {
            recv(a) -> v => (0, v),
            recv(b) -> v => (1, v),
        };
        assert_eq!(r, (1, None));
        t.join().unwrap();
    });
}
