//! goslice benches: Go slices against `Vec` (and Go itself, via
//! `benches/go/goslice`).
//!
//! Dimensions (N = 10M u64, 1M with `--quick`):
//! - `append N u64 one by one`: `s.push(x)` (Go's `s = append(s, x)` in
//!   place), `s = s.append(x)` (a new header each time), `Vec::push`.
//! - `append N u64 in batches of 64`: `extend_from_slice` on both.
//! - `reslice s[i:i+16] N times`: `Slice::slice` (a new counted header) vs
//!   `&v[i..i + 16]` (a borrow), summing lengths; `... borrowed view`:
//!   `&xs[i..i + 16]` on the view `xs = s.as_slice()` taken once (code
//!   that only reads) vs the same `&v[i..i + 16]`.
//! - `copy 4096 u64 x N/4096`: `goslice::copy` between two slices vs
//!   `<[u64]>::copy_from_slice`.
//! - `get N u64`: `Slice::get` vs `v[i]`; `... borrowed view`: `xs[i]` on
//!   the view `xs = s.as_slice()` taken once vs the same `v[i]`.
//! - `memory N u64 appended one by one`: live bytes (CountingAlloc) once the
//!   N elements are in, for `Slice` (Go's growth: size classes, ~1.25x steps)
//!   and `Vec` (doubling), lower is better.

use std::hint::black_box;

use gort_benches::{allocated_bytes, Better, CountingAlloc, Suite};
use goslice::Slice;

#[global_allocator]
static A: CountingAlloc = CountingAlloc;

fn main() {
    let mut s = Suite::new("goslice");
    let n = s.size(10_000_000, 1_000_000);
    let reps = if s.quick() { 3 } else { 5 };

    let g = format!("append {}M u64 one by one", n / 1_000_000);
    s.throughput(
        &g,
        "goslice push",
        n as u64,
        reps,
        || (),
        |_| {
            let mut sl = Slice::<u64>::nil();
            for i in 0..n as u64 {
                sl.push(black_box(i));
            }
            sl
        },
    );
    s.throughput(
        &g,
        "goslice s = s.append(x)",
        n as u64,
        reps,
        || (),
        |_| {
            let mut sl = Slice::<u64>::nil();
            for i in 0..n as u64 {
                sl = sl.append(black_box(i));
            }
            sl
        },
    );
    s.throughput(
        &g,
        "Vec::push",
        n as u64,
        reps,
        || (),
        |_| {
            let mut v = Vec::<u64>::new();
            for i in 0..n as u64 {
                v.push(black_box(i));
            }
            v
        },
    );

    let batch: Vec<u64> = (0..64).collect();
    let g = format!("append {}M u64 in batches of 64", n / 1_000_000);
    s.throughput(
        &g,
        "goslice extend_from_slice",
        n as u64,
        reps,
        || (),
        |_| {
            let mut sl = Slice::<u64>::nil();
            for _ in 0..n / 64 {
                sl.extend_from_slice(black_box(&batch));
            }
            sl
        },
    );
    s.throughput(
        &g,
        "Vec::extend_from_slice",
        n as u64,
        reps,
        || (),
        |_| {
            let mut v = Vec::<u64>::new();
            for _ in 0..n / 64 {
                v.extend_from_slice(black_box(&batch));
            }
            v
        },
    );

    let base = Slice::<u64>::make(4096, 4096);
    let vbase = vec![0u64; 4096];
    let g = format!("reslice s[i:i+16] {}M times", n / 1_000_000);
    s.throughput(
        &g,
        "goslice slice",
        n as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0usize;
            for i in 0..n {
                let j = i & 4063;
                acc += black_box(&base).slice(j..j + 16).len();
            }
            acc
        },
    );
    s.throughput(
        &g,
        "Rust &v[i..i+16]",
        n as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0usize;
            for i in 0..n {
                let j = i & 4063;
                acc += black_box(&vbase)[j..j + 16].len();
            }
            acc
        },
    );

    // Code that only reads borrows once (`as_slice`); its own group, with
    // the Rust row again, so the ratio compares the two directly.
    let g = format!("reslice s[i:i+16] {}M times, borrowed view", n / 1_000_000);
    s.throughput(
        &g,
        "goslice as_slice()[i..i+16]",
        n as u64,
        reps,
        || (),
        |_| {
            let xs = base.as_slice();
            let mut acc = 0usize;
            for i in 0..n {
                let j = i & 4063;
                acc += black_box(&*xs)[j..j + 16].len();
            }
            acc
        },
    );
    s.throughput(
        &g,
        "Rust &v[i..i+16]",
        n as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0usize;
            for i in 0..n {
                let j = i & 4063;
                acc += black_box(&vbase)[j..j + 16].len();
            }
            acc
        },
    );

    let rounds = n / 4096;
    let src = Slice::from((0..4096u64).collect::<Vec<_>>());
    let dst = Slice::<u64>::make(4096, 4096);
    let vsrc: Vec<u64> = (0..4096).collect();
    let mut vdst = vec![0u64; 4096];
    let g = format!("copy 4096 u64 x {}", rounds);
    s.throughput(
        &g,
        "goslice copy",
        (rounds * 4096) as u64,
        reps,
        || (),
        |_| {
            let mut c = 0;
            for _ in 0..rounds {
                c += goslice::copy(black_box(&dst), black_box(&src));
            }
            c
        },
    );
    s.throughput(
        &g,
        "copy_from_slice",
        (rounds * 4096) as u64,
        reps,
        || (),
        |_| {
            for _ in 0..rounds {
                black_box(&mut vdst[..]).copy_from_slice(black_box(&vsrc));
            }
            vdst[4095]
        },
    );

    let big = Slice::from((0..4096u64).collect::<Vec<_>>());
    let g = format!("get {}M u64", n / 1_000_000);
    s.throughput(
        &g,
        "goslice get",
        n as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0u64;
            for i in 0..n {
                acc = acc.wrapping_add(black_box(&big).get(i & 4095));
            }
            acc
        },
    );
    s.throughput(
        &g,
        "Vec index",
        n as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0u64;
            for i in 0..n {
                acc = acc.wrapping_add(black_box(&vsrc)[i & 4095]);
            }
            acc
        },
    );

    let g = format!("get {}M u64, borrowed view", n / 1_000_000);
    s.throughput(
        &g,
        "goslice as_slice()[i]",
        n as u64,
        reps,
        || (),
        |_| {
            let xs = big.as_slice();
            let mut acc = 0u64;
            for i in 0..n {
                acc = acc.wrapping_add(black_box(&*xs)[i & 4095]);
            }
            acc
        },
    );
    s.throughput(
        &g,
        "Vec index",
        n as u64,
        reps,
        || (),
        |_| {
            let mut acc = 0u64;
            for i in 0..n {
                acc = acc.wrapping_add(black_box(&vsrc)[i & 4095]);
            }
            acc
        },
    );

    let g = format!("memory {}M u64 appended one by one", n / 1_000_000);
    let before = allocated_bytes();
    let mut sl = Slice::<u64>::nil();
    for i in 0..n as u64 {
        sl.push(i);
    }
    let bytes = allocated_bytes() - before;
    eprintln!("  (goslice cap {} for len {})", sl.cap(), sl.len());
    s.record(&g, "goslice", bytes as f64 / 1e6, "MB", Better::Lower);
    drop(sl);
    let before = allocated_bytes();
    let mut v = Vec::<u64>::new();
    for i in 0..n as u64 {
        v.push(i);
    }
    let bytes = allocated_bytes() - before;
    eprintln!("  (Vec capacity {} for len {})", v.capacity(), v.len());
    s.record(&g, "Vec", bytes as f64 / 1e6, "MB", Better::Lower);
    drop(v);

    s.finish();
}
