//! `select`: wait on several channel operations, perform exactly one.
//!
//! # What
//!
//! Go's `selectgo` (runtime/select.go), in three passes over a case list:
//!
//! ```text
//!  cases:      [ recv a | send b | recv a | recv nil ]
//!  pollorder:  random permutation of the non-nil cases (Fisher–Yates, fastrandn)
//!  lockorder:  pollorder heap-sorted by hchan address; equal channels adjacent
//!
//!  pass 0  (not in Go) try each case in pollorder under its own lock only,
//!          skipping those the lock-free test shows blocked → first ready fires
//!  pass 1  lock all (lockorder, each channel once) → try each case in pollorder
//!          → first ready one fires → unlock all (reverse) → done
//!          (nothing ready and `default` present → unlock, return "default")
//!  pass 2  park one sudog per case on its channel (lockorder), all sharing a
//!          SelCtx{done}, unlock all, sleep until done != 0
//!  pass 3  relock all; done = winner + 1; unlink every other sudog; unlock
//! ```
//!
//! # Invariants
//!
//! - S1. Every channel is locked at most once per pass, in increasing address
//!   order, and unlocked in reverse: two selects over overlapping channel sets
//!   cannot deadlock (spec statement 18).
//! - S2. A case completes only through the CAS of `SelCtx::done` (hchan I7), so
//!   exactly one case of a parked select fires, and a select cannot
//!   communicate with itself (its sudogs are parked only after pass 1, and a
//!   counterpart never is the select itself).
//! - S3. Every sudog a select parked is unlinked before the select returns
//!   (pass 3 holds all the locks), so no queue refers to a dead frame; an
//!   async select runs pass 3 when it completes or when its future is
//!   dropped. If the wait unwinds, an unwind guard runs pass 3 all the same;
//!   a value a receive case had already won then goes back to its channel
//!   (hchan I9).
//!   Passes 2 and 3 themselves must not unwind (they hold every lock while
//!   sudogs are linked): a case breaking that contract aborts the process
//!   instead.
//! - S4. The counterpart's waker is woken after every lock is released
//!   (hchan I12). If it panics after a receive case fired, the case gives its
//!   value back to the channel ([`Case::unfire`]) before the panic goes on;
//!   so it does if dropping an async select's spare waker clone panics.
//!
//! # Async select
//!
//! [`Select::select_async`] and [`select_async!`](crate::select_async!) run
//! the same passes, split across polls of a future that owns its cases
//! (boxed in a [`Select`], or nested pairs `(case, (case, ()))` built by the
//! macro, [`Cases`]) next to the shared [`SelCtx`]; the future is `!Unpin`,
//! so once polled neither moves while a sudog points into them:
//!
//! ```text
//!  first poll   pass 0; nothing fired → clone the task's waker (no lock
//!               held, hchan I12) → pass 1 under every lock → nothing fired
//!               → move the clone into SelCtx (no foreign code) → pass 2 →
//!               unlock → wait::set(reason) → Pending
//!               (no non-nil case: Pending for ever, nothing linked)
//!  later polls  done != 0 → pass 3 → Ready(the winner's handler / arm)
//!               done == 0 → lock every channel, swap in the task's new
//!               waker (cloned beforehand; the old one dropped after
//!               unlocking) unless `will_wake` says it is the same → Pending
//!  drop         still parked → pass 3; a winning receive gives its value
//!               back to the head of its channel (`unfire`, hchan I9)
//! ```
//!
//! The wait reason is Go's: `select`; `select (no cases)` for a select
//! without cases; and for a one-case `select_async!` the plain operation's
//! (`chan receive`, `chan send (nil chan)`, ...), since Go compiles a
//! one-case `select` statement into that operation (`reflect.Select`, like
//! [`Select`], always reports `select`).
//!
//! With every lock of the select held and `done == 0`, no counterpart can
//! win (its CAS runs under one of those locks, hchan I7), so the waker slot
//! in `SelCtx` is the select's own to replace. A select whose future is
//! dropped — or forgotten: the cases are owned by the pinned future, so
//! leaking it leaks them too — never leaves a queue pointing at freed
//! memory (S3).
//!
//! # Go correspondence
//!
//! `selectgo` → [`select_go`]; `scase` → [`RecvCase`]/[`SendCase`];
//! `pollorder`/`lockorder` (uint16 arrays) → the same (built by
//! [`poll_order`] and [`lock_order`]); `sellock`/`selunlock`
//! → [`lock_all`]; `reflect.Select` → [`Select`]; `gopark(selparkcommit,
//! …, waitReasonSelect, …)` → an async select's `Pending` with
//! [`wait::set`]; `block()` (`select {}`) → [`select_no_cases`].
//!
//! # Divergences
//!
//! A send case on a closed channel does not panic: it fires, and the value
//! comes back in `Err(SendError)` (the `select!` arm without `-> res` panics
//! with Go's message instead, so Go's behaviour is one keystroke away).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::future::Future;
use core::marker::{PhantomData, PhantomPinned};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use gocore::atomic::Ordering;
use gocore::lock::SpinLockGuard;
use gocore::scopeguard::{guard, ScopeGuard};
use gocore::wait::{self, WaitReason};

use crate::blocking::Wait;
use crate::chan::{CanRecv, CanSend};
use crate::err::SendError;
use crate::hchan::{Hchan, Recvd, SelCtx, Sent, Sudog, SUCCESS};

/// One case of a select, type-erased so cases on channels of different
/// element types can sit in one list. Used by [`select!`](crate::select!).
///
/// # Safety
///
/// Implementors must uphold: `raw_lock` locks the channel whose address
/// `addr` returns (0 only for the nil channel, whose other methods are never
/// called); the `*_locked` methods touch only that channel's state; a sudog
/// passed to a queue by `enqueue_locked` stays valid and unmoved until
/// `dequeue_locked` or `finish_locked` has run; `enqueue_locked`,
/// `dequeue_locked` and `finish_locked` do not panic (they run with every
/// lock held while other cases' sudogs are linked, where an unwind would
/// leave a queue pointing into a dead frame).
#[doc(hidden)]
pub unsafe trait Case<'a> {
    /// The channel's address (Go's lock order key); 0 for nil.
    fn addr(&self) -> usize;
    /// Locks the channel.
    fn raw_lock(&self) -> SpinLockGuard<'a, ()>;
    /// A lock-free hint: `true` if the operation certainly cannot proceed
    /// now (Go's non-blocking fast-path test). May be stale; used only to
    /// skip a case in pass 0.
    fn would_block(&self) -> bool;
    /// Pass 1: try the operation. `Some(w)` if it fired (wake `w` after unlocking).
    ///
    /// # Safety
    ///
    /// The channel's lock is held.
    unsafe fn poll_locked(&mut self) -> Option<Option<Waker>>;
    /// Pass 2: park a sudog for case `index` of the select `ctx`.
    ///
    /// # Safety
    ///
    /// Lock held; `ctx` outlives the parked sudog; `self` is not moved until
    /// `dequeue_locked`/`finish_locked`.
    unsafe fn enqueue_locked(&mut self, ctx: *const SelCtx, index: usize);
    /// Pass 3, losing cases: unlink the sudog if still linked.
    ///
    /// # Safety
    ///
    /// Lock held.
    unsafe fn dequeue_locked(&mut self);
    /// Pass 3, the winning case: collect its result from the sudog.
    ///
    /// # Safety
    ///
    /// Lock held; this case's sudog was completed (the select's CAS chose it).
    unsafe fn finish_locked(&mut self);
    /// Unwinding after this case fired (no lock held): give back what the
    /// case took from its channel, so a panic loses no message. A received
    /// value goes back to the head of the channel (hchan I9); a send cannot
    /// be undone and keeps its result.
    fn unfire(&mut self) {}
    /// Go's wait reason for a `select` with only this case: Go compiles it
    /// into the plain channel operation (`chan receive`, `chan send`, or
    /// their `(nil chan)` variants).
    fn lone_wait_reason(&self) -> WaitReason {
        WaitReason::Select
    }
}

/// A receive case: `recv(c) -> v`.
#[doc(hidden)]
pub struct RecvCase<'a, T> {
    chan: Option<&'a Hchan<T>>,
    sudog: Sudog<T>,
    result: Option<Option<T>>,
}

/// A send case: `send(c, v)`.
#[doc(hidden)]
pub struct SendCase<'a, T> {
    chan: Option<&'a Hchan<T>>,
    value: Option<T>,
    sudog: Sudog<T>,
    result: Option<Result<(), SendError<T>>>,
}

// SAFETY: a case owns at most one `T` (its value, result or sudog slot) and
// borrows a channel that is `Sync` for `T: Send`; the sudog's raw pointers
// are only followed under the channel lock, and only while the select that
// linked it keeps the case in place. Moving a case moves its `T`. (An async
// select's future owns its cases, so this makes it `Send`.)
unsafe impl<T: Send> Send for RecvCase<'_, T> {}
// SAFETY: as for `RecvCase`.
unsafe impl<T: Send> Send for SendCase<'_, T> {}

impl<'a, T> RecvCase<'a, T> {
    /// A receive case on `c`.
    pub fn new<C: CanRecv<T> + ?Sized>(c: &'a C) -> Self {
        RecvCase {
            chan: c.as_chan().hchan(),
            sudog: Sudog::new(),
            result: None,
        }
    }

    /// Whether this case was chosen.
    pub fn fired(&self) -> bool {
        self.result.is_some()
    }

    /// The received value (`None`: closed). Call only if [`RecvCase::fired`].
    pub fn into_value(self) -> Option<T> {
        self.result.expect("select: case did not fire")
    }
}

impl<'a, T> SendCase<'a, T> {
    /// A send case of `v` on `c`.
    pub fn new<C: CanSend<T> + ?Sized>(c: &'a C, v: T) -> Self {
        SendCase {
            chan: c.as_chan().hchan(),
            value: Some(v),
            sudog: Sudog::new(),
            result: None,
        }
    }

    /// Whether this case was chosen.
    pub fn fired(&self) -> bool {
        self.result.is_some()
    }

    /// The outcome; `Err` gives the value back (closed channel).
    pub fn into_result(self) -> Result<(), SendError<T>> {
        self.result.expect("select: case did not fire")
    }

    /// The outcome, panicking like Go on a closed channel.
    pub fn into_sent(self) {
        if self.into_result().is_err() {
            panic!("send on closed channel");
        }
    }
}

fn addr_of<T>(c: Option<&Hchan<T>>) -> usize {
    c.map_or(0, Hchan::addr)
}

// SAFETY: `raw_lock` locks `chan`, whose address `addr` reports; the locked
// methods only touch `chan`'s state; the sudog is a field of `self`, which the
// engine keeps in place between enqueue and dequeue/finish.
unsafe impl<'a, T> Case<'a> for RecvCase<'a, T> {
    fn addr(&self) -> usize {
        addr_of(self.chan)
    }

    fn would_block(&self) -> bool {
        self.chan.is_none_or(Hchan::recv_would_block)
    }

    fn lone_wait_reason(&self) -> WaitReason {
        match self.chan {
            Some(_) => WaitReason::ChanReceive,
            None => WaitReason::ChanReceiveNilChan,
        }
    }

    fn raw_lock(&self) -> SpinLockGuard<'a, ()> {
        self.chan.expect("nil channel is never locked").raw_lock()
    }

    unsafe fn poll_locked(&mut self) -> Option<Option<Waker>> {
        let c = self.chan?;
        // SAFETY: the lock is held (contract) and no other state reference is live.
        let st = unsafe { c.state_locked() };
        // SAFETY: lock held.
        match unsafe { st.recv_locked(c) } {
            Recvd::Value(v, w) => {
                self.result = Some(Some(v));
                Some(w)
            }
            Recvd::Closed => {
                self.result = Some(None);
                Some(None)
            }
            Recvd::Empty => None,
        }
    }

    unsafe fn enqueue_locked(&mut self, ctx: *const SelCtx, index: usize) {
        let Some(c) = self.chan else { return };
        self.sudog.sel.set(ctx);
        self.sudog.case.set(index);
        // SAFETY: lock held; the sudog stays in place (contract).
        unsafe { c.state_locked().enqueue_recv(c, &self.sudog) };
    }

    unsafe fn dequeue_locked(&mut self) {
        let Some(c) = self.chan else { return };
        // SAFETY: lock held; the sudog is in `recvq` or nowhere.
        unsafe { c.state_locked().cancel_recv(c, &self.sudog) };
    }

    unsafe fn finish_locked(&mut self) {
        debug_assert!(!self.sudog.is_linked());
        self.result = Some(if self.sudog.load_state() == SUCCESS {
            // SAFETY: SUCCESS: elem was filled by the sender (I5).
            Some(unsafe { (*self.sudog.elem.get()).assume_init_read() })
        } else {
            None
        });
    }

    fn unfire(&mut self) {
        // Only a received value goes back; "closed" stays this case's result.
        if let (Some(c), Some(Some(_))) = (self.chan, &self.result) {
            if let Some(Some(v)) = self.result.take() {
                c.put_back(v);
            }
        }
    }
}

// SAFETY: as for `RecvCase`.
unsafe impl<'a, T> Case<'a> for SendCase<'a, T> {
    fn addr(&self) -> usize {
        addr_of(self.chan)
    }

    fn would_block(&self) -> bool {
        self.chan.is_none_or(Hchan::send_would_block)
    }

    fn lone_wait_reason(&self) -> WaitReason {
        match self.chan {
            Some(_) => WaitReason::ChanSend,
            None => WaitReason::ChanSendNilChan,
        }
    }

    fn raw_lock(&self) -> SpinLockGuard<'a, ()> {
        self.chan.expect("nil channel is never locked").raw_lock()
    }

    unsafe fn poll_locked(&mut self) -> Option<Option<Waker>> {
        let c = self.chan?;
        let v = self.value.take()?;
        // SAFETY: lock held, unique reference.
        let st = unsafe { c.state_locked() };
        // SAFETY: lock held.
        match unsafe { st.send_locked(c, v) } {
            Sent::Done(w) => {
                self.result = Some(Ok(()));
                Some(w)
            }
            Sent::Closed(v) => {
                self.result = Some(Err(SendError(v)));
                Some(None)
            }
            Sent::Full(v) => {
                self.value = Some(v);
                None
            }
        }
    }

    unsafe fn enqueue_locked(&mut self, ctx: *const SelCtx, index: usize) {
        let Some(c) = self.chan else { return };
        let v = self.value.take().expect("send case has its value");
        self.sudog.sel.set(ctx);
        self.sudog.case.set(index);
        // SAFETY: fresh elem; lock held; the sudog stays in place.
        unsafe {
            (*self.sudog.elem.get()).write(v);
            c.state_locked().enqueue_send(c, &self.sudog);
        }
    }

    unsafe fn dequeue_locked(&mut self) {
        let Some(c) = self.chan else { return };
        // SAFETY: lock held; the sudog is in `sendq` or nowhere.
        unsafe { c.state_locked().cancel_send(c, &self.sudog) };
        // A losing case was not completed (S2): its value is still in elem (I5).
        // SAFETY: unlinked and not completed: elem holds our value.
        let v = unsafe { (*self.sudog.elem.get()).assume_init_read() };
        self.value = Some(v);
    }

    unsafe fn finish_locked(&mut self) {
        debug_assert!(!self.sudog.is_linked());
        self.result = Some(if self.sudog.load_state() == SUCCESS {
            Ok(())
        } else {
            // SAFETY: CLOSED: the value stayed in elem (I5).
            Err(SendError(unsafe {
                (*self.sudog.elem.get()).assume_init_read()
            }))
        });
    }
}

/// A list of select cases the engine indexes: a slice (the blocking
/// `select!`'s `&mut dyn Case`s, [`Select`]'s boxes) or the nested pairs
/// `(case, (case, ()))` that an async select owns.
///
/// # Safety
///
/// `len` never changes, and `get`/`get_mut` return the same case for the
/// same index at every call, at the same address as long as the list is
/// not moved (the engine relies on it to unlink every sudog it linked).
#[doc(hidden)]
pub unsafe trait Cases<'a> {
    /// The number of cases, nil ones included.
    fn len(&self) -> usize;
    /// Whether there are no cases at all (Go's `select {}`).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Case `i`, `i < len()`.
    fn get(&self, i: usize) -> &(dyn Case<'a> + '_);
    /// Case `i`, `i < len()`.
    fn get_mut(&mut self, i: usize) -> &mut (dyn Case<'a> + '_);
}

// SAFETY: a slice's length and elements' addresses are fixed while it is borrowed.
unsafe impl<'a, E: Case<'a>> Cases<'a> for [E] {
    fn len(&self) -> usize {
        <[E]>::len(self)
    }
    fn get(&self, i: usize) -> &(dyn Case<'a> + '_) {
        &self[i]
    }
    fn get_mut(&mut self, i: usize) -> &mut (dyn Case<'a> + '_) {
        &mut self[i]
    }
}

// SAFETY: the empty list; `get` is never called on it.
unsafe impl<'a> Cases<'a> for () {
    fn len(&self) -> usize {
        0
    }
    fn get(&self, _: usize) -> &(dyn Case<'a> + '_) {
        unreachable!("select: case index out of range")
    }
    fn get_mut(&mut self, _: usize) -> &mut (dyn Case<'a> + '_) {
        unreachable!("select: case index out of range")
    }
}

// SAFETY: case 0 is the head field, case `i > 0` the tail's case `i - 1`:
// fields of the pair, so fixed while the pair does not move.
unsafe impl<'a, H: Case<'a>, T: Cases<'a>> Cases<'a> for (H, T) {
    fn len(&self) -> usize {
        1 + self.1.len()
    }
    fn get(&self, i: usize) -> &(dyn Case<'a> + '_) {
        match i {
            0 => &self.0,
            _ => self.1.get(i - 1),
        }
    }
    fn get_mut(&mut self, i: usize) -> &mut (dyn Case<'a> + '_) {
        match i {
            0 => &mut self.0,
            _ => self.1.get_mut(i - 1),
        }
    }
}

/// Forwards every method of [`Case`] to the case behind a pointer.
macro_rules! forward_case {
    ($ptr:ty) => {
        // SAFETY: forwards to the pointee, which upholds the contract; the
        // pointee does not move while the pointer does.
        unsafe impl<'a, C: Case<'a> + ?Sized> Case<'a> for $ptr {
            fn addr(&self) -> usize {
                (**self).addr()
            }
            fn raw_lock(&self) -> SpinLockGuard<'a, ()> {
                (**self).raw_lock()
            }
            fn would_block(&self) -> bool {
                (**self).would_block()
            }
            unsafe fn poll_locked(&mut self) -> Option<Option<Waker>> {
                // SAFETY: forwarded contract.
                unsafe { (**self).poll_locked() }
            }
            unsafe fn enqueue_locked(&mut self, ctx: *const SelCtx, index: usize) {
                // SAFETY: forwarded contract.
                unsafe { (**self).enqueue_locked(ctx, index) }
            }
            unsafe fn dequeue_locked(&mut self) {
                // SAFETY: forwarded contract.
                unsafe { (**self).dequeue_locked() }
            }
            unsafe fn finish_locked(&mut self) {
                // SAFETY: forwarded contract.
                unsafe { (**self).finish_locked() }
            }
            fn unfire(&mut self) {
                (**self).unfire();
            }
            fn lone_wait_reason(&self) -> WaitReason {
                (**self).lone_wait_reason()
            }
        }
    };
}

forward_case!(&mut C);
forward_case!(Box<C>);

/// Inline capacity of the order arrays before falling back to the heap.
const INLINE: usize = 8;

/// Go's `order` array: `pollorder` then `lockorder`, `u16`s, inline for up
/// to [`INLINE`] cases.
struct Orders {
    inline: [u16; 2 * INLINE],
    heap: Vec<u16>,
    ncases: usize,
    /// The number of non-nil cases: the length of both orders.
    norder: usize,
}

impl Orders {
    /// No cases: the state of an async select not yet polled.
    const fn empty() -> Self {
        Orders {
            inline: [0; 2 * INLINE],
            heap: Vec::new(),
            ncases: 0,
            norder: 0,
        }
    }

    /// Builds `pollorder` for `cases`; `lockorder` waits for [`Orders::sort_locks`].
    ///
    /// # Panics
    ///
    /// With more than 65 536 cases (Go's limit: the order arrays are `u16`),
    /// with `reflect.Select`'s message: only [`Select`] can build that many
    /// (Go's compiler has no such limit for a `select` statement, but no
    /// source has that many arms).
    fn new<'a, C: Cases<'a> + ?Sized>(cases: &C) -> Self {
        let n = cases.len();
        assert!(n <= 1 << 16, "reflect.Select: too many cases (max 65536)");
        let mut o = Orders {
            heap: if n <= INLINE {
                Vec::new()
            } else {
                alloc::vec![0u16; 2 * n]
            },
            ncases: n,
            ..Orders::empty()
        };
        let (pollorder, _) = o.split_mut();
        o.norder = poll_order(cases, pollorder);
        o
    }

    fn buf(&self) -> &[u16] {
        if self.ncases <= INLINE {
            &self.inline[..2 * self.ncases]
        } else {
            &self.heap
        }
    }

    fn split_mut(&mut self) -> (&mut [u16], &mut [u16]) {
        let n = self.ncases;
        let buf = if n <= INLINE {
            &mut self.inline[..2 * n]
        } else {
            &mut self.heap[..]
        };
        buf.split_at_mut(n)
    }

    fn poll(&self) -> &[u16] {
        &self.buf()[..self.norder]
    }

    fn lock(&self) -> &[u16] {
        &self.buf()[self.ncases..self.ncases + self.norder]
    }

    /// Builds `lockorder` (only a select that gets past pass 0 needs it).
    fn sort_locks<'a, C: Cases<'a> + ?Sized>(&mut self, cases: &C) {
        let norder = self.norder;
        let (pollorder, lockorder) = self.split_mut();
        lock_order(cases, &pollorder[..norder], &mut lockorder[..norder]);
    }
}

/// Go's `sellock`: locks each distinct channel once, in `lockorder`.
fn lock_all<'a, C: Cases<'a> + ?Sized>(
    cases: &C,
    lockorder: &[u16],
    guards: &mut Vec<SpinLockGuard<'a, ()>>,
) {
    let mut last = 0usize;
    for &o in lockorder {
        let case = cases.get(o as usize);
        let a = case.addr();
        if a != last {
            last = a;
            guards.push(case.raw_lock());
        }
    }
}

/// Go's `selunlock`: unlocks in reverse order.
fn unlock_all(guards: &mut Vec<SpinLockGuard<'_, ()>>) {
    while let Some(g) = guards.pop() {
        drop(g);
    }
}

/// Builds `pollorder`: a uniform random permutation of the non-nil cases
/// (Go's inside-out Fisher–Yates with `fastrandn`). Returns the number of
/// non-nil cases.
fn poll_order<'a, C: Cases<'a> + ?Sized>(cases: &C, pollorder: &mut [u16]) -> usize {
    let mut norder = 0usize;
    for i in 0..cases.len() {
        if cases.get(i).addr() == 0 {
            continue;
        }
        let j = gocore::rand::fastrandn((norder + 1) as u32) as usize;
        pollorder[norder] = pollorder[j];
        pollorder[j] = i as u16;
        norder += 1;
    }
    norder
}

/// Builds `lockorder`: `pollorder` heap-sorted by channel address, as in Go.
fn lock_order<'a, C: Cases<'a> + ?Sized>(cases: &C, pollorder: &[u16], lockorder: &mut [u16]) {
    let norder = pollorder.len();
    let key = |o: u16| cases.get(o as usize).addr();
    // Heap sort, exactly Go's: first build a max-heap...
    for (i, &p) in pollorder.iter().enumerate() {
        let mut j = i;
        let c = key(p);
        while j > 0 && key(lockorder[(j - 1) / 2]) < c {
            let k = (j - 1) / 2;
            lockorder[j] = lockorder[k];
            j = k;
        }
        lockorder[j] = p;
    }
    // ...then pop it into ascending order.
    for i in (0..norder).rev() {
        let o = lockorder[i];
        let c = key(o);
        lockorder[i] = lockorder[0];
        let mut j = 0;
        loop {
            let mut k = j * 2 + 1;
            if k >= i {
                break;
            }
            if k + 1 < i && key(lockorder[k]) < key(lockorder[k + 1]) {
                k += 1;
            }
            if c < key(lockorder[k]) {
                lockorder[j] = lockorder[k];
                j = k;
                continue;
            }
            break;
        }
        lockorder[j] = o;
    }
    debug_assert!(lockorder.windows(2).all(|w| key(w[0]) <= key(w[1])));
}

/// A case that fired, and the counterpart it completed (to wake once every
/// lock is released, S4).
type Fired = (usize, Option<Waker>);

/// Pass 0 (not in Go): try the cases one at a time in `pollorder`, each
/// under its own channel's lock only, skipping those the lock-free test
/// shows blocked. A case found ready fires at that moment, which is a
/// moment it was ready: the same choice pass 1 would make then, without
/// taking every lock. Finding nothing proves nothing (the checks are at
/// different moments), so pass 1 then looks again with all locks held, as
/// Go does, before it answers `default` or parks. Skipped for a single
/// case, where pass 1 takes the same one lock.
fn pass0<'a, C: Cases<'a> + ?Sized>(cases: &mut C, pollorder: &[u16]) -> Option<Fired> {
    if pollorder.len() <= 1 {
        return None;
    }
    for &i in pollorder {
        let case = cases.get_mut(i as usize);
        if case.would_block() {
            continue;
        }
        let guard = case.raw_lock();
        // SAFETY: this case's channel is locked, and `poll_locked` touches
        // only that channel.
        let fired = unsafe { case.poll_locked() };
        drop(guard);
        if let Some(w) = fired {
            return Some((i as usize, w));
        }
    }
    None
}

/// Pass 1: lock every channel (S1) and fire the first ready case in
/// `pollorder`, unlocking again. `None`: nothing is ready, and every lock
/// is still held in `guards`.
fn pass1<'a, C: Cases<'a> + ?Sized>(
    cases: &mut C,
    orders: &Orders,
    guards: &mut Vec<SpinLockGuard<'a, ()>>,
) -> Option<Fired> {
    lock_all(cases, orders.lock(), guards);
    for &i in orders.poll() {
        // SAFETY: every channel is locked (S1).
        if let Some(w) = unsafe { cases.get_mut(i as usize).poll_locked() } {
            unlock_all(guards);
            return Some((i as usize, w));
        }
    }
    None
}

/// Pass 2: park one sudog per case, all sharing `ctx`.
///
/// # Safety
///
/// Every lock is held (pass 1 found nothing); `ctx` and the cases stay in
/// place until [`pass3`] has run, also on unwind (S3).
unsafe fn pass2<'a, C: Cases<'a> + ?Sized>(cases: &mut C, lockorder: &[u16], ctx: &SelCtx) {
    // `enqueue_locked` does not panic (the `Case` contract); should it ever,
    // the sudogs linked so far would point into a dead frame, and pass 3
    // cannot run with the locks held: abort instead of unwinding.
    let no_unwind = AbortOnUnwind;
    for &i in lockorder {
        // SAFETY: all locks held; `ctx` and the case outlive the link (caller).
        unsafe { cases.get_mut(i as usize).enqueue_locked(ctx, i as usize) };
    }
    core::mem::forget(no_unwind);
}

/// Go's `selectgo`. `wait == None` is a select with `default`: returns `None`
/// if no case is ready. With a wait, blocks until a case fires, or returns
/// `None` when the wait's deadline passes.
///
/// # Panics
///
/// With more than 65 536 cases (Go's limit: the order arrays are `u16`).
pub(crate) fn select_go<'a, C: Cases<'a> + ?Sized>(
    cases: &mut C,
    wait: Option<&dyn Wait>,
) -> Option<usize> {
    let mut orders = Orders::new(cases);
    if let Some((i, w)) = pass0(cases, orders.poll()) {
        wake_fired(cases.get_mut(i), w, None);
        return Some(i);
    }
    orders.sort_locks(cases);
    let norder = orders.norder;
    let mut guards: Vec<SpinLockGuard<'a, ()>> = Vec::new();
    if norder > 1 {
        guards.reserve_exact(norder);
    }
    if let Some((i, w)) = pass1(cases, &orders, &mut guards) {
        wake_fired(cases.get_mut(i), w, None);
        return Some(i);
    }
    let Some(wait) = wait else {
        unlock_all(&mut guards);
        return None;
    };
    if norder == 0 {
        // Only nil cases (or none): Go's `select {}` blocks forever.
        let done = wait.wait(&|| false);
        debug_assert!(!done);
        return None;
    }

    // The waker is one of our own parkers' (`Wait::waker`): taking it under
    // the locks runs no foreign code.
    let ctx = SelCtx::new(wait.waker());
    let lockorder = orders.lock();
    // SAFETY: all locks held; `ctx` lives on this frame until after pass 3,
    // when every sudog is unlinked (S3) — also on unwind, through `unwind`
    // below, which is dropped before `ctx`; cases are not moved meanwhile.
    unsafe { pass2(cases, lockorder, &ctx) };
    unlock_all(&mut guards);

    // If the wait unwinds, pass 3 still runs (S3), then the won case, if
    // any, gives its value back.
    let unwind = guard(&mut *cases, |cases| {
        let mut guards = Vec::new();
        if let Some(i) = pass3(cases, lockorder, &ctx, &mut guards) {
            cases.get_mut(i).unfire();
        }
    });
    let _ = wait.wait(&|| ctx.done.load(Ordering::Acquire) != 0);
    let cases = ScopeGuard::into_inner(unwind);
    pass3(cases, lockorder, &ctx, &mut guards)
}

/// Turns an unwind into an abort while it is alive (a panic during a panic
/// aborts): held over code that must not unwind, defused with
/// [`core::mem::forget`].
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        panic!("gochan select: a case panicked while being enqueued");
    }
}

/// Pass 3: relock; the winner (if any) has finished its transfer, since it
/// held its channel's lock throughout. Collects the winner's result, unlinks
/// every other sudog (S3), unlocks, and returns the winner's index.
fn pass3<'a, C: Cases<'a> + ?Sized>(
    cases: &mut C,
    lockorder: &[u16],
    ctx: &SelCtx,
    guards: &mut Vec<SpinLockGuard<'a, ()>>,
) -> Option<usize> {
    lock_all(cases, lockorder, guards);
    let done = ctx.done.load(Ordering::Acquire);
    // As in pass 2: sudogs are still linked until this loop ends.
    let no_unwind = AbortOnUnwind;
    for &i in lockorder {
        let i = i as usize;
        if done == i + 1 {
            // SAFETY: locks held; this case's sudog was completed by the winner.
            unsafe { cases.get_mut(i).finish_locked() };
        } else {
            // SAFETY: locks held.
            unsafe { cases.get_mut(i).dequeue_locked() };
        }
    }
    core::mem::forget(no_unwind);
    unlock_all(guards);
    done.checked_sub(1)
}

/// Runs the foreign code due after a case fired in pass 0 or 1, once every
/// lock is released (S4): wakes the counterpart `w`, then drops `spare` (an
/// async select's waker clone it did not need). If either panics, the case
/// gives back what it received.
fn wake_fired(case: &mut (dyn Case<'_> + '_), w: Option<Waker>, spare: Option<Waker>) {
    if w.is_none() && spare.is_none() {
        return;
    }
    let g = guard(case, |case| case.unfire());
    if let Some(w) = w {
        w.wake();
    }
    drop(spare);
    ScopeGuard::into_inner(g);
}

/// Where an async select is between polls.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Not polled yet: the next poll runs passes 0 to 2.
    Start,
    /// Pass 2 ran: one sudog per case is linked, `ctx` holds the task's waker.
    Parked,
    /// No non-nil case: pending for ever, nothing linked.
    Never,
    /// A case fired and every sudog is unlinked.
    Done,
}

/// The state an async select keeps across polls: its orders, the shared
/// [`SelCtx`] its sudogs point to (so the select must stay in place while
/// parked, hence `!Unpin`), and its phase. The cases live next to it in
/// the future that owns both (see "Async select" above).
struct AsyncSelect {
    orders: Orders,
    ctx: SelCtx,
    phase: Phase,
    /// A `select` statement (the macro), not `reflect.Select`: with a single
    /// case, Go runs the plain channel operation and reports its reason.
    statement: bool,
    _pin: PhantomPinned,
}

impl AsyncSelect {
    fn new(statement: bool) -> Self {
        AsyncSelect {
            orders: Orders::empty(),
            ctx: SelCtx::unarmed(),
            phase: Phase::Start,
            statement,
            _pin: PhantomPinned,
        }
    }

    /// Polls the select over `cases`: `Ready(i)` once case `i` fired (its
    /// result is in the case), every sudog unlinked.
    ///
    /// # Safety
    ///
    /// `cases` is the same list at every call, and neither it nor `self`
    /// moves from a `Pending` until [`AsyncSelect::poll`] returned `Ready`
    /// or [`AsyncSelect::cancel`] ran.
    unsafe fn poll<'a, C: Cases<'a> + ?Sized>(
        &mut self,
        cases: &mut C,
        cx: &mut Context<'_>,
    ) -> Poll<usize> {
        match self.phase {
            Phase::Start => {}
            Phase::Parked => return self.repoll(cases, cx),
            Phase::Never => {
                wait::set(self.reason(cases));
                return Poll::Pending;
            }
            Phase::Done => panic!("select future polled after completion"),
        }
        self.orders = Orders::new(cases);
        if let Some((i, w)) = pass0(cases, self.orders.poll()) {
            // `Done` before any foreign code: should the wake panic, the
            // case has given its value back and must not run again.
            self.phase = Phase::Done;
            wake_fired(cases.get_mut(i), w, None);
            return Poll::Ready(i);
        }
        let norder = self.orders.norder;
        if norder == 0 {
            // Go parks a goroutine whose select has no channel for ever.
            self.phase = Phase::Never;
            wait::set(self.reason(cases));
            return Poll::Pending;
        }
        self.orders.sort_locks(cases);
        // The task's waker is foreign code: clone it before taking any
        // lock (I12). Pass 0 found nothing, or the lone case looks blocked:
        // we will likely park, so clone it up front; otherwise only if
        // pass 1 finds nothing (then unlock, clone, and look again).
        let lone_blocked = || cases.get(self.orders.poll()[0] as usize).would_block();
        let mut waker = (norder > 1 || lone_blocked()).then(|| cx.waker().clone());
        let mut guards: Vec<SpinLockGuard<'a, ()>> = Vec::new();
        loop {
            if let Some((i, w)) = pass1(cases, &self.orders, &mut guards) {
                self.phase = Phase::Done;
                // Wake the counterpart first, so a panicking drop of our
                // spare waker cannot leave it asleep.
                wake_fired(cases.get_mut(i), w, waker);
                return Poll::Ready(i);
            }
            let Some(w) = waker.take() else {
                unlock_all(&mut guards);
                waker = Some(cx.waker().clone());
                continue;
            };
            // SAFETY: nothing of this select is linked yet, and the slot
            // is empty (a select is armed once).
            unsafe { self.ctx.arm(w) };
            // SAFETY: every lock is held (pass 1); `ctx` and the cases stay
            // in place until pass 3 (our caller's contract: the future is
            // pinned, and cancels in its `Drop`).
            unsafe { pass2(cases, self.orders.lock(), &self.ctx) };
            unlock_all(&mut guards);
            self.phase = Phase::Parked;
            wait::set(self.reason(cases));
            return Poll::Pending;
        }
    }

    /// Go's wait reason for this select while it waits: `select (no
    /// cases)`, the plain operation's for a one-case `select` statement
    /// ([`Case::lone_wait_reason`]), else `select`.
    fn reason<'a, C: Cases<'a> + ?Sized>(&self, cases: &C) -> WaitReason {
        match cases.len() {
            0 => WaitReason::SelectNoCases,
            1 if self.statement => cases.get(0).lone_wait_reason(),
            _ => WaitReason::Select,
        }
    }

    /// A later poll of a parked select: pass 3 if a case has won, else make
    /// sure the winner will wake the task's current waker.
    fn repoll<'a, C: Cases<'a> + ?Sized>(
        &mut self,
        cases: &mut C,
        cx: &mut Context<'_>,
    ) -> Poll<usize> {
        let mut fresh: Option<Waker> = None;
        let mut guards: Vec<SpinLockGuard<'a, ()>> = Vec::new();
        while self.ctx.done.load(Ordering::Acquire) == 0 {
            lock_all(cases, self.orders.lock(), &mut guards);
            if self.ctx.done.load(Ordering::Acquire) != 0 {
                unlock_all(&mut guards);
                break;
            }
            // SAFETY: with every channel of the select locked and no case
            // won, no counterpart can win (the CAS happens under one of
            // these locks, hchan I7): the slot is ours until we unlock.
            let slot = unsafe { &mut *self.ctx.waker.get() };
            // `will_wake` only compares pointers: no foreign code runs.
            if slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                unlock_all(&mut guards);
                drop(fresh);
                wait::set(self.reason(cases));
                return Poll::Pending;
            }
            if let Some(f) = fresh.take() {
                let old = slot.replace(f);
                unlock_all(&mut guards);
                drop(old);
                wait::set(self.reason(cases));
                return Poll::Pending;
            }
            unlock_all(&mut guards);
            fresh = Some(cx.waker().clone());
        }
        // Drop our spare clone while still parked: if that panics, the
        // future's `Drop` still runs pass 3 and gives a won value back.
        drop(fresh);
        self.phase = Phase::Done;
        let won = pass3(cases, self.orders.lock(), &self.ctx, &mut guards);
        let Some(i) = won else {
            unreachable!("a select is woken only by its winner")
        };
        Poll::Ready(i)
    }

    /// Withdraws a parked select whose future is dropped: pass 3, then a
    /// case that had already won gives back what it received (hchan I9; a
    /// send that completed stays sent). Nothing is linked afterwards.
    ///
    /// # Safety
    ///
    /// `cases` is the list this select polled.
    unsafe fn cancel<'a, C: Cases<'a> + ?Sized>(&mut self, cases: &mut C) {
        if self.phase != Phase::Parked {
            return;
        }
        self.phase = Phase::Done;
        let mut guards: Vec<SpinLockGuard<'a, ()>> = Vec::new();
        if let Some(i) = pass3(cases, self.orders.lock(), &self.ctx, &mut guards) {
            cases.get_mut(i).unfire();
        }
        // The task's waker, still in `ctx` if no case won, is dropped with
        // the select, after every lock is released (I12).
    }
}

/// The future of a [`select_async!`](crate::select_async!) without
/// `default`: owns its cases (nested pairs, [`Cases`]) and gives them back
/// once one has fired.
#[doc(hidden)]
#[must_use = "futures do nothing unless polled"]
pub struct SelectFuture<'a, L: Cases<'a>> {
    cases: Option<L>,
    select: AsyncSelect,
    _cases: PhantomData<fn(&'a ()) -> &'a ()>,
}

// SAFETY: `&SelectFuture` exposes nothing (polling needs `Pin<&mut>`).
unsafe impl<'a, L: Cases<'a> + Send> Sync for SelectFuture<'a, L> {}

impl<'a, L: Cases<'a>> SelectFuture<'a, L> {
    /// A select over `cases`.
    pub fn new(cases: L) -> Self {
        SelectFuture {
            cases: Some(cases),
            select: AsyncSelect::new(true),
            _cases: PhantomData,
        }
    }
}

impl<'a, L: Cases<'a>> Future for SelectFuture<'a, L> {
    type Output = L;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<L> {
        // SAFETY: nothing is moved out of the future while it is parked;
        // `cases` is taken only once the select is done (nothing linked).
        let this = unsafe { self.get_unchecked_mut() };
        let Some(cases) = this.cases.as_mut() else {
            panic!("select future polled after completion")
        };
        // SAFETY: the same cases at every poll, in place: the future is pinned.
        match unsafe { this.select.poll(cases, cx) } {
            Poll::Ready(_) => match this.cases.take() {
                Some(cases) => Poll::Ready(cases),
                None => unreachable!("checked above"),
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<'a, L: Cases<'a>> Drop for SelectFuture<'a, L> {
    fn drop(&mut self) {
        if let Some(cases) = self.cases.as_mut() {
            // SAFETY: the cases this select polled.
            unsafe { self.select.cancel(cases) };
        }
    }
}

/// The future of [`Select::select_async`]: resolves to the result of the
/// handler of the case that fired. Dropping it while it waits withdraws
/// the select; a value a receive case had already been handed goes back to
/// the head of its channel.
#[must_use = "futures do nothing unless polled"]
pub struct SelectAsync<'a, R> {
    sel: Option<Select<'a, R>>,
    select: AsyncSelect,
}

impl<R> core::fmt::Debug for SelectAsync<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SelectAsync")
            .field("phase", &self.select.phase)
            .finish_non_exhaustive()
    }
}

impl<R> Future for SelectAsync<'_, R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        // SAFETY: as in `SelectFuture::poll`; the cases are boxed anyway.
        let this = unsafe { self.get_unchecked_mut() };
        let Some(sel) = this.sel.as_mut() else {
            panic!("SelectAsync polled after completion")
        };
        // SAFETY: the same cases at every poll; `select` is pinned.
        match unsafe { this.select.poll(&mut sel.cases[..], cx) } {
            Poll::Ready(i) => match this.sel.take() {
                Some(sel) => Poll::Ready(sel.run_case(i)),
                None => unreachable!("checked above"),
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<R> Drop for SelectAsync<'_, R> {
    fn drop(&mut self) {
        if let Some(sel) = self.sel.as_mut() {
            // SAFETY: the cases this select polled.
            unsafe { self.select.cancel(&mut sel.cases[..]) };
        }
    }
}

/// `select_async! {}`: pending for ever (Go's `select {}`), with Go's wait
/// reason `select (no cases)`.
#[doc(hidden)]
pub async fn select_no_cases() -> core::convert::Infallible {
    let () = SelectFuture::new(()).await;
    unreachable!("a select with no cases never completes")
}

/// Runs a select over `cases` for [`select!`](crate::select!): without
/// `default` (`has_default == false`) it blocks (needs `std`).
#[doc(hidden)]
pub fn run<'a>(cases: &mut [&mut (dyn Case<'a> + '_)], has_default: bool) -> Option<usize> {
    if has_default {
        return select_go(cases, None);
    }
    #[cfg(feature = "std")]
    {
        let w = crate::blocking::ThreadWait::new(None);
        select_go(cases, Some(&w))
    }
    #[cfg(not(feature = "std"))]
    {
        panic!("gochan: a blocking select needs the `std` feature; add a `default` arm")
    }
}

/// Runs a select that gives up at `deadline` (for `select!`'s `default(timeout)` arm).
#[doc(hidden)]
#[cfg(feature = "std")]
pub fn run_deadline<'a>(
    cases: &mut [&mut (dyn Case<'a> + '_)],
    deadline: std::time::Instant,
) -> Option<usize> {
    let w = crate::blocking::ThreadWait::new(Some(deadline));
    select_go(cases, Some(&w))
}

/// A case plus the handler that turns its outcome into the select's result.
trait DynCase<'a, R>: Case<'a> {
    fn run(self: Box<Self>) -> R;
}

struct Handled<C, F> {
    case: C,
    f: F,
}

// SAFETY: forwards to the wrapped case, which upholds the contract.
unsafe impl<'a, C: Case<'a>, F> Case<'a> for Handled<C, F> {
    fn addr(&self) -> usize {
        self.case.addr()
    }
    fn raw_lock(&self) -> SpinLockGuard<'a, ()> {
        self.case.raw_lock()
    }
    fn would_block(&self) -> bool {
        self.case.would_block()
    }
    unsafe fn poll_locked(&mut self) -> Option<Option<Waker>> {
        // SAFETY: forwarded contract.
        unsafe { self.case.poll_locked() }
    }
    unsafe fn enqueue_locked(&mut self, ctx: *const SelCtx, index: usize) {
        // SAFETY: forwarded contract; `self` is boxed, so the case does not move.
        unsafe { self.case.enqueue_locked(ctx, index) }
    }
    unsafe fn dequeue_locked(&mut self) {
        // SAFETY: forwarded contract.
        unsafe { self.case.dequeue_locked() }
    }
    unsafe fn finish_locked(&mut self) {
        // SAFETY: forwarded contract.
        unsafe { self.case.finish_locked() }
    }
    fn unfire(&mut self) {
        self.case.unfire();
    }
    fn lone_wait_reason(&self) -> WaitReason {
        self.case.lone_wait_reason()
    }
}

impl<'a, T, R, F: FnOnce(Option<T>) -> R> DynCase<'a, R> for Handled<RecvCase<'a, T>, F> {
    fn run(self: Box<Self>) -> R {
        let Handled { case, f } = *self;
        f(case.into_value())
    }
}

impl<'a, T, R, F: FnOnce(Result<(), SendError<T>>) -> R> DynCase<'a, R>
    for Handled<SendCase<'a, T>, F>
{
    fn run(self: Box<Self>) -> R {
        let Handled { case, f } = *self;
        f(case.into_result())
    }
}

/// A select over a case list built at run time: Go's `reflect.Select`.
///
/// Each case carries a handler that turns its outcome into the select's
/// result `R`; exactly one handler runs. Cases are polled in a uniformly
/// random order; nil channels are never chosen.
///
/// # Panics
///
/// Running a select (`try_select`, `select`, `select_timeout`,
/// `select_deadline`, or polling `select_async`) with more than 65 536
/// cases panics with Go's message `reflect.Select: too many cases (max
/// 65536)`; the cases' unsent values are dropped once, as the select
/// unwinds.
///
/// # Examples
///
/// Fan-in from a dynamic list of channels:
///
/// ```
/// use gochan::{Chan, Select};
///
/// let chans: Vec<Chan<u32>> = (0..4).map(|_| Chan::new(1)).collect();
/// chans[2].send(20)?;
/// let mut sel = Select::new();
/// for (i, c) in chans.iter().enumerate() {
///     sel.recv(c, move |v| (i, v));
/// }
/// assert_eq!(sel.select(), (2, Some(20)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Select<'a, R> {
    cases: Vec<Box<dyn DynCase<'a, R> + 'a>>,
}

impl<R> core::fmt::Debug for Select<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Select")
            .field("cases", &self.cases.len())
            .finish()
    }
}

impl<R> Default for Select<'_, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, R> Select<'a, R> {
    /// An empty select. Go: `reflect.Select(nil)` (which blocks forever).
    ///
    /// # Examples
    ///
    /// ```
    /// let sel = gochan::Select::<()>::new();
    /// assert!(sel.is_empty());
    /// ```
    pub fn new() -> Self {
        Select { cases: Vec::new() }
    }

    /// The number of cases added.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<u8>::new(0);
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&c, |_| ());
    /// assert_eq!(sel.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether no cases were added.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gochan::Select::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Adds a receive case; `f` gets the value (`None`: closed). Returns the
    /// case's index. Go: `reflect.SelectCase{Dir: reflect.SelectRecv, Chan: c}`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// c.send("x")?;
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&c, |v| v.unwrap());
    /// assert_eq!(sel.select(), "x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv<T: 'a, C, F>(&mut self, c: &'a C, f: F) -> usize
    where
        C: CanRecv<T> + ?Sized,
        F: FnOnce(Option<T>) -> R + 'a,
    {
        self.cases.push(Box::new(Handled {
            case: RecvCase::new(c),
            f,
        }));
        self.cases.len() - 1
    }

    /// Adds a send case of `v`; `f` gets the outcome (`Err` gives the value
    /// back if the channel was closed). Returns the case's index.
    /// Go: `reflect.SelectCase{Dir: reflect.SelectSend, Chan: c, Send: v}`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::new(1);
    /// let mut sel = gochan::Select::new();
    /// sel.send(&c, 5, |r| r.is_ok());
    /// assert!(sel.select());
    /// assert_eq!(c.try_recv(), Ok(5));
    /// ```
    pub fn send<T: 'a, C, F>(&mut self, c: &'a C, v: T, f: F) -> usize
    where
        C: CanSend<T> + ?Sized,
        F: FnOnce(Result<(), SendError<T>>) -> R + 'a,
    {
        self.cases.push(Box::new(Handled {
            case: SendCase::new(c, v),
            f,
        }));
        self.cases.len() - 1
    }

    fn run_case(mut self, i: usize) -> R {
        self.cases.swap_remove(i).run()
    }

    fn go(&mut self, wait: Option<&dyn Wait>) -> Option<usize> {
        select_go(&mut self.cases[..], wait)
    }

    /// Performs one ready case without blocking; gives the select back if
    /// none is ready. Go: `reflect.Select` with a `SelectDefault` case.
    ///
    /// # Errors
    ///
    /// `Err(self)` when no case is ready (the `default` branch).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = gochan::Chan::<u8>::new(1);
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&c, |v| v);
    /// let sel = sel.try_select().unwrap_err(); // nothing ready
    /// c.send(1)?;
    /// assert_eq!(sel.try_select().ok(), Some(Some(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_select(mut self) -> Result<R, Self> {
        match self.go(None) {
            Some(i) => Ok(self.run_case(i)),
            None => Err(self),
        }
    }

    /// Blocks until one case can proceed, performs it and returns its
    /// handler's result. With no (non-nil) cases it blocks forever, as Go's
    /// `select {}`.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = gochan::Chan::<i32>::new(0);
    /// let b = gochan::Chan::<i32>::new(0);
    /// let b2 = b.clone();
    /// let t = std::thread::spawn(move || b2.send(7).unwrap());
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&a, |v| ("a", v));
    /// sel.recv(&b, |v| ("b", v));
    /// assert_eq!(sel.select(), ("b", Some(7)));
    /// t.join().unwrap();
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn select(mut self) -> R {
        let w = crate::blocking::ThreadWait::new(None);
        let i = self.go(Some(&w)).expect("a select without deadline fires");
        self.run_case(i)
    }

    /// Waits, as a task, until one case can proceed, performs it and
    /// returns its handler's result: [`Select::select`] for async code,
    /// with the same three passes (see the `select` module's "Async
    /// select"). The task parks on the channels' queues, never its thread.
    /// With no (non-nil) cases the future stays pending forever, as Go's
    /// `select {}`. For `default`, use [`Select::try_select`].
    ///
    /// Dropping the future while it waits withdraws every case; a value a
    /// receive case had already been handed goes back to the head of its
    /// channel, and unsent values are dropped with their cases. The future
    /// is not `Send` (the handlers are boxed without a `Send` bound); in a
    /// task that moves between threads, use
    /// [`select_async!`](crate::select_async!).
    ///
    /// # Examples
    ///
    /// ```
    /// use gochan::{Chan, Select};
    /// let (a, b) = (Chan::<i32>::new(0), Chan::<i32>::new(0));
    /// let b2 = b.clone();
    /// let t = std::thread::spawn(move || b2.send(7).unwrap());
    /// let mut sel = Select::new();
    /// sel.recv(&a, |v| ("a", v));
    /// sel.recv(&b, |v| ("b", v));
    /// assert_eq!(gocore::park::block_on(sel.select_async()), ("b", Some(7)));
    /// t.join().unwrap();
    /// ```
    pub fn select_async(self) -> SelectAsync<'a, R> {
        SelectAsync {
            sel: Some(self),
            select: AsyncSelect::new(false),
        }
    }

    /// Like [`Select::select`], giving up after `timeout`.
    ///
    /// # Errors
    ///
    /// `Err(self)` on timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = gochan::Chan::<u8>::new(0);
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&c, |v| v);
    /// assert!(sel.select_timeout(Duration::from_millis(2)).is_err());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn select_timeout(self, timeout: core::time::Duration) -> Result<R, Self> {
        let now = std::time::Instant::now();
        let deadline = now
            .checked_add(timeout)
            .unwrap_or(now + core::time::Duration::from_secs(86_400 * 365 * 30));
        self.select_deadline(deadline)
    }

    /// Like [`Select::select`], giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// `Err(self)` on timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// let c = gochan::Chan::<u8>::new(1);
    /// c.send(1)?;
    /// let mut sel = gochan::Select::new();
    /// sel.recv(&c, |v| v);
    /// assert_eq!(sel.select_deadline(Instant::now()).ok(), Some(Some(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn select_deadline(mut self, deadline: std::time::Instant) -> Result<R, Self> {
        let w = crate::blocking::ThreadWait::new(Some(deadline));
        match self.go(Some(&w)) {
            Some(i) => Ok(self.run_case(i)),
            None => Err(self),
        }
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use crate::Chan;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    /// A wait that runs `act` (a counterpart's move), then panics: the
    /// select's sudogs are parked when it does.
    struct PanicWait<F: Fn()>(F);

    impl<F: Fn()> Wait for PanicWait<F> {
        fn wait(&self, _done: &dyn Fn() -> bool) -> bool {
            (self.0)();
            panic!("PanicWait::wait");
        }
        fn waker(&self) -> Waker {
            Waker::noop().clone()
        }
    }

    struct D(u32, Arc<AtomicUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn unwinding_wait_unlinks_every_case() {
        let n = Arc::new(AtomicUsize::new(0));
        let (c, d) = (Chan::<D>::new(0), Chan::<D>::new(0));
        let w = PanicWait(|| {});
        {
            let mut a = RecvCase::new(&c);
            let mut b = SendCase::new(&d, D(1, n.clone()));
            let r = catch_unwind(AssertUnwindSafe(|| {
                let mut cases: [&mut dyn Case<'_>; 2] = [&mut a, &mut b];
                select_go(&mut cases[..], Some(&w))
            }));
            assert!(r.is_err());
            assert_eq!(c.snapshot().unwrap().recvq, 0, "no sudog left behind");
            assert_eq!(d.snapshot().unwrap().sendq, 0, "no sudog left behind");
            assert!(!a.fired() && !b.fired());
            assert_eq!(n.load(Ordering::SeqCst), 0, "the send case still owns its value");
        }
        assert_eq!(n.load(Ordering::SeqCst), 1, "dropped once, with its case");
    }

    #[test]
    fn unwinding_wait_over_many_cases_unlinks_all_and_keeps_one_winner() {
        // Five cases on three channels (a send and a receive on `b`, a nil
        // case); the counterpart completes the receive on `a` and then tries
        // the others, which must be skipped (the select is already won).
        let n = Arc::new(AtomicUsize::new(0));
        let (a, b, nil) = (Chan::<D>::new(0), Chan::<D>::new(0), Chan::<D>::nil());
        let (a2, b2, n2) = (a.clone(), b.clone(), n.clone());
        let w = PanicWait(move || {
            a2.try_send(D(1, n2.clone())).unwrap();
            // Every other case lost: the counterpart finds nobody.
            match b2.try_send(D(2, n2.clone())) {
                Err(crate::TrySendError::Full(d)) => assert_eq!(d.0, 2),
                other => panic!("expected Full, got {:?}", other.map_err(|e| e.into_inner().0)),
            }
            assert!(b2.try_recv().is_err());
            assert!(a2.try_recv().is_err());
        });
        {
            let mut ra = RecvCase::new(&a);
            let mut sa = SendCase::new(&a, D(10, n.clone()));
            let mut rb = RecvCase::new(&b);
            let mut sb = SendCase::new(&b, D(11, n.clone()));
            let mut rn = RecvCase::new(&nil);
            let r = catch_unwind(AssertUnwindSafe(|| {
                let mut cases: [&mut dyn Case<'_>; 5] =
                    [&mut ra, &mut sa, &mut rb, &mut sb, &mut rn];
                select_go(&mut cases[..], Some(&w))
            }));
            assert!(r.is_err());
            for c in [&a, &b] {
                let s = c.snapshot().unwrap();
                assert_eq!((s.sendq, s.recvq), (0, 0), "no sudog left behind");
            }
            assert!(!ra.fired(), "the won value went back to `a`");
            assert!(!sa.fired() && !rb.fired() && !sb.fired() && !rn.fired());
            // D(2) was dropped by the counterpart; the send cases still own theirs.
            assert_eq!(n.load(Ordering::SeqCst), 1);
            assert_eq!(a.try_recv().map(|d| d.0), Ok(1));
            assert_eq!(n.load(Ordering::SeqCst), 2);
        }
        assert_eq!(n.load(Ordering::SeqCst), 4, "each send case's value dropped once");
    }

    #[test]
    fn unwinding_wait_gives_a_value_back_to_a_closed_channel_before_closed() {
        for cap in [0, 2] {
            let n = Arc::new(AtomicUsize::new(0));
            let c = Chan::<D>::new(cap);
            let (c2, n2) = (c.clone(), n.clone());
            // The counterpart hands the receive case a value and closes the
            // channel; then the wait panics and the value is given back.
            let w = PanicWait(move || {
                c2.try_send(D(7, n2.clone())).unwrap();
                if cap > 0 {
                    c2.try_send(D(8, n2.clone())).unwrap();
                }
                c2.close().unwrap();
            });
            let other = Chan::<D>::new(0);
            let mut a = RecvCase::new(&c);
            let mut b = RecvCase::new(&other);
            let r = catch_unwind(AssertUnwindSafe(|| {
                let mut cases: [&mut dyn Case<'_>; 2] = [&mut a, &mut b];
                select_go(&mut cases[..], Some(&w))
            }));
            assert!(r.is_err());
            assert!(!a.fired());
            assert!(c.len() <= c.cap());
            // Given back at the head, ahead of what was buffered, and
            // drained before the receive reports closed.
            let got: std::vec::Vec<u32> = c.try_iter().map(|d| d.0).collect();
            assert_eq!(got, if cap > 0 { &[7, 8][..] } else { &[7][..] });
            assert_eq!(c.try_recv().map(|d| d.0), Err(crate::TryRecvError::Closed));
            assert_eq!(n.load(Ordering::SeqCst), got.len());
        }
    }

    /// A case that panics when enqueued (breaking the `Case` contract).
    struct PanicOnEnqueue<'a>(RecvCase<'a, u8>);

    // SAFETY: forwards to `RecvCase`, except that `enqueue_locked` panics
    // before linking anything.
    unsafe impl<'a> Case<'a> for PanicOnEnqueue<'a> {
        fn addr(&self) -> usize {
            self.0.addr()
        }
        fn raw_lock(&self) -> SpinLockGuard<'a, ()> {
            self.0.raw_lock()
        }
        fn would_block(&self) -> bool {
            self.0.would_block()
        }
        unsafe fn poll_locked(&mut self) -> Option<Option<Waker>> {
            // SAFETY: forwarded contract.
            unsafe { self.0.poll_locked() }
        }
        unsafe fn enqueue_locked(&mut self, _: *const SelCtx, _: usize) {
            panic!("PanicOnEnqueue");
        }
        unsafe fn dequeue_locked(&mut self) {
            // SAFETY: forwarded contract.
            unsafe { self.0.dequeue_locked() }
        }
        unsafe fn finish_locked(&mut self) {
            // SAFETY: forwarded contract.
            unsafe { self.0.finish_locked() }
        }
    }

    /// A case breaking the contract by panicking in pass 2 would leave the
    /// cases enqueued before it pointing into a dead frame: the select
    /// aborts instead. Runs itself in a child process to watch the abort.
    #[test]
    #[cfg(unix)]
    #[cfg_attr(miri, ignore)]
    fn a_case_panicking_while_enqueued_aborts() {
        const CHILD: &str = "GOCHAN_SELECT_ABORT_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let (a, b) = (Chan::<u8>::new(0), Chan::<u8>::new(0));
            let mut ra = RecvCase::new(&a);
            let mut rb = PanicOnEnqueue(RecvCase::new(&b));
            let w = crate::blocking::ThreadWait::new(None);
            let r = catch_unwind(AssertUnwindSafe(|| {
                let mut cases: [&mut dyn Case<'_>; 2] = [&mut ra, &mut rb];
                select_go(&mut cases[..], Some(&w))
            }));
            // Not reached: unwinding out of pass 2 aborts.
            drop(r);
            std::process::exit(0);
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "select::tests::a_case_panicking_while_enqueued_aborts",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "SIGABRT, not {:?}", out.status);
        let err = std::string::String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("PanicOnEnqueue"), "{err}");
        assert!(err.contains("a case panicked while being enqueued"), "{err}");
    }

    #[test]
    fn unwinding_wait_gives_a_won_value_back() {
        let n = Arc::new(AtomicUsize::new(0));
        let (c, d) = (Chan::<D>::new(0), Chan::<D>::new(0));
        let (c2, n2) = (c.clone(), n.clone());
        // The counterpart completes the receive case, then the wait panics.
        let w = PanicWait(move || c2.try_send(D(5, n2.clone())).unwrap());
        let mut a = RecvCase::new(&c);
        let mut b = RecvCase::new(&d);
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut cases: [&mut dyn Case<'_>; 2] = [&mut a, &mut b];
            select_go(&mut cases[..], Some(&w))
        }));
        assert!(r.is_err());
        assert!(!a.fired(), "the won value went back to the channel");
        assert_eq!(n.load(Ordering::SeqCst), 0);
        assert_eq!(c.len(), 0);
        assert_eq!(c.try_recv().map(|v| v.0), Ok(5));
        assert_eq!(n.load(Ordering::SeqCst), 1);
        assert_eq!(d.snapshot().unwrap().recvq, 0);
    }
}
