//! [`GoMap`]: the safe, std-shaped API over [`RawMap`](crate::raw::RawMap).
//! The entry API lives in `map/entry.rs`, the iterator types in
//! `map/iter.rs`.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;
use core::ops::Index;

use gocore::hash::DefaultHashBuilder;

use crate::raw::iter::{Hiter, PhysIter};
use crate::raw::{b_for_hint, AllocFailure, Found, RawMap, Slot};
use crate::{Stats, TryReserveError};

mod entry;
mod iter;

pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use iter::{
    Drain, ExtractIf, IntoIter, IntoKeys, IntoValues, Iter, IterMut, Keys, Values, ValuesMut,
};

/// A hash map laid out and grown exactly like Go 1.19's `map[K]V`.
///
/// Buckets of 8 slots with a tophash byte each, overflow chains, doubling at
/// an average load of 6.5, same-size growth when overflow buckets pile up,
/// and **incremental evacuation**: once a grow starts, every insert and
/// remove moves at most two old buckets, so no single operation pays for
/// rehashing the whole table.
///
/// The API is `std::collections::HashMap`'s. Differences worth knowing:
///
/// - **Removing never shrinks the map**: removing entries does not lower
///   the bucket count (`B`), as in Go. [`clear`](Self::clear) drops
///   overflow buckets and old arrays but keeps `B`. Only an explicit
///   [`shrink_to_fit`](Self::shrink_to_fit) or [`shrink_to`](Self::shrink_to)
///   rebuilds the map into a smaller array — something Go's maps never do.
/// - Iteration ([`iter`](Self::iter) and friends) starts at a random bucket
///   and a random slot offset, chosen afresh for every iteration, as Go's
///   `range` does.
/// - To modify the map while iterating, as Go allows, use a [`Cursor`](crate::Cursor).
/// - [`capacity`](Self::capacity) is the point of Go's next doubling (load
///   factor 6.5): 8, 13, 26, 52, 104, ... entries; 0 before the first bucket
///   is allocated.
///
/// `Go: map[K]V`
///
/// # Examples
///
/// ```
/// use gomap::GoMap;
///
/// let mut ages = GoMap::new();
/// ages.insert("gopher", 13);
/// ages.insert("ferris", 9);
/// assert_eq!(ages.get("gopher"), Some(&13));
/// assert_eq!(ages.len(), 2);
/// ages.remove("gopher");
/// assert!(!ages.contains_key("gopher"));
/// ```
#[doc(alias = "map")]
#[doc(alias = "hmap")]
pub struct GoMap<K, V, S = DefaultHashBuilder> {
    pub(crate) raw: RawMap<K, V>,
    pub(crate) hash_builder: S,
    /// Identity checked by cursors: random and non-zero, or 0 for a map
    /// made by the `const` [`GoMap::with_hasher`] (which cannot draw one).
    pub(crate) id: u64,
}

/// A fresh map identity: random, never 0 (0 marks a map made in a `const`
/// context).
fn new_id() -> u64 {
    gocore::rand::fastrand64() | 1
}

#[inline(always)]
pub(crate) fn make_hash<Q: Hash + ?Sized, S: BuildHasher>(s: &S, q: &Q) -> u64 {
    s.hash_one(q)
}

/// Drops `dropped`, then returns `kept`. If `dropped`'s `Drop` panics,
/// `kept` is dropped during the unwind instead of leaking: the map calls
/// this once it is consistent, to drop a key it no longer needs (the
/// duplicate key of an overwrite, the stored key of a `remove`) while it
/// still holds a value it owes the caller.
fn drop_then<T, U>(dropped: T, kept: U) -> U {
    let guard = gocore::scopeguard::guard(kept, drop);
    drop(dropped);
    gocore::scopeguard::ScopeGuard::into_inner(guard)
}

/// [`make_hash`] for the closures that re-hash stored keys (evacuation,
/// removal's `growWork`, cursors). Same value; spelled out instead of
/// `hash_one` because the optimizer then inlines the hasher into the
/// evacuation loop, where it otherwise leaves a call (growing String inserts
/// measured a few percent faster). Lookups keep `hash_one`, which measured
/// better there.
#[inline(always)]
pub(crate) fn rehash<K: Hash, S: BuildHasher>(s: &S, k: &K) -> u64 {
    let mut h = s.build_hasher();
    k.hash(&mut h);
    core::hash::Hasher::finish(&h)
}

impl<K, V> GoMap<K, V, DefaultHashBuilder> {
    /// Creates an empty map with B = 0 and no bucket array; the first insert
    /// allocates one bucket.
    ///
    /// `Go: make(map[K]V)`
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u32, u32> = gomap::GoMap::new();
    /// assert!(m.is_empty());
    /// assert_eq!(m.stats().b, 0);
    /// ```
    pub fn new() -> Self {
        Self::with_hasher_and_id(DefaultHashBuilder::new())
    }

    /// Creates an empty map with room for `capacity` entries, choosing B
    /// exactly as Go's `makemap` does for that hint.
    ///
    /// A hint so large that `hint × bucket size` overflows or passes Go's
    /// allocation limit (`maxAlloc`: 2^48 bytes on 64-bit targets, 2^32 − 1
    /// on 32-bit ones) is treated as 0, as Go does: such a map starts empty
    /// and grows as it is filled, rather than asking the allocator for an
    /// array no machine could supply.
    ///
    /// `Go: make(map[K]V, hint)`
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u64, u64> = gomap::GoMap::with_capacity(100);
    /// assert_eq!(m.stats().b, 4); // 16 buckets hold 104 entries
    /// assert!(m.capacity() >= 100);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, DefaultHashBuilder::new())
    }
}

impl<K, V, S> GoMap<K, V, S> {
    /// Creates an empty map that hashes with `hash_builder`. It allocates
    /// nothing, and it is a `const fn`, so a map can start life in a
    /// `static` or a `const` (as std's `HashMap::with_hasher` since Rust 1.85).
    ///
    /// Cursors tell maps apart by an identity drawn at random when a map is
    /// made; a `const fn` cannot draw one, so maps made here share the
    /// identity 0 (a clone of one gets its own). Using a [`Cursor`](crate::Cursor)
    /// of one such map with another is then not reported as
    /// [`CursorError::WrongMap`](crate::CursorError::WrongMap); it is still
    /// memory safe (a cursor holds no pointers), but the walk it gives is
    /// meaningless. Every other constructor draws an identity.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocore::hash::DefaultHashBuilder;
    /// let mut m = gomap::GoMap::with_hasher(DefaultHashBuilder::with_seed(7));
    /// m.insert(1, "one");
    /// assert_eq!(m[&1], "one");
    /// assert_eq!(m.capacity(), 8); // the first insert allocated one bucket
    /// ```
    ///
    /// In a `const` (with a hasher that has a `const` constructor):
    ///
    /// ```
    /// use core::hash::BuildHasherDefault;
    /// use gomap::GoMap;
    /// use std::hash::DefaultHasher;
    ///
    /// const EMPTY: GoMap<u32, u32, BuildHasherDefault<DefaultHasher>> =
    ///     GoMap::with_hasher(BuildHasherDefault::new());
    /// let mut m = EMPTY;
    /// assert_eq!(m.capacity(), 0);
    /// m.insert(1, 2);
    /// assert_eq!(m[&1], 2);
    /// ```
    pub const fn with_hasher(hash_builder: S) -> Self {
        GoMap {
            raw: RawMap::new(),
            hash_builder,
            id: 0,
        }
    }

    /// [`Self::with_hasher`] with a drawn identity: what every runtime
    /// constructor uses.
    fn with_hasher_and_id(hash_builder: S) -> Self {
        GoMap {
            raw: RawMap::new(),
            hash_builder,
            id: new_id(),
        }
    }

    /// Creates an empty map for `capacity` entries that hashes with `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocore::hash::DefaultHashBuilder;
    /// let m: gomap::GoMap<u8, u8> = gomap::GoMap::with_capacity_and_hasher(9, DefaultHashBuilder::new());
    /// assert_eq!(m.stats().b, 1);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        let raw = match RawMap::with_hint(capacity) {
            Ok(r) => r,
            Err(AllocFailure::Alloc(l)) => alloc::alloc::handle_alloc_error(l),
            Err(AllocFailure::CapacityOverflow) => RawMap::new(),
        };
        GoMap {
            raw,
            hash_builder,
            id: new_id(),
        }
    }

    /// The map's hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::hash::BuildHasher;
    /// let m: gomap::GoMap<u8, u8> = gomap::GoMap::new();
    /// let _h = m.hasher().hash_one(1u8);
    /// ```
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// The number of entries.
    ///
    /// `Go: len(m)`
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert('a', 1);
    /// assert_eq!(m.len(), 1);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether the map has no entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u8, u8> = gomap::GoMap::new();
    /// assert!(m.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.raw.len() == 0
    }

    /// How many entries the map holds without allocating a new bucket
    /// array (std's rule: a lower bound that inserts up to it keep true).
    ///
    /// - 0 while the map has allocated nothing ([`new`](Self::new),
    ///   [`with_capacity(0)`](Self::with_capacity), after
    ///   [`shrink_to_fit`](Self::shrink_to_fit) of an empty map);
    /// - otherwise the point of the next doubling, Go's load factor 6.5:
    ///   8 for B = 0, 6.5 × 2^B entries for B > 0 (13, 26, 52, 104, ...);
    /// - except that a map whose removals left as many overflow buckets as
    ///   it has buckets reports its length: its next new key starts Go's
    ///   same-size grow, a new array. Inserts alone never get there below
    ///   the doubling point (a chain of `c` entries needs `ceil(c/8) - 1`
    ///   overflow buckets, so 6.5 × 2^B entries need fewer than 2^B).
    ///
    /// Overflow buckets themselves (single buckets linked to a full one)
    /// are allocated as needed and do not count as a new array.
    /// [`Stats::capacity`] reports the doubling point alone.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u8, u8> = gomap::GoMap::new();
    /// assert_eq!(m.capacity(), 0); // nothing allocated yet
    /// m.insert(1, 1);
    /// assert_eq!(m.capacity(), 8); // one bucket of 8 slots
    /// let m: gomap::GoMap<u8, u8> = gomap::GoMap::with_capacity(100);
    /// assert_eq!(m.capacity(), 104); // 16 buckets × 6.5
    /// ```
    pub fn capacity(&self) -> usize {
        self.raw.capacity()
    }

    /// A snapshot of the map's internal state: B, bucket and overflow
    /// counts, growth progress.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// for k in 0..9 {
    ///     m.insert(k, ());
    /// }
    /// let s = m.stats();
    /// assert_eq!((s.b, s.buckets, s.len), (1, 2, 9)); // the 9th insert doubled B = 0
    /// assert!(!s.growing); // growth from 1 bucket completes inside that insert
    /// ```
    pub fn stats(&self) -> Stats {
        let r = &self.raw;
        Stats {
            b: r.b(),
            len: r.len(),
            buckets: 1usize << r.b(),
            noverflow: r.noverflow(),
            growing: r.growing(),
            same_size_growth: r.growing() && r.same_size_grow(),
            evacuated: r.nevacuate(),
            old_buckets: if r.growing() { r.noldbuckets() } else { 0 },
            capacity: r.doubling_point(),
            bucket_size: crate::raw::bucket::Bmap::<K, V>::SIZE,
            indirect_key: crate::raw::bucket::Bmap::<K, V>::INDIRECT_KEY,
            indirect_value: crate::raw::bucket::Bmap::<K, V>::INDIRECT_ELEM,
        }
    }

    /// The tophash bytes of every bucket chain: `buckets[i]` lists bucket
    /// `i` and then its overflow buckets, 8 bytes each. For the tour, tests
    /// and curious users. Values below 5 are states: 0 `emptyRest`,
    /// 1 `emptyOne`, 2/3 `evacuatedX`/`evacuatedY`, 4 `evacuatedEmpty`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1u8, ());
    /// let d = m.tophash_dump();
    /// assert_eq!(d.buckets.len(), 1);
    /// assert_eq!(d.buckets[0][0].iter().filter(|&&t| t >= 5).count(), 1);
    /// assert!(d.old_buckets.is_empty());
    /// ```
    pub fn tophash_dump(&self) -> crate::TophashDump {
        crate::TophashDump {
            buckets: self.raw.dump(false),
            old_buckets: self.raw.dump(true),
        }
    }

    /// Removes every entry, keeping B and the bucket array (zeroed), as
    /// Go's `mapclear`. Overflow buckets and any old array are freed. One
    /// difference: Go's `mapclear` (and a `delete` that empties the map)
    /// also draws a new hash seed (`hash0`); the map keeps its hasher, since
    /// a `BuildHasher` cannot be reseeded.
    ///
    /// If an entry's `Drop` panics, the other entries are still dropped and
    /// the map is left empty and usable, but keeps its memory: the overflow
    /// buckets, and the old array of a growth in progress (which later
    /// writes finish), stay until the map is cleared again or dropped or
    /// growth replaces its array.
    ///
    /// `Go: for k := range m { delete(m, k) }` (compiled to `mapclear`)
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// let b = m.stats().b;
    /// m.clear();
    /// assert!(m.is_empty());
    /// assert_eq!(m.stats().b, b); // maps never shrink
    /// ```
    pub fn clear(&mut self) {
        self.raw.clear();
    }

    /// An iterator over `(&K, &V)` in Go's randomised order: a random start
    /// bucket and a random slot offset, fresh for every call.
    ///
    /// `Go: for k, v := range m`
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u32, u32> = (0..10).map(|i| (i, i * i)).collect();
    /// let mut sum = 0;
    /// for (k, v) in m.iter() {
    ///     assert_eq!(k * k, *v);
    ///     sum += v;
    /// }
    /// assert_eq!(sum, 285);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            raw: Some(&self.raw),
            it: Hiter::new(&self.raw, gocore::rand::fastrand64()),
        }
    }

    /// An iterator over `(&K, &mut V)`, in Go's randomised order.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..4).map(|i| (i, i)).collect();
    /// for (_, v) in m.iter_mut() {
    ///     *v += 10;
    /// }
    /// assert_eq!(m[&3], 13);
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let it = Hiter::new(&self.raw, gocore::rand::fastrand64());
        IterMut {
            raw: &mut self.raw,
            it,
            marker: PhantomData,
        }
    }

    /// An iterator over the keys.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u32, ()> = (0..4).map(|i| (i, ())).collect();
    /// let mut ks: Vec<_> = m.keys().copied().collect();
    /// ks.sort();
    /// assert_eq!(ks, [0, 1, 2, 3]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys { inner: self.iter() }
    }

    /// An iterator over the values.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u32, u32> = (1..=4).map(|i| (i, i)).collect();
    /// assert_eq!(m.values().sum::<u32>(), 10);
    /// ```
    pub fn values(&self) -> Values<'_, K, V> {
        Values { inner: self.iter() }
    }

    /// An iterator over mutable values.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (1..=4).map(|i| (i, i)).collect();
    /// m.values_mut().for_each(|v| *v *= 2);
    /// assert_eq!(m.values().sum::<u32>(), 20);
    /// ```
    pub fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
        ValuesMut {
            inner: self.iter_mut(),
        }
    }

    /// Consumes the map, yielding its keys.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u32, ()> = (0..3).map(|i| (i, ())).collect();
    /// let mut ks: Vec<u32> = m.into_keys().collect();
    /// ks.sort();
    /// assert_eq!(ks, [0, 1, 2]);
    /// ```
    pub fn into_keys(self) -> IntoKeys<K, V> {
        IntoKeys {
            inner: self.into_iter(),
        }
    }

    /// Consumes the map, yielding its values.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u32, u32> = (0..3).map(|i| (i, i)).collect();
    /// assert_eq!(m.into_values().sum::<u32>(), 3);
    /// ```
    pub fn into_values(self) -> IntoValues<K, V> {
        IntoValues {
            inner: self.into_iter(),
        }
    }

    /// Removes every entry, yielding them; the map keeps B, like [`clear`](Self::clear).
    /// Entries not consumed are dropped when the `Drain` is.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..5).map(|i| (i, i)).collect();
    /// let mut v: Vec<_> = m.drain().collect();
    /// v.sort();
    /// assert_eq!(v.len(), 5);
    /// assert!(m.is_empty());
    /// ```
    pub fn drain(&mut self) -> Drain<'_, K, V> {
        Drain {
            raw: &mut self.raw,
            it: PhysIter::new(),
        }
    }

    /// Keeps only the entries for which `f` returns `true`.
    ///
    /// Entries are removed as Go's `delete` removes them (tophash marks,
    /// `emptyRest` fix-ups), but without `growWork`: a retain is one bulk
    /// operation. If `f` or a `Drop` panics, the entries visited so far
    /// have been kept or removed, the rest are kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
    /// m.retain(|k, _| k % 2 == 0);
    /// assert_eq!(m.len(), 5);
    /// ```
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, mut f: F) {
        let mut it = PhysIter::new();
        while let Some(s) = it.next(&self.raw) {
            // SAFETY: s is live and no other reference into the map exists.
            let (k, v) = unsafe { self.raw.refs_mut(s) };
            if !f(k, v) {
                // SAFETY: s is still live (f could not touch the map).
                drop(unsafe { self.raw.remove_at(s) });
            }
        }
    }

    /// An iterator that removes and yields every entry for which `pred`
    /// returns `true`, keeping the others; `pred` may also change the values
    /// it sees.
    ///
    /// It is Go's delete-while-ranging loop: entries are visited in Go's
    /// randomised `range` order (a random start bucket and slot offset, as
    /// [`iter`](Self::iter)), each exactly once, and a matching entry is
    /// removed as Go's `delete` removes it (its slot marked empty, the
    /// chain's `emptyRest` marks fixed up), before `next` returns it. Like
    /// [`retain`](Self::retain) it runs no `growWork`: a grow in progress
    /// stays where it is. Entries are removed only as the iterator is
    /// advanced: dropping it early (or never advancing it) keeps every entry
    /// not yet visited, as std's `extract_if` does.
    ///
    /// If `pred` panics, the entry it was looking at stays in the map, the
    /// entries already yielded are gone, and the map is consistent.
    ///
    /// `Go: for k, v := range m { if pred(k, v) { delete(m, k); out = append(out, ...) } }`
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..8).map(|i| (i, i)).collect();
    /// let mut odd: Vec<u32> = m.extract_if(|k, _| k % 2 == 1).map(|(k, _)| k).collect();
    /// odd.sort();
    /// assert_eq!(odd, [1, 3, 5, 7]);
    /// assert_eq!(m.len(), 4);
    /// assert!(m.keys().all(|k| k % 2 == 0));
    /// ```
    pub fn extract_if<F>(&mut self, pred: F) -> ExtractIf<'_, K, V, F>
    where
        F: FnMut(&K, &mut V) -> bool,
    {
        let it = Hiter::new(&self.raw, gocore::rand::fastrand64());
        ExtractIf {
            raw: &mut self.raw,
            it,
            pred,
        }
    }

    /// Starts a [`Cursor`](crate::Cursor): iteration that lets you insert and remove
    /// between steps, with Go's `range` guarantees.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// let mut c = m.cursor();
    /// let mut seen = 0;
    /// while let Some((&k, _)) = c.next(&m) {
    ///     seen += 1;
    ///     m.remove(&(k ^ 1)); // delete a neighbour: it is not yielded later
    ///     m.insert(k + 1000, 0); // may or may not be yielded
    /// }
    /// assert!(seen >= 50);
    /// ```
    pub fn cursor(&self) -> crate::Cursor {
        crate::Cursor::new(self.id, gocore::rand::fastrand64())
    }
}

impl<K, V, S> GoMap<K, V, S>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    #[inline(always)]
    fn hash<Q: Hash + ?Sized>(&self, q: &Q) -> u64 {
        make_hash(&self.hash_builder, q)
    }

    #[inline]
    fn find<Q>(&self, k: &Q) -> Option<Slot>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // Hashed before the empty check: Go hashes the key of a lookup in
        // an empty (or nil) map when the key type's hash may panic (issue
        // 23734: an interface key holding a slice), and any `Hash` may.
        let hash = self.hash(k);
        if self.raw.len() == 0 {
            return None;
        }
        self.raw.find_nonempty(hash, |x| x.borrow() == k)
    }

    /// The value for `k`.
    ///
    /// The key is hashed even when the map is empty, as Go hashes it when
    /// its hash may panic: a `Hash` that panics for `k` panics here in any
    /// map (Go issue 23734). The other lookups and the removes do the same.
    ///
    /// `Go: v, ok := m[k]`
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(String::from("go"), 1);
    /// assert_eq!(m.get("go"), Some(&1));
    /// assert_eq!(m.get("rust"), None);
    /// ```
    #[inline]
    pub fn get<Q>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let s = self.find(k)?;
        // SAFETY: live slot, shared borrow of self.
        Some(unsafe { self.raw.refs(s) }.1)
    }

    /// The stored key and value for `k`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 'a');
    /// assert_eq!(m.get_key_value(&1), Some((&1, &'a')));
    /// ```
    #[inline]
    pub fn get_key_value<Q>(&self, k: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let s = self.find(k)?;
        // SAFETY: live slot, shared borrow of self.
        Some(unsafe { self.raw.refs(s) })
    }

    /// Whether `k` is present.
    ///
    /// `Go: _, ok := m[k]`
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, ());
    /// assert!(m.contains_key(&1));
    /// assert!(!m.contains_key(&2));
    /// ```
    #[inline]
    pub fn contains_key<Q>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(k).is_some()
    }

    /// A mutable reference to the value for `k`. Like all reads, it never
    /// moves entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 10);
    /// *m.get_mut(&1).unwrap() += 1;
    /// assert_eq!(m[&1], 11);
    /// ```
    #[inline]
    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let s = self.find(k)?;
        // SAFETY: live slot, exclusive borrow of self.
        Some(unsafe { self.raw.refs_mut(s) }.1)
    }

    /// Inserts `v` for `k`, returning the previous value. If the key was
    /// present, the stored key is kept (std's contract).
    ///
    /// Only inserting a *new* key can start a grow, and never while one is
    /// in progress; while growing, every insert evacuates its own old bucket
    /// and one more.
    ///
    /// `Go: m[k] = v`
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// assert_eq!(m.insert(1, "a"), None);
    /// assert_eq!(m.insert(1, "b"), Some("a"));
    /// ```
    #[inline]
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        let hash = self.hash(&k);
        let hb = &self.hash_builder;
        match self
            .raw
            .find_for_insert(hash, |x| *x == k, |x| rehash(hb, x))
        {
            Found::Occupied(s) => {
                // SAFETY: live slot, exclusive borrow.
                let slot = unsafe { self.raw.refs_mut(s) }.1;
                let old = core::mem::replace(slot, v);
                // The map is complete; the duplicate key is dropped last.
                Some(drop_then(k, old))
            }
            Found::Vacant(pos) => {
                // SAFETY: pos is fresh and the key absent.
                unsafe { self.raw.insert_new(hash, pos, k, v, |x| rehash(hb, x)) };
                None
            }
        }
    }

    /// Removes `k`, returning its value.
    ///
    /// While growing, runs Go's `growWork` first (also when `k` is absent).
    /// The table never shrinks.
    ///
    /// `Go: delete(m, k)`
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, "a");
    /// assert_eq!(m.remove(&1), Some("a"));
    /// assert_eq!(m.remove(&1), None);
    /// ```
    #[inline]
    pub fn remove<Q>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (k, v) = self.remove_entry(k)?;
        Some(drop_then(k, v))
    }

    /// Removes `k`, returning the stored key and value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(String::from("a"), 1);
    /// assert_eq!(m.remove_entry("a"), Some((String::from("a"), 1)));
    /// ```
    #[inline]
    pub fn remove_entry<Q>(&mut self, k: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // As in `find`: Go's `mapdelete` hashes the key of an empty map
        // when the hash may panic.
        let hash = self.hash(k);
        if self.raw.len() == 0 {
            return None;
        }
        let hb = &self.hash_builder;
        let s = self
            .raw
            .find_for_remove(hash, |x| rehash(hb, x), |x| x.borrow() == k)?;
        // SAFETY: live slot found after the last mutation.
        Some(unsafe { self.raw.remove_at(s) })
    }

    /// The entry for `k`, for in-place manipulation. Counts as a write:
    /// while growing it runs `growWork`. For an absent key it also starts
    /// the grow that inserting it would start (Go's `mapassign` does both
    /// before it writes; std's `entry` likewise reserves room for one more),
    /// so that the [`VacantEntry`] needs no hasher: a vacant entry dropped
    /// without inserting may leave the map with a grow started.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut counts = gomap::GoMap::new();
    /// for w in ["a", "b", "a"] {
    ///     *counts.entry(w).or_insert(0) += 1;
    /// }
    /// assert_eq!(counts["a"], 2);
    /// ```
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let hash = self.hash(&key);
        let hb = &self.hash_builder;
        match self
            .raw
            .find_for_insert(hash, |x| *x == key, |x| rehash(hb, x))
        {
            Found::Occupied(slot) => Entry::Occupied(OccupiedEntry {
                raw: &mut self.raw,
                slot,
                key: Some(key),
            }),
            Found::Vacant(pos) => {
                // Any grow the insert would start starts now, so the
                // entry needs no hasher (see `RawMap::prepare_insert`).
                let pos = self.raw.prepare_insert(hash, pos, |x| rehash(hb, x));
                Entry::Vacant(VacantEntry {
                    raw: &mut self.raw,
                    hash,
                    pos,
                    key,
                })
            }
        }
    }

    /// Makes room for `additional` more entries without further growth.
    ///
    /// # Panics
    ///
    /// Panics if the size overflows; aborts if allocation fails (see
    /// [`try_reserve`](Self::try_reserve)).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u64, u64> = gomap::GoMap::new();
    /// m.reserve(1000);
    /// assert!(m.capacity() >= 1000);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        match self.try_reserve(additional) {
            Ok(()) => {}
            Err(TryReserveError::CapacityOverflow) => panic!("gomap: capacity overflow"),
            Err(TryReserveError::AllocError { layout }) => alloc::alloc::handle_alloc_error(layout),
        }
    }

    /// Makes room for `additional` more entries, or reports why it cannot.
    ///
    /// The map gets the B that Go's `makemap` picks for `len + additional`
    /// entries. An empty map just gets that array. A non-empty map that
    /// needs more buckets (or whose removals left so many overflow buckets
    /// that its next insert would start a same-size grow) finishes any grow
    /// in progress and moves every entry into the new array at once — the
    /// one operation that does, because the caller asked for it; inserts
    /// never do. On error the map is unchanged.
    ///
    /// # Errors
    ///
    /// - [`TryReserveError::CapacityOverflow`] if `len + additional`
    ///   overflows `usize`, or the bucket array for it would be larger than
    ///   `isize::MAX` bytes (no allocator could supply it);
    /// - [`TryReserveError::AllocError`] if the array fits in `isize::MAX`
    ///   bytes but the allocator cannot supply it (as std's `HashMap`).
    ///
    /// Go's `make(map[K]V, hint)` instead gives up on a hint whose `hint ×
    /// bucket size` passes the allocation limit, a check stricter than the
    /// array it guards (an array has one bucket per 6.5 entries);
    /// [`with_capacity`](Self::with_capacity) keeps Go's rule, `try_reserve`
    /// checks the array itself.
    ///
    /// Where the line falls depends on Go's layout, not hashbrown's: a
    /// `GoMap<u8, u8>` bucket is 32 bytes for 8 entries (on 64-bit targets),
    /// so `try_reserve(usize::MAX / 16)` needs 2^58 buckets plus the
    /// overflow pool, 2^63 + 2^59 bytes: `CapacityOverflow`, where std's
    /// `HashMap<u8, u8>` (3 bytes a slot) asks the allocator and gets
    /// `AllocError`; `try_reserve(usize::MAX / 32)` needs half that and is
    /// an `AllocError` here too.
    ///
    /// # Examples
    ///
    /// ```
    /// use gomap::{GoMap, TryReserveError};
    ///
    /// let mut m: GoMap<u64, u64> = GoMap::new();
    /// assert!(m.try_reserve(100).is_ok());
    /// assert!(m.capacity() >= 100);
    /// assert_eq!(m.try_reserve(usize::MAX), Err(TryReserveError::CapacityOverflow));
    /// // 2^56 buckets of 144 bytes would pass isize::MAX bytes:
    /// # #[cfg(target_pointer_width = "64")]
    /// assert_eq!(m.try_reserve(1 << 58), Err(TryReserveError::CapacityOverflow));
    /// // 2^50 buckets (2^50 × 144 bytes, plus the overflow pool) fit in isize::MAX
    /// // bytes, but not in any machine's memory:
    /// # #[cfg(target_pointer_width = "64")]
    /// assert!(matches!(m.try_reserve(1 << 52), Err(TryReserveError::AllocError { .. })));
    /// # Ok::<(), TryReserveError>(())
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        let want = self
            .raw
            .len()
            .checked_add(additional)
            .ok_or(TryReserveError::CapacityOverflow)?;
        if want <= self.raw.capacity() {
            return Ok(());
        }
        let new_b = b_for_hint(want);
        if self.raw.len() == 0 {
            let mut fresh = RawMap::with_b(new_b).map_err(TryReserveError::from)?;
            fresh.continue_moves(self.raw.moves());
            self.raw = fresh;
            return Ok(());
        }
        let hb = &self.hash_builder;
        self.raw.finish_growth(&|x: &K| rehash(hb, x));
        self.raw
            .rebuild(new_b, |x| rehash(hb, x))
            .map_err(TryReserveError::from)
    }

    /// Shrinks the map as far as Go's load factor allows: into the array
    /// that `make(map[K]V, len)` would pick, or to no array at all when the
    /// map is empty.
    ///
    /// Go's maps never shrink: removing entries keeps every bucket. This is
    /// the explicit, Rust-side way back: a **rebuild** that moves every entry
    /// into a new, smaller array at once (finishing any grow in progress on
    /// the way) and frees the old one, its overflow buckets included. It
    /// does nothing when the map already has the B it would get. Afterwards
    /// [`capacity`](Self::capacity) is at least [`len`](Self::len).
    ///
    /// Every key is hashed before anything moves, so a panicking `Hash`
    /// leaves the map as it was. If the smaller array cannot be allocated,
    /// the map is left as it was too (shrinking is a request, not a need).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..1000).map(|i| (i, i)).collect();
    /// m.retain(|&k, _| k < 10);
    /// assert_eq!(m.stats().b, 8); // removing never shrinks (Go's rule)
    /// m.shrink_to_fit();
    /// assert_eq!(m.stats().b, 1); // what make(map[K]V, 10) picks
    /// assert!(m.capacity() >= 10);
    /// assert_eq!(m[&7], 7);
    /// m.clear();
    /// m.shrink_to_fit();
    /// assert_eq!(m.capacity(), 0); // nothing allocated
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.shrink_to(0);
    }

    /// Shrinks the map, keeping room for at least `min_capacity` entries:
    /// the rebuild of [`shrink_to_fit`](Self::shrink_to_fit) into the
    /// array `make(map[K]V, max(len, min_capacity))` would pick.
    ///
    /// Does nothing if that array is not smaller than the current one
    /// (in particular when [`capacity`](Self::capacity) is already below
    /// `min_capacity`, as std's `shrink_to`). `shrink_to(0)` on an empty
    /// map frees every allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = gomap::GoMap::with_capacity(1000);
    /// m.insert(1, 1);
    /// m.shrink_to(100);
    /// assert!(m.capacity() >= 100);
    /// assert_eq!(m.stats().b, 4); // 16 buckets hold 104 entries
    /// m.shrink_to(200); // capacity is already below 200: no-op
    /// assert_eq!(m.stats().b, 4);
    /// ```
    pub fn shrink_to(&mut self, min_capacity: usize) {
        let target = self.raw.len().max(min_capacity);
        if target == 0 {
            if self.raw.capacity() != 0 || self.raw.growing() {
                // Nothing to keep: drop every array (the map holds no entry).
                let mut fresh = RawMap::new();
                fresh.continue_moves(self.raw.moves());
                self.raw = fresh;
            }
            return;
        }
        let new_b = b_for_hint(target);
        if new_b >= self.raw.b() {
            return;
        }
        let hb = &self.hash_builder;
        // On an allocation failure the map is unchanged (see the docs).
        let _ = self.raw.rebuild(new_b, |x| rehash(hb, x));
    }

    /// Mutable references to the values of `N` keys at once, each `None`
    /// if its key is absent.
    ///
    /// # Panics
    ///
    /// Panics if two of the keys are present and equal (both would borrow
    /// the same value), as std's `HashMap::get_disjoint_mut` does. The same
    /// absent key twice is fine.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([("a", 1), ("b", 2)]);
    /// let [a, b, c] = m.get_disjoint_mut(["a", "b", "c"]);
    /// core::mem::swap(a.unwrap(), b.unwrap());
    /// assert!(c.is_none());
    /// assert_eq!((m["a"], m["b"]), (2, 1));
    /// ```
    ///
    /// ```should_panic
    /// let mut m = gomap::GoMap::from([("a", 1)]);
    /// let _ = m.get_disjoint_mut(["a", "a"]); // panics: overlapping keys
    /// ```
    pub fn get_disjoint_mut<Q, const N: usize>(&mut self, ks: [&Q; N]) -> [Option<&mut V>; N]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slots = ks.map(|k| self.find(k));
        for (i, a) in slots.iter().enumerate() {
            let Some(a) = a else { continue };
            if slots[..i]
                .iter()
                .flatten()
                .any(|b| b.b == a.b && b.i == a.i)
            {
                panic!("gomap: get_disjoint_mut: duplicate keys found");
            }
        }
        // SAFETY: every slot is live (found since the last mutation) and
        // distinct (checked above), so the `&mut V`s are disjoint; they
        // borrow `self` exclusively for their lifetime.
        slots.map(|s| s.map(|s| unsafe { &mut *RawMap::<K, V>::value_ptr(s) }))
    }

    /// [`get_disjoint_mut`](Self::get_disjoint_mut) without the check that
    /// the keys are distinct.
    ///
    /// # Safety
    ///
    /// 1. No two of the keys are equal while present in the map. Calling
    ///    this with overlapping keys is undefined behaviour even if the
    ///    resulting references are not used (two `&mut` to one value).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 10), (2, 20)]);
    /// // SAFETY: 1 and 2 are distinct keys.
    /// let [a, b] = unsafe { m.get_disjoint_unchecked_mut([&1, &2]) };
    /// *a.unwrap() += 1;
    /// *b.unwrap() += 1;
    /// assert_eq!((m[&1], m[&2]), (11, 21));
    /// ```
    pub unsafe fn get_disjoint_unchecked_mut<Q, const N: usize>(
        &mut self,
        ks: [&Q; N],
    ) -> [Option<&mut V>; N]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slots = ks.map(|k| self.find(k));
        // SAFETY: every slot is live; the caller promises (1.) that no two
        // present keys are equal, so the slots and the `&mut V`s are
        // disjoint; they borrow `self` exclusively for their lifetime.
        slots.map(|s| s.map(|s| unsafe { &mut *RawMap::<K, V>::value_ptr(s) }))
    }
}

impl From<AllocFailure> for TryReserveError {
    fn from(e: AllocFailure) -> Self {
        match e {
            AllocFailure::CapacityOverflow => TryReserveError::CapacityOverflow,
            AllocFailure::Alloc(layout) => TryReserveError::AllocError { layout },
        }
    }
}

// ---- std traits ----------------------------------------------------------------

impl<K, V, S: Default> Default for GoMap<K, V, S> {
    /// An empty map with a default hasher.
    fn default() -> Self {
        Self::with_hasher_and_id(S::default())
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for GoMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Clone, V: Clone, S: Clone> Clone for GoMap<K, V, S> {
    /// A deep copy with the same buckets, growth state and seed; a new
    /// identity (cursors of the original do not work on the copy).
    fn clone(&self) -> Self {
        GoMap {
            raw: self.raw.clone_with(|k, v| (k.clone(), v.clone())),
            hash_builder: self.hash_builder.clone(),
            id: new_id(),
        }
    }
}

impl<K, V, S> PartialEq for GoMap<K, V, S>
where
    K: Eq + Hash,
    V: PartialEq,
    S: BuildHasher,
{
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Eq + Hash, V: Eq, S: BuildHasher> Eq for GoMap<K, V, S> {}

impl<K, Q, V, S> Index<&Q> for GoMap<K, V, S>
where
    K: Eq + Hash + Borrow<Q>,
    Q: Eq + Hash + ?Sized,
    S: BuildHasher,
{
    type Output = V;
    /// # Panics
    ///
    /// Panics if the key is absent (Go would yield the zero value).
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("gomap: key not found")
    }
}

impl<K: Eq + Hash, V, S: BuildHasher + Default> FromIterator<(K, V)> for GoMap<K, V, S> {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut m = Self::with_hasher_and_id(S::default());
        m.extend(iter);
        m
    }
}

impl<K: Eq + Hash, V, S: BuildHasher> GoMap<K, V, S> {
    /// Sizes an empty map for the `lower` entries an `extend` is about to
    /// insert, as Go sizes a map literal of that many entries (the compiler
    /// turns `map[K]V{...}` into `make(map[K]V, n)` and then inserts) and
    /// as std's `extend` reserves. A map that has entries is left alone:
    /// reserving would rebuild it at once, which inserts never do (std
    /// reserves half the hint there). A hint the allocator cannot meet is
    /// ignored; the inserts then grow the map as usual.
    fn reserve_for_extend(&mut self, lower: usize) {
        if self.raw.len() == 0 && lower > 0 {
            let _ = self.try_reserve(lower);
        }
    }
}

/// An empty map is first sized for the iterator's lower size bound, as Go
/// sizes a map literal (`make(map[K]V, n)`); a non-empty one grows insert
/// by insert, incrementally, with no rebuild.
impl<K: Eq + Hash, V, S: BuildHasher> Extend<(K, V)> for GoMap<K, V, S> {
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, iter: T) {
        let iter = iter.into_iter();
        self.reserve_for_extend(iter.size_hint().0);
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a, K, V, S> Extend<(&'a K, &'a V)> for GoMap<K, V, S>
where
    K: Eq + Hash + Copy + 'a,
    V: Copy + 'a,
    S: BuildHasher,
{
    fn extend<T: IntoIterator<Item = (&'a K, &'a V)>>(&mut self, iter: T) {
        let iter = iter.into_iter();
        self.reserve_for_extend(iter.size_hint().0);
        for (k, v) in iter {
            self.insert(*k, *v);
        }
    }
}

/// Copies pairs given by reference (`vec.iter()`, `&vec`), as hashbrown's
/// `HashMap` does; sized like the other `extend`s.
///
/// # Examples
///
/// ```
/// let pairs = vec![(1, 10), (2, 20)];
/// let mut m = gomap::GoMap::new();
/// m.extend(&pairs);
/// assert_eq!(m[&2], 20);
/// ```
impl<'a, K, V, S> Extend<&'a (K, V)> for GoMap<K, V, S>
where
    K: Eq + Hash + Copy + 'a,
    V: Copy + 'a,
    S: BuildHasher,
{
    fn extend<T: IntoIterator<Item = &'a (K, V)>>(&mut self, iter: T) {
        self.extend(iter.into_iter().map(|&(k, v)| (k, v)));
    }
}

impl<K: Eq + Hash, V, const N: usize> From<[(K, V); N]> for GoMap<K, V, DefaultHashBuilder> {
    /// # Examples
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 2), (3, 4)]);
    /// assert_eq!(m[&3], 4);
    /// ```
    fn from(arr: [(K, V); N]) -> Self {
        arr.into_iter().collect()
    }
}
