//! Tasks (Go's `g`): a spawned future with its scheduling state, its waker,
//! and the [`JoinHandle`] that reports its result.
//!
//! # What
//!
//! A task is one heap object, `Arc<Task>`, shared by the run queues (at
//! most one queue holds it at a time), the runtime's task registry (for the
//! dump and the deadlock check) and every `Waker` made for it. What it runs,
//! its *body* (a [`Harness`] holding the future itself and the slot its
//! typed result goes to, [`JoinInner`]), lives in a block the task keeps
//! for the next spawn that reuses it (see [`crate::body`]); a
//! [`JoinHandle`] reads the result through a pointer into that block, and
//! holds the task, so the block outlives it. A spawn therefore allocates
//! nothing when a free list gives it a finished `Task` to reuse (Go's
//! `gfget`) whose block fits its body, and twice (task and block) for a
//! new task.
//!
//! ```text
//!   Arc<Task> { id, state, body ─┐, block ─┐, shared, live_wakers, … }
//!                                ▼         ▼
//!              [ Harness<F> { future: Option<F> (pinned in place), join: JoinInner<F::Output> } … ]
//!                                ▲
//!   JoinHandle<F::Output> { inner ┘, task }
//! ```
//!
//! # States
//!
//! ```text
//!            wake                     popped by an M
//!   IDLE ──────────────▶ SCHEDULED ──────────────────▶ RUNNING ──Ready──▶ DONE
//!    ▲                                                  │   │
//!    └─────────────── Pending, not woken ───────────────┘   │ woken during poll
//!                                                           ▼
//!                     SCHEDULED ◀── Pending ──────── NOTIFIED
//!
//!   RUNNING or NOTIFIED ── Pending after its own yield_now: requeued as it is (T7)
//!       └──▶ popped by an M ──▶ RUNNING
//! ```
//!
//! Go's names: IDLE is `_Gwaiting`, SCHEDULED `_Grunnable`, RUNNING
//! `_Grunning`, DONE `_Gdead`. NOTIFIED has no Go twin: a Rust future can
//! be woken while it is being polled, and must then be polled again.
//! A task that called `yield_now` with its own waker is not woken: the M
//! that polled it requeues it itself (Go's `goschedImpl`), leaving its
//! state RUNNING (or NOTIFIED) as it is (T7).
//!
//! # Invariants
//!
//! - T1. Only the thread that moved the state to SCHEDULED puts the task in
//!   a queue (or, for a yield, the M that polled it: T7), so a task is in
//!   at most one queue; only the M that pops it moves it to RUNNING and
//!   touches the future (the `UnsafeCell`).
//! - T2. `live_wakers` counts `Waker`s made for this task that exist
//!   outside the runtime's own structures (the borrowed waker a poll gets
//!   is not counted; its clones are; a waker stored in a `JoinHandle`'s
//!   slot of a task of the same runtime is subtracted while stored; a waker
//!   stored in a slot of another runtime's task, or of a blocking job,
//!   stays counted). The deadlock check relies on it.
//! - T3. A body's future never moves: it lives in the task's block
//!   (`body.rs`) from spawn to drop and is dropped in place (its `Option`
//!   set to `None`), which is what pinning it there requires.
//! - T4. Every wake writes `state` with a read-modify-write (even when the
//!   task is already queued: it writes the same value back), and the M
//!   that starts a poll moves the state to RUNNING with a swap. Both being
//!   read-modify-writes of one word, either the wake comes first in its
//!   modification order (and the poll's Acquire swap sees everything
//!   before the wake, e.g. [`JoinHandle::abort`]'s flag), or the wake sees
//!   RUNNING and marks NOTIFIED (and the task is polled again). With a
//!   plain store of RUNNING, a wake that found the task queued and a poll
//!   that missed the wake's effect could pass each other, and the task
//!   would park for good. `tests/loom_wake.rs` models it.
//! - T5. As Go's `allgs`, the runtime's registry keeps a task's allocation
//!   from its first spawn until it is freed, also while it waits DONE on a
//!   free list (Go's `gfput` and `gfget` never take `allglock`): so a spawn
//!   that reuses an allocation, and the exit that puts it on a free list,
//!   take no registry lock. Registry readers (the dump, the deadlock check,
//!   `num_goroutine`) read only atomics and skip DONE tasks; `id` and
//!   `location` are atomics because a reuse rewrites them while a reader
//!   may look.
//! - T6. A task spawned with a [`JoinHandle`] has two owners that must be
//!   done with its allocation before a spawn may reuse it: its exit (the M
//!   that ran it to the end) and its handle (which may still
//!   [`abort`](JoinHandle::abort) it or ask its id). `join_sides` counts
//!   the sides not yet done (2 at spawn, 1 for a `go` task); each side
//!   decrements it once, with AcqRel, and the side that takes it to 0
//!   decides, as `Shared::task_exit` does for a `go` task, whether the allocation goes on a free list (F2 in
//!   `gfree.rs`) or leaves the registry. The exit side leaves a task whose
//!   handle lives in the registry, DONE (T5), for the handle to finish; so
//!   a remote spawn (the handle usually dropped outside the runtime, after
//!   the task exited) reuses a `Task` allocation from the runtime's global
//!   free list instead of allocating and registering one.
//!   `tests/loom_join_sides.rs` models the race of the two sides.
//! - T7. A task that yielded with its own waker (`yield_now`, Go's
//!   `Gosched`) is requeued by the M that polled it with its state left
//!   RUNNING, or NOTIFIED if a wake came during the poll: Go's
//!   `_Grunning → _Grunnable` costs no write here. While it waits in a
//!   queue so, a wake finds RUNNING or NOTIFIED and only writes NOTIFIED
//!   (it never queues the task a second time, T1), and the poll that pops
//!   it swaps to RUNNING as from SCHEDULED, so T4 orders that wake before
//!   the poll. Writing SCHEDULED instead would be a second
//!   read-modify-write per yield (a plain store could hide a wake from the
//!   next poll, T4): about a tenth of a yield's cost. The task dump tells
//!   such a task from a running one by its wait reason ([`REASON_YIELD`],
//!   which a poll's start clears). `tests/loom_wake.rs` models it.
//! - T8. The poll that pops a task first loads its state (Acquire) and
//!   swaps it to RUNNING only when it is not RUNNING already. RUNNING is
//!   found only for a task its own yield requeued (T7) that no wake has
//!   touched since: a wake that comes after that load finds RUNNING, marks
//!   NOTIFIED, and the task is polled again (as for any wake during a
//!   poll); a wake that came before it is read by the load, which then
//!   sees NOTIFIED and swaps (T4). So a task that keeps yielding pays no
//!   read-modify-write on its state at all. `tests/loom_wake.rs` models it.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::any::Any;
use core::cell::UnsafeCell;
use core::fmt;
use core::future::Future;
use core::mem::ManuallyDrop;
use core::panic::{AssertUnwindSafe, Location};
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use gocore::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::body::{install, BodyBlock, BodyRef, NewBody};
use crate::runtime::Shared;

pub(crate) const IDLE: u8 = 0;
pub(crate) const SCHEDULED: u8 = 1;
pub(crate) const RUNNING: u8 = 2;
pub(crate) const NOTIFIED: u8 = 3;
pub(crate) const DONE: u8 = 4;

/// No wait reason recorded (the future did not say why it waits).
pub(crate) const REASON_NONE: u8 = u8::MAX;

/// `Task::registry_index` of a task no registry shard holds.
pub(crate) const NOT_REGISTERED: usize = usize::MAX;

/// What a task runs, type-erased: its future plus the plumbing that
/// reports the result (see [`Harness`]).
pub(crate) trait Body: Send + Sync {
    /// Polls the future once (unless aborted or finished); `Ready` when it
    /// is gone. Catches the future's panics and reports them to the handle.
    ///
    /// # Safety
    ///
    /// T1: the caller alone touches the future (it holds the task in
    /// RUNNING, or no M runs any more).
    unsafe fn poll(&self, cx: &mut Context<'_>) -> Poll<()>;

    /// Drops the future in place without polling it (runtime shutdown) and
    /// tells the handle, if any, that the task was cancelled (or that the
    /// future's `Drop` panicked).
    ///
    /// # Safety
    ///
    /// As [`Body::poll`].
    unsafe fn drop_future(&self);
}

/// The result side of a body, as the [`JoinHandle`] sees it.
pub(crate) trait Joinable<T>: Send + Sync {
    fn join(&self) -> &JoinInner<T>;
}

/// Go's `g`.
pub(crate) struct Task {
    /// Go's goroutine id; changes when a free list hands the allocation to
    /// a new spawn (T5), so read it with [`Task::id`].
    id: AtomicU64,
    pub(crate) state: AtomicU8,
    /// `None` once the task finished (or was cancelled).
    body: UnsafeCell<Option<BodyRef>>,
    /// The block a `go` body lives in, kept across reuses (B1 in
    /// [`crate::body`]); under T1 like `body`.
    block: UnsafeCell<Option<BodyBlock>>,
    pub(crate) shared: Arc<Shared>,
    /// Where the task was spawned (T5: read with [`Task::location`]).
    location: AtomicPtr<Location<'static>>,
    /// T2.
    pub(crate) live_wakers: AtomicUsize,
    /// The registry shard (`Shared::registry`) this allocation is in, from
    /// its first spawn until it is freed (T5).
    pub(crate) registry_shard: usize,
    /// Where the task sits in its registry shard; written only under that
    /// shard's lock. [`NOT_REGISTERED`] once removed.
    pub(crate) registry_index: AtomicUsize,
    /// Index into `gocore::wait::WaitReason` codes ([`reason_code`]), or
    /// `REASON_NONE`.
    pub(crate) wait_reason: AtomicU8,
    /// Nanoseconds since the runtime started when the task last parked.
    pub(crate) wait_since: AtomicU64,
    /// A host's background task (Go's system goroutine, e.g. a collector's
    /// mark worker): parked, it does not count for deadlock detection, even
    /// with wakers alive. Set by `spawn_body` before the task first runs.
    pub(crate) system: AtomicBool,
    /// T6: the owners (the exit, the `JoinHandle`) not yet done with this
    /// allocation. Set by `spawn_body` before the task first runs.
    join_sides: AtomicU8,
}

// SAFETY: the future is `Send`; it is only touched by the one M that holds
// the task in RUNNING state (T1); every other field is atomic or `Sync`.
unsafe impl Sync for Task {}
// SAFETY: as above; `Task` owns a `Send` future.
unsafe impl Send for Task {}

impl Task {
    /// A new task, to be put in registry shard `registry_shard`.
    pub(crate) fn new(
        id: u64,
        shared: Arc<Shared>,
        body: NewBody<'_>,
        location: &'static Location<'static>,
        registry_shard: usize,
    ) -> Arc<Task> {
        let mut block = None;
        // SAFETY: B1: a new task; nothing else sees its body or block.
        let body = unsafe { install(body, &mut block) };
        Arc::new(Task {
            id: AtomicU64::new(id),
            state: AtomicU8::new(SCHEDULED),
            body: UnsafeCell::new(Some(body)),
            block: UnsafeCell::new(block),
            shared,
            location: AtomicPtr::new(location_ptr(location)),
            live_wakers: AtomicUsize::new(0),
            registry_shard,
            registry_index: AtomicUsize::new(NOT_REGISTERED),
            wait_reason: AtomicU8::new(REASON_NONE),
            wait_since: AtomicU64::new(0),
            system: AtomicBool::new(false),
            join_sides: AtomicU8::new(1),
        })
    }

    /// T6: sets the owners that must be done with this allocation before
    /// it is reused: the exit, plus the handle when `handle`. Called by
    /// the spawn, before the task is queued.
    pub(crate) fn set_join_sides(&self, handle: bool) {
        self.join_sides
            .store(if handle { 2 } else { 1 }, Ordering::Relaxed);
    }

    /// T6: one owner (the exit, or the handle's drop) is done with the
    /// allocation. Returns true for the last one, which decides what
    /// becomes of it; its AcqRel orders the other side's last uses before.
    pub(crate) fn join_side_done(&self) -> bool {
        // The other side (if any) already decremented: no read-modify-write
        // needed, and a `go` task never pays one. Acquire pairs with that
        // side's release, as the decrement below does.
        if self.join_sides.load(Ordering::Acquire) == 1 {
            return true;
        }
        self.join_sides.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// Go's goroutine id.
    pub(crate) fn id(&self) -> u64 {
        self.id.load(Ordering::Relaxed)
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        // SAFETY: every value stored comes from `location_ptr` of a
        // `&'static Location`.
        unsafe { &*self.location.load(Ordering::Relaxed) }
    }

    /// Reuses a finished task's allocation for a new future (Go's `gfget`
    /// of a dead `g`), leaving it in its registry shard (T5).
    ///
    /// # Safety
    ///
    /// F2 (`gfree.rs`): the caller took `task` off a free list, so it is
    /// DONE, has no body, and besides the caller only its registry shard
    /// holds it, whose readers touch only its atomics (T5).
    pub(crate) unsafe fn reuse(
        task: &Task,
        id: u64,
        body: NewBody<'_>,
        location: &'static Location<'static>,
    ) {
        debug_assert_eq!(task.state.load(Ordering::Relaxed), DONE);
        task.id.store(id, Ordering::Relaxed);
        task.location
            .store(location_ptr(location), Ordering::Relaxed);
        task.live_wakers.store(0, Ordering::Relaxed);
        task.wait_reason.store(REASON_NONE, Ordering::Relaxed);
        task.wait_since.store(0, Ordering::Relaxed);
        // SAFETY: F2, the caller's contract: no other thread touches the
        // body slot or the block of a DONE task on a free list (T1, T5),
        // and a DONE task has no body (B1).
        unsafe {
            let body = install(body, &mut *task.block.get());
            *task.body.get() = Some(body);
        }
        // Release: a registry reader that sees the task alive sees its id.
        task.state.store(SCHEDULED, Ordering::Release);
    }

    /// Polls the future once. `Ready` means it finished (or there was none).
    ///
    /// The future's own panics are caught by its [`Harness`]; this catches
    /// the rest (a panicking waker of the awaiting handle, woken when the
    /// result is stored) so that a worker never unwinds.
    pub(crate) fn poll(self: &Arc<Task>) -> Poll<()> {
        // SAFETY: T1: the caller moved the state to RUNNING, so this thread
        // alone touches the body slot until it moves the state on.
        let slot = unsafe { &mut *self.body.get() };
        let Some(body) = slot.as_ref() else {
            return Poll::Ready(());
        };
        let waker = borrowed_waker(self);
        let mut cx = Context::from_waker(&waker);
        // SAFETY: T1, as above; B1: the block holds the body until it is
        // released below.
        let polled =
            std::panic::catch_unwind(AssertUnwindSafe(|| unsafe { body.get().poll(&mut cx) }));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) | Err(_) => {
                // The future is gone; the handle may still hold the body.
                // SAFETY: T1, as above.
                unsafe { self.release_body() };
                Poll::Ready(())
            }
        }
    }

    /// At the task's finish: drops a `go` body (a panic of its `Drop` is
    /// caught: the body counts as gone) and frees the block unless it is
    /// kept for the next spawn. A joined body stays for its handle (B3).
    ///
    /// # Safety
    ///
    /// T1: the caller alone touches the body and the block.
    unsafe fn release_body(&self) {
        // SAFETY: T1, the caller's contract.
        let slot = unsafe { &mut *self.body.get() };
        if slot.as_ref().is_some_and(BodyRef::is_joined) {
            return;
        }
        // SAFETY: T1, as above.
        unsafe { self.drop_body() };
    }

    /// The last owner of T6, before the task goes on a free list: drops a
    /// joined body kept for its handle (B3), so that the task has none
    /// (F2 in `gfree.rs`).
    ///
    /// # Safety
    ///
    /// T6: the caller is the task's last owner (its exit and its handle
    /// are done), and besides it only the registry holds the task (F2), so
    /// it alone touches the body and the block.
    pub(crate) unsafe fn release_kept_body(&self) {
        // SAFETY: the caller's contract.
        unsafe { self.drop_body() };
    }

    /// Drops the body, if any, catching a panic of its `Drop`, and frees
    /// the block unless it is kept for the next spawn.
    ///
    /// # Safety
    ///
    /// The caller alone touches the body and the block, and no handle
    /// points at a joined body any more (B3).
    unsafe fn drop_body(&self) {
        // SAFETY: the caller's contract.
        let body = unsafe { (*self.body.get()).take() };
        if let Some(body) = body {
            // SAFETY: B1: the body is live in its block (if it has one),
            // and taken out of the slot, so never used again.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(move || unsafe { body.release() }));
        }
        // SAFETY: T1; the block holds no body any more (B1).
        let block = unsafe { &mut *self.block.get() };
        if block.as_ref().is_some_and(|b| !b.keep()) {
            *block = None;
        }
    }

    /// Drops the future without polling it (runtime shutdown).
    ///
    /// Only called once no M runs (all workers joined), so T1 holds.
    pub(crate) fn cancel(self: &Arc<Task>) {
        if self.state.swap(DONE, Ordering::AcqRel) == DONE {
            return;
        }
        // SAFETY: T1: no M runs any more (shutdown joined them), and the
        // swap above made this thread the only one past the DONE check.
        if let Some(b) = unsafe { &*self.body.get() } {
            // SAFETY: T1, as above; B1: the body is live.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| unsafe { b.get().drop_future() }));
        }
        // SAFETY: T1, as above.
        unsafe { self.release_body() };
    }

    /// Go's `ready`: makes the task runnable if it was parked; if it is
    /// being polled, marks it to be polled again.
    pub(crate) fn wake_by_ref(self: &Arc<Task>) {
        if self.mark_woken() {
            self.shared.ready(self.clone());
        }
    }

    /// The state half of a wake (T4): returns whether this wake moved the
    /// task from IDLE to SCHEDULED, making the caller the one to queue it
    /// (T1).
    fn mark_woken(&self) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let next = match state {
                IDLE => SCHEDULED,
                RUNNING => NOTIFIED,
                // Already queued or marked: still write the state (T4), so
                // that the poll to come sees what preceded this wake.
                SCHEDULED | NOTIFIED => state,
                _ => return false,
            };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                // T1: only the IDLE → SCHEDULED transition queues it.
                Ok(_) => return state == IDLE,
                Err(actual) => state = actual,
            }
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // A body still here (a task dropped without finishing or being
        // cancelled) goes before its block (B1); `&mut self`: T1 holds.
        if let Some(body) = self.body.get_mut().take() {
            // SAFETY: B1: the body is live in its block, which the fields'
            // drop frees only after this.
            unsafe { body.release() };
        }
    }
}

/// A `&'static Location` as the pointer `Task::location` stores (it is
/// only ever read back as a shared reference).
fn location_ptr(location: &'static Location<'static>) -> *mut Location<'static> {
    core::ptr::from_ref(location).cast_mut()
}

// ---- the waker ----------------------------------------------------------

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// A waker for a poll: borrows the caller's reference (not counted, T2).
fn borrowed_waker(task: &Arc<Task>) -> ManuallyDrop<Waker> {
    let ptr = Arc::as_ptr(task).cast::<()>();
    // SAFETY: the vtable's functions expect a pointer from `Arc::<Task>::
    // as_ptr`/`into_raw`; ManuallyDrop means the borrowed reference is never
    // released through this waker, and the waker does not outlive the poll
    // (clones made from it take their own reference).
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(ptr, &VTABLE)) })
}

/// Whether `waker` is one of this crate's task wakers, and for which task.
pub(crate) fn task_of(waker: &Waker) -> Option<*const Task> {
    if core::ptr::eq(waker.vtable(), &VTABLE) {
        Some(waker.data().cast::<Task>())
    } else {
        None
    }
}

unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
    let task = ptr.cast::<Task>();
    // SAFETY: `ptr` came from an `Arc<Task>` that the waker being cloned
    // keeps alive; incrementing gives the clone its own reference.
    unsafe { Arc::increment_strong_count(task) };
    // SAFETY: the reference taken above keeps the task alive.
    unsafe { &*task }
        .live_wakers
        .fetch_add(1, Ordering::Relaxed);
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    // SAFETY: an owned waker holds one counted reference (made by
    // `clone_waker`); waking by value consumes it.
    let task = unsafe { Arc::from_raw(ptr.cast::<Task>()) };
    let queue_it = task.mark_woken();
    // Release: the state written above happens before a deadlock check that
    // reads 0 here, and that check then finds the task not IDLE.
    task.live_wakers.fetch_sub(1, Ordering::Release);
    if queue_it {
        // The waker's own reference goes to the queue (no clone, no drop).
        crate::runtime::ready_owned(task);
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker keeps the task alive for this call.
    let task = ManuallyDrop::new(unsafe { Arc::from_raw(ptr.cast::<Task>()) });
    task.wake_by_ref();
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: an owned waker holds one counted reference (made by
    // `clone_waker`); dropping releases it.
    let task = unsafe { Arc::from_raw(ptr.cast::<Task>()) };
    task.live_wakers.fetch_sub(1, Ordering::Release);
}

// ---- results ------------------------------------------------------------

/// Why a task produced no value: it panicked or was aborted.
///
/// It is `Send + Sync` (as `std::io::Error` and tokio's `JoinError`), so it
/// converts into `Box<dyn Error + Send + Sync>` and error types built on it.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let err = rt
///     .block_on(async {
///         gosched::spawn(async { panic!("boom") }).await.unwrap_err()
///     })
///     .unwrap();
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), "task panicked: boom");
/// ```
pub struct JoinError {
    kind: JoinErrorKind,
}

enum JoinErrorKind {
    /// The payload is `Send` but need not be `Sync`: a mutex makes the
    /// error `Sync` (`&JoinError` reaches the payload only under it, to read
    /// the message), without an `unsafe impl`.
    Panic(Mutex<Box<dyn Any + Send>>),
    Cancelled,
}

impl JoinError {
    /// The task panicked; the payload is in [`into_panic`](Self::into_panic).
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, JoinErrorKind::Panic(_))
    }

    /// The task was aborted with [`JoinHandle::abort`], or its runtime shut
    /// down (was dropped) before the task finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, JoinErrorKind::Cancelled)
    }

    /// The panic payload, to resume it with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// If the task was cancelled, not panicked.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        match self.kind {
            JoinErrorKind::Panic(p) => p.into_inner().unwrap_or_else(|e| e.into_inner()),
            JoinErrorKind::Cancelled => {
                panic!("gosched: JoinError::into_panic on a cancelled task")
            }
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            JoinErrorKind::Cancelled => f.write_str("task was cancelled"),
            JoinErrorKind::Panic(p) => {
                // The message is copied out, so that no user code (the
                // formatter's writer) runs under the lock.
                let message = {
                    let p = p.lock().unwrap_or_else(|e| e.into_inner());
                    match p.downcast_ref::<&'static str>() {
                        Some(m) => Some(alloc::borrow::Cow::Borrowed(*m)),
                        None => p
                            .downcast_ref::<alloc::string::String>()
                            .map(|m| alloc::borrow::Cow::Owned(m.clone())),
                    }
                };
                match message {
                    Some(m) => write!(f, "task panicked: {m}"),
                    None => f.write_str("task panicked"),
                }
            }
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinError({self})")
    }
}

impl core::error::Error for JoinError {}

/// The state a task (or a blocking job) shares with its [`JoinHandle`].
pub(crate) struct JoinInner<T> {
    slot: Mutex<JoinSlot<T>>,
    pub(crate) aborted: AtomicBool,
    /// No handle exists (a [`go`](crate::go) task): a result is dropped
    /// without taking the lock.
    detached: bool,
}

struct JoinSlot<T> {
    result: Option<Result<T, JoinError>>,
    /// Taken by the handle (or never to be read: the handle was dropped).
    closed: bool,
    /// The awaiting handle's waker, and whether it was discounted from its
    /// T2 counter when stored ([`internal_waker_stored`]).
    waker: Option<(Waker, bool)>,
}

impl<T> JoinInner<T> {
    /// A slot awaiting a result; `detached` when no handle will ever read
    /// it (a [`go`](crate::go) task).
    pub(crate) fn new(detached: bool) -> Self {
        JoinInner {
            slot: Mutex::new(JoinSlot {
                result: None,
                closed: detached,
                waker: None,
            }),
            aborted: AtomicBool::new(false),
            detached,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JoinSlot<T>> {
        // User code that runs under the lock (a foreign waker's `clone` in
        // `poll_result`) may panic and poison it; every update leaves the
        // slot consistent before any such call, so poisoning carries no
        // meaning.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores the result and wakes the awaiting handle. The value is dropped
    /// (outside the lock) if the handle is gone.
    pub(crate) fn complete(&self, result: Result<T, JoinError>) {
        if self.detached {
            drop(result);
            return;
        }
        let mut slot = self.lock();
        if slot.closed {
            drop(slot);
            drop(result);
            return;
        }
        slot.result = Some(result);
        let waker = slot.waker.take();
        drop(slot);
        if let Some((w, inside)) = waker {
            internal_waker_released(&w, inside);
            w.wake();
        }
    }

    pub(crate) fn complete_panic(&self, payload: Box<dyn Any + Send>) {
        self.complete(Err(JoinError {
            kind: JoinErrorKind::Panic(Mutex::new(payload)),
        }));
    }

    pub(crate) fn complete_cancelled(&self) {
        self.complete(Err(JoinError {
            kind: JoinErrorKind::Cancelled,
        }));
    }

    /// `runtime` is the awaited task's runtime ([`Shared::id`]), `None`
    /// for a blocking job (whose waker always counts as outside: while the
    /// job is pending the runtime is not idle anyway).
    fn poll_result(
        &self,
        cx: &mut Context<'_>,
        runtime: Option<usize>,
    ) -> Poll<Result<T, JoinError>> {
        let mut slot = self.lock();
        if let Some(r) = slot.result.take() {
            slot.closed = true;
            let old = slot.waker.take();
            drop(slot);
            if let Some((w, inside)) = old {
                internal_waker_released(&w, inside);
            }
            return Poll::Ready(r);
        }
        gocore::wait::set(gocore::wait::WaitReason::ChanReceive);
        if !slot
            .waker
            .as_ref()
            .is_some_and(|(w, _)| w.will_wake(cx.waker()))
        {
            let new = cx.waker().clone();
            let inside = runtime.is_some_and(|r| internal_waker_stored(&new, r));
            let old = slot.waker.replace((new, inside));
            drop(slot);
            if let Some((w, inside)) = old {
                internal_waker_released(&w, inside);
            }
        }
        Poll::Pending
    }

    fn close(&self) -> Option<Result<T, JoinError>> {
        let mut slot = self.lock();
        slot.closed = true;
        let result = slot.result.take();
        let old = slot.waker.take();
        drop(slot);
        if let Some((w, inside)) = old {
            internal_waker_released(&w, inside);
        }
        result
    }
}

/// The waker a join slot of runtime `runtime` ([`Shared::id`]) is about
/// to hold: if it belongs to that runtime (a waker of one of its tasks or
/// of one of its `block_on` calls), it no longer counts as held outside
/// (T2) and this returns `true`. A waker of another runtime, or of no
/// runtime, still counts: the task it wakes may be declared deadlocked
/// only by its own runtime, which cannot see this slot's task.
fn internal_waker_stored(w: &Waker, runtime: usize) -> bool {
    if let Some(counter) = runtime_waker_counter(w, runtime) {
        counter.fetch_sub(1, Ordering::Release);
        true
    } else {
        false
    }
}

/// The T2 counter of `w` if it is a waker of runtime `runtime`.
fn runtime_waker_counter(w: &Waker, runtime: usize) -> Option<&AtomicUsize> {
    if let Some(task) = task_of(w) {
        // SAFETY: `w` holds a counted reference to the task, alive while
        // `w` is borrowed.
        let task = unsafe { &*task };
        (task.shared.id() == runtime).then_some(&task.live_wakers)
    } else {
        crate::runtime::main_waker_of(w, Some(runtime))
    }
}

impl<T: Send> Joinable<T> for JoinInner<T> {
    fn join(&self) -> &JoinInner<T> {
        self
    }
}

/// The reverse of [`internal_waker_stored`], before the waker leaves the
/// slot, for a waker it discounted (`inside`).
fn internal_waker_released(w: &Waker, inside: bool) {
    if !inside {
        return;
    }
    if let Some(task) = task_of(w) {
        // SAFETY: `w` holds a counted reference to the task, alive here.
        unsafe { &*task }
            .live_wakers
            .fetch_add(1, Ordering::Relaxed);
    } else if let Some(main) = crate::runtime::main_waker_of(w, None) {
        main.fetch_add(1, Ordering::Relaxed);
    }
}

/// A task's body: the user's future plus the plumbing that delivers its
/// result (or panic) to the [`JoinHandle`] and honours
/// [`JoinHandle::abort`]. Lives in its task's block (T3).
pub(crate) struct Harness<F: Future> {
    /// T1: touched only by the thread that polls (or cancels) the task.
    future: UnsafeCell<Option<F>>,
    join: JoinInner<F::Output>,
}

// SAFETY: the future (`Send`) is touched by one thread at a time (T1);
// `join` is `Sync` for a `Send` output (its state is behind a mutex).
unsafe impl<F: Future + Send> Sync for Harness<F> where F::Output: Send {}

impl<F: Future> Harness<F> {
    /// A body for `future`; `detached` when no handle will read the result.
    pub(crate) fn new(future: F, detached: bool) -> Self {
        Harness {
            future: UnsafeCell::new(Some(future)),
            join: JoinInner::new(detached),
        }
    }

    /// Drops the future in place (T3), reporting a panic of its `Drop`.
    fn drop_in_place(slot: &mut Option<F>) -> Result<(), Box<dyn Any + Send>> {
        // An assignment drops the old value where it is; if that `Drop`
        // panics, the place still ends up `None`.
        std::panic::catch_unwind(AssertUnwindSafe(|| *slot = None))
    }
}

impl<F> Body for Harness<F>
where
    F: Future + Send,
    F::Output: Send,
{
    unsafe fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: T1, the caller's contract.
        let slot = unsafe { &mut *self.future.get() };
        let join = &self.join;
        let Some(fut) = slot.as_mut() else {
            return Poll::Ready(());
        };
        if join.aborted.load(Ordering::Acquire) {
            match Self::drop_in_place(slot) {
                Ok(()) => join.complete_cancelled(),
                Err(p) => join.complete_panic(p),
            }
            return Poll::Ready(());
        }
        // SAFETY: T3: the future stays in this block until it is
        // dropped in place.
        let fut = unsafe { Pin::new_unchecked(fut) };
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx)));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => {
                // Drop the finished future before reporting, so that what it
                // held is released when the handle sees the value.
                match Self::drop_in_place(slot) {
                    Ok(()) => join.complete(Ok(v)),
                    Err(p) => join.complete_panic(p),
                }
                Poll::Ready(())
            }
            Err(payload) => {
                let _ = Self::drop_in_place(slot);
                join.complete_panic(payload);
                Poll::Ready(())
            }
        }
    }

    unsafe fn drop_future(&self) {
        // SAFETY: T1, the caller's contract.
        let slot = unsafe { &mut *self.future.get() };
        if slot.is_none() {
            // Finished: the handle has its result already.
            return;
        }
        match Self::drop_in_place(slot) {
            Ok(()) => self.join.complete_cancelled(),
            Err(p) => self.join.complete_panic(p),
        }
    }
}

impl<F> Joinable<F::Output> for Harness<F>
where
    F: Future + Send,
    F::Output: Send,
{
    fn join(&self) -> &JoinInner<F::Output> {
        &self.join
    }
}

/// An owned permission to await a spawned task's result (or a
/// [`spawn_blocking`](crate::spawn_blocking) job's).
///
/// Awaiting it gives `Ok(value)`, or `Err(JoinError)` when the task panicked
/// or was aborted, or its runtime was dropped before it finished; polling it again after that panics, as the result is
/// gone. Dropping it detaches the task, which keeps running (Go's
/// goroutines have no handle at all; see [`go`](crate::go)).
///
/// ```
/// let rt = gosched::Runtime::builder().procs(2).build().unwrap();
/// let sum = rt.block_on(async {
///     let h = gosched::spawn(async { 40 + 2 });
///     h.await.unwrap()
/// });
/// assert_eq!(sum.unwrap(), 42);
/// ```
#[must_use = "dropping a JoinHandle detaches the task; use `gosched::go` for fire-and-forget"]
pub struct JoinHandle<T> {
    pub(crate) inner: JoinRef<T>,
    pub(crate) task: Option<Arc<Task>>,
    /// A poll returned the result: the slot is closed and holds no waker,
    /// so dropping the handle need not lock it again.
    pub(crate) taken: bool,
}

/// Where a [`JoinHandle`] reads its result.
pub(crate) enum JoinRef<T> {
    /// A blocking job's slot.
    Shared(Arc<dyn Joinable<T>>),
    /// The body of the task the handle holds, in the task's block (B1, B3
    /// in `body.rs`: it lives until the handle lets the task go).
    InTask(NonNull<dyn Joinable<T>>),
}

// SAFETY: `InTask` points at a body that is `Send + Sync` (`Joinable`'s
// bounds), kept alive by the task the handle holds (B3), as `Shared`'s
// `Arc` keeps its own; the handle only takes shared references to it.
unsafe impl<T: Send> Send for JoinRef<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for JoinRef<T> {}

impl<T> JoinHandle<T> {
    /// The result slot.
    fn join(&self) -> &JoinInner<T> {
        match &self.inner {
            JoinRef::Shared(j) => j.join(),
            // SAFETY: B3: the body lives while `self.task` holds the task,
            // and nothing takes a mutable reference to it meanwhile.
            JoinRef::InTask(p) => unsafe { p.as_ref() }.join(),
        }
    }

    /// Asks the task to stop: its future is dropped before its next poll
    /// (at once if it is parked) and the handle reports
    /// [`JoinError::is_cancelled`]. A task already finished keeps its result.
    /// A blocking job is cancelled only if it has not started.
    ///
    /// ```
    /// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
    /// rt.block_on(async {
    ///     let h = gosched::spawn(std::future::pending::<()>());
    ///     h.abort();
    ///     assert!(h.await.unwrap_err().is_cancelled());
    /// })
    /// .unwrap();
    /// ```
    pub fn abort(&self) {
        self.join().aborted.store(true, Ordering::Release);
        if let Some(task) = &self.task {
            task.wake_by_ref();
        }
    }

    /// Whether the task is done: it finished, panicked, or was aborted
    /// (or its runtime shut down) and its future dropped. Stays true after
    /// the handle returned the result (as tokio's `is_finished`).
    pub fn is_finished(&self) -> bool {
        self.taken || self.join().lock().result.is_some()
    }

    /// The task's id (Go's goroutine id, as in the task dump), or `None` for
    /// a blocking job.
    pub fn id(&self) -> Option<u64> {
        self.task.as_ref().map(|t| t.id())
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;
    /// # Panics
    ///
    /// When polled again after it returned the result.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.taken,
            "gosched: JoinHandle polled after it returned its result"
        );
        let runtime = this.task.as_ref().map(|t| t.shared.id());
        let polled = this.join().poll_result(cx, runtime);
        this.taken = polled.is_ready();
        polled
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // T6: the handle's side is done with the task's allocation once it
        // no longer reads the body, also when the result's `Drop` below
        // panics.
        let task = self.task.take();
        let _done = gocore::scopeguard::guard(task, |task| {
            if let Some(task) = task {
                Shared::join_handle_dropped(task);
            }
        });
        if !self.taken {
            // Take an unread result out of the slot (closing it), then
            // drop it outside the slot's lock (it runs user Drops).
            let result = self.join().close();
            drop(result);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}

/// Wait reasons as small codes, for an atomic field.
pub(crate) fn reason_code(r: gocore::wait::WaitReason) -> u8 {
    REASONS
        .iter()
        .position(|x| *x == r)
        .map_or(REASON_NONE, |i| i as u8)
}

/// The wait reason of a task queued by its own yield (T7): `Preempted`,
/// Go's `waitReasonPreempted`.
pub(crate) const REASON_YIELD: u8 = 10;
const _: () = assert!(matches!(
    REASONS[REASON_YIELD as usize],
    gocore::wait::WaitReason::Preempted
));

pub(crate) fn reason_from_code(code: u8) -> Option<gocore::wait::WaitReason> {
    REASONS.get(code as usize).copied()
}

const REASONS: [gocore::wait::WaitReason; 11] = {
    use gocore::wait::WaitReason as W;
    [
        W::ChanReceive,
        W::ChanSend,
        W::ChanReceiveNilChan,
        W::ChanSendNilChan,
        W::Select,
        W::SelectNoCases,
        W::Sleep,
        W::IoWait,
        W::Semacquire,
        W::SyncCondWait,
        W::Preempted,
    ]
};
