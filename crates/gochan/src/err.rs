//! Error types, one per operation family, each giving the unsent value back.
//!
//! Where Go panics (`send on closed channel`, `close of closed channel`,
//! `close of nil channel`) we return one of these; their `Display` is Go's
//! panic message, so `.unwrap()` reads like the Go program that panicked.

use core::fmt;

/// A send on a closed channel: the value comes back.
///
/// Go: the panic `send on closed channel`.
///
/// # Examples
///
/// ```
/// use gochan::{Chan, SendError};
/// let c = Chan::new(1);
/// c.close().unwrap();
/// let err: SendError<i32> = c.send(7).unwrap_err();
/// assert_eq!(err.into_inner(), 7);
/// assert_eq!(err.to_string(), "send on closed channel");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// Returns the value that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gochan::SendError(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("send on closed channel")
    }
}

impl<T> core::error::Error for SendError<T> {}

/// Why a non-blocking send did not happen; the value comes back.
///
/// Go: `select { case c <- v: default: }` taking `default` (`Full`), or
/// panicking (`Closed`).
///
/// # Examples
///
/// ```
/// use gochan::{Chan, TrySendError};
/// let c = Chan::new(1);
/// c.try_send(1).unwrap();
/// assert_eq!(c.try_send(2), Err(TrySendError::Full(2)));
/// c.close().unwrap();
/// assert_eq!(c.try_send(3), Err(TrySendError::Closed(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No receiver is waiting and the buffer has no room (or the channel is nil).
    Full(T),
    /// The channel is closed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// Returns the value that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gochan::TrySendError::Full(1).into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }

    /// Whether the send failed because the channel was full.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::TrySendError::Full(1).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the send failed because the channel was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::TrySendError::Closed(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Closed(e.0)
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Closed(_) => f.write_str("send on closed channel"),
        }
    }
}

impl<T> core::error::Error for TrySendError<T> {}

/// Why a send with a timeout did not happen; the value comes back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gochan::{Chan, SendTimeoutError};
/// let c = Chan::new(0); // nobody receives
/// let e = c.send_timeout(5, Duration::from_millis(1)).unwrap_err();
/// assert_eq!(e, SendTimeoutError::Timeout(5));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// The time ran out first.
    Timeout(T),
    /// The channel is (or got) closed.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// Returns the value that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gochan::SendTimeoutError::Timeout(1).into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Closed(v) => v,
        }
    }

    /// Whether the time ran out.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::SendTimeoutError::Timeout(1).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// Whether the channel was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::SendTimeoutError::Closed(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, SendTimeoutError::Closed(_))
    }
}

impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(e: SendError<T>) -> Self {
        SendTimeoutError::Closed(e.0)
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            SendTimeoutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("timed out waiting on send operation"),
            SendTimeoutError::Closed(_) => f.write_str("send on closed channel"),
        }
    }
}

impl<T> core::error::Error for SendTimeoutError<T> {}

/// Why a non-blocking receive returned nothing.
///
/// Go: `select { case v, ok := <-c: default: }` taking `default` (`Empty`),
/// or receiving `ok == false` (`Closed`).
///
/// # Examples
///
/// ```
/// use gochan::{Chan, TryRecvError};
/// let c = Chan::<i32>::new(1);
/// assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
/// c.close().unwrap();
/// assert_eq!(c.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing to receive right now (or the channel is nil).
    Empty,
    /// The channel is closed and drained.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Closed => f.write_str("receiving on a closed channel"),
        }
    }
}

impl core::error::Error for TryRecvError {}

/// Why a receive with a timeout returned nothing.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gochan::{Chan, RecvTimeoutError};
/// let c = Chan::<i32>::nil(); // a nil channel never delivers
/// assert_eq!(c.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// The time ran out first.
    Timeout,
    /// The channel is closed and drained.
    Closed,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvTimeoutError::Timeout => f.write_str("timed out waiting on receive operation"),
            RecvTimeoutError::Closed => f.write_str("receiving on a closed channel"),
        }
    }
}

impl core::error::Error for RecvTimeoutError {}

/// Why `close` failed.
///
/// Go: the panics `close of closed channel` and `close of nil channel`.
///
/// # Examples
///
/// ```
/// use gochan::{Chan, CloseError};
/// let c = Chan::<u8>::new(0);
/// c.close().unwrap();
/// assert_eq!(c.close(), Err(CloseError::Closed));
/// assert_eq!(Chan::<u8>::nil().close(), Err(CloseError::Nil));
/// assert_eq!(CloseError::Closed.to_string(), "close of closed channel");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseError {
    /// The channel was already closed.
    Closed,
    /// The channel is nil.
    Nil,
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::Closed => f.write_str("close of closed channel"),
            CloseError::Nil => f.write_str("close of nil channel"),
        }
    }
}

impl core::error::Error for CloseError {}

/// Why a channel could not be made with the requested capacity.
///
/// Go: `make(chan T, n)` panics with `makechan: size out of range` when
/// `n * size_of::<T>()` overflows or exceeds the largest allocation Go allows
/// (`maxAlloc - hchanSize`: 2⁴⁸ − 96 bytes on 64-bit targets, 2³² − 1 − 56
/// on 32-bit ones); Go dies with a fatal `out of memory` when the allocator
/// then fails. [`Chan::try_new`](crate::Chan::try_new) reports both instead.
///
/// # Examples
///
/// ```
/// use gochan::{Chan, MakeChanError};
/// let err = Chan::<u64>::try_new(usize::MAX).unwrap_err();
/// assert_eq!(err, MakeChanError::OutOfRange);
/// assert_eq!(err.to_string(), "makechan: size out of range");
/// ```
#[doc(alias = "makechan")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MakeChanError {
    /// A capacity Go rejects too: the buffer would exceed Go's `maxAlloc`.
    OutOfRange,
    /// A capacity Go accepts, but the allocator could not provide the buffer
    /// (or, on 32-bit targets, it exceeds Rust's `isize::MAX`-byte limit).
    AllocFailed {
        /// The size of the buffer that could not be allocated, in bytes.
        bytes: usize,
    },
}

impl fmt::Display for MakeChanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MakeChanError::OutOfRange => f.write_str("makechan: size out of range"),
            MakeChanError::AllocFailed { bytes } => {
                write!(f, "makechan: cannot allocate a {bytes}-byte buffer")
            }
        }
    }
}

impl core::error::Error for MakeChanError {}
