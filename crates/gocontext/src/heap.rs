//! The timer service: a 4-ary min-heap of deadlines, as Go's runtime keeps.
//!
//! # What
//!
//! Every deadline in this crate (context deadlines, [`after`](crate::after),
//! [`tick`](crate::tick), [`Timer`](crate::Timer)) is one entry in one heap
//! owned by a [`Timers`] service. The service reads a [`Clock`]; whoever
//! drives it calls [`Timers::fire_due`], which pops every entry whose time has
//! come and runs its action. With `std`, [`Timers::global`] is driven by one
//! background thread that sleeps until the earliest deadline; on `no_std` you
//! create a service over your own clock and call `fire_due` from your tick
//! interrupt or main loop. [`ManualClock`] is a clock you move by hand, for
//! tests and simulations.
//!
//! # Layout
//!
//! ```text
//!   Timers ── clock: Box<dyn Clock>
//!          └─ heap: Lock<Heap> ── slots: Vec<Slot>      (a 4-ary heap by `when`)
//!                                   [0]                    parent(i) = (i-1)/4
//!                   [1]       [2]        [3]       [4]     children  = 4i+1 ..= 4i+4
//!                 [5..8]    [9..12]   [13..16]  [17..20]
//!
//!   Slot { when, kind: Once | Every(period), entry: Option<Arc<Entry>> }
//!          (entry None: a dead slot, stopped but not yet removed)
//!   Entry { pos: AtomicUsize (index of its live slot, or NONE), action }
//!   TimerHandle { timers: Arc<Timers>, entry: Arc<Entry> }   -- held by the user
//! ```
//!
//! # Invariants
//!
//! - I1. Heap order: `slots[parent(i)].when <= slots[i].when` for every `i > 0`.
//! - I2. `slots[i].entry.pos == i` for every live slot, and an entry that is
//!   in no slot has `pos == NONE`. `pos` is only read or written with the
//!   heap lock held (it is atomic only so that `Entry` is `Sync` without
//!   `unsafe`).
//! - I3. An entry is in the heap at most once. `Heap::dead` counts the dead
//!   slots.
//! - I4. Actions run without the heap lock held (an action may stop or reset
//!   timers, including its own), so a `stop` that races with firing returns
//!   `false` exactly when the action was already taken out of the heap.
//! - I5. Stopping is immediate, removal is lazy, as in Go: `stop` (and
//!   dropping a [`TimerHandle`]) disarms the entry and takes it out of its
//!   slot under the lock, in O(1) (Go's `deltimer` marks `timerDeleted`);
//!   the empty slot stays in place until it reaches the root (it is popped
//!   there, by `fire_due` and `next_deadline`: Go's `cleantimers`) or dead
//!   slots pass a quarter of the heap (all are removed and the heap is
//!   rebuilt in O(n): Go's `clearDeletedTimers`, which runs when
//!   `deletedTimers > len(timers)/4`). So at most a quarter of the slots
//!   are dead, a dead slot holds nothing but its 48 bytes, and
//!   [`Timers::len`] counts live slots only. The heap's memory follows its
//!   length (I6).
//! - I6. When the heap falls to a quarter of its capacity the capacity halves,
//!   so a burst of a million timers gives its memory back once they are gone.
//! - I7. (global service) At most one driver thread exists: `Driver::running`
//!   is set by the insert that spawns it and cleared by the thread itself,
//!   both under the heap lock, and the thread clears it only when it finds
//!   the heap empty. So a non-empty heap always has a driver.
//! - I8. If an action panics, the entries popped in the same batch but not
//!   yet run are pushed back, due at once; the next `fire_due` runs them.
//! - I9. Nothing that may run user code is dropped with the heap lock held.
//!   An `Arc<Entry>` taken out of the heap (by `stop`, `reset`, `fire_due`)
//!   may be the last owner of an action, and dropping the action drops what
//!   it captured: user `Drop`s, which may arm, stop or reset timers of this
//!   same service (taking the lock again: a deadlock, the lock is not
//!   reentrant) or observe the heap half-updated. So every removal keeps
//!   the removed slot until the guard is released and drops it after. (A
//!   [`TimerHandle`] holds its own `Arc<Entry>`, so through the handle the
//!   slot is rarely the last owner; the rule does not depend on that.)
//!
//! # Tuning
//!
//! - Arity 4 (Go's `siftupTimer`/`siftdownTimer`): a 4-ary heap of n entries
//!   is log4(n) deep, half a binary heap's: a million timers are 10 levels
//!   deep instead of 20. Sift-down compares four children, which sit in two
//!   or three cache lines (`Slot` is 48 bytes on 64-bit targets), so the
//!   extra compares are cheap.
//! - Lazy removal (I5). Removing a slot from the middle of the heap sifts
//!   the last slot into its place, up to log4(n) levels, and records the new
//!   index in each moved slot's entry, a cache miss per level on a large
//!   heap; stopping timers in the order they were armed (the benchmark
//!   `timers create+stop 1M`, and a common pattern: each stop hits the
//!   root) paid that on every stop. Marking is O(1); the rebuild after a
//!   quarter of the heap died is O(n) for n/4 stops, O(1) each. Measured on
//!   a million one-hour timers stopped in arming order (a shared, loaded
//!   machine, so ratios only): stop took 0.55-0.6x the time of eager
//!   removal for channel timers (`Timer`) and 0.55x for `after_func`; a
//!   whole create+stop of a `Timer`, 0.75-0.8x.
//! - What a `Timer` create+stop still costs beyond Go's (where the benchmark
//!   has `Timer` at 0.55-0.8x Go 1.19 and `after_func` at 1.3x, depending on
//!   the run): three allocations per `Timer` (the channel's header, its
//!   one-slot buffer and the entry; Go's `makechan` puts a pointer-free
//!   buffer in the header's block, so it makes two), and page faults when a
//!   burst refills the heap's `Vec`, which gave its memory back when the
//!   previous burst ended (I6; Go keeps a P's timer slice at its largest).
//!   Both are choices of this crate (gochan's layout, bounded memory), not
//!   of the heap's algorithm.
//! - `fire_due` takes at most [`FIRE_BATCH`] entries per lock hold so that a
//!   storm of simultaneous deadlines does not hold the lock for long.
//!
//! # Go correspondence
//!
//! Go 1.19 `src/runtime/time.go`: `timer` → [`Entry`] + `Slot`; `pp.timers`
//! → `Heap::slots`; `siftupTimer` → `Heap::sift_up`; `siftdownTimer` →
//! `Heap::sift_down`; `addtimer` → `Timers::insert`; `deltimer` →
//! `Timers::stop` + `Heap::kill`; `timerDeleted` → a slot whose `entry` is
//! `None`; `pp.deletedTimers` → `Heap::dead`; `cleantimers` →
//! `Heap::pop_dead_roots`; `clearDeletedTimers` → `Heap::clear_dead`;
//! `modtimer`/`resettimer` → `Timers::reset`; `runtimer` →
//! `Timers::fire_due`; `timer.period` → `SlotKind::Every`.
//!
//! # Divergences
//!
//! - Go 1.19 keeps a stopped timer's whole `timer` (and its channel) in the
//!   heap until it is cleaned, and a `time.After` in a `select` loop keeps
//!   its timer until it fires. Here a stop or drop releases the entry at once
//!   (only an empty slot stays, I5), and dropping an [`After`](crate::After)
//!   stops it, so abandoned timers hold no memory beyond their slot.
//! - Go cleans deleted timers from the scheduler (`checkTimers`, on the P
//!   that owns them); here `stop` itself does, when the dead quarter is
//!   passed, so memory is bounded without a scheduler.
//! - One heap per service with one lock, not one per P: there are no Ps.
//! - Time is a [`Duration`] read from a [`Clock`], not `nanotime()`, so the
//!   same heap runs on the OS clock, a virtual clock, or an RTOS tick counter.
//!   A clock can reach the end of its range (`Duration::MAX`, where
//!   [`ManualClock::advance`] saturates); a periodic timer whose next tick
//!   would lie beyond it fires that once and leaves the heap, where Go parks
//!   an overflowing `when` at `maxWhen`, a time `nanotime` never reaches.

use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::clock::Clock;
use crate::lock::Lock;
use gocore::atomic::{AtomicUsize, Ordering};

/// `pos` of an entry that is not in the heap.
const NONE: usize = usize::MAX;

/// Heap arity. Go: the literal `4` in `siftupTimer`/`siftdownTimer` (runtime/time.go).
pub(crate) const ARITY: usize = 4;

/// Most entries `fire_due` pops per lock hold (see Tuning).
pub(crate) const FIRE_BATCH: usize = 64;

/// A clock that only moves when told to: a virtual clock for tests,
/// simulations and fuzzing.
///
/// Clones share the same time.
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use gocontext::{Clock, ManualClock};
///
/// let c = ManualClock::new();
/// c.advance(Duration::from_millis(5));
/// assert_eq!(c.clone().now(), Duration::from_millis(5));
/// ```
#[derive(Clone, Default)]
pub struct ManualClock {
    now: Arc<Lock<Duration>>,
}

impl ManualClock {
    /// A clock reading zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocontext::{Clock, ManualClock};
    /// assert_eq!(ManualClock::new().now(), core::time::Duration::ZERO);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `d`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{Clock, ManualClock};
    /// let c = ManualClock::new();
    /// c.advance(Duration::from_secs(1));
    /// c.advance(Duration::from_secs(1));
    /// assert_eq!(c.now(), Duration::from_secs(2));
    /// ```
    pub fn advance(&self, d: Duration) {
        let mut g = self.now.lock();
        *g = g.saturating_add(d);
    }

    /// Sets the clock to `t` if that is later than its reading (a clock never
    /// goes backwards).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{Clock, ManualClock};
    /// let c = ManualClock::new();
    /// c.set(Duration::from_secs(3));
    /// c.set(Duration::from_secs(1)); // ignored
    /// assert_eq!(c.now(), Duration::from_secs(3));
    /// ```
    pub fn set(&self, t: Duration) {
        let mut g = self.now.lock();
        if t > *g {
            *g = t;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

/// One timer. Go: `timer` (runtime/runtime2.go).
///
/// The action is stored inline (`Entry<F>` unsized to `Entry<dyn Fn>`), so
/// arming a timer is one allocation.
pub(crate) struct Entry<F: ?Sized = dyn Fn(Duration) + Send + Sync> {
    /// Index in `Heap::slots`, or `NONE` (I2). Guarded by the heap lock.
    pos: AtomicUsize,
    /// Go: `timer.f` + `timer.arg`.
    action: F,
}

/// A heap cell: the deadline lives beside the pointer so sifting never
/// follows the pointer. Go: `timer.when`, `timer.period`, `timer.status`.
struct Slot {
    when: Duration,
    kind: SlotKind,
    /// `None` once stopped: a dead slot, left in place (I5). Go:
    /// `timerDeleted`.
    entry: Option<Arc<Entry>>,
}

/// What a slot does when it comes due. 16 bytes, as a `Duration` (the unit
/// variant lives in its nanoseconds' spare values).
#[derive(Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    /// Fires once. Go: `period == 0`.
    Once,
    /// Fires every period. Go: `timer.period`.
    Every(Duration),
}

impl SlotKind {
    fn new(period: Duration) -> Self {
        if period.is_zero() {
            SlotKind::Once
        } else {
            SlotKind::Every(period)
        }
    }
}

impl Slot {
    fn is_dead(&self) -> bool {
        self.entry.is_none()
    }

    /// The entry of a slot known to be live.
    fn live(&self) -> &Arc<Entry> {
        self.entry.as_ref().expect("a live slot")
    }
}

/// The 4-ary min-heap. Go: `p.timers` (runtime/runtime2.go).
#[derive(Default)]
struct Heap {
    slots: Vec<Slot>,
    /// How many slots are dead (I5). Go: `p.deletedTimers`.
    dead: usize,
    /// The driver thread's state, for the global service (guarded by the
    /// heap lock, so "heap empty" and "driver exits" are decided together).
    #[cfg(feature = "std")]
    driver: Driver,
}

/// Whether a driver thread serves this heap, and how to wake it.
#[cfg(feature = "std")]
#[derive(Default)]
struct Driver {
    /// Set for [`Timers::global`]: inserts start a thread when none runs.
    driven: bool,
    /// A driver thread exists (from its spawn until it exits).
    running: bool,
    /// Its parker, once it has published one.
    park: Option<Arc<gocore::park::ThreadPark>>,
}

/// What to do about the driver after a heap change, decided under the lock
/// and done after it is released.
enum Kick {
    Nothing,
    #[cfg(feature = "std")]
    Unpark(Arc<gocore::park::ThreadPark>),
    #[cfg(feature = "std")]
    Spawn,
}

impl Heap {
    /// After a push (`earliest`: it became the root) or a removal.
    #[cfg_attr(not(feature = "std"), allow(unused_variables, clippy::unused_self))]
    fn kick(&mut self, earliest: bool) -> Kick {
        #[cfg(feature = "std")]
        {
            let d = &mut self.driver;
            if d.driven && !d.running && !self.slots.is_empty() {
                d.running = true;
                return Kick::Spawn;
            }
            // Wake the driver for a new earliest deadline, or so it notices
            // the heap is empty and may exit.
            if earliest || self.slots.is_empty() {
                if let Some(p) = &d.park {
                    return Kick::Unpark(Arc::clone(p));
                }
            }
        }
        Kick::Nothing
    }
}

impl Heap {
    /// Go: `siftupTimer`. Moves the slot at `i` up until its parent is not
    /// later (I1); returns its final index.
    fn sift_up(&mut self, mut i: usize) -> usize {
        let when = self.slots[i].when;
        while i > 0 {
            let p = (i - 1) / ARITY;
            if when >= self.slots[p].when {
                break;
            }
            self.slots.swap(i, p);
            self.set_pos(i);
            i = p;
        }
        self.set_pos(i);
        i
    }

    /// Go: `siftdownTimer`. Moves the slot at `i` down below every child that
    /// is earlier (I1). Of the four children, the earliest of each pair is
    /// found first, then the earlier of the two pairs, as Go does.
    fn sift_down(&mut self, mut i: usize) {
        let n = self.slots.len();
        let when = self.slots[i].when;
        loop {
            let mut c = i * ARITY + 1;
            let mut c3 = c + 2;
            if c >= n {
                break;
            }
            let mut w = self.slots[c].when;
            if c + 1 < n && self.slots[c + 1].when < w {
                w = self.slots[c + 1].when;
                c += 1;
            }
            if c3 < n {
                let mut w3 = self.slots[c3].when;
                if c3 + 1 < n && self.slots[c3 + 1].when < w3 {
                    w3 = self.slots[c3 + 1].when;
                    c3 += 1;
                }
                if w3 < w {
                    w = w3;
                    c = c3;
                }
            }
            if w >= when {
                break;
            }
            self.slots.swap(i, c);
            self.set_pos(i);
            i = c;
        }
        self.set_pos(i);
    }

    /// Records in a live slot's entry that it now sits at `i` (I2); a dead
    /// slot's entry is not ours to write (it may be armed again elsewhere)
    /// and is not touched, which also saves a cache miss per dead slot moved.
    #[inline]
    fn set_pos(&self, i: usize) {
        if let Some(e) = &self.slots[i].entry {
            e.pos.store(i, Ordering::Relaxed);
        }
    }

    /// Go: `doaddtimer`. Returns whether the new slot became the earliest.
    fn push(&mut self, when: Duration, kind: SlotKind, entry: Arc<Entry>) -> bool {
        debug_assert_eq!(entry.pos.load(Ordering::Relaxed), NONE, "I3");
        let i = self.slots.len();
        entry.pos.store(i, Ordering::Relaxed);
        self.slots.push(Slot {
            when,
            kind,
            entry: Some(entry),
        });
        self.sift_up(i) == 0
    }

    /// Go: `dodeltimer`. Removes the slot at `i`, moving the last slot into
    /// the hole and restoring I1 around it; returns its entry (`None` for a
    /// dead slot).
    fn remove(&mut self, i: usize) -> Option<Arc<Entry>> {
        let last = self.slots.len() - 1;
        if i != last {
            self.slots.swap(i, last);
        }
        let out = self
            .slots
            .pop()
            .expect("remove from a non-empty heap")
            .entry;
        match &out {
            None => self.dead -= 1,
            Some(e) => e.pos.store(NONE, Ordering::Relaxed),
        }
        if i != last {
            self.set_pos(i);
            // The moved slot may belong above or below `i`.
            if self.sift_up(i) == i {
                self.sift_down(i);
            }
        }
        self.shrink();
        out
    }

    /// Go: `deltimer`. Marks the live slot at `i` dead, in O(1): its entry
    /// is disarmed (`pos = NONE`, I2) and taken out, to be dropped by the
    /// caller after the lock (I9); the empty slot stays until it is popped
    /// as the root or dead slots pass a quarter of the heap (I5).
    fn kill(&mut self, i: usize) -> Arc<Entry> {
        let e = self.slots[i].entry.take().expect("a live slot");
        e.pos.store(NONE, Ordering::Relaxed);
        self.dead += 1;
        if self.dead > self.slots.len() / 4 {
            self.clear_dead();
        }
        e
    }

    /// Go: `cleantimers`. Removes dead slots from the root, so the root is
    /// the earliest live deadline (or the heap is empty).
    fn pop_dead_roots(&mut self) {
        while self.slots.first().is_some_and(Slot::is_dead) {
            self.remove(0);
        }
    }

    /// Go: `clearDeletedTimers`. Removes every dead slot and rebuilds the
    /// heap in O(n), in place: moves the live slots to the front in order,
    /// sifts down from the last parent, then records every position (I1,
    /// I2). Dead slots hold no entry, so this drops nothing but memory.
    fn clear_dead(&mut self) {
        let mut live = 0;
        for i in 0..self.slots.len() {
            if !self.slots[i].is_dead() {
                self.slots.swap(live, i);
                live += 1;
            }
        }
        self.slots.truncate(live);
        self.dead = 0;
        let n = self.slots.len();
        if n > 1 {
            for i in (0..=(n - 2) / ARITY).rev() {
                self.sift_down(i);
            }
        }
        for i in 0..n {
            self.set_pos(i);
        }
        self.shrink();
    }

    /// I6: give memory back as the heap empties.
    fn shrink(&mut self) {
        let cap = self.slots.capacity();
        if self.slots.is_empty() {
            if cap > 0 {
                self.slots = Vec::new();
            }
        } else if cap > 64 && self.slots.len() <= cap / 4 {
            self.slots.shrink_to(cap / 2);
        }
    }

    #[cfg(test)]
    fn check(&self) {
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(e) = &s.entry {
                assert_eq!(e.pos.load(Ordering::Relaxed), i, "I2");
            }
            if i > 0 {
                assert!(self.slots[(i - 1) / ARITY].when <= s.when, "I1");
            }
        }
        let dead = self.slots.iter().filter(|s| s.is_dead()).count();
        assert_eq!(dead, self.dead, "dead count");
        assert!(
            self.dead <= self.slots.len() / 4,
            "I5: at most a quarter dead"
        );
    }
}

/// A timer service: one heap of deadlines over one [`Clock`].
///
/// Go: the runtime's timer machinery (runtime/time.go). With `std`,
/// [`Timers::global`] is the service the free functions ([`after`](crate::after),
/// [`with_timeout`](crate::with_timeout), ...) use, driven by a background
/// thread. A service made with [`Timers::new`] is driven by you: call
/// [`Timers::fire_due`] whenever the clock may have passed a deadline.
///
/// # Examples
///
/// A service on a virtual clock, driven by hand:
///
/// ```
/// use core::time::Duration;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use gocontext::{ManualClock, Timers};
///
/// let clock = ManualClock::new();
/// let timers = Timers::new(clock.clone());
/// let fired = Arc::new(AtomicUsize::new(0));
/// let f = Arc::clone(&fired);
/// let _t = timers.after_func(Duration::from_secs(1), move || {
///     f.fetch_add(1, Ordering::SeqCst);
/// });
/// timers.fire_due();
/// assert_eq!(fired.load(Ordering::SeqCst), 0);
/// clock.advance(Duration::from_secs(1));
/// timers.fire_due();
/// assert_eq!(fired.load(Ordering::SeqCst), 1);
/// assert_eq!(timers.len(), 0);
/// ```
pub struct Timers {
    clock: Box<dyn Clock>,
    heap: Lock<Heap>,
}

impl Timers {
    /// A service over `clock`, driven by the caller through [`Timers::fire_due`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gocontext::{ManualClock, Timers};
    /// let t = Timers::new(ManualClock::new());
    /// assert!(t.is_empty());
    /// ```
    pub fn new(clock: impl Clock) -> Arc<Timers> {
        Arc::new(Timers {
            clock: Box::new(clock),
            heap: Lock::new(Heap::default()),
        })
    }

    /// The current reading of this service's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let c = ManualClock::new();
    /// let t = Timers::new(c.clone());
    /// c.advance(Duration::from_secs(2));
    /// assert_eq!(t.now(), Duration::from_secs(2));
    /// ```
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// How many timers are armed (in the heap) right now.
    ///
    /// Stopped and dropped timers are not counted: they are disarmed at once
    /// (their empty slots, removed lazily, are not timers).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let t = Timers::new(ManualClock::new());
    /// let h = t.after_func(Duration::from_secs(1), || {});
    /// assert_eq!(t.len(), 1);
    /// drop(h);
    /// assert_eq!(t.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        let h = self.heap.lock();
        h.slots.len() - h.dead
    }

    /// Whether no timer is armed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gocontext::{ManualClock, Timers};
    /// assert!(Timers::new(ManualClock::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The earliest armed deadline, as a clock reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let t = Timers::new(ManualClock::new());
    /// let _a = t.after_func(Duration::from_secs(5), || {});
    /// let _b = t.after_func(Duration::from_secs(2), || {});
    /// assert_eq!(t.next_deadline(), Some(Duration::from_secs(2)));
    /// ```
    pub fn next_deadline(&self) -> Option<Duration> {
        let mut h = self.heap.lock();
        h.pop_dead_roots();
        h.slots.first().map(|s| s.when)
    }

    /// Heap capacity in slots (for memory checks in tests and benchmarks).
    #[doc(hidden)]
    pub fn capacity(&self) -> usize {
        self.heap.lock().slots.capacity()
    }

    /// Arms `f` to run once the clock reaches `now + d`, on whichever thread
    /// drives the service (the timer thread for [`Timers::global`]).
    ///
    /// Go: `time.AfterFunc(d, f)`. Keep `f` short (it delays other timers), or
    /// spawn from it. Dropping the handle stops the timer.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let c = ManualClock::new();
    /// let t = Timers::new(c.clone());
    /// let h = t.after_func(Duration::from_millis(10), || println!("fired"));
    /// assert!(h.stop()); // stopped before it fired
    /// assert!(!h.stop());
    /// ```
    pub fn after_func(
        self: &Arc<Self>,
        d: Duration,
        f: impl Fn() + Send + Sync + 'static,
    ) -> TimerHandle {
        let when = self.now().saturating_add(d);
        self.arm(when, Duration::ZERO, move |_| f())
    }

    /// Arms `action` at clock reading `when`, repeating every `period` if
    /// that is not zero. Go: `addtimer`.
    pub(crate) fn arm<F: Fn(Duration) + Send + Sync + 'static>(
        self: &Arc<Self>,
        when: Duration,
        period: Duration,
        action: F,
    ) -> TimerHandle {
        let entry: Arc<Entry> = Arc::new(Entry {
            pos: AtomicUsize::new(NONE),
            action,
        });
        self.insert(when, period, &entry);
        TimerHandle {
            timers: Arc::clone(self),
            entry,
        }
    }

    /// Arms a one-shot `action` at `when` with no owning handle: the heap
    /// alone keeps it (and what it captures) until it fires, or until
    /// [`WeakTimer::stop`] or the service is dropped.
    pub(crate) fn arm_detached<F: Fn(Duration) + Send + Sync + 'static>(
        self: &Arc<Self>,
        when: Duration,
        action: F,
    ) -> WeakTimer {
        let entry: Arc<Entry> = Arc::new(Entry {
            pos: AtomicUsize::new(NONE),
            action,
        });
        self.insert(when, Duration::ZERO, &entry);
        WeakTimer {
            timers: Arc::downgrade(self),
            entry: Arc::downgrade(&entry),
        }
    }

    fn insert(&self, when: Duration, period: Duration, entry: &Arc<Entry>) {
        let mut h = self.heap.lock();
        let earliest = h.push(when, SlotKind::new(period), Arc::clone(entry));
        let k = h.kick(earliest);
        drop(h);
        self.act(k);
    }

    #[inline]
    fn act(&self, k: Kick) {
        match k {
            Kick::Nothing => {}
            #[cfg(feature = "std")]
            Kick::Unpark(p) => gocore::park::Park::unpark(&*p),
            #[cfg(feature = "std")]
            Kick::Spawn => global::spawn_driver(),
        }
    }

    /// Go: `deltimer`. Disarms at once, in O(1); the slot itself goes
    /// lazily (I5).
    fn stop(&self, entry: &Entry) -> bool {
        let mut h = self.heap.lock();
        let pos = entry.pos.load(Ordering::Relaxed);
        if pos == NONE {
            return false;
        }
        let removed = h.kill(pos);
        let k = if h.slots.is_empty() {
            h.kick(false)
        } else {
            Kick::Nothing
        };
        drop(h);
        self.act(k);
        // I9: the slot's Arc<Entry> drops after the lock is released.
        drop(removed);
        true
    }

    /// Go: `modtimer`. Re-arms at `when`; returns whether it was armed.
    fn reset(&self, entry: &Arc<Entry>, when: Duration, period: Duration) -> bool {
        let mut h = self.heap.lock();
        let pos = entry.pos.load(Ordering::Relaxed);
        // The old slot dies in place (I5), as in `stop`.
        let removed = (pos != NONE).then(|| h.kill(pos));
        let was = removed.is_some();
        let earliest = h.push(when, SlotKind::new(period), Arc::clone(entry));
        let k = h.kick(earliest);
        drop(h);
        self.act(k);
        // I9: the old slot's Arc<Entry> drops after the lock is released.
        drop(removed);
        was
    }

    /// Runs every timer whose deadline is not after the clock's reading, and
    /// returns the next deadline still armed.
    ///
    /// Go: `checkTimers` + `runtimer`. One-shot timers leave the heap before
    /// their action runs; periodic ones are re-armed at the next multiple of
    /// their period after now (ticks that were missed are dropped, as Go's
    /// tickers drop them). Actions run without the heap lock (I4).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let c = ManualClock::new();
    /// let t = Timers::new(c.clone());
    /// let _h = t.after_func(Duration::from_secs(3), || {});
    /// assert_eq!(t.fire_due(), Some(Duration::from_secs(3)));
    /// c.advance(Duration::from_secs(3));
    /// assert_eq!(t.fire_due(), None);
    /// ```
    pub fn fire_due(&self) -> Option<Duration> {
        let mut batch: Vec<Arc<Entry>> = Vec::new();
        loop {
            let now = self.now();
            let next = {
                let mut h = self.heap.lock();
                while batch.len() < FIRE_BATCH {
                    h.pop_dead_roots();
                    let Some(first) = h.slots.first() else { break };
                    if first.when > now {
                        break;
                    }
                    let next_tick = match first.kind {
                        SlotKind::Every(period) => next_tick(first.when, period, now),
                        SlotKind::Once => None,
                    };
                    if let Some(when) = next_tick {
                        h.slots[0].when = when;
                        batch.push(Arc::clone(h.slots[0].live()));
                        h.sift_down(0);
                    } else {
                        // One-shot, or a periodic timer whose next tick lies
                        // beyond the clock's range: it fires this once and
                        // leaves the heap. Kept at a saturated `when` (at or
                        // before a clock stuck at `Duration::MAX`), it was
                        // due again at once and this loop never ended.
                        batch.extend(h.remove(0));
                    }
                }
                h.pop_dead_roots();
                h.slots.first().map(|s| s.when)
            };
            if batch.is_empty() {
                return next;
            }
            // If an action panics, the entries popped with it but not yet
            // run go back into the heap, due now, so the next `fire_due`
            // runs them: one panicking timer never swallows another.
            let mut rest = gocore::scopeguard::guard(batch.drain(..), |rest| {
                if rest.len() > 0 {
                    // Entries already back in the heap (re-armed by an
                    // action, or periodic) are dropped after the lock (I9).
                    let mut armed = Vec::new();
                    let mut h = self.heap.lock();
                    for e in rest {
                        if e.pos.load(Ordering::Relaxed) == NONE {
                            h.push(now, SlotKind::Once, e);
                        } else {
                            armed.push(e);
                        }
                    }
                    drop(h);
                    drop(armed);
                }
            });
            for e in &mut *rest {
                (e.action)(now);
            }
        }
    }

    #[cfg(test)]
    fn check(&self) {
        self.heap.lock().check();
    }
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("now", &self.now())
            .field("armed", &self.len())
            .finish()
    }
}

/// The next tick of a periodic timer due at `when` (not after `now`): the
/// first `when + k * period` after `now`, or `None` if that is past the
/// largest reading a clock can give (`Duration::MAX`). Go:
/// `t.when += t.period * (1 + -delta/t.period)`, which moves an overflowing
/// `when` to `maxWhen`, a time `nanotime` never reaches.
fn next_tick(when: Duration, period: Duration, now: Duration) -> Option<Duration> {
    let p = period.as_nanos();
    let late = (now - when).as_nanos();
    // p * steps <= late + p < 2^96: no overflow in u128.
    let add = p * (1 + late / p);
    let secs = u64::try_from(add / 1_000_000_000).ok()?;
    // The remainder is below 10^9, so it fits a u32.
    let nanos = (add % 1_000_000_000) as u32;
    when.checked_add(Duration::new(secs, nanos))
}

/// An armed timer: stop or reset it, or drop it to stop it.
///
/// Go: `*time.Timer` from `time.AfterFunc`. Dropping the handle stops the
/// timer at once (I5).
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use gocontext::{ManualClock, Timers};
/// let c = ManualClock::new();
/// let t = Timers::new(c.clone());
/// let h = t.after_func(Duration::from_secs(1), || {});
/// assert!(h.is_armed());
/// assert!(h.reset(Duration::from_secs(5)));
/// assert_eq!(t.next_deadline(), Some(Duration::from_secs(5)));
/// ```
#[must_use = "dropping a TimerHandle stops the timer"]
pub struct TimerHandle {
    timers: Arc<Timers>,
    entry: Arc<Entry>,
}

impl TimerHandle {
    /// Stops the timer; returns `true` if this call stopped it, `false` if it
    /// had already fired or been stopped. Go: `(*Timer).Stop`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let t = Timers::new(ManualClock::new());
    /// let h = t.after_func(Duration::from_secs(1), || {});
    /// assert!(h.stop());
    /// assert!(t.is_empty());
    /// ```
    pub fn stop(&self) -> bool {
        self.timers.stop(&self.entry)
    }

    /// Re-arms the timer to fire `d` from now; returns whether it was still
    /// armed. Go: `(*Timer).Reset`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let t = Timers::new(ManualClock::new());
    /// let h = t.after_func(Duration::from_secs(1), || {});
    /// assert!(h.stop());
    /// assert!(!h.reset(Duration::from_secs(1)));
    /// assert_eq!(t.len(), 1);
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        let when = self.timers.now().saturating_add(d);
        self.timers.reset(&self.entry, when, Duration::ZERO)
    }

    /// Re-arms a periodic timer: first at `now + period`, then every `period`.
    pub(crate) fn reset_periodic(&self, period: Duration) -> bool {
        let when = self.timers.now().saturating_add(period);
        self.timers.reset(&self.entry, when, period)
    }

    /// Whether the timer is in the heap (neither fired nor stopped).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let t = Timers::new(ManualClock::new());
    /// let h = t.after_func(Duration::ZERO, || {});
    /// t.fire_due();
    /// assert!(!h.is_armed());
    /// ```
    pub fn is_armed(&self) -> bool {
        let _h = self.timers.heap.lock();
        self.entry.pos.load(Ordering::Relaxed) != NONE
    }
}

/// A timer the heap owns, with a way to stop it that keeps nothing alive.
pub(crate) struct WeakTimer {
    timers: Weak<Timers>,
    entry: Weak<Entry>,
}

impl WeakTimer {
    /// Stops the timer if it and its service still exist.
    pub(crate) fn stop(&self) {
        if let (Some(t), Some(e)) = (self.timers.upgrade(), self.entry.upgrade()) {
            t.stop(&e);
        }
    }
}

impl Drop for TimerHandle {
    fn drop(&mut self) {
        self.timers.stop(&self.entry);
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("armed", &self.is_armed())
            .finish()
    }
}

#[cfg(feature = "std")]
mod global {
    use super::*;
    use gocore::park::{ParkTimeout, ThreadPark};
    use std::sync::OnceLock;
    use std::time::Instant;

    /// The process clock: time since the first use of the global service.
    pub(crate) struct StdClock {
        pub(crate) epoch: Instant,
    }

    impl Clock for StdClock {
        fn now(&self) -> Duration {
            self.epoch.elapsed()
        }
    }

    static GLOBAL: OnceLock<(Arc<Timers>, Instant)> = OnceLock::new();

    /// How long an idle driver waits for new timers before its thread exits
    /// (a new timer starts a new thread). Zero under Miri, so test binaries
    /// end without a thread left behind.
    const LINGER: Duration = if cfg!(miri) {
        Duration::ZERO
    } else {
        Duration::from_secs(1)
    };

    fn init() -> &'static (Arc<Timers>, Instant) {
        GLOBAL.get_or_init(|| {
            let epoch = Instant::now();
            let timers = Timers::new(StdClock { epoch });
            timers.heap.lock().driver.driven = true;
            (timers, epoch)
        })
    }

    /// Starts the driver thread (the heap lock decided that none runs).
    pub(super) fn spawn_driver() {
        std::thread::Builder::new()
            .name("gocontext-timers".into())
            .spawn(|| drive(Timers::global()))
            .expect("gocontext: cannot spawn the timer thread");
    }

    /// The timer thread: fire what is due, sleep until the next deadline or
    /// until an insert makes a new earliest deadline (it unparks us); after
    /// [`LINGER`] with an empty heap, exit.
    fn drive(t: &Timers) {
        let park = Arc::new(ThreadPark::new());
        t.heap.lock().driver.park = Some(Arc::clone(&park));
        loop {
            // A panicking action must not kill the thread that serves every
            // other timer; the panic message has been printed by the hook,
            // and the entries popped with it were re-queued.
            let next =
                match std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| t.fire_due())) {
                    Ok(n) => n,
                    Err(_) => continue,
                };
            match next {
                Some(when) => {
                    let now = t.now();
                    if when > now {
                        park.park_timeout(when - now);
                    }
                }
                None => {
                    if !park.park_timeout(LINGER) {
                        let mut h = t.heap.lock();
                        if h.slots.is_empty() {
                            h.driver.running = false;
                            h.driver.park = None;
                            return;
                        }
                    }
                }
            }
        }
    }

    impl Timers {
        /// The process-wide service on the monotonic OS clock, driven by one
        /// background thread, started when a timer is armed and none runs, and
        /// exiting after a second with no timers.
        ///
        /// This is the service behind [`after`](crate::after), [`tick`](crate::tick),
        /// [`Timer`](crate::Timer) and context deadlines made with
        /// [`with_timeout`](crate::with_timeout)/[`with_deadline`](crate::with_deadline).
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// let t = gocontext::Timers::global();
        /// let h = t.after_func(Duration::from_secs(3600), || {});
        /// assert!(h.stop());
        /// ```
        pub fn global() -> &'static Arc<Timers> {
            &init().0
        }

        /// Converts a clock reading of the global service to an [`Instant`].
        /// A reading beyond what an `Instant` can show (a deadline that
        /// saturated, as `with_timeout(Duration::MAX)` makes) gives about
        /// the farthest one it can, rather than a panic.
        pub(crate) fn global_instant(mut d: Duration) -> Instant {
            let epoch = init().1;
            loop {
                if let Some(at) = epoch.checked_add(d) {
                    return at;
                }
                d /= 2;
            }
        }

        /// Converts an [`Instant`] to a reading of the global service's clock
        /// (instants before its epoch map to zero: long past).
        pub(crate) fn global_reading(at: Instant) -> Duration {
            at.saturating_duration_since(init().1)
        }
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use gocore::rand::FastRand;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn heap_keeps_order_under_random_insert_stop_reset() {
        let clock = ManualClock::new();
        let t = Timers::new(clock.clone());
        let mut rng = FastRand::new(7);
        let mut handles = Vec::new();
        let n = if cfg!(miri) { 60 } else { 5000 };
        let span: u32 = if cfg!(miri) { 50 } else { 1000 };
        for _ in 0..n {
            match rng.next_u32() % 4 {
                0 | 1 => {
                    let d = Duration::from_nanos(u64::from(rng.next_u32() % span));
                    handles.push(t.after_func(d, || {}));
                }
                2 if !handles.is_empty() => {
                    let i = rng.next_u32() as usize % handles.len();
                    let h: TimerHandle = handles.swap_remove(i);
                    let armed = h.is_armed();
                    assert_eq!(h.stop(), armed);
                }
                _ if !handles.is_empty() => {
                    let i = rng.next_u32() as usize % handles.len();
                    handles[i].reset(Duration::from_nanos(u64::from(rng.next_u32() % span)));
                }
                _ => {}
            }
            t.check();
            assert_eq!(t.len(), handles.iter().filter(|h| h.is_armed()).count());
        }
        // Fire in order: the clock passes each deadline one nanosecond at a time.
        let order = Arc::new(Lock::new(Vec::new()));
        for _ in 0..50 {
            let o = Arc::clone(&order);
            let c = clock.clone();
            let d = Duration::from_nanos(u64::from(rng.next_u32() % 100));
            handles.push(t.after_func(d, move || o.lock().push(c.now())));
        }
        for _ in 0..span + 110 {
            clock.advance(Duration::from_nanos(1));
            t.fire_due();
            t.check();
        }
        assert!(t.is_empty());
        let o = order.lock();
        assert_eq!(o.len(), 50);
        assert!(o.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_slot_is_48_bytes() {
        // As "Tuning" and I5 say.
        assert_eq!(core::mem::size_of::<Slot>(), 48);
    }

    #[test]
    fn dead_slots_stay_below_a_quarter_and_leave_the_root() {
        let c = ManualClock::new();
        let t = Timers::new(c.clone());
        let n = if cfg!(miri) { 40 } else { 400 };
        let hs: Vec<_> = (0..n)
            .map(|i| t.after_func(Duration::from_secs(i + 1), || {}))
            .collect();
        // Stop in arming order: the root every time.
        for (i, h) in hs.iter().enumerate().take(n as usize / 2) {
            assert!(h.stop());
            t.check();
            assert_eq!(t.len(), n as usize - i - 1);
            assert_eq!(t.next_deadline(), Some(Duration::from_secs(i as u64 + 2)));
            t.check();
        }
        let h = t.heap.lock();
        assert!(h.dead <= h.slots.len() / 4);
        drop(h);
        // The survivors fire in order; nothing dead is run.
        let fired = Arc::new(AtomicUsize::new(0));
        for (i, h) in hs.iter().enumerate() {
            assert_eq!(h.is_armed(), i >= n as usize / 2);
        }
        let f = Arc::clone(&fired);
        let _last = t.after_func(Duration::from_secs(n + 1), move || {
            f.fetch_add(1, Ordering::SeqCst);
        });
        c.advance(Duration::from_secs(n + 1));
        assert_eq!(t.fire_due(), None);
        assert_eq!(fired.load(Ordering::SeqCst), 1);
        assert!(t.is_empty());
        assert_eq!(t.heap.lock().slots.len(), 0);
    }

    #[test]
    fn memory_returns_after_a_burst() {
        let t = Timers::new(ManualClock::new());
        let n: u64 = if cfg!(miri) { 300 } else { 10_000 };
        let hs: Vec<_> = (0..n)
            .map(|i| t.after_func(Duration::from_nanos(i * 7919 % n), || {}))
            .collect();
        assert!(t.capacity() >= n as usize);
        drop(hs);
        assert_eq!(t.len(), 0);
        assert_eq!(t.capacity(), 0);
    }

    #[test]
    fn periodic_timer_skips_missed_ticks() {
        let c = ManualClock::new();
        let t = Timers::new(c.clone());
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = Arc::clone(&n);
        let h = t.arm(Duration::from_secs(1), Duration::from_secs(1), move |_| {
            n2.fetch_add(1, Ordering::Relaxed);
        });
        c.advance(Duration::from_millis(3500));
        assert_eq!(t.fire_due(), Some(Duration::from_secs(4)));
        assert_eq!(n.load(Ordering::Relaxed), 1);
        c.advance(Duration::from_millis(500));
        t.fire_due();
        assert_eq!(n.load(Ordering::Relaxed), 2);
        assert!(h.stop());
        assert!(t.is_empty());
    }

    /// A clock that fails the test instead of letting `fire_due` spin: it
    /// panics once read more often than any single call may need.
    struct BoundedClock {
        inner: ManualClock,
        reads: Arc<AtomicUsize>,
    }

    impl Clock for BoundedClock {
        fn now(&self) -> Duration {
            let n = self.reads.fetch_add(1, Ordering::Relaxed);
            assert!(
                n < 100,
                "fire_due keeps re-reading the clock: it never returns"
            );
            self.inner.now()
        }
    }

    #[test]
    fn a_periodic_timer_past_the_clocks_range_fires_once_and_leaves() {
        // A clock moved to its end (`ManualClock::advance(Duration::MAX)`
        // saturates there): the next tick `when + period` saturated to
        // Duration::MAX, which was due again at once, so `fire_due` looped
        // for ever. Go moves an overflowing `when` to maxWhen, which
        // nanotime never reaches: the ticker never fires again.
        let c = ManualClock::new();
        let reads = Arc::new(AtomicUsize::new(0));
        let t = Timers::new(BoundedClock {
            inner: c.clone(),
            reads: Arc::clone(&reads),
        });
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = Arc::clone(&n);
        let h = t.arm(Duration::from_secs(1), Duration::from_secs(1), move |_| {
            n2.fetch_add(1, Ordering::Relaxed);
        });
        c.advance(Duration::MAX);
        assert_eq!(t.fire_due(), None);
        assert_eq!(
            n.load(Ordering::Relaxed),
            1,
            "one tick, missed ones dropped"
        );
        assert!(!h.is_armed(), "no later tick exists");
        assert!(t.is_empty());
        t.check();
        // Reset re-arms it (due at once, since the clock cannot move on).
        reads.store(0, Ordering::Relaxed);
        assert!(!h.reset(Duration::from_secs(1)));
        assert_eq!(t.fire_due(), None);
        assert_eq!(n.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_clock_jump_beyond_u64_nanoseconds_gives_one_tick_on_the_grid() {
        // 2000 years late: the period times the missed ticks no longer fits
        // u64 nanoseconds (584 years); it was capped there, so the timer
        // stayed due and fired four times in one call, off its grid.
        let c = ManualClock::new();
        let t = Timers::new(c.clone());
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = Arc::clone(&n);
        let _h = t.arm(Duration::from_secs(1), Duration::from_secs(1), move |_| {
            n2.fetch_add(1, Ordering::Relaxed);
        });
        let jump = Duration::from_secs(2000 * 365 * 86_400) + Duration::from_millis(500);
        c.advance(jump);
        let next = t.fire_due();
        assert_eq!(n.load(Ordering::Relaxed), 1);
        assert_eq!(next, Some(jump + Duration::from_millis(500)));
        t.check();
    }

    #[test]
    fn a_panicking_action_does_not_swallow_other_timers() {
        let c = ManualClock::new();
        let t = Timers::new(c.clone());
        let n = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for i in 0..5 {
            let n = Arc::clone(&n);
            hs.push(t.after_func(Duration::from_secs(1), move || {
                if i == 2 {
                    panic!("boom");
                }
                n.fetch_add(1, Ordering::SeqCst);
            }));
        }
        c.advance(Duration::from_secs(1));
        let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| t.fire_due()));
        assert!(r.is_err());
        t.check();
        t.fire_due(); // the survivors run now
        assert_eq!(n.load(Ordering::SeqCst), 4);
        assert!(t.is_empty());
    }

    #[test]
    fn an_action_may_stop_other_timers_and_itself() {
        let c = ManualClock::new();
        let t = Timers::new(c.clone());
        let other = Arc::new(Lock::new(None::<TimerHandle>));
        other
            .lock()
            .replace(t.after_func(Duration::from_secs(9), || {}));
        let o2 = Arc::clone(&other);
        let h = t.after_func(Duration::from_secs(1), move || {
            assert!(o2.lock().as_ref().unwrap().stop());
        });
        c.advance(Duration::from_secs(1));
        assert_eq!(t.fire_due(), None);
        assert!(!h.stop());
    }
}
