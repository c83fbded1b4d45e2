//! Deeply nested types. Go's `reflect.ArrayOf`/`StructOf` (and gc) accept
//! `[1][1]…[1]int` at any depth; goiface recurses through arrays and structs
//! (layout, zero values, `==`, hashing, dropping), so it stops at
//! `MAX_NESTING` with a clear `TypeError` instead of overflowing the stack
//! (which it did a little past 1,000 levels in a debug build).

use goiface::*;

/// `[1]t` or `struct{ x t }`, alternately.
fn wrap(t: &'static Type, i: u32) -> Result<&'static Type, TypeError> {
    if i % 2 == 0 {
        types::try_array_of(1, t)
    } else {
        types::struct_of("main", &[types::field("x", t)])
    }
}

/// Up to `MAX_NESTING` levels every operation works, as in Go.
#[cfg_attr(miri, ignore)] // the limit cannot shrink: minutes under Miri
#[test]
fn max_nesting_levels_work() {
    let mut t = types::int();
    for i in 0..MAX_NESTING {
        t = wrap(t, i).unwrap();
    }
    let a = Eface::new(t, t.zero()).unwrap();
    let b = Eface::new(t, t.zero()).unwrap();
    assert!(efaceeq(&a, &b));
    assert_eq!(nilinterhash(&a, 7), nilinterhash(&b, 7));
    assert_eq!(t.size(), types::int().size());
    // A pointer holds its element out of line: nesting starts again.
    let p = types::ptr_to(t);
    assert!(wrap(p, 0).is_ok() && wrap(p, 1).is_ok());
}

/// One more level (and thousands more) is an error, never a stack overflow.
#[cfg_attr(miri, ignore)] // the limit cannot shrink: minutes under Miri
#[test]
fn deeper_nesting_is_an_error() {
    let mut t = types::int();
    for i in 0..MAX_NESTING {
        t = wrap(t, i).unwrap();
    }
    for i in 0..2 {
        let e = wrap(t, i).unwrap_err();
        assert!(matches!(e, TypeError::Layout(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "type nests arrays and structs {} deep (at most {MAX_NESTING})",
                MAX_NESTING + 1
            )
        );
    }
    // A struct with a deep field among shallow ones, and `array_of`'s panic.
    let e = types::struct_of(
        "main",
        &[types::field("a", types::int()), types::field("b", t)],
    );
    assert!(e.is_err());
    let r = std::panic::catch_unwind(|| types::array_of(1, t));
    assert!(r.is_err());
    // The old failure: building 5,000 levels one at a time.
    let mut u = types::int();
    let mut first_err = None;
    for i in 0..5000 {
        match wrap(u, i) {
            Ok(n) => u = n,
            Err(_) => {
                first_err.get_or_insert(i);
            }
        }
    }
    assert_eq!(first_err, Some(MAX_NESTING));
}
