//! [`Cursor`]: Go's `for k, v := range m` with writes allowed in the loop body.
//!
//! A cursor holds no pointer into the map, only a position in *hash space*
//! (see `raw/iter.rs` for the design), so the map can be freely written
//! between steps, grow once or several times, and the cursor still keeps
//! Go's promises:
//!
//! 1. every entry present for the whole iteration is yielded exactly once;
//! 2. an entry removed before the cursor reaches it is not yielded;
//! 3. an entry added during the iteration is yielded at most once;
//! 4. an entry updated before it is reached is yielded with its new value.
//!
//! These hold also when keys' full 64-bit hashes collide (a constant
//! hasher included): such keys are ordered by a second hash of the key that
//! the cursor computes itself. The one exception, documented on [`Cursor`]:
//! distinct keys whose `Hash` impls write the *same bytes*, when one of them
//! is inserted or removed while the cursor is between two of them *and* the
//! map moves entries (grows) between those two steps.

use core::fmt;
use core::hash::{BuildHasher, Hash, Hasher};

use crate::map::rehash;
use crate::raw::iter::CursorState;
use crate::GoMap;

/// A resumable iteration over a [`GoMap`] that tolerates inserts and removes
/// between steps, like Go's `range` loop.
///
/// Create one with [`GoMap::cursor`] and pass the map to every
/// [`next`](Cursor::next) call; in between, the map is yours to modify.
/// The walk starts at a random point, so two cursors visit entries in
/// different orders, as two Go `range` loops do.
///
/// Using a cursor with a map other than the one that created it (a clone
/// counts as another map) is an error: [`next`](Cursor::next) panics and
/// [`try_next`](Cursor::try_next) returns [`CursorError::WrongMap`]. It is
/// never undefined behaviour: the cursor holds no pointers. (Maps made by
/// the `const` [`GoMap::with_hasher`] share one identity, so a mix-up
/// between two of them goes unreported; see there.)
///
/// Guarantees, as Go's `range` loop gives them:
///
/// 1. every entry present for the whole iteration is yielded exactly once;
/// 2. an entry removed before the cursor reaches it is not yielded —
///    removing the entry just yielded, or any other, never makes the cursor
///    skip or repeat one (`for k := range m { delete(m, k) }` visits every
///    key);
/// 3. an entry added during the iteration is yielded at most once;
/// 4. an entry updated before it is reached is yielded with its new value.
///
/// These hold whatever the hasher, a constant one included: entries are
/// visited in the order of their hash and, where hashes are equal, of a
/// second hash the cursor computes from the bytes the key's `Hash` impl
/// writes (FNV-1a, independent of the map's hasher).
///
/// Cost: each step rehashes the keys of one bucket chain (about 6.5 keys at
/// full load), so a full walk costs a few hashes per entry, plus one
/// tie-break hash per yielded entry.
///
/// Limitation: distinct keys whose `Hash` impls write the *same bytes*
/// (equal for every hasher, yet not `Eq`), and keys whose map hashes and
/// tie-break hashes both collide (odds about 2^-64 per colliding pair), are
/// told apart by their slot in the bucket chain, which inserts and removes
/// never change, so the guarantees hold for them too — except across two
/// steps between which the map moved entries (a grow evacuating buckets, as
/// writes do while the map is growing; `reserve`; `clear`): if one such key
/// is also inserted or removed between those two steps while the cursor is
/// in the middle of their group, the cursor can yield one of the group
/// twice or skip one.
///
/// `Go: for k, v := range m { m[x] = y; delete(m, z) }`
///
/// # Examples
///
/// ```
/// use gomap::GoMap;
///
/// let mut m: GoMap<u32, u32> = (0..1000).map(|i| (i, i)).collect();
/// let mut c = m.cursor();
/// let mut yielded = 0;
/// while let Some((&k, &v)) = c.next(&m) {
///     assert_eq!(k, v);
///     yielded += 1;
///     // Grow the map while iterating: the cursor keeps its promises.
///     m.insert(k + 1_000_000, k + 1_000_000);
/// }
/// assert!(yielded >= 1000 && yielded <= 2000);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Cursor {
    map_id: u64,
    state: CursorState,
}

/// Why a cursor step failed.
///
/// # Examples
///
/// ```
/// let a: gomap::GoMap<u8, u8> = [(1, 1)].into_iter().collect();
/// let b = a.clone();
/// let mut c = a.cursor();
/// assert_eq!(c.try_next(&b), Err(gomap::CursorError::WrongMap));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CursorError {
    /// The cursor was created by a different map.
    WrongMap,
}

impl fmt::Display for CursorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CursorError::WrongMap => {
                f.write_str("gomap: cursor used with a map that did not create it")
            }
        }
    }
}

impl core::error::Error for CursorError {}

impl Cursor {
    pub(crate) fn new(map_id: u64, start: u64) -> Self {
        Cursor {
            map_id,
            state: CursorState::new(start),
        }
    }

    /// The next entry, or `None` once every entry has been visited.
    ///
    /// # Panics
    ///
    /// Panics if `map` is not the map that created this cursor.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u8, u8> = [(1, 10), (2, 20)].into_iter().collect();
    /// let mut c = m.cursor();
    /// let mut sum = 0;
    /// while let Some((_, v)) = c.next(&m) {
    ///     sum += *v;
    /// }
    /// assert_eq!(sum, 30);
    /// assert_eq!(c.next(&m), None); // stays finished
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn next<'m, K, V, S>(&mut self, map: &'m GoMap<K, V, S>) -> Option<(&'m K, &'m V)>
    where
        K: Hash + Eq,
        S: BuildHasher,
    {
        match self.try_next(map) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`next`](Self::next), but reports a wrong map as an error.
    ///
    /// # Errors
    ///
    /// [`CursorError::WrongMap`] if `map` did not create this cursor; the
    /// cursor is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u8, u8> = [(1, 10)].into_iter().collect();
    /// let mut c = m.cursor();
    /// assert_eq!(c.try_next(&m), Ok(Some((&1, &10))));
    /// assert_eq!(c.try_next(&m), Ok(None));
    /// ```
    pub fn try_next<'m, K, V, S>(
        &mut self,
        map: &'m GoMap<K, V, S>,
    ) -> Result<Option<(&'m K, &'m V)>, CursorError>
    where
        K: Hash + Eq,
        S: BuildHasher,
    {
        if map.id != self.map_id {
            return Err(CursorError::WrongMap);
        }
        let hb = &map.hash_builder;
        Ok(self
            .state
            .next(&map.raw, |k| rehash(hb, k), tiebreak)
            .map(|s| {
                // SAFETY: a live slot of `map`, borrowed shared for 'm.
                unsafe { map.raw.refs(s) }
            }))
    }

    /// The next entry with its value borrowed mutably.
    ///
    /// # Panics
    ///
    /// Panics if `map` is not the map that created this cursor.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: gomap::GoMap<u8, u8> = [(1, 10), (2, 20)].into_iter().collect();
    /// let mut c = m.cursor();
    /// while let Some((_, v)) = c.next_mut(&mut m) {
    ///     *v += 1;
    /// }
    /// assert_eq!(m[&1], 11);
    /// ```
    pub fn next_mut<'m, K, V, S>(
        &mut self,
        map: &'m mut GoMap<K, V, S>,
    ) -> Option<(&'m K, &'m mut V)>
    where
        K: Hash + Eq,
        S: BuildHasher,
    {
        if map.id != self.map_id {
            panic!("{}", CursorError::WrongMap);
        }
        let hb = &map.hash_builder;
        let s = self.state.next(&map.raw, |k| rehash(hb, k), tiebreak)?;
        // SAFETY: a live slot of `map`, borrowed exclusively for 'm.
        Some(unsafe { map.raw.refs_mut(s) })
    }

    /// Whether the cursor has finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gomap::GoMap<u8, u8> = gomap::GoMap::new();
    /// let mut c = m.cursor();
    /// assert!(!c.is_finished());
    /// assert_eq!(c.next(&m), None);
    /// assert!(c.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.state.done()
    }
}

/// The cursor's own hash of a key, ordering keys whose map hashes are
/// equal: FNV-1a (64-bit) over the bytes `K::hash` writes, then a final
/// mix so that keys differing in the last byte differ in every bit. Fixed,
/// not seeded: it only breaks ties, and a collision here costs only the
/// chain-order fallback documented on [`Cursor`].
fn tiebreak<K: Hash>(k: &K) -> u64 {
    let mut h = Fnv1a(FNV_OFFSET);
    k.hash(&mut h);
    h.finish()
}

/// FNV-1a offset basis (64-bit).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a prime (64-bit).
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(FNV_PRIME);
        }
    }
    fn finish(&self) -> u64 {
        // The splitmix64 finaliser.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor")
            .field("finished", &self.state.done())
            .finish_non_exhaustive()
    }
}
