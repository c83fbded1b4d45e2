//! Done channels: a `gochan` channel of `()` that is closed on cancellation.
//!
//! Go creates `cancelCtx.done` lazily and closes it in `cancel`; contexts that
//! can never be cancelled return a nil channel. Nothing is ever sent: the only
//! event is `close`, which wakes every receiver and every `select` at once.

use gochan::{Chan, Receiver};

/// What [`Context::done`](crate::Context::done) returns: the receive side of
/// a `gochan` channel that is closed when the context is cancelled (a nil
/// channel for contexts that are never cancelled). Go: `<-chan struct{}`.
///
/// # Examples
///
/// ```
/// let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
/// let done: gocontext::Done = ctx.done();
/// cancel.cancel();
/// assert!(done.is_closed());
/// ```
pub type Done = Receiver<()>;

/// The sending side kept by a cancel context.
pub(crate) struct DoneChan(Chan<()>);

impl DoneChan {
    pub(crate) fn new() -> Self {
        DoneChan(Chan::new(0))
    }

    /// Closes the channel. Only the close job queued by `cancel_one` (once,
    /// I1) or by an orphan (which owns the channel alone) calls it on a
    /// channel that may have waiters, so the "close of closed channel" error
    /// cannot occur.
    pub(crate) fn close(&self) {
        let r = self.0.close();
        debug_assert!(r.is_ok(), "done channel closed twice");
    }

    /// Another handle on the same channel, to close it after the
    /// context's lock is released (closing wakes user wakers).
    pub(crate) fn handle(&self) -> Self {
        DoneChan(self.0.clone())
    }

    pub(crate) fn receiver(&self) -> Done {
        self.0.receiver()
    }

    pub(crate) fn nil_receiver() -> Done {
        Chan::nil().receiver()
    }
}
