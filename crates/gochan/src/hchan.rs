//! The channel itself: Go's `hchan`, its wait queues of `sudog`s, and the
//! locked halves of send, receive and close.
//!
//! # What
//!
//! A channel is a ring buffer of `cap` slots plus two FIFO queues of parked
//! parties: senders waiting for room (or, unbuffered, for a receiver) and
//! receivers waiting for a value. Everything is guarded by one short lock, as in
//! Go's `runtime/chan.go`. A parked party is described by a [`Sudog`] that lives
//! in the *waiter's* memory (its stack frame, its pinned future, or a select's
//! case): the counterpart that finds it in a queue copies the value straight
//! into (or out of) the sudog's `elem` slot — the *direct hand-off* — marks it
//! done and wakes its [`Waker`].
//!
//! # Layout
//!
//! ```text
//!  Arc<Hchan<T>>
//!  ┌──────────────────────────────────────────────────────────────────┐
//!  │ lock: SpinLock<()>   closed: AtomicBool   len: AtomicUsize (hint) │
//!  │ handles: sending/receiving handle counts (close-on-drop; counter) │
//!  │ st: UnsafeCell<State<T>> (only under `lock`)                      │
//!  │   buf ──► [ slot0 | slot1 | slot2 | slot3 ]   cap = 4             │
//!  │                      ▲ recvx      ▲ sendx      qcount = 2         │
//!  │   recvq: first ──► Sudog ◄──► Sudog ◄── last   (parked receivers) │
//!  │   sendq: first ──► Sudog ◄── last              (parked senders)   │
//!  └──────────────────────────────────────────────────────────────────┘
//!  Sudog<T> (in the waiter's frame): next, prev, linked, elem: MaybeUninit<T>,
//!          state: WAITING → SUCCESS | CLOSED, waker, sel (→ SelCtx), case
//! ```
//!
//! # Invariants
//!
//! - I1. At least one of `recvq` and `sendq` is empty, except for select
//!   waiters (a select may park a send and a receive case on one channel) and
//!   for sudogs whose select has already been won elsewhere (skipped lazily).
//!   Go states the same in chan.go.
//! - I2. For buffered channels, `qcount > 0` implies `recvq` holds no plain
//!   receiver, and `qcount < cap` implies `sendq` holds no plain sender.
//! - I3. `buf[recvx..recvx+qcount]` (mod cap) are initialised; all other slots
//!   are not. `sendx == (recvx + qcount) % cap`.
//! - I4. A sudog is linked into at most one queue, only while its `linked` flag
//!   is set; links are read and written only under the channel lock.
//! - I5. A sender sudog's `elem` is initialised from enqueue until a receiver
//!   moves it out (then `state = SUCCESS`) — so on `WAITING` or `CLOSED` the
//!   sender still owns its value. A receiver sudog's `elem` is initialised
//!   exactly when `state = SUCCESS`.
//! - I6. The counterpart finishing a sudog does everything under the channel
//!   lock and stores `state` last (Release); after that store it never touches
//!   the sudog again (its waker was moved out before). So a waiter that reads a
//!   non-`WAITING` state (Acquire) may read `elem` and free the sudog, without
//!   the lock.
//! - I7. A select's sudogs share one [`SelCtx`]; a counterpart may complete a
//!   select sudog only after winning the CAS of `SelCtx::done` from 0 to
//!   `case + 1`, which happens at most once per select.
//! - I8. `closed` only goes from false to true, under the lock.
//! - I9. A value a receiver had already been handed but never returned (its
//!   async receive was dropped, its `Park` panicked, or a foreign waker
//!   panicked right after the receive, or an async select whose receive
//!   case had won was dropped before it returned) goes back to the *head* of
//!   the channel
//!   ([`State::redeliver`]): to a parked receiver if there is one, else into
//!   the buffer in front of `recvx` if it has room, else into `stash`.
//!   Receives take `stash` values first, then the buffer.
//! - I10. `stash` is non-empty only while the buffer is full (always, for an
//!   unbuffered channel) and no live receiver is parked: it only grows under
//!   those conditions, and while it is non-empty receives drain it before
//!   the buffer, so `qcount` cannot drop below `cap` in the meantime. A
//!   stashed value behaves like the value of a parked sender (one that goes
//!   *first*): it is not counted by `len()`, so `len() <= cap()` holds at
//!   every moment (Go's `qcount <= dataqsiz`), and `try_send` and `send`
//!   both see the full buffer, so they agree that there is no room.
//! - I11. A waiter whose wait unwinds (a panicking `Park`) or is abandoned (a
//!   dropped future, a timeout) withdraws its sudog under the lock
//!   ([`Hchan::abandon_send`], [`Hchan::abandon_recv`]; a select, blocking
//!   or async, withdraws all of its sudogs at once in its pass 3). Under the lock a
//!   plain sudog is either still linked (`WAITING`) or completed: a
//!   counterpart dequeues and completes it within one lock hold, so there is
//!   never a half-completed sudog to wait for.
//! - I12. No foreign code (a `Waker`'s `clone`, `wake` or `drop`, a value's
//!   `Drop`) runs under the lock: wakers are taken out of sudogs under the
//!   lock and woken after it is released, and a waiter clones its waker before
//!   it locks. The only wakers cloned under the lock come from gochan's own
//!   parkers ([`Wait::waker`](crate::blocking::Wait::waker)). An async
//!   select clones the task's waker before its pass 1 takes the locks, only
//!   moves it into its [`SelCtx`] under them, and replaces it on a later poll
//!   by swapping in a clone made beforehand, dropping the old one after
//!   unlocking. A foreign wake
//!   that panics after a receive gives the received value back (I9)
//!   ([`Hchan::keep_while`]); one that panics in [`Hchan::close`] does not
//!   stop the other waiters from being woken.
//!
//! # Tuning
//!
//! - [`SPIN`] rounds of polling a parked sudog's state before sleeping: a wake
//!   between threads costs a futex call on both sides (about 5–20 µs on a busy
//!   host), while a counterpart on another core usually answers within a
//!   microsecond. Go's runtime spins in the scheduler (`active_spin = 4` ×
//!   `procyield(30)`) before a goroutine's thread sleeps; we spin on the
//!   sudog itself, with growing PAUSE bursts and a few `yield`s.
//!
//! - The header. An empty channel is one allocation: `Hchan<T>` (120 bytes
//!   on 64-bit targets) plus `Arc`'s two counters, 136 bytes, where Go's
//!   `hchan` is 96 ([`EMPTY_CHAN_BYTES`](crate::EMPTY_CHAN_BYTES); the
//!   buffer of a buffered channel is a second allocation here; Go's
//!   `makechan` puts it in the same block when the element type holds no
//!   pointers). Field by field, on 64-bit targets (checked
//!   by the test `header_bytes_add_up`):
//!
//!   | bytes | here | what it buys | Go's `hchan` |
//!   |---:|---|---|---:|
//!   | 16 | `Arc` strong + weak counts | the channel is freed when its last handle goes | 0 (the GC) |
//!   | 8 | `handles`: sender and receiver counts (`u32` each) | close-on-drop mode ([`counter`](crate::counter)): closed when the last sender drops, disconnection when the last receiver does | 0 |
//!   | 8 | `lock` (1 byte), `closed`, `senders`, `receivers` (1 byte each), 4 padding | the lock, and lock-free fast paths | `lock` 8 |
//!   | 8 | `len` | `len()` and the fast paths without the lock | 0 |
//!   | 8 | `cap` | | `dataqsiz` 8 |
//!   | 16 | `buf`: `Box<[MaybeUninit<T>]>` (pointer + length) | the ring buffer | `buf` 8 |
//!   | 24 | `qcount`, `sendx`, `recvx` | | 24 |
//!   | 8 | `State::closed` (1 byte + 7 padding) | | `closed` 4 + `elemsize` 2 + 2 |
//!   | 32 | `recvq`, `sendq` | | 32 |
//!   | 8 | `stash` (boxed, empty until used) | receives that can be cancelled give their value back (I9) | 0 |
//!   | 0 | (the element type is a type parameter) | | `elemtype` 8 |
//!
//!   So the 40 extra bytes are: 16 for reference counting instead of a
//!   collector; 8 for close-on-drop, which Go does not have; 8 for the
//!   stash, which Go does not need because it cannot cancel a receive; 8
//!   for the `len` mirror and the flags beside the lock: Go's fast paths
//!   (`chansend`'s "fast path: check for failed non-blocking operation", and
//!   `len(c)`) read `qcount`, `closed` and `recvq.first` without the lock,
//!   a data race that Go's memory model tolerates there and Rust's does not,
//!   so the fast paths read atomic copies, written under the lock; and 8
//!   for `buf`'s length, a copy of `cap` (a thin pointer would save it, at
//!   the price of unsafe code that rebuilds the slice from `cap`); minus the
//!   8 of Go's `elemtype`. Only that last word and the padding of
//!   `State::closed` (a copy of the atomic `closed`) buy nothing; removing
//!   both would give 120 bytes, still not 96.
//!
//! # Go correspondence (Go 1.19, `src/runtime/chan.go`)
//!
//! | Go | here |
//! |---|---|
//! | `hchan` | [`Hchan`] + [`State`] |
//! | `waitq`, `enqueue`, `dequeue` | [`WaitQ`], [`WaitQ::push`], [`State::dequeue_recv`]/[`State::dequeue_send`] |
//! | `sudog`, `sg.success`, `g.selectDone` | [`Sudog`], [`Sudog::state`], [`SelCtx::done`] |
//! | `chansend` (locked part), `send` | [`State::send_locked`] |
//! | `chanrecv` (locked part), `recv` | [`State::recv_locked`] |
//! | `closechan` | [`Hchan::close`] |
//! | `makechan`, `maxAlloc`, `hchanSize` | [`Hchan::try_new`], [`check_size`], [`MAX_ALLOC`], [`HCHAN_SIZE`] |
//!
//! # Divergences
//!
//! - Sending on a closed channel returns the value in an error instead of
//!   panicking; closing a closed channel is an error.
//! - There is no GC: a sudog lives in the waiter's memory, so a waiter must
//!   unlink itself (under the lock) before its memory goes away — this is what
//!   timeouts and dropped futures do.
//! - `stash` (I9, I10) has no Go counterpart: Go cannot cancel a receive.
//!   Values given back are received before everything buffered — which was
//!   all sent after them — but among themselves they come back in the order
//!   they were given back, not the order they were first handed out. A value
//!   given back after `close` still drains before receives report closed,
//!   but a receive that reported closed (drained) before it came back did
//!   not see it: `closed` is final for the buffer, not for values in flight
//!   to a receiver that may yet cancel.
//! - `makechan`'s size check is Go's, with `size_of::<T>()` as the element
//!   size ([`check_size`]); Go's 64 KiB element limit is not applied. A
//!   buffer Go would accept but the allocator refuses is an error from
//!   [`Hchan::try_new`] (Go dies with `out of memory`).

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomPinned;
use core::mem::MaybeUninit;
use core::ptr;
use core::task::Waker;

use gocore::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use gocore::lock::{SpinLock, SpinLockGuard};
use gocore::scopeguard::{guard, ScopeGuard};

use crate::err::MakeChanError;

/// The largest heap allocation Go allows, in bytes: `1 << heapAddrBits` with
/// 48 address bits on 64-bit targets.
///
/// Go: `maxAlloc` (runtime/malloc.go).
#[cfg(target_pointer_width = "64")]
pub(crate) const MAX_ALLOC: u64 = 1 << 48;
/// The largest heap allocation Go allows, in bytes: `(1 << 32) - 1` on
/// 32-bit targets (and here, on 16-bit ones).
///
/// Go: `maxAlloc` (runtime/malloc.go).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) const MAX_ALLOC: u64 = (1 << 32) - 1;

/// The size of Go's `hchan` rounded up to `maxAlign` (8): 96 bytes on 64-bit
/// targets (11 words of fields and the lock word), 56 on 32-bit ones (52
/// rounded up).
///
/// Go: `hchanSize` (runtime/chan.go).
#[cfg(target_pointer_width = "64")]
pub(crate) const HCHAN_SIZE: u64 = 96;
/// See the 64-bit definition.
#[cfg(not(target_pointer_width = "64"))]
pub(crate) const HCHAN_SIZE: u64 = 56;

/// Go's `makechan` size check: the buffer's size in bytes, or
/// [`MakeChanError::OutOfRange`] exactly when Go panics with
/// `makechan: size out of range`.
///
/// Go: `mem, overflow := math.MulUintptr(elem.size, uintptr(size)); if
/// overflow || mem > maxAlloc-hchanSize || size < 0 { panic(...) }`. Go's
/// size is an `int`, so a capacity above `isize::MAX` is Go's `size < 0`.
pub(crate) fn check_size<T>(cap: usize) -> Result<usize, MakeChanError> {
    if cap > isize::MAX as usize {
        return Err(MakeChanError::OutOfRange);
    }
    let mem = core::mem::size_of::<T>()
        .checked_mul(cap)
        .ok_or(MakeChanError::OutOfRange)?;
    if mem as u64 > MAX_ALLOC - HCHAN_SIZE {
        return Err(MakeChanError::OutOfRange);
    }
    Ok(mem)
}

/// Allocates an uninitialised ring buffer of `cap` slots in O(1) (no
/// per-slot loop, so a huge buffer of zero-sized values costs nothing).
fn alloc_buf<T>(cap: usize) -> Result<Box<[MaybeUninit<T>]>, MakeChanError> {
    let bytes = check_size::<T>(cap)?;
    let mut v: Vec<MaybeUninit<T>> = Vec::new();
    v.try_reserve_exact(cap)
        .map_err(|_| MakeChanError::AllocFailed { bytes })?;
    // SAFETY: the capacity is at least `cap` (just reserved), and
    // `MaybeUninit<T>` needs no initialisation, so the first `cap` elements
    // are valid as they are.
    unsafe { v.set_len(cap) };
    // The capacity is exactly `cap` (`try_reserve_exact` on an empty vector;
    // for a zero-sized `T` nothing is allocated at all), so this does not
    // reallocate.
    Ok(v.into_boxed_slice())
}

/// The sudog is parked and nobody has completed it yet.
pub(crate) const WAITING: u8 = 0;
/// A counterpart completed the operation (value handed over).
pub(crate) const SUCCESS: u8 = 1;
/// The channel was closed while the sudog was parked.
pub(crate) const CLOSED: u8 = 2;

/// Rounds of growing PAUSE bursts before a blocked thread starts yielding
/// (see "Tuning").
pub(crate) const SPIN: u32 = 6;

/// Yields before a blocked thread sleeps (see "Tuning").
#[cfg(not(loom))]
pub(crate) const YIELDS: u32 = 128;
/// Under loom each yield is a scheduling branch: keep models small.
#[cfg(loom)]
pub(crate) const YIELDS: u32 = 1;

/// Per-select shared state: who won, and whom to wake.
///
/// Go: `g.selectDone` plus the goroutine itself.
#[doc(hidden)]
pub struct SelCtx {
    /// 0 while no case has fired; `case + 1` once one has (I7).
    pub(crate) done: AtomicUsize,
    /// The select's waker; taken by the CAS winner only.
    pub(crate) waker: UnsafeCell<Option<Waker>>,
}

impl SelCtx {
    pub(crate) fn new(waker: Waker) -> Self {
        SelCtx {
            done: AtomicUsize::new(0),
            waker: UnsafeCell::new(Some(waker)),
        }
    }

    /// A context with no waker yet: an async select's, armed with the
    /// task's waker only once it is about to park ([`SelCtx::arm`]).
    pub(crate) fn unarmed() -> Self {
        SelCtx {
            done: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores the waker a winning counterpart will take.
    ///
    /// # Safety
    ///
    /// No sudog of this select is linked (nobody else reads the slot), and
    /// the slot is empty (so no foreign `drop` runs here, I12).
    pub(crate) unsafe fn arm(&self, waker: Waker) {
        // SAFETY: exclusive access by the contract.
        let slot = unsafe { &mut *self.waker.get() };
        debug_assert!(slot.is_none());
        *slot = Some(waker);
    }
}

/// A parked send or receive: Go's `sudog`.
pub(crate) struct Sudog<T> {
    next: Cell<*const Sudog<T>>,
    prev: Cell<*const Sudog<T>>,
    linked: Cell<bool>,
    /// The value slot (I5).
    pub(crate) elem: UnsafeCell<MaybeUninit<T>>,
    /// WAITING, SUCCESS or CLOSED (I6).
    pub(crate) state: AtomicU8,
    /// Whom to wake (plain operations); `None` for select sudogs.
    pub(crate) waker: UnsafeCell<Option<Waker>>,
    /// The select this sudog belongs to, or null.
    pub(crate) sel: Cell<*const SelCtx>,
    /// This sudog's case index within its select.
    pub(crate) case: Cell<usize>,
    _pin: PhantomPinned,
}

impl<T> Sudog<T> {
    pub(crate) fn new() -> Self {
        Sudog {
            next: Cell::new(ptr::null()),
            prev: Cell::new(ptr::null()),
            linked: Cell::new(false),
            elem: UnsafeCell::new(MaybeUninit::uninit()),
            state: AtomicU8::new(WAITING),
            waker: UnsafeCell::new(None),
            sel: Cell::new(ptr::null()),
            case: Cell::new(0),
            _pin: PhantomPinned,
        }
    }

    /// Reads the completion state (Acquire: pairs with the completer's Release, I6).
    #[inline]
    pub(crate) fn load_state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    pub(crate) fn is_linked(&self) -> bool {
        self.linked.get()
    }

    /// Re-polls a sudog an async operation has already queued on `c`: returns
    /// its final state once a counterpart has completed it, or `None` after
    /// making sure the counterpart will wake `waker` (the task's latest).
    ///
    /// The task's waker is foreign code: it is cloned, and the replaced one
    /// dropped, outside the lock (I12).
    pub(crate) fn repoll(&self, c: &Hchan<T>, waker: &Waker) -> Option<u8> {
        let state = self.load_state();
        if state != WAITING {
            return Some(state);
        }
        let mut fresh: Option<Waker> = None;
        loop {
            let g = c.lock();
            // Re-check under the lock: a completer sets the state while holding it.
            let state = self.load_state();
            if state != WAITING {
                drop(g);
                drop(fresh);
                return Some(state);
            }
            // SAFETY: the waker slot is only touched under the channel lock,
            // which `g` holds.
            let slot = unsafe { &mut *self.waker.get() };
            // `will_wake` only compares pointers: no foreign code runs.
            if slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
                drop(g);
                drop(fresh);
                return None;
            }
            if let Some(f) = fresh.take() {
                let old = slot.replace(f);
                drop(g);
                drop(old);
                return None;
            }
            drop(g);
            fresh = Some(waker.clone());
        }
    }
}

/// A FIFO of parked sudogs: Go's `waitq`, a doubly linked list.
pub(crate) struct WaitQ<T> {
    first: *const Sudog<T>,
    last: *const Sudog<T>,
}

impl<T> WaitQ<T> {
    const fn new() -> Self {
        WaitQ {
            first: ptr::null(),
            last: ptr::null(),
        }
    }

    fn is_empty(&self) -> bool {
        self.first.is_null()
    }

    /// Appends `s` at the tail. Go: `waitq.enqueue`.
    ///
    /// # Safety
    ///
    /// 1. `s` is not linked (I4) and stays valid and unmoved until unlinked.
    /// 2. The caller holds the lock of the channel owning this queue.
    unsafe fn push(&mut self, s: &Sudog<T>) {
        debug_assert!(!s.linked.get());
        s.next.set(ptr::null());
        s.prev.set(self.last);
        if self.last.is_null() {
            self.first = s;
        } else {
            // SAFETY: `last` is linked, hence valid (precondition 1 of the push
            // that linked it), and we hold the lock (2).
            unsafe { (*self.last).next.set(s) };
        }
        self.last = s;
        s.linked.set(true);
    }

    /// Unlinks and returns the head. Go: the unlinking half of `waitq.dequeue`.
    ///
    /// # Safety
    ///
    /// The caller holds the channel lock; every linked sudog is valid (I4).
    /// The returned reference must not outlive the sudog (its owner frees it
    /// only after it is unlinked and completed, I6).
    unsafe fn pop<'x>(&mut self) -> Option<&'x Sudog<T>> {
        if self.first.is_null() {
            return None;
        }
        // SAFETY: linked sudogs are valid (caller's contract).
        let s = unsafe { &*self.first };
        self.first = s.next.get();
        if self.first.is_null() {
            self.last = ptr::null();
        } else {
            // SAFETY: as above, the new head is linked.
            unsafe { (*self.first).prev.set(ptr::null()) };
        }
        s.next.set(ptr::null());
        s.prev.set(ptr::null());
        s.linked.set(false);
        Some(s)
    }

    /// Unlinks `s` if it is linked. Go: `waitq.dequeueSudoG`.
    ///
    /// # Safety
    ///
    /// 1. The caller holds the channel lock.
    /// 2. If `s` is linked, it is linked into *this* queue.
    pub(crate) unsafe fn remove(&mut self, s: &Sudog<T>) {
        if !s.linked.get() {
            return;
        }
        let (prev, next) = (s.prev.get(), s.next.get());
        if prev.is_null() {
            debug_assert!(ptr::eq(self.first, s));
            self.first = next;
        } else {
            // SAFETY: `prev` is linked into this queue (2), hence valid (I4).
            unsafe { (*prev).next.set(next) };
        }
        if next.is_null() {
            debug_assert!(ptr::eq(self.last, s));
            self.last = prev;
        } else {
            // SAFETY: as above for `next`.
            unsafe { (*next).prev.set(prev) };
        }
        s.next.set(ptr::null());
        s.prev.set(ptr::null());
        s.linked.set(false);
    }
}

/// The lock-protected part of a channel.
pub(crate) struct State<T> {
    /// The ring buffer; `cap` slots (I3).
    buf: Box<[MaybeUninit<T>]>,
    /// Elements in `buf`. Go: `qcount`.
    pub(crate) qcount: usize,
    /// Next slot to fill. Go: `sendx`.
    pub(crate) sendx: usize,
    /// Next slot to drain. Go: `recvx`.
    pub(crate) recvx: usize,
    /// Go: `closed` (I8).
    pub(crate) closed: bool,
    /// Parked receivers. Go: `recvq`.
    pub(crate) recvq: WaitQ<T>,
    /// Parked senders. Go: `sendq`.
    pub(crate) sendq: WaitQ<T>,
    /// Values handed to receives that were then cancelled (I9).
    // Boxed on purpose: it is almost always empty, and keeping it to one
    // word keeps the channel header small (it is 32 bytes unboxed).
    #[allow(clippy::box_collection)]
    stash: Option<Box<VecDeque<T>>>,
}

/// What a locked send attempt did.
pub(crate) enum Sent<T> {
    /// The value went to a receiver or into the buffer; wake this (after unlocking).
    Done(Option<Waker>),
    /// The channel is closed: here is the value back.
    Closed(T),
    /// No receiver and no room: here is the value back.
    Full(T),
}

/// What a locked receive attempt did.
pub(crate) enum Recvd<T> {
    /// A value; wake this (after unlocking).
    Value(T, Option<Waker>),
    /// Closed and drained.
    Closed,
    /// Nothing to receive yet.
    Empty,
}

/// A channel: Go's `hchan`.
pub(crate) struct Hchan<T> {
    lock: SpinLock<()>,
    /// Mirror of `State::closed` for lock-free fast paths (I8).
    closed: AtomicBool,
    /// Mirror of `qcount` for `len()` and lock-free fast paths (never more
    /// than `cap`: stashed values are not counted, I10).
    len: AtomicUsize,
    /// Mirrors of "sendq (or the stash, I10) / recvq non-empty" for
    /// lock-free fast paths.
    senders: AtomicBool,
    receivers: AtomicBool,
    cap: usize,
    /// Handle counts for `Mode::CloseOnDrop` (all zero in Go mode; `counter`).
    pub(crate) handles: crate::counter::Handles,
    st: UnsafeCell<State<T>>,
}

// SAFETY: the `State` (values of type `T` and raw sudog pointers) is only
// reached under `lock`, and values move between threads through it, so
// `T: Send` suffices for both Send and Sync, as for `std::sync::Mutex<T>`.
// Sudog pointers refer to waiters that stay valid while linked (I4).
unsafe impl<T: Send> Send for Hchan<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Hchan<T> {}

/// A held channel lock with access to the state.
pub(crate) struct Locked<'a, T> {
    _guard: SpinLockGuard<'a, ()>,
    pub(crate) chan: &'a Hchan<T>,
}

impl<T> core::ops::Deref for Locked<'_, T> {
    type Target = State<T>;
    fn deref(&self) -> &State<T> {
        // SAFETY: `_guard` holds `chan.lock`, which guards `st`.
        unsafe { &*self.chan.st.get() }
    }
}

impl<T> core::ops::DerefMut for Locked<'_, T> {
    fn deref_mut(&mut self) -> &mut State<T> {
        // SAFETY: `_guard` holds `chan.lock`; `&mut self` makes this the only
        // borrow of the state.
        unsafe { &mut *self.chan.st.get() }
    }
}

impl<T> Hchan<T> {
    /// Go: `makechan`.
    ///
    /// # Panics
    ///
    /// With Go's message `makechan: size out of range` where Go panics
    /// ([`check_size`]); through `handle_alloc_error` (an abort, as for
    /// `Vec::with_capacity`) if the allocator fails.
    #[track_caller]
    pub(crate) fn new(cap: usize) -> Self {
        match Self::try_new(cap) {
            Ok(c) => c,
            Err(MakeChanError::OutOfRange) => panic!("makechan: size out of range"),
            Err(e @ MakeChanError::AllocFailed { .. }) => {
                match core::alloc::Layout::array::<T>(cap) {
                    Ok(layout) => alloc::alloc::handle_alloc_error(layout),
                    // 32-bit: beyond Rust's `isize::MAX` limit, no layout.
                    Err(_) => panic!("{e}"),
                }
            }
        }
    }

    /// Go: `makechan`, reporting what Go panics (or dies) on as an error.
    pub(crate) fn try_new(cap: usize) -> Result<Self, MakeChanError> {
        let buf = alloc_buf::<T>(cap)?;
        Ok(Hchan {
            lock: SpinLock::new(()),
            closed: AtomicBool::new(false),
            len: AtomicUsize::new(0),
            senders: AtomicBool::new(false),
            receivers: AtomicBool::new(false),
            cap,
            handles: crate::counter::Handles::new(),
            st: UnsafeCell::new(State {
                buf,
                qcount: 0,
                sendx: 0,
                recvx: 0,
                closed: false,
                recvq: WaitQ::new(),
                sendq: WaitQ::new(),
                stash: None,
            }),
        })
    }

    #[inline]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Takes the channel lock.
    #[inline]
    pub(crate) fn lock(&self) -> Locked<'_, T> {
        Locked {
            _guard: self.lock.lock(),
            chan: self,
        }
    }

    /// Takes only the raw lock (select locks several channels at once).
    #[inline]
    pub(crate) fn raw_lock(&self) -> SpinLockGuard<'_, ()> {
        self.lock.lock()
    }

    /// The state, for callers holding the lock through [`Hchan::raw_lock`].
    ///
    /// # Safety
    ///
    /// 1. The caller holds a guard of `self.lock` for the whole use of the
    ///    returned reference.
    /// 2. No other reference to the state is live.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn state_locked(&self) -> &mut State<T> {
        // SAFETY: the lock is held (1) and the reference is unique (2).
        unsafe { &mut *self.st.get() }
    }

    /// The address used for select's lock order (Go sorts by `hchan` address).
    pub(crate) fn addr(&self) -> usize {
        self as *const Self as *const u8 as usize
    }

    /// Non-blocking send fast path: Go's "fast path: check for failed
    /// non-blocking operation without acquiring the lock". `true` means the
    /// send can certainly not proceed right now (open and full, or unbuffered
    /// with nobody waiting). Like Go, the two relaxed reads may be stale; a
    /// stale answer is indistinguishable from an answer given a moment earlier.
    #[inline]
    pub(crate) fn send_would_block(&self) -> bool {
        // Order matters (Go's argument): read `closed` first. A channel that
        // was open at that read and full at the later read was full while
        // open at the later instant, since a closed channel never reopens.
        !self.closed.load(Ordering::Acquire)
            && if self.cap == 0 {
                !self.receivers.load(Ordering::Relaxed)
            } else {
                self.len.load(Ordering::Relaxed) >= self.cap
            }
    }

    /// Non-blocking receive fast path (see [`Hchan::send_would_block`]).
    #[inline]
    pub(crate) fn recv_would_block(&self) -> bool {
        // Emptiness first, then `closed` (Go's order): empty-and-open at the
        // later read means the receive could not proceed at that instant. The
        // Acquire loads keep the later reads after the earlier ones.
        self.len.load(Ordering::Acquire) == 0
            && !self.senders.load(Ordering::Acquire)
            && !self.closed.load(Ordering::Acquire)
    }

    /// Go: `closechan`. Wakes every parked receiver (closed) and sender
    /// (value given back), in FIFO order, receivers first.
    pub(crate) fn close(&self) -> bool {
        let mut wake: Vec<Waker> = Vec::new();
        {
            let mut g = self.lock();
            if g.closed {
                return false;
            }
            g.closed = true;
            self.closed.store(true, Ordering::Release);
            // SAFETY: we hold the lock; the sudogs are live while linked (I4).
            while let Some(s) = unsafe { g.dequeue_recv() } {
                // SAFETY: `s` was just dequeued by us under the lock and, if a
                // select's, its CAS won (I7): we complete it.
                if let Some(w) = unsafe { complete(s, CLOSED) } {
                    wake.push(w);
                }
            }
            // SAFETY: as above.
            while let Some(s) = unsafe { g.dequeue_send() } {
                // SAFETY: as above; the sender keeps its value (I5).
                if let Some(w) = unsafe { complete(s, CLOSED) } {
                    wake.push(w);
                }
            }
            g.sync_flags();
        }
        wake_all(wake);
        true
    }

    /// Withdraws a plain send sudog `s` its owner parked on this channel and
    /// is giving up on (timeout, unwinding `Park`, dropped future), under the
    /// lock (I11). Returns the state it ended in and, unless a receiver took
    /// it (`SUCCESS`), the value back — to be dropped or returned by the
    /// caller, outside the lock (I12).
    ///
    /// # Safety
    ///
    /// 1. `s` is a plain (non-select) sudog that the caller enqueued on this
    ///    channel's `sendq` with its value in `elem`, and has not yet
    ///    collected (read `elem` after a non-`WAITING` state).
    pub(crate) unsafe fn abandon_send(&self, s: &Sudog<T>) -> (u8, Option<T>) {
        let mut g = self.lock();
        let state = s.load_state();
        if state == WAITING {
            // SAFETY: lock held; `s` is linked into `sendq` (1, I11).
            unsafe { g.cancel_send(self, s) };
        }
        drop(g);
        if state == SUCCESS {
            return (state, None);
        }
        // SAFETY: WAITING (now unlinked, so nobody can take it any more) or
        // CLOSED: the value is still in `elem` and ours (I5, I6), read once (1).
        (state, Some(unsafe { (*s.elem.get()).assume_init_read() }))
    }

    /// Withdraws a plain receive sudog `s` its owner parked on this channel and
    /// is giving up on (unwinding `Park`, dropped future), under the lock
    /// (I11). A value it was already handed goes back to the channel (I9).
    ///
    /// # Safety
    ///
    /// 1. `s` is a plain (non-select) sudog the caller enqueued on this
    ///    channel's `recvq` and has not yet collected.
    pub(crate) unsafe fn abandon_recv(&self, s: &Sudog<T>) {
        let mut g = self.lock();
        match s.load_state() {
            // SAFETY: lock held; `s` is linked into `recvq` (1, I11).
            WAITING => unsafe { g.cancel_recv(self, s) },
            SUCCESS => {
                // Handed a value nobody will return: give it back (I9).
                // SAFETY: SUCCESS means elem is initialised and ours (I5,
                // I6); not collected yet (1), so this is the only read.
                let v = unsafe { (*s.elem.get()).assume_init_read() };
                // SAFETY: lock held.
                let w = unsafe { g.redeliver(self, v) };
                drop(g);
                if let Some(w) = w {
                    w.wake();
                }
            }
            _ => {}
        }
    }

    /// Puts a value the caller received from this channel, but could not
    /// return, back at its head (I9), and wakes the receiver it may go to.
    pub(crate) fn put_back(&self, v: T) {
        let mut g = self.lock();
        // SAFETY: `g` holds our lock.
        let w = unsafe { g.redeliver(self, v) };
        drop(g);
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Runs `f` — foreign code such as waking the counterpart of a receive
    /// (I12) — while holding the received value `v`, and returns `v`. If `f`
    /// panics, `v` goes back to the head of the channel instead of being
    /// dropped by the unwinding, so no message is lost (I9).
    #[inline]
    pub(crate) fn keep_while(&self, v: T, f: impl FnOnce()) -> T {
        let g = guard(v, |v| self.put_back(v));
        f();
        ScopeGuard::into_inner(g)
    }

    /// Wakes the counterpart of a receive, if any, and returns the received
    /// `v` — or, if the wake panics, puts `v` back (see [`Hchan::keep_while`]).
    #[inline]
    pub(crate) fn wake_sender(&self, v: T, w: Option<Waker>) -> T {
        match w {
            None => v,
            Some(w) => self.keep_while(v, || w.wake()),
        }
    }
}

/// Wakes every waker in `wakers`, in order. If one panics, an unwind guard
/// still wakes all the others before the panic propagates (a second panic
/// then aborts, as any panic during unwinding does): a waiter that was
/// completed but never woken would sleep forever.
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    struct Rest(alloc::vec::IntoIter<Waker>);
    impl Drop for Rest {
        fn drop(&mut self) {
            for w in self.0.by_ref() {
                w.wake();
            }
        }
    }
    let mut rest = Rest(wakers.into_iter());
    for w in rest.0.by_ref() {
        w.wake();
    }
}

/// Takes the sudog's waker (its own, or its select's) and publishes `state`.
///
/// # Safety
///
/// 1. The caller holds the lock of the channel `s` was dequeued from, and `s`
///    was dequeued by [`State::dequeue_recv`]/[`State::dequeue_send`] (so a
///    select's CAS was won by us, I7).
/// 2. The value transfer for `state` is done (I5).
///
/// After this call `s` must not be touched (I6).
///
/// `s` is a raw pointer, not a reference: the moment the state is published
/// the waiter may return and free its sudog, so no reference to the whole
/// sudog may be live across the store (a `&Sudog` argument would be, for the
/// entire call). The store itself goes through the atomic field alone, all of
/// which is interior-mutable, as `Arc`'s final decrement does.
pub(crate) unsafe fn complete<T>(s: *const Sudog<T>, state: u8) -> Option<Waker> {
    // SAFETY: `s` is live until the store below (I6) and dequeued by us (1).
    let sel = unsafe { (*s).sel.get() };
    let w = if sel.is_null() {
        // SAFETY: the waker is only written under the lock (1); `s` is live.
        unsafe { (*(*s).waker.get()).take() }
    } else {
        // SAFETY: `sel` outlives its linked sudogs; only the CAS winner (us, 1)
        // touches its waker after the select parked.
        unsafe { (*(*sel).waker.get()).take() }
    };
    // SAFETY: `s` is live up to and including this store (I6); afterwards it
    // is not touched again.
    unsafe { (*s).state.store(state, Ordering::Release) };
    w
}

impl<T> State<T> {
    /// Go: `waitq.dequeue` on `recvq`, including its select skip: a select
    /// sudog is returned only if we win its select (I7); the others are
    /// unlinked and skipped.
    ///
    /// # Safety
    ///
    /// The caller holds this channel's lock.
    pub(crate) unsafe fn dequeue_recv<'x>(&mut self) -> Option<&'x Sudog<T>> {
        // SAFETY: forwarded.
        unsafe { dequeue(&mut self.recvq) }
    }

    /// As [`State::dequeue_recv`], on `sendq`.
    ///
    /// # Safety
    ///
    /// The caller holds this channel's lock.
    pub(crate) unsafe fn dequeue_send<'x>(&mut self) -> Option<&'x Sudog<T>> {
        // SAFETY: forwarded.
        unsafe { dequeue(&mut self.sendq) }
    }

    /// Refreshes the lock-free mirrors after a change (still under the lock).
    #[inline]
    pub(crate) fn sync_flags_of(&self, c: &Hchan<T>) {
        // Release: the lock-free fast paths read these with Acquire.
        // A stashed value counts as a parked sender, not as buffered (I10).
        c.len.store(self.qcount, Ordering::Release);
        c.senders
            .store(!self.sendq.is_empty() || self.stash_len() != 0, Ordering::Release);
        c.receivers
            .store(!self.recvq.is_empty(), Ordering::Release);
    }

    #[inline]
    fn stash_len(&self) -> usize {
        self.stash.as_ref().map_or(0, |s| s.len())
    }

    #[inline]
    fn buf_put(&mut self, v: T) {
        debug_assert!(self.qcount < self.buf.len());
        self.buf[self.sendx].write(v);
        self.sendx += 1;
        if self.sendx == self.buf.len() {
            self.sendx = 0;
        }
        self.qcount += 1;
    }

    /// Puts `v` in front of the oldest buffered value (I9): `recvx` steps
    /// back one slot, `sendx` stays, so I3 still holds.
    #[inline]
    fn buf_put_front(&mut self, v: T) {
        debug_assert!(self.qcount < self.buf.len());
        self.recvx = self.recvx.checked_sub(1).unwrap_or(self.buf.len() - 1);
        self.buf[self.recvx].write(v);
        self.qcount += 1;
    }

    #[inline]
    fn buf_take(&mut self) -> T {
        debug_assert!(self.qcount > 0);
        // SAFETY: `recvx` is within the initialised window while qcount > 0
        // (I3); advancing `recvx` below marks the slot uninitialised again.
        let v = unsafe { self.buf[self.recvx].assume_init_read() };
        self.recvx += 1;
        if self.recvx == self.buf.len() {
            self.recvx = 0;
        }
        self.qcount -= 1;
        v
    }

    /// The locked part of `chansend`: hand off to a parked receiver, else
    /// buffer, else report full. Go: `chansend` after `lock(&c.lock)`, and `send`.
    ///
    /// # Safety
    ///
    /// `self` is the state of `c`, whose lock the caller holds.
    #[inline]
    pub(crate) unsafe fn send_locked(&mut self, c: &Hchan<T>, v: T) -> Sent<T> {
        if self.closed {
            return Sent::Closed(v);
        }
        // SAFETY: we hold the lock (caller's contract).
        if let Some(r) = unsafe { self.dequeue_recv() } {
            // Direct hand-off: copy straight into the receiver's slot.
            // SAFETY: a parked receiver's elem is uninitialised and ours to
            // fill (I5); after `complete` we never touch `r` (I6).
            let w = unsafe {
                (*r.elem.get()).write(v);
                complete(r, SUCCESS)
            };
            self.sync_flags_of(c);
            return Sent::Done(w);
        }
        if self.qcount < self.buf.len() {
            self.buf_put(v);
            self.sync_flags_of(c);
            return Sent::Done(None);
        }
        Sent::Full(v)
    }

    /// The locked part of `chanrecv`. Go: `chanrecv` after `lock(&c.lock)`, and `recv`.
    ///
    /// # Safety
    ///
    /// `self` is the state of `c`, whose lock the caller holds.
    #[inline]
    pub(crate) unsafe fn recv_locked(&mut self, c: &Hchan<T>) -> Recvd<T> {
        if let Some(v) = self.stash.as_mut().and_then(|s| s.pop_front()) {
            self.sync_flags_of(c);
            return Recvd::Value(v, None);
        }
        if self.closed && self.qcount == 0 {
            return Recvd::Closed;
        }
        // SAFETY: we hold the lock.
        if let Some(s) = unsafe { self.dequeue_send() } {
            // SAFETY: a parked sender's elem holds its value (I5); we move it
            // out exactly once and then complete it (I6).
            let sv = unsafe { (*s.elem.get()).assume_init_read() };
            let v = if self.buf.is_empty() {
                // Unbuffered: take straight from the sender.
                sv
            } else {
                // Full buffer: take the head, put the sender's value at the
                // tail (the same slot), as Go's `recv` does.
                debug_assert_eq!(self.qcount, self.buf.len());
                let head = self.buf_take();
                self.buf_put(sv);
                debug_assert_eq!(self.sendx, self.recvx);
                head
            };
            // SAFETY: the transfer is done; we hold the lock.
            let w = unsafe { complete(s, SUCCESS) };
            self.sync_flags_of(c);
            return Recvd::Value(v, w);
        }
        if self.qcount > 0 {
            let v = self.buf_take();
            self.sync_flags_of(c);
            return Recvd::Value(v, None);
        }
        Recvd::Empty
    }

    /// Re-delivers a value a receiver had been handed but could not return
    /// (I9): first to a parked receiver, else to the head of the buffer if it
    /// has room, else to the front of the stash (I10).
    ///
    /// # Safety
    ///
    /// `self` is the state of `c`, whose lock the caller holds.
    pub(crate) unsafe fn redeliver(&mut self, c: &Hchan<T>, v: T) -> Option<Waker> {
        // SAFETY: we hold the lock.
        if let Some(r) = unsafe { self.dequeue_recv() } {
            // SAFETY: as in `send_locked`.
            let w = unsafe {
                (*r.elem.get()).write(v);
                complete(r, SUCCESS)
            };
            self.sync_flags_of(c);
            return w;
        }
        if self.qcount < self.buf.len() {
            // Room: no stash (I10), and everything buffered was sent after
            // `v` was handed out (a receiver parks only on an empty buffer).
            debug_assert_eq!(self.stash_len(), 0);
            self.buf_put_front(v);
        } else {
            self.stash.get_or_insert_with(Default::default).push_front(v);
        }
        self.sync_flags_of(c);
        None
    }

    /// Parks `s` on `recvq`.
    ///
    /// # Safety
    ///
    /// Lock held; `s` unlinked, valid and unmoved until unlinked (under the lock).
    pub(crate) unsafe fn enqueue_recv(&mut self, c: &Hchan<T>, s: &Sudog<T>) {
        // SAFETY: forwarded.
        unsafe { self.recvq.push(s) };
        self.sync_flags_of(c);
    }

    /// Parks `s` (whose elem holds the value) on `sendq`.
    ///
    /// # Safety
    ///
    /// As [`State::enqueue_recv`]; `s.elem` is initialised (I5).
    pub(crate) unsafe fn enqueue_send(&mut self, c: &Hchan<T>, s: &Sudog<T>) {
        // SAFETY: forwarded.
        unsafe { self.sendq.push(s) };
        self.sync_flags_of(c);
    }

    /// Unlinks `s` from `recvq` if still linked.
    ///
    /// # Safety
    ///
    /// Lock held; `s` is either unlinked or linked into this channel's `recvq`.
    pub(crate) unsafe fn cancel_recv(&mut self, c: &Hchan<T>, s: &Sudog<T>) {
        // SAFETY: forwarded.
        unsafe { self.recvq.remove(s) };
        self.sync_flags_of(c);
    }

    /// Unlinks `s` from `sendq` if still linked.
    ///
    /// # Safety
    ///
    /// Lock held; `s` is either unlinked or linked into this channel's `sendq`.
    pub(crate) unsafe fn cancel_send(&mut self, c: &Hchan<T>, s: &Sudog<T>) {
        // SAFETY: forwarded.
        unsafe { self.sendq.remove(s) };
        self.sync_flags_of(c);
    }
}

impl<T> Locked<'_, T> {
    /// The `hchan` fields, for [`Chan::snapshot`](crate::Chan::snapshot).
    pub(crate) fn snapshot(&self) -> crate::chan::Snapshot {
        let count = |q: &WaitQ<T>| {
            let mut n = 0;
            let mut p = q.first;
            while !p.is_null() {
                n += 1;
                // SAFETY: linked sudogs are valid while we hold the lock (I4).
                p = unsafe { (*p).next.get() };
            }
            n
        };
        crate::chan::Snapshot {
            qcount: self.qcount,
            dataqsiz: self.buf.len(),
            sendx: self.sendx,
            recvx: self.recvx,
            closed: self.closed,
            recvq: count(&self.recvq),
            sendq: count(&self.sendq),
        }
    }

    fn sync_flags(&self) {
        let c = self.chan;
        (**self).sync_flags_of(c);
    }
}

/// Go's `waitq.dequeue`: pops until it finds a sudog it may complete.
///
/// # Safety
///
/// The caller holds the lock of the channel owning `q`.
unsafe fn dequeue<'x, T>(q: &mut WaitQ<T>) -> Option<&'x Sudog<T>> {
    loop {
        // SAFETY: forwarded.
        let s = unsafe { q.pop() }?;
        let sel = s.sel.get();
        if sel.is_null() {
            return Some(s);
        }
        // SAFETY: a select's ctx outlives its linked sudogs.
        let done = unsafe { &(*sel).done };
        if done
            .compare_exchange(0, s.case.get() + 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return Some(s);
        }
        // Another case of this select already won: skip (Go: "if the goroutine
        // was put on this queue because of a select, there is a small window
        // between the goroutine being woken up by a different case and it
        // grabbing the channel locks").
    }
}

impl<T> Drop for Hchan<T> {
    fn drop(&mut self) {
        /// Keeps draining if an element's `Drop` panics, so the rest are
        /// still dropped (a second panic aborts, as in `Vec`'s drop).
        struct Drain<'a, T>(&'a mut State<T>);
        impl<T> Drop for Drain<'_, T> {
            fn drop(&mut self) {
                while self.0.qcount > 0 {
                    drop(self.0.buf_take());
                }
            }
        }
        let st = self.st.get_mut();
        debug_assert!(st.recvq.is_empty() && st.sendq.is_empty());
        let d = Drain(st);
        while d.0.qcount > 0 {
            drop(d.0.buf_take());
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The table in "Tuning", word by word.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn header_bytes_add_up() {
        use core::mem::size_of;
        let arc_counts = 2 * size_of::<usize>();
        let handles = size_of::<crate::counter::Handles>();
        let lock_and_flags = size_of::<SpinLock<()>>() + 3 * size_of::<AtomicBool>();
        let buf = size_of::<Box<[MaybeUninit<usize>]>>();
        let queues = 2 * size_of::<WaitQ<usize>>();
        let stash = size_of::<Option<Box<VecDeque<usize>>>>();
        assert_eq!((arc_counts, handles, lock_and_flags, buf, queues, stash), (16, 8, 4, 16, 32, 8));
        // State: buf, qcount/sendx/recvx, closed (padded to a word), queues, stash.
        assert_eq!(size_of::<State<usize>>(), buf + 3 * 8 + 8 + queues + stash);
        // Hchan: the four flag bytes padded to a word, len, cap, handles, State.
        assert_eq!(size_of::<Hchan<usize>>(), 8 + 8 + 8 + handles + size_of::<State<usize>>());
        assert_eq!(crate::EMPTY_CHAN_BYTES, 136);
        assert_eq!(crate::EMPTY_CHAN_BYTES, size_of::<Hchan<usize>>() + arc_counts);
    }

    #[test]
    fn ring_indices_wrap_and_stay_consistent() {
        let c = Hchan::new(3);
        for round in 0..10usize {
            let mut g = c.lock();
            for i in 0..3 {
                // SAFETY: lock held.
                assert!(matches!(unsafe { g.send_locked(c_ref(&c), round * 3 + i) }, Sent::Done(None)));
            }
            // SAFETY: lock held.
            assert!(matches!(unsafe { g.send_locked(c_ref(&c), 99) }, Sent::Full(99)));
            assert_eq!(g.sendx, g.recvx);
            assert_eq!(g.qcount, 3);
            for i in 0..3 {
                // SAFETY: lock held.
                match unsafe { g.recv_locked(c_ref(&c)) } {
                    Recvd::Value(v, None) => assert_eq!(v, round * 3 + i),
                    _ => panic!("expected a value"),
                }
            }
            assert_eq!(g.qcount, 0);
            drop(g);
            assert_eq!(c.len(), 0);
        }
    }

    fn c_ref<T>(c: &Hchan<T>) -> &Hchan<T> {
        c
    }

    #[test]
    fn full_buffer_with_parked_sender_rotates_head_to_tail() {
        let c = Hchan::new(2);
        let s = Sudog::new();
        {
            let mut g = c.lock();
            // SAFETY: lock held.
            unsafe {
                assert!(matches!(g.send_locked(&c, 1), Sent::Done(_)));
                assert!(matches!(g.send_locked(&c, 2), Sent::Done(_)));
                (*s.elem.get()).write(3);
                g.enqueue_send(&c, &s);
            }
        }
        let mut got = std::vec::Vec::new();
        for _ in 0..3 {
            let mut g = c.lock();
            // SAFETY: lock held.
            match unsafe { g.recv_locked(&c) } {
                Recvd::Value(v, _) => got.push(v),
                _ => panic!("expected a value"),
            }
        }
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(s.load_state(), SUCCESS);
        assert!(!s.is_linked());
    }
}
