//! The Go slice surprise every Go programmer meets once: `append` writes
//! into a shared backing array while there is capacity, and copies once
//! there is not.
//!
//! Run: `cargo run -p goslice --example append_aliasing`

use goslice::Slice;

fn main() {
    // s := make([]int, 3, 4)
    let s: Slice<i32> = Slice::make(3, 4);
    // a := append(s, 1): fits in cap 4, so a shares s's array.
    let a = s.append(1);
    // b := append(s, 2): also fits, and overwrites a's fourth element.
    let b = s.append(2);
    println!("a = {a:?}, b = {b:?}");
    assert_eq!(a.get(3), 2, "a and b share one array");
    assert_eq!(b.get(3), 2);

    // c := append(b, 3): b is full (len 4 = cap 4), so c gets a new array
    // with Go 1.19's growth: doubled capacity.
    let c = b.append(3);
    assert_eq!(c.cap(), 8);
    c.set(0, 42);
    assert_eq!(b.get(0), 0, "c no longer aliases b");

    // The three-index slice s[0:3:3] caps the capacity, so the next append
    // must copy: Go's idiom to protect a caller's array.
    let d = s.slice3(0, 3, 3).append(7);
    assert_eq!(a.get(3), 2, "appending to a full-capacity view copied");
    assert_eq!(d, [0, 0, 0, 7]);

    // Out-of-range access is Go's panic, or an error with the try_ forms.
    let err = s.try_get(5).unwrap_err();
    assert_eq!(err.to_string(), "index out of range [5] with length 3");
    println!("c = {c:?} (cap {}), d = {d:?}; s[5]: {err}", c.cap());
}
