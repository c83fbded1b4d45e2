//! Go's channels for threads, async and `no_std`: ring buffer, direct
//! hand-off, close, `select` and nil channels — Go 1.19's `runtime/chan.go`
//! and `runtime/select.go`, in Rust.
//!
//! **Dropping handles never closes a channel** (as in Go): a receiver whose
//! senders are all gone blocks for ever, unless someone calls
//! [`Chan::close`]. Channels made with
//! [`Chan::with_mode(cap, Mode::CloseOnDrop)`](Chan::with_mode) close
//! themselves when the last handle that can send (or receive) is dropped,
//! as crossbeam and `std::sync::mpsc` channels disconnect; see
//! [Dropping handles](#dropping-handles-gos-rule-or-close-on-drop).
//!
//! # Hello, channel
//!
//! A [`Chan<T>`] is a FIFO shared by cloning (Go channels are reference
//! values). `send` blocks while the buffer is full, `recv` while it is empty:
//!
//! ```
//! use gochan::Chan;
//!
//! let c = Chan::new(1); // make(chan i32, 1)
//! let tx = c.clone();
//! let t = std::thread::spawn(move || {
//!     for i in 0..3 {
//!         tx.send(i).unwrap(); // c <- i
//!     }
//!     tx.close().unwrap(); // close(c)
//! });
//! let got: Vec<i32> = c.iter().collect(); // for v := range c
//! assert_eq!(got, [0, 1, 2]);
//! t.join().unwrap();
//! ```
//!
//! # Channel kinds
//!
//! - `Chan::new(0)`: **unbuffered**, a rendezvous — `send` returns only once
//!   a receiver has the value, which is copied straight from one party to the
//!   other (*direct hand-off*).
//! - `Chan::new(n)`: **buffered**, a ring buffer of `n` slots.
//! - [`Chan::nil()`]: the **nil channel** — sends and receives never complete,
//!   `select` never picks it; handy to switch a `select` case off.
//!
//! ```
//! use gochan::{Chan, TrySendError};
//! let unbuffered = Chan::new(0);
//! assert_eq!(unbuffered.try_send(1), Err(TrySendError::Full(1))); // no receiver waiting
//! let nil = Chan::<i32>::nil();
//! assert_eq!(nil.try_send(1), Err(TrySendError::Full(1)));
//! assert!(nil.recv_timeout(std::time::Duration::from_millis(1)).is_err());
//! ```
//!
//! # Closing
//!
//! [`Chan::close`] marks the channel closed. Buffered values still drain;
//! then every receive returns `None` at once (Go's `ok == false`). Parked
//! receivers wake with `None`; parked and later senders get their value back
//! in [`SendError`] (Go panics). Closing twice, or closing the nil channel, is
//! an [`Err(CloseError)`](CloseError).
//!
//! ```
//! use gochan::{Chan, CloseError};
//! let c = Chan::new(2);
//! c.send(1)?;
//! c.close()?;
//! assert_eq!(c.send(2).unwrap_err().into_inner(), 2);
//! assert_eq!(c.recv(), Some(1));
//! assert_eq!(c.recv(), None);
//! assert_eq!(c.close(), Err(CloseError::Closed));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Dropping handles: Go's rule, or close-on-drop
//!
//! By default ([`Mode::Go`]) a channel is closed only by [`Chan::close`].
//! Dropping every [`Sender`] and `Chan` clone leaves receivers blocked for
//! ever, and dropping every [`Receiver`] and `Chan` clone leaves a sender
//! blocked for ever on a full channel, exactly as goroutines leak in Go. So
//! in Go mode, always `close` when done sending, or receive with a timeout:
//!
//! ```
//! use std::time::Duration;
//! use gochan::{Chan, RecvTimeoutError};
//! let c = Chan::<i32>::new(0);
//! let rx = c.receiver();
//! drop(c); // no handle can send any more, but the channel stays open
//! assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
//! ```
//!
//! [`Mode::CloseOnDrop`] counts the handles that can send (`Chan`,
//! `Sender`) and those that can receive (`Chan`, `Receiver`). When the
//! last sending-capable handle is dropped, the channel closes with Go's
//! close semantics: buffered values still drain, then receivers (blocked
//! in `recv`, `recv_async`, `select!`, iterators or streams) see closed.
//! When the last receiving-capable handle is dropped, the channel closes as
//! well: parked and later sends give their value back in a [`SendError`],
//! and buffered values are dropped. An explicit `close` still works; the
//! automatic close of an already closed channel does nothing.
//!
//! ```
//! use gochan::{Chan, Mode};
//! let c = Chan::with_mode(0, Mode::CloseOnDrop);
//! let workers: Vec<_> = (0..3).map(|id| {
//!     let tx = c.sender();
//!     std::thread::spawn(move || tx.send(id).unwrap()) // `tx` dropped at the end
//! }).collect();
//! let rx = c.receiver();
//! drop(c); // keep only the receiving side here
//! let mut got: Vec<i32> = rx.iter().collect(); // ends when every worker is done
//! got.sort();
//! assert_eq!(got, [0, 1, 2]);
//! for w in workers { w.join().unwrap(); }
//! ```
//!
//! # Select
//!
//! [`select!`] waits on several operations and performs exactly one, chosen
//! uniformly at random among the ready ones; `default` makes it non-blocking.
//! Like Go, it evaluates each case's channel expression (any expression: a
//! variable, `make()`, `c.receiver()`) and each send's value exactly once,
//! in source order, on entry. [`Select`] builds the case list at run time
//! (Go's `reflect.Select`).
//!
//! ```
//! use gochan::{select, Chan};
//! let (a, b) = (Chan::new(1), Chan::new(1));
//! a.send("from a")?;
//! let msg = select! {
//!     recv(a) -> v => v.unwrap(),
//!     recv(b) -> v => v.unwrap(),
//!     default => "nothing ready",
//! };
//! assert_eq!(msg, "from a");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Directional views
//!
//! [`Sender<T>`] (`chan<- T`) can only send and close, [`Receiver<T>`]
//! (`<-chan T`) can only receive:
//!
//! ```
//! use gochan::{Chan, Receiver, Sender};
//! fn producer(out: Sender<u32>) { for i in 1..=3 { out.send(i).unwrap(); } out.close().unwrap(); }
//! fn consumer(inp: Receiver<u32>) -> u32 { inp.iter().sum() }
//! let c = Chan::new(0);
//! let t = std::thread::spawn({ let tx = c.sender(); move || producer(tx) });
//! assert_eq!(consumer(c.receiver()), 6);
//! t.join().unwrap();
//! ```
//!
//! # Async
//!
//! [`Chan::send_async`] and [`Chan::recv_async`] work in any executor (they
//! only use the task's waker). Dropping a pending future withdraws it; a
//! value already handed to a dropped receive goes back to the head of the
//! channel, ahead of everything buffered (if the buffer is full, it waits
//! like a parked sender's value and is not counted by `len()`, which never
//! exceeds `cap()`). It comes back even if the channel was closed meanwhile,
//! and drains before receives report closed; but a receive that had already
//! seen the channel closed and drained before the value came back missed it
//! (Go cannot cancel a receive, so it has no such window).
//!
//! User code that panics — a [`Park`](gocore::park::Park) given to
//! [`Chan::send_with`]/[`Chan::recv_with`], or a task's waker in `clone`,
//! `wake` or `drop` — leaves the channel consistent: the waiter is withdrawn,
//! an unsent value is dropped exactly once, and a value already received
//! goes back to the channel. A `Park` that returns spuriously is harmless.
//!
//! ```
//! let c = gochan::Chan::new(0);
//! let tx = c.clone();
//! let t = std::thread::spawn(move || gocore::park::block_on(tx.send_async(5)).unwrap());
//! assert_eq!(gocore::park::block_on(c.recv_async()), Some(5));
//! t.join().unwrap();
//! ```
//!
//! # Async select
//!
//! [`select_async!`] is [`select!`] for async code: the same arms, the same
//! semantics, but a select that must wait parks the *task* on the
//! channels' queues (one entry per case, woken through the task's waker)
//! instead of blocking the thread, so it works in any executor — a
//! goroutine-like task that selects never holds a worker thread.
//! [`Select::select_async`] does the same for a case list built at run
//! time. Dropping a waiting select withdraws all of its cases and loses no
//! value; while it waits, it reports Go's wait reason (`select`) to the
//! executor through [`gocore::wait`], as the channel futures report
//! `chan receive`/`chan send`.
//!
//! ```
//! use gochan::{select_async, Chan};
//!
//! let (jobs, stop) = (Chan::new(0), Chan::<()>::new(0));
//! let worker = {
//!     let (jobs, stop) = (jobs.receiver(), stop.receiver());
//!     std::thread::spawn(move || {
//!         gocore::park::block_on(async {
//!             let mut done = 0;
//!             loop {
//!                 select_async! {
//!                     recv(jobs) -> j => done += j.unwrap(),
//!                     recv(stop) => return done,
//!                 }
//!             }
//!         })
//!     })
//! };
//! gocore::park::block_on(async {
//!     for j in 1..=3 {
//!         jobs.send_async(j).await.unwrap();
//!     }
//! });
//! stop.close()?;
//! assert_eq!(worker.join().unwrap(), 6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With the `futures-core` feature, `Chan::stream`, `Receiver::stream`
//! and the owning `into_stream` give a `futures_core::Stream` of the
//! received values (`RecvStream`): Go's `for v := range c` for async code,
//! ending once the channel is closed and drained.
//!
//! # Patterns
//!
//! **Worker pool**: jobs in, results out.
//!
//! ```
//! use gochan::Chan;
//! let (jobs, results) = (Chan::new(100), Chan::new(100));
//! let workers: Vec<_> = (0..3).map(|_| {
//!     let (jobs, results) = (jobs.receiver(), results.sender());
//!     std::thread::spawn(move || for j in &jobs { results.send(j * 2).unwrap(); })
//! }).collect();
//! for j in 1..=9 { jobs.send(j)?; }
//! jobs.close()?;
//! for w in workers { w.join().unwrap(); }
//! results.close()?;
//! assert_eq!(results.iter().sum::<i32>(), 90);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Fan-in**: merge several channels with `select!` until all are closed
//! (a closed input is switched off by replacing it with the nil channel).
//!
//! ```
//! use gochan::{select, Chan};
//! let (mut a, mut b) = (Chan::new(3), Chan::new(3));
//! for i in 0..3 { a.send(i)?; b.send(10 + i)?; }
//! a.close()?; b.close()?;
//! let mut sum = 0;
//! while !(a.is_nil() && b.is_nil()) {
//!     select! {
//!         recv(a) -> v => match v { Some(v) => sum += v, None => a = Chan::nil() },
//!         recv(b) -> v => match v { Some(v) => sum += v, None => b = Chan::nil() },
//!     }
//! }
//! assert_eq!(sum, 36);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Fan-out**: several receivers share one channel; each value goes to exactly one.
//!
//! ```
//! use gochan::Chan;
//! let work = Chan::new(0);
//! let hs: Vec<_> = (0..4).map(|_| { let w = work.receiver(); std::thread::spawn(move || w.iter().count()) }).collect();
//! for i in 0..100 { work.send(i)?; }
//! work.close()?;
//! assert_eq!(hs.into_iter().map(|h| h.join().unwrap()).sum::<usize>(), 100);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Closing with N senders**: senders never close the data channel; the
//! receiver closes a *signal* channel, which every sender selects on.
//!
//! ```
//! use gochan::{select, Chan};
//! let (data, stop) = (Chan::new(0), Chan::<()>::new(0));
//! let senders: Vec<_> = (0..3).map(|id| {
//!     let (data, stop) = (data.clone(), stop.receiver());
//!     std::thread::spawn(move || loop {
//!         select! {
//!             send(data, id) => {},
//!             recv(stop) -> _ => return,
//!         }
//!     })
//! }).collect();
//! for _ in 0..10 { data.recv().unwrap(); }
//! stop.close()?; // wakes every sender
//! for s in senders { s.join().unwrap(); }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Timeouts**: `recv_timeout`, or a `default(timeout)` arm.
//!
//! ```
//! use std::time::Duration;
//! use gochan::{select, Chan};
//! let c = Chan::<i32>::new(0);
//! let timed_out = select! {
//!     recv(c) -> _ => false,
//!     default(Duration::from_millis(10)) => true,
//! };
//! assert!(timed_out);
//! assert!(c.recv_timeout(Duration::from_millis(1)).is_err());
//! ```
//!
//! # Cargo features
//!
//! - `std` (default): blocking `send`/`recv`/`select` on OS threads (parked
//!   through `gocore`'s cached per-thread parker, with bounded spinning
//!   first), `*_timeout`/`*_deadline`, iterators. Implies `alloc`.
//! - `alloc`: the channels themselves, `try_*`, async operations, and
//!   blocking through your own [`Park`](gocore::park::Park) with
//!   [`Chan::send_with`]/[`Chan::recv_with`] (the `no_std` path).
//! - `futures-core`: `RecvStream`, a `futures_core::Stream` for receiving
//!   (`Chan::stream`, `Receiver::stream`, `into_stream`). Adds the
//!   `futures-core` crate (no dependencies, `no_std`); implies `alloc`.
//! - `portable-atomic` (+ `portable-atomic-critical-section` or
//!   `portable-atomic-unsafe-assume-single-core`): forwarded to `gocore`, so
//!   the workspace builds on targets without compare-and-swap. The channels
//!   themselves share their state through `alloc::sync::Arc`, which needs
//!   native pointer-sized atomics: on such targets (thumbv6m) the crate
//!   compiles but exports no channel types.
//!
//! # Go correspondence
//!
//! The design essays are published in [`design`]: [`design::hchan`] (the
//! ring buffer, queues and hand-off, Go's `hchan`/`sudog`),
//! [`design::blocking`] (parking), [`design::future`] (async),
//! [`design::select`] (`selectgo`, blocking and async), [`design::counter`] (handle counts for
//! close-on-drop, which Go does not have), [`design::stream`] (`Stream`). An empty
//! channel is one allocation of `size_of::<Hchan<T>>()` plus `Arc`'s two
//! counters: 136 bytes on 64-bit targets, where Go's `hchan` is 96; see
//! [`EMPTY_CHAN_BYTES`], and the field-by-field account of the difference
//! under "Tuning" in [`design::hchan`].
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

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

/// Applies "channels are available" (alloc + compare-and-swap) to each item.
macro_rules! with_chan {
    ($($item:item)*) => {
        $(
            #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
            $item
        )*
    };
}

with_chan! {
    mod blocking;
    mod chan;
    mod counter;
    mod err;
    mod future;
    mod hchan;
    mod select;
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod select_macro;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use self::counter::Mode;

#[cfg(all(feature = "futures-core", target_has_atomic = "ptr"))]
mod stream;

#[cfg(all(feature = "futures-core", target_has_atomic = "ptr"))]
pub use self::stream::RecvStream;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use self::{
    chan::{CanRecv, CanSend, Chan, Receiver, Sender, Snapshot, TryIter},
    err::{
        CloseError, MakeChanError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError,
        TrySendError,
    },
    future::{RecvFuture, SendFuture},
    select::{Select, SelectAsync},
};

#[cfg(all(feature = "std", target_has_atomic = "ptr"))]
pub use self::chan::{IntoIter, Iter};

/// The bytes one empty channel of `usize` occupies on the heap: the `Hchan`
/// plus `Arc`'s strong and weak counters (the ring buffer of a buffered
/// channel is a second allocation of `cap * size_of::<T>()`): 136 on 64-bit
/// targets. Go's `hchan` is 96 bytes on amd64; the 40 more buy reference
/// counting, close-on-drop, cancellable receives and race-free lock-free
/// fast paths, as "Tuning" in [`design::hchan`] accounts for word by word.
///
/// # Examples
///
/// ```
/// // Go: 96 bytes on 64-bit targets, 52 on 32-bit ones.
/// assert!(gochan::EMPTY_CHAN_BYTES >= 12 * core::mem::size_of::<usize>());
/// ```
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub const EMPTY_CHAN_BYTES: usize =
    core::mem::size_of::<hchan::Hchan<usize>>() + 2 * core::mem::size_of::<usize>();

/// Implementation details used by the [`select!`] macro's expansion.
#[doc(hidden)]
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub mod __private {
    pub use crate::hchan::SelCtx;
    pub use crate::select::{run, select_no_cases, Case, Cases, RecvCase, SelectFuture, SendCase};

    #[cfg(feature = "std")]
    pub use crate::select::run_deadline;

    /// Coerces a case to a trait object for the engine.
    pub fn as_case<'a, 'b, C: Case<'a>>(c: &'b mut C) -> &'b mut (dyn Case<'a> + 'b) {
        c
    }

    /// `select! {}`: blocks forever (Go's `select {}`).
    pub fn block_forever() -> ! {
        let cases: &mut [&mut dyn Case<'_>] = &mut [];
        let _ = run(cases, false);
        unreachable!("select {{}} returned")
    }

    /// `now + timeout`, saturating.
    #[cfg(feature = "std")]
    pub fn deadline_after(timeout: core::time::Duration) -> std::time::Instant {
        let now = std::time::Instant::now();
        now.checked_add(timeout)
            .unwrap_or(now + core::time::Duration::from_secs(86_400 * 365 * 30))
    }
}

/// How the channels work inside: the design essays that open the crate's
/// modules, one page each, in the style of Go's `runtime/chan.go` comments.
///
/// These pages are documentation only (the modules they describe are
/// private); the numbered invariants they state are the ones the source's
/// `// SAFETY:` comments cite.
pub mod design {
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/hchan.md"))]
    pub mod hchan {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/select.md"))]
    pub mod select {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/blocking.md"))]
    pub mod blocking {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/future.md"))]
    pub mod future {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/counter.md"))]
    pub mod counter {}
    #[doc = include_str!(concat!(env!("OUT_DIR"), "/design/stream.md"))]
    pub mod stream {}
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
