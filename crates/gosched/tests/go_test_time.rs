//! Scenarios of Go 1.19's `runtime/proc_test.go` and `time/sleep_test.go`,
//! `time/tick_test.go` not yet in `golang.rs`, re-written for tasks; each
//! names the Go test it follows.
//
// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use gochan::Chan;
use gosched::Runtime;

/// proc_test.go: TestGoroutineParallelism2 (with and without load): P tasks
/// spawned in a nested fashion (P/2 tasks spawn two each) take turns on a
/// counter, spinning without yielding, so all P must run at once. With
/// load, P tasks first spin until they all ran, so the Ms are parked when
/// the test proper starts.
#[test]
#[cfg_attr(miri, ignore)]
fn goroutine_parallelism2() {
    const P: u32 = 4;
    for load in [false, true] {
        let rt = Runtime::builder().procs(P as usize).build().unwrap();
        for _ in 0..3 {
            rt.block_on(async {
                let deadline = Instant::now() + Duration::from_secs(30);
                if load {
                    let done = Chan::new(0);
                    let x = Arc::new(AtomicU32::new(0));
                    for _ in 0..P {
                        let (x, done) = (x.clone(), done.clone());
                        gosched::go(async move {
                            if x.fetch_add(1, Ordering::SeqCst) + 1 == P {
                                done.send_async(()).await.unwrap();
                                return;
                            }
                            while x.load(Ordering::SeqCst) != P {
                                assert!(Instant::now() < deadline, "no parallelism (load)");
                                std::hint::spin_loop();
                            }
                        });
                    }
                    done.recv_async().await.unwrap();
                }
                let done = Chan::new(0);
                let x = Arc::new(AtomicU32::new(0));
                for p in 0..P / 2 {
                    let (x, done) = (x.clone(), done.clone());
                    gosched::go(async move {
                        for p2 in 0..2 {
                            let (x, done) = (x.clone(), done.clone());
                            gosched::go(async move {
                                for i in 0..3 {
                                    let expected = P * i + p * 2 + p2;
                                    while x.load(Ordering::SeqCst) != expected {
                                        assert!(Instant::now() < deadline, "no parallelism");
                                        std::hint::spin_loop();
                                    }
                                    x.store(expected + 1, Ordering::SeqCst);
                                }
                                done.send_async(()).await.unwrap();
                            });
                        }
                    });
                }
                for _ in 0..P {
                    done.recv_async().await.unwrap();
                }
                assert_eq!(x.load(Ordering::SeqCst), 3 * P);
            })
            .unwrap();
        }
    }
}

/// sleep_test.go: TestAfterQueuing: timers started in a scrambled order
/// fire in the order of their durations, each near its time. Go retries
/// with a larger step on a loaded machine; so does this.
#[test]
#[cfg_attr(miri, ignore)]
fn after_queuing() {
    const SLOTS: [u32; 13] = [5, 3, 6, 6, 6, 1, 1, 2, 7, 9, 4, 8, 0];
    let rt = Runtime::builder().procs(2).build().unwrap();
    let mut last = String::new();
    for attempt in 0..5u32 {
        let delta = Duration::from_millis(u64::from(20 + attempt * 50));
        let r = rt
            .block_on(async move {
                let result = Chan::new(SLOTS.len());
                let t0 = Instant::now();
                for slot in SLOTS {
                    let result = result.clone();
                    gosched::go(async move {
                        gosched::sleep(delta * slot).await;
                        result.send_async((slot, Instant::now())).await.unwrap();
                    });
                }
                let mut got = Vec::new();
                for _ in SLOTS {
                    got.push(result.recv_async().await.unwrap());
                }
                for w in got.windows(2) {
                    if w[1].0 < w[0].0 {
                        return Err(format!(
                            "out of order: {:?}",
                            got.iter().map(|g| g.0).collect::<Vec<_>>()
                        ));
                    }
                }
                for (slot, t) in got {
                    let dt = t - t0;
                    let target = delta * slot;
                    // Never early; Go's upper bound: ten steps late.
                    if dt < target || dt > target + delta * 10 {
                        return Err(format!("sleep({target:?}) ended at {dt:?}"));
                    }
                }
                Ok(())
            })
            .unwrap();
        match r {
            Ok(()) => return,
            Err(e) => last = e,
        }
    }
    panic!("{last}");
}

/// sleep_test.go: TestSleepZeroDeadlock: a task that sleeps for zero and
/// uses a channel in a loop, with GOMAXPROCS 4 and another task busy,
/// never hangs.
#[test]
fn sleep_zero_deadlock() {
    const ROUNDS: usize = if cfg!(miri) { 10 } else { 100 };
    let rt = Runtime::builder().procs(4).build().unwrap();
    rt.block_on(async {
        let c = Chan::new(0);
        let c2 = c.clone();
        gosched::go(async move {
            for _ in 0..ROUNDS {
                gosched::yield_now().await;
            }
            c2.send_async(true).await.unwrap();
        });
        for _ in 0..ROUNDS {
            gosched::sleep(Duration::ZERO).await;
            let tmp = Chan::new(1);
            tmp.send_async(true).await.unwrap();
            assert_eq!(tmp.recv_async().await, Some(true));
        }
        assert_eq!(c.recv_async().await, Some(true));
    })
    .unwrap();
}

/// sleep_test.go: TestAfterStress: a ticker of the smallest period ticks
/// 100 times while another task keeps yielding and sleeping a nanosecond.
#[test]
fn after_stress() {
    const TICKS: usize = if cfg!(miri) { 5 } else { 100 };
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let busy = gosched::spawn(async move {
            while !s.load(Ordering::SeqCst) {
                gosched::yield_now().await;
                gosched::sleep(Duration::from_nanos(1)).await;
            }
        });
        let mut ticker = gosched::interval(Duration::from_nanos(1));
        let mut prev = None;
        for _ in 0..TICKS {
            let due = ticker.tick().await;
            if let Some(p) = prev {
                assert!(due > p, "ticks move forward");
            }
            prev = Some(due);
        }
        stop.store(true, Ordering::SeqCst);
        busy.await.unwrap();
    })
    .unwrap();
}

/// tick_test.go: TestTicker: `count` ticks of `delta` take about
/// `count * delta`: never less, and not far more (Go retries with a larger
/// step on a loaded machine; so does this). A slow receiver misses ticks
/// rather than getting them in a burst (Go's ticker channel holds one).
#[test]
#[cfg_attr(miri, ignore)]
fn ticker() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let mut last = String::new();
    for (count, delta) in [(10u32, 20u64), (8, 50), (5, 100)] {
        let delta = Duration::from_millis(delta);
        let r = rt
            .block_on(async move {
                let mut ticker = gosched::interval(delta);
                let t0 = Instant::now();
                for _ in 0..count / 2 {
                    ticker.tick().await;
                }
                // Miss some ticks.
                gosched::sleep(delta * 2).await;
                for _ in count / 2..count {
                    ticker.tick().await;
                }
                let dt = t0.elapsed();
                // Two ticks were missed while asleep, one came at once.
                let target = delta * (count + 1);
                if dt < target - delta / 2 || dt > target * 2 + delta * 5 {
                    return Err(format!(
                        "{count} ticks of {delta:?} took {dt:?}, want about {target:?}"
                    ));
                }
                // The next tick is a period after the last.
                let a = ticker.tick().await;
                let b = ticker.tick().await;
                if b - a != delta {
                    return Err(format!("consecutive ticks {:?} apart", b - a));
                }
                Ok(())
            })
            .unwrap();
        match r {
            Ok(()) => return,
            Err(e) => last = e,
        }
    }
    panic!("{last}");
}

/// sleep_test.go: TestZeroTimer: zero and negative sleeps end at once, many
/// times in a row.
#[test]
fn zero_timer() {
    const ROUNDS: usize = if cfg!(miri) { 10 } else { 1000 };
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..ROUNDS {
            if i % 2 == 0 {
                gosched::sleep(Duration::ZERO).await;
            } else {
                gosched::sleep_until(Instant::now() - Duration::from_millis(1)).await;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(5));
    })
    .unwrap();
}

/// sleep_test.go: TestTimerStopStress: timers stopped (dropped) after
/// they were armed never fire: the waker of a dropped sleep is not woken
/// at its deadline, and a `timeout` whose future finished first does not
/// wake its task later.
#[test]
fn stopped_timers_never_fire() {
    const N: usize = if cfg!(miri) { 5 } else { 100 };
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(async {
        let wakes = Arc::new(CountWake::default());
        let hs: Vec<_> = (0..N)
            .map(|_| {
                let wakes = wakes.clone();
                gosched::spawn(async move {
                    let r = gosched::timeout(Duration::from_millis(100), async {
                        gosched::sleep(Duration::from_millis(1)).await;
                    })
                    .await;
                    assert!(r.is_ok());
                    // Armed with a counting waker, then stopped.
                    let mut s = Box::pin(gosched::sleep(Duration::from_millis(50)));
                    let waker = Waker::from(wakes.clone());
                    assert!(s
                        .as_mut()
                        .poll(&mut Context::from_waker(&waker))
                        .is_pending());
                    drop(s);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        // Past every stopped timer's deadline.
        gosched::sleep(Duration::from_millis(150)).await;
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0, "a stopped timer fired");
        assert_eq!(gosched::num_goroutine(), 1);
    })
    .unwrap();
}

#[derive(Default)]
struct CountWake(AtomicU32);
impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
