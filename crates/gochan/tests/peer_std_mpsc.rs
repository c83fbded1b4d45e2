//! Scenarios from std's `library/std/src/sync/mpsc/sync_tests.rs`
//! (`sync_channel`), re-written against gochan. std's disconnection on the
//! last sender or receiver drop is `Mode::CloseOnDrop`.
#![cfg(feature = "std")]

use std::rc::Rc;
use std::thread;
use std::time::Duration;

use gochan::{
    Chan, Mode, Receiver, RecvTimeoutError, SendTimeoutError, Sender, TryRecvError, TrySendError,
};

mod common;
use common::size;

fn sync_channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let c = Chan::with_mode(cap, Mode::CloseOnDrop);
    let s = c.sender();
    (s, c.into())
}

// smoke, smoke_shared, drop_full, recv_a_lot
#[test]
fn smoke() {
    let (tx, rx) = sync_channel::<i32>(1);
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Some(1));
    let tx2 = tx.clone();
    tx2.send(2).unwrap();
    assert_eq!(rx.recv(), Some(2));

    let (tx, _rx) = sync_channel::<Box<isize>>(1);
    tx.send(Box::new(1)).unwrap();

    let count = size(10_000, 500);
    let (tx, rx) = sync_channel(count);
    for _ in 0..count {
        tx.send(()).unwrap();
    }
    for _ in 0..count {
        rx.recv().unwrap();
    }
}

// recv_timeout, send_timeout
#[test]
fn timeouts() {
    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    );
    tx.send(1).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Ok(1));
    assert_eq!(tx.send_timeout(1, Duration::from_millis(1)), Ok(()));
    assert_eq!(
        tx.send_timeout(2, Duration::from_millis(1)),
        Err(SendTimeoutError::Timeout(2))
    );
}

// smoke_port_gone, smoke_shared_port_gone2, smoke_chan_gone,
// smoke_chan_gone_shared, oneshot_single_thread_*
#[test]
fn single_thread_disconnects() {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(rx);
    assert!(tx.send(1).is_err());
    assert_eq!(tx.try_send(10), Err(TrySendError::Closed(10)));

    let (tx, rx) = sync_channel::<i32>(0);
    drop(rx);
    let tx2 = tx.clone();
    drop(tx);
    assert!(tx2.send(1).is_err());

    let (tx, rx) = sync_channel::<()>(0);
    let tx2 = tx.clone();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(tx2);
    assert_eq!(rx.recv(), None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    // oneshot_single_thread_send_port_close: the value comes back
    let (tx, rx) = sync_channel::<Box<i32>>(0);
    drop(rx);
    assert_eq!(*tx.send(Box::new(7)).unwrap_err().0, 7);

    // oneshot_single_thread_try_recv_closed_with_data
    let (tx, rx) = sync_channel::<i32>(1);
    tx.send(10).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(10));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    // try_send1..3, oneshot_single_thread_try_send_closed2
    let (tx, _rx) = sync_channel::<i32>(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(tx.try_send(1), Ok(()));
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    drop(rx);
    assert_eq!(tx.try_send(1), Err(TrySendError::Closed(1)));
}

// port_gone_concurrent(_shared), chan_gone_concurrent
#[test]
fn concurrent_disconnects() {
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    while tx.send(1).is_ok() {}
    t.join().unwrap();

    let (tx, rx) = sync_channel::<i32>(0);
    let tx2 = tx.clone();
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    while tx.send(1).is_ok() && tx2.send(1).is_ok() {}
    t.join().unwrap();

    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        tx.send(1).unwrap();
        tx.send(1).unwrap();
    });
    let mut n = 0;
    while rx.recv().is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    t.join().unwrap();
}

// stress, stress_recv_timeout_two_threads, stress_recv_timeout_shared,
// stress_shared
#[test]
fn stress() {
    let count = size(10_000, 50);
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        for _ in 0..count {
            tx.send(1).unwrap();
        }
    });
    let mut got = 0;
    loop {
        match rx.recv_timeout(Duration::from_millis(1)) {
            Ok(v) => {
                assert_eq!(v, 1);
                got += 1;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Closed) => break,
        }
    }
    assert_eq!(got, count);
    t.join().unwrap();

    let amt = size(1000, 10);
    let threads = size(8, 2);
    let (tx, rx) = sync_channel::<i32>(0);
    let (dtx, drx) = sync_channel::<()>(0);
    let consumer = thread::spawn(move || {
        let mut got = 0;
        loop {
            match rx.recv_timeout(Duration::from_millis(10)) {
                Ok(v) => {
                    assert_eq!(v, 1);
                    got += 1;
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Closed) => break,
            }
        }
        assert_eq!(got, amt * threads);
        assert!(rx.try_recv().is_err());
        dtx.send(()).unwrap();
    });
    let producers: Vec<_> = (0..threads)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || {
                for _ in 0..amt {
                    tx.send(1).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    drx.recv().unwrap();
    consumer.join().unwrap();
    for p in producers {
        p.join().unwrap();
    }
}

// oneshot_single_thread_recv_chan_close, oneshot_multi_task_recv_then_close,
// oneshot_multi_thread_*_stress
#[test]
fn oneshot_multi_thread() {
    let runs = size(20, 2);
    for _ in 0..runs {
        let (tx, rx) = sync_channel::<i32>(0);
        let t = thread::spawn(move || drop(rx));
        drop(tx);
        t.join().unwrap();

        let (tx, rx) = sync_channel::<i32>(0);
        let t = thread::spawn(move || drop(rx));
        let r = thread::spawn(move || tx.send(1)).join().unwrap();
        // Nobody ever receives, so the send can only end when the
        // receiver's drop closes the channel, giving the value back.
        assert_eq!(r, Err(gochan::SendError(1)));
        t.join().unwrap();

        let (tx, rx) = sync_channel::<Box<i32>>(0);
        let t = thread::spawn(move || drop(tx));
        assert_eq!(rx.recv(), None);
        t.join().unwrap();

        let (tx, rx) = sync_channel::<Box<i32>>(0);
        let t = thread::spawn(move || tx.send(Box::new(10)).unwrap());
        assert_eq!(*rx.recv().unwrap(), 10);
        t.join().unwrap();
    }
}

// stream_send_recv_stress: each value sent and received by a new thread
#[test]
fn stream_send_recv_stress() {
    fn send(tx: Sender<Box<i32>>, i: i32, hs: &mut Vec<thread::JoinHandle<()>>) {
        if i == 10 {
            return;
        }
        let tx2 = tx.clone();
        hs.push(thread::spawn(move || tx.send(Box::new(i)).unwrap()));
        // Wait for this value to be taken before sending the next, so the
        // order is fixed (std chains the threads instead).
        while hs.last().is_some_and(|h| !h.is_finished()) {
            thread::yield_now();
        }
        send(tx2, i + 1, hs);
    }
    let (tx, rx) = sync_channel::<Box<i32>>(0);
    let r = thread::spawn(move || {
        for i in 0..10 {
            assert_eq!(*rx.recv().unwrap(), i);
        }
    });
    let mut hs = Vec::new();
    send(tx, 0, &mut hs);
    r.join().unwrap();
    for h in hs {
        h.join().unwrap();
    }
}

// shared_chan_stress
#[test]
fn shared_chan_stress() {
    let total = size(100, 5);
    let (tx, rx) = sync_channel(0);
    let hs: Vec<_> = (0..total)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || tx.send(()).unwrap())
        })
        .collect();
    for _ in 0..total {
        rx.recv().unwrap();
    }
    for h in hs {
        h.join().unwrap();
    }
}

// try_recv_states
#[test]
fn try_recv_states() {
    let (tx1, rx1) = sync_channel::<i32>(1);
    let (tx2, rx2) = sync_channel::<()>(1);
    let (tx3, rx3) = sync_channel::<()>(1);
    let t = thread::spawn(move || {
        rx2.recv().unwrap();
        tx1.send(1).unwrap();
        tx3.send(()).unwrap();
        rx2.recv().unwrap();
        drop(tx1);
        tx3.send(()).unwrap();
    });
    assert_eq!(rx1.try_recv(), Err(TryRecvError::Empty));
    tx2.send(()).unwrap();
    rx3.recv().unwrap();
    assert_eq!(rx1.try_recv(), Ok(1));
    assert_eq!(rx1.try_recv(), Err(TryRecvError::Empty));
    tx2.send(()).unwrap();
    rx3.recv().unwrap();
    assert_eq!(rx1.try_recv(), Err(TryRecvError::Closed));
    t.join().unwrap();
}

// destroy_upgraded_shared_port_when_sender_still_active
#[test]
fn receiver_dropped_while_a_sender_is_active() {
    let (tx, rx) = sync_channel::<()>(0);
    let (tx2, rx2) = sync_channel::<()>(0);
    let t = thread::spawn(move || {
        rx.recv().unwrap();
        drop(rx);
        tx2.send(()).unwrap();
    });
    for _ in 0..size(5000, 10) {
        thread::yield_now();
    }
    let t2 = tx.clone();
    drop(tx);
    t2.send(()).unwrap();
    rx2.recv().unwrap();
    t.join().unwrap();
}

// send1..send4: blocked senders are woken with an error when the receiver
// goes
#[test]
fn blocked_senders_woken_by_receiver_drop() {
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    assert_eq!(tx.send(1), Ok(()));
    t.join().unwrap();

    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(tx.send(1), Ok(()));
    let t = thread::spawn(move || drop(rx));
    assert!(tx.send(1).is_err());
    t.join().unwrap();

    let (tx, rx) = sync_channel::<i32>(0);
    let tx2 = tx.clone();
    let a = thread::spawn(move || assert!(tx.send(1).is_err()));
    let b = thread::spawn(move || assert!(tx2.send(2).is_err()));
    drop(rx);
    a.join().unwrap();
    b.join().unwrap();
}

// issue_15761: a try_send into a channel whose receiver is about to block
#[test]
fn issue_15761() {
    for _ in 0..size(100, 5) {
        let (tx1, rx1) = sync_channel::<()>(3);
        let (tx2, rx2) = sync_channel::<()>(3);
        let t = thread::spawn(move || {
            rx1.recv().unwrap();
            tx2.try_send(()).unwrap();
        });
        tx1.try_send(()).unwrap();
        rx2.recv().unwrap();
        t.join().unwrap();
    }
}

// drop_unreceived: a non-Send value, dropped with the last receiver
#[test]
fn drop_unreceived() {
    let (tx, rx) = sync_channel::<Rc<()>>(1);
    let msg = Rc::new(());
    let weak = Rc::downgrade(&msg);
    assert!(tx.send(msg).is_ok());
    drop(rx);
    assert!(weak.upgrade().is_none());
    drop(tx);
}

// std mpsc tests: recv_timeout/send_timeout with a timeout too long to add
// to now (std issue 44394, fixed in 1.24: Duration::MAX waits like recv)
#[test]
fn huge_timeouts_wait_without_overflow() {
    let (tx, rx) = sync_channel::<i32>(1);
    tx.send(1).unwrap();
    assert_eq!(rx.recv_timeout(Duration::MAX), Ok(1));
    assert_eq!(tx.send_timeout(2, Duration::MAX), Ok(()));
    let t = thread::spawn(move || {
        assert_eq!(rx.recv_timeout(Duration::MAX), Ok(2));
        assert_eq!(rx.recv_timeout(Duration::MAX), Ok(3));
        assert_eq!(
            rx.recv_timeout(Duration::MAX),
            Err(RecvTimeoutError::Closed)
        );
    });
    tx.send_timeout(3, Duration::MAX).unwrap();
    drop(tx);
    t.join().unwrap();
    let c = Chan::new(1);
    c.send(4).unwrap();
    gochan::select! {
        recv(c) -> v => assert_eq!(v, Some(4)),
        default(Duration::MAX) => unreachable!(),
    }
    c.send(5).unwrap();
    let mut sel = gochan::Select::new();
    sel.recv(&c, |v| v);
    assert_eq!(sel.select_timeout(Duration::MAX).ok(), Some(Some(5)));
}
