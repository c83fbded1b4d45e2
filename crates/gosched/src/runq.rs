//! A P's local run queue: Go's single-producer/multi-consumer ring plus the
//! one-task `runnext` slot, and the global queue's batch rule.
//!
//! # What
//!
//! Every P (scheduling context) owns one [`RunQueue`]. Only the M that holds
//! the P pushes to it (the *owner*); any M may take from it: the owner pops
//! its next task, idle Ms steal half of it. Go 1.19 keeps exactly this in
//! `p.runq [256]guintptr`, `p.runqhead`, `p.runqtail` and `p.runnext`
//! (`runtime/runtime2.go`), operated by `runqput`, `runqputslow`, `runqget`,
//! `runqgrab` and `runqsteal` (`runtime/proc.go`).
//!
//! # Layout
//!
//! ```text
//!            head (free-running u32)          tail (free-running u32)
//!              │                                │
//!   slots: [ . │ A │ B │ C │ D │ . │ . │ . ]    │      slot of index i = slots[i & mask]
//!              └── oldest          newest ──────┘      len = tail - head (wrapping)
//!
//!   runnext: [ E ]    the task that runs next; `E` was spawned/woken last
//! ```
//!
//! Head and tail never wrap to the capacity: they count up through `u32`
//! and are masked on access, so `tail - head` (wrapping) is the length and a
//! full ring (`len == capacity`) differs from an empty one (`len == 0`).
//!
//! # Invariants
//!
//! - I1. `0 <= tail - head <= capacity` (wrapping arithmetic).
//! - I2. Only the owner writes `tail` and the slots at `tail..head+capacity`
//!   (the free part); it publishes them with a `Release` store of `tail`.
//! - I3. Anyone advances `head`, only with a compare-and-swap, and only over
//!   slots it read *before* the CAS: a slot's item belongs to whoever moves
//!   `head` past it. A consumer whose CAS fails forgets what it read (the
//!   items are plain pointers; nothing was moved out).
//! - I4. Every slot and `runnext` hold either null or a pointer produced by
//!   [`QueueItem::into_raw`] and owned by the queue; an item is in at most
//!   one place (a slot in `head..tail`, `runnext`, or outside the queue).
//! - I5. `runnext` is taken with a CAS to null (owner or thief), so exactly
//!   one of them gets it.
//!
//! Slots are atomic pointers, so a thief reading a slot the owner is
//! overwriting (after the ring wrapped) is a stale read, never a data race;
//! I3 makes the thief's CAS fail in that case. Go relies on the same
//! argument with plain `guintptr` loads.
//!
//! # Tuning
//!
//! Go uses 256 slots: large enough that a burst of spawns stays local (a
//! spawn costs a slot store and a `Release` store), small enough that
//! stealing half (at most 128) is cheap. An overflow moves half (128) plus
//! the new task to the global queue, so the next 128 pushes are again
//! local. The capacity here is a power of two chosen at construction (the
//! runtime's default is 256; tests use 4 to show overflow).
//!
//! # Go correspondence (Go 1.19, `src/runtime/proc.go`)
//!
//! | Go | here |
//! |---|---|
//! | `runqput(pp, gp, next)` | [`RunQueue::put`] |
//! | `runqputslow` | the overflow branch of [`RunQueue::put`] |
//! | `runqget` | [`RunQueue::get`] (answers `inheritTime`) |
//! | `runqgrab` + `runqsteal` | [`RunQueue::steal_from`] |
//! | `runqempty` | [`RunQueue::is_empty`] |
//! | `globrunqget`'s batch size | [`global_batch_size`] |
//!
//! # Divergences
//!
//! - Go's overflow batch is a linked list of `g`s; here it is a `Vec`
//!   returned to the caller, which appends it to its global queue.
//! - Go's thief sleeps 3 µs with `usleep` before taking a running victim's
//!   `runnext`; this `no_std` module instead calls a hook the executor
//!   passes (`before_runnext`), which sleeps when the victim is running.
//! - Owner operations are `unsafe fn`s: the single-producer rule is the
//!   caller's contract (the executor's P ownership), as in Go where only
//!   the P's current M calls `runqput`.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::ptr;

use crate::atomic::{AtomicPtr, AtomicU32, Ordering};

/// Go's default ring size: `runq [256]guintptr` (`runtime/runtime2.go`).
pub const DEFAULT_CAPACITY: usize = 256;

/// The largest batch taken from the global queue at once: Go's
/// `globrunqget` caps `n` at `len(pp.runq)/2` = 128.
pub const GLOBAL_BATCH_MAX: usize = 128;

/// An owned pointer that can sit in a [`RunQueue`] slot.
///
/// # Safety
///
/// 1. `into_raw` returns a non-null pointer that `from_raw` turns back into
///    the same owner, exactly once.
/// 2. The pointer stays valid while the item is in the queue (the queue
///    never dereferences it).
/// 3. The item can be sent between threads (`Send`).
pub unsafe trait QueueItem: Send {
    /// What the pointer points to.
    type Target;
    /// Gives up ownership, returning the raw pointer.
    fn into_raw(self) -> *mut Self::Target;
    /// Takes ownership back.
    ///
    /// # Safety
    ///
    /// 1. `ptr` came from `into_raw` of this type and was not yet given back.
    unsafe fn from_raw(ptr: *mut Self::Target) -> Self;
}

// SAFETY: 1. Box::into_raw is non-null and Box::from_raw restores it. 2. A
// leaked box stays valid until freed. 3. Requires `T: Send`.
unsafe impl<T: Send> QueueItem for Box<T> {
    type Target = T;
    fn into_raw(self) -> *mut T {
        Box::into_raw(self)
    }
    unsafe fn from_raw(ptr: *mut T) -> Self {
        // SAFETY: 1. the caller passes a pointer from `Box::into_raw`.
        unsafe { Box::from_raw(ptr) }
    }
}

// SAFETY: 1. Arc::into_raw is non-null and Arc::from_raw restores that
// reference. 2. The reference keeps the allocation alive. 3. `Arc<T>` is
// `Send` when `T: Send + Sync`.
unsafe impl<T: Send + Sync> QueueItem for Arc<T> {
    type Target = T;
    fn into_raw(self) -> *mut T {
        Arc::into_raw(self).cast_mut()
    }
    unsafe fn from_raw(ptr: *mut T) -> Self {
        // SAFETY: 1. the caller passes a pointer from `Arc::into_raw`.
        unsafe { Arc::from_raw(ptr.cast_const()) }
    }
}

/// Go's `globrunqget` batch size: how many tasks a P takes from a global
/// queue of `len` tasks, `min(len, len/gomaxprocs + 1, max, capacity/2)`.
///
/// ```
/// use gosched::runq::global_batch_size;
/// assert_eq!(global_batch_size(1000, 1, 0, 256), 128); // capped at half the ring
/// assert_eq!(global_batch_size(10, 4, 0, 256), 3); // 10/4 + 1
/// assert_eq!(global_batch_size(0, 4, 0, 256), 0);
/// assert_eq!(global_batch_size(300, 1, 1, 256), 1); // the 1-in-61 check takes one
/// ```
///
/// `max == 0` means no extra limit (Go passes 0 from `findRunnable`'s
/// batch refill and 1 from the 1-in-61 fairness check).
pub fn global_batch_size(len: usize, gomaxprocs: usize, max: usize, capacity: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let mut n = (len / gomaxprocs.max(1) + 1).min(len);
    if max > 0 && n > max {
        n = max;
    }
    n.min(capacity / 2).max(1)
}

/// What [`RunQueue::put`] hands back when the ring was full: the oldest half
/// of the ring, then the task being added, to go to the global queue as one
/// batch, in this order (Go's `runqputslow`).
pub type OverflowBatch<T> = Vec<T>;

/// A P's run queue: a fixed ring of task pointers plus `runnext`.
///
/// Single producer (the owner, through the `unsafe` owner methods), many
/// consumers ([`steal_from`](Self::steal_from) by other owners).
///
/// # Examples
///
/// ```
/// use gosched::runq::RunQueue;
/// let q: RunQueue<Box<u32>> = RunQueue::new(4);
/// // SAFETY: this thread is the queue's only owner.
/// unsafe {
///     assert!(q.put(Box::new(1), false).is_none());
///     assert!(q.put(Box::new(2), true).is_none()); // runnext
///     assert_eq!(q.get().map(|(v, inherit)| (*v, inherit)), Some((2, true)));
///     assert_eq!(q.get().map(|(v, inherit)| (*v, inherit)), Some((1, false)));
/// }
/// ```
pub struct RunQueue<T: QueueItem> {
    head: gocore::CachePadded<AtomicU32>,
    tail: gocore::CachePadded<AtomicU32>,
    runnext: AtomicPtr<T::Target>,
    slots: Box<[AtomicPtr<T::Target>]>,
    mask: u32,
    _owns: PhantomData<T>,
}

// SAFETY: the queue owns `T`s (I4) and hands them to other threads, which is
// what `T: Send` (required by `QueueItem`) allows; all shared state is atomic.
unsafe impl<T: QueueItem> Send for RunQueue<T> {}
// SAFETY: shared access only moves `T`s between threads through atomics
// (steal, get), which `T: Send` allows.
unsafe impl<T: QueueItem> Sync for RunQueue<T> {}

impl<T: QueueItem> RunQueue<T> {
    /// An empty queue with `capacity` ring slots (plus `runnext`).
    ///
    /// # Panics
    ///
    /// If `capacity` is not a power of two in `2..=2^30`.
    pub fn new(capacity: usize) -> Self {
        assert!(
            capacity.is_power_of_two() && (2..=1 << 30).contains(&capacity),
            "gosched: run queue capacity must be a power of two in 2..=2^30, got {capacity}"
        );
        let slots = (0..capacity)
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect::<Vec<_>>()
            .into_boxed_slice();
        RunQueue {
            head: gocore::CachePadded::new(AtomicU32::new(0)),
            tail: gocore::CachePadded::new(AtomicU32::new(0)),
            runnext: AtomicPtr::new(ptr::null_mut()),
            slots,
            mask: (capacity - 1) as u32,
            _owns: PhantomData,
        }
    }

    /// The ring's capacity (not counting `runnext`).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn slot(&self, index: u32) -> &AtomicPtr<T::Target> {
        &self.slots[(index & self.mask) as usize]
    }

    /// Tasks in the ring (not counting `runnext`); a snapshot when read by a
    /// non-owner.
    pub fn len(&self) -> usize {
        // Go's runqempty reads head, tail and then head again for a
        // consistent pair; a length only needs a plausible snapshot.
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        (tail.wrapping_sub(head) as usize).min(self.capacity())
    }

    /// Whether `runnext` holds a task (a snapshot).
    pub fn has_runnext(&self) -> bool {
        !self.runnext.load(Ordering::Acquire).is_null()
    }

    /// No task in the ring nor in `runnext` (Go's `runqempty`, which rereads
    /// `tail` so that a task moving from `runnext` to the ring is not missed).
    pub fn is_empty(&self) -> bool {
        loop {
            let head = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Acquire);
            let runnext = self.runnext.load(Ordering::Acquire);
            if tail == self.tail.load(Ordering::Acquire) {
                return head == tail && runnext.is_null();
            }
        }
    }

    /// Adds `item`: with `next`, into `runnext` (the previous `runnext`
    /// moves to the ring's tail), else at the ring's tail. When the ring is
    /// full, returns the overflow batch: the oldest half of the ring and
    /// then the task that did not fit, for the caller's global queue.
    ///
    /// Go: `runqput(pp, gp, next)` and `runqputslow`.
    ///
    /// # Safety
    ///
    /// 1. No other thread runs an owner method (`put`, `get`, `steal_from`
    ///    as the destination, `drain`) on this queue at the same time.
    pub unsafe fn put(&self, item: T, next: bool) -> Option<OverflowBatch<T>> {
        let mut raw = item.into_raw();
        if next {
            // Go: for { oldnext := pp.runnext; if pp.runnext.cas(oldnext, gp) ...
            // A swap is the same: thieves only CAS `runnext` to null.
            let old = self.runnext.swap(raw, Ordering::AcqRel);
            if old.is_null() {
                return None;
            }
            raw = old;
        }
        loop {
            // The owner is the only writer of tail (I2): a relaxed read is
            // its own last store.
            let tail = self.tail.load(Ordering::Relaxed);
            // Acquire: slots before `head` were released by whoever moved it.
            let head = self.head.load(Ordering::Acquire);
            if tail.wrapping_sub(head) < self.slots.len() as u32 {
                self.slot(tail).store(raw, Ordering::Relaxed);
                // Release publishes the slot to thieves (Go: atomic.StoreRel).
                self.tail.store(tail.wrapping_add(1), Ordering::Release);
                return None;
            }
            if let Some(batch) = self.put_slow(raw, head, tail) {
                return Some(batch);
            }
            // A thief took some: the ring has room now; retry.
        }
    }

    /// Go: `runqputslow`. Moves the oldest half of a full ring plus `raw` out
    /// as one batch, or returns `None` if a thief changed `head` meanwhile.
    fn put_slow(&self, raw: *mut T::Target, head: u32, tail: u32) -> Option<OverflowBatch<T>> {
        let n = tail.wrapping_sub(head) / 2;
        debug_assert_eq!(
            n as usize,
            self.slots.len() / 2,
            "I1: put_slow on a full ring"
        );
        let mut taken: Vec<*mut T::Target> = Vec::with_capacity(n as usize + 1);
        for i in 0..n {
            taken.push(self.slot(head.wrapping_add(i)).load(Ordering::Relaxed));
        }
        if self
            .head
            .compare_exchange(
                head,
                head.wrapping_add(n),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return None;
        }
        taken.push(raw);
        Some(
            taken
                .into_iter()
                // SAFETY: 1. each pointer was in a slot we moved head past
                // (I3, I4) or is the caller's item; each is taken once.
                .map(|p| unsafe { T::from_raw(p) })
                .collect(),
        )
    }

    /// Takes the next task: `runnext` first, then the ring's head. The flag
    /// says whether it came from `runnext` (Go's `inheritTime`: it runs in
    /// the current time slice).
    ///
    /// Go: `runqget(pp)`.
    ///
    /// # Safety
    ///
    /// 1. Same as [`put`](Self::put): only the owner calls it.
    pub unsafe fn get(&self) -> Option<(T, bool)> {
        let next = self.runnext.load(Ordering::Acquire);
        if !next.is_null()
            && self
                .runnext
                .compare_exchange(next, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            // SAFETY: 1. the CAS moved the pointer out of runnext (I5).
            return Some((unsafe { T::from_raw(next) }, true));
        }
        loop {
            let head = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Relaxed);
            if head == tail {
                return None;
            }
            let raw = self.slot(head).load(Ordering::Relaxed);
            if self
                .head
                .compare_exchange(
                    head,
                    head.wrapping_add(1),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                // SAFETY: 1. we moved head past the slot we read (I3).
                return Some((unsafe { T::from_raw(raw) }, false));
            }
        }
    }

    /// Moves every task out (runnext first, then the ring in order), for
    /// handing a P's work elsewhere or shutting down.
    ///
    /// # Safety
    ///
    /// 1. Same as [`put`](Self::put): only the owner calls it.
    pub unsafe fn drain(&self) -> Vec<T> {
        let mut out = Vec::new();
        // SAFETY: 1. forwarded from the caller.
        while let Some((item, _)) = unsafe { self.get() } {
            out.push(item);
        }
        out
    }

    /// Go: `runqgrab`. Copies ceil(half) of `victim`'s ring (oldest first)
    /// into this queue's free slots starting at `tail`, without publishing
    /// them; returns how many. With an empty ring and `steal_runnext`, takes
    /// `victim`'s `runnext` after calling `before_runnext` (Go sleeps 3 µs
    /// there when the victim is running).
    fn grab(
        &self,
        victim: &Self,
        tail: u32,
        steal_runnext: bool,
        before_runnext: &mut dyn FnMut(),
    ) -> u32 {
        let free = self.slots.len() as u32 - tail.wrapping_sub(self.head.load(Ordering::Acquire));
        loop {
            // Acquire: synchronise with other consumers and the producer.
            let head = victim.head.load(Ordering::Acquire);
            let vtail = victim.tail.load(Ordering::Acquire);
            let len = vtail.wrapping_sub(head);
            let mut n = len - len / 2;
            if n == 0 {
                if steal_runnext && free > 0 {
                    let next = victim.runnext.load(Ordering::Acquire);
                    if !next.is_null() {
                        before_runnext();
                        if victim
                            .runnext
                            .compare_exchange(
                                next,
                                ptr::null_mut(),
                                Ordering::AcqRel,
                                Ordering::Acquire,
                            )
                            .is_err()
                        {
                            continue;
                        }
                        self.slot(tail).store(next, Ordering::Relaxed);
                        return 1;
                    }
                }
                return 0;
            }
            if n > victim.slots.len() as u32 / 2 {
                // head and tail read inconsistently (Go: "read inconsistent
                // h and t"): try again.
                continue;
            }
            n = n.min(free);
            if n == 0 {
                return 0;
            }
            for i in 0..n {
                let raw = victim.slot(head.wrapping_add(i)).load(Ordering::Relaxed);
                self.slot(tail.wrapping_add(i))
                    .store(raw, Ordering::Relaxed);
            }
            if victim
                .head
                .compare_exchange(
                    head,
                    head.wrapping_add(n),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                return n;
            }
        }
    }

    /// Steals ceil(half) of `victim`'s ring, oldest first, into this queue:
    /// returns the first stolen task (to run at once) and how many were
    /// stolen in all; the rest are now at this queue's tail. With
    /// `steal_runnext`, an empty ring gives up its `runnext` (after
    /// `before_runnext` runs).
    ///
    /// Go: `runqsteal(pp, p2, stealRunNextG)`.
    ///
    /// # Safety
    ///
    /// 1. Same as [`put`](Self::put): only this queue's owner calls it.
    pub unsafe fn steal_from(
        &self,
        victim: &Self,
        steal_runnext: bool,
        before_runnext: &mut dyn FnMut(),
    ) -> Option<(T, usize)> {
        if ptr::eq(self, victim) {
            return None;
        }
        let tail = self.tail.load(Ordering::Relaxed);
        let n = self.grab(victim, tail, steal_runnext, before_runnext);
        if n == 0 {
            return None;
        }
        // As Go, run the newest of the stolen tasks, runq[(t+n-1)%len]: its
        // slot lies beyond the tail we publish, so nobody else can see it.
        let last = tail.wrapping_add(n - 1);
        let raw = self.slot(last).load(Ordering::Relaxed);
        if n > 1 {
            // Release publishes the other n-1 copied slots.
            self.tail.store(last, Ordering::Release);
        }
        // SAFETY: 1. `grab` moved the victim's head past this pointer (I3),
        // and it lies beyond our published tail, so only we hold it.
        Some((unsafe { T::from_raw(raw) }, n as usize))
    }
}

impl<T: QueueItem> Drop for RunQueue<T> {
    fn drop(&mut self) {
        // SAFETY: 1. `&mut self`: no other thread can touch the queue.
        drop(unsafe { self.drain() });
    }
}

impl<T: QueueItem> core::fmt::Debug for RunQueue<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RunQueue")
            .field("len", &self.len())
            .field("runnext", &self.has_runnext())
            .field("capacity", &self.capacity())
            .finish()
    }
}
