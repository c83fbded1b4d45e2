//! Hostile tests for the bucket-array bookkeeping: the overflow slabs that
//! hold the overflow buckets beyond each array's pool (freed with their
//! array, never by walking its chains), and the retirement of a dead array
//! and its slabs (a slab per write, then a huge page per write for arrays
//! advised as huge pages on Linux, 64 KiB otherwise) while the map is
//! cloned, cleared, shrunk, dropped or iterated with writes.
//!
//! Every test counts live keys and values (`common::D`): an entry left in
//! a freed slab leaks (Miri's leak check fails), a slab freed twice is a
//! double free, a retired slab or chunk used again is a use after free.

use std::hash::{BuildHasher, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use gomap::GoMap;

mod common;
use common::{live, D, PANIC_CLONE_AT, PANIC_HASH_AT};

/// Hashes a `D` to its id: tests place keys in chosen buckets.
#[derive(Clone, Copy, Default)]
struct Identity;
struct IdentityHasher(u64);
impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
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
impl BuildHasher for Identity {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

type IdMap = GoMap<D, D, Identity>;

/// A key in bucket `bucket` of a 2^B array for every B up to 16, distinct
/// for each `serial`, with varied top bytes.
fn key_in(bucket: u64, serial: u64) -> u64 {
    bucket | (serial << 16) | (serial.wrapping_mul(0x9e37) << 56)
}

fn put(m: &mut IdMap, id: u64) {
    assert!(m.insert(D::new(id), D::new(id ^ 1)).is_none(), "{id:#x}");
}

fn panics<R>(f: impl FnOnce() -> R) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

/// Every key in `ids` is in `m` with its value.
fn assert_holds(m: &IdMap, ids: &[u64]) {
    assert_eq!(m.len(), ids.len());
    for &id in ids {
        assert_eq!(m.get(&D::new(id)).map(|v| v.id), Some(id ^ 1), "{id:#x}");
    }
}

/// A B = 2 map whose four chains each got an overflow bucket of its own
/// allocation (B < 4 arrays have no pool), all of whose keys were then
/// removed, so that the next insert starts a same-size grow (Go:
/// `tooManyOverflowBuckets`, noverflow >= 2^B). Returns it with the ids
/// it still holds.
fn sparse_chains() -> (IdMap, Vec<u64>) {
    let mut m: IdMap = GoMap::with_capacity_and_hasher(20, Identity);
    assert_eq!(m.stats().b, 2);
    let mut serial = 1;
    let mut kept = Vec::new();
    for bucket in 0..4 {
        let mut ids = Vec::new();
        for _ in 0..9 {
            let id = key_in(bucket, serial);
            serial += 1;
            put(&mut m, id);
            ids.push(id);
        }
        // Keep one key per chain (in the head bucket), drop the rest.
        kept.push(ids[0]);
        for id in &ids[1..] {
            assert_eq!(m.remove(&D::new(*id)).map(|v| v.id), Some(id ^ 1));
        }
    }
    assert_eq!(m.stats().noverflow, 4);
    assert!(!m.stats().growing);
    (m, kept)
}

/// Inserts fresh keys in bucket 0 of the current array until the map is
/// in a same-size grow.
fn start_same_size_grow(m: &mut IdMap, kept: &mut Vec<u64>, serial: &mut u64) {
    let id = key_in(0, *serial);
    *serial += 1;
    put(m, id);
    kept.push(id);
    let s = m.stats();
    assert!(s.growing && s.same_size_growth, "{s:?}");
}

#[test]
fn same_size_grow_of_heap_overflow_chains_frees_everything() {
    for op in 0..5 {
        let base = live();
        {
            let (mut m, mut kept) = sparse_chains();
            let mut serial = 1000;
            start_same_size_grow(&mut m, &mut kept, &mut serial);
            match op {
                // Dropped in the middle of the grow: the old array's chains
                // (heap overflow buckets) are walked.
                0 => {}
                1 => {
                    m.clear();
                    assert_eq!(live(), base);
                    kept.clear();
                    // Reused after clear: new heap overflow buckets.
                    for j in 0..20 {
                        let id = key_in(1, 5000 + j);
                        put(&mut m, id);
                        kept.push(id);
                    }
                    assert_eq!(m.len(), 20);
                }
                2 => {
                    // Grow to the end, then overflow the new array's chain.
                    while m.stats().growing {
                        let id = key_in(2, serial);
                        serial += 1;
                        put(&mut m, id);
                        kept.push(id);
                    }
                    for _ in 0..12 {
                        let id = key_in(3, serial);
                        serial += 1;
                        put(&mut m, id);
                        kept.push(id);
                    }
                    assert_holds(&m, &kept);
                }
                3 => {
                    m.shrink_to_fit();
                    assert!(!m.stats().growing);
                    assert_holds(&m, &kept);
                    for j in 0..20 {
                        let id = key_in(0, 7000 + j);
                        put(&mut m, id);
                        kept.push(id);
                    }
                    assert_holds(&m, &kept);
                }
                _ => {
                    // Removing every key in the middle of the grow.
                    for id in kept.drain(..) {
                        assert!(m.remove(&D::new(id)).is_some());
                    }
                    assert!(m.is_empty());
                }
            }
            assert_holds(&m, &kept);
        }
        assert_eq!(
            live(),
            base,
            "op {op}: a key or value leaked or dropped twice"
        );
    }
}

#[test]
fn clones_mid_grow_own_their_heap_overflow_buckets() {
    let base = live();
    {
        let (mut m, mut kept) = sparse_chains();
        let mut serial = 1000;
        start_same_size_grow(&mut m, &mut kept, &mut serial);
        let mut c = m.clone();
        assert!(c.stats().growing);
        assert_holds(&c, &kept);
        // New overflow buckets in the clone only (the original's chains
        // must not be freed through the clone, nor the reverse).
        let mut c_kept = kept.clone();
        for j in 0..30 {
            let id = key_in(1, 9000 + j);
            put(&mut c, id);
            c_kept.push(id);
        }
        assert_holds(&c, &c_kept);
        assert_holds(&m, &kept);
        m.clear();
        assert_holds(&c, &c_kept);
        drop(c);
        // The original, cleared mid-grow, then overflowing again.
        for j in 0..30 {
            put(&mut m, key_in(2, 11_000 + j));
        }
        assert_eq!(m.len(), 30);
        let c2 = m.clone();
        drop(m);
        assert_eq!(c2.len(), 30);
    }
    assert_eq!(live(), base);
}

/// A doubling grow of a map whose chains hold heap overflow buckets, with
/// a panicking `Hash` (evacuation hashes) or `Clone` at each point of the
/// grow (`common::D`'s `Eq` never panics): no leak,
/// no double drop, and the map still holds what it held.
#[test]
fn panics_during_growth_of_heap_overflow_chains_lose_nothing() {
    let limit = if cfg!(miri) { 12 } else { 60 };
    let step = if cfg!(miri) { 5 } else { 1 };
    let mut caught = [0usize; 2];
    for (which, at) in (0..2).flat_map(|w| (0..limit).step_by(step).map(move |a| (w, a))) {
        let base = live();
        {
            // B = 1 with 12 keys all in bucket 0: one heap overflow bucket.
            let mut m: IdMap = GoMap::with_capacity_and_hasher(10, Identity);
            let mut kept = Vec::new();
            for s in 0..12 {
                let id = key_in(0, s + 1);
                put(&mut m, id);
                kept.push(id);
            }
            // Keep inserting (more keys in chains 0 and 1) with one user
            // call panicking somewhere in the growth these inserts cause.
            match which {
                0 => PANIC_HASH_AT.with(|c| c.set(at)),
                _ => PANIC_CLONE_AT.with(|c| c.set(at)),
            }
            let mut clones = Vec::new();
            for round in 0..40 {
                let id = key_in(round % 2, 100 + round);
                let inserted = !panics(|| put(&mut m, id));
                if inserted {
                    kept.push(id);
                } else {
                    caught[which] += 1;
                    // A panicking Hash leaves the key out, and the map whole.
                    assert!(!m.contains_key(&D::new(id)));
                }
                if round % 8 == 3 {
                    // A panicking Clone drops the partial copy.
                    match catch_unwind(AssertUnwindSafe(|| m.clone())) {
                        Ok(c) => clones.push(c),
                        Err(_) => caught[which] += 1,
                    }
                }
            }
            PANIC_HASH_AT.with(|c| c.set(usize::MAX));
            PANIC_CLONE_AT.with(|c| c.set(usize::MAX));
            assert_holds(&m, &kept);
            for c in &clones {
                assert!(c.len() <= m.len());
                for (k, v) in c.iter() {
                    assert_eq!(v.id, k.id ^ 1);
                }
            }
        }
        assert_eq!(live(), base, "which {which} at {at}");
    }
    // Each kind of panic was provoked at many points.
    assert!(caught.iter().all(|&n| n * 2 >= limit / step), "{caught:?}");
}

/// A value whose drop panics, in a chain with heap overflow buckets, while
/// the map is growing: `clear` and drop still drop every other entry once
/// and free every bucket.
#[test]
fn a_panicking_drop_mid_grow_drops_the_rest_once() {
    for clear in [true, false] {
        let base = live();
        let (mut m, mut kept) = sparse_chains();
        let mut serial = 1000;
        start_same_size_grow(&mut m, &mut kept, &mut serial);
        // A value of a chain not yet evacuated becomes the bomb (`get_mut`
        // does no growth work, so the grow is still in progress).
        assert!(m.stats().growing);
        *m.get_mut(&D::new(kept[2])).unwrap() = D::bomb(0);
        assert!(m.stats().growing);
        if clear {
            assert!(panics(|| m.clear()));
            assert!(m.is_empty());
            assert_eq!(live(), base);
            for j in 0..20 {
                put(&mut m, key_in(0, 50_000 + j));
            }
            assert_eq!(m.len(), 20);
            drop(m);
        } else {
            assert!(panics(move || drop(m)));
        }
        assert_eq!(live(), base, "clear {clear}");
    }
}

/// A 128-byte value (the largest Go keeps inline in a bucket), so that
/// buckets are large (1168 bytes on 64-bit targets) and the arrays that
/// retire in steps come with few entries.
#[derive(Clone)]
struct Wide {
    d: D,
    pad: [u8; 112],
}
impl Wide {
    fn new(id: u64) -> Wide {
        Wide {
            d: D::new(id),
            pad: [id as u8; 112],
        }
    }
    /// The id, checking the padding is intact.
    fn id(&self) -> u64 {
        assert!(self.pad.iter().all(|&b| b == self.d.id as u8));
        self.d.id
    }
}

type WideMap = GoMap<D, Wide>;

/// The B whose array is retired in steps when the doubling from it ends:
/// natively a B = 12 array (4096 + 256 buckets of 1168 bytes, over 4 MiB,
/// so on Linux it was advised as huge pages and retires 2 MiB per write);
/// under Miri a B = 6 one (64 + 4 buckets, just over the 64 KiB step).
fn retiring_b() -> u8 {
    if cfg!(miri) {
        6
    } else {
        12
    }
}

/// Checks that the retired array is as large as `retiring_b` claims.
fn assert_retired_array_is_large(m: &WideMap) {
    let s = m.stats();
    let old = 1usize << retiring_b();
    let bytes = s.bucket_size * old;
    assert!(s.bucket_size >= 1024, "{}", s.bucket_size);
    if cfg!(miri) {
        assert!(bytes > 64 * 1024, "{bytes}");
    } else {
        assert!(bytes >= 4 * 1024 * 1024, "{bytes}");
    }
}

/// A map just past the end of the doubling from `retiring_b()`,
/// `extra` writes later (its old array partly returned), with the ids it
/// holds.
fn mid_retirement(extra: usize) -> (WideMap, Vec<u64>) {
    let mut m: WideMap = GoMap::new();
    let mut ids = Vec::new();
    let mut id = 0u64;
    let target = retiring_b();
    loop {
        let s = m.stats();
        if s.b == target + 1 && !s.growing {
            break;
        }
        m.insert(D::new(id), Wide::new(id ^ 1));
        ids.push(id);
        id += 1;
    }
    assert_retired_array_is_large(&m);
    for _ in 0..extra {
        m.insert(D::new(id), Wide::new(id ^ 1));
        ids.push(id);
        id += 1;
    }
    (m, ids)
}

fn assert_holds_default(m: &WideMap, ids: &[u64]) {
    assert_eq!(m.len(), ids.len());
    for &id in ids.iter().step_by(if cfg!(miri) { 97 } else { 1 }) {
        assert_eq!(m.get(&D::new(id)).map(Wide::id), Some(id ^ 1), "{id}");
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "slow under Miri: retirement needs arrays of thousands of entries; the overflow-chain tests above run there"
)]
fn clone_clear_shrink_and_drop_in_the_middle_of_retirement() {
    // Under Miri one write after the end of the grow: the 79 KiB array has
    // been shrunk by one 64 KiB step and is still queued.
    let extras: &[usize] = if cfg!(miri) { &[1] } else { &[0, 1, 2, 3] };
    for &extra in extras {
        for op in 0..5 {
            let base = live();
            {
                let (mut m, mut ids) = mid_retirement(extra);
                match op {
                    0 => {
                        let c = m.clone();
                        assert_holds_default(&c, &ids);
                        drop(c);
                    }
                    1 => {
                        m.clear();
                        ids.clear();
                        assert_eq!(live(), base);
                        for id in 0..100 {
                            m.insert(D::new(id), Wide::new(id ^ 1));
                            ids.push(id);
                        }
                    }
                    2 => {
                        // Remove most entries, then rebuild into a smaller
                        // array while the retired one is still queued.
                        let keep = ids.len() / 8;
                        for id in ids.drain(keep..) {
                            assert!(m.remove(&D::new(id)).is_some());
                        }
                        m.shrink_to_fit();
                        assert!(m.stats().b < retiring_b());
                    }
                    3 => {
                        m.reserve(ids.len() * 2);
                        assert!(m.stats().b > retiring_b() + 1);
                    }
                    _ => {}
                }
                assert_holds_default(&m, &ids);
            }
            assert_eq!(live(), base, "extra {extra} op {op}");
        }
    }
}

/// Iterating with writes (`Cursor`, Go's `range` with deletes and
/// inserts) across the end of a grow and the retirement that follows:
/// every key present at the start and never deleted is visited exactly
/// once, and no visit reads a retired chunk (Miri, or the values' check).
#[test]
#[cfg_attr(
    miri,
    ignore = "slow under Miri: retirement needs arrays of thousands of entries; the overflow-chain tests above run there"
)]
fn cursor_with_writes_across_the_end_of_growth_and_retirement() {
    let mut m: WideMap = GoMap::new();
    let target = retiring_b();
    let mut id = 0u64;
    // Stop just after the doubling to target + 1 starts.
    loop {
        let s = m.stats();
        if s.b == target + 1 && s.growing {
            break;
        }
        m.insert(D::new(id), Wide::new(id ^ 1));
        id += 1;
    }
    assert_retired_array_is_large(&m);
    let initial = id;
    let mut seen = vec![0u8; initial as usize];
    let mut c = m.cursor();
    let mut steps = 0u64;
    let mut deleted = std::collections::HashSet::new();
    let mut finished_growth_while_iterating = false;
    while let Some((k, v)) = c.next(&m) {
        assert_eq!(v.id(), k.id ^ 1);
        let k = k.id;
        if k < initial {
            seen[k as usize] += 1;
        }
        steps += 1;
        // Insert a fresh key for every original visited (drives evacuation
        // and then retirement; new keys may be visited too, but insert
        // nothing, so the loop ends); delete an unvisited original now
        // and then.
        if k < initial {
            m.insert(D::new(id), Wide::new(id ^ 1));
            id += 1;
        }
        if steps % 7 == 0 {
            let victim = (k * 31 + 17) % initial;
            if seen[victim as usize] == 0 && deleted.insert(victim) {
                assert!(m.remove(&D::new(victim)).is_some());
            }
        }
        if !m.stats().growing {
            finished_growth_while_iterating = true;
        }
    }
    assert!(finished_growth_while_iterating);
    for (k, &n) in seen.iter().enumerate() {
        if deleted.contains(&(k as u64)) {
            assert_eq!(n, 0, "deleted key {k} visited");
        } else {
            assert_eq!(n, 1, "key {k} visited {n} times");
        }
    }
    assert_eq!(m.len() as u64, id - deleted.len() as u64);
}

/// A panicking `Hash` in the middle of the doubling of a large map (the
/// array that then retires in steps; natively over 4 MiB), and a
/// panicking `Clone` in the middle of a clone of it during retirement: the
/// map keeps every entry it held, the partial clone is dropped, and no
/// key or value leaks or drops twice.
#[test]
#[cfg_attr(
    miri,
    ignore = "slow under Miri: retirement needs arrays of thousands of entries; the overflow-chain tests above run there"
)]
fn panics_in_the_growth_and_retirement_of_a_large_map() {
    let base = live();
    {
        let mut m: WideMap = GoMap::new();
        let mut ids = Vec::new();
        let mut id = 0u64;
        let target = retiring_b();
        while !(m.stats().b == target + 1 && m.stats().growing) {
            m.insert(D::new(id), Wide::new(id ^ 1));
            ids.push(id);
            id += 1;
        }
        assert_retired_array_is_large(&m);
        let mut hash_panics = 0;
        let mut at = 3;
        // Through the rest of the grow and the retirement after it.
        for i in 0..(1usize << target) {
            // Every 16th insert, a `Hash` call panics: the key's own, or
            // one of those evacuation makes (up to 16 keys per call).
            if i % 16 == 0 {
                PANIC_HASH_AT.with(|c| c.set(at));
            }
            let inserted = !panics(|| m.insert(D::new(id), Wide::new(id ^ 1)));
            PANIC_HASH_AT.with(|c| c.set(usize::MAX));
            if inserted {
                ids.push(id);
            } else {
                hash_panics += 1;
                assert!(!m.contains_key(&D::new(id)));
            }
            id += 1;
            at = (at * 7 + 1) % 29;
        }
        assert!(hash_panics > 0);
        assert!(!m.stats().growing, "the grow never ended");
        assert_holds_default(&m, &ids);
        // A clone that panics half-way, while the old array may still be
        // queued for retirement.
        let before = live();
        PANIC_CLONE_AT.with(|c| c.set(ids.len() / 2));
        assert!(panics(|| m.clone()));
        PANIC_CLONE_AT.with(|c| c.set(usize::MAX));
        assert_eq!(live(), before, "the partial clone leaked or double-dropped");
        let c = m.clone();
        assert_holds_default(&c, &ids);
        drop(c);
        assert_holds_default(&m, &ids);
    }
    assert_eq!(live(), base);
}
