//! Differential fuzzing of `gosync::Pool` against an exact model of Go's
//! algorithm on one thread: a private slot plus a shared queue (pushed and
//! popped at the head, stolen from the tail) per generation, and a victim
//! generation that `clear_cycle` replaces. Every `get` must return the
//! model's value, and every value must be dropped exactly once (when a
//! second cycle drops it, or with the pool).
#![no_main]

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};

use arbitrary::Arbitrary;
use gosync::Pool;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Put,
    Get,
    TryGet,
    ClearCycle,
}

thread_local! {
    /// Ids of the values alive right now.
    static LIVE: RefCell<BTreeSet<u32>> = const { RefCell::new(BTreeSet::new()) };
}

/// A value whose life is tracked by id.
#[derive(Debug)]
struct Item(u32);

impl Item {
    fn new(id: u32) -> Self {
        LIVE.with(|l| assert!(l.borrow_mut().insert(id), "id {id} made twice"));
        Item(id)
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        LIVE.with(|l| assert!(l.borrow_mut().remove(&self.0), "id {} dropped twice", self.0));
    }
}

/// Go's poolLocal for one P.
#[derive(Default)]
struct Generation {
    private: Option<u32>,
    /// back = head (owner), front = tail (stealers).
    shared: VecDeque<u32>,
}

fuzz_target!(|ops: Vec<Op>| {
    let next_new = std::cell::Cell::new(1_000_000u32);
    {
        let pool = Pool::new(|| {
            let id = next_new.get();
            next_new.set(id + 1);
            Item::new(id)
        });
        let mut primary = Generation::default();
        let mut victim = Generation::default();
        let mut next_put = 0u32;
        for op in ops {
            match op {
                Op::Put => {
                    pool.put(Item::new(next_put));
                    if primary.private.is_none() {
                        primary.private = Some(next_put);
                    } else {
                        primary.shared.push_back(next_put);
                    }
                    next_put += 1;
                }
                Op::Get | Op::TryGet => {
                    let want = primary
                        .private
                        .take()
                        .or_else(|| primary.shared.pop_back())
                        .or_else(|| victim.private.take())
                        .or_else(|| victim.shared.pop_front());
                    if let Op::Get = op {
                        let got = pool.get();
                        match want {
                            Some(id) => assert_eq!(got.0, id),
                            None => assert_eq!(got.0, next_new.get() - 1, "not a new value"),
                        }
                    } else {
                        assert_eq!(pool.try_get().map(|i| i.0), want);
                    }
                }
                Op::ClearCycle => {
                    pool.clear_cycle();
                    let dropped = std::mem::replace(&mut victim, std::mem::take(&mut primary));
                    for id in dropped.private.iter().chain(dropped.shared.iter()) {
                        LIVE.with(|l| assert!(!l.borrow().contains(id), "victim {id} not dropped"));
                    }
                }
            }
        }
    }
    LIVE.with(|l| assert!(l.borrow().is_empty(), "leaked: {:?}", l.borrow()));
});
