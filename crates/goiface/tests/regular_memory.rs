//! `tflagRegularMemory` as Go 1.19's compiler sets it (`types.AlgType`:
//! AMEM). An array of no elements of any comparable type is plain memory,
//! whatever the element (`[0]string`, `[0]float64`, `[0]any`), and so is a
//! struct built only of such fields. Measured with go1.19 by reading the
//! tflag byte of each descriptor (`2*PtrSize+4`), same on amd64 and 386
//! (10 = extraStar | regularMemory, 2 = extraStar):
//!
//! ```text
//! [0]string 10   [1]string 2   [0]float64 10   [1]float64 2   [2]float64 2
//! [0][]int 2     [0]any 10     struct{} 10     struct{x [0]string} 10
//! struct{f float64} 2          struct{a int64; b [0]float64} 2 (padded)
//! struct{b [0]float64; a int64} 10             struct{_ int} 2
//! struct{a, b int32} 10        [1]struct{f float32} 2
//! struct{a [0]string; b int} 10
//! ```

use goiface::*;

fn st(fs: &[(&str, &'static Type)]) -> &'static Type {
    let fields: Vec<_> = fs.iter().map(|(n, t)| types::field(n, t)).collect();
    types::struct_of("main", &fields).unwrap()
}

#[test]
fn regular_memory_flags_match_go() {
    let a0 = |t| types::array_of(0, t);
    let rows: Vec<(&str, &'static Type, u8)> = vec![
        ("[0]string", a0(types::string()), 10),
        ("[1]string", types::array_of(1, types::string()), 2),
        ("[0]float64", a0(types::float64()), 10),
        ("[1]float64", types::array_of(1, types::float64()), 2),
        ("[2]float64", types::array_of(2, types::float64()), 2),
        ("[0][]int", a0(types::slice_of(types::int())), 2),
        ("[0]any", a0(types::any()), 10),
        ("struct{}", st(&[]), 10),
        ("struct{x [0]string}", st(&[("x", a0(types::string()))]), 10),
        ("struct{f float64}", st(&[("f", types::float64())]), 2),
        (
            "struct{a int64; b [0]float64}",
            st(&[("a", types::int64()), ("b", a0(types::float64()))]),
            2,
        ),
        (
            "struct{b [0]float64; a int64}",
            st(&[("b", a0(types::float64())), ("a", types::int64())]),
            10,
        ),
        ("struct{_ int}", st(&[("_", types::int())]), 2),
        (
            "struct{a, b int32}",
            st(&[("a", types::int32()), ("b", types::int32())]),
            10,
        ),
        (
            "[1]struct{f float32}",
            types::array_of(1, st(&[("f", types::float32())])),
            2,
        ),
        (
            "struct{a [0]string; b int}",
            st(&[("a", a0(types::string())), ("b", types::int())]),
            10,
        ),
    ];
    for (name, t, want) in rows {
        assert_eq!(t.tflag(), want, "{name}");
        assert_eq!(t.is_regular_memory(), want & 8 != 0, "{name}");
    }
}

/// Values of such a type still compare and hash consistently.
#[test]
fn zero_length_arrays_compare_equal_and_hash_alike() {
    let t = types::array_of(0, types::string());
    let a = Eface::new(t, Val::Array(vec![])).unwrap();
    let b = Eface::new(t, Val::Array(vec![])).unwrap();
    assert!(efaceeq(&a, &b));
    assert_eq!(nilinterhash(&a, 5), nilinterhash(&b, 5));
}
