//! The raw locks: Go's state machines over bare atomics, with no data attached.
//!
//! [`RawMutex`] is Go's `sync.Mutex` (state word + semaphore, 8 bytes) and
//! [`RawRwLock`] is Go's `sync.RWMutex`. The safe wrappers in
//! [`crate::Mutex`] and [`crate::RwLock`] attach a value and guards; with the
//! `lock_api` feature both also implement `lock_api`'s raw traits, so
//! `lock_api::Mutex<gosync::RawMutex, T>` works too.

pub(crate) mod mutex;
pub(crate) mod rwmutex;
mod spin;

pub use mutex::{MutexState, RawMutex};
pub use rwmutex::RawRwLock;
