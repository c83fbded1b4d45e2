//! Scenarios of tokio's runtime tests (`tokio/tests/rt_common.rs`,
//! `rt_threaded.rs`, `task_abort.rs`, `task_blocking.rs`, `time_sleep.rs`)
//! re-written against gosched's API, for one P (tokio's current-thread
//! flavour) and several (its multi-thread flavour).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use gochan::Chan;
use gosched::Runtime;

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// Both flavours: one P and two Ps (under Miri, two Ps only, to stay
/// light).
const FLAVOURS: &[usize] = if cfg!(miri) { &[2] } else { &[1, 2] };

/// Task counts: tokio's 1,000 natively, fewer under Miri.
const MANY: usize = if cfg!(miri) { 20 } else { 1000 };

/// A future that sets a flag when dropped.
struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

// rt_common.rs: block_on_sync, block_on_async
#[test]
fn block_on_sync_and_async() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let mut win = false;
        rt.block_on(async {
            win = true;
        })
        .unwrap();
        assert!(win);
        let out = rt
            .block_on(async {
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || tx.send("ZOMG").unwrap());
                // Poll the std receiver cooperatively.
                loop {
                    if let Ok(v) = rx.try_recv() {
                        break v;
                    }
                    gosched::yield_now().await;
                }
            })
            .unwrap();
        assert_eq!(out, "ZOMG");
    }
}

// rt_common.rs: spawn_one_bg, spawn_one_join, spawn_two
#[test]
fn spawn_one_and_two() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let out = rt
            .block_on(async {
                let c = Chan::new(0);
                let tx = c.clone();
                gosched::go(async move { tx.send_async("ZOMG").await.unwrap() });
                c.recv_async().await.unwrap()
            })
            .unwrap();
        assert_eq!(out, "ZOMG");
        let out = rt
            .block_on(async {
                let h = gosched::spawn(async { "ZOMG" });
                h.await.unwrap()
            })
            .unwrap();
        assert_eq!(out, "ZOMG");
        let out = rt
            .block_on(async {
                let c = Chan::new(2);
                let (a, b) = (c.clone(), c.clone());
                gosched::go(async move { a.send_async("ZOMG").await.unwrap() });
                gosched::go(async move { b.send_async("ZOMG").await.unwrap() });
                [c.recv_async().await.unwrap(), c.recv_async().await.unwrap()]
            })
            .unwrap();
        assert_eq!(out, ["ZOMG", "ZOMG"]);
    }
}

// rt_common.rs: spawn_many_from_block_on, spawn_many_from_task
#[test]
fn spawn_many_from_block_on_and_from_task() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let sum = |from_task: bool| {
            rt.block_on(async move {
                let body = async {
                    let hs: Vec<_> = (0..MANY)
                        .map(|i| gosched::spawn(async move { i }))
                        .collect();
                    let mut seen = vec![false; MANY];
                    for h in hs {
                        let i = h.await.unwrap();
                        assert!(!seen[i]);
                        seen[i] = true;
                    }
                    seen.iter().all(|s| *s)
                };
                if from_task {
                    gosched::spawn(body).await.unwrap()
                } else {
                    body.await
                }
            })
            .unwrap()
        };
        assert!(sum(false));
        assert!(sum(true));
    }
}

// rt_common.rs: spawn_one_from_block_on_called_on_handle (Runtime::spawn
// from the thread that owns the runtime, outside block_on)
#[test]
fn runtime_spawn_from_outside_then_block_on_the_handle() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let h = rt.spawn(async { "ZOMG" });
        assert_eq!(rt.block_on(h).unwrap().unwrap(), "ZOMG");
    }
}

// rt_common.rs: spawn_await_chain
#[test]
fn spawn_await_chain() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let out = rt
            .block_on(async {
                gosched::spawn(async { gosched::spawn(async { "hello" }).await.unwrap() })
                    .await
                    .unwrap()
            })
            .unwrap();
        assert_eq!(out, "hello");
    }
}

// rt_common.rs: outstanding_tasks_dropped; rt_threaded.rs:
// drop_threadpool_drops_futures
#[test]
fn runtime_drop_drops_pending_tasks() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let polled = Arc::new(AtomicBool::new(false));
        let p = polled.clone();
        let h = rt.spawn(async move {
            let _flag = flag;
            p.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        });
        let start = Instant::now();
        while !polled.load(Ordering::SeqCst) {
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::yield_now();
        }
        assert!(!dropped.load(Ordering::SeqCst));
        drop(rt);
        assert!(
            dropped.load(Ordering::SeqCst),
            "pending task's future dropped"
        );
        // The handle outlives the runtime and reports the cancellation.
        let err = futures_block_on(h).unwrap_err();
        assert!(err.is_cancelled());
    }
}

// rt_common.rs: nested_rt (block_on inside block_on panics)
#[test]
fn nested_block_on_of_another_runtime_panics() {
    let rt1 = rt(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt1.block_on(async {
            let rt2 = rt(1);
            rt2.block_on(async {}).unwrap();
        })
    }));
    assert!(r.is_err(), "block_on inside a runtime's task panics");
    // The outer runtime still works.
    assert_eq!(rt1.block_on(async { 5 }).unwrap(), 5);
}

// rt_common.rs: create_rt_in_block_on (building and dropping a runtime
// inside a task is fine, only blocking on it is not)
#[test]
fn create_and_drop_runtime_inside_block_on() {
    let rt1 = rt(1);
    let procs = rt1
        .block_on(async {
            let rt2 = rt(2);
            let n = rt2.gomaxprocs();
            // Use the inner runtime from a plain thread.
            let h = rt2.spawn(async { 7 });
            let v = std::thread::spawn(move || {
                let v = rt2.block_on(h).unwrap().unwrap();
                drop(rt2);
                v
            })
            .join()
            .unwrap();
            (n, v)
        })
        .unwrap();
    assert_eq!(procs, (2, 7));
}

// rt_common.rs: complete_block_on_under_load, complete_task_under_load
#[test]
fn complete_under_load() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        rt.block_on(async {
            // Busy tasks that keep yielding, forever until told to stop.
            let stop = Arc::new(AtomicBool::new(false));
            for _ in 0..2 {
                let stop = stop.clone();
                gosched::go(async move {
                    while !stop.load(Ordering::Relaxed) {
                        gosched::yield_now().await;
                    }
                });
            }
            gosched::sleep(Duration::from_millis(5)).await;
            let h = gosched::spawn(async {
                gosched::sleep(Duration::from_millis(5)).await;
                "done"
            });
            assert_eq!(h.await.unwrap(), "done");
            stop.store(true, Ordering::Relaxed);
        })
        .unwrap();
    }
}

// rt_common.rs: spawn_from_other_thread_idle,
// spawn_from_other_thread_under_load, spawn_two_from_other_thread
#[test]
fn spawn_from_other_thread() {
    for &procs in FLAVOURS {
        let rt = Arc::new(rt(procs));
        // Idle runtime.
        let (tx, rx) = mpsc::channel();
        let rt2 = rt.clone();
        std::thread::spawn(move || {
            let tx = tx.clone();
            drop(rt2.spawn(async move { tx.send(1).unwrap() }));
        })
        .join()
        .unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(1));
        // Under load: the main future spins with yields.
        let stop = Arc::new(AtomicBool::new(false));
        let rt3 = rt.clone();
        let stop2 = stop.clone();
        let spawner = std::thread::spawn(move || {
            let c = Chan::new(2);
            for i in 0..2 {
                let c = c.clone();
                drop(rt3.spawn(async move { c.send_async(i).await.unwrap() }));
            }
            let mut got = [c.recv().unwrap(), c.recv().unwrap()];
            got.sort();
            stop2.store(true, Ordering::SeqCst);
            got
        });
        rt.block_on(async {
            while !stop.load(Ordering::SeqCst) {
                gosched::yield_now().await;
            }
        })
        .unwrap();
        assert_eq!(spawner.join().unwrap(), [0, 1]);
    }
}

// rt_common.rs: sleep_at_root, sleep_in_spawn; time_sleep.rs:
// immediate_sleep, short_sleeps, sub_ms_delayed_sleep
#[test]
fn sleeps_at_root_and_in_tasks() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let dur = Duration::from_millis(20);
        let now = Instant::now();
        rt.block_on(gosched::sleep(dur)).unwrap();
        assert!(now.elapsed() >= dur);
        let now = Instant::now();
        rt.block_on(async move {
            gosched::spawn(gosched::sleep(dur)).await.unwrap();
        })
        .unwrap();
        assert!(now.elapsed() >= dur);
        rt.block_on(async {
            // A deadline already passed completes at once.
            let past = Instant::now();
            gosched::sleep_until(past).await;
            for _ in 0..5 {
                let d = Instant::now() + Duration::from_micros(300);
                gosched::sleep_until(d).await;
                assert!(Instant::now() >= d, "never early");
            }
        })
        .unwrap();
    }
}

// time_sleep.rs: sleep_zero (completes, and a later wake does not break)
#[test]
fn zero_sleep_completes() {
    let rt = rt(1);
    rt.block_on(async {
        gosched::sleep(Duration::ZERO).await;
        let s = gosched::sleep(Duration::ZERO);
        assert!(s.deadline() <= Instant::now());
        s.await;
    })
    .unwrap();
}

// time_sleep.rs: exactly_max, greater_than_max, far-future deadline: the
// sleep is pending, dropping it is fine.
#[test]
fn far_future_sleep_is_pending_and_droppable() {
    let rt = rt(1);
    rt.block_on(async {
        let far = gosched::timeout(
            Duration::from_millis(10),
            gosched::sleep(Duration::from_secs(86400 * 365 * 30)),
        );
        assert!(far.await.is_err());
        let max = gosched::timeout(Duration::from_millis(10), gosched::sleep(Duration::MAX));
        assert!(max.await.is_err());
    })
    .unwrap();
}

// time_sleep.rs: drop_after_reschedule_at_new_scheduled_time /
// drop_from_wake: a sleep polled with one waker, then another, then dropped.
#[test]
fn sleep_polled_with_two_wakers_then_dropped() {
    let rt = rt(1);
    rt.block_on(async {
        // Long enough not to be due at the first polls, also under Miri.
        let d = Duration::from_millis(if cfg!(miri) { 2000 } else { 50 });
        let mut s = Box::pin(gosched::sleep(d));
        let w1 = Arc::new(CountWake::default());
        let w2 = Arc::new(CountWake::default());
        assert!(s
            .as_mut()
            .poll(&mut Context::from_waker(&Waker::from(w1.clone())))
            .is_pending());
        assert!(s
            .as_mut()
            .poll(&mut Context::from_waker(&Waker::from(w2.clone())))
            .is_pending());
        gosched::sleep(d + Duration::from_millis(30)).await;
        // The latest waker is the one woken.
        assert_eq!(w2.0.load(Ordering::SeqCst), 1);
        assert_eq!(w1.0.load(Ordering::SeqCst), 0);
        assert!(s
            .as_mut()
            .poll(&mut Context::from_waker(&Waker::from(w2.clone())))
            .is_ready());
        drop(s);
    })
    .unwrap();
}

#[derive(Default)]
struct CountWake(AtomicUsize);
impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// rt_common.rs: panic_in_task, panic_in_block_on
#[test]
fn panics_in_task_and_block_on() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let r = rt
            .block_on(async {
                gosched::spawn(async {
                    panic!("boom");
                })
                .await
            })
            .unwrap();
        let err = r.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async { panic!("in block_on") })
        }));
        assert!(r.is_err());
        // Still usable after both.
        assert_eq!(
            rt.block_on(async { gosched::spawn(async { 3 }).await.unwrap() })
                .unwrap(),
            3
        );
    }
}

// rt_common.rs: wake_while_rt_is_dropping, wakers outliving the runtime
#[test]
fn waker_outliving_runtime_is_harmless() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let s = slot.clone();
        let _h = rt.spawn(std::future::poll_fn(move |cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        let start = Instant::now();
        while slot.lock().unwrap().is_none() {
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::yield_now();
        }
        let waker = slot.lock().unwrap().take().unwrap();
        // Wake from another thread while the runtime drops.
        let w2 = waker.clone();
        let t = std::thread::spawn(move || {
            for _ in 0..100 {
                w2.wake_by_ref();
            }
        });
        drop(rt);
        t.join().unwrap();
        waker.wake_by_ref();
        waker.wake();
    }
}

// rt_common.rs: eagerly_drops_futures_on_shutdown: a task's future is
// dropped on shutdown even when the task parked on something that never
// completes and whose waker it stored away.
#[test]
fn shutdown_drops_futures_parked_on_foreign_wakers() {
    let rt = rt(2);
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let stash: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let s = stash.clone();
    let (tx, rx) = mpsc::channel();
    let _h = rt.spawn(async move {
        let _flag = flag;
        let mut told = Some(tx);
        std::future::poll_fn(|cx| {
            s.lock().unwrap().push(cx.waker().clone());
            if let Some(tx) = told.take() {
                tx.send(()).unwrap();
            }
            Poll::<()>::Pending
        })
        .await;
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    drop(rt);
    assert!(dropped.load(Ordering::SeqCst));
    for w in stash.lock().unwrap().drain(..) {
        w.wake();
    }
}

// rt_common.rs: yield_defers_until_park: yielding lets the other tasks run.
#[test]
fn yield_lets_other_tasks_run() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        rt.block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            gosched::go(async move { f.store(true, Ordering::SeqCst) });
            let start = Instant::now();
            while !flag.load(Ordering::SeqCst) {
                assert!(start.elapsed() < Duration::from_secs(10));
                gosched::yield_now().await;
            }
        })
        .unwrap();
    }
}

// rt_common.rs: spawn_blocking_from_blocking, spawn_blocking_started_before_shutdown_continues
#[test]
fn spawn_blocking_from_blocking_and_at_shutdown() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let out = rt
            .block_on(async {
                let inner = gosched::spawn_blocking(|| gosched::spawn_blocking(|| "hello"))
                    .await
                    .unwrap();
                inner.await.unwrap()
            })
            .unwrap();
        assert_eq!(out, "hello");
        // A job already running when the runtime drops runs to its end.
        let (started_tx, started_rx) = mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let h = rt.spawn(async move {
            gosched::spawn_blocking(move || {
                started_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(20));
                f.store(true, Ordering::SeqCst);
            })
            .await
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        drop(rt);
        // tokio's drop waits for the job; gosched's does not (the pool
        // thread is not joined), but the job is not cut short either.
        let start = Instant::now();
        while !finished.load(Ordering::SeqCst) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "job ran to its end"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        // The task awaiting it was cancelled by the shutdown, unless the
        // job ended (and the task with it) before the teardown reached it.
        match futures_block_on(h) {
            Ok(r) => r.unwrap(),
            Err(e) => assert!(e.is_cancelled()),
        }
    }
}

// task_blocking.rs: basic_blocking, block_in_place analogue (`blocking`):
// other tasks keep running while one blocks its thread through `blocking`.
#[test]
fn blocking_section_keeps_other_tasks_running() {
    let rt = rt(1);
    rt.block_on(async {
        let (tx, rx) = mpsc::channel::<()>();
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        let ticker = gosched::spawn(async move {
            for _ in 0..10 {
                c.fetch_add(1, Ordering::SeqCst);
                gosched::sleep(Duration::from_millis(1)).await;
            }
            tx.send(()).unwrap();
        });
        let got = gosched::blocking(|| rx.recv_timeout(Duration::from_secs(10)));
        assert_eq!(got, Ok(()));
        assert_eq!(counter.load(Ordering::SeqCst), 10);
        ticker.await.unwrap();
    })
    .unwrap();
}

// task_abort.rs: test_abort_without_panic_3157 / test_abort_wakes_task_3964:
// aborting a task parked on a timer drops its future and wakes the handle.
#[test]
fn abort_wakes_the_join_handle_and_drops_the_future() {
    for &procs in FLAVOURS {
        let rt = rt(procs);
        rt.block_on(async {
            let dropped = Arc::new(AtomicBool::new(false));
            let flag = DropFlag(dropped.clone());
            let h = gosched::spawn(async move {
                let _flag = flag;
                gosched::sleep(Duration::from_secs(3600)).await;
            });
            gosched::sleep(Duration::from_millis(2)).await;
            assert!(!h.is_finished());
            assert!(!dropped.load(Ordering::SeqCst));
            // Another task awaits the handle (parks on it); a plain thread
            // aborts it.
            let h = Arc::new(Mutex::new(h));
            let waiter = {
                let h = h.clone();
                gosched::spawn(std::future::poll_fn(move |cx| {
                    Pin::new(&mut *h.lock().unwrap()).poll(cx)
                }))
            };
            gosched::sleep(Duration::from_millis(2)).await;
            assert!(!waiter.is_finished());
            let aborter = {
                let h = h.clone();
                std::thread::spawn(move || h.lock().unwrap().abort())
            };
            let res = waiter.await.unwrap();
            aborter.join().unwrap();
            assert!(res.unwrap_err().is_cancelled());
            assert!(dropped.load(Ordering::SeqCst));
            assert!(h.lock().unwrap().is_finished());
        })
        .unwrap();
    }
}

// task_abort.rs: test_abort_task_that_panics_on_drop_contained
#[test]
fn abort_of_a_task_whose_drop_panics() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop panics");
        }
    }
    let rt = rt(1);
    rt.block_on(async {
        // Moved in: the future owns it whether or not it was polled yet.
        let p = PanicOnDrop;
        let h = gosched::spawn(async move {
            let _p = p;
            std::future::pending::<()>().await;
        });
        gosched::yield_now().await;
        h.abort();
        let err = h.await.unwrap_err();
        // The panic of the drop is what the handle reports (tokio: is_panic).
        assert!(err.is_panic());
        // The runtime is fine.
        assert_eq!(gosched::spawn(async { 1 }).await.unwrap(), 1);
    })
    .unwrap();
}

// rt_threaded.rs: many_oneshot_futures, many_multishot_futures
#[test]
fn many_multishot_futures() {
    const CHAIN: usize = if cfg!(miri) { 2 } else { 50 };
    const CYCLES: usize = if cfg!(miri) { 2 } else { 5 };
    const TRACKS: usize = if cfg!(miri) { 2 } else { 25 };
    let rt = rt(4);
    rt.block_on(async {
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        for _ in 0..TRACKS {
            let start = Chan::new(10);
            let mut prev = start.clone();
            for _ in 0..CHAIN {
                let next = Chan::new(10);
                let (rx, tx) = (prev.clone(), next.clone());
                gosched::go(async move {
                    while let Some(v) = rx.recv_async().await {
                        tx.send_async(v).await.unwrap();
                    }
                    tx.close().unwrap();
                });
                prev = next;
            }
            starts.push(start);
            ends.push(prev);
        }
        for cycle in 0..CYCLES {
            for s in &starts {
                s.send_async(cycle).await.unwrap();
            }
            for e in &ends {
                assert_eq!(e.recv_async().await, Some(cycle));
            }
        }
        for s in &starts {
            s.close().unwrap();
        }
        for e in &ends {
            assert_eq!(e.recv_async().await, None);
        }
    })
    .unwrap();
}

// rt_threaded.rs: spawn_shutdown (spawn on a runtime from a plain thread
// after the runtime is gone through a handle kept alive elsewhere is not
// expressible; here: spawning as the runtime drops loses nothing silently)
#[test]
fn spawn_racing_runtime_drop_reports_every_task() {
    const N: usize = if cfg!(miri) { 5 } else { 200 };
    let rt = Arc::new(rt(2));
    let rt2 = rt.clone();
    let spawner = std::thread::spawn(move || {
        (0..N)
            .map(|i| rt2.spawn(async move { i }))
            .collect::<Vec<_>>()
    });
    let hs = spawner.join().unwrap();
    drop(rt);
    // Each handle ends: with the value, or cancelled by the shutdown.
    for (i, h) in hs.into_iter().enumerate() {
        match futures_block_on(h) {
            Ok(v) => assert_eq!(v, i),
            Err(e) => assert!(e.is_cancelled()),
        }
    }
}

// rt_threaded.rs: wake_during_shutdown: tasks that wake each other in
// their Drop while the runtime drops them.
#[test]
fn wake_in_drop_during_shutdown() {
    struct WakeOnDrop(Arc<Mutex<Option<Waker>>>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            if let Some(w) = self.0.lock().unwrap().take() {
                w.wake();
            }
        }
    }
    let rt = rt(2);
    let a: Arc<Mutex<Option<Waker>>> = Arc::default();
    let b: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (tx, rx) = mpsc::channel();
    for (mine, other) in [(a.clone(), b.clone()), (b.clone(), a.clone())] {
        let tx = tx.clone();
        let _h = rt.spawn(async move {
            let _w = WakeOnDrop(other);
            let mut told = Some(tx);
            std::future::poll_fn(|cx| {
                *mine.lock().unwrap() = Some(cx.waker().clone());
                if let Some(tx) = told.take() {
                    tx.send(()).unwrap();
                }
                Poll::<()>::Pending
            })
            .await
        });
    }
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    drop(rt);
}

// rt_common.rs: ping_pong_saturation: many pairs exchange messages.
#[test]
fn ping_pong_saturation() {
    const PAIRS: usize = if cfg!(miri) { 2 } else { 100 };
    const ROUNDS: usize = if cfg!(miri) { 3 } else { 100 };
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let total = rt
            .block_on(async {
                let hs: Vec<_> = (0..PAIRS)
                    .map(|_| {
                        gosched::spawn(async {
                            let (ping, pong) = (Chan::new(0), Chan::new(0));
                            let (p, q) = (ping.clone(), pong.clone());
                            gosched::go(async move {
                                while let Some(v) = p.recv_async().await {
                                    q.send_async(v + 1).await.unwrap();
                                }
                            });
                            let mut v = 0usize;
                            for _ in 0..ROUNDS {
                                ping.send_async(v).await.unwrap();
                                v = pong.recv_async().await.unwrap();
                            }
                            ping.close().unwrap();
                            v
                        })
                    })
                    .collect();
                let mut total = 0;
                for h in hs {
                    total += h.await.unwrap();
                }
                total
            })
            .unwrap();
        assert_eq!(total, PAIRS * ROUNDS);
    }
}

// rt_common.rs: wake_by_ref_from_thread_local / wake_by_val: a waker woken
// from a thread-local's destructor as a thread exits.
#[test]
fn wake_from_thread_local_destructor() {
    struct TlWake(Option<Waker>);
    impl Drop for TlWake {
        fn drop(&mut self) {
            if let Some(w) = self.0.take() {
                w.wake();
            }
        }
    }
    thread_local! {
        static TL: std::cell::RefCell<TlWake> = const { std::cell::RefCell::new(TlWake(None)) };
    }
    let rt = rt(1);
    rt.block_on(async {
        let mut thread = None;
        std::future::poll_fn(|cx| {
            if thread.is_none() {
                let w = cx.waker().clone();
                thread = Some(std::thread::spawn(move || {
                    TL.with(|t| t.borrow_mut().0 = Some(w));
                }));
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        thread.unwrap().join().unwrap();
    })
    .unwrap();
}

/// Blocks a plain thread on a future (for handles outliving a runtime).
fn futures_block_on<F: Future>(f: F) -> F::Output {
    struct ThreadWake(std::thread::Thread);
    impl Wake for ThreadWake {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWake(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Poll::Ready(v) = Pin::as_mut(&mut f).poll(&mut cx) {
            return v;
        }
        assert!(Instant::now() < deadline, "future never completed");
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

// rt_basic.rs: drop_tasks_in_context: the futures the runtime's drop
// cancels are dropped in its context, so their `Drop` may use it: ask for
// the number of Ps, spawn (the new task is cancelled at once, as the
// runtime is shutting down), start a blocking job (cancelled too).
#[test]
fn tasks_are_dropped_in_the_runtime_context() {
    struct UseRuntimeOnDrop(mpsc::Sender<(usize, bool, bool)>);
    impl Drop for UseRuntimeOnDrop {
        fn drop(&mut self) {
            let procs = gosched::gomaxprocs();
            let h = gosched::spawn(async { 1 });
            let spawned = futures_block_on(h).unwrap_err().is_cancelled();
            let job = gosched::spawn_blocking(|| 2);
            let blocking = futures_block_on(job).unwrap_err().is_cancelled();
            gosched::go(async {});
            self.0.send((procs, spawned, blocking)).unwrap();
        }
    }
    for &procs in FLAVOURS {
        // Inside another runtime's task too: that context comes back.
        let outer = rt(3);
        let seen = outer
            .block_on(async move {
                let rt = rt(procs);
                let (tx, rx) = mpsc::channel();
                let guard = UseRuntimeOnDrop(tx);
                let (polled_tx, polled_rx) = mpsc::channel();
                let _h = rt.spawn(async move {
                    let _guard = guard;
                    polled_tx.send(()).unwrap();
                    std::future::pending::<()>().await;
                });
                polled_rx.recv_timeout(Duration::from_secs(10)).unwrap();
                drop(rt);
                let seen = rx.recv_timeout(Duration::from_secs(10)).unwrap();
                assert_eq!(gosched::gomaxprocs(), 3, "the outer context is back");
                seen
            })
            .unwrap();
        assert_eq!(seen, (procs, true, true));
        // From a plain thread, which has no context afterwards.
        let rt = rt(procs);
        let (tx, rx) = mpsc::channel();
        let guard = UseRuntimeOnDrop(tx);
        let _h = rt.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        drop(rt);
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)).unwrap(),
            (procs, true, true)
        );
        assert_eq!(gosched::num_goroutine(), 0, "no context left behind");
    }
}

// time_timeout.rs: simultaneous_deadline_future_completion,
// completed_future_past_deadline, deadline_now_elapses,
// future_and_timeout_in_future, very_large_timeout.
#[test]
fn timeouts() {
    let rt = rt(1);
    rt.block_on(async {
        // A ready future wins over a zero timeout (the future is polled
        // first).
        assert_eq!(gosched::timeout(Duration::ZERO, async { 5 }).await, Ok(5));
        // A zero timeout of a pending future elapses at once.
        let start = Instant::now();
        let r = gosched::timeout(Duration::ZERO, std::future::pending::<()>()).await;
        assert_eq!(r, Err(gosched::Elapsed));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(gosched::Elapsed.to_string(), "deadline has elapsed");
        // A future that finishes before a future deadline.
        let r = gosched::timeout(Duration::from_secs(60), async {
            gosched::sleep(Duration::from_millis(2)).await;
            "done"
        })
        .await;
        assert_eq!(r, Ok("done"));
        // A very large timeout does not overflow.
        let r = gosched::timeout(Duration::MAX, async {
            gosched::yield_now().await;
            1
        })
        .await;
        assert_eq!(r, Ok(1));
        // A timeout that elapses drops the future right then.
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let r = gosched::timeout(Duration::from_millis(5), async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        })
        .await;
        assert!(r.is_err());
        assert!(dropped.load(Ordering::SeqCst));
    })
    .unwrap();
}

// time_sleep.rs / rt_common.rs: a sleep polled outside any runtime panics
// (tokio: "there is no reactor running").
#[test]
fn sleep_outside_a_runtime_panics() {
    let r = std::panic::catch_unwind(|| futures_block_on(gosched::sleep(Duration::from_secs(10))));
    assert!(r.is_err());
    // Creating one is fine; only polling needs a runtime.
    let s = gosched::sleep(Duration::from_secs(1));
    drop(s);
}

// rt_threaded.rs / rt_common.rs: block_on from several threads at once on
// one runtime, each spawning and awaiting its own tasks.
#[test]
fn block_on_from_several_threads() {
    const TASKS: usize = if cfg!(miri) { 5 } else { 100 };
    let rt = Arc::new(rt(2));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let rt = rt.clone();
            std::thread::spawn(move || {
                rt.block_on(async move {
                    let hs: Vec<_> = (0..TASKS)
                        .map(|j| gosched::spawn(async move { i * 1000 + j }))
                        .collect();
                    let mut sum = 0;
                    for h in hs {
                        sum += h.await.unwrap();
                        gosched::yield_now().await;
                    }
                    sum
                })
                .unwrap()
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        let want: usize = (0..TASKS).map(|j| i * 1000 + j).sum();
        assert_eq!(t.join().unwrap(), want);
    }
}

// tokio time_timeout.rs / tokio::time::error: `Elapsed` converts into an
// `io::Error` of kind `TimedOut`, so `?` works in I/O code.
#[test]
fn elapsed_converts_into_a_timed_out_io_error() {
    let rt = rt(1);
    let r: std::io::Result<()> = rt
        .block_on(async {
            gosched::timeout(Duration::from_millis(1), std::future::pending::<()>()).await?;
            Ok(())
        })
        .unwrap();
    let e = r.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(e.to_string(), "deadline has elapsed");
}

// rt_threaded.rs: lifo_slot_budget: an endless chain of tasks, each
// spawning the next into `runnext`, does not keep the main future from
// completing once the task that spawned the chain has woken it.
#[test]
fn endless_runnext_chain_does_not_starve_the_main_future() {
    fn spawn_another() {
        gosched::go(async { spawn_another() });
    }
    for &procs in FLAVOURS {
        let rt = rt(procs);
        let rx = Chan::new(1);
        let tx = rx.clone();
        let _h = rt.spawn(async move {
            spawn_another();
            tx.send_async(()).await.unwrap();
        });
        let start = Instant::now();
        assert_eq!(rt.block_on(rx.recv_async()).unwrap(), Some(()));
        assert!(start.elapsed() < Duration::from_secs(10));
        // Dropping the runtime ends the chain.
        drop(rt);
    }
}
