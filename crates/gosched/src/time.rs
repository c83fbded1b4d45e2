//! Sleeping, tickers and timeouts on the per-P timer heaps.
//!
//! A [`Sleep`] registers one timer on the heap of the P that first polls it
//! (Go: a timer lives on the P that created it), with the task's waker. The
//! scheduler fires it in `checkTimers` at the top of a scheduling round, a
//! thief fires it in its last steal pass, and an idle M sleeps until it (a
//! timer that becomes its P's earliest wakes one to sleep until it, as Go's
//! `wakeNetPoller`, since its own P may stay in a long poll).
//! Dropping a pending `Sleep` only marks its entry deleted (lazy deletion,
//! see [`crate::timers`]). A fired timer wakes its task with Go's `ready`,
//! so the task lands in the firing P's `runnext`.

use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use gocore::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::runtime::{expect_shared, lock, with_ctx, Shared};
use crate::timers::TimerValue;

/// One registered timer (Go's `timer`), shared by its heap and its `Sleep`.
pub(crate) struct TimerEntry {
    deleted: AtomicBool,
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl TimerValue for Arc<TimerEntry> {
    fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }
}

impl TimerEntry {
    /// Runs the timer: wakes its task (outside every lock).
    pub(crate) fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        let w = lock(&self.waker).take();
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Sleep {
    deadline: Instant,
    registered: Option<Registered>,
}

#[derive(Debug)]
struct Registered {
    shared: Arc<Shared>,
    p: usize,
    entry: Arc<TimerEntry>,
}

impl core::fmt::Debug for TimerEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TimerEntry")
            .field("fired", &self.fired.load(Ordering::Relaxed))
            .finish()
    }
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Shared")
            .field("procs", &self.ps.len())
            .finish()
    }
}

/// Waits until `duration` has passed (Go's `time.Sleep`). The task parks
/// with wait reason "sleep"; it resumes at or after the deadline, never
/// before.
///
/// # Panics
///
/// When polled outside a gosched runtime.
///
/// ```
/// use std::time::{Duration, Instant};
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let start = Instant::now();
/// rt.block_on(gosched::sleep(Duration::from_millis(5))).unwrap();
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(instant_after(Instant::now(), duration))
}

/// `from + d`, or close to the farthest instant the clock can show when
/// that is out of its range: a duration too long to add (such as
/// `Duration::MAX`) waits for ever instead of panicking, as Go's timers
/// saturate at their largest `when`.
pub(crate) fn instant_after(from: Instant, mut d: Duration) -> Instant {
    loop {
        if let Some(t) = from.checked_add(d) {
            return t;
        }
        d /= 2;
    }
}

/// Waits until `deadline` (Go: `time.Sleep(time.Until(deadline))`).
///
/// # Panics
///
/// When polled outside a gosched runtime.
///
/// ```
/// use std::time::{Duration, Instant};
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let deadline = Instant::now() + Duration::from_millis(2);
/// rt.block_on(gosched::sleep_until(deadline)).unwrap();
/// assert!(Instant::now() >= deadline);
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        registered: None,
    }
}

impl Sleep {
    /// The instant this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    fn unregister(&mut self) {
        if let Some(r) = self.registered.take() {
            if !r.entry.fired.load(Ordering::Acquire) {
                r.entry.deleted.store(true, Ordering::Release);
                lock(&r.shared.ps[r.p].timers).note_deleted();
            }
            let w = lock(&r.entry.waker).take();
            drop(w);
        }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            self.unregister();
            return Poll::Ready(());
        }
        gocore::wait::set(gocore::wait::WaitReason::Sleep);
        if let Some(r) = &self.registered {
            if !r.entry.fired.load(Ordering::Acquire) {
                let mut w = lock(&r.entry.waker);
                if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *w = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            // Fired yet early by our clock reading: register again.
            self.registered = None;
        }
        let shared = expect_shared("sleep");
        let (p, local) = with_ctx(|c| c.and_then(|c| c.p.get())).map_or((0, false), |p| (p, true));
        // Nanoseconds since the runtime started; beyond 584 years, the
        // largest `when` (never, in practice) rather than a wrapped one.
        let since_start = self.deadline.saturating_duration_since(shared.start);
        let when = u64::try_from(since_start.as_nanos()).unwrap_or(u64::MAX);
        let entry = Arc::new(TimerEntry {
            deleted: AtomicBool::new(false),
            fired: AtomicBool::new(false),
            waker: Mutex::new(Some(cx.waker().clone())),
        });
        let prev = {
            let pp = &shared.ps[p];
            let mut heap = lock(&pp.timers);
            heap.push(when, entry.clone());
            pp.timer0_when.fetch_min(when, Ordering::AcqRel)
        };
        if !local {
            // Registered from a thread holding no P: make sure some M sleeps
            // no later than this timer (Go: wakeNetPoller).
            shared.kick_timer_sleeper();
        } else {
            // Go: addtimer's `wakeNetPoller(when)`: the P may stay busy.
            shared.timer_added(when, prev);
        }
        self.registered = Some(Registered { shared, p, entry });
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// A ticker: [`Interval::tick`] completes every `period` (Go's
/// `time.Ticker`). A late tick skips the periods it missed, as Go's
/// periodic timers do: the next deadline is `when + period * (1 +
/// lateness / period)`.
///
/// ```
/// use std::time::Duration;
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// rt.block_on(async {
///     let mut t = gosched::interval(Duration::from_millis(1));
///     let a = t.tick().await;
///     let b = t.tick().await;
///     assert!(b >= a + Duration::from_millis(1));
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    next: Instant,
}

/// A ticker whose first tick is one `period` from now (Go's
/// `time.NewTicker(period)`).
///
/// # Panics
///
/// If `period` is zero (Go: "non-positive interval for NewTicker").
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "gosched: non-positive interval for interval"
    );
    Interval {
        period,
        next: instant_after(Instant::now(), period),
    }
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due.
    pub async fn tick(&mut self) -> Instant {
        sleep_until(self.next).await;
        let due = self.next;
        let now = Instant::now();
        let late = now.saturating_duration_since(due).as_nanos();
        let period = self.period.as_nanos().max(1);
        let skip = 1 + late / period;
        let step = u64::try_from(period.saturating_mul(skip)).unwrap_or(u64::MAX);
        self.next = instant_after(due, Duration::from_nanos(step));
        due
    }

    /// The ticker's period.
    pub fn period(&self) -> Duration {
        self.period
    }
}

/// [`timeout`]'s error: the deadline passed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl core::fmt::Display for Elapsed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl core::error::Error for Elapsed {}

/// An [`std::io::ErrorKind::TimedOut`] error, as tokio converts its
/// `Elapsed` (and as Go's `os.ErrDeadlineExceeded` is a timeout), so `?`
/// works in a function returning `io::Result`.
///
/// ```
/// use std::time::Duration;
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let r: std::io::Result<()> = rt.block_on(async {
///     gosched::timeout(Duration::from_millis(1), std::future::pending::<()>()).await?;
///     Ok(())
/// })?;
/// assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// Runs `future` for at most `duration` (Go: `select` on the work and
/// `time.After`). The future is dropped when time runs out.
///
/// ```
/// use std::time::Duration;
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// let r = rt.block_on(gosched::timeout(Duration::from_millis(1), std::future::pending::<()>()));
/// assert_eq!(r.unwrap(), Err(gosched::Elapsed));
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: alloc::boxed::Box::pin(future),
        sleep: sleep(duration),
    }
}

/// The future returned by [`timeout`].
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: Pin<alloc::boxed::Box<F>>,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(v) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        let reason = gocore::wait::take();
        let slept = Pin::new(&mut self.sleep).poll(cx);
        // Report the inner future's reason (e.g. "chan receive"), not "sleep".
        if let Some(r) = reason {
            gocore::wait::set(r);
        }
        match slept {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> core::fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.sleep.deadline)
            .finish()
    }
}
