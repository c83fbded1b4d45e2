// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
//
// Redistribution and use in source and binary forms, with or without
// modification, are permitted provided that the following conditions are
// met:
//
//    * Redistributions of source code must retain the above copyright
// notice, this list of conditions and the following disclaimer.
//    * Redistributions in binary form must reproduce the above
// copyright notice, this list of conditions and the following disclaimer
// in the documentation and/or other materials provided with the
// distribution.
//    * Neither the name of Google Inc. nor the names of its
// contributors may be used to endorse or promote products derived from
// this software without specific prior written permission.
//
// THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
// "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
// LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
// A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
// OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
// SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
// LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
// DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
// THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
// (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
// OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

//! Go's own tests of slices, rewritten against `goslice` (Go 1.19 `test/`
//! directory: append.go, slice3.go, copy.go, slicecap.go).

use goslice::Slice;

/// https://github.com/golang/go/blob/go1.19/test/append.go
mod append {
    use super::*;

    /// The a..j cases, for one element type: append nothing / one / several
    /// values / a slice, to an empty and to a 3-element slice.
    fn cases<T: Clone + PartialEq + std::fmt::Debug>(v: [T; 6]) {
        let e = || Slice::<T>::empty();
        let three = || Slice::from(v[..3].to_vec());
        assert_eq!(e().append_slice(&[]), []);
        assert_eq!(e().append(v[0].clone()), v[..1].to_vec());
        assert_eq!(e().append_slice(&v[..4]), v[..4].to_vec());
        assert_eq!(three().append_slice(&[]), v[..3].to_vec());
        assert_eq!(three().append(v[3].clone()), v[..4].to_vec());
        assert_eq!(three().append_slice(&v[3..6]), v.to_vec());
        assert_eq!(
            e().append_from(&Slice::from(v[..1].to_vec())),
            v[..1].to_vec()
        );
        assert_eq!(
            e().append_from(&Slice::from(v[..4].to_vec())),
            v[..4].to_vec()
        );
        assert_eq!(
            three().append_from(&Slice::from(v[3..4].to_vec())),
            v[..4].to_vec()
        );
        assert_eq!(
            three().append_from(&Slice::from(v[3..].to_vec())),
            v.to_vec()
        );
    }

    #[test]
    fn typed_cases() {
        cases([false, true, false, true, true, false]);
        cases([0u8, 1, 2, 3, 4, 5]);
        cases([0i16, 1, 2, 3, 4, 5]);
        cases([0u32, 1, 2, 3, 4, 5]);
        cases([0f64, 1.0, 2.0, 3.0, 4.0, 5.0]);
        cases(["0", "1", "2", "3", "4", "5"].map(String::from));
    }

    #[test]
    fn make_cases() {
        // make a, b: appending nothing keeps empty / nil.
        assert!(!Slice::<String>::empty()
            .append_from(&Slice::make(0, 0))
            .is_nil());
        assert!(Slice::<String>::nil()
            .append_from(&Slice::make(0, 0))
            .is_nil());
        // make c, d: zero-size elements.
        assert_eq!(
            Slice::<()>::empty().append_from(&Slice::make(0, 0)).len(),
            0
        );
        assert_eq!(
            Slice::<()>::empty().append_from(&Slice::make(2, 2)).len(),
            2
        );
        // make e, f
        assert_eq!(
            Slice::from(vec![0, 1]).append_from(&Slice::make(0, 0)),
            [0, 1]
        );
        assert_eq!(
            Slice::from(vec![0, 1]).append_from(&Slice::make(2, 2)),
            [0, 1, 0, 0]
        );
        // make g, h: pointers -> Option<&i32>
        let (zero, one) = (0, 1);
        let p = Slice::from(vec![Some(&zero), Some(&one)]);
        assert_eq!(p.append_from(&Slice::make(0, 0)), [Some(&0), Some(&1)]);
        assert_eq!(
            p.append_from(&Slice::make(2, 2)),
            [Some(&0), Some(&1), None, None]
        );
    }

    #[derive(Clone, Debug, PartialEq, Default)]
    struct T {
        a: String,
        b: String,
        c: String,
    }

    /// verifyStruct.
    #[test]
    fn structs() {
        let n = if cfg!(miri) { 12 } else { 100 };
        let e = Slice::<T>::make(n, n);
        for i in 0..n {
            e.set(
                i,
                T {
                    a: "foo".into(),
                    b: i.to_string(),
                    c: "bar".into(),
                },
            );
        }
        let s = |lo, hi| e.slice(lo..hi).to_vec();
        assert_eq!(Slice::<T>::empty().append_slice(&[]), []);
        assert_eq!(Slice::<T>::empty().append(e.get(0)), s(0, 1));
        assert_eq!(
            Slice::<T>::empty().append_slice(&[e.get(0), e.get(1), e.get(2)]),
            s(0, 3)
        );
        assert_eq!(e.slice(0..1).append_slice(&[]), s(0, 1));
        assert_eq!(e.slice(0..1).append(e.get(1)), s(0, 2));
        assert_eq!(
            e.slice(0..1).append_slice(&[e.get(1), e.get(2), e.get(3)]),
            s(0, 4)
        );
        assert_eq!(e.slice(0..3).append(e.get(3)), s(0, 4));
        assert_eq!(e.slice(0..3).append_slice(&s(3, 7)), s(0, 7));
        for i in 0..n {
            assert_eq!(
                Slice::<T>::empty().append_from(&e.slice(0..i)),
                s(0, i),
                "struct j"
            );
            let input = Slice::<T>::make(i, i);
            goslice::copy(&input, &e.slice(0..i));
            assert_eq!(input.append_from(&e.slice(i..)), e.to_vec(), "struct k");
            assert_eq!(input, s(0, i), "struct k - input modified");
        }
        let s10 = Slice::<T>::make(10, 20);
        let r = Slice::<T>::make(10 + n, 10 + n);
        for i in 0..n {
            r.set(10 + i, e.get(i));
        }
        assert_eq!(s10.append_slice(&[]), s10.to_vec(), "struct l");
        assert_eq!(s10.append_from(&e), r.to_vec(), "struct m");
    }
}

/// https://github.com/golang/go/blob/go1.19/test/slice3.go: every
/// `slice[i:j:k]` of a 10-element slice, with indices from
/// {0, 1, 2, 3, 10, 20}; valid ones give base i, len j-i, cap k-i, the rest
/// panic.
#[test]
fn slice3_exhaustive() {
    const CAP: usize = 10;
    let array = Slice::<u8>::make(CAP, CAP);
    for i in 0..CAP {
        array.set(i, i as u8);
    }
    let index = [0usize, 1, 2, 3, 10, 20];
    for &i in &index {
        for &j in &index {
            for &k in &index {
                let valid = i <= j && j <= k && k <= CAP;
                match array.try_slice3(i, j, k) {
                    Ok(s) => {
                        assert!(valid, "[{i}:{j}:{k}] should panic");
                        assert_eq!((s.len(), s.cap()), (j - i, k - i), "[{i}:{j}:{k}]");
                        if j > i {
                            assert_eq!(s.get(0), i as u8, "[{i}:{j}:{k}] base");
                        }
                    }
                    Err(_) => assert!(!valid, "[{i}:{j}:{k}] should be valid"),
                }
                // Two-index forms: [i:j] valid iff i <= j <= cap.
                assert_eq!(
                    array.try_slice(i..j).is_ok(),
                    i <= j && j <= CAP,
                    "[{i}:{j}]"
                );
            }
        }
    }
}

/// https://github.com/golang/go/blob/go1.19/test/copy.go: copy between two
/// arrays for every length and in/out offset, checking the count and that
/// nothing outside the copied part changed; then the same within one array
/// (not in copy.go; the expected values come from `<[T]>::copy_within`).
#[test]
fn copy_semi_exhaustive() {
    const N: usize = 40;
    let (lens, offs) = if cfg!(miri) { (6, 3) } else { (N, 32) };
    for length in 0..lens {
        for input in 0..=offs {
            for out in 0..=offs {
                let clamp = |n: usize| n.min(N);
                let ncopied = length.min(N - input).min(N - out);
                // u8 and u64 between two arrays
                let in8 = Slice::from((0..N).map(|i| i as u8).collect::<Vec<_>>());
                let out8 = Slice::from((0..N).map(|i| (i + 13) as u8).collect::<Vec<_>>());
                let n = goslice::copy(
                    &out8.slice(out..clamp(out + length)),
                    &in8.slice(input..clamp(input + length)),
                );
                assert_eq!(n, ncopied, "count ({length} {input} {out})");
                for i in 0..N {
                    let want = if i >= out && i < out + n {
                        (i + input - out) as u8
                    } else {
                        (i + 13) as u8
                    };
                    assert_eq!(out8.get(i), want, "u8 ({length} {input} {out}) at {i}");
                }
                let in64 = Slice::from(
                    (0..N as u64)
                        .map(|i| i * 0x0101_0101_0101_0101)
                        .collect::<Vec<_>>(),
                );
                let out64 = Slice::<u64>::make(N, N);
                let n = goslice::copy(
                    &out64.slice(out..clamp(out + length)),
                    &in64.slice(input..clamp(input + length)),
                );
                assert_eq!(n, ncopied);
                // Within one array: memmove semantics.
                let same = Slice::from((0..N as u32).collect::<Vec<_>>());
                let mut model: Vec<u32> = (0..N as u32).collect();
                let n = same
                    .slice(out..clamp(out + length))
                    .copy_from(&same.slice(input..clamp(input + length)));
                model.copy_within(input..input + n, out);
                assert_eq!(same, model, "overlap ({length} {input} {out})");
                // And with a heap element type (the clone-and-drop path).
                let strs = Slice::from((0..N).map(|i| i.to_string()).collect::<Vec<_>>());
                let mut smodel: Vec<String> = (0..N).map(|i| i.to_string()).collect();
                strs.slice(out..clamp(out + length))
                    .copy_from(&strs.slice(input..clamp(input + length)));
                let snap = smodel[input..input + n].to_vec();
                smodel[out..out + n].clone_from_slice(&snap);
                assert_eq!(strs, smodel, "strings overlap ({length} {input} {out})");
            }
        }
    }
}

/// https://github.com/golang/go/blob/go1.19/test/slicecap.go: slicing
/// `s[i:j]` of a slice of cap c gives cap c - i, and empty slices at the
/// end stay inside the array.
#[test]
fn slicecap() {
    let hello = Slice::from(b"hello".to_vec());
    assert_eq!(hello.slice(5..).len(), 0);
    assert_eq!(hello.slice(5..).cap(), 0);
    assert_eq!(hello.slice(1..3).cap(), 4);
    let bytes = Slice::<u8>::make(10, 20);
    for i in 0..=20 {
        for j in i..=20 {
            let s = bytes.slice(i..j);
            assert_eq!((s.len(), s.cap()), (j - i, 20 - i));
        }
    }
}
