//! A task spawned with a `JoinHandle` is finished by the last of its exit
//! and its handle's drop (T6 in `task.rs`): the handle puts it on the
//! runtime's global free list, from which a spawn from outside the runtime
//! reuses it (Go's `gfput`/`gfget` of a dead `g`). Results are delivered
//! and dropped exactly once whichever side comes last, a result whose
//! `Drop` panics still frees the task, and a handle that outlives its
//! runtime leaves nothing behind (Miri checks for leaks).

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{eventually, Tracked};
use gosched::{JoinHandle, Runtime};

/// Waits until `h`'s task has run to the end, its P went idle (one P) and
/// every worker M is parked: the task's exit was done, and no M still holds
/// the task (a P that sysmon took from an M still finishing the task's poll
/// is idle before that M lets the task go, which would keep the handle's
/// drop from reusing it), before the caller drops the handle.
fn wait_exited<T>(rt: &Runtime, h: &JoinHandle<T>) {
    eventually("the task finished, its P and every M went idle", || {
        let stats = rt.stats();
        h.is_finished() && stats.idle_procs == 1 && stats.idle_threads == stats.threads
    });
}

#[test]
fn a_handle_dropped_after_the_exit_frees_the_task_for_a_remote_spawn() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let h = rt.spawn(async { 7 });
    wait_exited(&rt, &h);
    // Finished, its handle alive: not counted as live, not yet free.
    let stats = rt.stats();
    assert_eq!(stats.tasks, 0);
    assert_eq!(stats.free_tasks_global, 0);
    let first_id = h.id().unwrap();
    assert_eq!(rt.block_on(h).unwrap().unwrap(), 7);
    assert_eq!(rt.stats().free_tasks_global, 1);

    // The next remote spawn takes it (with a new id) and gives it back.
    let h = rt.spawn(async { 8 });
    assert_eq!(rt.stats().free_tasks_global, 0);
    assert_ne!(h.id().unwrap(), first_id);
    wait_exited(&rt, &h);
    assert_eq!(rt.block_on(h).unwrap().unwrap(), 8);
    assert_eq!(rt.stats().free_tasks_global, 1);
}

#[test]
fn a_handle_dropped_before_the_exit_leaves_the_task_to_its_p() {
    // Sysmon never takes the P during a poll here: an exit that lost its
    // P goes to the global list instead (the next test).
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    let go_on = Arc::new(AtomicBool::new(false));
    let flag = go_on.clone();
    let h = rt.spawn(async move {
        while !flag.load(Ordering::SeqCst) {
            gosched::yield_now().await;
        }
        1
    });
    drop(h);
    go_on.store(true, Ordering::SeqCst);
    // The exit is the last side: the task goes on its P's own list.
    eventually("the task finished and went on its P's list", || {
        let stats = rt.stats();
        stats.tasks == 0 && stats.procs[0].free_tasks == 1
    });
    assert_eq!(rt.stats().free_tasks_global, 0);
}

/// An exit on an M whose P sysmon took during the task's last poll (a
/// poll that blocks its thread, Go's syscall rule) still frees the task:
/// it goes on the global list, and a remote spawn reuses it (Go's
/// `goexit0` always has its P, so its `g` is never lost to reuse).
#[test]
fn an_exit_whose_p_sysmon_took_puts_the_task_on_the_global_list() {
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_micros(100))
        .record_events(true)
        .build()
        .unwrap();
    let in_poll = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let (entered, go_on) = (in_poll.clone(), release.clone());
    let h = rt.spawn(async move {
        // One poll that blocks its M until the test lets it go.
        entered.store(true, Ordering::SeqCst);
        while !go_on.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        2
    });
    let first_id = h.id().unwrap();
    drop(h);
    eventually("the task is in its poll", || in_poll.load(Ordering::SeqCst));
    let retaken = std::cell::Cell::new(false);
    eventually("sysmon took the P from the blocked poll", || {
        let now = rt
            .take_events()
            .iter()
            .any(|e| matches!(e, gosched::Event::Retake { p: 0 }));
        retaken.set(retaken.get() || now);
        retaken.get()
    });
    release.store(true, Ordering::SeqCst);
    eventually("the task finished and went on the global list", || {
        let stats = rt.stats();
        stats.tasks == 0 && stats.free_tasks_global == 1
    });
    assert_eq!(rt.stats().procs[0].free_tasks, 0);
    // The next remote spawn takes it.
    let h = rt.spawn(async { 3 });
    assert_eq!(rt.stats().free_tasks_global, 0);
    assert_ne!(h.id().unwrap(), first_id);
    assert_eq!(rt.block_on(h).unwrap().unwrap(), 3);
}

#[test]
fn a_result_dropped_unread_with_a_panicking_drop_still_frees_the_task() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let h = rt.spawn(async move {
        Tracked {
            drops: d,
            panic_on_drop: true,
        }
    });
    wait_exited(&rt, &h);
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(h)));
    assert!(
        dropped.is_err(),
        "the result's Drop panicked through drop(h)"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(rt.stats().free_tasks_global, 1);
    // The task is reusable.
    assert_eq!(rt.block_on(rt.spawn(async { 3 })).unwrap().unwrap(), 3);
}

#[test]
fn an_aborted_task_is_reused_after_its_handle_goes() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let h = rt.spawn(std::future::pending::<()>());
    h.abort();
    wait_exited(&rt, &h);
    assert!(rt.block_on(h).unwrap().unwrap_err().is_cancelled());
    assert_eq!(rt.stats().free_tasks_global, 1);
    assert_eq!(rt.block_on(rt.spawn(async { 4 })).unwrap().unwrap(), 4);
}

#[test]
fn handles_that_outlive_their_runtime_free_everything() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::builder().procs(1).build().unwrap();
    let d = drops.clone();
    let finished = rt.spawn(async move {
        Tracked {
            drops: d,
            panic_on_drop: false,
        }
    });
    wait_exited(&rt, &finished);
    let parked = rt.spawn(std::future::pending::<()>());
    drop(rt);
    // The finished task's exit left it to its handle; the parked one was
    // cancelled by the teardown. Neither goes to a free list now.
    drop(finished);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(parked);
}

/// Rounds of remote spawns whose handles are awaited, dropped unread or
/// aborted, on 2 Ps: every value arrives or is dropped exactly once, and
/// no task stays alive.
#[test]
fn rounds_of_remote_spawns_deliver_and_drop_every_result_once() {
    let (rounds, per_round) = if cfg!(miri) { (3, 20) } else { (20, 1_000) };
    let rt = Runtime::builder().procs(2).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut received = 0usize;
    for round in 0..rounds {
        let handles: Vec<_> = (0..per_round)
            .map(|i| {
                // Moved in, so it drops once whether the future or its
                // result is dropped.
                let tracked = Tracked {
                    drops: drops.clone(),
                    panic_on_drop: false,
                };
                rt.spawn(async move {
                    if i % 7 == 0 {
                        gosched::yield_now().await;
                    }
                    (i, tracked)
                })
            })
            .collect();
        let sum = rt
            .block_on(async move {
                let mut sum = 0;
                for (i, h) in handles.into_iter().enumerate() {
                    match i % 3 {
                        0 => drop(h),
                        1 => {
                            let (v, _t) = h.await.unwrap();
                            sum += v;
                        }
                        _ => {
                            h.abort();
                            if let Ok((v, _t)) = h.await {
                                sum += v;
                            }
                        }
                    }
                }
                sum
            })
            .unwrap();
        received += sum;
        let expected_at_least: usize = (0..per_round).filter(|i| i % 3 == 1).sum();
        assert!(sum >= expected_at_least, "round {round}: {sum}");
        eventually("every result of the round dropped", || {
            drops.load(Ordering::SeqCst) == (round + 1) * per_round
        });
    }
    assert!(received > 0);
    eventually("no task alive", || rt.stats().tasks == 0);
}

#[repr(align(64))]
struct Aligned64([u8; 64]);

/// Bodies of several sizes and alignments, spawned with handles from
/// outside and from inside the runtime, reuse each other's tasks (and
/// blocks, when they fit): every future runs once and every result and
/// captured value drops once, whether the handle reads the result or is
/// dropped before the task ends.
#[test]
fn joined_bodies_of_every_size_deliver_and_drop_once() {
    let rounds = if cfg!(miri) { 2 } else { 20 };
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let tracked = || Tracked {
        drops: drops.clone(),
        panic_on_drop: false,
    };
    for r in 0..rounds {
        let small = [1u8; 8];
        let big = [2u8; 600];
        let aligned = Aligned64([3u8; 64]);
        let (t1, t2, t3) = (tracked(), tracked(), tracked());
        let h1 = rt.spawn(async move {
            let _t = t1;
            small.iter().map(|&b| b as usize).sum::<usize>()
        });
        let h2 = rt.spawn(async move {
            let _t = t2;
            big.iter().map(|&b| b as usize).sum::<usize>()
        });
        let h3 = rt.spawn(async move {
            let _t = t3;
            assert_eq!(core::ptr::addr_of!(aligned) as usize % 64, 0);
            aligned.0.iter().map(|&b| b as usize).sum::<usize>()
        });
        let (t4, t5) = (tracked(), tracked());
        let (a, b, c, d) = rt
            .block_on(async move {
                // From inside, one read and one dropped before it runs.
                let inner = gosched::spawn(async move { (7usize, t4) });
                let dropped = gosched::spawn(async move { (9usize, t5) });
                drop(dropped);
                let (d, _t) = inner.await.unwrap();
                (h1.await.unwrap(), h2.await.unwrap(), h3.await.unwrap(), d)
            })
            .unwrap();
        assert_eq!((a, b, c, d), (8, 1200, 192, 7));
        eventually("every value of the round dropped", || {
            drops.load(Ordering::SeqCst) == (r + 1) * 5
        });
    }
    eventually("no task alive", || rt.stats().tasks == 0);
}
