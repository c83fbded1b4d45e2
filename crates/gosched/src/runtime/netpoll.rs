//! The network poller inside the scheduler: Go's `runtime/netpoll.go` and
//! `netpoll_epoll.go`, on the portable `polling` crate (epoll, kqueue,
//! IOCP).
//!
//! # No reactor thread
//!
//! Go has no thread dedicated to I/O: the Ms poll the OS themselves, at
//! four places, and turn readiness into runnable tasks:
//!
//! ```text
//!   find_runnable (holding a P) ── poll(0), when someone waits on I/O and
//!                                  no M is in the poller: the first ready
//!                                  task runs, the rest are injected
//!   stopm (no P, nothing to run) ─ poll(until the earliest timer), once
//!                                  the poller exists and someone waits on
//!                                  I/O or a timer is pending: the one M
//!                                  allowed to block there; startm (a P for
//!                                  it: new work), an earlier timer
//!                                  (`wake_net_poller`) and the timer kicks
//!                                  (`kick_timer_sleeper`: a timer set off
//!                                  the Ps, an overdue timer) interrupt it
//!                                  (Go's netpollBreak = the poller's notify)
//!   sysmon ─────────────────────── poll(0) when nobody polled for 10 ms
//! ```
//!
//! A task holding a P that adds a timer calls `wake_net_poller(when)` (Go's
//! `addtimer` → `wakeNetPoller`): the blocked M's deadline is published in
//! `blocked_until` (Go's `sched.pollUntil`), so the poller is interrupted
//! only when that deadline is later than `when`; with no M blocked there,
//! `wakep` starts a spinning M, which finds nothing to run and blocks in
//! the poller until the earliest timer. The blocking M publishes its
//! deadline and then reads the timers again, and the adder pushes its timer
//! and then reads the deadline (SeqCst fences on both sides), so a timer
//! added while the M is on its way into the poller is never missed
//! (`tests/loom_netpoll.rs`).
//!
//! And when M0 is about to park, or a thread outside the runtime starts
//! waiting on a socket, while tasks wait on I/O and no M is in the poller,
//! an idle M is woken (or started) to become the poller.
//!
//! [`NetPoll`] holds the OS poller (created at the first socket, Go's
//! `netpollGenericInit`), the number of pollDescs with a waiter (Go's
//! `netpollWaiters`), whether an M is in the poller and when the last poll
//! ended (both Go's `sched.lastpoll`, 0 while an M blocks), the blocked
//! M's deadline (Go's `sched.pollUntil`), and the table
//! from a registration key to its [`PollDesc`].
//!
//! # One M in the poller at a time
//!
//! `in_poller` admits one M to the OS poller at a time, blocking or not
//! (Go admits one blocking M; `polling` lets only one thread wait anyway).
//! So the interrupt that `startm` sends to the blocked M can never be
//! consumed by another M's non-blocking poll.
//!
//! An M that leaves a *blocking* poll with an idle P to take (or with
//! nothing ready) wakes nobody: it comes back to the poller itself, with a
//! P when its P runs dry, without one straight from `stopm`'s loop (Go's
//! M goes back to the top of findrunnable after `acquirep`). So an idle M
//! that finds an M blocked there (`blocked_until` set) just sleeps on its
//! condition variable until `startm` needs it, as Go's stopm does when
//! `sched.lastpoll` is 0, and a one-connection server is not passed
//! between two threads at each request.
//!
//! An M whose blocking poll readied tasks while every P was busy injects
//! them all into the global queue and then stops (Go's findrunnable:
//! `injectglist`, then `stopm`): it sleeps on its condition variable
//! until `startm` or a kick wakes it, instead of going back into the
//! poller. The Ms holding the Ps poll without blocking when they run dry
//! and take what became ready meanwhile in one batch; an M that stayed in
//! the poller would wake for each event and pass it on to them through
//! the global queue, a thread switch per request on a loaded server
//! (counted in the crate README). Since it does not come back, it
//! leaves the poller as a non-blocking poll does (below).
//!
//! A *non-blocking* poll (find_runnable's, sysmon's) does not come back:
//! an idle M that finds the poller taken by one raises `want_poller` and
//! sleeps; the M leaving the non-blocking poll sees the flag and wakes an
//! idle M to take its place (a Dekker pair with SeqCst fences: the idle M
//! re-checks `in_poller` after raising the flag). `tests/loom_netpoll.rs`
//! models that hand-off and the interrupt hand-off with `startm`.
//!
//! # Injecting ready tasks (Go's `injectglist`)
//!
//! A readiness event wakes the wakers stored in a pollDesc. While an M
//! processes one poll's events, a per-thread *batch* is open: a wake of a
//! task of this runtime ([`Shared::ready`]) lands in the batch instead of
//! a run queue. The batch is then reversed: Go's `netpoll` pushes each
//! ready goroutine on the head of a `gList`, so the task of the *last*
//! event is the one that runs first, and the others follow from the last
//! event to the first (on a busy server, the connection that became ready
//! last is served first: a low median latency, at the price of a longer
//! wait for the connection ready first; see the crate README). After a
//! blocking poll that readied tasks, the M first
//! takes an idle P for itself (Go's findrunnable: `pidleget`, `acquirep`)
//! and puts the first ready task on that P's ring to run next (Go's
//! findrunnable returns `list.pop()`), so it runs on the thread that polled
//! rather than on a thread woken for it. The rest of the batch is then
//! placed as Go places a `gList`: with a P, one task per idle P to the
//! global queue (with an M started for each) and the rest to the P's ring;
//! without a P, all to the global queue, starting an M per idle P. Wakers
//! of other executors are just woken.
//!
//! # Socket system calls inside a poll (Go's `syscalltick`, preemption)
//!
//! A connection whose peer answers at once is served in one long poll: the
//! task writes, and its next read already finds the peer's next request
//! (on loopback the write often switches to the peer thread, which sends
//! before the task reads again). Go's goroutine does the same and keeps
//! its P: each short system call bumps `pp.syscalltick`, which sysmon
//! counts as progress, and only its 10 ms time slice ends it (sysmon's
//! `preemptone`). Here every socket system call made by a task's poll
//! bumps the P's `poll_seq` likewise (`netpoll_syscall_tick`), and a
//! socket operation made once the P's slice is over yields to the global
//! queue first (`netpoll_yield_due`). Without the first, sysmon took
//! such a poll for a stuck one after 100 µs and handed its P to another M:
//! a one-worker echo server with 50 connections ran on 7-8 threads (14-19
//! with two workers) and spent more CPU per request (see the crate README).
//!
//! Not Go's, and off unless asked for: a poll that has completed its
//! socket budget of operations (counted by `netpoll_syscall_tick`, see
//! `Builder::io_budget`) yields the same way at its next one, so the
//! other connections take their turns long before the 10 ms slice is
//! over; and after such a yield its P polls the network without blocking
//! when nobody has for [`NETPOLL_BUDGET_AFTER`]
//! (`netpoll_after_budget_yield`), so that the parked connections get
//! their turns too.
//!
//! # Divergences
//!
//! - Before the first socket there is no poller (Go creates it at the
//!   first timer or socket): idle Ms sleep on their condition variable
//!   until the earliest timer, and adding a timer wakes nobody.
//! - M0 (the `block_on` thread) never blocks in the poller: before it parks
//!   it makes sure a worker M does, waking an idle one (when every worker
//!   M is busy, the first to run out of work polls). Its main future's
//!   waker unparks the
//!   thread (it may run on any thread, outside the runtime too) and
//!   cannot interrupt the OS poller; M0 parks in `std::thread::park`,
//!   until the earliest timer when it has no P to fire it with.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::time::Duration;
use gocore::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::net::poll_desc::PollDesc;
use crate::task::Task;

use super::m::MPark;
use super::{lock, Shared};

/// A task that yields for its socket budget (`Builder::io_budget`, not
/// Go's) makes its P poll the network without blocking when nobody has
/// for this long, so that a parked connection does not wait for sysmon's poll
/// ([`NETPOLL_SYSMON_AFTER`]) behind connections that keep taking turns.
/// Measured at 200 µs and 1 ms (crate README): 1 ms cut the p99 with 50
/// connections and two workers from 4.2 to 1.6 ms (echo) and made no
/// difference with one connection (about one poll per 50 requests).
pub const NETPOLL_BUDGET_AFTER: Duration = Duration::from_millis(1);

/// Go: sysmon's `lastpoll+10*1000*1000 < now`: sysmon polls when nobody
/// has for this long.
pub const NETPOLL_SYSMON_AFTER: Duration = Duration::from_millis(10);

/// What [`Shared::netpoll_block`] did.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Polled {
    /// It did not poll (no poller, nothing to wait for, or the poller is
    /// taken): the M sleeps on its condition variable.
    No,
    /// It polled; the M comes back to the poller.
    Yes,
    /// It polled, readied tasks and found no idle P: the M sleeps on its
    /// condition variable and polls again only once woken or at the
    /// earliest timer (Go's `stopm` after `injectglist`).
    StayOut,
}

/// `blocked_until`: no M blocks in the poller.
const NOT_BLOCKED: u64 = 0;
/// `blocked_until`: an M blocks in the poller until an event or interrupt.
const NO_DEADLINE: u64 = u64::MAX;

/// Go: the globals of `netpoll.go` and `sched.lastpoll`.
pub(crate) struct NetPoll {
    poller: OnceLock<polling::Poller>,
    /// Go: `netpollWaiters`, pollDesc directions with a waiter.
    pub(crate) waiters: AtomicUsize,
    /// An M is in the poller (Go: `sched.lastpoll == 0` for the blocking one).
    in_poller: AtomicBool,
    /// When the M blocked in the poller wakes by itself (Go:
    /// `sched.pollUntil`), in nanoseconds since the runtime's start:
    /// [`NOT_BLOCKED`] while no M blocks there, [`NO_DEADLINE`] while one
    /// blocks with no timer pending.
    blocked_until: AtomicU64,
    /// An idle M found the poller taken.
    want_poller: AtomicBool,
    /// Go: `sched.lastpoll`, nanoseconds since the runtime's start.
    last_poll: AtomicU64,
    next_key: AtomicUsize,
    /// The poll's event buffer, kept between polls.
    events: Mutex<polling::Events>,
    descs: Mutex<HashMap<usize, Arc<PollDesc>>>,
}

std::thread_local! {
    /// The open batch of a poll on this thread: the runtime it belongs to
    /// (as an address) and the tasks its events made ready.
    static BATCH: RefCell<Option<(usize, Vec<Arc<Task>>)>> = const { RefCell::new(None) };
}

impl NetPoll {
    pub(crate) fn new() -> NetPoll {
        NetPoll {
            poller: OnceLock::new(),
            waiters: AtomicUsize::new(0),
            in_poller: AtomicBool::new(false),
            blocked_until: AtomicU64::new(NOT_BLOCKED),
            want_poller: AtomicBool::new(false),
            last_poll: AtomicU64::new(0),
            next_key: AtomicUsize::new(0),
            events: Mutex::new(polling::Events::new()),
            descs: Mutex::new(HashMap::new()),
        }
    }

    /// The OS poller, created on first use (Go: `netpollGenericInit`).
    pub(crate) fn poller(&self) -> std::io::Result<&polling::Poller> {
        if let Some(p) = self.poller.get() {
            return Ok(p);
        }
        let p = polling::Poller::new()?;
        // Another thread may have won the race; its poller is kept.
        Ok(self.poller.get_or_init(|| p))
    }

    /// Adds `pd` to the table under a fresh key (keys are never reused, so
    /// a late event for a closed socket finds nothing: Go's `fdseq`).
    pub(crate) fn insert(&self, make: impl FnOnce(usize) -> Arc<PollDesc>) -> Arc<PollDesc> {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let pd = make(key);
        lock(&self.descs).insert(key, pd.clone());
        pd
    }

    pub(crate) fn remove(&self, key: usize) {
        let pd = lock(&self.descs).remove(&key);
        drop(pd);
    }

    /// Go: `netpollBreak`. Interrupts the M blocked in the poller, if any.
    pub(crate) fn interrupt(&self) {
        if let Some(p) = self.poller.get() {
            // A failed notify leaves the poller to its timeout; nothing
            // else can be done about it here.
            let _ = p.notify();
        }
    }

    /// Whether a non-blocking poll is worth making now (Go's condition in
    /// `findRunnable`: `netpollinited() && netpollWaiters > 0 &&
    /// sched.lastpoll != 0`).
    fn worth_polling(&self) -> bool {
        self.poller.get().is_some()
            && self.waiters.load(Ordering::Acquire) > 0
            && !self.in_poller.load(Ordering::Acquire)
    }

    /// Takes the poller (see "One M in the poller at a time"). A failed
    /// attempt's read is SeqCst too: it is the second half of the Dekker
    /// pair after `want_poller` is raised (`tests/loom_netpoll.rs`).
    fn enter(&self) -> bool {
        self.in_poller
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Go: `netpoll(delay)`. Waits up to `timeout` (`None`: until an event
    /// or an interrupt), marks the pollDescs ready and wakes their waiters.
    /// Returns the tasks of `shared` those wakes made runnable, in Go's
    /// `gList` order: the task of the last event first.
    fn poll(&self, shared: &Shared, timeout: Option<Duration>) -> Vec<Arc<Task>> {
        let Some(poller) = self.poller.get() else {
            return Vec::new();
        };
        // Uncontended: one M polls at a time (`in_poller`).
        let mut events = lock(&self.events);
        events.clear();
        // An error (EINTR) is a poll that found nothing.
        let _ = poller.wait(&mut events, timeout);
        let ready: Vec<(Arc<PollDesc>, bool, bool)> = {
            let descs = lock(&self.descs);
            events
                .iter()
                .filter_map(|ev| {
                    descs
                        .get(&ev.key)
                        .map(|pd| (pd.clone(), ev.readable, ev.writable))
                })
                .collect()
        };
        drop(events);
        let id = shared as *const Shared as usize;
        BATCH.with(|b| *b.borrow_mut() = Some((id, Vec::new())));
        for (pd, readable, writable) in ready {
            pd.netpoll_ready(self, readable, writable);
        }
        let mut tasks = BATCH.with(|b| b.borrow_mut().take().map(|(_, v)| v).unwrap_or_default());
        // Go's `netpoll` pushes each ready goroutine on the head of a
        // `gList`, so the list runs from the last event to the first.
        tasks.reverse();
        tasks
    }
}

/// The [`Shared::ready`] hook: takes `task` into this thread's open batch
/// when it belongs to that batch's runtime; gives it back otherwise.
pub(crate) fn batch_ready(shared: &Shared, task: Arc<Task>) -> Option<Arc<Task>> {
    // A batch is open only inside a poll, which holds `in_poller`; the
    // polling thread reads its own store, so this skips the thread-local
    // on every other wake.
    if !shared.netpoll.in_poller.load(Ordering::Relaxed) {
        return Some(task);
    }
    let id = shared as *const Shared as usize;
    BATCH.with(|b| match &mut *b.borrow_mut() {
        Some((owner, tasks)) if *owner == id => {
            tasks.push(task);
            None
        }
        _ => Some(task),
    })
}

/// Go: `exitsyscall`'s `pp.syscalltick++`, after a socket system call made
/// by a task's poll: sysmon counts it as progress. So a task that keeps
/// reading and writing (a connection whose peer answers at once, served
/// in one long poll) keeps its P, as a goroutine making short system calls
/// does in Go, instead of being taken for a poll stuck in user code (whose
/// P sysmon hands to another M). A call that `completed` (returned
/// anything but "would block" or "interrupted") also spends one unit of
/// the poll's socket budget, if it has one (`Builder::io_budget`, not
/// Go's; `u32::MAX` when off).
pub(crate) fn netpoll_syscall_tick(completed: bool) {
    super::with_ctx(|c| {
        let Some(c) = c else { return };
        if let (true, Some(p)) = (c.in_poll.get(), c.p.get()) {
            c.shared.ps[p].poll_seq.fetch_add(1, Ordering::Relaxed);
        }
        let left = c.io_budget.get();
        if completed && left != u32::MAX {
            c.io_budget.set(left.saturating_sub(1));
        }
    });
}

/// Whether the task being polled on this thread should yield before its
/// next socket operation: its poll has spent its socket budget
/// (`Builder::io_budget`, not Go's), or its P's time slice ran 10 ms
/// (sysmon's `preempt` request, Go's `preemptone`). Go preempts such a
/// goroutine at its next safe point and puts it on the global queue; a
/// socket operation is the safe point here (the task then yields as
/// `yield_now` does).
pub(crate) fn netpoll_yield_due() -> bool {
    super::with_ctx(|c| {
        let Some(c) = c else { return false };
        match c.p.get() {
            Some(p) if c.in_poll.get() && !c.polling.get().is_null() => {
                if c.io_budget.get() == 0 {
                    c.io_budget_yield.set(true);
                    return true;
                }
                c.shared.ps[p].preempt.load(Ordering::Relaxed)
            }
            _ => false,
        }
    })
}

impl Shared {
    /// After the task polled on P `p` yielded for its socket budget (not
    /// Go's): a non-blocking poll when nobody has polled for
    /// [`NETPOLL_BUDGET_AFTER`], its ready tasks to P `p`'s ring (ahead of
    /// the yielded task, which goes to the global queue). Without it, a
    /// connection that found no request when it read, and parked, waits
    /// for sysmon's poll (10 ms) while the others keep taking turns through
    /// the run queues, which a busy P never leaves empty.
    pub(super) fn netpoll_after_budget_yield(&self, p: usize) {
        // The default, no budget: every `yield_now` comes here, so one
        // field read instead of the thread-local.
        if self.io_budget == u32::MAX
            || !super::with_ctx(|c| c.is_some_and(|c| c.io_budget_yield.get()))
        {
            return;
        }
        let last = self.netpoll.last_poll.load(Ordering::Relaxed);
        let after = NETPOLL_BUDGET_AFTER.as_nanos() as u64;
        if self.now_nanos().saturating_sub(last) < after {
            return;
        }
        if let Some(t) = self.netpoll_find(p) {
            self.put_owned(p, t, false, false);
        }
    }

    /// `find_runnable`'s non-blocking poll, holding P `p`: the first ready
    /// task to run, the rest injected.
    pub(super) fn netpoll_find(&self, p: usize) -> Option<Arc<Task>> {
        let np = &self.netpoll;
        if !np.worth_polling() || !np.enter() {
            return None;
        }
        let mut tasks = np.poll(self, Some(Duration::ZERO));
        np.last_poll
            .store(self.now_nanos().max(1), Ordering::Release);
        self.netpoll_leave();
        if tasks.is_empty() {
            return None;
        }
        let first = tasks.remove(0);
        self.inject_glist(tasks, Some(p));
        Some(first)
    }

    /// `stopm`'s blocking poll: once the poller exists, when tasks wait on
    /// I/O or a timer is pending (`timeout`, until the earliest one) and no
    /// other M is blocked in the poller, this M (idle, without a P, parked
    /// on `park`) blocks there until an event, the earliest timer or an
    /// interrupt (Go: `netpollinited() && (netpollWaiters > 0 || pollUntil
    /// != 0) && sched.lastpoll.Swap(0) != 0`). Returns whether it polled
    /// and whether it should then stay out of the poller; the ready tasks
    /// are injected.
    pub(super) fn netpoll_block(&self, park: &Arc<MPark>, timeout: Option<Duration>) -> Polled {
        let np = &self.netpoll;
        if np.poller.get().is_none()
            || (np.waiters.load(Ordering::Acquire) == 0 && timeout.is_none())
        {
            return Polled::No;
        }
        if !np.enter() {
            // Taken by an M blocked there: that M comes back to the poller
            // by itself (see below), so this one sleeps until `startm`
            // needs it (Go's stopm when `sched.lastpoll` is 0).
            if np.blocked_until.load(Ordering::SeqCst) != NOT_BLOCKED {
                return Polled::No;
            }
            // Taken by a non-blocking poll: its M wakes one of us when it
            // leaves. Raise the flag, then look again (Dekker pair with
            // `netpoll_leave`).
            np.want_poller.store(true, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if !np.enter() {
                return Polled::No;
            }
        }
        {
            let mut slot = lock(&park.slot);
            if slot.next_p.is_some() || slot.kicked || self.shutdown.load(Ordering::Acquire) {
                drop(slot);
                self.netpoll_leave();
                return Polled::No;
            }
            // From here `startm` and the timer kicks interrupt the poller.
            slot.in_poller = true;
        }
        // Publish the deadline, then read the timers again: a timer added
        // meanwhile either is seen here or sees this M blocked and
        // interrupts it (Dekker pair with `wake_net_poller`).
        let now = self.now_nanos();
        let deadline = timeout.map_or(NO_DEADLINE, |t| {
            now.saturating_add(t.as_nanos() as u64).max(1)
        });
        np.blocked_until.store(deadline, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let timeout = match self.earliest_timer() {
            Some(when) if when < deadline => Some(Duration::from_nanos(when.saturating_sub(now))),
            _ => timeout,
        };
        let mut tasks = np.poll(self, timeout);
        np.blocked_until.store(NOT_BLOCKED, Ordering::SeqCst);
        lock(&park.slot).in_poller = false;
        np.last_poll
            .store(self.now_nanos().max(1), Ordering::Release);
        let own = if tasks.is_empty() {
            None
        } else {
            self.acquire_idle_p_after_poll(park)
        };
        if own.is_none() && !tasks.is_empty() {
            // Go: with no idle P, the M injects the list (all to the global
            // queue) and stops (`stopm`): it does not poll again until
            // `startm` or a kick wakes it. The Ms holding the Ps, busy now,
            // poll (non-blocking) when they run dry, taking whatever became
            // ready meanwhile in one batch, rather than this M waking in
            // the poller for each event to pass it on. It leaves as a
            // non-blocking poll does, waking an idle M that wanted in.
            self.netpoll_leave();
            self.inject_glist(tasks, None);
            return Polled::StayOut;
        }
        // Otherwise this M comes back to the poller itself: with a P when
        // the P runs dry, without one straight from `stopm`'s loop (as Go's
        // M goes back to the top of findrunnable after `acquirep`). So it
        // wakes nobody to take its place.
        np.in_poller.store(false, Ordering::SeqCst);
        if let Some(p) = own {
            // Go: findrunnable returns the first ready task to run on this
            // M (`list.pop()`) and injects only the rest, so with idle Ps
            // the first does not go to the global queue with an M started
            // for it. The P is idle until now, so its ring is empty and
            // this task is the next to run.
            let first = tasks.remove(0);
            // SAFETY: 1. R1: this M owns P `p`: it took it from the idle
            // list (or `startm` handed it over) through its park slot,
            // where `stopm` collects it; no other thread uses it meanwhile.
            if let Some(batch) = unsafe { self.ps[p].runq.put(first, false) } {
                for t in batch {
                    self.global_put(t);
                }
            }
        }
        self.inject_glist(tasks, own);
        Polled::Yes
    }

    /// Go: findrunnable after its blocking netpoll, `pidleget` then
    /// `acquirep`: the M that polled takes an idle P for itself and runs
    /// the ready tasks there, instead of waking another M to do it (a
    /// thread switch per readiness event). Leaves this M's idle-list entry
    /// and hands it the P through its park slot, where `stopm` collects it;
    /// if `startm` already handed it one meanwhile, that P is the answer.
    /// None when no P is idle: the tasks then go to the global queue.
    fn acquire_idle_p_after_poll(&self, park: &Arc<MPark>) -> Option<usize> {
        let mut s = lock(&self.sched);
        let mut slot = lock(&park.slot);
        if let Some(p) = slot.next_p {
            return Some(p);
        }
        let p = self.pidleget(&mut s)?;
        if let Some(i) = s.idle_ms.iter().position(|x| Arc::ptr_eq(x, park)) {
            s.idle_ms.swap_remove(i);
            s.nmidle -= 1;
        }
        slot.next_p = Some(p);
        slot.spinning = false;
        Some(p)
    }

    /// Go: `wakeNetPoller(when)`, after a task holding a P added a timer
    /// due at `when`. If an M is blocked in the poller until later than
    /// `when`, interrupts it (it then sleeps until the new earliest timer);
    /// if none is blocked there, `wakep` (an M that finds nothing to run
    /// then blocks in the poller until the earliest timer). Nothing is
    /// written when the blocked M already wakes by `when`, and nothing is
    /// done at all before the poller exists: then it returns false (idle
    /// Ms sleep on their condition variables, see `Shared::timer_added`).
    pub(crate) fn wake_net_poller(&self, when: u64) -> bool {
        let np = &self.netpoll;
        if np.poller.get().is_none() {
            return false;
        }
        // The timer's push is ordered before this read (see `netpoll_block`).
        fence(Ordering::SeqCst);
        match np.blocked_until.load(Ordering::SeqCst) {
            NOT_BLOCKED => self.wakep_after_global_put(),
            until if until > when => np.interrupt(),
            _ => {}
        }
        true
    }

    /// Leaves the poller; wakes an idle M if one wanted in meanwhile.
    fn netpoll_leave(&self) {
        let np = &self.netpoll;
        np.in_poller.store(false, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if np.want_poller.load(Ordering::SeqCst) && np.want_poller.swap(false, Ordering::SeqCst) {
            self.kick_timer_sleeper();
        }
    }

    /// Sysmon's poll: when nobody has polled for [`NETPOLL_SYSMON_AFTER`].
    pub(super) fn netpoll_sysmon(&self, now: u64) {
        let np = &self.netpoll;
        let last = np.last_poll.load(Ordering::Acquire);
        let after = NETPOLL_SYSMON_AFTER.as_nanos() as u64;
        if !np.worth_polling() || last.saturating_add(after) > now || !np.enter() {
            return;
        }
        let tasks = np.poll(self, Some(Duration::ZERO));
        np.last_poll.store(now.max(1), Ordering::Release);
        self.netpoll_leave();
        self.inject_glist(tasks, None);
    }

    /// `block_on` is about to park M0, or a future on a thread outside the
    /// runtime started waiting on a socket: if tasks wait on I/O and no M
    /// is in the poller, wake an idle M to become it, or start one if the
    /// runtime has no worker M yet. When every worker M is busy, nothing is
    /// done: each of them polls when it runs out of work (`find_runnable`,
    /// then `stopm`), and sysmon polls if none has for 10 ms. An M on its
    /// way into `stopm` pushes itself on the idle list under `sched.lock`
    /// and then reads `waiters`, so it either is seen here or sees the
    /// waiter and takes the poller.
    pub(crate) fn netpoll_ensure_poller(&self) {
        let np = &self.netpoll;
        if np.poller.get().is_none()
            || np.waiters.load(Ordering::Acquire) == 0
            || np.in_poller.load(Ordering::Acquire)
        {
            return;
        }
        let s = lock(&self.sched);
        if self.kick_idle_m(&s) {
            return;
        }
        let workers = s.mcount;
        drop(s);
        if workers == 0 {
            self.startm(None, false);
        }
    }

    /// Go: `injectglist`. With P `p` (owned by the caller): one task per
    /// idle P to the global queue, an M started for each, the rest to the
    /// P's ring. Without: all to the global queue, an M per idle P.
    pub(super) fn inject_glist(&self, mut tasks: Vec<Arc<Task>>, p: Option<usize>) {
        if tasks.is_empty() {
            return;
        }
        let to_global = match p {
            Some(_) => tasks.len().min(self.npidle.load(Ordering::SeqCst) as usize),
            None => tasks.len(),
        };
        let local = tasks.split_off(to_global);
        let n = tasks.len();
        for t in tasks {
            self.global_put(t);
        }
        if let Some(p) = p {
            for t in local {
                // SAFETY: 1. R1: the caller owns P `p` in scheduler context.
                if let Some(batch) = unsafe { self.ps[p].runq.put(t, false) } {
                    for t in batch {
                        self.global_put(t);
                    }
                }
            }
        }
        // Go: `startIdle(n)`.
        for _ in 0..n {
            if self.npidle.load(Ordering::SeqCst) == 0 {
                break;
            }
            self.startm(None, false);
        }
    }

    /// Interrupts the poller if the M behind `park` is blocked in it.
    pub(super) fn netpoll_wake_m(&self, in_poller: bool) {
        if in_poller {
            self.netpoll.interrupt();
        }
    }

    /// Teardown: wakes the poller and drops every pollDesc.
    pub(super) fn netpoll_teardown(&self) {
        self.netpoll.interrupt();
        let all = core::mem::take(&mut *lock(&self.netpoll.descs));
        drop(all);
    }
}
