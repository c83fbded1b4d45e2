//! What the slowest inserts into a growing `GoMap` do (Linux).
//!
//! Inserts `N` random `u64` keys (default 8M, the tail-latency bench's
//! size) into an empty map, timing each one, and records for every insert
//! the page faults and context switches it took (`getrusage` around it),
//! the time spent inside the allocator, and whether it started or did
//! evacuation work. It prints the slowest inserts, the slowest of those
//! that neither faulted nor lost the CPU, and what `/proc/vmstat` says
//! about huge pages and memory compaction over the run. The README's
//! "Insert latency, 8M" paragraph quotes its output.
//!
//! Run: `cargo run --release -p gomap --example insert_spikes [N]`

#[cfg(target_os = "linux")]
mod probe {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::time::Instant;

    use gomap::GoMap;

    /// Nanoseconds spent inside the allocator so far.
    static ALLOC_NS: AtomicU64 = AtomicU64::new(0);

    /// The system allocator, timed.
    struct TimedAlloc;

    fn timed<T>(f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        ALLOC_NS.fetch_add(t.elapsed().as_nanos() as u64, Relaxed);
        r
    }

    // SAFETY: every method forwards to `System` with the caller's arguments
    // unchanged; the timer only observes.
    unsafe impl GlobalAlloc for TimedAlloc {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            // SAFETY: forwarded as is.
            timed(|| unsafe { System.alloc(l) })
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            // SAFETY: forwarded as is.
            timed(|| unsafe { System.alloc_zeroed(l) })
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            // SAFETY: forwarded as is.
            timed(|| unsafe { System.dealloc(p, l) })
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            // SAFETY: forwarded as is.
            timed(|| unsafe { System.realloc(p, l, new) })
        }
    }

    #[global_allocator]
    static A: TimedAlloc = TimedAlloc;

    /// Minor faults and context switches (voluntary + involuntary) so far.
    fn usage() -> (i64, i64) {
        // SAFETY: `rusage` is plain integers; all zeroes is a valid value.
        let mut r: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `r` is a valid, writable `rusage`.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) };
        assert_eq!(rc, 0, "getrusage failed");
        // `c_long`: 32 bits on some targets.
        (r.ru_minflt as i64, (r.ru_nvcsw + r.ru_nivcsw) as i64)
    }

    /// The `/proc/vmstat` counters that tell huge page faults and
    /// compaction stalls apart.
    const VMSTAT: [&str; 4] = [
        "thp_fault_alloc",
        "thp_fault_fallback",
        "compact_stall",
        "compact_fail",
    ];

    fn vmstat() -> Vec<u64> {
        let text = std::fs::read_to_string("/proc/vmstat").unwrap_or_default();
        VMSTAT
            .iter()
            .map(|name| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
                    .unwrap_or(0)
            })
            .collect()
    }

    /// One timed insert.
    #[derive(Clone, Copy)]
    struct Insert {
        index: usize,
        ns: u64,
        alloc_ns: u64,
        faults: i64,
        switches: i64,
        /// The insert started a grow.
        started_grow: bool,
        /// A grow was in progress (so this insert evacuated buckets).
        evacuated: bool,
        b: u8,
    }

    impl std::fmt::Display for Insert {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let what = if self.started_grow {
                "started a grow"
            } else if self.evacuated {
                "evacuated"
            } else {
                "no growth work"
            };
            write!(
                f,
                "insert #{}: {} ns, {} ns in the allocator, {} minor faults, {} context switches, {what}, B = {}",
                self.index, self.ns, self.alloc_ns, self.faults, self.switches, self.b
            )
        }
    }

    /// Keeps the `n` slowest inserts offered to it.
    struct Slowest(Vec<Insert>, usize);

    impl Slowest {
        fn offer(&mut self, x: Insert) {
            if self.0.len() < self.1 || x.ns > self.0[self.0.len() - 1].ns {
                self.0.push(x);
                self.0.sort_by_key(|x| std::cmp::Reverse(x.ns));
                self.0.truncate(self.1);
            }
        }
    }

    pub fn run(n: usize) {
        let mut rng = gocore::rand::FastRand::new(3);
        let keys: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        let mut ns = Vec::with_capacity(n);
        let mut slowest = Slowest(Vec::new(), 10);
        let mut quiet = Slowest(Vec::new(), 5);
        let mut faulting = Vec::new();
        let before = vmstat();
        let mut m = GoMap::new();
        for (i, &k) in keys.iter().enumerate() {
            let growing = m.stats().growing;
            let (f0, s0) = usage();
            let a0 = ALLOC_NS.load(Relaxed);
            let t = Instant::now();
            m.insert(k, i as u64);
            let dt = t.elapsed().as_nanos() as u64;
            let (f1, s1) = usage();
            let stats = m.stats();
            let x = Insert {
                index: i,
                ns: dt,
                alloc_ns: ALLOC_NS.load(Relaxed) - a0,
                faults: f1 - f0,
                switches: s1 - s0,
                started_grow: !growing && stats.growing,
                evacuated: growing,
                b: stats.b,
            };
            ns.push(dt);
            slowest.offer(x);
            if x.faults == 0 && x.switches == 0 {
                quiet.offer(x);
            } else if x.switches == 0 {
                faulting.push(dt);
            }
        }
        let after = vmstat();
        ns.sort_unstable();
        let rank = |p: f64| ns[((n as f64 * p).ceil() as usize).clamp(1, n) - 1];
        println!(
            "{n} inserts: p50 {} ns, p99 {}, p99.9 {}, p99.99 {}, max {}",
            rank(0.5),
            rank(0.99),
            rank(0.999),
            rank(0.9999),
            ns[n - 1]
        );
        for (name, (a, b)) in VMSTAT.iter().zip(before.iter().zip(&after)) {
            println!("  /proc/vmstat {name}: +{}", b - a);
        }
        faulting.sort_unstable();
        if let Some(&worst) = faulting.last() {
            let over_1ms = faulting.iter().filter(|&&t| t > 1_000_000).count();
            println!(
                "inserts that faulted (and kept the CPU): {}, median {} ns, max {worst}, over 1 ms: {over_1ms}",
                faulting.len(),
                faulting[faulting.len() / 2],
            );
        }
        println!("slowest inserts:");
        for x in &slowest.0 {
            println!("  {x}");
        }
        println!("slowest inserts that neither faulted nor lost the CPU:");
        for x in &quiet.0 {
            println!("  {x}");
        }
    }
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N: a number of inserts"))
        .unwrap_or(8_000_000);
    #[cfg(target_os = "linux")]
    probe::run(n);
    #[cfg(not(target_os = "linux"))]
    println!("{n} inserts: this probe reads getrusage and /proc/vmstat, so Linux only");
}
