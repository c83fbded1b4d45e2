//! Scenarios of Go 1.19's own size tests, re-stated against golayout: the
//! go/types `sizes_test.go` cases, and the `test/` programs that check
//! `unsafe.Sizeof`, `Alignof` and `Offsetof`. Every expected value was
//! printed by programs built with Go 1.19 for GOARCH=386, amd64 and arm.
#![cfg(feature = "alloc")]

use golayout::{Arch, Program};

const SRC: &str = r#"package p

import (
	"sync/atomic"
	"unsafe"
)

// go/types sizes_test.go: TestMultipleSizeUse.
type S struct {
	i int
	b bool
	s string
	n int
}

// go/types sizes_test.go: TestAtomicAlign (issue 53884).
type A struct {
	x int32
	y atomic.Int64
	z int64
}

// test/fixedbugs/issue54220.go.
type T54220 struct {
	i1 atomic.Int32
	i2 atomic.Int64
}

// test/fixedbugs/issue53137.go: an embedded field after a type parameter.
type Embedded struct{ B int }

type G[K any] struct {
	A K
	Embedded
}

type GI G[int8]

// test/fixedbugs/issue28601.go: an array length from unsafe.Sizeof.
const w int = int(unsafe.Sizeof(0))

type Arr [w]byte

// Zero-size final fields take one byte of padding (cmd/compile types.CalcStructSize).
type ZF struct {
	a int32
	z struct{}
}

type ZF2 struct {
	a int64
	z [0]int64
}

type ZF3 struct {
	z struct{}
}

type C128 struct {
	a byte
	c complex128
}

type C64 struct {
	a byte
	c complex64
}

type F struct {
	a  byte
	f  func()
	m  map[int]int
	ch chan int
	i  interface{}
	e  error
}

// Array lengths from unsafe.Sizeof, Alignof and Offsetof of declared types.
type Sz [unsafe.Sizeof(S{})]byte
type Al [unsafe.Alignof(C128{})]byte
type Of [unsafe.Offsetof(A{}.z)]byte

type U64 struct {
	a bool
	u uint64
	f float64
}
"#;

/// (type, 386 (size, align, offsets), amd64 (size, align, offsets)); arm
/// printed the 386 values on every row.
type Row = (
    &'static str,
    (u64, u64, &'static [u64]),
    (u64, u64, &'static [u64]),
);

const ROWS: &[Row] = &[
    ("S", (20, 4, &[0, 4, 8, 16]), (40, 8, &[0, 8, 16, 32])),
    ("A", (24, 8, &[0, 8, 16]), (24, 8, &[0, 8, 16])),
    ("T54220", (16, 8, &[0, 8]), (16, 8, &[0, 8])),
    ("GI", (8, 4, &[0, 4]), (16, 8, &[0, 8])),
    ("Arr", (4, 1, &[]), (8, 1, &[])),
    ("ZF", (8, 4, &[0, 4]), (8, 4, &[0, 4])),
    ("ZF2", (12, 4, &[0, 8]), (16, 8, &[0, 8])),
    ("ZF3", (0, 1, &[0]), (0, 1, &[0])),
    ("C128", (20, 4, &[0, 4]), (24, 8, &[0, 8])),
    ("C64", (12, 4, &[0, 4]), (12, 4, &[0, 4])),
    (
        "F",
        (32, 4, &[0, 4, 8, 12, 16, 24]),
        (64, 8, &[0, 8, 16, 24, 32, 48]),
    ),
    ("Sz", (20, 1, &[]), (40, 1, &[])),
    ("Al", (4, 1, &[]), (8, 1, &[])),
    ("Of", (16, 1, &[]), (16, 1, &[])),
    ("U64", (20, 4, &[0, 4, 12]), (24, 8, &[0, 8, 16])),
];

/// Under Miri (slow) one arch, amd64, is checked; natively every one.
fn checked_arch(arch: Arch) -> bool {
    !cfg!(miri) || arch == Arch::Amd64
}

fn measure(prog: &Program, pkg: usize, name: &str, arch: Arch) -> (u64, u64, Vec<u64>) {
    let t = prog
        .resolver(arch)
        .resolve(pkg, name)
        .unwrap_or_else(|e| panic!("{name} on {arch}: {e}"));
    let size = golayout::sizeof(&t, arch).unwrap();
    let align = golayout::alignof(&t, arch).unwrap();
    let offs = match golayout::layout(&t, arch) {
        Ok(l) => l.fields.iter().map(|f| f.offset).collect(),
        Err(_) => Vec::new(),
    };
    (size, align, offs)
}

/// The `sync/atomic` declarations these cases use, as Go 1.19 has them
/// (golayout's built-in standard library has them too, but parsing all of
/// it is slow under Miri).
const ATOMIC: &str = "package atomic
type noCopy struct{}
type align64 struct{}
type Int32 struct {
	_ noCopy
	v int32
}
type Int64 struct {
	_ noCopy
	_ align64
	v int64
}
";

#[test]
fn sizes_match_go_on_386_arm_and_amd64() {
    let mut prog = Program::new();
    prog.add_source("sync/atomic", "types.go", ATOMIC).unwrap();
    let k = prog.add_source("example.com/p", "p.go", SRC).unwrap();
    for &(name, small, big) in ROWS {
        let all = [(Arch::I386, small), (Arch::Arm, small), (Arch::Amd64, big)];
        for (arch, want) in all.into_iter().filter(|&(a, _)| checked_arch(a)) {
            let (s, a, o) = measure(&prog, k, name, arch);
            assert_eq!(
                (s, a, o.as_slice()),
                (want.0, want.1, want.2),
                "{name} on {arch}"
            );
        }
    }
}

/// `unsafe.Sizeof`/`Alignof` of constants (their type, or the default type
/// of an untyped one: `int`, `rune`, `string`, `bool`) and of a field of a
/// composite literal, and `unsafe.Offsetof` of fields promoted through
/// embedded structs (the offsets add up), used as array lengths; an
/// `Offsetof` through an embedded pointer is an error (test/fixedbugs/issue4909a.go).
const CONSTS: &str = r#"package p

import "unsafe"

const r = 'x'
const r2 = r + 1
const i = 7
const s = "hello"
const b = true
const u8 uint8 = 3

type B struct{ X, Y int }
type In struct {
	p byte
	q int64
}
type Mid struct {
	c byte
	In
}
type T struct {
	A int
	*B
	M Mid
	Mid
}

type K1 [unsafe.Sizeof(r)]byte
type K2 [unsafe.Sizeof(r2)]byte
type K3 [unsafe.Sizeof(i)]byte
type K4 [unsafe.Sizeof(s)]byte
type K5 [unsafe.Sizeof(b)]byte
type K6 [unsafe.Sizeof(u8)]byte
type K7 [unsafe.Sizeof('a' * 2)]byte
type K8 [unsafe.Alignof(uint64(1))]byte
type K9 [unsafe.Sizeof(T{}.M)]byte
type O1 [unsafe.Offsetof(T{}.M)]byte
type O2 [unsafe.Offsetof(T{}.q)]byte
type O3 [unsafe.Offsetof(T{}.Mid)]byte
type O4 [unsafe.Offsetof(T{}.In)]byte
type O5 [unsafe.Offsetof(T{}.c)]byte
type E1 [unsafe.Offsetof(T{}.X)]byte
"#;

#[test]
fn sizeof_of_constants_and_offsetof_of_promoted_fields() {
    let mut prog = Program::new();
    let k = prog.add_source("example.com/p", "p.go", CONSTS).unwrap();
    let names = [
        "K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9", "O1", "O2", "O3", "O4", "O5",
    ];
    // Printed by Go 1.19 (unsafe.Sizeof of each array type).
    let want: [(Arch, [u64; 14]); 2] = [
        (Arch::I386, [4, 4, 4, 8, 1, 1, 4, 4, 16, 8, 32, 24, 28, 24]),
        (
            Arch::Amd64,
            [4, 4, 8, 16, 1, 1, 4, 8, 24, 16, 56, 40, 48, 40],
        ),
    ];
    for (arch, sizes) in want.into_iter().filter(|&(a, _)| checked_arch(a)) {
        let mut r = prog.resolver(arch);
        for (name, size) in names.iter().zip(sizes) {
            let t = r
                .resolve(k, name)
                .unwrap_or_else(|e| panic!("{name} on {arch}: {e}"));
            assert_eq!(
                golayout::sizeof(&t, arch).unwrap(),
                size,
                "{name} on {arch}"
            );
        }
        let e = r.resolve(k, "E1").unwrap_err();
        assert!(
            e.message().contains("field X is embedded via a pointer in"),
            "{e}"
        );
    }
}

/// `len` and `cap` of an array composite literal or of an array field
/// (also promoted) are constants; `unsafe.Sizeof`/`Alignof` of a
/// floating-point or complex constant is its type's size (the default type
/// `float64`/`complex128` when untyped; an untyped operation takes the
/// later kind of int, rune, float, complex).
const LENS: &str = r#"package p

import "unsafe"

const C = 'a' - 'A'
const G float32 = 1.5
const F = 2.5

type S struct {
	a   int8
	arr [6]int16
}
type P struct {
	S
}

type L1 [len([4]int{})]byte
type L2 [cap([5]string{})]byte
type L3 [len(P{}.arr)]byte
type L4 [cap(S{}.arr)]byte
type Z1 [unsafe.Sizeof('a' * 2.0)]byte
type Z2 [unsafe.Sizeof(G)]byte
type Z3 [unsafe.Sizeof(G * 2)]byte
type Z4 [unsafe.Sizeof(1 < 2)]byte
type Z5 [unsafe.Sizeof(len("ab"))]byte
type Z6 [unsafe.Sizeof(-C)]byte
type Z7 [unsafe.Sizeof(1 << 3)]byte
type Z8 [unsafe.Sizeof(2.0 * 1i)]byte
type Z9 [unsafe.Alignof(F)]byte
type Z10 [unsafe.Sizeof(C + 1.5)]byte
type Z11 [unsafe.Sizeof(P{}.arr)]byte
"#;

#[test]
fn len_cap_of_arrays_and_sizeof_of_float_constants() {
    let mut prog = Program::new();
    let k = prog.add_source("example.com/p", "p.go", LENS).unwrap();
    let names = [
        "L1", "L2", "L3", "L4", "Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7", "Z8", "Z9", "Z10", "Z11",
    ];
    // Printed by Go 1.19 (the length of each array type).
    let want: [(Arch, [u64; 15]); 2] = [
        (Arch::I386, [4, 5, 6, 6, 8, 4, 4, 1, 4, 4, 4, 16, 4, 8, 12]),
        (Arch::Amd64, [4, 5, 6, 6, 8, 4, 4, 1, 8, 4, 8, 16, 8, 8, 12]),
    ];
    for (arch, lens) in want.into_iter().filter(|&(a, _)| checked_arch(a)) {
        let mut r = prog.resolver(arch);
        for (name, len) in names.iter().zip(lens) {
            let t = r
                .resolve(k, name)
                .unwrap_or_else(|e| panic!("{name} on {arch}: {e}"));
            assert_eq!(golayout::sizeof(&t, arch).unwrap(), len, "{name} on {arch}");
        }
    }
}

/// Untyped floating-point constants in array lengths (test/fixedbugs
/// bug254.go and bug255.go `[1e1]int`, issue13485.go `[10.0]int`,
/// issue20780.go `[400e6]byte`, issue20739.go `[1e9][1e9][1e9][0]*int`):
/// exact arithmetic, valid when the result is an integer; a fraction
/// (bug255.go `[1.5]int`) is an error.
const FLOATS: &str = r#"package p

const N = 10
const F = 2.5

type A1 [1e3]byte
type A2 [2.0]int
type A3 [F * 2]byte
type A4 [1 << 3.0]byte
type A5 [0x1p4]byte
type A6 [N / 4.0 * 2]byte
type A7 [1.0 / 3 * 3]byte
type A8 [int(2.0)]byte
type A9 [int8(1e2)]byte
type A10 [400e6]byte
type A11 struct {
	x int
	w [1e9][1e9][1e9][0]*int
}
type A12 [1e1]int
type A13 [10.0]int
type A14 [.5e1]byte
type A15 [1_0.0_0]byte
type A16 [2.0 << 2]byte
type A17 [-(-3.0)]byte
type A18 [N * 1.5]byte
type A19 [uint8(3) * 2.0]byte
type A20 [1e2 / 1e1]byte

type B1 [1.5]int
type B2 [N / 4.0]byte
type B3 [int8(1e3)]byte
type B4 [uint(1.5)]byte
type B5 [1 << 1.5]byte
type B6 [uint8(3) * 2.5]byte
"#;

#[test]
fn untyped_float_constants_in_array_lengths() {
    let mut prog = Program::new();
    let k = prog.add_source("example.com/p", "p.go", FLOATS).unwrap();
    // Printed by Go 1.19 (unsafe.Sizeof of A1 … A20).
    let want: [(Arch, [u64; 20]); 2] = [
        (
            Arch::I386,
            [
                1000, 8, 5, 8, 16, 5, 1, 2, 100, 400000000, 8, 40, 40, 5, 10, 8, 3, 15, 6, 10,
            ],
        ),
        (
            Arch::Amd64,
            [
                1000, 16, 5, 8, 16, 5, 1, 2, 100, 400000000, 16, 80, 80, 5, 10, 8, 3, 15, 6, 10,
            ],
        ),
    ];
    for (arch, sizes) in want.into_iter().filter(|&(a, _)| checked_arch(a)) {
        let mut r = prog.resolver(arch);
        for (i, size) in sizes.into_iter().enumerate() {
            let name = format!("A{}", i + 1);
            let t = r
                .resolve(k, &name)
                .unwrap_or_else(|e| panic!("{name} on {arch}: {e}"));
            assert_eq!(
                golayout::sizeof(&t, arch).unwrap(),
                size,
                "{name} on {arch}"
            );
        }
        // gc: "must be integer", "cannot convert", "truncated".
        for name in ["B1", "B2", "B3", "B4", "B5", "B6"] {
            assert!(r.resolve(k, name).is_err(), "{name} on {arch}");
        }
    }
}

/// Interface and func field types are spelled as go/types spells them
/// (`types.TypeString`): comments dropped, methods on separate lines joined
/// by `; ` (test/fixedbugs/issue24939.go has an interface holding only
/// comments, which is `interface{}`). Go 1.19's go/types printed the three
/// strings below for this struct.
#[test]
fn interface_and_func_types_are_spelled_without_comments() {
    let src = "package p

type S struct {
	I interface {
		// Doc of A.
		A() int // trailing
		B(x int,
			y string) /* block */ error
	}
	F func(a int, // first
		b string) (n int)
	E interface{ /* nothing */ }
	P interface {
		// The compiler cannot handle this case. Disabled for now.
		// I() M
	}
}
";
    let mut prog = Program::new();
    let k = prog.add_source("example.com/p", "p.go", src).unwrap();
    let t = prog.resolver(Arch::Amd64).resolve(k, "S").unwrap();
    let l = golayout::layout(&t, Arch::Amd64).unwrap();
    let tys: Vec<&str> = l.fields.iter().map(|f| f.ty.as_str()).collect();
    assert_eq!(
        tys,
        [
            "interface{A() int; B(x int, y string) error}",
            "func(a int, b string) (n int)",
            "interface{}",
            "interface{}",
        ]
    );
}
