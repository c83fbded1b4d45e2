//! Go's own collector tests (`src/runtime/gc_test.go`, Go 1.19) that make
//! sense for a library heap, ported to gogc: `runtime.GC()` is
//! [`Heap::collect`], pointers are `Gc`s. Each test names the Go test it
//! follows. A stepped variant runs each with incremental marking too.
//!
//! Copyright 2011 The Go Authors. All rights reserved.
//! Use of this source code is governed by a BSD-style
//! license that can be found in Go's LICENSE file
//! (<https://github.com/golang/go/blob/go1.19/LICENSE>).

use gogc::{Barrier, Gc, GcCell, Heap, Phase};

/// A heap per barrier (only the default one under Miri, for time).
fn heaps() -> impl Iterator<Item = Heap> {
    let barriers: &[Barrier] = if cfg!(miri) {
        &[Barrier::Hybrid]
    } else {
        &[Barrier::Dijkstra, Barrier::Yuasa, Barrier::Hybrid]
    };
    barriers.iter().map(|&barrier| {
        Heap::builder()
            .barrier(barrier)
            .verify_each_step(true)
            .build()
    })
}

/// Whole (`runtime.GC()`) and stepped cycles; under Miri only stepped ones
/// (whole cycles are covered by the other tests), for time.
fn modes() -> &'static [bool] {
    if cfg!(miri) {
        &[true]
    } else {
        &[false, true]
    }
}

/// `runtime.GC()`, or the same cycle driven by small steps.
fn gc(heap: &Heap, stepped: bool) {
    if stepped {
        heap.start_cycle();
        // Small steps; fewer under Miri, where each one is verified slowly.
        let budget = if cfg!(miri) { 1024 } else { 64 };
        while heap.step(budget) == Phase::Mark {}
        heap.step(usize::MAX);
    } else {
        heap.collect();
    }
}

/// Go: `TestGcDeepNesting` — a pointer at the bottom of a nested array type
/// survives a collection.
#[test]
fn gc_deep_nesting() {
    type T = [[[[[[[[[[Option<Gc<i32>>; 2]; 2]; 2]; 2]; 2]; 2]; 2]; 2]; 2]; 2];
    for &stepped in modes() {
        for heap in heaps() {
            let mut value: T = Default::default();
            value[0][0][0][0][0][0][0][0][0][0] = Some(heap.alloc(13));
            let a = heap.alloc(value);
            gc(&heap, stepped);
            assert_eq!(**a[0][0][0][0][0][0][0][0][0][0].as_ref().unwrap(), 13);
        }
    }
}

/// Go: `TestGcArraySlice` — a list whose nodes also point into their
/// successor's buffer stays intact across a collection after every link.
#[test]
fn gc_array_slice() {
    #[derive(gogc_derive::Trace)]
    struct X {
        buf: GcCell<[u8; 1]>,
        nextbuf: Option<Gc<X>>,
        next: Option<Gc<X>>,
    }
    for &stepped in modes() {
        for heap in heaps() {
            let mut head: Option<Gc<X>> = None;
            for _ in 0..10 {
                let p = heap.alloc(X {
                    buf: GcCell::new([42]),
                    nextbuf: head.clone(),
                    next: head.clone(),
                });
                head = Some(p);
                gc(&heap, stepped);
            }
            let mut p = head;
            let mut n = 0;
            while let Some(node) = p {
                assert_eq!(node.buf.get(), [42], "corrupted heap");
                p = node.next.clone();
                n += 1;
            }
            assert_eq!(n, 10);
        }
    }
}

/// Go: `TestGcRescan` — objects reached only through interior structure
/// (Go: a pointer to an embedded field) of older list nodes survive.
#[test]
fn gc_rescan() {
    #[derive(gogc_derive::Trace)]
    struct X {
        c: GcCell<Vec<u8>>,
        nextx: Option<Gc<Y>>,
    }
    #[derive(gogc_derive::Trace)]
    struct Y {
        x: X,
        nexty: Option<Gc<Y>>,
        p: Gc<i64>,
    }
    for &stepped in modes() {
        for heap in heaps() {
            let mut head: Option<Gc<Y>> = None;
            for _ in 0..10 {
                let p = heap.alloc(Y {
                    x: X {
                        c: GcCell::new(Vec::new()),
                        nextx: head.clone(),
                    },
                    nexty: head.clone(),
                    p: heap.alloc(42),
                });
                head = Some(p);
                gc(&heap, stepped);
            }
            let mut p = head;
            while let Some(node) = p {
                assert_eq!(*node.p, 42, "corrupted heap");
                assert!(node.x.c.borrow().is_empty());
                p = node.nexty.clone();
            }
        }
    }
}

/// Go: `TestGCTestIsReachable` — of 16 objects, exactly the half still held
/// is reachable after a collection (Go asks `runtime.GCTestIsReachable`; we
/// ask weak pointers).
#[test]
fn gc_test_is_reachable() {
    for heap in heaps() {
        let mut half = Vec::new();
        let mut all = Vec::new();
        let mut want = 0u32;
        for i in 0..16 {
            let p = heap.alloc(GcCell::new(None::<Gc<u8>>));
            all.push(Gc::downgrade(&p));
            if i % 2 == 0 {
                half.push(p);
                want |= 1 << i;
            }
        }
        heap.collect();
        let got = all
            .iter()
            .enumerate()
            .filter(|(_, w)| w.upgrade(&heap).is_some())
            .fold(0u32, |acc, (i, _)| acc | 1 << i);
        assert_eq!(got, want, "want {want:b}, got {got:b}");
        assert_eq!(half.len(), 8);
    }
}

/// Go: `TestGcMapIndirection` — with `GOGC=1`, 2000 large values are added to
/// a map while collections run; nothing is lost. (Our map is a `Vec` of
/// `Gc`s behind a cell, the large value a 256-word array.)
#[test]
fn gc_map_indirection() {
    let n = if cfg!(miri) { 10 } else { 2000 };
    let heap = Heap::builder()
        .gogc(Some(1))
        .min_heap(64 << 10)
        .verify_each_step(true)
        .build();
    heap.collect();
    let m = heap.alloc(GcCell::new(Vec::<Gc<[u64; 256]>>::new()));
    for i in 0..n {
        let mut a = [0u64; 256];
        a[0] = i;
        let mut entries = m.take();
        entries.push(heap.alloc(a));
        m.set(entries);
        heap.step(1 << 14);
    }
    assert!(heap.stats().cycles > 1);
    for (i, a) in m.borrow().iter().enumerate() {
        assert_eq!(a[0], i as u64);
    }
}
