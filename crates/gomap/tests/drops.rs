//! Drop counting: no leak, no double drop — also when a user `Hash`, `Eq`,
//! `Clone` or `Drop` panics mid-operation. After such a panic the map stays
//! usable and consistent.

use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use gomap::GoMap;

mod common;
use common::{countdown, live, LIVE, PANIC_CLONE_AT, PANIC_EQ_AT, PANIC_HASH_AT};

/// A key/value that counts live instances and can panic on demand.
#[derive(Debug)]
struct D {
    id: u64,
    panic_on_drop: bool,
    _pad: [u64; 2],
}

impl D {
    fn new(id: u64) -> D {
        LIVE.with(|l| l.set(l.get() + 1));
        D {
            id,
            panic_on_drop: false,
            _pad: [0; 2],
        }
    }
}

impl Drop for D {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
        if self.panic_on_drop {
            panic!("drop of {} panicked", self.id);
        }
    }
}

impl Clone for D {
    fn clone(&self) -> D {
        if countdown(&PANIC_CLONE_AT) {
            panic!("clone panicked");
        }
        D::new(self.id)
    }
}

impl PartialEq for D {
    fn eq(&self, o: &D) -> bool {
        if countdown(&PANIC_EQ_AT) {
            panic!("eq panicked");
        }
        self.id == o.id
    }
}
impl Eq for D {}

impl Hash for D {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if countdown(&PANIC_HASH_AT) {
            panic!("hash panicked");
        }
        self.id.hash(h);
    }
}

fn n() -> u64 {
    if cfg!(miri) {
        60
    } else {
        2000
    }
}

#[test]
fn every_entry_dropped_exactly_once() {
    let base = live();
    {
        let mut m = GoMap::new();
        for i in 0..n() {
            m.insert(D::new(i), D::new(i));
        }
        assert_eq!(live() - base, 2 * n() as isize);
        for i in (0..n()).step_by(3) {
            assert!(m.remove(&D::new(i)).is_some());
        }
        // Overwrite: the new key is dropped, the old value returned.
        let old = m.insert(D::new(1), D::new(100));
        assert!(old.is_some());
        drop(old);
        m.retain(|k, _| k.id % 5 != 0);
        let c = m.clone();
        let mut d = m.clone();
        d.drain().take(3).for_each(drop);
        assert!(d.is_empty());
        let it = c.into_iter().take(5).count();
        assert_eq!(it, 5);
        m.clear();
        for i in 0..n() {
            m.insert(D::new(i), D::new(i));
        }
        let _ = m.into_keys().take(2).count();
    }
    assert_eq!(live(), base, "leak or double drop");
}

#[test]
fn drops_while_growing() {
    let base = live();
    {
        let mut m = GoMap::new();
        for i in 0..105 {
            m.insert(D::new(i), D::new(i));
        }
        assert!(m.stats().growing);
        let c = m.clone();
        assert!(c.stats().growing);
        assert_eq!(c.len(), 105);
        for i in 0..105 {
            assert_eq!(c.get(&D::new(i)).map(|v| v.id), Some(i));
        }
    }
    assert_eq!(live(), base);
}

#[test]
fn panicking_hash_during_evacuation_leaves_map_consistent() {
    let base = live();
    {
        let mut m = GoMap::new();
        for i in 0..105 {
            m.insert(D::new(i), D::new(i));
        }
        assert!(m.stats().growing);
        let mut panics = 0;
        for round in 0..40u64 {
            // Panic on the 1st..Nth hash call of this insert: the key's own
            // hash or one inside evacuation.
            PANIC_HASH_AT.with(|p| p.set((round % 7) as usize));
            let r = catch_unwind(AssertUnwindSafe(|| {
                m.insert(D::new(1000 + round), D::new(0));
            }));
            PANIC_HASH_AT.with(|p| p.set(usize::MAX));
            panics += r.is_err() as u32;
            for i in 0..105 {
                assert_eq!(
                    m.get(&D::new(i)).map(|v| v.id),
                    Some(i),
                    "lost key {i} in round {round}"
                );
            }
        }
        assert!(panics > 0);
        let count = m.iter().count();
        assert_eq!(count, m.len());
    }
    assert_eq!(live(), base);
}

#[test]
fn panicking_eq_keeps_map_usable() {
    let base = live();
    {
        let mut m = GoMap::new();
        for i in 0..50 {
            m.insert(D::new(i), D::new(i));
        }
        for round in 0..20 {
            PANIC_EQ_AT.with(|p| p.set(0));
            let r = catch_unwind(AssertUnwindSafe(|| {
                if round % 2 == 0 {
                    m.insert(D::new(round), D::new(999));
                } else {
                    m.remove(&D::new(round));
                }
            }));
            PANIC_EQ_AT.with(|p| p.set(usize::MAX));
            assert!(r.is_err());
            assert_eq!(m.len(), 50);
        }
        for i in 0..50 {
            assert_eq!(m.get(&D::new(i)).map(|v| v.id), Some(i));
        }
    }
    assert_eq!(live(), base);
}

#[test]
fn panicking_clone_drops_the_partial_copy() {
    let base = live();
    {
        let mut m = GoMap::new();
        for i in 0..n() {
            m.insert(D::new(i), D::new(i));
        }
        for at in [0usize, 1, 7, 100] {
            PANIC_CLONE_AT.with(|p| p.set(at));
            let r = catch_unwind(AssertUnwindSafe(|| m.clone()));
            PANIC_CLONE_AT.with(|p| p.set(usize::MAX));
            assert!(r.is_err());
            assert_eq!(live() - base, 2 * n() as isize, "partial clone leaked");
        }
        assert_eq!(m.len(), n() as usize);
    }
    assert_eq!(live(), base);
}

#[test]
fn panicking_drop_still_drops_the_rest() {
    for how in 0..3 {
        let base = live();
        let mut m = GoMap::new();
        for i in 0..40 {
            let mut v = D::new(i);
            v.panic_on_drop = i == 17;
            m.insert(D::new(i), v);
        }
        let r = catch_unwind(AssertUnwindSafe(|| match how {
            0 => m.clear(),
            1 => m.retain(|_, _| false),
            _ => drop(std::mem::take(&mut m)),
        }));
        assert!(r.is_err());
        if how == 1 {
            // retain stopped at the panicking drop; the rest is still there.
            assert_eq!(m.len() as isize * 2, live() - base);
            m.clear();
        }
        assert!(m.is_empty());
        assert_eq!(live(), base, "case {how}");
        m.insert(D::new(1), D::new(1));
        assert_eq!(m.len(), 1);
    }
}

#[test]
fn zero_sized_keys_and_values() {
    let mut m: GoMap<(), ()> = GoMap::new();
    assert_eq!(m.insert((), ()), None);
    assert_eq!(m.insert((), ()), Some(()));
    assert_eq!(m.len(), 1);
    assert_eq!(m.remove(&()), Some(()));
    assert!(m.is_empty());

    let mut s: GoMap<u32, ()> = (0..1000).map(|i| (i, ())).collect();
    assert_eq!(s.len(), 1000);
    s.retain(|k, _| k % 2 == 0);
    assert_eq!(s.iter().count(), 500);

    #[derive(PartialEq, Eq, Hash, Clone, Copy, Debug)]
    struct Unit;
    let mut u: GoMap<Unit, u64> = GoMap::new();
    *u.entry(Unit).or_insert(0) += 5;
    assert_eq!(u[&Unit], 5);
}

#[test]
fn big_keys_and_values_are_stored_indirectly() {
    let base = live();
    {
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        struct Big([u64; 20], Rc<()>);
        let rc = Rc::new(());
        let mut m: GoMap<Big, [u8; 200]> = GoMap::new();
        assert!(m.stats().indirect_key && m.stats().indirect_value);
        for i in 0..300u64 {
            let mut k = [0u64; 20];
            k[19] = i;
            m.insert(Big(k, rc.clone()), [i as u8; 200]);
        }
        assert_eq!(Rc::strong_count(&rc), 301);
        for i in (0..300u64).step_by(2) {
            let mut k = [0u64; 20];
            k[19] = i;
            assert_eq!(m.remove(&Big(k, rc.clone())), Some([i as u8; 200]));
        }
        assert_eq!(Rc::strong_count(&rc), 151);
        let c = m.clone();
        assert_eq!(Rc::strong_count(&rc), 301);
        drop(c);
        drop(m);
        assert_eq!(Rc::strong_count(&rc), 1);

        let mut dm: GoMap<u64, D> = GoMap::new();
        #[allow(dead_code)]
        struct BigD(D, [u64; 30]);
        let mut bm: GoMap<u64, BigD> = GoMap::new();
        for i in 0..100 {
            dm.insert(i, D::new(i));
            bm.insert(i, BigD(D::new(i), [0; 30]));
        }
        assert!(bm.stats().indirect_value);
    }
    assert_eq!(live(), base);
}
