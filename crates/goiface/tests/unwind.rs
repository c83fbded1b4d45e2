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

/// A method reached through an embedded interface field (`type S struct{
/// I }`, called as `(&s).M(unsafe.Pointer(&s))` through `I`) may read the
/// struct it was promoted into while it runs, change its own receiver, and
/// panic: the change stays (as in Go, side effects before a panic remain),
/// nothing is left borrowed, and later calls use the same itab.
#[test]
fn panicking_method_through_an_embedded_interface() {
    // func (p *C) M(s unsafe.Pointer) { *p++; _ = *(*S)(s); if *p == 2 { panic } }
    fn m(recv: &Val, args: &[Eface], _: &mut [Eface]) {
        let Val::Pointer(Some(p)) = recv else {
            panic!("M needs *C")
        };
        let Val::Int(n) = p.load() else {
            panic!("C is an int")
        };
        p.store(Val::Int(n + 1));
        let Val::Pointer(Some(s)) = args[0].data() else {
            panic!("the argument is &s")
        };
        let _ = s.load(); // the outer struct is not borrowed during the call
        if n + 1 == 2 {
            panic!("embedded boom");
        }
    }
    let sig = types::func_of(&[types::unsafe_pointer()], &[], false);
    let i = Named::new(
        "main",
        "I",
        types::interface_of("main", &[IMethod::new("M", sig)]).unwrap(),
    )
    .build()
    .unwrap();
    let c = Named::new("main", "C", types::int())
        .method(Method::new("M", sig, m).pointer_receiver())
        .build()
        .unwrap();
    let s = Named::new(
        "main",
        "S",
        types::struct_of("main", &[types::embedded(i)]).unwrap(),
    )
    .build()
    .unwrap();
    let cell = new_ptr(c, Val::Int(0)).unwrap();
    let sp = new_ptr(s, Val::Struct(vec![Val::from(cell.clone())])).unwrap();
    let via = assert_e2i(i, &sp);
    let arg = [Eface::new(types::unsafe_pointer(), sp.data().clone()).unwrap()];
    via.call(0, &arg, &mut []);
    assert_eq!(panic_text(|| via.call(0, &arg, &mut [])), "embedded boom");
    let Val::Pointer(Some(p)) = cell.data() else {
        unreachable!("cell is a *C")
    };
    assert_eq!(p.load(), Val::Int(2), "the change before the panic stays");
    via.call(0, &arg, &mut []);
    assert_eq!(p.load(), Val::Int(3));
    assert!(std::ptr::eq(
        assert_e2i(i, &sp).tab().unwrap(),
        via.tab().unwrap()
    ));
}
