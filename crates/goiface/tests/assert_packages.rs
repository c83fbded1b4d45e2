//! "(types from different packages)" versus "(types from different
//! scopes)": when a failed assertion's two types print alike, Go 1.19's
//! `TypeAssertionError.Error` compares the runtime's `_type.pkgpath()`,
//! which for an unnamed struct is the package of its unexported fields and
//! for an unnamed type with methods is `typePkg` (a pointer's named
//! element's package). Measured with go1.19 (packages `example.com/g2/p`
//! and `main`; `a/q` and `b/q` both declare `type T int` with a method `M`
//! and `type N int` without):
//!
//! ```text
//! p.V.(struct{ a int })        … is struct { a int }, not struct { a int } (types from different packages)
//! p.S.([]struct{ a int })      … is []struct { a int }, not []struct { a int } (types from different scopes)
//! p.E.(struct{ a int; q.T })   … (types from different scopes)   (promoted methods: uncommon, typePkg "")
//! p.PT.(*q.T)                  … is *q.T, not *q.T (types from different packages)
//! p.PN.(*q.N)                  … is *q.N, not *q.N (types from different scopes)
//! p.AT.([1]q.T)                … is [1]q.T, not [1]q.T (types from different scopes)
//! ```

use goiface::*;

fn m(_: &Val, _: &[Eface], _: &mut [Eface]) {}

fn text(from: &'static Type, to: &'static Type) -> String {
    let e = Eface::new(from, from.zero()).unwrap();
    e.try_assert(to).unwrap_err().to_string()
}

#[test]
fn same_text_types_name_their_difference_as_go_does() {
    let sig = types::func_of(&[], &[], false);
    let q_t = |path| {
        Named::new(path, "T", types::int())
            .method(Method::new("M", sig, m))
            .build()
            .unwrap()
    };
    let q_n = |path| Named::new(path, "N", types::int()).build().unwrap();
    let (at, bt) = (q_t("example.com/g2/a/q"), q_t("example.com/g2/b/q"));
    let (an, bn) = (q_n("example.com/g2/a/q"), q_n("example.com/g2/b/q"));
    let unexported = |pkg| types::struct_of(pkg, &[types::field("a", types::int())]).unwrap();
    let (sp, sm) = (unexported("example.com/g2/p"), unexported("main"));
    let pre = "interface conversion: interface {} is ";

    assert_eq!(
        text(sp, sm),
        format!("{pre}struct {{ a int }}, not struct {{ a int }} (types from different packages)")
    );
    assert_eq!(
        text(types::slice_of(sp), types::slice_of(sm)),
        format!(
            "{pre}[]struct {{ a int }}, not []struct {{ a int }} (types from different scopes)"
        )
    );
    let embedding = |pkg, t| {
        types::struct_of(pkg, &[types::field("a", types::int()), types::embedded(t)]).unwrap()
    };
    assert!(
        text(embedding("example.com/g2/p", at), embedding("main", bt)).ends_with(
            "is struct { a int; q.T }, not struct { a int; q.T } (types from different scopes)"
        )
    );
    assert_eq!(
        text(types::ptr_to(at), types::ptr_to(bt)),
        format!("{pre}*q.T, not *q.T (types from different packages)")
    );
    assert_eq!(
        text(types::ptr_to(an), types::ptr_to(bn)),
        format!("{pre}*q.N, not *q.N (types from different scopes)")
    );
    assert_eq!(
        text(types::array_of(1, at), types::array_of(1, bt)),
        format!("{pre}[1]q.T, not [1]q.T (types from different scopes)")
    );
    // Named types keep their own package, as before.
    assert_eq!(
        text(at, bt),
        format!("{pre}q.T, not q.T (types from different packages)")
    );
}
