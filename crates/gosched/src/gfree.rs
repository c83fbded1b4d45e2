//! Free lists of finished tasks (Go's `p.gFree` and `sched.gFree`), so a
//! spawn reuses a `Task` allocation instead of asking the allocator.
//!
//! # What
//!
//! When a task finishes and nothing else refers to its `Arc<Task>` (no
//! waker, no handle), the M that ran it pushes it on its P's [`FreeList`];
//! the next spawn on that P pops it and refills it in place
//! (`Task::reuse`). A P that only runs what others spawn would fill its
//! list while the spawner's stays empty, so, as in Go, a list that reaches
//! [`GFREE_MAX`] moves half of itself to the runtime's global list, and an
//! empty list refills up to half of [`GFREE_MAX`] from it.
//!
//! A task spawned with a `JoinHandle` is finished by whichever of its exit
//! and its handle's drop comes last (T6 in `task.rs`); the handle, whose
//! thread may own no P, puts it on the global list, from which a spawn
//! from outside the runtime takes it. So does an exit on an M whose P
//! sysmon took during the task's last poll (Go's `goexit0` always has its
//! P; here the poll may have blocked its M, Go's syscall rule). So a program that spawns from
//! outside and awaits the handles (tokio's `spawn_many_remote_*`) reuses
//! its tasks as Go reuses its `g`s.
//!
//! ```text
//!   P0.gfree [t t t]      P1.gfree [t t … t] ──64 reached: 32 move──▶ global [t … t]
//!        ▲                                                               │
//!        └──────────────── empty: take up to 32 ◀────────────────────────┘
//! ```
//!
//! # Invariants
//!
//! - F1. A P's list is touched only by the M that owns the P (R1/R2 in
//!   `runtime/p.rs`: it holds the P in `P_SCHED`, or holds the `P_PUSHING` lease
//!   during a poll), or by the teardown once no M runs. So the list needs
//!   no lock: a spawn pays no atomic read-modify-write for it.
//! - F2. Every task on a list is `DONE`, has no body (it may keep the
//!   block its last `go` body lived in: B1 in `body.rs`), and is held by the
//!   list and the runtime's registry alone (`Arc::strong_count == 2`, T5
//!   in `task.rs`: registry readers only read its atomics), so
//!   `Task::reuse` may refill it in place. A task a list drops (the global
//!   list is full) is handed back to leave the registry.
//!
//! # Tuning
//!
//! 64 and 32 are Go's numbers (`gfput`: "move to global list when the
//! local list reaches 64, until 32 remain"; `gfget`: "refill up to 32").
//! Go's global list is unbounded (dead `g`s are never freed), so a program
//! that spawns in bursts reuses its `g`s from one burst to the next. Here
//! it keeps up to [`GFREE_GLOBAL_PER_P`] per P (a finished `Task` is about
//! 100 bytes, plus the block of its last `go` body, at most 256 bytes, as
//! Go keeps a dead `g`'s stack: at most some 5.5 MiB per P) and frees the
//! rest, so a burst larger
//! than that does not pin its memory forever. (With 64 per P, a spawner
//! whose tasks ran and finished on another P allocated almost every task
//! anew: spawn_many_local took 2.3–2.6 ms instead of 1.4–1.6 ms.)

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use gocore::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::runtime::lock;
use crate::task::Task;

/// Go: the per-P free list of dead `g`s is moved to the global list when it
/// reaches 64.
pub const GFREE_MAX: usize = 64;

/// Finished tasks the global free list keeps per P; it frees the rest (Go
/// keeps every dead `g`).
pub const GFREE_GLOBAL_PER_P: usize = 16 * 1024;

/// Go: `p.gFree`, one P's finished tasks (F1, F2).
pub(crate) struct FreeList {
    tasks: UnsafeCell<Vec<Arc<Task>>>,
    /// `tasks.len()`, for [`Stats`](crate::Stats) (read by any thread).
    len: AtomicUsize,
}

// SAFETY: `tasks` is touched only by the P's owner (F1), which the `unsafe`
// methods require of their callers; `len` is atomic. The tasks are
// `Send + Sync`.
unsafe impl Sync for FreeList {}

impl FreeList {
    pub(crate) fn new() -> Self {
        FreeList {
            tasks: UnsafeCell::new(Vec::new()),
            len: AtomicUsize::new(0),
        }
    }

    /// The number of tasks on the list (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Go: `gfput`. Keeps `task` (F2) and, when the list reaches
    /// [`GFREE_MAX`], moves half of it to `global`, which keeps at most
    /// `global_max`. Returns the tasks `global` had no room for, for the
    /// caller to take out of the registry.
    ///
    /// # Safety
    ///
    /// F1: the caller owns this list's P.
    #[must_use = "dropped tasks must leave the registry"]
    pub(crate) unsafe fn put(
        &self,
        task: Arc<Task>,
        global: &GlobalFreeList,
        global_max: usize,
    ) -> Vec<Arc<Task>> {
        // SAFETY: F1, the caller's contract.
        let tasks = unsafe { &mut *self.tasks.get() };
        tasks.push(task);
        let mut freed = Vec::new();
        if tasks.len() >= GFREE_MAX {
            let spill = tasks.split_off(GFREE_MAX / 2);
            freed = global.put(spill, global_max);
        }
        self.len.store(tasks.len(), Ordering::Relaxed);
        freed
    }

    /// Go: `gfget`. A finished task, refilling the list from `global` first
    /// when it is empty.
    ///
    /// # Safety
    ///
    /// F1: the caller owns this list's P.
    pub(crate) unsafe fn get(&self, global: &GlobalFreeList) -> Option<Arc<Task>> {
        // SAFETY: F1, the caller's contract.
        let tasks = unsafe { &mut *self.tasks.get() };
        if tasks.is_empty() {
            global.take_into(tasks);
        }
        let task = tasks.pop();
        self.len.store(tasks.len(), Ordering::Relaxed);
        task
    }

    /// Empties the list (teardown: finished tasks hold the runtime's state).
    ///
    /// # Safety
    ///
    /// F1: the caller owns this list's P (no M runs any more).
    pub(crate) unsafe fn take_all(&self) -> Vec<Arc<Task>> {
        self.len.store(0, Ordering::Relaxed);
        // SAFETY: F1, the caller's contract.
        core::mem::take(unsafe { &mut *self.tasks.get() })
    }
}

/// Go: `sched.gFree`, finished tasks that overflowed a P's list.
pub(crate) struct GlobalFreeList {
    tasks: Mutex<Vec<Arc<Task>>>,
    /// `tasks.len()`, read without the lock (an empty list costs no lock).
    len: AtomicUsize,
}

impl GlobalFreeList {
    pub(crate) fn new() -> Self {
        GlobalFreeList {
            tasks: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
        }
    }

    /// Keeps what fits of `spill` (at most `max` in all); returns the rest.
    fn put(&self, spill: Vec<Arc<Task>>, max: usize) -> Vec<Arc<Task>> {
        let mut tasks = lock(&self.tasks);
        let room = max.saturating_sub(tasks.len());
        let mut spill = spill;
        let freed = spill.split_off(room.min(spill.len()));
        tasks.extend(spill);
        self.len.store(tasks.len(), Ordering::Relaxed);
        freed
    }

    /// Keeps `task` (F2) if the list holds fewer than `max` and the
    /// runtime is not shutting down (`shutdown` is read under the list's
    /// lock, so a put either comes before the teardown empties the list or
    /// sees the flag: a kept task holds the runtime's state, and a list
    /// nobody empties would keep it alive). Returns it otherwise, for the
    /// caller to take out of the registry.
    #[must_use = "a task not kept must leave the registry"]
    pub(crate) fn put_one(
        &self,
        task: Arc<Task>,
        max: usize,
        shutdown: &AtomicBool,
    ) -> Option<Arc<Task>> {
        let mut tasks = lock(&self.tasks);
        if tasks.len() >= max || shutdown.load(Ordering::Acquire) {
            return Some(task);
        }
        tasks.push(task);
        self.len.store(tasks.len(), Ordering::Relaxed);
        None
    }

    /// A finished task (F2), for a spawn from outside the runtime.
    pub(crate) fn get(&self) -> Option<Arc<Task>> {
        if self.len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut tasks = lock(&self.tasks);
        let task = tasks.pop();
        self.len.store(tasks.len(), Ordering::Relaxed);
        task
    }

    /// The number of tasks on the list (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Moves up to half of [`GFREE_MAX`] tasks into `into`.
    fn take_into(&self, into: &mut Vec<Arc<Task>>) {
        if self.len.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut tasks = lock(&self.tasks);
        let keep = tasks.len().saturating_sub(GFREE_MAX / 2);
        into.extend(tasks.drain(keep..));
        self.len.store(tasks.len(), Ordering::Relaxed);
    }

    /// Empties the list (teardown).
    pub(crate) fn take_all(&self) -> Vec<Arc<Task>> {
        self.len.store(0, Ordering::Relaxed);
        core::mem::take(&mut *lock(&self.tasks))
    }
}
