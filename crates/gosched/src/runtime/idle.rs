//! Idle work: what a P does when `findRunnable` found nothing to run,
//! before it gives the P up (Go's idle GC mark worker, which
//! `findRunnable` starts when `gcBlackenEnabled != 0 &&
//! gcMarkWorkAvailable(pp) && gcController.addIdleMarkWorker()`).
//!
//! # Design
//!
//! A host (a garbage collector) registers an [`IdleWork`] through the
//! runtime's [`IdleHook`]. `find_runnable`, after the P's queues, the
//! global queue, the netpoller and stealing all came up empty, and before
//! it releases the P, asks every registered work whether it has some
//! ([`IdleWork::has_work`], Go's `gcMarkWorkAvailable` and
//! `needIdleMarkWorker`). For one that has, a spinning M stops spinning
//! and wakes another P (Go's `resetspinning` when `findRunnable` returns
//! the idle worker: so idle work spreads over the idle Ps, as far as the
//! work admits), then runs it with an [`IdleP`]: the work does a bounded
//! amount, polls [`IdleP::should_stop`] (true as soon as the P has a task
//! to run or a due timer, Go's `pollWork`) and returns whether it did anything. If one
//! did, the M looks for tasks again with its P (more idle work comes next
//! time round); if none did, the P is released as before.
//!
//! ```text
//!   find_runnable: timers, runnext/ring, global, netpoll, steal
//!        └─ nothing ─▶ registered? (one relaxed load) ─ no ─▶ release the P, park
//!                          │ yes
//!                          ▼
//!                     per registration: has_work? ─▶ stop spinning (wakep);
//!                                       run(&IdleP) ─ did work ─▶ look again
//!                          │ none did
//!                          ▼
//!                     release the P, park
//! ```
//!
//! With nothing registered the hook costs `find_runnable` one relaxed load
//! of the registration count, on its way to parking. The list of works
//! sits under a mutex taken only when the count is non-zero.
//!
//! # Panics
//!
//! A work that panics does not kill the M: the panic is caught, the work is
//! unregistered (it ran half-way and may be broken; the host learns of it
//! through its own state, as a work that wants to report panics catches
//! them itself), and the M goes on. That holds for the work's `Drop` too:
//! an M runs it when the registration was dropped while the M held its
//! clone (the M drops that clone inside the same guard), and no work is
//! dropped under the list's lock, so a `Drop` may register or unregister
//! works. Another M may already be calling a work that panics: it finishes
//! that call (a panicking work is called at most once more per M).
//!
//! # Waking
//!
//! Idle work may appear while every P is parked (a collector starts a
//! cycle): [`IdleRegistration::wake`] starts an M on an idle P (Go's
//! `wakep`, as `startTheWorldWithSema` does after `gcStart`), which finds
//! no task and runs the idle work.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::panic::Location;
use gocore::atomic::Ordering;

use super::block_on::MainWaker;
use super::m::MState;
use super::{lock, Runtime, Shared};
use crate::task::JoinHandle;

/// Work a P does when it has no task to run (Go's idle GC mark worker).
///
/// Register it with [`IdleHook::register`]. A P whose `findRunnable` found
/// no task (its queues, the global queue, the netpoller and stealing all
/// empty) asks every registered work [`has_work`](IdleWork::has_work)
/// before it releases the P; for one that has, a spinning M stops spinning
/// and wakes another P (Go's `resetspinning`), then calls
/// [`run`](IdleWork::run). If some work ran, the M looks for tasks again;
/// else the P is released. With nothing registered this costs one relaxed
/// load. A work that panics (in `has_work`, `run`, or the `Drop` of its
/// last clone) is caught and unregistered; the M goes on.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use gosched::{IdleP, IdleWork, Runtime};
///
/// struct Chores(AtomicUsize);
/// impl IdleWork for Chores {
///     fn has_work(&self) -> bool {
///         self.0.load(Ordering::Relaxed) > 0
///     }
///     fn run(&self, idle: &IdleP<'_>) -> bool {
///         // One chore at a time, only while nothing else is runnable.
///         if idle.should_stop() || self.0.load(Ordering::Relaxed) == 0 {
///             return false;
///         }
///         self.0.fetch_sub(1, Ordering::Relaxed);
///         true
///     }
/// }
///
/// let rt = Runtime::builder().procs(1).build().unwrap();
/// let chores = Arc::new(Chores(AtomicUsize::new(3)));
/// let registration = rt.idle_hook().register(chores.clone()).unwrap();
/// registration.wake();
/// while chores.0.load(Ordering::Relaxed) > 0 {
///     std::thread::yield_now();
/// }
/// drop(registration); // no longer called
/// ```
pub trait IdleWork: Send + Sync {
    /// Whether the work could use an idle P now: a cheap check, asked
    /// before the M stops spinning (and wakes another P) for it. A work
    /// that answers true while `run` finds nothing makes idle Ps wake each
    /// other in turn, so it should answer false once no more Ps can help
    /// (Go's `needIdleMarkWorker`).
    fn has_work(&self) -> bool;

    /// Does some work on an idle P; returns whether it did any (the M then
    /// looks for tasks again before calling it once more). It should poll
    /// [`IdleP::should_stop`] often (Go's idle worker checks every 100 000
    /// units of scan work) and return once it is true.
    fn run(&self, idle: &IdleP<'_>) -> bool;
}

/// The idle P an [`IdleWork`] runs on.
pub struct IdleP<'a> {
    shared: &'a Shared,
    p: usize,
    main: Option<&'a MainWaker>,
}

impl IdleP<'_> {
    /// Whether the P has something else to do (Go's `pollWork`): a task in
    /// its ring or the global queue, a due timer on this P, a woken
    /// `block_on` future on this M, or the runtime shutting down.
    ///
    /// The timer check stands for Go's preemption of an idle worker after
    /// a 10 ms slice (whose `schedule` then runs the P's timers): no other
    /// M fires this P's timers while the work runs (with one P, none can),
    /// so a sleeping task would wait for as long as the work lasts.
    #[inline]
    pub fn should_stop(&self) -> bool {
        self.shared.shutdown.load(Ordering::Relaxed)
            || self.shared.ps[self.p].has_local_work()
            || self.shared.global_nonempty(self.p)
            || self.main.is_some_and(|w| w.woken.load(Ordering::Relaxed))
            || self.timer_due()
    }

    /// Whether the earliest timer on this P is due (one load while it has
    /// none; a clock read otherwise).
    fn timer_due(&self) -> bool {
        let first = self.shared.ps[self.p].timer0_when.load(Ordering::Acquire);
        first != u64::MAX && first <= self.shared.now_nanos()
    }

    /// The P's index (0 to `GOMAXPROCS − 1`).
    pub fn p(&self) -> usize {
        self.p
    }
}

impl fmt::Debug for IdleP<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleP").field("p", &self.p).finish()
    }
}

/// The registered works and their count (the count is what
/// `find_runnable` reads).
pub(crate) struct IdleWorks {
    count: gocore::atomic::AtomicUsize,
    works: std::sync::Mutex<Vec<(u64, Arc<dyn IdleWork>)>>,
    next_id: gocore::atomic::AtomicU64,
}

impl IdleWorks {
    pub(crate) fn new() -> IdleWorks {
        IdleWorks {
            count: gocore::atomic::AtomicUsize::new(0),
            works: std::sync::Mutex::new(Vec::new()),
            next_id: gocore::atomic::AtomicU64::new(0),
        }
    }

    /// Unregisters work `id`. Its clone is dropped after the lock is
    /// released: the work's `Drop` is user code, which may register or
    /// unregister works itself (or panic).
    fn remove(&self, id: u64) {
        let mut works = lock(&self.works);
        let removed = works
            .iter()
            .position(|(other, _)| *other == id)
            .map(|i| works.remove(i));
        self.count.store(works.len(), Ordering::Relaxed);
        drop(works);
        drop(removed);
    }
}

impl Shared {
    /// The idle-work step of `find_runnable` on P `p`: whether some
    /// registered work ran (the caller then looks for tasks again).
    #[inline]
    pub(super) fn run_idle_work(&self, m: &mut MState, p: usize, main: Option<&MainWaker>) -> bool {
        if self.idle_works.count.load(Ordering::Relaxed) == 0 {
            return false;
        }
        self.run_idle_work_slow(m, p, main)
    }

    #[cold]
    fn run_idle_work_slow(&self, m: &mut MState, p: usize, main: Option<&MainWaker>) -> bool {
        let works: Vec<(u64, Arc<dyn IdleWork>)> = lock(&self.idle_works.works).clone();
        let idle = IdleP {
            shared: self,
            p,
            main,
        };
        let mut did = false;
        for (id, work) in works {
            let (idle, m) = (&idle, &mut *m);
            // `work` moves into the guarded call: if its registration was
            // dropped meanwhile, this clone is the last, and the work's
            // `Drop` runs (and may panic) here, not outside on the M.
            let ran = std::panic::catch_unwind(core::panic::AssertUnwindSafe(move || {
                if idle.should_stop() || !work.has_work() {
                    return false;
                }
                if m.spinning {
                    self.reset_spinning(m);
                }
                work.run(idle)
            }));
            match ran {
                Ok(ran) => did |= ran,
                Err(payload) => {
                    self.idle_works.remove(id);
                    drop_payload(payload);
                }
            }
        }
        did
    }
}

/// Drops a caught panic's payload, whose own `Drop` may panic too: that
/// second payload is leaked rather than unwinding out of the M.
pub(super) fn drop_payload(payload: alloc::boxed::Box<dyn core::any::Any + Send>) {
    if let Err(nested) = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| drop(payload))) {
        core::mem::forget(nested);
    }
}

/// A runtime's door for a collector: [`IdleWork`] ([`Runtime::idle_hook`]),
/// the one [`GcWorker`](super::GcWorker) its Ps run before their run
/// queues ([`register_gc_worker`](IdleHook::register_gc_worker)), the Ps'
/// idle time, and spawning the tasks that go with them. It does not keep
/// the runtime alive.
#[derive(Clone)]
pub struct IdleHook {
    pub(super) shared: Weak<Shared>,
    procs: usize,
}

impl fmt::Debug for IdleHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleHook")
            .field("procs", &self.procs)
            .field("alive", &(self.shared.strong_count() > 0))
            .finish()
    }
}

impl IdleHook {
    /// Registers `work`: idle Ps run it until the registration is dropped.
    /// `None` if the runtime is gone.
    pub fn register(&self, work: Arc<dyn IdleWork>) -> Option<IdleRegistration> {
        let shared = self.shared.upgrade()?;
        let id = shared.idle_works.next_id.fetch_add(1, Ordering::Relaxed);
        let mut works = lock(&shared.idle_works.works);
        works.push((id, work));
        shared
            .idle_works
            .count
            .store(works.len(), Ordering::Relaxed);
        drop(works);
        Some(IdleRegistration {
            shared: self.shared.clone(),
            id,
        })
    }

    /// The runtime's P count (`GOMAXPROCS`).
    pub fn procs(&self) -> usize {
        self.procs
    }

    /// Spawns a task on the runtime, as [`Runtime::spawn`] does, for the
    /// background work that goes with idle work (a collector's dedicated
    /// mark workers). `None` if the runtime is gone.
    ///
    /// It is a *system* task (Go's system goroutines, which `checkdead`
    /// skips): parked, it does not keep [`Runtime::block_on`] from
    /// reporting a deadlock, even while its wakers are alive (a collector
    /// holds its workers' wakers until the next cycle). So it must not be
    /// what wakes the runtime's other tasks or `block_on` futures.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
    /// let task = rt.idle_hook().spawn(async { 3 }).unwrap();
    /// assert_eq!(rt.block_on(task).unwrap().unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Option<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shared = self.shared.upgrade()?;
        Some(shared.spawn_as(future, Location::caller(), true))
    }
}

/// A registered [`IdleWork`]; dropping it unregisters the work (an M
/// running it at that moment finishes that call).
pub struct IdleRegistration {
    shared: Weak<Shared>,
    id: u64,
}

impl fmt::Debug for IdleRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleRegistration")
            .field("id", &self.id)
            .finish()
    }
}

impl IdleRegistration {
    /// Starts an M on an idle P, if there is one and no M is spinning (Go's
    /// `wakep`): it looks for tasks and, finding none, runs the idle work.
    pub fn wake(&self) {
        wakep_if_running(&self.shared);
    }
}

/// Go's `wakep` for a registration that holds its runtime weakly: nothing
/// once the runtime is gone or shutting down.
pub(super) fn wakep_if_running(shared: &Weak<Shared>) {
    if let Some(shared) = shared.upgrade() {
        if !shared.shutdown.load(Ordering::Relaxed) {
            shared.wakep();
        }
    }
}

impl Drop for IdleRegistration {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.idle_works.remove(self.id);
        }
    }
}

impl Runtime {
    /// The runtime's [`IdleHook`], to register work its idle Ps do (see
    /// [`IdleWork`]).
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(2).build().unwrap();
    /// assert_eq!(rt.idle_hook().procs(), 2);
    /// ```
    pub fn idle_hook(&self) -> IdleHook {
        IdleHook {
            shared: Arc::downgrade(&self.shared),
            procs: self.shared.ps.len(),
        }
    }
}
