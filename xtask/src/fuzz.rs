//! `cargo xtask fuzz [TARGET] [--secs N]`: run cargo-fuzz targets.

use crate::cmd::Cmd;
use crate::workspace;

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

/// The `fuzz` task.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut secs = "20".to_string();
    let mut only = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--secs" => secs = it.next().ok_or("--secs needs a number")?.clone(),
            s if s.starts_with("--") => return Err(format!("unknown flag {s}")),
            s => only = Some(s.to_string()),
        }
    }
    if secs.parse::<u64>().is_err() {
        return Err(format!("--secs takes whole seconds, got {secs:?}"));
    }
    crate::provision::nightly()?;
    crate::provision::cargo_fuzz()?;
    let all = workspace::fuzz_targets();
    let targets = match only {
        Some(t) if all.contains(&t) => vec![t],
        Some(t) => {
            return Err(format!(
                "no fuzz target {t:?}; targets are {}",
                all.join(", ")
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
