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
//!   (pass 3 holds all the locks), so no queue refers to a dead frame. If the
//!   wait unwinds, an unwind guard runs pass 3 all the same; a value a
//!   receive case had already won then goes back to its channel (hchan I9).
//!   Passes 2 and 3 themselves must not unwind (they hold every lock while
//!   sudogs are linked): a case breaking that contract aborts the process
//!   instead.
//! - S4. The counterpart's waker is woken after every lock is released
//!   (hchan I12). If it panics after a receive case fired, the case gives its
//!   value back to the channel ([`Case::unfire`]) before the panic goes on.
//!
//! # Go correspondence
//!
//! `selectgo` → [`select_go`]; `scase` → [`RecvCase`]/[`SendCase`];
//! `pollorder`/`lockorder` (uint16 arrays) → the same (built by
//! [`poll_order`] and [`lock_order`]); `sellock`/`selunlock`
//! → [`lock_all`]; `reflect.Select` → [`Select`].
//!
//! # Divergences
//!
//! A send case on a closed channel does not panic: it fires, and the value
//! comes back in `Err(SendError)` (the `select!` arm without `-> res` panics
//! with Go's message instead, so Go's behaviour is one keystroke away).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::task::Waker;

use gocore::atomic::Ordering;
use gocore::lock::SpinLockGuard;
use gocore::scopeguard::{guard, ScopeGuard};

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

/// Inline capacity of the order arrays before falling back to the heap.
const INLINE: usize = 8;

/// Go's `sellock`: locks each distinct channel once, in `lockorder`.
pub(crate) fn lock_all<'a>(
    cases: &[&mut (dyn Case<'a> + '_)],
    lockorder: &[u16],
    guards: &mut Vec<SpinLockGuard<'a, ()>>,
) {
    let mut last = 0usize;
    for &o in lockorder {
        let a = cases[o as usize].addr();
        if a != last {
            last = a;
            guards.push(cases[o as usize].raw_lock());
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
fn poll_order(cases: &[&mut (dyn Case<'_> + '_)], pollorder: &mut [u16]) -> usize {
    let mut norder = 0usize;
    for (i, c) in cases.iter().enumerate() {
        if c.addr() == 0 {
            continue;
        }
        let j = gocore::rand::fastrandn((norder + 1) as u32) as usize;
        pollorder[norder] = pollorder[j];
        pollorder[j] = i as u16;
        norder += 1;
    }
    norder
}

/// Builds `lockorder`: `pollorder` heap-sorted by channel address, as in Go
/// (only a select that gets past pass 0 needs it).
fn lock_order(cases: &[&mut (dyn Case<'_> + '_)], pollorder: &[u16], lockorder: &mut [u16]) {
    let norder = pollorder.len();
    let key = |o: u16| cases[o as usize].addr();
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

/// Go's `selectgo`. `wait == None` is a select with `default`: returns `None`
/// if no case is ready. With a wait, blocks until a case fires, or returns
/// `None` when the wait's deadline passes.
///
/// # Panics
///
/// With more than 65 536 cases (Go's limit: the order arrays are `u16`).
pub(crate) fn select_go<'a>(
    cases: &mut [&mut (dyn Case<'a> + '_)],
    wait: Option<&dyn Wait>,
) -> Option<usize> {
    let n = cases.len();
    assert!(n <= 1 << 16, "select: too many cases");
    let mut inline = [0u16; 2 * INLINE];
    let mut heap;
    let buf: &mut [u16] = if n <= INLINE {
        &mut inline[..2 * n]
    } else {
        heap = alloc::vec![0u16; 2 * n];
        &mut heap
    };
    let (pollorder, lockorder) = buf.split_at_mut(n);
    let norder = poll_order(cases, pollorder);
    let pollorder = &pollorder[..norder];

    // Pass 0 (not in Go): try the cases one at a time in `pollorder`, each
    // under its own channel's lock only, skipping those the lock-free test
    // shows blocked. A case found ready fires at that moment, which is a
    // moment it was ready: the same choice pass 1 would make then, without
    // taking every lock. Finding nothing proves nothing (the checks are at
    // different moments), so pass 1 then looks again with all locks held,
    // as Go does, before it answers `default` or parks.
    if norder > 1 {
        for &i in pollorder {
            let case = &mut *cases[i as usize];
            if case.would_block() {
                continue;
            }
            let guard = case.raw_lock();
            // SAFETY: this case's channel is locked, and `poll_locked`
            // touches only that channel.
            let fired = unsafe { case.poll_locked() };
            drop(guard);
            if let Some(w) = fired {
                wake_fired(case, w);
                return Some(i as usize);
            }
        }
    }

    let lockorder = &mut lockorder[..norder];
    lock_order(cases, pollorder, lockorder);
    let lockorder = &*lockorder;
    let mut guards: Vec<SpinLockGuard<'a, ()>> = Vec::new();
    if norder > 1 {
        guards.reserve_exact(norder);
    }
    // Pass 1: look for something already waiting.
    lock_all(cases, lockorder, &mut guards);
    for &i in pollorder {
        // SAFETY: every channel is locked (S1).
        if let Some(w) = unsafe { cases[i as usize].poll_locked() } {
            unlock_all(&mut guards);
            wake_fired(&mut *cases[i as usize], w);
            return Some(i as usize);
        }
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

    // Pass 2: enqueue on all channels. The waker is one of our own parkers'
    // (`Wait::waker`): taking it under the locks runs no foreign code.
    let ctx = SelCtx::new(wait.waker());
    // `enqueue_locked` does not panic (the `Case` contract); should it ever,
    // the sudogs linked so far would point into this frame, and pass 3
    // cannot run with the locks held: abort instead of unwinding.
    let no_unwind = AbortOnUnwind;
    for &i in lockorder {
        // SAFETY: all locks held; `ctx` lives on this frame until after pass 3,
        // when every sudog is unlinked (S3) — also on unwind, through
        // `unwind` below, which is dropped before `ctx`; cases are not moved
        // meanwhile.
        unsafe { cases[i as usize].enqueue_locked(&ctx, i as usize) };
    }
    core::mem::forget(no_unwind);
    unlock_all(&mut guards);

    // If the wait unwinds, pass 3 still runs (S3), then the won case, if
    // any, gives its value back.
    let unwind = guard(&mut *cases, |cases| {
        let mut guards = Vec::new();
        if let Some(i) = pass3(cases, lockorder, &ctx, &mut guards) {
            cases[i].unfire();
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
fn pass3<'a>(
    cases: &mut [&mut (dyn Case<'a> + '_)],
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
            unsafe { cases[i].finish_locked() };
        } else {
            // SAFETY: locks held.
            unsafe { cases[i].dequeue_locked() };
        }
    }
    core::mem::forget(no_unwind);
    unlock_all(guards);
    done.checked_sub(1)
}

/// Wakes the counterpart of a case that fired in pass 0 or 1, after every
/// lock is released (S4); if the wake panics, the case gives back what it
/// received.
fn wake_fired(case: &mut (dyn Case<'_> + '_), w: Option<Waker>) {
    let Some(w) = w else { return };
    let g = guard(case, |case| case.unfire());
    w.wake();
    ScopeGuard::into_inner(g);
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
        let mut refs: Vec<&mut (dyn Case<'a> + '_)> = self
            .cases
            .iter_mut()
            .map(|c| &mut **c as &mut (dyn Case<'a> + '_))
            .collect();
        select_go(&mut refs, wait)
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
                select_go(&mut cases, Some(&w))
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
                select_go(&mut cases, Some(&w))
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
                select_go(&mut cases, Some(&w))
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
                select_go(&mut cases, Some(&w))
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
            select_go(&mut cases, Some(&w))
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
