//! `serde`: a [`SyncMap`] serializes as a map and deserializes from one.
//!
//! Serializing walks the map with [`SyncMap::range`], so it has Go's
//! `Range` guarantees and no more: each key is visited at most once, and an
//! entry stored or deleted concurrently may or may not be included. The
//! number of entries is not known in advance (a `sync.Map` has no length),
//! so the map is serialized with no length hint; formats that need one up
//! front (such as `bincode`) report their own error.
//!
//! Deserializing stores the entries in input order; a repeated key keeps its
//! last value, as a sequence of `Store`s does.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SyncMap;

impl<K, V, S> Serialize for SyncMap<K, V, S>
where
    K: Serialize + Hash + Eq + Clone,
    V: Serialize,
    S: BuildHasher,
{
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut m = serializer.serialize_map(None)?;
        let mut result = Ok(());
        self.range(|k, v| {
            result = m.serialize_entry(k, v);
            result.is_ok()
        });
        result?;
        m.end()
    }
}

struct SyncMapVisitor<K, V, S>(PhantomData<SyncMap<K, V, S>>);

impl<'de, K, V, S> Visitor<'de> for SyncMapVisitor<K, V, S>
where
    K: Deserialize<'de> + Hash + Eq + Clone,
    V: Deserialize<'de>,
    S: BuildHasher + Default,
{
    type Value = SyncMap<K, V, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let m = SyncMap::with_hasher(S::default());
        while let Some((k, v)) = access.next_entry()? {
            m.store(k, v);
        }
        Ok(m)
    }
}

impl<'de, K, V, S> Deserialize<'de> for SyncMap<K, V, S>
where
    K: Deserialize<'de> + Hash + Eq + Clone,
    V: Deserialize<'de>,
    S: BuildHasher + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SyncMapVisitor(PhantomData))
    }
}
