//! golayout against gofmt: syntax errors are reported where `gofmt -e`
//! reports them, and `--optimize`'s suggested structs are Go source that
//! gofmt leaves unchanged.
//!
//! The expected positions were recorded from Go 1.19's gofmt; when
//! `GORT_GO` names a Go 1.19 binary (`cargo xtask ci` sets it), the test
//! also runs that installation's `gofmt` live on every case.
#![cfg(feature = "std")] // needs the binary
#![cfg(not(miri))] // spawns processes

use std::path::{Path, PathBuf};
use std::process::Command;

/// Broken files and the `line:col` of gofmt's first error.
const BROKEN: &[(&str, &str)] = &[
    (
        "package x\n\ntype T struct {\n\ta int\n\tb [3 int\n}\n",
        "5:7",
    ),
    ("package x\nfunc f() {\n", "2:12"),
    ("package x\ntype T struct {\n\ta map[string\n}\n", "3:14"),
    ("package x\nconst X = \n", "2:12"),
    ("package x\nimport \"fmt\n", "2:8"),
    ("packag x\n", "1:1"),
    ("package x\ntype T interface { M( }\n", "2:23"),
    ("package x\ntype T struct { a int `tag }\n", "2:23"),
    ("package x\nfunc (t *T) M() { if x { }\n", "2:28"),
    ("package x\ntype T [N int\n", "2:14"),
    ("package x\nfunc f(a int\n) {}\n", "2:13"),
    ("package x\nvar v = f(1,\n2\n)\n", "3:2"),
    (
        "package x\ntype T struct {\n\ta, b int\n\tc\n\td int int\n}\n",
        "5:8",
    ),
    ("package x\ntype T struct {\n", "2:17"),
    ("package x\ntype T map[string]\n", "2:19"),
    ("package x\ntype = int\n", "2:6"),
    ("package x\nimport (\n\t\"a\"\n\t\"b\n)\n", "4:2"),
    ("package x\ntype T chan<-\n", "2:15"),
    ("package x\nconst c = 'ab'\n", "2:11"),
    (
        "package x\n\nfunc main() {\n\tx := []int{1, 2}\n\tfor i := range x {\n\t}\n",
        "6:4",
    ),
];

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("golayout-gofmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `file:line:col` of the first diagnostic line of `stderr`, as `line:col`.
fn first_position(stderr: &str, file: &Path) -> String {
    let prefix = format!("{}:", file.display());
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no diagnostic for {}: {stderr}", file.display()));
    let rest = &line[prefix.len()..];
    let mut parts = rest.splitn(3, ':');
    format!("{}:{}", parts.next().unwrap(), parts.next().unwrap())
}

fn gofmt() -> Option<PathBuf> {
    let go = std::env::var_os("GORT_GO")?;
    Some(Path::new(&go).with_file_name("gofmt"))
}

#[test]
fn syntax_errors_are_where_gofmt_reports_them() {
    let d = dir("errors");
    for (k, (src, want)) in BROKEN.iter().enumerate() {
        let f = d.join(format!("case{k}.go"));
        std::fs::write(&f, src).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_golayout"))
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "case {k}: {src:?}");
        let ours = first_position(&String::from_utf8_lossy(&o.stderr), &f);
        assert_eq!(&ours, want, "case {k}: {src:?}");
        if let Some(gofmt) = gofmt() {
            let g = Command::new(&gofmt)
                .arg("-e")
                .arg("-l")
                .arg(&f)
                .output()
                .unwrap();
            let theirs = first_position(&String::from_utf8_lossy(&g.stderr), &f);
            assert_eq!(ours, theirs, "case {k} against live gofmt: {src:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn suggested_structs_are_gofmt_clean() {
    let d = dir("optimize");
    let src = "package p\n\nimport \"sync\"\n\ntype Conn struct {\n\t// Whether the connection is open.\n\topen bool `json:\"open\"`\n\tsync.Mutex\n\tid, seq uint64 // ids\n\tname    string\n\tflag    bool\n\tbuf     []byte `json:\"-\"` // scratch\n}\n";
    let f = d.join("conn.go");
    std::fs::write(&f, src).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_golayout"))
        .args(["--optimize", "--arch", "amd64"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let start = out
        .find("\ntype Conn struct {\n")
        .expect("suggested source")
        + 1;
    let end = start + out[start..].find("\n}\n").unwrap() + 3;
    let suggested = &out[start..end];
    // Pointer-holding fields first, doc comments, tags and line comments
    // kept, the multi-name `id, seq` split, columns aligned as gofmt does.
    assert_eq!(
        suggested,
        "type Conn struct {\n\tname string\n\tbuf  []byte `json:\"-\"` // scratch\n\tid   uint64 // ids\n\tseq  uint64\n\tsync.Mutex\n\t// Whether the connection is open.\n\topen bool `json:\"open\"`\n\tflag bool\n}\n"
    );
    if let Some(gofmt) = gofmt() {
        let g = d.join("suggested.go");
        std::fs::write(&g, format!("package p\n\nimport \"sync\"\n\n{suggested}")).unwrap();
        let o = Command::new(&gofmt).arg("-l").arg(&g).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "",
            "gofmt would change:\n{suggested}"
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}
