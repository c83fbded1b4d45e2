//! Differential fuzzing of `goslice::Slice` against a model of backing arrays
//! and headers: random make/nil/from_vec/append/push/slice/slice3/set/get/
//! copy/clone/drop sequences; after every step each live header's len, cap,
//! nil-ness and elements, and which headers share an array, must agree with
//! the model. Growth capacities come from `grow::next_cap` (itself checked
//! against Go 1.19 by tests/go_oracle.rs).
#![no_main]

use arbitrary::Arbitrary;
use goslice::grow::{next_cap, Policy};
use goslice::{BoundsError, Slice};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Nil,
    Empty,
    Make { len: u8, extra: u8 },
    FromVec { n: u8 },
    Append { h: u8, v: u32 },
    AppendMany { h: u8, n: u8, v: u32 },
    AppendFrom { h: u8, src: u8 },
    Push { h: u8, v: u32 },
    Slice { h: u8, lo: u16, hi: Option<u16> },
    Slice3 { h: u8, lo: u16, hi: u16, max: u16 },
    Set { h: u8, i: u16, v: u32 },
    Get { h: u8, i: u16 },
    Copy { dst: u8, src: u8 },
    Clone { h: u8 },
    Drop { h: u8 },
    WithZero { h: u8 },
}

/// A backing array: slots (`None` = never written) and whether the array
/// knows `T::default`.
struct Array {
    slots: Vec<Option<u32>>,
    zero: bool,
}

#[derive(Clone, Copy, Debug)]
struct Header {
    arr: Option<usize>,
    nil: bool,
    off: usize,
    len: usize,
    cap: usize,
}

struct Model {
    arrays: Vec<Array>,
}

impl Model {
    fn new_array(&mut self, slots: Vec<Option<u32>>, zero: bool) -> usize {
        self.arrays.push(Array { slots, zero });
        self.arrays.len() - 1
    }

    fn elems(&self, h: &Header) -> Vec<u32> {
        match h.arr {
            None => vec![],
            Some(a) => self.arrays[a].slots[h.off..h.off + h.len]
                .iter()
                .map(|x| x.expect("window slots are written"))
                .collect(),
        }
    }

    fn append(&mut self, h: &Header, vs: &[u32]) -> Header {
        let need = h.len + vs.len();
        if need <= h.cap {
            if vs.is_empty() {
                return *h;
            }
            let a = h.arr.unwrap();
            for (k, &v) in vs.iter().enumerate() {
                self.arrays[a].slots[h.off + h.len + k] = Some(v);
            }
            return Header { len: need, ..*h };
        }
        let cap = next_cap(Policy::Go118, h.cap, need, 4);
        let mut slots = vec![None; cap];
        for (k, v) in self
            .elems(h)
            .into_iter()
            .chain(vs.iter().copied())
            .enumerate()
        {
            slots[k] = Some(v);
        }
        let zero = h.arr.is_some_and(|a| self.arrays[a].zero);
        let a = self.new_array(slots, zero);
        Header {
            arr: Some(a),
            nil: false,
            off: 0,
            len: need,
            cap,
        }
    }

    /// `Ok(None)`: the real call would panic for lack of a zero value.
    fn sub(&mut self, h: &Header, lo: usize, hi: usize, max: usize) -> Option<Header> {
        match h.arr {
            None => Some(Header {
                len: 0,
                cap: 0,
                ..*h
            }),
            Some(a) => {
                let arr = &mut self.arrays[a];
                let end = h.off + hi;
                if arr.slots[..end].iter().any(Option::is_none) {
                    if !arr.zero {
                        return None;
                    }
                    for s in &mut arr.slots[..end] {
                        s.get_or_insert(0);
                    }
                }
                Some(Header {
                    arr: Some(a),
                    nil: false,
                    off: h.off + lo,
                    len: hi - lo,
                    cap: max - lo,
                })
            }
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut m = Model { arrays: Vec::new() };
    let mut live: Vec<(Header, Slice<u32>)> = Vec::new();
    let pick = |n: u8, len: usize| {
        if len == 0 {
            None
        } else {
            Some(n as usize % len)
        }
    };
    for op in ops.into_iter().take(200) {
        match op {
            Op::Nil => live.push((
                Header {
                    arr: None,
                    nil: true,
                    off: 0,
                    len: 0,
                    cap: 0,
                },
                Slice::nil(),
            )),
            Op::Empty => live.push((
                Header {
                    arr: None,
                    nil: false,
                    off: 0,
                    len: 0,
                    cap: 0,
                },
                Slice::empty(),
            )),
            Op::Make { len, extra } => {
                let (len, cap) = (len as usize, len as usize + extra as usize);
                // make allocates (and remembers the zero value) even for cap 0.
                let a = m.new_array(vec![Some(0); cap], true);
                let h = Header {
                    arr: Some(a),
                    nil: false,
                    off: 0,
                    len,
                    cap,
                };
                live.push((h, Slice::make(len, cap)));
            }
            Op::FromVec { n } => {
                let v: Vec<u32> = (0..n as u32).collect();
                let h = if n == 0 {
                    Header {
                        arr: None,
                        nil: false,
                        off: 0,
                        len: 0,
                        cap: 0,
                    }
                } else {
                    let a = m.new_array(v.iter().map(|&x| Some(x)).collect(), false);
                    Header {
                        arr: Some(a),
                        nil: false,
                        off: 0,
                        len: v.len(),
                        cap: v.len(),
                    }
                };
                live.push((h, Slice::from(v)));
            }
            Op::Append { h, v } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                let nh = m.append(&live[i].0, &[v]);
                let s = live[i].1.append(v);
                live.push((nh, s));
            }
            Op::AppendMany { h, n, v } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                let vs: Vec<u32> = (0..n as u32).map(|k| v.wrapping_add(k)).collect();
                let nh = m.append(&live[i].0, &vs);
                let s = if n % 2 == 0 {
                    live[i].1.append_slice(&vs)
                } else {
                    live[i].1.append_vec(vs)
                };
                live.push((nh, s));
            }
            Op::AppendFrom { h, src } => {
                let (Some(i), Some(j)) = (pick(h, live.len()), pick(src, live.len())) else {
                    continue;
                };
                let vs = m.elems(&live[j].0);
                let nh = m.append(&live[i].0, &vs);
                let s = live[i].1.append_from(&live[j].1);
                live.push((nh, s));
            }
            Op::Push { h, v } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                let nh = m.append(&live[i].0, &[v]);
                live[i].1.push(v);
                live[i].0 = nh;
            }
            Op::Slice { h, lo, hi } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                let hd = live[i].0;
                let (lo, hi) = (lo as usize % 300, hi.map_or(hd.len, |x| x as usize % 300));
                if hi > hd.cap {
                    assert_eq!(
                        live[i].1.try_slice(lo..hi).unwrap_err(),
                        BoundsError::SliceAcap { hi, cap: hd.cap }
                    );
                } else if lo > hi {
                    assert_eq!(
                        live[i].1.try_slice(lo..hi).unwrap_err(),
                        BoundsError::SliceB { lo, hi }
                    );
                } else if let Some(nh) = m.sub(&hd, lo, hi, hd.cap) {
                    let s = live[i].1.slice(lo..hi);
                    live.push((nh, s));
                }
            }
            Op::Slice3 { h, lo, hi, max } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                let hd = live[i].0;
                let (lo, hi, max) = (lo as usize % 300, hi as usize % 300, max as usize % 300);
                if max > hd.cap {
                    let r = live[i].1.try_slice3(lo, hi, max);
                    assert_eq!(r.unwrap_err(), BoundsError::Slice3Acap { max, cap: hd.cap });
                } else if hi > max {
                    let r = live[i].1.try_slice3(lo, hi, max);
                    assert_eq!(r.unwrap_err(), BoundsError::Slice3B { hi, max });
                } else if lo > hi {
                    let r = live[i].1.try_slice3(lo, hi, max);
                    assert_eq!(r.unwrap_err(), BoundsError::Slice3C { lo, hi });
                } else if let Some(nh) = m.sub(&hd, lo, hi, max) {
                    let s = live[i].1.try_slice3(lo, hi, max).expect("valid bounds");
                    live.push((nh, s));
                }
            }
            Op::Set { h, i, v } => {
                let Some(k) = pick(h, live.len()) else {
                    continue;
                };
                let hd = live[k].0;
                let i = i as usize % 300;
                let r = live[k].1.try_set(i, v);
                if i < hd.len {
                    assert_eq!(r, Ok(()));
                    m.arrays[hd.arr.unwrap()].slots[hd.off + i] = Some(v);
                } else {
                    assert_eq!(
                        r,
                        Err(BoundsError::Index {
                            index: i,
                            len: hd.len
                        })
                    );
                }
            }
            Op::Get { h, i } => {
                let Some(k) = pick(h, live.len()) else {
                    continue;
                };
                let hd = live[k].0;
                let i = i as usize % 300;
                let want = if i < hd.len {
                    Ok(m.elems(&hd)[i])
                } else {
                    Err(BoundsError::Index {
                        index: i,
                        len: hd.len,
                    })
                };
                assert_eq!(live[k].1.try_get(i), want);
            }
            Op::Copy { dst, src } => {
                let (Some(i), Some(j)) = (pick(dst, live.len()), pick(src, live.len())) else {
                    continue;
                };
                let (d, s) = (live[i].0, live[j].0);
                let vs = m.elems(&s);
                let n = d.len.min(s.len);
                for (k, v) in vs.into_iter().take(n).enumerate() {
                    m.arrays[d.arr.unwrap()].slots[d.off + k] = Some(v);
                }
                assert_eq!(goslice::copy(&live[i].1, &live[j].1), n);
            }
            Op::Clone { h } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                let c = (live[i].0, live[i].1.clone());
                live.push(c);
            }
            Op::Drop { h } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                live.swap_remove(i);
            }
            Op::WithZero { h } => {
                let Some(i) = pick(h, live.len()) else {
                    continue;
                };
                if let Some(a) = live[i].0.arr {
                    m.arrays[a].zero = true;
                }
                live[i].1 = live[i].1.clone().with_zero();
            }
        }
        // Compare every header with the model.
        for (k, (h, s)) in live.iter().enumerate() {
            assert_eq!(
                (s.len(), s.cap(), s.is_nil()),
                (h.len, h.cap, h.nil),
                "header {k}: {h:?}"
            );
            assert_eq!(s.to_vec(), m.elems(h), "header {k} elements: {h:?}");
        }
        for (a, sa) in &live {
            for (b, sb) in &live {
                let same = a.arr.is_some() && a.arr == b.arr;
                assert_eq!(sa.shares_array(sb), same, "sharing of {a:?} and {b:?}");
            }
        }
        if live.len() > 40 {
            live.drain(..20);
        }
    }
});
