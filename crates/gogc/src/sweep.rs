//! Sweeping (Go: `mgcsweep.go`).
//!
//! After mark termination every span is unswept (`sweepgen == h - 2`). A
//! span is swept exactly once per cycle, by whichever comes first:
//! allocation, which sweeps the spans it takes from the central lists
//! (Go's proportional/lazy sweep in `mcentral.cacheSpan`), or `step` and
//! `collect`, which sweep what is left (Go's background sweeper,
//! `bgsweep`/`sweepone`). A new cycle cannot start before every span is
//! swept (Go's sweep termination, `finishsweep_m`).
//!
//! Sweeping a span frees every allocated, unmarked slot: its alloc bit is
//! cleared, its weak slot released, and then its value dropped. Then the
//! span's mark bits are cleared and its `sweepgen` set to `h`. A span left
//! with no objects goes back to the page heap.
//!
//! `Drop` is user code and may panic. The slot is freed before its value is
//! dropped, and a [`SpanSweeper`] finishes the span from its own `Drop` if a
//! panic unwinds through it, so the span ends swept and filed, every
//! unreachable value is dropped once, and the panic continues to the caller.

use core::mem::size_of;
use core::ptr::NonNull;

use crate::heap::State;
use crate::sizeclass::NUM_SPAN_CLASSES;
use crate::span::{Header, Span, NO_WEAK};

/// Sweeps one span; see the module docs.
struct SpanSweeper<'a> {
    state: &'a mut State,
    span: NonNull<Span>,
    next: usize,
    finished: bool,
}

impl SpanSweeper<'_> {
    /// Frees the dead slots from `next` on; returns the work done.
    fn run(&mut self) -> usize {
        // SAFETY: the span is live until the sweeper files or frees it.
        let span = unsafe { self.span.as_ref() };
        let start = self.next;
        while let Some(index) = span.next_unmarked(self.next) {
            self.next = index + 1;
            let object = span.slot(index);
            // SAFETY: allocated slots hold live objects.
            let header = unsafe { object.as_ref() };
            let weak = header.weak.get();
            let drop_fn = header.vtable.drop_value;
            span.clear_allocated(index);
            if weak != NO_WEAK {
                self.state.release_weak(weak);
            }
            let elemsize = span.elemsize;
            let stats = &mut self.state.stats;
            stats.live_bytes -= elemsize;
            stats.live_objects -= 1;
            stats.freed_objects += 1;
            let cycle = &mut self.state.stats.last;
            cycle.freed_objects += 1;
            cycle.freed_bytes += elemsize as u64;
            // SAFETY: 1. the slot held a live object of the vtable's type;
            // 2. its alloc bit is clear, so it is never dropped again.
            unsafe { drop_fn(object) };
        }
        self.next = span.nelems;
        (self.next - start) * size_of::<Header>()
    }

    /// Clears the marks and sets `sweepgen` (Go's end of `mspan.sweep`).
    fn finish(&mut self) {
        // SAFETY: as in `run`.
        let span = unsafe { self.span.as_ref() };
        span.clear_marks();
        span.sweepgen.set(self.state.sweepgen);
        self.finished = true;
    }
}

impl Drop for SpanSweeper<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // A `Drop` panicked: finish the span and file it, so that the heap
        // stays consistent (the caller's own filing is skipped by the panic).
        self.run();
        self.finish();
        // SAFETY: as in `run`.
        let class = unsafe { self.span.as_ref() }.spanclass.index();
        let sweepgen = self.state.sweepgen;
        self.state.central[class].push_swept(self.span, sweepgen);
    }
}

impl State {
    /// Sweeps `span`, which the caller has taken out of its list and files
    /// afterwards. Returns the work done.
    pub(crate) fn sweep_span(&mut self, span: NonNull<Span>) -> usize {
        // SAFETY: the caller passes a live span.
        let sweepgen = unsafe { span.as_ref() }.sweepgen.get();
        debug_assert_eq!(
            sweepgen,
            self.sweepgen.wrapping_sub(2),
            "a span is swept exactly once per cycle"
        );
        let mut sweeper = SpanSweeper {
            state: self,
            span,
            next: 0,
            finished: false,
        };
        let work = sweeper.run();
        sweeper.finish();
        drop(sweeper);
        self.stats.last.sweep_work += work as u64;
        self.stats.sweep_work += work as u64;
        work
    }

    /// Go's `sweepone`: sweeps the next unswept span in the central lists;
    /// `None` when there is none.
    fn sweep_one(&mut self) -> Option<usize> {
        while self.sweep_class < NUM_SPAN_CLASSES {
            let class = self.sweep_class;
            if let Some(span) = self.central[class].pop_unswept(self.sweepgen) {
                // SAFETY: spans in the lists are live.
                let already_swept = unsafe { span.as_ref() }.sweepgen.get() == self.sweepgen;
                let work = if already_swept {
                    0
                } else {
                    self.sweep_span(span)
                };
                // SAFETY: as above.
                if unsafe { span.as_ref() }.alloc_count.get() == 0 {
                    self.free_span(span);
                } else {
                    self.central[class].push_swept(span, self.sweepgen);
                }
                return Some(work.max(1));
            }
            self.sweep_class += 1;
        }
        self.sweep_done = true;
        None
    }

    /// Sweeps spans until `budget` work is done or none is left.
    pub(crate) fn sweep_work(&mut self, budget: usize) -> usize {
        let mut work = 0;
        while !self.sweep_done && (work < budget || work == 0) {
            match self.sweep_one() {
                Some(done) => work += done,
                None => break,
            }
        }
        work
    }

    /// Go's `finishsweep_m`: sweep every span left.
    pub(crate) fn finish_sweep(&mut self) {
        self.sweep_work(usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Heap, Phase};

    /// `(sweepgen of the heap, sweepgen of every span)`.
    fn generations(heap: &Heap) -> (u32, alloc::vec::Vec<u32>) {
        let state = heap.inner().enter();
        let spans = state
            .allspans
            .iter()
            // SAFETY: spans in `allspans` are live.
            .map(|span| unsafe { span.as_ref() }.sweepgen.get())
            .collect();
        (state.sweepgen, spans)
    }

    #[test]
    fn mark_termination_makes_every_span_unswept_and_sweeping_catches_up() {
        let heap = Heap::builder().gogc(None).build();
        let keep: alloc::vec::Vec<_> = (0..300u64).map(|i| heap.alloc([i; 3])).collect();
        let _big = heap.alloc([0u8; 40_000]);
        let (h, spans) = generations(&heap);
        assert!(spans.iter().all(|&g| g == h), "new spans are swept");
        heap.start_cycle();
        while heap.step(usize::MAX) == Phase::Mark {}
        let (h2, spans) = generations(&heap);
        assert_eq!(h2, h + 2);
        assert!(spans.iter().all(|&g| g == h), "all unswept (h - 2)");
        // Lazy sweeping on allocation sweeps the spans it takes...
        drop(heap.alloc([7u64; 3]));
        // ...and steps sweep the rest, each exactly once (sweep_span asserts).
        while !heap.inner().enter().sweep_done {
            heap.step(1);
        }
        let (_, spans) = generations(&heap);
        assert!(spans.iter().all(|&g| g == h2));
        assert_eq!(keep.len(), 300);
    }
}
