//! golayout benches: reading Go source and laying out structs.
//!
//! Dimensions: workload (parse only; parse + resolve + layout + JSON for two
//! arches, i.e. the CLI on `std`; `--check std`, the CI shape; layout of
//! generated structs) × input (the Go 1.19 source tree at `$GOROOT/src`, or
//! 100k synthetic structs). Peers: Go 1.19's own `go/parser` on the same
//! files (parse only), and `go vet std` for the check (`benches/go/golayout`)
//! — no Rust crate computes Go layouts.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use golayout::{Arch, BasicKind, GoType};
use gort_benches::{Better, Suite};

fn go_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') || name == "testdata" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            go_files(&p, out);
        } else if name.ends_with(".go") {
            out.push(p);
        }
    }
}

fn best(reps: usize, mut f: impl FnMut()) -> Duration {
    let mut b = Duration::MAX;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        f();
        b = b.min(t.elapsed());
    }
    b
}

fn main() {
    let mut s = Suite::new("golayout");
    let goroot = std::env::var("GOROOT").unwrap_or_else(|_| "/usr/lib/go-1.19".into());
    let src = Path::new(&goroot).join("src");
    let reps = s.size(5, 2);
    if src.join("sync").is_dir() {
        let mut files = Vec::new();
        go_files(&src, &mut files);
        let texts: Vec<String> = files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .collect();
        let bytes: usize = texts.iter().map(String::len).sum();
        let t = best(reps, || {
            for t in &texts {
                let _ = black_box(golayout::parse::parse_file(t));
            }
        });
        s.record(
            "parse Go 1.19 stdlib (MB/s)",
            "golayout parse_file",
            bytes as f64 / t.as_secs_f64() / 1e6,
            "MB/s",
            Better::Higher,
        );

        let cli = |args: &[&str]| -> Vec<String> {
            args.iter()
                .map(|a| a.to_string())
                .chain(["--goroot".to_string(), goroot.clone(), "std".to_string()])
                .collect()
        };
        let args = cli(&["--format", "json", "--arch", "amd64,386"]);
        let t = best(reps, || {
            let mut out = std::io::sink();
            let mut err = std::io::sink();
            assert_eq!(golayout::cli::run(&args, &mut out, &mut err), 0);
        });
        s.record(
            "CLI on Go 1.19 stdlib, amd64+386 (s)",
            "golayout cli",
            t.as_secs_f64(),
            "s",
            Better::Lower,
        );
        // The CI shape: lint every standard-library package. Go's row runs
        // `go vet std` (benches/go/golayout) over the same packages.
        let args = cli(&["--check", "--arch", "amd64"]);
        let t = best(reps, || {
            let mut out = std::io::sink();
            let mut err = std::io::sink();
            black_box(golayout::cli::run(&args, &mut out, &mut err));
        });
        s.record(
            "check std, amd64 (s)",
            "golayout --check std",
            t.as_secs_f64(),
            "s",
            Better::Lower,
        );
    } else {
        eprintln!(
            "golayout bench: {} missing; stdlib groups skipped",
            src.display()
        );
    }

    // Layout of generated structs: 8 fields each, mixed kinds, on amd64 and 386.
    let n = s.size(100_000, 10_000);
    let kinds = [
        GoType::Basic(BasicKind::Int8),
        GoType::Basic(BasicKind::Int64),
        GoType::Basic(BasicKind::String),
        GoType::Basic(BasicKind::Int16),
        GoType::Slice(Box::new(GoType::Basic(BasicKind::Uint8))),
        GoType::Struct(Default::default()),
        GoType::Array(3, Box::new(GoType::Basic(BasicKind::Int32))),
        GoType::Basic(BasicKind::Complex128),
    ];
    let structs: Vec<golayout::Struct> = (0..n)
        .map(|i| {
            let GoType::Struct(st) = GoType::struct_of(
                (0..8).map(|j| ("f", kinds[(i * 7 + j * 3) % kinds.len()].clone())),
            ) else {
                unreachable!()
            };
            st
        })
        .collect();
    s.throughput(
        "analyze 8-field structs (Mstructs/s)",
        "golayout analyze",
        (2 * n) as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0u64;
            for st in &structs {
                for arch in [Arch::Amd64, Arch::I386] {
                    acc += golayout::analyze(st, arch).map_or(0, |r| r.saving());
                }
            }
            acc
        },
    );
    s.finish();
}
