//! Hostile tests for the raw blocks `go` bodies live in (`body.rs`): every
//! size and alignment (over-aligned past the block's own alignment, past
//! the largest kept block, zero-sized captures) in blocks reused in every
//! order; a `poll` that panics, a `Drop` that panics, a panic payload whose
//! `Drop` panics; a waker kept past the task's end and woken later, from
//! this thread or another; a body whose `Drop` spawns; tasks parked at
//! shutdown; `spawn` and `go` reusing each other's tasks; and the goroutine
//! count and task dump of reused tasks. Each body counts its drops: every
//! body is dropped exactly once. A `go` task's panic is caught by the
//! runtime, so bodies record what they saw and the test asserts on it.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use common::{tracked, Tracked};
use gosched::Runtime;

/// Yields until `flag` is set.
async fn until(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        gosched::yield_now().await;
    }
}

/// Yields until `n` reaches `want`.
async fn until_count(n: &AtomicUsize, want: usize) {
    while n.load(Ordering::SeqCst) < want {
        gosched::yield_now().await;
    }
}

/// Yields until `num_goroutine` is `want` (a task that just did its last
/// visible work may still be in the M's hands for a moment).
async fn until_goroutines(want: usize) {
    let mut tries = 0;
    while gosched::num_goroutine() != want {
        tries += 1;
        assert!(
            tries < 100_000,
            "num_goroutine stays {}, not {want}",
            gosched::num_goroutine()
        );
        gosched::yield_now().await;
    }
}

#[repr(C, align(32))]
#[derive(Clone, Copy)]
struct A32([u8; 40]);
#[repr(C, align(128))]
#[derive(Clone, Copy)]
struct A128([u8; 8]);
#[repr(C, align(256))]
#[derive(Clone, Copy)]
struct A256([u8; 8]);
#[repr(C, align(4096))]
#[derive(Clone, Copy)]
struct A4096([u8; 8]);
#[derive(Clone, Copy)]
struct Zst;

/// What a body saw of its capture: whether it was aligned and intact.
#[derive(Debug, PartialEq)]
struct Saw {
    kind: &'static str,
    aligned: bool,
    intact: bool,
}

/// Runs a `go` body capturing `value` (checked for alignment and content
/// inside the body) and a drop counter, and waits until it has finished.
async fn go_capture<T: Copy + Send + 'static>(
    kind: &'static str,
    value: T,
    bytes: fn(&T) -> &[u8],
    fill: u8,
    log: &Arc<Mutex<Vec<Saw>>>,
    drops: &Arc<AtomicUsize>,
) {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let l = log.clone();
    let t = tracked(drops, false);
    gosched::go(async move {
        let _t = t;
        // One suspension first, so the capture is read from the block
        // after the body was moved there and polled twice.
        gosched::yield_now().await;
        let at = core::ptr::addr_of!(value) as usize;
        let b = bytes(black_box(&value));
        l.lock().unwrap().push(Saw {
            kind,
            aligned: at % core::mem::align_of::<T>() == 0,
            intact: b.iter().all(|&x| x == fill),
        });
        d.store(true, Ordering::SeqCst);
    });
    until(&done).await;
}

#[test]
fn every_size_and_alignment_in_reused_blocks() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = if cfg!(miri) { 1 } else { 4 };
    let (l, d) = (log.clone(), drops.clone());
    rt.block_on(async move {
        for r in 0..rounds {
            let f = r as u8 + 1;
            // Orders chosen so that each kind reuses a block left by a body
            // of another size or alignment: a smaller block first, then an
            // over-aligned one (align > 16 and > 64: a new block), a ZST,
            // one past the kept size, then small ones again.
            go_capture("u8", [f; 1], |v| &v[..], f, &l, &d).await;
            go_capture("a128", A128([f; 8]), |v| &v.0[..], f, &l, &d).await;
            go_capture("zst", Zst, |_| &[], f, &l, &d).await;
            go_capture("a32", A32([f; 40]), |v| &v.0[..], f, &l, &d).await;
            go_capture("a256", A256([f; 8]), |v| &v.0[..], f, &l, &d).await;
            go_capture("a4096", A4096([f; 8]), |v| &v.0[..], f, &l, &d).await;
            go_capture("big", [f; 700], |v| &v[..], f, &l, &d).await;
            go_capture("a128", A128([f; 8]), |v| &v.0[..], f, &l, &d).await;
            go_capture("b200", [f; 200], |v| &v[..], f, &l, &d).await;
            go_capture("u8", [f; 1], |v| &v[..], f, &l, &d).await;
            go_capture("a32", A32([f; 40]), |v| &v.0[..], f, &l, &d).await;
        }
    })
    .unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 11 * rounds);
    for s in log.iter() {
        assert!(s.aligned && s.intact, "{s:?}");
    }
    drop(log);
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), 11 * rounds);
}

/// Panics in its second poll (its first parks with a wake).
struct PanicsInPoll {
    _t: Tracked,
    polls: Arc<AtomicUsize>,
}
impl Future for PanicsInPoll {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polls.fetch_add(1, Ordering::SeqCst) == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        panic!("PanicsInPoll");
    }
}

/// A panic payload whose `Drop` panics too.
struct BombPayload(Arc<AtomicUsize>);
impl Drop for BombPayload {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("BombPayload::drop");
    }
}

#[test]
fn panicking_polls_drops_and_payloads_drop_each_body_once() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let payload_drops = Arc::new(AtomicUsize::new(0));
    let ran_after = Arc::new(AtomicUsize::new(0));
    let rounds = if cfg!(miri) { 2 } else { 10 };
    let (d, pd, ra) = (drops.clone(), payload_drops.clone(), ran_after.clone());
    rt.block_on(async move {
        for r in 0..rounds {
            // A poll that panics, with a Drop that panics (on odd rounds).
            let polls = Arc::new(AtomicUsize::new(0));
            gosched::go(PanicsInPoll {
                _t: tracked(&d, r % 2 == 1),
                polls: polls.clone(),
            });
            until_count(&polls, 2).await;
            // A panic whose payload panics when the runtime drops it.
            let t = tracked(&d, false);
            let pd2 = pd.clone();
            let started = Arc::new(AtomicBool::new(false));
            let s = started.clone();
            gosched::go(async move {
                let _t = t;
                s.store(true, Ordering::SeqCst);
                std::panic::panic_any(BombPayload(pd2));
            });
            until(&started).await;
            // The same sizes again: the blocks and tasks are reusable.
            let t = tracked(&d, false);
            let ra2 = ra.clone();
            gosched::go(async move {
                let _t = t;
                ra2.fetch_add(1, Ordering::SeqCst);
            });
            until_count(&ra, r + 1).await;
            // A task spawned with a handle sees a panic (of its poll, or of
            // a drop at the end of its body) as an error.
            let t = tracked(&d, r % 2 == 0);
            let err = gosched::spawn(async move {
                let _t = t;
                if r % 2 == 1 {
                    panic!("spawned");
                }
            })
            .await
            .unwrap_err();
            assert!(err.is_panic());
        }
        // Let the last bodies finish their drops.
        for _ in 0..4 {
            gosched::yield_now().await;
        }
    })
    .unwrap();
    drop(rt);
    assert_eq!(ran_after.load(Ordering::SeqCst), rounds);
    assert_eq!(payload_drops.load(Ordering::SeqCst), rounds);
    assert_eq!(drops.load(Ordering::SeqCst), 4 * rounds);
}

/// A future that stores a clone of its waker in `slot`, then finishes.
struct LeaksWaker {
    slot: Arc<Mutex<Option<Waker>>>,
    polls: Arc<AtomicUsize>,
    _t: Tracked,
}
impl Future for LeaksWaker {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The waker first: a test that sees the count takes it at once.
        *self.slot.lock().unwrap() = Some(cx.waker().clone());
        self.polls.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(())
    }
}

/// Wakers kept past their task's end and woken later (by reference, by
/// value, cloned, from this thread) while new `go` bodies reuse tasks:
/// the finished task is never polled again, and nothing is run twice or
/// dropped twice.
#[test]
fn wakers_of_finished_tasks_woken_later_do_nothing() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = if cfg!(miri) { 3 } else { 50 };
    let d = drops.clone();
    let polls_total = rt
        .block_on(async move {
            let mut all_polls = Vec::new();
            let mut kept = Vec::new();
            for r in 0..rounds {
                let slot = Arc::new(Mutex::new(None));
                let polls = Arc::new(AtomicUsize::new(0));
                gosched::go(LeaksWaker {
                    slot: slot.clone(),
                    polls: polls.clone(),
                    _t: tracked(&d, false),
                });
                until_count(&polls, 1).await;
                let w = slot.lock().unwrap().take().unwrap();
                // Reuse tasks while the waker lives.
                let ran = Arc::new(AtomicBool::new(false));
                let r2 = ran.clone();
                let t = tracked(&d, false);
                gosched::go(async move {
                    let _t = t;
                    r2.store(true, Ordering::SeqCst);
                });
                until(&ran).await;
                match r % 3 {
                    0 => w.wake_by_ref(),
                    1 => {
                        let by_value = w.clone();
                        by_value.wake();
                    }
                    _ => {}
                }
                if r % 2 == 0 {
                    w.wake();
                } else {
                    kept.push(w);
                }
                gosched::yield_now().await;
                all_polls.push(polls);
            }
            // Wake the kept ones after more reuse.
            for w in kept.drain(..) {
                w.wake_by_ref();
                drop(w);
            }
            until_goroutines(1).await;
            all_polls
                .iter()
                .map(|p| p.load(Ordering::SeqCst))
                .collect::<Vec<_>>()
        })
        .unwrap();
    assert!(polls_total.iter().all(|&n| n == 1), "{polls_total:?}");
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), 2 * rounds);
}

/// As above with the kept wakers woken and dropped from other threads
/// while the runtime (two Ps) keeps reusing tasks.
#[test]
#[cfg_attr(miri, ignore)] // many threads; the single-threaded variant above runs under Miri
fn wakers_of_finished_tasks_woken_from_other_threads() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = 200;
    let d = drops.clone();
    let polls = rt
        .block_on(async move {
            let mut all = Vec::new();
            let mut threads = Vec::new();
            for _ in 0..rounds {
                let slot = Arc::new(Mutex::new(None));
                let polls = Arc::new(AtomicUsize::new(0));
                gosched::go(LeaksWaker {
                    slot: slot.clone(),
                    polls: polls.clone(),
                    _t: tracked(&d, false),
                });
                until_count(&polls, 1).await;
                let w = slot.lock().unwrap().take().unwrap();
                threads.push(std::thread::spawn(move || {
                    w.wake_by_ref();
                    let by_value = w.clone();
                    by_value.wake();
                    w.wake();
                }));
                // Meanwhile, more bodies (reusing whatever tasks are free).
                let ran = Arc::new(AtomicUsize::new(0));
                for _ in 0..4 {
                    let r2 = ran.clone();
                    let t = tracked(&d, false);
                    gosched::go(async move {
                        let _t = t;
                        gosched::yield_now().await;
                        r2.fetch_add(1, Ordering::SeqCst);
                    });
                }
                until_count(&ran, 4).await;
                all.push(polls);
            }
            for t in threads {
                t.join().unwrap();
            }
            for _ in 0..8 {
                gosched::yield_now().await;
            }
            all.iter()
                .map(|p| p.load(Ordering::SeqCst))
                .collect::<Vec<_>>()
        })
        .unwrap();
    assert!(polls.iter().all(|&n| n == 1), "{polls:?}");
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), 5 * rounds);
}

/// A body whose `Drop` spawns a `go` task (and a `spawn` one): the new
/// tasks run, and every body drops once. At shutdown, the same `Drop`
/// runs outside the runtime; its `go` panics ("outside a gosched
/// runtime"), which the teardown catches.
struct SpawnsOnDrop {
    _t: Tracked,
    spawned_ran: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
    depth: usize,
}
impl Drop for SpawnsOnDrop {
    fn drop(&mut self) {
        let ran = self.spawned_ran.clone();
        let t = tracked(&self.drops, false);
        let inner = (self.depth > 0).then(|| SpawnsOnDrop {
            _t: tracked(&self.drops, false),
            spawned_ran: self.spawned_ran.clone(),
            drops: self.drops.clone(),
            depth: self.depth - 1,
        });
        gosched::go(async move {
            let _t = t;
            let _inner = inner;
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
}

#[test]
fn a_body_whose_drop_spawns() {
    let drops = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::builder().procs(1).build().unwrap();
    let (d, r) = (drops.clone(), ran.clone());
    rt.block_on(async move {
        // Finishes at once: its body's Drop spawns a body holding the
        // next SpawnsOnDrop (depth 1, then 0), each spawning from its Drop.
        let s = SpawnsOnDrop {
            _t: tracked(&d, false),
            spawned_ran: r.clone(),
            drops: d.clone(),
            depth: 2,
        };
        gosched::go(async move {
            let _s = s;
        });
        until_count(&r, 3).await;
        for _ in 0..4 {
            gosched::yield_now().await;
        }
    })
    .unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    drop(rt);
    // Three SpawnsOnDrop (depth 2, 1, 0) and the three bodies they spawned.
    assert_eq!(drops.load(Ordering::SeqCst), 6);

    // At shutdown: a parked body whose Drop spawns.
    let drops = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::builder().procs(1).build().unwrap();
    let (d, r) = (drops.clone(), ran.clone());
    rt.block_on(async move {
        let s = SpawnsOnDrop {
            _t: tracked(&d, false),
            spawned_ran: r,
            drops: d.clone(),
            depth: 0,
        };
        let parked = Arc::new(AtomicBool::new(false));
        let p = parked.clone();
        gosched::go(async move {
            let _s = s;
            p.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        });
        until(&parked).await;
    })
    .unwrap();
    drop(rt);
    // The SpawnsOnDrop's own Tracked, and the Tracked its Drop made for a
    // body that `go` could not start (dropped with the panicking call).
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

/// Parks until its gate opens; counts its drops.
struct Gate {
    open: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}
impl Gate {
    fn new() -> Arc<Gate> {
        Arc::new(Gate {
            open: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
        })
    }
    fn wait(self: &Arc<Self>) -> GateWait {
        GateWait(self.clone())
    }
    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        for w in self.wakers.lock().unwrap().drain(..) {
            w.wake();
        }
    }
}
struct GateWait(Arc<Gate>);
impl Future for GateWait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.open.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        self.0.wakers.lock().unwrap().push(cx.waker().clone());
        Poll::Pending
    }
}

/// Spawns `n` parked `go` tasks behind `gate` from one call site; returns
/// that site's line.
fn go_parked(
    n: usize,
    gate: &Arc<Gate>,
    started: &Arc<AtomicUsize>,
    done: &Arc<AtomicUsize>,
    drops: &Arc<AtomicUsize>,
) -> u32 {
    let mut site = 0;
    for _ in 0..n {
        let w = gate.wait();
        let s = started.clone();
        let d = done.clone();
        let t = tracked(drops, false);
        site = Location::caller().line() + 1;
        gosched::go(async move {
            let _t = t;
            s.fetch_add(1, Ordering::SeqCst);
            w.await;
            d.fetch_add(1, Ordering::SeqCst);
        });
    }
    site
}

/// The goroutine count and the task dump see reused tasks as the new
/// tasks they are: live ones counted once, finished ones (waiting on a
/// free list) not at all, ids fresh, spawn sites the new ones.
#[test]
fn goroutine_count_and_dump_of_reused_tasks() {
    let rt = Arc::new(Runtime::builder().procs(1).build().unwrap());
    let drops = Arc::new(AtomicUsize::new(0));
    let n = if cfg!(miri) { 5 } else { 40 };
    let rt2 = rt.clone();
    let d = drops.clone();
    rt.block_on(async move {
        // Ids come from the P's cache of Go's `goidcache` batch, or from
        // the shared counter when the main future's P was retaken: unique,
        // not increasing, so check against every id seen before.
        let mut seen_ids: Vec<u64> = Vec::new();
        for round in 0..3 {
            let gate = Gate::new();
            let done = Arc::new(AtomicUsize::new(0));
            let started = Arc::new(AtomicUsize::new(0));
            let site = go_parked(n + round, &gate, &started, &done, &d);
            // Each task counts itself in its poll, before it parks; the
            // M that polled it may still be finishing that poll (a worker
            // runs while `block_on` polls this future), so wait for the
            // dump to show every task parked.
            until_count(&started, n + round).await;
            let all_parked = |d: &gosched::TaskDump| {
                d.tasks.iter().all(|t| {
                    let shown = t.to_string();
                    !shown.contains("[runnable") && !shown.contains("[running")
                })
            };
            let mut tries = 0;
            while !all_parked(&rt2.dump()) {
                tries += 1;
                assert!(tries < 100_000, "tasks never parked: {}", rt2.dump());
                gosched::yield_now().await;
            }
            assert_eq!(gosched::num_goroutine(), n + round + 1, "round {round}");
            let dump = rt2.dump();
            assert_eq!(dump.tasks.len(), n + round, "{dump}");
            let mut ids: Vec<u64> = dump.tasks.iter().map(|t| t.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n + round, "duplicate ids: {dump}");
            assert!(
                ids.iter().all(|id| !seen_ids.contains(id)),
                "a reused task kept an old id (seen {seen_ids:?}): {dump}"
            );
            seen_ids.extend_from_slice(&ids);
            for t in &dump.tasks {
                assert_eq!(t.spawned_at.line(), site, "{t}");
            }
            gate.open();
            until_count(&done, n + round).await;
            until_goroutines(1).await;
            assert!(rt2.dump().tasks.is_empty(), "{}", rt2.dump());
        }
    })
    .unwrap();
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), 3 * n + 3);
}

/// `spawn` reuses tasks that ran `go` bodies (their blocks unused), and
/// `go` reuses tasks that ran `spawn` bodies; results, aborts and panics
/// reach the handles; every body drops once.
#[test]
fn spawn_and_go_reuse_each_others_tasks() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let rounds = if cfg!(miri) { 2 } else { 20 };
    let d = drops.clone();
    rt.block_on(async move {
        for r in 0..rounds {
            let ran = Arc::new(AtomicUsize::new(0));
            for _ in 0..3 {
                let t = tracked(&d, false);
                let ran = ran.clone();
                let pad = [r as u8; 100];
                gosched::go(async move {
                    let _t = t;
                    ran.fetch_add(black_box(pad)[99] as usize + 1, Ordering::SeqCst);
                });
            }
            until_count(&ran, 3 * (r + 1)).await;
            // These reuse the three finished go tasks.
            let t = tracked(&d, false);
            let a = gosched::spawn(async move {
                let _t = t;
                r * 2
            });
            let t = tracked(&d, false);
            let b = gosched::spawn(async move {
                let _t = t;
                std::future::pending::<()>().await;
            });
            let t = tracked(&d, false);
            let c = gosched::spawn(async move {
                let _t = t;
                panic!("c");
            });
            // Aborted, and its future's Drop panics: a panic, not a cancel.
            let t = tracked(&d, true);
            let e = gosched::spawn(async move {
                let _t = t;
                std::future::pending::<()>().await;
            });
            gosched::yield_now().await;
            b.abort();
            e.abort();
            assert_eq!(a.await.unwrap(), r * 2);
            assert!(b.await.unwrap_err().is_cancelled());
            assert!(c.await.unwrap_err().is_panic());
            assert!(e.await.unwrap_err().is_panic());
        }
    })
    .unwrap();
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), 7 * rounds);
}

/// Tasks parked at shutdown, with bodies in reused blocks of several
/// sizes, some whose `Drop` panics: each body is dropped once.
#[test]
fn tasks_parked_at_shutdown_in_reused_blocks() {
    let drops = Arc::new(AtomicUsize::new(0));
    let n = if cfg!(miri) { 4 } else { 30 };
    let rt = Runtime::builder().procs(1).build().unwrap();
    let d = drops.clone();
    rt.block_on(async move {
        // Fill the free list with finished tasks holding blocks.
        let done = Arc::new(AtomicUsize::new(0));
        for i in 0..n {
            let t = tracked(&d, false);
            let dn = done.clone();
            let pad = [i as u8; 64];
            gosched::go(async move {
                let _t = t;
                dn.fetch_add(black_box(pad).len() / 64, Ordering::SeqCst);
            });
        }
        until_count(&done, n).await;
        // Reuse them for bodies that park forever.
        let parked = Arc::new(AtomicUsize::new(0));
        for i in 0..n {
            let t = tracked(&d, i % 3 == 0);
            let p = parked.clone();
            let pad = [i as u8; 24];
            let big = A128([i as u8; 8]);
            gosched::go(async move {
                let _t = t;
                p.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
                black_box((pad, big));
            });
        }
        until_count(&parked, n).await;
        // The first batch all DONE (its bodies dropped), the second parked.
        until_goroutines(n + 1).await;
        assert_eq!(d.load(Ordering::SeqCst), n);
    })
    .unwrap();
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), 2 * n);
}

/// Takes the last `Runtime` out of its slot and drops it, from a body's
/// `Drop` (so on one of the runtime's own threads, mid-poll).
struct DropsRuntime {
    slot: Arc<Mutex<Option<Runtime>>>,
    _t: Tracked,
}
impl Drop for DropsRuntime {
    fn drop(&mut self) {
        let rt = self.slot.lock().unwrap().take();
        drop(rt);
    }
}

/// A `go` body whose `Drop` drops the last `Runtime` while other `go`
/// bodies, in reused blocks, are parked: the teardown moves to a thread of
/// its own, and every body is still dropped exactly once.
#[test]
fn a_body_dropping_the_last_runtime_while_others_are_parked() {
    let drops = Arc::new(AtomicUsize::new(0));
    let slot = Arc::new(Mutex::new(Some(
        Runtime::builder().procs(1).build().unwrap(),
    )));
    let n = if cfg!(miri) { 3 } else { 20 };
    let parked = Arc::new(AtomicUsize::new(0));
    let (d, p, s) = (drops.clone(), parked.clone(), slot.clone());
    let setup = slot.lock().unwrap().as_ref().unwrap().spawn(async move {
        // Finished bodies first, so the parked ones reuse their blocks.
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..n {
            let t = tracked(&d, false);
            let dn = done.clone();
            gosched::go(async move {
                let _t = t;
                dn.fetch_add(1, Ordering::SeqCst);
            });
        }
        until_count(&done, n).await;
        for i in 0..n {
            let t = tracked(&d, i % 2 == 0);
            let p = p.clone();
            gosched::go(async move {
                let _t = t;
                p.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            });
        }
        until_count(&p, n).await;
        let last = DropsRuntime {
            slot: s,
            _t: tracked(&d, false),
        };
        gosched::go(async move {
            let _last = last;
        });
    });
    drop(setup);
    // The teardown thread cancels the parked bodies; wait for it.
    let want = 2 * n + 1;
    let mut waited = 0;
    while drops.load(Ordering::SeqCst) < want {
        waited += 1;
        assert!(
            waited < 20_000,
            "{} of {want} bodies dropped",
            drops.load(Ordering::SeqCst)
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(slot.lock().unwrap().is_none());
    assert_eq!(parked.load(Ordering::SeqCst), n);
    // Nothing is dropped twice afterwards.
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(drops.load(Ordering::SeqCst), want);
}
