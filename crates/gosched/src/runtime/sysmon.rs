//! Sysmon, Go's monitor thread: retakes Ps from polls that block their M,
//! ends 10 ms time slices, wakes Ms for overdue timers; and `handoffp`,
//! which finds a new M for a P its M gives up.
//!
//! # Loop
//!
//! Sysmon sleeps [`SYSMON_MIN_SLEEP`] (20 µs), doubling after 50 rounds
//! that found nothing to do, up to [`SYSMON_MAX_SLEEP`] (10 ms). Each
//! round, per P in `P_RUNNING`: it remembers the poll counter and the ring's
//! push counter (Go's `sysmontick`); when neither moved for long enough it
//! CASes the P `P_RUNNING → P_SCHED` (R2 in [`super::p`]) and hands it off.
//! After a 10 ms nap in which no P left the idle list, with every P still
//! idle, it sleeps until the earliest timer (Go's `sysmonwait`, at most
//! [`SYSMON_DEEP_SLEEP`]); a P leaving the idle list wakes it.
//!
//! # Divergences
//!
//! - A future cannot be preempted, nor say that it blocks. A poll that has
//!   run for [`Builder::retake_after`](super::Builder::retake_after)
//!   (default [`DEFAULT_RETAKE_AFTER`], seen on at least two sysmon ticks)
//!   without pushing to its ring (a poll that spawns or wakes tasks is
//!   making progress; with the `net` feature, so is one that makes socket
//!   system calls, Go's `syscalltick`) while its P has queued work is
//!   treated like Go's syscall: sysmon takes the P (`retake`) and hands
//!   it to another M, so the queued tasks run; the stuck M finishes its
//!   poll without a P (a task that finished then goes on the global free
//!   list: `gfree.rs`). With no queued work the P is taken after 10 ms, or
//!   as soon as no other M could run new work.
//! - Sysmon's fully backed-off nap ([`SYSMON_KICKABLE_NAP`], 10 ms) is cut
//!   short when a P leaves the idle list, so a poll that blocks right after
//!   a long quiet spell is still noticed within about 0.2 ms; after such a
//!   kick the nap doubles again from the first quiet round. Go wakes
//!   sysmon only from its deep sleep (`sysmonwait`), which a blocking
//!   syscall's `entersyscall` ends; a future that blocks tells nobody,
//!   hence the kick. Shorter naps run out (a blocking poll then waits for
//!   the current nap, at most 10 ms, as in Go): a server whose P goes idle
//!   and busy at every request would otherwise kick sysmon every few
//!   milliseconds and pay for each kick with a handful of short naps.
//! - Go's sysmon sleeps (`sysmonwait`) whenever a nap ends with every P
//!   idle, until the next timer, and the next system call of a goroutine
//!   (`entersyscall`) or one leaving a syscall for an idle P wakes it.
//!   Here the deep sleep starts only after a whole 10 ms nap in which no P
//!   left the idle list, and a P leaving it (`pidleget`, and
//!   `exit_blocking`, Go's `exitsyscall`) ends it. With Go's rule a
//!   one-connection server, whose P is idle between requests, woke sysmon
//!   at about every other request (1.5-2.2 context switches per request
//!   instead of 1.0; Go's server: 1.1-2.4) and lost half its throughput on
//!   a loaded machine (see the crate README); an idle runtime's sysmon
//!   sleeps as Go's does.
//! - A chain of `runnext` hand-offs sharing one time slice for 10 ms
//!   ([`FORCE_PREEMPT`], Go's `forcePreemptNS`) is ended by moving the
//!   `runnext` task to the global queue (the effect of Go preempting it).

use alloc::sync::Arc;
use core::time::Duration;
use gocore::atomic::Ordering;

use crate::stats::Event;

use super::p::{P_PUSHING, P_RUNNING, P_SCHED};
use super::{lock, Shared};

/// Go: `forcePreemptNS` (10 ms), the time slice.
pub const FORCE_PREEMPT: Duration = Duration::from_millis(10);

/// Go: sysmon's shortest sleep, `usleep(delay)` with `delay = 20`.
pub const SYSMON_MIN_SLEEP: Duration = Duration::from_micros(20);

/// Go: sysmon's longest sleep, 10 ms.
pub const SYSMON_MAX_SLEEP: Duration = Duration::from_millis(10);

/// Sysmon's nap is cut short when a P leaves the idle list only once it is
/// at least this long (its longest, [`SYSMON_MAX_SLEEP`], as Go wakes
/// sysmon only from its deep sleep); shorter naps run out, so a server
/// whose Ps go idle and busy again at every request does not wake sysmon
/// each time.
pub const SYSMON_KICKABLE_NAP: Duration = SYSMON_MAX_SLEEP;

/// Go: the longest deep sleep of sysmon with every P idle and no timer
/// due sooner, `forcegcperiod / 2` (60 s).
pub const SYSMON_DEEP_SLEEP: Duration = Duration::from_secs(60);

/// The default of [`Builder::retake_after`](crate::Builder::retake_after).
pub const DEFAULT_RETAKE_AFTER: Duration = Duration::from_micros(100);

/// Go: `sysmon`. Sleeps 20 µs, doubling after 50 idle rounds up to 10 ms;
/// each round takes Ps from polls that block their M (`retake`), flags
/// 10 ms time slices, and starts an M for overdue timers.
pub(super) fn sysmon(shared: Arc<Shared>) {
    let procs = shared.ps.len();
    // Per P: (poll_seq, ticks seen unchanged, when first seen) and
    // (schedtick, when first seen): Go's `sysmontick`.
    let mut polls = alloc::vec![(0u32, 0u32, 0u64); procs];
    let mut slices = alloc::vec![(0u32, 0u64); procs];
    let mut delay = SYSMON_MIN_SLEEP;
    let mut idle = 0u32;
    loop {
        if idle == 0 {
            delay = SYSMON_MIN_SLEEP;
        } else if idle > 50 {
            delay = (delay * 2).min(SYSMON_MAX_SLEEP);
        }
        let kickable = delay >= SYSMON_KICKABLE_NAP;
        {
            let g = lock(&shared.sysmon_wake.0);
            if shared.shutdown.load(Ordering::Acquire) {
                break;
            }
            shared.sysmon_napping.store(kickable, Ordering::Relaxed);
            if !shared.sysmon_kicked.load(Ordering::Acquire) {
                let _ = shared.sysmon_wake.1.wait_timeout(g, delay);
            }
            shared.sysmon_napping.store(false, Ordering::Relaxed);
        }
        if shared.sysmon_kicked.swap(false, Ordering::AcqRel) {
            // Back to 20 µs ticks, doubling again from the next quiet round
            // (not after 50 of them): a poll that blocks is seen on two
            // ticks 40 µs apart and taken within about 0.2 ms, and a P that
            // only went busy costs sysmon a handful of wake-ups.
            idle = 50;
            delay = SYSMON_MIN_SLEEP;
        } else if kickable
            && !shared.shutdown.load(Ordering::Acquire)
            && shared.npidle.load(Ordering::SeqCst) as usize == procs
            && sysmon_wait(&shared, procs)
        {
            // A whole 10 ms nap went by with no P leaving the idle list and
            // every P is idle: the deep sleep (see `sysmon_wait`). A kick
            // ends it as it ends a nap. (Go's `syscallWake` resets `idle` to
            // 0: 50 rounds of 20 µs before doubling; here that would cost
            // 50 wake-ups each time a timer ends a quiet spell.)
            idle = 50;
            delay = SYSMON_MIN_SLEEP;
        }
        if shared.shutdown.load(Ordering::Acquire) {
            break;
        }
        let now = shared.now_nanos();
        shared.coarse_now.store(now, Ordering::Relaxed);
        #[cfg(feature = "net")]
        shared.netpoll_sysmon(now);
        if shared.earliest_timer().is_some_and(|w| w <= now)
            && shared.npidle.load(Ordering::SeqCst) as usize == procs
        {
            shared.kick_timer_sleeper();
        }
        if retake(&shared, now, &mut polls, &mut slices) > 0 {
            idle = 0;
        } else {
            idle += 1;
        }
    }
}

/// Go: sysmon's deep sleep (`sysmonwait`), once a 10 ms nap has ended with
/// every P idle and none taken from the idle list during it: sysmon sleeps
/// until the earliest timer (at most [`SYSMON_DEEP_SLEEP`]) or until a P
/// leaves the idle list (`pidleget` and `exit_blocking` kick it, see
/// [`Shared::wake_sysmon`]). Returns whether a kick ended the sleep.
///
/// No lost kick: `sysmon_wait` is raised with `sched` held after `npidle`
/// is read again under it, and `pidleget` lowers `npidle` and reads
/// `sysmon_wait` under the same lock; a kick sets `sysmon_kicked` before it
/// notifies under `sysmon_wake`'s mutex, where sysmon reads the flag before
/// it waits.
fn sysmon_wait(shared: &Shared, procs: usize) -> bool {
    let now = shared.now_nanos();
    let sleep = match shared.earliest_timer() {
        // Go: only when the next timer is in the future (`next > now`).
        Some(when) if when <= now => return false,
        Some(when) => Duration::from_nanos(when - now).min(SYSMON_DEEP_SLEEP),
        None => SYSMON_DEEP_SLEEP,
    };
    {
        let _s = lock(&shared.sched);
        if shared.npidle.load(Ordering::SeqCst) as usize != procs {
            return false;
        }
        shared.sysmon_wait.store(true, Ordering::SeqCst);
    }
    {
        let g = lock(&shared.sysmon_wake.0);
        if !shared.shutdown.load(Ordering::Acquire) && !shared.sysmon_kicked.load(Ordering::Acquire)
        {
            let _ = shared.sysmon_wake.1.wait_timeout(g, sleep);
        }
    }
    {
        let _s = lock(&shared.sched);
        shared.sysmon_wait.store(false, Ordering::SeqCst);
    }
    shared.sysmon_kicked.swap(false, Ordering::AcqRel)
}

/// Go: `retake`. Returns how many Ps it took.
pub(super) fn retake(
    shared: &Shared,
    now: u64,
    polls: &mut [(u32, u32, u64)],
    slices: &mut [(u32, u64)],
) -> usize {
    let mut n = 0;
    let force = FORCE_PREEMPT.as_nanos() as u64;
    for (i, pp) in shared.ps.iter().enumerate() {
        let st = pp.status.load(Ordering::Acquire);
        if st != P_RUNNING && st != P_PUSHING {
            polls[i].1 = 0;
            continue;
        }
        // A 10 ms time slice (a runnext chain): ask for preemption.
        let tick = pp.schedtick.load(Ordering::Relaxed);
        if slices[i].0 != tick {
            slices[i] = (tick, now);
        } else if now - slices[i].1 >= shared.time_slice {
            pp.preempt.store(true, Ordering::Release);
            slices[i].1 = now;
        }
        // Progress is a new poll, or a push to the ring during the poll (a
        // task spawning or waking others is running, not blocked): the
        // ring's tail counts pushes, so the hot path pays nothing for this.
        let seq = pp
            .poll_seq
            .load(Ordering::Relaxed)
            .wrapping_add(pp.runq.pushes().wrapping_mul(0x9E37_79B9));
        if polls[i].0 != seq || polls[i].1 == 0 {
            polls[i] = (seq, 1, now);
            continue;
        }
        polls[i].1 += 1;
        // Go's syscall rule: take the P when it has work and the poll is
        // old enough; without work, only if nobody else can run new work,
        // or after the 10 ms time slice.
        let age = now - polls[i].2;
        let has_work = !pp.runq.is_empty() || shared.global_len.load(Ordering::SeqCst) > 0;
        let others =
            shared.nmspinning.load(Ordering::SeqCst) + shared.npidle.load(Ordering::SeqCst) > 0;
        let take = if has_work {
            age >= shared.retake_after
        } else {
            age >= force.max(shared.retake_after) || (!others && age >= shared.retake_after)
        };
        if !take {
            continue;
        }
        if pp
            .status
            .compare_exchange(P_RUNNING, P_SCHED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            polls[i].1 = 0;
            n += 1;
            shared.record(|| Event::Retake { p: i });
            shared.handoffp(i);
        }
    }
    n
}

impl Shared {
    /// A P goes back to work (called with `sched` held): if sysmon is in
    /// its deep sleep ([`sysmon_wait`], Go's `sysmonwait`) or has backed
    /// off to its longest nap ([`SYSMON_KICKABLE_NAP`]), wake it so that a
    /// poll that blocks soon is noticed within about 0.2 ms, not after up
    /// to 10 ms or the next timer.
    pub(crate) fn wake_sysmon(&self) {
        if (self.sysmon_wait.load(Ordering::SeqCst) || self.sysmon_napping.load(Ordering::Relaxed))
            && !self.sysmon_kicked.swap(true, Ordering::AcqRel)
        {
            let _g = lock(&self.sysmon_wake.0);
            self.sysmon_wake.1.notify_one();
        }
    }

    /// Go: `handoffp`. Finds an M for P `p`, which the caller owns and
    /// gives up, or parks `p` on the idle list.
    pub(crate) fn handoffp(&self, p: usize) {
        self.record(|| Event::Handoff { p });
        if self.ps[p].has_local_work() || self.global_len.load(Ordering::SeqCst) > 0 {
            self.startm(Some(p), false);
            return;
        }
        if self.nmspinning.load(Ordering::SeqCst) + self.npidle.load(Ordering::SeqCst) == 0
            && self
                .nmspinning
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            self.startm(Some(p), true);
            return;
        }
        let mut s = lock(&self.sched);
        if !s.runq.is_empty() {
            drop(s);
            self.startm(Some(p), false);
            return;
        }
        self.pidleput(&mut s, p);
        let timers = self.ps[p].timer0_when.load(Ordering::Acquire) != u64::MAX;
        drop(s);
        if timers {
            self.kick_timer_sleeper();
        }
    }
}
