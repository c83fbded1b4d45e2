//! Grey objects and marking (Go: `mgcwork.go`, `mgcmark.go`).
//!
//! # Colours
//!
//! As in Go there is no grey bit. An object is
//!
//! - **white** while its mark bit is clear;
//! - **grey** once its mark bit is set and it sits in a work buffer, waiting
//!   to be scanned;
//! - **black** once it is marked and scanned (or marked and pointer-free:
//!   such objects are never queued, they go straight to black).
//!
//! *Shading* (Go's `greyobject`) sets the mark bit and, if the bit was clear
//! and the object has pointers, queues it. Scanning (Go's `scanobject`) pops
//! a grey object and shades every pointer it holds.
//!
//! # Work buffers
//!
//! Grey objects wait in 2 KiB [`WorkBuf`]s (Go's `workbuf`, `_WorkbufSize`):
//! a count and an array of object addresses. [`GcWork`] is Go's per-P
//! `gcWork`: two buffers the owner pushes to and pops from without touching
//! shared state, and — behind them — the global lists of full and empty
//! buffers (`work.full`, `work.empty`). When both local buffers are full a
//! full one moves to the global list; when both are empty one is taken from
//! it. Without mark workers the global list is the `Vec`s inside `GcWork`;
//! with them, buffers also move whole to and from the [`World`]'s shared
//! list, which the workers and the owning thread take from.
//!
//! # Mark workers
//!
//! A worker ([`run_worker`]) is Go's `gcBgMarkWorker` running `gcDrain`: it
//! takes a full buffer from the shared list, scans its objects with a
//! worker [`Tracer`] that only shades (sets atomic mark bits and queues in
//! the worker's own `GcWork`), hands surplus full buffers back every
//! [`PUBLISH_EVERY`] objects so idle workers and assists can take them
//! (when it has none and the shared list is empty, part of its local work:
//! Go's `gcWork.balance`), and returns its
//! buffers when it runs dry or the owning thread stops the world. Workers
//! never read root counts, borrow flags or weak slots, and never run
//! `Drop`. A panic in a `Trace` on a worker is caught; the object stays
//! grey in a buffer of its own for the owning thread to rescan, which
//! re-raises the panic at its next safe point.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ptr::NonNull;

use crate::span::Header;
#[cfg(feature = "gosched")]
use crate::world::TryTake;
#[cfg(feature = "std")]
use crate::{
    stats::CycleStats,
    trace::{TraceOp, Tracer},
    world::{WorkerMode, World},
};

/// Go's `_WorkbufSize`.
pub(crate) const WORKBUF_BYTES: usize = 2048;

/// Object slots per buffer: what fits in 2 KiB after the count.
pub(crate) const WORKBUF_OBJS: usize =
    (WORKBUF_BYTES - core::mem::size_of::<usize>()) / core::mem::size_of::<usize>();

/// A 2 KiB buffer of grey objects (Go's `workbuf`).
#[repr(C)]
pub(crate) struct WorkBuf {
    nobj: usize,
    obj: [*const Header; WORKBUF_OBJS],
}

const _: () = assert!(core::mem::size_of::<WorkBuf>() == WORKBUF_BYTES);

// SAFETY: a work buffer holds addresses of grey objects and nothing else; it
// moves between the owning thread and mark workers only through the
// `World`'s mutex, and the objects behind the addresses are read only under
// the marking protocol (see `world` W1-W2 and `cell_lock`), so sending the
// addresses themselves is sound.
unsafe impl Send for WorkBuf {}

impl WorkBuf {
    fn new() -> Box<WorkBuf> {
        Box::new(WorkBuf {
            nobj: 0,
            obj: [core::ptr::null(); WORKBUF_OBJS],
        })
    }

    fn is_full(&self) -> bool {
        self.nobj == WORKBUF_OBJS
    }

    /// A buffer holding just `object`.
    #[cfg(feature = "std")]
    pub(crate) fn with_one(object: NonNull<Header>) -> Box<WorkBuf> {
        let mut buf = WorkBuf::new();
        buf.obj[0] = object.as_ptr();
        buf.nobj = 1;
        buf
    }

    fn objects(&self) -> &[*const Header] {
        &self.obj[..self.nobj]
    }
}

/// The marker's grey-object queue (Go's `gcWork` plus the global lists).
///
/// The lists hold `Box`es on purpose: a 2 KiB buffer moves between them by
/// pointer, as Go's `workbuf`s do, never by copying.
#[allow(clippy::vec_box)]
pub(crate) struct GcWork {
    /// Go's `wbuf1`: pushes and pops go here first.
    wbuf1: Box<WorkBuf>,
    /// Go's `wbuf2`: swapped in when `wbuf1` fills or empties.
    wbuf2: Box<WorkBuf>,
    /// Go's `work.full`.
    full: Vec<Box<WorkBuf>>,
    /// Go's `work.empty`.
    empty: Vec<Box<WorkBuf>>,
}

impl GcWork {
    pub(crate) fn new() -> GcWork {
        GcWork {
            wbuf1: WorkBuf::new(),
            wbuf2: WorkBuf::new(),
            full: Vec::new(),
            empty: Vec::new(),
        }
    }

    /// Go's `gcWork.put`.
    pub(crate) fn put(&mut self, object: NonNull<Header>) {
        if self.wbuf1.is_full() {
            core::mem::swap(&mut self.wbuf1, &mut self.wbuf2);
            if self.wbuf1.is_full() {
                let fresh = self.empty.pop().unwrap_or_else(WorkBuf::new);
                let full = core::mem::replace(&mut self.wbuf1, fresh);
                self.full.push(full);
            }
        }
        let buf = &mut self.wbuf1;
        buf.obj[buf.nobj] = object.as_ptr();
        buf.nobj += 1;
    }

    /// Go's `gcWork.tryGet`.
    pub(crate) fn try_get(&mut self) -> Option<NonNull<Header>> {
        if self.wbuf1.nobj == 0 {
            core::mem::swap(&mut self.wbuf1, &mut self.wbuf2);
            if self.wbuf1.nobj == 0 {
                let full = self.full.pop()?;
                let drained = core::mem::replace(&mut self.wbuf1, full);
                self.empty.push(drained);
            }
        }
        let buf = &mut self.wbuf1;
        buf.nobj -= 1;
        NonNull::new(buf.obj[buf.nobj].cast_mut())
    }

    /// Adds a buffer taken from the shared list (it is drained next).
    #[cfg(feature = "std")]
    pub(crate) fn put_buf(&mut self, buf: Box<WorkBuf>) {
        if buf.nobj > 0 {
            self.full.push(buf);
        } else {
            self.empty.push(buf);
        }
    }

    /// Takes the full buffers waiting behind the two local ones (for the
    /// shared list), keeping the local ones.
    #[allow(clippy::vec_box)] // buffers move by pointer, as in `GcWork`
    #[cfg(feature = "std")]
    pub(crate) fn take_full(&mut self) -> Vec<Box<WorkBuf>> {
        core::mem::take(&mut self.full)
    }

    /// Go's `gcWork.balance`, for when the shared list is empty: gives up
    /// `wbuf2` if it holds objects, else the older half of `wbuf1` if it
    /// holds more than 4 (Go's `handoff`: the older objects, nearer the
    /// roots, lead to more work), keeping the rest. `None` when there is
    /// too little to share.
    #[cfg(feature = "std")]
    pub(crate) fn balance(&mut self) -> Option<Box<WorkBuf>> {
        if self.wbuf2.nobj != 0 {
            let fresh = self.empty.pop().unwrap_or_else(WorkBuf::new);
            return Some(core::mem::replace(&mut self.wbuf2, fresh));
        }
        if self.wbuf1.nobj <= 4 {
            return None;
        }
        // The newer half moves to a fresh local buffer; `wbuf1`, with the
        // older half, is shared.
        let mut newer = self.empty.pop().unwrap_or_else(WorkBuf::new);
        let keep = self.wbuf1.nobj / 2;
        let split = self.wbuf1.nobj - keep;
        newer.obj[..keep].copy_from_slice(&self.wbuf1.obj[split..self.wbuf1.nobj]);
        newer.nobj = keep;
        self.wbuf1.nobj = split;
        Some(core::mem::replace(&mut self.wbuf1, newer))
    }

    /// Takes every non-empty buffer, local ones included (Go's
    /// `gcWork.dispose`): the queue is empty afterwards.
    #[allow(clippy::vec_box)] // as above
    #[cfg(feature = "std")]
    pub(crate) fn take_all(&mut self) -> Vec<Box<WorkBuf>> {
        let mut bufs = core::mem::take(&mut self.full);
        for local in [&mut self.wbuf1, &mut self.wbuf2] {
            if local.nobj > 0 {
                let fresh = self.empty.pop().unwrap_or_else(WorkBuf::new);
                bufs.push(core::mem::replace(local, fresh));
            }
        }
        bufs
    }

    /// Whether no object is queued.
    #[cfg(any(test, feature = "std"))]
    pub(crate) fn is_empty(&self) -> bool {
        self.wbuf1.nobj == 0 && self.wbuf2.nobj == 0 && self.full.is_empty()
    }

    /// Every queued object (for the checker).
    pub(crate) fn iter(&self) -> impl Iterator<Item = *const Header> + '_ {
        self.wbuf1
            .objects()
            .iter()
            .chain(self.wbuf2.objects())
            .chain(self.full.iter().flat_map(|buf| buf.objects()))
            .copied()
    }
}

/// Full buffers a worker hands back, and scan credit it flushes, after
/// this many objects (Go's `gcDrain` balances work through `work.full` and
/// calls `gcFlushBgCredit` every so often too): small enough that a second
/// worker or an assist finds work soon after the shared list runs dry and
/// a parked assist gets credit soon, large enough that the shared lock is
/// rare (taken at most once per 64 objects: to publish, or to wake a
/// parked assist).
#[cfg(feature = "std")]
pub(crate) const PUBLISH_EVERY: u32 = 64;

/// A mark worker's own state: its grey objects and counters.
#[cfg(feature = "std")]
pub(crate) struct WorkerMark {
    pub(crate) work: GcWork,
    pub(crate) cycle: CycleStats,
}

/// Scan work between two checks of whether a fractional or idle worker
/// should stop (Go's `drainCheckThreshold`).
#[cfg(feature = "std")]
pub(crate) const DRAIN_CHECK_WORK: u64 = 100_000;

/// The body of mark worker thread `index`; returns when the heap exits.
/// Each stretch runs in the mode the cycle's plan gives the thread (see
/// `world`): a dedicated worker drains until the work runs out, the
/// fractional one until its share of the cycle passes 1.2 × its goal.
#[cfg(feature = "std")]
pub(crate) fn run_worker(world: &World<Box<WorkBuf>>, index: usize) {
    let mut marker = WorkerMark {
        work: GcWork::new(),
        cycle: CycleStats::default(),
    };
    while let Some((buf, mode, budget)) = world.worker_take_as(index) {
        let began = std::time::Instant::now();
        drain(world, &mut marker, buf, mode, None, began, || {
            budget.is_some_and(|budget| budget.should_exit(began))
        });
    }
}

/// An idle worker's stretch on a scheduler's idle processor (Go's
/// `gcDrain` with `gcDrainIdle`): takes a buffer if an idle worker may
/// mark now and drains until the work runs out, the world stops or
/// `should_stop` (polled every [`PUBLISH_EVERY`] objects and every
/// [`DRAIN_CHECK_WORK`] units) says the processor has other work. Returns whether it marked.
#[cfg(feature = "gosched")]
pub(crate) fn mark_idle(
    world: &World<Box<WorkBuf>>,
    should_stop: &mut dyn FnMut() -> bool,
) -> bool {
    let Some(buf) = world.idle_take() else {
        return false;
    };
    let mut marker = WorkerMark {
        work: GcWork::new(),
        cycle: CycleStats::default(),
    };
    drain(
        world,
        &mut marker,
        buf,
        WorkerMode::Idle,
        None,
        std::time::Instant::now(),
        should_stop,
    );
    true
}

/// Go's background mark worker on a scheduler P, run by the P's
/// `schedule` before its run queues while a cycle marks (feature
/// `gosched`; Go's `findRunnableGCWorker` and `gcBgMarkWorker`): takes
/// work in the mode [`World::p_take`] gives P `p` and drains it.
///
/// - A *dedicated* worker owns the P until the work runs out or the world
///   stops (mark termination, the phase's end): it hands back nothing
///   earlier, taking buffer after buffer. After one time slice (Go's
///   sysmon preempting the worker's first `gcDrain`) it moves the tasks
///   queued on its P to the global queue for the other Ps, then goes on
///   (Go's `runqdrain`); it fires its P's due timers as it goes.
/// - The *fractional* worker stops once its P's share of the cycle passes
///   1.2 × the goal (Go's `pollFractionalWorkerExit`) or after one time
///   slice (Go's `gcDrainUntilPreempt`).
///
/// Either stops at once when the runtime shuts down or the P's `block_on`
/// future was woken. Returns whether it marked (the P then looks again).
#[cfg(feature = "gosched")]
pub(crate) fn mark_on_p(world: &World<Box<WorkBuf>>, wp: &gosched::GcWorkerP<'_>) -> bool {
    let p = wp.p();
    let slice = wp.time_slice();
    let mut marker: Option<WorkerMark> = None;
    let mut owned_since: Option<std::time::Instant> = None;
    while let Some((buf, mode, budget)) = world.p_take(p) {
        wp.begin();
        let marker = marker.get_or_insert_with(|| WorkerMark {
            work: GcWork::new(),
            cycle: CycleStats::default(),
        });
        let began = std::time::Instant::now();
        let mut preempted = false;
        if mode == WorkerMode::Dedicated {
            let owned_since = *owned_since.get_or_insert(began);
            drain(world, marker, buf, mode, Some(p), began, || {
                if wp.preempted() {
                    preempted = true;
                    return true;
                }
                wp.run_due_timers();
                if owned_since.elapsed() >= slice {
                    wp.kick_local_work();
                }
                false
            });
        } else {
            drain(world, marker, buf, mode, Some(p), began, || {
                preempted = wp.preempted()
                    || began.elapsed() >= slice
                    || budget.is_some_and(|budget| budget.should_exit(began));
                preempted
            });
        }
        if preempted || world.stop_requested() {
            break;
        }
    }
    marker.is_some()
}

/// The longest a worker task marks before it yields its P (feature
/// `gosched`): well under gosched's 10 ms time slice, and under the
/// 100 µs after which its sysmon hands a busy poll's P to another M.
#[cfg(feature = "gosched")]
pub(crate) const TASK_SLICE: core::time::Duration = core::time::Duration::from_micros(50);

/// Mark worker `index` as a `gosched` task, for a heap whose runtime's
/// `GcWorker` is another heap's (Go's `gcBgMarkWorker` goroutine): each poll takes work in the mode the cycle's plan gives it,
/// marks for at most [`TASK_SLICE`] (the fractional worker also stops at
/// its 1.2 × goal check), hands its buffers back and yields; with nothing
/// to take it waits for the world's wake-up (the fractional worker ahead
/// of its goal on a gosched timer as well). It returns when the heap
/// exits. It holds work only within one poll, so a stop of the world waits
/// at most for one slice of a poll in progress on another M.
#[cfg(feature = "gosched")]
pub(crate) struct MarkTask {
    world: alloc::sync::Arc<World<Box<WorkBuf>>>,
    index: usize,
    marker: WorkerMark,
    sleep: Option<core::pin::Pin<Box<gosched::Sleep>>>,
}

#[cfg(feature = "gosched")]
impl MarkTask {
    pub(crate) fn new(world: alloc::sync::Arc<World<Box<WorkBuf>>>, index: usize) -> MarkTask {
        MarkTask {
            world,
            index,
            marker: WorkerMark {
                work: GcWork::new(),
                cycle: CycleStats::default(),
            },
            sleep: None,
        }
    }
}

#[cfg(feature = "gosched")]
impl core::future::Future for MarkTask {
    type Output = ();

    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        use core::task::Poll;
        let this = &mut *self;
        loop {
            match this.world.task_try_take(this.index, cx.waker()) {
                TryTake::Exit => return Poll::Ready(()),
                TryTake::Wait => {
                    this.sleep = None;
                    return Poll::Pending;
                }
                TryTake::Sleep(wait) => {
                    let sleep = this
                        .sleep
                        .get_or_insert_with(|| Box::pin(gosched::sleep(wait)));
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    this.sleep = None;
                }
                TryTake::Taken(buf, mode, budget) => {
                    this.sleep = None;
                    let began = std::time::Instant::now();
                    drain(
                        &this.world,
                        &mut this.marker,
                        buf,
                        mode,
                        None,
                        began,
                        || {
                            began.elapsed() >= TASK_SLICE
                                || budget.is_some_and(|budget| budget.should_exit(began))
                        },
                    );
                    // Yield the P between slices.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
        }
    }
}

/// Go's `gcDrain` on a worker: drains `buf` and what it leads to until the
/// work runs out, the world stops, or `should_stop` (polled at every
/// flush, each [`PUBLISH_EVERY`] objects, and every [`DRAIN_CHECK_WORK`]
/// units of scan work) says so; then hands the
/// worker's buffers and counters back in `mode`.
#[cfg(feature = "std")]
fn drain(
    world: &World<Box<WorkBuf>>,
    marker: &mut WorkerMark,
    buf: Box<WorkBuf>,
    mode: WorkerMode,
    on_p: Option<usize>,
    began: std::time::Instant,
    mut should_stop: impl FnMut() -> bool,
) {
    marker.work.put_buf(buf);
    let mut work = 0u64;
    let mut since_publish = 0;
    let mut since_check = 0u64;
    while !world.stop_requested() {
        let Some(object) = marker.work.try_get() else {
            break;
        };
        let scan = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
            scan_on_worker(marker, object)
        }));
        match scan {
            Ok(size) => {
                work += size as u64;
                since_check += size as u64;
            }
            Err(payload) => world.worker_panicked(payload, WorkBuf::with_one(object)),
        }
        since_publish += 1;
        let flush = since_publish >= PUBLISH_EVERY;
        if flush {
            since_publish = 0;
            let mut spare = marker.work.take_full();
            // Go's `gcDrain`: `if work.full == 0 { gcw.balance() }`, so that
            // other workers and assists (which otherwise park for credit)
            // have grey objects to scan.
            if spare.is_empty() && world.shared_work_empty() {
                spare.extend(marker.work.balance());
            }
            world.worker_flush(spare, core::mem::take(&mut work));
        }
        if flush || since_check >= DRAIN_CHECK_WORK {
            since_check = 0;
            if should_stop() {
                break;
            }
        }
    }
    let cycle = core::mem::take(&mut marker.cycle);
    let nanos = u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX);
    world.worker_done_on(
        on_p,
        mode,
        marker.work.take_all(),
        work,
        nanos,
        (cycle.marked_objects, cycle.marked_bytes),
    );
}

/// Go's `scanobject` on a worker: shades what `object` points to.
#[cfg(feature = "std")]
fn scan_on_worker(marker: &mut WorkerMark, object: NonNull<Header>) -> usize {
    // SAFETY: queued objects are live objects of the heap: nothing is freed
    // while a cycle marks, and workers run only then (world W2).
    let header = unsafe { object.as_ref() };
    // SAFETY: the span outlives its objects.
    let size = unsafe { header.span.as_ref() }.elemsize;
    let trace = header.vtable.trace;
    // SAFETY: 1. the header starts a live object of the vtable's type. The
    // trace only reads what it visits (`Trace` rule 5), and `GcCell`s lock
    // against the owner's stores.
    unsafe { trace(object, &mut Tracer::new(TraceOp::Drain(marker))) };
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_buffers_are_2_kib_and_keep_every_object() {
        assert_eq!(core::mem::size_of::<WorkBuf>(), 2048);
        let mut work = GcWork::new();
        let mut backing = alloc::vec![0usize; 3 * WORKBUF_OBJS + 7];
        let headers: Vec<NonNull<Header>> = backing
            .iter_mut()
            .map(|word| NonNull::from(word).cast())
            .collect();
        for &h in &headers {
            work.put(h);
        }
        assert_eq!(work.iter().count(), headers.len());
        assert!(
            !work.full.is_empty(),
            "full buffers spill to the global list"
        );
        let mut popped = Vec::new();
        while let Some(h) = work.try_get() {
            popped.push(h);
        }
        assert!(work.is_empty());
        assert!(work.take_all().is_empty());
        popped.sort();
        let mut expected = headers.clone();
        expected.sort();
        assert_eq!(popped, expected);
    }

    #[cfg(feature = "std")]
    #[test]
    fn balance_shares_wbuf2_else_the_older_half_of_wbuf1() {
        let mut work = GcWork::new();
        let mut backing = alloc::vec![0usize; WORKBUF_OBJS + 10];
        let headers: Vec<NonNull<Header>> = backing
            .iter_mut()
            .map(|word| NonNull::from(word).cast())
            .collect();
        // Four objects are too few to share.
        for &h in &headers[..4] {
            work.put(h);
        }
        assert!(work.balance().is_none());
        // Ten in wbuf1: the older five are shared, the newer five kept.
        for &h in &headers[4..10] {
            work.put(h);
        }
        let shared = work.balance().expect("more than 4 objects");
        let as_ptrs = |hs: &[NonNull<Header>]| -> Vec<*const Header> {
            hs.iter().map(|h| h.as_ptr().cast_const()).collect()
        };
        assert_eq!(shared.objects(), &as_ptrs(&headers[..5])[..]);
        assert_eq!(work.iter().collect::<Vec<_>>(), as_ptrs(&headers[5..10]));
        // A full wbuf1 swaps into wbuf2 when the next object comes: wbuf2
        // is shared whole.
        let mut work = GcWork::new();
        for &h in &headers {
            work.put(h);
        }
        let shared = work.balance().expect("wbuf2 holds objects");
        assert_eq!(shared.nobj, WORKBUF_OBJS);
        assert_eq!(work.iter().count(), headers.len() - WORKBUF_OBJS);
    }
}
