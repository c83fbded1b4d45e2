//! The CLI over the whole Go 1.19 source tree, named as the go command
//! names it: `std` (every standard-library package) and `cmd/...` (the
//! commands: a module of their own with a `vendor/` directory).
//!
//! Runs when `GORT_GO` names a Go 1.19 binary (`cargo xtask ci` sets it):
//! `GOROOT` is `$(GORT_GO env GOROOT)`, and a missing source tree is then a
//! failure. Asserts no crash, no errors, no missing import, and a sensible
//! number of layouts; prints the counts, the skip reasons and the time taken.
#![cfg(feature = "std")] // needs the binary
#![cfg(not(miri))] // spawns processes

use std::process::Command;

#[test]
fn whole_standard_library_lays_out_without_errors() {
    let Some(go) = std::env::var_os("GORT_GO") else {
        eprintln!("GORT_GO not set: standard-library scan not run");
        return;
    };
    let goroot = Command::new(&go)
        .args(["env", "GOROOT"])
        .output()
        .expect("cannot run GORT_GO");
    let src = std::path::PathBuf::from(String::from_utf8_lossy(&goroot.stdout).trim()).join("src");
    assert!(
        src.join("sync/waitgroup.go").is_file(),
        "Go source tree missing at {} (apt-get install -y golang-1.19-src)",
        src.display()
    );
    let goroot = src.parent().unwrap().to_str().unwrap().to_string();
    let run = |pattern: &str| {
        let t0 = std::time::Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_golayout"))
            .args([
                "--stats",
                "--format",
                "json",
                "--arch",
                "amd64,386",
                "--goroot",
            ])
            .args([goroot.as_str(), pattern])
            .output()
            .unwrap();
        let took = t0.elapsed();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            o.status.code(),
            Some(0),
            "golayout failed or crashed on {pattern}:\n{err}"
        );
        let stats = err
            .lines()
            .find(|l| l.starts_with("golayout: ") && !l.contains("warning"))
            .expect("no --stats line")
            .to_string();
        eprintln!(
            "{pattern}: {stats}\n(wall time including process start: {:.2}s)",
            took.as_secs_f64()
        );
        // Every import of the standard library is found.
        assert!(!err.contains("warning"), "{err}");
        (stats, String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let num_before = |stats: &str, word: &str| -> usize {
        let i = stats
            .find(word)
            .unwrap_or_else(|| panic!("no {word:?} in {stats}"));
        stats[..i]
            .split_whitespace()
            .last()
            .unwrap()
            .trim_start_matches('(')
            .trim_start_matches('+')
            .parse()
            .unwrap()
    };
    // `std`, as `go vet std` sees it: every package but cmd, no test files.
    let (stats, out) = run("std");
    assert!(num_before(&stats, " packages") > 250, "{stats}");
    assert!(num_before(&stats, " struct types") > 3500, "{stats}");
    assert!(num_before(&stats, " other types") > 1500, "{stats}");
    assert_eq!(num_before(&stats, " errors"), 0, "{stats}");
    assert!(stats.contains("generic type declarations"), "{stats}");
    assert!(out.starts_with("{\"schema_version\":2,\"types\":[{\"name\":"));
    // Spot checks against the spec's measured table.
    assert!(out.contains(r#"{"name":"WaitGroup","arch":"386","kind":"struct","size":12,"align":4"#));
    assert!(
        out.contains(r#"{"name":"WaitGroup","arch":"amd64","kind":"struct","size":16,"align":8"#)
    );
    assert!(out.contains(r#"{"name":"Int64","arch":"386","kind":"struct","size":8,"align":8"#));
    assert!(out.contains(r#"{"name":"hchan","arch":"386","kind":"struct","size":52,"align":4"#));
    assert!(out.contains(r#"{"name":"hmap","arch":"amd64","kind":"struct","size":48,"align":8"#));
    assert!(
        out.contains(r#"{"name":"cancelCtx","arch":"amd64","kind":"struct","size":64,"align":8"#)
    );
    // The commands: their own module, with its own vendor/ directory.
    // Every package golayout reports is one `go list std` names.
    let listed = Command::new(&go)
        .args(["list", "std"])
        .env("GOROOT", &goroot)
        .env("GOFLAGS", "")
        .output()
        .unwrap();
    let listed: std::collections::BTreeSet<String> = String::from_utf8_lossy(&listed.stdout)
        .split_whitespace()
        .map(String::from)
        .collect();
    assert!(listed.len() > 200, "go list std: {listed:?}");
    for pkg in out.split("\"package\":\"").skip(1) {
        let pkg = pkg.split('"').next().unwrap();
        assert!(listed.contains(pkg), "{pkg} is not in go list std");
    }
    let (stats, _) = run("cmd/...");
    assert!(num_before(&stats, " packages") > 150, "{stats}");
    assert_eq!(num_before(&stats, " errors"), 0, "{stats}");
}
