//! The statements of `sched.md` (c) and the seed's scenarios (d), each as a
//! test. Order statements use one P, recorded events, and sysmon never
//! moving the P mid-poll (see `common::one_p`).

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{go_one_p_order, one_p, runs, Order};
use gochan::Chan;
use gosched::{Event, Runtime};

/// Spawns `n` tasks from the main future (each records its label) and waits
/// until all ran; returns the labels in run order and the task ids.
fn spawn_n_then_block(rt: &Runtime, n: usize) -> (Vec<usize>, Vec<u64>) {
    let order = Order::default();
    let ids = rt
        .block_on(async {
            let done = Chan::new(1);
            let mut ids = Vec::new();
            for i in 0..n {
                let (order, done) = (order.clone(), done.clone());
                let h = gosched::spawn(async move {
                    order.push(i);
                    if order.len() == n {
                        done.send_async(()).await.unwrap();
                    }
                });
                ids.push(h.id().unwrap());
            }
            done.recv_async().await.unwrap();
            ids
        })
        .unwrap();
    (order.get(), ids)
}

/// (c)1: one P, spawn G0..G(n−1) then block → G(n−1), G0, …, G(n−2).
#[test]
fn c1_spawned_run_newest_first_then_fifo() {
    let sizes: &[usize] = if cfg!(miri) { &[3, 10] } else { &[3, 10, 257] };
    for &n in sizes {
        let rt = one_p(256);
        let (order, _) = spawn_n_then_block(&rt, n);
        let mut want: Vec<usize> = vec![n - 1];
        want.extend(0..n - 1);
        assert_eq!(order, want, "n = {n}");
        assert_eq!(order, go_one_p_order(n, 256, 1));
    }
}

/// (c)2–4: 300 spawns on one P. The overflow moves the oldest 128 plus the
/// `runnext` displaced by G257 to the global queue, in order (2); the P
/// takes one global task every 61st slice (3: G0 runs after the runnext task
/// and 60 ring tasks); the emptied ring refills with a FIFO batch of
/// `min(len, len/1 + 1, 128)` (4).
#[test]
#[cfg_attr(miri, ignore)] // 300 tasks; `d1_to_d5_ring_of_four` is the small variant
fn c2_c3_c4_overflow_fairness_and_refill() {
    let rt = one_p(256);
    let (order, ids) = spawn_n_then_block(&rt, 300);
    let events = rt.take_events();
    let overflows: Vec<&Vec<u64>> = events
        .iter()
        .filter_map(|e| match e {
            Event::Overflow { tasks, .. } => Some(tasks),
            _ => None,
        })
        .collect();
    let mut want: Vec<u64> = ids[..128].to_vec();
    want.push(ids[256]);
    assert_eq!(
        overflows,
        [&want],
        "(c)2: one batch, oldest 128 + displaced runnext"
    );
    assert_eq!(
        order[0], 299,
        "(c)2: the newest stays in runnext and runs first"
    );
    assert_eq!(order[61], 0, "(c)3: G0 from the global queue on tick 61");
    assert_eq!(
        order,
        go_one_p_order(300, 256, 1),
        "(c)2-4: Go's one-P order"
    );
    let batches: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::GlobalBatch { n, .. } => Some(*n),
            _ => None,
        })
        .collect();
    assert!(
        !batches.is_empty() && batches.iter().all(|&n| n <= 128),
        "(c)4: {batches:?}"
    );
}

/// Runs a task that spawns `k` tasks and yields; returns how many of them
/// ran before it resumed.
fn yield_resumes_after(k: usize) -> usize {
    let rt = one_p(256);
    let order = Order::default();
    let o = order.clone();
    rt.block_on(async move {
        gosched::spawn(async move {
            for i in 0..k {
                let o = o.clone();
                gosched::go(async move { o.push(i) });
            }
            gosched::yield_now().await;
            o.len()
        })
        .await
        .unwrap()
    })
    .unwrap()
}

/// (c)5: `yield_now` (Gosched) goes to the global queue: with k local tasks
/// the caller resumes after them when the ring empties first, after at most
/// the next multiple of 61 ticks otherwise, and after all of them when an
/// overflow batch is ahead of it in the global queue.
#[test]
#[cfg_attr(miri, ignore)] // 400 tasks over three runtimes
fn c5_yield_goes_to_global_queue() {
    assert_eq!(yield_resumes_after(5), 5);
    let after = yield_resumes_after(100);
    assert!((1..=61).contains(&after), "k = 100: resumed after {after}");
    assert_eq!(yield_resumes_after(300), 300);
}

/// (c)5 for the main future: Go's `Gosched` in `main` puts main at the
/// global queue's tail, so with one P main resumes after every task of the
/// P's ring (or at the next 61st slice). Go 1.19, GOMAXPROCS=1, spawning k
/// goroutines then calling `runtime.Gosched()` in main: k = 3 → all 3 had
/// run, in the order [2 0 1]; k = 10 → all 10; k = 100 → 55 (the 61st
/// slice came first). The main future used to resume after one task.
#[test]
fn c5_main_future_yield_resumes_after_the_local_tasks() {
    let ks: &[usize] = if cfg!(miri) { &[3, 10] } else { &[3, 10, 100] };
    for &k in ks {
        let rt = one_p(256);
        let order = Order::default();
        let o = order.clone();
        let seen = rt
            .block_on(async move {
                let handles: Vec<_> = (0..k)
                    .map(|i| {
                        let o = o.clone();
                        gosched::spawn(async move { o.push(i) })
                    })
                    .collect();
                gosched::yield_now().await;
                let seen = o.get();
                for h in handles {
                    h.await.unwrap();
                }
                seen
            })
            .unwrap();
        if k <= 10 {
            let mut want = vec![k - 1];
            want.extend(0..k - 1);
            assert_eq!(seen, want, "k = {k}");
        } else {
            assert!((2..=61).contains(&seen.len()), "k = {k}: {}", seen.len());
            assert_eq!(seen[..3], [k - 1, 0, 1]);
        }
        assert_eq!(order.len(), k);
    }
}

/// The main future's yield also lets the tasks queued in the global queue
/// before it run first, but not a task that yields after it (it queues
/// behind the main future, as in Go).
#[test]
fn main_future_yield_runs_the_global_tasks_ahead_of_it() {
    let rt = one_p(256);
    let order = Order::default();
    let o = order.clone();
    let rt_ref = &rt;
    let seen = rt
        .block_on(async move {
            // From another thread: into the global queue (this thread holds
            // the only P, so no M takes it meanwhile).
            let remote = std::thread::scope(|s| {
                s.spawn(|| {
                    let o = o.clone();
                    rt_ref.spawn(async move { o.push(1) })
                })
                .join()
                .unwrap()
            });
            let o2 = o.clone();
            let local = gosched::spawn(async move {
                o2.push(0);
                gosched::yield_now().await;
                o2.push(2);
            });
            gosched::yield_now().await;
            let seen = o.get();
            remote.await.unwrap();
            local.await.unwrap();
            seen
        })
        .unwrap();
    assert_eq!(seen, [0, 1]);
    assert_eq!(order.get(), [0, 1, 2]);
}

/// (c)5 with yields held by the P on their way to the global queue: with
/// one P, tasks that yield resume in the order they yielded (the global
/// queue is FIFO), after every task that was queued before them.
#[test]
fn c5_yields_resume_in_fifo_order() {
    let rt = one_p(256);
    let order = Order::default();
    let o = order.clone();
    rt.block_on(async move {
        let handles: Vec<_> = (0..5)
            .map(|i| {
                let o = o.clone();
                gosched::spawn(async move {
                    o.push(i);
                    gosched::yield_now().await;
                    o.push(10 + i);
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    })
    .unwrap();
    // Spawned G0..G4 run as G4, G0..G3 ((c)1); each yields, and they resume
    // in that order once the ring is empty.
    assert_eq!(order.get(), vec![4, 0, 1, 2, 3, 14, 10, 11, 12, 13]);
}

/// Yielding tasks on two Ps all finish, and no yielded task is left behind
/// when the Ps go idle (the global queue, with what Ps hold on their way to
/// it, is empty afterwards).
#[test]
fn yields_on_two_ps_all_run() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let (tasks, yields) = if cfg!(miri) { (6, 20) } else { (200, 300) };
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    rt.block_on(async move {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let d = d.clone();
                gosched::spawn(async move {
                    for _ in 0..yields {
                        gosched::yield_now().await;
                        d.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(done.load(Ordering::Relaxed), tasks * yields);
    assert_eq!(rt.stats().global_queue, 0);
}

/// Two tasks ping-pong over unbuffered channels while a third waits in the
/// ring; returns how long the third waited.
fn ping_pong_starves_third(procs: usize, time_slice: Duration) -> Duration {
    let rt = Runtime::builder()
        .procs(procs)
        .retake_after(Duration::from_secs(3600))
        .time_slice(time_slice)
        .build()
        .unwrap();
    rt.block_on(async {
        let (ping, pong) = (Chan::<u32>::new(0), Chan::<u32>::new(0));
        let third_ran = Arc::new(AtomicBool::new(false));
        let waited = Arc::new(Mutex::new(None));
        let (p2, q2) = (ping.clone(), pong.clone());
        let (ran, w) = (third_ran.clone(), waited.clone());
        let a = gosched::spawn(async move {
            let start = Instant::now();
            let ran2 = ran.clone();
            gosched::go(async move {
                *w.lock().unwrap() = Some(start.elapsed());
                ran2.store(true, Ordering::Release);
            });
            while !ran.load(Ordering::Acquire) && start.elapsed() < Duration::from_secs(5) {
                p2.send_async(1).await.unwrap();
                q2.recv_async().await.unwrap();
            }
            p2.close().unwrap();
        });
        let b = gosched::spawn(async move {
            while let Some(v) = ping.recv_async().await {
                pong.send_async(v).await.unwrap();
            }
        });
        a.await.unwrap();
        b.await.unwrap();
        let w = waited.lock().unwrap().expect("the third task ran");
        w
    })
    .unwrap()
}

/// (c)6: a woken task takes `runnext` and inherits the slice, so a
/// ping-pong pair starves a third task on one P until the 10 ms slice ends;
/// with two Ps an idle P steals it (here with slices that never end, so
/// only a steal can run it).
#[test]
#[cfg_attr(miri, ignore)]
fn c6_ping_pong_shares_one_slice() {
    let one = ping_pong_starves_third(1, gosched::FORCE_PREEMPT);
    assert!(
        one >= gosched::FORCE_PREEMPT,
        "one P: third ran after {one:?}"
    );
    assert!(one < Duration::from_secs(5), "one P: third never ran");
    let two = ping_pong_starves_third(2, Duration::from_secs(3600));
    assert!(two < Duration::from_secs(5), "two Ps: third never stolen");
}

/// (c)8 and (d)8 at the ring level are in `runq.rs`; here: with two Ps, an
/// idle M steals from the busy P's ring (a `Steal` event, oldest first).
#[test]
#[cfg_attr(miri, ignore)]
fn c8_idle_p_steals_from_busy_p() {
    let rt = Runtime::builder()
        .procs(2)
        .record_events(true)
        .retake_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    rt.block_on(async move {
        let hs: Vec<_> = (0..64)
            .map(|_| {
                let r = r.clone();
                gosched::spawn(async move {
                    // Long enough that the other P finds queued work.
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_micros(200) {}
                    r.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(ran.load(Ordering::Relaxed), 64);
    let steals: Vec<(usize, usize, usize)> = rt
        .take_events()
        .iter()
        .filter_map(|e| match e {
            Event::Steal { thief, victim, n } => Some((*thief, *victim, *n)),
            _ => None,
        })
        .collect();
    assert!(!steals.is_empty(), "no steal with a busy P and an idle one");
    assert!(steals
        .iter()
        .all(|&(t, v, n)| t != v && (1..=128).contains(&n)));
}

/// (c)9 / (d)9, the admission rule: every M that starts spinning on its own
/// (`Event::Spin`) saw `2 × spinning < busy Ps`, Go's `findRunnable` test;
/// and once all work is done every M has stopped spinning and parked.
///
/// The number of Ms spinning *at once* is not checked against ⌈busy/2⌉:
/// as in Go, the rule reads `nmspinning` and `npidle` separately from the
/// increment, so two Ms deciding together may both be admitted, and an M
/// that `wakep` starts spinning (`StartM { spinning: true }`) is not
/// subject to it. What Go guarantees is the rule at each decision, which
/// the events show exactly.
#[test]
#[cfg_attr(miri, ignore)]
fn c9_d9_spin_admission_rule() {
    let rt = Runtime::builder()
        .procs(4)
        .record_events(true)
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..20 {
            let hs: Vec<_> = (0..50)
                .map(|_| gosched::spawn(gosched::yield_now()))
                .collect();
            for h in hs {
                h.await.unwrap();
            }
        }
    })
    .unwrap();
    // Quiescence: every worker parks, nobody spins.
    let t = Instant::now();
    loop {
        let s = rt.stats();
        if s.spinning_threads == 0 && s.idle_threads == s.threads && s.idle_procs == 4 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "never quiesced: {s}");
        std::thread::sleep(Duration::from_millis(1));
    }
    let events = rt.take_events();
    let mut admitted = 0;
    for e in &events {
        if let Event::Spin { spinning, busy, .. } = *e {
            assert!(
                2 * spinning < busy,
                "admitted with {spinning} spinning, {busy} busy"
            );
            admitted += 1;
        }
    }
    let started = events
        .iter()
        .filter(|e| matches!(e, Event::StartM { spinning: true, .. }))
        .count();
    assert!(admitted + started > 0, "no M ever spun: {events:?}");
    // (d)9: a spinner that found nothing dropped spinning before parking.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::DropSpinning { .. })),
        "{events:?}"
    );
}

/// (d)9, one M step by step (two Ps; the main future holds P0 in a long
/// poll, so exactly one other M exists and every step is forced): a spawn
/// starts M1 spinning on P1 (`wakep`); M1 steals the task from P0's
/// `runnext` on its last pass (P0 is running) and runs it; with nothing
/// left it is admitted to spin (0 spinning, 2 busy Ps), finds nothing,
/// releases P1, drops spinning, rechecks every queue once (empty) and
/// parks.
#[test]
#[cfg_attr(miri, ignore)]
fn d9_spinner_finds_nothing_drops_spinning_rechecks_and_parks() {
    let rt = Runtime::builder()
        .procs(2)
        .record_events(true)
        .retake_after(Duration::from_secs(3600))
        .time_slice(Duration::from_secs(3600))
        .build()
        .unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let id = rt
        .block_on(async {
            let r = ran.clone();
            let h = gosched::spawn(async move { r.store(true, Ordering::SeqCst) });
            // Hold P0 in this poll until M1 ran the task and parked.
            let t = Instant::now();
            loop {
                let s = rt.stats();
                if ran.load(Ordering::SeqCst) && s.idle_threads == 1 && s.spinning_threads == 0 {
                    break;
                }
                assert!(
                    t.elapsed() < Duration::from_secs(10),
                    "M1 never parked: {s}"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            h.id().unwrap()
        })
        .unwrap();
    assert_eq!(
        rt.take_events(),
        vec![
            Event::StartM {
                p: 1,
                spinning: true
            },
            Event::Steal {
                thief: 1,
                victim: 0,
                n: 1
            },
            Event::Run {
                task: id,
                p: 1,
                inherited: false
            },
            Event::Spin {
                p: 1,
                spinning: 0,
                busy: 2
            },
            Event::DropSpinning {
                p: 1,
                work_found: false
            },
            Event::StopM,
        ]
    );
}

/// (c)10 / (d)10: a task in `blocking` with queued work hands its P to
/// another M at once; the queued tasks run while it blocks; afterwards it
/// gets its old P back.
#[test]
#[cfg_attr(miri, ignore)]
fn c10_d10_blocking_hands_off_p_with_work() {
    let rt = one_p(256);
    let ran_during = rt
        .block_on(async {
            gosched::spawn(async {
                let done = Arc::new(AtomicUsize::new(0));
                for _ in 0..3 {
                    let d = done.clone();
                    gosched::go(async move {
                        d.fetch_add(1, Ordering::SeqCst);
                    });
                }
                gosched::blocking(|| {
                    let t = Instant::now();
                    while done.load(Ordering::SeqCst) < 3 && t.elapsed() < Duration::from_secs(5) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    // Let the other M finish and park, leaving P0 idle.
                    std::thread::sleep(Duration::from_millis(20));
                    done.load(Ordering::SeqCst)
                })
            })
            .await
            .unwrap()
        })
        .unwrap();
    assert_eq!(
        ran_during, 3,
        "queued tasks ran while their P's M was blocked"
    );
    let events = rt.take_events();
    let i = events
        .iter()
        .position(|e| *e == Event::EnterBlocking { p: 0 })
        .expect("entered blocking with P0");
    assert_eq!(events[i + 1], Event::Handoff { p: 0 });
    assert_eq!(
        events[i + 2],
        Event::StartM {
            p: 0,
            spinning: false
        },
        "P0 had work: a non-spinning M"
    );
    assert!(
        events[i..].contains(&Event::ExitBlocking { p: 0 }),
        "got its old P back: {events:?}"
    );
}

/// (d)10, second half: with no queued work and no M spinning or idle, the
/// P goes to a new spinning M (Go's handoffp), which finds nothing.
#[test]
#[cfg_attr(miri, ignore)]
fn d10_blocking_without_work_starts_spinner() {
    let rt = one_p(256);
    rt.block_on(async {
        gosched::spawn(async {
            gosched::blocking(|| std::thread::sleep(Duration::from_millis(20)))
        })
        .await
        .unwrap()
    })
    .unwrap();
    let events = rt.take_events();
    let i = events
        .iter()
        .position(|e| *e == Event::EnterBlocking { p: 0 })
        .unwrap();
    assert_eq!(events[i + 1], Event::Handoff { p: 0 });
    assert_eq!(
        events[i + 2],
        Event::StartM {
            p: 0,
            spinning: true
        }
    );
}

/// (d)1–5 with the seed's ring of 4: a spawn lands in `runnext` (1); the
/// spawner's P runs everything on the same M, no thread is started (2);
/// C + 1 = 5 spawns fit locally (3); the 6th moves the oldest 2 plus the
/// displaced `runnext` to the global queue in order, the newest staying in
/// `runnext` (4); later spawns are local again (5).
#[test]
fn d1_to_d5_ring_of_four() {
    let rt = one_p(4);
    let order = Order::default();
    let o = order.clone();
    let ids = rt
        .block_on(async {
            let done = Chan::new(1);
            let mut ids = Vec::new();
            let mut spawn = |i: usize| {
                let (o, done) = (o.clone(), done.clone());
                let h = gosched::spawn(async move {
                    o.push(i);
                    if o.len() == 7 {
                        done.send_async(()).await.unwrap();
                    }
                });
                ids.push(h.id().unwrap());
            };
            spawn(0);
            let s = rt.stats();
            assert!(s.procs[0].runnext && s.procs[0].run_queue == 0, "(d)1: {s}");
            for i in 1..5 {
                spawn(i);
            }
            let s = rt.stats();
            assert_eq!(
                (s.procs[0].run_queue, s.procs[0].runnext, s.global_queue),
                (4, true, 0),
                "(d)3"
            );
            spawn(5);
            let s = rt.stats();
            assert_eq!(
                (s.procs[0].run_queue, s.procs[0].runnext, s.global_queue),
                (2, true, 3),
                "(d)4"
            );
            spawn(6);
            let s = rt.stats();
            assert_eq!(
                (s.procs[0].run_queue, s.procs[0].runnext, s.global_queue),
                (3, true, 3),
                "(d)5"
            );
            done.recv_async().await.unwrap();
            assert_eq!(rt.stats().threads, 0, "(d)2: no M was started");
            ids
        })
        .unwrap();
    let events = rt.take_events();
    assert!(events.contains(&Event::Overflow {
        p: 0,
        tasks: vec![ids[0], ids[1], ids[4]]
    }));
    assert_eq!(order.get(), go_one_p_order(7, 4, 1));
    assert_eq!(runs(&events)[0], ids[6], "(d)1: the newest runs next");
}

/// (d)6: a spawn wakes a second M only when a P is idle and no M spins; it
/// starts spinning on the idle P.
#[test]
#[cfg_attr(miri, ignore)]
fn d6_spawn_wakes_one_spinning_m() {
    let rt = Runtime::builder()
        .procs(2)
        .record_events(true)
        .retake_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    rt.block_on(async { gosched::spawn(async {}).await.unwrap() })
        .unwrap();
    let events = rt.take_events();
    assert_eq!(
        events[0],
        Event::StartM {
            p: 1,
            spinning: true
        },
        "{events:?}"
    );
}

/// Blocks its poll (and so its M and P) until `release` is set.
async fn hold_p(started: Arc<AtomicUsize>, release: Arc<AtomicBool>) {
    started.fetch_add(1, Ordering::SeqCst);
    let t = Instant::now();
    while !release.load(Ordering::SeqCst) {
        assert!(t.elapsed() < Duration::from_secs(10), "never released");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// (d)7: an M that finds its ring empty takes `min(len, len/GOMAXPROCS + 1,
/// 128)` tasks from the global queue, runs the first and queues the rest
/// locally, in FIFO order. Two Ps, both held by tasks blocking their polls
/// (sysmon never retakes: `retake_after` is an hour), so 40 tasks spawned
/// from outside wait in the global queue with no M to take them; then one P
/// is released, and its M alone drains the queue: 40 → batches of 21
/// (40/2 + 1), 10 (19/2 + 1), 5, 3 and 1 (a batch of one is not an
/// event), running the 40 tasks in spawn order.
#[test]
#[cfg_attr(miri, ignore)]
fn d7_global_batch_size() {
    let rt = Runtime::builder()
        .procs(2)
        .record_events(true)
        .retake_after(Duration::from_secs(3600))
        .time_slice(Duration::from_secs(3600))
        .build()
        .unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let (release1, release2) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let wait_started = |n: usize| {
        let t = Instant::now();
        while started.load(Ordering::SeqCst) < n {
            assert!(t.elapsed() < Duration::from_secs(10), "blocker never ran");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let b1 = rt.spawn(hold_p(started.clone(), release1.clone()));
    wait_started(1);
    let b2 = rt.spawn(hold_p(started.clone(), release2.clone()));
    wait_started(2);
    assert_eq!(rt.stats().global_queue, 0);
    let hs: Vec<_> = (0..40).map(|_| rt.spawn(async {})).collect();
    let ids: Vec<u64> = hs.iter().map(|h| h.id().unwrap()).collect();
    assert_eq!(rt.stats().global_queue, 40, "no M may take them yet");
    // Forget the blockers' start-up; from here on the order is forced.
    drop(rt.take_events());
    release1.store(true, Ordering::SeqCst);
    rt.block_on(async {
        for h in hs {
            h.await.unwrap();
        }
        release2.store(true, Ordering::SeqCst);
        b1.await.unwrap();
        b2.await.unwrap();
    })
    .unwrap();
    let events = rt.take_events();
    let batches: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match *e {
            Event::GlobalBatch { p, n } => Some((p, n)),
            _ => None,
        })
        .collect();
    let p = batches.first().map(|b| b.0).unwrap_or_default();
    assert_eq!(
        batches,
        vec![(p, 21), (p, 10), (p, 5), (p, 3)],
        "{events:?}"
    );
    let ran: Vec<u64> = events
        .iter()
        .filter_map(|e| match *e {
            Event::Run { task, p: q, .. } if ids.contains(&task) => {
                assert_eq!(q, p, "only the released P runs them");
                Some(task)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        ran, ids,
        "the first of each batch runs at once, the rest in FIFO order"
    );
}

/// (c)12: timers fire at or after their deadline, never before.
#[test]
#[cfg_attr(miri, ignore)]
fn c12_timers_never_fire_early() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..50u64)
            .map(|i| {
                gosched::spawn(async move {
                    let d = Duration::from_micros(100 * (i % 17));
                    let t = Instant::now();
                    gosched::sleep(d).await;
                    assert!(t.elapsed() >= d);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    })
    .unwrap();
}

/// (c)13: nothing can wake the main future → Go's deadlock error.
#[test]
fn c13_deadlock_is_reported() {
    let rt = one_p(256);
    let err = rt.block_on(std::future::pending::<()>()).unwrap_err();
    assert_eq!(err.to_string(), "all goroutines are asleep - deadlock!");
    // A task that can never finish, awaited by main.
    let err = rt
        .block_on(async { gosched::spawn(std::future::pending::<()>()).await })
        .unwrap_err();
    assert_eq!(err, gosched::DeadlockError);
}

/// (c)14: 10 000 tasks each signalling a counter, and a chain of 1 000
/// spawns, all complete (their speed is measured by the benchmarks).
#[test]
fn c14_spawn_many_and_chained() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let n = if cfg!(miri) { 50 } else { 10_000 };
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    rt.block_on(async move {
        let done = Chan::new(1);
        for _ in 0..n {
            let (c, done) = (c.clone(), done.clone());
            gosched::go(async move {
                if c.fetch_add(1, Ordering::AcqRel) + 1 == n {
                    done.send_async(()).await.unwrap();
                }
            });
        }
        done.recv_async().await.unwrap();
    })
    .unwrap();
    assert_eq!(count.load(Ordering::Acquire), n);

    fn chain(
        left: usize,
        done: Chan<usize>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move {
            if left == 0 {
                done.send_async(0).await.unwrap();
            } else {
                gosched::go(chain(left - 1, done));
            }
        })
    }
    let depth = if cfg!(miri) { 20 } else { 1000 };
    let got = rt
        .block_on(async move {
            let done = Chan::new(1);
            gosched::go(chain(depth, done.clone()));
            done.recv_async().await
        })
        .unwrap();
    assert_eq!(got, Some(0));
}
