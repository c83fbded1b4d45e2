//! Go 1.19's slice programs in `test/` that `golang.rs` does not cover —
//! `makeslice.go`, `ken/sliceslice.go`, `ken/slicearray.go` — ported to
//! `Slice`. Each test names the Go function it follows.
//!
//! Copyright 2009 The Go Authors. All rights reserved.
//! Use of this source code is governed by a BSD-style
//! license that can be found in Go's LICENSE file
//! (<https://github.com/golang/go/blob/go1.19/LICENSE>).

use std::panic::{catch_unwind, AssertUnwindSafe};

use goslice::{MakeError, Slice};

mod common;
use common::panic_message;

/// Go: makeslice.go `shouldPanic` — the panic's text contains `want`.
#[track_caller]
fn should_panic(want: &str, f: impl FnOnce()) {
    let got = panic_message(f);
    assert!(got.contains(want), "got panic {got:?}, want {want:?}");
}

/// Go: makeslice.go `testMakeInts`/`testMakeBytes`, `testMakeCopy*`,
/// `testMakeInAppend*` for one element type and one bad length `n`:
/// `make(T, n)` panics "len out of range", `make(T, 0, n)` "cap out of
/// range", also when the result would be copied into or appended to.
fn test_make<T: Clone + Default + std::fmt::Debug>(n: usize) {
    should_panic("len out of range", || drop(Slice::<T>::make(n, n)));
    should_panic("cap out of range", || drop(Slice::<T>::make(0, n)));
    assert_eq!(
        Slice::<T>::try_make(n, n).unwrap_err(),
        MakeError::LenOutOfRange
    );
    assert_eq!(
        Slice::<T>::try_make(0, n).unwrap_err(),
        MakeError::CapOutOfRange
    );
    let c = Slice::<T>::make(8, 8);
    should_panic("len out of range", || {
        let x = Slice::<T>::make(n, n);
        x.copy_from(&c);
    });
    should_panic("cap out of range", || {
        let x = Slice::<T>::make(0, n);
        x.copy_from(&c);
    });
    for length in [0, 1] {
        let t = Slice::<T>::make(length, length);
        should_panic("len out of range", || {
            drop(t.append_from(&Slice::make(n, n)))
        });
        should_panic("cap out of range", || {
            drop(t.append_from(&Slice::make(0, n)))
        });
        assert_eq!(t.len(), length);
    }
}

/// Go: makeslice.go `main` — `-1` (as every integer type) and lengths past
/// `maxAlloc` for `[]int` and `[]byte`.
#[test]
fn makeslice() {
    // `n := -1; uint64(n)`: as a Go int it is negative; as usize it is MAX.
    test_make::<isize>(usize::MAX);
    test_make::<u8>(usize::MAX);
    if cfg!(target_pointer_width = "64") {
        test_make::<isize>(1 << 59);
        test_make::<isize>((1 << 63) - 1);
    } else {
        test_make::<isize>((1 << 31) - 1);
    }
}

/// The one-past-the-limit cases beside makeslice.go's: the largest `[]byte`
/// Go's `maxAlloc` refuses has one byte too many, and zero-size elements
/// never pass it (Go: `make([]struct{}, 1<<40)` succeeds).
#[test]
fn makeslice_limits() {
    if cfg!(target_pointer_width = "64") && !cfg!(miri) {
        // Go's maxAlloc on linux/amd64 is 1 << 48 bytes.
        assert_eq!(
            Slice::<u8>::try_make(0, (1 << 48) + 1).unwrap_err(),
            MakeError::CapOutOfRange
        );
        assert_eq!(
            Slice::<u64>::try_make((1 << 45) + 1, (1 << 45) + 1).unwrap_err(),
            MakeError::LenOutOfRange
        );
    }
    let z = Slice::<()>::make(1 << 20, 1 << 30);
    assert_eq!((z.len(), z.cap()), (1 << 20, 1 << 30));
    assert_eq!(z.get((1 << 20) - 1), ());
    // len > cap is reported as a cap error when len alone is fine.
    should_panic("cap out of range", || drop(Slice::<u8>::make(5, 3)));
}

/// Go: ken/sliceslice.go and ken/slicearray.go `tstb`/`tstf` — every
/// `x[lb:hb]` spelling over a 10-element `[]byte` and `[]float64` (or a
/// `[10]byte` array): len `hb-lb`, cap `len(x)-lb`, elements shared.
fn check_slices<T: Clone + PartialEq + std::fmt::Debug>(bx: &Slice<T>) {
    let n = bx.len();
    let mut t = 0;
    let mut tst = |by: Slice<T>, lb: usize, hb: usize| {
        t += 1;
        assert_eq!(by.len(), hb - lb, "t={t} lb={lb} hb={hb}: len");
        assert_eq!(by.cap(), n - lb, "t={t} lb={lb} hb={hb}: cap");
        for i in lb..hb {
            assert_eq!(bx.get(i), by.get(i - lb), "t={t} lb={lb} hb={hb} i={i}");
        }
        assert!(by.shares_array(bx) || by.cap() == 0);
    };
    for (lb, hb) in [(0, 10), (2, 10)] {
        tst(bx.slice(lb..hb), lb, hb);
        tst(bx.slice(lb..10), lb, hb);
        tst(bx.slice(lb..), lb, hb);
        if lb == 0 {
            tst(bx.slice(..hb), lb, hb);
            tst(bx.slice(0..hb), lb, hb);
            tst(bx.slice(0..10), lb, hb);
            tst(bx.slice(0..), lb, hb);
            tst(bx.slice(..10), lb, hb);
            tst(bx.slice(..), lb, hb);
        } else {
            tst(bx.slice(2..hb), lb, hb);
            tst(bx.slice(2..10), lb, hb);
            tst(bx.slice(2..), lb, hb);
        }
    }
    for (lb, hb) in [(0, 8), (2, 8)] {
        tst(bx.slice(lb..hb), lb, hb);
        tst(bx.slice(lb..8), lb, hb);
        if lb == 0 {
            tst(bx.slice(0..hb), lb, hb);
            tst(bx.slice(0..8), lb, hb);
            tst(bx.slice(..8), lb, hb);
            tst(bx.slice(..hb), lb, hb);
        } else {
            tst(bx.slice(2..hb), lb, hb);
            tst(bx.slice(2..8), lb, hb);
        }
    }
    assert_eq!(t, 25);
}

#[test]
fn ken_sliceslice() {
    let bx: Slice<u8> = Slice::make(10, 10);
    for i in 0..bx.len() {
        bx.set(i, (i + 20) as u8);
    }
    check_slices(&bx);
    let fx: Slice<f64> = Slice::make(10, 10);
    for i in 0..fx.len() {
        fx.set(i, (i + 20) as f64);
    }
    check_slices(&fx);
}

#[test]
fn ken_slicearray() {
    // `var bx [10]byte`: an array, sliced; here a Slice made from one.
    let bx = Slice::from(core::array::from_fn::<u8, 10, _>(|i| (i + 20) as u8));
    assert_eq!(bx.cap(), 10);
    check_slices(&bx);
    let fx = Slice::from(core::array::from_fn::<f64, 10, _>(|i| (i + 20) as f64));
    check_slices(&fx);
}

/// Go's test/fixedbugs programs about `make`, `append` and `copy`.
mod fixedbugs {
    use super::*;

    /// Go: fixedbugs/issue41239.go — appending two elements to a full
    /// 1023-of-1024 slice grows to the same capacity as appending one to a
    /// full 1024 slice (growth looks at the needed length only past
    /// doubling).
    #[test]
    fn issue41239() {
        const N: usize = 1024;
        let a = Slice::<isize>::make(N, N);
        let x = a.slice3(0, N - 1, N).append_slice(&[9, 9]).cap();
        let y = a.slice3(0, N, N).append(9).cap();
        assert_eq!(x, y, "different capacity on append");
    }

    /// Go: fixedbugs/issue29190.go — a zero-size slice of maxInt elements
    /// cannot take one more: "cap out of range".
    #[test]
    fn issue29190() {
        let max_int = isize::MAX as usize;
        let s = Slice::<()>::make(max_int, max_int);
        assert_eq!(s.len(), max_int);
        should_panic("cap out of range", || drop(s.append(())));
        let one = Slice::<()>::make(1, 1);
        should_panic("cap out of range", || drop(s.append_from(&one)));
        assert_eq!(s.len(), max_int);
    }

    /// Go: fixedbugs/issue7550.go — appending a maxInt zero-size slice to
    /// another panics.
    #[test]
    fn issue7550() {
        let length = isize::MAX as usize;
        let a = Slice::<()>::make(length, length);
        let b = Slice::<()>::make(length, length);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(a.append_from(&b)))).is_err());
    }

    /// Go: fixedbugs/issue37975.go — `make([]int, 2, 1)` is "cap out of
    /// range", `make([]int, -1, 3)` "len out of range".
    #[test]
    fn issue37975() {
        let _ = Slice::<isize>::make(0, 300);
        should_panic("cap out of range", || drop(Slice::<isize>::make(2, 1)));
        // Go's -1 as an int is usize::MAX here.
        should_panic("len out of range", || {
            drop(Slice::<isize>::make(usize::MAX, 3))
        });
    }

    /// Go: fixedbugs/bug428.go — `append(s[:len(s)-1], '5', s[len(s)-1])`:
    /// the appended values are read before the append writes the slot
    /// they came from.
    #[test]
    fn bug428() {
        let mut s = Slice::<u8>::make(5, 6);
        s.copy_from_slice(b"12346");
        let last = s.get(s.len() - 1);
        s = s.slice(..s.len() - 1).append_slice(&[b'5', last]);
        assert_eq!(s, *b"123456");
    }

    /// Go: fixedbugs/issue17039.go — `type S []S; s = append(s, s)` appends
    /// a nil value.
    #[test]
    fn issue17039() {
        #[derive(Clone, Debug, Default, PartialEq)]
        struct S(Slice<S>);
        let mut s = S::default();
        s.0 = s.0.append(s.clone());
        assert_eq!(s.0.len(), 1);
        assert!(s.0.get(0).0.is_nil(), "s[0] != nil");
    }

    /// Go: fixedbugs/issue47771.go — `append(a[:0], make([]*int, 3)...)`
    /// overwrites the first three slots with nils, in place.
    #[test]
    fn issue47771() {
        let g = 0;
        let a = Slice::from(vec![Some(&g); 4]);
        let b = a
            .slice(..0)
            .append_from(&Slice::make(a.len() - 1, a.len() - 1));
        assert_eq!(b, [None, None, None]);
        assert!(b.shares_array(&a));
        assert_eq!(a, [None, None, None, Some(&0)]);
    }

    /// Go: fixedbugs/issue5820.go — storing a nil slice through an index.
    #[test]
    fn issue5820() {
        let array = Slice::<Slice<isize>>::make(2, 2);
        array.set(1, Slice::nil());
        assert!(array.get(1).is_nil(), "array[1] != nil");
    }

    /// Go: fixedbugs/issue10925.go — each appended one-element slice is its
    /// own array.
    #[test]
    fn issue10925() {
        let mut got: Slice<Slice<&str>> = Slice::nil();
        for s in ["one", "two", "three"] {
            got = got.append(Slice::from(vec![s]));
        }
        assert_eq!(
            (got.get(0).get(0), got.get(1).get(0), got.get(2).get(0)),
            ("one", "two", "three")
        );
    }
}

/// Go's runtime tests of append (`src/runtime/runtime_test.go`,
/// `src/runtime/slice_test.go`).
mod runtime_tests {
    use super::*;

    /// Go: `TestAppendGrowth` — appending one `int64` at a time to nil
    /// doubles the capacity: 1, 2, 4, ..., 128.
    #[test]
    fn append_growth() {
        let mut x: Slice<i64> = Slice::nil();
        assert_eq!(x.cap(), 0);
        let mut want = 1;
        for i in 1..=100usize {
            x = x.append(1);
            assert_eq!(x.cap(), want, "len={}", x.len());
            if i & (i - 1) == 0 {
                want = 2 * i;
            }
        }
        // The same through push (Go: `x = append(x, 1)` in place).
        let mut y: Slice<i64> = Slice::nil();
        let mut want = 1;
        for i in 1..=100usize {
            y.push(1);
            assert_eq!(y.cap(), want, "len={}", y.len());
            if i & (i - 1) == 0 {
                want = 2 * i;
            }
        }
    }

    /// Go: `TestAppendSliceGrowth` — the same growth when appending a
    /// one-element slice.
    #[test]
    fn append_slice_growth() {
        let one = Slice::from(vec![1i64]);
        let mut x: Slice<i64> = Slice::nil();
        let mut want = 1;
        for i in 1..=100usize {
            x = x.append_from(&one);
            assert_eq!(x.cap(), want, "len={}", x.len());
            if i & (i - 1) == 0 {
                want = 2 * i;
            }
        }
    }

    /// Go: `TestSideEffectOrder` — `append(x, 1, f())` where `f` writes
    /// `x[:1][0]`: the arguments are evaluated before the append writes,
    /// and the append's writes win.
    #[test]
    fn side_effect_order() {
        let x = Slice::<isize>::make(0, 10);
        let f = || {
            x.slice(..1).set(0, 3);
            2
        };
        let args = [1, f()];
        let x = x.append_slice(&args);
        assert_eq!((x.get(0), x.get(1)), (1, 2), "append failed");
    }

    /// Go: `TestAppendOverlap` — `append(x[1:], x...)` where the source
    /// overlaps the destination's growth.
    #[test]
    fn append_overlap() {
        let x = Slice::from(b"1234".to_vec());
        let x = x.slice(1..).append_from(&x);
        assert_eq!(x, *b"2341234", "overlap failed");
    }
}
