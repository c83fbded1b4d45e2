//! Go's `sync` package in Rust: [`Mutex`] with Go's starvation mode,
//! [`RwLock`] (Go's writer-preferring `RWMutex`), [`WaitGroup`] in Go 1.19's
//! 12 bytes, [`Once`] (plus Go 1.21's [`OnceValue`] and [`OnceFunc`]),
//! [`Cond`] (Go's ticket-based condition variable), [`Pool`] (Go's
//! `sync.Pool`, with `std`), [`atomic::Value`] (with `alloc`), [`SyncMap`]
//! (Go's `sync.Map`, with `std`), and the runtime semaphore they all sleep
//! on.
//!
//! Everything here follows Go 1.19's `src/sync` and `src/runtime/sema.go`
//! closely enough that Go's comments can be read beside the code.
//!
//! # A mutex that is fair when it has to be
//!
//! [`Mutex<T>`] is a lock around a value with RAII guards, like
//! `std::sync::Mutex`, but with Go's policy: newcomers may overtake a woken
//! waiter (fast), until a waiter has waited more than 1 ms; then the mutex
//! enters *starvation mode* and hands ownership to waiters in FIFO order.
//! There is no poisoning: a panic while locked simply unlocks.
//!
//! ```
//! use std::sync::Arc;
//! use gosync::Mutex;
//!
//! let m = Arc::new(Mutex::new(Vec::new()));
//! let hs: Vec<_> = (0..4)
//!     .map(|i| {
//!         let m = Arc::clone(&m);
//!         std::thread::spawn(move || m.lock().push(i))
//!     })
//!     .collect();
//! for h in hs {
//!     h.join().unwrap();
//! }
//! let mut v = m.lock().clone();
//! v.sort();
//! assert_eq!(v, [0, 1, 2, 3]);
//! // The raw state word, as Go's `m.state`:
//! assert_eq!(m.raw().state().word(), 0);
//! ```
//!
//! # Readers and writers
//!
//! [`RwLock<T>`] lets many readers in at once; once a writer waits, new
//! readers wait behind it.
//!
//! ```
//! let cfg = gosync::RwLock::new(String::from("v1"));
//! assert_eq!(*cfg.read(), "v1");
//! *cfg.write() = String::from("v2");
//! assert_eq!(*cfg.read(), "v2");
//! ```
//!
//! # Waiting for tasks
//!
//! ```
//! use std::sync::Arc;
//! use gosync::WaitGroup;
//!
//! let wg = Arc::new(WaitGroup::new());
//! let hs: Vec<_> = (0..3).map(|_| wg.go(|| { /* work */ })).collect();
//! wg.wait();
//! # for h in hs { h.join().unwrap(); }
//! assert_eq!(core::mem::size_of::<WaitGroup>(), 12);
//! ```
//!
//! # Once
//!
//! ```
//! use gosync::{once_value, Once, OnceValue};
//! static INIT: Once = Once::new();
//! INIT.call_once(|| println!("initialised"));
//! static ANSWER: OnceValue<u32> = OnceValue::new(|| 42);
//! assert_eq!(*ANSWER.get(), 42);
//! let config = once_value(|| String::from("loaded once")); // Go: sync.OnceValue(f)
//! assert_eq!(config.get(), "loaded once");
//! ```
//!
//! [`Once`] differs from `std::sync::Once` on panics: a panicking function
//! still counts as done (Go's behaviour), where std poisons.
//!
//! # Waiting for a condition
//!
//! [`Cond`] is Go's `sync.Cond` over a gosync [`Mutex`]: `wait` takes the
//! guard, sleeps, and gives the guard back; `signal` wakes the waiter that
//! has waited longest, `broadcast` wakes all.
//!
//! ```
//! use std::sync::Arc;
//! use gosync::{Cond, Mutex};
//!
//! let jobs = Arc::new((Mutex::new(Vec::<u32>::new()), Cond::new()));
//! let j = Arc::clone(&jobs);
//! let worker = std::thread::spawn(move || {
//!     let (queue, cond) = &*j;
//!     let mut q = cond.wait_while(queue.lock(), |q| q.is_empty());
//!     q.pop()
//! });
//! let (queue, cond) = &*jobs;
//! queue.lock().push(5);
//! cond.signal();
//! assert_eq!(worker.join().unwrap(), Some(5));
//! ```
//!
//! # Reusing values
//!
//! [`Pool`] is Go's `sync.Pool`: a cache of values that are expensive to
//! make, per-thread first, shared through a lock-free chain, with a victim
//! cache; [`Pool::clear_cycle`] stands in for the garbage collection that
//! ages it in Go.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! let buffers = gosync::Pool::new(|| Vec::<u8>::with_capacity(4096));
//! let mut b = buffers.get();
//! b.extend_from_slice(b"request");
//! b.clear();
//! buffers.put(b);
//! assert!(buffers.get().capacity() >= 4096); // the same buffer again
//! # }
//! ```
//!
//! # An atomically replaced value
//!
//! [`atomic::Value`] is Go's `sync/atomic.Value`: the first store fixes the
//! type, later stores of another type panic with Go's message.
//!
//! ```
//! let current = gosync::atomic::Value::new();
//! current.store(String::from("config v1"));
//! current.store(String::from("config v2"));
//! assert_eq!(current.load_as::<String>().unwrap().as_str(), "config v2");
//! ```
//!
//! # sync.Map
//!
//! [`SyncMap`] is Go's concurrent map for two workloads: keys written once and
//! read many times, and goroutines working on disjoint keys. Reads of stable
//! keys take no lock at all.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! let m = gosync::SyncMap::new();
//! m.store("a", 1);
//! assert_eq!(m.load(&"a"), Some(1));
//! assert_eq!(m.load_or_store("a", 2), (1, true));
//! let mut n = 0;
//! m.range(|_, _| { n += 1; true });
//! assert_eq!(n, 1);
//! # }
//! ```
//!
//! # Cargo features
//!
//! - `std` (default): threads park through `gocore::park::ThreadPark`;
//!   [`WaitGroup::go`]; the process clock for starvation mode; [`SyncMap`]
//!   and [`Pool`] (with their epoch-style memory reclamation). Implies `alloc`.
//! - `alloc`: [`OnceValue`] keeps the panic message of its function;
//!   [`atomic::Value`] (on targets with pointer-sized compare-and-swap).
//! - `serde`: `Serialize`/`Deserialize` for [`SyncMap`] (with `std`).
//! - `lock_api`: `lock_api::RawMutex` for [`RawMutex`] and
//!   `lock_api::RawRwLock` for [`RawRwLock`], so
//!   `lock_api::Mutex<gosync::RawMutex, T>` works.
//! - `portable-atomic` (+ `portable-atomic-critical-section` or
//!   `portable-atomic-unsafe-assume-single-core`): atomics from
//!   `portable-atomic`, for targets without compare-and-swap (thumbv6m).
//!
//! [`WaitGroup`] needs no feature on 32-bit targets without 64-bit atomics
//! (thumbv7em, riscv32imac): its 64-bit word then comes from
//! `portable-atomic`'s lock-based fallback automatically, as Go's 32-bit
//! ARM ports take a spinlock for 64-bit atomics.
//!
//! Without `std`, a blocked locker spins with back-off (there is no scheduler
//! to yield to), and there is no clock, so the mutex stays in normal mode
//! (see [`clock`]).
//!
//! # Divergences from Go
//!
//! Go's unrecoverable fatal errors ("sync: unlock of unlocked mutex", "sync:
//! RUnlock of unlocked RWMutex", "sync: Unlock of unlocked RWMutex") are
//! panics here, with the same messages; the lock's state is restored before
//! the panic. Guards make them unreachable from safe code.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub mod atomic;

pub mod clock;
mod external;

#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
mod cond;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
mod mutex;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
mod once;
#[cfg(feature = "std")]
mod pool;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub mod raw;
#[cfg(feature = "std")]
pub(crate) mod reclaim;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
mod rwmutex;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub mod sema;
#[cfg(feature = "std")]
mod sync_map;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
mod waitgroup;

#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub use cond::Cond;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub use mutex::{Mutex, MutexGuard};
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub use once::{once_func, once_value, once_values, Once, OnceFunc, OnceValue};
#[cfg(all(feature = "std", loom))]
pub use pool::loom_dequeue;
#[cfg(feature = "std")]
pub use pool::Pool;
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub use raw::{RawMutex, RawRwLock};
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub use rwmutex::{RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(feature = "std")]
pub use sync_map::{SyncMap, SyncMapStats};
#[cfg(any(target_has_atomic = "ptr", feature = "portable-atomic"))]
pub use waitgroup::{WaitGroup, WaitGroupWindow};

// WaitGroup needs no feature on targets without 64-bit atomics (the thumb
// builds of CI compile this line): see the waitgroup module's design comment.
#[cfg(all(
    any(target_has_atomic = "ptr", feature = "portable-atomic"),
    not(target_has_atomic = "64")
))]
const _: () = assert!(core::mem::size_of::<WaitGroup>() == 12);

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
