//! The P's ring on its own (single-threaded, so Miri runs it): `runnext`,
//! FIFO order, overflow batches, steal-half from the oldest end, and drops.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gosched::runq::{global_batch_size, RunQueue};

fn q(cap: usize) -> RunQueue<Box<u32>> {
    RunQueue::new(cap)
}

fn put(q: &RunQueue<Box<u32>>, v: u32, next: bool) -> Option<Vec<u32>> {
    // SAFETY: this test thread is the queue's only owner.
    unsafe { q.put(Box::new(v), next) }.map(|b| b.into_iter().map(|x| *x).collect())
}

fn get(q: &RunQueue<Box<u32>>) -> Option<(u32, bool)> {
    // SAFETY: this test thread is the queue's only owner.
    unsafe { q.get() }.map(|(v, inherit)| (*v, inherit))
}

/// sched.md (d)1/(c)1: a spawn takes `runnext`, the old one moves to the tail.
#[test]
fn runnext_first_then_fifo() {
    let q = q(8);
    for v in 0..3 {
        assert!(put(&q, v, true).is_none());
    }
    assert_eq!(get(&q), Some((2, true)));
    assert_eq!(get(&q), Some((0, false)));
    assert_eq!(get(&q), Some((1, false)));
    assert_eq!(get(&q), None);
    assert!(q.is_empty());
}

/// (d)3–5: capacity C + runnext fit; the next spawn moves the oldest C/2 and
/// the displaced runnext out as one batch, in order; later spawns are local.
#[test]
fn overflow_batch_is_oldest_half_plus_displaced_runnext() {
    let q = q(4);
    for v in 0..5 {
        assert!(put(&q, v, true).is_none(), "(d)3: {v} fits");
    }
    assert_eq!((q.len(), q.has_runnext()), (4, true));
    assert_eq!(put(&q, 5, true), Some(vec![0, 1, 4]), "(d)4");
    assert_eq!((q.len(), q.has_runnext()), (2, true));
    assert!(put(&q, 6, true).is_none(), "(d)5");
    assert_eq!(get(&q), Some((6, true)));
    assert_eq!(get(&q), Some((2, false)));
    assert_eq!(get(&q), Some((3, false)));
    assert_eq!(get(&q), Some((5, false)));
    assert_eq!(get(&q), None);
}

/// Go's 256-slot ring: 256 + runnext fit, the 258th spawn moves 128 + 1.
#[test]
fn overflow_at_go_size() {
    let q = q(256);
    for v in 0..257 {
        assert!(put(&q, v, true).is_none());
    }
    let batch = put(&q, 257, true).expect("overflow");
    let mut want: Vec<u32> = (0..128).collect();
    want.push(256);
    assert_eq!(batch, want);
}

/// (c)8/(d)8: a thief takes ceil(half) from the oldest end and runs the
/// newest of them; `runnext` only when asked (the last pass), after the
/// pause hook.
#[test]
fn steal_half_from_oldest_end() {
    let victim = q(16);
    let thief = q(16);
    for v in 0..7 {
        put(&victim, v, false);
    }
    let mut paused = 0;
    // SAFETY: this thread owns `thief`.
    let (first, n) = unsafe { thief.steal_from(&victim, false, &mut || paused += 1) }.unwrap();
    assert_eq!(
        (*first, n),
        (3, 4),
        "ceil(7/2) = 4: G0..G3, the newest runs"
    );
    assert_eq!(get(&thief), Some((0, false)));
    assert_eq!(get(&thief), Some((1, false)));
    assert_eq!(get(&thief), Some((2, false)));
    assert_eq!(get(&victim), Some((4, false)));
    // One queued task: it is stolen (ceil(1/2) = 1).
    let v2 = q(4);
    put(&v2, 9, false);
    // SAFETY: as above.
    let (one, n) = unsafe { thief.steal_from(&v2, false, &mut || {}) }.unwrap();
    assert_eq!((*one, n), (9, 1));
    // runnext only on request, after the pause hook.
    let v3 = q(4);
    put(&v3, 11, true);
    // SAFETY: as above.
    assert!(unsafe { thief.steal_from(&v3, false, &mut || paused += 1) }.is_none());
    assert_eq!(paused, 0);
    // SAFETY: as above.
    let (rn, n) = unsafe { thief.steal_from(&v3, true, &mut || paused += 1) }.unwrap();
    assert_eq!((*rn, n, paused), (11, 1, 1));
}

/// The thief never takes more than its own free space.
#[test]
fn steal_respects_free_space() {
    let victim = q(8);
    let thief = q(4);
    for v in 0..8 {
        put(&victim, v, false);
    }
    for v in 100..103 {
        put(&thief, v, false);
    }
    // SAFETY: this thread owns `thief`.
    let (_, n) = unsafe { thief.steal_from(&victim, false, &mut || {}) }.unwrap();
    assert_eq!(n, 1);
    assert_eq!(victim.len(), 7);
}

/// Go's `globrunqget` sizes.
#[test]
fn global_batch_rule() {
    assert_eq!(global_batch_size(129, 1, 0, 256), 128);
    assert_eq!(global_batch_size(127, 1, 0, 256), 127);
    assert_eq!(global_batch_size(40, 2, 0, 256), 21);
    assert_eq!(global_batch_size(3, 8, 0, 256), 1);
    assert_eq!(global_batch_size(100, 1, 1, 256), 1);
    assert_eq!(global_batch_size(100, 1, 0, 4), 2);
}

struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Dropping the queue drops each queued item exactly once.
#[test]
fn drop_drops_every_item_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let q: RunQueue<Box<Counted>> = RunQueue::new(4);
        for i in 0..5 {
            // SAFETY: this thread is the only owner.
            assert!(unsafe { q.put(Box::new(Counted(drops.clone())), i % 2 == 0) }.is_none());
        }
        // SAFETY: as above.
        let batch = unsafe { q.put(Box::new(Counted(drops.clone())), true) }.unwrap();
        assert_eq!(batch.len(), 3);
        drop(batch);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 6);
}

#[test]
#[should_panic(expected = "power of two")]
fn capacity_must_be_power_of_two() {
    let _ = q(6);
}

/// Arc items (what the executor stores) keep their counts straight.
#[test]
fn arc_items_round_trip() {
    let item = Arc::new(5u32);
    let q: RunQueue<Arc<u32>> = RunQueue::new(2);
    // SAFETY: this thread is the only owner.
    unsafe {
        assert!(q.put(item.clone(), false).is_none());
        assert!(q.put(item.clone(), true).is_none());
    }
    assert_eq!(Arc::strong_count(&item), 3);
    drop(q);
    assert_eq!(Arc::strong_count(&item), 1);
}
