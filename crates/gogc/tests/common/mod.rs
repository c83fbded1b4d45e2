//! Helpers shared by the integration tests: drop counting, small graphs, a
//! seeded random source and a watchdog.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gogc::{Gc, GcCell, Trace, Tracer};

/// Counts its drops in a shared counter (heapless' `droppable!`).
pub struct Counted {
    pub drops: Rc<Cell<usize>>,
    pub panic_on_drop: bool,
}

impl Counted {
    pub fn new(drops: &Rc<Cell<usize>>) -> Counted {
        Counted {
            drops: drops.clone(),
            panic_on_drop: false,
        }
    }

    pub fn panicking(drops: &Rc<Cell<usize>>) -> Counted {
        Counted {
            drops: drops.clone(),
            panic_on_drop: true,
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
        if self.panic_on_drop {
            panic!("Counted: panic on drop");
        }
    }
}

// SAFETY: holds no `Gc`; `trace` visits nothing.
unsafe impl Trace for Counted {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

/// A graph node with a label, a drop counter and mutable edges.
#[derive(gogc_derive::Trace)]
pub struct Node {
    pub label: u32,
    pub counted: Counted,
    pub edges: GcCell<Vec<Gc<Node>>>,
}

pub fn node(heap: &gogc::Heap, label: u32, drops: &Rc<Cell<usize>>) -> Gc<Node> {
    heap.alloc(Node {
        label,
        counted: Counted::new(drops),
        edges: GcCell::new(Vec::new()),
    })
}

pub fn link(from: &Gc<Node>, to: &Gc<Node>) {
    let mut edges = from.edges.take();
    edges.push(to.clone());
    from.edges.set(edges);
}

pub fn unlink_all(from: &Gc<Node>) {
    from.edges.set(Vec::new());
}

/// All four barriers.
pub const BARRIERS: [gogc::Barrier; 4] = [
    gogc::Barrier::Dijkstra,
    gogc::Barrier::Yuasa,
    gogc::Barrier::Hybrid,
    gogc::Barrier::None,
];

/// xorshift64: a seeded, reproducible source for the stress and hostile
/// tests (the seed must not be zero).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Aborts the process with `what` if the returned guard is not dropped
/// within `limit` (a hang is a failure, not a stuck CI job).
pub struct Watchdog(Arc<AtomicBool>);

pub fn watchdog(what: &'static str, limit: Duration) -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&done);
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            if seen.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("watchdog: {what} hung for {limit:?}");
        std::process::abort();
    });
    Watchdog(done)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// `procs` user tasks that yield to each other without ever parking, on a
/// runtime of `procs` Ps, until `release` (no P is ever idle, so no idle
/// worker runs).
#[cfg(feature = "gosched")]
pub fn busy_runtime(
    procs: usize,
) -> (
    gosched::Runtime,
    Arc<AtomicBool>,
    Vec<gosched::JoinHandle<()>>,
) {
    let rt = gosched::Runtime::builder().procs(procs).build().unwrap();
    let release = Arc::new(AtomicBool::new(false));
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks = (0..procs)
        .map(|_| {
            let (release, started) = (Arc::clone(&release), Arc::clone(&started));
            rt.spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(30);
                while !release.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let spin = Instant::now();
                    while spin.elapsed() < Duration::from_micros(20) {
                        std::hint::spin_loop();
                    }
                    gosched::yield_now().await;
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while started.load(Ordering::SeqCst) < procs {
        assert!(Instant::now() < deadline, "user tasks did not start");
        std::thread::sleep(Duration::from_millis(1));
    }
    (rt, release, tasks)
}
