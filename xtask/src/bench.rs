//! `cargo xtask bench [--quick] [--go] [--only SUITE] [--runs N]`: run the
//! benchmark binaries of `benches/`, optionally the Go programs of
//! `benches/go/*/`, and write `target/bench-report.md`. With `--runs N` the
//! whole set runs N times and the report gives each row's median value and
//! the median of its N per-run ratios: on a small shared machine one run's
//! ratios can swing by 30% or more, and a ratio of two medians can pair a
//! fast run of one subject with a slow run of the other.
//!
//! Every row is `suite, group, subject, value, unit, higher|lower` (see
//! `benches/src/lib.rs`). In each group the first subject recorded is ours;
//! the report gives every other subject's value and the ratio oriented so
//! that above 1.00 means ours is better. A summary on top of the report
//! lists, per crate, the comparisons where ours is behind, with one SVG chart
//! per crate in `target/bench-charts/` (see `bench_summary.rs`).

use crate::{usage, Error};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::cmd::Cmd;

/// One parsed result row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    suite: String,
    group: String,
    subject: String,
    value: f64,
    unit: String,
    higher_is_better: bool,
    /// Set by [`median_rows`]: the median over runs of this row's ratio to
    /// the group's first row in the same run.
    ratio: Option<f64>,
}

/// Parses rows, ignoring blank lines; reports the first malformed line.
pub fn parse_rows(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [suite, group, subject, value, unit, better] = f.as_slice() else {
            return Err(format!(
                "line {}: expected 6 tab-separated fields: {line:?}",
                i + 1
            ));
        };
        let value: f64 = value
            .parse()
            .map_err(|_| format!("line {}: bad value {value:?}", i + 1))?;
        let higher_is_better = match *better {
            "higher" => true,
            "lower" => false,
            b => {
                return Err(format!(
                    "line {}: expected higher or lower, got {b:?}",
                    i + 1
                ))
            }
        };
        rows.push(Row {
            suite: suite.to_string(),
            group: group.to_string(),
            subject: subject.to_string(),
            value,
            unit: unit.to_string(),
            higher_is_better,
            ratio: None,
        });
    }
    Ok(rows)
}

/// Renders rows as Markdown: one table per suite, grouped, with ratios.
pub fn render(rows: &[Row], header: &str) -> String {
    let mut out = String::from(header);
    let mut suites: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        suites.entry(&r.suite).or_default().push(r);
    }
    for (suite, rows) in suites {
        let _ = writeln!(out, "\n## {suite}\n");
        out.push_str(
            "| workload | subject | value | unit | ours vs this |\n|---|---|---:|---|---:|\n",
        );
        let mut order: Vec<&str> = Vec::new();
        for r in &rows {
            if !order.contains(&r.group.as_str()) {
                order.push(&r.group);
            }
        }
        for g in order {
            let group: Vec<&&Row> = rows.iter().filter(|r| r.group == g).collect();
            let ours = group[0];
            for r in &group {
                let ratio = if std::ptr::eq(**r, *ours) {
                    "(ours)".to_string()
                } else if let Some(x) = r.ratio {
                    format!("{x:.2}x")
                } else {
                    ratio(ours, r).map_or("n/a".to_string(), |x| format!("{x:.2}x"))
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.3} | {} | {} |",
                    g, r.subject, r.value, r.unit, ratio
                );
            }
        }
    }
    out
}

/// How much better `ours` is than `r` (above 1: ours is better), if both
/// values are non-zero.
fn ratio(ours: &Row, r: &Row) -> Option<f64> {
    if r.value == 0.0 || ours.value == 0.0 {
        None
    } else if ours.higher_is_better {
        Some(ours.value / r.value)
    } else {
        Some(r.value / ours.value)
    }
}

/// The median of a non-empty list.
fn median(mut vs: Vec<f64>) -> f64 {
    vs.sort_by(f64::total_cmp);
    let n = vs.len();
    if n % 2 == 1 {
        vs[n / 2]
    } else {
        (vs[n / 2 - 1] + vs[n / 2]) / 2.0
    }
}

/// The median of each row over several runs, in the first run's order, with
/// the median of its per-run ratios to the group's first row (paired: in each
/// run the subjects of a group ran back to back).
pub fn median_rows(runs: &[Vec<Row>]) -> Vec<Row> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    let same = |x: &Row, r: &Row| x.suite == r.suite && x.group == r.group;
    first
        .iter()
        .map(|r| {
            let mut values = Vec::new();
            let mut ratios = Vec::new();
            for run in runs {
                let ours = run.iter().find(|x| same(x, r));
                for x in run.iter().filter(|x| same(x, r) && x.subject == r.subject) {
                    values.push(x.value);
                    ratios.extend(ours.and_then(|o| ratio(o, x)));
                }
            }
            Row {
                value: median(values),
                ratio: (!ratios.is_empty()).then(|| median(ratios)),
                ..r.clone()
            }
        })
        .collect()
}

/// The `bench` task.
const HELP: &str = "usage: cargo xtask bench [--quick] [--go] [--only SUITE]... [--runs N]

  --quick       smaller sizes and fewer iterations (a smoke run)
  --go          also run the Go 1.19 programs for the same workloads
  --only SUITE  run one suite (repeatable); the report keeps the other
                suites' rows from the last run
  --runs N      run N times; the report gives medians and per-run ratios

Writes target/bench-report.md, with a summary on top, and one chart per
crate in target/bench-charts/ (`cargo xtask bench-summary` redoes both
from an existing report).";

/// The benchmark suites: the `[[bench]]` names of benches/Cargo.toml.
pub fn suites() -> Vec<String> {
    let text = std::fs::read_to_string("benches/Cargo.toml").unwrap_or_default();
    let mut names = Vec::new();
    let mut in_bench = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bench = line == "[[bench]]";
        } else if let Some(v) = line.strip_prefix("name").filter(|_| in_bench) {
            if let Some(v) = v.trim().strip_prefix('=') {
                names.push(v.trim().trim_matches('"').to_string());
            }
        }
    }
    names
}

fn help() -> String {
    format!("{HELP}\n\nsuites: {}", suites().join(", "))
}

pub fn run(args: &[String]) -> Result<(), Error> {
    let mut quick = false;
    let mut go = false;
    let mut only: Vec<String> = Vec::new();
    let mut runs = 1usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--help" | "-h" => {
                println!("{}", help());
                return Ok(());
            }
            "--quick" => quick = true,
            "--go" => go = true,
            "--only" => {
                let suite = it
                    .next()
                    .ok_or_else(|| usage("--only needs a suite name, e.g. gomap", &help()))?;
                if !suites().contains(suite) {
                    return Err(usage(format!("no bench suite {suite:?}"), &help()));
                }
                only.push(suite.clone());
            }
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        usage("--runs needs a positive count, e.g. --runs 3", &help())
                    })?;
            }
            other => return Err(usage(format!("unknown bench flag {other:?}"), &help())),
        }
    }
    let mut go_version = "not run (pass --go)".to_string();
    let mut all_runs = Vec::new();
    for run in 1..=runs {
        if runs > 1 {
            eprintln!("xtask: bench run {run} of {runs}");
        }
        let (rows, version) = run_once(quick, go, &only)?;
        go_version = version;
        all_runs.push(rows);
    }
    let rows = median_rows(&all_runs);
    let rustc = Cmd::new("rustc")
        .args(["--version"])
        .output()
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let header = format!(
        "# gort benchmark report\n\nMode: {}{}. Machine: {cpus} CPUs. {}. Go: {go_version}.\n\
         Ratios: ours divided by the peer for throughput, the peer divided by ours for time and bytes;\n\
         above 1.00x ours is better.\n",
        if quick { "quick" } else { "full" },
        if runs > 1 {
            format!(
                ", each value the median of {runs} runs, each ratio the median of \
                 the {runs} per-run ratios"
            )
        } else {
            String::new()
        },
        rustc.trim()
    );
    // `--only` leaves the other suites' files from the last run in place:
    // say so, since those rows are one run, not medians.
    let header = if only.is_empty() {
        header
    } else {
        format!(
            "{header}Suites not named by --only ({} ran now) show the rows of their last run \
             (one run, not a median).\n",
            only.join(", ")
        )
    };
    let report = render(&rows, &header);
    let path = Path::new("target/bench-report.md");
    std::fs::write(path, &report).map_err(|e| format!("{}: {e}", path.display()))?;
    let charts = crate::bench_summary::default_charts_dir(path);
    let (comparisons, behind) = crate::bench_summary::summarise_file(path, &charts)?;
    let report = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{report}");
    eprintln!(
        "xtask: wrote {} ({} rows; behind on {behind} of {comparisons} comparisons) \
         and charts in {}",
        path.display(),
        rows.len(),
        charts.display()
    );
    Ok(())
}

/// One run of the selected suites (and Go programs): their rows, and the Go
/// version used.
fn run_once(quick: bool, go: bool, only: &[String]) -> Result<(Vec<Row>, String), String> {
    let results = Path::new("target/bench-results");
    // A full run starts from scratch; `--only` replaces just the named suites,
    // so a report can be assembled from runs made at different times.
    if only.is_empty() {
        let _ = std::fs::remove_dir_all(results);
    } else {
        for suite in only {
            let _ = std::fs::remove_file(results.join(format!("{suite}.tsv")));
            let _ = std::fs::remove_file(results.join(format!("go-{suite}.tsv")));
        }
    }
    std::fs::create_dir_all(results)
        .map_err(|e| format!("cannot create {}: {e}", results.display()))?;
    let abs = std::fs::canonicalize(results).map_err(|e| e.to_string())?;
    let abs = abs.to_string_lossy().to_string();

    let mut cmd = Cmd::new("cargo")
        .args(["bench", "-p", "gort-benches"])
        .env("GORT_BENCH_RESULTS", &abs);
    for suite in only {
        cmd = cmd.args(["--bench", suite]);
    }
    if quick {
        cmd = cmd.env("GORT_BENCH_QUICK", "1");
    }
    cmd.status()?;

    let mut go_version = "not run (pass --go)".to_string();
    if go {
        let bin = crate::provision::go()
            .ok_or("--go needs Go 1.19: apt-get install -y golang-1.19-go")?;
        go_version = Cmd::new(&bin)
            .args(["version"])
            .output()?
            .trim()
            .to_string();
        let mut dirs: Vec<_> = std::fs::read_dir("benches/go")
            .map_err(|e| format!("benches/go: {e}"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("go.mod").is_file())
            .collect();
        dirs.sort();
        for d in dirs {
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if !only.is_empty() && !only.contains(&name) {
                continue;
            }
            let mut c = Cmd::new(&bin).args(["run", "."]).dir(&d.to_string_lossy());
            if quick {
                c = c.env("GORT_BENCH_QUICK", "1");
            }
            eprintln!("$ {}", c.display());
            let out = c.output()?;
            std::fs::write(results.join(format!("go-{name}.tsv")), &out)
                .map_err(|e| e.to_string())?;
        }
    }

    let mut text = String::new();
    let mut files: Vec<_> = std::fs::read_dir(results)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    // Our suites first, the Go programs' rows (`go-<suite>.tsv`) after them:
    // the first subject of each group is the one the ratios compare against.
    files.sort_by_key(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        (name.starts_with("go-"), name)
    });
    for f in files {
        text.push_str(&std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?);
    }

    Ok((parse_rows(&text)?, go_version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_oriented_so_above_one_means_ours_wins() {
        let text = "m\tinsert\tgomap\t20\tMops/s\thigher\nm\tinsert\thashbrown\t10\tMops/s\thigher\n\
                    m\tmax latency\tgomap\t5\tus\tlower\nm\tmax latency\thashbrown\t500\tus\tlower\n";
        let rows = parse_rows(text).unwrap();
        let md = render(&rows, "");
        assert!(
            md.contains("| insert | hashbrown | 10.000 | Mops/s | 2.00x |"),
            "{md}"
        );
        assert!(
            md.contains("| max latency | hashbrown | 500.000 | us | 100.00x |"),
            "{md}"
        );
        assert!(
            md.contains("| insert | gomap | 20.000 | Mops/s | (ours) |"),
            "{md}"
        );
    }

    #[test]
    fn median_rows_take_each_rows_median_in_first_run_order() {
        let run = |a: f64, b: f64| {
            parse_rows(&format!(
                "m\tinsert\tgomap\t{a}\tMops/s\thigher\nm\tinsert\thashbrown\t{b}\tMops/s\thigher\n"
            ))
            .unwrap()
        };
        let rows = median_rows(&[run(10.0, 1.0), run(30.0, 3.0), run(20.0, 2.0)]);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].subject.as_str(), rows[0].value), ("gomap", 20.0));
        assert_eq!(
            (rows[1].subject.as_str(), rows[1].value),
            ("hashbrown", 2.0)
        );
        let even = median_rows(&[run(10.0, 1.0), run(20.0, 2.0)]);
        assert_eq!(even[0].value, 15.0);
        assert!(median_rows(&[]).is_empty());
    }

    #[test]
    fn ratios_are_paired_within_each_run() {
        let run = |a: f64, b: f64| {
            parse_rows(&format!(
                "m\tlookup\tgomap\t{a}\tMops/s\thigher\nm\tlookup\thashbrown\t{b}\tMops/s\thigher\n\
                 m\tlatency\tgomap\t{a}\tns\tlower\nm\tlatency\thashbrown\t{b}\tns\tlower\n"
            ))
            .unwrap()
        };
        // Per-run throughput ratios 0.5, 0.8, 0.9: median 0.8. The ratio of
        // the medians (20 / 40 = 0.5) would pair different runs.
        let rows = median_rows(&[run(10.0, 20.0), run(40.0, 50.0), run(20.0, 22.2)]);
        assert_eq!(rows[1].value, 22.2);
        assert_eq!(rows[1].ratio.map(|x| (x * 100.0).round()), Some(80.0));
        // Lower is better: hashbrown / gomap per run, 2.0, 1.25, 1.11.
        assert_eq!(rows[3].ratio.map(|x| (x * 100.0).round()), Some(125.0));
        let report = render(&rows, "");
        assert!(
            report.contains("| lookup | hashbrown | 22.200 | Mops/s | 0.80x |"),
            "{report}"
        );
        // Rows parsed from one run have no paired ratio: computed from values.
        let single = render(&run(10.0, 20.0), "");
        assert!(
            single.contains("| lookup | hashbrown | 20.000 | Mops/s | 0.50x |"),
            "{single}"
        );
    }

    #[test]
    fn malformed_rows_are_reported_with_their_line() {
        assert!(parse_rows("a\tb\n").unwrap_err().starts_with("line 1"));
        assert!(parse_rows("a\tb\tc\tx\tu\thigher")
            .unwrap_err()
            .contains("bad value"));
        assert!(parse_rows("a\tb\tc\t1\tu\tsideways")
            .unwrap_err()
            .contains("higher or lower"));
    }
}
