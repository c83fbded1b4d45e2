//! Go's channel timers: [`after`], [`tick`], [`Timer`] and [`Ticker`],
//! delivering on `gochan` channels so they mix with other channels in `select!`.
//!
//! # What
//!
//! Each timer is one entry in a [`Timers`] heap (see the heap module) whose
//! action does a non-blocking send of the current time on a channel with one
//! buffer slot, exactly as Go's `sendTime` does: a slow receiver misses ticks
//! instead of blocking the timer thread.
//!
//! # Invariants
//!
//! - I1. Every value here owns its heap entry through a [`TimerHandle`]; when
//!   the value is dropped the entry is stopped and released at once (its
//!   empty slot goes lazily, `heap` I5). So
//!   `select! { recv(after(d)) ... }` in a loop leaves nothing behind when
//!   another case wins: the `After` is dropped at the end of the `select`.
//! - I2. The channel has capacity 1 and is never closed (Go never closes a
//!   timer's channel): a receiver that outlives the timer simply never gets
//!   another value.
//!
//! # Go correspondence
//!
//! Go 1.19 `src/time/sleep.go` and `tick.go`: `time.After` → [`after`];
//! `time.Tick` → [`tick`]; `time.NewTimer` → [`Timer::new`]; `Timer.Stop`,
//! `Timer.Reset` → [`Timer::stop`], [`Timer::reset`]; `time.NewTicker` →
//! [`Ticker::new`]; `sendTime` → the action built in `chan_action`.
//!
//! # Divergences
//!
//! - Go 1.19's `time.After` keeps its timer (and channel) until it fires even
//!   if nobody waits any more; ours is stopped and released when dropped (I1).
//! - `tick` returns a [`Ticker`] rather than a bare channel, so it too stops
//!   when dropped (Go's `time.Tick` "leaks" by design).
//! - The value sent is the service's clock reading: an [`Instant`] for the
//!   global service, a [`Duration`] for a service you create.

use alloc::sync::Arc;
use core::fmt;
use core::ops::Deref;
use core::time::Duration;

use gochan::{Chan, Receiver};

use crate::heap::{TimerHandle, Timers};

#[cfg(feature = "std")]
use std::time::Instant;

/// Builds Go's `sendTime`: a non-blocking send of the converted reading.
fn chan_action<T: Send + 'static>(
    c: &Chan<T>,
    conv: fn(Duration) -> T,
) -> impl Fn(Duration) + Send + Sync + 'static
where
    Chan<T>: Send + Sync,
{
    let c = c.clone();
    move |now| {
        // Go: "Non-blocking send of time on c."
        let _ = c.try_send(conv(now));
    }
}

fn reading(d: Duration) -> Duration {
    d
}

/// A one-shot timer channel: Go's `<-time.After(d)`, which leaves the timer
/// heap when dropped.
///
/// Dereferences to its [`Receiver`], so it can be used wherever a receiver
/// can: `recv`, `recv_async`, `select!`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let a = gocontext::after(Duration::from_millis(1));
/// assert!(a.recv().is_some()); // the time it fired
/// ```
#[must_use = "dropping the After stops its timer"]
pub struct After<T = DefaultTime> {
    rx: Receiver<T>,
    timer: TimerHandle,
}

/// The value timers of the global service send: [`std::time::Instant`] with
/// `std`, else a clock reading.
#[cfg(feature = "std")]
pub type DefaultTime = Instant;
/// The value timers of the global service send: [`std::time::Instant`] with
/// `std`, else a clock reading.
#[cfg(not(feature = "std"))]
pub type DefaultTime = Duration;

impl<T> After<T> {
    /// The channel the time arrives on.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = gocontext::after(std::time::Duration::ZERO);
    /// assert!(a.receiver().recv().is_some());
    /// ```
    pub fn receiver(&self) -> &Receiver<T> {
        &self.rx
    }

    /// Stops the timer; `true` if it had not fired yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = gocontext::after(std::time::Duration::from_secs(60));
    /// assert!(a.stop());
    /// ```
    pub fn stop(&self) -> bool {
        self.timer.stop()
    }
}

impl<T> Deref for After<T> {
    type Target = Receiver<T>;
    fn deref(&self) -> &Receiver<T> {
        &self.rx
    }
}

impl<T> fmt::Debug for After<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("After").field("timer", &self.timer).finish()
    }
}

/// A timer that sends the time once on its channel: Go's `*time.Timer`.
///
/// Dropping it stops it (the entry is released at once).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gocontext::Timer;
/// let t = Timer::new(Duration::from_secs(60));
/// assert!(t.stop()); // stopped before it fired
/// assert!(!t.reset(Duration::from_millis(1))); // re-armed; it was not active
/// assert!(t.c().recv().is_some());
/// ```
#[doc(alias = "time.Timer")]
#[must_use = "dropping a Timer stops it"]
pub struct Timer<T = DefaultTime> {
    rx: Receiver<T>,
    timer: TimerHandle,
}

impl<T> Timer<T> {
    /// The channel the time arrives on. Go: `t.C`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gocontext::Timer::new(std::time::Duration::ZERO);
    /// assert!(t.c().recv().is_some());
    /// ```
    #[doc(alias = "C")]
    pub fn c(&self) -> &Receiver<T> {
        &self.rx
    }

    /// Stops the timer; `true` if this call stopped it, `false` if it had
    /// already fired or been stopped. Go: `t.Stop()`.
    ///
    /// As in Go, a value already sent stays in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gocontext::Timer::new(std::time::Duration::from_secs(9));
    /// assert!(t.stop());
    /// assert!(!t.stop());
    /// ```
    pub fn stop(&self) -> bool {
        self.timer.stop()
    }

    /// Re-arms the timer to fire `d` from now; returns whether it was still
    /// armed. Go: `t.Reset(d)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = gocontext::Timer::new(Duration::from_secs(9));
    /// assert!(t.reset(Duration::from_millis(1)));
    /// assert!(t.c().recv().is_some());
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        self.timer.reset(d)
    }
}

impl<T> Deref for Timer<T> {
    type Target = Receiver<T>;
    fn deref(&self) -> &Receiver<T> {
        &self.rx
    }
}

impl<T> fmt::Debug for Timer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").field("timer", &self.timer).finish()
    }
}

/// A timer that sends the time every period: Go's `*time.Ticker`.
///
/// A slow receiver misses ticks (the channel holds one). Dropping it stops it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let t = gocontext::Ticker::new(Duration::from_millis(1));
/// let a = t.c().recv().unwrap();
/// let b = t.c().recv().unwrap();
/// assert!(b > a);
/// t.stop();
/// ```
#[doc(alias = "time.Ticker")]
#[must_use = "dropping a Ticker stops it"]
pub struct Ticker<T = DefaultTime> {
    rx: Receiver<T>,
    timer: Option<TimerHandle>,
}

impl<T> Ticker<T> {
    /// The channel the ticks arrive on. Go: `t.C`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gocontext::Ticker::new(std::time::Duration::from_millis(1));
    /// assert!(t.c().recv().is_some());
    /// ```
    #[doc(alias = "C")]
    pub fn c(&self) -> &Receiver<T> {
        &self.rx
    }

    /// Stops the ticker; no more ticks are sent. Go: `t.Stop()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gocontext::Ticker::new(std::time::Duration::from_secs(1));
    /// t.stop();
    /// assert!(t.c().recv_timeout(std::time::Duration::from_millis(5)).is_err());
    /// ```
    pub fn stop(&self) {
        if let Some(t) = &self.timer {
            t.stop();
        }
    }

    /// Stops the ticker and restarts it with period `d`. Go: `t.Reset(d)`.
    ///
    /// # Panics
    ///
    /// If `d` is zero: "non-positive interval for Ticker.Reset" (Go's message).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = gocontext::Ticker::new(Duration::from_secs(3600));
    /// t.reset(Duration::from_millis(1));
    /// assert!(t.c().recv().is_some());
    /// ```
    pub fn reset(&self, d: Duration) {
        if d.is_zero() {
            panic!("non-positive interval for Ticker.Reset");
        }
        match &self.timer {
            Some(t) => {
                t.reset_periodic(d);
            }
            None => panic!("time: Reset called on uninitialized Ticker"),
        }
    }
}

impl<T> Deref for Ticker<T> {
    type Target = Receiver<T>;
    fn deref(&self) -> &Receiver<T> {
        &self.rx
    }
}

impl<T> fmt::Debug for Ticker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticker")
            .field("timer", &self.timer)
            .finish()
    }
}

impl Timers {
    fn chan_timer<T: Send + 'static>(
        self: &Arc<Self>,
        d: Duration,
        period: Duration,
        conv: fn(Duration) -> T,
    ) -> (Receiver<T>, TimerHandle)
    where
        Chan<T>: Send + Sync,
    {
        let c = Chan::new(1);
        let when = self.now().saturating_add(d);
        let h = self.arm(when, period, chan_action(&c, conv));
        (c.receiver(), h)
    }

    /// [`after`] on this service: the channel receives the clock reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let clock = ManualClock::new();
    /// let timers = Timers::new(clock.clone());
    /// let a = timers.after(Duration::from_secs(2));
    /// clock.advance(Duration::from_secs(2));
    /// timers.fire_due();
    /// assert_eq!(a.try_recv(), Ok(Duration::from_secs(2)));
    /// ```
    pub fn after(self: &Arc<Self>, d: Duration) -> After<Duration> {
        let (rx, timer) = self.chan_timer(d, Duration::ZERO, reading);
        After { rx, timer }
    }

    /// [`Timer::new`] on this service: the channel receives the clock reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let timers = Timers::new(ManualClock::new());
    /// let t = timers.timer(Duration::from_secs(1));
    /// assert!(t.stop());
    /// assert!(timers.is_empty());
    /// ```
    pub fn timer(self: &Arc<Self>, d: Duration) -> Timer<Duration> {
        let (rx, timer) = self.chan_timer(d, Duration::ZERO, reading);
        Timer { rx, timer }
    }

    /// [`Ticker::new`] on this service: the channel receives clock readings.
    ///
    /// # Panics
    ///
    /// If `period` is zero: "non-positive interval for NewTicker".
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use gocontext::{ManualClock, Timers};
    /// let clock = ManualClock::new();
    /// let timers = Timers::new(clock.clone());
    /// let t = timers.ticker(Duration::from_secs(1));
    /// clock.advance(Duration::from_secs(1));
    /// timers.fire_due();
    /// assert_eq!(t.try_recv(), Ok(Duration::from_secs(1)));
    /// ```
    pub fn ticker(self: &Arc<Self>, period: Duration) -> Ticker<Duration> {
        if period.is_zero() {
            panic!("non-positive interval for NewTicker");
        }
        let (rx, timer) = self.chan_timer(period, period, reading);
        Ticker {
            rx,
            timer: Some(timer),
        }
    }
}

#[cfg(feature = "std")]
mod std_timers {
    use super::*;

    fn instant(d: Duration) -> Instant {
        Timers::global_instant(d)
    }

    /// A channel that receives the time once, `d` from now: Go's `time.After(d)`.
    ///
    /// Unlike Go 1.19's, dropping the returned [`After`] (for example when
    /// another case of a `select!` wins) takes its timer out of the heap at
    /// once, so a `select` loop with a timeout leaves nothing behind.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use gocontext::{after, Timers};
    /// let before = Timers::global().len();
    /// for _ in 0..1000 {
    ///     let timeout = after(Duration::from_secs(3600));
    ///     assert!(timeout.try_recv().is_err()); // "another case won"
    /// } // each `timeout` is dropped here
    /// assert!(Timers::global().len() <= before);
    /// ```
    #[doc(alias = "time.After")]
    pub fn after(d: Duration) -> After<Instant> {
        let (rx, timer) = Timers::global().chan_timer(d, Duration::ZERO, instant);
        After { rx, timer }
    }

    /// A channel that receives the time every `d`: Go's `time.Tick(d)`.
    ///
    /// As in Go, a zero period gives a nil channel (never ready). Dropping the
    /// returned [`Ticker`] stops it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = gocontext::tick(Duration::from_millis(1));
    /// assert!(t.recv().is_some());
    /// assert!(gocontext::tick(Duration::ZERO).is_nil());
    /// ```
    #[doc(alias = "time.Tick")]
    pub fn tick(d: Duration) -> Ticker<Instant> {
        if d.is_zero() {
            return Ticker {
                rx: Chan::nil().receiver(),
                timer: None,
            };
        }
        Ticker::new(d)
    }

    impl Timer<Instant> {
        /// A timer that sends the time on its channel once, `d` from now.
        /// Go: `time.NewTimer(d)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let t = gocontext::Timer::new(std::time::Duration::from_millis(1));
        /// assert!(t.c().recv().is_some());
        /// ```
        pub fn new(d: Duration) -> Self {
            let (rx, timer) = Timers::global().chan_timer(d, Duration::ZERO, instant);
            Timer { rx, timer }
        }
    }

    impl Ticker<Instant> {
        /// A ticker sending the time every `d`. Go: `time.NewTicker(d)`.
        ///
        /// # Panics
        ///
        /// If `d` is zero: "non-positive interval for NewTicker" (Go's message).
        ///
        /// # Examples
        ///
        /// ```
        /// let t = gocontext::Ticker::new(std::time::Duration::from_millis(1));
        /// assert!(t.c().recv().is_some());
        /// ```
        pub fn new(d: Duration) -> Self {
            if d.is_zero() {
                panic!("non-positive interval for NewTicker");
            }
            let (rx, timer) = Timers::global().chan_timer(d, d, instant);
            Ticker {
                rx,
                timer: Some(timer),
            }
        }
    }
}

#[cfg(feature = "std")]
pub use std_timers::{after, tick};
