//! Weak pointers: upgrade while alive, `None` once found unreachable (even
//! before the sweep frees it), shading when upgraded during marking, other
//! heaps, and slot reuse across generations.

use gogc::{Gc, Heap, Phase};

#[test]
fn upgrade_follows_the_object_lifetime() {
    let heap = Heap::new();
    let a = heap.alloc(String::from("a"));
    let weak = Gc::downgrade(&a);
    assert_eq!(
        weak.upgrade(&heap).as_deref().map(String::as_str),
        Some("a")
    );
    heap.collect();
    assert!(weak.upgrade(&heap).is_some());
    drop(a);
    heap.collect();
    assert!(weak.upgrade(&heap).is_none());
    assert_eq!(heap.stats().live_objects, 0, "weak does not keep it alive");
}

#[test]
fn upgrade_of_an_object_found_unreachable_fails_before_its_sweep() {
    let heap = Heap::builder().gogc(None).build();
    let _other = heap.alloc(0u64);
    let a = heap.alloc(1u64);
    let weak = Gc::downgrade(&a);
    drop(a);
    heap.start_cycle();
    while heap.step(usize::MAX) == Phase::Mark {}
    assert_eq!(heap.stats().live_objects, 2, "not swept yet");
    assert!(weak.upgrade(&heap).is_none(), "but already dead");
    heap.collect();
    assert_eq!(heap.stats().live_objects, 1);
}

#[test]
fn upgrade_during_marking_shades_the_object() {
    let heap = Heap::builder().verify_each_step(true).build();
    let a = heap.alloc(7u32);
    let weak = Gc::downgrade(&a);
    heap.start_cycle();
    heap.step(1); // `a`'s span scanned: black
    drop(a);
    // Unreachable now, but the cycle has not decided that yet.
    let back = weak.upgrade(&heap).expect("still allocated and undecided");
    while heap.step(1) == Phase::Mark {}
    heap.collect();
    assert_eq!(*back, 7);

    // The same, with the upgrade before the root scan reached the object:
    // the upgrade must shade it, or the cycle would free a rooted object.
    let b = heap.alloc(8u32);
    let weak = Gc::downgrade(&b);
    drop(b);
    heap.start_cycle();
    let back = weak.upgrade(&heap).unwrap();
    assert_ne!(heap.color(&back), gogc::Color::White);
    while heap.step(1) == Phase::Mark {}
    heap.collect();
    assert_eq!(*back, 8);
}

#[test]
fn weak_pointers_of_another_heap_do_not_upgrade() {
    let (one, two) = (Heap::new(), Heap::new());
    let a = one.alloc(1);
    let weak = Gc::downgrade(&a);
    assert!(weak.upgrade(&two).is_none());
    assert!(weak.upgrade(&one).is_some());
}

#[test]
fn stale_weak_pointers_never_reach_a_reused_slot() {
    let heap = Heap::new();
    let old: Vec<_> = (0..20u32).map(|i| Gc::downgrade(&heap.alloc(i))).collect();
    heap.collect();
    let new: Vec<_> = (100..120u32).map(|i| heap.alloc(i)).collect();
    let new_weak: Vec<_> = new.iter().map(Gc::downgrade).collect();
    for w in &old {
        assert!(w.upgrade(&heap).is_none());
    }
    for (w, value) in new_weak.iter().zip(100..) {
        assert_eq!(*w.upgrade(&heap).unwrap(), value);
    }
    // Downgrading twice gives the same slot.
    let again = Gc::downgrade(&new[0]);
    assert!(Gc::ptr_eq(&again.upgrade(&heap).unwrap(), &new[0]));
}
