//! `WaitGroup::go` when the operating system cannot create the thread.
//!
//! Go's `go` statement cannot fail, so `wg.Add(1); go func() { defer
//! wg.Done(); f() }()` always ends in a `Done`. Here the spawn can fail
//! (resource limits): `go` then panics as `std::thread::spawn` does, and must
//! take its `add(1)` back first, or every later `wait` would block for ever.
//!
//! A spawn is made to fail by asking for a default stack of seven eighths
//! of the address space (`RUST_MIN_STACK`, which std reads once, at the
//! first spawn; 64- and 32-bit targets alike refuse it): hence a custom
//! `main` (`harness = false`), which sets it before any thread exists.

#[cfg(all(feature = "std", not(loom), not(miri)))]
fn main() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::Arc;

    // SAFETY: single-threaded: no other thread exists yet to read the
    // environment concurrently.
    unsafe { std::env::set_var("RUST_MIN_STACK", (usize::MAX / 8 * 7).to_string()) };
    let wg = Arc::new(gosync::WaitGroup::new());
    // Quiet while the expected panic unwinds; the checks below report.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(|| wg.go(|| panic!("f must not run"))));
    std::panic::set_hook(hook);
    match r {
        Err(e) => {
            let msg = match e.downcast::<String>() {
                Ok(s) => *s,
                Err(_) => String::new(),
            };
            assert!(msg.starts_with("failed to spawn thread"), "{msg}");
            assert_eq!(wg.counter(), 0, "the failed go took its add back");
            assert_eq!(Arc::strong_count(&wg), 1, "the unrun closure was dropped");
            wg.wait(); // returns at once instead of waiting for ever
            println!("go_spawn_failure: ok");
        }
        // The platform granted the stack after all: nothing to check.
        Ok(h) => {
            let _ = h.join();
            wg.wait();
            println!("go_spawn_failure: spawn succeeded, skipped");
        }
    }
}

#[cfg(not(all(feature = "std", not(loom), not(miri))))]
fn main() {}
