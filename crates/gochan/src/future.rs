//! Async send and receive: the sudog lives inside the pinned future.
//!
//! A future that cannot complete on its first poll parks a sudog (a field of
//! the future, which is `!Unpin`, so it cannot move once polled) on the
//! channel's queue with the task's waker. The counterpart completes it exactly
//! as it completes a blocked thread (`hchan` I5, I6). Later polls read the
//! sudog's state, or refresh the waker under the lock if still waiting.
//!
//! Dropping a pending future unlinks the sudog under the lock. A receive that
//! had already been handed a value (state `SUCCESS`) but is dropped before
//! returning it gives the value back to the channel (`hchan` I9), so no
//! message is ever lost; a send dropped before completing takes its value
//! with it (it was never sent). No runtime is needed: only `Context::waker`.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::err::SendError;
use crate::hchan::{Hchan, Recvd, Sent, Sudog, SUCCESS, WAITING};

/// The future of [`Chan::recv_async`](crate::Chan::recv_async).
///
/// # Examples
///
/// ```
/// let c = gochan::Chan::new(1);
/// c.try_send(3).unwrap();
/// let fut: gochan::RecvFuture<'_, i32> = c.recv_async();
/// assert_eq!(gocore::park::block_on(fut), Some(3));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    chan: Option<&'a Hchan<T>>,
    sudog: Sudog<T>,
    queued: bool,
    done: bool,
}

/// The future of [`Chan::send_async`](crate::Chan::send_async).
///
/// # Examples
///
/// ```
/// let c = gochan::Chan::new(1);
/// let fut: gochan::SendFuture<'_, i32> = c.send_async(3);
/// gocore::park::block_on(fut).unwrap();
/// assert_eq!(c.try_recv(), Ok(3));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    chan: Option<&'a Hchan<T>>,
    value: Option<T>,
    sudog: Sudog<T>,
    queued: bool,
}

// SAFETY: the future owns at most one `T` (in `value` or the sudog) and
// borrows a channel that is `Sync` for `T: Send`; the sudog's raw pointers are
// only followed under the channel lock. Moving the future to another thread
// moves that `T`.
unsafe impl<T: Send> Send for RecvFuture<'_, T> {}
// SAFETY: `&RecvFuture` exposes nothing (every operation needs `Pin<&mut>`).
unsafe impl<T: Send> Sync for RecvFuture<'_, T> {}
// SAFETY: as for `RecvFuture`.
unsafe impl<T: Send> Send for SendFuture<'_, T> {}
// SAFETY: as for `RecvFuture`.
unsafe impl<T: Send> Sync for SendFuture<'_, T> {}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("queued", &self.queued)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("queued", &self.queued)
            .finish_non_exhaustive()
    }
}

impl<'a, T> RecvFuture<'a, T> {
    pub(crate) fn new(chan: Option<&'a Hchan<T>>) -> Self {
        RecvFuture {
            chan,
            sudog: Sudog::new(),
            queued: false,
            done: false,
        }
    }

    /// Collects the result of a completed sudog.
    fn finish(&mut self, state: u8) -> Poll<Option<T>> {
        self.queued = false;
        self.done = true;
        if state == SUCCESS {
            // SAFETY: SUCCESS: the sender filled elem and no longer touches the
            // sudog (I5, I6); `queued = false` makes this the only read.
            Poll::Ready(Some(unsafe { (*self.sudog.elem.get()).assume_init_read() }))
        } else {
            Poll::Ready(None)
        }
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        // SAFETY: we never move out of `self`; the sudog stays where it is.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(!this.done, "RecvFuture polled after completion");
        let Some(c) = this.chan else {
            // The nil channel never delivers.
            return Poll::Pending;
        };
        if this.queued {
            return match this.sudog.repoll(c, cx.waker()) {
                Some(state) => this.finish(state),
                None => Poll::Pending,
            };
        }
        let mut g = c.lock();
        // SAFETY: `g` holds `c`'s lock.
        match unsafe { g.recv_locked(c) } {
            Recvd::Value(v, w) => {
                drop(g);
                if let Some(w) = w {
                    w.wake();
                }
                this.done = true;
                Poll::Ready(Some(v))
            }
            Recvd::Closed => {
                this.done = true;
                Poll::Ready(None)
            }
            Recvd::Empty => {
                // SAFETY: the sudog is pinned inside the future and unlinked
                // in `Drop` if still linked; we hold the lock.
                unsafe {
                    *this.sudog.waker.get() = Some(cx.waker().clone());
                    g.enqueue_recv(c, &this.sudog);
                }
                this.queued = true;
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        if !self.queued {
            return;
        }
        let Some(c) = self.chan else { return };
        let mut g = c.lock();
        match self.sudog.load_state() {
            // SAFETY: lock held; the sudog is in `recvq` or nowhere.
            WAITING => unsafe { g.cancel_recv(c, &self.sudog) },
            SUCCESS => {
                // Handed a value we will never return: give it back (I9).
                // SAFETY: SUCCESS means elem is initialised and ours (I5, I6).
                let v = unsafe { (*self.sudog.elem.get()).assume_init_read() };
                // SAFETY: lock held.
                let w = unsafe { g.redeliver(c, v) };
                drop(g);
                if let Some(w) = w {
                    w.wake();
                }
            }
            _ => {}
        }
    }
}

impl<'a, T> SendFuture<'a, T> {
    pub(crate) fn new(chan: Option<&'a Hchan<T>>, v: T) -> Self {
        SendFuture {
            chan,
            value: Some(v),
            sudog: Sudog::new(),
            queued: false,
        }
    }

    fn finish(&mut self, state: u8) -> Poll<Result<(), SendError<T>>> {
        self.queued = false;
        if state == SUCCESS {
            Poll::Ready(Ok(()))
        } else {
            // SAFETY: CLOSED leaves the value in elem, ours again (I5, I6).
            let v = unsafe { (*self.sudog.elem.get()).assume_init_read() };
            Poll::Ready(Err(SendError(v)))
        }
    }
}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: we never move out of `self` (only out of `value`, which is
        // not structurally pinned); the sudog stays where it is.
        let this = unsafe { self.get_unchecked_mut() };
        let Some(c) = this.chan else {
            return Poll::Pending;
        };
        if this.queued {
            return match this.sudog.repoll(c, cx.waker()) {
                Some(state) => this.finish(state),
                None => Poll::Pending,
            };
        }
        let v = this
            .value
            .take()
            .expect("SendFuture polled after completion");
        let mut g = c.lock();
        // SAFETY: `g` holds `c`'s lock.
        match unsafe { g.send_locked(c, v) } {
            Sent::Done(w) => {
                drop(g);
                if let Some(w) = w {
                    w.wake();
                }
                Poll::Ready(Ok(()))
            }
            Sent::Closed(v) => Poll::Ready(Err(SendError(v))),
            Sent::Full(v) => {
                // SAFETY: the sudog is pinned in the future, unlinked in Drop
                // if still linked; elem is fresh; we hold the lock.
                unsafe {
                    (*this.sudog.elem.get()).write(v);
                    *this.sudog.waker.get() = Some(cx.waker().clone());
                    g.enqueue_send(c, &this.sudog);
                }
                this.queued = true;
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        if !self.queued {
            return;
        }
        let Some(c) = self.chan else { return };
        let mut g = c.lock();
        let state = self.sudog.load_state();
        if state == WAITING {
            // SAFETY: lock held; the sudog is in `sendq` or nowhere.
            unsafe { g.cancel_send(c, &self.sudog) };
        }
        drop(g);
        if state != SUCCESS {
            // SAFETY: WAITING (now unlinked) or CLOSED: the value is still
            // ours (I5); drop it — it was never sent.
            unsafe { (*self.sudog.elem.get()).assume_init_drop() };
        }
    }
}
