//! From syntax to [`GoType`]: packages, scopes, imports, constants, generics.
//!
//! A [`Program`] holds parsed packages (scanned ones first, then the built-in
//! standard-library knowledge of [`crate::stdlib`] as fallbacks, then types
//! the user [`Program::define`]s). A [`Resolver`] turns a package-level type
//! declaration into a [`GoType`] for one arch: it picks the files whose build
//! constraints hold for that arch, looks names up in package scope, then the
//! universe, then dot-imports, follows qualified names through the file's
//! imports (a qualifier that matches no import's last path element nor any
//! loaded package's name asks for the file's first unloaded import, as a
//! [`ResolveErrorKind::NotLoaded`]: `example.com/m/v2` is package `m`),
//! names types by their package's declared name, evaluates array lengths as Go constants (iota, typed arithmetic
//! with overflow checks, exact untyped floating-point arithmetic, `len` of
//! string constants, `len`/`cap` of array composite literals and fields,
//! conversions, `unsafe.Sizeof`/`Alignof` of a conversion, a composite
//! literal `T{}`, a field `T{}.f` or a constant,
//! `unsafe.Offsetof(T{}.f)`), and instantiates generic types by
//! substituting type arguments. Declarations of generic types themselves have
//! no layout and are reported as [`ResolveErrorKind::Generic`].
//!
//! Invariants:
//! - I1 a named type reached by value is resolved (and cached) once per
//!   resolver; reached through a pointer, slice, map, chan or func it becomes
//!   a [`GoType::Ref`], so `type L struct{ next *L }` terminates.
//! - I2 a named type that needs itself by value is `invalid recursive type`,
//!   as in gc, and so is an alias that refers to itself through aliases
//!   only, even behind a pointer (`type S = struct{ next *S }`); constants
//!   that need themselves are `initialization cycle`.
//! - I3 every recursion is depth-limited ([`MAX_DEPTH`]), so no input overflows the stack.
//! - I4 map keys are comparable (the Go spec's rule, as types2's
//!   `Comparable`: interfaces, pointers and channels are; slices, maps,
//!   funcs and arrays or structs holding one are not) and embedded fields
//!   are not pointers, `unsafe.Pointer` or pointers to interfaces, or
//!   resolution fails with gc's message at gc's position. What a check
//!   needs by value (the named key type, the embedded type) is resolved by
//!   a second resolver without checks, with its own cache and busy set: the
//!   first one may be in the middle of that very type (`type T [2]*map[T]int`
//!   is valid Go), and its busy set would make that an invalid recursion.
//!   A key or embedded type that cannot be resolved (its package is not
//!   loaded) passes.
//! - I5 a name declared twice (types or constants) among the files compiled
//!   for the arch is `redeclared in this block`, at the later declaration.
//!
//! Divergence: untyped integer constants are 128-bit integers and untyped
//! floating-point constants exact fractions of two of them (gc: at least 256
//! bits of mantissa); typed floating-point and complex constants are not
//! evaluated (only typed, for `unsafe.Sizeof` and `Alignof`). Either limit
//! gives an error naming the constant, never a wrong length. Type
//! parameters are substituted before I4's checks, so a bad instantiation is
//! reported at the map or field inside the generic type, where gc reports the
//! unsatisfied constraint at the type argument.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::arch::Arch;
use crate::parse::{
    eval_constraint, file_name_matches, parse_file, ConstDecl, Expr, File, ParseError, Pos,
    TypeDecl, TypeExpr,
};
use crate::sizes::{info, struct_layout};
use crate::ty::{BasicKind, ChanDir, Field, GoType, Named, Struct, TypeName};

/// Deepest nesting of type or constant resolution.
pub const MAX_DEPTH: u32 = 100;

/// A parsed file of a package.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// File name (as given; used in messages).
    pub name: String,
    /// The syntax tree.
    pub ast: File,
    /// Whether it imports "C" (such files are left out: cgo is off).
    pub cgo: bool,
}

/// A package: files sharing an import path and a package name.
#[derive(Clone, Debug)]
pub struct Package {
    /// Import path (`sync/atomic`).
    pub path: String,
    /// Package name (`atomic`).
    pub name: String,
    /// Its files.
    pub files: Vec<SourceFile>,
    /// Whether this is built-in knowledge (used only when no scanned package has the path).
    pub fallback: bool,
    types: BTreeMap<String, Vec<(usize, usize)>>,
    consts: BTreeMap<String, Vec<(usize, usize)>>,
}

impl Package {
    /// Whether file `fi` is compiled for `arch`.
    ///
    /// ```
    /// let mut p = golayout::Program::new();
    /// let k = p.add_source("x", "a_386.go", "package x").unwrap();
    /// assert!(p.packages()[k].file_matches(0, golayout::Arch::I386));
    /// assert!(!p.packages()[k].file_matches(0, golayout::Arch::Amd64));
    /// ```
    pub fn file_matches(&self, fi: usize, arch: Arch) -> bool {
        let f = &self.files[fi];
        !f.cgo
            && file_name_matches(&f.name, arch)
            && f.ast
                .build
                .as_deref()
                .map_or(true, |b| eval_constraint(b, arch))
    }

    /// The package-level type declarations compiled for `arch`, first per name, in file order.
    ///
    /// ```
    /// let mut p = golayout::Program::new();
    /// let k = p.add_source("x", "a.go", "package x\ntype (A int; B struct{})").unwrap();
    /// let names: Vec<_> = p.packages()[k].type_decls(golayout::Arch::Amd64).iter().map(|(_, d)| d.name.clone()).collect();
    /// assert_eq!(names, ["A", "B"]);
    /// ```
    pub fn type_decls(&self, arch: Arch) -> Vec<(usize, &TypeDecl)> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (fi, f) in self.files.iter().enumerate() {
            if !self.file_matches(fi, arch) {
                continue;
            }
            for d in &f.ast.types {
                if d.name != "_" && seen.insert(d.name.as_str()) {
                    out.push((fi, d));
                }
            }
        }
        out
    }

    fn lookup_type(&self, name: &str, arch: Arch) -> Option<(usize, &TypeDecl)> {
        let v = self.types.get(name)?;
        v.iter()
            .find(|(fi, _)| self.file_matches(*fi, arch))
            .map(|&(fi, di)| (fi, &self.files[fi].ast.types[di]))
    }

    /// The method named `field` declared on type `ty` (or `*ty`) in the
    /// files compiled for `arch`, for gc's `field and method with the same
    /// name`.
    fn method_named(&self, ty: &str, field: &str, arch: Arch) -> Option<(usize, Pos)> {
        self.files
            .iter()
            .enumerate()
            .filter(|&(fi, _)| self.file_matches(fi, arch))
            .flat_map(|(fi, f)| f.ast.methods.iter().map(move |m| (fi, m)))
            .find(|(_, m)| m.recv == ty && m.name == field)
            .map(|(fi, m)| (fi, m.pos))
    }

    fn lookup_const(&self, name: &str, arch: Arch) -> Option<(usize, &ConstDecl)> {
        let v = self.consts.get(name)?;
        v.iter()
            .find(|(fi, _)| self.file_matches(*fi, arch))
            .map(|&(fi, di)| (fi, &self.files[fi].ast.consts[di]))
    }

    /// Whether alias `name = ty` refers to itself through other aliases of
    /// the package only (gc: `invalid recursive type`, even behind a
    /// pointer: an alias is not a defined type, so nothing breaks the
    /// cycle). A defined type on the way ends the search. Iterative, and
    /// at most [`MAX_DEPTH`] aliases are expanded (a longer chain is not
    /// searched further), so the check costs little on any input.
    fn alias_cycle(&self, name: &str, ty: &TypeExpr, arch: Arch) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![ty];
        while let Some(t) = todo.pop() {
            match t {
                TypeExpr::Name {
                    pkg: None, name: n, ..
                } => {
                    if n == name {
                        return true;
                    }
                    if let Some((_, d)) = self.lookup_type(n, arch) {
                        if d.alias && seen.len() < MAX_DEPTH as usize && seen.insert(n.as_str()) {
                            todo.push(&d.ty);
                        }
                    }
                }
                TypeExpr::Name { .. } | TypeExpr::Func(_) | TypeExpr::Interface(_) => {}
                TypeExpr::Inst { base, args } => {
                    todo.push(base);
                    todo.extend(args);
                }
                TypeExpr::Pointer(e) | TypeExpr::Slice(e) | TypeExpr::Chan(_, e) => todo.push(e),
                TypeExpr::Array(_, e) => todo.push(e),
                TypeExpr::Map(k, v, _) => {
                    todo.push(k);
                    todo.push(v);
                }
                TypeExpr::Struct(fields) => todo.extend(fields.iter().map(|f| &f.ty)),
            }
        }
        false
    }

    /// When `name` is declared more than once (as types or constants) in
    /// the files compiled for `arch`: the second declaration, in file
    /// order, where gc reports `name redeclared in this block`.
    fn redeclared(&self, name: &str, arch: Arch) -> Option<(usize, Pos)> {
        if name == "_" {
            return None;
        }
        let types = self
            .types
            .get(name)
            .into_iter()
            .flatten()
            .map(|&(fi, di)| (fi, self.files[fi].ast.types[di].pos));
        let consts = self
            .consts
            .get(name)
            .into_iter()
            .flatten()
            .map(|&(fi, di)| (fi, self.files[fi].ast.consts[di].pos));
        let mut all: Vec<(usize, Pos)> = types
            .chain(consts)
            .filter(|&(fi, _)| self.file_matches(fi, arch))
            .collect();
        if all.len() < 2 {
            return None;
        }
        all.sort_by_key(|&(fi, pos)| (fi, pos.line, pos.col));
        Some(all[1])
    }
}

/// Packages to resolve types in.
///
/// # Examples
///
/// ```
/// use golayout::{Arch, Program};
/// let mut prog = Program::with_stdlib();
/// let k = prog.add_source("example.com/m", "m.go", r#"
/// package m
/// import "sync"
/// type T struct { mu sync.Mutex; n int64 }
/// "#).unwrap();
/// let t = prog.resolver(Arch::I386).resolve(k, "T").unwrap();
/// assert_eq!(golayout::sizeof(&t, Arch::I386).unwrap(), 16);
/// # Ok::<(), golayout::ResolveError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Program {
    packages: Vec<Package>,
    extra: BTreeMap<TypeName, GoType>,
}

impl Program {
    /// An empty program (only the universe: predeclared types, `error`, `any`, `unsafe.Pointer`).
    ///
    /// ```
    /// assert!(golayout::Program::new().packages().is_empty());
    /// ```
    pub fn new() -> Self {
        Program::default()
    }

    /// A program that knows the Go 1.19 standard-library types of [`crate::stdlib`].
    ///
    /// ```
    /// let p = golayout::Program::with_stdlib();
    /// assert!(p.find_package("sync/atomic").is_some());
    /// ```
    pub fn with_stdlib() -> Self {
        let mut p = Program::new();
        for (path, file, src) in crate::stdlib::PACKAGES {
            // The built-in sources are tested to parse (see tests below).
            if let Ok(ast) = parse_file(src) {
                p.add_parsed(path, file, ast, true);
            }
        }
        p
    }

    /// The packages, scanned and built-in.
    ///
    /// ```
    /// assert!(golayout::Program::with_stdlib().packages().iter().all(|p| p.fallback));
    /// ```
    pub fn packages(&self) -> &[Package] {
        &self.packages
    }

    /// Parses `src` and adds it to the package with import path `path`.
    ///
    /// # Errors
    ///
    /// The file's first syntax error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut p = golayout::Program::new();
    /// assert!(p.add_source("x", "x.go", "package x\ntype T [").is_err());
    /// ```
    pub fn add_source(
        &mut self,
        path: &str,
        file_name: &str,
        src: &str,
    ) -> Result<usize, ParseError> {
        let ast = parse_file(src)?;
        Ok(self.add_file(path, file_name, ast))
    }

    /// Adds a parsed file to the package with import path `path`; returns the package index.
    ///
    /// ```
    /// let mut p = golayout::Program::new();
    /// let f = golayout::parse::parse_file("package x_test").unwrap();
    /// let k = p.add_file("x", "x_test.go", f);
    /// assert_eq!(p.packages()[k].name, "x_test");
    /// ```
    pub fn add_file(&mut self, path: &str, file_name: &str, ast: File) -> usize {
        self.add_parsed(path, file_name, ast, false)
    }

    fn add_parsed(&mut self, path: &str, file_name: &str, ast: File, fallback: bool) -> usize {
        let k = match self
            .packages
            .iter()
            .position(|p| p.path == path && p.name == ast.package && p.fallback == fallback)
        {
            Some(k) => k,
            None => {
                self.packages.push(Package {
                    path: path.to_string(),
                    name: ast.package.clone(),
                    files: Vec::new(),
                    fallback,
                    types: BTreeMap::new(),
                    consts: BTreeMap::new(),
                });
                self.packages.len() - 1
            }
        };
        let p = &mut self.packages[k];
        let fi = p.files.len();
        for (di, d) in ast.types.iter().enumerate() {
            p.types.entry(d.name.clone()).or_default().push((fi, di));
        }
        for (di, d) in ast.consts.iter().enumerate() {
            p.consts.entry(d.name.clone()).or_default().push((fi, di));
        }
        let cgo = ast.imports.iter().any(|i| i.path == "C");
        p.files.push(SourceFile {
            name: file_name.to_string(),
            ast,
            cgo,
        });
        k
    }

    /// Defines (or overrides) a type by hand: the user extension point.
    ///
    /// ```
    /// use golayout::{Arch, GoType, Named, Program, TypeName, BasicKind};
    /// let mut p = Program::new();
    /// let id = TypeName::new("example.com/ids", "ID");
    /// p.define(id.clone(), GoType::named(Named::new(&id.pkg, &id.name, GoType::Array(16, Box::new(GoType::Basic(BasicKind::Uint8))))));
    /// let k = p.add_source("m", "m.go", "package m\nimport \"example.com/ids\"\ntype T struct{ a bool; id ids.ID }").unwrap();
    /// let t = p.resolver(Arch::Amd64).resolve(k, "T").unwrap();
    /// assert_eq!(golayout::sizeof(&t, Arch::Amd64).unwrap(), 17);
    /// ```
    pub fn define(&mut self, name: TypeName, ty: GoType) {
        self.extra.insert(name, ty);
    }

    /// The package for an import path: a scanned one (exact path, else a
    /// vendored copy `…vendor/path`), else built-in knowledge.
    ///
    /// ```
    /// let mut p = golayout::Program::with_stdlib();
    /// let k = p.add_source("vendor/golang.org/x/y", "y.go", "package y").unwrap();
    /// assert_eq!(p.find_package("golang.org/x/y"), Some(k));
    /// ```
    pub fn find_package(&self, path: &str) -> Option<usize> {
        let ok = |p: &Package| !p.fallback && !p.name.ends_with("_test");
        // Prefer a library over a `main` (e.g. a `//go:build ignore` generator), then the bigger one.
        let best = |it: &mut dyn Iterator<Item = usize>| {
            it.max_by_key(|&k| {
                (
                    self.packages[k].name != "main",
                    self.packages[k].files.len(),
                    usize::MAX - k,
                )
            })
        };
        let exact = best(
            &mut (0..self.packages.len())
                .filter(|&k| ok(&self.packages[k]) && self.packages[k].path == path),
        );
        if exact.is_some() {
            return exact;
        }
        // A vendored copy: `vendor/<path>` or `<something>/vendor/<path>`
        // (never just any path ending in `/<path>`: `cmd/internal/trace` is
        // not `internal/trace`).
        let vendored_path = format!("vendor/{path}");
        let suffix = format!("/{vendored_path}");
        let vendored = best(&mut (0..self.packages.len()).filter(|&k| {
            let p = &self.packages[k].path;
            ok(&self.packages[k]) && (*p == vendored_path || p.ends_with(&suffix))
        }));
        if vendored.is_some() {
            return vendored;
        }
        self.packages
            .iter()
            .position(|p| p.fallback && p.path == path)
    }

    /// A resolver for one arch.
    ///
    /// ```
    /// let p = golayout::Program::with_stdlib();
    /// let k = p.find_package("sync").unwrap();
    /// let wg = p.resolver(golayout::Arch::I386).resolve(k, "WaitGroup").unwrap();
    /// assert_eq!(golayout::sizeof(&wg, golayout::Arch::I386).unwrap(), 12);
    /// ```
    pub fn resolver(&self, arch: Arch) -> Resolver<'_> {
        Resolver {
            prog: self,
            arch,
            types: BTreeMap::new(),
            consts: BTreeMap::new(),
            busy: BTreeSet::new(),
            busy_consts: BTreeSet::new(),
            depth: 0,
            checks: true,
            by_value: None,
        }
    }
}

/// Why a type could not be resolved (or is skipped).
///
/// ```
/// let mut p = golayout::Program::new();
/// let k = p.add_source("m", "m.go", "package m\ntype T struct{ x Missing }").unwrap();
/// let e = p.resolver(golayout::Arch::Amd64).resolve(k, "T").unwrap_err();
/// assert_eq!(e.to_string(), "m.go:2:18: cannot resolve type Missing");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveError {
    /// File where the problem is.
    pub file: String,
    /// Position in it.
    pub pos: Pos,
    /// What.
    pub kind: ResolveErrorKind,
}

/// The kinds of [`ResolveError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveErrorKind {
    /// A type name that is not declared anywhere we can see.
    Undefined(String),
    /// A generic type declaration (no layout without type arguments) or a bad instantiation.
    Generic(String),
    /// A constant (array length) that cannot be evaluated.
    Const(String),
    /// A type that contains itself by value.
    Recursive(String),
    /// Two fields of one struct with the same name (gc: `a redeclared`).
    Redeclared(String),
    /// A struct type's field and one of the type's methods with one name
    /// (gc: `field and method with the same name a`, at the method).
    FieldAndMethod(String),
    /// A package-level name declared twice (types or constants) in the
    /// files compiled for the arch (gc: `T redeclared in this block`).
    RedeclaredInBlock(String),
    /// A map key type that is not comparable (gc: `invalid map key type K`);
    /// the key type as gc prints it.
    InvalidMapKey(String),
    /// An embedded field of a type Go forbids there (gc: `embedded field
    /// type cannot be a pointer`): `a pointer`, `a pointer to an interface`
    /// or `unsafe.Pointer`.
    InvalidEmbedded(&'static str),
    /// A declaration (type or constant) of a package the program has not
    /// loaded: `path` is its import path, `what` the message. A loader can
    /// load the package and resolve again.
    NotLoaded {
        /// The import path of the missing package.
        path: String,
        /// What could not be resolved, as a message.
        what: String,
    },
}

impl ResolveError {
    /// Whether this is a skip (generic declaration) rather than an error.
    ///
    /// ```
    /// let mut p = golayout::Program::new();
    /// let k = p.add_source("m", "m.go", "package m\ntype L[T any] struct{ v T }").unwrap();
    /// assert!(p.resolver(golayout::Arch::Amd64).resolve(k, "L").unwrap_err().is_skip());
    /// ```
    pub fn is_skip(&self) -> bool {
        matches!(self.kind, ResolveErrorKind::Generic(_))
    }

    /// The message without the position.
    ///
    /// ```
    /// let mut p = golayout::Program::new();
    /// let k = p.add_source("m", "m.go", "package m\ntype T struct{ t T }").unwrap();
    /// assert_eq!(p.resolver(golayout::Arch::Amd64).resolve(k, "T").unwrap_err().message(), "invalid recursive type T");
    /// ```
    pub fn message(&self) -> String {
        match &self.kind {
            ResolveErrorKind::Undefined(n) => format!("cannot resolve type {n}"),
            ResolveErrorKind::Generic(m) | ResolveErrorKind::Const(m) => m.clone(),
            ResolveErrorKind::Recursive(n) => format!("invalid recursive type {n}"),
            ResolveErrorKind::Redeclared(n) => format!("{n} redeclared"),
            ResolveErrorKind::RedeclaredInBlock(n) => format!("{n} redeclared in this block"),
            ResolveErrorKind::FieldAndMethod(n) => {
                format!("field and method with the same name {n}")
            }
            ResolveErrorKind::InvalidMapKey(k) => format!("invalid map key type {k}"),
            ResolveErrorKind::InvalidEmbedded(what) => {
                format!("embedded field type cannot be {what}")
            }
            ResolveErrorKind::NotLoaded { what, .. } => what.clone(),
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file,
            self.pos.line,
            self.pos.col,
            self.message()
        )
    }
}

impl core::error::Error for ResolveError {}

/// Where a type expression is being resolved: package, file, type arguments in scope.
#[derive(Clone)]
struct Ctx {
    pkg: usize,
    file: usize,
    params: Rc<Vec<(String, TypeExpr, Ctx)>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IntTy {
    bits: u32,
    signed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Int(i128, Option<IntTy>),
    /// An untyped floating-point constant, exactly: numerator and positive
    /// denominator in lowest terms.
    Rat(i128, i128),
    Str(u64),
    Bool(bool),
}

/// Resolves declarations of a [`Program`] for one arch, caching as it goes (I1).
pub struct Resolver<'p> {
    prog: &'p Program,
    arch: Arch,
    types: BTreeMap<(usize, String), Result<GoType, ResolveError>>,
    consts: BTreeMap<(usize, String), Result<Value, ResolveError>>,
    busy: BTreeSet<(usize, String)>,
    busy_consts: BTreeSet<(usize, String)>,
    depth: u32,
    /// Whether map keys and embedded fields are checked (I4); off in `by_value`.
    checks: bool,
    /// A second resolver, without checks, for the types those checks need by value (I4).
    by_value: Option<Box<Resolver<'p>>>,
}

type RResult<T> = Result<T, ResolveError>;

impl<'p> Resolver<'p> {
    /// The arch.
    ///
    /// ```
    /// assert_eq!(golayout::Program::new().resolver(golayout::Arch::Arm).arch(), golayout::Arch::Arm);
    /// ```
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// Resolves the package-level type `name` of package `pkg` (an index into [`Program::packages`]).
    ///
    /// # Errors
    ///
    /// [`ResolveError`]: an undefined name, a generic declaration, a bad
    /// array length, an invalid recursive type.
    ///
    /// # Examples
    ///
    /// See [`Program`].
    pub fn resolve(&mut self, pkg: usize, name: &str) -> RResult<GoType> {
        match self.lookup(pkg, name) {
            Some(r) => r,
            None => Err(ResolveError {
                file: String::new(),
                pos: Pos::default(),
                kind: ResolveErrorKind::Undefined(name.to_string()),
            }),
        }
    }

    /// The fields package `pkg`'s code (the files compiled for this arch)
    /// passes by address to a 64-bit `sync/atomic` function, as `go vet`'s
    /// atomicalign sees them: for `atomic.AddUint64(&x.a.b, 1)`, the type of
    /// `x` (a receiver, parameter, typed local or package variable; through
    /// a pointer) and the path `a.b` in it. A field reached through a
    /// pointer or a slice element starts a new object: the path restarts at
    /// that object's type. Keyed by the owning type's package and name.
    ///
    /// ```
    /// use golayout::{Arch, Program, TypeName};
    /// let mut p = Program::with_stdlib();
    /// let k = p.add_source("m", "m.go", r#"package m
    /// import "sync/atomic"
    /// type Stats struct{ on bool; hits uint64 }
    /// type Server struct{ name string; stats Stats }
    /// func (s *Server) hit() { atomic.AddUint64(&s.stats.hits, 1) }
    /// "#).unwrap();
    /// let uses = p.resolver(Arch::I386).atomic_uses(k);
    /// let paths = &uses[&TypeName::new("m", "Server")];
    /// assert!(paths.contains("stats.hits"));
    /// ```
    pub fn atomic_uses(&mut self, pkg: usize) -> BTreeMap<TypeName, BTreeSet<String>> {
        let mut out: BTreeMap<TypeName, BTreeSet<String>> = BTreeMap::new();
        let p = &self.prog.packages[pkg];
        let files: Vec<usize> = (0..p.files.len())
            .filter(|&fi| p.file_matches(fi, self.arch))
            .collect();
        for &fi in &files {
            let ast = &self.prog.packages[pkg].files[fi].ast;
            for func in &ast.funcs {
                for u in &func.atomic_uses {
                    let base = &u.chain[0];
                    let local = func
                        .vars
                        .iter()
                        .rev()
                        .find(|v| &v.name == base)
                        .map(|v| (fi, v));
                    let var = local.or_else(|| {
                        files.iter().find_map(|&gf| {
                            self.prog.packages[pkg].files[gf]
                                .ast
                                .vars
                                .iter()
                                .find(|v| &v.name == base)
                                .map(|v| (gf, v))
                        })
                    });
                    let Some((vf, var)) = var else { continue };
                    let ctx = Ctx {
                        pkg,
                        file: vf,
                        params: Rc::new(Vec::new()),
                    };
                    if let Some((owner, path)) = self.atomic_target(&ctx, &var.ty, &u.chain[1..]) {
                        out.entry(owner).or_default().insert(path);
                    }
                }
            }
        }
        out
    }

    /// Follows a selector chain from a variable of type `ty`: the object
    /// that holds the last field, and the field's path in it.
    fn atomic_target(
        &mut self,
        ctx: &Ctx,
        ty: &TypeExpr,
        chain: &[String],
    ) -> Option<(TypeName, String)> {
        let mut t = ty;
        while let TypeExpr::Pointer(inner) = t {
            t = inner;
        }
        let mut cur = self.type_expr(ctx, t, true).ok()?;
        let mut owner = named_of(&cur)?;
        let mut path = String::new();
        for seg in chain {
            cur = self.deref_named(cur)?;
            if seg == "[]" {
                match cur.underlying().clone() {
                    GoType::Array(_, elem) => {
                        path.push_str("[0]");
                        cur = *elem;
                    }
                    GoType::Slice(elem) | GoType::Pointer(elem) => {
                        cur = self.deref_named(*elem)?;
                        owner = named_of(&cur)?;
                        path.clear();
                    }
                    _ => return None,
                }
                continue;
            }
            if let GoType::Pointer(elem) = cur.underlying().clone() {
                // `p.f` through a pointer field: a new object.
                cur = self.deref_named(*elem)?;
                owner = named_of(&cur)?;
                path.clear();
            }
            let (field_path, field_ty) = find_field(&cur, seg, 0)?;
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&field_path);
            cur = field_ty;
        }
        (!path.is_empty()).then_some((owner, path))
    }

    /// A `Ref` resolved to its declaration (one level), so its fields show.
    fn deref_named(&mut self, t: GoType) -> Option<GoType> {
        match t {
            GoType::Ref(name) => {
                let k = self.prog.find_package(&name.pkg)?;
                self.lookup(k, &name.name)?.ok()
            }
            other => Some(other),
        }
    }

    fn err(&self, ctx: &Ctx, pos: Pos, kind: ResolveErrorKind) -> ResolveError {
        let file = self
            .prog
            .packages
            .get(ctx.pkg)
            .and_then(|p| p.files.get(ctx.file))
            .map(|f| f.name.clone())
            .unwrap_or_default();
        ResolveError { file, pos, kind }
    }

    fn enter(&mut self, ctx: &Ctx, pos: Pos) -> RResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(self.err(
                ctx,
                pos,
                ResolveErrorKind::Const("type or constant nested too deeply".into()),
            ));
        }
        Ok(())
    }

    /// `None` when the package does not declare `name` for this arch.
    fn lookup(&mut self, pkg: usize, name: &str) -> Option<RResult<GoType>> {
        let key = (pkg, name.to_string());
        if let Some(r) = self.types.get(&key) {
            return Some(r.clone());
        }
        let p = &self.prog.packages[pkg];
        let (fi, decl) = p.lookup_type(name, self.arch)?;
        if let Some((file, pos)) = p.redeclared(name, self.arch) {
            let ctx = Ctx {
                pkg,
                file,
                params: Rc::new(Vec::new()),
            };
            let r = Err(self.err(
                &ctx,
                pos,
                ResolveErrorKind::RedeclaredInBlock(name.to_string()),
            ));
            self.types.insert(key, r.clone());
            return Some(r);
        }
        let ctx = Ctx {
            pkg,
            file: fi,
            params: Rc::new(Vec::new()),
        };
        if decl.generic {
            let r = Err(self.err(
                &ctx,
                decl.pos,
                ResolveErrorKind::Generic(format!(
                    "generic type {name}[{}] has no layout without type arguments",
                    decl.params.join(", ")
                )),
            ));
            self.types.insert(key, r.clone());
            return Some(r);
        }
        if self.busy.contains(&key) || (decl.alias && p.alias_cycle(name, &decl.ty, self.arch)) {
            return Some(Err(self.err(
                &ctx,
                decl.pos,
                ResolveErrorKind::Recursive(name.to_string()),
            )));
        }
        self.busy.insert(key.clone());
        let r = self.enter(&ctx, decl.pos).and_then(|()| {
            let r = self.type_expr(&ctx, &decl.ty, true);
            self.depth -= 1;
            r
        });
        self.busy.remove(&key);
        let r = r.and_then(|t| {
            if decl.alias {
                return Ok(t);
            }
            let underlying = t.underlying().clone();
            if let (true, GoType::Struct(s)) = (self.checks, &underlying) {
                // gc checks a struct's fields against its type's methods;
                // `go build` lists the clashes in file order.
                let clash = s
                    .fields
                    .iter()
                    .filter(|f| f.name != "_")
                    .filter_map(|f| {
                        Some((f.name.clone(), p.method_named(name, &f.name, self.arch)?))
                    })
                    .min_by_key(|&(_, (fi, pos))| (fi, pos.line, pos.col));
                if let Some((field, (file, pos))) = clash {
                    let ctx = Ctx {
                        pkg,
                        file,
                        params: Rc::new(Vec::new()),
                    };
                    return Err(self.err(&ctx, pos, ResolveErrorKind::FieldAndMethod(field)));
                }
            }
            Ok(GoType::named(
                Named::new(&p.path, name, underlying).with_qualifier(&p.name),
            ))
        });
        self.types.insert(key, r.clone());
        Some(r)
    }

    /// When no import of the file is known to be package `q`: the first
    /// import by path alone whose package is not loaded, as a "not loaded"
    /// error (its name is known only once it is loaded: `example.com/m/v2`
    /// may be package `m`, directory `sub` package `other`); `undefined`
    /// when every such import is loaded.
    fn unknown_qualifier(
        &self,
        ctx: &Ctx,
        pos: Pos,
        what: String,
        undefined: ResolveErrorKind,
    ) -> ResolveError {
        let f = &self.prog.packages[ctx.pkg].files[ctx.file].ast;
        let unloaded = f.imports.iter().find(|i| {
            i.name.is_none()
                && !matches!(i.path.as_str(), "unsafe" | "C")
                && self.prog.find_package(&i.path).is_none()
        });
        let kind = match unloaded {
            Some(i) => ResolveErrorKind::NotLoaded {
                path: i.path.clone(),
                what: format!("{what} (package \"{}\" not loaded)", i.path),
            },
            None => undefined,
        };
        self.err(ctx, pos, kind)
    }

    fn import_path(&self, ctx: &Ctx, q: &str) -> Option<&'p str> {
        let f = &self.prog.packages[ctx.pkg].files[ctx.file].ast;
        let imp = f
            .imports
            .iter()
            .find(|i| i.name.as_deref() == Some(q))
            .or_else(|| {
                f.imports.iter().find(|i| {
                    i.name.is_none()
                        && (i.path.rsplit('/').next() == Some(q)
                            || self
                                .prog
                                .find_package(&i.path)
                                .is_some_and(|k| self.prog.packages[k].name == q))
                })
            })?;
        Some(imp.path.as_str())
    }

    fn type_expr(&mut self, ctx: &Ctx, t: &TypeExpr, direct: bool) -> RResult<GoType> {
        let pos = type_pos(t);
        self.enter(ctx, pos)?;
        let r = self.type_expr_inner(ctx, t, direct);
        self.depth -= 1;
        r
    }

    fn type_expr_inner(&mut self, ctx: &Ctx, t: &TypeExpr, direct: bool) -> RResult<GoType> {
        Ok(match t {
            TypeExpr::Name {
                pkg: None,
                name,
                pos,
            } => {
                if let Some((_, e, c)) = ctx.params.iter().find(|(n, _, _)| n == name) {
                    let (e, c) = (e.clone(), c.clone());
                    return self.type_expr(&c, &e, direct);
                }
                let pkg = &self.prog.packages[ctx.pkg];
                if pkg.lookup_type(name, self.arch).is_some() {
                    if direct {
                        return self
                            .lookup(ctx.pkg, name)
                            .unwrap_or_else(|| unreachable_undefined(name));
                    }
                    return Ok(GoType::Ref(
                        TypeName::new(&pkg.path, name).with_qualifier(&pkg.name),
                    ));
                }
                if let Some(t) = self.prog.extra.get(&TypeName::new(&pkg.path, name)) {
                    return Ok(t.clone());
                }
                if let Some(b) = BasicKind::from_name(name) {
                    return Ok(GoType::Basic(b));
                }
                match name.as_str() {
                    "error" => {
                        return Ok(GoType::named(Named::new(
                            "",
                            "error",
                            GoType::Interface("Error() string".into()),
                        )));
                    }
                    "any" => return Ok(GoType::Interface(String::new())),
                    "comparable" => return Ok(GoType::Interface("comparable".into())),
                    _ => {}
                }
                // Dot imports.
                let f = &pkg.files[ctx.file].ast;
                for imp in f.imports.iter().filter(|i| i.name.as_deref() == Some(".")) {
                    if let Some(k) = self.prog.find_package(&imp.path) {
                        if self.prog.packages[k].lookup_type(name, self.arch).is_some() {
                            if direct {
                                return self
                                    .lookup(k, name)
                                    .unwrap_or_else(|| unreachable_undefined(name));
                            }
                            let q = &self.prog.packages[k].name;
                            return Ok(GoType::Ref(
                                TypeName::new(&imp.path, name).with_qualifier(q),
                            ));
                        }
                    }
                }
                // Declared in a file for another arch only: still a name we know.
                if !direct && pkg.types.contains_key(name.as_str()) {
                    return Ok(GoType::Ref(
                        TypeName::new(&pkg.path, name).with_qualifier(&pkg.name),
                    ));
                }
                return Err(self.err(ctx, *pos, ResolveErrorKind::Undefined(name.clone())));
            }
            TypeExpr::Name {
                pkg: Some(q),
                name,
                pos,
            } => {
                let undefined = || ResolveErrorKind::Undefined(format!("{q}.{name}"));
                let Some(path) = self.import_path(ctx, q) else {
                    let what = format!("cannot resolve type {q}.{name}");
                    return Err(self.unknown_qualifier(ctx, *pos, what, undefined()));
                };
                if path == "unsafe" {
                    if name == "Pointer" {
                        return Ok(GoType::Basic(BasicKind::UnsafePointer));
                    }
                    return Err(self.err(ctx, *pos, undefined()));
                }
                if let Some(t) = self.prog.extra.get(&TypeName::new(path, name)) {
                    return Ok(t.clone());
                }
                match self.prog.find_package(path) {
                    Some(k) if direct => match self.lookup(k, name) {
                        Some(r) => return r,
                        // Built-in knowledge covers only part of a package:
                        // the real one may declare the name.
                        None if self.prog.packages[k].fallback => {
                            return Err(self.err(
                                ctx,
                                *pos,
                                ResolveErrorKind::NotLoaded {
                                    path: path.to_string(),
                                    what: format!(
                                        "cannot resolve type {q}.{name} (package \"{path}\" not loaded)"
                                    ),
                                },
                            ))
                        }
                        None => return Err(self.err(ctx, *pos, undefined())),
                    },
                    Some(k) => GoType::Ref(
                        TypeName::new(path, name).with_qualifier(&self.prog.packages[k].name),
                    ),
                    None if direct => {
                        return Err(self.err(
                            ctx,
                            *pos,
                            ResolveErrorKind::NotLoaded {
                                path: path.to_string(),
                                what: format!(
                                    "cannot resolve type {q}.{name} (package \"{path}\" not loaded)"
                                ),
                            },
                        ))
                    }
                    None => GoType::Ref(TypeName::new(path, name)),
                }
            }
            TypeExpr::Inst { base, args } => return self.instantiate(ctx, base, args, direct),
            TypeExpr::Pointer(e) => GoType::Pointer(Box::new(self.type_expr(ctx, e, false)?)),
            TypeExpr::Slice(e) => GoType::Slice(Box::new(self.type_expr(ctx, e, false)?)),
            TypeExpr::Map(k, v, key_pos) => {
                let key = self.type_expr(ctx, k, false)?;
                let value = self.type_expr(ctx, v, false)?;
                if self.checks {
                    // gc: "invalid map key type K" (types2 `Comparable`). A
                    // key that cannot be resolved by value passes.
                    let full = match comparable(&key) {
                        Some(_) => None,
                        None => self.resolve_by_value(ctx, k),
                    };
                    let key_ty = full.as_ref().unwrap_or(&key);
                    if comparable(key_ty) == Some(false) {
                        let local = &self.prog.packages[ctx.pkg].path;
                        let shown = key_ty.display_in(local).to_string();
                        return Err(self.err(
                            ctx,
                            *key_pos,
                            ResolveErrorKind::InvalidMapKey(shown),
                        ));
                    }
                }
                GoType::Map(Box::new(key), Box::new(value))
            }
            TypeExpr::Chan(d, e) => {
                let dir = match d {
                    1 => ChanDir::Send,
                    2 => ChanDir::Recv,
                    _ => ChanDir::Both,
                };
                GoType::Chan(dir, Box::new(self.type_expr(ctx, e, false)?))
            }
            TypeExpr::Array(n, e) => {
                let len = self.array_len(ctx, n)?;
                GoType::Array(len, Box::new(self.type_expr(ctx, e, direct)?))
            }
            TypeExpr::Func(s) => GoType::Func(s.clone()),
            TypeExpr::Interface(s) => GoType::Interface(s.clone()),
            TypeExpr::Struct(fields) => {
                let mut out: Vec<Field> = Vec::with_capacity(fields.len());
                for fd in fields {
                    let ty = self.type_expr(ctx, &fd.ty, direct)?;
                    if fd.names.is_empty() && self.checks {
                        if let Some(what) = self.embedded_problem(ctx, &fd.ty, &ty) {
                            return Err(self.err(
                                ctx,
                                fd.pos,
                                ResolveErrorKind::InvalidEmbedded(what),
                            ));
                        }
                    }
                    let before = out.len();
                    if fd.names.is_empty() {
                        out.push(Field::embedded(embedded_name(&fd.ty), ty));
                    } else {
                        for n in &fd.names {
                            out.push(Field::new(n, ty.clone()));
                        }
                    }
                    // gc: "a redeclared" for a second field of one name
                    // (an embedded field's name is its type's; `_` may repeat).
                    for i in before..out.len() {
                        let name = &out[i].name;
                        if name != "_" && out[..i].iter().any(|f| &f.name == name) {
                            return Err(self.err(
                                ctx,
                                fd.pos,
                                ResolveErrorKind::Redeclared(name.clone()),
                            ));
                        }
                    }
                }
                GoType::Struct(Struct { fields: out })
            }
        })
    }

    /// `t` resolved by value, named types and all, by the check-free
    /// resolver (I4); `None` if it cannot be (the check is then skipped).
    fn resolve_by_value(&mut self, ctx: &Ctx, t: &TypeExpr) -> Option<GoType> {
        self.with_by_value(|sub| sub.type_expr(ctx, t, true).ok())
    }

    /// The declaration a [`GoType::Ref`] names, resolved by the check-free resolver.
    fn ref_by_value(&mut self, name: &TypeName) -> Option<GoType> {
        let k = self.prog.find_package(&name.pkg)?;
        self.with_by_value(|sub| sub.lookup(k, &name.name)?.ok())
    }

    fn with_by_value<T>(&mut self, f: impl FnOnce(&mut Resolver<'p>) -> T) -> T {
        let (prog, arch, depth) = (self.prog, self.arch, self.depth);
        let sub = self.by_value.get_or_insert_with(|| {
            let mut r = prog.resolver(arch);
            r.checks = false;
            Box::new(r)
        });
        // The two share one depth budget (I3).
        sub.depth = depth;
        let r = f(sub);
        sub.depth = 0;
        r
    }

    /// What gc says an embedded field of type `t` (written `te`) cannot be,
    /// if anything, as types2 decides it: one unnamed pointer is taken off
    /// the type (so an alias of `*T` embeds like `*T`), then a pointer or
    /// `unsafe.Pointer` underneath is rejected, and so is an interface
    /// under that pointer.
    fn embedded_problem(&mut self, ctx: &Ctx, te: &TypeExpr, t: &GoType) -> Option<&'static str> {
        let top = match t {
            GoType::Ref(_) => self.resolve_by_value(ctx, te)?,
            t => t.clone(),
        };
        let (base, star) = match top {
            GoType::Pointer(b) => {
                let b = match (*b, te) {
                    (GoType::Ref(_), TypeExpr::Pointer(e)) => self.resolve_by_value(ctx, e)?,
                    (GoType::Ref(n), _) => self.ref_by_value(&n)?,
                    (b, _) => b,
                };
                (b, true)
            }
            other => (other, false),
        };
        match base.underlying() {
            GoType::Basic(BasicKind::UnsafePointer) => Some("unsafe.Pointer"),
            GoType::Pointer(_) => Some("a pointer"),
            GoType::Interface(_) if star => Some("a pointer to an interface"),
            _ => None,
        }
    }

    fn instantiate(
        &mut self,
        ctx: &Ctx,
        base: &TypeExpr,
        args: &[TypeExpr],
        direct: bool,
    ) -> RResult<GoType> {
        let TypeExpr::Name { pkg: q, name, pos } = base else {
            return Err(self.err(
                ctx,
                type_pos(base),
                ResolveErrorKind::Generic("instantiation of a non-name type".into()),
            ));
        };
        let k = match q {
            None if self.prog.packages[ctx.pkg]
                .lookup_type(name, self.arch)
                .is_none() =>
            {
                // A dot-imported generic type (`import . "sync/atomic"`; `Pointer[T]`).
                let f = &self.prog.packages[ctx.pkg].files[ctx.file].ast;
                f.imports
                    .iter()
                    .filter(|i| i.name.as_deref() == Some("."))
                    .filter_map(|i| self.prog.find_package(&i.path))
                    .find(|&k| self.prog.packages[k].lookup_type(name, self.arch).is_some())
            }
            None => Some(ctx.pkg),
            Some(q) => self
                .import_path(ctx, q)
                .and_then(|p| self.prog.find_package(p)),
        };
        let found = k.and_then(|k| {
            self.prog.packages[k]
                .lookup_type(name, self.arch)
                .map(|(fi, d)| (k, fi, d))
        });
        let Some((k, fi, decl)) = found else {
            let full = match q {
                Some(q) => format!("{q}.{name}"),
                None => name.clone(),
            };
            return Err(self.err(ctx, *pos, ResolveErrorKind::Undefined(full)));
        };
        if !decl.generic || decl.params.len() != args.len() {
            return Err(self.err(
                ctx,
                *pos,
                ResolveErrorKind::Generic(format!(
                    "{name} takes {} type arguments, got {}",
                    decl.params.len(),
                    args.len()
                )),
            ));
        }
        let mut shown = Vec::with_capacity(args.len());
        for a in args {
            shown.push(self.type_expr(ctx, a, false)?.to_string());
        }
        let inst = format!("{name}[{}]", shown.join(","));
        let (path, qualifier) = (
            self.prog.packages[k].path.clone(),
            self.prog.packages[k].name.clone(),
        );
        if !direct {
            return Ok(GoType::Ref(
                TypeName::new(&path, &inst).with_qualifier(&qualifier),
            ));
        }
        let key = (k, inst.clone());
        if let Some(r) = self.types.get(&key) {
            return r.clone();
        }
        if self.busy.contains(&key) {
            return Err(self.err(ctx, *pos, ResolveErrorKind::Recursive(inst)));
        }
        let params: Vec<(String, TypeExpr, Ctx)> = decl
            .params
            .iter()
            .zip(args)
            .map(|(p, a)| (p.clone(), a.clone(), ctx.clone()))
            .collect();
        let inner = Ctx {
            pkg: k,
            file: fi,
            params: Rc::new(params),
        };
        self.busy.insert(key.clone());
        let r = self.type_expr(&inner, &decl.ty, true);
        self.busy.remove(&key);
        let r = r.map(|t| {
            let named = Named::new(&path, &inst, t.underlying().clone());
            GoType::named(named.with_qualifier(&qualifier))
        });
        self.types.insert(key, r.clone());
        r
    }

    /// Go (types2 `arrayLength`): the length must be representable as the
    /// target's `int` ("must be integer" otherwise: `[1<<40]struct{}` is an
    /// error on 386 though its size is 0) and not negative.
    fn array_len(&mut self, ctx: &Ctx, n: &Expr) -> RResult<u64> {
        let int_max = if self.arch.ptr_size() == 4 {
            i32::MAX as i128
        } else {
            i64::MAX as i128
        };
        let v = match self.eval(ctx, n, None)? {
            // An untyped float constant that is an integer is a valid length.
            Value::Rat(v, 1) => Value::Int(v, None),
            Value::Rat(v, d) => {
                return Err(self.err(
                    ctx,
                    n.pos(),
                    ResolveErrorKind::Const(format!(
                        "array length {v}/{d} (untyped floating-point constant) must be integer"
                    )),
                ))
            }
            v => v,
        };
        match v {
            Value::Int(v, _) if v >= 0 && v <= int_max => Ok(v as u64),
            Value::Int(v, _) if v < 0 => Err(self.err(
                ctx,
                n.pos(),
                ResolveErrorKind::Const(format!("invalid array length {v}")),
            )),
            Value::Int(v, _) => Err(self.err(
                ctx,
                n.pos(),
                ResolveErrorKind::Const(format!(
                    "array length {v} must be integer (overflows int on {})",
                    self.arch
                )),
            )),
            _ => Err(self.err(
                ctx,
                n.pos(),
                ResolveErrorKind::Const("array length is not an integer constant".into()),
            )),
        }
    }

    fn const_value(&mut self, pkg: usize, name: &str, at: (&Ctx, Pos)) -> RResult<Value> {
        let key = (pkg, name.to_string());
        if let Some(r) = self.consts.get(&key) {
            return r.clone();
        }
        let Some((fi, decl)) = self.prog.packages[pkg].lookup_const(name, self.arch) else {
            return Err(self.err(
                at.0,
                at.1,
                ResolveErrorKind::Const(format!("undefined constant {name}")),
            ));
        };
        if let Some((file, pos)) = self.prog.packages[pkg].redeclared(name, self.arch) {
            let ctx = Ctx {
                pkg,
                file,
                params: Rc::new(Vec::new()),
            };
            let r = Err(self.err(
                &ctx,
                pos,
                ResolveErrorKind::RedeclaredInBlock(name.to_string()),
            ));
            self.consts.insert(key, r.clone());
            return r;
        }
        let ctx = Ctx {
            pkg,
            file: fi,
            params: Rc::new(Vec::new()),
        };
        if !self.busy_consts.insert(key.clone()) {
            return Err(self.err(
                &ctx,
                decl.pos,
                ResolveErrorKind::Const(format!("initialization cycle: {name} refers to itself")),
            ));
        }
        let r = match &decl.value {
            None => Err(self.err(
                &ctx,
                decl.pos,
                ResolveErrorKind::Const(format!("missing init expr for const {name}")),
            )),
            Some(e) => self
                .eval(&ctx, e, Some(decl.iota))
                .and_then(|v| match &decl.ty {
                    None => Ok(v),
                    Some(te) => {
                        let t = self.type_expr(&ctx, te, true)?;
                        self.convert(&ctx, decl.pos, v, &t)
                    }
                }),
        };
        self.busy_consts.remove(&key);
        self.consts.insert(key, r.clone());
        r
    }

    fn convert(&self, ctx: &Ctx, pos: Pos, v: Value, t: &GoType) -> RResult<Value> {
        match (t.underlying(), v) {
            (GoType::Basic(b), Value::Int(x, _)) if b.int_bits(self.arch).is_some() => {
                let (bits, signed) = b.int_bits(self.arch).unwrap_or((64, true));
                let ty = IntTy { bits, signed };
                if !fits(x, ty) {
                    return Err(self.err(
                        ctx,
                        pos,
                        ResolveErrorKind::Const(format!("constant {x} overflows {t}")),
                    ));
                }
                Ok(Value::Int(x, Some(ty)))
            }
            (GoType::Basic(b), Value::Rat(n, 1)) if b.int_bits(self.arch).is_some() => {
                self.convert(ctx, pos, Value::Int(n, None), t)
            }
            (GoType::Basic(b), Value::Rat(n, d)) if b.int_bits(self.arch).is_some() => Err(self
                .err(
                    ctx,
                    pos,
                    ResolveErrorKind::Const(format!("constant {n}/{d} truncated to integer")),
                )),
            (GoType::Basic(BasicKind::String), Value::Str(n)) => Ok(Value::Str(n)),
            (GoType::Basic(BasicKind::Bool), Value::Bool(b)) => Ok(Value::Bool(b)),
            _ => Err(self.err(
                ctx,
                pos,
                ResolveErrorKind::Const(format!("cannot evaluate constant of type {t}")),
            )),
        }
    }

    /// Whether an operand expression names a type (for conversions).
    fn as_type(&mut self, ctx: &Ctx, e: &Expr) -> Option<GoType> {
        match e {
            Expr::Name {
                pkg: None, name, ..
            } => {
                let p = &self.prog.packages[ctx.pkg];
                if p.lookup_const(name, self.arch).is_some() {
                    return None;
                }
                if p.lookup_type(name, self.arch).is_some() || BasicKind::from_name(name).is_some()
                {
                    let te = TypeExpr::Name {
                        pkg: None,
                        name: name.clone(),
                        pos: e.pos(),
                    };
                    return self.type_expr(ctx, &te, true).ok();
                }
                None
            }
            Expr::Name {
                pkg: Some(q),
                name,
                pos,
            } => {
                let path = self.import_path(ctx, q)?;
                if path == "unsafe" && name == "Pointer" {
                    return Some(GoType::Basic(BasicKind::UnsafePointer));
                }
                let k = self.prog.find_package(path)?;
                self.prog.packages[k].lookup_type(name, self.arch)?;
                let te = TypeExpr::Name {
                    pkg: Some(q.clone()),
                    name: name.clone(),
                    pos: *pos,
                };
                self.type_expr(ctx, &te, true).ok()
            }
            Expr::Type(te, _) => self.type_expr(ctx, te, true).ok(),
            _ => None,
        }
    }

    fn eval(&mut self, ctx: &Ctx, e: &Expr, iota: Option<i64>) -> RResult<Value> {
        self.enter(ctx, e.pos())?;
        let r = self.eval_inner(ctx, e, iota);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, ctx: &Ctx, e: &Expr, iota: Option<i64>) -> RResult<Value> {
        let cerr = |s: &Self, pos: Pos, m: String| s.err(ctx, pos, ResolveErrorKind::Const(m));
        match e {
            Expr::Int(Some(v), _) | Expr::Char(Some(v), _) => Ok(Value::Int(*v, None)),
            Expr::Int(None, p) | Expr::Char(None, p) => {
                Err(cerr(self, *p, "invalid or too large literal".into()))
            }
            Expr::Float(Some((n, d)), _) => Ok(Value::Rat(*n, *d)),
            Expr::Float(None, p) => Err(cerr(
                self,
                *p,
                "floating-point literal too large or too precise to evaluate".into(),
            )),
            Expr::Str(Some(n), _) => Ok(Value::Str(*n)),
            Expr::Str(None, p) => Err(cerr(self, *p, "invalid string literal".into())),
            Expr::Name {
                pkg: None,
                name,
                pos,
            } => {
                let declared = self.prog.packages[ctx.pkg]
                    .lookup_const(name, self.arch)
                    .is_some();
                match (name.as_str(), iota) {
                    ("iota", Some(i)) if !declared => return Ok(Value::Int(i128::from(i), None)),
                    ("true", _) if !declared => return Ok(Value::Bool(true)),
                    ("false", _) if !declared => return Ok(Value::Bool(false)),
                    _ => {}
                }
                self.const_value(ctx.pkg, name, (ctx, *pos))
            }
            Expr::Name {
                pkg: Some(q),
                name,
                pos,
            } => {
                let Some(path) = self.import_path(ctx, q) else {
                    let undefined = ResolveErrorKind::Const(format!("undefined: {q}.{name}"));
                    let what = format!("cannot evaluate {q}.{name}");
                    return Err(self.unknown_qualifier(ctx, *pos, what, undefined));
                };
                let Some(k) = self.prog.find_package(path) else {
                    return Err(self.err(
                        ctx,
                        *pos,
                        ResolveErrorKind::NotLoaded {
                            path: path.to_string(),
                            what: format!(
                                "cannot evaluate {q}.{name} (package \"{path}\" not loaded)"
                            ),
                        },
                    ));
                };
                self.const_value(k, name, (ctx, *pos))
            }
            Expr::Unary(op, x, pos) => {
                let v = self.eval(ctx, x, iota)?;
                match (*op, v) {
                    ("+", Value::Int(..) | Value::Rat(..)) => Ok(v),
                    ("-", Value::Rat(n, d)) => rat(n.checked_neg(), Some(d))
                        .ok_or_else(|| cerr(self, *pos, "constant overflow".into())),
                    ("-", Value::Int(x, t)) => self.checked(ctx, *pos, x.checked_neg(), t),
                    ("^", Value::Int(x, None)) => Ok(Value::Int(!x, None)),
                    ("^", Value::Int(x, Some(t))) if t.signed => Ok(Value::Int(!x, Some(t))),
                    ("^", Value::Int(x, Some(t))) => Ok(Value::Int(!x & mask(t.bits), Some(t))),
                    ("!", Value::Bool(b)) => Ok(Value::Bool(!b)),
                    _ => Err(cerr(self, *pos, format!("invalid constant operation {op}"))),
                }
            }
            Expr::Binary(op, x, y, pos) => {
                let a = self.eval(ctx, x, iota)?;
                let b = self.eval(ctx, y, iota)?;
                self.binary(ctx, *pos, op, a, b)
            }
            Expr::Call(fun, args, pos) => self.call(ctx, fun, args, *pos, iota),
            Expr::Type(_, p) => Err(cerr(self, *p, "type is not an expression".into())),
            Expr::Composite(_, p) | Expr::FieldOf(_, _, p) => {
                Err(cerr(self, *p, "composite literal is not a constant".into()))
            }
            Expr::Unsupported(what, p) => Err(cerr(
                self,
                *p,
                format!("cannot evaluate {what} as an integer constant"),
            )),
        }
    }

    fn checked(&self, ctx: &Ctx, pos: Pos, v: Option<i128>, t: Option<IntTy>) -> RResult<Value> {
        match v {
            Some(v) if t.map_or(true, |t| fits(v, t)) => Ok(Value::Int(v, t)),
            _ => Err(self.err(
                ctx,
                pos,
                ResolveErrorKind::Const("constant overflow".into()),
            )),
        }
    }

    fn binary(&self, ctx: &Ctx, pos: Pos, op: &str, a: Value, b: Value) -> RResult<Value> {
        let bad = || {
            self.err(
                ctx,
                pos,
                ResolveErrorKind::Const(format!("invalid constant operation {op}")),
            )
        };
        let overflow = || {
            self.err(
                ctx,
                pos,
                ResolveErrorKind::Const("constant overflow".into()),
            )
        };
        let truncated = |n: i128, d: i128| {
            self.err(
                ctx,
                pos,
                ResolveErrorKind::Const(format!("constant {n}/{d} truncated to integer")),
            )
        };
        // An untyped float meets a shift or a typed integer: it becomes an
        // integer if it is one (Go's representability rule).
        let int_if_whole = |v: Value| match v {
            Value::Rat(n, 1) => Ok(Value::Int(n, None)),
            Value::Rat(n, d) => Err(truncated(n, d)),
            v => Ok(v),
        };
        match (a, b) {
            (a @ Value::Rat(..), b) | (a, b @ Value::Rat(..))
                if op == "<<"
                    || op == ">>"
                    || matches!(a, Value::Int(_, Some(_)))
                    || matches!(b, Value::Int(_, Some(_))) =>
            {
                self.binary(ctx, pos, op, int_if_whole(a)?, int_if_whole(b)?)
            }
            (a @ Value::Rat(..), Value::Int(y, None)) => {
                self.binary(ctx, pos, op, a, Value::Rat(y, 1))
            }
            (Value::Int(x, None), b @ Value::Rat(..)) => {
                self.binary(ctx, pos, op, Value::Rat(x, 1), b)
            }
            (Value::Rat(an, ad), Value::Rat(bn, bd)) => {
                // Compare a/b and c/d as a·d and c·b (denominators positive).
                let cmp = || Some(an.checked_mul(bd)?.cmp(&bn.checked_mul(ad)?));
                let r = match op {
                    "+" | "-" => {
                        let bn = if op == "-" {
                            bn.checked_neg()
                        } else {
                            Some(bn)
                        };
                        let n = an.checked_mul(bd).zip(bn.and_then(|b| b.checked_mul(ad)));
                        rat(n.and_then(|(x, y)| x.checked_add(y)), ad.checked_mul(bd))
                    }
                    "*" => rat(an.checked_mul(bn), ad.checked_mul(bd)),
                    "/" if bn == 0 => {
                        return Err(self.err(
                            ctx,
                            pos,
                            ResolveErrorKind::Const("division by zero".into()),
                        ))
                    }
                    "/" => {
                        // (an/ad) / (bn/bd) = an·bd / (ad·bn), sign moved up.
                        let (n, d) = (an.checked_mul(bd), ad.checked_mul(bn));
                        match (n, d) {
                            (Some(n), Some(d)) if d < 0 => rat(n.checked_neg(), d.checked_neg()),
                            (n, d) => rat(n, d),
                        }
                    }
                    "==" | "!=" | "<" | "<=" | ">" | ">=" => {
                        let o = cmp().ok_or_else(overflow)?;
                        return Ok(Value::Bool(match op {
                            "==" => o.is_eq(),
                            "!=" => o.is_ne(),
                            "<" => o.is_lt(),
                            "<=" => o.is_le(),
                            ">" => o.is_gt(),
                            _ => o.is_ge(),
                        }));
                    }
                    _ => return Err(bad()),
                };
                r.ok_or_else(overflow)
            }
            (Value::Int(x, tx), Value::Int(y, ty)) => {
                if op == "<<" || op == ">>" {
                    if !(0..=1023).contains(&y) {
                        return Err(self.err(
                            ctx,
                            pos,
                            ResolveErrorKind::Const(format!("invalid shift count {y}")),
                        ));
                    }
                    let r = if op == "<<" {
                        if x == 0 {
                            Some(0)
                        } else if y >= 127 {
                            None
                        } else {
                            let r = x << y;
                            (r >> y == x).then_some(r)
                        }
                    } else {
                        Some(x >> y.min(127))
                    };
                    return self.checked(ctx, pos, r, tx);
                }
                let t = tx.or(ty);
                let r = match op {
                    "+" => x.checked_add(y),
                    "-" => x.checked_sub(y),
                    "*" => x.checked_mul(y),
                    "/" | "%" if y == 0 => {
                        return Err(self.err(
                            ctx,
                            pos,
                            ResolveErrorKind::Const("division by zero".into()),
                        ))
                    }
                    "/" => x.checked_div(y),
                    "%" => x.checked_rem(y),
                    "&" => Some(x & y),
                    "|" => Some(x | y),
                    "^" => Some(x ^ y),
                    "&^" => Some(x & !y),
                    "==" => return Ok(Value::Bool(x == y)),
                    "!=" => return Ok(Value::Bool(x != y)),
                    "<" => return Ok(Value::Bool(x < y)),
                    "<=" => return Ok(Value::Bool(x <= y)),
                    ">" => return Ok(Value::Bool(x > y)),
                    ">=" => return Ok(Value::Bool(x >= y)),
                    _ => return Err(bad()),
                };
                self.checked(ctx, pos, r, t)
            }
            (Value::Str(x), Value::Str(y)) if op == "+" => Ok(Value::Str(x.saturating_add(y))),
            (Value::Bool(x), Value::Bool(y)) => match op {
                "&&" => Ok(Value::Bool(x && y)),
                "||" => Ok(Value::Bool(x || y)),
                "==" => Ok(Value::Bool(x == y)),
                "!=" => Ok(Value::Bool(x != y)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }

    /// The type of `unsafe.Sizeof`'s or `unsafe.Alignof`'s operand: a
    /// conversion `T(x)`, a composite literal `T{}`, a field `T{}.f`, or a
    /// constant (typed, or untyped with its default type: `int`, `rune`,
    /// `string`, `bool`; Go: types2 `Checker.builtin`, `_Sizeof`).
    fn operand_type(
        &mut self,
        ctx: &Ctx,
        arg: &Expr,
        pos: Pos,
        name: &str,
        iota: Option<i64>,
    ) -> RResult<GoType> {
        let cerr = |s: &Self, m: String| s.err(ctx, pos, ResolveErrorKind::Const(m));
        match arg {
            Expr::Call(f, a, _) if a.len() == 1 => {
                if let Some(t) = self.as_type(ctx, f) {
                    return Ok(t);
                }
            }
            Expr::Composite(te, _) => return self.type_expr(ctx, te, true),
            Expr::FieldOf(te, field, _) => {
                let t = self.type_expr(ctx, te, true)?;
                return match find_field(&t, field, 0) {
                    Some((_, ft)) => Ok(ft),
                    None => Err(cerr(self, format!("{t}{{}}.{field} undefined"))),
                };
            }
            _ => {}
        }
        // The constant must evaluate, except that golayout does not
        // evaluate typed floating-point and complex constants (nor untyped
        // ones past its limits): those only need their type here.
        let evaluated = self.eval(ctx, arg, iota);
        let typed = self.const_type(ctx, arg, 0);
        match (evaluated, typed) {
            (Ok(_), Some((t, _))) => Ok(t),
            // A constant of another package: its value tells the type's size.
            (Ok(Value::Int(_, Some(t))), None) => Ok(GoType::Basic(match (t.bits, t.signed) {
                (8, true) => BasicKind::Int8,
                (16, true) => BasicKind::Int16,
                (32, true) => BasicKind::Int32,
                (64, true) => BasicKind::Int64,
                (8, false) => BasicKind::Uint8,
                (16, false) => BasicKind::Uint16,
                (32, false) => BasicKind::Uint32,
                _ => BasicKind::Uint64,
            })),
            (Ok(Value::Int(_, None)), None) => Ok(GoType::Basic(BasicKind::Int)),
            (Ok(Value::Str(_)), None) => Ok(GoType::Basic(BasicKind::String)),
            (Ok(Value::Bool(_)), None) => Ok(GoType::Basic(BasicKind::Bool)),
            (Ok(Value::Rat(..)), None) => Ok(GoType::Basic(BasicKind::Float64)),
            (Err(_), Some((t, _)))
                if matches!(
                    t.underlying(),
                    GoType::Basic(
                        BasicKind::Float32
                            | BasicKind::Float64
                            | BasicKind::Complex64
                            | BasicKind::Complex128
                    )
                ) =>
            {
                Ok(t)
            }
            _ => Err(cerr(
                self,
                format!("cannot evaluate unsafe.{name} of this operand"),
            )),
        }
    }

    /// The type of a constant expression, and whether it is untyped (then
    /// the type is its default type: `int`, `rune`, `float64`,
    /// `complex128`, `string` or `bool`; an operation on untyped operands
    /// takes the later kind of that list, Go's rule for untyped constants).
    /// `None` for what is not a constant golayout can type.
    fn const_type(&mut self, ctx: &Ctx, e: &Expr, depth: u32) -> Option<(GoType, bool)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let basic = |k| Some((GoType::Basic(k), true));
        match e {
            Expr::Int(..) => basic(BasicKind::Int),
            Expr::Char(..) => basic(BasicKind::Int32),
            Expr::Str(..) => basic(BasicKind::String),
            Expr::Float(..) => basic(BasicKind::Float64),
            Expr::Unsupported("complex constant", _) => basic(BasicKind::Complex128),
            Expr::Name {
                pkg: None, name, ..
            } => {
                let pkg = &self.prog.packages[ctx.pkg];
                match pkg.lookup_const(name, self.arch) {
                    Some((fi, c)) => {
                        let (ty, value) = (c.ty.clone(), c.value.clone());
                        let cctx = Ctx {
                            pkg: ctx.pkg,
                            file: fi,
                            ..ctx.clone()
                        };
                        match ty {
                            Some(te) => Some((self.type_expr(&cctx, &te, true).ok()?, false)),
                            None => self.const_type(&cctx, value.as_ref()?, depth + 1),
                        }
                    }
                    None if pkg.lookup_type(name, self.arch).is_some() => None,
                    None => match name.as_str() {
                        "true" | "false" => basic(BasicKind::Bool),
                        "iota" => basic(BasicKind::Int),
                        _ => None,
                    },
                }
            }
            Expr::Unary("!", ..) => basic(BasicKind::Bool),
            Expr::Unary(_, x, _) | Expr::Binary("<<" | ">>", x, _, _) => {
                self.const_type(ctx, x, depth + 1)
            }
            Expr::Binary("==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||", ..) => {
                basic(BasicKind::Bool)
            }
            Expr::Binary(_, x, y, _) => {
                let a = self.const_type(ctx, x, depth + 1)?;
                let b = self.const_type(ctx, y, depth + 1)?;
                let rank = |t: &GoType| match t {
                    GoType::Basic(BasicKind::Int) => 0,
                    GoType::Basic(BasicKind::Int32) => 1,
                    GoType::Basic(BasicKind::Float64) => 2,
                    _ => 3,
                };
                Some(match (a.1, b.1) {
                    (true, true) if rank(&b.0) > rank(&a.0) => b,
                    (true, true) | (false, _) => a,
                    (true, false) => b,
                })
            }
            Expr::Call(f, args, _) if args.len() == 1 => {
                if let Some(t) = self.as_type(ctx, f) {
                    return Some((t, false));
                }
                match &**f {
                    Expr::Name {
                        pkg: None, name, ..
                    } if name == "len" || name == "cap" => {
                        Some((GoType::Basic(BasicKind::Int), false))
                    }
                    Expr::Name { pkg: Some(q), .. }
                        if self.import_path(ctx, q) == Some("unsafe") =>
                    {
                        Some((GoType::Basic(BasicKind::Uintptr), false))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `unsafe.Offsetof(T{}.f)`: the offset of `f` from the start of the
    /// struct value, also for a field promoted through embedded structs (the
    /// offsets along the path add up), but not through an embedded pointer
    /// (Go: types2 `_Offsetof`, "field f is embedded via a pointer in T").
    fn offsetof(&mut self, ctx: &Ctx, arg: &Expr, pos: Pos) -> RResult<u64> {
        let cerr = |s: &Self, m: String| s.err(ctx, pos, ResolveErrorKind::Const(m));
        let Expr::FieldOf(te, field, _) = arg else {
            return Err(cerr(
                self,
                "invalid argument: unsafe.Offsetof needs a selector expression".into(),
            ));
        };
        let t = self.type_expr(ctx, te, true)?;
        // Breadth first, one embedding depth at a time: (type, offset of
        // its value from the outer struct, reached through a pointer).
        let mut level = vec![(t.clone(), 0u64, false)];
        for _ in 0..=MAX_EMBED_DEPTH {
            let mut found = Vec::new();
            let mut next = Vec::new();
            for (ty, base, via_ptr) in level {
                // A pointer's element may be a `Ref` (it can name its own struct).
                let Some(ty) = self.deref_named(ty) else {
                    continue;
                };
                let GoType::Struct(s) = ty.underlying() else {
                    continue;
                };
                let l = struct_layout(s, self.arch).map_err(|e| cerr(self, e.to_string()))?;
                for (f, fl) in s.fields.iter().zip(&l.fields) {
                    if &f.name == field {
                        found.push((base + fl.offset, via_ptr));
                    } else if f.embedded {
                        match f.ty.underlying() {
                            GoType::Pointer(e) => next.push(((**e).clone(), 0, true)),
                            _ => next.push((f.ty.clone(), base + fl.offset, via_ptr)),
                        }
                    }
                }
            }
            match found.as_slice() {
                [] => {}
                [(_, true)] => {
                    return Err(cerr(
                        self,
                        format!("invalid argument: field {field} is embedded via a pointer in {t}"),
                    ))
                }
                [(off, false)] => return Ok(*off),
                _ => return Err(cerr(self, format!("ambiguous selector {t}{{}}.{field}"))),
            }
            if next.is_empty() {
                break;
            }
            level = next;
        }
        Err(cerr(self, format!("{t}{{}}.{field} undefined")))
    }

    fn call(
        &mut self,
        ctx: &Ctx,
        fun: &Expr,
        args: &[Expr],
        pos: Pos,
        iota: Option<i64>,
    ) -> RResult<Value> {
        let cerr = |s: &Self, m: String| s.err(ctx, pos, ResolveErrorKind::Const(m));
        if args.len() != 1 {
            return Err(cerr(self, "not a constant expression (call)".into()));
        }
        let arg = &args[0];
        if let Expr::Name {
            pkg: None, name, ..
        } = fun
        {
            if (name == "len" || name == "cap")
                && self.prog.packages[ctx.pkg]
                    .lookup_const(name, self.arch)
                    .is_none()
            {
                // len/cap of an array (or pointer to array) without calls
                // is a constant: `len(T{}.arr)`, `len([4]int{})`.
                let array_type = match arg {
                    Expr::FieldOf(te, field, _) => {
                        let t = self.type_expr(ctx, te, true)?;
                        match find_field(&t, field, 0) {
                            Some((_, ft)) => Some(ft),
                            None => {
                                return Err(cerr(
                                    self,
                                    format!("{name} of field {field} is not constant"),
                                ))
                            }
                        }
                    }
                    Expr::Composite(te, _) => Some(self.type_expr(ctx, te, true)?),
                    _ => None,
                };
                if let Some(t) = array_type {
                    let t = match t.underlying() {
                        GoType::Pointer(e) => self.deref_named((**e).clone()),
                        u => Some(u.clone()),
                    };
                    return match t.as_ref().map(GoType::underlying) {
                        Some(GoType::Array(n, _)) => Ok(Value::Int(i128::from(*n), None)),
                        _ => Err(cerr(
                            self,
                            format!("{name} of a non-array operand is not constant"),
                        )),
                    };
                }
                if name == "cap" {
                    return Err(cerr(
                        self,
                        "cap of a non-array operand is not constant".into(),
                    ));
                }
                return match self.eval(ctx, arg, iota)? {
                    Value::Str(n) => Ok(Value::Int(i128::from(n), None)),
                    _ => Err(cerr(self, "len of a non-string constant".into())),
                };
            }
        }
        if let Expr::Name {
            pkg: Some(q), name, ..
        } = fun
        {
            if self.import_path(ctx, q) == Some("unsafe")
                && matches!(name.as_str(), "Sizeof" | "Alignof" | "Offsetof")
            {
                let v = if name == "Offsetof" {
                    self.offsetof(ctx, arg, pos)?
                } else {
                    let t = self.operand_type(ctx, arg, pos, name, iota)?;
                    let i = info(&t, self.arch).map_err(|e| cerr(self, e.to_string()))?;
                    if name == "Sizeof" {
                        i.size
                    } else {
                        i.align
                    }
                };
                let uintptr = IntTy {
                    bits: (self.arch.ptr_size() * 8) as u32,
                    signed: false,
                };
                return Ok(Value::Int(i128::from(v), Some(uintptr)));
            }
        }
        if let Some(t) = self.as_type(ctx, fun) {
            let v = self.eval(ctx, arg, iota)?;
            return self.convert(ctx, pos, v, &t);
        }
        Err(cerr(self, "not a constant expression (call)".into()))
    }
}

fn unreachable_undefined(name: &str) -> RResult<GoType> {
    Err(ResolveError {
        file: String::new(),
        pos: Pos::default(),
        kind: ResolveErrorKind::Undefined(name.to_string()),
    })
}

/// The untyped float constant `n/d` (`d` positive) in lowest terms;
/// `None` if a part overflowed.
fn rat(n: Option<i128>, d: Option<i128>) -> Option<Value> {
    let (n, d) = (n?, d?);
    let (mut a, mut b) = (n.checked_abs()?, d);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    Some(Value::Rat(n / a, d / a))
}

fn mask(bits: u32) -> i128 {
    if bits >= 127 {
        i128::MAX
    } else {
        (1i128 << bits) - 1
    }
}

fn fits(v: i128, t: IntTy) -> bool {
    if t.signed {
        let lim = 1i128 << (t.bits - 1);
        -lim <= v && v < lim
    } else {
        0 <= v && v < (1i128 << t.bits)
    }
}

fn type_pos(t: &TypeExpr) -> Pos {
    match t {
        TypeExpr::Name { pos, .. } => *pos,
        TypeExpr::Inst { base, .. } => type_pos(base),
        TypeExpr::Pointer(e) | TypeExpr::Slice(e) | TypeExpr::Chan(_, e) => type_pos(e),
        TypeExpr::Array(n, _) => n.pos(),
        TypeExpr::Map(k, ..) => type_pos(k),
        _ => Pos::default(),
    }
}

/// The name of an embedded field: `T` for `T`, `*T`, `pkg.T`, `*pkg.T`, `T[int]`.
fn embedded_name(t: &TypeExpr) -> &str {
    match t {
        TypeExpr::Name { name, .. } => name,
        TypeExpr::Pointer(e) => embedded_name(e),
        TypeExpr::Inst { base, .. } => embedded_name(base),
        _ => "?",
    }
}

/// The name of a named type (or of a `Ref` to one).
fn named_of(t: &GoType) -> Option<TypeName> {
    match t {
        GoType::Named(n) => Some(n.name.clone()),
        GoType::Ref(n) => Some(n.clone()),
        _ => None,
    }
}

/// Whether values of `t` can be compared with `==` (the Go spec's
/// "comparable", as types2's `Comparable`): not slices, maps, funcs, nor
/// arrays or structs holding one (blank fields count). `None` when that
/// depends on a named type seen only as a [`GoType::Ref`].
fn comparable(t: &GoType) -> Option<bool> {
    // Named types are shared (Rc): remember each one's answer, so a wide
    // tree of types is walked once per type, not once per path.
    fn walk(t: &GoType, seen: &mut BTreeMap<usize, Option<bool>>) -> Option<bool> {
        let t = match t {
            GoType::Named(n) => {
                let key = Rc::as_ptr(n) as usize;
                if let Some(&r) = seen.get(&key) {
                    return r;
                }
                let r = walk(&n.underlying, seen);
                seen.insert(key, r);
                return r;
            }
            t => t,
        };
        match t {
            GoType::Basic(_) | GoType::Pointer(_) | GoType::Chan(..) | GoType::Interface(_) => {
                Some(true)
            }
            GoType::Slice(_) | GoType::Map(..) | GoType::Func(_) => Some(false),
            GoType::Array(_, e) => walk(e, seen),
            GoType::Struct(s) => {
                let mut all = Some(true);
                for f in &s.fields {
                    match walk(&f.ty, seen) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            GoType::Named(_) | GoType::Ref(_) => None,
        }
    }
    walk(t, &mut BTreeMap::new())
}

/// How deep field selectors look through embedded fields.
const MAX_EMBED_DEPTH: u32 = 8;

/// Field `name` of a struct type, also promoted through embedded structs
/// (breadth by depth, as Go's selector rules pick the shallowest): its path
/// and type.
fn find_field(t: &GoType, name: &str, depth: u32) -> Option<(String, GoType)> {
    if depth > MAX_EMBED_DEPTH {
        return None;
    }
    let GoType::Struct(s) = t.underlying() else {
        return None;
    };
    if let Some(f) = s.fields.iter().find(|f| f.name == name) {
        return Some((f.name.clone(), f.ty.clone()));
    }
    s.fields
        .iter()
        .filter(|f| f.embedded && matches!(f.ty.underlying(), GoType::Struct(_)))
        .find_map(|f| {
            let (p, ty) = find_field(&f.ty, name, depth + 1)?;
            Some((format!("{}.{p}", f.name), ty))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sizes::{layout, sizeof};

    fn prog(src: &str) -> (Program, usize) {
        let mut p = Program::with_stdlib();
        let k = p.add_source("example.com/t", "t.go", src).unwrap();
        (p, k)
    }

    #[test]
    fn stdlib_sources_parse() {
        for (path, _, src) in crate::stdlib::PACKAGES {
            parse_file(src).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

    #[test]
    fn constants_iota_and_typed_arithmetic() {
        let (p, k) = prog(
            "package t\nimport \"unsafe\"\nconst (\n A = iota * 3\n B\n C\n)\nconst W = 32 << (^uint(0) >> 63)\nconst S = len(\"héllo\") + int(unsafe.Sizeof(uintptr(0)))\ntype T struct { a [C + 1]int8; b [W / 8]byte; c [S]byte }\n",
        );
        let t = p.resolver(Arch::I386).resolve(k, "T").unwrap();
        let l = layout(&t, Arch::I386).unwrap();
        assert_eq!(
            l.fields.iter().map(|f| f.info.size).collect::<Vec<_>>(),
            [7, 4, 10]
        );
        let t = p.resolver(Arch::Amd64).resolve(k, "T").unwrap();
        let l = layout(&t, Arch::Amd64).unwrap();
        assert_eq!(
            l.fields.iter().map(|f| f.info.size).collect::<Vec<_>>(),
            [7, 8, 14]
        );
    }

    #[test]
    fn constant_errors_name_the_problem() {
        let (p, k) = prog(
            "package t\nconst X uint8 = 255 + 1\ntype T [X]int\ntype U [-1]int\ntype V [1.5]int\n",
        );
        let mut r = p.resolver(Arch::Amd64);
        assert!(r
            .resolve(k, "T")
            .unwrap_err()
            .message()
            .contains("overflows"));
        assert!(r
            .resolve(k, "U")
            .unwrap_err()
            .message()
            .contains("invalid array length"));
        assert!(r
            .resolve(k, "V")
            .unwrap_err()
            .message()
            .contains("floating-point"));
    }

    #[test]
    fn generics_are_skipped_and_instantiated() {
        let (p, k) = prog(
            "package t\nimport \"sync/atomic\"\ntype Pair[K comparable, V any] struct { k K; v V }\ntype N struct { next atomic.Pointer[N]; p Pair[int8, int64] }\n",
        );
        let mut r = p.resolver(Arch::I386);
        assert!(r.resolve(k, "Pair").unwrap_err().is_skip());
        let n = r.resolve(k, "N").unwrap();
        let l = layout(&n, Arch::I386).unwrap();
        assert_eq!(l.info.size, 16);
        assert_eq!(l.fields[1].ty, "t.Pair[int8,int64]");
    }

    #[test]
    fn recursion_through_pointers_is_fine_by_value_is_not() {
        let (p, k) = prog("package t\ntype L struct { next *L; kids []L; m map[string]L }\ntype Bad struct { x [2]Bad }\n");
        let mut r = p.resolver(Arch::Amd64);
        assert_eq!(
            sizeof(&r.resolve(k, "L").unwrap(), Arch::Amd64).unwrap(),
            40
        );
        assert!(matches!(
            r.resolve(k, "Bad").unwrap_err().kind,
            ResolveErrorKind::Recursive(_)
        ));
    }

    #[test]
    fn map_keys_must_be_comparable() {
        // Messages and positions as `go build` (Go 1.19) prints them.
        let (p, k) = prog(concat!(
            "package t\n",
            "import \"unsafe\"\n",
            "type I interface{ M() }\n",
            "type K []int\n",
            "type S struct{ k K }\n",
            "type A [2]func()\n",
            "type KA = []int\n",
            "type G[T any] struct{ v T }\n",
            "type L struct{ m map[L]int }\n",
            "type M1 map[[]int]int\n",
            "type M2 map[map[int]int]bool\n",
            "type M3 map[func()]int\n",
            "type M4 map[struct{ s []int }]int\n",
            "type M5 map[[3][]int]int\n",
            "type M6 map[K]int\n",
            "type M7 map[S]int\n",
            "type M8 map[A]int\n",
            "type M9 map[struct{ _ []int }]int\n",
            "type M10 map[[0]func()]int\n",
            "type M11 map[(func())]int\n",
            "type M12 map[KA]int\n",
            "type M13 map[G[[]int]]int\n",
            "type X struct{ a, b int; m map[[]byte]string }\n",
            "type OK struct{ a map[I]int; b map[any]int; c map[*K]int; d map[unsafe.Pointer]chan K; e map[[2]struct{ i I; e error }]int; f map[G[int]]int }\n",
        ));
        let mut r = p.resolver(Arch::Amd64);
        for (name, want) in [
            ("L", "t.go:9:22: invalid map key type L"),
            ("M1", "t.go:10:13: invalid map key type []int"),
            ("M2", "t.go:11:13: invalid map key type map[int]int"),
            ("M3", "t.go:12:17: invalid map key type func()"),
            ("M4", "t.go:13:13: invalid map key type struct{s []int}"),
            ("M5", "t.go:14:13: invalid map key type [3][]int"),
            ("M6", "t.go:15:13: invalid map key type K"),
            ("M7", "t.go:16:13: invalid map key type S"),
            ("M8", "t.go:17:13: invalid map key type A"),
            ("M9", "t.go:18:13: invalid map key type struct{_ []int}"),
            ("M10", "t.go:19:14: invalid map key type [0]func()"),
            ("M11", "t.go:20:19: invalid map key type func()"),
            ("M12", "t.go:21:14: invalid map key type []int"),
            ("M13", "t.go:22:14: invalid map key type G[[]int]"),
            // gc says `[]byte`: golayout does not keep the alias apart from uint8.
            ("X", "t.go:23:32: invalid map key type []uint8"),
        ] {
            let e = r.resolve(k, name).unwrap_err();
            assert!(
                matches!(e.kind, ResolveErrorKind::InvalidMapKey(_)),
                "{name}"
            );
            assert_eq!(e.to_string(), want, "{name}");
        }
        let t = r.resolve(k, "OK").unwrap();
        assert_eq!(sizeof(&t, Arch::Amd64).unwrap(), 48);
    }

    #[test]
    fn map_key_checks_do_not_mistake_pointer_cycles_for_recursion() {
        let src = concat!(
            "package t\n",
            "type E [2]*map[E]int\n",
            "type C chan map[C]int\n",
            "type V struct{ next *V; m *map[V]bool }\n",
            "type X struct{ p *map[Y]int }\n",
            "type Y struct{ x X }\n",
            "type B struct{ s []int; m *map[B]int }\n",
            "type P struct{ p *map[Q]int }\n",
            "type Q struct{ p P; s []int }\n",
        );
        // Every order of resolution gives the same answers: nothing the
        // checks resolve leaks into the resolver's own cache.
        for order in [
            ["E", "C", "V", "X", "Y", "B", "P", "Q"],
            ["Q", "P", "B", "Y", "X", "V", "C", "E"],
        ] {
            let (p, k) = prog(src);
            let mut r = p.resolver(Arch::I386);
            for name in order {
                let got = r.resolve(k, name).map(|t| sizeof(&t, Arch::I386).unwrap());
                let want = match name {
                    "E" | "V" => Ok(8),
                    "C" | "X" | "Y" => Ok(4),
                    "B" => Err("t.go:7:32: invalid map key type B"),
                    // Q holds P by value, and P's text has the bad map.
                    _ => Err("t.go:8:23: invalid map key type Q"),
                };
                assert_eq!(
                    got.map_err(|e| e.to_string()),
                    want.map_err(String::from),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn embedded_fields_follow_gc_restrictions() {
        // Messages and positions as `go build` (Go 1.19) prints them.
        let (p, k) = prog(concat!(
            "package t\n",
            "import \"unsafe\"\n",
            "type I interface{ M() }\n",
            "type T struct{ x int }\n",
            "type P *T\n",
            "type U unsafe.Pointer\n",
            "type PA = *T\n",
            "type E1 struct{ *I }\n",
            "type E2 struct{ P }\n",
            "type E3 struct{ *P }\n",
            "type E4 struct{ unsafe.Pointer }\n",
            "type E5 struct{ *unsafe.Pointer }\n",
            "type E6 struct{ *error }\n",
            "type E7 struct{ U }\n",
            "type E8 struct{ p *struct{ a int; P } }\n",
            "type E9 struct{ *PA }\n",
            "type OK struct{ *T; I; error; PA; q *struct{ *T } }\n",
        ));
        let mut r = p.resolver(Arch::Amd64);
        for (name, want) in [
            (
                "E1",
                "t.go:8:17: embedded field type cannot be a pointer to an interface",
            ),
            ("E2", "t.go:9:17: embedded field type cannot be a pointer"),
            ("E3", "t.go:10:17: embedded field type cannot be a pointer"),
            (
                "E4",
                "t.go:11:17: embedded field type cannot be unsafe.Pointer",
            ),
            (
                "E5",
                "t.go:12:17: embedded field type cannot be unsafe.Pointer",
            ),
            (
                "E6",
                "t.go:13:17: embedded field type cannot be a pointer to an interface",
            ),
            (
                "E7",
                "t.go:14:17: embedded field type cannot be unsafe.Pointer",
            ),
            ("E8", "t.go:15:35: embedded field type cannot be a pointer"),
            ("E9", "t.go:16:17: embedded field type cannot be a pointer"),
        ] {
            let e = r.resolve(k, name).unwrap_err();
            assert!(
                matches!(e.kind, ResolveErrorKind::InvalidEmbedded(_)),
                "{name}"
            );
            assert_eq!(e.to_string(), want, "{name}");
        }
        // An alias of `*T` embeds as `*T` does (types2 takes the pointer off the type).
        let t = r.resolve(k, "OK").unwrap();
        assert_eq!(sizeof(&t, Arch::Amd64).unwrap(), 56);
    }

    #[test]
    fn a_field_and_a_method_of_one_name_are_errors() {
        // As `go build` reports them: at a method named like a field, the
        // first such in file order; `_` fields and other arches' files do
        // not count.
        let mut p = Program::new();
        let k = p
            .add_source(
                "x",
                "a.go",
                "package x\ntype T struct {\n\ta int\n\tB\n\t_ int\n}\ntype B struct{}\ntype U struct{ a int }\ntype G[P any] struct{ f P }\nfunc (g G[P]) f() {}\nfunc (T) _() {}\n",
            )
            .unwrap();
        p.add_source(
            "x",
            "b.go",
            "package x\n\nfunc (t *T) B() {}\nfunc (t T) a() {}\nfunc (u *U) b() {}\n",
        )
        .unwrap();
        p.add_source("x", "m_386.go", "package x\nfunc (*U) a() {}\n")
            .unwrap();
        let mut r = p.resolver(Arch::Amd64);
        let e = r.resolve(k, "T").unwrap_err();
        assert_eq!(e.kind, ResolveErrorKind::FieldAndMethod("B".into()));
        assert_eq!(
            e.to_string(),
            "b.go:3:13: field and method with the same name B"
        );
        // U's method `a` is declared for 386 only.
        assert_eq!(sizeof(&r.resolve(k, "U").unwrap(), Arch::Amd64).unwrap(), 8);
        // A generic type has no layout; its instances' check is gc's.
        assert!(r.resolve(k, "G").unwrap_err().is_skip());
        let mut r = p.resolver(Arch::I386);
        assert_eq!(
            r.resolve(k, "U").unwrap_err().to_string(),
            "m_386.go:2:11: field and method with the same name a"
        );
    }

    #[test]
    fn names_declared_twice_in_a_package_are_errors() {
        // As `go build` reports them: at the later declaration, in file order.
        let mut p = Program::new();
        let k = p
            .add_source(
                "x",
                "a.go",
                "package x\ntype R int\nconst C = 1\ntype T [C]int\ntype K int\n",
            )
            .unwrap();
        p.add_source(
            "x",
            "b.go",
            "package x\n\ntype R string\nconst C = 2\nconst K = 3\n",
        )
        .unwrap();
        // One declaration per arch is not a redeclaration.
        p.add_source("x", "w_386.go", "package x\ntype W uint32\n")
            .unwrap();
        p.add_source("x", "w_amd64.go", "package x\ntype W uint64\n")
            .unwrap();
        for arch in [Arch::I386, Arch::Amd64] {
            let mut r = p.resolver(arch);
            for (name, want) in [
                ("R", "b.go:3:6: R redeclared in this block"),
                ("T", "b.go:4:7: C redeclared in this block"),
                ("K", "b.go:5:7: K redeclared in this block"),
            ] {
                let e = r.resolve(k, name).unwrap_err();
                assert_eq!(e.to_string(), want, "{name} on {arch}");
            }
            let w = r.resolve(k, "W").unwrap();
            assert_eq!(sizeof(&w, arch).unwrap(), arch.ptr_size());
        }
    }

    #[test]
    fn aliases_that_refer_to_themselves_are_recursive_even_behind_pointers() {
        // gc: "invalid recursive type X" for each; a defined type on the way
        // (B, OK2) makes the cycle valid.
        let (p, k) = prog(concat!(
            "package t\n",
            "type X = *Y\n",
            "type Y = []X\n",
            "type A = *B\n",
            "type B struct{ a A }\n",
            "type S = struct{ next *S }\n",
            "type M = map[string]M\n",
            "type C = chan [2]struct{ c C }\n",
            "type OK = *struct{ b B; m map[string]OK2 }\n",
            "type OK2 struct{ p OK }\n",
        ));
        let mut r = p.resolver(Arch::Amd64);
        for (name, line) in [("X", 2), ("Y", 3), ("S", 6), ("M", 7), ("C", 8)] {
            let e = r.resolve(k, name).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("t.go:{line}:6: invalid recursive type {name}")
            );
        }
        for (name, size) in [("A", 8), ("B", 8), ("OK", 8), ("OK2", 8)] {
            let t = r.resolve(k, name).unwrap();
            assert_eq!(sizeof(&t, Arch::Amd64).unwrap(), size, "{name}");
        }
    }

    #[test]
    fn build_constraints_pick_per_arch_files() {
        let mut p = Program::new();
        let k = p
            .add_source("x", "t_386.go", "package x\ntype Word uint32")
            .unwrap();
        p.add_source("x", "t_amd64.go", "package x\ntype Word uint64")
            .unwrap();
        p.add_source(
            "x",
            "w.go",
            "//go:build ignore\n\npackage x\ntype Word [100]byte",
        )
        .unwrap();
        assert_eq!(
            sizeof(
                &p.resolver(Arch::I386).resolve(k, "Word").unwrap(),
                Arch::I386
            )
            .unwrap(),
            4
        );
        assert_eq!(
            sizeof(
                &p.resolver(Arch::Amd64).resolve(k, "Word").unwrap(),
                Arch::Amd64
            )
            .unwrap(),
            8
        );
        assert!(p.resolver(Arch::Arm).resolve(k, "Word").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let nest = |n: usize| {
            let mut src = String::from("package t\ntype T ");
            for _ in 0..n {
                src.push_str("struct{ a ");
            }
            src.push_str("int");
            for _ in 0..n {
                src.push('}');
            }
            src
        };
        // Miri is slow; 20 levels still exercise the recursion.
        let (p, k) = prog(&nest(if cfg!(miri) { 20 } else { 90 }));
        assert_eq!(
            sizeof(
                &p.resolver(Arch::Amd64).resolve(k, "T").unwrap(),
                Arch::Amd64
            )
            .unwrap(),
            8
        );
        let mut p = Program::new();
        let e = p.add_source("t", "t.go", &nest(150)).unwrap_err();
        assert_eq!(e.msg, "nesting too deep");
    }
}
