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
//!   workers only raise the `mark_done` hint when the last of them finds no
//!   buffer left.
//! - W5. A parked assist (Go's `gcParkAssist`) is woken by every change
//!   that could end its wait: workers add credit, publish buffers, report
//!   a panic or finish (`active` falling) only with the mutex held, and
//!   the owner checks those conditions and sets `assist_parked` under the
//!   same mutex before it waits, so no wake-up is lost. The owner is the
//!   only thread that parks, stops the world or changes the mode, so the
//!   cycle cannot end under a parked assist (Go's `gcWakeAllAssists` has
//!   nothing to wake); the last worker to go idle wakes it instead, and it
//!   goes on to terminate the mark.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::any::Any;
use core::time::Duration;
use std::time::Instant;

use gocore::atomic::{AtomicBool, AtomicUsize, Ordering};

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
    /// Scan work the workers did this cycle (work units).
    pub worker_work: u64,
    /// Nanoseconds the workers spent holding work this cycle (Go's
    /// dedicated mark time, gctrace's background CPU).
    pub worker_nanos: u64,
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
    /// Scan work the workers did this cycle, readable without the lock
    /// (what the pacer's `revise` counts as done; Go's `heapScanWork`
    /// flushed by the workers).
    scanned: AtomicUsize,
    /// A worker reported a panic the owner has not taken yet: a hint that
    /// lets the owner's safe points skip the lock.
    panicked: AtomicBool,
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
                worker_work: 0,
                worker_nanos: 0,
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
            panicked: AtomicBool::new(false),
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

    // ---- the workers' side ----

    /// Blocks until a buffer can be taken (returns it, the worker is now
    /// active) or the heap exits (`None`).
    pub fn worker_take(&self) -> Option<B> {
        let mut control = self.lock();
        loop {
            match control.mode {
                Mode::Exit => return None,
                Mode::Marking if !self.stop.load(Ordering::Relaxed) => {
                    if let Some(buf) = control.full.pop() {
                        control.active += 1;
                        return Some(buf);
                    }
                }
                Mode::Marking | Mode::Stopped => {}
            }
            control = Self::wait(&self.workers, control);
        }
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
        drop(control);
        self.workers.notify_all();
    }

    /// A still-active worker's periodic flush (Go's `gcFlushBgCredit` from
    /// `gcDrain`): publishes its spare full buffers and adds `work`, its
    /// scan work since the last flush, to the cycle's counters and the
    /// background credit, waking a parked assist (W5).
    pub fn worker_flush(&self, bufs: Vec<B>, work: u64) {
        let mut control = self.lock();
        let published = !bufs.is_empty();
        control.full.extend(bufs);
        control.worker_work += work;
        self.add_credit(work);
        let wake_assist = control.assist_parked && (published || work > 0);
        drop(control);
        if published {
            self.workers.notify_all();
        }
        if wake_assist {
            self.owner.notify_all();
        }
    }

    /// Adds background credit and scan work; called with the lock held,
    /// so that once `stop_the_world` sees a worker inactive its work is in
    /// this cycle's counters, and a parked assist sees it (W5).
    fn add_credit(&self, work: u64) {
        let credit = usize::try_from(work).unwrap_or(usize::MAX);
        self.credit.fetch_add(credit, Ordering::Relaxed);
        self.scanned.fetch_add(credit, Ordering::Relaxed);
    }

    /// Ends an active stretch: hands back the worker's remaining buffers,
    /// adds its counters (scan work since its last `worker_flush`, the
    /// stretch's length in nanoseconds, objects and bytes marked), and wakes
    /// the owner if it was the last one or an assist is parked.
    pub fn worker_done(&self, bufs: Vec<B>, work: u64, nanos: u64, marked: (u64, u64)) {
        let (marked_objects, marked_bytes) = marked;
        let mut control = self.lock();
        let published = !bufs.is_empty();
        control.full.extend(bufs);
        control.active -= 1;
        control.worker_work += work;
        control.worker_nanos += nanos;
        control.marked_objects += marked_objects;
        control.marked_bytes += marked_bytes;
        let last = control.active == 0;
        if last && control.full.is_empty() && control.mode == Mode::Marking {
            self.mark_done.store(true, Ordering::Relaxed);
        }
        // Background credit for assists (Go's gcFlushBgCredit), added with
        // the lock held: the next cycle's `reset_cycle_counters` cannot be
        // overtaken by it.
        self.add_credit(work);
        let wake_owner = last || control.assist_parked;
        drop(control);
        if published {
            self.workers.notify_all();
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
        while control.active > 0 {
            control = Self::wait(&self.owner, control);
        }
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
        self.stop.store(false, Ordering::Relaxed);
        drop(control);
        self.workers.notify_all();
    }

    /// Publishes the owner's buffers for the workers.
    pub fn publish(&self, bufs: Vec<B>) {
        self.worker_publish(bufs);
    }

    /// Takes one buffer from the global list, if any (an assist or step
    /// that ran out of local work).
    pub fn try_take(&self) -> Option<B> {
        self.lock().full.pop()
    }

    /// Tells the workers to exit; they finish the object in hand first.
    pub fn exit(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.lock().mode = Mode::Exit;
        self.workers.notify_all();
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
                return got;
            }
            control.assist_parked = true;
            control = self
                .owner
                .wait_timeout(control, deadline - now)
                .map_or_else(|e| e.into_inner().0, |(guard, _)| guard);
            control.assist_parked = false;
        }
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
