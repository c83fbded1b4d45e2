//! The shared part of a pool shard: Go's `poolDequeue` (a fixed-size,
//! single-producer, multi-consumer ring) and `poolChain` (a list of rings,
//! each twice the size of the one before).
//!
//! # What
//!
//! The ring's owner — the thread that has pinned the shard — pushes and pops
//! at the *head*; any thread may steal from the *tail*. Both indexes live in
//! one 64-bit word, so a pop (head or tail) claims a slot with a single
//! compare-and-swap of the word, and the last element goes to exactly one
//! of two racing poppers.
//!
//! # Layout
//!
//! ```text
//!  head_tail: u64 = head << 32 | tail          (indexes mod 2^32)
//!
//!  slots (len a power of 2; index i lives at i & (len - 1)):
//!           tail                       head
//!            v                          v
//!  +-----+-----+-----+-----+-----+-----+-----+-----+
//!  |     |  a  |  b  |  c  |  d  |  e  |     |     |
//!  +-----+-----+-----+-----+-----+-----+-----+-----+
//!  each slot: full: AtomicBool, val: MaybeUninit<T>
//!
//!  chain:  tail -> [ring 8] -next-> [ring 16] -next-> [ring 32] <- head
//!                           <-prev-          <-prev-
//! ```
//!
//! # Invariants
//!
//! - I1. Only the owner calls `push_head`/`pop_head` (of a ring and of the
//!   chain), one call at a time; the pool guarantees it by pinning.
//! - I2. A slot's `full` flag is set by the owner's push and cleared by
//!   whoever popped it, *after* reading the value. The owner writes a slot
//!   only when its flag is clear, so a slow stealer still reading the slot
//!   (its claim already moved `tail`) is never overwritten: Go's "another
//!   goroutine is still cleaning up the tail".
//! - I3. A value is in the ring iff its index is in `[tail, head)` or it has
//!   been claimed by a pop that has not yet read it; at rest (`&mut`), iff
//!   its slot is `full`.
//! - I4. Rings are freed only through the pool's reclamation domain: a
//!   stealer that finds the tail ring drained and unlinks it (CAS of the
//!   chain's `tail`) retires it; every thread that walks `tail`/`next`/`prev`
//!   pointers holds a domain guard. The owner's head ring is never retired
//!   (a ring is retired only once its `next` is set, i.e. after the owner
//!   moved its head past it), so the owner's fast path needs no guard.
//!
//! # Go correspondence (Go 1.19 `src/sync/poolqueue.go`)
//!
//! `poolDequeue` → [`PoolDequeue`], `headTail` → `head_tail`, `vals` →
//! `slots`, `eface.typ != nil` → `full`, `dequeueBits` → `DEQUEUE_BITS`,
//! `dequeueLimit` → `DEQUEUE_LIMIT`, `pushHead`/`popHead`/`popTail` →
//! `push_head`/`pop_head`/`pop_tail`; `poolChain` → [`PoolChain`],
//! `poolChainElt` → `ChainElt`.
//!
//! # Divergences
//!
//! - Go's garbage collector frees a drained ring; here it is retired into
//!   the pool's epoch domain (`crate::reclaim`) and freed when no reader
//!   can hold it (I4).
//! - Values live inline in the slots (no interface boxing).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::ptr;

use crate::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use crate::reclaim::Domain;

/// Bits of each index in `head_tail`. Go: `dequeueBits` (sync/poolqueue.go).
const DEQUEUE_BITS: u32 = 32;

/// Largest ring: half the index space, so "full" and "empty" never look the
/// same. Go: `dequeueLimit` (sync/poolqueue.go).
const DEQUEUE_LIMIT: usize = 1 << (DEQUEUE_BITS - 2); // (1 << dequeueBits) / 4

/// Size of the first ring of a chain. Go: `initSize` in `poolChain.pushHead`.
#[cfg(not(loom))]
const INIT_SIZE: usize = 8;
/// Under loom the first ring holds 2, so a model of a few operations grows
/// the chain and retires a drained ring.
#[cfg(loom)]
const INIT_SIZE: usize = 2;

/// Garbage of a pool's reclamation domain: a drained, unlinked ring.
pub(crate) type RetiredRing<T> = Box<ChainElt<T>>;

struct Slot<T> {
    full: AtomicBool,
    val: UnsafeSlotCell<MaybeUninit<T>>,
}

#[cfg(not(loom))]
use core::cell::UnsafeCell as UnsafeSlotCell;
/// The slot's value cell: loom's under `--cfg loom`, so a model sees (and
/// reports) a write racing a read of the same slot (I2).
#[cfg(loom)]
use loom::cell::UnsafeCell as UnsafeSlotCell;

impl<T> Slot<T> {
    /// Writes a value into the (empty) slot.
    ///
    /// # Safety
    ///
    /// 1. No one else reads or writes the slot's value meanwhile (I2, I3).
    unsafe fn write(&self, val: T) {
        #[cfg(not(loom))]
        // SAFETY: precondition 1.
        unsafe {
            (*self.val.get()).write(val);
        }
        #[cfg(loom)]
        // SAFETY: precondition 1.
        self.val.with_mut(|p| unsafe {
            (*p).write(val);
        });
    }

    /// Moves the value out of the slot.
    ///
    /// # Safety
    ///
    /// 1. The slot holds a value that no one else reads or writes
    ///    meanwhile, and that is read only once (I2, I3).
    unsafe fn read(&self) -> T {
        #[cfg(not(loom))]
        // SAFETY: precondition 1.
        return unsafe { (*self.val.get()).assume_init_read() };
        #[cfg(loom)]
        // SAFETY: precondition 1.
        return self.val.with_mut(|p| unsafe { (*p).assume_init_read() });
    }
}

/// A fixed-size single-producer, multi-consumer ring. Go: `poolDequeue`.
pub(crate) struct PoolDequeue<T> {
    head_tail: AtomicU64,
    slots: Box<[Slot<T>]>,
}

// SAFETY: values move between threads (popped by stealers): `T: Send`. The
// slots are shared only through the claim protocol (I1-I3): each value is
// read by exactly one popper, and written only by the owner while free.
unsafe impl<T: Send> Sync for PoolDequeue<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for PoolDequeue<T> {}

#[inline]
fn unpack(ptrs: u64) -> (u32, u32) {
    ((ptrs >> DEQUEUE_BITS) as u32, ptrs as u32)
}

#[inline]
fn pack(head: u32, tail: u32) -> u64 {
    (u64::from(head) << DEQUEUE_BITS) | u64::from(tail)
}

impl<T> PoolDequeue<T> {
    /// An empty ring of `size` slots (a power of 2, at most `DEQUEUE_LIMIT`).
    pub(crate) fn new(size: usize) -> Self {
        debug_assert!(size.is_power_of_two() && size <= DEQUEUE_LIMIT);
        PoolDequeue {
            head_tail: AtomicU64::new(0),
            slots: (0..size)
                .map(|_| Slot {
                    full: AtomicBool::new(false),
                    val: UnsafeSlotCell::new(MaybeUninit::uninit()),
                })
                .collect(),
        }
    }

    fn slot(&self, i: u32) -> &Slot<T> {
        &self.slots[i as usize & (self.slots.len() - 1)]
    }

    /// Adds `val` at the head; gives it back if the ring is full.
    /// Go: `poolDequeue.pushHead`.
    ///
    /// # Safety
    ///
    /// 1. Only the owner calls `push_head`/`pop_head`, one call at a time (I1).
    pub(crate) unsafe fn push_head(&self, val: T) -> Result<(), T> {
        let (head, tail) = unpack(self.head_tail.load(Ordering::Acquire));
        if tail.wrapping_add(self.slots.len() as u32) == head {
            return Err(val); // full
        }
        let slot = self.slot(head);
        // Acquire pairs with a stealer's Release clear: its read of the old
        // value happened before we overwrite it (I2).
        if slot.full.load(Ordering::Acquire) {
            return Err(val); // a stealer is still reading this slot
        }
        // SAFETY: the slot is outside [tail, head) and not full, so no one
        // reads it (I2, I3), and only the owner writes (precondition 1).
        unsafe { slot.write(val) };
        slot.full.store(true, Ordering::Relaxed);
        // Release: publishes the value to the popper whose claim reads this
        // head (its CAS is AcqRel).
        self.head_tail
            .fetch_add(1 << DEQUEUE_BITS, Ordering::AcqRel);
        Ok(())
    }

    /// Removes the value at the head. Go: `poolDequeue.popHead`.
    ///
    /// # Safety
    ///
    /// 1. Only the owner calls `push_head`/`pop_head`, one call at a time (I1).
    pub(crate) unsafe fn pop_head(&self) -> Option<T> {
        let mut ptrs = self.head_tail.load(Ordering::Acquire);
        let head = loop {
            let (head, tail) = unpack(ptrs);
            if tail == head {
                return None;
            }
            let head = head.wrapping_sub(1);
            match self.head_tail.compare_exchange_weak(
                ptrs,
                pack(head, tail),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break head,
                Err(cur) => ptrs = cur,
            }
        };
        let slot = self.slot(head);
        // SAFETY: the CAS claimed index `head` for us alone; the value was
        // written by the owner (ourselves, precondition 1) before it published
        // that index.
        let val = unsafe { slot.read() };
        slot.full.store(false, Ordering::Release);
        Some(val)
    }

    /// Removes the value at the tail; any thread may call it.
    /// Go: `poolDequeue.popTail`.
    pub(crate) fn pop_tail(&self) -> Option<T> {
        let mut ptrs = self.head_tail.load(Ordering::Acquire);
        let tail = loop {
            let (head, tail) = unpack(ptrs);
            if tail == head {
                return None;
            }
            match self.head_tail.compare_exchange_weak(
                ptrs,
                pack(head, tail.wrapping_add(1)),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break tail,
                Err(cur) => ptrs = cur,
            }
        };
        let slot = self.slot(tail);
        // SAFETY: the CAS claimed index `tail` for us alone; the push that
        // published it (Release, seen by our AcqRel CAS) wrote the value, and
        // the owner will not overwrite it until we clear `full` (I2).
        let val = unsafe { slot.read() };
        // Release: our read happens before the owner's next write here (I2).
        slot.full.store(false, Ordering::Release);
        Some(val)
    }

    /// Moves every value out into `out` (I3: at rest, the full slots) and
    /// leaves the ring empty.
    fn drain_into(&mut self, out: &mut Vec<T>) {
        // Plain loads and stores (`&mut`), written as atomics for loom.
        let (head, _) = unpack(self.head_tail.load(Ordering::Relaxed));
        self.head_tail.store(pack(head, head), Ordering::Relaxed);
        for slot in self.slots.iter() {
            if slot.full.swap(false, Ordering::Relaxed) {
                // SAFETY: `&mut self`: no pop is in progress, so a full slot
                // holds a value no one else will read (I3); clearing `full`
                // first means it is read once.
                out.push(unsafe { slot.read() });
            }
        }
    }
}

impl<T> Drop for PoolDequeue<T> {
    fn drop(&mut self) {
        let mut values = Vec::new();
        self.drain_into(&mut values);
        // Dropping the Vec drops every value, even past a panicking `Drop`.
        drop(values);
    }
}

/// One ring of a chain. Go: `poolChainElt`.
pub(crate) struct ChainElt<T> {
    d: PoolDequeue<T>,
    /// The next (newer, larger) ring; written by the owner, read by stealers.
    next: AtomicPtr<ChainElt<T>>,
    /// The previous (older) ring; read by the owner, cleared by the stealer
    /// that unlinks it.
    prev: AtomicPtr<ChainElt<T>>,
}

/// A growable single-producer, multi-consumer queue of rings.
/// Go: `poolChain`.
pub(crate) struct PoolChain<T> {
    /// The ring the owner pushes to (owner only, I1).
    head: UnsafeCell<*mut ChainElt<T>>,
    /// The ring stealers pop from.
    tail: AtomicPtr<ChainElt<T>>,
}

// SAFETY: `head` is touched only by the owner (I1), the rest through atomics
// and the ring protocol; values move between threads (`T: Send`).
unsafe impl<T: Send> Sync for PoolChain<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for PoolChain<T> {}

impl<T> PoolChain<T> {
    pub(crate) fn new() -> Self {
        PoolChain {
            head: UnsafeCell::new(ptr::null_mut()),
            tail: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Adds `val` at the head, growing the chain if the head ring is full.
    /// Go: `poolChain.pushHead`.
    ///
    /// # Safety
    ///
    /// 1. Only the owner calls `push_head`/`pop_head`, one call at a time (I1).
    pub(crate) unsafe fn push_head(&self, val: T) {
        // SAFETY: precondition 1: only the owner touches `head`.
        let head = unsafe { &mut *self.head.get() };
        if head.is_null() {
            let d = Box::into_raw(Box::new(ChainElt {
                d: PoolDequeue::new(INIT_SIZE),
                next: AtomicPtr::new(ptr::null_mut()),
                prev: AtomicPtr::new(ptr::null_mut()),
            }));
            *head = d;
            self.tail.store(d, Ordering::Release);
        }
        // SAFETY: the head ring is live: it is never retired (I4).
        let d = unsafe { &**head };
        // SAFETY: precondition 1.
        let Err(val) = (unsafe { d.d.push_head(val) }) else {
            return;
        };
        let new_size = (d.d.slots.len() * 2).min(DEQUEUE_LIMIT);
        let d2 = Box::into_raw(Box::new(ChainElt {
            d: PoolDequeue::new(new_size),
            next: AtomicPtr::new(ptr::null_mut()),
            prev: AtomicPtr::new(*head),
        }));
        // Go's order: the owner moves its head first, then publishes `next`,
        // after which stealers may retire `d` (I4).
        *head = d2;
        d.next.store(d2, Ordering::Release);
        // SAFETY: `d2` is ours and fresh: an empty ring accepts the value.
        let pushed = unsafe { (*d2).d.push_head(val) };
        debug_assert!(pushed.is_ok());
    }

    /// Removes the newest value. Go: `poolChain.popHead`.
    ///
    /// # Safety
    ///
    /// 1. Only the owner calls `push_head`/`pop_head`, one call at a time (I1).
    pub(crate) unsafe fn pop_head(&self, domain: &Domain<RetiredRing<T>>) -> Option<T> {
        // SAFETY: precondition 1: only the owner touches `head`.
        let head = unsafe { *self.head.get() };
        if head.is_null() {
            return None;
        }
        // SAFETY: the head ring is never retired (I4); precondition 1.
        if let Some(v) = unsafe { (*head).d.pop_head() } {
            return Some(v);
        }
        // Older rings may be unlinked and retired by stealers at any time:
        // walk them under a guard (I4).
        let _guard = domain.enter();
        // SAFETY: as above.
        let mut d = unsafe { (*head).prev.load(Ordering::Acquire) };
        while !d.is_null() {
            // SAFETY: `d` was loaded under `_guard`, so it is not freed yet;
            // precondition 1 makes us its owner.
            if let Some(v) = unsafe { (*d).d.pop_head() } {
                return Some(v);
            }
            // SAFETY: as above.
            d = unsafe { (*d).prev.load(Ordering::Acquire) };
        }
        None
    }

    /// Removes the oldest value; any thread may call it.
    /// Go: `poolChain.popTail`.
    pub(crate) fn pop_tail(&self, domain: &Domain<RetiredRing<T>>) -> Option<T> {
        let _guard = domain.enter();
        let mut d = self.tail.load(Ordering::Acquire);
        if d.is_null() {
            return None;
        }
        loop {
            // SAFETY: `d` was loaded under `_guard` (I4).
            let elt = unsafe { &*d };
            // Load `next` before popping: if the ring is empty *and* had a
            // successor, no push can reach it any more (the owner moved on
            // before publishing `next`), so it is drained for good.
            let d2 = elt.next.load(Ordering::Acquire);
            if let Some(v) = elt.d.pop_tail() {
                return Some(v);
            }
            if d2.is_null() {
                return None; // the head ring, and empty
            }
            if self
                .tail
                .compare_exchange(d, d2, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                // SAFETY: `d2` loaded under `_guard`.
                unsafe { (*d2).prev.store(ptr::null_mut(), Ordering::Release) };
                // We unlinked `d`: nobody can reach it from the chain any
                // more; readers that already hold it are guarded (I4).
                // SAFETY: `d` came from `Box::into_raw` and is unlinked
                // exactly once (the CAS); it is drained, so dropping it
                // runs no user code.
                domain.retire_quietly(unsafe { Box::from_raw(d) });
            }
            d = d2;
        }
    }

    /// Moves every value out into `out` (`&mut`: no concurrent use).
    pub(crate) fn drain_into(&mut self, out: &mut Vec<T>) {
        let mut d = self.tail.load(Ordering::Relaxed);
        while !d.is_null() {
            // SAFETY: `&mut self`: every linked ring is live and ours.
            let elt = unsafe { &mut *d };
            elt.d.drain_into(out);
            d = elt.next.load(Ordering::Relaxed);
        }
    }
}

impl<T> Drop for PoolChain<T> {
    fn drop(&mut self) {
        // Values first (no user code yet), then the rings, then the values'
        // drops: a panicking `Drop` cannot leak a ring.
        let mut values = Vec::new();
        self.drain_into(&mut values);
        let mut d = self.tail.load(Ordering::Relaxed);
        while !d.is_null() {
            // SAFETY: `&mut self`: the linked rings are owned by the chain
            // (unlinked ones by the domain), each freed once here.
            let elt = unsafe { Box::from_raw(d) };
            d = elt.next.load(Ordering::Relaxed);
        }
        drop(values);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Go: TestPoolDequeue's single-threaded core — FIFO from the tail,
    /// LIFO from the head, full at capacity, reuse after wrap-around.
    #[test]
    fn ring_push_pop_steal() {
        let d = PoolDequeue::new(4);
        // SAFETY: this thread is the only owner.
        unsafe {
            for i in 0..4 {
                assert!(d.push_head(i).is_ok());
            }
            assert_eq!(d.push_head(9), Err(9), "a full ring takes no more");
            assert_eq!(d.pop_tail(), Some(0));
            assert_eq!(d.pop_head(), Some(3));
            assert!(d.push_head(4).is_ok());
            assert!(d.push_head(5).is_ok());
            assert_eq!(d.pop_tail(), Some(1));
            assert_eq!(d.pop_tail(), Some(2));
            assert_eq!(d.pop_head(), Some(5));
            assert_eq!(d.pop_head(), Some(4));
            assert_eq!(d.pop_head(), None);
            assert_eq!(d.pop_tail(), None);
        }
    }

    #[test]
    fn indexes_wrap_around_u32() {
        let d: PoolDequeue<u32> = PoolDequeue::new(2);
        d.head_tail
            .store(pack(u32::MAX, u32::MAX), Ordering::Relaxed);
        // SAFETY: this thread is the only owner.
        unsafe {
            assert!(d.push_head(1).is_ok());
            assert!(d.push_head(2).is_ok());
            assert_eq!(d.push_head(3), Err(3));
            assert_eq!(d.pop_tail(), Some(1));
            assert_eq!(d.pop_head(), Some(2));
        }
        assert_eq!(unpack(d.head_tail.load(Ordering::Relaxed)), (0, 0));
    }

    /// Go: TestPoolChain's single-threaded core — the chain grows past the
    /// first ring, keeps order, and retires drained rings.
    #[test]
    fn chain_grows_and_keeps_order() {
        let domain = Domain::new();
        let c = PoolChain::new();
        let n = if cfg!(miri) { 40 } else { 1000 };
        for i in 0..n {
            // SAFETY: this thread is the only owner.
            unsafe { c.push_head(i) };
        }
        for i in 0..n / 2 {
            assert_eq!(c.pop_tail(&domain), Some(i));
        }
        for i in (n / 2..n).rev() {
            // SAFETY: this thread is the only owner.
            assert_eq!(unsafe { c.pop_head(&domain) }, Some(i));
        }
        // SAFETY: this thread is the only owner.
        assert_eq!(unsafe { c.pop_head(&domain) }, None);
        assert_eq!(c.pop_tail(&domain), None);
    }

    /// One producer pushing (and popping the head every 10th push), P - 1
    /// stealers: every value is popped exactly once. Go: testPoolDequeue.
    fn stress<Q: Sync>(
        q: &Q,
        push: impl Fn(&Q, usize) -> bool + Sync,
        pop_head: impl Fn(&Q) -> Option<usize> + Sync,
        pop_tail: impl Fn(&Q) -> Option<usize> + Sync,
    ) {
        use std::sync::atomic::{AtomicBool, AtomicU32};
        const P: usize = 6;
        let n = 20_000;
        let have: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
        let stop = AtomicBool::new(false);
        let record = |v: usize| {
            have[v].fetch_add(1, Ordering::SeqCst);
            if v == n - 1 {
                stop.store(true, Ordering::SeqCst);
            }
        };
        std::thread::scope(|s| {
            for _ in 1..P {
                s.spawn(|| {
                    while !stop.load(Ordering::SeqCst) {
                        match pop_tail(q) {
                            Some(v) => record(v),
                            None => std::thread::yield_now(),
                        }
                    }
                });
            }
            s.spawn(|| {
                for j in 0..n {
                    while !push(q, j) {
                        std::thread::yield_now();
                    }
                    if j % 10 == 0 {
                        if let Some(v) = pop_head(q) {
                            record(v);
                        }
                    }
                }
                // Whatever the stealers have not taken yet (the last value
                // stops them).
                while let Some(v) = pop_head(q) {
                    record(v);
                }
            });
        });
        for (i, c) in have.iter().enumerate() {
            assert_eq!(c.load(Ordering::SeqCst), 1, "have[{i}]");
        }
    }

    /// Go: TestPoolDequeue.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn pool_dequeue_concurrent() {
        let d = PoolDequeue::new(16);
        stress(
            &d,
            // SAFETY: only the producer thread calls push_head/pop_head.
            |d, v| unsafe { d.push_head(v) }.is_ok(),
            // SAFETY: as above.
            |d| unsafe { d.pop_head() },
            |d| d.pop_tail(),
        );
    }

    /// Go: TestPoolChain.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn pool_chain_concurrent() {
        let domain = Domain::new();
        let c = PoolChain::new();
        stress(
            &c,
            |c, v| {
                // SAFETY: only the producer thread calls push_head/pop_head.
                unsafe { c.push_head(v) };
                true
            },
            // SAFETY: as above.
            |c| unsafe { c.pop_head(&domain) },
            |c| c.pop_tail(&domain),
        );
    }

    #[test]
    fn dropping_a_chain_drops_each_value_once() {
        use std::rc::Rc;
        let token = Rc::new(());
        {
            let mut c = PoolChain::new();
            let domain = Domain::new();
            for _ in 0..30 {
                // SAFETY: this thread is the only owner.
                unsafe { c.push_head(Rc::clone(&token)) };
            }
            drop(c.pop_tail(&domain));
            let mut out = Vec::new();
            c.drain_into(&mut out);
            assert_eq!(out.len(), 29);
            drop(out);
            for _ in 0..5 {
                // SAFETY: this thread is the only owner.
                unsafe { c.push_head(Rc::clone(&token)) };
            }
            assert_eq!(Rc::strong_count(&token), 6);
        }
        assert_eq!(Rc::strong_count(&token), 1);
    }
}
