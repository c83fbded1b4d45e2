//! `cargo xtask tidy`: the rules of `ARCHITECTURE.md` that a program can check.
//!
//! Each check reads the sources as text (no compiler involved), so it is a
//! guard against drift, not a proof; each says in its message which rule of
//! `ARCHITECTURE.md` a finding breaks and where.
//!
//! | check | rule |
//! |---|---|
//! | [`unsafe_files`] | `unsafe` code appears only in the files listed under "Where `unsafe` lives", every listed file has some, and a crate without any forbids it |
//! | [`atomics`] | atomics come from `gocore::atomic`; a direct `core`/`std`/`loom` atomic needs a `tidy: allow(atomic)` comment that says why |
//! | [`references`] | every file or folder the docs name in backticks exists |
//! | [`gocore_api`] | every public module of `gocore` serves two or more crates (their sources or tests), every public item at least one |

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::workspace;
use crate::{usage, Error};

/// The marker that excuses one direct atomic import or use (on the same or
/// the previous line), e.g. for a `static`, which loom's atomics cannot be.
const ATOMIC_MARKER: &str = "tidy: allow(atomic)";

/// The `tidy` task.
pub fn run(args: &[String]) -> Result<(), Error> {
    if let Some(a) = args.first() {
        return Err(usage(
            format!("tidy takes no arguments (got {a:?})"),
            crate::USAGE,
        ));
    }
    check().map_err(Error::Failed)
}

/// Runs every check and reports every finding.
pub fn check() -> Result<(), String> {
    let mut findings = Vec::new();
    let arch = fs::read_to_string("ARCHITECTURE.md")
        .map_err(|e| format!("cannot read ARCHITECTURE.md: {e}"))?;
    unsafe_files(&arch, &mut findings);
    atomics(&mut findings);
    references(&mut findings);
    gocore_api(&mut findings);
    if findings.is_empty() {
        eprintln!("tidy: ARCHITECTURE.md rules hold");
        Ok(())
    } else {
        for f in &findings {
            eprintln!("tidy: {f}");
        }
        Err(format!("{} finding(s)", findings.len()))
    }
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The code of a line: what precedes a `//` comment. Good enough for the
/// patterns checked here (none of them occurs inside string literals in
/// this workspace; a false finding shows up at once and is easy to see).
fn code_of(line: &str) -> &str {
    line.split_once("//").map_or(line, |(code, _)| code)
}

/// The lines of a source file before its `#[cfg(test)] mod tests` block
/// (or `#[cfg(all(test, …))]`),
/// which by the workspace's layout sits at the bottom of a file.
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let attr = line.trim();
        if attr.starts_with("#[cfg(")
            && attr.contains("test")
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        out.push((i + 1, *line));
    }
    out
}

/// Whether a line holds `unsafe` code (a block, fn, impl, trait or extern).
fn has_unsafe_code(line: &str) -> bool {
    let code = code_of(line);
    [
        "unsafe {",
        "unsafe fn",
        "unsafe impl",
        "unsafe trait",
        "unsafe extern",
    ]
    .iter()
    .any(|p| code.contains(p))
}

/// The paths listed in ARCHITECTURE.md's "Where `unsafe` lives" section:
/// every backticked token that ends in `.rs`.
fn listed_unsafe_files(arch: &str) -> BTreeSet<String> {
    let mut in_section = false;
    let mut listed = BTreeSet::new();
    for line in arch.lines() {
        if line.starts_with("## ") {
            in_section = line.contains("Where `unsafe` lives");
            continue;
        }
        if in_section {
            for tok in backticked(line) {
                if tok.ends_with(".rs") {
                    listed.insert(tok.to_string());
                }
            }
        }
    }
    listed
}

/// Checks that `unsafe` code lives exactly where ARCHITECTURE.md says.
pub fn unsafe_files(arch: &str, findings: &mut Vec<String>) {
    let listed = listed_unsafe_files(arch);
    if listed.is_empty() {
        findings.push("ARCHITECTURE.md has no \"Where `unsafe` lives\" list".into());
    }
    let mut actual = BTreeSet::new();
    for k in workspace::crates() {
        let src = Path::new("crates").join(&k).join("src");
        let mut crate_has_unsafe = false;
        for f in rust_files(&src) {
            let text = fs::read_to_string(&f).unwrap_or_default();
            if text.lines().any(has_unsafe_code) {
                actual.insert(display(&f));
                crate_has_unsafe = true;
            }
        }
        let lib = fs::read_to_string(src.join("lib.rs")).unwrap_or_default();
        if !crate_has_unsafe && !lib.contains("#![forbid(unsafe_code)]") {
            findings.push(format!(
                "crates/{k} has no unsafe code but its lib.rs does not say #![forbid(unsafe_code)]"
            ));
        }
    }
    for f in actual.difference(&listed) {
        findings.push(format!(
            "{f} has unsafe code but is not listed under \"Where `unsafe` lives\" in ARCHITECTURE.md"
        ));
    }
    for f in listed.difference(&actual) {
        findings.push(format!(
            "ARCHITECTURE.md lists {f} under \"Where `unsafe` lives\" but it has no unsafe code (or does not exist)"
        ));
    }
}

/// Checks that atomics come from `gocore::atomic`.
pub fn atomics(findings: &mut Vec<String>) {
    for k in workspace::crates() {
        for f in rust_files(&Path::new("crates").join(&k).join("src")) {
            let name = display(&f);
            if name == "crates/gocore/src/atomic.rs" {
                continue;
            }
            let text = fs::read_to_string(&f).unwrap_or_default();
            let lines = non_test_lines(&text);
            // The marker excuses its own line and the first code line after
            // the comment block that holds it.
            let mut excused = false;
            for (n, line) in lines {
                let trimmed = line.trim_start();
                if trimmed.starts_with("//") {
                    excused |= line.contains(ATOMIC_MARKER);
                    continue;
                }
                let code = code_of(line);
                let direct = [
                    "core::sync::atomic",
                    "std::sync::atomic",
                    "loom::sync::atomic",
                ]
                .iter()
                .any(|p| code.contains(p));
                if direct && !line.contains(ATOMIC_MARKER) && !excused {
                    findings.push(format!(
                        "{name}:{n}: atomic not from gocore::atomic (add a `{ATOMIC_MARKER}: <why>` comment if it must be)"
                    ));
                }
                excused = false;
            }
        }
    }
}

/// The backticked tokens of a line of Markdown.
fn backticked(line: &str) -> impl Iterator<Item = &str> {
    line.split('`').skip(1).step_by(2)
}

/// Top-level folders a path in the docs may start from.
const ROOTS: [&str; 7] = [
    "crates/",
    "xtask/",
    "tour/",
    "benches/",
    "fuzz/",
    "go-oracle/",
    ".ci/",
];

/// Whether a backticked token names a file or folder (rather than code).
fn looks_like_path(tok: &str) -> bool {
    !tok.is_empty()
        && !tok.contains([' ', '<', '>', '*', '{', '}', '(', ')', '=', ':', '|', '$'])
        && (tok.ends_with(".rs")
            || tok.ends_with(".md")
            || tok.ends_with(".toml")
            // A bare `name/` is a generic folder name (`vendor/`), unless it
            // is one of the workspace's top-level folders.
            || (tok.ends_with('/')
                && (tok.trim_end_matches('/').contains('/') || ROOTS.contains(&tok))))
}

/// Checks that the files and folders the docs name exist.
///
/// A path that starts at a top-level folder is read from the workspace
/// root, as are the root's own files; in `ARCHITECTURE.md`, under a
/// crate's heading (`### \`gomap\``), other paths are read from that
/// crate's `src/`, then from the crate's folder; in a crate's `README.md`,
/// from the crate's folder, then its `src/`.
pub fn references(findings: &mut Vec<String>) {
    let mut docs: Vec<(PathBuf, Option<String>)> = vec![
        (PathBuf::from("ARCHITECTURE.md"), None),
        (PathBuf::from("README.md"), None),
        (PathBuf::from("EMBEDDED.md"), None),
    ];
    for k in workspace::crates() {
        docs.push((Path::new("crates").join(&k).join("README.md"), Some(k)));
    }
    let crates = workspace::crates();
    for (doc, owner) in docs {
        let Ok(text) = fs::read_to_string(&doc) else {
            if owner.is_none() {
                findings.push(format!("{} is missing", display(&doc)));
            }
            continue;
        };
        let mut section: Option<String> = owner.clone();
        for (n, line) in text.lines().enumerate() {
            if owner.is_none() && line.starts_with('#') {
                section = crates
                    .iter()
                    .find(|k| line.trim_start_matches('#').trim() == format!("`{k}`"))
                    .cloned();
            }
            for tok in backticked(line).filter(|t| looks_like_path(t)) {
                let mut candidates = vec![PathBuf::from(tok)];
                if let Some(k) = &section {
                    if !ROOTS.iter().any(|r| tok.starts_with(r)) {
                        let dir = Path::new("crates").join(k);
                        if owner.is_some() {
                            candidates.push(dir.join(tok));
                            candidates.push(dir.join("src").join(tok));
                        } else {
                            candidates.push(dir.join("src").join(tok));
                            candidates.push(dir.join(tok));
                        }
                    }
                }
                // Outside a crate's section, only paths from a top-level
                // folder are checked: bare names there are generic ("each
                // crate's `go_oracle.rs`").
                let checked = ROOTS.iter().any(|r| tok.starts_with(r)) || section.is_some();
                if checked && !candidates.iter().any(|c| c.exists()) {
                    findings.push(format!(
                        "{}:{}: `{tok}` names a file or folder that does not exist",
                        display(&doc),
                        n + 1
                    ));
                }
            }
        }
    }
}

/// The public modules of `gocore` and, for each, its public items (free
/// functions, types, traits, constants, statics and re-exports declared at
/// the top level of its file). Items of `lib.rs` itself go under `""`.
fn gocore_items() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new("crates/gocore/src");
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap_or_default();
    let mut out = BTreeMap::new();
    for line in lib.lines() {
        if let Some(m) = line.strip_prefix("pub mod ") {
            let m = m.trim_end_matches(';').trim().to_string();
            let text = fs::read_to_string(src.join(format!("{m}.rs"))).unwrap_or_default();
            out.insert(m, top_level_items(&text));
        } else if let Some(rest) = line.strip_prefix("pub use ") {
            let name = rest.trim_end_matches(';').rsplit("::").next().unwrap_or("");
            out.entry(String::new())
                .or_insert_with(BTreeSet::new)
                .insert(name.to_string());
        }
    }
    out
}

fn top_level_items(text: &str) -> BTreeSet<String> {
    let mut items = BTreeSet::new();
    for (_, line) in non_test_lines(text) {
        let Some(rest) = line.strip_prefix("pub ") else {
            continue;
        };
        if let Some(list) = rest.strip_prefix("use ") {
            let list = list.trim_end_matches(';');
            let names = match list.split_once('{') {
                Some((_, inner)) => inner.trim_end_matches('}').to_string(),
                None => list.rsplit("::").next().unwrap_or("").to_string(),
            };
            items.extend(
                names
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(String::from),
            );
            continue;
        }
        let words: Vec<&str> = rest
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .collect();
        // `pub [const] [unsafe] [extern] <kind> <name>`; `const` is a kind
        // only when no other kind follows it.
        let qualifiers = ["const", "unsafe", "extern", "async"];
        let kinds = ["fn", "struct", "enum", "trait", "const", "static", "type"];
        let const_is_kind = matches!(words.get(1), Some(n) if !kinds.contains(n));
        let mut rest = words
            .iter()
            .skip_while(|w| qualifiers.contains(w) && !(**w == "const" && const_is_kind));
        if let (Some(kind), Some(name)) = (rest.next(), rest.next()) {
            if kinds.contains(kind) {
                items.insert((*name).to_string());
            }
        }
    }
    items
}

/// Whether `text` names `module::name`, directly (`park::Park`) or in a
/// brace group (`park::{Park, ThreadPark}`); with `name` empty, whether it
/// names `gocore::module` at all (or, for lib.rs items, the item itself).
fn mentions(text: &str, module: &str, name: &str) -> bool {
    let is_word = |s: &str, at: usize, len: usize| {
        let before = s[..at].chars().next_back();
        let after = s[at + len..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    let word_in = |s: &str, w: &str| s.match_indices(w).any(|(i, _)| is_word(s, i, w.len()));
    if module.is_empty() {
        return word_in(text, name);
    }
    let prefix = format!("{module}::");
    for (i, _) in text.match_indices(&prefix) {
        if !is_word(text, i, module.len()) {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        if name.is_empty() {
            return true;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            if word_in(&group[..end], name) {
                return true;
            }
        } else if rest.starts_with(name) && is_word(rest, 0, name.len()) {
            return true;
        }
    }
    false
}

/// Checks that `gocore` holds only what other crates use.
pub fn gocore_api(findings: &mut Vec<String>) {
    let users: Vec<(String, String)> = workspace::crates()
        .into_iter()
        .filter(|k| k != "gocore")
        .map(|k| {
            let dir = Path::new("crates").join(&k);
            let mut files = rust_files(&dir.join("src"));
            files.extend(rust_files(&dir.join("tests")));
            let text: String = files
                .iter()
                .map(|f| fs::read_to_string(f).unwrap_or_default())
                .collect();
            (k, text)
        })
        .collect();
    for (module, items) in gocore_items() {
        if !module.is_empty() {
            let n = users
                .iter()
                .filter(|(_, t)| mentions(t, &module, ""))
                .count();
            if n < 2 {
                findings.push(format!(
                    "gocore::{module} is used by {n} crate(s); a module lives in gocore only when two or more crates need it"
                ));
            }
        }
        for item in items {
            let who: Vec<&str> = users
                .iter()
                .filter(|(_, t)| mentions(t, &module, &item))
                .map(|(k, _)| k.as_str())
                .collect();
            let needed = if module.is_empty() { 2 } else { 1 };
            if who.len() < needed {
                let path = if module.is_empty() {
                    format!("gocore::{item}")
                } else {
                    format!("gocore::{module}::{item}")
                };
                findings.push(format!(
                    "{path} is used by {} crate(s) ({}); every public gocore item must serve {needed} or more",
                    who.len(),
                    who.join(", ")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unsafe_code_but_not_the_word() {
        assert!(has_unsafe_code("    let x = unsafe { *p };"));
        assert!(has_unsafe_code("unsafe impl Send for X {}"));
        assert!(!has_unsafe_code("// an unsafe { block } in a comment"));
        assert!(!has_unsafe_code("#![forbid(unsafe_code)]"));
    }

    #[test]
    fn stops_at_the_test_module() {
        let text = "a\n#[cfg(test)]\nmod tests {\nb\n}\n";
        let lines: Vec<&str> = non_test_lines(text).into_iter().map(|(_, l)| l).collect();
        assert_eq!(lines, ["a"]);
    }

    #[test]
    fn mentions_paths_and_brace_groups() {
        let t = "use gocore::{park::{Park, ThreadPark}, lock::SpinLock};";
        assert!(mentions(t, "park", "ThreadPark"));
        assert!(mentions(t, "lock", "SpinLock"));
        assert!(!mentions(t, "lock", "SpinLockGuard"));
        assert!(mentions(t, "park", ""));
        assert!(!mentions("mypark::Park", "park", "Park"));
        assert!(mentions(
            "crate::atomic::AtomicU8::new(0)",
            "atomic",
            "AtomicU8"
        ));
    }

    #[test]
    fn reads_items_of_a_module() {
        let text = "pub use core::sync::atomic::{fence, AtomicBool};\npub const fn align_up() {}\npub struct X;\n#[cfg(test)]\nmod tests {\npub fn hidden() {}\n}\n";
        let items = top_level_items(text);
        assert_eq!(
            items.into_iter().collect::<Vec<_>>(),
            ["AtomicBool", "X", "align_up", "fence"]
        );
    }

    #[test]
    fn tells_paths_from_code() {
        assert!(looks_like_path("raw/mod.rs"));
        assert!(looks_like_path("tour/src/chapters/"));
        assert!(!looks_like_path("Vec<T>"));
        assert!(!looks_like_path("a::b"));
        assert!(!looks_like_path("/"));
        assert!(!looks_like_path("vendor/"));
        assert!(looks_like_path("benches/"));
    }

    #[test]
    fn lists_unsafe_files_from_the_section() {
        let arch = "## Other\n`x.rs`\n## Where `unsafe` lives\n- `crates/a/src/b.rs`, `crates/a/src/c.rs`\n## Next\n`d.rs`\n";
        let listed: Vec<String> = listed_unsafe_files(arch).into_iter().collect();
        assert_eq!(listed, ["crates/a/src/b.rs", "crates/a/src/c.rs"]);
    }
}
