//! Differential test against Go 1.19: descriptor fields (size, ptrdata,
//! hash, tflag, align, fieldAlign, kind byte, gcdata bitmap, string) and
//! panic texts.
//!
//! Always: compares with the golden output of `go-oracle/goiface` checked in
//! under `tests/golden/` for this target's word size (amd64 or 386). With
//! `GORT_GO` naming a Go 1.19 binary, the program is also run live (for
//! GOARCH=amd64 on 64-bit hosts, 386 on 32-bit ones) and must print the same.

mod common;

use std::process::Command;

use common::*;
use goiface::*;

fn describe(t: &'static Type) -> String {
    let gc: String = t.gcdata().iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "type {} {} {:08x} {} {} {} {} {} {}",
        t.size(),
        t.ptrdata(),
        t.hash(),
        t.tflag(),
        t.align(),
        t.field_align(),
        t.kind_byte(),
        if gc.is_empty() { "-" } else { &gc },
        t
    )
}

/// The same types and failing operations as go-oracle/goiface/main.go.
fn ours() -> Vec<String> {
    let m = Method::new("M", sig0(), nop);
    let t = Named::new("main", "T", types::int())
        .method(m)
        .build()
        .unwrap();
    let i = Named::new("main", "I", iface(&["M"])).build().unwrap();
    let j = Named::new("main", "J", iface(&["M", "Z"])).build().unwrap();
    let a = Named::new("main", "A", types::int())
        .method(m)
        .build()
        .unwrap();
    let b = Named::new("main", "B", types::int())
        .method(m)
        .build()
        .unwrap();
    let ints = types::slice_of(types::int());
    let s = Named::new(
        "main",
        "S",
        types::struct_of("main", &[types::field("s", ints)]).unwrap(),
    )
    .build()
    .unwrap();
    let empty = types::struct_of("", &[]).unwrap();
    let e_named = Named::new(
        "main",
        "E",
        types::struct_of(
            "main",
            &[types::embedded(t), types::field("x", types::int())],
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let descs: Vec<&'static Type> = vec![
        types::int(),
        types::string(),
        t,
        types::bool(),
        types::float64(),
        types::complex64(),
        types::uintptr(),
        types::unsafe_pointer(),
        ints,
        types::map_of(types::string(), types::int()).unwrap(),
        types::ptr_to(t),
        types::struct_of(
            "main",
            &[
                types::field("a", types::int8()),
                types::field("B", types::string()),
            ],
        )
        .unwrap(),
        types::array_of(3, types::uint8()),
        empty,
        types::array_of(2, empty),
        types::func_of(
            &[types::int(), types::slice_of(types::string())],
            &[types::bool()],
            true,
        ),
        types::func_of(&[], &[types::int(), types::string()], false),
        types::chan_of(ChanDir::Send, types::int()),
        types::chan_of(ChanDir::Recv, types::int()),
        types::chan_of(ChanDir::Both, types::chan_of(ChanDir::Recv, types::int())),
        types::slice_of(i),
        types::slice_of(types::any()),
        s,
        types::array_of(1, types::ptr_to(types::int())),
        types::struct_of(
            "main",
            &[
                types::field("p", types::ptr_to(types::int())),
                types::field("n", types::int()),
                types::field("s", types::string()),
            ],
        )
        .unwrap(),
        types::struct_of("main", &[types::embedded(t)]).unwrap(),
        e_named,
        types::ptr_to(e_named),
        types::array_of(1, types::any()),
        types::struct_of(
            "main",
            &[
                types::field("a", types::any()),
                types::field("n", types::int()),
                types::field("b", i),
            ],
        )
        .unwrap(),
    ];
    let mut out: Vec<String> = descs.into_iter().map(describe).collect();
    let p = |text: String| format!("panic {text}");
    let ia = Iface::convert(i, &int_of(a, 1)).unwrap();
    let sv = || Eface::new(s, Val::Struct(vec![Val::Slice(None)])).unwrap();
    let slice = || Eface::new(ints, Val::Slice(Some(SliceVal::new(vec![])))).unwrap();
    let map = || {
        Eface::new(
            types::map_of(types::int(), types::int()).unwrap(),
            Val::Ref(Some(std::rc::Rc::new(()))),
        )
        .unwrap()
    };
    out.push(p(panic_text(|| {
        Eface::from_string("s").assert(types::int()).clone()
    })));
    out.push(p(panic_text(|| ia.assert(b).clone())));
    out.push(p(panic_text(|| assert_e2i(j, &int_of(a, 1)))));
    out.push(p(panic_text(|| assert_e2i(i, &slice()))));
    out.push(p(panic_text(|| Eface::nil().assert(types::int()).clone())));
    out.push(p(panic_text(|| Iface::nil(i).assert(a).clone())));
    out.push(p(panic_text(|| assert_e2i(i, &Eface::nil()))));
    out.push(p(panic_text(|| efaceeq(&slice(), &slice()))));
    out.push(p(panic_text(|| efaceeq(&sv(), &sv()))));
    out.push(p(panic_text(|| efaceeq(&map(), &map()))));
    out.push(p(panic_text(|| AnyMap::make().insert(slice(), 1))));
    out.push(p(panic_text(|| AnyMap::<i32>::nil().get(&sv()).copied())));
    let arr = Eface::new(
        types::array_of(1, s),
        Val::Array(vec![Val::Struct(vec![Val::Slice(None)])]),
    )
    .unwrap();
    out.push(p(panic_text(|| AnyMap::make().insert(arr.clone(), 1))));
    let ev = Eface::new(e_named, Val::Struct(vec![Val::Int(0), Val::Int(0)])).unwrap();
    out.push(p(panic_text(|| assert_e2i(j, &ev))));
    out
}

fn golden() -> &'static str {
    if cfg!(target_pointer_width = "64") {
        include_str!("golden/iface_amd64.txt")
    } else {
        include_str!("golden/iface_386.txt")
    }
}

fn assert_same(expected: &str, what: &str) {
    let ours = ours();
    let want: Vec<&str> = expected.lines().collect();
    let mut bad = Vec::new();
    for (k, w) in want.iter().enumerate() {
        let o = ours.get(k).map_or("<missing>", |s| s.as_str());
        if o != *w {
            bad.push(format!("line {k}:\n  go:      {w}\n  goiface: {o}"));
        }
    }
    assert_eq!(ours.len(), want.len(), "line counts differ ({what})");
    assert!(
        bad.is_empty(),
        "{what}: {} mismatches\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn golden_descriptors_and_panic_texts() {
    assert_same(golden(), "golden");
}

#[test]
fn live_go_oracle() {
    let Ok(go) = std::env::var("GORT_GO") else {
        eprintln!("GORT_GO not set: live comparison skipped (golden checked above)");
        return;
    };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../go-oracle/goiface");
    let goarch = if cfg!(target_pointer_width = "64") {
        "amd64"
    } else {
        "386"
    };
    let out = Command::new(go)
        .args(["run", "main.go"])
        .current_dir(dir)
        .env("GOARCH", goarch)
        .env("GOFLAGS", "-mod=mod")
        .output()
        .expect("run go");
    assert!(
        out.status.success(),
        "go run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(&String::from_utf8(out.stdout).unwrap(), "live Go 1.19");
}
