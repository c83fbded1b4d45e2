//! The [`Trace`] trait: how the collector finds the `Gc` pointers inside a
//! value (Go finds them in the type's pointer bitmap, `mbitmap.go`; Rust has
//! no such map, so each type lists its pointers).
//!
//! One traversal serves every purpose: marking (shade each pointer), moving
//! a value into the heap (unroot each pointer and check it belongs to this
//! heap), moving it out again (re-root), the write barrier (shade the old or
//! new pointers of a store) and the checker (list the edges). The [`Tracer`]
//! carries which of those is running; a `Trace` impl only passes it on to
//! every field.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::ptr::NonNull;

use crate::cell_lock::OwnerLock;
use crate::gc::RawGc;
use crate::heap::{AdoptOp, HeapInner, MarkState};
#[cfg(feature = "std")]
use crate::mark::WorkerMark;
use crate::span::Header;

/// A type the collector can trace: it visits every [`Gc`](crate::Gc) it
/// holds.
///
/// Use `#[derive(Trace)]` (the `derive` feature). It visits every field and
/// forbids a `Drop` impl on the type.
///
/// # Safety
///
/// An implementation must uphold:
///
/// 1. `trace` passes `tracer` to the `trace` of every `Gc`, `GcCell` and
///    other `Trace` value the type owns, and of nothing it does not own (no
///    value reachable through `Rc`, `&` or another shared owner).
/// 2. The set of `Gc`s a value holds changes only through [`GcCell`]
///    setters (no `Cell`, `RefCell` or other interior mutability around a
///    `Gc`), so the write barrier sees every pointer store.
/// 3. The type's `Drop`, if any, does not use a `Gc` it holds (no deref,
///    clone or downgrade; dropping it is fine): when a value is swept, what
///    it points to may be freed already.
/// 4. If `NEEDS_TRACE` is `false`, `trace` visits nothing.
/// 5. `trace` may run on a mark worker thread while the thread that owns
///    the heap runs ([`HeapBuilder::mark_workers`](crate::HeapBuilder)):
///    it only reads the fields it visits and passes `tracer` on; it calls
///    no other method of the value or of a `Gc`, `GcCell` or `Heap` (no
///    deref, no `borrow`, no clone), touches no thread-local or shared
///    state, and reads no field that interior mutability changes. The
///    derive and every impl in this crate do exactly that.
///
/// `trace` may panic; the heap stays consistent (the object being scanned
/// stays grey and is scanned again by the next step; on a mark worker the
/// panic is caught and raised again on the owning thread at its next safe
/// point).
///
/// # Examples
///
/// A hand-written impl for a type the derive cannot handle:
///
/// ```
/// use gogc::{Gc, Heap, Trace, Tracer};
///
/// struct Pair(Gc<u64>, Gc<u64>);
///
/// // SAFETY: traces both pointers; no interior mutability; no Drop.
/// unsafe impl Trace for Pair {
///     fn trace(&self, tracer: &mut Tracer<'_>) {
///         self.0.trace(tracer);
///         self.1.trace(tracer);
///     }
/// }
///
/// let heap = Heap::new();
/// let pair = heap.alloc(Pair(heap.alloc(1), heap.alloc(2)));
/// heap.collect();
/// assert_eq!(*pair.0 + *pair.1, 3);
/// ```
///
/// A derived type cannot implement `Drop` (rule 3):
///
/// ```compile_fail
/// use gogc::{Gc, Trace};
///
/// #[derive(Trace)]
/// struct Node {
///     next: Option<Gc<Node>>,
/// }
///
/// impl Drop for Node {
///     fn drop(&mut self) {}
/// }
/// ```
///
/// [`GcCell`]: crate::GcCell
pub unsafe trait Trace {
    /// Whether values of the type can hold `Gc` pointers at all. Objects of
    /// types where it is `false` go straight to black (Go's `noscan` spans).
    const NEEDS_TRACE: bool = true;

    /// Passes `tracer` to every `Trace` field.
    fn trace(&self, tracer: &mut Tracer<'_>);
}

/// What a traversal does with each pointer it meets. An enum rather than a
/// trait object: `trace_with` builds it on the spot, so in the allocation
/// and barrier paths the match folds away once `Trace::trace` is inlined.
pub(crate) enum TraceOp<'a> {
    /// Marking: shade each pointer (Go's `scanobject`).
    Mark(&'a mut MarkState),
    /// Moving a value into the heap.
    Adopt(AdoptOp<'a>),
    /// Moving a value out of the heap: root each pointer, detach each cell.
    Root,
    /// The deletion half of the barrier: record each overwritten pointer.
    Deletion(&'a mut MarkState),
    /// The checker: list the pointers.
    Edges(&'a mut Vec<NonNull<Header>>),
    /// Marking on a mark worker thread: shade each pointer into the
    /// worker's own queue.
    #[cfg(feature = "std")]
    Drain(&'a mut WorkerMark),
}

/// Passed through [`Trace::trace`] to every pointer of a value; opaque.
/// A `Trace` impl only hands it on (see the example on [`Trace`]).
pub struct Tracer<'a> {
    op: TraceOp<'a>,
}

impl<'a> Tracer<'a> {
    #[inline]
    pub(crate) fn new(op: TraceOp<'a>) -> Tracer<'a> {
        Tracer { op }
    }

    /// A `Gc` field.
    #[inline]
    pub(crate) fn visit_gc(&mut self, gc: &RawGc) {
        match &mut self.op {
            TraceOp::Mark(mark) => mark.shade(gc.header()),
            TraceOp::Adopt(adopt) => adopt.gc(gc),
            // SAFETY: 1. the value was in a live object until now, so what it
            // points to is live.
            TraceOp::Root => unsafe { gc.set_rooted(true) },
            TraceOp::Deletion(mark) => mark.barrier_put(gc.header()),
            TraceOp::Edges(edges) => edges.push(gc.header()),
            #[cfg(feature = "std")]
            TraceOp::Drain(marker) => {
                crate::heap::shade(&mut marker.work, &mut marker.cycle, gc.header());
            }
        }
    }

    /// Whether this traversal runs on a mark worker thread, beside the
    /// heap's owning thread (`GcCell` then locks instead of borrowing).
    #[inline]
    pub(crate) fn on_mark_worker(&self) -> bool {
        #[cfg(feature = "std")]
        return matches!(self.op, TraceOp::Drain(_));
        #[cfg(not(feature = "std"))]
        return false;
    }

    /// A `GcCell`'s owner, before its contents are traced.
    #[inline]
    pub(crate) fn visit_cell(&mut self, owner: &OwnerLock<HeapInner>) {
        match &self.op {
            TraceOp::Adopt(adopt) => owner.set_owner(Some(adopt.heap)),
            TraceOp::Root => owner.set_owner(None),
            TraceOp::Mark(_) | TraceOp::Deletion(_) | TraceOp::Edges(_) => {}
            #[cfg(feature = "std")]
            TraceOp::Drain(_) => {}
        }
    }
}

impl core::fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Tracer")
    }
}

/// Runs `op` over the pointers of `value`.
#[inline]
pub(crate) fn trace_with<T: Trace + ?Sized>(value: &T, op: TraceOp<'_>) {
    if T::NEEDS_TRACE {
        value.trace(&mut Tracer::new(op));
    }
}

macro_rules! leaf_trace {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: the type holds no `Gc`; `trace` visits nothing.
        unsafe impl Trace for $t {
            const NEEDS_TRACE: bool = false;
            #[inline]
            fn trace(&self, _: &mut Tracer<'_>) {}
        }
    )*};
}

leaf_trace!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    str,
    String,
    core::num::NonZeroU32,
    core::num::NonZeroU64,
    core::num::NonZeroUsize,
    core::time::Duration,
);

// SAFETY: a `Gc` behind a `&'static` is owned by someone else (rule 1), so
// there is nothing to visit; and the referent is never swept.
unsafe impl<T: ?Sized + 'static> Trace for &'static T {
    const NEEDS_TRACE: bool = false;
    #[inline]
    fn trace(&self, _: &mut Tracer<'_>) {}
}

// SAFETY: `PhantomData` owns nothing.
unsafe impl<T: ?Sized> Trace for PhantomData<T> {
    const NEEDS_TRACE: bool = false;
    #[inline]
    fn trace(&self, _: &mut Tracer<'_>) {}
}

// SAFETY: the box owns its value and traces it.
unsafe impl<T: Trace + ?Sized> Trace for Box<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        (**self).trace(tracer);
    }
}

// SAFETY: the option owns its value and traces it.
unsafe impl<T: Trace> Trace for Option<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if let Some(value) = self {
            value.trace(tracer);
        }
    }
}

// SAFETY: the result owns either value and traces it.
unsafe impl<T: Trace, E: Trace> Trace for Result<T, E> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE || E::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        match self {
            Ok(value) => value.trace(tracer),
            Err(error) => error.trace(tracer),
        }
    }
}

// SAFETY: each element is owned and traced.
unsafe impl<T: Trace> Trace for [T] {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if T::NEEDS_TRACE {
            for item in self {
                item.trace(tracer);
            }
        }
    }
}

// SAFETY: each element is owned and traced.
unsafe impl<T: Trace, const N: usize> Trace for [T; N] {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.as_slice().trace(tracer);
    }
}

// SAFETY: each element is owned and traced.
unsafe impl<T: Trace> Trace for Vec<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.as_slice().trace(tracer);
    }
}

// SAFETY: each element is owned and traced.
unsafe impl<T: Trace> Trace for VecDeque<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if T::NEEDS_TRACE {
            for item in self {
                item.trace(tracer);
            }
        }
    }
}

// SAFETY: keys and values are owned and traced; keys are immutable in the map.
unsafe impl<K: Trace, V: Trace> Trace for BTreeMap<K, V> {
    const NEEDS_TRACE: bool = K::NEEDS_TRACE || V::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if Self::NEEDS_TRACE {
            for (key, value) in self {
                key.trace(tracer);
                value.trace(tracer);
            }
        }
    }
}

// SAFETY: the elements are owned and traced.
unsafe impl<T: Trace> Trace for BTreeSet<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if T::NEEDS_TRACE {
            for item in self {
                item.trace(tracer);
            }
        }
    }
}

macro_rules! tuple_trace {
    ($(($($name:ident $index:tt),+))*) => {$(
        // SAFETY: each element is owned and traced.
        unsafe impl<$($name: Trace),+> Trace for ($($name,)+) {
            const NEEDS_TRACE: bool = false $(|| $name::NEEDS_TRACE)+;
            #[inline]
            fn trace(&self, tracer: &mut Tracer<'_>) {
                $(self.$index.trace(tracer);)+
            }
        }
    )*};
}

tuple_trace! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
}
