//! Go's map: 8-slot buckets with tophash bytes, overflow chains, load factor
//! 6.5 and incremental evacuation, with a std-grade API.
//!
//! [`GoMap`] is Go 1.19's `map[K]V` (`runtime/map.go`) rebuilt in Rust: the
//! same bucket layout, the same growth points, the same incremental
//! evacuation, the same randomised iteration order — behind the API of
//! `std::collections::HashMap`.
//!
//! # Hello, map
//!
//! ```
//! use gomap::GoMap;
//!
//! let mut m = GoMap::new();
//! m.insert("go", 2009);
//! m.insert("rust", 2015);
//! assert_eq!(m["go"], 2009);
//! assert_eq!(m.get("c"), None); // Go: v, ok := m["c"] gives (0, false)
//! ```
//!
//! # Buckets, tophash and growth
//!
//! A map has 2^B buckets of 8 slots. The low B bits of a key's hash pick the
//! bucket, the top byte (the *tophash*) is stored per slot so a lookup
//! compares keys only where the byte matches — all 8 bytes at once here.
//! Inserting a new key grows the map when the average load would pass 6.5
//! (B doubles) or when overflow buckets pile up (same-size growth). Growth
//! moves entries **incrementally**, at most two old buckets per write.
//!
//! So no insert pays for the whole table: inserting 8M `u64` keys one by
//! one, the slowest insert took about 1 ms here, where hashbrown's resize
//! took about 200 ms (`cargo xtask bench`, benches/RESULTS.md). A large new
//! bucket array comes from `alloc_zeroed`; with a global allocator that
//! implements it as `alloc` plus a memset, the first insert of a growth pays
//! for zeroing the whole array instead. With the `std` feature on Linux,
//! arrays of 4 MiB and more are advised as transparent huge pages before
//! first use, as Go 1.19's heap is ([`design::hugepage`]).
//!
//! ```
//! let mut m = gomap::GoMap::new();
//! let mut grew_at = Vec::new();
//! for k in 1..=500u32 {
//!     let before = m.stats().b;
//!     m.insert(k, ());
//!     if m.stats().b != before {
//!         grew_at.push(k);
//!     }
//! }
//! assert_eq!(grew_at, [9, 14, 27, 53, 105, 209, 417]); // as in Go 1.19
//! ```
//!
//! # Watching a grow
//!
//! [`GoMap::stats`] reports what Go keeps in its `hmap` header.
//!
//! ```
//! let mut m = gomap::GoMap::new();
//! for k in 0..105u32 {
//!     m.insert(k, k);
//! }
//! let s = m.stats();
//! assert!(s.growing && s.b == 5 && !s.same_size_growth);
//! // Every later write evacuates up to two of the 16 old buckets.
//! for _ in 0..16 {
//!     m.insert(0, 0);
//! }
//! assert!(!m.stats().growing);
//! ```
//!
//! # Modifying while iterating
//!
//! Go lets a `range` loop insert and delete. [`Cursor`] does the same
//! without borrowing the map between steps.
//!
//! ```
//! let mut m: gomap::GoMap<u32, u32> = (0..10).map(|k| (k, k)).collect();
//! let mut c = m.cursor();
//! while let Some((&k, _)) = c.next(&m) {
//!     if k % 2 == 1 {
//!         m.remove(&k);
//!     }
//! }
//! assert_eq!(m.len(), 5);
//! ```
//!
//! # Shrinking, on request
//!
//! A Go map never gives memory back: deleting keeps every bucket, and so
//! does [`GoMap::remove`] here. Rust code that wants the memory back asks
//! for it: [`GoMap::shrink_to_fit`] and [`GoMap::shrink_to`] rebuild the
//! map into the array Go's `make` would pick for its current size.
//! [`GoMap::extract_if`] is Go's delete-while-ranging loop as an iterator.
//!
//! ```
//! let mut m: gomap::GoMap<u32, String> = (0..1000).map(|k| (k, k.to_string())).collect();
//! let old: Vec<(u32, String)> = m.extract_if(|&k, _| k >= 20).collect();
//! assert_eq!((old.len(), m.len(), m.stats().b), (980, 20, 8));
//! m.shrink_to_fit();
//! assert_eq!(m.stats().b, 2); // make(map[uint32]string, 20)
//! assert_eq!(m[&19], "19");
//! ```
//!
//! # Design
//!
//! The map's internals are explained, as Go's `runtime/map.go` explains its
//! own, in [`design`]: [`design::raw`] (the `hmap`, lookups, inserts,
//! deletes and their invariants), [`design::bucket`] (a bucket's layout),
//! [`design::grow`] (growth and evacuation), [`design::hugepage`] (huge
//! pages for large bucket arrays on Linux), [`design::iter`] (iteration
//! order) and [`design::cursor`] (iteration with writes).
//!
//! # Cargo features
//!
//! - `std` (default): implies `alloc`; the random seeds and iteration starts
//!   come from per-thread generators seeded by the OS. On Linux it also
//!   advises bucket arrays of 4 MiB and more as transparent huge pages
//!   (`madvise`, through the `libc` crate), as Go's heap does.
//! - `alloc`: the map itself (always needed; the crate is `#![no_std]`).
//!   Without `std`, seed [`gocore::rand::seed`] from a hardware source.
//! - `serde`: `Serialize`/`Deserialize` for [`GoMap`].
//! - `portable-atomic`: take gocore's atomics (its random state) from the
//!   `portable-atomic` crate, for targets without compare-and-swap such as
//!   `thumbv6m-none-eabi`. Choose its backend with one of the pass-through
//!   features `portable-atomic-critical-section` (then link a
//!   `critical-section` implementation, e.g. your HAL's) or
//!   `portable-atomic-unsafe-assume-single-core` (only sound on single-core
//!   targets running privileged code); each implies `portable-atomic`.
//!
//! # Panics in user code
//!
//! A panicking `Hash`, `Eq`, `Clone` or `Drop` never causes undefined
//! behaviour, a double drop or a leak: every multi-step update hashes and
//! compares before it moves anything (evacuation hashes a whole chain before
//! moving any of it), and drops run only once the map is consistent again.
//! When a key's `Drop` panics while the map still holds a value it owes the
//! caller (the duplicate key of an overwriting `insert`, the stored key of a
//! `remove`), that value is dropped during the unwind instead of leaking.
//! After such a panic the map stays usable; an entry being inserted is
//! dropped (or, if only the duplicate key's drop panicked, stored), an entry
//! being removed is either still there or gone. A second panic from a `Drop`
//! run during that unwind aborts, as everywhere in Rust.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(
        clippy::std_instead_of_core,
        clippy::std_instead_of_alloc,
        clippy::alloc_instead_of_core
    )
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod cursor;
mod external;
mod map;
pub(crate) mod raw;

use core::alloc::Layout;
use core::fmt;

pub use cursor::{Cursor, CursorError};
pub use gocore::hash::DefaultHashBuilder;
pub use map::{
    Drain, Entry, ExtractIf, GoMap, IntoIter, IntoKeys, IntoValues, Iter, IterMut, Keys,
    OccupiedEntry, VacantEntry, Values, ValuesMut,
};

/// A snapshot of a map's header, from [`GoMap::stats`].
///
/// # Examples
///
/// ```
/// let m: gomap::GoMap<u64, u64> = gomap::GoMap::with_capacity(1000);
/// let s = m.stats();
/// assert_eq!(s.b, 8);
/// assert_eq!(s.buckets, 256);
/// assert_eq!(s.bucket_size, if cfg!(target_pointer_width = "64") { 144 } else { 140 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// log2 of the bucket count. Go: `hmap.B`.
    pub b: u8,
    /// Live entries. Go: `hmap.count`.
    pub len: usize,
    /// 2^B.
    pub buckets: usize,
    /// Overflow buckets allocated since the last grow started: exact below
    /// B = 16, then an estimate (Go's probabilistic counter). Go: `hmap.noverflow`.
    pub noverflow: u16,
    /// Whether a grow is in progress (old buckets remain). Go: `h.growing()`.
    pub growing: bool,
    /// Whether the grow in progress keeps the bucket count. Go: `sameSizeGrow`.
    pub same_size_growth: bool,
    /// Evacuation progress: every old bucket below this index has moved.
    /// Go: `hmap.nevacuate`, with Go's lifecycle: 0 when a grow starts, it
    /// climbs while the grow runs, and when the grow ends it *keeps* its
    /// final value — the old array's bucket count — until the next grow
    /// starts. So outside a grow it tells how many buckets the last grow
    /// moved from (half of [`buckets`](Self::buckets) after a doubling, all
    /// of them after a same-size grow), and 0 for a map that has not grown
    /// since it was made or cleared (Go's `mapclear` resets it too), or
    /// since `reserve`, `shrink_to_fit` or `shrink_to` last rebuilt it.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// for k in 0..105u32 {
    ///     m.insert(k, ());
    /// }
    /// assert!(m.stats().growing); // 16 old buckets → 32
    /// while m.stats().growing {
    ///     m.insert(0, ());
    /// }
    /// assert_eq!(m.stats().evacuated, 16); // as Go's h.nevacuate
    /// m.clear();
    /// assert_eq!(m.stats().evacuated, 0);
    /// ```
    pub evacuated: usize,
    /// Buckets in the old array, 0 when not growing.
    pub old_buckets: usize,
    /// Entries the map holds before inserting a new key doubles it: 8 for
    /// B = 0, 6.5 × 2^B otherwise — also before the first bucket is
    /// allocated (unlike [`GoMap::capacity`], which then says 0).
    pub capacity: usize,
    /// Size of one bucket in bytes. Go: `maptype.bucketsize`.
    pub bucket_size: usize,
    /// Whether keys are stored behind a pointer (larger than 128 bytes).
    pub indirect_key: bool,
    /// Whether values are stored behind a pointer (larger than 128 bytes).
    pub indirect_value: bool,
}

/// The tophash bytes of a map's buckets, from [`GoMap::tophash_dump`].
///
/// # Examples
///
/// ```
/// let m: gomap::GoMap<u8, u8> = gomap::GoMap::with_capacity(9);
/// let d = m.tophash_dump();
/// assert_eq!(d.buckets.len(), 2);
/// assert_eq!(d.buckets[0], [[0u8; 8]]); // emptyRest everywhere
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TophashDump {
    /// Per bucket of the current array: the chain's tophash rows, head first.
    pub buckets: alloc::vec::Vec<alloc::vec::Vec<[u8; 8]>>,
    /// The same for the old array while growing; empty otherwise.
    pub old_buckets: alloc::vec::Vec<alloc::vec::Vec<[u8; 8]>>,
}

/// Why [`GoMap::try_reserve`] failed.
///
/// # Examples
///
/// ```
/// let mut m: gomap::GoMap<u64, u64> = gomap::GoMap::new();
/// assert_eq!(m.try_reserve(usize::MAX), Err(gomap::TryReserveError::CapacityOverflow));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryReserveError {
    /// The required size overflows `usize` (or `isize::MAX` bytes).
    CapacityOverflow,
    /// The allocator failed.
    AllocError {
        /// The layout that could not be allocated.
        layout: Layout,
    },
}

impl fmt::Display for TryReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryReserveError::CapacityOverflow => f.write_str("gomap: capacity overflow"),
            TryReserveError::AllocError { layout } => {
                write!(f, "gomap: allocation of {} bytes failed", layout.size())
            }
        }
    }
}

impl core::error::Error for TryReserveError {}

/// How the map works inside: the design essays that open the crate's
/// modules, one page each, in the style of Go's `runtime/map.go` comments.
///
/// Documentation only: the modules they describe are private; the numbered
/// invariants they state are the ones the source's `// SAFETY:` comments cite.
pub mod design {
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/raw.md"))]
    pub mod raw {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/bucket.md"))]
    pub mod bucket {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/grow.md"))]
    pub mod grow {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/hugepage.md"))]
    pub mod hugepage {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/iter.md"))]
    pub mod iter {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/cursor.md"))]
    pub mod cursor {}
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
