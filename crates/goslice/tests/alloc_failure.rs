//! Allocation failure on the fallible paths (`try_make`, `try_append`,
//! `try_append_vec`): an `Err`, never an abort, with Go's size limits at the
//! boundaries. A capped global allocator refuses large requests (and, on
//! demand, every request above a per-thread limit), so no test ever touches
//! huge memory and the results do not depend on the machine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use goslice::grow::MAX_ALLOC;
use goslice::{AppendError, MakeError, Slice};

/// Requests above this many bytes always fail (well below any real
/// machine's memory, well above what the tests need).
const HARD_CAP: usize = if cfg!(target_pointer_width = "64") {
    1 << 32
} else {
    1 << 30
};

thread_local! {
    /// Requests above this many bytes fail on this thread.
    static LIMIT: Cell<usize> = const { Cell::new(HARD_CAP) };
    /// The size of the last request refused on this thread.
    static REFUSED: Cell<usize> = const { Cell::new(0) };
}

struct Capped;

impl Capped {
    fn allowed(size: usize) -> bool {
        let limit = LIMIT.try_with(Cell::get).unwrap_or(HARD_CAP);
        if size > limit.min(HARD_CAP) {
            let _ = REFUSED.try_with(|r| r.set(size));
            false
        } else {
            true
        }
    }
}

// SAFETY: forwards to `System`, or returns null (which `GlobalAlloc`
// allows for any request).
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::allowed(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Self::allowed(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !Self::allowed(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Capped = Capped;

fn refused() -> usize {
    REFUSED.with(|r| r.replace(0))
}

/// Runs `f` with every allocation above `limit` bytes failing on this thread.
fn with_limit<R>(limit: usize, f: impl FnOnce() -> R) -> R {
    let old = LIMIT.with(|l| l.replace(limit));
    let r = f();
    LIMIT.with(|l| l.set(old));
    r
}

/// An element of 64 KiB (small enough for a stack frame that holds one).
#[cfg(target_pointer_width = "64")]
#[derive(Clone, Debug)]
struct Wide(#[allow(dead_code)] [u8; 1 << 16]);
#[cfg(target_pointer_width = "64")]
impl Default for Wide {
    fn default() -> Self {
        Wide([0; 1 << 16])
    }
}

/// An element of 2^40 bytes: only its size matters (no value is ever built).
#[cfg(target_pointer_width = "64")]
struct Tera(#[allow(dead_code)] [u8; 1 << 40]);
#[cfg(target_pointer_width = "64")]
impl Default for Tera {
    fn default() -> Self {
        unreachable!("no Tera is ever built: its array cannot be allocated")
    }
}
#[cfg(target_pointer_width = "64")]
impl Clone for Tera {
    fn clone(&self) -> Self {
        unreachable!("no Tera is ever built")
    }
}
#[cfg(target_pointer_width = "64")]
impl std::fmt::Debug for Tera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tera")
    }
}

fn assert_alloc_error(r: Result<Slice<impl Default>, MakeError>, bytes: usize) {
    match r {
        Err(MakeError::AllocError { layout }) => {
            assert!(
                layout.size() >= bytes,
                "layout {layout:?} for {bytes} bytes"
            );
            assert!(layout.size() - bytes <= 128, "header too big: {layout:?}");
            assert_eq!(refused(), layout.size(), "the allocator was asked once");
        }
        Err(e) => panic!("{bytes} bytes: expected AllocError, got {e:?}"),
        Ok(_) => panic!("{bytes} bytes: allocation succeeded"),
    }
}

#[cfg(target_pointer_width = "64")]
#[test]
fn try_make_at_go_max_alloc_boundary_bytes() {
    assert_eq!(MAX_ALLOC, 1 << 48);
    // 2^48 - 1 and 2^48 bytes pass Go's check (mem > maxAlloc is the
    // error); the allocation itself fails: Err, not an abort.
    assert_alloc_error(Slice::<u8>::try_make(0, MAX_ALLOC - 1), MAX_ALLOC - 1);
    assert_alloc_error(Slice::<u8>::try_make(0, MAX_ALLOC), MAX_ALLOC);
    assert_alloc_error(Slice::<u8>::try_make(MAX_ALLOC, MAX_ALLOC), MAX_ALLOC);
    // 2^48 + 1 bytes: Go's makeslice panics before allocating.
    assert_eq!(
        Slice::<u8>::try_make(0, MAX_ALLOC + 1).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        Slice::<u8>::try_make(MAX_ALLOC + 1, MAX_ALLOC + 1).unwrap_err(),
        MakeError::LenOutOfRange
    );
    // len fits, cap does not: cap out of range.
    assert_eq!(
        Slice::<u8>::try_make(MAX_ALLOC, MAX_ALLOC + 1).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        refused(),
        0,
        "out-of-range sizes must not reach the allocator"
    );
    // Same boundaries in u64 elements.
    assert_alloc_error(Slice::<u64>::try_make(0, MAX_ALLOC / 8), MAX_ALLOC);
    assert_eq!(
        Slice::<u64>::try_make(0, MAX_ALLOC / 8 + 1).unwrap_err(),
        MakeError::CapOutOfRange
    );
}

#[cfg(target_pointer_width = "64")]
#[test]
fn try_make_with_huge_elements() {
    // 64 KiB elements: 2^32 of them are exactly 2^48 bytes.
    assert_alloc_error(
        Slice::<Wide>::try_make(0, (1 << 32) - 1),
        MAX_ALLOC - (1 << 16),
    );
    assert_alloc_error(Slice::<Wide>::try_make(1, 1 << 32), MAX_ALLOC);
    assert_eq!(
        Slice::<Wide>::try_make(0, (1 << 32) + 1).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        Slice::<Wide>::try_make((1 << 32) + 1, (1 << 32) + 1).unwrap_err(),
        MakeError::LenOutOfRange
    );
    // 2^40-byte elements: 256 of them are 2^48 bytes; the checks reject
    // larger counts before anything is allocated (no value is ever built).
    assert_eq!(
        Slice::<Tera>::try_make(0, 257).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        Slice::<Tera>::try_make(257, 257).unwrap_err(),
        MakeError::LenOutOfRange
    );
    // Byte counts that overflow usize.
    assert_eq!(
        Slice::<Tera>::try_make(1 << 30, 1 << 30).unwrap_err(),
        MakeError::LenOutOfRange
    );
    assert_eq!(
        Slice::<Tera>::try_make(0, usize::MAX).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(refused(), 0);
}

#[cfg(target_pointer_width = "32")]
#[test]
fn try_make_beyond_isize_on_32_bit() {
    // 32-bit: Go's maxAlloc is 2^32 - 1, but a Rust allocation cannot
    // exceed isize::MAX bytes, so those sizes are out of range here.
    assert_eq!(MAX_ALLOC, u32::MAX as usize);
    assert_eq!(
        Slice::<u8>::try_make(0, isize::MAX as usize).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        Slice::<u8>::try_make(0, MAX_ALLOC).unwrap_err(),
        MakeError::CapOutOfRange
    );
    assert_eq!(
        Slice::<u8>::try_make(usize::MAX, usize::MAX).unwrap_err(),
        MakeError::LenOutOfRange
    );
}

#[test]
fn try_make_reports_a_refusing_allocator() {
    // Any size can fail: a limit of 100 bytes refuses a 1000-byte array.
    let r = with_limit(100, || Slice::<u64>::try_make(10, 125));
    assert_alloc_error(r, 1000);
    let e = with_limit(100, || Slice::<u64>::try_make(10, 125)).unwrap_err();
    assert!(e.to_string().starts_with("out of memory: cannot allocate "));
    refused();
    // The limit lifted, the same request works.
    let s = Slice::<u64>::try_make(10, 125).unwrap();
    assert_eq!((s.len(), s.cap()), (10, 125));
}

#[test]
fn try_append_reports_a_refusing_allocator() {
    use std::rc::Rc;
    let rc = Rc::new(());
    // Full slice: the next append must grow (to cap 8, plus the header).
    let s = Slice::from(vec![rc.clone(), rc.clone(), rc.clone(), rc.clone()]);
    assert_eq!(s.cap(), 4);
    // (16 bytes: enough for the one-element Vec `try_append` builds, too
    // little for the grown array.)
    let r = with_limit(16, || s.try_append(rc.clone()));
    match r {
        Err(AppendError::AllocError { layout }) => {
            assert!(layout.size() > 16);
            assert_eq!(refused(), layout.size());
        }
        other => panic!("expected AllocError, got {other:?}"),
    }
    // The value was dropped, the slice untouched.
    assert_eq!(Rc::strong_count(&rc), 5);
    assert_eq!(s.len(), 4);
    let e = with_limit(16, || s.try_append_vec(vec![rc.clone(), rc.clone()])).unwrap_err();
    assert!(matches!(e, AppendError::AllocError { .. }));
    refused();
    assert_eq!(Rc::strong_count(&rc), 5);
    // Nil slice: the first array can fail too.
    let e = with_limit(16, || Slice::<u8>::nil().try_append(1)).unwrap_err();
    assert!(matches!(e, AppendError::AllocError { .. }));
    refused();
    // Room left in the array: no allocation, no failure.
    let t = s.slice(..2);
    let u = with_limit(16, || t.try_append(rc.clone())).unwrap();
    assert_eq!(u.len(), 3);
    // Without the limit, growth works.
    let v = s.try_append(rc.clone()).unwrap();
    assert_eq!((v.len(), v.cap()), (5, 8));
}

#[test]
fn try_append_beyond_max_alloc_is_cap_out_of_range() {
    // A slice whose length is already at the limit cannot grow.
    let s: Slice<()> = Slice::nil();
    // Zero-sized elements have no byte limit, only the length limit.
    let big = s.try_append_vec(Vec::new()).unwrap();
    assert_eq!(big.len(), 0);
    let e = AppendError::from(goslice::grow::GrowError);
    assert_eq!(e, AppendError::CapOutOfRange);
    assert_eq!(e.to_string(), "growslice: cap out of range");
    assert_eq!(refused(), 0);
}
