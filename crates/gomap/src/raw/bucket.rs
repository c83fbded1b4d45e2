//! `bmap`: the memory layout of one bucket, computed per key/value type.
//!
//! ```text
//!  offset 0        KEYS                 VALS                 OVF
//!  ┌──────────────┬────────────────────┬────────────────────┬──────────┐
//!  │ tophash [8]u8│ k0 k1 k2 .. k7     │ v0 v1 v2 .. v7     │ overflow │
//!  └──────────────┴────────────────────┴────────────────────┴──────────┘
//! ```
//!
//! Keys are packed together and values together, as Go's compiler-built
//! bucket type does, so `GoMap<u64, u8>` wastes no padding between pairs. A
//! key (value) larger than [`MAX_KEY_SIZE`] ([`MAX_ELEM_SIZE`]) bytes is
//! stored *indirectly*: its slot holds a `*mut K` to a separate allocation.
//! Every constant here is an associated `const`, so the offsets fold into
//! immediates in the generated code.
//!
//! Go: `bmap` (runtime/map.go) and `MapBucketType`
//! (cmd/compile/internal/reflectdata/reflect.go). Divergence: Rust types may
//! be aligned above 8; the key array then starts at the next multiple of the
//! key alignment instead of Go's fixed `dataOffset = 8`.

use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use gocore::align::align_up;

/// Slots per bucket.
///
/// Go: `bucketCnt` (runtime/map.go).
pub(crate) const BUCKET_CNT: usize = 8;
/// log2 of [`BUCKET_CNT`].
///
/// Go: `bucketCntBits` (runtime/map.go).
pub(crate) const BUCKET_CNT_BITS: u32 = 3;
const _: () = assert!(1 << BUCKET_CNT_BITS == BUCKET_CNT);
/// Largest key stored inline; larger keys are boxed.
///
/// Go: `maxKeySize` (runtime/map.go).
pub(crate) const MAX_KEY_SIZE: usize = 128;
/// Largest value stored inline; larger values are boxed.
///
/// Go: `maxElemSize` (runtime/map.go).
pub(crate) const MAX_ELEM_SIZE: usize = 128;
/// Offset of the key array: right after the eight tophash bytes.
///
/// Go: `dataOffset` (runtime/map.go).
pub(crate) const DATA_OFFSET: usize = 8;

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Layout math for the bucket of a `GoMap<K, V>`.
pub(crate) struct Bmap<K, V>(PhantomData<(K, V)>);

impl<K, V> Bmap<K, V> {
    /// Whether keys are stored through a pointer.
    pub(crate) const INDIRECT_KEY: bool = size_of::<K>() > MAX_KEY_SIZE;
    /// Whether values are stored through a pointer.
    pub(crate) const INDIRECT_ELEM: bool = size_of::<V>() > MAX_ELEM_SIZE;
    /// Width of one key slot.
    pub(crate) const KEY_SIZE: usize = if Self::INDIRECT_KEY {
        size_of::<*mut K>()
    } else {
        size_of::<K>()
    };
    const KEY_ALIGN: usize = if Self::INDIRECT_KEY {
        align_of::<*mut K>()
    } else {
        align_of::<K>()
    };
    /// Width of one value slot.
    pub(crate) const ELEM_SIZE: usize = if Self::INDIRECT_ELEM {
        size_of::<*mut V>()
    } else {
        size_of::<V>()
    };
    const ELEM_ALIGN: usize = if Self::INDIRECT_ELEM {
        align_of::<*mut V>()
    } else {
        align_of::<V>()
    };
    /// Offset of key slot 0.
    pub(crate) const KEYS: usize = align_up(DATA_OFFSET, Self::KEY_ALIGN);
    /// Offset of value slot 0.
    pub(crate) const ELEMS: usize =
        align_up(Self::KEYS + BUCKET_CNT * Self::KEY_SIZE, Self::ELEM_ALIGN);
    /// Offset of the overflow pointer.
    pub(crate) const OVERFLOW: usize = align_up(
        Self::ELEMS + BUCKET_CNT * Self::ELEM_SIZE,
        align_of::<*mut u8>(),
    );
    /// Alignment of a bucket.
    pub(crate) const ALIGN: usize = max(
        max(Self::KEY_ALIGN, Self::ELEM_ALIGN),
        align_of::<*mut u8>(),
    );
    /// Size of a bucket, a multiple of its alignment.
    ///
    /// Go: `maptype.bucketsize`.
    pub(crate) const SIZE: usize = align_up(Self::OVERFLOW + size_of::<*mut u8>(), Self::ALIGN);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_go_on_this_target() {
        // Measured Go sizes (spec/map.md): amd64 / 386.
        let wide = size_of::<usize>() == 8;
        assert_eq!(Bmap::<i64, i8>::SIZE, if wide { 88 } else { 84 });
        assert_eq!(Bmap::<i8, i64>::SIZE, if wide { 88 } else { 84 });
        assert_eq!(Bmap::<i64, i64>::SIZE, if wide { 144 } else { 140 });
        // An indirect key: the slot is a pointer.
        const { assert!(Bmap::<[u8; 130], i64>::INDIRECT_KEY) };
        assert_eq!(Bmap::<[u8; 130], i64>::SIZE, if wide { 144 } else { 108 });
        const { assert!(Bmap::<i32, [u8; 200]>::INDIRECT_ELEM) };
        assert_eq!(Bmap::<i32, [u8; 200]>::SIZE, if wide { 112 } else { 76 });
        // 128 bytes is still inline.
        const { assert!(!Bmap::<[u8; 128], ()>::INDIRECT_KEY) };
    }

    #[test]
    fn zero_sized_types_take_no_slot_space() {
        assert_eq!(Bmap::<(), ()>::SIZE, 8 + size_of::<usize>());
        assert_eq!(Bmap::<(), ()>::OVERFLOW, 8);
    }

    #[test]
    fn overaligned_keys_start_aligned() {
        #[repr(align(32))]
        struct A32(#[allow(dead_code)] u8);
        assert_eq!(Bmap::<A32, u8>::KEYS, 32);
        assert_eq!(Bmap::<A32, u8>::SIZE % 32, 0);
    }
}
