//! Fuzzes golayout's Go parser and the whole pipeline behind it.
//!
//! Input is either arbitrary bytes or a known-good Go file (the built-in
//! standard-library sources and a feature-rich sample) mutated by
//! token-level edits (insert Go punctuation/keywords, delete, duplicate,
//! truncate). Whatever parses is resolved and laid out on a 32- and a 64-bit
//! arch. Properties: nothing panics or hangs; every laid-out struct has
//! offsets that are aligned and non-decreasing, fields inside the struct, and
//! a size that is a multiple of its alignment; the suggested order is never
//! larger; a syntax error's position lies inside the input.
#![no_main]

use arbitrary::Arbitrary;
use golayout::{Arch, GoType, Program};
use libfuzzer_sys::fuzz_target;

const SAMPLE: &str = r#"// Package s has one of everything.
package s

import (
	"sync"
	"sync/atomic"
	"unsafe"
	t "time"
)

const (
	a = iota * 2
	b
	c = len("héllo") + int(unsafe.Sizeof(uintptr(0)))
	d uint8 = 1 << 7
	e = ^uint(0) >> 63
)

type (
	A [a + b]int64
	B struct {
		x    int8 `json:"x"`
		y, z complex128
		sync.Mutex
		*A
		n  struct{ p *B; q [c]byte }
		w  atomic.Int64
		tt t.Time
		f  func(int) (string, error)
		ch <-chan struct{}
		m  map[string][]*B
		i  interface{ M() }
		zz struct{}
	}
	G[T any, U ~int] struct{ v T; u [2]U }
	H struct{ g G[int8, int] }
	I = B
)

var v = func() struct{ a int } { return struct{ a int }{} }()

func (b *B) inc() { atomic.AddInt64(&b.n.q, 1) }
"#;

const TOKENS: &[&str] = &[
    "struct{", "}", "{", "[", "]", "(", ")", "iota", "1<<62", "1<<200", "*", "type ", "const ", "var ", "func ",
    "\n", "`", "\"", "'", "/*", "*/", "//", "[N]", "map[", "chan ", "<-", "interface{", "T", ",", ";", ".", "=",
    "1e9", "-1", "'a'", "_", "[...]", "~", "any", "0x_1", "\u{e9}", "\u{0}", "[0]", "import \"C\"\n", "//go:build 386\n",
];

#[derive(Arbitrary, Debug)]
enum Edit {
    Insert { at: u16, token: u8 },
    Delete { at: u16, len: u8 },
    Duplicate { at: u16, len: u8 },
    Truncate { at: u16 },
}

#[derive(Arbitrary, Debug)]
enum Input {
    Bytes(Vec<u8>),
    Mutated { base: u8, edits: Vec<Edit> },
}

fn mutate(base: &str, edits: &[Edit]) -> Vec<u8> {
    let mut s = base.as_bytes().to_vec();
    for e in edits.iter().take(32) {
        let pos = |at: u16, len: usize| if len == 0 { 0 } else { at as usize % (len + 1) };
        match *e {
            Edit::Insert { at, token } => {
                let p = pos(at, s.len());
                let t = TOKENS[token as usize % TOKENS.len()].as_bytes();
                s.splice(p..p, t.iter().copied());
            }
            Edit::Delete { at, len } => {
                let p = pos(at, s.len());
                let end = (p + len as usize).min(s.len());
                s.drain(p..end);
            }
            Edit::Duplicate { at, len } => {
                let p = pos(at, s.len());
                let end = (p + len as usize).min(s.len());
                let chunk = s[p..end].to_vec();
                s.splice(p..p, chunk);
            }
            Edit::Truncate { at } => {
                let p = pos(at, s.len());
                s.truncate(p);
            }
        }
    }
    s
}

fn check(src: &str) {
    let lines = src.lines().count() as u32 + 1;
    let file = match golayout::parse::parse_file(src) {
        Ok(f) => f,
        Err(e) => {
            assert!(e.line >= 1 && e.line <= lines.max(1) && e.col >= 1, "{e} outside the input");
            return;
        }
    };
    let mut prog = Program::with_stdlib();
    let k = prog.add_file("fuzz/s", "s.go", file);
    for arch in [Arch::I386, Arch::Amd64] {
        let mut r = prog.resolver(arch);
        let names: Vec<String> = prog.packages()[k].type_decls(arch).iter().map(|(_, d)| d.name.clone()).collect();
        for name in names {
            let Ok(t) = r.resolve(k, &name) else { continue };
            let Ok(rep) = golayout::analyze_type(&t, arch) else { continue };
            let l = &rep.layout;
            assert!(l.info.align.is_power_of_two() && l.info.align <= 8);
            assert_eq!(l.info.size % l.info.align, 0, "{t}");
            let mut prev = 0;
            for f in &l.fields {
                assert_eq!(f.offset % f.info.align, 0, "{t}");
                assert!(f.offset >= prev && f.offset + f.info.size <= l.info.size, "{t}");
                prev = f.offset;
            }
            assert!(rep.optimal_size <= l.info.size);
            if matches!(t.underlying(), GoType::Struct(_)) {
                let _ = golayout::atomic64_check(&t, arch, &|_: &str| true);
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let bytes = match input {
        Input::Bytes(b) => b,
        Input::Mutated { base, edits } => {
            let bases: Vec<&str> = core::iter::once(SAMPLE)
                .chain(golayout::stdlib::PACKAGES.iter().map(|p| p.2))
                .collect();
            mutate(bases[base as usize % bases.len()], &edits)
        }
    };
    if let Ok(src) = core::str::from_utf8(&bytes) {
        check(src);
    }
});
