//! Go slice semantics through the public API: shared arrays, nil and empty,
//! make, slice expressions and their panics, append aliasing, copy, printing,
//! conversions and iteration.

use goslice::{BoundsError, MakeError, Slice};

mod common;
use common::panic_message;

#[test]
fn clone_copies_the_header_and_shares_the_array() {
    let a = Slice::from(vec![1, 2, 3]);
    let b = a.clone();
    b.set(2, 30);
    assert_eq!(a, [1, 2, 30]);
    a.set(0, 10);
    assert_eq!(b.get(0), 10);
    assert!(a.shares_array(&b));
}

#[test]
fn resliced_windows_see_each_others_writes() {
    let a = Slice::<i32>::make(6, 6);
    let left = a.slice(0..4);
    let right = a.slice(2..6);
    left.set(3, 7); // a[3]
    assert_eq!(right.get(1), 7);
    right.set(0, 5); // a[2]
    assert_eq!(left.get(2), 5);
    assert_eq!(a, [0, 0, 5, 7, 0, 0]);
}

#[test]
fn nil_and_empty() {
    let n = Slice::<u8>::nil();
    assert!(n.is_nil());
    assert_eq!((n.len(), n.cap()), (0, 0));
    assert!(Slice::<u8>::default().is_nil());
    assert!(Slice::<u8>::new().is_nil());
    assert!(!Slice::<u8>::empty().is_nil());
    assert!(!Slice::<u8>::make(0, 0).is_nil());
    assert!(!Slice::<u8>::from(vec![]).is_nil());
    // Slicing keeps nil-ness: nil[0:0] == nil, []T{}[0:0] != nil.
    assert!(n.slice(..).is_nil());
    assert!(n.slice3(0, 0, 0).is_nil());
    assert!(!Slice::<u8>::empty().slice(..).is_nil());
    // append to nil allocates: []int one element -> cap 1.
    let s = n.append(1);
    assert!(!s.is_nil());
    assert_eq!((s.len(), s.cap()), (1, 8));
    assert_eq!(Slice::<u64>::nil().append(1).cap(), 1);
    assert_eq!(format!("{n:?} {:?}", Slice::<u8>::empty()), "[] []");
    assert_eq!(format!("{n} {}", Slice::<u8>::empty()), "[] []");
    // A non-nil slice of length 0 at the end of an array.
    let m = Slice::<u8>::make(2, 2);
    let end = m.slice(2..);
    assert!(!end.is_nil());
    assert_eq!((end.len(), end.cap()), (0, 0));
}

#[test]
fn make_len_cap_and_errors() {
    let s = Slice::<String>::make(2, 5);
    assert_eq!((s.len(), s.cap()), (2, 5));
    assert_eq!(s, vec![String::new(), String::new()]);
    assert_eq!(s.slice(..5).len(), 5); // the whole capacity is zero values
    assert_eq!(
        Slice::<u8>::try_make(3, 2).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        Slice::<u64>::try_make(1, usize::MAX).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        Slice::<u64>::try_make(usize::MAX / 2, usize::MAX / 2).unwrap_err(),
        MakeError::LenOutOfRange
    );
    assert_eq!(
        panic_message(|| drop(Slice::<u8>::make(3, 2))),
        "makeslice: cap out of range"
    );
    assert_eq!(
        panic_message(|| drop(Slice::<u64>::make(usize::MAX, usize::MAX))),
        "makeslice: len out of range"
    );
    // Zero-size elements may have any length.
    let big = usize::MAX / 4;
    let z = Slice::<()>::make(big, big);
    assert_eq!(z.len(), big);
}

#[test]
fn index_panics_with_gos_text() {
    let s = Slice::from(vec![1, 2, 3]);
    assert_eq!(
        panic_message(|| {
            let _ = s.get(5);
        }),
        "index out of range [5] with length 3"
    );
    assert_eq!(
        panic_message(|| s.set(3, 0)),
        "index out of range [3] with length 3"
    );
    assert_eq!(s.try_get(3), Err(BoundsError::Index { index: 3, len: 3 }));
    assert_eq!(
        s.try_set(9, 1),
        Err(BoundsError::Index { index: 9, len: 3 })
    );
    assert_eq!(
        panic_message(|| {
            let _ = Slice::<u8>::nil().get(0);
        }),
        "index out of range [0] with length 0"
    );
}

#[test]
#[should_panic(expected = "index out of range [5] with length 3")]
fn get_out_of_range_panics() {
    Slice::from(vec![1, 2, 3]).get(5);
}

#[test]
#[should_panic(expected = "slice bounds out of range [:7] with capacity 4")]
fn slice_past_cap_panics() {
    Slice::<u8>::make(3, 4).slice(..7);
}

#[test]
#[allow(clippy::reversed_empty_ranges)] // lo > hi on purpose
fn slice_expression_messages_and_order() {
    let s = Slice::<u8>::make(3, 4);
    let msg = |r: std::ops::Range<usize>| s.try_slice(r).unwrap_err().to_string();
    assert_eq!(msg(0..5), "slice bounds out of range [:5] with capacity 4");
    assert_eq!(msg(2..1), "slice bounds out of range [2:1]");
    // hi checked first: both wrong reports the capacity.
    assert_eq!(msg(9..5), "slice bounds out of range [:5] with capacity 4");
    assert_eq!(
        s.try_slice(5..).unwrap_err().to_string(),
        "slice bounds out of range [5:3]"
    );
    assert_eq!(
        s.try_slice(..=4).unwrap_err(),
        BoundsError::SliceAcap { hi: 5, cap: 4 }
    );
    let msg3 = |lo, hi, max| s.try_slice3(lo, hi, max).unwrap_err().to_string();
    assert_eq!(
        msg3(0, 1, 9),
        "slice bounds out of range [::9] with capacity 4"
    );
    assert_eq!(msg3(0, 3, 2), "slice bounds out of range [:3:2]");
    assert_eq!(msg3(3, 2, 4), "slice bounds out of range [3:2:]");
    assert_eq!(
        msg3(5, 9, 9),
        "slice bounds out of range [::9] with capacity 4"
    );
    assert_eq!(
        panic_message(|| drop(s.slice3(0, 3, 2))),
        "slice bounds out of range [:3:2]"
    );
    assert_eq!(
        panic_message(|| drop(s.slice(2..1))),
        "slice bounds out of range [2:1]"
    );
}

#[test]
fn slice_bounds_are_checked_against_cap_not_len() {
    let s = Slice::from(vec![1u8, 2, 3, 4]).slice(..2);
    assert_eq!((s.len(), s.cap()), (2, 4));
    assert_eq!(s.slice(..4), [1, 2, 3, 4]);
    assert_eq!(s.slice(1..3).cap(), 3);
    let t = s.slice(4..4);
    assert_eq!((t.len(), t.cap()), (0, 0));
}

#[test]
fn slice3_limits_capacity_and_append_reallocates() {
    let s = Slice::from(vec![1, 2, 3, 4, 5]);
    let t = s.slice3(1, 3, 4);
    assert_eq!((t.len(), t.cap()), (2, 3));
    let u = t.append(30); // fits: writes s[3]
    assert_eq!(s, [1, 2, 3, 30, 5]);
    let v = u.append(40); // u full at cap 3: new array, s[4] untouched
    assert_eq!(s, [1, 2, 3, 30, 5]);
    assert_eq!(v, [2, 3, 30, 40]);
    assert!(!v.shares_array(&s));
    // Without the limit the same append would have clobbered s[4].
    let w = s.slice(1..4).append(41);
    assert_eq!(s.get(4), 41);
    assert!(w.shares_array(&s));
}

#[test]
fn the_append_surprise() {
    // a := make([]int, 3, 4); b := append(a, 1); c := append(a, 2) => b[3] == 2
    let a = Slice::<i64>::make(3, 4);
    let b = a.append(1);
    let c = a.append(2);
    assert_eq!(b.get(3), 2);
    assert_eq!(c.get(3), 2);
    assert_eq!(a.len(), 3);
    assert_eq!(a.slice(..4), [0, 0, 0, 2]);
    // Beyond capacity the paths part: writes through the new one stay there.
    let d = b.append(3);
    assert_eq!((d.len(), d.cap()), (5, 8));
    d.set(0, 99);
    assert_eq!(a.get(0), 0);
    assert_eq!(b.get(0), 0);
    // ...and the old array lives on for a, b, c.
    c.set(0, 7);
    assert_eq!(b.get(0), 7);
}

#[test]
fn append_growth_uses_cap_not_len() {
    // spec (c) 3: len 10, cap 300, +300 elements => need 310 => cap 608.
    let s = Slice::<i64>::make(10, 300);
    let t = s.append_vec(vec![0; 300]);
    assert_eq!((t.len(), t.cap()), (310, 608));
    // Bulk append of more than double: exactly the request, then rounded.
    let u = Slice::<i64>::nil().append_slice(&[1, 2, 3, 4, 5]);
    assert_eq!(u.cap(), 6);
    let z = Slice::<()>::nil().append(()).append(()).append(());
    assert_eq!((z.len(), z.cap()), (3, 3));
}

#[test]
fn append_from_overlapping_source_is_a_snapshot() {
    let s = Slice::from(vec![0, 1, 2, 3, 4, 5]);
    // s = append(s[:2], s[3:]...): delete index 2
    let t = s.slice(..2).append_from(&s.slice(3..));
    assert_eq!(t, [0, 1, 3, 4, 5]);
    // append(s[:4], s[1:]...) grows and reads the old elements.
    let u = s.slice(..4).append_from(&s.slice(1..));
    assert_eq!(u, [0, 1, 3, 4, 1, 3, 4, 5, 5]);
    let x = Slice::from(vec![1, 2]);
    assert_eq!(x.append_from(&x), [1, 2, 1, 2]);
}

#[test]
fn push_and_extend_are_assignments() {
    let mut s = Slice::<u8>::nil();
    let keep = s.clone();
    s.push(1);
    assert!(keep.is_nil());
    s.extend_from_slice(&[2, 3]);
    s.extend(vec![4, 5]);
    assert_eq!(s, [1, 2, 3, 4, 5]);
    assert_eq!(s.cap(), 8);
    // push on a shared array writes it, like s = append(s, v).
    let mut a = Slice::<u8>::make(1, 4);
    let b = a.clone();
    a.push(9);
    assert_eq!(b.slice(..2), [0, 9]);
    // push that grows while shared leaves the other header intact.
    let mut c = Slice::from(vec![1u8]);
    let d = c.clone();
    c.push(2);
    c.set(0, 100);
    assert_eq!(d, [1]);
}

#[test]
fn copy_counts_and_memmove() {
    let dst = Slice::<i32>::make(3, 3);
    let src = Slice::from(vec![1, 2, 3, 4, 5]);
    assert_eq!(goslice::copy(&dst, &src), 3);
    assert_eq!(dst, [1, 2, 3]);
    assert_eq!(goslice::copy(&src, &Slice::from(vec![9])), 1);
    assert_eq!(src, [9, 2, 3, 4, 5]);
    assert_eq!(goslice::copy(&Slice::nil(), &src), 0);
    // Overlap both ways.
    let s = Slice::from((0..10).collect::<Vec<_>>());
    assert_eq!(s.slice(2..).copy_from(&s), 8);
    assert_eq!(s, [0, 1, 0, 1, 2, 3, 4, 5, 6, 7]);
    let s = Slice::from((0..10).collect::<Vec<_>>());
    assert_eq!(s.copy_from(&s.slice(3..)), 7);
    assert_eq!(s, [3, 4, 5, 6, 7, 8, 9, 7, 8, 9]);
    // From a Rust slice, and strings (heap elements) overlapping.
    let b = Slice::<u8>::make(5, 5);
    assert_eq!(b.copy_from_slice(b"hi"), 2);
    assert_eq!(b, *b"hi\0\0\0");
    let t = Slice::from(vec!["a".to_string(), "b".into(), "c".into()]);
    t.slice(1..).copy_from(&t);
    assert_eq!(t, ["a", "a", "b"].map(String::from));
}

#[test]
fn debug_prints_like_vec() {
    for v in [vec![], vec![1], vec![1, 2, 3]] {
        let s = Slice::from(v.clone());
        assert_eq!(format!("{s:?}"), format!("{v:?}"));
        assert_eq!(format!("{s:#?}"), format!("{v:#?}"));
    }
    let strs = Slice::from(vec!["a", "b"]);
    assert_eq!(format!("{strs:?}"), format!("{:?}", ["a", "b"]));
    let nested = Slice::from(vec![
        Slice::from(vec![1, 2]),
        Slice::nil(),
        Slice::from(vec![3]),
    ]);
    assert_eq!(format!("{nested:?}"), "[[1, 2], [], [3]]");
    assert_eq!(
        format!("{nested:#?}"),
        format!("{:#?}", vec![vec![1, 2], vec![], vec![3]])
    );
    // Only the window's len elements, not the rest of the capacity.
    let window = Slice::from(vec![1, 2, 3, 4]).slice3(1, 2, 4);
    assert_eq!(format!("{window:?}"), "[2]");
    assert_eq!(format!("{:?}", Slice::<f64>::make(2, 3)), "[0.0, 0.0]");
    assert_eq!(format!("{:?}", Slice::<u8>::nil()), "[]");
}

#[test]
fn display_prints_like_go_fmt_println() {
    // Go: fmt.Println([]int{1, 2, 3}, []string{"a", "b"}) prints "[1 2 3] [a b]".
    assert_eq!(format!("{}", Slice::from(vec![1, 2, 3])), "[1 2 3]");
    assert_eq!(format!("{}", Slice::from(vec!["a", "b"])), "[a b]");
    // Go: fmt.Println([][]int{{1, 2}, nil, {3}}) prints "[[1 2] [] [3]]".
    let nested = Slice::from(vec![
        Slice::from(vec![1, 2]),
        Slice::nil(),
        Slice::from(vec![3]),
    ]);
    assert_eq!(nested.to_string(), "[[1 2] [] [3]]");
    assert_eq!(Slice::<u8>::nil().to_string(), "[]");
    assert_eq!(Slice::<u8>::make(0, 4).to_string(), "[]");
    // Element flags apply per element.
    assert_eq!(format!("{:>3}", Slice::from(vec![1, 22])), "[  1  22]");
    let window = Slice::from(vec![1, 2, 3, 4]).slice(1..3);
    assert_eq!(window.to_string(), "[2 3]");
}

#[test]
fn conversions() {
    let s: Slice<i32> = vec![1, 2, 3].into();
    assert_eq!((s.len(), s.cap()), (3, 3));
    let v: Vec<i32> = s.clone().into();
    assert_eq!(v, [1, 2, 3]);
    let r: &[i32] = &[4, 5];
    let t = Slice::from(r);
    assert_eq!(t.to_vec(), vec![4, 5]);
    let u = Slice::from([7u8; 3]);
    assert_eq!(u, [7, 7, 7]);
    let w: Slice<u32> = (0..4).collect();
    assert_eq!(Vec::from(&w), vec![0, 1, 2, 3]);
    assert_eq!(w.with(|xs| xs.len()), 4);
    assert_eq!(s, Slice::from(vec![1, 2, 3]));
    assert_ne!(s, Slice::from(vec![1, 2]));
}

#[test]
fn iteration_reads_live_elements() {
    let s = Slice::from(vec![1, 2, 3, 4]);
    let mut seen = vec![];
    for (i, v) in s.iter().enumerate() {
        if i == 0 {
            s.set(2, 30); // visible later, as in Go's range
        }
        seen.push(v);
    }
    assert_eq!(seen, [1, 2, 30, 4]);
    assert_eq!((&s).into_iter().len(), 4);
    assert_eq!(
        s.clone().into_iter().rev().collect::<Vec<_>>(),
        [4, 30, 2, 1]
    );
    let mut it = s.iter();
    assert_eq!(it.next_back(), Some(4));
    assert_eq!(it.size_hint(), (3, Some(3)));
    assert_eq!(Slice::<u8>::nil().iter().next(), None);
}

#[test]
fn with_blocks_writes_while_borrowed() {
    let s = Slice::from(vec![1, 2, 3]);
    let t = s.clone();
    let msg = panic_message(std::panic::AssertUnwindSafe(|| s.with(|_| t.set(0, 9))));
    assert!(msg.contains("borrowed"), "{msg}");
    assert_eq!(s, [1, 2, 3]);
    // Reads nest fine; exclusive access excludes reads.
    assert_eq!(s.with(|a| t.with(|b| a[0] + b[1])), 3);
    let msg = panic_message(std::panic::AssertUnwindSafe(|| {
        s.with_mut(|_| {
            let _ = t.get(0);
        })
    }));
    assert!(msg.contains("borrowed"), "{msg}");
    s.with_mut(|xs| xs[0] = 10);
    assert_eq!(t.get(0), 10);
    // The flag is released after a panic: writes work again.
    t.set(1, 20);
    assert_eq!(s, [10, 20, 3]);
}

#[test]
fn as_slice_borrows_until_the_guard_drops() {
    // [2 3 4] over slots 1..4 of an array with slots 4.. never written.
    let s = Slice::from(vec![1, 2, 3]).append(4).slice(1..);
    let t = s.clone();
    let xs = s.as_slice();
    assert_eq!(*xs, [2, 3, 4]);
    assert_eq!(format!("{xs:?}"), "[2, 3, 4]");
    // Reads through any header, and other shared borrows, go ahead.
    assert_eq!(t.get(1), 3);
    assert_eq!(t.with(|b| b[0] + xs[1]), 5);
    assert_eq!(t.as_slice()[..], xs[..]);
    // Writes to elements, and exclusive borrows, panic.
    let msg = panic_message(std::panic::AssertUnwindSafe(|| t.set(0, 9)));
    assert!(msg.contains("borrowed"), "{msg}");
    let msg = panic_message(std::panic::AssertUnwindSafe(|| t.with_mut(|_| ())));
    assert!(msg.contains("borrowed"), "{msg}");
    let msg = panic_message(std::panic::AssertUnwindSafe(|| {
        let _ = goslice::copy(&t, &Slice::from(vec![7]));
    }));
    assert!(msg.contains("borrowed"), "{msg}");
    // Appending into the never-written slot past every element is fine.
    let u = t.append(5);
    assert!(u.shares_array(&t));
    assert_eq!(*xs, [2, 3, 4]);
    drop(xs);
    t.set(0, 9);
    assert_eq!(u, [9, 3, 4, 5]);
    assert_eq!(s.as_slice()[0], 9);
}

#[test]
fn as_slice_of_arrayless_slices_is_empty() {
    assert!(Slice::<u8>::nil().as_slice().is_empty());
    assert!(Slice::<u8>::empty().as_slice().is_empty());
    let s = Slice::<u8>::make(0, 2);
    assert!(s.as_slice().is_empty());
    s.clone().push(1); // the array is not borrowed by an empty view either
}

#[test]
fn as_slice_inside_with_mut_panics_and_a_leaked_guard_keeps_the_borrow() {
    let s = Slice::from(vec![1, 2]);
    let msg = panic_message(std::panic::AssertUnwindSafe(|| {
        s.with_mut(|_| drop(s.as_slice()));
    }));
    assert!(msg.contains("borrowed"), "{msg}");
    s.set(0, 3); // released by the panic
    core::mem::forget(s.as_slice());
    let msg = panic_message(std::panic::AssertUnwindSafe(|| s.set(0, 4)));
    assert!(msg.contains("borrowed"), "{msg}");
    assert_eq!(s, [3, 2]);
}

#[test]
fn a_clone_that_writes_into_its_own_array_panics_instead_of_aliasing() {
    use std::cell::RefCell;
    thread_local! {
        static ARR: RefCell<Option<Slice<W>>> = const { RefCell::new(None) };
    }
    #[derive(Debug, PartialEq)]
    struct W(u64);
    impl Clone for W {
        fn clone(&self) -> Self {
            ARR.with(|a| {
                if let Some(s) = &*a.borrow() {
                    s.set(0, W(99)); // would free/overwrite what `self` points at
                }
            });
            W(self.0)
        }
    }
    let s = Slice::from(vec![W(1), W(2)]);
    ARR.with(|a| *a.borrow_mut() = Some(s.clone()));
    let msg = panic_message(std::panic::AssertUnwindSafe(|| {
        let _ = s.get(0);
    }));
    assert!(msg.contains("borrowed"), "{msg}");
    ARR.with(|a| *a.borrow_mut() = None);
    assert_eq!(s.get(0), W(1));
    s.set(0, W(5));
    assert_eq!(s.get(0), W(5));
}

#[test]
fn reslicing_past_written_elements_needs_a_zero_value() {
    // make knows T::default.
    let s = Slice::<u8>::make(0, 4).append(1);
    assert_eq!(s.slice(..4), [1, 0, 0, 0]);
    // An array grown from nil by append does not, until with_zero.
    let t = Slice::<u8>::nil().append(1);
    let msg = panic_message(|| drop(t.slice(..3)));
    assert!(msg.contains("zero values"), "{msg}");
    let t = t.with_zero();
    assert_eq!(t.slice(..3), [1, 0, 0]);
    // The zero value is inherited by arrays append grows from it, even
    // from an empty make.
    let e = Slice::<u8>::make(0, 0).append(3);
    assert_eq!(e.slice(..e.cap()), [3, 0, 0, 0, 0, 0, 0, 0]);
    let g = Slice::<u8>::make(1, 1).append(5);
    assert_eq!(g.slice(..g.cap()), [0, 5, 0, 0, 0, 0, 0, 0]);
    // Within written elements no zero value is needed.
    let v = Slice::from(vec![1, 2, 3]).slice(..1);
    assert_eq!(v.slice(..3), [1, 2, 3]);
}

#[test]
fn grow_error_is_reported() {
    assert_eq!(
        Slice::<u64>::nil()
            .try_append_vec(Vec::new())
            .map(|s| s.cap()),
        Ok(0)
    );
    let e = goslice::grow::try_next_cap(goslice::grow::Policy::Go118, 0, usize::MAX / 4, 8);
    assert_eq!(e.unwrap_err().to_string(), "growslice: cap out of range");
    let msg = panic_message(|| {
        goslice::grow::next_cap(goslice::grow::Policy::Go117, 0, usize::MAX / 4, 8);
    });
    assert_eq!(msg, "growslice: cap out of range");
}

#[test]
fn slices_are_not_send_or_sync() {
    static_assertions::assert_not_impl_any!(Slice<u8>: Send, Sync);
    static_assertions::assert_not_impl_any!(goslice::Iter<u8>: Send, Sync);
    static_assertions::assert_impl_all!(BoundsError: Send, Sync, std::error::Error);
    static_assertions::assert_impl_all!(goslice::grow::GrowError: Send, Sync, std::error::Error);
}

#[test]
fn get_follows_exclusive_borrows_panics_and_appends_made_meanwhile() {
    // `get` checks one word (raw I6): it must say "borrowed" inside
    // `with_mut`, and work again after a panicking closure or a panicking
    // `Clone`.
    use std::cell::Cell;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    thread_local! {
        static BOOM: Cell<bool> = const { Cell::new(false) };
    }
    #[derive(Debug, PartialEq)]
    struct P(u32);
    impl Clone for P {
        fn clone(&self) -> Self {
            assert!(!BOOM.with(Cell::get), "clone boom");
            P(self.0)
        }
    }
    let s = Slice::from(vec![P(1), P(2)]).slice(..1); // cap 2, slot 1 written
    let whole = s.slice(..2);
    let msg = panic_message(AssertUnwindSafe(|| {
        whole.with_mut(|_| {
            let _ = s.get(0);
        })
    }));
    assert!(msg.contains("borrowed"), "{msg}");
    assert_eq!(s.get(0), P(1));
    // A panicking `Clone` inside `get` releases its shared borrow.
    BOOM.with(|b| b.set(true));
    let r = catch_unwind(AssertUnwindSafe(|| whole.get(1)));
    BOOM.with(|b| b.set(false));
    assert!(r.is_err());
    whole.set(1, P(5));
    assert_eq!(whole.get(1), P(5));
    // A panicking `with_mut` closure makes the slots readable again.
    let r = catch_unwind(AssertUnwindSafe(|| {
        whole.with_mut(|_| panic!("closure boom"))
    }));
    assert!(r.is_err());
    assert_eq!((whole.get(0), whole.get(1)), (P(1), P(5)));
}
