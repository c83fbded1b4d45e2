//! The `context` chapter (issue #8): a request tree cancelled at the root,
//! drawn level by level as done channels close, a deadline, and a select loop
//! with a timeout that leaves no timer behind.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use gocontext::{after, background, with_cancel, with_timeout, with_value, Context, Timers};

use crate::draw;

/// Runs the chapter.
pub fn run() {
    tree();
    deadline();
    select_loop();
}

struct Req;
impl PartialEq for Req {
    fn eq(&self, _: &Req) -> bool {
        true
    }
}

fn tree() {
    draw::section("A request tree, cancelled at the root");
    draw::say(
        "server ─▶ 3 requests ─▶ 2 handlers each ─▶ 1 query each (a value context per request).",
    );
    let (server, shutdown) = with_cancel(&background());
    let mut levels: Vec<Vec<(String, Context)>> = vec![vec![("server".into(), server.clone())]];
    let mut keep = Vec::new(); // the cancel funcs: nobody calls them here
    let mut next = Vec::new();
    for r in 0..3 {
        let req = with_value(&server, Req, format!("req-{r}"));
        let (c, f) = with_cancel(&req);
        keep.push(f);
        next.push((format!("req{r}"), c));
    }
    levels.push(next);
    for kinds in [["db", "cache"].as_slice(), ["query"].as_slice()] {
        let mut next = Vec::new();
        for (name, parent) in levels.last().unwrap() {
            for k in kinds {
                let (c, f) = with_cancel(parent);
                keep.push(f);
                next.push((format!("{name}.{k}"), c));
            }
        }
        levels.push(next);
    }
    draw::say(&format!(
        "server has {} registered children (values are transparent: requests attach to it directly)",
        server.children_len()
    ));

    // One watcher thread per context, each blocked on its done channel.
    let (tx, rx) = mpsc::channel::<(usize, usize)>();
    let mut watchers = Vec::new();
    for (l, level) in levels.iter().enumerate() {
        for (i, (_, c)) in level.iter().enumerate() {
            let done = c.done();
            let tx = tx.clone();
            watchers.push(std::thread::spawn(move || {
                done.recv(); // None: closed
                tx.send((l, i)).unwrap();
            }));
        }
    }
    drop(tx);
    for (l, level) in levels.iter().enumerate() {
        let labels: Vec<String> = level.iter().map(|(n, _)| format!("● {n}")).collect();
        draw::say(&format!("level {l}, all live:\n{}", draw::cells(&labels)));
    }
    draw::say("shutdown.cancel() ...");
    let start = Instant::now();
    shutdown.cancel();
    let mut closed: Vec<Vec<bool>> = levels.iter().map(|l| vec![false; l.len()]).collect();
    let mut printed = 0;
    for (l, i) in rx.iter() {
        closed[l][i] = true;
        // Draw each level once all of its done channels have closed, in order.
        while printed < levels.len() && closed[printed].iter().all(|&c| c) {
            let labels: Vec<String> = levels[printed]
                .iter()
                .map(|(n, _)| format!("✕ {n}"))
                .collect();
            draw::say(&format!(
                "level {printed} closed after {:>6.1?}:\n{}",
                start.elapsed(),
                draw::cells(&labels)
            ));
            printed += 1;
        }
    }
    for w in watchers {
        w.join().unwrap();
    }
    let leaf = &levels[3][0].1;
    draw::say(&format!(
        "leaf err = {:?}, still sees its request value {:?}; server's child set is now {} long",
        leaf.err().map(|e| e.to_string()),
        leaf.value::<_, String>(&Req),
        server.children_len()
    ));
    draw::say(&format!("a leaf prints as: {leaf}"));
}

fn deadline() {
    draw::section("A deadline");
    let (ctx, _cancel) = with_timeout(&background(), Duration::from_millis(20));
    let (child, _c2) = with_timeout(&ctx, Duration::from_secs(60));
    draw::say(&format!(
        "parent deadline in {:?}; the child asked for 60s and got the parent's: {}",
        ctx.deadline()
            .unwrap()
            .saturating_duration_since(Instant::now()),
        child.deadline() == ctx.deadline()
    ));
    let start = Instant::now();
    child.done().recv();
    draw::say(&format!(
        "child done after {:.1?}: err = {}",
        start.elapsed(),
        child.err().unwrap()
    ));
}

fn select_loop() {
    draw::section("A select loop with a timeout, and the timer heap");
    let work = gochan::Chan::new(0);
    let producer = {
        let work = work.clone();
        std::thread::spawn(move || {
            for i in 0..8u32 {
                std::thread::sleep(Duration::from_millis(2));
                work.send(i).unwrap();
            }
            work.close().unwrap();
        })
    };
    let heap = Timers::global();
    let before = heap.len();
    draw::say("for { select { case v := <-work: ...; case <-time.After(1s): ... } }");
    let mut got = 0;
    loop {
        let timeout = after(Duration::from_secs(1));
        let during = heap.len();
        let mut stop = false;
        gochan::select! {
            recv(work) -> v => match v {
                Some(v) => got += v,
                None => stop = true,
            },
            recv(*timeout) -> _ => stop = true,
        }
        drop(timeout);
        draw::say(&format!(
            "  timers in heap: during select {} {}  after {} {}",
            during,
            draw::bar(during as f64, 8.0, 8),
            heap.len(),
            draw::bar(heap.len() as f64, 8.0, 8)
        ));
        if stop {
            break;
        }
    }
    producer.join().unwrap();
    draw::say(&format!(
        "sum of work = {got}; heap before the loop: {before}, after: {} — each dropped After left the heap at once.",
        heap.len()
    ));
    draw::say("Go 1.19 would still hold every one of those timers until its second elapsed.");
}
