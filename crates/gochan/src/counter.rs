//! Handle counts and the opt-in close-on-drop mode ([`Mode::CloseOnDrop`]).
//!
//! # What
//!
//! Go never closes a channel by itself: when every goroutine that could send
//! is gone, a receiver blocks for ever (the runtime may report a deadlock,
//! never an end of stream). That is [`Mode::Go`], the default, and costs
//! nothing. [`Mode::CloseOnDrop`] is the Rust-style alternative: each channel
//! counts its *sending-capable* handles ([`Chan`](crate::Chan) and
//! [`Sender`](crate::Sender)) and its *receiving-capable* handles (`Chan` and
//! [`Receiver`](crate::Receiver)); a `Chan` counts once in each.
//!
//! - The last sending-capable handle dropped closes the channel, with Go's
//!   close semantics: buffered values still drain, then receives report closed.
//! - The last receiving-capable handle dropped closes it too, so parked and
//!   later senders get their value back in an error instead of waiting for a
//!   receiver that can no longer exist; values still buffered are dropped
//!   then, since nobody can receive them any more.
//!
//! # Layout
//!
//! ```text
//!  Hchan { ..., handles: Handles { senders: AtomicUsize, receivers: AtomicUsize } }
//!  Mode::Go:          senders = receivers = 0 for ever (never written after make)
//!  Mode::CloseOnDrop: senders = #Chan + #Sender, receivers = #Chan + #Receiver
//! ```
//!
//! # Invariants
//!
//! - H1. In close-on-drop mode every live handle contributes 1 to the count of
//!   each of its roles, so a handle always reads a count of at least 1 for its
//!   own roles; in Go mode both counts are 0 for ever. Hence "count is 0" as
//!   seen by a live handle means exactly "Go mode", and the relaxed load that
//!   decides whether to count at all is never stale in a way that matters
//!   (the handle's own increment, or the initial store, happens-before its use).
//! - H2. A count grows only by cloning or deriving a handle from a live handle
//!   that has that role, so once a count reaches 0 it stays 0, and the
//!   decrement that reaches 0 happens exactly once.
//! - H3. All of a dropped handle's decrements happen before any code that may
//!   run user code (closing wakes foreign wakers; draining drops values), and
//!   the handle's `Arc` is moved out first, so a panic there can neither
//!   repeat a decrement nor skip one.
//! - H4. The zero-reaching decrement closes the channel through
//!   `Hchan::close`, under the channel lock like any close; if the channel is
//!   already closed (an explicit `close`, or the other role's auto-close),
//!   that close is a no-op, never an error or a panic.
//!
//! # Go correspondence
//!
//! None: Go's channels are garbage collected and never close themselves.
//! crossbeam-channel and `std::sync::mpsc` disconnect on the last sender or
//! receiver; close-on-drop gives that behaviour with Go's close semantics.

use gocore::atomic::{AtomicU32, Ordering};

/// What dropping a channel's handles does.
///
/// [`Mode::Go`] is the default ([`Chan::new`](crate::Chan::new)); pick the
/// other with [`Chan::with_mode`](crate::Chan::with_mode).
///
/// # Examples
///
/// ```
/// use gochan::{Chan, Mode};
/// let c = Chan::with_mode(1, Mode::CloseOnDrop);
/// let tx = c.sender();
/// let rx = c.receiver();
/// drop(c);
/// tx.send(1)?;
/// drop(tx); // the last handle that can send: the channel closes
/// assert_eq!(rx.recv(), Some(1)); // buffered values still drain
/// assert_eq!(rx.recv(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Go's behaviour: dropping handles never closes the channel. A receiver
    /// whose senders are all gone blocks for ever (until a timeout), a sender
    /// whose receivers are all gone blocks for ever on a full channel.
    #[default]
    Go,
    /// Dropping the last handle that can send ([`Chan`](crate::Chan) or
    /// [`Sender`](crate::Sender)) closes the channel: buffered values still
    /// drain, then receivers see closed. Dropping the last handle that can
    /// receive ([`Chan`](crate::Chan) or [`Receiver`](crate::Receiver))
    /// closes it as well: senders get their value back in an error, and
    /// values still buffered are dropped.
    CloseOnDrop,
}

/// A handle's roles: can send.
pub(crate) const SEND: u8 = 1;
/// A handle's roles: can receive.
pub(crate) const RECV: u8 = 2;
/// A [`Chan`](crate::Chan)'s roles.
pub(crate) const BOTH: u8 = SEND | RECV;

/// The two handle counts of a channel (see the module docs).
///
/// The counts are 32-bit so that both fit in the padding after the channel's
/// one-byte lock and flags (a channel in Go mode pays 8 bytes for them, not
/// 16). A count never exceeds [`MAX_HANDLES`]: past it, making one more
/// handle panics and counts nothing (`Arc` aborts past its own limit). Only
/// a loop of `mem::forget` can get there (2^31 handles of 8 bytes each).
pub(crate) struct Handles {
    senders: AtomicU32,
    receivers: AtomicU32,
}

/// The most handles of one role a close-on-drop channel counts (`Arc`'s own
/// limit on 32-bit targets).
const MAX_HANDLES: u32 = i32::MAX as u32;

impl Handles {
    /// Go mode: both counts 0, never written again.
    pub(crate) fn new() -> Self {
        Handles {
            senders: AtomicU32::new(0),
            receivers: AtomicU32::new(0),
        }
    }

    /// Switches a freshly made channel to close-on-drop: one `Chan`, which
    /// counts in both roles. Called before the channel is shared, so the
    /// stores happen-before every other handle's use (H1).
    pub(crate) fn start_counting(&self) {
        self.senders.store(1, Ordering::Relaxed);
        self.receivers.store(1, Ordering::Relaxed);
    }

    /// The channel's mode, as seen from a live handle (H1: in close-on-drop
    /// mode at least one of its roles' counts is nonzero).
    pub(crate) fn mode(&self) -> Mode {
        if self.senders.load(Ordering::Relaxed) != 0 || self.receivers.load(Ordering::Relaxed) != 0
        {
            Mode::CloseOnDrop
        } else {
            Mode::Go
        }
    }

    fn count(&self, role: u8) -> &AtomicU32 {
        if role == SEND {
            &self.senders
        } else {
            &self.receivers
        }
    }

    /// A new handle with `roles` is derived from a live handle that has them
    /// all (H2).
    pub(crate) fn acquire(&self, roles: u8) {
        let mut counted = 0;
        for role in [SEND, RECV] {
            if roles & role == 0 {
                continue;
            }
            let n = self.count(role);
            // H1: nonzero exactly in close-on-drop mode. Relaxed, as for
            // `Arc::clone`: a new reference is made from an existing one.
            if n.load(Ordering::Relaxed) == 0 {
                continue;
            }
            if n.fetch_add(1, Ordering::Relaxed) >= MAX_HANDLES {
                // Undo every increment of this call before panicking, so
                // the counts stay exact (H1) and the channel can still close.
                n.fetch_sub(1, Ordering::Relaxed);
                if counted != 0 {
                    self.count(counted).fetch_sub(1, Ordering::Relaxed);
                }
                panic!("gochan: too many handles on one channel");
            }
            counted = role;
        }
    }

    /// A handle with `roles` gives them up. Returns the roles whose count
    /// reached 0 (at most once per role, H2); the caller then closes the
    /// channel (H4). Every decrement is done before returning (H3).
    #[must_use]
    pub(crate) fn release(&self, roles: u8) -> u8 {
        let mut gone = 0;
        for role in [SEND, RECV] {
            if roles & role == 0 {
                continue;
            }
            let n = self.count(role);
            // AcqRel, as `Arc::drop`: everything a handle did before it was
            // dropped happens-before the close its last sibling triggers.
            if n.load(Ordering::Relaxed) != 0 && n.fetch_sub(1, Ordering::AcqRel) == 1 {
                gone |= role;
            }
        }
        gone
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn go_mode_never_counts() {
        let h = Handles::new();
        h.acquire(BOTH);
        assert_eq!(h.release(BOTH), 0);
        assert_eq!(h.release(SEND), 0);
        assert_eq!(h.mode(), Mode::Go);
    }

    #[test]
    fn each_role_reaches_zero_once() {
        let h = Handles::new();
        h.start_counting();
        assert_eq!(h.mode(), Mode::CloseOnDrop);
        h.acquire(SEND); // chan.sender()
        h.acquire(RECV); // chan.receiver()
        assert_eq!(h.release(BOTH), 0); // drop the Chan
        assert_eq!(h.release(SEND), SEND); // the last sender
        assert_eq!(h.mode(), Mode::CloseOnDrop); // the receiver still counts
        assert_eq!(h.release(RECV), RECV);
        // Both zero now: nothing more is counted (H2).
        assert_eq!(h.release(BOTH), 0);
    }

    #[test]
    #[cfg(feature = "std")]
    fn too_many_handles_panics_and_counts_nothing() {
        let h = Handles::new();
        h.start_counting();
        h.receivers.store(MAX_HANDLES, Ordering::Relaxed);
        let r = std::panic::catch_unwind(|| h.acquire(BOTH));
        assert!(r.is_err());
        // The sender increment made before the receiver count overflowed
        // was undone: both counts are as they were.
        assert_eq!(h.senders.load(Ordering::Relaxed), 1);
        assert_eq!(h.receivers.load(Ordering::Relaxed), MAX_HANDLES);
        h.acquire(SEND); // the other role still counts
        assert_eq!(h.senders.load(Ordering::Relaxed), 2);
    }
}
