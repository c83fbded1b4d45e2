//! The executor: Ps, Ms, the global queue, `findRunnable`, `wakep`, sysmon.
//!
//! # What
//!
//! Go 1.19's `runtime/proc.go` for Rust futures. A *G* is a spawned task
//! ([`crate::task`]), an *M* a worker thread, a *P* a scheduling context
//! that owns a run queue ([`crate::runq`]) and a timer heap
//! ([`crate::timers`]). An M runs tasks only while it holds a P; there are
//! exactly `procs` Ps (GOMAXPROCS) and as many Ms as needed (more than
//! `procs` when some are blocked).
//!
//! # Layout
//!
//! ```text
//!   Shared ─┬─ ps: [P; procs]      P { runq (ring + runnext), status, schedtick,
//!           │                           poll_seq, timers, preempt }
//!           ├─ sched: Mutex<Sched>  Sched { runq: global queue, idle_ps, idle_ms,
//!           │                               mcount, nmidle }        (Go: sched.lock)
//!           ├─ nmspinning, npidle, global_len   (atomics read without the lock)
//!           ├─ registry: shards of id → Arc<Task>  (dump, deadlock check)
//!           └─ sysmon thread, blocking pool, event recorder
//!
//!   M (thread) ── holds at most one P ── polls one task at a time
//! ```
//!
//! # P status and ownership
//!
//! ```text
//!   P_IDLE ──startm──▶ P_SCHED ──poll──▶ P_RUNNING ──poll returns──▶ P_SCHED
//!     ▲                  │                  │  ▲
//!     └──── released ────┘                  │  └── push done ── P_PUSHING
//!                                           └── sysmon retake / blocking ──▶ handoffp
//! ```
//!
//! - R1. The M that moved a P to `P_SCHED` owns it: only it pushes to the
//!   P's ring (the ring's single-producer rule).
//! - R2. During a poll the P is `P_RUNNING`; a push from inside the poll
//!   (a spawn or a wake on this worker) first CASes `P_RUNNING → P_PUSHING`
//!   and stores `P_RUNNING` after. Sysmon takes a P only by CASing
//!   `P_RUNNING → P_SCHED` (for itself), so it never takes a P in the middle
//!   of a push, and a push that finds the P taken goes to the global queue.
//! - R3. After a poll, the M CASes `P_RUNNING → P_SCHED`; if that fails the P
//!   was taken, and the M continues without one (Go's `exitsyscall`).
//! - R4. A submission followed by `wakep` and a spinning M that stops
//!   spinning are ordered by SeqCst on `nmspinning` and the queues (the
//!   header comment of proc.go): the submitter stores the task then reads
//!   `nmspinning`; the last spinner decrements `nmspinning` then rereads
//!   every ring and the global queue ("delicate dance"). One of them sees
//!   the other, so a task is never left with every M parked.
//!
//! # Go correspondence
//!
//! `schedule` → `Shared::schedule`, `findRunnable` → `find_runnable`,
//! `execute` → `execute`, `stealWork` → `steal_work`, `resetspinning` →
//! `reset_spinning`, `wakep` → `wakep`, `startm` → `startm`, `handoffp` →
//! `handoffp`, `stopm` → `stopm`, `ready` → `ready`, `globrunqput` →
//! `global_put`, `globrunqget` → `global_get`, `sysmon`/`retake` →
//! `sysmon`/`retake`, `checkdead` → `deadlocked`, `entersyscallblock` /
//! `exitsyscall` → [`blocking`](crate::blocking).
//!
//! # Divergences
//!
//! - A future cannot be preempted, nor say that it blocks. A poll that has
//!   run for [`Builder::retake_after`] (default 100 µs, seen on at least
//!   two sysmon ticks) without pushing to its ring (a poll that spawns or
//!   wakes tasks is making progress) while its P has queued work is
//!   treated like Go's
//!   syscall: sysmon takes the P (`retake`) and hands it to another M, so
//!   the queued tasks run; the stuck M finishes its poll without a P. With
//!   no queued work the P is taken after 10 ms, or as soon as no other M
//!   could run new work.
//! - Sysmon's backed-off nap (up to 10 ms) is cut short when a P leaves the
//!   idle list, so a poll that blocks right after a quiet spell is still
//!   noticed within a tick; Go wakes sysmon only from its deep sleep. A chain of `runnext` hand-offs sharing one
//!   time slice for 10 ms (Go's `forcePreemptNS`) is ended by moving the
//!   `runnext` task to the global queue (the effect of Go preempting it).
//! - The thread calling [`Runtime::block_on`] plays M0: it polls the main
//!   future itself and, while holding a P, runs other tasks too.
//! - Go's netpoller is absent: idle Ms sleep on a condition variable until
//!   the earliest timer.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::fmt;
use core::future::Future;
use core::panic::Location;
use core::pin::pin;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use core::time::Duration;
use gocore::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::gfree::{FreeList, GlobalFreeList, GFREE_MAX};
use crate::runq::{global_batch_size, RunQueue, DEFAULT_CAPACITY};
use crate::stats::Event;
use crate::task::{Body, Harness, JoinHandle, Task, DONE, IDLE, NOTIFIED, RUNNING, SCHEDULED};
use crate::time::TimerEntry;
use crate::timers::TimerHeap;

pub(crate) const P_IDLE: u8 = 0;
pub(crate) const P_SCHED: u8 = 1;
pub(crate) const P_RUNNING: u8 = 2;
pub(crate) const P_PUSHING: u8 = 3;

/// Go: `forcePreemptNS` (10 ms), the time slice.
pub const FORCE_PREEMPT: Duration = Duration::from_millis(10);
/// Go: sysmon's shortest sleep, `usleep(delay)` with `delay = 20`.
pub const SYSMON_MIN_SLEEP: Duration = Duration::from_micros(20);
/// Go: sysmon's longest sleep, 10 ms.
pub const SYSMON_MAX_SLEEP: Duration = Duration::from_millis(10);
/// The default of [`Builder::retake_after`].
pub const DEFAULT_RETAKE_AFTER: Duration = Duration::from_micros(100);
/// Go: `stealTries` in `stealWork`.
pub const STEAL_TRIES: usize = 4;
/// Go: the thief's `usleep(3)` before taking a running victim's `runnext`.
pub const RUNNEXT_STEAL_PAUSE: Duration = Duration::from_micros(3);
/// Go: `_GoidCacheBatch`, task ids a P reserves at once, so that its
/// spawns do not all bump one shared counter.
pub const GOID_CACHE_BATCH: u64 = 16;
/// Go: `schedtick%61 == 0` in `findRunnable`.
pub const GLOBAL_FAIRNESS_TICK: u32 = 61;

/// Go's text for a dead program: `fatal error: all goroutines are asleep - deadlock!`.
pub const DEADLOCK_MESSAGE: &str = "all goroutines are asleep - deadlock!";

/// Go: `p`.
pub(crate) struct P {
    pub(crate) runq: RunQueue<Arc<Task>>,
    pub(crate) status: AtomicU8,
    /// Go: `schedtick`, incremented when a task starts a new time slice.
    pub(crate) schedtick: AtomicU32,
    /// Incremented at every poll; sysmon sees a stuck poll when it does not move.
    pub(crate) poll_seq: AtomicU32,
    pub(crate) timers: Mutex<TimerHeap<Arc<TimerEntry>>>,
    /// Go: `timer0When`, the earliest deadline on this P (`u64::MAX`: none).
    pub(crate) timer0_when: AtomicU64,
    /// Set by sysmon when one time slice lasted 10 ms.
    pub(crate) preempt: AtomicBool,
    /// Go: `gFree`, finished tasks whose allocation the next spawn reuses.
    pub(crate) gfree: FreeList,
    /// Go: `goidcache`/`goidcacheend`, task ids reserved for this P's
    /// spawns (owner-only, like the free list: F1 in `gfree.rs`).
    goid_next: AtomicU64,
    goid_end: AtomicU64,
}

/// Go: `m.park` plus what `startm` hands over (`m.nextp`, `m.spinning`).
pub(crate) struct MPark {
    slot: Mutex<MSlot>,
    cv: Condvar,
}

#[derive(Default)]
struct MSlot {
    next_p: Option<usize>,
    spinning: bool,
    /// Woken without a P, to recompute its timer timeout.
    kicked: bool,
}

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
    /// Go: `allgs`, sharded by task id: every live spawned task (the task
    /// dump, the deadlock check, teardown, `num_goroutine`). A task knows
    /// its index in its shard (`Task::registry_index`), so adding and
    /// removing one is a push and a `swap_remove` under the shard's lock.
    pub(crate) registry: Vec<Mutex<Vec<Arc<Task>>>>,
    /// Go: `sched.gFree`, finished tasks that overflowed a P's free list.
    gfree_global: GlobalFreeList,
    coprimes: Vec<usize>,
    /// Tasks inside `blocking` plus queued or running `spawn_blocking` jobs.
    pub(crate) nblocking: AtomicUsize,
    pub(crate) nblock_on: AtomicUsize,
    sysmon_wake: (Mutex<()>, Condvar),
    /// Sysmon sleeps more than its minimum (it found nothing to do for 50
    /// rounds): a P leaving the idle list wakes it (see `pidleget`).
    sysmon_napping: AtomicBool,
    sysmon_kicked: AtomicBool,
    pub(crate) blocking_pool: crate::blocking::Pool,
    pub(crate) events: Option<Mutex<Vec<Event>>>,
    /// Nanoseconds; see [`Builder::retake_after`].
    pub(crate) retake_after: u64,
    /// Nanoseconds; see [`Builder::time_slice`].
    pub(crate) time_slice: u64,
    self_ref: alloc::sync::Weak<Shared>,
}

// ---- the per-thread context ----------------------------------------------

pub(crate) struct Ctx {
    pub(crate) shared: Arc<Shared>,
    /// The P this thread holds, if any.
    pub(crate) p: Cell<Option<usize>>,
    /// Whether a task is being polled (R2 applies to pushes).
    pub(crate) in_poll: Cell<bool>,
    /// Set by `yield_now`: the task goes to the global queue.
    pub(crate) yielded: Cell<bool>,
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
    pub(crate) fn enter(shared: Arc<Shared>) -> CtxGuard {
        CTX.with(|c| {
            *c.borrow_mut() = Some(Ctx {
                shared,
                p: Cell::new(None),
                in_poll: Cell::new(false),
                yielded: Cell::new(false),
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

fn ctx_set_p(p: Option<usize>) {
    with_ctx(|c| {
        if let Some(c) = c {
            c.p.set(p)
        }
    })
}

// ---- builder and runtime ---------------------------------------------------

/// Configures a [`Runtime`].
///
/// ```
/// let rt = gosched::Runtime::builder().procs(2).ring_capacity(4).build()?;
/// assert_eq!(rt.gomaxprocs(), 2);
/// # Ok::<(), gosched::BuildError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    procs: Option<usize>,
    ring_capacity: usize,
    record_events: bool,
    retake_after: Duration,
    time_slice: Duration,
}

/// A [`Builder`] setting was invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    message: alloc::string::String,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for BuildError {}

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

/// The default P count: env `GOMAXPROCS` when it is a positive integer,
/// else the available parallelism (Go's `ncpu`).
pub fn default_procs() -> usize {
    std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            procs: None,
            ring_capacity: DEFAULT_CAPACITY,
            record_events: false,
            retake_after: DEFAULT_RETAKE_AFTER,
            time_slice: FORCE_PREEMPT,
        }
    }
}

impl Builder {
    /// The number of Ps (Go's `GOMAXPROCS`). Default: env `GOMAXPROCS` if
    /// set to a positive integer, else the available parallelism.
    pub fn procs(mut self, n: usize) -> Self {
        self.procs = Some(n);
        self
    }

    /// Slots of each P's ring (a power of two; Go: 256, the default).
    pub fn ring_capacity(mut self, capacity: usize) -> Self {
        self.ring_capacity = capacity;
        self
    }

    /// Test instrumentation: record scheduling [`Event`]s (runs, overflow
    /// batches, steals, hand-offs), read with [`Runtime::take_events`].
    /// Off by default; when off, recording costs one branch.
    pub fn record_events(mut self, on: bool) -> Self {
        self.record_events = on;
        self
    }

    /// How long one poll may run, while its P has queued work, before
    /// sysmon takes the P and hands it to another M (Go retakes a P stuck
    /// in a syscall after one sysmon tick, 20 µs; a future cannot say that
    /// it blocks, so every poll is treated alike). Default 100 µs. A poll
    /// with no queued work behind it keeps its P for `max(10 ms, this)`.
    /// Tests of exact run order set it high, so that an OS hiccup in the
    /// middle of a poll never moves the P.
    pub fn retake_after(mut self, after: Duration) -> Self {
        self.retake_after = after;
        self
    }

    /// The time slice shared by a chain of `runnext` hand-offs before
    /// sysmon ends it (Go's `forcePreemptNS`, 10 ms, the default). Tests of
    /// exact run order set it high.
    pub fn time_slice(mut self, slice: Duration) -> Self {
        self.time_slice = slice;
        self
    }

    /// Builds the runtime and starts its sysmon thread. Worker threads are
    /// started on demand (Go's `startm`).
    ///
    /// # Errors
    ///
    /// `procs` is 0, or the ring capacity is not a power of two in `2..=2^30`.
    pub fn build(self) -> Result<Runtime, BuildError> {
        let procs = self.procs.unwrap_or_else(default_procs);
        if procs == 0 {
            return Err(BuildError {
                message: "gosched: procs must be at least 1".into(),
            });
        }
        let cap = self.ring_capacity;
        if !cap.is_power_of_two() || !(2..=1 << 30).contains(&cap) {
            return Err(BuildError {
                message: alloc::format!(
                    "gosched: ring capacity must be a power of two in 2..=2^30, got {cap}"
                ),
            });
        }
        let ps = (0..procs)
            .map(|_| P {
                runq: RunQueue::new(cap),
                status: AtomicU8::new(P_IDLE),
                schedtick: AtomicU32::new(0),
                poll_seq: AtomicU32::new(0),
                timers: Mutex::new(TimerHeap::new()),
                timer0_when: AtomicU64::new(u64::MAX),
                preempt: AtomicBool::new(false),
                gfree: FreeList::new(),
                goid_next: AtomicU64::new(0),
                goid_end: AtomicU64::new(0),
            })
            .collect();
        let shards = (procs * 4).next_power_of_two();
        let shared = Arc::new_cyclic(|self_ref| Shared {
            self_ref: self_ref.clone(),
            ps,
            sched: Mutex::new(Sched {
                runq: VecDeque::new(),
                // Popped from the end: P0 first, as Go's pidleget after procresize.
                idle_ps: (0..procs).rev().collect(),
                idle_ms: Vec::new(),
                mcount: 0,
                nmidle: 0,
                m0s: Vec::new(),
                threads: Vec::new(),
            }),
            global_len: AtomicUsize::new(0),
            nmspinning: AtomicU32::new(0),
            npidle: AtomicU32::new(procs as u32),
            shutdown: AtomicBool::new(false),
            start: Instant::now(),
            coarse_now: AtomicU64::new(0),
            next_id: AtomicU64::new(2),
            registry: (0..shards).map(|_| Mutex::new(Vec::new())).collect(),
            gfree_global: GlobalFreeList::new(),
            coprimes: (1..=procs).filter(|&i| gcd(i, procs) == 1).collect(),
            nblocking: AtomicUsize::new(0),
            nblock_on: AtomicUsize::new(0),
            sysmon_wake: (Mutex::new(()), Condvar::new()),
            sysmon_napping: AtomicBool::new(false),
            sysmon_kicked: AtomicBool::new(false),
            blocking_pool: crate::blocking::Pool::new(),
            events: self.record_events.then(|| Mutex::new(Vec::new())),
            retake_after: self.retake_after.as_nanos().min(u64::MAX as u128) as u64,
            time_slice: self.time_slice.as_nanos().min(u64::MAX as u128) as u64,
        });
        let sm = shared.clone();
        let sysmon = std::thread::Builder::new()
            .name("gosched-sysmon".into())
            .spawn(move || sysmon(sm))
            .map_err(|e| BuildError {
                message: alloc::format!("gosched: cannot start sysmon: {e}"),
            })?;
        lock(&shared.sched).threads.push(sysmon);
        Ok(Runtime { shared })
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs under the runtime's locks, so a poisoned lock only
    // means a bug elsewhere already panicked; the data is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A Go-style M:N scheduler: `procs` Ps, worker threads started on demand,
/// a sysmon thread. See the [crate documentation](crate).
///
/// Dropping it stops the workers (waiting for polls in progress to return)
/// and drops every unfinished task's future.
pub struct Runtime {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("procs", &self.shared.ps.len())
            .finish()
    }
}

impl Runtime {
    /// A [`Builder`] with Go's defaults.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A runtime with the default settings.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    pub fn new() -> Result<Runtime, BuildError> {
        Builder::default().build()
    }

    /// The number of Ps (Go's `runtime.GOMAXPROCS(0)`).
    pub fn gomaxprocs(&self) -> usize {
        self.shared.ps.len()
    }

    /// Live spawned tasks plus the main futures of running `block_on` calls
    /// (Go's `runtime.NumGoroutine`, which counts `main`).
    pub fn num_goroutine(&self) -> usize {
        self.shared.num_goroutine()
    }

    /// Spawns a task from any thread (see [`spawn`](crate::spawn)); from
    /// outside the runtime it goes to the global queue and wakes an M.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
    /// let h = rt.spawn(async { 2 });
    /// assert_eq!(rt.block_on(h).unwrap().unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, Location::caller())
    }

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
    /// progress; no other `block_on` runs on this runtime; and **no waker**
    /// of `future` or of any parked task exists outside the runtime (a waker
    /// waiting in a [`JoinHandle`] counts as inside). The last condition is
    /// what a library can know: a waker held by a channel may be used by
    /// any thread, so a task parked on a channel is never declared dead,
    /// even if Go would call it a deadlock. Typical proven cases: a
    /// `pending()` future, a task that dropped its waker, a chain of tasks
    /// awaiting each other's `JoinHandle`s around such a task.
    ///
    /// # Panics
    ///
    /// If called from inside a task of any gosched runtime (it would block
    /// a worker), and with the panic of `future` itself.
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
        assert!(
            current_shared().is_none(),
            "gosched: block_on called from a thread that is already running a gosched runtime"
        );
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
                let polled = shared.poll_in_p(guard.m, || future.as_mut().poll(&mut cx));
                core::mem::forget(guard);
                // `yield_now` in the main future (Go's Gosched in main): let
                // one queued task run before the main future again.
                let yielded = with_ctx(|c| c.is_some_and(|c| c.yielded.replace(false)));
                if yielded && polled.is_pending() {
                    shared.run_one(&mut m);
                }
                if let Poll::Ready(v) = polled {
                    if let Some(p) = m.p.take() {
                        // Leaving: hand the P on only if work waits on it.
                        if shared.ps[p].runq.is_empty() {
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

    /// A snapshot of the scheduler (Go's `GODEBUG=schedtrace`); its
    /// `Display` prints Go's `SCHED` line.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(2).build().unwrap();
    /// let s = rt.stats();
    /// assert_eq!(s.gomaxprocs, 2);
    /// assert!(s.to_string().starts_with("SCHED "));
    /// ```
    pub fn stats(&self) -> crate::stats::Stats {
        self.shared.stats()
    }

    /// Every live spawned task, as Go's goroutine dump lists them.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
    /// let h = rt.spawn(std::future::pending::<()>());
    /// let dump = rt.dump();
    /// assert_eq!(dump.tasks.len(), 1);
    /// assert!(dump.to_string().starts_with(&format!("goroutine {} [", h.id().unwrap())));
    /// h.abort();
    /// ```
    pub fn dump(&self) -> crate::stats::TaskDump {
        self.shared.dump()
    }

    /// Takes the events recorded so far (only with
    /// [`Builder::record_events`]; empty otherwise).
    pub fn take_events(&self) -> Vec<Event> {
        self.shared
            .events
            .as_ref()
            .map(|e| core::mem::take(&mut *lock(e)))
            .unwrap_or_default()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // A task or a blocking job that drops the last `Runtime` runs this
        // on one of the runtime's own threads, in the middle of a poll:
        // tearing down here would drop the very future being polled and
        // join the thread we are on. The teardown then moves to a thread of
        // its own, which first waits for every M, this one included, to
        // finish its poll and exit.
        let inside = current_shared().is_some_and(|s| Arc::ptr_eq(&s, &self.shared));
        if inside {
            self.shared.shutdown.store(true, Ordering::SeqCst);
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new()
                .name("gosched-teardown".into())
                .spawn(move || teardown(&shared));
            // Without a thread to finish the job, the runtime's state stays
            // allocated (a leak), never freed under a running poll.
            drop(spawned);
            return;
        }
        teardown(&self.shared);
    }
}

/// Stops every M, sysmon and the blocking pool, then cancels every task the
/// runtime still holds. Runs on a thread that is not one of the runtime's.
fn teardown(shared: &Arc<Shared>) {
    shared.shutdown.store(true, Ordering::SeqCst);
    let threads = {
        let mut s = lock(&shared.sched);
        for m in s.idle_ms.drain(..) {
            lock(&m.slot).kicked = true;
            m.cv.notify_one();
        }
        core::mem::take(&mut s.threads)
    };
    {
        let _g = lock(&shared.sysmon_wake.0);
        shared.sysmon_wake.1.notify_all();
    }
    let me = std::thread::current().id();
    for t in threads {
        if t.thread().id() != me {
            let _ = t.join();
        }
    }
    shared.blocking_pool.shutdown();
    // No M runs now: this thread may act as every P's owner.
    let mut tasks: Vec<Arc<Task>> = Vec::new();
    for p in &shared.ps {
        // SAFETY: R1: every M has exited, so no other thread owns a P.
        tasks.extend(unsafe { p.runq.drain() });
        let timers = lock(&p.timers).take_all();
        drop(timers);
        // Free tasks hold the runtime's state: break the cycle.
        // SAFETY: F1: no M runs, as above.
        let free = unsafe { p.gfree.take_all() };
        drop(free);
    }
    drop(shared.gfree_global.take_all());
    tasks.extend(core::mem::take(&mut lock(&shared.sched).runq));
    for shard in &shared.registry {
        let all = core::mem::take(&mut *lock(shard));
        tasks.extend(all);
    }
    for t in &tasks {
        t.cancel();
    }
    drop(tasks);
}

/// What an M carries between scheduling decisions (Go: fields of `m`).
pub(crate) struct MState {
    pub(crate) p: Option<usize>,
    pub(crate) spinning: bool,
    park: Option<Arc<MPark>>,
}

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
    woken: AtomicBool,
    /// The `block_on` thread is (about to be) parked: only then does a wake
    /// pay for `unpark` (a futex call). Dekker pair with `woken`, SeqCst.
    parked: AtomicBool,
    /// Live clones outside the runtime (as a task's `live_wakers`).
    wakers: AtomicUsize,
    thread: std::thread::Thread,
}

impl MainWaker {
    fn wake(&self) {
        self.woken.store(true, Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) {
            self.thread.unpark();
        }
    }

    /// Parks the `block_on` thread unless the main future was woken (or
    /// until `timeout`).
    fn park(&self, timeout: Option<Duration>) {
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

/// The clone counter of a main waker, if `w` is one.
pub(crate) fn main_waker_of(w: &Waker) -> Option<&AtomicUsize> {
    if core::ptr::eq(w.vtable(), &MAIN_VTABLE) {
        // SAFETY: a waker with this vtable holds an `Arc<MainWaker>`
        // reference, alive while `w` is borrowed.
        Some(&unsafe { &*w.data().cast::<MainWaker>() }.wakers)
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

// ---- the scheduler ---------------------------------------------------------

enum Found {
    Task(Arc<Task>, bool),
    /// M0: the main future was woken.
    Main,
    /// M0 released its P; or shutdown.
    Stop,
}

impl Shared {
    pub(crate) fn now_nanos(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    pub(crate) fn record(&self, event: impl FnOnce() -> Event) {
        if let Some(ev) = &self.events {
            let e = event();
            lock(ev).push(e);
        }
    }

    /// Go's `newproc`: a new task into this worker's `runnext`, or into the
    /// global queue from outside.
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let body = Arc::new(Harness::new(future, false));
        let task = self.spawn_body(body.clone(), location, true);
        JoinHandle { inner: body, task }
    }

    /// Spawns a task running `body`; returns the task when `handle`.
    pub(crate) fn spawn_body(
        self: &Arc<Self>,
        body: Arc<dyn Body>,
        location: &'static Location<'static>,
        handle: bool,
    ) -> Option<Arc<Task>> {
        if let Some((p, in_poll)) = self.local_p() {
            if self.lease(p, in_poll) {
                // This M owns P `p` until `put_owned` (R1/R2, F1).
                let id = self.goid_get(p);
                // SAFETY: F1: we own P `p`.
                let task = match unsafe { self.ps[p].gfree.get(&self.gfree_global) } {
                    Some(mut t) => {
                        Task::reuse(&mut t, id, body, location);
                        t
                    }
                    None => Task::new(id, self.clone(), body, location),
                };
                self.register(&task);
                let out = handle.then(|| task.clone());
                if self.shutdown.load(Ordering::Acquire) {
                    self.release(p, in_poll);
                    task.cancel();
                    self.task_done(&task);
                    return out;
                }
                self.put_owned(p, task, true, in_poll);
                return out;
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let task = Task::new(id, self.clone(), body, location);
        self.register(&task);
        let out = handle.then(|| task.clone());
        if self.shutdown.load(Ordering::Acquire) {
            task.cancel();
            self.task_done(&task);
            return out;
        }
        self.global_put(task);
        self.wakep();
        out
    }

    /// Go: `newproc1`'s id from `pp.goidcache`, refilled by
    /// [`GOID_CACHE_BATCH`] from the shared counter. The caller owns P `p`.
    fn goid_get(&self, p: usize) -> u64 {
        let pp = &self.ps[p];
        let mut next = pp.goid_next.load(Ordering::Relaxed);
        if next == pp.goid_end.load(Ordering::Relaxed) {
            next = self.next_id.fetch_add(GOID_CACHE_BATCH, Ordering::Relaxed);
            pp.goid_end
                .store(next + GOID_CACHE_BATCH, Ordering::Relaxed);
        }
        pp.goid_next.store(next + 1, Ordering::Relaxed);
        next
    }

    fn register(&self, task: &Arc<Task>) {
        let mut shard = lock(self.registry_shard(task.id));
        task.registry_index.store(shard.len(), Ordering::Relaxed);
        shard.push(task.clone());
    }

    fn registry_shard(&self, id: u64) -> &Mutex<Vec<Arc<Task>>> {
        &self.registry[id as usize & (self.registry.len() - 1)]
    }

    /// Live spawned tasks plus running `block_on` futures (Go's `gcount`,
    /// also counted when asked).
    pub(crate) fn num_goroutine(&self) -> usize {
        let spawned: usize = self.registry.iter().map(|s| lock(s).len()).sum();
        spawned + self.nblock_on.load(Ordering::Acquire)
    }

    /// Go: `gfput`: keeps a finished task's allocation on P `p`'s free
    /// list when nothing else refers to it (F2).
    ///
    /// # Safety
    ///
    /// F1: the caller owns P `p` (scheduler context).
    unsafe fn gfput(&self, p: usize, task: Arc<Task>) {
        if Arc::strong_count(&task) == 1 {
            let global_max = GFREE_MAX * self.ps.len();
            // SAFETY: F1, the caller's contract.
            unsafe { self.ps[p].gfree.put(task, &self.gfree_global, global_max) };
        }
    }

    pub(crate) fn task_done(&self, task: &Task) {
        let mut shard = lock(self.registry_shard(task.id));
        let i = task.registry_index.load(Ordering::Relaxed);
        // Teardown may have emptied the registry already.
        if shard
            .get(i)
            .is_some_and(|t| core::ptr::eq(Arc::as_ptr(t), task))
        {
            let removed = shard.swap_remove(i);
            if let Some(moved) = shard.get(i) {
                moved.registry_index.store(i, Ordering::Relaxed);
            }
            drop(shard);
            drop(removed);
        }
    }

    /// The P this thread holds in this runtime, and whether a poll is in
    /// progress (R2 applies to pushes).
    fn local_p(&self) -> Option<(usize, bool)> {
        with_ctx(|c| match c {
            Some(c) if core::ptr::eq(Arc::as_ptr(&c.shared), self) => {
                c.p.get().map(|p| (p, c.in_poll.get()))
            }
            _ => None,
        })
    }

    /// Go's `ready`: on a worker that holds a P, into its `runnext`; from
    /// anywhere else, into the global queue; then `wakep`.
    pub(crate) fn ready(&self, task: Arc<Task>) {
        if self.shutdown.load(Ordering::Acquire) {
            return;
        }
        match self.local_p() {
            Some((p, in_poll)) if self.lease(p, in_poll) => self.put_owned(p, task, true, in_poll),
            _ => {
                self.global_put(task);
                self.wakep();
            }
        }
    }

    /// Makes this M the owner of P `p` for a push (R2): inside a poll,
    /// CASes `P_RUNNING → P_PUSHING`. Returns false when sysmon took the P
    /// (this M no longer holds one).
    fn lease(&self, p: usize, in_poll: bool) -> bool {
        if in_poll
            && self.ps[p]
                .status
                .compare_exchange(P_RUNNING, P_PUSHING, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            ctx_set_p(None);
            return false;
        }
        true
    }

    /// Ends a [`lease`](Self::lease).
    fn release(&self, p: usize, in_poll: bool) {
        if in_poll {
            self.ps[p].status.store(P_RUNNING, Ordering::Release);
        }
    }

    /// Go's `runqput` + `wakep` by the owner of P `p` (after a
    /// [`lease`](Self::lease), which this ends).
    fn put_owned(&self, p: usize, task: Arc<Task>, next: bool, in_poll: bool) {
        let pp = &self.ps[p];
        // SAFETY: 1. R1/R2: this M owns P `p` (it holds it in P_SCHED, or
        // holds the P_PUSHING lease), so no other thread runs owner methods.
        let overflow = unsafe { pp.runq.put(task, next) };
        self.release(p, in_poll);
        if let Some(batch) = overflow {
            self.record(|| Event::Overflow {
                p,
                tasks: batch.iter().map(|t| t.id).collect(),
            });
            self.global_put_batch(batch);
        }
        // With one P, held by this M, no P is idle: `wakep` could not start
        // anything, so skip its fence.
        if self.ps.len() > 1 {
            self.wakep();
        }
    }

    /// Go: `globrunqput`.
    pub(crate) fn global_put(&self, task: Arc<Task>) {
        let mut s = lock(&self.sched);
        s.runq.push_back(task);
        self.global_len.store(s.runq.len(), Ordering::SeqCst);
    }

    /// Go: `globrunqputbatch`.
    fn global_put_batch(&self, batch: Vec<Arc<Task>>) {
        let mut s = lock(&self.sched);
        s.runq.extend(batch);
        self.global_len.store(s.runq.len(), Ordering::SeqCst);
    }

    /// Go: `globrunqget(pp, max)`, with `sched.lock` held: the first task
    /// to run, the rest of the batch into P `p`'s ring.
    fn global_get(&self, s: &mut Sched, p: usize, max: usize) -> Option<Arc<Task>> {
        let pp = &self.ps[p];
        let n = global_batch_size(s.runq.len(), self.ps.len(), max, pp.runq.capacity());
        if n == 0 {
            return None;
        }
        let first = s.runq.pop_front();
        for _ in 1..n {
            let Some(t) = s.runq.pop_front() else { break };
            // SAFETY: 1. R1: the caller owns P `p` (scheduler context).
            if let Some(batch) = unsafe { pp.runq.put(t, false) } {
                s.runq.extend(batch);
            }
        }
        self.global_len.store(s.runq.len(), Ordering::SeqCst);
        if n > 1 {
            self.record(|| Event::GlobalBatch { p, n });
        }
        first
    }

    /// Go: `wakep`. Starts one spinning M if a P is idle and no M spins.
    pub(crate) fn wakep(&self) {
        // R4: the submission (a ring or global-queue store) is ordered
        // before the reads below.
        fence(Ordering::SeqCst);
        if self.npidle.load(Ordering::SeqCst) == 0 || self.nmspinning.load(Ordering::SeqCst) != 0 {
            return;
        }
        if self
            .nmspinning
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return;
        }
        self.startm(None, true);
    }

    /// Takes an idle P, if any (Go: `pidleget`).
    fn idle_p_get(&self) -> Option<usize> {
        let mut s = lock(&self.sched);
        self.pidleget(&mut s)
    }

    fn pidleget(&self, s: &mut Sched) -> Option<usize> {
        let p = s.idle_ps.pop()?;
        self.npidle.fetch_sub(1, Ordering::SeqCst);
        self.ps[p].status.store(P_SCHED, Ordering::Release);
        self.wake_sysmon();
        Some(p)
    }

    /// A P goes back to work: if sysmon has backed off to a long nap, wake
    /// it so that a poll that blocks soon is noticed within its 20 µs tick,
    /// not after up to 10 ms. (Go's sysmon is woken only from its deep
    /// sleep, `sysmonwait`; this also cuts the backed-off nap short.)
    fn wake_sysmon(&self) {
        if self.sysmon_napping.load(Ordering::Relaxed)
            && !self.sysmon_kicked.swap(true, Ordering::AcqRel)
        {
            let _g = lock(&self.sysmon_wake.0);
            self.sysmon_wake.1.notify_one();
        }
    }

    fn pidleput(&self, s: &mut Sched, p: usize) {
        self.ps[p].status.store(P_IDLE, Ordering::Release);
        s.idle_ps.push(p);
        self.npidle.fetch_add(1, Ordering::SeqCst);
    }

    /// Go: `startm(pp, spinning)`. Gives P `p` (or an idle P) to an idle M,
    /// or to a new thread.
    pub(crate) fn startm(self: &Shared, p: Option<usize>, spinning: bool) {
        let mut s = lock(&self.sched);
        let p = match p {
            Some(p) => p,
            None => match self.pidleget(&mut s) {
                Some(p) => p,
                None => {
                    drop(s);
                    if spinning {
                        // Go: "The caller incremented nmspinning, but there
                        // are no idle Ps, so it's okay to just undo the
                        // increment and give up."
                        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                    }
                    return;
                }
            },
        };
        self.ps[p].status.store(P_SCHED, Ordering::Release);
        self.record(|| Event::StartM { p, spinning });
        if let Some(m) = s.idle_ms.pop() {
            s.nmidle -= 1;
            let mut slot = lock(&m.slot);
            slot.next_p = Some(p);
            slot.spinning = spinning;
            drop(slot);
            m.cv.notify_one();
            return;
        }
        if self.shutdown.load(Ordering::Acquire) {
            self.pidleput(&mut s, p);
            if spinning {
                self.nmspinning.fetch_sub(1, Ordering::SeqCst);
            }
            return;
        }
        s.mcount += 1;
        let shared = self.arc();
        let spawned = std::thread::Builder::new()
            .name("gosched-m".into())
            .spawn(move || m_main(shared, p, spinning));
        match spawned {
            Ok(t) => s.threads.push(t),
            Err(_) => {
                // Out of threads: give the P back; the work stays queued for
                // the Ms that exist.
                s.mcount -= 1;
                self.pidleput(&mut s, p);
                if spinning {
                    self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
    }

    fn arc(&self) -> Arc<Shared> {
        // `Shared` lives in the `Arc` built by `Builder::build`, which the
        // `Runtime` keeps until every M has exited.
        self.self_ref
            .upgrade()
            .expect("gosched: runtime state alive while an M runs")
    }

    /// Go: `handoffp`. Finds an M for P `p`, which the caller owns and
    /// gives up, or parks `p` on the idle list.
    pub(crate) fn handoffp(&self, p: usize) {
        self.record(|| Event::Handoff { p });
        if !self.ps[p].runq.is_empty() || self.global_len.load(Ordering::SeqCst) > 0 {
            self.startm(Some(p), false);
            return;
        }
        if self.nmspinning.load(Ordering::SeqCst) + self.npidle.load(Ordering::SeqCst) == 0
            && self
                .nmspinning
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            self.startm(Some(p), true);
            return;
        }
        let mut s = lock(&self.sched);
        if !s.runq.is_empty() {
            drop(s);
            self.startm(Some(p), false);
            return;
        }
        self.pidleput(&mut s, p);
        let timers = self.ps[p].timer0_when.load(Ordering::Acquire) != u64::MAX;
        drop(s);
        if timers {
            self.kick_timer_sleeper();
        }
    }

    /// Wakes one idle M without a P so that it recomputes its sleep until
    /// the earliest timer (Go: `wakeNetPoller`); starts one if none sleeps.
    pub(crate) fn kick_timer_sleeper(&self) {
        let s = lock(&self.sched);
        if let Some(m) = s.idle_ms.last() {
            lock(&m.slot).kicked = true;
            m.cv.notify_one();
            return;
        }
        let m0 = s.m0s.first().cloned();
        let workers = s.mcount;
        drop(s);
        if let Some(t) = m0 {
            t.unpark();
        }
        if workers == 0 {
            self.startm(None, false);
        }
    }

    /// Go: `schedule`, looping: find a task, run it. Returns when the M has
    /// no P left (M0) or at shutdown.
    fn schedule(&self, m: &mut MState, main: Option<&MainWaker>) {
        loop {
            match self.find_runnable(m, main) {
                Found::Task(task, inherit) => {
                    if m.spinning {
                        self.reset_spinning(m);
                    }
                    self.execute(m, task, inherit);
                    if m.p.is_none() {
                        if main.is_some() {
                            return;
                        }
                        // Go's exitsyscall0: any idle P, else park.
                        m.p = self.idle_p_get();
                        ctx_set_p(m.p);
                        if m.p.is_none() && !self.stopm(m) {
                            return;
                        }
                    }
                }
                Found::Main => {
                    // M0 may have been spinning when its main future woke:
                    // it stops spinning as an M that found work does, or
                    // `nmspinning` would stay raised after `block_on`
                    // returns and `wakep` would never start an M again.
                    if m.spinning {
                        self.reset_spinning(m);
                    }
                    return;
                }
                Found::Stop => return,
            }
        }
    }

    /// Runs one task of this M's P (ring, else global queue), if any: how
    /// the main future's `yield_now` lets others run.
    fn run_one(&self, m: &mut MState) {
        let Some(p) = m.p else { return };
        // SAFETY: 1. R1: this M owns P `p` in scheduler context.
        let found = match unsafe { self.ps[p].runq.get() } {
            Some(t) => Some(t),
            None if self.global_len.load(Ordering::Acquire) > 0 => {
                let mut s = lock(&self.sched);
                self.global_get(&mut s, p, 0).map(|t| (t, false))
            }
            None => None,
        };
        if let Some((task, inherit)) = found {
            self.execute(m, task, inherit);
        }
    }

    /// Go: `resetspinning`.
    fn reset_spinning(&self, m: &mut MState) {
        m.spinning = false;
        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
        self.wakep();
    }

    /// Go: `findRunnable`. Blocks (parks the M) until it finds a task.
    fn find_runnable(&self, m: &mut MState, main: Option<&MainWaker>) -> Found {
        'top: loop {
            if self.shutdown.load(Ordering::Acquire) {
                if let Some(p) = m.p.take() {
                    let mut s = lock(&self.sched);
                    self.pidleput(&mut s, p);
                }
                if m.spinning {
                    m.spinning = false;
                    self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                }
                return Found::Stop;
            }
            if main.is_some_and(|w| w.woken.load(Ordering::Acquire)) {
                return Found::Main;
            }
            let p = m.p.expect("find_runnable with a P");
            let pp = &self.ps[p];
            self.check_timers(p);

            // Every 61st slice, one task from the global queue first.
            if pp.schedtick.load(Ordering::Relaxed) % GLOBAL_FAIRNESS_TICK == 0
                && self.global_len.load(Ordering::Acquire) > 0
            {
                let mut s = lock(&self.sched);
                if let Some(t) = self.global_get(&mut s, p, 1) {
                    return Found::Task(t, false);
                }
            }

            if pp.preempt.load(Ordering::Relaxed) && pp.preempt.swap(false, Ordering::AcqRel) {
                // The current slice ran 10 ms: end it as Go's preemption
                // would, sending the runnext task to the global queue.
                // SAFETY: 1. R1: we own P `p` in scheduler context.
                match unsafe { pp.runq.get() } {
                    Some((t, true)) => {
                        self.record(|| Event::Preempt { p, task: t.id });
                        self.global_put(t);
                        continue 'top;
                    }
                    // No runnext: the ring's head starts a new slice anyway.
                    Some((t, false)) => return Found::Task(t, false),
                    None => {}
                }
            }

            // SAFETY: 1. R1: we own P `p`.
            if let Some((t, inherit)) = unsafe { pp.runq.get() } {
                return Found::Task(t, inherit);
            }

            if self.global_len.load(Ordering::Acquire) > 0 {
                let mut s = lock(&self.sched);
                if let Some(t) = self.global_get(&mut s, p, 0) {
                    return Found::Task(t, false);
                }
            }

            // Spin: Go's limit `2*nmspinning < gomaxprocs - npidle`.
            let procs = self.ps.len() as u32;
            if m.spinning
                || 2 * self.nmspinning.load(Ordering::SeqCst)
                    < procs - self.npidle.load(Ordering::SeqCst)
            {
                if !m.spinning {
                    m.spinning = true;
                    self.nmspinning.fetch_add(1, Ordering::SeqCst);
                }
                if let Some(t) = self.steal_work(p) {
                    return Found::Task(t, false);
                }
            }

            // Release the P (re-checking the global queue under the lock).
            let mut s = lock(&self.sched);
            if let Some(t) = self.global_get(&mut s, p, 0) {
                return Found::Task(t, false);
            }
            if main.is_some_and(|w| w.woken.load(Ordering::Acquire)) {
                return Found::Main;
            }
            self.pidleput(&mut s, p);
            m.p = None;
            ctx_set_p(None);
            drop(s);

            if m.spinning {
                m.spinning = false;
                self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                // R4, the delicate dance: look again after dropping spinning.
                fence(Ordering::SeqCst);
                let work = self.global_len.load(Ordering::SeqCst) > 0
                    || self.ps.iter().any(|pp| !pp.runq.is_empty());
                if work {
                    if let Some(p2) = self.idle_p_get() {
                        m.p = Some(p2);
                        ctx_set_p(m.p);
                        m.spinning = true;
                        self.nmspinning.fetch_add(1, Ordering::SeqCst);
                        continue 'top;
                    }
                }
            }
            if main.is_some() {
                return Found::Stop;
            }
            if !self.stopm(m) {
                return Found::Stop;
            }
        }
    }

    /// Go: `stopm`. Parks this M on the idle list until `startm` hands it a
    /// P (or until the earliest timer is due: then it fires due timers and
    /// looks for an idle P). Returns false at shutdown.
    fn stopm(&self, m: &mut MState) -> bool {
        let park = m.park.clone().expect("a worker M has a parker");
        loop {
            {
                let mut s = lock(&self.sched);
                if self.shutdown.load(Ordering::Acquire) {
                    return false;
                }
                s.idle_ms.push(park.clone());
                s.nmidle += 1;
                if s.nmidle == s.mcount {
                    // Every M idle: let block_on threads check for deadlock.
                    for t in &s.m0s {
                        t.unpark();
                    }
                }
            }
            let timeout = self
                .earliest_timer()
                .map(|w| w.saturating_sub(self.now_nanos()));
            let mut slot = lock(&park.slot);
            loop {
                if slot.next_p.is_some() || slot.kicked || self.shutdown.load(Ordering::Acquire) {
                    break;
                }
                match timeout {
                    Some(ns) => {
                        let (g, res) = park
                            .cv
                            .wait_timeout(slot, Duration::from_nanos(ns))
                            .unwrap_or_else(|e| e.into_inner());
                        slot = g;
                        if res.timed_out() {
                            break;
                        }
                    }
                    None => slot = park.cv.wait(slot).unwrap_or_else(|e| e.into_inner()),
                }
            }
            slot.kicked = false;
            if let Some(p) = slot.next_p.take() {
                m.p = Some(p);
                m.spinning = slot.spinning;
                ctx_set_p(m.p);
                return true;
            }
            drop(slot);
            // Timed out or kicked: leave the idle list (unless startm is
            // handing us a P right now, which the slot shows under the lock).
            let mut s = lock(&self.sched);
            let mut slot = lock(&park.slot);
            if let Some(p) = slot.next_p.take() {
                m.p = Some(p);
                m.spinning = slot.spinning;
                ctx_set_p(m.p);
                return true;
            }
            drop(slot);
            if let Some(i) = s.idle_ms.iter().position(|x| Arc::ptr_eq(x, &park)) {
                s.idle_ms.swap_remove(i);
                s.nmidle -= 1;
            }
            if self.shutdown.load(Ordering::Acquire) {
                return false;
            }
            let due = self.earliest_timer().is_some_and(|w| w <= self.now_nanos());
            if due {
                if let Some(p) = self.pidleget(&mut s) {
                    drop(s);
                    m.p = Some(p);
                    ctx_set_p(m.p);
                    self.run_all_due_timers();
                    return true;
                }
            }
        }
    }

    /// Go: `stealWork`. Four passes over all Ps in a random coprime order;
    /// the last one also runs victims' due timers and may take `runnext`.
    fn steal_work(&self, p: usize) -> Option<Arc<Task>> {
        let procs = self.ps.len();
        if procs == 1 {
            return None;
        }
        let pp = &self.ps[p];
        for pass in 0..STEAL_TRIES {
            let last = pass == STEAL_TRIES - 1;
            let start = gocore::rand::fastrandn(procs as u32) as usize;
            let stride =
                self.coprimes[gocore::rand::fastrandn(self.coprimes.len() as u32) as usize];
            for i in 0..procs {
                if self.global_len.load(Ordering::Acquire) > 0 {
                    // Go: "stop spinning if there is work in the global queue".
                    let mut s = lock(&self.sched);
                    if let Some(t) = self.global_get(&mut s, p, 0) {
                        return Some(t);
                    }
                }
                let v = (start + i * stride) % procs;
                if v == p {
                    continue;
                }
                let victim = &self.ps[v];
                if last && self.check_timers(v) {
                    // SAFETY: 1. R1: we own P `p`.
                    if let Some((t, _)) = unsafe { pp.runq.get() } {
                        return Some(t);
                    }
                }
                let mut pause = || {
                    let st = victim.status.load(Ordering::Acquire);
                    if st == P_RUNNING || st == P_PUSHING {
                        std::thread::sleep(RUNNEXT_STEAL_PAUSE);
                    }
                };
                // SAFETY: 1. R1: we own P `p`, the destination.
                if let Some((t, n)) = unsafe { pp.runq.steal_from(&victim.runq, last, &mut pause) }
                {
                    self.record(|| Event::Steal {
                        thief: p,
                        victim: v,
                        n,
                    });
                    return Some(t);
                }
            }
        }
        None
    }

    /// Go: `execute` + the return from `gopark`/`goexit`: polls `task` with P
    /// `m.p` and puts it where it belongs afterwards.
    fn execute(&self, m: &mut MState, task: Arc<Task>, inherit: bool) {
        let p = m.p.expect("execute with a P");
        let pp = &self.ps[p];
        if !inherit {
            pp.schedtick.store(
                pp.schedtick.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
        }
        self.record(|| Event::Run {
            task: task.id,
            p,
            inherited: inherit,
        });
        task.state.store(RUNNING, Ordering::Release);
        let polled = self.poll_in_p(m, || task.poll());
        match polled {
            Poll::Ready(()) => {
                task.state.store(DONE, Ordering::Release);
                self.task_done(&task);
                if let Some(p) = m.p {
                    // SAFETY: F1: after the poll, this M owns `m.p`.
                    unsafe { self.gfput(p, task) };
                }
            }
            Poll::Pending => {
                let reason =
                    gocore::wait::take().map_or(crate::task::REASON_NONE, crate::task::reason_code);
                task.wait_reason.store(reason, Ordering::Relaxed);
                task.wait_since
                    .store(self.coarse_now.load(Ordering::Relaxed), Ordering::Relaxed);
                if task
                    .state
                    .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    // NOTIFIED: woken during its own poll; run it again later.
                    debug_assert_eq!(task.state.load(Ordering::Relaxed), NOTIFIED);
                    task.state.store(SCHEDULED, Ordering::Release);
                    let yielded = with_ctx(|c| c.is_some_and(|c| c.yielded.replace(false)));
                    match m.p {
                        Some(p) if !yielded => self.put_owned(p, task, false, false),
                        _ => {
                            self.global_put(task);
                            self.wakep();
                        }
                    }
                }
            }
        }
    }

    /// Polls with P `m.p` in `P_RUNNING` (R2/R3); afterwards `m.p` is the P
    /// this M still owns, in `P_SCHED`, or `None`.
    fn poll_in_p<R>(&self, m: &mut MState, poll: impl FnOnce() -> R) -> R {
        if let Some(p) = m.p {
            let pp = &self.ps[p];
            pp.poll_seq.store(
                pp.poll_seq.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
            pp.status.store(P_RUNNING, Ordering::Release);
        }
        with_ctx(|c| {
            if let Some(c) = c {
                c.in_poll.set(true);
                c.yielded.set(false);
            }
        });
        gocore::wait::take();
        let r = poll();
        // `blocking` may have swapped the P; the context knows which one.
        let cur = with_ctx(|c| {
            c.map(|c| {
                c.in_poll.set(false);
                c.p.get()
            })
        })
        .flatten();
        m.p = cur.filter(|&q| {
            self.ps[q]
                .status
                .compare_exchange(P_RUNNING, P_SCHED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        ctx_set_p(m.p);
        r
    }

    // ---- timers ----

    /// Go: `checkTimers(pp, now)`: fires P `p`'s due timers. Returns whether
    /// it fired any.
    pub(crate) fn check_timers(&self, p: usize) -> bool {
        let pp = &self.ps[p];
        let first = pp.timer0_when.load(Ordering::Acquire);
        if first == u64::MAX {
            return false;
        }
        let now = self.now_nanos();
        if first > now {
            return false;
        }
        let mut fired = Vec::new();
        {
            let mut heap = lock(&pp.timers);
            while let Some((_, e)) = heap.pop_due(now) {
                fired.push(e);
            }
            pp.timer0_when
                .store(heap.peek_when().unwrap_or(u64::MAX), Ordering::Release);
        }
        let any = !fired.is_empty();
        for e in fired {
            // A waker is user code (a foreign executor's, or a combinator's):
            // its panic must not unwind the M, which holds a P.
            let _ = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| e.fire()));
        }
        any
    }

    pub(crate) fn run_all_due_timers(&self) {
        for p in 0..self.ps.len() {
            self.check_timers(p);
        }
    }

    /// The earliest timer over all Ps (nanoseconds since start).
    pub(crate) fn earliest_timer(&self) -> Option<u64> {
        self.ps
            .iter()
            .map(|p| p.timer0_when.load(Ordering::Acquire))
            .min()
            .filter(|&w| w != u64::MAX)
    }

    // ---- checkdead ----

    /// Go: `checkdead`, as documented on [`Runtime::block_on`].
    fn deadlocked(&self, main: &MainWaker) -> bool {
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
        // Wakers first, then queues (a wake releases its count after queueing).
        for shard in &self.registry {
            for t in lock(shard).iter() {
                if t.live_wakers.load(Ordering::Acquire) != 0
                    || t.state.load(Ordering::Acquire) != IDLE
                {
                    return false;
                }
            }
        }
        if !s.runq.is_empty() || self.ps.iter().any(|p| !p.runq.is_empty()) {
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

/// An M's thread: holds P `p` first, then schedules until shutdown.
fn m_main(shared: Arc<Shared>, p: usize, spinning: bool) {
    let _ctx = CtxGuard::enter(shared.clone());
    ctx_set_p(Some(p));
    let mut m = MState {
        p: Some(p),
        spinning,
        park: Some(Arc::new(MPark {
            slot: Mutex::new(MSlot::default()),
            cv: Condvar::new(),
        })),
    };
    shared.schedule(&mut m, None);
}

/// Go: `sysmon`. Sleeps 20 µs, doubling after 50 idle rounds up to 10 ms;
/// each round takes Ps from polls that block their M (`retake`), flags
/// 10 ms time slices, and starts an M for overdue timers.
fn sysmon(shared: Arc<Shared>) {
    let procs = shared.ps.len();
    // Per P: (poll_seq, ticks seen unchanged, when first seen) and
    // (schedtick, when first seen): Go's `sysmontick`.
    let mut polls = alloc::vec![(0u32, 0u32, 0u64); procs];
    let mut slices = alloc::vec![(0u32, 0u64); procs];
    let mut delay = SYSMON_MIN_SLEEP;
    let mut idle = 0u32;
    loop {
        if idle == 0 {
            delay = SYSMON_MIN_SLEEP;
        } else if idle > 50 {
            delay = (delay * 2).min(SYSMON_MAX_SLEEP);
        }
        {
            let g = lock(&shared.sysmon_wake.0);
            if shared.shutdown.load(Ordering::Acquire) {
                break;
            }
            shared
                .sysmon_napping
                .store(delay > SYSMON_MIN_SLEEP, Ordering::Relaxed);
            if !shared.sysmon_kicked.load(Ordering::Acquire) {
                let _ = shared.sysmon_wake.1.wait_timeout(g, delay);
            }
            shared.sysmon_napping.store(false, Ordering::Relaxed);
        }
        if shared.sysmon_kicked.swap(false, Ordering::AcqRel) {
            // Back to 20 µs ticks (the loop's top only resets the delay
            // when a round ends with `idle == 0`).
            idle = 0;
            delay = SYSMON_MIN_SLEEP;
        }
        if shared.shutdown.load(Ordering::Acquire) {
            break;
        }
        let now = shared.now_nanos();
        shared.coarse_now.store(now, Ordering::Relaxed);
        if shared.earliest_timer().is_some_and(|w| w <= now)
            && shared.npidle.load(Ordering::SeqCst) as usize == procs
        {
            shared.kick_timer_sleeper();
        }
        if retake(&shared, now, &mut polls, &mut slices) > 0 {
            idle = 0;
        } else {
            idle += 1;
        }
    }
}

/// Go: `retake`. Returns how many Ps it took.
fn retake(
    shared: &Shared,
    now: u64,
    polls: &mut [(u32, u32, u64)],
    slices: &mut [(u32, u64)],
) -> usize {
    let mut n = 0;
    let force = FORCE_PREEMPT.as_nanos() as u64;
    for (i, pp) in shared.ps.iter().enumerate() {
        let st = pp.status.load(Ordering::Acquire);
        if st != P_RUNNING && st != P_PUSHING {
            polls[i].1 = 0;
            continue;
        }
        // A 10 ms time slice (a runnext chain): ask for preemption.
        let tick = pp.schedtick.load(Ordering::Relaxed);
        if slices[i].0 != tick {
            slices[i] = (tick, now);
        } else if now - slices[i].1 >= shared.time_slice {
            pp.preempt.store(true, Ordering::Release);
            slices[i].1 = now;
        }
        // Progress is a new poll, or a push to the ring during the poll (a
        // task spawning or waking others is running, not blocked): the
        // ring's tail counts pushes, so the hot path pays nothing for this.
        let seq = pp
            .poll_seq
            .load(Ordering::Relaxed)
            .wrapping_add(pp.runq.pushes().wrapping_mul(0x9E37_79B9));
        if polls[i].0 != seq || polls[i].1 == 0 {
            polls[i] = (seq, 1, now);
            continue;
        }
        polls[i].1 += 1;
        // Go's syscall rule: take the P when it has work and the poll is
        // old enough; without work, only if nobody else can run new work,
        // or after the 10 ms time slice.
        let age = now - polls[i].2;
        let has_work = !pp.runq.is_empty() || shared.global_len.load(Ordering::SeqCst) > 0;
        let others =
            shared.nmspinning.load(Ordering::SeqCst) + shared.npidle.load(Ordering::SeqCst) > 0;
        let take = if has_work {
            age >= shared.retake_after
        } else {
            age >= force.max(shared.retake_after) || (!others && age >= shared.retake_after)
        };
        if !take {
            continue;
        }
        if pp
            .status
            .compare_exchange(P_RUNNING, P_SCHED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            polls[i].1 = 0;
            n += 1;
            shared.record(|| Event::Retake { p: i });
            shared.handoffp(i);
        }
    }
    n
}

/// The `Pending` → global queue rule of `yield_now`.
pub(crate) fn mark_yield() {
    with_ctx(|c| {
        if let Some(c) = c {
            c.yielded.set(true)
        }
    });
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
    let body = Arc::new(Harness::new(future, true));
    with_current("go", |shared| shared.spawn_body(body, loc, false));
}
