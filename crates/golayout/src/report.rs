//! Padding, a better field order, and the 64-bit atomic alignment check.
//!
//! - Padding: every gap between fields and at the end (including the byte gc
//!   adds after a trailing zero-size field), with its offset and length.
//! - Optimal order: the order Go's `fieldalignment` analyzer suggests
//!   (`golang.org/x/tools/go/analysis/passes/fieldalignment`, `optimalOrder`):
//!   zero-size fields first, then by decreasing alignment, pointerful before
//!   pointer-free, among pointerful ones fewer trailing non-pointer bytes
//!   first, then by decreasing size. Sorting by decreasing alignment leaves no
//!   gap between fields (every size is a multiple of its alignment), and zero-
//!   size fields first never trigger the trailing byte, so the size is the
//!   smallest possible; among smallest orders, the pointerful-first rules give
//!   the smallest pointer-holding prefix (`ptrdata`), which the garbage
//!   collector scans. The sort is stable, so equal fields keep source order.
//! - Atomic check: on a 32-bit target a plain `int64`/`uint64` is 4-aligned,
//!   and `sync/atomic`'s 64-bit functions panic ("unaligned 64-bit atomic
//!   operation") on a field at 4 mod 8. We assume the top-level struct is
//!   8-aligned (Go guarantees it for allocated structs and globals) and walk
//!   nested struct and array fields with absolute offsets.
//!
//! Invariants: I1 `saving = size - optimal_size`, never negative; I2 padding
//! ranges are disjoint, inside `0..size`, and with the field bytes cover it.
//!
//! Divergence from `fieldalignment`: it sizes structs with its own copy of
//! `gcSizes`, which skips the trailing zero-size byte; we use gc's rules, so a
//! struct whose only waste is that byte is reported too.

use alloc::string::String;
use alloc::vec::Vec;

use crate::arch::Arch;
use crate::sizes::{info, layout, FieldLayout, Info, LayoutError, StructLayout};
use crate::ty::{BasicKind, GoType, Struct};

/// A run of padding bytes inside a struct.
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(BasicKind::Int8)), ("b", GoType::Basic(BasicKind::Int32))]) else { unreachable!() };
/// let r = golayout::analyze(&s, Arch::Amd64).unwrap();
/// assert_eq!((r.padding[0].offset, r.padding[0].len), (1, 3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Padding {
    /// Offset of the first padding byte.
    pub offset: u64,
    /// Number of padding bytes.
    pub len: u64,
    /// Index of the field the padding precedes; `None` for trailing padding.
    pub before: Option<usize>,
}

/// A struct's layout on one arch with its padding and the better order.
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// use BasicKind::*;
/// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(Int8)), ("b", GoType::Basic(Int32)), ("c", GoType::Basic(Int16))]) else { unreachable!() };
/// let r = golayout::analyze(&s, Arch::Amd64).unwrap();
/// assert_eq!((r.layout.info.size, r.optimal_size, r.saving()), (12, 8, 4));
/// assert_eq!(r.optimal_order, [1, 2, 0]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The layout in declaration order.
    pub layout: StructLayout,
    /// Every padding run, in offset order.
    pub padding: Vec<Padding>,
    /// Field indices in the suggested order.
    pub optimal_order: Vec<usize>,
    /// Size with the suggested order.
    pub optimal_size: u64,
    /// Pointer-holding prefix with the suggested order.
    pub optimal_ptrdata: u64,
}

impl Report {
    /// Bytes the suggested order saves (I1).
    ///
    /// ```
    /// # use golayout::{Arch, GoType, BasicKind};
    /// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(BasicKind::Int64))]) else { unreachable!() };
    /// assert_eq!(golayout::analyze(&s, Arch::I386).unwrap().saving(), 0);
    /// ```
    pub fn saving(&self) -> u64 {
        self.layout.info.size - self.optimal_size
    }

    /// Total padding bytes.
    ///
    /// ```
    /// # use golayout::{Arch, GoType, BasicKind};
    /// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(BasicKind::Int8)), ("b", GoType::Basic(BasicKind::Int64))]) else { unreachable!() };
    /// assert_eq!(golayout::analyze(&s, Arch::Amd64).unwrap().padding_bytes(), 7);
    /// ```
    pub fn padding_bytes(&self) -> u64 {
        self.padding.iter().map(|p| p.len).sum()
    }
}

/// Finds the padding runs of a laid-out struct (I2).
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(BasicKind::Int32)), ("z", GoType::Struct(Default::default()))]) else { unreachable!() };
/// let l = golayout::struct_layout(&s, Arch::Amd64).unwrap();
/// let p = golayout::padding(&l);
/// assert_eq!((p[0].offset, p[0].len, p[0].before), (4, 4, None));
/// ```
pub fn padding(l: &StructLayout) -> Vec<Padding> {
    let mut out = Vec::new();
    let mut end = 0;
    for (i, f) in l.fields.iter().enumerate() {
        if f.offset > end {
            out.push(Padding {
                offset: end,
                len: f.offset - end,
                before: Some(i),
            });
        }
        end = end.max(f.offset + f.info.size);
    }
    if l.info.size > end {
        out.push(Padding {
            offset: end,
            len: l.info.size - end,
            before: None,
        });
    }
    out
}

/// The field order `fieldalignment` would suggest, as indices into `fields`.
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let GoType::Struct(s) = GoType::struct_of([("n", GoType::Basic(BasicKind::Int64)), ("p", GoType::Pointer(Box::new(GoType::Basic(BasicKind::Int))))]) else { unreachable!() };
/// let l = golayout::struct_layout(&s, Arch::Amd64).unwrap();
/// assert_eq!(golayout::optimal_order(&l.fields), [1, 0]); // pointer first: smaller ptrdata
/// ```
pub fn optimal_order(fields: &[FieldLayout]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..fields.len()).collect();
    idx.sort_by(|&i, &j| {
        let (a, b) = (fields[i].info, fields[j].info);
        (a.size != 0)
            .cmp(&(b.size != 0))
            .then(b.align.cmp(&a.align))
            .then((a.ptrdata == 0).cmp(&(b.ptrdata == 0)))
            .then(if a.ptrdata != 0 && b.ptrdata != 0 {
                (a.size - a.ptrdata).cmp(&(b.size - b.ptrdata))
            } else {
                core::cmp::Ordering::Equal
            })
            .then(b.size.cmp(&a.size))
    });
    idx
}

/// Size, alignment and pointer prefix of a struct whose fields have `infos`, in that order.
///
/// ```
/// use golayout::Info;
/// let i = |size, align| Info { size, align, ptrdata: 0 };
/// assert_eq!(golayout::pack(&[i(1, 1), i(4, 4)]).size, 8);
/// assert_eq!(golayout::pack(&[i(4, 4), i(1, 1)]).size, 8);
/// assert_eq!(golayout::pack(&[i(4, 4), i(0, 1)]).size, 8);
/// ```
pub fn pack(infos: &[Info]) -> Info {
    let mut o = 0u64;
    let mut max_align = 1;
    let mut last_zero = None;
    let mut ptrdata = 0;
    for fi in infos {
        max_align = max_align.max(fi.align);
        o = (o + fi.align - 1) & !(fi.align - 1);
        if fi.size == 0 {
            last_zero = Some(o);
        }
        if fi.ptrdata != 0 {
            ptrdata = o + fi.ptrdata;
        }
        o += fi.size;
    }
    if o > 0 && last_zero == Some(o) {
        o += 1;
    }
    Info {
        size: (o + max_align - 1) & !(max_align - 1),
        align: max_align,
        ptrdata,
    }
}

/// Analyses a struct on one arch: layout, padding and the better order.
///
/// # Errors
///
/// As [`crate::info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// use BasicKind::*;
/// // The seed's demo1 / demo2.
/// let GoType::Struct(d1) = GoType::struct_of([("a", GoType::Basic(Int8)), ("b", GoType::Basic(Int16)), ("c", GoType::Basic(Int32))]) else { unreachable!() };
/// let GoType::Struct(d2) = GoType::struct_of([("a", GoType::Basic(Int8)), ("c", GoType::Basic(Int32)), ("b", GoType::Basic(Int16))]) else { unreachable!() };
/// assert_eq!(golayout::analyze(&d1, Arch::Amd64).unwrap().layout.info.size, 8);
/// assert_eq!(golayout::analyze(&d2, Arch::Amd64).unwrap().saving(), 4);
/// ```
pub fn analyze(s: &Struct, arch: Arch) -> Result<Report, LayoutError> {
    Ok(report(crate::sizes::struct_layout(s, arch)?))
}

/// [`analyze`] for any type whose underlying type is a struct (named types too,
/// so `align64` is honoured). Non-struct types give a report with no fields.
///
/// # Errors
///
/// As [`crate::info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, Named, BasicKind};
/// let t = GoType::named(Named::new("", "T", GoType::struct_of([("a", GoType::Basic(BasicKind::Bool))])));
/// assert_eq!(golayout::analyze_type(&t, Arch::I386).unwrap().optimal_size, 1);
/// ```
pub fn analyze_type(t: &GoType, arch: Arch) -> Result<Report, LayoutError> {
    Ok(report(layout(t, arch)?))
}

fn report(layout: StructLayout) -> Report {
    let padding = padding(&layout);
    let optimal_order = optimal_order(&layout.fields);
    let mut infos: Vec<Info> = optimal_order
        .iter()
        .map(|&i| layout.fields[i].info)
        .collect();
    if layout.fields.is_empty() {
        infos.push(layout.info);
    }
    let mut packed = pack(&infos);
    // align64 (I6 of sizes) survives reordering: keep the struct's own alignment.
    packed.size = (packed.size + layout.info.align - 1) & !(layout.info.align - 1);
    packed.size = packed.size.min(layout.info.size);
    Report {
        optimal_size: packed.size,
        optimal_ptrdata: packed.ptrdata,
        layout,
        padding,
        optimal_order,
    }
}

/// A 64-bit integer field that a 32-bit target places at 4 mod 8.
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let t = GoType::struct_of([("a", GoType::Basic(BasicKind::Int32)), ("n", GoType::Basic(BasicKind::Int64))]);
/// let w = golayout::atomic64_check(&t, Arch::I386, &|_: &str| true).unwrap();
/// assert_eq!((w[0].path.as_str(), w[0].offset), ("n", 4));
/// assert!(golayout::atomic64_check(&t, Arch::Amd64, &|_: &str| true).unwrap().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtomicWarning {
    /// Dotted path of the field (`stats.hits`, `buf[0]` for array elements).
    pub path: String,
    /// Its offset from the start of the checked type.
    pub offset: u64,
    /// The arch.
    pub arch: Arch,
}

/// Finds `int64`/`uint64` fields (also named ones, also nested) at 4 mod 8 on
/// a 32-bit `arch` for which `is_atomic(path)` holds, `path` being the
/// field's dotted path in `t` (`stats.hits`, `buf[0]`; see
/// [`crate::Resolver::atomic_uses`] for the paths a package's code uses).
/// Returns nothing on 64-bit arches.
///
/// # Errors
///
/// As [`crate::info`].
///
/// # Examples
///
/// See [`AtomicWarning`].
pub fn atomic64_check(
    t: &GoType,
    arch: Arch,
    is_atomic: &dyn Fn(&str) -> bool,
) -> Result<Vec<AtomicWarning>, LayoutError> {
    let mut out = Vec::new();
    if arch.is_32bit() {
        walk(t, arch, 0, &mut String::new(), is_atomic, &mut out, 0)?;
    }
    Ok(out)
}

fn walk(
    t: &GoType,
    arch: Arch,
    base: u64,
    path: &mut String,
    is_atomic: &dyn Fn(&str) -> bool,
    out: &mut Vec<AtomicWarning>,
    depth: u32,
) -> Result<(), LayoutError> {
    if depth > 64 {
        return Ok(());
    }
    match t.underlying() {
        GoType::Basic(BasicKind::Int64 | BasicKind::Uint64) => {
            if base % 8 != 0 && is_atomic(path) {
                out.push(AtomicWarning {
                    path: path.clone(),
                    offset: base,
                    arch,
                });
            }
        }
        GoType::Array(n, elem) if *n > 0 => {
            let len = path.len();
            path.push_str("[0]");
            walk(elem, arch, base, path, is_atomic, out, depth + 1)?;
            path.truncate(len);
        }
        GoType::Struct(_) => {
            let l = layout(t, arch)?;
            if let GoType::Struct(s) = t.underlying() {
                for (f, fl) in s.fields.iter().zip(&l.fields) {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&f.name);
                    walk(
                        &f.ty,
                        arch,
                        base + fl.offset,
                        path,
                        is_atomic,
                        out,
                        depth + 1,
                    )?;
                    path.truncate(len);
                }
            }
        }
        _ => {
            info(t, arch)?;
        }
    }
    Ok(())
}

/// Fields of type `atomic.Int64` or `atomic.Uint64` (also nested): Go 1.19
/// aligns these to 8 bytes on every arch (their `align64` marker), so 64-bit
/// atomic operations on them are safe wherever they sit. Their paths and
/// offsets.
///
/// # Errors
///
/// As [`crate::info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, Program};
/// let mut p = Program::with_stdlib();
/// let k = p.add_source("m", "m.go", "package m\nimport \"sync/atomic\"\ntype C struct{ on bool; n atomic.Int64 }").unwrap();
/// let t = p.resolver(Arch::I386).resolve(k, "C").unwrap();
/// let safe = golayout::atomic64_types(&t, Arch::I386).unwrap();
/// assert_eq!((safe[0].path.as_str(), safe[0].offset), ("n", 8));
/// ```
pub fn atomic64_types(t: &GoType, arch: Arch) -> Result<Vec<AtomicWarning>, LayoutError> {
    let mut out = Vec::new();
    walk_atomic_types(t, arch, 0, &mut String::new(), &mut out, 0)?;
    Ok(out)
}

fn walk_atomic_types(
    t: &GoType,
    arch: Arch,
    base: u64,
    path: &mut String,
    out: &mut Vec<AtomicWarning>,
    depth: u32,
) -> Result<(), LayoutError> {
    if depth > 64 {
        return Ok(());
    }
    if let GoType::Named(n) = t {
        if n.name.pkg == "sync/atomic" && matches!(n.name.name.as_str(), "Int64" | "Uint64") {
            out.push(AtomicWarning {
                path: path.clone(),
                offset: base,
                arch,
            });
            return Ok(());
        }
    }
    match t.underlying() {
        GoType::Array(n, elem) if *n > 0 => {
            let len = path.len();
            path.push_str("[0]");
            walk_atomic_types(elem, arch, base, path, out, depth + 1)?;
            path.truncate(len);
        }
        GoType::Struct(s) => {
            let l = layout(t, arch)?;
            for (f, fl) in s.fields.iter().zip(&l.fields) {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&f.name);
                walk_atomic_types(&f.ty, arch, base + fl.offset, path, out, depth + 1)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ty::Named;
    use alloc::boxed::Box;
    use BasicKind::*;

    fn b(k: BasicKind) -> GoType {
        GoType::Basic(k)
    }

    #[test]
    fn padding_covers_the_struct_with_fields() {
        let t = GoType::struct_of([
            ("a", b(Int8)),
            ("b", b(Int64)),
            ("c", b(Int16)),
            ("z", GoType::Struct(Struct::default())),
        ]);
        for a in Arch::ALL {
            let r = analyze_type(&t, a).unwrap();
            let field_bytes: u64 = r.layout.fields.iter().map(|f| f.info.size).sum();
            assert_eq!(field_bytes + r.padding_bytes(), r.layout.info.size, "{a}");
            assert!(r.optimal_size <= r.layout.info.size);
        }
        let r = analyze_type(&t, Arch::Amd64).unwrap();
        assert_eq!(r.layout.info.size, 24);
        assert_eq!(r.optimal_order, [3, 1, 2, 0]);
        assert_eq!(r.optimal_size, 16);
    }

    #[test]
    fn pointers_go_first_among_equals() {
        let t = GoType::struct_of([
            ("n", b(Int)),
            ("s", b(String)),
            ("p", GoType::Pointer(Box::new(b(Int)))),
        ]);
        let r = analyze_type(&t, Arch::Amd64).unwrap();
        assert_eq!(r.optimal_order, [2, 1, 0]);
        assert_eq!((r.optimal_size, r.optimal_ptrdata), (32, 16));
        assert_eq!(r.layout.info.ptrdata, 32);
    }

    #[test]
    fn atomic_check_walks_nested_structs() {
        let inner = GoType::named(Named::new(
            "",
            "Stats",
            GoType::struct_of([("pad", b(Int32)), ("hits", b(Uint64))]),
        ));
        let t = GoType::struct_of([
            ("x", b(Int64)),
            ("st", inner),
            ("arr", GoType::Array(2, Box::new(b(Int64)))),
        ]);
        let w = atomic64_check(&t, Arch::Arm, &|p: &str| p == "st.hits" || p == "arr[0]").unwrap();
        // Stats is 12 bytes, 4-aligned on arm: hits lands at 8+4, arr at 20.
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].path.as_str(), w[0].offset), ("st.hits", 12));
        assert_eq!((w[1].path.as_str(), w[1].offset), ("arr[0]", 20));
        let w = atomic64_check(&t, Arch::Arm, &|n: &str| n == "x").unwrap();
        assert!(w.is_empty(), "{w:?}"); // x at 0 is aligned
                                        // Paths, not names: another type's `hits` is not this one's.
        let w = atomic64_check(&t, Arch::Arm, &|p: &str| p == "hits").unwrap();
        assert!(w.is_empty(), "{w:?}");
    }
}
