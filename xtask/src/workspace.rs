//! Facts about the workspace: its root, its crates, their test files, the fuzz targets.

use std::path::{Path, PathBuf};

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// The library crates under `crates/`, sorted by name.
pub fn crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("crates")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Integration test files `crates/<krate>/tests/<prefix>*.rs`, as test target names.
pub fn test_targets(krate: &str, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new("crates").join(krate).join("tests"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(prefix) && n.ends_with(".rs"))
                .map(|n| n.trim_end_matches(".rs").to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The example programs `crates/<krate>/examples/*.rs`, by name.
pub fn examples(krate: &str) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new("crates").join(krate).join("examples"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter_map(|n| n.strip_suffix(".rs").map(String::from))
                    .collect()
            })
            .unwrap_or_default();
    names.sort();
    names
}

/// The opt-in features of `crates/<krate>/Cargo.toml` that CI turns on for
/// the host: every feature but `default`, `std`, `alloc` and the
/// `portable-atomic*` backends (which exclude each other and are checked by
/// the thumb builds). These add API (serde, lock_api, futures-core), so the
/// tests behind them must run too.
pub fn opt_in_features(krate: &str) -> Vec<String> {
    feature_names(krate)
        .into_iter()
        .filter(|f| {
            !matches!(f.as_str(), "default" | "std" | "alloc") && !f.starts_with("portable-atomic")
        })
        .collect()
}

/// `opt_in_features` of every crate in `krates`, as `--features` arguments
/// in `crate/feature` form (empty when there are none).
pub fn opt_in_args(krates: &[String]) -> Vec<String> {
    let all: Vec<String> = krates
        .iter()
        .flat_map(|k| {
            opt_in_features(k)
                .into_iter()
                .map(move |f| format!("{k}/{f}"))
        })
        .collect();
    if all.is_empty() {
        Vec::new()
    } else {
        vec!["--features".to_string(), all.join(",")]
    }
}

/// Whether `crates/<krate>/src/lib.rs` says `#![forbid(unsafe_code)]`.
pub fn forbids_unsafe(krate: &str) -> bool {
    std::fs::read_to_string(Path::new("crates").join(krate).join("src/lib.rs"))
        .is_ok_and(|t| t.contains("#![forbid(unsafe_code)]"))
}

/// The workspace crates `crates/<krate>/Cargo.toml` depends on (in
/// `[dependencies]`, by the workspace's crate names).
pub fn workspace_deps(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new("crates").join(krate).join("Cargo.toml"))
        .unwrap_or_default();
    let all = crates();
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps {
            let name = line.split(['=', '.', ' ']).next().unwrap_or("");
            if all.iter().any(|k| k == name) {
                deps.push(name.to_string());
            }
        }
    }
    deps
}

/// Whether Miri has something to check in `krate`: unsafe code of its own
/// or in a workspace crate it depends on (directly or not).
pub fn needs_miri(krate: &str) -> bool {
    let mut seen = Vec::new();
    let mut todo = vec![krate.to_string()];
    while let Some(k) = todo.pop() {
        if seen.contains(&k) {
            continue;
        }
        if !forbids_unsafe(&k) {
            return true;
        }
        todo.extend(workspace_deps(&k));
        seen.push(k);
    }
    false
}

/// Bytes of Rust source (code and tests) under `crates/<krate>`: a rough
/// measure of how long its test suite takes under Miri.
pub fn source_bytes(krate: &str) -> u64 {
    fn walk(dir: &Path) -> u64 {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| {
                let path = e.path();
                match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&path),
                    Ok(_) if path.extension().is_some_and(|x| x == "rs") => {
                        e.metadata().map_or(0, |m| m.len())
                    }
                    _ => 0,
                }
            })
            .sum()
    }
    walk(&Path::new("crates").join(krate))
}

/// The feature names declared in `crates/<krate>/Cargo.toml`.
fn feature_names(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new("crates").join(krate).join("Cargo.toml"))
        .unwrap_or_default();
    let mut in_features = false;
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                names.push(name.trim().to_string());
            }
        }
    }
    names
}

/// The opt-in features that also work without `std` (their definition in
/// `crates/<krate>/Cargo.toml` does not turn `std` on): the ones the thumb
/// `alloc` builds add. A std-only feature (gosched's `net`) is tested on the
/// host only.
pub fn embedded_opt_in_features(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new("crates").join(krate).join("Cargo.toml"))
        .unwrap_or_default();
    let mut in_features = false;
    let mut defs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features && !line.starts_with('#') {
            if let Some((name, value)) = line.split_once('=') {
                defs.push((name.trim().to_string(), value.to_string()));
            }
        }
    }
    // `std`, and every feature that turns on a std-only one (to a fixpoint:
    // `tokio-io` turns on `net`, which turns on `std`).
    let mut std_only = vec!["std".to_string()];
    loop {
        let more: Vec<String> = defs
            .iter()
            .filter(|(name, value)| {
                !std_only.contains(name)
                    && std_only.iter().any(|f| value.contains(&format!("\"{f}\"")))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        std_only.extend(more);
    }
    opt_in_features(krate)
        .into_iter()
        .filter(|f| !std_only.contains(f))
        .collect()
}

/// Whether `crates/<krate>/Cargo.toml` declares a feature named `feature`.
pub fn has_feature(krate: &str, feature: &str) -> bool {
    feature_names(krate).iter().any(|f| f == feature)
}

/// The fuzz targets declared in `fuzz/Cargo.toml` (`[[bin]] name = "..."`).
pub fn fuzz_targets() -> Vec<String> {
    let text = std::fs::read_to_string("fuzz/Cargo.toml").unwrap_or_default();
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(v) = line
                .strip_prefix("name")
                .map(str::trim)
                .and_then(|r| r.strip_prefix('='))
            {
                names.push(v.trim().trim_matches('"').to_string());
            }
        }
    }
    names
}

/// The `rust-version` a crate declares: its own, or the workspace's when it
/// inherits it (`rust-version.workspace = true`).
pub fn rust_version(krate: &str) -> Option<String> {
    fn field(text: &str) -> Option<String> {
        text.lines()
            .map(str::trim)
            .find_map(|l| {
                l.strip_prefix("rust-version")
                    .map(str::trim)
                    .and_then(|r| r.strip_prefix('='))
            })
            .map(|v| v.trim().trim_matches('"').to_string())
    }
    let own = std::fs::read_to_string(Path::new("crates").join(krate).join("Cargo.toml")).ok()?;
    if own
        .lines()
        .any(|l| l.trim() == "rust-version.workspace = true")
    {
        return field(&std::fs::read_to_string("Cargo.toml").ok()?);
    }
    field(&own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_declared_and_inherited_rust_versions() {
        std::env::set_current_dir(root()).unwrap();
        assert_eq!(rust_version("gocore").as_deref(), Some("1.81"));
        assert_eq!(rust_version("gochan").as_deref(), Some("1.86"));
        assert!(crates().contains(&"gomap".to_string()));
        assert!(fuzz_targets().contains(&"gocore_ops".to_string()));
        assert_eq!(test_targets("gocore", "loom_"), ["loom_park"]);
        assert!(has_feature("gocore", "portable-atomic-critical-section"));
        assert!(forbids_unsafe("golayout") && !needs_miri("golayout"));
        assert!(examples("gomap").contains(&"word_count".to_string()));
        assert!(forbids_unsafe("gocontext") && needs_miri("gocontext"));
        assert!(source_bytes("gomap") > source_bytes("gocore"));
        assert_eq!(source_bytes("no-such-crate"), 0);
        assert!(workspace_deps("gocontext").contains(&"gochan".to_string()));
    }
}
