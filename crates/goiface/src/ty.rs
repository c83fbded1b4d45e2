//! Type descriptors: Go's `_type`, `uncommontype`, `method`, `imethod`.
//!
//! # What
//!
//! A [`Type`] is the run-time description of one Go type: what the type word
//! of an interface points to. It is built once and lives for the rest of the
//! program (Go's descriptors are read-only linker data), so every constructor
//! returns `&'static Type` and *identity is the address*: two descriptors are
//! the same type iff they are the same allocation.
//!
//! Unnamed composite types are interned, as the linker dedups them and as
//! `reflect.SliceOf`/`PtrTo`/`MapOf` do with their caches: `slice_of(int())`
//! returns the same descriptor every time. Named types are *not* interned:
//! each [`Named::build`] makes a new type, even with the same name — that is
//! Go's "types from different scopes" case.
//!
//! # Layout
//!
//! ```text
//! Type ┌ size, ptrdata, hash, tflag, align, field_align, kind ┐ Go's _type header
//!      │ comparable (Go: equal != nil), gcdata bitmap, string  ┘
//!      │ link string (hash input), uncommon: pkg path + name
//!      │ methods: [Method] sorted (exported first, then name, then pkg)
//!      └ detail: Ptr(elem) | Slice(elem) | Array(elem, n) | Map(k, v) |
//!                Chan(dir, elem) | Func(params, results, variadic) |
//!                Struct([fields with offsets]) | Interface(pkg, [imethods])
//! ```
//!
//! # Invariants
//!
//! - I1: `methods` is sorted by [`method_order`]; `Interface` imethods too.
//! - I2: a method's signature (`mtyp`) is an interned func type, so signatures
//!   match iff their descriptors are the same (Go: canonical types).
//! - I3: size, align and ptrdata are golayout's for [`HOST_ARCH`]; the gcdata
//!   bitmap has one bit per word of `ptrdata`.
//! - I4: descriptors are never freed; every one is reachable from the global
//!   registry (so leak checkers see them as live, as Go's are).
//!
//! # Decisions
//!
//! *Sizes* come from `golayout` (its calculator is `no_std + alloc` and free of
//! `unsafe`; the dependency points from goiface to golayout, never back).
//! Each descriptor is translated into a `golayout::GoType` once, at
//! construction, and golayout's `info`/`offsetsof` give size, align, ptrdata
//! and field offsets. [`HOST_ARCH`] is amd64 on 64-bit targets and 386 on
//! 32-bit ones, so the i686 tests see the 386 layouts of iface.md.
//!
//! *Methods* carry Rust function pointers ([`MethodFn`]); a method declared on
//! a pointer receiver is in `*T`'s method set only, a value-receiver method is
//! in both, reached from `*T` through a dereferencing wrapper (Go's
//! compiler-generated `(*T).M`).
//!
//! *Promotion* follows the spec's selector rules: a struct gains the methods
//! of its embedded fields (shallowest depth wins, same depth cancels, fields
//! of the same name hide them), each recording the [`Hop`]s from the struct
//! to the field. An embedded interface `I` lends I's methods to the struct
//! and its pointer; such a method has no function of its own, a call
//! dispatches on the value the field holds (Go's `S.M` wrapper).
//!
//! # Go correspondence
//!
//! Go 1.19 `runtime/type.go`: `_type` → [`Type`], `uncommontype` → name and
//! pkg path in [`Type`], `method` → [`Method`], `imethod` → [`IMethod`],
//! `interfacetype` → [`Detail::Interface`], `typehash` → `crate::alg`;
//! `cmd/compile/internal/types/fmt.go` `LinkString`/`TypeHash` → `link` and
//! [`Type::hash`]; `types.Sym.Less` → [`method_order`].
//!
//! # Divergences
//!
//! No GC programs (always a bitmap, so a type whose pointer-holding prefix
//! is more than [`MAX_PTRMASK_WORDS`] words, e.g. `[1<<40]*int`, is
//! [`TypeError::Layout`]: Go describes it with a GC program); no `ptrToThis`/`str` offsets (plain
//! references and strings); methods declared at type creation (a method
//! signature cannot mention the type being declared except through a
//! pointer/slice/… built later — declare such methods on a second named type).
//! Arrays and structs nest inside one another at most [`MAX_NESTING`] deep
//! (Go has no limit): layout, zero values, `==`, hashing and dropping a value
//! recurse through them, so a deeper type is [`TypeError::Layout`] instead of
//! a stack overflow.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use golayout::{Arch, BasicKind, GoType};

use crate::iface::Eface;
use crate::kind::*;
use crate::value::Val;

/// How deep arrays and structs may nest inside one another (`[1][1]…int`,
/// `struct{ x struct{ … } }`); pointers, slices, maps, chans, funcs and
/// interfaces start again from 0. Deeper types are [`TypeError::Layout`].
pub const MAX_NESTING: u32 = 100;

/// The most pointer-sized words a type's pointer bitmap ([`Type::gcdata`])
/// may cover: 8 Mi words (a 1 MiB bitmap; 64 MiB of pointer-holding prefix
/// on 64-bit hosts). Go switches to a GC program past 16 Ki words; goiface
/// has no GC programs, so a larger type is [`TypeError::Layout`] instead of
/// a bitmap too large to build.
pub const MAX_PTRMASK_WORDS: u64 = 1 << 23;

/// The architecture whose layouts the descriptors use: amd64 on 64-bit
/// targets, 386 on 32-bit ones (arm and mips share 386's rules for every
/// size this crate computes).
pub const HOST_ARCH: Arch = if cfg!(target_pointer_width = "64") {
    Arch::Amd64
} else {
    Arch::I386
};

/// A method implementation: receives the receiver's value (for a pointer
/// receiver, the [`Val::Pointer`]), the arguments, and slots for the results.
pub type MethodFn = fn(recv: &Val, args: &[Eface], results: &mut [Eface]);

/// One method of a named type (Go: `runtime.method`).
///
/// # Examples
///
/// ```
/// use goiface::{types, Method, Val, Eface};
/// fn quack(_: &Val, _: &[Eface], out: &mut [Eface]) { out[0] = Eface::from_string("Quack"); }
/// let m = Method::new("Quack", types::func_of(&[], &[types::string()], false), quack);
/// assert_eq!(m.name(), "Quack");
/// assert!(!m.is_pointer_receiver());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Method {
    name: &'static str,
    pkg_path: &'static str,
    mtyp: &'static Type,
    body: MethodBody,
    pointer_receiver: bool,
    /// Whether the declaration's receiver is `*E` (equal to
    /// `pointer_receiver` except for methods promoted through `*E` fields).
    declared_on_pointer: bool,
    /// For a method promoted through embedded fields: the fields to walk
    /// from the receiver to the embedded value that declares it.
    via: &'static [Hop],
}

/// What a call of a [`Method`] runs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum MethodBody {
    /// A Rust function.
    Func(MethodFn),
    /// Method `index` of the interface `inter`, the type of the embedded
    /// field the method's `via` ends at: a call dispatches on that field's
    /// dynamic value (Go's wrapper for a method promoted from an embedded
    /// interface).
    Interface {
        inter: &'static Type,
        index: usize,
    },
}

/// The field names a selector can reach in a struct with `fields`, with
/// their depth (0: its own fields; d + 1: the fields of a struct embedded,
/// directly or through a pointer, at depth d) and package, up to
/// `max_depth`. A struct type met twice at one depth (a diamond of
/// embeddings) is walked once, so the walk is linear in the types.
fn field_names(
    fields: &[StructField],
    max_depth: usize,
) -> Vec<(&'static str, &'static str, usize)> {
    let mut out: Vec<(&'static str, &'static str, usize)> = Vec::new();
    let mut level: Vec<&[StructField]> = alloc::vec![fields];
    let mut seen: Vec<(*const Type, usize)> = Vec::new();
    for depth in 0..=max_depth {
        let mut next: Vec<&[StructField]> = Vec::new();
        for fs in level {
            for f in fs {
                out.push((f.name, f.pkg_path, depth));
                if !f.embedded {
                    continue;
                }
                let base = match f.typ.detail {
                    Detail::Pointer(e) => e,
                    _ => f.typ,
                };
                if let Detail::Struct(inner) = &base.detail {
                    let key = (base as *const Type, depth + 1);
                    if !seen.contains(&key) {
                        seen.push(key);
                        next.push(inner);
                    }
                }
            }
        }
        level = next;
    }
    out
}

/// One step from a struct to an embedded field, for promoted methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    /// The embedded field's index.
    pub field: usize,
    /// Whether the field is a pointer (`struct{ *T }`) to follow.
    pub deref: bool,
}

impl Method {
    /// A value-receiver method `func (T) name<mtyp>`; `mtyp` is the signature
    /// without receiver (a func type).
    pub fn new(name: &str, mtyp: &'static Type, func: MethodFn) -> Method {
        Method {
            name: leak_str(name),
            pkg_path: "",
            mtyp,
            body: MethodBody::Func(func),
            pointer_receiver: false,
            declared_on_pointer: false,
            via: &[],
        }
    }

    /// The same method declared on a pointer receiver, `func (*T) name`:
    /// only `*T` has it.
    pub fn pointer_receiver(mut self) -> Method {
        self.pointer_receiver = true;
        self.declared_on_pointer = true;
        self
    }

    /// Whether the declaration takes `*E` (differs from
    /// [`Method::is_pointer_receiver`] for methods promoted through an
    /// embedded `*E`, which values of the struct have too).
    pub fn declared_on_pointer(&self) -> bool {
        self.declared_on_pointer
    }

    /// The method's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The package of an unexported method ("" for exported ones).
    pub fn pkg_path(&self) -> &'static str {
        self.pkg_path
    }

    /// The signature (a func type without receiver).
    pub fn mtyp(&self) -> &'static Type {
        self.mtyp
    }

    /// The implementation: `None` for a method promoted from an embedded
    /// interface field, which has none of its own (a call runs the method
    /// of the value the field holds, see [`Method::interface_method`]).
    pub fn func(&self) -> Option<MethodFn> {
        match self.body {
            MethodBody::Func(f) => Some(f),
            MethodBody::Interface { .. } => None,
        }
    }

    /// What a call runs.
    pub(crate) fn body(&self) -> MethodBody {
        self.body
    }

    /// For a method promoted from an embedded interface field: the
    /// interface type and the method's index in its sorted method list.
    pub fn interface_method(&self) -> Option<(&'static Type, usize)> {
        match self.body {
            MethodBody::Func(_) => None,
            MethodBody::Interface { inter, index } => Some((inter, index)),
        }
    }

    /// Whether it was declared on `*T` (for a promoted method: whether it
    /// needs an addressable receiver, so only the pointer type has it).
    pub fn is_pointer_receiver(&self) -> bool {
        self.pointer_receiver
    }

    /// The embedded fields a promoted method is reached through (empty for
    /// a method declared on the type itself).
    pub fn via(&self) -> &'static [Hop] {
        self.via
    }
}

/// Go's method promotion: the methods a struct gains from its embedded
/// fields. Embedded `T` gives T's value methods to S and `*S` and T's
/// pointer methods to `*S` only; embedded `*T` gives all of T's methods to
/// both. The shallowest depth wins; two at the same depth cancel out; the
/// struct's own methods (depth 0) shadow all of them. Fields and methods
/// share one namespace (Go spec, "Selectors"): a field named like a
/// method at the same or a shallower depth hides it (`struct{ M int; T }`
/// has no method `M`; nor has `struct{ T; U }` when U has a field `M`).
/// Unexported names of different packages never meet (`q.m` is not
/// `main.m`).
fn promoted(detail: &Detail, own: &[Method]) -> Vec<Method> {
    let Detail::Struct(fields) = detail else {
        return Vec::new();
    };
    let mut cands: Vec<Method> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if !f.embedded {
            continue;
        }
        let (base, deref) = match f.typ.detail {
            Detail::Pointer(e) => (e, true),
            _ => (f.typ, false),
        };
        for m in base.declared.iter() {
            let mut via = Vec::with_capacity(m.via.len() + 1);
            via.push(Hop { field: i, deref });
            via.extend_from_slice(m.via);
            cands.push(Method {
                pointer_receiver: m.pointer_receiver && !deref,
                via: crate::registry::leak_hops(via),
                ..*m
            });
        }
        // An embedded interface lends its methods to values and pointers
        // alike: a call goes to the method of the value it holds.
        if matches!(f.typ.detail, Detail::Interface { .. }) {
            for (index, im) in f.typ.imethods().iter().enumerate() {
                cands.push(Method {
                    name: im.name,
                    pkg_path: im.pkg_path,
                    mtyp: im.typ,
                    body: MethodBody::Interface {
                        inter: f.typ,
                        index,
                    },
                    pointer_receiver: false,
                    declared_on_pointer: false,
                    via: crate::registry::leak_hops(alloc::vec![Hop {
                        field: i,
                        deref: false
                    }]),
                });
            }
        }
    }
    let max_depth = cands.iter().map(|c| c.via.len()).max().unwrap_or(0);
    let fields_by_depth = field_names(fields, max_depth);
    // One identifier: the name, and for an unexported one its package
    // (`q.m` and `main.m` are different methods; exported ones have "").
    let same = |a: &Method, b: &Method| a.name == b.name && a.pkg_path == b.pkg_path;
    let mut out = Vec::new();
    for m in &cands {
        if own.iter().any(|o| same(o, m)) || out.iter().any(|o: &Method| same(o, m)) {
            continue;
        }
        let hidden = fields_by_depth.iter().any(|&(name, pkg, depth)| {
            depth <= m.via.len() && name == m.name && (is_exported(name) || pkg == m.pkg_path)
        });
        if hidden {
            continue;
        }
        let depth = m.via.len();
        let best = cands.iter().filter(|c| same(c, m)).map(|c| c.via.len()).min();
        if best != Some(depth) {
            continue;
        }
        if cands.iter().filter(|c| same(c, m) && c.via.len() == depth).count() == 1 {
            out.push(*m);
        }
    }
    out
}

/// One method of an interface type (Go: `runtime.imethod`).
///
/// ```
/// use goiface::{types, IMethod};
/// let m = IMethod::new("String", types::func_of(&[], &[types::string()], false));
/// assert_eq!(m.name(), "String");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct IMethod {
    name: &'static str,
    pkg_path: &'static str,
    typ: &'static Type,
}

impl IMethod {
    /// An interface method `name<typ>`; `typ` is a func type.
    pub fn new(name: &str, typ: &'static Type) -> IMethod {
        IMethod {
            name: leak_str(name),
            pkg_path: "",
            typ,
        }
    }

    /// The method's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The package of an unexported method ("" for exported ones).
    pub fn pkg_path(&self) -> &'static str {
        self.pkg_path
    }

    /// The signature.
    pub fn typ(&self) -> &'static Type {
        self.typ
    }
}

/// One struct field (Go: `runtime.structfield`).
#[derive(Clone, Copy, Debug)]
pub struct StructField {
    name: &'static str,
    pkg_path: &'static str,
    typ: &'static Type,
    offset: u64,
    embedded: bool,
}

impl StructField {
    /// The field's name (`_` for a blank field).
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The package of an unexported field ("" for exported ones).
    pub fn pkg_path(&self) -> &'static str {
        self.pkg_path
    }
    /// The field's type.
    pub fn typ(&self) -> &'static Type {
        self.typ
    }
    /// Its byte offset in the struct on [`HOST_ARCH`].
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// Whether it is embedded.
    pub fn embedded(&self) -> bool {
        self.embedded
    }
    /// Whether the name is exported (starts with an upper-case letter).
    pub fn is_exported(&self) -> bool {
        is_exported(self.name)
    }
}

/// The kind-specific part of a descriptor.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Detail {
    /// Booleans, numbers, strings, `unsafe.Pointer`.
    Basic(BasicKind),
    Pointer(&'static Type),
    Slice(&'static Type),
    Array(&'static Type, u64),
    Map(&'static Type, &'static Type),
    Chan(ChanDir, &'static Type),
    Func {
        params: Box<[&'static Type]>,
        results: Box<[&'static Type]>,
        variadic: bool,
    },
    Struct(Box<[StructField]>),
    Interface {
        pkg_path: &'static str,
        methods: Box<[IMethod]>,
    },
}

/// A type descriptor: Go's `_type` plus its kind-specific tail.
///
/// # Examples
///
/// ```
/// use goiface::{types, Kind};
/// let t = types::slice_of(types::int());
/// assert_eq!(t.kind(), Kind::Slice);
/// assert_eq!(t.to_string(), "[]int");
/// assert!(core::ptr::eq(t, types::slice_of(types::int()))); // interned
/// assert_eq!(types::int().hash(), 0xcb735792); // Go's type hash
/// ```
#[doc(alias = "_type")]
pub struct Type {
    size: u64,
    ptrdata: u64,
    hash: u32,
    tflag: u8,
    align: u8,
    field_align: u8,
    kind: u8,
    comparable: bool,
    /// How deep arrays and structs nest inline (at most `MAX_NESTING`).
    nesting: u32,
    gcdata: Box<[u8]>,
    string: Box<str>,
    link: Box<str>,
    pkg_path: &'static str,
    name: &'static str,
    declared: Box<[Method]>,
    methods: Box<[Method]>,
    detail: Detail,
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Type({})", self.string)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.string)
    }
}

/// Whether two optional descriptors are the same type (address identity).
#[inline]
pub(crate) fn same_type(a: Option<&'static Type>, b: Option<&'static Type>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => core::ptr::eq(a, b),
        _ => false,
    }
}

impl Type {
    /// `t.Kind()`.
    #[inline]
    pub fn kind(&self) -> Kind {
        // Invariant: built from a `Kind`, so the low bits are always valid.
        Kind::from_u8(self.kind & KIND_MASK).unwrap_or(Kind::Invalid)
    }
    /// The raw kind byte (kind | [`KIND_DIRECT_IFACE`]).
    pub fn kind_byte(&self) -> u8 {
        self.kind
    }
    /// Whether the value itself is the interface data word (pointer-shaped).
    #[inline]
    pub fn is_direct_iface(&self) -> bool {
        self.kind & KIND_DIRECT_IFACE != 0
    }
    /// `unsafe.Sizeof` on [`HOST_ARCH`].
    #[inline]
    pub fn size(&self) -> u64 {
        self.size
    }
    /// `unsafe.Alignof` on [`HOST_ARCH`].
    pub fn align(&self) -> u8 {
        self.align
    }
    /// Alignment as a struct field.
    pub fn field_align(&self) -> u8 {
        self.field_align
    }
    /// Bytes up to the end of the last pointer word.
    pub fn ptrdata(&self) -> u64 {
        self.ptrdata
    }
    /// The pointer bitmap: bit `i` (byte `i/8`, bit `i%8`) set iff word `i`
    /// holds a pointer the collector must follow. As in Go, an interface's
    /// first word (its type or itab, never freed) is not marked.
    pub fn gcdata(&self) -> &[u8] {
        &self.gcdata
    }
    /// Go's type hash: `^LE32(SHA-256(link string)[0:4])`.
    #[inline]
    pub fn hash(&self) -> u32 {
        self.hash
    }
    /// The `tflag` byte.
    pub fn tflag(&self) -> u8 {
        self.tflag
    }
    /// Whether `==` is defined (Go: `t.equal != nil`).
    #[inline]
    pub fn comparable(&self) -> bool {
        self.comparable
    }
    /// The string panics and `reflect` print (`main.T`, `[]int`, `interface {}`).
    pub fn string(&self) -> &str {
        &self.string
    }
    /// The compiler's link string (the type-hash input; full package paths).
    pub fn link_string(&self) -> &str {
        &self.link
    }
    /// A named type's name ("" if unnamed).
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// A named type's package path ("" if unnamed or predeclared).
    pub fn pkg_path(&self) -> &'static str {
        self.pkg_path
    }
    /// The package path the runtime reports (Go: `(*_type).pkgpath`, used by
    /// `TypeAssertionError` to tell "different packages" from "different
    /// scopes"): with an uncommon part, its package (`typePkg`: a named
    /// type's, or for an unnamed pointer, array, slice or chan with methods
    /// its named element's; else ""); without, an unnamed struct's (the
    /// package of its unexported fields, "" if all are exported).
    pub(crate) fn runtime_pkg_path(&self) -> &'static str {
        if self.has_uncommon() {
            if !self.name.is_empty() {
                return self.pkg_path;
            }
            return match &self.detail {
                Detail::Pointer(e) | Detail::Slice(e) | Detail::Array(e, _) | Detail::Chan(_, e)
                    if !e.name.is_empty() =>
                {
                    e.pkg_path
                }
                _ => "",
            };
        }
        match &self.detail {
            Detail::Struct(fs) => fs
                .iter()
                .find(|f| !f.is_exported())
                .map_or("", |f| f.pkg_path),
            _ => "",
        }
    }

    /// The method set, sorted as Go sorts it (exported first, then by name).
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }
    /// The kind-specific part.
    #[inline]
    pub fn detail(&self) -> &Detail {
        &self.detail
    }
    /// Whether it has an uncommon part (a name or methods): types without one
    /// fail an assertion to a non-empty interface at once (nothing cached).
    #[inline]
    pub fn has_uncommon(&self) -> bool {
        self.tflag & TFLAG_UNCOMMON != 0
    }
    /// The element type of a pointer, slice, array, map or chan.
    pub fn elem(&self) -> Option<&'static Type> {
        match self.detail {
            Detail::Pointer(e) | Detail::Slice(e) | Detail::Array(e, _) | Detail::Chan(_, e) => {
                Some(e)
            }
            Detail::Map(_, v) => Some(v),
            _ => None,
        }
    }
    /// A struct's fields (empty for other kinds).
    pub fn fields(&self) -> &[StructField] {
        match &self.detail {
            Detail::Struct(f) => f,
            _ => &[],
        }
    }
    /// An interface's methods (empty for other kinds).
    #[inline]
    pub fn imethods(&self) -> &[IMethod] {
        match &self.detail {
            Detail::Interface { methods, .. } => methods,
            _ => &[],
        }
    }
    /// Whether this is `interface{}` (no methods).
    pub fn is_empty_interface(&self) -> bool {
        self.kind() == Kind::Interface && self.imethods().is_empty()
    }
    /// Whether a value of type `t` may be stored in a variable of this type
    /// (Go's `reflect` `t.AssignableTo(self)`): identical types; or at most
    /// one of them named and identical underlying types (a bidirectional
    /// `chan E` also goes to any `<-chan E` / `chan<- E` so); or this is an
    /// interface and `t` implements it (an interface `t` must list all of
    /// this one's methods).
    ///
    /// ```
    /// use goiface::{types, Named, ChanDir};
    /// let ints = types::slice_of(types::int());
    /// let my = Named::new("main", "MyInts", ints).build().unwrap();
    /// assert!(my.assignable_from(ints) && ints.assignable_from(my));
    /// let other = Named::new("main", "Other", ints).build().unwrap();
    /// assert!(!my.assignable_from(other)); // both named
    /// let (c, r) = (types::chan_of(ChanDir::Both, types::int()), types::chan_of(ChanDir::Recv, types::int()));
    /// assert!(r.assignable_from(c) && !c.assignable_from(r));
    /// ```
    pub fn assignable_from(&'static self, t: &'static Type) -> bool {
        if directly_assignable(self, t) {
            return true;
        }
        if self.kind() != Kind::Interface {
            return false;
        }
        if t.kind() == Kind::Interface {
            // Go's `implements(T, V)` for an interface V: V's method list
            // holds all of T's (one merge pass; both are sorted alike).
            let have = t.imethods();
            let mut j = 0;
            return self.imethods().iter().all(|m| {
                while let Some(h) = have.get(j) {
                    j += 1;
                    if h.name == m.name && h.pkg_path == m.pkg_path && core::ptr::eq(h.typ, m.typ) {
                        return true;
                    }
                }
                false
            });
        }
        crate::itab::implements(self, t).is_ok()
    }

    /// Checks that `v` has this type's shape (I1 of `crate::value`).
    ///
    /// # Errors
    ///
    /// [`ShapeError`] naming the type and what was found.
    ///
    /// # Examples
    ///
    /// ```
    /// use goiface::{types, Val};
    /// assert!(types::int().check(&Val::Int(1)).is_ok());
    /// assert!(types::int().check(&Val::from("x")).is_err());
    /// assert!(types::int8().check(&Val::Int(300)).is_err()); // out of range
    /// ```
    pub fn check(&self, v: &Val) -> Result<(), ShapeError> {
        let bad = || ShapeError {
            typ: self.string.to_string(),
        };
        let ok = match (&self.detail, v) {
            (Detail::Basic(b), v) => match (b, v) {
                (BasicKind::Bool, Val::Bool(_)) => true,
                (BasicKind::String, Val::String(_)) => true,
                (BasicKind::UnsafePointer, Val::Pointer(_)) => true,
                (BasicKind::Float32 | BasicKind::Float64, Val::Float(x)) => {
                    *b == BasicKind::Float64 || x.is_nan() || (*x as f32) as f64 == *x
                }
                (BasicKind::Complex64 | BasicKind::Complex128, Val::Complex(..)) => true,
                (b, Val::Int(i)) => match b.int_bits(HOST_ARCH) {
                    Some((bits, true)) => {
                        bits == 64 || (*i >> (bits - 1)) == 0 || (*i >> (bits - 1)) == -1
                    }
                    _ => false,
                },
                (b, Val::Uint(u)) => match b.int_bits(HOST_ARCH) {
                    Some((bits, false)) => bits == 64 || *u >> bits == 0,
                    _ => false,
                },
                _ => false,
            },
            (Detail::Pointer(_), Val::Pointer(_)) => true,
            (Detail::Slice(_), Val::Slice(_)) => true,
            (Detail::Map(..) | Detail::Chan(..) | Detail::Func { .. }, Val::Ref(_)) => true,
            (Detail::Array(e, n), Val::Array(v)) => {
                if v.len() as u64 != *n {
                    return Err(bad());
                }
                for x in v {
                    e.check(x)?;
                }
                true
            }
            (Detail::Struct(fs), Val::Struct(v)) => {
                if v.len() != fs.len() {
                    return Err(bad());
                }
                for (f, x) in fs.iter().zip(v) {
                    f.typ.check(x)?;
                }
                true
            }
            (Detail::Interface { .. }, Val::Iface(e)) => match e.typ() {
                None => true,
                Some(t) => self.assignable_from_ref(t),
            },
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(bad())
        }
    }

    fn assignable_from_ref(&self, t: &'static Type) -> bool {
        // `self` is an interface; `check` has no `'static` receiver, so find
        // the registered descriptor's methods directly.
        crate::itab::missing_method(self.imethods(), t).is_none()
    }

    /// The zero value of this type.
    ///
    /// ```
    /// use goiface::{types, Val};
    /// assert_eq!(types::array_of(2, types::bool()).zero(), Val::Array(vec![Val::Bool(false); 2]));
    /// ```
    ///
    /// # Panics
    ///
    /// When [`Type::try_zero`] gives `None`.
    pub fn zero(&self) -> Val {
        self.try_zero().unwrap_or_else(|| {
            panic!("goiface: the zero value of {self} does not fit in memory (one Val per array element)")
        })
    }

    /// The zero value of this type, or `None` when it does not fit in
    /// memory. A [`Val`] holds every array element, so `[1 << 60]struct{}`,
    /// zero bytes in Go, needs 2^60 values here: `None` when the values
    /// would pass the address space or an allocation fails, rather than
    /// aborting the process. (Where memory is overcommitted, an allocation
    /// that cannot be backed may still succeed and fail when written.)
    ///
    /// ```
    /// use goiface::types;
    /// let empty = types::struct_of("main", &[]).unwrap();
    /// // (Go for 386 refuses `[1 << 60]T`: int is 32 bits there.)
    /// let n = if cfg!(target_pointer_width = "64") { 1 << 60 } else { 1 << 30 };
    /// assert_eq!(types::array_of(n, empty).size(), 0);
    /// assert!(types::array_of(n, empty).try_zero().is_none());
    /// assert!(types::array_of(3, empty).try_zero().is_some());
    /// ```
    pub fn try_zero(&self) -> Option<Val> {
        let bytes = self.zero_values()?.checked_mul(core::mem::size_of::<Val>())?;
        if bytes > isize::MAX as usize {
            return None;
        }
        self.fill_zero()
    }

    /// How many [`Val`]s the zero value holds, if that fits a `usize`.
    fn zero_values(&self) -> Option<usize> {
        match &self.detail {
            Detail::Array(e, n) => usize::try_from(*n).ok()?.checked_mul(e.zero_values()?)?.checked_add(1),
            Detail::Struct(fs) => fs.iter().try_fold(1usize, |sum, f| sum.checked_add(f.typ.zero_values()?)),
            _ => Some(1),
        }
    }

    fn fill_zero(&self) -> Option<Val> {
        Some(match &self.detail {
            Detail::Basic(b) => match b {
                BasicKind::Bool => Val::Bool(false),
                BasicKind::String => Val::from(""),
                BasicKind::UnsafePointer => Val::Pointer(None),
                BasicKind::Float32 | BasicKind::Float64 => Val::Float(0.0),
                BasicKind::Complex64 | BasicKind::Complex128 => Val::Complex(0.0, 0.0),
                b => match b.int_bits(HOST_ARCH) {
                    Some((_, true)) => Val::Int(0),
                    _ => Val::Uint(0),
                },
            },
            Detail::Pointer(_) => Val::Pointer(None),
            Detail::Slice(_) => Val::Slice(None),
            Detail::Map(..) | Detail::Chan(..) | Detail::Func { .. } => Val::Ref(None),
            Detail::Array(e, n) => {
                // `zero_values` has checked that `n` fits.
                let n = usize::try_from(*n).ok()?;
                let mut v = Vec::new();
                v.try_reserve_exact(n).ok()?;
                for _ in 0..n {
                    v.push(e.fill_zero()?);
                }
                Val::Array(v)
            }
            Detail::Struct(fs) => {
                let mut v = Vec::new();
                v.try_reserve_exact(fs.len()).ok()?;
                for f in fs.iter() {
                    v.push(f.typ.fill_zero()?);
                }
                Val::Struct(v)
            }
            Detail::Interface { .. } => Val::Iface(Box::default()),
        })
    }

    /// Whether equality may compare raw bytes (Go: `tflagRegularMemory`).
    #[inline]
    pub fn is_regular_memory(&self) -> bool {
        self.tflag & TFLAG_REGULAR_MEMORY != 0
    }
}

/// Go's `reflect.directlyAssignable(T, V)`: a value of type `v` goes into
/// a variable of type `t` with no conversion.
fn directly_assignable(t: &'static Type, v: &'static Type) -> bool {
    if core::ptr::eq(t, v) {
        return true;
    }
    if (!t.name.is_empty() && !v.name.is_empty()) || t.kind() != v.kind() {
        return false;
    }
    if let (Detail::Chan(td, te), Detail::Chan(ChanDir::Both, ve)) = (&t.detail, &v.detail) {
        if core::ptr::eq(*te, *ve) && *td != ChanDir::Both {
            return true;
        }
    }
    identical_underlying(t, v)
}

/// Go's `reflect.haveIdenticalUnderlyingType(T, V, true)`, for two types
/// of the same kind. Element and field types are compared by identity
/// (unnamed types are interned, named ones are distinct). As Go 1.19, a
/// func type's variadic flag is not compared, and two interfaces are
/// identical here only when both are empty (others need `implements`).
fn identical_underlying(t: &Type, v: &Type) -> bool {
    use core::ptr::eq;
    let same = |a: &[&'static Type], b: &[&'static Type]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| eq(*x, *y))
    };
    match (&t.detail, &v.detail) {
        (Detail::Basic(a), Detail::Basic(b)) => a == b,
        (Detail::Array(a, n), Detail::Array(b, m)) => n == m && eq(*a, *b),
        (Detail::Chan(d, a), Detail::Chan(e, b)) => d == e && eq(*a, *b),
        (Detail::Pointer(a), Detail::Pointer(b)) | (Detail::Slice(a), Detail::Slice(b)) => {
            eq(*a, *b)
        }
        (Detail::Map(k, a), Detail::Map(l, b)) => eq(*k, *l) && eq(*a, *b),
        (
            Detail::Func {
                params: p,
                results: r,
                ..
            },
            Detail::Func {
                params: q,
                results: s,
                ..
            },
        ) => same(p, q) && same(r, s),
        (Detail::Interface { methods: a, .. }, Detail::Interface { methods: b, .. }) => {
            a.is_empty() && b.is_empty()
        }
        (Detail::Struct(a), Detail::Struct(b)) => {
            a.len() == b.len()
                && a.iter().zip(b.iter()).all(|(f, g)| {
                    f.name == g.name
                        && f.pkg_path == g.pkg_path
                        && eq(f.typ, g.typ)
                        && f.embedded == g.embedded
                        && f.offset == g.offset
                })
        }
        _ => false,
    }
}

/// A value does not have the shape of the type it is stored under.
///
/// ```
/// let e = goiface::types::int().check(&goiface::Val::Bool(true)).unwrap_err();
/// assert_eq!(e.to_string(), "goiface: value does not have the shape of type int");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    typ: String,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "goiface: value does not have the shape of type {}",
            self.typ
        )
    }
}

impl core::error::Error for ShapeError {}

/// A type cannot be built as asked.
///
/// ```
/// use goiface::types;
/// let e = types::map_of(types::slice_of(types::int()), types::int()).unwrap_err();
/// assert_eq!(e.to_string(), "invalid map key type []int");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeError {
    /// `map[K]V` with an uncomparable `K` (Go: `invalid map key type K`).
    InvalidMapKey(String),
    /// A method signature, variadic parameter or similar is not of the needed kind.
    NotAFunc(String),
    /// Two methods or fields with the same name.
    Duplicate(String),
    /// golayout rejected the layout (the type is too large).
    Layout(String),
    /// Methods declared on a named pointer or interface type (Go: `invalid
    /// receiver type`).
    InvalidReceiver(String),
    /// An empty field or method name, or a blank (`_`) interface method
    /// (Go: `methods must have a unique non-blank name`).
    InvalidName(String),
    /// An embedded field of a type Go does not embed: a pointer to an
    /// interface, a named pointer type or a pointer to a pointer, or
    /// `unsafe.Pointer` (the text is the compiler's).
    InvalidEmbedded(&'static str),
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::InvalidMapKey(k) => write!(f, "invalid map key type {k}"),
            TypeError::NotAFunc(t) => write!(f, "method signature {t} is not a func type"),
            TypeError::Duplicate(n) => write!(f, "duplicate method or field {n}"),
            TypeError::Layout(e) => f.write_str(e),
            TypeError::InvalidReceiver(t) => write!(f, "invalid receiver type {t}"),
            TypeError::InvalidName(n) if n.is_empty() => f.write_str("empty field or method name"),
            TypeError::InvalidName(_) => f.write_str("methods must have a unique non-blank name"),
            TypeError::InvalidEmbedded(why) => write!(f, "embedded field type cannot be {why}"),
        }
    }
}

impl core::error::Error for TypeError {}

/// Go's rules for the type of an embedded field `T` or `*T`: `T` may be
/// neither a pointer type nor `unsafe.Pointer`, and `*T` may not point to
/// an interface.
fn check_embeddable(typ: &Type) -> Result<(), TypeError> {
    let unsafe_pointer = |t: &Type| matches!(t.detail, Detail::Basic(BasicKind::UnsafePointer));
    let base = match typ.detail {
        Detail::Pointer(e) if typ.name.is_empty() => e,
        _ => typ,
    };
    if unsafe_pointer(base) {
        Err(TypeError::InvalidEmbedded("unsafe.Pointer"))
    } else if matches!(base.detail, Detail::Pointer(_)) {
        Err(TypeError::InvalidEmbedded("a pointer"))
    } else if !core::ptr::eq(base, typ) && matches!(base.detail, Detail::Interface { .. }) {
        Err(TypeError::InvalidEmbedded("a pointer to an interface"))
    } else {
        Ok(())
    }
}

/// Whether a Go identifier is exported.
pub(crate) fn is_exported(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_uppercase())
}

/// Go's method order (`types.Sym.Less` / `sort.Sort(methcmp)`): exported
/// names first, then by name bytes; unexported ties by package path.
///
/// ```
/// use goiface::method_order;
/// let mut names = vec![("b", "main"), ("Z", ""), ("A", ""), ("Ab", "")];
/// names.sort_by(|a, b| method_order(a.0, a.1, b.0, b.1));
/// assert_eq!(names.iter().map(|n| n.0).collect::<Vec<_>>(), ["A", "Ab", "Z", "b"]);
/// ```
pub fn method_order(a_name: &str, a_pkg: &str, b_name: &str, b_pkg: &str) -> Ordering {
    let (ea, eb) = (is_exported(a_name), is_exported(b_name));
    eb.cmp(&ea)
        .then_with(|| a_name.as_bytes().cmp(b_name.as_bytes()))
        .then_with(|| {
            if ea {
                Ordering::Equal
            } else {
                a_pkg.cmp(b_pkg)
            }
        })
}

fn leak_str(s: &str) -> &'static str {
    // I4: names live as long as the descriptors that hold them; they are
    // interned, so each distinct name is stored once.
    crate::registry::intern_str(s)
}

// ---- construction --------------------------------------------------------

/// What a new descriptor needs before layout and hashing are filled in.
pub(crate) struct Proto {
    pub(crate) kind: Kind,
    pub(crate) detail: Detail,
    pub(crate) string: String,
    pub(crate) link: String,
    pub(crate) pkg_path: &'static str,
    pub(crate) name: &'static str,
    pub(crate) declared: Vec<Method>,
}

/// A golayout model of `t`'s layout (elements of pointer-shaped types are
/// irrelevant to it and given as `uint8`).
fn layout_model(detail: &Detail) -> GoType {
    let byte = || Box::new(GoType::Basic(BasicKind::Uint8));
    match detail {
        Detail::Basic(b) => GoType::Basic(*b),
        Detail::Pointer(_) => GoType::Pointer(byte()),
        Detail::Slice(_) => GoType::Slice(byte()),
        Detail::Map(..) => GoType::Map(byte(), byte()),
        Detail::Chan(..) => GoType::Chan(golayout::ChanDir::Both, byte()),
        Detail::Func { .. } => GoType::Func(String::from("func()")),
        Detail::Interface { methods, .. } => GoType::Interface(if methods.is_empty() {
            String::new()
        } else {
            String::from("M()")
        }),
        Detail::Array(e, n) => GoType::Array(*n, Box::new(layout_model(&e.detail))),
        Detail::Struct(fs) => GoType::struct_of(
            fs.iter()
                .map(|f| (f.name, layout_model(&f.typ.detail)))
                .collect::<Vec<_>>(),
        ),
    }
}

/// Sets the gcdata bits of a value of type `t` placed at byte `off`.
fn pointer_bits(t: &Type, off: u64, bits: &mut Vec<u8>) {
    let w = HOST_ARCH.ptr_size();
    let mut set = |o: u64| {
        let word = (o / w) as usize;
        if bits.len() <= word / 8 {
            bits.resize(word / 8 + 1, 0);
        }
        bits[word / 8] |= 1 << (word % 8);
    };
    match &t.detail {
        Detail::Basic(BasicKind::String | BasicKind::UnsafePointer)
        | Detail::Pointer(_)
        | Detail::Slice(_)
        | Detail::Map(..)
        | Detail::Chan(..)
        | Detail::Func { .. } => set(off),
        // Only the data word: the first word (an itab, or a type) is a
        // pointer the collector never needs to follow, into persistent or
        // read-only memory (Go's `typebits.Set`; reflect keeps the types it
        // makes alive itself).
        Detail::Interface { .. } => set(off + w),
        Detail::Basic(_) => {}
        Detail::Array(e, n) => {
            if e.ptrdata != 0 {
                for i in 0..*n {
                    pointer_bits(e, off + i * e.size, bits);
                }
            }
        }
        Detail::Struct(fs) => {
            for f in fs.iter() {
                pointer_bits(f.typ, off + f.offset, bits);
            }
        }
    }
}

/// How deep arrays and structs nest in a type with this `detail` (0 for
/// every other kind, whose values hold their elements out of line).
fn nesting(detail: &Detail) -> u32 {
    match detail {
        Detail::Array(e, _) => e.nesting + 1,
        Detail::Struct(fs) => fs.iter().map(|f| f.typ.nesting).max().unwrap_or(0) + 1,
        _ => 0,
    }
}

/// [`TypeError::Layout`] when a type would nest `n` deep, more than
/// [`MAX_NESTING`] (checked before anything recurses through it).
fn check_nesting(n: u32) -> Result<u32, TypeError> {
    if n > MAX_NESTING {
        return Err(TypeError::Layout(format!(
            "type nests arrays and structs {n} deep (at most {MAX_NESTING})"
        )));
    }
    Ok(n)
}

fn is_direct(detail: &Detail) -> bool {
    match detail {
        Detail::Pointer(_)
        | Detail::Map(..)
        | Detail::Chan(..)
        | Detail::Func { .. }
        | Detail::Basic(BasicKind::UnsafePointer) => true,
        Detail::Struct(fs) => fs.len() == 1 && fs[0].typ.is_direct_iface(),
        Detail::Array(e, 1) => e.is_direct_iface(),
        _ => false,
    }
}

fn comparable(detail: &Detail) -> bool {
    match detail {
        Detail::Slice(_) | Detail::Map(..) | Detail::Func { .. } => false,
        Detail::Array(e, _) => e.comparable,
        Detail::Struct(fs) => fs.iter().all(|f| f.typ.comparable),
        _ => true,
    }
}

/// Go's `IsRegularMemory`: plain bytes, no padding, no floats/strings/interfaces.
fn regular_memory(detail: &Detail, size: u64) -> bool {
    match detail {
        Detail::Basic(b) => !matches!(
            b,
            BasicKind::String
                | BasicKind::Float32
                | BasicKind::Float64
                | BasicKind::Complex64
                | BasicKind::Complex128
        ),
        Detail::Pointer(_) | Detail::Chan(..) => true,
        // Go's `AlgType`: an array of no elements of any comparable type is
        // plain memory (`[0]string`, `[0]float64`, `[0]any`).
        Detail::Array(e, n) => e.is_regular_memory() || (*n == 0 && e.comparable),
        Detail::Struct(fs) => {
            let mut end = 0;
            for f in fs.iter() {
                if f.name == "_" || !f.typ.is_regular_memory() || f.offset != end {
                    return false;
                }
                end = f.offset + f.typ.size;
            }
            end == size
        }
        _ => false,
    }
}

impl Proto {
    /// Lays out and hashes the descriptor (the caller registers it).
    pub(crate) fn build(self) -> Result<Type, TypeError> {
        let nesting = check_nesting(nesting(&self.detail))?;
        let model = layout_model(&self.detail);
        let info =
            golayout::info(&model, HOST_ARCH).map_err(|e| TypeError::Layout(e.to_string()))?;
        let hash = crate::sha256::type_hash(&self.link);
        let direct = is_direct(&self.detail);
        let comparable = comparable(&self.detail);
        let regular = regular_memory(&self.detail, info.size);
        let mut methods: Vec<Method> = self.declared.clone();
        methods.sort_by(|a, b| method_order(a.name, a.pkg_path, b.name, b.pkg_path));
        let named = !self.name.is_empty();
        let value_methods: Vec<Method> = if self.kind == Kind::Pointer {
            methods
        } else {
            methods
                .into_iter()
                .filter(|m| !m.pointer_receiver)
                .collect()
        };
        let mut tflag = 0;
        if named || !value_methods.is_empty() {
            tflag |= TFLAG_UNCOMMON;
        }
        if named {
            tflag |= TFLAG_NAMED;
        }
        // The linker stores every string as "*T" and skips the star, except
        // for pointer types, whose string already starts with one.
        if self.kind != Kind::Pointer {
            tflag |= TFLAG_EXTRA_STAR;
        }
        if regular {
            tflag |= TFLAG_REGULAR_MEMORY;
        }
        let mut t = Type {
            size: info.size,
            ptrdata: info.ptrdata,
            hash,
            tflag,
            align: info.align as u8,
            field_align: info.align as u8,
            kind: self.kind as u8 | if direct { KIND_DIRECT_IFACE } else { 0 },
            comparable,
            nesting,
            gcdata: Box::new([]),
            string: self.string.into_boxed_str(),
            link: self.link.into_boxed_str(),
            pkg_path: self.pkg_path,
            name: self.name,
            declared: self.declared.into_boxed_slice(),
            methods: value_methods.into_boxed_slice(),
            detail: self.detail,
        };
        let words = t.ptrdata / HOST_ARCH.ptr_size();
        if words > MAX_PTRMASK_WORDS {
            return Err(TypeError::Layout(format!(
                "type {} has {words} pointer-holding words, more than a pointer bitmap covers ({MAX_PTRMASK_WORDS}; Go would use a GC program)",
                t.string
            )));
        }
        let mut bits = Vec::with_capacity(words.div_ceil(8) as usize);
        pointer_bits(&t, 0, &mut bits);
        t.gcdata = bits.into_boxed_slice();
        Ok(t)
    }
}

/// Formats a func signature (`(int, ...string) (bool, error)`), without `func`.
fn signature(
    params: &[&'static Type],
    results: &[&'static Type],
    variadic: bool,
    link: bool,
) -> String {
    let s = |t: &Type| {
        if link {
            t.link.to_string()
        } else {
            t.string.to_string()
        }
    };
    let mut out = String::from("(");
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if variadic && i + 1 == params.len() {
            out.push_str("...");
            out.push_str(&p.elem().map(s).unwrap_or_default());
        } else {
            out.push_str(&s(p));
        }
    }
    out.push(')');
    match results.len() {
        0 => {}
        1 => {
            out.push(' ');
            out.push_str(&s(results[0]));
        }
        _ => {
            out.push_str(" (");
            for (i, r) in results.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&s(r));
            }
            out.push(')');
        }
    }
    out
}

/// The short package name Go prints (`p` for `example.com/p`).
fn pkg_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Type constructors. Every one returns a `&'static Type`; unnamed types are
/// interned (the same arguments give the same descriptor).
pub mod types {
    use super::*;
    use crate::registry::{self, Key};

    #[inline]
    fn basic(b: BasicKind, kind: Kind) -> &'static Type {
        registry::cached(kind as usize, || basic_slow(b, kind))
    }

    #[cold]
    fn basic_slow(b: BasicKind, kind: Kind) -> &'static Type {
        registry::intern(Key::Basic(kind as u8), || Proto {
            kind,
            detail: Detail::Basic(b),
            string: b.name().to_string(),
            link: b.name().to_string(),
            pkg_path: "",
            name: b.name(),
            declared: Vec::new(),
        })
        .unwrap_or_else(|e| unreachable!("basic types always lay out: {e}"))
    }

    macro_rules! basics {
        ($($f:ident => $b:ident, $k:ident;)*) => {$(
            #[doc = concat!("The predeclared type `", stringify!($f), "`.")]
            #[inline]
            pub fn $f() -> &'static Type {
                basic(BasicKind::$b, Kind::$k)
            }
        )*};
    }

    basics! {
        bool => Bool, Bool;
        int => Int, Int;
        int8 => Int8, Int8;
        int16 => Int16, Int16;
        int32 => Int32, Int32;
        int64 => Int64, Int64;
        uint => Uint, Uint;
        uint8 => Uint8, Uint8;
        uint16 => Uint16, Uint16;
        uint32 => Uint32, Uint32;
        uint64 => Uint64, Uint64;
        uintptr => Uintptr, Uintptr;
        float32 => Float32, Float32;
        float64 => Float64, Float64;
        complex64 => Complex64, Complex64;
        complex128 => Complex128, Complex128;
        string => String, String;
        unsafe_pointer => UnsafePointer, UnsafePointer;
    }

    /// `interface{}` (Go's `any`).
    #[inline]
    pub fn any() -> &'static Type {
        registry::cached(registry::ANY_SLOT, || {
            interface_of("", &[]).unwrap_or_else(|e| unreachable!("any always builds: {e}"))
        })
    }

    fn addr(t: &'static Type) -> usize {
        t as *const Type as usize
    }

    /// `*T`. Its method set is all of T's methods (value receivers through a
    /// dereferencing wrapper).
    pub fn ptr_to(t: &'static Type) -> &'static Type {
        registry::intern(Key::Ptr(addr(t)), || Proto {
            kind: Kind::Pointer,
            detail: Detail::Pointer(t),
            string: format!("*{}", t.string),
            link: format!("*{}", t.link),
            pkg_path: "",
            name: "",
            // `*T` gets T's methods; `**T` and pointers to pointer types get none.
            declared: if t.kind() == Kind::Pointer {
                Vec::new()
            } else {
                t.declared.to_vec()
            },
        })
        .unwrap_or_else(|e| unreachable!("pointers always lay out: {e}"))
    }

    /// `[]T`.
    pub fn slice_of(t: &'static Type) -> &'static Type {
        registry::intern(Key::Slice(addr(t)), || Proto {
            kind: Kind::Slice,
            detail: Detail::Slice(t),
            string: format!("[]{}", t.string),
            link: format!("[]{}", t.link),
            pkg_path: "",
            name: "",
            declared: Vec::new(),
        })
        .unwrap_or_else(|e| unreachable!("slices always lay out: {e}"))
    }

    /// `[n]T`.
    ///
    /// # Panics
    ///
    /// Panics with [`TypeError::Layout`]'s text if the array exceeds the
    /// address space or nests deeper than [`MAX_NESTING`](super::MAX_NESTING).
    pub fn array_of(n: u64, t: &'static Type) -> &'static Type {
        try_array_of(n, t).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `[n]T`, or an error when it is too large for [`HOST_ARCH`].
    ///
    /// # Errors
    ///
    /// [`TypeError::Layout`] (gc: `type [n]T too large`), also when arrays and
    /// structs would nest deeper than [`MAX_NESTING`](super::MAX_NESTING).
    pub fn try_array_of(n: u64, t: &'static Type) -> Result<&'static Type, TypeError> {
        check_nesting(t.nesting + 1)?;
        registry::intern(Key::Array(n, addr(t)), || Proto {
            kind: Kind::Array,
            detail: Detail::Array(t, n),
            string: format!("[{n}]{}", t.string),
            link: format!("[{n}]{}", t.link),
            pkg_path: "",
            name: "",
            declared: Vec::new(),
        })
    }

    /// `map[K]V`.
    ///
    /// # Errors
    ///
    /// [`TypeError::InvalidMapKey`] when K is not comparable.
    pub fn map_of(k: &'static Type, v: &'static Type) -> Result<&'static Type, TypeError> {
        if !k.comparable {
            return Err(TypeError::InvalidMapKey(k.string.to_string()));
        }
        registry::intern(Key::Map(addr(k), addr(v)), || Proto {
            kind: Kind::Map,
            detail: Detail::Map(k, v),
            string: format!("map[{}]{}", k.string, v.string),
            link: format!("map[{}]{}", k.link, v.link),
            pkg_path: "",
            name: "",
            declared: Vec::new(),
        })
    }

    /// `chan T`, `<-chan T`, `chan<- T`.
    ///
    /// # Panics
    ///
    /// As Go's `reflect.ChanOf`, `reflect.ChanOf: element size too large`
    /// for an element of 64 KiB or more (gc: "channel element type too
    /// large (>64kB)").
    pub fn chan_of(dir: ChanDir, t: &'static Type) -> &'static Type {
        if t.size >= 1 << 16 {
            panic!("reflect.ChanOf: element size too large");
        }
        let fmt_chan = |e: &str, recv_elem: bool| match dir {
            ChanDir::Recv => format!("<-chan {e}"),
            ChanDir::Send => format!("chan<- {e}"),
            ChanDir::Both if recv_elem => format!("chan ({e})"),
            ChanDir::Both => format!("chan {e}"),
        };
        let recv_elem = matches!(t.detail, Detail::Chan(ChanDir::Recv, _)) && t.name.is_empty();
        registry::intern(Key::Chan(dir as u8, addr(t)), || Proto {
            kind: Kind::Chan,
            detail: Detail::Chan(dir, t),
            string: fmt_chan(&t.string, recv_elem),
            link: fmt_chan(&t.link, recv_elem),
            pkg_path: "",
            name: "",
            declared: Vec::new(),
        })
        .unwrap_or_else(|e| unreachable!("chans always lay out: {e}"))
    }

    /// `func(params) results`; when `variadic`, the last parameter must be a
    /// slice and prints as `...elem`.
    ///
    /// # Panics
    ///
    /// As Go's `reflect.FuncOf`, `reflect.FuncOf: last arg of variadic func
    /// must be slice` when `variadic` and the last parameter is not a slice
    /// (or there is none).
    pub fn func_of(
        params: &[&'static Type],
        results: &[&'static Type],
        variadic: bool,
    ) -> &'static Type {
        if variadic && !params.last().is_some_and(|p| p.kind() == Kind::Slice) {
            panic!("reflect.FuncOf: last arg of variadic func must be slice");
        }
        let key = Key::Func(
            params.iter().map(|t| addr(t)).collect(),
            results.iter().map(|t| addr(t)).collect(),
            variadic,
        );
        registry::intern(key, || Proto {
            kind: Kind::Func,
            detail: Detail::Func {
                params: params.into(),
                results: results.into(),
                variadic,
            },
            string: format!("func{}", signature(params, results, variadic, false)),
            link: format!("func{}", signature(params, results, variadic, true)),
            pkg_path: "",
            name: "",
            declared: Vec::new(),
        })
        .unwrap_or_else(|e| unreachable!("funcs always lay out: {e}"))
    }

    /// A struct field for [`struct_of`]: name (`_` for blank) and type.
    pub fn field(name: &str, typ: &'static Type) -> (String, &'static Type, bool) {
        (name.to_string(), typ, false)
    }

    /// An embedded field for [`struct_of`] (its name is the type's name).
    pub fn embedded(typ: &'static Type) -> (String, &'static Type, bool) {
        let base = match typ.detail {
            Detail::Pointer(e) => e,
            _ => typ,
        };
        (base.name.to_string(), typ, true)
    }

    /// `struct{…}` declared in package `pkg_path` (which owns its unexported
    /// field names).
    ///
    /// # Errors
    ///
    /// [`TypeError::Duplicate`] for a repeated non-blank name,
    /// [`TypeError::InvalidName`] for an empty one,
    /// [`TypeError::InvalidEmbedded`] for an embedded field Go refuses
    /// (`*I` for an interface `I`, a pointer type or a pointer to one,
    /// `unsafe.Pointer`),
    /// [`TypeError::Layout`] when too large or nested deeper than
    /// [`MAX_NESTING`](super::MAX_NESTING).
    ///
    /// # Examples
    ///
    /// ```
    /// use goiface::types::{self, field};
    /// let t = types::struct_of("main", &[field("a", types::int8()), field("B", types::int64())]).unwrap();
    /// assert_eq!(t.to_string(), "struct { a int8; B int64 }");
    /// assert_eq!(t.fields()[1].offset(), if cfg!(target_pointer_width = "64") { 8 } else { 4 });
    /// ```
    pub fn struct_of(
        pkg_path: &str,
        fields: &[(String, &'static Type, bool)],
    ) -> Result<&'static Type, TypeError> {
        for (i, f) in fields.iter().enumerate() {
            if f.0.is_empty() {
                return Err(TypeError::InvalidName(String::new()));
            }
            if f.0 != "_" && fields[..i].iter().any(|g| g.0 == f.0) {
                return Err(TypeError::Duplicate(f.0.clone()));
            }
            if f.2 {
                check_embeddable(f.1)?;
            }
        }
        let any_unexported = fields.iter().any(|f| !is_exported(&f.0));
        let pkg = if any_unexported { pkg_path } else { "" };
        let key = Key::Struct(
            pkg.to_string(),
            fields
                .iter()
                .map(|f| (f.0.clone(), addr(f.1), f.2))
                .collect(),
        );
        let fmt_fields = |link: bool| {
            if fields.is_empty() {
                return String::from("struct {}");
            }
            let mut s = String::from("struct {");
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    s.push(';');
                }
                s.push(' ');
                if !f.2 {
                    // The link string qualifies unexported field names with
                    // the package path (measured: `struct { main.a int8; B string }`).
                    if link && !is_exported(&f.0) && !pkg.is_empty() {
                        s.push_str(pkg);
                        s.push('.');
                    }
                    s.push_str(&f.0);
                    s.push(' ');
                }
                s.push_str(if link { &f.1.link } else { &f.1.string });
            }
            s.push_str(" }");
            s
        };
        check_nesting(fields.iter().map(|f| f.1.nesting).max().unwrap_or(0) + 1)?;
        let pkg = leak_str(pkg);
        registry::intern(key, || {
            let mut fs: Vec<StructField> = fields
                .iter()
                .map(|f| StructField {
                    name: leak_str(&f.0),
                    pkg_path: if is_exported(&f.0) { "" } else { pkg },
                    typ: f.1,
                    offset: 0,
                    embedded: f.2,
                })
                .collect();
            // Offsets from golayout (I3).
            if let GoType::Struct(s) = layout_model(&Detail::Struct(fs.clone().into_boxed_slice()))
            {
                if let Ok(offs) = golayout::offsetsof(&s, HOST_ARCH) {
                    for (f, o) in fs.iter_mut().zip(offs) {
                        f.offset = o;
                    }
                }
            }
            let detail = Detail::Struct(fs.into_boxed_slice());
            Proto {
                kind: Kind::Struct,
                // An unnamed struct has the methods of its embedded fields too.
                declared: promoted(&detail, &[]),
                detail,
                string: fmt_fields(false),
                link: fmt_fields(true),
                pkg_path: "",
                name: "",
            }
        })
    }

    /// `interface { methods }` declared in package `pkg_path` (which owns
    /// its unexported method names). Methods are sorted as Go sorts them.
    ///
    /// # Errors
    ///
    /// [`TypeError::NotAFunc`] for a non-func signature,
    /// [`TypeError::Duplicate`] for a repeated name,
    /// [`TypeError::InvalidName`] for an empty or blank (`_`) one.
    ///
    /// # Examples
    ///
    /// ```
    /// use goiface::{types, IMethod};
    /// let f = types::func_of(&[], &[], false);
    /// let i = types::interface_of("main", &[IMethod::new("Z", f), IMethod::new("b", f), IMethod::new("A", f)]).unwrap();
    /// assert_eq!(i.to_string(), "interface { A(); Z(); main.b() }");
    /// ```
    pub fn interface_of(pkg_path: &str, methods: &[IMethod]) -> Result<&'static Type, TypeError> {
        let pkg = leak_str(pkg_path);
        let mut ms: Vec<IMethod> = methods.to_vec();
        for m in ms.iter_mut() {
            if m.name.is_empty() || m.name == "_" {
                return Err(TypeError::InvalidName(m.name.to_string()));
            }
            if m.typ.kind() != Kind::Func {
                return Err(TypeError::NotAFunc(m.typ.string.to_string()));
            }
            m.pkg_path = if is_exported(m.name) { "" } else { pkg };
        }
        ms.sort_by(|a, b| method_order(a.name, a.pkg_path, b.name, b.pkg_path));
        for w in ms.windows(2) {
            if w[0].name == w[1].name && w[0].pkg_path == w[1].pkg_path {
                return Err(TypeError::Duplicate(w[0].name.to_string()));
            }
        }
        let key = Key::Interface(
            ms.iter()
                .map(|m| (m.name.to_string(), m.pkg_path.to_string(), addr(m.typ)))
                .collect(),
        );
        let fmt_methods = |link: bool| {
            if ms.is_empty() {
                return String::from("interface {}");
            }
            let mut s = String::from("interface {");
            for (i, m) in ms.iter().enumerate() {
                if i > 0 {
                    s.push(';');
                }
                s.push(' ');
                if !m.pkg_path.is_empty() {
                    s.push_str(if link {
                        m.pkg_path
                    } else {
                        pkg_name(m.pkg_path)
                    });
                    s.push('.');
                }
                s.push_str(m.name);
                let body = if link { &m.typ.link } else { &m.typ.string };
                s.push_str(body.strip_prefix("func").unwrap_or(body));
            }
            s.push_str(" }");
            s
        };
        registry::intern(key, || Proto {
            kind: Kind::Interface,
            detail: Detail::Interface {
                pkg_path: pkg,
                methods: ms.clone().into_boxed_slice(),
            },
            string: fmt_methods(false),
            link: fmt_methods(true),
            pkg_path: "",
            name: "",
            declared: Vec::new(),
        })
    }
}

/// A defined type under construction: `type Name Underlying` plus methods.
///
/// [`Named::build`] adds the methods promoted from embedded fields of a
/// struct underlying type (Go's promotion rules: shallowest depth wins,
/// same-depth names cancel, the type's own methods and fields of the same
/// name at the same or a shallower depth shadow them; an embedded
/// interface's methods are promoted too).
///
/// # Examples
///
/// ```
/// use goiface::{types, Named, Method, Val, Eface};
/// fn m(_: &Val, _: &[Eface], _: &mut [Eface]) {}
/// let sig = types::func_of(&[], &[], false);
/// let t = Named::new("main", "T", types::int())
///     .method(Method::new("M", sig, m))
///     .method(Method::new("P", sig, m).pointer_receiver())
///     .build()
///     .unwrap();
/// assert_eq!(t.to_string(), "main.T");
/// assert_eq!(t.methods().len(), 1); // P is only in *T's method set
/// assert_eq!(types::ptr_to(t).methods().len(), 2);
/// assert_eq!(t.hash(), 0x6154af3f); // Go 1.19's hash of main.T
/// ```
pub struct Named {
    pkg_path: String,
    name: String,
    underlying: &'static Type,
    methods: Vec<Method>,
}

impl Named {
    /// Starts `type name underlying` in package `pkg_path` (`main`, `example.com/p`).
    pub fn new(pkg_path: &str, name: &str, underlying: &'static Type) -> Named {
        Named {
            pkg_path: pkg_path.to_string(),
            name: name.to_string(),
            underlying,
            methods: Vec::new(),
        }
    }

    /// Adds a method.
    pub fn method(mut self, m: Method) -> Named {
        self.methods.push(m);
        self
    }

    /// Builds a new, distinct descriptor (named types are never interned).
    ///
    /// # Errors
    ///
    /// [`TypeError::NotAFunc`] for a non-func signature, [`TypeError::Duplicate`]
    /// for a repeated method name or a method named like a field of the
    /// struct underlying type (Go: "field and method with the same name").
    /// Methods named `_` are accepted and left out of the method set, as in Go;
    /// an empty method name is [`TypeError::InvalidName`].
    pub fn build(self) -> Result<&'static Type, TypeError> {
        let pkg = leak_str(&self.pkg_path);
        let mut declared = self.methods;
        for m in declared.iter_mut() {
            if m.name.is_empty() {
                return Err(TypeError::InvalidName(String::new()));
            }
            if m.mtyp.kind() != Kind::Func {
                return Err(TypeError::NotAFunc(m.mtyp.string.to_string()));
            }
            m.pkg_path = if is_exported(m.name) { "" } else { pkg };
        }
        let u = self.underlying;
        if !declared.is_empty() && matches!(u.kind(), Kind::Pointer | Kind::Interface) {
            return Err(TypeError::InvalidReceiver(self.name.clone()));
        }
        // Go: `func (T) _()` is legal, any number of times, and joins no
        // method set.
        declared.retain(|m| m.name != "_");
        for (i, m) in declared.iter().enumerate() {
            if declared[..i].iter().any(|n| n.name == m.name) {
                return Err(TypeError::Duplicate(m.name.to_string()));
            }
        }
        // Go: "field and method with the same name M" (same identifier:
        // the name, and the package for unexported ones).
        if let Detail::Struct(fs) = &u.detail {
            for m in &declared {
                if fs
                    .iter()
                    .any(|f| f.name == m.name && (is_exported(m.name) || f.pkg_path == m.pkg_path))
                {
                    return Err(TypeError::Duplicate(m.name.to_string()));
                }
            }
        }
        let extra = promoted(&u.detail, &declared);
        declared.extend(extra);
        let qualified = |path: &str| {
            if path.is_empty() {
                self.name.clone()
            } else {
                format!("{path}.{}", self.name)
            }
        };
        Proto {
            kind: u.kind(),
            detail: u.detail.clone(),
            string: qualified(pkg_name(pkg)),
            link: qualified(pkg),
            pkg_path: pkg,
            name: leak_str(&self.name),
            declared,
        }
        .build()
        .map(crate::registry::register)
    }
}
