//! loom models of the netpoller's two hand-offs (`runtime/netpoll.rs`):
//!
//! 1. netpollBreak: `startm` hands a P to an idle M that is about to block
//!    in the poller. The M sets `slot.in_poller` under the slot lock only
//!    if `slot.next_p` is empty; `startm` fills `next_p` under the same lock
//!    and interrupts the poller if it saw `in_poller`. The poller's notify
//!    is sticky (a notify before the wait makes the wait return). So the M
//!    never blocks with a P waiting for it.
//! 2. One M in the poller: an idle M that finds the poller taken by a
//!    non-blocking poll raises `want_poller`, then tries again; the M
//!    leaving the non-blocking poll clears `in_poller`, then reads
//!    `want_poller` and wakes an idle M (SeqCst Dekker pair). So the
//!    poller is never left empty while an idle M sleeps believing it
//!    taken. (An M leaving a blocking poll comes back by itself, so an
//!    idle M that finds one there sleeps without the flag; one that does
//!    not come back, having readied tasks with every P busy, leaves as a
//!    non-blocking poll does, which is this hand-off.)
//! 3. wakeNetPoller: an M blocking in the poller publishes its deadline in
//!    `blocked_until`, then reads the timers again; a task adding an
//!    earlier timer pushes it, then reads `blocked_until` and interrupts
//!    the poller if that deadline is later (SeqCst fences on both sides).
//!    So the M never sleeps past a timer added while it was on its way in.
//!
//! The executor is std-only, so the models restate those steps with the
//! same atomics and orderings; a lost wake shows up as a loom deadlock.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosched --test loom_netpoll`
#![cfg(loom)]

use gocore::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// The OS poller: a wait that returns once notified (sticky, as `polling`'s
/// notify: an eventfd write).
#[derive(Default)]
struct Poller {
    notified: Mutex<bool>,
    cv: Condvar,
}

impl Poller {
    fn notify(&self) {
        *self.notified.lock().unwrap() = true;
        self.cv.notify_all();
    }
    fn wait(&self) {
        let mut n = self.notified.lock().unwrap();
        while !*n {
            n = self.cv.wait(n).unwrap();
        }
        *n = false;
    }
}

#[derive(Default)]
struct Slot {
    next_p: Option<usize>,
    in_poller: bool,
}

#[test]
fn startm_interrupts_the_m_blocked_in_the_poller() {
    loom::model(|| {
        let poller = Arc::new(Poller::default());
        let slot = Arc::new(Mutex::new(Slot::default()));
        let m = {
            let (poller, slot) = (poller.clone(), slot.clone());
            thread::spawn(move || {
                // netpoll_block: give up if a P is already there.
                {
                    let mut s = slot.lock().unwrap();
                    if s.next_p.is_some() {
                        return s.next_p.take();
                    }
                    s.in_poller = true;
                }
                poller.wait();
                let mut s = slot.lock().unwrap();
                s.in_poller = false;
                // stopm: the P handed over meanwhile.
                s.next_p.take()
            })
        };
        // startm: fill the slot, interrupt the poller if the M is in it.
        let in_poller = {
            let mut s = slot.lock().unwrap();
            s.next_p = Some(0);
            s.in_poller
        };
        if in_poller {
            poller.notify();
        }
        assert_eq!(m.join().unwrap(), Some(0));
    });
}

struct NetPoll {
    in_poller: AtomicBool,
    want_poller: AtomicBool,
}

impl NetPoll {
    fn enter(&self) -> bool {
        self.in_poller
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

/// An idle M's park: woken by `kick_timer_sleeper`.
#[derive(Default)]
struct Park {
    kicked: Mutex<bool>,
    cv: Condvar,
}

#[test]
fn leaving_the_poller_wakes_an_m_that_wanted_in() {
    loom::model(|| {
        // A non-blocking poll (find_runnable's) holds the poller.
        let np = Arc::new(NetPoll {
            in_poller: AtomicBool::new(true),
            want_poller: AtomicBool::new(false),
        });
        let park = Arc::new(Park::default());
        let idle = {
            let (np, park) = (np.clone(), park.clone());
            thread::spawn(move || {
                // netpoll_block's entry.
                if np.enter() {
                    return true;
                }
                np.want_poller.store(true, Ordering::SeqCst);
                fence(Ordering::SeqCst);
                if np.enter() {
                    return true;
                }
                // Taken: sleep on the condition variable until kicked, then
                // (in stopm's loop) try the poller again.
                let mut k = park.kicked.lock().unwrap();
                while !*k {
                    k = park.cv.wait(k).unwrap();
                }
                np.enter()
            })
        };
        // netpoll_leave.
        np.in_poller.store(false, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if np.want_poller.load(Ordering::SeqCst) && np.want_poller.swap(false, Ordering::SeqCst) {
            *park.kicked.lock().unwrap() = true;
            park.cv.notify_all();
        }
        // The idle M ends up in the poller (nobody else enters here).
        assert!(idle.join().unwrap());
    });
}

#[test]
fn an_earlier_timer_interrupts_the_m_on_its_way_into_the_poller() {
    /// `blocked_until`: no M blocked.
    const NOT_BLOCKED: u64 = 0;
    /// The M's deadline from the timers it read before (the earliest one).
    const OLD_DEADLINE: u64 = 100;
    /// The timer the task adds, earlier than that.
    const NEW_TIMER: u64 = 10;
    loom::model(|| {
        let poller = Arc::new(Poller::default());
        let blocked_until = Arc::new(AtomicU64::new(NOT_BLOCKED));
        // A P's `timer0_when`, holding the timer the M's deadline came from.
        let timer0_when = Arc::new(AtomicU64::new(OLD_DEADLINE));
        let m = {
            let (poller, blocked_until, timer0_when) =
                (poller.clone(), blocked_until.clone(), timer0_when.clone());
            thread::spawn(move || {
                // netpoll_block: publish the deadline, read the timers again.
                blocked_until.store(OLD_DEADLINE, Ordering::SeqCst);
                fence(Ordering::SeqCst);
                let deadline = timer0_when.load(Ordering::Acquire).min(OLD_DEADLINE);
                if deadline > NEW_TIMER {
                    // Blocks until the old deadline: only an interrupt can
                    // wake it in time for the new timer.
                    poller.wait();
                }
                blocked_until.store(NOT_BLOCKED, Ordering::SeqCst);
            })
        };
        // A task holding a P: Sleep::poll's push, then wake_net_poller.
        timer0_when.fetch_min(NEW_TIMER, Ordering::AcqRel);
        fence(Ordering::SeqCst);
        let until = blocked_until.load(Ordering::SeqCst);
        if until != NOT_BLOCKED && until > NEW_TIMER {
            poller.notify();
        }
        // A lost interrupt leaves the M waiting forever: a loom deadlock.
        m.join().unwrap();
    });
}
