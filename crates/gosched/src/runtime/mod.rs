//! The executor: Go 1.19's `runtime/proc.go` for Rust futures.
//!
//! # What
//!
//! A *G* is a spawned task ([`crate::task`]), an *M* a worker thread, a *P*
//! a scheduling context that owns a run queue ([`crate::runq`]), a timer
//! heap ([`crate::timers`]) and a free list of finished tasks
//! ([`crate::gfree`]). An M runs tasks only while it holds a P; there are
//! exactly `procs` Ps (GOMAXPROCS) and as many Ms as needed (more than
//! `procs` when some are blocked).
//!
//! # Layout
//!
//! ```text
//!   Shared ─┬─ ps: [P; procs]      P { runq (ring + runnext), status, schedtick,
//!           │                           poll_seq, timers, preempt, idle_since, gfree,
//!           │                           goid cache, yields (on their way to the
//!           │                           global queue) }
//!           ├─ sched: Mutex<Sched>  Sched { runq: global queue, idle_ps, idle_ms,
//!           │                               mcount, nmidle, m0s }   (Go: sched.lock)
//!           ├─ nmspinning, npidle, global_len   (atomics read without the lock)
//!           ├─ registry: shards of Arc<Task>  (Go's allgs: dump, deadlock check;
//!           │                                  keeps DONE tasks on free lists)
//!           ├─ gfree_global                    (Go's sched.gFree)
//!           ├─ idle_works, gc_worker, idle_nanos (a collector's hooks; the
//!           │                                   Ps' idle time)
//!           └─ sysmon thread, blocking pool, event recorder
//!
//!   M (thread) ── holds at most one P ── polls one task at a time
//! ```
//!
//! The files of this module follow that picture:
//!
//! | file | what | Go |
//! |---|---|---|
//! | [`p`] | the P, its status and ownership rules R1–R3; where a runnable task goes (spawn, ready, the global queue, idle Ps) | `newproc`, `ready`, `runqput`, `globrunqput`/`get`, `pidleget`/`put`, `gfput`/`gfget` |
//! | [`m`] | the M: parking, starting, spinning (R4) | `wakep`, `startm`, `stopm`, `resetspinning`, `mstart` |
//! | [`schedule`] | finding and running the next task | `schedule`, `findRunnable`, `stealWork`, `execute`, `checkTimers` |
//! | [`sysmon`] | the monitor thread: retaking Ps from stuck polls, handing Ps off | `sysmon`, `retake`, `handoffp` |
//! | [`block_on`] | the calling thread as M0, and deadlock detection | `main`, `checkdead` |
//! | `netpoll` (feature `net`) | the OS poller inside the scheduler: polls in `findRunnable`, `stopm` and sysmon, injecting ready tasks | `netpoll`, `netpollBreak`, `injectglist` |
//! | [`builder`] | configuring, starting and tearing down a runtime | `schedinit`, `procresize` |
//! | [`idle`] | work an idle P does before it parks (a collector's idle mark worker) | the idle GC worker in `findRunnable` |
//! | [`gc_worker`] | a collector's dedicated and fractional mark workers, run before the run queues while a cycle marks; the Ps' idle time | `findRunnableGCWorker`, `limiterEventIdle` |
//!
//! This file holds what they share: [`Shared`] (Go's `sched` plus `allp`)
//! and the per-thread context that tells code which runtime and which P
//! the calling thread is on (Go's `getg().m.p`).
//!
//! # Go correspondence
//!
//! `schedule` → `Shared::schedule`, `findRunnable` → `find_runnable`,
//! `execute` → `execute`, `stealWork` → `steal_work`, `resetspinning` →
//! `reset_spinning`, `wakep` → `wakep`, `startm` → `startm`, `handoffp` →
//! `handoffp`, `stopm` → `stopm`, `ready` → `ready`, `globrunqput` →
//! `global_put`, `globrunqget` → `global_get`, `sysmon`/`retake` →
//! `sysmon`/`retake`, `checkdead` → `deadlocked`, `entersyscallblock` /
//! `exitsyscall` → [`blocking`](crate::blocking()).
//!
//! # Divergences
//!
//! - A future cannot be preempted, nor say that it blocks: see
//!   [`sysmon`] for how a stuck poll loses its P.
//! - `yield_now` (Go's `Gosched`) puts the task at the global queue's
//!   tail by way of its P's yield queue, which the P appends in one batch
//!   the next time it reads the global queue (see [`p`]): with one P the
//!   order is Go's; with more, the other Ps see the task a little later.
//! - The thread calling [`Runtime::block_on`] plays M0: it polls the main
//!   future itself and, while holding a P, runs other tasks too. No queue
//!   holds the main future, so its `yield_now` runs, on this thread, what
//!   Go runs before `main` comes off the global queue's tail (this P's
//!   ring, then the global tasks that were ahead of it; every 61st slice
//!   the queue's head, which is then the main future): Go's order with one
//!   P; with more, Go's other Ps could resume `main` sooner. The main
//!   future can only run on this thread: a task it polled whose poll never
//!   returns (a loop on operations that are always ready, such as a send
//!   and a receive on its own buffered channel) loses its P to sysmon, so
//!   the other tasks run, but the main future waits as long as that poll
//!   does. Go preempts such a goroutine and `main` runs on another M.
//! - Without the `net` feature there is no netpoller: idle Ms sleep on a
//!   condition variable until the earliest timer. With it, [`netpoll`] is
//!   Go's: once the first socket made the poller, one idle M blocks in the
//!   OS poller while tasks wait on I/O or a timer is pending, and a timer
//!   added earlier than its deadline interrupts it.

mod block_on;
mod builder;
mod gc_worker;
mod idle;
mod m;
#[cfg(feature = "net")]
pub(crate) mod netpoll;
mod p;
mod schedule;
mod sysmon;

pub(crate) use block_on::main_waker_of;
pub use block_on::{DeadlockError, DEADLOCK_MESSAGE};
pub use builder::{default_procs, BuildError, Builder, Runtime, MAX_PROCS};
pub use gc_worker::{GcWorker, GcWorkerP, GcWorkerRegistration};
pub use idle::{IdleHook, IdleP, IdleRegistration, IdleWork};
#[cfg(feature = "net")]
pub use netpoll::{NETPOLL_BUDGET_AFTER, NETPOLL_SYSMON_AFTER};
pub(crate) use p::{ready_owned, P_IDLE, P_PUSHING, P_RUNNING, P_SCHED};
pub use p::{GOID_CACHE_BATCH, YIELD_BATCH_MAX};
pub use schedule::{GLOBAL_FAIRNESS_TICK, RUNNEXT_STEAL_PAUSE, STEAL_TRIES};
pub use sysmon::{
    DEFAULT_RETAKE_AFTER, FORCE_PREEMPT, SYSMON_DEEP_SLEEP, SYSMON_KICKABLE_NAP, SYSMON_MAX_SLEEP,
    SYSMON_MIN_SLEEP,
};

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::panic::Location;
use gocore::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::body::{NewBody, Unplaced};
use crate::gfree::GlobalFreeList;
use crate::stats::Event;
use crate::task::{JoinHandle, Task};
use m::MPark;
use p::P;

/// Go: the fields of `schedt` guarded by `sched.lock`.
pub(crate) struct Sched {
    pub(crate) runq: VecDeque<Arc<Task>>,
    pub(crate) idle_ps: Vec<usize>,
    idle_ms: Vec<Arc<MPark>>,
    pub(crate) mcount: usize,
    pub(crate) nmidle: usize,
    /// Threads in `block_on` (M0s), told when every M goes idle.
    m0s: Vec<std::thread::Thread>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Everything the Ms share: Go's `sched` plus `allp`.
pub(crate) struct Shared {
    pub(crate) ps: Vec<P>,
    pub(crate) sched: Mutex<Sched>,
    pub(crate) global_len: AtomicUsize,
    pub(crate) nmspinning: AtomicU32,
    pub(crate) npidle: AtomicU32,
    pub(crate) shutdown: AtomicBool,
    pub(crate) start: Instant,
    /// Nanoseconds since `start`, refreshed by sysmon (a coarse clock for
    /// the task dump's wait times).
    pub(crate) coarse_now: AtomicU64,
    next_id: AtomicU64,
    /// Go: `allgs`, sharded by the first task id of an allocation: every
    /// spawned task not finished, plus finished ones waiting DONE on a free
    /// list (T5 in `task.rs`: reuse and the exit that feeds a free list
    /// take no registry lock). Read by the task dump, the deadlock check,
    /// teardown and `num_goroutine`, which skip DONE tasks. A task knows
    /// its shard and its index there (`Task::registry_index`), so adding
    /// and removing one is a push and a `swap_remove` under the shard's
    /// lock.
    pub(crate) registry: Vec<Mutex<Vec<Arc<Task>>>>,
    /// Go: `sched.gFree`, finished tasks that overflowed a P's free list.
    pub(crate) gfree_global: GlobalFreeList,
    coprimes: Vec<usize>,
    /// Tasks inside `blocking` plus queued or running `spawn_blocking` jobs.
    pub(crate) nblocking: AtomicUsize,
    pub(crate) nblock_on: AtomicUsize,
    sysmon_wake: (Mutex<()>, Condvar),
    /// Sysmon sleeps more than its minimum (it found nothing to do for 50
    /// rounds): a P leaving the idle list wakes it (see `pidleget`).
    sysmon_napping: AtomicBool,
    /// Go: `sched.sysmonwait`. Sysmon sleeps because every P is idle; set
    /// and cleared with `sched` held, read by `pidleget` under it.
    sysmon_wait: AtomicBool,
    sysmon_kicked: AtomicBool,
    pub(crate) blocking_pool: crate::blocking::Pool,
    pub(crate) events: Option<Mutex<Vec<Event>>>,
    /// Nanoseconds; see [`Builder::retake_after`].
    pub(crate) retake_after: u64,
    /// Nanoseconds; see [`Builder::time_slice`].
    pub(crate) time_slice: u64,
    /// Socket operations a task's poll may complete before it yields at
    /// the next one; `u32::MAX` for none. See [`Builder::io_budget`].
    #[cfg(feature = "net")]
    pub(crate) io_budget: u32,
    /// Go's netpoller state (see [`netpoll`]).
    #[cfg(feature = "net")]
    pub(crate) netpoll: netpoll::NetPoll,
    /// Work idle Ps do before parking (see [`idle`]).
    pub(crate) idle_works: idle::IdleWorks,
    /// The collector's worker `find_runnable` runs before the run queues
    /// while a cycle marks (see [`gc_worker`]).
    pub(crate) gc_worker: gc_worker::GcWorkerSlot,
    /// Nanoseconds Ps spent on the idle list, finished stretches (see
    /// [`gc_worker`]).
    pub(crate) idle_nanos: AtomicU64,
    /// The highest idle total a reading has returned, which later readings
    /// never go below (see [`gc_worker`]).
    pub(crate) idle_nanos_read: AtomicU64,
    self_ref: alloc::sync::Weak<Shared>,
}

pub(crate) struct Ctx {
    pub(crate) shared: Arc<Shared>,
    /// The P this thread holds, if any.
    pub(crate) p: Cell<Option<usize>>,
    /// Whether a task is being polled (R2 applies to pushes).
    pub(crate) in_poll: Cell<bool>,
    /// Set by `yield_now`: the task goes to the global queue.
    pub(crate) yielded: Cell<bool>,
    /// The task `execute` is polling (null otherwise): `yield_now` polled
    /// with that task's own waker leaves the requeue to `execute` (see
    /// [`mark_yield`]).
    pub(crate) polling: Cell<*const Task>,
    /// Set by [`mark_yield`] when `execute` requeues the task itself.
    pub(crate) requeue: Cell<bool>,
    /// Socket operations the polled task may still complete in this poll
    /// (see [`Builder::io_budget`]); `u32::MAX` for no budget.
    #[cfg(feature = "net")]
    pub(crate) io_budget: Cell<u32>,
    /// The polled task yielded because it spent its socket budget.
    #[cfg(feature = "net")]
    pub(crate) io_budget_yield: Cell<bool>,
    /// The thread runs a `spawn_blocking` job, no task: it may block,
    /// also in [`Runtime::block_on`].
    pub(crate) blocking_job: bool,
}

std::thread_local! {
    static CTX: RefCell<Option<Ctx>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's runtime context, if it is in one.
pub(crate) fn with_ctx<R>(f: impl FnOnce(Option<&Ctx>) -> R) -> R {
    CTX.with(|c| f(c.borrow().as_ref()))
}

/// The runtime of the calling thread (worker or `block_on` thread).
pub(crate) fn current_shared() -> Option<Arc<Shared>> {
    with_ctx(|c| c.map(|c| c.shared.clone()))
}

/// Runs `f` with the calling thread's runtime, without taking a reference.
///
/// # Panics
///
/// Outside a gosched runtime.
#[track_caller]
pub(crate) fn with_current<R>(what: &str, f: impl FnOnce(&Arc<Shared>) -> R) -> R {
    match with_ctx(|c| c.map(|c| f(&c.shared))) {
        Some(r) => r,
        None => panic!("gosched::{what} called outside a gosched runtime"),
    }
}

#[track_caller]
pub(crate) fn expect_shared(what: &str) -> Arc<Shared> {
    current_shared().unwrap_or_else(|| panic!("gosched::{what} called outside a gosched runtime"))
}

pub(crate) struct CtxGuard;
impl CtxGuard {
    /// The context of a worker M or of a `block_on` thread.
    pub(crate) fn enter(shared: Arc<Shared>) -> CtxGuard {
        Self::enter_as(shared, false)
    }

    /// The context of a thread running a `spawn_blocking` job.
    pub(crate) fn enter_job(shared: Arc<Shared>) -> CtxGuard {
        Self::enter_as(shared, true)
    }

    fn enter_as(shared: Arc<Shared>, blocking_job: bool) -> CtxGuard {
        CTX.with(|c| {
            *c.borrow_mut() = Some(Ctx {
                shared,
                p: Cell::new(None),
                in_poll: Cell::new(false),
                yielded: Cell::new(false),
                polling: Cell::new(core::ptr::null()),
                requeue: Cell::new(false),
                #[cfg(feature = "net")]
                io_budget: Cell::new(u32::MAX),
                #[cfg(feature = "net")]
                io_budget_yield: Cell::new(false),
                blocking_job,
            })
        });
        CtxGuard
    }
}
impl Drop for CtxGuard {
    fn drop(&mut self) {
        let old = CTX.with(|c| c.borrow_mut().take());
        drop(old);
    }
}

/// Puts the thread in `shared`'s context for a teardown's drops, setting
/// aside whatever context it had (the teardown may run inside another
/// runtime's task); [`TeardownCtx`]'s drop puts that one back.
pub(crate) fn enter_teardown_ctx(shared: Arc<Shared>) -> TeardownCtx {
    let old = CTX.with(|c| c.borrow_mut().take());
    // As a blocking job's: no P, and a `block_on` in a drop sets it aside.
    let ours = CtxGuard::enter_job(shared);
    core::mem::forget(ours);
    TeardownCtx(old)
}

/// Restores the context [`enter_teardown_ctx`] set aside, also when
/// unwinding.
pub(crate) struct TeardownCtx(Option<Ctx>);
impl Drop for TeardownCtx {
    fn drop(&mut self) {
        let old = self.0.take();
        let ours = CTX.with(|c| core::mem::replace(&mut *c.borrow_mut(), old));
        // Dropped outside the thread-local's borrow.
        drop(ours);
    }
}

/// Takes the context of a `spawn_blocking` job off this thread for a
/// `block_on` (which sets its own), to be put back by [`RestoreCtx`].
///
/// # Panics
///
/// On a thread that runs a runtime's tasks (a worker M, a `block_on`).
pub(crate) fn set_aside_job_ctx() -> RestoreCtx {
    CTX.with(|c| {
        let mut c = c.borrow_mut();
        match &*c {
            None => RestoreCtx(None),
            Some(ctx) if ctx.blocking_job => RestoreCtx(c.take()),
            Some(_) => panic!(
                "gosched: block_on called from a thread that is already running a gosched runtime"
            ),
        }
    })
}

/// Puts back the context [`set_aside_job_ctx`] took, also when unwinding.
pub(crate) struct RestoreCtx(Option<Ctx>);
impl Drop for RestoreCtx {
    fn drop(&mut self) {
        if let Some(ctx) = self.0.take() {
            CTX.with(|c| *c.borrow_mut() = Some(ctx));
        }
    }
}

fn ctx_set_p(p: Option<usize>) {
    with_ctx(|c| {
        if let Some(c) = c {
            c.p.set(p)
        }
    })
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs under the runtime's locks, so a poisoned lock only
    // means a bug elsewhere already panicked; the data is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `Pending` → global queue rule of `yield_now`, polled with `waker`.
/// Returns true when `execute` is polling the very task `waker` wakes: it
/// then requeues the task itself, and the caller must not wake it (no
/// write to the task's state at all, T7 and T8 in `task.rs`, instead of a
/// wake's and the poll's).
pub(crate) fn mark_yield(waker: &core::task::Waker) -> bool {
    with_ctx(|c| {
        let Some(c) = c else { return false };
        c.yielded.set(true);
        let polling = c.polling.get();
        let own = !polling.is_null() && crate::task::task_of(waker) == Some(polling);
        c.requeue.set(own);
        own
    })
}

/// `gosched::spawn` etc. on the current runtime.
#[track_caller]
pub(crate) fn spawn_current<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let loc = Location::caller();
    with_current("spawn", |shared| shared.spawn(future, loc))
}

#[track_caller]
pub(crate) fn go_current<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let loc = Location::caller();
    let mut body = Unplaced::detached(future);
    with_current("go", |shared| {
        shared.spawn_body(NewBody::Detached(&mut body), loc, false, false)
    });
}

impl Shared {
    /// This runtime's identity: its address, stable while anything that
    /// compares it (a task, a `block_on`) keeps the runtime alive.
    pub(crate) fn id(&self) -> usize {
        core::ptr::from_ref(self) as usize
    }

    pub(crate) fn now_nanos(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    pub(crate) fn record(&self, event: impl FnOnce() -> Event) {
        if let Some(ev) = &self.events {
            let e = event();
            lock(ev).push(e);
        }
    }

    fn arc(&self) -> Arc<Shared> {
        // `Shared` lives in the `Arc` built by `Builder::build`, which the
        // `Runtime` keeps until every M has exited.
        self.self_ref
            .upgrade()
            .expect("gosched: runtime state alive while an M runs")
    }
}
