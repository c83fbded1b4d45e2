//! Size classes: which span class an object of a given size and alignment
//! lives in (Go: `sizeclasses.go`, `size_to_class8`/`size_to_class128`).
//!
//! The object sizes are Go 1.19's `class_to_size`, taken from `goslice`
//! (which uses the same table for `roundupsize`); the pages per span are Go's
//! `class_to_allocnpages`, kept here because only the collector needs them.
//! Class 0 is Go's "large object" class: an object bigger than
//! [`MAX_SMALL_SIZE`] gets a span of its own, rounded up to whole pages.
//!
//! A span class (Go's `spanClass`) is `class << 1 | noscan`: objects without
//! pointers (`Trace::NEEDS_TRACE == false`) live in spans of their own, so the
//! marker never queues them (they go straight from white to black).
//!
//! Our objects start with a header, and a slot must keep the object aligned:
//! a span starts on a page boundary and its slots are `elemsize` apart, so a
//! slot is aligned to `A ≤ PAGE_SIZE` exactly when `elemsize` is a multiple
//! of `A`; a type aligned to more than a page is a large object. The
//! class of a type is the smallest class at least as big as the object whose
//! size is a multiple of its alignment.

pub(crate) use goslice::grow::{MAX_SMALL_SIZE, PAGE_SIZE, SIZE_CLASSES};

/// Go's `_NumSizeClasses`: 67 object sizes plus class 0 (large objects).
pub(crate) const NUM_SIZE_CLASSES: usize = SIZE_CLASSES.len() + 1;

/// Go's `numSpanClasses`: each size class with and without pointers.
pub(crate) const NUM_SPAN_CLASSES: usize = NUM_SIZE_CLASSES * 2;

/// Go 1.19's `class_to_allocnpages`: pages per span of each class (index 0 is
/// the large-object class, sized per object).
pub(crate) const CLASS_TO_ALLOCNPAGES: [u8; NUM_SIZE_CLASSES] = [
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8,
    3, 10, 7, 4,
];

/// Go's `class_to_size`, with class 0 (large) as 0.
pub(crate) const fn class_to_size(class: usize) -> usize {
    if class == 0 {
        0
    } else {
        SIZE_CLASSES[class - 1]
    }
}

/// A span class: `size class << 1 | noscan` (Go's `spanClass`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpanClass(pub(crate) u8);

impl SpanClass {
    /// Go's `makeSpanClass`.
    pub(crate) const fn new(size_class: usize, noscan: bool) -> SpanClass {
        SpanClass(((size_class << 1) | noscan as usize) as u8)
    }

    /// Go's `spanClass.sizeclass`.
    pub(crate) const fn size_class(self) -> usize {
        (self.0 >> 1) as usize
    }

    /// Go's `spanClass.noscan`.
    pub(crate) const fn noscan(self) -> bool {
        self.0 & 1 != 0
    }

    /// The index into per-span-class arrays.
    pub(crate) const fn index(self) -> usize {
        self.0 as usize
    }
}

/// The size class of an object of `size` bytes aligned to `align`, or 0 when
/// it is a large object (bigger than [`MAX_SMALL_SIZE`], or no class fits the
/// alignment).
pub(crate) const fn size_class_for(size: usize, align: usize) -> usize {
    if size > MAX_SMALL_SIZE || align > PAGE_SIZE {
        // Spans are only page-aligned: more alignment needs a span of its own.
        return 0;
    }
    let mut class = 1;
    while class < NUM_SIZE_CLASSES {
        let class_size = class_to_size(class);
        if class_size >= size && class_size % align == 0 {
            return class;
        }
        class += 1;
    }
    0
}

/// Pages of a large-object span holding `size` bytes, or `None` on overflow.
pub(crate) const fn large_npages(size: usize) -> Option<usize> {
    match size.checked_add(PAGE_SIZE - 1) {
        Some(n) => Some(n / PAGE_SIZE),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_sizes_hold_whole_objects_with_little_tail_waste() {
        // The rule Go's mksizeclasses.go used to pick the page counts: the
        // tail left after the last object is at most 1/8 of the span.
        for (class, &npages) in CLASS_TO_ALLOCNPAGES.iter().enumerate().skip(1) {
            let span = npages as usize * PAGE_SIZE;
            let size = class_to_size(class);
            assert!(span >= size, "class {class}");
            assert!(
                span % size <= span / 8,
                "class {class} wastes {}",
                span % size
            );
        }
    }

    #[test]
    fn classes_match_go_1_19_endpoints() {
        assert_eq!(NUM_SIZE_CLASSES, 68); // Go's _NumSizeClasses
        assert_eq!(class_to_size(1), 8);
        assert_eq!(class_to_size(67), 32768);
        assert_eq!(CLASS_TO_ALLOCNPAGES[67], 4);
        assert_eq!(CLASS_TO_ALLOCNPAGES[65], 10); // 27264-byte objects
    }

    #[test]
    fn size_class_respects_alignment() {
        assert_eq!(class_to_size(size_class_for(24, 8)), 24);
        // 24 is not a multiple of 16: the next class that is, 32.
        assert_eq!(class_to_size(size_class_for(24, 16)), 32);
        assert_eq!(class_to_size(size_class_for(33, 8)), 48);
        assert_eq!(size_class_for(MAX_SMALL_SIZE + 1, 8), 0);
        assert_eq!(size_class_for(64, 1 << 16), 0);
        assert_eq!(size_class_for(32768, 16384), 0);
    }

    #[test]
    fn span_class_packs_size_class_and_noscan() {
        let spc = SpanClass::new(5, true);
        assert_eq!((spc.size_class(), spc.noscan(), spc.index()), (5, true, 11));
        assert_eq!(large_npages(1), Some(1));
        assert_eq!(large_npages(PAGE_SIZE + 1), Some(2));
        assert_eq!(large_npages(usize::MAX), None);
    }
}
