//! Kinds, type flags and the kind byte: Go's `runtime/typekind.go` and `tflag`.
//!
//! These are plain data and need no allocator, so they are the part of the
//! crate that builds without the `alloc` feature.

use core::fmt;

/// What sort of type a descriptor describes: Go's `reflect.Kind`.
///
/// The discriminants are Go's (`Bool` = 1 … `UnsafePointer` = 26), so they fit
/// in the low five bits of the kind byte ([`KIND_MASK`]).
///
/// # Examples
///
/// ```
/// use goiface::Kind;
/// assert_eq!(Kind::Pointer as u8, 22);
/// assert_eq!(Kind::Pointer.to_string(), "ptr");
/// assert_eq!(Kind::from_u8(24), Some(Kind::String));
/// ```
#[doc(alias = "reflect.Kind")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Kind {
    Invalid = 0,
    Bool,
    Int,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uintptr,
    Float32,
    Float64,
    Complex64,
    Complex128,
    Array,
    Chan,
    Func,
    Interface,
    Map,
    Pointer,
    Slice,
    String,
    Struct,
    UnsafePointer,
}

const ALL_KINDS: [Kind; 27] = [
    Kind::Invalid,
    Kind::Bool,
    Kind::Int,
    Kind::Int8,
    Kind::Int16,
    Kind::Int32,
    Kind::Int64,
    Kind::Uint,
    Kind::Uint8,
    Kind::Uint16,
    Kind::Uint32,
    Kind::Uint64,
    Kind::Uintptr,
    Kind::Float32,
    Kind::Float64,
    Kind::Complex64,
    Kind::Complex128,
    Kind::Array,
    Kind::Chan,
    Kind::Func,
    Kind::Interface,
    Kind::Map,
    Kind::Pointer,
    Kind::Slice,
    Kind::String,
    Kind::Struct,
    Kind::UnsafePointer,
];

impl Kind {
    /// The kind whose number is `k` (the low five bits of a kind byte).
    ///
    /// ```
    /// assert_eq!(goiface::Kind::from_u8(2), Some(goiface::Kind::Int));
    /// assert_eq!(goiface::Kind::from_u8(27), None);
    /// ```
    #[inline]
    pub const fn from_u8(k: u8) -> Option<Kind> {
        if (k as usize) < ALL_KINDS.len() {
            Some(ALL_KINDS[k as usize])
        } else {
            None
        }
    }

    /// Go's `Kind.String()` (`"ptr"` for [`Kind::Pointer`], as in Go 1.19).
    ///
    /// ```
    /// assert_eq!(goiface::Kind::UnsafePointer.name(), "unsafe.Pointer");
    /// ```
    pub const fn name(self) -> &'static str {
        use Kind::*;
        match self {
            Invalid => "invalid",
            Bool => "bool",
            Int => "int",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            Uint => "uint",
            Uint8 => "uint8",
            Uint16 => "uint16",
            Uint32 => "uint32",
            Uint64 => "uint64",
            Uintptr => "uintptr",
            Float32 => "float32",
            Float64 => "float64",
            Complex64 => "complex64",
            Complex128 => "complex128",
            Array => "array",
            Chan => "chan",
            Func => "func",
            Interface => "interface",
            Map => "map",
            Pointer => "ptr",
            Slice => "slice",
            String => "string",
            Struct => "struct",
            UnsafePointer => "unsafe.Pointer",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Mask of the kind number in the kind byte.
///
/// Go: `kindMask` (runtime/typekind.go).
pub const KIND_MASK: u8 = (1 << 5) - 1;
/// Kind-byte bit: the value is stored directly in the interface data word
/// (pointer-shaped types).
///
/// Go: `kindDirectIface` (runtime/typekind.go).
pub const KIND_DIRECT_IFACE: u8 = 1 << 5;
/// Kind-byte bit: `gcdata` is a GC program (never set here: bitmaps only).
///
/// Go: `kindGCProg` (runtime/typekind.go).
pub const KIND_GC_PROG: u8 = 1 << 6;

/// `tflag` bit: the type has an uncommon part (a name or methods).
///
/// Go: `tflagUncommon` (runtime/type.go).
pub const TFLAG_UNCOMMON: u8 = 1 << 0;
/// `tflag` bit: the string has an extra leading `*`.
///
/// Go: `tflagExtraStar` (runtime/type.go).
pub const TFLAG_EXTRA_STAR: u8 = 1 << 1;
/// `tflag` bit: the type has a name.
///
/// Go: `tflagNamed` (runtime/type.go).
pub const TFLAG_NAMED: u8 = 1 << 2;
/// `tflag` bit: equality and hashing may treat the value as plain bytes.
///
/// Go: `tflagRegularMemory` (runtime/type.go).
pub const TFLAG_REGULAR_MEMORY: u8 = 1 << 3;

/// A channel's direction: Go's `reflect.ChanDir`.
///
/// ```
/// assert_eq!(goiface::ChanDir::Both as u8, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ChanDir {
    /// `<-chan T`
    Recv = 1,
    /// `chan<- T`
    Send = 2,
    /// `chan T`
    Both = 3,
}
