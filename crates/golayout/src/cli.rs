//! The `golayout` command: load Go packages as the go command does and lay
//! out every package-level type.
//!
//! ```text
//! golayout [--arch LIST] [--format text|json] [--optimize] [--check] [--tests]
//!          [--goroot DIR] [--stats] PATTERN...
//! ```
//!
//! PATTERNs are the go command's: a directory (`.`, `./cmd/x`, an absolute
//! path: that one package), a tree (`./...`, `dir/...`), `std`, an import
//! path or import-path pattern (`net/http`, `net/...`), or `.go` files (one
//! package). [`crate::load`] finds packages in the module (`go.mod`,
//! `vendor/`, `replace`), `GOROOT` and the module cache; imported packages
//! are loaded once each, only when a type needs one of their declarations.
//! Test files are read only with `--tests`.
//!
//! Findings (`--check`) use `fieldalignment`'s wording, once per struct with
//! the arches they apply to: "struct of size N could be M" and, when the size
//! is already optimal, "struct with N pointer bytes could be M"; plus 64-bit
//! fields used with `sync/atomic` that a 32-bit arch leaves 4-aligned.
//!
//! Exit status: 0 clean; 1 findings under `--check`; 2 a usage or load error
//! (bad flags, a pattern that matches nothing, a syntax error, a type that
//! cannot be resolved). A package that cannot be found is one warning naming
//! it and the packages that import it; types that need it are skipped.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::load::{Env, Loader, PackageDir};
use crate::{
    analyze_type, atomic64_check, Arch, GoType, Program, Report, ResolveErrorKind, TypeName,
};

const USAGE: &str = "usage: golayout [flags] PATTERN...\n\
\n\
PATTERNs are read as the go command reads them: a directory (one package),\n\
DIR/... or ./... (every package below), std, an import path or pattern\n\
(net/http, net/...), or .go files (one package). The module comes from the\n\
nearest go.mod (vendor/ and replace honoured); the standard library from\n\
--goroot, $GOROOT or `go env GOROOT`; other modules from $GOMODCACHE.\n\
\n\
flags:\n\
  --arch LIST      comma-separated GOARCHes (default amd64,386; `all` for every one)\n\
  --format F       text (byte maps, default) or json (schema in the README)\n\
  --optimize       also print each struct that could be smaller in the suggested order, as Go source\n\
  --check          report fieldalignment's findings and misaligned 64-bit atomic fields\n\
  --tests          also read _test.go files\n\
  --goroot DIR     the Go installation whose src/ is the standard library\n\
  --stats          print counts and timing to stderr\n\
  --version        print the version\n\
\n\
exit status: 0 clean, 1 findings under --check, 2 usage or load errors\n";

/// Parsed command-line options.
///
/// ```
/// let o = golayout::cli::Options::parse(&["--arch".into(), "arm,arm64".into(), "./...".into()]).unwrap();
/// assert_eq!(o.arches, [golayout::Arch::Arm, golayout::Arch::Arm64]);
/// assert_eq!(o.patterns, ["./..."]);
/// assert!(golayout::cli::Options::parse(&["--format".into(), "xml".into(), "x".into()]).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Arches to lay out for, in order.
    pub arches: Vec<Arch>,
    /// JSON instead of text.
    pub json: bool,
    /// Whether `--format` was given.
    pub format_given: bool,
    /// `--optimize`.
    pub optimize: bool,
    /// `--check`.
    pub check: bool,
    /// `--tests`.
    pub tests: bool,
    /// `--stats`.
    pub stats: bool,
    /// `--goroot`.
    pub goroot: Option<PathBuf>,
    /// Package patterns.
    pub patterns: Vec<String>,
}

/// What the command line asks for besides a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `--help`.
    Help,
    /// `--version`.
    Version,
    /// A usage error, with its message.
    Usage(String),
}

impl Options {
    /// Parses arguments (without the program name).
    ///
    /// # Errors
    ///
    /// [`Request::Help`], [`Request::Version`], or a usage error.
    ///
    /// # Examples
    ///
    /// See [`Options`].
    pub fn parse(args: &[String]) -> Result<Options, Request> {
        let mut o = Options {
            arches: vec![Arch::Amd64, Arch::I386],
            json: false,
            format_given: false,
            optimize: false,
            check: false,
            tests: false,
            stats: false,
            goroot: None,
            patterns: Vec::new(),
        };
        let usage = |m: String| Request::Usage(m);
        let mut i = 0;
        let mut only_patterns = false;
        while i < args.len() {
            let a = args[i].as_str();
            i += 1;
            if only_patterns || !a.starts_with('-') || a == "-" {
                o.patterns.push(a.to_string());
                continue;
            }
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (a, None),
            };
            let flag = flag.trim_start_matches('-');
            let mut value = |name: &str| -> Result<String, Request> {
                if let Some(v) = inline.clone() {
                    return Ok(v);
                }
                let v = args
                    .get(i)
                    .cloned()
                    .ok_or_else(|| usage(format!("flag --{name} needs a value")))?;
                i += 1;
                Ok(v)
            };
            match flag {
                "" => only_patterns = true,
                "arch" => {
                    let v = value("arch")?;
                    let mut arches = Vec::new();
                    for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        if name == "all" {
                            arches.extend(Arch::ALL);
                            continue;
                        }
                        let a = Arch::from_name(name)
                            .ok_or_else(|| usage(format!("unknown GOARCH {name:?}")))?;
                        if !arches.contains(&a) {
                            arches.push(a);
                        }
                    }
                    if arches.is_empty() {
                        return Err(usage("--arch needs at least one GOARCH".into()));
                    }
                    o.arches = arches;
                }
                "format" => {
                    o.format_given = true;
                    o.json = match value("format")?.as_str() {
                        "json" => true,
                        "text" => false,
                        f => {
                            return Err(usage(format!("unknown format {f:?} (want text or json)")))
                        }
                    };
                }
                "goroot" => o.goroot = Some(PathBuf::from(value("goroot")?)),
                "optimize" | "check" | "stats" | "tests" | "version" | "h" | "help"
                    if inline.is_some() =>
                {
                    return Err(usage(format!("flag --{flag} takes no value")));
                }
                "optimize" => o.optimize = true,
                "check" => o.check = true,
                "stats" => o.stats = true,
                "tests" => o.tests = true,
                "version" => return Err(Request::Version),
                "h" | "help" => return Err(Request::Help),
                _ => return Err(usage(format!("unknown flag {a}"))),
            }
        }
        if o.patterns.is_empty() {
            return Err(usage(
                "no PATTERN given (try ./... for every package here)".into(),
            ));
        }
        Ok(o)
    }
}

/// Runs the command with `std::env::args`, printing to stdout/stderr; returns the exit status.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut err = stderr.lock();
    let code = run(&args, &mut out, &mut err);
    if out.flush().is_err() {
        return code.max(1);
    }
    code
}

/// Counts for `--stats` and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Go files read (target packages and the dependencies loaded for them).
    pub files: usize,
    /// Target packages (distinct import paths).
    pub packages: usize,
    /// Dependency packages loaded.
    pub dependencies: usize,
    /// Struct types laid out, summed over arches.
    pub structs: usize,
    /// Other named types laid out, summed over arches.
    pub others: usize,
    /// Types skipped (generic declarations, missing packages), summed over arches, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Distinct errors (syntax and resolution).
    pub errors: usize,
    /// `--check` findings.
    pub findings: usize,
}

/// The programs's packages after loading: which are targets, which packages
/// could not be found and who imports them, and the errors met.
struct Loaded {
    prog: Program,
    /// Indices of target packages in `prog`.
    targets: Vec<usize>,
    files: usize,
    dependencies: usize,
    /// Import path that could not be found → import paths of the packages that need it.
    missing: BTreeMap<String, BTreeSet<String>>,
    errors: BTreeSet<String>,
}

/// The version line `--version` prints.
pub const VERSION: &str = concat!(
    "golayout ",
    env!("CARGO_PKG_VERSION"),
    " (Go 1.19 gc layout rules)"
);

/// JSON schema version (see the README's "JSON output" section).
pub const SCHEMA_VERSION: u32 = 2;

/// Runs the command on `args`, writing to `out` and `err`; returns the exit status.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("golayout-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("t.go"), "package t\ntype T struct{ a int8; b int64 }\n").unwrap();
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let args = ["--format".to_string(), "json".into(), "--arch".into(), "386".into(), dir.display().to_string()];
/// assert_eq!(golayout::cli::run(&args, &mut out, &mut err), 0);
/// let json = String::from_utf8(out).unwrap();
/// assert!(json.contains(r#""name":"T","arch":"386","kind":"struct","size":12,"align":4"#));
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let opts = match Options::parse(args) {
        Ok(o) => o,
        Err(Request::Help) => {
            let _ = out.write_all(USAGE.as_bytes());
            return 0;
        }
        Err(Request::Version) => {
            let _ = writeln!(out, "{VERSION}");
            return 0;
        }
        Err(Request::Usage(msg)) => {
            let _ = writeln!(err, "golayout: {msg}\n\n{USAGE}");
            return 2;
        }
    };
    let start = Instant::now();
    let cwd = std::env::current_dir().unwrap_or_default();
    let loaded = match load(&opts, &cwd) {
        Ok(l) => l,
        Err(msg) => {
            let _ = writeln!(err, "golayout: {msg}");
            return 2;
        }
    };
    for (path, importers) in &loaded.missing {
        let who: Vec<&str> = importers.iter().map(String::as_str).collect();
        let _ = writeln!(
            err,
            "golayout: warning: cannot find package \"{path}\" (imported by {}); types that need it are skipped",
            who.join(", ")
        );
    }
    let mut stats = Stats {
        files: loaded.files,
        packages: loaded
            .targets
            .iter()
            .map(|&k| &loaded.prog.packages()[k].path)
            .collect::<BTreeSet<_>>()
            .len(),
        dependencies: loaded.dependencies,
        ..Stats::default()
    };
    let mut errors = loaded.errors.clone();
    let mut findings: BTreeMap<(String, String), Finding> = BTreeMap::new();
    let mut json = String::new();
    let mut first = true;
    if opts.json {
        let _ = write!(json, "{{\"schema_version\":{SCHEMA_VERSION},\"types\":[");
    }
    let prog = &loaded.prog;
    let mut skipped_json = Vec::new();
    let mut atomic_uses_by_arch: BTreeMap<Arch, BTreeMap<TypeName, BTreeSet<String>>> =
        BTreeMap::new();
    for &k in &loaded.targets {
        let pkg = &prog.packages()[k];
        if pkg.path == "builtin" {
            // $GOROOT/src/builtin only documents the predeclared identifiers
            // (`type bool bool`); it is not a package anyone compiles.
            for &arch in &opts.arches {
                *stats
                    .skipped
                    .entry("in package builtin (documentation only)".into())
                    .or_default() += pkg.type_decls(arch).len();
            }
            continue;
        }
        for &arch in &opts.arches {
            let mut r = prog.resolver(arch);
            let atomic_uses = atomic_uses_by_arch
                .entry(arch)
                .or_insert_with(|| {
                    let mut r = prog.resolver(arch);
                    let mut all: BTreeMap<TypeName, BTreeSet<String>> = BTreeMap::new();
                    for &t in &loaded.targets {
                        for (owner, paths) in r.atomic_uses(t) {
                            all.entry(owner).or_default().extend(paths);
                        }
                    }
                    all
                })
                .clone();
            for (fi, decl) in pkg.type_decls(arch) {
                let file = &pkg.files[fi].name;
                let t = match r.resolve(k, &decl.name) {
                    Ok(t) => t,
                    Err(e)
                        if e.is_skip() || matches!(e.kind, ResolveErrorKind::NotLoaded { .. }) =>
                    {
                        let reason = skip_reason(&e.kind);
                        *stats.skipped.entry(reason).or_default() += 1;
                        skipped_json.push(format!(
                            "{{\"name\":{},\"package\":{},\"arch\":\"{arch}\",\"reason\":{}}}",
                            q(&decl.name),
                            q(&pkg.path),
                            q(&e.message())
                        ));
                        if !opts.json && !opts.check {
                            let _ = writeln!(
                                out,
                                "skipped {}.{} [{arch}]: {}\n",
                                pkg.name,
                                decl.name,
                                e.message()
                            );
                        }
                        continue;
                    }
                    Err(e) => {
                        errors.insert(format!("{e} (in type {})", decl.name));
                        continue;
                    }
                };
                let report = match analyze_type(&t, arch) {
                    Ok(r) => r,
                    Err(e) => {
                        errors.insert(format!("{file}:{}: {e} (in type {})", decl.pos, decl.name));
                        continue;
                    }
                };
                let is_struct = matches!(t.underlying(), GoType::Struct(_));
                if is_struct {
                    stats.structs += 1;
                } else {
                    stats.others += 1;
                }
                let used = atomic_uses.get(&TypeName::new(&pkg.path, &decl.name));
                let (warnings, safe) = if is_struct {
                    (
                        atomic64_check(&t, arch, &|p: &str| used.is_some_and(|u| u.contains(p)))
                            .unwrap_or_default(),
                        crate::atomic64_types(&t, arch).unwrap_or_default(),
                    )
                } else {
                    (Vec::new(), Vec::new())
                };
                // An alias is the type it names: its findings belong to the target.
                if is_struct && !decl.alias {
                    let f = findings
                        .entry((pkg.path.clone(), decl.name.clone()))
                        .or_insert_with(|| Finding {
                            file: file.clone(),
                            line: decl.ty_pos.line,
                            col: decl.ty_pos.col,
                            package: pkg.path.clone(),
                            name: decl.name.clone(),
                            messages: Vec::new(),
                        });
                    if let Some(m) = fieldalignment_message(&report) {
                        f.add(m, arch);
                    }
                    for w in &warnings {
                        f.add(
                            format!(
                                "field {}.{} at offset {} is not 8-aligned; 64-bit atomic operations on it panic (use atomic.Int64/Uint64 or move it first)",
                                decl.name, w.path, w.offset
                            ),
                            arch,
                        );
                    }
                }
                if opts.json {
                    if !first {
                        json.push(',');
                    }
                    first = false;
                    json_type(
                        &mut json, &pkg.path, file, decl, arch, &t, &report, &warnings, &safe,
                    );
                } else if !opts.check || opts.format_given {
                    let _ = out.write_all(
                        text_type(
                            &pkg.name,
                            decl,
                            arch,
                            &t,
                            &report,
                            &warnings,
                            &safe,
                            opts.optimize,
                        )
                        .as_bytes(),
                    );
                }
            }
        }
    }
    let findings: Vec<Finding> = findings
        .into_values()
        .filter(|f| !f.messages.is_empty())
        .collect();
    if opts.json {
        json.push_str("],\"findings\":[");
        let items: Vec<String> = findings.iter().flat_map(Finding::json).collect();
        json.push_str(&items.join(","));
        json.push_str("],\"skipped\":[");
        json.push_str(&skipped_json.join(","));
        json.push_str("]}\n");
        let _ = out.write_all(json.as_bytes());
    }
    stats.errors = errors.len();
    for e in &errors {
        let _ = writeln!(err, "{e}");
    }
    if opts.check {
        stats.findings = findings.iter().map(|f| f.messages.len()).sum();
        for f in &findings {
            for line in f.lines() {
                let _ = writeln!(err, "{line}");
            }
        }
    }
    if opts.stats {
        let skipped: usize = stats.skipped.values().sum();
        let reasons: Vec<String> = stats
            .skipped
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        let _ = writeln!(
            err,
            "golayout: {} files, {} packages (+{} dependencies); laid out {} struct types and {} other types over {} arch(es); skipped {} ({}); {} errors; {} check findings; {:.2}s",
            stats.files,
            stats.packages,
            stats.dependencies,
            stats.structs,
            stats.others,
            opts.arches.len(),
            skipped,
            if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") },
            stats.errors,
            stats.findings,
            start.elapsed().as_secs_f64()
        );
    }
    if !errors.is_empty() {
        2
    } else if opts.check && stats.findings > 0 {
        1
    } else {
        0
    }
}

/// One struct's findings, merged over arches.
struct Finding {
    file: String,
    line: u32,
    col: u32,
    package: String,
    name: String,
    /// Messages and the arches each applies to, in the order met.
    messages: Vec<(String, Vec<Arch>)>,
}

impl Finding {
    fn add(&mut self, message: String, arch: Arch) {
        match self.messages.iter_mut().find(|(m, _)| *m == message) {
            Some((_, arches)) => arches.push(arch),
            None => self.messages.push((message, vec![arch])),
        }
    }

    fn arches(arches: &[Arch]) -> String {
        let names: Vec<&str> = arches.iter().map(|a| a.name()).collect();
        names.join(", ")
    }

    /// `file:line:col: message (arches)`, one line per message.
    fn lines(&self) -> Vec<String> {
        self.messages
            .iter()
            .map(|(m, arches)| {
                format!(
                    "{}:{}:{}: {m} ({})",
                    self.file,
                    self.line,
                    self.col,
                    Finding::arches(arches)
                )
            })
            .collect()
    }

    fn json(&self) -> Vec<String> {
        self.messages
            .iter()
            .map(|(m, arches)| {
                let arches: Vec<String> = arches.iter().map(|a| q(a.name())).collect();
                format!(
                    "{{\"file\":{},\"line\":{},\"col\":{},\"package\":{},\"type\":{},\"message\":{},\"arches\":[{}]}}",
                    q(&self.file),
                    self.line,
                    self.col,
                    q(&self.package),
                    q(&self.name),
                    q(m),
                    arches.join(",")
                )
            })
            .collect()
    }
}

/// fieldalignment's finding for a struct: its size could shrink, else (at
/// the optimal size) its pointer-holding prefix could.
///
/// ```
/// use golayout::{Arch, BasicKind::*, GoType};
/// let t = GoType::struct_of([("a", GoType::Basic(Int8)), ("b", GoType::Basic(Int64)), ("c", GoType::Basic(Int8))]);
/// let r = golayout::analyze_type(&t, Arch::Amd64).unwrap();
/// assert_eq!(golayout::cli::fieldalignment_message(&r).unwrap(), "struct of size 24 could be 16");
/// ```
pub fn fieldalignment_message(r: &Report) -> Option<String> {
    if r.layout.info.size > r.optimal_size {
        Some(format!(
            "struct of size {} could be {}",
            r.layout.info.size, r.optimal_size
        ))
    } else if r.layout.info.ptrdata > r.optimal_ptrdata {
        Some(format!(
            "struct with {} pointer bytes could be {}",
            r.layout.info.ptrdata, r.optimal_ptrdata
        ))
    } else {
        None
    }
}

/// Loads the packages the patterns name, then, round by round, the packages
/// their types need, until nothing new can be loaded.
fn load(opts: &Options, cwd: &Path) -> Result<Loaded, String> {
    let env = Env::discover(opts.goroot.clone());
    let mut loader = Loader::new(env, opts.tests);
    let mut targets: Vec<PackageDir> = Vec::new();
    for p in &opts.patterns {
        for pkg in loader.expand(p, cwd).map_err(|e| e.to_string())? {
            if !targets
                .iter()
                .any(|t| t.path == pkg.path && t.dir == pkg.dir)
            {
                targets.push(pkg);
            }
        }
    }
    for t in &targets {
        loader.mark_loaded(t);
    }
    let mut prog = Program::with_stdlib();
    let mut errors = BTreeSet::new();
    let mut files = 0;
    let mut target_idx = BTreeSet::new();
    let mut dirs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (k, (name, parsed)) in loader.parse(&targets) {
        files += 1;
        match parsed {
            Ok(ast) => {
                target_idx.insert(prog.add_file(&targets[k].path, &name, ast));
            }
            Err(e) => {
                errors.insert(e);
            }
        }
    }
    for t in &targets {
        dirs.insert(t.path.clone(), t.dir.clone());
    }
    let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut dependencies = 0;
    let mut tried: BTreeSet<String> = BTreeSet::new();
    // Resolve the targets' types; load the packages named by "not loaded"
    // errors (a dependency's own types are resolved through the targets'
    // ones, so its needs surface as the targets' errors); repeat until a
    // round loads nothing new.
    loop {
        let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for &arch in &opts.arches {
            let mut r = prog.resolver(arch);
            for &k in target_idx.iter() {
                let pkg = &prog.packages()[k];
                for (_, decl) in pkg.type_decls(arch) {
                    if let Err(e) = r.resolve(k, &decl.name) {
                        if let ResolveErrorKind::NotLoaded { path, .. } = e.kind {
                            wanted.entry(path).or_default().insert(pkg.path.clone());
                        }
                    }
                }
            }
        }
        let mut batch: Vec<PackageDir> = Vec::new();
        for (path, importers) in wanted {
            if !tried.insert(path.clone()) {
                if !loader_has(&loader, &path) {
                    missing.entry(path).or_default().extend(importers);
                }
                continue;
            }
            let from = importers
                .iter()
                .find_map(|i| dirs.get(i).cloned())
                .unwrap_or_else(|| cwd.to_path_buf());
            match loader.load_import(&path, &from) {
                Some(pkg) => batch.push(pkg),
                None if loader_has(&loader, &path) => {}
                None => {
                    missing.entry(path).or_default().extend(importers);
                }
            }
        }
        if batch.is_empty() {
            break;
        }
        for (k, (name, parsed)) in loader.parse(&batch) {
            files += 1;
            // A dependency's syntax error is not the user's to fix: its
            // types become unresolvable, which the importer's types report.
            if let Ok(ast) = parsed {
                prog.add_file(&batch[k].path, &name, ast);
            }
        }
        for b in &batch {
            dirs.insert(b.path.clone(), b.dir.clone());
        }
        dependencies += batch.len();
    }
    Ok(Loaded {
        prog,
        targets: target_idx.into_iter().collect(),
        files,
        dependencies,
        missing,
        errors,
    })
}

fn loader_has(loader: &Loader, path: &str) -> bool {
    loader.dir_of(path).is_some()
}

/// A struct declaration in the suggested field order, as Go source that
/// `gofmt` leaves unchanged: doc comments, tags, line comments and embedded
/// fields kept, names, types, tags and comments aligned in columns as
/// gofmt's tabwriter aligns them. `None` if the declaration is not a struct
/// literal (a defined type of another named struct) or does not match the
/// layout.
///
/// ```
/// use golayout::{Arch, Program};
/// let mut p = Program::new();
/// let k = p.add_source("m", "m.go", "package m\ntype T struct {\n\t// A flag.\n\ta bool `json:\"a\"`\n\tb int64 // count\n\tc bool\n}\n").unwrap();
/// let t = p.resolver(Arch::Amd64).resolve(k, "T").unwrap();
/// let r = golayout::analyze_type(&t, Arch::Amd64).unwrap();
/// let decl = &p.packages()[k].files[0].ast.types[0];
/// assert_eq!(
///     golayout::cli::optimized_source(decl, &r).unwrap(),
///     "type T struct {\n\tb int64 // count\n\t// A flag.\n\ta bool `json:\"a\"`\n\tc bool\n}\n"
/// );
/// ```
pub fn optimized_source(decl: &crate::parse::TypeDecl, r: &Report) -> Option<String> {
    use crate::parse::TypeExpr;
    let TypeExpr::Struct(fields) = &decl.ty else {
        return None;
    };
    // One entry per laid-out field, in declaration order; the doc comment
    // goes with the first name of a multi-name declaration.
    let mut entries: Vec<(Option<&str>, &crate::parse::FieldDecl, bool)> = Vec::new();
    for f in fields {
        if f.names.is_empty() {
            entries.push((None, f, true));
        } else {
            for (i, n) in f.names.iter().enumerate() {
                entries.push((Some(n.as_str()), f, i == 0));
            }
        }
    }
    if entries.len() != r.layout.fields.len() {
        return None;
    }
    // Each line: its cells (all but the last end in a tab in gofmt's
    // tabwriter), or a comment line, which ends every column block.
    let mut lines: Vec<Vec<String>> = Vec::new();
    for &k in &r.optimal_order {
        let (name, f, first) = entries[k];
        if first {
            for d in &f.doc {
                lines.push(vec![d.clone()]);
            }
        }
        let mut cells: Vec<String> = Vec::new();
        if let Some(n) = name {
            cells.push(n.to_string());
        }
        cells.push(f.ty_src.clone());
        cells.extend(f.tag.clone());
        if first {
            cells.extend(f.comment.clone());
        }
        lines.push(cells);
    }
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.len()]).collect();
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    for c in 0..columns {
        let mut i = 0;
        while i < lines.len() {
            if lines[i].len() <= c + 1 {
                i += 1;
                continue;
            }
            let start = i;
            while i < lines.len() && lines[i].len() > c + 1 {
                i += 1;
            }
            let w = lines[start..i]
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0);
            for row in &mut widths[start..i] {
                row[c] = w + 1;
            }
        }
    }
    let params = if decl.generic { "[…]" } else { "" };
    let eq = if decl.alias { " =" } else { "" };
    let mut o = format!("type {}{params}{eq} struct {{\n", decl.name);
    for (line, w) in lines.iter().zip(&widths) {
        o.push('\t');
        let last = line.len() - 1;
        for (c, cell) in line.iter().enumerate() {
            if c == last {
                o.push_str(cell);
            } else {
                let _ = write!(o, "{cell:<width$}", width = w[c]);
            }
        }
        o.push('\n');
    }
    o.push_str("}\n");
    Some(o)
}

fn skip_reason(k: &ResolveErrorKind) -> String {
    match k {
        ResolveErrorKind::Generic(m) if m.starts_with("generic type") => {
            "generic type declarations".into()
        }
        ResolveErrorKind::Generic(_) => "bad instantiations".into(),
        ResolveErrorKind::NotLoaded { .. } => {
            "types that need a package that cannot be found".into()
        }
        _ => "other".into(),
    }
}

fn order_names(r: &Report) -> String {
    let names: Vec<&str> = r
        .optimal_order
        .iter()
        .map(|&i| r.layout.fields[i].name.as_str())
        .collect();
    names.join(", ")
}

/// JSON string literal.
fn q(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[allow(clippy::too_many_arguments)]
fn json_type(
    o: &mut String,
    path: &str,
    file: &str,
    decl: &crate::parse::TypeDecl,
    arch: Arch,
    t: &GoType,
    r: &Report,
    warnings: &[crate::AtomicWarning],
    safe: &[crate::AtomicWarning],
) {
    let i = r.layout.info;
    let _ = write!(
        o,
        "{{\"name\":{},\"arch\":\"{arch}\",\"kind\":\"{}\",\"size\":{},\"align\":{},\"fields\":[",
        q(&decl.name),
        t.kind(),
        i.size,
        i.align,
    );
    for (k, f) in r.layout.fields.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        let _ = write!(
            o,
            "{{\"name\":{},\"type\":{},\"offset\":{},\"size\":{},\"align\":{}{}}}",
            q(&f.name),
            q(&f.ty),
            f.offset,
            f.info.size,
            f.info.align,
            if f.embedded { ",\"embedded\":true" } else { "" }
        );
    }
    let _ = write!(
        o,
        "],\"package\":{},\"type\":{},\"ptrdata\":{},\"file\":{},\"line\":{},\"col\":{}{}",
        q(path),
        q(&t.underlying().to_string()),
        i.ptrdata,
        q(file),
        decl.pos.line,
        decl.pos.col,
        if decl.alias { ",\"alias\":true" } else { "" },
    );
    if matches!(t.underlying(), GoType::Struct(_)) {
        o.push_str(",\"padding\":[");
        for (k, p) in r.padding.iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            let _ = write!(o, "{{\"offset\":{},\"size\":{}}}", p.offset, p.len);
        }
        let order: Vec<String> = r
            .optimal_order
            .iter()
            .map(|&k| q(&r.layout.fields[k].name))
            .collect();
        let _ = write!(
            o,
            "],\"optimal\":{{\"size\":{},\"ptrdata\":{},\"saving\":{},\"order\":[{}]}}",
            r.optimal_size,
            r.optimal_ptrdata,
            r.saving(),
            order.join(",")
        );
        if !warnings.is_empty() {
            o.push_str(",\"atomic64_misaligned\":[");
            let w: Vec<String> = warnings
                .iter()
                .map(|w| format!("{{\"field\":{},\"offset\":{}}}", q(&w.path), w.offset))
                .collect();
            o.push_str(&w.join(","));
            o.push(']');
        }
        if !safe.is_empty() {
            o.push_str(",\"atomic64_safe\":[");
            let w: Vec<String> = safe
                .iter()
                .map(|w| format!("{{\"field\":{},\"offset\":{}}}", q(&w.path), w.offset))
                .collect();
            o.push_str(&w.join(","));
            o.push(']');
        }
    }
    o.push('}');
}

/// Labels for fields in byte maps: A–Z, a–z, 0–9, then `#`.
fn label(i: usize) -> char {
    const L: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    L.get(i).map_or('#', |&c| c as char)
}

/// Draws a struct's bytes, `row` bytes per line: each byte shows its field's
/// label, `·` padding, `+` the byte gc adds after a trailing zero-size field
/// is also padding (`·`). Runs of identical rows are folded.
///
/// ```
/// use golayout::{Arch, GoType, BasicKind::*};
/// let t = GoType::struct_of([("a", GoType::Basic(Int8)), ("b", GoType::Basic(Int32))]);
/// let r = golayout::analyze_type(&t, Arch::Amd64).unwrap();
/// assert_eq!(golayout::cli::byte_map(&r.layout, &(0..2).collect::<Vec<_>>(), 8), "   0 │A···BBBB│\n");
/// ```
pub fn byte_map(l: &crate::StructLayout, order_labels: &[usize], row: u64) -> String {
    let size = l.info.size;
    let mut cells: Vec<char> = Vec::new();
    let cap = size.min(1 << 20) as usize;
    cells.resize(cap, '·');
    for (k, f) in l.fields.iter().enumerate() {
        let c = label(order_labels.get(k).copied().unwrap_or(k));
        let end = (f.offset + f.info.size).min(cap as u64);
        for b in f.offset.min(end)..end {
            cells[b as usize] = c;
        }
    }
    let mut out = String::new();
    let mut prev: Option<String> = None;
    let mut folded = 0u64;
    let rows = (cap as u64).div_ceil(row);
    for r in 0..rows {
        let s = (r * row) as usize;
        let e = ((r + 1) * row).min(cap as u64) as usize;
        let line: String = cells[s..e].iter().collect();
        if prev.as_deref() == Some(line.as_str()) && r + 1 < rows {
            folded += 1;
            continue;
        }
        if folded > 0 {
            let _ = writeln!(out, "     │ … {folded} more row(s) like the one above");
            folded = 0;
        }
        let _ = writeln!(out, "{:>4} │{line:<width$}│", s, width = row as usize);
        prev = Some(line);
    }
    if size as usize > cap {
        let _ = writeln!(out, "     │ … (map truncated at 1 MiB)");
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn text_type(
    pkg: &str,
    decl: &crate::parse::TypeDecl,
    arch: Arch,
    t: &GoType,
    r: &Report,
    warnings: &[crate::AtomicWarning],
    safe: &[crate::AtomicWarning],
    optimize: bool,
) -> String {
    let name = &decl.name;
    let i = r.layout.info;
    let mut o = String::new();
    if !matches!(t.underlying(), GoType::Struct(_)) {
        let _ = writeln!(
            o,
            "type {pkg}.{name} {} [{arch}]: size {}, align {}\n",
            t.underlying(),
            i.size,
            i.align
        );
        return o;
    }
    let _ = writeln!(
        o,
        "type {pkg}.{name} struct [{arch}]: size {}, align {}, {} byte(s) of padding",
        i.size,
        i.align,
        r.padding_bytes()
    );
    let row = arch.ptr_size().max(8);
    let labels: Vec<usize> = (0..r.layout.fields.len()).collect();
    o.push_str(&byte_map(&r.layout, &labels, row));
    for (k, f) in r.layout.fields.iter().enumerate() {
        let _ = writeln!(
            o,
            "     {} {:<16} {:<24} offset {:>4}  size {:>4}  align {}",
            label(k),
            f.name,
            f.ty,
            f.offset,
            f.info.size,
            f.info.align
        );
    }
    for p in &r.padding {
        let where_ = match p.before {
            Some(k) => format!("before {}", r.layout.fields[k].name),
            None => "at the end".to_string(),
        };
        let _ = writeln!(
            o,
            "     · padding          {} byte(s) at offset {} ({where_})",
            p.len, p.offset
        );
    }
    for w in warnings {
        let _ = writeln!(
            o,
            "     ! {} at offset {} is not 8-aligned on {arch}: 64-bit atomics on it panic",
            w.path, w.offset
        );
    }
    for w in safe {
        let _ = writeln!(
            o,
            "     = {} at offset {} is an atomic.Int64/Uint64: Go aligns it to 8 on every arch (safe)",
            w.path, w.offset
        );
    }
    if r.saving() > 0 || r.optimal_ptrdata < i.ptrdata {
        let _ = writeln!(
            o,
            "     --optimize: {} bytes (saves {}), {} pointer bytes (GC scans {} fewer) with order {}",
            r.optimal_size,
            r.saving(),
            r.optimal_ptrdata,
            i.ptrdata - r.optimal_ptrdata,
            order_names(r)
        );
        if optimize {
            let mut fields = Vec::new();
            let mut labels = Vec::new();
            let mut off = 0u64;
            for &k in &r.optimal_order {
                let mut f = r.layout.fields[k].clone();
                off = (off + f.info.align - 1) & !(f.info.align - 1);
                f.offset = off;
                off += f.info.size;
                fields.push(f);
                labels.push(k);
            }
            let l = crate::StructLayout {
                info: crate::Info {
                    size: r.optimal_size,
                    align: i.align,
                    ptrdata: r.optimal_ptrdata,
                },
                fields,
            };
            let _ = writeln!(o, "     suggested:");
            o.push_str(&byte_map(&l, &labels, row));
            if let Some(src) = optimized_source(decl, r) {
                o.push('\n');
                o.push_str(&src);
            }
        }
    } else if optimize {
        let _ = writeln!(o, "     already optimal");
    }
    o.push('\n');
    o
}
