//! Go's `context` package — cancellation trees, deadlines and request values —
//! plus Go's channel timers, with one leak-free timer heap under both.
//!
//! A [`Context`] tells the code it is handed *when to stop*: it is cancelled
//! by its [`CancelFunc`], by its parent, or by its deadline, and its
//! [`done`](Context::done) channel is a [`gochan`] channel that closes at that
//! moment, so it can sit in a `select!` beside any other channel.
//!
//! # Hello, cancellation
//!
//! ```
//! use gocontext::{background, with_cancel, Error};
//!
//! let (ctx, cancel) = with_cancel(&background());
//! let worker_ctx = ctx.clone();
//! let worker = std::thread::spawn(move || {
//!     worker_ctx.done().recv(); // blocks until cancelled (None: closed)
//!     worker_ctx.err()
//! });
//! cancel.cancel();
//! assert_eq!(worker.join().unwrap(), Some(Error::Canceled));
//! ```
//!
//! # Trees
//!
//! Cancelling a context cancels everything derived from it; cancelling a
//! child never touches its parent, and a cancelled child leaves its parent's
//! child set at once (so the set never grows without bound).
//!
//! ```
//! use gocontext::{background, with_cancel, with_value, Error};
//!
//! let (root, cancel_root) = with_cancel(&background());
//! let (a, cancel_a) = with_cancel(&root);
//! let (b, _cancel_b) = with_cancel(&with_value(&root, "user", 7u32));
//! cancel_a.cancel();
//! assert_eq!((root.err(), a.err(), b.err()), (None, Some(Error::Canceled), None));
//! assert_eq!(root.children_len(), 1); // only b is left
//! cancel_root.cancel();
//! assert_eq!(b.err(), Some(Error::Canceled));
//! assert_eq!(b.value::<_, u32>(&"user"), Some(&7));
//! ```
//!
//! # Deadlines and timeouts
//!
//! ```
//! use std::time::Duration;
//! use gocontext::{background, with_timeout, Error};
//!
//! let (ctx, _cancel) = with_timeout(&background(), Duration::from_millis(5));
//! assert_eq!(ctx.done().recv(), None); // closed when the deadline passes
//! assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
//!
//! // A child can only shorten the deadline, never extend it.
//! let (parent, _c1) = with_timeout(&background(), Duration::from_secs(1));
//! let (child, _c2) = with_timeout(&parent, Duration::from_secs(60));
//! assert_eq!(child.deadline(), parent.deadline());
//! ```
//!
//! # Selecting on done and a timer
//!
//! [`after`], [`tick`], [`Timer`] and [`Ticker`] are Go's channel timers. A
//! dropped timer is stopped at once and releases its channel, so a timeout
//! in a loop leaves no timer behind (Go 1.19's `time.After` stays until it
//! fires).
//!
//! ```
//! use std::time::Duration;
//! use gocontext::{after, background, with_cancel, Timers};
//!
//! let (ctx, cancel) = with_cancel(&background());
//! let done = ctx.done();
//! cancel.cancel();
//! let timeout = after(Duration::from_secs(3600));
//! let mut fired = "";
//! gochan::select! {
//!     recv(done) -> _ => fired = "done",
//!     recv(*timeout) -> _ => fired = "timeout", // `*`: the After derefs to its Receiver
//! }
//! assert_eq!(fired, "done");
//! drop(timeout);
//! ```
//!
//! # Async
//!
//! `done()` is an ordinary channel, so `recv_async` waits for cancellation in
//! async code with any executor.
//!
//! ```
//! let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
//! cancel.cancel();
//! let done = ctx.done();
//! let closed = gocore::park::block_on(async { done.recv_async().await });
//! assert_eq!(closed, None);
//! ```
//!
//! # `no_std`: your own clock
//!
//! Without `std` there is no background thread: make a [`Timers`] service over
//! a [`Clock`] (your hardware timer) and call [`Timers::fire_due`] from your
//! tick. [`ManualClock`] is a clock you move by hand.
//!
//! ```
//! use core::time::Duration;
//! use gocontext::{background, with_timeout_on, Error, ManualClock, Timers};
//!
//! let clock = ManualClock::new();
//! let timers = Timers::new(clock.clone());
//! let (ctx, _cancel) = with_timeout_on(&background(), &timers, Duration::from_millis(10));
//! clock.advance(Duration::from_millis(10));
//! timers.fire_due();
//! assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
//! ```
//!
//! # Cargo features
//!
//! - `std` (default): the global timer service and its thread, [`after`],
//!   [`tick`], [`Timer::new`], [`Ticker::new`], [`with_deadline`],
//!   [`with_timeout`], [`Context::deadline`]. Implies `alloc`.
//! - `alloc`: contexts, [`Timers`] over a user [`Clock`]. Needs native
//!   pointer-sized atomics (`Arc`).
//! - `portable-atomic`: atomics from the `portable-atomic` crate (thumbv6m);
//!   pick a backend with `portable-atomic-critical-section` or
//!   `portable-atomic-unsafe-assume-single-core` (only sound on single-core
//!   targets).
//!
//! Without `alloc`, or on targets without pointer-sized atomics (thumbv6m:
//! `alloc::sync::Arc` does not exist there), only [`Error`] and the [`Clock`]
//! trait remain.
//!
//! # User code: re-entrance and panics
//!
//! The code this crate calls back — the wakers of tasks awaiting a done
//! channel, [`after_func`] functions, timer actions, and the `Drop` of what
//! they capture or of a [`with_value`] value — runs with no lock of this
//! crate held, so it may call back into the same context or timer service.
//! If it panics in the middle of a cancellation, the cancellation is still
//! completed (every context below is cancelled, every done channel closed)
//! while the panic unwinds to the caller of `cancel`; a second panic during
//! that completion aborts.
//!
//! # Go correspondence and divergences
//!
//! Go 1.19 `context/context.go` (plus Go 1.20's [`with_cancel_cause`] /
//! [`cause`] and Go 1.21's [`after_func`] / [`without_cancel`]) and
//! `runtime/time.go`. Keys and values are typed, so Go's "nil key" and "key
//! is not comparable" panics cannot happen. The design and every divergence
//! are in [`design::context`] (the cancellation tree), [`design::heap`] (the
//! timer heap and its driver) and [`design::time`] (timers on channels).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(
        clippy::std_instead_of_core,
        clippy::std_instead_of_alloc,
        clippy::alloc_instead_of_core
    )
)]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
pub use error::Error;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use error::Cause;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod context;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod done;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod heap;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod lock;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod time;

mod clock;
pub use clock::Clock;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use crate::{
    context::{
        after_func, background, cause, todo, with_cancel, with_cancel_cause, with_deadline_on,
        with_timeout_on, with_value, without_cancel, AfterFuncStop, CancelCauseFunc, CancelFunc,
        Context,
    },
    done::Done,
    heap::{ManualClock, TimerHandle, Timers},
    time::{After, DefaultTime, Ticker, Timer},
};

#[cfg(all(feature = "std", target_has_atomic = "ptr"))]
pub use crate::{
    context::{with_deadline, with_timeout},
    time::{after, tick},
};

/// How contexts and timers work inside: the design essays that open the
/// crate's modules, one page each.
///
/// Documentation only: the modules they describe are private.
pub mod design {
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/context.md"))]
    pub mod context {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/heap.md"))]
    pub mod heap {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/time.md"))]
    pub mod time {}
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
