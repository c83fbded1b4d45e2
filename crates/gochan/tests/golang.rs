//! Go 1.19's channel and select tests, ported.
//!
//! Each test names the Go test it follows, from
//! <https://github.com/golang/go/blob/go1.19/src/runtime/chan_test.go> and
//! <https://github.com/golang/go/tree/go1.19/test/chan>. Where Go panics
//! ("send on closed channel") we check for the `Err` our API returns.
//! The Go code is covered by Go's BSD license, reproduced below.
#![cfg(feature = "std")]

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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;

use gochan::{select, Chan, Select, TryRecvError, TrySendError};

mod common;
use common::{ms, size};

/// runtime/chan_test.go: TestChan.
#[test]
fn test_chan() {
    let n = size(40, 3);
    for chan_cap in 0..n {
        {
            // Ensure that receive from empty chan blocks.
            let c = Chan::<i32>::new(chan_cap);
            let recv1 = Arc::new(AtomicBool::new(false));
            let recv2 = Arc::new(AtomicBool::new(false));
            let (c1, r1) = (c.clone(), recv1.clone());
            let t1 = thread::spawn(move || {
                let _ = c1.recv();
                r1.store(true, Ordering::SeqCst);
            });
            let (c2, r2) = (c.clone(), recv2.clone());
            let t2 = thread::spawn(move || {
                let _ = c2.recv();
                r2.store(true, Ordering::SeqCst);
            });
            thread::sleep(ms(1));
            assert!(
                !recv1.load(Ordering::SeqCst) && !recv2.load(Ordering::SeqCst),
                "chan[{chan_cap}]: receive from empty chan"
            );
            // Ensure that non-blocking receive does not block.
            select! {
                recv(c) -> _v => panic!("chan[{chan_cap}]: receive from empty chan"),
                default => {}
            }
            assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
            c.send(0).unwrap();
            c.send(0).unwrap();
            t1.join().unwrap();
            t2.join().unwrap();
        }
        {
            // Ensure that send to full chan blocks.
            let c = Chan::<i32>::new(chan_cap);
            for i in 0..chan_cap {
                c.send(i as i32).unwrap();
            }
            let sent = Arc::new(AtomicU32::new(0));
            let (c2, s2) = (c.clone(), sent.clone());
            let t = thread::spawn(move || {
                c2.send(0).unwrap();
                s2.store(1, Ordering::SeqCst);
            });
            thread::sleep(ms(1));
            assert_eq!(
                sent.load(Ordering::SeqCst),
                0,
                "chan[{chan_cap}]: send to full chan"
            );
            // Ensure that non-blocking send does not block.
            select! {
                send(c, 0) => panic!("chan[{chan_cap}]: send to full chan"),
                default => {}
            }
            c.recv().unwrap();
            t.join().unwrap();
        }
        {
            // Ensure that we receive 0 (None) from closed chan.
            let c = Chan::<usize>::new(chan_cap);
            for i in 0..chan_cap {
                c.send(i).unwrap();
            }
            c.close().unwrap();
            for i in 0..chan_cap {
                assert_eq!(c.recv(), Some(i));
            }
            assert_eq!(c.recv(), None);
            assert_eq!(c.recv(), None);
        }
        {
            // Ensure that close unblocks receive.
            let c = Chan::<i32>::new(chan_cap);
            let done = Chan::new(0);
            let (c2, d2) = (c.clone(), done.clone());
            let t = thread::spawn(move || {
                let v = c2.recv();
                d2.send(v.is_none()).unwrap();
            });
            thread::sleep(ms(1));
            c.close().unwrap();
            assert!(
                done.recv().unwrap(),
                "chan[{chan_cap}]: received non zero from closed chan"
            );
            t.join().unwrap();
        }
        {
            // Send 100 integers, ensure that we receive them non-corrupted in FIFO order.
            let c = Chan::<i32>::new(chan_cap);
            let m = size(100, 10) as i32;
            let c2 = c.clone();
            let t = thread::spawn(move || {
                for i in 0..m {
                    c2.send(i).unwrap();
                }
            });
            for i in 0..m {
                assert_eq!(c.recv(), Some(i), "chan[{chan_cap}]");
            }
            t.join().unwrap();

            // Send 1000 integers in 4 threads, ensure that we receive what we send.
            const P: usize = 4;
            let l = size(1000, 10) as i32;
            let mut hs = Vec::new();
            for _ in 0..P {
                let c = c.clone();
                hs.push(thread::spawn(move || {
                    for i in 0..l {
                        c.send(i).unwrap();
                    }
                }));
            }
            let done = Chan::<HashMap<i32, usize>>::new(0);
            for _ in 0..P {
                let (c, done) = (c.clone(), done.clone());
                hs.push(thread::spawn(move || {
                    let mut recv = HashMap::new();
                    for _ in 0..l {
                        *recv.entry(c.recv().unwrap()).or_insert(0) += 1;
                    }
                    done.send(recv).unwrap();
                }));
            }
            let mut recv = HashMap::new();
            for _ in 0..P {
                for (k, v) in done.recv().unwrap() {
                    *recv.entry(k).or_insert(0) += v;
                }
            }
            assert_eq!(recv.len(), l as usize);
            assert!(recv.values().all(|&v| v == P));
            for h in hs {
                h.join().unwrap();
            }
        }
        {
            // Test len/cap.
            let c = Chan::<usize>::new(chan_cap);
            assert_eq!((c.len(), c.cap()), (0, chan_cap));
            for i in 0..chan_cap {
                c.send(i).unwrap();
            }
            assert_eq!((c.len(), c.cap()), (chan_cap, chan_cap));
        }
    }
}

/// runtime/chan_test.go: TestNonblockRecvRace.
#[test]
fn test_nonblock_recv_race() {
    for _ in 0..size(2000, 5) {
        let c = Chan::new(1);
        c.send(1).unwrap();
        let c2 = c.clone();
        let t = thread::spawn(move || {
            select! {
                recv(c2) -> _v => {},
                default => panic!("chan is not ready"),
            }
        });
        c.close().unwrap();
        let _ = c.recv();
        t.join().unwrap();
    }
}

/// runtime/chan_test.go: TestNonblockSelectRace — select acts on the state of
/// the channels at one moment, never taking default while one is ready.
#[test]
fn test_nonblock_select_race() {
    let done = Chan::new(1);
    for _ in 0..size(5000, 5) {
        let c1 = Chan::new(1);
        let c2 = Chan::new(1);
        c1.send(1).unwrap();
        let (a, b, d) = (c1.clone(), c2.clone(), done.clone());
        let t = thread::spawn(move || {
            let ok = select! {
                recv(a) -> _v => true,
                recv(b) -> _v => true,
                default => false,
            };
            d.send(ok).unwrap();
        });
        c2.send(1).unwrap();
        let _ = c1.try_recv();
        assert!(done.recv().unwrap(), "no chan is ready");
        t.join().unwrap();
    }
}

/// runtime/chan_test.go: TestNonblockSelectRace2 — as above with close(c2).
#[test]
fn test_nonblock_select_race2() {
    let done = Chan::new(1);
    for _ in 0..size(5000, 5) {
        let c1 = Chan::new(1);
        let c2 = Chan::<i32>::new(0);
        c1.send(1).unwrap();
        let (a, b, d) = (c1.clone(), c2.clone(), done.clone());
        let t = thread::spawn(move || {
            let ok = select! {
                recv(a) -> _v => true,
                recv(b) -> _v => true,
                default => false,
            };
            d.send(ok).unwrap();
        });
        c2.close().unwrap();
        let _ = c1.try_recv();
        assert!(done.recv().unwrap(), "no chan is ready");
        t.join().unwrap();
    }
}

/// runtime/chan_test.go: TestSelfSelect — send and receive on one channel in
/// one select neither crash, deadlock, nor let a select receive its own value.
#[test]
fn test_self_select() {
    for chan_cap in [0usize, 10] {
        let c = Chan::<usize>::new(chan_cap);
        let hs: Vec<_> = (0..2usize)
            .map(|p| {
                let c = c.clone();
                thread::spawn(move || {
                    for i in 0..size(1000, 20) {
                        if p == 0 || i % 2 == 0 {
                            select! {
                                send(c, p) => {},
                                recv(c) -> v => assert!(!(chan_cap == 0 && v == Some(p)), "self receive"),
                            }
                        } else {
                            select! {
                                recv(c) -> v => assert!(!(chan_cap == 0 && v == Some(p)), "self receive"),
                                send(c, p) => {},
                            }
                        }
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    }
}

/// runtime/chan_test.go: TestSelectStress — plain operations and selects on
/// four channels interacting chaotically must not deadlock or lose values.
#[test]
fn test_select_stress() {
    let c: [Chan<i32>; 4] = [Chan::new(0), Chan::new(0), Chan::new(2), Chan::new(3)];
    let n = size(10_000, 10);
    let mut hs = Vec::new();
    for ch in &c {
        let ck = ch.clone();
        hs.push(thread::spawn(move || {
            for _ in 0..n {
                ck.send(0).unwrap();
            }
        }));
        let ck = ch.clone();
        hs.push(thread::spawn(move || {
            for _ in 0..n {
                ck.recv().unwrap();
            }
        }));
    }
    let cs = c.clone();
    hs.push(thread::spawn(move || {
        let mut cnt = [0usize; 4];
        let mut c1 = cs;
        for _ in 0..4 * n {
            let k = select! {
                send(c1[3], 0) => 3,
                send(c1[2], 0) => 2,
                send(c1[0], 0) => 0,
                send(c1[1], 0) => 1,
            };
            cnt[k] += 1;
            if cnt[k] == n {
                c1[k] = Chan::nil();
            }
        }
    }));
    let cs = c.clone();
    hs.push(thread::spawn(move || {
        let mut cnt = [0usize; 4];
        let mut c1 = cs;
        for _ in 0..4 * n {
            let k = select! {
                recv(c1[0]) -> _v => 0,
                recv(c1[1]) -> _v => 1,
                recv(c1[2]) -> _v => 2,
                recv(c1[3]) -> _v => 3,
            };
            cnt[k] += 1;
            if cnt[k] == n {
                c1[k] = Chan::nil();
            }
        }
    }));
    for h in hs {
        h.join().unwrap();
    }
    for ch in &c {
        assert_eq!(ch.len(), 0);
    }
}

/// runtime/chan_test.go: TestSelectFairness — with two ready cases, each is
/// chosen about half the time (six-nines confidence bound, as Go's test).
#[test]
fn test_select_fairness() {
    let trials = size(10_000, 200);
    let c1 = Chan::new(trials + 1);
    let c2 = Chan::new(trials + 1);
    for _ in 0..trials + 1 {
        c1.send(1u8).unwrap();
        c2.send(2u8).unwrap();
    }
    let c3 = Chan::<u8>::new(0);
    let c4 = Chan::<u8>::new(0);
    let out = Chan::<u8>::new(0);
    let done = Chan::<u8>::new(0);
    let t = {
        let (c1, c2, out, done) = (c1.clone(), c2.clone(), out.clone(), done.clone());
        thread::spawn(move || loop {
            let b = select! {
                recv(c3) -> b => b,
                recv(c4) -> b => b,
                recv(c1) -> b => b,
                recv(c2) -> b => b,
            }
            .unwrap();
            select! {
                send(out, b) => {},
                recv(done) -> _v => return,
            }
        })
    };
    let (mut cnt1, mut cnt2) = (0, 0);
    for _ in 0..trials {
        match out.recv().unwrap() {
            1 => cnt1 += 1,
            2 => cnt2 += 1,
            b => panic!("unexpected value {b} on channel"),
        }
    }
    let r = cnt1 as f64 / trials as f64;
    let e = (r - 0.5).abs();
    assert!(
        e <= 4.891676 / (2.0 * (trials as f64).sqrt()),
        "unfair select: in {trials} trials, results were {cnt1}, {cnt2}"
    );
    done.close().unwrap();
    t.join().unwrap();
}

/// runtime/chan_test.go: TestChanSendInterface — non-blocking sends of boxed
/// values, including two send cases on one channel.
#[test]
fn test_chan_send_interface() {
    let c: Chan<Box<dyn std::any::Any + Send>> = Chan::new(1);
    c.send(Box::new(1u8)).unwrap();
    select! {
        send(c, Box::new(2u8)) => panic!("channel is full"),
        default => {}
    }
    select! {
        send(c, Box::new(3u8)) => panic!("channel is full"),
        send(c, Box::new(4u8)) => panic!("channel is full"),
        default => {}
    }
    assert_eq!(c.recv().unwrap().downcast_ref::<u8>(), Some(&1));
}

/// runtime/chan_test.go: TestPseudoRandomSend — two send cases on one channel
/// are chosen pseudo-randomly.
#[test]
fn test_pseudo_random_send() {
    let n = size(100, 30);
    for chan_cap in [0, n] {
        let c = Chan::<usize>::new(chan_cap);
        let c2 = c.clone();
        let t = thread::spawn(move || {
            (0..n)
                .map(|_| {
                    thread::yield_now();
                    c2.recv().unwrap()
                })
                .collect::<Vec<_>>()
        });
        for _ in 0..n {
            select! {
                send(c, 1) => {},
                send(c, 0) => {},
            }
        }
        let l = t.join().unwrap();
        let n1: usize = l.iter().sum();
        let n0 = n - n1;
        assert!(
            n0 > n / 10 && n1 > n / 10,
            "want pseudorandom, got {n0} zeros and {n1} ones (chan cap {chan_cap})"
        );
    }
}

/// runtime/chan_test.go: TestMultiConsumer — 23 workers ranging over one
/// channel, results collected and summed; the closer closes after a WaitGroup.
#[test]
fn test_multi_consumer() {
    const NWORK: usize = 23;
    let niter = size(271_828, 100);
    let pn = [2usize, 3, 7, 11, 13, 17, 19, 23, 27, 31];
    let q = Chan::<usize>::new(NWORK * 3);
    let r = Chan::<usize>::new(NWORK * 3);
    let workers: Vec<_> = (0..NWORK)
        .map(|w| {
            let (q, r) = (q.receiver(), r.sender());
            thread::spawn(move || {
                for v in &q {
                    // Mess with the FIFO-ish nature of range.
                    if pn[w % pn.len()] == v {
                        thread::yield_now();
                    }
                    r.send(v).unwrap();
                }
            })
        })
        .collect();
    let feeder = {
        let (q, r) = (q.clone(), r.clone());
        thread::spawn(move || {
            let mut expect = 0;
            for i in 0..niter {
                let v = pn[i % pn.len()];
                expect += v;
                q.send(v).unwrap();
            }
            q.close().unwrap(); // no more work
            for w in workers {
                w.join().unwrap(); // workers done
            }
            r.close().unwrap(); // so there can be no more results
            expect
        })
    };
    let (mut n, mut s) = (0, 0);
    for v in &r {
        n += 1;
        s += v;
    }
    let expect = feeder.join().unwrap();
    assert_eq!((n, s), (niter, expect));
}

/// runtime/chan_test.go: TestSelectDuplicateChannel — one select queued twice
/// on the same channel must leave the queue intact when another case wins.
#[test]
fn test_select_duplicate_channel() {
    let c = Chan::<i32>::new(0);
    let d = Chan::<i32>::new(0);
    let e = Chan::<i32>::new(0);
    let a = {
        let (c, d, e) = (c.clone(), d.clone(), e.clone());
        thread::spawn(move || {
            select! {
                recv(c) -> _v => {},
                recv(c) -> _v => {},
                recv(d) -> _v => {},
            }
            e.send(9).unwrap();
        })
    };
    thread::sleep(ms(1)); // make sure A gets queued first on c
    let b = {
        let c = c.clone();
        thread::spawn(move || c.recv())
    };
    thread::sleep(ms(1)); // make sure B gets queued on c before continuing
    d.send(7).unwrap(); // wake up A, it dequeues itself from c
    e.recv().unwrap(); // A tells us it's done
    c.send(8).unwrap(); // wake up B: recvq must not be corrupted
    assert_eq!(b.join().unwrap(), Some(8));
    a.join().unwrap();
}

/// test/chan/nonblock.go: non-blocking sends and receives on unbuffered and
/// buffered channels, with a partner that becomes ready later.
#[test]
fn test_nonblock_go() {
    for buffer in [0usize, 1, 2] {
        let c = Chan::<i32>::new(buffer);
        assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
        let c2 = c.clone();
        let t = thread::spawn(move || c2.recv());
        // Spin on a non-blocking send until the receiver is ready (unbuffered)
        // or the value fits (buffered).
        let mut v = 123;
        loop {
            match c.try_send(v) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) => {
                    v = back;
                    thread::yield_now();
                }
                Err(TrySendError::Closed(_)) => unreachable!(),
            }
        }
        assert_eq!(t.join().unwrap(), Some(123));
        let c2 = c.clone();
        let t = thread::spawn(move || c2.send(456).unwrap());
        let got = loop {
            match c.try_recv() {
                Ok(v) => break v,
                Err(_) => thread::yield_now(),
            }
        };
        assert_eq!(got, 456);
        t.join().unwrap();
    }
}

/// test/chan/sieve1.go: the concurrent prime sieve, a pipeline of filters.
#[test]
fn test_sieve1() {
    fn generate(ch: Chan<u32>) {
        let mut i = 2;
        while ch.send(i).is_ok() {
            i += 1;
        }
    }
    fn filter(inp: Chan<u32>, out: Chan<u32>, prime: u32) {
        for i in &inp {
            if i % prime != 0 && out.send(i).is_err() {
                break;
            }
        }
        let _ = inp.close();
    }
    let count = size(25, 6);
    let primes = [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97,
    ];
    let mut ch = Chan::new(0);
    let mut hs = vec![{
        let ch = ch.clone();
        thread::spawn(move || generate(ch))
    }];
    let mut chans = vec![ch.clone()];
    for &want in primes.iter().take(count) {
        let prime = ch.recv().unwrap();
        assert_eq!(prime, want);
        let ch1 = Chan::new(0);
        let (inp, out) = (ch.clone(), ch1.clone());
        hs.push(thread::spawn(move || filter(inp, out, prime)));
        ch = ch1;
        chans.push(ch.clone());
    }
    // Shut the pipeline down from the end: each stage stops when its output closes.
    for c in chans.iter().rev() {
        let _ = c.close();
    }
    for h in hs {
        h.join().unwrap();
    }
}

/// test/chan/select.go: a select with a nil channel case and a dynamic case
/// list (reflect.Select) both pick only ready, non-nil cases.
#[test]
fn test_select_go_nil_cases() {
    let a = Chan::<i32>::nil();
    let b = Chan::new(1);
    b.send(5).unwrap();
    for _ in 0..size(100, 5) {
        let got = select! {
            recv(a) -> _v => unreachable!("nil channel chosen"),
            recv(b) -> v => v,
        };
        assert_eq!(got, Some(5));
        b.send(5).unwrap();
    }
    let mut sel = Select::new();
    sel.recv(&a, |_| 0);
    sel.recv(&b, |v| v.unwrap());
    assert_eq!(sel.select(), 5);
}
