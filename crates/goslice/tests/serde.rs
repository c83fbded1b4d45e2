//! `serde` for `Slice`: a sequence of its `len` elements, round trips
//! through JSON, and no leak when deserializing fails half-way.
#![cfg(feature = "serde")]

use std::cell::Cell;

use goslice::Slice;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

/// A `u32` that counts live instances.
#[derive(Debug, PartialEq)]
struct Tracked(u32);

impl Tracked {
    fn new(n: u32) -> Tracked {
        LIVE.with(|l| l.set(l.get() + 1));
        Tracked(n)
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Tracked {
        Tracked::new(self.0)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
    }
}

impl Serialize for Tracked {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Tracked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u32::deserialize(d).map(Tracked::new)
    }
}

fn live() -> isize {
    LIVE.with(|l| l.get())
}

#[test]
fn serializes_the_len_elements_of_the_window() {
    let a = Slice::from(vec![1, 2, 3, 4, 5]);
    assert_eq!(serde_json::to_string(&a).unwrap(), "[1,2,3,4,5]");
    // s := a[1:3:4]: len 2, cap 3; only the two elements are written.
    let s = a.slice3(1, 3, 4);
    assert_eq!(serde_json::to_string(&s).unwrap(), "[2,3]");
    assert_eq!(serde_json::to_string(&Slice::<u8>::nil()).unwrap(), "[]");
    assert_eq!(serde_json::to_string(&Slice::<u8>::empty()).unwrap(), "[]");
    assert_eq!(
        serde_json::to_string(&Slice::<u8>::make(2, 8)).unwrap(),
        "[0,0]"
    );
}

#[test]
fn round_trips() {
    let ints = Slice::from(vec![-1i64, 0, i64::MAX]);
    let back: Slice<i64> = serde_json::from_str(&serde_json::to_string(&ints).unwrap()).unwrap();
    assert_eq!(back, ints);
    assert_eq!((back.len(), back.cap()), (3, 3));
    assert!(!back.shares_array(&ints));

    let words = Slice::from(vec!["go".to_string(), "rust".to_string()]);
    let json = serde_json::to_string(&words).unwrap();
    assert_eq!(json, r#"["go","rust"]"#);
    let back: Slice<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, words);

    let nested = Slice::from(vec![
        Slice::from(vec![1u8, 2]),
        Slice::nil(),
        Slice::from(vec![3]),
    ]);
    let json = serde_json::to_string(&nested).unwrap();
    assert_eq!(json, "[[1,2],[],[3]]");
    let back: Slice<Slice<u8>> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back.get(0), [1, 2]);
    assert!(back.get(1).is_empty() && !back.get(1).is_nil());
    assert_eq!(back.get(2), [3]);
}

#[test]
fn empty_sequence_is_an_empty_non_nil_slice() {
    let s: Slice<u32> = serde_json::from_str("[]").unwrap();
    assert!(s.is_empty() && !s.is_nil());
    assert!(serde_json::from_str::<Slice<u32>>("null").is_err());
    assert!(serde_json::from_str::<Slice<u32>>("{}").is_err());
}

#[test]
fn elements_are_dropped_once() {
    {
        let s: Slice<Tracked> = serde_json::from_str("[1,2,3]").unwrap();
        assert_eq!(live(), 3);
        assert_eq!(s.get(2).0, 3); // a clone, dropped at once
        assert_eq!(live(), 3);
        assert_eq!(serde_json::to_string(&s).unwrap(), "[1,2,3]");
    }
    assert_eq!(live(), 0);
}

#[test]
fn a_failing_element_drops_the_ones_before_it() {
    let r = serde_json::from_str::<Slice<Tracked>>(r#"[1,2,"three",4]"#);
    assert!(r.is_err());
    assert_eq!(live(), 0);
    let r = serde_json::from_str::<Slice<Tracked>>("[1,2");
    assert!(r.is_err());
    assert_eq!(live(), 0);
}

/// A 16 MiB element, stored inline; deserializing one is never reached here.
struct Huge(#[allow(dead_code)] [u8; 1 << 24]);

impl<'de> Deserialize<'de> for Huge {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _ = u8::deserialize(d)?;
        Err(serde::de::Error::custom("no input builds a Huge"))
    }
}

/// An input that announces `claimed` elements but holds only `real` bytes.
struct Liar {
    real: usize,
    claimed: usize,
}

impl Iterator for Liar {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        if self.real == 0 {
            return None;
        }
        self.real -= 1;
        Some(7)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.claimed, Some(self.claimed))
    }
}

/// The length a format announces comes from untrusted input: deserializing
/// preallocates at most about 1 MiB for it, as serde's own `Vec` impl does
/// (`size_hint::cautious`), whatever the element size. An input announcing
/// 4096 elements of 16 MiB used to reserve 64 GiB before reading any (the
/// allocator refused and the process aborted).
#[test]
fn an_announced_length_preallocates_at_most_a_mebibyte() {
    use serde::de::value::{Error, SeqDeserializer};
    // A `Result<Huge, _>` takes 16 MiB of stack in unoptimised builds.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let s = Slice::<Huge>::deserialize(SeqDeserializer::<_, Error>::new(Liar {
                real: 0,
                claimed: 4096,
            }))
            .unwrap();
            assert!(s.is_empty() && !s.is_nil());
        })
        .unwrap()
        .join()
        .unwrap();
    // Honest small inputs still deserialize as before.
    let s = Slice::<u8>::deserialize(SeqDeserializer::<_, Error>::new(Liar {
        real: 3,
        claimed: 3,
    }))
    .unwrap();
    assert_eq!(s, [7, 7, 7]);
    assert_eq!(s.cap(), 3);
}
