//! GC workers: what a P's `schedule` runs before its run queues while a
//! collector marks (Go's `findRunnableGCWorker`, which `findRunnable`
//! calls right after `checkTimers` when `gcBlackenEnabled != 0`), and the
//! time Ps spend on the idle list (Go's `limiterEventIdle`), which a
//! collector's CPU limiter subtracts from the mutator's time.
//!
//! # Design
//!
//! A host (a garbage collector) registers one [`GcWorker`] per runtime
//! ([`IdleHook::register_gc_worker`]) and switches it on while a cycle
//! marks ([`GcWorkerRegistration::set_active`], Go's `gcBlackenEnabled`).
//! `find_runnable`, after the P's due timers and before the fairness tick
//! and the run queues, reads that switch (one relaxed load); while it is on
//! it calls [`GcWorker::run`] with a [`GcWorkerP`]. The worker decides
//! whether this P marks now (Go's `decIfPositive(&dedicatedMarkWorkersNeeded)`
//! and the fractional test), calls [`GcWorkerP::begin`] once it commits
//! (a spinning M stops spinning and wakes another P, as `schedule` does
//! for the worker goroutine `findRunnable` returns), marks for as long as
//! its mode says, and returns whether it did. The M then looks again from
//! the top (the next look runs it again if it still wants the P, as Go's
//! next `schedule` would pick the worker again).
//!
//! ```text
//!   find_runnable: shutdown? main woken? due timers
//!        └─ GC switch on? (one relaxed load) ─ no ─▶ fairness tick, runnext/ring, ...
//!                │ yes
//!                ▼
//!           run(&GcWorkerP) ─ marked ─▶ look again from the top
//!                │ did not
//!                ▼
//!           fairness tick, runnext/ring, global, netpoll, steal, idle work
//! ```
//!
//! A worker runs on the M in scheduler context, the P in `P_SCHED`: sysmon
//! never retakes it (it retakes only Ps stuck in a poll), and the tasks
//! queued on the P wait while the worker marks, or are stolen by spinning
//! Ps. A dedicated worker, which owns its P until the mark phase ends,
//! moves them to the global queue once it has marked for a time slice
//! ([`GcWorkerP::kick_local_work`], Go's `runqdrain` + `globrunqputbatch`
//! after the dedicated worker's first `gcDrain` was preempted).
//!
//! With nothing registered, or the switch off, this costs `find_runnable`
//! one relaxed load. The registration sits under a mutex taken only while
//! the switch is on.
//!
//! Work published while every M is on its way to park would wait for the
//! next wake-up: so an M that released its P asks
//! [`GcWorker::has_work`] before it parks (Go's "check for idle-priority
//! GC work again" in `findRunnable`) and, if there is some, takes an idle
//! P and looks again (`gc_work_waiting` argues why no wake-up is lost).
//! That costs the parking path one more relaxed load while nothing is
//! registered.
//!
//! # Panics
//!
//! As for idle work: a worker that panics is caught, unregistered and its
//! switch turned off; the M goes on. No worker is dropped under the lock.
//!
//! # Idle time
//!
//! Each P keeps the time it entered the idle list (`idle_since`, 0 while it
//! is not idle); `pidleget` adds the stretch to `idle_nanos`.
//! [`Runtime::idle_time`] sums that and the stretches in progress: a
//! monotonic total a limiter turns into per-window idle time by
//! difference (Go's `limiterEvent.consume` of every P's in-flight event,
//! plus the pool `pidleget`'s `limiterEvent.stop` fills). Two clock reads
//! per idle stretch, on the way to and from parking an M. A reading that
//! misses a stretch just finished (read between the total and the P's
//! start) is raised to the highest earlier reading, so the total never
//! goes back.

use alloc::sync::{Arc, Weak};
use core::cell::Cell;
use core::fmt;
use core::time::Duration;
use gocore::atomic::{fence, Ordering};

use super::block_on::MainWaker;
use super::m::MState;
use super::{lock, IdleHook, Runtime, Shared};

/// A collector's mark worker that a P runs before its run queues while the
/// registration's switch is on (Go's `findRunnableGCWorker` and the worker
/// goroutine it returns).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use gosched::{GcWorker, GcWorkerP, Runtime};
///
/// struct Marker(AtomicUsize);
/// impl GcWorker for Marker {
///     fn has_work(&self) -> bool {
///         self.0.load(Ordering::Relaxed) > 0
///     }
///     fn run(&self, p: &GcWorkerP<'_>) -> bool {
///         if self.0.load(Ordering::Relaxed) == 0 {
///             return false; // no work: the P runs its tasks
///         }
///         p.begin();
///         while self.0.load(Ordering::Relaxed) > 0 && !p.preempted() {
///             self.0.fetch_sub(1, Ordering::Relaxed);
///         }
///         true
///     }
/// }
///
/// let rt = Runtime::builder().procs(1).build().unwrap();
/// let marker = Arc::new(Marker(AtomicUsize::new(1000)));
/// let registration = rt.idle_hook().register_gc_worker(marker.clone()).unwrap();
/// // One registration per runtime.
/// assert!(rt.idle_hook().register_gc_worker(marker.clone()).is_none());
/// registration.set_active(true);
/// // The P marks before it runs the task.
/// let task = rt.spawn(async {});
/// rt.block_on(task).unwrap().unwrap();
/// assert_eq!(marker.0.load(Ordering::Relaxed), 0);
/// registration.set_active(false);
/// ```
pub trait GcWorker: Send + Sync {
    /// Whether a worker could mark now (Go's `gcMarkWorkAvailable(nil)`): a
    /// cheap check an M makes after it released its P and before it parks
    /// (Go's "check for idle-priority GC work again" in `findRunnable`),
    /// so that work published while every M was on its way to park is not
    /// left waiting. If true, the M takes an idle P and looks again.
    fn has_work(&self) -> bool;

    /// Runs a mark worker on this P if the collector wants one here now;
    /// returns whether it did (the M then looks for work again from the
    /// top). It calls [`GcWorkerP::begin`] before it marks, and returns
    /// once [`GcWorkerP::preempted`] is true.
    fn run(&self, p: &GcWorkerP<'_>) -> bool;
}

/// The P a [`GcWorker`] runs on.
pub struct GcWorkerP<'a> {
    shared: &'a Shared,
    p: usize,
    main: Option<&'a MainWaker>,
    /// The M is spinning (until `begin`).
    spinning: Cell<bool>,
}

impl GcWorkerP<'_> {
    /// The P's index (0 to `GOMAXPROCS − 1`).
    pub fn p(&self) -> usize {
        self.p
    }

    /// The runtime's P count (`GOMAXPROCS`).
    pub fn procs(&self) -> usize {
        self.shared.ps.len()
    }

    /// The worker commits to marking on this P: a spinning M stops spinning
    /// and wakes another P (Go's `resetspinning` when `findRunnable`
    /// returned the worker), and the tasks that yielded on this P go to
    /// the global queue now (Go's `Gosched` puts them there at once; this
    /// P would hold them until it next reads the queue). Idempotent.
    pub fn begin(&self) {
        if self.shared.ps[self.p].yields.len() > 0 {
            let mut s = lock(&self.shared.sched);
            // SAFETY: Y1: the M calling the worker owns P `p`.
            unsafe { self.shared.flush_yields(&mut s, self.p) };
            drop(s);
            self.shared.wakep_after_global_put();
        }
        if self.spinning.replace(false) {
            self.shared.nmspinning.fetch_sub(1, Ordering::SeqCst);
            self.shared.wakep();
        }
    }

    /// Whether the worker must give the P back now: the runtime shuts
    /// down, or (on a `block_on` thread) its main future was woken, which
    /// only this M can poll.
    #[inline]
    pub fn preempted(&self) -> bool {
        self.shared.shutdown.load(Ordering::Relaxed)
            || self.main.is_some_and(|w| w.woken.load(Ordering::Relaxed))
    }

    /// Whether tasks wait on this P (its ring, `runnext` or yield queue) or
    /// in the global queue.
    #[inline]
    pub fn has_other_work(&self) -> bool {
        self.shared.ps[self.p].has_local_work() || self.shared.global_nonempty(self.p)
    }

    /// The runtime's time slice (Go's 10 ms `forcePreemptNS`): a worker
    /// that has marked this long counts as preempted by sysmon.
    pub fn time_slice(&self) -> Duration {
        Duration::from_nanos(self.shared.time_slice)
    }

    /// Fires this P's due timers (Go's `checkTimers`, which `schedule`
    /// would run between the worker's slices); one load while it has none.
    /// Returns whether it fired any.
    #[inline]
    pub fn run_due_timers(&self) -> bool {
        self.shared.check_timers(self.p)
    }

    /// Moves the tasks queued on this P (`runnext`, ring and yield queue)
    /// to the global queue and wakes an idle P for them (Go's dedicated
    /// worker after its first `gcDrain` was preempted: `runqdrain`, then
    /// `globrunqputbatch`). Returns how many moved.
    pub fn kick_local_work(&self) -> usize {
        let pp = &self.shared.ps[self.p];
        if !pp.has_local_work() {
            return 0;
        }
        let mut moved = alloc::vec::Vec::new();
        // SAFETY: 1. R1: the M calling the worker owns P `p` in scheduler
        // context (`find_runnable` holds it for the call).
        while let Some((task, _)) = unsafe { pp.runq.get() } {
            moved.push(task);
        }
        let mut s = lock(&self.shared.sched);
        // SAFETY: Y1: this M owns P `p`.
        unsafe { self.shared.flush_yields(&mut s, self.p) };
        let n = moved.len();
        s.runq.extend(moved);
        self.shared
            .global_len
            .store(s.runq.len(), Ordering::Relaxed);
        drop(s);
        self.shared.wakep_after_global_put();
        n
    }
}

impl fmt::Debug for GcWorkerP<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcWorkerP").field("p", &self.p).finish()
    }
}

/// The registered worker and its switch (the switch is what
/// `find_runnable` reads).
pub(crate) struct GcWorkerSlot {
    /// A worker is registered: the parking M's recheck reads this first.
    registered: gocore::atomic::AtomicBool,
    active: gocore::atomic::AtomicBool,
    /// The worker, with the id of its registration.
    worker: std::sync::Mutex<Option<(u64, Arc<dyn GcWorker>)>>,
    next_id: gocore::atomic::AtomicU64,
}

impl GcWorkerSlot {
    pub(crate) fn new() -> GcWorkerSlot {
        GcWorkerSlot {
            registered: gocore::atomic::AtomicBool::new(false),
            active: gocore::atomic::AtomicBool::new(false),
            worker: std::sync::Mutex::new(None),
            next_id: gocore::atomic::AtomicU64::new(0),
        }
    }

    /// Unregisters worker `id` (if it is still the one registered); it is
    /// dropped after the lock is released (its `Drop` is user code).
    fn remove(&self, id: u64) {
        let mut slot = lock(&self.worker);
        let removed = if slot.as_ref().is_some_and(|(other, _)| *other == id) {
            self.active.store(false, Ordering::Relaxed);
            self.registered.store(false, Ordering::Relaxed);
            slot.take()
        } else {
            None
        };
        drop(slot);
        drop(removed);
    }
}

impl Shared {
    /// The GC-worker step of `find_runnable` on P `p`: whether a worker
    /// marked (the caller then looks again from the top).
    #[inline]
    pub(super) fn run_gc_worker(&self, m: &mut MState, p: usize, main: Option<&MainWaker>) -> bool {
        if !self.gc_worker.active.load(Ordering::Relaxed) {
            return false;
        }
        self.run_gc_worker_slow(m, p, main)
    }

    #[cold]
    fn run_gc_worker_slow(&self, m: &mut MState, p: usize, main: Option<&MainWaker>) -> bool {
        let Some((id, worker)) = lock(&self.gc_worker.worker).clone() else {
            return false;
        };
        let wp = GcWorkerP {
            shared: self,
            p,
            main,
            spinning: Cell::new(m.spinning),
        };
        let wpr = &wp;
        // `worker` moves into the guarded call: if its registration was
        // dropped meanwhile, its `Drop` runs (and may panic) in there.
        let ran = std::panic::catch_unwind(core::panic::AssertUnwindSafe(move || {
            if wpr.preempted() {
                return false;
            }
            worker.run(wpr)
        }));
        m.spinning = wp.spinning.get();
        match ran {
            Ok(ran) => ran,
            Err(payload) => {
                self.gc_worker.remove(id);
                super::idle::drop_payload(payload);
                false
            }
        }
    }

    /// Go's "check for idle-priority GC work again" in `findRunnable`, by
    /// an M that released its P and is about to park: whether the switch
    /// is on and the worker has work. One relaxed load while no worker is
    /// registered.
    ///
    /// No lost wake-up: the host publishes work, then wakes a P (`wakep`:
    /// a SeqCst fence, then `npidle` and `nmspinning`); this M put its P on
    /// the idle list and stopped spinning (SeqCst), then fences here before
    /// it reads the switch and the work. Of the two fences one comes
    /// first, so either `wakep` sees this P idle and no M spinning and
    /// starts one, or this check sees the work (R4's argument, for GC
    /// work instead of tasks).
    pub(super) fn gc_work_waiting(&self) -> bool {
        if !self.gc_worker.registered.load(Ordering::Relaxed) {
            return false;
        }
        fence(Ordering::SeqCst);
        if !self.gc_worker.active.load(Ordering::Relaxed) {
            return false;
        }
        let Some((id, worker)) = lock(&self.gc_worker.worker).clone() else {
            return false;
        };
        // `worker` moves into the guarded call (its `Drop` may run there).
        let found =
            std::panic::catch_unwind(core::panic::AssertUnwindSafe(move || worker.has_work()));
        match found {
            Ok(found) => found,
            Err(payload) => {
                self.gc_worker.remove(id);
                super::idle::drop_payload(payload);
                false
            }
        }
    }

    /// Go's `limiterEvent.start(limiterEventIdle, now)` in `pidleput`: P
    /// `p` enters the idle list now.
    pub(super) fn idle_start(&self, p: usize) {
        // 0 means "not idle": a P put at the very start counts from 1 ns.
        let now = self.now_nanos().max(1);
        self.ps[p].idle_since.store(now, Ordering::Relaxed);
    }

    /// Go's `limiterEvent.stop(limiterEventIdle, now)` in `pidleget`: P
    /// `p` leaves the idle list; its stretch joins the total.
    pub(crate) fn idle_stop(&self, p: usize) {
        let since = self.ps[p].idle_since.swap(0, Ordering::Relaxed);
        if since != 0 {
            let stretch = self.now_nanos().saturating_sub(since);
            self.idle_nanos.fetch_add(stretch, Ordering::Relaxed);
        }
    }

    /// The time Ps have spent on the idle list since the runtime started,
    /// stretches in progress included, in nanoseconds. Monotonic.
    pub(crate) fn idle_time_nanos(&self) -> u64 {
        // The finished stretches first: a P leaving the list between the
        // two reads is then missed by this reading (a later one counts it),
        // never counted twice. Missing it, this reading can fall below an
        // earlier one that counted the same stretch in progress; so a
        // reading returns at least the highest returned before. Each raw
        // reading is at most the true total at its time and the true total
        // only grows, so the maximum is still at most the true total now
        // (bounded by procs × the time since the runtime started).
        let raw = self.idle_time_nanos_raw();
        let before = self.idle_nanos_read.fetch_max(raw, Ordering::Relaxed);
        raw.max(before)
    }

    fn idle_time_nanos_raw(&self) -> u64 {
        let done = self.idle_nanos.load(Ordering::Relaxed);
        let now = self.now_nanos();
        let running: u64 = self
            .ps
            .iter()
            .map(|pp| {
                let since = pp.idle_since.load(Ordering::Relaxed);
                if since == 0 {
                    0
                } else {
                    now.saturating_sub(since)
                }
            })
            .sum();
        done.saturating_add(running)
    }
}

impl IdleHook {
    /// Registers `worker` as the runtime's GC worker (see [`GcWorker`]),
    /// switched off. `None` if the runtime is gone or a worker is
    /// registered already (one per runtime, as Go has one collector).
    pub fn register_gc_worker(&self, worker: Arc<dyn GcWorker>) -> Option<GcWorkerRegistration> {
        let shared = self.shared.upgrade()?;
        let slot = &shared.gc_worker;
        let mut registered = lock(&slot.worker);
        if registered.is_some() {
            return None;
        }
        let id = slot.next_id.fetch_add(1, Ordering::Relaxed);
        *registered = Some((id, worker));
        slot.registered.store(true, Ordering::Relaxed);
        drop(registered);
        Some(GcWorkerRegistration {
            shared: self.shared.clone(),
            id,
        })
    }

    /// [`Runtime::idle_time`] of the hook's runtime; `None` if it is gone.
    pub fn idle_time(&self) -> Option<Duration> {
        let shared = self.shared.upgrade()?;
        Some(Duration::from_nanos(shared.idle_time_nanos()))
    }
}

/// The registered [`GcWorker`]; dropping it unregisters the worker (an M
/// running it at that moment finishes that call).
pub struct GcWorkerRegistration {
    shared: Weak<Shared>,
    id: u64,
}

impl fmt::Debug for GcWorkerRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcWorkerRegistration")
            .field("id", &self.id)
            .finish()
    }
}

impl GcWorkerRegistration {
    /// Switches the worker on (a cycle marks: Ps call it before their run
    /// queues) or off (Go's `gcBlackenEnabled`). Switching on does not
    /// wake a P: see [`wake`](Self::wake).
    pub fn set_active(&self, active: bool) {
        if let Some(shared) = self.shared.upgrade() {
            let slot = lock(&shared.gc_worker.worker);
            // Under the lock, so a switch cannot outlive its registration.
            if slot.as_ref().is_some_and(|(id, _)| *id == self.id) {
                shared.gc_worker.active.store(active, Ordering::Relaxed);
            }
        }
    }

    /// Starts an M on an idle P, if there is one and no M is spinning (Go's
    /// `wakep` after `gcStart`): its `find_runnable` calls the worker.
    pub fn wake(&self) {
        super::idle::wakep_if_running(&self.shared);
    }
}

impl Drop for GcWorkerRegistration {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.gc_worker.remove(self.id);
        }
    }
}

impl Runtime {
    /// The time the runtime's Ps have spent on the idle list (no M holding
    /// them) since it started, stretches in progress included (Go's
    /// `limiterEventIdle`, what its GC CPU limiter subtracts from the
    /// mutator's time). Monotonic.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(2).build().unwrap();
    /// let before = rt.idle_time();
    /// std::thread::sleep(std::time::Duration::from_millis(5));
    /// // Both Ps idle all along: at least 2 × 5 ms more.
    /// assert!(rt.idle_time() - before >= std::time::Duration::from_millis(10));
    /// ```
    pub fn idle_time(&self) -> Duration {
        Duration::from_nanos(self.shared.idle_time_nanos())
    }
}
