//! Scenarios of tokio's socket tests (`tokio/tests/tcp_accept.rs`,
//! `tcp_echo.rs`, `tcp_shutdown.rs`, `tcp_peek.rs`, `tcp_into_split.rs`,
//! `udp.rs`) and async-io's (`tests/async.rs`), re-written against
//! `gosched::net` and its tokio / futures-io traits. Miri cannot make
//! sockets, so the file is skipped there.
#![cfg(all(feature = "net", feature = "tokio-io", not(miri)))]

use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use gosched::net::{TcpListener, TcpStream, UdpSocket};
use gosched::Runtime;

mod common;
use common::tcp_pair as pair;

fn runtime() -> Runtime {
    Runtime::builder().procs(2).build().unwrap()
}

/// tokio's `AsyncWriteExt::shutdown`.
async fn tokio_shutdown(s: &mut TcpStream) -> std::io::Result<()> {
    poll_fn(|cx| tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut *s), cx)).await
}

/// futures-io's `AsyncWriteExt::close`.
async fn futures_close(s: &mut TcpStream) -> std::io::Result<()> {
    poll_fn(|cx| futures_io::AsyncWrite::poll_close(Pin::new(&mut *s), cx)).await
}

/// tokio's `AsyncReadExt::read`.
async fn tokio_read(s: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut rb = tokio::io::ReadBuf::new(buf);
    poll_fn(|cx| tokio::io::AsyncRead::poll_read(Pin::new(&mut *s), cx, &mut rb)).await?;
    Ok(rb.filled().len())
}

/// futures-io's `AsyncReadExt::read`.
async fn futures_read(s: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    poll_fn(|cx| futures_io::AsyncRead::poll_read(Pin::new(&mut *s), cx, buf)).await
}

// tcp_accept.rs: the address forms `bind` takes.
#[test]
fn accept_on_every_address_form() {
    let rt = runtime();
    rt.block_on(async {
        let forms: Vec<Box<dyn Fn() -> std::io::Result<TcpListener>>> = vec![
            Box::new(|| TcpListener::bind("127.0.0.1:0")),
            Box::new(|| TcpListener::bind("localhost:0")),
            Box::new(|| TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))),
            Box::new(|| TcpListener::bind(("127.0.0.1", 0))),
            Box::new(|| TcpListener::bind((Ipv4Addr::LOCALHOST, 0))),
        ];
        for bind in forms {
            let ln = bind().unwrap();
            let addr = ln.local_addr().unwrap();
            let c = gosched::spawn(async move { TcpStream::connect(addr).await.unwrap() });
            let (srv, peer) = ln.accept().await.unwrap();
            let client = c.await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            assert_eq!(srv.peer_addr().unwrap(), client.local_addr().unwrap());
        }
    })
    .unwrap();
}

// tcp_accept.rs: accept_many: several tasks wait in accept on one listener.
#[test]
fn many_tasks_accepting_on_one_listener() {
    const N: usize = 50;
    let rt = runtime();
    rt.block_on(async {
        let ln = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = ln.local_addr().unwrap();
        let acceptors: Vec<_> = (0..N)
            .map(|_| {
                let ln = ln.clone();
                gosched::spawn(async move {
                    let (s, _) = ln.accept().await.unwrap();
                    let mut b = [0; 1];
                    s.read_exact(&mut b).await.unwrap();
                    b[0]
                })
            })
            .collect();
        gosched::sleep(Duration::from_millis(10)).await;
        let mut conns = Vec::new();
        for i in 0..N {
            let c = TcpStream::connect(addr).await.unwrap();
            c.write_all(&[i as u8]).await.unwrap();
            conns.push(c);
        }
        let mut got: Vec<u8> = Vec::new();
        for a in acceptors {
            got.push(a.await.unwrap());
        }
        got.sort();
        assert_eq!(got, (0..N as u8).collect::<Vec<_>>());
    })
    .unwrap();
}

// tcp_echo.rs: echo_server with the tokio traits on the client.
#[test]
fn echo_with_tokio_traits() {
    const ITER: usize = 1024;
    let rt = runtime();
    rt.block_on(async {
        let (mut client, server) = pair().await;
        let echo = gosched::spawn(async move {
            let mut buf = [0; 256];
            let mut total = 0;
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                server.write_all(&buf[..n]).await.unwrap();
                total += n;
            }
            total
        });
        let msg = b"foo bar baz";
        let mut buf = [0; 11];
        for _ in 0..ITER {
            let mut w = 0;
            while w < msg.len() {
                w += poll_fn(|cx| {
                    tokio::io::AsyncWrite::poll_write(Pin::new(&mut client), cx, &msg[w..])
                })
                .await
                .unwrap();
            }
            let mut r = 0;
            while r < buf.len() {
                let n = tokio_read(&mut client, &mut buf[r..]).await.unwrap();
                assert_ne!(n, 0);
                r += n;
            }
            assert_eq!(&buf, msg);
        }
        tokio_shutdown(&mut client).await.unwrap();
        assert_eq!(echo.await.unwrap(), ITER * msg.len());
        assert_eq!(tokio_read(&mut client, &mut buf).await.unwrap(), 0);
    })
    .unwrap();
}

// tcp_shutdown.rs: shutdown: the peer reads end of stream, copies nothing
// back and shuts down too; the first side then reads end of stream.
#[test]
fn shutdown_both_ways() {
    let rt = runtime();
    rt.block_on(async {
        let (mut client, mut server) = pair().await;
        let h = gosched::spawn(async move {
            tokio_shutdown(&mut client).await.unwrap();
            let mut b = [0; 1];
            assert_eq!(tokio_read(&mut client, &mut b).await.unwrap(), 0);
        });
        let mut b = [0; 16];
        assert_eq!(server.read(&mut b).await.unwrap(), 0);
        tokio_shutdown(&mut server).await.unwrap();
        h.await.unwrap();
    })
    .unwrap();
}

// tcp_shutdown.rs: shutdown_multiple_calls (tokio's and futures-io's
// traits both succeed every time, as tokio's `poll_shutdown` does).
#[test]
fn shutdown_called_repeatedly_succeeds() {
    let rt = runtime();
    rt.block_on(async {
        let (mut client, mut server) = pair().await;
        for _ in 0..3 {
            tokio_shutdown(&mut client).await.unwrap();
        }
        for _ in 0..3 {
            futures_close(&mut server).await.unwrap();
        }
        // Both sides shut: the connection is over, and shutting down again
        // still succeeds through the traits.
        let mut b = [0; 1];
        assert_eq!(client.read(&mut b).await.unwrap(), 0);
        assert_eq!(server.read(&mut b).await.unwrap(), 0);
        gosched::sleep(Duration::from_millis(20)).await;
        tokio_shutdown(&mut client).await.unwrap();
        futures_close(&mut server).await.unwrap();
        // Go's `CloseWrite` itself reports what the OS says.
        #[cfg(target_os = "linux")]
        assert_eq!(
            client.shutdown(Shutdown::Write).unwrap_err().kind(),
            ErrorKind::NotConnected
        );
        // After `close` the traits fail as every operation does.
        client.close();
        let e = tokio_shutdown(&mut client).await.unwrap_err();
        assert_eq!(e.to_string(), "use of closed network connection");
        let e = futures_close(&mut client).await.unwrap_err();
        assert_eq!(e.to_string(), "use of closed network connection");
    })
    .unwrap();
}

// tcp_shutdown.rs: shutdown_after_tcp_reset: the peer resets the
// connection (linger 0); the shutdown through the trait then reports Ok
// (tokio) or the reset.
#[test]
fn shutdown_after_peer_reset() {
    let rt = runtime();
    rt.block_on(async {
        let (mut client, server) = pair().await;
        socket2::SockRef::from(&server)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(server);
        // Let the reset arrive.
        let mut b = [0; 1];
        let r = client.read(&mut b).await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::ConnectionReset);
        match tokio_shutdown(&mut client).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("unexpected error after reset: {e:?}"),
        }
        match futures_close(&mut client).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("unexpected error after reset: {e:?}"),
        }
    })
    .unwrap();
}

// tcp_peek.rs: peek
#[test]
fn peek_then_read_the_same_bytes() {
    let rt = runtime();
    rt.block_on(async {
        let (client, server) = pair().await;
        client.write_all(b"hello world").await.unwrap();
        let mut p = [0; 11];
        let mut n = 0;
        // Peek until all bytes arrived (peek does not consume).
        while n < 11 {
            n = server.peek(&mut p).await.unwrap();
        }
        assert_eq!(&p, b"hello world");
        let mut r = [0; 11];
        server.read_exact(&mut r).await.unwrap();
        assert_eq!(r, p);
    })
    .unwrap();
}

// tcp_into_split.rs: split / drop_write: a reader task and a writer task
// share the stream; the writer's shutdown ends the peer's reads while the
// reader keeps reading.
#[test]
fn shared_stream_read_and_write_halves() {
    let rt = runtime();
    rt.block_on(async {
        let (client, server) = pair().await;
        let client = Arc::new(client);
        let reader = {
            let c = client.clone();
            gosched::spawn(async move {
                let mut out = Vec::new();
                let mut buf = [0; 64];
                loop {
                    let n = c.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return out;
                    }
                    out.extend_from_slice(&buf[..n]);
                }
            })
        };
        let writer = {
            let c = client.clone();
            gosched::spawn(async move {
                c.write_all(b"from client").await.unwrap();
                c.shutdown(Shutdown::Write).unwrap();
            })
        };
        writer.await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0; 64];
        loop {
            let n = server.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"from client");
        // The client can still read what the server sends after that.
        server.write_all(b"from server").await.unwrap();
        drop(server);
        assert_eq!(reader.await.unwrap(), b"from server");
    })
    .unwrap();
}

// async-io tests/async.rs: tcp_reader_hangup / tcp_writer_hangup.
#[test]
fn hangups() {
    let rt = runtime();
    rt.block_on(async {
        // The writer hangs up: the reader reads end of stream.
        let (mut client, server) = pair().await;
        drop(server);
        let mut b = [0; 8];
        assert_eq!(futures_read(&mut client, &mut b).await.unwrap(), 0);
        // The reader hangs up: the writer's writes fail before long.
        let (client, server) = pair().await;
        drop(server);
        let chunk = vec![0u8; 64 * 1024];
        let mut failed = None;
        for _ in 0..1000 {
            if let Err(e) = client.write(&chunk).await {
                failed = Some(e);
                break;
            }
            gosched::sleep(Duration::from_millis(1)).await;
        }
        let e = failed.expect("writes to a hung-up peer fail");
        assert!(
            matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{e:?}"
        );
    })
    .unwrap();
}

// async-io tests/async.rs: tcp_peer_addr, tcp_connect.
#[test]
fn connect_and_addresses() {
    let rt = runtime();
    rt.block_on(async {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, peer) = ln.accept().await.unwrap();
        assert_eq!(c.peer_addr().unwrap(), addr);
        assert_eq!(s.local_addr().unwrap(), addr);
        assert_eq!(peer, c.local_addr().unwrap());
        // The listener gone: connecting to its port is refused.
        drop(ln);
        drop((c, s));
        let e = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    })
    .unwrap();
}

// udp.rs: send_recv (connected sockets), send_to_recv_from,
// send_to_peek_from.
#[test]
fn udp_send_recv_and_peek() {
    let rt = runtime();
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        a.connect(ba).unwrap();
        b.connect(aa).unwrap();
        assert_eq!(a.peer_addr().unwrap(), ba);
        assert_eq!(a.send(b"hello").await.unwrap(), 5);
        let mut buf = [0; 32];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");

        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        let d = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (ca, da) = (c.local_addr().unwrap(), d.local_addr().unwrap());
        assert_eq!(c.send_to(b"hello", da).await.unwrap(), 5);
        // Peek leaves the datagram: two peeks, then a receive, see it.
        for _ in 0..2 {
            let (n, from) = d.peek_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"hello"[..], ca));
        }
        let (n, from) = d.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"hello"[..], ca));
    })
    .unwrap();
}

// udp.rs: split: one task sends while another receives on the same socket.
#[test]
fn udp_shared_between_a_sender_and_a_receiver() {
    const N: u8 = 50;
    let rt = runtime();
    rt.block_on(async {
        let s = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let me = s.local_addr().unwrap();
        let rx = {
            let s = s.clone();
            gosched::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0; 4];
                while got.len() < N as usize {
                    let (n, from) = s.recv_from(&mut buf).await.unwrap();
                    assert_eq!((n, from), (1, me));
                    got.push(buf[0]);
                }
                got
            })
        };
        for i in 0..N {
            s.send_to(&[i], me).await.unwrap();
            if i % 10 == 0 {
                gosched::yield_now().await;
            }
        }
        let mut got = rx.await.unwrap();
        got.sort();
        assert_eq!(got, (0..N).collect::<Vec<_>>());
    })
    .unwrap();
}

// udp.rs: send_to_recv_closed_returns_err analogue: a socket closed while
// a task waits in recv wakes it with an error; one closed before fails at
// once.
#[test]
fn udp_operations_after_close_fail() {
    let rt = runtime();
    rt.block_on(async {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = s.local_addr().unwrap();
        s.close();
        let mut buf = [0; 4];
        let e = s.recv_from(&mut buf).await.unwrap_err();
        assert_eq!(e.to_string(), "use of closed network connection");
        let e = s.send_to(b"x", to).await.unwrap_err();
        assert_eq!(e.to_string(), "use of closed network connection");
    })
    .unwrap();
}

// rt_common.rs: block_on_socket: the main future itself waits on a
// socket, for a plain thread's connection, on one P and on two.
#[test]
fn block_on_socket() {
    for procs in [1, 2] {
        let rt = Runtime::builder().procs(procs).build().unwrap();
        let got = rt
            .block_on(async {
                let ln = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = ln.local_addr().unwrap();
                let t = std::thread::spawn(move || {
                    use std::io::Write;
                    let mut s = std::net::TcpStream::connect(addr).unwrap();
                    s.write_all(b"hi").unwrap();
                });
                let (s, _) = ln.accept().await.unwrap();
                let mut b = [0; 2];
                s.read_exact(&mut b).await.unwrap();
                t.join().unwrap();
                b
            })
            .unwrap();
        assert_eq!(&got, b"hi");
    }
}

// rt_common.rs: socket_from_blocking, client_server_block_on: a blocking
// job connects with a std socket to a listener served by a task, on one P.
#[test]
fn socket_from_blocking_job() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let server = gosched::spawn(async move {
            let (s, _) = ln.accept().await.unwrap();
            let mut b = [0; 4];
            s.read_exact(&mut b).await.unwrap();
            s.write_all(&b).await.unwrap();
        });
        let echoed = gosched::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"ping").unwrap();
            let mut b = [0; 4];
            s.read_exact(&mut b).unwrap();
            b
        })
        .await
        .unwrap();
        assert_eq!(&echoed, b"ping");
        server.await.unwrap();
    })
    .unwrap();
}

// rt_common.rs: io_notify_while_shutting_down: readers parked on sockets
// while data arrives and the runtime drops; every round ends.
#[test]
fn io_arriving_while_the_runtime_drops() {
    for _ in 0..20 {
        let rt = Runtime::builder().procs(2).build().unwrap();
        let (client, server) = rt.block_on(pair()).unwrap();
        let reader = rt.spawn(async move {
            let mut b = [0; 16];
            loop {
                match client.read(&mut b).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        });
        let writer = std::thread::spawn(move || {
            let s = server.into_std().unwrap();
            for _ in 0..100 {
                use std::io::Write;
                if (&s).write_all(b"data").is_err() {
                    break;
                }
            }
        });
        drop(rt);
        writer.join().unwrap();
        drop(reader);
    }
}

// tcp_connect.rs: connect_v4, connect_addr_ip_string, connect_addr_host_string,
// connect_addr_ip_port_tuple, connect_addr_ip_str_port_tuple,
// connect_addr_host_str_port_tuple: every address form connects ("localhost"
// may resolve to ::1 first, which refuses; the next address is tried).
#[test]
fn connect_address_forms() {
    let rt = runtime();
    rt.block_on(async {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let port = addr.port();
        let acceptor = gosched::spawn(async move {
            for _ in 0..6 {
                ln.accept().await.unwrap();
            }
        });
        TcpStream::connect(addr).await.unwrap();
        TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
        TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        TcpStream::connect(("localhost", port)).await.unwrap();
        acceptor.await.unwrap();
    })
    .unwrap();
}

// async-io tests/async.rs: tcp_duplex: one stream read by one task and
// written by another, both parked at once (full send buffer, nothing to
// read), each woken by its own direction's readiness.
#[test]
fn tcp_duplex() {
    const CHUNKS: usize = 512;
    async fn do_read(s: Arc<TcpStream>) -> usize {
        let mut buf = vec![0u8; 4096];
        let mut total = 0;
        loop {
            match s.read(&mut buf).await.unwrap() {
                0 => return total,
                n => total += n,
            }
        }
    }
    async fn do_write(s: Arc<TcpStream>) {
        let buf = vec![0u8; 4096];
        for _ in 0..CHUNKS {
            s.write_all(&buf).await.unwrap();
        }
        s.shutdown(Shutdown::Write).unwrap();
    }
    let rt = runtime();
    rt.block_on(async {
        let (a, b) = pair().await;
        let (a, b) = (Arc::new(a), Arc::new(b));
        let r1 = gosched::spawn(do_read(a.clone()));
        let w1 = gosched::spawn(do_write(a));
        // Both parked: w1 on a full buffer, r1 on nothing to read.
        gosched::sleep(Duration::from_millis(5)).await;
        let r2 = gosched::spawn(do_read(b.clone()));
        w1.await.unwrap();
        assert_eq!(r2.await.unwrap(), CHUNKS * 4096);
        // Now make r1's side readable: is it woken?
        let w2 = gosched::spawn(do_write(b));
        assert_eq!(r1.await.unwrap(), CHUNKS * 4096);
        w2.await.unwrap();
    })
    .unwrap();
}
