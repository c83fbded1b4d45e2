//! Quick end-to-end checks of every operation.
#![cfg(feature = "std")]
use gochan::{select, Chan, Select};
use std::time::Duration;

#[test]
fn buffered_roundtrip() {
    let c = Chan::new(2);
    c.send(1).unwrap();
    c.send(2).unwrap();
    assert_eq!(c.recv(), Some(1));
    assert_eq!(c.recv(), Some(2));
}

#[test]
fn unbuffered_threads() {
    let c = Chan::new(0);
    let r = c.clone();
    let n = if cfg!(miri) { 50 } else { 10_000 };
    let t = std::thread::spawn(move || (0..n).map(|_| r.recv().unwrap()).sum::<u64>());
    for i in 0..n {
        c.send(i).unwrap();
    }
    assert_eq!(t.join().unwrap(), n * (n - 1) / 2);
}

#[test]
fn select_macro_blocks_and_fires() {
    let a = Chan::<i32>::new(0);
    let b = Chan::<i32>::new(0);
    let b2 = b.clone();
    let t = std::thread::spawn(move || b2.send(3).unwrap());
    let r = select! {
        recv(a) -> v => v.map(|x| x + 100),
        recv(b) -> v => v,
    };
    assert_eq!(r, Some(3));
    t.join().unwrap();
    let r = select! {
        recv(a) -> _v => 1,
        default(Duration::from_millis(2)) => 2,
    };
    assert_eq!(r, 2);
}

#[test]
fn select_builder_send() {
    let c = Chan::new(0);
    let r = c.clone();
    let t = std::thread::spawn(move || r.recv());
    let mut s = Select::new();
    s.send(&c, 9, |res| res.is_ok());
    assert!(s.select());
    assert_eq!(t.join().unwrap(), Some(9));
}

#[test]
fn print_sizes() {
    println!("EMPTY_CHAN_BYTES = {}", gochan::EMPTY_CHAN_BYTES);
    const { assert!(gochan::EMPTY_CHAN_BYTES < 512) };
}
