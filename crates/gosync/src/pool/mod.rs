//! [`Pool`]: Go's `sync.Pool`, a cache of reusable values shared by all
//! threads, with a per-shard private slot, a lock-free shared chain per
//! shard, and a victim cache aged by [`Pool::clear_cycle`].
//!
//! # What
//!
//! Go gives each P (processor) a `poolLocal`: a `private` value only that P
//! touches, and a `shared` [`PoolChain`] that the P pushes to and pops from
//! at the head while other Ps steal from the tail. A goroutine *pins* itself
//! to its P (no preemption) for the few instructions of a `Get` or `Put`.
//! Every garbage collection moves the pool's contents to a *victim* cache
//! and drops the previous victims, so a value survives at most two cycles
//! unused.
//!
//! Here a P is a *shard*, one per hardware thread (`available_parallelism`).
//! Each thread has a home shard (assigned round-robin at its first use of any
//! pool) and pins it with a flag (`pinned`, one compare-and-swap); if the
//! home shard is pinned by another thread at that instant it takes the next
//! free one, so at most one thread owns a shard at a time, as one goroutine
//! runs on a P. The garbage collector's cycle is an explicit call,
//! [`Pool::clear_cycle`].
//!
//! # Layout
//!
//! ```text
//!  Pool
//!  +---------------------------------------------------------------+
//!  | generations[2]: [CachePadded<PoolLocal>; shards]  (Go: local,  |
//!  |                  one is primary, the other the victim   victim)|
//!  | primary: 0 or 1      victim_live: bool (Go: victimSize != 0)   |
//!  | domain: retired rings (see dequeue.rs, I4)     new: F (Go: New)|
//!  +---------------------------------------------------------------+
//!  PoolLocal: pinned: AtomicBool | private: Option<T> | shared: PoolChain<T>
//! ```
//!
//! # Invariants
//!
//! - I1. A shard's `private` and the owner side of its `shared` chain are
//!   used only by the thread that pinned the shard (`pinned` set by its
//!   CAS, cleared by its unpin); no user code runs while a shard is pinned
//!   (values are dropped and `new` is called after unpinning).
//! - I2. Every value put is either returned by exactly one `get`, dropped
//!   by `clear_cycle` (as a victim), or dropped with the pool.
//! - I3. `clear_cycle` empties the victim generation and then makes it the
//!   primary one (the old primary becomes the victim). A `put` or `get`
//!   that read `primary` just before the flip works on the generation that
//!   has just become the victim: its value ages one cycle sooner, nothing is
//!   lost or leaked (Go's cleanup runs with the world stopped; we cannot
//!   stop it).
//!
//! # Go correspondence (Go 1.19 `src/sync/pool.go`)
//!
//! `Pool.local`/`victim` → `generations[primary]`/`generations[1 -
//! primary]`, `poolLocalInternal` → `PoolLocal`, `pin`/`runtime_procUnpin` →
//! `pin`/`Pinned::drop`, `Put` → [`Pool::put`], `Get` → [`Pool::get`] (and
//! [`Pool::try_get`] for a pool without `New`), `getSlow` → `get_slow`,
//! `poolCleanup` → [`Pool::clear_cycle`], `New` → the function given to
//! [`Pool::new`].
//!
//! # Divergences
//!
//! - `Put(nil)` has no counterpart (there is no nil `T`).
//! - The victim cycle is explicit; Go's runs at every GC. Without calls to
//!   `clear_cycle` the pool keeps every value put and not taken.
//! - A value is moved in and out, never boxed: `Pool<T>` holds `T`s.
//! - A miss also takes the private value of another shard that is not
//!   pinned at that instant (Go cannot reach another P's private value): a
//!   thread that found its home shard busy may have left one in a shard no
//!   thread calls home.

mod dequeue;

/// The pool's ring, for loom models only (never compiled outside
/// `--cfg loom`): a model drives the owner and stealer sides directly.
#[cfg(loom)]
pub mod loom_dequeue {
    /// Go's `poolDequeue` of `size` slots.
    pub struct Ring<T>(super::dequeue::PoolDequeue<T>);

    impl<T> Ring<T> {
        /// An empty ring of `size` slots (a power of 2).
        pub fn new(size: usize) -> Self {
            Ring(super::dequeue::PoolDequeue::new(size))
        }

        /// The owner's push; gives `val` back when the ring is full.
        ///
        /// # Safety
        ///
        /// 1. Only one thread (the owner) calls `push_head`/`pop_head`.
        pub unsafe fn push_head(&self, val: T) -> Result<(), T> {
            // SAFETY: precondition 1.
            unsafe { self.0.push_head(val) }
        }

        /// The owner's pop of the newest value.
        ///
        /// # Safety
        ///
        /// 1. Only one thread (the owner) calls `push_head`/`pop_head`.
        pub unsafe fn pop_head(&self) -> Option<T> {
            // SAFETY: precondition 1.
            unsafe { self.0.pop_head() }
        }

        /// A stealer's pop of the oldest value.
        pub fn pop_tail(&self) -> Option<T> {
            self.0.pop_tail()
        }
    }
}

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;

use gocore::lock::SpinLock;
use gocore::CachePadded;

use crate::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::reclaim::Domain;
use dequeue::{PoolChain, RetiredRing};

/// One shard's values. Go: `poolLocalInternal`.
struct PoolLocal<T> {
    /// Set while a thread owns the shard (I1). Go: the P being pinned.
    pinned: AtomicBool,
    /// Go: `private` — used only by the owner (I1).
    private: UnsafeCell<Option<T>>,
    /// Go: `shared` — the owner pushes/pops the head, anyone steals the tail.
    shared: PoolChain<T>,
}

/// Ownership of one shard (I1); unpins on drop.
struct Pinned<'a, T> {
    local: &'a PoolLocal<T>,
}

impl<T> Drop for Pinned<'_, T> {
    fn drop(&mut self) {
        // Release: our writes to `private` and the chain's head happen
        // before the next owner's pin (Acquire).
        self.local.pinned.store(false, Ordering::Release);
    }
}

impl<'a, T> Pinned<'a, T> {
    /// Takes the private value.
    fn take_private(&self) -> Option<T> {
        // SAFETY: we own the shard (I1): nobody else touches `private`.
        unsafe { (*self.local.private.get()).take() }
    }

    /// Stores `x` in the private slot if it is empty; gives it back if not.
    fn put_private(&self, x: T) -> Result<(), T> {
        // SAFETY: we own the shard (I1).
        let slot = unsafe { &mut *self.local.private.get() };
        if slot.is_some() {
            return Err(x);
        }
        *slot = Some(x);
        Ok(())
    }

    fn push_shared(&self, x: T) {
        // SAFETY: we own the shard, hence the owner side of its chain (I1).
        unsafe { self.local.shared.push_head(x) }
    }

    fn pop_shared(&self, domain: &Domain<RetiredRing<T>>) -> Option<T> {
        // SAFETY: we own the shard, hence the owner side of its chain (I1).
        unsafe { self.local.shared.pop_head(domain) }
    }
}

/// The calling thread's home shard number (any number; taken modulo the
/// shard count), assigned round-robin at first use.
#[cfg(not(loom))]
fn home() -> usize {
    use std::cell::Cell;
    static NEXT: crate::atomic::AtomicUsize = crate::atomic::AtomicUsize::new(0);
    std::thread_local! {
        static HOME: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    HOME.try_with(|h| {
        if h.get() == usize::MAX {
            h.set(NEXT.fetch_add(1, crate::atomic::Ordering::Relaxed));
        }
        h.get()
    })
    .unwrap_or(0)
}

/// Under loom every thread starts at shard 0 and moves on when it is
/// pinned: the model explores pin contention and stealing.
#[cfg(loom)]
fn home() -> usize {
    0
}

/// Number of shards: one per hardware thread, as Go has one per P.
#[cfg(not(loom))]
fn shard_count() -> usize {
    if cfg!(miri) {
        return 2;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(loom)]
fn shard_count() -> usize {
    2
}

/// A cache of reusable values: Go's `sync.Pool`.
///
/// [`Pool::put`] gives a value back for reuse; [`Pool::get`] takes any
/// cached value, or makes a new one with the pool's function (Go's `New`).
/// Which value `get` returns is unspecified (often the one this thread put
/// last). The pool may drop cached values at any [`Pool::clear_cycle`]: use
/// it for values that are expensive to make but can be made again, such as
/// buffers, not as a free list whose contents matter.
///
/// Go: `p := sync.Pool{New: func() any { return new(bytes.Buffer) }}`.
///
/// # Examples
///
/// ```
/// use gosync::Pool;
///
/// let buffers = Pool::new(|| Vec::<u8>::with_capacity(1024));
/// let mut b = buffers.get(); // empty pool: made by the function
/// b.extend_from_slice(b"hello");
/// b.clear();
/// buffers.put(b);
/// let b = buffers.get(); // the same buffer, capacity kept
/// assert!(b.capacity() >= 1024 && b.is_empty());
/// ```
#[doc(alias = "sync.Pool")]
pub struct Pool<T, F = fn() -> T> {
    generations: [Box<[CachePadded<PoolLocal<T>>]>; 2],
    /// Which generation is primary (Go: `local`); the other is the victim.
    primary: AtomicUsize,
    /// The victim may hold values. Go: `victimSize != 0`.
    victim_live: AtomicBool,
    /// One `clear_cycle` at a time.
    cleaning: SpinLock<()>,
    domain: Domain<RetiredRing<T>>,
    new: F,
}

// SAFETY: values move between threads through the pool (`T: Send`) but are
// never shared by reference; `new` is called from any thread (`F: Sync`).
// The shards' unsynchronised parts are guarded by pinning (I1).
unsafe impl<T: Send, F: Sync> Sync for Pool<T, F> {}
// SAFETY: sending the pool sends its values and its function.
unsafe impl<T: Send, F: Send> Send for Pool<T, F> {}

impl<T, F: Fn() -> T> Pool<T, F> {
    /// Creates an empty pool; [`Pool::get`] calls `new` when it finds no
    /// cached value (Go's `New`).
    ///
    /// It allocates one shard per hardware thread (twice: primary and
    /// victim), so it is not a `const fn`; for a `static`, wrap it in a
    /// `std::sync::LazyLock`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = gosync::Pool::new(|| 7);
    /// assert_eq!(p.get(), 7);
    /// ```
    pub fn new(new: F) -> Self {
        let n = shard_count();
        let generation = || -> Box<[CachePadded<PoolLocal<T>>]> {
            (0..n)
                .map(|_| {
                    CachePadded::new(PoolLocal {
                        pinned: AtomicBool::new(false),
                        private: UnsafeCell::new(None),
                        shared: PoolChain::new(),
                    })
                })
                .collect()
        };
        Pool {
            generations: [generation(), generation()],
            primary: AtomicUsize::new(0),
            victim_live: AtomicBool::new(false),
            cleaning: SpinLock::new(()),
            domain: Domain::new(),
            new,
        }
    }

    /// Takes a cached value, or makes one with the pool's function.
    ///
    /// Go: `p.Get()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = gosync::Pool::new(String::new);
    /// p.put(String::from("reused"));
    /// assert_eq!(p.get(), "reused");
    /// assert_eq!(p.get(), ""); // empty again: a new one
    /// ```
    pub fn get(&self) -> T {
        match self.try_get() {
            Some(x) => x,
            None => (self.new)(),
        }
    }
}

impl<T, F> Pool<T, F> {
    /// Gives `x` back to the pool for reuse.
    ///
    /// Go: `p.Put(x)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = gosync::Pool::new(|| 0u64);
    /// p.put(42);
    /// assert_eq!(p.try_get(), Some(42));
    /// ```
    pub fn put(&self, x: T) {
        let (pin, _) = self.pin(self.primary());
        if let Err(x) = pin.put_private(x) {
            pin.push_shared(x);
        }
    }

    /// Takes a cached value if there is one; never calls the pool's function
    /// (Go's `Get` on a pool without `New`).
    ///
    /// Looks in this thread's shard (private slot, then its shared chain
    /// from the newest value), then steals the oldest value of the other
    /// shards, then looks in the victim cache.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = gosync::Pool::new(|| 'n');
    /// assert_eq!(p.try_get(), None);
    /// p.put('x');
    /// assert_eq!(p.try_get(), Some('x'));
    /// ```
    pub fn try_get(&self) -> Option<T> {
        let locals = self.primary();
        let (found, shard) = {
            let (pin, shard) = self.pin(locals);
            let x = pin.take_private().or_else(|| pin.pop_shared(&self.domain));
            (x, shard)
        };
        found.or_else(|| self.get_slow(locals, shard))
    }

    /// Ages the cache by one cycle, as Go's garbage collector does at every
    /// collection (`poolCleanup`): drops the values of the victim cache, and
    /// turns the current contents into the victim cache. A value put and
    /// not taken again survives one call and is dropped by the second.
    ///
    /// # Panics
    ///
    /// If a dropped value's `Drop` panics; the cycle is complete
    /// nonetheless and the other victims are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = gosync::Pool::new(|| 0);
    /// p.put(1);
    /// p.clear_cycle(); // 1 is now a victim: still found
    /// assert_eq!(p.try_get(), Some(1));
    /// p.put(2);
    /// p.clear_cycle();
    /// p.clear_cycle(); // 2 was not taken during its victim cycle: dropped
    /// assert_eq!(p.try_get(), None);
    /// ```
    pub fn clear_cycle(&self) {
        let mut dropped = Vec::new();
        {
            let _cleaning = self.cleaning.lock();
            let primary = self.primary.load(Ordering::Acquire);
            let victim = 1 - primary;
            for local in self.generations[victim].iter() {
                let pin = Self::pin_exact(local);
                dropped.extend(pin.take_private());
                while let Some(x) = pin.pop_shared(&self.domain) {
                    dropped.push(x);
                }
            }
            // I3: the emptied victim becomes primary, the primary the victim.
            self.primary.store(victim, Ordering::Release);
            self.victim_live.store(true, Ordering::Release);
        }
        self.domain.flush();
        // User `Drop`s run last, outside every pin and lock (I1); the Vec
        // drops every value even past a panicking one.
        drop(dropped);
    }

    fn primary(&self) -> usize {
        self.primary.load(Ordering::Acquire)
    }

    /// Pins a shard of `generation`: the home shard if free, else the next
    /// free one; returns it with its number. Go: `p.pin()` (and its `pid`).
    fn pin(&self, generation: usize) -> (Pinned<'_, T>, usize) {
        let locals = &self.generations[generation];
        let n = locals.len();
        let start = home() % n;
        let backoff = gocore::backoff::Backoff::new();
        loop {
            for i in 0..n {
                let shard = (start + i) % n;
                let local = &locals[shard];
                if Self::try_pin(local) {
                    return (Pinned { local }, shard);
                }
            }
            // Every shard is owned right now (more threads than shards in
            // the pool at once); owners hold a shard for a few instructions,
            // but one may have been preempted: spin, then yield the thread.
            backoff.snooze();
        }
    }

    /// Pins exactly `local`, waiting for its owner to leave.
    fn pin_exact(local: &PoolLocal<T>) -> Pinned<'_, T> {
        let backoff = gocore::backoff::Backoff::new();
        while !Self::try_pin(local) {
            backoff.snooze();
        }
        Pinned { local }
    }

    fn try_pin(local: &PoolLocal<T>) -> bool {
        !local.pinned.load(Ordering::Relaxed)
            && local
                .pinned
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Steals from the other shards, then looks in the victim cache.
    /// Go: `p.getSlow(pid)`.
    fn get_slow(&self, generation: usize, shard: usize) -> Option<T> {
        let locals = &self.generations[generation];
        let n = locals.len();
        for i in 1..n {
            if let Some(x) = Self::steal(&locals[(shard + i) % n], &self.domain, false) {
                return Some(x);
            }
        }
        if !self.victim_live.load(Ordering::Acquire) {
            return None;
        }
        let victims = &self.generations[1 - generation];
        // Go: the victim's private value of our own shard first, then the
        // oldest shared values, starting with our own shard.
        for i in 0..n {
            if let Some(x) = Self::steal(&victims[(shard + i) % n], &self.domain, i == 0) {
                return Some(x);
            }
        }
        // Nothing left in the victim cache: later misses skip it. (A `put`
        // racing a `clear_cycle` may still land in the victim, I3; the next
        // `clear_cycle` drops it: not leaked, I2.)
        self.victim_live.store(false, Ordering::Release);
        None
    }

    /// Takes a value from a shard we do not own: the oldest of its shared
    /// chain and its private value if the shard is not pinned right now
    /// (the private one first when `private_first`).
    ///
    /// Go steals only from the shared chain (another P's private value is
    /// unreachable while that P runs something else). Here a thread whose
    /// home shard was busy may leave a value in the private slot of a shard
    /// no thread calls home, so a free shard's private value is taken too.
    fn steal(
        local: &PoolLocal<T>,
        domain: &Domain<RetiredRing<T>>,
        private_first: bool,
    ) -> Option<T> {
        let private = || {
            if Self::try_pin(local) {
                Pinned { local }.take_private()
            } else {
                None
            }
        };
        if private_first {
            private().or_else(|| local.shared.pop_tail(domain))
        } else {
            local.shared.pop_tail(domain).or_else(private)
        }
    }
}

impl<T: Default> Default for Pool<T> {
    /// A pool whose function is `T::default`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p: gosync::Pool<String> = Default::default();
    /// assert_eq!(p.get(), "");
    /// ```
    fn default() -> Self {
        Pool::new(T::default)
    }
}

impl<T, F> Drop for Pool<T, F> {
    fn drop(&mut self) {
        // Values first (no user code), then the shards, then the values'
        // drops: a panicking `Drop` cannot leak anything else.
        let mut values = Vec::new();
        for generation in self.generations.iter_mut() {
            for local in generation.iter_mut() {
                values.extend(local.private.get_mut().take());
                local.shared.drain_into(&mut values);
            }
        }
        drop(values);
    }
}

impl<T, F> fmt::Debug for Pool<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("shards", &self.generations[0].len())
            .finish_non_exhaustive()
    }
}
