//! Array lengths as Go 1.19's type checker accepts them (types2
//! `arrayLength`): the length must be a non-negative constant representable
//! as the target's `int`. On 32-bit arches (386, arm, mips, mipsle) `int` is
//! 32 bits, so `[1<<40]struct{}` is "array length 1 << 40 (untyped int
//! constant 1099511627776) must be integer" there, although the array would
//! take no bytes; on 64-bit arches it is a valid zero-size type.
#![cfg(feature = "alloc")]

use golayout::{Arch, Program};

const SRC: &str = "package l
type Z40 [1 << 40]struct{}
type Z62 [1 << 62]struct{}
type Z63 [1<<63 - 1]struct{}
type Z64 [1 << 63]struct{}
type S struct{ x [1 << 62]struct{}; y int64 }
type I31 [1<<31 - 1]struct{}
type I31b [1 << 31]struct{}
";

/// `go build` with GOARCH=386 rejects every length past 1<<31-1, zero-size
/// element or not; golayout must not lay such a type out.
#[test]
fn lengths_past_int32_are_errors_on_32_bit_arches() {
    let mut p = Program::new();
    let k = p.add_source("example.com/l", "l.go", SRC).unwrap();
    for arch in [Arch::I386, Arch::Arm, Arch::Mips, Arch::Mipsle] {
        let mut r = p.resolver(arch);
        for name in ["Z40", "Z62", "Z63", "Z64", "S", "I31b"] {
            let e = r.resolve(k, name).expect_err(name);
            assert!(
                e.message().contains("must be integer"),
                "{name} on {arch}: {e}"
            );
        }
        let t = r.resolve(k, "I31").unwrap();
        assert_eq!(golayout::sizeof(&t, arch).unwrap(), 0);
    }
}

/// On amd64 the same lengths up to 1<<63-1 are valid zero-size arrays; 1<<63
/// overflows int64 ("must be integer").
#[test]
fn lengths_up_to_int64_are_valid_on_64_bit_arches() {
    let mut p = Program::new();
    let k = p.add_source("example.com/l", "l.go", SRC).unwrap();
    let mut r = p.resolver(Arch::Amd64);
    for name in ["Z40", "Z62", "Z63", "I31", "I31b"] {
        let t = r.resolve(k, name).unwrap();
        assert_eq!(golayout::sizeof(&t, Arch::Amd64).unwrap(), 0, "{name}");
    }
    let t = r.resolve(k, "S").unwrap();
    assert_eq!(golayout::sizeof(&t, Arch::Amd64).unwrap(), 8);
    let e = r.resolve(k, "Z64").unwrap_err();
    assert!(e.message().contains("must be integer"), "{e}");
}
