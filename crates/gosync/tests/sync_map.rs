//! SyncMap: promotion after misses, expunged entries, a multi-thread stress
//! test with invariant checks, drop accounting and panicking user code.
#![cfg(not(loom))]

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::thread;

use gosync::{SyncMap, SyncMapStats};

#[test]
fn misses_promote_dirty_to_read() {
    let m = SyncMap::new();
    for i in 0..4 {
        m.store(i, i);
    }
    let s = m.stats();
    assert_eq!(
        s,
        SyncMapStats {
            read_len: 0,
            read_live: 0,
            dirty_len: Some(4),
            amended: true,
            misses: 0
        }
    );
    // Three misses: not yet (misses < len(dirty) = 4).
    for i in 0..3 {
        assert_eq!(m.load(&i), Some(i));
    }
    assert_eq!(m.stats().misses, 3);
    assert!(m.stats().amended);
    // The fourth promotes.
    assert_eq!(m.load(&3), Some(3));
    let s = m.stats();
    assert_eq!(
        (s.read_len, s.dirty_len, s.amended, s.misses),
        (4, None, false, 0)
    );
    // Loads of read keys now count no misses.
    assert_eq!(m.load(&0), Some(0));
    assert_eq!(m.stats().misses, 0);
}

/// Beyond Go: a key in neither map is answered from the read map's filter of
/// dirty-only keys, without the lock and without counting a miss; keys that
/// are only in dirty still lock, count and promote as in Go.
#[test]
fn absent_keys_skip_the_lock_but_dirty_keys_still_promote() {
    let m = SyncMap::new();
    for i in 0..100 {
        m.store(i, i);
    }
    m.range(|_, _| true); // promotes: read has 0..100, not amended
    let dirty_only = 1000..1040;
    for i in dirty_only.clone() {
        m.store(i, i); // new keys: dirty rebuilt, read amended
    }
    assert_eq!(m.stats().dirty_len, Some(140));
    let mut counted = 0;
    for i in 2000..2500 {
        assert_eq!(m.load(&i), None);
        assert!(!m.delete(&i));
        assert!(!m.compare_and_delete(&i, &i));
        assert!(!m.compare_and_swap(&i, &i, i));
        counted = m.stats().misses;
    }
    // Only the filter's false positives lock and count (four calls each).
    assert!(
        counted <= 40,
        "{counted} misses from 2,000 absent-key calls"
    );
    assert!(m.stats().amended);
    for i in dirty_only.clone() {
        assert_eq!(m.load(&i), Some(i));
    }
    let s = m.stats();
    assert!(s.misses >= 40 || !s.amended, "{s:?}");
    // Enough dirty-key loads promote, as in Go.
    while m.stats().amended {
        for i in dirty_only.clone() {
            assert_eq!(m.load(&i), Some(i));
        }
    }
    let s = m.stats();
    assert_eq!((s.read_len, s.dirty_len, s.misses), (140, None, 0));
}

#[test]
fn deleted_read_entries_are_expunged_when_dirty_is_rebuilt() {
    let m = SyncMap::new();
    m.store("a", 1);
    m.store("b", 2);
    m.range(|_, _| true); // promotes
    assert!(m.delete(&"a")); // read entry -> nil (logical delete)
    let s = m.stats();
    assert_eq!((s.read_len, s.read_live, s.dirty_len), (2, 1, None));
    m.store("c", 3); // new key: dirty rebuilt from read, "a" expunged and left out
    let s = m.stats();
    assert_eq!((s.read_len, s.dirty_len, s.amended), (2, Some(2), true));
    // Storing to the expunged key un-expunges it into dirty.
    m.store("a", 10);
    assert_eq!(m.stats().dirty_len, Some(3));
    assert_eq!(m.load(&"a"), Some(10));
    let mut all = Vec::new();
    m.range(|k, v| {
        all.push((*k, *v));
        true
    });
    all.sort();
    assert_eq!(all, [("a", 10), ("b", 2), ("c", 3)]);
}

/// Every key k only ever holds multiples of k; writers on disjoint key sets
/// plus shared readers, deleters and ranges. Checked: values are multiples of
/// their key, range sees no key twice, each writer's final value is visible.
#[test]
fn stress_with_invariants() {
    let keys: i64 = if cfg!(miri) { 8 } else { 256 };
    let rounds: i64 = if cfg!(miri) { 10 } else { 400 };
    let m = Arc::new(SyncMap::new());
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2i64)
        .map(|w| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                for r in 1..=rounds {
                    for k in (1..=keys).filter(|k| k % 2 == w) {
                        match r % 4 {
                            0 => {
                                m.delete(&k);
                            }
                            1 => {
                                m.store(k, k * r);
                            }
                            2 => {
                                let (v, _) = m.load_or_store(k, k * r);
                                assert_eq!(v % k, 0);
                            }
                            _ => {
                                if let Some(old) = m.swap(k, k * r) {
                                    assert_eq!(old % k, 0);
                                    assert!(m.compare_and_swap(&k, &(k * r), k * (r + 1)));
                                }
                            }
                        }
                    }
                }
                // Final value for each of our keys: k * (rounds + 1).
                for k in (1..=keys).filter(|k| k % 2 == w) {
                    m.store(k, k * (rounds + 1));
                }
            })
        })
        .collect();
    let checkers: Vec<_> = (0..2)
        .map(|_| {
            let (m, stop) = (Arc::clone(&m), Arc::clone(&stop));
            thread::spawn(move || {
                let mut ranges = 0;
                while !stop.load(Ordering::Relaxed) || ranges == 0 {
                    for k in 1..=keys {
                        if let Some(v) = m.load(&k) {
                            assert_eq!(v % k, 0, "key {k} held {v}");
                        }
                    }
                    let mut seen = std::collections::HashSet::new();
                    m.range(|k, v| {
                        assert_eq!(v % k, 0);
                        assert!(seen.insert(*k), "key {k} seen twice");
                        true
                    });
                    ranges += 1;
                }
            })
        })
        .collect();
    for h in writers {
        h.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for h in checkers {
        h.join().unwrap();
    }
    for k in 1..=keys {
        assert_eq!(m.load(&k), Some(k * (rounds + 1)));
    }
    let mut n = 0;
    m.range(|_, _| {
        n += 1;
        true
    });
    assert_eq!(n, keys);
}

static LIVE: AtomicI64 = AtomicI64::new(0);

#[derive(Debug)]
struct Counted(u64);
impl Counted {
    fn new(n: u64) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Counted(n)
    }
}
impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.0)
    }
}
impl PartialEq for Counted {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Counted {}
impl Hash for Counted {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}
impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

thread_local! {
    static PANIC_ON_HASH: Cell<bool> = const { Cell::new(false) };
}

#[derive(PartialEq, Eq, Debug, Clone)]
struct Touchy(u32);
impl Hash for Touchy {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if PANIC_ON_HASH.with(Cell::get) {
            panic!("hash panicked");
        }
        self.0.hash(h);
    }
}

/// Every key and value made is dropped exactly once: on delete/overwrite
/// (after the epoch), on promotion of maps, and when the map is dropped.
/// One test owns LIVE so counts are exact.
#[test]
fn drops_every_key_and_value_exactly_once_and_survives_panicking_hash() {
    {
        let m = SyncMap::new();
        let n = if cfg!(miri) { 20 } else { 500 };
        for i in 0..n {
            m.store(Counted::new(i % 50), Counted::new(i));
            if i % 3 == 0 {
                let _ = m.load_and_delete(&Counted::new(i % 50));
            }
            if i % 7 == 0 {
                let _ = m.swap(Counted::new(i % 50), Counted::new(i));
            }
            if i % 11 == 0 {
                m.range(|_, _| true);
            }
            let _ = m.load(&Counted::new(i % 50));
            let _ = m.load_or_store(Counted::new(i % 60), Counted::new(i));
        }
        // Reclaim: what is left alive is what the map holds (≤ 60 keys and
        // their values), not every value ever replaced.
        m.reclaim();
        let live = LIVE.load(Ordering::SeqCst);
        assert!(live > 0 && live <= 2 * 60 + 8, "{live} alive");
    }
    assert_eq!(LIVE.load(Ordering::SeqCst), 0, "leaked keys or values");

    // A panicking Hash, in every phase: the map stays consistent.
    let m = SyncMap::new();
    for i in 0..10 {
        m.store(Touchy(i), i);
    }
    m.range(|_, _| true);
    assert!(m.delete(&Touchy(3)));
    PANIC_ON_HASH.with(|p| p.set(true));
    assert!(catch_unwind(AssertUnwindSafe(|| m.store(Touchy(100), 1))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| m.load(&Touchy(1)))).is_err());
    PANIC_ON_HASH.with(|p| p.set(false));
    // stats() takes the map's lock: it would hang had a panic left it held.
    assert!(!m.stats().amended || m.stats().dirty_len.is_some());
    m.store(Touchy(100), 100);
    m.store(Touchy(3), 3);
    for i in (0..10).chain([100]) {
        assert!(m.load(&Touchy(i)).is_some(), "lost key {i}");
    }
}

#[test]
fn compare_and_delete_and_from_iter() {
    let m: SyncMap<u8, &str> = [(1, "a"), (2, "b")].into_iter().collect();
    assert!(!m.compare_and_delete(&1, &"b"));
    assert!(m.compare_and_delete(&1, &"a"));
    assert!(!m.compare_and_delete(&9, &"a"));
    assert!(!m.compare_and_swap(&9, &"a", "b"));
    assert_eq!(m.load(&1), None);
    assert_eq!(format!("{m:?}"), "{2: \"b\"}");
    let counter = AtomicI64::new(0);
    m.range(|_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        true
    });
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

thread_local! {
    static PANIC_ON_CLONE: Cell<bool> = const { Cell::new(false) };
}

#[derive(PartialEq, Eq, Hash, Debug)]
struct Fragile(u8);
impl Clone for Fragile {
    fn clone(&self) -> Self {
        if PANIC_ON_CLONE.with(Cell::get) {
            panic!("clone panicked");
        }
        Fragile(self.0)
    }
}

/// Putting an expunged key back into dirty clones no key (dirty takes the
/// caller's), so a key whose `Clone` panics is stored all the same, and the
/// key survives the next promotion.
#[test]
fn unexpunging_a_key_never_clones_it() {
    let m = SyncMap::new();
    m.store(Fragile(1), 1);
    m.store(Fragile(2), 2);
    m.range(|_, _| true); // promote: both in read
    assert!(m.delete(&Fragile(1))); // read entry -> nil
    m.store(Fragile(3), 3); // dirty rebuilt: 1 expunged, left out
    assert_eq!(m.stats().dirty_len, Some(2));
    PANIC_ON_CLONE.with(|p| p.set(true));
    let r = catch_unwind(AssertUnwindSafe(|| m.store(Fragile(1), 10)));
    PANIC_ON_CLONE.with(|p| p.set(false));
    assert!(r.is_ok(), "un-expunging cloned the key");
    assert_eq!(m.stats().dirty_len, Some(3));
    assert_eq!(m.load(&Fragile(1)), Some(10));
    m.range(|_, _| true); // promote
    assert_eq!(m.load(&Fragile(1)), Some(10));
    assert_eq!(m.load(&Fragile(2)), Some(2));
    assert_eq!(m.load(&Fragile(3)), Some(3));
    // A panicking `Clone` while dirty is built from read changes nothing.
    assert!(m.delete(&Fragile(2)));
    PANIC_ON_CLONE.with(|p| p.set(true));
    let r = catch_unwind(AssertUnwindSafe(|| m.store(Fragile(4), 4)));
    PANIC_ON_CLONE.with(|p| p.set(false));
    assert!(r.is_err());
    assert_eq!(m.stats().dirty_len, None);
    m.store(Fragile(4), 4);
    m.range(|_, _| true);
    for (k, v) in [(1, Some(10)), (2, None), (3, Some(3)), (4, Some(4))] {
        assert_eq!(m.load(&Fragile(k)), v, "key {k}");
    }
}

/// A value whose `Drop` uses the map it was in: a registration that
/// unregisters itself. Go's `sync.Map` has no destructors (a finalizer that
/// used the map would run on its own goroutine); here a retired value is
/// dropped by whichever operation frees garbage, which must therefore not
/// hold the map's (non-re-entrant) lock then: before, a store, load,
/// load-or-store, compare-and-swap or range that promoted or published a
/// read map under the lock could free such a value there and deadlock in its
/// `Drop`.
struct Registration {
    id: u32,
    map: Option<std::sync::Weak<SyncMap<u32, Registration>>>,
}

impl Clone for Registration {
    fn clone(&self) -> Self {
        Registration {
            id: self.id,
            map: None, // only the stored value re-enters
        }
    }
}

impl PartialEq for Registration {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(m) = self.map.take().and_then(|w| w.upgrade()) {
            // A new key (takes the lock), a lookup that misses, a delete.
            m.store(1 << 30 | self.id, Registration { id: 0, map: None });
            let _ = m.load(&(1 << 31 | self.id));
            m.delete(&(1 << 30 | self.id));
        }
    }
}

#[cfg_attr(miri, ignore)] // thousands of operations and ranges
#[test]
fn a_value_drop_that_uses_the_map_does_not_deadlock() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let t = thread::spawn(move || {
        let m = Arc::new(SyncMap::new());
        let reg = |id| Registration {
            id,
            map: Some(Arc::downgrade(&m)),
        };
        for i in 0..3000u32 {
            m.store(i, reg(i)); // a new key: into dirty, may publish
            let _ = m.load(&i); // only in dirty: a miss, may promote
            m.store(i, reg(i)); // replaces (retires) the value
            let _ = m.load_or_store(i + 100_000, reg(i)); // new key
            let _ = m.load_or_store(i + 100_000, reg(i)); // in dirty: a miss
            m.store(i + 200_000, reg(i));
            let _ = m.compare_and_swap(&(i + 200_000), &reg(i), reg(i)); // a miss
            let _ = m.load_and_delete(&(i + 100_000));
            if i % 5 == 0 {
                m.range(|_, _| true); // promotes
            }
            if i > 0 {
                m.delete(&(i - 1));
            }
        }
        drop(m);
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("deadlock: a value's Drop ran under the map's lock");
    t.join().unwrap();
}

thread_local! {
    /// `Member`s alive on this thread (made, cloned, dropped).
    static MEMBERS: Cell<i64> = const { Cell::new(0) };
    /// `Member` drops that used the map.
    static MEMBER_REENTRIES: Cell<usize> = const { Cell::new(0) };
    /// Panics on the `n`th next `Clone` of a `Member` when `Some(n)`.
    static MEMBER_CLONE_PANIC: Cell<Option<u32>> = const { Cell::new(None) };
}

/// A key whose `Drop` uses the map it is a key of (a membership that
/// announces its end), as does every copy of it. The map drops keys of its
/// own: dirty's copies of read's keys when expunged entries leave a new
/// dirty map, the copies made so far when a `Clone` panics there, the
/// caller's key of an overwrite or of a `load_or_store` that loads, a
/// deleted dirty-only key, and garbage read maps. Before, the first two
/// happened under the map's (non-re-entrant) lock, and the `Drop` below
/// deadlocked there; so did the caller's key and value when a `Clone`
/// panicked.
struct Member {
    id: u32,
    map: Option<std::sync::Weak<SyncMap<Member, u32>>>,
}

impl Member {
    fn new(id: u32, map: Option<std::sync::Weak<SyncMap<Member, u32>>>) -> Self {
        MEMBERS.with(|c| c.set(c.get() + 1));
        Member { id, map }
    }
}

impl Clone for Member {
    fn clone(&self) -> Self {
        if let Some(n) = MEMBER_CLONE_PANIC.with(Cell::get) {
            MEMBER_CLONE_PANIC.with(|p| p.set(n.checked_sub(1).filter(|&n| n > 0)));
            if n == 1 {
                panic!("clone of member {} panicked", self.id);
            }
        }
        Member::new(self.id, self.map.clone())
    }
}

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Member {}

impl Hash for Member {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.id.hash(h);
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        MEMBERS.with(|c| c.set(c.get() - 1));
        if let Some(m) = self.map.take().and_then(|w| w.upgrade()) {
            MEMBER_REENTRIES.with(|c| c.set(c.get() + 1));
            // Takes the lock (a store would too, but would also change
            // what the test goes through), then a lookup.
            let s = m.stats();
            assert!(s.read_len >= s.read_live);
            let _ = m.load(&Member::new(1 << 30 | self.id, None));
        }
    }
}

#[test]
fn a_key_drop_that_uses_the_map_does_not_deadlock() {
    let rounds: u32 = if cfg!(miri) { 2 } else { 50 };
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let t = thread::spawn(move || {
        let m = Arc::new(SyncMap::new());
        let member = |id| Member::new(id, Some(Arc::downgrade(&m)));
        let reentries = || MEMBER_REENTRIES.with(Cell::get);
        for round in 0..rounds {
            let base = round * 100;
            for i in 0..8 {
                m.store(member(base + i), i); // new keys, into dirty
            }
            m.range(|_, _| true); // promotes: no dirty
            assert!(m.delete(&member(base))); // read entries: nil
            assert!(m.delete(&member(base + 1)));

            // A new key rebuilds dirty; the third copy's `Clone` panics:
            // the two copies, the key and its value drop after unlocking.
            let before = reentries();
            MEMBER_CLONE_PANIC.with(|p| p.set(Some(3)));
            let r = catch_unwind(AssertUnwindSafe(|| m.store(member(base + 50), 50)));
            MEMBER_CLONE_PANIC.with(|p| p.set(None));
            assert!(r.is_err());
            assert!(
                reentries() >= before + 3,
                "round {round}: copies and key dropped"
            );
            assert_eq!(m.load(&member(base + 50)), None);

            // Again without the panic: the copies of the expunged keys drop.
            let before = reentries();
            m.store(member(base + 50), 50);
            assert!(
                reentries() >= before + 2,
                "round {round}: expunged copies dropped"
            );
            m.store(member(base + 2), 22); // overwrite: the caller's key drops
            assert_eq!(m.load_or_store(member(base + 3), 0), (3, true));
            assert_eq!(m.swap(member(base + 4), 44), Some(4));
            assert_eq!(m.load_and_delete(&member(base + 50)), Some(50)); // dirty-only
            assert!(m.compare_and_swap(&member(base + 5), &5, 55));
            assert_eq!(m.load(&member(base + 1)), None);
            assert_eq!(m.load(&member(base + 2)), Some(22));
            assert_eq!(m.load(&member(base + 4)), Some(44));
            assert_eq!(m.load(&member(base + 5)), Some(55));
        }
        assert!(reentries() > 0);
        drop(m);
        done_tx.send(MEMBERS.with(Cell::get)).unwrap();
    });
    let live = done_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("deadlock: a key's Drop ran under the map's lock");
    t.join().unwrap();
    assert_eq!(live, 0, "a key leaked or was dropped twice");
}
