//! The `sched` chapter (issue #24): Go's GMP scheduler in gosched — a P's
//! `runnext` and ring filling as tasks are spawned, a ring of 4 overflowing
//! into the global queue, a spinning M stealing half of a busy P's ring, and
//! sysmon taking the P of an M stuck in a blocking call.
//!
//! What is drawn comes from gosched itself: queue lengths from
//! `Runtime::stats()` (Go's `schedtrace`), run order, overflow batches,
//! steals and hand-offs from the events a runtime built with
//! `record_events(true)` keeps. Task names (G1, G2, …) are mapped from the
//! ids of their `JoinHandle`s. Only the order of the tasks *inside* a ring is
//! not exposed by gosched: it is labelled by Go's rules (`runqput`), and each
//! line shows the lengths gosched reported next to it.

use std::collections::{HashMap, VecDeque};
use std::thread;
use std::time::{Duration, Instant};

use gosched::stats::ProcStats;
use gosched::{Event, JoinHandle, Runtime};

use crate::draw;

/// Runs the chapter.
pub fn run() {
    spawn_and_overflow();
    steal_half();
    sysmon_retake();
}

/// Names tasks by their ids, for events.
#[derive(Default)]
struct Names(HashMap<u64, String>);

impl Names {
    fn add<T>(&mut self, h: &JoinHandle<T>, name: &str) {
        if let Some(id) = h.id() {
            self.0.insert(id, name.to_string());
        }
    }
    fn of(&self, id: u64) -> String {
        self.0.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }
}

/// Go's `runqput(pp, g, next=true)` on a model of one P, used only to label
/// the slots of the ring (gosched reports lengths, not contents).
struct ModelP {
    cap: usize,
    runnext: Option<String>,
    ring: VecDeque<String>,
    global: Vec<String>,
}

impl ModelP {
    fn spawn(&mut self, name: &str) {
        let Some(kicked) = self.runnext.replace(name.to_string()) else {
            return;
        };
        if self.ring.len() < self.cap {
            self.ring.push_back(kicked);
        } else {
            // runqputslow: the oldest half plus the kicked task, as one batch.
            let half: Vec<String> = self.ring.drain(..self.cap / 2).collect();
            self.global.extend(half);
            self.global.push(kicked);
        }
    }
}

/// Draws one P: its `runnext` slot and its ring, slots labelled from the
/// model, lengths from gosched's stats.
fn draw_p(p: &ProcStats, model: &ModelP) {
    let mut slots: Vec<String> = model.ring.iter().cloned().collect();
    slots.resize(model.cap, "·".into());
    let ring = draw::cells(&slots);
    let next = draw::cells(&[model.runnext.clone().unwrap_or_else(|| "·".into())]);
    let ring_lines: Vec<&str> = ring.lines().collect();
    let next_lines: Vec<&str> = next.lines().collect();
    let labels = ["", &format!("P{} runnext", p.id), ""];
    for i in 0..3 {
        let tag = if i == 1 { "  ring" } else { "      " };
        println!(
            "  {:<11}{}{tag} {}",
            labels[i], next_lines[i], ring_lines[i]
        );
    }
    println!(
        "  gosched stats: runnext={} ring={}/{} schedtick={}",
        if p.runnext { "yes" } else { "no" },
        p.run_queue,
        model.cap,
        p.schedtick
    );
    if p.run_queue != model.ring.len() || p.runnext != model.runnext.is_some() {
        draw::say("  (gosched's lengths differ from Go's rule here: the labels above are Go's)");
    }
}

fn spawn_and_overflow() {
    draw::section("Spawning: runnext first, then the ring; a full ring spills half");
    draw::say("One P, a ring of 4 slots (Go has 256; gosched's builder takes any power of two).");
    draw::say("`go f()` puts the new G in the P's runnext slot; the G that was there moves to the");
    draw::say("tail of the ring. The main future runs on the P (Go's main goroutine on M0), so");
    draw::say("nothing else runs until it waits.");
    let rt = Runtime::builder()
        .procs(1)
        .ring_capacity(4)
        .record_events(true)
        .build()
        .expect("valid settings");
    let mut names = Names::default();
    let mut model = ModelP {
        cap: 4,
        runnext: None,
        ring: VecDeque::new(),
        global: Vec::new(),
    };
    // The main future only records between spawns and draws afterwards: a
    // poll that runs long with work queued is what sysmon hands off (the
    // last section), and drawing takes long.
    let mut snapshots = Vec::new();
    let order = rt
        .block_on(async {
            let mut handles = Vec::new();
            for i in 1..=7 {
                let name = format!("G{i}");
                let h = gosched::spawn(async {});
                names.add(&h, &name);
                handles.push(h);
                snapshots.push((name, rt.stats()));
            }
            for h in handles {
                h.await.expect("task ran");
            }
        })
        .map(|()| rt.take_events())
        .expect("the main future finishes");
    for (i, (name, stats)) in snapshots.iter().enumerate() {
        model.spawn(name);
        println!("\ngo {name}()");
        draw_p(&stats.procs[0], &model);
        println!(
            "  global queue: [{}]   (gosched stats: {})",
            model.global.join(" "),
            stats.global_queue
        );
        if i == 4 {
            draw::say("The ring is full: 4 in the ring, 1 in runnext (C + 1 tasks fit locally).");
        }
    }
    for e in &order {
        if let Event::Overflow { tasks, .. } = e {
            let batch: Vec<String> = tasks.iter().map(|&t| names.of(t)).collect();
            println!(
                "\nOverflow event when G6 came: [{}] went to the global queue as one batch —",
                batch.join(" ")
            );
            draw::say(
                "the oldest half of the ring plus the G kicked out of runnext, in order; the",
            );
            draw::say("newest G stays in runnext and the next spawns are local again.");
        }
    }
    let runs: Vec<String> = order
        .iter()
        .filter_map(|e| match e {
            Event::Run {
                task, inherited, ..
            } if names.0.contains_key(task) => Some(format!(
                "{}{}",
                names.of(*task),
                if *inherited { "*" } else { "" }
            )),
            _ => None,
        })
        .collect();
    println!("\nWhen main waits, the P runs: {}", runs.join(" → "));
    draw::say("(* = taken from runnext: it inherits the time slice, schedtick does not advance.)");
    let first_from_global = runs
        .first()
        .is_some_and(|r| model.global.iter().any(|g| g == r));
    if first_from_global {
        println!(
            "{} ran first: the P's schedtick was {}, a multiple of 61, and every 61st tick",
            runs[0],
            snapshots.last().map_or(0, |(_, s)| s.procs[0].schedtick)
        );
        draw::say(
            "the P takes one task from the global queue before its own (Go's fairness check).",
        );
    }
    draw::say("Then runnext, then the ring from its oldest end, then — the ring empty — a batch");
    draw::say("of min(len, len/GOMAXPROCS + 1, 128) from the global queue: the first runs, the");
    draw::say("rest go to the ring.");
}

/// Spins the CPU for `d` (a task that computes, without blocking its thread).
fn compute(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn steal_half() {
    draw::section("A spinning M steals half");
    draw::say("Two Ps. Main, on P0, spawns 6 tasks that compute 2 ms each. The first spawn finds");
    draw::say("P1 idle and no M spinning, so wakep starts an M for P1 in the spinning state. It");
    draw::say("finds the global queue empty and steals ceil(half) of P0's ring, oldest first");
    draw::say("(runnext only on the last of 4 passes, after 3 µs, if P0 is running).");
    let rt = Runtime::builder()
        .procs(2)
        .ring_capacity(8)
        .record_events(true)
        .build()
        .expect("valid settings");
    let mut names = Names::default();
    let events = rt
        .block_on(async {
            let handles: Vec<_> = (1..=6)
                .map(|i| {
                    let h = gosched::spawn(async { compute(Duration::from_millis(2)) });
                    names.add(&h, &format!("G{i}"));
                    h
                })
                .collect();
            for h in handles {
                h.await.expect("task ran");
            }
        })
        .map(|()| rt.take_events())
        .expect("the main future finishes");
    let mut ran: [Vec<String>; 2] = Default::default();
    for e in &events {
        match e {
            Event::StartM { p, spinning } => {
                println!(
                    "  startm: an M for P{p}{}",
                    if *spinning { ", spinning" } else { "" }
                );
            }
            Event::Steal { thief, victim, n } => {
                println!("  steal:  P{thief} took {n} task(s) from P{victim}'s ring");
            }
            Event::Run { task, p, .. } if names.0.contains_key(task) && *p < 2 => {
                ran[*p].push(names.of(*task));
            }
            _ => {}
        }
    }
    for (p, tasks) in ran.iter().enumerate() {
        println!("  P{p} ran: {}", tasks.join(" "));
    }
    draw::say("(Timing decides how many tasks P0 had queued when the thief looked, so the split");
    draw::say("varies from run to run; the rule — oldest half, rounded up — does not.)");
}

fn sysmon_retake() {
    draw::section("sysmon takes the P from a blocked M");
    draw::say("One P. A task spawns 5 short tasks, then blocks its thread for 50 ms with");
    draw::say("std::thread::sleep — a plain blocking call, not gosched::blocking. The short tasks");
    draw::say("wait in that P's queue. sysmon (naps of 20 µs, doubling to 10 ms while it finds");
    draw::say("nothing to do) sees the P stuck in one poll with work queued and hands it, queue");
    draw::say("and all, to another M (Go's retake + handoffp).");
    let rt = Runtime::builder()
        .procs(1)
        .record_events(true)
        .build()
        .expect("valid settings");
    let (latencies, trace) = thread::scope(|s| {
        let tracer = s.spawn(|| {
            thread::sleep(Duration::from_millis(25));
            rt.stats().to_string()
        });
        let latencies = rt
            .block_on(async {
                let blocker = gosched::spawn(async {
                    let short: Vec<_> = (0..5)
                        .map(|_| {
                            let spawned = Instant::now();
                            gosched::spawn(async move { spawned.elapsed() })
                        })
                        .collect();
                    thread::sleep(Duration::from_millis(50));
                    short
                });
                let mut latencies = Vec::new();
                for h in blocker.await.expect("blocker ran") {
                    latencies.push(h.await.expect("short task ran"));
                }
                latencies
            })
            .expect("the main future finishes");
        (latencies, tracer.join().expect("tracer thread"))
    });
    println!("  schedtrace about 25 ms into the block: {trace}");
    draw::say("  (the blocked M still sleeps, but P0 is free again: the short tasks have run)");
    for e in rt.take_events() {
        match e {
            Event::Retake { p } => println!("  sysmon: retake P{p} from the blocked M"),
            Event::Handoff { p } => println!("  handoffp: P{p} goes to another M"),
            Event::StartM { p, .. } => println!("  startm: an M for P{p}"),
            _ => {}
        }
    }
    let worst = latencies.iter().max().copied().unwrap_or_default();
    println!(
        "  the 5 short tasks started within {:.0} µs of their spawn (the blocker slept 50 000 µs)",
        worst.as_secs_f64() * 1e6
    );
    draw::say("tokio and smol leave such tasks behind the blocked thread until it returns; Go and");
    draw::say(
        "gosched move the P. `gosched::blocking(f)` hands the P off at once, without waiting",
    );
    draw::say("for sysmon (Go's entersyscallblock).");
}
