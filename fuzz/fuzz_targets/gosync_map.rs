//! Differential fuzzing of `gosync::SyncMap` against a `HashMap` model:
//! every operation (Go's Load, Store, LoadOrStore, LoadAndDelete, Delete,
//! Swap, CompareAndSwap, CompareAndDelete, Range) must give the model's
//! answer, and after the sequence a Range must list exactly the model's
//! entries. Small key space so promotion, expunging and un-expunging happen.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use gosync::SyncMap;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Load(u8),
    Store(u8, u16),
    LoadOrStore(u8, u16),
    LoadAndDelete(u8),
    Delete(u8),
    Swap(u8, u16),
    CompareAndSwap(u8, u16, u16),
    CompareAndDelete(u8, u16),
    Range(u8),
    Reclaim,
}

fuzz_target!(|ops: Vec<Op>| {
    let m: SyncMap<u8, u16> = SyncMap::new();
    let mut model: HashMap<u8, u16> = HashMap::new();
    for op in ops {
        match op {
            Op::Load(k) => assert_eq!(m.load(&(k % 16)), model.get(&(k % 16)).copied()),
            Op::Store(k, v) => {
                m.store(k % 16, v);
                model.insert(k % 16, v);
            }
            Op::LoadOrStore(k, v) => {
                let k = k % 16;
                let want = match model.get(&k) {
                    Some(&a) => (a, true),
                    None => {
                        model.insert(k, v);
                        (v, false)
                    }
                };
                assert_eq!(m.load_or_store(k, v), want);
            }
            Op::LoadAndDelete(k) => {
                assert_eq!(m.load_and_delete(&(k % 16)), model.remove(&(k % 16)))
            }
            Op::Delete(k) => assert_eq!(m.delete(&(k % 16)), model.remove(&(k % 16)).is_some()),
            Op::Swap(k, v) => assert_eq!(m.swap(k % 16, v), model.insert(k % 16, v)),
            Op::CompareAndSwap(k, old, new) => {
                let k = k % 16;
                let want = model.get(&k) == Some(&old);
                if want {
                    model.insert(k, new);
                }
                assert_eq!(m.compare_and_swap(&k, &old, new), want);
            }
            Op::CompareAndDelete(k, old) => {
                let k = k % 16;
                let want = model.get(&k) == Some(&old);
                if want {
                    model.remove(&k);
                }
                assert_eq!(m.compare_and_delete(&k, &old), want);
            }
            Op::Range(stop_after) => {
                let mut seen = HashMap::new();
                let limit = stop_after as usize % 20;
                m.range(|k, v| {
                    assert_eq!(model.get(k), Some(v));
                    assert!(seen.insert(*k, *v).is_none(), "key visited twice");
                    seen.len() < limit.max(1) || limit == 0
                });
                if limit == 0 {
                    assert_eq!(seen, model);
                }
            }
            Op::Reclaim => m.reclaim(),
        }
        let s = m.stats();
        assert!(s.read_live <= s.read_len);
        assert!(!s.amended || s.dirty_len.is_some(), "amended without dirty");
    }
    let mut all = HashMap::new();
    m.range(|k, v| {
        all.insert(*k, *v);
        true
    });
    assert_eq!(all, model);
});
