//! Transparent huge pages for large bucket arrays (Linux, `std` feature).
//!
//! A large bucket array comes from `alloc_zeroed` as lazily zeroed pages,
//! and evacuation writes its entries into it a few buckets per insert. With
//! 4 KiB pages, the first write to each page is a minor fault in the middle
//! of some insert (about 1% of the inserts of a growing 8M-entry map, a few
//! microseconds each): the tail of the insert latency. Go 1.19 asks Linux
//! for transparent huge pages on its heap: `sysUsed` calls `sysHugePage`,
//! which `madvise(MADV_HUGEPAGE)`s every whole 2 MiB page inside the span
//! being handed out (`runtime/mem_linux.go`), and fresh heap memory always
//! goes through `sysUsed`. So Go's buckets fault once per 2 MiB, not once
//! per 4 KiB, on a system whose THP mode is `madvise` (a common default).
//!
//! [`advise`] does the same for our arrays: before anything touches it, the
//! whole 2 MiB pages inside a fresh array are advised as huge pages
//! (rounding inward, as Go does, so the advice never covers memory outside
//! the allocation). It is only a hint: where THP is `never`, or no huge page
//! is free, the kernel serves 4 KiB pages as before, and the array's
//! contents are the same either way.
//!
//! The price is paid in fewer, larger faults: one zeroes 2 MiB at once
//! (about 240 µs on the machine of the crate's benches, against 1.4 µs per
//! 4 KiB fault, so 720 µs per 2 MiB), about 300 of them over 8M inserts
//! into one map, each far below the whole-table rehash of a map that
//! resizes at once. On a virtual machine whose host backs guest memory
//! only when first touched (there: a Firecracker guest with free page
//! reporting, so memory freed for a few seconds is unbacked again), one
//! such fault also pays 512 host faults, about 5.5 ms, and the first
//! inserts after a large grow starts take two of them each: the maximum
//! insert latency of the crate's 8M bench (the README's "Insert latency,
//! 8M"). 4 KiB pages would spread that cost, but cut the growing insert
//! rate there by 28%. Returning a dead array to the allocator a huge page
//! per write instead of 64 KiB (`grow.rs`, `retire_chunk`) keeps its huge
//! pages from being split while at least `MIN_ADVISED_BYTES` (4 MiB) of it are
//! left; the last few MiB go back 64 KiB per write, as for an array that
//! was never advised.

/// The Linux huge page size with 4 KiB base pages (x86-64, and AArch64 as
/// usually configured). Go reads it from
/// `/sys/kernel/mm/transparent_hugepage/hpage_pmd_size` (`physHugePageSize`);
/// where it is larger, advising 2 MiB-aligned ranges is still a valid hint.
pub(crate) const HUGE_PAGE: usize = 2 * 1024 * 1024;

/// Arrays at least this large get the advice: below, too little of the
/// array would lie in whole huge pages to repay a system call.
pub(crate) const MIN_ADVISED_BYTES: usize = 2 * HUGE_PAGE;

/// Advises the whole 2 MiB pages inside `[p, p + size)` as transparent huge
/// pages. Returns whether the kernel took the advice (there is nothing to
/// do on failure: the advice is a hint, and kernels built without THP
/// answer `EINVAL`); `true` when no whole huge page lies inside.
pub(crate) fn advise(p: *mut u8, size: usize) -> bool {
    let start = (p as usize).next_multiple_of(HUGE_PAGE);
    let end = (p as usize + size) & !(HUGE_PAGE - 1);
    if start < end {
        // SAFETY: `[start, end)` lies inside the live allocation
        // `[p, p + size)` (rounded inward to huge page boundaries), which is
        // mapped memory that this map owns. MADV_HUGEPAGE changes no byte of
        // it and no mapping's permissions: it only sets the region's
        // huge-page flag (splitting the kernel's area record if needed).
        let status = unsafe {
            libc::madvise(
                p.wrapping_add(start - p as usize) as *mut libc::c_void,
                end - start,
                libc::MADV_HUGEPAGE,
            )
        };
        return status == 0;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::alloc::{alloc_zeroed, dealloc};
    use core::alloc::Layout;

    #[test]
    fn advised_memory_stays_zeroed_and_usable() {
        // Not huge-page aligned on purpose: the advice must stay inside.
        let layout = Layout::from_size_align(MIN_ADVISED_BYTES + 12_345, 16).unwrap();
        // SAFETY: non-zero size.
        let p = unsafe { alloc_zeroed(layout) };
        assert!(!p.is_null());
        let accepted = advise(p, layout.size());
        if std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists() {
            assert!(accepted, "a kernel with THP refused MADV_HUGEPAGE");
        }
        // SAFETY: the whole allocation is ours; written, then read back.
        unsafe {
            for off in (0..layout.size()).step_by(4096) {
                assert_eq!(*p.add(off), 0, "advice changed the contents");
                *p.add(off) = 7;
            }
            for off in (0..layout.size()).step_by(4096) {
                assert_eq!(*p.add(off), 7);
            }
            dealloc(p, layout);
        }
    }

    #[test]
    fn arrays_without_a_whole_huge_page_are_left_alone() {
        let mut buf = [0u8; 64];
        assert!(advise(buf.as_mut_ptr(), buf.len()));
        assert_eq!(buf, [0; 64]);
    }
}
