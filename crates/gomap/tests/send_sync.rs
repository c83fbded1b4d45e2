//! `Send` and `Sync` of the map's borrowing and owning types, as std's
//! `HashMap` types have them: every type is checked with keys and values of
//! the four kinds (`Send + Sync`, `Send` only, `Sync` only, neither). The
//! entries held raw positions into the map and a `&dyn` hasher, which made
//! them neither (std's are `Send`/`Sync` when `K` and `V` are), and
//! `IterMut` was `Send` for `K: Sync` where std's is for `K: Send`.
//! Then entries used on another thread, as std's can be.

use std::cell::Cell;
use std::collections::hash_map::DefaultHasher;
use std::hash::BuildHasherDefault;
use std::rc::Rc;
use std::sync::MutexGuard;

use gomap::{Entry, GoMap};
use static_assertions::{assert_impl_all, assert_not_impl_any};

/// `Send + Sync`.
type Both = u32;
/// `Send`, not `Sync`.
type SendOnly = Cell<u32>;
/// `Sync`, not `Send`.
type SyncOnly = MutexGuard<'static, u32>;
/// Neither.
type Neither = Rc<u32>;

/// Asserts `$t` (written with `K`, `V`) is `Send` exactly when `$send` and
/// `Sync` exactly when `$sync`, for `K`, `V` = `$k`, `$v`.
macro_rules! check {
    ($k:ty, $v:ty, $send:tt, $sync:tt, $t:ty) => {
        const _: () = {
            #[allow(dead_code)]
            type K = $k;
            #[allow(dead_code)]
            type V = $v;
            check!(@ $send, Send, $t);
            check!(@ $sync, Sync, $t);
        };
    };
    (@ true, $tr:ident, $t:ty) => {
        assert_impl_all!($t: $tr);
    };
    (@ false, $tr:ident, $t:ty) => {
        assert_not_impl_any!($t: $tr);
    };
}

/// Types that own their entries or borrow the map exclusively (std's
/// `HashMap`, `IntoIter`, `Drain`, the entries, `IterMut`, `ExtractIf`):
/// `Send` when `K` and `V` are, `Sync` when `K` and `V` are.
/// Types that borrow it shared (`Iter`, `Keys`, `Values`): both when `K`
/// and `V` are `Sync`.
macro_rules! kinds {
    ($k:ty, $v:ty, send: $send:tt, sync: $sync:tt) => {
        check!($k, $v, $send, $sync, GoMap<K, V>);
        check!($k, $v, $send, $sync, gomap::Entry<'static, K, V>);
        check!($k, $v, $send, $sync, gomap::OccupiedEntry<'static, K, V>);
        check!($k, $v, $send, $sync, gomap::VacantEntry<'static, K, V>);
        check!($k, $v, $send, $sync, gomap::IterMut<'static, K, V>);
        check!($k, $v, $send, $sync, gomap::ValuesMut<'static, K, V>);
        check!($k, $v, $send, $sync, gomap::IntoIter<K, V>);
        check!($k, $v, $send, $sync, gomap::IntoKeys<K, V>);
        check!($k, $v, $send, $sync, gomap::IntoValues<K, V>);
        check!($k, $v, $send, $sync, gomap::Drain<'static, K, V>);
        check!($k, $v, $send, $sync, gomap::ExtractIf<'static, K, V, fn(&K, &mut V) -> bool>);
        check!($k, $v, $sync, $sync, gomap::Iter<'static, K, V>);
        check!($k, $v, $sync, $sync, gomap::Keys<'static, K, V>);
        check!($k, $v, $sync, $sync, gomap::Values<'static, K, V>);
    };
}

kinds!(Both, Both, send: true, sync: true);
kinds!(Both, SendOnly, send: true, sync: false);
kinds!(Both, SyncOnly, send: false, sync: true);
kinds!(Both, Neither, send: false, sync: false);
kinds!(SendOnly, Both, send: true, sync: false);
kinds!(SendOnly, SendOnly, send: true, sync: false);
kinds!(SendOnly, SyncOnly, send: false, sync: false);
kinds!(SendOnly, Neither, send: false, sync: false);
kinds!(SyncOnly, Both, send: false, sync: true);
kinds!(SyncOnly, SendOnly, send: false, sync: false);
kinds!(SyncOnly, SyncOnly, send: false, sync: true);
kinds!(SyncOnly, Neither, send: false, sync: false);
kinds!(Neither, Both, send: false, sync: false);
kinds!(Neither, SendOnly, send: false, sync: false);
kinds!(Neither, SyncOnly, send: false, sync: false);
kinds!(Neither, Neither, send: false, sync: false);

// The entries carry no hasher: one that is neither `Send` nor `Sync` does
// not change theirs (std's entries carry none either).
assert_impl_all!(Entry<'static, u32, u32>: Send, Sync);
assert_not_impl_any!(GoMap<u32, u32, Rc<BuildHasherDefault<DefaultHasher>>>: Send, Sync);

/// A deterministic hasher, so that two maps built alike lay out alike.
type Fixed = BuildHasherDefault<DefaultHasher>;

/// Entries made on one thread are filled in and removed on others: a
/// vacant entry whose insert lands at the load factor (so `entry` started
/// the grow), an occupied one removed, one updated. The map ends up as the
/// same inserts through `insert` make it, bucket for bucket.
#[test]
fn entries_cross_threads() {
    // Fill to the doubling point of B = 2 (6.5 × 4 = 26 entries): the next
    // new key starts a grow. Smaller under Miri: B = 1 (13 entries).
    let b: u8 = if cfg!(miri) { 1 } else { 2 };
    let full = (13usize << b) / 2;
    let mut m: GoMap<u64, String, Fixed> = GoMap::with_hasher(Fixed::default());
    let mut want: GoMap<u64, String, Fixed> = GoMap::with_hasher(Fixed::default());
    for k in 0..full as u64 {
        m.insert(k, k.to_string());
        want.insert(k, k.to_string());
    }
    assert_eq!((m.stats().b, m.stats().growing), (b, false));

    let next = full as u64;
    let vacant = match m.entry(next) {
        Entry::Vacant(v) => v,
        Entry::Occupied(_) => unreachable!("{next} was never inserted"),
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            assert_eq!(*vacant.key(), next);
            vacant.insert(String::from("new")).push('!');
        });
    });
    want.insert(next, String::from("new!"));
    let stats = m.stats();
    assert_eq!(stats.b, b + 1, "the insert grew the map");
    assert_eq!(m.tophash_dump(), want.tophash_dump());

    let occupied = match m.entry(3) {
        Entry::Occupied(o) => o,
        Entry::Vacant(_) => unreachable!("3 is in the map"),
    };
    let removed = std::thread::scope(|s| s.spawn(move || occupied.remove_entry()).join());
    assert_eq!(removed.unwrap(), (3, String::from("3")));
    match want.entry(3) {
        Entry::Occupied(o) => assert_eq!(o.remove_entry(), (3, String::from("3"))),
        Entry::Vacant(_) => unreachable!("3 is in the map"),
    }

    let entry = m.entry(5);
    std::thread::scope(|s| {
        s.spawn(move || entry.and_modify(|v| v.push('5')).or_default().push('?'));
    });
    want.entry(5)
        .and_modify(|v| v.push('5'))
        .or_default()
        .push('?');
    assert_eq!(want[&5], "55?");

    assert_eq!(m, want);
    assert_eq!(m.tophash_dump(), want.tophash_dump());
    assert_eq!(m.len(), full);
}

/// A vacant entry dropped without inserting: `entry` may have started the
/// grow the insert would start; the map stays whole and the next insert of
/// that key goes where the entry's would have.
#[test]
fn vacant_entry_dropped_after_starting_a_grow() {
    let full = 13usize; // B = 1's doubling point
    let mut m: GoMap<u64, u64, Fixed> = GoMap::with_hasher(Fixed::default());
    let mut want: GoMap<u64, u64, Fixed> = GoMap::with_hasher(Fixed::default());
    for k in 0..full as u64 {
        m.insert(k, k);
        want.insert(k, k);
    }
    assert!(!m.stats().growing);
    match m.entry(100) {
        Entry::Vacant(v) => assert_eq!(v.into_key(), 100),
        Entry::Occupied(_) => unreachable!("100 was never inserted"),
    }
    // The grow started (and, with two old buckets, also finished: each
    // write evacuates two).
    let stats = m.stats();
    assert_eq!(
        (stats.b, stats.len),
        (2, full),
        "the vacant entry grew the map"
    );
    assert!(m.get(&100).is_none());
    for k in 0..full as u64 {
        assert_eq!(m[&k], k);
    }
    m.insert(100, 1);
    want.insert(100, 1);
    assert_eq!(m.tophash_dump(), want.tophash_dump());
}
