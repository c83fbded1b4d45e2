//! Random operation sequences applied to `GoMap` and `std::collections::HashMap`,
//! compared after every step (iteration compared as sets).

use std::collections::{HashMap, HashSet};

use gocore::rand::FastRand;
use gomap::GoMap;

fn run(seed: u64, ops: usize, key_space: u64) {
    let mut r = FastRand::new(seed);
    let mut g: GoMap<u64, u64> = GoMap::new();
    let mut s: HashMap<u64, u64> = HashMap::new();
    for step in 0..ops {
        let k = r.next_u64() % key_space;
        match r.below(10) {
            0..=3 => assert_eq!(g.insert(k, step as u64), s.insert(k, step as u64)),
            4 | 5 => assert_eq!(g.remove(&k), s.remove(&k)),
            6 => assert_eq!(g.get(&k), s.get(&k)),
            7 => {
                *g.entry(k).or_insert(0) += 1;
                *s.entry(k).or_insert(0) += 1;
            }
            8 => {
                if r.below(50) == 0 {
                    let m = r.next_u64() % 3 + 2;
                    g.retain(|k, _| k % m != 0);
                    s.retain(|k, _| k % m != 0);
                } else {
                    assert_eq!(g.remove_entry(&k), s.remove_entry(&k));
                }
            }
            _ => {
                if r.below(200) == 0 {
                    g.clear();
                    s.clear();
                } else {
                    assert_eq!(g.contains_key(&k), s.contains_key(&k));
                }
            }
        }
        assert_eq!(g.len(), s.len());
        if step % 97 == 0 {
            let gi: HashSet<(u64, u64)> = g.iter().map(|(k, v)| (*k, *v)).collect();
            let si: HashSet<(u64, u64)> = s.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(gi, si);
            assert_eq!(g.iter().count(), s.len());
        }
    }
    let mut a: Vec<_> = g.into_iter().collect();
    let mut b: Vec<_> = s.into_iter().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn random_ops_match_std() {
    let (seeds, ops) = if cfg!(miri) { (1, 300) } else { (12, 10_000) };
    for seed in 0..seeds {
        run(seed, ops, 50);
        run(seed + 1000, ops, 2000);
        run(seed + 2000, ops, u64::MAX);
    }
}

#[test]
fn string_keys_match_std() {
    let n = if cfg!(miri) { 150 } else { 20_000 };
    let mut r = FastRand::new(9);
    let mut g: GoMap<String, usize> = GoMap::new();
    let mut s: HashMap<String, usize> = HashMap::new();
    for i in 0..n {
        let k = format!("key-{}", r.below(n as u32 / 2));
        if r.below(3) == 0 {
            assert_eq!(g.remove(k.as_str()), s.remove(k.as_str()));
        } else {
            assert_eq!(g.insert(k.clone(), i), s.insert(k, i));
        }
    }
    assert_eq!(g.len(), s.len());
    for (k, v) in &s {
        assert_eq!(g.get(k.as_str()), Some(v));
    }
}
