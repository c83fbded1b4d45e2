//! Sizes, alignments and field offsets exactly as Go 1.19's gc computes them.
//!
//! # What
//!
//! Given a [`GoType`] and an [`Arch`], compute what `unsafe.Sizeof`,
//! `unsafe.Alignof` and `unsafe.Offsetof` report in a program built by gc 1.19
//! for that `GOARCH`. The compiler's truth is `CalcSize` and
//! `calcStructOffset` in `cmd/compile/internal/types/size.go`; the type
//! checker's `gcSizes` (`cmd/compile/internal/noder/sizes.go`) agrees with it.
//! `go/types`' `StdSizes` does **not** (it neither rounds struct sizes up nor
//! adds the trailing zero-size byte), so it is never consulted.
//!
//! # Layout
//!
//! `struct{a int8; b int64; z struct{}}` on 386 (RegSize 4) and amd64 (8):
//!
//! ```text
//! 386    offset 0    1          4                      12   13        16
//!        ┌────┬──────────────┬───────────────────────┬────┬─────────┐
//!        │ a  │ pad 3        │ b (8 bytes, 4-aligned)│ z+1│ pad 3   │  size 16, align 4
//!        └────┴──────────────┴───────────────────────┴────┴─────────┘
//! amd64  a@0, pad 7, b@8, z@16, +1 byte, rounded to 24 (align 8)
//! ```
//!
//! # Invariants (rules of the spec, `layout.md` (c))
//!
//! - I1 basic sizes are fixed; `int`, `uint`, `uintptr` and every pointer-shaped
//!   type are one word (`PtrSize`), `string` two, slices three, interfaces two.
//! - I2 the alignment of a numeric type is `min(size, RegSize)`, except complex
//!   types, which align like one component: `complex64` → 4, `complex128` →
//!   `min(8, RegSize)`.
//! - I3 arrays: `n × elem size`, the element's alignment (also for `n = 0`).
//! - I4 structs: each field at the next multiple of its alignment, never
//!   reordered; alignment = max(1, field alignments); size rounded up to it.
//! - I5 a non-empty struct whose last field is zero-size at the end offset gets
//!   one byte before the final rounding (Go issue 9401).
//! - I6 `align64`, a field-less struct named `align64` declared in `sync/atomic`
//!   or `runtime/internal/atomic`, has alignment 8 on every arch; so does
//!   everything that contains it (`atomic.Int64`, `atomic.Uint64`).
//! - I7 every size is a multiple of its alignment; every offset is a multiple
//!   of its field's alignment and offsets never decrease.
//!
//! # Tuning
//!
//! Named types cache their [`Info`] per arch (14 slots), so deep DAGs of named
//! structs are laid out in time linear in the number of distinct types.
//!
//! # Go correspondence
//!
//! | Go (size.go)            | here                     |
//! |-------------------------|--------------------------|
//! | `CalcSize`              | [`info`]                 |
//! | `calcStructOffset`      | [`struct_layout`]        |
//! | `Rnd`                   | `round_up`               |
//! | `RegSize` / `PtrSize`   | [`Arch::max_align`] / [`Arch::ptr_size`] |
//! | `MAXWIDTH`              | [`Arch::max_width`]      |
//! | fieldalignment `ptrdata`| [`Info::ptrdata`]        |
//!
//! # Divergences
//!
//! gc reports "type too large" as a compile error; we return
//! [`LayoutError::TooLarge`]. Channel element types larger than 64 kB (also a
//! compile error in gc) are not diagnosed: they do not change any layout.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::arch::Arch;
use crate::ty::{BasicKind, GoType, Struct, TypeName};

/// Size, alignment and pointer-holding prefix of a type on one arch.
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let i = golayout::info(&GoType::Basic(BasicKind::String), Arch::Amd64).unwrap();
/// assert_eq!((i.size, i.align, i.ptrdata), (16, 8, 8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Info {
    /// `unsafe.Sizeof`.
    pub size: u64,
    /// `unsafe.Alignof`.
    pub align: u64,
    /// Bytes from the start up to the end of the last pointer (0 if pointer-free);
    /// the quantity `fieldalignment` minimises after size.
    pub ptrdata: u64,
}

/// Why a layout cannot be computed.
///
/// ```
/// use golayout::{Arch, GoType, TypeName, LayoutError};
/// let e = golayout::sizeof(&GoType::Ref(TypeName::new("x", "T")), Arch::Amd64).unwrap_err();
/// assert_eq!(e, LayoutError::Unresolved(TypeName::new("x", "T")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// A named type whose definition is unknown was needed by value.
    Unresolved(TypeName),
    /// The type exceeds the arch's address space (gc: "type ... too large").
    TooLarge(String),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Unresolved(n) => write!(f, "cannot resolve type {n}"),
            LayoutError::TooLarge(t) => write!(f, "type {t} too large"),
        }
    }
}

impl core::error::Error for LayoutError {}

/// One field placed by [`struct_layout`].
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(BasicKind::Int8)), ("b", GoType::Basic(BasicKind::Int32))]) else { unreachable!() };
/// let l = golayout::struct_layout(&s, Arch::Amd64).unwrap();
/// assert_eq!(l.fields[1].offset, 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// Field name (an embedded field's type name).
    pub name: String,
    /// Go spelling of its type.
    pub ty: String,
    /// `unsafe.Offsetof`.
    pub offset: u64,
    /// Size, alignment and pointer prefix of the field's type.
    pub info: Info,
    /// Whether the field is embedded.
    pub embedded: bool,
}

/// A struct laid out on one arch.
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(BasicKind::Int32)), ("z", GoType::Struct(Default::default()))]) else { unreachable!() };
/// let l = golayout::struct_layout(&s, Arch::I386).unwrap();
/// assert_eq!((l.info.size, l.info.align), (8, 4)); // trailing zero-size field: +1 byte, rounded
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// The struct's own size, alignment and pointer prefix.
    pub info: Info,
    /// Its fields, in declaration order.
    pub fields: Vec<FieldLayout>,
}

/// Rounds `o` up to a multiple of `a` (a power of two). Go: `types.Rnd`.
fn round_up(o: u64, a: u64) -> Option<u64> {
    debug_assert!(a.is_power_of_two());
    Some(o.checked_add(a - 1)? & !(a - 1))
}

/// Size, alignment and pointer prefix of `t` on `arch`. Go: `types.CalcSize`.
///
/// # Errors
///
/// [`LayoutError::Unresolved`] when `t` holds a [`GoType::Ref`] by value;
/// [`LayoutError::TooLarge`] past the arch's `MAXWIDTH`, and for an array
/// longer than the arch's `int` can count (gc: "array length ... must be
/// integer"), even of zero-size elements.
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let c = GoType::Basic(BasicKind::Complex128);
/// assert_eq!(golayout::info(&c, Arch::I386).unwrap().align, 4);
/// assert_eq!(golayout::info(&c, Arch::Amd64).unwrap().align, 8);
/// ```
pub fn info(t: &GoType, arch: Arch) -> Result<Info, LayoutError> {
    let w = arch.ptr_size();
    let reg = arch.max_align();
    let word = Info {
        size: w,
        align: w,
        ptrdata: w,
    };
    let too_large = || LayoutError::TooLarge(t.to_string());
    Ok(match t {
        GoType::Basic(b) => {
            use BasicKind::*;
            let (size, align, ptrdata) = match b {
                Bool | Int8 | Uint8 => (1, 1, 0),
                Int16 | Uint16 => (2, 2, 0),
                Int32 | Uint32 | Float32 => (4, 4, 0),
                Int64 | Uint64 | Float64 => (8, reg.min(8), 0),
                Complex64 => (8, 4, 0),
                Complex128 => (16, reg.min(8), 0),
                Int | Uint | Uintptr => (w, w, 0),
                UnsafePointer => (w, w, w),
                String => (2 * w, w, w),
            };
            Info {
                size,
                align,
                ptrdata,
            }
        }
        GoType::Pointer(_) | GoType::Map(..) | GoType::Chan(..) | GoType::Func(_) => word,
        GoType::Slice(_) => Info {
            size: 3 * w,
            align: w,
            ptrdata: w,
        },
        GoType::Interface(_) => Info {
            size: 2 * w,
            align: w,
            ptrdata: 2 * w,
        },
        GoType::Array(n, elem) => {
            // Go: a length must be representable as the arch's `int` (types2
            // "array length ... must be integer"), zero-size element or not.
            let int_max = if arch.ptr_size() == 4 {
                i32::MAX as u64
            } else {
                i64::MAX as u64
            };
            if *n > int_max {
                return Err(too_large());
            }
            let e = info(elem, arch)?;
            // Go: "larger than address space" when n > (MaxWidth-1)/elem width.
            if e.size != 0 && *n > (arch.max_width() - 1) / e.size {
                return Err(too_large());
            }
            let size = n * e.size;
            if arch.is_32bit() && size > i32::MAX as u64 {
                return Err(too_large());
            }
            let ptrdata = if *n == 0 || e.ptrdata == 0 {
                0
            } else {
                (n - 1) * e.size + e.ptrdata
            };
            Info {
                size,
                align: e.align,
                ptrdata,
            }
        }
        GoType::Struct(s) => struct_info(s, arch, false, None)?,
        GoType::Named(n) => {
            if let Some(i) = n.cache[arch.index()].get() {
                return Ok(*i);
            }
            let i = match &n.underlying {
                GoType::Struct(s) => struct_info(s, arch, n.is_align64(), None)?,
                other => info(other, arch)?,
            };
            // A racing set cannot happen (single-threaded Rc); ignore the result.
            let _ = n.cache[arch.index()].set(i);
            i
        }
        GoType::Ref(name) => return Err(LayoutError::Unresolved(name.clone())),
    })
}

/// Go: `calcStructOffset(t, t, 0, 1)`. Pushes each placed field to `place`, if given
/// (building a field's type string is the expensive part, so only when asked).
fn struct_info(
    s: &Struct,
    arch: Arch,
    align64: bool,
    mut place: Option<&mut Vec<FieldLayout>>,
) -> Result<Info, LayoutError> {
    let too_large = || LayoutError::TooLarge(GoType::Struct(s.clone()).to_string());
    // I6: the align64 marker itself is 8-aligned on every arch.
    let mut max_align: u64 = if align64 && s.fields.is_empty() { 8 } else { 1 };
    let mut o: u64 = 0;
    let mut last_zero: Option<u64> = None;
    let mut ptrdata = 0;
    // Go: on 32-bit systems each field offset must fit in 31 bits.
    let max_width = if arch.max_width() < 1 << 32 {
        (1 << 31) - 1
    } else {
        arch.max_width()
    };
    for f in &s.fields {
        let fi = info(&f.ty, arch)?;
        max_align = max_align.max(fi.align);
        o = round_up(o, fi.align).ok_or_else(too_large)?;
        if fi.size == 0 {
            last_zero = Some(o);
        }
        if fi.ptrdata != 0 {
            ptrdata = o + fi.ptrdata;
        }
        if let Some(place) = place.as_deref_mut() {
            place.push(FieldLayout {
                name: f.name.clone(),
                ty: f.ty.to_string(),
                offset: o,
                info: fi,
                embedded: f.embedded,
            });
        }
        o = o.checked_add(fi.size).ok_or_else(too_large)?;
        if o >= max_width {
            return Err(too_large());
        }
    }
    // I5: a non-empty struct ending in a zero-size field gets one more byte.
    if o > 0 && last_zero == Some(o) {
        o += 1;
    }
    let size = round_up(o, max_align).ok_or_else(too_large)?;
    Ok(Info {
        size,
        align: max_align,
        ptrdata,
    })
}

/// `unsafe.Sizeof` of a value of type `t` on `arch`.
///
/// # Errors
///
/// As [`info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let s = GoType::Slice(Box::new(GoType::Basic(BasicKind::Uint8)));
/// assert_eq!(golayout::sizeof(&s, Arch::Arm).unwrap(), 12);
/// ```
pub fn sizeof(t: &GoType, arch: Arch) -> Result<u64, LayoutError> {
    Ok(info(t, arch)?.size)
}

/// `unsafe.Alignof` of a value of type `t` on `arch`.
///
/// # Errors
///
/// As [`info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// assert_eq!(golayout::alignof(&GoType::Basic(BasicKind::Int64), Arch::I386).unwrap(), 4);
/// ```
pub fn alignof(t: &GoType, arch: Arch) -> Result<u64, LayoutError> {
    Ok(info(t, arch)?.align)
}

/// `unsafe.Offsetof` of every field of `s` on `arch`.
///
/// # Errors
///
/// As [`info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let GoType::Struct(s) = GoType::struct_of([("a", GoType::Basic(BasicKind::Int8)), ("b", GoType::Basic(BasicKind::Float64))]) else { unreachable!() };
/// assert_eq!(golayout::offsetsof(&s, Arch::I386).unwrap(), [0, 4]);
/// assert_eq!(golayout::offsetsof(&s, Arch::Amd64).unwrap(), [0, 8]);
/// ```
pub fn offsetsof(s: &Struct, arch: Arch) -> Result<Vec<u64>, LayoutError> {
    Ok(struct_layout(s, arch)?
        .fields
        .iter()
        .map(|f| f.offset)
        .collect())
}

/// Lays out a struct type: its own [`Info`] and every field's offset.
///
/// # Errors
///
/// As [`info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let GoType::Struct(s) = GoType::struct_of([("z", GoType::Struct(Default::default())), ("a", GoType::Basic(BasicKind::Int32))]) else { unreachable!() };
/// assert_eq!(golayout::struct_layout(&s, Arch::Amd64).unwrap().info.size, 4);
/// ```
pub fn struct_layout(s: &Struct, arch: Arch) -> Result<StructLayout, LayoutError> {
    struct_layout_named(s, arch, false)
}

/// [`struct_layout`] for the underlying struct of a named type, honouring `align64`.
pub(crate) fn struct_layout_named(
    s: &Struct,
    arch: Arch,
    align64: bool,
) -> Result<StructLayout, LayoutError> {
    let mut fields = Vec::with_capacity(s.fields.len());
    let info = struct_info(s, arch, align64, Some(&mut fields))?;
    Ok(StructLayout { info, fields })
}

/// Lays out any type: for structs (named or not) the fields too, else none.
///
/// # Errors
///
/// As [`info`].
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, Named, BasicKind};
/// let t = GoType::named(Named::new("", "P", GoType::struct_of([("x", GoType::Basic(BasicKind::Int))])));
/// let l = golayout::layout(&t, Arch::I386).unwrap();
/// assert_eq!((l.info.size, l.fields.len()), (4, 1));
/// ```
pub fn layout(t: &GoType, arch: Arch) -> Result<StructLayout, LayoutError> {
    let mut align64 = false;
    let mut u = t;
    while let GoType::Named(n) = u {
        align64 = n.is_align64();
        u = &n.underlying;
    }
    match u {
        GoType::Struct(s) => struct_layout_named(s, arch, align64),
        _ => Ok(StructLayout {
            info: info(t, arch)?,
            fields: Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ty::{Field, Named};
    use alloc::boxed::Box;
    use alloc::vec;
    use BasicKind::{
        Bool, Complex128, Complex64, Float32, Int, Int16, Int32, Int64, Int8, Uint64, Uintptr,
    };
    const STR: BasicKind = BasicKind::String;

    fn b(k: BasicKind) -> GoType {
        GoType::Basic(k)
    }
    fn st(fields: &[(&str, GoType)]) -> GoType {
        GoType::struct_of(fields.iter().map(|(n, t)| (*n, t.clone())))
    }
    fn sa(t: &GoType, a: Arch) -> (u64, u64) {
        let i = info(t, a).unwrap();
        (i.size, i.align)
    }
    fn offs(t: &GoType, a: Arch) -> Vec<u64> {
        layout(t, a)
            .unwrap()
            .fields
            .iter()
            .map(|f| f.offset)
            .collect()
    }
    fn empty() -> GoType {
        GoType::Struct(Struct::default())
    }
    fn atomic_int64() -> GoType {
        let align64 = GoType::named(Named::new("sync/atomic", "align64", empty()));
        let nocopy = GoType::named(Named::new("sync/atomic", "noCopy", empty()));
        GoType::named(Named::new(
            "sync/atomic",
            "Int64",
            GoType::Struct(Struct {
                fields: vec![
                    Field::new("_", nocopy),
                    Field::new("_", align64),
                    Field::new("v", b(Int64)),
                ],
            }),
        ))
    }

    #[test]
    fn basic_table_of_the_spec() {
        use Arch::*;
        type Row = (GoType, (u64, u64), (u64, u64));
        let rows: &[Row] = &[
            (b(Bool), (1, 1), (1, 1)),
            (b(Int16), (2, 2), (2, 2)),
            (b(Float32), (4, 4), (4, 4)),
            (b(Uint64), (8, 4), (8, 8)),
            (b(Uintptr), (4, 4), (8, 8)),
            (b(Complex64), (8, 4), (8, 4)),
            (b(Complex128), (16, 4), (16, 8)),
            (b(STR), (8, 4), (16, 8)),
            (GoType::Slice(Box::new(b(Int))), (12, 4), (24, 8)),
            (GoType::Func("func()".into()), (4, 4), (8, 8)),
            (GoType::Interface(String::new()), (8, 4), (16, 8)),
            (GoType::Array(0, Box::new(b(Int64))), (0, 4), (0, 8)),
            (GoType::Array(3, Box::new(b(Int8))), (3, 1), (3, 1)),
            (GoType::Array(3, Box::new(b(Complex64))), (24, 4), (24, 4)),
            (GoType::Array(10, Box::new(empty())), (0, 1), (0, 1)),
        ];
        for (t, small, big) in rows {
            for a in Arch::ALL {
                let want = if a.is_32bit() { small } else { big };
                assert_eq!(sa(t, a), *want, "{t} on {a}");
            }
        }
        assert_eq!(sa(&b(Int64), I386), (8, 4));
    }

    #[test]
    fn struct_probes_of_the_spec() {
        use Arch::{Amd64, I386};
        let t = st(&[("A", b(Int8)), ("B", b(Int64))]);
        assert_eq!((sa(&t, I386), offs(&t, I386)), ((12, 4), vec![0, 4]));
        assert_eq!((sa(&t, Amd64), offs(&t, Amd64)), ((16, 8), vec![0, 8]));
        let t = st(&[("A", b(Int32)), ("Z", empty())]);
        assert_eq!((sa(&t, I386), offs(&t, I386)), ((8, 4), vec![0, 4]));
        let t = st(&[("Z", empty()), ("A", b(Int32))]);
        assert_eq!(sa(&t, Amd64), (4, 4));
        let t = st(&[("A", b(Int8)), ("Z", GoType::Array(0, Box::new(b(Int64))))]);
        assert_eq!((sa(&t, I386), offs(&t, I386)), ((8, 4), vec![0, 4]));
        assert_eq!((sa(&t, Amd64), offs(&t, Amd64)), ((16, 8), vec![0, 8]));
        let t = st(&[("A", b(Int8)), ("B", b(Complex128))]);
        assert_eq!(sa(&t, I386), (20, 4));
        let t = st(&[("A", b(Bool)), ("B", b(Int16)), ("C", b(Bool))]);
        assert_eq!((sa(&t, I386), offs(&t, I386)), ((6, 2), vec![0, 2, 4]));
        let n = st(&[("X", b(Int16)), ("Y", b(Int8))]);
        let t = st(&[("A", b(Int8)), ("N", n), ("B", b(Int8))]);
        assert_eq!((sa(&t, Amd64), offs(&t, Amd64)), ((8, 2), vec![0, 2, 6]));
        let t = st(&[("A", b(Int8)), ("R", GoType::Array(3, Box::new(b(Int64))))]);
        assert_eq!(sa(&t, I386), (28, 4));
        let pair = st(&[("A", b(Int64)), ("B", b(Int8))]);
        assert_eq!(sa(&GoType::Array(2, Box::new(pair)), I386), (24, 4));
    }

    #[test]
    fn align64_makes_atomic_int64_8_aligned_on_386() {
        let t = st(&[("A", b(Int8)), ("B", atomic_int64())]);
        for a in [Arch::I386, Arch::Arm, Arch::Mips, Arch::Amd64] {
            assert_eq!((sa(&t, a), offs(&t, a)), ((16, 8), vec![0, 8]), "{a}");
        }
        // A user-defined align64 elsewhere has no effect.
        let mine = GoType::named(Named::new("example.com/x", "align64", empty()));
        let t = st(&[("_", mine), ("v", b(Int64))]);
        assert_eq!(sa(&t, Arch::I386), (8, 4));
    }

    #[test]
    fn ptrdata_follows_fieldalignment() {
        let t = st(&[
            ("a", b(Int64)),
            ("p", GoType::Pointer(Box::new(b(Int)))),
            ("c", b(Int8)),
        ]);
        assert_eq!(info(&t, Arch::Amd64).unwrap().ptrdata, 16);
        let arr = GoType::Array(3, Box::new(b(STR)));
        assert_eq!(info(&arr, Arch::Amd64).unwrap().ptrdata, 40);
        assert_eq!(
            info(&GoType::Array(3, Box::new(b(Int))), Arch::Amd64)
                .unwrap()
                .ptrdata,
            0
        );
    }

    #[test]
    fn too_large_is_an_error_not_a_wrap() {
        let t = GoType::Array(1 << 40, Box::new(b(Int64)));
        assert!(matches!(
            info(&t, Arch::I386),
            Err(LayoutError::TooLarge(_))
        ));
        assert_eq!(sizeof(&t, Arch::Amd64).unwrap(), 8 << 40);
        let huge = GoType::Array(u64::MAX, Box::new(b(Int64)));
        assert!(info(&huge, Arch::Amd64).is_err());
    }

    /// A Go array length is an `int` of the target: `[1<<63]struct{}` exists
    /// on no arch and `[1<<31]struct{}` not on 32-bit ones ("array length ...
    /// must be integer"), although their size would be 0.
    #[test]
    fn zero_size_arrays_longer_than_int_are_too_large() {
        for (n, ok32, ok64) in [
            (u64::MAX, false, false),
            (1 << 63, false, false),
            (i64::MAX as u64, false, true),
            (1 << 31, false, true),
            (i32::MAX as u64, true, true),
        ] {
            let t = GoType::Array(n, Box::new(empty()));
            for a in Arch::ALL {
                let ok = if a.ptr_size() == 4 { ok32 } else { ok64 };
                let r = info(&t, a);
                assert_eq!(r.is_ok(), ok, "[{n}]struct{{}} on {a}: {r:?}");
                if ok {
                    assert_eq!(r.unwrap().size, 0);
                } else {
                    assert!(matches!(r, Err(LayoutError::TooLarge(_))));
                }
            }
        }
        let s = st(&[
            ("a", GoType::Array(1 << 49, Box::new(b(Int8)))),
            ("b", GoType::Array(1 << 49, Box::new(b(Int8)))),
        ]);
        assert!(info(&s, Arch::Amd64).is_err());
    }
}
