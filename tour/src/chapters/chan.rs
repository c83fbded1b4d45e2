//! The `chan` chapter (issue #4): Go's `hchan` at work — the ring buffer
//! filling up until a fast producer parks, a direct hand-off to a parked
//! receiver, a select choosing at random, and a close waking everyone.

use std::thread;
use std::time::{Duration, Instant};

use gochan::{select, Chan};

use crate::draw;

/// Waits (briefly) until `f` holds; the tour only uses it to let a thread park.
fn until(mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() && start.elapsed() < Duration::from_secs(2) {
        thread::sleep(Duration::from_millis(1));
    }
}

/// Draws the ring buffer: slot labels from `pending` (the values in FIFO
/// order), placed from `recvx`, plus the index arrows.
fn draw_ring(c: &Chan<u32>, pending: &[u32]) {
    let s = c.snapshot().expect("not nil");
    let mut labels = vec![String::from("·"); s.dataqsiz];
    for (i, v) in pending.iter().enumerate().take(s.qcount) {
        labels[(s.recvx + i) % s.dataqsiz] = v.to_string();
    }
    println!("{}", draw::cells(&labels));
    let w = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1)
        .max(1)
        + 3;
    let mut marks = vec![' '; w * s.dataqsiz + 1];
    marks[s.recvx * w + 2] = 'r';
    marks[s.sendx * w + 2] = if s.sendx == s.recvx { '*' } else { 's' };
    println!("{}", marks.iter().collect::<String>().trim_end());
    println!(
        "  qcount={} dataqsiz={} sendx={} recvx={}  (r = recvx, s = sendx, * = both)  recvq={} sendq={}",
        s.qcount, s.dataqsiz, s.sendx, s.recvx, s.recvq, s.sendq
    );
}

/// Runs the chapter.
pub fn run() {
    draw::section("The ring buffer: a fast producer fills it, then parks");
    draw::say("make(chan int, 4): four slots, qcount counts them, sendx is where the next send");
    draw::say("writes, recvx where the next receive reads. Both wrap around at dataqsiz.");
    let c = Chan::<u32>::new(4);
    let mut pending = Vec::new();
    draw_ring(&c, &pending);
    for v in 1..=4 {
        c.send(v).unwrap();
        pending.push(v);
        println!("c <- {v}");
        draw_ring(&c, &pending);
    }
    draw::say("The buffer is full. The producer's next send (5) parks: its sudog, carrying the");
    draw::say("value 5 in its elem slot, joins sendq.");
    let tx = c.clone();
    let producer = thread::spawn(move || tx.send(5).unwrap());
    until(|| c.snapshot().is_some_and(|s| s.sendq == 1));
    draw_ring(&c, &pending);
    draw::say("A receive takes the head (1) and moves the parked sender's 5 into the freed slot,");
    draw::say("so the buffer stays full and FIFO holds; recvx advances and sendx = recvx:");
    let v = c.recv().unwrap();
    producer.join().unwrap();
    pending.remove(0);
    pending.push(5);
    println!("<-c = {v}");
    draw_ring(&c, &pending);
    while let Ok(v) = c.try_recv() {
        pending.remove(0);
        println!("<-c = {v}");
    }
    draw_ring(&c, &pending);

    draw::section("Direct hand-off to a parked receiver");
    draw::say("On an unbuffered channel (or an empty buffered one) a receiver parks first; the");
    draw::say("sender then copies its value straight into the receiver's sudog — no buffer slot:");
    let u = Chan::<u32>::new(0);
    let rx = u.clone();
    let receiver = thread::spawn(move || rx.recv());
    until(|| u.snapshot().is_some_and(|s| s.recvq == 1));
    let s = u.snapshot().unwrap();
    println!(
        "  before: qcount={} recvq={} sendq={}",
        s.qcount, s.recvq, s.sendq
    );
    u.send(42).unwrap();
    let got = receiver.join().unwrap();
    let s = u.snapshot().unwrap();
    println!("  u <- 42   receiver got {got:?}");
    println!(
        "  after:  qcount={} recvq={} sendq={}",
        s.qcount, s.recvq, s.sendq
    );

    draw::section("select picks uniformly at random among ready cases");
    draw::say("Two buffered channels, both always ready; 10,000 selects (Go's pollorder is a");
    draw::say("Fisher–Yates shuffle with fastrandn, channels locked in address order):");
    let a = Chan::<u8>::new(1);
    let b = Chan::<u8>::new(1);
    let (mut na, mut nb) = (0u32, 0u32);
    for _ in 0..10_000 {
        let _ = a.try_send(0);
        let _ = b.try_send(1);
        select! {
            recv(a) -> _v => na += 1,
            recv(b) -> _v => nb += 1,
        }
    }
    let max = na.max(nb) as f64;
    println!("  case a  {} {na}", draw::bar(na as f64, max, 40));
    println!("  case b  {} {nb}", draw::bar(nb as f64, max, 40));
    let nil = Chan::<u8>::nil();
    let r = select! {
        recv(nil) -> _v => "nil",
        default => "default",
    };
    println!("  a select on only a nil channel takes: {r}");

    draw::section("close wakes everyone");
    draw::say("Three receivers park on an empty channel; close dequeues every sudog, marks it");
    draw::say("closed and wakes it. Buffered values would still drain first.");
    let done = Chan::<()>::new(0);
    let hs: Vec<_> = (0..3)
        .map(|i| {
            let d = done.clone();
            thread::spawn(move || (i, d.recv()))
        })
        .collect();
    until(|| done.snapshot().is_some_and(|s| s.recvq == 3));
    println!(
        "  parked receivers: recvq={}",
        done.snapshot().unwrap().recvq
    );
    done.close().unwrap();
    for h in hs {
        let (i, v) = h.join().unwrap();
        println!("  receiver {i} woke with {v:?} (Go: zero value, ok = false)");
    }
    println!(
        "  close again: {:?};  send after close: {}",
        done.close().unwrap_err().to_string(),
        done.send(()).unwrap_err()
    );
    println!(
        "\nAn empty channel costs {} bytes on the heap here (Go's hchan: 96 on amd64).",
        gochan::EMPTY_CHAN_BYTES
    );
}
