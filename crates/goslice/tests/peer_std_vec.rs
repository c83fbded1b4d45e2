//! Scenarios of std's `Vec` tests (`library/alloc/tests/vec.rs`) for the
//! parts of `Vec`'s surface that `Slice` mirrors: push, extend, indexing
//! and range panics, iteration, formatting, comparison, drop counts with
//! panicking `Drop` and iterators. Each test names the scenario it follows.
//! Where Go's slice differs from `Vec` (a clone shares the backing array; a
//! range may reach past `len` up to `cap`), the assertion is Go's.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use goslice::Slice;

mod common;
use common::panic_message;

/// Counts its drops in a shared counter.
#[derive(Clone)]
struct DropCounter(Rc<Cell<u32>>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

// std: test_double_drop — dropping one of two slices drops its element
// once; the other is dropped when its owner goes.
#[test]
fn double_drop() {
    let (cx, cy) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    {
        let mut x = Slice::nil();
        let mut y = Slice::nil();
        x.push(DropCounter(cx.clone()));
        y.push(DropCounter(cy.clone()));
        // A push that grows a nil slice moves the value in: no clone.
        assert_eq!((cx.get(), cy.get()), (0, 0));
        drop(x);
        assert_eq!(cx.get(), 1);
    }
    assert_eq!((cx.get(), cy.get()), (1, 1));
}

// std: test_indexing, test_index
#[test]
fn indexing() {
    let v = Slice::from(vec![10isize, 20]);
    assert_eq!(v.get(0), 10);
    assert_eq!(v.get(1), 20);
    let mut x = 0;
    assert_eq!(v.get(x), 10);
    assert_eq!(v.get(x + 1), 20);
    x += 1;
    assert_eq!(v.get(x), 20);
    assert_eq!(v.get(x - 1), 10);
}

// std: test_index_out_of_bounds (with Go's text)
#[test]
fn index_out_of_bounds() {
    let v = Slice::from(vec![1, 2, 3]);
    assert_eq!(
        panic_message(|| {
            v.get(3);
        }),
        "index out of range [3] with length 3"
    );
    assert_eq!(
        panic_message(|| v.set(usize::MAX, 0)),
        format!("index out of range [{}] with length 3", usize::MAX)
    );
    // Past len but inside cap is still out of range for an index.
    let w = Slice::<i32>::make(1, 4);
    assert_eq!(
        panic_message(|| {
            w.get(2);
        }),
        "index out of range [2] with length 1"
    );
}

// std: test_slice_out_of_bounds_1 .. _5 (with Go's texts; the bound is cap)
#[test]
#[allow(clippy::reversed_empty_ranges)]
fn slice_out_of_bounds() {
    let x = Slice::from(vec![1, 2, 3, 4, 5]);
    let m = usize::MAX;
    assert_eq!(
        panic_message(|| drop(x.slice(m..))),
        format!("slice bounds out of range [{m}:5]")
    );
    assert_eq!(
        panic_message(|| drop(x.slice(..6))),
        "slice bounds out of range [:6] with capacity 5"
    );
    assert_eq!(
        panic_message(|| drop(x.slice(m..4))),
        format!("slice bounds out of range [{m}:4]")
    );
    assert_eq!(
        panic_message(|| drop(x.slice(1..6))),
        "slice bounds out of range [:6] with capacity 5"
    );
    assert_eq!(
        panic_message(|| drop(x.slice(3..2))),
        "slice bounds out of range [3:2]"
    );
    // Inclusive ranges: `..=m` cannot be written in Go; its end overflows.
    assert!(catch_unwind(AssertUnwindSafe(|| drop(x.slice(..=m)))).is_err());
    assert_eq!(x.slice(1..=2), [2, 3]);
}

// std: test_debug_fmt
#[test]
fn debug_fmt() {
    let v1: Slice<isize> = Slice::nil();
    assert_eq!(format!("{v1:?}"), "[]");
    assert_eq!(format!("{:?}", Slice::<isize>::empty()), "[]");
    let v2 = Slice::from(vec![0, 1]);
    assert_eq!(format!("{v2:?}"), "[0, 1]");
    let s = Slice::from(vec![3, 4, 5, 6]).slice(1..3);
    assert_eq!(format!("{s:?}"), "[4, 5]");
}

// std: test_push
#[test]
fn push() {
    let mut v = Slice::nil();
    v.push(1);
    assert_eq!(v, [1]);
    v.push(2);
    assert_eq!(v, [1, 2]);
    v.push(3);
    assert_eq!(v, [1, 2, 3]);
}

// std: test_extend
#[test]
fn extend() {
    let mut v = Slice::nil();
    let mut w = Vec::new();
    v.extend(w.clone());
    assert_eq!(v, []);
    assert!(v.is_nil(), "appending nothing to nil stays nil");
    v.extend(0..3);
    w.extend(0..3);
    assert_eq!(v, w);
    v.extend(3..10);
    w.extend(3..10);
    assert_eq!(v, w);
    v.extend(w.clone());
    assert!(v.iter().eq(w.iter().chain(w.iter()).copied()));

    // Zero-sized types.
    #[derive(Clone, PartialEq, Debug)]
    struct Foo;
    let mut a = Slice::nil();
    a.extend(vec![Foo, Foo]);
    assert_eq!(a, [Foo, Foo]);
    assert_eq!(a.len(), 2);

    // Double drop.
    let count = Rc::new(Cell::new(0));
    {
        let mut x = Slice::nil();
        x.extend(vec![DropCounter(count.clone())]);
    }
    assert_eq!(count.get(), 1);
}

// std: test_extend — a slice extended by a copy of itself (Go:
// `s = append(s, s...)`) doubles its contents.
#[test]
fn extend_with_itself() {
    let mut v = Slice::from(vec![1, 2, 3]);
    let copy = v.clone();
    v.extend(copy.iter());
    assert_eq!(v, [1, 2, 3, 1, 2, 3]);
    assert_eq!(copy, [1, 2, 3]);
}

// std: test_extend_from_slice
#[test]
fn extend_from_slice() {
    let mut v = Slice::from(vec![1isize, 2, 3, 4, 5]);
    v.extend_from_slice(&[6, 7, 8, 9, 0]);
    assert_eq!(v, [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
}

// std: test_extend_ref — extending from references to Copy elements.
#[test]
fn extend_ref() {
    let mut v = Slice::from(vec![1, 2]);
    v.extend(&[3, 4, 5]);
    assert_eq!(v.len(), 5);
    assert_eq!(v, [1, 2, 3, 4, 5]);
    let w = vec![6, 7];
    v.extend(&w);
    assert_eq!(v.len(), 7);
    assert_eq!(v, [1, 2, 3, 4, 5, 6, 7]);
    v.extend(w.iter());
    assert_eq!(v, [1, 2, 3, 4, 5, 6, 7, 6, 7]);
}

// std: test_slice_from_ref, test_slice_from_mut, test_slice_to_mut,
// test_split_at_mut — windows write through to the shared array.
#[test]
fn windows_read_and_write_through() {
    let values = Slice::from(vec![1, 2, 3, 4, 5]);
    assert_eq!(values.slice(1..3), [2, 3]);
    values.slice(2..).with_mut(|s| {
        assert_eq!(s, [3, 4, 5]);
        for p in s {
            *p += 2;
        }
    });
    assert_eq!(values, [1, 2, 5, 6, 7]);
    values
        .slice(..2)
        .with_mut(|s| s.iter_mut().for_each(|p| *p += 1));
    assert_eq!(values, [2, 3, 5, 6, 7]);
    values.with_mut(|s| {
        let (left, right) = s.split_at_mut(2);
        left.iter_mut().for_each(|p| *p += 1);
        right.iter_mut().for_each(|p| *p += 2);
    });
    assert_eq!(values, [3, 4, 7, 8, 9]);
}

// std: test_clone, test_clone_from — a clone is equal, and (Go) shares the
// array, where a Vec clone is disjoint.
#[test]
fn clone_and_clone_from() {
    let v: Slice<i32> = Slice::nil();
    assert_eq!(v, v.clone());
    assert!(v.clone().is_nil());
    let w = Slice::from(vec![1, 2, 3]);
    let z = w.clone();
    assert_eq!(w, z);
    assert!(w.shares_array(&z));

    let three = Slice::from(vec![Box::new(1), Box::new(2), Box::new(3)]);
    let two = Slice::from(vec![Box::new(4), Box::new(5)]);
    let mut v = Slice::nil();
    v.clone_from(&three);
    assert_eq!(v, three);
    v.clone_from(&three);
    assert_eq!(v, three);
    v.clone_from(&two);
    assert_eq!(v, two);
    v.clone_from(&three);
    assert_eq!(v, three);
}

// std: test_cmp
#[test]
fn compare_windows() {
    let x = Slice::from(vec![1isize, 2, 3, 4, 5]);
    assert_eq!(x.slice(..), [1, 2, 3, 4, 5]);
    assert_eq!(x.slice(2..), [3, 4, 5]);
    assert_eq!(x.slice(..3), [1, 2, 3]);
    assert_eq!(x.slice(1..4), [2, 3, 4]);
    assert_eq!(x.slice(1..4), vec![2, 3, 4]);
    assert_eq!(x.slice(1..4), &[2, 3, 4][..]);
    assert!(x.slice(1..4) != [2, 3, 5]);
    assert!(x.slice(1..4) != x.slice(1..3));
}

// std: Vec's PartialOrd/Ord — lexicographic over the `len` elements, as
// `[T]`'s.
#[test]
fn ordering_is_lexicographic() {
    use std::cmp::Ordering;
    let a = Slice::from(vec![1, 2, 3]);
    let b = Slice::from(vec![1, 2, 4]);
    let c = Slice::from(vec![1, 2]);
    assert!(a < b);
    assert!(c < a);
    assert_eq!(a.cmp(&a.clone()), Ordering::Equal);
    assert_eq!(Slice::<i32>::nil().cmp(&Slice::empty()), Ordering::Equal);
    assert_eq!(a.slice(..2).cmp(&c), Ordering::Equal);
    let f = Slice::from(vec![1.0, f64::NAN]);
    assert_eq!(f.partial_cmp(&f.clone()), None);
    let mut v = vec![b.clone(), c.clone(), a.clone()];
    v.sort();
    assert_eq!(v, [c, a, b]);
}

// std: test_move_items, test_move_items_reverse, test_move_items_zero_sized
#[test]
fn move_items() {
    let mut v2 = Slice::nil();
    for i in Slice::from(vec![1, 2, 3]) {
        v2.push(i);
    }
    assert_eq!(v2, [1, 2, 3]);
    let mut v2 = Slice::nil();
    for i in Slice::from(vec![1, 2, 3]).into_iter().rev() {
        v2.push(i);
    }
    assert_eq!(v2, [3, 2, 1]);
    let mut v2 = Slice::nil();
    for i in Slice::from(vec![(), (), ()]) {
        v2.push(i);
    }
    assert_eq!(v2, [(), (), ()]);
}

// std: zero_sized_values
#[test]
fn zero_sized_values() {
    let mut v = Slice::nil();
    assert_eq!(v.len(), 0);
    v.push(());
    assert_eq!(v.len(), 1);
    v.push(());
    assert_eq!(v.len(), 2);
    assert_eq!(v.iter().count(), 2);
    v = v.slice(..0);
    assert_eq!(v.iter().count(), 0);
    assert!(v.cap() >= 2);
    v.push(());
    assert_eq!(v.iter().count(), 1);
    for () in &v {}
}

// std: test_into_iter_count, test_into_iter_clone
#[test]
fn into_iter_clone() {
    fn iter_equal<I: Iterator<Item = i32>>(it: I, want: &[i32]) {
        let v: Vec<i32> = it.collect();
        assert_eq!(v, want);
    }
    assert_eq!(Slice::from(vec![1, 2, 3]).into_iter().count(), 3);
    let mut it = Slice::from(vec![1, 2, 3]).into_iter();
    iter_equal(it.clone(), &[1, 2, 3]);
    assert_eq!(it.next(), Some(1));
    let mut it = it.rev();
    iter_equal(it.clone(), &[3, 2]);
    assert_eq!(it.next(), Some(3));
    iter_equal(it.clone(), &[2]);
    assert_eq!(it.next(), Some(2));
    iter_equal(it.clone(), &[]);
    assert_eq!(it.next(), None);
}

// std: test_into_iter_leak — dropping an iterator over the last header
// drops every element once, even when one drop panics.
#[test]
fn into_iter_leak() {
    thread_local!(static DROPS: Cell<i32> = const { Cell::new(0) });
    #[derive(Clone)]
    struct D(bool);
    impl Drop for D {
        fn drop(&mut self) {
            DROPS.with(|d| d.set(d.get() + 1));
            if self.0 {
                panic!("panic in `drop`");
            }
        }
    }
    let v = Slice::from(vec![D(false), D(true), D(false)]);
    catch_unwind(AssertUnwindSafe(move || drop(v.into_iter()))).unwrap_err();
    assert_eq!(DROPS.with(Cell::get), 3);
}

// std: test_from_iter_specialization_panic_drop — collecting from an
// iterator that panics drops what it took, once.
#[test]
fn from_iter_panic_drops_once() {
    let counts: Vec<_> = (0..=2).map(|_| Rc::new(())).collect();
    let src: Vec<_> = counts.to_vec();
    let r = catch_unwind(AssertUnwindSafe(|| {
        src.into_iter()
            .enumerate()
            .map(|(i, e)| {
                assert!(i != 1, "aborting iteration");
                e
            })
            .collect::<Slice<_>>()
    }));
    assert!(r.is_err());
    assert!(counts.iter().all(|c| Rc::strong_count(c) == 1));

    // The same through `extend` of an existing slice: nothing is appended.
    let mut s = Slice::from(vec![Rc::new(())]);
    let src: Vec<_> = counts.to_vec();
    let r = catch_unwind(AssertUnwindSafe(|| {
        s.extend(src.into_iter().enumerate().map(|(i, e)| {
            assert!(i != 2, "aborting iteration");
            e
        }))
    }));
    assert!(r.is_err());
    assert_eq!(s.len(), 1);
    assert!(counts.iter().all(|c| Rc::strong_count(c) == 1));
}

// std: test_from_iter (vec.rs `from_into_inner` and collect)
#[test]
fn collect_and_back() {
    let s: Slice<i32> = (1..=3).collect();
    assert_eq!((s.len(), s.cap()), (3, 3));
    let v: Vec<i32> = s.clone().into();
    assert_eq!(v, [1, 2, 3]);
    let v: Vec<i32> = s.iter().skip(1).collect();
    assert_eq!(v, [2, 3]);
    assert_eq!(s.to_vec(), [1, 2, 3]);
    let e: Slice<i32> = std::iter::empty().collect();
    assert_eq!(e.len(), 0);
}

// std: test_into_iter_debug
#[test]
fn into_iter_debug() {
    let it = Slice::from(vec!['a', 'b', 'c']).into_iter();
    assert_eq!(format!("{it:?}"), "Iter(['a', 'b', 'c'])");
    let mut it = Slice::from(vec![1, 2, 3, 4]).slice(1..3).iter();
    assert_eq!(format!("{it:?}"), "Iter([2, 3])");
    it.next_back();
    assert_eq!(format!("{it:?}"), "Iter([2])");
    it.next();
    assert_eq!(format!("{it:?}"), "Iter([])");
    assert_eq!(format!("{:?}", Slice::<u8>::nil().iter()), "Iter([])");
}

// std's Vec compares with arrays, slices and Vecs on either side
// (`assert_eq!(vec![..], v)` throughout vec.rs).
#[test]
fn equality_both_ways() {
    let s = Slice::from(vec![1, 2, 3]).slice(..2);
    assert_eq!(vec![1, 2], s);
    assert_eq!([1, 2], s);
    let r: &[i32] = &[1, 2];
    assert!(r == s);
    assert!(*r == s);
    assert_ne!(vec![1, 2, 3], s);
    assert_ne!([2, 1], s);
    assert_eq!(Vec::<i32>::new(), Slice::<i32>::nil());
}
