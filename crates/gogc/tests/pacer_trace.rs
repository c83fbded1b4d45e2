//! Pacer conformance: the allocation trace of `tests/go/pacer_trace/main.go`
//! replayed in gogc, each cycle's trigger and goal compared with what Go
//! 1.19's pacer chose for the same trace (`tests/data/pacer_trace/*.txt`,
//! recorded by `tests/go/pacer_trace/record.sh` with
//! `GODEBUG=gctrace=1,gcpacertrace=1`).
//!
//! The trace: one long-lived binary tree of depth 15 (65535 nodes, 8 MiB),
//! then 12800 garbage trees of depth 6 (127 nodes, 16 KiB each), every tree
//! built bottom-up. A node is two pointers and payload, 128 bytes in Go
//! (size class 128) and a 128-byte slot in gogc, so both heaps count the
//! same bytes.
//!
//! What is replayed besides the allocations: where each Go mark ended. Go
//! marks concurrently with the program; gogc marks when the host steps.
//! Each Go cycle's pacer line says how many bytes the program allocated
//! between the trigger and the end of the mark; the replay lets gogc's
//! cycle run for as many bytes before it finishes the mark. Those bytes are
//! allocated black, so the bytes marked, and with them the next goal, match.
//!
//! What is compared, per cycle: the trigger the cycle started at and the
//! goal at its mark termination (Go: `triggered` and `lastHeapGoal` from
//! the `gcpacertrace` line), and the number of cycles.
//!
//! - Goals follow from the bytes marked, which the replay reproduces: in
//!   the runs seen, every goal was within 5 % of Go's but one or two of the
//!   first few (small heaps), and ~1 % once the live tree is built (Go also
//!   counts ~220 KB of globals, where gogc counts its root jobs; Go's
//!   `heapLive` grows a span at a time). Asserted: median within 5 %, none
//!   off by more than 10 %.
//! - Triggers also depend on the cons/mark estimate, which depends on the
//!   share of the mark phase spent marking (the utilisation), a wall-clock
//!   measurement in both runs; the report prints it per cycle for both.
//!   The pacer's own rules are not the difference: fed Go's measured
//!   inputs, it computes every trigger of every fixture within 1 byte of
//!   Go's (`pacer_go_inputs.rs`). With one processor Go's assists and
//!   gogc's host steps both measure a high utilisation (Go 25–119 %, gogc
//!   27–100 % in the runs seen), its estimate swings to large or negative
//!   values, and the trigger sits at the 45/64 lower bound in both runs
//!   (~1 % apart: the goals are). A cycle misses by more than 5 % when the
//!   previous cycle's measured utilisation put its estimate in the
//!   45/64..61/64 span in one run and not in the other: e.g. GOGC=200,
//!   whose larger growth makes the span wide, where Go measured 32–44 % in
//!   cycles 1–3 (a moderate estimate: triggers 2–4 inside the span) and
//!   gogc 63–87 % (the lower bound, 12–19 % below Go's). A negative
//!   estimate puts the trigger at the lower bound in both runs, as Go's
//!   amd64 `uint64()` wraps the negative runway (`Pacer::commit`; saturating
//!   it to 0 would put gogc's at the upper bound, 8–13 % above Go's). In the
//!   runs seen 72–75 of the 78 `GOMAXPROCS=1` cycles were within 5 %:
//!   GOGC=50 47–48 of 48, GOGC=100 19–20 of 20, GOGC=200 6 of 10.
//!   Asserted over those cycles together: median within 5 % and at least
//!   80 % within 5 %.
//! - Cycle counts: equal give or take 1 + a tenth; see [`GoProcs::Two`] for
//!   the two-processor runs.

use gogc::{Gc, GcCell, Heap, Phase};

const LIVE_DEPTH: u32 = 15;
const GARBAGE_DEPTH: u32 = 6;
const GARBAGE: u32 = 12800;
const NODE_SLOT: u64 = 128;

#[derive(gogc::Trace)]
struct Node {
    left: GcCell<Option<Gc<Node>>>,
    right: GcCell<Option<Gc<Node>>>,
    /// Pads the object to a 128-byte slot (`node_slot_matches_go_size_class`
    /// checks).
    payload: [usize; PAYLOAD_WORDS],
}

/// gogc's object header: two pointers and two `u32`s.
const HEADER_BYTES: usize = 2 * core::mem::size_of::<usize>() + 8;
const PAYLOAD_WORDS: usize =
    (NODE_SLOT as usize - HEADER_BYTES - 2 * core::mem::size_of::<GcCell<Option<Gc<Node>>>>())
        / core::mem::size_of::<usize>();

/// One Go cycle, from its pacer and gctrace lines.
#[derive(Debug, Clone, Copy)]
struct GoCycle {
    trigger: u64,
    goal: u64,
    /// Bytes allocated between trigger and mark end.
    allocated_in_mark: u64,
    /// The GC utilisation Go measured over the mark phase, in whole percent
    /// (assists included): the input of its cons/mark estimate.
    utilization_percent: u32,
}

/// Parses `heap at main: N B`: what Go's runtime allocated before `main`.
fn heap_at_main(text: &str) -> u64 {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("heap at main: "));
    line.unwrap().trim_end_matches(" B").parse().unwrap()
}

/// Parses `pacer: 66% CPU (25 exp.) for H+S+G B work (E B exp.) in T B -> L B
/// (∆goal D, cons/mark C)`.
fn parse(text: &str) -> Vec<GoCycle> {
    let mut cycles = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.split_once(" for ").map(|(_, rest)| rest) else {
            continue;
        };
        if !line.starts_with("pacer: ") {
            continue;
        }
        let words: Vec<&str> = rest.split_whitespace().collect();
        let at = |word: &str| words.iter().position(|w| *w == word).unwrap();
        let trigger: u64 = words[at("in") + 1].parse().unwrap();
        let live: u64 = words[at("->") + 1].parse().unwrap();
        let delta: i64 = words[at("(∆goal") + 1]
            .trim_end_matches(',')
            .parse()
            .unwrap();
        let utilization_percent = line["pacer: ".len()..]
            .split('%')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        cycles.push(GoCycle {
            trigger,
            goal: (live as i64 - delta) as u64,
            allocated_in_mark: live - trigger,
            utilization_percent,
        });
    }
    cycles
}

/// Replays the trace in a heap; returns each cycle's (trigger, goal).
struct Replay<'a> {
    heap: Heap,
    go: &'a [GoCycle],
    /// Cycles started so far.
    cycles: usize,
    marking: bool,
    /// Bytes allocated since the cycle in progress started.
    allocated_in_mark: u64,
    seen: Vec<(u64, u64)>,
    /// Per cycle, the share of the mark phase the host's steps marked, in
    /// percent: gogc's measured utilisation.
    utilization: Vec<f64>,
}

impl Replay<'_> {
    fn node(&mut self, left: Option<Gc<Node>>, right: Option<Gc<Node>>) -> Gc<Node> {
        let node = self.heap.alloc(Node {
            left: GcCell::new(left),
            right: GcCell::new(right),
            payload: [0; PAYLOAD_WORDS],
        });
        self.after_alloc();
        node
    }

    /// Go tests the trigger on allocation: gogc's host steps once per
    /// allocation to do the same (and sweep). While a cycle marks, it lets
    /// the program allocate what Go's did during that cycle's mark, then
    /// finishes the mark.
    fn after_alloc(&mut self) {
        if self.marking {
            self.allocated_in_mark += NODE_SLOT;
            let go = self.go[(self.cycles - 1).min(self.go.len() - 1)];
            if self.allocated_in_mark >= go.allocated_in_mark {
                self.step(usize::MAX);
            }
        } else {
            self.step(1);
        }
    }

    fn step(&mut self, budget: usize) {
        let phase = self.heap.step(budget);
        match (self.marking, phase == Phase::Mark) {
            (false, true) => {
                self.cycles += 1;
                self.marking = true;
                self.allocated_in_mark = 0;
            }
            (true, false) => {
                self.marking = false;
                let last = self.heap.stats().last;
                self.seen.push((last.trigger_bytes, last.goal_bytes));
                let mark = last.mark_time.as_secs_f64();
                self.utilization
                    .push(100.0 * last.mark_step_time.as_secs_f64() / mark.max(1e-9));
            }
            _ => {}
        }
    }

    fn tree(&mut self, depth: u32) -> Gc<Node> {
        if depth == 0 {
            return self.node(None, None);
        }
        let left = self.tree(depth - 1);
        let right = self.tree(depth - 1);
        self.node(Some(left), Some(right))
    }
}

fn replay(gogc: u32, go: &[GoCycle], heap_at_main: u64) -> (Vec<(u64, u64)>, Vec<f64>) {
    let mut replay = Replay {
        heap: Heap::builder().gogc(Some(gogc)).build(),
        go,
        cycles: 0,
        marking: false,
        allocated_in_mark: 0,
        seen: Vec::new(),
        utilization: Vec::new(),
    };
    // What Go's runtime allocated before `main`, as garbage.
    for _ in 0..heap_at_main / NODE_SLOT {
        drop(replay.node(None, None));
    }
    let before = replay.heap.stats().allocated_bytes;
    let live = replay.tree(LIVE_DEPTH);
    let tree_bytes = replay.heap.stats().allocated_bytes - before;
    assert_eq!(tree_bytes, NODE_SLOT * ((2 << LIVE_DEPTH) - 1));
    for _ in 0..GARBAGE {
        drop(replay.tree(GARBAGE_DEPTH));
    }
    // Finish the cycle in progress, as Go's would before exit.
    if replay.marking {
        replay.step(usize::MAX);
    }
    assert!(live.left.borrow().is_some());
    (replay.seen, replay.utilization)
}

/// `|got − want| / want`.
fn error(got: u64, want: u64) -> f64 {
    (got as f64 - want as f64).abs() / want as f64
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Which Go run a fixture recorded.
#[derive(Clone, Copy, PartialEq)]
enum GoProcs {
    /// `GOMAXPROCS=1`: the program's one thread marks too (assists and the
    /// fractional worker), as gogc's host does in its steps.
    One,
    /// `GOMAXPROCS=2`: most marking runs on the second P (fractional and
    /// idle workers), so Go measures a low GC utilisation and a low
    /// cons/mark, and triggers later than a single thread that marks in its
    /// own steps. gogc's pacer plans for one processor until mark workers
    /// come; only goals and cycle counts are compared.
    Two,
}

/// Replays one fixture, asserts its goals and cycle count, and returns each
/// cycle's relative trigger error.
fn check(fixture: &str, gogc: u32, procs: GoProcs) -> Vec<f64> {
    let go = parse(fixture);
    assert!(!go.is_empty());
    let (seen, utilization) = replay(gogc, &go, heap_at_main(fixture));
    let mut report = String::new();
    for (i, ((go, &(trigger, goal)), util)) in go.iter().zip(&seen).zip(&utilization).enumerate() {
        report += &format!(
            "cycle {}: trigger go {} gogc {} ({:+.2}%), goal go {} gogc {} ({:+.2}%), \
             measured utilisation go {}% gogc {util:.0}%\n",
            i + 1,
            go.trigger,
            trigger,
            (trigger as f64 / go.trigger as f64 - 1.0) * 100.0,
            go.goal,
            goal,
            (goal as f64 / go.goal as f64 - 1.0) * 100.0,
            go.utilization_percent,
        );
    }
    eprintln!(
        "GOGC={gogc}: {} Go cycles, {} gogc cycles\n{report}",
        go.len(),
        seen.len()
    );
    // Cycle counts: the same trace, so the same number of cycles, give or
    // take the last one (and a tenth for the trigger's noise, below). Go
    // with two Ps triggers later (see `GoProcs::Two`), so gogc may run up to
    // a quarter more cycles than it.
    let (fewer, more) = match procs {
        GoProcs::One => (1 + go.len() / 10, 1 + go.len() / 10),
        GoProcs::Two => (1, 1 + go.len() / 4),
    };
    assert!(
        seen.len() + fewer >= go.len() && seen.len() <= go.len() + more,
        "GOGC={gogc}: Go ran {} cycles, gogc {}\n{report}",
        go.len(),
        seen.len()
    );
    let goal_errors: Vec<f64> = go
        .iter()
        .zip(&seen)
        .map(|(go, seen)| error(seen.1, go.goal))
        .collect();
    let trigger_errors: Vec<f64> = go
        .iter()
        .zip(&seen)
        .map(|(go, seen)| error(seen.0, go.trigger))
        .collect();
    let within = |errors: &[f64]| errors.iter().filter(|e| **e <= 0.05).count();
    eprintln!(
        "GOGC={gogc}: within 5%: goals {}/{n}, triggers {}/{n}",
        within(&goal_errors),
        within(&trigger_errors),
        n = goal_errors.len(),
    );
    for &(trigger, goal) in &seen {
        assert!(trigger < goal, "GOGC={gogc}\n{report}");
    }
    // Goals follow from the bytes marked, which the replay reproduces: the
    // typical cycle is within 5 % (~1 % once the live tree is built: Go
    // also counts ~220 KB of globals) and none is far off.
    assert!(median(&goal_errors) <= 0.05, "GOGC={gogc} goals\n{report}");
    assert!(
        goal_errors.iter().all(|e| *e <= 0.10),
        "GOGC={gogc} goals\n{report}"
    );
    trigger_errors
}

#[test]
fn node_slot_matches_go_size_class() {
    let heap = Heap::new();
    let _node = heap.alloc(Node {
        left: GcCell::new(None),
        right: GcCell::new(None),
        payload: [0; PAYLOAD_WORDS],
    });
    assert_eq!(heap.stats().live_bytes as u64, NODE_SLOT);
}

#[test]
fn fixtures_parse() {
    let fixture = include_str!("data/pacer_trace/gogc50_p1.txt");
    let go = parse(fixture);
    assert_eq!(go.len(), 48);
    assert_eq!(heap_at_main(fixture), 35768);
    // gc 1: "in 1998848 B -> 2210904 B (∆goal 113752": goal 2 MiB.
    assert_eq!((go[0].trigger, go[0].goal), (1_998_848, 2 << 20));
    assert_eq!(go[0].allocated_in_mark, 2_210_904 - 1_998_848);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "600 MiB of allocation; the pacer's rules run under Miri in its unit tests"
)]
fn replays_match_go() {
    let mut one_proc_trigger_errors = Vec::new();
    for (fixture, gogc, procs) in [
        (
            include_str!("data/pacer_trace/gogc50_p1.txt"),
            50,
            GoProcs::One,
        ),
        (
            include_str!("data/pacer_trace/gogc100_p1.txt"),
            100,
            GoProcs::One,
        ),
        (
            include_str!("data/pacer_trace/gogc200_p1.txt"),
            200,
            GoProcs::One,
        ),
        (
            include_str!("data/pacer_trace/gogc50_p2.txt"),
            50,
            GoProcs::Two,
        ),
        (
            include_str!("data/pacer_trace/gogc100_p2.txt"),
            100,
            GoProcs::Two,
        ),
        (
            include_str!("data/pacer_trace/gogc200_p2.txt"),
            200,
            GoProcs::Two,
        ),
    ] {
        let trigger_errors = check(fixture, gogc, procs);
        if procs == GoProcs::One {
            one_proc_trigger_errors.extend(trigger_errors);
        }
    }
    // The trigger also depends on the cons/mark estimate, measured from
    // wall-clock time in both runs (Go's own trace shows it jumping, even
    // negative): a cycle whose measured utilisation jumped in one run and
    // not in the other moves its trigger within the 45/64..61/64 span, up
    // to ~20 % of the goal here. Over the three one-processor runs the
    // typical cycle is within 5 %.
    let within = one_proc_trigger_errors
        .iter()
        .filter(|e| **e <= 0.05)
        .count();
    eprintln!(
        "GOMAXPROCS=1: {within} of {} triggers within 5%",
        one_proc_trigger_errors.len()
    );
    assert!(median(&one_proc_trigger_errors) <= 0.05);
    assert!(
        within * 5 >= one_proc_trigger_errors.len() * 4,
        "only {within} of {} one-processor triggers within 5%",
        one_proc_trigger_errors.len()
    );
}
