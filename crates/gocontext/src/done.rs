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

/// The nil channel stands for "not made yet": a context's slot for its done
/// channel is one word, as Go's `done atomic.Value` is made lazily.
impl Default for DoneChan {
    fn default() -> Self {
        DoneChan(Chan::nil())
    }
}

impl DoneChan {
    pub(crate) fn new() -> Self {
        DoneChan(Chan::new(0))
    }

    /// The channel, if it was made (not nil).
    pub(crate) fn get(&self) -> Option<&DoneChan> {
        (!self.0.is_nil()).then_some(self)
    }

    /// Takes the channel out, if it was made, leaving nil.
    pub(crate) fn take(&mut self) -> Option<DoneChan> {
        (!self.0.is_nil()).then(|| core::mem::take(self))
    }

    /// Closes the channel, waking its waiters (their wakers are user code,
    /// so no context lock may be held here). Idempotent: several threads may
    /// race to close a cancelled context's channel (see `context` I2); the
    /// first wins and the others find it closed.
    pub(crate) fn close(&self) {
        let _already_closed = self.0.close().is_err();
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
