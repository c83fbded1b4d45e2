//! `gosched::net` socket options (TTL, buffer sizes, pending errors,
//! multicast), options after `close`, and vectored I/O. Miri cannot make
//! sockets, so the whole file is skipped there.
#![cfg(all(feature = "net", not(miri)))]

use std::io::{ErrorKind, IoSlice};
use std::net::{Ipv4Addr, Shutdown};
use std::time::{Duration, Instant};

use gosched::net::{TcpListener, TcpStream, UdpSocket};
use gosched::Runtime;

fn runtime(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// A connected pair: (dialled, accepted).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    let accepted = gosched::spawn(async move { ln.accept().await.unwrap().0 });
    let dialled = TcpStream::connect(addr).await.unwrap();
    (dialled, accepted.await.unwrap())
}

/// Reads until `n` bytes have come.
async fn read_n(conn: &TcpStream, n: usize) -> Vec<u8> {
    let mut out = vec![0; n];
    conn.read_exact(&mut out).await.unwrap();
    out
}

fn assert_closed<T: std::fmt::Debug>(what: &str, r: std::io::Result<T>) {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::NotConnected, "{what}: {e}");
    assert_eq!(e.to_string(), "use of closed network connection", "{what}");
}

#[test]
fn ttl_buffer_sizes_and_pending_error_read_back() {
    runtime(1)
        .block_on(async {
            let (a, b) = tcp_pair().await;
            a.set_ttl(77).unwrap();
            assert_eq!(a.ttl().unwrap(), 77);
            assert_eq!(a.take_error().unwrap().map(|e| e.kind()), None);
            a.set_recv_buffer_size(64 * 1024).unwrap();
            a.set_send_buffer_size(96 * 1024).unwrap();
            // The OS may round or double the size (Linux doubles it).
            assert!(a.recv_buffer_size().unwrap() >= 64 * 1024);
            assert!(a.send_buffer_size().unwrap() >= 96 * 1024);
            // A smaller buffer reads back smaller: the option reached the
            // socket rather than a copy.
            let big = a.recv_buffer_size().unwrap();
            a.set_recv_buffer_size(8 * 1024).unwrap();
            assert!(a.recv_buffer_size().unwrap() < big);
            // The stream still works with its new options.
            a.write_all(b"after options").await.unwrap();
            assert_eq!(read_n(&b, 13).await, b"after options");

            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            ln.set_ttl(33).unwrap();
            assert_eq!(ln.ttl().unwrap(), 33);
            assert!(ln.take_error().unwrap().is_none());

            let u = UdpSocket::bind("127.0.0.1:0").unwrap();
            u.set_ttl(9).unwrap();
            assert_eq!(u.ttl().unwrap(), 9);
            u.set_recv_buffer_size(128 * 1024).unwrap();
            assert!(u.recv_buffer_size().unwrap() >= 128 * 1024);
            u.set_send_buffer_size(32 * 1024).unwrap();
            assert!(u.send_buffer_size().unwrap() >= 32 * 1024);
            assert!(u.take_error().unwrap().is_none());
        })
        .unwrap();
}

#[test]
fn a_buffer_size_beyond_a_c_int_is_refused() {
    runtime(1)
        .block_on(async {
            let (a, _b) = tcp_pair().await;
            let before = a.recv_buffer_size().unwrap();
            for size in [usize::MAX, i32::MAX as usize + 1] {
                let e = a.set_recv_buffer_size(size).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{size}: {e}");
                let e = a.set_send_buffer_size(size).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{size}: {e}");
            }
            // Nothing was set.
            assert_eq!(a.recv_buffer_size().unwrap(), before);
            let u = UdpSocket::bind("127.0.0.1:0").unwrap();
            let e = u.set_recv_buffer_size(usize::MAX).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
        })
        .unwrap();
}

#[test]
fn options_after_close_fail_as_in_go() {
    runtime(1)
        .block_on(async {
            let (a, _b) = tcp_pair().await;
            let local = a.local_addr().unwrap();
            a.close();
            assert_closed("set_ttl", a.set_ttl(5));
            assert_closed("ttl", a.ttl());
            assert_closed("set_nodelay", a.set_nodelay(false));
            assert_closed("nodelay", a.nodelay());
            assert_closed("set_keepalive", a.set_keepalive(None));
            assert_closed("keepalive", a.keepalive());
            assert_closed("recv_buffer_size", a.recv_buffer_size());
            assert_closed("set_send_buffer_size", a.set_send_buffer_size(4096));
            assert_closed("take_error", a.take_error());
            assert_closed("shutdown", a.shutdown(Shutdown::Write));
            // Go's LocalAddr still answers after Close.
            assert_eq!(a.local_addr().unwrap(), local);

            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            ln.close();
            assert_closed("listener set_ttl", ln.set_ttl(5));

            let u = UdpSocket::bind("127.0.0.1:0").unwrap();
            u.close();
            assert_closed("udp connect", u.connect("127.0.0.1:9"));
            assert_closed("udp set_broadcast", u.set_broadcast(false));
            assert_closed("udp broadcast", u.broadcast());
            assert_closed("udp ttl", u.ttl());
            assert_closed("udp recv_buffer_size", u.recv_buffer_size());
            assert_closed(
                "udp join_multicast_v4",
                u.join_multicast_v4(Ipv4Addr::new(239, 1, 2, 3), Ipv4Addr::UNSPECIFIED),
            );
            assert_closed("udp multicast_loop_v4", u.multicast_loop_v4());
        })
        .unwrap();
}

/// A datagram to a port nobody listens on comes back as an ICMP "port
/// unreachable", which a connected UDP socket keeps as its pending error.
#[cfg(target_os = "linux")]
#[test]
fn take_error_reports_and_clears_a_refused_datagram() {
    runtime(1)
        .block_on(async {
            let closed_port = UdpSocket::bind("127.0.0.1:0").unwrap();
            let target = closed_port.local_addr().unwrap();
            drop(closed_port);
            let u = UdpSocket::bind("127.0.0.1:0").unwrap();
            u.connect(target).unwrap();
            u.send(b"anyone?").await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            let e = loop {
                if let Some(e) = u.take_error().unwrap() {
                    break e;
                }
                assert!(Instant::now() < deadline, "no ICMP error came back");
                gosched::sleep(Duration::from_millis(1)).await;
            };
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            assert!(u.take_error().unwrap().is_none(), "reading it clears it");
        })
        .unwrap();
}

#[test]
fn multicast_options_read_back() {
    runtime(1)
        .block_on(async {
            let u = UdpSocket::bind("0.0.0.0:0").unwrap();
            assert!(u.multicast_loop_v4().unwrap(), "on by default");
            u.set_multicast_loop_v4(false).unwrap();
            assert!(!u.multicast_loop_v4().unwrap());
            assert_eq!(u.multicast_ttl_v4().unwrap(), 1, "the local network");
            u.set_multicast_ttl_v4(4).unwrap();
            assert_eq!(u.multicast_ttl_v4().unwrap(), 4);
            // Not a multicast group: the OS refuses the join.
            assert!(u
                .join_multicast_v4(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::LOCALHOST)
                .is_err());
            // Leaving a group never joined fails too.
            assert!(u
                .leave_multicast_v4(Ipv4Addr::new(239, 1, 2, 3), Ipv4Addr::LOCALHOST)
                .is_err());
            match UdpSocket::bind("[::]:0") {
                Ok(u6) => {
                    u6.set_multicast_loop_v6(false).unwrap();
                    assert!(!u6.multicast_loop_v6().unwrap());
                    u6.set_multicast_loop_v6(true).unwrap();
                    assert!(u6.multicast_loop_v6().unwrap());
                }
                Err(e) => eprintln!("skipped the IPv6 options: no IPv6 socket here ({e})"),
            }
        })
        .unwrap();
}

/// A datagram to a joined group, sent out of the loopback interface with
/// multicast loop on, arrives; after leaving the group it does not.
#[cfg(target_os = "linux")]
#[test]
fn a_joined_multicast_group_receives_on_loopback() {
    let group = Ipv4Addr::new(239, 255, 42, 99);
    runtime(2)
        .block_on(async move {
            let rx = UdpSocket::bind("0.0.0.0:0").unwrap();
            let port = rx.local_addr().unwrap().port();
            if let Err(e) = rx.join_multicast_v4(group, Ipv4Addr::LOCALHOST) {
                eprintln!("skipped: cannot join a group on loopback here ({e})");
                return;
            }
            let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket2::SockRef::from(&tx)
                .set_multicast_if_v4(&Ipv4Addr::LOCALHOST)
                .unwrap();
            tx.set_multicast_loop_v4(true).unwrap();
            tx.send_to(b"to the group", (group, port)).await.unwrap();
            rx.set_read_deadline(Some(Instant::now() + Duration::from_secs(10)))
                .unwrap();
            let mut buf = [0; 32];
            let (n, from) = rx.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"to the group");
            assert_eq!(from, tx.local_addr().unwrap());

            rx.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
            tx.send_to(b"after leaving", (group, port)).await.unwrap();
            rx.set_read_deadline(Some(Instant::now() + Duration::from_millis(200)))
                .unwrap();
            let e = rx.recv_from(&mut buf).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        })
        .unwrap();
}

#[test]
fn vectored_write_gathers_the_buffers_in_order() {
    runtime(2)
        .block_on(async {
            let (a, b) = tcp_pair().await;
            let parts: [&[u8]; 4] = [b"one ", b"", b"two ", b"three"];
            let slices = parts.map(IoSlice::new);
            let total: usize = parts.iter().map(|p| p.len()).sum();
            let mut sent = a.write_vectored(&slices).await.unwrap();
            assert!(sent > 0);
            // A short write is the caller's to finish (a small message on
            // loopback goes in one).
            let whole = parts.concat();
            if sent < total {
                a.write_all(&whole[sent..]).await.unwrap();
                sent = total;
            }
            assert_eq!(sent, total);
            assert_eq!(read_n(&b, total).await, whole);

            // The same through the futures-io traits, reading scattered.
            use futures_io::{AsyncRead, AsyncWrite};
            use std::pin::Pin;
            let mut a = &a;
            let mut b = &b;
            let n = std::future::poll_fn(|cx| {
                Pin::new(&mut a)
                    .poll_write_vectored(cx, &[IoSlice::new(b"ab"), IoSlice::new(b"cdef")])
            })
            .await
            .unwrap();
            assert_eq!(n, 6);
            let (mut x, mut y) = ([0u8; 2], [0u8; 4]);
            let mut got = 0;
            while got < 6 {
                let (hx, hy) = (&mut x[got.min(2)..], &mut y[got.saturating_sub(2)..]);
                let mut bufs = [std::io::IoSliceMut::new(hx), std::io::IoSliceMut::new(hy)];
                let n =
                    std::future::poll_fn(|cx| Pin::new(&mut b).poll_read_vectored(cx, &mut bufs))
                        .await
                        .unwrap();
                assert!(n > 0, "end of stream before all six bytes");
                got += n;
            }
            assert_eq!((&x, &y), (b"ab", b"cdef"));
        })
        .unwrap();
}

#[cfg(feature = "tokio-io")]
#[test]
fn tokio_vectored_write() {
    use std::pin::Pin;
    use tokio::io::AsyncWrite;
    runtime(1)
        .block_on(async {
            let (mut a, b) = tcp_pair().await;
            assert!(AsyncWrite::is_write_vectored(&a));
            let n = std::future::poll_fn(|cx| {
                Pin::new(&mut a)
                    .poll_write_vectored(cx, &[IoSlice::new(b"to"), IoSlice::new(b"kio")])
            })
            .await
            .unwrap();
            assert_eq!(n, 5);
            assert_eq!(read_n(&b, 5).await, b"tokio");
        })
        .unwrap();
}

/// Go's `TestUDPZeroBytePayload` and `TestUDPZeroByteBuffer`: an empty
/// datagram is a datagram; a receive into an empty buffer takes one
/// datagram and returns 0.
#[test]
fn udp_zero_byte_payloads_and_buffers() {
    runtime(1)
        .block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            let to = b.local_addr().unwrap();
            assert_eq!(a.send_to(b"", to).await.unwrap(), 0);
            let mut buf = [0; 8];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((n, from), (0, a.local_addr().unwrap()));

            a.send_to(b"dropped", to).await.unwrap();
            a.send_to(b"kept", to).await.unwrap();
            let (n, _) = b.recv_from(&mut []).await.unwrap();
            assert_eq!(n, 0);
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"kept", "the empty receive took one datagram");
        })
        .unwrap();
}

/// Go's `FD.Read` and `FD.Write`: an empty buffer returns 0 at once, data
/// or not, and leaves the stream as it was.
#[test]
fn tcp_empty_buffers_return_at_once() {
    runtime(1)
        .block_on(async {
            let (a, b) = tcp_pair().await;
            let empty = gosched::timeout(Duration::from_secs(5), a.read(&mut []))
                .await
                .expect("an empty read does not wait for data");
            assert_eq!(empty.unwrap(), 0);
            assert_eq!(a.peek(&mut []).await.unwrap(), 0);
            // Past the read deadline too (Go checks the deadline after).
            a.set_read_deadline(Some(Instant::now() - Duration::from_millis(1)))
                .unwrap();
            assert_eq!(a.read(&mut []).await.unwrap(), 0);
            a.set_read_deadline(None).unwrap();
            {
                use futures_io::AsyncRead;
                use std::pin::Pin;
                let mut r = &a;
                let n = std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut []));
                assert_eq!(n.await.unwrap(), 0);
                let mut bufs = [std::io::IoSliceMut::new(&mut [])];
                let n =
                    std::future::poll_fn(|cx| Pin::new(&mut r).poll_read_vectored(cx, &mut bufs));
                assert_eq!(n.await.unwrap(), 0);
            }
            assert_eq!(b.write(b"").await.unwrap(), 0);
            b.write_all(b"x").await.unwrap();
            assert_eq!(read_n(&a, 1).await, b"x");
            // A closed stream's error comes first.
            a.close();
            assert_closed("empty read after close", a.read(&mut []).await);
        })
        .unwrap();
}

/// `send_to` takes what std's takes: a `SocketAddr`, a string, a tuple;
/// the datagram goes to the first address, and an address that resolves to
/// nothing is refused.
#[test]
fn send_to_takes_what_std_takes() {
    runtime(1)
        .block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            let to = b.local_addr().unwrap();
            a.send_to(b"1", to).await.unwrap();
            a.send_to(b"2", to.to_string()).await.unwrap();
            a.send_to(b"3", (Ipv4Addr::LOCALHOST, to.port()))
                .await
                .unwrap();
            a.send_to(b"4", &[to, "127.0.0.1:9".parse().unwrap()][..])
                .await
                .unwrap();
            let mut buf = [0; 4];
            for want in [b"1", b"2", b"3", b"4"] {
                let (n, _) = b.recv_from(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], want);
            }
            let none: &[std::net::SocketAddr] = &[];
            let e = a.send_to(b"x", none).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        })
        .unwrap();
}
