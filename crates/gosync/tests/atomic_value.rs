//! `gosync::atomic::Value`: Go 1.19's `sync/atomic/value_test.go`, ported
//! (each test names the Go test it follows), plus drop and unwind checks.
#![cfg(feature = "std")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gosync::atomic::{AnyValue, Value};

/// The message of a panic payload (`&str` or `String`).
fn panic_message(f: impl FnOnce()) -> Option<String> {
    let err = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        err.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| err.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
    )
}

const NIL_STORE: &str = "sync/atomic: store of nil value into Value";
const BAD_STORE: &str = "sync/atomic: store of inconsistently typed value into Value";

/// Go: TestValue.
#[test]
fn value() {
    let v = Value::new();
    assert!(v.load().is_none(), "initial Value is not nil");
    v.store(42_i64);
    assert_eq!(v.load().unwrap().downcast_ref::<i64>(), Some(&42));
    v.store(84_i64);
    assert_eq!(v.load_as::<i64>().as_deref(), Some(&84));
}

/// Go: TestValueLarge.
#[test]
fn value_large() {
    let v = Value::new();
    v.store(String::from("foo"));
    assert_eq!(v.load_as::<String>().unwrap().as_str(), "foo");
    v.store(String::from("barbaz"));
    assert_eq!(v.load_as::<String>().unwrap().as_str(), "barbaz");
}

/// Go: TestValuePanic.
#[test]
fn value_panic() {
    let v = Value::new();
    assert_eq!(
        panic_message(|| v.store_any(None)).as_deref(),
        Some(NIL_STORE)
    );
    assert!(v.load().is_none(), "a refused store changed the Value");
    v.store(42_i64);
    assert_eq!(panic_message(|| v.store("foo")).as_deref(), Some(BAD_STORE));
    assert_eq!(
        panic_message(|| v.store_any(None)).as_deref(),
        Some(NIL_STORE)
    );
    // The Value is intact after each refused store.
    assert_eq!(v.load_as::<i64>().as_deref(), Some(&42));
}

/// Go: TestValueConcurrent — concurrent stores and loads only ever see one of
/// the stored values, never a torn one.
#[test]
#[cfg_attr(miri, ignore)]
fn value_concurrent() {
    fn run<T: PartialEq + Copy + Send + Sync + std::fmt::Debug + 'static>(test: [T; 4]) {
        let (p, n) = (8, 2_000);
        let v = Arc::new(Value::new());
        let hs: Vec<_> = (0..p)
            .map(|i| {
                let v = Arc::clone(&v);
                std::thread::spawn(move || {
                    for j in 0..n {
                        v.store(test[(i * 7 + j * 13) % 4]);
                        let x = *v.load_as::<T>().unwrap();
                        assert!(test.contains(&x), "loaded unexpected value {x:?}");
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    }
    run([0u16, !0, 1 + (2 << 8), 3 + (4 << 8)]);
    run([0u32, !0, 1 + (2 << 16), 3 + (4 << 16)]);
    run([0u64, !0, 1 + (2 << 32), 3 + (4 << 32)]);
    run([(0.0f64, 0.0f64), (1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]);
}

/// The single-threaded part of `value_concurrent`, for Miri.
#[test]
fn value_store_load_sequence() {
    let test = [0u64, !0, 1 + (2 << 32), 3 + (4 << 32)];
    let v = Value::new();
    for j in 0..20 {
        v.store(test[j % 4]);
        assert_eq!(*v.load_as::<u64>().unwrap(), test[j % 4]);
    }
}

/// Go: TestValue_Swap (its table, case by case).
#[test]
fn value_swap() {
    const NIL_SWAP: &str = "sync/atomic: swap of nil value into Value";
    const BAD_SWAP: &str = "sync/atomic: swap of inconsistently typed value into Value";
    // {init: nil, new: nil, err: nil swap}
    let v = Value::new();
    assert_eq!(
        panic_message(|| drop(v.swap_any(None))).as_deref(),
        Some(NIL_SWAP)
    );
    // {init: nil, new: true, want: nil}
    let v = Value::new();
    assert!(v.swap(true).is_none());
    assert_eq!(v.load_as::<bool>().as_deref(), Some(&true));
    // {init: true, new: "", err: inconsistent}
    let v = Value::new();
    v.store(true);
    assert_eq!(
        panic_message(|| drop(v.swap(""))).as_deref(),
        Some(BAD_SWAP)
    );
    // {init: true, new: false, want: true}
    let v = Value::new();
    v.store(true);
    assert_eq!(v.swap(false).as_deref(), Some(&true));
    assert_eq!(v.load_as::<bool>().as_deref(), Some(&false));
}

/// Go: TestValueSwapConcurrent — every value swapped in comes out exactly
/// once (the sum of the olds plus the last equals the sum of all).
#[test]
#[cfg_attr(miri, ignore)]
fn value_swap_concurrent() {
    let (m, n) = (16u64, 1_000u64);
    let v = Arc::new(Value::new());
    let count = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..m)
        .map(|i| {
            let (v, count) = (Arc::clone(&v), Arc::clone(&count));
            std::thread::spawn(move || {
                let mut c = 0u64;
                for new in i * n..(i + 1) * n {
                    if let Some(old) = v.swap(new) {
                        c += *old;
                    }
                }
                count.fetch_add(c as usize, Ordering::SeqCst);
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let got = count.load(Ordering::SeqCst) as u64 + *v.load_as::<u64>().unwrap();
    assert_eq!(got, (m * n - 1) * (m * n) / 2);
}

/// Go: TestValue_CompareAndSwap (its table, case by case).
#[test]
fn value_compare_and_swap() {
    const NIL_CAS: &str = "sync/atomic: compare and swap of nil value into Value";
    const BAD_ARGS: &str = "sync/atomic: compare and swap of inconsistently typed values";
    const BAD_CAS: &str = "sync/atomic: compare and swap of inconsistently typed value into Value";
    let any = |x: &'static str| -> AnyValue { Arc::new(x) };
    let anyb = |x: bool| -> AnyValue { Arc::new(x) };
    // {init: nil, new: nil, old: nil, err: nil cas}
    let v = Value::new();
    assert_eq!(
        panic_message(|| {
            let _ = v.compare_and_swap_any(None, None);
        })
        .as_deref(),
        Some(NIL_CAS)
    );
    // {init: nil, new: true, old: "", err: inconsistent values}
    let v = Value::new();
    let old = any("");
    assert_eq!(
        panic_message(|| {
            let _ = v.compare_and_swap_any(Some(&old), Some(anyb(true)));
        })
        .as_deref(),
        Some(BAD_ARGS)
    );
    // {init: nil, new: true, old: true, want: false}
    let v = Value::new();
    assert!(!v.compare_and_swap(Some(&true), true));
    assert!(v.load().is_none());
    // {init: nil, new: true, old: nil, want: true}
    let v = Value::new();
    assert!(v.compare_and_swap(None, true));
    assert_eq!(v.load_as::<bool>().as_deref(), Some(&true));
    // {init: true, new: "", err: inconsistent value into Value}
    let v = Value::new();
    v.store(true);
    assert_eq!(
        panic_message(|| {
            let _ = v.compare_and_swap(None, "");
        })
        .as_deref(),
        Some(BAD_CAS)
    );
    assert_eq!(
        panic_message(|| {
            let _ = v.compare_and_swap_any(None, Some(any("")));
        })
        .as_deref(),
        Some(BAD_CAS)
    );
    // {init: true, new: true, old: false, want: false}
    assert!(!v.compare_and_swap(Some(&false), true));
    // {init: true, new: true, old: true, want: true}
    assert!(v.compare_and_swap(Some(&true), true));
    // {init: heapA, new: {1}, old: heapB, want: true}: equal values at
    // different addresses compare equal.
    #[derive(PartialEq, Debug)]
    struct S(u32);
    let v = Value::new();
    v.store(S(0));
    let heap_b = Box::new(S(0));
    assert!(v.compare_and_swap(Some(&*heap_b), S(1)));
    assert_eq!(v.load_as::<S>().as_deref(), Some(&S(1)));
}

/// The identity comparison of `compare_and_swap_any` (a `dyn Any` has no `==`).
#[test]
fn compare_and_swap_any_compares_identity() {
    let v = Value::new();
    assert!(v.compare_and_swap_any(None, Some(Arc::new(1u8))));
    let cur = v.load().unwrap();
    let equal_but_other: AnyValue = Arc::new(1u8);
    assert!(!v.compare_and_swap_any(Some(&equal_but_other), Some(Arc::new(2u8))));
    assert!(v.compare_and_swap_any(Some(&cur), Some(Arc::new(2u8))));
    assert_eq!(v.load_as::<u8>().as_deref(), Some(&2));
}

/// Go: TestValueCompareAndSwapConcurrent — m goroutines each advance the
/// counter from their own residues; it must reach m*n.
#[test]
#[cfg_attr(miri, ignore)]
fn value_compare_and_swap_concurrent() {
    let (m, n) = (8usize, 50usize);
    let v = Arc::new(Value::new());
    v.store(0usize);
    let hs: Vec<_> = (0..m)
        .map(|i| {
            let v = Arc::clone(&v);
            std::thread::spawn(move || {
                let mut j = i;
                while j < m * n {
                    if v.compare_and_swap(Some(&j), j + 1) {
                        j += m;
                    } else {
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(*v.load_as::<usize>().unwrap(), m * n);
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts live instances; its `Drop` panics when `panics` is set.
#[derive(Debug)]
struct Tracked {
    id: u32,
    panics: bool,
}

impl Tracked {
    fn new(id: u32, panics: bool) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Tracked { id, panics }
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Self) -> bool {
        if self.id == 99 || other.id == 99 {
            panic!("eq of 99");
        }
        self.id == other.id
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
        if self.panics && !std::thread::panicking() {
            panic!("drop of {}", self.id);
        }
    }
}

/// Every stored value is dropped exactly once; a panicking `Drop` of a
/// replaced value or a panicking `eq` leaves the Value usable and
/// consistent (they run outside its lock).
#[test]
fn drops_and_unwinding() {
    {
        let v = Value::new();
        v.store(Tracked::new(1, true));
        // Replacing 1 runs its panicking Drop, after the lock.
        let msg = panic_message(|| v.store(Tracked::new(2, false)));
        assert_eq!(msg.as_deref(), Some("drop of 1"));
        assert_eq!(v.load_as::<Tracked>().unwrap().id, 2);
        // A panicking eq: nothing stored, the new value dropped.
        let msg = panic_message(|| {
            let _ = v.compare_and_swap(Some(&Tracked::new(99, false)), Tracked::new(3, false));
        });
        assert_eq!(msg.as_deref(), Some("eq of 99"));
        assert_eq!(v.load_as::<Tracked>().unwrap().id, 2);
        // A refused store drops the refused value.
        assert!(panic_message(|| v.store(5u8)).is_some());
        let old = v.swap(Tracked::new(4, false)).unwrap();
        assert_eq!(old.id, 2);
        drop(old);
        assert!(v.compare_and_swap(Some(&Tracked::new(4, false)), Tracked::new(5, false)));
        assert_eq!(LIVE.load(Ordering::SeqCst), 1);
        // The lock is free: loads and stores go on from this thread.
        assert_eq!(v.load_as::<Tracked>().unwrap().id, 5);
    }
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "a value leaked or dropped twice"
    );
}
