//! loom models of the P's ring: the owner's push/pop and overflow racing a
//! thief's steal; every task must come out exactly once.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gosched --test loom_runq`
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;

use gosched::runq::RunQueue;

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v
}

/// Owner pushes and pops while a thief steals half: no task lost or doubled.
#[test]
fn push_pop_race_steal() {
    loom::model(|| {
        let victim: Arc<RunQueue<Box<u32>>> = Arc::new(RunQueue::new(4));
        let thief_q: Arc<RunQueue<Box<u32>>> = Arc::new(RunQueue::new(4));
        // SAFETY: this thread is the victim's only owner until the spawn.
        unsafe {
            assert!(victim.put(Box::new(0), false).is_none());
            assert!(victim.put(Box::new(1), false).is_none());
        }
        let (v2, t2) = (victim.clone(), thief_q.clone());
        let thief = thread::spawn(move || {
            let mut got = Vec::new();
            // SAFETY: this thread is the only owner of `t2`.
            if let Some((first, _)) = unsafe { t2.steal_from(&v2, false, &mut || {}) } {
                got.push(*first);
                // SAFETY: as above.
                while let Some((x, _)) = unsafe { t2.get() } {
                    got.push(*x);
                }
            }
            got
        });
        let mut got = Vec::new();
        // SAFETY: the main thread stays the victim's only owner.
        unsafe {
            assert!(victim.put(Box::new(2), false).is_none());
            while let Some((x, _)) = victim.get() {
                got.push(*x);
            }
        }
        got.extend(thief.join().unwrap());
        assert_eq!(sorted(got), [0, 1, 2]);
    });
}

/// A full ring overflows while a thief steals: the overflow CAS and the
/// steal CAS race for the same head; items end up in exactly one place.
#[test]
fn overflow_race_steal() {
    loom::model(|| {
        let victim: Arc<RunQueue<Box<u32>>> = Arc::new(RunQueue::new(2));
        let thief_q: Arc<RunQueue<Box<u32>>> = Arc::new(RunQueue::new(2));
        // SAFETY: only owner before the spawn.
        unsafe {
            assert!(victim.put(Box::new(0), false).is_none());
            assert!(victim.put(Box::new(1), false).is_none());
        }
        let (v2, t2) = (victim.clone(), thief_q.clone());
        let thief = thread::spawn(move || {
            // SAFETY: only owner of `t2`.
            let stolen = unsafe { t2.steal_from(&v2, false, &mut || {}) };
            let mut got: Vec<u32> = stolen.into_iter().map(|(x, _)| *x).collect();
            // SAFETY: as above.
            while let Some((x, _)) = unsafe { t2.get() } {
                got.push(*x);
            }
            got
        });
        // SAFETY: the main thread stays the victim's only owner.
        let batch = unsafe { victim.put(Box::new(2), false) };
        let mut got: Vec<u32> = batch.into_iter().flatten().map(|x| *x).collect();
        // SAFETY: as above.
        while let Some((x, _)) = unsafe { victim.get() } {
            got.push(*x);
        }
        got.extend(thief.join().unwrap());
        assert_eq!(sorted(got), [0, 1, 2]);
    });
}

/// The owner's `runnext` swap and get race a last-pass thief taking
/// `runnext`: exactly one of them gets each task.
#[test]
fn runnext_race_steal() {
    loom::model(|| {
        let victim: Arc<RunQueue<Box<u32>>> = Arc::new(RunQueue::new(2));
        let thief_q: Arc<RunQueue<Box<u32>>> = Arc::new(RunQueue::new(2));
        // SAFETY: only owner before the spawn.
        unsafe { assert!(victim.put(Box::new(0), true).is_none()) };
        let (v2, t2) = (victim.clone(), thief_q.clone());
        let thief = thread::spawn(move || {
            // SAFETY: only owner of `t2`.
            let stolen = unsafe { t2.steal_from(&v2, true, &mut || {}) };
            stolen.into_iter().map(|(x, _)| *x).collect::<Vec<u32>>()
        });
        let mut got = Vec::new();
        // SAFETY: the main thread stays the victim's only owner.
        unsafe {
            assert!(victim.put(Box::new(1), true).is_none());
            while let Some((x, _)) = victim.get() {
                got.push(*x);
            }
        }
        got.extend(thief.join().unwrap());
        assert_eq!(sorted(got), [0, 1]);
    });
}
