//! Send/Sync expectations: descriptors and the itab table are shared by all
//! threads; interface values are not (they share memory through `Rc`).

use goiface::{Itab, ItabTable, Type, TypeAssertionError, TypeSwitch};

fn send_sync<T: Send + Sync + ?Sized>() {}

#[test]
fn descriptors_and_tables_are_send_and_sync() {
    send_sync::<Type>();
    send_sync::<&'static Type>();
    send_sync::<Itab>();
    send_sync::<ItabTable>();
    send_sync::<TypeAssertionError>();
    send_sync::<TypeSwitch>();
}

#[test]
#[cfg_attr(miri, ignore)] // spawns threads; the single-threaded tests cover the same paths
fn itab_table_is_shared_across_threads() {
    use goiface::{types, Eface, IMethod, Method, Named, Val};
    fn nop(_: &Val, _: &[Eface], _: &mut [Eface]) {}
    let sig = types::func_of(&[], &[], false);
    let i = types::interface_of("main", &[IMethod::new("M", sig)]).unwrap();
    let ts: Vec<&'static Type> = (0..64)
        .map(|k| {
            Named::new("main", &format!("X{k}"), types::int())
                .method(Method::new("M", sig, nop))
                .build()
                .unwrap()
        })
        .collect();
    let table = ItabTable::with_initial_size(4);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for t in &ts {
                    assert!(table.getitab(i, t, false).unwrap().implements());
                }
            });
        }
    });
    assert_eq!(table.count(), 64);
    assert_eq!(table.size(), 128);
}
