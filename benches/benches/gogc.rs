//! gogc benches: binary-trees churn with every operation timed, and the cost
//! of a pointer store, against gc-arena, `gc` (rust-gc), dumpster, `Box`/`Rc`
//! and Go 1.19 (`benches/go/gogc`).
//!
//! **Churn.** One long-lived binary tree of depth 16 (131,071 nodes of two
//! child pointers), then 200 garbage trees of depth 12 (8,191 nodes each;
//! 20 under `--quick`), 1.77M allocations in all. Every tree is built bottom-up
//! in post-order from one precomputed plan, the unfinished subtrees on an
//! explicit stack (which the collected heaps keep rooted), so every subject
//! performs the same allocations in the same order and a collector may run
//! between any two of them. Every allocation, every collector call and, for
//! the reference-counted subjects, every drop of a finished garbage tree (where
//! their freeing happens) is timed on its own. Rows: the whole run's wall time
//! (timing included, the same overhead for every subject), the longest single
//! operation, how many operations took over 100 µs, and the longest explicit
//! collector call (for Go, its longest stop-the-world pause). Each figure is the
//! best of 3 runs (1 under `--quick`), taken separately. On a shared machine a
//! wall-clock maximum is often a time slice lost to another process, so one
//! more run reads the thread's CPU clock around every explicit collector call
//! and records the longest in CPU time (the collectors that run inside
//! allocation or drop, and Go, have no such row).
//!
//! Subjects and their collection rules (ours first: the report's ratios are
//! against `gogc step/31`, the variant the issue sets targets for):
//! - `gogc step/N`: `step(N × 4 × slot)` after every N allocations, N = 31,
//!   511, 8191, where slot is the bytes a node takes in the heap (header and
//!   two pointers rounded up to a size class, read from the heap's own
//!   statistics; work units are about bytes); `step` itself starts a cycle at
//!   the heap's GOGC=100 goal;
//! - `gogc stw`: `collect()` whenever the live bytes reach the heap goal
//!   below (checked every 511 allocations);
//! - `gogc workers/N`: `mark_workers(N)`, N = 1, 2, and no explicit
//!   collector call: allocation starts each cycle at the GOGC=100 goal, pays
//!   assists while N threads mark, and sweeps proportionally. Two more rows
//!   for them, from the heap's own statistics: the longest stop-the-world
//!   pause and the longest mutator stall (a pause, an assist, a parked
//!   assist or a wait on a cell's scan lock), best of the runs; each run
//!   also prints the longest stall of each cause (`Stats::stall_causes`),
//!   how many of each took 64–128 µs and 128 µs or more, and the assists
//!   of the last cycle that ended at their 40 µs slice with debt left.
//!   All are wall-clock: on a machine with more runnable threads than CPUs
//!   the longest ones are the OS running something else while the mutator
//!   is inside a stall (its run-queue wait in `/proc/thread-self/schedstat`
//!   matches the stall), not the collector waiting for a worker. Each run
//!   of every gogc row also prints the mutator thread's run-queue wait
//!   (from the same file) and its CPU time: the total minus that wait is
//!   about what a quiet machine would show;
//! - `gogc procs/P`: `procs(P)`, P = 1, 2: Go's split of P processors
//!   (for both, one fractional worker held near 25 % of a processor, as Go
//!   runs at 1 and 2 Ps), otherwise as `gogc workers/N`, with the same two
//!   extra rows;
//! - `gc-arena collect_debt/N`: the arena's own pacing (its defaults),
//!   `collect_debt` after each batch of N allocations (one `mutate` call per
//!   batch), N = 31, 511, 8191;
//! - `gc-arena stw`: `collect_all` (0.5's name for running the current cycle
//!   to its end, `finish_cycle` in other versions) whenever the arena's
//!   allocated bytes reach the heap goal below;
//! - `gc (rust-gc)` and `dumpster` (unsync): their default policies, which
//!   collect inside `Gc::new` or a `Gc`'s drop;
//! - `Box` and `Rc`: the floor, no collector.
//!
//! The stop-the-world rule is Go's GOGC=100 in each heap's own byte
//! accounting: collect once the heap holds `max(2 × the bytes live after the
//! last collection, 4 MiB)` (Go's heap goal with `defaultHeapMinimum`,
//! without stacks or globals, which the library heaps do not have).
//!
//! **Pointer store.** 1,024 heap objects of one pointer field each; store
//! `objs[i % 1024].next = objs[(i * 7) % 1024]`, 10M times (1M under
//! `--quick`), best of 5, in ns per store. gogc: `GcCell::store` of a
//! borrowed handle (the one-pointer store) under each barrier (Hybrid,
//! Dijkstra, Yuasa, None), and, for Hybrid, `GcCell::set` of a cloned handle
//! (the general store, which moves a value into the heap), with no cycle
//! running and with a cycle started, stepped once and left marking (GOGC
//! off, so nothing else starts or ends one). Against a plain store of a raw
//! pointer into a boxed object's `Cell` and gc-arena's barriered store
//! (`unlock!(Gc::write(mc, obj), StoreNode, next).set(..)`), with its collector
//! sleeping and with a collection in its marking phase.
//!
//! Numbers from a shared 2-core machine are noisy; compare rows of one run.
//!
//! `GORT_BENCH_GOGC_ONLY=TEXT` runs only the churn subjects whose names
//! contain `TEXT` (and the store rows only if `TEXT` is `store`), for
//! profiling one subject.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gort_benches::{Better, Suite};

/// Depth of the long-lived tree.
const LONG_LIVED_DEPTH: u32 = 16;
/// Depth of each garbage tree.
const GARBAGE_DEPTH: u32 = 12;
/// Go's minimum heap goal (`defaultHeapMinimum`, GOGC=100).
const MIN_HEAP_GOAL: usize = 4 << 20;
/// Operations slower than this are counted.
const SLOW_OP: Duration = Duration::from_micros(100);
/// Objects in the pointer-store benchmark.
const STORE_OBJECTS: usize = 1024;

/// Post-order construction plan of a perfect binary tree: `false` allocates
/// a leaf and pushes it, `true` pops the right and left subtrees and pushes a
/// new node holding them.
fn plan(depth: u32) -> Vec<bool> {
    fn walk(depth: u32, out: &mut Vec<bool>) {
        if depth == 0 {
            out.push(false);
        } else {
            walk(depth - 1, out);
            walk(depth - 1, out);
            out.push(true);
        }
    }
    let mut out = Vec::with_capacity((2 << depth) - 1);
    walk(depth, &mut out);
    out
}

/// The CPU time this thread has used so far (`CLOCK_THREAD_CPUTIME_ID`):
/// unlike wall time, it does not grow while the thread is descheduled.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// How long this thread has waited on a run queue so far (the second field
/// of `/proc/thread-self/schedstat`), if the kernel reports it: on a busy
/// machine, wall time minus this is about what a quiet machine would show.
fn run_queue_wait() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// The longest single operation, the count of slow ones, and the longest
/// explicit collector call, if any, in wall time; in thread CPU time too
/// when `cpu_clock` is set.
#[derive(Default)]
struct Ops {
    longest: Duration,
    slow: u64,
    longest_collector: Option<Duration>,
    cpu_clock: bool,
    longest_collector_cpu: Option<Duration>,
}

impl Ops {
    fn new(churn: &Churn) -> Ops {
        Ops {
            cpu_clock: churn.collector_cpu_time.get(),
            ..Ops::default()
        }
    }

    /// Runs and times one operation.
    #[inline(always)]
    fn time<T>(&mut self, op: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = op();
        let took = start.elapsed();
        self.longest = self.longest.max(took);
        if took > SLOW_OP {
            self.slow += 1;
        }
        out
    }

    /// Runs and times one explicit collector call (an operation too).
    #[inline(always)]
    fn collector<T>(&mut self, call: impl FnOnce() -> T) -> T {
        let cpu_start = self.cpu_clock.then(thread_cpu_time);
        let start = Instant::now();
        let out = self.time(call);
        let took = start.elapsed();
        self.longest_collector = Some(self.longest_collector.map_or(took, |l| l.max(took)));
        if let Some(cpu_start) = cpu_start {
            let cpu = thread_cpu_time().saturating_sub(cpu_start);
            self.longest_collector_cpu =
                Some(self.longest_collector_cpu.map_or(cpu, |l| l.max(cpu)));
        }
        out
    }

    fn outcome(&self, total: Duration) -> Outcome {
        Outcome {
            total,
            longest: self.longest,
            slow: self.slow,
            longest_collector: self.longest_collector,
            longest_collector_cpu: self.longest_collector_cpu,
        }
    }
}

/// One churn run's figures.
#[derive(Clone, Copy)]
struct Outcome {
    total: Duration,
    longest: Duration,
    slow: u64,
    longest_collector: Option<Duration>,
    longest_collector_cpu: Option<Duration>,
}

/// The churn workload's shape.
struct Churn {
    long_lived: Vec<bool>,
    garbage: Vec<bool>,
    trees: usize,
    runs: usize,
    /// Set by [`record_churn`] for its extra run that reads the thread CPU
    /// clock around every collector call (two system calls each, so that
    /// run's other figures are not used).
    collector_cpu_time: Cell<bool>,
}

impl Churn {
    /// Nodes of the long-lived tree, checked after every run.
    fn long_lived_nodes(&self) -> usize {
        self.long_lived.len()
    }
}

/// Whether `GORT_BENCH_GOGC_ONLY` (unset: everything) selects `subject`.
fn wanted(subject: &str) -> bool {
    std::env::var("GORT_BENCH_GOGC_ONLY").map_or(true, |only| subject.contains(&only))
}

/// Runs `run` `churn.runs` times and records the best of each figure.
fn record_churn(s: &mut Suite, churn: &Churn, subject: &str, mut run: impl FnMut() -> Outcome) {
    if !wanted(subject) {
        return;
    }
    let mut best: Option<Outcome> = None;
    for _ in 0..churn.runs.max(1) {
        let o = run();
        best = Some(match best {
            None => o,
            Some(b) => Outcome {
                total: b.total.min(o.total),
                longest: b.longest.min(o.longest),
                slow: b.slow.min(o.slow),
                longest_collector: match (b.longest_collector, o.longest_collector) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                },
                longest_collector_cpu: None,
            },
        });
    }
    let Some(best) = best else { return };
    churn.collector_cpu_time.set(true);
    let cpu = run().longest_collector_cpu;
    churn.collector_cpu_time.set(false);
    s.record(
        "binary-trees churn total (ms)",
        subject,
        best.total.as_secs_f64() * 1e3,
        "ms",
        Better::Lower,
    );
    s.record(
        "binary-trees churn longest op (us)",
        subject,
        best.longest.as_secs_f64() * 1e6,
        "us",
        Better::Lower,
    );
    s.record(
        "binary-trees churn ops over 100us",
        subject,
        best.slow as f64,
        "ops",
        Better::Lower,
    );
    if let Some(pause) = best.longest_collector {
        s.record(
            "binary-trees churn longest collector pause (us)",
            subject,
            pause.as_secs_f64() * 1e6,
            "us",
            Better::Lower,
        );
    }
    if let Some(cpu) = cpu {
        s.record(
            "binary-trees churn longest collector call, thread CPU (us)",
            subject,
            cpu.as_secs_f64() * 1e6,
            "us",
            Better::Lower,
        );
    }
}

/// Builds one tree from `plan` on an explicit stack, for the subjects whose
/// pointers on the Rust stack keep their objects alive. `alloc` makes a node
/// from its children; `after_alloc` runs after each allocation (a collector
/// call, timed by the caller).
fn build_on_stack<T>(
    plan: &[bool],
    ops: &mut Ops,
    alloc: &mut impl FnMut(Option<T>, Option<T>) -> T,
    after_alloc: &mut impl FnMut(&mut Ops),
) -> T {
    let mut stack: Vec<T> = Vec::with_capacity(LONG_LIVED_DEPTH as usize + 2);
    for &internal in plan {
        let node = if internal {
            let right = stack.pop();
            let left = stack.pop();
            ops.time(|| alloc(left, right))
        } else {
            ops.time(|| alloc(None, None))
        };
        stack.push(node);
        after_alloc(ops);
    }
    stack.pop().expect("a plan builds one tree")
}

/// The churn for a subject whose pointers on the Rust stack are roots:
/// `count` walks the long-lived tree at the end (untimed) to prove it intact.
fn churn_on_stack<T>(
    churn: &Churn,
    mut alloc: impl FnMut(Option<T>, Option<T>) -> T,
    mut after_alloc: impl FnMut(&mut Ops),
    count: impl Fn(&T) -> usize,
) -> Outcome {
    let mut ops = Ops::new(churn);
    let start = Instant::now();
    let long_lived = build_on_stack(&churn.long_lived, &mut ops, &mut alloc, &mut after_alloc);
    for _ in 0..churn.trees {
        let garbage = build_on_stack(&churn.garbage, &mut ops, &mut alloc, &mut after_alloc);
        ops.time(|| drop(garbage));
    }
    let total = start.elapsed();
    assert_eq!(count(&long_lived), churn.long_lived_nodes());
    ops.outcome(total)
}

struct BoxNode {
    left: Option<Box<BoxNode>>,
    right: Option<Box<BoxNode>>,
}

fn count_box(n: &BoxNode) -> usize {
    1 + n.left.as_deref().map_or(0, count_box) + n.right.as_deref().map_or(0, count_box)
}

struct RcNode {
    left: Option<Rc<RcNode>>,
    right: Option<Rc<RcNode>>,
}

fn count_rc(n: &RcNode) -> usize {
    1 + n.left.as_deref().map_or(0, count_rc) + n.right.as_deref().map_or(0, count_rc)
}

mod rust_gc {
    //! `gc_derive` 0.5 expands to impls inside a `const _` block.
    #![allow(non_local_definitions)]

    #[derive(gc::Trace, gc::Finalize)]
    pub struct Node {
        pub left: Option<gc::Gc<Node>>,
        pub right: Option<gc::Gc<Node>>,
    }

    pub fn count(n: &Node) -> usize {
        1 + n.left.as_deref().map_or(0, count) + n.right.as_deref().map_or(0, count)
    }
}

#[derive(dumpster::Trace)]
struct DumpsterNode {
    left: Option<dumpster::unsync::Gc<DumpsterNode>>,
    right: Option<dumpster::unsync::Gc<DumpsterNode>>,
}

fn count_dumpster(n: &DumpsterNode) -> usize {
    1 + n.left.as_deref().map_or(0, count_dumpster) + n.right.as_deref().map_or(0, count_dumpster)
}

mod gogc_heap {
    //! gogc's subjects. A `Gc` held outside the heap is a rooted handle, so
    //! the unfinished subtrees on the Rust stack are roots, as they are for
    //! rust-gc.

    use gogc::{Barrier, Gc, GcCell, Heap, Phase, Trace};
    use std::time::Instant;

    use super::{churn_on_stack, run_queue_wait, Churn, Ops, Outcome, STORE_OBJECTS};

    #[derive(Trace)]
    pub struct Node {
        left: Option<Gc<Node>>,
        right: Option<Gc<Node>>,
    }

    fn count(n: &Node) -> usize {
        1 + n.left.as_deref().map_or(0, count) + n.right.as_deref().map_or(0, count)
    }

    /// The slot a node takes in the heap (size class of header + value),
    /// read from the heap's own accounting.
    fn node_slot_bytes() -> usize {
        let heap = Heap::new();
        let _node = heap.alloc(Node {
            left: None,
            right: None,
        });
        heap.stats().live_bytes
    }

    /// Step budget per allocation since the last step, in gogc's work units
    /// (about bytes): 4× a node's slot, so marking is paid for in proportion
    /// to allocation, as Go's assists do, and a cycle's mark and sweep finish
    /// well before the heap doubles again.
    fn work_per_alloc() -> usize {
        4 * node_slot_bytes()
    }

    /// How the heap is driven.
    #[derive(Clone, Copy)]
    pub enum Drive {
        /// `step(n × work_per_alloc())` after every `n` allocations; the heap
        /// starts a cycle in `step` at its GOGC=100 goal.
        Stepped(usize),
        /// `collect()` when the live bytes reach the heap's GOGC=100 goal,
        /// checked every 511 allocations as for gc-arena's.
        StopTheWorld,
        /// `mark_workers(n)`: no explicit collector call; allocation starts
        /// cycles, assists and sweeps, `n` threads mark.
        Workers(usize),
        /// `procs(p)`: Go's dedicated/fractional split of `p` processors,
        /// otherwise as `Workers`.
        Procs(u32),
    }

    thread_local! {
        /// The smallest (longest STW pause, longest mutator stall) over the
        /// runs of a `Workers` subject, read by `main` for its extra rows.
        pub static PAUSES: std::cell::Cell<Option<(std::time::Duration, std::time::Duration)>> =
            const { std::cell::Cell::new(None) };
    }

    pub fn churn(churn: &Churn, drive: Drive) -> Outcome {
        let work_per_alloc = work_per_alloc();
        let mut builder = Heap::builder().barrier(Barrier::Hybrid);
        match drive {
            Drive::Workers(n) => builder = builder.mark_workers(n),
            Drive::Procs(p) => builder = builder.procs(p),
            Drive::Stepped(_) | Drive::StopTheWorld => {}
        }
        let heap = builder.build();
        let mut since = 0usize;
        let waited_before = run_queue_wait();
        let cpu_before = super::thread_cpu_time();
        let outcome = churn_on_stack(
            churn,
            |left, right| heap.alloc(Node { left, right }),
            |ops: &mut Ops| {
                since += 1;
                match drive {
                    Drive::Stepped(n) if since == n => {
                        since = 0;
                        ops.collector(|| heap.step(n * work_per_alloc));
                    }
                    Drive::StopTheWorld if since == 511 => {
                        since = 0;
                        let stats = heap.stats();
                        if stats.live_bytes >= stats.goal_bytes {
                            ops.collector(|| heap.collect());
                        }
                    }
                    _ => {}
                }
            },
            |t| count(t),
        );
        let stats = heap.stats();
        assert!(stats.cycles > 0, "the churn never completed a cycle");
        let cpu = super::thread_cpu_time().saturating_sub(cpu_before);
        if let (Some(before), Some(after)) = (waited_before, run_queue_wait()) {
            let waited = after.saturating_sub(before);
            eprintln!(
                "    gogc: total {:?}, of it waiting for a CPU {:?}, the rest {:?}; \
                 the mutator's CPU time {:?}",
                outcome.total,
                waited,
                outcome.total.saturating_sub(waited),
                cpu,
            );
        }
        if let Drive::Workers(_) | Drive::Procs(_) = drive {
            let this = (stats.longest_pause, stats.stalls.longest);
            PAUSES.with(|p| {
                p.set(Some(p.get().map_or(this, |(pause, stall)| {
                    (pause.min(this.0), stall.min(this.1))
                })));
            });
            eprintln!(
                "    gogc workers: longest pause {:?}, longest stall {:?}, stalls {}, \
                 last cycle: pauses {:?} + {:?}, concurrent mark {:?}, worker work {}, \
                 assist work {}",
                stats.longest_pause,
                stats.stalls.longest,
                stats.stalls.count(),
                stats.last.sweep_termination_pause,
                stats.last.mark_termination_pause,
                stats.last.concurrent_mark,
                stats.last.worker_work,
                stats.last.assist_work,
            );
            // Which wait the long stalls are: the longest of each cause, and
            // how many of each took 64–128 µs and 128 µs or more.
            let causes = &stats.stall_causes;
            let long = |h: &gogc::StallHistogram| {
                format!("{}/{}", h.buckets[7], h.buckets[8..].iter().sum::<u64>())
            };
            eprintln!(
                "    gogc workers stalls by cause (longest, count 64–128µs/≥128µs): \
                 pause {:?} {}, of it waiting for workers {:?} {}, assist {:?} {}, \
                 assist park {:?} {} ({} parks), cell lock {:?} {}; \
                 last cycle: {} assists cut at their slice",
                causes.pause.longest,
                long(&causes.pause),
                causes.stop_wait.longest,
                long(&causes.stop_wait),
                causes.assist.longest,
                long(&causes.assist),
                causes.assist_park.longest,
                long(&causes.assist_park),
                causes.assist_park.count(),
                causes.cell_lock.longest,
                long(&causes.cell_lock),
                stats.last.assists_preempted,
            );
        }
        eprintln!(
            "    gogc: {} cycles, {} live objects at the end, {} work units per allocation; \
             last cycle: {} steps, longest {} work units, {:?}",
            stats.cycles,
            stats.live_objects,
            work_per_alloc,
            stats.last.steps,
            stats.last.longest_step_work,
            stats.last.longest_step
        );
        outcome
    }

    #[derive(Trace)]
    pub struct StoreNode {
        next: GcCell<Option<Gc<StoreNode>>>,
    }

    /// How the store is written.
    #[derive(Clone, Copy)]
    pub enum Store {
        /// `GcCell::store(Some(&target))`: the one-pointer store.
        Pointer,
        /// `GcCell::set(Some(target.clone()))`: the general store.
        SetClone,
    }

    /// ns per barriered store, best of `reps`; with `marking`, a cycle is
    /// started and stepped once, then left marking.
    pub fn store(barrier: Barrier, how: Store, stores: usize, reps: usize, marking: bool) -> f64 {
        let heap = Heap::builder().barrier(barrier).gogc(None).build();
        let objs: Vec<Gc<StoreNode>> = (0..STORE_OBJECTS)
            .map(|_| {
                heap.alloc(StoreNode {
                    next: GcCell::new(None),
                })
            })
            .collect();
        if marking {
            heap.start_cycle();
            heap.step(4096);
        }
        let want = if marking { Phase::Mark } else { Phase::Off };
        assert_eq!(heap.phase(), want);
        let mut best = f64::MAX;
        for _ in 0..reps {
            let start = Instant::now();
            match how {
                Store::Pointer => {
                    for i in 0..stores {
                        let i = std::hint::black_box(i);
                        let target = &objs[(i * 7) % STORE_OBJECTS];
                        objs[i % STORE_OBJECTS].next.store(Some(target));
                    }
                }
                Store::SetClone => {
                    for i in 0..stores {
                        let i = std::hint::black_box(i);
                        let target = objs[(i * 7) % STORE_OBJECTS].clone();
                        objs[i % STORE_OBJECTS].next.set(Some(target));
                    }
                }
            }
            best = best.min(start.elapsed().as_secs_f64() * 1e9 / stores as f64);
        }
        assert_eq!(heap.phase(), want);
        best
    }
}

mod arena {
    //! gc-arena's subjects: every `Gc` lives inside `mutate`, so the
    //! unfinished subtrees sit on a stack in the arena's root.

    use gc_arena::barrier::unlock;
    use gc_arena::lock::Lock;
    use gc_arena::{Arena, Collect, CollectionPhase, Gc, Mutation, Rootable};

    use super::{Churn, Ops, Outcome, MIN_HEAP_GOAL, STORE_OBJECTS};
    use std::time::Instant;

    #[derive(Collect)]
    #[collect(no_drop)]
    pub struct Node<'gc> {
        left: Option<Gc<'gc, Node<'gc>>>,
        right: Option<Gc<'gc, Node<'gc>>>,
    }

    fn count(n: &Node<'_>) -> usize {
        1 + n.left.as_deref().map_or(0, count) + n.right.as_deref().map_or(0, count)
    }

    #[derive(Collect)]
    #[collect(no_drop)]
    pub struct Root<'gc> {
        long_lived: Option<Gc<'gc, Node<'gc>>>,
        stack: Vec<Gc<'gc, Node<'gc>>>,
    }

    type ChurnArena = Arena<Rootable![Root<'_>]>;

    /// How the arena is driven between allocation batches.
    #[derive(Clone, Copy)]
    pub enum Drive {
        /// `collect_debt` after every batch of this many allocations.
        Debt(usize),
        /// `collect_all` when the heap reaches max(2 × live, 4 MiB).
        StopTheWorld,
    }

    /// Builds one tree onto the root's stack, `batch` allocations per `mutate`.
    fn build(arena: &mut ChurnArena, plan: &[bool], drive: Drive, goal: &mut usize, ops: &mut Ops) {
        let batch = match drive {
            Drive::Debt(n) => n,
            // One batch per 511 allocations: between batches the heap goal
            // is checked, as Go checks its trigger on allocation.
            Drive::StopTheWorld => 511,
        };
        for chunk in plan.chunks(batch) {
            arena.mutate_root(|mc, root| {
                let stack = &mut root.stack;
                for &internal in chunk {
                    let node = if internal {
                        let right = stack.pop();
                        let left = stack.pop();
                        ops.time(|| Gc::new(mc, Node { left, right }))
                    } else {
                        ops.time(|| {
                            Gc::new(
                                mc,
                                Node {
                                    left: None,
                                    right: None,
                                },
                            )
                        })
                    };
                    stack.push(node);
                }
            });
            match drive {
                Drive::Debt(_) => ops.collector(|| arena.collect_debt()),
                Drive::StopTheWorld => {
                    if arena.metrics().total_allocation() >= *goal {
                        ops.collector(|| arena.collect_all());
                        *goal = (2 * arena.metrics().total_allocation()).max(MIN_HEAP_GOAL);
                    }
                }
            }
        }
    }

    pub fn churn(churn: &Churn, drive: Drive) -> Outcome {
        let mut arena = ChurnArena::new(|_| Root {
            long_lived: None,
            stack: Vec::with_capacity(super::LONG_LIVED_DEPTH as usize + 2),
        });
        let mut ops = Ops::new(churn);
        let mut goal = MIN_HEAP_GOAL;
        let start = Instant::now();
        build(&mut arena, &churn.long_lived, drive, &mut goal, &mut ops);
        arena.mutate_root(|_, root| root.long_lived = root.stack.pop());
        for _ in 0..churn.trees {
            build(&mut arena, &churn.garbage, drive, &mut goal, &mut ops);
            // The finished tree was the stack's only entry: it is garbage now.
            arena.mutate_root(|_, root| root.stack.clear());
        }
        let total = start.elapsed();
        let nodes = arena.mutate(|_, root| root.long_lived.map_or(0, |t| count(&t)));
        assert_eq!(nodes, churn.long_lived_nodes());
        ops.outcome(total)
    }

    #[derive(Collect)]
    #[collect(no_drop)]
    pub struct StoreNode<'gc> {
        next: Lock<Option<Gc<'gc, StoreNode<'gc>>>>,
    }

    #[derive(Collect)]
    #[collect(no_drop)]
    pub struct StoreRoot<'gc> {
        objects: Vec<Gc<'gc, StoreNode<'gc>>>,
        /// Unreachable padding allocated before a marking run, so that the
        /// arena has debt to start a cycle with and the cycle lasts.
        ballast: Vec<Gc<'gc, StoreNode<'gc>>>,
    }

    fn new_store_node<'gc>(mc: &Mutation<'gc>) -> Gc<'gc, StoreNode<'gc>> {
        Gc::new(
            mc,
            StoreNode {
                next: Lock::new(None),
            },
        )
    }

    /// ns per barriered store, best of `reps`; with `marking`, a cycle is
    /// started and left in its marking phase. `None` if the arena could not be
    /// put in the asked phase.
    pub fn store(stores: usize, reps: usize, marking: bool) -> Option<f64> {
        let mut arena = Arena::<Rootable![StoreRoot<'_>]>::new(|mc| StoreRoot {
            objects: (0..STORE_OBJECTS).map(|_| new_store_node(mc)).collect(),
            ballast: Vec::new(),
        });
        if marking {
            // A large reachable ballast gives the cycle work that outlasts
            // the debt of the small batches of garbage allocated next; the
            // first `collect_debt` after enough of them starts the cycle.
            arena.mutate_root(|mc, root| {
                root.ballast = (0..400_000).map(|_| new_store_node(mc)).collect();
            });
            for _ in 0..10_000 {
                arena.mutate(|mc, _| {
                    for _ in 0..64 {
                        new_store_node(mc);
                    }
                });
                arena.collect_debt();
                if arena.collection_phase() == CollectionPhase::Marking {
                    break;
                }
            }
        }
        let want = if marking {
            CollectionPhase::Marking
        } else {
            CollectionPhase::Sleeping
        };
        if arena.collection_phase() != want {
            eprintln!(
                "gc-arena store: phase {:?}, wanted {want:?}; row skipped",
                arena.collection_phase()
            );
            return None;
        }
        let mut best = f64::MAX;
        for _ in 0..reps {
            let took = arena.mutate(|mc, root| {
                let objs = &root.objects;
                let start = Instant::now();
                for i in 0..stores {
                    let i = std::hint::black_box(i);
                    let target = objs[(i * 7) % STORE_OBJECTS];
                    unlock!(Gc::write(mc, objs[i % STORE_OBJECTS]), StoreNode, next)
                        .set(Some(target));
                }
                start.elapsed()
            });
            best = best.min(took.as_secs_f64() * 1e9 / stores as f64);
        }
        (arena.collection_phase() == want).then_some(best)
    }
}

/// A boxed object with one pointer field, for the plain store.
struct PlainNode {
    next: Cell<*const PlainNode>,
}

/// ns per plain store, best of `reps`.
fn plain_store(stores: usize, reps: usize) -> f64 {
    let objs: Vec<Box<PlainNode>> = (0..STORE_OBJECTS)
        .map(|_| {
            Box::new(PlainNode {
                next: Cell::new(std::ptr::null()),
            })
        })
        .collect();
    let mut best = f64::MAX;
    for _ in 0..reps {
        let start = Instant::now();
        for i in 0..stores {
            let i = black_box(i);
            let target: *const PlainNode = &*objs[(i * 7) % STORE_OBJECTS];
            objs[i % STORE_OBJECTS].next.set(target);
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / stores as f64);
    }
    black_box(&objs);
    best
}

fn main() {
    let mut s = Suite::new("gogc");
    let churn = Churn {
        long_lived: plan(LONG_LIVED_DEPTH),
        garbage: plan(GARBAGE_DEPTH),
        trees: s.size(200, 20),
        runs: s.size(3, 1),
        collector_cpu_time: Cell::new(false),
    };

    for every in [31, 511, 8191] {
        record_churn(&mut s, &churn, &format!("gogc step/{every}"), || {
            gogc_heap::churn(&churn, gogc_heap::Drive::Stepped(every))
        });
    }
    record_churn(&mut s, &churn, "gogc stw", || {
        gogc_heap::churn(&churn, gogc_heap::Drive::StopTheWorld)
    });
    let concurrent = [
        ("gogc workers/1", gogc_heap::Drive::Workers(1)),
        ("gogc workers/2", gogc_heap::Drive::Workers(2)),
        ("gogc procs/1", gogc_heap::Drive::Procs(1)),
        ("gogc procs/2", gogc_heap::Drive::Procs(2)),
    ];
    for (subject, drive) in concurrent {
        gogc_heap::PAUSES.with(|p| p.set(None));
        record_churn(&mut s, &churn, subject, || gogc_heap::churn(&churn, drive));
        if let Some((pause, stall)) = gogc_heap::PAUSES.with(|p| p.get()) {
            s.record(
                "binary-trees churn longest STW pause (us)",
                subject,
                pause.as_secs_f64() * 1e6,
                "us",
                Better::Lower,
            );
            s.record(
                "binary-trees churn longest mutator stall (us)",
                subject,
                stall.as_secs_f64() * 1e6,
                "us",
                Better::Lower,
            );
        }
    }
    for batch in [31, 511, 8191] {
        record_churn(
            &mut s,
            &churn,
            &format!("gc-arena collect_debt/{batch}"),
            || arena::churn(&churn, arena::Drive::Debt(batch)),
        );
    }
    record_churn(&mut s, &churn, "gc-arena stw", || {
        arena::churn(&churn, arena::Drive::StopTheWorld)
    });
    record_churn(&mut s, &churn, "gc (rust-gc)", || {
        churn_on_stack(
            &churn,
            |left, right| gc::Gc::new(rust_gc::Node { left, right }),
            |_| {},
            |t| rust_gc::count(t),
        )
    });
    record_churn(&mut s, &churn, "dumpster", || {
        churn_on_stack(
            &churn,
            |left, right| dumpster::unsync::Gc::new(DumpsterNode { left, right }),
            |_| {},
            |t| count_dumpster(t),
        )
    });
    record_churn(&mut s, &churn, "Rc", || {
        churn_on_stack(
            &churn,
            |left, right| Rc::new(RcNode { left, right }),
            |_| {},
            |t| count_rc(t),
        )
    });
    record_churn(&mut s, &churn, "Box", || {
        churn_on_stack(
            &churn,
            |left, right| Box::new(BoxNode { left, right }),
            |_| {},
            |t| count_box(t),
        )
    });

    let stores = s.size(10_000_000, 1_000_000);
    let reps = 5;
    for marking in [false, true].into_iter().filter(|_| wanted("store")) {
        let group = if marking {
            "pointer store, marking (ns)"
        } else {
            "pointer store, not marking (ns)"
        };
        use gogc_heap::Store;
        for (name, barrier, how) in [
            ("gogc Hybrid", gogc::Barrier::Hybrid, Store::Pointer),
            ("gogc Dijkstra", gogc::Barrier::Dijkstra, Store::Pointer),
            ("gogc Yuasa", gogc::Barrier::Yuasa, Store::Pointer),
            ("gogc None", gogc::Barrier::None, Store::Pointer),
            (
                "gogc Hybrid set(clone)",
                gogc::Barrier::Hybrid,
                Store::SetClone,
            ),
        ] {
            let ns = gogc_heap::store(barrier, how, stores, reps, marking);
            s.record(group, name, ns, "ns", Better::Lower);
        }
        if let Some(ns) = arena::store(stores, reps, marking) {
            s.record(group, "gc-arena Lock::set", ns, "ns", Better::Lower);
        }
        s.record(
            group,
            "plain store",
            plain_store(stores, reps),
            "ns",
            Better::Lower,
        );
    }
    s.finish();
}
