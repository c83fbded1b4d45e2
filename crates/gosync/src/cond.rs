//! [`Cond`]: Go's `sync.Cond`, a condition variable over gosync's
//! [`Mutex`](crate::Mutex), woken in FIFO order by tickets (Go's runtime
//! `notifyList`).
//!
//! # What
//!
//! A waiter takes a *ticket* (the `wait` counter, incremented atomically)
//! while it still holds the mutex, then unlocks and sleeps until its ticket
//! has been notified. `signal` notifies the oldest ticket not yet notified
//! (`notify`, then `notify + 1`); `broadcast` notifies every ticket handed out
//! so far (`notify = wait`). Because the ticket is taken *before* the mutex is
//! released, a signal sent after a waiter has checked its condition (under
//! the mutex) always reaches that waiter or an older one: no signal is lost,
//! and a newcomer can never steal a wake-up meant for an older waiter.
//!
//! # Layout
//!
//! ```text
//!  Cond
//!  +------------------+--------------------+-----------------------------+
//!  | wait: AtomicU32  | notify: AtomicU32  | list: SpinLock<WaitList>    |
//!  | next ticket      | next to notify     | head -> Waiter -> Waiter    |
//!  +------------------+--------------------+-----------------------------+
//!
//!  Waiter (on the sleeping thread's stack, like Go's sudog)
//!  +--------+------+-----------------------+---------------+
//!  | ticket | next | state: WAITING/WOKEN  | park (thread) |
//!  +--------+------+-----------------------+---------------+
//! ```
//!
//! Tickets compare modulo 2^32 (`less`), as in Go.
//!
//! # Invariants
//!
//! - I1. Tickets in `[notify, wait)` are handed out and not yet notified;
//!   `notify` only moves forward, under the list lock.
//! - I2. A waiter with ticket `t` links itself only if `t` is not yet
//!   notified (checked under the list lock); a notifier that notifies `t`
//!   either finds it linked and wakes it, or the waiter later sees
//!   `less(t, notify)` and does not sleep. So a notification is never lost.
//! - I3. A `Waiter` is linked in at most one list, only while its state is
//!   `WAITING`; only the list lock's holder touches `next`. A notifier
//!   unlinks it, reads its parker, and only then stores `WOKEN`: after that
//!   store the waiter may return and its frame be gone.
//! - I4. Nothing unwinds out of `notify_list_wait` while the waiter is
//!   linked: between the push and the wake-up only our code runs (no user
//!   code), and none of it panics; should that change, a guard aborts
//!   rather than leave a dangling waiter.
//!
//! # Go correspondence (Go 1.19 `src/sync/cond.go`, `src/runtime/sema.go`)
//!
//! `notifyList` → the three fields, `notifyListAdd` → `notify_list_add`,
//! `notifyListWait` → `notify_list_wait`, `notifyListNotifyOne` →
//! [`Cond::signal`], `notifyListNotifyAll` → [`Cond::broadcast`], `less` →
//! `less`, `Cond.Wait` → [`Cond::wait`].
//!
//! # Divergences
//!
//! - Go's `Cond` holds its `Locker` (`Cond{L: &mu}`); here, as with
//!   `std::sync::Condvar`, [`Cond::wait`] takes the guard of the mutex and
//!   gives it back, which proves the caller holds the lock (Go can only
//!   document it). Use one `Cond` with one mutex.
//! - Go's copy checker is not needed: a `Cond` with waiters is borrowed, so
//!   it cannot be moved.
//! - A waiter is a thread parked through `gocore::park::ThreadPark` with
//!   `std`; without `std` it spins with back-off.

use core::cell::Cell;
use core::fmt;
use core::ptr;

use gocore::lock::SpinLock;
#[cfg(feature = "std")]
use gocore::park::{Park, ThreadPark};
#[cfg(feature = "std")]
use std::sync::Arc;

use crate::atomic::{AtomicU32, Ordering};
use crate::MutexGuard;

const WAITING: u32 = 0;
const WOKEN: u32 = 1;

/// One sleeping waiter. Go: `sudog`.
struct Waiter {
    ticket: u32,
    next: Cell<*const Waiter>,
    state: AtomicU32,
    #[cfg(feature = "std")]
    park: Arc<ThreadPark>,
}

/// The linked waiters, oldest first (I3).
struct WaitList {
    head: *const Waiter,
    tail: *const Waiter,
}

// SAFETY: the list only holds pointers to `Waiter`s, touched only by the
// holder of the list lock (I3); moving the list inside its lock between
// threads is how the lock shares it.
unsafe impl Send for WaitList {}

impl WaitList {
    /// Links `w` at the tail.
    ///
    /// # Safety
    ///
    /// 1. `w` stays valid and unmoved until it is unlinked (I3).
    /// 2. `w` is not linked already.
    unsafe fn push(&mut self, w: &Waiter) {
        let wp: *const Waiter = w;
        w.next.set(ptr::null());
        if self.tail.is_null() {
            self.head = wp;
        } else {
            // SAFETY: `tail` is a linked waiter, valid by precondition 1 of its push.
            unsafe { (*self.tail).next.set(wp) };
        }
        self.tail = wp;
    }

    /// Unlinks and returns the waiter holding `ticket`, if it is linked.
    fn remove(&mut self, ticket: u32) -> Option<*const Waiter> {
        let mut prev: *const Waiter = ptr::null();
        let mut cur = self.head;
        while !cur.is_null() {
            // SAFETY: every linked waiter is valid until unlinked (I3).
            let w = unsafe { &*cur };
            if w.ticket == ticket {
                let next = w.next.get();
                if prev.is_null() {
                    self.head = next;
                } else {
                    // SAFETY: `prev` is a linked waiter (I3).
                    unsafe { (*prev).next.set(next) };
                }
                if next.is_null() {
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

    /// Unlinks every waiter; returns the old head of the chain.
    fn take_all(&mut self) -> *const Waiter {
        let head = self.head;
        self.head = ptr::null();
        self.tail = ptr::null();
        head
    }
}

/// Ticket order modulo 2^32. Go: `less` (runtime/sema.go).
#[inline]
fn less(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Wakes an unlinked waiter (I3: nothing of it is read after the store).
///
/// # Safety
///
/// 1. `w` was linked and has just been unlinked by the caller, under the
///    list lock, so it is valid until its state leaves `WAITING`.
unsafe fn ready(w: *const Waiter) {
    // SAFETY: precondition 1.
    let w = unsafe { &*w };
    #[cfg(feature = "std")]
    let park = Arc::clone(&w.park);
    // Release pairs with the waiter's Acquire load: the notifier's writes
    // (and the mutex holder's before it) happen before the wait returns.
    w.state.store(WOKEN, Ordering::Release);
    #[cfg(feature = "std")]
    park.unpark();
}

/// A condition variable: Go's `sync.Cond`, waiters woken in FIFO order.
///
/// Hold the mutex while checking or changing the condition; [`Cond::wait`]
/// unlocks it while sleeping and locks it again before returning. As in Go,
/// a waiter must re-check its condition in a loop ([`Cond::wait_while`] does
/// that).
///
/// Go: `c := sync.NewCond(&mu); mu.Lock(); for !ready { c.Wait() }; mu.Unlock()`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::{Cond, Mutex};
///
/// let state = Arc::new((Mutex::new(false), Cond::new()));
/// let s = Arc::clone(&state);
/// let t = std::thread::spawn(move || {
///     let (ready, cond) = &*s;
///     *ready.lock() = true;
///     cond.signal();
/// });
/// let (ready, cond) = &*state;
/// let mut g = ready.lock();
/// while !*g {
///     g = cond.wait(g);
/// }
/// drop(g);
/// t.join().unwrap();
/// ```
#[doc(alias = "sync.Cond")]
pub struct Cond {
    /// Next ticket to hand out. Go: `notifyList.wait`.
    wait: AtomicU32,
    /// Next ticket to notify. Go: `notifyList.notify`.
    notify: AtomicU32,
    list: SpinLock<WaitList>,
}

impl Cond {
    /// Creates a condition variable with no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// static COND: gosync::Cond = gosync::Cond::new();
    /// COND.signal(); // nobody waits: a no-op
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Cond {
            wait: AtomicU32::new(0),
            notify: AtomicU32::new(0),
            list: SpinLock::new(WaitList {
                head: ptr::null(),
                tail: ptr::null(),
            }),
        }
    }

    /// Creates a condition variable with no waiters.
    #[cfg(loom)]
    pub fn new() -> Self {
        Cond {
            wait: AtomicU32::new(0),
            notify: AtomicU32::new(0),
            list: SpinLock::new(WaitList {
                head: ptr::null(),
                tail: ptr::null(),
            }),
        }
    }

    /// Unlocks the mutex of `guard`, sleeps until a [`Cond::signal`] or
    /// [`Cond::broadcast`] that comes after this call wakes it, and locks
    /// the mutex again.
    ///
    /// Wake-ups are in FIFO order: a signal wakes the waiter that has
    /// waited longest. As in Go, re-check the condition after waking (another
    /// thread may have changed it before the mutex was re-taken).
    ///
    /// Go: `c.Wait()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gosync::{Cond, Mutex};
    ///
    /// let queue = Arc::new((Mutex::new(Vec::new()), Cond::new()));
    /// let q = Arc::clone(&queue);
    /// let consumer = std::thread::spawn(move || {
    ///     let (items, cond) = &*q;
    ///     let mut g = items.lock();
    ///     while g.is_empty() {
    ///         g = cond.wait(g);
    ///     }
    ///     g.pop().unwrap()
    /// });
    /// let (items, cond) = &*queue;
    /// items.lock().push(7);
    /// cond.signal();
    /// assert_eq!(consumer.join().unwrap(), 7);
    /// ```
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = MutexGuard::mutex(&guard);
        let t = self.notify_list_add();
        drop(guard);
        self.notify_list_wait(t);
        mutex.lock()
    }

    /// Waits while `condition` holds: `while condition(&mut *guard) { guard =
    /// cond.wait(guard) }`. Returns with the mutex held and `condition`
    /// false.
    ///
    /// If `condition` panics, the guard is dropped (the mutex unlocked) and
    /// the panic goes on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gosync::{Cond, Mutex};
    ///
    /// let s = Arc::new((Mutex::new(0u32), Cond::new()));
    /// let workers: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let s = Arc::clone(&s);
    ///         std::thread::spawn(move || {
    ///             *s.0.lock() += 1;
    ///             s.1.broadcast();
    ///         })
    ///     })
    ///     .collect();
    /// let g = s.1.wait_while(s.0.lock(), |n| *n < 3);
    /// assert_eq!(*g, 3);
    /// # drop(g);
    /// # for w in workers { w.join().unwrap(); }
    /// ```
    pub fn wait_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Wakes the waiter that has waited longest, if any.
    ///
    /// The caller may, but need not, hold the mutex.
    ///
    /// Go: `c.Signal()` / `notifyListNotifyOne`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gosync::Cond::new();
    /// c.signal(); // no waiter: nothing happens, nothing is remembered
    /// ```
    pub fn signal(&self) {
        // Fast path: no ticket handed out since the last notification. A
        // waiter taking a ticket concurrently does so after this signal, so
        // it need not be woken (Go's comment in notifyListNotifyOne).
        if self.wait.load(Ordering::SeqCst) == self.notify.load(Ordering::SeqCst) {
            return;
        }
        let mut list = self.list.lock();
        let t = self.notify.load(Ordering::Relaxed);
        if t == self.wait.load(Ordering::SeqCst) {
            return;
        }
        // I1: ticket t is notified from now on.
        self.notify.store(t.wrapping_add(1), Ordering::SeqCst);
        // The waiter holding t may not have linked itself yet; then it will
        // see less(t, notify) and not sleep (I2).
        let found = list.remove(t);
        drop(list);
        if let Some(w) = found {
            // SAFETY: just unlinked under the list lock.
            unsafe { ready(w) };
        }
    }

    /// Wakes every waiter.
    ///
    /// The caller may, but need not, hold the mutex.
    ///
    /// Go: `c.Broadcast()` / `notifyListNotifyAll`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gosync::Cond::new();
    /// c.broadcast(); // no waiter: nothing happens
    /// ```
    pub fn broadcast(&self) {
        if self.wait.load(Ordering::SeqCst) == self.notify.load(Ordering::SeqCst) {
            return;
        }
        let mut list = self.list.lock();
        let mut w = list.take_all();
        // I1: every ticket handed out so far is notified.
        self.notify
            .store(self.wait.load(Ordering::SeqCst), Ordering::SeqCst);
        drop(list);
        while !w.is_null() {
            // SAFETY: `w` was linked until `take_all`, and stays valid until
            // `ready` stores its state (I3); read `next` before that.
            let next = unsafe { (*w).next.get() };
            // SAFETY: unlinked by `take_all` under the list lock.
            unsafe { ready(w) };
            w = next;
        }
    }

    /// Takes a ticket. Go: `notifyListAdd`.
    fn notify_list_add(&self) -> u32 {
        self.wait.fetch_add(1, Ordering::SeqCst)
    }

    /// Sleeps until ticket `t` is notified. Go: `notifyListWait`.
    fn notify_list_wait(&self, t: u32) {
        let mut list = self.list.lock();
        if less(t, self.notify.load(Ordering::SeqCst)) {
            return; // already notified (I2)
        }
        let waiter = Waiter {
            ticket: t,
            next: Cell::new(ptr::null()),
            state: AtomicU32::new(WAITING),
            #[cfg(feature = "std")]
            park: gocore::park::current_waker().0,
        };
        // SAFETY: 1. `waiter` is a local of this frame, never moved, and we
        // do not leave this frame until its state is no longer WAITING, which
        // a notifier stores only after unlinking it (I3), not even by
        // unwinding (I4, `linked`). 2. It is fresh, so not linked.
        unsafe { list.push(&waiter) };
        let linked = AbortIfUnwinding;
        drop(list);
        sleep(&waiter);
        core::mem::forget(linked);
    }
}

/// Aborts the process if dropped, which only an unwind does (the normal
/// path forgets it): a panic in a destructor while unwinding aborts (I4).
struct AbortIfUnwinding;

impl Drop for AbortIfUnwinding {
    fn drop(&mut self) {
        panic!("cond: unwinding while a waiter is linked");
    }
}

/// Sleeps until a notifier stores `WOKEN` into `waiter.state`.
fn sleep(waiter: &Waiter) {
    #[cfg(feature = "std")]
    while waiter.state.load(Ordering::Acquire) == WAITING {
        waiter.park.park();
    }
    #[cfg(not(feature = "std"))]
    {
        let backoff = gocore::backoff::Backoff::new();
        while waiter.state.load(Ordering::Acquire) == WAITING {
            backoff.snooze();
        }
    }
}

impl Default for Cond {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wait = self.wait.load(Ordering::Relaxed);
        let notify = self.notify.load(Ordering::Relaxed);
        f.debug_struct("Cond")
            .field("unnotified_tickets", &wait.wrapping_sub(notify))
            .finish()
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn tickets_compare_modulo_2_32() {
        assert!(less(1, 2));
        assert!(!less(2, 2));
        assert!(less(u32::MAX, 0));
        assert!(!less(0, u32::MAX));
    }

    #[test]
    fn list_removes_by_ticket_and_keeps_order() {
        let mk = |ticket| Waiter {
            ticket,
            next: Cell::new(ptr::null()),
            state: AtomicU32::new(WAITING),
            park: gocore::park::current_waker().0,
        };
        let (a, b, c) = (mk(5), mk(6), mk(7));
        let mut l = WaitList {
            head: ptr::null(),
            tail: ptr::null(),
        };
        // SAFETY: the waiters outlive `l` and are each pushed once.
        unsafe {
            l.push(&a);
            l.push(&b);
            l.push(&c);
        }
        assert_eq!(l.remove(9), None);
        assert_eq!(l.remove(7), Some(&c as *const Waiter));
        assert_eq!(l.tail, &b as *const Waiter);
        assert_eq!(l.remove(5), Some(&a as *const Waiter));
        assert_eq!(l.take_all(), &b as *const Waiter);
        assert!(l.head.is_null() && l.tail.is_null());
    }
}
