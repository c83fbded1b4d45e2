//! Loom model of the itab table's publication protocol: lock-free `find`
//! racing locked inserts and a grow (T2/T3 of `itab.rs`).
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p goiface --test loom_itab`
#![cfg(loom)]

use goiface::{types, Eface, IMethod, ItabTable, Method, Named, Type, Val};
use loom::sync::Arc;

fn nop(_: &Val, _: &[Eface], _: &mut [Eface]) {}

fn setup(n: usize) -> (&'static Type, Vec<&'static Type>) {
    let sig = types::func_of(&[], &[], false);
    let i = types::interface_of("main", &[IMethod::new("M", sig)]).unwrap();
    let ts = (0..n)
        .map(|k| {
            Named::new("main", &format!("T{k}"), types::int())
                .method(Method::new("M", sig, nop))
                .build()
                .unwrap()
        })
        .collect();
    (i, ts)
}

/// A reader thread racing the writer that fills a 4-slot table and grows
/// it (the 4th entry: count 3 >= 3*(4/4)). Whatever the reader finds is a
/// complete itab for the pair it asked for; after both, everything is found.
#[test]
fn find_races_add_and_grow() {
    loom::model(|| {
        let (i, ts) = setup(4);
        let tab = Arc::new(ItabTable::with_initial_size(4));
        for t in &ts[..3] {
            tab.getitab(i, t, false).unwrap();
        }
        let r = {
            let tab = tab.clone();
            let (t0, t3) = (ts[0], ts[3]);
            loom::thread::spawn(move || {
                let mut seen = 0;
                for t in [t0, t3] {
                    if let Some(m) = tab.find(i, t) {
                        assert!(std::ptr::eq(m.inter(), i) && std::ptr::eq(m.typ(), t));
                        assert!(m.implements());
                        seen += 1;
                    }
                }
                seen
            })
        };
        tab.getitab(i, ts[3], false).unwrap();
        let seen = r.join().unwrap();
        assert!(seen >= 1, "t0 was published before the reader started");
        assert_eq!(tab.size(), 8);
        for t in &ts {
            assert!(tab.find(i, t).is_some());
        }
    });
}

/// Two threads adding the same new pair: one itab, one entry.
#[test]
fn concurrent_getitab_same_pair_makes_one_itab() {
    loom::model(|| {
        let (i, ts) = setup(1);
        let t = ts[0];
        let tab = Arc::new(ItabTable::with_initial_size(4));
        let h = {
            let tab = tab.clone();
            loom::thread::spawn(move || tab.getitab(i, t, false).unwrap() as *const _ as usize)
        };
        let a = tab.getitab(i, t, false).unwrap() as *const _ as usize;
        let b = h.join().unwrap();
        assert_eq!(a, b);
        assert_eq!(tab.count(), 1);
    });
}
