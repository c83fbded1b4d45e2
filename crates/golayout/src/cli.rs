//! The `golayout` command: read Go source, lay out every package-level type.
//!
//! ```text
//! golayout [--arch LIST] [--format text|json] [--optimize] [--check] [--stats] PATH...
//! ```
//!
//! PATHs are `.go` files or directories (walked recursively; `testdata`,
//! `.hidden` and `_ignored` directories are skipped, as the go tool does).
//! Files are grouped into packages by directory and package name; a
//! directory's import path comes from the nearest `go.mod` (`module std` is
//! the standard library's own tree), so qualified names resolve across the
//! packages given, then against golayout's built-in standard-library
//! knowledge. Per arch, only files whose build constraints hold are used.
//!
//! Exit status: 0 fine; 1 a syntax error, an unresolvable type or a failed
//! `--check`; 2 a usage error. Diagnostics go to stderr as `file:line:col: message`.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::parse::{parse_file, ParseError};
use crate::{analyze_type, atomic64_check, Arch, GoType, Program, Report, ResolveErrorKind};

const USAGE: &str = "usage: golayout [--arch LIST] [--format text|json] [--optimize] [--check] [--stats] PATH...\n\
  --arch LIST      comma-separated GOARCHes (default amd64,386; `all` for every one)\n\
  --format F       text (byte maps, default) or json\n\
  --optimize       also show each struct in the suggested order\n\
  --check          report structs that could be smaller and misaligned 64-bit atomic fields; exit 1 if any\n\
  --stats          print counts and timing to stderr\n";

/// Parsed command-line options.
///
/// ```
/// let o = golayout::cli::Options::parse(&["--arch".into(), "arm,arm64".into(), "x.go".into()]).unwrap();
/// assert_eq!(o.arches, [golayout::Arch::Arm, golayout::Arch::Arm64]);
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
    /// `--stats`.
    pub stats: bool,
    /// Files and directories.
    pub paths: Vec<PathBuf>,
}

impl Options {
    /// Parses arguments (without the program name).
    ///
    /// # Errors
    ///
    /// A usage message.
    ///
    /// # Examples
    ///
    /// See [`Options`].
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            arches: vec![Arch::Amd64, Arch::I386],
            json: false,
            format_given: false,
            optimize: false,
            check: false,
            stats: false,
            paths: Vec::new(),
        };
        let mut i = 0;
        let mut only_paths = false;
        while i < args.len() {
            let a = args[i].as_str();
            i += 1;
            if only_paths || !a.starts_with('-') || a == "-" {
                o.paths.push(PathBuf::from(a));
                continue;
            }
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (a, None),
            };
            let flag = flag.trim_start_matches('-');
            let mut value = |name: &str| -> Result<String, String> {
                if let Some(v) = inline.clone() {
                    return Ok(v);
                }
                let v = args
                    .get(i)
                    .cloned()
                    .ok_or_else(|| format!("flag --{name} needs a value"))?;
                i += 1;
                Ok(v)
            };
            match flag {
                "" => only_paths = true,
                "arch" => {
                    let v = value("arch")?;
                    let mut arches = Vec::new();
                    for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        if name == "all" {
                            arches.extend(Arch::ALL);
                            continue;
                        }
                        let a = Arch::from_name(name)
                            .ok_or_else(|| format!("unknown GOARCH {name:?}"))?;
                        if !arches.contains(&a) {
                            arches.push(a);
                        }
                    }
                    if arches.is_empty() {
                        return Err("--arch needs at least one GOARCH".into());
                    }
                    o.arches = arches;
                }
                "format" => {
                    o.format_given = true;
                    o.json = match value("format")?.as_str() {
                        "json" => true,
                        "text" => false,
                        f => return Err(format!("unknown format {f:?} (want text or json)")),
                    };
                }
                "optimize" | "check" | "stats" | "h" | "help" if inline.is_some() => {
                    return Err(format!("flag --{flag} takes no value"));
                }
                "optimize" => o.optimize = true,
                "check" => o.check = true,
                "stats" => o.stats = true,
                "h" | "help" => return Err(String::new()),
                _ => return Err(format!("unknown flag {a}")),
            }
        }
        if o.paths.is_empty() {
            return Err("no PATH given".into());
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
    /// Go files read.
    pub files: usize,
    /// Packages formed.
    pub packages: usize,
    /// Struct types laid out, summed over arches.
    pub structs: usize,
    /// Other named types laid out, summed over arches.
    pub others: usize,
    /// Types skipped (generic declarations), summed over arches, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Distinct errors (syntax and resolution).
    pub errors: usize,
    /// `--check` findings.
    pub findings: usize,
}

struct Loaded {
    prog: Program,
    files: usize,
    errors: Vec<String>,
}

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
        Err(msg) if msg.is_empty() => {
            let _ = out.write_all(USAGE.as_bytes());
            return 0;
        }
        Err(msg) => {
            let _ = writeln!(err, "golayout: {msg}\n{USAGE}");
            return 2;
        }
    };
    let start = Instant::now();
    let loaded = match load(&opts.paths) {
        Ok(l) => l,
        Err(msg) => {
            let _ = writeln!(err, "golayout: {msg}");
            return 1;
        }
    };
    let mut stats = Stats {
        files: loaded.files,
        packages: loaded
            .prog
            .packages()
            .iter()
            .filter(|p| !p.fallback)
            .count(),
        ..Stats::default()
    };
    let mut errors: BTreeSet<String> = loaded.errors.into_iter().collect();
    let mut diags: Vec<String> = Vec::new();
    let mut json = String::new();
    let mut first = true;
    if opts.json {
        json.push_str("{\"types\":[");
    }
    let prog = &loaded.prog;
    let mut skipped_json = Vec::new();
    for (k, pkg) in prog.packages().iter().enumerate() {
        if pkg.fallback {
            continue;
        }
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
        let atomic_names = pkg.atomic_field_names();
        for &arch in &opts.arches {
            let mut r = prog.resolver(arch);
            for (fi, decl) in pkg.type_decls(arch) {
                let file = &pkg.files[fi].name;
                let t = match r.resolve(k, &decl.name) {
                    Ok(t) => t,
                    Err(e) if e.is_skip() => {
                        *stats.skipped.entry(skip_reason(&e.kind)).or_default() += 1;
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
                let warnings = if is_struct {
                    atomic64_check(&t, arch, &|n: &str| atomic_names.contains(n))
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                if is_struct && (opts.check || !opts.json) {
                    if report.saving() > 0 {
                        diags.push(format!(
                            "{file}:{}: struct {} of size {} could be {} on {arch} (order: {})",
                            decl.pos,
                            decl.name,
                            report.layout.info.size,
                            report.optimal_size,
                            order_names(&report)
                        ));
                    }
                    for w in &warnings {
                        diags.push(format!(
                            "{file}:{}: field {}.{} at offset {} is not 8-aligned on {arch}; 64-bit atomic operations on it panic (use atomic.Int64/Uint64 or move it first)",
                            decl.pos, decl.name, w.path, w.offset
                        ));
                    }
                }
                if opts.json {
                    if !first {
                        json.push(',');
                    }
                    first = false;
                    json_type(
                        &mut json, &pkg.path, &decl.name, arch, &t, &report, &warnings,
                    );
                } else if !opts.check || opts.format_given {
                    let _ = out.write_all(
                        text_type(
                            &pkg.name,
                            &decl.name,
                            arch,
                            &t,
                            &report,
                            &warnings,
                            opts.optimize,
                        )
                        .as_bytes(),
                    );
                }
            }
        }
    }
    if opts.json {
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
        stats.findings = diags.len();
        for d in &diags {
            let _ = writeln!(err, "{d}");
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
            "golayout: {} files, {} packages; laid out {} struct types and {} other types over {} arch(es); skipped {} ({}); {} errors; {} check findings; {:.2}s",
            stats.files,
            stats.packages,
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
    if !errors.is_empty() || (opts.check && !diags.is_empty()) {
        1
    } else {
        0
    }
}

fn skip_reason(k: &ResolveErrorKind) -> String {
    match k {
        ResolveErrorKind::Generic(m) if m.starts_with("generic type") => {
            "generic type declarations".into()
        }
        ResolveErrorKind::Generic(_) => "bad instantiations".into(),
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

fn json_type(
    o: &mut String,
    path: &str,
    name: &str,
    arch: Arch,
    t: &GoType,
    r: &Report,
    warnings: &[crate::AtomicWarning],
) {
    let i = r.layout.info;
    let _ = write!(
        o,
        "{{\"name\":{},\"arch\":\"{arch}\",\"kind\":\"{}\",\"size\":{},\"align\":{},\"fields\":[",
        q(name),
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
        "],\"package\":{},\"type\":{},\"ptrdata\":{}",
        q(path),
        q(&t.underlying().to_string()),
        i.ptrdata
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

fn text_type(
    pkg: &str,
    name: &str,
    arch: Arch,
    t: &GoType,
    r: &Report,
    warnings: &[crate::AtomicWarning],
    optimize: bool,
) -> String {
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
    if r.saving() > 0 {
        let _ = writeln!(
            o,
            "     --optimize: {} bytes (saves {}) with order {}",
            r.optimal_size,
            r.saving(),
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
            let _ = writeln!(o, "     type {name} struct {{");
            for f in &l.fields {
                if f.embedded {
                    let _ = writeln!(o, "         {}", f.ty);
                } else {
                    let _ = writeln!(o, "         {} {}", f.name, f.ty);
                }
            }
            let _ = writeln!(o, "     }}");
        }
    } else if optimize {
        let _ = writeln!(o, "     already optimal");
    }
    o.push('\n');
    o
}

/// Collects `.go` files under `paths`, parses them (in parallel) and groups them into packages.
fn load(paths: &[PathBuf]) -> Result<Loaded, String> {
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new(); // (file, root)
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, p, &mut files).map_err(|e| format!("{}: {e}", p.display()))?;
        } else {
            let root = p.parent().map(Path::to_path_buf).unwrap_or_default();
            files.push((p.clone(), root));
        }
    }
    files.sort();
    files.dedup();
    let n = files.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = n.div_ceil(threads).max(1);
    type Parsed = (usize, Result<crate::parse::File, String>);
    let mut parsed: Vec<Parsed> = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                std::thread::Builder::new()
                    .stack_size(32 << 20)
                    .spawn_scoped(s, move || {
                        part.iter()
                            .enumerate()
                            .map(|(j, (f, _))| {
                                let r = match std::fs::read(f) {
                                    Err(e) => Err(format!("{}: {e}", f.display())),
                                    Ok(bytes) => match core::str::from_utf8(&bytes) {
                                        Err(e) => {
                                            Err(format!("{}:1:1: invalid UTF-8 ({e})", f.display()))
                                        }
                                        Ok(src) => parse_file(src).map_err(|e: ParseError| {
                                            format!("{}:{e}", f.display())
                                        }),
                                    },
                                };
                                (c * chunk + j, r)
                            })
                            .collect::<Vec<Parsed>>()
                    })
            })
            .collect();
        for h in handles.into_iter().flatten() {
            parsed.extend(h.join().unwrap_or_default());
        }
    });
    if parsed.len() != n {
        return Err("could not parse files (thread failure)".into());
    }
    parsed.sort_by_key(|p| p.0);
    let mut prog = Program::with_stdlib();
    let mut errors = Vec::new();
    let mut modules: BTreeMap<PathBuf, Option<(PathBuf, String)>> = BTreeMap::new();
    for (idx, r) in parsed {
        let (file, root) = &files[idx];
        match r {
            Err(e) => errors.push(e),
            Ok(ast) => {
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                let path = import_path(&dir, root, &ast.package, &mut modules);
                prog.add_file(&path, &file.display().to_string(), ast);
            }
        }
    }
    Ok(Loaded {
        prog,
        files: n,
        errors,
    })
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, PathBuf)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let ft = match e.file_type() {
            Ok(t) => t,
            Err(_) => continue,
        };
        let p = e.path();
        if ft.is_dir() {
            if name == "testdata" {
                continue;
            }
            walk(&p, root, out)?;
        } else if ft.is_file() && name.ends_with(".go") {
            out.push((p, root.to_path_buf()));
        }
    }
    Ok(())
}

/// The import path of a directory: from the nearest `go.mod`, else relative to the walk root.
fn import_path(
    dir: &Path,
    root: &Path,
    pkg_name: &str,
    modules: &mut BTreeMap<PathBuf, Option<(PathBuf, String)>>,
) -> String {
    let module = module_of(dir, modules);
    let rel_to = |base: &Path| -> String {
        dir.strip_prefix(base)
            .map(|r| {
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    };
    match module {
        Some((mdir, m)) => {
            let rel = rel_to(&mdir);
            if m == "std" {
                if rel.is_empty() {
                    "std".into()
                } else {
                    rel
                }
            } else if rel.is_empty() {
                m
            } else {
                format!("{m}/{rel}")
            }
        }
        None => {
            let rel = rel_to(root);
            if !rel.is_empty() {
                rel
            } else {
                dir.file_name().map_or_else(
                    || pkg_name.to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            }
        }
    }
}

fn module_of(
    dir: &Path,
    cache: &mut BTreeMap<PathBuf, Option<(PathBuf, String)>>,
) -> Option<(PathBuf, String)> {
    if let Some(m) = cache.get(dir) {
        return m.clone();
    }
    let gomod = dir.join("go.mod");
    let found = match std::fs::read_to_string(&gomod) {
        Ok(text) => text
            .lines()
            .find_map(|l| l.trim().strip_prefix("module "))
            .map(|m| (dir.to_path_buf(), m.trim().trim_matches('"').to_string())),
        Err(_) => None,
    };
    let r = match found {
        Some(f) => Some(f),
        None => dir.parent().and_then(|p| module_of(p, cache)),
    };
    cache.insert(dir.to_path_buf(), r.clone());
    r
}
