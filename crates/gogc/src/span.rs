//! Spans, object headers and the page heap (Go: `mheap.go`'s `mspan` and
//! `mheap`, `mbitmap.go`'s mark and alloc bits).
//!
//! # Layout
//!
//! A span is a run of 8 KiB pages cut into `nelems` slots of `elemsize`
//! bytes (one size class), or a single large object. The memory of the span
//! holds only objects; everything else lives in the `Span` record beside it:
//!
//! ```text
//!   Span { base ──────────────┐  alloc_bits   1 0 1 1 0 …  (slot i allocated)
//!          elemsize, nelems,  │  mark_bits    1 0 0 1 0 …  (atomic; slot i marked)
//!          sweepgen, … }      │  checkmark    …            (the verifier's own bits)
//!                             ▼
//!   pages: [ Header | value ][ Header | value ][  free  ][ Header | value ] …
//! ```
//!
//! Each object starts with a [`Header`]: the type's [`VTable`] (how to trace
//! and drop the value), a pointer back to its span (Go finds the span through
//! its arena page table; a word per object is our price for not reserving
//! address space), the count of rooted `Gc` handles and the object's slot in
//! the weak-pointer table.
//!
//! Mark bits are atomic (Go's `atomic.Or8` in `greyobject`), so mark
//! workers shade objects while the mutator runs. Workers also read a span's
//! fixed fields (`base`, `elemsize`, `div_mul`, `spanclass`, set when the
//! span is made) and an object's `vtable` and `span` header words (written
//! once, at allocation, before the object can be published to them);
//! everything else in a span or header is touched only by the mutator that
//! owns the heap, under the heap's single-entry guard.
//!
//! # Sweep generations
//!
//! `sweepgen` follows Go's comment on `mspan.sweepgen`, with the heap's
//! generation `h` growing by 2 at every mark termination:
//!
//! | span's `sweepgen` | meaning |
//! |---|---|
//! | `h - 2` | needs sweeping (its mark bits are from the last cycle) |
//! | `h` | swept: its alloc bits are the truth, its mark bits are clear |
//!
//! Go's `h - 1` (being swept) and `h + 1`/`h + 3` (cached by an `mcache`)
//! states exist for concurrent sweepers; with one sweeper a span is swept
//! inside one call and cached spans are tracked by the cache itself.
//!
//! # The page heap
//!
//! [`PageHeap`] hands out page runs. Runs of up to [`MAX_CACHED_PAGES`] pages
//! that a swept, empty span gives back are kept on per-length free lists and
//! reused (Go keeps freed pages too and only the scavenger returns them to
//! the OS); bigger runs go straight back to the global allocator.

use alloc::alloc::{alloc, dealloc, handle_alloc_error};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::cell::Cell;
use core::ptr::NonNull;

use gocore::atomic::{AtomicUsize, Ordering};

use crate::heap::HeapInner;
use crate::sizeclass::{SpanClass, PAGE_SIZE};
use crate::trace::Tracer;

/// How to trace and drop the value behind a header: one static table per
/// type, like a Rust trait object's vtable.
pub(crate) struct VTable {
    /// Visits the value's `Gc` fields.
    ///
    /// # Safety
    ///
    /// 1. The header must start a live object of the vtable's type.
    pub(crate) trace: unsafe fn(NonNull<Header>, &mut Tracer<'_>),
    /// Drops the value in place.
    ///
    /// # Safety
    ///
    /// 1. The header must start a live object of the vtable's type.
    /// 2. The value must not be used again.
    pub(crate) drop_value: unsafe fn(NonNull<Header>),
}

/// The first word(s) of every object.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) vtable: &'static VTable,
    pub(crate) span: NonNull<Span>,
    /// Rooted `Gc` handles to this object (held outside the heap). Changed
    /// only through [`Header::add_root`] and [`Header::remove_root`] (and
    /// set to 1 by the allocation, which counts the object in its span), so
    /// that the span's `rooted_objects` stays exact.
    pub(crate) roots: Cell<u32>,
    /// Index in the heap's weak table, or [`NO_WEAK`].
    pub(crate) weak: Cell<u32>,
}

impl Header {
    /// Counts one more rooted handle to this live object; on the first, the
    /// span counts the object as rooted.
    ///
    /// # Panics
    ///
    /// With more than `u32::MAX` rooted handles (nothing changed).
    #[inline]
    pub(crate) fn add_root(&self) {
        let roots = self.roots.get();
        let more = roots
            .checked_add(1)
            .expect("gogc: more than u32::MAX rooted handles to one object");
        if roots == 0 {
            // SAFETY: the object is live (the caller holds its header), and
            // its span outlives it.
            let span = unsafe { self.span.as_ref() };
            span.rooted_objects.set(span.rooted_objects.get() + 1);
        }
        self.roots.set(more);
    }

    /// Drops one rooted handle to this live object; on the last, the span
    /// stops counting it as rooted.
    #[inline]
    pub(crate) fn remove_root(&self) {
        let roots = self.roots.get() - 1;
        self.roots.set(roots);
        if roots == 0 {
            // SAFETY: as in `add_root`.
            let span = unsafe { self.span.as_ref() };
            span.rooted_objects.set(span.rooted_objects.get() - 1);
        }
    }
}

/// `Header::weak` of an object that never had a weak pointer.
pub(crate) const NO_WEAK: u32 = u32::MAX;

/// An object: its header followed by its value.
#[repr(C)]
pub(crate) struct GcBox<T> {
    pub(crate) header: Header,
    pub(crate) value: T,
}

const WORD_BITS: usize = usize::BITS as usize;

fn words_for(bits: usize) -> usize {
    bits.div_ceil(WORD_BITS)
}

/// One span: a run of pages holding objects of one span class.
pub(crate) struct Span {
    pub(crate) base: NonNull<u8>,
    pub(crate) npages: usize,
    /// Alignment the span's memory was allocated with.
    pub(crate) align: usize,
    pub(crate) elemsize: usize,
    pub(crate) nelems: usize,
    /// Go's `mspan.divMul`: `index_of` multiplies by it instead of dividing
    /// by `elemsize` (0 for a one-object span, whose only index is 0).
    div_mul: u32,
    pub(crate) spanclass: SpanClass,
    /// The heap that owns the span (for `Gc::downgrade` and the cross-heap check).
    pub(crate) heap: NonNull<HeapInner>,
    /// Position in the heap's `allspans`.
    pub(crate) allspans_index: Cell<usize>,
    alloc_bits: Box<[Cell<usize>]>,
    mark_bits: Box<[AtomicUsize]>,
    checkmark_bits: Box<[Cell<usize>]>,
    /// Go's `freeindex`: no free slot below it.
    free_index: Cell<usize>,
    /// Go's `allocCount`.
    pub(crate) alloc_count: Cell<usize>,
    /// Objects of this span with a rooted handle (`Header::roots > 0`): a
    /// root job skips the span's headers when there are none.
    pub(crate) rooted_objects: Cell<usize>,
    pub(crate) sweepgen: Cell<u32>,
}

impl Span {
    fn new(
        base: NonNull<u8>,
        npages: usize,
        align: usize,
        elemsize: usize,
        spanclass: SpanClass,
        heap: NonNull<HeapInner>,
        sweepgen: u32,
    ) -> Span {
        let nelems = (npages * PAGE_SIZE / elemsize).max(1);
        let words = words_for(nelems);
        let div_mul = if nelems == 1 {
            0
        } else {
            let elemsize = u32::try_from(elemsize).expect("gogc: a small size class fits u32");
            u32::MAX / elemsize + 1
        };
        Span {
            base,
            npages,
            align,
            elemsize,
            nelems,
            div_mul,
            spanclass,
            heap,
            allspans_index: Cell::new(0),
            alloc_bits: (0..words).map(|_| Cell::new(0)).collect(),
            mark_bits: (0..words).map(|_| AtomicUsize::new(0)).collect(),
            checkmark_bits: (0..words).map(|_| Cell::new(0)).collect(),
            free_index: Cell::new(0),
            alloc_count: Cell::new(0),
            rooted_objects: Cell::new(0),
            sweepgen: Cell::new(sweepgen),
        }
    }

    /// The header at slot `index`.
    #[inline]
    pub(crate) fn slot(&self, index: usize) -> NonNull<Header> {
        debug_assert!(index < self.nelems);
        // SAFETY: 1. `index < nelems`, so the offset stays inside the span's
        // allocation of `npages * PAGE_SIZE` bytes (or the one large object).
        unsafe { self.base.add(index * self.elemsize) }.cast()
    }

    /// The slot index of an object header inside this span.
    #[inline]
    ///
    /// Go's `divideByElemSize`: `offset * div_mul >> 32` with `div_mul =
    /// ⌈2³² / elemsize⌉ = (2³² + e) / elemsize`, `0 < e ≤ elemsize`. For
    /// `offset = i × elemsize` that is `i + i × e / 2³²`, exactly `i` because
    /// `i × e ≤ nelems × elemsize`, the span's bytes, far below 2³² for a
    /// small size class. A one-object span has `div_mul = 0` and index 0.
    pub(crate) fn index_of(&self, header: NonNull<Header>) -> usize {
        let offset = header.addr().get() - self.base.addr().get();
        debug_assert!(offset % self.elemsize == 0);
        let index = ((offset as u64 * u64::from(self.div_mul)) >> 32) as usize;
        debug_assert_eq!(index, offset / self.elemsize);
        index
    }

    #[inline]
    pub(crate) fn is_allocated(&self, index: usize) -> bool {
        self.alloc_bits[index / WORD_BITS].get() & (1 << (index % WORD_BITS)) != 0
    }

    #[inline]
    pub(crate) fn set_allocated(&self, index: usize) {
        let word = &self.alloc_bits[index / WORD_BITS];
        word.set(word.get() | (1 << (index % WORD_BITS)));
        self.alloc_count.set(self.alloc_count.get() + 1);
    }

    pub(crate) fn clear_allocated(&self, index: usize) {
        let word = &self.alloc_bits[index / WORD_BITS];
        word.set(word.get() & !(1 << (index % WORD_BITS)));
        self.alloc_count.set(self.alloc_count.get() - 1);
        if index < self.free_index.get() {
            self.free_index.set(index);
        }
    }

    #[inline]
    pub(crate) fn is_marked(&self, index: usize) -> bool {
        self.mark_bits[index / WORD_BITS].load(Ordering::Relaxed) & (1 << (index % WORD_BITS)) != 0
    }

    /// Sets the mark bit; `true` if this call set it (the object was white).
    ///
    /// Go's `greyobject` tests the bit before the atomic `Or8` so that
    /// re-shading a marked object costs a load; so do we. The set itself is
    /// a read-modify-write, so that two markers (the mutator and mark
    /// workers) never lose each other's bits, and exactly one of them
    /// queues the object; Relaxed is enough because grey objects are
    /// published through the work buffers (the `World`'s mutex).
    #[inline]
    pub(crate) fn try_mark(&self, index: usize) -> bool {
        let bit = 1 << (index % WORD_BITS);
        let word = &self.mark_bits[index / WORD_BITS];
        if word.load(Ordering::Relaxed) & bit != 0 {
            return false;
        }
        word.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    pub(crate) fn clear_marks(&self) {
        for word in self.mark_bits.iter() {
            word.store(0, Ordering::Relaxed);
        }
    }

    /// Sets the checkmark bit; `true` if it was clear.
    pub(crate) fn try_checkmark(&self, index: usize) -> bool {
        let bit = 1 << (index % WORD_BITS);
        let word = &self.checkmark_bits[index / WORD_BITS];
        let old = word.get();
        word.set(old | bit);
        old & bit == 0
    }

    pub(crate) fn clear_checkmarks(&self) {
        for word in self.checkmark_bits.iter() {
            word.set(0);
        }
    }

    /// Go's `nextFreeIndex`: the first free slot at or after `free_index`,
    /// which it claims (sets its alloc bit).
    #[inline]
    pub(crate) fn take_free_slot(&self) -> Option<usize> {
        let mut index = self.free_index.get();
        while index < self.nelems {
            let word = self.alloc_bits[index / WORD_BITS].get() >> (index % WORD_BITS);
            let free = (!word).trailing_zeros() as usize;
            if free < WORD_BITS - index % WORD_BITS {
                index += free;
                break;
            }
            index = (index / WORD_BITS + 1) * WORD_BITS;
        }
        if index >= self.nelems {
            self.free_index.set(self.nelems);
            return None;
        }
        self.set_allocated(index);
        self.free_index.set(index + 1);
        Some(index)
    }

    pub(crate) fn is_full(&self) -> bool {
        self.alloc_count.get() == self.nelems
    }

    /// Iterates the headers of the allocated slots.
    pub(crate) fn allocated(&self) -> impl Iterator<Item = NonNull<Header>> + '_ {
        let mut from = 0;
        core::iter::from_fn(move || {
            let index = self.next_slot(from, |word| self.alloc_bits[word].get())?;
            from = index + 1;
            Some(self.slot(index))
        })
    }

    /// The first allocated, unmarked slot at or after `from` (what a sweep
    /// frees), found a bitmap word at a time.
    #[inline]
    pub(crate) fn next_unmarked(&self, from: usize) -> Option<usize> {
        self.next_slot(from, |word| {
            self.alloc_bits[word].get() & !self.mark_bits[word].load(Ordering::Relaxed)
        })
    }

    /// The first slot at or after `from` whose bit is set in `bits(word)`,
    /// the bitmap word `word` of the span.
    #[inline]
    fn next_slot(&self, from: usize, bits: impl Fn(usize) -> usize) -> Option<usize> {
        let mut index = from;
        while index < self.nelems {
            let word = bits(index / WORD_BITS) >> (index % WORD_BITS);
            if word != 0 {
                index += word.trailing_zeros() as usize;
                return (index < self.nelems).then_some(index);
            }
            index = (index / WORD_BITS + 1) * WORD_BITS;
        }
        None
    }
}

/// Page runs of this many pages or fewer are kept for reuse.
pub(crate) const MAX_CACHED_PAGES: usize = 16;

/// The page heap (Go's `mheap`): page runs for spans, and the span records.
pub(crate) struct PageHeap {
    /// `free_runs[n]`: page-aligned runs of `n` pages.
    free_runs: [Vec<NonNull<u8>>; MAX_CACHED_PAGES + 1],
}

impl PageHeap {
    pub(crate) fn new() -> PageHeap {
        PageHeap {
            free_runs: core::array::from_fn(|_| Vec::new()),
        }
    }

    /// Allocates a span of `npages` pages aligned to `align`, with slots of
    /// `elemsize` bytes (Go's `mheap.alloc` + `initSpan`).
    pub(crate) fn alloc_span(
        &mut self,
        npages: usize,
        align: usize,
        elemsize: usize,
        spanclass: SpanClass,
        heap: NonNull<HeapInner>,
        sweepgen: u32,
    ) -> NonNull<Span> {
        let align = align.max(PAGE_SIZE);
        let cached = if align == PAGE_SIZE && npages <= MAX_CACHED_PAGES {
            self.free_runs[npages].pop()
        } else {
            None
        };
        let base = cached.unwrap_or_else(|| {
            let layout = span_layout(npages, align);
            // SAFETY: the layout has a non-zero size (npages >= 1).
            let ptr = unsafe { alloc(layout) };
            NonNull::new(ptr).unwrap_or_else(|| handle_alloc_error(layout))
        });
        let span = Span::new(base, npages, align, elemsize, spanclass, heap, sweepgen);
        NonNull::from(Box::leak(Box::new(span)))
    }

    /// Gives a span's pages back and frees its record (Go's `mheap.freeSpan`).
    ///
    /// # Safety
    ///
    /// 1. `span` came from [`PageHeap::alloc_span`] of this heap and is not
    ///    freed yet.
    /// 2. No object in it is allocated, and nothing refers to the span any more.
    pub(crate) unsafe fn free_span(&mut self, span: NonNull<Span>) {
        // SAFETY: 1. the record was leaked from a `Box` by `alloc_span`;
        // 2. nothing else refers to it.
        let span = unsafe { Box::from_raw(span.as_ptr()) };
        if span.align == PAGE_SIZE && span.npages <= MAX_CACHED_PAGES {
            self.free_runs[span.npages].push(span.base);
        } else {
            // SAFETY: 1. the pages were allocated with this very layout.
            unsafe { dealloc(span.base.as_ptr(), span_layout(span.npages, span.align)) };
        }
    }
}

impl Drop for PageHeap {
    fn drop(&mut self) {
        for (npages, runs) in self.free_runs.iter_mut().enumerate() {
            for base in runs.drain(..) {
                // SAFETY: cached runs were allocated with `span_layout(npages, PAGE_SIZE)`
                // and are owned by the free list alone.
                unsafe { dealloc(base.as_ptr(), span_layout(npages, PAGE_SIZE)) };
            }
        }
    }
}

fn span_layout(npages: usize, align: usize) -> Layout {
    npages
        .checked_mul(PAGE_SIZE)
        .and_then(|size| Layout::from_size_align(size, align).ok())
        .expect("gogc: object too large for the address space")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sizeclass::SpanClass;

    fn with_span(elemsize: usize, check: impl FnOnce(&Span)) {
        let mut pages = PageHeap::new();
        let span = pages.alloc_span(
            1,
            PAGE_SIZE,
            elemsize,
            SpanClass::new(3, false),
            NonNull::dangling(),
            0,
        );
        // SAFETY: just allocated; freed below.
        check(unsafe { span.as_ref() });
        // SAFETY: 1. from this page heap; 2. the test allocated no object.
        unsafe { pages.free_span(span) };
    }

    #[test]
    fn free_slots_are_handed_out_in_order_and_reused_after_freeing() {
        with_span(24, |span| {
            assert_eq!(span.nelems, PAGE_SIZE / 24);
            let taken: alloc::vec::Vec<usize> =
                core::iter::from_fn(|| span.take_free_slot()).collect();
            assert_eq!(taken, (0..span.nelems).collect::<alloc::vec::Vec<_>>());
            assert!(span.is_full());
            span.clear_allocated(70);
            span.clear_allocated(5);
            assert_eq!(span.alloc_count.get(), span.nelems - 2);
            assert_eq!(span.take_free_slot(), Some(5));
            assert_eq!(span.take_free_slot(), Some(70));
            assert_eq!(span.take_free_slot(), None);
        });
    }

    #[test]
    fn mark_bits_are_set_once_and_cleared_by_the_sweep() {
        with_span(64, |span| {
            assert!(span.try_mark(65));
            assert!(!span.try_mark(65), "second shade finds it marked");
            assert!(span.is_marked(65) && !span.is_marked(64));
            assert!(span.try_checkmark(3) && !span.try_checkmark(3));
            span.clear_marks();
            span.clear_checkmarks();
            assert!(!span.is_marked(65));
            assert!(span.try_checkmark(3));
        });
    }

    #[test]
    fn word_scans_find_the_same_slots_as_bit_tests() {
        with_span(24, |span| {
            while span.take_free_slot().is_some() {}
            for index in (0..span.nelems).filter(|i| i % 7 == 3 || (64..130).contains(i)) {
                span.clear_allocated(index);
            }
            for index in (0..span.nelems).filter(|i| i % 5 == 0 || (190..260).contains(i)) {
                span.try_mark(index);
            }
            let allocated: alloc::vec::Vec<usize> =
                span.allocated().map(|slot| span.index_of(slot)).collect();
            let expected: alloc::vec::Vec<usize> =
                (0..span.nelems).filter(|&i| span.is_allocated(i)).collect();
            assert_eq!(allocated, expected);
            let mut unmarked = alloc::vec::Vec::new();
            let mut from = 0;
            while let Some(index) = span.next_unmarked(from) {
                unmarked.push(index);
                from = index + 1;
            }
            let expected: alloc::vec::Vec<usize> = (0..span.nelems)
                .filter(|&i| span.is_allocated(i) && !span.is_marked(i))
                .collect();
            assert_eq!(unmarked, expected);
            assert_eq!(span.next_unmarked(span.nelems), None);
            while let Some(index) = span.allocated().next().map(|slot| span.index_of(slot)) {
                span.clear_allocated(index);
            }
        });
    }

    #[test]
    fn slots_and_indices_round_trip() {
        with_span(48, |span| {
            for index in [0, 1, 77, span.nelems - 1] {
                assert_eq!(span.index_of(span.slot(index)), index);
            }
            span.take_free_slot();
            span.take_free_slot();
            assert_eq!(span.allocated().count(), 2);
        });
    }

    #[test]
    fn indices_are_exact_in_every_size_class() {
        use crate::sizeclass::{class_to_size, CLASS_TO_ALLOCNPAGES};
        let mut pages = PageHeap::new();
        for (class, &npages) in CLASS_TO_ALLOCNPAGES.iter().enumerate().skip(1) {
            let elemsize = class_to_size(class);
            let npages = usize::from(npages);
            let spc = SpanClass::new(class, false);
            let span = pages.alloc_span(npages, PAGE_SIZE, elemsize, spc, NonNull::dangling(), 0);
            // SAFETY: just allocated; freed below.
            let span_ref = unsafe { span.as_ref() };
            assert_eq!(span_ref.nelems, npages * PAGE_SIZE / elemsize);
            for index in 0..span_ref.nelems {
                assert_eq!(
                    span_ref.index_of(span_ref.slot(index)),
                    index,
                    "class {class}"
                );
            }
            // SAFETY: 1. from this page heap; 2. the test allocated no object.
            unsafe { pages.free_span(span) };
        }
        let large = pages.alloc_span(
            3,
            PAGE_SIZE,
            3 * PAGE_SIZE,
            SpanClass::new(0, false),
            NonNull::dangling(),
            0,
        );
        // SAFETY: just allocated; freed below.
        let large_ref = unsafe { large.as_ref() };
        assert_eq!(large_ref.index_of(large_ref.slot(0)), 0);
        // SAFETY: 1. from this page heap; 2. the test allocated no object.
        unsafe { pages.free_span(large) };
    }

    #[test]
    fn spans_count_their_rooted_objects() {
        use crate::{Gc, GcCell, Heap};
        fn rooted_in_span<T: crate::Trace + 'static>(gc: &Gc<T>) -> usize {
            // SAFETY: `gc` is live; so is its span.
            unsafe { Gc::raw(gc).header().as_ref().span.as_ref() }
                .rooted_objects
                .get()
        }
        let heap = Heap::new();
        let a = heap.alloc(1u64);
        assert_eq!(rooted_in_span(&a), 1);
        let a2 = a.clone();
        assert_eq!(rooted_in_span(&a), 1, "one object, two handles");
        drop(a2);
        let c = heap.alloc(2u64);
        assert_eq!(rooted_in_span(&a), 2, "same size class, same span");
        let holder = heap.alloc(GcCell::new(None::<Gc<u64>>));
        holder.set(Some(c.clone()));
        assert_eq!(rooted_in_span(&a), 2, "the copy in the heap is no root");
        drop(c);
        assert_eq!(rooted_in_span(&a), 1);
        let weak = Gc::downgrade(&a);
        drop(a);
        let c = holder.borrow().clone().expect("stored above");
        assert_eq!(rooted_in_span(&c), 1, "only the new handle to c");
        let a = weak.upgrade(&heap).expect("not collected yet");
        assert_eq!(rooted_in_span(&a), 2);
        drop(c);
        assert_eq!(rooted_in_span(&a), 1);
        holder.set(None);
        drop(a);
        heap.collect();
        assert_eq!(heap.stats().live_objects, 1, "only the holder is left");
        assert_eq!(rooted_in_span(&holder), 1);
    }

    #[test]
    fn freed_page_runs_are_reused() {
        let mut pages = PageHeap::new();
        let spc = SpanClass::new(1, true);
        let first = pages.alloc_span(2, PAGE_SIZE, 8, spc, NonNull::dangling(), 0);
        // SAFETY: live until freed.
        let base = unsafe { first.as_ref() }.base;
        // SAFETY: 1. from this heap; 2. empty.
        unsafe { pages.free_span(first) };
        let second = pages.alloc_span(2, PAGE_SIZE, 8, spc, NonNull::dangling(), 0);
        // SAFETY: live until freed.
        assert_eq!(unsafe { second.as_ref() }.base, base);
        // SAFETY: 1. from this heap; 2. empty.
        unsafe { pages.free_span(second) };
    }
}
