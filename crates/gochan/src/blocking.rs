//! Blocking send and receive: park a sudog, spin a little, then sleep.
//!
//! Go's `chansend`/`chanrecv` with `block == true`: try the locked operation;
//! if it cannot proceed, put a sudog for the caller on the channel's queue,
//! release the lock and `gopark`. Here the sudog is a local of the blocked
//! function, so it cannot move; the function does not return — nor unwind,
//! if a user [`Park`](gocore::park::Park) panics — before the sudog is
//! unlinked (by the counterpart, by `close`, or by ourselves after a timeout
//! or from the unwind guard, always under the lock — `hchan` I4, I6, I11). A
//! `Park` that returns without its token set is harmless: the wait re-checks
//! the sudog's state and parks again.
//!
//! Waiting is split from the channel by the [`Wait`] trait: a thread with a
//! deadline ([`ThreadWait`], `std`), or any user [`Park`](gocore::park::Park)
//! on `no_std` ([`ParkWait`]). Both first poll the sudog's state for
//! [`SPIN`](crate::hchan::SPIN) rounds of growing PAUSE bursts and yields:
//! between two busy threads the counterpart usually arrives within a
//! microsecond, long before a futex sleep and wake-up would complete. A
//! deadline ends the spin too: a zero or past timeout polls once and gives
//! up, rather than yielding the thread up to [`YIELDS`] times first.

use core::task::Waker;

use crate::err::SendTimeoutError;
use crate::hchan::{Hchan, Recvd, Sent, Sudog, CLOSED, SPIN, SUCCESS, WAITING, YIELDS};

/// How a blocked operation waits for its sudog to be completed.
pub(crate) trait Wait {
    /// Blocks until `done()` is true (returns `true`) or the wait's deadline
    /// passes (returns `false`). Spurious returns of the underlying parker are
    /// absorbed here.
    fn wait(&self, done: &dyn Fn() -> bool) -> bool;

    /// The waker that the counterpart will use to wake this waiter.
    fn waker(&self) -> Waker;
}

/// Polls `done` with growing pauses, then yields; `true` once done.
///
/// [`SPIN`] rounds of `procyield(1 << round)` (1 + 2 + … + 32 = 63 PAUSEs,
/// Go's `active_spin` order of magnitude), then up to [`YIELDS`] `yield`s: on
/// a busy host the counterpart may need our core to make progress, and a
/// `sched_yield` costs far less than a futex sleep and wake-up.
#[inline]
pub(crate) fn spin_until(done: &dyn Fn() -> bool) -> bool {
    for round in 0..SPIN {
        if done() {
            return true;
        }
        gocore::backoff::procyield(1 << round);
    }
    for _ in 0..YIELDS {
        if done() {
            return true;
        }
        yield_now();
    }
    done()
}

#[inline]
fn yield_now() {
    #[cfg(all(feature = "std", not(loom)))]
    std::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(all(not(feature = "std"), not(loom)))]
    gocore::atomic::spin_loop();
}

#[cfg(feature = "std")]
pub(crate) use self::thread::ThreadWait;

#[cfg(feature = "std")]
mod thread {
    #[cfg(not(loom))]
    use super::spin_until;
    use super::Wait;
    use alloc::sync::Arc;
    use core::task::Waker;
    #[cfg(not(loom))]
    use gocore::park::ParkTimeout;
    use gocore::park::{current_waker, Park, ThreadPark};
    use std::time::Instant;

    /// Waits on the calling thread's cached [`ThreadPark`], optionally until a
    /// deadline. The parker is fetched lazily, so operations that never block
    /// never touch the thread-local.
    pub(crate) struct ThreadWait {
        park: core::cell::OnceCell<Arc<ThreadPark>>,
        #[cfg_attr(loom, allow(dead_code))]
        deadline: Option<Instant>,
    }

    impl ThreadWait {
        pub(crate) const fn new(deadline: Option<Instant>) -> Self {
            ThreadWait {
                park: core::cell::OnceCell::new(),
                deadline,
            }
        }

        fn park(&self) -> &ThreadPark {
            self.park.get_or_init(|| current_waker().0)
        }
    }

    impl Wait for ThreadWait {
        #[cfg(loom)]
        fn wait(&self, done: &dyn Fn() -> bool) -> bool {
            // Under loom, wait for exactly the one wake-up every completion
            // sends (hchan `complete`), so no stale unpark reaches a thread
            // later blocked elsewhere (loom treats that as a model error,
            // std does not). No spinning: each spin is a model branch.
            let park = self.park();
            loop {
                park.park();
                if done() {
                    return true;
                }
            }
        }

        #[cfg(not(loom))]
        fn wait(&self, done: &dyn Fn() -> bool) -> bool {
            match self.deadline {
                None => {
                    if spin_until(done) {
                        return true;
                    }
                }
                // The spin (up to `YIELDS` thread yields, each a whole time
                // slice on a busy host) must not outlast the deadline: a
                // zero or past timeout gives up at once, as crossbeam's and
                // std's do, instead of after all of them.
                Some(d) => {
                    spin_until(&|| done() || Instant::now() >= d);
                }
            }
            let park = self.park();
            loop {
                if done() {
                    return true;
                }
                match self.deadline {
                    None => park.park(),
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            return done();
                        }
                        park.park_timeout(d - now);
                    }
                }
            }
        }

        fn waker(&self) -> Waker {
            let (park, waker) = current_waker();
            let _ = self.park.set(park);
            waker
        }
    }
}

/// Waits on a user-supplied parker (no deadline): the `no_std` path.
pub(crate) struct ParkWait<'a, P> {
    pub(crate) park: &'a P,
    pub(crate) waker: Waker,
}

impl<P: gocore::park::Park> Wait for ParkWait<'_, P> {
    fn wait(&self, done: &dyn Fn() -> bool) -> bool {
        if spin_until(done) {
            return true;
        }
        while !done() {
            self.park.park();
        }
        true
    }

    fn waker(&self) -> Waker {
        self.waker.clone()
    }
}

/// Withdraws a parked sudog if the wait unwinds (hchan I11): a panicking
/// [`Park`](gocore::park::Park) must not leave a queue pointing into the
/// frame it unwinds out of. A send's value still in the sudog is dropped
/// (outside the lock); a value a receive was already handed goes back to the
/// channel (hchan I9). Defused with [`core::mem::forget`] once the sudog is
/// completed and collected normally.
struct Parked<'a, T> {
    c: &'a Hchan<T>,
    s: &'a Sudog<T>,
    send: bool,
}

impl<T> Drop for Parked<'_, T> {
    fn drop(&mut self) {
        if self.send {
            // SAFETY: `s` is a plain sudog our caller enqueued on `c`'s sendq
            // with its value, and did not collect (the guard is forgotten
            // before it does).
            let (_, v) = unsafe { self.c.abandon_send(self.s) };
            drop(v);
        } else {
            // SAFETY: as above, on recvq.
            unsafe { self.c.abandon_recv(self.s) };
        }
    }
}

/// A blocking send. `c == None` is the nil channel: it waits forever (or
/// until the deadline). Go: `chansend(c, ep, true)`.
pub(crate) fn chan_send<T>(
    c: Option<&Hchan<T>>,
    v: T,
    w: &dyn Wait,
) -> Result<(), SendTimeoutError<T>> {
    let Some(c) = c else {
        let never = w.wait(&|| false);
        debug_assert!(!never);
        return Err(SendTimeoutError::Timeout(v));
    };
    let mut g = c.lock();
    // SAFETY: `g` holds `c`'s lock.
    let v = match unsafe { g.send_locked(c, v) } {
        Sent::Done(waker) => {
            drop(g);
            if let Some(waker) = waker {
                waker.wake();
            }
            return Ok(());
        }
        Sent::Closed(v) => return Err(SendTimeoutError::Closed(v)),
        Sent::Full(v) => v,
    };
    // The waker first, then the value: if getting the waker failed, the
    // value would still be ours. A `Wait`'s waker is one of our own parkers,
    // so this runs no foreign code under the lock (hchan I12).
    let waker = w.waker();
    let s = Sudog::new();
    // SAFETY: `s` is fresh, so its elem is ours to fill and its waker ours to
    // set; `s` is a local that is not moved and is unlinked before we return
    // (normally by the counterpart, else by `Parked` or the timeout path);
    // we hold the lock.
    unsafe {
        *s.waker.get() = Some(waker);
        (*s.elem.get()).write(v);
        g.enqueue_send(c, &s);
    }
    drop(g);
    let parked = Parked {
        c,
        s: &s,
        send: true,
    };
    let done = w.wait(&|| s.load_state() != WAITING);
    core::mem::forget(parked);
    if !done {
        // SAFETY: `s` is our plain sudog on `c`'s sendq, not yet collected.
        return match unsafe { c.abandon_send(&s) } {
            (SUCCESS, _) => Ok(()),
            (WAITING, Some(v)) => Err(SendTimeoutError::Timeout(v)),
            (_, Some(v)) => Err(SendTimeoutError::Closed(v)),
            (_, None) => unreachable!("only SUCCESS keeps the value"),
        };
    }
    debug_assert!(!s.is_linked());
    match s.load_state() {
        SUCCESS => Ok(()),
        // SAFETY: CLOSED leaves the value with the sender (I5), and the
        // closer no longer touches `s` (I6).
        _ => Err(SendTimeoutError::Closed(unsafe {
            (*s.elem.get()).assume_init_read()
        })),
    }
}

/// The result of a blocking receive.
pub(crate) enum RecvResult<T> {
    Value(T),
    Closed,
    Timeout,
}

/// A blocking receive. Go: `chanrecv(c, ep, true)`.
pub(crate) fn chan_recv<T>(c: Option<&Hchan<T>>, w: &dyn Wait) -> RecvResult<T> {
    let Some(c) = c else {
        let never = w.wait(&|| false);
        debug_assert!(!never);
        return RecvResult::Timeout;
    };
    let mut g = c.lock();
    // SAFETY: `g` holds `c`'s lock.
    match unsafe { g.recv_locked(c) } {
        Recvd::Value(v, waker) => {
            drop(g);
            // A sender's waker may be foreign: if waking it panics, the
            // value goes back to the channel (hchan I9, I12).
            return RecvResult::Value(c.wake_sender(v, waker));
        }
        Recvd::Closed => return RecvResult::Closed,
        Recvd::Empty => {}
    }
    let waker = w.waker();
    let s = Sudog::new();
    // SAFETY: as in `chan_send`.
    unsafe {
        *s.waker.get() = Some(waker);
        g.enqueue_recv(c, &s);
    }
    drop(g);
    let parked = Parked {
        c,
        s: &s,
        send: false,
    };
    let done = w.wait(&|| s.load_state() != WAITING);
    core::mem::forget(parked);
    if !done {
        let mut g = c.lock();
        if s.load_state() == WAITING {
            // SAFETY: lock held; `s` is in `recvq` (I11).
            unsafe { g.cancel_recv(c, &s) };
            return RecvResult::Timeout;
        }
    }
    debug_assert!(!s.is_linked());
    match s.load_state() {
        // SAFETY: SUCCESS means the sender wrote our elem (I5) and no longer
        // touches `s` (I6).
        SUCCESS => RecvResult::Value(unsafe { (*s.elem.get()).assume_init_read() }),
        state => {
            debug_assert_eq!(state, CLOSED);
            RecvResult::Closed
        }
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::{ThreadWait, Wait};
    use core::cell::Cell;
    use core::time::Duration;
    use std::time::Instant;

    /// How often a wait that never completes looks at its sudog's state.
    fn polls(deadline: Instant) -> usize {
        let n = Cell::new(0);
        let done = ThreadWait::new(Some(deadline)).wait(&|| {
            n.set(n.get() + 1);
            false
        });
        assert!(!done);
        n.get()
    }

    #[test]
    fn a_passed_deadline_gives_up_without_spinning() {
        // recv_timeout(Duration::ZERO), send_deadline(past), select!'s
        // default(Duration::ZERO): the wait ran its whole spin first, 6
        // PAUSE rounds and 128 thread yields (about 0.5 s measured with
        // the cores busy), before it looked at the deadline.
        let past = Instant::now() - Duration::from_millis(1);
        assert!(polls(past) <= 3, "polled {} times", polls(past));
        assert!(polls(Instant::now()) <= 3);
    }
}
