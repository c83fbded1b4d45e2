//! `serde`: a [`Slice`] serializes as a sequence of its `len` elements (the
//! window, not the rest of its capacity) and deserializes from one into a
//! new array with `len == cap`.
//!
//! A nil slice serializes as an empty sequence, and an empty sequence
//! deserializes to an empty, non-nil slice (Go's `json.Unmarshal` of `[]`).
//! Go's `encoding/json` writes a nil slice as `null`; here nil and empty
//! both become `[]`, as for `Vec`.

use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use core::mem::size_of;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Slice;

impl<T: Serialize> Serialize for Slice<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with(|xs| serializer.collect_seq(xs))
    }
}

/// The most a deserializer's announced length may preallocate, in bytes
/// (serde's `size_hint::cautious` limit).
const MAX_PREALLOC_BYTES: usize = 1024 * 1024;

struct SliceVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SliceVisitor<T> {
    type Value = Slice<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        // Cap the hint: it comes from untrusted input. At most 4096
        // elements and about 1 MiB (serde's own `Vec` impl allows 1 MiB),
        // so a large element type cannot turn a claimed length into a huge
        // allocation before a single element has been read.
        let bytes = size_of::<T>().max(1);
        let hint = access
            .size_hint()
            .unwrap_or(0)
            .min(4096)
            .min(MAX_PREALLOC_BYTES / bytes);
        let mut v = Vec::with_capacity(hint);
        while let Some(x) = access.next_element()? {
            v.push(x);
        }
        Ok(Slice::from_vec(v))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Slice<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(SliceVisitor(PhantomData))
    }
}
