//! Where the data word of a conversion `T → interface` comes from, and
//! whether it allocates: Go 1.19's `walk.dataWord` and the `convT*` helpers.
//!
//! This crate's [`Eface`](crate::Eface) stores every value inline, so it
//! never needs Go's choices; a tool that models Go programs does (escape and
//! allocation reports, cost models). [`data_word`] reproduces the compiler's
//! decision, first match wins:
//!
//! | case                                   | data word          | allocates |
//! |----------------------------------------|--------------------|-----------|
//! | pointer-shaped (direct) type           | the value          | no        |
//! | size 0                                 | `&zerobase`        | no        |
//! | bool or 1-byte integer (sole component)| `&staticuint64s[v]`| no        |
//! | a constant                             | read-only static   | no        |
//! | does not escape, size ≤ 1024           | stack temporary    | no        |
//! | size 2 align 2 / 4 & 4 no ptrs / 8 & uint64's align no ptrs | `convT16/32/64` | iff value ≥ 256 |
//! | sole component string / slice          | `convTstring/slice`| unless `""` / nil |
//! | otherwise                              | `convT`/`convTnoptr` | yes     |

use golayout::BasicKind;

use crate::kind::Kind;
use crate::ty::{Detail, Type, HOST_ARCH};
use crate::value::Val;

/// The source of a conversion's data word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataWord {
    /// The value itself (pointer-shaped types).
    Direct,
    /// `&runtime.zerobase` (zero-size types).
    ZeroBase,
    /// `&runtime.staticuint64s[v]`.
    StaticUint64s,
    /// The address of a read-only static holding a constant.
    ReadOnlyStatic,
    /// A stack temporary (the interface does not escape).
    StackTemp,
    /// `runtime.convT16`.
    ConvT16,
    /// `runtime.convT32`.
    ConvT32,
    /// `runtime.convT64`.
    ConvT64,
    /// `runtime.convTstring`.
    ConvTstring,
    /// `runtime.convTslice`.
    ConvTslice,
    /// `runtime.convT` (type with pointers).
    ConvT,
    /// `runtime.convTnoptr`.
    ConvTnoptr,
}

/// Go's `Type.SoleComponent`: through 1-field structs and 1-element arrays.
fn sole_component(t: &'static Type) -> Option<&'static Type> {
    match t.detail() {
        Detail::Struct(fs) if fs.len() == 1 => sole_component(fs[0].typ()),
        Detail::Struct(_) => None,
        Detail::Array(e, 1) => sole_component(e),
        Detail::Array(..) => None,
        _ => Some(t),
    }
}

fn sole_value(v: &Val) -> &Val {
    match v {
        Val::Struct(x) | Val::Array(x) if x.len() == 1 => sole_value(&x[0]),
        v => v,
    }
}

/// The value's bits as `convT16/32/64` see them: its bytes read as a
/// little-endian integer (386 and amd64, the arches of [`HOST_ARCH`]), each
/// component at its offset, so `struct{ a, b int32 }{1, 0}` is 1 (measured:
/// no allocation on 386) and `{0, 1}` is 1 << 32.
fn bits(t: &'static Type, v: &Val) -> u64 {
    let mut acc = 0;
    le_bits(t, v, 0, &mut acc);
    acc
}

/// ORs the little-endian bits of `v` (of type `t`, at byte `off`) into `acc`.
fn le_bits(t: &'static Type, v: &Val, off: u64, acc: &mut u64) {
    let raw = match (t.detail(), v) {
        (Detail::Struct(fs), Val::Struct(xs)) => {
            for (f, x) in fs.iter().zip(xs) {
                le_bits(f.typ(), x, off + f.offset(), acc);
            }
            return;
        }
        (Detail::Array(e, _), Val::Array(xs)) => {
            for (i, x) in xs.iter().enumerate() {
                le_bits(e, x, off + i as u64 * e.size(), acc);
            }
            return;
        }
        (_, Val::Bool(b)) => *b as u64,
        (_, Val::Int(i)) => (*i as u64) & mask(t.size()),
        (_, Val::Uint(u)) => *u & mask(t.size()),
        (Detail::Basic(BasicKind::Float32), Val::Float(x)) => (*x as f32).to_bits() as u64,
        (_, Val::Float(x)) => x.to_bits(),
        (_, Val::Complex(r, i)) => {
            (*r as f32).to_bits() as u64 | ((*i as f32).to_bits() as u64) << 32
        }
        _ => 0,
    };
    if off < 8 {
        *acc |= raw << (off * 8);
    }
}

fn mask(size: u64) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (size * 8)) - 1
    }
}

/// Go's `dataWord` for converting `v` of type `t` to an interface:
/// `constant` if `v` is a compile-time constant, `escapes` if the interface
/// escapes. Returns the data word's source and whether it allocates.
///
/// # Examples
///
/// ```
/// use goiface::{data_word, types, DataWord, Val};
/// // iface.md c9: int 255 does not allocate, int 256 does.
/// // (convT64 on 64-bit targets, convT32 on 32-bit ones, where int is 4 bytes.)
/// let conv = if cfg!(target_pointer_width = "64") { DataWord::ConvT64 } else { DataWord::ConvT32 };
/// assert_eq!(data_word(types::int(), &Val::Int(255), false, true), (conv, false));
/// assert_eq!(data_word(types::int(), &Val::Int(256), false, true), (conv, true));
/// assert_eq!(data_word(types::int(), &Val::Int(1000), true, true).1, false); // constant
/// ```
pub fn data_word(t: &'static Type, v: &Val, constant: bool, escapes: bool) -> (DataWord, bool) {
    if t.is_direct_iface() {
        return (DataWord::Direct, false);
    }
    let sc = sole_component(t);
    let is_bool = sc.is_some_and(|c| c.kind() == Kind::Bool);
    let is_int = sc
        .is_some_and(|c| matches!(c.detail(), Detail::Basic(b) if b.int_bits(HOST_ARCH).is_some()));
    if t.size() == 0 {
        return (DataWord::ZeroBase, false);
    }
    if is_bool || (t.size() == 1 && is_int) {
        return (DataWord::StaticUint64s, false);
    }
    if constant {
        return (DataWord::ReadOnlyStatic, false);
    }
    if !escapes && t.size() <= 1024 {
        return (DataWord::StackTemp, false);
    }
    let u64_align = crate::types::uint64().align();
    let no_ptrs = t.ptrdata() == 0;
    if t.size() == 2 && t.align() == 2 {
        return (DataWord::ConvT16, bits(t, v) >= 256);
    }
    if t.size() == 4 && t.align() == 4 && no_ptrs {
        return (DataWord::ConvT32, bits(t, v) >= 256);
    }
    if t.size() == 8 && t.align() == u64_align && no_ptrs {
        return (DataWord::ConvT64, bits(t, v) >= 256);
    }
    match (sc.map(|c| c.detail()), sole_value(v)) {
        (Some(Detail::Basic(BasicKind::String)), Val::String(s)) => {
            return (DataWord::ConvTstring, !s.is_empty())
        }
        (Some(Detail::Slice(_)), Val::Slice(s)) => return (DataWord::ConvTslice, s.is_some()),
        _ => {}
    }
    if no_ptrs {
        (DataWord::ConvTnoptr, true)
    } else {
        (DataWord::ConvT, true)
    }
}
