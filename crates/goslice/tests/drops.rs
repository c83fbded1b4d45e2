//! Drop counting and panic safety: every element value is dropped exactly
//! once, when the last slice over its array goes (or when overwritten), and a
//! panicking user `Clone`, `Drop` or `Default` never causes a double drop, a
//! leak or undefined behaviour (Miri checks the latter).

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use goslice::Slice;

thread_local! {
    static MADE: Cell<usize> = const { Cell::new(0) };
    static DROPPED: Cell<usize> = const { Cell::new(0) };
    /// Panic in the n-th next clone / drop / default (0 = never).
    static PANIC_CLONE: Cell<usize> = const { Cell::new(0) };
    static PANIC_DROP: Cell<usize> = const { Cell::new(0) };
    static PANIC_DEFAULT: Cell<usize> = const { Cell::new(0) };
}

fn tick(c: &'static std::thread::LocalKey<Cell<usize>>) -> bool {
    c.with(|c| match c.get() {
        0 => false,
        1 => {
            c.set(0);
            true
        }
        n => {
            c.set(n - 1);
            false
        }
    })
}

fn live() -> usize {
    MADE.with(Cell::get) - DROPPED.with(Cell::get)
}

fn made() -> usize {
    MADE.with(Cell::get)
}

/// A value that counts its creations and drops, and can be told to panic.
#[derive(Debug, PartialEq)]
struct D(u32);

impl D {
    fn new(v: u32) -> Self {
        MADE.with(|c| c.set(c.get() + 1));
        D(v)
    }
}

impl Clone for D {
    fn clone(&self) -> Self {
        if tick(&PANIC_CLONE) {
            panic!("clone panics");
        }
        D::new(self.0)
    }
}

impl Default for D {
    fn default() -> Self {
        if tick(&PANIC_DEFAULT) {
            panic!("default panics");
        }
        D::new(0)
    }
}

impl Drop for D {
    fn drop(&mut self) {
        DROPPED.with(|c| c.set(c.get() + 1));
        if tick(&PANIC_DROP) {
            panic!("drop panics");
        }
    }
}

fn ds(n: u32) -> Vec<D> {
    (0..n).map(D::new).collect()
}

#[test]
fn dropped_once_when_the_last_slice_goes() {
    let a = Slice::from(ds(5));
    let b = a.slice(1..3);
    let c = a.clone();
    let d = b.slice3(0, 1, 1);
    assert_eq!(live(), 5);
    drop(a);
    drop(c);
    assert_eq!(live(), 5, "b and d still use the array");
    drop(b);
    assert_eq!(live(), 5);
    drop(d);
    assert_eq!(live(), 0);
}

#[test]
fn set_drops_the_old_value() {
    let s = Slice::from(ds(2));
    s.set(0, D::new(10));
    assert_eq!(live(), 2);
    assert_eq!(s.get(0).0, 10);
    drop(s);
    assert_eq!(live(), 0);
}

#[test]
fn append_growth_keeps_the_old_array_for_its_users() {
    let a = Slice::from(ds(3));
    let b = a.append(D::new(3)); // new array: 3 clones + 1
    assert_eq!(live(), 3 + 4);
    drop(a);
    assert_eq!(live(), 4);
    let c = b.append(D::new(4)); // fits (cap 4 -> no: cap of b?)
    let expect = if b.cap() > 4 { 5 } else { 4 + 5 };
    assert_eq!(live(), expect);
    drop(b);
    drop(c);
    assert_eq!(live(), 0);
}

#[test]
fn append_within_capacity_overwrites_the_slot() {
    let a = Slice::<D>::make(1, 3); // 3 zero values
    assert_eq!(live(), 3);
    let b = a.append(D::new(1)); // replaces a[1]'s zero value
    let c = a.append(D::new(2)); // replaces it again
    assert_eq!(live(), 3);
    assert_eq!(b.get(1).0, 2);
    drop((a, b, c));
    assert_eq!(live(), 0);
}

#[test]
fn push_moves_when_unique() {
    let mut s = Slice::nil();
    for i in 0..100 {
        s.push(D::new(i));
    }
    assert_eq!(made(), 100, "no clones: unique arrays are moved");
    assert_eq!(live(), 100);
    // A unique window in the middle of an array: the rest is dropped on growth.
    let w = Slice::from(ds(6)).slice(2..4); // len 2, cap 4
    let mut w2 = w.clone();
    drop(w);
    w2.push(D::new(50));
    w2.push(D::new(51));
    assert_eq!(live(), 100 + 6);
    w2.push(D::new(52)); // grows: moves 4, drops the 2 elements before the window
    assert_eq!(live(), 100 + 5);
    assert_eq!(
        w2.to_vec().iter().map(|d| d.0).collect::<Vec<_>>(),
        [2, 3, 50, 51, 52]
    );
    drop((s, w2));
    assert_eq!(live(), 0);
}

#[test]
fn make_fills_the_capacity_and_reslice_exposes_it() {
    let s = Slice::<D>::make(1, 4);
    assert_eq!(live(), 4);
    let t = s.slice(..4);
    assert_eq!(t.get(3).0, 0);
    drop((s, t));
    assert_eq!(live(), 0);
}

#[test]
fn copy_drops_overwritten_values() {
    let s = Slice::from(ds(6));
    s.slice(1..).copy_from(&s);
    assert_eq!(live(), 6);
    assert_eq!(
        s.iter().map(|d| d.0).collect::<Vec<_>>(),
        [0, 0, 1, 2, 3, 4]
    );
    let t = Slice::from(ds(2));
    goslice::copy(&t, &s);
    drop((s, t));
    assert_eq!(live(), 0);
}

#[test]
fn panicking_clone_during_growth() {
    let a = Slice::from(ds(4));
    PANIC_CLONE.with(|c| c.set(3)); // third clone panics
    let r = catch_unwind(AssertUnwindSafe(|| a.append(D::new(9))));
    assert!(r.is_err());
    // The two finished clones and the new element were dropped; a is intact.
    assert_eq!(live(), 4);
    assert_eq!(a.len(), 4);
    assert_eq!(a.get(3).0, 3);
    drop(a);
    assert_eq!(live(), 0);
}

#[test]
fn panicking_clone_in_get_releases_the_borrow() {
    let a = Slice::from(ds(2));
    PANIC_CLONE.with(|c| c.set(1));
    assert!(catch_unwind(AssertUnwindSafe(|| a.get(0))).is_err());
    a.set(0, D::new(7)); // writable again
    drop(a);
    assert_eq!(live(), 0);
}

#[test]
fn panicking_drop_in_set_leaves_the_new_value() {
    let a = Slice::from(ds(2));
    PANIC_DROP.with(|c| c.set(1));
    assert!(catch_unwind(AssertUnwindSafe(|| a.set(1, D::new(5)))).is_err());
    assert_eq!(a.get(1).0, 5);
    drop(a);
    assert_eq!(live(), 0);
}

#[test]
fn panicking_drop_when_the_array_goes_still_drops_the_rest() {
    let a = Slice::from(ds(5));
    PANIC_DROP.with(|c| c.set(2));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(a))).is_err());
    assert_eq!(live(), 0);
}

#[test]
fn panicking_drop_during_a_moving_push() {
    let w = Slice::from(ds(6)).slice(2..4);
    let mut s = w.clone();
    drop(w);
    s.push(D::new(10));
    s.push(D::new(11)); // len 4 == cap 4
    PANIC_DROP.with(|c| c.set(1)); // dropping the first leftover panics
    assert!(catch_unwind(AssertUnwindSafe(|| s.push(D::new(12)))).is_err());
    // The header was updated before the leftovers were dropped.
    assert_eq!(s.len(), 4);
    assert_eq!(s.iter().map(|d| d.0).collect::<Vec<_>>(), [2, 3, 10, 11]);
    s.push(D::new(13));
    // The panicking drop lost nothing: 12 was dropped during unwinding.
    drop(s);
    assert_eq!(live(), 0);
}

#[test]
fn panicking_default_in_make() {
    PANIC_DEFAULT.with(|c| c.set(3));
    assert!(catch_unwind(|| Slice::<D>::make(2, 5)).is_err());
    assert_eq!(live(), 0);
    // Reslice past written elements with a panicking zero value.
    let s = Slice::from(ds(1)).append(D::new(1)).with_zero(); // cap 2? grows
    let cap = s.cap();
    if cap > s.len() {
        PANIC_DEFAULT.with(|c| c.set(1));
        assert!(catch_unwind(AssertUnwindSafe(|| s.slice(..cap))).is_err());
        assert_eq!(s.slice(..cap).len(), cap);
    }
    drop(s);
    assert_eq!(live(), 0);
}

#[test]
fn panicking_clone_in_copy() {
    let s = Slice::from(ds(5));
    let t = Slice::from(ds(5));
    PANIC_CLONE.with(|c| c.set(3));
    assert!(catch_unwind(AssertUnwindSafe(|| goslice::copy(&t, &s))).is_err());
    assert_eq!(t.iter().map(|d| d.0).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    PANIC_CLONE.with(|c| c.set(2));
    assert!(catch_unwind(AssertUnwindSafe(|| s.slice(1..).copy_from(&s))).is_err());
    drop((s, t));
    assert_eq!(live(), 0);
}

#[test]
fn clone_that_writes_the_array_panics_instead_of_corrupting() {
    thread_local!(static TARGET: std::cell::RefCell<Option<Slice<W>>> = const { std::cell::RefCell::new(None) });
    #[derive(Debug)]
    struct W(u32);
    impl Clone for W {
        fn clone(&self) -> Self {
            TARGET.with(|t| {
                if let Some(s) = &*t.borrow() {
                    s.set(0, W(99)); // would free the value being cloned
                }
            });
            W(self.0)
        }
    }
    let s = Slice::from(vec![W(1), W(2)]);
    TARGET.with(|t| *t.borrow_mut() = Some(s.clone()));
    let r = catch_unwind(AssertUnwindSafe(|| s.get(0)));
    assert!(r.is_err());
    TARGET.with(|t| *t.borrow_mut() = None);
    assert_eq!(s.get(0).0, 1);
}

#[test]
fn zero_size_values_are_counted_too() {
    thread_local!(static Z: Cell<isize> = const { Cell::new(0) });
    #[derive(Default)]
    struct Zst;
    impl Clone for Zst {
        fn clone(&self) -> Self {
            Z.with(|z| z.set(z.get() + 1));
            Zst
        }
    }
    impl Drop for Zst {
        fn drop(&mut self) {
            Z.with(|z| z.set(z.get() - 1));
        }
    }
    let s = Slice::from(vec![Zst, Zst]);
    Z.with(|z| z.set(2));
    let t = s.append(Zst); // clones 2; the new one counted by hand
    Z.with(|z| z.set(z.get() + 1));
    assert_eq!((t.len(), t.cap()), (3, 3));
    drop((s, t));
    assert_eq!(Z.with(Cell::get), 0);
}
