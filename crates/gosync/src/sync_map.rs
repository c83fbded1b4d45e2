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
//!  | read: AtomicPtr<ReadOnly> ---+----> | m: Arc<HashMap<K,          |
//!  |                              |      |         Arc<Entry<V>>>>   |
//!  | hasher, domain (epoch)       |      | dirty_keys: Option<filter>|
//!  |..............................|      |   (Some = Go's amended)   |
//!  | mu: Mutex<Locked>            |      +---------------------------+
//!  |   dirty: Option<HashMap<..>> |
//!  |   misses: usize              |      Entry { p }: p = value pointer (Box)
//!  +------------------------------+      | null (nil: deleted, still in dirty)
//!                                        | EXPUNGED sentinel (deleted and
//!                                        |   absent from dirty)
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
//!   so `K: Clone`: building dirty clones read's table, and an un-expunged
//!   key is cloned into dirty. Inline keys save a pointer chase per lookup.
//! - Under `mu`, operations on a dirty-only entry are done before unlocking
//!   (Go unlocks first); entry operations are atomic either way.
//! - Go builds dirty by iterating read and inserting; we clone read's table
//!   (no user `Hash` runs) and then drop expunged entries with `retain`, so a
//!   panicking `Hash`/`Clone` cannot leave expunged keys without a dirty map.
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
use gocore::CachePadded;
use hashbrown::HashMap;

#[cfg(loom)]
use loom::sync::atomic::{AtomicPtr, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicPtr, Ordering};

type Table<K, V, S> = HashMap<K, Arc<Entry<V>>, S>;

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
struct ReadOnly<K, V, S> {
    m: Arc<Table<K, V, S>>,
    /// Go's `amended` (dirty has keys read lacks) is `is_some()`; the filter
    /// holds those keys (I5).
    dirty_keys: Option<DirtyKeys>,
}

impl<K, V, S> ReadOnly<K, V, S> {
    /// Go: `read.amended`.
    fn amended(&self) -> bool {
        self.dirty_keys.is_some()
    }

    /// Whether a key with `hash`, absent from `m`, may be in dirty: false
    /// when read is not amended or the key is not in the filter (I5).
    fn may_be_in_dirty(&self, hash: impl FnOnce() -> u64) -> bool {
        self.dirty_keys
            .as_ref()
            .is_some_and(|f| f.may_contain(hash()))
    }
}

/// The part of the map behind `mu`.
struct Locked<K, V, S> {
    dirty: Option<Table<K, V, S>>,
    misses: usize,
}

/// Something unlinked, waiting until no reader can hold it (I4). Raw
/// pointers, not boxes: readers may still hold `&` into them until then.
enum Garbage<K, V, S> {
    Read(*mut ReadOnly<K, V, S>),
    Value(*mut V),
}

// SAFETY: garbage is dropped by whichever thread advances the domain; what
// it owns (keys, values, hasher) must be Send.
unsafe impl<K: Send + Sync, V: Send, S: Send> Send for Garbage<K, V, S> {}

impl<K, V, S> Drop for Garbage<K, V, S> {
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

type MapGuard<'a, K, V, S> = Guard<'a, Garbage<K, V, S>>;

/// A concurrent map for keys that are written once and read many times, or
/// written by disjoint threads: Go's `sync.Map`.
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
    read: AtomicPtr<ReadOnly<K, V, S>>,
    hasher: S,
    domain: Domain<Garbage<K, V, S>>,
    /// On its own cache line: every lock and miss writes it, and loads must
    /// not lose `read` and `hasher` from their caches for that.
    mu: CachePadded<Mutex<Locked<K, V, S>>>,
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

impl<K, V, S: Clone> SyncMap<K, V, S> {
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
            m: Arc::new(HashMap::with_hasher(hasher.clone())),
            dirty_keys: None,
        });
        SyncMap {
            read: AtomicPtr::new(Box::into_raw(read)),
            mu: CachePadded::new(Mutex::new(Locked {
                dirty: None,
                misses: 0,
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
    S: BuildHasher + Clone,
{
    /// The published read map. Go: `m.read.Load().(readOnly)`.
    fn read<'g>(&self, _g: &'g MapGuard<'_, K, V, S>) -> &'g ReadOnly<K, V, S> {
        let p = self.read.load(Ordering::Acquire);
        // SAFETY: `read` is never null (set in the constructor, replaced only
        // by `publish`), and a replaced ReadOnly is retired into the domain,
        // which frees it only after every guard that could have loaded it,
        // such as `_g`, is gone (I4).
        unsafe { &*p }
    }

    /// Publishes a new read map and retires the old one. Under `mu` (I1).
    fn publish(&self, new: ReadOnly<K, V, S>) {
        let old = self
            .read
            .swap(Box::into_raw(Box::new(new)), Ordering::AcqRel);
        self.domain.retire(Garbage::Read(old));
    }

    /// Retires a value pointer that was just unlinked from its entry.
    fn retire_value(&self, p: *mut V) {
        if is_value(p) {
            self.domain.retire(Garbage::Value(p));
        }
    }

    /// Go: `missLocked`.
    fn miss_locked(&self, locked: &mut Locked<K, V, S>) {
        locked.misses += 1;
        let dirty_len = locked.dirty.as_ref().map_or(0, HashMap::len);
        if locked.misses < dirty_len {
            return;
        }
        self.promote_locked(locked);
    }

    /// Dirty becomes read (`amended = false`), dirty = None, misses = 0.
    fn promote_locked(&self, locked: &mut Locked<K, V, S>) {
        let d = match locked.dirty.take() {
            Some(d) => d,
            None => HashMap::with_hasher(self.hasher.clone()),
        };
        self.publish(ReadOnly {
            m: Arc::new(d),
            dirty_keys: None,
        });
        locked.misses = 0;
    }

    /// Go: `dirtyLocked`: builds dirty from read, expunging deleted entries.
    fn dirty_locked(&self, locked: &mut Locked<K, V, S>, read: &ReadOnly<K, V, S>) {
        if locked.dirty.is_some() {
            return;
        }
        // Cloning the table runs `K::clone` but no `Hash`; a panic in it
        // leaves read and its entries untouched (nothing is expunged yet).
        let mut d: Table<K, V, S> = (*read.m).clone();
        d.retain(|_, e| !e.try_expunge_locked());
        locked.dirty = Some(d);
    }

    /// Go: `if e.unexpungeLocked() { m.dirty[key] = e }`. An expunged entry
    /// implies a non-nil dirty map without this key (I2, I3). User code
    /// (`Clone`, `Hash`, a possible rehash) runs *before* the entry leaves
    /// the expunged state, so a panic there cannot leave a nil entry that
    /// dirty lacks (which would lose the key at the next promotion).
    fn unexpunge_into_dirty_locked(&self, locked: &mut Locked<K, V, S>, k: &K, e: &Arc<Entry<V>>) {
        // Only this path (under `mu`) moves an entry out of expunged, and the
        // lock-free paths never store into an expunged entry: stable check.
        if e.p.load(Ordering::Acquire) != expunged() {
            return;
        }
        let dirty = locked.dirty.as_mut().expect("I2: expunged implies dirty");
        dirty.reserve(1); // may rehash: user Hash, before any change
        match dirty.entry(k.clone()) {
            hashbrown::hash_map::Entry::Vacant(slot) => {
                let unexpunged = e.unexpunge_locked();
                debug_assert!(unexpunged, "I3: only mu un-expunges");
                // Capacity was reserved: no rehash, no user code.
                slot.insert(Arc::clone(e));
            }
            hashbrown::hash_map::Entry::Occupied(_) => {
                unreachable!("I2: an expunged entry is never in dirty")
            }
        }
    }

    /// Go: the "new key" branch shared by Store, LoadOrStore and Swap.
    /// `read` is the current read map (loaded under `mu`).
    fn insert_new_locked(
        &self,
        locked: &mut Locked<K, V, S>,
        read: &ReadOnly<K, V, S>,
        key: K,
        entry: Entry<V>,
    ) {
        // User `Hash` first: a panic here changes nothing.
        let hash = self.hasher.hash_one(&key);
        match &read.dirty_keys {
            Some(dirty_keys) => dirty_keys.insert(hash),
            None => {
                // We're adding the first new key to the dirty map. Make sure it
                // is allocated and mark the read-only map as incomplete.
                self.dirty_locked(locked, read);
                let dirty_keys = DirtyKeys::for_read_len(read.m.len());
                dirty_keys.insert(hash);
                self.publish(ReadOnly {
                    m: Arc::clone(&read.m),
                    dirty_keys: Some(dirty_keys),
                });
            }
        }
        let dirty = locked.dirty.as_mut().expect("I2: amended implies dirty");
        dirty.insert(key, Arc::new(entry));
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
        let g = self.domain.enter();
        let p = self.with_entry(key, &g, false, |e| e.map_or(ptr::null_mut(), Entry::load));
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
        let g = self.domain.enter();
        let old = self.swap_ptr(key, Pending::new(value), &g);
        self.retire_value(old);
    }

    /// Stores `value` for `key` and returns a clone of the previous value.
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
        let g = self.domain.enter();
        let old = self.swap_ptr(key, Pending::new(value), &g);
        // Retire after cloning: the clone reads it under `g` anyway.
        // SAFETY: `old` was unlinked under `g` and is retired only below.
        let r =
            unsafe { value_ref(if is_value(old) { old } else { ptr::null_mut() }, &g) }.cloned();
        self.retire_value(old);
        r
    }

    /// Go: `Swap` (and `Store`): publishes `v` (a boxed value); returns the
    /// unlinked previous pointer (null if none), which the caller retires.
    fn swap_ptr(&self, key: K, v: Pending<V>, g: &MapGuard<'_, K, V, S>) -> *mut V {
        let read = self.read(g);
        if let Some(e) = read.m.get(&key) {
            if let Ok(old) = e.try_swap(v.0) {
                v.publish();
                return old;
            }
        }
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some((k, e)) = read.m.get_key_value(&key) {
            self.unexpunge_into_dirty_locked(&mut locked, k, e);
            return e.swap_locked(v.publish());
        }
        if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)) {
            return e.swap_locked(v.publish());
        }
        // If the insert below panics (user Hash), the entry's drop frees `v`.
        self.insert_new_locked(&mut locked, read, key, Entry::new(v.publish()));
        ptr::null_mut()
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
        let g = self.domain.enter();
        let (actual, loaded) = self.load_or_store_ptr(key, Pending::new(value), &g);
        // SAFETY: `actual` is a value pointer loaded (or published) under `g`.
        let a = unsafe { value_ref(actual, &g) }.expect("LoadOrStore yields a value");
        (a.clone(), loaded)
    }

    /// Go: `LoadOrStore`; `v` is freed when an existing value is loaded.
    fn load_or_store_ptr(
        &self,
        key: K,
        v: Pending<V>,
        g: &MapGuard<'_, K, V, S>,
    ) -> (*mut V, bool) {
        let read = self.read(g);
        if let Some(e) = read.m.get(&key) {
            if let Ok(r) = e.try_load_or_store(v.0) {
                if !r.1 {
                    v.publish();
                }
                return r;
            }
        }
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some((k, e)) = read.m.get_key_value(&key) {
            self.unexpunge_into_dirty_locked(&mut locked, k, e);
            let r = e
                .try_load_or_store(v.0)
                .unwrap_or_else(|_| unreachable!("I3: unexpunged under the lock"));
            if !r.1 {
                v.publish();
            }
            return r;
        }
        if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)).cloned() {
            let r = e
                .try_load_or_store(v.0)
                .unwrap_or_else(|_| unreachable!("I2: entries in dirty are never expunged"));
            if !r.1 {
                v.publish();
            }
            self.miss_locked(&mut locked);
            return r;
        }
        let p = v.publish();
        self.insert_new_locked(&mut locked, read, key, Entry::new(p));
        (p, false)
    }

    /// Finds the entry of `key` as Go's Load/LoadAndDelete/CompareAndDelete
    /// do, running `f` on it (under the lock when it is only in dirty).
    fn with_entry<R>(
        &self,
        key: &K,
        g: &MapGuard<'_, K, V, S>,
        remove_from_dirty: bool,
        f: impl FnOnce(Option<&Entry<V>>) -> R,
    ) -> R {
        let read = self.read(g);
        if let Some(e) = read.m.get(key) {
            return f(Some(e));
        }
        // Go locks whenever read is amended; the filter answers for keys
        // that are in no map (I5).
        if !read.may_be_in_dirty(|| self.hasher.hash_one(key)) {
            return f(None);
        }
        let mut locked = self.mu.lock();
        // Avoid reporting a spurious miss if dirty got promoted while we
        // were blocked on the lock.
        let read = self.read(g);
        if let Some(e) = read.m.get(key) {
            drop(locked);
            return f(Some(e));
        }
        if !read.amended() {
            return f(None);
        }
        let e = if remove_from_dirty {
            locked.dirty.as_mut().and_then(|d| d.remove(key))
        } else {
            locked.dirty.as_ref().and_then(|d| d.get(key)).cloned()
        };
        // Regardless of whether the entry was present, record a miss: this
        // key will take the slow path until dirty is promoted.
        self.miss_locked(&mut locked);
        drop(locked);
        f(e.as_deref())
    }

    /// Deletes `key` and returns a clone of its value, if it had one.
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
        let g = self.domain.enter();
        let p = self.with_entry(key, &g, true, |e| e.map_or(ptr::null_mut(), Entry::delete));
        // SAFETY: unlinked under `g`, retired only below.
        let r = unsafe { value_ref(p, &g) }.cloned();
        self.retire_value(p);
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
        let g = self.domain.enter();
        let p = self.with_entry(key, &g, true, |e| e.map_or(ptr::null_mut(), Entry::delete));
        self.retire_value(p);
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
        let g = self.domain.enter();
        // Freed on drop unless published: also if user `Eq`/`Hash` panics.
        let n = Pending::new(new);
        match self.compare_and_swap_ptr(key, old, n.0, &g) {
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
        old: &V,
        n: *mut V,
        g: &MapGuard<'_, K, V, S>,
    ) -> Result<*mut V, *mut V>
    where
        V: PartialEq,
    {
        let read = self.read(g);
        if let Some(e) = read.m.get(key) {
            return e.try_compare_and_swap(old, n);
        }
        if !read.may_be_in_dirty(|| self.hasher.hash_one(key)) {
            return Err(n); // no existing value for key (I5)
        }
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some(e) = read.m.get(key) {
            return e.try_compare_and_swap(old, n);
        }
        let e = locked.dirty.as_ref().and_then(|d| d.get(key)).cloned();
        match e {
            Some(e) => {
                let r = e.try_compare_and_swap(old, n);
                self.miss_locked(&mut locked);
                r
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
        let g = self.domain.enter();
        let p = self.with_entry(key, &g, false, |e| {
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
        }
        for (k, e) in read.m.iter() {
            // SAFETY: loaded under `g`.
            if let Some(v) = unsafe { value_ref(e.load(), &g) } {
                if !f(k, v) {
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
            read_live: read.m.values().filter(|e| !e.load().is_null()).count(),
            dirty_len: locked.dirty.as_ref().map(HashMap::len),
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
    S: BuildHasher + Clone,
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
    S: BuildHasher + Clone + Default,
{
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let m = SyncMap::with_hasher(S::default());
        for (k, v) in iter {
            m.store(k, v);
        }
        m
    }
}
