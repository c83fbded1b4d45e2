//! Installing what a fresh machine lacks: rustup targets and components, the
//! nightly toolchain with Miri, cargo-fuzz, and (as root) Debian packages.
//! Each function either makes its tool available or fails with the exact
//! command to run by hand.

use std::path::Path;

use crate::cmd::Cmd;

/// Targets the CI builds or tests for.
pub const TARGETS: [&str; 4] = [
    "thumbv7em-none-eabihf",
    "thumbv6m-none-eabi",
    "riscv32imc-unknown-none-elf",
    "i686-unknown-linux-gnu",
];

/// Debian packages the CI needs: 32-bit C runtime for i686 tests, the Go
/// 1.19 toolchain for the Go oracles, qemu-user to run arm/arm64 Go binaries.
const DEBIAN: [(&str, &str); 4] = [
    (
        "gcc-multilib",
        "/usr/lib/gcc/x86_64-linux-gnu/12/32/crtbegin.o",
    ),
    ("golang-1.19-go", "/usr/lib/go-1.19/bin/go"),
    ("golang-1.19-src", "/usr/lib/go-1.19/src/runtime/map.go"),
    ("qemu-user", "/usr/bin/qemu-aarch64"),
];

/// Stable targets and components.
pub fn stable() -> Result<(), String> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .output()?;
    let missing: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if !missing.is_empty() {
        Cmd::new("rustup")
            .args(["target", "add"])
            .args(&missing)
            .status()?;
    }
    let comps = Cmd::new("rustup")
        .args(["component", "list", "--installed"])
        .output()?;
    for c in ["rustfmt", "clippy"] {
        if !comps.lines().any(|l| l.starts_with(c)) {
            Cmd::new("rustup").args(["component", "add", c]).status()?;
        }
    }
    Ok(())
}

/// The nightly toolchain with Miri and the standard library's source.
pub fn nightly() -> Result<(), String> {
    let toolchains = Cmd::new("rustup").args(["toolchain", "list"]).output()?;
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        Cmd::new("rustup")
            .args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
                "--component",
                "miri,rust-src",
            ])
            .status()?;
    }
    let comps = Cmd::new("rustup")
        .args(["+nightly", "component", "list", "--installed"])
        .output()?;
    for c in ["miri", "rust-src"] {
        if !comps.lines().any(|l| l.starts_with(c)) {
            Cmd::new("rustup")
                .args(["+nightly", "component", "add", c])
                .status()?;
        }
    }
    if !Cmd::new("cargo")
        .args(["+nightly", "miri", "setup"])
        .succeeds_quietly()
    {
        return Err(
            "Miri's sysroot could not be built; run `cargo +nightly miri setup` to see why".into(),
        );
    }
    Ok(())
}

/// cargo-fuzz.
pub fn cargo_fuzz() -> Result<(), String> {
    if Cmd::new("cargo")
        .args(["fuzz", "--version"])
        .succeeds_quietly()
    {
        return Ok(());
    }
    Cmd::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
}

/// Debian packages, installed with apt-get when running as root.
pub fn debian() -> Result<(), String> {
    let missing: Vec<&str> = DEBIAN
        .iter()
        .filter(|(_, probe)| !Path::new(probe).exists())
        .map(|(p, _)| *p)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let install = format!("apt-get update && apt-get install -y {}", missing.join(" "));
    let root = Cmd::new("id")
        .args(["-u"])
        .output()
        .map(|s| s.trim() == "0")
        .unwrap_or(false);
    if !root {
        return Err(format!("missing Debian packages; run as root: {install}"));
    }
    Cmd::new("apt-get")
        .args(["update", "-qq"])
        .status()
        .map_err(|e| format!("{e}; run: {install}"))?;
    Cmd::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("{e}; run: {install}"))
}

/// The Go 1.19 binary: `$GORT_GO`, Debian's `/usr/lib/go-1.19/bin/go`, or a
/// `go` on `PATH` that reports version 1.19.
pub fn go() -> Option<String> {
    if let Some(g) = std::env::var_os("GORT_GO").and_then(|g| g.into_string().ok()) {
        return Some(g);
    }
    let debian = "/usr/lib/go-1.19/bin/go";
    if Path::new(debian).exists() {
        return Some(debian.to_string());
    }
    let v = Cmd::new("go").args(["version"]).output().ok()?;
    v.contains("go1.19").then(|| "go".to_string())
}

/// A pinned toolchain such as `1.81` (for the MSRV checks).
pub fn toolchain(version: &str) -> Result<(), String> {
    let toolchains = Cmd::new("rustup").args(["toolchain", "list"]).output()?;
    if toolchains
        .lines()
        .any(|l| l.starts_with(&format!("{version}-")) || l.starts_with(&format!("{version} ")))
    {
        return Ok(());
    }
    Cmd::new("rustup")
        .args(["toolchain", "install", version, "--profile", "minimal"])
        .status()
}
