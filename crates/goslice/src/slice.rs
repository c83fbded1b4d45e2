//! [`Slice<T>`]: Go's slice header over a shared backing array.
//!
//! # What
//!
//! A `Slice<T>` is Go's `[]T`: a small header `(array, offset, len, cap)`
//! naming a window of a backing array ([`crate::raw`]). Cloning copies the
//! header; reslicing makes a new header over the same array; `append` writes
//! in place while there is capacity and moves to a new, larger array when
//! there is not, exactly as Go's does, so the same aliasing surprises happen.
//!
//! # Layout
//!
//! ```text
//!  a := make([]int, 3, 6)      b := a[1:2]          c := a[2:4:5]
//!  a: {arr, off 0, len 3, cap 6}
//!  b: {arr, off 1, len 1, cap 5}
//!  c: {arr, off 2, len 2, cap 3}
//!              ┌───┬───┬───┬───┬───┬───┐
//!  arr ──────► │ 0 │ 0 │ 0 │ 0 │ ? │ ? │   one RawArray, counted 3 times
//!              └───┴───┴───┴───┴───┴───┘
//!                a a a           (a: 0..3, window up to cap 0..6)
//!                    b           (b: 1..2, cap up to 6)
//!                        c c     (c: 2..4, cap up to 5)
//! ```
//!
//! # Invariants
//!
//! - S1: `arr == None` implies `len == 0 && cap == 0`; then `off` is 0 for a
//!   nil slice and [`NONNIL`] for a non-nil empty one.
//! - S2: with `arr == Some(a)`: `off + cap <= a.cap()` and `len <= cap`.
//! - S3: `off + len <= a.init()`: every element a header can read is
//!   initialised (reslicing further first fills with zero values).
//!
//! # Tuning
//!
//! A header is four words (Go's is three: it stores a pointer to element
//! `off` directly; we keep the array handle for reference counting and the
//! offset beside it).
//!
//! What one access costs, read off the compiled loops of the `goslice`
//! benchmarks (`s.get(i & 4095)` and `s.slice(j..j + 16).len()` on a header
//! behind `black_box`, x86-64):
//!
//! | operation | loads | branches | Rust's own |
//! |---|---|---|---|
//! | `s.get(i)` | header `len`, `arr`, `off`; array `readable`; the element | `i < len`, `arr` present, `off + i < readable` | `v[i]`: `len`, `ptr`, the element; one branch |
//! | `s.slice(j..k)` | header `cap`, `len`, `arr`; the array's count | `k <= cap`, `k <= len`, `arr` present, count in range | `&v[j..k]`: `len`; one branch |
//! | `s.as_slice()[i]` | once: as `get`, plus a borrow-count store; then as `v[i]` | once | same |
//!
//! A reslice within `len` needs no look at the array: S3 already says its
//! elements exist, so only one past `len` goes out of line to fill zero
//! values (`Slice::fill_to`). The new header's count increment and
//! decrement fold into one check of the count (it must be at least 1 and
//! below `usize::MAX`: leaked headers could otherwise wrap it, as `Rc`
//! guards against too), and both arms of "array or not" build the header
//! the same way. A header that is kept pays one increment, as Go pays a
//! write barrier.
//!
//! The extra loads of `get` are what a Go slice that cannot cause undefined
//! behaviour needs: the offset (Go folds it into its pointer, but the
//! array handle is needed for the count), and the array's `readable` word,
//! which says in one compare that slot `off + i` is written and not lent
//! out by [`with_mut`](Slice::with_mut) (raw I6; a user `Clone` or a
//! `with_mut` closure may write through another header meanwhile). The
//! borrow count that protects the element while `Clone` runs costs nothing
//! for `Copy`-like elements: its increment and decrement cancel after
//! inlining. The crate README's performance section gives the measured
//! ratios and the experiments behind this table. Code that only reads
//! should borrow once with [`as_slice`](Slice::as_slice), which runs at
//! `Vec` speed (the same machine code as indexing a `Vec`).
//!
//! # Go correspondence
//!
//! | Go | here |
//! |---|---|
//! | `var s []T` / `[]T{}` | [`Slice::nil`] / [`Slice::empty`] |
//! | `make([]T, n, c)` | [`Slice::make`] |
//! | `s[i]`, `s[i] = v` | [`Slice::get`], [`Slice::set`] |
//! | `s[lo:hi]`, `s[lo:hi:max]` | [`Slice::slice`], [`Slice::slice3`] |
//! | `append(s, v)`, `append(s, vs...)` | [`Slice::append`], [`Slice::append_slice`], [`Slice::append_from`] |
//! | `s = append(s, v)` | [`Slice::push`] |
//! | `copy(dst, src)` | [`crate::copy`], [`Slice::copy_from`] |
//! | `len(s)`, `cap(s)`, `s == nil` | [`Slice::len`], [`Slice::cap`], [`Slice::is_nil`] |
//!
//! # Divergences
//!
//! - Elements are handed out by value ([`Slice::get`] clones) or inside a
//!   closure ([`Slice::with`]), never as free-standing references, because
//!   any other header may overwrite them; writes while a closure holds
//!   references panic instead of being undefined behaviour.
//! - Go's zeroed memory past `len` becomes `T::default()` slots created when
//!   a reslice first exposes them; see [`crate::raw`].
//! - Not `Send`/`Sync`: the array's reference count and borrow flag are
//!   plain cells (an `Rc`, not an `Arc`). Go lets goroutines share a slice
//!   and race on it; safe Rust cannot offer unsynchronised shared writes, and
//!   atomics on every access would make single-threaded use (the common case)
//!   slower. Share between threads by converting to a `Vec` and back.

use alloc::vec::Vec;
use core::fmt;
use core::mem::size_of;
use core::ops::{Bound, RangeBounds};
use core::panic::{RefUnwindSafe, UnwindSafe};

use crate::error::{AppendError, BoundsError, MakeError};
use crate::grow::{try_next_cap, GrowError, Policy, MAX_ALLOC};
use crate::raw::{AllocFail, RawArray, SliceRef};

/// `off` of an arrayless non-nil empty slice (S1).
const NONNIL: usize = 1;

/// Go's slice: a header `(array, offset, len, cap)` over a shared backing
/// array.
///
/// Cloning a `Slice` copies the header, not the elements: both headers then
/// read and write the same array, as two Go slices do. See the
/// [crate documentation](crate) for a tour.
///
/// Go: `[]T`.
///
/// # Examples
///
/// ```
/// use goslice::Slice;
///
/// let a = Slice::from(vec![1, 2, 3]);
/// let b = a.clone(); // b := a
/// b.set(0, 9); // b[0] = 9
/// assert_eq!(a.get(0), 9); // same array
/// assert_eq!(format!("{a:?}"), "[9, 2, 3]"); // Debug: Rust's list form
/// assert_eq!(a.to_string(), "[9 2 3]"); // Display: Go's fmt.Println form
/// ```
#[doc(alias = "[]T")]
pub struct Slice<T> {
    arr: Option<RawArray<T>>,
    off: usize,
    len: usize,
    cap: usize,
}

#[track_caller]
#[cold]
#[inline(never)]
fn fail(msg: &dyn fmt::Display) -> ! {
    panic!("{msg}")
}

impl<T> Slice<T> {
    /// The nil slice: no array, `len` 0, `cap` 0, [`is_nil`](Self::is_nil).
    ///
    /// Go: `var s []T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<i32>::nil();
    /// assert!(s.is_nil() && s.is_empty() && s.cap() == 0);
    /// assert_eq!(format!("{s:?}"), "[]");
    /// ```
    pub const fn nil() -> Self {
        Slice {
            arr: None,
            off: 0,
            len: 0,
            cap: 0,
        }
    }

    /// The nil slice (same as [`nil`](Self::nil)), like `Vec::new`.
    ///
    /// Go: `var s []T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// assert!(Slice::<u8>::new().is_nil());
    /// ```
    pub const fn new() -> Self {
        Self::nil()
    }

    /// A non-nil empty slice (no allocation).
    ///
    /// Go: `[]T{}`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<i32>::empty();
    /// assert!(!s.is_nil() && s.len() == 0 && s.cap() == 0);
    /// ```
    pub const fn empty() -> Self {
        Slice {
            arr: None,
            off: NONNIL,
            len: 0,
            cap: 0,
        }
    }

    /// Whether this is the nil slice.
    ///
    /// Go: `s == nil`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// assert!(Slice::<u8>::nil().is_nil());
    /// assert!(!Slice::<u8>::empty().is_nil());
    /// assert!(Slice::<u8>::nil().slice(0..0).is_nil()); // nil[0:0] is nil
    /// ```
    pub fn is_nil(&self) -> bool {
        self.arr.is_none() && self.off == 0
    }

    /// The number of elements.
    ///
    /// Go: `len(s)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// assert_eq!(Slice::<u8>::make(3, 10).len(), 3);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether `len() == 0` (nil or not).
    ///
    /// Go: `len(s) == 0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// assert!(Slice::<u8>::make(0, 4).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The capacity: elements from the start of this slice to the end of its
    /// window of the backing array.
    ///
    /// Go: `cap(s)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<u8>::make(3, 10);
    /// assert_eq!(s.cap(), 10);
    /// assert_eq!(s.slice(2..).cap(), 8);
    /// ```
    #[inline]
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The backing array handle (crate-internal).
    #[inline]
    pub(crate) fn raw(&self) -> Option<&RawArray<T>> {
        self.arr.as_ref()
    }

    /// The window's start in the backing array (crate-internal).
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.off
    }

    /// Whether `self` and `other` use the same backing array (not
    /// necessarily overlapping windows of it).
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let a = Slice::from(vec![1, 2, 3]);
    /// assert!(a.shares_array(&a.slice(1..)));
    /// assert!(!a.shares_array(&a.append(4))); // full: append moved to a new array
    /// ```
    pub fn shares_array(&self, other: &Self) -> bool {
        match (&self.arr, &other.arr) {
            (Some(a), Some(b)) => a.same(b),
            _ => false,
        }
    }

    /// A slice owning the elements of `v`: `len == cap == v.len()`.
    ///
    /// Go: a composite literal `[]T{...}`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from_vec(vec!['a', 'b']);
    /// assert_eq!((s.len(), s.cap()), (2, 2));
    /// ```
    pub fn from_vec(v: Vec<T>) -> Self {
        let n = v.len();
        if n == 0 {
            return Self::empty();
        }
        let arr = RawArray::allocate(n, None, "goslice: slice too large");
        for x in v {
            arr.put(arr.init(), x);
        }
        Slice {
            arr: Some(arr),
            off: 0,
            len: n,
            cap: n,
        }
    }

    /// Stores `v` at index `i`.
    ///
    /// Go: `s[i] = v`.
    ///
    /// # Panics
    ///
    /// `index out of range [i] with length len` if `i >= len()`; also if an
    /// element of the array is borrowed (inside [`with`](Self::with) or a
    /// `Clone`/`Debug` of an element).
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3]);
    /// s.set(1, 20);
    /// assert_eq!(s, [1, 20, 3]);
    /// ```
    #[track_caller]
    #[inline]
    pub fn set(&self, i: usize, v: T) {
        if let Err(e) = self.try_set(i, v) {
            fail(&e)
        }
    }

    /// Stores `v` at index `i`, or returns the bounds error (dropping `v`).
    ///
    /// Go: `s[i] = v`.
    ///
    /// # Errors
    ///
    /// [`BoundsError::Index`] if `i >= len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3]);
    /// assert!(s.try_set(3, 0).is_err());
    /// s.try_set(2, 0)?;
    /// # Ok::<(), goslice::BoundsError>(())
    /// ```
    #[track_caller]
    #[inline]
    pub fn try_set(&self, i: usize, v: T) -> Result<(), BoundsError> {
        if i >= self.len {
            return Err(BoundsError::Index {
                index: i,
                len: self.len,
            });
        }
        match &self.arr {
            Some(a) => a.put(self.off + i, v),
            None => unreachable!("S1: len > 0 implies an array"),
        }
        Ok(())
    }

    /// Runs `f` on the elements as a Rust slice `&[T]`.
    ///
    /// While `f` runs, writes to the backing array's elements through any
    /// header panic (the references must stay valid); reads are fine, and so
    /// are appends into never-written slots past every element, which no
    /// reference can point to.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3]);
    /// assert_eq!(s.with(|xs| xs.iter().sum::<i32>()), 6);
    /// ```
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        match &self.arr {
            Some(a) => a.with(self.off, self.off + self.len, f),
            None => f(&[]),
        }
    }

    /// Borrows the elements as a Rust slice: the guard derefs to `&[T]` for
    /// as long as it lives, like [`RefCell::borrow`](core::cell::RefCell::borrow).
    ///
    /// This is [`with`](Self::with) without the closure, for code that only
    /// reads: indexing and subslicing the guard are plain Rust slice
    /// operations, with no reference counting, borrow flag or cloning per
    /// element. While the guard lives, writes to the backing array's elements
    /// through any header panic; reads are fine, and so are appends into
    /// never-written slots past every element.
    ///
    /// Go: reading `s[i]` and `s[i:j]` of a slice nothing writes meanwhile.
    ///
    /// # Panics
    ///
    /// If the backing array is borrowed exclusively (inside
    /// [`with_mut`](Self::with_mut)), or if `usize::MAX / 2` guards of it
    /// are out (only reachable by leaking guards with `mem::forget`; the
    /// borrow count must never wrap).
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3, 4]);
    /// let xs = s.as_slice();
    /// assert_eq!(xs[2], 3);
    /// assert_eq!(xs[1..3].iter().sum::<i32>(), 5);
    /// drop(xs); // releases the borrow
    /// s.set(0, 9);
    /// assert_eq!(s.as_slice()[0], 9);
    /// ```
    ///
    /// ```should_panic
    /// # use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3]);
    /// let xs = s.as_slice();
    /// s.set(0, 9); // panics: the elements are borrowed by `xs`
    /// # drop(xs);
    /// ```
    #[track_caller]
    pub fn as_slice(&self) -> SliceRef<'_, T> {
        match &self.arr {
            Some(a) => a.borrow(self.off, self.off + self.len),
            None => SliceRef::empty(),
        }
    }

    /// Runs `f` on the elements as a mutable Rust slice `&mut [T]`.
    ///
    /// While `f` runs, any other access to the backing array's elements
    /// through any header (read or write) panics; only appends into
    /// never-written slots past every element go ahead.
    ///
    /// # Panics
    ///
    /// If an element of the array is already borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![3, 1, 2]);
    /// let t = s.clone();
    /// s.with_mut(|xs| xs.sort());
    /// assert_eq!(t, [1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut [T]) -> R) -> R {
        match &self.arr {
            Some(a) => a.with_mut(self.off, self.off + self.len, f),
            None => f(&mut []),
        }
    }

    /// The slice expression `s[lo:hi]`, bounds-checked against the capacity
    /// as Go does. An open start is 0, an open end is `len()`.
    ///
    /// The result shares the backing array. Extending past `len()` exposes
    /// elements beyond it (zero values if never written).
    ///
    /// Go: `s[lo:hi]`, `s[lo:]`, `s[:hi]`, `s[:]`.
    ///
    /// # Panics
    ///
    /// With Go's messages: `slice bounds out of range [:hi] with capacity
    /// cap` if `hi > cap()`, `slice bounds out of range [lo:hi]` if `lo >
    /// hi`. Also if it must create zero values for never-written slots and
    /// the array does not know `T::default` (see [`with_zero`](Self::with_zero)).
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<i32>::make(3, 4);
    /// assert_eq!(s.slice(1..).len(), 2);
    /// assert_eq!(s.slice(..4), [0, 0, 0, 0]); // past len, within cap
    /// ```
    ///
    /// ```should_panic
    /// # use goslice::Slice;
    /// let s = Slice::<i32>::make(3, 4);
    /// s.slice(..7); // panics: slice bounds out of range [:7] with capacity 4
    /// ```
    #[track_caller]
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Self {
        match self.try_slice(range) {
            Ok(s) => s,
            Err(e) => fail(&e),
        }
    }

    /// [`slice`](Self::slice), returning the bounds error instead of
    /// panicking.
    ///
    /// # Errors
    ///
    /// [`BoundsError::SliceAcap`] if `hi > cap()`, then
    /// [`BoundsError::SliceB`] if `lo > hi`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::{BoundsError, Slice};
    /// let s = Slice::<i32>::make(3, 4);
    /// assert_eq!(s.try_slice(..7).unwrap_err(), BoundsError::SliceAcap { hi: 7, cap: 4 });
    /// assert_eq!(s.try_slice(2..1).unwrap_err().to_string(), "slice bounds out of range [2:1]");
    /// assert_eq!(s.try_slice(5..).unwrap_err().to_string(), "slice bounds out of range [5:3]");
    /// # Ok::<(), BoundsError>(())
    /// ```
    #[track_caller]
    pub fn try_slice(&self, range: impl RangeBounds<usize>) -> Result<Self, BoundsError> {
        let lo = match range.start_bound() {
            Bound::Included(&x) => x,
            Bound::Excluded(&x) => x.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let hi = match range.end_bound() {
            Bound::Included(&x) => x.saturating_add(1),
            Bound::Excluded(&x) => x,
            Bound::Unbounded => self.len,
        };
        // Go checks the high bound first (boundsSliceAcap), then lo <= hi.
        if hi > self.cap {
            return Err(BoundsError::SliceAcap { hi, cap: self.cap });
        }
        if lo > hi {
            return Err(BoundsError::SliceB { lo, hi });
        }
        Ok(self.sub(lo, hi, self.cap))
    }

    /// The full slice expression `s[lo:hi:max]`: like [`slice`](Self::slice)
    /// but the result's capacity is `max - lo`, so a later `append` past it
    /// reallocates instead of overwriting the array beyond `max`.
    ///
    /// Go: `s[lo:hi:max]`.
    ///
    /// # Panics
    ///
    /// With Go's messages: `slice bounds out of range [::max] with capacity
    /// cap`, `slice bounds out of range [:hi:max]`, `slice bounds out of
    /// range [lo:hi:]`, checked in that order.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3, 4]);
    /// let t = s.slice3(0, 2, 2);
    /// assert_eq!(t.cap(), 2);
    /// let u = t.append(9); // reallocates: s[2] untouched
    /// assert_eq!(s.get(2), 3);
    /// assert_eq!(u, [1, 2, 9]);
    /// ```
    #[track_caller]
    pub fn slice3(&self, lo: usize, hi: usize, max: usize) -> Self {
        match self.try_slice3(lo, hi, max) {
            Ok(s) => s,
            Err(e) => fail(&e),
        }
    }

    /// [`slice3`](Self::slice3), returning the bounds error instead of
    /// panicking.
    ///
    /// # Errors
    ///
    /// [`BoundsError::Slice3Acap`] if `max > cap()`, then
    /// [`BoundsError::Slice3B`] if `hi > max`, then [`BoundsError::Slice3C`]
    /// if `lo > hi`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<u8>::make(4, 4);
    /// assert_eq!(s.try_slice3(0, 1, 9).unwrap_err().to_string(), "slice bounds out of range [::9] with capacity 4");
    /// assert_eq!(s.try_slice3(0, 3, 2).unwrap_err().to_string(), "slice bounds out of range [:3:2]");
    /// assert_eq!(s.try_slice3(3, 2, 4).unwrap_err().to_string(), "slice bounds out of range [3:2:]");
    /// ```
    #[track_caller]
    pub fn try_slice3(&self, lo: usize, hi: usize, max: usize) -> Result<Self, BoundsError> {
        if max > self.cap {
            return Err(BoundsError::Slice3Acap { max, cap: self.cap });
        }
        if hi > max {
            return Err(BoundsError::Slice3B { hi, max });
        }
        if lo > hi {
            return Err(BoundsError::Slice3C { lo, hi });
        }
        Ok(self.sub(lo, hi, max))
    }

    /// The header `s[lo:hi:max]`, bounds already checked.
    #[track_caller]
    #[inline]
    fn sub(&self, lo: usize, hi: usize, max: usize) -> Self {
        debug_assert!(lo <= hi && hi <= max && max <= self.cap);
        // S3: the new window's elements must exist. Those up to `len` do
        // (S3 for `self`), so only a reslice past `len` looks at the array:
        // the common case reads the header only.
        if hi > self.len {
            self.fill_to(hi);
        }
        // Without an array (S1) cap == 0, so lo == hi == max == 0: nil stays
        // nil (Go: slicing a nil slice gives nil), []T{} keeps its non-nil
        // `off`. One expression for both cases, so that code using only the
        // new header's `len` or `cap` does not test for the array at all
        // (the handle's count increment and decrement fold into one check).
        Slice {
            arr: self.arr.clone(),
            off: self.off + lo,
            len: hi - lo,
            cap: max - lo,
        }
    }

    /// Makes elements `0..hi` of this header's window exist (S3), filling
    /// never-written slots with zero values: the rare half of
    /// [`sub`](Self::sub), out of line so the common half stays two
    /// compares.
    #[track_caller]
    #[cold]
    #[inline(never)]
    fn fill_to(&self, hi: usize) {
        if let Some(a) = &self.arr {
            a.zero_fill(self.off + hi);
        }
    }
}

impl<T: Default> Slice<T> {
    /// A slice of `len` zero values (`T::default()`) and capacity `cap`.
    ///
    /// Go: `make([]T, len, cap)`; `make([]T, n)` is `make(n, n)`.
    ///
    /// # Panics
    ///
    /// `makeslice: cap out of range` if `cap < len` or the array is too
    /// large, `makeslice: len out of range` if the length alone is too large
    /// (Go's checks and messages). If the allocator fails, calls
    /// [`handle_alloc_error`](alloc::alloc::handle_alloc_error), which
    /// aborts (Go: the fatal `out of memory`); use
    /// [`try_make`](Self::try_make) to get an error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<i64>::make(2, 5);
    /// assert_eq!((s.len(), s.cap()), (2, 5));
    /// assert_eq!(s, [0, 0]);
    /// assert!(!Slice::<i64>::make(0, 0).is_nil());
    /// ```
    #[track_caller]
    pub fn make(len: usize, cap: usize) -> Self {
        match Self::try_make(len, cap) {
            Ok(s) => s,
            Err(MakeError::AllocError { layout }) => alloc::alloc::handle_alloc_error(layout),
            Err(e) => fail(&e),
        }
    }

    /// [`make`](Self::make), returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`MakeError::CapOutOfRange`] if `cap < len` or `cap` elements are too
    /// large for Go's heap ([`MAX_ALLOC`](crate::grow::MAX_ALLOC) bytes; exactly
    /// `MAX_ALLOC` is allowed, as in Go) or for an allocation;
    /// [`MakeError::LenOutOfRange`] if `len` elements already are;
    /// [`MakeError::AllocError`] if the sizes pass those checks but the
    /// allocator returns null (nothing is allocated then).
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::{MakeError, Slice};
    /// assert_eq!(Slice::<u8>::try_make(2, 1).unwrap_err(), MakeError::CapOutOfRange);
    /// assert_eq!(Slice::<u8>::try_make(2, 3)?.cap(), 3);
    /// # Ok::<(), MakeError>(())
    /// ```
    pub fn try_make(len: usize, cap: usize) -> Result<Self, MakeError> {
        let es = size_of::<T>();
        let too_big = |n: usize| match es.checked_mul(n) {
            None => true,
            Some(b) => b > MAX_ALLOC || n > isize::MAX as usize || !RawArray::<T>::fits(n),
        };
        // Go: makeslice checks cap (and len <= cap) first; on failure it
        // reports "len out of range" if len alone is too big.
        if too_big(cap) || len > cap {
            if too_big(len) {
                return Err(MakeError::LenOutOfRange);
            }
            return Err(MakeError::CapOutOfRange);
        }
        // Even for cap == 0 (Go: a non-nil pointer to zerobase) an array
        // is allocated, so the zero value is remembered for later growth.
        let arr = match RawArray::try_allocate(cap, Some(T::default as fn() -> T)) {
            Ok(a) => a,
            Err(AllocFail::Alloc(layout)) => return Err(MakeError::AllocError { layout }),
            // Ruled out by `too_big(cap)` above.
            Err(AllocFail::TooLarge) => return Err(MakeError::CapOutOfRange),
        };
        // Go zeroes all `cap` slots.
        arr.zero_fill(cap);
        Ok(Slice {
            arr: Some(arr),
            off: 0,
            len,
            cap,
        })
    }

    /// Records `T::default` as the zero value of this slice's backing array
    /// (and of arrays `append` grows it into), so reslicing past elements
    /// that were never written yields zero values as in Go.
    ///
    /// Slices from [`make`](Self::make) already know it; arrays built from a
    /// `Vec`, or grown by `append` from a nil slice, do not, because those
    /// constructors do not require `T: Default`. A slice without an array
    /// (nil or empty) has nothing to record: call this after its first
    /// `append`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<u8>::nil().append(7).with_zero(); // cap 8
    /// assert_eq!(s.cap(), 8);
    /// assert_eq!(s.slice(..3), [7, 0, 0]);
    /// ```
    pub fn with_zero(self) -> Self {
        if let Some(a) = &self.arr {
            a.learn_zero(T::default);
        }
        self
    }
}

impl<T: Clone> Slice<T> {
    /// The element at index `i`, cloned.
    ///
    /// Go: `s[i]`.
    ///
    /// # Panics
    ///
    /// `index out of range [i] with length len` if `i >= len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec!["a".to_string(), "b".to_string()]);
    /// assert_eq!(s.get(1), "b");
    /// ```
    ///
    /// ```should_panic
    /// # use goslice::Slice;
    /// Slice::from(vec![1, 2, 3]).get(5); // index out of range [5] with length 3
    /// ```
    #[track_caller]
    #[inline]
    pub fn get(&self, i: usize) -> T {
        match self.try_get(i) {
            Ok(v) => v,
            Err(e) => fail(&e),
        }
    }

    /// The element at index `i`, cloned, or the bounds error.
    ///
    /// # Errors
    ///
    /// [`BoundsError::Index`] if `i >= len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3]);
    /// assert_eq!(s.try_get(2), Ok(3));
    /// assert!(s.try_get(3).is_err());
    /// ```
    #[track_caller]
    #[inline]
    pub fn try_get(&self, i: usize) -> Result<T, BoundsError> {
        if i >= self.len {
            return Err(BoundsError::Index {
                index: i,
                len: self.len,
            });
        }
        match &self.arr {
            Some(a) => Ok(a.with_elem(self.off + i, T::clone)),
            None => unreachable!("S1: len > 0 implies an array"),
        }
    }

    /// The elements, cloned into a `Vec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// assert_eq!(Slice::from(vec![1, 2]).slice(1..).to_vec(), vec![2]);
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        self.with(|xs| xs.to_vec())
    }

    /// Appends one element and returns the new header; `self` is unchanged.
    ///
    /// Within capacity the element is written into the shared array, at
    /// `len()`: every slice over that array sees it, and two appends to the
    /// same slice overwrite each other (the classic surprise). Beyond
    /// capacity a new array is allocated with the capacity of Go 1.19's
    /// growth policy ([`grow::next_cap`](crate::grow::next_cap) with
    /// [`Policy::Go118`]), the elements are cloned into it, and the old
    /// array stays with the slices that still use it.
    ///
    /// Go: `t := append(s, v)`.
    ///
    /// # Panics
    ///
    /// `growslice: cap out of range` if the new capacity overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let a = Slice::<i32>::make(3, 4);
    /// let b = a.append(1);
    /// let c = a.append(2); // same slot as b's last element
    /// assert_eq!(b.get(3), 2);
    /// assert!(b.shares_array(&c));
    /// let d = c.append(3); // c is full: d gets a new array (cap 8)
    /// assert_eq!(d.cap(), 8);
    /// assert!(!d.shares_array(&c));
    /// ```
    #[track_caller]
    #[inline]
    pub fn append(&self, v: T) -> Self {
        if self.len < self.cap {
            let a = self.array();
            a.put(self.off + self.len, v);
            return Slice {
                arr: Some(a.clone()),
                off: self.off,
                len: self.len + 1,
                cap: self.cap,
            };
        }
        self.append_grow(core::iter::once(v), 1)
    }

    /// [`append`](Self::append), returning an error instead of panicking
    /// when the capacity would overflow or the allocator fails (`v` is
    /// dropped then).
    ///
    /// # Errors
    ///
    /// [`AppendError::CapOutOfRange`] when Go's `growslice` would panic,
    /// [`AppendError::AllocError`] when the allocator returns null.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<u8>::nil().try_append(1)?;
    /// assert_eq!(s.cap(), 8);
    /// # Ok::<(), goslice::AppendError>(())
    /// ```
    pub fn try_append(&self, v: T) -> Result<Self, AppendError> {
        self.try_append_vec(alloc::vec![v])
    }

    /// Appends `vs` (cloned) as one `append` call: the growth decision sees
    /// the whole required length `len() + vs.len()`.
    ///
    /// Go: `append(s, vs...)`, `append(s, a, b, c)`.
    ///
    /// # Panics
    ///
    /// `growslice: cap out of range` if the new capacity overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<i64>::nil().append_slice(&[1, 2, 3, 4, 5]);
    /// assert_eq!((s.len(), s.cap()), (5, 6)); // 40 bytes -> size class 48
    /// ```
    #[track_caller]
    pub fn append_slice(&self, vs: &[T]) -> Self {
        let n = vs.len();
        match self.len.checked_add(n) {
            Some(need) if need <= self.cap => {
                if n == 0 {
                    return self.clone();
                }
                let a = self.array();
                for (k, v) in vs.iter().enumerate() {
                    a.put(self.off + self.len + k, v.clone());
                }
                Slice {
                    arr: Some(a.clone()),
                    off: self.off,
                    len: need,
                    cap: self.cap,
                }
            }
            _ => self.append_grow(vs.iter().cloned(), n),
        }
    }

    /// Appends the elements of `vs` (moved) as one `append` call.
    ///
    /// Go: `append(s, vs...)`.
    ///
    /// # Panics
    ///
    /// `growslice: cap out of range` if the new capacity overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1u8]).append_vec(vec![2, 3]);
    /// assert_eq!((s.len(), s.cap()), (3, 8));
    /// ```
    #[track_caller]
    pub fn append_vec(&self, vs: Vec<T>) -> Self {
        match self.try_append_vec(vs) {
            Ok(s) => s,
            Err(AppendError::AllocError { layout }) => alloc::alloc::handle_alloc_error(layout),
            Err(e) => fail(&e),
        }
    }

    /// [`append_vec`](Self::append_vec), returning an error instead of
    /// panicking or aborting (the elements of `vs` are dropped then).
    ///
    /// # Errors
    ///
    /// [`AppendError::CapOutOfRange`] when Go's `growslice` would panic,
    /// [`AppendError::AllocError`] when the allocator returns null.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// assert!(Slice::<()>::nil().try_append_vec(vec![(); 3])?.cap() == 3);
    /// # Ok::<(), goslice::AppendError>(())
    /// ```
    pub fn try_append_vec(&self, vs: Vec<T>) -> Result<Self, AppendError> {
        let n = vs.len();
        let need = self.len.checked_add(n).ok_or(AppendError::CapOutOfRange)?;
        if need <= self.cap {
            if n == 0 {
                return Ok(self.clone());
            }
            let a = self.array();
            for (k, v) in vs.into_iter().enumerate() {
                a.put(self.off + self.len + k, v);
            }
            return Ok(Slice {
                arr: Some(a.clone()),
                off: self.off,
                len: need,
                cap: self.cap,
            });
        }
        self.try_append_grow(vs.into_iter(), n)
    }

    /// Appends the elements of another slice, which may share (and overlap)
    /// this one's array: the source is read as it was before the call, like
    /// Go's `memmove`.
    ///
    /// Go: `append(s, t...)`.
    ///
    /// # Panics
    ///
    /// `growslice: cap out of range` if the new capacity overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// // Go's "delete element 1" idiom: s = append(s[:1], s[2:]...)
    /// let s = Slice::from(vec![0, 1, 2, 3]);
    /// let t = s.slice(..1).append_from(&s.slice(2..));
    /// assert_eq!(t, [0, 2, 3]);
    /// assert_eq!(s, [0, 2, 3, 3]); // same array
    /// ```
    #[track_caller]
    pub fn append_from(&self, other: &Slice<T>) -> Self {
        if self.shares_array(other) {
            self.append_vec(other.to_vec())
        } else {
            other.with(|xs| self.append_slice(xs))
        }
    }

    /// Appends in place: `self` becomes the header `append` returns.
    ///
    /// When `self` is the only header over its array and must grow, the
    /// elements are moved rather than cloned.
    ///
    /// Go: `s = append(s, v)`.
    ///
    /// # Panics
    ///
    /// `growslice: cap out of range` if the new capacity overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let mut s = Slice::nil();
    /// let mut caps = vec![];
    /// for i in 0..10u64 {
    ///     s.push(i);
    ///     caps.push(s.cap());
    /// }
    /// assert_eq!(caps, [1, 2, 4, 4, 8, 8, 8, 8, 16, 16]);
    /// ```
    #[track_caller]
    #[inline]
    pub fn push(&mut self, v: T) {
        if self.len < self.cap {
            let a = self.array();
            a.put(self.off + self.len, v);
            self.len += 1;
        } else {
            // As `Vec::push` does, the slow path gets the fields it changes
            // and `len` by value, so `len` never escapes into a call and the
            // compiler keeps it in a register across a loop of pushes.
            // (Separate arguments: a `Room` passed whole would go by
            // pointer, and `len` would escape with it.)
            let len = self.len;
            Self::push_grow(&mut self.arr, &mut self.off, &mut self.cap, len, v);
            self.len = len + 1;
        }
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn push_grow(
        arr: &mut Option<RawArray<T>>,
        off: &mut usize,
        cap: &mut usize,
        len: usize,
        v: T,
    ) {
        let mut room = Room { arr, off, cap };
        room.make_room(len, len + 1);
        array_of(room.arr).put(*room.off + len, v);
    }

    /// Gives `self` (in place, as `s = append(s, ...)` does) a backing array
    /// with capacity for `need > cap()` elements, of Go 1.19's size: a new
    /// array with the elements cloned if the old one is shared, or the old
    /// one itself reallocated (or its elements moved) if `self` is its only
    /// header.
    #[track_caller]
    fn make_room(&mut self, need: usize) {
        let len = self.len;
        Room {
            arr: &mut self.arr,
            off: &mut self.off,
            cap: &mut self.cap,
        }
        .make_room(len, need);
    }

    /// Appends clones of `vs` in place.
    ///
    /// Go: `s = append(s, vs...)`.
    ///
    /// # Panics
    ///
    /// `growslice: cap out of range` if the new capacity overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let mut s = Slice::from(vec![1u32]);
    /// s.extend_from_slice(&[2, 3, 4]);
    /// assert_eq!((s.len(), s.cap()), (4, 4));
    /// ```
    #[track_caller]
    pub fn extend_from_slice(&mut self, vs: &[T]) {
        let need = match self.len.checked_add(vs.len()) {
            Some(n) => n,
            None => fail(&GrowError),
        };
        if need > self.cap {
            self.make_room(need);
        }
        if let Some(a) = &self.arr {
            for (k, v) in vs.iter().enumerate() {
                a.put(self.off + self.len + k, v.clone());
            }
        }
        self.len = need;
    }

    /// Copies `min(len(), src.len())` elements from `src` into `self` and
    /// returns that count; overlapping windows of one array are handled as
    /// `memmove` does.
    ///
    /// Go: `copy(dst, src)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::from(vec![1, 2, 3, 4, 5]);
    /// assert_eq!(s.slice(1..).copy_from(&s), 4); // shift right by one
    /// assert_eq!(s, [1, 1, 2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn copy_from(&self, src: &Slice<T>) -> usize {
        crate::copy::copy(self, src)
    }

    /// Copies `min(len(), src.len())` elements from a Rust slice and returns
    /// the count (unlike `<[T]>::copy_from_slice`, lengths may differ).
    ///
    /// Go: `copy(dst, src)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    /// let s = Slice::<u8>::make(3, 3);
    /// assert_eq!(s.copy_from_slice(b"hello"), 3);
    /// assert_eq!(s, *b"hel");
    /// ```
    #[track_caller]
    pub fn copy_from_slice(&self, src: &[T]) -> usize {
        crate::copy::copy_from_slice(self, src)
    }

    /// The array handle of a slice with `cap > 0`.
    #[inline]
    fn array(&self) -> &RawArray<T> {
        array_of(&self.arr)
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn append_grow(&self, vs: impl Iterator<Item = T>, n: usize) -> Self {
        match self.try_append_grow(vs, n) {
            Ok(s) => s,
            Err(AppendError::AllocError { layout }) => alloc::alloc::handle_alloc_error(layout),
            Err(e) => fail(&e),
        }
    }

    /// The growing path of every append: new array of Go's capacity, clone
    /// the window into it, then store `n` new elements after it. Fails
    /// before anything is cloned or moved.
    #[track_caller]
    fn try_append_grow(&self, vs: impl Iterator<Item = T>, n: usize) -> Result<Self, AppendError> {
        let need = self.len.checked_add(n).ok_or(AppendError::CapOutOfRange)?;
        let new_cap = grown_cap::<T>(self.cap, need)?;
        let zero = self.arr.as_ref().and_then(RawArray::zero);
        let dst = match RawArray::try_allocate(new_cap, zero) {
            Ok(a) => a,
            Err(AllocFail::Alloc(layout)) => return Err(AppendError::AllocError { layout }),
            // Ruled out by `grown_cap`.
            Err(AllocFail::TooLarge) => return Err(AppendError::CapOutOfRange),
        };
        if let Some(a) = &self.arr {
            if self.len > 0 {
                a.clone_into_fresh(self.off, self.len, &dst);
            }
        }
        let mut k = self.len;
        for v in vs.take(n) {
            dst.put(k, v);
            k += 1;
        }
        assert_eq!(k, need, "goslice: append's element source ended early");
        Ok(Slice {
            arr: Some(dst),
            off: 0,
            len: need,
            cap: new_cap,
        })
    }
}

impl<T> Clone for Slice<T> {
    /// Copies the header: the clone shares the backing array.
    ///
    /// Go: `t := s`.
    fn clone(&self) -> Self {
        Slice {
            arr: self.arr.clone(),
            off: self.off,
            len: self.len,
            cap: self.cap,
        }
    }
}

/// A panic never leaves an array half-updated (each slot holds a valid value
/// and the borrow flag is released during unwinding; see `raw` I3, I5), so
/// observing a slice after catching a panic is as safe as for a `Vec`.
impl<T: RefUnwindSafe> UnwindSafe for Slice<T> {}

/// See the `UnwindSafe` impl.
impl<T: RefUnwindSafe> RefUnwindSafe for Slice<T> {}

/// The array handle of a header with `cap > 0`.
#[inline]
fn array_of<T>(arr: &Option<RawArray<T>>) -> &RawArray<T> {
    match arr {
        Some(a) => a,
        None => unreachable!("S1: cap > 0 implies an array"),
    }
}

/// Go 1.19's capacity for growing an array of `cap` elements of `T` to
/// hold `need`, if such an array can be allocated.
fn grown_cap<T>(cap: usize, need: usize) -> Result<usize, GrowError> {
    let c = try_next_cap(Policy::default(), cap, need, size_of::<T>())?;
    if RawArray::<T>::fits(c) {
        Ok(c)
    } else {
        Err(GrowError)
    }
}

/// The fields of a header that growing it changes; `len` stays behind (see
/// [`Slice::push`]).
struct Room<'a, T> {
    arr: &'a mut Option<RawArray<T>>,
    off: &'a mut usize,
    cap: &'a mut usize,
}

impl<T: Clone> Room<'_, T> {
    /// Gives the header (in place, as `s = append(s, ...)` does) a backing
    /// array with capacity for `need > cap` elements, of Go 1.19's size: a
    /// new array with the `len` elements cloned if the old one is shared, or
    /// the old one itself reallocated (or its elements moved) if this header
    /// is its only one.
    #[track_caller]
    fn make_room(&mut self, len: usize, need: usize) {
        debug_assert!(need > *self.cap);
        let new_cap = match grown_cap::<T>(*self.cap, need) {
            Ok(c) => c,
            Err(e) => fail(&e),
        };
        let unique = matches!(&*self.arr, Some(a) if a.refs() == 1);
        if unique && *self.off == 0 {
            let Some(a) = self.arr.as_mut() else {
                unreachable!()
            };
            a.realloc_unique(len, new_cap);
            *self.cap = new_cap;
        } else if unique {
            let old = self.arr.take().expect("unique implies an array");
            let dst = RawArray::allocate(new_cap, old.zero(), "growslice: cap out of range");
            let leftover = old.move_into_fresh(*self.off, len, &dst);
            // The header is consistent again before any user Drop runs.
            *self.arr = Some(dst);
            *self.off = 0;
            *self.cap = new_cap;
            drop(leftover);
        } else {
            let zero = self.arr.as_ref().and_then(RawArray::zero);
            let dst = RawArray::allocate(new_cap, zero, "growslice: cap out of range");
            if let Some(a) = &*self.arr {
                if len > 0 {
                    a.clone_into_fresh(*self.off, len, &dst);
                }
            }
            *self.arr = Some(dst);
            *self.off = 0;
            *self.cap = new_cap;
        }
    }
}

impl<T> Default for Slice<T> {
    /// The nil slice.
    fn default() -> Self {
        Self::nil()
    }
}

/// Rust's list form, as `Vec`'s: the `len` elements of the slice's window
/// (not the rest of its capacity), `[1, 2, 3]`, or one element per line
/// with `{:#?}`; `[]` for nil and empty slices.
///
/// # Examples
///
/// ```
/// use goslice::Slice;
///
/// let s = Slice::from(vec![1, 2, 3, 4]).slice(..3);
/// assert_eq!(format!("{s:?}"), "[1, 2, 3]");
/// assert_eq!(format!("{s:#?}"), "[\n    1,\n    2,\n    3,\n]");
/// assert_eq!(format!("{:?}", Slice::from(vec!["a"])), r#"["a"]"#);
/// assert_eq!(format!("{:?}", Slice::<u8>::nil()), "[]");
/// ```
impl<T: fmt::Debug> fmt::Debug for Slice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with(|xs| f.debug_list().entries(xs).finish())
    }
}

/// Go's `%v` form, what `fmt.Println(s)` prints: `[1 2 3]`, the `len`
/// elements separated by spaces, each formatted with its own `Display`
/// (so strings print without quotes, and a slice of slices nests, as in
/// Go); `[]` for nil and empty slices. Formatting flags (width, precision)
/// apply to each element. Elements print as Rust prints them, which for
/// floats is not Go's `%v`: `1e21_f64` prints `1000000000000000000000`,
/// where Go prints `1e+21`.
///
/// # Examples
///
/// ```
/// use goslice::Slice;
///
/// assert_eq!(Slice::from(vec![1, 2, 3]).to_string(), "[1 2 3]");
/// assert_eq!(Slice::from(vec!["go", "rust"]).to_string(), "[go rust]");
/// let nested = Slice::from(vec![Slice::from(vec![1, 2]), Slice::nil()]);
/// assert_eq!(nested.to_string(), "[[1 2] []]"); // Go: [[1 2] []]
/// assert_eq!(format!("{:.1}", Slice::from(vec![0.25, 1.0])), "[0.2 1.0]");
/// ```
impl<T: fmt::Display> fmt::Display for Slice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with(|xs| {
            f.write_str("[")?;
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                fmt::Display::fmt(x, f)?;
            }
            f.write_str("]")
        })
    }
}

/// Element-wise equality (Go has no `==` on slices; this is what
/// `reflect.DeepEqual` compares, except that nil and empty are equal here).
impl<T: PartialEq> PartialEq for Slice<T> {
    fn eq(&self, other: &Self) -> bool {
        self.with(|a| other.with(|b| a == b))
    }
}

impl<T: Eq> Eq for Slice<T> {}

impl<T: PartialEq> PartialEq<[T]> for Slice<T> {
    fn eq(&self, other: &[T]) -> bool {
        self.with(|a| a == other)
    }
}

impl<T: PartialEq> PartialEq<&[T]> for Slice<T> {
    fn eq(&self, other: &&[T]) -> bool {
        self.with(|a| a == *other)
    }
}

impl<T: PartialEq, const N: usize> PartialEq<[T; N]> for Slice<T> {
    fn eq(&self, other: &[T; N]) -> bool {
        self.with(|a| a == other)
    }
}

impl<T: PartialEq> PartialEq<Vec<T>> for Slice<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.with(|a| a == other.as_slice())
    }
}

/// Lexicographic order of the `len` elements, as `[T]`'s and `Vec`'s (Go
/// has no ordering on slices); nil and empty compare equal. There is no
/// `Hash`: like `RefCell`'s, a slice's elements can change through any
/// header while it sits in a hashed collection.
///
/// # Examples
///
/// ```
/// use goslice::Slice;
///
/// assert!(Slice::from(vec![1, 2]) < Slice::from(vec![1, 3]));
/// assert!(Slice::from(vec![1]) < Slice::from(vec![1, 0]));
/// ```
impl<T: PartialOrd> PartialOrd for Slice<T> {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        self.with(|a| other.with(|b| a.partial_cmp(b)))
    }
}

impl<T: Ord> Ord for Slice<T> {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.with(|a| other.with(|b| a.cmp(b)))
    }
}

/// The comparisons above with the slice on the right, as `Vec` has them
/// both ways (`vec![1, 2] == s`).
///
/// # Examples
///
/// ```
/// use goslice::Slice;
///
/// let s = Slice::from(vec![1, 2]);
/// assert_eq!(vec![1, 2], s);
/// assert_eq!([1, 2], s);
/// let r: &[i32] = &[1, 2];
/// assert!(r == s);
/// ```
impl<T: PartialEq> PartialEq<Slice<T>> for Vec<T> {
    fn eq(&self, other: &Slice<T>) -> bool {
        other.with(|b| self.as_slice() == b)
    }
}

impl<T: PartialEq, const N: usize> PartialEq<Slice<T>> for [T; N] {
    fn eq(&self, other: &Slice<T>) -> bool {
        other.with(|b| self[..] == *b)
    }
}

impl<T: PartialEq> PartialEq<Slice<T>> for [T] {
    fn eq(&self, other: &Slice<T>) -> bool {
        other.with(|b| self == b)
    }
}

impl<T: PartialEq> PartialEq<Slice<T>> for &[T] {
    fn eq(&self, other: &Slice<T>) -> bool {
        other.with(|b| *self == b)
    }
}

impl<T> From<Vec<T>> for Slice<T> {
    /// See [`Slice::from_vec`].
    fn from(v: Vec<T>) -> Self {
        Self::from_vec(v)
    }
}

impl<T: Clone> From<&[T]> for Slice<T> {
    /// Clones the elements into a new array: `len == cap == v.len()`.
    fn from(v: &[T]) -> Self {
        if v.is_empty() {
            return Self::empty();
        }
        let arr = RawArray::allocate(v.len(), None, "goslice: slice too large");
        for x in v {
            arr.put(arr.init(), x.clone());
        }
        Slice {
            arr: Some(arr),
            off: 0,
            len: v.len(),
            cap: v.len(),
        }
    }
}

impl<T, const N: usize> From<[T; N]> for Slice<T> {
    /// Moves the elements into a new array: `len == cap == N`.
    fn from(v: [T; N]) -> Self {
        Self::from_vec(Vec::from(v))
    }
}

impl<T: Clone> From<Slice<T>> for Vec<T> {
    /// Clones the elements (other headers may still use them).
    fn from(s: Slice<T>) -> Self {
        s.to_vec()
    }
}

impl<T: Clone> From<&Slice<T>> for Vec<T> {
    /// Clones the elements.
    fn from(s: &Slice<T>) -> Self {
        s.to_vec()
    }
}

impl<T> FromIterator<T> for Slice<T> {
    /// Collects into a new array: `len == cap`.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self::from_vec(iter.into_iter().collect())
    }
}

impl<T: Clone> Extend<T> for Slice<T> {
    /// `s = append(s, items...)`, as one append.
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let vs: Vec<T> = iter.into_iter().collect();
        let need = match self.len.checked_add(vs.len()) {
            Some(n) => n,
            None => fail(&GrowError),
        };
        if need > self.cap {
            self.make_room(need);
        }
        if let Some(a) = &self.arr {
            for (k, v) in vs.into_iter().enumerate() {
                a.put(self.off + self.len + k, v);
            }
        }
        self.len = need;
    }
}

impl<'a, T: Copy + 'a> Extend<&'a T> for Slice<T> {
    /// `s = append(s, items...)` from references to `Copy` elements, as
    /// `Vec`'s `extend(&[..])`; one append, like the by-value `extend`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goslice::Slice;
    ///
    /// let mut s = Slice::from(vec![1, 2]);
    /// s.extend(&[3, 4]);
    /// assert_eq!(s, [1, 2, 3, 4]);
    /// ```
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn header_fields() {
        let s = Slice::<u8>::make(3, 6);
        let t = s.slice3(1, 2, 5);
        assert_eq!((t.off, t.len, t.cap), (1, 1, 4));
        assert_eq!(t.array().refs(), 2);
        assert!(Slice::<u8>::nil().with_zero().is_nil());
        let e = Slice::<u8>::from(vec![]);
        assert!(!e.is_nil());
    }
}
