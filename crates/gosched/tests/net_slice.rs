//! A task that keeps reading a socket that always has data, in one long
//! poll, is a goroutine making short system calls in Go: it keeps its P
//! (sysmon sees progress, Go's `syscalltick`) until its 10 ms time slice is
//! over, and then yields at its next socket operation (Go's preemption),
//! so a queued task runs on the same thread. The socket budget (not Go's,
//! `tests/net_budget.rs`) is off here. Miri cannot make sockets.
#![cfg(all(feature = "net", not(miri)))]

use std::io::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_io::AsyncRead;
use gosched::net::{TcpListener, TcpStream};

/// Bytes per read: small, so that a poll makes many system calls.
const READ_SIZE: usize = 8;

/// How long a poll may go without progress before sysmon takes its P:
/// longer than the default, so that a thread the OS leaves waiting for a
/// while on a loaded machine does not look like a stuck poll, and still
/// well within the reader's time.
const RETAKE_AFTER: Duration = Duration::from_millis(150);

/// How long the first test's reader reads.
const READ_FOR: Duration = Duration::from_millis(400);

/// The tests run one at a time: each one's reader and flooding peer keep
/// two threads busy, and a machine with two cores would leave one of them
/// waiting long enough to look stuck.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A connection whose peer (a std thread) writes without pause until the
/// connection is dropped, so that reads on it almost never wait.
async fn flooded_connection() -> TcpStream {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut peer = std::net::TcpStream::connect(addr).unwrap();
        let chunk = [7u8; 64 << 10];
        while peer.write_all(&chunk).is_ok() {}
    });
    let (conn, _) = ln.accept().await.unwrap();
    // Let the peer fill the socket buffers.
    gosched::sleep(Duration::from_millis(50)).await;
    conn
}

/// Reads until `done` says so, each poll reading for as long as reads are
/// ready (a poll returns `Pending` only when a read does). `done` is given
/// the time since the start and whether this is the start of a poll.
async fn read_until(conn: &mut TcpStream, mut done: impl FnMut(Duration, bool) -> bool) {
    let start = Instant::now();
    std::future::poll_fn(|cx| {
        let mut buf = [0u8; READ_SIZE];
        let mut poll_start = true;
        loop {
            if done(start.elapsed(), poll_start) {
                return Poll::Ready(());
            }
            poll_start = false;
            match Pin::new(&mut *conn).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(n)) => assert!(n > 0, "the peer never closes"),
                Poll::Ready(Err(e)) => panic!("read failed: {e}"),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await
}

#[test]
fn a_task_making_socket_calls_keeps_its_p_within_its_slice() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = gosched::Runtime::builder()
        .procs(1)
        .retake_after(RETAKE_AFTER)
        .time_slice(Duration::from_secs(60))
        .io_budget(0)
        .build()
        .unwrap();
    let ran_during_a_poll = rt
        .block_on(async {
            let mut conn = flooded_connection().await;
            gosched::spawn(async move {
                let ran = Arc::new(AtomicBool::new(false));
                let ran2 = ran.clone();
                // Queued behind the reader on the one P: a sysmon that took
                // the reader's poll for a stuck one would hand the P to
                // another M, and this would run during that poll.
                let other = gosched::spawn(async move { ran2.store(true, Ordering::SeqCst) });
                let mut ran_at_poll_start = false;
                let mut ran_during = false;
                read_until(&mut conn, |t, poll_start| {
                    let now = ran.load(Ordering::SeqCst);
                    if poll_start {
                        ran_at_poll_start = now;
                    } else if now && !ran_at_poll_start {
                        ran_during = true;
                    }
                    t >= READ_FOR
                })
                .await;
                other.await.unwrap();
                ran_during
            })
            .await
            .unwrap()
        })
        .unwrap();
    assert!(
        !ran_during_a_poll,
        "the queued task ran on another M while the reader's poll was making system calls"
    );
}

#[test]
fn a_task_reading_for_a_whole_slice_yields_to_a_queued_task() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = gosched::Runtime::builder()
        .procs(1)
        .retake_after(RETAKE_AFTER)
        .time_slice(Duration::from_millis(10))
        .io_budget(0)
        .build()
        .unwrap();
    let (took, same_thread) = rt
        .block_on(async {
            let mut conn = flooded_connection().await;
            gosched::spawn(async move {
                let reader = std::thread::current().id();
                let ran_on = Arc::new(std::sync::Mutex::new(None));
                let ran_on2 = ran_on.clone();
                let other = gosched::spawn(async move {
                    *ran_on2.lock().unwrap() = Some(std::thread::current().id());
                });
                let mut took = Duration::ZERO;
                read_until(&mut conn, |t, _| {
                    took = t;
                    ran_on.lock().unwrap().is_some() || t >= Duration::from_secs(20)
                })
                .await;
                other.await.unwrap();
                let same = *ran_on.lock().unwrap() == Some(reader);
                (took, same)
            })
            .await
            .unwrap()
        })
        .unwrap();
    assert!(took < Duration::from_secs(20), "the reader never yielded");
    assert!(same_thread, "the queued task ran on another M");
}
