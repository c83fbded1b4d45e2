//! The Go type model: everything that decides a size, an alignment or an offset.
//!
//! A [`GoType`] is a tree. Named types are shared through [`Rc`] (so a struct
//! used a thousand times is laid out once per arch: [`Named`] caches its
//! layout) and a named type reached only through a pointer, slice, map,
//! channel or function is kept as a [`GoType::Ref`] — its name, nothing more —
//! because none of those shapes depend on their element's layout. That is
//! also what lets `type List struct { next *List }` be a finite tree.
//!
//! Invariants:
//! - I1: a tree never contains a cycle (recursion only through `Ref`).
//! - I2: `Named::underlying` is never itself a `Named` or `Ref` to the same name.
//!
//! Go correspondence: `cmd/compile/internal/types.Type` kinds (`TINT8` …
//! `TSTRUCT`); `types.Sym` + `Pkg.Prefix` for [`Named::pkg`]/[`Named::name`].

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::OnceCell;
use core::fmt;

use crate::arch::Arch;
use crate::sizes::Info;

/// The predeclared (basic) types, plus `unsafe.Pointer`.
///
/// ```
/// use golayout::BasicKind;
/// assert_eq!(BasicKind::from_name("uintptr"), Some(BasicKind::Uintptr));
/// assert_eq!(BasicKind::Complex128.name(), "complex128");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BasicKind {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Int,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uint,
    Uintptr,
    Float32,
    Float64,
    Complex64,
    Complex128,
    String,
    UnsafePointer,
}

impl BasicKind {
    /// The Go spelling (`unsafe.Pointer` for [`BasicKind::UnsafePointer`]).
    ///
    /// ```
    /// assert_eq!(golayout::BasicKind::UnsafePointer.name(), "unsafe.Pointer");
    /// ```
    pub const fn name(self) -> &'static str {
        use BasicKind::*;
        match self {
            Bool => "bool",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            Int => "int",
            Uint8 => "uint8",
            Uint16 => "uint16",
            Uint32 => "uint32",
            Uint64 => "uint64",
            Uint => "uint",
            Uintptr => "uintptr",
            Float32 => "float32",
            Float64 => "float64",
            Complex64 => "complex64",
            Complex128 => "complex128",
            String => "string",
            UnsafePointer => "unsafe.Pointer",
        }
    }

    /// Looks up a predeclared type name, including the aliases `byte` and `rune`.
    ///
    /// ```
    /// use golayout::BasicKind;
    /// assert_eq!(BasicKind::from_name("rune"), Some(BasicKind::Int32));
    /// assert_eq!(BasicKind::from_name("error"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<BasicKind> {
        use BasicKind::*;
        Some(match name {
            "bool" => Bool,
            "int8" => Int8,
            "int16" => Int16,
            "int32" | "rune" => Int32,
            "int64" => Int64,
            "int" => Int,
            "uint8" | "byte" => Uint8,
            "uint16" => Uint16,
            "uint32" => Uint32,
            "uint64" => Uint64,
            "uint" => Uint,
            "uintptr" => Uintptr,
            "float32" => Float32,
            "float64" => Float64,
            "complex64" => Complex64,
            "complex128" => Complex128,
            "string" => String,
            _ => return None,
        })
    }

    /// Integer kinds: `Some((bits, signed))` for this arch.
    ///
    /// ```
    /// use golayout::{Arch, BasicKind};
    /// assert_eq!(BasicKind::Uint.int_bits(Arch::I386), Some((32, false)));
    /// assert_eq!(BasicKind::String.int_bits(Arch::I386), None);
    /// ```
    pub const fn int_bits(self, arch: Arch) -> Option<(u32, bool)> {
        use BasicKind::*;
        let w = (arch.ptr_size() * 8) as u32;
        Some(match self {
            Int8 => (8, true),
            Int16 => (16, true),
            Int32 => (32, true),
            Int64 => (64, true),
            Int => (w, true),
            Uint8 => (8, false),
            Uint16 => (16, false),
            Uint32 => (32, false),
            Uint64 => (64, false),
            Uint | Uintptr => (w, false),
            _ => return None,
        })
    }
}

/// A channel's direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChanDir {
    /// `chan T`
    Both,
    /// `chan<- T`
    Send,
    /// `<-chan T`
    Recv,
}

/// A Go type, as far as layout is concerned.
///
/// # Examples
///
/// ```
/// use golayout::{Arch, GoType, BasicKind};
/// let t = GoType::struct_of([("a", GoType::Basic(BasicKind::Int8)), ("b", GoType::Basic(BasicKind::Int64))]);
/// assert_eq!(t.to_string(), "struct{a int8; b int64}");
/// assert_eq!(golayout::sizeof(&t, Arch::I386).unwrap(), 12);
/// ```
#[derive(Clone, Debug)]
pub enum GoType {
    /// A predeclared type, `string` or `unsafe.Pointer`.
    Basic(BasicKind),
    /// `*T`
    Pointer(Box<GoType>),
    /// `[]T`
    Slice(Box<GoType>),
    /// `[N]T`
    Array(u64, Box<GoType>),
    /// `map[K]V`
    Map(Box<GoType>, Box<GoType>),
    /// `chan T`, `chan<- T`, `<-chan T`
    Chan(ChanDir, Box<GoType>),
    /// A function type; the text is its Go signature (`func(int) error`).
    Func(String),
    /// An interface type; the text is its method list (empty for `interface{}`).
    Interface(String),
    /// `struct{...}`
    Struct(Struct),
    /// A defined (named) type with its underlying type.
    Named(Rc<Named>),
    /// A named type seen only behind a pointer-shaped type: name only, no layout (I1).
    Ref(TypeName),
}

/// A package-qualified type name.
///
/// ```
/// let n = golayout::TypeName::new("sync", "Mutex");
/// assert_eq!(n.to_string(), "sync.Mutex");
/// ```
#[derive(Clone, Debug)]
pub struct TypeName {
    /// Import path (`sync/atomic`); empty for the package being analysed / universe.
    pub pkg: String,
    /// The type's name.
    pub name: String,
    /// The package's name, which qualifies the type when printed: the
    /// name its `package` clause declares when the package is loaded, else
    /// the one Go tools assume from the path (see [`TypeName::new`]). Not
    /// part of the identity: two names are equal when `pkg` and `name` are.
    pub qualifier: String,
}

impl TypeName {
    /// Creates a name. The qualifier is the package name Go tools assume
    /// for the path (as `goimports` does): its last element, less a major
    /// version suffix (`/v2`), a `go-` prefix and anything from the first
    /// character that cannot be in an identifier (`yaml.v3` gives `yaml`).
    ///
    /// ```
    /// use golayout::TypeName;
    /// assert_eq!(TypeName::new("", "T").to_string(), "T");
    /// assert_eq!(TypeName::new("example.com/mod/v2", "T").to_string(), "mod.T");
    /// assert_eq!(TypeName::new("gopkg.in/yaml.v3", "Node").to_string(), "yaml.Node");
    /// assert_eq!(TypeName::new("github.com/x/go-redis", "Client").to_string(), "redis.Client");
    /// ```
    pub fn new(pkg: &str, name: &str) -> Self {
        TypeName {
            pkg: pkg.into(),
            name: name.into(),
            qualifier: assumed_package_name(pkg).into(),
        }
    }

    /// The name qualified by `package`, the name the package declares.
    ///
    /// ```
    /// let n = golayout::TypeName::new("example.com/sub2", "B").with_qualifier("other");
    /// assert_eq!(n.to_string(), "other.B");
    /// assert_eq!(n, golayout::TypeName::new("example.com/sub2", "B"));
    /// ```
    pub fn with_qualifier(mut self, package: &str) -> Self {
        self.qualifier = package.into();
        self
    }
}

/// The package name Go tools assume for an import path (`goimports`'s
/// `ImportPathToAssumedName`).
fn assumed_package_name(path: &str) -> &str {
    let mut elems = path.rsplit('/');
    let mut base = elems.next().unwrap_or(path);
    let major = base
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if major {
        if let Some(dir) = elems.next() {
            base = dir;
        }
    }
    let base = base.strip_prefix("go-").unwrap_or(base);
    let end = base
        .find(|c: char| !(c == '_' || c.is_alphanumeric()))
        .unwrap_or(base.len());
    &base[..end]
}

impl PartialEq for TypeName {
    fn eq(&self, other: &Self) -> bool {
        (&self.pkg, &self.name) == (&other.pkg, &other.name)
    }
}

impl Eq for TypeName {}

impl PartialOrd for TypeName {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TypeName {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (&self.pkg, &self.name).cmp(&(&other.pkg, &other.name))
    }
}

impl core::hash::Hash for TypeName {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (&self.pkg, &self.name).hash(state);
    }
}

impl fmt::Display for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pkg.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}.{}", self.qualifier, self.name)
        }
    }
}

/// A defined type: `type Name Underlying`.
///
/// ```
/// use golayout::{GoType, Named, BasicKind, Arch};
/// let d = Named::new("time", "Duration", GoType::Basic(BasicKind::Int64));
/// let t = GoType::named(d);
/// assert_eq!(t.to_string(), "time.Duration");
/// assert_eq!(golayout::alignof(&t, Arch::I386).unwrap(), 4);
/// ```
#[derive(Debug)]
pub struct Named {
    /// Its name and package.
    pub name: TypeName,
    /// Its underlying type (I2: never a `Ref` to itself).
    pub underlying: GoType,
    pub(crate) cache: [OnceCell<Info>; 14],
}

impl Named {
    /// Creates a defined type.
    ///
    /// ```
    /// let n = golayout::Named::new("", "ID", golayout::GoType::Basic(golayout::BasicKind::Uint32));
    /// assert_eq!(n.name.name, "ID");
    /// ```
    pub fn new(pkg: &str, name: &str, underlying: GoType) -> Self {
        Named {
            name: TypeName::new(pkg, name),
            underlying,
            cache: Default::default(),
        }
    }

    /// The type qualified by `package`, the name its package declares
    /// ([`TypeName::with_qualifier`]).
    ///
    /// ```
    /// let n = golayout::Named::new("example.com/m/v2", "ID", golayout::GoType::Basic(golayout::BasicKind::Uint32));
    /// assert_eq!(n.name.to_string(), "m.ID");
    /// assert_eq!(n.with_qualifier("model").name.to_string(), "model.ID");
    /// ```
    pub fn with_qualifier(mut self, package: &str) -> Self {
        self.name.qualifier = package.into();
        self
    }

    /// Whether this is the `align64` marker of `sync/atomic` or `runtime/internal/atomic`.
    ///
    /// Go: the special case in `calcStructOffset` (`cmd/compile/internal/types/size.go`).
    ///
    /// ```
    /// use golayout::{GoType, Named, Struct};
    /// let a = Named::new("sync/atomic", "align64", GoType::Struct(Struct::default()));
    /// assert!(a.is_align64());
    /// let mine = Named::new("example.com/x", "align64", GoType::Struct(Struct::default()));
    /// assert!(!mine.is_align64());
    /// ```
    pub fn is_align64(&self) -> bool {
        self.name.name == "align64"
            && (self.name.pkg == "sync/atomic" || self.name.pkg == "runtime/internal/atomic")
            && matches!(&self.underlying, GoType::Struct(s) if s.fields.is_empty())
    }
}

impl Clone for Named {
    fn clone(&self) -> Self {
        Named {
            name: self.name.clone(),
            underlying: self.underlying.clone(),
            cache: Default::default(),
        }
    }
}

/// A struct type: its fields in declaration order (gc never reorders them).
///
/// ```
/// use golayout::{Struct, Field, GoType, BasicKind};
/// let s = Struct { fields: vec![Field::new("x", GoType::Basic(BasicKind::Int16))] };
/// assert_eq!(GoType::Struct(s).to_string(), "struct{x int16}");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Struct {
    /// Fields, in order.
    pub fields: Vec<Field>,
}

/// One struct field.
///
/// ```
/// use golayout::{Field, GoType, BasicKind};
/// let f = Field::embedded("Mutex", GoType::Basic(BasicKind::Int64));
/// assert!(f.embedded);
/// ```
#[derive(Clone, Debug)]
pub struct Field {
    /// The field's name; for an embedded field, its type's name (`Mutex` for `sync.Mutex` or `*sync.Mutex`).
    pub name: String,
    /// The field's type.
    pub ty: GoType,
    /// Whether the field is embedded.
    pub embedded: bool,
}

impl Field {
    /// A named field.
    ///
    /// ```
    /// assert_eq!(golayout::Field::new("n", golayout::GoType::Basic(golayout::BasicKind::Int)).name, "n");
    /// ```
    pub fn new(name: &str, ty: GoType) -> Self {
        Field {
            name: name.into(),
            ty,
            embedded: false,
        }
    }

    /// An embedded field named after its type.
    ///
    /// ```
    /// assert_eq!(golayout::Field::embedded("T", golayout::GoType::Basic(golayout::BasicKind::Int)).name, "T");
    /// ```
    pub fn embedded(name: &str, ty: GoType) -> Self {
        Field {
            name: name.into(),
            ty,
            embedded: true,
        }
    }
}

impl GoType {
    /// Wraps a [`Named`] into a shared type.
    ///
    /// ```
    /// let t = golayout::GoType::named(golayout::Named::new("", "B", golayout::GoType::Basic(golayout::BasicKind::Bool)));
    /// assert_eq!(t.to_string(), "B");
    /// ```
    pub fn named(n: Named) -> GoType {
        GoType::Named(Rc::new(n))
    }

    /// `struct{...}` from `(name, type)` pairs.
    ///
    /// ```
    /// use golayout::{GoType, BasicKind};
    /// let t = GoType::struct_of([("z", GoType::Struct(Default::default()))]);
    /// assert_eq!(t.to_string(), "struct{z struct{}}");
    /// ```
    pub fn struct_of<'a, I: IntoIterator<Item = (&'a str, GoType)>>(fields: I) -> GoType {
        GoType::Struct(Struct {
            fields: fields.into_iter().map(|(n, t)| Field::new(n, t)).collect(),
        })
    }

    /// The type with named types peeled off (`Ref` stays `Ref`).
    ///
    /// ```
    /// use golayout::{GoType, Named, BasicKind};
    /// let t = GoType::named(Named::new("", "N", GoType::Basic(BasicKind::Int8)));
    /// assert!(matches!(t.underlying(), GoType::Basic(BasicKind::Int8)));
    /// ```
    pub fn underlying(&self) -> &GoType {
        let mut t = self;
        while let GoType::Named(n) = t {
            t = &n.underlying;
        }
        t
    }

    /// `reflect.Kind` spelling of the underlying type (`struct`, `ptr`, `int64`, …).
    ///
    /// ```
    /// use golayout::{GoType, BasicKind};
    /// assert_eq!(GoType::Pointer(Box::new(GoType::Basic(BasicKind::Int))).kind(), "ptr");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self.underlying() {
            GoType::Basic(b) => b.name(),
            GoType::Pointer(_) => "ptr",
            GoType::Slice(_) => "slice",
            GoType::Array(..) => "array",
            GoType::Map(..) => "map",
            GoType::Chan(..) => "chan",
            GoType::Func(_) => "func",
            GoType::Interface(_) => "interface",
            GoType::Struct(_) => "struct",
            GoType::Named(_) | GoType::Ref(_) => "unknown",
        }
    }
}

impl GoType {
    /// The type as gc's messages in package `pkg` print it: names declared
    /// in `pkg` unqualified (the plain [`fmt::Display`] qualifies every name
    /// but those of package `""`).
    pub(crate) fn display_in<'a>(&'a self, pkg: &'a str) -> impl fmt::Display + 'a {
        InPkg(self, pkg)
    }
}

impl fmt::Display for GoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        InPkg(self, "").fmt(f)
    }
}

/// A type shown from inside a package (see [`GoType::display_in`]).
struct InPkg<'a>(&'a GoType, &'a str);

impl fmt::Display for InPkg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.1;
        let name = |f: &mut fmt::Formatter<'_>, n: &TypeName| {
            if n.pkg == local {
                f.write_str(&n.name)
            } else {
                write!(f, "{n}")
            }
        };
        match self.0 {
            GoType::Basic(b) => f.write_str(b.name()),
            GoType::Pointer(t) => write!(f, "*{}", InPkg(t, local)),
            GoType::Slice(t) => write!(f, "[]{}", InPkg(t, local)),
            GoType::Array(n, t) => write!(f, "[{n}]{}", InPkg(t, local)),
            GoType::Map(k, v) => write!(f, "map[{}]{}", InPkg(k, local), InPkg(v, local)),
            GoType::Chan(ChanDir::Both, t) => write!(f, "chan {}", InPkg(t, local)),
            GoType::Chan(ChanDir::Send, t) => write!(f, "chan<- {}", InPkg(t, local)),
            GoType::Chan(ChanDir::Recv, t) => write!(f, "<-chan {}", InPkg(t, local)),
            GoType::Func(sig) => f.write_str(sig),
            GoType::Interface(m) if m.is_empty() => f.write_str("interface{}"),
            GoType::Interface(m) => write!(f, "interface{{{m}}}"),
            GoType::Struct(s) => {
                f.write_str("struct{")?;
                for (i, fl) in s.fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    if fl.embedded {
                        write!(f, "{}", InPkg(&fl.ty, local))?;
                    } else {
                        write!(f, "{} {}", fl.name, InPkg(&fl.ty, local))?;
                    }
                }
                f.write_str("}")
            }
            GoType::Named(n) => name(f, &n.name),
            GoType::Ref(n) => name(f, n),
        }
    }
}
