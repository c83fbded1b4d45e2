//! Go's wait reasons for tasks blocked on a context: `<-ctx.Done()` and
//! `<-time.After(d)` are channel receives ("chan receive"; a context that can
//! never be cancelled has a nil Done channel: "chan receive (nil chan)"), and
//! a `select` over them is "select". The reasons come from gochan's futures
//! through `gocore::wait`.
#![cfg(feature = "std")]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use gochan::{select_async, Chan};
use gocore::wait::{self, WaitReason};

/// Polls once with a no-op waker, expecting `Pending`; the reason recorded.
fn pending_reason<F: Future>(f: std::pin::Pin<&mut F>) -> Option<WaitReason> {
    let _ = wait::take();
    let poll = f.poll(&mut Context::from_waker(Waker::noop()));
    assert!(poll.is_pending());
    wait::take()
}

#[test]
fn done_receive_is_a_chan_receive() {
    let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
    let done = ctx.done();
    let mut f = pin!(done.recv_async());
    assert_eq!(pending_reason(f.as_mut()), Some(WaitReason::ChanReceive));
    cancel.cancel();
    let ready = f.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert_eq!(ready, Poll::Ready(None), "closed on cancel");
}

#[test]
fn background_done_is_a_nil_chan_receive() {
    let done = gocontext::background().done();
    let mut f = pin!(done.recv_async());
    assert_eq!(
        pending_reason(f.as_mut()),
        Some(WaitReason::ChanReceiveNilChan)
    );
}

#[test]
fn timer_receive_and_select_over_done() {
    let timeout = gocontext::after(Duration::from_secs(3600));
    let mut t = pin!(timeout.recv_async());
    assert_eq!(pending_reason(t.as_mut()), Some(WaitReason::ChanReceive));

    let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
    let work = Chan::<u32>::new(0);
    let mut sel = pin!(async {
        select_async! {
            recv(work) -> v => v,
            recv(ctx.done()) => None,
            recv(timeout.receiver()) => None,
        }
    });
    assert_eq!(pending_reason(sel.as_mut()), Some(WaitReason::Select));
    cancel.cancel();
    let ready = sel.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert_eq!(ready, Poll::Ready(None));
}
