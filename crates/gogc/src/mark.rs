//! Grey objects and marking (Go: `mgcwork.go`, `mgcmark.go`).
//!
//! # Colours
//!
//! As in Go there is no grey bit. An object is
//!
//! - **white** while its mark bit is clear;
//! - **grey** once its mark bit is set and it sits in a work buffer, waiting
//!   to be scanned;
//! - **black** once it is marked and scanned (or marked and pointer-free:
//!   such objects are never queued, they go straight to black).
//!
//! *Shading* (Go's `greyobject`) sets the mark bit and, if the bit was clear
//! and the object has pointers, queues it. Scanning (Go's `scanobject`) pops
//! a grey object and shades every pointer it holds.
//!
//! # Work buffers
//!
//! Grey objects wait in 2 KiB [`WorkBuf`]s (Go's `workbuf`, `_WorkbufSize`):
//! a count and an array of object addresses. [`GcWork`] is Go's per-P
//! `gcWork`: two buffers the owner pushes to and pops from without touching
//! shared state, and — behind them — the global lists of full and empty
//! buffers (`work.full`, `work.empty`). When both local buffers are full a
//! full one moves to the global list; when both are empty one is taken from
//! it. With one marker the global list is a `Vec`; the concurrent workers of
//! the next issue turn it into Go's lock-free stack and steal from it.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ptr::NonNull;

use crate::span::Header;

/// Go's `_WorkbufSize`.
pub(crate) const WORKBUF_BYTES: usize = 2048;

/// Object slots per buffer: what fits in 2 KiB after the count.
pub(crate) const WORKBUF_OBJS: usize =
    (WORKBUF_BYTES - core::mem::size_of::<usize>()) / core::mem::size_of::<usize>();

/// A 2 KiB buffer of grey objects (Go's `workbuf`).
#[repr(C)]
pub(crate) struct WorkBuf {
    nobj: usize,
    obj: [*const Header; WORKBUF_OBJS],
}

const _: () = assert!(core::mem::size_of::<WorkBuf>() == WORKBUF_BYTES);

impl WorkBuf {
    fn new() -> Box<WorkBuf> {
        Box::new(WorkBuf {
            nobj: 0,
            obj: [core::ptr::null(); WORKBUF_OBJS],
        })
    }

    fn is_full(&self) -> bool {
        self.nobj == WORKBUF_OBJS
    }

    fn objects(&self) -> &[*const Header] {
        &self.obj[..self.nobj]
    }
}

/// The marker's grey-object queue (Go's `gcWork` plus the global lists).
///
/// The lists hold `Box`es on purpose: a 2 KiB buffer moves between them by
/// pointer, as Go's `workbuf`s do, never by copying.
#[allow(clippy::vec_box)]
pub(crate) struct GcWork {
    /// Go's `wbuf1`: pushes and pops go here first.
    wbuf1: Box<WorkBuf>,
    /// Go's `wbuf2`: swapped in when `wbuf1` fills or empties.
    wbuf2: Box<WorkBuf>,
    /// Go's `work.full`.
    full: Vec<Box<WorkBuf>>,
    /// Go's `work.empty`.
    empty: Vec<Box<WorkBuf>>,
}

impl GcWork {
    pub(crate) fn new() -> GcWork {
        GcWork {
            wbuf1: WorkBuf::new(),
            wbuf2: WorkBuf::new(),
            full: Vec::new(),
            empty: Vec::new(),
        }
    }

    /// Go's `gcWork.put`.
    pub(crate) fn put(&mut self, object: NonNull<Header>) {
        if self.wbuf1.is_full() {
            core::mem::swap(&mut self.wbuf1, &mut self.wbuf2);
            if self.wbuf1.is_full() {
                let fresh = self.empty.pop().unwrap_or_else(WorkBuf::new);
                let full = core::mem::replace(&mut self.wbuf1, fresh);
                self.full.push(full);
            }
        }
        let buf = &mut self.wbuf1;
        buf.obj[buf.nobj] = object.as_ptr();
        buf.nobj += 1;
    }

    /// Go's `gcWork.tryGet`.
    pub(crate) fn try_get(&mut self) -> Option<NonNull<Header>> {
        if self.wbuf1.nobj == 0 {
            core::mem::swap(&mut self.wbuf1, &mut self.wbuf2);
            if self.wbuf1.nobj == 0 {
                let full = self.full.pop()?;
                let drained = core::mem::replace(&mut self.wbuf1, full);
                self.empty.push(drained);
            }
        }
        let buf = &mut self.wbuf1;
        buf.nobj -= 1;
        NonNull::new(buf.obj[buf.nobj].cast_mut())
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.wbuf1.nobj == 0 && self.wbuf2.nobj == 0 && self.full.is_empty()
    }

    /// Every queued object (for the checker).
    pub(crate) fn iter(&self) -> impl Iterator<Item = *const Header> + '_ {
        self.wbuf1
            .objects()
            .iter()
            .chain(self.wbuf2.objects())
            .chain(self.full.iter().flat_map(|buf| buf.objects()))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_buffers_are_2_kib_and_keep_every_object() {
        assert_eq!(core::mem::size_of::<WorkBuf>(), 2048);
        let mut work = GcWork::new();
        let mut backing = alloc::vec![0usize; 3 * WORKBUF_OBJS + 7];
        let headers: Vec<NonNull<Header>> = backing
            .iter_mut()
            .map(|word| NonNull::from(word).cast())
            .collect();
        for &h in &headers {
            work.put(h);
        }
        assert_eq!(work.iter().count(), headers.len());
        assert!(
            !work.full.is_empty(),
            "full buffers spill to the global list"
        );
        let mut popped = Vec::new();
        while let Some(h) = work.try_get() {
            popped.push(h);
        }
        assert!(work.is_empty());
        popped.sort();
        let mut expected = headers.clone();
        expected.sort();
        assert_eq!(popped, expected);
    }
}
