//! Go 1.19's own tests, ported where they apply to goiface.
//!
//! Each module follows one Go file; each test names the Go test it follows.
//
// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file of the Go distribution.

mod common;

/// <https://github.com/golang/go/blob/go1.19/src/runtime/iface_test.go>
mod iface_test {
    use super::common::*;
    use goiface::*;

    struct Types {
        i1: &'static Type,
        i2: &'static Type,
        ts: &'static Type,
        tm: &'static Type,
        tl: &'static Type,
    }

    /// `I1`, `I2`, `TS uint16`, `TM uintptr`, `TL [2]uintptr` with Method1/Method2.
    fn setup() -> Types {
        let two = |name: &str, u: &'static Type| {
            Named::new("runtime_test", name, u)
                .method(Method::new("Method1", sig0(), nop))
                .method(Method::new("Method2", sig0(), nop))
                .build()
                .unwrap()
        };
        let m1 = IMethod::new("Method1", sig0());
        let m2 = IMethod::new("Method2", sig0());
        Types {
            i1: types::interface_of("runtime_test", &[m1]).unwrap(),
            i2: types::interface_of("runtime_test", &[m1, m2]).unwrap(),
            ts: two("TS", types::uint16()),
            tm: two("TM", types::uintptr()),
            tl: two("TL", types::array_of(2, types::uintptr())),
        }
    }

    /// Follows `TestCmpIfaceConcreteAlloc`: `e == ts`, `i1 == ts`, `e == 1`
    /// (the values; allocation counts do not apply).
    #[test]
    fn cmp_iface_concrete() {
        let t = setup();
        let ts = Eface::new(t.ts, Val::Uint(0)).unwrap();
        let e = Eface::nil();
        assert!(!efaceeq(&e, &ts));
        let i1 = Iface::nil(t.i1);
        assert!(!efaceeq(&i1.to_eface(), &ts));
        assert!(!efaceeq(&e, &Eface::from_int(1)));
        let i1 = Iface::convert(t.i1, &ts).unwrap();
        assert!(efaceeq(&i1.to_eface(), &ts));
    }

    /// Follows the conversions of `BenchmarkAssertE2I`/`I2I`/`E2T*`: each
    /// of TS, TM, TL converts to I1 and I2 and back.
    #[test]
    fn assert_round_trips() {
        let t = setup();
        let vals = [
            Eface::new(t.ts, Val::Uint(1)).unwrap(),
            Eface::new(t.tm, Val::Uint(2)).unwrap(),
            Eface::new(t.tl, Val::Array(vec![Val::Uint(3), Val::Uint(4)])).unwrap(),
        ];
        for e in &vals {
            let i2 = assert_e2i(t.i2, e);
            let i1 = assert_i2i(t.i1, &i2);
            assert!(efaceeq(&i1.to_eface(), e));
            assert_eq!(i1.try_assert(e.typ().unwrap()).unwrap(), e.data());
        }
    }

    /// Follows `TestZeroConvT2x`'s values: zero values of each shape convert
    /// and compare equal to a second conversion.
    #[test]
    fn zero_conv_t2x() {
        for t in [
            types::uint16(),
            types::uint32(),
            types::uint64(),
            types::string(),
            types::slice_of(types::uint8()),
            types::array_of(4, types::uintptr()),
        ] {
            let a = Eface::new(t, t.zero()).unwrap();
            let b = Eface::new(t, t.zero()).unwrap();
            if t.comparable() {
                assert!(efaceeq(&a, &b));
            }
            assert_eq!(a.data(), &t.zero());
        }
    }
}

/// <https://github.com/golang/go/blob/go1.19/src/reflect/all_test.go>
mod reflect_all_test {
    use super::common::*;
    use goiface::*;

    /// Follows `TestCanSetField`.
    #[test]
    fn can_set_field() {
        let xx = |pkg| {
            types::struct_of(
                pkg,
                &[
                    types::field("x", types::int()),
                    types::field("X", types::int()),
                ],
            )
            .unwrap()
        };
        let embed = Named::new("reflect_test", "embed", xx("reflect_test"))
            .build()
            .unwrap();
        let embed_x = Named::new("reflect_test", "Embed", xx("reflect_test"))
            .build()
            .unwrap();
        let s = |name: &str, emb: &'static Type| {
            Named::new(
                "reflect_test",
                name,
                types::struct_of(
                    "reflect_test",
                    &[
                        types::embedded(emb),
                        types::field("x", types::int()),
                        types::field("X", types::int()),
                    ],
                )
                .unwrap(),
            )
            .build()
            .unwrap()
        };
        let s1 = s("S1", embed);
        let s2 = s("S2", types::ptr_to(embed));
        let s3 = s("S3", embed_x);
        let s4 = s("S4", types::ptr_to(embed_x));
        let zero_xx = || Val::Struct(vec![Val::Int(0), Val::Int(0)]);
        let ptr_xx = || Val::Pointer(Some(Pointer::new(zero_xx())));
        let vals = [
            (s1, Val::Struct(vec![zero_xx(), Val::Int(0), Val::Int(0)])),
            (s2, Val::Struct(vec![ptr_xx(), Val::Int(0), Val::Int(0)])),
            (s3, Val::Struct(vec![zero_xx(), Val::Int(0), Val::Int(0)])),
            (s4, Val::Struct(vec![ptr_xx(), Val::Int(0), Val::Int(0)])),
        ];
        // (index path, canSet); -1 means Addr().Elem().
        let s1_cases: &[(&[i32], bool)] = &[
            (&[0], false),
            (&[0, -1], false),
            (&[0, 0], false),
            (&[0, 0, -1], false),
            (&[0, -1, 0], false),
            (&[0, -1, 0, -1], false),
            (&[0, 1], true),
            (&[0, 1, -1], true),
            (&[0, -1, 1], true),
            (&[0, -1, 1, -1], true),
            (&[1], false),
            (&[1, -1], false),
            (&[2], true),
            (&[2, -1], true),
        ];
        let exported_cases: &[(&[i32], bool)] = &[
            (&[0], true),
            (&[0, -1], true),
            (&[0, 0], false),
            (&[0, 0, -1], false),
            (&[0, -1, 0], false),
            (&[0, -1, 0, -1], false),
            (&[0, 1], true),
            (&[0, 1, -1], true),
            (&[0, -1, 1], true),
            (&[0, -1, 1, -1], true),
            (&[1], false),
            (&[2], true),
        ];
        for (k, (t, v)) in vals.into_iter().enumerate() {
            let cases = if k < 2 { s1_cases } else { exported_cases };
            let root = value_of(&new_ptr(t, v).unwrap());
            for (path, want) in cases {
                let mut f = root.clone();
                for &i in path.iter() {
                    if f.kind() == Kind::Pointer {
                        f = f.elem();
                    }
                    f = if i == -1 {
                        f.addr().elem()
                    } else {
                        f.field(i as usize)
                    };
                }
                assert_eq!(f.can_set(), *want, "{t} {path:?}");
            }
        }
    }

    /// Follows `TestNilPtrValueSub`: `ValueOf((*int)(nil)).Elem()` is invalid.
    #[test]
    fn nil_ptr_value_sub() {
        let pi = Eface::new(types::ptr_to(types::int()), Val::Pointer(None)).unwrap();
        assert!(!value_of(&pi).elem().is_valid());
    }

    /// Follows `TestInterfaceExtraction`: a struct's interface field read
    /// through `Indirect(ValueOf(&s)).Field(0).Interface()` is the stored value.
    #[test]
    fn interface_extraction() {
        let w = Named::new("io", "Writer", iface(&["Write"]))
            .build()
            .unwrap();
        let s = types::struct_of("reflect_test", &[types::field("W", w)]).unwrap();
        let stdout = named_int("File", &["Write"]);
        let inner = int_of(stdout, 1);
        let sv = new_ptr(s, Val::Struct(vec![Val::from(inner.clone())])).unwrap();
        let got = value_of(&sv).elem().field(0).interface();
        assert!(efaceeq(&got, &inner));
    }

    /// Follows `TestSetValue`'s int rows: `Elem().Set(ValueOf(x))` stores x.
    #[test]
    fn set_value() {
        for (t, v) in [
            (types::int(), Val::Int(132)),
            (types::int8(), Val::Int(8)),
            (types::uint16(), Val::Uint(16)),
            (types::float64(), Val::Float(256.25)),
            (types::string(), Val::from("stringy cheese")),
            (types::bool(), Val::Bool(true)),
        ] {
            let p = new_ptr(t, t.zero()).unwrap();
            let x = Eface::new(t, v.clone()).unwrap();
            value_of(&p).elem().set(&value_of(&x));
            assert_eq!(value_of(&p).elem().val(), v);
        }
    }

    /// Follows `TestInterfaceSet`: setting an `any` field through `Elem()`.
    #[test]
    fn interface_set() {
        let s = types::struct_of("reflect_test", &[types::field("I", types::any())]).unwrap();
        let p = new_ptr(s, s.zero()).unwrap();
        let f = value_of(&p).elem().field(0);
        f.set(&value_of(&Eface::from_int(22)));
        assert_eq!(f.elem().kind(), Kind::Int);
        assert_eq!(f.elem().val(), Val::Int(22));
        assert!(efaceeq(&f.interface(), &Eface::from_int(22)));
    }

    /// Follows `TestUnexported`'s rule: unexported fields can be read but
    /// not extracted with Interface().
    #[test]
    fn unexported() {
        let s = types::struct_of("reflect_test", &[types::field("x", types::int())]).unwrap();
        let v = value_of(&Eface::new(s, Val::Struct(vec![Val::Int(3)])).unwrap());
        assert_eq!(v.field(0).val(), Val::Int(3));
        assert!(!v.field(0).can_interface());
        assert!(!panic_text(|| v.field(0).interface()).is_empty());
    }
}
