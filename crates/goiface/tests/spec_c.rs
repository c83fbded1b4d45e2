//! iface.md (c) 1–11: Go 1.19's observable interface semantics, one test
//! per statement (named `c<N>_…`).

mod common;

use std::ptr;

use common::*;
use goiface::*;

#[test]
fn c1_table_holds_static_itabs_and_one_entry_per_new_pair() {
    let tab = ItabTable::new();
    let i = iface(&["M"]);
    let j = iface(&["M", "N"]);
    let a = named_int("A", &["M"]);
    let b = named_int("B", &["M"]);
    // "Static" pairs: what itabsinit adds before main.
    tab.static_itab(i, a).unwrap();
    tab.static_itab(i, b).unwrap();
    assert_eq!(tab.count(), 2);
    // A new pair at run time adds one entry, success or failure.
    let ja = tab.getitab(j, a, true);
    assert!(ja.is_err());
    assert_eq!(tab.count(), 3);
    let c = named_int("C", &["M", "N"]);
    let jc = tab.getitab(j, c, true).unwrap();
    assert_eq!(tab.count(), 4);
    // Repeats add none and return the same itab.
    let jc2 = tab.getitab(j, c, true).unwrap();
    assert!(ptr::eq(jc, jc2));
    assert!(tab.getitab(j, a, true).is_err());
    assert_eq!(tab.count(), 4);
}

/// Checks iface.md c2's probe property: every entry lies on its pair's probe
/// sequence from h0 with only filled slots before it.
fn assert_on_probe_sequence(tab: &ItabTable) {
    let size = tab.size();
    let entries = tab.entries();
    let filled: std::collections::HashSet<usize> = entries.iter().map(|e| e.0).collect();
    for (slot, m) in &entries {
        let mut h = tab.home_slot(m.inter(), m.typ());
        let mut i = 1;
        while h != *slot {
            assert!(
                filled.contains(&h),
                "a hole before the entry on its probe sequence"
            );
            h = (h + i) & (size - 1);
            i += 1;
            assert!(i <= size, "entry not on its probe sequence");
        }
    }
}

#[test]
fn c2_growth_at_three_quarters_and_probe_sequence() {
    // 512 → 1024 at the 385th entry, 2048 at the 769th (smaller under Miri:
    // the same rule from 16 slots: 13th entry → 32, 25th → 64).
    let (init, first, second) = if cfg!(miri) {
        (16, 13, 25)
    } else {
        (512, 385, 769)
    };
    let tab = ItabTable::with_initial_size(init);
    let i = iface(&["M"]);
    for n in 1..=second {
        let t = named_int(&format!("T{n}"), if n % 3 == 0 { &[] } else { &["M"] });
        let _ = tab.getitab(i, t, true);
        let want = if n < first {
            init
        } else if n < second {
            2 * init
        } else {
            4 * init
        };
        assert_eq!(tab.size(), want, "after {n} entries");
        assert_eq!(tab.count(), n);
    }
    assert_on_probe_sequence(&tab);
}

#[test]
fn c3_assertion_reuses_static_itab_hash_rules() {
    let tab = ItabTable::new();
    let i = iface(&["M"]);
    let a = named_int("A", &["M"]);
    let b = named_int("B", &["M"]);
    let st = tab.static_itab(i, a).unwrap();
    assert_eq!(st.hash(), a.hash(), "static itabs copy the type's hash");
    let n = tab.count();
    let got = tab.getitab(i, a, false).unwrap();
    assert!(ptr::eq(st, got), "e.(I) returns the static itab");
    assert_eq!(tab.count(), n, "and adds nothing");
    let rt = tab.getitab(i, b, false).unwrap();
    assert_eq!(rt.hash(), 0, "run-time itabs have hash 0");

    // The same through the program-wide table.
    let e = int_of(a, 1);
    let conv = Iface::convert(i, &e).unwrap();
    let asserted = assert_e2i(i, &e);
    assert!(ptr::eq(conv.tab().unwrap(), asserted.tab().unwrap()));
}

#[test]
fn c4_typed_nil_pointer_is_not_nil() {
    let t = named_int("T", &[]);
    let pt = types::ptr_to(t);
    let e = Eface::new(pt, Val::Pointer(None)).unwrap();
    assert!(!e.is_nil());
    let sw = TypeSwitch::new(&[Case::Nil, Case::Type(pt)]);
    assert_eq!(sw.select(&e), Some(1), "takes case *T, not case nil");
    // nil type word, non-nil data: == nil.
    let odd = Eface::nil_type_with_data(Val::Int(7));
    assert!(odd.is_nil());
    assert!(efaceeq(&odd, &Eface::nil()));
    assert_eq!(sw.select(&odd), Some(0));
}

#[test]
fn c5_type_assertion_panic_texts() {
    let i = iface(&["M"]);
    let i_ty = i; // main.I is printed by its string; name it like Go does:
    let main_i = Named::new("main", "I", i_ty).build().unwrap();
    let main_j = Named::new("main", "J", iface(&["M", "Z"])).build().unwrap();
    let a = named_int("A", &["M"]);
    let b = named_int("B", &["M"]);

    // interface {} is string, not int
    let e = Eface::from_string("s");
    assert_eq!(
        panic_text(|| e.assert(types::int()).clone()),
        "interface conversion: interface {} is string, not int"
    );
    // main.I is main.A, not main.B
    let ia = Iface::convert(main_i, &int_of(a, 1)).unwrap();
    assert_eq!(
        panic_text(|| ia.assert(b).clone()),
        "interface conversion: main.I is main.A, not main.B"
    );
    // main.A is not main.J: missing method Z — also on repeat, and via i.(J)
    let missing = "interface conversion: main.A is not main.J: missing method Z";
    assert_eq!(panic_text(|| assert_e2i(main_j, &int_of(a, 1))), missing);
    assert_eq!(panic_text(|| assert_e2i(main_j, &int_of(a, 1))), missing);
    assert_eq!(panic_text(|| assert_i2i(main_j, &ia)), missing);
    // []int (no uncommon part)
    let s = Eface::new(types::slice_of(types::int()), Val::Slice(None)).unwrap();
    assert_eq!(
        panic_text(|| assert_e2i(main_i, &s)),
        "interface conversion: []int is not main.I: missing method M"
    );
    // pointer-receiver M: the value type lacks it
    let p = Named::new("main", "P", types::int())
        .method(Method::new("M", sig0(), nop).pointer_receiver())
        .build()
        .unwrap();
    assert_eq!(
        panic_text(|| assert_e2i(main_i, &int_of(p, 0))),
        "interface conversion: main.P is not main.I: missing method M"
    );
    assert!(assert_e2i2(main_i, &new_ptr(p, Val::Int(0)).unwrap()).is_some());
    // wrong signature
    let w = Named::new("main", "W", types::int())
        .method(Method::new(
            "M",
            types::func_of(&[types::int()], &[], false),
            nop,
        ))
        .build()
        .unwrap();
    assert_eq!(
        panic_text(|| assert_e2i(main_i, &int_of(w, 0))),
        "interface conversion: main.W is not main.I: missing method M"
    );
    // another package's unexported m
    let im = Named::new(
        "main",
        "Im",
        types::interface_of("main", &[IMethod::new("m", sig0())]).unwrap(),
    )
    .build()
    .unwrap();
    let other = Named::new("other", "O", types::int())
        .method(Method::new("m", sig0(), nop))
        .build()
        .unwrap();
    assert_eq!(
        panic_text(|| assert_e2i(im, &int_of(other, 0))),
        "interface conversion: other.O is not main.Im: missing method m"
    );
    let same_pkg = named_int("Mine", &["m"]);
    assert!(assert_e2i2(im, &int_of(same_pkg, 0)).is_some());
    // nil forms
    assert_eq!(
        panic_text(|| Eface::nil().assert(types::int()).clone()),
        "interface conversion: interface {} is nil, not int"
    );
    assert_eq!(
        panic_text(|| Iface::nil(main_i).assert(a).clone()),
        "interface conversion: main.I is nil, not main.A"
    );
    assert_eq!(
        panic_text(|| assert_e2i(main_i, &Eface::nil())),
        "interface conversion: interface is nil, not main.I"
    );
    assert_eq!(
        panic_text(|| assert_i2i(main_j, &Iface::nil(main_i))),
        "interface conversion: interface is nil, not main.J"
    );
    // different scopes / packages
    let x1 = named_int("X", &[]);
    let x2 = named_int("X", &[]);
    assert_eq!(
        panic_text(|| int_of(x1, 0).assert(x2).clone()),
        "interface conversion: interface {} is main.X, not main.X (types from different scopes)"
    );
    let p1 = Named::new("example.com/a/p", "T", types::int())
        .build()
        .unwrap();
    let p2 = Named::new("example.com/b/p", "T", types::int())
        .build()
        .unwrap();
    assert_eq!(
        panic_text(|| int_of(p1, 0).assert(p2).clone()),
        "interface conversion: interface {} is p.T, not p.T (types from different packages)"
    );
    // The panic value is the error type (no "runtime error:" prefix).
    let err = int_of(x1, 0).try_assert(x2).unwrap_err();
    assert!(!err.to_string().starts_with("runtime error"));
    assert!(ptr::eq(err.asserted(), x2));
}

fn slice_int() -> Eface {
    Eface::new(types::slice_of(types::int()), Val::Slice(None)).unwrap()
}

#[test]
fn c6_comparing_uncomparable_types_panics() {
    let s = slice_int();
    assert_eq!(
        panic_text(|| efaceeq(&s, &s)),
        "runtime error: comparing uncomparable type []int"
    );
    let st = Named::new(
        "main",
        "S",
        types::struct_of("main", &[types::field("s", types::slice_of(types::int()))]).unwrap(),
    )
    .build()
    .unwrap();
    let sv = Eface::new(st, Val::Struct(vec![Val::Slice(None)])).unwrap();
    assert_eq!(
        panic_text(|| efaceeq(&sv, &sv)),
        "runtime error: comparing uncomparable type main.S"
    );
    let m = Eface::new(
        types::map_of(types::int(), types::int()).unwrap(),
        Val::Ref(None),
    )
    .unwrap();
    assert_eq!(
        panic_text(|| efaceeq(&m, &m)),
        "runtime error: comparing uncomparable type map[int]int"
    );
    let f = Eface::new(sig0(), Val::Ref(None)).unwrap();
    assert_eq!(
        panic_text(|| efaceeq(&f, &f)),
        "runtime error: comparing uncomparable type func()"
    );
    let arr = Eface::new(
        types::array_of(1, types::slice_of(types::int())),
        Val::Array(vec![Val::Slice(None)]),
    )
    .unwrap();
    assert_eq!(
        panic_text(|| efaceeq(&arr, &arr)),
        "runtime error: comparing uncomparable type [1][]int"
    );
    // Different dynamic types: false, no panic.
    assert!(!efaceeq(&s, &Eface::from_int(1)));
}

#[test]
fn c7_hashing_unhashable_types_panics_even_in_nil_map() {
    let s = slice_int();
    let st = Named::new(
        "main",
        "S",
        types::struct_of("main", &[types::field("s", types::slice_of(types::int()))]).unwrap(),
    )
    .build()
    .unwrap();
    let sv = Eface::new(st, Val::Struct(vec![Val::Slice(None)])).unwrap();
    let arr = Eface::new(
        types::array_of(1, st),
        Val::Array(vec![Val::Struct(vec![Val::Slice(None)])]),
    )
    .unwrap();
    let mut m: AnyMap<i32> = AnyMap::make();
    assert_eq!(
        panic_text(|| m.insert(s.clone(), 1)),
        "runtime error: hash of unhashable type []int"
    );
    assert_eq!(
        panic_text(|| m.insert(sv.clone(), 1)),
        "runtime error: hash of unhashable type main.S"
    );
    assert_eq!(
        panic_text(|| m.insert(arr.clone(), 1)),
        "runtime error: hash of unhashable type [1]main.S"
    );
    assert_eq!(m.len(), 0);
    let nil: AnyMap<i32> = AnyMap::nil();
    assert_eq!(
        panic_text(|| nil.get(&s).copied()),
        "runtime error: hash of unhashable type []int"
    );
    assert_eq!(nil.get(&Eface::from_int(1)), None);
    // The map is intact after the panics.
    m.insert(Eface::from_int(1), 1);
    assert_eq!(m.get(&Eface::from_int(1)), Some(&1));
}

#[test]
fn c8_nan_zero_kinds_pointers_zero_size_and_hash_values() {
    let nan = Eface::from_f64(f64::NAN);
    assert!(!efaceeq(&nan, &nan));
    let mut m = AnyMap::make();
    m.insert(nan.clone(), 1);
    m.insert(nan.clone(), 2);
    assert_eq!(m.len(), 2);
    assert!(efaceeq(&Eface::from_f64(0.0), &Eface::from_f64(-0.0)));
    m.insert(Eface::from_f64(0.0), 3);
    assert_eq!(m.get(&Eface::from_f64(-0.0)), Some(&3));
    // int(1), int64(1), uint8(1): three keys
    let mut k = AnyMap::make();
    k.insert(Eface::from_int(1), 'i');
    k.insert(Eface::new(types::int64(), Val::Int(1)).unwrap(), 'j');
    k.insert(Eface::new(types::uint8(), Val::Uint(1)).unwrap(), 'u');
    assert_eq!(k.len(), 3);
    // pointers by address
    let p = new_ptr(types::int(), Val::Int(1)).unwrap();
    let q = new_ptr(types::int(), Val::Int(1)).unwrap();
    assert!(efaceeq(&p, &p.clone()));
    assert!(!efaceeq(&p, &q));
    // zero-size values: one type equal, different types not
    let z1 = types::struct_of("", &[]).unwrap();
    let z2 = Named::new("main", "Z", z1).build().unwrap();
    let a = Eface::new(z1, Val::Struct(vec![])).unwrap();
    let b = Eface::new(z2, Val::Struct(vec![])).unwrap();
    assert!(efaceeq(&a, &a.clone()));
    assert!(!efaceeq(&a, &b));
    // hash of int(5) = hash of uint64(5) = hash of F1(5) in an iface.
    let h = 12345;
    let five_word = if cfg!(target_pointer_width = "64") {
        Eface::new(types::uint64(), Val::Uint(5)).unwrap()
    } else {
        Eface::new(types::uint32(), Val::Uint(5)).unwrap()
    };
    let f1 = named_int("F1", &["M"]);
    let i = Iface::convert(iface(&["M"]), &int_of(f1, 5)).unwrap();
    let want = nilinterhash(&Eface::from_int(5), h);
    assert_eq!(nilinterhash(&five_word, h), want);
    assert_eq!(interhash(&i, h), want);
    if cfg!(target_pointer_width = "64") {
        assert_eq!(want, C1.wrapping_mul(memhash64(5, h ^ C0)));
    } else {
        assert_eq!(want, C1.wrapping_mul(memhash32(5, h ^ C0)));
    }
    assert_eq!(nilinterhash(&Eface::nil(), h), h);
}

#[test]
fn c9_allocations_per_conversion() {
    use DataWord::*;
    let esc = |t, v: Val| data_word(t, &v, false, true).1;
    let konst = |t, v: Val| data_word(t, &v, true, true).1;
    let empty = types::struct_of("", &[]).unwrap();
    let sb = types::struct_of("main", &[types::field("b", types::uint8())]).unwrap();
    let ss = types::struct_of("main", &[types::field("s", types::string())]).unwrap();
    // 0 allocations
    assert!(!esc(empty, Val::Struct(vec![])));
    assert!(!esc(types::uint8(), Val::Uint(200)));
    assert!(!esc(types::bool(), Val::Bool(true)));
    assert!(!esc(sb, Val::Struct(vec![Val::Uint(9)])));
    assert!(!esc(types::uint16(), Val::Uint(255)));
    assert!(!esc(types::int32(), Val::Int(255)));
    assert!(!esc(types::int(), Val::Int(0)));
    assert!(!esc(types::float64(), Val::Float(0.0)));
    assert!(!esc(types::string(), Val::from("")));
    assert!(!esc(ss, Val::Struct(vec![Val::from("")])));
    assert!(!esc(types::slice_of(types::int()), Val::Slice(None)));
    assert!(!esc(types::ptr_to(types::int()), Val::Pointer(None)));
    assert!(!konst(types::int(), Val::Int(1000)));
    assert!(!konst(types::string(), Val::from("hello")));
    assert!(!konst(types::float64(), Val::Float(3.5)));
    let a1024 = types::array_of(1024, types::uint8());
    assert_eq!(
        data_word(a1024, &a1024.zero(), false, false),
        (StackTemp, false)
    );
    // 1 allocation
    assert!(esc(types::uint16(), Val::Uint(256)));
    assert!(esc(types::int(), Val::Int(256)));
    assert!(esc(types::int(), Val::Int(-1)));
    assert!(esc(types::float64(), Val::Float(1.0)));
    assert!(esc(types::string(), Val::from("hello")));
    assert!(esc(
        types::slice_of(types::int()),
        Val::Slice(Some(SliceVal::new(vec![Val::Int(1)])))
    ));
    let a16 = types::array_of(16, types::uint8());
    assert!(esc(a16, a16.zero()));
    let a2 = types::array_of(2, types::int());
    assert!(esc(a2, Val::Array(vec![Val::Int(1), Val::Int(2)])));
    let a1025 = types::array_of(1025, types::uint8());
    assert!(data_word(a1025, &a1025.zero(), false, false).1);
    // complex64 0: 1 on amd64 (align 4 ≠ uint64's 8), 0 on 386.
    let c = esc(types::complex64(), Val::Complex(0.0, 0.0));
    assert_eq!(c, cfg!(target_pointer_width = "64"));
}

/// `convT64` reads an aggregate's bytes as one little-endian `uint64` and
/// uses `staticuint64s` below 256, whatever the fields. Measured with
/// go1.19 `testing.AllocsPerRun` on an escaping `any`:
///
/// ```text
///                   P{a:1} P{} P{b:1} Q{a:1} Q{a:255} Q{a:256} [2]int32{7,0} F{} F{a:1}
/// amd64             0      0   1      1      1        1        1             1   1
/// 386               0      0   1      0      0        1        0             0   1
/// ```
///
/// with `P struct{ _ [0]int64; a, b int32 }` (8 bytes, 8-aligned
/// everywhere), `Q struct{ a, b int32 }` and `F struct{ a, b float32 }`
/// (8 bytes, 4-aligned: `convT64` only on 386). goiface counted every
/// non-zero aggregate as 256 or more.
#[test]
fn c9_conv_t64_reads_aggregates_as_little_endian_words() {
    let esc = |t, v: Val| data_word(t, &v, false, true).1;
    let i32s = |a, b| Val::Struct(vec![Val::Int(a), Val::Int(b)]);
    let p = types::struct_of(
        "main",
        &[
            types::field("_", types::array_of(0, types::int64())),
            types::field("a", types::int32()),
            types::field("b", types::int32()),
        ],
    )
    .unwrap();
    let pv = |a, b| Val::Struct(vec![Val::Array(vec![]), Val::Int(a), Val::Int(b)]);
    assert!(!esc(p, pv(1, 0)));
    assert!(!esc(p, pv(0, 0)));
    assert!(esc(p, pv(0, 1)));
    let q = types::struct_of(
        "main",
        &[
            types::field("a", types::int32()),
            types::field("b", types::int32()),
        ],
    )
    .unwrap();
    let f = types::struct_of(
        "main",
        &[
            types::field("a", types::float32()),
            types::field("b", types::float32()),
        ],
    )
    .unwrap();
    let a = types::array_of(2, types::int32());
    let on_386 = cfg!(target_pointer_width = "32");
    assert_eq!(esc(q, i32s(1, 0)), !on_386);
    assert_eq!(esc(q, i32s(255, 0)), !on_386);
    assert!(esc(q, i32s(256, 0)));
    assert_eq!(esc(a, Val::Array(vec![Val::Int(7), Val::Int(0)])), !on_386);
    let fv = |a, b| Val::Struct(vec![Val::Float(a), Val::Float(b)]);
    assert_eq!(esc(f, fv(0.0, 0.0)), !on_386);
    assert!(esc(f, fv(1.0, 0.0)));
}

#[test]
fn c10_type_switch_hash_search_and_interface_case_order() {
    let i = iface(&["M"]);
    let a = named_int("A", &["M"]);
    // case I before case A: takes I.
    let sw = TypeSwitch::new(&[Case::Type(i), Case::Type(a)]);
    assert_eq!(sw.select(&int_of(a, 1)), Some(0));
    // case A before case I: takes A.
    let sw = TypeSwitch::new(&[Case::Type(a), Case::Type(i)]);
    assert_eq!(sw.select(&int_of(a, 1)), Some(0));
    // 8 concrete cases: hash compares, then a pointer compare.
    let ts: Vec<&'static Type> = (0..8).map(|n| named_int(&format!("S{n}"), &[])).collect();
    let cases: Vec<Case> = ts.iter().map(|t| Case::Type(t)).collect();
    let sw = TypeSwitch::new(&cases);
    for (n, t) in ts.iter().enumerate() {
        assert_eq!(sw.select(&int_of(t, 0)), Some(n));
    }
    // Same name, different descriptor: same hash, pointer compare rejects it.
    let impostor = named_int("S3", &[]);
    assert_eq!(impostor.hash(), ts[3].hash());
    assert_eq!(sw.select(&int_of(impostor, 0)), None);
    // v, ok := e.(int) is a descriptor compare.
    assert!(Eface::from_int(1).assert2(types::int()).is_some());
}

#[test]
fn c11_method_order_slots_and_wrappers() {
    let t = named_int("T", &["b", "Z", "Ab", "A"]);
    let names: Vec<&str> = t.methods().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["A", "Ab", "Z", "b"]);
    let i = iface(&["Z", "b", "A", "Ab"]);
    let inames: Vec<&str> = i.imethods().iter().map(|m| m.name()).collect();
    assert_eq!(inames, ["A", "Ab", "Z", "b"]);
    // i.Z() calls fun[2].
    fn z(_: &Val, _: &[Eface], out: &mut [Eface]) {
        out[0] = Eface::from_string("Z");
    }
    let sig = types::func_of(&[], &[types::string()], false);
    let zi = types::interface_of(
        "main",
        &[
            IMethod::new("A", sig),
            IMethod::new("Ab", sig),
            IMethod::new("Z", sig),
        ],
    )
    .unwrap();
    let zt = Named::new("main", "ZT", types::int())
        .method(Method::new("Z", sig, z))
        .method(Method::new("A", sig, |_, _, o| {
            o[0] = Eface::from_string("A")
        }))
        .method(Method::new("Ab", sig, |_, _, o| {
            o[0] = Eface::from_string("Ab")
        }))
        .build()
        .unwrap();
    let v = Iface::convert(zi, &int_of(zt, 0)).unwrap();
    assert_eq!(v.method_index("Z"), Some(2));
    let mut out = [Eface::nil()];
    v.call(2, &[], &mut out);
    assert_eq!(out[0].data(), &Val::from("Z"));
    // Through *T, value methods sit behind a dereferencing wrapper.
    let pz = new_ptr(zt, Val::Int(0)).unwrap();
    let pv = assert_e2i(zi, &pz);
    assert!(matches!(pv.tab().unwrap().fun()[2], Some(ItabFn::Deref(_))));
    pv.call(2, &[], &mut out);
    assert_eq!(out[0].data(), &Val::from("Z"));
    // A nil *T calling a value method panics like Go's wrapper.
    let nilp = Eface::new(types::ptr_to(zt), Val::Pointer(None)).unwrap();
    let nv = assert_e2i(zi, &nilp);
    assert_eq!(
        panic_text(|| nv.call(2, &[], &mut [Eface::nil()])),
        "value method main.ZT.Z called using nil *ZT pointer"
    );
}
