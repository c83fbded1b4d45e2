//! Scenarios from crossbeam-channel's test suite (`tests/array.rs`,
//! `zero.rs`, `list.rs`, `select_macro.rs`, `iter.rs`, `never.rs`,
//! `same_channel.rs`), re-written against gochan.
//!
//! crossbeam's "disconnect" (the last sender or receiver dropped) is
//! modelled with `Mode::CloseOnDrop`; crossbeam's unbounded channel has no
//! Go counterpart, so its scenarios run on a buffered channel large enough
//! for the test. crossbeam's `never()` is Go's nil channel.
#![cfg(feature = "std")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gochan::{
    select, Chan, Mode, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};

mod common;
use common::{ms, size};

/// A channel that closes when its last sending or last receiving handle is
/// dropped: crossbeam's disconnection.
fn bounded<T>(cap: usize) -> (gochan::Sender<T>, gochan::Receiver<T>) {
    let c = Chan::with_mode(cap, Mode::CloseOnDrop);
    let s = c.sender();
    (s, c.into())
}

// array.rs / zero.rs: smoke
#[test]
fn smoke() {
    let (s, r) = bounded(1);
    s.send(7).unwrap();
    assert_eq!(r.try_recv(), Ok(7));
    s.send(8).unwrap();
    assert_eq!(r.recv(), Some(8));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(r.recv_timeout(ms(10)), Err(RecvTimeoutError::Timeout));

    let (s, r) = bounded(0);
    assert_eq!(s.try_send(7), Err(TrySendError::Full(7)));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
}

// array.rs: capacity
#[test]
fn capacity() {
    for i in 0..10 {
        let c = Chan::<i32>::new(i);
        assert_eq!(c.cap(), i);
        assert_eq!(c.sender().cap(), i);
        assert_eq!(c.receiver().cap(), i);
    }
}

// array.rs / zero.rs / never.rs: len_empty_full
#[test]
fn len_empty_full() {
    let c = Chan::new(2);
    let (s, r) = (c.sender(), c.receiver());
    assert_eq!((c.len(), c.is_empty(), c.is_full()), (0, true, false));
    assert_eq!((s.len(), s.is_empty(), s.is_full()), (0, true, false));
    c.send(()).unwrap();
    assert_eq!((r.len(), r.is_empty(), r.is_full()), (1, false, false));
    c.send(()).unwrap();
    assert_eq!((c.len(), c.is_empty(), c.is_full()), (2, false, true));
    assert_eq!((s.is_full(), r.is_full()), (true, true));
    c.recv().unwrap();
    assert_eq!((c.len(), c.is_full()), (1, false));
    // crossbeam's zero and never channels: always empty and full.
    let nil = Chan::<i32>::nil();
    assert_eq!((nil.is_empty(), nil.is_full()), (true, true));
    assert!(Chan::<i32>::new(0).receiver().is_full());

    // An unbuffered channel is always empty, even with a sender waiting.
    let z = Chan::new(0);
    thread::scope(|sc| {
        sc.spawn(|| z.send(1).unwrap());
        while z.snapshot().map_or(0, |s| s.sendq) == 0 {
            thread::yield_now();
        }
        assert_eq!((z.len(), z.is_empty(), z.cap()), (0, true, 0));
        assert_eq!(z.recv(), Some(1));
    });
}

// array.rs / zero.rs: try_recv
#[cfg_attr(miri, ignore)]
#[test]
fn try_recv() {
    for cap in [0, 1] {
        let (s, r) = bounded(cap);
        thread::scope(|sc| {
            sc.spawn(|| {
                assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
                thread::sleep(ms(300));
                assert_eq!(r.try_recv(), Ok(7));
                thread::sleep(ms(100));
                assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
            });
            sc.spawn(move || {
                thread::sleep(ms(200));
                s.send(7).unwrap();
            });
        });
    }
}

// array.rs / zero.rs: recv
#[cfg_attr(miri, ignore)]
#[test]
fn recv() {
    for cap in [0, 1] {
        let (s, r) = bounded(cap);
        thread::scope(|sc| {
            sc.spawn(move || {
                assert_eq!(r.recv(), Some(7));
                thread::sleep(ms(200));
                assert_eq!(r.recv(), Some(8));
                thread::sleep(ms(200));
                assert_eq!(r.recv(), Some(9));
                assert_eq!(r.recv(), None);
            });
            sc.spawn(move || {
                thread::sleep(ms(300));
                s.send(7).unwrap();
                s.send(8).unwrap();
                s.send(9).unwrap();
            });
        });
    }
}

// array.rs / zero.rs: recv_timeout
#[cfg_attr(miri, ignore)]
#[test]
fn recv_timeout() {
    for cap in [0, 1] {
        let (s, r) = bounded::<i32>(cap);
        thread::scope(|sc| {
            sc.spawn(move || {
                assert_eq!(r.recv_timeout(ms(50)), Err(RecvTimeoutError::Timeout));
                assert_eq!(r.recv_timeout(ms(10_000)), Ok(7));
                assert_eq!(r.recv_timeout(ms(10_000)), Err(RecvTimeoutError::Closed));
            });
            sc.spawn(move || {
                thread::sleep(ms(300));
                s.send(7).unwrap();
            });
        });
    }
}

// list.rs: recv_timeout_nonempty_expired (a ready value wins over an
// already expired deadline)
#[test]
fn recv_timeout_nonempty_expired() {
    let c = Chan::new(1);
    c.send(1).unwrap();
    assert_eq!(c.recv_timeout(Duration::ZERO), Ok(1));
    assert_eq!(
        c.recv_deadline(Instant::now() - ms(10)),
        Err(RecvTimeoutError::Timeout)
    );
    c.send(2).unwrap();
    assert_eq!(c.recv_deadline(Instant::now() - ms(10)), Ok(2));
    // And the same for sends: room in the buffer wins over the deadline.
    assert_eq!(c.send_timeout(3, Duration::ZERO), Ok(()));
    assert_eq!(
        c.send_timeout(4, Duration::ZERO),
        Err(SendTimeoutError::Timeout(4))
    );
}

// array.rs: try_send
#[cfg_attr(miri, ignore)]
#[test]
fn try_send() {
    let (s, r) = bounded(1);
    thread::scope(|sc| {
        sc.spawn(move || {
            assert_eq!(s.try_send(1), Ok(()));
            assert_eq!(s.try_send(2), Err(TrySendError::Full(2)));
            thread::sleep(ms(300));
            assert_eq!(s.try_send(3), Ok(()));
            thread::sleep(ms(100));
            assert_eq!(s.try_send(4), Err(TrySendError::Closed(4)));
        });
        sc.spawn(move || {
            thread::sleep(ms(200));
            assert_eq!(r.try_recv(), Ok(1));
            assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
            assert_eq!(r.recv(), Some(3));
        });
    });
}

// zero.rs: try_send (only succeeds with a receiver parked)
#[cfg_attr(miri, ignore)]
#[test]
fn try_send_zero() {
    let (s, r) = bounded(0);
    thread::scope(|sc| {
        sc.spawn(move || {
            assert_eq!(s.try_send(7), Err(TrySendError::Full(7)));
            thread::sleep(ms(300));
            assert_eq!(s.try_send(8), Ok(()));
            thread::sleep(ms(100));
            assert_eq!(s.try_send(9), Err(TrySendError::Closed(9)));
        });
        sc.spawn(move || {
            thread::sleep(ms(200));
            assert_eq!(r.recv(), Some(8));
        });
    });
}

// array.rs: send / send_timeout
#[cfg_attr(miri, ignore)]
#[test]
fn send_timeout() {
    let (s, r) = bounded(2);
    thread::scope(|sc| {
        sc.spawn(move || {
            assert_eq!(s.send_timeout(1, ms(1000)), Ok(()));
            assert_eq!(s.send_timeout(2, ms(1000)), Ok(()));
            assert_eq!(s.send_timeout(3, ms(50)), Err(SendTimeoutError::Timeout(3)));
            thread::sleep(ms(200));
            assert_eq!(s.send_timeout(4, ms(10_000)), Ok(()));
            thread::sleep(ms(200));
            assert_eq!(s.send(5), Err(SendError(5)));
        });
        sc.spawn(move || {
            thread::sleep(ms(200));
            assert_eq!(r.recv(), Some(1));
            thread::sleep(ms(200));
            assert_eq!(r.recv(), Some(2));
            assert_eq!(r.recv(), Some(4));
        });
    });
}

// array.rs: send_after_disconnect / recv_after_disconnect
#[test]
fn send_and_recv_after_disconnect() {
    let (s, r) = bounded(100);
    for i in 1..=3 {
        s.send(i).unwrap();
    }
    drop(r);
    assert_eq!(s.send(4), Err(SendError(4)));
    assert_eq!(s.try_send(5), Err(TrySendError::Closed(5)));
    assert_eq!(s.send_timeout(6, ms(500)), Err(SendTimeoutError::Closed(6)));

    let (s, r) = bounded(100);
    for i in 1..=3 {
        s.send(i).unwrap();
    }
    drop(s);
    assert_eq!(r.recv(), Some(1));
    assert_eq!(r.try_recv(), Ok(2));
    assert_eq!(r.recv_timeout(ms(500)), Ok(3));
    assert_eq!(r.recv(), None);
    assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(r.recv_timeout(ms(500)), Err(RecvTimeoutError::Closed));
}

// array.rs: len (with a concurrent producer and consumer)
#[test]
fn len() {
    let count = size(25_000, 20);
    let cap = size(1000, 20);
    let (s, r) = bounded(cap);
    assert_eq!((s.len(), r.len()), (0, 0));
    let batch = cap.min(50);
    for _ in 0..cap / 10 {
        for i in 0..batch {
            s.send(i).unwrap();
            assert_eq!(s.len(), i + 1);
        }
        for i in 0..batch {
            r.recv().unwrap();
            assert_eq!(r.len(), batch - i - 1);
        }
    }
    for i in 0..cap {
        s.send(i).unwrap();
        assert_eq!(s.len(), i + 1);
    }
    for _ in 0..cap {
        r.recv().unwrap();
    }
    assert_eq!((s.len(), r.len()), (0, 0));
    thread::scope(|sc| {
        sc.spawn(|| {
            for i in 0..count {
                assert_eq!(r.recv(), Some(i));
                assert!(r.len() <= cap);
            }
        });
        sc.spawn(|| {
            for i in 0..count {
                s.send(i).unwrap();
                assert!(s.len() <= cap);
            }
        });
    });
    assert_eq!((s.len(), r.len()), (0, 0));
}

// array.rs / zero.rs: disconnect_wakes_sender / disconnect_wakes_receiver
#[test]
fn disconnect_wakes_sender_and_receiver() {
    for cap in [0, 1] {
        let (s, r) = bounded(cap);
        thread::scope(|sc| {
            sc.spawn(move || {
                if cap == 1 {
                    assert_eq!(s.send(()), Ok(()));
                }
                assert_eq!(s.send(()), Err(SendError(())));
            });
            sc.spawn(move || {
                thread::sleep(ms(200));
                drop(r);
            });
        });

        let (s, r) = bounded::<()>(cap);
        thread::scope(|sc| {
            sc.spawn(move || assert_eq!(r.recv(), None));
            sc.spawn(move || {
                thread::sleep(ms(200));
                drop(s);
            });
        });
    }
}

// array.rs / zero.rs / list.rs: spsc, mpmc, stress_oneshot, stress_iter
#[cfg_attr(miri, ignore)] // thread-heavy; its single-thread parts run elsewhere
#[test]
fn spsc_and_mpmc() {
    let count = size(20_000, 20);
    let threads = size(4, 2);
    for cap in [0, 3] {
        let (s, r) = bounded(cap);
        thread::scope(|sc| {
            sc.spawn(move || {
                for i in 0..count {
                    assert_eq!(r.recv(), Some(i));
                }
                assert_eq!(r.recv(), None);
            });
            sc.spawn(move || {
                for i in 0..count {
                    s.send(i).unwrap();
                }
            });
        });

        let (s, r) = bounded::<usize>(cap);
        let seen: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
        thread::scope(|sc| {
            for _ in 0..threads {
                sc.spawn(|| {
                    for _ in 0..count {
                        let n = r.recv().unwrap();
                        seen[n].fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            for _ in 0..threads {
                sc.spawn(|| {
                    for i in 0..count {
                        s.send(i).unwrap();
                    }
                });
            }
        });
        assert!(seen.iter().all(|c| c.load(Ordering::SeqCst) == threads));
    }
}

#[cfg_attr(miri, ignore)] // thread-heavy; its single-thread parts run elsewhere
#[test]
fn stress_oneshot_and_iter() {
    let count = size(1000, 10);
    for cap in [0, 1] {
        for _ in 0..count {
            let (s, r) = bounded(cap);
            thread::scope(|sc| {
                sc.spawn(|| r.recv().unwrap());
                sc.spawn(|| s.send(0).unwrap());
            });
        }
    }
    let count = size(10_000, 50);
    let (request_s, request_r) = bounded(0);
    let (response_s, response_r) = bounded(1);
    thread::scope(|sc| {
        sc.spawn(move || {
            let mut count = 0;
            loop {
                for x in response_r.try_iter() {
                    count += x;
                    if count == 10_000.min(size(10_000, 50)) {
                        return;
                    }
                }
                request_s.send(()).unwrap();
            }
        });
        for _ in request_r.iter() {
            if response_s.send(1).is_err() {
                break;
            }
        }
    });
    let _ = count;
}

// array.rs / zero.rs: stress_timeout_two_threads
#[cfg_attr(miri, ignore)]
#[test]
fn stress_timeout_two_threads() {
    let count = 100;
    for cap in [0, 2] {
        let (s, r) = bounded(cap);
        thread::scope(|sc| {
            sc.spawn(|| {
                for i in 0..count {
                    if i % 2 == 0 {
                        thread::sleep(ms(1));
                    }
                    while let Err(SendTimeoutError::Timeout(_)) = s.send_timeout(i, ms(5)) {}
                }
            });
            sc.spawn(|| {
                for i in 0..count {
                    if i % 2 == 0 {
                        thread::sleep(ms(1));
                    }
                    loop {
                        match r.recv_timeout(ms(5)) {
                            Ok(x) => {
                                assert_eq!(x, i);
                                break;
                            }
                            Err(RecvTimeoutError::Timeout) => {}
                            Err(RecvTimeoutError::Closed) => panic!("closed"),
                        }
                    }
                }
            });
        });
    }
}

// array.rs / zero.rs: drops (every value sent is dropped exactly once,
// received or left in the buffer)
#[cfg_attr(miri, ignore)] // thread-heavy; its single-thread parts run elsewhere
#[test]
fn drops() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    #[derive(Debug, PartialEq)]
    struct DropCounter;
    impl Drop for DropCounter {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    let runs = size(30, 3);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut rand = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..runs {
        let steps = rand(size(5000, 50));
        let additional = rand(50);
        DROPS.store(0, Ordering::SeqCst);
        let (s, r) = bounded::<DropCounter>(50);
        thread::scope(|sc| {
            sc.spawn(|| {
                for _ in 0..steps {
                    r.recv().unwrap();
                }
            });
            sc.spawn(|| {
                for _ in 0..steps {
                    s.send(DropCounter).unwrap();
                }
            });
        });
        for _ in 0..additional {
            s.send(DropCounter).unwrap();
        }
        assert_eq!(DROPS.load(Ordering::SeqCst), steps);
        drop(s);
        drop(r);
        assert_eq!(DROPS.load(Ordering::SeqCst), steps + additional);
    }
}

// array.rs: linearizable (a value just sent is visible to try_recv)
#[cfg_attr(miri, ignore)] // thread-heavy; its single-thread parts run elsewhere
#[test]
fn linearizable() {
    let count = size(25_000, 20);
    let threads = 4;
    let c = Chan::new(threads);
    thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                for _ in 0..count {
                    c.send(0).unwrap();
                    c.try_recv().unwrap();
                }
            });
        }
    });
}

// array.rs: fairness / fairness_duplicates
#[test]
fn fairness() {
    let count = size(10_000, 100);
    let (a, b) = (Chan::new(count), Chan::new(count));
    for _ in 0..count {
        a.send(()).unwrap();
        b.send(()).unwrap();
    }
    let mut hits = [0usize; 2];
    for _ in 0..count {
        select! {
            recv(a) -> _ => hits[0] += 1,
            recv(b) -> _ => hits[1] += 1,
        }
    }
    assert!(
        hits.iter().all(|&x| x >= count / hits.len() / 2),
        "{hits:?}"
    );

    let c = Chan::new(count);
    for _ in 0..count {
        c.send(()).unwrap();
    }
    let mut hits = [0usize; 5];
    for _ in 0..count {
        select! {
            recv(c) -> _ => hits[0] += 1,
            recv(c) -> _ => hits[1] += 1,
            recv(c) -> _ => hits[2] += 1,
            recv(c) -> _ => hits[3] += 1,
            recv(c) -> _ => hits[4] += 1,
        }
    }
    assert!(
        hits.iter().all(|&x| x >= count / hits.len() / 2),
        "{hits:?}"
    );
}

// array.rs / zero.rs: recv_in_send (a send whose value expression receives)
#[test]
fn recv_in_send() {
    let c = Chan::new(1);
    c.send(()).unwrap();
    select! {
        send(c, assert_eq!(c.recv(), Some(()))) => {}
    }
    assert_eq!(c.try_recv(), Ok(()));

    let z = Chan::new(0);
    let inner = Chan::new(0);
    thread::scope(|sc| {
        sc.spawn(|| inner.send(()).unwrap());
        sc.spawn(|| assert_eq!(z.recv(), Some(())));
        select! {
            send(z, inner.recv().unwrap()) => {}
        }
    });
}

// array.rs / zero.rs / select_macro.rs: channel_through_channel
#[test]
fn channel_through_channel() {
    let count = size(1000, 20);
    type T = Box<dyn std::any::Any + Send>;
    for cap in 0..3 {
        let (s, r) = bounded::<T>(cap);
        thread::scope(|sc| {
            sc.spawn(move || {
                let mut s = s;
                for _ in 0..count {
                    let (new_s, new_r) = bounded::<T>(cap);
                    let new_r: T = Box::new(Some(new_r));
                    select! {
                        send(s, new_r) => {}
                    }
                    s = new_s;
                }
            });
            sc.spawn(move || {
                let mut r = r;
                for _ in 0..count {
                    r = select! {
                        recv(r) -> msg => msg
                            .unwrap()
                            .downcast_mut::<Option<gochan::Receiver<T>>>()
                            .unwrap()
                            .take()
                            .unwrap(),
                    };
                }
            });
        });
    }
}

// array.rs: drop_unreceived (the last receiver's drop frees buffered values)
#[test]
fn drop_unreceived() {
    let (s, r) = bounded::<Arc<()>>(1);
    let msg = Arc::new(());
    let weak = Arc::downgrade(&msg);
    s.send(msg).unwrap();
    drop(r);
    assert!(weak.upgrade().is_none());
    drop(s);
}

// array.rs: panic_on_drop, first half (values left in the buffer are all
// dropped when the channel goes)
#[test]
fn buffered_values_dropped_with_the_channel() {
    let drops = Arc::new(AtomicUsize::new(0));
    struct D(Arc<AtomicUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let c = Chan::new(2);
    c.send(D(drops.clone())).unwrap();
    c.send(D(drops.clone())).unwrap();
    let r = c.receiver();
    drop(c);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(r);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

// select_macro.rs: smoke1, smoke2
#[test]
fn select_smoke() {
    let (a, b) = (Chan::new(1), Chan::new(1));
    a.send(1).unwrap();
    select! {
        recv(a) -> v => assert_eq!(v, Some(1)),
        recv(b) -> _ => panic!(),
    }
    b.send(2).unwrap();
    select! {
        recv(a) -> _ => panic!(),
        recv(b) -> v => assert_eq!(v, Some(2)),
    }

    let chans: Vec<Chan<i32>> = (0..5).map(|_| Chan::new(1)).collect();
    chans[4].send(5).unwrap();
    select! {
        recv(chans[0]) -> _ => panic!(),
        recv(chans[1]) -> _ => panic!(),
        recv(chans[2]) -> _ => panic!(),
        recv(chans[3]) -> _ => panic!(),
        recv(chans[4]) -> v => assert_eq!(v, Some(5)),
    }
}

// select_macro.rs: disconnected (a closed channel is always ready)
#[cfg_attr(miri, ignore)]
#[test]
fn select_disconnected() {
    let (s1, r1) = bounded::<i32>(0);
    let (s2, r2) = bounded::<i32>(0);
    thread::scope(|sc| {
        sc.spawn(|| {
            drop(s1);
            thread::sleep(ms(100));
            s2.send(5).unwrap();
        });
        select! {
            recv(r1) -> v => assert!(v.is_none()),
            recv(r2) -> _ => panic!(),
            default(ms(1000)) => panic!(),
        }
        r2.recv().unwrap();
    });
    select! {
        recv(r1) -> v => assert!(v.is_none()),
        recv(r2) -> _ => panic!(),
        default(ms(1000)) => panic!(),
    }
    thread::scope(|sc| {
        sc.spawn(|| {
            thread::sleep(ms(300));
            drop(s2);
        });
        select! {
            recv(r2) -> v => assert!(v.is_none()),
            default(ms(2000)) => panic!(),
        }
    });
}

// select_macro.rs: default, default_when_disconnected, default_only
#[test]
fn select_default() {
    let (a, b) = (Chan::<i32>::new(1), Chan::<i32>::new(1));
    select! {
        recv(a) -> _ => panic!(),
        recv(b) -> _ => panic!(),
        default => {}
    }
    a.close().unwrap();
    select! {
        recv(a) -> v => assert!(v.is_none()),
        recv(b) -> _ => panic!(),
        default => panic!(),
    }
    let _ = b.send(2);
    select! {
        recv(b) -> v => assert_eq!(v, Some(2)),
        default => panic!(),
    }
    select! {
        recv(b) -> _ => panic!(),
        default => {}
    }
    select! {
        recv(b) -> _ => panic!(),
        default => {},
    }

    let c = Chan::<i32>::new(0);
    c.close().unwrap();
    select! {
        recv(c) -> v => assert!(v.is_none()),
        default => panic!(),
    }
    select! {
        send(c, 0) -> res => assert_eq!(res, Err(SendError(0))),
        default => panic!(),
    }

    let start = Instant::now();
    select! {
        default => {}
    }
    let v = select! {
        default(ms(100)) => 7,
    };
    assert_eq!(v, 7);
    assert!(start.elapsed() >= ms(100));
}

// select_macro.rs: timeout, unblocks
#[cfg_attr(miri, ignore)]
#[test]
fn select_timeout_and_unblocks() {
    let (a, b) = (Chan::<i32>::new(0), Chan::<i32>::new(0));
    thread::scope(|sc| {
        sc.spawn(|| {
            thread::sleep(ms(300));
            b.send(2).unwrap();
        });
        select! {
            recv(a) -> _ => panic!(),
            recv(b) -> _ => panic!(),
            default(ms(200)) => {}
        }
        select! {
            recv(a) -> _ => panic!(),
            recv(b) -> v => assert_eq!(v, Some(2)),
            default(ms(5000)) => panic!(),
        }
    });
    thread::scope(|sc| {
        sc.spawn(|| {
            thread::sleep(ms(300));
            assert_eq!(b.recv(), Some(7));
        });
        select! {
            send(a, 6) => panic!(),
            send(b, 7) => {}
            default(ms(5000)) => panic!(),
        }
    });
}

// select_macro.rs: both_ready (a send and a receive, each ready in turn)
#[cfg_attr(miri, ignore)]
#[test]
fn select_both_ready() {
    let (a, b) = (Chan::new(0), Chan::new(0));
    thread::scope(|sc| {
        sc.spawn(|| {
            thread::sleep(ms(100));
            a.send(1).unwrap();
            assert_eq!(b.recv(), Some(2));
        });
        for _ in 0..2 {
            select! {
                recv(a) -> v => assert_eq!(v, Some(1)),
                send(b, 2) => {}
            }
        }
    });
}

// select_macro.rs: loop_try (select with default, retried until it fires)
#[cfg_attr(miri, ignore)]
#[test]
fn select_loop_try() {
    let runs = 20;
    for _ in 0..runs {
        let (a, b, end) = (Chan::new(0), Chan::new(0), Chan::<()>::new(0));
        thread::scope(|sc| {
            sc.spawn(|| loop {
                select! {
                    send(a, 1) => break,
                    default => {}
                }
                select! {
                    recv(end) => break,
                    default => {}
                }
            });
            sc.spawn(|| loop {
                if let Ok(x) = b.try_recv() {
                    assert_eq!(x, 2);
                    break;
                }
                select! {
                    recv(end) => break,
                    default => {}
                }
            });
            sc.spawn(|| {
                thread::sleep(ms(50));
                select! {
                    recv(a) -> v => assert_eq!(v, Some(1)),
                    default(ms(1000)) => panic!(),
                }
                select! {
                    send(b, 2) => {}
                    default(ms(1000)) => panic!(),
                }
                end.close().unwrap();
            });
        });
    }
}

// select_macro.rs: preflight1..3 (ready before the select is entered)
#[test]
fn select_preflight() {
    let (s, r) = bounded(10);
    s.send(()).unwrap();
    select! {
        recv(r) -> v => assert_eq!(v, Some(())),
    }

    let (s, r) = bounded(10);
    drop(s.clone());
    s.send(()).unwrap();
    drop(s);
    select! {
        recv(r) -> v => assert!(v.is_some()),
    }
    assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
    select! {
        recv(r) -> v => assert!(v.is_none()),
    }
}

// select_macro.rs: duplicate_operations (every duplicated case gets chosen)
#[test]
fn select_duplicate_operations() {
    let c = Chan::<i32>::new(10);
    let mut hit = [false; 4];
    while hit.iter().any(|h| !h) {
        select! {
            recv(c) => hit[0] = true,
            recv(c) => hit[1] = true,
            send(c, 0) => hit[2] = true,
            send(c, 0) => hit[3] = true,
        }
    }
}

// select_macro.rs: nesting
#[test]
fn select_nesting() {
    let c = Chan::<i32>::new(1);
    select! {
        send(c, 0) => {
            select! {
                recv(c) -> v => {
                    assert_eq!(v, Some(0));
                    select! {
                        send(c, 1) => {
                            select! {
                                recv(c) -> v => assert_eq!(v, Some(1)),
                            }
                        }
                    }
                }
            }
        }
    }
}

// select_macro.rs: panic_sender / panic_receiver (a panicking operand
// expression propagates out of the select)
#[test]
#[should_panic(expected = "send panicked")]
#[allow(unreachable_code, clippy::diverging_sub_expression)]
fn select_panic_sender() {
    fn get() -> Chan<i32> {
        panic!("send panicked")
    }
    select! {
        send(get(), panic!()) => {}
    }
}

#[test]
#[should_panic(expected = "recv panicked")]
fn select_panic_receiver() {
    fn get() -> Chan<i32> {
        panic!("recv panicked")
    }
    select! {
        recv(get()) => {}
    }
}

// select_macro.rs: stress_recv / stress_send / stress_mixed
#[cfg_attr(miri, ignore)] // thread-heavy; its single-thread parts run elsewhere
#[test]
fn select_stress() {
    let count = size(10_000, 10);
    let (a, b, done) = (Chan::new(0), Chan::new(5), Chan::<()>::new(0));
    thread::scope(|sc| {
        sc.spawn(|| {
            for i in 0..count {
                a.send(i).unwrap();
                b.send(i).unwrap();
                done.recv().unwrap();
            }
        });
        for i in 0..count {
            for _ in 0..2 {
                select! {
                    recv(a) -> v => assert_eq!(v, Some(i)),
                    recv(b) -> v => assert_eq!(v, Some(i)),
                }
            }
            done.send(()).unwrap();
        }
    });

    // Both unbuffered, so each select's send waits for the receiver.
    let b = Chan::new(0);
    thread::scope(|sc| {
        sc.spawn(|| {
            for i in 0..count {
                assert_eq!(a.recv(), Some(i));
                assert_eq!(b.recv(), Some(i));
                done.send(()).unwrap();
            }
        });
        for i in 0..count {
            for _ in 0..2 {
                select! {
                    send(a, i) => {}
                    send(b, i) => {}
                }
            }
            done.recv().unwrap();
        }
    });

    thread::scope(|sc| {
        sc.spawn(|| {
            for i in 0..count {
                a.send(i).unwrap();
                assert_eq!(b.recv(), Some(i));
                done.recv().unwrap();
            }
        });
        for i in 0..count {
            for _ in 0..2 {
                select! {
                    recv(a) -> v => assert_eq!(v, Some(i)),
                    send(b, i) => {}
                }
            }
            done.send(()).unwrap();
        }
    });
}

// select_macro.rs: send_recv_same_channel (a select never pairs with
// itself; Go: "select should not get confused if it sees itself")
#[test]
fn select_send_recv_same_channel() {
    let c = Chan::<i32>::new(0);
    select! {
        send(c, 0) => panic!(),
        recv(c) => panic!(),
        default(ms(50)) => {}
    }
    let c = Chan::<i32>::with_mode(0, Mode::CloseOnDrop);
    let r = c.receiver();
    drop(c);
    // The last sender is gone: the receive case fires with closed.
    select! {
        recv(r) -> v => assert!(v.is_none()),
        default(ms(1000)) => panic!(),
    }
}

// select_macro.rs: matching / matching_with_leftover (selects on both ends
// of one unbuffered channel pair up with each other)
#[cfg_attr(miri, ignore)]
#[test]
fn select_matching() {
    for (threads, leftover) in [(44, false), (55, true)] {
        let c = Chan::<usize>::new(0);
        thread::scope(|sc| {
            for i in 0..threads {
                let c = &c;
                sc.spawn(move || {
                    select! {
                        recv(c) -> v => assert_ne!(v.unwrap(), i),
                        send(c, i) => {}
                    }
                });
            }
            if leftover {
                c.send(!0).unwrap();
            }
        });
        assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    }
}

// select_macro.rs: linearizable_default / linearizable_timeout
#[cfg_attr(miri, ignore)] // thread-heavy; its single-thread parts run elsewhere
#[test]
fn select_linearizable() {
    let count = size(20_000, 10);
    for timeout in [false, true] {
        let (start, end) = (Chan::<()>::new(0), Chan::<()>::new(0));
        let (a, b) = (Chan::<i32>::new(1), Chan::<i32>::new(1));
        thread::scope(|sc| {
            sc.spawn(|| {
                for _ in 0..count {
                    start.send(()).unwrap();
                    a.send(1).unwrap();
                    if timeout {
                        select! {
                            recv(a) => {}
                            recv(b) => {}
                            default(ms(0)) => unreachable!(),
                        }
                    } else {
                        select! {
                            recv(a) => {}
                            recv(b) => {}
                            default => unreachable!(),
                        }
                    }
                    end.send(()).unwrap();
                    let _ = b.try_recv();
                }
            });
            for _ in 0..count {
                start.recv().unwrap();
                b.send(1).unwrap();
                let _ = a.try_recv();
                end.recv().unwrap();
            }
        });
    }
}

// select_macro.rs: fairness1, fairness2, fairness_recv, fairness_send
#[test]
fn select_fairness_mixed() {
    let count = size(10_000, 100);
    let (a, b) = (Chan::<()>::new(count), Chan::<()>::new(count));
    for _ in 0..count {
        a.send(()).unwrap();
        b.send(()).unwrap();
    }
    let (closed, nil) = (Chan::<()>::new(0), Chan::<()>::nil());
    closed.close().unwrap();
    let mut hits = [0usize; 3];
    for _ in 0..count {
        select! {
            recv(a) => hits[0] += 1,
            recv(b) => hits[1] += 1,
            recv(closed) => hits[2] += 1,
            recv(nil) => unreachable!(),
        }
    }
    assert!(
        hits.iter().all(|&x| x >= count / hits.len() / 2),
        "{hits:?}"
    );

    // fairness_send: a send case chosen among duplicates.
    let c = Chan::<i32>::new(count);
    let mut hits = [0usize; 4];
    for _ in 0..count {
        select! {
            send(c, 0) => hits[0] += 1,
            send(c, 0) => hits[1] += 1,
            send(c, 0) => hits[2] += 1,
            send(c, 0) => hits[3] += 1,
        }
    }
    assert_eq!(c.len(), count);
    assert!(
        hits.iter().all(|&x| x >= count / hits.len() / 2),
        "{hits:?}"
    );
}

// select_macro.rs: evaluate (the select is an expression)
#[test]
fn select_evaluate() {
    let c = Chan::<i32>::new(1);
    let v = select! {
        recv(c) => "foo".to_string(),
        send(c, 0) => "bar".to_owned(),
        default => "baz".into(),
    };
    assert_eq!(v, "bar");
    let v = select! {
        recv(c) => "foo".to_string(),
        default => "baz".into(),
    };
    assert_eq!(v, "foo");
    let v = select! {
        recv(c) => "foo".to_string(),
        default => "baz".into(),
    };
    assert_eq!(v, "baz");
}

// select_macro.rs: once_blocks / once_receiver / once_sender (operands and
// send values evaluated exactly once)
#[test]
fn select_operands_evaluated_once() {
    let calls = AtomicUsize::new(0);
    let c = Chan::<i32>::new(0);
    let get = || {
        calls.fetch_add(1, Ordering::SeqCst);
        &c
    };
    let value = || {
        calls.fetch_add(1, Ordering::SeqCst);
        7
    };
    select! {
        recv(get()) => panic!(),
        send(get(), value()) => panic!(),
        default => {}
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

// iter.rs: nested_recv_iter, recv_iter_break, recv_try_iter,
// recv_into_iter_owned, recv_into_iter_borrowed
#[test]
fn iterators() {
    let (s, r) = bounded::<i32>(0);
    let (total_s, total_r) = bounded::<i32>(0);
    thread::scope(|sc| {
        sc.spawn(move || {
            let mut acc = 0;
            for x in r.iter() {
                acc += x;
            }
            total_s.send(acc).unwrap();
        });
        s.send(3).unwrap();
        s.send(1).unwrap();
        s.send(2).unwrap();
        drop(s);
        assert_eq!(total_r.recv(), Some(6));
    });

    // crossbeam's channel here is unbounded: room for the fourth value.
    let (s, r) = bounded::<i32>(1);
    let (count_s, count_r) = bounded(0);
    thread::scope(|sc| {
        sc.spawn(move || {
            let mut count = 0;
            for x in r.iter() {
                if count >= 3 {
                    break;
                }
                count += x;
            }
            count_s.send(count).unwrap();
        });
        s.send(2).unwrap();
        s.send(2).unwrap();
        s.send(2).unwrap();
        let _ = s.send(2);
        drop(s);
        assert_eq!(count_r.recv(), Some(4));
    });

    let c = Chan::new(10);
    for i in 0..5 {
        c.send(i).unwrap();
    }
    assert_eq!(c.try_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(c.try_iter().count(), 0);

    let (s, r) = bounded(3);
    for i in [1, 2, 3] {
        s.send(i).unwrap();
    }
    drop(s);
    let mut it = r.into_iter();
    assert_eq!(it.next(), Some(1));
    assert_eq!(it.next(), Some(2));
    assert_eq!(it.next(), Some(3));
    assert_eq!(it.next(), None);

    let (s, r) = bounded(3);
    for i in [1, 2, 3] {
        s.send(i).unwrap();
    }
    drop(s);
    {
        let mut it = (&r).into_iter();
        assert_eq!(it.next(), Some(1));
    }
    assert_eq!(r.iter().collect::<Vec<_>>(), [2, 3]);
}

// never.rs: smoke, optional, capacity, len_empty_full, try_recv,
// recv_timeout (crossbeam's never() is Go's nil channel)
#[test]
fn nil_channel_is_never() {
    let nil = Chan::<i32>::nil();
    let (s, r) = (Chan::new(1), Chan::<i32>::new(1));
    s.send(1).unwrap();
    select! {
        recv(nil) => panic!(),
        recv(s) -> v => assert_eq!(v, Some(1)),
    }
    // optional: `Option<Receiver>` → nil when absent
    fn optional(r: Option<gochan::Receiver<i32>>) -> gochan::Receiver<i32> {
        r.unwrap_or_default()
    }
    let rx = optional(None);
    select! {
        recv(rx) => panic!(),
        default(ms(20)) => {}
    }
    assert_eq!((nil.cap(), nil.len(), nil.is_empty()), (0, 0, true));
    assert_eq!(nil.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(nil.try_send(1), Err(TrySendError::Full(1)));
    let start = Instant::now();
    assert_eq!(nil.recv_timeout(ms(50)), Err(RecvTimeoutError::Timeout));
    assert!(start.elapsed() >= ms(50));
    assert_eq!(
        nil.send_timeout(2, ms(10)),
        Err(SendTimeoutError::Timeout(2))
    );
    drop(r);
}

// same_channel.rs: array_same_channel, zero_same_channel, never_same_channel,
// different_flavors_same_channel
#[test]
fn same_channel() {
    for cap in [0, 1] {
        let c = Chan::<i32>::new(cap);
        let (s, r) = (c.sender(), c.receiver());
        assert!(c.same_channel(&c.clone()));
        assert_eq!(s, c.sender());
        assert_eq!(r, c.receiver());
        assert!(s.same_channel(&c.sender()));
        assert!(r.same_channel(&r.clone()));
        let d = Chan::<i32>::new(cap);
        assert!(!c.same_channel(&d));
        assert_ne!(s, d.sender());
        assert_ne!(r, d.receiver());
        assert!(!s.same_channel(&d.sender()));
        assert!(!r.same_channel(&d.receiver()));
    }
    // Go: every nil channel of a type compares equal.
    assert!(Chan::<i32>::nil().same_channel(&Chan::nil()));
    assert_eq!(Chan::<i32>::nil(), Chan::<i32>::nil());
    assert_ne!(Chan::<i32>::nil(), Chan::<i32>::new(0));
}

// list.rs: recv_timeout_nonempty_expired, for an unbuffered channel: a
// sender already parked makes a zero-timeout receive succeed (Go's
// non-blocking receive pairs with a waiting sender), and a parked receiver
// makes a zero-timeout send succeed.
#[test]
fn zero_timeout_pairs_with_a_parked_peer() {
    let c = Chan::new(0);
    thread::scope(|sc| {
        sc.spawn(|| c.send(1).unwrap());
        while c.snapshot().map_or(0, |s| s.sendq) == 0 {
            thread::yield_now();
        }
        assert_eq!(c.recv_timeout(Duration::ZERO), Ok(1));
        sc.spawn(|| assert_eq!(c.recv(), Some(2)));
        while c.snapshot().map_or(0, |s| s.recvq) == 0 {
            thread::yield_now();
        }
        assert_eq!(c.send_timeout(2, Duration::ZERO), Ok(()));
    });
}

// select_macro.rs: references (operands behind any number of references,
// and temporaries)
#[allow(clippy::unnecessary_literal_unwrap)]
#[test]
fn select_syntax_references() {
    let c = Chan::<i32>::new(1);
    let (s, r) = (c.sender(), c.receiver());
    select! {
        send(s, 0) => {}
        recv(r) => {}
    }
    select! {
        send(&&&&s, 0) => {}
        recv(&&&&r) => {}
    }
    let nil = gochan::Receiver::<i32>::default();
    select! {
        recv(Some(&r).unwrap_or(&nil)) => {},
        default => {}
    }
    select! {
        recv(Some(r).unwrap_or_default()) => {},
        default => {}
    }
}

// select_macro.rs: case_blocks (arm bodies that are loop, match and if
// expressions)
#[allow(clippy::never_loop, clippy::match_single_binding)]
#[test]
fn select_syntax_case_blocks() {
    let c = Chan::<i32>::new(1);
    let v = select! {
        recv(c) => 3.0,
        recv(c) => loop {
            unreachable!()
        },
        recv(c) => match 7 + 3 {
            _ => unreachable!()
        },
        default => 7.
    };
    assert_eq!(v, 7.0);
    select! {
        recv(c) -> msg => if msg.is_some() {
            unreachable!()
        },
        default => ()
    }
}

// select_macro.rs: move_handles, infer_types, same_variable_name,
// handles_on_heap, parse_nesting
#[allow(clippy::redundant_closure_call)]
#[test]
fn select_syntax_operands_and_bindings() {
    let c = Chan::<i32>::new(1);
    let (s, r) = (c.sender(), c.receiver());
    select! {
        recv((move || r)()) => {}
        send((move || s)(), 0) => {}
    }
    let c = Chan::new(1);
    select! {
        recv(c) => {}
        default => {}
    }
    c.send(()).unwrap();
    let c = Chan::<i32>::new(0);
    c.close().unwrap();
    let r = c.receiver();
    select! {
        recv(r) -> r => assert!(r.is_none()),
    }
    let (s, r) = (Box::new(Chan::<i32>::new(1)), Box::new(Chan::<i32>::new(1)));
    select! {
        send(*s, 0) => {}
        recv(*r) => {}
        default => {}
    }
    let nil = Chan::<i32>::nil();
    select! {
        recv(nil) => {}
        recv(nil) => {
            select! {
                recv(nil) => {}
                recv(nil) => {
                    select! {
                        default => {}
                    }
                }
            }
        }
        default => {}
    }
}

// select_macro.rs: default_syntax (`default()` is `default`)
#[test]
fn select_syntax_default_parens() {
    let c = Chan::<i32>::new(0);
    select! {
        recv(c) => panic!(),
        default => {}
    }
    select! {
        send(c, 0) => panic!(),
        default() => {}
    }
    select! {
        default => {}
    }
    let v = select! {
        default() => 1
    };
    assert_eq!(v, 1);
}

// select_macro.rs: trailing_comma (inside the case parentheses too)
#[test]
fn select_syntax_trailing_commas() {
    let c = Chan::<usize>::new(1);
    select! {
        send(c, 1,) => {},
        recv(c,) => {},
        default(ms(1000),) => {},
    }
    let v = select! {
        recv(c,) -> v => v,
        default(ms(10),) => None,
    };
    assert_eq!(v, Some(1));
}
