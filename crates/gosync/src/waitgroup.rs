//! [`WaitGroup`]: Go 1.19's `sync.WaitGroup` in 12 bytes.
//!
//! # What
//!
//! A counter of outstanding tasks and a count of waiters, packed in one 64-bit
//! word so that `add` and `wait` see both atomically, plus a semaphore the
//! waiters sleep on. When an `add` brings the counter to 0 while waiters are
//! registered, it resets the whole word to 0 and releases the semaphore once
//! per waiter.
//!
//! # Layout
//!
//! Twelve bytes, alignment 4, on every target (`[u32; 3]`). The 64-bit state
//! word needs 8-byte alignment, which a 4-aligned struct has only half the
//! time, so — as Go 1.19 does on 32-bit targets — the *window* is chosen at
//! run time from the address:
//!
//! ```text
//!  address % 8 == 0:                 address % 8 == 4:
//!  word  0        1        2         word  0        1        2
//!       +--------+--------+--------+      +--------+--------+--------+
//!       | waiters| counter|  sema  |      |  sema  | counter| waiters|
//!       +--------+--------+--------+      +--------+--------+--------+
//!       [== state: u64 ==]                         [== state: u64 ==]
//!       (8-aligned)                                (8-aligned)
//! ```
//!
//! (Little-endian pictured; on big-endian the halves are mirrored so that the
//! counter is still word 1.) In the left window the state is Go's exactly:
//! counter in the high half, waiters in the low half. On a 64-bit target
//! Go's `state1 uint64` is always 8-aligned, so Go only ever uses the left
//! window there; we keep alignment 4 everywhere, so both can occur.
//!
//! # Targets without 64-bit atomics
//!
//! `WaitGroup` exists on every target that has atomics at all, with no
//! feature to add, as Go 1.19 keeps it on every 32-bit port. Go does two
//! things there, and so do we:
//!
//! - alignment: 32-bit compilers align `state1 uint64` to 4 only, so Go's
//!   `state()` checks `&wg.state1 % 8` and swaps the roles of `state1` and
//!   `state2` when it is misaligned — the two windows above;
//! - the 64-bit operations themselves: where the CPU has none (Go's
//!   `runtime/internal/atomic/atomic_arm.go` for ARM before v7), `Xadd64` and
//!   `Cas64` take a spinlock from a table of 57 picked by the word's address
//!   (`addrLock`). On targets with compare-and-swap but no 64-bit atomics
//!   (`cfg(all(target_has_atomic = "ptr", not(target_has_atomic = "64")))`,
//!   e.g. `thumbv7em-none-eabihf`, `riscv32imac`), gosync's manifest turns
//!   on `gocore`'s `portable-atomic` backend automatically, whose `fallback`
//!   `AtomicU64` is the same design: a seqlock table keyed by address. Targets
//!   without compare-and-swap (`thumbv6m`) already need a `portable-atomic-*`
//!   backend feature for every lock here, and get the 64-bit word from it.
//!
//! # Invariants
//!
//! - I1. The counter is always word 1, whichever window is in use; at rest
//!   (no `wait` in progress) waiters = 0 and sema = 0. So a `WaitGroup` moved
//!   to an address of the other parity (possible in Rust, not in Go) still
//!   reads its counter correctly: a move needs ownership, and nobody can own
//!   it while a `wait` borrows it.
//! - I2. Waiters are counted only while the counter is > 0; the `add` that
//!   takes the counter to 0 with waiters > 0 is the only one to see that
//!   state, resets the word to 0 and releases the semaphore `waiters` times.
//! - I3. The counter never goes below 0: `add` panics when it would.
//!
//! # Go correspondence (Go 1.19 `src/sync/waitgroup.go`)
//!
//! `state1`/`state2` → `words`, `state()` → `parts()`, `Add` → [`WaitGroup::add`],
//! `Done` → [`WaitGroup::done`], `Wait` → [`WaitGroup::wait`].
//!
//! # Divergences
//!
//! - In the right window the counter is in the *low* half (I1), so `add` there
//!   is a CAS loop instead of one `fetch_add` (a carry out of the counter
//!   must not reach the waiter count).
//! - Under loom the state is a plain `AtomicU64` beside an `AtomicU32` (loom
//!   atomics cannot be laid over raw bytes).
//! - [`WaitGroup::go`] (with `std`) spawns a thread tracked by the group, as
//!   Go 1.25's `wg.Go`.

#[cfg(not(loom))]
use core::cell::UnsafeCell;
use core::fmt;

use crate::atomic::{AtomicU32, AtomicU64, Ordering};
use crate::sema;

/// Waits for a collection of tasks to finish: Go's `sync.WaitGroup`.
///
/// Go: `var wg sync.WaitGroup; wg.Add(1); go func() { defer wg.Done() }(); wg.Wait()`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use gosync::WaitGroup;
///
/// let wg = Arc::new(WaitGroup::new());
/// let sum = Arc::new(AtomicUsize::new(0));
/// for i in 1..=3 {
///     let sum = Arc::clone(&sum);
///     wg.go(move || { sum.fetch_add(i, Ordering::SeqCst); });
/// }
/// wg.wait();
/// assert_eq!(sum.load(Ordering::SeqCst), 6);
/// ```
#[doc(alias = "sync.WaitGroup")]
#[repr(C)]
pub struct WaitGroup {
    #[cfg(not(loom))]
    words: UnsafeCell<[u32; 3]>,
    #[cfg(loom)]
    state: AtomicU64,
    #[cfg(loom)]
    sema: AtomicU32,
}

// SAFETY: all access to `words` goes through atomics laid over it (`parts`),
// never through plain reads or writes while shared.
#[cfg(not(loom))]
unsafe impl Sync for WaitGroup {}
// SAFETY: the words are plain integers; nothing points into them once moved.
#[cfg(not(loom))]
unsafe impl Send for WaitGroup {}

// Go 1.19's 32-bit size and alignment, on every target.
#[cfg(not(loom))]
const _: () = assert!(core::mem::size_of::<WaitGroup>() == 12);
#[cfg(not(loom))]
const _: () = assert!(core::mem::align_of::<WaitGroup>() == 4);

/// The state word and semaphore of one `WaitGroup` at its current address.
struct Parts<'a> {
    state: &'a AtomicU64,
    sema: &'a AtomicU32,
    /// Bit position of the counter in the state word (32 = Go's layout).
    counter_shift: u32,
}

impl Parts<'_> {
    #[inline]
    fn counter(&self, state: u64) -> i32 {
        (state >> self.counter_shift) as u32 as i32
    }
    #[inline]
    fn waiters(&self, state: u64) -> u32 {
        (state >> (32 - self.counter_shift)) as u32
    }
    #[inline]
    fn one_waiter(&self) -> u64 {
        1u64 << (32 - self.counter_shift)
    }

    /// Adds `delta` to the counter; returns the new state.
    #[inline]
    fn add_counter(&self, delta: i32) -> u64 {
        if self.counter_shift == 32 {
            // Go's layout: a carry out of the high half falls off the word.
            let d = (delta as u32 as u64) << 32;
            self.state.fetch_add(d, Ordering::SeqCst).wrapping_add(d)
        } else {
            let mut old = self.state.load(Ordering::Relaxed);
            loop {
                let c = (old as u32).wrapping_add(delta as u32);
                let new = (old & !0xffff_ffff) | c as u64;
                match self.state.compare_exchange_weak(
                    old,
                    new,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return new,
                    Err(cur) => old = cur,
                }
            }
        }
    }
}

/// Where a [`WaitGroup`]'s state word and semaphore sit right now: byte
/// offsets inside its 12 bytes (see the module docs' picture).
///
/// # Examples
///
/// ```
/// let wg = gosync::WaitGroup::new();
/// let w = wg.window();
/// assert!(w.state_offset == 0 && w.sema_offset == 8 || w.state_offset == 4 && w.sema_offset == 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitGroupWindow {
    /// Offset of the 8-byte-aligned 64-bit state word: 0 or 4.
    pub state_offset: usize,
    /// Offset of the 32-bit semaphore: 8 or 0.
    pub sema_offset: usize,
    /// Bit position of the counter in the state word (32 = Go's layout,
    /// counter in the high half).
    pub counter_shift: u32,
}

impl WaitGroup {
    /// Creates a wait group with counter 0 (Go's zero value).
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.wait(); // counter 0: returns at once
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        WaitGroup {
            words: UnsafeCell::new([0; 3]),
        }
    }

    /// Creates a wait group with counter 0 (Go's zero value).
    #[cfg(loom)]
    pub fn new() -> Self {
        WaitGroup {
            state: AtomicU64::new(0),
            sema: AtomicU32::new(0),
        }
    }

    #[cfg(not(loom))]
    #[inline]
    fn parts(&self) -> Parts<'_> {
        let base = self.words.get() as *mut u32;
        let aligned = gocore::align::is_aligned(base as usize, 8);
        // Word 1 holds the counter in both windows (I1): in the left window it
        // is the u64's second word, in the right window its first.
        let counter_second = aligned;
        let counter_shift = if counter_second == cfg!(target_endian = "little") {
            32
        } else {
            0
        };
        let (state, sema) = if aligned {
            // SAFETY: `base + 2` is inside the 3-word array.
            (base, unsafe { base.add(2) })
        } else {
            // SAFETY: `base + 1` is inside the 3-word array.
            (unsafe { base.add(1) }, base)
        };
        debug_assert_eq!(state as usize % 8, 0);
        // SAFETY: `state` is 8-aligned (base is 4-aligned, so one of base and
        // base + 4 is 8-aligned, and we picked it) and points at 8 bytes inside
        // `words`, valid for `&self`'s lifetime; every access to these bytes
        // while shared is atomic and of this size (the window is fixed for a
        // given address, I1), as `from_ptr` requires.
        let state = unsafe { AtomicU64::from_ptr(state.cast::<u64>()) };
        // SAFETY: `sema` is a 4-aligned word of `words` outside the state
        // window, accessed only atomically while shared.
        let sema = unsafe { AtomicU32::from_ptr(sema) };
        Parts {
            state,
            sema,
            counter_shift,
        }
    }

    #[cfg(loom)]
    #[inline]
    fn parts(&self) -> Parts<'_> {
        Parts {
            state: &self.state,
            sema: &self.sema,
            counter_shift: 32,
        }
    }

    /// Adds `delta` (which may be negative) to the counter. When it reaches
    /// 0, every [`WaitGroup::wait`] returns.
    ///
    /// Calls with a positive delta that start from a zero counter must happen
    /// before a `wait`; to reuse a group, new `add`s must come after all
    /// previous `wait`s have returned.
    ///
    /// Go: `wg.Add(delta)`.
    ///
    /// # Panics
    ///
    /// - `"sync: negative WaitGroup counter"` if the counter would go below 0.
    /// - `"sync: WaitGroup misuse: Add called concurrently with Wait"` when an
    ///   `add` from 0 races a `wait`.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.add(2);
    /// wg.add(-2);
    /// wg.wait();
    /// ```
    pub fn add(&self, delta: i32) {
        let p = self.parts();
        let state = p.add_counter(delta);
        let v = p.counter(state);
        let w = p.waiters(state);
        if v < 0 {
            panic!("sync: negative WaitGroup counter");
        }
        if w != 0 && delta > 0 && v == delta {
            panic!("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        if v > 0 || w == 0 {
            return;
        }
        // We took the counter to 0 with waiters > 0 (I2). Now there can be no
        // concurrent mutation of the state: adds must not run concurrently
        // with wait, and wait does not register itself when the counter is 0.
        // A cheap sanity check follows to detect misuse.
        if p.state.load(Ordering::SeqCst) != state {
            panic!("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        // Reset the waiter count to 0.
        p.state.store(0, Ordering::SeqCst);
        for _ in 0..w {
            sema::release(p.sema, false);
        }
    }

    /// Decrements the counter by one.
    ///
    /// Go: `wg.Done()`.
    ///
    /// # Panics
    ///
    /// `"sync: negative WaitGroup counter"` if the counter was 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// assert_eq!(wg.counter(), 0);
    /// ```
    #[inline]
    pub fn done(&self) {
        self.add(-1);
    }

    /// Blocks until the counter is 0.
    ///
    /// Go: `wg.Wait()`.
    ///
    /// # Panics
    ///
    /// `"sync: WaitGroup is reused before previous Wait has returned"` if the
    /// group was reused (a new `add`) before this wait woke up.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = std::sync::Arc::new(gosync::WaitGroup::new());
    /// wg.add(1);
    /// let w2 = std::sync::Arc::clone(&wg);
    /// let t = std::thread::spawn(move || w2.done());
    /// wg.wait();
    /// t.join().unwrap();
    /// ```
    pub fn wait(&self) {
        let p = self.parts();
        let mut state = p.state.load(Ordering::SeqCst);
        loop {
            if p.counter(state) == 0 {
                // Counter is 0, no need to wait.
                return;
            }
            // Increment the waiter count.
            match p.state.compare_exchange_weak(
                state,
                state.wrapping_add(p.one_waiter()),
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    sema::acquire(p.sema, false);
                    if p.state.load(Ordering::SeqCst) != 0 {
                        panic!("sync: WaitGroup is reused before previous Wait has returned");
                    }
                    return;
                }
                Err(cur) => state = cur,
            }
        }
    }

    /// The counter right now (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// wg.add(3);
    /// assert_eq!(wg.counter(), 3);
    /// # wg.add(-3);
    /// ```
    pub fn counter(&self) -> i32 {
        let p = self.parts();
        p.counter(p.state.load(Ordering::SeqCst))
    }

    /// The number of registered waiters right now (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gosync::WaitGroup::new().waiters(), 0);
    /// ```
    pub fn waiters(&self) -> u32 {
        let p = self.parts();
        p.waiters(p.state.load(Ordering::SeqCst))
    }

    /// Which 8 of the 12 bytes hold the state word at this address.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::WaitGroup::new();
    /// let w = wg.window();
    /// let addr = &wg as *const _ as usize;
    /// assert_eq!((addr + w.state_offset) % 8, 0);
    /// ```
    pub fn window(&self) -> WaitGroupWindow {
        #[cfg(not(loom))]
        {
            let p = self.parts();
            let base = self as *const Self as usize;
            WaitGroupWindow {
                state_offset: p.state as *const AtomicU64 as usize - base,
                sema_offset: p.sema as *const AtomicU32 as usize - base,
                counter_shift: p.counter_shift,
            }
        }
        #[cfg(loom)]
        {
            WaitGroupWindow {
                state_offset: 0,
                sema_offset: 8,
                counter_shift: 32,
            }
        }
    }

    /// Adds 1 to the counter and runs `f` on a new thread, calling
    /// [`WaitGroup::done`] when it returns or panics.
    ///
    /// Go: `wg.Add(1); go func() { defer wg.Done(); f() }()` (Go 1.25's `wg.Go(f)`).
    ///
    /// # Panics
    ///
    /// If the operating system cannot create the thread, with
    /// `std::thread::spawn`'s message (`failed to spawn thread: ...`), after
    /// taking its 1 back off the counter: `f` never runs, and a `wait`
    /// does not wait for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let wg = Arc::new(gosync::WaitGroup::new());
    /// let handle = wg.go(|| println!("hello from a goroutine-ish thread"));
    /// wg.wait();
    /// handle.join().unwrap();
    /// ```
    #[cfg(all(feature = "std", not(loom)))]
    #[allow(clippy::must_use_candidate)]
    pub fn go<F>(self: &std::sync::Arc<Self>, f: F) -> std::thread::JoinHandle<()>
    where
        F: FnOnce() + Send + 'static,
    {
        self.add(1);
        let wg = std::sync::Arc::clone(self);
        let spawned = std::thread::Builder::new().spawn(move || {
            let _done = gocore::scopeguard::guard(wg, |wg| wg.done());
            f();
        });
        match spawned {
            Ok(handle) => handle,
            Err(e) => {
                // The closure was dropped unrun, so its `done` never comes:
                // take the add back, or every `wait` would block for ever.
                self.done();
                panic!("failed to spawn thread: {e:?}");
            }
        }
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("counter", &self.counter())
            .field("waiters", &self.waiters())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[repr(C, align(8))]
    struct Buf([u8; 24]);

    #[test]
    fn both_windows_work_and_keep_the_counter_in_word_1() {
        let mut buf = Buf([0; 24]);
        for off in [0usize, 4] {
            let p = buf.0.as_mut_ptr().wrapping_add(off).cast::<WaitGroup>();
            // SAFETY: `p` is 4-aligned (buf is 8-aligned, off is 0 or 4) and
            // has 12 valid bytes; we write a fresh WaitGroup there.
            unsafe { p.write(WaitGroup::new()) };
            // SAFETY: just initialised; the buffer outlives `wg`.
            let wg = unsafe { &*p };
            let win = wg.window();
            assert_eq!(win.state_offset, if off == 0 { 0 } else { 4 });
            assert_eq!(win.sema_offset, if off == 0 { 8 } else { 0 });
            wg.add(5);
            wg.add(-2);
            assert_eq!(wg.counter(), 3);
            // SAFETY: reading the words of a WaitGroup not in use elsewhere.
            let words = unsafe { p.cast::<[u32; 3]>().read() };
            assert_eq!(words, [0, 3, 0]);
            wg.add(-3);
            wg.wait();
        }
    }
}
