//! Hostile runs of the workers' credit hand-off and work sharing (W5 in
//! `world.rs`, `GcWork::balance`): long lists (one grey object at a time,
//! so the owner's assists park for the credit of lock-free flushes) and
//! small fans (a worker's few grey objects, shared when the shared list is
//! empty), mutated while the owner allocates, with 1 to 4 dedicated
//! workers and `procs(1..=4)` (a fractional worker that sleeps through
//! publishes), the `gccheckmark`-style re-mark at every mark termination,
//! and the invariant checker between steps; traces that panic on the
//! workers while the owner is parked. A watchdog aborts a hung run.
//!
//! Runs for `GOGC_CREDIT_SECS` seconds in all (default 8). Miri runs the
//! short variant.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use common::{watchdog, Rng};
use gogc::{CycleStats, Gc, GcCell, Heap, Phase, Trace, Tracer};

/// Nanoseconds each `Link` trace spins while not 0.
static TRACE_NANOS: AtomicU64 = AtomicU64::new(0);
/// While set, every `PANIC_EVERY`-th `Link` trace on a worker panics.
static PANIC_ARMED: AtomicBool = AtomicBool::new(false);
static TRACES: AtomicUsize = AtomicUsize::new(0);
static WORKER_PANICS: AtomicUsize = AtomicUsize::new(0);
const PANIC_EVERY: usize = 997;
/// The tests share the statics above: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn checksum(id: u64) -> u64 {
    id.rotate_left(23) ^ 0x0123_4567_89AB_CDEF
}

/// A list node: a slow trace (when asked) that may panic on a worker.
struct Link {
    id: u64,
    check: u64,
    next: GcCell<Option<Gc<Link>>>,
}

// SAFETY: `trace` visits the one `Gc` the node holds, through its cell;
// the spin and the panic touch no heap state (the counters are the
// test's own), and the panic comes after the visit.
unsafe impl Trace for Link {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        let nanos = TRACE_NANOS.load(Relaxed);
        if nanos > 0 {
            let started = Instant::now();
            while started.elapsed() < Duration::from_nanos(nanos) {
                std::hint::spin_loop();
            }
        }
        self.next.trace(tracer);
        if PANIC_ARMED.load(Relaxed)
            && TRACES.fetch_add(1, Relaxed) % PANIC_EVERY == 0
            && std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("gogc-mark"))
        {
            WORKER_PANICS.fetch_add(1, Relaxed);
            panic!("link trace");
        }
    }
}

/// A few grey children at once: what `balance` splits.
#[derive(Trace)]
struct Fan {
    id: u64,
    check: u64,
    kids: GcCell<Vec<Gc<Link>>>,
}

/// Keeps the test's own trace panics (hundreds per run) off stderr; every
/// other panic still prints.
fn quiet_link_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"link trace") {
                default(info);
            }
        }));
    });
}

/// How the heap gets its workers.
#[derive(Clone, Copy, Debug)]
enum Workers {
    Dedicated(usize),
    Procs(u32),
}

struct Graph {
    lists: Vec<Gc<Link>>,
    fans: Vec<Gc<Fan>>,
    next_id: u64,
}

impl Graph {
    fn link(&mut self, heap: &Heap, next: Option<Gc<Link>>) -> Gc<Link> {
        self.next_id += 1;
        heap.alloc(Link {
            id: self.next_id,
            check: checksum(self.next_id),
            next: GcCell::new(next),
        })
    }

    fn list(&mut self, heap: &Heap, len: usize) -> Gc<Link> {
        let mut head = self.link(heap, None);
        for _ in 1..len {
            head = self.link(heap, Some(head));
        }
        head
    }

    fn fan(&mut self, heap: &Heap, kids: usize) -> Gc<Fan> {
        let kids = (0..kids).map(|_| self.link(heap, None)).collect();
        self.next_id += 1;
        heap.alloc(Fan {
            id: self.next_id,
            check: checksum(self.next_id),
            kids: GcCell::new(kids),
        })
    }

    /// Checks every reachable object; returns how many there are.
    fn check(&self) -> usize {
        let mut seen = std::collections::HashSet::new();
        let mut links: Vec<Gc<Link>> = self.lists.clone();
        for fan in &self.fans {
            assert_eq!(fan.check, checksum(fan.id), "a fan was corrupted");
            seen.insert(Gc::as_ptr(fan) as usize);
            links.extend(fan.kids.get());
        }
        while let Some(link) = links.pop() {
            assert_eq!(link.check, checksum(link.id), "a link was corrupted");
            if seen.insert(Gc::as_ptr(&link) as usize) {
                links.extend(link.next.get());
            }
        }
        seen.len()
    }
}

/// What a run saw, summed over the cycles it looked at.
#[derive(Default, Debug)]
struct Seen {
    ops: u64,
    cycles: u64,
    parks: u64,
    park_credit: u64,
    worker_work: u64,
    caught: usize,
}

impl Seen {
    fn cycle(&mut self, last: &CycleStats) {
        // Credit is the workers' scan work of the cycle: a parked assist
        // can never take more than they did.
        assert!(
            last.assist_park_credit <= last.worker_work,
            "credit made up: {last:?}"
        );
        assert!(last.assist_park_time <= last.assist_time, "{last:?}");
        assert_eq!(last.lost_objects, 0);
        self.parks += last.assist_parks;
        self.park_credit += last.assist_park_credit;
        self.worker_work += last.worker_work;
    }
}

/// Mutates lists and fans while allocating garbage (assists, parks) for
/// `duration` or `max_ops`, the traces slow in stretches; with `panics`,
/// worker traces panic now and then and every re-raised panic is caught.
fn run(workers: Workers, duration: Duration, max_ops: u64, seed: u64, panics: bool) -> Seen {
    let builder =
        Heap::builder()
            .checkmark(true)
            .min_heap(if cfg!(miri) { 4 << 10 } else { 64 << 10 });
    let heap = match workers {
        Workers::Dedicated(n) => builder.mark_workers(n),
        Workers::Procs(p) => builder.procs(p),
    }
    .build();
    let (nlists, len, nfans) = if cfg!(miri) {
        (2, 20, 3)
    } else {
        (6, 3000, 64)
    };
    let mut g = Graph {
        lists: Vec::new(),
        fans: Vec::new(),
        next_id: 0,
    };
    for _ in 0..nlists {
        let list = g.list(&heap, len);
        g.lists.push(list);
    }
    for i in 0..nfans {
        // 1 to 12 children: around `balance`'s "more than 4".
        let fan = g.fan(&heap, 1 + i % 12);
        g.fans.push(fan);
    }
    let mut rng = Rng(seed);
    let mut seen = Seen::default();
    let mut last_cycle = heap.stats().cycles;
    let start = Instant::now();
    PANIC_ARMED.store(panics, Relaxed);
    while seen.ops < max_ops && start.elapsed() < duration {
        seen.ops += 1;
        if seen.ops % 512 == 0 {
            // Slow traces in every other stretch: a worker holding a list
            // then flushes credit every 64 slow objects.
            let slow = (seen.ops / 512) % 2 == 1;
            TRACE_NANOS.store(if slow { 1_000 } else { 0 }, Relaxed);
        }
        let op = catch_unwind(AssertUnwindSafe(|| match rng.below(16) {
            // Garbage: debt for the assists, which park while a worker
            // holds a list.
            0..=4 => drop(heap.alloc([0u64; 8])),
            5..=7 => drop(heap.alloc([0u64; 256])),
            // Grow a list at its head.
            8 | 9 => {
                let i = rng.below(g.lists.len());
                let head = g.lists[i].clone();
                g.lists[i] = g.link(&heap, Some(head));
            }
            // Cut a list in two halfway (the rest is garbage) and graft
            // a fresh tail: the classic lost-object race with a worker.
            10 => {
                let i = rng.below(g.lists.len());
                let mut at = g.lists[i].clone();
                for _ in 0..rng.below(64) {
                    match at.next.get() {
                        Some(n) => at = n,
                        None => break,
                    }
                }
                let tail = g.list(&heap, 1 + rng.below(32));
                at.next.store(Some(&tail));
            }
            // Move children between fans.
            11 | 12 => {
                let a = rng.below(g.fans.len());
                let b = rng.below(g.fans.len());
                let mut kids = g.fans[a].kids.take();
                let fresh = g.link(&heap, None);
                kids.push(fresh);
                g.fans[b].kids.set(kids);
            }
            13 => {
                heap.step(1 + rng.below(2048));
            }
            14 if seen.ops % 64 == 0 => {
                assert_eq!(heap.verify(), Ok(()));
            }
            _ => {
                let i = rng.below(g.fans.len());
                let kids = (0..1 + rng.below(12))
                    .map(|_| g.link(&heap, None))
                    .collect();
                g.fans[i].kids.set(kids);
            }
        }));
        if let Err(payload) = op {
            if !panics || payload.downcast_ref::<&str>() != Some(&"link trace") {
                std::panic::resume_unwind(payload);
            }
            seen.caught += 1;
        }
        let stats = heap.stats();
        if stats.cycles != last_cycle {
            last_cycle = stats.cycles;
            seen.cycle(&stats.last);
        }
    }
    PANIC_ARMED.store(false, Relaxed);
    TRACE_NANOS.store(0, Relaxed);
    // Finish the cycle in flight (a worker's panic may still be re-raised
    // by these steps).
    loop {
        match catch_unwind(AssertUnwindSafe(|| heap.step(usize::MAX))) {
            Ok(Phase::Off) => break,
            Ok(_) => {}
            Err(payload) => {
                if payload.downcast_ref::<&str>() != Some(&"link trace") {
                    std::panic::resume_unwind(payload);
                }
                seen.caught += 1;
            }
        }
    }
    let reachable = g.check();
    heap.collect();
    let stats = heap.stats();
    seen.cycle(&stats.last);
    assert_eq!(stats.live_objects, reachable);
    seen.cycles = stats.cycles;
    drop(g);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 0);
    seen
}

fn secs() -> u64 {
    std::env::var("GOGC_CREDIT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
}

#[test]
#[cfg_attr(miri, ignore = "seconds of threads; Miri runs the short variant")]
fn credit_and_shared_work_with_one_to_four_workers_lose_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _watchdog = watchdog(
        "credit_and_shared_work",
        Duration::from_secs(60 + 4 * secs()),
    );
    let kinds = [
        Workers::Dedicated(1),
        Workers::Dedicated(2),
        Workers::Dedicated(3),
        Workers::Dedicated(4),
        Workers::Procs(1),
        Workers::Procs(2),
        Workers::Procs(3),
        Workers::Procs(4),
    ];
    let per_run = Duration::from_millis(secs() * 1000 / kinds.len() as u64);
    let mut total = Seen::default();
    for (i, kind) in kinds.into_iter().enumerate() {
        let seen = run(kind, per_run, u64::MAX, 11 + i as u64, false);
        eprintln!("{kind:?}: {seen:?}");
        assert!(seen.cycles > 0, "{kind:?}: no cycle");
        assert!(seen.worker_work > 0, "{kind:?}: the workers never scanned");
        total.parks += seen.parks;
        total.park_credit += seen.park_credit;
    }
    eprintln!(
        "in all: {} parks, {} units of credit paid to parked assists",
        total.parks, total.park_credit
    );
}

/// Worker traces panic now and then while the owner assists and parks:
/// each panic reaches the owner (caught here), no park hangs, nothing
/// reachable is lost, and the heap collects everything at the end.
#[test]
#[cfg_attr(miri, ignore = "seconds of threads; Miri runs the short variant")]
fn worker_traces_panicking_beside_parked_assists_lose_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _watchdog = watchdog("panicking traces", Duration::from_secs(60 + secs()));
    quiet_link_panics();
    let before = WORKER_PANICS.load(Relaxed);
    let mut caught = 0;
    for (i, kind) in [
        Workers::Dedicated(1),
        Workers::Dedicated(3),
        Workers::Procs(2),
    ]
    .into_iter()
    .enumerate()
    {
        let per_run = Duration::from_millis(secs() * 1000 / 6);
        let seen = run(kind, per_run, u64::MAX, 101 + i as u64, true);
        eprintln!("{kind:?} with panics: {seen:?}");
        assert!(seen.cycles > 0);
        caught += seen.caught;
    }
    let worker_panics = WORKER_PANICS.load(Relaxed) - before;
    eprintln!("{worker_panics} worker panics, {caught} re-raised to the owner");
    // The owner re-raises the first of the panics it takes at a time (its
    // own rescan of the objects never panics): none appears from nowhere,
    // and a worker's panic is never swallowed.
    assert!(caught <= worker_panics);
    assert_eq!(caught > 0, worker_panics > 0);
}

/// A few hundred operations with one worker and with `procs(2)` (Miri).
#[test]
fn credit_and_shared_work_short() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ops = if cfg!(miri) { 150 } else { 5_000 };
    for (i, kind) in [Workers::Dedicated(1), Workers::Procs(2)]
        .into_iter()
        .enumerate()
    {
        let seen = run(kind, Duration::from_secs(60), ops, 5 + i as u64, false);
        assert_eq!(seen.ops, ops);
    }
}
