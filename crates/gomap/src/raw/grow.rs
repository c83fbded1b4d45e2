//! Growth: `hashGrow` starts it, `growWork` and `evacuate` do it bucket by
//! bucket, `advanceEvacuationMark` finishes it.
//!
//! ```text
//!  old (2^oldB)             new (2^B = 2^(oldB+1))
//!  ┌────┬────┬────┬────┐    ┌────┬────┬────┬────┬────┬────┬────┬────┐
//!  │ X/Y│ X/Y│ 2  │ 3  │    │ 0  │ 1  │ 2  │ 3  │ 4  │ 5  │ 6  │ 7  │
//!  └────┴────┴────┴────┘    └────┴────┴────┴────┴────┴────┴────┴────┘
//!    old bucket i splits into new i ("X") and i + 2^oldB ("Y"),
//!    by hash bit oldB; a same-size grow sends everything to X.
//! ```
//!
//! Every write while growing evacuates the old bucket it maps to, then the
//! one at `nevacuate`; evacuating the bucket at `nevacuate` advances the mark
//! past every already-evacuated bucket (scanning at most 1024), and when it
//! reaches 2^oldB the grow ends and the old array is freed.
//!
//! Panic safety: `evacuate` hashes every live key of the chain *before*
//! moving anything (Go hashes as it moves). A panicking `Hash` therefore
//! leaves the bucket untouched and the map consistent.

use alloc::vec::Vec;
use core::alloc::Layout;

use super::bucket::{Bmap, BUCKET_CNT};
use super::tophash::{
    evacuation_marks, is_empty, is_evacuated, match_live, EVACUATED_X, EVACUATED_Y, MIN_TOP_HASH,
};
use super::{over_load_factor, prefetch, RawMap, SAME_SIZE_GROW};
use core::ptr;

// `EVACUATED_X + y` picks the mark for the half `y` an entry goes to.
const _: () = assert!(EVACUATED_X + 1 == EVACUATED_Y);

/// Bytes of a retired bucket array returned to the allocator per write.
/// 64 KiB is 16 pages: a few microseconds of `munmap` per write, and a
/// 150 MB array is gone after about 2400 writes (Go's next doubling is
/// millions of inserts away).
pub(crate) const RETIRE_CHUNK: usize = 64 * 1024;

/// Bytes of a retired array of `size` bytes to return in the next step:
/// [`RETIRE_CHUNK`], or, for the part of an array large enough to have been
/// advised as huge pages (`hugepage.rs`), a whole huge page. Shrinking a
/// huge-page-backed array by 64 KiB splits its huge pages and costs 3.5 µs
/// per write over about 2400 writes for 150 MB; by 2 MiB it costs 15 µs
/// over 75 writes (4 KiB pages: 6.5 µs and 78 µs).
#[inline]
fn retire_chunk(size: usize) -> usize {
    #[cfg(all(feature = "std", target_os = "linux", not(miri)))]
    if size >= super::hugepage::MIN_ADVISED_BYTES {
        return super::hugepage::HUGE_PAGE;
    }
    let _ = size;
    RETIRE_CHUNK
}

/// Largest bucket alignment for which we trust `realloc` to shrink in place
/// (the system allocators' minimum alignment; above it `std`'s `System`
/// allocator reallocates by copying).
const RETIRE_MAX_ALIGN: usize = 16;

/// How far `advance_evacuation_mark` looks past `nevacuate` in one step.
///
/// Go: the 1024 in `advanceEvacuationMark`.
const EVACUATION_SCAN: usize = 1024;

/// Chains of up to this many buckets keep their X/Y decisions on the stack;
/// longer ones (rare: average chain length at load 6.5 is about 1.2) spill
/// to a `Vec`.
const INLINE_DECISION_BUCKETS: usize = 8;

impl<K, V> RawMap<K, V> {
    /// Starts a grow: doubling when the next insert would exceed the load
    /// factor, same-size otherwise (too many overflow buckets).
    ///
    /// Go: `hashGrow`.
    #[cold]
    #[inline(never)]
    pub(crate) fn hash_grow(&mut self) {
        let mut bigger = 1;
        if !over_load_factor(self.count + 1, self.b) {
            bigger = 0;
            self.flags |= SAME_SIZE_GROW;
        }
        let (base, cap, pool) = Self::alloc_or_abort(Self::make_bucket_array(self.b + bigger));
        debug_assert!(self.oldbuckets.is_null());
        self.oldbuckets = self.buckets;
        self.old_cap = self.buckets_cap;
        // The old array's overflow slabs go with it (I6).
        debug_assert!(self.old_slabs.is_null());
        self.old_slabs = core::mem::replace(&mut self.slabs, ptr::null_mut());
        self.buckets = base;
        self.buckets_cap = cap;
        self.set_b(self.b + bigger);
        self.nevacuate = 0;
        self.noverflow = 0;
        self.next_overflow = pool.0;
        self.pool_end = pool.1;
    }

    /// Evacuates the old bucket of new bucket `bucket`, then one more.
    ///
    /// Go: `growWork`. Out of line: the insert path stays short for the
    /// writes made while not growing (nearly all of them).
    #[inline(never)]
    pub(crate) fn grow_work(&mut self, bucket: usize, hasher: &impl Fn(&K) -> u64) {
        let oldbucket = bucket & (self.noldbuckets() - 1);
        // Both evacuations below start with cache misses (the old chains, then
        // their destinations, fresh memory); ask for all of them at once.
        self.prefetch_evacuation(oldbucket);
        self.prefetch_evacuation(self.nevacuate);
        // Below `nevacuate` everything is evacuated (I5): skip reading the
        // old bucket (a likely cache miss) when Go's `evacuate` would find
        // nothing to do there.
        if oldbucket >= self.nevacuate {
            self.evacuate(oldbucket, hasher);
        }
        if self.growing() {
            self.evacuate(self.nevacuate, hasher);
        }
    }

    /// Starts loading the head of old bucket `oldbucket` and of its two
    /// destinations, so that the cache misses of an evacuation overlap
    /// instead of following one another.
    #[inline(always)]
    fn prefetch_evacuation(&self, oldbucket: usize) {
        let newbit = self.noldbuckets();
        let old = self.oldbuckets.wrapping_add(oldbucket * Bmap::<K, V>::SIZE);
        let x = self.buckets.wrapping_add(oldbucket * Bmap::<K, V>::SIZE);
        let y = x.wrapping_add(newbit * Bmap::<K, V>::SIZE);
        prefetch_bucket::<K, V>(old);
        prefetch_bucket::<K, V>(x);
        if !self.same_size_grow() {
            prefetch_bucket::<K, V>(y);
        }
    }

    /// Whether old bucket `i` has been evacuated.
    ///
    /// Go: `bucketEvacuated`.
    pub(crate) fn bucket_evacuated(&self, i: usize) -> bool {
        debug_assert!(self.growing() && i < self.noldbuckets());
        // SAFETY: growing, i < noldbuckets.
        is_evacuated(unsafe { Self::top(Self::bucket_at(self.oldbuckets, i), 0) })
    }

    /// Moves every entry of old bucket `oldbucket`'s chain to its X or Y
    /// destination in the new array.
    ///
    /// Go: `evacuate`.
    pub(crate) fn evacuate(&mut self, oldbucket: usize, hasher: &impl Fn(&K) -> u64) {
        let newbit = self.noldbuckets();
        // SAFETY: growing (callers check), oldbucket < newbit.
        let old = unsafe { Self::bucket_at(self.oldbuckets, oldbucket) };
        // SAFETY: old is a bucket.
        if !is_evacuated(unsafe { Self::top(old, 0) }) {
            self.evacuate_chain(old, oldbucket, newbit, hasher);
        }
        if oldbucket == self.nevacuate {
            self.advance_evacuation_mark(newbit);
        }
    }

    #[inline(never)]
    fn evacuate_chain(
        &mut self,
        old: *mut u8,
        oldbucket: usize,
        newbit: usize,
        hasher: &impl Fn(&K) -> u64,
    ) {
        let same = self.same_size_grow();
        self.moves = self.moves.wrapping_add(1);
        // Pass 1: decide X or Y for every live slot: bit `i` of byte `nb` is
        // slot i of the chain's nb-th bucket. User code (Hash) runs only
        // here, before anything moves.
        let mut inline = [0u8; INLINE_DECISION_BUCKETS];
        let mut spill: Vec<u8> = Vec::new();
        if !same {
            let mut b = old;
            let mut nb = 0usize;
            while !b.is_null() {
                // SAFETY: chain bucket.
                let live = match_live(unsafe { Self::tophash_word(b) });
                let mut ys = 0u8;
                for i in live {
                    // SAFETY: live slot (I1).
                    let h = hasher(unsafe { &*Self::key_ptr(b, i) });
                    ys |= ((h as usize & newbit != 0) as u8) << i;
                }
                if nb < INLINE_DECISION_BUCKETS {
                    inline[nb] = ys;
                } else {
                    spill.push(ys);
                }
                // SAFETY: chain bucket.
                b = unsafe { Self::overflow(b) };
                nb += 1;
            }
        }
        // Pass 2: move. No user code runs from here on.
        // SAFETY: the new array has 2^B > oldbucket (+ newbit when doubling) buckets.
        let mut dst = [
            (unsafe { Self::bucket_at(self.buckets, oldbucket) }, 0usize),
            (
                if same {
                    ptr::null_mut()
                } else {
                    // SAFETY: as above.
                    unsafe { Self::bucket_at(self.buckets, oldbucket + newbit) }
                },
                0usize,
            ),
        ];
        let mut b = old;
        let mut nb = 0usize;
        while !b.is_null() {
            // SAFETY: chain bucket.
            let w = unsafe { Self::tophash_word(b) };
            let ys = match nb.checked_sub(INLINE_DECISION_BUCKETS) {
                None => inline[nb],
                Some(j) => spill.get(j).copied().unwrap_or(0),
            };
            // Empty slots become evacuatedEmpty, live ones evacuatedX/Y,
            // computed for the whole word at once. (Stored a byte at a time
            // into an array and read back as one word, the marks made the
            // store wait on a failed store-to-load forwarding, once per
            // bucket; flipped byte by byte in a register, they cost
            // variable shifts per entry.)
            let marks = evacuation_marks(w, ys);
            for i in match_live(w) {
                // SAFETY: chain bucket, i < 8.
                let top = unsafe { Self::top(b, i) };
                debug_assert!(top >= MIN_TOP_HASH, "bad map state");
                let y = (ys >> i) & 1;
                debug_assert!(!same || y == 0);
                let d = &mut dst[y as usize];
                if d.1 == BUCKET_CNT {
                    // SAFETY: d.0 ends its destination chain (we append in order).
                    d.0 = unsafe { self.newoverflow(d.0) };
                    d.1 = 0;
                }
                // SAFETY: d.0 is a new bucket, slot d.1 < 8 empty; b/i live.
                // The slot cells (inline values or box pointers) are copied
                // bitwise: the entry now lives only in the new slot (I7).
                unsafe {
                    Self::set_top(d.0, d.1, top);
                    ptr::copy_nonoverlapping(
                        Self::key_slot(b, i),
                        Self::key_slot(d.0, d.1),
                        Bmap::<K, V>::KEY_SIZE,
                    );
                    ptr::copy_nonoverlapping(
                        Self::elem_slot(b, i),
                        Self::elem_slot(d.0, d.1),
                        Bmap::<K, V>::ELEM_SIZE,
                    );
                }
                d.1 += 1;
            }
            debug_assert!(w
                .to_le_bytes()
                .iter()
                .all(|&t| t >= MIN_TOP_HASH || is_empty(t)));
            // SAFETY: chain bucket: its first 8 bytes are the tophash array.
            unsafe { ptr::write(b as *mut [u8; BUCKET_CNT], marks.to_le_bytes()) };
            // SAFETY: chain bucket.
            b = unsafe { Self::overflow(b) };
            nb += 1;
        }
        // The old chain's overflow buckets are dead now; they are freed with
        // the old array's pool and slabs when the grow ends (I6). The head
        // keeps its tophash bytes, which record the evacuation.
        // SAFETY: old is a bucket of the old array.
        unsafe { Self::cut_chain(old) };
    }

    /// Go: `advanceEvacuationMark`.
    fn advance_evacuation_mark(&mut self, newbit: usize) {
        self.nevacuate += 1;
        let stop = (self.nevacuate + EVACUATION_SCAN).min(newbit);
        while self.nevacuate != stop && self.bucket_evacuated(self.nevacuate) {
            self.nevacuate += 1;
        }
        if self.nevacuate == newbit {
            // Growing is all done. The old array and its overflow slabs are
            // dead (chains were cut as each bucket was evacuated); hand them
            // to the retirement queue, which returns them to the allocator a
            // slab or a slice per write.
            let size = Self::array_layout(self.old_cap)
                .expect("layout was valid at allocation")
                .size();
            self.retire(self.oldbuckets, size);
            self.oldbuckets = ptr::null_mut();
            self.old_cap = 0;
            self.flags &= !SAME_SIZE_GROW;
        }
    }

    /// Queues a dead array, with its overflow slabs (`old_slabs`), for
    /// freeing. Freeing a large array at once costs time in proportion to
    /// the pages it touched (`munmap` of 150 MB is tens of milliseconds),
    /// which would be a latency spike no insert of Go's design ever pays
    /// (Go's GC frees it concurrently). So the slabs are freed one per later
    /// write, then the array is shrunk by [`RETIRE_CHUNK`] bytes per write.
    fn retire(&mut self, p: *mut u8, size: usize) {
        if !self.retired.is_null() {
            // Only possible if a previous array is still queued: free it now.
            self.free_retired();
        }
        let mut slabs = core::mem::replace(&mut self.old_slabs, ptr::null_mut());
        if size <= RETIRE_CHUNK || Bmap::<K, V>::ALIGN > RETIRE_MAX_ALIGN {
            // Small (its slabs hold at most 2^(B-5) buckets each), or an
            // alignment for which `realloc` may copy: free at once.
            // SAFETY: p was allocated with this size and the bucket alignment.
            unsafe { alloc::alloc::dealloc(p, Self::retired_layout(size)) };
            // SAFETY: the array they served is dead.
            unsafe { Self::free_slabs(&mut slabs) };
            return;
        }
        self.retired = p;
        self.retired_size = size;
        self.retired_slabs = slabs;
    }

    fn retired_layout(size: usize) -> Layout {
        // SAFETY: the size and alignment are those of an existing allocation.
        unsafe { Layout::from_size_align_unchecked(size, Bmap::<K, V>::ALIGN) }
    }

    /// Returns one more slab or slice of the retired array to the allocator.
    #[cold]
    #[inline(never)]
    pub(crate) fn retire_step(&mut self) {
        if !self.retired_slabs.is_null() {
            // SAFETY: the retired array is dead, and so are its slabs.
            unsafe { Self::free_one_slab(&mut self.retired_slabs) };
            return;
        }
        let size = self.retired_size;
        let chunk = retire_chunk(size);
        if size <= chunk {
            self.free_retired();
            return;
        }
        let new = size - chunk;
        // SAFETY: `retired` is a live allocation of `size` bytes with the
        // bucket alignment; `new` is non-zero. Its content is dead.
        let p = unsafe { alloc::alloc::realloc(self.retired, Self::retired_layout(size), new) };
        if p.is_null() {
            // The allocator could not shrink: give everything back now.
            self.free_retired();
        } else if p != self.retired {
            // The allocator moved (copied) the block to shrink it: stepping
            // would copy again each time, so free the rest at once.
            self.retired = p;
            self.retired_size = new;
            self.free_retired();
        } else {
            self.retired_size = new;
        }
    }

    /// Frees what is left of the retired array and its slabs.
    pub(crate) fn free_retired(&mut self) {
        // SAFETY: the retired array is dead, and so are its slabs.
        unsafe { Self::free_slabs(&mut self.retired_slabs) };
        if !self.retired.is_null() {
            // SAFETY: a live allocation of `retired_size` bytes.
            unsafe { alloc::alloc::dealloc(self.retired, Self::retired_layout(self.retired_size)) };
            self.retired = ptr::null_mut();
            self.retired_size = 0;
        }
    }

    /// Evacuates every remaining old bucket (used by `reserve`).
    pub(crate) fn finish_growth(&mut self, hasher: &impl Fn(&K) -> u64) {
        while self.growing() {
            self.evacuate(self.nevacuate, hasher);
        }
    }
}

/// Bytes of a bucket [`prefetch_bucket`] asks for: four cache lines cover
/// the whole bucket of small keys and values (144 bytes for `u64 → u64`).
const PREFETCH_BYTES: usize = 256;

/// Prefetches the cache lines of the bucket at `b`, up to [`PREFETCH_BYTES`].
#[inline(always)]
fn prefetch_bucket<K, V>(b: *const u8) {
    let span = if Bmap::<K, V>::SIZE < PREFETCH_BYTES {
        Bmap::<K, V>::SIZE
    } else {
        PREFETCH_BYTES
    };
    let mut off = 0;
    while off < span {
        prefetch(b.wrapping_add(off));
        off += 64;
    }
    prefetch(b.wrapping_add(span - 1));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(k: &u64) -> u64 {
        // Low bits pick the bucket, top byte is the tophash.
        k.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    fn insert(m: &mut RawMap<u64, u64>, k: u64) {
        let hash = h(&k);
        match m.find_for_insert(hash, |x| *x == k, h) {
            super::super::Found::Occupied(_) => {}
            super::super::Found::Vacant(pos) => {
                // SAFETY: fresh pos for an absent key.
                unsafe { m.insert_new(hash, pos, k, k * 10, h) };
            }
        }
    }

    #[test]
    fn evacuation_keeps_every_key_and_finishes() {
        let n = if cfg!(miri) { 200 } else { 5000 };
        let mut m = RawMap::<u64, u64>::new();
        let mut saw_growth = false;
        for k in 0..n {
            insert(&mut m, k);
            saw_growth |= m.growing();
            for j in (0..=k).step_by(((k / 8) as usize).max(1)) {
                let s = m.find(h(&j), |x| *x == j).expect("key lost during growth");
                // SAFETY: live slot, shared borrow.
                assert_eq!(*unsafe { m.refs(s) }.1, j * 10);
            }
        }
        assert!(saw_growth);
        assert_eq!(m.len(), n as usize);
    }

    #[test]
    fn full_slots_have_valid_tophash() {
        let mut m = RawMap::<u64, u64>::new();
        for k in 0..300 {
            insert(&mut m, k);
        }
        let mut it = super::super::iter::PhysIter::new();
        let mut n = 0;
        while let Some(s) = it.next(&m) {
            // SAFETY: live slot.
            let (k, _) = unsafe { m.refs(s) };
            assert_eq!(
                // SAFETY: slot of m.
                unsafe { RawMap::<u64, u64>::top(s.b, s.i) },
                super::super::tophash::tophash(h(k))
            );
            n += 1;
        }
        assert_eq!(n, 300);
    }
}

#[cfg(test)]
mod retire_tests {
    use super::*;

    type Big = [u64; 16];

    fn h(k: &Big) -> u64 {
        k[0].wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    #[test]
    fn dead_arrays_are_returned_a_chunk_per_write() {
        // 2 KiB buckets: the B = 5 array (32 + 2 pool buckets) is over 64 KiB.
        const { assert!(Bmap::<Big, Big>::SIZE * 34 > RETIRE_CHUNK) };
        let mut m = RawMap::<Big, Big>::new();
        let mut saw_retired = false;
        let mut k = 0u64;
        while k < 600 {
            let key = [k; 16];
            let hash = h(&key);
            if let super::super::Found::Vacant(pos) = m.find_for_insert(hash, |x| *x == key, h) {
                // SAFETY: fresh position for an absent key.
                unsafe { m.insert_new(hash, pos, key, key, h) };
            }
            if !m.retired.is_null() {
                saw_retired = true;
                assert!(m.retired_size > 0);
            }
            k += 1;
        }
        assert!(saw_retired, "no array was retired");
        assert!(m.retired.is_null(), "retirement never finished");
        for k in 0..600u64 {
            let key = [k; 16];
            assert!(m.find(h(&key), |x| *x == key).is_some());
        }
    }

    /// Slabs in a slab list.
    fn slabs(mut p: *mut u8) -> usize {
        let mut n = 0;
        while !p.is_null() {
            // SAFETY: a slab's header starts with the next slab.
            p = unsafe { ptr::read(p as *const *mut u8) };
            n += 1;
        }
        n
    }

    /// splitmix64's finalizer: buckets as random as a real hash's, so
    /// that chains overflow (`h` spreads serial keys evenly).
    fn mixed(k: &Big) -> u64 {
        let mut z = k[0].wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn retired_slabs_are_returned_one_per_write_before_the_array() {
        let h = mixed;
        let mut m = RawMap::<Big, Big>::new();
        let (mut saw_slabs, mut k) = (false, 0u64);
        while k < 600 {
            let key = [k; 16];
            let hash = h(&key);
            let (before, size) = (slabs(m.retired_slabs), m.retired_size);
            let had_retired = !m.retired.is_null();
            if let super::super::Found::Vacant(pos) = m.find_for_insert(hash, |x| *x == key, h) {
                // SAFETY: fresh position for an absent key.
                unsafe { m.insert_new(hash, pos, key, key, h) };
            }
            if had_retired && !m.growing() {
                if before > 0 {
                    saw_slabs = true;
                    // One slab per write; the array waits for them.
                    assert_eq!(slabs(m.retired_slabs), before - 1);
                    assert_eq!(m.retired_size, size);
                } else {
                    assert!(m.retired_size < size || m.retired.is_null());
                }
            }
            assert!(m.old_slabs.is_null() || m.growing());
            k += 1;
        }
        assert!(saw_slabs, "no retired array had slabs");
        for k in 0..600u64 {
            let key = [k; 16];
            assert!(m.find(h(&key), |x| *x == key).is_some());
        }
    }

    #[test]
    fn removes_grow_and_retire_as_inserts_do() {
        // Removes are writes: while growing each one evacuates (Go's
        // `mapdelete` runs `growWork`), and while a dead array is queued
        // each one returns a piece of it, then finds its key in the chain.
        let mut m = RawMap::<Big, Big>::new();
        // Insert until a grow to B = 6 (64 buckets of 2 KiB: its dead B = 5
        // array is over `RETIRE_CHUNK`) has just started.
        let mut n = 0;
        while !(m.growing() && m.b() == 6) {
            let k = n;
            n += 1;
            let key = [k; 16];
            let hash = h(&key);
            if let super::super::Found::Vacant(pos) = m.find_for_insert(hash, |x| *x == key, h) {
                // SAFETY: fresh position for an absent key.
                unsafe { m.insert_new(hash, pos, key, key, h) };
            }
        }
        let (mut saw_growing, mut saw_retired) = (false, false);
        for k in (0..n).rev() {
            let key = [k; 16];
            let (growing, retired) = (m.growing(), m.retired_size);
            let nevacuate = m.nevacuate;
            let s = m
                .find_for_remove(h(&key), h, |x| *x == key)
                .expect("a key lost");
            if growing {
                saw_growing = true;
                assert!(!m.growing() || m.nevacuate > nevacuate, "no evacuation");
            } else if retired != 0 {
                saw_retired = true;
                assert!(m.retired_size < retired, "no retirement step");
            }
            // SAFETY: live slot just found.
            let (got, _) = unsafe { m.remove_at(s) };
            assert_eq!(got, key);
            assert!(m.find(h(&key), |x| *x == key).is_none());
        }
        assert_eq!(m.len(), 0);
        assert!(saw_growing && saw_retired, "{saw_growing} {saw_retired}");
        assert!(m.retired.is_null(), "retirement never finished");
    }

    #[cfg(all(feature = "std", target_os = "linux", not(miri)))]
    #[test]
    fn arrays_advised_as_huge_pages_are_returned_a_huge_page_per_write() {
        use super::super::hugepage::{HUGE_PAGE, MIN_ADVISED_BYTES};
        // The B = 11 array (2048 + 128 buckets of 2 KiB) is over 4 MiB.
        const { assert!(Bmap::<Big, Big>::SIZE * 2176 >= MIN_ADVISED_BYTES) };
        let mut m = RawMap::<Big, Big>::new();
        let mut steps = Vec::new();
        let mut k = 0u64;
        while k < 30_000 {
            let key = [k; 16];
            let hash = h(&key);
            let before = m.retired_size;
            if let super::super::Found::Vacant(pos) = m.find_for_insert(hash, |x| *x == key, h) {
                // SAFETY: fresh position for an absent key.
                unsafe { m.insert_new(hash, pos, key, key, h) };
            }
            if before != 0 && m.retired_size != 0 && m.retired_size < before {
                steps.push((before, before - m.retired_size));
            }
            k += 1;
        }
        assert!(m.retired.is_null(), "retirement never finished");
        let huge: Vec<_> = steps.iter().filter(|s| s.0 >= MIN_ADVISED_BYTES).collect();
        assert!(!huge.is_empty(), "no advised array was retired");
        assert!(huge.iter().all(|s| s.1 == HUGE_PAGE), "{huge:?}");
        let small: Vec<_> = steps.iter().filter(|s| s.0 < MIN_ADVISED_BYTES).collect();
        assert!(small.iter().all(|s| s.1 == RETIRE_CHUNK), "{small:?}");
    }
}
