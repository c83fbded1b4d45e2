//! The `layout` chapter: the seed's struct-order examples, the trailing
//! `struct{}` byte, and sync.WaitGroup's 12-byte state on 386 and amd64,
//! all computed by golayout from Go source and drawn byte by byte.

use golayout::{Arch, Program, StructLayout};

use crate::draw;

const SRC: &str = r#"package seed

import "sync"

// The seed's examples: the same three fields in two orders.
type demo1 struct {
	a int8
	b int16
	c int32
}

type demo2 struct {
	a int8
	c int32
	b int16
}

// A zero-size field last costs a byte (then rounding), first it costs nothing.
type zeroLast struct {
	c int32
	a struct{}
}

type zeroFirst struct {
	a struct{}
	c int32
}

type Counter struct {
	flag int32
	hits uint64 // updated with atomic.AddUint64
}

type Group struct {
	ready bool
	wg    sync.WaitGroup
}
"#;

/// A two-letter label: the name itself, or its first and last letters (`state1` → `s1`).
fn short(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0..=2 => name.to_string(),
        n => [chars[0], chars[n - 1]].iter().collect(),
    }
}

/// One cell per byte: the field's name, or `·` for padding.
fn byte_cells(l: &StructLayout) -> Vec<String> {
    let mut cells = vec![String::from("·"); l.info.size as usize];
    for f in &l.fields {
        for b in f.offset..f.offset + f.info.size {
            cells[b as usize] = short(&f.name);
        }
    }
    cells
}

fn show(prog: &Program, pkg: usize, name: &str, arch: Arch) {
    let t = match prog.resolver(arch).resolve(pkg, name) {
        Ok(t) => t,
        Err(e) => return draw::say(&format!("  cannot resolve {name}: {e}")),
    };
    let r = match golayout::analyze_type(&t, arch) {
        Ok(r) => r,
        Err(e) => return draw::say(&format!("  cannot lay out {name}: {e}")),
    };
    let l = &r.layout;
    println!(
        "  {name} on {arch}: size {}, align {}, {} padding byte(s){}",
        l.info.size,
        l.info.align,
        r.padding_bytes(),
        if r.saving() > 0 {
            format!("; reordered it would be {} bytes", r.optimal_size)
        } else {
            String::new()
        }
    );
    if l.info.size > 0 {
        println!("{}", draw::cells(&byte_cells(l)));
    }
}

/// Runs the chapter.
pub fn run() {
    let mut prog = Program::with_stdlib();
    let pkg = match prog.add_source("seed", "seed.go", SRC) {
        Ok(k) => k,
        Err(e) => return draw::say(&format!("seed.go:{e}")),
    };

    draw::section("Field order decides the size");
    draw::say("Every field starts at a multiple of its own alignment, and the struct's size is");
    draw::say("rounded up to its largest alignment. Same fields, two orders (amd64):");
    show(&prog, pkg, "demo1", Arch::Amd64);
    show(&prog, pkg, "demo2", Arch::Amd64);
    draw::say("golayout's suggestion (and Go's fieldalignment's): largest alignment first.");

    draw::section("A trailing struct{} is not free");
    draw::say("gc adds one byte after a zero-size last field so &s.a never points past the");
    draw::say("object (Go issue 9401), then rounds up: 4 bytes become 8.");
    show(&prog, pkg, "zeroLast", Arch::Amd64);
    draw::say("Put first, the same zero-size field costs nothing:");
    show(&prog, pkg, "zeroFirst", Arch::Amd64);

    draw::section("int64 is 4-aligned on 386");
    draw::say("RegSize is 4 on 386, arm and mips, so a uint64 after an int32 lands at offset 4;");
    draw::say("atomic.AddUint64 on it panics there (\"unaligned 64-bit atomic operation\").");
    show(&prog, pkg, "Counter", Arch::Amd64);
    show(&prog, pkg, "Counter", Arch::I386);
    for arch in [Arch::I386, Arch::Amd64] {
        if let Ok(t) = prog.resolver(arch).resolve(pkg, "Counter") {
            let w = golayout::atomic64_check(&t, arch, &|p: &str| p == "hits").unwrap_or_default();
            match w.first() {
                Some(w) => println!(
                    "  {arch}: atomic check: {} at offset {} is not 8-aligned",
                    w.path, w.offset
                ),
                None => println!("  {arch}: atomic check: fine"),
            }
        }
    }

    draw::section("sync.WaitGroup: 12 bytes of state on 386, 16 on amd64");
    draw::say("Go 1.19: type WaitGroup struct { noCopy noCopy; state1 uint64; state2 uint32 }.");
    if let Some(sync) = prog.find_package("sync") {
        show(&prog, sync, "WaitGroup", Arch::Amd64);
        show(&prog, sync, "WaitGroup", Arch::I386);
    }
    draw::say("(noCopy is zero-size; s1 = state1, s2 = state2.) Inside another struct:");
    show(&prog, pkg, "Group", Arch::Amd64);
    show(&prog, pkg, "Group", Arch::I386);
    draw::say(
        "On amd64 state1 is 8-aligned: it holds counter<<32 | waiters, state2 is the semaphore.",
    );
    draw::say(
        "On 386 the WaitGroup may start at 4 mod 8. state() then picks whichever 8 bytes are",
    );
    draw::say("aligned for the 64-bit atomics, and the remaining 4 bytes become the semaphore:");
    println!(
        "  WaitGroup at 0 mod 8:\n{}",
        draw::cells(&["st", "st", "st", "st", "st", "st", "st", "st", "se", "se", "se", "se"])
    );
    println!(
        "  WaitGroup at 4 mod 8:\n{}",
        draw::cells(&["se", "se", "se", "se", "st", "st", "st", "st", "st", "st", "st", "st"])
    );
    draw::say("(st = the 64-bit counter/waiters word, se = sema.) Go 1.20 replaced this with atomic.Uint64,");
    draw::say(
        "which align64 keeps 8-aligned everywhere: a struct holding it gets 8-aligned on 386 too.",
    );

    real_finding();
}

/// Go 1.19's `cmd/go/internal/trace/trace.go`, the lines that matter (BSD
/// licence, the Go Authors).
const TRACE_GO: &str = r#"package trace

import "sync/atomic"

type traceFile struct{}

type tracer struct {
	file chan traceFile // 1-buffered

	nextTID    uint64
	nextFlowID uint64
}

func (t *tracer) getNextTID() uint64 {
	return atomic.AddUint64(&t.nextTID, 1)
}

func (t *tracer) getNextFlowID() uint64 {
	return atomic.AddUint64(&t.nextFlowID, 1)
}
"#;

/// `golayout --check` on a real struct of the Go 1.19 tree.
fn real_finding() {
    draw::section("A real finding: cmd/go's tracer on 386");
    draw::say("`golayout --check --goroot $GOROOT cmd/...` finds this in Go 1.19 itself. The");
    draw::say("atomic check follows the real uses: getNextTID passes &t.nextTID, and t is a");
    draw::say("*tracer, so it is tracer's nextTID at offset 4 (a chan is 4 bytes on 386).");
    let mut prog = Program::with_stdlib();
    let pkg = match prog.add_source("cmd/go/internal/trace", "trace.go", TRACE_GO) {
        Ok(k) => k,
        Err(e) => return draw::say(&format!("trace.go:{e}")),
    };
    show(&prog, pkg, "tracer", Arch::I386);
    let mut r = prog.resolver(Arch::I386);
    let uses = r.atomic_uses(pkg);
    let Ok(t) = r.resolve(pkg, "tracer") else {
        return;
    };
    let used = uses.get(&golayout::TypeName::new("cmd/go/internal/trace", "tracer"));
    let w = golayout::atomic64_check(&t, Arch::I386, &|p: &str| {
        used.is_some_and(|u| u.contains(p))
    })
    .unwrap_or_default();
    let at = prog.packages()[pkg].files[0]
        .ast
        .types
        .iter()
        .find(|d| d.name == "tracer")
        .map(|d| d.ty_pos);
    for w in &w {
        if let Some(at) = at {
            println!(
                "  trace.go:{}:{}: field tracer.{} at offset {} is not 8-aligned; 64-bit atomic operations on it panic (386)",
                at.line, at.col, w.path, w.offset
            );
        }
    }
    draw::say("On amd64 the chan is 8 bytes and both counters are 8-aligned. The cure is a");
    draw::say("field of type atomic.Uint64, which Go 1.19 aligns to 8 on every arch and");
    draw::say("golayout reports as safe.");
}
