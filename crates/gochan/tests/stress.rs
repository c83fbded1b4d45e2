//! Multi-thread stress: no message lost, duplicated or reordered per sender,
//! under close races, for every capacity, with plain, select and async parties.
#![cfg(feature = "std")]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use gochan::{select, Chan};

const SENDERS: usize = 4;
const RECEIVERS: usize = 3;

fn per_sender() -> usize {
    if cfg!(miri) {
        20
    } else {
        20_000
    }
}

/// Senders push `(id, seq)` until the channel closes; receivers collect
/// until closed-and-drained. Checks: every successfully sent message is
/// received exactly once, and each receiver sees each sender's sequence
/// numbers strictly increasing.
fn run(cap: usize, close_early: bool, mode: usize) {
    let c = Chan::<(usize, usize)>::new(cap);
    let sent = Arc::new(AtomicUsize::new(0));
    let n = per_sender();
    let senders: Vec<_> = (0..SENDERS)
        .map(|id| {
            let (c, sent) = (c.clone(), sent.clone());
            thread::spawn(move || {
                let mut ok = 0;
                for seq in 0..n {
                    let r = match (mode + id) % 3 {
                        0 => c.send((id, seq)),
                        1 => select! {
                            send(c, (id, seq)) -> r => r,
                        },
                        _ => gocore::park::block_on(c.send_async((id, seq))),
                    };
                    if r.is_err() {
                        break;
                    }
                    ok += 1;
                }
                sent.fetch_add(ok, Ordering::SeqCst);
                ok
            })
        })
        .collect();
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|r| {
            let c = c.clone();
            thread::spawn(move || {
                let mut last = [None::<usize>; SENDERS];
                let mut got = Vec::new();
                loop {
                    let v = match (mode + r) % 3 {
                        0 => c.recv(),
                        1 => select! { recv(c) -> v => v },
                        _ => gocore::park::block_on(c.recv_async()),
                    };
                    let Some((id, seq)) = v else { break };
                    if let Some(prev) = last[id] {
                        assert!(
                            seq > prev,
                            "reordered: sender {id} sent {prev} before {seq}"
                        );
                    }
                    last[id] = Some(seq);
                    got.push((id, seq));
                }
                got
            })
        })
        .collect();
    if close_early {
        thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 5 }));
    }
    let sent_counts: Vec<usize> = if close_early {
        c.close().unwrap();
        senders.into_iter().map(|s| s.join().unwrap()).collect()
    } else {
        let v = senders.into_iter().map(|s| s.join().unwrap()).collect();
        c.close().unwrap();
        v
    };
    let mut all: Vec<(usize, usize)> = receivers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    all.sort_unstable();
    let total: usize = sent_counts.iter().sum();
    assert_eq!(all.len(), total, "lost or duplicated messages");
    // Exactly the prefixes 0..ok of each sender's sequence.
    let mut i = 0;
    for (id, &ok) in sent_counts.iter().enumerate() {
        for seq in 0..ok {
            assert_eq!(all[i], (id, seq));
            i += 1;
        }
    }
    if !close_early {
        assert_eq!(total, SENDERS * n);
    }
}

#[test]
fn stress_all_delivered() {
    for cap in [0, 1, 7, 64] {
        for mode in 0..3 {
            run(cap, false, mode);
        }
    }
}

#[test]
fn stress_close_races() {
    for cap in [0, 1, 7, 64] {
        for mode in 0..3 {
            run(cap, true, mode);
        }
    }
}

#[test]
fn stress_select_over_many_channels_with_close() {
    let chans: Vec<Chan<usize>> = (0..3).map(Chan::new).collect();
    let n = per_sender();
    let senders: Vec<_> = chans
        .iter()
        .map(|c| {
            let c = c.clone();
            thread::spawn(move || {
                for i in 0..n {
                    c.send(i).unwrap();
                }
                c.close().unwrap();
            })
        })
        .collect();
    let mut open = chans.clone();
    let mut counts = [0usize; 3];
    let mut next = [0usize; 3];
    while open.iter().any(|c| !c.is_nil()) {
        let (k, v) = select! {
            recv(open[0]) -> v => (0, v),
            recv(open[1]) -> v => (1, v),
            recv(open[2]) -> v => (2, v),
        };
        match v {
            Some(v) => {
                assert_eq!(v, next[k]);
                next[k] += 1;
                counts[k] += 1;
            }
            None => open[k] = Chan::nil(),
        }
    }
    assert_eq!(counts, [n; 3]);
    for s in senders {
        s.join().unwrap();
    }
}

/// Receivers that cancel: each receive is, at random, a blocking `recv`, or
/// a `recv_async` polled once and then either dropped (cancelled: a value it
/// had already been handed goes back to the channel) or driven to the end.
/// Checks: every message arrives exactly once (a count per message id), and
/// `len() <= cap()` at every observation, by the receivers and by a thread
/// that does nothing else. Per-sender order is not checked: a value given
/// back by a cancelled receive may come after a later one was received.
fn run_cancelling(cap: usize) {
    let n = if cfg!(miri) { 20 } else { 5_000 };
    let c = Chan::<(usize, usize)>::new(cap);
    let counts: Arc<Vec<AtomicUsize>> =
        Arc::new((0..SENDERS * n).map(|_| AtomicUsize::new(0)).collect());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Violations are counted, not asserted on the spot: a panicking receiver
    // would leave the senders blocked forever.
    let over = Arc::new(AtomicUsize::new(0));
    let observer = {
        let (c, stop, over) = (c.clone(), stop.clone(), over.clone());
        thread::spawn(move || {
            let mut seen = 0usize;
            while !stop.load(Ordering::Relaxed) {
                if c.len() > c.cap() {
                    over.fetch_add(1, Ordering::Relaxed);
                }
                seen += 1;
                if cfg!(miri) {
                    thread::yield_now();
                }
            }
            seen
        })
    };
    let senders: Vec<_> = (0..SENDERS)
        .map(|id| {
            let c = c.clone();
            thread::spawn(move || {
                for seq in 0..n {
                    let r = match (id + seq) % 3 {
                        0 => c.send((id, seq)),
                        1 => select! { send(c, (id, seq)) -> r => r },
                        _ => gocore::park::block_on(c.send_async((id, seq))),
                    };
                    r.unwrap();
                }
            })
        })
        .collect();
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|r| {
            let (c, counts, over) = (c.clone(), counts.clone(), over.clone());
            thread::spawn(move || {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (r as u64 + 1);
                let mut next = move || {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng
                };
                let mut cancelled = 0usize;
                loop {
                    if c.len() > c.cap() {
                        over.fetch_add(1, Ordering::Relaxed);
                    }
                    let v = match next() % 4 {
                        0 => c.recv(),
                        _ => {
                            let mut fut = Box::pin(c.recv_async());
                            let cx = &mut std::task::Context::from_waker(std::task::Waker::noop());
                            match fut.as_mut().poll(cx) {
                                std::task::Poll::Ready(v) => v,
                                std::task::Poll::Pending if next() % 2 == 0 => {
                                    // Give a sender time to hand it a value.
                                    if next() % 2 == 0 {
                                        thread::yield_now();
                                    }
                                    drop(fut);
                                    cancelled += 1;
                                    continue;
                                }
                                std::task::Poll::Pending => gocore::park::block_on(fut),
                            }
                        }
                    };
                    let Some((id, seq)) = v else { break };
                    counts[id * n + seq].fetch_add(1, Ordering::SeqCst);
                }
                cancelled
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    c.close().unwrap();
    let cancelled: usize = receivers.into_iter().map(|r| r.join().unwrap()).sum();
    stop.store(true, Ordering::Relaxed);
    assert!(observer.join().unwrap() > 0);
    let over = over.load(Ordering::Relaxed);
    assert_eq!(over, 0, "cap {cap}: len() > cap() seen {over} times");
    assert!(
        cancelled > 0 || cfg!(miri),
        "cap {cap}: no receive was cancelled"
    );
    for (i, k) in counts.iter().enumerate() {
        let k = k.load(Ordering::SeqCst);
        assert_eq!(k, 1, "cap {cap}: message {i} arrived {k} times");
    }
    assert_eq!(c.len(), 0);
}

#[test]
fn stress_cancelled_async_receives() {
    for cap in [0, 1, 7] {
        run_cancelling(cap);
    }
}
