//! loom model of the spin/park protocol (sched.md: proc.go's header comment,
//! the runtime's rule R4): a task submitted while the last spinning M stops
//! spinning is never left with every M parked; nor is a collector's mark
//! work published while an M parks (the GC-worker recheck).
//!
//! The executor's code is std-only, so this models its two sides with the
//! same atomics and orderings as `Shared::wakep` and the "delicate dance" in
//! `find_runnable`:
//!
//! ```text
//!   submitter                          last spinner
//!   queue_len += 1 (Relaxed)           nmspinning -= 1 (SeqCst)
//!   fence(SeqCst)                      fence(SeqCst)
//!   if npidle > 0 && nmspinning == 0   if queue_len > 0 || any ring non-empty:
//!       CAS nmspinning 0→1, startm          take an idle P, spin again
//! ```
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosched --test loom_park`
#![cfg(loom)]

use gocore::atomic::{fence, AtomicU32, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

struct Sched {
    queue_len: AtomicUsize,
    nmspinning: AtomicU32,
    npidle: AtomicU32,
}

/// Go's `wakep`; returns whether it started an M.
fn wakep(s: &Sched) -> bool {
    fence(Ordering::SeqCst);
    if s.npidle.load(Ordering::SeqCst) == 0 || s.nmspinning.load(Ordering::SeqCst) != 0 {
        return false;
    }
    s.nmspinning
        .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
}

#[test]
fn no_lost_wakeup_when_last_spinner_parks() {
    loom::model(|| {
        let s = Arc::new(Sched {
            queue_len: AtomicUsize::new(0),
            nmspinning: AtomicU32::new(1),
            // The spinner already released its P.
            npidle: AtomicU32::new(1),
        });
        let s2 = s.clone();
        let submitter = thread::spawn(move || {
            s2.queue_len.fetch_add(1, Ordering::Relaxed);
            wakep(&s2)
        });
        // The last spinner drops the spinning state, then looks again.
        s.nmspinning.fetch_sub(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let found = s.queue_len.load(Ordering::SeqCst) > 0;
        let started = submitter.join().unwrap();
        assert!(found || started, "task submitted, yet every M parks");
    });
}

/// Two submitters and the spinner: at most one extra M is started per
/// window (wakep's CAS), and still nothing is lost.
#[test]
fn at_most_one_wakeup_per_spinner_slot() {
    loom::model(|| {
        let s = Arc::new(Sched {
            queue_len: AtomicUsize::new(0),
            nmspinning: AtomicU32::new(0),
            npidle: AtomicU32::new(1),
        });
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let s = s.clone();
                thread::spawn(move || {
                    s.queue_len.fetch_add(1, Ordering::Relaxed);
                    wakep(&s)
                })
            })
            .collect();
        let started: usize = ts.into_iter().map(|t| t.join().unwrap() as usize).sum();
        assert_eq!(started, 1, "exactly one spinner for two submissions");
    });
}

/// The global queue's variant of R4: the submitter pushes under the lock
/// and reads `npidle`/`nmspinning` without a fence; the last spinner drops
/// spinning, then checks the queue under the same lock
/// (`Shared::wakep_after_global_put` and the recheck in `find_runnable`).
#[test]
fn no_lost_wakeup_through_the_global_queue_lock() {
    loom::model(|| {
        let queue = Arc::new(loom::sync::Mutex::new(0usize));
        let s = Arc::new(Sched {
            queue_len: AtomicUsize::new(0),
            nmspinning: AtomicU32::new(1),
            npidle: AtomicU32::new(1),
        });
        let (s2, q2) = (s.clone(), queue.clone());
        let submitter = thread::spawn(move || {
            *q2.lock().unwrap() += 1;
            if s2.npidle.load(Ordering::SeqCst) == 0 || s2.nmspinning.load(Ordering::SeqCst) != 0 {
                return false;
            }
            s2.nmspinning
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        });
        s.nmspinning.fetch_sub(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let found = *queue.lock().unwrap() > 0;
        let started = submitter.join().unwrap();
        assert!(found || started, "task submitted, yet every M parks");
    });
}

/// The GC-worker variant (`Shared::gc_work_waiting`, Go's "check for
/// idle-priority GC work again"): a collector switches its worker on and
/// publishes mark work (relaxed stores, as the switch and `World`'s
/// buffer-count hint are), then wakes a P; an M that was not spinning puts
/// its P on the idle list (`npidle` +1, SeqCst), fences and reads the
/// switch and the work. Either the wake starts an M, or the parking M sees
/// the work and takes a P back.
#[test]
fn no_lost_wakeup_for_gc_work_published_while_an_m_parks() {
    loom::model(|| {
        let s = Arc::new(Sched {
            queue_len: AtomicUsize::new(0),
            nmspinning: AtomicU32::new(0),
            // The other P runs the collector's owner.
            npidle: AtomicU32::new(0),
        });
        let active = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let (s2, active2) = (s.clone(), active.clone());
        let collector = thread::spawn(move || {
            active2.store(true, Ordering::Relaxed);
            // The mark work, in `queue_len`'s place.
            s2.queue_len.fetch_add(1, Ordering::Relaxed);
            wakep(&s2)
        });
        // `pidleput`, then the recheck before `stopm`.
        s.npidle.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let found = active.load(Ordering::Relaxed) && s.queue_len.load(Ordering::Relaxed) > 0;
        let started = collector.join().unwrap();
        assert!(found || started, "GC work published, yet every M parks");
    });
}
