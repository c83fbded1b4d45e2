//! goiface benches: Go's interface operations.
//!
//! Dimensions: operation (assertion to an interface with a warm itab table,
//! to a concrete type, an 8-case type switch, a method call through an
//! interface without results and one returning an int, `==` on two `any` holding ints, a `map[any]int` lookup with
//! 1000 int keys). Peers: Go 1.19 (`benches/go/goiface`, the same program
//! shapes) and, where the shape matches, Rust's `dyn Any` downcast (concrete
//! assertion; type switch as a chain of `is::<T>()`) and a `dyn Trait` call.
//! As in the Go program, each iteration stores its result in a sink
//! (`black_box`) rather than summing it, so no loop-carried dependency
//! through memory is timed.

use std::any::Any;
use std::hint::black_box;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use goiface::{
    assert_e2i2, efaceeq, types, AnyMap, Case, Eface, IMethod, Iface, Method, Named, Type,
    TypeSwitch, Val,
};
use gort_benches::Suite;

/// Go's `sink`: where the methods leave their receiver.
static SINK: AtomicU64 = AtomicU64::new(0);

/// `func (t TS) Method1() { sink = int(t) }` (runtime/iface_test.go's
/// shape: no results).
fn method1(recv: &Val, _: &[Eface], _: &mut [Eface]) {
    if let Val::Uint(u) = recv {
        SINK.store(*u, Relaxed);
    }
}

/// `func (t TS) Method2() int { return int(t) }`: the shape Go users
/// write, a method returning a value.
fn method2(recv: &Val, _: &[Eface], out: &mut [Eface]) {
    if let Val::Uint(u) = recv {
        out[0] = Eface::from_int(*u as i64);
    }
}

trait Method1 {
    fn method1(&self);
    fn method2(&self) -> i64;
}

struct Ts(u16);

impl Method1 for Ts {
    #[inline(never)]
    fn method1(&self) {
        SINK.store(self.0 as u64, Relaxed);
    }
    #[inline(never)]
    fn method2(&self) -> i64 {
        self.0 as i64
    }
}

fn main() {
    let mut s = Suite::new("goiface");
    let n = s.size(2_000_000, 200_000) as u64;
    let reps = s.size(5, 2);

    let sig = types::func_of(&[], &[], false);
    let i1 = types::interface_of("main", &[IMethod::new("Method1", sig)]).unwrap();
    let ts = Named::new("main", "TS", types::uint16())
        .method(Method::new("Method1", sig, method1))
        .build()
        .unwrap();
    let e = Eface::new(ts, Val::Uint(7)).unwrap();
    let _ = assert_e2i2(i1, &e); // warm the itab table

    let g = "assert E2I warm itab";
    s.throughput(
        g,
        "goiface",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(assert_e2i2(black_box(i1), black_box(&e)).is_some());
            }
        },
    );

    let g = "assert E2T concrete";
    s.throughput(
        g,
        "goiface",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(black_box(&e).assert2(black_box(ts)).is_some());
            }
        },
    );
    let any: Box<dyn Any> = Box::new(7u16);
    s.throughput(
        g,
        "dyn Any downcast_ref",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(black_box(&any).downcast_ref::<u16>().is_some());
            }
        },
    );

    let g = "type switch 8 cases";
    let cases: Vec<&'static Type> = (0..8)
        .map(|k| {
            Named::new("main", &format!("T{k}"), types::int())
                .build()
                .unwrap()
        })
        .collect();
    let sw = TypeSwitch::new(&cases.iter().map(|t| Case::Type(t)).collect::<Vec<_>>());
    let e5 = Eface::new(cases[5], Val::Int(5)).unwrap();
    s.throughput(
        g,
        "goiface",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(sw.select(black_box(&e5)));
            }
        },
    );
    let any5: Box<dyn Any> = Box::new(5i32);
    s.throughput(
        g,
        "dyn Any is::<T>() chain",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                let a = black_box(&any5);
                black_box(if a.is::<u8>() {
                    0
                } else if a.is::<u16>() {
                    1
                } else if a.is::<u32>() {
                    2
                } else if a.is::<u64>() {
                    3
                } else if a.is::<i8>() {
                    4
                } else if a.is::<i32>() {
                    5
                } else if a.is::<i16>() {
                    6
                } else if a.is::<i64>() {
                    7
                } else {
                    9
                });
            }
        },
    );

    let g = "iface method call";
    let iv = Iface::convert(i1, &e).unwrap();
    s.throughput(
        g,
        "goiface",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(&iv).call(0, &[], &mut []);
            }
            SINK.load(Relaxed)
        },
    );
    let dt: Box<dyn Method1> = Box::new(Ts(7));
    s.throughput(
        g,
        "dyn Trait call",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(&dt).method1();
            }
            SINK.load(Relaxed)
        },
    );

    let g = "iface method call returning int";
    let sig2 = types::func_of(&[], &[types::int()], false);
    let i2 = types::interface_of("main", &[IMethod::new("Method2", sig2)]).unwrap();
    let ts2 = Named::new("main", "TS2", types::uint16())
        .method(Method::new("Method2", sig2, method2))
        .build()
        .unwrap();
    let iv2 = Iface::convert(i2, &Eface::new(ts2, Val::Uint(7)).unwrap()).unwrap();
    s.throughput(
        g,
        "goiface",
        n,
        reps,
        || [Eface::nil()],
        |mut out| {
            for _ in 0..n {
                black_box(&iv2).call(0, &[], &mut out);
                if let Val::Int(r) = out[0].data() {
                    black_box(*r);
                }
            }
            out
        },
    );
    s.throughput(
        g,
        "dyn Trait call",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(black_box(&dt).method2());
            }
        },
    );

    let g = "== on interfaces";
    let (a, b) = (Eface::from_int(1000), Eface::from_int(1000));
    s.throughput(
        g,
        "goiface",
        n,
        reps,
        || (),
        |_| {
            for _ in 0..n {
                black_box(efaceeq(black_box(&a), black_box(&b)));
            }
        },
    );

    let g = "map[any] lookup 1000 int keys";
    let mut m = AnyMap::make();
    let keys: Vec<Eface> = (0..1000).map(Eface::from_int).collect();
    for (k, key) in keys.iter().enumerate() {
        m.insert(key.clone(), k as i64);
    }
    s.throughput(
        g,
        "goiface",
        n,
        reps,
        || (),
        |_| {
            for k in 0..n as usize {
                black_box(m.get(black_box(&keys[k % 1000])).copied());
            }
        },
    );

    s.finish();
}
