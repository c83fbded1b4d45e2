//! The `golayout` binary: output formats, exit statuses, error positions.
#![cfg(feature = "std")] // needs the binary
#![cfg(not(miri))] // spawns processes

use std::path::PathBuf;
use std::process::{Command, Output};

struct Tmp(PathBuf);

impl Tmp {
    fn new(name: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("golayout-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
    fn file(&self, rel: &str, src: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, src).unwrap();
        p
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn golayout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_golayout"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const SEED: &str = r#"package seed

import "sync"

type (
	// demo1 is the seed's well-ordered struct.
	demo1 struct {
		a int8
		b int16
		c int32
	}
	demo2 struct {
		a int8
		c int32 `json:"c"`
		b int16
	}
)

type demo3 struct {
	c int32
	a struct{}
}

type Embeds struct {
	sync.Mutex
	*demo1
	n int64
}
"#;

#[test]
fn json_matches_the_documented_shape() {
    let t = Tmp::new("json");
    let f = t.file(
        "seed.go",
        "package p\ntype T struct{ a int8; b int64; c int8 }\n",
    );
    let o = golayout(&["--format", "json", "--arch", "386", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    assert!(
        s.starts_with(r#"{"schema_version":2,"types":[{"name":"T","arch":"386","kind":"struct","size":16,"align":4,"fields":[{"name":"a","type":"int8","offset":0,"size":1,"align":1},{"name":"b","type":"int64","offset":4,"size":8,"align":4},{"name":"c","type":"int8","offset":12,"size":1,"align":1}]"#),
        "{s}"
    );
    assert!(
        s.contains(r#""ptrdata":0,"file":"#)
            && s.contains(r#"seed.go","line":2,"col":6,"padding""#),
        "{s}"
    );
    // Findings carry the position fieldalignment reports (the struct keyword).
    assert!(
        s.contains(r#"seed.go","line":2,"col":8,"package":"command-line-arguments","type":"T","message":"struct of size 16 could be 12","arches":["386"]}]"#),
        "{s}"
    );
    assert!(s.trim_end().ends_with("]}"));
}

#[test]
fn text_draws_byte_maps_per_arch_with_savings() {
    let t = Tmp::new("text");
    t.file("seed.go", SEED);
    let o = golayout(&[t.0.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    assert!(
        s.contains("type seed.demo2 struct [amd64]: size 12, align 4, 5 byte(s) of padding"),
        "{s}"
    );
    assert!(s.contains("   0 │A···BBBB│\n   8 │CC··    │"), "{s}");
    assert!(
        s.contains(
            "--optimize: 8 bytes (saves 4), 0 pointer bytes (GC scans 0 fewer) with order c, b, a"
        ),
        "{s}"
    );
    assert!(s.contains("type seed.demo3 struct [386]: size 8, align 4"));
    // Embedded fields are named by their type.
    assert!(s.contains("A Mutex ") && s.contains("B demo1 "), "{s}");
    // 386 is the second default arch: Embeds.n lands at 12 there (int64 is 4-aligned).
    assert!(
        s.contains("type seed.Embeds struct [386]: size 20, align 4"),
        "{s}"
    );
    let o = golayout(&["--optimize", "--arch", "amd64", t.0.to_str().unwrap()]);
    let s = text(&o.stdout);
    // Go source to paste back, tag kept, as gofmt prints it.
    assert!(
        s.contains("suggested:")
            && s.contains(
                "\ntype demo2 struct {\n\tc int32 `json:\"c\"`\n\tb int16\n\ta int8\n}\n"
            ),
        "{s}"
    );
}

#[test]
fn check_exits_1_for_wasted_bytes_and_misaligned_atomics() {
    let t = Tmp::new("check");
    let good = t.file(
        "good/g.go",
        "package g\ntype T struct{ c int32; b int16; a int8 }\n",
    );
    let o = golayout(&["--check", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    let bad = t.file(
        "bad/b.go",
        "package b\ntype T struct{ a int8; c int32; b int16 }\n",
    );
    let o = golayout(&["--check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    // fieldalignment's wording and position (the `struct` keyword), once
    // for every arch it applies to.
    assert!(
        text(&o.stderr).contains("b.go:2:8: struct of size 12 could be 8 (amd64, 386)\n"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(text(&o.stderr).lines().count(), 1, "{}", text(&o.stderr));
    // Same size either way, but hits is used with 64-bit atomics and 4-aligned on 386.
    let at = t.file(
        "at/a.go",
        "package a\nimport \"sync/atomic\"\ntype C struct{ flag int32; hits uint64; x int32 }\nfunc (c *C) inc() { atomic.AddUint64(&c.hits, 1) }\n",
    );
    let o = golayout(&["--check", "--arch", "amd64", at.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "amd64 wastes bytes: {}",
        text(&o.stderr)
    );
    let o = golayout(&["--check", "--arch", "386", at.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("a.go:3:8: field C.hits at offset 4 is not 8-aligned; 64-bit atomic operations on it panic (use atomic.Int64/Uint64 or move it first) (386)"),
        "{}",
        text(&o.stderr)
    );
    let fixed = t.file(
        "fx/a.go",
        "package a\nimport \"sync/atomic\"\ntype C struct{ hits atomic.Uint64; flag int32 }\n",
    );
    let o = golayout(&["--check", "--arch", "386,arm", fixed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn malformed_input_gets_file_line_col_and_exit_2() {
    let t = Tmp::new("bad");
    let f = t.file(
        "x.go",
        "package x\n\ntype T struct {\n\ta int\n\tb [3 int\n}\n",
    );
    let o = golayout(&[f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.starts_with(&format!("{}:5:7: expected ']'", f.display())),
        "{e}"
    );
    let f = t.file(
        "y.go",
        "package y\ntype T struct{ x Undefined; m sync.Mutex }\n",
    );
    let o = golayout(&[f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("y.go:2:18: cannot resolve type Undefined (in type T)"),
        "{}",
        text(&o.stderr)
    );
    let f = t.file(
        "z.go",
        "package z\nimport \"example.com/nope\"\ntype T struct{ x nope.Thing }\n",
    );
    // A package that cannot be found is one warning, not an error per use.
    let o = golayout(&["--check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stderr),
        "golayout: warning: cannot find package \"example.com/nope\" (imported by command-line-arguments); types that need it are skipped\n"
    );
    let f = t.file("bin.go", "package \u{0}\n");
    assert_eq!(golayout(&[f.to_str().unwrap()]).status.code(), Some(2));
}

/// Invalid UTF-8 is reported where `gofmt -e` (Go 1.19's scanner) reports
/// it, "illegal UTF-8 encoding" at the bad byte's line and byte column, in
/// code, comments and string literals alike (measured: `2:18`, `3:4`,
/// `3:13` below); it was always `1:1`.
#[test]
fn invalid_utf8_is_reported_at_the_bad_byte() {
    let t = Tmp::new("utf8");
    for (name, src, at) in [
        (
            "a.go",
            &b"package x\ntype V struct{ c \xff int }\n"[..],
            "2:18",
        ),
        (
            "b.go",
            b"package x\ntype W struct{ c int }\n// \xff comment\n",
            "3:4",
        ),
        (
            "c.go",
            b"package x\ntype W struct{ c string }\nconst s = \"a\xffb\"\n",
            "3:13",
        ),
        ("d.go", b"\xfe", "1:1"),
    ] {
        let p = t.0.join(name);
        std::fs::write(&p, src).unwrap();
        let o = golayout(&[p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            text(&o.stderr),
            format!("{}:{at}: illegal UTF-8 encoding\n", p.display())
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["--arch", "vax", "x.go"],
        &["--format", "yaml", "x.go"],
        &["--frobnicate", "x.go"],
        &["--arch"],
        &["--check=yes", "x.go"],
    ] {
        let o = golayout(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("usage: golayout"));
    }
    assert_eq!(golayout(&["--help"]).status.code(), Some(0));
    let o = golayout(&["/nonexistent/golayout/path"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("directory not found"),
        "{}",
        text(&o.stderr)
    );
    let o = golayout(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stdout).starts_with("golayout 0."),
        "{}",
        text(&o.stdout)
    );
    let help = text(&golayout(&["--help"]).stdout);
    assert!(help.contains("exit status: 0 clean, 1 findings under --check, 2 usage or load errors"));
    assert!(help.contains("./..."));
}

#[test]
fn real_go_features_parse_and_resolve() {
    let t = Tmp::new("features");
    t.file("go.mod", "module example.com/m\n\ngo 1.19\n");
    t.file(
        "inner/inner.go",
        "package inner\n\nconst Size = 1 << 3\n\ntype Pair struct{ A, B int32 }\n",
    );
    t.file(
        "main.go",
        r#"// Package m uses everything.
package m

import (
	"example.com/m/inner"
	tm "time"
)

const (
	_ = iota
	one
	two
	four = two * 2
)

/* A block comment
   spanning lines. */
type (
	Arr [four + inner.Size]byte
	Nested struct {
		p inner.Pair
		n struct {
			x int16
			y struct{ z int64 }
		}
		d tm.Duration
		f func(a, b int) (string, error)
		ch <-chan struct{}
	}
	List[T any] struct{ next *List[T]; v T }
	UsesList struct{ l List[int8] }
	Alias = Nested
)
"#,
    );
    let o = golayout(&["--format", "json", "--arch", "386", t.0.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    assert!(
        s.contains(r#"{"name":"Arr","arch":"386","kind":"array","size":12,"align":1,"fields":[]"#),
        "{s}"
    );
    assert!(
        s.contains(r#"{"name":"Nested","arch":"386","kind":"struct","size":36,"align":4"#),
        "{s}"
    );
    assert!(
        s.contains(r#"{"name":"p","type":"inner.Pair","offset":0,"size":8,"align":4}"#),
        "{s}"
    );
    assert!(
        s.contains(r#"{"name":"UsesList","arch":"386","kind":"struct","size":8,"align":4"#),
        "{s}"
    );
    assert!(s.contains(r#""skipped":[{"name":"List","package":"example.com/m","arch":"386","reason":"generic type List[T] has no layout without type arguments"}]"#), "{s}");
    assert!(
        s.contains(r#"{"name":"Alias","arch":"386","kind":"struct","size":36"#),
        "{s}"
    );
}

#[test]
fn atomic_check_follows_real_uses_only() {
    let t = Tmp::new("atomics");
    let f = t.file(
        "a.go",
        r#"package a

import "sync/atomic"

// Used with atomics through a method's receiver and a local variable.
type Counter struct {
	on   bool
	hits uint64
}

// Same field name, never used with atomics; its comment says atomic.
type Other struct {
	on   bool
	hits uint64 // updated atomically (not really)
}

type Server struct {
	name  string
	stats Counter
	n     atomic.Int64
}

func (c *Counter) inc() { atomic.AddUint64(&c.hits, 1) }

func serve() {
	s := &Server{}
	atomic.AddUint64(&s.stats.hits, 1)
}
"#,
    );
    let o = golayout(&["--check", "--arch", "386", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(
        e.contains("field Counter.hits at offset 4 is not 8-aligned"),
        "{e}"
    );
    assert!(
        e.contains("field Server.stats.hits at offset 12 is not 8-aligned"),
        "{e}"
    );
    assert!(
        !e.contains("Other"),
        "no name matching across types, no comments: {e}"
    );
    // atomic.Int64 is aligned by Go itself: reported as safe, never a finding.
    assert!(!e.contains("Server.n"), "{e}");
    let o = golayout(&["--arch", "386", f.to_str().unwrap()]);
    let s = text(&o.stdout);
    assert!(
        s.contains(
            "= n at offset 24 is an atomic.Int64/Uint64: Go aligns it to 8 on every arch (safe)"
        ),
        "{s}"
    );
}

/// Two fields of one name are a compile error in Go 1.19 ("a redeclared",
/// at the second one; an embedded field's name is its type's, `*G` too;
/// blank fields may repeat). Measured with `go build -gcflags=-e`:
/// `d.go:4:2: a redeclared`, `d.go:6:19: G redeclared`, `d.go:8:19: G
/// redeclared`. golayout laid such structs out and exited 0.
#[test]
fn duplicate_field_names_are_redeclared_errors() {
    let t = Tmp::new("dup");
    let f = t.file(
        "d.go",
        "package d\ntype D struct {\n\ta int\n\ta string\n}\ntype E struct{ G; G }\ntype G struct{}\ntype F struct{ G; *G }\ntype B struct{ _ int; _ string }\n",
    );
    let o = golayout(&["--arch", "amd64", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    for want in [
        "d.go:4:2: a redeclared (in type D)",
        "d.go:6:19: G redeclared (in type E)",
        "d.go:8:19: G redeclared (in type F)",
    ] {
        assert!(e.contains(want), "{want} not in {e}");
    }
    assert!(text(&o.stdout).contains("type d.B struct"));
}

#[test]
fn field_types_are_qualified_by_package_names() {
    // As Go prints types: by the name the package declares, not by its
    // path's last element (a major version `/v2`, a directory named
    // otherwise, or a file list's `command-line-arguments`).
    let t = Tmp::new("qualifier");
    t.file("go.mod", "module example.com/app/v2\n\ngo 1.19\n");
    t.file(
        "a.go",
        "package app\nimport \"example.com/app/v2/sub2\"\ntype B struct{ n int32 }\ntype T struct {\n\tb *B\n\to other.O\n\tp *other.O\n}\n",
    );
    t.file("sub2/o.go", "package other\ntype O struct{ x int64 }\n");
    let o = golayout(&["--arch", "amd64", t.0.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for want in ["type app.T struct", "*app.B", "other.O", "*other.O"] {
        assert!(out.contains(want), "{want} not in {out}");
    }
    for wrong in ["v2.", "sub2."] {
        assert!(!out.contains(wrong), "{wrong} in {out}");
    }

    let f = t.file(
        "list/l.go",
        "package l\ntype A struct{ b int8 }\ntype C struct{ a A; p *A }\n",
    );
    let o = golayout(&["--arch", "amd64", f.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert!(out.contains(" l.A ") && out.contains("*l.A"), "{out}");
    assert!(!out.contains("command-line-arguments"), "{out}");
}
