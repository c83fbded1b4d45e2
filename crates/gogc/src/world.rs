//! The state the owning thread shares with the mark workers, and the
//! stop-the-world handshake (Go: `work.full` in `mgcwork.go`, the worker
//! loop of `gcBgMarkWorker` and `stopTheWorldWithSema` /
//! `startTheWorldWithSema` in `proc.go`).
//!
//! # What is shared
//!
//! ```text
//!        owning thread (mutator)                         mark workers
//!   ┌─────────────────────────────┐   World (Arc)   ┌──────────────────────┐
//!   │ roots, root counts, borrows │  ┌───────────┐  │ local GcWork         │
//!   │ weak table, sweeping, Drop  │  │ Mutex:    │  │ pop grey object,     │
//!   │ wbBuf, its own GcWork       │─▶│  full bufs│◀─│ trace it, shade      │
//!   │ phase, barrier flag         │  │  mode     │  │ children (atomic     │
//!   │                             │  │  active   │  │ mark bits), push     │
//!   │ stop / start the world      │  │  requeue, │  │ the new grey ones    │
//!   └─────────────────────────────┘  │  panic    │  └──────────────────────┘
//!                                    │ stop flag │
//!                                    │ credit    │
//!                                    └───────────┘
//! ```
//!
//! The global list of full work buffers sits under one mutex (Go keeps a
//! lock-free stack; with the handful of workers a heap has, and buffers of
//! 253 objects, the lock is taken once per buffer, rarely enough not to
//! matter). Workers sleep on a condition variable while no cycle marks or
//! no buffer is available.
//!
//! # Invariants
//!
//! - W1. A worker holds work (is *active*) only between `worker_take` and
//!   its `worker_done`; `active` counts those workers. Workers take work
//!   only while `mode == Marking` and no stop is requested.
//! - W2. `stop_the_world` returns only when `active == 0` with `mode !=
//!   Marking`: no worker holds an object, none can take one, and every
//!   buffer a worker filled has been handed back (W1), so the owning thread
//!   alone touches objects, mark bits and work buffers until
//!   `start_the_world`. The mutex's release/acquire pairs order every
//!   worker write before the owner's return, and the owner's writes (phase,
//!   barrier flag, objects) before any worker's next `worker_take`.
//! - W3. A worker re-checks the stop flag after each object, so a stop
//!   waits for at most one object's trace per worker (plus handing its
//!   buffers back).
//! - W4. Termination is decided only by the owning thread with the world
//!   stopped (Go's `gcMarkDone` with its ragged barrier, here a full stop):
//!   the `mark_done` hint says only that the workers are out of work: the
//!   last of them to find no buffer left raises it, and so does a restart
//!   with the list empty; a worker's take of a buffer clears it.
//! - W5. A parked assist (Go's `gcParkAssist`) is woken by every change
//!   that could end its wait: workers publish buffers, report a panic or
//!   finish (`active` falling) only with the mutex held, and the owner
//!   checks those conditions and sets `assist_parked` under the same mutex
//!   before it waits, so no wake-up is lost. Credit alone is flushed
//!   without the lock while no assist is parked (Go's `gcFlushBgCredit`
//!   fast path): the flush adds the credit, then reads the `assist_waiting`
//!   flag; the owner sets the flag, then reads the credit, each pair split
//!   by a SeqCst fence, so either the owner sees the credit or the flush
//!   sees the flag and wakes it under the lock. The owner is the only thread that parks,
//!   stops the world or changes the mode, so the cycle cannot end under a
//!   parked assist (Go's `gcWakeAllAssists` has nothing to wake); the last
//!   worker to go idle wakes it instead, and it goes on to terminate the
//!   mark.
//! - W6. The owning thread keeps its partly filled buffers (Go's per-P
//!   `gcWork`) and publishes only full ones, plus a share of the rest when
//!   the list is empty (Go's `gcDrainN` calling `balance`), with
//!   `publish_quietly`; only if a worker waits does it wake it, with
//!   `wake_waiting_workers` once the stall it is timing is over (Go's
//!   `enlistWorker`, called only when a full buffer reaches `work.full`).
//!   The objects it keeps are never lost to termination: a termination
//!   attempt stops the world and finds them in the owner's own queue, and
//!   restarts the mark with them published (W4); and when the hint says
//!   the workers ran dry, the owner hands its partial buffers to them (Go's
//!   `gcMarkDone` flushing every `gcWork`) instead of trying to terminate.
//!   So a list, one grey object at a time, stays in the owner's partial
//!   buffer while a worker waits, as in Go 1.19: an assist's `gcDrainN`
//!   keeps it in its P's `gcWork` (`balance` shares only `wbuf2` or more
//!   than 4 objects), and a dedicated worker, which takes only from
//!   `work.full`, gets it once it runs dry and `gcMarkDone`'s `forEachP`
//!   flushes that `gcWork` (here: the hint, read when the owner's current
//!   or next assist ends). The owner's next assist may take it back from
//!   the list first, as Go's `gcDrainN` may.
//!
//! # Worker modes (Go's `gcMarkWorkerMode`)
//!
//! The owning thread sets each cycle's [`CyclePlan`] with the world stopped
//! (Go's `startCycle`): worker threads `0..dedicated` take work as
//! *dedicated* workers (they mark until the work runs out or the world
//! stops); thread `dedicated` is the *fractional* worker when the plan has
//! a fractional goal; the threads after those sleep through the cycle. The
//! fractional worker takes work only while its marking time this cycle over
//! the time since the cycle's start is at most the goal (Go's
//! `findRunnableGCWorker`), else it sleeps until it would be, and it ends a
//! stretch once that ratio passes 1.2 × the goal (Go's
//! `pollFractionalWorkerExit`). *Idle* workers ([`World::idle_take`]) are
//! not threads: a scheduler's idle processor takes a buffer without
//! blocking, at most `max_idle` at a time (Go 1.19's
//! `maxIdleMarkWorkers`), and returns it when the processor has other work.
//! Each mode's time is counted apart (Go's `dedicatedMarkTime`,
//! `fractionalMarkTime`, `idleMarkTime`).
//!
//! On a scheduler's Ps ([`World::p_take`], Go's `findRunnableGCWorker`)
//! no thread has a fixed role: a P asking while fewer than `dedicated` Ps
//! run a dedicated worker becomes one (`dedicated_ps`, under the lock, so
//! W2's stop finds every slot free), and any other P is the fractional
//! worker while its own fractional time this cycle (`p_fractional`) over
//! the time since the mark started is at most the goal.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::any::Any;
#[cfg(feature = "gosched")]
use core::task::Waker;
use core::time::Duration;
use std::time::Instant;

use gocore::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

#[cfg(loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{Condvar, Mutex, MutexGuard};

/// What the workers are allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No cycle marks, or the world is stopped: workers sleep.
    Stopped,
    /// Workers take and drain work buffers.
    Marking,
    /// The heap is going away: workers return.
    Exit,
}

/// How a worker marks during a stretch (Go's `gcMarkWorkerMode`); see the
/// module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerMode {
    /// Marks until the work runs out or the world stops.
    Dedicated,
    /// Marks only up to the plan's fractional utilisation goal.
    Fractional,
    /// Marks on a scheduler's otherwise idle processor until it has other
    /// work.
    #[cfg(any(loom, feature = "gosched"))]
    Idle,
}

/// One cycle's split of the worker threads (Go's `startCycle`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CyclePlan {
    /// Worker threads `0..dedicated` run as dedicated workers.
    pub dedicated: usize,
    /// The fractional worker's utilisation goal (Go's
    /// `fractionalUtilizationGoal`); 0: no fractional worker.
    pub fractional_goal: f64,
    /// The most idle workers marking at once (Go 1.19's
    /// `maxIdleMarkWorkers`).
    pub max_idle: usize,
}

/// What the fractional worker needs to end its stretch in time (Go's
/// `pollFractionalWorkerExit`).
#[derive(Clone, Copy, Debug)]
pub struct FractionalBudget {
    /// When the cycle's marking started (Go's `markStartTime`).
    mark_start: Instant,
    /// The fractional worker's marking time this cycle before the stretch.
    before: Duration,
    /// The plan's goal.
    goal: f64,
}

impl FractionalBudget {
    /// Whether a stretch that began at `began` should end now: its marking
    /// time this cycle over the time since the cycle's start exceeds 1.2 ×
    /// the goal (Go's `pollFractionalWorkerExit`).
    pub fn should_exit(&self, began: Instant) -> bool {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.mark_start);
        if elapsed.is_zero() {
            return true;
        }
        let own = self.before + now.saturating_duration_since(began);
        own.as_secs_f64() / elapsed.as_secs_f64() > 1.2 * self.goal
    }
}

/// How long the fractional worker must wait before its share of the time
/// since `mark_start` is back at `goal` (zero: it may mark now; Go's
/// `findRunnableGCWorker` test).
fn fractional_wait(mark_start: Instant, own: Duration, goal: f64) -> Duration {
    let elapsed = Instant::now().saturating_duration_since(mark_start);
    if elapsed.is_zero() || own.as_secs_f64() <= goal * elapsed.as_secs_f64() {
        return Duration::ZERO;
    }
    // own / (elapsed + wait) = goal.
    Duration::from_secs_f64(own.as_secs_f64() / goal - elapsed.as_secs_f64())
}

/// What a worker's look for work found.
#[derive(Debug)]
pub enum TryTake<B> {
    /// A buffer, taken in this mode (the worker is active).
    Taken(B, WorkerMode, Option<FractionalBudget>),
    /// Nothing for this worker now: wait for a publish or mode change.
    Wait,
    /// The fractional worker is ahead of its goal: wait this long.
    Sleep(Duration),
    /// The heap is going away.
    Exit,
}

/// What a worker reports when it panicked while tracing: the payload and a
/// buffer with the object it left grey.
pub type WorkerPanic<B> = (Box<dyn Any + Send>, B);

/// The part of the state behind the mutex.
pub struct Control<B> {
    /// See [`Mode`].
    pub mode: Mode,
    /// Go's `work.full`: buffers of grey objects any marker may take.
    pub full: Vec<B>,
    /// Workers holding work (W1).
    pub active: usize,
    /// Objects whose trace panicked on a worker, with the payloads: the
    /// owning thread rescans them and re-raises the first panic.
    pub panics: Vec<WorkerPanic<B>>,
    /// Nanoseconds dedicated workers spent holding work (Go's
    /// `dedicatedMarkTime`), since the owner last took the counters.
    pub dedicated_nanos: u64,
    /// The same for the fractional worker (`fractionalMarkTime`).
    pub fractional_nanos: u64,
    /// The same for idle workers (`idleMarkTime`).
    pub idle_nanos: u64,
    /// This cycle's split.
    pub plan: CyclePlan,
    /// When this cycle's marking started (None between cycles).
    pub mark_start: Option<Instant>,
    /// The fractional worker's marking time this cycle (kept over the
    /// owner's takes of the counters above, reset by `plan_cycle`).
    pub fractional_cycle: Duration,
    /// Worker threads waiting on the condition variable for work: a
    /// publish skips the `notify_all` (a system call, and a chance for the
    /// OS to run the woken worker in the owner's place) when none is.
    pub waiting_threads: usize,
    /// The fractional worker's thread waiting on the condition variable
    /// until its share is back at the goal: woken by mode changes, not by
    /// publishes (it would only go back to sleep).
    pub sleeping_threads: usize,
    /// Idle workers holding work now.
    #[cfg(any(loom, feature = "gosched"))]
    pub idle_workers: usize,
    /// Ps running a dedicated worker now ([`World::p_take`]; Go's
    /// `dedicatedMarkWorkersNeeded` counted up instead of down).
    #[cfg(any(loom, feature = "gosched"))]
    pub dedicated_ps: usize,
    /// Each P's fractional marking time this cycle (Go's
    /// `p.gcFractionalMarkTime`), reset by `plan_cycle`.
    #[cfg(any(loom, feature = "gosched"))]
    pub p_fractional: Vec<Duration>,
    /// Worker tasks waiting for work (woken where threads are notified).
    #[cfg(feature = "gosched")]
    pub task_wakers: Vec<Waker>,
    /// Objects and bytes the workers marked this cycle.
    pub marked_objects: u64,
    /// See `marked_objects`.
    pub marked_bytes: u64,
    /// The owning thread waits in `park_assist` (Go's non-empty
    /// `work.assistQueue`; W5).
    pub assist_parked: bool,
}

/// The shared state; see the module docs.
pub struct World<B> {
    control: Mutex<Control<B>>,
    /// Workers wait here for work or a mode change.
    workers: Condvar,
    /// The owning thread waits here for `active == 0`.
    owner: Condvar,
    /// A stop is requested: active workers return at the next object (W3).
    stop: AtomicBool,
    /// The last active worker found no buffer left: the owner should try
    /// to terminate the mark at its next safe point (W4).
    mark_done: AtomicBool,
    /// Go's `bgScanCredit`: scan work the workers did that assists may steal.
    credit: AtomicUsize,
    /// Scan work the workers did this cycle (work units), readable without
    /// the lock: what the pacer's `revise` counts as done (Go's
    /// `heapScanWork` flushed by the workers) and the cycle's worker work.
    scanned: AtomicUsize,
    /// How many buffers `Control::full` holds, readable without the lock
    /// (Go's `work.full == 0` test in `gcDrain`): a hint, stored with every
    /// change of the list, for a worker deciding whether to share work.
    shared_bufs: AtomicUsize,
    /// `Control::assist_parked`, readable without the lock (Go's
    /// `work.assistQueue.q.empty()` test in `gcFlushBgCredit`): a worker's
    /// flush takes the lock only when it is set (W5).
    assist_waiting: AtomicBool,
    /// A worker reported a panic the owner has not taken yet: a hint that
    /// lets the owner's safe points skip the lock.
    panicked: AtomicBool,
    /// The mode is `Marking` (Go's `gcBlackenEnabled`): a hint, written
    /// with the mode under the lock, that lets idle processors between
    /// cycles skip the lock.
    marking: AtomicBool,
}

impl<B> World<B> {
    /// A world with no work, workers asleep.
    pub fn new() -> World<B> {
        World {
            control: Mutex::new(Control {
                mode: Mode::Stopped,
                full: Vec::new(),
                active: 0,
                panics: Vec::new(),
                dedicated_nanos: 0,
                fractional_nanos: 0,
                idle_nanos: 0,
                // Until a plan is set every worker is dedicated.
                plan: CyclePlan {
                    dedicated: usize::MAX,
                    fractional_goal: 0.0,
                    max_idle: 0,
                },
                mark_start: None,
                fractional_cycle: Duration::ZERO,
                waiting_threads: 0,
                sleeping_threads: 0,
                #[cfg(any(loom, feature = "gosched"))]
                idle_workers: 0,
                #[cfg(any(loom, feature = "gosched"))]
                dedicated_ps: 0,
                #[cfg(any(loom, feature = "gosched"))]
                p_fractional: Vec::new(),
                #[cfg(feature = "gosched")]
                task_wakers: Vec::new(),
                marked_objects: 0,
                marked_bytes: 0,
                assist_parked: false,
            }),
            workers: Condvar::new(),
            owner: Condvar::new(),
            stop: AtomicBool::new(false),
            mark_done: AtomicBool::new(false),
            credit: AtomicUsize::new(0),
            scanned: AtomicUsize::new(0),
            shared_bufs: AtomicUsize::new(0),
            assist_waiting: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            marking: AtomicBool::new(false),
        }
    }

    /// Locks the control block. A panic never happens with the lock held
    /// (no user code runs under it), so a poisoned lock cannot hold broken
    /// state; it is taken as is.
    pub fn lock(&self) -> MutexGuard<'_, Control<B>> {
        self.control
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait<'a>(
        condvar: &Condvar,
        guard: MutexGuard<'a, Control<B>>,
    ) -> MutexGuard<'a, Control<B>> {
        condvar
            .wait(guard)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait_timeout<'a>(
        condvar: &Condvar,
        guard: MutexGuard<'a, Control<B>>,
        timeout: Duration,
    ) -> MutexGuard<'a, Control<B>> {
        match condvar.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Releases the lock and wakes the waiting workers: threads on the
    /// condition variable, tasks through their wakers (woken after the
    /// lock is released: a waker may run scheduler code). A `mode_change`
    /// also wakes the fractional worker's thread sleeping until its share
    /// is back at the goal.
    fn wake_workers(&self, control: MutexGuard<'_, Control<B>>, mode_change: bool) {
        #[cfg(feature = "gosched")]
        let mut control = control;
        #[cfg(feature = "gosched")]
        let tasks = core::mem::take(&mut control.task_wakers);
        // A thread counts itself under the lock before it waits (and the
        // wait releases the lock), so one counted here is in the wait by
        // the time the lock is free for the notify.
        let threads_waiting =
            control.waiting_threads > 0 || (mode_change && control.sleeping_threads > 0);
        drop(control);
        if threads_waiting {
            self.workers.notify_all();
        }
        #[cfg(feature = "gosched")]
        for waker in tasks {
            waker.wake();
        }
    }

    // ---- the workers' side ----

    /// Blocks until a buffer can be taken as a dedicated worker (returns
    /// it, the worker is now active) or the heap exits (`None`): the loom
    /// models' shorthand for `worker_take_as(0)`.
    #[cfg(loom)]
    pub fn worker_take(&self) -> Option<B> {
        self.worker_take_as(0).map(|(buf, _, _)| buf)
    }

    /// Blocks until worker thread `index` may mark in this cycle's plan and
    /// a buffer can be taken (returns it with the worker's mode, and the
    /// fractional worker's budget; the worker is now active), or the heap
    /// exits (`None`).
    pub fn worker_take_as(
        &self,
        index: usize,
    ) -> Option<(B, WorkerMode, Option<FractionalBudget>)> {
        let mut control = self.lock();
        loop {
            match self.try_take_locked(&mut control, index) {
                TryTake::Exit => return None,
                TryTake::Taken(buf, mode, budget) => return Some((buf, mode, budget)),
                TryTake::Sleep(wait) => {
                    control.sleeping_threads += 1;
                    control = Self::wait_timeout(&self.workers, control, wait);
                    control.sleeping_threads -= 1;
                }
                TryTake::Wait => {
                    control.waiting_threads += 1;
                    control = Self::wait(&self.workers, control);
                    control.waiting_threads -= 1;
                }
            }
        }
    }

    /// `worker_take_as` for a worker task (feature `gosched`): never
    /// blocks; when it finds nothing to take (`Wait`, or the fractional
    /// worker's `Sleep`) it registers `waker`, which the next publish, mode
    /// change or exit wakes.
    #[cfg(feature = "gosched")]
    pub fn task_try_take(&self, index: usize, waker: &Waker) -> TryTake<B> {
        let mut control = self.lock();
        let found = self.try_take_locked(&mut control, index);
        if matches!(found, TryTake::Wait | TryTake::Sleep(_))
            && !control.task_wakers.iter().any(|w| w.will_wake(waker))
        {
            control.task_wakers.push(waker.clone());
        }
        found
    }

    /// One look at what worker `index` may take (see the module docs).
    fn try_take_locked(&self, control: &mut Control<B>, index: usize) -> TryTake<B> {
        match control.mode {
            Mode::Exit => TryTake::Exit,
            Mode::Marking if !self.stop.load(Ordering::Relaxed) => {
                let plan = control.plan;
                if index < plan.dedicated {
                    if let Some(buf) = control.full.pop() {
                        self.note_taken(control);
                        control.active += 1;
                        return TryTake::Taken(buf, WorkerMode::Dedicated, None);
                    }
                } else if index == plan.dedicated && plan.fractional_goal > 0.0 {
                    let mark_start = *control.mark_start.get_or_insert_with(Instant::now);
                    let own = control.fractional_cycle;
                    let wait = fractional_wait(mark_start, own, plan.fractional_goal);
                    if !wait.is_zero() {
                        return TryTake::Sleep(wait);
                    }
                    if let Some(buf) = control.full.pop() {
                        self.note_taken(control);
                        control.active += 1;
                        let budget = FractionalBudget {
                            mark_start,
                            before: own,
                            goal: plan.fractional_goal,
                        };
                        return TryTake::Taken(buf, WorkerMode::Fractional, Some(budget));
                    }
                }
                TryTake::Wait
            }
            Mode::Marking | Mode::Stopped => TryTake::Wait,
        }
    }

    /// An idle worker's take (Go's idle GC worker in `findRunnable`): a
    /// buffer if a cycle marks, no stop is requested, a buffer is waiting
    /// and fewer than the plan's `max_idle` idle workers hold work; never
    /// blocks. The worker is active afterwards.
    #[cfg(any(loom, feature = "gosched"))]
    pub fn idle_take(&self) -> Option<B> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        let mut control = self.lock();
        if control.mode != Mode::Marking
            || self.stop.load(Ordering::Relaxed)
            || control.idle_workers >= control.plan.max_idle
        {
            return None;
        }
        let buf = control.full.pop()?;
        self.note_taken(&control);
        control.active += 1;
        control.idle_workers += 1;
        Some(buf)
    }

    /// A scheduler P's look for mark work before its run queues (Go's
    /// `findRunnableGCWorker`): while a cycle marks, no stop is requested
    /// and a buffer is waiting (Go's `gcMarkWorkAvailable`), P `p` takes it
    /// as a *dedicated* worker if fewer than the plan's `dedicated` Ps run
    /// one (Go's `decIfPositive(&dedicatedMarkWorkersNeeded)`), else as the
    /// *fractional* worker if the plan has a fractional goal and the P's
    /// fractional time this cycle over the time since the mark started is
    /// at most the goal (with the budget for Go's
    /// `pollFractionalWorkerExit`); else nothing. Never blocks. The worker
    /// is active afterwards and ends with
    /// [`worker_done_on`](World::worker_done_on)`(Some(p), ..)`.
    #[cfg(any(loom, feature = "gosched"))]
    pub fn p_take(&self, p: usize) -> Option<(B, WorkerMode, Option<FractionalBudget>)> {
        if self.stop.load(Ordering::Relaxed) || self.shared_work_empty() {
            return None;
        }
        let mut control = self.lock();
        if control.mode != Mode::Marking
            || self.stop.load(Ordering::Relaxed)
            || control.full.is_empty()
        {
            return None;
        }
        let plan = control.plan;
        let (mode, budget) = if control.dedicated_ps < plan.dedicated {
            control.dedicated_ps += 1;
            (WorkerMode::Dedicated, None)
        } else if plan.fractional_goal > 0.0 {
            let mark_start = *control.mark_start.get_or_insert_with(Instant::now);
            if control.p_fractional.len() <= p {
                control.p_fractional.resize(p + 1, Duration::ZERO);
            }
            let own = control.p_fractional[p];
            if !fractional_wait(mark_start, own, plan.fractional_goal).is_zero() {
                return None;
            }
            let budget = FractionalBudget {
                mark_start,
                before: own,
                goal: plan.fractional_goal,
            };
            (WorkerMode::Fractional, Some(budget))
        } else {
            return None;
        };
        let Some(buf) = control.full.pop() else {
            // Not reached: the list was not empty above, under this lock.
            if mode == WorkerMode::Dedicated {
                control.dedicated_ps -= 1;
            }
            return None;
        };
        self.note_taken(&control);
        control.active += 1;
        Some((buf, mode, budget))
    }

    /// Whether an active worker should hand its work back now (W3).
    #[inline]
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Publishes buffers a still-active worker filled, waking sleepers.
    pub fn worker_publish(&self, bufs: Vec<B>) {
        if bufs.is_empty() {
            return;
        }
        let mut control = self.lock();
        control.full.extend(bufs);
        self.note_shared(&control);
        self.wake_workers(control, false);
    }

    /// A still-active worker's periodic flush (Go's `gcFlushBgCredit` from
    /// `gcDrain`): publishes its spare full buffers and adds `work`, its
    /// scan work since the last flush, to the cycle's count and the
    /// background credit, waking sleeping workers for published buffers
    /// and a parked assist (W5). With no buffer to publish and no assist
    /// parked it takes no lock (Go's fast path: `gcFlushBgCredit` locks
    /// `work.assistQueue` only when the queue is not empty).
    pub fn worker_flush(&self, bufs: Vec<B>, work: u64) {
        if bufs.is_empty() {
            // W5 without the lock: this adds the credit, then reads
            // `assist_waiting`; `park_assist` sets `assist_waiting`, then
            // reads the credit, each pair split by a SeqCst fence. Of two
            // such fences one comes first, so either this read sees the
            // flag (and wakes the assist under the lock below) or the
            // assist's read sees the credit.
            self.add_credit(work);
            fence(Ordering::SeqCst);
            if work == 0 || !self.assist_waiting.load(Ordering::Relaxed) {
                return;
            }
            let control = self.lock();
            let wake_assist = control.assist_parked;
            drop(control);
            if wake_assist {
                self.owner.notify_all();
            }
            return;
        }
        let mut control = self.lock();
        control.full.extend(bufs);
        self.note_shared(&control);
        self.add_credit(work);
        let wake_assist = control.assist_parked;
        self.wake_workers(control, false);
        if wake_assist {
            self.owner.notify_all();
        }
    }

    /// Adds background credit and scan work. A worker adds them while
    /// active, before the `worker_done` that releases the lock, so once
    /// `stop_the_world` sees it inactive its work is in this cycle's
    /// counters.
    fn add_credit(&self, work: u64) {
        let credit = usize::try_from(work).unwrap_or(usize::MAX);
        self.credit.fetch_add(credit, Ordering::Relaxed);
        self.scanned.fetch_add(credit, Ordering::Relaxed);
    }

    /// Ends a dedicated worker's active stretch: the loom models' shorthand
    /// for [`worker_done_as`](World::worker_done_as).
    #[cfg(loom)]
    pub fn worker_done(&self, bufs: Vec<B>, work: u64, nanos: u64, marked: (u64, u64)) {
        self.worker_done_as(WorkerMode::Dedicated, bufs, work, nanos, marked);
    }

    /// Ends an active stretch in `mode`: hands back the worker's remaining
    /// buffers, adds its counters (scan work since its last `worker_flush`,
    /// the stretch's length in nanoseconds to the mode's time, objects and
    /// bytes marked), and wakes the owner if it was the last one or an
    /// assist is parked.
    #[cfg(any(loom, test))]
    pub fn worker_done_as(
        &self,
        mode: WorkerMode,
        bufs: Vec<B>,
        work: u64,
        nanos: u64,
        marked: (u64, u64),
    ) {
        self.worker_done_on(None, mode, bufs, work, nanos, marked);
    }

    /// [`worker_done_as`](World::worker_done_as) for a worker that ran on
    /// scheduler P `on_p` ([`World::p_take`]; `None`: a thread, a task or
    /// an idle worker): a dedicated one frees its slot, a fractional one
    /// adds its stretch to the P's fractional time.
    pub fn worker_done_on(
        &self,
        on_p: Option<usize>,
        mode: WorkerMode,
        bufs: Vec<B>,
        work: u64,
        nanos: u64,
        marked: (u64, u64),
    ) {
        let (marked_objects, marked_bytes) = marked;
        let mut control = self.lock();
        let published = !bufs.is_empty();
        control.full.extend(bufs);
        self.note_shared(&control);
        control.active -= 1;
        #[cfg(any(loom, feature = "gosched"))]
        if let Some(p) = on_p {
            match mode {
                WorkerMode::Dedicated => control.dedicated_ps -= 1,
                WorkerMode::Fractional => {
                    if let Some(time) = control.p_fractional.get_mut(p) {
                        *time += Duration::from_nanos(nanos);
                    }
                }
                WorkerMode::Idle => {}
            }
        }
        #[cfg(not(any(loom, feature = "gosched")))]
        let _ = on_p;
        match mode {
            WorkerMode::Dedicated => control.dedicated_nanos += nanos,
            WorkerMode::Fractional => {
                control.fractional_nanos += nanos;
                if on_p.is_none() {
                    control.fractional_cycle += Duration::from_nanos(nanos);
                }
            }
            #[cfg(any(loom, feature = "gosched"))]
            WorkerMode::Idle => {
                control.idle_nanos += nanos;
                control.idle_workers -= 1;
            }
        }
        control.marked_objects += marked_objects;
        control.marked_bytes += marked_bytes;
        let last = control.active == 0;
        if last && control.full.is_empty() && control.mode == Mode::Marking {
            self.mark_done.store(true, Ordering::Relaxed);
        }
        // Background credit for assists (Go's gcFlushBgCredit), added with
        // the lock held: once `stop_the_world` sees this worker inactive,
        // its work is in this cycle's counters, and the next cycle's
        // `reset_cycle_counters` cannot be overtaken by it.
        self.add_credit(work);
        let wake_owner = last || control.assist_parked;
        if published {
            self.wake_workers(control, false);
        } else {
            drop(control);
        }
        if wake_owner {
            self.owner.notify_all();
        }
    }

    /// Records a panic of a worker's trace; the object stays grey in `buf`.
    pub fn worker_panicked(&self, payload: Box<dyn Any + Send>, buf: B) {
        let mut control = self.lock();
        control.panics.push((payload, buf));
        self.panicked.store(true, Ordering::Relaxed);
        let wake_assist = control.assist_parked;
        drop(control);
        if wake_assist {
            self.owner.notify_all();
        }
    }

    /// Takes the panics the workers reported, if the hint says there are
    /// any (the hint is only a shortcut: `stop_the_world` takes them too).
    pub fn take_panics(&self) -> Vec<WorkerPanic<B>> {
        if !self.panicked.swap(false, Ordering::Relaxed) {
            return Vec::new();
        }
        core::mem::take(&mut self.lock().panics)
    }

    /// Whether a worker reported a panic not yet taken (a hint).
    #[inline]
    pub fn has_panics(&self) -> bool {
        self.panicked.load(Ordering::Relaxed)
    }

    // ---- the owner's side ----

    /// Stops the world (W2): no worker holds or takes work when it returns.
    /// The mode is `Stopped` afterwards.
    pub fn stop_the_world(&self) -> MutexGuard<'_, Control<B>> {
        self.stop.store(true, Ordering::Relaxed);
        let mut control = self.lock();
        if control.mode == Mode::Marking {
            control.mode = Mode::Stopped;
        }
        self.marking.store(false, Ordering::Relaxed);
        while control.active > 0 {
            control = Self::wait(&self.owner, control);
        }
        // W1: every P's dedicated stretch ended with its `worker_done_on`.
        #[cfg(any(loom, feature = "gosched"))]
        debug_assert_eq!(control.dedicated_ps, 0);
        self.mark_done.store(false, Ordering::Relaxed);
        control
    }

    /// Restarts the world: workers drain buffers again if `marking`, else
    /// sleep.
    pub fn start_the_world(&self, marking: bool) {
        let mut control = self.lock();
        if control.mode != Mode::Exit {
            control.mode = if marking {
                Mode::Marking
            } else {
                Mode::Stopped
            };
        }
        self.marking
            .store(control.mode == Mode::Marking, Ordering::Relaxed);
        // The owner takes the list whole while the world is stopped.
        self.note_shared(&control);
        // Restarted with nothing to take, the workers are out of work
        // until the owner hands them some (W4, W6).
        if control.mode == Mode::Marking && control.full.is_empty() {
            self.mark_done.store(true, Ordering::Relaxed);
        }
        self.stop.store(false, Ordering::Relaxed);
        self.wake_workers(control, true);
    }

    /// Sets the split of a new cycle (with the world stopped, before
    /// `start_the_world`): the fractional worker's clock starts now.
    pub fn plan_cycle(&self, plan: CyclePlan) {
        let mut control = self.lock();
        control.plan = plan;
        control.mark_start = Some(Instant::now());
        control.fractional_cycle = Duration::ZERO;
        #[cfg(any(loom, feature = "gosched"))]
        control.p_fractional.fill(Duration::ZERO);
    }

    /// Whether an idle worker could take work now (Go's
    /// `gcMarkWorkAvailable` and `needIdleMarkWorker`): a cheap hint, the
    /// take decides.
    #[cfg(any(loom, feature = "gosched"))]
    pub fn idle_work_available(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) || !self.marking.load(Ordering::Relaxed) {
            return false;
        }
        let control = self.lock();
        control.mode == Mode::Marking
            && !control.full.is_empty()
            && control.idle_workers < control.plan.max_idle
    }

    /// Whether a scheduler P that takes work now would get some as a
    /// dedicated or idle worker (Go's `gcMarkWorkAvailable(nil)` with
    /// `addIdleMarkWorker`, which an M checks before it parks): a cycle
    /// marks, a buffer waits, and a dedicated slot or an idle worker's
    /// place is free. The fractional worker is left out: whether it may
    /// mark depends on the P, and an M that took a P for nothing would
    /// only release it again.
    #[cfg(any(loom, feature = "gosched"))]
    pub fn p_work_available(&self) -> bool {
        if self.stop.load(Ordering::Relaxed)
            || !self.marking.load(Ordering::Relaxed)
            || self.shared_work_empty()
        {
            return false;
        }
        let control = self.lock();
        control.mode == Mode::Marking
            && !control.full.is_empty()
            && (control.dedicated_ps < control.plan.dedicated
                || control.idle_workers < control.plan.max_idle)
    }

    /// Publishes the owner's buffers for the workers and wakes those
    /// waiting (a cycle's start, a re-raised worker panic).
    pub fn publish(&self, bufs: Vec<B>) {
        self.worker_publish(bufs);
    }

    /// Publishes the owner's buffers without waking anyone (Go's
    /// `putfull`, W6): returns whether a worker waits for work, which the
    /// owner then wakes with
    /// [`wake_waiting_workers`](World::wake_waiting_workers) after the
    /// stall it is timing (Go's `enlistWorker`). A worker that starts to
    /// wait after this sees the buffers first: it counts itself waiting
    /// under the lock, after looking at the list.
    pub fn publish_quietly(&self, bufs: Vec<B>) -> bool {
        if bufs.is_empty() {
            return false;
        }
        let mut control = self.lock();
        control.full.extend(bufs);
        self.note_shared(&control);
        Self::workers_wait(&control)
    }

    /// Wakes the workers waiting for work, if a buffer is still queued for
    /// them (the owner's deferred wake after `publish_quietly`).
    pub fn wake_waiting_workers(&self) {
        let control = self.lock();
        if control.full.is_empty() || !Self::workers_wait(&control) {
            return;
        }
        self.wake_workers(control, false);
    }

    /// Whether a worker thread or task waits for a buffer.
    fn workers_wait(control: &Control<B>) -> bool {
        #[cfg(feature = "gosched")]
        if !control.task_wakers.is_empty() {
            return true;
        }
        control.waiting_threads > 0
    }

    /// Takes one buffer from the global list, if any (an assist or step
    /// that ran out of local work).
    pub fn try_take(&self) -> Option<B> {
        let mut control = self.lock();
        let buf = control.full.pop();
        self.note_shared(&control);
        buf
    }

    /// Whether the shared list looked empty at its last change (a hint).
    #[inline]
    pub fn shared_work_empty(&self) -> bool {
        self.shared_bufs.load(Ordering::Relaxed) == 0
    }

    /// Stores the shared list's length in its hint; called with the lock
    /// held after every change of the list.
    fn note_shared(&self, control: &Control<B>) {
        self.shared_bufs
            .store(control.full.len(), Ordering::Relaxed);
    }

    /// `note_shared` after a worker took a buffer: the workers are not out
    /// of work any more, so the termination hint (W4) is cleared; the
    /// last of them to run dry raises it again.
    fn note_taken(&self, control: &Control<B>) {
        self.note_shared(control);
        self.mark_done.store(false, Ordering::Relaxed);
    }

    /// Tells the workers to exit; they finish the object in hand first.
    pub fn exit(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let mut control = self.lock();
        control.mode = Mode::Exit;
        self.marking.store(false, Ordering::Relaxed);
        self.wake_workers(control, true);
    }

    /// Whether no worker holds work and the shared list is empty (a
    /// termination attempt may succeed; W4 still decides it stopped).
    pub fn workers_idle(&self) -> bool {
        let control = self.lock();
        control.active == 0 && control.full.is_empty()
    }

    /// Whether a worker raised the termination hint (W4).
    #[inline]
    pub fn mark_done_hint(&self) -> bool {
        self.mark_done.load(Ordering::Relaxed)
    }

    /// Go's `gcParkAssist`: the owning thread, out of grey objects of its
    /// own while workers hold them all, waits for `want` units of
    /// background credit. Returns the credit it took: `want` once workers
    /// have flushed that much, less if the wait ended because no worker
    /// holds work any more (the mark may be done), a buffer was published
    /// (work to take), a worker panicked, or the workers are not marking.
    /// The caller retries its assist then (Go's `goto retry`).
    ///
    /// The wait lasts until the workers flush `want` units (each flushes
    /// every `PUBLISH_EVERY` objects) or go idle, and at most `timeout`: a
    /// worker the OS has descheduled flushes nothing, and the owner does
    /// not wait for it longer than that (Go parks without a limit).
    pub fn park_assist(&self, want: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut got = 0;
        let mut control = self.lock();
        // Announce the wait before the first read of the credit: a flush
        // that added credit this read misses sees the flag (W5).
        control.assist_parked = true;
        self.assist_waiting.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        loop {
            got += self.steal_credit(want - got);
            let wait = got < want
                && control.mode == Mode::Marking
                && !self.stop.load(Ordering::Relaxed)
                && control.active > 0
                && control.full.is_empty()
                && control.panics.is_empty();
            let now = Instant::now();
            if !wait || now >= deadline {
                break;
            }
            control = self
                .owner
                .wait_timeout(control, deadline - now)
                .map_or_else(|e| e.into_inner().0, |(guard, _)| guard);
        }
        control.assist_parked = false;
        self.assist_waiting.store(false, Ordering::Relaxed);
        got
    }

    /// Steals up to `want` units of background credit; returns how many.
    pub fn steal_credit(&self, want: usize) -> usize {
        let mut have = self.credit.load(Ordering::Relaxed);
        loop {
            let take = have.min(want);
            if take == 0 {
                return 0;
            }
            match self.credit.compare_exchange_weak(
                have,
                have - take,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return take,
                Err(now) => have = now,
            }
        }
    }

    /// Scan work the workers reported this cycle (a relaxed count: an
    /// `worker_done` racing with this read may not be in it yet).
    #[inline]
    pub fn scanned(&self) -> u64 {
        self.scanned.load(Ordering::Relaxed) as u64
    }

    /// Clears the credit and the scan-work count (at the start of a cycle).
    pub fn reset_cycle_counters(&self) {
        self.credit.store(0, Ordering::Relaxed);
        self.scanned.store(0, Ordering::Relaxed);
    }
}

impl<B> Default for World<B> {
    fn default() -> Self {
        World::new()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_fractional_worker_waits_until_its_share_is_back_at_the_goal() {
        let start = Instant::now()
            .checked_sub(Duration::from_millis(100))
            .unwrap();
        // 10 ms of 100 ms is under a 25 % goal: no wait.
        assert_eq!(
            fractional_wait(start, Duration::from_millis(10), 0.25),
            Duration::ZERO
        );
        // 50 ms of 100 ms: wait until 50 ms is 25 %, 200 ms after the start.
        let wait = fractional_wait(start, Duration::from_millis(50), 0.25);
        assert!(
            wait <= Duration::from_millis(100) && wait > Duration::from_millis(50),
            "{wait:?}"
        );
    }

    #[test]
    fn a_fractional_stretch_ends_past_1_2_times_the_goal() {
        let now = Instant::now();
        let mark_start = now.checked_sub(Duration::from_millis(100)).unwrap();
        let budget = |before| FractionalBudget {
            mark_start,
            before,
            goal: 0.25,
        };
        // 28 ms of 100 ms is under 1.2 × 25 %; 32 ms is over.
        assert!(!budget(Duration::from_millis(28)).should_exit(now));
        assert!(budget(Duration::from_millis(32)).should_exit(now));
    }

    #[cfg(feature = "gosched")]
    #[test]
    fn ps_take_dedicated_slots_then_fractional_work_by_their_own_share() {
        let world: World<u32> = World::new();
        world.plan_cycle(CyclePlan {
            dedicated: 1,
            fractional_goal: 0.25,
            max_idle: 0,
        });
        world.publish(alloc::vec![1, 2, 3, 4]);
        // Not marking yet: nothing.
        assert!(world.p_take(0).is_none());
        world.start_the_world(true);
        // The first P to ask is the dedicated worker; the next ones are
        // fractional (no time of their own yet).
        let (_, mode, budget) = world.p_take(2).unwrap();
        assert_eq!((mode, budget.is_none()), (WorkerMode::Dedicated, true));
        let (_, mode, budget) = world.p_take(0).unwrap();
        assert_eq!((mode, budget.is_some()), (WorkerMode::Fractional, true));
        // P 0 marked far more than its share: it runs its tasks now, while
        // P 1, with no fractional time, may still mark.
        world.worker_done_on(
            Some(0),
            WorkerMode::Fractional,
            Vec::new(),
            1,
            1_000_000_000,
            (0, 0),
        );
        assert!(world.p_take(0).is_none());
        let (_, mode, _) = world.p_take(1).unwrap();
        assert_eq!(mode, WorkerMode::Fractional);
        world.worker_done_on(Some(1), WorkerMode::Fractional, Vec::new(), 1, 0, (0, 0));
        // The dedicated slot is taken until its worker is done.
        assert_eq!(world.lock().dedicated_ps, 1);
        world.worker_done_on(Some(2), WorkerMode::Dedicated, Vec::new(), 1, 5, (0, 0));
        let (_, mode, _) = world.p_take(0).unwrap();
        assert_eq!(mode, WorkerMode::Dedicated);
        world.worker_done_on(Some(0), WorkerMode::Dedicated, Vec::new(), 1, 5, (0, 0));
        let control = world.stop_the_world();
        assert_eq!((control.active, control.dedicated_ps), (0, 0));
        assert_eq!(control.dedicated_nanos, 10);
        assert_eq!(control.fractional_nanos, 1_000_000_000);
        // P-side fractional time is the P's, not the fractional thread's.
        assert_eq!(control.fractional_cycle, Duration::ZERO);
        drop(control);
        // A new cycle clears every P's share.
        world.plan_cycle(CyclePlan {
            dedicated: 0,
            fractional_goal: 0.25,
            max_idle: 0,
        });
        world.publish(alloc::vec![5]);
        world.start_the_world(true);
        assert_eq!(
            world.p_take(0).map(|(_, mode, _)| mode),
            Some(WorkerMode::Fractional)
        );
    }

    #[test]
    fn each_worker_takes_work_in_the_mode_the_plan_gives_it() {
        let world: World<u32> = World::new();
        world.plan_cycle(CyclePlan {
            dedicated: 1,
            fractional_goal: 0.25,
            max_idle: 0,
        });
        world.publish(alloc::vec![1, 2, 3]);
        world.start_the_world(true);
        let mut control = world.lock();
        assert!(matches!(
            world.try_take_locked(&mut control, 0),
            TryTake::Taken(_, WorkerMode::Dedicated, None)
        ));
        assert!(matches!(
            world.try_take_locked(&mut control, 1),
            TryTake::Taken(_, WorkerMode::Fractional, Some(_))
        ));
        // A third thread has no role this cycle.
        assert!(matches!(
            world.try_take_locked(&mut control, 2),
            TryTake::Wait
        ));
        drop(control);
        // The fractional worker marked far more than its share: it sleeps.
        world.worker_done_as(WorkerMode::Fractional, Vec::new(), 1, 1_000_000_000, (0, 0));
        let mut control = world.lock();
        assert!(matches!(
            world.try_take_locked(&mut control, 1),
            TryTake::Sleep(_)
        ));
        assert_eq!(control.fractional_nanos, 1_000_000_000);
        drop(control);
        world.exit();
        assert!(matches!(
            world.try_take_locked(&mut world.lock(), 0),
            TryTake::Exit
        ));
    }
}
