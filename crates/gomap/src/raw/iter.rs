//! Iteration: Go's randomised `range` order ([`Hiter`]), a physical walk for
//! owning iterators ([`PhysIter`]), and the hash-ordered walk behind the
//! public cursor ([`CursorState`]).
//!
//! # `Hiter` (Go: `hiter`, `mapiterinit`, `mapiternext`)
//!
//! ```text
//!  start bucket = r & (2^B-1), offset = (r >> B) & 7
//!  bucket:  s → s+1 → … → 2^B-1 → 0 → … → s-1        (each followed by its chain)
//!  slot:    offset, offset+1, … (mod 8) in every bucket
//! ```
//!
//! While growing, a bucket whose old bucket is not evacuated is read from the
//! old bucket. Go then keeps only the entries that belong to the current new
//! bucket (hashing each key) and visits the old bucket again for the other
//! half; we yield the whole old chain at the lower half and skip the upper
//! half, which is empty (I3) — the same entries without calling `Hash`.
//! `Hiter` needs `&RawMap` for its whole life, so no write can happen during it.
//! [`Hiter::fold`] is the same tour as internal iteration: one loop per
//! bucket over its live slots, with a prefetch of the bucket
//! [`PREFETCH_AHEAD`] places further on; while the map is not growing, as
//! two plain walks over the array (start to end, then 0 to start).
//!
//! # `CursorState`: iteration that survives writes
//!
//! Go's iterator survives writes because the GC keeps the old bucket array
//! (and the keys in it) alive, and it re-looks-up keys it finds evacuated.
//! Without a GC an old key copy may refer to freed memory once the entry is
//! removed, so the cursor walks *hash space* instead, and never keeps a
//! pointer between steps.
//!
//! Order: an entry with hash `h` sits at position `r = h.reverse_bits()`.
//! For every B, the entries of bucket `j` (`h & (2^B-1) == j`) are exactly
//! the positions whose top B bits are `j` reversed: one contiguous interval.
//! Doubling splits each interval in two halves (X = lower, Y = upper), and
//! an old bucket not yet evacuated is the interval at level `oldB`. So the
//! cursor keeps one position, `lo`, and each step looks only at the chain that
//! currently covers `lo` (new or old, whatever B is now), returns the entry
//! with the smallest `r >= lo` in it, or moves `lo` to the end of that
//! interval. The sweep starts at a random point `s`, runs to the top of the
//! space, wraps to 0 and stops at `s`:
//!
//! ```text
//!  0 ───────── s ═════════════════════════▶ 2^64
//!  ═══════════▶ (wrapped)
//! ```
//!
//! Entries whose map hashes are equal share a position. To order them
//! without keeping anything of theirs, the cursor hashes such keys a
//! second time with a fixed hasher of its own (the *tie-break*, FNV-1a over
//! the bytes `K::hash` writes, independent of the map's `S`): entries are
//! visited in the order of the pair (position, tie-break). Both numbers are
//! properties of the key alone, so no insert, remove or evacuation changes
//! the order of the entries that stay. The tie-break is computed for the
//! entry a step yields (to remember it as `lo2`) and for entries whose
//! positions are equal; with a good hasher that is one extra hash per step.
//!
//! Invariants of the cursor:
//! - C1: every pair below (`lo`, `lo2`) (in sweep order) has been passed;
//!   an entry is yielded only when the cursor reaches its pair, and the
//!   cursor never moves back, so an entry present throughout is yielded
//!   exactly once, whatever growth happens between steps, and an entry
//!   removed before the cursor reaches it is never yielded. Removing the
//!   entry just yielded (Go's `for k := range m { delete(m, k) }`), or any
//!   other, changes nothing for the entries ahead.
//! - C2: an entry inserted between steps is yielded at most once: if its
//!   pair is behind the cursor it is not yielded, otherwise it is yielded
//!   when reached, like any other.
//! - C3: entries with an equal *pair* — distinct keys whose `Hash` impl
//!   writes the same bytes, so that no hasher can tell them apart (or,
//!   with odds of about 2^-64 per pair of colliding keys, whose tie-breaks
//!   collide too) — are yielded in chain order. The cursor remembers the
//!   chain position (`tie_pos`, bucket depth × 8 + slot) of the last one it
//!   yielded and the map's move counter (`epoch`). Removes and inserts
//!   never move other entries (Go's `mapdelete` only marks the slot), so
//!   while the counter is unchanged the entries of the group already
//!   yielded are exactly those at positions up to `tie_pos`: C1 and C2 hold
//!   for the group too. Only if entries moved between the two steps (an
//!   evacuation during growth, `reserve`, `clear`) does the cursor fall
//!   back to counting the group in chain order (`skip`, which evacuation
//!   keeps); an insert or remove inside the group between those same two
//!   steps can then shift the count (one entry of the group yielded twice
//!   or skipped). That is the only exception to C1 and C2.

use super::bucket::{Bmap, BUCKET_CNT};
use super::tophash::{is_evacuated, is_live, live_window, match_live};
use super::{bucket_shift, prefetch, RawMap, Slot};
use core::ptr;

/// How many buckets ahead of the one it reads [`Hiter::fold`] prefetches
/// (2.3 KB for `u64 → u64`). Measured on the 1M `u64` iterate bench: 4
/// ahead gained nothing over no prefetch, 16 about 20%, 32 no more than 16.
const PREFETCH_AHEAD: usize = 16;

/// How many buckets without overflow [`Hiter::fold`] reads as one mask
/// (16 bits each, so at most 4), in arrays of at least
/// [`GROUPED_MIN_BYTES`].
const GROUP: usize = 4;

/// The smallest array [`Hiter::fold`] reads in groups of [`GROUP`]
/// buckets: twice the 1 MiB L2 cache of the bench machine's cores.
/// Measured on `u64 → u64` maps (paired with hashbrown, medians of 61
/// rounds): at 1M entries (a 36 MiB array) groups raise the rate from
/// 0.56-0.65x hashbrown's to 0.93-1.04x; at 100K (2.3 MiB) from 0.64x to
/// 0.73x; from 1K to 40K entries (up to 1.2 MiB, in the cache) they are
/// 4-25% slower, so smaller arrays keep the loop per bucket.
///
/// Under Miri the threshold is 8 KiB, so that the small maps of the tests
/// Miri runs take both paths.
const GROUPED_MIN_BYTES: usize = if cfg!(miri) { 8 << 10 } else { 2 << 20 };

/// Go's `hiter`: random start bucket and slot offset.
#[derive(Clone, Debug)]
pub(crate) struct Hiter {
    start_bucket: usize,
    offset: usize,
    bucket: usize,
    wrapped: bool,
    bptr: *mut u8,
    /// The head of `bptr`'s chain (for `emptyRest` fix-ups when the
    /// yielded slot is removed, as `extract_if` does).
    head: *mut u8,
    /// 0 before the current bucket's mask is loaded, 1 after.
    i: usize,
    /// Live slots of the current bucket not yet yielded, in the bucket's
    /// window from `offset` ([`live_window`]): bit t is slot t & 7.
    mask: u32,
    /// Entries not yet yielded.
    pub(crate) remaining: usize,
    /// The map is not growing: fixed for the iterator's life, since the
    /// map is not written meanwhile (removing yielded slots evacuates
    /// nothing).
    at_rest: bool,
}

// SAFETY: a Hiter is a position (indexes and a bucket pointer) into a map
// that its owner borrows; it never dereferences on its own. Moving it to or
// sharing it with another thread is as safe as the map borrow it is used with.
unsafe impl Send for Hiter {}
// SAFETY: as above; `&Hiter` allows no access at all.
unsafe impl Sync for Hiter {}
// SAFETY: as for Hiter.
unsafe impl Send for PhysIter {}
// SAFETY: as for Hiter.
unsafe impl Sync for PhysIter {}

impl Hiter {
    /// Go: `mapiterinit`. `r` is the random draw.
    pub(crate) fn new<K, V>(m: &RawMap<K, V>, r: u64) -> Self {
        let mask = bucket_shift(m.b) - 1;
        Hiter {
            start_bucket: r as usize & mask,
            offset: (r >> m.b.min(63)) as usize & (BUCKET_CNT - 1),
            bucket: r as usize & mask,
            wrapped: false,
            bptr: ptr::null_mut(),
            head: ptr::null_mut(),
            i: 0,
            mask: 0,
            remaining: m.len(),
            at_rest: !m.growing(),
        }
    }

    /// An iteration that is already over (for the iterators' `Default`):
    /// [`Self::next`] answers `None` without looking at any map.
    pub(crate) const fn finished() -> Self {
        Hiter {
            start_bucket: 0,
            offset: 0,
            bucket: 0,
            wrapped: true,
            bptr: ptr::null_mut(),
            head: ptr::null_mut(),
            i: 0,
            mask: 0,
            remaining: 0,
            at_rest: false,
        }
    }

    /// The start bucket and slot offset (for the tour and tests).
    pub(crate) fn start(&self) -> (usize, usize) {
        (self.start_bucket, self.offset)
    }

    fn advance<K, V>(&mut self, m: &RawMap<K, V>) {
        self.bucket += 1;
        if self.bucket == bucket_shift(m.b) {
            self.bucket = 0;
            self.wrapped = true;
        }
    }

    /// Go: `mapiternext`. Once `remaining` is 0 it returns `None` without
    /// reading `m`.
    ///
    /// # Safety
    ///
    /// 1. `m` is the map this iterator was created for, not modified since,
    ///    except that slots this iterator has already yielded may have been
    ///    removed with `remove_at` or `take_at` (Go's `delete` of the
    ///    current key inside `range`). That is sound because the iterator
    ///    reads a bucket's tophash bytes only when it enters the bucket, and
    ///    removal changes no overflow link and moves no other entry; its
    ///    `emptyRest` fix-up only rewrites empty slots at or before the
    ///    removed one, which the iterator has passed. (Nor does it make an
    ///    old bucket look evacuated: empty marks are below `EVACUATED_X`.)
    #[inline]
    pub(crate) unsafe fn next<K, V>(&mut self, m: &RawMap<K, V>) -> Option<Slot> {
        // SAFETY: 1 (the caller's promise, passed on).
        if self.mask == 0 && !unsafe { self.next_live_bucket(m) } {
            return None;
        }
        let t = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        self.remaining -= 1;
        Some(self.slot(t))
    }

    /// Moves to the next bucket of the tour with a live slot and loads its
    /// mask; false once every entry has been yielded.
    ///
    /// A map at rest takes a short path: no test for old buckets, and one
    /// overflow load or one bucket step and one mask per bucket. It made
    /// a `for` loop over a 1K `u64` map about 16% faster (paired probe:
    /// 0.57x → 0.66-0.67x hashbrown's rate). `remaining > 0` entries lie
    /// ahead in the tour (removing a yielded slot does not change that
    /// count), so the tour cannot end first; it is still tested for
    /// (about 3%), so that a wrong count would end the iteration rather
    /// than loop.
    ///
    /// # Safety
    ///
    /// 1. As for [`Self::next`].
    #[inline]
    unsafe fn next_live_bucket<K, V>(&mut self, m: &RawMap<K, V>) -> bool {
        if self.remaining == 0 {
            return false;
        }
        if self.at_rest {
            loop {
                if self.i != 0 {
                    // SAFETY: i != 0 only while bptr is a chain bucket.
                    unsafe { self.next_in_chain::<K, V>() };
                }
                if self.bptr.is_null() {
                    if self.wrapped && self.bucket == self.start_bucket {
                        // The tour is over; never with entries left
                        // (`remaining` counts exactly those ahead).
                        debug_assert!(false, "tour over with {} entries left", self.remaining);
                        self.remaining = 0;
                        return false;
                    }
                    // SAFETY: 1. the map had entries when the iteration
                    // began, so the array exists; bucket < 2^B.
                    self.bptr = unsafe { RawMap::<K, V>::bucket_at(m.buckets, self.bucket) };
                    self.head = self.bptr;
                    self.advance(m);
                }
                // SAFETY: bptr is a chain bucket.
                unsafe { self.load_mask::<K, V>() };
                if self.mask != 0 {
                    return true;
                }
            }
        }
        loop {
            // SAFETY: 1.
            if self.bptr.is_null() && !unsafe { self.enter_next_chain(m) } {
                return false;
            }
            if self.i == 0 {
                // SAFETY: bptr is a chain bucket.
                unsafe { self.load_mask::<K, V>() };
            }
            if self.mask != 0 {
                return true;
            }
            // SAFETY: bptr is a chain bucket.
            unsafe { self.next_in_chain::<K, V>() };
        }
    }

    /// [`Self::next`] as internal iteration: feeds every remaining slot,
    /// in the same order, to `f`. A bucket's live slots go to `f` in one
    /// tight loop, without the per-slot state checks of `next` (the
    /// iterators' `fold`, so `for_each`, `sum`, `count` and friends, take
    /// this path).
    ///
    /// # Safety
    ///
    /// 1. As for [`Self::next`], for every call `f` makes too.
    #[inline]
    pub(crate) unsafe fn fold<K, V, B>(
        &mut self,
        m: &RawMap<K, V>,
        mut acc: B,
        mut f: impl FnMut(B, Slot) -> B,
    ) -> B {
        while self.remaining != 0 {
            if self.bptr.is_null() && !m.growing() {
                // SAFETY: 1.
                return unsafe { self.fold_not_growing(m, acc, &mut f) };
            }
            // SAFETY: 1.
            if self.bptr.is_null() && !unsafe { self.enter_next_chain(m) } {
                break;
            }
            if self.i == 0 {
                // The tour walks the array in address order; ask for the
                // bucket a few ahead now (the address may be past the
                // array's end: a prefetch never faults).
                prefetch(self.bptr.wrapping_add(PREFETCH_AHEAD * Bmap::<K, V>::SIZE));
                // SAFETY: bptr is a chain bucket.
                unsafe { self.load_mask::<K, V>() };
            }
            // `remaining` counts what the map still holds ahead of us, so
            // the mask never has more slots than that: no check per slot.
            while self.mask != 0 {
                let t = self.mask.trailing_zeros() as usize;
                self.mask &= self.mask - 1;
                self.remaining -= 1;
                acc = f(acc, self.slot(t));
            }
            // SAFETY: bptr is a chain bucket.
            unsafe { self.next_in_chain::<K, V>() };
        }
        acc
    }

    /// The rest of [`Self::fold`] from between two chains of a map that is
    /// not growing: the tour as two plain walks over the array, from the
    /// current bucket to the end (unless wrapped already) and from bucket 0
    /// to the start bucket, each chain in turn. Nothing can start a grow
    /// while `m` is borrowed, so no bucket needs the old-array checks of
    /// [`Self::enter_next_chain`], and the walk keeps its position in
    /// registers: per bucket a pointer step, the overflow test and one mask.
    /// The mask is the bucket's live slots in a 16-bit window starting at
    /// `offset` ([`live_window`]), so bit t stands for slot t & 7: per
    /// entry a bit scan and a mask, no addition of the offset. Like Go's
    /// `mapiternext`, the walk visits every bucket of both runs even once
    /// every entry has been yielded, and keeps no count per entry (a test
    /// of the count per bucket cost 12% at 1K).
    ///
    /// Per-bucket work matters most in small maps: at 1K `u64` entries a
    /// bucket holds about 4 live slots, where a hashbrown group of 16
    /// control bytes holds about 8.
    ///
    /// If `f` panics the iterator is left behind its true position; `fold`
    /// consumes the iterators that call it, so it is never resumed.
    ///
    /// # Safety
    ///
    /// 1. As for [`Self::next`]; the map is not growing and `bptr` is null.
    #[inline(always)]
    unsafe fn fold_not_growing<K, V, B>(
        &mut self,
        m: &RawMap<K, V>,
        mut acc: B,
        f: &mut impl FnMut(B, Slot) -> B,
    ) -> B {
        debug_assert!(!m.growing() && self.bptr.is_null());
        // Bit t of a bucket's window stands for slot t & 7, in Go's order
        // from `offset` (see `live_window`).
        let window = 0xffu32 << self.offset;
        let grouped = bucket_shift(m.b).saturating_mul(Bmap::<K, V>::SIZE) >= GROUPED_MIN_BYTES;
        // Counted only to check, in debug builds, that the tour is whole.
        let mut yielded = 0usize;
        let mut bucket = self.bucket;
        let mut wrapped = self.wrapped;
        loop {
            let end = if wrapped {
                self.start_bucket
            } else {
                bucket_shift(m.b)
            };
            // SAFETY: 1. remaining > 0 so the array exists; bucket < 2^B
            // and end <= 2^B (one past the last bucket at most).
            let (mut b, stop) = unsafe {
                (
                    RawMap::<K, V>::bucket_at(m.buckets, bucket),
                    RawMap::<K, V>::bucket_at(m.buckets, end),
                )
            };
            while b < stop {
                // The walk is in address order; ask for a bucket further
                // on now (past the array's end near the end: a prefetch
                // never faults).
                prefetch(b.wrapping_add(PREFETCH_AHEAD * Bmap::<K, V>::SIZE));
                if grouped && (stop as usize - b as usize) >= GROUP * Bmap::<K, V>::SIZE {
                    // SAFETY: 1. b and the GROUP - 1 buckets after it are
                    // buckets of the array, before `stop`.
                    let group = unsafe { Self::group_window::<K, V>(b, window) };
                    if let Some(mut live) = group {
                        let bases: [*mut u8; GROUP] =
                            core::array::from_fn(|k| b.wrapping_add(k * Bmap::<K, V>::SIZE));
                        // Every line of the group PREFETCH_AHEAD buckets
                        // on (its first line was asked for above). The
                        // group's reads are not in address order (the
                        // compiler loads the four overflow words first),
                        // which the hardware's stream prefetch does not
                        // follow: with only the first line of each bucket
                        // asked for, iterating 1M `String` keys fell from
                        // 1.0x to 0.6x hashbrown's rate, where every line
                        // gives 1.07-1.17x (and `u64` 0.95x → 1.02x).
                        let ahead = b.wrapping_add(PREFETCH_AHEAD * Bmap::<K, V>::SIZE);
                        for off in (64..GROUP * Bmap::<K, V>::SIZE).step_by(64) {
                            prefetch(ahead.wrapping_add(off));
                        }
                        while live != 0 {
                            let t = live.trailing_zeros() as usize;
                            live &= live - 1;
                            if cfg!(debug_assertions) {
                                yielded += 1;
                            }
                            let c = bases[t >> 4];
                            acc = f(
                                acc,
                                Slot {
                                    head: c,
                                    b: c,
                                    i: t & (BUCKET_CNT - 1),
                                },
                            );
                        }
                        b = b.wrapping_add(GROUP * Bmap::<K, V>::SIZE);
                        continue;
                    }
                }
                let mut c = b;
                loop {
                    // SAFETY: c is a bucket of b's chain (1).
                    let w = unsafe { RawMap::<K, V>::tophash_word(c) };
                    let mut live = live_window(w, window);
                    while live != 0 {
                        let i = live.trailing_zeros() as usize & (BUCKET_CNT - 1);
                        live &= live - 1;
                        if cfg!(debug_assertions) {
                            yielded += 1;
                        }
                        acc = f(acc, Slot { head: b, b: c, i });
                    }
                    // SAFETY: as above.
                    c = unsafe { RawMap::<K, V>::overflow(c) };
                    if c.is_null() {
                        break;
                    }
                }
                b = b.wrapping_add(Bmap::<K, V>::SIZE);
            }
            // SAFETY: b is in the array or one past its end, a whole
            // number of buckets from its start.
            bucket = unsafe { b.offset_from(m.buckets) } as usize / Bmap::<K, V>::SIZE;
            if wrapped {
                break;
            }
            bucket = 0;
            wrapped = true;
        }
        // The tour is over: every entry of the map was yielded.
        debug_assert_eq!(yielded, self.remaining);
        self.bucket = bucket;
        self.wrapped = wrapped;
        self.remaining = 0;
        acc
    }

    /// The live slots of the [`GROUP`] buckets from `b`, as one mask with
    /// a 16-bit window per bucket (bucket k's [`live_window`] in bits
    /// 16k..16k+16), or `None` if any of them has an overflow bucket. Bit t
    /// then stands for slot t & 7 of bucket t >> 4, and ascending bits
    /// visit the group in Go's order: bucket by bucket, each from
    /// `offset`. One loop over a group's entries instead of one per
    /// bucket: a bucket holds 3 to 7 live slots at random, and the loop's
    /// exit is mispredicted about once per loop.
    ///
    /// # Safety
    ///
    /// 1. `b` and the `GROUP - 1` buckets after it are buckets of the
    ///    array of a map that is not growing.
    #[inline(always)]
    unsafe fn group_window<K, V>(b: *mut u8, window: u32) -> Option<u64> {
        let mut overflow = 0usize;
        let mut live = 0u64;
        for k in 0..GROUP {
            let c = b.wrapping_add(k * Bmap::<K, V>::SIZE);
            // SAFETY: 1.
            unsafe {
                overflow |= RawMap::<K, V>::overflow(c) as usize;
                live |= (live_window(RawMap::<K, V>::tophash_word(c), window) as u64) << (16 * k);
            }
        }
        (overflow == 0).then_some(live)
    }

    /// The slot bit `t` of the window mask stands for.
    #[inline(always)]
    fn slot(&self, t: usize) -> Slot {
        Slot {
            head: self.head,
            b: self.bptr,
            i: t & (BUCKET_CNT - 1),
        }
    }

    /// Entering a bucket: its live slots in the window from `offset`, so
    /// that ascending bits visit them in Go's order and bit t stands for
    /// slot t & 7.
    ///
    /// # Safety
    ///
    /// 1. `bptr` is a bucket of the map being iterated.
    #[inline(always)]
    unsafe fn load_mask<K, V>(&mut self) {
        // SAFETY: 1.
        let w = unsafe { RawMap::<K, V>::tophash_word(self.bptr) };
        self.mask = live_window(w, 0xff << self.offset);
        self.i = 1;
    }

    /// Moves on to the overflow bucket of `bptr` (null at the chain's end).
    ///
    /// # Safety
    ///
    /// 1. `bptr` is a bucket of the map being iterated.
    #[inline(always)]
    unsafe fn next_in_chain<K, V>(&mut self) {
        // SAFETY: 1.
        self.bptr = unsafe { RawMap::<K, V>::overflow(self.bptr) };
        self.i = 0;
    }

    /// Points `bptr` at the head of the next chain of the tour (the old
    /// chain while its bucket is not evacuated), or ends the iteration
    /// (`remaining = 0`, returns false) when the tour is back at its start.
    ///
    /// # Safety
    ///
    /// 1. As for [`Self::next`].
    #[inline]
    unsafe fn enter_next_chain<K, V>(&mut self, m: &RawMap<K, V>) -> bool {
        loop {
            if self.bucket == self.start_bucket && self.wrapped {
                self.remaining = 0;
                return false;
            }
            if m.growing() {
                let oldbucket = self.bucket & (m.noldbuckets() - 1);
                // SAFETY: 1. growing: the old array has noldbuckets buckets.
                let ob = unsafe { RawMap::<K, V>::bucket_at(m.oldbuckets, oldbucket) };
                // SAFETY: ob is a bucket.
                if !is_evacuated(unsafe { RawMap::<K, V>::top(ob, 0) }) {
                    // Divergence: Go walks the old bucket for both X and
                    // Y halves, hashing each key to keep only this
                    // half's entries. We yield the whole old chain at the
                    // X half and nothing at the Y half (empty by I3):
                    // same entries, no user `Hash` calls while iterating.
                    if self.bucket != oldbucket {
                        self.advance(m);
                        continue;
                    }
                    self.bptr = ob;
                } else {
                    // SAFETY: bucket < 2^B.
                    self.bptr = unsafe { RawMap::<K, V>::bucket_at(m.buckets, self.bucket) };
                }
            } else {
                // SAFETY: 1. the map had entries when the iteration
                // began (remaining > 0), so the array exists (removals
                // free no array); bucket < 2^B.
                self.bptr = unsafe { RawMap::<K, V>::bucket_at(m.buckets, self.bucket) };
            }
            self.advance(m);
            self.head = self.bptr;
            self.i = 0;
            return true;
        }
    }
}

/// A walk over every live slot in memory order: the new array's chains, then
/// the unevacuated chains of the old array. For owning iteration, drain,
/// retain and rebuilds: slots already passed may be emptied meanwhile.
#[derive(Clone, Debug)]
pub(crate) struct PhysIter {
    old: bool,
    bucket: usize,
    bptr: *mut u8,
    i: usize,
    /// The chain head of `bptr`.
    head: *mut u8,
}

impl PhysIter {
    pub(crate) const fn new() -> Self {
        PhysIter {
            old: false,
            bucket: 0,
            bptr: ptr::null_mut(),
            i: 0,
            head: ptr::null_mut(),
        }
    }

    /// The next live slot. The map may have had slots emptied (by this
    /// walk's user) since the last call, but no inserts or evacuations.
    #[inline]
    pub(crate) fn next<K, V>(&mut self, m: &RawMap<K, V>) -> Option<Slot> {
        if m.buckets.is_null() {
            return None;
        }
        loop {
            if self.bptr.is_null() {
                let (base, n) = if self.old {
                    (m.oldbuckets, if m.growing() { m.noldbuckets() } else { 0 })
                } else {
                    (m.buckets, bucket_shift(m.b))
                };
                if self.bucket >= n {
                    if self.old {
                        return None;
                    }
                    self.old = true;
                    self.bucket = 0;
                    continue;
                }
                // SAFETY: bucket < n buckets of this array.
                self.bptr = unsafe { RawMap::<K, V>::bucket_at(base, self.bucket) };
                self.head = self.bptr;
                self.bucket += 1;
                self.i = 0;
            }
            while self.i < BUCKET_CNT {
                let i = self.i;
                self.i += 1;
                // SAFETY: chain bucket. (Evacuated old buckets hold only
                // evacuated marks, never live tophashes.)
                if is_live(unsafe { RawMap::<K, V>::top(self.bptr, i) }) {
                    return Some(Slot {
                        head: self.head,
                        b: self.bptr,
                        i,
                    });
                }
            }
            // SAFETY: chain bucket.
            self.bptr = unsafe { RawMap::<K, V>::overflow(self.bptr) };
            self.i = 0;
        }
    }
}

/// The position of a cursor in hash space (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CursorState {
    /// Where the sweep started (and ends).
    start: u64,
    /// Next position to look at.
    lo: u64,
    /// The tie-break hash of the last entry yielded at position `lo`
    /// (0 before any): at `lo`, only entries whose tie-break hash is at
    /// least this are still ahead (C2).
    lo2: u64,
    /// Entries at exactly (`lo`, `lo2`) passed, counted in chain order at
    /// the last step (C3); 0 when no entry at (`lo`, `lo2`) was yielded.
    skip: u32,
    /// Chain position (`depth * 8 + slot`) of the last entry yielded at
    /// (`lo`, `lo2`), valid while the map's move counter equals `epoch` (C3).
    tie_pos: u64,
    /// The map's move counter at the last step.
    epoch: u32,
    /// 0: sweeping `start..2^64`; 1: sweeping `0..start`; 2: done.
    phase: u8,
}

impl CursorState {
    pub(crate) fn new(start: u64) -> Self {
        CursorState {
            start,
            lo: start,
            lo2: 0,
            skip: 0,
            tie_pos: 0,
            epoch: 0,
            phase: 0,
        }
    }

    /// Whether the sweep has ended.
    pub(crate) fn done(&self) -> bool {
        self.phase == 2
    }

    /// The next entry at or after the cursor. `hasher` is the map's hash;
    /// `tiebreak` the second, map-independent hash that orders entries
    /// whose map hashes are equal (C2).
    pub(crate) fn next<K, V>(
        &mut self,
        m: &RawMap<K, V>,
        hasher: impl Fn(&K) -> u64,
        tiebreak: impl Fn(&K) -> u64,
    ) -> Option<Slot> {
        loop {
            if self.phase == 2 {
                return None;
            }
            if m.len() == 0 {
                // Nothing is present now, so nothing can be present for the
                // whole iteration from here on.
                self.phase = 2;
                return None;
            }
            let hbits = self.lo.reverse_bits() as usize;
            let (head, level) = if m.growing() {
                let o = hbits & (m.noldbuckets() - 1);
                if m.bucket_evacuated(o) {
                    // SAFETY: index masked to 2^B.
                    (
                        unsafe {
                            RawMap::<K, V>::bucket_at(m.buckets, hbits & (bucket_shift(m.b) - 1))
                        },
                        m.b,
                    )
                } else {
                    // SAFETY: o < noldbuckets.
                    (
                        unsafe { RawMap::<K, V>::bucket_at(m.oldbuckets, o) },
                        m.b - !m.same_size_grow() as u8,
                    )
                }
            } else {
                // SAFETY: len > 0 so the array exists; index masked.
                (
                    unsafe {
                        RawMap::<K, V>::bucket_at(m.buckets, hbits & (bucket_shift(m.b) - 1))
                    },
                    m.b,
                )
            };
            let bound = if self.phase == 1 {
                self.start
            } else {
                u64::MAX
            };
            let bound_inclusive = self.phase == 0;
            // C3: entries at exactly (lo, lo2) already yielded are those at
            // chain positions up to `tie_pos` if nothing moved since the last
            // step, else the first `skip` of them in chain order.
            let by_position = self.skip > 0 && self.epoch == m.moves();
            // The smallest (position, tie-break) ahead of the cursor, with
            // its chain position; the tie-break is computed only when two
            // positions are equal.
            let mut best: Option<(u64, Option<u64>, Slot, u64)> = None;
            let mut ties = 0u32;
            let mut b = head;
            let mut depth = 0u64;
            'chain: while !b.is_null() {
                // SAFETY: chain bucket.
                let live = match_live(unsafe { RawMap::<K, V>::tophash_word(b) });
                for i in live {
                    // SAFETY: live slot.
                    let k = unsafe { &*RawMap::<K, V>::key_ptr(b, i) };
                    let r = hasher(k).reverse_bits();
                    if r < self.lo || r > bound || (r == bound && !bound_inclusive) {
                        continue;
                    }
                    let slot = Slot { head, b, i };
                    let pos = depth * BUCKET_CNT as u64 + i as u64;
                    let mut r2 = None;
                    if r == self.lo {
                        let t = tiebreak(k);
                        if t < self.lo2 {
                            continue; // passed (C1)
                        }
                        if t == self.lo2 {
                            let passed = if by_position {
                                pos <= self.tie_pos
                            } else {
                                ties < self.skip
                            };
                            if passed {
                                ties += 1;
                                continue; // yielded already (C3)
                            }
                            // Nothing can come before it.
                            best = Some((r, Some(t), slot, pos));
                            break 'chain;
                        }
                        r2 = Some(t);
                    }
                    match &mut best {
                        None => best = Some((r, r2, slot, pos)),
                        Some((br, ..)) if r < *br => best = Some((r, r2, slot, pos)),
                        Some((br, br2, bs, _)) if r == *br => {
                            let t = r2.unwrap_or_else(|| tiebreak(k));
                            // SAFETY: bs is a live slot of this chain.
                            let bk = unsafe { &*RawMap::<K, V>::key_ptr(bs.b, bs.i) };
                            let bt = *br2.get_or_insert_with(|| tiebreak(bk));
                            // Equal pairs keep chain order (the first found).
                            if t < bt {
                                best = Some((r, Some(t), slot, pos));
                            }
                        }
                        Some(_) => {}
                    }
                }
                // SAFETY: chain bucket.
                b = unsafe { RawMap::<K, V>::overflow(b) };
                depth += 1;
            }
            if let Some((r, r2, s, pos)) = best {
                // SAFETY: s is a live slot.
                let key = unsafe { &*RawMap::<K, V>::key_ptr(s.b, s.i) };
                let r2 = r2.unwrap_or_else(|| tiebreak(key));
                if r == self.lo && r2 == self.lo2 {
                    // The group's entries passed in this scan, and this one.
                    self.skip = ties + 1;
                } else {
                    // A new group: its first entry in chain order.
                    self.lo = r;
                    self.lo2 = r2;
                    self.skip = 1;
                }
                self.tie_pos = pos;
                self.epoch = m.moves();
                return Some(s);
            }
            // Nothing left in this interval: jump to its end.
            let end = if level == 0 {
                None
            } else {
                let width_shift = 64 - level as u32;
                let start = self.lo >> width_shift << width_shift;
                start.checked_add(1u64 << width_shift)
            };
            match end {
                None => {
                    if self.phase == 0 && self.start != 0 {
                        self.phase = 1;
                        self.lo = 0;
                    } else {
                        self.phase = 2;
                    }
                }
                Some(e) => {
                    if self.phase == 1 && e >= self.start {
                        self.phase = 2;
                    } else {
                        self.lo = e;
                    }
                }
            }
            self.lo2 = 0;
            self.skip = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Found;
    use super::*;
    use alloc::vec::Vec;

    /// Spreads most keys, and sends every fifth to bucket 0 (low bits zero)
    /// with varied tophashes, so that bucket 0 has a long overflow chain.
    fn hash(k: &u64) -> u64 {
        if k % 5 == 0 {
            k << 40
        } else {
            k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k >> 7
        }
    }

    fn put<V>(m: &mut RawMap<u64, V>, k: u64, v: V) {
        match m.find_for_insert(hash(&k), |x| *x == k, hash) {
            Found::Occupied(_) => panic!("{k} already present"),
            // SAFETY: fresh position for an absent key.
            Found::Vacant(pos) => unsafe { m.insert_new(hash(&k), pos, k, v, hash) },
        };
    }

    /// Go's tour (`mapiternext` over a map that is not growing), read off
    /// the buckets: from the start bucket to the last and from 0 to the
    /// start, each chain head first, and in every bucket the slots from
    /// `offset` on, wrapping at 8.
    fn go_tour<V>(m: &RawMap<u64, V>, start: usize, offset: usize) -> Vec<u64> {
        let n = bucket_shift(m.b);
        let mut keys = Vec::new();
        for j in 0..n {
            // SAFETY: bucket index below 2^B of an existing array.
            let mut b = unsafe { RawMap::<u64, V>::bucket_at(m.buckets, (start + j) % n) };
            while !b.is_null() {
                for k in 0..BUCKET_CNT {
                    let i = (k + offset) % BUCKET_CNT;
                    // SAFETY: b is a chain bucket, i < 8.
                    if is_live(unsafe { RawMap::<u64, V>::top(b, i) }) {
                        // SAFETY: live slot.
                        keys.push(unsafe { *RawMap::<u64, V>::key_ptr(b, i) });
                    }
                }
                // SAFETY: chain bucket.
                b = unsafe { RawMap::<u64, V>::overflow(b) };
            }
        }
        keys
    }

    #[test]
    fn next_and_fold_follow_gos_tour_from_every_offset() {
        check_tours(300, None, 24, |k| k);
    }

    /// As above, with an array large enough for `fold` to read groups of
    /// buckets without overflow (under Miri the map above is large
    /// enough: see [`GROUPED_MIN_BYTES`]).
    #[test]
    #[cfg_attr(
        miri,
        ignore = "too slow; the test above takes the grouped path under Miri"
    )]
    fn next_and_fold_follow_gos_tour_in_a_large_array() {
        // 128 bytes, the largest value a bucket holds inline (Go's
        // `maxElemSize`): 2,048 buckets of 1,104 bytes are over 2 MiB.
        check_tours(6_700, Some(64), 0, |k| [k as u8; 128]);
    }

    /// Builds a map of at least `entries` (plus holes and a long chain),
    /// then compares `next`, `fold` and the two mixed with Go's tour, from
    /// many start buckets and every offset: `rounds` tours (default 8 per
    /// bucket), `miri_rounds` under Miri.
    fn check_tours<V>(
        entries: u64,
        rounds: Option<u64>,
        miri_rounds: u64,
        value: impl Fn(u64) -> V,
    ) {
        let mut m = RawMap::<u64, V>::new();
        let mut k = 1;
        // Enough entries for several buckets and a chain, then on until the
        // last grow has finished.
        while k <= entries || m.growing() {
            put(&mut m, k, value(k));
            k += 1;
        }
        // Holes: every seventh key removed, so chains hold emptyOne slots.
        for d in (7..k).step_by(7) {
            let s = m.find(hash(&d), |x| *x == d).expect("present");
            // SAFETY: live slot found just now.
            unsafe { m.remove_at(s) };
        }
        assert!(!m.growing() && m.b >= 4);
        let groups = bucket_shift(m.b) * Bmap::<u64, V>::SIZE >= GROUPED_MIN_BYTES;
        assert_eq!(
            groups,
            cfg!(miri) || core::mem::size_of::<V>() > 8,
            "B = {}",
            m.b
        );
        let rounds = if cfg!(miri) {
            miri_rounds
        } else {
            rounds.unwrap_or(8 * bucket_shift(m.b) as u64)
        };
        for r in 0..rounds {
            // Start bucket r & (2^B - 1), offset (r >> B) & 7: every offset
            // with several start buckets.
            let r = (r % bucket_shift(m.b) as u64) | (r % 8) << m.b;
            let it = Hiter::new(&m, r);
            let (start, offset) = it.start();
            assert_eq!(offset, (r >> m.b) as usize & 7);
            let want = go_tour(&m, start, offset);
            assert_eq!(want.len(), m.len());
            let mut by_next = Vec::new();
            let mut a = it.clone();
            // SAFETY: the map is not modified while iterating.
            while let Some(s) = unsafe { a.next(&m) } {
                // SAFETY: live slot.
                by_next.push(unsafe { *RawMap::<u64, V>::key_ptr(s.b, s.i) });
            }
            assert_eq!(by_next, want, "next, start {start} offset {offset}");
            let mut b = it.clone();
            // SAFETY: as above.
            let by_fold = unsafe {
                b.fold(&m, Vec::new(), |mut v, s| {
                    v.push(*RawMap::<u64, V>::key_ptr(s.b, s.i));
                    v
                })
            };
            assert_eq!(by_fold, want, "fold, start {start} offset {offset}");
            // Part by next, the rest by fold (fold entered mid-bucket).
            let mut c = it.clone();
            let mut mixed = Vec::new();
            for _ in 0..(r as usize % 11) {
                // SAFETY: as above.
                if let Some(s) = unsafe { c.next(&m) } {
                    // SAFETY: live slot.
                    mixed.push(unsafe { *RawMap::<u64, V>::key_ptr(s.b, s.i) });
                }
            }
            // SAFETY: as above.
            let mixed = unsafe {
                c.fold(&m, mixed, |mut v, s| {
                    v.push(*RawMap::<u64, V>::key_ptr(s.b, s.i));
                    v
                })
            };
            assert_eq!(mixed, want, "next then fold, start {start} offset {offset}");
        }
    }
}
