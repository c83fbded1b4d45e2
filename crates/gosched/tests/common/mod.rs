//! Shared helpers: runtimes set up for deterministic order tests, a
//! recorder of run order, and the hostile tests' drop counter, waits and
//! watchdog.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gosched::{Event, Runtime};

/// One P, events recorded, and sysmon never moving the P during a poll
/// (so an OS hiccup cannot change the order under test).
pub fn one_p(ring: usize) -> Runtime {
    Runtime::builder()
        .procs(1)
        .ring_capacity(ring)
        .record_events(true)
        .retake_after(Duration::from_secs(3600))
        .time_slice(Duration::from_secs(3600))
        .build()
        .unwrap()
}

/// Records the order in which tasks ran (by the label each pushes).
#[derive(Clone, Default)]
pub struct Order(Arc<Mutex<Vec<usize>>>);

impl Order {
    pub fn push(&self, v: usize) {
        self.0.lock().unwrap().push(v);
    }
    pub fn get(&self) -> Vec<usize> {
        self.0.lock().unwrap().clone()
    }
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// The task ids of `Run` events, in order.
pub fn runs(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Run { task, .. } => Some(*task),
            _ => None,
        })
        .collect()
}

/// Go 1.19's one-P run order, as a reference model of `sched.md` (c)1–4:
/// spawn `n` tasks into (runnext, ring of `cap`, global), then run them with
/// `schedtick` starting at `tick0` (a new slice increments it; runnext
/// inherits; every 61st tick one global task first; an empty ring refills
/// `min(len, len/1 + 1, cap/2)` from the global queue, running the first).
pub fn go_one_p_order(n: usize, cap: usize, tick0: u32) -> Vec<usize> {
    use std::collections::VecDeque;
    let mut runnext: Option<usize> = None;
    let mut ring: VecDeque<usize> = VecDeque::new();
    let mut global: VecDeque<usize> = VecDeque::new();
    for g in 0..n {
        if let Some(old) = runnext.replace(g) {
            if ring.len() == cap {
                let half: Vec<usize> = ring.drain(..cap / 2).collect();
                global.extend(half);
                global.push_back(old);
            } else {
                ring.push_back(old);
            }
        }
    }
    let mut tick = tick0;
    let mut order = Vec::new();
    loop {
        if tick % 61 == 0 && !global.is_empty() {
            order.push(global.pop_front().unwrap());
            tick += 1;
            continue;
        }
        if let Some(g) = runnext.take() {
            order.push(g); // inherits the slice
            continue;
        }
        if let Some(g) = ring.pop_front() {
            order.push(g);
            tick += 1;
            continue;
        }
        if !global.is_empty() {
            let k = global.len().min(global.len() + 1).min(cap / 2);
            let first = global.pop_front().unwrap();
            for _ in 1..k {
                ring.push_back(global.pop_front().unwrap());
            }
            order.push(first);
            tick += 1;
            continue;
        }
        return order;
    }
}

/// Counts drops; panics in `drop` when asked.
pub struct Tracked {
    pub drops: Arc<AtomicUsize>,
    pub panic_on_drop: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.panic_on_drop {
            panic!("Tracked::drop");
        }
    }
}

pub fn tracked(drops: &Arc<AtomicUsize>, panic_on_drop: bool) -> Tracked {
    Tracked {
        drops: drops.clone(),
        panic_on_drop,
    }
}

/// Waits (up to 20 s, polling every 200 µs) until `done` says so.
pub fn eventually(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not within 20 s: {what}"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Aborts the process with `what` if the returned guard is not dropped
/// within `limit` (a hang is a failure, not a stuck CI job).
pub struct Watchdog(Arc<AtomicBool>);

pub fn watchdog(what: &'static str, limit: Duration) -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&done);
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            if seen.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("watchdog: {what} hung for {limit:?}");
        std::process::abort();
    });
    Watchdog(done)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The voluntary context switches of this process's threads named `name`
/// (Linux: `/proc/self/task/*/status`).
pub fn voluntary_switches(name: &str) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        total += status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    total
}

/// A connected TCP pair on loopback: (client, server side).
#[cfg(feature = "net")]
pub async fn tcp_pair() -> (gosched::net::TcpStream, gosched::net::TcpStream) {
    let ln = gosched::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let client =
        gosched::spawn(async move { gosched::net::TcpStream::connect(addr).await.unwrap() });
    let (server, _) = ln.accept().await.unwrap();
    (client.await.unwrap(), server)
}
