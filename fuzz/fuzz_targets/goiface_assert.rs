//! Random type graphs and assertion sequences against a model: a
//! `HashMap<(inter, type), bool>` of what implements what, computed from
//! method sets (names, signatures, pointer receivers). Checks `getitab`
//! (success, failure, caching and entry counts on a private table),
//! `assert_e2i2`/`assert_e2i` (Go's missing-method text naming the first
//! missing method in Go's order), concrete assertions and type switches
//! (first matching case in source order). Concrete types include structs
//! embedding `T`, `*T` and an interface (promoted method sets).
#![no_main]

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use arbitrary::Arbitrary;
use goiface::{
    assert_e2i, assert_e2i2, getitab, method_order, types, Case, Eface, IMethod, ItabTable, Method,
    Named, Type, TypeSwitch, Val,
};
use libfuzzer_sys::fuzz_target;

/// Method-name pool: exported and unexported, so Go's order matters.
const NAMES: [&str; 4] = ["A", "Zed", "b", "Ab"];

fn sig(k: u8) -> &'static Type {
    if k % 2 == 0 {
        types::func_of(&[], &[], false)
    } else {
        types::func_of(&[types::int()], &[types::string()], false)
    }
}

fn nop(_: &Val, _: &[Eface], _: &mut [Eface]) {}

/// One method: name index, signature kind, pointer receiver.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct M {
    name: u8,
    sig: u8,
    ptr: bool,
}

impl M {
    fn key(self) -> (usize, u8) {
        (self.name as usize % NAMES.len(), self.sig % 2)
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// `getitab(I, T, true)` on the private table.
    GetItab { i: u8, t: u8 },
    /// `j, ok := e.(I)`.
    AssertOk { i: u8, t: u8 },
    /// `j := e.(I)` (may panic).
    Assert { i: u8, t: u8 },
    /// `v, ok := e.(T)` for concrete T.
    Concrete { t: u8, want: u8 },
    /// `switch e.(type)` over a case list.
    Switch { t: u8, cases: Vec<(bool, u8)> },
}

#[derive(Arbitrary, Debug)]
struct Input {
    inters: Vec<Vec<(u8, u8)>>,
    named: Vec<Vec<M>>,
    ops: Vec<Op>,
}

thread_local! {
    /// Descriptors by spec, so repeated inputs reuse them (descriptors are
    /// never freed).
    static NAMED: RefCell<HashMap<Vec<(usize, u8, bool)>, &'static Type>> = RefCell::new(HashMap::new());
    /// `struct{ I }` by I's method spec.
    static EMBEDS_I: RefCell<HashMap<Vec<(usize, u8)>, &'static Type>> = RefCell::new(HashMap::new());
}

/// A concrete type of the graph and its model method set.
struct Concrete {
    typ: &'static Type,
    set: HashSet<(usize, u8)>,
}

fn named(ms: &[M]) -> Vec<Concrete> {
    // Dedup by name (a type cannot declare a name twice).
    let mut seen = HashSet::new();
    let mut spec: Vec<(usize, u8, bool)> = Vec::new();
    for m in ms.iter().take(4) {
        let (n, s) = m.key();
        if seen.insert(n) {
            spec.push((n, s, m.ptr));
        }
    }
    spec.sort();
    let t = NAMED.with(|c| {
        *c.borrow_mut().entry(spec.clone()).or_insert_with(|| {
            let mut b = Named::new("main", &format!("T{spec:?}"), types::int());
            for &(n, s, p) in &spec {
                let m = Method::new(NAMES[n], sig(s), nop);
                b = b.method(if p { m.pointer_receiver() } else { m });
            }
            b.build().unwrap()
        })
    });
    let value_set: HashSet<(usize, u8)> =
        spec.iter().filter(|m| !m.2).map(|m| (m.0, m.1)).collect();
    let ptr_set: HashSet<(usize, u8)> = spec.iter().map(|m| (m.0, m.1)).collect();
    // Promotion: struct{ T } has T's value methods, *struct{ T } all of them;
    // struct{ *T } has all of them.
    let embeds_t = types::struct_of("main", &[types::embedded(t)]).unwrap();
    let embeds_pt = types::struct_of("main", &[types::embedded(types::ptr_to(t))]).unwrap();
    vec![
        Concrete {
            typ: t,
            set: value_set.clone(),
        },
        Concrete {
            typ: types::ptr_to(t),
            set: ptr_set.clone(),
        },
        Concrete {
            typ: embeds_t,
            set: value_set,
        },
        Concrete {
            typ: types::ptr_to(embeds_t),
            set: ptr_set.clone(),
        },
        Concrete {
            typ: embeds_pt,
            set: ptr_set,
        },
    ]
}

/// `struct{ I }` and its pointer: both have all of I's methods.
fn embeds_interface(inter: &'static Type, ms: &[(usize, u8)]) -> Vec<Concrete> {
    let mut spec = ms.to_vec();
    spec.sort();
    let s = EMBEDS_I.with(|c| {
        *c.borrow_mut().entry(spec.clone()).or_insert_with(|| {
            let i = Named::new("main", &format!("I{spec:?}"), inter)
                .build()
                .unwrap();
            types::struct_of("main", &[types::embedded(i)]).unwrap()
        })
    });
    let set: HashSet<(usize, u8)> = spec.into_iter().collect();
    vec![
        Concrete {
            typ: s,
            set: set.clone(),
        },
        Concrete {
            typ: types::ptr_to(s),
            set,
        },
    ]
}

fuzz_target!(|input: Input| {
    // Interfaces: 1..=4 methods each, deduplicated by name.
    let mut inters: Vec<(&'static Type, Vec<(usize, u8)>)> = Vec::new();
    for ms in input.inters.iter().take(4) {
        let mut names = HashSet::new();
        let ms: Vec<(usize, u8)> = ms
            .iter()
            .take(4)
            .map(|&(n, s)| (n as usize % NAMES.len(), s % 2))
            .filter(|m| names.insert(m.0))
            .collect();
        if ms.is_empty() {
            continue;
        }
        let im: Vec<IMethod> = ms
            .iter()
            .map(|&(n, s)| IMethod::new(NAMES[n], sig(s)))
            .collect();
        inters.push((types::interface_of("main", &im).unwrap(), ms));
    }
    let mut concretes: Vec<Concrete> = input
        .named
        .iter()
        .take(4)
        .flat_map(|ms| named(ms))
        .collect();
    if let Some((inter, ms)) = inters.first() {
        concretes.extend(embeds_interface(inter, ms));
    }
    // Types without an uncommon part never implement anything.
    concretes.push(Concrete {
        typ: types::slice_of(types::int()),
        set: HashSet::new(),
    });
    if inters.is_empty() {
        return;
    }
    let implements = |i: usize, t: usize| inters[i].1.iter().all(|m| concretes[t].set.contains(m));
    let mut model: HashMap<(usize, usize), bool> = HashMap::new(); // (inter, type) -> implements
    let table = ItabTable::new();
    for op in input.ops.iter().take(64) {
        match *op {
            Op::GetItab { i, t } => {
                let (i, t) = (i as usize % inters.len(), t as usize % concretes.len());
                let before = table.count();
                let got = table.getitab(inters[i].0, concretes[t].typ, true);
                let want = implements(i, t);
                assert_eq!(got.is_ok(), want);
                // Keyed by descriptor: equal specs give the same (interned) types.
                let key = (
                    inters[i].0 as *const Type as usize,
                    concretes[t].typ as *const Type as usize,
                );
                let new = model.insert(key, want).is_none();
                let cached = concretes[t].typ.has_uncommon();
                assert_eq!(table.count(), before + (new && cached) as usize);
                if let Ok(tab) = got {
                    assert!(std::ptr::eq(
                        table.find(inters[i].0, concretes[t].typ).unwrap(),
                        tab
                    ));
                }
            }
            Op::AssertOk { i, t } => {
                let (i, t) = (i as usize % inters.len(), t as usize % concretes.len());
                let e = Eface::new(concretes[t].typ, concretes[t].typ.zero()).unwrap();
                assert_eq!(assert_e2i2(inters[i].0, &e).is_some(), implements(i, t));
            }
            Op::Assert { i, t } => {
                let (i, t) = (i as usize % inters.len(), t as usize % concretes.len());
                // libFuzzer's panic hook aborts on any panic, caught or not,
                // so read `assert_e2i`'s panic text from `getitab`'s error
                // (the same value `assert_e2i` panics with), and call
                // `assert_e2i` only when it must succeed.
                let msg = getitab(inters[i].0, concretes[t].typ, true)
                    .err()
                    .map(|e| e.to_string());
                if msg.is_none() {
                    let e = Eface::new(concretes[t].typ, concretes[t].typ.zero()).unwrap();
                    assert!(std::ptr::eq(
                        assert_e2i(inters[i].0, &e).inter(),
                        inters[i].0
                    ));
                }
                // Go names the first missing method in the interface's order.
                let mut ims = inters[i].1.clone();
                ims.sort_by(|a, b| method_order(NAMES[a.0], "main", NAMES[b.0], "main"));
                let missing = ims.iter().find(|m| !concretes[t].set.contains(m));
                match (msg, missing) {
                    (None, None) => {}
                    (Some(msg), Some(m)) => {
                        assert!(
                            msg.ends_with(&format!(": missing method {}", NAMES[m.0])),
                            "{msg}"
                        )
                    }
                    (msg, missing) => panic!("model disagrees: {msg:?} vs {missing:?}"),
                }
            }
            Op::Concrete { t, want } => {
                let (t, w) = (
                    t as usize % concretes.len(),
                    want as usize % concretes.len(),
                );
                let e = Eface::new(concretes[t].typ, concretes[t].typ.zero()).unwrap();
                assert_eq!(
                    e.assert2(concretes[w].typ).is_some(),
                    std::ptr::eq(concretes[t].typ, concretes[w].typ)
                );
            }
            Op::Switch { t, ref cases } => {
                let t = t as usize % concretes.len();
                // (true, k): interface case k; (false, k): concrete case k.
                let cases: Vec<(bool, usize)> = cases
                    .iter()
                    .take(10)
                    .map(|&(is_i, k)| {
                        (
                            is_i,
                            k as usize % if is_i { inters.len() } else { concretes.len() },
                        )
                    })
                    .collect();
                let sw = TypeSwitch::new(
                    &cases
                        .iter()
                        .map(|&(is_i, k)| {
                            Case::Type(if is_i { inters[k].0 } else { concretes[k].typ })
                        })
                        .collect::<Vec<_>>(),
                );
                let want = cases.iter().position(|&(is_i, k)| {
                    if is_i {
                        implements(k, t)
                    } else {
                        std::ptr::eq(concretes[k].typ, concretes[t].typ)
                    }
                });
                let e = Eface::new(concretes[t].typ, concretes[t].typ.zero()).unwrap();
                assert_eq!(sw.select(&e), want);
            }
        }
    }
});
