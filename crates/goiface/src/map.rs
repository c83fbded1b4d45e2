//! `map[any]V`: a [`gomap::GoMap`] keyed by [`Eface`], plus Go's nil map.
//!
//! `GoMap<Eface, V>` already behaves like Go's map with interface keys:
//! [`Eface`]'s `Hash` is `nilinterhash` (panicking on unhashable keys, random
//! for NaN) and its `Eq` is `efaceeq`; like Go 1.19's `mapaccess` it hashes
//! the key even when the map is empty, so `m[[]int{}]` panics there. Go
//! does so on a nil map too: [`AnyMap`] adds the nil map and that rule.

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
            Some(m) => m.get(k),
            None => {
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
            Some(m) => m.remove(k),
            None => {
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
