//! The gort task runner: `cargo xtask <task>`.
//!
//! Plain Rust with no dependencies, so it builds in seconds on a fresh
//! machine (the approach of matklad's cargo-xtask). Tasks:
//!
//! | task | what it does |
//! |---|---|
//! | `ci` | the project's one test command: every check CI runs, with a summary table |
//! | `tour [CHAPTER]` | the guided terminal tour (all chapters, or one) |
//! | `fuzz [TARGET] [--secs N]` | run cargo-fuzz targets (all, or one) |
//! | `bench [--quick] [--go] [--only SUITE] [--runs N]` | run benchmarks (N times: median values and per-run ratios), write `target/bench-report.md` with a summary on top and one chart per crate in `target/bench-charts/` |
//! | `bench-summary REPORT [--charts DIR]` | redo a report's summary and charts from its tables, without running anything |
//! | `miri [CRATE...]` | the test suites under Miri (several crates: two at a time, as CI runs them) |
//! | `loom [CRATE...]` | the loom models (`tests/loom_*.rs`) |
//! | `tidy` | check the rules of `ARCHITECTURE.md` that a program can check |

mod bench;
mod bench_summary;
mod ci;
mod cmd;
mod fuzz;
mod provision;
mod tidy;
mod workspace;

use std::process::ExitCode;

/// Why a task failed. The exit status tells them apart, as golayout's does:
/// 2 for a usage error (bad task, flag or argument: nothing was run), 1 for
/// a task that ran and failed.
pub enum Error {
    /// The command line was wrong.
    Usage(String),
    /// The task ran and failed.
    Failed(String),
}

impl From<String> for Error {
    fn from(e: String) -> Self {
        Error::Failed(e)
    }
}

impl From<&str> for Error {
    fn from(e: &str) -> Self {
        Error::Failed(e.to_string())
    }
}

/// A usage error with the task's help text appended.
pub fn usage(message: impl std::fmt::Display, help: &str) -> Error {
    Error::Usage(format!("{message}\n\n{help}"))
}

/// The task list `cargo xtask --help` prints, also shown after a usage error.
pub const USAGE: &str = "\
usage: cargo xtask <task> [args]

tasks:
  ci                          run every check CI runs (fmt, clippy, docs, tests, thumb and
                              i686 builds, Miri, loom, Go oracles, fuzz smoke, packaging)
  tour [CHAPTER|--list]       the guided tour of the crates at work
  fuzz [TARGET] [--secs N]    run fuzz targets (default: all, 20 s each)
  bench [--quick] [--go] [--only SUITE] [--runs N]
                              run benchmarks (N times, reporting medians);
                              report in target/bench-report.md, charts in
                              target/bench-charts/ (`--help` lists the suites)
  bench-summary REPORT [--charts DIR]
                              redo a report's summary (where gort is behind)
                              and per-crate SVG charts from its tables
  miri [CRATE...]             run crate tests under Miri (two crates at a time)
  loom [CRATE...]             run loom models
  tidy                        check the ARCHITECTURE.md rules a program can check

exit status: 0 success, 1 a task failed, 2 usage error
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let root = workspace::root();
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!(
            "xtask: cannot enter the workspace root {}: {e}",
            root.display()
        );
        return ExitCode::FAILURE;
    }
    let result = match task.as_str() {
        "ci" => ci::run(rest),
        "tour" => cmd::Cmd::new("cargo")
            .args(["run", "-q", "-p", "gort-tour", "--"])
            .args(rest)
            .status()
            .map_err(Error::Failed),
        "fuzz" => fuzz::run(rest),
        "bench" => bench::run(rest),
        "bench-summary" => bench_summary::run(rest),
        "miri" => ci::miri_only(rest),
        "loom" => ci::loom_only(rest),
        "tidy" => tidy::run(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(usage(format!("unknown task {other:?}"), USAGE)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Usage(e)) => {
            eprintln!("xtask: {e}");
            ExitCode::from(2)
        }
        Err(Error::Failed(e)) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
