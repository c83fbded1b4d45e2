//! Parking: how a blocked operation sleeps and how its counterpart wakes it.
//!
//! In Go a goroutine that must wait on a channel or a semaphore calls
//! `gopark`: it records itself in a `sudog` on the object's wait queue and
//! gives up its thread. The goroutine that makes progress possible dequeues the
//! `sudog` and calls `goready`. gort has no goroutines, so the waiting party is
//! one of three things, and this module gives them one shape:
//!
//! ```text
//!   waiter side (Park::park)          waker side (what sits in the queue)
//!   ------------------------          -----------------------------------
//!   OS thread      ThreadPark   <---  Waker  (Waker::from(Arc<ThreadPark>))
//!   async task     the executor <---  Waker  (Context::waker())
//!   no_std / RTOS  SpinPark or  <---  Waker  (waker(Arc<YourPark>))
//!                  your own Park
//! ```
//!
//! The **queue side is always a [`core::task::Waker`]**, so a channel's wait
//! queue holds threads and async tasks alike and wakes them the same way. The
//! **waiting side** implements [`Park`]: a one-bit token that
//! [`Park::unpark`] sets and [`Park::park`] waits for and clears (the
//! semantics of `std::thread::park`).
//!
//! # Invariants
//!
//! - I1. An `unpark` that happens before `park` is not lost: the token stays
//!   set and the next `park` returns at once (Go's `semrelease` before
//!   `semacquire` sleeps is never lost either).
//! - I2. Tokens do not count: several `unpark`s before one `park` wake it once.
//! - I3. `park` may return because of a token left by an earlier, abandoned
//!   wait. Callers therefore always re-check their own condition in a loop.
//!
//! # Choosing a parker on `no_std`
//!
//! [`SpinPark`] needs nothing but atomics: it spins with [`Backoff`] until the
//! token is set. On an RTOS, implement [`Park`] with a task notification or a
//! binary semaphore and hand queues [`waker(Arc<YourPark>)`](waker).

use core::time::Duration;

#[cfg(any(target_has_atomic = "8", feature = "portable-atomic"))]
use crate::atomic::{AtomicBool, Ordering};
#[cfg(any(target_has_atomic = "8", feature = "portable-atomic"))]
use crate::backoff::Backoff;

/// A parking place for one waiting party: a token that [`Park::unpark`] sets
/// and [`Park::park`] consumes.
///
/// Go: `gopark` / `goready` (runtime/proc.go).
///
/// # Examples
///
/// A spinning parker woken from another thread:
///
/// ```
/// # #[cfg(feature = "std")] {
/// use std::sync::Arc;
/// use gocore::park::{Park, SpinPark};
///
/// let p = Arc::new(SpinPark::new());
/// let q = Arc::clone(&p);
/// let t = std::thread::spawn(move || q.unpark());
/// p.park(); // returns once the token is set
/// t.join().unwrap();
/// # }
/// ```
pub trait Park {
    /// Blocks until the token is set, then clears it (I1, I3).
    ///
    /// Callers must not rely on it for safety: it is safe to implement, so
    /// it may return early (callers re-check, I3) or panic (a blocked
    /// operation unwinding through it first withdraws its queue entry).
    fn park(&self);

    /// Sets the token and wakes the parked party, if any (I2).
    fn unpark(&self);
}

/// A [`Park`] that can also give up after a timeout.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "std")] {
/// use std::time::Duration;
/// use gocore::park::{ParkTimeout, ThreadPark};
/// let p = ThreadPark::new();
/// assert!(!p.park_timeout(Duration::from_millis(1))); // nobody unparked us
/// # }
/// ```
pub trait ParkTimeout: Park {
    /// Like [`Park::park`] but returns `false` once `timeout` has passed
    /// without the token being set; `true` if the token was consumed.
    fn park_timeout(&self, timeout: Duration) -> bool;
}

/// A parker that spins with back-off until its token is set.
///
/// It needs only atomics, so it works on any `no_std` target with
/// compare-and-swap. It burns the CPU while it waits: on an RTOS prefer your
/// own [`Park`].
///
/// # Examples
///
/// ```
/// use gocore::park::{Park, SpinPark};
/// let p = SpinPark::new();
/// p.unpark(); // the token is kept (I1) ...
/// p.park(); // ... so this returns at once
/// ```
#[cfg(any(target_has_atomic = "8", feature = "portable-atomic"))]
#[derive(Debug, Default)]
pub struct SpinPark {
    token: AtomicBool,
}

#[cfg(any(target_has_atomic = "8", feature = "portable-atomic"))]
impl SpinPark {
    /// Creates a parker with no token set.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gocore::park::SpinPark::new();
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        SpinPark {
            token: AtomicBool::new(false),
        }
    }

    /// Creates a parker with no token set.
    #[cfg(loom)]
    pub fn new() -> Self {
        SpinPark {
            token: AtomicBool::new(false),
        }
    }

    fn try_take(&self) -> bool {
        // Acquire pairs with the Release in `unpark`: whatever the waker wrote
        // before unparking is visible once the token is taken.
        self.token.load(Ordering::Relaxed) && self.token.swap(false, Ordering::Acquire)
    }
}

#[cfg(any(target_has_atomic = "8", feature = "portable-atomic"))]
impl Park for SpinPark {
    fn park(&self) {
        let backoff = Backoff::new();
        while !self.try_take() {
            backoff.snooze();
        }
    }

    fn unpark(&self) {
        self.token.store(true, Ordering::Release);
    }
}

#[cfg(feature = "std")]
pub use thread::{block_on, current_waker, ThreadPark};

#[cfg(feature = "std")]
mod thread {
    use super::{Park, ParkTimeout};
    use crate::atomic::{AtomicBool, Ordering};
    use alloc::sync::Arc;
    use alloc::task::Wake;
    use core::future::Future;
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};
    use core::time::Duration;

    #[cfg(loom)]
    use loom::thread::{self as threads, Thread};
    #[cfg(not(loom))]
    use std::thread::{self as threads, Thread};

    /// Parks an OS thread: the `std` parker.
    ///
    /// Made by the thread that will park on it (another thread that would
    /// have to wait on it panics: it could never be woken); any thread may
    /// unpark it. It is
    /// also a [`Waker`] source (`Waker::from(Arc<ThreadPark>)`), so a blocked
    /// thread waits in the same queues as async tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gocore::park::{Park, ThreadPark};
    ///
    /// let p = Arc::new(ThreadPark::new());
    /// let waker = std::task::Waker::from(Arc::clone(&p));
    /// let t = std::thread::spawn(move || waker.wake());
    /// p.park();
    /// t.join().unwrap();
    /// ```
    #[derive(Debug)]
    pub struct ThreadPark {
        thread: Thread,
        notified: AtomicBool,
    }

    impl ThreadPark {
        /// Creates a parker for the calling thread.
        ///
        /// # Examples
        ///
        /// ```
        /// let _ = gocore::park::ThreadPark::new();
        /// ```
        pub fn new() -> Self {
            ThreadPark {
                thread: threads::current(),
                notified: AtomicBool::new(false),
            }
        }

        fn try_take(&self) -> bool {
            // Acquire pairs with `unpark`'s Release (I1). The plain load first
            // keeps a waiter that finds no token from writing.
            self.notified.load(Ordering::Relaxed) && self.notified.swap(false, Ordering::Acquire)
        }

        /// Before the calling thread sleeps on this parker: only the thread
        /// that made it can (`unpark` wakes that thread). Any other would
        /// sleep through every `unpark` (for ever in `park`, to its timeout
        /// in `park_timeout`), so it panics instead, as `Park::park` may.
        #[cfg(not(loom))]
        fn check_owner(&self) {
            assert!(
                threads::current().id() == self.thread.id(),
                "gocore: ThreadPark parked on by a thread other than the one that made it"
            );
        }
    }

    impl Default for ThreadPark {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Park for ThreadPark {
        fn park(&self) {
            if self.try_take() {
                return;
            }
            #[cfg(not(loom))]
            self.check_owner();
            while !self.try_take() {
                // std's own token may wake us spuriously; the loop absorbs it.
                #[cfg(not(loom))]
                threads::park();
                // loom's park/unpark tokens misreport deadlocks when a thread
                // is unparked around another thread's exit (loom issues #246,
                // #249), so under loom a parked thread yields until its token
                // is set: the same protocol, explored without the artefact.
                #[cfg(loom)]
                threads::yield_now();
            }
        }

        fn unpark(&self) {
            self.notified.store(true, Ordering::Release);
            self.thread.unpark();
        }
    }

    #[cfg(not(loom))]
    impl ParkTimeout for ThreadPark {
        fn park_timeout(&self, timeout: Duration) -> bool {
            if self.try_take() {
                return true;
            }
            self.check_owner();
            let start = std::time::Instant::now();
            loop {
                if self.try_take() {
                    return true;
                }
                let elapsed = start.elapsed();
                if elapsed >= timeout {
                    return false;
                }
                std::thread::park_timeout(timeout - elapsed);
            }
        }
    }

    #[cfg(loom)]
    impl ParkTimeout for ThreadPark {
        /// Under loom there is no clock: a timed park is one yield.
        fn park_timeout(&self, _timeout: Duration) -> bool {
            if self.try_take() {
                return true;
            }
            loom::thread::yield_now();
            self.try_take()
        }
    }

    impl Wake for ThreadPark {
        fn wake(self: Arc<Self>) {
            self.unpark();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.unpark();
        }
    }

    #[cfg(not(loom))]
    std::thread_local! {
        static CURRENT: (Arc<ThreadPark>, Waker) = {
            let park = Arc::new(ThreadPark::new());
            let waker = Waker::from(Arc::clone(&park));
            (park, waker)
        };
    }

    /// Returns the calling thread's cached parker and a [`Waker`] for it.
    ///
    /// Blocking operations put the waker in a wait queue and park on the
    /// parker; caching both makes a blocking call allocation-free. Called
    /// while thread-locals are being destroyed (from another thread-local's
    /// `Drop`), it returns a fresh, uncached pair instead of panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocore::park::{current_waker, Park};
    /// let (park, waker) = current_waker();
    /// waker.wake_by_ref();
    /// park.park(); // returns: the token was set
    /// ```
    pub fn current_waker() -> (Arc<ThreadPark>, Waker) {
        #[cfg(not(loom))]
        {
            // `try_with`, not `with`: inside another thread-local's destructor
            // the cache may already be gone (or being destroyed). Then make a
            // fresh pair on the spot, as crossbeam's `Context` does: it costs
            // an allocation but works everywhere on the thread.
            CURRENT
                .try_with(|(p, w)| (Arc::clone(p), w.clone()))
                .unwrap_or_else(|_| fresh())
        }
        #[cfg(loom)]
        {
            fresh()
        }
    }

    /// A new parker for the calling thread and a waker for it.
    fn fresh() -> (Arc<ThreadPark>, Waker) {
        let park = Arc::new(ThreadPark::new());
        let waker = Waker::from(Arc::clone(&park));
        (park, waker)
    }

    /// Runs a future to completion on the calling thread, parking between polls.
    ///
    /// A minimal executor for tests, examples and synchronous callers of
    /// async code; it pulls in no runtime.
    ///
    /// It parks on a parker of its own, made per call, not on the thread's
    /// cached one ([`current_waker`]): a blocking call or a nested
    /// `block_on` inside the future parks on that cached one (or on one of
    /// its own), so it cannot consume the token of a wake meant for this
    /// `block_on` and leave it parked for ever.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gocore::park::block_on(async { 40 + 2 });
    /// assert_eq!(v, 42);
    /// ```
    pub fn block_on<F: Future>(fut: F) -> F::Output {
        let mut fut = pin!(fut);
        // Not `current_waker()`: code run by `poll` may park on that one
        // (a blocking call, another `block_on`) and take our token.
        let (park, waker) = fresh();
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            park.park();
        }
    }
}

// `Arc` (and so `Waker::from`) exists only where the target has pointer-sized
// atomics: not on thumbv6m, even with `portable-atomic`.
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use self::waker::waker;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod waker {
    use super::Park;
    use alloc::sync::Arc;
    use alloc::task::Wake;
    use core::task::Waker;

    struct WakeParked<P>(Arc<P>);

    impl<P: Park + Send + Sync + 'static> Wake for WakeParked<P> {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    /// Turns any parker into a [`Waker`] that unparks it, so it can wait in a
    /// channel's or a lock's queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gocore::park::{waker, Park, SpinPark};
    /// let p = Arc::new(SpinPark::new());
    /// waker(&p).wake();
    /// p.park(); // returns at once: the waker set the token
    /// ```
    pub fn waker<P: Park + Send + Sync + 'static>(park: &Arc<P>) -> Waker {
        Waker::from(Arc::new(WakeParked(Arc::clone(park))))
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use core::future::Future;
    use core::task::{Context, Poll};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn unpark_before_park_is_not_lost() {
        let p = ThreadPark::new();
        p.unpark();
        p.unpark(); // I2: tokens do not count
        p.park();
        assert!(!p.park_timeout(Duration::from_millis(1)));
        let s = SpinPark::new();
        s.unpark();
        s.park();
        assert!(!s.try_take());
    }

    /// A thread that waits on another thread's parker would sleep through
    /// every `unpark` (they wake the parker's own thread): it panics
    /// instead of hanging (`park`) or waiting out its timeout
    /// (`park_timeout`). A token already set is still taken by anyone.
    #[test]
    fn parking_on_another_threads_parker_panics() {
        let p = Arc::new(std::thread::spawn(ThreadPark::new).join().unwrap());
        p.unpark();
        p.park();
        p.unpark();
        assert!(p.park_timeout(Duration::from_secs(3600)));
        for timed in [false, true] {
            let (tx, rx) = std::sync::mpsc::channel();
            let q = Arc::clone(&p);
            let waiter = std::thread::spawn(move || {
                let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
                    if timed {
                        q.park_timeout(Duration::from_secs(3600));
                    } else {
                        q.park();
                    }
                }));
                let _ = tx.send(r.is_err());
            });
            let panicked = rx.recv_timeout(Duration::from_secs(20));
            assert_eq!(panicked, Ok(true), "timed: {timed}");
            waiter.join().unwrap();
        }
    }

    #[test]
    fn threads_hand_work_back_and_forth() {
        // Ping-pong: each side parks until the other has advanced the counter.
        let rounds = if cfg!(miri) { 20 } else { 2000 };
        let counter = Arc::new(AtomicUsize::new(0));
        let main_park = Arc::new(ThreadPark::new());
        let (tx, rx) = std::sync::mpsc::channel::<Arc<ThreadPark>>();
        let c2 = Arc::clone(&counter);
        let mp = Arc::clone(&main_park);
        let t = std::thread::spawn(move || {
            let mine = Arc::new(ThreadPark::new());
            tx.send(Arc::clone(&mine)).unwrap();
            for i in 0..rounds {
                while c2.load(Ordering::Acquire) != 2 * i + 1 {
                    mine.park();
                }
                c2.store(2 * i + 2, Ordering::Release);
                mp.unpark();
            }
        });
        let other = rx.recv().unwrap();
        for i in 0..rounds {
            counter.store(2 * i + 1, Ordering::Release);
            other.unpark();
            while counter.load(Ordering::Acquire) != 2 * i + 2 {
                main_park.park();
            }
        }
        t.join().unwrap();
        assert_eq!(counter.load(Ordering::Relaxed), 2 * rounds);
    }

    #[test]
    fn current_waker_works_in_a_thread_local_destructor() {
        // `Late` is registered first, `CURRENT` second; destructors run in
        // reverse, so `Late::drop` usually finds the cache gone already.
        struct Late(std::sync::mpsc::Sender<bool>);
        impl Drop for Late {
            fn drop(&mut self) {
                let (park, waker) = current_waker();
                waker.wake_by_ref();
                park.park(); // returns: the token was set through our waker
                self.0.send(true).unwrap();
            }
        }
        std::thread_local! {
            static LATE: core::cell::RefCell<Option<Late>> = const { core::cell::RefCell::new(None) };
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            LATE.with(|l| *l.borrow_mut() = Some(Late(tx)));
            let _ = current_waker();
        })
        .join()
        .unwrap();
        assert_eq!(rx.recv(), Ok(true));
    }

    #[test]
    fn park_timeout_times_out_and_wakes() {
        let p = Arc::new(ThreadPark::new());
        let start = std::time::Instant::now();
        assert!(!p.park_timeout(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
        let waker = std::task::Waker::from(Arc::clone(&p));
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            waker.wake();
        });
        assert!(p.park_timeout(Duration::from_secs(10)));
        t.join().unwrap();
    }

    #[test]
    fn spin_park_wakes_across_threads_through_a_waker() {
        let p = Arc::new(SpinPark::new());
        let w = waker(&p);
        let t = std::thread::spawn(move || w.wake());
        p.park();
        t.join().unwrap();
    }

    #[test]
    fn block_on_drives_a_future_woken_from_another_thread() {
        struct Flag(Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>);
        impl core::future::Future for Flag {
            type Output = u32;
            fn poll(
                self: core::pin::Pin<&mut Self>,
                cx: &mut core::task::Context<'_>,
            ) -> core::task::Poll<u32> {
                let mut g = self.0.lock().unwrap();
                if g.0 {
                    core::task::Poll::Ready(7)
                } else {
                    g.1 = Some(cx.waker().clone());
                    core::task::Poll::Pending
                }
            }
        }
        let shared = Arc::new(std::sync::Mutex::new((false, None::<std::task::Waker>)));
        let s2 = Arc::clone(&shared);
        let t = std::thread::spawn(move || loop {
            let mut g = s2.lock().unwrap();
            if let Some(w) = g.1.take() {
                g.0 = true;
                w.wake();
                return;
            }
            drop(g);
            std::thread::yield_now();
        });
        assert_eq!(block_on(Flag(shared)), 7);
        t.join().unwrap();
    }

    /// A future that is ready once a thread it starts on its first poll
    /// has slept `ms` milliseconds, then woken it. Dropping it joins that
    /// thread (no thread outlives the test, which Miri would report).
    struct Sleep {
        done: Arc<AtomicBool>,
        timer: Option<std::thread::JoinHandle<()>>,
        ms: u64,
    }

    impl Drop for Sleep {
        fn drop(&mut self) {
            if let Some(t) = self.timer.take() {
                t.join().unwrap();
            }
        }
    }

    impl Future for Sleep {
        type Output = ();
        fn poll(mut self: core::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.done.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            if self.timer.is_none() {
                let (done, w, ms) = (Arc::clone(&self.done), cx.waker().clone(), self.ms);
                self.timer = Some(std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(ms));
                    done.store(true, Ordering::Release);
                    w.wake();
                }));
            }
            Poll::Pending
        }
    }

    fn sleep(ms: u64) -> Sleep {
        Sleep {
            done: Arc::new(AtomicBool::new(false)),
            timer: None,
            ms,
        }
    }

    /// A wake for `block_on`'s future that arrives while code inside the
    /// future's `poll` is parked (here a nested `block_on`; a blocking call
    /// on `current_waker` is the same) reaches `block_on`: it used to park
    /// on the thread's cached parker, whose token the inner park consumed,
    /// and then waited for ever.
    #[test]
    fn a_nested_block_on_does_not_take_the_outer_wake() {
        for nested_on_current in [false, true] {
            let (tx, rx) = std::sync::mpsc::channel();
            let t = std::thread::spawn(move || {
                block_on(async {
                    let mut outer = core::pin::pin!(sleep(1));
                    let mut nested_done = false;
                    // As `join!(outer, async { block_on(sleep(50)) })`
                    // polls: `outer` is pending, then the nested wait
                    // outlasts its 1 ms timer, whose wake comes meanwhile.
                    core::future::poll_fn(|cx| {
                        let ready = outer.as_mut().poll(cx).is_ready();
                        if !nested_done {
                            if nested_on_current {
                                let (park, waker) = current_waker();
                                let s = sleep(50);
                                let done = Arc::clone(&s.done);
                                let mut s = core::pin::pin!(s);
                                let _ = s.as_mut().poll(&mut Context::from_waker(&waker));
                                while !done.load(Ordering::Acquire) {
                                    park.park();
                                }
                            } else {
                                block_on(sleep(50));
                            }
                            nested_done = true;
                        }
                        if ready {
                            Poll::Ready(())
                        } else {
                            Poll::Pending
                        }
                    })
                    .await;
                });
                let _ = tx.send(());
            });
            assert!(
                rx.recv_timeout(Duration::from_secs(10)).is_ok(),
                "block_on lost its wake (nested on current_waker: {nested_on_current})"
            );
            t.join().unwrap();
        }
    }
}
