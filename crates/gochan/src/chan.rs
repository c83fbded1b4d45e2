//! The channel handles: [`Chan`], and the directional views [`Sender`] and [`Receiver`].
//!
//! A handle is an `Option<Arc<Hchan<T>>>`: `None` is Go's nil channel. Cloning
//! a handle shares the channel (Go channels are reference values). Dropping
//! the last handle frees the channel and drops any values still buffered;
//! there can be no parked waiters then, since each waiter borrows a handle.
//!
//! Every handle also has roles: a `Chan` can send and receive, a `Sender`
//! only send, a `Receiver` only receive. Clones, `sender()`/`receiver()`,
//! conversions and drops report the roles gained or lost to the channel's
//! `Handles` (`counter`), which does nothing in Go mode and closes the
//! channel when the last handle of a role goes in close-on-drop mode. Drops
//! move the `Arc` out of the handle before releasing its roles (`counter`
//! H3), so a panic while closing or draining never releases a role twice.

use alloc::sync::Arc;
use core::fmt;
#[cfg(feature = "std")]
use core::time::Duration;
#[cfg(feature = "std")]
use std::time::Instant;

use crate::err::{CloseError, MakeChanError, SendError, TryRecvError, TrySendError};
#[cfg(feature = "std")]
use crate::err::{RecvTimeoutError, SendTimeoutError};
use crate::future::{RecvFuture, SendFuture};
use crate::hchan::{Hchan, Recvd, Sent};
// Handle roles and modes (`counter`).
use crate::counter::{Mode, BOTH, RECV, SEND};

/// A Go channel: a FIFO of `T` with `cap` buffer slots, shared by cloning.
///
/// `Chan::new(0)` is unbuffered (every send waits for a receiver),
/// `Chan::new(n)` buffers `n` values, `Chan::nil()` never communicates.
///
/// Go: `chan T`, `make(chan T, n)`.
///
/// # Examples
///
/// ```
/// use gochan::Chan;
///
/// let c = Chan::new(2);
/// c.send(1)?;
/// c.send(2)?;
/// assert_eq!((c.len(), c.cap()), (2, 2));
/// assert_eq!(c.recv(), Some(1));
/// c.close()?;
/// assert_eq!(c.recv(), Some(2)); // buffered values drain after close
/// assert_eq!(c.recv(), None); // then: closed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "chan")]
pub struct Chan<T> {
    pub(crate) inner: Option<Arc<Hchan<T>>>,
}

impl<T> Clone for Chan<T> {
    fn clone(&self) -> Self {
        self.derive(BOTH)
    }
}

impl<T> Drop for Chan<T> {
    /// Releases the handle's roles (closing the channel in close-on-drop mode
    /// when it was the last handle that could send or receive), then the
    /// shared channel.
    fn drop(&mut self) {
        release(self.inner.take(), BOTH);
    }
}

/// Gives up `roles` of a handle whose `Arc` has already been moved out of it
/// (`counter` H3), and then drops the `Arc`. In close-on-drop mode, the last
/// sending or receiving role closes the channel; the last receiving role
/// also drops the values nobody can receive any more.
fn release<T>(inner: Option<Arc<Hchan<T>>>, roles: u8) {
    let Some(arc) = inner else { return };
    let c: &Hchan<T> = &arc;
    let gone = c.handles.release(roles);
    if gone == 0 {
        return;
    }
    // `counter` H4: a channel closed already (explicitly, or by the other
    // role's count) stays closed; nothing to report.
    let _ = c.close();
    if gone & RECV != 0 {
        // No handle can receive any more: drop what is buffered (or stashed)
        // now rather than when the senders go. One value per lock hold, each
        // dropped after unlocking; if a value's `Drop` panics, the rest stay
        // buffered and are dropped with the channel.
        loop {
            let mut g = c.lock();
            // SAFETY: `g` holds `c`'s lock.
            let r = unsafe { g.recv_locked(c) };
            drop(g);
            match r {
                Recvd::Value(v, w) => {
                    drop(v);
                    if let Some(w) = w {
                        w.wake();
                    }
                }
                Recvd::Closed | Recvd::Empty => break,
            }
        }
    }
}

impl<T> Default for Chan<T> {
    /// The nil channel, Go's zero value for `chan T`.
    fn default() -> Self {
        Chan::nil()
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Chan(nil)"),
            Some(c) => f
                .debug_struct("Chan")
                .field("len", &c.len())
                .field("cap", &c.cap())
                .field("closed", &c.is_closed())
                .finish(),
        }
    }
}

impl<T> PartialEq for Chan<T> {
    /// Go's `==` on channels: the same channel (or both nil).
    fn eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl<T> Eq for Chan<T> {}

impl<T> Chan<T> {
    /// Creates a channel with `cap` buffer slots; `0` makes it unbuffered.
    ///
    /// Go: `make(chan T, cap)`. Go also rejects element types of 64 KiB or
    /// more; we accept any `T`. A buffer of zero-sized values costs nothing,
    /// whatever its capacity.
    ///
    /// # Panics
    ///
    /// With Go's message `makechan: size out of range` for every capacity Go
    /// rejects: when `cap * size_of::<T>()` overflows or exceeds Go's largest
    /// allocation (2⁴⁸ − 96 bytes on 64-bit targets, 2³² − 57 on 32-bit
    /// ones), or `cap > isize::MAX` (Go's capacity is an `int`). If the
    /// allocator cannot provide a buffer Go would accept, the process aborts
    /// as for `Vec::with_capacity` (Go dies with `out of memory`); use
    /// [`Chan::try_new`] to get an error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<String>::new(8);
    /// assert_eq!(c.cap(), 8);
    /// let huge = gochan::Chan::<()>::new(isize::MAX as usize); // zero-sized: O(1)
    /// assert_eq!(huge.cap(), isize::MAX as usize);
    /// let err = std::panic::catch_unwind(|| gochan::Chan::<u64>::new(usize::MAX)).unwrap_err();
    /// assert_eq!(err.downcast_ref::<&str>(), Some(&"makechan: size out of range"));
    /// ```
    #[track_caller]
    pub fn new(cap: usize) -> Self {
        Chan {
            inner: Some(Arc::new(Hchan::new(cap))),
        }
    }

    /// Creates a channel with `cap` buffer slots, reporting an impossible
    /// capacity as an error instead of panicking or aborting.
    ///
    /// Go: `make(chan T, cap)`, with its panic `makechan: size out of range`
    /// (and its fatal `out of memory`) turned into `Err`.
    ///
    /// # Errors
    ///
    /// [`MakeChanError::OutOfRange`] for every capacity Go rejects (see
    /// [`Chan::new`]); [`MakeChanError::AllocFailed`] if the allocator cannot
    /// provide the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use gochan::{Chan, MakeChanError};
    /// let c = Chan::<u64>::try_new(4)?;
    /// assert_eq!(c.cap(), 4);
    /// assert_eq!(Chan::<u64>::try_new(usize::MAX / 4).unwrap_err(), MakeChanError::OutOfRange);
    /// # Ok::<(), MakeChanError>(())
    /// ```
    pub fn try_new(cap: usize) -> Result<Self, MakeChanError> {
        Ok(Chan {
            inner: Some(Arc::new(Hchan::try_new(cap)?)),
        })
    }

    /// The nil channel: sends and receives never complete, `select` never
    /// picks it, `close` fails.
    ///
    /// Go: `var c chan T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gochan::{Chan, TryRecvError};
    /// let c = Chan::<i32>::nil();
    /// assert!(c.is_nil());
    /// assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    /// assert_eq!((c.len(), c.cap()), (0, 0));
    /// ```
    pub const fn nil() -> Self {
        Chan { inner: None }
    }

    /// Whether this is the nil channel. Go: `c == nil`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!gochan::Chan::<u8>::new(0).is_nil());
    /// ```
    pub fn is_nil(&self) -> bool {
        self.inner.is_none()
    }

    /// Creates a channel with `cap` buffer slots and the given drop
    /// behaviour. `Chan::with_mode(cap, Mode::Go)` is `Chan::new(cap)`.
    ///
    /// With [`Mode::CloseOnDrop`], dropping the last handle that can send
    /// (every `Chan` clone and [`Sender`]) closes the channel as
    /// [`Chan::close`] does: buffered values still drain, then receivers get
    /// `None`. Dropping the last handle that can receive (every `Chan` clone
    /// and [`Receiver`]) closes it too: parked and later sends fail with
    /// [`SendError`] (a `select!` send arm without `-> res` panics, as on any
    /// closed channel), and values still buffered are dropped. An explicit
    /// `close` before or after either is fine: the automatic close of a
    /// closed channel does nothing, and a second explicit `close` reports
    /// [`CloseError::Closed`] as always.
    ///
    /// Go: no counterpart (`make(chan T, cap)` is [`Mode::Go`]).
    ///
    /// # Panics
    ///
    /// As [`Chan::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gochan::{Chan, Mode};
    /// let c = Chan::with_mode(0, Mode::CloseOnDrop);
    /// let rx = c.receiver();
    /// let t = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         c.send(i).unwrap();
    ///     }
    ///     // `c` is dropped here: no handle can send any more.
    /// });
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]); // ends, no close() needed
    /// t.join().unwrap();
    ///
    /// // The other direction: a sender learns that nobody will receive.
    /// let c = Chan::with_mode(1, Mode::CloseOnDrop);
    /// let tx = c.sender();
    /// tx.send(1)?; // buffered
    /// drop(c); // the last handle that can receive
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn with_mode(cap: usize, mode: Mode) -> Self {
        let c = Chan::new(cap);
        if let (Mode::CloseOnDrop, Some(h)) = (mode, c.hchan()) {
            // Not shared yet: these stores happen-before every other handle.
            h.handles.start_counting();
        }
        c
    }

    /// The channel's drop behaviour; [`Mode::Go`] for the nil channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use gochan::{Chan, Mode};
    /// assert_eq!(Chan::<u8>::new(1).mode(), Mode::Go);
    /// assert_eq!(Chan::<u8>::with_mode(1, Mode::CloseOnDrop).mode(), Mode::CloseOnDrop);
    /// ```
    pub fn mode(&self) -> Mode {
        self.hchan().map_or(Mode::Go, |c| c.handles.mode())
    }

    /// A new handle on this channel with `roles` (a subset of `Chan`'s).
    fn derive(&self, roles: u8) -> Chan<T> {
        if let Some(c) = self.hchan() {
            c.handles.acquire(roles);
        }
        Chan {
            inner: self.inner.clone(),
        }
    }

    #[inline]
    pub(crate) fn hchan(&self) -> Option<&Hchan<T>> {
        self.inner.as_deref()
    }

    /// The number of buffered values. Go: `len(c)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(3);
    /// c.try_send(1).unwrap();
    /// assert_eq!(c.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.hchan().map_or(0, Hchan::len)
    }

    /// Whether no values are buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::Chan::<u8>::new(3).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full (`len(c) == cap(c)`): always true for an
    /// unbuffered or nil channel, where a send can only complete by meeting
    /// a receiver (crossbeam-channel's `is_full`).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// assert!(!c.is_full());
    /// c.try_send(1).unwrap();
    /// assert!(c.is_full());
    /// assert!(gochan::Chan::<u8>::new(0).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.len() == self.cap()
    }

    /// The buffer size. Go: `cap(c)`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gochan::Chan::<u8>::new(0).cap(), 0);
    /// ```
    pub fn cap(&self) -> usize {
        self.hchan().map_or(0, Hchan::cap)
    }

    /// Whether the channel has been closed (a nil channel is not closed).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<u8>::new(0);
    /// c.close().unwrap();
    /// assert!(c.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.hchan().is_some_and(Hchan::is_closed)
    }

    /// Whether `self` and `other` are the same channel (Go's `==`).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = gochan::Chan::<u8>::new(0);
    /// assert!(a.same_channel(&a.clone()));
    /// assert!(!a.same_channel(&gochan::Chan::new(0)));
    /// ```
    pub fn same_channel(&self, other: &Chan<T>) -> bool {
        self == other
    }

    /// Closes the channel: buffered values still drain, then receives report
    /// closed; parked receivers wake with `None`, parked senders get their
    /// value back in an error.
    ///
    /// Go: `close(c)`.
    ///
    /// # Errors
    ///
    /// [`CloseError::Closed`] if already closed, [`CloseError::Nil`] for the
    /// nil channel (Go panics in both cases).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// c.send("last")?;
    /// c.close()?;
    /// assert!(c.close().is_err());
    /// assert_eq!(c.recv(), Some("last"));
    /// assert_eq!(c.recv(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(&self) -> Result<(), CloseError> {
        match self.hchan() {
            None => Err(CloseError::Nil),
            Some(c) if c.close() => Ok(()),
            Some(_) => Err(CloseError::Closed),
        }
    }

    /// Sends without blocking: succeeds if a receiver is parked or the buffer
    /// has room.
    ///
    /// Go: `select { case c <- v: default: }`.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if it would block (always for nil),
    /// [`TrySendError::Closed`] if closed; both give the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// use gochan::{Chan, TrySendError};
    /// let c = Chan::new(0);
    /// assert_eq!(c.try_send(1), Err(TrySendError::Full(1))); // nobody is receiving
    /// ```
    #[inline]
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        let Some(c) = self.hchan() else {
            return Err(TrySendError::Full(v));
        };
        if c.send_would_block() {
            return Err(TrySendError::Full(v));
        }
        let mut g = c.lock();
        // SAFETY: `g` holds `c`'s lock.
        match unsafe { g.send_locked(c, v) } {
            Sent::Done(w) => {
                drop(g);
                if let Some(w) = w {
                    w.wake();
                }
                Ok(())
            }
            Sent::Closed(v) => Err(TrySendError::Closed(v)),
            Sent::Full(v) => Err(TrySendError::Full(v)),
        }
    }

    /// Receives without blocking: a value if one is buffered or a sender is
    /// parked.
    ///
    /// Go: `select { case v, ok := <-c: default: }`.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if it would block (always for nil),
    /// [`TryRecvError::Closed`] if closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// c.send(5)?;
    /// assert_eq!(c.try_recv(), Ok(5));
    /// assert!(c.try_recv().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let Some(c) = self.hchan() else {
            return Err(TryRecvError::Empty);
        };
        if c.recv_would_block() {
            return Err(TryRecvError::Empty);
        }
        let mut g = c.lock();
        // SAFETY: `g` holds `c`'s lock.
        match unsafe { g.recv_locked(c) } {
            Recvd::Value(v, w) => {
                drop(g);
                // If the sender's (foreign) waker panics, `v` goes back to
                // the channel instead of being lost.
                Ok(c.wake_sender(v, w))
            }
            Recvd::Closed => Err(TryRecvError::Closed),
            Recvd::Empty => Err(TryRecvError::Empty),
        }
    }

    /// Sends `v`, blocking until a receiver takes it (unbuffered) or there is
    /// buffer room. Blocks forever on the nil channel.
    ///
    /// Go: `c <- v`.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the channel is closed, before or while
    /// waiting (Go panics).
    ///
    /// # Examples
    ///
    /// ```
    /// use gochan::Chan;
    /// let c = Chan::new(0);
    /// let r = c.clone();
    /// let t = std::thread::spawn(move || r.recv());
    /// c.send(42)?; // returns once the receiver has the value
    /// assert_eq!(t.join().unwrap(), Some(42));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        let w = crate::blocking::ThreadWait::new(None);
        match crate::blocking::chan_send(self.hchan(), v, &w) {
            Ok(()) => Ok(()),
            Err(e) => Err(SendError(e.into_inner())),
        }
    }

    /// Receives a value, blocking until one is available; `None` once the
    /// channel is closed and drained. Blocks forever on the nil channel.
    ///
    /// Go: `v, ok := <-c` (`None` is `ok == false`).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// c.send('x')?;
    /// assert_eq!(c.recv(), Some('x'));
    /// c.close()?;
    /// assert_eq!(c.recv(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn recv(&self) -> Option<T> {
        let w = crate::blocking::ThreadWait::new(None);
        match crate::blocking::chan_recv(self.hchan(), &w) {
            crate::blocking::RecvResult::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Sends, waiting at most `timeout`.
    ///
    /// Go: `select { case c <- v: case <-time.After(timeout): }`.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] or [`SendTimeoutError::Closed`], with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = gochan::Chan::new(1);
    /// c.send_timeout(1, Duration::from_millis(5))?;
    /// assert!(c.send_timeout(2, Duration::from_millis(5)).unwrap_err().is_timeout());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_deadline(v, deadline_after(timeout))
    }

    /// Sends, waiting at most until `deadline`.
    ///
    /// # Errors
    ///
    /// As [`Chan::send_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let c = gochan::Chan::new(0);
    /// let e = c.send_deadline(1, Instant::now() + Duration::from_millis(2));
    /// assert!(e.unwrap_err().is_timeout());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        let w = crate::blocking::ThreadWait::new(Some(deadline));
        crate::blocking::chan_send(self.hchan(), v, &w)
    }

    /// Receives, waiting at most `timeout`.
    ///
    /// Go: `select { case v, ok := <-c: case <-time.After(timeout): }`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`], or [`RecvTimeoutError::Closed`] once
    /// closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use gochan::{Chan, RecvTimeoutError};
    /// let c = Chan::<u8>::new(0);
    /// assert_eq!(c.recv_timeout(Duration::from_millis(2)), Err(RecvTimeoutError::Timeout));
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_deadline(deadline_after(timeout))
    }

    /// Receives, waiting at most until `deadline`.
    ///
    /// # Errors
    ///
    /// As [`Chan::recv_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let c = gochan::Chan::new(1);
    /// c.send(3)?;
    /// assert_eq!(c.recv_deadline(Instant::now() + Duration::from_secs(1)), Ok(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        let w = crate::blocking::ThreadWait::new(Some(deadline));
        match crate::blocking::chan_recv(self.hchan(), &w) {
            crate::blocking::RecvResult::Value(v) => Ok(v),
            crate::blocking::RecvResult::Closed => Err(RecvTimeoutError::Closed),
            crate::blocking::RecvResult::Timeout => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Sends, blocking on a caller-supplied parker: the blocking send for
    /// `no_std` targets (an RTOS task notification, or
    /// [`SpinPark`](gocore::park::SpinPark)).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the channel is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gocore::park::SpinPark;
    /// let park = Arc::new(SpinPark::new());
    /// let c = gochan::Chan::new(1);
    /// c.send_with(9, &park)?;
    /// assert_eq!(c.recv_with(&park), Some(9));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_with<P>(&self, v: T, park: &Arc<P>) -> Result<(), SendError<T>>
    where
        P: gocore::park::Park + Send + Sync + 'static,
    {
        let w = crate::blocking::ParkWait {
            park: &**park,
            waker: gocore::park::waker(park),
        };
        crate::blocking::chan_send(self.hchan(), v, &w).map_err(|e| SendError(e.into_inner()))
    }

    /// Receives, blocking on a caller-supplied parker (see [`Chan::send_with`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let park = Arc::new(gocore::park::SpinPark::new());
    /// let c = gochan::Chan::<u8>::new(1);
    /// c.close().unwrap();
    /// assert_eq!(c.recv_with(&park), None);
    /// ```
    pub fn recv_with<P>(&self, park: &Arc<P>) -> Option<T>
    where
        P: gocore::park::Park + Send + Sync + 'static,
    {
        let w = crate::blocking::ParkWait {
            park: &**park,
            waker: gocore::park::waker(park),
        };
        match crate::blocking::chan_recv(self.hchan(), &w) {
            crate::blocking::RecvResult::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Sends asynchronously: the future completes once a receiver has the
    /// value or it is buffered. Works with any executor (it only uses the
    /// context's waker). Dropping the pending future withdraws the send.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// gocore::park::block_on(async {
    ///     c.send_async(1).await.unwrap();
    ///     assert_eq!(c.recv_async().await, Some(1));
    /// });
    /// ```
    pub fn send_async(&self, v: T) -> SendFuture<'_, T> {
        SendFuture::new(self.hchan(), v)
    }

    /// Receives asynchronously; `None` once closed and drained. Dropping the
    /// pending future withdraws the receive, and a value that had already
    /// been handed to it is given back to the channel (no message is lost).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(0);
    /// let tx = c.clone();
    /// let t = std::thread::spawn(move || tx.send("hi").unwrap());
    /// assert_eq!(gocore::park::block_on(c.recv_async()), Some("hi"));
    /// t.join().unwrap();
    /// ```
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        RecvFuture::new(self.hchan())
    }

    /// A blocking iterator over received values, ending when the channel is
    /// closed and drained.
    ///
    /// Go: `for v := range c`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(3);
    /// for i in 0..3 { c.send(i)?; }
    /// c.close()?;
    /// assert_eq!(c.iter().collect::<Vec<_>>(), [0, 1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            chan: self,
            done: false,
        }
    }

    /// A non-blocking iterator over the values available right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(3);
    /// c.try_send(1).unwrap();
    /// c.try_send(2).unwrap();
    /// assert_eq!(c.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { chan: self }
    }

    /// A consistent snapshot of the channel's `hchan` fields (taken under its
    /// lock): for diagnostics, tests and teaching. `None` for the nil channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(4);
    /// c.send('a')?;
    /// c.send('b')?;
    /// c.recv();
    /// let s = c.snapshot().unwrap();
    /// assert_eq!((s.qcount, s.dataqsiz, s.sendx, s.recvx), (1, 4, 2, 1));
    /// assert_eq!((s.recvq, s.sendq, s.closed), (0, 0, false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot(&self) -> Option<Snapshot> {
        self.hchan().map(|c| c.lock().snapshot())
    }

    /// A send-only view of this channel. Go: `chan<- T`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// let tx = c.sender();
    /// tx.send(1)?;
    /// assert_eq!(c.recv(), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sender(&self) -> Sender<T> {
        Sender {
            chan: self.derive(SEND),
        }
    }

    /// A receive-only view of this channel. Go: `<-chan T`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// let rx = c.receiver();
    /// c.send(1)?;
    /// assert_eq!(rx.recv(), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receiver(&self) -> Receiver<T> {
        Receiver {
            chan: self.derive(RECV),
        }
    }
}

#[cfg(feature = "std")]
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    // A timeout too large for `Instant` means "never": a far deadline.
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// The fields of Go's `hchan` at one instant; see [`Chan::snapshot`].
///
/// # Examples
///
/// ```
/// let c = gochan::Chan::<u8>::new(2);
/// c.close().unwrap();
/// assert!(c.snapshot().unwrap().closed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Buffered values. Go: `qcount`.
    pub qcount: usize,
    /// Buffer size. Go: `dataqsiz`.
    pub dataqsiz: usize,
    /// Next slot a send fills. Go: `sendx`.
    pub sendx: usize,
    /// Next slot a receive drains. Go: `recvx`.
    pub recvx: usize,
    /// Go: `closed != 0`.
    pub closed: bool,
    /// Parked receivers (including select cases). Go: length of `recvq`.
    pub recvq: usize,
    /// Parked senders (including select cases). Go: length of `sendq`.
    pub sendq: usize,
}

/// A blocking iterator over a channel's values: Go's `for v := range c`.
///
/// # Examples
///
/// ```
/// let c = gochan::Chan::new(1);
/// c.send(1)?;
/// c.close()?;
/// let mut it = c.iter();
/// assert_eq!(it.next(), Some(1));
/// assert_eq!(it.next(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub struct Iter<'a, T> {
    chan: &'a Chan<T>,
    /// Set once `recv` has reported closed: a value given back to the
    /// channel afterwards (a dropped receive's, hchan I9) must not revive
    /// the iterator, which is fused.
    done: bool,
}

#[cfg(feature = "std")]
impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        if self.done {
            return None;
        }
        let v = self.chan.recv();
        self.done = v.is_none();
        v
    }
}

/// Once `next` has returned `None` (closed and drained), it always does, as
/// Go's `for v := range c` loop is over for good.
#[cfg(feature = "std")]
impl<T> core::iter::FusedIterator for Iter<'_, T> {}

// Debug for any `T`, as the channel handles themselves (no value is shown).
#[cfg(feature = "std")]
impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("chan", self.chan)
            .field("done", &self.done)
            .finish()
    }
}

impl<T> fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryIter").field("chan", self.chan).finish()
    }
}

#[cfg(feature = "std")]
impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("rx", &self.rx)
            .field("done", &self.done)
            .finish()
    }
}

/// A non-blocking iterator over the values available now; see [`Chan::try_iter`].
///
/// # Examples
///
/// ```
/// let c = gochan::Chan::<u8>::new(1);
/// assert_eq!(c.try_iter().next(), None);
/// ```
pub struct TryIter<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.try_recv().ok()
    }
}

/// An owning blocking iterator; see [`Chan::iter`].
///
/// # Examples
///
/// ```
/// let c = gochan::Chan::new(2);
/// c.send(1)?;
/// c.close()?;
/// let v: Vec<i32> = c.into_iter().collect();
/// assert_eq!(v, [1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub struct IntoIter<T> {
    rx: Receiver<T>,
    /// As [`Iter`]'s: set once `recv` has reported closed.
    done: bool,
}

#[cfg(feature = "std")]
impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        if self.done {
            return None;
        }
        let v = self.rx.recv();
        self.done = v.is_none();
        v
    }
}

/// Once `next` has returned `None` (closed and drained), it always does, as
/// [`Iter`] does.
#[cfg(feature = "std")]
impl<T> core::iter::FusedIterator for IntoIter<T> {}

#[cfg(feature = "std")]
impl<'a, T> IntoIterator for &'a Chan<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[cfg(feature = "std")]
impl<T> IntoIterator for Chan<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    /// Keeps only the receiving role: in close-on-drop mode, if this was
    /// the last handle that could send, the channel closes now and the
    /// iterator ends after the buffered values.
    fn into_iter(self) -> IntoIter<T> {
        IntoIter {
            rx: self.into(),
            done: false,
        }
    }
}

/// The send-only view of a channel. Go: `chan<- T`.
///
/// # Examples
///
/// ```
/// use gochan::{Chan, Sender};
/// fn produce(tx: Sender<u32>) {
///     for i in 0..3 { tx.send(i).unwrap(); }
///     tx.close().unwrap();
/// }
/// let c = Chan::new(3);
/// produce(c.sender());
/// assert_eq!(c.iter().sum::<u32>(), 3);
/// ```
#[doc(alias = "chan<-")]
pub struct Sender<T> {
    chan: Chan<T>,
}

/// The receive-only view of a channel. Go: `<-chan T`.
///
/// # Examples
///
/// ```
/// use gochan::{Chan, Receiver};
/// fn total(rx: &Receiver<u32>) -> u32 { rx.iter().sum() }
/// let c = Chan::new(3);
/// c.send(1)?; c.send(2)?;
/// c.close()?;
/// assert_eq!(total(&c.receiver()), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "<-chan")]
pub struct Receiver<T> {
    chan: Chan<T>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            chan: self.chan.derive(SEND),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver {
            chan: self.chan.derive(RECV),
        }
    }
}

impl<T> Drop for Sender<T> {
    /// Releases the sending role: in close-on-drop mode, the last handle that
    /// can send closes the channel. The inner `Chan` is left nil, so its own
    /// drop does nothing.
    fn drop(&mut self) {
        release(self.chan.inner.take(), SEND);
    }
}

impl<T> Drop for Receiver<T> {
    /// Releases the receiving role: in close-on-drop mode, the last handle
    /// that can receive closes the channel and drops its buffered values.
    fn drop(&mut self) {
        release(self.chan.inner.take(), RECV);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sender").field(&self.chan).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Receiver").field(&self.chan).finish()
    }
}

impl<T> From<Chan<T>> for Sender<T> {
    /// Keeps only the sending role: in close-on-drop mode, if `chan` was the
    /// last handle that could receive, the channel closes.
    fn from(mut chan: Chan<T>) -> Self {
        // Build the `Sender` first: if releasing the receiving role panics (a
        // buffered value's `Drop`), unwinding drops it and its sending role
        // is released too.
        let tx = Sender {
            chan: Chan {
                inner: chan.inner.take(),
            },
        };
        release(tx.chan.inner.clone(), RECV);
        tx
    }
}

impl<T> From<Chan<T>> for Receiver<T> {
    /// Keeps only the receiving role: in close-on-drop mode, if `chan` was
    /// the last handle that could send, the channel closes.
    fn from(mut chan: Chan<T>) -> Self {
        // As for `Sender`: the `Receiver` exists before any user code runs.
        let rx = Receiver {
            chan: Chan {
                inner: chan.inner.take(),
            },
        };
        release(rx.chan.inner.clone(), SEND);
        rx
    }
}

impl<T> PartialEq for Sender<T> {
    fn eq(&self, other: &Self) -> bool {
        self.chan == other.chan
    }
}

impl<T> PartialEq for Receiver<T> {
    fn eq(&self, other: &Self) -> bool {
        self.chan == other.chan
    }
}

impl<T> Default for Sender<T> {
    /// A view of the nil channel.
    fn default() -> Self {
        Chan::nil().into()
    }
}

impl<T> Default for Receiver<T> {
    /// A view of the nil channel.
    fn default() -> Self {
        Chan::nil().into()
    }
}

macro_rules! shared_methods {
    () => {
        /// The number of buffered values. Go: `len(c)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let c = gochan::Chan::<u8>::new(2);
        /// assert_eq!(c.sender().len(), 0);
        /// assert_eq!(c.receiver().len(), 0);
        /// ```
        pub fn len(&self) -> usize {
            self.chan.len()
        }

        /// Whether no values are buffered.
        ///
        /// # Examples
        ///
        /// ```
        /// assert!(gochan::Chan::<u8>::new(2).receiver().is_empty());
        /// ```
        pub fn is_empty(&self) -> bool {
            self.chan.is_empty()
        }

        /// Whether the buffer is full (`len(c) == cap(c)`); see
        /// [`Chan::is_full`].
        ///
        /// # Examples
        ///
        /// ```
        /// let c = gochan::Chan::new(1);
        /// c.try_send(1).unwrap();
        /// assert!(c.sender().is_full());
        /// assert!(c.receiver().is_full());
        /// ```
        pub fn is_full(&self) -> bool {
            self.chan.is_full()
        }

        /// Whether `self` and `other` are views of the same channel (Go's
        /// `==`; the same as `self == other`).
        ///
        /// # Examples
        ///
        /// ```
        /// let c = gochan::Chan::<u8>::new(0);
        /// assert!(c.sender().same_channel(&c.sender()));
        /// assert!(!c.receiver().same_channel(&gochan::Chan::new(0).receiver()));
        /// ```
        pub fn same_channel(&self, other: &Self) -> bool {
            self.chan.same_channel(&other.chan)
        }

        /// The buffer size. Go: `cap(c)`.
        ///
        /// # Examples
        ///
        /// ```
        /// assert_eq!(gochan::Chan::<u8>::new(2).sender().cap(), 2);
        /// ```
        pub fn cap(&self) -> usize {
            self.chan.cap()
        }

        /// Whether the channel has been closed.
        ///
        /// # Examples
        ///
        /// ```
        /// let c = gochan::Chan::<u8>::new(0);
        /// c.close().unwrap();
        /// assert!(c.receiver().is_closed());
        /// ```
        pub fn is_closed(&self) -> bool {
            self.chan.is_closed()
        }

        /// Whether this is a view of the nil channel.
        ///
        /// # Examples
        ///
        /// ```
        /// assert!(gochan::Receiver::<u8>::default().is_nil());
        /// ```
        pub fn is_nil(&self) -> bool {
            self.chan.is_nil()
        }

        pub(crate) fn chan(&self) -> &Chan<T> {
            &self.chan
        }
    };
}

impl<T> Sender<T> {
    shared_methods!();

    /// Sends, blocking. See [`Chan::send`].
    ///
    /// # Errors
    ///
    /// [`SendError`] if the channel is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// c.sender().send(1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        self.chan.send(v)
    }

    /// Sends without blocking. See [`Chan::try_send`].
    ///
    /// # Errors
    ///
    /// [`TrySendError`] with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::Chan::new(0).sender().try_send(1).is_err());
    /// ```
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(v)
    }

    /// Sends with a timeout. See [`Chan::send_timeout`].
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError`] with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert!(gochan::Chan::new(0).sender().send_timeout(1, Duration::from_millis(1)).is_err());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.chan.send_timeout(v, timeout)
    }

    /// Sends with a deadline. See [`Chan::send_deadline`].
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError`] with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// assert!(gochan::Chan::new(0).sender().send_deadline(1, Instant::now()).is_err());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.chan.send_deadline(v, deadline)
    }

    /// Sends asynchronously. See [`Chan::send_async`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// gocore::park::block_on(c.sender().send_async(1)).unwrap();
    /// assert_eq!(c.try_recv(), Ok(1));
    /// ```
    pub fn send_async(&self, v: T) -> SendFuture<'_, T> {
        self.chan.send_async(v)
    }

    /// Closes the channel. See [`Chan::close`].
    ///
    /// # Errors
    ///
    /// [`CloseError`] if closed already or nil.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<u8>::new(0);
    /// c.sender().close()?;
    /// assert!(c.is_closed());
    /// # Ok::<(), gochan::CloseError>(())
    /// ```
    pub fn close(&self) -> Result<(), CloseError> {
        self.chan.close()
    }
}

impl<T> Receiver<T> {
    shared_methods!();

    /// Receives, blocking. See [`Chan::recv`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// c.send(2)?;
    /// assert_eq!(c.receiver().recv(), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn recv(&self) -> Option<T> {
        self.chan.recv()
    }

    /// Receives without blocking. See [`Chan::try_recv`].
    ///
    /// # Errors
    ///
    /// [`TryRecvError`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::Chan::<u8>::new(1).receiver().try_recv().is_err());
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives with a timeout. See [`Chan::recv_timeout`].
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert!(gochan::Chan::<u8>::new(1).receiver().recv_timeout(Duration::from_millis(1)).is_err());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.chan.recv_timeout(timeout)
    }

    /// Receives with a deadline. See [`Chan::recv_deadline`].
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// assert!(gochan::Chan::<u8>::new(1).receiver().recv_deadline(Instant::now()).is_err());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.chan.recv_deadline(deadline)
    }

    /// Receives asynchronously. See [`Chan::recv_async`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<u8>::new(1);
    /// c.close().unwrap();
    /// assert_eq!(gocore::park::block_on(c.receiver().recv_async()), None);
    /// ```
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        self.chan.recv_async()
    }

    /// A blocking iterator. See [`Chan::iter`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<u8>::new(1);
    /// c.close().unwrap();
    /// assert_eq!(c.receiver().iter().count(), 0);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn iter(&self) -> Iter<'_, T> {
        self.chan.iter()
    }

    /// A non-blocking iterator. See [`Chan::try_iter`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<u8>::new(1);
    /// assert_eq!(c.receiver().try_iter().count(), 0);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        self.chan.try_iter()
    }
}

#[cfg(feature = "std")]
impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[cfg(feature = "std")]
impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter {
            rx: self,
            done: false,
        }
    }
}

/// Channels that can be received from: [`Chan`] and [`Receiver`] (and
/// references to them). Used by [`select!`](crate::select!) and [`Select`](crate::Select).
///
/// # Examples
///
/// ```
/// use gochan::{CanRecv, Chan};
/// fn drain<C: CanRecv<u8>>(c: &C) -> usize { c.as_chan().try_iter().count() }
/// let c = Chan::new(2);
/// c.try_send(1).unwrap();
/// assert_eq!(drain(&c.receiver()), 1);
/// ```
pub trait CanRecv<T>: sealed::Sealed {
    /// The underlying channel.
    fn as_chan(&self) -> &Chan<T>;
}

/// Channels that can be sent on: [`Chan`] and [`Sender`] (and references).
///
/// # Examples
///
/// ```
/// use gochan::{CanSend, Chan};
/// fn put<C: CanSend<u8>>(c: &C) { c.as_chan().try_send(1).unwrap(); }
/// let c = Chan::new(1);
/// put(&c.sender());
/// assert_eq!(c.len(), 1);
/// ```
pub trait CanSend<T>: sealed::Sealed {
    /// The underlying channel.
    fn as_chan(&self) -> &Chan<T>;
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::Chan<T> {}
    impl<T> Sealed for super::Sender<T> {}
    impl<T> Sealed for super::Receiver<T> {}
    impl<C: Sealed + ?Sized> Sealed for &C {}
}

impl<T> CanRecv<T> for Chan<T> {
    fn as_chan(&self) -> &Chan<T> {
        self
    }
}
impl<T> CanRecv<T> for Receiver<T> {
    fn as_chan(&self) -> &Chan<T> {
        self.chan()
    }
}
impl<T, C: CanRecv<T> + ?Sized> CanRecv<T> for &C {
    fn as_chan(&self) -> &Chan<T> {
        (**self).as_chan()
    }
}
impl<T> CanSend<T> for Chan<T> {
    fn as_chan(&self) -> &Chan<T> {
        self
    }
}
impl<T> CanSend<T> for Sender<T> {
    fn as_chan(&self) -> &Chan<T> {
        self.chan()
    }
}
impl<T, C: CanSend<T> + ?Sized> CanSend<T> for &C {
    fn as_chan(&self) -> &Chan<T> {
        (**self).as_chan()
    }
}
