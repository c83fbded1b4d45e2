//! The shared backing array: one reference-counted allocation that any number
//! of slice headers point into.
//!
//! # What
//!
//! A Go slice is a header `{ptr, len, cap}`; the array it points at lives as
//! long as any header (or other pointer) reaches it, and every header over it
//! reads and writes the same elements. [`RawArray<T>`] is that array: a
//! counted handle, cloned for every header, whose last drop drops the
//! elements it holds and frees the memory. It is the only place in the crate
//! with `unsafe` code.
//!
//! # Layout
//!
//! ```text
//!  one allocation
//!  ┌─────────────────────────── Inner<T> ──────────────────────────────┬─pad─┬──────── cap slots of T ───────────┐
//!  │ refs │ borrow │ init │ readable │ cap │ zero: Option<fn() -> T>      │     │ T │ T │ T │ T │ ? │ ? │ ? │ ? │
//!  └──────┴────────┴──────┴──────────┴─────┴──────────────────────────────┴─────┴───────────────┴─────────────────┘
//!                                                                               0               init            cap
//!                                                                               slots < init hold values; the rest
//!                                                                               are uninitialised memory
//! ```
//!
//! The slots start at `DATA_OFFSET = round_up(size_of::<Inner<T>>(),
//! align_of::<T>())`, a compile-time constant per `T`.
//!
//! # Invariants
//!
//! - I1: `refs` is the number of live `RawArray` handles; the allocation is
//!   freed exactly when it drops to 0, after dropping slots `0..init` once.
//! - I2: slots `0..init` hold initialised values, slots `init..cap` do not;
//!   `init <= cap`. `init` only grows while the array lives.
//! - I3: `borrow` counts outstanding shared element borrows (`> 0`) or marks
//!   one exclusive borrow (`EXCLUSIVE`). While any borrow is out, no slot is
//!   replaced, moved out or dropped, and no shared borrow coexists with the
//!   exclusive one: every writer of an initialised slot checks `borrow == 0`
//!   first and panics otherwise. Initialising the slot at `init` needs no
//!   check: borrowed ranges lie below `init`, so no borrow can see it. This
//!   is what makes handing `&T` to user code (`Clone`, `Debug`, closures)
//!   sound although other headers may write.
//! - I4: handles are not `Send`/`Sync` (the counts are plain `Cell`s): the
//!   whole structure is single-threaded, like an `Rc`.
//! - I5: user code (`Clone`, `Drop`, `Default`) never runs while a slot is
//!   half-updated: a replaced value is dropped after the new one is in place,
//!   and `init` is bumped only after the slot is written.
//! - I6: `readable == init` while no exclusive borrow is out, and 0 while
//!   one is. So `i < readable` says in one compare that slot `i` may be
//!   read now; `Slice::get`, the hot path, checks only that.
//!
//! # Tuning
//!
//! The counters live in the same allocation as the elements (one allocation
//! per array, as in Go) and cost `5 * size_of::<usize>() + size_of::<fn()>`
//! bytes per array, 48 on 64-bit targets. `readable` (I6) repeats what
//! `init` and `borrow` say, to save a load and a branch on every
//! `Slice::get`.
//!
//! # Go correspondence
//!
//! | Go | here |
//! |---|---|
//! | `mallocgc(capmem, et, true)` in `growslice` / `makeslice` | [`RawArray::allocate`], [`RawArray::try_allocate`] (null → `Err`) |
//! | the garbage collector freeing an unreachable array | `Drop for RawArray` (I1) |
//! | zeroed memory beyond `len` (`memclrNoHeapPointers`) | `zero` filler, slots beyond `init` (I2) |
//!
//! # Divergences
//!
//! - Go zeroes the whole array when it is allocated. Rust has no universal
//!   zero value, so slots past `init` stay uninitialised and are filled with
//!   `T::default()` (through the `zero` function, recorded when the array
//!   was created by a constructor that knew `T: Default`) only when a reslice
//!   first exposes them. Without a recorded zero, exposing them panics.
//! - Reference counting instead of a tracing collector: a cycle through
//!   slices of slices leaks, like `Rc`.

use alloc::alloc::{alloc, dealloc, handle_alloc_error, realloc};
use core::alloc::Layout;
use core::cell::Cell;
use core::marker::PhantomData;
use core::mem::{align_of, needs_drop, size_of};
use core::ptr::{self, NonNull};

/// `borrow` value marking one exclusive borrow (I3).
const EXCLUSIVE: usize = usize::MAX;

/// The counters at the head of the allocation.
#[repr(C)]
struct Inner<T> {
    /// Live handles (I1).
    refs: Cell<usize>,
    /// Outstanding element borrows (I3).
    borrow: Cell<usize>,
    /// Slots `0..init` are initialised (I2).
    init: Cell<usize>,
    /// `init`, or 0 while an exclusive borrow is out (I6).
    readable: Cell<usize>,
    /// Number of slots.
    cap: usize,
    /// How to make a zero value, when known.
    zero: Cell<Option<fn() -> T>>,
}

/// Why [`RawArray::try_allocate`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AllocFail {
    /// The byte size overflows `isize` (no allocation was attempted).
    TooLarge,
    /// The allocator returned null for this layout.
    Alloc(Layout),
}

/// A counted handle to a backing array of `cap` slots of `T`.
pub(crate) struct RawArray<T> {
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<T>,
}

/// A write past the array's last slot: a broken header invariant (cold, and
/// without arguments, so the check costs one compare on the push path).
#[cold]
#[inline(never)]
fn beyond_capacity() -> ! {
    panic!("goslice: write past the backing array's capacity")
}

/// A read of slot `i` at or past `init`: a broken header invariant (cold).
#[cold]
#[inline(never)]
#[track_caller]
fn beyond_written(i: usize, init: usize) -> ! {
    panic!("goslice: slot {i} beyond the written slots 0..{init}")
}

/// A reference count that is 0 (no handle, so no one can call this) or about
/// to overflow (handles leaked with `mem::forget`, perhaps in a loop the
/// compiler collapses into one addition, as `Rc` guards against too).
#[cold]
#[inline(never)]
fn refs_out_of_range() -> ! {
    panic!("goslice: reference count out of range")
}

/// Most shared borrows `RawArray::borrow` hands out (leaked guards
/// included), far below `EXCLUSIVE` so the count can never wrap.
const MAX_GUARDED_BORROWS: usize = usize::MAX / 2;

/// `RawArray::borrow` called with `MAX_GUARDED_BORROWS` borrows out (cold).
#[cold]
#[inline(never)]
#[track_caller]
fn too_many_borrows() -> ! {
    panic!("goslice: too many borrows of one backing array (leaked `as_slice` guards?)")
}

/// Panic message for a write while elements are borrowed (I3).
const BORROWED: &str =
    "goslice: backing array modified while one of its elements is borrowed (by Clone, Debug, a `with` closure or an `as_slice` guard)";

impl<T> RawArray<T> {
    /// Offset of slot 0 from the start of the allocation.
    const DATA_OFFSET: usize = {
        let a = align_of::<T>();
        (size_of::<Inner<T>>() + a - 1) & !(a - 1)
    };

    /// The allocation's layout for `cap` slots, or `None` if it is too large.
    fn layout(cap: usize) -> Option<Layout> {
        let bytes = size_of::<T>().checked_mul(cap)?;
        let total = Self::DATA_OFFSET.checked_add(bytes)?;
        let align = if align_of::<T>() > align_of::<Inner<T>>() {
            align_of::<T>()
        } else {
            align_of::<Inner<T>>()
        };
        Layout::from_size_align(total, align).ok()
    }

    /// Whether an array of `cap` slots can be allocated at all.
    pub(crate) fn fits(cap: usize) -> bool {
        Self::layout(cap).is_some()
    }

    /// Allocates an array of `cap` uninitialised slots (`init = 0`) with one
    /// handle. Panics with `msg` if the size overflows the address space;
    /// calls [`handle_alloc_error`] (which aborts) if the allocator fails.
    #[track_caller]
    pub(crate) fn allocate(cap: usize, zero: Option<fn() -> T>, msg: &str) -> Self {
        match Self::try_allocate(cap, zero) {
            Ok(a) => a,
            Err(AllocFail::TooLarge) => panic!("{msg}"),
            Err(AllocFail::Alloc(layout)) => handle_alloc_error(layout),
        }
    }

    /// [`allocate`](Self::allocate) that reports both failures, for the
    /// fallible (`try_`) paths. Nothing is touched on failure: the memory is
    /// requested with `alloc`, whose null result is returned as an error
    /// before any byte is written.
    pub(crate) fn try_allocate(cap: usize, zero: Option<fn() -> T>) -> Result<Self, AllocFail> {
        let layout = Self::layout(cap).ok_or(AllocFail::TooLarge)?;
        // SAFETY: `layout` has non-zero size: it contains `Inner<T>`, which
        // holds at least three `usize`s.
        let raw = unsafe { alloc(layout) };
        let Some(base) = NonNull::new(raw.cast::<Inner<T>>()) else {
            return Err(AllocFail::Alloc(layout));
        };
        let inner = Inner {
            refs: Cell::new(1),
            borrow: Cell::new(0),
            init: Cell::new(0),
            readable: Cell::new(0),
            cap,
            zero: Cell::new(zero),
        };
        // SAFETY: `base` is a fresh allocation of `layout`, which starts with
        // room for an `Inner<T>` and is aligned for it.
        unsafe { base.as_ptr().write(inner) };
        Ok(RawArray {
            ptr: base,
            _owns: PhantomData,
        })
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: the handle keeps the allocation alive (I1) and `Inner` was
        // written in `allocate`; it is only ever accessed through `&` (all
        // mutable fields are `Cell`s).
        unsafe { self.ptr.as_ref() }
    }

    /// Number of slots.
    #[inline]
    pub(crate) fn cap(&self) -> usize {
        self.inner().cap
    }

    /// Number of initialised slots (I2).
    #[inline]
    pub(crate) fn init(&self) -> usize {
        self.inner().init.get()
    }

    /// Sets `init` and, with it, `readable` (I6).
    #[inline]
    fn set_init(&self, n: usize) {
        let inner = self.inner();
        inner.init.set(n);
        if inner.borrow.get() != EXCLUSIVE {
            inner.readable.set(n);
        }
    }

    /// Number of live handles.
    pub(crate) fn refs(&self) -> usize {
        self.inner().refs.get()
    }

    /// The recorded zero-value function.
    pub(crate) fn zero(&self) -> Option<fn() -> T> {
        self.inner().zero.get()
    }

    /// Records `zero` as the zero-value function if none is known yet.
    pub(crate) fn learn_zero(&self, zero: fn() -> T) {
        if self.inner().zero.get().is_none() {
            self.inner().zero.set(Some(zero));
        }
    }

    /// Whether two handles name the same array.
    #[inline]
    pub(crate) fn same(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }

    /// Pointer to slot `i` (`i <= cap`), valid for reads and writes of the
    /// slot's memory (not necessarily of an initialised value).
    #[inline]
    fn slot(&self, i: usize) -> *mut T {
        debug_assert!(i <= self.cap());
        let base = self.ptr.as_ptr().cast::<u8>();
        // SAFETY: the allocation spans `DATA_OFFSET + cap * size_of::<T>()`
        // bytes (`layout`), and `i <= cap`, so the offset stays inside it or
        // one past its end.
        unsafe { base.add(Self::DATA_OFFSET).cast::<T>().add(i) }
    }

    #[track_caller]
    #[inline]
    fn check_writable(&self) {
        if self.inner().borrow.get() != 0 {
            panic!("{BORROWED}");
        }
    }

    /// Runs `f` on slots `lo..hi` as a shared slice (I3: shared borrow).
    ///
    /// Panics if `hi > init` or an exclusive borrow is out.
    #[track_caller]
    pub(crate) fn with<R>(&self, lo: usize, hi: usize, f: impl FnOnce(&[T]) -> R) -> R {
        assert!(lo <= hi && hi <= self.init());
        let b = &self.inner().borrow;
        if b.get() == EXCLUSIVE {
            panic!("{BORROWED}");
        }
        b.set(b.get() + 1);
        let _release = Release(b);
        // SAFETY: slots lo..hi are initialised (hi <= init, I2); while the
        // shared borrow is out no writer touches any slot (I3), and the
        // reference does not outlive `f`.
        let s = unsafe { core::slice::from_raw_parts(self.slot(lo), hi - lo) };
        f(s)
    }

    /// Runs `f` on slot `i` (`i < init`) under a shared borrow (I3): the
    /// one-element [`with`](Self::with), which `Slice::get` calls on every
    /// read, so it checks exactly what it needs. When `f` is a plain copy
    /// (`u64::clone`), the borrow's two stores cancel out after inlining and
    /// the compiler removes them, leaving a load and two compares.
    ///
    /// Panics if `i >= init` or an exclusive borrow is out.
    #[track_caller]
    #[inline]
    pub(crate) fn with_elem<R>(&self, i: usize, f: impl FnOnce(&T) -> R) -> R {
        let inner = self.inner();
        // One compare checks both `i < init` and "no exclusive borrow" (I6).
        if i >= inner.readable.get() {
            self.unreadable(i);
        }
        let b = &inner.borrow;
        b.set(b.get() + 1);
        let _release = Release(b);
        // SAFETY: slot i < init is initialised (I2); while the shared borrow
        // is out no writer touches any slot (I3), and the reference does not
        // outlive `f`.
        f(unsafe { &*self.slot(i) })
    }

    /// Why slot `i` is not readable (I6): exclusively borrowed, or not
    /// written.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn unreadable(&self, i: usize) -> ! {
        if self.inner().borrow.get() == EXCLUSIVE {
            panic!("{BORROWED}");
        }
        beyond_written(i, self.init())
    }

    /// Takes a shared borrow of slots `lo..hi` (I3) that lasts as long as the
    /// returned guard: the closure-free [`with`](Self::with), for
    /// `Slice::as_slice`.
    ///
    /// Panics if `hi > init` or an exclusive borrow is out.
    #[track_caller]
    pub(crate) fn borrow(&self, lo: usize, hi: usize) -> SliceRef<'_, T> {
        assert!(lo <= hi && hi <= self.init());
        let b = &self.inner().borrow;
        if b.get() == EXCLUSIVE {
            panic!("{BORROWED}");
        }
        // A guard can be leaked (`mem::forget`), so unlike the closure-scoped
        // borrows this count is not bounded by the stack: on a 32-bit target
        // 2^32 leaked guards would wrap it to 0 and let writers in under a
        // live `&[T]`. Refuse well before EXCLUSIVE, as `RefCell` does; the
        // scoped borrows nest at most stack-depth deep on top of this.
        if b.get() >= MAX_GUARDED_BORROWS {
            too_many_borrows();
        }
        b.set(b.get() + 1);
        // SAFETY: slots lo..hi are initialised (hi <= init, I2). The guard
        // holds the shared borrow until it is dropped, so no writer touches
        // any slot meanwhile (I3); the allocation outlives the guard, which
        // borrows `self`, a handle (I1). If the guard is leaked instead of
        // dropped, the borrow simply stays up and later writes panic.
        let elems = unsafe { core::slice::from_raw_parts(self.slot(lo), hi - lo) };
        SliceRef {
            elems,
            _borrow: Some(Release(b)),
        }
    }

    /// Runs `f` on slots `lo..hi` as an exclusive slice (I3).
    ///
    /// Panics if `hi > init` or any borrow is out.
    #[track_caller]
    pub(crate) fn with_mut<R>(&self, lo: usize, hi: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
        assert!(lo <= hi && hi <= self.init());
        self.check_writable();
        let b = &self.inner().borrow;
        b.set(EXCLUSIVE);
        self.inner().readable.set(0);
        let _release = ReleaseExclusive(self.inner());
        // SAFETY: slots lo..hi are initialised (I2); the exclusive borrow
        // keeps every other access (shared or writing) out until `f` returns
        // (I3).
        let s = unsafe { core::slice::from_raw_parts_mut(self.slot(lo), hi - lo) };
        f(s)
    }

    /// Stores `v` in slot `i` (`i <= init`, `i < cap`): replaces (and drops,
    /// after the store) the old value if `i < init`, else initialises slot
    /// `init`.
    #[track_caller]
    #[inline]
    pub(crate) fn put(&self, i: usize, v: T) {
        let inner = self.inner();
        let init = inner.init.get();
        if i == init {
            // The common case (append past every written slot). It needs no
            // borrow check: a fresh slot is not part of any borrowed range
            // (borrows cover slots below `init`, I3), and nothing is dropped.
            if i >= inner.cap {
                beyond_capacity();
            }
            // SAFETY: slot i == init < cap is inside the allocation and
            // uninitialised; writing it and then bumping `init` keeps I2.
            unsafe { self.slot(i).write(v) };
            self.set_init(init + 1);
        } else {
            self.replace(i, v, init);
        }
    }

    #[track_caller]
    fn replace(&self, i: usize, v: T, init: usize) {
        self.check_writable();
        assert!(
            i < init,
            "goslice: slot {i} beyond the written slots 0..{init}"
        );
        // SAFETY: slot i < init is initialised (I2) and no borrow is out (I3,
        // checked by `put`).
        let old = unsafe { ptr::replace(self.slot(i), v) };
        // I5: the slot already holds `v` when user Drop runs.
        drop(old);
    }

    /// Makes slots `0..upto` initialised by filling `init..upto` with zero
    /// values. Panics (before changing anything) with a clear message if no
    /// zero-value function is known, or if `upto > cap`.
    ///
    /// Inline, so that a reslice within the written slots (the common case)
    /// costs one compare; the filling is out of line.
    #[track_caller]
    #[inline]
    pub(crate) fn zero_fill(&self, upto: usize) {
        if upto > self.init() {
            self.zero_fill_past_init(upto);
        }
    }

    #[track_caller]
    #[cold]
    #[inline(never)]
    fn zero_fill_past_init(&self, upto: usize) {
        assert!(upto <= self.cap());
        let Some(zero) = self.zero() else {
            panic!(
                "goslice: reslicing past the written elements (slots {}..{}) needs zero values, \
                 but this array was not created by a constructor that knows `T: Default` \
                 (use `Slice::make`, or `Slice::with_zero`)",
                self.init(),
                upto
            );
        };
        if size_of::<T>() == 0 && !needs_drop::<T>() {
            // Zero-size values without drop glue occupy no memory and need no
            // drop: one `zero()` stands for all of them, so `make` of a huge
            // `[]struct{}` does not loop.
            core::mem::forget(zero());
            self.check_writable();
            self.set_init(upto.max(self.init()));
            return;
        }
        while self.init() < upto {
            // `zero()` is user code (Default); it may panic, leaving `init`
            // at the last fully written slot (I5).
            let v = zero();
            let i = self.init();
            if i >= upto {
                // User code extended the array meanwhile; drop the spare.
                drop(v);
                break;
            }
            self.check_writable();
            // SAFETY: i == init < upto <= cap: an uninitialised slot in the
            // allocation; writing it then bumping `init` keeps I2.
            unsafe { self.slot(i).write(v) };
            self.set_init(i + 1);
        }
    }

    /// Clones slots `src_lo..src_lo + n` of `self` into the fresh array
    /// `dst` (which must have `init == 0`, `cap >= n`, and be unshared).
    #[track_caller]
    pub(crate) fn clone_into_fresh(&self, src_lo: usize, n: usize, dst: &RawArray<T>)
    where
        T: Clone,
    {
        debug_assert!(dst.init() == 0 && dst.cap() >= n && !self.same(dst));
        self.with(src_lo, src_lo + n, |src| {
            for (k, x) in src.iter().enumerate() {
                let v = x.clone();
                // SAFETY: `dst` is a different, unshared array whose slot k
                // == dst.init < n <= dst.cap is uninitialised; bumping init
                // right after keeps I2 if the next clone panics.
                unsafe { dst.slot(k).write(v) };
                dst.set_init(k + 1);
            }
        });
    }

    /// Grows the only handle's allocation to `new_cap` slots in place (with
    /// `realloc`, which can remap pages instead of copying them), keeping
    /// slots `0..keep` and dropping slots `keep..init` first.
    ///
    /// Panics if the handle is shared, an element is borrowed, `keep > init`
    /// or `new_cap < keep`; if a dropped value's `Drop` panics, the array is
    /// left valid with `init == keep` and its old capacity.
    #[track_caller]
    pub(crate) fn realloc_unique(&mut self, keep: usize, new_cap: usize) {
        assert!(self.refs() == 1 && keep <= self.init() && keep <= new_cap);
        self.check_writable();
        let init = self.init();
        if init > keep {
            // I2/I5: shrink `init` first, so the values past it are owned
            // only by this drop.
            self.set_init(keep);
            if needs_drop::<T>() {
                // SAFETY: slots keep..init are initialised (they were below
                // init) and now outside `0..init`, so nothing else drops them.
                unsafe {
                    ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.slot(keep), init - keep))
                };
            }
        }
        let (Some(old), Some(new)) = (Self::layout(self.cap()), Self::layout(new_cap)) else {
            panic!("growslice: cap out of range");
        };
        // SAFETY: `self.ptr` was allocated with `old` (same T, this cap);
        // `new.size()` is non-zero and, being a valid `Layout` size with the
        // same alignment, does not overflow isize when rounded up. We are the
        // only handle and no borrow is out (checked), so no reference into
        // the old block survives the move.
        let raw = unsafe { realloc(self.ptr.as_ptr().cast::<u8>(), old, new.size()) };
        let Some(p) = NonNull::new(raw.cast::<Inner<T>>()) else {
            handle_alloc_error(new)
        };
        // SAFETY: `p` points to the moved `Inner<T>` (realloc preserves the
        // first `old.size()` bytes); writing its plain `cap` field through
        // the raw pointer is fine as no reference to it exists.
        unsafe { ptr::addr_of_mut!((*p.as_ptr()).cap).write(new_cap) };
        self.ptr = p;
    }

    /// Go's `memmove` for `copy` within one array: clones slots
    /// `src..src + n` onto `dst..dst + n` (all `< init`), in the direction
    /// that reads each source slot before it is overwritten.
    #[track_caller]
    pub(crate) fn copy_within(&self, src: usize, dst: usize, n: usize)
    where
        T: Clone,
    {
        assert!(src + n <= self.init() && dst + n <= self.init());
        self.check_writable();
        if src == dst || n == 0 {
            return;
        }
        let step = |k: usize| {
            if needs_drop::<T>() {
                // User Clone under a shared borrow, user Drop (in `put`)
                // with no borrow out (I3, I5).
                let v = self.with(src + k, src + k + 1, |x| x[0].clone());
                self.put(dst + k, v);
            } else {
                // SAFETY: slot src+k is initialised (< init); the reference
                // lives only for the clone call.
                let v = unsafe { (*self.slot(src + k)).clone() };
                // SAFETY: slot dst+k < init is initialised and, as T has no
                // drop glue, may be overwritten without dropping; the shared
                // borrow held by the caller keeps other writers out.
                unsafe { self.slot(dst + k).write(v) };
            }
        };
        let _hold = self.hold_if_no_drop();
        if dst < src {
            (0..n).for_each(step);
        } else {
            (0..n).rev().for_each(step);
        }
    }

    /// Clones `src` (which is not inside this array) onto slots
    /// `at..at + src.len()`, all `< init`.
    #[track_caller]
    pub(crate) fn write_clones(&self, at: usize, src: &[T])
    where
        T: Clone,
    {
        assert!(at + src.len() <= self.init());
        // A `src` borrowed from this array would have the borrow flag up:
        // then this panics before writing anything.
        self.check_writable();
        let _hold = self.hold_if_no_drop();
        for (k, x) in src.iter().enumerate() {
            let v = x.clone();
            if needs_drop::<T>() {
                self.put(at + k, v);
            } else {
                // SAFETY: slot at+k < init is initialised and, as T has no
                // drop glue, may be overwritten without dropping; the shared
                // borrow `_hold` keeps other writers (user Clone) out.
                unsafe { self.slot(at + k).write(v) };
            }
        }
    }

    /// For types without drop glue, takes a shared borrow for the duration
    /// of a bulk write so user `Clone` code cannot write meanwhile (I3).
    fn hold_if_no_drop(&self) -> Option<Release<'_>> {
        if needs_drop::<T>() {
            return None;
        }
        let b = &self.inner().borrow;
        b.set(b.get() + 1);
        Some(Release(b))
    }

    /// Moves slots `lo..lo + n` of `self` into the fresh array `dst` (as
    /// [`clone_into_fresh`](Self::clone_into_fresh)) and consumes `self`.
    /// Requires `self` to be the only handle. The other values of `self` are
    /// dropped, and its memory freed, when the returned [`Leftover`] is
    /// dropped, so callers can make their own state consistent before user
    /// `Drop` code runs.
    pub(crate) fn move_into_fresh(self, lo: usize, n: usize, dst: &RawArray<T>) -> Leftover<T> {
        assert!(self.refs() == 1 && lo + n <= self.init());
        self.check_writable();
        debug_assert!(dst.init() == 0 && dst.cap() >= n && !self.same(dst));
        // SAFETY: slots lo..lo+n are initialised (I2) and `dst` is a
        // different allocation with at least n uninitialised slots.
        unsafe { ptr::copy_nonoverlapping(self.slot(lo), dst.slot(0), n) };
        dst.set_init(n);
        let init = self.init();
        // The moved-out slots must not be dropped again: mark the array empty
        // and hand the remaining values to the Leftover.
        self.set_init(0);
        let this = core::mem::ManuallyDrop::new(self);
        Leftover {
            ptr: this.ptr,
            cap: this.cap(),
            head: lo,
            tail: (lo + n, init - (lo + n)),
        }
    }
}

/// What remains of an array after [`RawArray::move_into_fresh`]: values
/// `0..head` and `tail.0..tail.0 + tail.1`, and the memory.
pub(crate) struct Leftover<T> {
    ptr: NonNull<Inner<T>>,
    cap: usize,
    head: usize,
    tail: (usize, usize),
}

impl<T> Drop for Leftover<T> {
    fn drop(&mut self) {
        let _free = FreeOnDrop(self.ptr, self.cap);
        if needs_drop::<T>() {
            let data = {
                let base = self.ptr.as_ptr().cast::<u8>();
                // SAFETY: DATA_OFFSET is inside the allocation (see `slot`).
                unsafe { base.add(RawArray::<T>::DATA_OFFSET).cast::<T>() }
            };
            // SAFETY: slots tail.0..tail.0+tail.1 <= cap are initialised
            // values nobody else owns (the array was consumed and marked
            // empty). Declared after `_free`, so it runs first on unwinding.
            let tail = TailDrop(unsafe { data.add(self.tail.0) }, self.tail.1);
            // SAFETY: slots 0..head are initialised values nobody else owns.
            unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(data, self.head)) };
            drop(tail);
        }
    }
}

impl<T> Clone for RawArray<T> {
    #[inline]
    fn clone(&self) -> Self {
        let r = &self.inner().refs;
        let n = r.get();
        // `self` is a handle, so `n >= 1` (I1); `n + 1` overflows only if
        // handles were leaked (`mem::forget` in a loop can do it quickly:
        // the compiler may fold the loop into one addition), so it is
        // checked on every target, as `Rc` does. One compare checks both
        // (`n - 1` wraps to `usize::MAX` for `n == 0`). It also tells the
        // compiler that `n != 0`, so a clone dropped soon after needs no
        // free path.
        if n.wrapping_sub(1) >= usize::MAX - 1 {
            refs_out_of_range();
        }
        r.set(n + 1);
        RawArray {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for RawArray<T> {
    #[inline]
    fn drop(&mut self) {
        let r = &self.inner().refs;
        let n = r.get() - 1;
        r.set(n);
        if n == 0 {
            Self::free(self.ptr);
        }
    }
}

impl<T> RawArray<T> {
    /// Drops the values and frees the memory of the array at `ptr`, whose
    /// last handle is being dropped (refs == 0). It takes the pointer, not
    /// the handle, so the handle need not have an address: a header that is
    /// made and dropped within one expression then stays in registers, and
    /// the compiler can cancel its count increment against its decrement.
    #[cold]
    #[inline(never)]
    fn free(ptr: NonNull<Inner<T>>) {
        // Not dropped: this stands for the handle whose drop called us.
        let this = core::mem::ManuallyDrop::new(RawArray {
            ptr,
            _owns: PhantomData,
        });
        let init = this.init();
        let _free = FreeOnDrop(this.ptr, this.cap());
        // I1: drop 0..init exactly once. Mark empty first (see move_into_fresh).
        this.set_init(0);
        if needs_drop::<T>() {
            // SAFETY: refs reached 0, so no other handle exists; slots 0..init
            // are initialised (I2) and dropped only here. drop_in_place on a
            // slice keeps dropping the rest if one element's Drop panics;
            // `_free` then releases the memory during unwinding.
            unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(this.slot(0), init)) };
        }
    }
}

/// The elements of a slice, borrowed: what
/// [`Slice::as_slice`](crate::Slice::as_slice) returns. It derefs to `&[T]`
/// and releases the borrow when dropped, like `RefCell`'s `Ref`.
///
/// While it lives, writes to the backing array's elements through any
/// header panic, as they do inside [`Slice::with`](crate::Slice::with).
/// (Internally: a shared borrow of some slots of the array, raw I3, taken by
/// `RawArray::borrow`.)
///
/// # Examples
///
/// ```
/// use goslice::Slice;
/// let s = Slice::from(vec![1, 2, 3]);
/// let xs = s.as_slice(); // a SliceRef
/// assert_eq!(xs.iter().sum::<i32>(), 6);
/// assert_eq!(&xs[1..], [2, 3]);
/// ```
#[must_use = "the borrow is released when the SliceRef is dropped"]
#[clippy::has_significant_drop]
pub struct SliceRef<'a, T> {
    elems: &'a [T],
    /// `None` for an arrayless (nil or empty) slice.
    _borrow: Option<Release<'a>>,
}

impl<'a, T> SliceRef<'a, T> {
    /// The view of a slice without an array: no elements, no borrow.
    pub(crate) fn empty() -> Self {
        SliceRef {
            elems: &[],
            _borrow: None,
        }
    }
}

impl<T> core::ops::Deref for SliceRef<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.elems
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for SliceRef<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.elems).finish()
    }
}

/// Releases one shared borrow when dropped (also on unwinding).
struct Release<'a>(&'a Cell<usize>);

impl Drop for Release<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// Releases the exclusive borrow when dropped (also on unwinding), making
/// the written slots readable again (I6).
struct ReleaseExclusive<'a, T>(&'a Inner<T>);

impl<T> Drop for ReleaseExclusive<'_, T> {
    fn drop(&mut self) {
        self.0.borrow.set(0);
        self.0.readable.set(self.0.init.get());
    }
}

/// Drops `n` values starting at a pointer when dropped (also on unwinding).
struct TailDrop<T>(*mut T, usize);

impl<T> Drop for TailDrop<T> {
    fn drop(&mut self) {
        // SAFETY: built in `Leftover::drop` over initialised slots after the
        // moved window, which no one else drops (init was reset to 0).
        unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.0, self.1)) };
    }
}

/// Frees an array's memory (not its values) when dropped.
struct FreeOnDrop<T>(NonNull<Inner<T>>, usize);

impl<T> Drop for FreeOnDrop<T> {
    fn drop(&mut self) {
        let layout = RawArray::<T>::layout(self.1).expect("layout was valid at allocation");
        // SAFETY: the pointer came from `alloc(layout)` with this same layout
        // (same cap, same T); no values remain to be dropped and no handle
        // remains, so no one reads it afterwards. `Inner` has no Drop glue
        // beyond plain `Cell`s and a fn pointer.
        unsafe { dealloc(self.0.as_ptr().cast::<u8>(), layout) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_and_with() {
        let a = RawArray::<u32>::allocate(4, None, "x");
        a.put(0, 7);
        a.put(1, 8);
        a.put(0, 9);
        assert_eq!(a.init(), 2);
        assert_eq!(a.with(0, 2, |s| s.to_vec()), [9, 8]);
        let b = a.clone();
        assert_eq!(b.refs(), 2);
        drop(a);
        assert_eq!(b.refs(), 1);
    }

    #[test]
    #[should_panic(expected = "modified while one of its elements is borrowed")]
    fn write_while_borrowed_panics() {
        let a = RawArray::<u32>::allocate(4, None, "x");
        a.put(0, 1);
        a.with(0, 1, |_| a.put(0, 2));
    }

    #[test]
    fn fresh_slot_write_while_borrowed_goes_ahead() {
        let a = RawArray::<u32>::allocate(4, None, "x");
        a.put(0, 1);
        a.with(0, 1, |xs| {
            a.put(1, 2); // slot 1 is past every borrowed element
            assert_eq!(xs, [1]);
        });
        a.with_mut(0, 2, |xs| {
            a.put(2, 3);
            xs[0] = 9;
        });
        assert_eq!(a.with(0, 3, |s| s.to_vec()), [9, 2, 3]);
        // I6: the slot written during the exclusive borrow is readable by
        // the one-compare path once the borrow ends.
        assert_eq!(a.with_elem(2, |x| *x), 3);
    }

    #[test]
    fn leaked_guards_cannot_wrap_the_borrow_count() {
        let a = RawArray::<u32>::allocate(2, None, "x");
        a.put(0, 1);
        let live = a.borrow(0, 1);
        // Stand for 2^31 - 1 (32-bit) leaked guards: `mem::forget` of that
        // many would take too long in a test.
        a.inner().borrow.set(MAX_GUARDED_BORROWS);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            core::mem::forget(a.borrow(0, 1));
        }));
        assert!(r.is_err(), "the count must not grow towards EXCLUSIVE");
        assert_eq!(a.inner().borrow.get(), MAX_GUARDED_BORROWS);
        // Scoped borrows still work and writers are still kept out.
        assert_eq!(a.with(0, 1, |xs| xs[0]), 1);
        let w = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.put(0, 2)));
        assert!(w.is_err());
        assert_eq!(live[0], 1);
        a.inner().borrow.set(1);
        drop(live);
        a.put(0, 3);
        assert_eq!(a.with(0, 1, |xs| xs[0]), 3);
    }

    #[test]
    #[should_panic(expected = "write past the backing array's capacity")]
    fn write_past_capacity_panics() {
        let a = RawArray::<u32>::allocate(1, None, "x");
        a.put(0, 1);
        a.put(1, 2);
    }

    #[test]
    fn clone_and_drop_keep_the_count_exact() {
        let a = RawArray::<u32>::allocate(2, None, "x");
        a.put(0, 1);
        for _ in 0..3 {
            let b = a.clone();
            assert_eq!((a.refs(), b.refs()), (2, 2));
            drop(b);
        }
        let kept: alloc::vec::Vec<_> = (0..5).map(|_| a.clone()).collect();
        assert_eq!(a.refs(), 6);
        drop(kept);
        assert_eq!(a.refs(), 1);
        assert_eq!(a.with_elem(0, |x| *x), 1);
    }

    /// A count about to wrap (leaked clones) panics instead of wrapping.
    #[test]
    fn refs_overflow_panics() {
        let a = RawArray::<u32>::allocate(1, None, "x");
        // Stand for usize::MAX - 1 leaked clones.
        a.inner().refs.set(usize::MAX);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            core::mem::forget(a.clone());
        }));
        assert!(r.is_err(), "the count must not wrap to 0");
        assert_eq!(a.refs(), usize::MAX);
        a.inner().refs.set(1);
    }

    #[test]
    fn zero_fill_uses_recorded_zero() {
        let a = RawArray::<u8>::allocate(4, Some(|| 5), "x");
        a.zero_fill(3);
        assert_eq!(a.with(0, 3, |s| s.to_vec()), [5, 5, 5]);
    }
}
