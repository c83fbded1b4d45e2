//! Go 1.19's GMP scheduler as an M:N executor for Rust futures.
//!
//! Go runs goroutines (**G**) on OS threads (**M**) through scheduling
//! contexts (**P**). There are `GOMAXPROCS` Ps; an M must hold a P to run
//! Gs; each P owns a small run queue, so most scheduling touches no lock.
//! `gosched` does the same with futures: a spawned future is a G, a worker
//! thread an M, and [`Runtime::builder().procs(n)`](Builder::procs) sets the
//! number of Ps.
//!
//! ```text
//!            global queue (locked)      ┌──────────────┐
//!            [ G G G ]  ◀── overflow ── │ P0           │◀── M0 (polls G9)
//!               │  ▲                    │ runnext: G8  │
//!               │  └── yield_now        │ ring: G5 G6  │
//!    1 in 61 ───┘                       └──────────────┘
//!    ticks, and                         ┌──────────────┐
//!    batch refill                       │ P1           │◀── M1 (spinning:
//!                                       │ runnext: -   │     steals half
//!                                       │ ring: -      │     of P0's ring)
//!                                       └──────────────┘
//!    sysmon thread: watches every P; takes the P of an M stuck in a poll
//!    and hands it, with its queue, to another M
//! ```
//!
//! # Hello, goroutines
//!
//! [`Runtime::block_on`] runs a future on the calling thread; inside it,
//! [`spawn`] starts a task and returns a [`JoinHandle`], [`go`] starts one
//! with no handle (Go's `go f()`):
//!
//! ```
//! let rt = gosched::Runtime::builder().procs(2).build()?;
//! let total = rt.block_on(async {
//!     let handles: Vec<_> = (0..10u64).map(|i| gosched::spawn(async move { i * i })).collect();
//!     let mut sum = 0;
//!     for h in handles {
//!         sum += h.await.unwrap();
//!     }
//!     sum
//! })?;
//! assert_eq!(total, 285);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where a new task goes: `runnext`
//!
//! A spawned (or woken) task goes to its P's `runnext` slot and runs next;
//! the task it displaces moves to the tail of the ring. So with one P, a
//! task that spawns G0, G1, G2 and then waits sees them run as G2, G0, G1
//! (Go 1.19 prints `[2 0 1]` for the same program):
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! let rt = gosched::Runtime::builder().procs(1).build()?;
//! let order = Arc::new(Mutex::new(Vec::new()));
//! rt.block_on({
//!     let order = order.clone();
//!     async move {
//!         let hs: Vec<_> = (0..3)
//!             .map(|i| {
//!                 let order = order.clone();
//!                 gosched::spawn(async move { order.lock().unwrap().push(i) })
//!             })
//!             .collect();
//!         for h in hs {
//!             h.await.unwrap();
//!         }
//!     }
//! })?;
//! assert_eq!(*order.lock().unwrap(), [2, 0, 1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Channels, yielding, sleeping
//!
//! gochan's async operations park a task, never a thread; a wake from
//! another task on the same worker lands in `runnext`, so a ping-pong pair
//! hands the CPU back and forth within one time slice:
//!
//! ```
//! use gochan::Chan;
//! use std::time::Duration;
//! let rt = gosched::Runtime::builder().procs(1).build()?;
//! rt.block_on(async {
//!     let (ping, pong) = (Chan::new(0), Chan::new(0));
//!     let (p2, q2) = (ping.clone(), pong.clone());
//!     gosched::go(async move {
//!         while let Some(v) = p2.recv_async().await {
//!             q2.send_async(v + 1).await.unwrap();
//!         }
//!     });
//!     ping.send_async(1).await.unwrap();
//!     assert_eq!(pong.recv_async().await, Some(2));
//!     gosched::yield_now().await; // Go's runtime.Gosched
//!     gosched::sleep(Duration::from_millis(1)).await;
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Idle Ms spin, then steal half
//!
//! When a P runs out of work its M looks, in Go's order, at: due timers,
//! the global queue (and every 61st time slice it looks there first, so
//! the global queue is never starved), its own `runnext` and ring, then
//! other Ps. Looking at other Ps is *spinning*; at most half of the busy Ps
//! may have a spinning M, and a spawn wakes a new M only when nobody spins
//! and a P is idle. A thief takes the older half of its victim's ring:
//!
//! ```text
//!   before:  P0 ring [ A B C D E ]     P1 ring [ ]   (M1 spinning)
//!   steal:   P0 ring [ D E ]           P1 ring [ A B ] and M1 runs C
//! ```
//!
//! [`Builder::record_events`] shows it happen:
//!
//! ```
//! use gosched::{Event, Runtime};
//! let rt = Runtime::builder().procs(2).record_events(true).build()?;
//! rt.block_on(async {
//!     let hs: Vec<_> = (0..32)
//!         .map(|_| gosched::spawn(async {
//!             let t = std::time::Instant::now();
//!             while t.elapsed() < std::time::Duration::from_micros(300) {}
//!         }))
//!         .collect();
//!     for h in hs {
//!         h.await.unwrap();
//!     }
//! })?;
//! let events = rt.take_events();
//! assert!(events.iter().any(|e| matches!(e, Event::StartM { spinning: true, .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Blocking
//!
//! A future that blocks its thread would strand the tasks queued on its P.
//! [`blocking`] hands the P to another M first (Go's `entersyscallblock`);
//! [`spawn_blocking`] runs a closure on a separate pool. And when a poll
//! blocks anyway, sysmon (which sleeps 20 µs, doubling up to 10 ms while
//! nothing needs it, and until the next timer while every P stays idle)
//! sees that the P's poll has not moved for
//! [`Builder::retake_after`] while tasks wait behind it, and hands the P
//! with its queue to another M, as Go's `retake` does for syscalls:
//!
//! ```text
//!   M0 ── P0 [ G2 G3 ]   G1 blocks M0 in a poll
//!   sysmon: P0's poll is stuck and P0 has work → handoffp(P0)
//!   M0 (still in G1's poll, no P)      M2 ── P0 [ G2 G3 ]  runs G2, G3
//!   G1's poll returns: M0 finds no P to take back, parks on the idle list
//! ```
//!
//! ```
//! use std::time::{Duration, Instant};
//! let rt = gosched::Runtime::builder().procs(1).build()?;
//! let waited = rt.block_on(async {
//!     let start = Instant::now();
//!     let queued = gosched::spawn(async move { start.elapsed() });
//!     // Blocks the thread without telling the runtime.
//!     std::thread::sleep(Duration::from_millis(50));
//!     queued.await.unwrap()
//! })?;
//! assert!(waited < Duration::from_millis(50), "sysmon moved P0 to another M");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Deadlock
//!
//! When nothing can ever wake the main future, [`Runtime::block_on`]
//! returns [`DeadlockError`] with Go's text, "all goroutines are asleep -
//! deadlock!"; its documentation says exactly when this can be proven.
//!
//! # Observing the scheduler
//!
//! [`Runtime::stats`] is Go's `schedtrace`, [`Runtime::dump`] its goroutine
//! dump, [`leak::check`] a goleak-style test helper, and
//! [`Builder::record_events`] records runs, overflows, steals and
//! hand-offs for tests.
//!
//! # Cargo features
//!
//! - `std` (default): the executor. Implies `alloc`.
//! - `alloc`: only the `no_std` building blocks, [`runq`] (the P's ring
//!   with `runnext`) and [`timers`] (the 4-ary timer heap).
//! - `net` (opt-in, std only): `gosched::net`, TCP and UDP sockets on
//!   Go's netpoller inside the scheduler (on the `polling` crate), with
//!   `futures-io` traits.
//! - `tokio-io` (opt-in): tokio's `AsyncRead`/`AsyncWrite` on
//!   `net::TcpStream` as well.
//!
//! # Go correspondence
//!
//! Go 1.19 `src/runtime/proc.go` and `time.go`; the modules say which
//! function each piece follows: [`runq`] (`runqput`, `runqget`,
//! `runqsteal`), [`timers`] (`siftupTimer`, `clearDeletedTimers`), and the
//! executor's modules, one per part of Go's picture: the P and where a
//! runnable task goes (`newproc`, `ready`, `globrunqput`, `gfput`/`gfget`
//! with per-P free lists of finished tasks), the M (`wakep`, `startm`,
//! `stopm`), the scheduler loop (`schedule`, `findRunnable`, `stealWork`),
//! sysmon (`retake`, `handoffp`) and M0 with `checkdead`; with `net`,
//! `netpoll.go` (`netpoll`, `netpollBreak`, `injectglist`, `pollDesc`).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(
        clippy::std_instead_of_core,
        clippy::std_instead_of_alloc,
        clippy::alloc_instead_of_core
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// The atomics the ring uses, from gocore's core/portable-atomic/loom switch.
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod atomic {
    pub(crate) use gocore::atomic::{AtomicPtr, AtomicU32, Ordering};
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub mod runq;
#[cfg(feature = "alloc")]
pub mod timers;

#[cfg(all(feature = "std", not(loom)))]
mod blocking;
#[cfg(all(feature = "std", not(loom)))]
mod body;
#[cfg(all(feature = "std", not(loom)))]
mod gfree;
#[cfg(all(feature = "std", not(loom)))]
pub mod leak;
#[cfg(all(feature = "net", not(loom)))]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub mod net;
#[cfg(all(feature = "std", not(loom)))]
mod runtime;
#[cfg(all(feature = "std", not(loom)))]
pub mod stats;
#[cfg(all(feature = "std", not(loom)))]
mod task;
#[cfg(all(feature = "std", not(loom)))]
mod time;

#[cfg(all(feature = "std", not(loom)))]
pub use blocking::{blocking, spawn_blocking};
#[cfg(all(feature = "std", not(loom)))]
pub use gfree::{GFREE_GLOBAL_PER_P, GFREE_MAX};
#[cfg(all(feature = "std", not(loom)))]
pub use runtime::{
    default_procs, BuildError, Builder, DeadlockError, GcWorker, GcWorkerP, GcWorkerRegistration,
    IdleHook, IdleP, IdleRegistration, IdleWork, Runtime, DEADLOCK_MESSAGE, DEFAULT_RETAKE_AFTER,
    FORCE_PREEMPT, GLOBAL_FAIRNESS_TICK, GOID_CACHE_BATCH, MAX_PROCS, RUNNEXT_STEAL_PAUSE,
    STEAL_TRIES, SYSMON_DEEP_SLEEP, SYSMON_KICKABLE_NAP, SYSMON_MAX_SLEEP, SYSMON_MIN_SLEEP,
    YIELD_BATCH_MAX,
};
#[cfg(all(feature = "net", not(loom)))]
pub use runtime::{NETPOLL_BUDGET_AFTER, NETPOLL_SYSMON_AFTER};
#[cfg(all(feature = "std", not(loom)))]
pub use stats::{Event, Stats, TaskDump};
#[cfg(all(feature = "std", not(loom)))]
pub use task::{JoinError, JoinHandle};
#[cfg(all(feature = "std", not(loom)))]
pub use time::{interval, sleep, sleep_until, timeout, Elapsed, Interval, Sleep, Timeout};

/// Spawns a task on the current runtime and returns its [`JoinHandle`]. On
/// a worker the task goes to the P's `runnext` (it runs next); from
/// elsewhere to the global queue.
///
/// Go: `go f()`, with a handle to await the result.
///
/// # Panics
///
/// Outside a gosched runtime (a worker or a `block_on` thread); use
/// [`Runtime::spawn`] there.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let v = rt.block_on(async { gosched::spawn(async { 7 }).await.unwrap() });
/// assert_eq!(v, Ok(7));
/// ```
#[cfg(all(feature = "std", not(loom)))]
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: core::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    runtime::spawn_current(future)
}

/// Starts a task with no handle (Go's `go f()`). A panic in it is caught
/// (the panic hook reports it) and never kills a worker.
///
/// # Panics
///
/// Outside a gosched runtime.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let c = gochan::Chan::new(1);
/// let tx = c.clone();
/// rt.block_on(async move {
///     gosched::go(async move { tx.send_async(5).await.unwrap() });
///     assert_eq!(c.recv_async().await.unwrap(), 5);
/// })
/// .unwrap();
/// ```
#[cfg(all(feature = "std", not(loom)))]
#[track_caller]
pub fn go<F>(future: F)
where
    F: core::future::Future<Output = ()> + Send + 'static,
{
    runtime::go_current(future)
}

/// Puts the current task at the tail of the global queue and lets others
/// run (Go's `runtime.Gosched`). In the main future of
/// [`Runtime::block_on`] it lets run what Go runs before `main` resumes:
/// the tasks of the thread's P, and those queued globally before it.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// rt.block_on(gosched::yield_now()).unwrap();
/// ```
#[cfg(all(feature = "std", not(loom)))]
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[cfg(all(feature = "std", not(loom)))]
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct YieldNow {
    yielded: bool,
}

#[cfg(all(feature = "std", not(loom)))]
impl core::future::Future for YieldNow {
    type Output = ();
    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        if self.yielded {
            return core::task::Poll::Ready(());
        }
        self.yielded = true;
        gocore::wait::set(gocore::wait::WaitReason::Preempted);
        // Polled by gosched with its task's own waker, the executor
        // requeues the task; anywhere else, a wake does.
        if !runtime::mark_yield(cx.waker()) {
            cx.waker().wake_by_ref();
        }
        core::task::Poll::Pending
    }
}

/// The number of Ps of the current runtime (Go's `runtime.GOMAXPROCS(0)`);
/// outside a runtime, the number a new one would get ([`default_procs`]).
///
/// ```
/// let rt = gosched::Runtime::builder().procs(3).build().unwrap();
/// assert_eq!(rt.block_on(async { gosched::gomaxprocs() }), Ok(3));
/// ```
#[cfg(all(feature = "std", not(loom)))]
pub fn gomaxprocs() -> usize {
    runtime::current_shared().map_or_else(default_procs, |s| s.ps.len())
}

/// Live tasks of the current runtime plus its running `block_on` futures
/// (Go's `runtime.NumGoroutine`); 0 outside a runtime.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// assert_eq!(rt.block_on(async { gosched::num_goroutine() }), Ok(1));
/// ```
#[cfg(all(feature = "std", not(loom)))]
pub fn num_goroutine() -> usize {
    runtime::current_shared().map_or(0, |s| s.num_goroutine())
}

#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
