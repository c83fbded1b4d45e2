//! Go's gctrace line for a cycle (`GODEBUG=gctrace=1`; Go 1.19 `mgc.go`,
//! `gcMarkTermination`, and the field list in `runtime/extern.go`).
//!
//! ```text
//! gc 3 @0.120s 2%: 0.011+1.2+0.003 ms clock, 0.022+0.3/1.1/0+0.006 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P
//!    │  │      │   └ sweep term + concurrent mark + mark term (wall)
//!    │  │      │                              └ cpu: sweep term + assist/background/idle mark + mark term
//!    │  │      └ GC CPU % since start       heap at start -> at mark end -> marked ┘  goal ┘
//!    │  └ seconds since the program (here: the heap) started
//!    └ cycle number
//! ```
//!
//! Numbers are formatted exactly as Go does: times with `fmtNSAsMS` (two
//! significant digits, at most three decimals, whole milliseconds from
//! 10 ms up), the start time with `itoaDiv(ms, 3)`, sizes shifted right by
//! 20 (MiB rounded down).
//!
//! Where the figures come from ([`CycleStats`]): the cycle number and start
//! time; the GC CPU percentage (as Go's `work.totaltime`: the pauses on
//! every processor, the owning thread's and the background workers'
//! marking, not the idle workers', over processor time since the heap was
//! built); the wall clocks
//! of the first pause (`sweep_termination_pause`), of concurrent marking
//! between the pauses (`concurrent_mark`) and of the second pause
//! (`mark_termination_pause`); the CPU times of the pauses (their clocks
//! times the processors, as Go's `stwprocs` × clock), of assists (the owning
//! thread's marking, `mark_step_time`: its assists and, as the host doing
//! the collector's work, its mark steps), of the background workers
//! (`worker_time`: dedicated and fractional) and of the idle workers
//! (`idle_time`, which only the `gosched` feature's idle workers add to);
//! the heap figures, the goal, the root scan work (printed as stacks, which
//! it stands for) and the processor count (`procs`). gogc has no globals,
//! so `0 MB globals` is exact.

use core::fmt;

use crate::stats::CycleStats;

/// A cycle's gctrace line, from [`CycleStats::gctrace`]; `Display` writes
/// it without the newline.
///
/// ```
/// let heap = gogc::Heap::new();
/// let _keep = heap.alloc([0u8; 1000]);
/// heap.collect();
/// let line = heap.stats().last.gctrace().to_string();
/// assert!(line.starts_with("gc 1 @"), "{line}");
/// assert!(line.ends_with(" MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)"), "{line}");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GcTrace<'a> {
    cycle: &'a CycleStats,
}

impl CycleStats {
    /// This cycle's line as Go 1.19's `GODEBUG=gctrace=1` prints it (see
    /// [`GcTrace`]; [`HeapBuilder::gctrace`](crate::HeapBuilder::gctrace)
    /// prints it for every cycle).
    ///
    /// ```
    /// let heap = gogc::Heap::new();
    /// heap.collect();
    /// let line = heap.stats().last.gctrace().to_string();
    /// assert!(line.contains("0->0->0 MB, 4 MB goal"), "{line}");
    /// ```
    pub fn gctrace(&self) -> GcTrace<'_> {
        GcTrace { cycle: self }
    }
}

/// Room for any `u64` with a decimal point.
const BUF_LEN: usize = 24;

/// Go's `itoaDiv`: `val` in decimal with a point `dec` digits from the
/// right, written at the end of `buf`; returns the start index.
fn itoa_div(buf: &mut [u8; BUF_LEN], mut val: u64, dec: usize) -> usize {
    let mut i = BUF_LEN - 1;
    // `idec` may be "-1" in Go when dec == BUF_LEN - 1; callers pass ≤ 3.
    let idec = i - dec;
    while val >= 10 || i >= idec {
        buf[i] = b'0' + (val % 10) as u8;
        i -= 1;
        if i == idec {
            buf[i] = b'.';
            i -= 1;
        }
        val /= 10;
    }
    buf[i] = b'0' + val as u8;
    i
}

/// Go's `fmtNSAsMS`: nanoseconds as milliseconds, two significant digits
/// with at most three decimals, whole milliseconds from 10 ms.
fn fmt_ns_as_ms(f: &mut fmt::Formatter<'_>, ns: u64) -> fmt::Result {
    let mut buf = [0u8; BUF_LEN];
    let start = if ns >= 10_000_000 {
        itoa_div(&mut buf, ns / 1_000_000, 0)
    } else {
        let mut x = ns / 1000;
        if x == 0 {
            return f.write_str("0");
        }
        let mut dec = 3;
        while x >= 100 {
            x /= 10;
            dec -= 1;
        }
        itoa_div(&mut buf, x, dec)
    };
    write_ascii(f, &buf[start..])
}

fn write_ascii(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for &byte in bytes {
        fmt::Write::write_char(f, char::from(byte))?;
    }
    Ok(())
}

fn saturating_nanos(time: core::time::Duration) -> u64 {
    u64::try_from(time.as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Display for GcTrace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.cycle;
        write!(f, "gc {} @", c.number)?;
        let mut buf = [0u8; BUF_LEN];
        let start_ms = saturating_nanos(c.start_time) / 1_000_000;
        let at = itoa_div(&mut buf, start_ms, 3);
        write_ascii(f, &buf[at..])?;
        write!(f, "s {}%: ", c.gc_cpu_percent)?;
        // Clock: sweep termination, concurrent mark, mark termination.
        let sweep_term = saturating_nanos(c.sweep_termination_pause);
        let mark_term = saturating_nanos(c.mark_termination_pause);
        for (i, ns) in [sweep_term, saturating_nanos(c.concurrent_mark), mark_term]
            .into_iter()
            .enumerate()
        {
            if i != 0 {
                f.write_str("+")?;
            }
            fmt_ns_as_ms(f, ns)?;
        }
        f.write_str(" ms clock, ")?;
        // CPU: sweep termination, assist (the owning thread's marking),
        // background (dedicated and fractional workers), idle workers, mark
        // termination. Go
        // charges a pause to every processor it stops.
        let procs = u64::from(c.procs.max(1));
        let cpu = [
            sweep_term.saturating_mul(procs),
            saturating_nanos(c.mark_step_time),
            saturating_nanos(c.worker_time),
            saturating_nanos(c.idle_time),
            mark_term.saturating_mul(procs),
        ];
        for (i, ns) in cpu.into_iter().enumerate() {
            if i == 2 || i == 3 {
                f.write_str("/")?;
            } else if i != 0 {
                f.write_str("+")?;
            }
            fmt_ns_as_ms(f, ns)?;
        }
        write!(
            f,
            " ms cpu, {}->{}->{} MB, {} MB goal, {} MB stacks, 0 MB globals, {} P",
            c.heap_start_bytes >> 20,
            c.heap_end_bytes >> 20,
            c.marked_bytes >> 20,
            c.goal_bytes >> 20,
            c.root_scan_work >> 20,
            c.procs,
        )?;
        if c.forced {
            f.write_str(" (forced)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use core::time::Duration;

    struct Ms(u64);

    impl fmt::Display for Ms {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt_ns_as_ms(f, self.0)
        }
    }

    fn ms(ns: u64) -> String {
        Ms(ns).to_string()
    }

    /// `fmtNSAsMS` on the values of Go's own lines and its edge cases.
    #[test]
    fn milliseconds_as_go_formats_them() {
        assert_eq!(ms(0), "0");
        assert_eq!(ms(999), "0");
        assert_eq!(ms(11_000), "0.011");
        assert_eq!(ms(3_000), "0.003");
        assert_eq!(ms(99_999), "0.099");
        assert_eq!(ms(100_000), "0.10");
        assert_eq!(ms(1_234_567), "1.2");
        assert_eq!(ms(9_999_999), "9.9");
        assert_eq!(ms(10_000_000), "10");
        assert_eq!(ms(123_456_789), "123");
    }

    /// `itoaDiv(ms, 3)` for the start time.
    #[test]
    fn start_time_as_go_formats_it() {
        let mut buf = [0u8; BUF_LEN];
        for (ms, want) in [
            (0, "0.000"),
            (120, "0.120"),
            (5, "0.005"),
            (61_234, "61.234"),
        ] {
            let at = itoa_div(&mut buf, ms, 3);
            assert_eq!(&buf[at..], want.as_bytes());
        }
    }

    /// A decimal as Go prints it ("0.120", "2.2", "10") in units of
    /// `10^-scale`: ("2.2", 6) is 2_200_000.
    fn decimal(text: &str, scale: u32) -> u64 {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let frac_len = u32::try_from(frac.len()).unwrap();
        let mut value = int.parse::<u64>().unwrap() * 10u64.pow(scale);
        if !frac.is_empty() {
            value += frac.parse::<u64>().unwrap() * 10u64.pow(scale - frac_len);
        }
        value
    }

    /// The cycle behind one of Go's gctrace lines, as far as gogc's fields
    /// go: the heap figures in whole MiB plus 1 MiB − 1 bytes (what Go's
    /// `>> 20` drops), or exactly where the pacer line gives them.
    fn cycle_of(line: &str, exact: Option<(u64, u64)>) -> CycleStats {
        let words: Vec<&str> = line.split(' ').collect();
        let mb = |text: &str| (text.parse::<u64>().unwrap() << 20) + (1 << 20) - 1;
        let heaps: Vec<&str> = words[10].split("->").collect();
        let clock: Vec<&str> = words[4].split('+').collect();
        // "0.029+1.3/0.5/0+0.015": assist, background and idle time are the
        // second figure.
        let marking: Vec<&str> = words[7].split('+').nth(1).unwrap().split('/').collect();
        let (heap_end_bytes, goal_bytes) = exact.unwrap_or((mb(heaps[1]), mb(words[12])));
        CycleStats {
            number: words[1].parse().unwrap(),
            start_time: Duration::from_millis(decimal(
                words[2].trim_start_matches('@').trim_end_matches('s'),
                3,
            )),
            sweep_termination_pause: Duration::from_nanos(decimal(clock[0], 6)),
            concurrent_mark: Duration::from_nanos(decimal(clock[1], 6)),
            mark_termination_pause: Duration::from_nanos(decimal(clock[2], 6)),
            mark_step_time: Duration::from_nanos(decimal(marking[0], 6)),
            worker_time: Duration::from_nanos(decimal(marking[1], 6)),
            idle_time: Duration::from_nanos(decimal(marking[2], 6)),
            gc_cpu_percent: words[3].trim_end_matches("%:").parse().unwrap(),
            heap_start_bytes: mb(heaps[0]),
            heap_end_bytes,
            marked_bytes: mb(heaps[2]),
            goal_bytes,
            procs: words[21].parse().unwrap(),
            forced: line.ends_with("(forced)"),
            ..CycleStats::default()
        }
    }

    /// Lines Go 1.19 printed (tests/data/pacer_trace, recorded by
    /// tests/go/pacer_trace/record.sh), formatted back from their numbers.
    #[test]
    fn golden_lines_from_go() {
        let trace = include_str!("../tests/data/pacer_trace/gogc100_p1.txt");
        let mut exact = None;
        let mut lines = 0;
        for line in trace.lines() {
            if let Some((_, rest)) = line.split_once(" B -> ") {
                // "... in T B -> L B (∆goal D, ...": heap at mark end and goal.
                let live: u64 = rest.split(' ').next().unwrap().parse().unwrap();
                let delta = rest.split_once("(∆goal ").unwrap().1;
                let delta: i64 = delta.split(',').next().unwrap().parse().unwrap();
                exact = Some((live, live.checked_add_signed(-delta).unwrap()));
            } else if line.starts_with("gc ") {
                let cycle = cycle_of(line, exact.take());
                assert_eq!(cycle.gctrace().to_string(), line);
                lines += 1;
            }
        }
        assert_eq!(lines, 20);
        let forced = include_str!("../tests/data/pacer_trace/forced.txt");
        let mut forced_lines = 0;
        for line in forced.lines().filter(|line| line.starts_with("gc ")) {
            let cycle = cycle_of(line, None);
            assert_eq!(cycle.forced, line.ends_with(" (forced)"));
            assert_eq!(cycle.gctrace().to_string(), line);
            forced_lines += usize::from(cycle.forced);
        }
        assert_eq!(forced_lines, 2);
    }

    #[test]
    fn a_whole_line() {
        let cycle = CycleStats {
            number: 3,
            start_time: Duration::from_millis(120),
            sweep_termination_pause: Duration::from_micros(11),
            concurrent_mark: Duration::from_micros(1_234),
            mark_termination_pause: Duration::from_nanos(3_500),
            mark_step_time: Duration::from_micros(901),
            worker_time: Duration::from_micros(2_050),
            gc_cpu_percent: 7,
            heap_start_bytes: 4 << 20,
            heap_end_bytes: (5 << 20) + 12345,
            marked_bytes: (2 << 20) + (1 << 20) - 1,
            goal_bytes: 5 << 20,
            procs: 2,
            ..CycleStats::default()
        };
        assert_eq!(
            cycle.gctrace().to_string(),
            "gc 3 @0.120s 7%: 0.011+1.2+0.003 ms clock, 0.022+0.90/2.0/0+0.007 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P"
        );
        let forced = CycleStats {
            forced: true,
            ..cycle
        };
        assert!(forced.gctrace().to_string().ends_with("2 P (forced)"));
    }
}
