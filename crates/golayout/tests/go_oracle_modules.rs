//! Loading like the go command: a small module tree with an internal
//! package, a test file, `testdata`, a nested module, a `replace`d module, a
//! module-cache dependency and (in a second module) `vendor/`.
//!
//! golayout's own expectations always run. When `GORT_GO` names a Go 1.19
//! binary (`cargo xtask ci` sets it), `go list` is the oracle for which
//! packages a pattern names and which files each package has.
#![cfg(feature = "std")] // needs the binary
#![cfg(not(miri))] // spawns processes

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Tree(PathBuf);

impl Tree {
    fn new(name: &str) -> Tree {
        let d = std::env::temp_dir().join(format!("golayout-mod-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tree(d)
    }
    fn file(&self, rel: &str, src: &str) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, src).unwrap();
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs golayout in `dir` with a module cache and no GOROOT hints but `--goroot`.
fn golayout(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_golayout"))
        .args(args)
        .current_dir(dir)
        .env("GOMODCACHE", cache)
        .env_remove("GOROOT")
        .env("PATH", "")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `"package"` and `"file"` values of every type in golayout's JSON.
fn packages_and_files(json: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let field = |key: &str| -> BTreeSet<String> {
        json.split(&format!("\"{key}\":\""))
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(String::from)
            .collect()
    };
    let files = field("file")
        .into_iter()
        .map(|f| {
            Path::new(&f)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    (field("package"), files)
}

/// `go list` in `dir`: each package's import path and its Go files.
fn go_list(
    go: &str,
    dir: &Path,
    cache: &Path,
    flags: &[&str],
    pattern: &str,
) -> Vec<(String, Vec<String>)> {
    let o = Command::new(go)
        .args(["list", "-e"])
        .args(flags)
        .args([
            "-f",
            "{{.ImportPath}} {{join .GoFiles \" \"}} {{join .TestGoFiles \" \"}}",
            pattern,
        ])
        .current_dir(dir)
        .env("GOMODCACHE", cache)
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOWORK", "off")
        .output()
        .unwrap();
    text(&o.stdout)
        .lines()
        .map(|l| {
            let mut words = l.split_whitespace().map(String::from);
            let path = words.next().unwrap_or_default();
            (path, words.collect())
        })
        .collect()
}

fn build_app(t: &Tree) {
    t.file(
        "app/go.mod",
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/dep v1.2.0\n\texample.com/local v0.0.0\n)\n\nreplace example.com/local => ../local\n",
    );
    t.file(
        "app/main.go",
        "package main\n\nimport (\n\t\"example.com/app/internal/x\"\n\t\"example.com/dep/d\"\n\t\"example.com/local/l\"\n)\n\ntype T struct {\n\tflag bool\n\tx    x.X\n\td    d.D\n\tl    l.L\n}\n\nfunc main() {}\n",
    );
    t.file(
        "app/internal/x/x.go",
        "package x\n\ntype X struct {\n\tA int8\n\tB int64\n}\n",
    );
    t.file(
        "app/main_test.go",
        "package main\n\ntype TestOnly struct{ a, b int8 }\n",
    );
    t.file(
        "app/testdata/skip.go",
        "package skip\n\ntype Skipped struct{}\n",
    );
    t.file("app/_hidden/h.go", "package h\n\ntype Hidden struct{}\n");
    t.file("app/nested/go.mod", "module example.com/nested\n");
    t.file(
        "app/nested/n.go",
        "package nested\n\ntype Nested struct{}\n",
    );
    // The module cache: escaped path, @version.
    t.file(
        "cache/example.com/dep@v1.2.0/d/d.go",
        "package d\n\ntype D struct {\n\tA, B int32\n\tC    *int\n}\n",
    );
    t.file(
        "cache/example.com/dep@v1.2.0/go.mod",
        "module example.com/dep\n",
    );
    // The replacement, a directory next to the module.
    t.file("local/go.mod", "module example.com/local\n");
    t.file("local/l/l.go", "package l\n\ntype L [3]int16\n");
}

#[test]
fn a_module_tree_loads_like_the_go_command() {
    let t = Tree::new("app");
    build_app(&t);
    let (app, cache) = (t.path("app"), t.path("cache"));
    let o = golayout(
        &app,
        &cache,
        &["--format", "json", "--arch", "amd64", "./..."],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "", "no warnings expected");
    let json = text(&o.stdout);
    // T = flag(1) + pad(7) + X(16) + D(16) + L(6) + pad(2) = 48 on amd64.
    assert!(
        json.contains(r#"{"name":"T","arch":"amd64","kind":"struct","size":48,"align":8"#),
        "{json}"
    );
    let (pkgs, files) = packages_and_files(&json);
    let want: BTreeSet<String> = ["example.com/app", "example.com/app/internal/x"]
        .map(String::from)
        .into();
    assert_eq!(pkgs, want, "./... names the module's packages only");
    assert_eq!(files, ["main.go", "x.go"].map(String::from).into());

    // --tests adds the test files, as `go vet` reads them.
    let o = golayout(
        &app,
        &cache,
        &["--format", "json", "--arch", "amd64", "--tests", "."],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(r#""name":"TestOnly""#));

    // An import path as the pattern, from inside the module.
    let o = golayout(&app, &cache, &["--format", "json", "example.com/dep/d"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(r#"{"name":"D","arch":"amd64","kind":"struct","size":16"#));

    if let Some(go) = std::env::var_os("GORT_GO") {
        let go = go.to_string_lossy().into_owned();
        let listed = go_list(&go, &app, &cache, &["-mod=mod"], "./...");
        let paths: BTreeSet<String> = listed.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(paths, want, "go list ./... disagrees: {listed:?}");
        let go_files: BTreeSet<String> = listed
            .iter()
            .flat_map(|(_, f)| f.iter().filter(|f| !f.ends_with("_test.go")).cloned())
            .collect();
        assert_eq!(go_files, files, "go list's GoFiles disagree: {listed:?}");
    }
}

#[test]
fn a_vendored_module_reads_vendor() {
    let t = Tree::new("vend");
    t.file(
        "m/go.mod",
        "module example.com/m\n\ngo 1.19\n\nrequire example.com/v v1.0.0\n",
    );
    t.file(
        "m/vendor/modules.txt",
        "# example.com/v v1.0.0\n## explicit\nexample.com/v/w\n",
    );
    t.file(
        "m/vendor/example.com/v/w/w.go",
        "package w\n\ntype W struct {\n\tA int8\n\tB int32\n}\n",
    );
    t.file(
        "m/m.go",
        "package m\n\nimport \"example.com/v/w\"\n\ntype M struct {\n\tw w.W\n\tn int8\n}\n",
    );
    let (m, cache) = (t.path("m"), t.path("no-cache"));
    let o = golayout(
        &m,
        &cache,
        &["--format", "json", "--arch", "amd64", "./..."],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json = text(&o.stdout);
    assert!(
        json.contains(r#"{"name":"M","arch":"amd64","kind":"struct","size":12,"align":4"#),
        "{json}"
    );
    let (pkgs, _) = packages_and_files(&json);
    assert_eq!(pkgs, ["example.com/m".to_string()].into());
    if let Some(go) = std::env::var_os("GORT_GO") {
        let listed = go_list(&go.to_string_lossy(), &m, &cache, &["-mod=vendor"], "./...");
        let paths: BTreeSet<String> = listed.into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, pkgs, "go list ./... disagrees");
    }
}

#[test]
fn missing_modules_are_one_warning_and_empty_patterns_are_errors() {
    let t = Tree::new("missing");
    t.file(
        "m/go.mod",
        "module example.com/m\n\ngo 1.19\n\nrequire example.com/gone v1.0.0\n",
    );
    t.file(
        "m/a.go",
        "package m\n\nimport \"example.com/gone/g\"\n\ntype A struct{ g g.G }\n\ntype B struct{ g *g.G; h [2]g.G }\n",
    );
    t.file(
        "m/sub/b.go",
        "package sub\n\nimport \"example.com/gone/g\"\n\ntype C struct{ g g.G }\n",
    );
    t.file("m/empty/README", "no Go here\n");
    let (m, cache) = (t.path("m"), t.path("cache"));
    let o = golayout(&m, &cache, &["--check", "./..."]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stderr),
        "golayout: warning: cannot find package \"example.com/gone/g\" (imported by example.com/m, example.com/m/sub); types that need it are skipped\n"
    );
    // A directory without Go files, a pattern matching nothing: errors, exit 2.
    let o = golayout(&m, &cache, &["./empty"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no Go files in"),
        "{}",
        text(&o.stderr)
    );
    let o = golayout(&m, &cache, &["./empty/..."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("pattern ./empty/...: matched no packages"),
        "{}",
        text(&o.stderr)
    );
    // The standard library without any way to find it names the three ways.
    let o = golayout(&m, &cache, &["net/http"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("pass --goroot DIR, set $GOROOT, or put a `go` binary on PATH"),
        "{}",
        text(&o.stderr)
    );
}
