//! gocontext benches: cancellation trees, timers, value lookup, memory.
//!
//! Dimensions:
//! - `cancel tree 100k`: a tree of 100,000 cancellable contexts (fan-out 10,
//!   built untimed), time to cancel it from the root; gocontext vs
//!   `tokio_util::sync::CancellationToken` (child tokens). Also the build.
//! - `with_cancel+cancel 1M`: derive a child and cancel it, one million times
//!   (the request-scoped pattern).
//! - `timers create+stop 1M`: arm 1,000,000 one-hour timers, then stop them
//!   all (the heap grows to 1M and empties); gocontext `Timer::new` (with its
//!   channel) and `Timers::after_func`, vs tokio's timer wheel (`sleep`
//!   polled once so it registers, then dropped).
//! - `value depth 10`: `value` of the outermost key through 10 value contexts.
//! - `memory 1M children`: live bytes (CountingAlloc) above baseline after
//!   creating 1,000,000 children of one parent, and after cancelling them
//!   all (must be 0: memory returns to baseline).
//!
//! Go 1.19 runs the same workloads in `benches/go/gocontext`.

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context as TaskContext, Wake, Waker};
use std::time::Duration;

use gocontext::{background, with_cancel, with_value, CancelFunc, Context, Timer, Timers};
use gort_benches::{allocated_bytes, Better, CountingAlloc, Suite};
use tokio_util::sync::CancellationToken;

#[global_allocator]
static A: CountingAlloc = CountingAlloc;

const FANOUT: usize = 10;

/// A waker that does nothing (`Waker::noop` needs Rust 1.85; MSRV is 1.81).
struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// A tree of `n` contexts below a fresh root, breadth first, fan-out 10.
fn build_tree(n: usize) -> (CancelFunc, Vec<(Context, CancelFunc)>) {
    let (root, cancel) = with_cancel(&background());
    let mut all: Vec<(Context, CancelFunc)> = Vec::with_capacity(n);
    let mut parent_ix = 0usize;
    let mut parent = root;
    while all.len() < n {
        for _ in 0..FANOUT {
            if all.len() == n {
                break;
            }
            all.push(with_cancel(&parent));
        }
        parent = all[parent_ix].0.clone();
        parent_ix += 1;
    }
    (cancel, all)
}

fn build_tokio_tree(n: usize) -> (CancellationToken, Vec<CancellationToken>) {
    let root = CancellationToken::new();
    let mut all: Vec<CancellationToken> = Vec::with_capacity(n);
    let mut parent_ix = 0usize;
    let mut parent = root.clone();
    while all.len() < n {
        for _ in 0..FANOUT {
            if all.len() == n {
                break;
            }
            all.push(parent.child_token());
        }
        parent = all[parent_ix].clone();
        parent_ix += 1;
    }
    (root, all)
}

fn main() {
    let mut s = Suite::new("gocontext");
    let reps = if s.quick() { 2 } else { 5 };

    // --- cancel a tree
    let n = s.size(100_000, 20_000);
    let g = format!("cancel tree {}k", n / 1000);
    s.throughput(
        &g,
        "gocontext",
        n as u64,
        reps,
        || build_tree(n),
        |(c, all)| {
            c.cancel();
            assert!(all[n - 1].0.err().is_some());
            all
        },
    );
    s.throughput(
        &g,
        "tokio-util CancellationToken",
        n as u64,
        reps,
        || build_tokio_tree(n),
        |(root, all)| {
            root.cancel();
            assert!(all[n - 1].is_cancelled());
            all
        },
    );
    let g = format!("build tree {}k", n / 1000);
    s.throughput(&g, "gocontext", n as u64, reps, || (), |_| build_tree(n));
    s.throughput(
        &g,
        "tokio-util CancellationToken",
        n as u64,
        reps,
        || (),
        |_| build_tokio_tree(n),
    );

    // --- derive and cancel, one at a time
    let m = s.size(1_000_000, 100_000);
    let g = format!("with_cancel+cancel {}", label(m));
    let (parent, _pc) = with_cancel(&background());
    s.throughput(
        &g,
        "gocontext",
        m as u64,
        reps,
        || (),
        |_| {
            for _ in 0..m {
                let (c, cancel) = with_cancel(&parent);
                cancel.cancel();
                black_box(c);
            }
        },
    );
    let tparent = CancellationToken::new();
    s.throughput(
        &g,
        "tokio-util CancellationToken",
        m as u64,
        reps,
        || (),
        |_| {
            for _ in 0..m {
                let c = tparent.child_token();
                c.cancel();
                black_box(c);
            }
        },
    );

    // --- timers
    let t = s.size(1_000_000, 100_000);
    let g = format!("timers create+stop {}", label(t));
    let hour = Duration::from_secs(3600);
    s.throughput(
        &g,
        "gocontext Timer",
        t as u64,
        reps.min(3),
        || (),
        |_| {
            let ts: Vec<Timer> = (0..t).map(|_| Timer::new(hour)).collect();
            for x in &ts {
                assert!(x.stop());
            }
            ts
        },
    );
    s.throughput(
        &g,
        "gocontext after_func",
        t as u64,
        reps.min(3),
        || (),
        |_| {
            let timers = Timers::global();
            let hs: Vec<_> = (0..t).map(|_| timers.after_func(hour, || {})).collect();
            for h in &hs {
                assert!(h.stop());
            }
            hs
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    s.throughput(
        &g,
        "tokio sleep (wheel)",
        t as u64,
        reps.min(3),
        || (),
        |_| {
            let _e = rt.enter();
            let noop = Waker::from(Arc::new(Noop));
            let mut cx = TaskContext::from_waker(&noop);
            let mut v: Vec<_> = (0..t).map(|_| Box::pin(tokio::time::sleep(hour))).collect();
            for f in &mut v {
                assert!(f.as_mut().poll(&mut cx).is_pending()); // registers in the wheel
            }
            drop(v); // deregisters
        },
    );

    // --- value lookup
    let l = s.size(10_000_000, 1_000_000);
    #[derive(PartialEq)]
    struct K(u32);
    let mut ctx = background();
    for i in 0..10 {
        ctx = with_value(&ctx, K(i), i);
    }
    s.throughput(
        "value depth 10",
        "gocontext",
        l as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0u32;
            for _ in 0..l {
                acc = acc.wrapping_add(*black_box(&ctx).value::<_, u32>(black_box(&K(0))).unwrap());
            }
            acc
        },
    );

    // --- memory after creating and cancelling 1M children of one parent
    let c = s.size(1_000_000, 100_000);
    let g = format!("memory {} children", label(c));
    let (parent, _pc) = with_cancel(&background());
    let base = allocated_bytes();
    let kids: Vec<_> = (0..c).map(|_| with_cancel(&parent)).collect();
    let peak = allocated_bytes().saturating_sub(base);
    for (_, f) in &kids {
        f.cancel();
    }
    drop(kids);
    let after = allocated_bytes().saturating_sub(base);
    assert_eq!(parent.children_len(), 0);
    s.record(
        &format!("{g}: live bytes after cancel"),
        "gocontext",
        after as f64,
        "bytes",
        Better::Lower,
    );
    s.record(
        &format!("{g}: bytes per child (peak)"),
        "gocontext",
        peak as f64 / c as f64,
        "bytes",
        Better::Lower,
    );
    let tparent = CancellationToken::new();
    let base = allocated_bytes();
    let kids: Vec<_> = (0..c).map(|_| tparent.child_token()).collect();
    let peak = allocated_bytes().saturating_sub(base);
    for k in &kids {
        k.cancel();
    }
    drop(kids);
    let after = allocated_bytes().saturating_sub(base);
    s.record(
        &format!("{g}: live bytes after cancel"),
        "tokio-util CancellationToken",
        after as f64,
        "bytes",
        Better::Lower,
    );
    s.record(
        &format!("{g}: bytes per child (peak)"),
        "tokio-util CancellationToken",
        peak as f64 / c as f64,
        "bytes",
        Better::Lower,
    );

    s.finish();
}

fn label(n: usize) -> String {
    if n >= 1_000_000 {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1000)
    }
}
