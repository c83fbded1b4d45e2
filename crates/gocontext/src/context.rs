//! The cancellation tree: contexts, cancel functions, deadlines and values.
//!
//! # What
//!
//! A [`Context`] is an immutable handle on one node of a tree. Nodes are made
//! by deriving from a parent: a *cancel* node ([`with_cancel`],
//! [`with_deadline`], [`with_timeout`], [`with_cancel_cause`]), a *value* node
//! ([`with_value`]) or a *without-cancel* node ([`without_cancel`]). The roots
//! [`background`] and [`todo`](fn@todo) are never cancelled. Cancelling a cancel node
//! closes its `done` channel, records its error (and cause) and cancels every
//! cancel node below it; the node then leaves its parent's child set.
//!
//! # Layout
//!
//! ```text
//!   Context(Option<Arc<Node>>)   None = Background; Todo is a node of its own
//!
//!   Node { parent: Context, kind }                      72 bytes (+16: Arc)
//!     kind = Cancel(CancelCtx) | Value(ValueCtx) | WithoutCancel | Todo
//!
//!   CancelCtx
//!     state:  AtomicU8            LIVE | CANCELED | DEADLINE  (Err(), lock-free read)
//!     slot:   AtomicUsize         our index in the anchor's child slab, where
//!                                 anchor = parent.nearest_cancel() (computed)
//!     timed: Option<Box<Timed>>   own deadline (reading, and the Instant given to
//!                                 with_deadline) + its armed timer (timer contexts only)
//!     inner: Mutex<CancelInner>   three words, each empty until needed:
//!        done: DoneChan           nil until the first done(), closed on cancel
//!        children: Option<Box<Slab>>  Node(Weak) | Func(after_func) | Orphan;
//!                                 made on the first child, freed with the last
//!        cause: Option<Arc<Cause>>    one allocation per cancellation, shared
//!
//!   background ──▶ A(cancel) ──▶ V(value) ──▶ B(cancel) ──▶ C(cancel)
//!                  children: {B}                children: {C}
//!   (B's anchor is A: value nodes are transparent for cancellation)
//! ```
//!
//! # Invariants
//!
//! - I1. `state` moves once, from `LIVE` to `CANCELED` or `DEADLINE`, under
//!   `inner`'s lock; the first cancellation wins and never changes.
//! - I2. `state` is stored before the done channel is closed (Release), so a
//!   thread that sees `done` closed and then reads `state` (Acquire) sees the
//!   error: Go's "Err is non-nil once Done is closed". The close itself runs
//!   after the node's lock is released (I9), so whoever finds the node
//!   cancelled without having closed its channel — a losing `cancel`, a
//!   `done()` call — closes it too (closing is idempotent: the first close
//!   wakes the waiters, later ones find it closed). Hence, as in Go, once a
//!   `cancel` returns or `done()` is called on a cancelled context, its done
//!   channel is closed.
//! - I3. A node is in its anchor's slab iff it is live, its anchor is live,
//!   and it registered: cancelling a node empties its slab (taken whole) and
//!   removes the node from its anchor's slab (`remove_child`). Nothing else
//!   ever adds to a cancelled node's slab, so it stays empty.
//! - I4. Lock order is parent before child, and no cancel node's lock is held
//!   while another node's lock is taken *upward*; cancelling a subtree takes
//!   the slab out under the parent's lock and cancels children afterwards,
//!   iteratively (no recursion: a chain of a million contexts cancels in
//!   constant stack).
//! - I5. Slab entries hold cancel nodes weakly, and nothing below a node
//!   holds it except through `parent`: there are no reference cycles, so a
//!   context nobody can observe any more is dropped and leaves its anchor's
//!   slab at once — forgetting a cancel function does not grow the parent
//!   (Go's `lostcancel` leak) and an abandoned tree is freed.
//! - I6. A child's deadline is never later than its parent's: a later one
//!   makes a plain cancel node that reports the parent's deadline.
//! - I7. `slot` is written once, before the node is published to the slab,
//!   and only read under the anchor's lock; slab indices never move.
//! - I8. What a dropped live node had handed out still works: its done
//!   channel (if asked for) and its after-funcs become an `Orphan` entry in
//!   its anchor's slab, closed/run when the anchor is cancelled, and on a
//!   detached timer at the node's own deadline (the heap owns that timer; it
//!   holds nothing that points back, so still no cycle).
//! - I9. No user code runs while a node's lock is held or while a
//!   cancellation walk is half done. User code here is: the wakers of a done
//!   channel's waiters (run by its close), after-funcs (inline without
//!   `std`), and the `Drop` of values, after-funcs and causes (run when the
//!   walk held the last handle). So `cancel_one` only marks the node and
//!   queues its children *and the closing of its done channel* on the walk's
//!   work list; the close runs from the list with no lock held, after the
//!   children are queued. A waker may therefore call back into the context
//!   (`done`, `cause`, `with_cancel`...) without deadlocking, and if any of
//!   this user code panics, a guard in `drain_work` finishes the walk while
//!   unwinding: every node below is cancelled and every done channel closed
//!   before the panic reaches the caller (a second panic aborts).
//!
//! # Tuning
//!
//! The child set is a slab (`Vec` of entries plus a free list), not Go's
//! `map[canceler]struct{}`: adding and removing a child is an index, not a
//! hash, and when the last child leaves the slab's memory is freed (Go's map
//! keeps its buckets).
//!
//! Memory per `with_cancel` child, on 64-bit targets: one allocation of 88
//! bytes (the 72-byte node plus `Arc`'s two counters; the [`CancelFunc`]
//! shares it) and a 16-byte entry in the parent's slab, whose `Vec` doubles
//! (at one million children: 16.8 bytes per child). Everything a node may
//! never need is one empty word until it is needed, as in Go, whose
//! `cancelCtx` makes its done channel on the first `Done()` and its child
//! map on the first child: the done channel (a nil `Chan` until the first
//! `done()`), the child set (boxed, made on the first child), the cause (a
//! thin `Arc<Cause>` shared by the whole cancellation) and the deadline
//! with its timer (boxed, timer contexts only). The benchmark `memory 1M
//! children` counts, per child, that allocation, the slab entry and the
//! benchmark's own `(Context, CancelFunc)` pair (two words): about 121
//! bytes, where Go 1.19 and tokio-util's `CancellationToken` take 128 (it
//! was 209 with every field inline: a 152-byte node and a 16-byte
//! `Context`).
//!
//! # Go correspondence
//!
//! Go 1.19 `src/context/context.go` (+ Go 1.20/1.21 for the later additions):
//! `emptyCtx` → `Context(None)` (background) / `Kind::Todo`; `cancelCtx` → `CancelCtx`;
//! `timerCtx` → `CancelCtx` with `deadline` and `timer`; `valueCtx` →
//! `ValueCtx`; `withoutCancelCtx` → `Kind::WithoutCancel`; `afterFuncCtx` →
//! `AfterFn`; `propagateCancel` → `propagate`; `parentCancelCtx` →
//! `Context::nearest_cancel`; `removeChild` → `remove_child`;
//! `cancelCtx.cancel` → `cancel`; `closedchan` → a done channel closed at
//! creation.
//!
//! # Divergences
//!
//! - Keys and values are typed (`K: Any + PartialEq`), so Go's "nil key" and
//!   "key is not comparable" panics cannot happen; a nil parent cannot be
//!   expressed either.
//! - No foreign `Context` implementations, so no watcher goroutine (Go's
//!   semantics item 15).
//! - Weak child entries (I5) instead of Go's strong map entries; Go's GC
//!   frees an unreachable subtree, weak entries and orphans (I8) do the same
//!   here. An orphan (a done channel of a dropped, never-cancelled child)
//!   stays in its parent's set until the parent is cancelled or dropped, as
//!   Go keeps such a child in `children`.
//! - `AfterFunc`'s function runs on a new thread with `std` (Go: its own
//!   goroutine) and inline on the cancelling thread without `std`.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::{Any, TypeId};
use core::fmt;
use core::time::Duration;

use crate::done::{Done, DoneChan};
use crate::error::{Cause, Error};
use crate::heap::{TimerHandle, Timers, WeakTimer};
use crate::lock::Lock;
use gocore::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

const LIVE: u8 = 0;
const CANCELED: u8 = 1;
const DEADLINE: u8 = 2;
const NO_SLOT: usize = usize::MAX;

fn state_err(s: u8) -> Option<Error> {
    match s {
        CANCELED => Some(Error::Canceled),
        DEADLINE => Some(Error::DeadlineExceeded),
        _ => None,
    }
}

fn err_state(e: Error) -> u8 {
    match e {
        Error::Canceled => CANCELED,
        Error::DeadlineExceeded => DEADLINE,
    }
}

/// A carrier of cancellation, a deadline and request-scoped values across
/// threads: Go's `context.Context`.
///
/// Cloning is cheap (a reference count) and clones are the same context.
///
/// # Examples
///
/// ```
/// use gocontext::{background, with_cancel, Error};
///
/// let (ctx, cancel) = with_cancel(&background());
/// assert_eq!(ctx.err(), None);
/// cancel.cancel();
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// assert!(ctx.done().recv().is_none()); // closed: returns at once
/// ```
#[doc(alias = "context.Context")]
#[derive(Clone)]
pub struct Context(Option<Arc<Node>>);

/// One context of the tree; `None` in [`Context`] is [`background`].
struct Node {
    parent: Context,
    kind: Kind,
}

enum Kind {
    Cancel(CancelCtx),
    Value(ValueCtx),
    WithoutCancel,
    /// The root [`todo`](fn@todo): a node of its own, so that a [`Context`]
    /// is one pointer (Background is the null one).
    Todo,
}

/// A deadline: a reading of a timer service's clock.
struct Deadline {
    at: Duration,
    timers: Arc<Timers>,
    /// The `Instant` given to [`with_deadline`], which `deadline()` returns
    /// as it was given (Go's `Deadline()` returns the very time passed to
    /// `WithDeadline`). A reading of the global clock cannot hold an instant
    /// before that clock's epoch (the first use of the service): it
    /// saturates to zero, and mapping it back gave the epoch instead.
    exact: Exact,
}

/// See [`Deadline::exact`]; `None` for deadlines made from a reading.
#[cfg(feature = "std")]
type Exact = Option<std::time::Instant>;
/// Without `std` there are no `Instant`s: readings are exact.
#[cfg(not(feature = "std"))]
type Exact = ();

/// `a - b` as a sign and a magnitude.
fn signed_sub(a: Duration, b: Duration) -> (&'static str, Duration) {
    match a.checked_sub(b) {
        Some(d) => ("", d),
        None => ("-", b - a),
    }
}

impl Deadline {
    /// For `Display`: the deadline as a reading of its clock, and the time
    /// left until it (Go: `time.Until`), each signed. Only an `Instant`
    /// given to `with_deadline` can lie before the clock's epoch.
    fn display_parts(&self) -> ((&'static str, Duration), (&'static str, Duration)) {
        #[cfg(feature = "std")]
        if let Some(i) = self.exact {
            let since = |t: std::time::Instant| match i.checked_duration_since(t) {
                Some(d) => ("", d),
                None => ("-", t.duration_since(i)),
            };
            return (
                since(Timers::global_instant(Duration::ZERO)),
                since(std::time::Instant::now()),
            );
        }
        (("", self.at), signed_sub(self.at, self.timers.now()))
    }

    /// Whether this deadline is strictly before the one at reading `at`
    /// (given as `exact`). Go: `cur.Before(d)`. Instants are compared when
    /// both are known, since readings before the epoch all read zero.
    fn before(&self, at: Duration, exact: &Exact) -> bool {
        #[cfg(feature = "std")]
        if let (Some(cur), Some(new)) = (self.exact, exact) {
            return cur < *new;
        }
        #[cfg(not(feature = "std"))]
        let ((), ()) = (self.exact, *exact);
        self.at < at
    }
}

/// What a timer context adds to a cancel node, boxed (most cancel nodes
/// have none).
struct Timed {
    deadline: Deadline,
    /// The armed deadline timer; stopped and taken on cancel (under the
    /// node's lock, then this one: a leaf lock).
    timer: Lock<Option<TimerHandle>>,
}

/// Go: `cancelCtx` (+ `timerCtx`).
struct CancelCtx {
    state: AtomicU8,
    slot: AtomicUsize,
    /// Boxed: most cancel nodes have none, and this keeps the node small.
    timed: Option<Box<Timed>>,
    inner: Lock<CancelInner>,
}

/// The locked part of a cancel node: three words, each empty until needed
/// (see "Tuning").
#[derive(Default)]
struct CancelInner {
    /// Nil until the first `done()`. Go: `done atomic.Value`, made lazily.
    done: DoneChan,
    /// `None` until the first child, and again once the last has left. Go:
    /// `children map[canceler]struct{}`, made on the first child.
    children: Option<Box<Slab>>,
    cause: Option<SharedCause>,
}

/// A cause as stored in the nodes: one allocation per cancellation with a
/// cause, shared by every node the walk cancels; a thin pointer, where a
/// [`Cause`] (`Arc<dyn Error>`) takes two words in every node.
type SharedCause = Arc<Cause>;

impl CancelInner {
    fn children_len(&self) -> usize {
        self.children.as_ref().map_or(0, |s| s.len)
    }

    fn insert_child(&mut self, c: Child) -> usize {
        self.children.get_or_insert_with(Box::default).insert(c)
    }

    /// Removes entry `i` if it holds the object at `p`; frees the set when
    /// it becomes empty (Go's map keeps its buckets).
    fn remove_child(&mut self, i: usize, p: *const ()) -> Option<Child> {
        let set = self.children.as_mut()?;
        let c = set.remove(i, p);
        if set.len == 0 {
            self.children = None;
        }
        c
    }

    fn take_children(&mut self) -> impl Iterator<Item = Child> {
        self.children.take().into_iter().flat_map(|s| s.drain())
    }
}

/// A key of [`with_value`], type-erased: `Any` plus its type's name (for
/// `Display`), behind one vtable. Call its methods on `*key`, not on the
/// `Box<dyn Key>` (which is itself a `Key`, by the blanket impl).
trait Key: Any + Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn type_name(&self) -> &'static str;
}

impl<K: Any + Send + Sync> Key for K {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn type_name(&self) -> &'static str {
        core::any::type_name::<K>()
    }
}

/// Go: `valueCtx`.
struct ValueCtx {
    /// `TypeId` of the key, compared first so a lookup skips non-matching
    /// keys without a virtual call.
    key_id: TypeId,
    key: Box<dyn Key>,
    val: Box<dyn Any + Send + Sync>,
}

/// Go: `afterFuncCtx`.
struct AfterFn {
    taken: AtomicBool,
    f: Lock<Option<Box<dyn FnOnce() + Send>>>,
    /// Weak: the anchor's slab holds us (no cycle).
    anchor: Option<Weak<Node>>,
    slot: AtomicUsize,
}

/// An entry of a cancel node's child set.
enum Child {
    /// A registered cancel node (weak: I5).
    Node(Weak<Node>),
    /// An `after_func` registration.
    Func(Arc<AfterFn>),
    /// What a dropped, uncancelled child left behind (I8).
    Orphan(Arc<Orphan>),
}

/// I8: the done channel and after-funcs of a cancel node that was dropped
/// while live, kept so they still close / run when an ancestor is cancelled
/// (or at the dropped node's deadline).
struct Orphan {
    /// The dropped node's done channel, if it was asked for.
    done: Lock<Option<DoneChan>>,
    /// Its remaining children: after-funcs and nested orphans.
    items: Lock<Vec<Child>>,
    /// The re-armed deadline timer, if the node had one.
    timer: Lock<Option<WeakTimer>>,
}

impl Orphan {
    /// Hands the items and the closing of the done channel to `work`; once.
    /// Runs no user code (I9).
    fn fire(&self, work: &mut Vec<Job>) {
        let items = core::mem::take(&mut *self.items.lock());
        work.extend(items.into_iter().map(Job::Child));
        let done = self.done.lock().take();
        if let Some(d) = done {
            work.push(Job::Close(d));
        }
        let t = self.timer.lock().take();
        if let Some(t) = t {
            t.stop();
        }
    }
}

/// One step of a cancellation walk.
enum Job {
    /// A child to cancel (a node), run (an after-func) or fire (an orphan).
    Child(Child),
    /// A done channel to close: its waiters' wakers are user code, so the
    /// close runs as a job of its own, with no lock held (I9).
    Close(DoneChan),
}

/// Runs a work list to completion (no recursion: I4).
///
/// User code runs here: wakers woken by a close, after-funcs (inline
/// without `std`), the `Drop` of a value whose last handle the walk held.
/// If it panics, a guard finishes the walk while unwinding, so the whole
/// subtree is still cancelled and every done channel closed (I9); a second
/// panic during that walk aborts, as any panic while unwinding does.
fn drain_work(work: Vec<Job>, err: Error, cause: &Option<SharedCause>) {
    let mut work = gocore::scopeguard::guard(work, |mut rest| {
        drain_jobs(&mut rest, err, cause);
    });
    drain_jobs(&mut work, err, cause);
}

fn drain_jobs(work: &mut Vec<Job>, err: Error, cause: &Option<SharedCause>) {
    while let Some(job) = work.pop() {
        match job {
            Job::Close(d) => d.close(),
            Job::Child(Child::Node(w)) => {
                if let Some(n) = w.upgrade() {
                    cancel_one(&n, err, cause, work);
                }
            }
            Job::Child(Child::Func(f)) => f.fire(),
            Job::Child(Child::Orphan(o)) => o.fire(work),
        }
    }
}

impl Child {
    fn is(&self, p: *const ()) -> bool {
        match self {
            Child::Node(w) => w.as_ptr().cast::<()>() == p,
            Child::Func(f) => Arc::as_ptr(f).cast::<()>() == p,
            Child::Orphan(o) => Arc::as_ptr(o).cast::<()>() == p,
        }
    }
}

enum Entry {
    Vacant(usize),
    Full(Child),
}

/// The child set: entries never move (I7); freed entries form a list.
struct Slab {
    entries: Vec<Entry>,
    /// Head of the free list, or `NO_SLOT`.
    free: usize,
    len: usize,
}

impl Default for Slab {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: NO_SLOT,
            len: 0,
        }
    }
}

impl Slab {
    fn insert(&mut self, c: Child) -> usize {
        self.len += 1;
        match (self.free != NO_SLOT).then_some(self.free) {
            Some(i) => {
                let Entry::Vacant(next) = self.entries[i] else {
                    unreachable!("free list points at a full entry")
                };
                self.free = next;
                self.entries[i] = Entry::Full(c);
                i
            }
            None => {
                self.entries.push(Entry::Full(c));
                self.entries.len() - 1
            }
        }
    }

    /// Removes entry `i` if it holds the object at `p`.
    fn remove(&mut self, i: usize, p: *const ()) -> Option<Child> {
        match self.entries.get(i) {
            Some(Entry::Full(c)) if c.is(p) => {}
            _ => return None,
        }
        let next = self.free;
        let Entry::Full(c) = core::mem::replace(&mut self.entries[i], Entry::Vacant(next)) else {
            unreachable!()
        };
        self.free = i;
        self.len -= 1;
        Some(c)
    }

    fn drain(self) -> impl Iterator<Item = Child> {
        self.entries.into_iter().filter_map(|e| match e {
            Entry::Full(c) => Some(c),
            Entry::Vacant(_) => None,
        })
    }
}

impl Context {
    fn node(&self) -> Option<&Arc<Node>> {
        self.0.as_ref()
    }

    /// Go: `parentCancelCtx`. The nearest cancel node at or above `self`,
    /// looking through value nodes, stopping at roots and without-cancel.
    fn nearest_cancel(&self) -> Option<&Arc<Node>> {
        let mut c = self;
        loop {
            let n = c.node()?;
            match &n.kind {
                Kind::Cancel(_) => return Some(n),
                Kind::Value(_) => c = &n.parent,
                Kind::WithoutCancel | Kind::Todo => return None,
            }
        }
    }

    /// A channel that is closed when this context is cancelled: Go's `Done()`.
    ///
    /// [`background`], [`todo`](fn@todo) and [`without_cancel`] contexts return a nil
    /// channel, which never becomes ready (a `select` never picks it).
    /// Repeated calls return the same channel; a context cancelled before the
    /// first call returns an already-closed one. Works with `recv`,
    /// `recv_timeout`, `recv_async` and `select!`.
    ///
    /// Go: `<-ctx.Done()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocontext::{background, with_cancel};
    /// let (ctx, cancel) = with_cancel(&background());
    /// let done = ctx.done();
    /// let t = std::thread::spawn(move || done.recv()); // blocks until cancel
    /// cancel.cancel();
    /// assert_eq!(t.join().unwrap(), None); // closed
    /// ```
    pub fn done(&self) -> Done {
        match self.nearest_cancel() {
            None => DoneChan::nil_receiver(),
            Some(n) => {
                let Kind::Cancel(cc) = &n.kind else {
                    unreachable!()
                };
                let mut g = cc.inner.lock();
                if let Some(d) = g.done.get() {
                    let r = d.receiver();
                    if cc.state.load(Ordering::Acquire) != LIVE {
                        // Cancelled: make sure the channel is closed before
                        // returning it (the canceller may not have got to
                        // it yet; I2), with our lock released (I9).
                        let d = d.handle();
                        drop(g);
                        d.close();
                    }
                    return r;
                }
                let d = DoneChan::new();
                if cc.state.load(Ordering::Acquire) != LIVE {
                    d.close(); // Go: closedchan
                }
                let r = d.receiver();
                g.done = d;
                r
            }
        }
    }

    /// Why this context was cancelled, or `None` while it is not: Go's `Err()`.
    ///
    /// Once `Some`, it never changes: the first cancellation wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use gocontext::{background, with_timeout, Error};
    /// let (ctx, cancel) = with_timeout(&background(), Duration::ZERO);
    /// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    /// cancel.cancel(); // too late: the deadline won
    /// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    /// ```
    pub fn err(&self) -> Option<Error> {
        let n = self.nearest_cancel()?;
        let Kind::Cancel(cc) = &n.kind else {
            unreachable!()
        };
        state_err(cc.state.load(Ordering::Acquire))
    }

    /// Whether the context has been cancelled (`err().is_some()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
    /// assert!(!ctx.is_done());
    /// cancel.cancel();
    /// assert!(ctx.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.err().is_some()
    }

    /// The nearest deadline at or above this context, as a reading of its
    /// timer service's clock (works with any [`Clock`](crate::Clock)).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{background, with_deadline_on, ManualClock, Timers};
    /// let timers = Timers::new(ManualClock::new());
    /// let (ctx, _c) = with_deadline_on(&background(), &timers, Duration::from_secs(9));
    /// assert_eq!(ctx.deadline_reading(), Some(Duration::from_secs(9)));
    /// assert_eq!(background().deadline_reading(), None);
    /// ```
    pub fn deadline_reading(&self) -> Option<Duration> {
        self.deadline_inner().map(|d| d.at)
    }

    fn deadline_inner(&self) -> Option<&Deadline> {
        let mut c = self;
        loop {
            let n = c.node()?;
            match &n.kind {
                Kind::Cancel(cc) => {
                    if let Some(t) = &cc.timed {
                        return Some(&t.deadline);
                    }
                }
                Kind::Value(_) => {}
                Kind::WithoutCancel | Kind::Todo => return None,
            }
            c = &n.parent;
        }
    }

    /// The value stored under `key` by the nearest [`with_value`] at or above
    /// this context, if it has type `V`: Go's `ctx.Value(key).(V)`.
    ///
    /// Keys match when they have the same type and compare equal (Go's
    /// interface equality), so keys of different types never collide. The
    /// innermost match wins (shadowing); if its value is not a `V`, the
    /// result is `None` (Go's failed type assertion).
    ///
    /// # Examples
    ///
    /// ```
    /// use gocontext::{background, with_value};
    /// #[derive(PartialEq)]
    /// struct UserKey;
    /// let ctx = with_value(&background(), UserKey, String::from("gopher"));
    /// let child = with_value(&ctx, "other", 1u32);
    /// assert_eq!(child.value::<_, String>(&UserKey).map(String::as_str), Some("gopher"));
    /// assert_eq!(child.value::<_, u32>(&"other"), Some(&1));
    /// assert_eq!(background().value::<_, u32>(&"other"), None);
    /// ```
    pub fn value<K: Any + PartialEq, V: Any>(&self, key: &K) -> Option<&V> {
        self.value_any(key)?.downcast_ref::<V>()
    }

    /// Like [`Context::value`] but returns the value untyped (Go's `any`).
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx = gocontext::with_value(&gocontext::background(), 1u8, 2u16);
    /// assert!(ctx.value_any(&1u8).unwrap().is::<u16>());
    /// ```
    pub fn value_any<K: Any + PartialEq>(&self, key: &K) -> Option<&(dyn Any + Send + Sync)> {
        let mut c = self;
        loop {
            let n = c.node()?;
            if let Kind::Value(v) = &n.kind {
                if v.key_id == TypeId::of::<K>()
                    && (*v.key).as_any().downcast_ref::<K>() == Some(key)
                {
                    return Some(&*v.val);
                }
            }
            c = &n.parent;
        }
    }

    /// Whether `self` and `other` are the same context (clones of one handle).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = gocontext::background();
    /// assert!(a.same(&a.clone()));
    /// assert!(!a.same(&gocontext::todo()));
    /// ```
    pub fn same(&self, other: &Context) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                Arc::ptr_eq(a, b) || matches!((&a.kind, &b.kind), (Kind::Todo, Kind::Todo))
            }
            _ => false,
        }
    }

    /// How many children are registered with this cancel context right now
    /// (0 for other contexts). For leak checks in tests and benchmarks.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocontext::{background, with_cancel};
    /// let (p, _pc) = with_cancel(&background());
    /// let (_c, cc) = with_cancel(&p);
    /// assert_eq!(p.children_len(), 1);
    /// cc.cancel(); // a cancelled child leaves its parent
    /// assert_eq!(p.children_len(), 0);
    /// ```
    pub fn children_len(&self) -> usize {
        match self.node().map(|n| &n.kind) {
            Some(Kind::Cancel(cc)) => cc.inner.lock().children_len(),
            _ => 0,
        }
    }
}

#[cfg(feature = "std")]
impl Context {
    /// The nearest deadline at or above this context: Go's `Deadline()`.
    ///
    /// `None` when no deadline is set. A deadline given to [`with_deadline`]
    /// comes back as the very `Instant` given, as in Go (also one before the
    /// global clock's epoch, whose reading is zero). For a context on a
    /// service other than [`Timers::global`], the reading is mapped onto the
    /// global epoch; use [`Context::deadline_reading`] there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use gocontext::{background, with_deadline};
    /// let at = Instant::now() + Duration::from_secs(60);
    /// let (ctx, _cancel) = with_deadline(&background(), at);
    /// assert_eq!(ctx.deadline(), Some(at)); // the very instant given
    /// ```
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.deadline_inner()
            .map(|d| d.exact.unwrap_or_else(|| Timers::global_instant(d.at)))
    }
}

/// Go: `propagateCancel`. Registers `child` (a fresh cancel node) with its
/// nearest cancel ancestor, or cancels it at once if that is cancelled.
fn propagate(child: &Arc<Node>) {
    let Kind::Cancel(cc) = &child.kind else {
        unreachable!()
    };
    let Some(anchor) = child.parent.nearest_cancel() else {
        return;
    };
    let Kind::Cancel(pc) = &anchor.kind else {
        unreachable!()
    };
    let mut g = pc.inner.lock();
    let s = pc.state.load(Ordering::Acquire);
    if s != LIVE {
        let cause = g.cause.clone();
        drop(g);
        // Go: child.cancel(false, p.err, p.cause)
        cancel(child, false, state_err(s).unwrap_or(Error::Canceled), cause);
        return;
    }
    let slot = g.insert_child(Child::Node(Arc::downgrade(child)));
    cc.slot.store(slot, Ordering::Relaxed);
}

/// Go: `removeChild`.
fn remove_child(anchor: &Arc<Node>, slot: usize, p: *const ()) -> Option<Child> {
    let Kind::Cancel(pc) = &anchor.kind else {
        unreachable!()
    };
    let mut g = pc.inner.lock();
    g.remove_child(slot, p)
}

/// Go: `cancelCtx.cancel(removeFromParent, err, cause)`, made iterative (I4).
fn cancel(node: &Arc<Node>, remove: bool, err: Error, cause: Option<SharedCause>) {
    let mut work: Vec<Job> = Vec::new();
    if !cancel_one(node, err, &cause, &mut work) {
        // Already cancelled, perhaps by a thread that has not closed the
        // done channel yet: `cancel_one` queued a close of our own, so the
        // channel is closed when this returns (I2).
        drain_work(work, err, &cause);
        return;
    }
    if remove {
        let Kind::Cancel(cc) = &node.kind else {
            unreachable!()
        };
        if let Some(a) = node.parent.nearest_cancel() {
            let removed =
                remove_child(a, cc.slot.load(Ordering::Relaxed), Arc::as_ptr(node).cast());
            drop(removed); // outside the anchor's lock
        }
    }
    drain_work(work, err, &cause);
}

/// Cancels one node: its state, its children (moved to `work`) and the
/// closing of its done channel (a job on `work`, run after the children
/// are queued, with no lock held: I9). False if already cancelled; then
/// only a close of the done channel is queued, in case the thread that
/// cancelled it has not closed it yet (I2). Runs no user code.
fn cancel_one(
    node: &Arc<Node>,
    err: Error,
    cause: &Option<SharedCause>,
    work: &mut Vec<Job>,
) -> bool {
    let Kind::Cancel(cc) = &node.kind else {
        unreachable!()
    };
    let mut g = cc.inner.lock();
    if cc.state.load(Ordering::Relaxed) != LIVE {
        // I1: the first cancellation won.
        if let Some(d) = g.done.get() {
            work.push(Job::Close(d.handle()));
        }
        return false;
    }
    g.cause = cause.clone();
    // I2: state first, then close (the close job runs after this store).
    cc.state.store(err_state(err), Ordering::Release);
    let done = g.done.get().map(DoneChan::handle);
    let children = g.take_children();
    let timer = cc.timed.as_ref().and_then(|t| t.timer.lock().take());
    drop(g);
    drop(timer); // stops the deadline timer (heap lock, after ours)
    work.extend(children.map(Job::Child));
    if let Some(d) = done {
        // Pushed last, popped first: the node's own channel closes before
        // its children are cancelled, as in Go.
        work.push(Job::Close(d));
    }
    true
}

/// I5/I8: a live cancel node is being dropped (nobody can observe it any
/// more). It leaves its anchor's slab; if it handed out a done channel or
/// holds after-funcs, those are left behind as an [`Orphan`]: in the anchor's
/// slab (closed when the anchor is cancelled) and on a re-armed timer at the
/// node's own deadline.
fn orphan_on_drop(cc: &mut CancelCtx, anchor: Option<&Arc<Node>>, me: *const ()) {
    let inner = cc.inner.get_mut();
    let done = inner.done.take();
    let items: Vec<Child> = inner
        .take_children()
        .filter(|c| !matches!(c, Child::Node(_)))
        .collect();
    let timer = cc.timed.as_mut().and_then(|t| t.timer.get_mut().take());
    let orphan = (done.is_some() || !items.is_empty()).then(|| {
        Arc::new(Orphan {
            done: Lock::new(done),
            items: Lock::new(items),
            timer: Lock::new(None),
        })
    });
    if let (Some(o), Some(t), Some(Timed { deadline: d, .. })) =
        (&orphan, &timer, cc.timed.as_deref())
    {
        if t.is_armed() {
            let keep = Arc::clone(o);
            let wt = d.timers.arm_detached(d.at, move |_| {
                let mut work = Vec::new();
                keep.fire(&mut work);
                drain_work(work, Error::DeadlineExceeded, &None);
            });
            *o.timer.lock() = Some(wt);
        }
    }
    drop(timer); // the old timer only held a Weak to us
    let Some(anchor) = anchor else {
        return; // nobody above can cancel us: the orphan lives only on its timer
    };
    let Kind::Cancel(pc) = &anchor.kind else {
        unreachable!()
    };
    let mut g = pc.inner.lock();
    let removed = g.remove_child(cc.slot.load(Ordering::Relaxed), me);
    let fire_now = match orphan {
        Some(o) if pc.state.load(Ordering::Acquire) == LIVE => {
            g.insert_child(Child::Orphan(o));
            None
        }
        other => other,
    };
    drop(g);
    drop(removed);
    if let Some(o) = fire_now {
        // The anchor was cancelled while we were being dropped: its walk
        // could not reach us, so close what we leave behind ourselves.
        let mut work = Vec::new();
        o.fire(&mut work);
        drain_work(work, Error::Canceled, &None);
    }
}

impl AfterFn {
    /// Runs `f` once (unless stopped first). Go: `a.once.Do(func() { go a.f() })`.
    fn fire(&self) {
        if self.taken.swap(true, Ordering::AcqRel) {
            return;
        }
        let f = self.f.lock().take();
        if let Some(f) = f {
            #[cfg(feature = "std")]
            {
                std::thread::spawn(f);
            }
            #[cfg(not(feature = "std"))]
            f();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let me: *const () = (self as *const Node).cast();
        let Node { parent, kind } = self;
        if let Kind::Cancel(cc) = kind {
            if cc.state.load(Ordering::Acquire) == LIVE {
                orphan_on_drop(cc, parent.nearest_cancel(), me);
            }
        }
        // Drop the parent chain iteratively: a long chain must not recurse.
        let mut next = core::mem::replace(&mut self.parent, background());
        while let Some(n) = next.0 {
            match Arc::into_inner(n) {
                Some(mut node) => {
                    next = core::mem::replace(&mut node.parent, background());
                }
                None => break,
            }
        }
    }
}

/// The root context: never cancelled, no deadline, no values. Go: `context.Background()`.
///
/// # Examples
///
/// ```
/// let ctx = gocontext::background();
/// assert_eq!(ctx.err(), None);
/// assert!(ctx.done().try_recv().is_err()); // a nil channel: never ready
/// assert_eq!(ctx.to_string(), "context.Background");
/// ```
pub fn background() -> Context {
    Context(None)
}

/// Like [`background`], for code that has not decided which context to use
/// yet. Go: `context.TODO()`.
///
/// Each call allocates a small root node (Go returns a shared one), so that
/// a [`Context`] stays one pointer wide; every `todo()` is the same context
/// ([`Context::same`]).
///
/// # Examples
///
/// ```
/// assert_eq!(gocontext::todo().to_string(), "context.TODO");
/// assert!(gocontext::todo().same(&gocontext::todo()));
/// ```
pub fn todo() -> Context {
    Context(Some(Arc::new(Node {
        parent: background(),
        kind: Kind::Todo,
    })))
}

/// Cancels a context made by [`with_cancel`], [`with_deadline`] or
/// [`with_timeout`]: Go's `CancelFunc`.
///
/// Cancelling closes the context's done channel, sets its error to
/// [`Error::Canceled`], cancels every descendant and detaches the context
/// from its parent. Later calls do nothing. Dropping a `CancelFunc` does *not*
/// cancel.
///
/// # Examples
///
/// ```
/// let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
/// let again = cancel.clone();
/// cancel.cancel();
/// again.cancel(); // idempotent
/// assert_eq!(ctx.err(), Some(gocontext::Error::Canceled));
/// ```
#[doc(alias = "context.CancelFunc")]
#[derive(Clone)]
pub struct CancelFunc(Arc<Node>);

impl CancelFunc {
    /// Cancels the context. Go: `cancel()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
    /// cancel.cancel();
    /// assert!(ctx.is_done());
    /// ```
    pub fn cancel(&self) {
        cancel(&self.0, true, Error::Canceled, None);
    }
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CancelFunc")
    }
}

/// Cancels a context made by [`with_cancel_cause`] with a cause: Go 1.20's
/// `CancelCauseFunc`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gocontext::{background, cause, with_cancel_cause, Error};
/// let (ctx, cancel) = with_cancel_cause(&background());
/// cancel.cancel(Some(Arc::new(std::fmt::Error)));
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// assert_eq!(cause(&ctx).unwrap().to_string(), std::fmt::Error.to_string());
/// ```
#[doc(alias = "context.CancelCauseFunc")]
#[derive(Clone)]
pub struct CancelCauseFunc(Arc<Node>);

impl CancelCauseFunc {
    /// Cancels the context, recording `cause` (`None` records
    /// [`Error::Canceled`] as the cause). Go: `cancel(cause)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (ctx, cancel) = gocontext::with_cancel_cause(&gocontext::background());
    /// cancel.cancel(None);
    /// assert_eq!(gocontext::cause(&ctx).unwrap().to_string(), "context canceled");
    /// ```
    pub fn cancel(&self, cause: Option<Cause>) {
        cancel(&self.0, true, Error::Canceled, cause.map(Arc::new));
    }
}

impl fmt::Debug for CancelCauseFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CancelCauseFunc")
    }
}

fn new_cancel(parent: &Context, timed: Option<Box<Timed>>) -> Arc<Node> {
    let node = Arc::new(Node {
        parent: parent.clone(),
        kind: Kind::Cancel(CancelCtx {
            state: AtomicU8::new(LIVE),
            slot: AtomicUsize::new(NO_SLOT),
            timed,
            inner: Lock::new(CancelInner::default()),
        }),
    });
    propagate(&node);
    node
}

/// A child of `parent` that is cancelled by the returned [`CancelFunc`] or
/// when `parent` is cancelled, whichever comes first. Go: `context.WithCancel`.
///
/// # Examples
///
/// ```
/// use gocontext::{background, with_cancel, Error};
/// let (parent, cancel_parent) = with_cancel(&background());
/// let (child, _cancel_child) = with_cancel(&parent);
/// cancel_parent.cancel();
/// assert_eq!(child.err(), Some(Error::Canceled));
/// ```
///
/// The result is `#[must_use]`, like every constructor that returns a cancel
/// function (Go vet's `lostcancel` check): discarding it is a warning.
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// gocontext::with_cancel(&gocontext::background());
/// ```
#[must_use = "the cancel function returned by with_cancel should be called, not discarded (Go vet: lostcancel); in Go a discarded one leaks the context until its parent is cancelled"]
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    let n = new_cancel(parent, None);
    (Context(Some(Arc::clone(&n))), CancelFunc(n))
}

/// Like [`with_cancel`], but the cancel function records a cause, read back
/// with [`cause`]. Go 1.20: `context.WithCancelCause`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gocontext::{background, cause, with_cancel, with_cancel_cause};
/// let (ctx, cancel) = with_cancel_cause(&background());
/// let (child, _c) = with_cancel(&ctx);
/// cancel.cancel(Some(Arc::new(std::io::Error::other("shutting down"))));
/// assert_eq!(cause(&child).unwrap().to_string(), "shutting down");
/// ```
#[must_use = "the cancel function returned by with_cancel_cause should be called, not discarded (Go vet: lostcancel); in Go a discarded one leaks the context until its parent is cancelled"]
pub fn with_cancel_cause(parent: &Context) -> (Context, CancelCauseFunc) {
    let n = new_cancel(parent, None);
    (Context(Some(Arc::clone(&n))), CancelCauseFunc(n))
}

/// Why `ctx` was cancelled: the cause given to the first cancellation of
/// `ctx` or an ancestor, else its [`Context::err`]; `None` while it is not
/// cancelled. Go 1.20: `context.Cause`.
///
/// # Examples
///
/// ```
/// use gocontext::{background, cause, with_cancel};
/// let (ctx, cancel) = with_cancel(&background());
/// assert!(cause(&ctx).is_none());
/// cancel.cancel();
/// assert_eq!(cause(&ctx).unwrap().to_string(), "context canceled");
/// ```
pub fn cause(ctx: &Context) -> Option<Cause> {
    let n = ctx.nearest_cancel()?;
    let Kind::Cancel(cc) = &n.kind else {
        unreachable!()
    };
    let g = cc.inner.lock();
    let err = state_err(cc.state.load(Ordering::Acquire))?;
    Some(match &g.cause {
        Some(c) => Cause::clone(c),
        None => Arc::new(err),
    })
}

/// A child of `parent` cancelled at clock reading `at` of `timers` (with
/// [`Error::DeadlineExceeded`]), by its [`CancelFunc`], or with its parent.
///
/// The service-agnostic form of [`with_deadline`]: use it on `no_std` with a
/// service over your own [`Clock`](crate::Clock). If the parent's deadline is
/// earlier (I6), the child is a plain cancel context reporting the parent's
/// deadline. A deadline not after `timers.now()` cancels before returning.
/// Keep one clock per tree: deadlines on different services are compared as
/// raw readings.
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use gocontext::{background, with_deadline_on, Error, ManualClock, Timers};
/// let clock = ManualClock::new();
/// let timers = Timers::new(clock.clone());
/// let (ctx, _cancel) = with_deadline_on(&background(), &timers, Duration::from_secs(1));
/// clock.advance(Duration::from_secs(1));
/// timers.fire_due();
/// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
/// ```
#[must_use = "the cancel function returned by with_deadline_on should be called, not discarded (Go vet: lostcancel); in Go a discarded one leaks the context until its parent is cancelled"]
pub fn with_deadline_on(
    parent: &Context,
    timers: &Arc<Timers>,
    at: Duration,
) -> (Context, CancelFunc) {
    #[cfg(feature = "std")]
    let exact = None;
    #[cfg(not(feature = "std"))]
    let exact = ();
    deadline_node(parent, timers, at, exact)
}

/// [`with_deadline_on`], remembering the `Instant` the deadline was given as.
fn deadline_node(
    parent: &Context,
    timers: &Arc<Timers>,
    at: Duration,
    exact: Exact,
) -> (Context, CancelFunc) {
    if let Some(cur) = parent.deadline_inner() {
        if cur.before(at, &exact) {
            // Go: "The current deadline is already sooner than the new one."
            return with_cancel(parent);
        }
    }
    let n = new_cancel(
        parent,
        Some(Box::new(Timed {
            deadline: Deadline {
                at,
                timers: Arc::clone(timers),
                exact,
            },
            timer: Lock::new(None),
        })),
    );
    let now = timers.now();
    if at <= now {
        // Go: "deadline has already passed"
        cancel(&n, true, Error::DeadlineExceeded, None);
        return (Context(Some(Arc::clone(&n))), CancelFunc(n));
    }
    let Kind::Cancel(cc) = &n.kind else {
        unreachable!()
    };
    let g = cc.inner.lock();
    if let (LIVE, Some(t)) = (cc.state.load(Ordering::Relaxed), &cc.timed) {
        // Armed under the node's lock, so a cancel (which takes the timer
        // under that lock too) either finds it or happened before and
        // leaves it unarmed.
        let weak = Arc::downgrade(&n);
        *t.timer.lock() = Some(timers.arm(at, Duration::ZERO, move |_| {
            if let Some(n) = weak.upgrade() {
                cancel(&n, true, Error::DeadlineExceeded, None);
            }
        }));
    }
    drop(g);
    (Context(Some(Arc::clone(&n))), CancelFunc(n))
}

/// [`with_deadline_on`] at `timers.now() + d`.
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use gocontext::{background, with_timeout_on, ManualClock, Timers};
/// let timers = Timers::new(ManualClock::new());
/// let (ctx, cancel) = with_timeout_on(&background(), &timers, Duration::from_secs(5));
/// assert_eq!(ctx.deadline_reading(), Some(Duration::from_secs(5)));
/// cancel.cancel();
/// assert!(timers.is_empty()); // the deadline timer left the heap
/// ```
#[must_use = "the cancel function returned by with_timeout_on should be called, not discarded (Go vet: lostcancel); in Go a discarded one leaks the context until its parent is cancelled"]
pub fn with_timeout_on(
    parent: &Context,
    timers: &Arc<Timers>,
    d: Duration,
) -> (Context, CancelFunc) {
    let at = timers.now().saturating_add(d);
    with_deadline_on(parent, timers, at)
}

/// A child of `parent` cancelled at `at` with [`Error::DeadlineExceeded`],
/// by its [`CancelFunc`], or with its parent. Go: `context.WithDeadline`.
///
/// Uses [`Timers::global`]. A deadline later than the parent's gives a plain
/// cancel context reporting the parent's deadline; a deadline already past
/// cancels before this returns.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use gocontext::{background, with_deadline, Error};
/// let (ctx, _cancel) = with_deadline(&background(), Instant::now() + Duration::from_millis(5));
/// assert_eq!(ctx.done().recv(), None); // closes when the deadline passes
/// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
/// ```
#[must_use = "the cancel function returned by with_deadline should be called, not discarded (Go vet: lostcancel); in Go a discarded one leaks the context until its parent is cancelled"]
#[cfg(feature = "std")]
pub fn with_deadline(parent: &Context, at: std::time::Instant) -> (Context, CancelFunc) {
    deadline_node(
        parent,
        Timers::global(),
        Timers::global_reading(at),
        Some(at),
    )
}

/// [`with_deadline`] at now + `d`. Go: `context.WithTimeout`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gocontext::{background, with_timeout};
/// let (ctx, cancel) = with_timeout(&background(), Duration::from_secs(60));
/// assert!(ctx.deadline().is_some());
/// cancel.cancel(); // stops the timer at once
/// ```
#[must_use = "the cancel function returned by with_timeout should be called, not discarded (Go vet: lostcancel); in Go a discarded one leaks the context until its parent is cancelled"]
#[cfg(feature = "std")]
pub fn with_timeout(parent: &Context, d: Duration) -> (Context, CancelFunc) {
    with_timeout_on(parent, Timers::global(), d)
}

/// A child of `parent` carrying `val` under `key`. Go: `context.WithValue`.
///
/// Use a key type of your own (a unit struct) so keys from different
/// packages never collide; any `PartialEq` type works.
///
/// # Examples
///
/// ```
/// use gocontext::{background, with_value};
/// #[derive(PartialEq)]
/// struct RequestId;
/// let ctx = with_value(&background(), RequestId, 42u64);
/// assert_eq!(ctx.value::<_, u64>(&RequestId), Some(&42));
/// ```
pub fn with_value<K, V>(parent: &Context, key: K, val: V) -> Context
where
    K: Any + PartialEq + Send + Sync,
    V: Any + Send + Sync,
{
    Context(Some(Arc::new(Node {
        parent: parent.clone(),
        kind: Kind::Value(ValueCtx {
            key_id: TypeId::of::<K>(),
            key: Box::new(key),
            val: Box::new(val),
        }),
    })))
}

/// A child of `parent` that keeps its values but is never cancelled and has
/// no deadline. Go 1.21: `context.WithoutCancel`.
///
/// # Examples
///
/// ```
/// use gocontext::{background, with_cancel, with_value, without_cancel};
/// let (ctx, cancel) = with_cancel(&with_value(&background(), "k", 1i32));
/// let detached = without_cancel(&ctx);
/// cancel.cancel();
/// assert_eq!(detached.err(), None);
/// assert_eq!(detached.value::<_, i32>(&"k"), Some(&1));
/// ```
pub fn without_cancel(parent: &Context) -> Context {
    Context(Some(Arc::new(Node {
        parent: parent.clone(),
        kind: Kind::WithoutCancel,
    })))
}

/// Stops an [`after_func`] registration.
///
/// # Examples
///
/// ```
/// let (ctx, _cancel) = gocontext::with_cancel(&gocontext::background());
/// let stop = gocontext::after_func(&ctx, || unreachable!());
/// assert!(stop.stop());
/// assert!(!stop.stop());
/// ```
pub struct AfterFuncStop(Arc<AfterFn>);

impl AfterFuncStop {
    /// Stops `f` from running; `true` if this call stopped it, `false` if it
    /// was already started or stopped. Go 1.21: `stop()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
    /// let stop = gocontext::after_func(&ctx, || {});
    /// cancel.cancel();
    /// assert!(!stop.stop()); // f already started
    /// ```
    pub fn stop(&self) -> bool {
        let a = &self.0;
        if a.taken.swap(true, Ordering::AcqRel) {
            return false;
        }
        let f = a.f.lock().take();
        drop(f);
        if let Some(anchor) = a.anchor.as_ref().and_then(Weak::upgrade) {
            let removed = remove_child(
                &anchor,
                a.slot.load(Ordering::Relaxed),
                Arc::as_ptr(a).cast(),
            );
            drop(removed);
        }
        true
    }
}

impl fmt::Debug for AfterFuncStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AfterFuncStop")
    }
}

/// Arranges for `f` to run once `ctx` is cancelled (at once if it already
/// is). Go 1.21: `context.AfterFunc`.
///
/// With `std`, `f` runs on a new thread (Go: its own goroutine); without,
/// on the thread that cancels, after the cancelled contexts are marked and
/// with no lock held: if it panics, the rest of the cancellation (other
/// contexts, channels and after-funcs) is completed while the panic unwinds
/// to the caller of `cancel`. Each call is independent. The registration
/// outlives the context handles: it still runs when an ancestor is cancelled.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
/// let (tx, rx) = mpsc::channel();
/// let _stop = gocontext::after_func(&ctx, move || tx.send("cleaned up").unwrap());
/// cancel.cancel();
/// assert_eq!(rx.recv().unwrap(), "cleaned up");
/// ```
pub fn after_func(ctx: &Context, f: impl FnOnce() + Send + 'static) -> AfterFuncStop {
    let anchor_node = ctx.nearest_cancel();
    let anchor = anchor_node.map(Arc::downgrade);
    let a = Arc::new(AfterFn {
        taken: AtomicBool::new(false),
        f: Lock::new(Some(Box::new(f))),
        anchor,
        slot: AtomicUsize::new(NO_SLOT),
    });
    if let Some(n) = anchor_node {
        let Kind::Cancel(cc) = &n.kind else {
            unreachable!()
        };
        let mut g = cc.inner.lock();
        if cc.state.load(Ordering::Acquire) != LIVE {
            drop(g);
            a.fire();
        } else {
            let slot = g.insert_child(Child::Func(Arc::clone(&a)));
            a.slot.store(slot, Ordering::Relaxed);
            drop(g);
        }
    }
    AfterFuncStop(a)
}

impl fmt::Display for Context {
    /// Go's `String()` forms: `context.Background`, `<parent>.WithCancel`,
    /// `<parent>.WithDeadline(<deadline> [<remaining>])` (the clock reading
    /// and a `Duration`, `-` once the deadline has passed, where Go prints
    /// a `time.Time` and a `time.Duration`),
    /// `<parent>.WithValue(type <K>, val <V>)` (`V` printed when it is a
    /// `String`, a `&'static str` or a `Context`, Go's strings and Stringers,
    /// else `<not Stringer>`), `<parent>.WithoutCancel`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = match &self.0 {
            None => return f.write_str("context.Background"),
            Some(n) if matches!(n.kind, Kind::Todo) => return f.write_str("context.TODO"),
            Some(n) => n,
        };
        fmt::Display::fmt(&n.parent, f)?;
        match &n.kind {
            Kind::Cancel(cc) => match cc.timed.as_deref() {
                None => f.write_str(".WithCancel"),
                Some(Timed { deadline: d, .. }) => {
                    // Go: time.Until(deadline), negative once it passed.
                    let ((s_at, at), (s_left, left)) = d.display_parts();
                    write!(f, ".WithDeadline({s_at}{at:?} [{s_left}{left:?}])")
                }
            },
            Kind::Value(v) => {
                let val: String = if let Some(s) = v.val.downcast_ref::<String>() {
                    s.clone()
                } else if let Some(s) = v.val.downcast_ref::<&'static str>() {
                    String::from(*s)
                } else if let Some(c) = v.val.downcast_ref::<Context>() {
                    // Go's stringify calls a value's String method: a
                    // context stored as a value prints as its path.
                    alloc::format!("{c}")
                } else {
                    String::from("<not Stringer>")
                };
                write!(f, ".WithValue(type {}, val {})", (*v.key).type_name(), val)
            }
            Kind::WithoutCancel => f.write_str(".WithoutCancel"),
            Kind::Todo => unreachable!("handled above"),
        }
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("path", &alloc::format!("{self}"))
            .field("err", &self.err())
            .finish()
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn slab_reuses_and_frees() {
        let mut s = CancelInner::default();
        let a = Arc::new(AfterFn {
            taken: AtomicBool::new(false),
            f: Lock::new(None),
            anchor: None,
            slot: AtomicUsize::new(NO_SLOT),
        });
        let b = Arc::new(AfterFn {
            taken: AtomicBool::new(false),
            f: Lock::new(None),
            anchor: None,
            slot: AtomicUsize::new(NO_SLOT),
        });
        let pa = Arc::as_ptr(&a).cast();
        let pb = Arc::as_ptr(&b).cast();
        let ia = s.insert_child(Child::Func(Arc::clone(&a)));
        let ib = s.insert_child(Child::Func(Arc::clone(&b)));
        assert!(
            s.remove_child(ia, pb).is_none(),
            "wrong pointer must not remove"
        );
        assert!(s.remove_child(ia, pa).is_some());
        assert_eq!(s.children_len(), 1);
        let ia2 = s.insert_child(Child::Func(Arc::clone(&a)));
        assert_eq!(ia2, ia, "free slot reused");
        assert!(s.remove_child(ib, pb).is_some());
        assert!(s.remove_child(ia2, pa).is_some());
        assert!(s.children.is_none(), "an empty child set frees its memory");
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_cancel_node_is_nine_words() {
        // What "Tuning" counts: with Arc's two counters, 88 bytes per
        // `with_cancel` child, plus its 16-byte entry in the parent's set.
        assert_eq!(core::mem::size_of::<Context>(), 8);
        assert_eq!(core::mem::size_of::<Node>(), 72);
        assert_eq!(core::mem::size_of::<Entry>(), 16);
    }

    #[test]
    fn deep_chain_drops_and_cancels_without_recursion() {
        let depth = if cfg!(miri) { 500 } else { 200_000 };
        let (root, cancel) = with_cancel(&background());
        let mut c = root.clone();
        let mut funcs = Vec::new();
        for _ in 0..depth {
            let (n, f) = with_cancel(&c);
            c = n;
            funcs.push(f);
        }
        cancel.cancel();
        assert_eq!(c.err(), Some(Error::Canceled));
        drop(funcs);
        drop(c);
    }
}
