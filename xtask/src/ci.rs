//! `cargo xtask ci`: every check, in order, with a summary table.
//!
//! Steps run one after another; a failing step does not stop the run (so one
//! run shows every problem), but steps that need a failed provisioning step
//! are reported as failed with the reason, never skipped silently. The exit
//! status is non-zero if any step failed.
//!
//! Environment knobs: `GORT_FUZZ_SECS` (seconds per fuzz target, default 20).

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cmd::{Cmd, FAILURE_LINES, MAX_FAILURE_LINES, TESTS_FAILED, TESTS_PASSED};
use crate::provision;
use crate::workspace;
use crate::{usage, Error};

/// Outcome of one step.
struct Step {
    name: String,
    took: Duration,
    result: Result<(), String>,
}

/// Runs steps and keeps their outcomes.
#[derive(Default)]
struct Runner {
    steps: Vec<Step>,
}

impl Runner {
    fn step(&mut self, name: &str, f: impl FnOnce() -> Result<(), String>) -> bool {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let result = f();
        let took = start.elapsed();
        if let Err(e) = &result {
            eprintln!("==> {name}: FAILED: {e}");
        }
        let ok = result.is_ok();
        self.steps.push(Step {
            name: name.to_string(),
            took,
            result,
        });
        ok
    }

    fn blocked(&mut self, name: &str, why: &str) {
        eprintln!("\n==> {name}: FAILED (not run: {why})");
        self.steps.push(Step {
            name: name.to_string(),
            took: Duration::ZERO,
            result: Err(format!("not run: {why}")),
        });
    }

    fn finish(self, total: Duration) -> Result<(), String> {
        let width = self
            .steps
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        println!("\n{:<width$}  {:<6}  {:>8}", "step", "result", "time");
        println!("{}", "-".repeat(width + 18));
        for s in &self.steps {
            let r = if s.result.is_ok() { "pass" } else { "FAIL" };
            println!(
                "{:<width$}  {:<6}  {:>7.1}s",
                s.name,
                r,
                s.took.as_secs_f64()
            );
        }
        println!("{}", "-".repeat(width + 18));
        println!(
            "{:<width$}  {:<6}  {:>7.1}s",
            "total",
            "",
            total.as_secs_f64()
        );
        let failed: Vec<&Step> = self.steps.iter().filter(|s| s.result.is_err()).collect();
        for s in &failed {
            println!(
                "FAILED {}: {}",
                s.name,
                s.result.as_ref().err().map(String::as_str).unwrap_or("")
            );
        }
        let (p, f) = (
            TESTS_PASSED.load(Ordering::Relaxed),
            TESTS_FAILED.load(Ordering::Relaxed),
        );
        println!(
            "steps: {} passed, {} failed",
            self.steps.len() - failed.len(),
            failed.len()
        );
        println!("tests: {p} passed, {f} failed");
        let failures = FAILURE_LINES.lock().unwrap_or_else(|e| e.into_inner());
        if !failures.is_empty() {
            println!("failed tests and their panics (first {MAX_FAILURE_LINES} lines):");
            for line in failures.iter() {
                println!("  {line}");
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("{} step(s) failed", failed.len()))
        }
    }
}

fn cargo<I, S>(args: I) -> Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    Cmd::new("cargo").args(args)
}

/// Runs the whole CI.
pub fn run(args: &[String]) -> Result<(), Error> {
    if let Some(a) = args.first() {
        return Err(usage(
            format!("ci takes no arguments (got {a:?})"),
            crate::USAGE,
        ));
    }
    let start = Instant::now();
    let mut r = Runner::default();
    let crates = workspace::crates();

    let stable = r.step("provision: rustup targets", provision::stable);
    let nightly = r.step("provision: nightly + miri", provision::nightly);
    let fuzz = r.step("provision: cargo-fuzz", provision::cargo_fuzz);
    let debian = r.step("provision: debian packages", provision::debian);

    // Opt-in features (serde, lock_api, futures-core) are on for the host
    // steps, so the code and tests behind them are checked too.
    let opt_in = workspace::opt_in_args(&crates);
    r.step("fmt", || cargo(["fmt", "--all", "--check"]).status());
    r.step("tidy", crate::tidy::check);
    r.step("clippy", || {
        cargo(["clippy", "--workspace", "--all-targets"])
            .args(&opt_in)
            .args(["--", "-D", "warnings"])
            .status()
    });
    r.step("clippy (no default features)", || {
        let mut c = cargo(["clippy", "--lib", "--no-default-features"]);
        for k in &crates {
            c = c.args(["-p", k]);
        }
        c.args(["--", "-D", "warnings"]).status()
    });
    r.step("doc", || {
        cargo(["doc", "--workspace", "--no-deps"])
            .args(&opt_in)
            .env("RUSTDOCFLAGS", "-D warnings")
            .status()
    });
    r.step("test", || {
        cargo(["test", "--workspace", "--no-fail-fast"])
            .args(&opt_in)
            .run_counting()
    });
    r.step("tour", || cargo(["run", "-q", "-p", "gort-tour"]).status());
    // The example programs assert what they print, so running them tests them.
    r.step("examples", || {
        for k in &crates {
            for e in workspace::examples(k) {
                cargo(["run", "-q", "-p", k, "--example", &e])
                    .args(workspace::opt_in_args(std::slice::from_ref(k)))
                    .status()
                    .map_err(|err| format!("example {k}/{e}: {err}"))?;
            }
        }
        Ok(())
    });

    for target in [
        "thumbv7em-none-eabihf",
        "thumbv6m-none-eabi",
        "riscv32imc-unknown-none-elf",
    ] {
        let name = format!("build {target} (no_std)");
        if !stable {
            r.blocked(&name, "rustup targets missing");
            continue;
        }
        r.step(&name, || {
            let build = |k: &str, features: &str| {
                let mut c = cargo([
                    "build",
                    "--lib",
                    "--no-default-features",
                    "--target",
                    target,
                ])
                .args(["-p", k]);
                if !features.is_empty() {
                    c = c.args(["--features", features]);
                }
                c.status()
            };
            for k in &crates {
                build(k, "")?;
            }
            // `alloc` is the usual embedded configuration: check it too, alone
            // and with the opt-in features.
            for k in crates.iter().filter(|k| workspace::has_feature(k, "alloc")) {
                build(k, "alloc")?;
                let opt_in = workspace::embedded_opt_in_features(k);
                if !opt_in.is_empty() {
                    build(k, &format!("alloc,{}", opt_in.join(",")))?;
                }
            }
            // Targets without CAS get it from portable-atomic's critical-section backend.
            if target != "thumbv7em-none-eabihf" {
                for k in crates
                    .iter()
                    .filter(|k| workspace::has_feature(k, "portable-atomic-critical-section"))
                {
                    build(k, "portable-atomic-critical-section")?;
                }
            }
            Ok(())
        });
    }
    // A firmware-style binary on the crates, built and linked as an embedded
    // user would (EMBEDDED.md): the libraries building is not enough.
    for (target, features) in [
        ("thumbv7em-none-eabihf", None),
        ("thumbv6m-none-eabi", Some("no-cas")),
    ] {
        let name = format!("firmware {target} (build and link)");
        if !stable {
            r.blocked(&name, "rustup targets missing");
            continue;
        }
        r.step(&name, || {
            let mut c = cargo([
                "build",
                "--release",
                "--manifest-path",
                "examples/firmware/Cargo.toml",
                "--target",
                target,
            ]);
            if let Some(f) = features {
                c = c.args(["--no-default-features", "--features", f]);
            }
            c.env("CARGO_TARGET_DIR", "target/firmware").status()
        });
    }
    if stable && debian {
        r.step("test i686-unknown-linux-gnu", || {
            let mut c = cargo([
                "test",
                "--no-fail-fast",
                "--target",
                "i686-unknown-linux-gnu",
            ]);
            for k in &crates {
                c = c.args(["-p", k]);
            }
            c.args(&opt_in).run_counting()
        });
    } else {
        r.blocked(
            "test i686-unknown-linux-gnu",
            "i686 target or gcc-multilib missing",
        );
    }

    match provision::go() {
        Some(go) if debian => {
            for k in &crates {
                for t in workspace::test_targets(k, "go_oracle") {
                    r.step(&format!("go oracle {k}/{t}"), || {
                        cargo(["test", "--release", "-p", k, "--test", &t])
                            .env("GORT_GO", &go)
                            .run_counting()
                    });
                }
            }
        }
        _ => r.blocked(
            "go oracles",
            "Go 1.19 not installed (apt-get install -y golang-1.19-go golang-1.19-src)",
        ),
    }

    // A crate that forbids `unsafe` and depends on no crate with any gives
    // Miri nothing to check: its tests already ran above.
    let miri_crates: Vec<String> = crates
        .iter()
        .filter(|k| workspace::needs_miri(k))
        .cloned()
        .collect();
    if nightly {
        miri_lanes(&mut r, miri_crates);
    } else {
        for k in &miri_crates {
            r.blocked(&format!("miri {k}"), "nightly toolchain with miri missing");
        }
    }
    for k in &crates {
        for t in workspace::test_targets(k, "loom_") {
            r.step(&format!("loom {k}/{t}"), || loom(k, &t).run_counting());
        }
    }

    if fuzz && nightly {
        let secs = std::env::var("GORT_FUZZ_SECS").unwrap_or_else(|_| "20".to_string());
        if r.step("fuzz build", crate::fuzz::build) {
            for t in workspace::fuzz_targets() {
                r.step(&format!("fuzz {t} ({secs} s)"), || {
                    crate::fuzz::run_target(&t, &secs)
                });
            }
        } else {
            r.blocked("fuzz smoke runs", "fuzz build failed");
        }
    } else {
        r.blocked("fuzz", "cargo-fuzz or nightly missing");
    }

    // Each crate must build with the oldest Rust it declares.
    let mut by_version: Vec<(String, Vec<String>)> = Vec::new();
    for k in &crates {
        let Some(v) = workspace::rust_version(k) else {
            r.blocked(&format!("msrv {k}"), "no rust-version declared");
            continue;
        };
        match by_version.iter_mut().find(|(have, _)| *have == v) {
            Some((_, ks)) => ks.push(k.clone()),
            None => by_version.push((v, vec![k.clone()])),
        }
    }
    for (version, ks) in &by_version {
        r.step(&format!("msrv {version} ({})", ks.join(", ")), || {
            provision::toolchain(version)?;
            let mut c = cargo([format!("+{version}").as_str(), "check", "--lib"]);
            for k in ks {
                c = c.args(["-p", k]);
            }
            c.env("CARGO_TARGET_DIR", "target/msrv").status()
        });
    }

    r.step("package", || {
        let mut c = cargo(["package", "--no-verify", "--allow-dirty"]);
        for k in &crates {
            c = c.args(["-p", k]);
        }
        c.status()
    });
    r.finish(start.elapsed()).map_err(Error::Failed)
}

/// Runs every crate's Miri step, two at a time on a machine with two or more
/// cores. Miri interprets on one thread, so a second lane halves the wall
/// time of CI's longest phase. Each lane has its own target directory (cargo
/// holds a target directory's lock for a whole `cargo test`), the largest
/// crates start first so the lanes finish together, and each step's log is
/// printed whole when it ends.
fn miri_lanes(r: &mut Runner, mut crates: Vec<String>) {
    let lanes = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    crates.sort_by_key(|k| std::cmp::Reverse(workspace::source_bytes(k)));
    let queue = Mutex::new(crates.into_iter());
    let finished = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for lane in 0..lanes {
            let (queue, finished) = (&queue, &finished);
            s.spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                let Some(k) = next else { break };
                let name = format!("miri {k}");
                let start = Instant::now();
                let target = format!("target/miri-lane{lane}");
                let (result, log) = miri(&k).env("CARGO_TARGET_DIR", &target).run_captured();
                eprint!("\n==> {name} (lane {lane})\n{log}");
                if let Err(e) = &result {
                    eprintln!("==> {name}: FAILED: {e}");
                }
                finished
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Step {
                        name,
                        took: start.elapsed(),
                        result,
                    });
            });
        }
    });
    let mut finished = finished.into_inner().unwrap_or_else(|e| e.into_inner());
    finished.sort_by(|a, b| a.name.cmp(&b.name));
    r.steps.extend(finished);
}

fn miri(krate: &str) -> Cmd {
    cargo([
        "+nightly",
        "miri",
        "test",
        "--no-fail-fast",
        "-p",
        krate,
        "--lib",
        "--tests",
    ])
    .args(workspace::opt_in_args(&[krate.to_string()]))
    .env("MIRIFLAGS", "-Zmiri-strict-provenance")
}

fn loom(krate: &str, test: &str) -> Cmd {
    cargo(["test", "--release", "-p", krate, "--test", test])
        .env("RUSTFLAGS", "--cfg loom")
        .env("LOOM_MAX_PREEMPTIONS", "2")
        .env("CARGO_TARGET_DIR", "target/loom")
}

fn pick(args: &[String]) -> Result<Vec<String>, Error> {
    let all = workspace::crates();
    match args {
        [] => Ok(all),
        picked => {
            if let Some(k) = picked.iter().find(|k| !all.contains(k)) {
                return Err(usage(
                    format!("no crate {k:?}; crates are {}", all.join(", ")),
                    crate::USAGE,
                ));
            }
            Ok(picked.to_vec())
        }
    }
}

/// `cargo xtask miri [CRATE...]`: one crate runs with its output streamed;
/// several (by default every crate Miri has something to check in) run in
/// CI's lanes, with CI's summary table.
pub fn miri_only(args: &[String]) -> Result<(), Error> {
    provision::nightly()?;
    match pick(args)?.as_slice() {
        [k] => miri(k).run_counting().map_err(Error::Failed),
        crates => {
            let start = Instant::now();
            let mut r = Runner::default();
            let crates = crates
                .iter()
                .filter(|k| !args.is_empty() || workspace::needs_miri(k))
                .cloned()
                .collect();
            miri_lanes(&mut r, crates);
            r.finish(start.elapsed()).map_err(Error::Failed)
        }
    }
}

/// `cargo xtask loom [CRATE...]`.
pub fn loom_only(args: &[String]) -> Result<(), Error> {
    for k in pick(args)? {
        for t in workspace::test_targets(&k, "loom_") {
            loom(&k, &t).run_counting()?;
        }
    }
    Ok(())
}
