//! Concurrent marking, the owning thread's side (Go: `mgc.go`'s
//! `gcBgMarkStartWorkers` and `gcMarkDone`, `mgcmark.go`'s
//! `gcAssistAlloc`): starting and joining the mark workers, stopping and
//! restarting them around the two pauses, the safe points, assists, and the
//! owner's share of marking with termination detection.
//!
//! The workers' side is `mark::run_worker`; what both share, and the
//! handshake's invariants (W1–W6), are in `world`. The cycle with workers:
//!
//! ```text
//!   safe point (alloc, barriered store, step)
//!     ├─ re-raise a worker's panic (its object queued again first)
//!     ├─ Off, spans unswept        → sweep bytes × SWEEP_WORK_PER_BYTE
//!     ├─ Off, heapLive ≥ trigger   → start_cycle: P1 (stop, setup, restart)
//!     └─ Mark                      → assist: revise the pacer (workers' scan
//!                                    work so far), debt += bytes ×
//!                                    pacer.assist_work_per_byte();
//!                                    steal credit (≥ 64 KiB's worth);
//!                                    else mark_work (roots first,
//!                                    ≥ 64 KiB, until the 40 µs slice ends);
//!                                    publish full buffers (a share if the
//!                                    list is empty, all if the workers ran
//!                                    dry); keep the partly filled ones;
//!                                    nothing left, workers idle?
//!                                      → try_terminate: P2
//!                                    after the stall is timed: wake a
//!                                    waiting worker if one was published for
//! ```
//!
//! An assist is a stall of the mutator, so it is bounded in time, not in
//! work: Go's `gcDrainN` stops when its goroutine is asked to yield
//! (`gp.preempt`, checked at every object); here the assist reads the clock
//! every `ASSIST_CLOCK_CHECK_OBJECTS` objects (sooner after a root job)
//! and stops once its `ASSIST_SLICE` is over, parks included. What it did not pay stays in
//! `assist_debt` (Go's negative `gcAssistBytes`): the next allocation adds
//! its own debt to it and assists again, so a mutator that keeps
//! allocating keeps paying, slice by slice, and the heap cannot outrun the
//! marker. (64 KiB of scanning, Go's minimum assist, took 50–240 µs of
//! thread CPU time in the binary-trees churn: about 1,000 two-pointer
//! objects, each a cache miss or two. The rest of an assist — credit,
//! publishing full buffers, accounting — takes a few µs.)
//!
//! The owner hands work to the workers as Go's `gcWork` does (`world`
//! W6): it keeps its partly filled buffers, publishes full ones (and a
//! share of the rest when the shared list is empty, Go's `balance`), and
//! wakes a worker only if one waits for work, after the assist's stall is
//! timed (Go's `enlistWorker`). Waking a worker is a system call, and on a
//! machine with no free CPU the woken worker may run in the mutator's
//! place for a time slice: when every assist published all it queued and
//! woke the workers inside its timed section, such wakes were most assist
//! stalls over 100 µs in the binary-trees churn on a loaded 2-CPU machine.
//! A deferred wake can still cost the mutator that time slice (there, 97 %
//! of the wakes slower than 100 µs came with an involuntary context switch
//! of the owner, median 2.9 ms): it lands in the allocation that assisted,
//! after the stall, and is rarer (only a full buffer, only a waiting worker).
//!
//! Without workers (`mark_workers(0)`, or no `std`) every function here is
//! a no-op or falls through to the host-driven code of `heap`.

#[cfg(feature = "std")]
use alloc::boxed::Box;
#[cfg(feature = "std")]
use alloc::sync::Arc;
#[cfg(feature = "std")]
use alloc::vec::Vec;
use core::time::Duration;

#[cfg(feature = "std")]
use crate::barrier::Barrier;
#[cfg(feature = "std")]
use crate::heap::Phase;
use crate::heap::State;
#[cfg(feature = "std")]
use crate::heap::StepTimer;
#[cfg(feature = "std")]
use crate::heap::{MarkWorkers, MAX_MARK_WORKERS};
#[cfg(feature = "std")]
use crate::mark::{run_worker, WorkBuf};
#[cfg(feature = "std")]
use crate::world::{CyclePlan, World};

/// What a stall of the owning thread waited for (`StallCauses` has a
/// histogram per cause).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Without `std` there are no workers, so no pause or assist stalls.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) enum StallCause {
    /// A stop-the-world pause (or a termination attempt that restarted).
    Pause,
    /// An assist's scanning.
    Assist,
    /// An assist parked for the workers' credit.
    AssistPark,
    /// A barriered store waiting for a worker's scan of the cell.
    CellLock,
}

/// Wake-ups the owning thread owes for buffers it published (`world` W6):
/// made after the stall it is timing, not inside it.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DeferredWake {
    /// A worker thread or task waited for work when the owner published.
    workers: bool,
    /// The owner published: an idle P of a `gosched` runtime may mark.
    #[cfg(feature = "gosched")]
    idle_p: bool,
}

/// The mark workers (threads, or `gosched` tasks) and what they share
/// with the owning thread.
#[cfg(feature = "std")]
pub(crate) struct Workers {
    pub(crate) world: Arc<World<Box<WorkBuf>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// The idle mark workers' registration with a `gosched` runtime.
    #[cfg(feature = "gosched")]
    idle: Option<gosched::IdleRegistration>,
    /// The dedicated and fractional workers as the runtime's GC worker,
    /// run by its Ps before their run queues (`mark::mark_on_p`).
    #[cfg(feature = "gosched")]
    on_ps: Option<gosched::GcWorkerRegistration>,
    /// The dedicated and fractional workers as `gosched` tasks, when the
    /// runtime's GC worker is another heap's.
    #[cfg(feature = "gosched")]
    tasks: Vec<gosched::JoinHandle<()>>,
}

/// The dedicated and fractional mark workers on a `gosched` runtime's Ps:
/// the `GcWorker` its `schedule` runs before the run queues while a cycle
/// marks (`mark::mark_on_p`).
#[cfg(feature = "gosched")]
struct PMarker {
    world: Arc<World<Box<WorkBuf>>>,
}

#[cfg(feature = "gosched")]
impl gosched::GcWorker for PMarker {
    fn has_work(&self) -> bool {
        self.world.p_work_available()
    }

    fn run(&self, p: &gosched::GcWorkerP<'_>) -> bool {
        crate::mark::mark_on_p(&self.world, p)
    }
}

/// Idle mark workers: the `IdleWork` a `gosched` runtime's idle Ps run
/// (`mark::mark_idle`).
#[cfg(feature = "gosched")]
struct IdleMarker {
    world: Arc<World<Box<WorkBuf>>>,
}

#[cfg(feature = "gosched")]
impl gosched::IdleWork for IdleMarker {
    fn has_work(&self) -> bool {
        self.world.idle_work_available()
    }

    fn run(&self, idle: &gosched::IdleP<'_>) -> bool {
        crate::mark::mark_idle(&self.world, &mut || idle.should_stop())
    }
}

#[cfg(feature = "std")]
impl Workers {
    /// Starts the workers `config` asks for: threads, or with a `gosched`
    /// runtime its tasks (and the idle workers' registration).
    pub(crate) fn start(config: &crate::heap::Config) -> Workers {
        let n = config.mark_workers.threads();
        let mut workers = Workers {
            world: Arc::new(World::new()),
            threads: Vec::with_capacity(n.min(MAX_MARK_WORKERS)),
            #[cfg(feature = "gosched")]
            idle: None,
            #[cfg(feature = "gosched")]
            on_ps: None,
            #[cfg(feature = "gosched")]
            tasks: Vec::new(),
        };
        #[cfg(feature = "gosched")]
        if let Some(hook) = &config.idle_hook {
            let marker = IdleMarker {
                world: Arc::clone(&workers.world),
            };
            workers.idle = hook.register(Arc::new(marker));
            let marker = PMarker {
                world: Arc::clone(&workers.world),
            };
            workers.on_ps = hook.register_gc_worker(Arc::new(marker));
            if workers.on_ps.is_some() {
                // The runtime's Ps are the workers.
                return workers;
            }
        }
        for i in 0..n {
            // On a `gosched` runtime the workers are its tasks (threads of
            // the heap's own if the runtime is gone).
            #[cfg(feature = "gosched")]
            if let Some(hook) = &config.idle_hook {
                let task = crate::mark::MarkTask::new(Arc::clone(&workers.world), i);
                if let Some(handle) = hook.spawn(task) {
                    workers.tasks.push(handle);
                    continue;
                }
            }
            // Threads of the heap's own: at most `MAX_MARK_WORKERS` (the
            // builder clamps `mark_workers` and `procs` so; only a
            // `gosched` runtime gone before the first cycle, with more
            // than `MAX_PROCS` Ps, asks for more).
            if workers.threads.len() == MAX_MARK_WORKERS {
                break;
            }
            let world = Arc::clone(&workers.world);
            let spawned = std::thread::Builder::new()
                .name(alloc::format!("gogc-mark-{i}"))
                .spawn(move || run_worker(&world, i));
            match spawned {
                Ok(thread) => workers.threads.push(thread),
                Err(e) => {
                    // Stop the ones already running before giving up, so
                    // that no worker waits for a world that is gone.
                    workers.join();
                    panic!("gogc: cannot start a mark worker thread: {e}");
                }
            }
        }
        workers
    }

    /// Tells the workers to exit and joins the threads; idle workers are
    /// unregistered, and the stretches of idle workers and tasks in
    /// progress waited for.
    pub(crate) fn join(self) {
        #[cfg(feature = "gosched")]
        drop(self.idle);
        #[cfg(feature = "gosched")]
        drop(self.on_ps);
        self.world.exit();
        // No worker holds work after this (W2); none takes any after `exit`.
        drop(self.world.stop_the_world());
        // Worker tasks return at their next poll (`exit` woke them); a task
        // not polled again is dropped by the abort.
        #[cfg(feature = "gosched")]
        for task in self.tasks {
            task.abort();
        }
        for thread in self.threads {
            // A worker catches every panic of the `Trace` code it runs, so
            // it returns normally.
            let _ = thread.join();
        }
    }
}

#[cfg(feature = "std")]
impl crate::stats::CycleStats {
    /// Adds the workers' marking time by mode, in nanoseconds: dedicated
    /// and fractional to `worker_time` (Go's background time), idle apart.
    pub(crate) fn add_worker_times(&mut self, dedicated: u64, fractional: u64, idle: u64) {
        let (dedicated, fractional) = (
            Duration::from_nanos(dedicated),
            Duration::from_nanos(fractional),
        );
        self.dedicated_time += dedicated;
        self.fractional_time += fractional;
        self.worker_time += dedicated + fractional;
        self.idle_time += Duration::from_nanos(idle);
    }
}

/// Go's `gcOverAssistWork`: an assist does at least 64 KiB of scan work.
#[cfg(feature = "std")]
const MIN_ASSIST_WORK: f64 = 64.0 * 1024.0;

/// The longest one assist scans and parks in all before the allocation
/// goes on with what is left of its debt (paid by the next allocations):
/// Go's `gcDrainN` returns when the goroutine is preempted, and parks
/// until credit comes; here both end with the slice, so that an assist
/// stays a stall well under 100 µs (a worker the OS has descheduled may
/// hold the grey objects for a whole time slice, ms, and the owner does
/// not wait for it that long).
#[cfg(feature = "std")]
pub(crate) const ASSIST_SLICE: Duration = Duration::from_micros(40);

/// How often an assist's scanning reads the clock for the end of its
/// slice: every this many objects or root jobs, and after every
/// [`ASSIST_CLOCK_CHECK_WORK`] units of scan work between. An object of
/// the churn benchmark scans in 30–200 ns, so the slice overruns by a few
/// µs at most, and the clock costs well under 1 % of the scanning.
#[cfg(feature = "std")]
pub(crate) const ASSIST_CLOCK_CHECK_OBJECTS: usize = 32;

/// Scan work units (about bytes) after which an assist reads the clock
/// even before `ASSIST_CLOCK_CHECK_OBJECTS` objects: 32 of the churn
/// benchmark's 64-byte objects, or one root job (a span's root counts,
/// 3 KiB of work in 5–10 µs). Counting objects alone let an assist run
/// 22 root jobs, 110–160 µs, past a check.
#[cfg(feature = "std")]
pub(crate) const ASSIST_CLOCK_CHECK_WORK: usize = 2048;

/// How many times one assist parks and retries within its slice. Each
/// retry follows a wake-up that changed something: credit, a buffer to
/// take, or workers gone idle (so the retry's scan ends the mark).
#[cfg(feature = "std")]
const MAX_ASSIST_RETRIES: usize = 4;

/// Go's `gcAssistTimeSlack`: assist nanoseconds pooled before the CPU
/// limiter is updated.
#[cfg(feature = "std")]
const GC_ASSIST_TIME_SLACK_NANOS: i64 = 5000;

/// Sweep work units an allocation pays while spans are left to sweep, per
/// byte allocated (Go's proportional sweep, `deductSweepCredit`, with a
/// fixed ratio of 2 header-sized units per byte instead of Go's computed
/// one). What is left unswept when allocation reaches the pacer's trigger,
/// the cycle's start sweeps (as Go's `gcStart` does).
#[cfg(feature = "std")]
const SWEEP_WORK_PER_BYTE: usize = 2;

impl State {
    /// Whether mark workers may be tracing objects now: the heap has them
    /// and a cycle marks (`cell_lock` I1).
    #[inline]
    pub(crate) fn workers_may_scan(&self) -> bool {
        #[cfg(feature = "std")]
        return self.workers.is_some() && self.marking();
        #[cfg(not(feature = "std"))]
        return false;
    }

    /// The shared state of the mark workers, if they run.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn world(&self) -> Option<Arc<World<Box<WorkBuf>>>> {
        self.workers.as_ref().map(|w| Arc::clone(&w.world))
    }

    /// Whether this heap runs mark workers (configured; they start at the
    /// first cycle).
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn concurrent(&self) -> bool {
        self.config.mark_workers != MarkWorkers::None
    }

    /// Whether idle Ps of a `gosched` runtime run idle mark workers.
    #[cfg(feature = "std")]
    fn has_idle_workers(&self) -> bool {
        #[cfg(feature = "gosched")]
        return self.config.idle_hook.is_some();
        #[cfg(not(feature = "gosched"))]
        return false;
    }

    /// This cycle's split of the workers, from the pacer's `start_cycle`;
    /// with a `gosched` runtime, up to `P − dedicated` idle workers (Go
    /// 1.19's `maxIdleMarkWorkers` for a heap-triggered cycle).
    #[cfg(feature = "std")]
    pub(crate) fn cycle_plan(&self) -> CyclePlan {
        match self.config.mark_workers {
            MarkWorkers::Procs(procs) => {
                let dedicated = usize::try_from(self.pacer.dedicated_mark_workers()).unwrap_or(0);
                let max_idle = if self.has_idle_workers() {
                    (procs as usize).saturating_sub(dedicated)
                } else {
                    0
                };
                CyclePlan {
                    dedicated,
                    fractional_goal: self.pacer.fractional_utilization_goal(),
                    max_idle,
                }
            }
            MarkWorkers::None | MarkWorkers::Dedicated(_) => CyclePlan {
                dedicated: usize::MAX,
                fractional_goal: 0.0,
                max_idle: 0,
            },
        }
    }

    /// Counts a stall of the owning thread in the histogram and in its
    /// cause's.
    pub(crate) fn record_stall(&mut self, stall: Duration, cause: StallCause) {
        self.stats.stalls.record(stall);
        let causes = &mut self.stats.stall_causes;
        match cause {
            StallCause::Pause => {
                causes.pause.record(stall);
                self.paused += stall;
            }
            StallCause::Assist => causes.assist.record(stall),
            StallCause::AssistPark => causes.assist_park.record(stall),
            StallCause::CellLock => causes.cell_lock.record(stall),
        }
    }

    /// Counts a stop-the-world pause (a stall too) of a heap with mark
    /// workers. (Without them every collector call is the host's own
    /// choice, timed per step in `CycleStats::longest_step`.)
    pub(crate) fn record_pause(&mut self, pause: Duration) {
        #[cfg(feature = "std")]
        if self.concurrent() {
            self.stats.longest_pause = self.stats.longest_pause.max(pause);
            self.record_stall(pause, StallCause::Pause);
        }
        #[cfg(not(feature = "std"))]
        let _ = pause;
    }

    /// A safe point of the owning thread (every allocation, barriered
    /// store and step): re-raises the first panic a `Trace` raised on a
    /// mark worker since the last one, after queueing its object again.
    #[inline]
    pub(crate) fn safe_point(&mut self) {
        #[cfg(feature = "std")]
        if let Some(workers) = &self.workers {
            if workers.world.has_panics() {
                self.reraise_worker_panic();
            }
        }
    }

    /// The slow part of `safe_point`.
    #[cfg(feature = "std")]
    #[cold]
    pub(crate) fn reraise_worker_panic(&mut self) {
        if let Some(world) = self.world() {
            let panics = world.take_panics();
            if let Some(payload) = self.requeue_panicked(panics) {
                if self.phase == Phase::Mark {
                    world.publish(self.mark.work.take_all());
                }
                std::panic::resume_unwind(payload);
            }
        }
    }

    /// Stops the mark workers and takes everything they hold into the owning
    /// thread's queue and counters (W2 of `world`); they stay stopped until
    /// `start_workers`. Returns the first panic payload they reported.
    #[cfg(feature = "std")]
    pub(crate) fn stop_workers(&mut self) -> Option<alloc::boxed::Box<dyn core::any::Any + Send>> {
        let world = self.world()?;
        // Ps stop asking for mark work (those marking stop at the stop).
        #[cfg(feature = "gosched")]
        if let Some(on_ps) = self.workers.as_ref().and_then(|w| w.on_ps.as_ref()) {
            on_ps.set_active(false);
        }
        let timer = StepTimer::start();
        let mut control = world.stop_the_world();
        self.stats.stall_causes.stop_wait.record(timer.elapsed());
        let full = core::mem::take(&mut control.full);
        let panics = core::mem::take(&mut control.panics);
        // The workers' scan work since the last stop (W2: all of it is in
        // the count now).
        let scanned = world.scanned();
        let worker_work = scanned.saturating_sub(self.worker_work_taken);
        self.worker_work_taken = scanned;
        let cycle = &mut self.mark.cycle;
        cycle.worker_work += worker_work;
        cycle.heap_scan_work += worker_work;
        let idle_nanos = core::mem::take(&mut control.idle_nanos);
        cycle.add_worker_times(
            core::mem::take(&mut control.dedicated_nanos),
            core::mem::take(&mut control.fractional_nanos),
            idle_nanos,
        );
        // Idle workers' time is idle time to the CPU limiter (Go's
        // `limiterEventIdleMarkWork`).
        #[cfg(feature = "gosched")]
        self.limiter
            .add_idle_time(i64::try_from(idle_nanos).unwrap_or(i64::MAX));
        cycle.marked_objects += core::mem::take(&mut control.marked_objects);
        cycle.marked_bytes += core::mem::take(&mut control.marked_bytes);
        drop(control);
        for buf in full {
            self.mark.work.put_buf(buf);
        }
        self.requeue_panicked(panics)
    }

    /// Puts the grey objects of the workers' panicked traces back in the
    /// owning thread's queue and returns the first panic's payload. The
    /// other payloads are dropped only after every object is queued, each
    /// under its own guard: a payload whose `Drop` panics cannot unwind out
    /// of the safe point with objects still unqueued, nor abort the process
    /// by panicking again during that unwind (its own payload is leaked).
    #[cfg(feature = "std")]
    fn requeue_panicked(
        &mut self,
        panics: Vec<crate::world::WorkerPanic<Box<WorkBuf>>>,
    ) -> Option<alloc::boxed::Box<dyn core::any::Any + Send>> {
        let mut payloads = alloc::vec::Vec::with_capacity(panics.len());
        for (payload, buf) in panics {
            self.mark.work.put_buf(buf);
            payloads.push(payload);
        }
        let mut payloads = payloads.into_iter();
        let first = payloads.next();
        for extra in payloads {
            let dropped = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| drop(extra)));
            if let Err(nested) = dropped {
                core::mem::forget(nested);
            }
        }
        first
    }

    /// Hands the owning thread's grey objects to the workers and lets them
    /// mark (if a cycle marks) or sleep.
    #[cfg(feature = "std")]
    pub(crate) fn start_workers(&mut self) {
        // The restart wakes every worker (and an idle P) itself.
        self.deferred_wake = DeferredWake::default();
        if let Some(world) = self.world() {
            let marking = self.phase == Phase::Mark;
            if marking {
                world.publish(self.mark.work.take_all());
            }
            world.start_the_world(marking);
            if marking {
                // Go's `gcBlackenEnabled = 1` (the Ps' `schedule` runs the
                // dedicated and fractional workers), then `wakep`.
                #[cfg(feature = "gosched")]
                if let Some(on_ps) = self.workers.as_ref().and_then(|w| w.on_ps.as_ref()) {
                    on_ps.set_active(true);
                }
                self.wake_idle_worker();
            }
        }
    }

    /// Wakes an idle P of the `gosched` runtime, if any, to run an idle
    /// mark worker (Go's `wakep` after `gcStart`; here also whenever the
    /// owning thread publishes grey objects, since only it scans the roots
    /// and so the work appears after the start). Without idle workers it
    /// does nothing.
    #[cfg(feature = "std")]
    fn wake_idle_worker(&self) {
        #[cfg(feature = "gosched")]
        if let Some(idle) = self.workers.as_ref().and_then(|w| w.idle.as_ref()) {
            idle.wake();
        }
    }

    /// Publishes buffers the owning thread filled, for the workers, and
    /// notes the wake-ups owed, made by `wake_deferred` (`world` W6).
    #[cfg(feature = "std")]
    #[allow(clippy::vec_box)] // buffers move by pointer, as in `GcWork`
    fn publish_deferring_wake(&mut self, world: &World<Box<WorkBuf>>, bufs: Vec<Box<WorkBuf>>) {
        if bufs.is_empty() {
            return;
        }
        if world.publish_quietly(bufs) {
            self.deferred_wake.workers = true;
        }
        #[cfg(feature = "gosched")]
        {
            self.deferred_wake.idle_p = true;
        }
    }

    /// Makes the wake-ups `publish_deferring_wake` noted: the workers
    /// waiting for work (if they still are and the buffers are still
    /// there), and an idle P of a `gosched` runtime.
    #[cfg(feature = "std")]
    pub(crate) fn wake_deferred(&mut self) {
        let wake = core::mem::take(&mut self.deferred_wake);
        if wake.workers {
            if let Some(world) = self.world() {
                world.wake_waiting_workers();
            }
        }
        #[cfg(feature = "gosched")]
        if wake.idle_p {
            self.wake_idle_worker();
        }
    }

    /// Runs `f` with the workers stopped and their work gathered here (for
    /// the checker and colour queries), then restarts them.
    pub(crate) fn with_world_stopped<R>(&mut self, f: impl FnOnce(&mut State) -> R) -> R {
        #[cfg(feature = "std")]
        if self.workers.is_some() {
            let payload = self.stop_workers();
            let result = f(self);
            self.start_workers();
            if let Some(payload) = payload {
                std::panic::resume_unwind(payload);
            }
            return result;
        }
        f(self)
    }

    /// Go's `gcAssistAlloc` and the allocation-side sweep and trigger of a
    /// heap with mark workers: before allocating `bytes`, sweep a little
    /// while the last cycle's sweep is unfinished, then start a cycle if the
    /// live heap has reached the pacer's trigger (Go's `mallocgc` testing
    /// `gcTrigger{kind: gcTriggerHeap}`; `gcStart` finishes the sweep); or,
    /// while marking, pay the allocation's debt by stealing the workers'
    /// credit or doing scan work.
    pub(crate) fn before_alloc(&mut self, bytes: usize) {
        #[cfg(feature = "std")]
        {
            if !self.concurrent() {
                return;
            }
            self.safe_point();
            match self.phase {
                Phase::Off => {
                    if !self.sweep_done {
                        self.sweep_work(bytes.saturating_mul(SWEEP_WORK_PER_BYTE).max(1));
                    }
                    self.sync_pacer_memory();
                    if self.pacer.test_heap_trigger() {
                        self.start_cycle(false);
                    }
                }
                Phase::Mark | Phase::MarkTermination => self.assist(bytes),
            }
        }
        #[cfg(not(feature = "std"))]
        let _ = bytes;
    }

    /// The assist of `before_alloc` while marking (Go's `gcAssistAlloc`):
    /// revise the pacer with the workers' scan work so far, add the
    /// allocation's debt, steal the workers' credit, then scan; with no
    /// grey object to scan while the workers hold them all, park until they
    /// flush credit (Go's `gcParkAssist`) and retry. Scanning and parking
    /// end with the `ASSIST_SLICE`; the debt left is kept for the next
    /// allocation (`CycleStats::assists_preempted`). While the CPU limiter
    /// is on the debt is kept but not paid (Go returns early). Either way
    /// the owning thread scans roots while any are left and tries to end
    /// the mark once the workers run out of work: only it can.
    #[cfg(feature = "std")]
    pub(crate) fn assist(&mut self, bytes: usize) {
        let Some(world) = self.world() else {
            return;
        };
        // Go's `revise` runs whenever the live heap or the scan work done
        // changes: give the pacer what the workers scanned since the last
        // assist, then take its ratio.
        self.pace_worker_work(world.scanned());
        self.pacer.revise();
        self.assist_debt += bytes as f64 * self.pacer.assist_work_per_byte();
        let limiting = self.limiter_limiting();
        if limiting && self.assist_debt > 0.0 {
            self.mark.cycle.assists_limited += 1;
        }
        let owes = !limiting && self.assist_debt > 0.0;
        if owes {
            // Go's `gcAssistAlloc` steals for at least `gcOverAssistWork`:
            // what is over the debt is credit for the next allocations, so
            // a mutator steals once per 64 KiB of scan work, not at every
            // allocation (the credit counter is the workers' cache line).
            let want = self.assist_debt.max(MIN_ASSIST_WORK) as usize;
            let stolen = world.steal_credit(want);
            self.assist_debt -= stolen as f64;
        }
        let owes = owes && self.assist_debt > 0.0;
        if !owes && self.roots.done && !world.mark_done_hint() {
            return;
        }
        let timer = StepTimer::start();
        let slice_ends = std::time::Instant::now() + ASSIST_SLICE;
        let paused_before = self.paused;
        let mut parked = Duration::ZERO;
        let mut work = 0;
        for _ in 0..MAX_ASSIST_RETRIES {
            // At least Go's 64 KiB (`gcOverAssistWork`; what is over the
            // debt is credit for the next allocations), until the slice
            // ends.
            let budget = if owes {
                self.assist_debt.max(MIN_ASSIST_WORK) as usize
            } else {
                MIN_ASSIST_WORK as usize
            };
            let done = self.mark_work_until(budget, Some(slice_ends));
            work += done;
            if owes {
                self.assist_debt -= done as f64;
            }
            if done > 0 || !owes || self.assist_debt <= 0.0 || !self.marking() {
                break;
            }
            // Nothing this thread can scan: the workers hold every grey
            // object. Wait for their credit (W5 of `world`) until the slice
            // ends.
            let now = std::time::Instant::now();
            if now >= slice_ends {
                break;
            }
            let park = StepTimer::start();
            let want = self.assist_debt as usize;
            let credit = world.park_assist(want, slice_ends - now);
            self.assist_debt -= credit as f64;
            parked += park.elapsed();
            self.mark.cycle.assist_parks += 1;
            self.mark.cycle.assist_park_credit += credit as u64;
            if credit >= want || world.has_panics() {
                // Paid, or a worker's panic for the next safe point.
                break;
            }
        }
        if owes && self.assist_debt > 0.0 && self.marking() {
            // The slice ended (or the retries did) with debt left: the next
            // allocation pays it.
            self.mark.cycle.assists_preempted += 1;
        }
        let elapsed = timer.elapsed();
        let cycle = if self.marking() {
            &mut self.mark.cycle
        } else {
            &mut self.stats.last
        };
        cycle.assist_work += work as u64;
        cycle.assist_time += elapsed;
        cycle.assist_park_time += parked;
        // A mark termination the assist ran is a pause of its own (the
        // limiter counts pauses as GC time on every processor already), and
        // a parked owner uses no CPU.
        let paused = self.paused.saturating_sub(paused_before);
        let scanning = elapsed.saturating_sub(parked).saturating_sub(paused);
        self.note_assist_time(scanning);
        self.record_stall(scanning, StallCause::Assist);
        if !parked.is_zero() {
            self.record_stall(parked, StallCause::AssistPark);
        }
        // Outside the stall: the wake is a system call, and on a machine
        // with fewer free CPUs than threads the woken worker may run in the
        // mutator's place for a while (`world` W6).
        self.wake_deferred();
    }

    /// Go's `gcCPULimiter.limiting()`, updating the limiter first when its
    /// window is longer than Go's update period (Go updates it from
    /// `findRunnableGCWorker`, where the heap's limiter, owned by the
    /// owning thread, is out of reach).
    #[cfg(feature = "std")]
    fn limiter_limiting(&mut self) -> bool {
        if self.limiter.limiting() {
            let now = crate::heap::nanos(self.clock.now());
            if self.limiter.need_update(now) {
                #[cfg(feature = "gosched")]
                self.feed_limiter_idle_time();
                self.limiter.update(now);
            }
        }
        self.limiter.limiting()
    }

    /// Gives the CPU limiter an assist's scanning time (Go's
    /// `limiterEvent.stop` for `limiterEventMarkAssist`),
    /// updating it once more than Go's `gcAssistTimeSlack` has pooled, or
    /// its window is due.
    #[cfg(feature = "std")]
    fn note_assist_time(&mut self, elapsed: Duration) {
        let nanos = crate::heap::nanos(elapsed);
        self.pending_assist_nanos = self.pending_assist_nanos.saturating_add(nanos);
        self.limiter.add_assist_time(nanos);
        let now = crate::heap::nanos(self.clock.now());
        if self.pending_assist_nanos > GC_ASSIST_TIME_SLACK_NANOS || self.limiter.need_update(now) {
            self.pending_assist_nanos = 0;
            #[cfg(feature = "gosched")]
            self.feed_limiter_idle_time();
            self.limiter.update(now);
        }
    }

    /// Gives the CPU limiter the time the `gosched` runtime's Ps spent on
    /// its idle list since the last call (Go's `limiterEventIdle`: the
    /// pool `pidleget` fills, and the in-flight events `updateLocked`
    /// consumes), before each update of the limiter.
    #[cfg(feature = "gosched")]
    pub(crate) fn feed_limiter_idle_time(&mut self) {
        let Some(total) = self.config.idle_hook.as_ref().and_then(|h| h.idle_time()) else {
            return;
        };
        let total = u64::try_from(total.as_nanos()).unwrap_or(u64::MAX);
        if total > self.idle_time_fed {
            let new = total - self.idle_time_fed;
            self.idle_time_fed = total;
            self.limiter
                .add_idle_time(i64::try_from(new).unwrap_or(i64::MAX));
        }
    }

    /// Gives the pacer the workers' scan work beyond what it has seen:
    /// `total` is their scan work this cycle so far.
    #[cfg(feature = "std")]
    pub(crate) fn pace_worker_work(&mut self, total: u64) {
        let new = total.saturating_sub(self.worker_work_paced);
        if new > 0 {
            self.worker_work_paced = total;
            self.pacer.add_scan_work(new, 0);
        }
    }

    /// `mark_work` with mark workers: the owning thread scans roots (only it
    /// may read root counts), its own grey objects and buffers it takes from
    /// the shared list, hands what it queued to the workers, and tries to
    /// end the mark when it finds no work (Go's `gcMarkDone`).
    #[cfg(feature = "std")]
    pub(crate) fn mark_work_concurrent(&mut self, budget: usize) -> usize {
        let work = self.mark_work_until(budget, None);
        self.wake_deferred();
        work
    }

    /// `mark_work_concurrent`, stopping early (with at least one object or
    /// root job done) once the clock passes `slice_ends`, read every
    /// `ASSIST_CLOCK_CHECK_OBJECTS` objects or `ASSIST_CLOCK_CHECK_WORK`
    /// units of scan work (Go's `gcDrainN` checking
    /// `gp.preempt`).
    #[cfg(feature = "std")]
    fn mark_work_until(&mut self, budget: usize, slice_ends: Option<std::time::Instant>) -> usize {
        let Some(world) = self.world() else {
            return self.mark_work_alone(budget);
        };
        if self.phase == Phase::MarkTermination {
            // A `Trace` panicked in the last termination; the workers are
            // stopped, the termination resumes.
            return self.terminate_stopped(StepTimer::start());
        }
        self.resume_interrupted_scan();
        let root_work_before = self.mark.cycle.root_scan_work;
        let began = self.clock.now();
        let mut work = 0;
        let mut heap_work = 0;
        let mut found_none = false;
        let mut scanned_objects = 0usize;
        let mut work_at_check = 0;
        while work < budget || work == 0 {
            if let Some((scanned, heap_scanned)) = self.scan_grey_or_root() {
                work += scanned;
                heap_work += heap_scanned;
                scanned_objects += 1;
                if let Some(slice_ends) = slice_ends {
                    if scanned_objects % ASSIST_CLOCK_CHECK_OBJECTS == 0
                        || work - work_at_check >= ASSIST_CLOCK_CHECK_WORK
                    {
                        work_at_check = work;
                        if std::time::Instant::now() >= slice_ends {
                            break;
                        }
                    }
                }
            } else if let Some(buf) = world.try_take() {
                self.mark.work.put_buf(buf);
            } else {
                found_none = true;
                break;
            }
        }
        // Go's `gcWork`: the owner keeps its partly filled buffers and hands
        // over full ones (`putfull`), plus a share of the rest when the
        // shared list is empty (`gcDrainN`'s `balance`); when the workers
        // ran dry (the hint), everything (`gcMarkDone`'s flush). W6.
        let workers_dry = world.mark_done_hint();
        let mut spare = if workers_dry {
            self.mark.work.take_all()
        } else {
            self.mark.work.take_full()
        };
        if spare.is_empty() && world.shared_work_empty() {
            spare.extend(self.mark.work.balance());
        }
        self.publish_deferring_wake(&world, spare);
        self.account_mark_work(work, heap_work, root_work_before, began);
        // Try to end the mark only when the workers and this thread are out
        // of work: a stop while they still drain would only hand their
        // buffers back and restart them.
        if found_none && (workers_dry || world.workers_idle()) {
            work += self.try_terminate();
        }
        work
    }

    /// Go's `gcMarkDone`: stop the world, flush the barrier buffer; if that
    /// (or anything the workers handed back) left grey objects, restart and
    /// keep marking, else run mark termination. Returns the work done.
    #[cfg(feature = "std")]
    pub(crate) fn try_terminate(&mut self) -> usize {
        if !self.roots.done {
            return 0;
        }
        let timer = StepTimer::start();
        let payload = self.stop_workers();
        if !self.mark.wbbuf.is_empty() {
            self.mark.flush_wbbuf();
        }
        if payload.is_some() || !self.mark.work.is_empty() {
            self.mark.cycle.mark_restarts += 1;
            self.start_workers();
            self.record_stall(timer.elapsed(), StallCause::Pause);
            if let Some(payload) = payload {
                std::panic::resume_unwind(payload);
            }
            return 0;
        }
        if let Some(started) = self.mark_started.take() {
            self.mark.cycle.concurrent_mark = started.elapsed();
        }
        self.terminate_stopped(timer)
    }

    /// Mark termination with the workers stopped (they stay stopped: no
    /// cycle marks afterwards).
    #[cfg(feature = "std")]
    pub(crate) fn terminate_stopped(&mut self, timer: StepTimer) -> usize {
        let mut work = 0;
        if self.phase == Phase::Mark && self.config.barrier == Barrier::Dijkstra {
            let root_work_before = self.mark.cycle.root_scan_work;
            let began = self.clock.now();
            let (rescan_work, drain_work) = self.rescan_roots_and_drain();
            self.account_mark_work(rescan_work, drain_work, root_work_before, began);
            work += rescan_work;
        }
        self.mark.cycle.mark_termination_pause = timer.elapsed();
        work += self.mark_termination();
        let pause = timer.elapsed();
        self.stats.last.mark_termination_pause = pause;
        self.record_pause(pause);
        work
    }
}

#[cfg(all(test, feature = "gosched", not(miri)))]
mod tests {
    use core::time::Duration;

    use crate::heap::nanos;
    use crate::CpuLimiter;

    /// Go's `gcCPULimiter.update` subtracts the Ps' idle time from the
    /// window: on a runtime whose two Ps stay idle, a marking window's 25 %
    /// background time is more than the mutator time left, so the bucket
    /// fills; counted as mutator time, the idle time would keep it empty.
    #[test]
    fn the_runtimes_idle_time_reaches_the_limiter() {
        let rt = gosched::Runtime::builder().procs(2).build().unwrap();
        let heap = crate::Heap::builder().gosched(&rt).build();
        let mut state = heap.inner().enter();
        let start = nanos(state.clock.now());
        state.limiter = CpuLimiter::new(start, 2);
        state.feed_limiter_idle_time();
        state.limiter.start_gc_transition(true, start);
        state.limiter.finish_gc_transition(start);
        let fed_before = state.idle_time_fed;
        std::thread::sleep(Duration::from_millis(20));
        state.feed_limiter_idle_time();
        let now = nanos(state.clock.now());
        state.limiter.update(now);
        let window = u64::try_from(now - start).unwrap();
        let fed = state.idle_time_fed - fed_before;
        // Both Ps idle all along: about the whole window on each, never
        // more (a millisecond for the reads in between).
        assert!(fed >= window, "idle {fed} ns of a {window} ns window");
        assert!(
            fed <= 2 * window + 1_000_000,
            "idle {fed} ns of a {window} ns window"
        );
        assert!(state.limiter.fill() > 0);
    }
}
