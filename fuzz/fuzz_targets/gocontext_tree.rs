//! Differential fuzzing of gocontext's cancellation tree on a virtual clock.
//!
//! Random trees (cancel, deadline, value and without-cancel nodes under any
//! earlier node), random cancels, random done() calls and random clock
//! advances, compared after every step against a plain model: each node's
//! `err`, `deadline_reading`, a value lookup, each cancel node's child count,
//! and the number of armed timers (a cancelled or expired deadline leaves the
//! heap at once).
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use gocontext::{
    background, with_cancel, with_deadline_on, with_value, without_cancel, CancelFunc, Context,
    Error, ManualClock, Timers,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Cancel { parent: u8 },
    Deadline { parent: u8, at: u8 },
    Value { parent: u8, key: u8, val: u8 },
    WithoutCancel { parent: u8 },
    CancelNode { node: u8 },
    Done { node: u8 },
    Advance { by: u8 },
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Background,
    Cancel { own: Option<u64> },
    Value { key: u8, val: u8 },
    WithoutCancel,
}

struct MNode {
    parent: usize,
    kind: Kind,
    err: Option<Error>,
}

struct Model {
    nodes: Vec<MNode>,
    now: u64,
}

impl Model {
    fn nearest_cancel(&self, mut i: usize) -> Option<usize> {
        loop {
            match self.nodes[i].kind {
                Kind::Cancel { .. } => return Some(i),
                Kind::Value { .. } => i = self.nodes[i].parent,
                Kind::Background | Kind::WithoutCancel => return None,
            }
        }
    }
    fn err(&self, i: usize) -> Option<Error> {
        self.nearest_cancel(i).and_then(|c| self.nodes[c].err)
    }
    fn deadline(&self, mut i: usize) -> Option<u64> {
        loop {
            match self.nodes[i].kind {
                Kind::Cancel { own: Some(d) } => return Some(d),
                Kind::Background | Kind::WithoutCancel => return None,
                _ => i = self.nodes[i].parent,
            }
        }
    }
    fn value(&self, mut i: usize, key: u8) -> Option<u8> {
        loop {
            match self.nodes[i].kind {
                Kind::Value { key: k, val } if k == key => return Some(val),
                Kind::Background => return None,
                _ => i = self.nodes[i].parent,
            }
        }
    }
    fn anchor(&self, i: usize) -> Option<usize> {
        self.nearest_cancel(self.nodes[i].parent)
    }
    fn cancel(&mut self, i: usize, err: Error) {
        if self.nodes[i].err.is_some() {
            return;
        }
        self.nodes[i].err = Some(err);
        for j in 0..self.nodes.len() {
            if j != i && matches!(self.nodes[j].kind, Kind::Cancel { .. }) && self.anchor(j) == Some(i) {
                self.cancel(j, err);
            }
        }
    }
    fn children(&self, i: usize) -> usize {
        if !matches!(self.nodes[i].kind, Kind::Cancel { .. }) || self.nodes[i].err.is_some() {
            return 0;
        }
        (0..self.nodes.len())
            .filter(|&j| {
                j != i
                    && matches!(self.nodes[j].kind, Kind::Cancel { .. })
                    && self.nodes[j].err.is_none()
                    && self.anchor(j) == Some(i)
            })
            .count()
    }
    fn armed(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, Kind::Cancel { own: Some(_) }) && n.err.is_none())
            .count()
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let clock = ManualClock::new();
    let timers = Timers::new(clock.clone());
    let mut ctxs: Vec<(Context, Option<CancelFunc>)> = vec![(background(), None)];
    let mut m = Model {
        nodes: vec![MNode { parent: 0, kind: Kind::Background, err: None }],
        now: 0,
    };
    for op in ops.into_iter().take(200) {
        let len = ctxs.len();
        let pick = |x: u8| x as usize % len;
        match op {
            Op::Cancel { parent } => {
                let p = pick(parent);
                let (c, f) = with_cancel(&ctxs[p].0);
                let i = m.nodes.len();
                m.nodes.push(MNode { parent: p, kind: Kind::Cancel { own: None }, err: None });
                if let Some(a) = m.anchor(i) {
                    m.nodes[i].err = m.nodes[a].err;
                }
                ctxs.push((c, Some(f)));
            }
            Op::Deadline { parent, at } => {
                let p = pick(parent);
                let at = at as u64;
                let (c, f) = with_deadline_on(&ctxs[p].0, &timers, Duration::from_nanos(at));
                let i = m.nodes.len();
                let own = match m.deadline(p) {
                    Some(cur) if cur < at => None,
                    _ => Some(at),
                };
                m.nodes.push(MNode { parent: p, kind: Kind::Cancel { own }, err: None });
                if let Some(a) = m.anchor(i) {
                    m.nodes[i].err = m.nodes[a].err;
                }
                if own.is_some() && at <= m.now {
                    m.cancel(i, Error::DeadlineExceeded);
                }
                ctxs.push((c, Some(f)));
            }
            Op::Value { parent, key, val } => {
                let p = pick(parent);
                let key = key % 4;
                ctxs.push((with_value(&ctxs[p].0, key, val), None));
                m.nodes.push(MNode { parent: p, kind: Kind::Value { key, val }, err: None });
            }
            Op::WithoutCancel { parent } => {
                let p = pick(parent);
                ctxs.push((without_cancel(&ctxs[p].0), None));
                m.nodes.push(MNode { parent: p, kind: Kind::WithoutCancel, err: None });
            }
            Op::CancelNode { node } => {
                let i = pick(node);
                if let Some(f) = &ctxs[i].1 {
                    f.cancel();
                    m.cancel(i, Error::Canceled);
                }
            }
            Op::Done { node } => {
                let i = pick(node);
                let d = ctxs[i].0.done();
                assert_eq!(d.is_nil(), m.nearest_cancel(i).is_none());
                assert_eq!(d.is_closed(), m.err(i).is_some());
            }
            Op::Advance { by } => {
                m.now += by as u64 % 32;
                clock.set(Duration::from_nanos(m.now));
                timers.fire_due();
                for i in 0..m.nodes.len() {
                    if let Kind::Cancel { own: Some(d) } = m.nodes[i].kind {
                        if d <= m.now {
                            m.cancel(i, Error::DeadlineExceeded);
                        }
                    }
                }
            }
        }
        for (i, (c, _)) in ctxs.iter().enumerate() {
            assert_eq!(c.err(), m.err(i), "err of node {i}");
            assert_eq!(c.deadline_reading(), m.deadline(i).map(Duration::from_nanos), "deadline of {i}");
            assert_eq!(c.value::<u8, u8>(&(i as u8 % 4)).copied(), m.value(i, i as u8 % 4), "value at {i}");
            assert_eq!(c.children_len(), m.children(i), "children of {i}");
        }
        assert_eq!(timers.len(), m.armed(), "armed timers");
    }
});
