//! Loom models of the cancellation protocol: concurrent cancel of a parent
//! and its child, and cancel racing child creation (I1–I4 and I9 of the context
//! module). Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gocontext --test loom_cancel`.

#![cfg(loom)]

use gocontext::{background, cause, with_cancel, with_cancel_cause, Error};
use loom::thread;

#[test]
fn parent_and_child_cancel_concurrently() {
    loom::model(|| {
        let (p, pc) = with_cancel(&background());
        let (c, cc) = with_cancel(&p);
        let d = c.done();
        let t = thread::spawn(move || cc.cancel());
        pc.cancel();
        t.join().unwrap();
        assert!(d.is_closed());
        assert_eq!(c.err(), Some(Error::Canceled));
        assert_eq!(p.err(), Some(Error::Canceled));
        assert_eq!(p.children_len(), 0);
    });
}

#[test]
fn cancel_races_child_creation() {
    loom::model(|| {
        let (p, pc) = with_cancel(&background());
        let p2 = p.clone();
        let t = thread::spawn(move || {
            let (c, f) = with_cancel(&p2);
            (c, f)
        });
        pc.cancel();
        let (c, _f) = t.join().unwrap();
        // Made before or after the cancel, the child ends up cancelled and
        // never stays in the cancelled parent's set.
        assert_eq!(c.err(), Some(Error::Canceled));
        assert!(c.done().is_closed());
        assert_eq!(p.children_len(), 0);
    });
}

#[test]
fn first_cause_wins_between_racing_cancels() {
    loom::model(|| {
        let (p, pc) = with_cancel_cause(&background());
        let (c, _cc) = with_cancel(&p);
        let pc2 = pc.clone();
        let t = thread::spawn(move || pc2.cancel(Some(std::sync::Arc::new(std::fmt::Error))));
        pc.cancel(None);
        t.join().unwrap();
        let a = cause(&p).unwrap().to_string();
        let b = cause(&c).unwrap().to_string();
        assert_eq!(a, b, "the child sees the parent's winning cause");
        assert!(a == "context canceled" || a == std::fmt::Error.to_string());
    });
}

#[test]
fn dropping_a_child_races_the_parent_cancel() {
    // I8: a live child dropped while its parent is being cancelled leaves its
    // done channel behind; whichever side wins, the channel gets closed.
    loom::model(|| {
        let (p, pc) = with_cancel(&background());
        let (c, cc) = with_cancel(&p);
        let done = c.done();
        let t = thread::spawn(move || {
            drop(c);
            drop(cc);
        });
        pc.cancel();
        t.join().unwrap();
        assert!(done.is_closed());
        assert_eq!(p.children_len(), 0);
    });
}

#[test]
fn a_returned_cancel_has_closed_the_done_channel() {
    // I2/I9: the winner closes the done channel after releasing the node's
    // lock; a losing `cancel` (and a `done()` call on a cancelled context)
    // closes it too, so each thread sees it closed once its own call returns.
    loom::model(|| {
        let (p, pc) = with_cancel(&background());
        let (c, cc) = with_cancel(&p);
        let pd = p.done();
        let cd = c.done();
        let c2 = c.clone();
        let t = thread::spawn(move || {
            cc.cancel();
            assert!(cd.is_closed());
            if c2.err().is_some() {
                assert!(c2.done().is_closed());
            }
        });
        pc.cancel();
        assert!(pd.is_closed());
        if c.err().is_some() {
            assert!(c.done().is_closed());
        }
        t.join().unwrap();
    });
}
