//! A goroutine-leak check for tests, in the spirit of uber-go/goleak.
//!
//! goleak's `VerifyNone(t)` fails a test when goroutines other than the
//! expected ones are still alive at its end, retrying for a while first
//! because goroutines may be about to exit. [`check`] does the same for the
//! tasks of one [`Runtime`]: it waits up to [`DEFAULT_WAIT`] for the count
//! of live spawned tasks to reach zero, and otherwise returns the
//! [`TaskDump`] of the survivors.

use core::fmt;
use core::time::Duration;
use std::time::Instant;

use crate::stats::TaskDump;
use crate::Runtime;

/// How long [`check`] waits for tasks to finish (goleak's default retry
/// budget is of the same order).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// [`check`]'s error: tasks still alive, with their dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakError {
    /// The tasks still alive.
    pub dump: TaskDump,
}

impl fmt::Display for LeakError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "found unexpected tasks ({} alive):",
            self.dump.tasks.len()
        )?;
        write!(f, "{}", self.dump)
    }
}

impl core::error::Error for LeakError {}

/// Waits up to [`DEFAULT_WAIT`] for every spawned task of `rt` to finish.
///
/// # Errors
///
/// [`LeakError`] listing the tasks still alive.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// rt.block_on(async { gosched::spawn(async {}).await.unwrap() }).unwrap();
/// gosched::leak::check(&rt).unwrap();
///
/// let h = rt.spawn(std::future::pending::<()>());
/// let err = gosched::leak::check_within(&rt, std::time::Duration::from_millis(10)).unwrap_err();
/// assert_eq!(err.dump.tasks.len(), 1);
/// h.abort();
/// ```
pub fn check(rt: &Runtime) -> Result<(), LeakError> {
    check_within(rt, DEFAULT_WAIT)
}

/// [`check`] with a chosen wait.
///
/// # Errors
///
/// [`LeakError`] listing the tasks still alive after `wait`.
pub fn check_within(rt: &Runtime, wait: Duration) -> Result<(), LeakError> {
    let deadline = crate::time::instant_after(Instant::now(), wait);
    let mut pause = Duration::from_micros(100);
    loop {
        let dump = rt.dump();
        if dump.tasks.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(LeakError { dump });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Panics with the dump when [`check`] fails (goleak's `VerifyNone`).
///
/// # Panics
///
/// When tasks are still alive after [`DEFAULT_WAIT`].
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// gosched::leak::verify_none(&rt);
/// ```
#[track_caller]
pub fn verify_none(rt: &Runtime) {
    if let Err(e) = check(rt) {
        panic!("{e}");
    }
}
