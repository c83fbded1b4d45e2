//! The P (Go's `p`), its ownership rules, and where a runnable task goes:
//! `newproc` (spawn), `ready` (a wake), the P's ring, the global queue and
//! the idle-P list.
//!
//! # P status and ownership
//!
//! ```text
//!   P_IDLE ──startm──▶ P_SCHED ──poll──▶ P_RUNNING ──poll returns──▶ P_SCHED
//!     ▲                  │                  │  ▲
//!     └──── released ────┘                  │  └── push done ── P_PUSHING
//!                                           └── sysmon retake / blocking ──▶ handoffp
//! ```
//!
//! - R1. The M that moved a P to `P_SCHED` owns it: only it pushes to the
//!   P's ring (the ring's single-producer rule), and only it touches the
//!   P's free list and id cache.
//! - R2. During a poll the P is `P_RUNNING`; a push from inside the poll
//!   (a spawn or a wake on this worker) first CASes `P_RUNNING → P_PUSHING`
//!   (the *lease*) and stores `P_RUNNING` after. Sysmon takes a P only by
//!   CASing `P_RUNNING → P_SCHED` (for itself), so it never takes a P in
//!   the middle of a push, and a push that finds the P taken goes to the
//!   global queue.
//! - R3. After a poll, the M CASes `P_RUNNING → P_SCHED`; if that fails the P
//!   was taken, and the M continues without one (Go's `exitsyscall`).
//!
//! # The spawn path
//!
//! A spawn inside a poll takes the lease once and then, as owner: takes an
//! id from the P's cache ([`GOID_CACHE_BATCH`] at a time from the shared
//! counter), a finished `Task` from the P's free list (which is still in
//! the registry, T5 in `task.rs`; else it allocates and registers one),
//! pushes it into `runnext` and ends the lease. Its atomic
//! read-modify-writes are the lease's CAS and the task's reference counts
//! (plus the registry shard's lock for a new allocation); with more than
//! one P, `wakep` adds a fence. A spawn from outside the runtime (or from
//! a thread without a P) takes a finished task from the global free list
//! (filled by the handles of earlier spawns, T6 in `task.rs`) or allocates
//! one, puts it in the global queue under `sched.lock` and calls `wakep`.
//!
//! # Yields: a P's tail of the global queue
//!
//! `yield_now` (Go's `Gosched`) sends the task to the tail of the global
//! queue. Taking `sched.lock` for every yield made two busy Ps trade the
//! lock's cache line on every yield (most of a yield's time went to the
//! lock's compare-exchange and its release), so the owner of a P appends
//! its yielded tasks to the P's [`YieldQueue`] instead, and moves them to
//! the global queue's tail in one batch, under one lock, as soon as the P
//! looks at the global queue: the 1-in-61 fairness check, a refill when
//! its ring is empty, before it spins or gives up the P, and whenever the
//! batch reaches [`YIELD_BATCH_MAX`].
//!
//! ```text
//!   P0 ring [a b c]  yields [y1 y2] ──P0 looks at the global queue──▶ global [.. y1 y2]
//! ```
//!
//! - Y1. A P's yield queue is touched only by its owner (as its ring's
//!   producer end and its free list, R1/R2/F1); its length is atomic, so
//!   anyone can see that it is not empty.
//! - Y2. A P is never idle with yielded tasks: every path that releases a
//!   P (`find_runnable`, `block_on` leaving, `handoffp`) counts them as the
//!   P's local work ([`P::has_local_work`]) or moves them first.
//!
//! The yielded task itself is requeued without a write to its state (T7
//! and T8 in `task.rs`): a task that keeps yielding costs no atomic
//! read-modify-write on the task itself; the P's own remain (its status
//! around the poll, its ring's head when it pops, `sched.lock` once per
//! batch).
//!
//! With one P this is exactly Go's order: the yielded tasks reach the
//! global queue before the P next reads it. With more, another P sees a
//! yielded task once its P next reads the global queue (until then that
//! P's ring is not empty, and the others steal from it), not at once.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::future::Future;
use core::panic::Location;
use core::ptr::NonNull;
use gocore::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::body::{NewBody, Unplaced};
use crate::gfree::{FreeList, GFREE_GLOBAL_PER_P};
use crate::runq::{global_batch_size, RunQueue};
use crate::stats::Event;
use crate::task::{JoinHandle, JoinRef, Joinable, Task, DONE, NOT_REGISTERED};
use crate::time::TimerEntry;
use crate::timers::TimerHeap;

use super::{ctx_set_p, lock, with_ctx, Sched, Shared};

/// Go: `_GoidCacheBatch`, task ids a P reserves at once, so that its
/// spawns do not all bump one shared counter.
pub const GOID_CACHE_BATCH: u64 = 16;

pub(crate) const P_IDLE: u8 = 0;
pub(crate) const P_SCHED: u8 = 1;
pub(crate) const P_RUNNING: u8 = 2;
pub(crate) const P_PUSHING: u8 = 3;

/// Yielded tasks a P keeps before moving them to the global queue in one
/// batch (Go's `runqputslow` batch size).
pub const YIELD_BATCH_MAX: usize = 128;

/// A P's yielded tasks, in order, on their way to the global queue's tail
/// (Y1, Y2 above).
pub(crate) struct YieldQueue {
    tasks: UnsafeCell<Vec<Arc<Task>>>,
    /// `tasks.len()`, read by any thread.
    len: AtomicUsize,
}

// SAFETY: `tasks` is touched only by the P's owner (Y1), which the `unsafe`
// methods require of their callers; `len` is atomic. Tasks are `Send + Sync`.
unsafe impl Sync for YieldQueue {}

impl YieldQueue {
    pub(crate) fn new() -> Self {
        YieldQueue {
            tasks: UnsafeCell::new(Vec::new()),
            len: AtomicUsize::new(0),
        }
    }

    /// The number of yielded tasks waiting (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Appends `task`; returns the batch to move to the global queue when
    /// it reached [`YIELD_BATCH_MAX`].
    ///
    /// # Safety
    ///
    /// Y1: the caller owns this queue's P.
    unsafe fn push(&self, task: Arc<Task>) -> Option<Vec<Arc<Task>>> {
        // SAFETY: Y1, the caller's contract.
        let tasks = unsafe { &mut *self.tasks.get() };
        tasks.push(task);
        if tasks.len() >= YIELD_BATCH_MAX {
            self.len.store(0, Ordering::Release);
            return Some(core::mem::take(tasks));
        }
        self.len.store(tasks.len(), Ordering::Release);
        None
    }

    /// Moves every yielded task, in order, to the end of `into`.
    ///
    /// # Safety
    ///
    /// Y1: the caller owns this queue's P (or no M runs any more).
    pub(crate) unsafe fn drain_into(&self, into: &mut impl Extend<Arc<Task>>) {
        if self.len.load(Ordering::Relaxed) == 0 {
            return;
        }
        // SAFETY: Y1, the caller's contract.
        let tasks = unsafe { &mut *self.tasks.get() };
        into.extend(tasks.drain(..));
        self.len.store(0, Ordering::Release);
    }
}

/// Go: `p`.
pub(crate) struct P {
    pub(crate) runq: RunQueue<Arc<Task>>,
    pub(crate) status: AtomicU8,
    /// Go: `schedtick`, incremented when a task starts a new time slice.
    pub(crate) schedtick: AtomicU32,
    /// Incremented at every poll; sysmon sees a stuck poll when it does not move.
    pub(crate) poll_seq: AtomicU32,
    pub(crate) timers: Mutex<TimerHeap<Arc<TimerEntry>>>,
    /// Go: `timer0When`, the earliest deadline on this P (`u64::MAX`: none).
    pub(crate) timer0_when: AtomicU64,
    /// Set by sysmon when one time slice lasted 10 ms.
    pub(crate) preempt: AtomicBool,
    /// When the P entered the idle list (nanoseconds since the runtime's
    /// start), 0 while it is not there (Go's `limiterEvent` of type
    /// `limiterEventIdle`; see `gc_worker`).
    pub(crate) idle_since: AtomicU64,
    /// Go: `gFree`, finished tasks whose allocation the next spawn reuses.
    pub(crate) gfree: FreeList,
    /// Go: `goidcache`/`goidcacheend`, task ids reserved for this P's
    /// spawns (owner-only, like the free list: F1 in `gfree.rs`).
    pub(super) goid_next: AtomicU64,
    pub(super) goid_end: AtomicU64,
    /// Tasks that yielded on this P, not yet in the global queue (Y1).
    pub(crate) yields: YieldQueue,
}

impl P {
    /// Whether tasks wait on this P: in its ring, its `runnext`, or its
    /// yield queue (Y2).
    pub(crate) fn has_local_work(&self) -> bool {
        !self.runq.is_empty() || self.yields.len() > 0
    }
}

/// [`Shared::ready`] for a wake that owns a counted reference to `task`:
/// that reference goes to the queue. On a thread of the task's runtime the
/// runtime is borrowed from the thread's context; elsewhere the task's
/// reference to it is used, with a clone of `task` to keep it alive.
pub(crate) fn ready_owned(task: Arc<Task>) {
    let foreign = with_ctx(|c| match c {
        Some(c) if Arc::ptr_eq(&c.shared, &task.shared) => {
            c.shared.ready(task);
            None
        }
        _ => Some(task),
    });
    if let Some(task) = foreign {
        task.shared.ready(task.clone());
    }
}

impl Shared {
    /// Go's `newproc`: a new task into this worker's `runnext`, or into the
    /// global queue from outside.
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_as(future, location, false)
    }

    /// [`Shared::spawn`], of a system task (`Task::system`) when `system`.
    pub(crate) fn spawn_as<F>(
        self: &Arc<Self>,
        future: F,
        location: &'static Location<'static>,
        system: bool,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut body = Unplaced::joined(future);
        let task = self.spawn_body(NewBody::Joined(&mut body), location, true, system);
        let harness: NonNull<dyn Joinable<F::Output>> = body.placed();
        JoinHandle {
            inner: JoinRef::InTask(harness),
            task,
            taken: false,
        }
    }

    /// Spawns a task running `body`, a system task when `system`; returns
    /// the task when `handle`.
    pub(crate) fn spawn_body(
        self: &Arc<Self>,
        body: NewBody<'_>,
        location: &'static Location<'static>,
        handle: bool,
        system: bool,
    ) -> Option<Arc<Task>> {
        if let Some((p, in_poll)) = self.local_p() {
            if self.lease(p, in_poll) {
                // This M owns P `p` until `put_owned` (R1/R2, F1).
                let id = self.goid_get(p);
                // SAFETY: F1: we own P `p`.
                let task = match unsafe { self.ps[p].gfree.get(&self.gfree_global) } {
                    Some(t) => {
                        // SAFETY: F2: `t` comes off a free list; it stays
                        // in its registry shard (T5).
                        unsafe { Task::reuse(&t, id, body, location) };
                        t
                    }
                    None => {
                        let t = Task::new(id, self.clone(), body, location, self.shard_of(id));
                        self.register(&t);
                        t
                    }
                };
                task.system.store(system, Ordering::Relaxed);
                task.set_join_sides(handle);
                let out = handle.then(|| task.clone());
                if self.shutdown.load(Ordering::Acquire) {
                    self.release(p, in_poll);
                    task.cancel();
                    self.task_done(&task);
                    return out;
                }
                self.put_owned(p, task, true, in_poll);
                return out;
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // From outside (no P): a finished task from the global free list,
        // which the handles of earlier remote spawns fill (T6).
        let task = match self.gfree_global.get() {
            Some(t) => {
                // SAFETY: F2: `t` comes off a free list; it stays in its
                // registry shard (T5).
                unsafe { Task::reuse(&t, id, body, location) };
                t
            }
            None => {
                let t = Task::new(id, self.clone(), body, location, self.shard_of(id));
                self.register(&t);
                t
            }
        };
        task.system.store(system, Ordering::Relaxed);
        task.set_join_sides(handle);
        let out = handle.then(|| task.clone());
        if self.shutdown.load(Ordering::Acquire) {
            task.cancel();
            self.task_done(&task);
            return out;
        }
        self.global_put(task);
        self.wakep_after_global_put();
        out
    }

    /// Go: `newproc1`'s id from `pp.goidcache`, refilled by
    /// [`GOID_CACHE_BATCH`] from the shared counter. The caller owns P `p`.
    fn goid_get(&self, p: usize) -> u64 {
        let pp = &self.ps[p];
        let mut next = pp.goid_next.load(Ordering::Relaxed);
        if next == pp.goid_end.load(Ordering::Relaxed) {
            next = self.next_id.fetch_add(GOID_CACHE_BATCH, Ordering::Relaxed);
            pp.goid_end
                .store(next + GOID_CACHE_BATCH, Ordering::Relaxed);
        }
        pp.goid_next.store(next + 1, Ordering::Relaxed);
        next
    }

    /// The registry shard a new task with id `id` goes to.
    fn shard_of(&self, id: u64) -> usize {
        id as usize & (self.registry.len() - 1)
    }

    /// Go: `allgadd`, for a new allocation (a reused one stays registered,
    /// T5).
    fn register(&self, task: &Arc<Task>) {
        let mut shard = lock(&self.registry[task.registry_shard]);
        task.registry_index.store(shard.len(), Ordering::Relaxed);
        shard.push(task.clone());
    }

    /// Spawned tasks not finished (the registry's entries that are not
    /// DONE, T5).
    pub(crate) fn live_tasks(&self) -> usize {
        self.registry
            .iter()
            .map(|s| {
                lock(s)
                    .iter()
                    .filter(|t| t.state.load(Ordering::Acquire) != DONE)
                    .count()
            })
            .sum()
    }

    /// Live spawned tasks plus running `block_on` futures (Go's `gcount`,
    /// also counted when asked).
    pub(crate) fn num_goroutine(&self) -> usize {
        self.live_tasks() + self.nblock_on.load(Ordering::Acquire)
    }

    /// Go: `goexit0`: a finished task's allocation goes on P `p`'s free
    /// list, staying in the registry (T5), when nothing but the registry
    /// refers to it (F2); otherwise it leaves the registry.
    ///
    /// # Safety
    ///
    /// F1: the caller owns P `p` (scheduler context).
    pub(super) unsafe fn task_exit(&self, p: usize, task: Arc<Task>) {
        if !task.join_side_done() {
            // T6: its handle lives and finishes with the allocation; the
            // task stays in the registry, DONE, until then.
            return;
        }
        // SAFETY: T6: the exit was the last owner (a handle, if any, is
        // gone).
        if !unsafe { self.claim_for_reuse(&task) } {
            return;
        }
        let global_max = GFREE_GLOBAL_PER_P * self.ps.len();
        // SAFETY: F1, the caller's contract.
        let freed = unsafe { self.ps[p].gfree.put(task, &self.gfree_global, global_max) };
        for t in freed {
            self.task_done(&t);
        }
    }

    /// The [`JoinHandle`] side of T6 (`task.rs`): the handle of `task` is
    /// gone. When the task's exit was done first, this finishes with the
    /// allocation as [`Shared::task_exit`] does, with the global free list
    /// (the handle's thread may own no P).
    pub(crate) fn join_handle_dropped(task: Arc<Task>) {
        let shared = task.shared.clone();
        shared.side_done_without_p(task);
    }

    /// [`Shared::task_exit`] for an M that owns no P: sysmon took its P
    /// during the task's last poll (`retake`). Go's `goexit0` always runs
    /// with a P (sysmon never takes a running goroutine's P), so its `g`
    /// always reaches a free list; here the exit uses the global one
    /// (Go's `sched.gFree`), as a handle's drop does, instead of leaving
    /// the task to leave the registry.
    pub(super) fn task_exit_without_p(&self, task: Arc<Task>) {
        self.side_done_without_p(task);
    }

    /// One side of T6 done, on a thread that may own no P: the last side
    /// puts the allocation on the global free list (F2) or, if it cannot
    /// be reused, takes it out of the registry.
    fn side_done_without_p(&self, task: Arc<Task>) {
        if !task.join_side_done() {
            // The other side (the task's exit, or its handle) finishes.
            return;
        }
        // SAFETY: T6: this side was the last owner (the other is done).
        if !unsafe { self.claim_for_reuse(&task) } {
            return;
        }
        let global_max = GFREE_GLOBAL_PER_P * self.ps.len();
        if let Some(t) = self.gfree_global.put_one(task, global_max, &self.shutdown) {
            self.task_done(&t);
        }
    }

    /// Whether the finished `task` may go on a free list (F2): only the
    /// registry and the caller refer to it, and none can appear (registry
    /// readers never clone). Then its kept body is released for the next
    /// spawn; otherwise it leaves the registry (a task the teardown already
    /// removed is not reused).
    ///
    /// # Safety
    ///
    /// T6: the caller is the task's last owner (its exit and its handle,
    /// if any, are both done).
    unsafe fn claim_for_reuse(&self, task: &Arc<Task>) -> bool {
        let registered = task.registry_index.load(Ordering::Relaxed) != NOT_REGISTERED;
        if !registered || Arc::strong_count(task) != 2 {
            self.task_done(task);
            return false;
        }
        // The count is a relaxed load: order the other owners' last uses
        // (a waker's `live_wakers` decrement before its `Arc` drop) before
        // the reuse resets the task's fields, as `Arc::get_mut` does.
        fence(Ordering::Acquire);
        // SAFETY: T6, the caller's contract; only the registry holds the
        // task besides the caller.
        unsafe { task.release_kept_body() };
        true
    }

    /// Removes `task` from the registry (Go has no such step: its `allgs`
    /// never shrinks). For a task that finished and is not reused, or is
    /// dropped from a free list.
    pub(crate) fn task_done(&self, task: &Task) {
        let mut shard = lock(&self.registry[task.registry_shard]);
        let i = task.registry_index.load(Ordering::Relaxed);
        // Teardown may have emptied the registry already.
        if shard
            .get(i)
            .is_some_and(|t| core::ptr::eq(Arc::as_ptr(t), task))
        {
            let removed = shard.swap_remove(i);
            if let Some(moved) = shard.get(i) {
                moved.registry_index.store(i, Ordering::Relaxed);
            }
            removed
                .registry_index
                .store(NOT_REGISTERED, Ordering::Relaxed);
            drop(shard);
            drop(removed);
        }
    }

    /// The P this thread holds in this runtime, and whether a poll is in
    /// progress (R2 applies to pushes).
    fn local_p(&self) -> Option<(usize, bool)> {
        with_ctx(|c| match c {
            Some(c) if core::ptr::eq(Arc::as_ptr(&c.shared), self) => {
                c.p.get().map(|p| (p, c.in_poll.get()))
            }
            _ => None,
        })
    }

    /// Go's `ready`: on a worker that holds a P, into its `runnext`; from
    /// anywhere else, into the global queue; then `wakep`.
    pub(crate) fn ready(&self, task: Arc<Task>) {
        if self.shutdown.load(Ordering::Acquire) {
            return;
        }
        // Woken by a poll's event: the poll places its batch (injectglist).
        #[cfg(feature = "net")]
        let Some(task) = super::netpoll::batch_ready(self, task) else {
            return;
        };
        match self.local_p() {
            Some((p, in_poll)) if self.lease(p, in_poll) => self.put_owned(p, task, true, in_poll),
            _ => {
                self.global_put(task);
                self.wakep_after_global_put();
            }
        }
    }

    /// Makes this M the owner of P `p` for a push (R2): inside a poll,
    /// CASes `P_RUNNING → P_PUSHING`. Returns false when sysmon took the P
    /// (this M no longer holds one).
    fn lease(&self, p: usize, in_poll: bool) -> bool {
        if in_poll
            && self.ps[p]
                .status
                .compare_exchange(P_RUNNING, P_PUSHING, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            ctx_set_p(None);
            return false;
        }
        true
    }

    /// Ends a [`lease`](Self::lease).
    fn release(&self, p: usize, in_poll: bool) {
        if in_poll {
            self.ps[p].status.store(P_RUNNING, Ordering::Release);
        }
    }

    /// Go's `runqput` + `wakep` by the owner of P `p` (after a
    /// [`lease`](Self::lease), which this ends).
    pub(super) fn put_owned(&self, p: usize, task: Arc<Task>, next: bool, in_poll: bool) {
        let pp = &self.ps[p];
        // SAFETY: 1. R1/R2: this M owns P `p` (it holds it in P_SCHED, or
        // holds the P_PUSHING lease), so no other thread runs owner methods.
        let overflow = unsafe { pp.runq.put(task, next) };
        self.release(p, in_poll);
        if let Some(batch) = overflow {
            self.record(|| Event::Overflow {
                p,
                tasks: batch.iter().map(|t| t.id()).collect(),
            });
            self.global_put_batch(batch);
        }
        // With one P, held by this M, no P is idle: `wakep` could not start
        // anything, so skip its fence.
        if self.ps.len() > 1 {
            self.wakep();
        }
    }

    /// Go: `globrunqput`.
    ///
    /// `global_len` is a hint for readers that skip the lock; a plain store
    /// suffices (it is written only under `sched.lock`). R4 rests on the
    /// lock itself: see [`Shared::wakep_after_global_put`].
    pub(crate) fn global_put(&self, task: Arc<Task>) {
        let mut s = lock(&self.sched);
        // Checked again under the lock: a wake or spawn from another thread
        // may have passed its own check before the teardown set `shutdown`
        // and drained this queue, and a task pushed after that drain would
        // never be dropped and would keep the runtime alive (it holds
        // `Shared`). The teardown sets the flag before it takes the lock to
        // drain, and cancels every registered task itself; the reference
        // is dropped after the lock.
        if self.shutdown.load(Ordering::Acquire) {
            drop(s);
            drop(task);
            return;
        }
        s.runq.push_back(task);
        self.global_len.store(s.runq.len(), Ordering::Relaxed);
    }

    /// Go's `goschedImpl` (`globrunqput` of the yielding task) by the owner
    /// of P `p`: the task joins the P's yield queue, which reaches the
    /// global queue's tail when the P next reads it (Y1). Like Go's
    /// `Gosched`, it wakes no M, unless a full batch moves.
    ///
    /// # Safety
    ///
    /// Y1: the caller owns P `p` (scheduler context).
    pub(super) unsafe fn global_put_yield(&self, p: usize, task: Arc<Task>) {
        // SAFETY: Y1, the caller's contract.
        if let Some(batch) = unsafe { self.ps[p].yields.push(task) } {
            self.global_put_batch(batch);
            self.wakep_after_global_put();
        }
    }

    /// Go's preemption of a slice that ran 10 ms: the `runnext` task `t`
    /// goes to the global queue's tail, behind P `p`'s yielded tasks.
    ///
    /// # Safety
    ///
    /// Y1: the caller owns P `p` (scheduler context).
    pub(super) unsafe fn preempt_to_global(&self, p: usize, t: Arc<Task>) {
        self.record(|| Event::Preempt { p, task: t.id() });
        let mut s = lock(&self.sched);
        // SAFETY: Y1, the caller's contract; its yields were first.
        unsafe { self.flush_yields(&mut s, p) };
        s.runq.push_back(t);
        self.global_len.store(s.runq.len(), Ordering::Relaxed);
    }

    /// Moves P `p`'s yielded tasks to the global queue (Y2), with
    /// `sched.lock` held.
    ///
    /// # Safety
    ///
    /// Y1: the caller owns P `p` (scheduler context).
    pub(super) unsafe fn flush_yields(&self, s: &mut Sched, p: usize) {
        if self.ps[p].yields.len() > 0 {
            // SAFETY: Y1, the caller's contract.
            unsafe { self.ps[p].yields.drain_into(&mut s.runq) };
            self.global_len.store(s.runq.len(), Ordering::Relaxed);
        }
    }

    /// Whether the global queue, or P `p`'s yielded tasks on their way to
    /// it, hold a task (read without the lock).
    pub(super) fn global_nonempty(&self, p: usize) -> bool {
        self.global_len.load(Ordering::Acquire) > 0 || self.ps[p].yields.len() > 0
    }

    /// Go: `globrunqputbatch`.
    fn global_put_batch(&self, batch: Vec<Arc<Task>>) {
        let mut s = lock(&self.sched);
        s.runq.extend(batch);
        self.global_len.store(s.runq.len(), Ordering::Relaxed);
    }

    /// Go: `globrunqget(pp, max)`, with `sched.lock` held: the first task
    /// to run, the rest of the batch into P `p`'s ring. P `p`'s yielded
    /// tasks join the global queue first (Y1).
    pub(super) fn global_get(&self, s: &mut Sched, p: usize, max: usize) -> Option<Arc<Task>> {
        // SAFETY: Y1: the caller owns P `p` (scheduler context).
        unsafe { self.flush_yields(s, p) };
        let pp = &self.ps[p];
        let n = global_batch_size(s.runq.len(), self.ps.len(), max, pp.runq.capacity());
        if n == 0 {
            return None;
        }
        let first = s.runq.pop_front();
        for _ in 1..n {
            let Some(t) = s.runq.pop_front() else { break };
            // SAFETY: 1. R1: the caller owns P `p` (scheduler context).
            if let Some(batch) = unsafe { pp.runq.put(t, false) } {
                s.runq.extend(batch);
            }
        }
        self.global_len.store(s.runq.len(), Ordering::Relaxed);
        if n > 1 {
            self.record(|| Event::GlobalBatch { p, n });
        }
        first
    }

    /// Takes an idle P, if any (Go: `pidleget`).
    pub(super) fn idle_p_get(&self) -> Option<usize> {
        let mut s = lock(&self.sched);
        self.pidleget(&mut s)
    }

    pub(super) fn pidleget(&self, s: &mut Sched) -> Option<usize> {
        let p = s.idle_ps.pop()?;
        self.npidle.fetch_sub(1, Ordering::SeqCst);
        self.idle_stop(p);
        self.ps[p].status.store(P_SCHED, Ordering::Release);
        self.wake_sysmon();
        Some(p)
    }

    pub(super) fn pidleput(&self, s: &mut Sched, p: usize) {
        self.ps[p].status.store(P_IDLE, Ordering::Release);
        self.idle_start(p);
        s.idle_ps.push(p);
        self.npidle.fetch_add(1, Ordering::SeqCst);
    }
}
