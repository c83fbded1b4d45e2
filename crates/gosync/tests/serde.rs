//! `serde` for `SyncMap`: round trips through JSON, error paths, drops.
#![cfg(all(feature = "serde", feature = "std"))]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use gosync::SyncMap;
use serde::{Deserialize, Serialize, Serializer};

fn contents<K: Ord + Clone + std::hash::Hash + Eq, V: Clone>(m: &SyncMap<K, V>) -> BTreeMap<K, V> {
    let mut out = BTreeMap::new();
    m.range(|k, v| {
        out.insert(k.clone(), v.clone());
        true
    });
    out
}

#[test]
fn round_trip_through_json() {
    let m: SyncMap<String, u32> = (0..20u32).map(|i| (format!("k{i}"), i * i)).collect();
    m.delete(&"k3".to_string());
    let json = serde_json::to_string(&m).unwrap();
    let back: SyncMap<String, u32> = serde_json::from_str(&json).unwrap();
    assert_eq!(contents(&back), contents(&m));
    assert_eq!(contents(&back).len(), 19);
    assert_eq!(back.load(&"k3".to_string()), None);
    assert_eq!(back.load(&"k19".to_string()), Some(361));
}

#[test]
fn serializes_as_a_json_object() {
    let m = SyncMap::new();
    m.store(1u8, "one");
    assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"1":"one"}"#);
    let empty: SyncMap<u8, u8> = SyncMap::new();
    assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
}

#[test]
fn round_trip_inside_a_struct() {
    #[derive(Serialize, Deserialize)]
    struct Registry {
        name: String,
        entries: SyncMap<u32, Vec<u8>>,
    }
    let r = Registry {
        name: "r".into(),
        entries: SyncMap::new(),
    };
    r.entries.store(7, vec![1, 2]);
    r.entries.store(8, vec![]);
    let json = serde_json::to_string(&r).unwrap();
    let back: Registry = serde_json::from_str(&json).unwrap();
    assert_eq!(back.name, "r");
    assert_eq!(contents(&back.entries), contents(&r.entries));
}

#[test]
fn a_repeated_key_keeps_its_last_value() {
    let m: SyncMap<String, u32> = serde_json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    assert_eq!(m.load(&"a".to_string()), Some(3));
    assert_eq!(contents(&m).len(), 2);
}

#[test]
fn bad_input_is_an_error() {
    let r: Result<SyncMap<String, u32>, _> = serde_json::from_str(r#"[1, 2]"#);
    let e = r.expect_err("a list is not a map").to_string();
    assert!(e.contains("a map"), "{e}");
    let r: Result<SyncMap<String, u32>, _> = serde_json::from_str(r#"{"a":"x"}"#);
    assert!(r.is_err());
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// A value that counts live instances.
#[derive(Debug)]
struct Counted(u32);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        LIVE.fetch_add(1, Ordering::SeqCst);
        Ok(Counted(n))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn a_failed_deserialization_drops_what_it_stored() {
    let r: Result<SyncMap<String, Counted>, _> =
        serde_json::from_str(r#"{"a":1,"b":2,"c":"not a number"}"#);
    assert!(r.is_err());
    assert_eq!(LIVE.load(Ordering::SeqCst), 0, "values leaked");
    let m: SyncMap<String, Counted> = serde_json::from_str(r#"{"a":1,"a":2}"#).unwrap();
    m.reclaim();
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        1,
        "the replaced value was not dropped"
    );
    let mut seen = Vec::new();
    m.range(|_, v| {
        seen.push(v.0);
        true
    });
    assert_eq!(seen, [2]);
    drop(m);
    assert_eq!(LIVE.load(Ordering::SeqCst), 0, "dropping the map leaked");
}

/// A value whose serialization fails: the error comes back and `range`
/// stops at once.
struct Refuses<'a>(&'a AtomicUsize);

impl Serialize for Refuses<'_> {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(serde::ser::Error::custom("refused"))
    }
}

impl Clone for Refuses<'_> {
    fn clone(&self) -> Self {
        Refuses(self.0)
    }
}

#[test]
fn a_serialization_error_stops_the_walk() {
    let calls = AtomicUsize::new(0);
    let m = SyncMap::new();
    for i in 0..5u8 {
        m.store(i, Refuses(&calls));
    }
    let e = serde_json::to_string(&m).unwrap_err();
    assert!(e.to_string().contains("refused"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
