//! The public API: join handles, panics and aborts (with drop counting),
//! shutdown, deadlock detection, the task dump, the leak check, timers,
//! blocking pools, builder errors.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use common::tracked;
use gochan::Chan;
use gocore::wait::WaitReason;
use gosched::stats::TaskState;
use gosched::Runtime;

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

#[test]
fn panicking_task_reports_through_handle_and_worker_survives() {
    let rt = rt(1);
    let v = rt
        .block_on(async {
            let e = gosched::spawn(async { panic!("boom {}", 1) })
                .await
                .unwrap_err();
            assert!(e.is_panic());
            assert_eq!(e.to_string(), "task panicked: boom 1");
            gosched::go(async { panic!("fire and forget") });
            gosched::yield_now().await;
            // The worker still runs tasks.
            gosched::spawn(async { 5 }).await.unwrap()
        })
        .unwrap();
    assert_eq!(v, 5);
    gosched::leak::verify_none(&rt);
}

/// `JoinError` is `Send + Sync`, so `?` turns it into a
/// `Box<dyn Error + Send + Sync>` (and into anyhow's error, which needs
/// both); it was only `Send` (its panic payload is not `Sync`). Its text
/// and payload are unchanged.
#[test]
fn join_errors_are_send_and_sync_errors() {
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    fn send_sync<T: Send + Sync>(_: &T) {}
    async fn join(h: gosched::JoinHandle<u8>) -> Result<u8, BoxError> {
        Ok(h.await?)
    }
    let rt = rt(1);
    let (boxed, payload) = rt
        .block_on(async {
            let boxed = join(gosched::spawn(async { panic!("boom {}", 2) }))
                .await
                .unwrap_err();
            let e = gosched::spawn(async { std::panic::panic_any(7u8) })
                .await
                .unwrap_err();
            send_sync(&e);
            assert_eq!(e.to_string(), "task panicked");
            (boxed, e.into_panic())
        })
        .unwrap();
    assert_eq!(boxed.to_string(), "task panicked: boom 2");
    assert_eq!(payload.downcast_ref::<u8>(), Some(&7));
    let e = std::thread::scope(|s| s.spawn(|| boxed.to_string()).join().unwrap());
    assert_eq!(e, "task panicked: boom 2");
}

#[test]
fn abort_drops_parked_future_once() {
    let rt = rt(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let t = tracked(&drops, false);
    rt.block_on(async move {
        let h = gosched::spawn(async move {
            let _t = t;
            std::future::pending::<()>().await
        });
        gosched::yield_now().await; // let it park
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    })
    .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn abort_after_finish_keeps_result() {
    let rt = rt(1);
    rt.block_on(async {
        let h = gosched::spawn(async { 9 });
        while !h.is_finished() {
            gosched::yield_now().await;
        }
        h.abort();
        assert_eq!(h.await.unwrap(), 9);
    })
    .unwrap();
}

/// `is_finished` says whether the task is done, not whether a result is
/// still waiting in the handle: it stays true once a poll of the handle
/// returned the result (it read false after that, as if the task ran
/// again), for a task and for a blocking job alike.
#[test]
fn is_finished_stays_true_after_the_result_was_taken() {
    let rt = rt(1);
    rt.block_on(async {
        let mut h = gosched::spawn(async { 3 });
        assert_eq!((&mut h).await.unwrap(), 3);
        assert!(h.is_finished());
        let mut b = gosched::spawn_blocking(|| 4);
        assert_eq!((&mut b).await.unwrap(), 4);
        assert!(b.is_finished());
        let mut a = gosched::spawn(std::future::pending::<()>());
        a.abort();
        assert!((&mut a).await.unwrap_err().is_cancelled());
        assert!(a.is_finished());
    })
    .unwrap();
}

#[test]
fn panicking_drop_of_aborted_future_is_reported() {
    let rt = rt(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let t = tracked(&drops, true);
    rt.block_on(async move {
        let h = gosched::spawn(async move {
            let _t = t;
            std::future::pending::<()>().await
        });
        gosched::yield_now().await;
        h.abort();
        assert!(h.await.unwrap_err().is_panic());
        // The worker is fine.
        assert_eq!(gosched::spawn(async { 1 }).await.unwrap(), 1);
    })
    .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn unread_result_dropped_once_with_handle() {
    let rt = rt(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rt.block_on(async move {
        let d2 = d.clone();
        let h = gosched::spawn(async move { tracked(&d2, false) });
        while !h.is_finished() {
            gosched::yield_now().await;
        }
        assert_eq!(d.load(Ordering::SeqCst), 0);
        drop(h);
    })
    .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn read_result_dropped_once_and_handle_not_polled_again() {
    let rt = rt(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let repoll = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async move {
            let d2 = d.clone();
            let mut h = gosched::spawn(async move { tracked(&d2, false) });
            let t = (&mut h).await.unwrap();
            assert_eq!(d.load(Ordering::SeqCst), 0);
            drop(t);
            assert_eq!(d.load(Ordering::SeqCst), 1);
            // The result is gone: a second poll is a bug, reported at once.
            let _ = (&mut h).await;
        })
    }));
    let payload = repoll.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>().copied(),
        Some("gosched: JoinHandle polled after it returned its result")
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // The runtime still runs tasks, and none is left behind.
    assert_eq!(
        rt.block_on(async { gosched::spawn(async { 3 }).await.unwrap() }),
        Ok(3)
    );
    gosched::leak::verify_none(&rt);
}

#[test]
fn shutdown_drops_unfinished_tasks_once_even_if_drop_panics() {
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let rt = rt(2);
        for i in 0..10 {
            let t = tracked(&drops, i % 3 == 0);
            drop(rt.spawn(async move {
                let _t = t;
                std::future::pending::<()>().await
            }));
        }
        rt.block_on(gosched::sleep(Duration::from_millis(5)))
            .unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 10);
}

#[test]
fn deadlock_cases() {
    let rt = rt(2);
    // Tasks awaiting each other's handles around a pending task.
    let r = rt.block_on(async {
        let inner = gosched::spawn(std::future::pending::<()>());
        let outer = gosched::spawn(async move { inner.await.unwrap() });
        outer.await.unwrap();
    });
    assert_eq!(r.unwrap_err().to_string(), gosched::DEADLOCK_MESSAGE);
    // A pending timer can wake: not a deadlock.
    assert!(rt
        .block_on(gosched::sleep(Duration::from_millis(20)))
        .is_ok());
    // A waker held by another thread can wake: not a deadlock.
    let c: Chan<u32> = Chan::new(0);
    let tx = c.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        tx.send(7).unwrap();
    });
    assert_eq!(
        rt.block_on(async { c.recv_async().await }).unwrap(),
        Some(7)
    );
    t.join().unwrap();
}

/// A handle of another runtime's task is a waker held outside: awaiting
/// one, from `block_on` or from a task, is not a deadlock while the other
/// runtime still runs that task, even with every P of this runtime idle
/// (T2 in `task.rs` counts a waker stored in a join slot as inside only
/// for a slot of its own runtime).
#[test]
fn awaiting_another_runtimes_task_is_not_a_deadlock() {
    let other = rt(1);
    let rt = rt(2);
    // From block_on.
    let v = rt.block_on(other.spawn(async {
        gosched::sleep(Duration::from_millis(20)).await;
        1
    }));
    assert_eq!(v.unwrap().unwrap(), 1);
    // From a task the main future awaits (its handle is of this runtime).
    let h = other.spawn(async {
        gosched::sleep(Duration::from_millis(20)).await;
        2
    });
    let v = rt.block_on(async move {
        gosched::spawn(async move { h.await.unwrap() })
            .await
            .unwrap()
    });
    assert_eq!(v.unwrap(), 2);
    // Around it, this runtime's own deadlocks are still found.
    let r = rt.block_on(async {
        let inner = gosched::spawn(std::future::pending::<()>());
        inner.await.unwrap();
    });
    assert_eq!(r.unwrap_err().to_string(), gosched::DEADLOCK_MESSAGE);
}

/// A task that yielded waits in a queue with its state left RUNNING (T7 in
/// `task.rs`): the dump still shows it runnable (Go's `runnable` after
/// `Gosched`), and the task polled meanwhile running.
#[test]
fn dump_shows_a_yielded_task_as_runnable() {
    let rt = Arc::new(Runtime::builder().procs(1).build().unwrap());
    let yields = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicUsize::new(0));
    let (y, s) = (yields.clone(), stop.clone());
    let yielder = rt.spawn(async move {
        while s.load(Ordering::Acquire) == 0 {
            y.fetch_add(1, Ordering::AcqRel);
            gosched::yield_now().await;
        }
    });
    let yielder_id = yielder.id().unwrap();
    let rt2 = rt.clone();
    let observer = rt.spawn(async move {
        // One P: while this runs, the yielder waits in a queue.
        while yields.load(Ordering::Acquire) == 0 {
            gosched::yield_now().await;
        }
        let d = rt2.dump();
        stop.store(1, Ordering::Release);
        let state_of = |id| d.tasks.iter().find(|t| t.id == id).map(|t| t.state);
        (state_of(yielder_id), d.to_string())
    });
    let observer_id = observer.id().unwrap();
    let (yielder_state, text) = rt
        .block_on(async move {
            yielder.await.unwrap();
            observer.await.unwrap()
        })
        .unwrap();
    assert_eq!(yielder_state, Some(TaskState::Runnable), "{text}");
    assert!(
        text.contains(&format!("goroutine {observer_id} [running]")),
        "{text}"
    );
}

#[test]
fn dump_shows_wait_reasons_and_spawn_site() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let rx: Chan<u32> = Chan::new(0);
    // gochan's futures say why they wait (through gocore::wait), with no glue.
    let line = line!() + 1;
    let h1 = rt.spawn(async move { rx.recv_async().await });
    let h2 = rt.spawn(gosched::sleep(Duration::from_secs(60)));
    let h3 = rt.spawn(std::future::pending::<()>());
    let (a, b): (Chan<u32>, Chan<u32>) = (Chan::new(0), Chan::new(0));
    let h4 = rt.spawn(async move {
        gochan::select_async! {
            recv(a) -> _ => {},
            recv(b) -> _ => {},
        }
    });
    // Let them all park.
    let t = Instant::now();
    loop {
        rt.block_on(gosched::sleep(Duration::from_millis(1)))
            .unwrap();
        let d = rt.dump();
        if d.tasks
            .iter()
            .all(|t| matches!(t.state, TaskState::Waiting(_)))
        {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "{d}");
    }
    let d = rt.dump();
    let states: Vec<TaskState> = d.tasks.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [
            TaskState::Waiting(Some(WaitReason::ChanReceive)),
            TaskState::Waiting(Some(WaitReason::Sleep)),
            TaskState::Waiting(None),
            TaskState::Waiting(Some(WaitReason::Select)),
        ]
    );
    assert_eq!(d.tasks[0].spawned_at.line(), line);
    assert_eq!(d.tasks[0].spawned_at.file(), file!());
    let text = d.to_string();
    assert!(
        text.contains(&format!(
            "goroutine {} [chan receive]:\ncreated by {}:{}",
            h1.id().unwrap(),
            file!(),
            line
        )),
        "{text}"
    );
    assert!(text.contains("[sleep]"), "{text}");
    assert!(text.contains("[waiting]"), "{text}");
    assert!(text.contains("[select]"), "{text}");
    let leak = gosched::leak::check_within(&rt, Duration::from_millis(5)).unwrap_err();
    assert_eq!(leak.dump.tasks.len(), 4);
    assert!(leak
        .to_string()
        .starts_with("found unexpected tasks (4 alive):"));
    h1.abort();
    h2.abort();
    h3.abort();
    h4.abort();
    rt.block_on(async move {
        assert!(h1.await.unwrap_err().is_cancelled());
        assert!(h2.await.unwrap_err().is_cancelled());
        assert!(h3.await.unwrap_err().is_cancelled());
    })
    .unwrap();
    gosched::leak::verify_none(&rt);
}

/// Durations too long to add to `Instant::now()` wait for ever, as Go's
/// timers saturate at their largest `when`, instead of panicking; a
/// deadline past the timer heap's 584 years does not wrap into an early
/// one.
#[test]
fn huge_durations_wait_for_ever_without_panicking() {
    let rt = rt(1);
    rt.block_on(async {
        assert_eq!(gosched::timeout(Duration::MAX, async { 7 }).await, Ok(7));
        let forever = gosched::sleep(Duration::MAX);
        assert!(forever.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
        let r = gosched::timeout(Duration::from_millis(5), forever).await;
        assert_eq!(r, Err(gosched::Elapsed));
        let mut never = gosched::interval(Duration::MAX);
        let r = gosched::timeout(Duration::from_millis(5), never.tick()).await;
        assert_eq!(r, Err(gosched::Elapsed));
        assert_eq!(never.period(), Duration::MAX);
        // 700 years out, where the clock can show it: nanoseconds beyond
        // u64 must not wrap into a deadline that has passed.
        if let Some(far) = Instant::now().checked_add(Duration::from_secs(700 * 365 * 86_400)) {
            let r = gosched::timeout(Duration::from_millis(5), gosched::sleep_until(far)).await;
            assert_eq!(r, Err(gosched::Elapsed));
        }
    })
    .unwrap();
    assert!(gosched::leak::check_within(&rt, Duration::MAX).is_ok());
}

/// Counts its wakes.
struct WakeCount(AtomicUsize);

impl std::task::Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Inside a task's poll: polls a 5 ms [`gosched::sleep`] once, with a
/// waker of its own (so its wake is seen even while the task never
/// yields), then keeps the P, blocking this thread until the sleep's timer
/// has fired or 10 s have passed. Returns how often it was woken.
fn keep_the_p_until_a_sleep_fires() -> usize {
    let wakes = Arc::new(WakeCount(AtomicUsize::new(0)));
    let waker = std::task::Waker::from(wakes.clone());
    let mut sleep = std::pin::pin!(gosched::sleep(Duration::from_millis(5)));
    assert!(sleep
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    let until = Instant::now() + Duration::from_secs(10);
    while wakes.0.load(Ordering::SeqCst) == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
    wakes.0.load(Ordering::SeqCst)
}

/// A timer added by a task whose P then stays in one long poll fires on
/// time, by another M (Go: `addtimer`'s `wakeNetPoller` starts an M that
/// sleeps until the earliest timer): the idle M had parked without a
/// deadline and slept through it, so the timer waited until sysmon took
/// the busy P (here never: `retake_after` is an hour).
#[test]
#[cfg_attr(miri, ignore)] // real time: a poll waits for a timer
fn a_timer_on_a_busy_p_fires_by_an_idle_m() {
    let rt = Arc::new(
        Runtime::builder()
            .procs(2)
            .retake_after(Duration::from_secs(3600))
            .time_slice(Duration::from_secs(3600))
            .build()
            .unwrap(),
    );
    let rt2 = rt.clone();
    let fired = rt
        .block_on(async move {
            gosched::spawn(async move {
                // Let the other P go idle and its M (or this runtime's
                // block_on thread) go to sleep, with no timer to wake for.
                let until = Instant::now() + Duration::from_secs(10);
                while Instant::now() < until {
                    let s = rt2.stats();
                    if s.idle_procs == 1 && s.spinning_threads == 0 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(Duration::from_millis(20));
                keep_the_p_until_a_sleep_fires()
            })
            .await
            .unwrap()
        })
        .unwrap();
    assert_eq!(fired, 1, "the timer did not fire while its P was busy");
}

/// With every P busy, an idle M whose earliest timer is due fires it
/// anyway (its task goes to the global queue, as a wake from a thread
/// without a P does), instead of waking again at once for a timer it
/// cannot run: it woke with a zero timeout, found no idle P, and slept
/// zero again, burning a core until the P was free, and the timer (here
/// with a foreign waker) never fired. One P, held by one long poll;
/// `retake_after` an hour, so sysmon does not take it.
#[test]
#[cfg_attr(miri, ignore)] // real time: a poll waits for a timer
fn a_due_timer_with_every_p_busy_fires_without_a_p() {
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_secs(3600))
        .time_slice(Duration::from_secs(3600))
        .record_events(true)
        .build()
        .unwrap();
    let (fired, stops) = rt
        .block_on(async {
            // A blocking call hands the P to a second M; after it, one M
            // is idle without a P.
            gosched::spawn(async {
                gosched::blocking(|| std::thread::sleep(Duration::from_millis(20)))
            })
            .await
            .unwrap();
            gosched::spawn(async {
                let wakes = keep_the_p_until_a_sleep_fires();
                // Stay a while with the timer fired: an M that still woke
                // for it would go through `stopm` again and again.
                std::thread::sleep(Duration::from_millis(100));
                wakes
            })
            .await
            .unwrap()
        })
        .map(|fired| {
            let stops = rt
                .take_events()
                .iter()
                .filter(|e| matches!(e, gosched::Event::StopM))
                .count();
            (fired, stops)
        })
        .unwrap();
    assert_eq!(
        fired, 1,
        "the due timer did not fire while the only P was busy"
    );
    // A few parks (the M started for the timer, its wake when it is due);
    // before, thousands in the 100 ms.
    assert!(stops < 50, "{stops} StopM events: the idle M spun");
}

#[test]
#[cfg_attr(miri, ignore)] // timing: Miri's clock runs far behind its work
fn timeout_and_interval() {
    let rt = rt(1);
    rt.block_on(async {
        assert_eq!(
            gosched::timeout(Duration::from_secs(5), async { 3 }).await,
            Ok(3)
        );
        let t = Instant::now();
        let r = gosched::timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
        assert_eq!(r, Err(gosched::Elapsed));
        assert!(t.elapsed() >= Duration::from_millis(10));

        let period = Duration::from_millis(5);
        let mut tick = gosched::interval(period);
        let start = Instant::now();
        let first = tick.tick().await;
        assert!(first >= start && Instant::now() >= first);
        // Fall three periods behind: the next tick skips the missed ones.
        // (On a loaded machine the first tick may itself be late and skip
        // some: every assertion holds for any lateness.)
        std::thread::sleep(period * 3 + Duration::from_millis(1));
        let behind = Instant::now();
        let late = tick.tick().await;
        assert!(
            late > first && late < behind,
            "the late tick was already due: {:?} after the first",
            late - first
        );
        assert_eq!((late - first).as_nanos() % period.as_nanos(), 0);
        let next = tick.tick().await;
        assert!(
            next > behind,
            "missed periods skipped: {:?} after the first",
            next - first
        );
        assert_eq!((next - first).as_nanos() % period.as_nanos(), 0);
    })
    .unwrap();
}

#[test]
fn spawn_blocking_results_panics_and_abort() {
    let rt = rt(1);
    rt.block_on(async {
        assert_eq!(gosched::spawn_blocking(|| 2 + 2).await.unwrap(), 4);
        let e = gosched::spawn_blocking(|| panic!("in pool"))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "task panicked: in pool");
        // Many jobs at once.
        let hs: Vec<_> = (0..20)
            .map(|i| gosched::spawn_blocking(move || i))
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        assert_eq!(sum, 190);
        // Spawning from a blocking job.
        let inner = gosched::spawn_blocking(|| gosched::spawn(async { 11 }))
            .await
            .unwrap();
        assert_eq!(inner.await.unwrap(), 11);
    })
    .unwrap();
}

/// A `spawn_blocking` job that never runs, because its runtime shut down
/// first, completes its handle as cancelled (the handle waited for ever:
/// nothing completed its result slot). Here the job
/// is submitted by a blocking job that outlives the runtime's teardown
/// (the pool's threads are not joined); a job still queued at the
/// teardown goes the same way.
#[test]
#[cfg_attr(miri, ignore)] // a pool thread outlives the runtime and the test
fn a_blocking_job_that_never_runs_reports_cancellation() {
    let rt = rt(1);
    let (resume, wait) = std::sync::mpsc::channel::<()>();
    let (started, running) = std::sync::mpsc::channel::<()>();
    // The handle is awaited after the runtime is gone, outside it.
    #[allow(clippy::async_yields_async)]
    let outer = rt
        .block_on(async move {
            gosched::spawn_blocking(move || {
                started.send(()).unwrap();
                wait.recv().unwrap();
                // The runtime is gone: this job is dropped, not run.
                let mut late = gosched::spawn_blocking(|| 5);
                let mut cx = Context::from_waker(std::task::Waker::noop());
                let polled = Pin::new(&mut late).poll(&mut cx);
                (
                    polled.map(|r| r.map_err(|e| e.is_cancelled())),
                    late.is_finished(),
                )
            })
        })
        .unwrap();
    // Still queued at the teardown, the job itself would be dropped.
    running.recv().unwrap();
    drop(rt);
    resume.send(()).unwrap();
    let (polled, finished) = gocore::park::block_on(outer).unwrap();
    assert_eq!(polled, Poll::Ready(Err(true)));
    assert!(finished);
}

#[test]
fn blocking_outside_a_worker_just_runs() {
    assert_eq!(gosched::blocking(|| 8), 8);
}

#[test]
fn procs_and_goroutine_counts() {
    let rt = rt(3);
    assert_eq!(rt.gomaxprocs(), 3);
    rt.block_on(async {
        assert_eq!(gosched::gomaxprocs(), 3);
        assert_eq!(gosched::num_goroutine(), 1);
        let h = gosched::spawn(std::future::pending::<()>());
        assert_eq!(gosched::num_goroutine(), 2);
        h.abort();
        let _ = h.await;
    })
    .unwrap();
    assert_eq!(gosched::num_goroutine(), 0, "outside a runtime");
}

#[test]
fn builder_rejects_bad_settings() {
    let e = Runtime::builder().procs(0).build().unwrap_err();
    assert_eq!(e.to_string(), "gosched: procs must be at least 1");
    let e = Runtime::builder().ring_capacity(6).build().unwrap_err();
    assert!(e.to_string().contains("power of two"), "{e}");
    // A count no machine has is an error, not an allocation that aborts.
    for procs in [gosched::MAX_PROCS + 1, 1 << 20, usize::MAX] {
        let e = Runtime::builder().procs(procs).build().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("gosched: procs must be at most 65536, got {procs}")
        );
    }
    #[cfg(target_pointer_width = "32")]
    {
        let e = Runtime::builder()
            .ring_capacity(1 << 30)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("address space"), "{e}");
    }
}

/// A `spawn_blocking` job runs no task, so it may block in `block_on`, of
/// its own runtime or another (tokio's `Handle::block_on` is allowed there
/// too); afterwards the job's context is back, and `spawn` in the job
/// still goes to its runtime. It panicked as if called from a task.
#[test]
fn block_on_inside_a_blocking_job() {
    let rt = Arc::new(rt(1));
    let other = self::rt(1);
    let same = rt.clone();
    let (a, b, c) = rt
        .block_on(async move {
            let (a, b, c) = gosched::spawn_blocking(move || {
                let a = same
                    .block_on(async { gosched::spawn(async { 1 }).await.unwrap() })
                    .unwrap();
                let b = other.block_on(async { gosched::num_goroutine() }).unwrap();
                (a, b, gosched::spawn(async { 3 }))
            })
            .await
            .unwrap();
            (a, b, c.await.unwrap())
        })
        .unwrap();
    assert_eq!((a, b, c), (1, 1, 3));
}

#[test]
#[should_panic(expected = "block_on called from a thread")]
fn nested_block_on_panics() {
    let outer = rt(1);
    let inner = rt(1);
    let _ = outer.block_on(async { inner.block_on(async {}) });
}

#[test]
#[should_panic(expected = "called outside a gosched runtime")]
fn spawn_outside_runtime_panics() {
    drop(gosched::spawn(async {}));
}

#[test]
fn main_future_panic_leaves_runtime_usable() {
    let rt = rt(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            gosched::yield_now().await;
            panic!("main panics")
        })
    }));
    assert!(r.is_err());
    assert_eq!(
        rt.block_on(async { gosched::spawn(async { 4 }).await.unwrap() }),
        Ok(4)
    );
    // The P comes back to the idle list (a worker may still be leaving it).
    let t = Instant::now();
    while rt.stats().idle_procs != 1 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "P never idle: {}",
            rt.stats()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A future that wakes itself during its poll `n` times (a self-wake is
/// polled again later, not lost).
struct SelfWake(usize);
impl Future for SelfWake {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn self_wake_is_polled_again() {
    let rt = rt(2);
    rt.block_on(async {
        let hs: Vec<_> = (0..20).map(|_| gosched::spawn(SelfWake(50))).collect();
        for h in hs {
            h.await.unwrap();
        }
    })
    .unwrap();
}

#[test]
fn stats_display_is_go_schedtrace() {
    let rt = rt(2);
    let s = rt.stats();
    let text = s.to_string();
    assert!(text.starts_with("SCHED "), "{text}");
    assert!(
        text.ends_with("ms: gomaxprocs=2 idleprocs=2 threads=0 spinningthreads=0 idlethreads=0 runqueue=0 [0 0]"),
        "{text}"
    );
}

#[test]
fn wakers_from_other_threads_go_through_global_queue() {
    let rt = rt(2);
    let c: Chan<usize> = Chan::new(0);
    let tx = c.clone();
    let t = std::thread::spawn(move || {
        for i in 0..200 {
            tx.send(i).unwrap();
        }
        tx.close().unwrap();
    });
    let sum = rt
        .block_on(async move {
            let h = gosched::spawn(async move {
                let mut sum = 0;
                while let Some(v) = c.recv_async().await {
                    sum += v;
                }
                sum
            });
            h.await.unwrap()
        })
        .unwrap();
    t.join().unwrap();
    assert_eq!(sum, 199 * 200 / 2);
}

/// A waker whose `wake` panics: user code the runtime calls from its own
/// threads (timers firing, a blocking job completing).
fn panicking_waker() -> std::task::Waker {
    struct Boom;
    impl std::task::Wake for Boom {
        fn wake(self: Arc<Self>) {
            panic!("foreign waker panics");
        }
    }
    std::task::Waker::from(Arc::new(Boom))
}

#[test]
fn panicking_foreign_waker_does_not_kill_a_worker() {
    let rt = rt(1);
    rt.block_on(async {
        gosched::spawn(async {
            // A sleep polled with a foreign waker that panics when the
            // timer fires on the scheduler.
            let mut s = Box::pin(gosched::sleep(Duration::from_millis(30)));
            let w = panicking_waker();
            assert!(s.as_mut().poll(&mut Context::from_waker(&w)).is_pending());
            // A blocking job whose handle is polled with the same waker
            // (the job waits for the poll, so the poll finds it unfinished).
            let (release, wait) = std::sync::mpsc::channel::<()>();
            let mut h = Box::pin(gosched::spawn_blocking(move || wait.recv().ok()));
            assert!(h.as_mut().poll(&mut Context::from_waker(&w)).is_pending());
            release.send(()).unwrap();
            // Both fire while this task sleeps on its own timer.
            gosched::sleep(Duration::from_millis(60)).await;
            let t = Instant::now();
            while !h.is_finished() {
                assert!(
                    t.elapsed() < Duration::from_secs(20),
                    "blocking job never finished"
                );
                gosched::sleep(Duration::from_millis(5)).await;
            }
            drop((s, h));
        })
        .await
        .unwrap();
        // The worker and the pool still work.
        assert_eq!(gosched::spawn(async { 1 }).await.unwrap(), 1);
        assert_eq!(gosched::spawn_blocking(|| 2).await.unwrap(), 2);
    })
    .unwrap();
}

/// Go's gfput/gfget: finished tasks' allocations are kept per P (at most
/// 64) and reused by later spawns; a task still referenced (a live handle)
/// is never reused.
#[test]
fn finished_task_allocations_are_reused() {
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..100 {
            gosched::go(async {});
        }
        // The main future parks; this thread's P runs the 100 tasks.
        let t = Instant::now();
        while rt.stats().tasks > 0 {
            assert!(t.elapsed() < Duration::from_secs(20), "{}", rt.stats());
            gosched::sleep(Duration::from_millis(5)).await;
        }
        let free = rt.stats().procs[0].free_tasks;
        assert!(free > 0 && free <= gosched::GFREE_MAX, "free {free}");
        // Reused allocations behave as new tasks.
        let hs: Vec<_> = (0..10).map(|i| gosched::spawn(async move { i })).collect();
        let ids: Vec<u64> = hs.iter().map(|h| h.id().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
        for (i, h) in hs.into_iter().enumerate() {
            assert_eq!(h.await.unwrap(), i);
        }
    })
    .unwrap();
    gosched::leak::verify_none(&rt);
}

/// Go's `allgs`: finished tasks waiting on a free list stay in the
/// registry, dead. They are not counted, dumped or reported as leaks, do
/// not hide a deadlock, and a reused one shows its new id and spawn site.
#[test]
fn dead_tasks_on_free_lists_are_invisible() {
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    // More than the global free list keeps: it drops some (they leave the
    // registry).
    let n = if cfg!(miri) {
        10
    } else {
        gosched::GFREE_GLOBAL_PER_P + 4 * gosched::GFREE_MAX
    };
    rt.block_on(async {
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..n {
            let done = done.clone();
            gosched::go(async move {
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        // Each yield of the main future lets the queued tasks run.
        while done.load(Ordering::SeqCst) < n {
            gosched::yield_now().await;
        }
        // No handle held them: their allocations wait on the free list.
        assert!(rt.stats().procs[0].free_tasks > 0, "{}", rt.stats());
        assert_eq!(gosched::num_goroutine(), 1);
        assert_eq!(rt.stats().tasks, 0);
        assert!(rt.dump().tasks.is_empty(), "{}", rt.dump());
        // A reused allocation is a new task, with its own id and site.
        let free = rt.stats().procs[0].free_tasks;
        let line = line!() + 1;
        let h = gosched::spawn(async { 7 });
        assert_eq!(rt.stats().procs[0].free_tasks, free - 1);
        let dump = rt.dump();
        assert_eq!(dump.tasks.len(), 1, "{dump}");
        assert_eq!(Some(dump.tasks[0].id), h.id());
        assert_eq!(dump.tasks[0].spawned_at.line(), line);
        assert_eq!(gosched::num_goroutine(), 2);
        assert_eq!(h.await.unwrap(), 7);
    })
    .unwrap();
    gosched::leak::verify_none(&rt);
    // Only dead tasks in the registry: parking for good is a deadlock.
    assert!(rt.block_on(std::future::pending::<()>()).is_err());
}

/// `yield_now` polled with a waker other than its task's own (a
/// combinator's, forwarding to the task's) wakes through it, and the task
/// resumes; polled with its own waker inside a future that then finishes,
/// the task just finishes.
#[test]
fn yield_now_under_a_foreign_waker_or_a_finished_combinator() {
    struct Forward(std::task::Waker, AtomicUsize);
    impl std::task::Wake for Forward {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.wake_by_ref();
        }
    }
    /// Polls `inner` with a waker forwarding to the task's.
    struct UnderForward<F>(Pin<Box<F>>, Option<Arc<Forward>>);
    impl<F: Future> Future for UnderForward<F> {
        type Output = (F::Output, usize);
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let fwd = self
                .1
                .get_or_insert_with(|| Arc::new(Forward(cx.waker().clone(), AtomicUsize::new(0))))
                .clone();
            let waker = std::task::Waker::from(fwd.clone());
            match self.0.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Ready(v) => Poll::Ready((v, fwd.1.load(Ordering::SeqCst))),
                Poll::Pending => Poll::Pending,
            }
        }
    }
    /// Polls `inner` once, then finishes whatever it returned.
    struct PollOnce<F>(Pin<Box<F>>);
    impl<F: Future> Future for PollOnce<F> {
        type Output = bool;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
            Poll::Ready(self.0.as_mut().poll(cx).is_ready())
        }
    }
    let rt = rt(1);
    rt.block_on(async {
        let h = gosched::spawn(UnderForward(Box::pin(gosched::yield_now()), None));
        assert_eq!(h.await.unwrap(), ((), 1), "one wake, through the forwarder");
        let h = gosched::spawn(async {
            let ready = PollOnce(Box::pin(gosched::yield_now())).await;
            gosched::yield_now().await;
            ready
        });
        assert!(!h.await.unwrap());
    })
    .unwrap();
    gosched::leak::verify_none(&rt);
}

/// A task that drops the last `Runtime` handle does so on one of the
/// runtime's own threads, in the middle of its poll: the teardown must not
/// free that task (or join that thread) under it. It moves to a thread of
/// its own; the task's own state is dropped exactly once, later.
#[test]
#[cfg_attr(miri, ignore)] // threads and sleeps
fn a_task_may_drop_the_last_runtime() {
    let drops = Arc::new(AtomicUsize::new(0));
    for procs in [1, 2] {
        let rt = Arc::new(rt(procs));
        let inner = Arc::clone(&rt);
        let guard = tracked(&drops, false);
        let (tx, rx) = std::sync::mpsc::channel();
        drop(rt.spawn(async move {
            let _guard = guard;
            std::thread::sleep(Duration::from_millis(5));
            drop(inner); // the last handle once the main thread lets go
            tx.send(()).unwrap();
        }));
        drop(rt);
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the task runs to its end");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while drops.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "each task's state dropped once"
    );
}

/// Parks on its first poll (leaving its waker in `slot`), counts every
/// poll, and never finishes.
struct ParkOnce {
    polls: Arc<AtomicUsize>,
    slot: Arc<std::sync::Mutex<Option<std::task::Waker>>>,
}

impl Future for ParkOnce {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polls.fetch_add(1, Ordering::SeqCst) == 0 {
            *self.slot.lock().unwrap() = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Waking a task that is already queued queues it once: three wakes in a
/// row give one more poll, not three (and no second copy of the task runs
/// after it parked again).
#[test]
fn repeated_wakes_of_a_queued_task_poll_it_once() {
    // The count is checked after ten yields of the main future, which run
    // the task on this thread's P: sysmon must not move the P meanwhile.
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    let polls = Arc::new(AtomicUsize::new(0));
    let slot = Arc::new(std::sync::Mutex::new(None));
    rt.block_on(async {
        let h = gosched::spawn(ParkOnce {
            polls: polls.clone(),
            slot: slot.clone(),
        });
        while slot.lock().unwrap().is_none() {
            gosched::yield_now().await;
        }
        let waker = slot.lock().unwrap().take().unwrap();
        waker.wake_by_ref();
        waker.wake_by_ref();
        waker.wake();
        for _ in 0..10 {
            gosched::yield_now().await;
        }
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    })
    .unwrap();
    assert_eq!(polls.load(Ordering::SeqCst), 2);
}

/// Parks on its first poll (leaving its waker in `slot`), finishes on the
/// next; holds `_token` so that the test sees when the future is dropped.
struct ParkThenFinish {
    polls: Arc<AtomicUsize>,
    slot: Arc<std::sync::Mutex<Option<std::task::Waker>>>,
    _token: Arc<()>,
}

impl Future for ParkThenFinish {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polls.fetch_add(1, Ordering::SeqCst) == 0 {
            *self.slot.lock().unwrap() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(())
    }
}

/// A by-value wake gives the waker's own reference to the run queue: from
/// a task of the same runtime, its `block_on` thread, a plain thread and
/// another runtime's task, the parked task runs once more, finishes, and
/// its future is dropped exactly once.
#[test]
fn wake_by_value_from_any_thread_runs_the_task_once() {
    for from in 0..4 {
        let other = rt(1);
        let rt = rt(2);
        let polls = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(std::sync::Mutex::new(None));
        let token = Arc::new(());
        rt.block_on(async {
            let h = gosched::spawn(ParkThenFinish {
                polls: polls.clone(),
                slot: slot.clone(),
                _token: token.clone(),
            });
            while slot.lock().unwrap().is_none() {
                gosched::yield_now().await;
            }
            let waker = slot.lock().unwrap().take().unwrap();
            match from {
                0 => gosched::spawn(async move { waker.wake() }).await.unwrap(),
                1 => waker.wake(),
                2 => std::thread::spawn(move || waker.wake()).join().unwrap(),
                _ => other.spawn(async move { waker.wake() }).await.unwrap(),
            }
            h.await.unwrap();
        })
        .unwrap();
        assert_eq!(polls.load(Ordering::SeqCst), 2, "wake from {from}");
        assert_eq!(Arc::strong_count(&token), 1, "wake from {from}");
    }
}

/// A task still pending when its runtime is dropped is cancelled: its
/// handle, polled afterwards from anywhere, says so (and a future whose
/// `Drop` panics on the way out reports the panic), never pending for ever.
#[test]
fn handles_learn_that_their_runtime_shut_down() {
    struct PanicsOnDrop;
    impl Future for PanicsOnDrop {
        type Output = u8;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u8> {
            Poll::Pending
        }
    }
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop at shutdown");
        }
    }
    let rt = rt(1);
    let (mut pending, mut panicking, mut finished) = rt
        .block_on(async {
            let finished = gosched::spawn(async { 7u8 });
            // One yield usually runs it on this thread's P; but sysmon may
            // have handed that P to a worker meanwhile (a poll counts as
            // stuck after 100 µs, which Miri's clock reaches), so wait.
            while !finished.is_finished() {
                gosched::yield_now().await;
            }
            (
                gosched::spawn(std::future::pending::<u8>()),
                gosched::spawn(PanicsOnDrop),
                finished,
            )
        })
        .unwrap();
    drop(rt);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(pending.is_finished());
    match Pin::new(&mut pending).poll(&mut cx) {
        Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "{e:?}"),
        other => panic!("the pending task's handle gave {other:?}"),
    }
    match Pin::new(&mut panicking).poll(&mut cx) {
        Poll::Ready(Err(e)) => assert!(e.is_panic(), "{e:?}"),
        other => panic!("the panicking task's handle gave {other:?}"),
    }
    match Pin::new(&mut finished).poll(&mut cx) {
        Poll::Ready(Ok(7)) => {}
        other => panic!("the finished task's handle gave {other:?}"),
    }
}
