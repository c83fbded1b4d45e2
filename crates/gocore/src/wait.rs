//! Wait reasons: why a task is parked, for an executor's task dump.
//!
//! Go records in every parked goroutine *why* it waits (`g.waitreason`,
//! set by `gopark`), and its goroutine dump prints it: `goroutine 7 [chan
//! receive]:`. A Rust future that returns `Poll::Pending` has no such field,
//! so this module carries the reason from the future to the executor that
//! polled it, through a per-thread slot:
//!
//! ```text
//!   executor                         future (gochan, gocontext, a timer)
//!   ────────                         ──────
//!   wait::take()   (clear the slot)
//!   fut.poll(cx) ──────────────────▶ … about to return Pending
//!                                    wait::set(WaitReason::ChanReceive)
//!   wait::take() ◀── Pending ──────
//!   → Some(ChanReceive): record it in the task's state
//! ```
//!
//! The slot is a hint, never a correctness signal: a future that does not
//! call [`set`] leaves it empty, and an executor that never calls [`take`]
//! simply ignores it. Without `std` there are no thread-locals; [`set`] does
//! nothing and [`take`] answers `None`.

use core::fmt;

/// Why a task waits, with the text Go's goroutine dump prints
/// (`runtime.waitReasonStrings` in Go 1.19).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitReason {
    /// Receiving from a channel: `chan receive`.
    ChanReceive,
    /// Sending on a channel: `chan send`.
    ChanSend,
    /// Receiving from a nil channel: `chan receive (nil chan)`.
    ChanReceiveNilChan,
    /// Sending on a nil channel: `chan send (nil chan)`.
    ChanSendNilChan,
    /// Blocked in a `select`: `select`.
    Select,
    /// A `select` with no cases: `select (no cases)`.
    SelectNoCases,
    /// Sleeping on a timer: `sleep`.
    Sleep,
    /// Waiting for a socket to become ready: `IO wait`.
    IoWait,
    /// Waiting on a semaphore (mutex, WaitGroup): `semacquire`.
    Semacquire,
    /// Waiting in `Cond.Wait`: `sync.Cond.Wait`.
    SyncCondWait,
    /// Preempted at the end of its time slice: `preempted`.
    Preempted,
}

impl WaitReason {
    /// Go's text for this reason, as printed in a goroutine dump.
    ///
    /// ```
    /// use gocore::wait::WaitReason;
    /// assert_eq!(WaitReason::ChanReceive.as_str(), "chan receive");
    /// assert_eq!(WaitReason::IoWait.as_str(), "IO wait");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::ChanReceiveNilChan => "chan receive (nil chan)",
            WaitReason::ChanSendNilChan => "chan send (nil chan)",
            WaitReason::Select => "select",
            WaitReason::SelectNoCases => "select (no cases)",
            WaitReason::Sleep => "sleep",
            WaitReason::IoWait => "IO wait",
            WaitReason::Semacquire => "semacquire",
            WaitReason::SyncCondWait => "sync.Cond.Wait",
            WaitReason::Preempted => "preempted",
        }
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "std")]
std::thread_local! {
    static SLOT: core::cell::Cell<Option<WaitReason>> = const { core::cell::Cell::new(None) };
}

/// Records why the future being polled on this thread is about to return
/// `Poll::Pending`. Later calls overwrite earlier ones; the last reason set
/// before the poll returns wins.
///
/// ```
/// use gocore::wait::{self, WaitReason};
/// wait::set(WaitReason::Sleep);
/// # #[cfg(feature = "std")]
/// assert_eq!(wait::take(), Some(WaitReason::Sleep));
/// ```
#[inline]
pub fn set(reason: WaitReason) {
    #[cfg(feature = "std")]
    {
        // During thread teardown the slot may be gone; the hint is then lost.
        let _ = SLOT.try_with(|s| s.set(Some(reason)));
    }
    #[cfg(not(feature = "std"))]
    let _ = reason;
}

/// Takes the reason recorded on this thread since the last `take`, leaving
/// the slot empty. An executor calls it before a poll (to clear a stale
/// reason) and after a poll that returned `Poll::Pending`.
#[inline]
pub fn take() -> Option<WaitReason> {
    #[cfg(feature = "std")]
    {
        SLOT.try_with(|s| s.take()).ok().flatten()
    }
    #[cfg(not(feature = "std"))]
    None
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn set_then_take_empties_the_slot() {
        assert_eq!(take(), None);
        set(WaitReason::ChanSend);
        set(WaitReason::Select);
        assert_eq!(take(), Some(WaitReason::Select));
        assert_eq!(take(), None);
    }

    #[test]
    fn slots_are_per_thread() {
        set(WaitReason::Sleep);
        let other = std::thread::spawn(take).join().unwrap();
        assert_eq!(other, None);
        assert_eq!(take(), Some(WaitReason::Sleep));
    }

    #[test]
    fn texts_match_go() {
        assert_eq!(
            WaitReason::ChanReceiveNilChan.to_string(),
            "chan receive (nil chan)"
        );
        assert_eq!(WaitReason::SelectNoCases.as_str(), "select (no cases)");
        assert_eq!(WaitReason::Semacquire.as_str(), "semacquire");
    }
}
