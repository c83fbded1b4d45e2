//! Build constraints: which files a `GOOS`/`GOARCH` pair compiles.
//!
//! Go: `go/build/constraint` (the `//go:build` expression grammar: `||`, `&&`,
//! `!`, parentheses, tags) and `go/build`'s file-name rule (`*_GOOS`,
//! `*_GOARCH`, `*_GOOS_GOARCH` before `.go` or `_test.go`). Satisfied tags:
//! the GOOS, the GOARCH, `unix` for Unix GOOSes, `gc`, and every `go1.N` up
//! to `go1.19`. `cgo` is false (cross builds disable it), so cgo files and
//! files importing "C" are left out, as `CGO_ENABLED=0 go build` does.

use crate::arch::Arch;

const KNOWN_OS: [&str; 17] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];
const KNOWN_ARCH: [&str; 25] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
    "sh",
];

/// Whether `tag` is satisfied for `arch` (with its GOOS, see [`Arch::goos`]).
///
/// ```
/// use golayout::{Arch, parse::tag_matches};
/// assert!(tag_matches("linux", Arch::I386));
/// assert!(tag_matches("unix", Arch::Arm64));
/// assert!(!tag_matches("unix", Arch::Wasm));
/// assert!(tag_matches("go1.18", Arch::Amd64) && !tag_matches("go1.20", Arch::Amd64));
/// ```
pub fn tag_matches(tag: &str, arch: Arch) -> bool {
    let os = arch.goos();
    if tag == os || tag == arch.name() || tag == "gc" {
        return true;
    }
    if tag == "unix" {
        return os != "js";
    }
    if let Some(minor) = tag.strip_prefix("go1.") {
        return minor.parse::<u32>().is_ok_and(|m| m <= 19);
    }
    false
}

/// Evaluates a `//go:build` expression. Malformed expressions are false.
///
/// ```
/// use golayout::{Arch, parse::eval_constraint};
/// assert!(eval_constraint("linux && (386 || arm)", Arch::Arm));
/// assert!(!eval_constraint("!linux || cgo", Arch::Amd64));
/// assert!(!eval_constraint("linux &&", Arch::Amd64));
/// ```
pub fn eval_constraint(expr: &str, arch: Arch) -> bool {
    let mut p = Eval {
        s: expr.as_bytes(),
        i: 0,
        arch,
        depth: 0,
    };
    match p.or() {
        Some(v) => {
            p.ws();
            p.i == p.s.len() && v
        }
        None => false,
    }
}

struct Eval<'a> {
    s: &'a [u8],
    i: usize,
    arch: Arch,
    depth: u32,
}

impl Eval<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] == b' ' || self.s[self.i] == b'\t') {
            self.i += 1;
        }
    }
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Option<bool> {
        let mut v = self.and()?;
        while self.eat("||") {
            v |= self.and()?;
        }
        Some(v)
    }
    fn and(&mut self) -> Option<bool> {
        let mut v = self.not()?;
        while self.eat("&&") {
            v &= self.not()?;
        }
        Some(v)
    }
    fn not(&mut self) -> Option<bool> {
        self.depth += 1;
        if self.depth > 100 {
            return None;
        }
        let r = if self.eat("!") {
            self.not().map(|v| !v)
        } else if self.eat("(") {
            let v = self.or()?;
            if !self.eat(")") {
                return None;
            }
            Some(v)
        } else {
            self.ws();
            let start = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric() || b"_.".contains(&self.s[self.i]))
            {
                self.i += 1;
            }
            if start == self.i {
                return None;
            }
            let tag = core::str::from_utf8(&self.s[start..self.i]).ok()?;
            Some(tag_matches(tag, self.arch))
        };
        self.depth -= 1;
        r
    }
}

/// The `go/build` file-name rule: `x_linux.go`, `x_386.go`, `x_linux_386_test.go`…
///
/// ```
/// use golayout::{Arch, parse::file_name_matches};
/// assert!(file_name_matches("zsys_linux_386.go", Arch::I386));
/// assert!(!file_name_matches("zsys_linux_386.go", Arch::Amd64));
/// assert!(!file_name_matches("fd_windows.go", Arch::Amd64));
/// assert!(file_name_matches("linux.go", Arch::Amd64)); // no underscore: no constraint
/// ```
pub fn file_name_matches(name: &str, arch: Arch) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.strip_suffix(".go").unwrap_or(base);
    let stem = stem.strip_suffix("_test").unwrap_or(stem);
    let parts: alloc::vec::Vec<&str> = stem.split('_').collect();
    let n = parts.len();
    if n >= 3 && KNOWN_OS.contains(&parts[n - 2]) && KNOWN_ARCH.contains(&parts[n - 1]) {
        return tag_matches(parts[n - 2], arch) && parts[n - 1] == arch.name();
    }
    if n >= 2 {
        let last = parts[n - 1];
        if KNOWN_OS.contains(&last) {
            return tag_matches(last, arch);
        }
        if KNOWN_ARCH.contains(&last) {
            return last == arch.name();
        }
    }
    true
}
