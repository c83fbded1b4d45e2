//! Hostile tests of the yield path: a task requeued by its own `yield_now`
//! keeps its RUNNING (or NOTIFIED) state while it waits in a queue (T7/T8 in
//! `task.rs`, Y1/Y2 in `runtime/p.rs`).
//!
//! Every test future checks on each poll that it is not being polled on two
//! threads at once, counts its polls and its drops, and waits for progress
//! only another party (a foreign thread holding its waker, a channel, a
//! timer) makes, so a lost wake-up hangs the test (a watchdog then aborts
//! it). Covered: yields racing foreign wakes in the same poll, yields beside
//! gochan sends and timers, `abort` of a yielding task from a thread or a
//! task, a poll that yields and then panics, `JoinHandle` results after
//! yields, `blocking` called in the poll that yielded and while the P's
//! yield queue is full of tasks, and runtimes dropped with yielding tasks in
//! their queues (every future dropped exactly once). 1 to 4 procs,
//! thousands of tasks natively; a single P and a few tasks under Miri.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use gochan::Chan;
use gosched::Runtime;

/// Aborts the process with `what` if not dropped within `limit`: a lost
/// wake-up shows as a hang.
struct Watchdog(Arc<AtomicBool>);

fn watchdog(what: &'static str, limit: Duration) -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let seen = done.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            if seen.load(SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("watchdog: {what} hung for {limit:?}");
        std::process::abort();
    });
    Watchdog(done)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

const MIRI: bool = cfg!(miri);

fn procs() -> Vec<usize> {
    if MIRI {
        vec![1]
    } else {
        vec![1, 2, 3, 4]
    }
}

/// Per-task bookkeeping a test future shares with the test.
#[derive(Default)]
struct Probe {
    /// Set for the length of a poll: two at once is a double run.
    in_poll: AtomicBool,
    polls: AtomicUsize,
    drops: AtomicUsize,
    /// Tickets a foreign party handed the task (each with a wake).
    tickets: AtomicUsize,
    /// The task's waker, for the foreign party.
    waker: Mutex<Option<Waker>>,
}

impl Probe {
    /// Marks a poll's start; panics on a poll already in progress.
    fn enter(&self) -> PollGuard<'_> {
        assert!(
            !self.in_poll.swap(true, SeqCst),
            "a task was polled on two threads at once"
        );
        self.polls.fetch_add(1, SeqCst);
        PollGuard(self)
    }
}

struct PollGuard<'a>(&'a Probe);

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.0.in_poll.store(false, SeqCst);
    }
}

/// Counts its drop in its probe.
struct DropMark(Arc<Probe>);

impl Drop for DropMark {
    fn drop(&mut self) {
        self.0.drops.fetch_add(1, SeqCst);
    }
}

/// Polls a fresh `yield_now` once inside the current poll: the task asks
/// to be requeued by its own yield (T7) and goes on with its poll.
fn yield_in_poll(cx: &mut Context<'_>) {
    let mut y = gosched::yield_now();
    assert!(Pin::new(&mut y).poll(cx).is_pending());
}

/// Waits for `need` tickets from a foreign thread, registering its waker
/// in its probe on every poll, and on some polls also yielding in the same
/// poll (the yield and the foreign wake race for the same task).
struct TicketWaiter {
    probe: Arc<Probe>,
    need: usize,
    _mark: DropMark,
}

impl TicketWaiter {
    fn new(probe: &Arc<Probe>, need: usize) -> TicketWaiter {
        TicketWaiter {
            probe: probe.clone(),
            need,
            _mark: DropMark(probe.clone()),
        }
    }
}

impl Future for TicketWaiter {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let probe = &self.probe;
        let _guard = probe.enter();
        if probe.tickets.load(SeqCst) >= self.need {
            return Poll::Ready(probe.polls.load(SeqCst));
        }
        // Register first, so the foreign thread can wake the task while
        // this poll still runs (RUNNING → NOTIFIED).
        *probe.waker.lock().unwrap() = Some(cx.waker().clone());
        let polls = probe.polls.load(SeqCst);
        if polls % 3 != 0 {
            yield_in_poll(cx);
        }
        if polls % 5 == 0 {
            // Now and then spin a little so the wake lands mid-poll.
            for _ in 0..50 {
                std::hint::spin_loop();
            }
        }
        Poll::Pending
    }
}

/// Hands out tickets to the tasks' registered wakers until every task has
/// `need`, waking by value and by reference in turn.
fn foreign_waker(probes: Vec<Arc<Probe>>, need: usize, stop: Arc<AtomicBool>) {
    let mut turn = 0usize;
    while !stop.load(SeqCst) {
        let mut all = true;
        for probe in &probes {
            if probe.tickets.load(SeqCst) < need {
                all = false;
            }
            let waker = probe.waker.lock().unwrap().take();
            if let Some(waker) = waker {
                if probe.tickets.load(SeqCst) < need {
                    probe.tickets.fetch_add(1, SeqCst);
                }
                turn += 1;
                if turn % 2 == 0 {
                    waker.wake();
                } else {
                    waker.wake_by_ref();
                }
            }
        }
        if all {
            return;
        }
        std::thread::yield_now();
    }
}

#[test]
fn yields_racing_foreign_wakes_run_each_task_alone_and_lose_no_wake() {
    let _dog = watchdog("yield vs foreign wake", Duration::from_secs(120));
    let (tasks, need) = if MIRI { (3, 4) } else { (1000, 20) };
    for procs in procs() {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let probes: Vec<Arc<Probe>> = (0..tasks).map(|_| Arc::default()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let waker_thread = {
            let (probes, stop) = (probes.clone(), stop.clone());
            std::thread::spawn(move || foreign_waker(probes, need, stop))
        };
        let handles: Vec<_> = probes
            .iter()
            .map(|p| rt.spawn(TicketWaiter::new(p, need)))
            .collect();
        let polls = rt
            .block_on(async move {
                let mut polls = Vec::new();
                for h in handles {
                    polls.push(h.await.unwrap());
                }
                polls
            })
            .unwrap();
        stop.store(true, SeqCst);
        waker_thread.join().unwrap();
        for (probe, polls) in probes.iter().zip(polls) {
            assert!(polls > need, "{procs} procs: done before its tickets");
            assert_eq!(probe.tickets.load(SeqCst), need);
            assert_eq!(probe.drops.load(SeqCst), 1, "{procs} procs");
            assert!(!probe.in_poll.load(SeqCst));
        }
        gosched::leak::check(&rt).unwrap();
    }
}

#[test]
fn yields_beside_channel_sends_and_timers_count_every_message() {
    let _dog = watchdog("yield vs channel and timer wakes", Duration::from_secs(120));
    let (pairs, per) = if MIRI { (2, 5) } else { (1000, 40) };
    for procs in procs() {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let received = Arc::new(AtomicUsize::new(0));
        let sum = Arc::new(AtomicUsize::new(0));
        let got = received.clone();
        let total = sum.clone();
        rt.block_on(async move {
            let mut handles = Vec::new();
            for pair in 0..pairs {
                let chan: Chan<usize> = Chan::new(pair % 2);
                let tx = chan.clone();
                handles.push(gosched::spawn(async move {
                    for i in 0..per {
                        // Yield, then send: the receiver's wake may find
                        // this task queued by its yield.
                        gosched::yield_now().await;
                        tx.send_async(pair * per + i).await.unwrap();
                        if i % 16 == 0 && !MIRI {
                            gosched::sleep(Duration::from_micros(50)).await;
                        }
                    }
                    per
                }));
                let (got, total) = (got.clone(), total.clone());
                handles.push(gosched::spawn(async move {
                    let mut n = 0;
                    while n < per {
                        // A receive whose waker is registered, then a
                        // yield in the next poll before the value comes.
                        let v = chan.recv_async().await.unwrap();
                        total.fetch_add(v, SeqCst);
                        got.fetch_add(1, SeqCst);
                        n += 1;
                        gosched::yield_now().await;
                    }
                    n
                }));
            }
            for h in handles {
                assert_eq!(h.await.unwrap(), per);
            }
        })
        .unwrap();
        let n = pairs * per;
        assert_eq!(received.load(SeqCst), n, "{procs} procs");
        assert_eq!(sum.load(SeqCst), n * (n - 1) / 2, "{procs} procs");
        gosched::leak::check(&rt).unwrap();
    }
}

/// Yields forever, counting polls; dropped exactly once (polled or not:
/// the mark is made before the first poll).
fn yield_forever(probe: Arc<Probe>) -> impl Future<Output = ()> + Send {
    let mark = DropMark(probe.clone());
    async move {
        let _mark = mark;
        loop {
            {
                let _guard = probe.enter();
            }
            gosched::yield_now().await;
        }
    }
}

#[test]
fn abort_of_a_yielding_task_from_a_thread_and_from_a_task() {
    let _dog = watchdog("abort while yielding", Duration::from_secs(120));
    let tasks = if MIRI { 3 } else { 500 };
    for procs in procs() {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let probes: Vec<Arc<Probe>> = (0..tasks).map(|_| Arc::default()).collect();
        let handles: Vec<_> = probes
            .iter()
            .map(|p| Arc::new(rt.spawn(yield_forever(p.clone()))))
            .collect();
        // Half aborted from a foreign thread, half from a task, while the
        // runtime's Ms keep requeuing them by their yields.
        let foreign: Vec<_> = handles.iter().step_by(2).cloned().collect();
        let aborter = std::thread::spawn(move || {
            for h in foreign {
                std::thread::yield_now();
                h.abort();
            }
        });
        let in_task: Vec<_> = handles.iter().skip(1).step_by(2).cloned().collect();
        rt.block_on(async move {
            gosched::spawn(async move {
                for h in in_task {
                    gosched::yield_now().await;
                    h.abort();
                }
            })
            .await
            .unwrap();
        })
        .unwrap();
        aborter.join().unwrap();
        let results = rt
            .block_on(async move {
                let mut out = Vec::new();
                for h in handles {
                    let Ok(h) = Arc::try_unwrap(h) else {
                        panic!("a handle was still shared");
                    };
                    out.push(h.await);
                }
                out
            })
            .unwrap();
        for (probe, result) in probes.iter().zip(results) {
            assert!(result.unwrap_err().is_cancelled(), "{procs} procs");
            assert_eq!(probe.drops.load(SeqCst), 1, "{procs} procs");
            // No poll after the drop.
            let polls = probe.polls.load(SeqCst);
            std::thread::sleep(Duration::from_millis(if MIRI { 0 } else { 1 }));
            assert_eq!(probe.polls.load(SeqCst), polls);
        }
        gosched::leak::check(&rt).unwrap();
    }
}

/// Yields `before` times, then, in one poll, asks to be requeued by a
/// yield and panics.
struct YieldThenPanic {
    probe: Arc<Probe>,
    before: usize,
    _mark: DropMark,
}

impl Future for YieldThenPanic {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let _guard = self.probe.enter();
        yield_in_poll(cx);
        if self.probe.polls.load(SeqCst) > self.before {
            panic!("poll panicked after its yield");
        }
        Poll::Pending
    }
}

#[test]
fn a_poll_that_yields_then_panics_ends_its_task_once() {
    let _dog = watchdog("yield then panic", Duration::from_secs(120));
    let tasks = if MIRI { 3 } else { 1000 };
    for procs in procs() {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let probes: Vec<Arc<Probe>> = (0..tasks).map(|_| Arc::default()).collect();
        let handles: Vec<_> = probes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                rt.spawn(YieldThenPanic {
                    probe: p.clone(),
                    before: i % 7,
                    _mark: DropMark(p.clone()),
                })
            })
            .collect();
        let results = rt
            .block_on(async move {
                let mut out = Vec::new();
                for h in handles {
                    out.push(h.await);
                }
                out
            })
            .unwrap();
        for (i, (probe, result)) in probes.iter().zip(results).enumerate() {
            let err = result.unwrap_err();
            assert!(err.is_panic());
            let payload = err.into_panic();
            assert_eq!(
                payload.downcast_ref::<&str>(),
                Some(&"poll panicked after its yield")
            );
            // Polled once per yield plus the panicking poll, never again.
            assert_eq!(probe.polls.load(SeqCst), i % 7 + 1, "{procs} procs");
            assert_eq!(probe.drops.load(SeqCst), 1, "{procs} procs");
        }
        gosched::leak::check(&rt).unwrap();
    }
}

#[test]
fn join_handles_return_after_many_yields() {
    let _dog = watchdog("join after yields", Duration::from_secs(120));
    let (tasks, yields) = if MIRI { (4, 3) } else { (2000, 50) };
    for procs in procs() {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let sum = rt
            .block_on(async move {
                let handles: Vec<_> = (0..tasks)
                    .map(|t| {
                        gosched::spawn(async move {
                            for _ in 0..yields {
                                gosched::yield_now().await;
                            }
                            t
                        })
                    })
                    .collect();
                // A task awaiting other tasks' handles, itself yielding.
                let awaiter = gosched::spawn(async move {
                    let mut sum = 0;
                    for h in handles {
                        sum += h.await.unwrap();
                        gosched::yield_now().await;
                    }
                    sum
                });
                awaiter.await.unwrap()
            })
            .unwrap();
        assert_eq!(sum, tasks * (tasks - 1) / 2, "{procs} procs");
        gosched::leak::check(&rt).unwrap();
    }
}

#[test]
fn runtime_dropped_with_yielding_tasks_queued_drops_each_future_once() {
    let _dog = watchdog("shutdown with yielders", Duration::from_secs(120));
    let tasks = if MIRI { 4 } else { 3000 };
    for procs in procs() {
        let probes: Vec<Arc<Probe>> = (0..tasks).map(|_| Arc::default()).collect();
        {
            let rt = Runtime::builder().procs(procs).build().unwrap();
            for p in &probes {
                drop(rt.spawn(yield_forever(p.clone())));
            }
            // block_on returns while they sit in the Ps' yield queues and
            // the global queue, all of them RUNNING there (T7).
            rt.block_on(async {
                for _ in 0..if MIRI { 2 } else { 20 } {
                    gosched::yield_now().await;
                }
            })
            .unwrap();
            assert_eq!(rt.num_goroutine(), tasks);
            // The dump tells a task queued by its yield (still RUNNING, T7)
            // from one being polled by its wait reason: only the few an M
            // polls while the dump reads them show as running.
            let dump = rt.dump();
            assert_eq!(dump.tasks.len(), tasks);
            let running = dump
                .tasks
                .iter()
                .filter(|t| t.state == gosched::stats::TaskState::Running)
                .count();
            let runnable = dump
                .tasks
                .iter()
                .filter(|t| t.state == gosched::stats::TaskState::Runnable)
                .count();
            assert_eq!(running + runnable, tasks, "{procs} procs: {dump:?}");
            // The dump reads the tasks one by one while the Ms poll on, so
            // a task it saw polled may be done by the next read: a bound,
            // not an exact count. Under Miri (4 tasks, any interleaving of
            // the dump and the polls) it says nothing.
            if !MIRI {
                assert!(
                    running <= tasks / 4 + procs,
                    "{procs} procs: {running} running"
                );
            }
        }
        for p in &probes {
            assert_eq!(p.drops.load(SeqCst), 1, "{procs} procs");
            assert!(!p.in_poll.load(SeqCst));
        }
    }
}

/// In one poll: yields (asking to be requeued), then calls `blocking`,
/// which hands this M's P off; the requeue must still happen.
struct YieldThenBlock {
    probe: Arc<Probe>,
    rounds: usize,
    _mark: DropMark,
}

impl Future for YieldThenBlock {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let _guard = self.probe.enter();
        let polls = self.probe.polls.load(SeqCst);
        if polls > self.rounds {
            return Poll::Ready(polls);
        }
        yield_in_poll(cx);
        gosched::blocking(|| std::thread::sleep(Duration::from_micros(if MIRI { 0 } else { 200 })));
        Poll::Pending
    }
}

#[test]
fn blocking_in_the_poll_that_yielded_still_requeues_the_task() {
    let _dog = watchdog("yield then blocking", Duration::from_secs(120));
    let (tasks, rounds) = if MIRI { (2, 2) } else { (40, 10) };
    for procs in procs() {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let probes: Vec<Arc<Probe>> = (0..tasks).map(|_| Arc::default()).collect();
        let handles: Vec<_> = probes
            .iter()
            .map(|p| {
                rt.spawn(YieldThenBlock {
                    probe: p.clone(),
                    rounds,
                    _mark: DropMark(p.clone()),
                })
            })
            .collect();
        let polls = rt
            .block_on(async move {
                let mut out = Vec::new();
                for h in handles {
                    out.push(h.await.unwrap());
                }
                out
            })
            .unwrap();
        for (probe, polls) in probes.iter().zip(polls) {
            assert_eq!(polls, rounds + 1, "{procs} procs");
            assert_eq!(probe.drops.load(SeqCst), 1);
        }
        gosched::leak::check(&rt).unwrap();
    }
}

#[test]
#[cfg_attr(miri, ignore = "threads sleeping for milliseconds")]
fn yielders_queued_behind_a_blocking_task_keep_running() {
    // Y2: the P handed off by `blocking` (or retaken by sysmon from a task
    // that blocks its thread) carries its yield queue to another M.
    let _dog = watchdog("blocking with a full yield queue", Duration::from_secs(120));
    for procs in procs() {
        for by_sysmon in [false, true] {
            let rt = Runtime::builder().procs(procs).build().unwrap();
            let progress = Arc::new(AtomicUsize::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let seen = rt
                .block_on({
                    let (progress, stop) = (progress.clone(), stop.clone());
                    async move {
                        let blocker = gosched::spawn(async move {
                            // Spawned from this task: the yielders go to
                            // this P first, and their yields to its queue.
                            let mut yielders = Vec::new();
                            for _ in 0..200 {
                                let (progress, stop) = (progress.clone(), stop.clone());
                                yielders.push(gosched::spawn(async move {
                                    while !stop.load(SeqCst) {
                                        progress.fetch_add(1, SeqCst);
                                        gosched::yield_now().await;
                                    }
                                }));
                            }
                            gosched::yield_now().await;
                            // Blocks this thread until the yielders have
                            // made 200 polls more (or 10 s: a stall), so a
                            // loaded machine that is slow to hand the P on
                            // does not count as one.
                            let measure = || {
                                let before = progress.load(SeqCst);
                                let until = std::time::Instant::now() + Duration::from_secs(10);
                                std::thread::sleep(Duration::from_millis(100));
                                while progress.load(SeqCst) - before <= 200
                                    && std::time::Instant::now() < until
                                {
                                    std::thread::sleep(Duration::from_millis(10));
                                }
                                progress.load(SeqCst) - before
                            };
                            let seen = if by_sysmon {
                                measure()
                            } else {
                                gosched::blocking(measure)
                            };
                            stop.store(true, SeqCst);
                            for y in yielders {
                                y.await.unwrap();
                            }
                            seen
                        });
                        blocker.await.unwrap()
                    }
                })
                .unwrap();
            assert!(
                seen > 200,
                "{procs} procs, by_sysmon {by_sysmon}: the yielders stalled ({seen} polls in 10 s)"
            );
            gosched::leak::check(&rt).unwrap();
        }
    }
}

#[test]
fn a_yielding_task_woken_by_a_task_on_the_same_p_runs_once_per_poll() {
    // One P: the waker and the yielder share it. The yielder's waker is
    // woken by another task while the yielder sits in the yield queue
    // RUNNING (T7): it is marked NOTIFIED, never queued a second time.
    let _dog = watchdog("same-P wake of a yielder", Duration::from_secs(120));
    let rounds = if MIRI { 5 } else { 5000 };
    let rt = Runtime::builder().procs(1).build().unwrap();
    let probe: Arc<Probe> = Arc::default();
    let waiter = rt.spawn(TicketWaiter::new(&probe, rounds));
    let p = probe.clone();
    rt.block_on(async move {
        let mut given = 0;
        while given < rounds {
            let waker = p.waker.lock().unwrap().take();
            if let Some(w) = waker {
                p.tickets.fetch_add(1, SeqCst);
                given += 1;
                w.wake();
            }
            gosched::yield_now().await;
        }
        assert!(waiter.await.unwrap() > rounds);
    })
    .unwrap();
    assert_eq!(probe.drops.load(SeqCst), 1);
    // Panics here too must leave the runtime usable.
    let r = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            gosched::yield_now().await;
            panic!("main future panics after a yield");
        })
    }));
    assert!(r.is_err());
    assert_eq!(rt.block_on(async { 7 }).unwrap(), 7);
    gosched::leak::check(&rt).unwrap();
}
