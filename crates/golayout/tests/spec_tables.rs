//! The measured tables of the spec (`layout.md`: standard-library types and
//! runtime internals, Go 1.19, 386 and amd64), recomputed from Go source by
//! golayout. 386 = arm = mips and amd64 = arm64 = wasm on every row, which is
//! checked too.
#![cfg(feature = "alloc")]

use golayout::{Arch, Program};

/// (package, type, 386 (size, align, offsets), amd64 (size, align, offsets)).
type Row = (
    &'static str,
    &'static str,
    (u64, u64, &'static [u64]),
    (u64, u64, &'static [u64]),
);

const STDLIB: &[Row] = &[
    ("sync", "Mutex", (8, 4, &[0, 4]), (8, 4, &[0, 4])),
    (
        "sync",
        "RWMutex",
        (24, 4, &[0, 8, 12, 16, 20]),
        (24, 4, &[0, 8, 12, 16, 20]),
    ),
    (
        "sync",
        "WaitGroup",
        (12, 4, &[0, 0, 8]),
        (16, 8, &[0, 0, 8]),
    ),
    ("sync", "Once", (12, 4, &[0, 4]), (12, 4, &[0, 4])),
    (
        "sync",
        "Map",
        (24, 4, &[0, 8, 16, 20]),
        (40, 8, &[0, 8, 24, 32]),
    ),
    (
        "sync",
        "Cond",
        (32, 4, &[0, 0, 8, 28]),
        (56, 8, &[0, 0, 16, 48]),
    ),
    (
        "sync",
        "Pool",
        (20, 4, &[0, 0, 4, 8, 12, 16]),
        (40, 8, &[0, 0, 8, 16, 24, 32]),
    ),
    ("time", "Time", (20, 4, &[0, 8, 16]), (24, 8, &[0, 8, 16])),
    ("time", "Duration", (8, 4, &[]), (8, 8, &[])),
    ("sync/atomic", "Value", (8, 4, &[0]), (16, 8, &[0])),
    ("sync/atomic", "Int32", (4, 4, &[0, 0]), (4, 4, &[0, 0])),
    ("sync/atomic", "Bool", (4, 4, &[0, 0]), (4, 4, &[0, 0])),
    (
        "sync/atomic",
        "Int64",
        (8, 8, &[0, 0, 0]),
        (8, 8, &[0, 0, 0]),
    ),
    (
        "sync/atomic",
        "Uint64",
        (8, 8, &[0, 0, 0]),
        (8, 8, &[0, 0, 0]),
    ),
    ("sync/atomic", "Uintptr", (4, 4, &[0, 0]), (8, 8, &[0, 0])),
];

fn check(prog: &Program, pkg: usize, name: &str, arch: Arch, want: (u64, u64, &[u64])) {
    let t = prog
        .resolver(arch)
        .resolve(pkg, name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let l = golayout::layout(&t, arch).unwrap();
    let offs: Vec<u64> = l.fields.iter().map(|f| f.offset).collect();
    assert_eq!(
        (l.info.size, l.info.align, offs.as_slice()),
        want,
        "{name} on {arch}"
    );
}

#[test]
fn standard_library_table() {
    let prog = Program::with_stdlib();
    for &(pkg, name, small, big) in STDLIB {
        let k = prog.find_package(pkg).unwrap();
        // Under Miri (slow) one arch of each family.
        let (smalls, bigs): (&[Arch], &[Arch]) = if cfg!(miri) {
            (&[Arch::Arm], &[Arch::Arm64])
        } else {
            (
                &[Arch::I386, Arch::Arm, Arch::Mips, Arch::Mipsle],
                &[
                    Arch::Amd64,
                    Arch::Arm64,
                    Arch::Wasm,
                    Arch::Riscv64,
                    Arch::S390x,
                ],
            )
        };
        for &arch in smalls {
            check(&prog, k, name, arch, small);
        }
        for &arch in bigs {
            check(&prog, k, name, arch, big);
        }
    }
    // atomic.Pointer[T] is one word everywhere.
    let mut prog = Program::with_stdlib();
    let k = prog
        .add_source(
            "x",
            "x.go",
            "package x\nimport \"sync/atomic\"\ntype P struct{ p atomic.Pointer[P] }\n",
        )
        .unwrap();
    check(&prog, k, "P", Arch::I386, (4, 4, &[0]));
    check(&prog, k, "P", Arch::Amd64, (8, 8, &[0]));
}

/// Runtime and context internals, from their Go 1.19 declarations.
const INTERNALS: &str = r#"package internals

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      *mapextra
}

type mapextra struct {
	overflow     *[]*bmap
	oldoverflow  *[]*bmap
	nextOverflow *bmap
}

type bmap struct{ tophash [bucketCnt]uint8 }

const (
	bucketCntBits = 3
	bucketCnt     = 1 << bucketCntBits
)

type mutex struct{ key uintptr }

type waitq struct {
	first *sudog
	last  *sudog
}

type sudog struct{ _ [0]int }

type hchan struct {
	qcount   uint
	dataqsiz uint
	buf      unsafe.Pointer
	elemsize uint16
	closed   uint32
	elemtype *_type
	sendx    uint
	recvx    uint
	recvq    waitq
	sendq    waitq
	lock     mutex
}

type _type struct{}

// Map buckets as the compiler builds them: tophash, keys, elems, overflow.
type bucketI64I8 struct {
	tophash  [bucketCnt]uint8
	keys     [bucketCnt]int64
	elems    [bucketCnt]int8
	overflow uintptr
}

type bucketStrInt struct {
	tophash  [bucketCnt]uint8
	keys     [bucketCnt]string
	elems    [bucketCnt]int
	overflow uintptr
}

type Context interface{ Done() <-chan struct{} }

type canceler interface{ Done() <-chan struct{} }

type cancelCtx struct {
	Context
	mu       sync.Mutex
	done     atomic.Value
	children map[canceler]struct{}
	err      error
}

type timerCtx struct {
	cancelCtx
	timer    *time.Timer
	deadline time.Time
}

type valueCtx struct {
	Context
	key, val any
}
"#;

#[test]
fn runtime_and_context_internals() {
    let mut prog = Program::with_stdlib();
    let k = prog
        .add_source("internals", "internals.go", INTERNALS)
        .unwrap();
    let rows: &[Row] = &[
        (
            "",
            "hmap",
            (28, 4, &[0, 4, 5, 6, 8, 12, 16, 20, 24]),
            (48, 8, &[0, 8, 9, 10, 12, 16, 24, 32, 40]),
        ),
        ("", "mapextra", (12, 4, &[0, 4, 8]), (24, 8, &[0, 8, 16])),
        ("", "waitq", (8, 4, &[0, 4]), (16, 8, &[0, 8])),
        (
            "",
            "hchan",
            (52, 4, &[0, 4, 8, 12, 16, 20, 24, 28, 32, 40, 48]),
            (96, 8, &[0, 8, 16, 24, 28, 32, 40, 48, 56, 72, 88]),
        ),
        (
            "",
            "bucketI64I8",
            (84, 4, &[0, 8, 72, 80]),
            (88, 8, &[0, 8, 72, 80]),
        ),
        (
            "",
            "bucketStrInt",
            (108, 4, &[0, 8, 72, 104]),
            (208, 8, &[0, 8, 136, 200]),
        ),
        (
            "",
            "cancelCtx",
            (36, 4, &[0, 8, 16, 24, 28]),
            (64, 8, &[0, 16, 24, 40, 48]),
        ),
        ("", "timerCtx", (60, 4, &[0, 36, 40]), (96, 8, &[0, 64, 72])),
        ("", "valueCtx", (24, 4, &[0, 8, 16]), (48, 8, &[0, 16, 32])),
    ];
    for &(_, name, small, big) in rows {
        check(&prog, k, name, Arch::I386, small);
        check(&prog, k, name, Arch::Amd64, big);
    }
}
