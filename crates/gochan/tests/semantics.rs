//! Go 1.19's observable channel semantics (spec/chan.md, section (c)), one
//! test per statement, plus select and the directional views.
#![cfg(feature = "std")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gochan::{
    select, Chan, CloseError, RecvTimeoutError, Select, SendError, SendTimeoutError, TryRecvError,
    TrySendError,
};

mod common;
use common::ms;

/// Gives another thread time to park, where the test's outcome does not
/// depend on whether it has (see [`wait_parked_senders`] where it does).
fn settle() {
    thread::sleep(ms(20));
}

/// Waits until `c` has `n` parked senders (Go's `sendq` length), so that
/// threads started one after another are queued in that order.
fn wait_parked_senders<T: Send>(c: &Chan<T>, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.snapshot().unwrap().sendq < n {
        assert!(Instant::now() < deadline, "{n} senders never parked");
        thread::sleep(ms(1));
    }
}

// 1. Nil channels block forever; select never picks them.
#[test]
fn s01_nil_channel_never_communicates() {
    let c = Chan::<i32>::nil();
    assert_eq!(c.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(c.send_timeout(2, ms(5)), Err(SendTimeoutError::Timeout(2)));
    assert_eq!(c.recv_timeout(ms(5)), Err(RecvTimeoutError::Timeout));
    let r = select! {
        recv(c) -> _v => 1,
        send(c, 3) => 2,
        default => 3,
    };
    assert_eq!(r, 3);
    let r = select! {
        recv(c) -> _v => 1,
        default(ms(5)) => 2,
    };
    assert_eq!(r, 2);
}

// 2. len/cap; both 0 for nil.
#[test]
fn s02_len_and_cap() {
    let c = Chan::new(3);
    c.send(1).unwrap();
    c.send(2).unwrap();
    assert_eq!((c.len(), c.cap()), (2, 3));
    let n = Chan::<u8>::nil();
    assert_eq!((n.len(), n.cap(), n.is_closed()), (0, 0, false));
    let u = Chan::<u8>::new(0);
    assert_eq!((u.len(), u.cap()), (0, 0));
}

// 3. Send on a closed channel fails even with room, giving the value back.
#[test]
fn s03_send_on_closed_fails_even_with_room() {
    let c = Chan::new(5);
    c.close().unwrap();
    assert_eq!(c.send(1), Err(SendError(1)));
    assert_eq!(c.try_send(2), Err(TrySendError::Closed(2)));
    assert_eq!(c.send_timeout(3, ms(1)), Err(SendTimeoutError::Closed(3)));
    assert_eq!(gocore::park::block_on(c.send_async(4)), Err(SendError(4)));
    assert_eq!(SendError(0).to_string(), "send on closed channel");
}

// 4. close(nil) and double close are errors with Go's messages.
#[test]
fn s04_close_errors() {
    let c = Chan::<u8>::new(0);
    c.close().unwrap();
    assert_eq!(c.close(), Err(CloseError::Closed));
    assert_eq!(Chan::<u8>::nil().close(), Err(CloseError::Nil));
    assert_eq!(CloseError::Closed.to_string(), "close of closed channel");
    assert_eq!(CloseError::Nil.to_string(), "close of nil channel");
}

// 5. Closed channels drain their buffer first (Go: 1 true, 2 true, 0 false).
#[test]
fn s05_drain_then_closed() {
    let c = Chan::new(2);
    c.send(1).unwrap();
    c.send(2).unwrap();
    c.close().unwrap();
    assert!(c.is_closed());
    assert_eq!(c.recv(), Some(1));
    assert_eq!(c.try_recv(), Ok(2));
    assert_eq!(c.recv(), None);
    assert_eq!(c.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(c.recv_timeout(ms(1)), Err(RecvTimeoutError::Closed));
}

// 6. close wakes every blocked receiver (None) and every blocked sender (Err).
#[test]
fn s06_close_wakes_everyone() {
    let c = Chan::<usize>::new(0);
    let receivers: Vec<_> = (0..3)
        .map(|_| {
            let c = c.clone();
            thread::spawn(move || c.recv())
        })
        .collect();
    settle();
    c.close().unwrap();
    for r in receivers {
        assert_eq!(r.join().unwrap(), None);
    }

    let c = Chan::<usize>::new(1);
    c.send(0).unwrap();
    let senders: Vec<_> = (1..4)
        .map(|i| {
            let c = c.clone();
            thread::spawn(move || c.send(i))
        })
        .collect();
    settle();
    c.close().unwrap();
    let mut back: Vec<usize> = senders
        .into_iter()
        .map(|s| s.join().unwrap().unwrap_err().into_inner())
        .collect();
    back.sort();
    assert_eq!(back, [1, 2, 3]);
    assert_eq!(c.recv(), Some(0));
    assert_eq!(c.recv(), None);
}

// 7. FIFO also across a blocked sender: buffer [1,2] + blocked 3 → 1, 2, 3.
#[test]
fn s07_fifo_with_blocked_sender() {
    let c = Chan::new(2);
    c.send(1).unwrap();
    c.send(2).unwrap();
    let c2 = c.clone();
    let t = thread::spawn(move || c2.send(3).unwrap());
    wait_parked_senders(&c, 1);
    assert_eq!(c.len(), 2);
    assert_eq!(c.recv(), Some(1));
    t.join().unwrap(); // the receive moved 3 into the buffer and woke the sender
    assert_eq!(c.len(), 2);
    assert_eq!(c.recv(), Some(2));
    assert_eq!(c.recv(), Some(3));

    // Blocked senders are served in arrival order.
    let c = Chan::new(0);
    let mut hs = Vec::new();
    for i in 0..4 {
        let c2 = c.clone();
        hs.push(thread::spawn(move || c2.send(i).unwrap()));
        wait_parked_senders(&c, i + 1);
    }
    for i in 0..4 {
        assert_eq!(c.recv(), Some(i));
    }
    for h in hs {
        h.join().unwrap();
    }
}

// 8. Unbuffered send completes only when a receiver takes the value.
#[test]
fn s08_rendezvous() {
    let c = Chan::new(0);
    let done = Arc::new(AtomicUsize::new(0));
    let (c2, d2) = (c.clone(), done.clone());
    let t = thread::spawn(move || {
        c2.send(5).unwrap();
        d2.store(1, Ordering::SeqCst);
    });
    settle();
    assert_eq!(
        done.load(Ordering::SeqCst),
        0,
        "send returned without a receiver"
    );
    assert_eq!(c.recv(), Some(5));
    t.join().unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

// 9. Ranging ends at close-and-drained.
#[test]
fn s09_range() {
    let c = Chan::new(3);
    for i in 0..3 {
        c.send(i).unwrap();
    }
    c.close().unwrap();
    let v: Vec<_> = (&c).into_iter().collect();
    assert_eq!(v, [0, 1, 2]);
    let r = c.receiver();
    assert_eq!((&r).into_iter().count(), 0);
}

// 12. Random choice among ready cases; default when none; blocking otherwise.
#[test]
fn s12_select_random_and_default() {
    let a = Chan::new(1);
    let b = Chan::new(1);
    let (mut na, mut nb) = (0, 0);
    let rounds = if cfg!(miri) { 60 } else { 4000 };
    for _ in 0..rounds {
        a.try_send(1).ok();
        b.try_send(2).ok();
        match select! { recv(a) -> v => v, recv(b) -> v => v } {
            Some(1) => na += 1,
            Some(2) => nb += 1,
            v => panic!("unexpected {v:?}"),
        }
    }
    assert!(na > rounds / 5 && nb > rounds / 5, "{na} vs {nb}");
    let _ = (a.try_recv(), b.try_recv());
    let r = select! { recv(a) -> _v => 0, recv(b) -> _v => 1, default => 2 };
    assert_eq!(r, 2);
}

// 13. Only nil cases: default, or timeout.
#[test]
fn s13_only_nil_cases() {
    let n = Chan::<u8>::nil();
    assert_eq!(select! { recv(n) -> _v => 0, default => 1 }, 1);
    let start = Instant::now();
    assert_eq!(select! { send(n, 1) => 0, default(ms(5)) => 1 }, 1);
    assert!(start.elapsed() >= ms(5));
}

// 14. A receive case on a closed channel is ready and yields None.
#[test]
fn s14_select_recv_closed() {
    let c = Chan::<u8>::new(0);
    c.close().unwrap();
    assert_eq!(select! { recv(c) -> v => v, default => Some(9) }, None);
}

// 15. A send case on a closed channel: Err with `-> res`, Go's panic without.
#[test]
fn s15_select_send_closed() {
    let c = Chan::<u8>::new(1);
    c.close().unwrap();
    let r = select! { send(c, 7) -> res => res, default => Ok(()) };
    assert_eq!(r, Err(SendError(7)));
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || select! { send(c, 7) => {}, default => {} },
    ));
    let msg = p.unwrap_err();
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"send on closed channel"));
}

// 16. A blocked select woken by close: recv reports None, send gets Err.
#[test]
fn s16_blocked_select_woken_by_close() {
    let a = Chan::<u8>::new(0);
    let b = Chan::<u8>::new(0);
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || select! { recv(a2) -> v => (0, v), recv(b2) -> v => (1, v) });
    settle();
    b.close().unwrap();
    assert_eq!(t.join().unwrap(), (1, None));

    let c = Chan::<u8>::new(0);
    let c2 = c.clone();
    let other = Chan::<u8>::new(0);
    let o2 = other.clone();
    let t = thread::spawn(move || select! { send(c2, 4) -> r => r, recv(o2) -> _v => Ok(()) });
    settle();
    c.close().unwrap();
    assert_eq!(t.join().unwrap(), Err(SendError(4)));
}

// 17. A select never communicates with itself (unbuffered send+recv).
#[test]
fn s17_no_self_communication() {
    let c = Chan::<u8>::new(0);
    let r = select! { send(c, 1) => 0, recv(c) -> _v => 1, default(ms(10)) => 2 };
    assert_eq!(r, 2);
}

// 18. Overlapping selects in opposite orders do not deadlock.
#[test]
fn s18_overlapping_selects() {
    let a = Chan::<u32>::new(0);
    let b = Chan::<u32>::new(0);
    let n = if cfg!(miri) { 20 } else { 5000 };
    let (a1, b1) = (a.clone(), b.clone());
    let t1 = thread::spawn(move || {
        for i in 0..n {
            select! { send(a1, i) => {}, send(b1, i) => {} }
        }
    });
    let (a2, b2) = (a.clone(), b.clone());
    let t2 = thread::spawn(move || {
        let mut got = 0;
        for _ in 0..n {
            select! { recv(b2) -> _v => got += 1, recv(a2) -> _v => got += 1 }
        }
        got
    });
    t1.join().unwrap();
    assert_eq!(t2.join().unwrap(), n);
}

// 19. reflect.Select with only default returns the default.
#[test]
fn s19_dynamic_select_default() {
    let sel: Select<'_, u8> = Select::new();
    assert!(sel.try_select().is_err());
    let c = Chan::new(2);
    c.send(1).unwrap();
    let nil = Chan::<i32>::nil();
    let mut sel = Select::new();
    let i0 = sel.recv(&nil, |_| -1);
    let i1 = sel.recv(&c, |v| v.unwrap());
    assert_eq!((i0, i1, sel.len()), (0, 1, 2));
    assert_eq!(sel.try_select().ok(), Some(1));
    let mut sel = Select::new();
    sel.send(&c, 2, |r| r.is_ok());
    assert_eq!(sel.select_timeout(ms(10)).ok(), Some(true));
    c.send(9).unwrap(); // now full
    let mut sel = Select::new();
    sel.send(&c, 3, |r| r.is_ok());
    sel.send(&c, 4, |r| r.is_ok());
    assert!(sel.select_timeout(ms(5)).is_err()); // full: times out
}

/// Go's `reflect.Select` takes at most 65 536 cases (its order arrays are
/// `uint16`): exactly that many work, one more panics with Go's message
/// `reflect.Select: too many cases (max 65536)`, blocking or not, and the
/// channels are left as they were.
#[cfg_attr(miri, ignore)] // 65 537 boxed cases: slow under Miri
#[test]
fn s19_dynamic_select_case_limit() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    fn message(e: Box<dyn std::any::Any + Send>) -> String {
        match e.downcast::<&str>() {
            Ok(s) => s.to_string(),
            Err(e) => *e.downcast::<String>().unwrap(),
        }
    }
    const MAX: usize = 1 << 16;
    let nil = Chan::<u8>::nil();
    let c = Chan::new(1);
    c.send(7u8).unwrap();
    let build = |n: usize| {
        let mut sel = Select::new();
        for _ in 0..n - 1 {
            sel.recv(&nil, |_| None);
        }
        sel.recv(&c, |v| v);
        sel
    };
    assert_eq!(build(MAX).try_select().ok(), Some(Some(7)));
    c.send(8).unwrap();
    let e = catch_unwind(AssertUnwindSafe(|| build(MAX + 1).try_select().is_ok())).unwrap_err();
    assert_eq!(message(e), "reflect.Select: too many cases (max 65536)");
    let e = catch_unwind(AssertUnwindSafe(|| build(MAX + 1).select())).unwrap_err();
    assert_eq!(message(e), "reflect.Select: too many cases (max 65536)");
    assert_eq!(c.try_recv(), Ok(8), "nothing was received");
}

// 20. Memory model: values written before a send are visible after the receive.
#[test]
fn s20_happens_before() {
    let data = Arc::new(AtomicUsize::new(0));
    let c = Chan::new(0);
    let (d2, c2) = (data.clone(), c.clone());
    let t = thread::spawn(move || {
        d2.store(42, Ordering::Relaxed);
        c2.send(()).unwrap();
    });
    c.recv().unwrap();
    assert_eq!(data.load(Ordering::Relaxed), 42);
    t.join().unwrap();
}

#[test]
fn directional_views_and_equality() {
    let c = Chan::<u8>::new(1);
    let tx = c.sender();
    let rx = c.receiver();
    assert_eq!(c, c.clone());
    assert_ne!(c, Chan::new(1));
    assert_eq!(Chan::<u8>::nil(), Chan::default());
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Some(1));
    tx.close().unwrap();
    assert!(rx.is_closed());
    assert_eq!(rx.recv(), None);
    let r = select! { recv(rx) -> v => v, default => Some(3) };
    assert_eq!(r, None);
    assert_eq!(format!("{:?}", Chan::<u8>::nil()), "Chan(nil)");
}

#[test]
fn timeouts_leave_no_waiter_behind() {
    let c = Chan::<u32>::new(0);
    assert!(c.send_timeout(1, ms(2)).is_err());
    assert!(c.recv_timeout(ms(2)).is_err());
    // Nobody is parked now: non-blocking operations see an empty unbuffered channel.
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(c.try_send(5), Err(TrySendError::Full(5)));
    let r = select! { recv(c) -> _v => 0, send(c, 1) => 1, default(ms(2)) => 2 };
    assert_eq!(r, 2);
    assert_eq!(c.try_send(5), Err(TrySendError::Full(5)));
}

#[test]
fn user_park_blocks_and_wakes() {
    let park = Arc::new(gocore::park::SpinPark::new());
    let c = Chan::new(0);
    let c2 = c.clone();
    let t = thread::spawn(move || {
        let p = Arc::new(gocore::park::SpinPark::new());
        c2.send_with(11, &p).unwrap();
    });
    assert_eq!(c.recv_with(&park), Some(11));
    t.join().unwrap();
}

/// The iterators print, like the handles they come from, whatever the
/// element type (they derived `Debug`, which required `T: Debug`).
#[test]
fn iterators_are_debug_for_any_element_type() {
    struct Opaque;
    let c = Chan::<Opaque>::new(2);
    c.try_send(Opaque).unwrap_or_else(|_| unreachable!());
    assert_eq!(
        format!("{:?}", c.iter()),
        "Iter { chan: Chan { len: 1, cap: 2, closed: false }, done: false }"
    );
    assert_eq!(
        format!("{:?}", c.try_iter()),
        "TryIter { chan: Chan { len: 1, cap: 2, closed: false } }"
    );
    let rx = c.receiver();
    c.close().unwrap();
    let mut it = rx.into_iter();
    assert!(it.next().is_some());
    assert!(it.next().is_none());
    assert_eq!(
        format!("{it:?}"),
        "IntoIter { rx: Receiver(Chan { len: 0, cap: 2, closed: true }), done: true }"
    );
}
