//! The `map` chapter (issue #3): Go's bucket map as it fills, grows and
//! evacuates, drawn from a live `gomap::GoMap`.

use std::hash::{BuildHasher, Hasher};

use gomap::GoMap;

use crate::draw;

/// The identity hash on `u64` keys, so the drawings are reproducible: the low
/// bits of a key pick its bucket and its top byte is its tophash.
#[derive(Clone, Default)]
struct Ident;

#[derive(Default)]
struct IdentHasher(u64);

impl Hasher for IdentHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ *b as u64;
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

impl BuildHasher for Ident {
    type Hasher = IdentHasher;
    fn build_hasher(&self) -> IdentHasher {
        IdentHasher(0)
    }
}

/// A key landing in bucket `i & 7`-ish with a varied, readable tophash.
fn key(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 29;
    x
}

fn label(t: u8) -> String {
    match t {
        0 => "·".into(), // emptyRest
        1 => "_".into(), // emptyOne
        2 => "X".into(), // evacuatedX
        3 => "Y".into(), // evacuatedY
        4 => "e".into(), // evacuatedEmpty
        t => format!("{t:02x}"),
    }
}

fn draw_array(name: &str, chains: &[Vec<[u8; 8]>]) {
    for (i, chain) in chains.iter().enumerate() {
        let rows: Vec<String> = chain
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&t| format!("{:>2}", label(t)))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        println!("  {name}[{i:>2}] {}", rows.join("  →ovf→  "));
    }
}

fn draw_map<S>(m: &GoMap<u64, u64, S>) {
    let s = m.stats();
    println!(
        "  B={} buckets={} len={} noverflow={} growing={}{}",
        s.b,
        s.buckets,
        s.len,
        s.noverflow,
        s.growing,
        if s.growing {
            format!(
                " (same-size: {}, evacuated {}/{})",
                s.same_size_growth, s.evacuated, s.old_buckets
            )
        } else {
            String::new()
        }
    );
    let d = m.tophash_dump();
    if !d.old_buckets.is_empty() {
        draw_array("old", &d.old_buckets);
    }
    draw_array("new", &d.buckets);
}

/// Runs the chapter.
pub fn run() {
    draw::section("A bucket: 8 tophash bytes, 8 keys, 8 values, an overflow pointer");
    draw::say(
        "Each slot's tophash is the top byte of its key's hash (bumped past 0..4, which mean",
    );
    draw::say("· emptyRest, _ emptyOne, X/Y evacuatedX/Y, e evacuatedEmpty). A lookup compares");
    draw::say("all 8 bytes in one 64-bit word (SWAR) and only then compares keys.");
    let layout: Vec<String> = ["tophash[8]", "k0..k7", "v0..v7", "overflow"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    println!("{}", draw::cells(&layout));
    let st = GoMap::<u64, u64>::new().stats();
    println!(
        "  GoMap<u64, u64>: bucket_size = {} bytes (Go: 144 on amd64)",
        st.bucket_size
    );

    draw::section("Filling a map: 1 bucket, then 2, 4 ... at load factor 6.5");
    let mut m: GoMap<u64, u64, Ident> = GoMap::with_hasher(Ident);
    let mut grew = Vec::new();
    for i in 1..=26u64 {
        let b = m.stats().b;
        m.insert(key(i), i);
        if m.stats().b != b {
            grew.push(i);
        }
        if i == 8 || i == 13 {
            println!("after insert #{i}:");
            draw_map(&m);
        }
    }
    println!("after insert #26:");
    draw_map(&m);
    println!("  B grew at inserts {grew:?} — Go 1.19 grows at the 9th and 14th too.");

    draw::section("Overflow chains");
    draw::say("Keys whose low bits agree share a bucket; past 8 entries a bucket chains an overflow bucket.");
    let mut o: GoMap<u64, u64, Ident> = GoMap::with_capacity_and_hasher(9, Ident);
    for i in 0..11u64 {
        o.insert((0x10 + i) << 56 | i << 4, i); // low bit 0: all in bucket 0
    }
    draw_map(&o);
    o.remove(&((0x10 + 3) << 56 | 3 << 4));
    o.remove(&((0x10 + 10) << 56 | 10 << 4));
    o.remove(&((0x10 + 9) << 56 | 9 << 4));
    println!("after deleting entries 3, 10 and 9 (a hole becomes _, a tail becomes ·):");
    draw_map(&o);

    draw::section("The moment growth starts");
    let mut g: GoMap<u64, u64, Ident> = GoMap::with_hasher(Ident);
    let mut i = 0;
    while !g.stats().growing || g.stats().b < 4 {
        i += 1;
        g.insert(key(i), i);
    }
    println!(
        "insert #{i} found count+1 > 6.5 × 2^B: a new array twice as big, nothing moved yet but"
    );
    println!("the bucket that insert touched and one more (growWork):");
    draw_map(&g);

    draw::section("Evacuation, write by write");
    draw::say("Every insert or delete while growing evacuates its own old bucket plus the one at");
    draw::say("nevacuate. Old bucket i splits into new i (X) and i + 2^oldB (Y).");
    let mut w = 0;
    while g.stats().growing {
        w += 1;
        i += 1;
        g.insert(key(i), i);
        let s = g.stats();
        let (done, total) = if s.growing {
            (s.evacuated, s.old_buckets)
        } else {
            (8, 8)
        };
        println!(
            "  write {w}: nevacuate {done:>2}/{total:<2} {}",
            draw::bar(done as f64, total as f64, 16)
        );
        if w == 2 && s.growing {
            draw_map(&g);
        }
    }
    println!("grow finished after {w} writes; the old array is freed:");
    draw_map(&g);

    draw::section("Two iterations start at different places");
    draw::say(
        "Each range picks a random start bucket and a random slot offset applied in every bucket:",
    );
    let small: GoMap<u64, u64> = (1..=20).map(|k| (k, k)).collect();
    for _ in 0..2 {
        let it = small.iter();
        let (bucket, offset) = it.start();
        let order: Vec<String> = it.map(|(k, _)| k.to_string()).collect();
        println!(
            "  start bucket {bucket}, offset {offset}: {}",
            order.join(" ")
        );
    }

    draw::section("Writing while iterating: the cursor");
    let mut c_map: GoMap<u64, u64> = (0..12).map(|k| (k, k)).collect();
    let mut c = c_map.cursor();
    let mut seen = Vec::new();
    while let Some((&k, _)) = c.next(&c_map) {
        seen.push(k);
        c_map.remove(&(k ^ 1)); // drop the partner: not yielded if not reached yet
        c_map.insert(100 + k, 0); // may or may not be yielded, never twice
    }
    println!("  yielded {seen:?}");
    println!(
        "  (each original key at most once; a partner deleted before it was reached never shows)"
    );
}
