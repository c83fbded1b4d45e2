//! Once, OnceValue, OnceFunc: once only, panics count as done, and the
//! difference from `std::sync::Once`.
#![cfg(not(loom))]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use gosync::{once_func, once_value, once_values, Once, OnceFunc, OnceValue};

#[test]
fn concurrent_callers_all_wait_for_the_one_call() {
    let once = Arc::new(Once::new());
    let v = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let (once, v) = (Arc::clone(&once), Arc::clone(&v));
            thread::spawn(move || {
                once.call_once(|| {
                    thread::sleep(std::time::Duration::from_millis(1));
                    v.fetch_add(1, Ordering::SeqCst);
                });
                // No call returns before f has returned.
                assert_eq!(v.load(Ordering::SeqCst), 1);
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

#[test]
fn panic_counts_as_done_unlike_std() {
    let ours = Once::new();
    assert!(catch_unwind(AssertUnwindSafe(|| ours.call_once(|| panic!("x")))).is_err());
    assert!(ours.is_done());
    let mut ran = false;
    ours.call_once(|| ran = true);
    assert!(!ran);

    let std_once = std::sync::Once::new();
    assert!(catch_unwind(AssertUnwindSafe(|| std_once.call_once(|| panic!("x")))).is_err());
    // std poisons instead: its next call_once panics.
    assert!(catch_unwind(AssertUnwindSafe(|| std_once.call_once(|| ()))).is_err());
}

#[test]
fn once_value_computes_once_and_repanics() {
    let calls = AtomicUsize::new(0);
    let v = OnceValue::new(|| {
        calls.fetch_add(1, Ordering::SeqCst);
        String::from("v")
    });
    assert_eq!(v.get(), "v");
    assert_eq!(v.get(), "v");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(format!("{v:?}"), "OnceValue { value: \"v\" }");

    let bad: OnceValue<u8, _> = OnceValue::new(|| panic!("bad init"));
    for _ in 0..3 {
        let e = catch_unwind(AssertUnwindSafe(|| *bad.get())).unwrap_err();
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        assert_eq!(msg.as_deref(), Some("bad init"));
    }
}

#[test]
fn once_func_and_closures() {
    let n = AtomicUsize::new(0);
    let f = OnceFunc::new(|| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    f.call();
    f.call();
    assert_eq!(n.load(Ordering::SeqCst), 1);
    let g = once_func(|| {
        n.fetch_add(10, Ordering::SeqCst);
    });
    g.call();
    g.call();
    assert_eq!(n.load(Ordering::SeqCst), 11);
    let h = once_value(|| vec![1, 2]);
    assert_eq!(h.get(), &[1, 2]);
    assert_eq!(h.get().clone(), [1, 2]);
    let pair = once_values(|| {
        n.fetch_add(100, Ordering::SeqCst);
        (3u8, "three")
    });
    assert_eq!(pair.get(), &(3, "three"));
    assert_eq!(pair.get(), &(3, "three"));
    assert_eq!(n.load(Ordering::SeqCst), 111);
}

/// The `once_*` results can be shared between threads (Go's returned
/// functions can be called from any goroutine).
#[test]
#[cfg_attr(miri, ignore)]
fn once_constructors_are_shareable_across_threads() {
    fn assert_sync<T: Sync + Send>(_: &T) {}
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let c = std::sync::Arc::clone(&calls);
    let v = std::sync::Arc::new(once_value(move || {
        c.fetch_add(1, Ordering::SeqCst);
        String::from("v")
    }));
    assert_sync(&*v);
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let v = std::sync::Arc::clone(&v);
            std::thread::spawn(move || v.get().clone())
        })
        .collect();
    for h in hs {
        assert_eq!(h.join().unwrap(), "v");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let f = once_func(|| ());
    assert_sync(&f);
}

#[test]
fn once_value_drops_its_value_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct D;
    impl Drop for D {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    {
        let v = OnceValue::new(|| D);
        let _ = v.get();
        let _ = v.get();
    }
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    {
        let _unused = OnceValue::new(|| D); // never called: nothing made
    }
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}
