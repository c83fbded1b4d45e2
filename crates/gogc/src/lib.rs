//! A garbage-collected heap for Rust with Go 1.19's collector inside:
//! size-class spans, tri-colour marking driven by the host or by mark
//! worker threads beside it, selectable write barriers, and a checker for
//! the invariants they keep.
//!
//! Interpreters, VMs and graph-heavy programs allocate objects that point to
//! each other in cycles; `gogc` frees what the program can no longer reach.
//!
//! ```
//! use gogc::{Barrier, Gc, GcCell, Heap, Trace};
//!
//! #[derive(Trace)]
//! struct Node {
//!     value: u64,
//!     next: GcCell<Option<Gc<Node>>>,
//! }
//!
//! let heap = Heap::builder().barrier(Barrier::Hybrid).build();
//! let a = heap.alloc(Node { value: 1, next: GcCell::new(None) });
//! let b = heap.alloc(Node { value: 2, next: GcCell::new(Some(a.clone())) });
//! a.next.set(Some(b.clone())); // a cycle: a -> b -> a
//! drop(b);
//! heap.collect(); // `a` is a root: both survive
//! assert_eq!(a.next.borrow().as_ref().unwrap().value, 2);
//! drop(a);
//! heap.collect(); // unreachable: both freed, cycle or not
//! assert_eq!(heap.stats().live_objects, 0);
//! ```
//!
//! # Pointers, roots and cells
//!
//! - [`Gc<T>`] points to a `T` in a [`Heap`]. A `Gc` you hold (in a local,
//!   a `Vec`, anything outside the heap) is a *rooted handle*: it keeps its
//!   object alive. The `Gc`s inside heap objects are the object graph's
//!   edges. Moving a value into the heap unroots the `Gc`s in it; cloning a
//!   `Gc` out of an object gives a new root.
//! - Heap values are immutable except through [`GcCell<T>`], whose setters
//!   run the write barrier. [`GcCell::store`] is the setter for a cell
//!   holding one pointer: it copies a handle you keep into the cell, and
//!   while no cycle marks it costs a flag test and a plain write.
//! - [`Weak<T>`] (from [`Gc::downgrade`]) does not keep its object alive.
//! - [`Trace`] lists a type's `Gc`s; `#[derive(Trace)]` writes it.
//!
//! # Driving the collector
//!
//! The host decides when the collector runs. [`Heap::collect`] runs a whole
//! cycle (Go's `runtime.GC`). [`Heap::step`] does a bounded increment —
//! marking while a cycle marks, sweeping after it, or starting a cycle
//! once the heap has reached the pacer's trigger (`GOGC`, [`HeapBuilder::gogc`]) —
//! so a host can interleave collection with its own work and keep every
//! pause short. Or the heap marks on threads of its own
//! ([`HeapBuilder::mark_workers`], see [Concurrent marking](#concurrent-marking)).
//! [`Heap::stats`] reports cycles, live bytes and objects, mark
//! and sweep work, each cycle's longest step, its pauses and assists, and a
//! histogram of the owning thread's stalls.
//!
//! ```
//! use gogc::{Gc, Heap};
//!
//! let heap = Heap::builder().min_heap(64 << 10).build(); // small goal
//! let keep: Vec<Gc<[u64; 4]>> = (0..100).map(|i| heap.alloc([i; 4])).collect();
//! for i in 0..10_000u64 {
//!     drop(heap.alloc([i; 4])); // garbage
//!     if i % 31 == 0 {
//!         heap.step(4096); // a little collector work every 31 allocations
//!     }
//! }
//! let stats = heap.stats();
//! assert!(stats.cycles > 0);
//! assert!(stats.live_objects < 10_000);
//! assert_eq!(keep[99][0], 99);
//! ```
//!
//! # Pacing
//!
//! When a cycle starts is Go 1.19's pacer's decision
//! ([`Pacer`], a model of `gcControllerState` in `mgcpacer.go`). After each
//! cycle it sets a *heap goal*, `marked + (marked + root scan work) ×
//! GOGC/100` (at least `min_heap × GOGC/100`, Go's 4 MiB minimum; below the
//! [`memory_limit`](HeapBuilder::memory_limit) less the heap's overhead and
//! 1 MiB, Go's `GOMEMLIMIT` goal), and a *trigger*: the goal less a runway
//! the program is expected to allocate while the cycle marks, from the
//! cons/mark ratio (bytes allocated per unit of scan work, smoothed by Go's
//! PI controller), kept between 45/64 and 61/64 of the way from the marked
//! heap to the goal. A step that finds the live heap (Go's `heapLive`:
//! marked plus allocated since) at the trigger starts a cycle; with mark
//! workers, so does an allocation, as in Go. [`Stats`] shows the trigger, the goal and the memory
//! limit; [`CycleStats`] each cycle's heap at its start and mark end, its
//! trigger and goal; [`CycleStats::gctrace`] formats Go's
//! `GODEBUG=gctrace=1` line, and [`HeapBuilder::gctrace`] prints one per
//! cycle.
//!
//! ```
//! use gogc::Heap;
//!
//! let heap = Heap::builder().gogc(Some(100)).min_heap(256 << 10).build();
//! let keep: Vec<_> = (0..1000u64).map(|i| heap.alloc([i; 8])).collect();
//! for i in 0..20_000u64 {
//!     drop(heap.alloc([i; 8]));
//!     heap.step(1024);
//! }
//! let last = heap.stats().last;
//! // The cycle started at its trigger, before the goal.
//! assert!(last.heap_start_bytes >= last.trigger_bytes);
//! assert!(last.trigger_bytes < last.goal_bytes);
//! assert_eq!(keep.len(), 1000);
//! ```
//!
//! Go runs background mark workers on 25 % of its `GOMAXPROCS` processors
//! and makes allocating goroutines assist. The pacer here plans for
//! [`HeapBuilder::procs`]`(p)` processors, or for the owning thread plus
//! the heap's mark workers (`1 + n` with [`HeapBuilder::mark_workers`]`(n)`)
//! ([`CycleStats::procs`]), and measures what each spent marking (with
//! `std`; without, it assumes Go's 25 %): idle workers' time, and
//! dedicated and fractional workers' time beyond the 25 % share, count as
//! Go's idle-worker time, the owning thread's steps and assists as assist
//! time (see [Mark workers](#mark-workers)). Without workers the host's steps do all the
//! marking, so their time stands for the 25 % share too. With workers,
//! each allocation during a mark owes the pacer's `assistWorkPerByte` (see
//! [`Pacer::assist_work_per_byte`], revised at every assist from the live
//! heap and the scan work done so far) units of scan work (see
//! [Concurrent marking](#concurrent-marking)). `tests/pacer_trace.rs`
//! replays an allocation trace that Go 1.19 ran with
//! `GODEBUG=gcpacertrace=1` and compares every cycle's trigger and goal;
//! `tests/pacer_go_inputs.rs` feeds the [`Pacer`] the inputs Go measured
//! in each of those cycles and gets Go's trigger (within a byte) and goal
//! for every one. The triggers of the heap-level replay differ from Go's
//! where the utilisation gogc measures differs (the test's docs account
//! for each).
//!
//! Go 1.19's GC CPU limiter is modelled too ([`CpuLimiter`],
//! `mgclimit.go`): a bucket of one CPU-second per processor that fills
//! while the collector (assists plus the 25 % background share, during a
//! mark) uses more than half the processors' time and drains otherwise;
//! while it is full, assists skip their work (they keep their debt), so the
//! heap may overshoot the memory-limit goal rather than let the collector
//! take the program's CPU. [`Stats::cpu_limiting`] and
//! [`Stats::cpu_limiter_last_enabled_cycle`] show it.
//!
//! # Colours
//!
//! Marking follows Go's tri-colour scheme. At the start of a cycle every
//! object is white. The marker *shades* the roots: it sets an object's mark
//! bit and, if the object holds pointers, queues it in a 2 KiB work buffer.
//! A marked, queued object is **grey**; there is no grey bit. Scanning a grey
//! object shades everything it points to and leaves it **black**. When no
//! grey object is left anywhere (work buffers and the write-barrier buffer),
//! every object still white is unreachable and the sweep frees it. Objects
//! allocated while marking are black. [`Heap::color`] shows an object's
//! colour.
//!
//! ```
//! use gogc::{Color, Gc, GcCell, Heap, Phase};
//!
//! let heap = Heap::new();
//! let leaf = heap.alloc(GcCell::new(None::<Gc<u8>>));
//! heap.start_cycle();
//! assert_eq!(heap.color(&leaf), Color::White);
//! while heap.step(1) == Phase::Mark {
//!     // Roots are shaded, scanned, then marking terminates.
//! }
//! assert_eq!(heap.stats().cycles, 1);
//! ```
//!
//! # Write barriers
//!
//! Between two steps the program changes pointers. Without care it could
//! hide a white object from the marker: store the only pointer to it into a
//! black object, then delete the pointer a grey object had. A write barrier
//! prevents that; [`Barrier`] chooses one when the heap is built:
//!
//! | mode | on a store | invariant | roots |
//! |---|---|---|---|
//! | [`Barrier::Dijkstra`] | shade the new pointer | strong (heap) | rescanned at mark termination |
//! | [`Barrier::Yuasa`] | shade the old pointer | weak (snapshot at the beginning) | all scanned when the cycle starts |
//! | [`Barrier::Hybrid`] (default, Go 1.8+) | shade both | strong (heap), weak (roots) | scanned once, incrementally |
//! | [`Barrier::None`] | nothing | none: negative tests only | scanned once |
//!
//! The [`Barrier`] docs give the argument for each.
//! Barrier work goes through a 512-pointer buffer, as Go's `wbBuf`.
//!
//! # The checker
//!
//! [`Heap::verify`] checks the barrier's invariant on the live heap at any
//! point of marking, and the `gccheckmark`-style re-mark at mark termination
//! (on with [`HeapBuilder::checkmark`], always on with `Barrier::None`)
//! proves every reachable object is marked. [`HeapBuilder::verify_each_step`]
//! runs both after every step and panics on a violation. With the barrier
//! off, the checker catches the lost object:
//!
//! ```
//! use gogc::{Barrier, Color, Gc, GcCell, Heap, Trace, Violation};
//!
//! #[derive(Trace)]
//! struct Holder(GcCell<Option<Gc<u8>>>);
//! #[derive(Trace)]
//! struct Other(GcCell<Option<Gc<u8>>>, [u64; 4]); // another size: another span
//!
//! let heap = Heap::builder().barrier(Barrier::None).build();
//! let black = heap.alloc(Holder(GcCell::new(None)));
//! let grey = heap.alloc(Other(GcCell::new(None), [0; 4]));
//! grey.0.set(Some(heap.alloc(7))); // the only pointer to 7
//! heap.start_cycle();
//! heap.step(1); // shades the roots in `black`'s span
//! heap.step(1); // scans `black`
//! heap.step(1); // shades the roots in `grey`'s span
//! assert_eq!((heap.color(&black), heap.color(&grey)), (Color::Black, Color::Grey));
//! let white = grey.0.get().unwrap();
//! assert_eq!(heap.color(&white), Color::White);
//! black.0.set(Some(white.clone())); // black -> white, no barrier
//! grey.0.set(None); // the grey path is gone
//! drop(white);
//! assert!(matches!(heap.verify(), Err(Violation::BlackToWhite { .. })));
//! heap.step(usize::MAX); // ends the mark: the re-mark finds and keeps the lost object
//! assert_eq!(heap.stats().last.lost_objects, 1);
//! heap.collect(); // and the sweep did not free it
//! assert_eq!(**black.0.borrow().as_ref().unwrap(), 7);
//! ```
//!
//! # Concurrent marking
//!
//! With [`HeapBuilder::mark_workers`]`(n)`, `n ≥ 1`, the heap starts `n`
//! threads at its first cycle (at most [`MAX_MARK_WORKERS`], 256: a bigger
//! `n` is clamped). Each cycle then runs as Go's does, with the
//! thread that owns the heap (the *mutator*: the only thread that can hold
//! its `Gc`s) in the role of Go's goroutines:
//!
//! ```text
//!  mutator  ──alloc──alloc──┤P1├──alloc+assist──store──alloc+assist──┤P2├──alloc+sweep──▶
//!                            │  roots, grey objects ▲  │ wbBuf          │
//!                            │    published ───────┐│  ▼ (flushed at P2) │
//!  workers  ··· asleep ······┴──▶ trace grey objects, shade children ──┴···· asleep ····
//!
//!  P1: stop the world: sweep termination, phase = Mark, barrier flag on, root jobs
//!      queued (Yuasa: every root shaded now); restart the workers.
//!  P2: stop the world: flush wbBuf; grey objects left? restart and keep marking
//!      (Go's two-stage termination); else mark termination (Dijkstra: rescan roots;
//!      checkmark), phase = Off, barrier flag off, sweepgen += 2; workers sleep.
//! ```
//!
//! What runs where:
//!
//! | work | mutator | mark workers |
//! |---|---|---|
//! | allocation (black while marking), barriers, `wbBuf` | ✓ | |
//! | root jobs (they read root counts) | ✓ in assists and `step` | |
//! | scanning grey objects | ✓ in assists and `step` | ✓ |
//! | the two pauses, termination detection | ✓ | park on request |
//! | sweeping (it runs `Drop` of values that need not be `Send`) | ✓ on allocation and `step` | |
//!
//! **Safe points.** The mutator checks for collector work at every
//! allocation, every barriered store (any store while a cycle marks) and
//! every `step`: there it sweeps a little, starts a cycle once the heap
//! reaches the pacer's trigger, pays its *assist* debt (while marking, each
//! allocation owes `bytes ×` the pacer's `assistWorkPerByte` units of scan
//! work; it steals the credit the workers built up, at least 64 KiB's
//! worth at once when there is that much (what is over its debt pays the
//! next allocations), else scans at least 64 KiB itself, roots first),
//! tries to end the mark once the workers ran out of work, and re-raises a
//! panic a `Trace` raised on a worker. Like a Go P's `gcWork`, the mutator
//! keeps the grey objects of its partly filled work buffers and hands the
//! workers only full buffers (a share of the rest when they have none, and
//! everything once they ran dry), waking a worker only if one waits, after
//! the assist. A worker that finds the shared list
//! empty shares part of its own grey objects (Go's `gcWork.balance`), so an
//! assist usually finds some to scan; one that owes work while the workers
//! hold every grey object *parks* (Go's `gcParkAssist`): it waits for the
//! workers to flush credit (each does every 64 objects, taking the shared
//! lock only when an assist is parked; Go's `gcFlushBgCredit`), to publish
//! work, or to run dry (then it ends the mark), and retries. An assist's scanning and
//! parking together end after a 40 µs slice (the clock is read every 32
//! objects, and after every 2 KiB of scan work between, about one root
//! job, so one object's `Trace` or root job more at most; Go's `gcDrainN` stops
//! when the goroutine is preempted): the allocation goes on with the debt
//! left, which the next allocations pay, slice by slice
//! ([`CycleStats::assists_preempted`] counts such assists), so a worker the
//! OS has descheduled does not stall the mutator for a time slice (Go parks
//! without a limit), and a mutator that keeps allocating keeps paying. While the CPU limiter is
//! on, assists skip the debt (the mutator still scans roots and ends the
//! mark: only it can). (A barriered store only re-raises such a panic: it
//! ends no mark, because mark termination traces the whole heap, this
//! cell included, while the store is half done.) The pauses are the
//! mutator's own: a worker is asked to stop and hands back its work after
//! the object it is tracing, so the longest a pause waits is one object's
//! `Trace` per worker (plus, on a loaded machine, the time the OS takes to
//! run a descheduled worker). A mutator that stops allocating, storing and
//! stepping leaves the cycle where it is (only it can scan the roots and
//! end the mark); `collect` always finishes one, on the calling thread with
//! the workers stopped.
//!
//! **`GcCell`s and workers.** A worker tracing a `GcCell` takes the cell's
//! scan lock; a store the mutator makes while a cycle marks (always the
//! barriered slow path) replaces the contents under the same lock, after the
//! barrier has shaded the old and new pointers. So a worker sees the old or
//! the new contents, whole, and either way nothing is lost; a store waits at
//! most for one worker's trace of that one cell. While no cycle marks no
//! worker runs: the plain one-pointer store and `borrow` do not touch the
//! lock, and keep their cost.
//!
//! **Why one mutator thread.** A heap and its objects belong to one thread,
//! with or without workers: `Heap`, `Gc`, `GcCell` and `Weak` are neither
//! `Send` nor `Sync`, because root counts and `GcCell` borrow flags are
//! plain per-thread counters updated on every clone, drop and borrow (making
//! them atomic would tax every handle operation), heap values need not be
//! `Send` (sweeping runs their `Drop` on the owning thread), and the
//! allocation cache and barrier buffer are the owner's. Workers get none of
//! that: they only trace. A program with several threads gives each its
//! own heap (as JavaScript engines give each isolate one) and passes data
//! between them by value or through channels.
//!
//! ```
//! use gogc::{Gc, GcCell, Heap, Trace};
//!
//! #[derive(Trace)]
//! struct Node {
//!     next: GcCell<Option<Gc<Node>>>,
//!     payload: [u64; 4],
//! }
//!
//! let heap = Heap::builder().mark_workers(1).min_heap(256 << 10).build();
//! let head = heap.alloc(Node { next: GcCell::new(None), payload: [0; 4] });
//! for i in 0..50_000u64 {
//!     // Allocation drives everything: cycles start, assists and sweeps run.
//!     let node = heap.alloc(Node { next: GcCell::new(None), payload: [i; 4] });
//!     if i % 100 == 0 {
//!         head.next.store(Some(&node)); // keep one in a hundred, for a while
//!     }
//! }
//! let stats = heap.stats();
//! assert!(stats.cycles > 0);
//! assert!(stats.live_objects < 50_000); // garbage was freed along the way
//! assert!(stats.stalls.count() > 0); // pauses and assists, in the histogram
//! assert!(stats.stall_causes.pause.count() >= 2 * stats.cycles); // by cause
//! assert_eq!(head.next.borrow().as_ref().unwrap().payload[0], 49_900);
//! ```
//!
//! # Mark workers
//!
//! Go splits its background marking into three kinds of worker
//! (`gcMarkWorkerMode`); gogc runs them as follows.
//!
//! - **Dedicated** workers mark until the work runs out or the world stops.
//!   With [`HeapBuilder::procs`]`(p)` each cycle has `round(0.25 × p)` of
//!   them, as the pacer's [`start_cycle`](Pacer::start_cycle) computes
//!   (Go's `dedicatedMarkWorkersNeeded`); with
//!   [`HeapBuilder::mark_workers`]`(n)` all `n` threads are dedicated.
//! - A **fractional** worker makes up the rest of the 25 % when rounding
//!   misses it by more than 30 % (P = 1, 2, 3, 6, …; Go's
//!   `fractionalUtilizationGoal`): it takes work only while its marking
//!   time this cycle over the time since the cycle started is at most the
//!   goal, sleeps until it would be otherwise, and ends a stretch once the
//!   ratio passes 1.2 × the goal (checked every 100 000 units of scan work
//!   and every 64 objects; Go's `pollFractionalWorkerExit`).
//! - **Idle** workers mark on processors that have nothing else to do.
//!   Only a scheduler knows that; without one (threads of the heap's own)
//!   there are none. With the `gosched` feature and
//!   `HeapBuilder::gosched``(&runtime)`, a P of the `gosched` runtime
//!   that finds no task to run marks before it parks (Go's idle GC worker
//!   in `findRunnable`, through gosched's `IdleWork` hook), at most
//!   `P − dedicated` of them at once (Go 1.19's `maxIdleMarkWorkers`), and
//!   hands its work back as soon as a task is runnable (checked every 64
//!   objects and every 100 000 units of scan work, Go's `pollWork`). A
//!   cycle's start, and every batch of grey objects the owning thread
//!   publishes (after the assist that published it), wakes an idle P (Go's
//!   `wakep`). A `Trace` that panics on
//!   an idle P is caught there and re-raised on the owning thread, as on a
//!   worker thread; the heap's drop unregisters the idle work and waits for
//!   idle workers in progress. There the dedicated and fractional
//!   workers are not threads either: while a cycle marks, a P's
//!   `schedule` asks for them before its run queues (Go's
//!   `findRunnableGCWorker`, through gosched's `GcWorker` hook). The first
//!   `dedicated` Ps to ask each own their P as a dedicated worker until
//!   the work runs out or the world stops (after one 10 ms time slice they
//!   move the tasks queued on the P to the global queue, as Go's
//!   preempted dedicated worker does); with a fractional goal, any other P
//!   marks while its own fractional time this cycle is under the goal and
//!   stops past 1.2 × the goal or after a time slice. `procs(1)` has no
//!   dedicated worker (0.25 rounds to 0) and one P's fractional worker.
//!
//! The heap starts one thread per dedicated worker plus one for the
//! fractional worker at its first cycle (none on a `gosched` runtime, but
//! for a second heap there, whose workers are the runtime's tasks: the
//! runtime has one `GcWorker`). [`CycleStats`]
//! records each
//! cycle's split (`dedicated_workers`, `fractional_worker`) and marking
//! time by mode (`dedicated_time`, `fractional_time`, `idle_time`;
//! `worker_time` is the first two, Go's background time); gctrace prints
//! them as Go's `assist/background/idle` CPU.
//!
//! ```
//! use gogc::{Gc, GcCell, Heap, Trace};
//!
//! #[derive(Trace)]
//! struct Node(GcCell<Option<Gc<Node>>>, [u64; 4]);
//!
//! // Eight processors: two dedicated workers, no fractional one.
//! let heap = Heap::builder().procs(8).min_heap(256 << 10).build();
//! let head = heap.alloc(Node(GcCell::new(None), [0; 4]));
//! for i in 0..50_000u64 {
//!     let node = heap.alloc(Node(GcCell::new(None), [i; 4]));
//!     if i % 100 == 0 {
//!         head.0.store(Some(&node));
//!     }
//! }
//! let last = heap.stats().last;
//! assert!(last.number > 0);
//! assert_eq!((last.procs, last.dedicated_workers), (8, 2));
//! assert!(!last.fractional_worker);
//! ```
//!
//! # Soundness
//!
//! No use-after-free, double free or data race is reachable from safe code.
//! The argument:
//!
//! 1. **Nothing is freed while reachable from a root.** Roots are the
//!    objects with rooted handles. Marking starts from them (a root job
//!    skips a span only when the span's count of rooted objects, kept by
//!    every change of a root count, is zero) and the barrier
//!    keeps its invariant across every store the program can make, because
//!    the only ways to change the graph are `GcCell` setters (which run the
//!    barrier whenever a cycle marks: point 8), allocation (black, initial pointers shaded) and taking or
//!    dropping a rooted handle (the root rules above). `Trace` is an
//!    `unsafe trait`, and its contract (visit every `Gc`; no interior
//!    mutability around one) is what makes "every store is seen" true; the
//!    derive upholds it. With `Barrier::None` the re-mark at termination
//!    rescues whatever the marker missed, so even that mode never frees a
//!    reachable object. With mark workers an object's scan no longer runs
//!    between two stores but beside them; each `GcCell`'s trace is still
//!    atomic with respect to a store into it (the scan lock), which is all
//!    the barrier arguments use: Go's scan is atomic per pointer slot only.
//! 2. **References into the heap cannot outlive their object.** `Gc`
//!    derefs to `&T` borrowed from the handle: a rooted handle keeps the
//!    object alive; an unrooted one is a field we reached through a borrow
//!    of a rooted handle (or a `GcCell` borrow guard, which makes stores
//!    into that cell panic), so the object stays reachable while the
//!    reference lives. The collector can run during such a borrow (`step`
//!    takes `&self`), and point 1 is what makes that fine.
//! 3. **Swept values cannot see freed memory.** A swept value is dropped
//!    after the objects it points to may have been freed. Its `Gc` fields
//!    are unrooted, and an unrooted handle's `Drop` touches nothing. The
//!    derive forbids a `Drop` impl on the traced type (as gc-arena's does),
//!    and `Trace`'s contract forbids a hand-written `Drop` from following a
//!    `Gc`.
//! 4. **No re-entrancy, no data race.** Every entry point takes the heap's
//!    single-entry guard; `Trace` and `Drop` code the heap runs cannot use
//!    it (it panics). The one exception, the plain store of point 8, reads
//!    no state behind the guard and writes only its own cell. Mark workers
//!    share with the owning thread only what they need: atomic mark bits,
//!    the `World`'s mutex-protected list of work buffers, and the objects
//!    they trace, which they only read, through `Trace` (rule 5 of its
//!    contract: a trace reads what it visits, nothing else). What they read
//!    the owning thread either never writes while a cycle marks (an
//!    object's header words, a span's fixed fields, values outside
//!    `GcCell`s, which are immutable) or writes only under the cell's scan
//!    lock (`GcCell` contents); a `GcCell`'s borrow flag and owner, root
//!    counts, weak slots and free lists are never theirs. Workers take work
//!    only between the two pauses and give it back before the mutator
//!    passes either, so sweeping (which frees objects and runs `Drop`) never
//!    overlaps them, and the heap joins them before it frees or leaks its
//!    memory. `Heap`, `Gc`, `GcCell` and `Weak` are neither `Send`
//!    nor `Sync`:
//!
//!    ```compile_fail
//!    fn send<T: Send>(_: T) {}
//!    send(gogc::Heap::new().alloc(1));
//!    ```
//!
//!    ```compile_fail
//!    fn send<T: Send>(_: T) {}
//!    send(gogc::Heap::new());
//!    ```
//! 5. **Handles cannot outlive the heap's memory.** Dropping a `Heap` while
//!    rooted handles exist leaks the heap instead of freeing it. A `Weak`
//!    names its heap by a never-reused identity and a generation-checked
//!    slot, never by address.
//! 6. **One heap's objects never point into another.** Storing a `Gc` into
//!    a value of another heap panics.
//! 7. **Panics leave the heap consistent.** A panicking `Trace` leaves the
//!    object being scanned grey (it is rescanned) and a half-unrooted value
//!    outside the heap; a panicking `Drop` during a sweep frees its slot
//!    first, and the sweep of that span finishes before the panic
//!    continues. A `Trace` that panics on a mark worker unlocks the cell it
//!    was in; the worker catches the panic, leaves the object grey in a
//!    buffer for the mutator and goes on; the mutator queues the object and
//!    re-raises the panic at its next safe point.
//! 8. **The plain store is sound without the guard.** [`GcCell::store`]
//!    (a cell of `Option<Gc<T>>` or `Gc<T>`) takes its target by
//!    reference: the caller's handle, rooted or reached through a borrow,
//!    keeps the target alive for the whole call, so the store moves no
//!    value into the heap and neither roots nor unroots anything. It writes
//!    the cell directly, without entering the heap, when (a) the cell is in
//!    a heap, so its old contents are an unrooted edge whose drop does
//!    nothing; (b) the cell is not borrowed, so no `&` to the old contents
//!    exists; (c) the heap's barrier flag (Go's `writeBarrier.enabled`, an
//!    atomic beside the guarded state, set exactly while the phase is not
//!    `Off`) is clear, so no cycle marks and no invariant, grey set or
//!    barrier buffer needs to hear of the store: the next cycle starts from
//!    the graph as it is then; (d) the target is an object of the cell's
//!    heap (its span says so). Nothing between those tests and the write
//!    runs user code, so they still hold at the write, even when the store
//!    comes from `Drop` code a sweep runs (a sweep runs with no cycle
//!    marking and frees only objects that the last mark found unreachable,
//!    which safe code cannot reach any more). Otherwise the store enters
//!    the heap and runs the barrier as `set` does (and, with mark workers,
//!    replaces the contents under the cell's scan lock); its `Trace` walks
//!    visit one `Gc` and run no user code either. The general setters (`set`,
//!    `replace`, `take`) keep taking the guard on every store into a heap
//!    cell: they move a whole value in or out, and its `Trace` code, run by
//!    the unrooting or re-rooting walk, could otherwise drive a collection
//!    while some of the value's `Gc`s are unrooted and none of them is yet
//!    an edge of the heap (an earlier guard-free `set` was unsound for
//!    exactly that reason). The flag is read with a `Relaxed` load, which
//!    is enough with mark workers too (argued at the load,
//!    `HeapInner::write_barrier_enabled`): the flag only flips on the
//!    owning thread, with the workers stopped, and no worker reads an
//!    object while it is clear, so the plain store races with nothing.
//!
//! **Compared with gc-arena.** gc-arena brands pointers with a `'gc`
//! lifetime and lets the program touch them only inside `mutate`; the
//! collector runs only between `mutate` calls, so no pointer is ever live on
//! the Rust stack during collection ("mutation xor collection"). That needs
//! no root counting, but every type carries the `'gc` lifetime and roots
//! must be reached from the arena's single root object. `gogc` instead lets
//! mutation and collection interleave freely, like Go's mutator and marker:
//! a pointer on the Rust stack is a counted root, so collection can run
//! while the program holds pointers, `Gc<T>` has no lifetime, and any
//! number of roots exist. The price is a root count update when a handle
//! is cloned or dropped, and root scanning that looks at every object's
//! count in the spans that hold a rooted object (each span counts them). The pointer store costs the same in both: gc-arena's
//! `Gc::write` tests the parent's colour (black only while marking) before
//! a plain `Lock::set`, and its brand proves the target alive and of the
//! same arena; `GcCell::store` tests the heap's barrier flag before a plain
//! write, the caller's borrow of a handle proves the target alive, and the
//! target's span proves it of the same heap.
//!
//! # Differences from Go
//!
//! - Go finds pointers with per-type bitmaps and stack maps; Rust code
//!   lists them with [`Trace`], and roots are counted handles, not stacks.
//!   Root scanning walks the object headers of the spans that count a
//!   rooted object (one root job per span).
//! - Objects carry a header (vtable, span, root count, weak slot); Go's have
//!   none.
//! - Oblets: Go scans objects bigger than 128 KiB in pieces; a `Trace` call
//!   is one unit here.
//! - Go has no weak pointers before 1.24; ours are the classic
//!   table-of-slots kind, shaded when upgraded during marking.
//! - Pacing follows Go's pacer with these differences: the root jobs'
//!   work stands for Go's stack and globals scan work; the processors it
//!   plans for are `procs(p)`, or the owning thread and the dedicated
//!   workers of `mark_workers(n)`; the marking time
//!   it measures is split into Go's assist and idle-worker time as
//!   [Pacing](#pacing) describes (without workers the host's step time
//!   stands for both Go's background workers and its assists); the CPU
//!   limiter acts on assists only (gogc has no scavenger; on a `gosched`
//!   runtime it is given the time the Ps spend idle and the idle workers'
//!   time, as Go's; without one, only what the host reports); the sweep distance is a quarter of
//!   `min_heap` (Go's 1 MiB for the default); see [`Pacer`] and
//!   [`CpuLimiter`].
//! - One mutator thread per heap (see [Concurrent marking](#concurrent-marking));
//!   Go's goroutines all share one heap.
//! - Mark workers are threads of the heap's own (see
//!   [Mark workers](#mark-workers)): Go's dedicated and fractional split
//!   with [`HeapBuilder::procs`], or `n` dedicated workers with
//!   [`HeapBuilder::mark_workers`]; only on a `gosched` runtime
//!   (`HeapBuilder::gosched`) do they run on its Ps, picked by `schedule`
//!   before the run queues (`findRunnableGCWorker`), with idle workers
//!   besides. There a worker runs on the M in scheduler context rather
//!   than as a goroutine: a P running a dedicated worker is not retaken
//!   by sysmon (nothing is stuck), and the heap's limiter is updated by
//!   the owning thread, not from `findRunnableGCWorker`. A second heap on
//!   the same runtime runs its workers as ordinary tasks that yield every
//!   50 µs (a runtime has one `GcWorker`, as Go one collector). Worker
//!   threads (no `gosched`): a fractional worker sleeps on a timed wait
//!   where Go would schedule other goroutines on its P.
//! - Only the mutator scans roots (only it may read root counts), as a Go
//!   goroutine scans its own stack; workers scan heap objects.
//! - The global work list is a `Vec` under a mutex, not Go's lock-free
//!   stack; pauses stop one mutator and the workers, not a ragged barrier
//!   over many Ps.
//! - An assist scans and parks for at most a 40 µs slice; then the mutator
//!   allocates on with its debt (Go's assist ends at a preemption request,
//!   which `sysmon` sends after 10 ms, and parks the goroutine until credit
//!   arrives or the cycle ends).
//! - Sweeping stays on the mutator (proportional, on allocation and
//!   `step`), because it runs `Drop` of values that need not be `Send`; Go
//!   also sweeps in a background goroutine.
//!
//! # Cargo features
//!
//! - `std` (default): mark worker threads ([`HeapBuilder::mark_workers`],
//!   [`HeapBuilder::procs`]);
//!   wall-clock timing of steps, pauses, stalls, assists and worker time in
//!   [`Stats`] and [`CycleStats`] (and in the pacer's cons/mark
//!   measurement); gctrace lines to standard error. Implies `alloc`.
//! - `derive` (default): `#[derive(Trace)]`.
//! - `gosched`: mark workers on a `gosched` runtime's Ps, idle ones on its
//!   idle Ps (`HeapBuilder::gosched`). Implies `std`.
//! - `alloc`: the heap. It needs pointer-sized atomics; without `alloc`, or
//!   on a target without them (thumbv6m), the crate holds only the
//!   [`Pacer`].
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(
        clippy::std_instead_of_core,
        clippy::std_instead_of_alloc,
        clippy::alloc_instead_of_core
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod barrier;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod cell_lock;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod central;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod check;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod concurrent;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod gc;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod gctrace;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod heap;
mod limiter;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod mark;
mod pacer;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod sizeclass;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod span;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod stats;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod sweep;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod trace;
#[cfg(all(feature = "std", target_has_atomic = "ptr"))]
mod world;

/// The concurrency protocols, exposed for the loom models in `tests/`.
#[cfg(all(loom, feature = "std", target_has_atomic = "ptr"))]
#[doc(hidden)]
pub mod __loom {
    pub use crate::cell_lock::{OwnerLock, OwnerLockGuard};
    pub use crate::world::{CyclePlan, Mode, WorkerMode, World};
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use crate::{
    barrier::{Barrier, Invariant},
    check::Violation,
    gc::{Gc, GcCell, GcRef, Weak},
    gctrace::GcTrace,
    heap::{Color, Heap, HeapBuilder, Phase, DEFAULT_MIN_HEAP, MAX_MARK_WORKERS, MAX_PROCS},
    stats::{CycleStats, StallCauses, StallHistogram, Stats, STALL_BUCKETS},
    trace::{Trace, Tracer},
};

pub use crate::limiter::{CpuLimiter, CAPACITY_PER_PROC_NANOS, UPDATE_PERIOD_NANOS};
pub use crate::pacer::{Pacer, BACKGROUND_UTILIZATION, NO_MEMORY_LIMIT};

/// `#[derive(Trace)]`: traces every field; see [`Trace`].
#[cfg(all(feature = "derive", feature = "alloc", target_has_atomic = "ptr"))]
pub use gogc_derive::Trace;

#[doc(hidden)]
pub mod __private {
    /// Implemented by `#[derive(Trace)]` for the type, and for every type
    /// with a `Drop` impl: the two conflict, so a derived type cannot
    /// implement `Drop`.
    pub trait MustNotImplDrop {}

    #[allow(drop_bounds)]
    impl<T: Drop> MustNotImplDrop for T {}
}

#[cfg(all(doctest, feature = "std", feature = "derive"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
