//! gosync benches: Go's sync package against the Rust crates people use.
//!
//! Dimensions:
//! - Mutex (gosync, std, parking_lot, spin): uncontended lock/unlock; 2, 4
//!   and 8 threads × short (one increment) and long (40 dependent
//!   multiply-adds, about 40 ns here)
//!   critical sections; fairness: Go's TestMutexFairness (a greedy thread
//!   holds the lock 100 µs at a time in a loop, a polite thread locks every
//!   100 µs), reporting the polite thread's longest wait; the same with two
//!   CPU-bound threads per CPU running meanwhile (oversubscribed CPUs).
//! - RwLock (gosync, std, parking_lot): 4 threads at 99/1 and 90/10
//!   read/write; writer starvation: 3 readers keep overlapping read locks,
//!   a writer's longest wait.
//! - WaitGroup (gosync, crossbeam-utils): uncontended add/done/wait; 4 threads
//!   add/done on one group (Go's BenchmarkWaitGroupAddDone).
//! - Once (gosync, std): the done path.
//! - SyncMap (gosync, dashmap, papaya, RwLock<HashMap>): 4 threads on the
//!   conc-map-bench mixes (read-heavy 98/1/1, exchange 10/40/40/10, rapid-grow
//!   5/80/5/10 read/insert/remove/update) and Go's sweet spots (stable keys
//!   read by many; disjoint key sets per writer).
//! - Pool (gosync, object-pool, sharded-slab's Pool): a 64-byte buffer taken
//!   and given back, 1 and 4 threads (Go's BenchmarkPool); 4 threads each
//!   giving back 100 then taking 100 (Go's BenchmarkPoolOverflow).
//! - Cond (gosync, std Condvar, parking_lot Condvar): Go's benchmarkCond
//!   barrier (the last of waiters + 1 threads broadcasts), 1 and 3 waiters;
//!   a two-thread signal ping-pong.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use gort_benches::{Better, Suite};

// ---------------------------------------------------------------- locks

trait Lock: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R;
}

struct GoMutex(gosync::Mutex<u64>);
impl Lock for GoMutex {
    const NAME: &'static str = "gosync Mutex";
    fn new() -> Self {
        GoMutex(gosync::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}
struct StdMutex(std::sync::Mutex<u64>);
impl Lock for StdMutex {
    const NAME: &'static str = "std Mutex";
    fn new() -> Self {
        StdMutex(std::sync::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
}
struct PlMutex(parking_lot::Mutex<u64>);
impl Lock for PlMutex {
    const NAME: &'static str = "parking_lot Mutex";
    fn new() -> Self {
        PlMutex(parking_lot::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}
struct SpinMutex(spin::Mutex<u64>);
impl Lock for SpinMutex {
    const NAME: &'static str = "spin Mutex";
    fn new() -> Self {
        SpinMutex(spin::Mutex::new(0))
    }
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock())
    }
}

/// Runs `per_thread(i)` on `n` threads released together; returns the wall time.
fn run_threads<F>(n: usize, per_thread: F) -> Duration
where
    F: Fn(usize) + Send + Sync + 'static,
{
    let f = Arc::new(per_thread);
    let barrier = Arc::new(Barrier::new(n + 1));
    let hs: Vec<_> = (0..n)
        .map(|i| {
            let (f, b) = (Arc::clone(&f), Arc::clone(&barrier));
            thread::spawn(move || {
                b.wait();
                f(i);
            })
        })
        .collect();
    // Start the clock before releasing the threads: a short run may finish
    // before this thread would otherwise read the clock.
    let start = Instant::now();
    barrier.wait();
    for h in hs {
        h.join().unwrap();
    }
    start.elapsed()
}

fn work(iters: u32) -> u64 {
    let mut x = 1u64;
    for i in 0..iters {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i as u64));
    }
    x
}

fn mutex_uncontended<L: Lock>(s: &mut Suite, n: usize) {
    let l = L::new();
    s.throughput(
        "mutex uncontended lock/unlock",
        L::NAME,
        n as u64,
        3,
        || (),
        |_| {
            for _ in 0..n {
                l.with(|v| *v += 1);
            }
        },
    );
}

fn mutex_contended<L: Lock>(s: &mut Suite, threads: usize, long: bool, per: usize) {
    // Best of 5: on a 2-core host contended runs vary with scheduling.
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let l = Arc::new(L::new());
        let l2 = Arc::clone(&l);
        let t = run_threads(threads, move |_| {
            for _ in 0..per {
                l2.with(|v| {
                    *v += if long { work(40) & 1 } else { 1 };
                });
            }
        });
        best = best.min(t);
        black_box(l.with(|v| *v));
    }
    let group = format!(
        "mutex {threads} threads {} cs",
        if long { "long" } else { "short" }
    );
    let mops = (threads * per) as f64 / best.as_secs_f64() / 1e6;
    s.record(&group, L::NAME, mops, "Mops/s", Better::Higher);
}

/// Go's TestMutexFairness: records the polite thread's longest wait. With
/// `hogs_per_cpu` > 0 that many CPU-bound threads per CPU run meanwhile, so
/// the lock's threads share oversubscribed CPUs.
fn mutex_fairness<L: Lock>(s: &mut Suite, rounds: usize, hogs_per_cpu: usize) {
    let l = Arc::new(L::new());
    let stop = Arc::new(AtomicBool::new(false));
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    let hogs: Vec<_> = (0..cpus * hogs_per_cpu)
        .map(|_| {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    black_box(work(100));
                }
            })
        })
        .collect();
    let started = Arc::new(AtomicBool::new(false));
    let greedy = {
        let (l, stop, started) = (Arc::clone(&l), Arc::clone(&stop), Arc::clone(&started));
        thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(3);
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                l.with(|_| {
                    started.store(true, Ordering::Relaxed);
                    thread::sleep(Duration::from_micros(100))
                });
            }
        })
    };
    // The polite rounds start once the greedy thread holds the lock: on a
    // busy machine it may start late, and the rounds would then measure
    // an uncontended lock.
    while !started.load(Ordering::Relaxed) {
        thread::yield_now();
    }
    let mut longest = Duration::ZERO;
    for _ in 0..rounds {
        thread::sleep(Duration::from_micros(100));
        let t = Instant::now();
        l.with(|v| *v += 1);
        longest = longest.max(t.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    greedy.join().unwrap();
    for h in hogs {
        h.join().unwrap();
    }
    let group = if hogs_per_cpu == 0 {
        "mutex fairness: longest wait of the polite thread".to_string()
    } else {
        format!(
            "mutex fairness, {hogs_per_cpu} busy threads per CPU: longest wait of the polite thread"
        )
    };
    s.record(
        &group,
        L::NAME,
        longest.as_secs_f64() * 1e3,
        "ms",
        Better::Lower,
    );
}

// ---------------------------------------------------------------- rwlocks

trait RwL: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    fn read(&self) -> u64;
    fn write(&self);
}
struct GoRw(gosync::RwLock<u64>);
impl RwL for GoRw {
    const NAME: &'static str = "gosync RwLock";
    fn new() -> Self {
        GoRw(gosync::RwLock::new(0))
    }
    fn read(&self) -> u64 {
        *self.0.read()
    }
    fn write(&self) {
        *self.0.write() += 1;
    }
}
struct StdRw(std::sync::RwLock<u64>);
impl RwL for StdRw {
    const NAME: &'static str = "std RwLock";
    fn new() -> Self {
        StdRw(std::sync::RwLock::new(0))
    }
    fn read(&self) -> u64 {
        *self.0.read().unwrap()
    }
    fn write(&self) {
        *self.0.write().unwrap() += 1;
    }
}
struct PlRw(parking_lot::RwLock<u64>);
impl RwL for PlRw {
    const NAME: &'static str = "parking_lot RwLock";
    fn new() -> Self {
        PlRw(parking_lot::RwLock::new(0))
    }
    fn read(&self) -> u64 {
        *self.0.read()
    }
    fn write(&self) {
        *self.0.write() += 1;
    }
}

fn rwlock_mix<L: RwL>(s: &mut Suite, writes_per_100: usize, per: usize) {
    // Best of 5: on a 2-core host contended runs vary with scheduling.
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let l = Arc::new(L::new());
        let l2 = Arc::clone(&l);
        best = best.min(run_threads(4, move |_| {
            let mut r = gocore::rand::FastRand::new(per as u64);
            for _ in 0..per {
                if (r.below(100) as usize) < writes_per_100 {
                    l2.write();
                } else {
                    black_box(l2.read());
                }
            }
        }));
    }
    let group = format!(
        "rwlock 4 threads {}/{} read/write",
        100 - writes_per_100,
        writes_per_100
    );
    s.record(
        &group,
        L::NAME,
        (4 * per) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );
}

/// Three readers keep overlapping read locks (each holds ~20 µs); a writer
/// locks every millisecond: its longest wait.
fn rwlock_writer_starvation<L: RwL>(s: &mut Suite, writes: usize) {
    let l = Arc::new(L::new());
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (l, stop) = (Arc::clone(&l), Arc::clone(&stop));
            thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(3);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    // Back-to-back reads for ~20 µs: with three readers the
                    // lock is almost never free of readers.
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_micros(20) {
                        black_box(l.read());
                    }
                }
            })
        })
        .collect();
    let mut longest = Duration::ZERO;
    for _ in 0..writes {
        thread::sleep(Duration::from_millis(1));
        let t = Instant::now();
        l.write();
        longest = longest.max(t.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    s.record(
        "rwlock writer starvation: longest writer wait",
        L::NAME,
        longest.as_secs_f64() * 1e6,
        "us",
        Better::Lower,
    );
}

// ---------------------------------------------------------------- maps

trait ConcMap: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    fn get(&self, k: u64) -> Option<u64>;
    fn insert(&self, k: u64, v: u64);
    fn remove(&self, k: u64);
}
struct GoSyncMap(gosync::SyncMap<u64, u64>);
impl ConcMap for GoSyncMap {
    const NAME: &'static str = "gosync SyncMap";
    fn new() -> Self {
        GoSyncMap(gosync::SyncMap::new())
    }
    fn get(&self, k: u64) -> Option<u64> {
        self.0.load(&k)
    }
    fn insert(&self, k: u64, v: u64) {
        self.0.store(k, v);
    }
    fn remove(&self, k: u64) {
        self.0.delete(&k);
    }
}
struct Dash(dashmap::DashMap<u64, u64>);
impl ConcMap for Dash {
    const NAME: &'static str = "dashmap";
    fn new() -> Self {
        Dash(dashmap::DashMap::new())
    }
    fn get(&self, k: u64) -> Option<u64> {
        self.0.get(&k).map(|v| *v)
    }
    fn insert(&self, k: u64, v: u64) {
        self.0.insert(k, v);
    }
    fn remove(&self, k: u64) {
        self.0.remove(&k);
    }
}
struct Papaya(papaya::HashMap<u64, u64>);
impl ConcMap for Papaya {
    const NAME: &'static str = "papaya";
    fn new() -> Self {
        Papaya(papaya::HashMap::new())
    }
    fn get(&self, k: u64) -> Option<u64> {
        self.0.pin().get(&k).copied()
    }
    fn insert(&self, k: u64, v: u64) {
        self.0.pin().insert(k, v);
    }
    fn remove(&self, k: u64) {
        self.0.pin().remove(&k);
    }
}
struct RwMap(std::sync::RwLock<HashMap<u64, u64>>);
impl ConcMap for RwMap {
    const NAME: &'static str = "RwLock<HashMap>";
    fn new() -> Self {
        RwMap(std::sync::RwLock::new(HashMap::new()))
    }
    fn get(&self, k: u64) -> Option<u64> {
        self.0.read().unwrap().get(&k).copied()
    }
    fn insert(&self, k: u64, v: u64) {
        self.0.write().unwrap().insert(k, v);
    }
    fn remove(&self, k: u64) {
        self.0.write().unwrap().remove(&k);
    }
}

/// A conc-map-bench-style mix: percentages of read, insert, remove, update.
#[derive(Clone, Copy)]
struct Mix {
    name: &'static str,
    read: u32,
    insert: u32,
    remove: u32,
    prefill: u64,
    keys: u64,
}

fn map_mix<M: ConcMap>(s: &mut Suite, mix: Mix, per: usize) {
    let mut best = Duration::MAX;
    for rep in 0..3 {
        let m = Arc::new(M::new());
        for k in 0..mix.prefill {
            m.insert(k, k);
        }
        let m2 = Arc::clone(&m);
        best = best.min(run_threads(4, move |t| {
            let mut r = gocore::rand::FastRand::new((t * 7919 + rep) as u64 + 1);
            for _ in 0..per {
                let k = r.next_u64() % mix.keys;
                let op = r.below(100);
                if op < mix.read {
                    black_box(m2.get(k));
                } else if op < mix.read + mix.insert {
                    m2.insert(k, k);
                } else if op < mix.read + mix.insert + mix.remove {
                    m2.remove(k);
                } else {
                    m2.insert(k, k + 1); // update
                }
            }
        }));
    }
    let group = format!("map 4 threads {}", mix.name);
    s.record(
        &group,
        M::NAME,
        (4 * per) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );
}

/// Go's sweet spot 2: each thread stores and loads its own keys.
fn map_disjoint<M: ConcMap>(s: &mut Suite, per: usize) {
    let mut best = Duration::MAX;
    for _ in 0..2 {
        let m = Arc::new(M::new());
        let m2 = Arc::clone(&m);
        best = best.min(run_threads(4, move |t| {
            let base = (t as u64) << 32;
            for i in 0..per as u64 {
                let k = base + (i % 1024);
                if i % 4 == 0 {
                    m2.insert(k, i);
                } else {
                    black_box(m2.get(k));
                }
            }
        }));
    }
    s.record(
        "map 4 threads disjoint keys per writer (25% store)",
        M::NAME,
        (4 * per) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );
}

// ---------------------------------------------------------------- pool

/// A pool of 64-byte buffers: take one, give it back.
trait BufPool: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    /// Takes a buffer and gives it back `n` times.
    fn take_give(&self, n: usize);
    /// Takes `k` buffers, then gives all `k` back.
    fn overflow(&self, k: usize);
}

type Buf = Box<[u8; 64]>;

struct GoPool(gosync::Pool<Buf>);
impl BufPool for GoPool {
    const NAME: &'static str = "gosync Pool";
    fn new() -> Self {
        GoPool(gosync::Pool::new(|| Box::new([0; 64])))
    }
    fn take_give(&self, n: usize) {
        for _ in 0..n {
            let b = self.0.get();
            black_box(&b);
            self.0.put(b);
        }
    }
    fn overflow(&self, k: usize) {
        let bufs: Vec<Buf> = (0..k).map(|_| self.0.get()).collect();
        for b in bufs {
            self.0.put(b);
        }
    }
}

struct ObjectPool(object_pool::Pool<Buf>);
impl BufPool for ObjectPool {
    const NAME: &'static str = "object-pool Pool";
    fn new() -> Self {
        ObjectPool(object_pool::Pool::new(0, || Box::new([0; 64])))
    }
    fn take_give(&self, n: usize) {
        for _ in 0..n {
            let b = self.0.pull(|| Box::new([0; 64]));
            black_box(&*b);
        }
    }
    fn overflow(&self, k: usize) {
        let bufs: Vec<_> = (0..k).map(|_| self.0.pull(|| Box::new([0; 64]))).collect();
        drop(bufs);
    }
}

/// sharded-slab's Pool keeps its values in place and hands out keys:
/// `create` takes a cleared slot (made with `Default` the first time),
/// `clear` gives it back.
struct SlabPool(sharded_slab::Pool<Vec<u8>>);
impl BufPool for SlabPool {
    const NAME: &'static str = "sharded-slab Pool";
    fn new() -> Self {
        SlabPool(sharded_slab::Pool::new())
    }
    fn take_give(&self, n: usize) {
        for _ in 0..n {
            let mut b = self.0.create().expect("slab full");
            if b.capacity() == 0 {
                b.reserve_exact(64);
            }
            black_box(&*b);
            let key = b.key();
            drop(b);
            self.0.clear(key);
        }
    }
    fn overflow(&self, k: usize) {
        let keys: Vec<usize> = (0..k)
            .map(|_| {
                let mut b = self.0.create().expect("slab full");
                if b.capacity() == 0 {
                    b.reserve_exact(64);
                }
                b.key()
            })
            .collect();
        for key in keys {
            self.0.clear(key);
        }
    }
}

fn pool_take_give<P: BufPool>(s: &mut Suite, threads: usize, per: usize) {
    let best = (0..3)
        .map(|_| {
            let p = Arc::new(P::new());
            run_threads(threads, move |_| p.take_give(per))
        })
        .min()
        .unwrap();
    s.record(
        &format!(
            "pool take/give {threads} thread{}",
            if threads == 1 { "" } else { "s" }
        ),
        P::NAME,
        (threads * per) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );
}

fn pool_overflow<P: BufPool>(s: &mut Suite, threads: usize, rounds: usize) {
    let best = (0..3)
        .map(|_| {
            let p = Arc::new(P::new());
            run_threads(threads, move |_| {
                for _ in 0..rounds {
                    p.overflow(100);
                }
            })
        })
        .min()
        .unwrap();
    s.record(
        &format!("pool overflow {threads} threads x 100"),
        P::NAME,
        (threads * rounds * 100) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );
}

// ---------------------------------------------------------------- cond

/// A mutex-protected `i64` with a condition variable.
trait CondVar: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    /// Runs `f` with the lock held; through the `Waiter` it reads and
    /// writes the value, waits and notifies.
    fn with(&self, f: impl FnMut(&mut dyn Waiter));
}

/// What a critical section of `CondVar::with` may do with the condition.
trait Waiter {
    /// The protected value.
    fn v(&mut self) -> &mut i64;
    /// Waits once (unlocks, sleeps, re-locks).
    fn wait(&mut self);
    fn signal(&mut self);
    fn broadcast(&mut self);
}

struct GoCond {
    m: gosync::Mutex<i64>,
    c: gosync::Cond,
}
impl CondVar for GoCond {
    const NAME: &'static str = "gosync Cond";
    fn new() -> Self {
        GoCond {
            m: gosync::Mutex::new(0),
            c: gosync::Cond::new(),
        }
    }
    fn with(&self, mut f: impl FnMut(&mut dyn Waiter)) {
        struct W<'a> {
            g: Option<gosync::MutexGuard<'a, i64>>,
            c: &'a gosync::Cond,
        }
        impl Waiter for W<'_> {
            fn v(&mut self) -> &mut i64 {
                self.g.as_mut().unwrap()
            }
            fn wait(&mut self) {
                self.g = Some(self.c.wait(self.g.take().unwrap()));
            }
            fn signal(&mut self) {
                self.c.signal();
            }
            fn broadcast(&mut self) {
                self.c.broadcast();
            }
        }
        let mut w = W {
            g: Some(self.m.lock()),
            c: &self.c,
        };
        f(&mut w);
    }
}

struct StdCond {
    m: std::sync::Mutex<i64>,
    c: std::sync::Condvar,
}
impl CondVar for StdCond {
    const NAME: &'static str = "std Condvar";
    fn new() -> Self {
        StdCond {
            m: std::sync::Mutex::new(0),
            c: std::sync::Condvar::new(),
        }
    }
    fn with(&self, mut f: impl FnMut(&mut dyn Waiter)) {
        struct W<'a> {
            g: Option<std::sync::MutexGuard<'a, i64>>,
            c: &'a std::sync::Condvar,
        }
        impl Waiter for W<'_> {
            fn v(&mut self) -> &mut i64 {
                self.g.as_mut().unwrap()
            }
            fn wait(&mut self) {
                self.g = Some(self.c.wait(self.g.take().unwrap()).unwrap());
            }
            fn signal(&mut self) {
                self.c.notify_one();
            }
            fn broadcast(&mut self) {
                self.c.notify_all();
            }
        }
        let mut w = W {
            g: Some(self.m.lock().unwrap()),
            c: &self.c,
        };
        f(&mut w);
    }
}

struct PlCond {
    m: parking_lot::Mutex<i64>,
    c: parking_lot::Condvar,
}
impl CondVar for PlCond {
    const NAME: &'static str = "parking_lot Condvar";
    fn new() -> Self {
        PlCond {
            m: parking_lot::Mutex::new(0),
            c: parking_lot::Condvar::new(),
        }
    }
    fn with(&self, mut f: impl FnMut(&mut dyn Waiter)) {
        struct W<'a> {
            g: parking_lot::MutexGuard<'a, i64>,
            c: &'a parking_lot::Condvar,
        }
        impl Waiter for W<'_> {
            fn v(&mut self) -> &mut i64 {
                &mut self.g
            }
            fn wait(&mut self) {
                self.c.wait(&mut self.g);
            }
            fn signal(&mut self) {
                self.c.notify_one();
            }
            fn broadcast(&mut self) {
                self.c.notify_all();
            }
        }
        let mut w = W {
            g: self.m.lock(),
            c: &self.c,
        };
        f(&mut w);
    }
}

/// Go's benchmarkCond: `waiters + 1` threads; in each round every thread
/// arrives, and the last to arrive broadcasts. Reports rounds per second.
fn cond_barrier<C: CondVar>(s: &mut Suite, waiters: usize, rounds: usize) {
    let best = (0..3)
        .map(|_| {
            let c = Arc::new(C::new());
            run_threads(waiters + 1, move |_| {
                for _ in 0..rounds {
                    let mut stop = false;
                    c.with(|w| {
                        if *w.v() == -1 {
                            stop = true;
                            return;
                        }
                        *w.v() += 1;
                        if *w.v() == waiters as i64 + 1 {
                            *w.v() = 0;
                            w.broadcast();
                        } else {
                            w.wait();
                        }
                    });
                    if stop {
                        break;
                    }
                }
                c.with(|w| {
                    *w.v() = -1;
                    w.broadcast();
                });
            })
        })
        .min()
        .unwrap();
    s.record(
        &format!("cond broadcast barrier {} threads", waiters + 1),
        C::NAME,
        rounds as f64 / best.as_secs_f64() / 1e6,
        "Mrounds/s",
        Better::Higher,
    );
}

/// Two threads take turns: each waits for its parity, flips the turn and
/// signals. Reports hand-overs per second.
fn cond_ping_pong<C: CondVar>(s: &mut Suite, rounds: usize) {
    let best = (0..3)
        .map(|_| {
            let c = Arc::new(C::new());
            run_threads(2, move |me| {
                for _ in 0..rounds {
                    c.with(|w| {
                        while *w.v() % 2 != me as i64 {
                            w.wait();
                        }
                        *w.v() += 1;
                        w.signal();
                    });
                }
            })
        })
        .min()
        .unwrap();
    s.record(
        "cond signal ping-pong 2 threads",
        C::NAME,
        (2 * rounds) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );
}

fn main() {
    let mut s = Suite::new("gosync");
    let q = s.quick();

    // Mutex
    let n = s.size(10_000_000, 1_000_000);
    mutex_uncontended::<GoMutex>(&mut s, n);
    mutex_uncontended::<StdMutex>(&mut s, n);
    mutex_uncontended::<PlMutex>(&mut s, n);
    mutex_uncontended::<SpinMutex>(&mut s, n);
    for threads in [2, 4, 8] {
        for long in [false, true] {
            // Runs of 20-50 ms: shorter ones (a few ms) were dominated by
            // thread start-up and scheduling noise.
            let per = if long {
                s.size(1_000_000, 10_000)
            } else {
                s.size(5_000_000, 50_000)
            } / threads;
            mutex_contended::<GoMutex>(&mut s, threads, long, per);
            mutex_contended::<StdMutex>(&mut s, threads, long, per);
            mutex_contended::<PlMutex>(&mut s, threads, long, per);
            if threads <= 2 || !q {
                // spin with more threads than cores is slow to finish; full runs only
                mutex_contended::<SpinMutex>(&mut s, threads, long, per / 4);
            }
        }
    }
    let rounds = s.size(10, 5);
    mutex_fairness::<GoMutex>(&mut s, rounds, 0);
    mutex_fairness::<StdMutex>(&mut s, rounds, 0);
    mutex_fairness::<PlMutex>(&mut s, rounds, 0);
    mutex_fairness::<SpinMutex>(&mut s, rounds, 0);
    // The same on oversubscribed CPUs (no spin Mutex: a spinner there waits
    // out the busy threads' time slices).
    mutex_fairness::<GoMutex>(&mut s, rounds, 2);
    mutex_fairness::<StdMutex>(&mut s, rounds, 2);
    mutex_fairness::<PlMutex>(&mut s, rounds, 2);

    // RwLock
    let per = s.size(500_000, 50_000);
    for w in [1, 10] {
        rwlock_mix::<GoRw>(&mut s, w, per);
        rwlock_mix::<StdRw>(&mut s, w, per);
        rwlock_mix::<PlRw>(&mut s, w, per);
    }
    let writes = s.size(200, 50);
    rwlock_writer_starvation::<GoRw>(&mut s, writes);
    rwlock_writer_starvation::<StdRw>(&mut s, writes);
    rwlock_writer_starvation::<PlRw>(&mut s, writes);

    // WaitGroup
    let n = s.size(5_000_000, 500_000);
    s.throughput(
        "waitgroup uncontended add/done/wait",
        "gosync WaitGroup",
        n as u64,
        3,
        gosync::WaitGroup::new,
        |wg| {
            for _ in 0..n {
                wg.add(1);
                wg.done();
                wg.wait();
            }
        },
    );
    s.throughput(
        "waitgroup uncontended add/done/wait",
        "crossbeam WaitGroup",
        n as u64,
        3,
        || (),
        |_| {
            for _ in 0..n {
                let wg = crossbeam_utils::sync::WaitGroup::new();
                let c = wg.clone();
                drop(c);
                wg.wait();
            }
        },
    );
    let per = s.size(1_000_000, 100_000);
    let best = (0..3)
        .map(|_| {
            let wg = Arc::new(gosync::WaitGroup::new());
            run_threads(4, move |_| {
                for _ in 0..per {
                    wg.add(1);
                    wg.done();
                }
            })
        })
        .min()
        .unwrap();
    s.record(
        "waitgroup 4 threads add/done",
        "gosync WaitGroup",
        (4 * per) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );
    let best = (0..3)
        .map(|_| {
            let wg = Arc::new(crossbeam_utils::sync::WaitGroup::new());
            run_threads(4, move |_| {
                for _ in 0..per {
                    drop((*wg).clone());
                }
            })
        })
        .min()
        .unwrap();
    s.record(
        "waitgroup 4 threads add/done",
        "crossbeam WaitGroup",
        (4 * per) as f64 / best.as_secs_f64() / 1e6,
        "Mops/s",
        Better::Higher,
    );

    // Once
    let n = s.size(50_000_000, 5_000_000);
    let once = gosync::Once::new();
    once.call_once(|| ());
    s.throughput(
        "once done path",
        "gosync Once",
        n as u64,
        3,
        || (),
        |_| {
            for _ in 0..n {
                black_box(&once).call_once(|| unreachable!());
            }
        },
    );
    let std_once = std::sync::Once::new();
    std_once.call_once(|| ());
    s.throughput(
        "once done path",
        "std Once",
        n as u64,
        3,
        || (),
        |_| {
            for _ in 0..n {
                black_box(&std_once).call_once(|| unreachable!());
            }
        },
    );

    // SyncMap
    let per = s.size(1_000_000, 100_000);
    let keys = 1 << 14;
    let mixes = [
        Mix {
            name: "read-heavy 98/1/1/0",
            read: 98,
            insert: 1,
            remove: 1,
            prefill: keys / 2,
            keys,
        },
        Mix {
            name: "exchange 10/40/40/10",
            read: 10,
            insert: 40,
            remove: 40,
            prefill: keys / 2,
            keys,
        },
        Mix {
            name: "rapid-grow 5/80/5/10",
            read: 5,
            insert: 80,
            remove: 5,
            prefill: 0,
            keys: 1 << 20,
        },
        Mix {
            name: "stable keys read by many 100/0/0/0",
            read: 100,
            insert: 0,
            remove: 0,
            prefill: keys,
            keys,
        },
    ];
    for mix in mixes {
        map_mix::<GoSyncMap>(&mut s, mix, per);
        map_mix::<Dash>(&mut s, mix, per);
        map_mix::<Papaya>(&mut s, mix, per);
        map_mix::<RwMap>(&mut s, mix, per);
    }
    map_disjoint::<GoSyncMap>(&mut s, per);
    map_disjoint::<Dash>(&mut s, per);
    map_disjoint::<Papaya>(&mut s, per);
    map_disjoint::<RwMap>(&mut s, per);

    // Pool
    let per = s.size(2_000_000, 200_000);
    for threads in [1, 4] {
        pool_take_give::<GoPool>(&mut s, threads, per / threads);
        pool_take_give::<ObjectPool>(&mut s, threads, per / threads);
        pool_take_give::<SlabPool>(&mut s, threads, per / threads);
    }
    let rounds = s.size(5_000, 500);
    pool_overflow::<GoPool>(&mut s, 4, rounds);
    pool_overflow::<ObjectPool>(&mut s, 4, rounds);
    pool_overflow::<SlabPool>(&mut s, 4, rounds);

    // Cond
    let rounds = s.size(100_000, 10_000);
    for waiters in [1, 3] {
        cond_barrier::<GoCond>(&mut s, waiters, rounds);
        cond_barrier::<StdCond>(&mut s, waiters, rounds);
        cond_barrier::<PlCond>(&mut s, waiters, rounds);
    }
    cond_ping_pong::<GoCond>(&mut s, rounds);
    cond_ping_pong::<StdCond>(&mut s, rounds);
    cond_ping_pong::<PlCond>(&mut s, rounds);

    s.finish();
}
