//! Thousands of tasks over gochan's async operations, every message
//! counted; gocontext's `done()` awaited on the runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gochan::Chan;
use gosched::Runtime;

#[test]
#[cfg_attr(miri, ignore)]
fn thousands_of_tasks_over_channels_count_every_message() {
    for procs in [1, 2, 4] {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let (tasks, per) = (2000usize, 20usize);
        let got = rt
            .block_on(async move {
                // Unbuffered fan-in plus a buffered relay stage.
                let relay: Chan<usize> = Chan::new(16);
                let sink: Chan<usize> = Chan::new(0);
                for t in 0..tasks {
                    let relay = relay.clone();
                    gosched::go(async move {
                        for i in 0..per {
                            relay.send_async(t * per + i).await.unwrap();
                            if i % 7 == 0 {
                                gosched::yield_now().await;
                            }
                        }
                    });
                }
                let workers = 8;
                let left = Arc::new(AtomicUsize::new(tasks * per));
                for _ in 0..workers {
                    let (relay, sink, left) = (relay.clone(), sink.clone(), left.clone());
                    gosched::go(async move {
                        while left
                            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                            .is_ok()
                        {
                            let v = relay.recv_async().await.unwrap();
                            sink.send_async(v).await.unwrap();
                        }
                    });
                }
                let mut seen = vec![false; tasks * per];
                for _ in 0..tasks * per {
                    let v = sink.recv_async().await.unwrap();
                    assert!(!seen[v], "message {v} twice");
                    seen[v] = true;
                }
                seen.iter().filter(|s| **s).count()
            })
            .unwrap();
        assert_eq!(got, tasks * per, "procs = {procs}");
        gosched::leak::verify_none(&rt);
    }
}

#[test]
fn small_channel_exchange() {
    // Miri-sized: one P, a few tasks.
    let rt = Runtime::builder().procs(1).build().unwrap();
    let n = if cfg!(miri) { 8 } else { 200 };
    let sum = rt
        .block_on(async move {
            let c: Chan<usize> = Chan::new(0);
            for i in 0..n {
                let c = c.clone();
                gosched::go(async move { c.send_async(i).await.unwrap() });
            }
            let mut sum = 0;
            for _ in 0..n {
                sum += c.recv_async().await.unwrap();
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, n * (n - 1) / 2);
}

#[test]
#[cfg_attr(miri, ignore)]
fn context_done_awaited_on_runtime() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(async {
        let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
        let waiters: Vec<_> = (0..100)
            .map(|_| {
                let done = ctx.done();
                gosched::spawn(async move { done.recv_async().await })
            })
            .collect();
        gosched::sleep(Duration::from_millis(2)).await;
        cancel.cancel();
        for w in waiters {
            assert_eq!(w.await.unwrap(), None, "done is closed");
        }
        assert!(ctx.is_done());
        // A deadline context fires through gocontext's timer thread.
        let (ctx, _cancel) =
            gocontext::with_timeout(&gocontext::background(), Duration::from_millis(5));
        assert_eq!(ctx.done().recv_async().await, None);
        assert!(ctx.err().is_some());
    })
    .unwrap();
}
