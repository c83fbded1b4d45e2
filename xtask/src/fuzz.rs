//! `cargo xtask fuzz [TARGET] [--secs N]`: run cargo-fuzz targets.

use crate::cmd::Cmd;
use crate::workspace;
use crate::{usage, Error};

/// Builds every fuzz target (nightly, sanitizers on).
pub fn build() -> Result<(), String> {
    Cmd::new("cargo")
        .args(["+nightly", "fuzz", "build"])
        .dir("fuzz")
        .status()
}

/// Runs one target for `secs` seconds.
pub fn run_target(target: &str, secs: &str) -> Result<(), String> {
    std::fs::create_dir_all(format!("fuzz/corpus/{target}"))
        .map_err(|e| format!("cannot create the corpus folder: {e}"))?;
    Cmd::new("cargo")
        .args([
            "+nightly",
            "fuzz",
            "run",
            target,
            "--",
            &format!("-max_total_time={secs}"),
        ])
        .dir("fuzz")
        .status()
}

const HELP: &str = "usage: cargo xtask fuzz [TARGET] [--secs N]

Builds the cargo-fuzz targets and runs each (or just TARGET) for N seconds
(default 20). Targets are the [[bin]] entries of fuzz/Cargo.toml.";

/// The `fuzz` task.
pub fn run(args: &[String]) -> Result<(), Error> {
    let mut secs = "20".to_string();
    let mut only = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--help" | "-h" => {
                println!(
                    "{HELP}\n\ntargets: {}",
                    workspace::fuzz_targets().join(", ")
                );
                return Ok(());
            }
            "--secs" => {
                secs = it
                    .next()
                    .ok_or_else(|| usage("--secs needs a number", HELP))?
                    .clone()
            }
            s if s.starts_with("--") => return Err(usage(format!("unknown flag {s}"), HELP)),
            s => only = Some(s.to_string()),
        }
    }
    if secs.parse::<u64>().is_err() {
        return Err(usage(
            format!("--secs takes whole seconds, got {secs:?}"),
            HELP,
        ));
    }
    crate::provision::nightly()?;
    crate::provision::cargo_fuzz()?;
    let all = workspace::fuzz_targets();
    let targets = match only {
        Some(t) if all.contains(&t) => vec![t],
        Some(t) => {
            return Err(usage(
                format!("no fuzz target {t:?}; targets are {}", all.join(", ")),
                HELP,
            ))
        }
        None => all,
    };
    build()?;
    for t in &targets {
        run_target(t, &secs)?;
    }
    Ok(())
}
