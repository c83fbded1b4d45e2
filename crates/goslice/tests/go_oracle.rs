//! Differential test against the real Go 1.19 toolchain: the capacities
//! `append` produces for many element sizes and append patterns.
//!
//! `golden/growth.txt` was printed by `go-oracle/goslice/main.go` under
//! go1.19.8 linux/amd64 (its first line says so; see main.go for the line
//! format and how to regenerate it). This test always replays every line
//! with our [`Slice`] (and with the pure [`grow::next_cap`] model) and
//! compares. When the environment variable `GORT_GO` names a `go` binary
//! (`cargo xtask ci` sets it to `/usr/lib/go-1.19/bin/go`), it also runs the
//! Go program live, requires its output to equal the golden file, and
//! replays the fresh output too; any failure to run Go fails the test.
//!
//! Under Miri only the element sizes 0 and 1 are replayed, with each
//! sequence cut short (see `budget` and `miri_subset`), to keep the run
//! within minutes; the full comparison runs natively.

use goslice::grow::{self, Policy};
use goslice::Slice;

const GOLDEN: &str = include_str!("golden/growth.txt");

/// An element of exactly `N` bytes (alignment 1, as Go's `[N]byte`).
#[derive(Clone)]
struct E<const N: usize>([u8; N]);

impl<const N: usize> Default for E<N> {
    fn default() -> Self {
        E([0; N])
    }
}

/// Largest length a replayed sequence reaches under Miri.
fn budget() -> usize {
    if cfg!(miri) {
        100
    } else {
        usize::MAX
    }
}

/// Replays one golden line with `Slice<E<N>>`; returns the text after ':'
/// (truncated consistently with `budget`) and the expected text, truncated
/// the same way.
fn replay<const N: usize>(head: &[&str], expected: &str) -> (String, String) {
    let p: Vec<usize> = head[2..].iter().map(|x| x.parse().unwrap()).collect();
    let mut got = Vec::<String>::new();
    let mut want: Vec<String> = expected.split_whitespace().map(str::to_string).collect();
    let b = budget();
    let el = E::<N>::default;
    match head[1] {
        "one" => {
            let n = p[0].min(b);
            let mut s = Slice::<E<N>>::nil();
            let mut last = usize::MAX;
            while s.len() < n {
                s.push(el());
                if s.cap() != last {
                    last = s.cap();
                    got.push(last.to_string());
                }
            }
        }
        "bulk" => {
            let (k, n) = (p[0], p[1].min(b));
            let buf: Vec<E<N>> = (0..k).map(|_| el()).collect();
            let mut s = Slice::<E<N>>::nil();
            let mut last = usize::MAX;
            while s.len() < n {
                s = s.append_slice(&buf);
                if s.cap() != last {
                    last = s.cap();
                    got.push(last.to_string());
                }
            }
        }
        "make" => {
            let (l, c) = (p[0], p[1]);
            for k in [1, 2, c - l + 1, c + 1, 2 * c - l + 1, 2 * c + 1, 3 * c + 7] {
                if l + k <= c || (cfg!(miri) && l + k > b) {
                    continue;
                }
                let s = Slice::<E<N>>::make(l, c);
                let t = s.append_vec((0..k).map(|_| el()).collect());
                got.push(format!("{k}/{}", t.cap()));
                assert_eq!(t.len(), l + k);
            }
            if cfg!(miri) {
                want.retain(|w| {
                    let k: usize = w.split('/').next().unwrap().parse().unwrap();
                    l + k <= b
                });
            }
        }
        "mix" => {
            let (seed, n) = (p[0] as u32, p[1].min(b));
            let mut x = seed;
            let buf: Vec<E<N>> = (0..200).map(|_| el()).collect();
            let mut s = Slice::<E<N>>::nil();
            while s.len() < n {
                x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                let mut k = ((x >> 24) % 40 + 1) as usize;
                if x & 0xff < 8 {
                    k = 200;
                }
                s = s.append_slice(&buf[..k]);
                got.push(s.cap().to_string());
            }
        }
        "s3" => {
            let c = p[0];
            for l in [0, 1, c / 2, c] {
                if cfg!(miri) && c > b {
                    continue;
                }
                let s = Slice::<E<N>>::make(c, c).slice3(0, l, l);
                let t = s.append_vec(vec![el()]);
                got.push(format!("{l}/{}", t.cap()));
            }
            if cfg!(miri) && c > b {
                want.clear();
            }
        }
        other => panic!("unknown pattern {other:?} in golden line {head:?}"),
    }
    if cfg!(miri) && matches!(head[1], "one" | "bulk" | "mix") {
        // The sequence was cut at `budget()` elements: compare that prefix.
        want.truncate(got.len());
    }
    (got.join(" "), want.join(" "))
}

/// The same sequences computed with `grow::next_cap` alone (for `one` and
/// `bulk`; the others go through `replay`).
fn model(es: usize, head: &[&str]) -> Option<Vec<usize>> {
    let p: Vec<usize> = head[2..].iter().map(|x| x.parse().unwrap()).collect();
    let (k, n) = match head[1] {
        "one" => (1, p[0]),
        "bulk" => (p[0], p[1]),
        _ => return None,
    };
    let (mut len, mut cap, mut out) = (0usize, 0usize, Vec::new());
    while len < n.min(budget()) {
        if len + k > cap {
            cap = grow::next_cap(Policy::Go118, cap, len + k, es);
            out.push(cap);
        }
        len += k;
    }
    Some(out)
}

/// Under Miri only a few element sizes and the smaller patterns are
/// replayed (each interpreted step is slow); natively, everything.
fn miri_subset(es: usize, head: &[&str]) -> bool {
    let p: Vec<usize> = head[2..].iter().map(|x| x.parse().unwrap()).collect();
    matches!(es, 0 | 1)
        && match head[1] {
            "bulk" => p[0] <= 10,
            "make" => p[1] <= 100,
            "s3" => p[0] <= 10,
            "mix" => false,
            _ => true,
        }
}

/// Replays every line of `text`; returns the number of lines checked.
fn check_all(text: &str, origin: &str) -> usize {
    let mut checked = 0;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (head, caps) = line.split_once(':').expect("line has ':'");
        let head: Vec<&str> = head.split_whitespace().collect();
        let es: usize = head[0].parse().unwrap();
        if cfg!(miri) && es > 1 {
            // The file is ordered by element size; Miri stops scanning here
            // (interpreting the scan of the whole 300 KB file takes minutes).
            break;
        }
        if cfg!(miri) && !miri_subset(es, &head) {
            continue;
        }
        let (got, want) = match es {
            0 => replay::<0>(&head, caps),
            1 => replay::<1>(&head, caps),
            2 => replay::<2>(&head, caps),
            3 => replay::<3>(&head, caps),
            4 => replay::<4>(&head, caps),
            5 => replay::<5>(&head, caps),
            7 => replay::<7>(&head, caps),
            8 => replay::<8>(&head, caps),
            12 => replay::<12>(&head, caps),
            16 => replay::<16>(&head, caps),
            24 => replay::<24>(&head, caps),
            32 => replay::<32>(&head, caps),
            40 => replay::<40>(&head, caps),
            48 => replay::<48>(&head, caps),
            64 => replay::<64>(&head, caps),
            100 => replay::<100>(&head, caps),
            128 => replay::<128>(&head, caps),
            256 => replay::<256>(&head, caps),
            1000 => replay::<1000>(&head, caps),
            4096 => replay::<4096>(&head, caps),
            other => {
                panic!("{origin}: element size {other} has no replay type; add it to check_all")
            }
        };
        assert_eq!(
            got,
            want,
            "{origin}: Slice caps differ from Go for line {:?}",
            head.join(" ")
        );
        if let Some(m) = model(es, &head) {
            let m: Vec<String> = m.iter().map(usize::to_string).collect();
            assert_eq!(
                m.join(" "),
                want,
                "{origin}: next_cap model differs from Go for {:?}",
                head.join(" ")
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn golden_file_matches_slice_append() {
    let n = check_all(GOLDEN, "golden/growth.txt");
    assert!(
        n > if cfg!(miri) { 20 } else { 1000 },
        "golden file: only {n} lines checked"
    );
    assert!(
        GOLDEN.starts_with("# go1.19"),
        "golden file must come from Go 1.19"
    );
    // Sanity: the numbers the spec quotes are in the file.
    assert!(
        cfg!(miri)
            || GOLDEN.contains(
                "\n8 one 20000: 1 2 4 8 16 32 64 128 256 512 848 1280 1792 2560 3408 5120 "
            )
    );
}

#[test]
fn live_go_matches_golden_and_slice() {
    let Some(go) = std::env::var_os("GORT_GO") else {
        // Not requested: `cargo xtask ci` sets GORT_GO; the golden test above
        // still covers every line.
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../go-oracle/goslice");
    let target =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/go-oracle-cache");
    let mut cmd = std::process::Command::new(&go);
    cmd.args(["run", "."])
        .current_dir(&dir)
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off");
    if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
        cmd.env("GOCACHE", &target);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("GORT_GO={go:?}: cannot run go: {e}"));
    assert!(
        out.status.success(),
        "`go run .` in {} failed: {}\n{}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = String::from_utf8(out.stdout).expect("go output is UTF-8");
    assert!(
        fresh.starts_with("# go1.19"),
        "GORT_GO is not Go 1.19: {}",
        fresh.lines().next().unwrap_or("")
    );
    let body = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        body(&fresh) == body(GOLDEN),
        "live Go output differs from golden/growth.txt; regenerate it (see go-oracle/goslice/main.go)"
    );
    let n = check_all(&fresh, "live go run");
    assert!(n > 1000);
}
