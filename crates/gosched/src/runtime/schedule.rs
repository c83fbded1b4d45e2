//! Finding and running the next task: Go's `schedule`, `findRunnable`,
//! `stealWork`, `execute` and `checkTimers`.
//!
//! # Order of `find_runnable` (as Go's `findRunnable`)
//!
//! 1. The P's due timers, then a collector's mark worker while a cycle
//!    marks (see [`super::gc_worker`]).
//! 2. Every 61st time slice ([`GLOBAL_FAIRNESS_TICK`]), one task from the
//!    global queue first, so a P busy with its ring cannot starve it.
//! 3. A pending preemption (a `runnext` chain that shared one time slice
//!    for 10 ms): the `runnext` task goes to the global queue.
//! 4. The P's `runnext`, then its ring (`inheritTime` for `runnext`).
//! 5. The global queue, a batch of `min(len, len/GOMAXPROCS + 1, 128)`.
//!    With the `net` feature, then a non-blocking netpoll when tasks wait
//!    on I/O and no M is blocked in the poller (see `netpoll`).
//! 6. Spinning, if `2 × nmspinning < busy Ps`: steal half of another P's
//!    ring, [`STEAL_TRIES`] passes in a random coprime order, the last
//!    pass also taking `runnext` (after [`RUNNEXT_STEAL_PAUSE`] if the
//!    victim runs) and running victims' due timers.
//! 7. Registered idle work (see [`super::idle`]): if some ran, look again.
//! 8. Release the P; a spinner then rechecks every queue (R4); any M
//!    rechecks for GC work (see [`super::gc_worker`]); park.
//!
//! `execute` polls the task in `P_RUNNING` (R2/R3 in [`super::p`]) and puts
//! it where it belongs afterwards: done (registry, free list), parked, or
//! woken during its own poll (back to the ring, or to the global queue
//! after `yield_now`, Go's `Gosched`, by way of the P's yield queue: see
//! [`super::p`]).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::task::Poll;
use core::time::Duration;
use gocore::atomic::{fence, Ordering};

use crate::stats::Event;
use crate::task::{Task, DONE, IDLE, NOTIFIED, RUNNING, SCHEDULED};

use super::block_on::MainWaker;
use super::m::MState;
use super::p::{P_PUSHING, P_RUNNING, P_SCHED};
use super::{ctx_set_p, lock, with_ctx, Shared};

/// Go: `stealTries` in `stealWork`.
pub const STEAL_TRIES: usize = 4;

/// Go: the thief's `usleep(3)` before taking a running victim's `runnext`.
pub const RUNNEXT_STEAL_PAUSE: Duration = Duration::from_micros(3);

/// Go: `schedtick%61 == 0` in `findRunnable`.
pub const GLOBAL_FAIRNESS_TICK: u32 = 61;

pub(super) enum Found {
    Task(Arc<Task>, bool),
    /// M0: the main future was woken.
    Main,
    /// M0 released its P; or shutdown.
    Stop,
}

impl Shared {
    /// Go: `schedule`, looping: find a task, run it. Returns when the M has
    /// no P left (M0) or at shutdown.
    pub(super) fn schedule(&self, m: &mut MState, main: Option<&MainWaker>) {
        loop {
            match self.find_runnable(m, main) {
                Found::Task(task, inherit) => {
                    if m.spinning {
                        self.reset_spinning(m);
                    }
                    self.execute(m, task, inherit);
                    if m.p.is_none() {
                        if main.is_some() {
                            return;
                        }
                        // Go's exitsyscall0: any idle P, else park.
                        m.p = self.idle_p_get();
                        ctx_set_p(m.p);
                        if m.p.is_none() && !self.stopm(m) {
                            return;
                        }
                    }
                }
                Found::Main => {
                    // M0 may have been spinning when its main future woke:
                    // it stops spinning as an M that found work does, or
                    // `nmspinning` would stay raised after `block_on`
                    // returns and `wakep` would never start an M again.
                    if m.spinning {
                        self.reset_spinning(m);
                    }
                    return;
                }
                Found::Stop => return,
            }
        }
    }

    /// Go's `Gosched` in `main`, for the main future of `block_on`, which
    /// no queue can hold: runs what Go runs before `main`, put at the
    /// global queue's tail, is picked again. That is this P's `runnext`
    /// and ring (with what their tasks make runnable there, and timers that
    /// come due), then the tasks that were in the global queue before the
    /// yield; every 61st slice the global queue's head comes first, which
    /// is the main future itself once those tasks are gone. A 10 ms slice
    /// shared by a `runnext` chain ends as in `find_runnable`, its task
    /// going behind the main future. Returns when it is the main future's
    /// turn, or when this M lost its P (sysmon, `blocking`).
    ///
    /// With more than one P, Go's other Ps may run `main` sooner, and take
    /// tasks off the global queue meanwhile; here the main future resumes
    /// on this thread, after at most as many global tasks as there were.
    pub(super) fn main_gosched(&self, m: &mut MState) {
        let Some(p) = m.p else { return };
        // Tasks ahead of the main future in the global queue (with this
        // P's yields, which reach it first: Y1).
        let mut ahead = self.global_len.load(Ordering::Acquire) + self.ps[p].yields.len();
        while let Some(p) = m.p {
            if self.shutdown.load(Ordering::Acquire) {
                return;
            }
            let pp = &self.ps[p];
            self.check_timers(p);
            // As `find_runnable`: the global queue's head every 61st slice,
            // then a pending preemption, then `runnext` and the ring, then
            // the global queue.
            let fairness = pp.schedtick.load(Ordering::Relaxed) % GLOBAL_FAIRNESS_TICK == 0;
            let mut local = None;
            if !fairness {
                if pp.preempt.load(Ordering::Relaxed) && pp.preempt.swap(false, Ordering::AcqRel) {
                    // SAFETY: 1. R1: this M owns P `p` in scheduler context.
                    match unsafe { pp.runq.get() } {
                        Some((t, true)) => {
                            // Behind the main future (not counted in `ahead`).
                            // SAFETY: Y1: we own P `p`.
                            unsafe { self.preempt_to_global(p, t) };
                            continue;
                        }
                        Some((t, false)) => local = Some((t, false)),
                        None => {}
                    }
                }
                if local.is_none() {
                    // SAFETY: 1. R1: this M owns P `p` in scheduler context.
                    local = unsafe { pp.runq.get() };
                }
            }
            let (task, inherit) = match local {
                Some(found) => found,
                // The main future is the global queue's head.
                None if ahead == 0 => return,
                None => {
                    ahead -= 1;
                    let mut s = lock(&self.sched);
                    match self.global_get(&mut s, p, 1) {
                        Some(t) => (t, false),
                        // Other Ps took them.
                        None => return,
                    }
                }
            };
            self.execute(m, task, inherit);
        }
    }

    /// Go: `findRunnable`. Blocks (parks the M) until it finds a task.
    pub(super) fn find_runnable(&self, m: &mut MState, main: Option<&MainWaker>) -> Found {
        'top: loop {
            if self.shutdown.load(Ordering::Acquire) {
                if let Some(p) = m.p.take() {
                    let mut s = lock(&self.sched);
                    self.pidleput(&mut s, p);
                }
                if m.spinning {
                    m.spinning = false;
                    self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                }
                return Found::Stop;
            }
            if main.is_some_and(|w| w.woken.load(Ordering::Acquire)) {
                return Found::Main;
            }
            let p = m.p.expect("find_runnable with a P");
            let pp = &self.ps[p];
            self.check_timers(p);

            // While a collector marks, its worker first (Go's
            // `findRunnableGCWorker`); one relaxed load otherwise.
            if self.run_gc_worker(m, p, main) {
                continue 'top;
            }

            // Every 61st slice, one task from the global queue first.
            if pp.schedtick.load(Ordering::Relaxed) % GLOBAL_FAIRNESS_TICK == 0
                && self.global_nonempty(p)
            {
                let mut s = lock(&self.sched);
                if let Some(t) = self.global_get(&mut s, p, 1) {
                    return Found::Task(t, false);
                }
            }

            if pp.preempt.load(Ordering::Relaxed) && pp.preempt.swap(false, Ordering::AcqRel) {
                // The current slice ran 10 ms: end it as Go's preemption
                // would, sending the runnext task to the global queue.
                // SAFETY: 1. R1: we own P `p` in scheduler context.
                match unsafe { pp.runq.get() } {
                    Some((t, true)) => {
                        // SAFETY: Y1: we own P `p`.
                        unsafe { self.preempt_to_global(p, t) };
                        continue 'top;
                    }
                    // No runnext: the ring's head starts a new slice anyway.
                    Some((t, false)) => return Found::Task(t, false),
                    None => {}
                }
            }

            // SAFETY: 1. R1: we own P `p`.
            if let Some((t, inherit)) = unsafe { pp.runq.get() } {
                return Found::Task(t, inherit);
            }

            if self.global_nonempty(p) {
                let mut s = lock(&self.sched);
                if let Some(t) = self.global_get(&mut s, p, 0) {
                    return Found::Task(t, false);
                }
            }

            // Non-blocking netpoll, if someone waits on I/O and no M is
            // blocked in the poller.
            #[cfg(feature = "net")]
            if let Some(t) = self.netpoll_find(p) {
                return Found::Task(t, false);
            }

            // Spin: Go's limit `2*nmspinning < gomaxprocs - npidle`.
            let procs = self.ps.len() as u32;
            let admit = || {
                let spinning = self.nmspinning.load(Ordering::SeqCst);
                let busy = procs - self.npidle.load(Ordering::SeqCst);
                (2 * spinning < busy).then_some((spinning, busy))
            };
            let admitted = if m.spinning { None } else { admit() };
            if m.spinning || admitted.is_some() {
                if let Some((spinning, busy)) = admitted {
                    m.spinning = true;
                    self.nmspinning.fetch_add(1, Ordering::SeqCst);
                    self.record(|| Event::Spin {
                        p,
                        spinning: spinning as usize,
                        busy: busy as usize,
                    });
                }
                if let Some(t) = self.steal_work(p) {
                    return Found::Task(t, false);
                }
            }

            // Nothing to run: registered idle work (a collector's idle
            // mark worker) may use the P before it is released.
            if self.run_idle_work(m, p, main) {
                continue 'top;
            }

            // Release the P (re-checking the global queue under the lock).
            let mut s = lock(&self.sched);
            if let Some(t) = self.global_get(&mut s, p, 0) {
                return Found::Task(t, false);
            }
            if main.is_some_and(|w| w.woken.load(Ordering::Acquire)) {
                return Found::Main;
            }
            self.pidleput(&mut s, p);
            m.p = None;
            ctx_set_p(None);
            drop(s);

            if m.spinning {
                m.spinning = false;
                self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                // R4, the delicate dance: look again after dropping spinning
                // (the rings after a fence, the global queue under its lock).
                fence(Ordering::SeqCst);
                let work = self.ps.iter().any(|pp| pp.has_local_work())
                    || !lock(&self.sched).runq.is_empty();
                self.record(|| Event::DropSpinning {
                    p,
                    work_found: work,
                });
                if work {
                    if let Some(p2) = self.idle_p_get() {
                        m.p = Some(p2);
                        ctx_set_p(m.p);
                        m.spinning = true;
                        self.nmspinning.fetch_add(1, Ordering::SeqCst);
                        continue 'top;
                    }
                }
            }
            // GC work published while this M was on its way here (Go's
            // "check for idle-priority GC work again").
            if self.gc_work_waiting() {
                if let Some(p2) = self.idle_p_get() {
                    m.p = Some(p2);
                    ctx_set_p(m.p);
                    continue 'top;
                }
            }
            if main.is_some() {
                return Found::Stop;
            }
            if !self.stopm(m) {
                return Found::Stop;
            }
        }
    }

    /// Go: `stealWork`. Four passes over all Ps in a random coprime order;
    /// the last one also runs victims' due timers and may take `runnext`.
    pub(super) fn steal_work(&self, p: usize) -> Option<Arc<Task>> {
        let procs = self.ps.len();
        if procs == 1 {
            return None;
        }
        let pp = &self.ps[p];
        for pass in 0..STEAL_TRIES {
            let last = pass == STEAL_TRIES - 1;
            let start = gocore::rand::fastrandn(procs as u32) as usize;
            let stride =
                self.coprimes[gocore::rand::fastrandn(self.coprimes.len() as u32) as usize];
            for i in 0..procs {
                if self.global_len.load(Ordering::Acquire) > 0 {
                    // Go: "stop spinning if there is work in the global queue".
                    let mut s = lock(&self.sched);
                    if let Some(t) = self.global_get(&mut s, p, 0) {
                        return Some(t);
                    }
                }
                let v = (start + i * stride) % procs;
                if v == p {
                    continue;
                }
                let victim = &self.ps[v];
                if last && self.check_timers(v) {
                    // SAFETY: 1. R1: we own P `p`.
                    if let Some((t, _)) = unsafe { pp.runq.get() } {
                        return Some(t);
                    }
                }
                let mut pause = || {
                    let st = victim.status.load(Ordering::Acquire);
                    if st == P_RUNNING || st == P_PUSHING {
                        std::thread::sleep(RUNNEXT_STEAL_PAUSE);
                    }
                };
                // SAFETY: 1. R1: we own P `p`, the destination.
                if let Some((t, n)) = unsafe { pp.runq.steal_from(&victim.runq, last, &mut pause) }
                {
                    self.record(|| Event::Steal {
                        thief: p,
                        victim: v,
                        n,
                    });
                    return Some(t);
                }
            }
        }
        None
    }

    /// Go: `execute` + the return from `gopark`/`goexit`: polls `task` with P
    /// `m.p` and puts it where it belongs afterwards.
    pub(super) fn execute(&self, m: &mut MState, task: Arc<Task>, inherit: bool) {
        let p = m.p.expect("execute with a P");
        let pp = &self.ps[p];
        if !inherit {
            pp.schedtick.store(
                pp.schedtick.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
        }
        self.record(|| Event::Run {
            task: task.id(),
            p,
            inherited: inherit,
        });
        // T4: a swap, so that a wake that found the task queued is seen.
        // A task requeued by its own yield was queued RUNNING (T7): if it
        // still is, no wake came since, and it needs no write (T8).
        if task.state.load(Ordering::Acquire) != RUNNING {
            let queued = task.state.swap(RUNNING, Ordering::AcqRel);
            debug_assert!(matches!(queued, SCHEDULED | NOTIFIED));
        }
        // No longer waiting, nor queued after a yield (the task dump).
        task.wait_reason
            .store(crate::task::REASON_NONE, Ordering::Relaxed);
        let (polled, requeue) = self.poll_in_p(m, Arc::as_ptr(&task), || task.poll());
        match polled {
            Poll::Ready(()) => {
                task.state.store(DONE, Ordering::Release);
                match m.p {
                    // SAFETY: F1: after the poll, this M owns `m.p`.
                    Some(p) => unsafe { self.task_exit(p, task) },
                    // Sysmon took the P during the poll.
                    None => self.task_exit_without_p(task),
                }
            }
            Poll::Pending => {
                let reason = gocore::wait::take();
                let reason = if requeue {
                    // T7: the dump tells a task queued by its yield by this.
                    crate::task::REASON_YIELD
                } else {
                    reason.map_or(crate::task::REASON_NONE, crate::task::reason_code)
                };
                task.wait_reason.store(reason, Ordering::Relaxed);
                task.wait_since
                    .store(self.coarse_now.load(Ordering::Relaxed), Ordering::Relaxed);
                let yielded = if requeue {
                    // `yield_now` with the task's own waker did not wake it:
                    // the task stays ours and goes back to a queue as it is,
                    // RUNNING or NOTIFIED, with no write (T7): a wake finds
                    // it so and only marks it NOTIFIED, which the next
                    // poll's load reads before it swaps (T8, T4).
                    true
                } else if task
                    .state
                    .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return;
                } else {
                    // NOTIFIED: woken during its own poll; run it again later.
                    debug_assert_eq!(task.state.load(Ordering::Relaxed), NOTIFIED);
                    task.state.store(SCHEDULED, Ordering::Release);
                    with_ctx(|c| c.is_some_and(|c| c.yielded.get()))
                };
                #[cfg(feature = "net")]
                if let (true, Some(p)) = (yielded, m.p) {
                    self.netpoll_after_budget_yield(p);
                }
                match m.p {
                    Some(p) if !yielded => self.put_owned(p, task, false, false),
                    // SAFETY: Y1: after the poll, this M owns `m.p`.
                    Some(p) => unsafe { self.global_put_yield(p, task) },
                    None => {
                        self.global_put(task);
                        self.wakep_after_global_put();
                    }
                }
            }
        }
    }

    /// Polls with P `m.p` in `P_RUNNING` (R2/R3); afterwards `m.p` is the P
    /// this M still owns, in `P_SCHED`, or `None`. `task` is the task
    /// polled (null for a `block_on` future); also returns whether it
    /// yielded leaving its requeue to the caller (`mark_yield`).
    pub(super) fn poll_in_p<R>(
        &self,
        m: &mut MState,
        task: *const Task,
        poll: impl FnOnce() -> R,
    ) -> (R, bool) {
        if let Some(p) = m.p {
            let pp = &self.ps[p];
            pp.poll_seq.store(
                pp.poll_seq.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
            pp.status.store(P_RUNNING, Ordering::Release);
        }
        with_ctx(|c| {
            if let Some(c) = c {
                c.in_poll.set(true);
                c.yielded.set(false);
                c.requeue.set(false);
                #[cfg(feature = "net")]
                c.io_budget.set(c.shared.io_budget);
                #[cfg(feature = "net")]
                c.io_budget_yield.set(false);
                c.polling.set(task);
            }
        });
        gocore::wait::take();
        let r = poll();
        // `blocking` may have swapped the P; the context knows which one.
        let (cur, requeue) = with_ctx(|c| {
            c.map_or((None, false), |c| {
                c.in_poll.set(false);
                c.polling.set(core::ptr::null());
                (c.p.get(), c.requeue.get())
            })
        });
        m.p = cur.filter(|&q| {
            self.ps[q]
                .status
                .compare_exchange(P_RUNNING, P_SCHED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        ctx_set_p(m.p);
        (r, requeue)
    }

    /// Go: `checkTimers(pp, now)`: fires P `p`'s due timers. Returns whether
    /// it fired any. Inlined down to the common case, a P with no timer
    /// (one load, on every `find_runnable`).
    #[inline]
    pub(crate) fn check_timers(&self, p: usize) -> bool {
        let first = self.ps[p].timer0_when.load(Ordering::Acquire);
        first != u64::MAX && self.fire_due_timers(p, first)
    }

    /// [`Shared::check_timers`] for a P whose earliest timer is at `first`.
    #[inline(never)]
    fn fire_due_timers(&self, p: usize, first: u64) -> bool {
        let pp = &self.ps[p];
        let now = self.now_nanos();
        if first > now {
            return false;
        }
        let mut fired = Vec::new();
        {
            let mut heap = lock(&pp.timers);
            while let Some((_, e)) = heap.pop_due(now) {
                fired.push(e);
            }
            pp.timer0_when
                .store(heap.peek_when().unwrap_or(u64::MAX), Ordering::Release);
        }
        let any = !fired.is_empty();
        for e in fired {
            // A waker is user code (a foreign executor's, or a combinator's):
            // its panic must not unwind the M, which holds a P.
            let _ = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| e.fire()));
        }
        any
    }

    pub(crate) fn run_all_due_timers(&self) {
        for p in 0..self.ps.len() {
            self.check_timers(p);
        }
    }

    /// The earliest timer over all Ps (nanoseconds since start).
    pub(crate) fn earliest_timer(&self) -> Option<u64> {
        self.ps
            .iter()
            .map(|p| p.timer0_when.load(Ordering::Acquire))
            .min()
            .filter(|&w| w != u64::MAX)
    }
}
