//! Async send and receive: the sudog lives inside the pinned future.
//!
//! A future that cannot complete on its first poll parks a sudog (a field of
//! the future, which is `!Unpin`, so it cannot move once polled) on the
//! channel's queue with the task's waker. The counterpart completes it exactly
//! as it completes a blocked thread (`hchan` I5, I6). Later polls read the
//! sudog's state, or refresh the waker under the lock if still waiting.
//!
//! Dropping a pending future unlinks the sudog under the lock (`hchan` I11).
//! A receive that had already been handed a value (state `SUCCESS`) but is
//! dropped before returning it gives the value back to the head of the
//! channel (`hchan` I9), so no message is ever lost (if the channel was
//! closed meanwhile, see `hchan`'s divergences); a send dropped before
//! completing takes its value with it (it was never sent). No runtime is
//! needed: only `Context::waker`.
//!
//! The task's waker is foreign code. It is cloned before the lock is taken
//! (up front when the lock-free check predicts parking; otherwise a first
//! attempt that must park unlocks, clones, and tries again), and woken or
//! dropped only after the lock is released (`hchan` I12). A counterpart we
//! completed is woken before our spare clone is dropped. If foreign code
//! panics, nothing is left linked and no value is lost: a send's value is
//! back in the future, a received value back in the channel, and a
//! completed counterpart has been woken.
//!
//! Right before returning `Poll::Pending`, each future records Go's wait
//! reason for the task in [`gocore::wait`] (`chan receive`, `chan send`, or
//! their `(nil chan)` variants): one thread-local write, on that path only.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use gocore::wait::{self, WaitReason};

use crate::err::SendError;

use crate::hchan::{Hchan, Recvd, Sent, Sudog, SUCCESS};

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
            wait::set(WaitReason::ChanReceiveNilChan);
            return Poll::Pending;
        };
        if this.queued {
            return match this.sudog.repoll(c, cx.waker()) {
                Some(state) => this.finish(state),
                None => {
                    wait::set(WaitReason::ChanReceive);
                    Poll::Pending
                }
            };
        }
        // If the receive will likely have to park, clone the task's waker
        // now, outside the lock, so parking takes a single lock round-trip.
        let mut waker = c.recv_would_block().then(|| cx.waker().clone());
        loop {
            let mut g = c.lock();
            // SAFETY: `g` holds `c`'s lock.
            match unsafe { g.recv_locked(c) } {
                Recvd::Value(v, w) => {
                    drop(g);
                    if w.is_none() && waker.is_none() {
                        this.done = true;
                        return Poll::Ready(Some(v));
                    }
                    // Foreign wakes and drops: if one panics, `v` goes back
                    // to the channel (hchan I9, I12). The completed sender
                    // is woken first, so a panicking drop of our spare
                    // waker cannot leave it asleep.
                    let v = c.keep_while(v, || {
                        if let Some(w) = w {
                            w.wake();
                        }
                        drop(waker);
                    });
                    this.done = true;
                    return Poll::Ready(Some(v));
                }
                Recvd::Closed => {
                    drop(g);
                    this.done = true;
                    drop(waker);
                    return Poll::Ready(None);
                }
                Recvd::Empty => match waker.take() {
                    Some(waker) => {
                        // SAFETY: the sudog is pinned inside the future and
                        // unlinked in `Drop` if still linked; we hold the lock.
                        unsafe {
                            *this.sudog.waker.get() = Some(waker);
                            g.enqueue_recv(c, &this.sudog);
                        }
                        this.queued = true;
                        drop(g);
                        wait::set(WaitReason::ChanReceive);
                        return Poll::Pending;
                    }
                    None => {
                        // Clone the task's waker outside the lock, then retry.
                        drop(g);
                        waker = Some(cx.waker().clone());
                    }
                },
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
        // SAFETY: `queued`: the sudog is a plain one we enqueued on `c`'s
        // recvq and have not collected (`finish` clears `queued`).
        unsafe { c.abandon_recv(&self.sudog) };
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
            wait::set(WaitReason::ChanSendNilChan);
            return Poll::Pending;
        };
        if this.queued {
            return match this.sudog.repoll(c, cx.waker()) {
                Some(state) => this.finish(state),
                None => {
                    wait::set(WaitReason::ChanSend);
                    Poll::Pending
                }
            };
        }
        assert!(this.value.is_some(), "SendFuture polled after completion");
        // As in `RecvFuture::poll`: clone the waker up front if the send
        // will likely park.
        let mut waker = c.send_would_block().then(|| cx.waker().clone());
        loop {
            let Some(v) = this.value.take() else {
                unreachable!("the value is put back before every retry")
            };
            let mut g = c.lock();
            // SAFETY: `g` holds `c`'s lock.
            match unsafe { g.send_locked(c, v) } {
                Sent::Done(w) => {
                    drop(g);
                    // The completed receiver first: a panicking drop of our
                    // spare waker must not leave it asleep.
                    if let Some(w) = w {
                        w.wake();
                    }
                    drop(waker);
                    return Poll::Ready(Ok(()));
                }
                Sent::Closed(v) => {
                    drop(g);
                    drop(waker);
                    return Poll::Ready(Err(SendError(v)));
                }
                Sent::Full(v) => match waker.take() {
                    Some(waker) => {
                        // SAFETY: the sudog is pinned in the future, unlinked
                        // in Drop if still linked; elem is fresh; we hold the
                        // lock.
                        unsafe {
                            *this.sudog.waker.get() = Some(waker);
                            (*this.sudog.elem.get()).write(v);
                            g.enqueue_send(c, &this.sudog);
                        }
                        this.queued = true;
                        drop(g);
                        wait::set(WaitReason::ChanSend);
                        return Poll::Pending;
                    }
                    None => {
                        // Keep the value in the future while foreign code
                        // runs: clone the task's waker outside the lock.
                        this.value = Some(v);
                        drop(g);
                        waker = Some(cx.waker().clone());
                    }
                },
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
        // SAFETY: `queued`: the sudog is a plain one we enqueued on `c`'s
        // sendq with our value and have not collected (`finish` clears
        // `queued`). The value, if still ours, is dropped outside the lock:
        // it was never sent.
        let (_, v) = unsafe { c.abandon_send(&self.sudog) };
        drop(v);
    }
}
