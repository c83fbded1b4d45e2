//! Allocation: size classes, large objects in their own spans, alignment,
//! zero-sized values, span reuse and the live-heap statistics.

use gogc::{Gc, GcCell, Heap};

#[test]
fn values_of_every_size_survive_and_keep_their_contents() {
    let heap = Heap::new();
    let sizes = if cfg!(miri) {
        vec![0, 1, 7, 100, 3000]
    } else {
        vec![
            0, 1, 7, 8, 9, 100, 1000, 5000, 32_000, 32_768, 40_000, 300_000,
        ]
    };
    let objects: Vec<Gc<Vec<u8>>> = sizes
        .iter()
        .map(|&n| heap.alloc(vec![n as u8; n]))
        .collect();
    let arrays: Vec<Gc<[u64; 512]>> = (0..4).map(|i| heap.alloc([i; 512])).collect();
    let big = heap.alloc([3u8; 33_000]); // a large object itself
    heap.collect();
    for (object, &n) in objects.iter().zip(&sizes) {
        assert_eq!(object.len(), n);
        assert!(object.iter().all(|&b| b == n as u8));
    }
    for (i, array) in arrays.iter().enumerate() {
        assert!(array.iter().all(|&v| v == i as u64));
    }
    assert!(big.iter().all(|&b| b == 3));
    assert_eq!(heap.stats().live_objects, sizes.len() + 5);
}

#[test]
fn large_objects_get_their_own_span_and_give_it_back() {
    let heap = Heap::new();
    let before = heap.stats().spans;
    let big = heap.alloc([1u8; 40_000]);
    assert_eq!(heap.stats().spans, before + 1);
    assert!(heap.stats().live_bytes >= 40_000);
    drop(big);
    heap.collect();
    assert_eq!(heap.stats().spans, before);
    assert_eq!(heap.stats().live_bytes, 0);
}

#[test]
fn over_aligned_values_are_aligned() {
    #[repr(align(64))]
    struct Line([u8; 64]);
    // SAFETY: no `Gc` inside.
    unsafe impl gogc::Trace for Line {
        const NEEDS_TRACE: bool = false;
        fn trace(&self, _: &mut gogc::Tracer<'_>) {}
    }
    #[repr(align(16384))]
    struct Huge(u8);
    // SAFETY: no `Gc` inside.
    unsafe impl gogc::Trace for Huge {
        const NEEDS_TRACE: bool = false;
        fn trace(&self, _: &mut gogc::Tracer<'_>) {}
    }
    let heap = Heap::new();
    let lines: Vec<_> = (0..10).map(|i| heap.alloc(Line([i; 64]))).collect();
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(Gc::as_ptr(line) as usize % 64, 0);
        assert_eq!(line.0[63], i as u8);
    }
    let huge = heap.alloc(Huge(9));
    assert_eq!(Gc::as_ptr(&huge) as usize % 16384, 0);
    assert_eq!(huge.0, 9);
}

#[test]
fn zero_sized_values_are_objects_too() {
    let heap = Heap::new();
    let a = heap.alloc(());
    let b = heap.alloc(());
    assert!(!Gc::ptr_eq(&a, &b));
    drop(a);
    heap.collect();
    assert_eq!(heap.stats().live_objects, 1);
}

#[test]
fn churn_reuses_spans() {
    let heap = Heap::new();
    let rounds = if cfg!(miri) { 3 } else { 20 };
    let per_round = if cfg!(miri) { 300 } else { 5000 };
    let mut spans_after_first = 0;
    for round in 0..rounds {
        let list: Vec<_> = (0..per_round).map(|i| heap.alloc(GcCell::new(i))).collect();
        drop(list);
        heap.collect();
        let stats = heap.stats();
        assert_eq!(stats.live_objects, 0);
        if round == 0 {
            spans_after_first = stats.spans;
        } else {
            assert!(stats.spans <= spans_after_first.max(1));
        }
    }
    let stats = heap.stats();
    assert_eq!(stats.allocated_objects, (rounds * per_round) as u64);
    assert_eq!(stats.freed_objects, (rounds * per_round) as u64);
}

#[test]
fn live_statistics_count_slots() {
    let heap = Heap::new();
    let a = heap.alloc(1u64);
    let stats = heap.stats();
    assert_eq!(stats.live_objects, 1);
    // One slot of the smallest class holding the header and the value.
    assert!(stats.live_bytes >= std::mem::size_of::<u64>());
    assert!(stats.live_bytes <= 64);
    heap.collect();
    assert_eq!(heap.stats().last.marked_objects, 1);
    assert_eq!(heap.stats().last.marked_bytes, stats.live_bytes as u64);
    drop(a);
}
