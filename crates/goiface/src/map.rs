//! `map[any]V`: a [`gomap::GoMap`] keyed by [`Eface`], plus Go's nil map.
//!
//! `GoMap<Eface, V>` already behaves like Go's map with interface keys:
//! [`Eface`]'s `Hash` is `nilinterhash` (panicking on unhashable keys, random
//! for NaN) and its `Eq` is `efaceeq`. What it cannot know is Go's rule for
//! an empty or nil map: Go 1.19's `mapaccess` still hashes the key when the
//! key type "might panic" (interfaces do), so `m[[]int{}]` panics even on a
//! nil map. [`AnyMap`] adds that rule and the nil map itself.

use gomap::GoMap;

use crate::alg::try_nilinterhash;
use crate::iface::Eface;

/// Go's `map[any]V`, including the nil map.
///
/// # Examples
///
/// ```
/// use goiface::{AnyMap, Eface};
/// let mut m = AnyMap::make();
/// m.insert(Eface::from_int(1), "int");
/// m.insert(Eface::from_f64(f64::NAN), "nan");
/// m.insert(Eface::from_f64(f64::NAN), "nan"); // NaN != NaN: a second key
/// assert_eq!(m.len(), 3);
/// assert_eq!(m.get(&Eface::from_int(1)), Some(&"int"));
/// assert_eq!(m.get(&Eface::from_f64(f64::NAN)), None);
/// ```
pub struct AnyMap<V> {
    map: Option<GoMap<Eface, V>>,
}

impl<V> Default for AnyMap<V> {
    fn default() -> Self {
        AnyMap::nil()
    }
}

impl<V> AnyMap<V> {
    /// Go: `var m map[any]V` (nil).
    pub fn nil() -> AnyMap<V> {
        AnyMap { map: None }
    }

    /// Go: `make(map[any]V)`.
    pub fn make() -> AnyMap<V> {
        AnyMap {
            map: Some(GoMap::new()),
        }
    }

    /// `m == nil`.
    pub fn is_nil(&self) -> bool {
        self.map.is_none()
    }

    /// `len(m)`.
    #[inline]
    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, |m| m.len())
    }

    /// `len(m) == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Go: `v, ok := m[k]`.
    ///
    /// # Panics
    ///
    /// `runtime error: hash of unhashable type T` for an unhashable key, even
    /// on a nil or empty map (Go: `hashMightPanic`).
    #[inline]
    pub fn get(&self, k: &Eface) -> Option<&V> {
        match &self.map {
            Some(m) if !m.is_empty() => m.get(k),
            _ => {
                if let Err(e) = try_nilinterhash(k, 0) {
                    panic!("{e}");
                }
                None
            }
        }
    }

    /// Go: `m[k] = v`; returns the old value.
    ///
    /// # Panics
    ///
    /// `assignment to entry in nil map` on a nil map; the unhashable-key
    /// panic as [`AnyMap::get`].
    pub fn insert(&mut self, k: Eface, v: V) -> Option<V> {
        match &mut self.map {
            Some(m) => m.insert(k, v),
            None => panic!("assignment to entry in nil map"),
        }
    }

    /// Go: `delete(m, k)`; returns the removed value.
    ///
    /// # Panics
    ///
    /// The unhashable-key panic as [`AnyMap::get`] (Go 1.19's `mapdelete`
    /// also hashes first on a nil or empty map).
    pub fn remove(&mut self, k: &Eface) -> Option<V> {
        match &mut self.map {
            Some(m) if !m.is_empty() => m.remove(k),
            _ => {
                if let Err(e) = try_nilinterhash(k, 0) {
                    panic!("{e}");
                }
                None
            }
        }
    }

    /// The underlying map (`None` if nil).
    pub fn as_gomap(&self) -> Option<&GoMap<Eface, V>> {
        self.map.as_ref()
    }
}
