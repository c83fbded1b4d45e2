//! Span lists per size class (Go: `mcentral.go`) and the mutator's
//! allocation cache (Go: `mcache.go`).
//!
//! Allocation looks in three places, cheapest first, as Go's `mallocgc`
//! does: the span the mutator's [`MCache`] holds for the object's span class
//! (a free slot from its alloc bits, no other state touched); else the
//! class's [`Central`] lists, sweeping a span lazily if it has not been swept
//! this cycle (Go's `mcentral.cacheSpan`); else a fresh span from the page
//! heap.
//!
//! Each [`Central`] keeps Go's four sets — partial (has free slots) and full,
//! each either swept or unswept in the current cycle — as two pairs indexed
//! by the parity of `sweepgen / 2`. Adding 2 to `sweepgen` at mark
//! termination turns every "swept" set into an "unswept" one without moving
//! a span (Go's `partialSwept(sweepgen)` / `partialUnswept(sweepgen)`).
//!
//! One heap has one mutator, so one cache (mark workers never allocate; see
//! the crate docs on why a heap has one mutator thread). The cache is a
//! separate structure that the heap flushes at mark termination (Go's
//! `mcache.releaseAll` in `gcMarkTermination`).

use alloc::vec::Vec;
use core::ptr::NonNull;

use crate::sizeclass::NUM_SPAN_CLASSES;
use crate::span::Span;

/// The index of the swept sets for heap generation `sweepgen`.
fn swept(sweepgen: u32) -> usize {
    (sweepgen / 2 % 2) as usize
}

fn unswept(sweepgen: u32) -> usize {
    1 - swept(sweepgen)
}

/// Go's `mcentral` for one span class.
#[derive(Default)]
pub(crate) struct Central {
    partial: [Vec<NonNull<Span>>; 2],
    full: [Vec<NonNull<Span>>; 2],
}

impl Central {
    /// Files a span swept (or allocated) in generation `sweepgen`.
    pub(crate) fn push_swept(&mut self, span: NonNull<Span>, sweepgen: u32) {
        // SAFETY: spans in the lists are live records.
        let full = unsafe { span.as_ref() }.is_full();
        if full {
            self.full[swept(sweepgen)].push(span);
        } else {
            self.partial[swept(sweepgen)].push(span);
        }
    }

    /// A swept span with free slots.
    pub(crate) fn pop_partial_swept(&mut self, sweepgen: u32) -> Option<NonNull<Span>> {
        self.partial[swept(sweepgen)].pop()
    }

    /// A span not yet swept this cycle, partial ones first (they are the
    /// likelier to have free slots after sweeping).
    pub(crate) fn pop_unswept(&mut self, sweepgen: u32) -> Option<NonNull<Span>> {
        let index = unswept(sweepgen);
        self.partial[index].pop().or_else(|| self.full[index].pop())
    }
}

/// The mutator's allocation cache (Go's `mcache.alloc`): one span per span
/// class, owned by the cache until it fills or the cycle ends.
pub(crate) struct MCache {
    pub(crate) alloc: [Option<NonNull<Span>>; NUM_SPAN_CLASSES],
}

impl MCache {
    pub(crate) fn new() -> MCache {
        MCache {
            alloc: [None; NUM_SPAN_CLASSES],
        }
    }

    /// Returns every cached span to its central list (Go's `releaseAll`).
    pub(crate) fn release_all(&mut self, central: &mut [Central], sweepgen: u32) {
        for (class, slot) in self.alloc.iter_mut().enumerate() {
            if let Some(span) = slot.take() {
                central[class].push_swept(span, sweepgen);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sizeclass::{SpanClass, PAGE_SIZE};
    use crate::span::PageHeap;

    #[test]
    fn adding_two_to_sweepgen_turns_swept_sets_into_unswept_ones() {
        let mut pages = PageHeap::new();
        let span = pages.alloc_span(
            1,
            PAGE_SIZE,
            64,
            SpanClass::new(5, false),
            NonNull::dangling(),
            4,
        );
        let mut central = Central::default();
        central.push_swept(span, 4);
        assert_eq!(central.pop_unswept(4), None, "swept in this cycle");
        central.push_swept(span, 4);
        assert_eq!(central.pop_unswept(6), Some(span), "unswept in the next");
        central.push_swept(span, 6);
        assert_eq!(central.pop_partial_swept(6), Some(span));
        // SAFETY: 1. from this heap; 2. no objects, in no list now.
        unsafe { pages.free_span(span) };
    }

    #[test]
    fn the_cache_returns_its_spans_at_release() {
        let mut pages = PageHeap::new();
        let spc = SpanClass::new(2, true);
        let span = pages.alloc_span(1, PAGE_SIZE, 16, spc, NonNull::dangling(), 0);
        let mut cache = MCache::new();
        cache.alloc[spc.index()] = Some(span);
        let mut central: Vec<Central> = (0..NUM_SPAN_CLASSES).map(|_| Central::default()).collect();
        cache.release_all(&mut central, 0);
        assert!(cache.alloc.iter().all(Option::is_none));
        assert_eq!(central[spc.index()].pop_unswept(2), Some(span));
        // SAFETY: 1. from this heap; 2. no objects, in no list now.
        unsafe { pages.free_span(span) };
    }
}
