//! [`SyncMap`]: Go's `sync.Map`, a concurrent map tuned for read-mostly keys.
//!
//! # What
//!
//! Two maps. The **read** map is immutable once published and reached
//! through an atomic pointer, so loads, and stores to keys already in it,
//! take no lock. The **dirty** map, behind a [`Mutex`], holds everything in
//! read (minus deleted-and-expunged keys) plus new keys. `amended` in the
//! read map says "dirty has keys read lacks". A lookup that misses read while
//! `amended` locks, looks in dirty and counts a **miss**; when misses reach
//! dirty's length, dirty is **promoted**: it becomes the new read map
//! (`amended = false`), dirty becomes `None`, misses 0. The next new key
//! rebuilds dirty by copying read.
//!
//! Both maps share their **entries**: an entry's atomic pointer `p` is the
//! value, so a store through the read map is seen through dirty too.
//!
//! Beyond Go, an amended read map carries a Bloom filter of the keys that
//! are only in dirty ([`dirty_keys`]), so a lookup of a key in neither map
//! is answered without the lock.
//!
//! # Layout
//!
//! ```text
//!  SyncMap
//!  +------------------------------+      +---------------------------+
//!  | read: AtomicPtr<ReadOnly> ---+----> | m: Arc<Table>             |
//!  |                              |      | dirty_keys: Option<filter>|
//!  | hasher, domain (epoch)       |      |   (Some = Go's amended)   |
//!  |..............................|      +---------------------------+
//!  | mu: Mutex<Locked>            |
//!  |   dirty: Option<Table>       |      Table: hashbrown HashTable of
//!  |   misses: usize              |        Slot { hash: u64, key: K,
//!  +------------------------------+               entry: Arc<Entry<V>> }
//!
//!  Entry { p }: p = value pointer (Box)
//!             | null (nil: deleted, still in dirty)
//!             | EXPUNGED sentinel (deleted and absent from dirty)
//! ```
//!
//! # Invariants
//!
//! - I1. A published `ReadOnly` is never mutated; changes publish a new one
//!   (under `mu`).
//! - I2. If `dirty` is `Some`, it contains every key of read whose entry is
//!   not expunged, plus the keys of new entries; an expunged entry is never
//!   in dirty; `amended` is true iff dirty has a key read lacks.
//! - I3. An entry goes expunged → nil only under `mu`, and the key is then put
//!   into dirty in the same critical section (Go's `unexpungeLocked`).
//! - I4. Memory: replaced `ReadOnly`s and values are retired into the map's
//!   `reclaim` domain, so a reader registered when it loaded a
//!   pointer can use it until its guard drops; an entry's last value is
//!   freed when its last `Arc` goes, which is when no map (and hence no
//!   registered reader) can reach it.
//! - I5. Every key in dirty but not in read is in the filter of the current
//!   (amended) read map, set before `mu` is released; so a key that is
//!   neither in read nor in that filter is in no map, for any reader that
//!   loaded the read map after the key's store returned.
//! - I6. User code (`Hash`, `Eq`, `Clone`, `Drop` of keys and values, the
//!   hasher) never runs while a table, an entry or `mu`'s state is half
//!   updated. Each operation hashes its key once, first, and the tables keep
//!   that hash beside the key, so rehashing and growing run no user code;
//!   `Eq` runs only in lookups; keys are cloned into a table that is not yet
//!   reachable (hashbrown's clone cleans up after a panicking `Clone`); a key
//!   or value is dropped only after the operation has taken full effect and
//!   retired what it unlinked; an unlinked value whose `Clone` panics is
//!   retired while unwinding; retiring, which may drop older garbage, comes
//!   last in every multi-step update (`publish`, a miss that promotes comes
//!   before an entry swap). A panic in user code therefore leaves the
//!   operation either done or not started, never lost keys, leaks or double
//!   drops.
//! - I7. No garbage (retired maps, with the keys and values only they still
//!   hold, and retired values) is freed while `mu` is held: a value's `Drop`
//!   may use the map (a value that unregisters itself, say), and `mu` is not
//!   re-entrant. A retirement under `mu` (`publish`) only pushes and notes
//!   in `Locked` an advance that is due; `unlock` makes it after releasing
//!   `mu`, before the operation's last step that user code may not unwind
//!   through (I6). Likewise a `load_or_store` that finds a value drops the
//!   one it was given after unlocking. No user `Drop` runs under `mu`
//!   either, of keys or values, also while unwinding: rebuilding dirty
//!   clones read's slots into a table the operation made before locking
//!   (`spare`) and moves the expunged ones out of dirty into it, so their
//!   keys (dirty's copies; and, if a `Clone` panics, the copies made so far)
//!   drop after `mu` is released, as the caller's key and value do, which
//!   no function that may unwind under `mu` owns. User code that still runs
//!   under `mu` is `K::eq` in dirty lookups and `K::clone` when dirty is
//!   rebuilt; it must not use the map.
//!
//! # Tuning
//!
//! Promotion when `misses >= len(dirty)` (Go's rule): the cost of copying
//! dirty is amortised over as many locked lookups as it has keys.
//!
//! What every load reads (`read`, `hasher`, the domain's `epoch`) shares no
//! cache line with what writers write (`mu`, the domain's retirement
//! lists): the dotted line above is a cache-line boundary. Without it,
//! each locked operation and each retired value would cost every reading
//! core a cache miss.
//!
//! # Go correspondence (Go 1.19 `src/sync/map.go`; Go 1.20 for Swap/CAS)
//!
//! `readOnly` → `ReadOnly`, `entry` → `Entry`, `expunged` → tag 1,
//! `Map.mu/dirty/misses` → `mu`/`Locked`, `missLocked` → `miss_locked`,
//! `dirtyLocked` → `dirty_locked`, `tryStore`, `unexpungeLocked`,
//! `tryLoadOrStore`, `tryExpungeLocked`, `delete` → same names in snake case.
//!
//! # Divergences
//!
//! - Go's garbage collector frees replaced values and old read maps; we use
//!   a per-map two-epoch reclamation domain (I4, `reclaim`). Values
//!   are therefore *cloned* out (`load` returns `Option<V>` for `V: Clone`);
//!   `range` lends `&K, &V`.
//! - Keys are stored inline in both maps (Go shares one interface value),
//!   so `K: Clone`: building dirty clones read's table (an un-expunged key
//!   goes into dirty as the caller's own key, no clone). Inline keys save a
//!   pointer chase per lookup; each key keeps its hash (8 bytes, I6).
//! - Under `mu`, operations on a dirty-only entry are done before unlocking
//!   (Go unlocks first); entry operations are atomic either way.
//! - Go builds dirty by iterating read and inserting; we clone read's slots
//!   with their hashes (no user `Hash` runs), install the copy, and then
//!   move the expunged entries' slots out, to be dropped after unlocking,
//!   so a panicking `Clone` or `Drop` cannot leave expunged keys without a
//!   dirty map (I2, I6) and no key drops under `mu` (I7).
//! - CompareAndSwap on a dirty-only key counts its miss before the swap (Go:
//!   after), so a promotion's garbage drop cannot unwind past a value the
//!   entry already holds (I6).
//! - Go's Load, LoadAndDelete, Delete, CompareAndSwap and CompareAndDelete
//!   lock `mu` for every key missing from an amended read map, and count a
//!   miss. Here a key the filter rules out (I5) is answered without the lock
//!   and counts no miss: Go counts those misses so that promotion ends the
//!   locking, and for such keys there is none to end. Keys the filter lets
//!   through (dirty-only keys and false positives) lock and count as in Go.

mod dirty_keys;

use crate::reclaim::{Domain, Guard};
use crate::Mutex;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ptr;
use dirty_keys::DirtyKeys;
use gocore::hash::DefaultHashBuilder;
use gocore::scopeguard::{guard, ScopeGuard};
use gocore::CachePadded;
use hashbrown::HashTable;

use crate::atomic::{AtomicPtr, Ordering};

/// One key of a table, with its hash. The hash is computed once, by the
/// operation that brought the key in, before it touched any table (I6), and
/// the tables rehash and grow from the stored hashes: no user `Hash` runs
/// while a table is being rearranged.
struct Slot<K, V> {
    hash: u64,
    key: K,
    entry: Arc<Entry<V>>,
}

impl<K: Clone, V> Clone for Slot<K, V> {
    fn clone(&self) -> Self {
        Slot {
            hash: self.hash,
            key: self.key.clone(),
            entry: Arc::clone(&self.entry),
        }
    }
}

/// The read map's and the dirty map's table (I6).
struct Table<K, V> {
    t: HashTable<Slot<K, V>>,
}

impl<K, V> Table<K, V> {
    fn new() -> Self {
        Table {
            t: HashTable::new(),
        }
    }

    fn len(&self) -> usize {
        self.t.len()
    }

    /// The slot of `key`, whose hash is `hash`. Runs user `Eq` only, and
    /// changes nothing.
    fn find(&self, hash: u64, key: &K) -> Option<&Slot<K, V>>
    where
        K: Eq,
    {
        self.t.find(hash, |s| s.hash == hash && s.key == *key)
    }

    /// Removes the slot of `key`. User `Eq` runs before anything changes;
    /// the slot is handed back, so the caller decides when its key drops.
    fn remove(&mut self, hash: u64, key: &K) -> Option<Slot<K, V>>
    where
        K: Eq,
    {
        match self.t.find_entry(hash, |s| s.hash == hash && s.key == *key) {
            Ok(e) => Some(e.remove().0),
            Err(_) => None,
        }
    }

    /// Adds a slot whose key is in no slot yet. Runs no user code: a
    /// rehash or a grow rereads the stored hashes.
    fn insert_unique(&mut self, slot: Slot<K, V>) {
        self.t.insert_unique(slot.hash, slot, |s| s.hash);
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        // One slot at a time: if a key's or value's `Drop` panics, the
        // iterator, dropped while unwinding, drops the remaining slots and
        // frees the table (hashbrown's own drop would leak them).
        for slot in core::mem::take(&mut self.t) {
            drop(slot);
        }
    }
}

/// The address of this byte is the expunged sentinel. Go: `expunged`.
static EXPUNGED_ANCHOR: u8 = 0;

/// The expunged sentinel as a `*mut V`: compared, never dereferenced.
fn expunged<V>() -> *mut V {
    ptr::addr_of!(EXPUNGED_ANCHOR).cast::<V>().cast_mut()
}

/// A value pointer: not nil and not expunged.
fn is_value<V>(p: *mut V) -> bool {
    !p.is_null() && p != expunged()
}

/// Go: `entry`. `p` is null (nil), the expunged sentinel, or a `Box<V>`
/// turned into a raw pointer.
struct Entry<V> {
    p: AtomicPtr<V>,
}

impl<V> Entry<V> {
    fn new(v: *mut V) -> Self {
        Entry {
            p: AtomicPtr::new(v),
        }
    }

    /// Go: `entry.load`: the value pointer, or null (nil or expunged).
    fn load(&self) -> *mut V {
        let p = self.p.load(Ordering::Acquire);
        if is_value(p) {
            p
        } else {
            ptr::null_mut()
        }
    }

    /// Go: `trySwap`: swaps unless expunged; `Err` gives `new` back.
    fn try_swap(&self, new: *mut V) -> Result<*mut V, *mut V> {
        let mut p = self.p.load(Ordering::Acquire);
        loop {
            if p == expunged() {
                return Err(new);
            }
            match self
                .p
                .compare_exchange_weak(p, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(old) => return Ok(old),
                Err(cur) => p = cur,
            }
        }
    }

    /// Go: `unexpungeLocked`. Must be called with `mu` held (I3).
    fn unexpunge_locked(&self) -> bool {
        self.p
            .compare_exchange(
                expunged(),
                ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Go: `swapLocked`: the entry must not be expunged.
    fn swap_locked(&self, new: *mut V) -> *mut V {
        let old = self.p.swap(new, Ordering::AcqRel);
        debug_assert!(old != expunged());
        old
    }

    /// Go: `tryLoadOrStore`: `Err(new)` if expunged; else `(actual, loaded)`
    /// (`new` consumed iff `!loaded`).
    fn try_load_or_store(&self, new: *mut V) -> Result<(*mut V, bool), *mut V> {
        let mut p = self.p.load(Ordering::Acquire);
        loop {
            if p == expunged() {
                return Err(new);
            }
            if !p.is_null() {
                return Ok((p, true));
            }
            match self.p.compare_exchange_weak(
                ptr::null_mut(),
                new,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok((new, false)),
                Err(cur) => p = cur,
            }
        }
    }

    /// Go: `entry.delete`: returns the deleted value pointer or null.
    fn delete(&self) -> *mut V {
        let mut p = self.p.load(Ordering::Acquire);
        loop {
            if !is_value(p) {
                return ptr::null_mut();
            }
            match self.p.compare_exchange_weak(
                p,
                ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return p,
                Err(cur) => p = cur,
            }
        }
    }

    /// Go: `tryCompareAndSwap`: `Ok(old pointer)` when swapped, `Err(new)`
    /// otherwise. The caller holds a guard (values compared are live, I4).
    fn try_compare_and_swap(&self, old: &V, new: *mut V) -> Result<*mut V, *mut V>
    where
        V: PartialEq,
    {
        let mut p = self.p.load(Ordering::Acquire);
        loop {
            // SAFETY: a value pointer read under the caller's guard (I4).
            if !is_value(p) || unsafe { &*p } != old {
                return Err(new);
            }
            match self
                .p
                .compare_exchange(p, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(p),
                Err(cur) => p = cur,
            }
        }
    }

    /// Go: `CompareAndDelete`'s loop: the deleted pointer, or null.
    fn compare_and_delete(&self, old: &V) -> *mut V
    where
        V: PartialEq,
    {
        let mut p = self.p.load(Ordering::Acquire);
        loop {
            // SAFETY: a value pointer read under the caller's guard (I4).
            if !is_value(p) || unsafe { &*p } != old {
                return ptr::null_mut();
            }
            match self
                .p
                .compare_exchange(p, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return p,
                Err(cur) => p = cur,
            }
        }
    }

    /// Go: `tryExpungeLocked`: nil → expunged; reports whether expunged.
    fn try_expunge_locked(&self) -> bool {
        let mut p = self.p.load(Ordering::Acquire);
        while p.is_null() {
            match self.p.compare_exchange(
                ptr::null_mut(),
                expunged(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(cur) => p = cur,
            }
        }
        p == expunged()
    }
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        let p = *self.p.get_mut();
        #[cfg(loom)]
        let p = self.p.load(Ordering::Relaxed);
        if is_value(p) {
            // SAFETY: the last Arc of the entry is gone, so no map and no
            // registered reader can reach it (I4); the value is ours.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

/// Go: `readOnly`.
struct ReadOnly<K, V> {
    m: Arc<Table<K, V>>,
    /// Go's `amended` (dirty has keys read lacks) is `is_some()`; the filter
    /// holds those keys (I5).
    dirty_keys: Option<DirtyKeys>,
}

impl<K, V> ReadOnly<K, V> {
    /// Go: `read.amended`.
    fn amended(&self) -> bool {
        self.dirty_keys.is_some()
    }

    /// Whether a key with `hash`, absent from `m`, may be in dirty: false
    /// when read is not amended or the key is not in the filter (I5).
    fn may_be_in_dirty(&self, hash: u64) -> bool {
        self.dirty_keys
            .as_ref()
            .is_some_and(|f| f.may_contain(hash))
    }
}

/// The part of the map behind `mu`.
struct Locked<K, V> {
    dirty: Option<Table<K, V>>,
    misses: usize,
    /// A retirement under `mu` made an advance of the domain due: made by
    /// [`SyncMap::unlock`], once `mu` is released (I7).
    advance_due: bool,
}

/// Something unlinked, waiting until no reader can hold it (I4). Raw
/// pointers, not boxes: readers may still hold `&` into them until then.
enum Garbage<K, V> {
    Read(*mut ReadOnly<K, V>),
    Value(*mut V),
}

// SAFETY: garbage is dropped by whichever thread advances the domain; what
// it owns (keys, values) must be Send.
unsafe impl<K: Send + Sync, V: Send> Send for Garbage<K, V> {}

impl<K, V> Drop for Garbage<K, V> {
    fn drop(&mut self) {
        match *self {
            // SAFETY: retired after unlinking (I4); the domain drops garbage
            // only once no reader can hold it, and exactly once.
            Garbage::Read(p) => drop(unsafe { Box::from_raw(p) }),
            // SAFETY: as above.
            Garbage::Value(p) => drop(unsafe { Box::from_raw(p) }),
        }
    }
}

type MapGuard<'a, K, V> = Guard<'a, Garbage<K, V>>;

/// A concurrent map for keys that are written once and read many times, or
/// written by disjoint threads: Go's `sync.Map`.
///
/// Replaced and deleted values are dropped later, by whichever operation
/// frees them, but never under the map's lock, and neither are keys: a
/// key's or value's `Drop` may use the map (a key's `Hash`, `Eq` and
/// `Clone` must not).
///
/// Go: `var m sync.Map`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::SyncMap;
///
/// let m = Arc::new(SyncMap::new());
/// let hs: Vec<_> = (0..4)
///     .map(|t| {
///         let m = Arc::clone(&m);
///         std::thread::spawn(move || {
///             for i in 0..10 {
///                 m.store(t * 10 + i, i); // disjoint keys per thread
///             }
///         })
///     })
///     .collect();
/// for h in hs {
///     h.join().unwrap();
/// }
/// assert_eq!(m.load(&23), Some(3));
/// ```
#[doc(alias = "sync.Map")]
pub struct SyncMap<K, V, S = DefaultHashBuilder> {
    read: AtomicPtr<ReadOnly<K, V>>,
    hasher: S,
    domain: Domain<Garbage<K, V>>,
    /// On its own cache line: every lock and miss writes it, and loads must
    /// not lose `read` and `hasher` from their caches for that.
    mu: CachePadded<Mutex<Locked<K, V>>>,
}

// SAFETY: keys and values are shared between threads (`&K`, `&V` handed out
// concurrently: Sync) and dropped by whichever thread frees garbage or drops
// the map (Send); the hasher is used from every thread.
unsafe impl<K: Send + Sync, V: Send + Sync, S: Send + Sync> Sync for SyncMap<K, V, S> {}
// SAFETY: sending the map sends its keys, values and hasher.
unsafe impl<K: Send + Sync, V: Send + Sync, S: Send> Send for SyncMap<K, V, S> {}

impl<K, V> SyncMap<K, V, DefaultHashBuilder> {
    /// Creates an empty map (Go's zero `sync.Map`), with a random hash seed.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gosync::SyncMap<u32, u32> = gosync::SyncMap::new();
    /// assert_eq!(m.load(&1), None);
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::new())
    }
}

impl<K, V, S> SyncMap<K, V, S> {
    /// Creates an empty map that hashes keys with `hasher`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocore::hash::DefaultHashBuilder;
    /// let m = gosync::SyncMap::with_hasher(DefaultHashBuilder::with_seed(7));
    /// m.store(1, "one");
    /// assert_eq!(m.load(&1), Some("one"));
    /// ```
    pub fn with_hasher(hasher: S) -> Self {
        let read = Box::new(ReadOnly {
            m: Arc::new(Table::new()),
            dirty_keys: None,
        });
        SyncMap {
            read: AtomicPtr::new(Box::into_raw(read)),
            mu: CachePadded::new(Mutex::new(Locked {
                dirty: None,
                misses: 0,
                advance_due: false,
            })),
            hasher,
            domain: Domain::new(),
        }
    }
}

/// Boxes a value for an entry.
fn boxed<V>(v: V) -> *mut V {
    Box::into_raw(Box::new(v))
}

/// A boxed value not yet published: freed on drop (so a panicking user
/// `Hash`/`Eq` cannot leak it), forgotten once an entry owns it.
struct Pending<V>(*mut V);

impl<V> Pending<V> {
    fn new(v: V) -> Self {
        Pending(boxed(v))
    }
    /// Hands the pointer over (to an entry, or after a successful CAS).
    fn publish(self) -> *mut V {
        let p = self.0;
        core::mem::forget(self);
        p
    }

    /// Hands the pointer over if `published`, else frees the value now.
    /// Either way `self` is gone before the caller builds its return value:
    /// a `V::drop` that panics while a function's locals drop after its
    /// return value is built would leak that value (rust-lang/rust#47949),
    /// and ours hold keys (I6).
    fn publish_if(self, published: bool) {
        if published {
            self.publish();
        } else {
            drop(self);
        }
    }

    /// [`Pending::publish_if`] for callers holding `mu`: hands the pointer
    /// over if `published`, else gives the unused value back, for the
    /// caller to drop after unlocking (I7) and before building its return
    /// value.
    fn publish_or_keep(self, published: bool) -> Option<Self> {
        if published {
            self.publish();
            None
        } else {
            Some(self)
        }
    }
}

impl<V> Drop for Pending<V> {
    fn drop(&mut self) {
        // SAFETY: never published (publish forgets `self`).
        drop(unsafe { unbox(self.0) });
    }
}

/// Takes back a value that was never published.
///
/// # Safety
///
/// 1. `p` came from [`boxed`] and no other thread ever saw it.
unsafe fn unbox<V>(p: *mut V) -> V {
    // SAFETY: precondition 1.
    *unsafe { Box::from_raw(p) }
}

/// Borrows a value pointer for the guard's lifetime.
///
/// # Safety
///
/// 1. `p` is null or a value pointer loaded while `_g` is registered (I4).
unsafe fn value_ref<'g, V, G>(p: *mut V, _g: &'g Guard<'_, G>) -> Option<&'g V> {
    if p.is_null() {
        None
    } else {
        // SAFETY: precondition 1: retired values outlive every guard that
        // could have loaded them.
        Some(unsafe { &*p })
    }
}

impl<K, V, S> SyncMap<K, V, S>
where
    K: Hash + Eq + Clone,
    S: BuildHasher,
{
    /// The hash of `key`: the one place user `Hash` (and the hasher) runs,
    /// before an operation touches anything (I6).
    fn hash(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The published read map. Go: `m.read.Load().(readOnly)`.
    fn read<'g>(&self, _g: &'g MapGuard<'_, K, V>) -> &'g ReadOnly<K, V> {
        let p = self.read.load(Ordering::Acquire);
        // SAFETY: `read` is never null (set in the constructor, replaced only
        // by `publish`), and a replaced ReadOnly is retired into the domain,
        // which frees it only after every guard that could have loaded it,
        // such as `_g`, is gone (I4).
        unsafe { &*p }
    }

    /// Publishes a new read map and retires the old one. Under `mu` (I1):
    /// the retirement frees nothing now, it only notes in `locked` that an
    /// advance is due, for [`SyncMap::unlock`] to make (I7).
    fn publish(&self, locked: &mut Locked<K, V>, new: ReadOnly<K, V>) {
        let old = self
            .read
            .swap(Box::into_raw(Box::new(new)), Ordering::AcqRel);
        if self.domain.retire_later(Garbage::Read(old)) {
            locked.advance_due = true;
        }
    }

    /// Releases `mu`, then makes the advance a retirement under it made
    /// due (I7): freeing garbage runs user `Drop` (of keys and values),
    /// which may use this map, and so take `mu`, or panic. Called where
    /// the operation is either done or can still be abandoned (I6).
    fn unlock(&self, locked: crate::MutexGuard<'_, Locked<K, V>>) {
        self.unlock_and_drop(locked, ());
    }

    /// [`SyncMap::unlock`], dropping `later` (user values the operation
    /// did not keep) once `mu` is released (I7), before the advance.
    fn unlock_and_drop<T>(&self, mut locked: crate::MutexGuard<'_, Locked<K, V>>, later: T) {
        let due = core::mem::take(&mut locked.advance_due);
        drop(locked);
        // If this `Drop` panics the advance is skipped: a later retirement
        // makes it (nothing is leaked, I4).
        drop(later);
        if due {
            self.domain.try_advance();
        }
    }

    /// Retires a value pointer that was just unlinked from its entry. May
    /// free older garbage (user `Drop`).
    fn retire_value(&self, p: *mut V) {
        if is_value(p) {
            self.domain.retire(Garbage::Value(p));
        }
    }

    /// Holds an unlinked value pointer until [`Self::retire_value`]; if the
    /// caller unwinds first (a panicking `V::clone`), retires it without
    /// freeing anything else, so no second panic can come from a `Drop`.
    fn retire_on_unwind(&self, p: *mut V) -> ScopeGuard<*mut V, impl FnOnce(*mut V) + '_> {
        guard(p, move |p| {
            if is_value(p) {
                self.domain.retire_quietly(Garbage::Value(p));
            }
        })
    }

    /// Go: `missLocked`.
    fn miss_locked(&self, locked: &mut Locked<K, V>) {
        locked.misses += 1;
        let dirty_len = locked.dirty.as_ref().map_or(0, Table::len);
        if locked.misses < dirty_len {
            return;
        }
        self.promote_locked(locked);
    }

    /// Dirty becomes read (`amended = false`), dirty = None, misses = 0.
    /// No user code runs before the publish, which comes last (I6).
    fn promote_locked(&self, locked: &mut Locked<K, V>) {
        let d = locked.dirty.take().unwrap_or_else(Table::new);
        locked.misses = 0;
        self.publish(
            locked,
            ReadOnly {
                m: Arc::new(d),
                dirty_keys: None,
            },
        );
    }

    /// Go: `dirtyLocked`: builds dirty from read, expunging deleted entries.
    ///
    /// Drops nothing (I7): `spare`, an empty table the caller made before
    /// locking `mu` and drops after releasing it (declared before the
    /// lock's guard, so also when unwinding), receives the clones of read's
    /// slots; if a `K::clone` panics, the clones made so far are in it and
    /// read and its entries are untouched (nothing is expunged yet).
    /// Otherwise the clones become dirty, installed before expunging, and
    /// the slots of expunged entries move from dirty back to `spare`, whose
    /// keys then drop after unlocking. Expunging runs no user code, so
    /// every entry expunged is out of dirty and every other one in it (I2).
    fn dirty_locked(
        &self,
        locked: &mut Locked<K, V>,
        read: &ReadOnly<K, V>,
        spare: &mut Table<K, V>,
    ) {
        if locked.dirty.is_some() {
            return;
        }
        debug_assert_eq!(spare.len(), 0);
        // Runs `K::clone` but no `Hash`: the tables keep the hashes.
        spare.t.reserve(read.m.len(), |s| s.hash);
        for s in read.m.t.iter() {
            spare.insert_unique(s.clone());
        }
        let d = locked.dirty.insert(core::mem::replace(spare, Table::new()));
        for s in d.t.extract_if(|s| s.entry.try_expunge_locked()) {
            spare.insert_unique(s);
        }
    }

    /// Go: `if e.unexpungeLocked() { m.dirty[key] = e }`. An expunged entry
    /// implies a non-nil dirty map without this key (I2, I3). `key` is the
    /// caller's: dirty takes it and it runs no user code, so the entry cannot
    /// be left un-expunged but missing from dirty (which would lose the key
    /// at the next promotion). Gives `key` back when the entry was not
    /// expunged.
    fn unexpunge_into_dirty_locked(
        &self,
        locked: &mut Locked<K, V>,
        slot: &Slot<K, V>,
        key: K,
    ) -> Option<K> {
        // Only this path (under `mu`) moves an entry out of expunged, and the
        // lock-free paths never store into an expunged entry: stable check.
        if slot.entry.p.load(Ordering::Acquire) != expunged() {
            return Some(key);
        }
        let dirty = locked.dirty.as_mut().expect("I2: expunged implies dirty");
        debug_assert!(
            dirty
                .t
                .find(slot.hash, |s| Arc::ptr_eq(&s.entry, &slot.entry))
                .is_none(),
            "I2: an expunged entry is never in dirty"
        );
        let unexpunged = slot.entry.unexpunge_locked();
        debug_assert!(unexpunged, "I3: only mu un-expunges");
        dirty.insert_unique(Slot {
            hash: slot.hash,
            key,
            entry: Arc::clone(&slot.entry),
        });
        None
    }

    /// Go: the "new key" branch shared by Store, LoadOrStore and Swap.
    /// `read` is the current read map (loaded under `mu`); `hash` is `key`'s.
    /// The caller has made sure dirty exists (`dirty_locked`, while it
    /// still owned `key` and the value: if a `K::clone` panics there, they
    /// drop with the caller's frame, after its lock guard, I7). Runs no
    /// user code before the publish.
    fn insert_new_locked(
        &self,
        locked: &mut Locked<K, V>,
        read: &ReadOnly<K, V>,
        key: K,
        hash: u64,
        entry: Entry<V>,
    ) {
        let dirty = locked
            .dirty
            .as_mut()
            .expect("I2: dirty_locked ran, or read is amended");
        dirty.insert_unique(Slot {
            hash,
            key,
            entry: Arc::new(entry),
        });
        match &read.dirty_keys {
            Some(dirty_keys) => dirty_keys.insert(hash),
            None => {
                // Mark the read-only map as incomplete (I5): last, as publish
                // may run user `Drop` (I6).
                let dirty_keys = DirtyKeys::for_read_len(read.m.len());
                dirty_keys.insert(hash);
                self.publish(
                    locked,
                    ReadOnly {
                        m: Arc::clone(&read.m),
                        dirty_keys: Some(dirty_keys),
                    },
                );
            }
        }
    }

    /// Returns a clone of the value stored for `key`, if any.
    ///
    /// Go: `v, ok := m.Load(key)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store("k", 1);
    /// assert_eq!(m.load(&"k"), Some(1));
    /// assert_eq!(m.load(&"x"), None);
    /// ```
    pub fn load(&self, key: &K) -> Option<V>
    where
        V: Clone,
    {
        let hash = self.hash(key);
        let g = self.domain.enter();
        let (p, _) = self.with_entry(key, hash, &g, false, |e| {
            e.map_or(ptr::null_mut(), Entry::load)
        });
        // SAFETY: loaded under `g`.
        unsafe { value_ref(p, &g) }.cloned()
    }

    /// Stores `value` for `key`.
    ///
    /// Go: `m.Store(key, value)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store(1, "a");
    /// m.store(1, "b");
    /// assert_eq!(m.load(&1), Some("b"));
    /// ```
    pub fn store(&self, key: K, value: V) {
        let hash = self.hash(&key);
        let g = self.domain.enter();
        let (old, key) = self.swap_ptr(key, hash, Pending::new(value), &g);
        self.retire_value(old);
        drop(key); // after the retire: a panicking `K::drop` leaks nothing
    }

    /// Stores `value` for `key` and returns a clone of the previous value.
    ///
    /// If `V::clone` panics, the swap has taken effect and the previous
    /// value is freed as if the call had returned.
    ///
    /// Go: `previous, loaded := m.Swap(key, value)` (Go 1.20).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// assert_eq!(m.swap(1, 'a'), None);
    /// assert_eq!(m.swap(1, 'b'), Some('a'));
    /// ```
    pub fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        let hash = self.hash(&key);
        let g = self.domain.enter();
        let (old, key) = self.swap_ptr(key, hash, Pending::new(value), &g);
        let old = self.retire_on_unwind(old);
        // Retire after cloning: the clone reads it under `g` anyway.
        let p = if is_value(*old) {
            *old
        } else {
            ptr::null_mut()
        };
        // SAFETY: `old` was unlinked under `g` and is retired only below (or
        // by the guard, when the clone unwinds).
        let r = unsafe { value_ref(p, &g) }.cloned();
        self.retire_value(ScopeGuard::into_inner(old));
        drop(key);
        r
    }

    /// Go: `Swap` (and `Store`): publishes `v` (a boxed value); returns the
    /// unlinked previous pointer (null if none), which the caller retires,
    /// and `key` unless a table took it, which the caller drops after that.
    fn swap_ptr(
        &self,
        key: K,
        hash: u64,
        v: Pending<V>,
        g: &MapGuard<'_, K, V>,
    ) -> (*mut V, Option<K>) {
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, &key) {
            if let Ok(old) = s.entry.try_swap(v.0) {
                v.publish();
                return (old, Some(key));
            }
        }
        // Before the lock's guard: dropped after it (I7, `dirty_locked`).
        let mut spare = Table::new();
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, &key) {
            let key = self.unexpunge_into_dirty_locked(&mut locked, s, key);
            return (s.entry.swap_locked(v.publish()), key);
        }
        if let Some(s) = locked.dirty.as_ref().and_then(|d| d.find(hash, &key)) {
            return (s.entry.swap_locked(v.publish()), Some(key));
        }
        // If a `K::clone` panics here, `v` and `key` drop after unlocking.
        if !read.amended() {
            self.dirty_locked(&mut locked, read, &mut spare);
        }
        self.insert_new_locked(&mut locked, read, key, hash, Entry::new(v.publish()));
        // The expunged entries' keys drop after unlocking (I7).
        self.unlock_and_drop(locked, spare);
        (ptr::null_mut(), None)
    }

    /// Returns the existing value for `key` (and `true`) if present;
    /// otherwise stores `value` and returns it (and `false`).
    ///
    /// Go: `actual, loaded := m.LoadOrStore(key, value)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// assert_eq!(m.load_or_store("k", 1), (1, false));
    /// assert_eq!(m.load_or_store("k", 2), (1, true));
    /// ```
    pub fn load_or_store(&self, key: K, value: V) -> (V, bool)
    where
        V: Clone,
    {
        let hash = self.hash(&key);
        let g = self.domain.enter();
        let (actual, loaded, key) = self.load_or_store_ptr(key, hash, Pending::new(value), &g);
        // SAFETY: `actual` is a value pointer loaded (or published) under `g`.
        let a = unsafe { value_ref(actual, &g) }.expect("LoadOrStore yields a value");
        let r = (a.clone(), loaded);
        drop(key);
        r
    }

    /// Go: `LoadOrStore`; `v` is freed when an existing value is loaded.
    /// Also gives `key` back unless a table took it.
    fn load_or_store_ptr(
        &self,
        key: K,
        hash: u64,
        v: Pending<V>,
        g: &MapGuard<'_, K, V>,
    ) -> (*mut V, bool, Option<K>) {
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, &key) {
            if let Ok((p, loaded)) = s.entry.try_load_or_store(v.0) {
                v.publish_if(!loaded);
                return (p, loaded, Some(key));
            }
        }
        // Before the lock's guard: dropped after it (I7, `dirty_locked`).
        let mut spare = Table::new();
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, &key) {
            let key = self.unexpunge_into_dirty_locked(&mut locked, s, key);
            let (p, loaded) = s
                .entry
                .try_load_or_store(v.0)
                .unwrap_or_else(|_| unreachable!("I3: unexpunged under the lock"));
            // An existing value was loaded: ours is dropped after unlocking.
            let unused = v.publish_or_keep(!loaded);
            self.unlock_and_drop(locked, unused);
            return (p, loaded, key);
        }
        let e = locked
            .dirty
            .as_ref()
            .and_then(|d| d.find(hash, &key))
            .map(|s| Arc::clone(&s.entry));
        if let Some(e) = e {
            let (p, loaded) = e
                .try_load_or_store(v.0)
                .unwrap_or_else(|_| unreachable!("I2: entries in dirty are never expunged"));
            let unused = v.publish_or_keep(!loaded);
            self.miss_locked(&mut locked);
            self.unlock_and_drop(locked, unused);
            return (p, loaded, Some(key));
        }
        // If a `K::clone` panics here, `v` and `key` drop after unlocking.
        if !read.amended() {
            self.dirty_locked(&mut locked, read, &mut spare);
        }
        let p = v.publish();
        self.insert_new_locked(&mut locked, read, key, hash, Entry::new(p));
        // The expunged entries' keys drop after unlocking (I7).
        self.unlock_and_drop(locked, spare);
        (p, false, None)
    }

    /// Finds the entry of `key` as Go's Load/LoadAndDelete/CompareAndDelete
    /// do, running `f` on it (under the lock when it is only in dirty).
    /// Also returns the slot removed from dirty (`remove_from_dirty`), for
    /// the caller to drop once it has retired what `f` unlinked (I6).
    fn with_entry<R>(
        &self,
        key: &K,
        hash: u64,
        g: &MapGuard<'_, K, V>,
        remove_from_dirty: bool,
        f: impl FnOnce(Option<&Entry<V>>) -> R,
    ) -> (R, Option<Slot<K, V>>) {
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, key) {
            return (f(Some(&s.entry)), None);
        }
        // Go locks whenever read is amended; the filter answers for keys
        // that are in no map (I5).
        if !read.may_be_in_dirty(hash) {
            return (f(None), None);
        }
        let mut locked = self.mu.lock();
        // Avoid reporting a spurious miss if dirty got promoted while we
        // were blocked on the lock.
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, key) {
            drop(locked);
            return (f(Some(&s.entry)), None);
        }
        if !read.amended() {
            return (f(None), None);
        }
        let (e, removed) = if remove_from_dirty {
            let removed = locked.dirty.as_mut().and_then(|d| d.remove(hash, key));
            (removed.as_ref().map(|s| Arc::clone(&s.entry)), removed)
        } else {
            let e = locked.dirty.as_ref().and_then(|d| d.find(hash, key));
            (e.map(|s| Arc::clone(&s.entry)), None)
        };
        // Regardless of whether the entry was present, record a miss: this
        // key will take the slow path until dirty is promoted.
        self.miss_locked(&mut locked);
        self.unlock(locked);
        let r = f(e.as_deref());
        // Before the return value is built (see `Pending::publish_if`); a
        // map still holds the entry, so this drops no value anyway.
        drop(e);
        (r, removed)
    }

    /// Deletes `key` and returns a clone of its value, if it had one.
    ///
    /// If `V::clone` panics, the delete has taken effect and the value is
    /// freed as if the call had returned.
    ///
    /// Go: `value, loaded := m.LoadAndDelete(key)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store(1, 10);
    /// assert_eq!(m.load_and_delete(&1), Some(10));
    /// assert_eq!(m.load_and_delete(&1), None);
    /// ```
    pub fn load_and_delete(&self, key: &K) -> Option<V>
    where
        V: Clone,
    {
        let hash = self.hash(key);
        let g = self.domain.enter();
        let (p, removed) = self.with_entry(key, hash, &g, true, |e| {
            e.map_or(ptr::null_mut(), Entry::delete)
        });
        let p = self.retire_on_unwind(p);
        // SAFETY: unlinked under `g`, retired only below (or by the guard,
        // when the clone unwinds).
        let r = unsafe { value_ref(*p, &g) }.cloned();
        self.retire_value(ScopeGuard::into_inner(p));
        drop(removed);
        r
    }

    /// Deletes `key`; reports whether it had a value.
    ///
    /// Go: `m.Delete(key)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store(1, ());
    /// assert!(m.delete(&1));
    /// assert!(!m.delete(&1));
    /// ```
    pub fn delete(&self, key: &K) -> bool {
        let hash = self.hash(key);
        let g = self.domain.enter();
        let (p, removed) = self.with_entry(key, hash, &g, true, |e| {
            e.map_or(ptr::null_mut(), Entry::delete)
        });
        self.retire_value(p);
        drop(removed);
        !p.is_null()
    }

    /// Stores `new` for `key` if its current value equals `old`.
    ///
    /// Go: `swapped := m.CompareAndSwap(key, old, new)` (Go 1.20).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store("k", 1);
    /// assert!(!m.compare_and_swap(&"k", &2, 3));
    /// assert!(m.compare_and_swap(&"k", &1, 3));
    /// assert_eq!(m.load(&"k"), Some(3));
    /// ```
    pub fn compare_and_swap(&self, key: &K, old: &V, new: V) -> bool
    where
        V: PartialEq,
    {
        let hash = self.hash(key);
        let g = self.domain.enter();
        // Freed on drop unless published: also if user `Eq` panics.
        let n = Pending::new(new);
        match self.compare_and_swap_ptr(key, hash, old, n.0, &g) {
            Ok(prev) => {
                n.publish();
                self.retire_value(prev);
                true
            }
            Err(_) => false,
        }
    }

    fn compare_and_swap_ptr(
        &self,
        key: &K,
        hash: u64,
        old: &V,
        n: *mut V,
        g: &MapGuard<'_, K, V>,
    ) -> Result<*mut V, *mut V>
    where
        V: PartialEq,
    {
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, key) {
            return s.entry.try_compare_and_swap(old, n);
        }
        if !read.may_be_in_dirty(hash) {
            return Err(n); // no existing value for key (I5)
        }
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some(s) = read.m.find(hash, key) {
            // The swap of a read entry is lock-free: `V::eq` runs after
            // unlocking (Go swaps under the lock), so it may use the map.
            self.unlock(locked);
            return s.entry.try_compare_and_swap(old, n);
        }
        let e = locked
            .dirty
            .as_ref()
            .and_then(|d| d.find(hash, key))
            .map(|s| Arc::clone(&s.entry));
        match e {
            Some(e) => {
                // Go counts the miss after the swap, under the lock. We count
                // it first and swap after unlocking (the swap is the lock-free
                // one of read entries): the miss may promote, and the advance
                // that makes due drops old garbage, whose `Drop` may use the
                // map (I7) or panic; after the swap that would unwind through
                // the caller's `Pending`, freeing the value the entry now
                // holds (I6). `V::eq` may panic in the swap: nothing is half
                // done then either.
                self.miss_locked(&mut locked);
                self.unlock(locked);
                e.try_compare_and_swap(old, n)
            }
            None => Err(n),
        }
    }

    /// Deletes `key` if its current value equals `old`.
    ///
    /// Go: `deleted := m.CompareAndDelete(key, old)` (Go 1.20).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store(1, "a");
    /// assert!(!m.compare_and_delete(&1, &"b"));
    /// assert!(m.compare_and_delete(&1, &"a"));
    /// assert_eq!(m.load(&1), None);
    /// ```
    pub fn compare_and_delete(&self, key: &K, old: &V) -> bool
    where
        V: PartialEq,
    {
        let hash = self.hash(key);
        let g = self.domain.enter();
        let (p, _) = self.with_entry(key, hash, &g, false, |e| {
            e.map_or(ptr::null_mut(), |e| e.compare_and_delete(old))
        });
        self.retire_value(p);
        !p.is_null()
    }

    /// Calls `f` for each key and value present; stops when `f` returns
    /// `false`.
    ///
    /// No key is visited twice; a value may reflect any state during the
    /// call. `f` may call any method of the map. If keys are new since the
    /// last promotion, `range` first promotes dirty (under the lock), then
    /// iterates without it.
    ///
    /// Go: `m.Range(func(key, value any) bool { ... })`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// for i in 0..5 {
    ///     m.store(i, i * 10);
    /// }
    /// let mut sum = 0;
    /// m.range(|_, v| { sum += v; true });
    /// assert_eq!(sum, 100);
    /// let mut seen = 0;
    /// m.range(|_, _| { seen += 1; seen < 2 }); // stops early
    /// assert_eq!(seen, 2);
    /// ```
    pub fn range<F: FnMut(&K, &V) -> bool>(&self, mut f: F) {
        let g = self.domain.enter();
        let mut read = self.read(&g);
        if read.amended() {
            // m.Range is O(N) anyway: promote now so the call copies nothing.
            let mut locked = self.mu.lock();
            read = self.read(&g);
            if read.amended() {
                self.promote_locked(&mut locked);
                read = self.read(&g);
            }
            self.unlock(locked);
        }
        for s in read.m.t.iter() {
            // SAFETY: loaded under `g`.
            if let Some(v) = unsafe { value_ref(s.entry.load(), &g) } {
                if !f(&s.key, v) {
                    break;
                }
            }
        }
    }

    /// A snapshot of the two maps' sizes and the miss counter, for
    /// diagnostics, tests and the tour.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store(1, 1); // a new key: goes to dirty, read is amended
    /// let s = m.stats();
    /// assert_eq!((s.read_len, s.dirty_len, s.amended), (0, Some(1), true));
    /// m.load(&1); // one miss = len(dirty): promotion
    /// let s = m.stats();
    /// assert_eq!((s.read_len, s.dirty_len, s.amended, s.misses), (1, None, false, 0));
    /// ```
    pub fn stats(&self) -> SyncMapStats {
        let g = self.domain.enter();
        let locked = self.mu.lock();
        let read = self.read(&g);
        SyncMapStats {
            read_len: read.m.len(),
            read_live: read
                .m
                .t
                .iter()
                .filter(|s| !s.entry.load().is_null())
                .count(),
            dirty_len: locked.dirty.as_ref().map(Table::len),
            amended: read.amended(),
            misses: locked.misses,
        }
    }

    /// Frees retired maps and values that no reader can hold any more, now
    /// rather than on a later write. Memory is also reclaimed as writes go
    /// on and when the map is dropped; this is for callers (and tests) that
    /// want it back at a known point.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::SyncMap::new();
    /// m.store(1, vec![0u8; 1024]);
    /// m.store(1, vec![]); // the old vector is retired ...
    /// m.reclaim(); // ... and freed here: no reader holds it
    /// ```
    pub fn reclaim(&self) {
        self.domain.flush();
    }
}

/// What [`SyncMap::stats`] reports.
///
/// # Examples
///
/// ```
/// let m: gosync::SyncMap<u8, u8> = gosync::SyncMap::new();
/// assert_eq!(m.stats().dirty_len, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncMapStats {
    /// Keys in the read map (including deleted and expunged entries).
    pub read_len: usize,
    /// Entries of the read map that hold a value.
    pub read_live: usize,
    /// Keys in the dirty map, or `None` when there is no dirty map.
    pub dirty_len: Option<usize>,
    /// The read map's `amended` flag: dirty has keys read lacks.
    pub amended: bool,
    /// Locked lookups since the last promotion.
    pub misses: usize,
}

impl<K, V> Default for SyncMap<K, V, DefaultHashBuilder> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, S> Drop for SyncMap<K, V, S> {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        let p = *self.read.get_mut();
        #[cfg(loom)]
        let p = self.read.load(Ordering::Relaxed);
        // SAFETY: `&mut self`: no reader is using the map; the current
        // ReadOnly is owned by `read` and freed exactly once, here (retired
        // ones are owned by the domain, dropped next).
        drop(unsafe { Box::from_raw(p) });
    }
}

impl<K, V, S> fmt::Debug for SyncMap<K, V, S>
where
    K: Hash + Eq + Clone + fmt::Debug,
    V: fmt::Debug,
    S: BuildHasher,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        self.range(|k, v| {
            m.entry(k, v);
            true
        });
        m.finish()
    }
}

impl<K, V, S> FromIterator<(K, V)> for SyncMap<K, V, S>
where
    K: Hash + Eq + Clone,
    S: BuildHasher + Default,
{
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let m = SyncMap::with_hasher(S::default());
        for (k, v) in iter {
            m.store(k, v);
        }
        m
    }
}
