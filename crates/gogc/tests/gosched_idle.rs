//! Mark workers on a `gosched` runtime (`HeapBuilder::gosched`): the
//! dedicated and fractional workers run on its Ps before their run queues
//! (no thread of the heap's own marks, no task), idle Ps mark while the runtime has nothing else to run and
//! give their P back when tasks arrive, a `Trace` panic on the runtime's
//! Ms is re-raised on the heap's owning thread, and the heap's drop waits
//! for the workers and unregisters them.
//!
//! Run: `cargo test -p gogc --features gosched --test gosched_idle`
#![cfg(all(feature = "gosched", not(miri)))] // gosched's threads are not run under Miri

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gogc::{Gc, GcCell, Heap, Phase, Trace, Tracer};

#[derive(Trace)]
struct Holder {
    items: GcCell<Vec<Gc<Slow>>>,
}

static SLOW_DROPS: AtomicUsize = AtomicUsize::new(0);

/// Scans made on mark worker threads of a heap's own: none with gosched.
static ON_HEAP_THREADS: AtomicUsize = AtomicUsize::new(0);

/// A 4 KiB object whose scan takes at least 50 µs, counting the scans
/// made on the runtime's Ms (by idle workers) in its test's counter.
struct Slow {
    on_idle_ps: &'static AtomicUsize,
    _payload: [u64; 511],
}

// SAFETY: no `Gc`s; visits nothing (it only waits).
unsafe impl Trace for Slow {
    fn trace(&self, _: &mut Tracer<'_>) {
        let thread = std::thread::current();
        if thread.name() == Some("gosched-m") {
            self.on_idle_ps.fetch_add(1, Ordering::Relaxed);
        }
        if thread
            .name()
            .is_some_and(|name| name.starts_with("gogc-mark"))
        {
            ON_HEAP_THREADS.fetch_add(1, Ordering::Relaxed);
        }
        std::thread::sleep(Duration::from_micros(50));
    }
}

impl Drop for Slow {
    fn drop(&mut self) {
        SLOW_DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// A runtime whose Ps are not handed off from a busy poll for a minute:
/// a task that spins keeps its P.
fn runtime(procs: usize) -> gosched::Runtime {
    gosched::Runtime::builder()
        .procs(procs)
        .retake_after(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A heap on `rt` holding `n` slow objects behind a rooted holder, with a
/// forced cycle started and every object queued for the workers (the
/// owning thread scans the root and the holder in small steps, unless the
/// workers end up with the holder and the whole mark first).
fn queued(rt: &gosched::Runtime, n: usize, on_idle_ps: &'static AtomicUsize) -> (Heap, Gc<Holder>) {
    let heap = Heap::builder().gosched(rt).gogc(None).build();
    let holder = heap.alloc(Holder {
        items: GcCell::new(Vec::new()),
    });
    let items: Vec<Gc<Slow>> = (0..n)
        .map(|_| {
            heap.alloc(Slow {
                on_idle_ps,
                _payload: [3; 511],
            })
        })
        .collect();
    holder.items.set(items);
    assert!(heap.start_cycle());
    while heap.phase() == Phase::Mark && heap.stats().current.marked_objects < n as u64 + 1 {
        heap.step(1);
    }
    (heap, holder)
}

fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn idle_ps_mark_while_the_runtime_has_nothing_to_run() {
    // Eight Ps: two dedicated workers (on Ps), and up to six idle workers
    // on the runtime's Ps, which have nothing else to do.
    static ON_IDLE_PS: AtomicUsize = AtomicUsize::new(0);
    let rt = runtime(8);
    let (heap, holder) = queued(&rt, 2000, &ON_IDLE_PS);
    eventually("idle marking", || ON_IDLE_PS.load(Ordering::Relaxed) > 0);
    while heap.phase() != Phase::Off {
        heap.step(1 << 16);
    }
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (8, 2));
    assert!(!last.fractional_worker);
    assert_eq!(last.marked_objects, 2001);
    assert!(last.idle_time > Duration::ZERO);
    assert_eq!(ON_HEAP_THREADS.load(Ordering::Relaxed), 0);
    // gctrace's idle CPU is the idle workers' time (third of
    // assist/background/idle), not zero.
    let line = last.gctrace().to_string();
    let cpu = line.split(" ms clock, ").nth(1).unwrap();
    let idle = cpu.split('/').nth(2).unwrap().split('+').next().unwrap();
    assert_ne!(idle, "0", "{line}");
    drop(holder);
}

#[test]
fn idle_workers_give_their_ps_back_when_tasks_arrive() {
    // Two Ps: no dedicated worker, a fractional goal, two idle workers.
    static ON_IDLE_PS: AtomicUsize = AtomicUsize::new(0);
    let rt = runtime(2);
    let (heap, holder) = queued(&rt, 4000, &ON_IDLE_PS);
    eventually("idle marking", || ON_IDLE_PS.load(Ordering::Relaxed) > 0);
    // Two tasks that spin until told to stop: they need both Ps, so the
    // idle workers must give them up.
    let started = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (started, release) = (Arc::clone(&started), Arc::clone(&release));
            rt.spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(20);
                while !release.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    eventually("both tasks running", || started.load(Ordering::SeqCst) == 2);
    // Both Ps run tasks that never return from their poll: no idle
    // worker marks, none starts, and no fractional worker either (it runs
    // only when a P's `schedule` asks for it).
    let during = ON_IDLE_PS.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(ON_IDLE_PS.load(Ordering::Relaxed), during);
    assert_eq!(heap.phase(), Phase::Mark);
    release.store(true, Ordering::SeqCst);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
    // With the tasks done the Ps are idle again and mark the rest.
    eventually("idle marking again", || {
        ON_IDLE_PS.load(Ordering::Relaxed) > during
    });
    let before = SLOW_DROPS.load(Ordering::Relaxed);
    drop(holder);
    drop(heap); // stops and waits for idle workers still marking
    assert_eq!(SLOW_DROPS.load(Ordering::Relaxed) - before, 4000);
}

/// Panics when traced on one of the runtime's Ms (an idle worker) while
/// armed.
struct Bomb;

static ARMED: AtomicBool = AtomicBool::new(false);
static EXPLOSIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: no `Gc`s; the panic comes before any visit.
unsafe impl Trace for Bomb {
    fn trace(&self, _: &mut Tracer<'_>) {
        let on_idle_p = std::thread::current().name() == Some("gosched-m");
        if on_idle_p && ARMED.load(Ordering::Relaxed) {
            EXPLOSIONS.fetch_add(1, Ordering::Relaxed);
            panic!("bomb traced by an idle worker");
        }
    }
}

#[derive(Trace)]
struct Bombs {
    items: GcCell<Vec<Gc<Bomb>>>,
}

#[test]
fn a_trace_panic_on_an_idle_p_is_reraised_on_the_owning_thread() {
    // Four Ps: one dedicated worker, idle workers on three Ps.
    let rt = runtime(4);
    let heap = Heap::builder().gosched(&rt).gogc(None).build();
    let bombs = heap.alloc(Bombs {
        items: GcCell::new(Vec::new()),
    });
    bombs
        .items
        .set((0..20_000).map(|_| heap.alloc(Bomb)).collect());
    ARMED.store(true, Ordering::Relaxed);
    assert!(heap.start_cycle());
    let mut reraised = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    while heap.phase() != Phase::Off {
        match catch_unwind(AssertUnwindSafe(|| heap.step(64))) {
            Ok(_) => {}
            Err(payload) => {
                let message = payload.downcast_ref::<&str>().copied();
                assert_eq!(message, Some("bomb traced by an idle worker"));
                reraised = true;
                ARMED.store(false, Ordering::Relaxed);
            }
        }
        if EXPLOSIONS.load(Ordering::Relaxed) == 0 && Instant::now() > deadline {
            // The dedicated worker and the owner took all the work: no idle
            // P traced a bomb. Nothing to check.
            ARMED.store(false, Ordering::Relaxed);
        }
    }
    ARMED.store(false, Ordering::Relaxed);
    assert_eq!(reraised, EXPLOSIONS.load(Ordering::Relaxed) > 0);
    // Every bomb is still there, marked, and none was lost.
    heap.collect();
    assert_eq!(bombs.items.borrow().len(), 20_000);
    assert_eq!(heap.stats().live_objects, 20_001);
    assert_eq!(heap.verify(), Ok(()));
}

#[test]
fn a_heap_dropped_mid_cycle_unregisters_its_idle_workers() {
    static ON_IDLE_PS: AtomicUsize = AtomicUsize::new(0);
    let rt = runtime(2);
    let (heap, holder) = queued(&rt, 500, &ON_IDLE_PS);
    let before = SLOW_DROPS.load(Ordering::Relaxed);
    drop(holder);
    drop(heap);
    assert_eq!(SLOW_DROPS.load(Ordering::Relaxed) - before, 500);
    // The runtime goes on without the heap's idle work.
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap().unwrap(), 5);
}

#[test]
fn dedicated_and_fractional_workers_run_on_the_ps_not_as_tasks() {
    static ON_IDLE_PS: AtomicUsize = AtomicUsize::new(0);
    // Six Ps: one dedicated and one fractional worker, run by the Ps'
    // `schedule` before their run queues: no task of the runtime.
    let rt = runtime(6);
    let (heap, holder) = queued(&rt, 1500, &ON_IDLE_PS);
    assert_eq!(rt.num_goroutine(), 0);
    while heap.phase() != Phase::Off {
        heap.step(1 << 12);
    }
    let last = heap.stats().last;
    assert_eq!((last.procs, last.dedicated_workers), (6, 1));
    assert!(last.fractional_worker);
    assert_eq!(last.marked_objects, 1501);
    assert!(last.worker_work > 0);
    assert!(ON_IDLE_PS.load(Ordering::Relaxed) > 0);
    assert_eq!(ON_HEAP_THREADS.load(Ordering::Relaxed), 0);
    assert_eq!(rt.num_goroutine(), 0);
    drop(holder);
    drop(heap);
    // The runtime goes on without the heap's workers.
    assert_eq!(rt.block_on(rt.spawn(async { 6 })).unwrap().unwrap(), 6);
}
