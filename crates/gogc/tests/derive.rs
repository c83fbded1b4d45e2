//! `#[derive(gogc_derive::Trace)]` on structs, tuple and unit structs, enums and generic
//! types: every field is traced, and `NEEDS_TRACE` follows the fields.

use gogc::{Gc, GcCell, Heap, Trace};

#[derive(gogc_derive::Trace)]
struct Plain {
    a: u32,
    b: String,
}

#[derive(gogc_derive::Trace)]
struct Tuple(Gc<u32>, Option<Gc<u32>>);

#[derive(gogc_derive::Trace)]
struct Unit;

#[derive(gogc_derive::Trace)]
enum Shape {
    Empty,
    One(Gc<u32>),
    Many { items: Vec<Gc<u32>>, label: String },
}

#[derive(gogc_derive::Trace)]
struct Wrapper<T> {
    inner: T,
    cell: GcCell<Option<Gc<u32>>>,
}

#[test]
fn needs_trace_follows_the_fields() {
    const { assert!(!<Plain as Trace>::NEEDS_TRACE) };
    const { assert!(!<Unit as Trace>::NEEDS_TRACE) };
    const { assert!(<Tuple as Trace>::NEEDS_TRACE) };
    const { assert!(<Shape as Trace>::NEEDS_TRACE) };
    const { assert!(<Wrapper<u8> as Trace>::NEEDS_TRACE) };
    let plain = Plain {
        a: 1,
        b: String::from("x"),
    };
    assert_eq!((plain.a, plain.b.as_str()), (1, "x"));
}

#[test]
fn every_field_of_every_shape_is_traced() {
    let heap = Heap::new();
    let tuple = heap.alloc(Tuple(heap.alloc(1), Some(heap.alloc(2))));
    let shapes = [
        heap.alloc(Shape::Empty),
        heap.alloc(Shape::One(heap.alloc(3))),
        heap.alloc(Shape::Many {
            items: (4..8).map(|i| heap.alloc(i)).collect(),
            label: String::from("many"),
        }),
    ];
    let wrapper = heap.alloc(Wrapper {
        inner: Tuple(heap.alloc(8), None),
        cell: GcCell::new(Some(heap.alloc(9))),
    });
    let _unit = heap.alloc(Unit);
    heap.collect();
    heap.collect();
    // 3 + 1 + 2 + 4 + 1 + 2 + 1 + 1 (the unit)
    assert_eq!(heap.stats().live_objects, 15);
    assert_eq!(*tuple.0 + *tuple.1.clone().unwrap(), 3);
    match &*shapes[2] {
        Shape::Many { items, label } => {
            assert_eq!(items.iter().map(|g| **g).sum::<u32>(), 22);
            assert_eq!(label, "many");
        }
        _ => unreachable!(),
    }
    assert!(matches!(&*shapes[1], Shape::One(g) if **g == 3));
    assert!(matches!(&*shapes[0], Shape::Empty));
    assert_eq!(*wrapper.inner.0, 8);
    assert!(wrapper.inner.1.is_none());
    wrapper.cell.set(None);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 14);
}

/// An enum without variants (an uninhabited type, e.g. a `Void` type
/// argument): the derive used to emit `match self {}` on `&Self`, which does
/// not compile ("non-exhaustive patterns: type `&Void` is non-empty").
#[derive(gogc_derive::Trace)]
enum Void {}

/// Uninhabited `Result` arms: `Result<Gc<u32>, Void>` is always `Ok`.
#[derive(gogc_derive::Trace)]
struct Infallible(Result<Gc<u32>, Void>);

#[test]
fn an_enum_without_variants_derives() {
    const { assert!(!<Void as Trace>::NEEDS_TRACE) };
    const { assert!(<Infallible as Trace>::NEEDS_TRACE) };
    let heap = Heap::new();
    let keep = heap.alloc(Infallible(Ok(heap.alloc(5))));
    heap.collect();
    match &keep.0 {
        Ok(inner) => assert_eq!(**inner, 5),
        Err(void) => match *void {},
    }
    assert_eq!(heap.stats().live_objects, 2);
}
