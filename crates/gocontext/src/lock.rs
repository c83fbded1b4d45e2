//! The lock guarding the cancellation tree and the timer heap: `gosync::Mutex`
//! (Go's `sync.Mutex`, which guards `cancelCtx.mu` in Go too).

pub(crate) type Lock<T> = gosync::Mutex<T>;
