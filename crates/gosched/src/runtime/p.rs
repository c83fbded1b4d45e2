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
//! counter), a finished `Task` from the P's free list (or allocates one),
//! registers the task, pushes it into `runnext` and ends the lease. Its
//! atomic read-modify-writes are the lease's CAS, the registry shard's lock
//! and the task's reference counts; with more than one P, `wakep` adds a
//! fence. A spawn from outside the runtime (or from a thread without a P)
//! goes to the global queue under `sched.lock` and calls `wakep`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::panic::Location;
use gocore::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

use crate::gfree::{FreeList, GFREE_MAX};
use crate::runq::{global_batch_size, RunQueue};
use crate::stats::Event;
use crate::task::{Body, Harness, JoinHandle, Task};
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
    /// Go: `gFree`, finished tasks whose allocation the next spawn reuses.
    pub(crate) gfree: FreeList,
    /// Go: `goidcache`/`goidcacheend`, task ids reserved for this P's
    /// spawns (owner-only, like the free list: F1 in `gfree.rs`).
    pub(super) goid_next: AtomicU64,
    pub(super) goid_end: AtomicU64,
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
        let body = Arc::new(Harness::new(future, false));
        let task = self.spawn_body(body.clone(), location, true);
        JoinHandle { inner: body, task }
    }

    /// Spawns a task running `body`; returns the task when `handle`.
    pub(crate) fn spawn_body(
        self: &Arc<Self>,
        body: Arc<dyn Body>,
        location: &'static Location<'static>,
        handle: bool,
    ) -> Option<Arc<Task>> {
        if let Some((p, in_poll)) = self.local_p() {
            if self.lease(p, in_poll) {
                // This M owns P `p` until `put_owned` (R1/R2, F1).
                let id = self.goid_get(p);
                // SAFETY: F1: we own P `p`.
                let task = match unsafe { self.ps[p].gfree.get(&self.gfree_global) } {
                    Some(mut t) => {
                        Task::reuse(&mut t, id, body, location);
                        t
                    }
                    None => Task::new(id, self.clone(), body, location),
                };
                self.register(&task);
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
        let task = Task::new(id, self.clone(), body, location);
        self.register(&task);
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

    fn register(&self, task: &Arc<Task>) {
        let mut shard = lock(self.registry_shard(task.id));
        task.registry_index.store(shard.len(), Ordering::Relaxed);
        shard.push(task.clone());
    }

    fn registry_shard(&self, id: u64) -> &Mutex<Vec<Arc<Task>>> {
        &self.registry[id as usize & (self.registry.len() - 1)]
    }

    /// Live spawned tasks plus running `block_on` futures (Go's `gcount`,
    /// also counted when asked).
    pub(crate) fn num_goroutine(&self) -> usize {
        let spawned: usize = self.registry.iter().map(|s| lock(s).len()).sum();
        spawned + self.nblock_on.load(Ordering::Acquire)
    }

    /// Go: `gfput`: keeps a finished task's allocation on P `p`'s free
    /// list when nothing else refers to it (F2).
    ///
    /// # Safety
    ///
    /// F1: the caller owns P `p` (scheduler context).
    pub(super) unsafe fn gfput(&self, p: usize, task: Arc<Task>) {
        if Arc::strong_count(&task) == 1 {
            let global_max = GFREE_MAX * self.ps.len();
            // SAFETY: F1, the caller's contract.
            unsafe { self.ps[p].gfree.put(task, &self.gfree_global, global_max) };
        }
    }

    pub(crate) fn task_done(&self, task: &Task) {
        let mut shard = lock(self.registry_shard(task.id));
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
                tasks: batch.iter().map(|t| t.id).collect(),
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
        s.runq.push_back(task);
        self.global_len.store(s.runq.len(), Ordering::Relaxed);
    }

    /// Go: `globrunqputbatch`.
    fn global_put_batch(&self, batch: Vec<Arc<Task>>) {
        let mut s = lock(&self.sched);
        s.runq.extend(batch);
        self.global_len.store(s.runq.len(), Ordering::Relaxed);
    }

    /// Go: `globrunqget(pp, max)`, with `sched.lock` held: the first task
    /// to run, the rest of the batch into P `p`'s ring.
    pub(super) fn global_get(&self, s: &mut Sched, p: usize, max: usize) -> Option<Arc<Task>> {
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
        self.ps[p].status.store(P_SCHED, Ordering::Release);
        self.wake_sysmon();
        Some(p)
    }

    pub(super) fn pidleput(&self, s: &mut Sched, p: usize) {
        self.ps[p].status.store(P_IDLE, Ordering::Release);
        s.idle_ps.push(p);
        self.npidle.fetch_add(1, Ordering::SeqCst);
    }
}
