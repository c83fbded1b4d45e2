//! Scenarios from smol-rs/async-channel's `tests/bounded.rs` and
//! `tests/unbounded.rs`, re-written against gochan's `send_async`/
//! `recv_async` (async-channel's unbounded channel runs on a buffered one
//! big enough for the test).
//!
//! Where async-channel and Go differ we follow Go: a send or receive future
//! that has been polled once is queued on the channel like a parked
//! goroutine, so (unlike async-channel's `forget_blocked_*` tests) it takes
//! part in direct hand-offs even before it is polled again.
#![cfg(feature = "std")]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;

use gochan::{Chan, Mode, SendError, TryRecvError, TrySendError};
use gocore::park::block_on;

mod common;
use common::{ms, size};

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

fn wait_sendq<T>(c: &Chan<T>, n: usize) {
    while c.snapshot().map_or(0, |s| s.sendq) < n {
        thread::yield_now();
    }
}

fn wait_recvq<T>(c: &Chan<T>, n: usize) {
    while c.snapshot().map_or(0, |s| s.recvq) < n {
        thread::yield_now();
    }
}

// bounded.rs / unbounded.rs: smoke
#[test]
fn smoke() {
    let c = Chan::new(1);
    block_on(c.send_async(7)).unwrap();
    assert_eq!(c.try_recv(), Ok(7));
    block_on(c.send_async(8)).unwrap();
    assert_eq!(block_on(c.recv_async()), Some(8));
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
}

// bounded.rs: recv (a receive future completes when a value arrives,
// and with None once the channel is closed and drained)
#[cfg_attr(miri, ignore)]
#[test]
fn recv() {
    let c = Chan::new(100);
    thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(block_on(c.recv_async()), Some(7));
            thread::sleep(ms(200));
            assert_eq!(block_on(c.recv_async()), Some(8));
            thread::sleep(ms(200));
            assert_eq!(block_on(c.recv_async()), Some(9));
            assert_eq!(block_on(c.recv_async()), None);
        });
        s.spawn(|| {
            thread::sleep(ms(300));
            block_on(c.send_async(7)).unwrap();
            block_on(c.send_async(8)).unwrap();
            block_on(c.send_async(9)).unwrap();
            c.close().unwrap();
        });
    });
}

// bounded.rs: send (a send future on a full channel completes when a
// receiver makes room)
#[test]
fn send() {
    let c = Chan::new(1);
    thread::scope(|s| {
        s.spawn(|| {
            block_on(c.send_async(7)).unwrap();
            block_on(c.send_async(8)).unwrap();
            block_on(c.send_async(9)).unwrap();
            block_on(c.send_async(10)).unwrap();
            assert_eq!(block_on(c.send_async(11)), Err(SendError(11)));
        });
        s.spawn(|| {
            wait_sendq(&c, 1);
            assert_eq!(c.try_recv(), Ok(7));
            assert_eq!(block_on(c.recv_async()), Some(8));
            assert_eq!(block_on(c.recv_async()), Some(9));
            wait_sendq(&c, 1);
            // 10 is buffered, 11 waits: closing wakes its sender with the
            // value back and keeps 10 for receivers.
            c.close().unwrap();
        });
    });
    assert_eq!(c.recv(), Some(10));
    assert_eq!(c.recv(), None);
}

// bounded.rs: send_after_close / recv_after_close
#[test]
fn after_close() {
    let c = Chan::new(100);
    block_on(c.send_async(1)).unwrap();
    block_on(c.send_async(2)).unwrap();
    c.close().unwrap();
    assert_eq!(block_on(c.send_async(3)), Err(SendError(3)));
    assert_eq!(c.try_send(4), Err(TrySendError::Closed(4)));
    assert_eq!(block_on(c.recv_async()), Some(1));
    assert_eq!(block_on(c.recv_async()), Some(2));
    assert_eq!(block_on(c.recv_async()), None);
    assert_eq!(c.try_recv(), Err(TryRecvError::Closed));
}

// bounded.rs: close_wakes_sender / close_wakes_receiver, with the handle
// drops of async-channel modelled by Mode::CloseOnDrop
#[test]
fn disconnect_wakes_sender_and_receiver() {
    let c = Chan::with_mode(1, Mode::CloseOnDrop);
    let (tx, rx) = (c.sender(), c.receiver());
    drop(c);
    thread::scope(|s| {
        s.spawn(move || {
            block_on(tx.send_async(())).unwrap();
            assert_eq!(block_on(tx.send_async(())), Err(SendError(())));
        });
        s.spawn(move || {
            thread::sleep(ms(50));
            drop(rx);
        });
    });

    let c = Chan::<()>::with_mode(1, Mode::CloseOnDrop);
    let (tx, rx) = (c.sender(), c.receiver());
    drop(c);
    thread::scope(|s| {
        s.spawn(move || assert_eq!(block_on(rx.recv_async()), None));
        s.spawn(move || {
            thread::sleep(ms(50));
            drop(tx);
        });
    });
}

// bounded.rs: forget_blocked_sender, Go's way: the parked send future's
// value moves into the buffer when a receiver frees a slot (chanrecv takes
// the head and copies the first waiting sender's value into the tail),
// ahead of a sender that arrives later.
#[test]
fn blocked_send_future_is_handed_a_slot_without_a_poll() {
    let c = Chan::new(2);
    block_on(c.send_async(3)).unwrap();
    block_on(c.send_async(7)).unwrap();
    let mut fut = pin!(c.send_async(13));
    assert!(poll_once(fut.as_mut()).is_pending());
    thread::scope(|s| {
        s.spawn(|| {
            wait_sendq(&c, 2);
            assert_eq!(c.recv(), Some(3));
            assert_eq!(c.recv(), Some(7));
            assert_eq!(c.recv(), Some(13));
            assert_eq!(c.recv(), Some(42));
        });
        s.spawn(|| block_on(c.send_async(42)).unwrap());
    });
    // The future completes without waiting: its value was already taken.
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(Ok(())));
}

// bounded.rs: forget_blocked_receiver, Go's way: a sender hands its value
// directly to the longest-waiting receive future; dropping that future
// without polling it again puts the value back, so it is not lost.
#[test]
fn blocked_recv_future_gets_the_value_and_gives_it_back_on_drop() {
    let c = Chan::<i32>::new(2);
    {
        let mut fut = pin!(c.recv_async());
        assert!(poll_once(fut.as_mut()).is_pending());
        wait_recvq(&c, 1);
        c.send(3).unwrap();
        // Handed directly to the parked future, not buffered.
        assert_eq!(c.len(), 0);
    }
    assert_eq!(c.try_recv(), Ok(3));

    let mut fut = pin!(c.recv_async());
    assert!(poll_once(fut.as_mut()).is_pending());
    c.send(4).unwrap();
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(Some(4)));
}

// bounded.rs / unbounded.rs: spsc, mpmc (async tasks on threads)
#[test]
fn spsc_and_mpmc() {
    let count = size(20_000, 50);
    let c = Chan::new(3);
    thread::scope(|s| {
        s.spawn(|| {
            block_on(async {
                for i in 0..count {
                    assert_eq!(c.recv_async().await, Some(i));
                }
                assert_eq!(c.recv_async().await, None);
            })
        });
        s.spawn(|| {
            block_on(async {
                for i in 0..count {
                    c.send_async(i).await.unwrap();
                }
                c.close().unwrap();
            })
        });
    });

    let count = size(5_000, 20);
    let threads = 4;
    let c = Chan::<usize>::new(3);
    let seen: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                block_on(async {
                    for _ in 0..count {
                        let n = c.recv_async().await.unwrap();
                        seen[n].fetch_add(1, Ordering::SeqCst);
                    }
                })
            });
        }
        for _ in 0..threads {
            s.spawn(|| {
                block_on(async {
                    for i in 0..count {
                        c.send_async(i).await.unwrap();
                    }
                })
            });
        }
    });
    assert!(seen.iter().all(|n| n.load(Ordering::SeqCst) == threads));
}

// bounded.rs: len, capacity (async sends and receives keep len exact)
#[test]
fn len_and_capacity() {
    let c = Chan::new(5);
    assert_eq!(c.cap(), 5);
    for i in 0..5 {
        block_on(c.send_async(i)).unwrap();
        assert_eq!(c.len(), i + 1);
    }
    assert_eq!(c.try_send(9), Err(TrySendError::Full(9)));
    for i in 0..5 {
        assert_eq!(block_on(c.recv_async()), Some(i));
        assert_eq!(c.len(), 4 - i);
    }
}
