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
//! # Layout
//!
//! ```text
//!  SyncMap
//!  +------------------------------+      +---------------------------+
//!  | read: Atomic<ReadOnly> ------+----> | m: Arc<HashMap<Arc<K>,     |
//!  |                              |      |         Arc<Entry<V>>>>   |
//!  | mu: Mutex<Locked>            |      | amended: bool             |
//!  |   dirty: Option<HashMap<..>> |      +---------------------------+
//!  |   misses: usize              |
//!  +------------------------------+      Entry { p }: p = value pointer
//!                                        | null (nil: deleted, still in dirty)
//!                                        | null + tag 1 (expunged: deleted and
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
//! - I4. Memory: published `ReadOnly`s and replaced values are retired
//!   through `crossbeam-epoch` (`defer_destroy`), so a reader pinned when it
//!   loaded a pointer can use it until it unpins; an entry's last value is
//!   freed when its last `Arc` goes, which is when no map (and hence no
//!   pinned reader) can reach it.
//!
//! # Tuning
//!
//! Promotion when `misses >= len(dirty)` (Go's rule): the cost of copying
//! dirty is amortised over as many locked lookups as it has keys.
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
//!   epoch-based reclamation (I4). Values are therefore *cloned* out
//!   (`load` returns `Option<V>` for `V: Clone`); `range` lends `&K, &V`.
//! - Keys, values and the hasher must be `'static`: retired maps and values
//!   are dropped later by whichever thread advances the epoch, possibly after
//!   the `SyncMap` itself is gone, so they must not borrow anything.
//! - Keys are kept as `Arc<K>` so read and dirty share them (Go shares the
//!   interface value) without `K: Clone`.
//! - Under `mu`, operations on a dirty-only entry are done before unlocking
//!   (Go unlocks first); entry operations are atomic either way.
//! - Go builds dirty by iterating read and inserting; we clone read's table
//!   (no user `Hash` runs) and then drop expunged entries with `retain`, so a
//!   panicking `Hash` cannot leave expunged keys without a dirty map.

use crate::Mutex;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::sync::atomic::Ordering;
use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};
use gocore::hash::DefaultHashBuilder;
use hashbrown::HashMap;
use std::sync::Arc;

/// A boxed value; the alignment leaves a tag bit free for "expunged".
#[repr(align(2))]
struct Slot<V>(V);

/// Tag of the expunged sentinel (a null pointer with tag 1). Go: `expunged`.
const EXPUNGED: usize = 1;

type Table<K, V, S> = HashMap<Arc<K>, Arc<Entry<V>>, S>;

/// Go: `entry`.
struct Entry<V> {
    p: Atomic<Slot<V>>,
}

fn expunged<'g, V>() -> Shared<'g, Slot<V>> {
    Shared::null().with_tag(EXPUNGED)
}

impl<V> Entry<V> {
    /// Go: `entry.load`.
    fn load<'g>(&self, g: &'g Guard) -> Option<&'g V> {
        // SAFETY: values are retired only through `defer_destroy` (I4) and we
        // are pinned by `g`, so the pointee outlives `'g`.
        unsafe { self.p.load(Ordering::Acquire, g).as_ref() }.map(|s| &s.0)
    }

    /// Go: `unexpungeLocked`. Must be called with `mu` held (I3).
    fn unexpunge_locked(&self, g: &Guard) -> bool {
        self.p
            .compare_exchange(
                expunged(),
                Shared::null(),
                Ordering::AcqRel,
                Ordering::Acquire,
                g,
            )
            .is_ok()
    }

    /// Go: `storeLocked` / `swapLocked`: the entry must not be expunged.
    /// Returns the previous value, retired.
    fn swap_locked<'g>(&self, v: Owned<Slot<V>>, g: &'g Guard) -> Option<&'g V> {
        let old = self.p.swap(v, Ordering::AcqRel, g);
        debug_assert!(old.tag() != EXPUNGED);
        retire(old, g);
        // SAFETY: retired through the epoch; `g` keeps it alive (I4).
        unsafe { old.as_ref() }.map(|s| &s.0)
    }

    /// Go: `trySwap`: swaps unless expunged.
    fn try_swap<'g>(
        &self,
        v: Owned<Slot<V>>,
        g: &'g Guard,
    ) -> Result<Option<&'g V>, Owned<Slot<V>>> {
        let mut v = v;
        let mut p = self.p.load(Ordering::Acquire, g);
        loop {
            if p.tag() == EXPUNGED {
                return Err(v);
            }
            match self
                .p
                .compare_exchange(p, v, Ordering::AcqRel, Ordering::Acquire, g)
            {
                Ok(_) => {
                    retire(p, g);
                    // SAFETY: pinned by `g` (I4).
                    return Ok(unsafe { p.as_ref() }.map(|s| &s.0));
                }
                Err(e) => {
                    p = e.current;
                    v = e.new;
                }
            }
        }
    }

    /// Go: `tryLoadOrStore`. `Err(v)` if expunged; `Ok((actual, loaded))`.
    fn try_load_or_store<'g>(
        &self,
        v: Owned<Slot<V>>,
        g: &'g Guard,
    ) -> Result<(&'g V, bool), Owned<Slot<V>>> {
        let mut v = v;
        let mut p = self.p.load(Ordering::Acquire, g);
        loop {
            if p.tag() == EXPUNGED {
                return Err(v);
            }
            // SAFETY: pinned by `g` (I4).
            if let Some(s) = unsafe { p.as_ref() } {
                return Ok((&s.0, true));
            }
            match self
                .p
                .compare_exchange(p, v, Ordering::AcqRel, Ordering::Acquire, g)
            {
                Ok(new) => {
                    // SAFETY: we just published `new`; pinned by `g`.
                    let s = unsafe { new.deref() };
                    return Ok((&s.0, false));
                }
                Err(e) => {
                    p = e.current;
                    v = e.new;
                }
            }
        }
    }

    /// Go: `entry.delete`: returns the deleted value.
    fn delete<'g>(&self, g: &'g Guard) -> Option<&'g V> {
        let mut p = self.p.load(Ordering::Acquire, g);
        loop {
            if p.is_null() {
                return None; // nil or expunged
            }
            match self
                .p
                .compare_exchange(p, Shared::null(), Ordering::AcqRel, Ordering::Acquire, g)
            {
                Ok(_) => {
                    retire(p, g);
                    // SAFETY: pinned by `g` (I4).
                    return unsafe { p.as_ref() }.map(|s| &s.0);
                }
                Err(e) => p = e.current,
            }
        }
    }

    /// Go: `tryCompareAndSwap`.
    fn try_compare_and_swap(&self, old: &V, new: V, g: &Guard) -> bool
    where
        V: PartialEq,
    {
        let mut p = self.p.load(Ordering::Acquire, g);
        // SAFETY: pinned by `g` (I4).
        match unsafe { p.as_ref() } {
            Some(s) if s.0 == *old => {}
            _ => return false,
        }
        let mut n = Owned::new(Slot(new));
        loop {
            match self
                .p
                .compare_exchange(p, n, Ordering::AcqRel, Ordering::Acquire, g)
            {
                Ok(_) => {
                    retire(p, g);
                    return true;
                }
                Err(e) => {
                    p = e.current;
                    n = e.new;
                    // SAFETY: pinned by `g` (I4).
                    match unsafe { p.as_ref() } {
                        Some(s) if s.0 == *old => {}
                        _ => return false,
                    }
                }
            }
        }
    }

    /// Go: `CompareAndDelete`'s loop on one entry.
    fn compare_and_delete(&self, old: &V, g: &Guard) -> bool
    where
        V: PartialEq,
    {
        let mut p = self.p.load(Ordering::Acquire, g);
        loop {
            // SAFETY: pinned by `g` (I4).
            match unsafe { p.as_ref() } {
                Some(s) if s.0 == *old => {}
                _ => return false,
            }
            match self
                .p
                .compare_exchange(p, Shared::null(), Ordering::AcqRel, Ordering::Acquire, g)
            {
                Ok(_) => {
                    retire(p, g);
                    return true;
                }
                Err(e) => p = e.current,
            }
        }
    }

    /// Go: `tryExpungeLocked`: nil → expunged; reports whether expunged.
    fn try_expunge_locked(&self, g: &Guard) -> bool {
        let mut p = self.p.load(Ordering::Acquire, g);
        while p.is_null() && p.tag() != EXPUNGED {
            match self
                .p
                .compare_exchange(p, expunged(), Ordering::AcqRel, Ordering::Acquire, g)
            {
                Ok(_) => return true,
                Err(e) => p = e.current,
            }
        }
        p.tag() == EXPUNGED
    }
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        // SAFETY: the last Arc of the entry is gone, so no map and no pinned
        // reader can reach it (I4); the value (if any) is ours to free.
        unsafe {
            let p = self.p.load(Ordering::Relaxed, epoch::unprotected());
            if !p.is_null() {
                drop(p.into_owned());
            }
        }
    }
}

/// Retires a value pointer taken out of an entry (I4).
fn retire<V>(p: Shared<'_, Slot<V>>, g: &Guard) {
    if !p.is_null() {
        // SAFETY: `p` was just unlinked from its entry by our successful
        // CAS/swap, so no new reader can find it; readers that found it are
        // pinned, and the epoch frees it only after they unpin.
        unsafe { g.defer_destroy(p) };
    }
}

/// Go: `readOnly`.
struct ReadOnly<K, V, S> {
    m: Arc<Table<K, V, S>>,
    amended: bool,
}

/// The part of the map behind `mu`.
struct Locked<K, V, S> {
    dirty: Option<Table<K, V, S>>,
    misses: usize,
}

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
    read: Atomic<ReadOnly<K, V, S>>,
    mu: Mutex<Locked<K, V, S>>,
    hasher: S,
}

// SAFETY: keys and values are shared between threads (`&K`, `&V` handed out
// concurrently: Sync) and dropped by whichever thread runs a deferred
// destruction or drops the map (Send); the hasher is used from every thread.
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
        SyncMap {
            read: Atomic::new(ReadOnly {
                m: Arc::new(HashMap::with_hasher(hasher.clone())),
                amended: false,
            }),
            mu: Mutex::new(Locked {
                dirty: None,
                misses: 0,
            }),
            hasher,
        }
    }
}

impl<K, V, S> SyncMap<K, V, S>
where
    K: Hash + Eq + 'static,
    V: 'static,
    S: BuildHasher + Clone + 'static,
{
    /// The published read map. Go: `m.read.Load().(readOnly)`.
    fn read<'g>(&self, g: &'g Guard) -> &'g ReadOnly<K, V, S> {
        // SAFETY: `read` is never null (set in the constructor, replaced only
        // by `publish`), and a replaced ReadOnly is retired through the epoch,
        // so it outlives `g` (I4).
        unsafe { self.read.load(Ordering::Acquire, g).deref() }
    }

    /// Publishes a new read map and retires the old one. Under `mu` (I1).
    fn publish(&self, new: ReadOnly<K, V, S>, g: &Guard) {
        let old = self.read.swap(Owned::new(new), Ordering::AcqRel, g);
        // SAFETY: `old` is no longer reachable from `read`; readers that
        // loaded it are pinned and the epoch waits for them (I4).
        unsafe { g.defer_destroy(old) };
    }

    /// Go: `missLocked`.
    fn miss_locked(&self, locked: &mut Locked<K, V, S>, g: &Guard) {
        locked.misses += 1;
        let dirty_len = locked.dirty.as_ref().map_or(0, HashMap::len);
        if locked.misses < dirty_len {
            return;
        }
        self.promote_locked(locked, g);
    }

    /// Dirty becomes read (`amended = false`), dirty = None, misses = 0.
    fn promote_locked(&self, locked: &mut Locked<K, V, S>, g: &Guard) {
        let d = match locked.dirty.take() {
            Some(d) => d,
            None => HashMap::with_hasher(self.hasher.clone()),
        };
        self.publish(
            ReadOnly {
                m: Arc::new(d),
                amended: false,
            },
            g,
        );
        locked.misses = 0;
    }

    /// Go: `dirtyLocked`: builds dirty from read, expunging deleted entries.
    fn dirty_locked(&self, locked: &mut Locked<K, V, S>, read: &ReadOnly<K, V, S>, g: &Guard) {
        if locked.dirty.is_some() {
            return;
        }
        // Cloning the table copies `Arc`s and control bytes: no user code.
        let mut d: Table<K, V, S> = (*read.m).clone();
        d.retain(|_, e| !e.try_expunge_locked(g));
        locked.dirty = Some(d);
    }

    /// Go: the "new key" branch shared by Store, LoadOrStore and Swap.
    fn insert_new_locked(
        &self,
        locked: &mut Locked<K, V, S>,
        read: &ReadOnly<K, V, S>,
        key: K,
        entry: Entry<V>,
        g: &Guard,
    ) {
        if !read.amended {
            // We're adding the first new key to the dirty map. Make sure it
            // is allocated and mark the read-only map as incomplete.
            self.dirty_locked(locked, read, g);
            self.publish(
                ReadOnly {
                    m: Arc::clone(&read.m),
                    amended: true,
                },
                g,
            );
        }
        let dirty = locked.dirty.as_mut().expect("I2: amended implies dirty");
        dirty.insert(Arc::new(key), Arc::new(entry));
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
        let g = epoch::pin();
        let read = self.read(&g);
        if let Some(e) = read.m.get(key) {
            return e.load(&g).cloned();
        }
        if !read.amended {
            return None;
        }
        let mut locked = self.mu.lock();
        // Avoid reporting a spurious miss if dirty got promoted while we
        // were blocked on the lock.
        let read = self.read(&g);
        if let Some(e) = read.m.get(key) {
            return e.load(&g).cloned();
        }
        if !read.amended {
            return None;
        }
        let e = locked.dirty.as_ref().and_then(|d| d.get(key)).cloned();
        // Regardless of whether the entry was present, record a miss: this
        // key will take the slow path until dirty is promoted.
        self.miss_locked(&mut locked, &g);
        drop(locked);
        e.and_then(|e| e.load(&g).cloned())
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
        let g = epoch::pin();
        let _ = self.swap_ref(key, value, &g);
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
        let g = epoch::pin();
        self.swap_ref(key, value, &g).cloned()
    }

    /// Go: `Swap` (and `Store`, which is `Swap` ignoring the result): the
    /// previous value stays valid while `g` is pinned (I4).
    fn swap_ref<'g>(&self, key: K, value: V, g: &'g Guard) -> Option<&'g V> {
        let mut v = Owned::new(Slot(value));
        let read = self.read(g);
        if let Some(e) = read.m.get(&key) {
            match e.try_swap(v, g) {
                Ok(old) => return old,
                Err(back) => v = back,
            }
        }
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some((k, e)) = read.m.get_key_value(&key) {
            if e.unexpunge_locked(g) {
                // The entry was previously expunged, which implies that there
                // is a non-nil dirty map and this entry is not in it (I2, I3).
                let dirty = locked.dirty.as_mut().expect("I2: expunged implies dirty");
                dirty.insert(Arc::clone(k), Arc::clone(e));
            }
            return e.swap_locked(v, g);
        }
        if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)) {
            return e.swap_locked(v, g);
        }
        let entry = Entry { p: Atomic::from(v) };
        self.insert_new_locked(&mut locked, read, key, entry, g);
        None
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
        let g = epoch::pin();
        let mut v = Owned::new(Slot(value));
        let read = self.read(&g);
        if let Some(e) = read.m.get(&key) {
            match e.try_load_or_store(v, &g) {
                Ok((actual, loaded)) => return (actual.clone(), loaded),
                Err(back) => v = back,
            }
        }
        let mut locked = self.mu.lock();
        let read = self.read(&g);
        if let Some((k, e)) = read.m.get_key_value(&key) {
            if e.unexpunge_locked(&g) {
                let dirty = locked.dirty.as_mut().expect("I2: expunged implies dirty");
                dirty.insert(Arc::clone(k), Arc::clone(e));
            }
            let (actual, loaded) = match e.try_load_or_store(v, &g) {
                Ok(r) => r,
                Err(_) => unreachable!("I3: unexpunged under the lock"),
            };
            return (actual.clone(), loaded);
        }
        if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)).cloned() {
            let (actual, loaded) = match e.try_load_or_store(v, &g) {
                Ok(r) => r,
                Err(_) => unreachable!("I2: entries in dirty are never expunged"),
            };
            let actual = actual.clone();
            self.miss_locked(&mut locked, &g);
            return (actual, loaded);
        }
        let entry = Entry { p: Atomic::from(v) };
        let value_ref = entry.load(&g).cloned().expect("just stored");
        self.insert_new_locked(&mut locked, read, key, entry, &g);
        (value_ref, false)
    }

    /// Finds the entry of `key` as Go's Load/LoadAndDelete/CompareAndDelete
    /// do, running `f` on it (under the lock when it is only in dirty).
    fn with_entry<R>(
        &self,
        key: &K,
        g: &Guard,
        remove_from_dirty: bool,
        f: impl FnOnce(Option<&Entry<V>>) -> R,
    ) -> R {
        let read = self.read(g);
        if let Some(e) = read.m.get(key) {
            return f(Some(e));
        }
        if !read.amended {
            return f(None);
        }
        let mut locked = self.mu.lock();
        let read = self.read(g);
        if let Some(e) = read.m.get(key) {
            drop(locked);
            return f(Some(e));
        }
        if !read.amended {
            return f(None);
        }
        let e = if remove_from_dirty {
            locked.dirty.as_mut().and_then(|d| d.remove(key))
        } else {
            locked.dirty.as_ref().and_then(|d| d.get(key)).cloned()
        };
        self.miss_locked(&mut locked, g);
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
        let g = epoch::pin();
        self.with_entry(key, &g, true, |e| e.and_then(|e| e.delete(&g).cloned()))
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
        let g = epoch::pin();
        self.with_entry(key, &g, true, |e| e.and_then(|e| e.delete(&g)).is_some())
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
        let g = epoch::pin();
        let read = self.read(&g);
        if let Some(e) = read.m.get(key) {
            return e.try_compare_and_swap(old, new, &g);
        }
        if !read.amended {
            return false; // no existing value for key
        }
        let mut locked = self.mu.lock();
        let read = self.read(&g);
        if let Some(e) = read.m.get(key) {
            return e.try_compare_and_swap(old, new, &g);
        }
        let e = locked.dirty.as_ref().and_then(|d| d.get(key)).cloned();
        match e {
            Some(e) => {
                let swapped = e.try_compare_and_swap(old, new, &g);
                self.miss_locked(&mut locked, &g);
                swapped
            }
            None => false,
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
        let g = epoch::pin();
        self.with_entry(key, &g, false, |e| {
            e.is_some_and(|e| e.compare_and_delete(old, &g))
        })
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
        let g = epoch::pin();
        let mut read = self.read(&g);
        if read.amended {
            // m.Range is O(N) anyway: promote now so the call copies nothing.
            let mut locked = self.mu.lock();
            read = self.read(&g);
            if read.amended {
                self.promote_locked(&mut locked, &g);
                read = self.read(&g);
            }
        }
        for (k, e) in read.m.iter() {
            if let Some(v) = e.load(&g) {
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
        let g = epoch::pin();
        let locked = self.mu.lock();
        let read = self.read(&g);
        SyncMapStats {
            read_len: read.m.len(),
            read_live: read.m.values().filter(|e| e.load(&g).is_some()).count(),
            dirty_len: locked.dirty.as_ref().map(HashMap::len),
            amended: read.amended,
            misses: locked.misses,
        }
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
        // SAFETY: `&mut self`: no reader is using the map now; the current
        // ReadOnly is owned by `read` and freed exactly once here (retired
        // ones are owned by the epoch).
        unsafe {
            let p = self.read.load(Ordering::Relaxed, epoch::unprotected());
            drop(p.into_owned());
        }
    }
}

impl<K, V, S> fmt::Debug for SyncMap<K, V, S>
where
    K: Hash + Eq + fmt::Debug + 'static,
    V: fmt::Debug + 'static,
    S: BuildHasher + Clone + 'static,
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
    K: Hash + Eq + 'static,
    V: 'static,
    S: BuildHasher + Clone + Default + 'static,
{
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let m = SyncMap::with_hasher(S::default());
        for (k, v) in iter {
            m.store(k, v);
        }
        m
    }
}
