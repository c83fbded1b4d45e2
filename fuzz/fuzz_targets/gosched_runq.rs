//! Differential fuzzing of gosched's run ring against a `VecDeque` model:
//! random sequences of owner pushes (to the tail or `runnext`), pops,
//! overflow batches and steals between two rings (with and without
//! `runnext`), checking every task comes out in Go's order, exactly once.
#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use gosched::runq::RunQueue;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Put { q: bool, next: bool },
    Get { q: bool },
    Steal { into_b: bool, runnext: bool },
}

/// The model of one P: Go's runqput/runqget/runqgrab in plain collections.
#[derive(Default)]
struct Model {
    ring: VecDeque<u32>,
    runnext: Option<u32>,
}

impl Model {
    fn put(&mut self, v: u32, next: bool, cap: usize) -> Option<Vec<u32>> {
        let mut v = v;
        if next {
            match self.runnext.replace(v) {
                Some(old) => v = old,
                None => return None,
            }
        }
        if self.ring.len() < cap {
            self.ring.push_back(v);
            return None;
        }
        let mut batch: Vec<u32> = self.ring.drain(..cap / 2).collect();
        batch.push(v);
        Some(batch)
    }

    fn get(&mut self) -> Option<(u32, bool)> {
        if let Some(v) = self.runnext.take() {
            return Some((v, true));
        }
        self.ring.pop_front().map(|v| (v, false))
    }

    /// Go's runqsteal: ceil(half) of the victim's ring (bounded by the
    /// thief's free space), oldest first; the newest stolen one is returned.
    fn steal_into(victim: &mut Model, thief: &mut Model, runnext: bool, cap: usize) -> Option<(u32, usize)> {
        let len = victim.ring.len();
        let mut n = len - len / 2;
        if n == 0 {
            if runnext && thief.ring.len() < cap {
                return victim.runnext.take().map(|v| (v, 1));
            }
            return None;
        }
        n = n.min(cap - thief.ring.len());
        if n == 0 {
            return None;
        }
        let mut stolen: Vec<u32> = victim.ring.drain(..n).collect();
        let last = stolen.pop().expect("n > 0");
        thief.ring.extend(stolen);
        Some((last, n))
    }
}

const CAP: usize = 8;

fuzz_target!(|ops: Vec<Op>| {
    let qs: [RunQueue<Box<u32>>; 2] = [RunQueue::new(CAP), RunQueue::new(CAP)];
    let mut models = [Model::default(), Model::default()];
    let mut next_id = 0u32;
    for op in ops {
        match op {
            Op::Put { q, next } => {
                let i = q as usize;
                next_id += 1;
                // SAFETY: this thread owns both queues.
                let got = unsafe { qs[i].put(Box::new(next_id), next) }.map(|b| b.into_iter().map(|x| *x).collect::<Vec<_>>());
                assert_eq!(got, models[i].put(next_id, next, CAP));
            }
            Op::Get { q } => {
                let i = q as usize;
                // SAFETY: this thread owns both queues.
                let got = unsafe { qs[i].get() }.map(|(x, inherit)| (*x, inherit));
                assert_eq!(got, models[i].get());
            }
            Op::Steal { into_b, runnext } => {
                let (t, v) = if into_b { (1, 0) } else { (0, 1) };
                // SAFETY: this thread owns both queues.
                let got = unsafe { qs[t].steal_from(&qs[v], runnext, &mut || {}) }.map(|(x, n)| (*x, n));
                let (a, b) = models.split_at_mut(1);
                let (victim, thief) = if into_b { (&mut a[0], &mut b[0]) } else { (&mut b[0], &mut a[0]) };
                assert_eq!(got, Model::steal_into(victim, thief, runnext, CAP));
            }
        }
        for i in 0..2 {
            assert_eq!(qs[i].len(), models[i].ring.len());
            assert_eq!(qs[i].has_runnext(), models[i].runnext.is_some());
        }
    }
    // Drain: the remaining order matches too.
    for i in 0..2 {
        loop {
            // SAFETY: this thread owns both queues.
            let got = unsafe { qs[i].get() }.map(|(x, inherit)| (*x, inherit));
            let want = models[i].get();
            assert_eq!(got, want);
            if got.is_none() {
                break;
            }
        }
    }
});
