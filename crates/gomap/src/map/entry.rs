//! The entry API: [`Entry`], [`OccupiedEntry`], [`VacantEntry`], from
//! [`GoMap::entry`](super::GoMap::entry).

use core::fmt;

use super::drop_then;
use crate::raw::{InsertPos, RawMap, Slot};

/// A view into one entry of a map, occupied or vacant. From [`GoMap::entry`](super::GoMap::entry).
///
/// # Examples
///
/// ```
/// use gomap::Entry;
/// let mut m = gomap::GoMap::new();
/// match m.entry(1) {
///     Entry::Occupied(_) => unreachable!(),
///     Entry::Vacant(v) => {
///         v.insert("one");
///     }
/// }
/// assert_eq!(m[&1], "one");
/// ```
pub enum Entry<'a, K, V> {
    /// The key is present.
    Occupied(OccupiedEntry<'a, K, V>),
    /// The key is absent.
    Vacant(VacantEntry<'a, K, V>),
}

/// A present entry. Part of [`Entry`].
///
/// # Examples
///
/// ```
/// use gomap::Entry;
/// let mut m = gomap::GoMap::new();
/// m.insert(1, 10);
/// if let Entry::Occupied(mut o) = m.entry(1) {
///     *o.get_mut() += 1;
/// }
/// assert_eq!(m[&1], 11);
/// ```
pub struct OccupiedEntry<'a, K, V> {
    pub(super) raw: &'a mut RawMap<K, V>,
    pub(super) slot: Slot,
    /// The key passed to `entry` (the map keeps its stored key); dropped
    /// with the entry, or by `remove_entry` once the map is consistent.
    pub(super) key: Option<K>,
}

/// An absent entry. Part of [`Entry`].
///
/// # Examples
///
/// ```
/// use gomap::Entry;
/// let mut m: gomap::GoMap<u8, u8> = gomap::GoMap::new();
/// if let Entry::Vacant(v) = m.entry(3) {
///     assert_eq!(*v.key(), 3);
///     v.insert(9);
/// }
/// assert_eq!(m[&3], 9);
/// ```
pub struct VacantEntry<'a, K, V> {
    pub(super) raw: &'a mut RawMap<K, V>,
    pub(super) hash: u64,
    /// From `RawMap::prepare_insert`: any grow the insert starts has
    /// started, so inserting needs no hasher (and the entry carries no
    /// `S`, which would decide its `Send` and `Sync` as it does not for
    /// std's `VacantEntry`).
    pub(super) pos: InsertPos,
    pub(super) key: K,
}

impl<'a, K, V> Entry<'a, K, V> {
    /// The value, inserting `default` if absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// *m.entry("x").or_insert(1) += 1;
    /// assert_eq!(m["x"], 2);
    /// ```
    pub fn or_insert(self, default: V) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default),
        }
    }

    /// The value, inserting `default()` if absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u8, Vec<u8>> = gomap::GoMap::new();
    /// m.entry(1).or_insert_with(Vec::new).push(7);
    /// assert_eq!(m[&1], [7]);
    /// ```
    pub fn or_insert_with<F: FnOnce() -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default()),
        }
    }

    /// The value, inserting `default(&key)` if absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// assert_eq!(*m.entry(4).or_insert_with_key(|k| k * 2), 8);
    /// ```
    pub fn or_insert_with_key<F: FnOnce(&K) -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let value = default(&v.key);
                v.insert(value)
            }
        }
    }

    /// The entry's key.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u8, u8> = gomap::GoMap::new();
    /// assert_eq!(*m.entry(5).key(), 5);
    /// ```
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(o) => o.key(),
            Entry::Vacant(v) => v.key(),
        }
    }

    /// Applies `f` to the value if present.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.entry(1).and_modify(|v| *v += 1).or_insert(0);
    /// m.entry(1).and_modify(|v| *v += 1).or_insert(0);
    /// assert_eq!(m[&1], 1);
    /// ```
    pub fn and_modify<F: FnOnce(&mut V)>(self, f: F) -> Self {
        match self {
            Entry::Occupied(mut o) => {
                f(o.get_mut());
                Entry::Occupied(o)
            }
            e => e,
        }
    }
}

impl<'a, K, V> Entry<'a, K, V> {
    /// Sets the entry's value (inserting the key if absent) and returns the
    /// occupied entry. A replaced value is dropped; the stored key is kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// let e = m.entry("k").insert_entry(1);
    /// assert_eq!((*e.key(), *e.get()), ("k", 1));
    /// let e = m.entry("k").insert_entry(2);
    /// assert_eq!(e.remove(), 2);
    /// assert!(m.is_empty());
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V> {
        match self {
            Entry::Occupied(mut o) => {
                drop(o.insert(value));
                o
            }
            Entry::Vacant(v) => v.insert_entry(value),
        }
    }
}

impl<'a, K, V: Default> Entry<'a, K, V> {
    /// The value, inserting `V::default()` if absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<&str, u32> = gomap::GoMap::new();
    /// *m.entry("n").or_default() += 3;
    /// assert_eq!(m["n"], 3);
    /// ```
    pub fn or_default(self) -> &'a mut V {
        self.or_insert_with(V::default)
    }
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    /// The stored key.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, ());
    /// if let gomap::Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(*o.key(), 1);
    /// }
    /// ```
    pub fn key(&self) -> &K {
        // SAFETY: live slot; shared borrow of the entry.
        unsafe { self.raw.refs(self.slot) }.0
    }

    /// The value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 'v');
    /// if let gomap::Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(*o.get(), 'v');
    /// }
    /// ```
    pub fn get(&self) -> &V {
        // SAFETY: as above.
        unsafe { self.raw.refs(self.slot) }.1
    }

    /// The value, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 1);
    /// if let gomap::Entry::Occupied(mut o) = m.entry(1) {
    ///     *o.get_mut() = 2;
    /// }
    /// assert_eq!(m[&1], 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut V {
        // SAFETY: live slot; exclusive borrow of the entry.
        unsafe { self.raw.refs_mut(self.slot) }.1
    }

    /// The value, borrowed for the map's lifetime.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 1);
    /// if let gomap::Entry::Occupied(o) = m.entry(1) {
    ///     *o.into_mut() = 5;
    /// }
    /// assert_eq!(m[&1], 5);
    /// ```
    pub fn into_mut(self) -> &'a mut V {
        // SAFETY: live slot; the entry's exclusive borrow moves to the result.
        unsafe { self.raw.refs_mut(self.slot) }.1
    }

    /// Replaces the value, returning the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 1);
    /// if let gomap::Entry::Occupied(mut o) = m.entry(1) {
    ///     assert_eq!(o.insert(2), 1);
    /// }
    /// ```
    pub fn insert(&mut self, value: V) -> V {
        core::mem::replace(self.get_mut(), value)
    }

    /// Removes the entry, returning the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 'x');
    /// if let gomap::Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(o.remove(), 'x');
    /// }
    /// assert!(m.is_empty());
    /// ```
    pub fn remove(self) -> V {
        let (k, v) = self.remove_entry();
        drop_then(k, v)
    }

    /// Removes the entry, returning the stored key and value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.insert(1, 'x');
    /// if let gomap::Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(o.remove_entry(), (1, 'x'));
    /// }
    /// ```
    pub fn remove_entry(mut self) -> (K, V) {
        let lookup_key = self.key.take();
        // SAFETY: live slot found by `entry` with no mutation since.
        let kv = unsafe { self.raw.remove_at(self.slot) };
        drop_then(lookup_key, kv)
    }
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    /// The key that would be inserted.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u8, ()> = gomap::GoMap::new();
    /// if let gomap::Entry::Vacant(v) = m.entry(2) {
    ///     assert_eq!(*v.key(), 2);
    /// }
    /// ```
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Takes the key back without inserting.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<String, ()> = gomap::GoMap::new();
    /// if let gomap::Entry::Vacant(v) = m.entry("k".to_string()) {
    ///     assert_eq!(v.into_key(), "k");
    /// }
    /// assert!(m.is_empty());
    /// ```
    pub fn into_key(self) -> K {
        self.key
    }

    /// Inserts `value`, growing first if Go would, and returns a reference to it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// if let gomap::Entry::Vacant(v) = m.entry('k') {
    ///     *v.insert(1) += 1;
    /// }
    /// assert_eq!(m[&'k'], 2);
    /// ```
    pub fn insert(self, value: V) -> &'a mut V {
        // SAFETY: pos came from `prepare_insert` in `entry` with the same
        // hash, no mutation since, and the key is absent.
        let s = unsafe {
            self.raw
                .insert_prepared(self.hash, self.pos, self.key, value)
        };
        // SAFETY: s is the live slot just written; the borrow moves to the result.
        unsafe { self.raw.refs_mut(s) }.1
    }
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    /// Inserts `value` like [`insert`](Self::insert), returning the entry
    /// as an [`OccupiedEntry`] (to read the key back, or remove it again).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// if let gomap::Entry::Vacant(v) = m.entry(7) {
    ///     let mut o = v.insert_entry(70);
    ///     *o.get_mut() += 1;
    ///     assert_eq!(*o.key(), 7);
    /// }
    /// assert_eq!(m[&7], 71);
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V> {
        // SAFETY: as in `insert`.
        let slot = unsafe {
            self.raw
                .insert_prepared(self.hash, self.pos, self.key, value)
        };
        OccupiedEntry {
            raw: self.raw,
            slot,
            key: None,
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Entry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Occupied(o) => f.debug_tuple("Entry").field(o).finish(),
            Entry::Vacant(v) => f.debug_tuple("Entry").field(v).finish(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for OccupiedEntry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry")
            .field("key", self.key())
            .field("value", self.get())
            .finish()
    }
}

impl<K: fmt::Debug, V> fmt::Debug for VacantEntry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VacantEntry").field(self.key()).finish()
    }
}
