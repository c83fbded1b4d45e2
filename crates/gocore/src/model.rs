//! The loom model runner every crate's `tests/loom_*.rs` shares.
//!
//! Exists only under `--cfg loom`. Models of gort's primitives need more
//! branches than loom's default: gocore's `SpinLock` retries and
//! `ThreadPark` yields to the model checker until its token is set, and
//! each retry or yield is a branch. [`check`] raises the branch limit and
//! leaves everything else to loom, so the preemption bound still comes from
//! `LOOM_MAX_PREEMPTIONS` (CI sets 2).
//!
//! ```ignore
//! // crates/<crate>/tests/loom_x.rs, run with RUSTFLAGS="--cfg loom"
//! #![cfg(loom)]
//! use gocore::model::check as model;
//!
//! #[test]
//! fn two_threads() {
//!     model(|| { /* loom::thread::spawn(...) ... */ });
//! }
//! ```

/// Branches a model of a gort primitive may take (loom's default: 1,000).
const MAX_BRANCHES: usize = 100_000;

/// Runs `f` under loom's model checker with [`MAX_BRANCHES`].
pub fn check<F: Fn() + Sync + Send + 'static>(f: F) {
    let mut b = loom::model::Builder::new();
    b.max_branches = MAX_BRANCHES;
    b.check(f);
}
