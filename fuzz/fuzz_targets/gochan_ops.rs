//! Differential fuzzing of gochan's non-blocking operations against a
//! `VecDeque` model: `try_send`, `try_recv`, `close`, `len`/`cap`, a
//! non-blocking `select!` over two channels, and first polls of the async
//! operations, on buffered, unbuffered and nil channels. Receives can also
//! stay parked (pending `recv_async` futures), be handed values, be polled
//! again, and be dropped: a dropped receive gives a value it was handed back
//! to the head of the channel, and `len()` never exceeds `cap()`. Async
//! selects receiving from both channels (`Select::select_async`) park the
//! same way, on both queues at once, and fire exactly once.
#![no_main]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use arbitrary::Arbitrary;
use gochan::{select, Chan, CloseError, RecvFuture, Select, SelectAsync, TryRecvError, TrySendError};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    TrySend { ch: bool, v: u16 },
    TryRecv { ch: bool },
    Close { ch: bool },
    Len,
    SelectRecv,
    SelectSend { v: u16 },
    AsyncSend { ch: bool, v: u16 },
    AsyncRecv { ch: bool },
    ParkRecv { ch: bool },
    ParkSelect,
    PollParked { i: u8 },
    DropParked { i: u8 },
}

/// A pending receive: a `recv_async` on one channel, or an async select
/// receiving from both.
enum Fut<'a> {
    Recv(usize, Pin<Box<RecvFuture<'a, u16>>>),
    Select(Pin<Box<SelectAsync<'a, (usize, Option<u16>)>>>),
}

impl Fut<'_> {
    /// Polls; a ready result names the channel it came from.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<(usize, Option<u16>)> {
        match self {
            Fut::Recv(ch, f) => f.as_mut().poll(cx).map(|v| (*ch, v)),
            Fut::Select(f) => f.as_mut().poll(cx),
        }
    }
}

/// A pending receive kept alive, the channels it waits on, and what the
/// model says it holds: `None` while waiting, `Some((ch, Some(v)))` once
/// handed `v` by channel `ch`, `Some((ch, None))` once woken by its close.
struct Parked<'a> {
    on: [bool; 2],
    fut: Fut<'a>,
    got: Option<(usize, Option<u16>)>,
}

/// The receive a send on `ch` hands its value to: the oldest waiting one
/// (a select that already fired on its other channel is skipped).
fn first_waiting<'p, 'a>(parked: &'p mut [Parked<'a>], ch: usize) -> Option<&'p mut Parked<'a>> {
    parked.iter_mut().find(|p| p.on[ch] && p.got.is_none())
}

/// A successful send in the model: to a waiting receive, else the tail.
fn deliver(m: &mut Model, parked: &mut [Parked<'_>], ch: usize, v: u16) {
    match first_waiting(parked, ch) {
        Some(p) => p.got = Some((ch, Some(v))),
        None => m.q.push_back(v),
    }
}

struct Model {
    q: VecDeque<u16>,
    cap: usize,
    closed: bool,
    nil: bool,
}

impl Model {
    /// Buffer room; a waiting receive also makes a send possible. Values
    /// given back at the head may fill `q` beyond `cap` (the channel's
    /// stash): then there is no room.
    fn can_send(&self, waiting: bool) -> bool {
        !self.nil && !self.closed && (waiting || self.q.len() < self.cap)
    }
    fn can_recv(&self) -> bool {
        !self.nil && (!self.q.is_empty() || self.closed)
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    cap_a: u8,
    cap_b: u8,
    nil_b: bool,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let cap_a = (input.cap_a % 8) as usize;
    let cap_b = (input.cap_b % 4) as usize;
    let chans = [
        Chan::new(cap_a),
        if input.nil_b { Chan::nil() } else { Chan::new(cap_b) },
    ];
    let mut models = [
        Model { q: VecDeque::new(), cap: cap_a, closed: false, nil: false },
        Model { q: VecDeque::new(), cap: cap_b, closed: false, nil: input.nil_b },
    ];
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut parked: Vec<Parked<'_>> = Vec::new();
    for op in input.ops {
        match op {
            Op::TrySend { ch, v } => {
                let ch = ch as usize;
                let (c, m) = (&chans[ch], &mut models[ch]);
                let got = c.try_send(v);
                let waiting = first_waiting(&mut parked, ch).is_some();
                if m.closed && !m.nil {
                    assert_eq!(got, Err(TrySendError::Closed(v)));
                } else if m.can_send(waiting) {
                    assert_eq!(got, Ok(()));
                    deliver(m, &mut parked, ch, v);
                } else {
                    assert_eq!(got, Err(TrySendError::Full(v)));
                }
            }
            Op::TryRecv { ch } => {
                let (c, m) = (&chans[ch as usize], &mut models[ch as usize]);
                let got = c.try_recv();
                if m.nil {
                    assert_eq!(got, Err(TryRecvError::Empty));
                } else if let Some(v) = m.q.pop_front() {
                    assert_eq!(got, Ok(v));
                } else if m.closed {
                    assert_eq!(got, Err(TryRecvError::Closed));
                } else {
                    assert_eq!(got, Err(TryRecvError::Empty));
                }
            }
            Op::Close { ch } => {
                let (c, m) = (&chans[ch as usize], &mut models[ch as usize]);
                let got = c.close();
                if m.nil {
                    assert_eq!(got, Err(CloseError::Nil));
                } else if m.closed {
                    assert_eq!(got, Err(CloseError::Closed));
                } else {
                    assert_eq!(got, Ok(()));
                    m.closed = true;
                    let ch = ch as usize;
                    for p in parked.iter_mut().filter(|p| p.on[ch]) {
                        p.got.get_or_insert((ch, None));
                    }
                }
                assert_eq!(c.is_closed(), m.closed);
            }
            Op::Len => {
                for (c, m) in chans.iter().zip(&models) {
                    // Given-back values beyond `cap` are not counted.
                    assert_eq!(c.len(), m.q.len().min(m.cap));
                    assert!(c.len() <= c.cap());
                    assert_eq!(c.cap(), if m.nil { 0 } else { m.cap });
                }
            }
            Op::SelectRecv => {
                let got = select! {
                    recv(chans[0]) -> v => Some((0usize, v)),
                    recv(chans[1]) -> v => Some((1usize, v)),
                    default => None,
                };
                match got {
                    None => assert!(!models[0].can_recv() && !models[1].can_recv()),
                    Some((k, v)) => {
                        assert!(models[k].can_recv());
                        assert_eq!(v, models[k].q.pop_front());
                    }
                }
            }
            Op::SelectSend { v } => {
                let got = select! {
                    send(chans[0], v) -> r => Some((0usize, r)),
                    send(chans[1], v) -> r => Some((1usize, r)),
                    default => None,
                };
                let w = [
                    first_waiting(&mut parked, 0).is_some(),
                    first_waiting(&mut parked, 1).is_some(),
                ];
                let ready =
                    |k: usize| models[k].closed && !models[k].nil || models[k].can_send(w[k]);
                match got {
                    None => assert!(!ready(0) && !ready(1)),
                    Some((k, r)) => {
                        assert!(ready(k));
                        if models[k].closed {
                            assert_eq!(r.unwrap_err().into_inner(), v);
                        } else {
                            assert!(r.is_ok());
                            deliver(&mut models[k], &mut parked, k, v);
                        }
                    }
                }
            }
            Op::AsyncSend { ch, v } => {
                let ch = ch as usize;
                let (c, m) = (&chans[ch], &mut models[ch]);
                let got = pin!(c.send_async(v)).poll(&mut cx);
                let waiting = first_waiting(&mut parked, ch).is_some();
                // The pending future is dropped at once: the send is withdrawn.
                if m.nil {
                    assert!(got.is_pending());
                } else if m.closed {
                    assert_eq!(got.map(|r| r.unwrap_err().into_inner()), Poll::Ready(v));
                } else if m.can_send(waiting) {
                    assert!(matches!(got, Poll::Ready(Ok(()))));
                    deliver(m, &mut parked, ch, v);
                } else {
                    assert!(got.is_pending());
                }
            }
            Op::AsyncRecv { ch } => {
                let (c, m) = (&chans[ch as usize], &mut models[ch as usize]);
                let got = pin!(c.recv_async()).poll(&mut cx);
                if m.nil {
                    assert!(got.is_pending());
                } else if let Some(v) = m.q.pop_front() {
                    assert_eq!(got, Poll::Ready(Some(v)));
                } else if m.closed {
                    assert_eq!(got, Poll::Ready(None));
                } else {
                    assert!(got.is_pending());
                }
            }
            Op::ParkRecv { ch } => {
                let ch = ch as usize;
                let (c, m) = (&chans[ch], &mut models[ch]);
                let mut fut = Box::pin(c.recv_async());
                let got = fut.as_mut().poll(&mut cx);
                if m.nil {
                    assert!(got.is_pending()); // dropped: never parked
                } else if let Some(v) = m.q.pop_front() {
                    assert_eq!(got, Poll::Ready(Some(v)));
                } else if m.closed {
                    assert_eq!(got, Poll::Ready(None));
                } else {
                    assert!(got.is_pending());
                    let mut on = [false; 2];
                    on[ch] = true;
                    parked.push(Parked { on, fut: Fut::Recv(ch, fut), got: None });
                }
            }
            Op::ParkSelect => {
                let mut sel = Select::new();
                sel.recv(&chans[0], |v| (0usize, v));
                sel.recv(&chans[1], |v| (1usize, v));
                let mut fut = Box::pin(sel.select_async());
                let got = fut.as_mut().poll(&mut cx);
                let ready = [models[0].can_recv(), models[1].can_recv()];
                match got {
                    Poll::Ready((k, v)) => {
                        assert!(ready[k], "case {k} fired but was not ready");
                        match models[k].q.pop_front() {
                            Some(want) => assert_eq!(v, Some(want)),
                            None => assert_eq!(v, None), // closed and drained
                        }
                    }
                    Poll::Pending => {
                        assert!(!ready[0] && !ready[1]);
                        let on = [!models[0].nil, !models[1].nil];
                        parked.push(Parked { on, fut: Fut::Select(fut), got: None });
                    }
                }
            }
            Op::PollParked { i } => {
                if parked.is_empty() {
                    continue;
                }
                let i = i as usize % parked.len();
                let got = parked[i].fut.poll(&mut cx);
                match parked[i].got {
                    None => assert!(got.is_pending()),
                    Some(v) => {
                        assert_eq!(got, Poll::Ready(v));
                        parked.remove(i);
                    }
                }
            }
            Op::DropParked { i } => {
                if parked.is_empty() {
                    continue;
                }
                let p = parked.remove(i as usize % parked.len());
                let got = p.got;
                drop(p);
                if let Some((ch, Some(v))) = got {
                    // Given back to the head: to a waiting receive, if any.
                    match first_waiting(&mut parked, ch) {
                        Some(w) => w.got = Some((ch, Some(v))),
                        None => models[ch].q.push_front(v),
                    }
                }
            }
        }
        for (c, m) in chans.iter().zip(&models) {
            assert!(c.len() <= c.cap());
            assert_eq!(c.len(), m.q.len().min(m.cap));
        }
    }
});
