//! The pointer types of the safe API: [`Gc`], [`GcCell`] and [`Weak`].
//!
//! # Rooted and heap-held `Gc`s
//!
//! A `Gc<T>` is one word: the object's address with its low bit saying
//! whether this handle is *rooted*. Every `Gc` the program holds outside the
//! heap (in a local, a `Vec`, a struct on the stack) is rooted and counted
//! in the object's header; the collector's roots are exactly the objects with
//! a non-zero count. Moving a value into the heap (`Heap::alloc`,
//! `GcCell::set`) walks it with [`Trace`] and *unroots* the `Gc`s inside:
//! from then on they are edges of the object graph, found by tracing.
//! Moving a value out (`GcCell::replace`) roots them again. Cloning always
//! yields a rooted handle, and a rooted handle's `Drop` gives its count back;
//! an unrooted handle's `Drop` touches nothing (its target may be freed by
//! the same sweep). This is rust-gc's rooting scheme, with the root bit in
//! the pointer instead of beside it.
//!
//! # The one-pointer store
//!
//! `GcCell::store` (on a cell of `Option<Gc<T>>` or `Gc<T>`) moves nothing
//! into the heap: it takes a *borrowed* handle and writes an unrooted copy
//! of its pointer, the edge, into the cell. The caller's handle keeps the
//! target alive until the write, and the edge keeps it reachable after. No
//! root count changes and no `Trace` code runs, so while no cycle marks the
//! store is a test of the heap's barrier flag (plus the cell's borrow flag
//! and the target's heap) and a plain write, without the heap's guard (the
//! soundness argument is point 8 of the crate docs). While a cycle marks
//! it enters the heap and runs the barrier on the old and new pointers.
//!
//! ```text
//!   a.next.store(Some(&b)):
//!
//!   caller:  b = Gc [ addr | 1 ]      rooted and counted; left untouched
//!                      │ copy addr, low bit 0
//!                      ▼
//!   heap:    a = [ Header | next: Some(Gc [ addr | 0 ]) ] ──▶ b's object
//! ```

use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

use crate::cell_lock::OwnerLock;
use crate::heap::{Heap, HeapInner};
use crate::span::{GcBox, Header};
use crate::trace::{trace_with, Trace, TraceOp, Tracer};

const ROOTED_BIT: usize = 1;

/// A `Gc`'s word: the header address, low bit set while rooted.
pub(crate) struct RawGc {
    tagged: Cell<NonNull<Header>>,
}

impl RawGc {
    /// A rooted handle; the caller has counted it in the header.
    #[inline]
    pub(crate) fn new_rooted(header: NonNull<Header>) -> RawGc {
        RawGc {
            tagged: Cell::new(header.map_addr(|addr| addr | ROOTED_BIT)),
        }
    }

    /// A heap edge: an unrooted handle, counted nowhere.
    #[inline]
    fn new_unrooted(header: NonNull<Header>) -> RawGc {
        RawGc {
            tagged: Cell::new(header),
        }
    }

    #[inline]
    pub(crate) fn header(&self) -> NonNull<Header> {
        let tagged = self.tagged.get().as_ptr();
        let header = tagged.map_addr(|addr| addr & !ROOTED_BIT);
        // SAFETY: headers are at least pointer-aligned and non-null, so
        // clearing the low bit leaves a non-null address.
        unsafe { NonNull::new_unchecked(header) }
    }

    #[inline]
    pub(crate) fn is_rooted(&self) -> bool {
        self.tagged.get().addr().get() & ROOTED_BIT != 0
    }

    /// Flips the rooted bit and adjusts the header's root count to match.
    ///
    /// # Safety
    ///
    /// 1. The target object must be live.
    #[inline]
    pub(crate) unsafe fn set_rooted(&self, rooted: bool) {
        if self.is_rooted() == rooted {
            return;
        }
        let header = self.header();
        // SAFETY: 1. the object is live, so its header is readable.
        let header_ref = unsafe { header.as_ref() };
        if rooted {
            header_ref.add_root();
            self.tagged.set(header.map_addr(|addr| addr | ROOTED_BIT));
        } else {
            header_ref.remove_root();
            self.tagged.set(header);
        }
    }
}

/// A pointer to a garbage-collected `T`.
///
/// Outside the heap a `Gc` is a *rooted handle*: its object, and everything
/// reachable from it, stays alive while the handle exists. Inside the heap
/// (a field of an allocated value) it is an edge the collector traces. Clone
/// it freely; it dereferences to `&T` (use [`GcCell`] for mutation).
///
/// # Examples
///
/// ```
/// use gogc::{Gc, Heap};
///
/// let heap = Heap::new();
/// let a: Gc<String> = heap.alloc(String::from("hello"));
/// let b = a.clone();
/// heap.collect(); // a and b are roots: the string survives
/// assert_eq!(*b, "hello");
/// assert!(Gc::ptr_eq(&a, &b));
/// ```
pub struct Gc<T: Trace + 'static> {
    raw: RawGc,
    _marker: PhantomData<GcBox<T>>,
}

impl<T: Trace + 'static> Gc<T> {
    /// Wraps a header the caller has just counted as rooted.
    #[inline]
    pub(crate) fn from_rooted_header(header: NonNull<Header>) -> Gc<T> {
        Gc {
            raw: RawGc::new_rooted(header),
            _marker: PhantomData,
        }
    }

    /// A heap edge to `header`'s object, for a cell in the object's heap.
    #[inline]
    fn from_unrooted_header(header: NonNull<Header>) -> Gc<T> {
        Gc {
            raw: RawGc::new_unrooted(header),
            _marker: PhantomData,
        }
    }

    pub(crate) fn raw(this: &Self) -> &RawGc {
        &this.raw
    }

    /// Whether two handles point to the same object.
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// let (a, b) = (heap.alloc(1), heap.alloc(1));
    /// assert!(gogc::Gc::ptr_eq(&a, &a.clone()) && !gogc::Gc::ptr_eq(&a, &b));
    /// ```
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.raw.header() == other.raw.header()
    }

    /// The address of the value (for identity and debugging).
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// let a = heap.alloc(7u8);
    /// assert_eq!(gogc::Gc::as_ptr(&a), &*a as *const u8);
    /// ```
    pub fn as_ptr(this: &Self) -> *const T {
        let boxed = this.raw.header().cast::<GcBox<T>>().as_ptr();
        // SAFETY: the handle keeps the object live (see `Deref`); taking the
        // field's address reads nothing.
        unsafe { &raw const (*boxed).value }
    }

    /// Whether this handle is a root (held outside the heap). Handles you
    /// hold are always rooted; the `Gc` fields of allocated values are not.
    ///
    /// ```
    /// use gogc::{Gc, GcCell, Heap};
    /// let heap = Heap::new();
    /// let leaf = heap.alloc(1);
    /// let cell = heap.alloc(GcCell::new(Some(leaf.clone())));
    /// assert!(Gc::is_rooted(&leaf));
    /// assert!(!Gc::is_rooted(cell.borrow().as_ref().unwrap()));
    /// ```
    pub fn is_rooted(this: &Self) -> bool {
        this.raw.is_rooted()
    }

    /// A weak pointer: it does not keep the object alive, and
    /// [`Weak::upgrade`] returns it only while it has not been collected.
    ///
    /// ```
    /// use gogc::{Gc, Heap};
    /// let heap = Heap::new();
    /// let a = heap.alloc(5);
    /// let weak = Gc::downgrade(&a);
    /// heap.collect();
    /// assert_eq!(weak.upgrade(&heap).as_deref(), Some(&5));
    /// drop(a);
    /// heap.collect();
    /// assert!(weak.upgrade(&heap).is_none());
    /// ```
    pub fn downgrade(this: &Self) -> Weak<T> {
        let header = this.raw.header();
        // SAFETY: the handle keeps the object, and so its span and heap, live.
        let heap = unsafe { header.as_ref().span.as_ref().heap };
        // SAFETY: a span's heap outlives it.
        let heap = unsafe { heap.as_ref() };
        let (index, generation) = heap.enter().weak_slot(header);
        Weak {
            heap_id: heap.id,
            index,
            generation,
            _marker: PhantomData,
        }
    }
}

impl<T: Trace + 'static> Deref for Gc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        let boxed = self.raw.header().cast::<GcBox<T>>();
        // SAFETY: the object is live for as long as `self` is borrowed: a
        // rooted handle is a root; an unrooted one is a field of a live value
        // we reached through a borrow of a rooted handle (or of a `GcCell`
        // guard, which blocks stores into the cell), and a correct collector
        // never frees what a root reaches. Only `GcCell` mutates heap values,
        // never while a `&T` into them exists.
        unsafe { &(*boxed.as_ptr()).value }
    }
}

impl<T: Trace + 'static> Clone for Gc<T> {
    /// A new rooted handle to the same object.
    #[inline]
    fn clone(&self) -> Gc<T> {
        let header = self.raw.header();
        // SAFETY: the object is live while `self` is borrowed (see `Deref`).
        unsafe { header.as_ref() }.add_root();
        Gc::from_rooted_header(header)
    }
}

impl<T: Trace + 'static> Drop for Gc<T> {
    #[inline]
    fn drop(&mut self) {
        if self.raw.is_rooted() {
            // SAFETY: a rooted handle keeps its object live until now.
            unsafe { self.raw.header().as_ref() }.remove_root();
        }
    }
}

// SAFETY: visits the one pointer.
unsafe impl<T: Trace + 'static> Trace for Gc<T> {
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        tracer.visit_gc(&self.raw);
    }
}

impl<T: Trace + fmt::Debug + 'static> fmt::Debug for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Compares the values, as `Rc` does (use [`Gc::ptr_eq`] for identity).
///
/// ```
/// let heap = gogc::Heap::new();
/// assert_eq!(heap.alloc(3), heap.alloc(3));
/// assert!(heap.alloc(2) < heap.alloc(3));
/// ```
impl<T: Trace + PartialEq + 'static> PartialEq for Gc<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Trace + Eq + 'static> Eq for Gc<T> {}

impl<T: Trace + PartialOrd + 'static> PartialOrd for Gc<T> {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: Trace + Ord + 'static> Ord for Gc<T> {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: Trace + core::hash::Hash + 'static> core::hash::Hash for Gc<T> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl<T: Trace + 'static> AsRef<T> for Gc<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: Trace + 'static> core::borrow::Borrow<T> for Gc<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: Trace + fmt::Display + 'static> fmt::Display for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A weak pointer to a `T` in a [`Heap`]: it does not keep the object alive.
///
/// Made by [`Gc::downgrade`]. It holds the heap's identity and a slot in the
/// heap's weak table (with a generation), never an address, so a stale
/// `Weak` is harmless: [`upgrade`](Weak::upgrade) returns `None` once the
/// object has been swept, or when asked of another heap.
pub struct Weak<T: Trace + 'static> {
    heap_id: usize,
    index: u32,
    generation: u32,
    _marker: PhantomData<*const T>,
}

impl<T: Trace + 'static> Weak<T> {
    /// A rooted handle to the object if it is still alive (not yet found
    /// unreachable by a finished mark).
    ///
    /// During marking the object is shaded, so the handle the program now
    /// holds cannot be collected by this cycle (the read barrier a
    /// snapshot-at-the-beginning collector needs for weak references).
    ///
    /// ```
    /// use gogc::{Gc, Heap};
    /// let heap = Heap::new();
    /// let weak = Gc::downgrade(&heap.alloc("x"));
    /// assert!(weak.upgrade(&Heap::new()).is_none()); // another heap
    /// ```
    pub fn upgrade(&self, heap: &Heap) -> Option<Gc<T>> {
        let inner = heap.inner();
        if inner.id != self.heap_id {
            return None;
        }
        let header = inner.enter().upgrade_weak(self.index, self.generation)?;
        Some(Gc::from_rooted_header(header))
    }
}

impl<T: Trace + 'static> Clone for Weak<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Trace + 'static> Copy for Weak<T> {}

impl<T: Trace + 'static> fmt::Debug for Weak<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(Weak)")
    }
}

// SAFETY: a weak pointer holds no `Gc`; it does not keep anything alive.
unsafe impl<T: Trace + 'static> Trace for Weak<T> {
    const NEEDS_TRACE: bool = false;
    #[inline]
    fn trace(&self, _: &mut Tracer<'_>) {}
}

/// `GcCell::borrow` state: shared borrows are counted up, a store in
/// progress is `WRITING`.
const WRITING: isize = -1;

/// A mutable slot in the heap whose setters run the write barrier.
///
/// `Gc` values are immutable; a `GcCell<T>` field is how a heap object
/// changes. Every store goes through [`set`](GcCell::set) or
/// [`replace`](GcCell::replace), which, when the cell is inside a heap
/// that is marking, run the heap's write barrier on the old and new
/// pointers (Go's `gcWriteBarrier`), and unroot the stored `Gc`s. Reads are
/// [`borrow`](GcCell::borrow) (a guard; stores panic while one exists) and
/// [`get`](GcCell::get) (a clone).
///
/// # Examples
///
/// ```
/// use gogc::{Gc, GcCell, Heap, Trace};
///
/// #[derive(Trace)]
/// struct Node {
///     next: GcCell<Option<Gc<Node>>>,
/// }
///
/// let heap = Heap::new();
/// let a = heap.alloc(Node { next: GcCell::new(None) });
/// let b = heap.alloc(Node { next: GcCell::new(None) });
/// a.next.set(Some(b.clone())); // barriered store
/// b.next.set(Some(a.clone())); // a cycle
/// drop((a, b));
/// heap.collect();
/// assert_eq!(heap.stats().live_objects, 0); // cycles are collected
/// ```
pub struct GcCell<T> {
    /// The heap the cell lives in, or `None` while it is outside any heap;
    /// its low bits are the scan lock that excludes a mark worker's trace
    /// of the contents and a store into them while a cycle marks (see
    /// `cell_lock`).
    owner: OwnerLock<HeapInner>,
    borrow: Cell<isize>,
    value: UnsafeCell<T>,
    /// The owner word is atomic, but a cell belongs to its heap's thread:
    /// keep it `!Send`, as a plain pointer made it.
    _not_send: PhantomData<*mut ()>,
}

// The scan lock takes the two low bits of the heap's address.
const _: () = assert!(core::mem::align_of::<HeapInner>() >= 4);

impl<T: Trace + 'static> GcCell<T> {
    /// A cell outside the heap; it joins one when the value holding it is
    /// allocated.
    ///
    /// ```
    /// let cell = gogc::GcCell::new(3);
    /// assert_eq!(cell.get(), 3);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> GcCell<T> {
        GcCell {
            owner: OwnerLock::new(),
            borrow: Cell::new(0),
            value: UnsafeCell::new(value),
            _not_send: PhantomData,
        }
    }

    /// A cell outside the heap (not `const` under loom, whose atomics are
    /// not).
    #[cfg(loom)]
    pub fn new(value: T) -> GcCell<T> {
        GcCell {
            owner: OwnerLock::new(),
            borrow: Cell::new(0),
            value: UnsafeCell::new(value),
            _not_send: PhantomData,
        }
    }

    /// A shared borrow of the contents; stores into the cell panic while it
    /// lives.
    ///
    /// # Panics
    ///
    /// If a store into this cell is in progress (from `Trace` or `Drop` code
    /// the store is running).
    ///
    /// ```
    /// let cell = gogc::GcCell::new(vec![1, 2]);
    /// assert_eq!(cell.borrow().len(), 2);
    /// ```
    pub fn borrow(&self) -> GcRef<'_, T> {
        let count = self.borrow.get();
        assert!(
            count != WRITING,
            "gogc: GcCell borrowed during a store into it"
        );
        self.borrow.set(count + 1);
        GcRef { cell: self }
    }

    /// A clone of the contents (its `Gc`s are new rooted handles).
    ///
    /// ```
    /// let cell = gogc::GcCell::new(String::from("a"));
    /// assert_eq!(cell.get(), "a");
    /// ```
    pub fn get(&self) -> T
    where
        T: Clone,
    {
        T::clone(&self.borrow())
    }

    /// Stores `value`, dropping the old contents.
    ///
    /// # Panics
    ///
    /// - If the cell is borrowed ([`borrow`](GcCell::borrow)).
    /// - If `value` holds a `Gc` of another heap than the cell's.
    /// - If called from `Trace` or `Drop` code the heap is running.
    /// - With mark workers, to re-raise a panic of a `Trace` on a worker
    ///   (see [`Heap::alloc`]; the store is not made).
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// let cell = heap.alloc(gogc::GcCell::new(1));
    /// cell.set(2);
    /// assert_eq!(cell.get(), 2);
    /// ```
    pub fn set(&self, value: T) {
        drop(self.swap_in(value, false));
    }

    /// Stores `value` and returns the old contents (their `Gc`s rooted).
    ///
    /// # Panics
    ///
    /// As [`set`](GcCell::set).
    ///
    /// ```
    /// let cell = gogc::GcCell::new(1);
    /// assert_eq!(cell.replace(2), 1);
    /// ```
    pub fn replace(&self, value: T) -> T {
        self.swap_in(value, true)
    }

    /// Takes the contents, leaving `T::default()`.
    ///
    /// # Panics
    ///
    /// As [`set`](GcCell::set).
    ///
    /// ```
    /// let cell = gogc::GcCell::new(vec![1]);
    /// assert_eq!(cell.take(), [1]);
    /// assert!(cell.borrow().is_empty());
    /// ```
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }

    /// The contents of a cell that is not in a heap (a cell you own by value
    /// never is: values in the heap are never moved out).
    ///
    /// ```
    /// assert_eq!(gogc::GcCell::new(4).into_inner(), 4);
    /// ```
    pub fn into_inner(self) -> T {
        debug_assert!(self.owner.owner().is_none());
        self.value.into_inner()
    }

    /// The store of a one-pointer value that may not be plain, for a cell
    /// in a heap: `edge` is unrooted already (its target is kept alive by
    /// the caller's borrow), so this is `set` without the unrooting, under
    /// the heap's guard with the barrier. Its `Trace` walks visit one `Gc`
    /// and run no user code.
    #[inline(never)]
    fn swap_in_edge(&self, edge: T) {
        debug_assert!(self.owner.owner().is_some());
        drop(self.swap_in(edge, false));
    }

    /// Swaps `value` in, running the barrier; returns the old contents,
    /// re-rooted if `reroot` (else, for a cell in a heap, with its `Gc`s
    /// still unrooted: only for dropping).
    ///
    /// Every walk that runs `Trace` code over a value outside the heap runs
    /// under the heap's guard: that code cannot drive a collection while
    /// some of the value's `Gc`s are unrooted and none of the heap's edges.
    fn swap_in(&self, value: T, reroot: bool) -> T {
        assert!(
            self.borrow.get() == 0,
            "gogc: GcCell stored into while borrowed"
        );
        self.borrow.set(WRITING);
        let _unlock = CellUnlock(&self.borrow);
        match self.owner.owner() {
            None => {
                // SAFETY: the WRITING flag excludes every other access to the
                // contents (borrows and stores panic, and the tracer takes a
                // borrow), and nothing here runs user code. The old contents
                // of a cell outside any heap are rooted already.
                unsafe { core::ptr::replace(self.value.get(), value) }
            }
            Some(heap) => {
                // SAFETY: a cell in a heap lives in an object of that heap,
                // and a heap outlives its objects.
                let heap = unsafe { heap.as_ref() };
                let mut state = heap.enter();
                state.safe_point();
                // SAFETY: as above, the WRITING flag excludes other access by
                // this thread; a mark worker may read the contents too (only
                // read: both sides share them).
                let old = unsafe { &*self.value.get() };
                state.write_barrier(old, &value);
                // While a cycle marks, mark workers (if the heap has any) may
                // be tracing the cell: the scan lock makes the replacement
                // atomic for them (the barrier has already shaded the old and
                // new pointers, so a worker that traced the old contents or
                // will trace the new ones loses nothing). While no cycle
                // marks no worker runs (cell_lock I1).
                let store_lock = if state.workers_may_scan() {
                    let started = crate::heap::StepTimer::start();
                    let (guard, waited) = self.owner.lock_for_store();
                    if waited {
                        state.record_stall(
                            started.elapsed(),
                            crate::concurrent::StallCause::CellLock,
                        );
                    }
                    Some(guard)
                } else {
                    None
                };
                // SAFETY: as above, and the scan lock (if a cycle marks)
                // excludes the workers; the barrier has finished with `old`.
                let old = unsafe { core::ptr::replace(self.value.get(), value) };
                drop(store_lock);
                if reroot {
                    trace_with(&old, TraceOp::Root);
                }
                old
            }
        }
    }
}

/// One-pointer stores: Go's `*slot = ptr` with the write barrier.
impl<T: Trace + 'static> GcCell<Option<Gc<T>>> {
    /// Points the cell at `target`'s object, or at nothing: Go's pointer
    /// store `slot = ptr`, running the write barrier while a cycle marks.
    ///
    /// The same store as `set(target.cloned())`, but `target` is only
    /// borrowed: no handle is cloned, rooted or unrooted and no `Trace`
    /// code runs. While no cycle marks, the store costs a test of the
    /// heap's barrier flag (Go's `writeBarrier.enabled`), the cell's borrow
    /// flag and the target's heap, then the plain write of the pointer. While
    /// a cycle marks, it enters the heap and runs the barrier, as
    /// [`set`](GcCell::set) does. A cell outside any heap gets a rooted
    /// clone of `target`.
    ///
    /// Go: `slot = ptr` (with `gcWriteBarrier` when `writeBarrier.enabled`).
    ///
    /// # Panics
    ///
    /// - If the cell is borrowed ([`borrow`](GcCell::borrow)).
    /// - If `target` is a `Gc` of another heap than the cell's.
    /// - While a cycle marks, if called from `Trace` or `Drop` code the heap
    ///   is running (with no cycle marking the store touches no heap state
    ///   and is allowed there).
    ///
    /// # Examples
    ///
    /// ```
    /// use gogc::{Gc, GcCell, Heap, Trace};
    ///
    /// #[derive(Trace)]
    /// struct Node {
    ///     next: GcCell<Option<Gc<Node>>>,
    /// }
    ///
    /// let heap = Heap::new();
    /// let a = heap.alloc(Node { next: GcCell::new(None) });
    /// let b = heap.alloc(Node { next: GcCell::new(None) });
    /// a.next.store(Some(&b)); // a -> b; `b` stays our handle
    /// b.next.store(Some(&a)); // a cycle
    /// assert!(Gc::ptr_eq(a.next.borrow().as_ref().unwrap(), &b));
    /// drop(a);
    /// heap.collect();
    /// assert_eq!(heap.stats().live_objects, 2); // `a` is reached through `b`
    /// b.next.store(None);
    /// heap.collect();
    /// assert_eq!(heap.stats().live_objects, 1);
    /// ```
    #[inline]
    pub fn store(&self, target: Option<&Gc<T>>) {
        let header = target.map(|gc| gc.raw.header());
        if self.may_store_plainly(header) {
            // SAFETY: `may_store_plainly` holds (see its points 1-4): the
            // write is exclusive, and the old contents are an unrooted edge
            // (or nothing) whose drop would do nothing.
            unsafe { self.value.get().write(header.map(Gc::from_unrooted_header)) };
        } else if self.owner.owner().is_some() {
            self.swap_in_edge(header.map(Gc::from_unrooted_header));
        } else {
            self.set(target.cloned());
        }
    }
}

impl<T: Trace + 'static> GcCell<Gc<T>> {
    /// Points the cell at `target`'s object: the store of
    /// [`GcCell::<Option<Gc<T>>>::store`](GcCell::store) for a cell that is
    /// never empty.
    ///
    /// # Panics
    ///
    /// As that `store`.
    ///
    /// ```
    /// use gogc::{Gc, GcCell, Heap};
    ///
    /// let heap = Heap::new();
    /// let (one, two) = (heap.alloc(1), heap.alloc(2));
    /// let cell = heap.alloc(GcCell::new(one.clone()));
    /// cell.store(&two);
    /// assert_eq!(**cell.borrow(), 2);
    /// ```
    #[inline]
    pub fn store(&self, target: &Gc<T>) {
        let header = target.raw.header();
        if self.may_store_plainly(Some(header)) {
            // SAFETY: as in the `Option` store: `may_store_plainly` holds, so
            // the write is exclusive and the old edge needs no drop.
            unsafe { self.value.get().write(Gc::from_unrooted_header(header)) };
        } else if self.owner.owner().is_some() {
            self.swap_in_edge(Gc::from_unrooted_header(header));
        } else {
            self.set(target.clone());
        }
    }
}

impl<T> GcCell<T> {
    /// Whether a store of one pointer to `target` (or of none) may bypass
    /// the heap and write the cell directly. It may when:
    ///
    /// 1. the cell is in a heap, so its contents are unrooted edges (the
    ///    rooting rule of this module's docs) and the new edge needs no root;
    /// 2. the cell is not borrowed nor being stored into, so no reference
    ///    to the old contents exists;
    /// 3. the heap's barrier flag is clear: no cycle marks, so no
    ///    tri-colour invariant has to be kept, and no grey object, barrier
    ///    buffer or root scan can miss the change (the next cycle starts
    ///    from the graph as it is then);
    /// 4. `target` is an object of that heap.
    ///
    /// Nothing between this test and the write runs user code or touches
    /// the heap's state (it is read-only: the flag, the target's span), so
    /// the answer still holds at the write, even when the store is made from
    /// `Drop` code the heap runs while sweeping.
    #[inline]
    fn may_store_plainly(&self, target: Option<NonNull<Header>>) -> bool {
        let Some(owner) = self.owner.owner() else {
            return false;
        };
        // SAFETY: a cell in a heap lives in an object of that heap, and a
        // heap outlives its objects.
        let heap = unsafe { owner.as_ref() };
        if heap.write_barrier_enabled() || self.borrow.get() != 0 {
            return false;
        }
        match target {
            None => true,
            // SAFETY: `target` is borrowed from a live handle, so its object
            // and the object's span are live.
            Some(header) => unsafe { header.as_ref().span.as_ref() }.heap == owner,
        }
    }
}

/// Clears the WRITING flag when a store ends, also by a panic.
struct CellUnlock<'a>(&'a Cell<isize>);

impl Drop for CellUnlock<'_> {
    fn drop(&mut self) {
        self.0.set(0);
    }
}

impl<T: Trace + Default + 'static> Default for GcCell<T> {
    fn default() -> Self {
        GcCell::new(T::default())
    }
}

impl<T: Trace + fmt::Debug + 'static> fmt::Debug for GcCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.borrow.get() == WRITING {
            f.write_str("GcCell(<being stored>)")
        } else {
            f.debug_tuple("GcCell").field(&&*self.borrow()).finish()
        }
    }
}

// SAFETY: on the owning thread, records the cell's owner for the
// traversal, then traces the contents under a shared borrow (a store into
// the cell during the trace panics instead of changing what is being
// traced). On a mark worker, touches neither the owner nor the borrow flag
// (the owning thread's plain counters) and traces the contents under the
// cell's scan lock, which excludes the owner's stores.
unsafe impl<T: Trace + 'static> Trace for GcCell<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if tracer.on_mark_worker() {
            let _scan = self.owner.lock_for_scan();
            // SAFETY: workers run only while a cycle marks, when every
            // replacement of the contents holds the scan lock we hold; the
            // owning thread may read them meanwhile (shared reads). The cell
            // lives in an object the worker is scanning, live for the cycle.
            let value = unsafe { &*self.value.get() };
            value.trace(tracer);
            return;
        }
        tracer.visit_cell(&self.owner);
        let guard = self.borrow();
        guard.trace(tracer);
    }
}

/// A shared borrow of a [`GcCell`]'s contents ([`GcCell::borrow`]).
///
/// ```
/// let cell = gogc::GcCell::new(String::from("hi"));
/// let guard = cell.borrow();
/// assert_eq!(guard.len(), 2);
/// ```
pub struct GcRef<'a, T> {
    cell: &'a GcCell<T>,
}

impl<T> Deref for GcRef<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the borrow count is positive while the guard lives, so no
        // store replaces the contents.
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> Drop for GcRef<'_, T> {
    fn drop(&mut self) {
        self.cell.borrow.set(self.cell.borrow.get() - 1);
    }
}

impl<T: fmt::Debug> fmt::Debug for GcRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
