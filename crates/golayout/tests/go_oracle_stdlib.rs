//! The CLI over the whole Go 1.19 standard library source tree.
//!
//! Runs when `GORT_GO` names a Go 1.19 binary (`cargo xtask ci` sets it):
//! the tree is `$(GORT_GO env GOROOT)/src`, and its absence is then a failure.
//! Asserts no crash, no errors, and a sensible number of layouts; prints the
//! counts, the skip reasons and the time taken.
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
    let t0 = std::time::Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_golayout"))
        .args(["--stats", "--format", "json", "--arch", "amd64,386"])
        .arg(&src)
        .output()
        .unwrap();
    let took = t0.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(0),
        "golayout failed or crashed on the standard library:\n{err}"
    );
    let stats = err
        .lines()
        .find(|l| l.starts_with("golayout: "))
        .expect("no --stats line");
    eprintln!(
        "{stats}\n(wall time including process start: {:.2}s)",
        took.as_secs_f64()
    );
    let num_before = |word: &str| -> usize {
        let i = stats
            .find(word)
            .unwrap_or_else(|| panic!("no {word:?} in {stats}"));
        stats[..i]
            .split_whitespace()
            .last()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(num_before(" files") > 4000, "{stats}");
    assert!(num_before(" struct types") > 8000, "{stats}");
    assert!(num_before(" other types") > 2000, "{stats}");
    assert_eq!(num_before(" errors"), 0, "{stats}");
    assert!(stats.contains("generic type declarations"), "{stats}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("{\"types\":[{\"name\":"));
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
}
