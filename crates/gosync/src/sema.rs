//! Go's runtime semaphore: `semacquire` / `semrelease`, the one place where
//! everything in this crate sleeps.
//!
//! # What
//!
//! A semaphore is any `AtomicU32` (a `Mutex`'s `sema`, a `WaitGroup`'s third
//! word, an `RwLock`'s `writerSem`/`readerSem`). Its value counts tickets.
//! [`acquire`] takes a ticket, sleeping until one is there; [`release`] adds
//! one and wakes the first sleeper of that address. The sleepers do not live
//! in the semaphore: as in Go, they live in a global table of 251 roots keyed
//! by the semaphore's address, so a semaphore costs only its 4 bytes (which is
//! how a `WaitGroup` fits in 12 bytes).
//!
//! # Layout
//!
//! ```text
//!  TABLE: [CachePadded<Root>; 251]     root = (addr >> 3) % 251
//!  Root { lock: SpinLock<Queue>, nwait: AtomicU32 }
//!  Queue: head -> Waiter -> Waiter -> Waiter <- tail   (singly linked)
//!
//!  Waiter (on the sleeping thread's stack, like Go's sudog)
//!  +------+------+-------------------------------+-------------------+
//!  | addr | next | state: WAITING/WOKEN/TICKET    | park (thread)     |
//!  +------+------+-------------------------------+-------------------+
//! ```
//!
//! Go keeps a treap of distinct addresses per root with a FIFO list per
//! address; we keep one FIFO list per root and skip waiters of other addresses
//! when dequeuing. With 251 roots the lists are short, and the observable
//! order per address is the same: FIFO, except that a waiter that has already
//! waited once may re-queue at the head (`lifo`), as the `Mutex` asks.
//!
//! # Invariants
//!
//! - I1. A `Waiter` is linked in at most one queue, only while its `state` is
//!   `WAITING`, and only its root's lock holder touches `next`.
//! - I2. A releaser that dequeued a waiter reads everything it needs from it
//!   (the parker) *before* storing its new state; after that store the waiter
//!   may return and its stack frame may be gone. So the waiter never leaves
//!   while linked or while a releaser still reads it.
//! - I3. `nwait` counts linked waiters plus acquirers between their increment
//!   and their re-check. An acquirer increments `nwait` (SeqCst) before its
//!   last check of the count; a releaser increments the count (SeqCst) before
//!   reading `nwait`. By the SeqCst total order, either the acquirer sees the
//!   ticket or the releaser sees the waiter: a release is never lost.
//! - I4. Nothing unwinds out of `acquire_slow` while its waiter is linked:
//!   between the push and the wake-up only our own code runs (the root
//!   lock's unlock, `ThreadPark::park` or back-off, atomics), never user
//!   code, and none of it panics. Should that ever change, a guard turns the
//!   unwind into an abort (a panic while unwinding) rather than leave a
//!   dangling waiter in the queue.
//!
//! # Tuning
//!
//! - 251 roots (`SEM_TAB_SIZE`, prime) and 64-byte padding, as Go.
//!
//! # Go correspondence (Go 1.19 `src/runtime/sema.go`)
//!
//! `semaRoot` → `Root`, `sudog` → `Waiter`, `semacquire1` → [`acquire`],
//! `semrelease1` → [`release`], `cansemacquire` → `can_acquire`, `s.ticket` →
//! `TICKET`, `goyield` after a hand-off → `std::thread::yield_now`.
//!
//! # Divergences
//!
//! - A waiter is a thread parked through `gocore::park::ThreadPark` with `std`;
//!   without `std` it spins with back-off on its own state word (there is no
//!   scheduler to give the CPU to).
//! - Under loom the table has 1 root (the model stays small; collisions are
//!   part of the design anyway).
//!
//! # Examples
//!
//! Go's `TestSemaphore`: a semaphore with one ticket used as a lock.
//!
//! ```
//! use std::sync::Arc;
//! use gocore::atomic::AtomicU32;
//! use gosync::sema;
//!
//! let s = Arc::new(AtomicU32::new(1));
//! let hs: Vec<_> = (0..4)
//!     .map(|_| {
//!         let s = Arc::clone(&s);
//!         std::thread::spawn(move || {
//!             for _ in 0..100 {
//!                 sema::acquire(&s, false);
//!                 sema::release(&s, false);
//!             }
//!         })
//!     })
//!     .collect();
//! for h in hs {
//!     h.join().unwrap();
//! }
//! ```

use crate::atomic::{AtomicU32, Ordering};
use core::cell::Cell;
use core::ptr;
use gocore::lock::SpinLock;

#[cfg(feature = "std")]
use gocore::park::{Park, ThreadPark};
#[cfg(feature = "std")]
use std::sync::Arc;

/// Number of semaphore roots. Go: `semTabSize` (runtime/sema.go).
#[cfg(not(loom))]
const SEM_TAB_SIZE: usize = 251;
#[cfg(loom)]
const SEM_TAB_SIZE: usize = 1;

const WAITING: u32 = 0;
const WOKEN: u32 = 1;
/// Woken with a ticket already taken on the waiter's behalf (hand-off).
const TICKET: u32 = 2;

/// One sleeping acquirer. Go: `sudog`.
struct Waiter {
    addr: usize,
    next: Cell<*const Waiter>,
    state: AtomicU32,
    #[cfg(feature = "std")]
    park: Arc<ThreadPark>,
}

struct Queue {
    head: *const Waiter,
    tail: *const Waiter,
}

// SAFETY: the queue only holds pointers to `Waiter`s, which are only touched
// by whoever holds the root lock (I1); moving the queue (inside its lock)
// between threads is how the lock shares it.
unsafe impl Send for Queue {}

impl Queue {
    /// Links `w` at the tail, or at the head when `lifo`.
    ///
    /// # Safety
    ///
    /// 1. `w` stays valid and unmoved until it is dequeued (I1, I2).
    /// 2. `w` is not linked already.
    unsafe fn push(&mut self, w: &Waiter, lifo: bool) {
        let wp: *const Waiter = w;
        if self.head.is_null() {
            w.next.set(ptr::null());
            self.head = wp;
            self.tail = wp;
        } else if lifo {
            w.next.set(self.head);
            self.head = wp;
        } else {
            w.next.set(ptr::null());
            // SAFETY: `tail` is a linked waiter, valid by precondition 1 of its push.
            unsafe { (*self.tail).next.set(wp) };
            self.tail = wp;
        }
    }

    /// Unlinks and returns the first waiter on `addr`.
    fn dequeue(&mut self, addr: usize) -> Option<*const Waiter> {
        let mut prev: *const Waiter = ptr::null();
        let mut cur = self.head;
        while !cur.is_null() {
            // SAFETY: every linked waiter is valid until dequeued (I1, I2).
            let w = unsafe { &*cur };
            if w.addr == addr {
                let next = w.next.get();
                if prev.is_null() {
                    self.head = next;
                } else {
                    // SAFETY: `prev` is a linked waiter (I1).
                    unsafe { (*prev).next.set(next) };
                }
                if self.tail == cur {
                    self.tail = prev;
                }
                w.next.set(ptr::null());
                return Some(cur);
            }
            prev = cur;
            cur = w.next.get();
        }
        None
    }
}

/// Go: `semaRoot`.
struct Root {
    lock: SpinLock<Queue>,
    nwait: AtomicU32,
}

impl Root {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Root {
            lock: SpinLock::new(Queue {
                head: ptr::null(),
                tail: ptr::null(),
            }),
            nwait: AtomicU32::new(0),
        }
    }
    #[cfg(loom)]
    fn new() -> Self {
        Root {
            lock: SpinLock::new(Queue {
                head: ptr::null(),
                tail: ptr::null(),
            }),
            nwait: AtomicU32::new(0),
        }
    }
}

#[cfg(not(loom))]
static TABLE: [gocore::CachePadded<Root>; SEM_TAB_SIZE] =
    [const { gocore::CachePadded::new(Root::new()) }; SEM_TAB_SIZE];

#[cfg(loom)]
loom::lazy_static! {
    static ref TABLE: [Root; SEM_TAB_SIZE] = [Root::new()];
}

#[cfg(not(loom))]
fn root_for(addr: usize) -> &'static Root {
    &TABLE[(addr >> 3) % SEM_TAB_SIZE]
}

#[cfg(loom)]
fn root_for(_addr: usize) -> &'static Root {
    &TABLE[0]
}

/// Takes one ticket if there is one. Go: `cansemacquire`.
fn can_acquire(sema: &AtomicU32) -> bool {
    let mut v = sema.load(Ordering::SeqCst);
    loop {
        if v == 0 {
            return false;
        }
        match sema.compare_exchange_weak(v, v - 1, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return true,
            Err(cur) => v = cur,
        }
    }
}

/// Takes a ticket from `sema`, sleeping until one is released.
///
/// `lifo` queues this waiter at the head of its address's queue (the `Mutex`
/// asks for it when a waiter has already waited once).
///
/// Go: `semacquire1` / `runtime_SemacquireMutex` (runtime/sema.go).
///
/// # Examples
///
/// ```
/// use gocore::atomic::AtomicU32;
/// let s = AtomicU32::new(1);
/// gosync::sema::acquire(&s, false); // a ticket is there: returns at once
/// ```
pub fn acquire(sema: &AtomicU32, lifo: bool) {
    if can_acquire(sema) {
        return;
    }
    acquire_slow(sema, lifo);
}

#[cold]
fn acquire_slow(sema: &AtomicU32, lifo: bool) {
    let addr = sema as *const AtomicU32 as usize;
    let root = root_for(addr);
    let waiter = Waiter {
        addr,
        next: Cell::new(ptr::null()),
        state: AtomicU32::new(WAITING),
        #[cfg(feature = "std")]
        park: gocore::park::current_waker().0,
    };
    loop {
        let mut q = root.lock.lock();
        // I3: announce ourselves before the last look at the count.
        root.nwait.fetch_add(1, Ordering::SeqCst);
        // loom treats SeqCst accesses as AcqRel and would report this Dekker
        // handshake (I3) as a lost wake-up; its SeqCst fence is modelled.
        #[cfg(loom)]
        crate::atomic::fence(Ordering::SeqCst);
        if can_acquire(sema) {
            root.nwait.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        waiter.state.store(WAITING, Ordering::Relaxed);
        // SAFETY: 1. `waiter` is a local of this frame, never moved, and we
        // do not leave this frame until its state is no longer WAITING, which
        // a releaser stores only after unlinking it (I2), not even by
        // unwinding (I4, `linked`). 2. It is not linked: it is linked only
        // while WAITING and we only re-link after a wake-up.
        unsafe { q.push(&waiter, lifo) };
        let linked = AbortIfUnwinding;
        drop(q);
        let state = wait(&waiter);
        core::mem::forget(linked);
        if state == TICKET || can_acquire(sema) {
            return;
        }
    }
}

/// Aborts the process if dropped, which only an unwind does (the normal
/// path forgets it): a panic in a destructor while unwinding aborts (I4).
struct AbortIfUnwinding;

impl Drop for AbortIfUnwinding {
    fn drop(&mut self) {
        panic!("sema: unwinding while a waiter is linked");
    }
}

/// Sleeps until a releaser changes `waiter.state`; returns the new state.
fn wait(waiter: &Waiter) -> u32 {
    #[cfg(feature = "std")]
    loop {
        // Acquire pairs with the releaser's Release store: its writes (and the
        // hand-off's ticket) happen before our return.
        let s = waiter.state.load(Ordering::Acquire);
        if s != WAITING {
            return s;
        }
        waiter.park.park();
    }
    #[cfg(not(feature = "std"))]
    {
        let backoff = gocore::backoff::Backoff::new();
        loop {
            let s = waiter.state.load(Ordering::Acquire);
            if s != WAITING {
                return s;
            }
            backoff.snooze();
        }
    }
}

/// Adds a ticket to `sema` and wakes its first waiter, if any.
///
/// With `handoff`, the ticket is taken on the woken waiter's behalf before it
/// runs (so no newcomer can grab it), and the releasing thread yields so the
/// waiter runs soon: Go's starvation-mode hand-off.
///
/// Go: `semrelease1` (runtime/sema.go).
///
/// # Examples
///
/// ```
/// use gocore::atomic::{AtomicU32, Ordering};
/// let s = AtomicU32::new(0);
/// gosync::sema::release(&s, false); // nobody waits: the ticket is kept
/// assert_eq!(s.load(Ordering::SeqCst), 1);
/// ```
pub fn release(sema: &AtomicU32, handoff: bool) {
    let addr = sema as *const AtomicU32 as usize;
    let root = root_for(addr);
    sema.fetch_add(1, Ordering::SeqCst);
    // See acquire_slow: loom needs the fence to model I3's SeqCst order.
    #[cfg(loom)]
    crate::atomic::fence(Ordering::SeqCst);
    // I3: the easy case, no waiter at all.
    if root.nwait.load(Ordering::SeqCst) == 0 {
        return;
    }
    let mut q = root.lock.lock();
    if root.nwait.load(Ordering::SeqCst) == 0 {
        return;
    }
    let Some(w) = q.dequeue(addr) else {
        return;
    };
    root.nwait.fetch_sub(1, Ordering::SeqCst);
    drop(q);
    // SAFETY: `w` was linked, so it is valid until we store its new state
    // (I2); we are the only releaser that dequeued it.
    let w = unsafe { &*w };
    let ticket = handoff && can_acquire(sema);
    #[cfg(loom)]
    if ticket {
        // tidy: allow(atomic): a model statistic, outside the modelled protocol.
        loom_stats::HANDOFFS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }
    #[cfg(feature = "std")]
    let park = Arc::clone(&w.park);
    // Release pairs with the waiter's Acquire load. After this store `w`
    // may be gone (I2): it is not touched again.
    w.state
        .store(if ticket { TICKET } else { WOKEN }, Ordering::Release);
    #[cfg(feature = "std")]
    {
        park.unpark();
        if ticket {
            // Go: goyield() — give the CPU to the new owner.
            #[cfg(not(loom))]
            std::thread::yield_now();
            #[cfg(loom)]
            loom::thread::yield_now();
        }
    }
}

/// Instrumentation for loom models: how many starvation-mode hand-offs (a
/// release that took a ticket on the waiter's behalf) the model explored.
#[cfg(loom)]
pub mod loom_stats {
    /// Hand-offs so far, across all explored executions.
    // tidy: allow(atomic): a `static` (loom's atomics cannot be), counted
    // across executions, outside the modelled protocol.
    pub static HANDOFFS: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

    /// Reads [`HANDOFFS`].
    pub fn handoffs() -> usize {
        // tidy: allow(atomic): reads the statistic above.
        HANDOFFS.load(core::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::vec::Vec;

    #[test]
    fn release_before_acquire_is_kept() {
        let s = AtomicU32::new(0);
        release(&s, false);
        release(&s, true);
        acquire(&s, false);
        acquire(&s, true);
        assert_eq!(s.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn every_release_wakes_one_sleeper() {
        let n = if cfg!(miri) { 3 } else { 8 };
        let s = Arc::new(AtomicU32::new(0));
        let done = Arc::new(AtomicU32::new(0));
        let hs: Vec<_> = (0..n)
            .map(|_| {
                let (s, done) = (Arc::clone(&s), Arc::clone(&done));
                std::thread::spawn(move || {
                    acquire(&s, false);
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for i in 0..n {
            release(&s, i % 2 == 0);
        }
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), n);
        assert_eq!(s.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn queue_is_fifo_per_address_and_lifo_goes_first() {
        let a = Waiter {
            addr: 8,
            next: Cell::new(ptr::null()),
            state: AtomicU32::new(WAITING),
            park: gocore::park::current_waker().0,
        };
        let b = Waiter {
            addr: 16,
            next: Cell::new(ptr::null()),
            state: AtomicU32::new(WAITING),
            park: gocore::park::current_waker().0,
        };
        let c = Waiter {
            addr: 8,
            next: Cell::new(ptr::null()),
            state: AtomicU32::new(WAITING),
            park: gocore::park::current_waker().0,
        };
        let d = Waiter {
            addr: 8,
            next: Cell::new(ptr::null()),
            state: AtomicU32::new(WAITING),
            park: gocore::park::current_waker().0,
        };
        let mut q = Queue {
            head: ptr::null(),
            tail: ptr::null(),
        };
        // SAFETY: the waiters outlive `q` and are each pushed once.
        unsafe {
            q.push(&a, false);
            q.push(&b, false);
            q.push(&c, false);
            q.push(&d, true);
        }
        assert_eq!(q.dequeue(8), Some(&d as *const Waiter));
        assert_eq!(q.dequeue(8), Some(&a as *const Waiter));
        assert_eq!(q.dequeue(8), Some(&c as *const Waiter));
        assert_eq!(q.dequeue(8), None);
        assert_eq!(q.dequeue(16), Some(&b as *const Waiter));
        assert!(q.head.is_null() && q.tail.is_null());
    }
}
