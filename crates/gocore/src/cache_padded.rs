//! Padding a value to the cache line, so two hot atomics never share one.
//!
//! Go pads its semaphore roots and per-P structures with `cpu.CacheLinePad`
//! (64 bytes on x86 and arm64, 32 on arm and mips, 256 on s390x). On x86-64
//! and aarch64 we pad to 128 bytes, because their adjacent-line prefetchers
//! pull lines in pairs (the same choice crossbeam-utils makes).

use core::fmt;
use core::ops::{Deref, DerefMut};

/// A value aligned and padded to the length of a cache line (or pair of lines).
///
/// Go: `cpu.CacheLinePad` (internal/cpu).
///
/// # Examples
///
/// ```
/// use gocore::CachePadded;
/// let a = [CachePadded::new(1u32), CachePadded::new(2u32)];
/// let gap = (&*a[1] as *const u32 as usize) - (&*a[0] as *const u32 as usize);
/// assert!(gap >= 32);
/// assert_eq!(*a[0] + *a[1], 3);
/// ```
#[cfg_attr(
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64"
    ),
    repr(align(128))
)]
#[cfg_attr(
    any(
        target_arch = "arm",
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "riscv32",
        target_arch = "riscv64"
    ),
    repr(align(32))
)]
#[cfg_attr(target_arch = "s390x", repr(align(256)))]
#[cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64",
        target_arch = "arm",
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "riscv32",
        target_arch = "riscv64",
        target_arch = "s390x"
    )),
    repr(align(64))
)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CachePadded<T> {
    value: T,
}

static_assertions::const_assert!(core::mem::align_of::<CachePadded<u8>>() >= 32);
static_assertions::const_assert_eq!(
    core::mem::size_of::<CachePadded<u8>>(),
    core::mem::align_of::<CachePadded<u8>>()
);

impl<T> CachePadded<T> {
    /// Pads `value` to a cache line.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = gocore::CachePadded::new(7);
    /// assert_eq!(*p, 7);
    /// ```
    pub const fn new(value: T) -> Self {
        CachePadded { value }
    }

    /// Returns the inner value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gocore::CachePadded::new(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachePadded")
            .field("value", &self.value)
            .finish()
    }
}

impl<T> From<T> for CachePadded<T> {
    fn from(value: T) -> Self {
        CachePadded::new(value)
    }
}
