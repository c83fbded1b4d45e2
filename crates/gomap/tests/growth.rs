//! Growth behaves as in Go 1.19: when B grows, which kind of grow, how
//! evacuation progresses write by write (numbers from spec/map.md).

use std::hash::{BuildHasher, Hasher};

use gomap::GoMap;

#[test]
fn b_grows_at_go_insert_counts() {
    let n = if cfg!(miri) { 420 } else { 7000 };
    let mut m: GoMap<u64, u64> = GoMap::new();
    let mut grew_at = Vec::new();
    for k in 1..=n {
        let before = m.stats().b;
        m.insert(k, k);
        let s = m.stats();
        if s.b != before {
            assert_eq!(s.b, before + 1);
            assert!(!s.same_size_growth);
            grew_at.push(k);
        }
    }
    let go = [9, 14, 27, 53, 105, 209, 417, 833, 1665, 3329, 6657];
    let want: Vec<u64> = go.iter().copied().filter(|&x| x <= n).collect();
    assert_eq!(grew_at, want);
}

#[test]
fn with_capacity_picks_go_b() {
    let table: [(usize, usize, u8); 7] = [
        (0, 8, 0),
        (9, 13, 1),
        (14, 26, 2),
        (27, 52, 3),
        (53, 104, 4),
        (105, 208, 5),
        (209, 416, 6),
    ];
    for (lo, hi, b) in table {
        for hint in [lo, hi] {
            let m: GoMap<u64, u64> = GoMap::with_capacity(hint);
            assert_eq!(m.stats().b, b, "hint {hint}");
            assert_eq!(m.stats().buckets, 1 << b);
        }
    }
    // An overflowing hint is treated as 0.
    let m: GoMap<u64, u64> = GoMap::with_capacity(usize::MAX / 2);
    assert_eq!(m.stats().b, 0);
}

/// A hint whose `hint × bucket size` does not overflow but passes Go's
/// `maxAlloc` (2^48 bytes on 64-bit targets) is treated as 0, as Go's
/// `makemap` does: `make(map[uint64]uint64, 1<<50)` gives an empty map
/// that works (checked with Go 1.19). It used to pick B for the hint and
/// abort the process when the allocator refused 2^55 bytes.
#[cfg(target_pointer_width = "64")]
#[test]
fn with_capacity_past_go_max_alloc_is_treated_as_zero() {
    // A map[uint64]uint64 bucket is 144 bytes, as in Go.
    let over = (1usize << 48) / 144 + 1;
    for hint in [1usize << 50, over, (isize::MAX as usize) / 144] {
        let mut m: GoMap<u64, u64> = GoMap::with_capacity(hint);
        assert_eq!((m.stats().b, m.capacity()), (0, 0), "hint {hint}");
        m.insert(1, 2);
        assert_eq!(m[&1], 2);
    }
    // Zero-sized keys and values: 16-byte buckets (tophash and overflow).
    let m: GoMap<(), ()> = GoMap::with_capacity((1usize << 48) / 16 + 1);
    assert_eq!(m.capacity(), 0);
}

#[test]
fn presized_map_does_not_grow_until_capacity() {
    let mut m: GoMap<u64, u64> = GoMap::with_capacity(104);
    for k in 0..104 {
        m.insert(k, k);
    }
    assert_eq!(m.stats().b, 4);
    assert!(!m.stats().growing);
    m.insert(1000, 0);
    assert_eq!(m.stats().b, 5);
    assert!(m.stats().growing);
}

#[test]
fn growth_from_tiny_maps_completes_inside_the_insert() {
    // Spec (c)8: growth from B = 0 or 1 completes inside the triggering insert.
    let mut m: GoMap<u64, u64> = GoMap::new();
    for k in 0..14 {
        m.insert(k, k);
        assert!(!m.stats().growing, "still growing after insert {k}");
    }
}

#[test]
fn each_write_evacuates_at_most_two_old_buckets_and_reads_none() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    for k in 0..105 {
        m.insert(k, k);
    }
    let s = m.stats();
    assert!(s.growing && s.b == 5 && s.old_buckets == 16);
    // Reads never evacuate.
    let ev = m.stats().evacuated;
    for k in 0..200 {
        let _ = m.get(&k);
    }
    assert_eq!(m.stats().evacuated, ev);
    // Writes: overwrite one existing key repeatedly; the mark moves every time
    // and the grow ends after at most 16 writes.
    let mut writes = 0;
    let mut last = m.stats().evacuated;
    while m.stats().growing {
        m.insert(7, 7);
        writes += 1;
        let now = m.stats();
        if now.growing {
            assert!(now.evacuated > last, "a write did not advance evacuation");
            last = now.evacuated;
        }
        assert!(writes <= 16);
    }
    assert!(writes <= 15, "took {writes} writes");
    for k in 0..105 {
        assert_eq!(m.get(&k), Some(&k));
    }
}

#[test]
fn removes_also_do_grow_work_and_never_shrink() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    for k in 0..209 {
        m.insert(k, k);
    }
    assert!(m.stats().growing);
    let ev = m.stats().evacuated;
    m.remove(&100_000); // absent key: still a write
    assert!(m.stats().evacuated > ev);
    for k in 0..209 {
        m.remove(&k);
    }
    assert!(m.is_empty());
    assert_eq!(m.stats().b, 6, "maps never shrink");
}

#[test]
fn overwrites_never_start_a_grow() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    for k in 0..8 {
        m.insert(k, k);
    }
    for _ in 0..100 {
        m.insert(3, 0);
    }
    assert_eq!(m.stats().b, 0);
    m.insert(8, 8);
    assert_eq!(m.stats().b, 1);
}

/// Identity hash: key bits are the hash bits.
#[derive(Clone, Default)]
struct Ident;
#[derive(Default)]
struct IdentH(u64);
impl Hasher for IdentH {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!()
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}
impl BuildHasher for Ident {
    type Hasher = IdentH;
    fn build_hasher(&self) -> IdentH {
        IdentH(0)
    }
}

/// A key in bucket `bucket` (low bits) with a distinct top byte.
fn key(bucket: u64, i: u64) -> u64 {
    bucket | (i << 8) | ((i % 200 + 10) << 56)
}

#[test]
fn same_size_growth_when_overflow_buckets_pile_up() {
    let mut m: GoMap<u64, u64, Ident> = GoMap::with_capacity_and_hasher(53, Ident);
    assert_eq!(m.stats().b, 4);
    // Fill each of the 16 buckets past 8 entries (one overflow bucket each),
    // then empty it again: overflow buckets stay, the count goes back down.
    for bucket in 0..16 {
        for i in 0..9 {
            m.insert(key(bucket, i), i);
        }
        for i in 0..9 {
            m.remove(&key(bucket, i));
        }
    }
    let s = m.stats();
    assert_eq!(s.noverflow, 16);
    assert!(!s.growing && s.len == 0);
    // 16 overflow buckets for 16 buckets: the next new key starts a
    // same-size grow.
    m.insert(key(3, 1), 1);
    let s = m.stats();
    assert!(s.growing && s.same_size_growth, "{s:?}");
    assert_eq!(s.b, 4);
    assert_eq!(s.noverflow, 0);
    while m.stats().growing {
        m.insert(key(3, 1), 1);
    }
    assert!(!m.stats().same_size_growth);
    assert_eq!(
        m.stats().noverflow,
        0,
        "the same-size grow compacted the chains"
    );
    assert_eq!(m.get(&key(3, 1)), Some(&1));
}

#[test]
fn overflow_chains_and_empty_rest_in_the_dump() {
    let mut m: GoMap<u64, u64, Ident> = GoMap::with_capacity_and_hasher(9, Ident);
    assert_eq!(m.stats().b, 1);
    for i in 0..10 {
        m.insert(key(0, i), i);
    }
    let d = m.tophash_dump();
    assert_eq!(d.buckets[0].len(), 2, "bucket 0 has one overflow bucket");
    assert!(d.buckets[0][0].iter().all(|&t| t >= 5));
    assert_eq!(d.buckets[0][1][..2].iter().filter(|&&t| t >= 5).count(), 2);
    assert_eq!(d.buckets[0][1][2..], [0u8; 6]); // emptyRest
                                                // Deleting the last entries turns trailing slots into emptyRest, back
                                                // across the chain (Go's mapdelete fix-up).
    m.remove(&key(0, 9));
    m.remove(&key(0, 8));
    let d = m.tophash_dump();
    assert_eq!(d.buckets[0][1], [0u8; 8]);
    m.remove(&key(0, 3));
    let d = m.tophash_dump();
    assert_eq!(d.buckets[0][0][3], 1, "a hole in the middle is emptyOne");
    for i in [7, 6, 5, 4] {
        m.remove(&key(0, i));
    }
    let d = m.tophash_dump();
    assert_eq!(
        d.buckets[0][0][3..],
        [0u8; 5],
        "emptyOne before emptyRest became emptyRest"
    );
    assert_eq!(m.len(), 3);
}

/// Go's `mapdelete` fix-up, checked slot by slot against a model after
/// every remove of a 30-entry chain (four buckets), in many orders: removed
/// slots after the chain's last live one are emptyRest (0), earlier ones
/// emptyOne (1). Covers removes in the head and in overflow buckets, in
/// slot 7 (whose next state is the overflow bucket's slot 0) and runs that
/// go back across buckets.
#[test]
fn every_remove_leaves_go_tombstones_in_the_chain() {
    const N: usize = 30;
    let orders = if cfg!(miri) { 6 } else { 200 };
    let mut r: u64 = 0x9e37_79b9_7f4a_7c15;
    for order in 0..orders {
        let mut m: GoMap<u64, u64, Ident> = GoMap::with_capacity_and_hasher(53, Ident);
        for i in 0..N as u64 {
            m.insert(key(0, i), i);
        }
        // Keys fill the chain in insertion order: key i sits at slot i.
        let mut live = [true; N];
        let mut todo: Vec<usize> = (0..N).collect();
        if order == 0 {
            todo.reverse(); // every remove ends the live part
        }
        while !todo.is_empty() {
            r = r
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = if order == 0 {
                todo.len() - 1
            } else {
                (r >> 33) as usize % todo.len()
            };
            let i = todo.swap_remove(at);
            assert_eq!(m.remove(&key(0, i as u64)), Some(i as u64));
            live[i] = false;
            let end = live.iter().rposition(|&l| l).map_or(0, |p| p + 1);
            let d = m.tophash_dump();
            assert_eq!(m.stats().b, 4, "no growth");
            let chain: Vec<u8> = d.buckets[0].iter().flatten().copied().collect();
            for (slot, &top) in chain.iter().enumerate() {
                let want = if slot >= end {
                    Some(0)
                } else if slot < N && !live[slot] {
                    Some(1)
                } else {
                    None
                };
                match want {
                    Some(t) => assert_eq!(top, t, "slot {slot}, order {order}: {chain:?}"),
                    None => assert!(top >= 5, "slot {slot} live: {chain:?}"),
                }
            }
            for (k, &l) in live.iter().enumerate() {
                assert_eq!(m.get(&key(0, k as u64)).is_some(), l);
            }
        }
        assert!(m.is_empty());
    }
}

#[test]
fn evacuation_marks_old_buckets() {
    let mut m: GoMap<u64, u64, Ident> = GoMap::with_hasher(Ident);
    for i in 0..27u64 {
        m.insert(i << 56 | i, i); // spread over buckets by low bits
    }
    let s = m.stats();
    assert!(s.growing, "{s:?}");
    let d = m.tophash_dump();
    assert_eq!(d.old_buckets.len(), 4);
    let evacuated = d
        .old_buckets
        .iter()
        .filter(|c| (2..=4).contains(&c[0][0]))
        .count();
    assert!((1..=2).contains(&evacuated));
}

#[test]
fn clear_keeps_b_and_drops_grow_state() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    for k in 0..105 {
        m.insert(k, k);
    }
    assert!(m.stats().growing);
    m.clear();
    let s = m.stats();
    assert_eq!((s.b, s.len, s.growing, s.noverflow), (5, 0, false, 0));
    for k in 0..50 {
        m.insert(k, k);
    }
    assert_eq!(m.len(), 50);
}

#[test]
fn reserve_rebuilds_on_request() {
    let mut m: GoMap<u64, u64> = (0..100).map(|k| (k, k)).collect();
    m.reserve(10_000);
    assert!(m.capacity() >= 10_100);
    assert!(!m.stats().growing);
    // The 100 entries are spread over the new buckets by their low hash
    // bits, not piled into one chain.
    assert_eq!(m.stats().noverflow, 0);
    for k in 0..100 {
        assert_eq!(m[&k], k);
    }
    let b = m.stats().b;
    for k in 100..10_100 {
        m.insert(k, k);
    }
    assert_eq!(m.stats().b, b, "no growth after reserve");
}

#[test]
fn try_reserve_reports_errors_and_leaves_map_intact() {
    let mut m: GoMap<u64, u64> = (0..10).map(|k| (k, k)).collect();
    assert_eq!(
        m.try_reserve(usize::MAX),
        Err(gomap::TryReserveError::CapacityOverflow)
    );
    let big = usize::MAX / 16; // too many buckets for the address space
    assert!(m.try_reserve(big).is_err());
    assert_eq!(m.len(), 10);
    assert_eq!(m[&3], 3);
}

/// Go compiles a map literal of n entries to `make(map[K]V, n)` plus n
/// inserts: `map[int]int{0: 0, ..., 26: 26}` has B = 3 and no grow in
/// progress, where 27 inserts into `make(map[int]int)` leave B = 3 growing
/// (probed with Go 1.19). `collect`, `from` and `extend` into an empty map
/// size it the same way; `extend` into a map with entries grows it insert
/// by insert, without a rebuild.
#[test]
fn collecting_sizes_the_map_as_a_go_map_literal() {
    let one_by_one = {
        let mut m: GoMap<u32, u32> = GoMap::new();
        for k in 0..27 {
            m.insert(k, k);
        }
        m.stats()
    };
    assert!(one_by_one.b == 3 && one_by_one.growing);

    let collected: GoMap<u32, u32> = (0..27).map(|k| (k, k)).collect();
    let s = collected.stats();
    assert!(s.b == 3 && !s.growing, "{s:?}");
    let from = GoMap::from(core::array::from_fn::<(u32, u32), 27, _>(|i| (i as u32, 0)));
    let s = from.stats();
    assert!(s.b == 3 && !s.growing, "{s:?}");
    let mut extended: GoMap<u32, u32> = GoMap::new();
    extended.extend(collected.iter().map(|(&k, &v)| (k, v)));
    let s = extended.stats();
    assert!(s.b == 3 && !s.growing && extended == collected, "{s:?}");
    let mut by_ref: GoMap<u32, u32> = GoMap::new();
    by_ref.extend(collected.iter());
    let s = by_ref.stats();
    assert!(s.b == 3 && !s.growing && by_ref == collected, "{s:?}");

    // 26 entries fill B = 2 exactly; one more starts Go's incremental grow.
    let mut m: GoMap<u32, u32> = (0..26).map(|k| (k, k)).collect();
    assert!(m.stats().b == 2 && !m.stats().growing);
    m.extend((26..27).map(|k| (k, k)));
    let s = m.stats();
    assert!(s.b == 3 && s.growing, "{s:?}");
    assert_eq!(m.len(), 27);

    // A lower bound no allocator meets is ignored: the inserts grow the map.
    struct Liar(core::ops::Range<u32>);
    impl Iterator for Liar {
        type Item = (u32, u32);
        fn next(&mut self) -> Option<(u32, u32)> {
            self.0.next().map(|k| (k, k))
        }
        fn size_hint(&self) -> (usize, Option<usize>) {
            (usize::MAX, None)
        }
    }
    let m: GoMap<u32, u32> = Liar(0..5).collect();
    assert_eq!((m.len(), m.stats().b), (5, 0));
}
