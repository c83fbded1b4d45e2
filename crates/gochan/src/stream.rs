//! [`futures_core::Stream`] for receiving: [`RecvStream`] (feature `futures-core`).
//!
//! # What
//!
//! A stream is a receive loop, `for v := range c` for async code: it yields
//! values until the channel is closed and drained, then `None` for ever. It
//! adds no receive protocol of its own: each `poll_next` drives one
//! [`RecvFuture`] (the `future` module's parked sudog), kept inside the
//! stream while it is pending and replaced by a fresh one after each value.
//!
//! # Layout
//!
//! ```text
//!  RecvStream<'a, T>
//!  ┌────────────────────────────────────────────────────────────────┐
//!  │ fut: Option<RecvFuture<'a, T>>   (pinned; holds the sudog)     │
//!  │ chan: Option<NonNull<Hchan<T>>>  (None: the nil channel)       │
//!  │ done: bool                       (returned None: fused)        │
//!  │ owner: Option<Receiver<T>>       (into_stream: keeps the Arc)  │
//!  └────────────────────────────────────────────────────────────────┘
//! ```
//!
//! # Invariants
//!
//! - R1. `fut` is structurally pinned: once the stream is pinned, `fut` is
//!   only dropped or replaced in place (`Pin::set`), never moved; the stream
//!   is `!Unpin` because `RecvFuture` is. Every other field is unpinned.
//! - R2. `chan` is valid for `'a` (borrowed streams), or points into the
//!   `Arc` that `owner` holds (owning streams); `owner` is never replaced or
//!   moved out, and `fut` is declared (hence dropped) before `owner`, so the
//!   channel outlives every use of `chan` and `fut`, whatever lifetime `'a`
//!   says. `chan` is a raw pointer, not a `&'a Hchan`: a reference field
//!   would be asserted live for as long as the stream is a function
//!   argument, including the moment its own `owner` frees the channel.
//!   Only `fut` holds a reference made from it, and only while the stream
//!   is pinned (R1), so never in a by-value argument.
//! - R3. Cancel safety is `RecvFuture`'s: dropping the stream while `fut` is
//!   pending unlinks its sudog, and a value already handed to it goes back
//!   to the channel (`hchan` I9). No value is lost.
//!
//! # Go correspondence
//!
//! `for v := range c` (spec: "For channels, the iteration values produced
//! are the successive values sent on the channel until the channel is
//! closed"); a nil channel's range blocks for ever, and so this stream stays
//! pending for ever.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use crate::chan::{Chan, Receiver};
use crate::future::RecvFuture;
use crate::hchan::Hchan;

/// The values of a channel as a [`Stream`]: yields until the channel is
/// closed and drained, then `None`. Made by [`Chan::stream`],
/// [`Receiver::stream`] (borrowing) or [`Receiver::into_stream`],
/// [`Chan::into_stream`] (owning).
///
/// The stream is `!Unpin` (it holds the in-flight receive, whose wait-queue
/// entry must not move): pin it with `core::pin::pin!` or `Box::pin` before
/// calling `StreamExt::next`. Dropping it mid-receive loses no value.
///
/// Go: `for v := range c` in async code.
///
/// # Examples
///
/// ```
/// use core::pin::pin;
/// use futures_core::Stream;
///
/// let c = gochan::Chan::new(3);
/// for i in 1..=3 { c.send(i)?; }
/// c.close()?;
/// let mut s = pin!(c.stream());
/// let mut sum = 0;
/// gocore::park::block_on(core::future::poll_fn(|cx| loop {
///     match s.as_mut().poll_next(cx) {
///         core::task::Poll::Ready(Some(v)) => sum += v,
///         core::task::Poll::Ready(None) => return core::task::Poll::Ready(()),
///         core::task::Poll::Pending => return core::task::Poll::Pending,
///     }
/// }));
/// assert_eq!(sum, 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
#[doc(alias = "range")]
#[must_use = "streams do nothing unless polled"]
pub struct RecvStream<'a, T> {
    // Declared first so it is dropped before `owner` (R2).
    fut: Option<RecvFuture<'a, T>>,
    chan: Option<NonNull<Hchan<T>>>,
    done: bool,
    owner: Option<Receiver<T>>,
    _chan: PhantomData<&'a Hchan<T>>,
}

// SAFETY: `chan` stands for a `&'a Hchan<T>` (R2), which is `Send` and `Sync`
// for `T: Send`; every other field is `Send` for `T: Send` by itself.
unsafe impl<T: Send> Send for RecvStream<'_, T> {}
// SAFETY: `&RecvStream` exposes only `is_terminated` and `Debug`, which read
// plain fields; polling needs `Pin<&mut>`.
unsafe impl<T: Send> Sync for RecvStream<'_, T> {}

impl<T> fmt::Debug for RecvStream<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvStream")
            .field("nil", &self.chan.is_none())
            .field("receiving", &self.fut.is_some())
            .field("done", &self.done)
            .field("owning", &self.owner.is_some())
            .finish()
    }
}

impl<'a, T> RecvStream<'a, T> {
    fn borrowed(chan: &'a Chan<T>) -> Self {
        RecvStream {
            fut: None,
            chan: chan.hchan().map(NonNull::from),
            done: false,
            owner: None,
            _chan: PhantomData,
        }
    }

    fn owned(rx: Receiver<T>) -> Self
    where
        T: 'a,
    {
        // Moving `rx` into `owner` moves the `Arc` pointer, not the channel
        // it points to, so the pointer stays valid while `owner` lives (R2).
        let chan = rx.chan().hchan().map(NonNull::from);
        RecvStream {
            fut: None,
            chan,
            done: false,
            owner: Some(rx),
            _chan: PhantomData,
        }
    }

    /// Splits a pinned stream into its pinned future slot and its plain fields.
    #[allow(clippy::type_complexity)]
    fn project(
        self: Pin<&mut Self>,
    ) -> (
        Pin<&mut Option<RecvFuture<'a, T>>>,
        Option<NonNull<Hchan<T>>>,
        &mut bool,
    ) {
        // SAFETY: nothing is moved out of the stream; `fut` is re-pinned
        // below and the other fields are never treated as pinned (R1).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: R1: `fut` is structurally pinned and only dropped or
        // replaced in place through this `Pin`.
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        (fut, this.chan, &mut this.done)
    }
}

impl<T> Stream for RecvStream<'_, T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let (mut slot, chan, done) = self.project();
        if *done {
            return Poll::Ready(None);
        }
        if slot.is_none() {
            // SAFETY: R2: the channel outlives the future, which is dropped
            // before `owner` and before `'a` ends; the reference lives only in
            // the pinned `fut` (R1), never in a by-value argument.
            let chan = chan.map(|p| unsafe { p.as_ref() });
            slot.set(Some(RecvFuture::new(chan)));
        }
        let Some(fut) = slot.as_mut().as_pin_mut() else {
            unreachable!("the slot was just filled")
        };
        let r = fut.poll(cx);
        if let Poll::Ready(v) = &r {
            // Completed futures are replaced by a fresh one at the next poll.
            slot.set(None);
            *done = v.is_none();
        }
        r
    }
}

impl<T> FusedStream for RecvStream<'_, T> {
    /// `true` once the stream has returned `None` (the channel was closed
    /// and drained); the nil channel's stream never terminates.
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T> Chan<T> {
    /// The channel's values as a [`Stream`], borrowing the channel; see
    /// [`RecvStream`].
    ///
    /// Go: `for v := range c`.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_core::{FusedStream, Stream};
    /// let c = gochan::Chan::<u8>::new(1);
    /// c.close()?;
    /// let mut s = Box::pin(c.stream());
    /// let v = gocore::park::block_on(core::future::poll_fn(|cx| s.as_mut().poll_next(cx)));
    /// assert_eq!(v, None);
    /// assert!(s.is_terminated());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
    pub fn stream(&self) -> RecvStream<'_, T> {
        RecvStream::borrowed(self)
    }

    /// The channel's values as an owning [`Stream`] (`'static` when `T` is),
    /// for spawning. Like [`IntoIterator`] for `Chan`, it keeps only the
    /// receiving role: in [`Mode::CloseOnDrop`](crate::Mode::CloseOnDrop),
    /// if this was the last handle that could send, the channel closes and
    /// the stream ends after the buffered values.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_core::Stream;
    /// let c = gochan::Chan::new(1);
    /// c.send(4)?;
    /// let tx = c.sender();
    /// let mut s = Box::pin(c.into_stream());
    /// let v = gocore::park::block_on(core::future::poll_fn(|cx| s.as_mut().poll_next(cx)));
    /// assert_eq!(v, Some(4));
    /// drop(tx);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
    pub fn into_stream<'a>(self) -> RecvStream<'a, T>
    where
        T: 'a,
    {
        RecvStream::owned(self.into())
    }
}

impl<T> Receiver<T> {
    /// The channel's values as a [`Stream`], borrowing the receiver; see
    /// [`RecvStream`].
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_core::Stream;
    /// let c = gochan::Chan::new(1);
    /// c.send('a')?;
    /// let rx = c.receiver();
    /// let mut s = Box::pin(rx.stream());
    /// let v = gocore::park::block_on(core::future::poll_fn(|cx| s.as_mut().poll_next(cx)));
    /// assert_eq!(v, Some('a'));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
    pub fn stream(&self) -> RecvStream<'_, T> {
        RecvStream::borrowed(self.chan())
    }

    /// The channel's values as an owning [`Stream`] (`'static` when `T` is),
    /// for spawning; see [`RecvStream`].
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_core::Stream;
    /// use gochan::{Chan, Mode};
    /// let c = Chan::with_mode(2, Mode::CloseOnDrop);
    /// let mut s = Box::pin(c.receiver().into_stream());
    /// c.send(1)?;
    /// drop(c); // the last sender: the stream ends after the buffer
    /// let mut got = Vec::new();
    /// gocore::park::block_on(core::future::poll_fn(|cx| loop {
    ///     match s.as_mut().poll_next(cx) {
    ///         core::task::Poll::Ready(Some(v)) => got.push(v),
    ///         core::task::Poll::Ready(None) => return core::task::Poll::Ready(()),
    ///         core::task::Poll::Pending => return core::task::Poll::Pending,
    ///     }
    /// }));
    /// assert_eq!(got, [1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "futures-core")))]
    pub fn into_stream<'a>(self) -> RecvStream<'a, T>
    where
        T: 'a,
    {
        RecvStream::owned(self)
    }
}
