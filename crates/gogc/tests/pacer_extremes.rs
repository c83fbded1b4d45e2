//! The `Pacer`'s public inputs at their extremes. Go's `gcControllerState`
//! keeps these counts in `uint64`s that wrap; the model must neither panic
//! with an arithmetic overflow (debug builds) nor wrap into nonsense
//! (release builds) when a host feeds it byte counts and scan work near
//! `u64::MAX`, GOGC off (`None`, Go's negative `SetGCPercent`), 0 or
//! `u32::MAX`, and memory limits from 0 to past `NO_MEMORY_LIMIT`.
//! Before the fix, `commit` and `revise` added the last cycle's scan work
//! unchecked, and `heap_goal` added the 64 KiB minimum runway to a trigger
//! near `u64::MAX`.

use gogc::{Pacer, NO_MEMORY_LIMIT};

const VALS: [u64; 6] = [0, 1, 4 << 20, NO_MEMORY_LIMIT, u64::MAX - 1, u64::MAX];

/// One call of the pacer's API, `k` of 12, with argument `x`.
fn op(p: &mut Pacer, k: usize, x: u64, gogc: Option<u32>) {
    match k {
        0 => p.on_alloc(x, true),
        1 => p.add_scan_work(x, x),
        2 => p.reset_live(x),
        3 => p.commit(false),
        4 => p.start_cycle(x as i64, u32::MAX),
        5 => p.end_cycle(i64::MAX, u32::MAX),
        6 => p.set_memory(x, 0, 0),
        7 => {
            let (trigger, goal) = p.trigger();
            assert!(trigger <= goal, "trigger {trigger} above goal {goal}");
            assert!(p.heap_goal() >= goal.min(p.heap_goal()));
            let _ = p.test_heap_trigger();
        }
        8 => p.revise(),
        9 => p.set_gogc(gogc),
        10 => {
            p.add_assist_time(i64::MAX);
            p.add_idle_mark_time(i64::MIN);
        }
        _ => p.commit(true),
    }
}

/// Every order of the API (two interleavings per start) on every extreme;
/// under Miri (the pacer is plain arithmetic) two GOGC settings and one
/// start, a twenty-fourth of the grid.
#[test]
fn extreme_inputs_never_overflow() {
    let gogcs: &[Option<u32>] = if cfg!(miri) {
        &[None, Some(u32::MAX)]
    } else {
        &[None, Some(0), Some(100), Some(u32::MAX)]
    };
    let starts = if cfg!(miri) { 0..1 } else { 0..12 };
    for &gogc in gogcs {
        for limit in VALS {
            for min_heap in VALS {
                for x in VALS {
                    for start in starts.clone() {
                        let mut p = Pacer::new(gogc, limit, min_heap);
                        for k in 0..12 {
                            op(&mut p, (k + start) % 12, x, gogc);
                        }
                        for k in 0..12 {
                            op(&mut p, (k * 7 + start) % 12, x, gogc);
                        }
                        let r = p.assist_work_per_byte();
                        assert!(r.is_finite() && r >= 0.0, "{r}");
                    }
                }
            }
        }
    }
}

/// The scan-work sums that overflowed, one by one; the results saturate.
#[test]
fn huge_scan_work_saturates() {
    // commit: last heap scan + last stack scan.
    let mut p = Pacer::new(Some(100), NO_MEMORY_LIMIT, 4 << 20);
    p.add_scan_work(u64::MAX - 1, u64::MAX - 1);
    p.reset_live(0);
    p.commit(true);
    assert!(p.trigger().0 <= p.heap_goal());
    // revise: heap scan + max stack scan.
    let mut p = Pacer::new(Some(100), NO_MEMORY_LIMIT, 4 << 20);
    p.add_scan_work(0, 1);
    p.reset_live(0);
    p.commit(true);
    p.on_alloc(u64::MAX, true);
    p.start_cycle(0, 4);
    assert!(p.assist_work_per_byte() >= 0.0);
    // A marked heap near u64::MAX with GOGC off: the goal stays at or
    // above it (the runway sum is covered by the grid above).
    let mut p = Pacer::new(None, u64::MAX, 0);
    p.reset_live(u64::MAX - 1);
    p.commit(false);
    p.start_cycle(0, 4);
    assert!(p.heap_goal() >= u64::MAX - 1);
    assert!(p.trigger().0 <= p.heap_goal());
}
