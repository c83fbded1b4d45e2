//! Go 1.19's `sync` tests, ported: one module per Go test file, each test
//! named after the Go test it follows.
//!
//! Copyright 2009 The Go Authors. All rights reserved.
//! Use of this source code is governed by a BSD-style license that can be
//! found in the LICENSE file of the Go distribution:
//!
//! Redistribution and use in source and binary forms, with or without
//! modification, are permitted provided that the following conditions are
//! met: (1) Redistributions of source code must retain the above copyright
//! notice, this list of conditions and the following disclaimer.
//! (2) Redistributions in binary form must reproduce the above copyright
//! notice, this list of conditions and the following disclaimer in the
//! documentation and/or other materials provided with the distribution.
//! (3) Neither the name of Google Inc. nor the names of its contributors may
//! be used to endorse or promote products derived from this software without
//! specific prior written permission. THIS SOFTWARE IS PROVIDED BY THE
//! COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
//! WARRANTIES ... ARE DISCLAIMED.
#![cfg(not(loom))]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

fn panic_message(r: Result<(), Box<dyn std::any::Any + Send>>) -> String {
    let e = r.expect_err("expected a panic");
    if let Some(s) = e.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = e.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("<non-string panic>")
    }
}

fn scale(full: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        full
    }
}

/// https://github.com/golang/go/blob/go1.19/src/sync/mutex_test.go
mod mutex_test {
    use super::*;
    use gocore::atomic::AtomicU32;
    use gosync::{sema, Mutex, RawMutex, RawRwLock};

    fn hammer_semaphore(s: &AtomicU32, loops: usize) {
        for _ in 0..loops {
            sema::acquire(s, false);
            sema::release(s, false);
        }
    }

    #[test]
    fn test_semaphore() {
        let s = Arc::new(AtomicU32::new(1));
        let hs: Vec<_> = (0..scale(10, 3))
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || hammer_semaphore(&s, scale(1000, 20)))
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(s.load(core::sync::atomic::Ordering::SeqCst), 1);
    }

    fn hammer_mutex(m: &RawMutex, loops: usize) {
        for i in 0..loops {
            if i % 3 == 0 {
                if m.try_lock() {
                    // SAFETY: try_lock succeeded.
                    unsafe { m.unlock() };
                }
                continue;
            }
            m.lock();
            // SAFETY: locked above.
            unsafe { m.unlock() };
        }
    }

    #[test]
    fn test_mutex() {
        let m = Arc::new(RawMutex::new());
        m.lock();
        assert!(!m.try_lock(), "TryLock succeeded with mutex locked");
        // SAFETY: locked above.
        unsafe { m.unlock() };
        assert!(m.try_lock(), "TryLock failed with mutex unlocked");
        // SAFETY: locked by try_lock.
        unsafe { m.unlock() };
        let hs: Vec<_> = (0..scale(10, 3))
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || hammer_mutex(&m, scale(1000, 30)))
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(m.state().word(), 0);
    }

    /// Go runs each misuse in a subprocess because it is a fatal error; ours
    /// is a panic with the same message, so we catch it.
    #[test]
    fn test_mutex_misuse() {
        type Case = (&'static str, fn());
        let cases: [Case; 8] = [
            ("Mutex.Unlock", || {
                let mu = RawMutex::new();
                // SAFETY: deliberate misuse; the state is restored before the panic.
                unsafe { mu.unlock() };
            }),
            ("Mutex.Unlock2", || {
                let mu = RawMutex::new();
                mu.lock();
                // SAFETY: deliberate misuse, as above.
                unsafe {
                    mu.unlock();
                    mu.unlock();
                }
            }),
            ("RWMutex.Unlock", || {
                let mu = RawRwLock::new();
                // SAFETY: deliberate misuse, as above.
                unsafe { mu.unlock() };
            }),
            ("RWMutex.Unlock2", || {
                let mu = RawRwLock::new();
                mu.read();
                // SAFETY: deliberate misuse, as above.
                unsafe { mu.unlock() };
            }),
            ("RWMutex.Unlock3", || {
                let mu = RawRwLock::new();
                mu.lock();
                // SAFETY: deliberate misuse, as above.
                unsafe {
                    mu.unlock();
                    mu.unlock();
                }
            }),
            ("RWMutex.RUnlock", || {
                let mu = RawRwLock::new();
                // SAFETY: deliberate misuse, as above.
                unsafe { mu.read_unlock() };
            }),
            ("RWMutex.RUnlock2", || {
                let mu = RawRwLock::new();
                mu.lock();
                // SAFETY: deliberate misuse, as above.
                unsafe { mu.read_unlock() };
            }),
            ("RWMutex.RUnlock3", || {
                let mu = RawRwLock::new();
                mu.read();
                // SAFETY: deliberate misuse, as above.
                unsafe {
                    mu.read_unlock();
                    mu.read_unlock();
                }
            }),
        ];
        for (name, f) in cases {
            let msg = panic_message(catch_unwind(f));
            assert!(msg.contains("unlocked"), "{name}: {msg}");
            assert!(msg.starts_with("sync: "), "{name}: {msg}");
        }
        assert_eq!(
            panic_message(catch_unwind(cases[0].1)),
            "sync: unlock of unlocked mutex"
        );
        assert_eq!(
            panic_message(catch_unwind(cases[2].1)),
            "sync: Unlock of unlocked RWMutex"
        );
        assert_eq!(
            panic_message(catch_unwind(cases[5].1)),
            "sync: RUnlock of unlocked RWMutex"
        );
    }

    #[test]
    fn test_mutex_fairness() {
        let mu = Arc::new(Mutex::new(()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let greedy = {
            let (mu, stop) = (Arc::clone(&mu), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let g = mu.lock();
                    thread::sleep(Duration::from_micros(100));
                    drop(g);
                }
            })
        };
        let (tx, rx) = mpsc::channel();
        let polite = {
            let mu = Arc::clone(&mu);
            thread::spawn(move || {
                for _ in 0..10 {
                    thread::sleep(Duration::from_micros(100));
                    drop(mu.lock());
                }
                tx.send(()).unwrap();
            })
        };
        let r = rx.recv_timeout(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        greedy.join().unwrap();
        polite.join().unwrap();
        assert!(r.is_ok(), "can't acquire Mutex in 10 seconds");
    }
}

/// https://github.com/golang/go/blob/go1.19/src/sync/rwmutex_test.go
mod rwmutex_test {
    use super::*;
    use gosync::RawRwLock;

    fn do_test_parallel_readers(num_readers: usize) {
        let m = Arc::new(RawRwLock::new());
        let (clocked_tx, clocked) = mpsc::channel();
        let mut unlocks = Vec::new();
        let mut hs = Vec::new();
        for _ in 0..num_readers {
            let (m, clocked_tx) = (Arc::clone(&m), clocked_tx.clone());
            let (cunlock_tx, cunlock) = mpsc::channel::<()>();
            unlocks.push(cunlock_tx);
            hs.push(thread::spawn(move || {
                m.read();
                clocked_tx.send(()).unwrap();
                cunlock.recv().unwrap();
                // SAFETY: read-locked above.
                unsafe { m.read_unlock() };
            }));
        }
        // Wait for all parallel RLock()s to succeed: they all hold it at once.
        for _ in 0..num_readers {
            clocked.recv().unwrap();
        }
        assert_eq!(m.reader_count(), num_readers as i32);
        for u in unlocks {
            u.send(()).unwrap();
        }
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(m.reader_count(), 0);
    }

    #[test]
    fn test_parallel_readers() {
        do_test_parallel_readers(1);
        do_test_parallel_readers(3);
        do_test_parallel_readers(4);
    }

    fn reader(rwm: &RawRwLock, iterations: usize, activity: &AtomicI32) {
        for _ in 0..iterations {
            rwm.read();
            let n = activity.fetch_add(1, Ordering::SeqCst) + 1;
            assert!((1..10000).contains(&n), "wlock({n})");
            for _ in 0..100 {
                core::hint::spin_loop();
            }
            activity.fetch_add(-1, Ordering::SeqCst);
            // SAFETY: read-locked above.
            unsafe { rwm.read_unlock() };
        }
    }

    fn writer(rwm: &RawRwLock, iterations: usize, activity: &AtomicI32) {
        for _ in 0..iterations {
            rwm.lock();
            let n = activity.fetch_add(10000, Ordering::SeqCst) + 10000;
            assert_eq!(n, 10000, "wlock({n})");
            for _ in 0..100 {
                core::hint::spin_loop();
            }
            activity.fetch_add(-10000, Ordering::SeqCst);
            // SAFETY: write-locked above.
            unsafe { rwm.unlock() };
        }
    }

    fn hammer_rwmutex(num_readers: usize, iterations: usize) {
        let activity = Arc::new(AtomicI32::new(0));
        let rwm = Arc::new(RawRwLock::new());
        let mut hs = Vec::new();
        let spawn_writer = |hs: &mut Vec<thread::JoinHandle<()>>| {
            let (rwm, a) = (Arc::clone(&rwm), Arc::clone(&activity));
            hs.push(thread::spawn(move || writer(&rwm, iterations, &a)));
        };
        let spawn_reader = |hs: &mut Vec<thread::JoinHandle<()>>| {
            let (rwm, a) = (Arc::clone(&rwm), Arc::clone(&activity));
            hs.push(thread::spawn(move || reader(&rwm, iterations, &a)));
        };
        spawn_writer(&mut hs);
        let mut i = 0;
        while i < num_readers / 2 {
            spawn_reader(&mut hs);
            i += 1;
        }
        spawn_writer(&mut hs);
        while i < num_readers {
            spawn_reader(&mut hs);
            i += 1;
        }
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(activity.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn test_rwmutex() {
        let m = RawRwLock::new();
        m.lock();
        assert!(!m.try_lock(), "TryLock succeeded with mutex locked");
        assert!(!m.try_read(), "TryRLock succeeded with mutex locked");
        // SAFETY: write-locked.
        unsafe { m.unlock() };
        assert!(m.try_lock(), "TryLock failed with mutex unlocked");
        // SAFETY: write-locked by try_lock.
        unsafe { m.unlock() };
        assert!(m.try_read(), "TryRLock failed with mutex unlocked");
        assert!(m.try_read(), "TryRLock failed with mutex rlocked");
        assert!(!m.try_lock(), "TryLock succeeded with mutex rlocked");
        // SAFETY: two read locks held.
        unsafe {
            m.read_unlock();
            m.read_unlock();
        }
        let n = scale(1000, 5);
        for readers in [1, 3, 10] {
            hammer_rwmutex(if cfg!(miri) { readers.min(3) } else { readers }, n);
        }
    }

    /// Go's TestRLocker: a reader holding two read locks and a writer queued
    /// behind them; the writer must get in only after both read unlocks.
    #[test]
    fn test_rlocker() {
        let wl = Arc::new(RawRwLock::new());
        let n = scale(10, 3);
        let (rlocked_tx, rlocked) = mpsc::channel();
        let (wlocked_tx, wlocked) = mpsc::channel();
        let w2 = Arc::clone(&wl);
        let h = thread::spawn(move || {
            for _ in 0..n {
                w2.read();
                w2.read();
                rlocked_tx.send(()).unwrap();
                w2.lock();
                wlocked_tx.send(()).unwrap();
            }
        });
        for _ in 0..n {
            rlocked.recv().unwrap();
            // SAFETY: the other thread holds two read locks; we release one.
            unsafe { wl.read_unlock() };
            assert!(
                wlocked.recv_timeout(Duration::from_millis(5)).is_err(),
                "RLocker didn't read-lock it"
            );
            // SAFETY: and the other.
            unsafe { wl.read_unlock() };
            wlocked.recv().unwrap();
            assert!(
                rlocked.recv_timeout(Duration::from_millis(5)).is_err(),
                "RLocker didn't respect the write lock"
            );
            // SAFETY: the other thread holds the write lock.
            unsafe { wl.unlock() };
        }
        h.join().unwrap();
    }
}

/// https://github.com/golang/go/blob/go1.19/src/sync/waitgroup_test.go
mod waitgroup_test {
    use super::*;
    use gosync::WaitGroup;

    fn run_wait_group(wg1: &Arc<WaitGroup>, wg2: &Arc<WaitGroup>) {
        let n = scale(16, 3);
        wg1.add(n as i32);
        wg2.add(n as i32);
        let (exited_tx, exited) = mpsc::channel();
        let mut hs = Vec::new();
        for _ in 0..n {
            let (wg1, wg2, tx) = (Arc::clone(wg1), Arc::clone(wg2), exited_tx.clone());
            hs.push(thread::spawn(move || {
                wg1.done();
                wg2.wait();
                tx.send(()).unwrap();
            }));
        }
        wg1.wait();
        for _ in 0..n {
            assert!(
                exited.try_recv().is_err(),
                "WaitGroup released group too soon"
            );
            wg2.done();
        }
        for _ in 0..n {
            exited.recv().unwrap(); // Will block if barrier fails to unlock someone.
        }
        for h in hs {
            h.join().unwrap();
        }
    }

    #[test]
    fn test_wait_group() {
        let wg1 = Arc::new(WaitGroup::new());
        let wg2 = Arc::new(WaitGroup::new());
        // Run the same test a few times to ensure barrier is in a proper state.
        for _ in 0..scale(8, 2) {
            run_wait_group(&wg1, &wg2);
        }
    }

    #[test]
    fn test_wait_group_misuse() {
        let wg = WaitGroup::new();
        wg.add(1);
        wg.done();
        let msg = panic_message(catch_unwind(AssertUnwindSafe(|| wg.done())));
        assert_eq!(msg, "sync: negative WaitGroup counter");
    }

    #[test]
    fn test_wait_group_race() {
        for _ in 0..scale(1000, 5) {
            let wg = Arc::new(WaitGroup::new());
            let n = Arc::new(AtomicI32::new(0));
            let mut hs = Vec::new();
            for _ in 0..2 {
                let n = Arc::clone(&n);
                hs.push(wg.go(move || {
                    n.fetch_add(1, Ordering::SeqCst);
                }));
            }
            wg.wait();
            assert_eq!(n.load(Ordering::SeqCst), 2, "Spurious wakeup from Wait");
            for h in hs {
                h.join().unwrap();
            }
        }
    }

    #[test]
    fn test_wait_group_align() {
        #[repr(C)]
        struct X {
            x: u8,
            wg: WaitGroup,
        }
        let x = Arc::new(X {
            x: 1,
            wg: WaitGroup::new(),
        });
        x.wg.add(1);
        let x2 = Arc::clone(&x);
        let h = thread::spawn(move || x2.wg.done());
        x.wg.wait();
        h.join().unwrap();
        assert_eq!(x.x, 1);
    }
}

/// https://github.com/golang/go/blob/go1.19/src/sync/once_test.go
mod once_test {
    use super::*;
    use gosync::Once;

    #[test]
    fn test_once() {
        let o = Arc::new(AtomicUsize::new(0));
        let once = Arc::new(Once::new());
        let hs: Vec<_> = (0..10)
            .map(|_| {
                let (o, once) = (Arc::clone(&o), Arc::clone(&once));
                thread::spawn(move || {
                    once.call_once(|| {
                        o.fetch_add(1, Ordering::SeqCst);
                    });
                    let v = o.load(Ordering::SeqCst);
                    assert_eq!(v, 1, "once failed inside run: {v} is not 1");
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(o.load(Ordering::SeqCst), 1, "once failed outside run");
    }

    #[test]
    fn test_once_panic() {
        let once = Once::new();
        let r = catch_unwind(AssertUnwindSafe(|| once.call_once(|| panic!("failed"))));
        assert_eq!(panic_message(r), "failed", "Once.Do did not panic");
        once.call_once(|| panic!("Once.Do called twice"));
    }
}

/// https://github.com/golang/go/blob/go1.19/src/sync/map_test.go and
/// map_reference_test.go
#[allow(clippy::ptr_arg)] // MapInterface mirrors SyncMap<String, String>
mod map_test {
    use super::*;
    use gocore::rand::FastRand;
    use gosync::SyncMap;
    use std::collections::HashMap;
    use std::sync::RwLock;

    /// The operations of Go's `mapInterface` (plus Go 1.20's).
    trait MapInterface {
        fn load(&self, k: &String) -> Option<String>;
        fn store(&self, k: String, v: String);
        fn load_or_store(&self, k: String, v: String) -> (String, bool);
        fn load_and_delete(&self, k: &String) -> Option<String>;
        fn delete(&self, k: &String);
        fn swap(&self, k: String, v: String) -> Option<String>;
        fn compare_and_swap(&self, k: &String, old: &String, new: String) -> bool;
        fn compare_and_delete(&self, k: &String, old: &String) -> bool;
        fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool);
    }

    impl MapInterface for SyncMap<String, String> {
        fn load(&self, k: &String) -> Option<String> {
            SyncMap::load(self, k)
        }
        fn store(&self, k: String, v: String) {
            SyncMap::store(self, k, v)
        }
        fn load_or_store(&self, k: String, v: String) -> (String, bool) {
            SyncMap::load_or_store(self, k, v)
        }
        fn load_and_delete(&self, k: &String) -> Option<String> {
            SyncMap::load_and_delete(self, k)
        }
        fn delete(&self, k: &String) {
            SyncMap::delete(self, k);
        }
        fn swap(&self, k: String, v: String) -> Option<String> {
            SyncMap::swap(self, k, v)
        }
        fn compare_and_swap(&self, k: &String, old: &String, new: String) -> bool {
            SyncMap::compare_and_swap(self, k, old, new)
        }
        fn compare_and_delete(&self, k: &String, old: &String) -> bool {
            SyncMap::compare_and_delete(self, k, old)
        }
        fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
            SyncMap::range(self, f)
        }
    }

    /// Go's `RWMutexMap` (map_reference_test.go).
    #[derive(Default)]
    struct RwLockMap(RwLock<HashMap<String, String>>);

    impl MapInterface for RwLockMap {
        fn load(&self, k: &String) -> Option<String> {
            self.0.read().unwrap().get(k).cloned()
        }
        fn store(&self, k: String, v: String) {
            self.0.write().unwrap().insert(k, v);
        }
        fn load_or_store(&self, k: String, v: String) -> (String, bool) {
            let mut m = self.0.write().unwrap();
            match m.get(&k) {
                Some(a) => (a.clone(), true),
                None => {
                    m.insert(k, v.clone());
                    (v, false)
                }
            }
        }
        fn load_and_delete(&self, k: &String) -> Option<String> {
            self.0.write().unwrap().remove(k)
        }
        fn delete(&self, k: &String) {
            self.0.write().unwrap().remove(k);
        }
        fn swap(&self, k: String, v: String) -> Option<String> {
            self.0.write().unwrap().insert(k, v)
        }
        fn compare_and_swap(&self, k: &String, old: &String, new: String) -> bool {
            let mut m = self.0.write().unwrap();
            match m.get_mut(k) {
                Some(v) if v == old => {
                    *v = new;
                    true
                }
                _ => false,
            }
        }
        fn compare_and_delete(&self, k: &String, old: &String) -> bool {
            let mut m = self.0.write().unwrap();
            if m.get(k) == Some(old) {
                m.remove(k);
                true
            } else {
                false
            }
        }
        fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
            let snapshot: Vec<_> = self
                .0
                .read()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, v) in snapshot {
                if !f(&k, &v) {
                    break;
                }
            }
        }
    }

    /// Go's `DeepCopyMap` (map_reference_test.go): copy-on-write, lock-free
    /// reads of an immutable snapshot.
    #[derive(Default)]
    struct DeepCopyMap {
        mu: std::sync::Mutex<()>,
        clean: RwLock<Arc<HashMap<String, String>>>,
    }

    impl DeepCopyMap {
        fn snapshot(&self) -> Arc<HashMap<String, String>> {
            Arc::clone(&self.clean.read().unwrap())
        }
        fn update<R>(&self, f: impl FnOnce(&mut HashMap<String, String>) -> R) -> R {
            let _g = self.mu.lock().unwrap();
            let mut dirty = (*self.snapshot()).clone();
            let r = f(&mut dirty);
            *self.clean.write().unwrap() = Arc::new(dirty);
            r
        }
    }

    impl MapInterface for DeepCopyMap {
        fn load(&self, k: &String) -> Option<String> {
            self.snapshot().get(k).cloned()
        }
        fn store(&self, k: String, v: String) {
            self.update(|m| m.insert(k, v));
        }
        fn load_or_store(&self, k: String, v: String) -> (String, bool) {
            if let Some(a) = self.snapshot().get(&k) {
                return (a.clone(), true);
            }
            self.update(|m| match m.get(&k) {
                Some(a) => (a.clone(), true),
                None => {
                    m.insert(k, v.clone());
                    (v, false)
                }
            })
        }
        fn load_and_delete(&self, k: &String) -> Option<String> {
            self.update(|m| m.remove(k))
        }
        fn delete(&self, k: &String) {
            self.update(|m| m.remove(k));
        }
        fn swap(&self, k: String, v: String) -> Option<String> {
            self.update(|m| m.insert(k, v))
        }
        fn compare_and_swap(&self, k: &String, old: &String, new: String) -> bool {
            self.update(|m| match m.get_mut(k) {
                Some(v) if v == old => {
                    *v = new;
                    true
                }
                _ => false,
            })
        }
        fn compare_and_delete(&self, k: &String, old: &String) -> bool {
            self.update(|m| {
                if m.get(k) == Some(old) {
                    m.remove(k);
                    true
                } else {
                    false
                }
            })
        }
        fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
            for (k, v) in self.snapshot().iter() {
                if !f(k, v) {
                    break;
                }
            }
        }
    }

    /// Go's `mapCall`.
    #[derive(Clone, Debug)]
    enum MapCall {
        Load(String),
        Store(String, String),
        LoadOrStore(String, String),
        LoadAndDelete(String),
        Delete(String),
        Swap(String, String),
        CompareAndSwap(String, String, String),
        CompareAndDelete(String, String),
    }

    /// Go's `randValue`: strings of 0..3 letters, so keys collide often.
    fn rand_value(r: &mut FastRand) -> String {
        let n = r.next_u32() % 4;
        (0..n)
            .map(|_| (b'a' + (r.next_u32() % 26) as u8) as char)
            .collect()
    }

    fn gen_call(r: &mut FastRand) -> MapCall {
        let k = rand_value(r);
        match r.next_u32() % 8 {
            0 => MapCall::Load(k),
            1 => MapCall::Store(k, rand_value(r)),
            2 => MapCall::LoadOrStore(k, rand_value(r)),
            3 => MapCall::LoadAndDelete(k),
            4 => MapCall::Delete(k),
            5 => MapCall::Swap(k, rand_value(r)),
            6 => MapCall::CompareAndSwap(k, rand_value(r), rand_value(r)),
            _ => MapCall::CompareAndDelete(k, rand_value(r)),
        }
    }

    /// Go's `mapResult`.
    type MapResult = (Option<String>, bool);

    /// Go's `applyCalls`.
    fn apply_calls(
        m: &dyn MapInterface,
        calls: &[MapCall],
    ) -> (Vec<MapResult>, HashMap<String, String>) {
        let mut results = Vec::new();
        for c in calls {
            let r = match c.clone() {
                MapCall::Load(k) => {
                    let v = m.load(&k);
                    let ok = v.is_some();
                    (v, ok)
                }
                MapCall::Store(k, v) => {
                    m.store(k, v);
                    (None, false)
                }
                MapCall::LoadOrStore(k, v) => {
                    let (a, l) = m.load_or_store(k, v);
                    (Some(a), l)
                }
                MapCall::LoadAndDelete(k) => {
                    let v = m.load_and_delete(&k);
                    let ok = v.is_some();
                    (v, ok)
                }
                MapCall::Delete(k) => {
                    m.delete(&k);
                    (None, false)
                }
                MapCall::Swap(k, v) => {
                    let p = m.swap(k, v);
                    let ok = p.is_some();
                    (p, ok)
                }
                MapCall::CompareAndSwap(k, o, n) => (None, m.compare_and_swap(&k, &o, n)),
                MapCall::CompareAndDelete(k, o) => (None, m.compare_and_delete(&k, &o)),
            };
            results.push(r);
        }
        let mut final_ = HashMap::new();
        m.range(&mut |k, v| {
            assert!(
                final_.insert(k.clone(), v.clone()).is_none(),
                "key seen twice"
            );
            true
        });
        (results, final_)
    }

    /// Go's `quick.CheckEqual(applyMap, applyX, nil)`: 100 random call lists.
    fn check_equal(reference: impl Fn() -> Box<dyn MapInterface>) {
        let mut r = FastRand::new(0x5eed);
        for _ in 0..scale(100, 10) {
            let len = (r.next_u32() % scale(200, 40) as u32) as usize;
            let calls: Vec<_> = (0..len).map(|_| gen_call(&mut r)).collect();
            let ours = apply_calls(&SyncMap::<String, String>::new(), &calls);
            let theirs = apply_calls(&*reference(), &calls);
            assert_eq!(ours, theirs, "calls: {calls:?}");
        }
    }

    #[test]
    fn test_map_matches_rwmutex() {
        check_equal(|| Box::<RwLockMap>::default());
    }

    #[test]
    fn test_map_matches_deep_copy() {
        check_equal(|| Box::<DeepCopyMap>::default());
    }

    #[test]
    fn test_concurrent_range() {
        let map_size: i64 = if cfg!(miri) { 16 } else { 1 << 10 };
        let m = Arc::new(SyncMap::new());
        for n in 1..=map_size {
            m.store(n, n);
        }
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut hs = Vec::new();
        for g in 1..=2i64 {
            let (m, done) = (Arc::clone(&m), Arc::clone(&done));
            hs.push(thread::spawn(move || {
                let mut r = FastRand::new(g as u64);
                let mut i = 0i64;
                while !done.load(Ordering::Relaxed) {
                    for n in 1..map_size {
                        if r.next_u64() % map_size as u64 == 0 {
                            m.store(n, n * i * g);
                        } else {
                            m.load(&n);
                        }
                    }
                    i += 1;
                }
            }));
        }
        let iters = scale(1 << 10, 4);
        for _ in 0..iters {
            let mut seen = std::collections::HashSet::new();
            m.range(|k, v| {
                assert_eq!(
                    v % k,
                    0,
                    "while Storing multiples of {k}, Range saw value {v}"
                );
                assert!(seen.insert(*k), "Range visited key {k} twice");
                true
            });
            assert_eq!(seen.len() as i64, map_size);
        }
        done.store(true, Ordering::Relaxed);
        for h in hs {
            h.join().unwrap();
        }
    }

    /// Go's TestIssue40999 checks that deleted keys are not leaked: we count
    /// drops of keys and values instead of finalizers.
    #[test]
    fn test_issue_40999() {
        static LIVE: AtomicI32 = AtomicI32::new(0);
        #[derive(PartialEq, Eq, Hash)]
        struct Counted(u32);
        impl Counted {
            fn new(n: u32) -> Self {
                LIVE.fetch_add(1, Ordering::SeqCst);
                Counted(n)
            }
        }
        impl Drop for Counted {
            fn drop(&mut self) {
                LIVE.fetch_sub(1, Ordering::SeqCst);
            }
        }
        impl Clone for Counted {
            fn clone(&self) -> Self {
                Counted::new(self.0)
            }
        }
        {
            let m = SyncMap::new();
            m.store(Counted::new(u32::MAX), ());
            for i in 0..scale(1000, 20) as u32 {
                m.store(Counted::new(i), ());
                let probe = Counted::new(i);
                assert!(m.delete(&probe));
            }
            // Deleted keys are dropped once dirty is promoted and rebuilt and
            // the retired maps are reclaimed: only a bounded number stay.
            m.reclaim();
            assert!(
                LIVE.load(Ordering::SeqCst) < 8,
                "{}",
                LIVE.load(Ordering::SeqCst)
            );
        }
        assert_eq!(LIVE.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn test_map_range_nested_call() {
        let m = SyncMap::new();
        for (i, v) in ["hello", "world", "Go"].into_iter().enumerate() {
            m.store(i, v.to_string());
        }
        m.range(|key, value| {
            m.range(|key, value| {
                // We should be able to load the key offered in the Range callback.
                assert_eq!(m.load(key).as_ref(), Some(value));
                assert!(!m.load_or_store(42, "dummy".into()).1);
                let val = String::from("sync.Map");
                m.store(42, val.clone());
                assert_eq!(m.load_and_delete(&42), Some(val));
                true
            });
            // Remove key from Map on-the-fly.
            let _ = value;
            m.delete(key);
            true
        });
        let mut length = 0;
        m.range(|_, _| {
            length += 1;
            true
        });
        assert_eq!(length, 0);
    }
}
