// Copyright (c) 2009 The Go Authors. All rights reserved.
//
// Redistribution and use in source and binary forms, with or without
// modification, are permitted provided that the following conditions are
// met:
//
//    * Redistributions of source code must retain the above copyright
// notice, this list of conditions and the following disclaimer.
//    * Redistributions in binary form must reproduce the above
// copyright notice, this list of conditions and the following disclaimer
// in the documentation and/or other materials provided with the
// distribution.
//    * Neither the name of Google Inc. nor the names of its
// contributors may be used to endorse or promote products derived from
// this software without specific prior written permission.
//
// THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
// "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
// LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
// A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
// OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
// SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
// LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
// DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
// THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
// (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
// OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

//! Go 1.19's `context` tests, rewritten against gocontext.
//!
//! Source: <https://github.com/golang/go/blob/go1.19/src/context/context_test.go>
//! (run by `x_test.go`), plus `net_test.go`. Each test names the Go test it
//! follows. Tests that inspect Go's private types (`pc.children`) use
//! [`Context::children_len`]; `otherContext` (a foreign `Context`
//! implementation) has no Rust counterpart (the trait is not open), so those
//! sub-cases run on the plain context. Go's `TestAllocs` and
//! `TestCustomContextGoroutines` check Go-runtime artefacts (allocation
//! counts, watcher goroutines) that do not exist here; the structural
//! property behind them (no extra thread, no watcher) holds by construction.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use gochan::TryRecvError;
use gocontext::{
    background, todo, with_cancel, with_deadline, with_timeout, with_value, CancelFunc, Context,
    Done, Error,
};

const SHORT: Duration = Duration::from_millis(1);
const VERY_LONG: Duration = Duration::from_secs(1000 * 3600);
const QUIESCENT: Duration = Duration::from_secs(5);

/// Go: `select { case <-c.Done(): ready; default: blocked }`.
fn ready(d: &Done) -> bool {
    match d.try_recv() {
        Ok(()) => true,
        Err(TryRecvError::Closed) => true,
        Err(TryRecvError::Empty) => false,
    }
}

/// Go: `testDeadline` — the context must time out within QUIESCENT.
fn test_deadline(c: &Context, name: &str) {
    match c.done().recv_timeout(QUIESCENT) {
        Err(gochan::RecvTimeoutError::Closed) => {}
        other => panic!("{name}: context not timed out after {QUIESCENT:?}: {other:?}"),
    }
    assert_eq!(c.err(), Some(Error::DeadlineExceeded), "{name}");
}

/// Go: TestBackground
#[test]
fn test_background() {
    let c = background();
    assert!(!ready(&c.done()), "<-c.Done() should block");
    assert!(c.done().is_nil());
    assert_eq!(c.to_string(), "context.Background");
    assert_eq!(c.err(), None);
    assert_eq!(c.deadline(), None);
}

/// Go: TestTODO
#[test]
fn test_todo() {
    let c = todo();
    assert!(!ready(&c.done()), "<-c.Done() should block");
    assert_eq!(c.to_string(), "context.TODO");
    assert_eq!(c.err(), None);
}

/// Go: TestWithCancel
#[test]
fn test_with_cancel() {
    let (c1, cancel) = with_cancel(&background());
    assert_eq!(c1.to_string(), "context.Background.WithCancel");
    let (c2, _c2cancel) = with_cancel(&c1);
    let contexts = [c1.clone(), c2];
    for (i, c) in contexts.iter().enumerate() {
        assert!(!c.done().is_nil(), "c[{i}].Done() == nil want non-nil");
        assert_eq!(c.err(), None, "c[{i}]");
        assert!(!ready(&c.done()), "c[{i}].Done() should block");
    }
    cancel.cancel(); // Should propagate synchronously.
    for (i, c) in contexts.iter().enumerate() {
        assert!(
            ready(&c.done()),
            "<-c[{i}].Done() blocked, but shouldn't have"
        );
        assert_eq!(c.err(), Some(Error::Canceled), "c[{i}]");
    }
}

/// Go: TestParentFinishesChild
#[test]
fn test_parent_finishes_child() {
    // parent -> cancelChild; parent -> valueChild -> timerChild
    let (parent, cancel) = with_cancel(&background());
    let (cancel_child, _stop1) = with_cancel(&parent);
    let value_child = with_value(&parent, "key", "value");
    let (timer_child, _stop2) = with_timeout(&value_child, VERY_LONG);
    for c in [&parent, &cancel_child, &value_child, &timer_child] {
        assert!(!ready(&c.done()), "{c} should block");
    }
    // The parent's children should contain the two cancelable children.
    assert_eq!(parent.children_len(), 2, "bad linkage");
    cancel.cancel();
    assert_eq!(
        parent.children_len(),
        0,
        "pc.cancel didn't clear pc.children"
    );
    for (c, name) in [
        (&parent, "parent"),
        (&cancel_child, "cancelChild"),
        (&value_child, "valueChild"),
        (&timer_child, "timerChild"),
    ] {
        assert!(ready(&c.done()), "<-{name}.Done() blocked");
        assert_eq!(c.err(), Some(Error::Canceled), "{name}");
    }
    // A value context on a canceled parent is canceled.
    let precanceled = with_value(&parent, "key", "value");
    assert!(ready(&precanceled.done()));
    assert_eq!(precanceled.err(), Some(Error::Canceled));
}

/// Go: TestChildFinishesFirst
#[test]
fn test_child_finishes_first() {
    let (cancelable, _stop) = with_cancel(&background());
    for (parent, cancellable) in [(background(), false), (cancelable, true)] {
        let (child, cancel) = with_cancel(&parent);
        assert!(!ready(&parent.done()));
        assert!(!ready(&child.done()));
        if cancellable {
            assert_eq!(parent.children_len(), 1, "bad linkage");
        }
        cancel.cancel();
        if cancellable {
            assert_eq!(
                parent.children_len(),
                0,
                "child's cancel didn't remove self"
            );
        }
        assert!(ready(&child.done()));
        assert_eq!(child.err(), Some(Error::Canceled));
        assert!(!ready(&parent.done()), "parent should not be finished");
        assert_eq!(parent.err(), None);
    }
}

/// Go: TestDeadline
#[test]
fn test_deadline_go() {
    let (c, _c1) = with_deadline(&background(), Instant::now() + SHORT);
    assert!(
        c.to_string()
            .starts_with("context.Background.WithDeadline("),
        "{c}"
    );
    test_deadline(&c, "WithDeadline");

    let (c, _c2) = with_deadline(&background(), Instant::now() + SHORT);
    let (c, _c3) = with_deadline(&c, Instant::now() + VERY_LONG);
    test_deadline(&c, "WithDeadline+WithDeadline");

    let (c, _c4) = with_deadline(&background(), Instant::now() - SHORT);
    test_deadline(&c, "WithDeadline+inthepast");

    let (c, _c5) = with_deadline(&background(), Instant::now());
    test_deadline(&c, "WithDeadline+now");
}

/// Go: TestTimeout
#[test]
fn test_timeout() {
    let (c, _c1) = with_timeout(&background(), SHORT);
    assert!(
        c.to_string()
            .starts_with("context.Background.WithDeadline("),
        "{c}"
    );
    test_deadline(&c, "WithTimeout");

    let (c, _c2) = with_timeout(&background(), SHORT);
    let (c, _c3) = with_timeout(&c, VERY_LONG);
    test_deadline(&c, "WithTimeout+WithTimeout");
}

/// Go: TestCanceledTimeout
#[test]
fn test_canceled_timeout() {
    let (c, _c1) = with_timeout(&background(), Duration::from_secs(1));
    let (c, cancel) = with_timeout(&c, VERY_LONG);
    cancel.cancel(); // Should propagate synchronously.
    assert!(ready(&c.done()), "<-c.Done() blocked, but shouldn't have");
    assert_eq!(c.err(), Some(Error::Canceled));
}

#[derive(PartialEq, Debug)]
struct Key1(i32);
#[derive(PartialEq, Debug)]
struct Key2(i32);

/// Go: TestValues
#[test]
fn test_values() {
    let k1 = Key1(1);
    let k2 = Key2(1); // same int as k1, different type
    let k3 = Key2(3); // same type as k2, different int
    let check = |c: &Context, nm: &str, v1: &str, v2: &str, v3: &str| {
        fn get(v: Option<&&'static str>) -> &'static str {
            v.copied().unwrap_or("")
        }
        assert_eq!(get(c.value::<_, &'static str>(&k1)), v1, "{nm}.Value(k1)");
        assert_eq!(get(c.value::<_, &'static str>(&k2)), v2, "{nm}.Value(k2)");
        assert_eq!(get(c.value::<_, &'static str>(&k3)), v3, "{nm}.Value(k3)");
    };
    let c0 = background();
    check(&c0, "c0", "", "", "");
    let c1 = with_value(&background(), Key1(1), "c1k1");
    check(&c1, "c1", "c1k1", "", "");
    assert_eq!(
        c1.to_string(),
        format!(
            "context.Background.WithValue(type {}, val c1k1)",
            std::any::type_name::<Key1>()
        )
    );
    let c2 = with_value(&c1, Key2(1), "c2k2");
    check(&c2, "c2", "c1k1", "c2k2", "");
    let c3 = with_value(&c2, Key2(3), "c3k3");
    check(&c3, "c3", "c1k1", "c2k2", "c3k3");
    // Go: WithValue(c3, k1, nil): the innermost k1 now holds a non-string.
    let c4 = with_value(&c3, Key1(1), ());
    check(&c4, "c4", "", "c2k2", "c3k3");
    let o4 = with_value(&c4, Key2(3), ());
    check(&o4, "o4", "", "c2k2", "");
}

/// Go: TestSimultaneousCancels
#[test]
fn test_simultaneous_cancels() {
    let (root, cancel) = with_cancel(&background());
    let mut m: Vec<(Context, CancelFunc)> = vec![(root.clone(), cancel)];
    let mut q = std::collections::VecDeque::from([root]);
    let target = if cfg!(miri) { 12 } else { 100 };
    while let Some(parent) = q.pop_front() {
        if m.len() >= target {
            break;
        }
        for _ in 0..4 {
            let (ctx, cancel) = with_cancel(&parent);
            m.push((ctx.clone(), cancel));
            q.push_back(ctx);
        }
    }
    // Start all the cancels at once, from many threads.
    let barrier = Arc::new(Barrier::new(m.len()));
    let handles: Vec<_> = m
        .iter()
        .map(|(_, cancel)| {
            let cancel = cancel.clone();
            let b = Arc::clone(&barrier);
            std::thread::spawn(move || {
                b.wait();
                cancel.cancel();
            })
        })
        .collect();
    for (ctx, _) in &m {
        assert!(ctx.done().recv_timeout(QUIESCENT).is_err());
        assert!(ctx.err().is_some());
    }
    for h in handles {
        h.join().unwrap();
    }
    assert!(m.iter().all(|(c, _)| c.children_len() == 0));
}

/// Go: TestInterlockedCancels
#[test]
fn test_interlocked_cancels() {
    let (parent, cancel_parent) = with_cancel(&background());
    let (child, cancel_child) = with_cancel(&parent);
    let p = parent.clone();
    let t = std::thread::spawn(move || {
        p.done().recv();
        cancel_child.cancel();
    });
    cancel_parent.cancel();
    assert_eq!(
        child.done().recv_timeout(QUIESCENT),
        Err(gochan::RecvTimeoutError::Closed),
        "timed out waiting for child.Done()"
    );
    t.join().unwrap();
}

/// Go: testLayers, shared by TestLayersCancel and TestLayersTimeout.
fn test_layers(seed: u64, test_timeout: bool) {
    let mut r = gocore::rand::FastRand::new(seed);
    const MIN_LAYERS: usize = 30;
    #[derive(PartialEq)]
    struct Value(usize);
    let mut vals = Vec::new();
    let mut cancels: Vec<CancelFunc> = Vec::new();
    let mut num_timers = 0;
    let mut ctx = background();
    let mut i = 0;
    while i < MIN_LAYERS || num_timers == 0 || cancels.is_empty() || vals.is_empty() {
        match r.next_u32() % 3 {
            0 => {
                ctx = with_value(&ctx, Value(i), i);
                vals.push(i);
            }
            1 => {
                let (c, cancel) = with_cancel(&ctx);
                ctx = c;
                cancels.push(cancel);
            }
            _ => {
                let d = if test_timeout { SHORT } else { VERY_LONG };
                let (c, cancel) = with_timeout(&ctx, d);
                ctx = c;
                cancels.push(cancel);
                num_timers += 1;
            }
        }
        i += 1;
    }
    let check_values = |when: &str| {
        for &k in &vals {
            assert_eq!(
                ctx.value::<_, usize>(&Value(k)),
                Some(&k),
                "seed={seed}: {when}"
            );
        }
    };
    if !test_timeout {
        assert!(
            !ready(&ctx.done()),
            "seed={seed}: ctx should not be canceled yet"
        );
    }
    assert!(ctx.to_string().starts_with("context.Background."), "{ctx}");
    check_values("before cancel");
    if test_timeout {
        assert!(ctx.done().recv_timeout(QUIESCENT).is_err());
        assert!(
            ctx.err().is_some(),
            "seed={seed}: ctx should have timed out"
        );
        check_values("after timeout");
    } else {
        let cancel = &cancels[r.next_u32() as usize % cancels.len()];
        cancel.cancel();
        assert!(ready(&ctx.done()), "seed={seed}: ctx should be canceled");
        check_values("after cancel");
    }
}

/// Go: TestLayersCancel
#[test]
fn test_layers_cancel() {
    for seed in 0..8 {
        test_layers(seed, false);
    }
}

/// Go: TestLayersTimeout
#[test]
fn test_layers_timeout() {
    for seed in 0..4 {
        test_layers(seed, true);
    }
}

/// Go: TestCancelRemoves
#[test]
fn test_cancel_removes() {
    let (ctx, _c) = with_cancel(&background());
    assert_eq!(ctx.children_len(), 0, "after creation");
    let (_child, cancel) = with_cancel(&ctx);
    assert_eq!(ctx.children_len(), 1, "with WithCancel child");
    cancel.cancel();
    assert_eq!(ctx.children_len(), 0, "after canceling WithCancel child");

    let (ctx, _c) = with_cancel(&background());
    assert_eq!(ctx.children_len(), 0, "after creation");
    let (_child, cancel) = with_timeout(&ctx, Duration::from_secs(3600));
    assert_eq!(ctx.children_len(), 1, "with WithTimeout child");
    cancel.cancel();
    assert_eq!(ctx.children_len(), 0, "after canceling WithTimeout child");
}

/// Go: TestWithCancelCanceledParent
#[test]
fn test_with_cancel_canceled_parent() {
    let (parent, pcancel) = with_cancel(&background());
    pcancel.cancel();
    let (c, _cancel) = with_cancel(&parent);
    assert!(
        ready(&c.done()),
        "child not done immediately upon construction"
    );
    assert_eq!(c.err(), Some(Error::Canceled));
}

/// Go: TestWithValueChecksKey. Go panics on a nil or non-comparable key at
/// run time; here `with_value` requires `K: PartialEq` and takes the key by
/// value, so both are compile errors. What remains checkable: keys compare
/// with their own type's equality, including a slice-like key.
#[test]
fn test_with_value_checks_key() {
    let ctx = with_value(&background(), vec![1u8, 2], "bar");
    assert_eq!(ctx.value::<_, &str>(&vec![1u8, 2]), Some(&"bar"));
    assert_eq!(ctx.value::<_, &str>(&vec![1u8]), None);
    assert_eq!(
        ctx.value::<_, &str>(&[1u8, 2]),
        None,
        "different type, no match"
    );
}

/// Go: TestDeadlineExceededSupportsTimeout (and net_test.go's
/// TestDeadlineExceededIsNetError: Timeout() and Temporary() are true).
#[test]
fn test_deadline_exceeded_supports_timeout() {
    assert!(Error::DeadlineExceeded.is_timeout());
    assert!(Error::DeadlineExceeded.is_temporary());
    assert_eq!(
        Error::DeadlineExceeded.to_string(),
        "context deadline exceeded"
    );
    assert_eq!(Error::Canceled.to_string(), "context canceled");
    let e: Box<dyn std::error::Error> = Box::new(Error::DeadlineExceeded);
    assert_eq!(e.to_string(), "context deadline exceeded");
}

/// Go: TestCustomContextGoroutines. Go starts a watcher goroutine per child of
/// a foreign context; we have no foreign contexts, and deriving from any
/// context starts no thread: a tree of children of a wrapped (value) context
/// attaches directly to the nearest cancel context.
#[test]
fn test_custom_context_goroutines() {
    let (ctx, cancel) = with_cancel(&background());
    let wrapped = with_value(&ctx, "wrapper", ());
    let kids: HashMap<usize, _> = (0..10).map(|i| (i, with_cancel(&wrapped))).collect();
    assert_eq!(
        ctx.children_len(),
        10,
        "children attach directly, no watcher"
    );
    cancel.cancel();
    assert!(kids.values().all(|(c, _)| c.err() == Some(Error::Canceled)));
}
