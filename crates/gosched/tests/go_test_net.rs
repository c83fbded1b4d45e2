//! Scenarios of Go 1.19's `net` tests (`src/net/timeout_test.go`,
//! `net_test.go`, `tcpsock_test.go`, `udpsock_test.go`), re-written
//! against `gosched::net`; the expected results are what Go 1.19 prints
//! for the same steps on Linux. Miri cannot make sockets, so the file is
//! skipped there.
//
// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
#![cfg(all(feature = "net", not(miri)))]

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gosched::net::{TcpListener, TcpStream, UdpSocket};
use gosched::Runtime;

mod common;
use common::tcp_pair as pair;

fn runtime() -> Runtime {
    Runtime::builder().procs(2).build().unwrap()
}

fn assert_timeout<T: std::fmt::Debug>(what: &str, r: std::io::Result<T>) {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{what}: {e}");
    assert_eq!(e.to_string(), "i/o timeout", "{what}");
}

fn assert_closed<T: std::fmt::Debug>(what: &str, r: std::io::Result<T>) {
    let e = r.expect_err(what);
    assert_eq!(e.to_string(), "use of closed network connection", "{what}");
}

/// A timeout, or the close that ends a race test.
fn assert_timeout_or_closed(e: &std::io::Error) {
    assert!(
        e.kind() == ErrorKind::TimedOut || e.to_string() == "use of closed network connection",
        "{e}"
    );
}

fn past() -> Option<Instant> {
    Some(Instant::now() - Duration::from_secs(1))
}

// timeout_test.go: TestReadTimeout (a deadline in the past fails a read
// even with data waiting, every time), and clearing it (the zero time)
// reads the data.
#[test]
fn past_read_deadline_fails_even_with_data_and_clearing_it_reads() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            s.write_all(b"hello").await.unwrap();
            gosched::sleep(Duration::from_millis(20)).await;
            c.set_read_deadline(past()).unwrap();
            let mut b = [0; 10];
            for _ in 0..2 {
                assert_timeout("past read deadline", c.read(&mut b).await);
            }
            // Go: `Read(b[:0])` is (0, nil) even then.
            assert_eq!(c.read(&mut []).await.unwrap(), 0);
            c.set_read_deadline(None).unwrap();
            let n = c.read(&mut b).await.unwrap();
            assert_eq!(&b[..n], b"hello");
        })
        .unwrap();
}

// timeout_test.go: TestWriteTimeout: a write deadline in the past fails a
// write (Go: also an empty one) although the socket could take it.
#[test]
fn past_write_deadline_fails_writes() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            c.set_write_deadline(past()).unwrap();
            for _ in 0..2 {
                assert_timeout("past write deadline", c.write(b"x").await);
            }
            assert_timeout("empty write past deadline", c.write(b"").await);
            c.set_write_deadline(None).unwrap();
            c.write_all(b"x").await.unwrap();
            let mut b = [0; 1];
            s.read_exact(&mut b).await.unwrap();
            assert_eq!(&b, b"x");
        })
        .unwrap();
}

// timeout_test.go: TestReadTimeoutFluctuation / TestVariousDeadlines: a
// read with a deadline waits until about then, not much earlier.
#[test]
fn read_deadline_is_not_early() {
    runtime()
        .block_on(async {
            let (c, _s) = pair().await;
            let d = Duration::from_millis(50);
            let start = Instant::now();
            c.set_read_deadline(Some(start + d)).unwrap();
            let mut b = [0; 1];
            assert_timeout("read deadline", c.read(&mut b).await);
            assert!(start.elapsed() >= d, "{:?}", start.elapsed());
        })
        .unwrap();
}

// timeout_test.go: extending a deadline while a read waits (the read does
// not time out at the old deadline and gets the data sent after it).
#[test]
fn extending_the_deadline_of_a_waiting_read() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            let c = Arc::new(c);
            c.set_read_deadline(Some(Instant::now() + Duration::from_millis(30)))
                .unwrap();
            let reader = {
                let c = c.clone();
                gosched::spawn(async move {
                    let mut b = [0; 5];
                    let n = c.read(&mut b).await?;
                    Ok::<_, std::io::Error>(b[..n].to_vec())
                })
            };
            gosched::sleep(Duration::from_millis(5)).await;
            c.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
                .unwrap();
            // Past the first deadline.
            gosched::sleep(Duration::from_millis(60)).await;
            assert!(!reader.is_finished(), "the old deadline no longer counts");
            s.write_all(b"later").await.unwrap();
            assert_eq!(reader.await.unwrap().unwrap(), b"later");
        })
        .unwrap();
}

// timeout_test.go: shortening the deadline of a waiting write (the send
// buffer full): the write times out at the new deadline.
#[test]
fn shortening_the_deadline_of_a_waiting_write() {
    runtime()
        .block_on(async {
            let (c, _s) = pair().await;
            let c = Arc::new(c);
            let writer = {
                let c = c.clone();
                gosched::spawn(async move {
                    let chunk = vec![7u8; 64 * 1024];
                    loop {
                        c.write(&chunk).await?;
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), std::io::Error>(())
                })
            };
            // Let the buffers fill.
            gosched::sleep(Duration::from_millis(50)).await;
            assert!(!writer.is_finished());
            let start = Instant::now();
            c.set_write_deadline(Some(start + Duration::from_millis(20)))
                .unwrap();
            assert_timeout("write", writer.await.unwrap());
            assert!(start.elapsed() >= Duration::from_millis(20));
        })
        .unwrap();
}

// net_test.go: TestListenCloseListen: once closed, a listener's address can
// be listened on again, and connecting to it meanwhile is refused.
#[test]
fn listen_close_listen() {
    runtime()
        .block_on(async {
            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = ln.local_addr().unwrap();
            ln.close();
            // Go: `ln.Addr()` still answers after `Close`.
            assert_eq!(ln.local_addr().unwrap(), addr);
            assert_closed("accept after close", ln.accept().await.map(|_| ()));
            let e = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
            let ln2 = TcpListener::bind(addr).expect("listen again on a closed listener's address");
            let c = gosched::spawn(async move { TcpStream::connect(addr).await.map(drop) });
            ln2.accept().await.unwrap();
            c.await.unwrap().unwrap();
            drop(ln);
        })
        .unwrap();
}

// udpsock_test.go: a closed UDP socket's port is free again.
#[test]
fn udp_close_releases_the_port() {
    runtime()
        .block_on(async {
            let u = UdpSocket::bind("127.0.0.1:0").unwrap();
            let addr = u.local_addr().unwrap();
            u.close();
            assert_eq!(u.local_addr().unwrap(), addr);
            let u2 = UdpSocket::bind(addr).expect("bind a closed socket's port");
            assert_eq!(u2.local_addr().unwrap(), addr);
            let mut b = [0; 1];
            assert_closed("recv after close", u.recv_from(&mut b).await);
        })
        .unwrap();
}

// net_test.go: TestCloseUnblocksRead's neighbours: after `Close` the peer
// reads end of stream, the addresses still answer, a second close is
// harmless, every operation fails as closed.
#[test]
fn stream_close() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            let (la, ra) = (c.local_addr().unwrap(), c.peer_addr().unwrap());
            c.close();
            c.close();
            let mut b = [0; 4];
            assert_eq!(s.read(&mut b).await.unwrap(), 0);
            assert_eq!(c.local_addr().unwrap(), la);
            assert_eq!(c.peer_addr().unwrap(), ra);
            assert_closed("read", c.read(&mut b).await);
            assert_closed("write", c.write(b"x").await);
            assert_closed("shutdown", c.shutdown(Shutdown::Write));
            assert_closed("nodelay", c.set_nodelay(true));
        })
        .unwrap();
}

// net_test.go: TestCloseWrite / TestCloseRead.
#[test]
fn close_write_and_close_read() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            c.shutdown(Shutdown::Write).unwrap();
            let e = c.write(b"x").await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{e}");
            // The peer reads end of stream, and can still send.
            let mut b = [0; 8];
            assert_eq!(s.read(&mut b).await.unwrap(), 0);
            s.write_all(b"back").await.unwrap();
            c.read_exact(&mut b[..4]).await.unwrap();
            assert_eq!(&b[..4], b"back");
            // After CloseRead, reads see end of stream.
            c.shutdown(Shutdown::Read).unwrap();
            assert_eq!(c.read(&mut b).await.unwrap(), 0);
        })
        .unwrap();
}

// tcpsock_test.go: TestTCPConcurrentAccept: several tasks accept on one
// listener while clients connect; closing the listener ends them all.
#[test]
fn concurrent_accept_then_close() {
    const ACCEPTORS: usize = 4;
    const CONNS: usize = 20;
    runtime()
        .block_on(async {
            let ln = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
            let addr = ln.local_addr().unwrap();
            let accepted = Arc::new(AtomicUsize::new(0));
            let hs: Vec<_> = (0..ACCEPTORS)
                .map(|_| {
                    let (ln, accepted) = (ln.clone(), accepted.clone());
                    gosched::spawn(async move {
                        let mut conns = Vec::new();
                        loop {
                            match ln.accept().await {
                                Ok((c, _)) => {
                                    conns.push(c);
                                    accepted.fetch_add(1, Ordering::SeqCst);
                                }
                                Err(e) => {
                                    assert_eq!(e.to_string(), "use of closed network connection");
                                    return conns.len();
                                }
                            }
                        }
                    })
                })
                .collect();
            let mut conns = Vec::new();
            for _ in 0..CONNS {
                conns.push(TcpStream::connect(addr).await.unwrap());
            }
            let start = Instant::now();
            while accepted.load(Ordering::SeqCst) < CONNS {
                assert!(start.elapsed() < Duration::from_secs(10));
                gosched::sleep(Duration::from_millis(1)).await;
            }
            ln.close();
            let mut total = 0;
            for h in hs {
                total += h.await.unwrap();
            }
            assert_eq!(total, CONNS);
        })
        .unwrap();
}

// udpsock_test.go: a datagram longer than the buffer is cut to it, without
// an error (Linux), and the next read gets the next datagram.
#[test]
fn udp_truncated_datagram() {
    runtime()
        .block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            let to = b.local_addr().unwrap();
            a.send_to(b"0123456789", to).await.unwrap();
            a.send_to(b"ab", to).await.unwrap();
            let mut small = [0; 4];
            let (n, from) = b.recv_from(&mut small).await.unwrap();
            assert_eq!((&small[..n], from), (&b"0123"[..], a.local_addr().unwrap()));
            let (n, _) = b.recv_from(&mut small).await.unwrap();
            assert_eq!(&small[..n], b"ab");
        })
        .unwrap();
}

// udpsock_test.go / timeout_test.go: a UDP read deadline in the past fails
// even with a datagram waiting; clearing it receives the datagram.
#[test]
fn udp_past_read_deadline() {
    runtime()
        .block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            a.send_to(b"x", b.local_addr().unwrap()).await.unwrap();
            gosched::sleep(Duration::from_millis(10)).await;
            b.set_read_deadline(past()).unwrap();
            let mut buf = [0; 4];
            assert_timeout("udp read", b.recv_from(&mut buf).await);
            b.set_read_deadline(None).unwrap();
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"x");
            // A write deadline in the past fails sends too.
            b.set_write_deadline(past()).unwrap();
            let to: SocketAddr = a.local_addr().unwrap();
            assert_timeout("udp send", b.send_to(b"y", to).await);
        })
        .unwrap();
}

// The descriptor number of a closed socket is not handed to another file
// before the drop (a racing operation or a lent `BorrowedFd` keeps a
// valid, dead descriptor), yet the socket behind it is gone (Go's `Close`
// destroys the `netFD`).
#[cfg(unix)]
#[test]
fn closed_socket_keeps_its_descriptor_number_until_the_drop() {
    use std::os::fd::AsRawFd;
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            let fd = c.as_raw_fd();
            c.close();
            let others: Vec<_> = (0..8)
                .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
                .collect();
            assert!(others.iter().all(|o| o.as_raw_fd() != fd));
            assert_eq!(c.as_raw_fd(), fd);
            // The connection is over: the peer reads end of stream, and its
            // writes soon fail.
            let mut b = [0; 1];
            assert_eq!(s.read(&mut b).await.unwrap(), 0);
            let mut failed = false;
            for _ in 0..100 {
                if s.write(b"x").await.is_err() {
                    failed = true;
                    break;
                }
                gosched::sleep(Duration::from_millis(1)).await;
            }
            assert!(failed, "writes to a closed peer fail");
            drop(c);
        })
        .unwrap();
}

// net_test.go: TestCloseUnblocksRead, from another thread while reads and
// writes race with the close: every operation ends, with data, end of
// stream or an error, never a hang.
#[test]
fn close_racing_reads_and_writes() {
    const ROUNDS: usize = 50;
    runtime()
        .block_on(async {
            for _ in 0..ROUNDS {
                let (c, s) = pair().await;
                let c = Arc::new(c);
                let reader = {
                    let c = c.clone();
                    gosched::spawn(async move {
                        let mut b = [0; 64];
                        while let Ok(1..) = c.read(&mut b).await {}
                    })
                };
                let writer = {
                    let c = c.clone();
                    gosched::spawn(async move { while c.write(b"data").await.is_ok() {} })
                };
                let closer = {
                    let c = c.clone();
                    std::thread::spawn(move || c.close())
                };
                s.write_all(b"hello").await.ok();
                closer.join().unwrap();
                gosched::timeout(Duration::from_secs(10), reader)
                    .await
                    .unwrap()
                    .unwrap();
                gosched::timeout(Duration::from_secs(10), writer)
                    .await
                    .unwrap()
                    .unwrap();
            }
        })
        .unwrap();
}

// timeout_test.go: TestVariousDeadlines: a reader copying an endless
// stream until its deadline, for deadlines from 1 ns to 10 ms: each ends
// with a timeout, not before its deadline and not long after.
#[test]
fn various_deadlines() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            let s = Arc::new(s);
            let s2 = s.clone();
            let feeder = gosched::spawn(async move {
                let chunk = [b'x'; 1024];
                while s2.write_all(&chunk).await.is_ok() {}
            });
            let mut buf = vec![0; 4096];
            for nanos in [
                1u64, 2, 5, 30, 50, 100, 200, 500, 750, 1_000, 5_000, 25_000, 250_000, 2_500_000,
                10_000_000,
            ] {
                let d = Duration::from_nanos(nanos);
                let start = Instant::now();
                c.set_deadline(Some(start + d)).unwrap();
                let err = loop {
                    match c.read(&mut buf).await {
                        Ok(n) => assert!(n > 0),
                        Err(e) => break e,
                    }
                };
                assert_eq!(err.kind(), ErrorKind::TimedOut, "{d:?}: {err}");
                let took = start.elapsed();
                assert!(took >= d, "{d:?} ended after {took:?}");
                assert!(
                    took < d + Duration::from_secs(5),
                    "{d:?} ended after {took:?}"
                );
            }
            c.close();
            s.close();
            feeder.await.unwrap();
        })
        .unwrap();
}

// timeout_test.go: TestReadWriteDeadlineRace: deadlines set over and over
// from one task while others read and write: no hang, no panic, and the
// data that got through is intact.
#[test]
fn read_write_deadline_race() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            let (c, s) = (Arc::new(c), Arc::new(s));
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let setter = {
                let (c, stop) = (c.clone(), stop.clone());
                gosched::spawn(async move {
                    let mut i = 0u64;
                    while !stop.load(Ordering::SeqCst) {
                        let d = Duration::from_micros(i % 50);
                        // The close at the end may come between the check
                        // of `stop` and these (Go's test ignores the error).
                        for r in [
                            c.set_read_deadline(Some(Instant::now() + d)),
                            c.set_write_deadline(Some(Instant::now() + d * 2)),
                        ] {
                            if let Err(e) = r {
                                assert_eq!(e.to_string(), "use of closed network connection");
                            }
                        }
                        i += 1;
                        if i % 16 == 0 {
                            gosched::yield_now().await;
                        }
                    }
                })
            };
            let reader = {
                let (c, stop) = (c.clone(), stop.clone());
                gosched::spawn(async move {
                    let mut got = 0usize;
                    let mut buf = [0; 1024];
                    while !stop.load(Ordering::SeqCst) {
                        match c.read(&mut buf).await {
                            Ok(n) => {
                                assert!(buf[..n].iter().all(|&b| b == 7));
                                got += n;
                            }
                            Err(e) => assert_timeout_or_closed(&e),
                        }
                    }
                    got
                })
            };
            let writer = {
                let (c, stop) = (c.clone(), stop.clone());
                gosched::spawn(async move {
                    let chunk = [9u8; 512];
                    while !stop.load(Ordering::SeqCst) {
                        if let Err(e) = c.write(&chunk).await {
                            assert_timeout_or_closed(&e);
                        }
                    }
                })
            };
            let peer = {
                let (s, stop) = (s.clone(), stop.clone());
                gosched::spawn(async move {
                    let mut buf = [0; 4096];
                    let mut echoed = 0usize;
                    while !stop.load(Ordering::SeqCst) {
                        if s.write_all(&[7; 256]).await.is_err() {
                            break;
                        }
                        // Drain what the writer sent.
                        if let Ok(Ok(n)) =
                            gosched::timeout(Duration::from_micros(100), s.read(&mut buf)).await
                        {
                            assert!(buf[..n].iter().all(|&b| b == 9));
                            echoed += n;
                        }
                    }
                    echoed
                })
            };
            gosched::sleep(Duration::from_millis(200)).await;
            stop.store(true, Ordering::SeqCst);
            c.set_deadline(None).unwrap();
            // Unblock a writer stuck on a full buffer and a reader waiting.
            c.close();
            s.close();
            setter.await.unwrap();
            let got = reader.await;
            writer.await.unwrap();
            let _ = peer.await;
            assert!(got.is_ok());
        })
        .unwrap();
}

// udpsock_test.go: TestWriteToUDP (testWriteToConn, testWriteToPacketConn):
// a connected socket refuses `WriteTo` with Go's ErrWriteToConnected and
// sends with `Write`; an unconnected one sends with `WriteTo` and fails a
// `Write` (no destination).
#[test]
fn write_to_udp() {
    runtime()
        .block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").unwrap();
            let ra = server.local_addr().unwrap();
            let c = UdpSocket::bind("127.0.0.1:0").unwrap();
            c.connect(ra).unwrap();
            let e = c.send_to(b"x", ra).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert_eq!(
                e.to_string(),
                "use of WriteTo with pre-connected connection"
            );
            assert_eq!(c.send(b"y").await.unwrap(), 1);
            // A socket connected before it was taken over counts too.
            let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            std_sock.connect(ra).unwrap();
            let taken = UdpSocket::from_std(std_sock).unwrap();
            let e = taken.send_to(b"x", ra).await.unwrap_err();
            assert_eq!(
                e.to_string(),
                "use of WriteTo with pre-connected connection"
            );
            assert_eq!(taken.send(b"z").await.unwrap(), 1);

            let p = UdpSocket::bind("127.0.0.1:0").unwrap();
            assert_eq!(p.send_to(b"w", ra).await.unwrap(), 1);
            assert!(
                p.send(b"v").await.is_err(),
                "Write on an unconnected socket"
            );
            let mut buf = [0; 4];
            let mut got = Vec::new();
            for _ in 0..3 {
                let (n, _) = server.recv_from(&mut buf).await.unwrap();
                got.push(buf[..n].to_vec());
            }
            got.sort();
            assert_eq!(got, [b"w".to_vec(), b"y".to_vec(), b"z".to_vec()]);
        })
        .unwrap();
}

// timeout_test.go: TestReadTimeoutMustNotReturn / TestWriteTimeoutMustNotReturn:
// deadlines set ahead and then cleared (the zero time) while a read and a
// write wait: neither times out later.
#[test]
fn cleared_deadlines_of_waiting_operations_never_fire() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            let c = Arc::new(c);
            let reader = {
                let c = c.clone();
                gosched::spawn(async move {
                    let mut b = [0; 4];
                    c.read(&mut b).await.map(|n| b[..n].to_vec())
                })
            };
            let writer = {
                let c = c.clone();
                gosched::spawn(async move {
                    let chunk = vec![1u8; 64 * 1024];
                    let mut sent = 0usize;
                    loop {
                        match c.write(&chunk).await {
                            Ok(n) => sent += n,
                            Err(e) => return (sent, e),
                        }
                    }
                })
            };
            // Let both park (the writer on a full buffer).
            gosched::sleep(Duration::from_millis(30)).await;
            c.set_deadline(Some(Instant::now() + Duration::from_millis(20)))
                .unwrap();
            gosched::sleep(Duration::from_millis(5)).await;
            c.set_deadline(None).unwrap();
            gosched::sleep(Duration::from_millis(60)).await;
            assert!(!reader.is_finished(), "a cleared read deadline fired");
            assert!(!writer.is_finished(), "a cleared write deadline fired");
            s.write_all(b"done").await.unwrap();
            assert_eq!(reader.await.unwrap().unwrap(), b"done");
            c.close();
            let (_, e) = writer.await.unwrap();
            assert_eq!(e.to_string(), "use of closed network connection");
        })
        .unwrap();
}

// timeout_test.go: TestVariousDeadlines1Proc: deadlines of a reader on a
// single P, whose feeder shares that P.
#[test]
fn various_deadlines_one_p() {
    Runtime::builder()
        .procs(1)
        .build()
        .unwrap()
        .block_on(async {
            let (c, s) = pair().await;
            let s = Arc::new(s);
            let s2 = s.clone();
            let feeder = gosched::spawn(async move {
                let chunk = [b'x'; 1024];
                while s2.write_all(&chunk).await.is_ok() {}
            });
            let mut buf = vec![0; 4096];
            for micros in [0u64, 1, 10, 100, 1_000, 5_000] {
                let d = Duration::from_micros(micros);
                let start = Instant::now();
                c.set_read_deadline(Some(start + d)).unwrap();
                let err = loop {
                    if let Err(e) = c.read(&mut buf).await {
                        break e;
                    }
                };
                assert_eq!(err.kind(), ErrorKind::TimedOut, "{d:?}: {err}");
                assert!(start.elapsed() >= d);
                assert!(start.elapsed() < d + Duration::from_secs(5));
            }
            c.close();
            s.close();
            feeder.await.unwrap();
        })
        .unwrap();
}

// Go 1.19 on Linux: closing a connection with received data still unread
// resets it (the OS's close, which Go's `Close` makes), so the peer's
// read fails with "connection reset by peer".
#[cfg(target_os = "linux")]
#[test]
fn close_with_unread_data_resets_the_peer() {
    runtime()
        .block_on(async {
            let (c, s) = pair().await;
            s.write_all(b"unread").await.unwrap();
            gosched::sleep(Duration::from_millis(20)).await;
            c.close();
            let mut b = [0; 8];
            let e = s.read(&mut b).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}");
        })
        .unwrap();
}
