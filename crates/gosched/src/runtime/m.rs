//! The M (Go's `m`): how worker threads park, get started with a P, and
//! spin looking for work.
//!
//! # Protocol
//!
//! An M without work parks on its own [`MPark`] (a condition variable
//! plus the slot `startm` fills: the P to run with and whether to spin),
//! after pushing it on `Sched::idle_ms`. `startm` pops an idle M (or
//! starts a thread) and hands it a P. `wakep` starts at most one
//! *spinning* M (an M with a P and empty queues that looks for work to
//! steal), and only when a P is idle and no M spins already: a burst of
//! submissions wakes one M, which wakes the next when it finds work
//! (`reset_spinning`), and so on.
//!
//! - R4. A submission followed by `wakep` and a spinning M that stops
//!   spinning are ordered by SeqCst on `nmspinning` and the queues (the
//!   header comment of proc.go): the submitter stores the task then reads
//!   `nmspinning`; the last spinner decrements `nmspinning` then rereads
//!   every ring and the global queue ("delicate dance", in
//!   `find_runnable`). One of them sees the other, so a task is never left
//!   with every M parked. For a ring push the order comes from SeqCst
//!   fences on both sides; for the global queue from `sched.lock`, which
//!   the submitter holds for its push and the spinner takes for its
//!   recheck (so a global submission needs no fence: Go's `globrunqput`
//!   is under `sched.lock` as well). `tests/loom_park.rs` models both.
//!
//! An idle M with timers pending sleeps only until the earliest one, then
//! fires the due timers with an idle P (a condition-variable timeout, which
//! a timer that becomes its P's earliest shortens: `timer_added`; with
//! the `net` feature, once the poller exists, one idle M waits in the
//! netpoller instead while tasks wait on I/O or a timer is pending, and a
//! wake of that M, or a timer earlier than its deadline, interrupts the
//! poller). When every P is busy it fires them without a P, their tasks
//! going to the global queue (Go's M would leave them to the P's owner
//! and sleep; here it would otherwise wake at once for them, again and
//! again).

use alloc::sync::Arc;
use core::time::Duration;
use gocore::atomic::{fence, Ordering};
use std::sync::{Condvar, Mutex};

use crate::stats::Event;

use super::p::P_SCHED;
use super::{ctx_set_p, lock, CtxGuard, Sched, Shared};

/// Go: `m.park` plus what `startm` hands over (`m.nextp`, `m.spinning`).
pub(crate) struct MPark {
    pub(super) slot: Mutex<MSlot>,
    pub(super) cv: Condvar,
}

#[derive(Default)]
pub(super) struct MSlot {
    pub(super) next_p: Option<usize>,
    pub(super) spinning: bool,
    /// Woken without a P, to recompute its timer timeout.
    pub(super) kicked: bool,
    /// Blocked in the netpoller: a wake must interrupt it (netpollBreak).
    #[cfg(feature = "net")]
    pub(super) in_poller: bool,
}

/// What an M carries between scheduling decisions (Go: fields of `m`).
pub(crate) struct MState {
    pub(crate) p: Option<usize>,
    pub(crate) spinning: bool,
    pub(super) park: Option<Arc<MPark>>,
}

/// An M's thread: holds P `p` first, then schedules until shutdown.
fn m_main(shared: Arc<Shared>, p: usize, spinning: bool) {
    let _ctx = CtxGuard::enter(shared.clone());
    ctx_set_p(Some(p));
    let mut m = MState {
        p: Some(p),
        spinning,
        park: Some(Arc::new(MPark {
            slot: Mutex::new(MSlot::default()),
            cv: Condvar::new(),
        })),
    };
    shared.schedule(&mut m, None);
}

impl Shared {
    /// Go: `wakep`, after a push to a P's ring. Starts one spinning M if a
    /// P is idle and no M spins.
    pub(crate) fn wakep(&self) {
        // R4: the push (a Release store of the ring's tail) is ordered
        // before the reads below.
        fence(Ordering::SeqCst);
        self.wakep_after_global_put();
    }

    /// Go: `wakep`, after a push to the global queue. No fence: the push
    /// was made under `sched.lock`, and every M that gives up looking for
    /// work takes that lock to check the global queue *after* its own
    /// updates (`pidleput` under the lock, `nmspinning` decremented before
    /// its recheck takes the lock). So either that M sees the task, or the
    /// loads below see its updates.
    pub(crate) fn wakep_after_global_put(&self) {
        if self.npidle.load(Ordering::SeqCst) == 0 || self.nmspinning.load(Ordering::SeqCst) != 0 {
            return;
        }
        if self
            .nmspinning
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return;
        }
        self.startm(None, true);
    }

    /// Go: `startm(pp, spinning)`. Gives P `p` (or an idle P) to an idle M,
    /// or to a new thread.
    pub(crate) fn startm(self: &Shared, p: Option<usize>, spinning: bool) {
        let mut s = lock(&self.sched);
        let p = match p {
            Some(p) => p,
            None => match self.pidleget(&mut s) {
                Some(p) => p,
                None => {
                    drop(s);
                    if spinning {
                        // Go: "The caller incremented nmspinning, but there
                        // are no idle Ps, so it's okay to just undo the
                        // increment and give up."
                        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                    }
                    return;
                }
            },
        };
        self.ps[p].status.store(P_SCHED, Ordering::Release);
        self.record(|| Event::StartM { p, spinning });
        if let Some(m) = s.idle_ms.pop() {
            s.nmidle -= 1;
            let mut slot = lock(&m.slot);
            slot.next_p = Some(p);
            slot.spinning = spinning;
            #[cfg(feature = "net")]
            let in_poller = slot.in_poller;
            drop(slot);
            m.cv.notify_one();
            #[cfg(feature = "net")]
            self.netpoll_wake_m(in_poller);
            return;
        }
        if self.shutdown.load(Ordering::Acquire) {
            self.pidleput(&mut s, p);
            if spinning {
                self.nmspinning.fetch_sub(1, Ordering::SeqCst);
            }
            return;
        }
        s.mcount += 1;
        let shared = self.arc();
        let spawned = std::thread::Builder::new()
            .name("gosched-m".into())
            .spawn(move || m_main(shared, p, spinning));
        match spawned {
            Ok(t) => s.threads.push(t),
            Err(_) => {
                // Out of threads: give the P back; the work stays queued for
                // the Ms that exist.
                s.mcount -= 1;
                self.pidleput(&mut s, p);
                if spinning {
                    self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
    }

    /// Go: `addtimer`'s `wakeNetPoller(when)`, for a timer the owner of a P
    /// added to that P's heap, whose earliest `when` was `prev` before it.
    /// The P may stay in a long poll, so the timer cannot count on its own
    /// M: some other M (or a `block_on` thread) must sleep no later than
    /// it. With the netpoller, Go's rule ([`Shared::wake_net_poller`]).
    /// Without it, idle Ms sleep on condition variables until the earliest
    /// timer *when they parked*, so each sleeps no later than every timer
    /// that has been the earliest of its P since (by induction over the
    /// pushes): a timer later than `prev` is covered, and one earlier wakes
    /// an idle M to recompute its sleep (at most one lock per new
    /// earliest deadline of a P; the usual timer, later than those before
    /// it on its P, costs nothing).
    pub(crate) fn timer_added(&self, when: u64, prev: u64) {
        #[cfg(feature = "net")]
        if self.wake_net_poller(when) {
            return;
        }
        if when < prev {
            self.kick_timer_sleeper();
        }
    }

    /// Wakes one idle M without a P so that it recomputes its sleep until
    /// the earliest timer (Go: `wakeNetPoller`); starts one if none sleeps.
    pub(crate) fn kick_timer_sleeper(&self) {
        let s = lock(&self.sched);
        if self.kick_idle_m(&s) {
            return;
        }
        let m0 = s.m0s.first().cloned();
        let workers = s.mcount;
        drop(s);
        if let Some(t) = m0 {
            t.unpark();
        }
        if workers == 0 {
            self.startm(None, false);
        }
    }

    /// Wakes the idle M without a P that parked last, so that it goes
    /// through `stopm`'s loop again (recomputing its timer timeout, taking
    /// the poller); interrupts the poller if that M blocks there. False
    /// when no M is idle.
    pub(super) fn kick_idle_m(&self, s: &Sched) -> bool {
        let Some(m) = s.idle_ms.last() else {
            return false;
        };
        let mut slot = lock(&m.slot);
        slot.kicked = true;
        #[cfg(feature = "net")]
        self.netpoll_wake_m(slot.in_poller);
        drop(slot);
        m.cv.notify_one();
        true
    }

    /// Whether a task waits on a socket (Go: `netpollWaiters > 0`).
    fn io_waiters(&self) -> bool {
        #[cfg(feature = "net")]
        return self.netpoll.waiters.load(Ordering::Acquire) > 0;
        #[cfg(not(feature = "net"))]
        return false;
    }

    /// Go: `resetspinning`.
    pub(super) fn reset_spinning(&self, m: &mut MState) {
        m.spinning = false;
        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
        self.wakep();
    }

    /// Go: `stopm`. Parks this M on the idle list until `startm` hands it a
    /// P (or until the earliest timer is due: then it looks for an idle P
    /// and fires the due timers, with that P or, when every P is busy,
    /// without one). Returns false at shutdown.
    pub(super) fn stopm(&self, m: &mut MState) -> bool {
        let park = m.park.clone().expect("a worker M has a parker");
        loop {
            {
                let mut s = lock(&self.sched);
                if self.shutdown.load(Ordering::Acquire) {
                    return false;
                }
                s.idle_ms.push(park.clone());
                s.nmidle += 1;
                self.record(|| Event::StopM);
                if s.nmidle == s.mcount && !self.io_waiters() {
                    // Every M idle: let block_on threads check for deadlock.
                    // Not while a task waits on a socket: the network may
                    // wake it, so there is no deadlock to find (Go counts
                    // the M blocked in netpoll as running), and a server
                    // whose only M goes idle at every request would wake
                    // the block_on thread each time.
                    for t in &s.m0s {
                        t.unpark();
                    }
                }
            }
            let timeout = self
                .earliest_timer()
                .map(|w| w.saturating_sub(self.now_nanos()));
            // With the `net` feature, one idle M blocks in the poller instead.
            // After a poll that readied tasks with no idle P it sleeps here
            // as if it had not polled, until woken (Go's `stopm`), until
            // the earliest timer as it stands after the poll.
            #[cfg(feature = "net")]
            let (polled, timeout) =
                match self.netpoll_block(&park, timeout.map(Duration::from_nanos)) {
                    super::netpoll::Polled::Yes => (true, timeout),
                    super::netpoll::Polled::No => (false, timeout),
                    super::netpoll::Polled::StayOut => (
                        false,
                        self.earliest_timer()
                            .map(|w| w.saturating_sub(self.now_nanos())),
                    ),
                };
            #[cfg(not(feature = "net"))]
            let polled = false;
            let mut slot = lock(&park.slot);
            loop {
                if polled
                    || slot.next_p.is_some()
                    || slot.kicked
                    || self.shutdown.load(Ordering::Acquire)
                {
                    break;
                }
                match timeout {
                    Some(ns) => {
                        let (g, res) = park
                            .cv
                            .wait_timeout(slot, Duration::from_nanos(ns))
                            .unwrap_or_else(|e| e.into_inner());
                        slot = g;
                        if res.timed_out() {
                            break;
                        }
                    }
                    None => slot = park.cv.wait(slot).unwrap_or_else(|e| e.into_inner()),
                }
            }
            slot.kicked = false;
            if let Some(p) = slot.next_p.take() {
                m.p = Some(p);
                m.spinning = slot.spinning;
                ctx_set_p(m.p);
                return true;
            }
            drop(slot);
            // Timed out or kicked: leave the idle list (unless startm is
            // handing us a P right now, which the slot shows under the lock).
            let mut s = lock(&self.sched);
            let mut slot = lock(&park.slot);
            if let Some(p) = slot.next_p.take() {
                m.p = Some(p);
                m.spinning = slot.spinning;
                ctx_set_p(m.p);
                return true;
            }
            drop(slot);
            if let Some(i) = s.idle_ms.iter().position(|x| Arc::ptr_eq(x, &park)) {
                s.idle_ms.swap_remove(i);
                s.nmidle -= 1;
            }
            if self.shutdown.load(Ordering::Acquire) {
                return false;
            }
            let due = self.earliest_timer().is_some_and(|w| w <= self.now_nanos());
            if due {
                if let Some(p) = self.pidleget(&mut s) {
                    drop(s);
                    m.p = Some(p);
                    ctx_set_p(m.p);
                    self.run_all_due_timers();
                    return true;
                }
                // Every P is busy: fire the due timers without one (their
                // tasks go to the global queue, as any wake from a thread
                // without a P), so this M sleeps until the next timer
                // instead of waking at once, again and again, for one it
                // cannot run while the P's poll lasts.
                drop(s);
                self.run_all_due_timers();
            }
        }
    }
}
