//! Finding packages as the go command does: patterns, modules, `GOROOT`,
//! the module cache, `vendor/` and `replace`.
//!
//! ```text
//!   pattern            what it names
//!   ───────            ─────────────
//!   ./cmd/x, /abs/dir  the package in that directory (one directory)
//!   ./..., dir/...     every package in the tree (testdata, _x, .x skipped;
//!                      a directory with its own go.mod is another module)
//!   std                every standard-library package (not cmd)
//!   net/http, net/...  an import path (pattern): std, the main module,
//!                      vendor/, a replacement, or the module cache
//!   a.go b.go          those files, as one package (command-line-arguments)
//! ```
//!
//! An import path is looked up the way `go build` does in module mode:
//!
//! 1. a path whose first element has no dot is standard library:
//!    `$GOROOT/src/<path>`; a non-standard path imported *from* the standard
//!    library (module `std`) is `$GOROOT/src/vendor/<path>`;
//! 2. inside the importer's main module (the nearest `go.mod`): its module
//!    path as a prefix maps onto its directory;
//! 3. if the module has `vendor/modules.txt`: `vendor/<path>`;
//! 4. else the longest `require`d module path that prefixes the import: its
//!    `replace` target (a directory, relative to the `go.mod`, or another
//!    module version), else `$GOMODCACHE/<escaped path>@<version>`.
//!
//! `GOROOT` comes from `--goroot`, else `$GOROOT`, else `go env GOROOT` when
//! a `go` binary is on `PATH`; the module cache from `$GOMODCACHE`, else the
//! first `$GOPATH` entry's `pkg/mod`, else `$HOME/go/pkg/mod`.
//!
//! Packages are loaded once each, on demand: the command loads the packages
//! its patterns name, lays them out, and loads an imported package only when
//! a type actually needs one of its declarations ([`Loader::load_import`]).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::path::{Path, PathBuf};

use crate::parse::{parse_file, File};

/// Where the standard library and the module cache are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    /// `GOROOT`, if found.
    pub goroot: Option<PathBuf>,
    /// The module cache (`GOMODCACHE`), if known.
    pub modcache: Option<PathBuf>,
}

/// The message for a missing `GOROOT`, naming the three ways to give it.
pub const NO_GOROOT: &str =
    "cannot find the Go standard library: pass --goroot DIR, set $GOROOT, or put a `go` binary on PATH";

impl Env {
    /// Finds `GOROOT` (`flag`, else `$GOROOT`, else `go env GOROOT`) and the
    /// module cache (`$GOMODCACHE`, else `$GOPATH`'s first entry + `pkg/mod`,
    /// else `$HOME/go/pkg/mod`).
    pub fn discover(flag: Option<PathBuf>) -> Env {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let goroot = flag.or_else(|| var("GOROOT")).or_else(|| {
            let out = std::process::Command::new("go")
                .args(["env", "GOROOT"])
                .output()
                .ok()?;
            let s = String::from_utf8(out.stdout).ok()?;
            let s = s.trim();
            (out.status.success() && !s.is_empty()).then(|| PathBuf::from(s))
        });
        let modcache = var("GOMODCACHE")
            .or_else(|| {
                let gopath = std::env::var_os("GOPATH").filter(|v| !v.is_empty())?;
                std::env::split_paths(&gopath)
                    .next()
                    .map(|p| p.join("pkg").join("mod"))
            })
            .or_else(|| var("HOME").map(|h| h.join("go").join("pkg").join("mod")));
        Env { goroot, modcache }
    }
}

/// A module: its directory and what its `go.mod` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Module {
    /// The directory holding `go.mod`.
    pub dir: PathBuf,
    /// The module path (`module` directive).
    pub path: String,
    /// `require`d module paths and their versions.
    pub requires: BTreeMap<String, String>,
    /// `replace` directives: old module path (and version, if given) → target.
    pub replaces: Vec<Replace>,
    /// Whether `vendor/modules.txt` exists (the go command then reads `vendor/`).
    pub vendor: bool,
}

/// One `replace` directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replace {
    /// The replaced module path.
    pub old: String,
    /// The replaced version, if the directive names one.
    pub old_version: Option<String>,
    /// A directory (relative paths are relative to the `go.mod`) ...
    pub dir: Option<PathBuf>,
    /// ... or another module path and version.
    pub new: Option<(String, String)>,
}

/// Parses the directives of a `go.mod` that layout needs: `module`,
/// `require`, `replace` (single-line and block forms, `//` comments,
/// quoted paths).
///
/// ```
/// let m = golayout::load::parse_go_mod("module example.com/m\n\nrequire (\n\tgolang.org/x/text v0.3.7 // indirect\n)\nreplace example.com/old => ../old\n");
/// assert_eq!(m.path, "example.com/m");
/// assert_eq!(m.requires["golang.org/x/text"], "v0.3.7");
/// assert_eq!(m.replaces[0].dir.as_deref(), Some(std::path::Path::new("../old")));
/// ```
pub fn parse_go_mod(text: &str) -> Module {
    let mut m = Module::default();
    let mut block: Option<String> = None;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| w.trim_matches('"').to_string())
            .collect();
        if let Some(verb) = &block {
            if line == ")" {
                block = None;
                continue;
            }
            let verb = verb.clone();
            directive(&mut m, &verb, &words);
            continue;
        }
        let (verb, rest) = (words[0].as_str(), &words[1..]);
        if rest.first().map(String::as_str) == Some("(") {
            block = Some(verb.to_string());
            continue;
        }
        directive(&mut m, verb, rest);
    }
    m
}

fn directive(m: &mut Module, verb: &str, args: &[String]) {
    match (verb, args) {
        ("module", [path, ..]) => m.path = path.clone(),
        ("require", [path, version, ..]) => {
            m.requires.insert(path.clone(), version.clone());
        }
        ("replace", _) => {
            let Some(arrow) = args.iter().position(|a| a == "=>") else {
                return;
            };
            let (old, new) = (&args[..arrow], &args[arrow + 1..]);
            let Some(old_path) = old.first() else { return };
            let target = match new {
                [path] => (Some(PathBuf::from(path)), None),
                [path, version, ..] => (None, Some((path.clone(), version.clone()))),
                [] => return,
            };
            m.replaces.push(Replace {
                old: old_path.clone(),
                old_version: old.get(1).cloned(),
                dir: target.0,
                new: target.1,
            });
        }
        _ => {}
    }
}

/// The module cache's escaping of a module path: each capital letter
/// becomes `!` and its lower case (`github.com/BurntSushi` →
/// `github.com/!burnt!sushi`), as `golang.org/x/mod/module.EscapePath` does.
///
/// ```
/// assert_eq!(golayout::load::escape_module_path("github.com/BurntSushi/toml"), "github.com/!burnt!sushi/toml");
/// ```
pub fn escape_module_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A package directory found for a pattern or an import.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PackageDir {
    /// The import path the package is loaded under.
    pub path: String,
    /// Its directory (or, for explicit files, their common directory).
    pub dir: PathBuf,
    /// Explicit files (only for a pattern of `.go` files).
    pub files: Vec<PathBuf>,
}

/// A loading problem: usage-level (a pattern that names nothing, an
/// unreadable directory, a missing `GOROOT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError(pub String);

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One parsed file of a loaded package, or why it could not be parsed.
pub type ParsedFile = (String, Result<File, String>);

/// Loads packages by pattern and by import path, each once.
#[derive(Debug)]
pub struct Loader {
    env: Env,
    tests: bool,
    modules: BTreeMap<PathBuf, Option<Module>>,
    /// Import path → directory, for packages already loaded.
    loaded: BTreeMap<String, PathBuf>,
}

impl Loader {
    /// A loader; `tests` also reads `_test.go` files, as `go vet` does.
    pub fn new(env: Env, tests: bool) -> Loader {
        Loader {
            env,
            tests,
            modules: BTreeMap::new(),
            loaded: BTreeMap::new(),
        }
    }

    /// The environment in use.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The packages a command-line pattern names, relative to `cwd`.
    ///
    /// # Errors
    ///
    /// A pattern that matches no package (as the go command reports it), a
    /// missing directory or file, or `std` without a `GOROOT`.
    pub fn expand(&mut self, pattern: &str, cwd: &Path) -> Result<Vec<PackageDir>, LoadError> {
        if pattern.ends_with(".go") {
            let f = cwd.join(pattern);
            if !f.is_file() {
                return Err(LoadError(format!("{pattern}: no such file")));
            }
            let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
            return Ok(alloc::vec![PackageDir {
                path: "command-line-arguments".into(),
                dir,
                files: alloc::vec![f],
            }]);
        }
        let is_fs = pattern == "."
            || pattern == ".."
            || pattern.starts_with("./")
            || pattern.starts_with("../")
            || Path::new(pattern).is_absolute();
        let (base, recursive) = match pattern.strip_suffix("...") {
            Some(b) => (b.trim_end_matches('/'), true),
            None => (pattern, false),
        };
        let out = if is_fs {
            let dir = match base {
                "" | "." => cwd.to_path_buf(),
                b => cwd.join(b.strip_prefix("./").unwrap_or(b)),
            };
            self.infer_goroot(&dir);
            if !dir.is_dir() {
                return Err(LoadError(format!("{pattern}: directory not found")));
            }
            let mut dirs = Vec::new();
            if recursive {
                self.walk(&dir, &dir, false, &mut dirs);
            } else if self.has_go_files(&dir) {
                dirs.push(dir.clone());
            } else {
                return Err(LoadError(format!("no Go files in {}", dir.display())));
            }
            dirs.into_iter()
                .map(|d| PackageDir {
                    path: self.import_path_of(&d),
                    dir: d,
                    files: Vec::new(),
                })
                .collect()
        } else if pattern == "std" || pattern == "std/..." {
            let src = self.goroot_src()?;
            let mut dirs = Vec::new();
            self.walk(&src, &src, true, &mut dirs);
            dirs.into_iter()
                .filter_map(|d| {
                    let rel = rel_path(&src, &d)?;
                    (rel != "cmd" && !rel.starts_with("cmd/") && !rel.is_empty()).then(|| {
                        PackageDir {
                            path: rel,
                            dir: d,
                            files: Vec::new(),
                        }
                    })
                })
                .collect()
        } else if recursive {
            // An import-path pattern: find its root as an import, then walk.
            self.infer_goroot(cwd);
            let root = self
                .find_import(base, cwd)
                .ok_or_else(|| LoadError(format!("pattern {pattern}: matched no packages")))?;
            let mut dirs = Vec::new();
            self.walk(&root, &root, false, &mut dirs);
            dirs.into_iter()
                .map(|d| {
                    let rel = rel_path(&root, &d).unwrap_or_default();
                    let path = if rel.is_empty() {
                        base.to_string()
                    } else {
                        format!("{base}/{rel}")
                    };
                    PackageDir {
                        path,
                        dir: d,
                        files: Vec::new(),
                    }
                })
                .collect()
        } else {
            self.infer_goroot(cwd);
            let looks_std = !pattern.split('/').next().unwrap_or("").contains('.');
            if looks_std && self.env.goroot.is_none() {
                return Err(LoadError(format!("package {pattern}: {NO_GOROOT}")));
            }
            let dir = self.find_import(pattern, cwd).ok_or_else(|| {
                LoadError(format!(
                    "package {pattern} is not in std or in any module found from {}",
                    cwd.display()
                ))
            })?;
            if !self.has_go_files(&dir) {
                return Err(LoadError(format!("no Go files in {}", dir.display())));
            }
            alloc::vec![PackageDir {
                path: pattern.to_string(),
                dir,
                files: Vec::new(),
            }]
        };
        if out.is_empty() {
            return Err(LoadError(format!("pattern {pattern}: matched no packages")));
        }
        Ok(out)
    }

    /// Without a `GOROOT`, a directory inside the standard library's own
    /// tree (whose `go.mod` says `module std`) tells where it is.
    fn infer_goroot(&mut self, dir: &Path) {
        if self.env.goroot.is_some() {
            return;
        }
        if let Some(m) = self.module_of(dir) {
            if m.path == "std" {
                self.env.goroot = m.dir.parent().map(Path::to_path_buf);
            }
        }
    }

    fn goroot_src(&self) -> Result<PathBuf, LoadError> {
        let root = self
            .env
            .goroot
            .as_ref()
            .ok_or_else(|| LoadError(NO_GOROOT.into()))?;
        let src = root.join("src");
        if src.is_dir() {
            Ok(src)
        } else {
            Err(LoadError(format!(
                "GOROOT {} has no src directory: {NO_GOROOT}",
                root.display()
            )))
        }
    }

    /// The directory of import path `path` seen from a package in `from`
    /// (the steps of the module comment), if it exists.
    pub fn find_import(&mut self, path: &str, from: &Path) -> Option<PathBuf> {
        let first = path.split('/').next().unwrap_or("");
        let goroot_src = self.env.goroot.as_ref().map(|g| g.join("src"));
        if !first.contains('.') {
            let d = goroot_src.as_ref()?.join(path);
            return d.is_dir().then_some(d);
        }
        let module = self.module_of(from)?;
        // The standard library vendors its non-standard imports in src/vendor
        // (its go.mod says `module std`; cmd has its own module and vendor/).
        if module.path == "std" {
            if let Some(src) = &goroot_src {
                let d = src.join("vendor").join(path);
                return d.is_dir().then_some(d);
            }
        }
        if let Some(rest) = strip_module(path, &module.path) {
            let d = module.dir.join(rest);
            return d.is_dir().then_some(d);
        }
        if module.vendor {
            let d = module.dir.join("vendor").join(path);
            return d.is_dir().then_some(d);
        }
        let (mod_path, version) = module
            .requires
            .iter()
            .filter(|(m, _)| strip_module(path, m).is_some())
            .max_by_key(|(m, _)| m.len())?;
        let rest = strip_module(path, mod_path).unwrap_or("");
        let replace = module
            .replaces
            .iter()
            .filter(|r| &r.old == mod_path)
            .find(|r| r.old_version.as_ref().map_or(true, |v| v == version));
        let root = match replace {
            Some(Replace { dir: Some(d), .. }) => module.dir.join(d),
            Some(Replace {
                new: Some((p, v)), ..
            }) => self.cache_dir(p, v)?,
            _ => self.cache_dir(mod_path, version)?,
        };
        let d = root.join(rest);
        d.is_dir().then_some(d)
    }

    fn cache_dir(&self, module: &str, version: &str) -> Option<PathBuf> {
        let cache = self.env.modcache.as_ref()?;
        Some(cache.join(format!("{}@{version}", escape_module_path(module))))
    }

    /// The main module of a directory: the nearest `go.mod` above it.
    pub fn module_of(&mut self, dir: &Path) -> Option<Module> {
        if let Some(m) = self.modules.get(dir) {
            return m.clone();
        }
        let found = std::fs::read_to_string(dir.join("go.mod"))
            .ok()
            .map(|text| {
                let mut m = parse_go_mod(&text);
                m.dir = dir.to_path_buf();
                m.vendor = dir.join("vendor").join("modules.txt").is_file();
                m
            });
        let m = match found {
            Some(m) => Some(m),
            None => dir.parent().and_then(|p| self.module_of(p)),
        };
        self.modules.insert(dir.to_path_buf(), m.clone());
        m
    }

    /// The import path of a package directory: from its module, from
    /// `GOROOT/src`, else the directory's name.
    fn import_path_of(&mut self, dir: &Path) -> String {
        if let Some(src) = self.env.goroot.as_ref().map(|g| g.join("src")) {
            if let Some(rel) = rel_path(&src, dir) {
                if !rel.is_empty() {
                    return rel;
                }
            }
        }
        if let Some(m) = self.module_of(dir) {
            let rel = rel_path(&m.dir, dir).unwrap_or_default();
            if m.path == "std" {
                return if rel.is_empty() { "std".into() } else { rel };
            }
            return if rel.is_empty() {
                m.path
            } else {
                format!("{}/{rel}", m.path)
            };
        }
        dir.file_name()
            .map_or_else(|| "main".into(), |n| n.to_string_lossy().into_owned())
    }

    /// Whether `dir` holds a `.go` file the loader would read.
    fn has_go_files(&self, dir: &Path) -> bool {
        !self.go_files(dir).is_empty()
    }

    /// The `.go` files of a package directory that the loader reads, sorted.
    pub fn go_files(&self, dir: &Path) -> Vec<PathBuf> {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                name.is_some_and(|n| {
                    n.ends_with(".go")
                        && !n.starts_with('.')
                        && !n.starts_with('_')
                        && (self.tests || !n.ends_with("_test.go"))
                })
            })
            .collect();
        files.sort();
        files
    }

    /// Package directories under `dir` (itself included), as `./...` walks
    /// them: `testdata`, `_x` and `.x` are skipped, and so is a directory
    /// with its own `go.mod` below `root` (another module) and, unless
    /// `vendored` (the `std` pattern, which names `vendor/…` packages too),
    /// `vendor`.
    fn walk(&self, dir: &Path, root: &Path, vendored: bool, out: &mut Vec<PathBuf>) {
        if dir != root && dir.join("go.mod").is_file() {
            return;
        }
        if self.has_go_files(dir) {
            out.push(dir.to_path_buf());
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut subs: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                !(n.starts_with('.')
                    || n.starts_with('_')
                    || n == "testdata"
                    || (n == "vendor" && !vendored))
            })
            .map(|e| e.path())
            .collect();
        subs.sort();
        for s in subs {
            self.walk(&s, root, vendored, out);
        }
    }

    /// Marks a package as loaded; `false` if it already was.
    pub fn mark_loaded(&mut self, pkg: &PackageDir) -> bool {
        self.loaded
            .insert(pkg.path.clone(), pkg.dir.clone())
            .is_none()
    }

    /// The directory a loaded package came from.
    pub fn dir_of(&self, path: &str) -> Option<&Path> {
        self.loaded.get(path).map(PathBuf::as_path)
    }

    /// Finds an imported package for a package loaded from `from_dir`; `None`
    /// if it cannot be found or was loaded already.
    pub fn load_import(&mut self, path: &str, from_dir: &Path) -> Option<PackageDir> {
        if self.loaded.contains_key(path) {
            return None;
        }
        let dir = self.find_import(path, from_dir)?;
        let pkg = PackageDir {
            path: path.to_string(),
            dir,
            files: Vec::new(),
        };
        self.mark_loaded(&pkg);
        Some(pkg)
    }

    /// Reads and parses a package's files (in parallel for big batches).
    pub fn parse(&self, pkgs: &[PackageDir]) -> Vec<(usize, ParsedFile)> {
        let jobs: Vec<(usize, PathBuf)> = pkgs
            .iter()
            .enumerate()
            .flat_map(|(k, p)| {
                let files = if p.files.is_empty() {
                    self.go_files(&p.dir)
                } else {
                    p.files.clone()
                };
                files.into_iter().map(move |f| (k, f))
            })
            .collect();
        parse_all(&jobs)
    }
}

fn parse_one(f: &Path) -> Result<File, String> {
    let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
    let src = core::str::from_utf8(&bytes).map_err(|e| {
        // Where gofmt's scanner stops: the first bad byte's line and byte column.
        let bad = e.valid_up_to();
        let line = 1 + bytes[..bad].iter().filter(|&&b| b == b'\n').count();
        let col = bad
            - bytes[..bad]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        format!("{}:{line}:{col}: illegal UTF-8 encoding", f.display())
    })?;
    parse_file(src).map_err(|e| format!("{}:{e}", f.display()))
}

fn parse_all(jobs: &[(usize, PathBuf)]) -> Vec<(usize, ParsedFile)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = jobs.len().div_ceil(threads).max(1);
    let mut out: Vec<(usize, usize, ParsedFile)> = Vec::with_capacity(jobs.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .enumerate()
            .filter_map(|(c, part)| {
                std::thread::Builder::new()
                    .stack_size(32 << 20)
                    .spawn_scoped(s, move || {
                        part.iter()
                            .enumerate()
                            .map(|(j, (k, f))| {
                                (c * chunk + j, *k, (f.display().to_string(), parse_one(f)))
                            })
                            .collect::<Vec<_>>()
                    })
                    .ok()
            })
            .collect();
        for h in handles {
            if let Ok(v) = h.join() {
                out.extend(v);
            }
        }
    });
    out.sort_by_key(|x| x.0);
    out.into_iter().map(|(_, k, f)| (k, f)).collect()
}

/// `path` without the module prefix `module` (`""` for the module's root),
/// or `None` if `path` is not in that module.
fn strip_module<'a>(path: &'a str, module: &str) -> Option<&'a str> {
    if path == module {
        return Some("");
    }
    path.strip_prefix(module)?.strip_prefix('/')
}

/// `dir` relative to `base` with `/` separators, if inside it.
fn rel_path(base: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(base).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Import paths named by the files of loaded packages, deduplicated.
pub fn imports_of<'a>(files: impl Iterator<Item = &'a File>) -> BTreeSet<String> {
    files
        .flat_map(|f| f.imports.iter().map(|i| i.path.clone()))
        .filter(|p| p != "C" && p != "unsafe")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_blocks_comments_and_quotes() {
        let m = parse_go_mod(
            "// comment\nmodule \"example.com/m\"\ngo 1.19\nrequire (\n\ta.com/x v1.2.3\n\tb.com/Y v0.1.0 // indirect\n)\nreplace (\n\ta.com/x v1.2.3 => c.com/x v1.3.0\n\tb.com/Y => ./local/y\n)\n",
        );
        assert_eq!(m.path, "example.com/m");
        assert_eq!(m.requires.len(), 2);
        assert_eq!(m.requires["b.com/Y"], "v0.1.0");
        assert_eq!(
            m.replaces[0].new,
            Some(("c.com/x".to_string(), "v1.3.0".to_string()))
        );
        assert_eq!(m.replaces[0].old_version.as_deref(), Some("v1.2.3"));
        assert_eq!(m.replaces[1].dir, Some(PathBuf::from("./local/y")));
    }

    #[test]
    fn module_prefixes_match_whole_elements() {
        assert_eq!(strip_module("a.com/x/y", "a.com/x"), Some("y"));
        assert_eq!(strip_module("a.com/x", "a.com/x"), Some(""));
        assert_eq!(strip_module("a.com/xy", "a.com/x"), None);
    }
}
