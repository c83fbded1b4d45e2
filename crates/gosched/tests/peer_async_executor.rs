//! Scenarios of smol-rs/async-executor's tests (`tests/drop.rs`,
//! `panic_prop.rs`, `larger_tasks.rs`, `different_executors.rs`,
//! `spawn_many.rs`) re-written against gosched's API.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use gosched::Runtime;

fn rt(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// Calls its function when dropped.
struct CallOnDrop<F: Fn()>(F);
impl<F: Fn()> Drop for CallOnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// Waits (from a plain thread) until `cond` holds, for at most 10 s.
fn wait_until(cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "condition never held"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Polls a future to completion on a plain thread.
fn block_on_plain<F: Future>(f: F) -> F::Output {
    struct ThreadWake(std::thread::Thread);
    impl Wake for ThreadWake {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWake(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    let start = Instant::now();
    loop {
        if let Poll::Ready(v) = Pin::as_mut(&mut f).poll(&mut cx) {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never completed");
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

// drop.rs: executor_cancels_everything: a task parked on a stored waker is
// dropped once with the runtime; its handle then reports the cancellation
// (async-executor's panics) without dropping anything again.
#[test]
fn runtime_drop_cancels_everything_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
    let rt = rt(1);
    let task = {
        let (drops, waker) = (drops.clone(), waker.clone());
        rt.spawn(async move {
            let _guard = CallOnDrop(move || {
                drops.fetch_add(1, Ordering::SeqCst);
            });
            std::future::poll_fn(|cx| {
                *waker.lock().unwrap() = Some(cx.waker().clone());
                Poll::<()>::Pending
            })
            .await;
        })
    };
    wait_until(|| waker.lock().unwrap().is_some());
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(rt);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(block_on_plain(task).unwrap_err().is_cancelled());
    // The stored waker outlives it all and may still be woken.
    waker.lock().unwrap().take().unwrap().wake();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

// drop.rs: await_task_after_dropping_executor: a finished task's result
// is still there after the runtime is gone.
#[test]
fn await_finished_task_after_dropping_runtime() {
    let rt = rt(1);
    let s: String = "hello".into();
    let task = rt.spawn(async move { s });
    wait_until(|| task.is_finished());
    drop(rt);
    assert_eq!(block_on_plain(task).unwrap(), "hello");
}

// drop.rs: drop_executor_and_then_drop_finished_task,
// drop_finished_task_and_then_drop_executor: a finished task's output is
// dropped with its handle, once, whichever goes first.
#[test]
fn finished_output_is_dropped_with_its_handle() {
    for runtime_first in [true, false] {
        let drops = Arc::new(AtomicUsize::new(0));
        let rt = rt(1);
        let task = {
            let drops = drops.clone();
            rt.spawn(async move {
                CallOnDrop(move || {
                    drops.fetch_add(1, Ordering::SeqCst);
                })
            })
        };
        wait_until(|| task.is_finished());
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        if runtime_first {
            drop(rt);
            assert_eq!(drops.load(Ordering::SeqCst), 0, "the handle owns it");
            drop(task);
            assert_eq!(drops.load(Ordering::SeqCst), 1);
        } else {
            drop(task);
            assert_eq!(drops.load(Ordering::SeqCst), 1);
            drop(rt);
            assert_eq!(drops.load(Ordering::SeqCst), 1);
        }
    }
}

// panic_prop.rs: test_panic_propagation: running the runtime does not
// panic; the handle reports the panic with its payload.
#[test]
fn panic_propagates_to_the_handle_only() {
    let rt = rt(1);
    let task = rt.spawn(async { panic!("should be caught by the task") });
    let err = rt.block_on(task).unwrap().unwrap_err();
    assert!(err.is_panic());
    let msg = err.into_panic();
    assert_eq!(
        *msg.downcast::<&str>().unwrap(),
        "should be caught by the task"
    );
    // The worker survived.
    assert_eq!(
        rt.block_on(async { gosched::spawn(async { 1 }).await })
            .unwrap()
            .unwrap(),
        1
    );
}

// larger_tasks.rs: futures with large state, spawned from the runtime and
// from other threads, run to completion.
#[test]
fn larger_tasks() {
    const TASKS: usize = if cfg!(miri) { 4 } else { 100 };
    const SIZE: usize = if cfg!(miri) { 1024 } else { 64 * 1024 };
    let rt = Arc::new(rt(2));
    let big = |seed: usize| async move {
        let mut state = [0u8; SIZE];
        state[seed % SIZE] = seed as u8;
        gosched::yield_now().await;
        state.iter().map(|&b| b as usize).sum::<usize>()
    };
    let sum = rt
        .block_on(async move {
            let hs: Vec<_> = (0..TASKS).map(|i| gosched::spawn(big(i))).collect();
            let mut sum = 0;
            for h in hs {
                sum += h.await.unwrap();
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, (0..TASKS).map(|i| i % 256).sum::<usize>());
    let rt2 = rt.clone();
    let hs = std::thread::spawn(move || (0..TASKS).map(|i| rt2.spawn(big(i))).collect::<Vec<_>>())
        .join()
        .unwrap();
    let mut sum = 0;
    for h in hs {
        sum += rt.block_on(h).unwrap().unwrap();
    }
    assert_eq!(sum, (0..TASKS).map(|i| i % 256).sum::<usize>());
}

// different_executors.rs: shared_queue_slot: a task spawned on one runtime
// never runs on another runtime's threads.
#[test]
fn tasks_stay_on_their_runtime() {
    let rt1 = rt(1);
    let rt2 = rt(1);
    let (tx, rx) = mpsc::channel();
    let t = rt1.spawn(async move {
        tx.send(std::thread::current().id()).unwrap();
    });
    let ran_on = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    rt2.block_on(t).unwrap().unwrap();
    // rt2's threads are not the thread rt1's task ran on.
    let on2 = rt2
        .block_on(async { gosched::spawn(async { std::thread::current().id() }).await })
        .unwrap()
        .unwrap();
    assert_ne!(on2, ran_on);
    // Inside a task of a runtime, `spawn` goes to that runtime: the
    // spawned task counts among its goroutines, not the other's.
    // (A finished task leaves the count just after its handle has the
    // result, as a Go goroutine leaves NumGoroutine after its last send.)
    wait_until(|| rt2.num_goroutine() == 0);
    let counts = rt1
        .block_on(async {
            let h = gosched::spawn(std::future::pending::<()>());
            let counts = (gosched::num_goroutine(), rt2.num_goroutine());
            h.abort();
            assert!(h.await.unwrap_err().is_cancelled());
            counts
        })
        .unwrap();
    assert_eq!(counts, (2, 0));
}

// spawn_many.rs: many tasks spawned in one go, from a task, all run once.
#[test]
fn spawn_many() {
    const N: usize = if cfg!(miri) { 50 } else { 100_000 };
    let rt = rt(2);
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    rt.block_on(async move {
        let hs: Vec<_> = (0..N)
            .map(|_| {
                let c = c.clone();
                gosched::spawn(async move {
                    c.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(count.load(Ordering::Relaxed), N);
}
