//! Differential fuzzing of gochan's non-blocking operations against a
//! `VecDeque` model: `try_send`, `try_recv`, `close`, `len`/`cap`, a
//! non-blocking `select!` over two channels, and first polls of the async
//! operations, on buffered, unbuffered and nil channels.
#![no_main]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use arbitrary::Arbitrary;
use gochan::{select, Chan, CloseError, TryRecvError, TrySendError};
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
}

struct Model {
    q: VecDeque<u16>,
    cap: usize,
    closed: bool,
    nil: bool,
}

impl Model {
    fn can_send(&self) -> bool {
        !self.nil && !self.closed && self.q.len() < self.cap
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
    for op in input.ops {
        match op {
            Op::TrySend { ch, v } => {
                let (c, m) = (&chans[ch as usize], &mut models[ch as usize]);
                let got = c.try_send(v);
                if m.closed && !m.nil {
                    assert_eq!(got, Err(TrySendError::Closed(v)));
                } else if m.can_send() {
                    assert_eq!(got, Ok(()));
                    m.q.push_back(v);
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
                }
                assert_eq!(c.is_closed(), m.closed);
            }
            Op::Len => {
                for (c, m) in chans.iter().zip(&models) {
                    assert_eq!(c.len(), m.q.len());
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
                let ready = |m: &Model| !m.nil && (m.closed || m.q.len() < m.cap);
                match got {
                    None => assert!(!ready(&models[0]) && !ready(&models[1])),
                    Some((k, r)) => {
                        assert!(ready(&models[k]));
                        if models[k].closed {
                            assert_eq!(r.unwrap_err().into_inner(), v);
                        } else {
                            assert!(r.is_ok());
                            models[k].q.push_back(v);
                        }
                    }
                }
            }
            Op::AsyncSend { ch, v } => {
                let (c, m) = (&chans[ch as usize], &mut models[ch as usize]);
                let got = pin!(c.send_async(v)).poll(&mut cx);
                // The pending future is dropped at once: the send is withdrawn.
                if m.nil {
                    assert!(got.is_pending());
                } else if m.closed {
                    assert_eq!(got.map(|r| r.unwrap_err().into_inner()), Poll::Ready(v));
                } else if m.can_send() {
                    assert!(matches!(got, Poll::Ready(Ok(()))));
                    m.q.push_back(v);
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
        }
    }
});
