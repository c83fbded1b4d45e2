//! gochan benches: crossbeam-channel's benchmark workloads (its
//! `benchmarks/README.md`), against crossbeam-channel, flume, kanal and
//! `std::sync::mpsc::sync_channel`; async against tokio's mpsc and async-channel.
//!
//! Dimensions: capacity (0, 1, 1024) × workload × implementation, messages
//! of `usize`:
//! - `seq`: one thread sends a buffer-full then receives it, repeatedly (buffered only);
//! - `spsc`: one sender thread, one receiver thread;
//! - `mpsc`: 4 sender threads, one receiver;
//! - `mpmc`: 4 senders, 4 receivers;
//! - `select_rx`: 4 senders on 4 channels, one receiver selecting over all 4;
//! - `select_both`: 4 threads selecting a send over 4 channels, 4 selecting a receive;
//! - `pingpong`: round trips over two unbuffered channels (latency, ns);
//! - `async spsc`/`async mpsc` on a 2-worker tokio runtime.
//!
//! `N` = 5,000,000 messages for capacity 1024 and 100,000 for capacities 0
//! and 1 (crossbeam and std park the thread on nearly every message there,
//! about 10–20 µs each, which would take many minutes at 5M); `--quick` uses
//! 100,000 and 2,000. Each row is the best of `REPS` = 5 runs. `--only WORD`
//! runs only the groups containing WORD.
//! Also records the heap size of an empty channel.

use std::hint::black_box;
use std::thread;
use std::time::Instant;

use gort_benches::{Better, Suite};

const THREADS: usize = 4;

/// Runs per row, best kept: on a 2-core host the threaded workloads vary 2-4x
/// from run to run with scheduling, for every channel alike.
const REPS: usize = 5;

/// A channel implementation under test.
trait Flavor {
    const NAME: &'static str;
    /// Whether receivers can be cloned (mpmc).
    const MPMC: bool = true;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn new(cap: usize) -> (Self::Tx, Self::Rx);
    fn tx_clone(tx: &Self::Tx) -> Self::Tx;
    fn rx_clone(rx: &Self::Rx) -> Self::Rx;
    fn send(tx: &Self::Tx, v: usize);
    fn recv(rx: &Self::Rx) -> usize;
}

struct Go;
impl Flavor for Go {
    const NAME: &'static str = "gochan";
    type Tx = gochan::Chan<usize>;
    type Rx = gochan::Chan<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        let c = gochan::Chan::new(cap);
        (c.clone(), c)
    }
    fn tx_clone(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn rx_clone(rx: &Self::Rx) -> Self::Rx {
        rx.clone()
    }
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

struct Cb;
impl Flavor for Cb {
    const NAME: &'static str = "crossbeam-channel";
    type Tx = crossbeam_channel::Sender<usize>;
    type Rx = crossbeam_channel::Receiver<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(cap)
    }
    fn tx_clone(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn rx_clone(rx: &Self::Rx) -> Self::Rx {
        rx.clone()
    }
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

struct Flume;
impl Flavor for Flume {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<usize>;
    type Rx = flume::Receiver<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(cap)
    }
    fn tx_clone(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn rx_clone(rx: &Self::Rx) -> Self::Rx {
        rx.clone()
    }
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

struct Kanal;
impl Flavor for Kanal {
    const NAME: &'static str = "kanal";
    type Tx = kanal::Sender<usize>;
    type Rx = kanal::Receiver<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded(cap)
    }
    fn tx_clone(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn rx_clone(rx: &Self::Rx) -> Self::Rx {
        rx.clone()
    }
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

struct Std;
impl Flavor for Std {
    const NAME: &'static str = "std sync_channel";
    const MPMC: bool = false;
    type Tx = std::sync::mpsc::SyncSender<usize>;
    type Rx = std::sync::mpsc::Receiver<usize>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        std::sync::mpsc::sync_channel(cap)
    }
    fn tx_clone(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn rx_clone(_: &Self::Rx) -> Self::Rx {
        unreachable!("std's Receiver is single-consumer")
    }
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &Self::Rx) -> usize {
        rx.recv().unwrap()
    }
}

fn seq<F: Flavor>(cap: usize, n: usize) -> usize {
    let (tx, rx) = F::new(cap);
    let mut acc = 0;
    let mut sent = 0;
    while sent < n {
        let k = cap.min(n - sent);
        for i in 0..k {
            F::send(&tx, i);
        }
        for _ in 0..k {
            acc += F::recv(&rx);
        }
        sent += k;
    }
    acc
}

fn spsc<F: Flavor>(cap: usize, n: usize) -> usize {
    let (tx, rx) = F::new(cap);
    thread::scope(|s| {
        s.spawn(move || {
            for i in 0..n {
                F::send(&tx, i);
            }
        });
        let mut acc = 0;
        for _ in 0..n {
            acc += F::recv(&rx);
        }
        acc
    })
}

fn mpsc<F: Flavor>(cap: usize, n: usize) -> usize {
    let (tx, rx) = F::new(cap);
    thread::scope(|s| {
        for _ in 0..THREADS {
            let tx = F::tx_clone(&tx);
            s.spawn(move || {
                for i in 0..n / THREADS {
                    F::send(&tx, i);
                }
            });
        }
        let mut acc = 0;
        for _ in 0..n / THREADS * THREADS {
            acc += F::recv(&rx);
        }
        acc
    })
}

fn mpmc<F: Flavor>(cap: usize, n: usize) -> usize {
    let (tx, rx) = F::new(cap);
    thread::scope(|s| {
        for _ in 0..THREADS {
            let tx = F::tx_clone(&tx);
            s.spawn(move || {
                for i in 0..n / THREADS {
                    F::send(&tx, i);
                }
            });
        }
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                let rx = F::rx_clone(&rx);
                s.spawn(move || {
                    let mut acc = 0;
                    for _ in 0..n / THREADS {
                        acc += F::recv(&rx);
                    }
                    acc
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// The best of [`REPS`] ping-pong runs, ns per round trip.
fn pingpong<F: Flavor>(rounds: usize) -> f64 {
    (0..REPS)
        .map(|_| pingpong_once::<F>(rounds))
        .fold(f64::INFINITY, f64::min)
}

fn pingpong_once<F: Flavor>(rounds: usize) -> f64 {
    let (tx1, rx1) = F::new(0);
    let (tx2, rx2) = F::new(0);
    thread::scope(|s| {
        s.spawn(move || {
            for _ in 0..rounds {
                let v = F::recv(&rx1);
                F::send(&tx2, v + 1);
            }
        });
        let start = Instant::now();
        for i in 0..rounds {
            F::send(&tx1, i);
            black_box(F::recv(&rx2));
        }
        start.elapsed().as_nanos() as f64 / rounds as f64
    })
}

fn run_flavor<F: Flavor>(s: &mut Suite, cap: usize, n: usize) {
    let reps = REPS;
    if cap > 0 {
        s.throughput(
            &format!("seq cap={cap}"),
            F::NAME,
            n as u64,
            reps,
            || (),
            |_| seq::<F>(cap, n),
        );
    }
    s.throughput(
        &format!("spsc cap={cap}"),
        F::NAME,
        n as u64,
        reps,
        || (),
        |_| spsc::<F>(cap, n),
    );
    s.throughput(
        &format!("mpsc cap={cap}"),
        F::NAME,
        n as u64,
        reps,
        || (),
        |_| mpsc::<F>(cap, n),
    );
    if F::MPMC {
        s.throughput(
            &format!("mpmc cap={cap}"),
            F::NAME,
            n as u64,
            reps,
            || (),
            |_| mpmc::<F>(cap, n),
        );
    }
}

fn select_rx_go(cap: usize, n: usize) -> usize {
    let chans: Vec<gochan::Chan<usize>> = (0..THREADS).map(|_| gochan::Chan::new(cap)).collect();
    thread::scope(|s| {
        for c in &chans {
            s.spawn(move || {
                for i in 0..n / THREADS {
                    c.send(i).unwrap();
                }
            });
        }
        let mut acc = 0;
        for _ in 0..n / THREADS * THREADS {
            acc += gochan::select! {
                recv(chans[0]) -> v => v.unwrap(),
                recv(chans[1]) -> v => v.unwrap(),
                recv(chans[2]) -> v => v.unwrap(),
                recv(chans[3]) -> v => v.unwrap(),
            };
        }
        acc
    })
}

fn select_rx_cb(cap: usize, n: usize) -> usize {
    let chans: Vec<_> = (0..THREADS)
        .map(|_| crossbeam_channel::bounded::<usize>(cap))
        .collect();
    thread::scope(|s| {
        for (tx, _) in &chans {
            s.spawn(move || {
                for i in 0..n / THREADS {
                    tx.send(i).unwrap();
                }
            });
        }
        let mut acc = 0;
        for _ in 0..n / THREADS * THREADS {
            acc += crossbeam_channel::select! {
                recv(chans[0].1) -> v => v.unwrap(),
                recv(chans[1].1) -> v => v.unwrap(),
                recv(chans[2].1) -> v => v.unwrap(),
                recv(chans[3].1) -> v => v.unwrap(),
            };
        }
        acc
    })
}

fn select_rx_flume(cap: usize, n: usize) -> usize {
    let chans: Vec<_> = (0..THREADS).map(|_| flume::bounded::<usize>(cap)).collect();
    thread::scope(|s| {
        for (tx, _) in &chans {
            s.spawn(move || {
                for i in 0..n / THREADS {
                    tx.send(i).unwrap();
                }
            });
        }
        let mut acc = 0;
        for _ in 0..n / THREADS * THREADS {
            acc += flume::Selector::new()
                .recv(&chans[0].1, |v| v.unwrap())
                .recv(&chans[1].1, |v| v.unwrap())
                .recv(&chans[2].1, |v| v.unwrap())
                .recv(&chans[3].1, |v| v.unwrap())
                .wait();
        }
        acc
    })
}

fn select_both_go(cap: usize, n: usize) -> usize {
    let chans: Vec<gochan::Chan<usize>> = (0..THREADS).map(|_| gochan::Chan::new(cap)).collect();
    thread::scope(|s| {
        for _ in 0..THREADS {
            let chans = &chans;
            s.spawn(move || {
                for i in 0..n / THREADS {
                    gochan::select! {
                        send(chans[0], i) => {},
                        send(chans[1], i) => {},
                        send(chans[2], i) => {},
                        send(chans[3], i) => {},
                    }
                }
            });
        }
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                let chans = &chans;
                s.spawn(move || {
                    let mut acc = 0;
                    for _ in 0..n / THREADS {
                        acc += gochan::select! {
                            recv(chans[0]) -> v => v.unwrap(),
                            recv(chans[1]) -> v => v.unwrap(),
                            recv(chans[2]) -> v => v.unwrap(),
                            recv(chans[3]) -> v => v.unwrap(),
                        };
                    }
                    acc
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn select_both_cb(cap: usize, n: usize) -> usize {
    let chans: Vec<_> = (0..THREADS)
        .map(|_| crossbeam_channel::bounded::<usize>(cap))
        .collect();
    thread::scope(|s| {
        for _ in 0..THREADS {
            let chans = &chans;
            s.spawn(move || {
                for i in 0..n / THREADS {
                    crossbeam_channel::select! {
                        send(chans[0].0, i) -> r => r.unwrap(),
                        send(chans[1].0, i) -> r => r.unwrap(),
                        send(chans[2].0, i) -> r => r.unwrap(),
                        send(chans[3].0, i) -> r => r.unwrap(),
                    }
                }
            });
        }
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                let chans = &chans;
                s.spawn(move || {
                    let mut acc = 0;
                    for _ in 0..n / THREADS {
                        acc += crossbeam_channel::select! {
                            recv(chans[0].1) -> v => v.unwrap(),
                            recv(chans[1].1) -> v => v.unwrap(),
                            recv(chans[2].1) -> v => v.unwrap(),
                            recv(chans[3].1) -> v => v.unwrap(),
                        };
                    }
                    acc
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn select_both_flume(cap: usize, n: usize) -> usize {
    let chans: Vec<_> = (0..THREADS).map(|_| flume::bounded::<usize>(cap)).collect();
    thread::scope(|s| {
        for _ in 0..THREADS {
            let chans = &chans;
            s.spawn(move || {
                for i in 0..n / THREADS {
                    flume::Selector::new()
                        .send(&chans[0].0, i, |r| r.unwrap())
                        .send(&chans[1].0, i, |r| r.unwrap())
                        .send(&chans[2].0, i, |r| r.unwrap())
                        .send(&chans[3].0, i, |r| r.unwrap())
                        .wait();
                }
            });
        }
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                let chans = &chans;
                s.spawn(move || {
                    let mut acc = 0;
                    for _ in 0..n / THREADS {
                        acc += flume::Selector::new()
                            .recv(&chans[0].1, |v| v.unwrap())
                            .recv(&chans[1].1, |v| v.unwrap())
                            .recv(&chans[2].1, |v| v.unwrap())
                            .recv(&chans[3].1, |v| v.unwrap())
                            .wait();
                    }
                    acc
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

fn async_benches(s: &mut Suite, cap: usize, n: usize) {
    let rt = runtime();
    let senders = [1usize, THREADS];
    for &p in &senders {
        let name = if p == 1 { "async spsc" } else { "async mpsc" };
        let group = format!("{name} cap={cap}");
        s.throughput(
            &group,
            "gochan",
            n as u64,
            REPS,
            || (),
            |_| {
                rt.block_on(async {
                    let c = gochan::Chan::new(cap);
                    let hs: Vec<_> = (0..p)
                        .map(|_| {
                            let c = c.clone();
                            tokio::spawn(async move {
                                for i in 0..n / p {
                                    c.send_async(i).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    let mut acc = 0;
                    for _ in 0..n / p * p {
                        acc += c.recv_async().await.unwrap();
                    }
                    for h in hs {
                        h.await.unwrap();
                    }
                    acc
                })
            },
        );
        if cap > 0 {
            s.throughput(
                &group,
                "tokio mpsc",
                n as u64,
                REPS,
                || (),
                |_| {
                    rt.block_on(async {
                        let (tx, mut rx) = tokio::sync::mpsc::channel(cap);
                        let hs: Vec<_> = (0..p)
                            .map(|_| {
                                let tx = tx.clone();
                                tokio::spawn(async move {
                                    for i in 0..n / p {
                                        tx.send(i).await.unwrap();
                                    }
                                })
                            })
                            .collect();
                        drop(tx);
                        let mut acc = 0;
                        while let Some(v) = rx.recv().await {
                            acc += v;
                        }
                        for h in hs {
                            h.await.unwrap();
                        }
                        acc
                    })
                },
            );
            s.throughput(
                &group,
                "async-channel",
                n as u64,
                REPS,
                || (),
                |_| {
                    rt.block_on(async {
                        let (tx, rx) = async_channel::bounded(cap);
                        let hs: Vec<_> = (0..p)
                            .map(|_| {
                                let tx = tx.clone();
                                tokio::spawn(async move {
                                    for i in 0..n / p {
                                        tx.send(i).await.unwrap();
                                    }
                                })
                            })
                            .collect();
                        drop(tx);
                        let mut acc = 0;
                        while let Ok(v) = rx.recv().await {
                            acc += v;
                        }
                        for h in hs {
                            h.await.unwrap();
                        }
                        acc
                    })
                },
            );
        }
        s.throughput(
            &group,
            "kanal",
            n as u64,
            REPS,
            || (),
            |_| {
                rt.block_on(async {
                    let (tx, rx) = kanal::bounded_async(cap);
                    let hs: Vec<_> = (0..p)
                        .map(|_| {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                for i in 0..n / p {
                                    tx.send(i).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    let mut acc = 0;
                    for _ in 0..n / p * p {
                        acc += rx.recv().await.unwrap();
                    }
                    for h in hs {
                        h.await.unwrap();
                    }
                    acc
                })
            },
        );
    }
}

fn main() {
    let mut s = Suite::new("gochan");
    let args: Vec<String> = std::env::args().collect();
    // `--only WORD` runs only groups whose name contains WORD (for tuning).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let want = |g: &str| only.as_deref().map_or(true, |o| g.contains(o));

    s.record(
        "empty channel size",
        "gochan",
        gochan::EMPTY_CHAN_BYTES as f64,
        "bytes",
        Better::Lower,
    );
    s.record(
        "empty channel size",
        "go1.19 hchan",
        96.0,
        "bytes",
        Better::Lower,
    );

    for cap in [0usize, 1, 1024] {
        let n = if cap >= 1024 {
            s.size(5_000_000, 100_000)
        } else {
            s.size(100_000, 2_000)
        };
        if want("threads") || want(&format!("cap={cap}")) {
            run_flavor::<Go>(&mut s, cap, n);
            run_flavor::<Cb>(&mut s, cap, n);
            run_flavor::<Kanal>(&mut s, cap, n);
            run_flavor::<Flume>(&mut s, cap, n);
            run_flavor::<Std>(&mut s, cap, n);
        }
        if want("select") {
            type Run = fn(usize, usize) -> usize;
            let g = format!("select_rx cap={cap}");
            let rx: [(&str, Run); 3] = [
                ("gochan", select_rx_go),
                ("crossbeam-channel", select_rx_cb),
                ("flume", select_rx_flume),
            ];
            for (subject, run) in rx {
                s.throughput(&g, subject, n as u64, REPS, || (), |_| run(cap, n));
            }
            let g = format!("select_both cap={cap}");
            let both: [(&str, Run); 2] = [
                ("gochan", select_both_go),
                ("crossbeam-channel", select_both_cb),
            ];
            for (subject, run) in both {
                s.throughput(&g, subject, n as u64, REPS, || (), |_| run(cap, n));
            }
            // flume's `Selector` with send cases did not finish select_both
            // (capacities 0 and 1) within minutes here, so flume is left out
            // of this group; `select_both_flume` stays for manual runs.
            let _ = select_both_flume;
        }
        if want("async") {
            async_benches(&mut s, cap, n);
        }
    }
    if want("pingpong") {
        let rounds = s.size(100_000, 2_000);
        let g = "pingpong cap=0 round trip";
        s.record(g, "gochan", pingpong::<Go>(rounds), "ns", Better::Lower);
        s.record(
            g,
            "crossbeam-channel",
            pingpong::<Cb>(rounds),
            "ns",
            Better::Lower,
        );
        s.record(g, "kanal", pingpong::<Kanal>(rounds), "ns", Better::Lower);
        s.record(g, "flume", pingpong::<Flume>(rounds), "ns", Better::Lower);
        s.record(
            g,
            "std sync_channel",
            pingpong::<Std>(rounds),
            "ns",
            Better::Lower,
        );
    }
    s.finish();
}
