//! The 4-ary timer heap (single-threaded, Miri runs it): order, never early,
//! lazy deletion with the quarter-deleted sweep, Go's late-tick rule.
#![cfg(not(loom))]

use std::cell::Cell;
use std::rc::Rc;

use gosched::timers::{next_periodic, TimerHeap, TimerValue};

#[derive(Clone)]
struct T {
    id: u32,
    deleted: Rc<Cell<bool>>,
}
impl TimerValue for T {
    fn is_deleted(&self) -> bool {
        self.deleted.get()
    }
}

fn t(id: u32) -> T {
    T {
        id,
        deleted: Rc::new(Cell::new(false)),
    }
}

/// sched.md (c)12: fire at or after `when`, in (when, insertion) order.
#[test]
fn pops_in_deadline_order_never_early() {
    let mut h = TimerHeap::new();
    let whens = [50u64, 10, 40, 10, 30, 20, 60, 5, 45, 15, 25, 35];
    for (i, w) in whens.iter().enumerate() {
        h.push(*w, t(i as u32));
    }
    assert!(h.pop_due(4).is_none());
    let mut got = Vec::new();
    let mut now = 0;
    while !h.is_empty() {
        now += 5;
        while let Some((w, v)) = h.pop_due(now) {
            assert!(w <= now);
            got.push((w, v.id));
        }
    }
    let mut want: Vec<(u64, u32)> = whens
        .iter()
        .enumerate()
        .map(|(i, w)| (*w, i as u32))
        .collect();
    want.sort();
    assert_eq!(got, want, "equal deadlines keep insertion order");
}

/// (c)12: stopping is O(1) (a mark); the heap sweeps once deleted entries
/// exceed a quarter (Go's clearDeletedTimers).
#[test]
fn lazy_deletion_and_sweep() {
    let mut h = TimerHeap::new();
    let ts: Vec<T> = (0..16).map(t).collect();
    for (i, x) in ts.iter().enumerate() {
        h.push(i as u64, x.clone());
    }
    for x in &ts[..4] {
        x.deleted.set(true);
        h.note_deleted();
    }
    assert_eq!(
        h.len(),
        16,
        "4 of 16 deleted: not more than a quarter, kept"
    );
    ts[4].deleted.set(true);
    h.note_deleted();
    assert_eq!(h.len(), 11, "5 > 16/4: swept");
    assert_eq!(h.peek_when(), Some(5));
    let order: Vec<u32> = std::iter::from_fn(|| h.pop_due(u64::MAX).map(|(_, v)| v.id)).collect();
    assert_eq!(order, (5..16).collect::<Vec<_>>());
}

/// Go's periodic rule: a late tick skips the missed periods.
#[test]
fn late_periodic_skips_missed_periods() {
    assert_eq!(next_periodic(1000, 100, 1000), 1100);
    assert_eq!(next_periodic(1000, 100, 1099), 1100);
    assert_eq!(next_periodic(1000, 100, 1100), 1200);
    assert_eq!(next_periodic(1000, 100, 1350), 1400);
}

/// A bigger random-ish workload against a sorted model.
#[test]
fn matches_sorted_model() {
    let n = if cfg!(miri) { 60 } else { 2000 };
    let mut h = TimerHeap::new();
    let mut model = Vec::new();
    let mut x: u64 = 12345;
    let mut all = Vec::new();
    for i in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let when = (x >> 33) % 1000;
        let tm = t(i);
        h.push(when, tm.clone());
        all.push(tm);
        model.push((when, i));
    }
    for (k, tm) in all.iter().enumerate() {
        if k % 3 == 0 {
            tm.deleted.set(true);
            h.note_deleted();
        }
    }
    model.retain(|&(_, i)| i % 3 != 0);
    model.sort();
    let got: Vec<(u64, u32)> =
        std::iter::from_fn(|| h.pop_due(u64::MAX).map(|(w, v)| (w, v.id))).collect();
    assert_eq!(got, model);
}
