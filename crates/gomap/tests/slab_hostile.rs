//! Hostile tests for the overflow slabs (I6): overflow buckets beyond an
//! array's pool come from slabs owned by that array, which go with it to
//! the old array when a grow starts, are retired with it when the grow
//! ends (a slab per write) and are freed with it by `clear`, `drop`, a
//! rebuild (`reserve`, `shrink_to`) or the end of an `into_iter`.
//!
//! The hashers below put every key in a few bucket chains, so that most
//! entries live in overflow buckets, and the maps grow (doubling and same
//! size) with those chains in slabs. User code panics in `Hash`, `Eq`,
//! `Clone` and `Drop` at chosen points of the grow; every test counts live
//! keys and values (`common::D`), so a slab freed too early is a use after
//! free (Miri), one never freed a leak (Miri's leak check), an entry lost
//! or dropped twice a wrong count. The differential runs against std's map
//! also check the tophash states of every chain: Go's `emptyRest`
//! invariant (kept by `remove`'s fix-up) and cut, fully marked evacuated
//! chains in the old array.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use gomap::GoMap;

mod common;
use common::{countdown, live, D, PANIC_CLONE_AT, PANIC_EQ_AT, PANIC_HASH_AT};

/// splitmix64's finaliser: spreads an id over all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes an id so that only the low bucket indices `0..=MASK` of any
/// array are used (the other low bits are cleared); the tophash and the
/// bits above stay spread. `MASK = 1` puts every key in bucket 0 or 1:
/// chains of `len / 2` entries. A large mask with holes (`!0 << 3`) uses
/// one bucket in eight: chains of a few overflow buckets each.
#[derive(Clone, Copy, Default)]
struct Few<const KEEP: u64>;
struct FewHasher<const KEEP: u64>(u64);
impl<const KEEP: u64> Hasher for FewHasher<KEEP> {
    fn finish(&self) -> u64 {
        let h = mix(self.0);
        // Low 24 bits: only those of KEEP survive; the rest spread.
        (h & !0xff_ffff) | (h & KEEP & 0xff_ffff)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
impl<const KEEP: u64> BuildHasher for Few<KEEP> {
    type Hasher = FewHasher<KEEP>;
    fn build_hasher(&self) -> FewHasher<KEEP> {
        FewHasher(0)
    }
}

/// Two chains for the whole map.
type Two = Few<1>;
/// One bucket in eight (of the first 2^24).
type Eighth = Few<0xff_fff8>;

fn n(native: u64, miri: u64) -> u64 {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

fn disarm() {
    PANIC_HASH_AT.with(|c| c.set(usize::MAX));
    PANIC_EQ_AT.with(|c| c.set(usize::MAX));
    PANIC_CLONE_AT.with(|c| c.set(usize::MAX));
}

/// A map of `D -> D` with ids `0..len`, values `id + 1_000_000`.
fn filled<S: BuildHasher + Default>(len: u64) -> GoMap<D, D, S> {
    let mut m = GoMap::with_hasher(S::default());
    for i in 0..len {
        m.insert(D::new(i), D::new(i + 1_000_000));
    }
    m
}

/// Inserts fresh ids from `*next` until the map is growing; returns
/// whether it got there within `limit` inserts.
fn insert_until_growing<S: BuildHasher>(
    m: &mut GoMap<D, D, S>,
    next: &mut u64,
    limit: u64,
) -> bool {
    for _ in 0..limit {
        if m.stats().growing {
            return true;
        }
        m.insert(D::new(*next), D::new(*next + 1_000_000));
        *next += 1;
    }
    m.stats().growing
}

/// Every id of `ids` is in `m` with its value, and nothing else is.
fn check<S: BuildHasher>(m: &GoMap<D, D, S>, ids: impl IntoIterator<Item = u64>) {
    let mut want = 0;
    for i in ids {
        let probe = D::new(i);
        assert_eq!(
            m.get(&probe).map(|v| v.id),
            Some(i + 1_000_000),
            "id {i} lost"
        );
        want += 1;
    }
    assert_eq!(m.len(), want);
    // Both walks of the iterator (`next`, and `fold` through `for_each`)
    // yield each entry once, with its value.
    let mut by_next = Vec::with_capacity(want);
    // (A `for` loop calls `next`.)
    for (k, v) in m.iter() {
        assert_eq!(v.id, k.id + 1_000_000);
        by_next.push(k.id);
    }
    let mut by_fold = Vec::with_capacity(want);
    m.iter().for_each(|(k, v)| {
        assert_eq!(v.id, k.id + 1_000_000);
        by_fold.push(k.id);
    });
    by_next.sort_unstable();
    by_fold.sort_unstable();
    by_next.dedup();
    assert_eq!(by_next.len(), want, "an entry yielded twice or missed");
    assert_eq!(by_next, by_fold);
}

#[test]
fn overflow_heavy_maps_grow_and_drop_exactly() {
    for len in [0, 1, 9, 17, 100, n(3000, 300)] {
        {
            let mut m = filled::<Two>(len);
            check(&m, 0..len);
            // Remove every third key, then insert them back.
            for i in (0..len).step_by(3) {
                assert_eq!(m.remove(&D::new(i)).map(|v| v.id), Some(i + 1_000_000));
            }
            for i in (0..len).step_by(3) {
                assert!(m.insert(D::new(i), D::new(i + 1_000_000)).is_none());
            }
            check(&m, 0..len);
        }
        assert_eq!(live(), 0, "len {len}");
        {
            let m = filled::<Eighth>(len * 4);
            check(&m, 0..len * 4);
        }
        assert_eq!(live(), 0, "len {len}");
    }
}

#[test]
fn panicking_hash_during_evacuation_loses_nothing() {
    // A write hashes its key once, then growWork hashes the keys of the
    // old chains it evacuates: trigger on each of the first calls.
    for trigger in 0..n(40, 12) as usize {
        {
            // One bucket in eight: the grow B = 5 -> 6 has four old chains
            // of about 52 entries (six overflow buckets each) to evacuate,
            // so every write evacuates one whose keys the trigger can hit.
            let mut m = filled::<Eighth>(200);
            let mut next = 200;
            assert!(insert_until_growing(&mut m, &mut next, 10_000));
            let before: Vec<u64> = m.keys().map(|k| k.id).collect();
            PANIC_HASH_AT.with(|c| c.set(trigger));
            let k = next;
            // Several writes, so that the trigger lands in evacuations run
            // by an insert, a remove or an entry.
            let op = trigger % 3;
            let r = catch_unwind(AssertUnwindSafe(|| {
                for j in 0..4 {
                    match op {
                        0 => drop(m.insert(D::new(k + j), D::new(k + j + 1_000_000))),
                        1 => drop(m.remove(&D::new(j * 13))),
                        _ => drop(
                            m.entry(D::new(k + j))
                                .or_insert_with(|| D::new(k + j + 1_000_000)),
                        ),
                    }
                }
            }));
            disarm();
            assert!(r.is_err(), "trigger {trigger}: no Hash call panicked");
            // Whatever happened, the map holds the old keys but those
            // removed, and the new keys of the writes that finished.
            let mut ids: Vec<u64> = before
                .iter()
                .copied()
                .filter(|&i| op != 1 || i % 13 != 0 || i / 13 >= 4 || m.contains_key(&D::new(i)))
                .collect();
            for j in 0..4 {
                if m.contains_key(&D::new(k + j)) {
                    ids.push(k + j);
                }
            }
            check(&m, ids.iter().copied());
            // Finish the grow with more writes, then look again.
            for i in k + 4..k + 4 + n(400, 80) {
                m.insert(D::new(i), D::new(i + 1_000_000));
                ids.push(i);
            }
            check(&m, ids.iter().copied());
        }
        assert_eq!(live(), 0, "trigger {trigger}");
    }
}

/// A counted key whose `Eq` panics on demand (`PANIC_EQ_AT`).
#[derive(Debug)]
struct EqBomb(D);
impl PartialEq for EqBomb {
    fn eq(&self, o: &EqBomb) -> bool {
        if countdown(&PANIC_EQ_AT) {
            panic!("eq panicked");
        }
        self.0.id == o.0.id
    }
}
impl Eq for EqBomb {}
impl std::hash::Hash for EqBomb {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}

#[test]
fn panicking_eq_during_grow_loses_nothing() {
    let key = |i: u64| EqBomb(D::new(i));
    for trigger in [0, 1, 2, 5] {
        {
            let mut m: GoMap<EqBomb, D, Two> = GoMap::with_hasher(Two::default());
            let mut next = 0;
            while !m.stats().growing || next < n(150, 50) {
                m.insert(key(next), D::new(next + 1_000_000));
                next += 1;
            }
            assert!(m.stats().growing);
            PANIC_EQ_AT.with(|c| c.set(trigger));
            // Each lookup of a present key compares it at least once.
            let r = catch_unwind(AssertUnwindSafe(|| {
                for i in [3, 5, 8, 13, 21, 34] {
                    if i % 2 == 0 {
                        m.insert(key(i), D::new(i + 1_000_000));
                    } else {
                        m.remove(&key(i));
                    }
                }
            }));
            disarm();
            assert!(r.is_err(), "trigger {trigger}: no Eq call panicked");
            let mut want = 0;
            for i in 0..next {
                match m.get(&key(i)) {
                    Some(v) => {
                        assert_eq!(v.id, i + 1_000_000);
                        want += 1;
                    }
                    // Only the odd keys of the list may have been removed.
                    None => assert!([3, 5, 13, 21].contains(&i), "{i} lost"),
                }
            }
            assert_eq!(m.len(), want);
            assert_eq!(m.iter().count(), want);
        }
        assert_eq!(live(), 0, "trigger {trigger}");
    }
}

#[test]
fn clear_mid_grow_with_and_without_a_panicking_drop_then_reuse() {
    // Cleared right as the grow starts and after a few evacuations: the
    // old array's slabs still hold chains (B = 4 -> 5: 16 old buckets, two
    // of them with long chains in slabs).
    // A panicking drop stops `clear` before it frees anything (the map,
    // emptied, keeps its arrays and slabs); without one, `clear` frees the
    // old array and both arrays' slabs.
    for bomb in [false, true] {
        for extra in [0, 1, 3] {
            {
                let mut m = filled::<Two>(60);
                let mut next = 60;
                assert!(insert_until_growing(&mut m, &mut next, 10_000));
                assert_eq!(m.stats().b, 5);
                if bomb {
                    *m.get_mut(&D::new(7)).unwrap() = D::bomb(7 + 1_000_000);
                }
                for _ in 0..extra {
                    m.insert(D::new(next), D::new(next + 1_000_000));
                    next += 1;
                }
                assert!(m.stats().growing);
                let r = catch_unwind(AssertUnwindSafe(|| m.clear()));
                assert_eq!(r.is_err(), bomb);
                assert_eq!(m.len(), 0);
                assert_eq!(m.iter().count(), 0);
                assert_eq!(live(), 0, "clear dropped every entry");
                // Whatever `clear` freed, the map must not reuse it.
                let len = n(300, 60);
                for i in 0..len {
                    m.insert(D::new(i), D::new(i + 1_000_000));
                }
                check(&m, 0..len);
                m.clear();
                for i in 0..len {
                    m.insert(D::new(i), D::new(i + 1_000_000));
                }
                check(&m, 0..len);
            }
            assert_eq!(live(), 0, "extra {extra} bomb {bomb}");
        }
    }
}

#[test]
fn panicking_drop_when_dropped_mid_grow() {
    for bomb_at in [0, 7, 33] {
        {
            let mut m = filled::<Two>(n(100, 40));
            let mut next = n(100, 40);
            assert!(insert_until_growing(&mut m, &mut next, 10_000));
            *m.get_mut(&D::new(bomb_at)).unwrap() = D::bomb(bomb_at + 1_000_000);
            let r = catch_unwind(AssertUnwindSafe(move || drop(m)));
            assert!(r.is_err());
        }
        assert_eq!(live(), 0, "bomb {bomb_at}");
    }
}

#[test]
fn panicking_clone_mid_grow_frees_the_partial_copy() {
    let len = n(150, 50);
    for trigger in [0, 1, 8, 9, 40, len as usize - 1] {
        {
            let mut m = filled::<Two>(len);
            let mut next = len;
            assert!(insert_until_growing(&mut m, &mut next, 10_000));
            PANIC_CLONE_AT.with(|c| c.set(trigger));
            let r = catch_unwind(AssertUnwindSafe(|| m.clone()));
            disarm();
            assert!(r.is_err(), "trigger {trigger}");
            check(&m, 0..next);
        }
        assert_eq!(live(), 0, "trigger {trigger}");
    }
}

#[test]
fn clones_mid_grow_own_their_slabs() {
    {
        let len = n(400, 80);
        let mut m = filled::<Two>(len);
        let mut next = len;
        assert!(insert_until_growing(&mut m, &mut next, 10_000));
        // A write so that some chains are evacuated, some not.
        m.insert(D::new(next), D::new(next + 1_000_000));
        next += 1;
        let mut c = m.clone();
        check(&c, 0..next);
        // Finish the original's grow and retire its arrays, then drop it:
        // the copy must not share a slab with it.
        let mut more = next;
        for _ in 0..n(300, 60) {
            m.insert(D::new(more), D::new(more + 1_000_000));
            more += 1;
        }
        check(&m, 0..more);
        drop(m);
        check(&c, 0..next);
        // The copy grows on from its own slabs.
        for i in next..more {
            c.insert(D::new(i), D::new(i + 1_000_000));
        }
        check(&c, 0..more);
        // A copy of the copy, mid-write-stream, then both cleared.
        let mut c2 = c.clone();
        c.clear();
        check(&c2, 0..more);
        c2.clear();
        assert_eq!(live(), 0);
    }
    assert_eq!(live(), 0);
}

#[test]
fn into_iter_and_drain_of_growing_maps() {
    for take in [0usize, 1, 10, usize::MAX] {
        {
            let mut m = filled::<Two>(n(200, 50));
            let mut next = n(200, 50);
            assert!(insert_until_growing(&mut m, &mut next, 10_000));
            let mut seen = 0u64;
            for (k, v) in m.into_iter().take(take) {
                assert_eq!(v.id, k.id + 1_000_000);
                seen += 1;
            }
            if take == usize::MAX {
                assert_eq!(seen, next);
            }
        }
        assert_eq!(live(), 0, "into_iter take {take}");
        {
            let mut m = filled::<Two>(n(200, 50));
            let mut next = n(200, 50);
            assert!(insert_until_growing(&mut m, &mut next, 10_000));
            let got = m.drain().take(take).count();
            assert_eq!(got, take.min(next as usize));
            assert_eq!(m.len(), 0);
            // Reused after the drain reset it.
            for i in 0..n(100, 30) {
                m.insert(D::new(i), D::new(i + 1_000_000));
            }
            check(&m, 0..n(100, 30));
        }
        assert_eq!(live(), 0, "drain take {take}");
    }
}

#[test]
fn forgotten_iterators_leave_a_usable_map() {
    {
        let mut m = filled::<Two>(n(150, 50));
        let mut next = n(150, 50);
        assert!(insert_until_growing(&mut m, &mut next, 10_000));
        // A forgotten `IterMut` changes nothing.
        let mut it = m.iter_mut();
        it.next();
        #[allow(clippy::forget_non_drop)]
        std::mem::forget(it);
        check(&m, 0..next);
        // A forgotten `Drain` leaves the entries it did not yield.
        let mut d = m.drain();
        let taken: Vec<(D, D)> = d.by_ref().take(5).collect();
        std::mem::forget(d);
        assert_eq!(m.len(), next as usize - 5);
        let mut ids: Vec<u64> = (0..next)
            .filter(|i| !taken.iter().any(|(k, _)| k.id == *i))
            .collect();
        drop(taken);
        check(&m, ids.iter().copied());
        // Writes finish the grow (retiring its slabs) on a map with
        // `emptyOne` slots that no fix-up turned into `emptyRest`.
        for _ in 0..n(300, 60) {
            m.insert(D::new(next), D::new(next + 1_000_000));
            ids.push(next);
            next += 1;
        }
        for &i in ids.iter().step_by(2) {
            assert!(m.remove(&D::new(i)).is_some());
        }
        let ids: Vec<u64> = ids.iter().copied().skip(1).step_by(2).collect();
        check(&m, ids.iter().copied());
    }
    assert_eq!(live(), 0);
}

#[test]
fn retain_extract_if_reserve_shrink_mid_grow() {
    {
        let len = n(300, 60);
        let mut m = filled::<Two>(len);
        let mut next = len;
        assert!(insert_until_growing(&mut m, &mut next, 10_000));
        m.retain(|k, _| k.id % 3 != 0);
        let mut ids: Vec<u64> = (0..next).filter(|i| i % 3 != 0).collect();
        check(&m, ids.iter().copied());
        let out: Vec<u64> = m
            .extract_if(|k, _| k.id % 3 == 1)
            .map(|(k, _)| k.id)
            .collect();
        ids.retain(|i| i % 3 != 1);
        assert_eq!(out.len(), (0..next).filter(|i| i % 3 == 1).count());
        check(&m, ids.iter().copied());
        // Grow again, then rebuild while growing: reserve, shrink.
        let mut k = next;
        while !m.stats().growing {
            m.insert(D::new(k), D::new(k + 1_000_000));
            ids.push(k);
            k += 1;
        }
        m.reserve(m.capacity() * 2 + 1);
        assert!(!m.stats().growing);
        check(&m, ids.iter().copied());
        while !m.stats().growing {
            m.insert(D::new(k), D::new(k + 1_000_000));
            ids.push(k);
            k += 1;
        }
        m.shrink_to_fit();
        check(&m, ids.iter().copied());
        // An extract_if dropped early during a grow.
        while !m.stats().growing {
            m.insert(D::new(k), D::new(k + 1_000_000));
            ids.push(k);
            k += 1;
        }
        let mut it = m.extract_if(|_, _| true);
        let first = it.next().map(|(k, _)| k.id);
        drop(it);
        ids.retain(|&i| Some(i) != first);
        check(&m, ids.iter().copied());
    }
    assert_eq!(live(), 0);
}

#[test]
fn panicking_hash_in_reserve_and_shrink_mid_grow() {
    for shrink in [false, true] {
        for trigger in [0usize, 3, 50] {
            {
                // B = 7 -> 8 (Miri: 5 -> 6), 64 (16) old buckets.
                let len = n(800, 200);
                let mut m = filled::<Two>(len);
                let mut next = len;
                assert!(insert_until_growing(&mut m, &mut next, 10_000));
                if shrink {
                    // A few removes, the grow still in progress: then
                    // `shrink_to_fit` rebuilds with one bucket fewer.
                    for i in 0..10 {
                        assert!(m.remove(&D::new(i)).is_some());
                    }
                    assert!(m.stats().growing);
                }
                let ids: Vec<u64> = m.keys().map(|k| k.id).collect();
                PANIC_HASH_AT.with(|c| c.set(trigger));
                let r = catch_unwind(AssertUnwindSafe(|| {
                    if shrink {
                        m.shrink_to_fit()
                    } else {
                        m.reserve(10 * next as usize)
                    }
                }));
                disarm();
                assert!(r.is_err(), "trigger {trigger}: no Hash call panicked");
                check(&m, ids.iter().copied());
                let more = next + n(200, 40);
                for i in next..more {
                    m.insert(D::new(i), D::new(i + 1_000_000));
                }
                check(&m, ids.iter().copied().chain(next..more));
            }
            assert_eq!(live(), 0, "trigger {trigger} shrink {shrink}");
        }
    }
}

#[test]
fn cursor_with_writes_across_grows_that_retire_slabs() {
    {
        let len = n(300, 60);
        let mut m = filled::<Two>(len);
        let mut c = m.cursor();
        let mut seen = std::collections::HashSet::new();
        let mut next = len;
        let mut removed = std::collections::HashSet::new();
        while let Some((k, _)) = c.next(&m) {
            let id = k.id;
            assert!(seen.insert(id), "{id} yielded twice");
            // Writes that keep the map growing, plus a remove of a key
            // not yet seen.
            for _ in 0..3 {
                m.insert(D::new(next), D::new(next + 1_000_000));
                next += 1;
            }
            let victim = (id * 7 + 1) % len;
            if !seen.contains(&victim) && m.remove(&D::new(victim)).is_some() {
                removed.insert(victim);
            }
        }
        for i in 0..len {
            assert!(
                seen.contains(&i) || removed.contains(&i),
                "{i} never yielded"
            );
        }
        for i in &removed {
            assert!(!seen.contains(i), "{i} yielded after its removal");
        }
    }
    assert_eq!(live(), 0);
}

/// Hashes id `i` to bucket `i / 32` (mod 256, then mod 2^B): blocks of
/// 32 consecutive ids share a chain (a head and three overflow buckets).
#[derive(Clone, Copy, Default)]
struct Blocks;
struct BlocksHasher(u64);
impl Hasher for BlocksHasher {
    fn finish(&self) -> u64 {
        (mix(self.0) & !0xff) | ((self.0 >> 5) & 0xff)
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 ids")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
impl BuildHasher for Blocks {
    type Hasher = BlocksHasher;
    fn build_hasher(&self) -> BlocksHasher {
        BlocksHasher(0)
    }
}

/// Same-size grows back to back: a block of keys filling a fresh chain
/// (three overflow buckets), then removed, again and again in other
/// chains, makes `noverflow` reach 2^B while the load stays low. Each
/// same-size grow makes the old array's slabs old, then retires them.
#[test]
fn same_size_grows_in_a_row() {
    {
        let mut m: GoMap<D, D, Blocks> = GoMap::with_hasher(Blocks);
        let mut model: Vec<u64> = (0..60).collect();
        for &i in &model {
            m.insert(D::new(i), D::new(i + 1_000_000));
        }
        assert_eq!(m.stats().b, 4);
        let (mut same, mut was_same) = (0, false);
        let blocks = n(200, 40);
        for block in 2..blocks {
            let ids = block * 32..block * 32 + 32;
            for i in ids.clone() {
                m.insert(D::new(i), D::new(i + 1_000_000));
                let s = m.stats();
                if s.same_size_growth && !was_same {
                    same += 1;
                }
                was_same = s.same_size_growth;
                assert_eq!(s.b, 4, "a doubling grow: the load was too high");
            }
            // Keep one key of each block, remove the others.
            for i in ids.clone().skip(1) {
                assert!(m.remove(&D::new(i)).is_some());
            }
            model.push(ids.start);
            if block % 8 == 0 {
                // Keep the load low: remove the kept keys of old blocks.
                for i in model.drain(60..) {
                    assert!(m.remove(&D::new(i)).is_some());
                }
            }
        }
        assert!(same >= 2, "{same} same-size grows");
        check(&m, model.iter().copied());
        let c = m.clone();
        drop(m);
        check(&c, model.iter().copied());
    }
    assert_eq!(live(), 0);
}

/// A random mix of every operation, checked against std's map, with
/// overflow-heavy hashing.
fn differential<S: BuildHasher + Default + Clone>(seed: u64, ops: u64) {
    {
        let mut m: GoMap<D, D, S> = GoMap::with_hasher(S::default());
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut r = seed;
        let mut rnd = |k: u64| {
            r = mix(r);
            r % k
        };
        for step in 0..ops {
            let key = rnd(600);
            match rnd(100) {
                0..=54 => {
                    let v = rnd(1 << 30);
                    let old = m.insert(D::new(key), D::new(v)).map(|d| d.id);
                    assert_eq!(old, model.insert(key, v));
                }
                55..=84 => {
                    let old = m.remove(&D::new(key)).map(|d| d.id);
                    assert_eq!(old, model.remove(&key));
                }
                85..=94 => {
                    assert_eq!(m.get(&D::new(key)).map(|d| d.id), model.get(&key).copied());
                }
                95 => {
                    let c = m.clone();
                    assert_eq!(c.len(), model.len());
                    for (k, v) in &model {
                        assert_eq!(c.get(&D::new(*k)).map(|d| d.id), Some(*v));
                    }
                }
                96 => {
                    if rnd(8) == 0 {
                        m.clear();
                        model.clear();
                    }
                }
                97 => m.shrink_to_fit(),
                98 => m.reserve(rnd(200) as usize),
                _ => {
                    let keep = rnd(3);
                    m.retain(|k, _| k.id % 3 != keep);
                    model.retain(|k, _| k % 3 != keep);
                }
            }
            assert_eq!(m.len(), model.len());
            if step % 16 == 0 {
                tails_are_empty_rest(&m);
            }
        }
        tails_are_empty_rest(&m);
        for (k, v) in &model {
            assert_eq!(m.get(&D::new(*k)).map(|d| d.id), Some(*v));
        }
        assert_eq!(m.iter().count(), model.len());
    }
    assert_eq!(live(), 0);
}

/// Go's `emptyRest` invariant in every chain of the current array, which
/// `remove`'s fix-up keeps: the empty slots after a chain's last live one
/// are `emptyRest` (0), and no `emptyRest` comes before a live one.
/// In the old array while growing, a chain is either evacuated (its head
/// alone, its chain cut, every byte an evacuation mark) or as above.
fn tails_are_empty_rest<K, V, S>(m: &GoMap<K, V, S>) {
    let d = m.tophash_dump();
    let mut chains: Vec<&Vec<[u8; 8]>> = d.buckets.iter().collect();
    for chain in &d.old_buckets {
        if (2..=4).contains(&chain[0][0]) {
            assert_eq!(chain.len(), 1, "an evacuated chain not cut: {chain:?}");
            assert!(chain[0].iter().all(|t| (2..=4).contains(t)), "{chain:?}");
        } else {
            chains.push(chain);
        }
    }
    for (i, chain) in chains.into_iter().enumerate() {
        let bytes: Vec<u8> = chain.iter().flatten().copied().collect();
        let end = bytes.iter().rposition(|&t| t >= 5).map_or(0, |p| p + 1);
        assert!(
            bytes[end..].iter().all(|&t| t == 0),
            "chain {i}: empty tail not all emptyRest: {chain:?}"
        );
        assert!(
            bytes[..end].iter().all(|&t| t >= 5 || t == 1),
            "chain {i}: emptyRest (or a mark) before a live slot: {chain:?}"
        );
    }
}

#[test]
fn differential_two_chains() {
    for seed in 0..n(6, 1) {
        differential::<Two>(seed, n(6000, 600));
    }
}

#[test]
fn differential_one_bucket_in_eight() {
    for seed in 0..n(6, 1) {
        differential::<Eighth>(seed, n(20_000, 1500));
    }
}

/// Large maps with one bucket in eight used: arrays past the retirement
/// chunk, so the old array and its slabs are retired a piece per write
/// rather than at once, slabs of several buckets each.
#[test]
fn retired_slabs_of_large_arrays() {
    {
        let len = n(40_000, 3600);
        let mut m: GoMap<u64, u64, Eighth> = GoMap::with_hasher(Eighth::default());
        for i in 0..len {
            m.insert(i, i ^ 0xabcd);
        }
        // Removes and inserts that step through retirement.
        for i in (0..len).step_by(2) {
            assert_eq!(m.remove(&i), Some(i ^ 0xabcd));
        }
        for i in len..len + len / 2 {
            m.insert(i, i ^ 0xabcd);
        }
        for i in 0..len + len / 2 {
            let want = if i < len && i % 2 == 0 {
                None
            } else {
                Some(i ^ 0xabcd)
            };
            assert_eq!(m.get(&i).copied(), want, "{i}");
        }
        let c = m.clone();
        m.clear();
        assert_eq!(c.len(), (len / 2 + len / 2) as usize);
        for i in 0..len / 4 {
            m.insert(i, i);
        }
        assert_eq!(m.len(), (len / 4) as usize);
    }
}

#[repr(align(64))]
#[derive(Clone, Debug, PartialEq)]
struct Align64(u64);

#[repr(align(4096))]
#[derive(Clone, Debug, PartialEq)]
struct Page([u8; 4096]);

#[test]
fn over_aligned_values_in_slab_buckets() {
    let len = n(400, 80);
    let mut m: GoMap<u64, Align64, Two> = GoMap::with_hasher(Two::default());
    for i in 0..len {
        m.insert(i, Align64(i));
        let v = m.get(&i).unwrap();
        assert_eq!(v as *const Align64 as usize % 64, 0);
    }
    for (k, v) in &m {
        assert_eq!(v as *const Align64 as usize % 64, 0, "{k}");
        assert_eq!(v.0, *k);
    }
    let c = m.clone();
    for (k, v) in &c {
        assert_eq!(v as *const Align64 as usize % 64, 0, "{k}");
        assert_eq!(v.0, *k);
    }
    // Over-aligned keys too.
    let mut m2: GoMap<u128, Align64, Two> = GoMap::with_hasher(Two::default());
    for i in 0..len {
        m2.insert(u128::from(i) << 64 | 1, Align64(i));
    }
    for (k, v) in &m2 {
        assert_eq!(k as *const u128 as usize % core::mem::align_of::<u128>(), 0);
        assert_eq!(v as *const Align64 as usize % 64, 0);
        assert_eq!((k >> 64) as u64, v.0);
    }
    assert_eq!(m2.len(), len as usize);
}

#[test]
fn page_aligned_and_huge_values() {
    let len = n(60, 20);
    let mut m: GoMap<u64, Page, Two> = GoMap::with_hasher(Two::default());
    for i in 0..len {
        m.insert(i, Page([i as u8; 4096]));
    }
    for (k, v) in &m {
        assert_eq!(v as *const Page as usize % 4096, 0);
        assert!(v.0.iter().all(|&b| b == *k as u8));
    }
    drop(m.clone());
    let mut h: GoMap<u32, [u8; 16384], Two> = GoMap::with_hasher(Two::default());
    for i in 0..len as u32 {
        h.insert(i, [i as u8; 16384]);
    }
    for i in (0..len as u32).step_by(2) {
        assert!(h.remove(&i).is_some());
    }
    for (k, v) in &h {
        assert!(k % 2 == 1 && v.iter().all(|&b| b == *k as u8));
    }
    // Huge keys: stored out of line, the bucket stays small.
    let mut hk: GoMap<[u8; 300], u8, Two> = GoMap::with_hasher(Two::default());
    for i in 0..len {
        let mut k = [0u8; 300];
        k[..8].copy_from_slice(&i.to_le_bytes());
        hk.insert(k, i as u8);
    }
    assert_eq!(hk.len(), len as usize);
    hk.clear();
}

#[test]
fn zero_sized_values_and_keys() {
    let len = n(500, 80);
    {
        let mut m: GoMap<D, (), Two> = GoMap::with_hasher(Two::default());
        for i in 0..len {
            m.insert(D::new(i), ());
        }
        assert_eq!(m.len(), len as usize);
        for i in 0..len {
            assert!(m.contains_key(&D::new(i)));
        }
        let c = m.clone();
        m.clear();
        assert_eq!(c.len(), len as usize);
    }
    assert_eq!(live(), 0);
    // A zero-sized key holds one entry.
    let mut z: GoMap<(), D, Two> = GoMap::with_hasher(Two::default());
    for i in 0..10 {
        z.insert((), D::new(i));
    }
    assert_eq!(z.len(), 1);
    drop(z);
    assert_eq!(live(), 0);
}

/// A zero-sized value aligned to 64 KiB: stored inline, it makes a bucket
/// of 128 KiB, larger than a slab's bucket budget, so every slab holds a
/// single bucket after a 64 KiB header.
#[repr(align(65536))]
#[derive(Clone, Debug, PartialEq)]
struct Align64K;

/// The largest inline value (128 bytes), over-aligned.
#[repr(align(128))]
#[derive(Clone, Debug, PartialEq)]
struct Wide([u64; 16]);

#[test]
fn buckets_larger_than_a_slab() {
    {
        let len = n(120, 30);
        let mut m: GoMap<D, Align64K, Two> = GoMap::with_hasher(Two::default());
        let mut next = 0;
        for i in 0..len {
            m.insert(D::new(i), Align64K);
            next += 1;
        }
        for (k, v) in &m {
            assert_eq!(v as *const Align64K as usize % 65536, 0, "{}", k.id);
        }
        for i in (0..len).step_by(2) {
            assert_eq!(m.remove(&D::new(i)), Some(Align64K));
        }
        let c = m.clone();
        assert_eq!(c.len(), (len / 2) as usize);
        for (k, v) in &c {
            assert_eq!(k.id % 2, 1);
            assert_eq!(v as *const Align64K as usize % 65536, 0);
        }
        // Mid-grow clone and clear.
        assert!(m.stats().growing || insert_until_zst(&mut m, &mut next));
        let c2 = m.clone();
        let before = m.len();
        m.clear();
        assert_eq!((m.len(), c2.len()), (0, before));
        assert_eq!(c2.iter().count(), before);
    }
    assert_eq!(live(), 0);
    let len = n(300, 60);
    let mut w: GoMap<u64, Wide, Two> = GoMap::with_hasher(Two::default());
    for i in 0..len {
        w.insert(i, Wide([i; 16]));
    }
    for (k, v) in &w {
        assert_eq!(v as *const Wide as usize % 128, 0);
        assert_eq!(v.0, [*k; 16]);
    }
    let c = w.clone();
    drop(w);
    assert_eq!(c.len(), len as usize);
}

fn insert_until_zst(m: &mut GoMap<D, Align64K, Two>, next: &mut u64) -> bool {
    for _ in 0..10_000 {
        if m.stats().growing {
            return true;
        }
        m.insert(D::new(*next), Align64K);
        *next += 1;
    }
    false
}
