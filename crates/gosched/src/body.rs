//! Where a task's body lives: in a block the task keeps for the next spawn
//! that reuses it (Go keeps a dead `g`'s stack with it on the free list, so
//! that the next `newproc` that reuses the `g` allocates no stack).
//!
//! # What
//!
//! A task's body (its future and the slot its result goes to, a
//! [`Harness`]) lives in a raw block that the task owns ([`BodyBlock`])
//! and keeps after the body is dropped, while it waits on a free list (T5
//! in [`crate::task`]). The spawn that reuses the task writes its body
//! into that block when it fits, so a spawn that reuses a task allocates
//! nothing; a block that does not fit is replaced. Blocks larger than
//! [`KEEP_BLOCK_MAX`] are freed with their body, as Go frees a stack of a
//! non-standard size in `gfput` (the free lists may hold some 16,000 tasks
//! per P: see `gfree.rs`).
//!
//! A `go` task's body ([`BodyRef::Detached`]) is dropped when the task
//! finishes. A task spawned with a [`JoinHandle`](crate::JoinHandle) shares
//! its body with the handle, which reads the result from it through a
//! pointer into the block ([`BodyRef::Joined`]): at the finish only the
//! future is dropped (in place, by the harness), and the harness stays
//! until the task's last owner is done with it (T6 in [`crate::task`]),
//! which drops it before a reuse, or until the task is freed.
//!
//! ```text
//!   Arc<Task> { body: Some(Detached | Joined ─┐), block: Some(BodyBlock ─┐) }
//!                                             ▼                          ▼
//!                              [ Harness<F> ........ (spare) ] ◀── the same block
//!                                ▲
//!   JoinHandle { inner: InTask ──┘, task: Arc<Task> }   (a Joined body only)
//! ```
//!
//! # Invariants
//!
//! - B1. A [`BodyRef`] points into its task's block, at a live body that
//!   was written there; the block is neither replaced nor freed while the
//!   body lives in it. Both are touched only under T1 (the M that polls
//!   the task) or F2 (the spawn that took the task off a free list, or the
//!   last owner of T6 putting it there).
//! - B2. A block is allocated and freed with its own recorded layout, never
//!   with the body's.
//! - B3. A [`BodyRef::Joined`] body outlives its task's finish: it is
//!   dropped only by the last owner of T6 before a reuse, or with the task
//!   (whose `Arc` the handle holds, so never under the handle's pointer).

use core::alloc::Layout;
use core::future::Future;
use core::ptr::NonNull;

use crate::task::{Body, Harness};

/// The largest block a finished `go` task keeps for the next spawn
/// (bytes); larger ones are freed with their body.
pub(crate) const KEEP_BLOCK_MAX: usize = 256;

/// Block sizes are rounded up to a multiple of this, so that bodies of
/// nearby sizes share blocks.
const BLOCK_GRAIN: usize = 64;

/// A task's body, in the task's block (B1).
pub(crate) enum BodyRef {
    /// A `go` task's: dropped when the task finishes.
    Detached(NonNull<dyn Body>),
    /// Shared with a `JoinHandle`: dropped only as B3 says.
    Joined(NonNull<dyn Body>),
}

/// A raw allocation owned by one task, holding its `go` body (B1, B2).
pub(crate) struct BodyBlock {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl BodyBlock {
    /// A block for a body of layout `need`.
    fn new(need: Layout) -> BodyBlock {
        let size = need.size().max(1).div_ceil(BLOCK_GRAIN) * BLOCK_GRAIN;
        let layout = Layout::from_size_align(size, need.align().max(16))
            .expect("gosched: task body too large");
        // SAFETY: `layout` has a non-zero size.
        let raw = unsafe { alloc::alloc::alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::alloc::handle_alloc_error(layout)
        };
        BodyBlock { ptr, layout }
    }

    /// Whether a body of layout `need` fits in this block.
    fn fits(&self, need: Layout) -> bool {
        need.size() <= self.layout.size() && need.align() <= self.layout.align()
    }

    /// Whether a finished task keeps this block for the next spawn.
    pub(crate) fn keep(&self) -> bool {
        self.layout.size() <= KEEP_BLOCK_MAX
    }
}

impl Drop for BodyBlock {
    fn drop(&mut self) {
        // SAFETY: B2: allocated in `BodyBlock::new` with `self.layout`.
        unsafe { alloc::alloc::dealloc(self.ptr.as_ptr(), self.layout) };
    }
}

/// A body that a spawn moves into a block.
pub(crate) trait PlaceBody {
    /// The layout of the body to place.
    fn layout(&self) -> Layout;

    /// Moves the body to `at` and returns it there, type-erased.
    ///
    /// # Safety
    ///
    /// `at` is valid for writes of [`PlaceBody::layout`] and aligned for
    /// it; called at most once.
    unsafe fn place(&mut self, at: NonNull<u8>) -> NonNull<dyn Body>;
}

/// A task's body on its way to a block: a `go` task's (detached), or the
/// body of a task spawned with a handle, which then finds it at
/// [`Unplaced::placed`].
pub(crate) struct Unplaced<F: Future> {
    harness: Option<Harness<F>>,
    placed: Option<NonNull<Harness<F>>>,
}

impl<F: Future> Unplaced<F> {
    /// A `go` task's body: no handle will read its result.
    pub(crate) fn detached(future: F) -> Self {
        Self::new(future, true)
    }

    /// The body of a task spawned with a handle.
    pub(crate) fn joined(future: F) -> Self {
        Self::new(future, false)
    }

    fn new(future: F, detached: bool) -> Self {
        Unplaced {
            harness: Some(Harness::new(future, detached)),
            placed: None,
        }
    }

    /// Where the body was placed.
    ///
    /// # Panics
    ///
    /// If it was not placed (a bug in the spawn).
    pub(crate) fn placed(&self) -> NonNull<Harness<F>> {
        self.placed.expect("gosched: a joined body was placed")
    }
}

impl<F> PlaceBody for Unplaced<F>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    fn layout(&self) -> Layout {
        Layout::new::<Harness<F>>()
    }

    unsafe fn place(&mut self, at: NonNull<u8>) -> NonNull<dyn Body> {
        let harness = self.harness.take().expect("gosched: a body is placed once");
        let at = at.cast::<Harness<F>>();
        // SAFETY: the caller's contract: `at` is valid and aligned for a
        // `Harness<F>`.
        unsafe { at.as_ptr().write(harness) };
        self.placed = Some(at);
        at
    }
}

/// What a spawn installs in a task.
pub(crate) enum NewBody<'a> {
    /// A `go` task's body.
    Detached(&'a mut dyn PlaceBody),
    /// The body of a task spawned with a handle.
    Joined(&'a mut dyn PlaceBody),
}

/// Installs `new` as a task's body, placing it in `block` (replacing the
/// block when it does not fit). Returns the body.
///
/// # Safety
///
/// B1: the caller alone touches the task's body and block, and the task
/// has no body now.
pub(crate) unsafe fn install(new: NewBody<'_>, block: &mut Option<BodyBlock>) -> BodyRef {
    let (place, joined) = match new {
        NewBody::Detached(place) => (place, false),
        NewBody::Joined(place) => (place, true),
    };
    let need = place.layout();
    if !block.as_ref().is_some_and(|b| b.fits(need)) {
        // The old block (if any) holds no body: free it.
        *block = Some(BodyBlock::new(need));
    }
    let at = block.as_ref().map(|b| b.ptr).expect("a block was just set");
    // SAFETY: the block fits `need` (size and alignment) and holds no body
    // (the caller's contract).
    let body = unsafe { place.place(at) };
    if joined {
        BodyRef::Joined(body)
    } else {
        BodyRef::Detached(body)
    }
}

impl BodyRef {
    /// The body.
    ///
    /// # Safety
    ///
    /// B1: the task's block still holds this body.
    pub(crate) unsafe fn get(&self) -> &dyn Body {
        let (BodyRef::Detached(p) | BodyRef::Joined(p)) = self;
        // SAFETY: B1, the caller's contract: a live body.
        unsafe { p.as_ref() }
    }

    /// Whether this body is shared with a handle (B3).
    pub(crate) fn is_joined(&self) -> bool {
        matches!(self, BodyRef::Joined(_))
    }

    /// Drops the body in place. The block stays with the task.
    ///
    /// # Safety
    ///
    /// As [`BodyRef::get`]; the body is not used afterwards (B3: for a
    /// joined body, no handle points at it any more).
    pub(crate) unsafe fn release(self) {
        let (BodyRef::Detached(p) | BodyRef::Joined(p)) = self;
        // SAFETY: B1: a live body, written there by `install`; the caller
        // never uses it again.
        unsafe { core::ptr::drop_in_place(p.as_ptr()) }
    }
}
