//! The syntax tree of the parts of a Go file that decide layouts.
//!
//! Only declarations that matter are kept: the package clause, imports, type
//! declarations (with their struct fields), constant declarations (for array
//! lengths) and the names of fields used with 64-bit `sync/atomic` calls.
//! Function bodies and variable initialisers are skipped token-wise.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

pub use super::lexer::Pos;

/// A parsed Go file.
///
/// ```
/// let f = golayout::parse::parse_file("package p\nimport s \"sync\"\ntype T struct{ m s.Mutex }").unwrap();
/// assert_eq!((f.package.as_str(), f.imports[0].name.as_deref()), ("p", Some("s")));
/// assert_eq!(f.types[0].name, "T");
/// ```
#[derive(Clone, Debug, Default)]
pub struct File {
    /// The package name.
    pub package: String,
    /// `//go:build` expression, if any (or `// +build` lines joined with `&&`).
    pub build: Option<String>,
    /// Imports.
    pub imports: Vec<Import>,
    /// Type declarations, in source order.
    pub types: Vec<TypeDecl>,
    /// Constant declarations, in source order, with implicit repetition expanded.
    pub consts: Vec<ConstDecl>,
    /// Package-level variables whose type the declaration shows.
    pub vars: Vec<VarDecl>,
    /// Functions and methods: their typed variables and 64-bit atomic calls.
    pub funcs: Vec<FuncDecl>,
    /// Method declarations: receiver base type and method name.
    pub methods: Vec<MethodDecl>,
}

/// `func (r *T) Name(…)`: a method's name and the type it is declared on.
///
/// ```
/// let f = golayout::parse::parse_file("package p\ntype T struct{}\nfunc (t *T) M() {}").unwrap();
/// assert_eq!((f.methods[0].recv.as_str(), f.methods[0].name.as_str()), ("T", "M"));
/// ```
#[derive(Clone, Debug)]
pub struct MethodDecl {
    /// The receiver's base type name (`T` for `*T` and `T[P]`).
    pub recv: String,
    /// The method's name.
    pub name: String,
    /// Where the method's name is.
    pub pos: Pos,
}

/// `import name "path"`.
#[derive(Clone, Debug)]
pub struct Import {
    /// The explicit name (`.`, `_` or an alias), if any.
    pub name: Option<String>,
    /// The import path.
    pub path: String,
    /// Where.
    pub pos: Pos,
}

/// `type Name[TypeParams] Type` or `type Name = Type`.
#[derive(Clone, Debug)]
pub struct TypeDecl {
    /// Name.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// Whether it declares type parameters (a generic type).
    pub generic: bool,
    /// The type parameters' names, if generic.
    pub params: Vec<String>,
    /// Whether it is an alias (`=`).
    pub alias: bool,
    /// The type.
    pub ty: TypeExpr,
    /// Where the type starts (the `struct` keyword of a struct type), where
    /// `go vet`'s fieldalignment reports.
    pub ty_pos: Pos,
}

/// A type expression.
#[derive(Clone, Debug)]
pub enum TypeExpr {
    /// `name` or `pkg.name`.
    Name {
        /// The package qualifier.
        pkg: Option<String>,
        /// The name.
        name: String,
        /// Where.
        pos: Pos,
    },
    /// `Base[Args]`: a generic instantiation.
    Inst {
        /// The generic type.
        base: Box<TypeExpr>,
        /// Type arguments.
        args: Vec<TypeExpr>,
    },
    /// `*T`
    Pointer(Box<TypeExpr>),
    /// `[]T`
    Slice(Box<TypeExpr>),
    /// `[N]T`
    Array(Box<Expr>, Box<TypeExpr>),
    /// `map[K]V`, with where the key type starts (where gc reports an
    /// invalid key: the type's first token, the `(` of a `func` type's
    /// parameters, inside any parentheses).
    Map(Box<TypeExpr>, Box<TypeExpr>, Pos),
    /// `chan T` (0), `chan<- T` (1), `<-chan T` (2)
    Chan(u8, Box<TypeExpr>),
    /// A function type; the text is its source without comments, spaced
    /// as go/types prints it (`func(a int, b string) (n int)`).
    Func(String),
    /// An interface type; the text is its method/embedding list without
    /// comments, elements joined by `; ` (`A() int; B()`).
    Interface(String),
    /// `struct{...}`
    Struct(Vec<FieldDecl>),
}

/// A field declaration: `a, b T "tag"` or embedded `T` / `*T`.
#[derive(Clone, Debug)]
pub struct FieldDecl {
    /// Names; empty for an embedded field.
    pub names: Vec<String>,
    /// The type (for `*T` embedding, the pointer type).
    pub ty: TypeExpr,
    /// The tag's source text, if any.
    pub tag: Option<String>,
    /// Where.
    pub pos: Pos,
    /// The type's source text, as written.
    pub ty_src: String,
    /// The comment lines directly above the field, as written.
    pub doc: Vec<String>,
    /// A comment after the field on its line, as written.
    pub comment: Option<String>,
}

/// A variable whose type its declaration shows: a receiver, a parameter,
/// `var x T`, `x := T{…}`, `x := &T{…}` (the type `*T`), `x := new(T)`.
#[derive(Clone, Debug)]
pub struct VarDecl {
    /// Name.
    pub name: String,
    /// Its type.
    pub ty: TypeExpr,
}

/// What the 64-bit atomic check needs of a function: its typed variables
/// (receiver, parameters, locals, in source order) and its calls of 64-bit
/// `sync/atomic` functions.
#[derive(Clone, Debug, Default)]
pub struct FuncDecl {
    /// Typed variables.
    pub vars: Vec<VarDecl>,
    /// `atomic.AddUint64(&x.a.b, …)` and the like.
    pub atomic_uses: Vec<AtomicUse>,
}

/// The operand of a 64-bit `sync/atomic` call, `&x.a.b` or `&x.a[i].b`: a
/// chain of names, with `[]` for an index.
#[derive(Clone, Debug)]
pub struct AtomicUse {
    /// `["x", "a", "b"]`; `["x", "a", "[]", "b"]` for `&x.a[i].b`.
    pub chain: Vec<String>,
    /// Where the call is.
    pub pos: Pos,
}

/// One constant: `Name [Type] = Expr` with its `iota`.
#[derive(Clone, Debug)]
pub struct ConstDecl {
    /// Name.
    pub name: String,
    /// Where.
    pub pos: Pos,
    /// Declared type, if any.
    pub ty: Option<TypeExpr>,
    /// Value expression (after implicit repetition); `None` if missing.
    pub value: Option<Expr>,
    /// The value of `iota` for this spec.
    pub iota: i64,
}

/// A (constant) expression.
#[derive(Clone, Debug)]
pub enum Expr {
    /// An integer literal's value (`None` if it overflows 128 bits).
    Int(Option<i128>, Pos),
    /// A floating-point literal's exact value as a fraction (numerator,
    /// positive denominator, in lowest terms; `None` if either passes 128
    /// bits).
    Float(Option<(i128, i128)>, Pos),
    /// A string literal's decoded length in bytes (`None` if undecodable).
    Str(Option<u64>, Pos),
    /// A rune literal's value.
    Char(Option<i128>, Pos),
    /// `name` or `pkg.name`.
    Name {
        /// The package qualifier.
        pkg: Option<String>,
        /// The name.
        name: String,
        /// Where.
        pos: Pos,
    },
    /// Unary `op x`.
    Unary(&'static str, Box<Expr>, Pos),
    /// Binary `x op y`.
    Binary(&'static str, Box<Expr>, Box<Expr>, Pos),
    /// `f(args)`: a conversion or a builtin such as `len` or `unsafe.Sizeof`.
    Call(Box<Expr>, Vec<Expr>, Pos),
    /// A composite literal `T{...}` (its type only; used by `unsafe.Sizeof(T{})`).
    Composite(Box<TypeExpr>, Pos),
    /// `T{...}.f`: a field of a composite literal (for `len(T{}.arr)`,
    /// `unsafe.Sizeof(T{}.f)` and `unsafe.Offsetof(T{}.f)`).
    FieldOf(Box<TypeExpr>, String, Pos),
    /// A type used as an operand (`[]byte` in `len([]byte("x"))`…); unsupported in constants.
    Type(Box<TypeExpr>, Pos),
    /// Something a constant cannot be (imaginary literal, index, composite literal…).
    Unsupported(&'static str, Pos),
}

impl Expr {
    /// The expression's position.
    ///
    /// ```
    /// let f = golayout::parse::parse_file("package p\nconst N = 1 << 3").unwrap();
    /// assert_eq!(f.consts[0].value.as_ref().unwrap().pos().col, 13);
    /// ```
    pub fn pos(&self) -> Pos {
        match self {
            Expr::Int(_, p)
            | Expr::Float(_, p)
            | Expr::Str(_, p)
            | Expr::Char(_, p)
            | Expr::Unary(_, _, p)
            | Expr::Binary(_, _, _, p)
            | Expr::Call(_, _, p)
            | Expr::Type(_, p)
            | Expr::Composite(_, p)
            | Expr::FieldOf(_, _, p)
            | Expr::Unsupported(_, p) => *p,
            Expr::Name { pos, .. } => *pos,
        }
    }
}
