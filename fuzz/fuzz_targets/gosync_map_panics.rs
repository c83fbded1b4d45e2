//! Differential fuzzing of `gosync::SyncMap` with hostile keys and values:
//! each operation may arm a trap that makes the n-th call of one user hook
//! (the key's `Hash`, `Eq`, `Clone` or `Drop`, the value's `Clone`,
//! `PartialEq` or `Drop`) panic, once. Keys and values count themselves.
//!
//! What a caught panic may do, per operation, checked against a `HashMap`
//! model (the map's contents are read back with `load`, traps disarmed):
//!
//! - Load, Range, Reclaim: nothing; the contents are the model's.
//! - Store, Swap, LoadOrStore, Delete, LoadAndDelete, CompareAndSwap,
//!   CompareAndDelete: the operation took effect fully or not at all: the
//!   contents equal either the model before the operation or the model after
//!   it (as if it had returned). Which one depends on where the hook ran
//!   (a `Hash` panic comes before any change; a `Drop` of the caller's key,
//!   or of old garbage freed by a retire, after it).
//!
//! Without a panic, every result must equal the model's. After every step the
//! map's statistics must be coherent (no amended read map without dirty); at
//! the end the map is dropped (possibly with one more `Drop` panic) and every
//! key and value made must have been dropped exactly once. Small key space,
//! so promotion, expunging and un-expunging happen often.
#![no_main]

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use arbitrary::Arbitrary;
use gosync::SyncMap;
use libfuzzer_sys::fuzz_target;

const KEYS: u8 = 16;

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Hook {
    KeyHash,
    KeyEq,
    KeyClone,
    KeyDrop,
    ValClone,
    ValEq,
    ValDrop,
}

/// Panic on call number `nth % 8` (from 0) of `hook` during the operation.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Trap {
    hook: Hook,
    nth: u8,
}

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
    Range,
    Reclaim,
}

#[derive(Arbitrary, Debug)]
struct Step {
    op: Op,
    trap: Option<Trap>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    steps: Vec<Step>,
    /// A trap for dropping the map at the end: a value's (even) or a key's
    /// (odd) `Drop`, on call `nth / 2 % 8`.
    drop_trap: Option<u8>,
}

thread_local! {
    /// The armed trap: which hook, and how many calls to let through first.
    static TRAP: Cell<Option<(Hook, u8)>> = const { Cell::new(None) };
    /// Set while a trap's panic unwinds, so the panic hook lets it through.
    static EXPECTED: Cell<bool> = const { Cell::new(false) };
    /// Keys and values alive.
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn arm(t: Option<Trap>) {
    TRAP.with(|c| c.set(t.map(|t| (t.hook, t.nth % 8))));
}

fn disarm() {
    TRAP.with(|c| c.set(None));
}

/// Called by every hook: panics if the trap is armed for `h` and its count
/// is down to zero (disarming it first: at most one panic per operation).
fn hit(h: Hook) {
    let Some((hook, n)) = TRAP.with(Cell::get) else {
        return;
    };
    if hook != h {
        return;
    }
    if n == 0 {
        disarm();
        EXPECTED.with(|e| e.set(true));
        panic!("trap: {h:?}");
    }
    TRAP.with(|c| c.set(Some((hook, n - 1))));
}

#[derive(Debug)]
struct K(u8);
impl K {
    fn new(k: u8) -> Self {
        LIVE.with(|l| l.set(l.get() + 1));
        K(k % KEYS)
    }
}
impl Hash for K {
    fn hash<H: Hasher>(&self, h: &mut H) {
        hit(Hook::KeyHash);
        self.0.hash(h);
    }
}
impl PartialEq for K {
    fn eq(&self, o: &Self) -> bool {
        hit(Hook::KeyEq);
        self.0 == o.0
    }
}
impl Eq for K {}
impl Clone for K {
    fn clone(&self) -> Self {
        hit(Hook::KeyClone);
        K::new(self.0)
    }
}
impl Drop for K {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
        hit(Hook::KeyDrop);
    }
}

#[derive(Debug)]
struct V(u16);
impl V {
    fn new(v: u16) -> Self {
        LIVE.with(|l| l.set(l.get() + 1));
        V(v)
    }
}
impl PartialEq for V {
    fn eq(&self, o: &Self) -> bool {
        hit(Hook::ValEq);
        self.0 == o.0
    }
}
impl Clone for V {
    fn clone(&self) -> Self {
        hit(Hook::ValClone);
        V::new(self.0)
    }
}
impl Drop for V {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
        hit(Hook::ValDrop);
    }
}

type Model = HashMap<u8, u16>;

/// What an operation returned, in plain numbers.
#[derive(Debug, PartialEq)]
enum Out {
    Unit,
    Bool(bool),
    Val(Option<u16>),
    Pair(u16, bool),
    Entries(Vec<(u8, u16)>),
}

/// Applies `op` to the model; returns what the map should return.
fn apply(model: &mut Model, op: &Op) -> Out {
    match *op {
        Op::Load(k) => Out::Val(model.get(&(k % KEYS)).copied()),
        Op::Store(k, v) => {
            model.insert(k % KEYS, v);
            Out::Unit
        }
        Op::LoadOrStore(k, v) => match model.get(&(k % KEYS)) {
            Some(&a) => Out::Pair(a, true),
            None => {
                model.insert(k % KEYS, v);
                Out::Pair(v, false)
            }
        },
        Op::LoadAndDelete(k) => Out::Val(model.remove(&(k % KEYS))),
        Op::Delete(k) => Out::Bool(model.remove(&(k % KEYS)).is_some()),
        Op::Swap(k, v) => Out::Val(model.insert(k % KEYS, v)),
        Op::CompareAndSwap(k, old, new) => {
            let hit = model.get(&(k % KEYS)) == Some(&old);
            if hit {
                model.insert(k % KEYS, new);
            }
            Out::Bool(hit)
        }
        Op::CompareAndDelete(k, old) => {
            let hit = model.get(&(k % KEYS)) == Some(&old);
            if hit {
                model.remove(&(k % KEYS));
            }
            Out::Bool(hit)
        }
        Op::Range => {
            let mut e: Vec<(u8, u16)> = model.iter().map(|(&k, &v)| (k, v)).collect();
            e.sort_unstable();
            Out::Entries(e)
        }
        Op::Reclaim => Out::Unit,
    }
}

/// Runs `op` on the map. Everything the operation makes and drops (its key
/// and value arguments, its results) lives inside, where the trap is armed.
fn run(m: &SyncMap<K, V>, op: &Op) -> Out {
    match *op {
        Op::Load(k) => Out::Val(m.load(&K::new(k)).map(|v| v.0)),
        Op::Store(k, v) => {
            m.store(K::new(k), V::new(v));
            Out::Unit
        }
        Op::LoadOrStore(k, v) => {
            let (a, loaded) = m.load_or_store(K::new(k), V::new(v));
            Out::Pair(a.0, loaded)
        }
        Op::LoadAndDelete(k) => Out::Val(m.load_and_delete(&K::new(k)).map(|v| v.0)),
        Op::Delete(k) => Out::Bool(m.delete(&K::new(k))),
        Op::Swap(k, v) => Out::Val(m.swap(K::new(k), V::new(v)).map(|v| v.0)),
        Op::CompareAndSwap(k, old, new) => {
            Out::Bool(m.compare_and_swap(&K::new(k), &V::new(old), V::new(new)))
        }
        Op::CompareAndDelete(k, old) => Out::Bool(m.compare_and_delete(&K::new(k), &V::new(old))),
        Op::Range => {
            let mut e = Vec::new();
            m.range(|k, v| {
                e.push((k.0, v.0));
                true
            });
            e.sort_unstable();
            Out::Entries(e)
        }
        Op::Reclaim => {
            m.reclaim();
            Out::Unit
        }
    }
}

/// The map's contents, read with `load` (no trap armed).
fn contents(m: &SyncMap<K, V>) -> Model {
    (0..KEYS)
        .filter_map(|k| m.load(&K::new(k)).map(|v| (k, v.0)))
        .collect()
}

fn check_stats(m: &SyncMap<K, V>) {
    let s = m.stats();
    assert!(s.read_live <= s.read_len);
    assert!(!s.amended || s.dirty_len.is_some(), "amended without dirty");
    assert!(s.amended || s.misses == 0 || s.dirty_len.is_some());
}

fuzz_target!(|input: Input| {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // libFuzzer's hook aborts on every panic; let the traps' through.
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXPECTED.with(Cell::get) {
                abort(info);
            }
        }));
    });
    LIVE.with(|l| l.set(0));
    disarm();
    let m: SyncMap<K, V> = SyncMap::new();
    let mut model = Model::new();
    for step in &input.steps {
        let mut after = model.clone();
        let want = apply(&mut after, &step.op);
        arm(step.trap);
        let r = catch_unwind(AssertUnwindSafe(|| run(&m, &step.op)));
        disarm();
        EXPECTED.with(|e| e.set(false));
        match r {
            Ok(got) => {
                assert_eq!(got, want, "{:?}", step.op);
                model = after;
            }
            Err(_) => {
                let now = contents(&m);
                if now == after {
                    model = after;
                } else {
                    assert_eq!(now, model, "{:?} half done after a panic", step.op);
                }
            }
        }
        check_stats(&m);
    }
    assert_eq!(contents(&m), model);
    if let Some(nth) = input.drop_trap {
        let hook = if nth % 2 == 0 {
            Hook::ValDrop
        } else {
            Hook::KeyDrop
        };
        arm(Some(Trap { hook, nth: nth / 2 }));
    }
    // Whether or not the trap fires, the drop must finish every key and value.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(m)));
    disarm();
    EXPECTED.with(|e| e.set(false));
    assert_eq!(
        LIVE.with(Cell::get),
        0,
        "leaked or double-dropped keys/values"
    );
});
