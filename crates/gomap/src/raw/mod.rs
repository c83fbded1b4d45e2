//! `RawMap`: Go 1.19's hash map algorithm over raw bucket memory.
//!
//! # What
//!
//! A map is just a hash table. The data is arranged into an array of 2^B
//! buckets. Each bucket holds up to 8 key/value pairs. The low-order bits of
//! the hash select a bucket; each bucket keeps a few high-order bits of each
//! hash (the *tophash*) to tell the entries within a single bucket apart.
//! When more than 8 keys hash to a bucket, extra *overflow* buckets are
//! chained on. When the table grows, a new array of buckets twice as big is
//! allocated and the entries are copied over *incrementally*: every write
//! (insert or remove) moves the old bucket it touches plus one more, so no
//! single operation ever pays for the whole table. (This paragraph follows the
//! opening of Go's `runtime/map.go`.)
//!
//! # Layout
//!
//! ```text
//! RawMap { count, b, flags, noverflow, nevacuate, buckets, oldbuckets, next_overflow .. }
//!            │                                        │           │
//!            ▼ 2^B buckets, then the overflow pool    ▼ 2^oldB buckets (while growing)
//!  ┌────────┬────────┬─────┬────────┬────────┬────┐  ┌────────┬────────┬─────┐
//!  │ bmap 0 │ bmap 1 │ ... │ bmap N │ pool 0 │ .. │  │ bmap 0 │ bmap 1 │ ... │
//!  └────────┴───┬────┴─────┴────────┴────────┴────┘  └────────┴────────┴─────┘
//!               │ overflow                              tophash evacuatedX/Y/Empty
//!               ▼                                       marks what has moved
//!            ┌────────┐     ┌────────┐
//!            │ pool 0 │ ──► │ slab 0 │ (once the pool is used up: from slabs of
//!            └────────┘     └────────┘  up to 64 KiB, listed in `slabs`, freed with the array)
//! ```
//!
//! Each `bmap` is `tophash [8]u8 | 8 keys | 8 values | overflow pointer`; see
//! [`bucket`] for the layout math.
//!
//! # Invariants
//!
//! - I1: A slot holds an initialised key and value iff its tophash is
//!   `>= MIN_TOP_HASH`, and that tophash is `tophash(hash(key))`.
//! - I2: If a slot's tophash is `EMPTY_REST`, every later slot of its bucket
//!   and of every later bucket of its chain is `EMPTY_REST`.
//! - I3: An entry with hash `h` lives in the chain of new bucket `h & (2^B-1)`,
//!   or — only while growing and only if that chain's old bucket
//!   `h & (2^oldB-1)` is not yet evacuated — in that old bucket's chain.
//!   A new bucket whose old bucket is not yet evacuated is empty.
//! - I4: `count` is the number of live slots over both arrays.
//! - I5: Old bucket `i` is evacuated iff its first tophash is one of
//!   `EVACUATED_X/Y/EMPTY`; every old bucket below `nevacuate` is evacuated.
//!   When the last one is, `oldbuckets` is freed and set to null.
//! - I6: An overflow bucket is either inside its array's allocation (the
//!   preallocated pool) or inside one of the overflow slabs of that array
//!   (`slabs` for the current array, `old_slabs` for the old one,
//!   `retired_slabs` for a retired one), which are freed with the array,
//!   never one by one; no overflow bucket is its own allocation. So
//!   freeing an array never walks its chains. The chain of an evacuated
//!   old bucket has been cut (its overflow link set to null).
//! - I7: Keys and values are moved bitwise only; every live slot is dropped
//!   exactly once (by remove, clear, or drop of the map).
//!
//! # Tuning
//!
//! The load factor 6.5 is Go's; its table (runtime/map.go, 8 slots per
//! bucket): loadFactor 6.50 → %overflow 20.90, bytes/entry 10.79,
//! hitprobe 4.25, missprobe 6.50 — the sweet spot between too many overflow
//! buckets and too much wasted space. Growth from 2^oldB buckets moves at
//! most 2 old buckets per write, and the next doubling needs 6.5·2^oldB more
//! inserts, so a grow always completes long before another is due.
//!
//! # Go correspondence
//!
//! Pinned source: Go 1.19, `src/runtime/map.go` (go1.24 renamed it
//! `map_noswiss.go`). `hmap` → [`RawMap`], `bmap` → [`bucket::Bmap`],
//! `makemap` → [`RawMap::with_hint`], `mapaccess` → [`RawMap::find`],
//! `mapassign` → [`RawMap::find_for_insert`] + [`RawMap::insert_new`]
//! ([`RawMap::prepare_insert`] + [`RawMap::insert_prepared`]),
//! `mapdelete` → [`RawMap::remove_at`], `hashGrow`/`growWork`/`evacuate`/
//! `advanceEvacuationMark` → `grow.rs`, `hiter`/`mapiternext` → `iter.rs`,
//! `mapclear` → [`RawMap::clear`].
//!
//! # Divergences
//!
//! - No GC: heap overflow buckets of an old bucket are freed when it is
//!   evacuated, and old keys are never re-read after evacuation, so Go's
//!   `iterator`/`oldIterator` flags and the clearing of old key areas have
//!   no job here. Modification during iteration is served by the cursor
//!   (`iter.rs`), which walks hash space instead of the old array.
//! - The seed lives in the hasher `S` (one per map); Go re-draws `hash0`
//!   when the map becomes empty, which a generic `S` cannot do.
//! - Keys that are not equal to themselves (a float NaN behind an `Eq`
//!   that is IEEE equality) behave as Go's NaN keys: every insert adds an
//!   entry, no lookup or remove finds one, iteration yields each once. But
//!   Go's hash gives every NaN a fresh random hash (and `evacuate` sends it
//!   X or Y by its old tophash's low bit), so NaN entries spread over the
//!   buckets; here the hasher `S` hashes every NaN with the same bytes alike,
//!   so they share one chain, each new one walks it (n of them cost O(n²)),
//!   and a same-size grow cannot shorten it. Unlike Go 1.19 they can be
//!   removed: by `clear`, `retain`, `drain` and `extract_if`.
//! - Overwriting a key keeps the stored key (Rust's `HashMap::insert`
//!   contract); Go replaces it for float and string keys.
//! - The preallocated overflow pool is `2^(B-4)` buckets, not rounded up to a
//!   malloc size class (we have no size classes).
//! - Overflow buckets beyond the pool come from slabs of up to 64 KiB
//!   (`SLAB_BYTES`) owned by the array, where Go allocates each from its
//!   heap's size-class spans (`newobject(t.bucket)`); an array's slabs are
//!   freed with it, where Go's collector frees each overflow bucket once no
//!   chain reaches it.
//! - Concurrent-write detection (`hashWriting`) is replaced by the borrow
//!   checker.
//! - The header keeps `2^B - 1` beside `B` (`bucket_mask`, both set by
//!   `set_b`), so a lookup masks its hash without a shift.

pub(crate) mod bucket;
mod grow;
#[cfg(all(feature = "std", target_os = "linux", not(miri)))]
mod hugepage;
pub(crate) mod iter;
pub(crate) mod tophash;

use alloc::alloc::{alloc, alloc_zeroed, dealloc, handle_alloc_error};
use alloc::boxed::Box;
use core::alloc::Layout;
use core::marker::PhantomData;
use core::ptr;

use bucket::{Bmap, BUCKET_CNT};
use tophash::{
    has_empty_rest, is_evacuated, is_live, match_byte_at, match_empty, word, Top, EMPTY_ONE,
    EMPTY_REST, MIN_TOP_HASH,
};

/// Numerator of the load factor 6.5.
///
/// Go: `loadFactorNum` (runtime/map.go).
pub(crate) const LOAD_FACTOR_NUM: usize = 13;
/// Denominator of the load factor 6.5.
///
/// Go: `loadFactorDen` (runtime/map.go).
pub(crate) const LOAD_FACTOR_DEN: usize = 2;
/// `flags` bit: the current grow keeps the bucket count.
///
/// Go: `sameSizeGrow` (runtime/map.go).
pub(crate) const SAME_SIZE_GROW: u8 = 8;
/// Bucket bytes of one overflow slab at most (I6). A slab of a 2^B array
/// holds `2^(B-5)` buckets (at least 1), up to this size (455 buckets of
/// `u64 → u64`, from B = 14). At load 6.5 about 21% of the buckets have an
/// overflow bucket (Go's %overflow), a pool of 6.25% of them serves the
/// first ones, so an array that reaches the load takes about five slabs
/// below B = 14 and about 2^B / 3,000 from there; each wastes at most its
/// unused tail. Returning one slab per write once its array is retired
/// (`retire_step`) costs what returning one `RETIRE_CHUNK` of the array
/// does. Building a 1M-entry `u64` map from empty took 38,295 allocations
/// with an allocation per overflow bucket, 152 with slabs.
const SLAB_BYTES: usize = 64 * 1024;

/// Bucket arrays up to this size are allocated uninitialised and get only
/// their tophash words and overflow links written (16 bytes per bucket
/// instead of a memset of the whole array). Larger ones come from
/// `alloc_zeroed`, which the system allocators serve with fresh zero pages
/// at no upfront cost (128 KiB is glibc's default `mmap` threshold).
const SMALL_ARRAY_BYTES: usize = 128 * 1024;

/// The largest allocation Go's heap allows: `makemap` treats a hint whose
/// `hint × bucket size` passes it as 0.
///
/// Go: `maxAlloc` (runtime/malloc.go): `1 << heapAddrBits` (48) on 64-bit
/// targets, `1<<32 - 1` on 32-bit ones.
#[cfg(target_pointer_width = "64")]
pub(crate) const MAX_ALLOC: usize = 1 << 48;

/// The largest allocation Go's heap allows: `makemap` treats a hint whose
/// `hint × bucket size` passes it as 0.
///
/// Go: `maxAlloc` (runtime/malloc.go): `1 << heapAddrBits` (48) on 64-bit
/// targets, `1<<32 - 1` on 32-bit ones.
#[cfg(not(target_pointer_width = "64"))]
pub(crate) const MAX_ALLOC: usize = usize::MAX >> (usize::BITS.saturating_sub(32));

/// Whether `count` entries in 2^B buckets exceed the load factor.
///
/// Go: `overLoadFactor(count, B)`.
#[inline]
pub(crate) fn over_load_factor(count: usize, b: u8) -> bool {
    count > BUCKET_CNT
        && (b as u32 >= usize::BITS - 4
            || count > LOAD_FACTOR_NUM * (bucket_shift(b) / LOAD_FACTOR_DEN))
}

/// Whether `noverflow` overflow buckets are too many for 2^B buckets: as many
/// as there are buckets, capped at 2^15.
///
/// Go: `tooManyOverflowBuckets(noverflow, B)`.
#[inline]
pub(crate) fn too_many_overflow_buckets(noverflow: u16, b: u8) -> bool {
    let b = if b > 15 { 15 } else { b };
    noverflow >= 1u16 << (b & 15)
}

/// 2^B.
///
/// Go: `bucketShift(b)`.
#[inline(always)]
pub(crate) fn bucket_shift(b: u8) -> usize {
    1usize << b
}

/// The B that `make(map[K]V, hint)` picks.
///
/// Go: the loop in `makemap`.
pub(crate) fn b_for_hint(hint: usize) -> u8 {
    let mut b = 0u8;
    while over_load_factor(hint, b) && (b as u32) < usize::BITS - 1 {
        b += 1;
    }
    b
}

/// Asks the CPU to start loading the cache line at `p` (a hint: nothing
/// is read, and an address outside any allocation is harmless). On x86 and
/// x86-64 (where SSE is in the baseline) this is `prefetcht0`; elsewhere,
/// and under Miri, it does nothing.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse",
        not(miri)
    ))]
    {
        #[cfg(target_arch = "x86")]
        use core::arch::x86 as arch;
        #[cfg(target_arch = "x86_64")]
        use core::arch::x86_64 as arch;
        // SAFETY: SSE is enabled for this target (the cfg above); a
        // prefetch reads nothing and never faults, whatever the address.
        #[allow(unused_unsafe)]
        unsafe {
            arch::_mm_prefetch::<{ arch::_MM_HINT_T0 }>(p as *const i8)
        };
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse",
        not(miri)
    )))]
    let _ = p;
}

/// Why an allocation for the table failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AllocFailure {
    /// The size computation overflowed.
    CapacityOverflow,
    /// The allocator returned null for this layout.
    Alloc(Layout),
}

/// A slot: bucket, index within it, and the head of its chain.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    /// The chain's first bucket (for `emptyRest` fix-ups on removal).
    pub(crate) head: *mut u8,
    /// The bucket holding the slot.
    pub(crate) b: *mut u8,
    /// Index within the bucket, `< 8`.
    pub(crate) i: usize,
}

// SAFETY: a Slot is a position (two bucket addresses and an index) in a
// map; it never dereferences on its own. Its users are `RawMap`'s unsafe
// methods, which take the map too and require the slot to be that map's,
// with no mutation since (a borrow of the map the slot's holder keeps:
// `OccupiedEntry`, `VacantEntry`, the iterators). Moving it to or sharing
// it with another thread is as safe as that borrow, as for `Hiter`.
unsafe impl Send for Slot {}
// SAFETY: as above; `&Slot` only reads the addresses.
unsafe impl Sync for Slot {}

/// Where a key that was not found would go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InsertPos {
    /// The first empty slot of the chain, if any.
    pub(crate) empty: Option<Slot>,
    /// The chain's head.
    pub(crate) head: *mut u8,
    /// The last bucket visited (where a new overflow bucket is linked).
    pub(crate) last: *mut u8,
}

// SAFETY: as for `Slot`: positions in a map, used only with it.
unsafe impl Send for InsertPos {}
// SAFETY: as for `Slot`.
unsafe impl Sync for InsertPos {}

/// The result of a write-intent lookup.
pub(crate) enum Found {
    /// The key is at this slot.
    Occupied(Slot),
    /// The key is absent; it would go here.
    Vacant(InsertPos),
}

/// Go's `hmap`: the header of a map.
pub(crate) struct RawMap<K, V> {
    /// Live entries. Go: `count`.
    count: usize,
    /// Go: `flags` (of Go's bits only `SAME_SIZE_GROW` is used).
    flags: u8,
    /// log2 of the bucket count. Go: `B`. Set only through `set_b`.
    b: u8,
    /// Approximate number of overflow buckets. Go: `noverflow`.
    noverflow: u16,
    /// Bumped (wrapping) whenever entries may have changed slots: an
    /// evacuation, a rebuild, a clear. Deletes and inserts never move other
    /// entries, so a cursor that saw the same value at its last step knows
    /// every chain position it remembers is still valid (`iter.rs`, C3).
    /// Not in Go (its iterator keeps pointers instead). Fits in the header's
    /// padding after the 1- and 2-byte fields on 64-bit targets.
    moves: u32,
    /// Progress counter for evacuation. Go: `nevacuate`.
    nevacuate: usize,
    /// `2^B - 1`, kept beside `b` so that a lookup masks its hash with one
    /// load instead of recomputing it from `b`.
    bucket_mask: usize,
    /// Array of 2^B buckets (and the pool), null while B = 0 and nothing
    /// was inserted yet. Go: `buckets`.
    buckets: *mut u8,
    /// Buckets in the `buckets` allocation, pool included.
    buckets_cap: usize,
    /// Previous array, non-null only while growing. Go: `oldbuckets`.
    oldbuckets: *mut u8,
    /// Buckets in the `oldbuckets` allocation.
    old_cap: usize,
    /// A dead old array being returned to the allocator piece by piece
    /// (see `grow.rs`, `retire`), or null.
    retired: *mut u8,
    /// Bytes of `retired` still allocated.
    retired_size: usize,
    /// Next free preallocated overflow bucket, or null. Go: `extra.nextOverflow`.
    next_overflow: *mut u8,
    /// End of the pool (or of the slab `next_overflow` points into).
    pool_end: *mut u8,
    /// The overflow slabs of the current array (I6): a list through each
    /// slab's header, or null.
    slabs: *mut u8,
    /// The overflow slabs of the old array while growing, or null.
    old_slabs: *mut u8,
    /// The overflow slabs of the retired array still to free, or null.
    retired_slabs: *mut u8,
    marker: PhantomData<(K, V)>,
}

// SAFETY: a RawMap owns its keys and values like a `Vec<(K, V)>`; its raw
// pointers are to memory it owns exclusively. Sending it sends the entries.
unsafe impl<K: Send, V: Send> Send for RawMap<K, V> {}
// SAFETY: `&RawMap` only gives out `&K`/`&V` (shared reads), as `&Vec<(K, V)>` does.
unsafe impl<K: Sync, V: Sync> Sync for RawMap<K, V> {}

/// `handle_alloc_error` for a new overflow slab, which never unwinds into
/// the map. Evacuation takes overflow buckets in the middle of moving a
/// chain, when some entries are in both arrays; std's handler aborts, but
/// one that panics (`-Zoom=panic`, a panicking allocation error hook)
/// would unwind through that state and the entries would be dropped twice.
/// A panic out of the handler is turned into an abort (a panic during
/// unwinding) instead.
#[cold]
fn alloc_error_without_unwinding(layout: Layout) -> ! {
    struct AbortOnUnwind;
    impl Drop for AbortOnUnwind {
        fn drop(&mut self) {
            panic!("gomap: allocation failure while moving map entries");
        }
    }
    let _abort = AbortOnUnwind;
    handle_alloc_error(layout)
}

impl<K, V> RawMap<K, V> {
    /// An empty map with B = 0 and no bucket array. Go: `makemap_small`.
    pub(crate) const fn new() -> Self {
        RawMap {
            count: 0,
            flags: 0,
            b: 0,
            noverflow: 0,
            moves: 0,
            nevacuate: 0,
            bucket_mask: 0,
            buckets: ptr::null_mut(),
            buckets_cap: 0,
            oldbuckets: ptr::null_mut(),
            old_cap: 0,
            retired: ptr::null_mut(),
            retired_size: 0,
            next_overflow: ptr::null_mut(),
            pool_end: ptr::null_mut(),
            slabs: ptr::null_mut(),
            old_slabs: ptr::null_mut(),
            retired_slabs: ptr::null_mut(),
            marker: PhantomData,
        }
    }

    /// A map sized for `hint` entries, as `make(map[K]V, hint)`.
    ///
    /// Go: `makemap`. A hint whose `hint * bucketsize` overflows or passes
    /// Go's allocation limit ([`MAX_ALLOC`], or `isize::MAX` where that is
    /// lower) is treated as 0, as Go does.
    /// Divergence: Go allocates the single bucket of a B = 0 map at the
    /// first assignment; here a non-zero hint allocates it at once, so that
    /// [`Self::capacity`] is at least the hint (std's `with_capacity` rule).
    pub(crate) fn with_hint(hint: usize) -> Result<Self, AllocFailure> {
        let hint = match hint.checked_mul(Bmap::<K, V>::SIZE) {
            Some(n) if n <= MAX_ALLOC && n <= isize::MAX as usize => hint,
            _ => 0,
        };
        if hint == 0 {
            return Ok(Self::new());
        }
        Self::with_b(b_for_hint(hint))
    }

    /// An empty map with an allocated array of 2^`b` buckets.
    ///
    /// Unlike [`Self::with_hint`] it has no Go-side size check: an array
    /// whose size passes `isize::MAX` bytes is a
    /// [`AllocFailure::CapacityOverflow`], one that fits but that the
    /// allocator cannot supply an [`AllocFailure::Alloc`].
    pub(crate) fn with_b(b: u8) -> Result<Self, AllocFailure> {
        let (base, cap, pool) = Self::make_bucket_array(b)?;
        let mut m = Self::new();
        m.set_b(b);
        m.buckets = base;
        m.buckets_cap = cap;
        m.next_overflow = pool.0;
        m.pool_end = pool.1;
        Ok(m)
    }

    // ---- accessors -------------------------------------------------------

    /// Live entries.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.count
    }
    /// log2 of the bucket count.
    pub(crate) fn b(&self) -> u8 {
        self.b
    }
    /// Sets B and the bucket mask that goes with it.
    fn set_b(&mut self, b: u8) {
        self.b = b;
        self.bucket_mask = bucket_shift(b) - 1;
    }
    /// Go: `noverflow`.
    pub(crate) fn noverflow(&self) -> u16 {
        self.noverflow
    }
    /// The move counter (see the field).
    pub(crate) fn moves(&self) -> u32 {
        self.moves
    }
    /// Makes `self` (a fresh map replacing `old`) count on from `old`'s moves.
    pub(crate) fn continue_moves(&mut self, old_moves: u32) {
        self.moves = old_moves.wrapping_add(1);
    }
    /// Go: `nevacuate`.
    pub(crate) fn nevacuate(&self) -> usize {
        self.nevacuate
    }
    /// Go: `h.growing()`.
    #[inline(always)]
    pub(crate) fn growing(&self) -> bool {
        !self.oldbuckets.is_null()
    }
    /// Go: `h.sameSizeGrow()`.
    #[inline(always)]
    pub(crate) fn same_size_grow(&self) -> bool {
        self.flags & SAME_SIZE_GROW != 0
    }
    /// Go: `h.noldbuckets()`.
    #[inline(always)]
    pub(crate) fn noldbuckets(&self) -> usize {
        let mut old_b = self.b;
        if !self.same_size_grow() {
            old_b -= 1;
        }
        bucket_shift(old_b)
    }
    /// Go: `h.oldbucketmask()`.
    #[inline(always)]
    fn oldbucketmask(&self) -> usize {
        self.noldbuckets() - 1
    }
    /// Entries 2^B buckets hold before inserting a new key doubles them:
    /// 8 for B = 0, 6.5 × 2^B otherwise (the last count `over_load_factor`
    /// accepts).
    pub(crate) fn doubling_point(&self) -> usize {
        if self.b == 0 {
            BUCKET_CNT
        } else if self.b as u32 >= usize::BITS - 4 {
            usize::MAX
        } else {
            LOAD_FACTOR_NUM * (bucket_shift(self.b) / LOAD_FACTOR_DEN)
        }
    }

    /// Entries the map holds without allocating a new bucket array (std's
    /// `capacity`): 0 while no array is allocated; the current count when
    /// overflow buckets have piled up so that the next new key starts a
    /// same-size grow; otherwise [`Self::doubling_point`].
    ///
    /// Why the doubling point is a true bound: below it only a same-size
    /// grow could allocate, and that needs as many overflow buckets as
    /// buckets. Inserts alone never get there — a chain of `c` entries
    /// uses `ceil(c / 8) - 1` overflow buckets, at most `count / 8 <=
    /// 6.5 × 2^B / 8 < 2^B` over the array — only overflow buckets left
    /// behind by removals can (Go's reason for same-size growth), and then
    /// this reports the count as soon as the next insert would grow. (From
    /// B = 16 Go counts overflow buckets approximately, so there the bound
    /// holds with high probability, not with certainty.)
    pub(crate) fn capacity(&self) -> usize {
        if self.buckets.is_null() {
            0
        } else if too_many_overflow_buckets(self.noverflow, self.b) {
            self.count
        } else {
            self.doubling_point()
        }
    }

    // ---- bucket memory ---------------------------------------------------

    fn array_layout(n: usize) -> Result<Layout, AllocFailure> {
        let size = n
            .checked_mul(Bmap::<K, V>::SIZE)
            .ok_or(AllocFailure::CapacityOverflow)?;
        Layout::from_size_align(size, Bmap::<K, V>::ALIGN)
            .map_err(|_| AllocFailure::CapacityOverflow)
    }

    /// Allocates 2^b empty buckets plus, for b >= 4, 2^(b-4) pool buckets.
    /// Returns (base, total buckets, (pool start, pool end)).
    ///
    /// A bucket is empty when its tophash word is zero (`EMPTY_REST` = 0)
    /// and its overflow link null; its slots may stay uninitialised. Small
    /// arrays ([`SMALL_ARRAY_BYTES`]) get just those two fields written.
    /// Large ones come from `alloc_zeroed`, which lets the system allocator
    /// hand out fresh, lazily-zeroed pages, so allocating even a 300 MB
    /// array costs microseconds; pages are touched as evacuation reaches them.
    /// (A global allocator that does not implement `alloc_zeroed` falls back
    /// to `alloc` plus a memset of the whole array: the growth-start insert
    /// then pays for touching every page at once.)
    ///
    /// Go: `makeBucketArray`.
    #[cold]
    fn make_bucket_array(b: u8) -> Result<(*mut u8, usize, (*mut u8, *mut u8)), AllocFailure> {
        if b as u32 >= usize::BITS - 1 {
            return Err(AllocFailure::CapacityOverflow);
        }
        let base_n = bucket_shift(b);
        let mut n = base_n;
        if b >= 4 {
            n += bucket_shift(b - 4);
        }
        let layout = Self::array_layout(n)?;
        let p = if layout.size() <= SMALL_ARRAY_BYTES {
            // SAFETY: the layout has a non-zero size (n >= 1, SIZE >= 8 + ptr).
            let p = unsafe { alloc(layout) };
            if !p.is_null() {
                for i in 0..n {
                    // SAFETY: bucket i < n of the new allocation.
                    unsafe {
                        let b = Self::bucket_at(p, i);
                        ptr::write(b as *mut [u8; BUCKET_CNT], [EMPTY_REST; BUCKET_CNT]);
                        Self::set_overflow(b, ptr::null_mut());
                    }
                }
            }
            p
        } else {
            // SAFETY: as above.
            unsafe { alloc_zeroed(layout) }
        };
        if p.is_null() {
            return Err(AllocFailure::Alloc(layout));
        }
        Self::advise_huge_pages(p, layout.size());
        let pool = if n > base_n {
            // SAFETY: base_n < n, both in bounds of the allocation.
            unsafe {
                (
                    p.add(base_n * Bmap::<K, V>::SIZE),
                    p.add(n * Bmap::<K, V>::SIZE),
                )
            }
        } else {
            (ptr::null_mut(), ptr::null_mut())
        };
        Ok((p, n, pool))
    }

    /// Under `std` on Linux, advises a fresh array of at least
    /// `hugepage::MIN_ADVISED_BYTES` as huge pages, before anything touches
    /// it (see `hugepage.rs`; only a hint). Elsewhere, nothing.
    #[inline]
    fn advise_huge_pages(p: *mut u8, size: usize) {
        #[cfg(all(feature = "std", target_os = "linux", not(miri)))]
        if size >= hugepage::MIN_ADVISED_BYTES {
            let _ = hugepage::advise(p, size);
        }
        let _ = (p, size);
    }

    fn alloc_or_abort(
        r: Result<(*mut u8, usize, (*mut u8, *mut u8)), AllocFailure>,
    ) -> (*mut u8, usize, (*mut u8, *mut u8)) {
        match r {
            Ok(v) => v,
            Err(AllocFailure::Alloc(l)) => handle_alloc_error(l),
            Err(AllocFailure::CapacityOverflow) => panic!("gomap: capacity overflow"),
        }
    }

    /// Bucket `i` of the array at `base`.
    ///
    /// # Safety
    ///
    /// 1. `base` is a bucket array of this map with more than `i` buckets.
    #[inline(always)]
    unsafe fn bucket_at(base: *mut u8, i: usize) -> *mut u8 {
        // SAFETY: 1. the offset stays inside the allocation.
        unsafe { base.add(i * Bmap::<K, V>::SIZE) }
    }

    /// The tophash word of bucket `b`.
    ///
    /// # Safety
    ///
    /// 1. `b` is a bucket of this map.
    #[inline(always)]
    pub(crate) unsafe fn tophash_word(b: *mut u8) -> u64 {
        // SAFETY: 1. the first 8 bytes of a bucket are its tophash array.
        word(unsafe { ptr::read(b as *const [u8; 8]) })
    }

    /// # Safety
    ///
    /// 1. `b` is a bucket of this map and `i < 8`.
    #[inline(always)]
    pub(crate) unsafe fn top(b: *mut u8, i: usize) -> u8 {
        debug_assert!(i < BUCKET_CNT);
        // SAFETY: 1.
        unsafe { *b.add(i) }
    }

    /// # Safety
    ///
    /// 1. `b` is a bucket of this map and `i < 8`.
    #[inline(always)]
    unsafe fn set_top(b: *mut u8, i: usize, top: u8) {
        debug_assert!(i < BUCKET_CNT);
        // SAFETY: 1.
        unsafe { *b.add(i) = top }
    }

    /// # Safety
    ///
    /// 1. `b` is a bucket of this map.
    #[inline(always)]
    pub(crate) unsafe fn overflow(b: *mut u8) -> *mut u8 {
        // SAFETY: 1. OVERFLOW is pointer-aligned within an aligned bucket.
        unsafe { ptr::read(b.add(Bmap::<K, V>::OVERFLOW) as *const *mut u8) }
    }

    /// # Safety
    ///
    /// 1. `b` is a bucket of this map.
    #[inline(always)]
    unsafe fn set_overflow(b: *mut u8, ovf: *mut u8) {
        // SAFETY: 1. as in `overflow`.
        unsafe { ptr::write(b.add(Bmap::<K, V>::OVERFLOW) as *mut *mut u8, ovf) }
    }

    /// The key slot `i` of bucket `b` (the pointer cell when indirect).
    ///
    /// # Safety
    ///
    /// 1. `b` is a bucket of this map and `i < 8`.
    #[inline(always)]
    unsafe fn key_slot(b: *mut u8, i: usize) -> *mut u8 {
        // SAFETY: 1.
        unsafe { b.add(Bmap::<K, V>::KEYS + i * Bmap::<K, V>::KEY_SIZE) }
    }

    /// # Safety
    ///
    /// 1. `b` is a bucket of this map and `i < 8`.
    #[inline(always)]
    unsafe fn elem_slot(b: *mut u8, i: usize) -> *mut u8 {
        // SAFETY: 1.
        unsafe { b.add(Bmap::<K, V>::ELEMS + i * Bmap::<K, V>::ELEM_SIZE) }
    }

    /// Pointer to the key of slot `i` (following the indirection).
    ///
    /// # Safety
    ///
    /// 1. `b` is a bucket of this map, `i < 8`, and the slot is live (I1).
    #[inline(always)]
    pub(crate) unsafe fn key_ptr(b: *mut u8, i: usize) -> *mut K {
        // SAFETY: 1.
        let s = unsafe { Self::key_slot(b, i) };
        if Bmap::<K, V>::INDIRECT_KEY {
            // SAFETY: 1. a live indirect slot holds the pointer to its key.
            unsafe { ptr::read(s as *const *mut K) }
        } else {
            s as *mut K
        }
    }

    /// Pointer to the value of slot `i` (following the indirection).
    ///
    /// # Safety
    ///
    /// 1. `b` is a bucket of this map, `i < 8`, and the slot is live (I1).
    #[inline(always)]
    pub(crate) unsafe fn elem_ptr(b: *mut u8, i: usize) -> *mut V {
        // SAFETY: 1.
        let s = unsafe { Self::elem_slot(b, i) };
        if Bmap::<K, V>::INDIRECT_ELEM {
            // SAFETY: 1.
            unsafe { ptr::read(s as *const *mut V) }
        } else {
            s as *mut V
        }
    }

    /// Whether the allocation of the array at `base` with `cap` buckets holds `b`.
    fn in_array(base: *mut u8, cap: usize, b: *mut u8) -> bool {
        let start = base as usize;
        (b as usize) >= start && (b as usize) < start + cap * Bmap::<K, V>::SIZE
    }

    /// Cuts bucket `b`'s chain after it. Its overflow buckets stay
    /// allocated, in the pool or in a slab of their array (I6).
    ///
    /// # Safety
    ///
    /// 1. `b` is a bucket of this map.
    unsafe fn cut_chain(b: *mut u8) {
        // SAFETY: 1.
        unsafe { Self::set_overflow(b, ptr::null_mut()) };
    }

    /// Bytes before a slab's first bucket: its header (the next slab of the
    /// list and the slab's bucket count), rounded up to the bucket alignment.
    const SLAB_HEADER: usize = {
        let h = 2 * core::mem::size_of::<usize>();
        h.div_ceil(Bmap::<K, V>::ALIGN) * Bmap::<K, V>::ALIGN
    };

    /// Buckets in a slab of a 2^`b` array (see [`SLAB_BYTES`]).
    fn slab_buckets(b: u8) -> usize {
        let cap = (SLAB_BYTES / Bmap::<K, V>::SIZE).max(1);
        let n = if b >= 5 { bucket_shift(b - 5) } else { 1 };
        n.min(cap)
    }

    fn slab_layout(n: usize) -> Layout {
        let size = n
            .checked_mul(Bmap::<K, V>::SIZE)
            .and_then(|x| x.checked_add(Self::SLAB_HEADER))
            .expect("a slab is at most SLAB_BYTES of buckets");
        Layout::from_size_align(size, Bmap::<K, V>::ALIGN).expect("a slab is small")
    }

    /// Allocates a zeroed slab of `n` buckets, pushed on the list `list`;
    /// returns its first bucket.
    #[cold]
    #[inline(never)]
    fn new_slab(list: &mut *mut u8, n: usize) -> *mut u8 {
        let layout = Self::slab_layout(n);
        // SAFETY: non-zero size.
        let p = unsafe { alloc_zeroed(layout) };
        if p.is_null() {
            alloc_error_without_unwinding(layout);
        }
        // SAFETY: the header's two words are inside the allocation, which
        // is aligned for them (ALIGN is at least the pointer alignment: a
        // bucket holds the overflow pointer).
        unsafe {
            ptr::write(p as *mut *mut u8, *list);
            ptr::write((p as *mut usize).add(1), n);
        }
        *list = p;
        // SAFETY: SLAB_HEADER < the slab's size.
        unsafe { p.add(Self::SLAB_HEADER) }
    }

    /// Frees every slab of the list `list` and empties it.
    ///
    /// # Safety
    ///
    /// 1. Nothing uses a bucket of these slabs afterwards (their array is
    ///    freed or dead, and no live entry is left in them).
    unsafe fn free_slabs(list: &mut *mut u8) {
        while !list.is_null() {
            // SAFETY: 1.
            unsafe { Self::free_one_slab(list) };
        }
    }

    /// Frees the first slab of the non-empty list `list`.
    ///
    /// # Safety
    ///
    /// 1. As for [`Self::free_slabs`], and `*list` is not null.
    unsafe fn free_one_slab(list: &mut *mut u8) {
        let p = *list;
        // SAFETY: 1. a slab made by `new_slab`, whose header holds these.
        let (next, n) = unsafe {
            (
                ptr::read(p as *const *mut u8),
                ptr::read((p as *const usize).add(1)),
            )
        };
        // SAFETY: 1. allocated by `new_slab` with this layout.
        unsafe { dealloc(p, Self::slab_layout(n)) };
        *list = next;
    }

    /// Links a new overflow bucket after `b`, from the pool if it has one,
    /// else from the current slab or a new one (I6).
    ///
    /// Go: `(*hmap).newoverflow`.
    ///
    /// # Safety
    ///
    /// 1. `b` is the last bucket of a chain of the current array.
    #[cold]
    unsafe fn newoverflow(&mut self, b: *mut u8) -> *mut u8 {
        if self.next_overflow == self.pool_end {
            // The pool (or slab) is used up, or there is none.
            let n = Self::slab_buckets(self.b);
            self.next_overflow = Self::new_slab(&mut self.slabs, n);
            // SAFETY: n buckets follow the header in the slab.
            self.pool_end = unsafe { self.next_overflow.add(n * Bmap::<K, V>::SIZE) };
        }
        let ovf = self.next_overflow;
        // SAFETY: ovf < pool_end, so ovf + SIZE <= pool_end, in the allocation.
        self.next_overflow = unsafe { ovf.add(Bmap::<K, V>::SIZE) };
        self.incrnoverflow();
        // SAFETY: 1.
        unsafe { Self::set_overflow(b, ovf) };
        ovf
    }

    /// Go: `(*hmap).incrnoverflow`: exact below B = 16, then incremented with
    /// probability 1/2^(B-15), so that it approximates the count/2^(B-15).
    fn incrnoverflow(&mut self) {
        if self.b < 16 {
            self.noverflow = self.noverflow.wrapping_add(1);
            return;
        }
        let mask = (1u32 << (self.b - 15).min(31)) - 1;
        if gocore::rand::fastrand() & mask == 0 {
            self.noverflow = self.noverflow.wrapping_add(1);
        }
    }

    // ---- lookup ------------------------------------------------------------

    /// The head of the chain an entry with `hash` lives in (I3).
    ///
    /// Go: the bucket selection of `mapaccess1`.
    ///
    /// # Safety
    ///
    /// 1. `self.buckets` is non-null.
    #[inline(always)]
    unsafe fn chain_for(&self, hash: u64) -> *mut u8 {
        let m = self.bucket_mask;
        debug_assert_eq!(m, bucket_shift(self.b) - 1);
        // SAFETY: 1; the index is masked to the array.
        let b = unsafe { Self::bucket_at(self.buckets, hash as usize & m) };
        if self.growing() {
            return self.chain_for_while_growing(hash, b);
        }
        b
    }

    /// [`Self::chain_for`] while growing: the old bucket, unless evacuated.
    /// Out of line, so that lookups in a map that is not growing (nearly
    /// all of them) keep their registers for the search.
    #[cold]
    #[inline(never)]
    fn chain_for_while_growing(&self, hash: u64, new: *mut u8) -> *mut u8 {
        let o = hash as usize & self.oldbucketmask();
        // Below `nevacuate` every old bucket is evacuated (I5).
        if o >= self.nevacuate {
            // SAFETY: growing, so oldbuckets has noldbuckets() > o buckets.
            let old = unsafe { Self::bucket_at(self.oldbuckets, o) };
            // SAFETY: old is a bucket.
            if !is_evacuated(unsafe { Self::top(old, 0) }) {
                return old;
            }
        }
        new
    }

    /// Finds the slot of the key with `hash` for which `eq` holds.
    ///
    /// Go: `mapaccess2` (reads never move data).
    #[cfg(test)]
    pub(crate) fn find(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<Slot> {
        if self.count == 0 {
            return None;
        }
        self.find_nonempty(hash, eq)
    }

    /// [`Self::find`] for a map the caller has checked to be non-empty.
    #[inline(always)]
    pub(crate) fn find_nonempty(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<Slot> {
        debug_assert!(self.count != 0);
        if self.buckets.is_null() {
            return None;
        }
        // SAFETY: the array exists.
        let head = unsafe { self.chain_for(hash) };
        // SAFETY: head is the chain `hash` maps to.
        unsafe { Self::find_in_chain(head, hash, eq) }
    }

    /// Finds the slot of the key with `hash` for which `eq` holds, in the
    /// chain starting at `head`.
    ///
    /// # Safety
    ///
    /// 1. `head` is the head of a chain of this map: the one `hash` maps to.
    #[inline(always)]
    unsafe fn find_in_chain(
        head: *mut u8,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
    ) -> Option<Slot> {
        let top = Top::of(hash);
        // The chain's first bucket, where nearly every search ends, is
        // searched before the loop: the compare word then need not live
        // across the calls `eq` may make (for `String` keys, `bcmp`), which
        // kept it on the stack and put a store and a reload on every
        // lookup's path.
        // SAFETY: 1: head is a bucket of this map.
        if let Some(i) = unsafe { Self::match_key(head, top, &mut eq) } {
            return Some(Slot { head, b: head, i });
        }
        let mut b = head;
        loop {
            // SAFETY: as above.
            if has_empty_rest(unsafe { Self::tophash_word(b) }) {
                return None; // I2: nothing further down the chain.
            }
            // SAFETY: b is a bucket.
            b = unsafe { Self::overflow(b) };
            if b.is_null() {
                return None;
            }
            // SAFETY: b is a bucket of this chain.
            if let Some(i) = unsafe { Self::match_key(b, top, &mut eq) } {
                return Some(Slot { head, b, i });
            }
        }
    }

    /// The slot of bucket `b` whose tophash is `top` and whose key `eq`
    /// accepts.
    ///
    /// # Safety
    ///
    /// 1. `b` is a bucket of this map.
    #[inline(always)]
    unsafe fn match_key(b: *mut u8, top: Top, eq: &mut impl FnMut(&K) -> bool) -> Option<usize> {
        // SAFETY: 1: its first 8 bytes are its tophash array.
        unsafe { match_byte_at(b, top) }
            // SAFETY: tophash == top >= MIN_TOP_HASH: live (I1).
            .find(|&i| eq(unsafe { &*Self::key_ptr(b, i) }))
    }

    /// Shared references to a live slot's key and value.
    ///
    /// # Safety
    ///
    /// 1. `s` is a live slot of this map, and no `&mut` to it exists while the result lives.
    #[inline(always)]
    pub(crate) unsafe fn refs(&self, s: Slot) -> (&K, &V) {
        // SAFETY: 1.
        let (k, v) = unsafe { Self::slot_ptrs(s) };
        // SAFETY: 1.
        unsafe { (&*k, &*v) }
    }

    /// The key and value pointers of a live slot, which are never null. The
    /// compiler is told so: `m.get(k).is_some()` then tests the search
    /// result instead of comparing the value's address with null.
    ///
    /// # Safety
    ///
    /// 1. `s` is a live slot of this map.
    #[inline(always)]
    unsafe fn slot_ptrs(s: Slot) -> (*mut K, *mut V) {
        // SAFETY: 1.
        let (k, v) = unsafe { (Self::key_ptr(s.b, s.i), Self::elem_ptr(s.b, s.i)) };
        // SAFETY: both point into a bucket allocation, or (indirect) are
        // the live pointer stored in the slot.
        unsafe { core::hint::assert_unchecked(!k.is_null() && !v.is_null()) };
        (k, v)
    }

    /// The value pointer of a live slot, for handing out several `&mut V`
    /// at once (`get_disjoint_mut`): the caller turns it into a reference
    /// only if no other reference to the same slot exists.
    ///
    /// # Safety
    ///
    /// 1. `s` is a live slot of this map.
    #[inline]
    pub(crate) unsafe fn value_ptr(s: Slot) -> *mut V {
        // SAFETY: 1.
        unsafe { Self::slot_ptrs(s) }.1
    }

    /// A shared key and a mutable value of a live slot.
    ///
    /// # Safety
    ///
    /// 1. `s` is a live slot of this map, and no other reference to its value
    ///    exists while the result lives.
    #[inline(always)]
    pub(crate) unsafe fn refs_mut(&mut self, s: Slot) -> (&K, &mut V) {
        // SAFETY: 1.
        let (k, v) = unsafe { Self::slot_ptrs(s) };
        // SAFETY: 1.
        unsafe { (&*k, &mut *v) }
    }

    // ---- assign ------------------------------------------------------------

    /// The write-intent lookup of `mapassign`: allocates the first bucket,
    /// runs `growWork` while growing, then walks the chain remembering the
    /// first empty slot.
    ///
    /// Go: `mapassign` up to "Did not find mapping for key".
    #[inline]
    pub(crate) fn find_for_insert(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
        hasher: impl Fn(&K) -> u64,
    ) -> Found {
        if self.buckets.is_null() {
            self.alloc_first_bucket();
        }
        let bucket = hash as usize & self.bucket_mask;
        if self.growing() {
            self.grow_work(bucket, &hasher);
        } else if !self.retired.is_null() {
            self.retire_step();
        }
        // SAFETY: the array exists; the index is masked. After growWork the
        // old bucket is evacuated, so the entry lives in the new chain (I3).
        let head = unsafe { Self::bucket_at(self.buckets, bucket) };
        let top = Top::of(hash);
        let mut empty = None;
        let mut b = head;
        loop {
            // SAFETY: b is a bucket of the chain.
            let w = unsafe { Self::tophash_word(b) };
            if empty.is_none() {
                if let Some(i) = match_empty(w).lowest() {
                    empty = Some(Slot { head, b, i });
                }
            }
            // SAFETY: b is a bucket of the chain.
            for i in unsafe { match_byte_at(b, top) } {
                // SAFETY: live slot (I1).
                if eq(unsafe { &*Self::key_ptr(b, i) }) {
                    return Found::Occupied(Slot { head, b, i });
                }
            }
            if has_empty_rest(w) {
                break;
            }
            // SAFETY: b is a bucket.
            let ovf = unsafe { Self::overflow(b) };
            if ovf.is_null() {
                break;
            }
            b = ovf;
        }
        Found::Vacant(InsertPos {
            empty,
            head,
            last: b,
        })
    }

    #[cold]
    fn alloc_first_bucket(&mut self) {
        // Go: `h.buckets = newobject(t.bucket)` — B is 0 here.
        let (base, cap, pool) = Self::alloc_or_abort(Self::make_bucket_array(self.b));
        self.buckets = base;
        self.buckets_cap = cap;
        self.next_overflow = pool.0;
        self.pool_end = pool.1;
    }

    /// Inserts a key known to be absent, at `pos` from [`Self::find_for_insert`]
    /// with the same `hash`, growing first if Go would: [`Self::prepare_insert`]
    /// then [`Self::insert_prepared`].
    ///
    /// Go: `mapassign` from "Did not find mapping for key".
    ///
    /// # Safety
    ///
    /// 1. `pos` came from `find_for_insert(hash, ..)` on this map with no
    ///    mutation since, and the key is not in the map.
    #[inline]
    pub(crate) unsafe fn insert_new(
        &mut self,
        hash: u64,
        pos: InsertPos,
        k: K,
        v: V,
        hasher: impl Fn(&K) -> u64,
    ) -> Slot {
        let pos = self.prepare_insert(hash, pos, hasher);
        // SAFETY: 1; `pos` is `prepare_insert`'s, just made.
        unsafe { self.insert_prepared(hash, pos, k, v) }
    }

    /// The grow half of an insert of an absent key (Go's `mapassign`: "If
    /// we hit the max load factor or we have too many overflow buckets,
    /// and we're not already in the middle of growing, start growing",
    /// `hashGrow` and `goto again`): starts the grow if the insert would,
    /// and returns where the key goes then. After it, inserting needs no
    /// hasher, so the entry API does this in `GoMap::entry` and its
    /// `VacantEntry` holds no hasher (std's `entry` likewise reserves room
    /// for one more before handing out its vacant entry).
    ///
    /// `pos` must come from `find_for_insert(hash, ..)` on this map with no
    /// mutation since (else the position returned is as stale as `pos`;
    /// the map itself stays consistent).
    #[inline]
    pub(crate) fn prepare_insert(
        &mut self,
        hash: u64,
        pos: InsertPos,
        hasher: impl Fn(&K) -> u64,
    ) -> InsertPos {
        if !self.growing()
            && (over_load_factor(self.count + 1, self.b)
                || too_many_overflow_buckets(self.noverflow, self.b))
        {
            let slot = self.grow_for_insert(hash, &hasher);
            InsertPos {
                empty: Some(slot),
                head: slot.head,
                last: slot.b,
            }
        } else {
            pos
        }
    }

    /// Writes a key known to be absent at `pos` (an empty slot, or a new
    /// overflow bucket after `pos.last`).
    ///
    /// # Safety
    ///
    /// 1. `pos` came from [`Self::prepare_insert`]`(hash, ..)` on this map
    ///    with no mutation since, and the key is not in the map.
    #[inline]
    pub(crate) unsafe fn insert_prepared(&mut self, hash: u64, pos: InsertPos, k: K, v: V) -> Slot {
        // No grow is due: `prepare_insert` started it, or found none due,
        // and nothing has changed since (1).
        debug_assert!(
            self.growing()
                || !(over_load_factor(self.count + 1, self.b)
                    || too_many_overflow_buckets(self.noverflow, self.b))
        );
        let slot = match pos.empty {
            Some(s) => s,
            None => {
                // SAFETY: 1. `last` is the last bucket of the chain.
                let b = unsafe { self.newoverflow(pos.last) };
                Slot {
                    head: pos.head,
                    b,
                    i: 0,
                }
            }
        };
        // SAFETY: the slot is empty (I1), so writing does not overwrite a live entry.
        unsafe { self.write_slot(slot, tophash::tophash(hash), k, v) };
        self.count += 1;
        slot
    }

    /// Starts a grow and finds the insert slot again (Go's `goto again`).
    #[cold]
    #[inline(never)]
    fn grow_for_insert(&mut self, hash: u64, hasher: &impl Fn(&K) -> u64) -> Slot {
        self.hash_grow();
        let bucket = hash as usize & self.bucket_mask;
        self.grow_work(bucket, hasher);
        // SAFETY: the array exists; index masked.
        let head = unsafe { Self::bucket_at(self.buckets, bucket) };
        let mut b = head;
        loop {
            // SAFETY: chain bucket.
            let w = unsafe { Self::tophash_word(b) };
            if let Some(i) = match_empty(w).lowest() {
                return Slot { head, b, i };
            }
            // SAFETY: chain bucket.
            let ovf = unsafe { Self::overflow(b) };
            if ovf.is_null() {
                // SAFETY: b ends the chain.
                let nb = unsafe { self.newoverflow(b) };
                return Slot { head, b: nb, i: 0 };
            }
            b = ovf;
        }
    }

    /// Writes an entry into an empty slot.
    ///
    /// # Safety
    ///
    /// 1. `s` is an empty slot of this map.
    #[inline(always)]
    unsafe fn write_slot(&mut self, s: Slot, top: u8, k: K, v: V) {
        // SAFETY: 1.
        let ks = unsafe { Self::key_slot(s.b, s.i) };
        // SAFETY: 1.
        let es = unsafe { Self::elem_slot(s.b, s.i) };
        if Bmap::<K, V>::INDIRECT_KEY {
            // SAFETY: the slot is a pointer cell (pointer-aligned: KEYS and
            // KEY_SIZE are multiples of the pointer alignment).
            unsafe { ptr::write(ks as *mut *mut K, Box::into_raw(Box::new(k))) };
        } else {
            // SAFETY: the slot is K-aligned and K-sized.
            unsafe { ptr::write(ks as *mut K, k) };
        }
        if Bmap::<K, V>::INDIRECT_ELEM {
            // SAFETY: as for the key.
            unsafe { ptr::write(es as *mut *mut V, Box::into_raw(Box::new(v))) };
        } else {
            // SAFETY: as for the key.
            unsafe { ptr::write(es as *mut V, v) };
        }
        // SAFETY: 1.
        unsafe { Self::set_top(s.b, s.i, top) };
    }

    /// Moves the entry out of a live slot without touching the tophash.
    ///
    /// # Safety
    ///
    /// 1. `s` is a live slot; the caller marks it empty before anything can
    ///    read it again.
    #[inline(always)]
    unsafe fn read_slot(s: Slot) -> (K, V) {
        // SAFETY: 1.
        let k = unsafe { ptr::read(Self::key_ptr(s.b, s.i)) };
        // SAFETY: 1.
        let v = unsafe { ptr::read(Self::elem_ptr(s.b, s.i)) };
        if Bmap::<K, V>::INDIRECT_KEY {
            // SAFETY: 1. the box holding the key, its content moved out above.
            unsafe { dealloc(Self::key_ptr(s.b, s.i) as *mut u8, Layout::new::<K>()) };
        }
        if Bmap::<K, V>::INDIRECT_ELEM {
            // SAFETY: as for the key.
            unsafe { dealloc(Self::elem_ptr(s.b, s.i) as *mut u8, Layout::new::<V>()) };
        }
        (k, v)
    }

    // ---- delete ------------------------------------------------------------

    /// Runs `growWork` for the bucket `hash` maps to, as every Go delete
    /// does, then finds the slot of the key with `hash` for which `eq`
    /// holds.
    ///
    /// Go: `mapdelete` up to its search. In a map that is neither growing
    /// nor returning a dead array (nearly every remove), this is one test
    /// of the two and the chain's search, without `find`'s repeated checks
    /// (empty map, no array, growing) that a remove has already made.
    #[inline(always)]
    pub(crate) fn find_for_remove(
        &mut self,
        hash: u64,
        hasher: impl Fn(&K) -> u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<Slot> {
        if self.count == 0 {
            return None;
        }
        // Growing or retiring: one test of both pointers (`growing()` is
        // `oldbuckets` being non-null) instead of two branches.
        if (self.oldbuckets as usize | self.retired as usize) != 0 {
            return self.find_for_remove_busy(hash, hasher, eq);
        }
        let m = self.bucket_mask;
        // SAFETY: count != 0, so the array exists (I4); the index is
        // masked to it; not growing, so the chain is in this array (I3).
        let head = unsafe { Self::bucket_at(self.buckets, hash as usize & m) };
        // SAFETY: head is the chain `hash` maps to.
        unsafe { Self::find_in_chain(head, hash, eq) }
    }

    /// [`Self::find_for_remove`] while growing or returning a dead array:
    /// one step of that work first.
    #[cold]
    #[inline(never)]
    fn find_for_remove_busy(
        &mut self,
        hash: u64,
        hasher: impl Fn(&K) -> u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<Slot> {
        if self.growing() {
            let bucket = hash as usize & self.bucket_mask;
            self.grow_work(bucket, &hasher);
        } else {
            self.retire_step();
        }
        self.find_nonempty(hash, eq)
    }

    /// Removes the entry at a live slot, fixing up `emptyRest` marks.
    ///
    /// Go: `mapdelete` from "Only clear key if there are pointers in it".
    ///
    /// # Safety
    ///
    /// 1. `s` is a live slot of this map found since the last mutation.
    #[inline]
    pub(crate) unsafe fn remove_at(&mut self, s: Slot) -> (K, V) {
        // SAFETY: 1.
        let kv = unsafe { Self::read_slot(s) };
        // SAFETY: 1.
        unsafe { Self::mark_deleted(s) };
        self.count -= 1;
        kv
    }

    /// Marks a slot `emptyOne`, and turns it plus the run of `emptyOne`
    /// slots before it into `emptyRest` when nothing follows (I2).
    ///
    /// Go: the `emptyRest` fix-up of `mapdelete`, which walks back slot by
    /// slot. Here the bucket's part of the run is computed in one word
    /// ([`tophash::through_last_nonzero_byte`]) and written with one store. Only a run
    /// that empties the whole bucket and goes on in the previous bucket of
    /// the chain takes a loop, out of line.
    ///
    /// # Safety
    ///
    /// 1. `s` is a slot of this map whose entry was moved out.
    #[inline(always)]
    unsafe fn mark_deleted(s: Slot) {
        // SAFETY: 1.
        let bucket_emptied = unsafe { Self::mark_deleted_in_bucket(s.b, s.i) };
        // The chain's head (nearly every remove) has no bucket before it:
        // that test comes first, as it nearly always fails, where whether
        // the bucket was emptied follows the data.
        if s.b != s.head && bucket_emptied {
            // SAFETY: 1; b's run reached its slot 0.
            unsafe { Self::empty_rest_backwards(s.head, s.b) };
        }
    }

    /// The part of [`Self::mark_deleted`] inside bucket `b`; returns
    /// whether the `emptyRest` run reached slot 0, so that it may go on in
    /// the previous bucket of the chain.
    ///
    /// # Safety
    ///
    /// 1. Slot `i` of bucket `b` of this map had its entry moved out.
    #[inline(always)]
    unsafe fn mark_deleted_in_bucket(b: *mut u8, i: usize) -> bool {
        // SAFETY: 1.
        let w = unsafe { Self::tophash_word(b) };
        // Slot i becomes emptyOne.
        let one = (w & !(0xff << (8 * i))) | ((EMPTY_ONE as u64) << (8 * i));
        // What follows slot i in the chain, as bits that are non-zero iff
        // something other than `emptyRest` does. For i < 7, the bytes after
        // slot i as they are: by I2 they are all zero iff the next one is
        // `emptyRest` (`!0 << 8 << 8i` is zero for i = 7). For slot 7, the
        // first byte of the overflow bucket (`emptyRest` at the chain's
        // end), as bit 63.
        let after = if i == BUCKET_CNT - 1 {
            // SAFETY: 1; b is a bucket, and so is its overflow, if any.
            let next_top = unsafe {
                let o = Self::overflow(b);
                if o.is_null() {
                    EMPTY_REST
                } else {
                    Self::top(o, 0)
                }
            };
            ((next_top != EMPTY_REST) as u64) << 63
        } else {
            one & ((!0u64 << 8) << (8 * i))
        };
        // The bytes to keep: up to the last one that is live (up to slot i,
        // where only `emptyRest` 0, `emptyOne` 1 and live bytes of at least
        // `MIN_TOP_HASH` are: a live byte is one with a bit other than bit
        // 0) or that is followed by something (after slot i); the rest
        // becomes `emptyRest`. If something follows slot i, that keeps
        // every byte up to the last non-zero one, whose later bytes are
        // already `emptyRest` (I2): the word is just `one`. If nothing
        // does, the run of `emptyOne` bytes ending at slot i (and the
        // `emptyRest` ones after it) is cleared in one mask, where Go's
        // `mapdelete` walks back slot by slot. One word, so no branch on
        // the data: a branch on whether the next slot is empty
        // mispredicted on a good part of removes.
        const _: () = assert!(EMPTY_REST == 0);
        const _: () = assert!(EMPTY_ONE == 1 && MIN_TOP_HASH >= 2);
        let t = (one & !tophash::LO) | after;
        let new = one & tophash::through_last_nonzero_byte(t);
        // SAFETY: 1: b's first 8 bytes are its tophash array.
        unsafe { ptr::write(b as *mut [u8; BUCKET_CNT], new.to_le_bytes()) };
        // Nothing live before slot i and nothing after it: the bucket is
        // now all `emptyRest`, and the run may go on in the previous bucket.
        t == 0
    }

    /// Goes on with the `emptyRest` fix-up in the buckets before `c` in its
    /// chain, while their tail slots are `emptyOne`.
    ///
    /// # Safety
    ///
    /// 1. `c` is a bucket of the chain starting at `head`, `c != head`, and
    ///    every slot of `c` is `EMPTY_REST`.
    #[cold]
    #[inline(never)]
    unsafe fn empty_rest_backwards(head: *mut u8, mut c: *mut u8) {
        loop {
            // Find previous bucket, continue at its last entry.
            let mut b = head;
            // SAFETY: 1: c is in the chain starting at head, so the walk ends.
            while unsafe { Self::overflow(b) } != c {
                // SAFETY: chain bucket.
                b = unsafe { Self::overflow(b) };
            }
            // SAFETY: chain bucket.
            let w = unsafe { Self::tophash_word(b) };
            if (w >> 56) as u8 != EMPTY_ONE {
                return;
            }
            let (rest, reached_slot_0) = tophash::empty_rest_run(w);
            // SAFETY: chain bucket: its first 8 bytes are its tophash array.
            unsafe { ptr::write(b as *mut [u8; BUCKET_CNT], rest.to_le_bytes()) };
            if !reached_slot_0 || b == head {
                return; // a live slot before the run, or the chain's start.
            }
            c = b;
        }
    }

    /// Moves the entry out of a live slot, marking it `EMPTY_ONE` (no
    /// `emptyRest` fix-up: for draining walks that end in [`Self::clear`] or
    /// a drop).
    ///
    /// # Safety
    ///
    /// 1. `s` is a live slot of this map.
    pub(crate) unsafe fn take_at(&mut self, s: Slot) -> (K, V) {
        // SAFETY: 1.
        let kv = unsafe { Self::read_slot(s) };
        // SAFETY: 1.
        unsafe { Self::set_top(s.b, s.i, EMPTY_ONE) };
        self.count -= 1;
        kv
    }

    /// The tophash bytes of every chain of the current (`old == false`) or
    /// old array: one `Vec` of 8-byte rows per bucket, head first.
    pub(crate) fn dump(&self, old: bool) -> alloc::vec::Vec<alloc::vec::Vec<[u8; 8]>> {
        let (base, n) = if old {
            (
                self.oldbuckets,
                if self.growing() {
                    self.noldbuckets()
                } else {
                    0
                },
            )
        } else {
            (
                self.buckets,
                if self.buckets.is_null() {
                    0
                } else {
                    bucket_shift(self.b)
                },
            )
        };
        let mut out = alloc::vec::Vec::with_capacity(n);
        for bi in 0..n {
            let mut chain = alloc::vec::Vec::new();
            // SAFETY: bi < n buckets of the array.
            let mut b = unsafe { Self::bucket_at(base, bi) };
            while !b.is_null() {
                // SAFETY: chain bucket.
                chain.push(unsafe { ptr::read(b as *const [u8; 8]) });
                // SAFETY: chain bucket.
                b = unsafe { Self::overflow(b) };
            }
            out.push(chain);
        }
        out
    }

    // ---- clear / drop --------------------------------------------------------

    /// Drops every live entry and frees all memory but the current array,
    /// which is zeroed for reuse (B is kept, the grow state dropped).
    ///
    /// Go: `mapclear`. If a `Drop` panics, the remaining entries are still
    /// dropped and the map is left empty.
    pub(crate) fn clear(&mut self) {
        self.drop_entries();
        self.free_retired();
        if self.buckets.is_null() {
            return;
        }
        if !self.oldbuckets.is_null() {
            // SAFETY: entries dropped; the old array and its slabs are ours.
            unsafe { self.free_array(self.oldbuckets, self.old_cap) };
            // SAFETY: as above.
            unsafe { Self::free_slabs(&mut self.old_slabs) };
            self.oldbuckets = ptr::null_mut();
            self.old_cap = 0;
        }
        // SAFETY: entries dropped; the chains into them are cleared below.
        unsafe { Self::free_slabs(&mut self.slabs) };
        let n = bucket_shift(self.b);
        // SAFETY: the whole allocation belongs to the array.
        unsafe { ptr::write_bytes(self.buckets, 0, self.buckets_cap * Bmap::<K, V>::SIZE) };
        if self.buckets_cap > n {
            // SAFETY: inside the allocation.
            unsafe {
                self.next_overflow = Self::bucket_at(self.buckets, n);
                self.pool_end = Self::bucket_at(self.buckets, self.buckets_cap);
            }
        } else {
            // No pool; the slab the cursor was in is freed.
            self.next_overflow = ptr::null_mut();
            self.pool_end = ptr::null_mut();
        }
        self.flags &= !SAME_SIZE_GROW;
        self.noverflow = 0;
        self.nevacuate = 0;
        self.count = 0;
        self.moves = self.moves.wrapping_add(1);
    }

    /// Drops every live entry, marking each slot `EMPTY_ONE` before its
    /// drop runs. A panicking drop leaves a consistent map; a guard drops
    /// the rest during unwinding.
    fn drop_entries(&mut self) {
        if self.count == 0
            || (!core::mem::needs_drop::<K>()
                && !core::mem::needs_drop::<V>()
                && !Bmap::<K, V>::INDIRECT_KEY
                && !Bmap::<K, V>::INDIRECT_ELEM)
        {
            self.count = 0;
            return;
        }
        let mut guard = gocore::scopeguard::guard(self, |m| {
            // Only reached while unwinding from a Drop (or after success,
            // where it finds nothing left).
            m.drop_entries_inner();
        });
        guard.drop_entries_inner();
        let m = gocore::scopeguard::ScopeGuard::into_inner(guard);
        m.count = 0;
    }

    fn drop_entries_inner(&mut self) {
        let arrays = [
            (self.buckets, bucket_shift(self.b)),
            (
                self.oldbuckets,
                if self.growing() {
                    self.noldbuckets()
                } else {
                    0
                },
            ),
        ];
        for (base, n) in arrays {
            if base.is_null() {
                continue;
            }
            for bi in 0..n {
                // SAFETY: bi < n buckets of this array.
                let mut b = unsafe { Self::bucket_at(base, bi) };
                while !b.is_null() {
                    for i in 0..BUCKET_CNT {
                        // SAFETY: chain bucket, i < 8.
                        if is_live(unsafe { Self::top(b, i) }) {
                            let s = Slot { head: b, b, i };
                            // SAFETY: live slot; marked empty before the drop runs.
                            unsafe { Self::set_top(b, i, EMPTY_ONE) };
                            self.count -= 1;
                            // SAFETY: the slot was live; its entry is dropped once.
                            drop(unsafe { Self::read_slot(s) });
                        }
                    }
                    // SAFETY: chain bucket.
                    b = unsafe { Self::overflow(b) };
                }
            }
        }
    }

    /// Frees an array's allocation (not its slabs).
    ///
    /// # Safety
    ///
    /// 1. `base`/`cap` is an array of this map with no live entries;
    ///    nothing uses it afterwards.
    unsafe fn free_array(&mut self, base: *mut u8, cap: usize) {
        let layout = Self::array_layout(cap).expect("layout was valid at allocation");
        // SAFETY: 1. allocated by make_bucket_array with this layout.
        unsafe { dealloc(base, layout) };
    }

    /// Drops everything and frees all memory — the memory also when an
    /// entry's `Drop` panics (the other entries are still dropped).
    fn free_all(&mut self) {
        let mut guard = gocore::scopeguard::guard(self, |m| m.free_memory());
        guard.drop_entries();
    }

    /// Frees every allocation. Entries must have been dropped.
    fn free_memory(&mut self) {
        self.free_retired();
        if !self.oldbuckets.is_null() {
            // SAFETY: no live entries remain.
            unsafe { self.free_array(self.oldbuckets, self.old_cap) };
            self.oldbuckets = ptr::null_mut();
        }
        // SAFETY: no live entries remain; the arrays are freed or about to be.
        unsafe { Self::free_slabs(&mut self.old_slabs) };
        if !self.buckets.is_null() {
            // SAFETY: no live entries remain.
            unsafe { self.free_array(self.buckets, self.buckets_cap) };
            self.buckets = ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { Self::free_slabs(&mut self.slabs) };
        self.next_overflow = ptr::null_mut();
        self.pool_end = ptr::null_mut();
    }

    /// Rebuilds the map with 2^`new_b` buckets, moving every entry now.
    /// Only for an explicit `reserve`; inserts never do this.
    ///
    /// On failure the map is unchanged.
    pub(crate) fn rebuild(
        &mut self,
        new_b: u8,
        hasher: impl Fn(&K) -> u64,
    ) -> Result<(), AllocFailure> {
        // Hash everything first: a panicking Hash then leaves the map untouched.
        let (base, cap, pool) = Self::make_bucket_array(new_b)?;
        let mut fresh = RawMap::<K, V> {
            buckets: base,
            buckets_cap: cap,
            next_overflow: pool.0,
            pool_end: pool.1,
            ..Self::new()
        };
        fresh.set_b(new_b);
        let mut hashes = alloc::vec::Vec::new();
        if hashes.try_reserve_exact(self.count).is_err() {
            let l = Layout::array::<u64>(self.count).map_err(|_| AllocFailure::CapacityOverflow)?;
            return Err(AllocFailure::Alloc(l));
        }
        let mut it = iter::PhysIter::new();
        while let Some(s) = it.next(self) {
            // SAFETY: live slot.
            hashes.push(hasher(unsafe { &*Self::key_ptr(s.b, s.i) }));
        }
        let mut it = iter::PhysIter::new();
        let mut n = 0;
        while let Some(s) = it.next(self) {
            let h = hashes[n];
            n += 1;
            // SAFETY: live slot, moved into `fresh` and marked empty here;
            // no user code runs between.
            let (k, v) = unsafe { Self::read_slot(s) };
            // SAFETY: s is a slot of self.
            unsafe { Self::set_top(s.b, s.i, EMPTY_ONE) };
            self.count -= 1;
            fresh.push_unique_nogrow(h, k, v);
        }
        // Only the memory is left.
        fresh.continue_moves(self.moves);
        let old = core::mem::replace(self, fresh);
        drop(old);
        Ok(())
    }

    /// Appends an absent key to its chain without any growth checks.
    fn push_unique_nogrow(&mut self, hash: u64, k: K, v: V) {
        // SAFETY: the array exists, we are not growing.
        let head = unsafe { Self::bucket_at(self.buckets, hash as usize & self.bucket_mask) };
        let mut b = head;
        let slot = loop {
            // SAFETY: chain bucket.
            if let Some(i) = match_empty(unsafe { Self::tophash_word(b) }).lowest() {
                break Slot { head, b, i };
            }
            // SAFETY: chain bucket.
            let o = unsafe { Self::overflow(b) };
            if o.is_null() {
                // SAFETY: b ends the chain.
                let nb = unsafe { self.newoverflow(b) };
                break Slot { head, b: nb, i: 0 };
            }
            b = o;
        };
        // SAFETY: empty slot.
        unsafe { self.write_slot(slot, tophash::tophash(hash), k, v) };
        self.count += 1;
    }

    /// A deep copy with the same shape: same B, same grow state, every
    /// entry cloned into the same slot. If a `Clone` panics, the partial copy
    /// is dropped (entries cloned so far are dropped, memory freed).
    pub(crate) fn clone_with(&self, clone_kv: impl Fn(&K, &V) -> (K, V)) -> Self {
        let mut out = Self::new();
        out.set_b(self.b);
        out.flags = self.flags;
        out.noverflow = self.noverflow;
        out.nevacuate = self.nevacuate;
        if self.buckets.is_null() {
            return out;
        }
        // The arrays first, zeroed: a partial copy is always droppable.
        let layout = Self::array_layout(self.buckets_cap).expect("valid layout");
        // SAFETY: non-zero size.
        out.buckets = unsafe { alloc_zeroed(layout) };
        if out.buckets.is_null() {
            handle_alloc_error(layout);
        }
        // Advised like any array of this size: `retire` counts on it.
        Self::advise_huge_pages(out.buckets, layout.size());
        out.buckets_cap = self.buckets_cap;
        // The pool cursor, if it is in the array (in a slab, the copy
        // starts a slab of its own at its next overflow bucket instead).
        if !self.next_overflow.is_null()
            && Self::in_array(self.buckets, self.buckets_cap, self.next_overflow)
        {
            let off = (self.next_overflow as usize) - (self.buckets as usize);
            let end = (self.pool_end as usize) - (self.buckets as usize);
            // SAFETY: same offsets inside an allocation of the same size.
            unsafe {
                out.next_overflow = out.buckets.add(off);
                out.pool_end = out.buckets.add(end);
            }
        }
        if self.growing() {
            let layout = Self::array_layout(self.old_cap).expect("valid layout");
            // SAFETY: non-zero size.
            let p = unsafe { alloc_zeroed(layout) };
            if p.is_null() {
                handle_alloc_error(layout);
            }
            Self::advise_huge_pages(p, layout.size());
            out.oldbuckets = p;
            out.old_cap = self.old_cap;
        }
        let arrays = [
            (
                self.buckets,
                self.buckets_cap,
                out.buckets,
                bucket_shift(self.b),
                false,
            ),
            (
                self.oldbuckets,
                self.old_cap,
                out.oldbuckets,
                if self.growing() {
                    self.noldbuckets()
                } else {
                    0
                },
                true,
            ),
        ];
        // The copies of slab buckets go to slabs of the copy's same array
        // (I6), from a cursor of their own per array.
        let slab_n = Self::slab_buckets(self.b);
        for (src_base, src_cap, dst_base, n, old) in arrays {
            let (mut next, mut end) = (ptr::null_mut::<u8>(), ptr::null_mut::<u8>());
            for bi in 0..n {
                // SAFETY: bi < n buckets in both arrays.
                let (mut sb, mut db) =
                    unsafe { (Self::bucket_at(src_base, bi), Self::bucket_at(dst_base, bi)) };
                loop {
                    for i in 0..BUCKET_CNT {
                        // SAFETY: chain buckets, i < 8.
                        let top = unsafe { Self::top(sb, i) };
                        if is_live(top) {
                            // SAFETY: live slot of self.
                            let (k, v) =
                                unsafe { (&*Self::key_ptr(sb, i), &*Self::elem_ptr(sb, i)) };
                            let (k, v) = clone_kv(k, v);
                            // SAFETY: db's slot i is still empty (zeroed).
                            unsafe { out.write_slot(Slot { head: db, b: db, i }, top, k, v) };
                            out.count += 1;
                        } else {
                            // SAFETY: chain bucket.
                            unsafe { Self::set_top(db, i, top) };
                        }
                    }
                    // SAFETY: chain bucket.
                    let so = unsafe { Self::overflow(sb) };
                    if so.is_null() {
                        break;
                    }
                    let dn = if Self::in_array(src_base, src_cap, so) {
                        let off = (so as usize) - (src_base as usize);
                        // SAFETY: same offset in a same-sized allocation.
                        unsafe { dst_base.add(off) }
                    } else {
                        if next == end {
                            let list = if old {
                                &mut out.old_slabs
                            } else {
                                &mut out.slabs
                            };
                            next = Self::new_slab(list, slab_n);
                            // SAFETY: slab_n buckets follow the header.
                            end = unsafe { next.add(slab_n * Bmap::<K, V>::SIZE) };
                        }
                        let p = next;
                        // SAFETY: p < end, inside the slab.
                        next = unsafe { next.add(Bmap::<K, V>::SIZE) };
                        p
                    };
                    // SAFETY: db is a bucket of out.
                    unsafe { Self::set_overflow(db, dn) };
                    sb = so;
                    db = dn;
                }
            }
        }
        debug_assert_eq!(out.count, self.count);
        out
    }
}

impl<K, V> Drop for RawMap<K, V> {
    fn drop(&mut self) {
        self.free_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inserts `k` (absent) with the given hash function.
    fn put(m: &mut RawMap<u64, u64>, k: u64, h: fn(&u64) -> u64) {
        match m.find_for_insert(h(&k), |x| *x == k, h) {
            Found::Occupied(_) => panic!("{k} already present"),
            // SAFETY: fresh position for an absent key.
            Found::Vacant(pos) => unsafe { m.insert_new(h(&k), pos, k, k, h) },
        };
    }

    #[test]
    fn overflow_slabs_follow_the_arrays() {
        // Every key in bucket 0: a B = 1 array has no pool, so its 9th key
        // takes an overflow bucket from a slab; B >= 4 arrays take theirs
        // from the pool first.
        fn same(k: &u64) -> u64 {
            (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 8) << 8
        }
        let mut m = RawMap::<u64, u64>::with_b(1).unwrap();
        for k in 0..9 {
            put(&mut m, k, same);
        }
        assert!(!m.slabs.is_null());
        assert!(!m.growing());
        // Enough keys to grow (B = 1 -> 2): the slabs move to the old array.
        let mut k = 9;
        while !m.growing() {
            put(&mut m, k, same);
            k += 1;
        }
        assert!(!m.old_slabs.is_null());
        m.finish_growth(&same);
        // Freed with the (small) old array at the grow's end.
        assert!(m.old_slabs.is_null() && m.retired_slabs.is_null());
        // All keys still chain in bucket 0 of the new array.
        assert!(!m.slabs.is_null());
        for j in 0..k {
            assert!(m.find(same(&j), |x| *x == j).is_some(), "{j} lost");
        }
        m.clear();
        assert!(m.slabs.is_null() && m.next_overflow.is_null());
        for k in 0..40 {
            put(&mut m, k, same);
        }
        assert_eq!(m.len(), 40);
        // Copies take slabs of their own; Miri checks that nothing leaks.
        let mut c = m.clone_with(|k, v| (*k, *v));
        assert!(!c.slabs.is_null() && c.slabs != m.slabs);
        for k in 0..40 {
            assert!(c.find(same(&k), |x| *x == k).is_some());
        }
        // Both go on taking overflow buckets, each from slabs of its own
        // (the copy's cursor starts a new slab): no bucket is shared.
        for k in 40..60 {
            put(&mut m, k, same);
            put(&mut c, k + 100, same);
        }
        for k in 0..60 {
            assert!(m.find(same(&k), |x| *x == k).is_some());
            assert_eq!(c.find(same(&k), |x| *x == k).is_some(), k < 40);
            assert_eq!(
                c.find(same(&(k + 100)), |x| *x == k + 100).is_some(),
                k >= 40
            );
        }
    }

    #[test]
    fn overflow_buckets_come_from_the_pool_then_slabs() {
        fn spread(k: &u64) -> u64 {
            k.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        }
        // B = 4: 16 buckets and a pool of 1; 9 keys in one bucket take it.
        let mut m = RawMap::<u64, u64>::with_b(4).unwrap();
        let mut k = 0u64;
        let mut in_0 = 0;
        while in_0 < 9 {
            if spread(&k) & 15 == 0 {
                put(&mut m, k, spread);
                in_0 += 1;
            }
            k += 1;
        }
        assert_eq!(m.noverflow(), 1);
        assert!(m.slabs.is_null(), "the pool bucket is in the array");
        assert!(m.next_overflow == m.pool_end);
        // A second overflow bucket comes from a slab.
        while in_0 < 17 {
            if spread(&k) & 15 == 0 {
                put(&mut m, k, spread);
                in_0 += 1;
            }
            k += 1;
        }
        assert!(!m.slabs.is_null());
        assert_eq!(m.noverflow(), 2);
    }

    #[test]
    fn hint_table_matches_go() {
        // spec/map.md: make(map, hint) picks this B.
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
            for h in lo..=hi {
                assert_eq!(b_for_hint(h), b, "hint {h}");
            }
        }
    }

    #[test]
    fn overflow_threshold_caps_at_2_pow_15() {
        assert!(!too_many_overflow_buckets(15, 4));
        assert!(too_many_overflow_buckets(16, 4));
        assert!(!too_many_overflow_buckets(32767, 15));
        assert!(too_many_overflow_buckets(32768, 15));
        assert!(too_many_overflow_buckets(32768, 20));
        assert!(!too_many_overflow_buckets(32767, 40));
    }

    #[test]
    fn load_factor_is_6_5() {
        assert!(!over_load_factor(8, 0));
        assert!(over_load_factor(9, 0));
        assert!(!over_load_factor(13, 1));
        assert!(over_load_factor(14, 1));
        assert!(!over_load_factor(6656, 10));
        assert!(over_load_factor(6657, 10));
    }

    #[test]
    fn huge_hints_are_treated_as_zero() {
        let m = RawMap::<u64, u64>::with_hint(usize::MAX).unwrap();
        assert_eq!(m.b(), 0);
    }

    #[test]
    fn preallocated_pool_from_b_4() {
        let m = RawMap::<u64, u64>::with_hint(53).unwrap();
        assert_eq!(m.b(), 4);
        assert_eq!(m.buckets_cap, 17);
        let m = RawMap::<u64, u64>::with_hint(27).unwrap();
        assert_eq!(m.buckets_cap, 8);
        assert!(m.next_overflow.is_null());
    }
}
