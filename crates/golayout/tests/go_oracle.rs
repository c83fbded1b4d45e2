//! Differential test against the real Go 1.19 compiler.
//!
//! Always: every golden file under `tests/golden/` (written by
//! `go-oracle/golayout`, which builds random structs with Go 1.19 for each
//! GOARCH and records `unsafe.Sizeof`, `Alignof` and `Offsetof`) is parsed
//! with golayout's own parser, resolved and laid out; every value must match.
//!
//! With `GORT_GO` naming a Go 1.19 binary (`cargo xtask ci` sets it), the test
//! also generates fresh random cases with a new seed and compares them live on
//! 386 and amd64 (native) and arm and arm64 (qemu-user). Missing qemu is a
//! failure, not a skip.
#![cfg(feature = "alloc")]

use std::path::Path;
use std::process::Command;

use golayout::{Arch, Program};

struct Golden {
    source: String,
    arches: Vec<(Arch, Vec<String>)>,
}

fn parse_golden(text: &str) -> Golden {
    let mut source = String::new();
    let mut arches: Vec<(Arch, Vec<String>)> = Vec::new();
    let mut section = "";
    for line in text.lines() {
        if let Some(s) = line.strip_prefix("-- ").and_then(|l| l.strip_suffix(" --")) {
            if s == "source" || s == "end" {
                section = s;
            } else if let Some(a) = s.strip_prefix("arch ") {
                section = "arch";
                arches.push((
                    Arch::from_name(a).unwrap_or_else(|| panic!("unknown arch {a}")),
                    Vec::new(),
                ));
            }
            continue;
        }
        match section {
            "source" => {
                source.push_str(line);
                source.push('\n');
            }
            "arch" => arches.last_mut().unwrap().1.push(line.to_string()),
            _ => {}
        }
    }
    assert!(
        !source.is_empty() && !arches.is_empty(),
        "malformed golden file"
    );
    Golden { source, arches }
}

/// Compares every line; returns (values compared, mismatches).
fn compare(g: &Golden) -> (usize, Vec<String>) {
    let mut prog = Program::with_stdlib();
    let pkg = prog
        .add_source("main", "types.go", &g.source)
        .unwrap_or_else(|e| panic!("types.go:{e}"));
    let mut checked = 0;
    let mut bad = Vec::new();
    for (arch, lines) in &g.arches {
        let arch = *arch;
        let mut r = prog.resolver(arch);
        for line in lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let nums: Vec<u64> = parts[1..].iter().map(|n| n.parse().unwrap()).collect();
            let (ty, field) = match parts[0].split_once('.') {
                Some((t, f)) => (t, Some(f)),
                None => (parts[0], None),
            };
            let t = match r.resolve(pkg, ty) {
                Ok(t) => t,
                Err(e) => {
                    bad.push(format!("{arch} {ty}: {e}"));
                    continue;
                }
            };
            let l = match golayout::layout(&t, arch) {
                Ok(l) => l,
                Err(e) => {
                    bad.push(format!("{arch} {ty}: {e}"));
                    continue;
                }
            };
            let ours: Vec<u64> = match field {
                None => vec![l.info.size, l.info.align],
                Some(f) => match l.fields.iter().find(|x| x.name == f) {
                    Some(x) => vec![x.offset, x.info.size, x.info.align],
                    None => {
                        bad.push(format!("{arch} {ty}.{f}: no such field in {t}"));
                        continue;
                    }
                },
            };
            checked += nums.len();
            if ours != nums {
                bad.push(format!(
                    "{arch} {}: go {nums:?}, golayout {ours:?}",
                    parts[0]
                ));
            }
        }
    }
    (checked, bad)
}

#[cfg(not(miri))]
fn golden_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The golden files, embedded so the comparison also runs under Miri (no file system there).
const GOLDEN: &[(&str, &str)] = &[
    (
        "random_seed1_all_arches.txt",
        include_str!("golden/random_seed1_all_arches.txt"),
    ),
    ("random_seed2.txt", include_str!("golden/random_seed2.txt")),
];

#[test]
#[cfg(not(miri))] // Miri has no file system; the embedded list is checked natively.
fn every_golden_file_is_embedded() {
    let mut on_disk: Vec<String> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = GOLDEN.iter().map(|g| g.0.to_string()).collect();
    assert_eq!(
        on_disk, embedded,
        "add new golden files to GOLDEN in tests/go_oracle.rs"
    );
}

/// Under Miri (~1000x slower) only the fixed probes, which come before the
/// random types, on the first two arches, 60 lines each; cut before parsing.
fn miri_cut(text: &str) -> String {
    let src_end = text.find("\n// T0 is random").map_or(text.len(), |i| i + 1);
    let mut out = String::from(&text[..src_end]);
    let mut rest = &text[src_end..];
    for _ in 0..2 {
        let Some(a) = rest.find("-- arch ") else {
            break;
        };
        let section = &rest[a..];
        let mut end = 0;
        for (n, line) in section.split_inclusive('\n').enumerate() {
            if n > 60 {
                break;
            }
            end += line.len();
        }
        out.push_str(&section[..end]);
        rest = &section[end..];
    }
    out.push_str("-- end --\n");
    out
}

#[test]
fn golden_files_match_the_compiler() {
    let mut arches_seen = std::collections::BTreeSet::new();
    let mut total = 0;
    for (name, text) in GOLDEN {
        let g = if cfg!(miri) {
            parse_golden(&miri_cut(text))
        } else {
            parse_golden(text)
        };
        arches_seen.extend(g.arches.iter().map(|(a, _)| *a));
        let (checked, bad) = compare(&g);
        assert!(
            bad.is_empty(),
            "{name}: {} mismatches, first ones:\n{}",
            bad.len(),
            bad[..bad.len().min(30)].join("\n")
        );
        total += checked;
        if cfg!(miri) {
            break;
        }
    }
    if !cfg!(miri) {
        // The golden files cover every GOARCH and tens of thousands of values.
        assert_eq!(
            arches_seen.len(),
            Arch::ALL.len(),
            "arches covered: {arches_seen:?}"
        );
        assert!(total > 50_000, "only {total} values compared");
    } else {
        assert!(total > 100);
    }
}

#[test]
fn golden_parser_rejects_what_it_should() {
    let g = parse_golden("-- source --\npackage main\ntype T struct{ a int8; b int64 }\n-- arch 386 --\nT 12 4\nT.b 4 8 4\n-- arch amd64 --\nT 16 8\nT.b 8 8 8\n-- end --\n");
    assert_eq!(compare(&g), (10, vec![]));
    // A wrong golden value is reported, so the comparison can fail.
    let g = parse_golden("-- source --\npackage main\ntype T struct{ a int8; b int64 }\n-- arch 386 --\nT 16 8\n-- end --\n");
    assert_eq!(compare(&g).1.len(), 1);
    // The Miri cut is a valid golden file of its own.
    let (n, bad) = compare(&parse_golden(&miri_cut(GOLDEN[0].1)));
    assert!(bad.is_empty() && n > 100, "{n} {bad:?}");
}

/// Live comparison with fresh random structs, when `GORT_GO` is set.
#[test]
fn live_random_structs_match_the_compiler() {
    let Some(go) = std::env::var_os("GORT_GO") else {
        eprintln!("GORT_GO not set: live Go comparison not run (golden files were still compared)");
        return;
    };
    for q in ["qemu-arm", "qemu-aarch64"] {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(q).is_file()));
        assert!(found, "{q} not found: the live oracle runs arm/arm64 binaries under qemu-user; install it with `apt-get install -y qemu-user`");
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        % 1_000_000_007;
    let out = std::env::temp_dir().join(format!("golayout-live-{}-{seed}.txt", std::process::id()));
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../go-oracle/golayout");
    let t0 = std::time::Instant::now();
    let status = Command::new(&go)
        .args([
            "run",
            ".",
            "-seed",
            &seed.to_string(),
            "-n",
            "400",
            "-arches",
            "386,amd64,arm,arm64",
            "-out",
        ])
        .arg(&out)
        .env("GORT_GO", &go)
        .current_dir(&oracle)
        .output()
        .expect("cannot run GORT_GO");
    assert!(
        status.status.success(),
        "go-oracle/golayout failed (seed {seed}):\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let g = parse_golden(&text);
    let (checked, bad) = compare(&g);
    assert!(
        bad.is_empty(),
        "seed {seed}: {} mismatches (case kept at {}):\n{}",
        bad.len(),
        out.display(),
        bad[..bad.len().min(30)].join("\n")
    );
    let _ = std::fs::remove_file(&out);
    eprintln!(
        "live oracle: seed {seed}, {checked} values on 386/amd64/arm/arm64 match ({:.1}s)",
        t0.elapsed().as_secs_f64()
    );
    assert!(checked > 5_000);
}
