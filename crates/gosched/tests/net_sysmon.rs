//! Sysmon's wake-ups while a one-connection server goes idle and busy at
//! every request. One test in its own process, so that the only sysmon
//! thread in it is this runtime's. Linux only (it reads `/proc`); Miri
//! cannot make sockets.
#![cfg(all(feature = "net", target_os = "linux", not(miri)))]

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use gosched::net::TcpListener;

mod common;
use common::voluntary_switches;

/// The P leaves the idle list at every request. Sysmon is kicked out of its
/// nap only when that nap is its longest (10 ms), and each kick costs it a
/// handful of short naps: it woke 600-800 times a second here. Kicked out
/// of any nap of 1 ms or more, it woke about 3,200 times a second, on every
/// attempt. A machine busy with other work delays the server's replies and
/// sysmon's naps alike (2,400 wakes a second was seen once, with the
/// machine's load average at 10), so the test passes when any of three
/// attempts stays under the bound.
#[test]
fn a_busy_server_does_not_keep_sysmon_awake() {
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let (wakes, took) = sysmon_wakes_while_serving();
        let per_sec = wakes as f64 / took.as_secs_f64();
        if per_sec < 1500.0 {
            return;
        }
        attempts.push(format!("{wakes} in {took:?} ({per_sec:.0}/s)"));
    }
    panic!("sysmon woke too often: {}", attempts.join("; "));
}

/// Serves 300 ms of one-connection ping-pong on one P after 100 ms of
/// settling; returns sysmon's voluntary context switches in those 300 ms.
fn sysmon_wakes_while_serving() -> (u64, Duration) {
    let rt = gosched::Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        gosched::go(async move {
            let (conn, _) = ln.accept().await.unwrap();
            let mut buf = [0; 64];
            while let Ok(n @ 1..) = conn.read(&mut buf).await {
                conn.write_all(&buf[..n]).await.unwrap();
            }
        });
        let client = std::thread::spawn(move || {
            let mut conn = std::net::TcpStream::connect(addr).unwrap();
            conn.set_nodelay(true).unwrap();
            let mut ping = || {
                conn.write_all(b"ping").unwrap();
                let mut buf = [0; 4];
                conn.read_exact(&mut buf).unwrap();
                assert_eq!(&buf, b"ping");
            };
            // Settle: sysmon backs off while the server runs.
            let settle = Instant::now();
            while settle.elapsed() < Duration::from_millis(100) {
                ping();
            }
            let before = voluntary_switches("gosched-sysmon");
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(300) {
                ping();
            }
            (
                voluntary_switches("gosched-sysmon") - before,
                start.elapsed(),
            )
        });
        gosched::blocking(|| client.join().unwrap())
    })
    .unwrap()
}
