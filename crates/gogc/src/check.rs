//! The invariant checker (Go: `mcheckmark.go`, and the tri-colour
//! invariants of `mbarrier.go`'s proof).
//!
//! Two checks, both reading the whole heap (they are for tests and debug
//! builds, not for production):
//!
//! - [`Heap::verify`](crate::Heap::verify) checks, at any point of marking,
//!   the invariant the heap's barrier promises (see
//!   [`Barrier::invariant`](crate::Barrier::invariant)). Grey means marked
//!   and queued in a work buffer, or waiting in the write-barrier buffer (Go
//!   counts those as grey: they will be shaded before marking may end).
//!   - *Strong* (`Dijkstra`, `Hybrid`, `None`): no black object points to a
//!     white object.
//!   - *Weak* (`Yuasa`; and for `Hybrid` and `None`, the roots already
//!     scanned): every
//!     white object a black object points to — or a scanned root holds — is
//!     reachable from a grey object through white objects only.
//! - The *checkmark* re-mark runs at mark termination (Go's
//!   `GODEBUG=gccheckmark=1`): with the marker done and nothing else
//!   running, it marks everything reachable from the roots again in a
//!   separate bitmap and looks for objects it reached that the marker did
//!   not. Each one is a *lost object*; it is counted and marked, so that the
//!   sweep cannot free it.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;
use core::mem::size_of;
use core::ptr::NonNull;

use crate::barrier::{Barrier, Invariant};
use crate::heap::{Color, Phase, State};
use crate::span::Header;
use crate::trace::{TraceOp, Tracer};

/// A broken tri-colour invariant, found by [`Heap::verify`](crate::Heap::verify).
///
/// Addresses are the objects' header addresses (for identification only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Violation {
    /// A black object points to a white object (the strong invariant).
    BlackToWhite {
        /// The black object.
        black: usize,
        /// The white object it points to.
        white: usize,
    },
    /// A white object that a black object points to (or, with
    /// `holder: None`, a scanned root holds) is not reachable from any grey
    /// object through white objects: the marker will not find it (the weak
    /// invariant).
    Unprotected {
        /// The black object holding the pointer, or `None` for a root.
        holder: Option<usize>,
        /// The white object.
        white: usize,
    },
}

impl Violation {
    /// The invariant this breaks.
    ///
    /// ```
    /// use gogc::{Invariant, Violation};
    /// let v = Violation::BlackToWhite { black: 16, white: 32 };
    /// assert_eq!(v.invariant(), Invariant::Strong);
    /// ```
    pub fn invariant(&self) -> Invariant {
        match self {
            Violation::BlackToWhite { .. } => Invariant::Strong,
            Violation::Unprotected { .. } => Invariant::Weak,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::BlackToWhite { black, white } => write!(
                f,
                "strong tri-colour invariant broken: black object {black:#x} points to white object {white:#x}"
            ),
            Violation::Unprotected {
                holder: Some(holder),
                white,
            } => write!(
                f,
                "weak tri-colour invariant broken: black object {holder:#x} points to white object {white:#x}, which no grey object reaches through white objects"
            ),
            Violation::Unprotected {
                holder: None,
                white,
            } => write!(
                f,
                "weak tri-colour invariant broken: a scanned root holds white object {white:#x}, which no grey object reaches through white objects"
            ),
        }
    }
}

impl core::error::Error for Violation {}

fn addr(object: NonNull<Header>) -> usize {
    object.addr().get()
}

impl State {
    /// Every allocated object.
    fn objects(&self) -> Vec<NonNull<Header>> {
        self.allspans
            .iter()
            // SAFETY: spans in `allspans` are live.
            .flat_map(|span| unsafe { span.as_ref() }.allocated())
            .collect()
    }

    /// The objects `object` points to.
    fn edges(&self, object: NonNull<Header>) -> Vec<NonNull<Header>> {
        let mut edges = Vec::new();
        // SAFETY: the caller passes live objects.
        let trace = unsafe { object.as_ref() }.vtable.trace;
        // SAFETY: 1. live object of the vtable's type.
        unsafe { trace(object, &mut Tracer::new(TraceOp::Edges(&mut edges))) };
        edges
    }

    fn is_marked(object: NonNull<Header>) -> bool {
        // SAFETY: live object; its span is live.
        let span = unsafe { object.as_ref().span.as_ref() };
        span.is_marked(span.index_of(object))
    }

    /// Queued objects and barrier-buffer entries: the grey set.
    fn grey_set(&self) -> BTreeSet<usize> {
        let mut grey: BTreeSet<usize> = self.mark.work.iter().map(|p| p.addr()).collect();
        grey.extend(self.mark.wbbuf.pending().map(|p| p.addr()));
        grey.extend(self.mark.interrupted.map(addr));
        grey
    }

    /// A rooted object in a span the root scan has not reached yet.
    fn is_unscanned_root(&self, object: NonNull<Header>) -> bool {
        // SAFETY: live object; its span is live.
        let header = unsafe { object.as_ref() };
        // SAFETY: as above.
        let span_index = unsafe { header.span.as_ref() }.allspans_index.get();
        header.roots.get() > 0
            && !self.roots.done
            && (self.roots.next_span..self.roots.end).contains(&span_index)
    }

    fn color_in(&self, object: NonNull<Header>, grey: &BTreeSet<usize>) -> Color {
        if grey.contains(&addr(object)) {
            Color::Grey
        } else if Self::is_marked(object) {
            Color::Black
        } else {
            Color::White
        }
    }

    pub(crate) fn color_of(&self, object: NonNull<Header>) -> Color {
        if self.phase == Phase::Off {
            return Color::White;
        }
        self.color_in(object, &self.grey_set())
    }

    /// Checks the barrier's invariant; see the module docs.
    pub(crate) fn verify(&self) -> Result<(), Violation> {
        if self.phase == Phase::Off {
            return Ok(());
        }
        let grey = self.grey_set();
        let objects = self.objects();
        let barrier = self.config.barrier;
        // White objects reachable from a grey object through white ones.
        let check_roots = matches!(barrier, Barrier::Yuasa | Barrier::Hybrid | Barrier::None);
        let protected = if barrier.invariant() == Invariant::Weak || check_roots {
            let mut protected = BTreeSet::new();
            // Grey objects, and roots not scanned yet: an unscanned root is
            // grey in the proofs (Go's unscanned stacks are grey).
            let mut stack: Vec<NonNull<Header>> = objects
                .iter()
                .copied()
                .filter(|&o| grey.contains(&addr(o)) || self.is_unscanned_root(o))
                .collect();
            while let Some(object) = stack.pop() {
                for child in self.edges(object) {
                    if self.color_in(child, &grey) == Color::White && protected.insert(addr(child))
                    {
                        stack.push(child);
                    }
                }
            }
            protected
        } else {
            BTreeSet::new()
        };
        for &object in &objects {
            if self.color_in(object, &grey) != Color::Black {
                continue;
            }
            for child in self.edges(object) {
                if self.color_in(child, &grey) != Color::White {
                    continue;
                }
                match barrier.invariant() {
                    Invariant::Strong => {
                        return Err(Violation::BlackToWhite {
                            black: addr(object),
                            white: addr(child),
                        })
                    }
                    Invariant::Weak if !protected.contains(&addr(child)) => {
                        return Err(Violation::Unprotected {
                            holder: Some(addr(object)),
                            white: addr(child),
                        })
                    }
                    Invariant::Weak => {}
                }
            }
        }
        // Roots already scanned must not hold unprotected white objects.
        if check_roots {
            for (index, span) in self.allspans.iter().enumerate() {
                if !self.roots.done && index >= self.roots.next_span {
                    break;
                }
                // SAFETY: spans in `allspans` are live.
                for object in unsafe { span.as_ref() }.allocated() {
                    // SAFETY: allocated slots hold live objects.
                    let rooted = unsafe { object.as_ref() }.roots.get() > 0;
                    if rooted
                        && self.color_in(object, &grey) == Color::White
                        && !protected.contains(&addr(object))
                    {
                        return Err(Violation::Unprotected {
                            holder: None,
                            white: addr(object),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn verify_or_panic(&self) {
        if let Err(violation) = self.verify() {
            panic!("gogc: {violation}");
        }
    }

    /// Go's checkmark re-mark; returns the work done. Counts and rescues
    /// lost objects.
    pub(crate) fn checkmark(&mut self) -> usize {
        for span in &self.allspans {
            // SAFETY: spans in `allspans` are live.
            unsafe { span.as_ref() }.clear_checkmarks();
        }
        let mut stack = Vec::new();
        let mut reached = Vec::new();
        let visit = |object: NonNull<Header>, stack: &mut Vec<NonNull<Header>>| {
            // SAFETY: reachable objects are live; so are their spans.
            let span = unsafe { object.as_ref().span.as_ref() };
            if span.try_checkmark(span.index_of(object)) {
                stack.push(object);
            }
        };
        for object in self.objects() {
            // SAFETY: allocated slots hold live objects.
            if unsafe { object.as_ref() }.roots.get() > 0 {
                visit(object, &mut stack);
            }
        }
        while let Some(object) = stack.pop() {
            reached.push(object);
            for child in self.edges(object) {
                visit(child, &mut stack);
            }
        }
        let work = reached.len() * size_of::<Header>();
        for object in reached {
            // SAFETY: as above.
            let span = unsafe { object.as_ref().span.as_ref() };
            if span.try_mark(span.index_of(object)) {
                let cycle = &mut self.mark.cycle;
                cycle.lost_objects += 1;
                cycle.marked_objects += 1;
                cycle.marked_bytes += span.elemsize as u64;
            }
        }
        work
    }
}

#[cfg(test)]
mod tests {
    use crate::{Barrier, Color, Gc, GcCell, Heap, Phase};

    #[test]
    fn barrier_buffer_entries_count_as_grey() {
        let heap = Heap::builder().barrier(Barrier::Dijkstra).build();
        let holder = heap.alloc(GcCell::new(None::<Gc<u8>>));
        let leaf = heap.alloc(1u8); // another span, root-scanned later
        heap.start_cycle();
        while heap.color(&holder) != Color::Black {
            heap.step(1);
        }
        assert_eq!(heap.color(&leaf), Color::White);
        // The store records `leaf` in the buffer: not marked yet, but grey,
        // so the black holder pointing to it breaks no invariant.
        holder.set(Some(leaf.clone()));
        {
            let state = heap.inner().enter();
            assert!(!state.mark.wbbuf.is_empty());
            // SAFETY: `leaf` is live; so is its span.
            let span = unsafe { Gc::raw(&leaf).header().as_ref().span.as_ref() };
            assert!(!span.is_marked(span.index_of(Gc::raw(&leaf).header())));
            assert_eq!(state.verify(), Ok(()));
        }
        assert_eq!(heap.color(&leaf), Color::Grey);
        assert_eq!(heap.phase(), Phase::Mark);
    }

    #[test]
    fn nothing_to_check_while_no_cycle_marks() {
        let heap = Heap::builder().barrier(Barrier::None).build();
        let a = heap.alloc(GcCell::new(None::<Gc<u8>>));
        a.set(Some(heap.alloc(2)));
        assert_eq!(heap.verify(), Ok(()));
        assert_eq!(heap.color(&a), Color::White);
    }
}
