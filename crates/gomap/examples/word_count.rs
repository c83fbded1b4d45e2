//! Word count on a `GoMap`, the classic first Go map program.
//!
//! Counts the words of a text with the entry API, prints the most frequent
//! ones, and shows two Go behaviours: iteration order changes from one
//! `range` to the next, and deleting while iterating (with a `Cursor`) is
//! allowed, as `for k := range m { delete(m, k) }` is in Go.
//!
//! Run: `cargo run -p gomap --example word_count`

use gomap::GoMap;

const TEXT: &str = "Do not communicate by sharing memory; instead, share memory by \
communicating. Channels orchestrate; mutexes serialize. The bigger the interface, \
the weaker the abstraction. Make the zero value useful. Clear is better than \
clever. A little copying is better than a little dependency.";

fn main() {
    let mut counts: GoMap<String, usize> = GoMap::new();
    for word in TEXT
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }

    let mut top: Vec<(&String, &usize)> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = top
        .iter()
        .take(4)
        .map(|(w, n)| format!("{w}={n}"))
        .collect();
    println!(
        "{} distinct words; most frequent: {}",
        counts.len(),
        top.join(" ")
    );
    assert_eq!(counts["the"], 5);
    assert_eq!(counts["memory"], 2);
    assert_eq!(counts["better"], 2);

    // Go randomises where each range starts: two walks rarely agree.
    let first: Vec<&String> = counts.keys().collect();
    let differs = (0..10).any(|_| counts.keys().collect::<Vec<_>>() != first);
    println!("iteration order differs between walks: {differs}");

    // Delete every word seen once while walking the map.
    let mut cursor = counts.cursor();
    while let Some((word, n)) = cursor.next(&counts) {
        if *n == 1 {
            let word = word.clone();
            counts.remove(&word);
        }
    }
    assert!(counts.values().all(|&n| n > 1));
    println!("{} words appear more than once", counts.len());
}
