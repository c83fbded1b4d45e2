//! The `slice` chapter: two headers over one array, the append that
//! surprises, and how Go 1.17 and Go 1.19 grow capacity.

use goslice::grow::{next_cap, Policy};
use goslice::Slice;

use crate::draw;

/// The elements of the whole capacity window of `s`, as cell labels.
fn window(s: &Slice<i64>) -> Vec<String> {
    s.slice(..s.cap()).iter().map(|v| v.to_string()).collect()
}

fn header(name: &str, s: &Slice<i64>) {
    println!("  {name}: len {} cap {}  {s}", s.len(), s.cap());
}

/// Capacities after each growth when appending one element at a time up to `upto`.
fn growth(policy: Policy, es: usize, upto: usize) -> Vec<usize> {
    let (mut len, mut cap, mut out) = (0, 0, Vec::new());
    while len < upto {
        if len == cap {
            cap = next_cap(policy, cap, len + 1, es);
            out.push(cap);
        }
        len += 1;
    }
    out
}

/// Runs the chapter.
pub fn run() {
    draw::section("Two headers over one array");
    draw::say(
        "A slice is a header {pointer, len, cap}. b := a[1:3] is a second header over a's array:",
    );
    let a = Slice::<i64>::make(4, 6);
    for i in 0..4 {
        a.set(i, (i as i64 + 1) * 10);
    }
    let b = a.slice(1..3);
    println!("{}", draw::cells(&window(&a)));
    header("a", &a);
    header("b", &b);
    draw::say("b[0] = 99 writes the shared array, so a sees it:");
    b.set(0, 99);
    header("a", &a);
    draw::say("b's cap runs to the end of the array, so b[:4] reaches past a's length:");
    header("b[:4]", &b.slice(..4));

    draw::section("The append that surprises");
    draw::say("x := make([]int64, 3, 4); y := append(x, 1); z := append(x, 2)");
    let x = Slice::<i64>::make(3, 4);
    let y = x.append(1);
    let z = x.append(2);
    println!("{}", draw::cells(&window(&x)));
    header("x", &x);
    header("y", &y);
    header("z", &z);
    draw::say("Both appends fit in x's capacity, so both wrote slot 3 of the same array:");
    draw::say(&format!(
        "y[3] == {} — the 1 was overwritten by z's append.",
        y.get(3)
    ));
    draw::say("w := append(z, 3) does not fit (len 4 == cap 4): Go allocates a new array,");
    draw::say("copies, and the old one stays with x, y and z. After w[0] = -1:");
    let w = z.append(3);
    w.set(0, -1);
    header("w", &w);
    header("z", &z);
    draw::say(&format!(
        "w shares z's array? {}. A full slice expression x[0:3:3] caps x so append must copy.",
        w.shares_array(&z)
    ));
    let safe = x.slice3(0, 3, 3).append(7);
    header("append(x[0:3:3], 7)", &safe);
    header("y (untouched)", &y);

    draw::section("How capacity grows: Go 1.17 vs Go 1.18/1.19");
    draw::say("Appending one element at a time from nil; the capacity after each growth.");
    draw::say("Go117: double below 1024, then +25%.  Go118: double below 256, then");
    draw::say("newcap += (newcap + 768) / 4.  Both then round up to a malloc size class.");
    for es in [1usize, 8, 24] {
        let old = growth(Policy::Go117, es, 5000);
        let new = growth(Policy::Go118, es, 5000);
        println!("\n  element size {es} bytes");
        println!("  {:>5} {:>8} {:>8}", "step", "Go117", "Go118");
        for i in 0..old.len().max(new.len()) {
            let f = |v: &Vec<usize>| v.get(i).map_or(String::from("-"), usize::to_string);
            println!("  {:>5} {:>8} {:>8}", i + 1, f(&old), f(&new));
        }
    }

    draw::section("Growth factor per step, []int64 (8-byte elements)");
    draw::say("Each bar is newcap/oldcap at the growth from that old capacity (full bar = 2.0x).");
    for old in [128usize, 256, 512, 848, 1024, 1280, 2048, 4096, 8192] {
        let g17 = next_cap(Policy::Go117, old, old + 1, 8) as f64 / old as f64;
        let g18 = next_cap(Policy::Go118, old, old + 1, 8) as f64 / old as f64;
        println!(
            "  cap {old:>5}  Go117 {} {g17:.2}x\n             Go118 {} {g18:.2}x",
            draw::bar(g17 - 1.0, 1.0, 30),
            draw::bar(g18 - 1.0, 1.0, 30)
        );
    }
    draw::say("\nGo 1.18's formula slides smoothly from 2x at 256 towards 1.25x; size classes");
    draw::say("make the real steps uneven (512 -> 848, not 832: 6656 B rounds up to 6784 B).");
}
