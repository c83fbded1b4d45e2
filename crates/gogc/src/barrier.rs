//! Write barriers and the write-barrier buffer (Go: `mbarrier.go`,
//! `mwbbuf.go`).
//!
//! # Why a barrier
//!
//! The marker and the mutator take turns: between two `step`s the program
//! may store pointers anywhere. Tri-colour marking is correct as long as
//! there is never a *lost object*: a white object that the marker will not
//! reach because the only pointer to it sits in an already-scanned (black)
//! object or root, while the pointers through which a grey object would have
//! reached it were deleted. Two invariants exclude that state:
//!
//! - **strong tri-colour invariant**: no black object points to a white one;
//! - **weak tri-colour invariant**: every white object a black object points
//!   to is reachable from a grey object through white objects only (so the
//!   marker still reaches it).
//!
//! A barrier is extra work on every pointer store while marking that keeps
//! one of them. [`GcCell`](crate::GcCell) setters run it; allocation runs the
//! insertion half on a new object's initial pointers. Whether a cycle marks
//! is also kept in a flag outside the heap's guarded state (Go's
//! `writeBarrier.enabled`), so that the one-pointer store
//! [`GcCell::store`](crate::GcCell::store) pays, while no cycle marks, only
//! a test of that flag before its plain write.
//!
//! The modes, and why each is enough, are documented on [`Barrier`] (public,
//! so that users choosing a mode can read them).
//!
//! # The buffer
//!
//! Like Go's `wbBuf`, the barrier does not shade on the spot: it records the
//! pointers in a per-mutator buffer and shades them all when it fills, and
//! before mark termination may be declared. Go's buffer has 256 entries of
//! two pointers (old and new); ours holds the same 512 pointers, one per
//! shaded pointer (a `GcCell` store may shade several). A pointer sitting in
//! the buffer is not marked yet but will be; the checker counts it as grey.

use core::ptr::NonNull;

use crate::span::Header;

/// Which write barrier a heap runs while marking; chosen when it is built.
///
/// A barrier is extra work on every pointer store (a [`GcCell`] setter)
/// while a cycle is marking. Without one, the program could hide a white
/// object from the marker: store the only pointer to it into a black object,
/// then delete the pointer a grey object had (a *lost object*). Each mode
/// keeps one of the two invariants that exclude that state:
///
/// - **strong tri-colour invariant**: no black object points to a white one;
/// - **weak tri-colour invariant**: every white object a black object points
///   to is reachable from a grey object through white objects only.
///
/// # The modes
///
/// | [`Barrier`] | on `slot = new` (old = previous contents) | keeps | roots |
/// |---|---|---|---|
/// | `Dijkstra` | shade `new` | strong, on heap objects | scanned incrementally, **rescanned** at mark termination (with the drain in one unbounded step), as Go 1.5–1.7 did |
/// | `Yuasa` | shade `old` | weak (snapshot at the beginning) | all scanned **at once** when the cycle starts |
/// | `Hybrid` | shade `old` and `new` | strong on heap objects, weak through roots | scanned incrementally, once, never rescanned (Go 1.8+) |
/// | `None` | nothing | nothing (negative tests only) | scanned incrementally, once |
///
/// Why each is enough, given that our roots (rooted `Gc` handles) are not
/// barriered — a program gains a root only by allocating (allocated black
/// during marking), by cloning a root, or by cloning a `Gc` read out of a
/// heap object:
///
/// - **Dijkstra**: a store into a heap object never makes a black object
///   point to a white one, so the heap keeps the strong invariant. Roots do
///   not: the program can read a white object into a root, then delete the
///   heap pointer to it (no barrier on deletion). Hence the final rescan of
///   all roots, with nothing running in between, before marking may end.
/// - **Yuasa**: every pointer deleted during marking is shaded, so every
///   object reachable when marking began (the snapshot) is reached: a path
///   from the snapshot's roots can only be cut by a deletion, which shades.
///   Objects allocated later are black. Roots must be part of the snapshot,
///   so they are all shaded in the step that starts the cycle.
/// - **Hybrid** (proposal 17503, and what Go 1.19 ships: both shades
///   unconditional): the insertion half keeps black heap objects from
///   pointing to white ones; the deletion half keeps every white object a
///   root could have read protected by a grey path until it is scanned.
///   So roots are scanned once, a span at a time, and never rescanned.
/// - **None** keeps nothing, and the classic lost object is possible. The
///   heap stays memory-safe anyway: in this mode every mark termination runs
///   the `gccheckmark`-style re-mark from the roots, which marks (rescues)
///   every reachable object the marker missed and counts it in
///   [`CycleStats::lost_objects`](crate::CycleStats::lost_objects). Use it
///   to show what the barriers prevent, never to save their cost.
///
///
/// [`GcCell`]: crate::GcCell
///
/// ```
/// use gogc::{Barrier, Heap};
/// let heap = Heap::builder().barrier(Barrier::Yuasa).build();
/// assert_eq!(heap.barrier(), Barrier::Yuasa);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Barrier {
    /// Dijkstra's insertion barrier: shade the stored pointer. Roots are
    /// rescanned at mark termination.
    Dijkstra,
    /// Yuasa's deletion barrier: shade the overwritten pointer. Roots are
    /// snapshotted when the cycle starts.
    Yuasa,
    /// Go's hybrid barrier (Go 1.8+, proposal 17503): shade both. Roots are
    /// scanned once, incrementally.
    #[default]
    Hybrid,
    /// No barrier. For negative tests and demonstrations only: objects can
    /// be lost by the marker, and the heap relies on the re-mark it then
    /// always runs at mark termination to stay safe.
    None,
}

impl Barrier {
    /// Whether stores shade the new pointer (insertion half).
    #[inline]
    pub(crate) fn shades_new(self) -> bool {
        matches!(self, Barrier::Dijkstra | Barrier::Hybrid)
    }

    /// Whether stores shade the overwritten pointer (deletion half).
    #[inline]
    pub(crate) fn shades_old(self) -> bool {
        matches!(self, Barrier::Yuasa | Barrier::Hybrid)
    }

    /// The invariant the checker holds the heap to while marking.
    pub fn invariant(self) -> Invariant {
        match self {
            Barrier::Yuasa => Invariant::Weak,
            Barrier::Dijkstra | Barrier::Hybrid | Barrier::None => Invariant::Strong,
        }
    }
}

/// A tri-colour invariant, as [`Heap::verify`](crate::Heap::verify) checks it.
///
/// ```
/// use gogc::{Barrier, Invariant};
/// assert_eq!(Barrier::Hybrid.invariant(), Invariant::Strong);
/// assert_eq!(Barrier::Yuasa.invariant(), Invariant::Weak);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Invariant {
    /// No black heap object points to a white object. Checked for
    /// `Dijkstra` and `Hybrid` (and `None`, which is expected to fail it).
    Strong,
    /// Every white object pointed to by a black object (or held by an
    /// already-scanned root) is reachable from a grey object, or a root not
    /// scanned yet, through white objects. Checked for `Yuasa`, and for the
    /// scanned roots under `Hybrid` and `None` (`Dijkstra` rescans roots
    /// instead).
    Weak,
}

/// Pointers per buffer: Go's 256 entries of (old, new).
pub(crate) const WBBUF_POINTERS: usize = 512;

/// The per-mutator write-barrier buffer (Go's `wbBuf`).
pub(crate) struct WbBuf {
    next: usize,
    buf: [*const Header; WBBUF_POINTERS],
}

impl WbBuf {
    pub(crate) fn new() -> WbBuf {
        WbBuf {
            next: 0,
            buf: [core::ptr::null(); WBBUF_POINTERS],
        }
    }

    /// Records a pointer; `true` when the buffer is now full and must be
    /// flushed before the next `put`.
    #[inline]
    pub(crate) fn put(&mut self, object: NonNull<Header>) -> bool {
        self.buf[self.next] = object.as_ptr();
        self.next += 1;
        self.next == WBBUF_POINTERS
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.next == 0
    }

    /// Takes every buffered pointer out (Go's `wbBufFlush1` loop).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = NonNull<Header>> + '_ {
        let n = core::mem::replace(&mut self.next, 0);
        self.buf[..n]
            .iter()
            .filter_map(|&p| NonNull::new(p.cast_mut()))
    }

    /// The buffered pointers (for the checker, which counts them as grey).
    pub(crate) fn pending(&self) -> impl Iterator<Item = *const Header> + '_ {
        self.buf[..self.next].iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_holds_512_pointers_and_drains_in_full() {
        let mut words = alloc::vec![0usize; WBBUF_POINTERS];
        let mut buf = WbBuf::new();
        for (i, word) in words.iter_mut().enumerate() {
            let full = buf.put(NonNull::from(word).cast());
            assert_eq!(full, i == WBBUF_POINTERS - 1);
        }
        assert_eq!(buf.pending().count(), WBBUF_POINTERS);
        assert_eq!(buf.drain().count(), WBBUF_POINTERS);
        assert!(buf.is_empty());
    }

    #[test]
    fn modes_shade_the_halves_they_name() {
        assert!(Barrier::Dijkstra.shades_new() && !Barrier::Dijkstra.shades_old());
        assert!(!Barrier::Yuasa.shades_new() && Barrier::Yuasa.shades_old());
        assert!(Barrier::Hybrid.shades_new() && Barrier::Hybrid.shades_old());
        assert!(!Barrier::None.shades_new() && !Barrier::None.shades_old());
        assert_eq!(Barrier::default(), Barrier::Hybrid);
    }
}
