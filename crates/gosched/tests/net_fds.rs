//! `gosched::net` and file descriptors: no leak after 10,000 connections,
//! and an accept loop that survives running out of them (EMFILE). Its own
//! test binary, as it counts and limits the process's descriptors; the
//! tests take a lock so that they never run at the same time.
#![cfg(all(feature = "net", target_os = "linux", not(miri)))]

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gosched::net::{TcpListener, TcpStream};
use gosched::Runtime;

static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A two-P runtime whose poller exists already (it is made with the first
/// socket), so that counts taken from here on see only the sockets.
fn runtime_with_poller() -> Runtime {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let warm = rt
        .block_on(async { TcpListener::bind("127.0.0.1:0").unwrap() })
        .unwrap();
    drop(warm);
    rt
}

#[test]
fn no_fd_leaked_after_10000_connections() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime_with_poller();
    let before = open_fds();
    let served = Arc::new(AtomicUsize::new(0));
    let s2 = served.clone();
    rt.block_on(async move {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let server = gosched::spawn(async move {
            for _ in 0..10_000 {
                let (conn, _) = ln.accept().await.unwrap();
                let s2 = s2.clone();
                gosched::go(async move {
                    let mut b = [0; 1];
                    let ok =
                        conn.read_exact(&mut b).await.is_ok() && conn.write_all(&b).await.is_ok();
                    drop(conn);
                    assert!(ok);
                    s2.fetch_add(1, Ordering::Release);
                });
            }
        });
        // 100 clients at a time.
        for batch in 0..100usize {
            let hs: Vec<_> = (0..100usize)
                .map(|i| {
                    gosched::spawn(async move {
                        let c = TcpStream::connect(addr).await.unwrap();
                        let b = [(batch + i) as u8];
                        c.write_all(&b).await.unwrap();
                        let mut back = [0; 1];
                        c.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, b);
                    })
                })
                .collect();
            for h in hs {
                h.await.unwrap();
            }
        }
        server.await.unwrap();
        // The last server tasks finish just after their reply.
        while s2_load(&served) < 10_000 {
            gosched::sleep(Duration::from_millis(1)).await;
        }
    })
    .unwrap();
    assert_eq!(open_fds(), before);
}

fn s2_load(c: &AtomicUsize) -> usize {
    c.load(Ordering::Acquire)
}

/// One more than the highest open descriptor.
fn fd_ceiling() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap()
        + 1
}

/// Opens /dev/null until the limit is hit: no descriptor is left free.
fn exhaust_fds() -> Vec<std::fs::File> {
    let mut held = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => held.push(f),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
                return held;
            }
        }
    }
}

/// Restores the soft RLIMIT_NOFILE on drop.
struct SoftLimit(libc::rlimit);

impl SoftLimit {
    fn lower_to(n: u64) -> SoftLimit {
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes the limit into `old`, a valid rlimit.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) }, 0);
        let new = libc::rlimit {
            rlim_cur: n as libc::rlim_t,
            rlim_max: old.rlim_max,
        };
        // SAFETY: setrlimit reads `new`, a valid rlimit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) }, 0);
        SoftLimit(old)
    }
}

impl Drop for SoftLimit {
    fn drop(&mut self) {
        // SAFETY: setrlimit reads the saved rlimit.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &self.0) };
    }
}

#[test]
fn accept_loop_survives_emfile() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const CLIENTS: usize = 30;
    let rt = Runtime::builder().procs(2).build().unwrap();
    let (emfiles, echoed) = rt
        .block_on(async {
            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = ln.local_addr().unwrap();
            // The clients connect (the kernel queues them) and send a byte.
            let clients: Vec<std::net::TcpStream> = (0..CLIENTS)
                .map(|i| {
                    let mut c = std::net::TcpStream::connect(addr).unwrap();
                    c.write_all(&[i as u8]).unwrap();
                    c
                })
                .collect();
            let served = Arc::new(AtomicUsize::new(0));
            let mut emfiles = 0;
            {
                // Room for two accepted connections at a time.
                let _limit = SoftLimit::lower_to(fd_ceiling() + 2);
                let mut held = exhaust_fds();
                held.truncate(held.len().saturating_sub(2));
                let mut accepted = 0;
                let mut delay = Duration::from_millis(1);
                while accepted < CLIENTS {
                    match ln.accept().await {
                        Ok((conn, _)) => {
                            accepted += 1;
                            delay = Duration::from_millis(1);
                            let served = served.clone();
                            gosched::go(async move {
                                let mut b = [0; 1];
                                conn.read_exact(&mut b).await.unwrap();
                                conn.write_all(&b).await.unwrap();
                                drop(conn);
                                served.fetch_add(1, Ordering::Release);
                            });
                        }
                        // Go's http.Server: a temporary error, back off
                        // (5 ms doubling to 1 s there) and accept again.
                        Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                            emfiles += 1;
                            gosched::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_millis(50));
                        }
                        Err(e) => panic!("accept: {e}"),
                    }
                }
                while served.load(Ordering::Acquire) < CLIENTS {
                    gosched::sleep(Duration::from_millis(1)).await;
                }
            }
            let mut echoed = 0;
            for (i, mut c) in clients.into_iter().enumerate() {
                let mut b = [0; 1];
                c.read_exact(&mut b).unwrap();
                assert_eq!(b[0], i as u8);
                echoed += 1;
            }
            (emfiles, echoed)
        })
        .unwrap();
    assert_eq!(echoed, CLIENTS);
    assert!(emfiles > 0, "the limit was never hit");
}

#[test]
fn emfile_is_an_error_not_a_panic() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let _limit = SoftLimit::lower_to(fd_ceiling());
        let _held = exhaust_fds();
        let err = TcpListener::bind("127.0.0.1:0").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE));
        let err = TcpStream::connect(ln.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE));
        assert_ne!(err.kind(), ErrorKind::Other);
    })
    .unwrap();
}

/// `into_std` hands the descriptor over without closing it, and the
/// runtime never closes it later: 200 sockets given back and dropped
/// leave the count where it was, and each stays open until its drop.
#[test]
fn into_std_neither_leaks_nor_closes_twice() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime_with_poller();
    let before = open_fds();
    let given_back = rt
        .block_on(async {
            (0..200)
                .map(|_| {
                    TcpListener::bind("127.0.0.1:0")
                        .unwrap()
                        .into_std()
                        .unwrap()
                })
                .collect::<Vec<_>>()
        })
        .unwrap();
    assert_eq!(open_fds(), before + 200);
    for ln in &given_back {
        // Each one still open.
        assert!(ln.local_addr().is_ok());
    }
    drop(given_back);
    assert_eq!(open_fds(), before);
}
