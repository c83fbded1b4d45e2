//! Memory reclamation for [`crate::SyncMap`]: a two-epoch, striped
//! reader-count scheme (a small, non-blocking RCU).
//!
//! # What
//!
//! Go's `sync.Map` relies on the garbage collector: a reader that loaded the
//! read map, or an entry's value pointer, may keep using it after a writer
//! replaced it. Here each map owns a [`Domain`]: readers *register* before
//! loading pointers (`enter`) and unregister when done (guard drop); writers
//! *retire* what they unlinked; retired objects are freed only when every
//! reader that could have seen them has left.
//!
//! # Layout
//!
//! ```text
//!  epoch: 0 or 1 (the current epoch C)
//!  readers[2][STRIPES]   per-epoch reader counts, striped by thread and
//!                        cache-padded so readers do not share a line
//!  limbo[STRIPES]        per stripe, cache-padded (so retiring never
//!                        evicts `epoch` from the readers' caches, nor
//!                        another thread's stripe):
//!    lists[2]            lock-free stacks of retired objects, per epoch
//!    retired             retirements onto the stripe, pace advances
//!  advancing             try-lock: one advancer at a time
//! ```
//!
//! # Protocol and invariants
//!
//! - Enter: `e = epoch; readers[e][s] += 1; if epoch != e { undo; retry }`.
//!   All pointer loads of the reader come after its increment (SeqCst).
//! - Retire (after the object was unlinked): `e = epoch; push onto
//!   limbo[s].lists[e]`. Below, `limbo[x]` means the union of the stripes'
//!   `lists[x]`.
//! - Advance from C (one advancer, non-blocking): if `sum(readers[1-C]) == 0`,
//!   take all of `limbo[1-C]` (stripe by stripe), set `epoch = 1-C`, free
//!   what was taken. An object pushed onto a stripe already taken stays for a
//!   later advance, which may free it as I2 allows: freeing later is always
//!   safe.
//!
//! - I1. An object in `limbo[x]` was unlinked before the epoch last left `x`
//!   or while it is `x`. Readers that could still hold it registered before
//!   its unlink, hence in `readers[x]` or, if they registered even earlier,
//!   in `readers[1-x]` — which was seen at 0 by the advance that made `x`
//!   current, after which no one can register there without re-checking
//!   the epoch (the double check in Enter).
//! - I2. Advancing from C frees `limbo[1-C]` only when `readers[1-C]` was
//!   seen at 0 (SeqCst): every reader that registered in `1-C` has left, and
//!   readers that registered in `C` did so after the objects in `limbo[1-C]`
//!   were unlinked (they were unlinked before the epoch became C, I1), so
//!   cannot have seen them. A reader that read `epoch == 1-C` long ago and
//!   increments `readers[1-C]` after our check either sees `epoch != 1-C`
//!   and retries, or sees the flipped epoch `1-C` — then its loads come after
//!   the flip, after the unlinks.
//! - I3. Nothing is freed while a guard that could reach it lives; everything
//!   left is freed when the domain is dropped (`&mut`: no guards).
//!
//! Never blocking: an advance that finds readers in the old epoch simply
//! leaves the garbage for later (a long `range` delays reclamation, it does
//! not stall writers).
//!
//! # Tuning
//!
//! - `STRIPES` = 8 counters per epoch, 64-byte padded (1 KiB per map): reads
//!   from different threads touch different lines, so read-mostly loads
//!   scale like a thread-local epoch pin. The limbo stacks are striped the
//!   same way (512 bytes), so writers storing disjoint keys do not contend.
//! - An advance is tried every `ADVANCE_EVERY` = 32 retirements per stripe.
//!
//! # Go correspondence
//!
//! None: Go's garbage collector does this job.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ptr;

use gocore::CachePadded;

use crate::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

const STRIPES: usize = 8;
const ADVANCE_EVERY: usize = 32;

struct Node<G> {
    item: G,
    next: *mut Node<G>,
}

/// A reclamation domain for retired objects of type `G`.
pub(crate) struct Domain<G> {
    /// Read by every `enter`, written once per advance.
    epoch: AtomicUsize,
    readers: [[CachePadded<AtomicUsize>; STRIPES]; 2],
    /// Written by `retire`, striped like `readers`: threads retiring at the
    /// same time push onto different lines, none of them `epoch`'s.
    limbo: [CachePadded<Limbo<G>>; STRIPES],
    /// Try-lock for advancing: one advancer at a time.
    advancing: CachePadded<AtomicBool>,
}

/// One stripe of retired objects: a lock-free stack per epoch.
struct Limbo<G> {
    lists: [AtomicPtr<Node<G>>; 2],
    /// Retirements onto this stripe, which pace the advances.
    retired: AtomicUsize,
}

// SAFETY: retired objects are dropped by whichever thread advances, so `G`
// must be Send; the domain's own fields are atomics.
unsafe impl<G: Send> Send for Domain<G> {}
// SAFETY: as above; shared use only goes through atomics.
unsafe impl<G: Send> Sync for Domain<G> {}

/// Proof that the calling thread is registered as a reader: pointers loaded
/// while it lives stay valid until it drops.
pub(crate) struct Guard<'a, G> {
    domain: &'a Domain<G>,
    epoch: usize,
    stripe: usize,
}

#[cfg(not(loom))]
fn stripe() -> usize {
    use std::cell::Cell;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE
        .try_with(|s| {
            if s.get() == usize::MAX {
                s.set(NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES);
            }
            s.get()
        })
        .unwrap_or(0)
}

#[cfg(loom)]
fn stripe() -> usize {
    0
}

impl<G> Domain<G> {
    pub(crate) fn new() -> Self {
        Domain {
            epoch: AtomicUsize::new(0),
            readers: core::array::from_fn(|_| {
                core::array::from_fn(|_| CachePadded::new(AtomicUsize::new(0)))
            }),
            limbo: core::array::from_fn(|_| {
                CachePadded::new(Limbo {
                    lists: [
                        AtomicPtr::new(ptr::null_mut()),
                        AtomicPtr::new(ptr::null_mut()),
                    ],
                    retired: AtomicUsize::new(0),
                })
            }),
            advancing: CachePadded::new(AtomicBool::new(false)),
        }
    }

    /// Registers the calling thread as a reader (Enter).
    #[inline]
    pub(crate) fn enter(&self) -> Guard<'_, G> {
        let stripe = stripe();
        loop {
            let e = self.epoch.load(Ordering::SeqCst);
            self.readers[e][stripe].fetch_add(1, Ordering::SeqCst);
            if self.epoch.load(Ordering::SeqCst) == e {
                return Guard {
                    domain: self,
                    epoch: e,
                    stripe,
                };
            }
            self.readers[e][stripe].fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Retires `item`, which must already be unreachable for readers that
    /// enter from now on (Retire). Freed once no reader can hold it (I2).
    /// Every `ADVANCE_EVERY` retirements this also tries to advance, which
    /// drops older garbage (running `G::drop`, which may panic, after
    /// `item` is safely on its list).
    pub(crate) fn retire(&self, item: G) {
        if self.retire_later(item) {
            self.try_advance();
        }
    }

    /// Retires `item` like [`Domain::retire`], but never frees anything
    /// itself: returns whether an advance is due, which the caller makes
    /// with [`Domain::try_advance`] once freeing is safe (a retirement under
    /// a lock that a `Drop` of the garbage may want: `sync_map`'s `mu`).
    pub(crate) fn retire_later(&self, item: G) -> bool {
        self.push(item) % ADVANCE_EVERY == ADVANCE_EVERY - 1
    }

    /// Retires `item` like [`Self::retire`] but never advances, so it drops
    /// nothing: for unwinding paths, where a panicking `G::drop` would abort.
    pub(crate) fn retire_quietly(&self, item: G) {
        self.push(item);
    }

    /// Pushes `item` onto this thread's stripe's list of the current epoch;
    /// returns the stripe's retirement count before this one.
    fn push(&self, item: G) -> usize {
        let node = Box::into_raw(Box::new(Node {
            item,
            next: ptr::null_mut(),
        }));
        let limbo = &self.limbo[stripe()];
        let e = self.epoch.load(Ordering::SeqCst);
        let head = &limbo.lists[e];
        let mut cur = head.load(Ordering::Relaxed);
        loop {
            // SAFETY: `node` is ours until the CAS publishes it.
            unsafe { (*node).next = cur };
            match head.compare_exchange_weak(cur, node, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(c) => cur = c,
            }
        }
        limbo.retired.fetch_add(1, Ordering::Relaxed)
    }

    /// Advance from the current epoch if the old one has no readers; frees
    /// the old epoch's garbage. Non-blocking.
    pub(crate) fn try_advance(&self) {
        if self.advancing.swap(true, Ordering::Acquire) {
            return; // someone else is advancing
        }
        let items = {
            let _unlock = gocore::scopeguard::guard(&*self.advancing, |a| {
                a.store(false, Ordering::Release);
            });
            let c = self.epoch.load(Ordering::SeqCst);
            let old = 1 - c;
            let busy = self.readers[old]
                .iter()
                .any(|r| r.load(Ordering::SeqCst) != 0);
            if busy {
                return;
            }
            let mut items = Vec::new();
            // SAFETY: I2: nobody can reach what was retired in `old`.
            unsafe { self.take_epoch(old, &mut items) };
            self.epoch.store(old, Ordering::SeqCst);
            items
        };
        // I2: nobody can reach these objects any more, whatever advances
        // run meanwhile. Dropped after the try-lock is released: `G::drop`
        // is user code (a `SyncMap`'s keys and values) that may retire and
        // advance in turn. Dropping the `Vec` drops every item, even past a
        // panicking `G::drop`.
        drop(items);
    }

    /// Detaches every stripe's list of epoch `e` and moves its items into
    /// `items`, for the caller to drop.
    ///
    /// # Safety
    ///
    /// 1. No reader can still reach an object retired in epoch `e` (I2, or
    ///    `&mut` access to the domain: I3).
    unsafe fn take_epoch(&self, e: usize, items: &mut Vec<G>) {
        for limbo in &self.limbo {
            let list = limbo.lists[e].swap(ptr::null_mut(), Ordering::AcqRel);
            // SAFETY: the swap detached `list` and made this thread its
            // owner; precondition 1 lets its items be dropped.
            unsafe { take_list(list, items) };
        }
    }

    /// Frees all garbage whose readers are gone: used by tests and by
    /// callers that want memory back now. Two advances drain both epochs
    /// when no reader is registered.
    pub(crate) fn flush(&self) {
        self.try_advance();
        self.try_advance();
    }
}

/// Moves the items of a detached list into `items`, freeing its nodes.
/// The caller drops `items`: a `Vec`'s drop finishes dropping the rest
/// past a panicking `G::drop`.
///
/// # Safety
///
/// 1. `list` is a detached stack of nodes made by `retire`, owned by the caller.
unsafe fn take_list<G>(mut list: *mut Node<G>, items: &mut Vec<G>) {
    while !list.is_null() {
        // SAFETY: precondition 1: each node is a live Box made by `retire`.
        let node = unsafe { Box::from_raw(list) };
        list = node.next;
        items.push(node.item);
    }
}

impl<G> Drop for Domain<G> {
    fn drop(&mut self) {
        let mut items = Vec::new();
        for e in 0..2 {
            // SAFETY: `&mut self`: no guard lives (I3).
            unsafe { self.take_epoch(e, &mut items) };
        }
        drop(items);
    }
}

impl<G> Drop for Guard<'_, G> {
    #[inline]
    fn drop(&mut self) {
        self.domain.readers[self.epoch][self.stripe].fetch_sub(1, Ordering::SeqCst);
    }
}
