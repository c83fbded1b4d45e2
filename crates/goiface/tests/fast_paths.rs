//! The hot paths (type switch lanes and sorted runs, the inlined assertion
//! and direct method call, the data word's inline clone and drop) keep Go's
//! semantics: first matching case in source order, hash collisions settled
//! by descriptor identity, every owning value cloned and dropped exactly
//! once, scalars copied bit for bit.

mod common;

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use common::*;
use goiface::*;

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Go's rule, case by case in source order: the model the switch must match.
fn model(cases: &[Case], typ: Option<&'static Type>) -> Option<usize> {
    cases.iter().position(|c| match (*c, typ) {
        (Case::Nil, None) => true,
        (Case::Nil, Some(_)) | (Case::Type(_), None) => false,
        (Case::Type(c), Some(t)) if c.kind() == Kind::Interface => {
            c.imethods().is_empty() || getitab(c, t, true).is_ok()
        }
        (Case::Type(c), Some(t)) => std::ptr::eq(c, t),
    })
}

/// Types for the switch tests: named ints with and without method `M`,
/// each with an impostor of the same name (same hash, other descriptor).
fn pool() -> Vec<&'static Type> {
    let mut ts = Vec::new();
    for k in 0..12 {
        let methods: &[&str] = if k % 3 == 0 { &["M"] } else { &[] };
        ts.push(named_int(&format!("P{k}"), methods));
        if k % 4 == 1 {
            ts.push(named_int(&format!("P{k}"), methods));
        }
    }
    ts.push(types::int());
    ts.push(types::string());
    ts
}

#[test]
fn type_switch_agrees_with_go_rule_on_random_case_lists() {
    let ts = pool();
    let im = iface(&["M"]);
    let iz = iface(&["Z"]);
    let rounds = if cfg!(miri) { 40 } else { 2000 };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..rounds {
        // Up to 24 cases: head lanes, later lanes, and sorted runs (> 8).
        let n = rng.below(25);
        let cases: Vec<Case> = (0..n)
            .map(|_| match rng.below(20) {
                0 => Case::Nil,
                1 => Case::Type(im),
                2 => Case::Type(iz),
                3 => Case::Type(types::any()),
                _ => Case::Type(ts[rng.below(ts.len())]),
            })
            .collect();
        let sw = TypeSwitch::new(&cases);
        assert_eq!(sw.select(&Eface::nil()), model(&cases, None), "{cases:?}");
        for &t in &ts {
            let e = Eface::new(t, t.zero()).unwrap();
            assert_eq!(sw.select(&e), model(&cases, Some(t)), "{t} in {cases:?}");
            if let Some(i) = assert_e2i2(im, &e) {
                assert_eq!(
                    sw.select_iface(&i),
                    model(&cases, Some(t)),
                    "{t} in {cases:?}"
                );
            }
        }
    }
}

#[test]
fn hash_collisions_are_settled_by_descriptor_in_source_order() {
    let real = named_int("C", &[]);
    let impostor = named_int("C", &[]);
    assert_eq!(real.hash(), impostor.hash());
    assert!(!std::ptr::eq(real, impostor));
    // Short run (lanes): the impostor's case comes first.
    let sw = TypeSwitch::new(&[Case::Type(impostor), Case::Type(real)]);
    assert_eq!(sw.select(&int_of(real, 1)), Some(1));
    assert_eq!(sw.select(&int_of(impostor, 1)), Some(0));
    // Long run (sorted, binary search): twelve other cases around them.
    let others: Vec<&'static Type> = (0..12).map(|k| named_int(&format!("O{k}"), &[])).collect();
    let mut cases: Vec<Case> = others[..6].iter().map(|t| Case::Type(t)).collect();
    cases.push(Case::Type(impostor));
    cases.extend(others[6..].iter().map(|t| Case::Type(t)));
    cases.push(Case::Type(real));
    let sw = TypeSwitch::new(&cases);
    assert_eq!(sw.select(&int_of(impostor, 0)), Some(6));
    assert_eq!(sw.select(&int_of(real, 0)), Some(13));
    for (k, t) in others.iter().enumerate() {
        let want = if k < 6 { k } else { k + 1 };
        assert_eq!(sw.select(&int_of(t, 0)), Some(want));
    }
    // A repeated case is never taken; the first one is.
    let sw = TypeSwitch::new(&[Case::Type(real), Case::Type(real)]);
    assert_eq!(sw.select(&int_of(real, 0)), Some(0));
}

#[test]
fn concrete_cases_after_an_interface_case() {
    let im = iface(&["M"]);
    let a = named_int("A", &["M"]);
    let b = named_int("B", &[]);
    let c = named_int("Cc", &[]);
    // case b; case I; case a; case c; case nil
    let sw = TypeSwitch::new(&[
        Case::Type(b),
        Case::Type(im),
        Case::Type(a),
        Case::Type(c),
        Case::Nil,
    ]);
    assert_eq!(sw.select(&int_of(b, 0)), Some(0));
    assert_eq!(sw.select(&int_of(a, 0)), Some(1), "I comes before A");
    assert_eq!(sw.select(&int_of(c, 0)), Some(3));
    assert_eq!(sw.select(&Eface::nil()), Some(4));
    assert_eq!(sw.select(&Eface::from_int(1)), None);
    // case any takes every non-nil value, but not nil.
    let sw = TypeSwitch::new(&[Case::Type(types::any()), Case::Type(b)]);
    assert_eq!(sw.select(&int_of(b, 0)), Some(0));
    assert_eq!(sw.select(&Eface::nil()), None);
}

/// A channel type: its values are handles compared by identity.
fn chan_type() -> &'static Type {
    types::chan_of(ChanDir::Both, types::int())
}

fn handle(rc: &Rc<()>) -> Val {
    Val::Ref(Some(rc.clone() as Rc<dyn Any>))
}

#[test]
fn owning_data_words_are_cloned_and_dropped_once() {
    let rc = Rc::new(());
    let m = Named::new("main", "M", chan_type())
        .method(Method::new("M", sig0(), nop))
        .build()
        .unwrap();
    let im = iface(&["M"]);
    let e = Eface::new(m, handle(&rc)).unwrap();
    assert_eq!(Rc::strong_count(&rc), 2);
    let e2 = e.clone();
    assert_eq!(Rc::strong_count(&rc), 3);
    for _ in 0..10 {
        let i = assert_e2i2(im, &e).unwrap();
        let j = i.clone();
        let back = j.to_eface();
        assert_eq!(Rc::strong_count(&rc), 6);
        assert!(efaceeq(&back, &e));
    }
    assert_eq!(Rc::strong_count(&rc), 3);
    let i = Iface::convert(im, &e2).unwrap();
    drop((e, e2));
    assert_eq!(Rc::strong_count(&rc), 2);
    drop(i);
    assert_eq!(Rc::strong_count(&rc), 1);
}

#[test]
fn scalar_data_words_copy_bit_for_bit() {
    let nan = f64::from_bits(0x7ff8_0000_dead_beef);
    let values = [
        Eface::from_bool(true),
        Eface::from_int(i64::from(i32::MIN)),
        Eface::new(types::uint64(), Val::Uint(u64::MAX)).unwrap(),
        Eface::from_f64(-0.0),
        Eface::from_f64(nan),
        Eface::new(types::complex128(), Val::Complex(nan, -0.0)).unwrap(),
        Eface::new(types::ptr_to(types::int()), Val::Pointer(None)).unwrap(),
    ];
    for e in &values {
        let c = e.clone();
        assert!(std::ptr::eq(c.typ().unwrap(), e.typ().unwrap()));
        // `Val`'s PartialEq compares floats by bits.
        assert_eq!(c.data(), e.data());
    }
}

#[test]
fn method_results_overwrite_and_drop_the_previous_value() {
    thread_local! {
        static ARG: Cell<u64> = const { Cell::new(0) };
    }
    // func (c C) Next() chan int: hands out a fresh handle each call.
    fn next(_: &Val, _: &[Eface], out: &mut [Eface]) {
        ARG.with(|a| a.set(a.get() + 1));
        out[0] = Eface::new(chan_type(), Val::Ref(Some(Rc::new(()) as Rc<dyn Any>))).unwrap();
    }
    // func (c C) Same() chan int: returns the receiver's own handle.
    fn same(recv: &Val, _: &[Eface], out: &mut [Eface]) {
        out[0] = Eface::new(chan_type(), recv.clone()).unwrap();
    }
    let sig = types::func_of(&[], &[chan_type()], false);
    let inter = types::interface_of(
        "main",
        &[IMethod::new("Next", sig), IMethod::new("Same", sig)],
    )
    .unwrap();
    let c = Named::new("main", "C", chan_type())
        .method(Method::new("Next", sig, next))
        .method(Method::new("Same", sig, same))
        .build()
        .unwrap();
    let rc = Rc::new(());
    let i = Iface::convert(inter, &Eface::new(c, handle(&rc)).unwrap()).unwrap();
    let mut out = [Eface::nil()];
    for _ in 0..5 {
        i.call(1, &[], &mut out);
        assert_eq!(Rc::strong_count(&rc), 3, "receiver, iface, result");
        i.call(0, &[], &mut out);
        assert_eq!(Rc::strong_count(&rc), 2, "the old result was dropped");
    }
    assert_eq!(ARG.with(Cell::get), 5);
    drop(out);
    drop(i);
    assert_eq!(Rc::strong_count(&rc), 1);
}

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

fn tracked(boom: bool) -> Eface {
    Eface::new(
        chan_type(),
        Val::Ref(Some(Rc::new(Tracked { boom }) as Rc<dyn Any>)),
    )
    .unwrap()
}

#[test]
fn a_panicking_drop_in_an_overwritten_result_drops_each_value_once() {
    fn put(_: &Val, args: &[Eface], out: &mut [Eface]) {
        out[0] = args[0].clone();
    }
    let before = DROPS.with(Cell::get);
    let sig = types::func_of(&[chan_type()], &[chan_type()], false);
    let inter = types::interface_of("main", &[IMethod::new("Put", sig)]).unwrap();
    let t = Named::new("main", "Putter", types::int())
        .method(Method::new("Put", sig, put))
        .build()
        .unwrap();
    let i = Iface::convert(inter, &int_of(t, 0)).unwrap();
    let mut out = [tracked(true)];
    let r = catch_unwind(AssertUnwindSafe(|| {
        i.call(0, &[tracked(false)], &mut out);
    }));
    assert!(r.is_err(), "the old result's Drop panicked");
    assert_eq!(DROPS.with(Cell::get) - before, 1);
    // The new result is in place: dropping it now is its first drop.
    drop(out);
    assert_eq!(DROPS.with(Cell::get) - before, 2);
    // A panicking drop of a plain interface value: once, no double drop.
    let r = catch_unwind(AssertUnwindSafe(|| drop(tracked(true))));
    assert!(r.is_err());
    assert_eq!(DROPS.with(Cell::get) - before, 3);
}

#[test]
fn every_method_slot_calls_its_method_inline_or_wrapped() {
    // Six methods: slots 0..4 are also kept inline in the itab, 4 and 5 not.
    macro_rules! methods {
        ($($f:ident => $name:literal),*) => {$(
            fn $f(recv: &Val, _: &[Eface], out: &mut [Eface]) {
                let Val::Int(i) = recv else { panic!("receiver is not an int") };
                out[0] = Eface::from_string(&format!("{}{}", $name, i));
            }
        )*};
    }
    methods!(a => "A", b => "B", c => "C", d => "D", e => "E", f => "F");
    let sig = types::func_of(&[], &[types::string()], false);
    let names = ["A", "B", "C", "D", "E", "F"];
    let fns: [MethodFn; 6] = [a, b, c, d, e, f];
    let ims: Vec<IMethod> = names.iter().map(|n| IMethod::new(n, sig)).collect();
    let inter = types::interface_of("main", &ims).unwrap();
    let mut t = Named::new("main", "Six", types::int());
    for (n, f) in names.iter().zip(fns) {
        t = t.method(Method::new(n, sig, f));
    }
    let t = t.build().unwrap();
    // T: direct slots. *T: value methods through the dereferencing wrapper.
    let by_value = Iface::convert(inter, &int_of(t, 7)).unwrap();
    let by_pointer = assert_e2i(inter, &new_ptr(t, Val::Int(8)).unwrap());
    let mut out = [Eface::nil()];
    for (k, n) in names.iter().enumerate() {
        by_value.call(k, &[], &mut out);
        assert_eq!(out[0].data(), &Val::from(format!("{n}7").as_str()));
        by_pointer.call(k, &[], &mut out);
        assert_eq!(out[0].data(), &Val::from(format!("{n}8").as_str()));
    }
    // A nil *T: Go's panic from the wrapper, whichever slot.
    let nil_ptr = Eface::new(types::ptr_to(t), Val::Pointer(None)).unwrap();
    let i = assert_e2i(inter, &nil_ptr);
    for k in [0, 5] {
        let msg = panic_text(|| i.call(k, &[], &mut [Eface::nil()]));
        assert_eq!(
            msg,
            format!(
                "value method main.Six.{} called using nil *Six pointer",
                names[k]
            )
        );
    }
    // A nil interface: the nil-dereference panic.
    let msg = panic_text(|| Iface::nil(inter).call(0, &[], &mut []));
    assert_eq!(
        msg,
        "runtime error: invalid memory address or nil pointer dereference"
    );
}
