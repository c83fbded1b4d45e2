//! Huge pointer-holding types. Go 1.19 describes the pointers of a type past
//! 16 Ki pointer words with a GC program (`kindGCProg`); goiface keeps only
//! bitmaps, so it builds them up to `MAX_PTRMASK_WORDS` words and rejects a
//! larger type with `TypeError::Layout`. `[1<<40]*int` used to walk 2^40
//! elements and ask for a 128 GiB bitmap (a hang, then an allocation abort).

use goiface::*;

/// `[1<<40]*int`, `[1<<40][]byte` and a struct holding one are errors at once;
/// the same lengths of pointer-free or zero-size elements are fine.
#[cfg_attr(miri, ignore)] // builds an 8 Mi-word bitmap: hours under Miri
#[test]
fn huge_pointer_arrays_are_an_error_not_a_hang() {
    let p = types::ptr_to(types::int());
    for elem in [p, types::slice_of(types::uint8()), types::any()] {
        let e = types::try_array_of(1 << 40, elem).unwrap_err();
        assert!(matches!(e, TypeError::Layout(_)), "{e:?}");
        // On 32-bit hosts the array is already too large for 386.
        if cfg!(target_pointer_width = "64") {
            assert!(e.to_string().contains("GC program"), "{e}");
        }
    }
    if cfg!(target_pointer_width = "64") {
        let ints = types::try_array_of(1 << 40, types::int()).unwrap();
        assert_eq!((ints.ptrdata(), ints.gcdata()), (0, &[][..]));
    }
    let empty = types::struct_of("main", &[]).unwrap();
    // (On 32-bit hosts a length must fit 386's int.)
    let n = if cfg!(target_pointer_width = "64") {
        1 << 40
    } else {
        1 << 30
    };
    assert_eq!(types::try_array_of(n, empty).unwrap().size(), 0);
    // Nesting cannot get around the limit.
    let a = types::try_array_of(MAX_PTRMASK_WORDS, p).unwrap();
    assert!(types::try_array_of(2, a).is_err());
    assert!(types::struct_of("main", &[types::field("a", a), types::field("b", p)]).is_err());
}

/// At the limit the bitmap is exact: every word a pointer.
#[cfg_attr(miri, ignore)] // builds an 8 Mi-word bitmap: hours under Miri
#[test]
fn bitmap_at_the_limit_is_complete() {
    let a = types::try_array_of(MAX_PTRMASK_WORDS, types::ptr_to(types::int())).unwrap();
    let bits = a.gcdata();
    assert_eq!(bits.len() as u64, MAX_PTRMASK_WORDS / 8);
    assert!(bits.iter().all(|&b| b == 0xff));
    let s = types::try_array_of(MAX_PTRMASK_WORDS / 2, types::string()).unwrap();
    assert!(s.gcdata().iter().all(|&b| b == 0b0101_0101));
}
