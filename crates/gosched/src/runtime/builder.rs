//! Configuring, starting and stopping a runtime: [`Builder`], the
//! [`Runtime`] handle, and the teardown that joins every thread and drops
//! every unfinished task.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::panic::Location;
use core::time::Duration;
use gocore::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crate::gfree::{FreeList, GlobalFreeList};
use crate::runq::{RunQueue, DEFAULT_CAPACITY};
use crate::stats::Event;
use crate::task::{JoinHandle, Task};
use crate::timers::TimerHeap;

use super::p::{YieldQueue, P, P_IDLE};
use super::sysmon::{sysmon, DEFAULT_RETAKE_AFTER, FORCE_PREEMPT};
use super::{current_shared, enter_teardown_ctx, lock, Sched, Shared};

/// Configures a [`Runtime`].
///
/// ```
/// let rt = gosched::Runtime::builder().procs(2).ring_capacity(4).build()?;
/// assert_eq!(rt.gomaxprocs(), 2);
/// # Ok::<(), gosched::BuildError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    pub(super) procs: Option<usize>,
    pub(super) ring_capacity: usize,
    pub(super) record_events: bool,
    pub(super) retake_after: Duration,
    pub(super) time_slice: Duration,
    #[cfg(feature = "net")]
    pub(super) io_budget: u32,
}

/// A [`Builder`] setting was invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    pub(super) message: alloc::string::String,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for BuildError {}

/// The most Ps a runtime may have: far beyond any machine's CPU count
/// (Go's `GOMAXPROCS` is an `int32`, bounded in practice by the memory its
/// Ps take), and low enough that a mistaken count such as `usize::MAX` is
/// a [`BuildError`] rather than an allocation that aborts the process.
pub const MAX_PROCS: usize = 1 << 16;

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
            #[cfg(feature = "net")]
            io_budget: 0,
        }
    }
}

impl Builder {
    /// The number of Ps (Go's `GOMAXPROCS`), 1 to [`MAX_PROCS`]. Default:
    /// env `GOMAXPROCS` if set to a positive integer, else the available
    /// parallelism.
    pub fn procs(mut self, n: usize) -> Self {
        self.procs = Some(n);
        self
    }

    /// Slots of each P's ring (a power of two; Go: 256, the default). Each
    /// slot is a pointer, allocated up front for every P.
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
    /// With the `net` feature a socket system call counts as progress, as
    /// each system call does for Go's sysmon (`syscalltick`), so a poll
    /// that keeps reading and writing sockets is not taken for a stuck one.
    /// Tests of exact run order set it high, so that an OS hiccup in the
    /// middle of a poll never moves the P.
    pub fn retake_after(mut self, after: Duration) -> Self {
        self.retake_after = after;
        self
    }

    /// The time slice shared by a chain of `runnext` hand-offs before
    /// sysmon ends it (Go's `forcePreemptNS`, 10 ms, the default). With the
    /// `net` feature, a task whose poll has run that long yields at its
    /// next socket operation (Go preempts the goroutine). Tests of exact
    /// run order set it high.
    pub fn time_slice(mut self, slice: Duration) -> Self {
        self.time_slice = slice;
        self
    }

    /// A socket budget per poll (not in Go 1.19; off by default): with
    /// `ops` > 0, a task whose poll has completed `ops` socket operations
    /// (reads, writes, accepts that returned) yields at its next one, as
    /// [`yield_now`](crate::yield_now) does (to the tail of the global
    /// queue, Go's `Gosched`), and makes it at its next poll; its P then
    /// polls the network without blocking when nobody has for
    /// [`NETPOLL_BUDGET_AFTER`](crate::NETPOLL_BUDGET_AFTER). 0, the
    /// default, is Go's scheduling: only the 10 ms time slice bounds a
    /// task's socket operations.
    ///
    /// Why one would turn it on: in Go, and here by default, a task whose
    /// socket always has the next request waiting (a loopback client that
    /// sends before the server reads again) serves that connection in one
    /// long poll while the other connections wait, so with tens of
    /// connections most requests are answered in microseconds and about
    /// one in a hundred waits milliseconds. With a budget of 2 (a request
    /// read and its answer written, then the others' turn) connections are
    /// served in turn, as tokio serves them: with 50 connections the p99
    /// falls to about tokio's with one worker and to about twice tokio's
    /// with two, and the throughput to about tokio's, since every request
    /// now waits for a round of the others. The crate README has the measurements ("Taking turns"):
    /// larger budgets kept more of the throughput but little of the p99.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(1).io_budget(2).build()?;
    /// # drop(rt);
    /// # Ok::<(), gosched::BuildError>(())
    /// ```
    #[cfg(feature = "net")]
    #[cfg_attr(docsrs, doc(cfg(feature = "net")))]
    pub fn io_budget(mut self, ops: u32) -> Self {
        self.io_budget = ops;
        self
    }

    /// Builds the runtime and starts its sysmon thread. Worker threads are
    /// started on demand (Go's `startm`).
    ///
    /// # Errors
    ///
    /// `procs` is 0 or above [`MAX_PROCS`] (also when it comes from env
    /// `GOMAXPROCS`), or the ring capacity is not a power of two in
    /// `2..=2^30` or is more than the target's address space can hold (a
    /// 32-bit target's ring holds at most 2^28 slots).
    pub fn build(self) -> Result<Runtime, BuildError> {
        let procs = self.procs.unwrap_or_else(default_procs);
        if procs == 0 {
            return Err(BuildError {
                message: "gosched: procs must be at least 1".into(),
            });
        }
        if procs > MAX_PROCS {
            return Err(BuildError {
                message: alloc::format!("gosched: procs must be at most {MAX_PROCS}, got {procs}"),
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
        let ring_bytes = cap.checked_mul(core::mem::size_of::<*mut ()>());
        if ring_bytes.is_none_or(|b| b > isize::MAX as usize) {
            return Err(BuildError {
                message: alloc::format!(
                    "gosched: a ring of {cap} slots does not fit in this target's address space"
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
                // Idle from the start (Go's `procresize` puts them with
                // `pidleput`); 1 ns counts as the start (0 is "not idle").
                idle_since: AtomicU64::new(1),
                gfree: FreeList::new(),
                goid_next: AtomicU64::new(0),
                goid_end: AtomicU64::new(0),
                yields: YieldQueue::new(),
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
            sysmon_wait: AtomicBool::new(false),
            sysmon_kicked: AtomicBool::new(false),
            blocking_pool: crate::blocking::Pool::new(),
            events: self.record_events.then(|| Mutex::new(Vec::new())),
            retake_after: self.retake_after.as_nanos().min(u64::MAX as u128) as u64,
            time_slice: self.time_slice.as_nanos().min(u64::MAX as u128) as u64,
            #[cfg(feature = "net")]
            io_budget: match self.io_budget {
                0 => u32::MAX,
                n => n,
            },
            #[cfg(feature = "net")]
            netpoll: super::netpoll::NetPoll::new(),
            idle_works: super::idle::IdleWorks::new(),
            gc_worker: super::gc_worker::GcWorkerSlot::new(),
            idle_nanos: AtomicU64::new(0),
            idle_nanos_read: AtomicU64::new(0),
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

/// A Go-style M:N scheduler: `procs` Ps, worker threads started on demand,
/// a sysmon thread. See the [crate documentation](crate).
///
/// Dropping it stops the workers (waiting for polls in progress to return)
/// and drops every unfinished task's future, in the runtime's context: a
/// future's `Drop` may call [`spawn`](crate::spawn) (the new task is
/// cancelled at once) or [`gomaxprocs`](crate::gomaxprocs). A
/// [`spawn_blocking`](crate::spawn_blocking) job already running is not
/// waited for: it runs to its end on its own thread.
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
pub(super) fn teardown(shared: &Arc<Shared>) {
    shared.shutdown.store(true, Ordering::SeqCst);
    let threads = {
        let mut s = lock(&shared.sched);
        for m in s.idle_ms.drain(..) {
            lock(&m.slot).kicked = true;
            m.cv.notify_one();
        }
        core::mem::take(&mut s.threads)
    };
    #[cfg(feature = "net")]
    shared.netpoll_teardown();
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
        // SAFETY: Y1: no M runs, as above.
        unsafe { p.yields.drain_into(&mut tasks) };
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
    // The futures drop in the runtime's context (tokio's
    // `drop_tasks_in_context`): a `Drop` may ask for `gomaxprocs` or
    // spawn, and a task spawned now is cancelled at once (`shutdown` is
    // set).
    let _ctx = enter_teardown_ctx(shared.clone());
    for t in &tasks {
        t.cancel();
    }
    drop(tasks);
}
