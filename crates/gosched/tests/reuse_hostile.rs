//! Hostile uses of a task spawned with a `JoinHandle`, now that its
//! allocation is reused once its exit and its handle are both done (T6 in
//! `task.rs`) and the handle reads the result from the task's block (B3 in
//! `body.rs`): a finished task's live handle under heavy spawn churn (a
//! stale handle must never see another task's output or id), handles
//! dropped and aborted on other threads while their tasks complete, bodies
//! whose `Drop` spawns, aborts or drops their own handle, outputs whose
//! `Drop` panics on either side, handles dropped after (or while) their
//! runtime shuts down, and churn across Ps. Every value is counted: each
//! future and each output is dropped exactly once. A watchdog aborts a
//! hung test.

mod common;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{eventually, watchdog};
use gosched::{JoinHandle, Runtime};

/// Counts drops of values with a tag; panics in `drop` when asked.
struct Tracked {
    tag: usize,
    drops: Arc<AtomicUsize>,
    panic_on_drop: bool,
}

impl Tracked {
    fn new(tag: usize, drops: &Arc<AtomicUsize>) -> Tracked {
        Tracked {
            tag,
            drops: drops.clone(),
            panic_on_drop: false,
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.panic_on_drop {
            panic!("Tracked::drop");
        }
    }
}

/// Keeps the tests' own panics (of `Drop`s and wakers) off stderr; every
/// other panic still prints.
fn quiet_drop_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ours = info
                .payload()
                .downcast_ref::<&str>()
                .is_some_and(|m| *m == "Tracked::drop" || *m == "ThreadWaker::wake");
            if !ours {
                default(info);
            }
        }));
    });
}

/// Live spawned tasks (not counting the `block_on` that asks).
fn live_tasks(rt: &Runtime) -> usize {
    rt.block_on(async { gosched::num_goroutine() }).unwrap() - 1
}

/// A finished task whose handle is kept is never handed to another spawn:
/// thousands of spawns (remote and local, awaited, dropped and aborted)
/// later, its handle still reports its own id and delivers its own output,
/// and no other handle ever shares its id.
#[test]
fn a_kept_handle_of_a_finished_task_survives_spawn_churn() {
    let _watchdog = watchdog("kept handle under churn", Duration::from_secs(120));
    let (kept_n, rounds, per_round) = if cfg!(miri) { (3, 2, 8) } else { (64, 20, 500) };
    let rt = Runtime::builder().procs(2).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let kept: Vec<JoinHandle<Tracked>> = (0..kept_n)
        .map(|i| {
            let d = drops.clone();
            rt.spawn(async move { Tracked::new(1_000_000 + i, &d) })
        })
        .collect();
    for h in &kept {
        eventually("a kept task finished", || h.is_finished());
    }
    let kept_ids: Vec<u64> = kept.iter().map(|h| h.id().unwrap()).collect();
    let mut unique = kept_ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), kept_n, "two live handles share an id");
    let churn_drops = Arc::new(AtomicUsize::new(0));
    let churn_made = Arc::new(AtomicUsize::new(0));
    for round in 0..rounds {
        let handles: Vec<JoinHandle<Tracked>> = (0..per_round)
            .map(|i| {
                let (d, made) = (churn_drops.clone(), churn_made.clone());
                rt.spawn(async move {
                    if i % 5 == 0 {
                        gosched::yield_now().await;
                    }
                    made.fetch_add(1, SeqCst);
                    Tracked::new(i, &d)
                })
            })
            .collect();
        for h in &handles {
            assert!(
                !kept_ids.contains(&h.id().unwrap()),
                "a new spawn got a kept task's id"
            );
        }
        let kept_ids = kept_ids.clone();
        rt.block_on(async move {
            // Local spawns too (a P's free list), awaited from inside.
            let inner: Vec<_> = (0..8)
                .map(|i| gosched::spawn(async move { i * 2 }))
                .collect();
            for (i, h) in inner.into_iter().enumerate() {
                assert!(!kept_ids.contains(&h.id().unwrap()));
                assert_eq!(h.await.unwrap(), i * 2);
            }
            for (i, h) in handles.into_iter().enumerate() {
                match (i + round) % 3 {
                    0 => drop(h),
                    1 => assert_eq!(h.await.unwrap().tag, i),
                    _ => {
                        h.abort();
                        if let Ok(t) = h.await {
                            assert_eq!(t.tag, i);
                        }
                    }
                }
            }
        })
        .unwrap();
    }
    eventually("every churned output dropped", || {
        churn_drops.load(SeqCst) == churn_made.load(SeqCst)
    });
    assert!(churn_made.load(SeqCst) > 0);
    // Reuse happened (the churn ran on recycled tasks), yet the kept
    // handles are intact.
    let stats = rt.stats();
    let free: usize =
        stats.free_tasks_global + stats.procs.iter().map(|p| p.free_tasks).sum::<usize>();
    assert!(free > 0, "no task was kept for reuse: {stats:?}");
    assert_eq!(drops.load(SeqCst), 0);
    for (i, h) in kept.into_iter().enumerate() {
        assert_eq!(h.id().unwrap(), kept_ids[i]);
        assert!(h.is_finished());
        let t = rt.block_on(h).unwrap().unwrap();
        assert_eq!(t.tag, 1_000_000 + i, "a kept handle saw another output");
    }
    assert_eq!(drops.load(SeqCst), kept_n);
    gosched::leak::verify_none(&rt);
}

/// Handles sent to plain threads that drop, abort or await them at random
/// moments while their tasks finish on 3 Ps: each future and each output
/// drops once, no task stays alive, and the runtime's counts come back.
#[test]
#[cfg_attr(
    miri,
    ignore = "many threads; Miri runs the handle tests above and below"
)]
fn handles_dropped_and_aborted_on_other_threads_race_the_exits() {
    let _watchdog = watchdog("handles on other threads", Duration::from_secs(120));
    let rt = Arc::new(Runtime::builder().procs(3).build().unwrap());
    let futures_dropped = Arc::new(AtomicUsize::new(0));
    let outputs_dropped = Arc::new(AtomicUsize::new(0));
    let outputs_made = Arc::new(AtomicUsize::new(0));
    let (rounds, per_round, threads) = (30, 400, 3);
    for round in 0..rounds {
        let mut per_thread: Vec<Vec<(usize, JoinHandle<Tracked>)>> =
            (0..threads).map(|_| Vec::new()).collect();
        for i in 0..per_round {
            let in_future = Tracked::new(i, &futures_dropped);
            let (od, om) = (outputs_dropped.clone(), outputs_made.clone());
            let h = rt.spawn(async move {
                let _held = in_future;
                for _ in 0..i % 4 {
                    gosched::yield_now().await;
                }
                om.fetch_add(1, SeqCst);
                Tracked::new(i, &od)
            });
            per_thread[i % threads].push((i, h));
        }
        let joins: Vec<_> = per_thread
            .into_iter()
            .enumerate()
            .map(|(t, handles)| {
                std::thread::spawn(move || {
                    for (i, h) in handles {
                        let how = (i + t + round) % 4;
                        match how {
                            0 => drop(h),
                            1 => {
                                h.abort();
                                drop(h);
                            }
                            _ => {
                                // Abort (or not), spin until it is done,
                                // then drop it unread.
                                if how == 3 {
                                    h.abort();
                                }
                                while !h.is_finished() {
                                    std::thread::yield_now();
                                }
                                drop(h);
                            }
                        }
                    }
                })
            })
            .collect();
        for j in joins {
            j.join().unwrap();
        }
    }
    let total = rounds * per_round;
    eventually("every future dropped once", || {
        futures_dropped.load(SeqCst) == total
    });
    eventually("every output made is dropped once", || {
        outputs_dropped.load(SeqCst) == outputs_made.load(SeqCst)
    });
    assert_eq!(futures_dropped.load(SeqCst), total);
    eventually("no task alive", || live_tasks(&rt) == 0);
    gosched::leak::verify_none(&rt);
}

/// `abort` from another thread racing the task's last poll: the handle
/// reports the output or a cancellation, never both, never neither; the
/// future and the output drop once each.
#[test]
fn abort_from_another_thread_racing_completion_reports_one_outcome() {
    let _watchdog = watchdog("abort racing completion", Duration::from_secs(120));
    let n = if cfg!(miri) { 6 } else { 2_000 };
    let rt = Runtime::builder().procs(2).build().unwrap();
    let futures_dropped = Arc::new(AtomicUsize::new(0));
    let outputs_dropped = Arc::new(AtomicUsize::new(0));
    let mut finished = 0;
    let mut cancelled = 0;
    for i in 0..n {
        let in_future = Tracked::new(i, &futures_dropped);
        let od = outputs_dropped.clone();
        let h = rt.spawn(async move {
            let _held = in_future;
            if i % 2 == 0 {
                gosched::yield_now().await;
            }
            Tracked::new(i, &od)
        });
        // Another thread aborts (after 0 to 2 yields) while this one waits
        // for the task to be done either way.
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..i % 3 {
                    std::thread::yield_now();
                }
                h.abort();
            });
            while !h.is_finished() {
                std::thread::yield_now();
            }
        });
        let handle = h;
        match rt.block_on(handle).unwrap() {
            Ok(t) => {
                assert_eq!(t.tag, i);
                finished += 1;
            }
            Err(e) => {
                assert!(e.is_cancelled(), "{e}");
                cancelled += 1;
            }
        }
    }
    assert_eq!(finished + cancelled, n);
    eventually("every future dropped", || futures_dropped.load(SeqCst) == n);
    assert_eq!(outputs_dropped.load(SeqCst), finished);
    gosched::leak::verify_none(&rt);
}

/// What a body's `Drop` does when its future is dropped (at the finish, on
/// abort, or at shutdown): spawns a task, aborts another, and drops its own
/// task's handle.
struct Meddler {
    spawned_ran: Arc<AtomicUsize>,
    victim: Option<JoinHandle<()>>,
    own: Arc<Mutex<Option<JoinHandle<Tracked>>>>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Meddler {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        let ran = self.spawned_ran.clone();
        drop(gosched::spawn(async move {
            ran.fetch_add(1, SeqCst);
        }));
        if let Some(victim) = self.victim.take() {
            victim.abort();
        }
        // The handle of the very task being finished.
        drop(self.own.lock().unwrap().take());
    }
}

/// Bodies whose `Drop` spawns, aborts and drops their own handle, while
/// tasks are reused: each spawned-from-drop task runs, each victim ends
/// cancelled, each output drops once (unread), and the tasks are reused
/// afterwards.
#[test]
fn a_body_whose_drop_spawns_aborts_and_drops_its_own_handle() {
    let _watchdog = watchdog("meddling bodies", Duration::from_secs(120));
    let n = if cfg!(miri) { 3 } else { 300 };
    let rt = Runtime::builder().procs(2).build().unwrap();
    let spawned_ran = Arc::new(AtomicUsize::new(0));
    let meddler_drops = Arc::new(AtomicUsize::new(0));
    let outputs_dropped = Arc::new(AtomicUsize::new(0));
    let victims_cancelled = rt
        .block_on({
            let (spawned_ran, meddler_drops, outputs_dropped) = (
                spawned_ran.clone(),
                meddler_drops.clone(),
                outputs_dropped.clone(),
            );
            async move {
                let mut victims = Vec::new();
                for i in 0..n {
                    let victim_done = Arc::new(AtomicBool::new(false));
                    let (vd, vd2) = (victim_done.clone(), victim_done.clone());
                    // A victim that waits until aborted.
                    // Made outside the future: set even if the victim is
                    // aborted before its first poll.
                    let flag = SetOnDrop(vd);
                    let victim = gosched::spawn(async move {
                        let _flag = flag;
                        std::future::pending::<()>().await;
                    });
                    let own = Arc::new(Mutex::new(None));
                    let meddler = Meddler {
                        spawned_ran: spawned_ran.clone(),
                        victim: Some(victim),
                        own: own.clone(),
                        drops: meddler_drops.clone(),
                    };
                    let od = outputs_dropped.clone();
                    let h = gosched::spawn(async move {
                        let _m = meddler;
                        gosched::yield_now().await;
                        Tracked::new(i, &od)
                    });
                    *own.lock().unwrap() = Some(h);
                    victims.push(vd2);
                }
                victims
            }
        })
        .unwrap();
    eventually("every meddler dropped", || meddler_drops.load(SeqCst) == n);
    eventually("every task spawned from a Drop ran", || {
        spawned_ran.load(SeqCst) == n
    });
    eventually("every victim cancelled", || {
        victims_cancelled.iter().all(|v| v.load(SeqCst))
    });
    eventually("every unread output dropped", || {
        outputs_dropped.load(SeqCst) == n
    });
    eventually("no task alive", || live_tasks(&rt) == 0);
    // The runtime still spawns and delivers on reused tasks.
    let sum = rt
        .block_on(async {
            let hs: Vec<_> = (0..16).map(|i| gosched::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in hs {
                sum += h.await.unwrap();
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, (0..16).sum::<usize>());
    assert_eq!(meddler_drops.load(SeqCst), n);
    gosched::leak::verify_none(&rt);
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// An output whose `Drop` panics, its handle dropped before the task ends
/// (the output is dropped by the exit, on the M) or after (by the
/// handle's drop, which re-raises): the panic never takes down a worker or
/// leaks the task, each output drops once, and the tasks are reused.
#[test]
fn outputs_with_panicking_drops_on_either_side() {
    let _watchdog = watchdog("panicking outputs", Duration::from_secs(120));
    quiet_drop_panics();
    let n = if cfg!(miri) { 3 } else { 200 };
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let go_on = Arc::new(AtomicBool::new(false));
    let panicking = |i: usize, go_on: &Arc<AtomicBool>| {
        let (d, go_on) = (drops.clone(), go_on.clone());
        async move {
            while !go_on.load(SeqCst) {
                gosched::yield_now().await;
            }
            let mut t = Tracked::new(i, &d);
            t.panic_on_drop = true;
            t
        }
    };
    // Dropped first: the exit drops each output (and its panic is caught).
    for i in 0..n {
        drop(rt.spawn(panicking(i, &go_on)));
    }
    go_on.store(true, SeqCst);
    eventually("outputs dropped by the exits", || drops.load(SeqCst) == n);
    eventually("no task alive", || live_tasks(&rt) == 0);
    // Dropped after: the handle's drop re-raises; the task is still freed.
    let finished: Vec<_> = (0..n).map(|i| rt.spawn(panicking(i, &go_on))).collect();
    for h in &finished {
        eventually("a task finished", || h.is_finished());
    }
    for h in finished {
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(h)));
        assert!(dropped.is_err());
    }
    assert_eq!(drops.load(SeqCst), 2 * n);
    eventually("the handles freed their tasks", || {
        rt.stats().free_tasks_global > 0
    });
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap().unwrap(), 5);
    gosched::leak::verify_none(&rt);
}

/// Handles of finished, parked and queued tasks sent to another thread,
/// which drops them while (or after) the runtime shuts down: every future
/// and every output drops once and nothing is left (Miri checks leaks).
#[test]
fn handles_dropped_on_another_thread_during_and_after_shutdown() {
    let _watchdog = watchdog("handles across shutdown", Duration::from_secs(120));
    let rounds = if cfg!(miri) { 2 } else { 50 };
    for round in 0..rounds {
        let drops = Arc::new(AtomicUsize::new(0));
        let rt = Runtime::builder().procs(2).build().unwrap();
        let mut handles: Vec<JoinHandle<Tracked>> = Vec::new();
        for i in 0..6 {
            let in_future = Tracked::new(100 + i, &drops);
            let d = drops.clone();
            handles.push(rt.spawn(async move {
                let _held = in_future;
                if i % 3 == 1 {
                    std::future::pending::<()>().await;
                }
                if i % 3 == 2 {
                    gosched::yield_now().await;
                }
                Tracked::new(i, &d)
            }));
        }
        // The finished ones leave their tasks to their handles.
        for (i, h) in handles.iter().enumerate() {
            if i % 3 == 0 {
                eventually("a task finished", || h.is_finished());
            }
        }
        let (tx, rx) = std::sync::mpsc::channel::<Vec<JoinHandle<Tracked>>>();
        let dropper = std::thread::spawn(move || {
            let handles = rx.recv().unwrap();
            for h in handles {
                std::thread::yield_now();
                drop(h);
            }
        });
        if round % 2 == 0 {
            // Dropped while the runtime tears down.
            tx.send(handles).unwrap();
            drop(rt);
        } else {
            drop(rt);
            tx.send(handles).unwrap();
        }
        dropper.join().unwrap();
        // 6 futures (dropped at their finish or by the teardown) and the
        // outputs of the tasks that finished.
        let finished_outputs = drops.load(SeqCst) - 6;
        assert!(
            (2..=4).contains(&finished_outputs),
            "round {round}: {finished_outputs} outputs dropped"
        );
    }
}

/// Tasks spawned on one P and awaited by tasks on others (so the exit and
/// the handle's drop happen on different Ps and threads), many rounds on
/// 4 Ps: every value arrives once, the free lists fill, and the counts
/// come back to zero.
#[test]
#[cfg_attr(miri, ignore = "4 Ps and many rounds; Miri runs the tests above")]
fn churn_across_four_ps_reuses_tasks_and_counts_right() {
    let _watchdog = watchdog("churn across Ps", Duration::from_secs(120));
    let rt = Runtime::builder().procs(4).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (rounds, fan) = (40, 200);
    for round in 0..rounds {
        let d = drops.clone();
        let total = rt
            .block_on(async move {
                // Producers spawn handles; consumers on other Ps await them.
                let (tx, rx) = std::sync::mpsc::channel();
                let producers: Vec<_> = (0..4)
                    .map(|p| {
                        let (tx, d) = (tx.clone(), d.clone());
                        gosched::spawn(async move {
                            for i in 0..fan {
                                let d = d.clone();
                                let h = gosched::spawn(async move {
                                    if i % 3 == 0 {
                                        gosched::yield_now().await;
                                    }
                                    Tracked::new(p * fan + i, &d)
                                });
                                tx.send(h).unwrap();
                                if i % 16 == 0 {
                                    gosched::yield_now().await;
                                }
                            }
                        })
                    })
                    .collect();
                drop(tx);
                for p in producers {
                    p.await.unwrap();
                }
                let handles: Vec<JoinHandle<Tracked>> = rx.into_iter().collect();
                let mut chunks: Vec<Vec<JoinHandle<Tracked>>> =
                    (0..4).map(|_| Vec::new()).collect();
                for (i, h) in handles.into_iter().enumerate() {
                    chunks[i % 4].push(h);
                }
                let consumers: Vec<_> = chunks
                    .into_iter()
                    .map(|chunk| {
                        gosched::spawn(async move {
                            let mut sum = 0;
                            for (i, h) in chunk.into_iter().enumerate() {
                                if (i + round) % 5 == 0 {
                                    drop(h);
                                } else {
                                    sum += h.await.unwrap().tag;
                                }
                            }
                            sum
                        })
                    })
                    .collect();
                let mut total = 0;
                for c in consumers {
                    total += c.await.unwrap();
                }
                total
            })
            .unwrap();
        assert!(total > 0);
        eventually("the round's outputs dropped", || {
            drops.load(SeqCst) == (round + 1) * 4 * fan
        });
    }
    eventually("no task alive", || live_tasks(&rt) == 0);
    let stats = rt.stats();
    let free: usize =
        stats.procs.iter().map(|p| p.free_tasks).sum::<usize>() + stats.free_tasks_global;
    assert!(free > 0, "{stats:?}");
    assert_eq!(stats.tasks, 0);
    gosched::leak::verify_none(&rt);
}

/// A waker of a foreign executor (a plain thread polling the handle):
/// its `wake` panics when armed. The panic runs on the M that completes
/// the task, after the result is stored: the worker survives, the thread
/// still gets the output by polling again, and every output drops once.
struct ThreadWaker {
    thread: std::thread::Thread,
    panic_next_wake: AtomicBool,
    wakes: AtomicUsize,
}

impl std::task::Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
        if self.panic_next_wake.swap(false, SeqCst) {
            panic!("ThreadWaker::wake");
        }
        self.thread.unpark();
    }
}

#[test]
fn a_foreign_waker_whose_wake_panics_still_gets_the_output() {
    let _watchdog = watchdog("foreign waker", Duration::from_secs(120));
    quiet_drop_panics();
    let n = if cfg!(miri) { 3 } else { 300 };
    let rt = Runtime::builder().procs(2).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut pending_polls = 0;
    let mut panicked_wakes = 0;
    for i in 0..n {
        let d = drops.clone();
        let mut h = rt.spawn(async move {
            for _ in 0..1 + i % 3 {
                gosched::yield_now().await;
            }
            Tracked::new(i, &d)
        });
        let foreign = Arc::new(ThreadWaker {
            thread: std::thread::current(),
            panic_next_wake: AtomicBool::new(true),
            wakes: AtomicUsize::new(0),
        });
        let waker = std::task::Waker::from(foreign.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let output = loop {
            match std::pin::Pin::new(&mut h).poll(&mut cx) {
                std::task::Poll::Ready(r) => break r.unwrap(),
                std::task::Poll::Pending => {
                    pending_polls += 1;
                    // The wake may have panicked instead of unparking.
                    std::thread::park_timeout(Duration::from_millis(1));
                }
            }
        };
        assert_eq!(output.tag, i);
        drop(output);
        drop(h);
        if !foreign.panic_next_wake.load(SeqCst) {
            panicked_wakes += 1;
        }
    }
    assert_eq!(drops.load(SeqCst), n);
    assert!(pending_polls > 0, "no poll ever waited for the task");
    assert!(panicked_wakes > 0, "no wake ever panicked on an M");
    // The Ms that ran the panicking wakes still run tasks.
    let sum = rt
        .block_on(async {
            let hs: Vec<_> = (0..8).map(|i| gosched::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in hs {
                sum += h.await.unwrap();
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, 28);
    eventually("no task alive", || live_tasks(&rt) == 0);
    gosched::leak::verify_none(&rt);
}

/// A foreign waker built by hand, so that its `clone` and its `drop` can
/// panic (both run inside the handle's code: `clone` while the result slot
/// is locked, `drop` when the handle's drop takes it out of the slot).
struct Hand {
    thread: std::thread::Thread,
    panic_clone: AtomicBool,
    panic_drop: AtomicBool,
}

static HAND_VTABLE: std::task::RawWakerVTable =
    std::task::RawWakerVTable::new(hand_clone, hand_wake, hand_wake_by_ref, hand_drop);

fn hand_waker(hand: &Arc<Hand>) -> std::task::Waker {
    let data = Arc::into_raw(hand.clone()).cast::<()>();
    // SAFETY: `data` is an `Arc<Hand>` reference the waker owns; the
    // vtable's functions treat it so.
    unsafe { std::task::Waker::from_raw(std::task::RawWaker::new(data, &HAND_VTABLE)) }
}

unsafe fn hand_clone(data: *const ()) -> std::task::RawWaker {
    // SAFETY: the waker being cloned owns a reference to the `Hand`.
    let hand = unsafe { &*data.cast::<Hand>() };
    if hand.panic_clone.swap(false, SeqCst) {
        panic!("ThreadWaker::wake");
    }
    // SAFETY: as above; the clone owns the reference taken here.
    unsafe { Arc::increment_strong_count(data.cast::<Hand>()) };
    std::task::RawWaker::new(data, &HAND_VTABLE)
}

unsafe fn hand_wake(data: *const ()) {
    // SAFETY: waking by value: the waker's own reference, released after.
    unsafe {
        hand_wake_by_ref(data);
        hand_drop(data);
    }
}

unsafe fn hand_wake_by_ref(data: *const ()) {
    // SAFETY: the waker owns a reference to the `Hand`.
    unsafe { &*data.cast::<Hand>() }.thread.unpark();
}

unsafe fn hand_drop(data: *const ()) {
    // SAFETY: the waker's own reference, released here.
    let hand = unsafe { Arc::from_raw(data.cast::<Hand>()) };
    let panic = hand.panic_drop.swap(false, SeqCst);
    drop(hand);
    if panic {
        panic!("ThreadWaker::wake");
    }
}

/// A foreign waker whose `clone` panics while the handle's slot is locked
/// (the slot is left as it was: a later poll gets the output), and one
/// whose `drop` panics when the handle's drop takes it out of the slot
/// (the task still runs to the end, drops its output and is freed); no
/// waker reference is leaked or dropped twice.
#[test]
fn foreign_wakers_whose_clone_or_drop_panics_leave_the_handle_sound() {
    let _watchdog = watchdog("hand-made wakers", Duration::from_secs(120));
    quiet_drop_panics();
    let rounds = if cfg!(miri) { 2 } else { 100 };
    let rt = Runtime::builder().procs(2).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    for i in 0..rounds {
        let hand = Arc::new(Hand {
            thread: std::thread::current(),
            panic_clone: AtomicBool::new(false),
            panic_drop: AtomicBool::new(false),
        });
        let go_on = Arc::new(AtomicBool::new(false));
        let spawn_waiting = |tag: usize| {
            let (d, go_on) = (drops.clone(), go_on.clone());
            rt.spawn(async move {
                while !go_on.load(SeqCst) {
                    gosched::yield_now().await;
                }
                Tracked::new(tag, &d)
            })
        };
        let waker = hand_waker(&hand);
        let mut cx = std::task::Context::from_waker(&waker);

        // `clone` panics under the slot's lock.
        let mut h = spawn_waiting(2 * i);
        hand.panic_clone.store(true, SeqCst);
        let polled = catch_unwind(AssertUnwindSafe(|| {
            std::pin::Pin::new(&mut h).poll(&mut cx).is_ready()
        }));
        assert!(polled.is_err(), "the clone's panic reached the poller");
        go_on.store(true, SeqCst);
        let output = loop {
            if let std::task::Poll::Ready(r) = std::pin::Pin::new(&mut h).poll(&mut cx) {
                break r.unwrap();
            }
            std::thread::park_timeout(Duration::from_millis(1));
        };
        assert_eq!(output.tag, 2 * i);
        drop((output, h));

        // `drop` panics as the handle's drop takes the waker back.
        go_on.store(false, SeqCst);
        let mut h = spawn_waiting(2 * i + 1);
        let first = std::pin::Pin::new(&mut h).poll(&mut cx);
        assert!(first.is_pending());
        hand.panic_drop.store(true, SeqCst);
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(h)));
        assert!(dropped.is_err(), "the stored waker's drop panicked");
        go_on.store(true, SeqCst);
        eventually("the detached task's output dropped", || {
            drops.load(SeqCst) == 2 * i + 2
        });
        drop(waker);
        // The M that completed a task may still be inside the wake of the
        // clone it took from the slot: wait for it, not for a leak.
        eventually("every waker reference released", || {
            Arc::strong_count(&hand) == 1
        });
    }
    eventually("no task alive", || live_tasks(&rt) == 0);
    gosched::leak::verify_none(&rt);
}
