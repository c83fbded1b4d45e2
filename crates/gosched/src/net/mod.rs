//! Networking for gosched tasks (feature `net`): TCP and UDP sockets whose
//! waits go through the scheduler's own netpoller, as Go's `net` package
//! does.
//!
//! # How a wait works
//!
//! ```text
//!   task: conn.read(buf) ── read(2) → EAGAIN ── park on the pollDesc
//!                                               ("IO wait" in the dump)
//!   an M without work ───── blocks in the OS poller (epoll/kqueue/IOCP)
//!                           until an event, the earliest timer, or new
//!                           work (netpollBreak)
//!   event for the socket ── pollDesc ready → the task back to a run queue
//!                           → read(2) again, now with data
//! ```
//!
//! Every socket is non-blocking and registered once with the poller of the
//! runtime that created it (edge-triggered where the OS allows); read and
//! write readiness are tracked separately, so one task may read while
//! another writes. There is no reactor thread: see the scheduler's
//! `netpoll` module for where the Ms poll.
//!
//! Like Go's `net.Conn`, the types offer deadlines
//! ([`TcpStream::set_read_deadline`], failing with
//! [`std::io::ErrorKind::TimedOut`]) and a `close` that fails every waiting
//! operation ("use of closed network connection"). Errors are
//! [`std::io::Error`]s with the OS's kinds (refused, reset, address in
//! use); a peer's behaviour never panics.
//!
//! # Taking turns (not in Go 1.19, off by default)
//!
//! As in Go, a task keeps serving a connection whose next request is
//! already there, bounded only by its 10 ms time slice.
//! [`Builder::io_budget`](crate::Builder::io_budget) makes a task that
//! has completed that many socket operations in one poll yield at its next
//! one, as [`yield_now`](crate::yield_now) does, so connections take turns
//! (a lower p99 and a lower throughput with many connections; the crate
//! README has the measurements).
//!
//! Creating a socket needs the calling thread to run a gosched runtime
//! (inside [`Runtime::block_on`](crate::Runtime::block_on) or a task).
//!
//! ```
//! # if cfg!(miri) { return; }
//! use gosched::net::{TcpListener, TcpStream};
//! use std::net::Shutdown;
//! let rt = gosched::Runtime::builder().procs(2).build().unwrap();
//! rt.block_on(async {
//!     let ln = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = ln.local_addr().unwrap();
//!     // An echo server: a task per connection, as Go code is written.
//!     gosched::go(async move {
//!         loop {
//!             let Ok((conn, _)) = ln.accept().await else { return };
//!             gosched::go(async move {
//!                 let mut buf = [0; 1024];
//!                 while let Ok(n @ 1..) = conn.read(&mut buf).await {
//!                     if conn.write_all(&buf[..n]).await.is_err() {
//!                         return;
//!                     }
//!                 }
//!             });
//!         }
//!     });
//!     let conn = TcpStream::connect(addr).await.unwrap();
//!     conn.write_all(b"hello").await.unwrap();
//!     conn.shutdown(Shutdown::Write).unwrap();
//!     let mut got = Vec::new();
//!     let mut buf = [0; 16];
//!     loop {
//!         match conn.read(&mut buf).await.unwrap() {
//!             0 => break,
//!             n => got.extend_from_slice(&buf[..n]),
//!         }
//!     }
//!     assert_eq!(got, b"hello");
//! })
//! .unwrap();
//! ```

mod options;
pub(crate) mod poll_desc;
mod tcp;
mod udp;

pub use tcp::{TcpListener, TcpStream, DEFAULT_KEEPALIVE};
pub use udp::UdpSocket;
