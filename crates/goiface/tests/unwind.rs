//! Panics in user code (method bodies, `Drop` of values behind handles) and
//! Go's run-time panics in the middle of map operations leave every structure
//! usable, with each value dropped exactly once.

mod common;

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use common::*;
use goiface::*;

thread_local! {
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

/// Counts its drops; panics in `drop` when `boom`.
struct Tracked {
    boom: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
        if self.boom {
            panic!("drop boom");
        }
    }
}

fn drops() -> usize {
    DROPS.with(|d| d.get())
}

#[test]
fn panicking_method_leaves_table_and_value_usable() {
    fn boom(_: &Val, _: &[Eface], _: &mut [Eface]) {
        panic!("method boom");
    }
    let i = iface(&["M"]);
    let t = Named::new("main", "Boom", types::int())
        .method(Method::new("M", sig0(), boom))
        .build()
        .unwrap();
    let v = Iface::convert(i, &int_of(t, 1)).unwrap();
    assert_eq!(panic_text(|| v.call(0, &[], &mut [])), "method boom");
    // Everything still works.
    let again = assert_e2i(i, &int_of(t, 2));
    assert!(std::ptr::eq(again.tab().unwrap(), v.tab().unwrap()));
    assert_eq!(v.data(), &Val::Int(1));
}

#[test]
fn unhashable_insert_drops_the_value_once_and_keeps_the_map() {
    let before = drops();
    let mut m: AnyMap<Tracked> = AnyMap::make();
    m.insert(Eface::from_int(1), Tracked { boom: false });
    let bad = Eface::new(types::slice_of(types::int()), Val::Slice(None)).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| {
        m.insert(bad.clone(), Tracked { boom: false })
    }));
    assert!(r.is_err());
    assert_eq!(drops() - before, 1, "the rejected value was dropped once");
    assert_eq!(m.len(), 1);
    assert!(m.get(&Eface::from_int(1)).is_some());
    m.insert(Eface::from_int(2), Tracked { boom: false });
    drop(m);
    assert_eq!(drops() - before, 3, "no leak, no double drop");
}

#[test]
fn panicking_drop_of_an_overwritten_pointee() {
    let before = drops();
    let chan = types::chan_of(ChanDir::Both, types::int());
    let handle = |boom| Val::Ref(Some(Rc::new(Tracked { boom }) as Rc<dyn std::any::Any>));
    let p = new_ptr(chan, handle(true)).unwrap();
    let v = value_of(&p).elem();
    let other = Eface::new(chan, handle(false)).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| v.set(&value_of(&other))));
    assert!(r.is_err(), "the old value's Drop panicked");
    assert_eq!(drops() - before, 1);
    // The new value is in place and the cell is not left borrowed.
    let now = value_of(&p).elem().interface();
    assert!(efaceeq(&now, &other));
    drop((now, other, v, p));
    assert_eq!(drops() - before, 2);
}

#[test]
fn panicking_drop_inside_an_interface_value() {
    let before = drops();
    let chan = types::chan_of(ChanDir::Both, types::int());
    let e = Eface::new(
        chan,
        Val::Ref(Some(
            Rc::new(Tracked { boom: true }) as Rc<dyn std::any::Any>
        )),
    )
    .unwrap();
    let mut m = AnyMap::make();
    m.insert(e, 1);
    let r = catch_unwind(AssertUnwindSafe(move || drop(m)));
    assert!(r.is_err());
    assert_eq!(drops() - before, 1);
}
