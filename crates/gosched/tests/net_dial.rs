//! `gosched::net::TcpStream::connect` and `connect_timeout` as Go's `Dial`
//! and `DialTimeout`: the deadline, the first address's error. Miri cannot
//! make sockets, so the whole file is skipped there.
#![cfg(all(feature = "net", not(miri)))]

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gosched::net::{TcpListener, TcpStream};
use gosched::Runtime;

fn runtime(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// A port that was just free: nothing listens there.
fn refused_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A connect that hangs: a listener whose accept queue is full drops
/// further SYNs (Linux), so the handshake is retried for a minute.
#[cfg(target_os = "linux")]
#[test]
fn connect_timeout_gives_up_with_an_io_timeout() {
    let full = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    full.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    full.listen(0).unwrap();
    let addr = full.local_addr().unwrap().as_socket().unwrap();
    // Fill the queue: connections the listener never accepts.
    let mut queued = Vec::new();
    for _ in 0..4 {
        if let Ok(c) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            queued.push(c);
        }
    }
    assert!(!queued.is_empty());
    runtime(1)
        .block_on(async move {
            let start = Instant::now();
            let e = TcpStream::connect_timeout(addr, Duration::from_millis(300))
                .await
                .unwrap_err();
            let took = start.elapsed();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert_eq!(e.to_string(), "i/o timeout");
            assert!(took >= Duration::from_millis(300), "{took:?}");
            assert!(took < Duration::from_secs(20), "{took:?}");
        })
        .unwrap();
    drop(queued);
}

#[test]
fn connect_timeout_connects_and_leaves_no_deadline_behind() {
    runtime(2)
        .block_on(async {
            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = ln.local_addr().unwrap();
            let peer = gosched::spawn(async move {
                let (c, _) = ln.accept().await.unwrap();
                let mut buf = [0; 5];
                c.read_exact(&mut buf).await.unwrap();
                buf
            });
            let c = TcpStream::connect_timeout(addr, Duration::from_millis(50))
                .await
                .unwrap();
            // Past the dial's timeout, a write still works: the deadline
            // was the dial's only.
            gosched::sleep(Duration::from_millis(100)).await;
            c.write_all(b"later").await.unwrap();
            assert_eq!(&peer.await.unwrap(), b"later");
            assert!(c.keepalive().unwrap());

            // A zero timeout is none, as Go's; a huge one too.
            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = ln.local_addr().unwrap();
            TcpStream::connect_timeout(addr, Duration::ZERO)
                .await
                .unwrap();
            TcpStream::connect_timeout(addr, Duration::MAX)
                .await
                .unwrap();
            // Refused is refused, timeout or not.
            let e = TcpStream::connect_timeout(refused_addr(), Duration::from_secs(5))
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
        })
        .unwrap();
}

/// Go's `dialSerial` reports the first address's error ("the error from
/// the first address is most relevant"); std's `connect` the last.
#[test]
fn connect_reports_the_first_addresses_error() {
    runtime(1)
        .block_on(async {
            // TCP to the broadcast address fails, and not as refused.
            let broadcast = SocketAddr::from(([255, 255, 255, 255], 80));
            let alone = TcpStream::connect(broadcast).await.unwrap_err();
            assert_ne!(alone.kind(), ErrorKind::ConnectionRefused, "{alone}");
            let refused = refused_addr();
            let e = TcpStream::connect(&[broadcast, refused][..])
                .await
                .unwrap_err();
            assert_eq!(e.kind(), alone.kind(), "{e}");
            let e = TcpStream::connect(&[refused, broadcast][..])
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            // An address that does connect, after failing ones, wins.
            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            let good = ln.local_addr().unwrap();
            let c = TcpStream::connect(&[broadcast, refused, good][..])
                .await
                .unwrap();
            assert_eq!(c.peer_addr().unwrap(), good);
            let c = TcpStream::connect_timeout(&[refused, good][..], Duration::from_secs(5))
                .await
                .unwrap();
            assert_eq!(c.peer_addr().unwrap(), good);
        })
        .unwrap();
}
