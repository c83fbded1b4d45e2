//! Panicking user code (`Hash`, `Eq`, `Clone`, `Drop`) in the middle of a
//! `SyncMap` operation, a closure that panics inside `Once` and a `Mutex`
//! holder that panics while others sleep on the semaphore: the
//! structure is left consistent, nothing leaks, nothing is dropped twice.
//!
//! Every test uses its own thread-local triggers and its own drop counter, so
//! the tests can run in parallel.
#![cfg(not(loom))]

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use gosync::SyncMap;

thread_local! {
    /// While set, hashing any key other than this one panics.
    static ONLY_HASH: Cell<Option<u32>> = const { Cell::new(None) };
    /// Hash calls for keys other than `ONLY_HASH`'s.
    static FOREIGN_HASHES: Cell<usize> = const { Cell::new(0) };
    /// Panics on the next `Clone` of a `Val` when set (then clears itself).
    static PANIC_ON_CLONE: Cell<bool> = const { Cell::new(false) };
    /// Panics on the `n`th next `Clone` of a `Key` when `Some(n)` (then
    /// clears itself).
    static PANIC_ON_KEY_CLONE: Cell<Option<u32>> = const { Cell::new(None) };
    /// Panics on the next `Drop` of a `Key` or `Val` when set (then clears itself).
    static PANIC_ON_DROP: Cell<bool> = const { Cell::new(false) };
    /// Live keys and values made by this thread's test.
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn live() -> i64 {
    LIVE.with(Cell::get)
}

fn maybe_panic_on_drop() {
    if PANIC_ON_DROP.with(|p| p.replace(false)) {
        panic!("drop panicked");
    }
}

/// A counted key whose `Hash` obeys `ONLY_HASH`.
#[derive(Debug, PartialEq, Eq)]
struct Key(u32);
impl Key {
    fn new(n: u32) -> Self {
        LIVE.with(|l| l.set(l.get() + 1));
        Key(n)
    }
}
impl Clone for Key {
    fn clone(&self) -> Self {
        match PANIC_ON_KEY_CLONE.with(Cell::get) {
            Some(1) => {
                PANIC_ON_KEY_CLONE.with(|p| p.set(None));
                panic!("clone of key {} panicked", self.0);
            }
            Some(n) => PANIC_ON_KEY_CLONE.with(|p| p.set(Some(n - 1))),
            None => {}
        }
        Key::new(self.0)
    }
}
impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if let Some(only) = ONLY_HASH.with(Cell::get) {
            if only != self.0 {
                FOREIGN_HASHES.with(|c| c.set(c.get() + 1));
                panic!("hash of key {} panicked", self.0);
            }
        }
        self.0.hash(h);
    }
}
impl Drop for Key {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
        maybe_panic_on_drop();
    }
}

/// A counted value whose `Clone` and `Drop` panic on command.
#[derive(Debug, PartialEq)]
struct Val(u32);
impl Val {
    fn new(n: u32) -> Self {
        LIVE.with(|l| l.set(l.get() + 1));
        Val(n)
    }
}
impl Clone for Val {
    fn clone(&self) -> Self {
        if PANIC_ON_CLONE.with(|p| p.replace(false)) {
            panic!("clone panicked");
        }
        Val::new(self.0)
    }
}
impl Drop for Val {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
        maybe_panic_on_drop();
    }
}

fn load(m: &SyncMap<Key, Val>, k: u32) -> Option<u32> {
    m.load(&Key::new(k)).map(|v| v.0)
}

/// Promotes dirty (a `range` of an amended map does) and checks that exactly
/// `want` is in the map.
fn promote_and_check(m: &SyncMap<Key, Val>, want: &[(u32, u32)]) {
    let mut seen = Vec::new();
    m.range(|k, v| {
        seen.push((k.0, v.0));
        true
    });
    seen.sort_unstable();
    let mut want = want.to_vec();
    want.sort_unstable();
    assert_eq!(seen, want, "range after promotion");
    for &(k, v) in &want {
        assert_eq!(load(m, k), Some(v), "lost key {k}");
    }
    assert!(!m.stats().amended);
}

/// Regression: a store of a new key into a dirty map full of tombstones
/// rehashes it in place; a `Hash` that panicked there made the table drop
/// every key it had not re-placed yet, while the read map still answered
/// for them, so they vanished at the next promotion. Now rehashing never
/// runs user code: only the key being stored is ever hashed.
#[test]
fn hash_panic_during_in_place_rehash_loses_no_key() {
    // hashbrown fills 32 (128) buckets with 28 (112) keys; deleting more
    // than half of them leaves tombstones and room for an in-place rehash.
    let base = if cfg!(miri) { 28 } else { 112 };
    let deleted = base * 9 / 16;
    let cycles = if cfg!(miri) { 300 } else { 2000 };
    {
        let m = SyncMap::new();
        for i in 0..base {
            m.store(Key::new(i), Val::new(i));
        }
        m.range(|_, _| true); // promote: read holds 0..base, a full table
                              // Lock-free deletes from read; the next new key builds dirty as a
                              // copy of read and erases these (expunged) keys: tombstones.
        for i in 0..deleted {
            assert!(m.delete(&Key::new(i)));
        }
        let want: Vec<(u32, u32)> = (deleted..base).map(|i| (i, i)).collect();
        let mut panics = 0;
        // Store a dirty-only key and delete it again, over and over: each
        // delete leaves a tombstone in dirty, each promotion carries the
        // tombstones over into the next dirty, until an insert finds no
        // room and hashbrown rehashes in place. While a key is stored, only
        // that key may be hashed.
        for c in 0..cycles {
            let k = 10_000 + c;
            ONLY_HASH.with(|o| o.set(Some(k)));
            let stored = catch_unwind(AssertUnwindSafe(|| m.store(Key::new(k), Val::new(k))));
            if stored.is_err() {
                panics += 1;
            }
            // Deleting removes the key from dirty and counts a miss; it too
            // hashes only `k`.
            let deleted = catch_unwind(AssertUnwindSafe(|| m.delete(&Key::new(k))));
            ONLY_HASH.with(|o| o.set(None));
            assert_eq!(deleted.ok(), Some(stored.is_ok()), "cycle {c}");
        }
        promote_and_check(&m, &want);
        assert_eq!(
            FOREIGN_HASHES.with(Cell::get),
            0,
            "{panics} stores hashed other keys"
        );
    }
    assert_eq!(live(), 0, "leaked or double-dropped keys or values");
}

/// No operation hashes a key other than its own argument, in any phase
/// (new key, overwrite, un-expunge with `reserve`, delete, promotion).
#[test]
fn operations_hash_only_their_own_key() {
    let n = if cfg!(miri) { 24 } else { 64 };
    let rounds = if cfg!(miri) { 400 } else { 5000 };
    {
        let m = SyncMap::new();
        let mut model = std::collections::HashMap::new();
        let mut r = gocore::rand::FastRand::new(11);
        for i in 0..rounds {
            let k = r.next_u32() % n;
            ONLY_HASH.with(|o| o.set(Some(k)));
            match r.next_u32() % 5 {
                0 | 1 => {
                    m.store(Key::new(k), Val::new(i));
                    model.insert(k, i);
                }
                2 => assert_eq!(m.delete(&Key::new(k)), model.remove(&k).is_some()),
                3 => assert_eq!(m.load(&Key::new(k)).map(|v| v.0), model.get(&k).copied()),
                _ => {
                    let want = match model.get(&k) {
                        Some(&a) => (a, true),
                        None => {
                            model.insert(k, i);
                            (i, false)
                        }
                    };
                    let (v, loaded) = m.load_or_store(Key::new(k), Val::new(i));
                    assert_eq!((v.0, loaded), want);
                }
            }
            ONLY_HASH.with(|o| o.set(None));
            if i % 97 == 0 {
                m.range(|_, _| true);
            }
        }
        let want: Vec<(u32, u32)> = model.into_iter().collect();
        promote_and_check(&m, &want);
    }
    assert_eq!(live(), 0);
}

/// A key whose tombstone-filled dirty map must grow to take an un-expunged
/// key back: the `reserve` cannot run user `Hash` either.
#[test]
fn unexpunge_never_hashes_other_keys() {
    let base = if cfg!(miri) { 28 } else { 112 };
    {
        let m = SyncMap::new();
        for i in 0..base {
            m.store(Key::new(i), Val::new(i));
        }
        m.range(|_, _| true);
        // Delete most read keys, then build dirty (expunging them).
        for i in 0..base - 4 {
            assert!(m.delete(&Key::new(i)));
        }
        m.store(Key::new(5000), Val::new(5000));
        // Put every expunged key back: each goes into dirty again.
        for i in 0..base - 4 {
            ONLY_HASH.with(|o| o.set(Some(i)));
            let r = catch_unwind(AssertUnwindSafe(|| m.store(Key::new(i), Val::new(i + 1))));
            ONLY_HASH.with(|o| o.set(None));
            assert!(r.is_ok(), "storing expunged key {i} hashed another key");
        }
        let mut want: Vec<(u32, u32)> = (0..base - 4).map(|i| (i, i + 1)).collect();
        want.extend((base - 4..base).map(|i| (i, i)));
        want.push((5000, 5000));
        promote_and_check(&m, &want);
    }
    assert_eq!(live(), 0);
}

/// A panicking `Hash` of the stored key itself changes nothing.
#[test]
fn hash_panic_of_the_stored_key_changes_nothing() {
    {
        let m = SyncMap::new();
        for i in 0..10 {
            m.store(Key::new(i), Val::new(i));
        }
        m.range(|_, _| true);
        m.store(Key::new(20), Val::new(20)); // dirty exists, amended
        ONLY_HASH.with(|o| o.set(Some(u32::MAX)));
        for k in [3, 20, 30] {
            let r = catch_unwind(AssertUnwindSafe(|| m.store(Key::new(k), Val::new(99))));
            assert!(r.is_err());
            let r = catch_unwind(AssertUnwindSafe(|| m.delete(&Key::new(k))));
            assert!(r.is_err());
        }
        ONLY_HASH.with(|o| o.set(None));
        let mut want: Vec<(u32, u32)> = (0..10).map(|i| (i, i)).collect();
        want.push((20, 20));
        promote_and_check(&m, &want);
    }
    assert_eq!(live(), 0);
}

/// Regression: `swap` unlinked the old value and then cloned it; a panicking
/// `Clone` leaked it (neither retired nor dropped).
#[test]
fn swap_with_panicking_clone_leaks_nothing() {
    {
        let m = SyncMap::new();
        m.store(Key::new(1), Val::new(1)); // dirty-only entry
        m.store(Key::new(2), Val::new(2));
        m.range(|_, _| true);
        m.store(Key::new(3), Val::new(3)); // read has 1, 2; dirty-only 3
        for k in [1, 3] {
            PANIC_ON_CLONE.with(|p| p.set(true));
            let r = catch_unwind(AssertUnwindSafe(|| m.swap(Key::new(k), Val::new(10 + k))));
            assert!(r.is_err(), "clone should have panicked");
            // The swap took effect: the new value is in.
            assert_eq!(load(&m, k), Some(10 + k));
        }
        m.reclaim();
        promote_and_check(&m, &[(1, 11), (2, 2), (3, 13)]);
    }
    assert_eq!(live(), 0, "swap leaked the old value");
}

/// Regression: `load_and_delete` unlinked the value and then cloned it; a
/// panicking `Clone` leaked it.
#[test]
fn load_and_delete_with_panicking_clone_leaks_nothing() {
    {
        let m = SyncMap::new();
        for i in 0..4 {
            m.store(Key::new(i), Val::new(i));
        }
        m.range(|_, _| true);
        m.store(Key::new(9), Val::new(9)); // dirty-only
        for k in [1, 9] {
            PANIC_ON_CLONE.with(|p| p.set(true));
            let r = catch_unwind(AssertUnwindSafe(|| m.load_and_delete(&Key::new(k))));
            assert!(r.is_err(), "clone should have panicked");
            // The delete took effect.
            assert_eq!(load(&m, k), None);
        }
        m.reclaim();
        promote_and_check(&m, &[(0, 0), (2, 2), (3, 3)]);
    }
    assert_eq!(live(), 0, "load_and_delete leaked the old value");
}

/// A panicking `Clone` in `load`/`load_or_store` changes nothing.
#[test]
fn load_with_panicking_clone_changes_nothing() {
    {
        let m = SyncMap::new();
        m.store(Key::new(1), Val::new(1));
        PANIC_ON_CLONE.with(|p| p.set(true));
        assert!(catch_unwind(AssertUnwindSafe(|| m.load(&Key::new(1)))).is_err());
        PANIC_ON_CLONE.with(|p| p.set(true));
        let r = catch_unwind(AssertUnwindSafe(|| {
            m.load_or_store(Key::new(2), Val::new(2))
        }));
        assert!(r.is_err());
        // load_or_store stored before its clone panicked: it took effect.
        promote_and_check(&m, &[(1, 1), (2, 2)]);
    }
    assert_eq!(live(), 0);
}

/// A key's `Drop` that panics while an operation is under way: after the
/// copy of read into a new dirty map (dirty's copies of the expunged keys
/// are dropped, after the new key is in and the lock released), after an
/// overwrite (the caller's key is dropped), after a delete of a dirty-only
/// key (the table's key is dropped). Each operation took effect, and nothing
/// leaks or is dropped twice.
#[test]
fn drop_panics_leave_the_map_consistent() {
    {
        let m = SyncMap::new();
        for i in 0..8 {
            m.store(Key::new(i), Val::new(i));
        }
        m.range(|_, _| true);
        assert!(m.delete(&Key::new(0)));
        assert!(m.delete(&Key::new(1)));
        // New key: dirty is built from read, dropping expunged keys 0 and 1
        // (dirty's copies) once key 100 is in. The first of those drops
        // panics; the other is dropped all the same.
        PANIC_ON_DROP.with(|p| p.set(true));
        let before = live();
        let r = catch_unwind(AssertUnwindSafe(|| m.store(Key::new(100), Val::new(100))));
        PANIC_ON_DROP.with(|p| p.set(false));
        assert!(r.is_err());
        // Key 100, its value and dirty's copies of the 6 live keys: both
        // expunged copies are gone.
        assert_eq!(live(), before + 2 + 6, "key 100 and its value are in");
        assert_eq!(load(&m, 100), Some(100));
        // Overwrite: the key passed in is dropped after the value is in.
        PANIC_ON_DROP.with(|p| p.set(true));
        let r = catch_unwind(AssertUnwindSafe(|| m.store(Key::new(2), Val::new(20))));
        PANIC_ON_DROP.with(|p| p.set(false));
        assert!(r.is_err());
        assert_eq!(load(&m, 2), Some(20));
        // Expunged keys are taken back.
        m.store(Key::new(0), Val::new(10));
        m.store(Key::new(101), Val::new(101));
        // Delete of a dirty-only key drops the table's key.
        PANIC_ON_DROP.with(|p| p.set(true));
        let r = catch_unwind(AssertUnwindSafe(|| m.load_and_delete(&Key::new(101))));
        PANIC_ON_DROP.with(|p| p.set(false));
        assert!(r.is_err());
        assert_eq!(load(&m, 101), None);
        let mut want: Vec<(u32, u32)> = (3..8).map(|i| (i, i)).collect();
        // The store of key 100 panicked after inserting it.
        want.extend([(0, 10), (2, 20), (100, 100)]);
        promote_and_check(&m, &want);
        m.reclaim();
    }
    assert_eq!(live(), 0);
}

/// A key's `Clone` that panics while a new key's store copies read into a
/// new dirty map: the store does not happen, the copies made so far, the
/// caller's key and its value are dropped (after the map's lock is
/// released), and the next new key builds dirty again. Then a key's `Drop`
/// that panics among the expunged copies of that rebuild: the store took
/// effect. Nothing leaks or is dropped twice.
#[test]
fn key_clone_and_drop_panics_while_building_dirty() {
    {
        let m = SyncMap::new();
        for i in 0..8 {
            m.store(Key::new(i), Val::new(i));
        }
        m.range(|_, _| true); // promotes: 0..8 in read, no dirty
        assert!(m.delete(&Key::new(5)));
        assert!(m.delete(&Key::new(6)));
        let before = live();
        PANIC_ON_KEY_CLONE.with(|p| p.set(Some(4))); // three copies, then panic
        let r = catch_unwind(AssertUnwindSafe(|| m.store(Key::new(100), Val::new(100))));
        PANIC_ON_KEY_CLONE.with(|p| p.set(None));
        assert!(r.is_err());
        assert_eq!(
            live(),
            before,
            "the copies, key 100 and its value were dropped"
        );
        let s = m.stats();
        assert_eq!((s.dirty_len, s.amended), (None, false), "no dirty map left");
        assert_eq!(load(&m, 100), None);
        assert_eq!(load(&m, 5), None);
        // The next new key builds dirty; the first expunged copy's drop
        // panics after the key is in.
        PANIC_ON_DROP.with(|p| p.set(true));
        let r = catch_unwind(AssertUnwindSafe(|| m.store(Key::new(101), Val::new(101))));
        PANIC_ON_DROP.with(|p| p.set(false));
        assert!(r.is_err());
        let s = m.stats();
        assert_eq!(
            (s.dirty_len, s.amended),
            (Some(7), true),
            "6 live keys and 101"
        );
        // An expunged key comes back through dirty.
        m.store(Key::new(5), Val::new(50));
        let mut want: Vec<(u32, u32)> = [0, 1, 2, 3, 4, 7].iter().map(|&i| (i, i)).collect();
        want.extend([(5, 50), (101, 101)]);
        promote_and_check(&m, &want);
        m.reclaim();
    }
    assert_eq!(live(), 0);
}

/// Dropping the map with a key whose `Drop` panics still drops every other
/// key and value.
#[test]
fn drop_of_the_map_past_a_panicking_drop_leaks_nothing() {
    let m = SyncMap::new();
    for i in 0..20 {
        m.store(Key::new(i), Val::new(i));
    }
    m.range(|_, _| true);
    for i in 20..30 {
        m.store(Key::new(i), Val::new(i)); // dirty copies of 0..20 too
    }
    PANIC_ON_DROP.with(|p| p.set(true));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(m))).is_err());
    assert_eq!(live(), 0);
}

/// Regression: `compare_and_swap` on a dirty-only key stored the new value
/// into the entry and then counted the miss; when that miss promoted dirty
/// and the promotion's retire freed old garbage whose `Drop` panicked, the
/// unwinding call freed the new value the entry still pointed to (a double
/// free). The miss is now counted before the swap. Which promotion frees
/// garbage depends on the reclamation pace, so every pace is tried.
#[test]
fn garbage_drop_panic_in_compare_and_swap_frees_nothing_twice() {
    let mut panicked = 0;
    for pad in 0..70 {
        {
            let m = SyncMap::new();
            m.store(Key::new(100), Val::new(0));
            m.range(|_, _| true); // key 100 in read
            for i in 0..pad {
                m.store(Key::new(100), Val::new(i)); // retires a value each
            }
            m.store(Key::new(1), Val::new(1)); // dirty-only
            assert_eq!(load(&m, 1), Some(1)); // miss 1 of len(dirty) = 2
                                              // Miss 2 promotes.
            let (k, old) = (Key::new(1), Val::new(1));
            PANIC_ON_DROP.with(|p| p.set(true));
            let r = catch_unwind(AssertUnwindSafe(|| {
                m.compare_and_swap(&k, &old, Val::new(2))
            }));
            PANIC_ON_DROP.with(|p| p.set(false));
            drop((k, old));
            match r {
                Ok(swapped) => assert!(swapped),
                Err(_) => panicked += 1,
            }
            let v = load(&m, 1);
            assert!(v == Some(1) || v == Some(2), "pad {pad}: {v:?}");
        }
        assert_eq!(live(), 0, "pad {pad}: leaked or double-dropped");
    }
    assert!(
        panicked > 0,
        "no garbage was dropped inside compare_and_swap"
    );
}

/// Regression (found by the `gosync_map_panics` fuzz target): a
/// `load_or_store` that loads drops the value it was given; when that `Drop`
/// panicked after the internal return value (holding the caller's key) was
/// built, the key leaked.
#[test]
fn load_or_store_dropping_its_unused_value_leaks_no_key() {
    {
        let m = SyncMap::new();
        m.store(Key::new(3), Val::new(1)); // dirty-only
        m.range(|_, _| true);
        m.store(Key::new(4), Val::new(2)); // dirty-only, read has 3
        for k in [3, 4] {
            PANIC_ON_DROP.with(|p| p.set(true));
            let r = catch_unwind(AssertUnwindSafe(|| {
                m.load_or_store(Key::new(k), Val::new(9))
            }));
            PANIC_ON_DROP.with(|p| p.set(false));
            assert!(r.is_err());
        }
        promote_and_check(&m, &[(3, 1), (4, 2)]);
    }
    assert_eq!(live(), 0, "leaked the caller's key");
}

/// `Once::call_once` whose closure panics while other callers sleep on the
/// Once's mutex (linked into the semaphore's queue): they are all woken, none
/// runs its own closure (a panic counts as done, as in Go), and the Once
/// works afterwards.
#[test]
fn once_closure_panic_wakes_every_sleeping_caller() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let once = Arc::new(gosync::Once::new());
    let ran = Arc::new(AtomicUsize::new(0));
    let entered = Arc::new(std::sync::Barrier::new(2));
    let waiters = if cfg!(miri) { 2 } else { 4 };
    let o = Arc::clone(&once);
    let e = Arc::clone(&entered);
    let panicker = std::thread::spawn(move || {
        catch_unwind(AssertUnwindSafe(|| {
            o.call_once(|| {
                e.wait(); // the others start once we hold the Once's mutex
                std::thread::sleep(std::time::Duration::from_millis(50));
                panic!("initialiser failed");
            })
        }))
        .is_err()
    });
    entered.wait();
    let hs: Vec<_> = (0..waiters)
        .map(|_| {
            let (o, r) = (Arc::clone(&once), Arc::clone(&ran));
            std::thread::spawn(move || {
                o.call_once(|| {
                    r.fetch_add(1, Ordering::SeqCst);
                });
            })
        })
        .collect();
    assert!(
        panicker.join().unwrap(),
        "the closure's panic reached its caller"
    );
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "a panic counts as done");
    assert!(once.is_done());
    once.call_once(|| unreachable!());
}

/// A `Mutex` holder that panics while other threads sleep on the mutex: the
/// guard's drop unlocks and wakes them; every waiter gets the lock once.
#[test]
fn mutex_holder_panic_hands_over_to_sleeping_waiters() {
    use std::sync::Arc;
    let m = Arc::new(gosync::Mutex::new(0usize));
    let waiters = if cfg!(miri) { 2 } else { 4 };
    let g = m.lock();
    let hs: Vec<_> = (0..waiters)
        .map(|_| {
            let m = Arc::clone(&m);
            std::thread::spawn(move || *m.lock() += 1)
        })
        .collect();
    // Wait until every waiter is counted in the state word (queued or
    // about to be), then panic while holding the lock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while m.raw().state().waiters() < waiters as u32 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    let r = catch_unwind(AssertUnwindSafe(move || {
        let _g = g;
        panic!("holder failed");
    }));
    assert!(r.is_err());
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(*m.lock(), waiters);
    assert_eq!(m.raw().state().word(), 0);
}
