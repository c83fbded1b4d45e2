//! Shared test helpers.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The message of the panic `f` raises (a test failure if it returns).
pub fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        panic!("non-string panic payload")
    }
}
