//! A layout check of a Go package, as a Go team runs `fieldalignment` in CI:
//! every struct of the package laid out on a 64-bit and a 32-bit arch, the
//! structs that could be smaller, and 64-bit fields used with `sync/atomic`
//! that a 32-bit build would misalign.
//!
//! The package is embedded so the example runs anywhere; the `golayout`
//! command does the same for files and directories on disk.
//!
//! Run: `cargo run -p golayout --example check_package`

use golayout::{analyze_type, atomic64_check, Arch, GoType, Program, TypeName};

const PACKAGE: &str = r#"
package metrics

import (
    "sync"
    "sync/atomic"
    "time"
)

// Counter is bumped with sync/atomic from many goroutines.
type Counter struct {
    enabled bool
    hits    uint64
    name    string
}

func (c *Counter) Inc() { atomic.AddUint64(&c.hits, 1) }

type Sample struct {
    ok    bool
    at    time.Time
    code  int16
    value float64
    tag   byte
}

type Registry struct {
    mu       sync.Mutex
    counters map[string]*Counter
    samples  []Sample
}
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut prog = Program::with_stdlib();
    let pkg = prog.add_source("example.com/metrics", "metrics.go", PACKAGE)?;
    let names: Vec<String> = prog.packages()[pkg]
        .type_decls(Arch::Amd64)
        .iter()
        .map(|(_, d)| d.name.clone())
        .collect();

    let mut findings = Vec::new();
    for arch in [Arch::Amd64, Arch::I386] {
        let mut resolver = prog.resolver(arch);
        // Fields the package's code passes to 64-bit sync/atomic functions,
        // by owning type: `&c.hits` in a method of *Counter.
        let uses = resolver.atomic_uses(pkg);
        for name in &names {
            let t = resolver.resolve(pkg, name)?;
            if !matches!(t, GoType::Named(_) | GoType::Struct(_)) {
                continue;
            }
            let r = analyze_type(&t, arch)?;
            println!(
                "{arch:<5} {name:<8} size {:>3}  padding {:>2}  could be {:>3}",
                r.layout.info.size,
                r.padding_bytes(),
                r.optimal_size
            );
            if r.saving() > 0 {
                findings.push(format!(
                    "{arch}: {name}: struct of size {} could be {}",
                    r.layout.info.size, r.optimal_size
                ));
            }
            let used = uses.get(&TypeName::new("example.com/metrics", name));
            for w in atomic64_check(&t, arch, &|p: &str| used.is_some_and(|u| u.contains(p)))? {
                findings.push(format!(
                    "{arch}: {name}.{} is used with 64-bit atomics at offset {}, not 8-aligned",
                    w.path, w.offset
                ));
            }
        }
    }
    println!();
    for f in &findings {
        println!("{f}");
    }
    // Sample wastes bytes on both arches; Counter.hits sits at offset 4 on 386.
    assert!(findings
        .iter()
        .any(|f| f.starts_with("amd64: Sample: struct of size 56")));
    assert!(findings
        .iter()
        .any(|f| f.starts_with("386: Counter.hits is used with 64-bit atomics at offset 4")));
    Ok(())
}
