//! `gosync::Pool`: Go 1.19's `sync/pool_test.go`, ported (each test names the
//! Go test it follows), plus drop counting and unwinding checks.
#![cfg(feature = "std")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gosync::Pool;

/// A pool without `New`: `get` is `try_get`.
fn pool<T>() -> Pool<T, fn() -> T> {
    Pool::new(|| unreachable!("this test's pool has no New"))
}

/// Go: TestPool — private first, then the shared chain; one GC cycle keeps
/// the values as victims, a second drops them.
#[test]
fn pool_basic() {
    let p = pool::<&str>();
    assert_eq!(p.try_get(), None, "expected empty");
    p.put("a");
    p.put("b");
    assert_eq!(p.try_get(), Some("a"));
    assert_eq!(p.try_get(), Some("b"));
    assert_eq!(p.try_get(), None);
    // Enough values to spill into the stealable chain.
    for _ in 0..100 {
        p.put("c");
    }
    // After one cycle, the victim cache keeps them alive.
    p.clear_cycle();
    assert_eq!(p.try_get(), Some("c"), "want c after one cycle");
    // A second cycle drops the victim cache.
    p.clear_cycle();
    assert_eq!(p.try_get(), None, "want nothing after the second cycle");
}

/// Go: TestPoolNew — `get` calls the function when the pool is empty.
#[test]
fn pool_new() {
    let i = AtomicUsize::new(0);
    let p = Pool::new(|| i.fetch_add(1, Ordering::SeqCst) + 1);
    assert_eq!(p.get(), 1);
    assert_eq!(p.get(), 2);
    p.put(42);
    assert_eq!(p.get(), 42);
    assert_eq!(p.get(), 3);
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts live instances (Go's finalizers in testPool); its `Drop` panics
/// when `panics` is set.
#[derive(Debug)]
struct Tracked {
    panics: bool,
}

impl Tracked {
    fn new() -> Self {
        Self::with_panic(false)
    }
    fn with_panic(panics: bool) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Tracked { panics }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
        if self.panics {
            panic!("Tracked::drop");
        }
    }
}

/// The tests that count `Tracked` values run one after another.
static TRACKED_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Go: TestPoolGC and TestPoolRelease (testPool) — the pool keeps nothing
/// after its values are taken (drain) or after two cycles (release).
#[test]
fn pool_gc_and_release() {
    let _serial = TRACKED_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    const N: usize = 100;
    for drain in [true, false] {
        let p = pool::<Tracked>();
        for _ in 0..N {
            p.put(Tracked::new());
        }
        assert_eq!(LIVE.load(Ordering::SeqCst), N);
        if drain {
            for _ in 0..N {
                drop(p.try_get().expect("a value put is there"));
            }
            assert!(p.try_get().is_none());
        }
        p.clear_cycle();
        p.clear_cycle();
        assert_eq!(
            LIVE.load(Ordering::SeqCst),
            0,
            "resources not released (drain: {drain})"
        );
    }
}

/// Dropping the pool drops every cached value once, in both generations.
#[test]
fn dropping_the_pool_drops_each_value_once() {
    let _serial = TRACKED_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    {
        let p = pool::<Tracked>();
        for _ in 0..50 {
            p.put(Tracked::new());
        }
        p.clear_cycle(); // 50 victims
        for _ in 0..30 {
            p.put(Tracked::new());
        }
        assert_eq!(LIVE.load(Ordering::SeqCst), 80);
    }
    assert_eq!(LIVE.load(Ordering::SeqCst), 0, "leak or double drop");
}

/// A panicking `Drop` of a victim: the cycle completes, the other victims
/// are dropped, and the pool keeps working.
#[test]
fn panicking_drop_in_clear_cycle() {
    let _serial = TRACKED_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    let p = pool::<Tracked>();
    p.put(Tracked::new());
    p.put(Tracked::with_panic(true));
    p.put(Tracked::new());
    p.clear_cycle();
    let r = catch_unwind(AssertUnwindSafe(|| p.clear_cycle()));
    assert!(r.is_err(), "the panicking Drop's panic comes through");
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "the other victims were not dropped"
    );
    p.put(Tracked::new());
    assert!(p.try_get().is_some());
    assert_eq!(LIVE.load(Ordering::SeqCst), 0);
}

/// A panicking `Drop` while the pool is dropped: the other values are still
/// dropped.
#[test]
fn panicking_drop_when_the_pool_drops() {
    let _serial = TRACKED_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    let p = pool::<Tracked>();
    for i in 0..20 {
        p.put(Tracked::with_panic(i == 7));
    }
    let r = catch_unwind(AssertUnwindSafe(|| drop(p)));
    assert!(r.is_err());
    assert_eq!(LIVE.load(Ordering::SeqCst), 0);
}

/// A panicking `New`: `get` panics, the pool is unchanged and usable.
#[test]
fn panicking_new() {
    let p = Pool::new(|| -> u8 { panic!("New failed") });
    assert!(catch_unwind(AssertUnwindSafe(|| p.get())).is_err());
    p.put(3);
    assert_eq!(p.get(), 3);
}

/// Go: TestPoolStress — threads put and get concurrently; every value got
/// is one that was put.
#[test]
#[cfg_attr(miri, ignore)]
fn pool_stress() {
    const P: usize = 10;
    let n = 20_000;
    let p = Arc::new(pool::<usize>());
    let hs: Vec<_> = (0..P)
        .map(|_| {
            let p = Arc::clone(&p);
            std::thread::spawn(move || {
                let mut v = Some(0);
                for _ in 0..n {
                    p.put(v.take().unwrap_or(0));
                    v = p.try_get();
                    if let Some(x) = v {
                        assert_eq!(x, 0, "expect 0");
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

/// Values put by one thread are found (stolen) by another, and each value
/// is got exactly once, with cycles running concurrently.
#[test]
#[cfg_attr(miri, ignore)]
fn values_move_between_threads_exactly_once() {
    let n = 20_000usize;
    let p = Arc::new(pool::<usize>());
    let got: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
    let producer = {
        let p = Arc::clone(&p);
        std::thread::spawn(move || {
            for i in 0..n {
                p.put(i);
            }
        })
    };
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let (p, got) = (Arc::clone(&p), Arc::clone(&got));
            std::thread::spawn(move || {
                let mut misses = 0;
                while misses < 10_000 {
                    match p.try_get() {
                        Some(i) => {
                            got[i].fetch_add(1, Ordering::SeqCst);
                            misses = 0;
                        }
                        None => {
                            misses += 1;
                            std::thread::yield_now();
                        }
                    }
                }
            })
        })
        .collect();
    producer.join().unwrap();
    for c in consumers {
        c.join().unwrap();
    }
    // Whatever the consumers missed is still in the pool.
    while let Some(i) = p.try_get() {
        got[i].fetch_add(1, Ordering::SeqCst);
    }
    for (i, c) in got.iter().enumerate() {
        assert_eq!(
            c.load(Ordering::SeqCst),
            1,
            "value {i} got {} times",
            c.load(Ordering::SeqCst)
        );
    }
}

/// Single-threaded model check: the pool behaves as a multiset (every value
/// put is got back once; cycles age values as documented).
#[test]
fn pool_is_a_multiset_single_thread() {
    let p = pool::<u32>();
    let mut model: Vec<u32> = Vec::new();
    let mut victims: Vec<u32> = Vec::new();
    let mut x = 1u32;
    let steps = if cfg!(miri) { 300 } else { 5_000 };
    for step in 0..steps {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        match (x >> 16) % 7 {
            0..=2 => {
                p.put(step);
                model.push(step);
            }
            3..=5 => match p.try_get() {
                Some(v) => {
                    if let Some(i) = model.iter().position(|&m| m == v) {
                        model.swap_remove(i);
                    } else {
                        let i = victims.iter().position(|&m| m == v).expect("unknown value");
                        victims.swap_remove(i);
                    }
                }
                None => assert!(model.is_empty() && victims.is_empty()),
            },
            _ => {
                p.clear_cycle();
                victims = std::mem::take(&mut model);
            }
        }
    }
}
