//! Go 1.19's `test/chan/*.go` programs not ported in `golang.rs`:
//! doubleselect, fifo, goroutines, select2..select8, sendstmt, sieve2,
//! zerosize (perm.go is compile-only; powser1/2 need rational power series
//! arithmetic, not channel behaviour, beyond what sieve2 already exercises).
//!
//! Go's "blocks for ever" checks become a bounded wait that must time out;
//! Go's panics ("send on closed channel") are caught with `catch_unwind`.
//! Source: <https://github.com/golang/go/tree/go1.19/test/chan>, covered by
//! Go's BSD license (see `golang.rs`).
#![cfg(feature = "std")]

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;
use std::time::Duration;

use gochan::{select, Chan, Receiver, RecvTimeoutError, SendTimeoutError, Sender};

mod common;
use common::{ms, size};

fn panic_text(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// select3.go: which operations block, which panic, which complete.
#[test]
fn select3() {
    let nil = Chan::<i32>::nil();
    let closed = Chan::<i32>::new(0);
    closed.close().unwrap();
    let wait = ms(20);

    // sending/receiving on a nil channel blocks
    assert_eq!(nil.send_timeout(7, wait), Err(SendTimeoutError::Timeout(7)));
    assert_eq!(nil.recv_timeout(wait), Err(RecvTimeoutError::Timeout));
    // ... and is never selected
    select! {
        send(nil, 7) => unreachable!(),
        default => {}
    }
    select! {
        recv(nil) => unreachable!(),
        default => {}
    }
    // sending to a buffered channel with room never blocks
    let ch = Chan::new(1);
    assert_eq!(ch.send_timeout(7, Duration::ZERO), Ok(()));
    // receiving from a closed channel never blocks, and gives the zero value
    for _ in 0..10 {
        assert_eq!(closed.recv(), None);
        assert_eq!(
            closed.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Closed)
        );
    }
    // sending to a closed channel panics (an Err in our API) ...
    assert!(closed.send(7).is_err());
    // ... and so does a select's send case
    assert_eq!(
        panic_text(|| select! {
            send(closed, 7) => {}
        }),
        "send on closed channel"
    );
    // receiving from a non-ready channel blocks
    let ch = Chan::<i32>::new(0);
    assert_eq!(ch.recv_timeout(wait), Err(RecvTimeoutError::Timeout));
    // selects with only nil channels block
    for v in [0, 1, 2] {
        let fired = match v {
            0 => select! { recv(nil) => true, default(wait) => false },
            1 => select! { send(nil, 7) => true, default(wait) => false },
            _ => select! { recv(nil) => true, send(nil, 7) => true, default(wait) => false },
        };
        assert!(!fired);
    }
    // selects with non-ready non-nil channels block
    select! {
        recv(ch) => unreachable!(),
        default(wait) => {}
    }
    // selects with ready channels don't block
    let ch = Chan::new(1);
    select! {
        send(ch, 7) => {}
        default => unreachable!(),
    }
    select! {
        recv(ch) -> v => assert_eq!(v, Some(7)),
        default => unreachable!(),
    }
    // selects with closed channels behave like ordinary operations
    select! {
        recv(closed) -> v => assert_eq!(v, None),
    }
    // select should not get confused if it sees itself
    let c = Chan::new(0);
    select! {
        send(c, 1) => unreachable!(),
        recv(c) => unreachable!(),
        default(wait) => {}
    }
}

/// select4.go: a case that does not fire does not run its assignment;
/// select5.go (generated): operands are evaluated once, in source order,
/// whichever case fires.
#[test]
fn select4_and_select5_order() {
    let c = Chan::new(1);
    let c1 = Chan::<i32>::new(0);
    c.send(42).unwrap();
    let x;
    select! {
        recv(c1) -> _ => unreachable!("BUG: called f"),
        recv(c) -> v => x = v.unwrap(),
    }
    assert_eq!(x, 42);

    let order = std::cell::Cell::new(0);
    let check = |o: i32| {
        assert!(o > order.get(), "invalid order {o} after {}", order.get());
        order.set(o);
    };
    let dummy = Chan::<i32>::new(0);
    let c = Chan::<i32>::new(1);
    select! {
        recv({ check(1); &dummy }) => unreachable!(),
        send({ check(2); &c }, { check(3); 5 }) => {}
        send({ check(4); &dummy }, { check(5); 6 }) => unreachable!(),
        recv({ check(6); Chan::<i32>::nil() }) => unreachable!(),
    }
    assert_eq!(order.get(), 6);
    assert_eq!(c.try_recv(), Ok(5));
}

/// select6.go: a select's receive case, woken and then losing the value to
/// another receiver, does not leave a stale waiter behind (issue 2075).
#[test]
fn select6() {
    let (c1, c2, c3) = (
        Chan::<bool>::new(0),
        Chan::<bool>::new(0),
        Chan::<bool>::new(0),
    );
    thread::scope(|s| {
        s.spawn(|| {
            c1.recv();
        });
        s.spawn(|| {
            select! {
                recv(c1) => panic!("dummy"),
                recv(c2) => c3.send(true).unwrap(),
            }
            c1.recv();
        });
        s.spawn(|| c2.send(true).unwrap());
        c3.recv().unwrap();
        c1.send(true).unwrap();
        c1.send(true).unwrap();
    });
}

/// select7.go: every mix of a plain/one-case/two-case send with a
/// plain/one-case/two-case receive completes.
#[test]
fn select7() {
    fn recv1(c: Receiver<i32>) {
        c.recv();
    }
    fn recv2(c: Receiver<i32>) {
        select! { recv(c) => {} }
    }
    fn recv3(c: Receiver<i32>) {
        let c2 = Chan::<i32>::new(0);
        select! {
            recv(c) => {}
            recv(c2) => {}
        }
    }
    let recvs: [fn(Receiver<i32>); 3] = [recv1, recv2, recv3];
    for recv in recvs {
        for send in 0..3 {
            let c = Chan::new(0);
            let r = c.receiver();
            let t = thread::spawn(move || recv(r));
            thread::yield_now();
            match send {
                0 => c.send(1).unwrap(),
                1 => select! { send(c, 1) => {} },
                _ => {
                    let c2 = Chan::new(0);
                    select! {
                        send(c, 1) => {}
                        send(c2, 1) => unreachable!(),
                    }
                }
            }
            t.join().unwrap();
        }
    }
}

/// select8.go: `break` inside a select arm leaves the enclosing loop body
/// (Go: the select), and a select between a send and a receive on the same
/// unbuffered channel with a sender running takes the receive.
#[test]
fn select8() {
    let ch = Chan::new(0);
    let stop = Chan::<()>::new(0);
    thread::scope(|s| {
        s.spawn(|| loop {
            select! {
                send(ch, 5) => {}
                recv(stop) => break,
            }
        });
        #[allow(clippy::never_loop)]
        loop {
            select! {
                recv(ch) -> v => {
                    assert_eq!(v, Some(5));
                    break;
                }
            }
        }
        select! {
            default => {}
        }
        let got = select! {
            recv(ch) -> v => v,
            send(ch, 10) => unreachable!(),
            default(ms(10_000)) => None,
        };
        assert_eq!(got, Some(5));
        stop.close().unwrap();
    });
}

/// sendstmt.go: `<-cc <- 2`, a send on a channel received from a channel.
#[test]
fn sendstmt() {
    let cc = Chan::<Chan<i32>>::new(1);
    let c = Chan::new(1);
    cc.send(c.clone()).unwrap();
    select! {
        send(cc.recv().unwrap(), 2) => {}
        default => panic!("nonblock"),
    }
    assert_eq!(c.recv(), Some(2));

    let c = Chan::new(1);
    #[allow(clippy::nonminimal_bool, clippy::overly_complex_bool_expr)]
    c.send(false || true).unwrap();
    assert_eq!(c.recv(), Some(true));
}

/// zerosize.go: channels of zero-sized elements, buffered or not.
#[test]
fn zerosize() {
    let a = Chan::<[u8; 0]>::new(0);
    let b = Chan::<[u8; 0]>::new(1);
    let c = Chan::<()>::new(0);
    let d = Chan::<()>::new(1);
    b.send([]).unwrap();
    d.send(()).unwrap();
    assert_eq!((b.len(), d.len()), (1, 1));
    assert_eq!(b.recv(), Some([]));
    assert_eq!(d.recv(), Some(()));
    thread::scope(|s| {
        s.spawn(|| a.send([]).unwrap());
        s.spawn(|| c.send(()).unwrap());
        assert_eq!(a.recv(), Some([]));
        assert_eq!(c.recv(), Some(()));
    });
    let big = Chan::<()>::new(isize::MAX as usize);
    for _ in 0..1000 {
        big.send(()).unwrap();
    }
    assert_eq!(big.len(), 1000);
}

/// doubleselect.go: a select sending the same value on one of four
/// channels delivers each value exactly once (issue 1234).
#[test]
fn doubleselect() {
    let n = size(20_000, 12);
    let chans: Vec<Chan<usize>> = (0..4).map(|_| Chan::new(0)).collect();
    let done = Chan::<bool>::new(0);
    let cmux = Chan::<usize>::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..n {
                select! {
                    send(chans[0], i) => {}
                    send(chans[1], i) => {}
                    send(chans[2], i) => {}
                    send(chans[3], i) => {}
                }
            }
            for c in &chans {
                c.close().unwrap();
            }
        });
        for c in &chans {
            let (cmux, done) = (&cmux, &done);
            s.spawn(move || {
                for v in c.iter() {
                    cmux.send(v).unwrap();
                }
                done.send(true).unwrap();
            });
        }
        s.spawn(|| {
            for _ in 0..4 {
                done.recv();
            }
            cmux.close().unwrap();
        });
        let mut seen = HashSet::new();
        for v in cmux.iter() {
            assert!(seen.insert(v), "got duplicate value: {v}");
        }
        assert_eq!(seen.len(), n);
    });
}

/// fifo.go: buffered and unbuffered channels are FIFO, the latter across a
/// chain of goroutines each taking the next value.
#[test]
fn fifo() {
    const N: i32 = 10;
    let ch = Chan::new(N as usize);
    for i in 0..N {
        ch.send(i).unwrap();
    }
    for i in 0..N {
        assert_eq!(ch.recv(), Some(i));
    }

    let ch = Chan::<i32>::new(0);
    let start = Chan::<i32>::new(0);
    let mut inp = start.clone();
    thread::scope(|s| {
        for i in 0..N {
            let out = Chan::new(0);
            let (ch, prev, o) = (&ch, inp.clone(), out.clone());
            s.spawn(move || {
                prev.recv();
                assert_eq!(ch.recv(), Some(i));
                o.send(1).unwrap();
            });
            inp = out;
        }
        start.send(0).unwrap();
        for i in 0..N {
            ch.send(i).unwrap();
        }
        inp.recv();
    });
}

/// goroutines.go: a long chain of goroutines passing one value leftwards.
#[test]
fn goroutines() {
    let n = size(300, 10);
    let leftmost = Chan::<i32>::new(0);
    let mut left = leftmost.clone();
    thread::scope(|s| {
        for _ in 0..n {
            let right = Chan::new(0);
            let (l, r) = (left.clone(), right.clone());
            s.spawn(move || l.send(r.recv().unwrap()).unwrap());
            left = right;
        }
        let right = left.clone();
        s.spawn(move || right.send(1).unwrap());
        assert_eq!(leftmost.recv(), Some(1));
    });
}

/// select2.go: many selects on a busy channel and an idle one; Go checks
/// the selects do not leak memory, we check they leave no waiter behind on
/// the idle channel.
#[test]
fn select2() {
    let n = size(20_000, 12);
    let c = Chan::<i32>::new(0);
    let dummy = Chan::<i32>::new(0);
    for _ in 0..2 {
        thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..n {
                    c.send(1).unwrap();
                }
            });
            for _ in 0..n {
                select! {
                    recv(c) => {}
                    recv(dummy) => panic!("dummy"),
                }
            }
        });
        let snap = dummy.snapshot().unwrap();
        assert_eq!((snap.recvq, snap.sendq), (0, 0));
    }
}

/// sieve2.go: the prime sieve with a wheel and a heap of multiples, fed
/// through channels of channels. We keep its channel plumbing (a generator
/// per prime, a merging select-free heap) in a smaller form: each prime's
/// multiples come from its own goroutine and are merged in order.
#[test]
fn sieve2() {
    let count = size(100, 6);
    let primes = Chan::<u64>::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            // Multiples of each prime found so far, each from its own
            // channel: (next multiple, its channel).
            let mut heads: Vec<(u64, Receiver<u64>)> = Vec::new();
            let stop = Chan::<()>::new(0);
            thread::scope(|inner| {
                let mut n = 2u64;
                let mut sent = 0;
                while sent < count {
                    let mut composite = false;
                    for (next, rx) in heads.iter_mut() {
                        while *next < n {
                            *next = rx.recv().unwrap();
                        }
                        if *next == n {
                            composite = true;
                        }
                    }
                    if !composite {
                        primes.send(n).unwrap();
                        sent += 1;
                        let c = Chan::new(1);
                        let (tx, rx): (Sender<u64>, Receiver<u64>) = (c.sender(), c.receiver());
                        let stop = stop.clone();
                        inner.spawn(move || {
                            let mut m = n * n;
                            loop {
                                select! {
                                    send(tx, m) => m += n,
                                    recv(stop) => break,
                                }
                            }
                        });
                        heads.push((n * n, rx));
                        heads.last_mut().unwrap().0 = heads.last().unwrap().1.recv().unwrap();
                    }
                    n += 1;
                }
                stop.close().unwrap();
            });
            primes.close().unwrap();
        });
        let got: Vec<u64> = primes.iter().collect();
        let mut want = Vec::new();
        let mut k = 2u64;
        while want.len() < count {
            if (2..k).take_while(|d| d * d <= k).all(|d| k % d != 0) {
                want.push(k);
            }
            k += 1;
        }
        assert_eq!(got, want);
    });
}

/// chan.go closechan: a goroutine blocked in a select's send case is woken
/// by close and panics with "send on closed channel" (select3.go checks the
/// non-blocked form); a blocked select receive case gets the zero value.
#[test]
fn close_wakes_a_blocked_select_send_with_a_panic() {
    let c = Chan::<i32>::new(0);
    let other = Chan::<i32>::new(0);
    thread::scope(|s| {
        let h = s.spawn(|| {
            panic_text(|| {
                select! {
                    send(c, 1) => {}
                    recv(other) => {}
                }
            })
        });
        while c.snapshot().map_or(0, |s| s.sendq) == 0 {
            thread::yield_now();
        }
        c.close().unwrap();
        assert_eq!(h.join().unwrap(), "send on closed channel");
        // The select left no waiter on the other channel.
        assert_eq!(other.snapshot().unwrap().recvq, 0);

        let h = s.spawn(|| {
            select! {
                recv(other) -> v => v,
            }
        });
        while other.snapshot().map_or(0, |s| s.recvq) == 0 {
            thread::yield_now();
        }
        other.close().unwrap();
        assert_eq!(h.join().unwrap(), None);
    });
}
