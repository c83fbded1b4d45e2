//! Type strings and Go's type hashes of corner-case types.

use goiface::types::*;
use goiface::*;

/// Strings and hashes of channels of channels, variadic funcs, funcs
/// returning funcs, embedded pointers and interfaces, blank fields,
/// unexported names of another package. Go 1.19 (amd64; 386 the same)
/// printed, via `reflect.TypeOf(x).String()` and the `_type.hash` word:
/// `51ef5b58 struct { _ int; A int }`, `567f697d chan<- <-chan int`,
/// `ff5ae9eb <-chan <-chan int`, `919308ae chan chan<- int`, `db828de5
/// chan (<-chan int)`, `8089f030 func(...[]int)`, `97da078a func() func()
/// int`, `04c587e7 func(int) (func(), error)`, `fb2c5c5c struct {
/// *main.T }`, `104d3122 map[[2]string]interface {}`, `26337d92
/// *interface { M(int) (string, error) }`, `e9cd6d8d *interface { main.m()
/// }`, `ffbb1792 []struct { a int }`, `6ef7124a struct { main.I }`,
/// `1224eb1f p.T`, `dd893d04 struct { a int }` (declared in
/// example.com/p), `5ca4d43a struct { A int; b string }` (in p), `d03de270
/// struct { p.T }`, `279fec2a []p.S`, `77f90715 func(int, ...interface
/// {})`, `b1821aaf func(int, int) int` (for `func(a, b int) (c int)`).
#[test]
fn type_strings_and_hashes_of_corner_cases() {
    let t = Named::new("main", "T", int()).build().unwrap();
    let inamed = Named::new(
        "main",
        "I",
        interface_of("main", &[IMethod::new("M", func_of(&[], &[], false))]).unwrap(),
    )
    .build()
    .unwrap();
    let errt = Named::new(
        "",
        "error",
        interface_of(
            "",
            &[IMethod::new("Error", func_of(&[], &[string()], false))],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let pt = Named::new("example.com/p", "T", int()).build().unwrap();
    let ps = Named::new(
        "example.com/p",
        "S",
        struct_of("example.com/p", &[field("a", int())]).unwrap(),
    )
    .build()
    .unwrap();
    let ci = chan_of(ChanDir::Recv, int());
    let cases: Vec<(&'static Type, &str, u32)> = vec![
        (
            struct_of("main", &[field("_", int()), field("A", int())]).unwrap(),
            "struct { _ int; A int }",
            0x51ef5b58,
        ),
        (chan_of(ChanDir::Send, ci), "chan<- <-chan int", 0x567f697d),
        (chan_of(ChanDir::Recv, ci), "<-chan <-chan int", 0xff5ae9eb),
        (
            chan_of(ChanDir::Both, chan_of(ChanDir::Send, int())),
            "chan chan<- int",
            0x919308ae,
        ),
        (chan_of(ChanDir::Both, ci), "chan (<-chan int)", 0xdb828de5),
        (
            func_of(&[slice_of(slice_of(int()))], &[], true),
            "func(...[]int)",
            0x8089f030,
        ),
        (
            func_of(&[], &[func_of(&[], &[int()], false)], false),
            "func() func() int",
            0x97da078a,
        ),
        (
            func_of(&[int()], &[func_of(&[], &[], false), errt], false),
            "func(int) (func(), error)",
            0x04c587e7,
        ),
        (
            struct_of("main", &[embedded(ptr_to(t))]).unwrap(),
            "struct { *main.T }",
            0xfb2c5c5c,
        ),
        (
            map_of(array_of(2, string()), any()).unwrap(),
            "map[[2]string]interface {}",
            0x104d3122,
        ),
        (
            ptr_to(
                interface_of(
                    "main",
                    &[IMethod::new(
                        "M",
                        func_of(&[int()], &[string(), errt], false),
                    )],
                )
                .unwrap(),
            ),
            "*interface { M(int) (string, error) }",
            0x26337d92,
        ),
        (
            ptr_to(interface_of("main", &[IMethod::new("m", func_of(&[], &[], false))]).unwrap()),
            "*interface { main.m() }",
            0xe9cd6d8d,
        ),
        (
            slice_of(struct_of("main", &[field("a", int())]).unwrap()),
            "[]struct { a int }",
            0xffbb1792,
        ),
        (
            struct_of("main", &[embedded(inamed)]).unwrap(),
            "struct { main.I }",
            0x6ef7124a,
        ),
        (pt, "p.T", 0x1224eb1f),
        (
            struct_of("example.com/p", &[field("a", int())]).unwrap(),
            "struct { a int }",
            0xdd893d04,
        ),
        (
            struct_of("example.com/p", &[field("A", int()), field("b", string())]).unwrap(),
            "struct { A int; b string }",
            0x5ca4d43a,
        ),
        (
            struct_of("main", &[embedded(pt)]).unwrap(),
            "struct { p.T }",
            0xd03de270,
        ),
        (slice_of(ps), "[]p.S", 0x279fec2a),
        (
            func_of(&[int(), slice_of(any())], &[], true),
            "func(int, ...interface {})",
            0x77f90715,
        ),
        (
            func_of(&[int(), int()], &[int()], false),
            "func(int, int) int",
            0xb1821aaf,
        ),
    ];
    let mut bad = vec![];
    for (t, s, h) in cases {
        if t.to_string() != s || t.hash() != h {
            bad.push(format!(
                "{s}: got {} {:08x} want {:08x} link {}",
                t,
                t.hash(),
                h,
                t.link_string()
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
