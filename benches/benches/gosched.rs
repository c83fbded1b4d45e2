//! gosched benches: tokio's own scheduler benchmark shapes (tokio's
//! `benches/rt_multi_threaded.rs`), channel ping-pong across tasks, and a
//! stalled-worker probe, each at 1 and 2 workers, against tokio's
//! multi-thread and current-thread runtimes, async-executor (smol's, with N
//! threads running `block_on(ex.run(..))`) and `may` (stackful coroutines).
//! The Go programs in `benches/go/gosched/` run the same shapes with
//! GOMAXPROCS 1 and 2.
//!
//! Scheduler shapes, each timed as a whole (µs per run, best of [`REPS`]):
//! - `spawn_many_local`: a task spawns 10,000 tasks, each decrements a
//!   counter, the last one signals. (tokio's version spawns from `block_on`,
//!   which on its multi-thread runtime is not a worker thread; here the
//!   spawner is itself a task, so every executor spawns from a worker.)
//! - `spawn_many_remote_idle`: 10,000 tasks spawned from outside the runtime
//!   while it is idle, then every handle awaited.
//! - `spawn_many_remote_busy1`: the same while 2 × workers tasks loop
//!   `yield_now` + a 10 µs stall (CPU, as tokio's `stall`).
//! - `spawn_many_remote_busy2`: 1,000 remote spawns while `workers` chains of
//!   tasks each stall 10 µs and spawn their successor (each chain started,
//!   as in tokio's bench, by its own starter task spawned from outside).
//!   The shape is bistable under Go's rules: a chain runs from `runnext`
//!   inheriting its time slice, so a P running one never reads the global
//!   queue until sysmon ends the 10 ms slice. When the chains share one P
//!   (one chain's next link waits in that P's ring) the other P drains the
//!   remote spawns at once; when each P runs a chain the spawns wait for the
//!   slice to end. Go 1.19 itself flips between the two (runs of 0.2 ms and
//!   of 10–100 ms at GOMAXPROCS 2), so the best of [`REPS`] says which mode
//!   a run reached more than how fast either mode is. With one worker the
//!   chain holds the only P, so the remote spawns wait in the global queue
//!   until sysmon ends the 10 ms slice (Go's `newproc` puts each link in
//!   `runnext`, which inherits the slice, and the 1-in-61 global check
//!   counts only new slices): about 10 ms in most runs, for gosched and
//!   for Go 1.19 alike (some runs, depending on where the last preemption
//!   left the chain, finish well under 1 ms). async-executor and may take remote spawns
//!   between any two tasks, so they are always well under 1 ms there.
//! - `ping_pong`: a task spawns 1,000 tasks; each spawns a partner and the
//!   two exchange one message each way over oneshot channels.
//! - `yield_many`: 200 tasks spawned from outside, each yields 1,000 times.
//! - `chained_spawn`: a chain of 1,000 tasks, each spawning the next.
//!
//! Channel ping-pong: two tasks exchange a value back and forth 100,000
//! times over two channels of capacity 0 (unbuffered) or 1; ns per one-way
//! message. gochan runs on gosched; tokio's mpsc (capacity at least 1, so
//! `tokio mpsc(1)` stands in the unbuffered group too), async-channel (also
//! capacity at least 1) and kanal run on tokio's multi-thread runtime; gochan
//! on tokio is shown as well.
//!
//! Stalled-worker probe: a task spawns 1,000 short tasks, each recording its
//! spawn-to-start latency, then blocks its thread for 100 ms with
//! `std::thread::sleep` (on gosched a plain blocking call, not
//! `gosched::blocking`, so only sysmon can rescue the queued tasks; a second
//! gosched row wraps the sleep in `gosched::blocking`, which hands the P off
//! at once). The row is the worst latency of a run, median of
//! [`PROBE_REPS`] runs.
//!
//! tokio's current-thread runtime appears in the 1-worker groups only, and
//! async-executor in the probe with one thread only (the configurations the
//! issue compares). `may` runs every scheduler shape and the probe as
//! coroutines, with may's own mpsc channels in place of the async oneshot
//! and done channels (a coroutine parks on them, its thread does not); it
//! has no async channels, so no ping-pong rows.
//!
//! Every row runs in a fresh child process of this binary (`--row I`): each
//! executor starts from a clean process, may can be given its worker count
//! (it reads it once per process), and a row that hangs is killed after
//! [`ROW_LIMIT`] without stopping the suite. Such a row is kept with value 0
//! (no ratio) and a unit saying it did not finish. may's
//! `spawn_many_remote_busy1` did not finish here with 1 or 2 workers: its
//! remote spawns do not run while the yielding coroutines loop.
//!
//! `--quick` uses fewer repetitions and 2,000 ping-pong round trips.
//! `--only WORD` runs only the groups containing WORD.

use std::future::Future;
use std::hint::black_box;
use std::io::Read as _;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use gort_benches::{Better, Suite};

/// Runs per scheduler-shape row, best kept.
const REPS: usize = 10;
/// Runs of the stalled-worker probe; the row is the median worst latency.
const PROBE_REPS: usize = 5;
/// Tasks spawned by the spawn_many shapes (tokio's `NUM_SPAWN`).
const NUM_SPAWN: usize = 10_000;
/// Remote spawns in `spawn_many_remote_busy2` (tokio uses 1,000 there).
const NUM_SPAWN_BUSY2: usize = 1_000;
/// Task pairs in `ping_pong`.
const NUM_PINGS: usize = 1_000;
/// Tasks and yields per task in `yield_many`.
const YIELD_TASKS: usize = 200;
const NUM_YIELD: usize = 1_000;
/// Depth of `chained_spawn`.
const CHAIN: usize = 1_000;
/// The busy shapes' CPU stall (tokio's `STALL_DUR`).
const STALL: Duration = Duration::from_micros(10);
/// Short tasks and blocking time of the stalled-worker probe.
const PROBE_TASKS: usize = 1_000;
const PROBE_BLOCK: Duration = Duration::from_millis(100);

/// An executor under test, started with a number of worker threads.
trait Exec: Sized {
    const NAME: &'static str;
    type Spawner: Spawner;
    fn start(workers: usize) -> Self;
    fn spawner(&self) -> Self::Spawner;
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    /// Spawns `f` from a thread outside the executor.
    fn spawn_remote<F>(&self, f: F) -> <Self::Spawner as Spawner>::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

/// Spawns tasks on an executor from inside its tasks.
trait Spawner: Clone + Send + Sync + 'static {
    type Join<T: Send + 'static>: Future<Output = T> + Send + 'static;
    /// Spawns `f` and returns an awaitable handle to its output.
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// Spawns `f` and forgets it (Go's `go f()`).
    fn go<F>(&self, f: F)
    where
        F: Future<Output = ()> + Send + 'static;
    /// The executor's `yield_now`.
    fn yield_now() -> impl Future<Output = ()> + Send;
}

struct Gosched(gosched::Runtime);

impl Exec for Gosched {
    const NAME: &'static str = "gosched";
    type Spawner = GoschedSpawner;
    fn start(workers: usize) -> Self {
        Gosched(gosched::Runtime::builder().procs(workers).build().unwrap())
    }
    fn spawner(&self) -> GoschedSpawner {
        GoschedSpawner
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f).expect("bench deadlocked")
    }
    fn spawn_remote<F>(&self, f: F) -> GoschedJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        GoschedJoin(self.0.spawn(f))
    }
}

/// Spawns on the current runtime (`gosched::spawn`, `gosched::go`): into
/// the running P's `runnext`. Tasks hold no `Arc<Runtime>`, so the runtime
/// is always dropped by the bench's thread, never by a worker.
#[derive(Clone)]
struct GoschedSpawner;

/// A gosched `JoinHandle` that yields the task's output (the benches' tasks
/// never panic, so a join error is a bug in the bench).
struct GoschedJoin<T>(gosched::JoinHandle<T>);

impl<T> Future for GoschedJoin<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("bench task failed"))
    }
}

impl Spawner for GoschedSpawner {
    type Join<T: Send + 'static> = GoschedJoin<T>;
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        GoschedJoin(gosched::spawn(f))
    }
    fn go<F>(&self, f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        gosched::go(f);
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        gosched::yield_now()
    }
}

struct TokioMulti(tokio::runtime::Runtime);

impl Exec for TokioMulti {
    const NAME: &'static str = "tokio multi-thread";
    type Spawner = TokioSpawner;
    fn start(workers: usize) -> Self {
        TokioMulti(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .build()
                .unwrap(),
        )
    }
    fn spawner(&self) -> TokioSpawner {
        TokioSpawner(self.0.handle().clone())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn_remote<F>(&self, f: F) -> TokioJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioJoin(self.0.spawn(f))
    }
}

struct TokioCurrent(tokio::runtime::Runtime);

impl Exec for TokioCurrent {
    const NAME: &'static str = "tokio current-thread";
    type Spawner = TokioSpawner;
    fn start(_workers: usize) -> Self {
        TokioCurrent(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        )
    }
    fn spawner(&self) -> TokioSpawner {
        TokioSpawner(self.0.handle().clone())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn_remote<F>(&self, f: F) -> TokioJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioJoin(self.0.spawn(f))
    }
}

#[derive(Clone)]
struct TokioSpawner(tokio::runtime::Handle);

/// A tokio `JoinHandle` that yields the task's output (the benches' tasks
/// never panic, so a join error is a bug in the bench).
struct TokioJoin<T>(tokio::task::JoinHandle<T>);

impl<T> Future for TokioJoin<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("bench task failed"))
    }
}

impl Spawner for TokioSpawner {
    type Join<T: Send + 'static> = TokioJoin<T>;
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioJoin(self.0.spawn(f))
    }
    fn go<F>(&self, f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.0.spawn(f));
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

/// async-executor with `workers` threads each running `block_on(ex.run(..))`
/// until the executor is dropped; `block_on` runs on the caller's thread,
/// outside the executor, like tokio's multi-thread `block_on`.
struct Smol {
    ex: Arc<async_executor::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Exec for Smol {
    const NAME: &'static str = "async-executor";
    type Spawner = Arc<async_executor::Executor<'static>>;
    fn start(workers: usize) -> Self {
        let ex = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|_| {
                let ex = ex.clone();
                let stopped = stopped.clone();
                thread::spawn(move || {
                    // Ends when `stop` is dropped: `recv` then fails.
                    let _ = futures_lite::future::block_on(ex.run(stopped.recv()));
                })
            })
            .collect();
        Smol {
            ex,
            stop: Some(stop),
            threads,
        }
    }
    fn spawner(&self) -> Self::Spawner {
        self.ex.clone()
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        futures_lite::future::block_on(f)
    }
    fn spawn_remote<F>(&self, f: F) -> async_executor::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.ex.spawn(f)
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
    }
}

impl Spawner for Arc<async_executor::Executor<'static>> {
    type Join<T: Send + 'static> = async_executor::Task<T>;
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        async_executor::Executor::spawn(self, f)
    }
    fn go<F>(&self, f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        async_executor::Executor::spawn(self, f).detach();
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        futures_lite::future::yield_now()
    }
}

/// Burns `STALL` of CPU time on this thread, as tokio's `stall`.
fn stall() {
    let start = Instant::now();
    while start.elapsed() < STALL {
        thread::yield_now();
    }
}

/// A one-shot signal for the end of a shape, awaitable on any executor.
fn done_signal() -> (async_channel::Sender<()>, async_channel::Receiver<()>) {
    async_channel::bounded(1)
}

fn spawn_many_local<E: Exec>(e: &E) -> Duration {
    let sp = e.spawner();
    let start = Instant::now();
    e.block_on(async move {
        let (done, wait) = done_signal();
        let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
        let inner = sp.clone();
        sp.go(async move {
            for _ in 0..NUM_SPAWN {
                let done = done.clone();
                let rem = rem.clone();
                inner.go(async move {
                    if rem.fetch_sub(1, Ordering::AcqRel) == 1 {
                        done.try_send(()).unwrap();
                    }
                });
            }
        });
        wait.recv().await.unwrap();
    });
    start.elapsed()
}

/// Spawns `n` empty tasks from this (non-worker) thread and awaits them all.
fn spawn_remote_and_join<E: Exec>(e: &E, n: usize) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|_| e.spawn_remote(async {})).collect();
    e.block_on(async move {
        for h in handles {
            h.await;
        }
    });
    start.elapsed()
}

/// Keeps 2 × `workers` tasks looping `yield_now` + stall until `flag` clears
/// (spawned by one task, so that every executor spawns them from inside).
fn start_busy1<E: Exec>(e: &E, workers: usize, flag: &Arc<AtomicBool>) {
    let sp = e.spawner();
    let flag = flag.clone();
    let starter = e.spawn_remote(async move {
        for _ in 0..2 * workers {
            let flag = flag.clone();
            sp.go(async move {
                while flag.load(Ordering::Relaxed) {
                    <E::Spawner as Spawner>::yield_now().await;
                    stall();
                }
            });
        }
    });
    e.block_on(starter);
}

/// Keeps `workers` chains of tasks going, each stalling then spawning its
/// successor, until `flag` clears. As in tokio's bench, each chain has its
/// own starter, spawned from outside, which spawns the chain's first link.
fn start_busy2<E: Exec>(e: &E, workers: usize, flag: &Arc<AtomicBool>) {
    fn link<S: Spawner>(sp: S, flag: Arc<AtomicBool>) {
        let next = sp.clone();
        sp.go(async move {
            if flag.load(Ordering::Relaxed) {
                stall();
                link(next, flag);
            }
        });
    }
    let starters: Vec<_> = (0..workers)
        .map(|_| {
            let sp = e.spawner();
            let flag = flag.clone();
            e.spawn_remote(async move { link(sp, flag) })
        })
        .collect();
    e.block_on(async move {
        for s in starters {
            s.await;
        }
    });
}

fn ping_pong<E: Exec>(e: &E) -> Duration {
    let sp = e.spawner();
    let start = Instant::now();
    e.block_on(async move {
        let (done, wait) = done_signal();
        let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
        let outer = sp.clone();
        outer.go(async move {
            for _ in 0..NUM_PINGS {
                let rem = rem.clone();
                let done = done.clone();
                let partner = sp.clone();
                sp.go(async move {
                    let (tx1, rx1) = tokio::sync::oneshot::channel::<()>();
                    let (tx2, rx2) = tokio::sync::oneshot::channel::<()>();
                    partner.go(async move {
                        rx1.await.unwrap();
                        tx2.send(()).unwrap();
                    });
                    tx1.send(()).unwrap();
                    rx2.await.unwrap();
                    if rem.fetch_sub(1, Ordering::AcqRel) == 1 {
                        done.try_send(()).unwrap();
                    }
                });
            }
        });
        wait.recv().await.unwrap();
    });
    start.elapsed()
}

fn yield_many<E: Exec>(e: &E) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            e.spawn_remote(async {
                for _ in 0..NUM_YIELD {
                    <E::Spawner as Spawner>::yield_now().await;
                }
            })
        })
        .collect();
    e.block_on(async move {
        for h in handles {
            h.await;
        }
    });
    start.elapsed()
}

fn chained_spawn<E: Exec>(e: &E) -> Duration {
    fn link<S: Spawner>(sp: S, done: async_channel::Sender<()>, n: usize) {
        if n == 0 {
            done.try_send(()).unwrap();
        } else {
            let next = sp.clone();
            sp.go(async move { link(next, done, n - 1) });
        }
    }
    let sp = e.spawner();
    let start = Instant::now();
    e.block_on(async move {
        let (done, wait) = done_signal();
        link(sp, done, CHAIN);
        wait.recv().await.unwrap();
    });
    start.elapsed()
}

/// The stalled-worker probe: the worst spawn-to-start latency of one run,
/// the spawner blocking its thread with `block` (a plain `thread::sleep`, or
/// wrapped in `gosched::blocking`).
fn stalled_worker<E: Exec>(e: &E, block: fn()) -> Duration {
    let sp = e.spawner();
    e.block_on(async move {
        let inner = sp.clone();
        let blocker = sp.spawn(async move {
            let handles: Vec<_> = (0..PROBE_TASKS)
                .map(|_| {
                    let spawned = Instant::now();
                    inner.spawn(async move { spawned.elapsed() })
                })
                .collect();
            block();
            handles
        });
        let mut worst = Duration::ZERO;
        for h in blocker.await {
            worst = worst.max(h.await);
        }
        worst
    })
}

/// Microseconds of the best of `reps` runs of `f`.
fn best_us(reps: usize, mut f: impl FnMut() -> Duration) -> f64 {
    (0..reps.max(1))
        .map(|_| f())
        .min()
        .unwrap_or_default()
        .as_secs_f64()
        * 1e6
}

/// The median of `reps` runs of `f`, in microseconds.
fn median_us(reps: usize, mut f: impl FnMut() -> Duration) -> f64 {
    let mut runs: Vec<Duration> = (0..reps.max(1)).map(|_| f()).collect();
    runs.sort_unstable();
    runs[runs.len() / 2].as_secs_f64() * 1e6
}

/// A scheduler shape: its name (with its size) and its runner.
struct Shape {
    name: &'static str,
    kind: ShapeKind,
}

#[derive(Clone, Copy, PartialEq)]
enum ShapeKind {
    SpawnManyLocal,
    RemoteIdle,
    RemoteBusy1,
    RemoteBusy2,
    PingPong,
    YieldMany,
    ChainedSpawn,
}

const SHAPES: [Shape; 7] = [
    Shape {
        name: "spawn_many_local 10000",
        kind: ShapeKind::SpawnManyLocal,
    },
    Shape {
        name: "spawn_many_remote_idle 10000",
        kind: ShapeKind::RemoteIdle,
    },
    Shape {
        name: "spawn_many_remote_busy1 10000",
        kind: ShapeKind::RemoteBusy1,
    },
    Shape {
        name: "spawn_many_remote_busy2 1000",
        kind: ShapeKind::RemoteBusy2,
    },
    Shape {
        name: "ping_pong 1000",
        kind: ShapeKind::PingPong,
    },
    Shape {
        name: "yield_many 200x1000",
        kind: ShapeKind::YieldMany,
    },
    Shape {
        name: "chained_spawn 1000",
        kind: ShapeKind::ChainedSpawn,
    },
];

/// Microseconds of one scheduler shape on a fresh `E` with `workers` workers.
fn run_shape<E: Exec>(kind: ShapeKind, workers: usize, reps: usize) -> f64 {
    let e = E::start(workers);
    let flag = Arc::new(AtomicBool::new(true));
    let us = match kind {
        ShapeKind::SpawnManyLocal => best_us(reps, || spawn_many_local(&e)),
        ShapeKind::RemoteIdle => best_us(reps, || spawn_remote_and_join(&e, NUM_SPAWN)),
        ShapeKind::RemoteBusy1 => {
            start_busy1(&e, workers, &flag);
            best_us(reps, || spawn_remote_and_join(&e, NUM_SPAWN))
        }
        ShapeKind::RemoteBusy2 => {
            start_busy2(&e, workers, &flag);
            best_us(reps, || spawn_remote_and_join(&e, NUM_SPAWN_BUSY2))
        }
        ShapeKind::PingPong => best_us(reps, || ping_pong(&e)),
        ShapeKind::YieldMany => best_us(reps, || yield_many(&e)),
        ShapeKind::ChainedSpawn => best_us(reps, || chained_spawn(&e)),
    };
    flag.store(false, Ordering::Relaxed);
    us
}

/// An async channel under test.
trait AsyncChan {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn new(cap: usize) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: usize) -> impl Future<Output = ()> + Send + '_;
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = usize> + Send + '_;
}

struct GoChan;
impl AsyncChan for GoChan {
    type Tx = gochan::Chan<usize>;
    type Rx = gochan::Chan<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        let c = gochan::Chan::new(cap);
        (c.clone(), c)
    }
    async fn send(tx: &Self::Tx, v: usize) {
        tx.send_async(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> usize {
        rx.recv_async().await.unwrap()
    }
}

struct TokioMpsc;
impl AsyncChan for TokioMpsc {
    type Tx = tokio::sync::mpsc::Sender<usize>;
    type Rx = tokio::sync::mpsc::Receiver<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(cap.max(1))
    }
    async fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> usize {
        rx.recv().await.unwrap()
    }
}

struct AsyncChannel;
impl AsyncChan for AsyncChannel {
    type Tx = async_channel::Sender<usize>;
    type Rx = async_channel::Receiver<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(cap.max(1))
    }
    async fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> usize {
        rx.recv().await.unwrap()
    }
}

struct Kanal;
impl AsyncChan for Kanal {
    type Tx = kanal::AsyncSender<usize>;
    type Rx = kanal::AsyncReceiver<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded_async(cap)
    }
    async fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> usize {
        rx.recv().await.unwrap()
    }
}

/// One ping-pong run of `rounds` round trips between two tasks on `e`:
/// nanoseconds per one-way message.
fn chan_pingpong_once<E: Exec, C: AsyncChan>(e: &E, cap: usize, rounds: usize) -> f64 {
    let sp = e.spawner();
    let (tx1, mut rx1) = C::new(cap);
    let (tx2, mut rx2) = C::new(cap);
    let took = e.block_on(async move {
        let pong = sp.spawn(async move {
            for _ in 0..rounds {
                let v = C::recv(&mut rx1).await;
                C::send(&tx2, v + 1).await;
            }
        });
        let ping = sp.spawn(async move {
            let start = Instant::now();
            for i in 0..rounds {
                C::send(&tx1, i).await;
                black_box(C::recv(&mut rx2).await);
            }
            start.elapsed()
        });
        let took = ping.await;
        pong.await;
        took
    });
    took.as_nanos() as f64 / (2 * rounds) as f64
}

/// The best of `reps` ping-pong runs on a fresh `E` with `workers` workers.
fn chan_pingpong<E: Exec, C: AsyncChan>(
    workers: usize,
    cap: usize,
    rounds: usize,
    reps: usize,
) -> f64 {
    let e = E::start(workers);
    (0..reps.max(1))
        .map(|_| chan_pingpong_once::<E, C>(&e, cap, rounds))
        .fold(f64::INFINITY, f64::min)
}

/// The stalled-worker probe on a fresh `E`: median worst latency, µs.
fn probe<E: Exec>(workers: usize, reps: usize) -> f64 {
    let e = E::start(workers);
    median_us(reps, || stalled_worker(&e, || thread::sleep(PROBE_BLOCK)))
}

/// The probe on gosched with the block inside `gosched::blocking`, which
/// hands the P off at once (Go's `entersyscallblock`) instead of waiting
/// for sysmon.
fn probe_gosched_blocking(workers: usize, reps: usize) -> f64 {
    let e = Gosched::start(workers);
    median_us(reps, || {
        stalled_worker(&e, || gosched::blocking(|| thread::sleep(PROBE_BLOCK)))
    })
}

/// One row of the suite, run in a child process of its own.
struct Job {
    group: String,
    subject: &'static str,
    unit: &'static str,
    run: Box<dyn Fn() -> f64>,
}

/// Every row, in report order (gosched first in each group). Parent and
/// children build the same list; a child runs one entry by its index.
fn jobs(reps: usize, probe_reps: usize, rounds: usize) -> Vec<Job> {
    let mut v = Vec::new();
    let mut job = |group: &str, subject, unit, run: Box<dyn Fn() -> f64>| {
        v.push(Job {
            group: group.to_string(),
            subject,
            unit,
            run,
        });
    };
    for workers in [1usize, 2] {
        for shape in &SHAPES {
            let g = format!("{} workers={workers}", shape.name);
            let k = shape.kind;
            job(
                &g,
                Gosched::NAME,
                "us",
                Box::new(move || run_shape::<Gosched>(k, workers, reps)),
            );
            job(
                &g,
                TokioMulti::NAME,
                "us",
                Box::new(move || run_shape::<TokioMulti>(k, workers, reps)),
            );
            if workers == 1 {
                job(
                    &g,
                    TokioCurrent::NAME,
                    "us",
                    Box::new(move || run_shape::<TokioCurrent>(k, workers, reps)),
                );
            }
            job(
                &g,
                Smol::NAME,
                "us",
                Box::new(move || run_shape::<Smol>(k, workers, reps)),
            );
            job(
                &g,
                "may",
                "us",
                Box::new(move || may_rows::shape(k, workers, reps)),
            );
        }
        for cap in [0usize, 1] {
            let g = format!("chan pingpong cap={cap} workers={workers}");
            let ns = "ns/msg";
            job(
                &g,
                "gochan on gosched",
                ns,
                Box::new(move || chan_pingpong::<Gosched, GoChan>(workers, cap, rounds, reps)),
            );
            job(
                &g,
                "tokio mpsc(1) on tokio",
                ns,
                Box::new(move || {
                    chan_pingpong::<TokioMulti, TokioMpsc>(workers, cap, rounds, reps)
                }),
            );
            job(
                &g,
                "async-channel(1) on tokio",
                ns,
                Box::new(move || {
                    chan_pingpong::<TokioMulti, AsyncChannel>(workers, cap, rounds, reps)
                }),
            );
            job(
                &g,
                "kanal on tokio",
                ns,
                Box::new(move || chan_pingpong::<TokioMulti, Kanal>(workers, cap, rounds, reps)),
            );
            job(
                &g,
                "gochan on tokio",
                ns,
                Box::new(move || chan_pingpong::<TokioMulti, GoChan>(workers, cap, rounds, reps)),
            );
        }
        let g = format!("stalled worker: worst spawn-to-start workers={workers}");
        job(
            &g,
            Gosched::NAME,
            "us",
            Box::new(move || probe::<Gosched>(workers, probe_reps)),
        );
        job(
            &g,
            "gosched, sleep in blocking()",
            "us",
            Box::new(move || probe_gosched_blocking(workers, probe_reps)),
        );
        job(
            &g,
            TokioMulti::NAME,
            "us",
            Box::new(move || probe::<TokioMulti>(workers, probe_reps)),
        );
        if workers == 1 {
            job(
                &g,
                TokioCurrent::NAME,
                "us",
                Box::new(move || probe::<TokioCurrent>(workers, probe_reps)),
            );
            job(
                &g,
                Smol::NAME,
                "us",
                Box::new(move || probe::<Smol>(workers, probe_reps)),
            );
        }
        job(
            &g,
            "may",
            "us",
            Box::new(move || may_rows::probe(workers, probe_reps)),
        );
    }
    v
}

/// How long one row's child process may run before it counts as hung.
const ROW_LIMIT: Duration = Duration::from_secs(30);

/// Runs row `index` in a child process (`--row index`) and returns its
/// value, or `None` when the child fails or does not finish within
/// [`ROW_LIMIT`] (it is then killed).
fn run_child(index: usize, quick: bool) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let mut cmd = Command::new(exe);
    cmd.args(["--row", &index.to_string()])
        .stdout(Stdio::piped());
    if quick {
        cmd.arg("--quick");
    }
    let mut child = cmd.spawn().ok()?;
    let started = Instant::now();
    let finished = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.success(),
            Ok(None) if started.elapsed() < ROW_LIMIT => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
        }
    };
    let mut out = String::new();
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    if finished {
        out.trim().parse().ok()
    } else {
        None
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let s = Suite::new("gosched");
    let reps = s.size(REPS, 3);
    let probe_reps = s.size(PROBE_REPS, 3);
    let rounds = s.size(100_000, 2_000);
    let jobs = jobs(reps, probe_reps, rounds);
    if let Some(index) = arg("--row").and_then(|i| i.parse::<usize>().ok()) {
        // A child: print the one value.
        println!("{}", (jobs[index].run)());
        return;
    }
    let mut s = s;
    // `--only WORD` runs only groups whose name contains WORD (for tuning).
    let only = arg("--only");
    for (index, job) in jobs.iter().enumerate() {
        if only.as_deref().is_some_and(|o| !job.group.contains(o)) {
            continue;
        }
        match run_child(index, s.quick()) {
            Some(v) => s.record(&job.group, job.subject, v, job.unit, Better::Lower),
            None => {
                // Kept as a row (value 0, so no ratio) so the report shows it.
                eprintln!(
                    "bench: {} / {}: failed or did not finish within {ROW_LIMIT:?}",
                    job.group, job.subject
                );
                let unit = format!("{}: did not finish in {} s", job.unit, ROW_LIMIT.as_secs());
                s.record(&job.group, job.subject, 0.0, &unit, Better::Lower);
            }
        }
    }
    s.finish();
}

/// `may`'s rows: its scheduler shapes and the probe as coroutines. may fixes
/// its worker count when its scheduler first starts, which the one-row child
/// processes allow.
mod may_rows {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use may::coroutine::JoinHandle;
    use may::go;
    use may::sync::mpsc;

    use super::ShapeKind;
    use super::{
        best_us, median_us, stall, CHAIN, NUM_PINGS, NUM_SPAWN, NUM_SPAWN_BUSY2, NUM_YIELD,
        PROBE_BLOCK, PROBE_TASKS, YIELD_TASKS,
    };

    /// One scheduler shape on may with `workers` workers, µs (best of
    /// `reps`). Call once per process: may keeps its first worker count.
    pub fn shape(kind: ShapeKind, workers: usize, reps: usize) -> f64 {
        may::config().set_workers(workers);
        let flag = Arc::new(AtomicBool::new(true));
        let us = match kind {
            ShapeKind::SpawnManyLocal => best_us(reps, spawn_many_local),
            ShapeKind::RemoteIdle => best_us(reps, || spawn_remote_and_join(NUM_SPAWN)),
            ShapeKind::RemoteBusy1 => {
                for _ in 0..2 * workers {
                    let flag = flag.clone();
                    go!(move || {
                        while flag.load(Ordering::Relaxed) {
                            may::coroutine::yield_now();
                            stall();
                        }
                    });
                }
                best_us(reps, || spawn_remote_and_join(NUM_SPAWN))
            }
            ShapeKind::RemoteBusy2 => {
                for _ in 0..workers {
                    let flag = flag.clone();
                    go!(move || busy2_link(flag));
                }
                best_us(reps, || spawn_remote_and_join(NUM_SPAWN_BUSY2))
            }
            ShapeKind::PingPong => best_us(reps, ping_pong),
            ShapeKind::YieldMany => best_us(reps, yield_many),
            ShapeKind::ChainedSpawn => best_us(reps, chained_spawn),
        };
        flag.store(false, Ordering::Relaxed);
        us
    }

    /// The stalled-worker probe on may: median worst latency, µs.
    pub fn probe(workers: usize, reps: usize) -> f64 {
        may::config().set_workers(workers);
        median_us(reps, stalled_worker)
    }

    fn spawn_many_local() -> Duration {
        let start = Instant::now();
        let (done, wait) = mpsc::channel();
        let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
        go!(move || {
            for _ in 0..NUM_SPAWN {
                let done = done.clone();
                let rem = rem.clone();
                go!(move || {
                    if rem.fetch_sub(1, Ordering::AcqRel) == 1 {
                        done.send(()).unwrap();
                    }
                });
            }
        });
        wait.recv().unwrap();
        start.elapsed()
    }

    fn spawn_remote_and_join(n: usize) -> Duration {
        let start = Instant::now();
        let handles: Vec<JoinHandle<()>> = (0..n).map(|_| go!(|| {})).collect();
        for h in handles {
            h.join().unwrap();
        }
        start.elapsed()
    }

    fn busy2_link(flag: Arc<AtomicBool>) {
        go!(move || {
            if flag.load(Ordering::Relaxed) {
                stall();
                busy2_link(flag);
            }
        });
    }

    fn ping_pong() -> Duration {
        let start = Instant::now();
        let (done, wait) = mpsc::channel();
        let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
        go!(move || {
            for _ in 0..NUM_PINGS {
                let rem = rem.clone();
                let done = done.clone();
                go!(move || {
                    let (tx1, rx1) = mpsc::channel::<()>();
                    let (tx2, rx2) = mpsc::channel::<()>();
                    go!(move || {
                        rx1.recv().unwrap();
                        tx2.send(()).unwrap();
                    });
                    tx1.send(()).unwrap();
                    rx2.recv().unwrap();
                    if rem.fetch_sub(1, Ordering::AcqRel) == 1 {
                        done.send(()).unwrap();
                    }
                });
            }
        });
        wait.recv().unwrap();
        start.elapsed()
    }

    fn yield_many() -> Duration {
        let start = Instant::now();
        let handles: Vec<JoinHandle<()>> = (0..YIELD_TASKS)
            .map(|_| {
                go!(|| {
                    for _ in 0..NUM_YIELD {
                        may::coroutine::yield_now();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        start.elapsed()
    }

    fn chained_spawn() -> Duration {
        fn link(done: mpsc::Sender<()>, n: usize) {
            if n == 0 {
                done.send(()).unwrap();
            } else {
                go!(move || link(done, n - 1));
            }
        }
        let start = Instant::now();
        let (done, wait) = mpsc::channel();
        go!(move || link(done, CHAIN));
        wait.recv().unwrap();
        start.elapsed()
    }

    fn stalled_worker() -> Duration {
        let blocker = go!(|| {
            let handles: Vec<JoinHandle<Duration>> = (0..PROBE_TASKS)
                .map(|_| {
                    let spawned = Instant::now();
                    go!(move || spawned.elapsed())
                })
                .collect();
            thread::sleep(PROBE_BLOCK);
            handles
        });
        blocker
            .join()
            .unwrap()
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap_or_default()
    }
}
