//! The benchmark harness shared by every `benches/benches/<crate>.rs`.
//!
//! Each bench binary builds a [`Suite`], records rows, and calls
//! [`Suite::finish`], which prints a table and appends tab-separated rows to
//! `target/bench-results/<suite>.tsv`. `cargo xtask bench` runs every binary
//! (and, with `--go`, the Go programs under `benches/go/`, which print the same
//! row format) and turns the rows into `target/bench-report.md`, where each
//! group compares our implementation (the subject named first) with its peers.
//!
//! Row format, one per line:
//!
//! ```text
//! suite <TAB> group <TAB> subject <TAB> value <TAB> unit <TAB> higher|lower
//! ```
//!
//! `higher` means a larger value is better (throughput), `lower` that a smaller
//! one is (latency, bytes). The ratio column in the report is always oriented
//! so that above 1.00 means ours is better.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Whether a larger or a smaller value wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Throughput-like: larger wins.
    Higher,
    /// Latency- or memory-like: smaller wins.
    Lower,
}

/// One measured value.
#[derive(Clone, Debug)]
pub struct Row {
    /// What is measured, e.g. `insert u64 1M`.
    pub group: String,
    /// Who is measured, e.g. `gomap` or `hashbrown`.
    pub subject: String,
    /// The measurement.
    pub value: f64,
    /// Its unit, e.g. `Mops/s`.
    pub unit: String,
    /// Which direction wins.
    pub better: Better,
}

/// A named set of rows, written out by [`Suite::finish`].
pub struct Suite {
    name: String,
    quick: bool,
    rows: Vec<Row>,
}

impl Suite {
    /// Creates a suite. `--quick` on the command line, or `GORT_BENCH_QUICK=1`,
    /// asks for smaller sizes (used by `cargo xtask bench --quick`).
    pub fn new(name: &str) -> Self {
        let quick = std::env::args().any(|a| a == "--quick")
            || std::env::var_os("GORT_BENCH_QUICK").is_some_and(|v| v == "1");
        Suite {
            name: name.to_string(),
            quick,
            rows: Vec::new(),
        }
    }

    /// Whether to run the quick (smaller) variant.
    pub fn quick(&self) -> bool {
        self.quick
    }

    /// Picks `full` normally and `quick` under `--quick`.
    pub fn size(&self, full: usize, quick: usize) -> usize {
        if self.quick {
            quick
        } else {
            full
        }
    }

    /// Records an arbitrary value.
    pub fn record(&mut self, group: &str, subject: &str, value: f64, unit: &str, better: Better) {
        eprintln!("  {group:<40} {subject:<22} {value:>14.3} {unit}");
        self.rows.push(Row {
            group: group.into(),
            subject: subject.into(),
            value,
            unit: unit.into(),
            better,
        });
    }

    /// Times `f`, which performs `ops` operations, best of `reps` runs, and
    /// records millions of operations per second. `setup` runs before each
    /// repetition, untimed, and its output is handed to `f`.
    pub fn throughput<S, T>(
        &mut self,
        group: &str,
        subject: &str,
        ops: u64,
        reps: usize,
        mut setup: impl FnMut() -> S,
        mut f: impl FnMut(S) -> T,
    ) {
        let mut best = Duration::MAX;
        for _ in 0..reps.max(1) {
            let input = setup();
            let start = Instant::now();
            let out = f(input);
            let took = start.elapsed();
            black_box(out);
            best = best.min(took);
        }
        let mops = ops as f64 / best.as_secs_f64() / 1e6;
        self.record(group, subject, mops, "Mops/s", Better::Higher);
    }

    /// Prints the table and appends the rows to `target/bench-results/<suite>.tsv`.
    pub fn finish(self) {
        let dir = results_dir();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("bench: cannot create {}: {e}", dir.display());
            std::process::exit(1);
        }
        let path = dir.join(format!("{}.tsv", self.name));
        let mut text = String::new();
        for r in &self.rows {
            let better = if r.better == Better::Higher {
                "higher"
            } else {
                "lower"
            };
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{}\t{}\t{}",
                self.name, r.group, r.subject, r.value, r.unit, better
            );
        }
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            eprintln!("bench: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        eprintln!("bench: {} rows -> {}", self.rows.len(), path.display());
    }
}

/// `target/bench-results`, or `$GORT_BENCH_RESULTS` when set.
pub fn results_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("GORT_BENCH_RESULTS") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("bench-results")
}

/// Percentiles of a set of latency samples (nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest sample.
    pub max: f64,
}

/// Sorts `samples` and returns their percentiles (nearest rank); all zero when empty.
pub fn percentiles(samples: &mut [u64]) -> Percentiles {
    if samples.is_empty() {
        return Percentiles {
            p50: 0.0,
            p99: 0.0,
            p999: 0.0,
            max: 0.0,
        };
    }
    samples.sort_unstable();
    let at = |q: f64| {
        samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1] as f64
    };
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max: samples[samples.len() - 1] as f64,
    }
}

/// Bytes currently allocated through [`CountingAlloc`], for memory rows.
pub fn allocated_bytes() -> usize {
    counting::ALLOCATED.load(std::sync::atomic::Ordering::Relaxed)
}

pub use counting::CountingAlloc;

mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub(crate) static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

    /// A global allocator that counts live bytes. A bench binary installs it with
    /// `#[global_allocator] static A: gort_benches::CountingAlloc = gort_benches::CountingAlloc;`
    /// and reads [`super::allocated_bytes`] before and after building a structure.
    pub struct CountingAlloc;

    // SAFETY: every method forwards to `System` with the caller's arguments
    // unchanged, so `System`'s guarantees carry over; the counter only observes.
    unsafe impl GlobalAlloc for CountingAlloc {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
            }
            p
        }

        // Forwarded too (the default would be `alloc` plus a memset): a
        // zeroed allocation from the system can be fresh zero pages that
        // nobody touches until used, and the bench must see that cost, not
        // the memset's.
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded as is; the caller upholds `alloc_zeroed`'s contract.
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
            // SAFETY: forwarded as is; `ptr` came from `alloc` with `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
                ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
            }
            p
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<u64> = (1..=1000).rev().collect();
        let p = percentiles(&mut v);
        assert_eq!((p.p50, p.p99, p.p999, p.max), (500.0, 990.0, 999.0, 1000.0));
        assert_eq!(percentiles(&mut []).max, 0.0);
    }
}

/// The root README's Rust examples run as doctests here.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct RootReadmeDoctests;
