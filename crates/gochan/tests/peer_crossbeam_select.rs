//! Scenarios from crossbeam-channel's `tests/select.rs` (the `Select`
//! builder), re-written against gochan's `Select` (Go's `reflect.Select`):
//! each case carries its handler, and `try_select`/`select_timeout` give the
//! select back when nothing fired, so it can be retried.
#![cfg(feature = "std")]

use std::thread;
use std::time::Instant;

use gochan::{Chan, Mode, Select, SendError};

mod common;
use common::ms;

// select.rs: smoke1, smoke2
#[test]
fn smoke() {
    let (a, b) = (Chan::new(1), Chan::new(1));
    a.send(1).unwrap();
    let mut sel = Select::new();
    sel.recv(&a, |v| ("a", v));
    sel.recv(&b, |v| ("b", v));
    assert_eq!(sel.select(), ("a", Some(1)));

    let chans: Vec<Chan<i32>> = (0..5).map(|_| Chan::new(1)).collect();
    chans[4].send(5).unwrap();
    let mut sel = Select::new();
    for (i, c) in chans.iter().enumerate() {
        assert_eq!(sel.recv(c, move |v| (i, v)), i);
    }
    assert_eq!(sel.len(), 5);
    assert_eq!(sel.select(), (4, Some(5)));
}

// select.rs: default (try_select), both with nothing ready and after a
// close; the select given back is retried as is
#[test]
fn try_select_gives_the_select_back() {
    let (a, b) = (Chan::<i32>::new(1), Chan::<i32>::new(1));
    let mut sel = Select::new();
    sel.recv(&a, |v| ("a", v));
    sel.recv(&b, |v| ("b", v));
    let sel = sel.try_select().expect_err("nothing is ready");
    b.send(2).unwrap();
    assert_eq!(sel.try_select().ok(), Some(("b", Some(2))));

    let mut sel = Select::new();
    sel.recv(&a, |v| ("a", v));
    sel.recv(&b, |v| ("b", v));
    a.close().unwrap();
    assert_eq!(sel.try_select().ok(), Some(("a", None)));

    // An empty select is never ready.
    assert!(Select::<()>::new().try_select().is_err());
}

// select.rs: timeout, unblocks
#[cfg_attr(miri, ignore)]
#[test]
fn select_timeout_then_unblocks() {
    let (a, b) = (Chan::<i32>::new(0), Chan::<i32>::new(0));
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(ms(300));
            b.send(2).unwrap();
        });
        let mut sel = Select::new();
        sel.recv(&a, |v| ("a", v));
        sel.recv(&b, |v| ("b", v));
        let start = Instant::now();
        let sel = sel.select_timeout(ms(100)).expect_err("nothing yet");
        assert!(start.elapsed() >= ms(100));
        assert_eq!(sel.select_timeout(ms(10_000)).ok(), Some(("b", Some(2))));
    });
}

// select.rs: both_ready, send and receive cases together
#[test]
fn send_and_recv_cases() {
    let (a, b) = (Chan::new(0), Chan::new(0));
    thread::scope(|s| {
        s.spawn(|| {
            a.send(1).unwrap();
            assert_eq!(b.recv(), Some(2));
        });
        let mut got = Vec::new();
        for _ in 0..2 {
            let mut sel = Select::new();
            sel.recv(&a, |v| format!("recv {v:?}"));
            sel.send(&b, 2, |r| format!("send {r:?}"));
            got.push(sel.select());
        }
        got.sort();
        assert_eq!(got, ["recv Some(1)", "send Ok(())"]);
    });
}

// select.rs: disconnected, for sends: a send case on a closed channel fires
// with its value given back
#[test]
fn send_case_on_a_closed_channel_gives_the_value_back() {
    let c = Chan::<String>::with_mode(0, Mode::CloseOnDrop);
    let tx = c.sender();
    drop(c); // the last receiving handle: closed
    let mut sel = Select::new();
    sel.send(&tx, String::from("v"), |r| r);
    assert_eq!(sel.select(), Err(SendError(String::from("v"))));
}

// select.rs: duplicate_operations; every case on the same channel is chosen
// sometimes
#[test]
fn duplicate_operations() {
    let c = Chan::<i32>::new(10);
    let mut hit = [false; 4];
    while hit.iter().any(|h| !h) {
        let mut sel = Select::new();
        sel.recv(&c, |_| 0);
        sel.recv(&c, |_| 1);
        sel.send(&c, 0, |_| 2);
        sel.send(&c, 0, |_| 3);
        hit[sel.select()] = true;
    }
}

// select.rs: nil channels (crossbeam's never()) are never chosen, and a
// select of only nil channels times out
#[test]
fn nil_cases() {
    let nil = Chan::<i32>::nil();
    let ready = Chan::new(1);
    ready.send(7).unwrap();
    let mut sel = Select::new();
    sel.recv(&nil, |_| unreachable!());
    sel.send(&nil, 1, |_| unreachable!());
    sel.recv(&ready, |v| v);
    assert_eq!(sel.select(), Some(7));

    let mut sel = Select::<()>::new();
    sel.recv(&nil, |_| unreachable!());
    assert!(sel.select_timeout(ms(20)).is_err());
}

// select.rs: fairness1 (ready cases are chosen uniformly)
#[test]
fn fairness() {
    let count = if cfg!(miri) { 100 } else { 10_000 };
    let (a, b) = (Chan::new(count), Chan::new(count));
    for _ in 0..count {
        a.send(()).unwrap();
        b.send(()).unwrap();
    }
    let mut hits = [0usize; 2];
    for _ in 0..count {
        let mut sel = Select::new();
        sel.recv(&a, |_| 0);
        sel.recv(&b, |_| 1);
        hits[sel.select()] += 1;
    }
    assert!(hits.iter().all(|&h| h >= count / 4), "{hits:?}");
}
