//! A `go` task's body lives in a block the task keeps on the free list, and
//! the next `go` that reuses the task writes its body there (as Go reuses
//! a dead `g`'s stack): bodies of every size and alignment run once and
//! drop once, a `Drop` that panics leaves the block reusable, and a task
//! still parked at shutdown drops its body.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use common::Tracked;
use gosched::Runtime;

#[repr(align(64))]
struct Aligned64([u8; 64]);

/// What one `go` task saw: where its captured payload was, and the sum of
/// its bytes.
#[derive(Default)]
struct Seen {
    addr: AtomicUsize,
    sum: AtomicUsize,
    done: AtomicBool,
}

/// Spawns a `go` task capturing `N` bytes of `fill` and a drop counter,
/// then yields until it has run (one P: the task runs on this thread, and
/// has exited, its allocation on the free list, when the flag is seen).
async fn go_and_wait<const N: usize>(fill: u8, drops: &Arc<AtomicUsize>, panic: bool) -> Arc<Seen> {
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let tracked = Tracked {
        drops: drops.clone(),
        panic_on_drop: panic,
    };
    let payload = [fill; N];
    gosched::go(async move {
        let _tracked = tracked;
        s.addr
            .store(core::ptr::addr_of!(payload) as usize, Ordering::SeqCst);
        let sum = black_box(&payload).iter().map(|&b| b as usize).sum();
        s.sum.store(sum, Ordering::SeqCst);
        s.done.store(true, Ordering::SeqCst);
    });
    while !seen.done.load(Ordering::SeqCst) {
        gosched::yield_now().await;
    }
    seen
}

#[test]
fn go_bodies_of_every_size_run_and_drop_once() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let a = go_and_wait::<8>(1, &drops, false).await;
        assert_eq!(a.sum.load(Ordering::SeqCst), 8);
        // Same type, the allocation just freed: the same block. (Only
        // natively: Miri's thread interleaving may run this `go` on the
        // `block_on` thread before the M has put the finished task on its
        // free list, and the new task then gets a fresh block.)
        let b = go_and_wait::<8>(2, &drops, false).await;
        assert_eq!(b.sum.load(Ordering::SeqCst), 16);
        if !cfg!(miri) {
            assert_eq!(a.addr.load(Ordering::SeqCst), b.addr.load(Ordering::SeqCst));
        }
        // Larger than the block: a new one; then larger than any kept
        // block; then small again.
        let c = go_and_wait::<300>(3, &drops, false).await;
        assert_eq!(c.sum.load(Ordering::SeqCst), 900);
        let d = go_and_wait::<4000>(1, &drops, false).await;
        assert_eq!(d.sum.load(Ordering::SeqCst), 4000);
        let e = go_and_wait::<16>(5, &drops, false).await;
        assert_eq!(e.sum.load(Ordering::SeqCst), 80);
    })
    .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn over_aligned_go_bodies_are_aligned_in_reused_blocks() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        for round in 0..3u8 {
            // A small body first, so the next one may reuse its block.
            go_and_wait::<8>(round, &Arc::new(AtomicUsize::new(0)), false).await;
            let done = Arc::new(AtomicBool::new(false));
            let d = done.clone();
            let aligned = Aligned64([round; 64]);
            gosched::go(async move {
                let at = core::ptr::addr_of!(aligned) as usize;
                assert_eq!(at % 64, 0, "over-aligned capture at {at:#x}");
                assert_eq!(black_box(&aligned.0)[63], round);
                d.store(true, Ordering::SeqCst);
            });
            while !done.load(Ordering::SeqCst) {
                gosched::yield_now().await;
            }
        }
    })
    .unwrap();
}

#[test]
fn a_panicking_drop_leaves_the_block_reusable() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let a = go_and_wait::<32>(1, &drops, true).await;
        assert_eq!(a.sum.load(Ordering::SeqCst), 32);
        let b = go_and_wait::<32>(2, &drops, false).await;
        assert_eq!(b.sum.load(Ordering::SeqCst), 64);
        let c = go_and_wait::<32>(3, &drops, true).await;
        assert_eq!(c.sum.load(Ordering::SeqCst), 96);
    })
    .unwrap();
    // Each body dropped exactly once (a panicking drop counts once too).
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

/// Pending until its flag is set; keeps a drop counter.
struct Parked {
    _tracked: Tracked,
    polled: Arc<AtomicBool>,
}
impl Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        self.polled.store(true, Ordering::SeqCst);
        Poll::Pending
    }
}

#[test]
fn a_go_body_parked_at_shutdown_is_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    for panic_on_drop in [false, true] {
        let rt = Runtime::builder().procs(1).build().unwrap();
        let polled = Arc::new(AtomicBool::new(false));
        let p = polled.clone();
        let d = drops.clone();
        rt.block_on(async move {
            // Reuse a finished task's block for the parked one.
            go_and_wait::<8>(0, &d, false).await;
            gosched::go(Parked {
                _tracked: Tracked {
                    drops: d,
                    panic_on_drop,
                },
                polled: p,
            });
            while !polled.load(Ordering::SeqCst) {
                gosched::yield_now().await;
            }
        })
        .unwrap();
        drop(rt);
    }
    // Two finished bodies and two parked ones, each dropped once.
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}
