//! Blocking sections: [`blocking`] (Go's `entersyscallblock`/`exitsyscall`)
//! and [`spawn_blocking`] (a separate pool of threads).
//!
//! ```text
//!   blocking(f) on M1 holding P0:
//!     entersyscallblock:  P0 ──handoffp──▶ M2 (if P0 has work, or nobody spins)
//!     f() runs on M1, no P
//!     exitsyscall:        M1 takes P0 back if idle, else any idle P,
//!                         else finishes its poll without a P and parks;
//!                         the task, if woken, goes through the global queue
//! ```

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::time::Duration;
use gocore::atomic::Ordering;
use std::sync::{Condvar, Mutex};

use crate::runtime::{expect_shared, lock, with_ctx, CtxGuard, Shared, P_RUNNING, P_SCHED};
use crate::stats::Event;
use crate::task::{JoinHandle, JoinInner, JoinRef};

/// How long an idle pool thread waits for a job before exiting.
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Most pool threads at once (further jobs queue).
const MAX_POOL_THREADS: usize = 512;

type Job = Box<dyn FnOnce() + Send>;

/// The `spawn_blocking` pool: a job queue and threads started on demand.
pub(crate) struct Pool {
    state: Mutex<PoolState>,
    cv: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    idle: usize,
    threads: usize,
    shutdown: bool,
}

impl Pool {
    pub(crate) fn new() -> Pool {
        Pool {
            state: Mutex::new(PoolState {
                jobs: VecDeque::new(),
                idle: 0,
                threads: 0,
                shutdown: false,
            }),
            cv: Condvar::new(),
        }
    }

    pub(crate) fn shutdown(&self) {
        let jobs = {
            let mut s = lock(&self.state);
            s.shutdown = true;
            core::mem::take(&mut s.jobs)
        };
        self.cv.notify_all();
        // Unstarted jobs are dropped: their handles report cancellation
        // (see `Unrun`), waking their awaiting wakers, whose panic must not
        // cut the runtime's teardown short.
        for job in jobs {
            drop_job(job);
        }
    }
}

/// Drops a job that will never run, catching a panic of the waker its
/// handle's cancellation wakes.
fn drop_job(job: Job) {
    let _ = std::panic::catch_unwind(core::panic::AssertUnwindSafe(move || drop(job)));
}

/// A job's result slot until the job starts: a job dropped without running
/// (the runtime shut down first, or was already down when it was
/// submitted) completes its handle as cancelled, instead of leaving it to
/// wait for ever.
struct Unrun<R>(Option<Arc<JoinInner<R>>>);

impl<R> Drop for Unrun<R> {
    fn drop(&mut self) {
        if let Some(inner) = self.0.take() {
            inner.complete_cancelled();
        }
    }
}

/// A job's count in `nblocking`, released when the job is dropped: after it
/// ran, or unrun (so a job that never runs does not keep `block_on` from
/// finding a deadlock).
struct JobGuard(alloc::sync::Arc<Shared>);
impl Drop for JobGuard {
    fn drop(&mut self) {
        if self.0.nblocking.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.notify_m0s();
        }
    }
}

fn submit(shared: &alloc::sync::Arc<Shared>, job: Job) {
    let pool = &shared.blocking_pool;
    let mut s = lock(&pool.state);
    if s.shutdown {
        drop(s);
        drop_job(job);
        return;
    }
    s.jobs.push_back(job);
    if s.idle > 0 {
        drop(s);
        pool.cv.notify_one();
        return;
    }
    if s.threads >= MAX_POOL_THREADS {
        return;
    }
    s.threads += 1;
    drop(s);
    let weak = alloc::sync::Arc::downgrade(shared);
    let spawned = spawn_pool_thread(weak);
    if spawned.is_err() {
        let mut s = lock(&pool.state);
        s.threads -= 1;
        // No pool thread exists to run the queued jobs (one that exists,
        // or is being started by another submit, counts in `threads`):
        // drop them, so their handles report cancellation instead of
        // waiting for ever (tokio panics here).
        let orphans = if s.threads == 0 {
            core::mem::take(&mut s.jobs)
        } else {
            VecDeque::new()
        };
        drop(s);
        for job in orphans {
            drop_job(job);
        }
    }
}

/// Starts a pool thread.
fn spawn_pool_thread(shared: alloc::sync::Weak<Shared>) -> std::io::Result<()> {
    #[cfg(test)]
    if tests::FAIL_SPAWNS.load(Ordering::SeqCst) {
        return Err(std::io::Error::other("spawn refused by the test"));
    }
    std::thread::Builder::new()
        .name("gosched-blocking".into())
        .spawn(move || pool_thread(shared))
        .map(drop)
}

fn pool_thread(shared: alloc::sync::Weak<Shared>) {
    loop {
        let Some(sh) = shared.upgrade() else { return };
        let pool = &sh.blocking_pool;
        let mut s = lock(&pool.state);
        let job = loop {
            if let Some(j) = s.jobs.pop_front() {
                break Some(j);
            }
            if s.shutdown {
                break None;
            }
            s.idle += 1;
            let (g, res) = pool
                .cv
                .wait_timeout(s, KEEP_ALIVE)
                .unwrap_or_else(|e| e.into_inner());
            s = g;
            s.idle -= 1;
            if res.timed_out() && s.jobs.is_empty() {
                break None;
            }
        };
        let Some(job) = job else {
            s.threads -= 1;
            return;
        };
        drop(s);
        drop(sh);
        // The job catches its closure's panic; this catches one from a
        // foreign waker it wakes, so the pool's thread count stays right.
        let _ = std::panic::catch_unwind(core::panic::AssertUnwindSafe(job));
    }
}

/// Runs the blocking function `f` on the blocking pool and returns a handle
/// to await its result (Go has no twin: a goroutine would just call it, and
/// the runtime would hand its P off).
///
/// Unlike [`blocking`], the calling task does not wait: it may do other work
/// and await the handle later. A panic in `f` is reported through the
/// handle. [`JoinHandle::abort`] cancels the job if it has not started; so
/// does the runtime's shutdown (the closure is dropped unrun and the
/// handle reports [`JoinError::is_cancelled`](crate::JoinError::is_cancelled)).
/// Inside the job, [`spawn`](crate::spawn) and [`go`](crate::go) work (the
/// new tasks go through the global queue).
///
/// # Panics
///
/// When called outside a gosched runtime.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let v = rt.block_on(async {
///     gosched::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(1)))
///         .await
///         .unwrap();
///     gosched::spawn_blocking(|| 6 * 7).await.unwrap()
/// });
/// assert_eq!(v, Ok(42));
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let shared = expect_shared("spawn_blocking");
    let join = Arc::new(JoinInner::new(false));
    let unrun = Unrun(Some(join.clone()));
    shared.nblocking.fetch_add(1, Ordering::AcqRel);
    let done = JobGuard(shared.clone());
    let job: Job = Box::new(move || {
        let sh = &done.0;
        let Some(inner) = { unrun }.0.take() else {
            return;
        };
        if inner.aborted.load(Ordering::Acquire) {
            inner.complete_cancelled();
            return;
        }
        // The job runs in the runtime's context without a P: `spawn`, `go`
        // and `sleep` work there (their tasks go through the global queue).
        let ctx = CtxGuard::enter_job(sh.clone());
        let result = std::panic::catch_unwind(core::panic::AssertUnwindSafe(f));
        drop(ctx);
        match result {
            Ok(v) => inner.complete(Ok(v)),
            Err(p) => inner.complete_panic(p),
        }
    });
    submit(&shared, job);
    JoinHandle {
        inner: JoinRef::Shared(join),
        task: None,
        taken: false,
    }
}

/// Runs `f`, which may block its thread, after handing this worker's P to
/// another M (Go's `entersyscallblock`), so the tasks queued on the P keep
/// running. Afterwards the worker takes back its old P if it is idle, else
/// any idle P; if none is idle, the rest of the current poll runs without a
/// P and the worker parks after it (Go's `exitsyscall`). Outside a worker,
/// just calls `f`.
///
/// ```
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let v = rt.block_on(async {
///     let queued = gosched::spawn(async { 1 }); // keeps running meanwhile
///     let slow = gosched::blocking(|| {
///         std::thread::sleep(std::time::Duration::from_millis(5));
///         2
///     });
///     queued.await.unwrap() + slow
/// });
/// assert_eq!(v, Ok(3));
/// ```
pub fn blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    let entered = with_ctx(|c| {
        let c = c?;
        if !c.in_poll.get() {
            return None;
        }
        let shared = c.shared.clone();
        let p = c.p.get();
        c.p.set(None);
        Some((shared, p))
    });
    let Some((shared, old_p)) = entered else {
        return f();
    };
    shared.nblocking.fetch_add(1, Ordering::AcqRel);
    if let Some(p) = old_p {
        // Take the P out of P_RUNNING (R2): if sysmon took it first, it has
        // already handed it off.
        if shared.ps[p]
            .status
            .compare_exchange(P_RUNNING, P_SCHED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            shared.record(|| Event::EnterBlocking { p });
            shared.handoffp(p);
        }
    }
    struct Exit<'a> {
        shared: &'a Shared,
        old_p: Option<usize>,
    }
    impl Drop for Exit<'_> {
        fn drop(&mut self) {
            self.shared.nblocking.fetch_sub(1, Ordering::AcqRel);
            let p = self.shared.exit_blocking(self.old_p);
            with_ctx(|c| {
                if let Some(c) = c {
                    c.p.set(p);
                }
            });
        }
    }
    let _exit = Exit {
        shared: &shared,
        old_p,
    };
    f()
}

impl Shared {
    /// Go: `exitsyscall`'s search for a P: the old one if idle, else any
    /// idle P. The P returned is in P_RUNNING (the poll goes on).
    fn exit_blocking(&self, old_p: Option<usize>) -> Option<usize> {
        let mut s = lock(&self.sched);
        let pos = old_p
            .and_then(|o| s.idle_ps.iter().position(|&x| x == o))
            .or_else(|| s.idle_ps.len().checked_sub(1))?;
        let p = s.idle_ps.swap_remove(pos);
        self.npidle.fetch_sub(1, Ordering::SeqCst);
        self.idle_stop(p);
        // Go: `exitsyscallfast_pidle` wakes sysmon from its deep sleep.
        self.wake_sysmon();
        drop(s);
        self.ps[p].status.store(P_RUNNING, Ordering::Release);
        self.record(|| Event::ExitBlocking { p });
        Some(p)
    }
}

#[cfg(all(test, not(loom)))]
pub(crate) mod tests {
    use gocore::atomic::{AtomicBool, Ordering};

    /// Makes `spawn_pool_thread` fail, as the OS does when it cannot
    /// create a thread (no test in this binary besides the one below
    /// starts pool threads).
    pub(crate) static FAIL_SPAWNS: AtomicBool = AtomicBool::new(false);

    /// A job that no pool thread exists to run, and none can start for, is
    /// dropped unrun: its handle reports cancellation (it waited for ever),
    /// and its count in `nblocking` goes with it, so `block_on` still finds
    /// a deadlock once nothing else can run.
    #[test]
    #[cfg_attr(miri, ignore)] // a runtime's threads; the pool is plain std
    fn a_job_no_thread_can_run_is_cancelled() {
        let rt = crate::Runtime::builder().procs(1).build().unwrap();
        FAIL_SPAWNS.store(true, Ordering::SeqCst);
        let got = rt.block_on(async { crate::spawn_blocking(|| 7).await });
        FAIL_SPAWNS.store(false, Ordering::SeqCst);
        let err = got.unwrap().unwrap_err();
        assert!(err.is_cancelled(), "{err}");
        assert!(rt.block_on(core::future::pending::<()>()).is_err());
        // Threads start again: the pool works.
        let got = rt.block_on(async { crate::spawn_blocking(|| 7).await });
        assert_eq!(got.unwrap().unwrap(), 7);
    }
}
