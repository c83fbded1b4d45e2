//! A P's timer heap: Go's 4-ary min-heap with lazy deletion.
//!
//! # What
//!
//! Each P keeps the timers created by tasks running on it (Go 1.19:
//! `p.timers`, `runtime/time.go`). The scheduler looks at the earliest one
//! at the top of every scheduling round (`checkTimers`) and runs those that
//! are due; an idle M sleeps until the earliest `when` over all Ps.
//!
//! # Layout
//!
//! ```text
//!                         [0]                      parent(i)   = (i-1)/4
//!         [1]        [2]        [3]        [4]     children(i) = 4i+1 ..= 4i+4
//!       [5..=8]   [9..=12]  [13..=16]  [17..=20]
//!
//!   Entry { when: u64, seq: u64, value: T }   ordered by (when, seq)
//! ```
//!
//! A 4-ary heap is shallower than a binary one (log4 n levels), so a push
//! or pop touches fewer cache lines; Go chose it for the same reason.
//!
//! # Invariants
//!
//! - I1. Heap order: `(when, seq)` of a parent ≤ that of each child.
//! - I2. `seq` increases with every push, so equal deadlines fire in the
//!   order they were added.
//! - I3. A stopped timer stays in the heap, marked deleted by its owner
//!   ([`TimerValue::is_deleted`]); [`note_deleted`](TimerHeap::note_deleted)
//!   counts it, and when deleted entries exceed a quarter of the heap the
//!   heap is rebuilt without them (Go's `clearDeletedTimers`, triggered when
//!   `deletedTimers > len(timers)/4`). So stopping is O(1) plus amortised
//!   cleanup.
//! - I4. Deleted entries reaching the top are dropped by [`peek_when`] and
//!   [`pop_due`] (Go's `runtimer` on `timerDeleted`).
//!
//! [`peek_when`]: TimerHeap::peek_when
//! [`pop_due`]: TimerHeap::pop_due
//!
//! # Go correspondence
//!
//! `siftupTimer` → `sift_up`, `siftdownTimer` → `sift_down`, `addtimer` →
//! [`TimerHeap::push`], `runtimer` → [`TimerHeap::pop_due`],
//! `clearDeletedTimers` → `clear_deleted`, `p.deletedTimers` →
//! `deleted`.
//!
//! # Divergences
//!
//! Go's timers carry a status machine (`timerWaiting`, `timerModifying`,
//! ...) because other Ps modify them in place. Here a timer is immutable
//! once pushed; resetting one is stopping it and pushing a new entry.
//! Periodic timers are re-pushed by their owner (see the executor's
//! `interval`), with Go's rule for late ticks in [`next_periodic`].

use alloc::vec::Vec;

/// The value stored with a deadline: it reports whether its timer was
/// stopped, so that the heap can skip it lazily.
pub trait TimerValue {
    /// Whether the timer was stopped after being pushed.
    fn is_deleted(&self) -> bool;
}

struct Entry<T> {
    when: u64,
    seq: u64,
    value: T,
}

impl<T> Entry<T> {
    fn key(&self) -> (u64, u64) {
        (self.when, self.seq)
    }
}

/// A 4-ary min-heap of `(when, value)` with lazy deletion.
///
/// # Examples
///
/// ```
/// use gosched::timers::{TimerHeap, TimerValue};
/// struct Flag(bool);
/// impl TimerValue for Flag {
///     fn is_deleted(&self) -> bool { self.0 }
/// }
/// let mut heap = TimerHeap::new();
/// heap.push(30, Flag(false));
/// heap.push(10, Flag(true)); // already stopped
/// heap.push(20, Flag(false));
/// assert_eq!(heap.peek_when(), Some(20)); // the stopped one is skipped
/// assert!(heap.pop_due(19).is_none()); // never before `when`
/// assert_eq!(heap.pop_due(25).map(|(w, _)| w), Some(20));
/// ```
pub struct TimerHeap<T> {
    entries: Vec<Entry<T>>,
    seq: u64,
    deleted: usize,
}

impl<T> Default for TimerHeap<T> {
    fn default() -> Self {
        TimerHeap {
            entries: Vec::new(),
            seq: 0,
            deleted: 0,
        }
    }
}

/// Go's rule for a late periodic timer (`runOneTimer`): the next deadline
/// after `when` skips every period already missed at `now`:
/// `when + period * (1 + (now - when) / period)`.
///
/// ```
/// use gosched::timers::next_periodic;
/// assert_eq!(next_periodic(100, 10, 100), 110); // on time
/// assert_eq!(next_periodic(100, 10, 135), 140); // 3 periods missed: skip them
/// ```
pub fn next_periodic(when: u64, period: u64, now: u64) -> u64 {
    let period = period.max(1);
    let late = now.saturating_sub(when);
    when.saturating_add(period.saturating_mul(1 + late / period))
}

impl<T: TimerValue> TimerHeap<T> {
    /// An empty heap.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries in the heap, deleted ones included until they are cleaned.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the heap holds no entry at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a timer due at `when`. Go: `addtimer` / `doaddtimer`.
    pub fn push(&mut self, when: u64, value: T) {
        self.seq += 1;
        self.entries.push(Entry {
            when,
            seq: self.seq,
            value,
        });
        self.sift_up(self.entries.len() - 1);
    }

    /// The earliest deadline of a live timer, dropping deleted entries found
    /// at the top.
    pub fn peek_when(&mut self) -> Option<u64> {
        while let Some(top) = self.entries.first() {
            if top.value.is_deleted() {
                drop(self.remove_top());
                self.deleted = self.deleted.saturating_sub(1);
                continue;
            }
            return Some(top.when);
        }
        None
    }

    /// Removes and returns the earliest live timer if it is due at `now`
    /// (`when <= now`). Go: `runtimer`.
    pub fn pop_due(&mut self, now: u64) -> Option<(u64, T)> {
        let when = self.peek_when()?;
        if when > now {
            return None;
        }
        let entry = self.remove_top();
        Some((entry.when, entry.value))
    }

    /// Records that one entry was marked deleted; cleans the heap when
    /// deleted entries exceed a quarter of it. Go: `deltimer` increments
    /// `deletedTimers`, `adjusttimers`/`clearDeletedTimers` sweep.
    pub fn note_deleted(&mut self) {
        self.deleted += 1;
        if self.deleted > self.entries.len() / 4 {
            self.clear_deleted();
        }
    }

    /// Go: `clearDeletedTimers`. Drops deleted entries and re-heapifies.
    fn clear_deleted(&mut self) {
        self.entries.retain(|e| !e.value.is_deleted());
        self.deleted = 0;
        // Bottom-up heapify: sift down every parent, last parent first.
        for i in (0..self.entries.len().div_ceil(4)).rev() {
            self.sift_down(i);
        }
    }

    fn remove_top(&mut self) -> Entry<T> {
        let last = self.entries.len() - 1;
        self.entries.swap(0, last);
        let top = self.entries.pop().expect("remove_top on a non-empty heap");
        if !self.entries.is_empty() {
            self.sift_down(0);
        }
        top
    }

    /// Go: `siftupTimer`.
    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.entries[i].key() >= self.entries[parent].key() {
                break;
            }
            self.entries.swap(i, parent);
            i = parent;
        }
    }

    /// Go: `siftdownTimer`.
    fn sift_down(&mut self, mut i: usize) {
        let n = self.entries.len();
        loop {
            let first = 4 * i + 1;
            if first >= n {
                return;
            }
            let smallest = (first..(first + 4).min(n))
                .min_by_key(|&c| self.entries[c].key())
                .expect("at least one child");
            if self.entries[smallest].key() >= self.entries[i].key() {
                return;
            }
            self.entries.swap(i, smallest);
            i = smallest;
        }
    }

    /// Removes every entry (live or deleted), for shutdown.
    pub fn take_all(&mut self) -> Vec<T> {
        self.deleted = 0;
        core::mem::take(&mut self.entries)
            .into_iter()
            .map(|e| e.value)
            .collect()
    }
}

impl<T> core::fmt::Debug for TimerHeap<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TimerHeap")
            .field("len", &self.entries.len())
            .field("deleted", &self.deleted)
            .finish()
    }
}
