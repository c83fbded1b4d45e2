//! The iterator types of [`GoMap`]: borrowing ([`Iter`], [`IterMut`],
//! [`Keys`], [`Values`], [`ValuesMut`]), owning ([`IntoIter`],
//! [`IntoKeys`], [`IntoValues`]) and removing ([`ExtractIf`], [`Drain`]).

use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;

use super::GoMap;
use crate::raw::iter::{Hiter, PhysIter};
use crate::raw::RawMap;

/// Iterator over `(&K, &V)`, from [`GoMap::iter`].
///
/// # Examples
///
/// ```
/// let m: gomap::GoMap<u8, u8> = [(1, 2)].into_iter().collect();
/// let it: gomap::Iter<'_, u8, u8> = m.iter();
/// assert_eq!(it.len(), 1);
/// ```
pub struct Iter<'a, K, V> {
    /// `None` only for the empty `Iter::default()`.
    pub(super) raw: Option<&'a RawMap<K, V>>,
    pub(super) it: Hiter,
}

impl<K, V> Iter<'_, K, V> {
    /// The random bucket and slot offset this iteration started at
    /// (Go's `it.startBucket` and `it.offset`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// let (bucket, offset) = m.iter().start();
    /// assert!(bucket < m.stats().buckets && offset < 8);
    /// ```
    pub fn start(&self) -> (usize, usize) {
        self.it.start()
    }
}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            raw: self.raw,
            it: self.it.clone(),
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.raw?;
        // SAFETY: the map is borrowed shared for 'a: unmodified.
        let s = unsafe { self.it.next(raw) }?;
        // SAFETY: live slot, shared borrow for 'a.
        Some(unsafe { raw.refs(s) })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.it.remaining, Some(self.it.remaining))
    }
    #[inline]
    fn fold<B, F>(mut self, init: B, mut f: F) -> B
    where
        F: FnMut(B, Self::Item) -> B,
    {
        let Some(raw) = self.raw else {
            return init;
        };
        // SAFETY: the map is borrowed shared for 'a: unmodified; every slot
        // passed to the closure is live, and the borrow is shared for 'a.
        unsafe { self.it.fold(raw, init, |acc, s| f(acc, raw.refs(s))) }
    }
}
impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

impl<K, V> Default for Iter<'_, K, V> {
    /// An empty iterator, as std's `hash_map::Iter::default()`.
    ///
    /// ```
    /// let mut it: gomap::Iter<'_, u8, u8> = Default::default();
    /// assert_eq!((it.len(), it.next()), (0, None));
    /// ```
    fn default() -> Self {
        Iter {
            raw: None,
            it: Hiter::finished(),
        }
    }
}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// Iterator over `(&K, &mut V)`, from [`GoMap::iter_mut`].
///
/// # Examples
///
/// ```
/// let mut m: gomap::GoMap<u8, u8> = [(1, 2)].into_iter().collect();
/// for (_, v) in m.iter_mut() { *v = 0; }
/// assert_eq!(m[&1], 0);
/// ```
pub struct IterMut<'a, K, V> {
    pub(super) raw: *mut RawMap<K, V>,
    pub(super) it: Hiter,
    pub(super) marker: PhantomData<&'a mut RawMap<K, V>>,
}

// SAFETY: IterMut is a `&mut GoMap` that hands out `&K`/`&mut V`, each
// entry once: Send when `&mut GoMap` is (K: Send, V: Send). A key is never
// reachable from two threads at once (the map is exclusively borrowed and
// no two items share a key), so K need not be Sync: std's (hashbrown's)
// `IterMut` has these bounds, where the derived ones would be K: Sync.
unsafe impl<K: Send, V: Send> Send for IterMut<'_, K, V> {}
// SAFETY: `&IterMut` reads only the count of entries left; Sync when `&K`
// and `&V` are, as std's.
unsafe impl<K: Sync, V: Sync> Sync for IterMut<'_, K, V> {}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.it.remaining == 0 {
            // Also the only exit of `IterMut::default()`, whose `raw` is null.
            return None;
        }
        // SAFETY: the map is exclusively borrowed for 'a (remaining > 0, so
        // this is not the default iterator); we only read its header and
        // tophash bytes here, never through a yielded value.
        let raw = unsafe { &*self.raw };
        // SAFETY: unmodified map (values may be mutated, tophash/keys not).
        let s = unsafe { self.it.next(raw) }?;
        // SAFETY: each live slot is yielded once, so the `&mut V`s are
        // disjoint; the key is only shared.
        unsafe {
            Some((
                &*RawMap::<K, V>::key_ptr(s.b, s.i),
                &mut *RawMap::<K, V>::elem_ptr(s.b, s.i),
            ))
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.it.remaining, Some(self.it.remaining))
    }
    #[inline]
    fn fold<B, F>(mut self, init: B, mut f: F) -> B
    where
        F: FnMut(B, Self::Item) -> B,
    {
        if self.it.remaining == 0 {
            // Also the only exit of `IterMut::default()`, whose `raw` is null.
            return init;
        }
        // SAFETY: as in `next`: exclusively borrowed for 'a, only the header
        // and tophash bytes are read through this reference.
        let raw = unsafe { &*self.raw };
        // SAFETY: unmodified map; each live slot is passed once, so the
        // `&mut V`s are disjoint; the key is only shared.
        unsafe {
            self.it.fold(raw, init, |acc, s| {
                f(
                    acc,
                    (
                        &*RawMap::<K, V>::key_ptr(s.b, s.i),
                        &mut *RawMap::<K, V>::elem_ptr(s.b, s.i),
                    ),
                )
            })
        }
    }
}
impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

impl<K, V> Default for IterMut<'_, K, V> {
    /// An empty iterator, as std's `hash_map::IterMut::default()`.
    ///
    /// ```
    /// let mut it: gomap::IterMut<'_, u8, u8> = Default::default();
    /// assert_eq!((it.len(), it.next()), (0, None));
    /// ```
    fn default() -> Self {
        IterMut {
            raw: core::ptr::null_mut(),
            it: Hiter::finished(),
            marker: PhantomData,
        }
    }
}
impl<K, V> FusedIterator for IterMut<'_, K, V> {}

impl<K, V> fmt::Debug for IterMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IterMut")
            .field("remaining", &self.it.remaining)
            .finish()
    }
}

macro_rules! projection {
    ($(#[$m:meta])* $name:ident<$($lt:lifetime,)? K, V> : $inner:ty => $item:ty, |$x:pat_param| $e:expr) => {
        $(#[$m])*
        pub struct $name<$($lt,)? K, V> {
            pub(super) inner: $inner,
        }
        impl<$($lt,)? K, V> Iterator for $name<$($lt,)? K, V> {
            type Item = $item;
            #[inline]
            fn next(&mut self) -> Option<$item> {
                self.inner.next().map(|$x| $e)
            }
            fn size_hint(&self) -> (usize, Option<usize>) {
                self.inner.size_hint()
            }
            #[inline]
            fn fold<B, F>(self, init: B, mut f: F) -> B
            where
                F: FnMut(B, $item) -> B,
            {
                self.inner.fold(init, move |acc, $x| f(acc, $e))
            }
        }
        impl<$($lt,)? K, V> ExactSizeIterator for $name<$($lt,)? K, V> {}
        impl<$($lt,)? K, V> FusedIterator for $name<$($lt,)? K, V> {}
        impl<$($lt,)? K, V> Default for $name<$($lt,)? K, V> {
            /// An empty iterator, as std's.
            fn default() -> Self {
                $name { inner: Default::default() }
            }
        }
    };
}

/// `Debug` for a projection that cannot show its items without consuming
/// them: the count left.
macro_rules! debug_remaining {
    ($name:ident<$($lt:lifetime,)? K, V>) => {
        impl<$($lt,)? K, V> fmt::Debug for $name<$($lt,)? K, V> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("remaining", &self.inner.size_hint().0).finish()
            }
        }
    };
}

projection!(
    /// Iterator over keys, from [`GoMap::keys`].
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u8, ()> = [(1, ())].into_iter().collect();
    /// assert_eq!(m.keys().next(), Some(&1));
    /// ```
    Keys<'a, K, V>: Iter<'a, K, V> => &'a K, |(k, _)| k
);
projection!(
    /// Iterator over values, from [`GoMap::values`].
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u8, u8> = [(1, 5)].into_iter().collect();
    /// assert_eq!(m.values().next(), Some(&5));
    /// ```
    Values<'a, K, V>: Iter<'a, K, V> => &'a V, |(_, v)| v
);
projection!(
    /// Iterator over mutable values, from [`GoMap::values_mut`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u8, u8> = [(1, 5)].into_iter().collect();
    /// *m.values_mut().next().unwrap() = 6;
    /// assert_eq!(m[&1], 6);
    /// ```
    ValuesMut<'a, K, V>: IterMut<'a, K, V> => &'a mut V, |(_, v)| v
);
projection!(
    /// Owning iterator over keys, from [`GoMap::into_keys`].
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u8, ()> = [(1, ())].into_iter().collect();
    /// assert_eq!(m.into_keys().collect::<Vec<_>>(), [1]);
    /// ```
    IntoKeys<K, V>: IntoIter<K, V> => K, |(k, _)| k
);
projection!(
    /// Owning iterator over values, from [`GoMap::into_values`].
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u8, u8> = [(1, 2)].into_iter().collect();
    /// assert_eq!(m.into_values().collect::<Vec<_>>(), [2]);
    /// ```
    IntoValues<K, V>: IntoIter<K, V> => V, |(_, v)| v
);

debug_remaining!(ValuesMut<'a, K, V>);
debug_remaining!(IntoKeys<K, V>);
debug_remaining!(IntoValues<K, V>);

/// The keys not yet yielded, as a list (std's form).
///
/// ```
/// let m: gomap::GoMap<u8, u8> = [(1, 2)].into_iter().collect();
/// assert_eq!(format!("{:?}", m.keys()), "[1]");
/// ```
impl<K: fmt::Debug, V> fmt::Debug for Keys<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// The values not yet yielded, as a list (std's form).
///
/// ```
/// let m: gomap::GoMap<u8, u8> = [(1, 2)].into_iter().collect();
/// assert_eq!(format!("{:?}", m.values()), "[2]");
/// ```
impl<K, V: fmt::Debug> fmt::Debug for Values<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<K, V> Clone for Keys<'_, K, V> {
    fn clone(&self) -> Self {
        Keys {
            inner: self.inner.clone(),
        }
    }
}
impl<K, V> Clone for Values<'_, K, V> {
    fn clone(&self) -> Self {
        Values {
            inner: self.inner.clone(),
        }
    }
}

/// Owning iterator over `(K, V)`, from `GoMap::into_iter`.
///
/// # Examples
///
/// ```
/// let m: gomap::GoMap<u8, u8> = [(1, 2)].into_iter().collect();
/// let v: Vec<(u8, u8)> = m.into_iter().collect();
/// assert_eq!(v, [(1, 2)]);
/// ```
pub struct IntoIter<K, V> {
    pub(super) raw: RawMap<K, V>,
    pub(super) it: PhysIter,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);
    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        let s = self.it.next(&self.raw)?;
        // SAFETY: live slot of the owned map.
        Some(unsafe { self.raw.take_at(s) })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.raw.len(), Some(self.raw.len()))
    }
}
impl<K, V> ExactSizeIterator for IntoIter<K, V> {}

impl<K, V> Default for IntoIter<K, V> {
    /// An empty iterator, as std's `hash_map::IntoIter::default()`.
    ///
    /// ```
    /// let mut it: gomap::IntoIter<u8, u8> = Default::default();
    /// assert_eq!((it.len(), it.next()), (0, None));
    /// ```
    fn default() -> Self {
        IntoIter {
            raw: RawMap::new(),
            it: PhysIter::new(),
        }
    }
}
impl<K, V> FusedIterator for IntoIter<K, V> {}

impl<K, V> fmt::Debug for IntoIter<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.raw.len())
            .finish()
    }
}

/// Iterator that removes and yields the entries a predicate selects, from
/// [`GoMap::extract_if`].
///
/// Dropping it keeps every entry it has not visited.
///
/// # Examples
///
/// ```
/// let mut m: gomap::GoMap<u8, u8> = [(1, 1), (2, 2)].into_iter().collect();
/// let it: gomap::ExtractIf<'_, u8, u8, _> = m.extract_if(|k, _| *k == 2);
/// assert_eq!(it.collect::<Vec<_>>(), [(2, 2)]);
/// assert_eq!(m.len(), 1);
/// ```
#[must_use = "iterators are lazy: an ExtractIf removes nothing unless advanced"]
pub struct ExtractIf<'a, K, V, F> {
    pub(super) raw: &'a mut RawMap<K, V>,
    pub(super) it: Hiter,
    pub(super) pred: F,
}

impl<K, V, F> Iterator for ExtractIf<'_, K, V, F>
where
    F: FnMut(&K, &mut V) -> bool,
{
    type Item = (K, V);
    fn next(&mut self) -> Option<(K, V)> {
        loop {
            // SAFETY: the map is exclusively borrowed by this iterator since
            // `it` was created; the only change since is the removal of
            // slots `it` already yielded, which `Hiter::next` allows.
            let s = unsafe { self.it.next(self.raw) }?;
            // SAFETY: a live slot; the references end before the removal.
            let (k, v) = unsafe { self.raw.refs_mut(s) };
            if (self.pred)(k, v) {
                // SAFETY: s is still live (`pred` could not touch the map),
                // found with no mutation since but removals of yielded slots.
                return Some(unsafe { self.raw.remove_at(s) });
            }
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.it.remaining))
    }
}
impl<K, V, F> FusedIterator for ExtractIf<'_, K, V, F> where F: FnMut(&K, &mut V) -> bool {}

impl<K, V, F> fmt::Debug for ExtractIf<'_, K, V, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtractIf")
            .field("unvisited", &self.it.remaining)
            .finish_non_exhaustive()
    }
}

/// Draining iterator, from [`GoMap::drain`].
///
/// # Examples
///
/// ```
/// let mut m: gomap::GoMap<u8, u8> = [(1, 2)].into_iter().collect();
/// assert_eq!(m.drain().collect::<Vec<_>>(), [(1, 2)]);
/// assert!(m.is_empty());
/// ```
pub struct Drain<'a, K, V> {
    pub(super) raw: &'a mut RawMap<K, V>,
    pub(super) it: PhysIter,
}

impl<K, V> Iterator for Drain<'_, K, V> {
    type Item = (K, V);
    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        let s = self.it.next(self.raw)?;
        // SAFETY: live slot; the map is exclusively borrowed.
        Some(unsafe { self.raw.take_at(s) })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.raw.len(), Some(self.raw.len()))
    }
}
impl<K, V> ExactSizeIterator for Drain<'_, K, V> {}
impl<K, V> FusedIterator for Drain<'_, K, V> {}

impl<K, V> Drop for Drain<'_, K, V> {
    fn drop(&mut self) {
        // Drops what was not consumed (panic-safe) and resets the layout.
        self.raw.clear();
    }
}

impl<K, V> fmt::Debug for Drain<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain")
            .field("remaining", &self.raw.len())
            .finish()
    }
}

impl<K, V, S> IntoIterator for GoMap<K, V, S> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;
    fn into_iter(self) -> IntoIter<K, V> {
        IntoIter {
            raw: self.raw,
            it: PhysIter::new(),
        }
    }
}

impl<'a, K, V, S> IntoIterator for &'a GoMap<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V, S> IntoIterator for &'a mut GoMap<K, V, S> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}
