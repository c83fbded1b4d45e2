//! [`Runtime::block_on`]: the calling thread as Go's M0, the main future's
//! waker, and deadlock detection (Go's `checkdead`).
//!
//! # M0
//!
//! `block_on` polls the main future on the calling thread. While it holds
//! a P it also schedules other tasks (`schedule` returns to it when the
//! main future is woken); without a P it parks the thread until the main
//! future's waker ([`MainWaker`]) unparks it, or until the earliest timer
//! (there may be no other M to fire it). Its waker costs an `unpark` (a
//! futex call) only when the thread is parked: `woken` and `parked` form
//! a SeqCst Dekker pair.
//!
//! # Deadlock
//!
//! Before parking for good, M0 checks the conditions documented on
//! [`Runtime::block_on`] under `sched.lock`: every M idle, every P idle,
//! no blocking section, no timer, and no waker of the main future or of
//! a parked task held outside the runtime (T2 in [`crate::task`]). Then
//! nothing can ever wake anything and it returns [`DeadlockError`].

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use core::time::Duration;
use gocore::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::task::{DONE, IDLE};

use super::builder::Runtime;
use super::m::MState;
use super::p::{P_RUNNING, P_SCHED};
use super::{ctx_set_p, lock, set_aside_job_ctx, with_ctx, CtxGuard, Shared};

/// Go's text for a dead program: `fatal error: all goroutines are asleep - deadlock!`.
pub const DEADLOCK_MESSAGE: &str = "all goroutines are asleep - deadlock!";

/// [`Runtime::block_on`]'s error: every task is parked and nothing can wake
/// one (Go's `checkdead`). Its text is Go's.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let err = rt.block_on(std::future::pending::<()>()).unwrap_err();
/// assert_eq!(err.to_string(), "all goroutines are asleep - deadlock!");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlockError;

impl fmt::Display for DeadlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DEADLOCK_MESSAGE)
    }
}

impl core::error::Error for DeadlockError {}

/// Releases M0's P if the main future's poll unwinds.
struct M0PollGuard<'a> {
    shared: &'a Shared,
    m: &'a mut MState,
}
impl Drop for M0PollGuard<'_> {
    fn drop(&mut self) {
        with_ctx(|c| {
            if let Some(c) = c {
                c.in_poll.set(false);
            }
        });
        let p = with_ctx(|c| c.and_then(|c| c.p.get()));
        if let Some(p) = p {
            if self.shared.ps[p]
                .status
                .compare_exchange(P_RUNNING, P_SCHED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.shared.handoffp(p);
            }
        }
        self.m.p = None;
        ctx_set_p(None);
    }
}

struct M0Exit<'a> {
    shared: &'a Shared,
    thread: std::thread::Thread,
}
impl Drop for M0Exit<'_> {
    fn drop(&mut self) {
        self.shared.nblock_on.fetch_sub(1, Ordering::AcqRel);
        let mut s = lock(&self.shared.sched);
        if let Some(i) = s.m0s.iter().position(|t| t.id() == self.thread.id()) {
            s.m0s.swap_remove(i);
        }
    }
}

/// The main future's waker: wakes the `block_on` thread.
pub(crate) struct MainWaker {
    pub(super) woken: AtomicBool,
    /// The `block_on` thread is (about to be) parked: only then does a wake
    /// pay for `unpark` (a futex call). Dekker pair with `woken`, SeqCst.
    pub(super) parked: AtomicBool,
    /// Live clones outside the runtime (as a task's `live_wakers`).
    pub(super) wakers: AtomicUsize,
    pub(super) thread: std::thread::Thread,
    /// The runtime whose `block_on` this is ([`Shared::id`]): only that
    /// runtime's join slots hold the waker "inside" (T2).
    runtime: usize,
}

impl MainWaker {
    pub(super) fn wake(&self) {
        self.woken.store(true, Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) {
            self.thread.unpark();
        }
    }

    /// Parks the `block_on` thread unless the main future was woken (or
    /// until `timeout`).
    pub(super) fn park(&self, timeout: Option<Duration>) {
        self.parked.store(true, Ordering::SeqCst);
        if !self.woken.load(Ordering::SeqCst) {
            match timeout {
                Some(t) => std::thread::park_timeout(t),
                None => std::thread::park(),
            }
        }
        self.parked.store(false, Ordering::SeqCst);
    }
}

static MAIN_VTABLE: RawWakerVTable =
    RawWakerVTable::new(main_clone, main_wake, main_wake_by_ref, main_drop);

fn main_waker(main: &Arc<MainWaker>) -> core::mem::ManuallyDrop<Waker> {
    // SAFETY: the vtable expects a pointer from `Arc::<MainWaker>::as_ptr`;
    // this borrowed waker never releases it (ManuallyDrop) and lives only
    // for one poll, while `main` is alive.
    core::mem::ManuallyDrop::new(unsafe {
        Waker::from_raw(RawWaker::new(Arc::as_ptr(main).cast(), &MAIN_VTABLE))
    })
}

/// The clone counter of a main waker, if `w` is one of a `block_on` of
/// runtime `runtime` ([`Shared::id`]), or of any runtime for `None`.
pub(crate) fn main_waker_of(w: &Waker, runtime: Option<usize>) -> Option<&AtomicUsize> {
    if core::ptr::eq(w.vtable(), &MAIN_VTABLE) {
        // SAFETY: a waker with this vtable holds an `Arc<MainWaker>`
        // reference, alive while `w` is borrowed.
        let main = unsafe { &*w.data().cast::<MainWaker>() };
        runtime
            .is_none_or(|r| r == main.runtime)
            .then_some(&main.wakers)
    } else {
        None
    }
}

unsafe fn main_clone(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the Arc alive; the clone takes
    // its own reference.
    unsafe { Arc::increment_strong_count(ptr.cast::<MainWaker>()) };
    // SAFETY: alive, see above.
    unsafe { &*ptr.cast::<MainWaker>() }
        .wakers
        .fetch_add(1, Ordering::Relaxed);
    RawWaker::new(ptr, &MAIN_VTABLE)
}

unsafe fn main_wake(ptr: *const ()) {
    // SAFETY: an owned waker holds one reference; waking consumes it.
    let main = unsafe { Arc::from_raw(ptr.cast::<MainWaker>()) };
    main.wake();
    main.wakers.fetch_sub(1, Ordering::Release);
}

unsafe fn main_wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker keeps the Arc alive during this call.
    let main = unsafe { &*ptr.cast::<MainWaker>() };
    main.wake();
}

unsafe fn main_drop(ptr: *const ()) {
    // SAFETY: an owned waker holds one reference; dropping releases it.
    let main = unsafe { Arc::from_raw(ptr.cast::<MainWaker>()) };
    main.wakers.fetch_sub(1, Ordering::Release);
}

impl Runtime {
    /// Runs `future` to completion on the calling thread, which acts as Go's
    /// M0: it polls `future`, and while it holds a P it also runs other
    /// tasks. Returns the future's output.
    ///
    /// # Errors
    ///
    /// [`DeadlockError`] ("all goroutines are asleep - deadlock!") when the
    /// runtime can prove that nothing will ever wake `future`. The proof
    /// holds when, all at once: `future` and every spawned task are parked;
    /// every worker M is idle and every P idle with empty queues; no live
    /// timer exists; no `blocking` section or `spawn_blocking` job is in
    /// progress; no other `block_on` runs on this runtime; with the `net`
    /// feature, no task waits on an open socket (a closed one fails its
    /// waiters, which then count as any task); and **no waker**
    /// of `future` or of any parked task exists outside the runtime (a waker
    /// waiting in a [`JoinHandle`](crate::JoinHandle) of this runtime's task
    /// counts as inside, one waiting in another runtime's handle as outside; a
    /// parked system task of [`IdleHook::spawn`](crate::IdleHook::spawn)
    /// does not count at all, as Go's `checkdead` skips system goroutines). The last condition is
    /// what a library can know: a waker held by a channel may be used by
    /// any thread, so a task parked on a channel is never declared dead,
    /// even if Go would call it a deadlock. Typical proven cases: a
    /// `pending()` future, a task that dropped its waker, a chain of tasks
    /// awaiting each other's `JoinHandle`s around such a task.
    ///
    /// # Panics
    ///
    /// If called from inside a task or a `block_on` of any gosched runtime
    /// (it would block a worker; a
    /// [`spawn_blocking`](crate::spawn_blocking) job may call it), and with
    /// the panic of `future` itself.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(2).build().unwrap();
    /// let v = rt.block_on(async {
    ///     let a = gosched::spawn(async { 1 });
    ///     let b = gosched::spawn(async { 2 });
    ///     a.await.unwrap() + b.await.unwrap()
    /// });
    /// assert_eq!(v, Ok(3));
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, DeadlockError> {
        // A `spawn_blocking` job's thread runs no task: its context is set
        // aside for the call (and put back after `_ctx` is gone).
        let _job_ctx = set_aside_job_ctx();
        let shared = &self.shared;
        let _ctx = CtxGuard::enter(shared.clone());
        shared.nblock_on.fetch_add(1, Ordering::AcqRel);
        let me = std::thread::current();
        lock(&shared.sched).m0s.push(me.clone());
        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            parked: AtomicBool::new(false),
            wakers: AtomicUsize::new(0),
            thread: me.clone(),
            runtime: shared.id(),
        });
        let _exit = M0Exit { shared, thread: me };
        let mut m = MState {
            p: None,
            spinning: false,
            park: None,
        };
        let mut future = pin!(future);
        loop {
            if main.woken.swap(false, Ordering::AcqRel) {
                if m.p.is_none() {
                    m.p = shared.idle_p_get();
                }
                if let Some(p) = m.p {
                    // The main future starts a new time slice (Go's execute).
                    let tick = &shared.ps[p].schedtick;
                    tick.store(
                        tick.load(Ordering::Relaxed).wrapping_add(1),
                        Ordering::Relaxed,
                    );
                }
                ctx_set_p(m.p);
                let guard = M0PollGuard { shared, m: &mut m };
                let waker = main_waker(&main);
                let mut cx = Context::from_waker(&waker);
                let (polled, _) =
                    shared.poll_in_p(guard.m, core::ptr::null(), || future.as_mut().poll(&mut cx));
                core::mem::forget(guard);
                // `yield_now` in the main future (Go's Gosched in main): run
                // what Go runs before main is picked again from the global
                // queue's tail.
                let yielded = with_ctx(|c| c.is_some_and(|c| c.yielded.replace(false)));
                if yielded && polled.is_pending() {
                    shared.main_gosched(&mut m);
                }
                if let Poll::Ready(v) = polled {
                    if let Some(p) = m.p.take() {
                        // Leaving: hand the P on only if work waits on it.
                        if !shared.ps[p].has_local_work() {
                            let mut s = lock(&shared.sched);
                            shared.pidleput(&mut s, p);
                        } else {
                            shared.handoffp(p);
                        }
                    }
                    ctx_set_p(None);
                    return Ok(v);
                }
            }
            if m.p.is_some() {
                shared.schedule(&mut m, Some(&main));
                continue;
            }
            // No P and nothing to poll: park until woken, or until the
            // earliest timer (no other M may exist to fire it).
            if main.woken.load(Ordering::Acquire) {
                continue;
            }
            if shared.deadlocked(&main) {
                return Err(DeadlockError);
            }
            #[cfg(feature = "net")]
            shared.netpoll_ensure_poller();
            match shared.earliest_timer() {
                Some(when) => {
                    let now = shared.now_nanos();
                    if when > now {
                        main.park(Some(Duration::from_nanos(when - now)));
                    }
                    shared.run_all_due_timers();
                }
                None => main.park(None),
            }
        }
    }
}

impl Shared {
    /// Go: `checkdead`, as documented on [`Runtime::block_on`].
    pub(super) fn deadlocked(&self, main: &MainWaker) -> bool {
        let s = lock(&self.sched);
        if s.nmidle != s.mcount
            || self.npidle.load(Ordering::SeqCst) as usize != self.ps.len()
            || self.nblocking.load(Ordering::SeqCst) != 0
            || self.nblock_on.load(Ordering::SeqCst) != 1
            || main.woken.load(Ordering::SeqCst)
            || main.wakers.load(Ordering::Acquire) != 0
        {
            return false;
        }
        // A task parked on a socket can be woken by the network (Go: an M
        // is blocked in netpoll, so checkdead sees one running).
        #[cfg(feature = "net")]
        if self.netpoll.waiters.load(Ordering::Acquire) != 0 {
            return false;
        }
        // Wakers first, then states and queues (a wake releases its count
        // after moving the state off IDLE).
        for shard in &self.registry {
            for t in lock(shard).iter() {
                let wakers = t.live_wakers.load(Ordering::Acquire);
                let state = t.state.load(Ordering::Acquire);
                // A DONE task waits for reuse on a free list (T5); a parked
                // system task does not count (Go's checkdead skips them).
                let woken_from_outside = wakers != 0 && !t.system.load(Ordering::Relaxed);
                if state != DONE && (woken_from_outside || state != IDLE) {
                    return false;
                }
            }
        }
        if !s.runq.is_empty() || self.ps.iter().any(|p| p.has_local_work()) {
            return false;
        }
        for p in &self.ps {
            if lock(&p.timers).peek_when().is_some() {
                return false;
            }
        }
        !main.woken.load(Ordering::SeqCst)
    }

    pub(crate) fn notify_m0s(&self) {
        for t in &lock(&self.sched).m0s {
            t.unpark();
        }
    }
}
