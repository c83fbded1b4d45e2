//! [`Once`], [`OnceValue`] and [`OnceFunc`]: Go's `sync.Once` and Go 1.21's
//! `sync.OnceValue` / `sync.OnceFunc`.
//!
//! # What
//!
//! `Once` is a done flag plus a [`RawMutex`]. The fast path is one Acquire
//! load of `done`; the slow path locks the mutex, checks `done` again (the
//! double-checked slow path of Go's `doSlow`), runs `f`, and sets `done`
//! before unlocking. Concurrent callers wait on the mutex, so no call returns
//! before the one `f` has returned.
//!
//! # Layout
//!
//! ```text
//! +------------+-----------------------+
//! | done: u32  | m: RawMutex (8 bytes) |   12 bytes, as Go's (done first:
//! +------------+-----------------------+   the inlined fast path reads it)
//! ```
//!
//! # Invariants
//!
//! - I1. `done` goes 0 → 1 once, with a Release store made while `m` is held,
//!   after `f` has returned or unwound.
//! - I2. `f` runs only with `m` held and `done == 0`, so at most once.
//!
//! # Go correspondence (Go 1.19 `src/sync/once.go`; Go 1.21 `oncefunc.go`)
//!
//! `Once.done` → `done`, `Once.m` → `m`, `Do` → [`Once::call_once`], `doSlow`
//! → `call_once_slow`; `OnceFunc` → [`OnceFunc`] / [`once_func`]; `OnceValue`
//! → [`OnceValue`] / [`once_value`]; `OnceValues` → [`once_values`] (a
//! [`OnceValue`] of the pair). The `once_*` functions return these types
//! (with `get` / `call`) rather than closures, so the result can be stored
//! in a struct or shared between threads.
//!
//! # Divergences — and the difference from `std::sync::Once`
//!
//! **A panicking `f` still counts as done**, exactly as in Go (its deferred
//! `atomic.StoreUint32(&o.done, 1)` runs during the panic): later
//! `call_once`s return at once without running anything. `std::sync::Once`
//! instead *poisons*: its later `call_once`s panic, and `call_once_force` may
//! retry. There is no poisoning here, and no retry.
//!
//! `OnceValue`/`OnceFunc` follow Go 1.21: if `f` panicked, every later call
//! panics too, with the same message when it was a string (with `std`; Go
//! re-panics with the same value, which Rust cannot clone in general).

use crate::atomic::{AtomicU32, Ordering};
use crate::raw::RawMutex;
use core::cell::UnsafeCell;
use core::fmt;
use gocore::scopeguard::guard;

/// Runs a function exactly once: Go's `sync.Once`.
///
/// Go: `var once sync.Once; once.Do(f)`.
///
/// # Examples
///
/// ```
/// use gosync::Once;
/// static INIT: Once = Once::new();
/// let mut n = 0;
/// INIT.call_once(|| n += 1);
/// INIT.call_once(|| n += 1); // not run
/// assert_eq!(n, 1);
/// ```
///
/// A panic in `f` still counts as done (unlike `std::sync::Once`):
///
/// ```
/// let once = gosync::Once::new();
/// let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
///     once.call_once(|| panic!("boom"))
/// }));
/// assert!(r.is_err());
/// assert!(once.is_done());
/// once.call_once(|| unreachable!()); // returns without calling anything
/// ```
#[doc(alias = "sync.Once")]
#[repr(C)]
pub struct Once {
    // First, as in Go: the hot path reads it at offset 0, so every inlined
    // `call_once` addresses it with the shortest encoding.
    done: AtomicU32,
    m: RawMutex,
}

impl Once {
    /// Creates a `Once` that has not run (Go's zero value).
    ///
    /// # Examples
    ///
    /// ```
    /// static O: gosync::Once = gosync::Once::new();
    /// assert!(!O.is_done());
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Once {
            done: AtomicU32::new(0),
            m: RawMutex::new(),
        }
    }

    /// Creates a `Once` that has not run (Go's zero value).
    #[cfg(loom)]
    pub fn new() -> Self {
        Once {
            done: AtomicU32::new(0),
            m: RawMutex::new(),
        }
    }

    /// Calls `f` if and only if this is the first `call_once` on this `Once`;
    /// every call returns only after that one `f` has returned (or panicked).
    ///
    /// Calling `call_once` on the same `Once` from inside `f` deadlocks, as in Go.
    ///
    /// Go: `once.Do(f)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = gosync::Once::new();
    /// let mut v = Vec::new();
    /// for i in 0..3 {
    ///     once.call_once(|| v.push(i));
    /// }
    /// assert_eq!(v, [0]);
    /// ```
    #[doc(alias = "Do")]
    #[inline]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        // Acquire pairs with the Release store of I1: f's effects are visible.
        if self.done.load(Ordering::Acquire) == 0 {
            self.call_once_slow(f);
        }
    }

    /// Go: `doSlow` (sync/once.go).
    #[cold]
    fn call_once_slow<F: FnOnce()>(&self, f: F) {
        self.m.lock();
        // Go: defer o.m.Unlock() — runs last, also when f panics.
        let _unlock = guard(&self.m, |m| {
            // SAFETY: we locked `m` above and release it exactly once, here.
            unsafe { m.unlock() }
        });
        if self.done.load(Ordering::Relaxed) == 0 {
            // Go: defer atomic.StoreUint32(&o.done, 1) — runs before the
            // unlock (guards drop in reverse order), also when f panics (I1).
            let _done = guard(&self.done, |d| d.store(1, Ordering::Release));
            f();
        }
    }

    /// Reports whether `f` has run (or panicked).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = gosync::Once::new();
    /// once.call_once(|| ());
    /// assert!(once.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire) != 0
    }
}

impl Default for Once {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_done())
            .finish_non_exhaustive()
    }
}

/// What became of the function of a [`OnceValue`].
enum Outcome<T> {
    /// Not called yet.
    Pending,
    Value(T),
    /// `f` panicked; the message, if it was a string and `std` could catch it.
    Panicked(Option<PanicMsg>),
}

#[cfg(feature = "alloc")]
type PanicMsg = alloc::string::String;
#[cfg(not(feature = "alloc"))]
type PanicMsg = &'static str;

/// A value computed once, on first use: Go 1.21's `sync.OnceValue`.
///
/// Go: `get := sync.OnceValue(f); v := get()`.
///
/// # Examples
///
/// ```
/// use gosync::OnceValue;
/// let calls = std::cell::Cell::new(0);
/// let v = OnceValue::new(|| {
///     calls.set(calls.get() + 1);
///     6 * 7
/// });
/// assert_eq!(*v.get(), 42);
/// assert_eq!(*v.get(), 42);
/// assert_eq!(calls.get(), 1);
/// ```
///
/// # Panics
///
/// If `f` panics, this call and every later [`OnceValue::get`] panic (Go
/// re-panics with the same value; we re-panic with the same message when it
/// was a string, with `std`).
#[doc(alias = "sync.OnceValue")]
pub struct OnceValue<T, F = fn() -> T> {
    once: Once,
    f: UnsafeCell<Option<F>>,
    outcome: UnsafeCell<Outcome<T>>,
}

// SAFETY: `f` is taken and run by one thread (under the Once), so it only
// moves between threads (`F: Send`); the value is written once under the
// Once and then shared as `&T` (`T: Send + Sync`).
unsafe impl<T: Send + Sync, F: Send> Sync for OnceValue<T, F> {}

impl<T, F: FnOnce() -> T> OnceValue<T, F> {
    /// Wraps `f`; it runs on the first [`OnceValue::get`].
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::OnceValue::new(|| "ready");
    /// assert_eq!(*v.get(), "ready");
    /// ```
    #[cfg(not(loom))]
    pub const fn new(f: F) -> Self {
        OnceValue {
            once: Once::new(),
            f: UnsafeCell::new(Some(f)),
            outcome: UnsafeCell::new(Outcome::Pending),
        }
    }

    /// Wraps `f`; it runs on the first [`OnceValue::get`].
    #[cfg(loom)]
    pub fn new(f: F) -> Self {
        OnceValue {
            once: Once::new(),
            f: UnsafeCell::new(Some(f)),
            outcome: UnsafeCell::new(Outcome::Pending),
        }
    }

    /// Returns the value, running `f` if this is the first call.
    ///
    /// # Panics
    ///
    /// If `f` panicked (now or on an earlier call).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::OnceValue::new(|| vec![1, 2]);
    /// assert_eq!(v.get().len(), 2);
    /// ```
    pub fn get(&self) -> &T {
        self.once.call_once(|| {
            // SAFETY: inside the Once (I2) nobody else touches `f` or
            // `outcome`: readers wait until `done` is set.
            let f = unsafe { (*self.f.get()).take() };
            let f = f.expect("OnceValue: function already taken");
            // SAFETY: as above; this write happens before `done` is set.
            let slot = unsafe { &mut *self.outcome.get() };
            *slot = Outcome::Panicked(None);
            *slot = Outcome::Value(run_recording_panic(f, slot));
        });
        // SAFETY: `done` is set (Acquire in call_once), so `outcome` is final
        // and no one writes it any more.
        match unsafe { &*self.outcome.get() } {
            Outcome::Value(v) => v,
            Outcome::Panicked(Some(msg)) => panic!("{}", msg),
            Outcome::Panicked(None) | Outcome::Pending => {
                panic!("sync: OnceValue function panicked")
            }
        }
    }
}

/// Runs `f`; if it panics, records the panic message in `slot` (with `std`)
/// and resumes the panic.
fn run_recording_panic<T, F: FnOnce() -> T>(f: F, slot: &mut Outcome<T>) -> T {
    #[cfg(feature = "std")]
    {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(v) => v,
            Err(payload) => {
                let msg = if let Some(s) = payload.downcast_ref::<&str>() {
                    Some(PanicMsg::from(*s))
                } else {
                    payload.downcast_ref::<PanicMsg>().cloned()
                };
                *slot = Outcome::Panicked(msg);
                std::panic::resume_unwind(payload)
            }
        }
    }
    #[cfg(not(feature = "std"))]
    {
        let _ = slot; // already Panicked(None) if f unwinds
        f()
    }
}

impl<T: fmt::Debug, F> fmt::Debug for OnceValue<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("OnceValue");
        if self.once.is_done() {
            // SAFETY: done, so `outcome` is final.
            match unsafe { &*self.outcome.get() } {
                Outcome::Value(v) => d.field("value", v),
                _ => d.field("value", &format_args!("<panicked>")),
            };
        } else {
            d.field("value", &format_args!("<pending>"));
        }
        d.finish()
    }
}

/// A function that runs once however often it is called: Go 1.21's
/// `sync.OnceFunc`.
///
/// Go: `f := sync.OnceFunc(g); f(); f()`.
///
/// # Examples
///
/// ```
/// let n = std::cell::Cell::new(0);
/// let f = gosync::OnceFunc::new(|| n.set(n.get() + 1));
/// f.call();
/// f.call();
/// assert_eq!(n.get(), 1);
/// ```
///
/// # Panics
///
/// If the function panicked, every later [`OnceFunc::call`] panics too.
#[doc(alias = "sync.OnceFunc")]
pub struct OnceFunc<F> {
    inner: OnceValue<(), F>,
}

impl<F: FnOnce()> OnceFunc<F> {
    /// Wraps `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = gosync::OnceFunc::new(|| ());
    /// f.call();
    /// ```
    #[cfg(not(loom))]
    pub const fn new(f: F) -> Self {
        OnceFunc {
            inner: OnceValue::new(f),
        }
    }

    /// Wraps `f`.
    #[cfg(loom)]
    pub fn new(f: F) -> Self {
        OnceFunc {
            inner: OnceValue::new(f),
        }
    }

    /// Runs the function if this is the first call.
    ///
    /// # Panics
    ///
    /// If the function panicked (now or on an earlier call).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = gosync::OnceFunc::new(|| println!("once"));
    /// f.call();
    /// ```
    pub fn call(&self) {
        self.inner.get();
    }
}

impl<F> fmt::Debug for OnceFunc<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceFunc")
            .field("done", &self.inner.once.is_done())
            .finish()
    }
}

/// Wraps `f` so that it runs on its first call only: Go 1.21's
/// `sync.OnceFunc(f)`, as a [`OnceFunc`] (call it with [`OnceFunc::call`]).
///
/// The result is `Sync` when `f` is `Send`, so it can be shared between
/// threads (in an `Arc` or a `static`), as Go's returned function can.
///
/// # Examples
///
/// ```
/// let n = std::cell::Cell::new(0);
/// let f = gosync::once_func(|| n.set(n.get() + 1));
/// f.call();
/// f.call();
/// assert_eq!(n.get(), 1);
/// ```
pub fn once_func<F: FnOnce()>(f: F) -> OnceFunc<F> {
    OnceFunc {
        inner: OnceValue::new(f),
    }
}

/// Wraps `f` so that it computes its value on the first
/// [`get`](OnceValue::get) only: Go 1.21's `sync.OnceValue(f)`, as a
/// [`OnceValue`]. Where Go's returned function hands out a copy, `get`
/// lends a `&T` (clone it for an owned value).
///
/// # Examples
///
/// ```
/// let config = gosync::once_value(|| String::from("config"));
/// assert_eq!(config.get(), "config");
/// let owned: String = config.get().clone();
/// assert_eq!(owned, "config");
/// ```
///
/// Shared between threads:
///
/// ```
/// use std::sync::Arc;
/// let answer = Arc::new(gosync::once_value(|| 6 * 7));
/// let a = Arc::clone(&answer);
/// let t = std::thread::spawn(move || *a.get());
/// assert_eq!(*answer.get(), 42);
/// assert_eq!(t.join().unwrap(), 42);
/// ```
pub fn once_value<T, F: FnOnce() -> T>(f: F) -> OnceValue<T, F> {
    OnceValue::new(f)
}

/// Wraps `f`, which returns two values, so that it runs on the first
/// [`get`](OnceValue::get) only: Go 1.21's `sync.OnceValues(f)`, as a
/// [`OnceValue`] of the pair (typically a value and an error, which Rust
/// would rather return as a `Result` through [`once_value`]).
///
/// # Examples
///
/// ```
/// let parsed = gosync::once_values(|| ("42".parse::<u32>().ok(), "42"));
/// let (n, text) = parsed.get();
/// assert_eq!((*n, *text), (Some(42), "42"));
/// ```
pub fn once_values<T1, T2, F: FnOnce() -> (T1, T2)>(f: F) -> OnceValue<(T1, T2), F> {
    OnceValue::new(f)
}
