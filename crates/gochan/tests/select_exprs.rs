//! `select!` channel operands are arbitrary expressions: temporaries,
//! handles, references, function calls. Each case's channel expression and
//! each send's value expression is evaluated exactly once, in source order,
//! before any case fires (Go spec, "Select statements").
#![cfg(feature = "std")]

use std::cell::RefCell;
use std::time::Duration;

use gochan::{select, Chan, Receiver, Sender};

fn make_ready(v: i32) -> Chan<i32> {
    let c = Chan::new(1);
    c.try_send(v).unwrap();
    c
}

struct Holder {
    rx: Receiver<i32>,
    tx: Sender<i32>,
}

impl Holder {
    fn rx(&self) -> &Receiver<i32> {
        &self.rx
    }
}

#[test]
fn temporary_channels_compile_and_work() {
    // recv on a temporary channel returned by a function.
    let got = select! {
        recv(make_ready(3)) -> v => v,
    };
    assert_eq!(got, Some(3));

    // send on a temporary unbuffered channel nobody receives: default runs,
    // and the unsent value comes back to nobody (it is dropped).
    let fired = select! {
        send(Chan::new(0), 2) => true,
        default => false,
    };
    assert!(!fired);

    // send on a temporary buffered channel fires.
    let r = select! {
        send(Chan::new(1), 2) -> r => r,
    };
    assert_eq!(r, Ok(()));
}

#[test]
fn handles_from_method_calls_and_fields() {
    let c = Chan::new(1);
    let h = Holder {
        rx: c.receiver(),
        tx: c.sender(),
    };
    select! {
        send(c.sender(), 10) => {},
    }
    let v = select! {
        recv(c.receiver()) -> v => v,
    };
    assert_eq!(v, Some(10));
    select! {
        send(h.tx, 11) => {}, // a field: borrowed, not moved
    }
    let v = select! {
        recv(h.rx()) -> v => v, // a method returning a reference
        recv(h.rx) -> v => v.map(|x| x + 1000),
    };
    assert!(v == Some(11) || v == Some(1011));
    // `h` is still usable: nothing was moved out of it.
    h.tx.send(12).unwrap();
    assert_eq!(h.rx.recv(), Some(12));
}

#[test]
fn references_and_variables_are_borrowed() {
    let a = Chan::new(1);
    let r = &a;
    let rr = &r;
    a.send(1).unwrap();
    let v = select! {
        recv(rr) -> v => v,
    };
    assert_eq!(v, Some(1));
    select! {
        send(&a, 2) => {},
    }
    // `a` was not moved into the select.
    assert_eq!(a.recv(), Some(2));
}

#[test]
fn nil_channel_expressions_are_never_chosen() {
    let v = select! {
        recv(Chan::<i32>::nil()) -> _ => "nil",
        recv(make_ready(1)) -> _ => "ready",
    };
    assert_eq!(v, "ready");
    let v = select! {
        send(Chan::<i32>::nil(), 1) => "nil",
        default => "default",
    };
    assert_eq!(v, "default");
    let v = select! {
        recv(Receiver::<i32>::default()) -> _ => "nil",
        default(Duration::from_millis(1)) => "timeout",
    };
    assert_eq!(v, "timeout");
}

#[test]
fn operands_evaluated_once_in_source_order() {
    let log = RefCell::new(Vec::new());
    let a = Chan::new(1);
    let b = Chan::new(1);
    let c = Chan::<i32>::new(0);
    b.send(5).unwrap();
    let got = select! {
        recv({ log.borrow_mut().push("recv a"); &a }) -> v => v.map(|v| ("a", v)),
        send({ log.borrow_mut().push("send c"); &c }, { log.borrow_mut().push("value c"); 9 }) => None,
        recv({ log.borrow_mut().push("recv b"); b.receiver() }) -> v => v.map(|v| ("b", v)),
        default => { log.borrow_mut().push("default"); None }
    };
    assert_eq!(got, Some(("b", 5)));
    assert_eq!(*log.borrow(), ["recv a", "send c", "value c", "recv b"]);
}

#[test]
fn operands_evaluated_once_when_blocking() {
    // A blocking select (no default) that parks and is woken: the operands
    // are still evaluated exactly once, before parking.
    let log = RefCell::new(Vec::new());
    let c = Chan::new(0);
    let tx = c.sender();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        tx.send(4).unwrap();
    });
    let v = select! {
        recv({ log.borrow_mut().push(1); Chan::<i32>::nil() }) -> _ => None,
        recv({ log.borrow_mut().push(2); &c }) -> v => v,
    };
    t.join().unwrap();
    assert_eq!(v, Some(4));
    assert_eq!(*log.borrow(), [1, 2]);
}

#[test]
fn default_timeout_after_the_cases() {
    let log = RefCell::new(Vec::new());
    let c = Chan::<i32>::new(0);
    let v = select! {
        recv({ log.borrow_mut().push("case"); &c }) -> _ => false,
        default({ log.borrow_mut().push("timeout"); Duration::from_millis(1) }) => true,
    };
    assert!(v);
    assert_eq!(*log.borrow(), ["case", "timeout"]);
}

#[test]
fn unsent_values_of_losing_cases_are_dropped_once() {
    use std::rc::Rc;
    let token = Rc::new(());
    let ready = Chan::new(1);
    ready.send(0).unwrap();
    let full = Chan::new(0);
    select! {
        send(full, Rc::clone(&token)) => panic!("nobody receives"),
        recv(ready) -> _ => {},
    }
    // The losing send's value was dropped when the select ended.
    assert_eq!(Rc::strong_count(&token), 1);
}

// crossbeam-channel tests/select_macro.rs: default_only. A select with only
// a `default(timeout)` arm waits out the timeout, then runs that arm.
#[test]
fn only_a_default_timeout() {
    let start = std::time::Instant::now();
    let v = select! {
        default(Duration::from_millis(30)) => 7,
    };
    assert_eq!(v, 7);
    assert!(start.elapsed() >= Duration::from_millis(30));
    let v = select! {
        default(Duration::ZERO) => { 8 }
    };
    assert_eq!(v, 8);
}
