//! TCP: [`TcpListener`] and [`TcpStream`] (Go's `TCPListener`, `TCPConn`).

use alloc::vec::Vec;
use core::net::SocketAddr;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use std::io;
use std::net::{Shutdown, ToSocketAddrs};
use std::time::Instant;

use super::poll_desc::{Dir, Registration};

/// The TCP keep-alive period of accepted and connected streams (Go's
/// `defaultTCPKeepAlive`): an idle connection is probed after 15 s, then
/// every 15 s. Change it per stream with [`TcpStream::set_keepalive`].
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(15);

/// The error of an address that resolves to nothing.
fn unresolved() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any address",
    )
}

/// Go's `maxListenerBacklog`: on Linux `net.core.somaxconn` (read once),
/// at most 65535 (kernels before 4.1 keep it in 16 bits; Go caps it only
/// on those), else 128.
fn listener_backlog() -> i32 {
    #[cfg(target_os = "linux")]
    {
        static BACKLOG: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
        *BACKLOG.get_or_init(|| {
            std::fs::read_to_string("/proc/sys/net/core/somaxconn")
                .ok()
                .and_then(|v| v.trim().parse::<i32>().ok())
                .filter(|&n| n > 0)
                .map_or(128, |n| n.min(u16::MAX.into()))
        })
    }
    #[cfg(not(target_os = "linux"))]
    128
}

/// Go's `partialDeadline`: the deadline for one of `addrs_left` addresses
/// still to try, an equal share of the time left but at least 2 s (or all
/// of it, when less is left); `None` when the time has run out.
fn partial_deadline(now: Instant, deadline: Instant, addrs_left: usize) -> Option<Instant> {
    const SANE_MINIMUM: Duration = Duration::from_secs(2);
    let left = deadline
        .checked_duration_since(now)
        .filter(|d| !d.is_zero())?;
    let share = left / u32::try_from(addrs_left).unwrap_or(u32::MAX).max(1);
    Some(now + share.max(SANE_MINIMUM.min(left)))
}

/// A listening socket on `addr`, as Go's `Listen` makes it: `SO_REUSEADDR`
/// (not on Windows, where it would let another socket take the port) and
/// [`listener_backlog`].
fn listen_on(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    #[cfg(not(windows))]
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    sock.listen(listener_backlog())?;
    Ok(sock.into())
}

/// Go's `setKeepAlive` and `setKeepAlivePeriod`: on with `period` (whole
/// seconds, rounded up) as the idle time and the probe interval, or off.
fn set_keepalive_on(s: &std::net::TcpStream, period: Option<Duration>) -> io::Result<()> {
    let sock = socket2::SockRef::from(s);
    let Some(period) = period else {
        return sock.set_keepalive(false);
    };
    if period.is_zero() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "keep-alive period must be positive",
        ));
    }
    let secs = Duration::from_secs(period.as_secs() + u64::from(period.subsec_nanos() > 0));
    let params = socket2::TcpKeepalive::new().with_time(secs);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "macos",
        target_os = "ios",
        target_os = "windows",
    ))]
    let params = params.with_interval(secs);
    sock.set_tcp_keepalive(&params)
}

/// A TCP socket listening for connections (Go's `net.TCPListener`).
///
/// ```
/// # if cfg!(miri) { return; }
/// use gosched::net::{TcpListener, TcpStream};
/// let rt = gosched::Runtime::builder().procs(2).build().unwrap();
/// rt.block_on(async {
///     let ln = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = ln.local_addr().unwrap();
///     gosched::go(async move {
///         let (conn, _) = ln.accept().await.unwrap();
///         conn.write_all(b"hi").await.unwrap();
///     });
///     let conn = TcpStream::connect(addr).await.unwrap();
///     let mut buf = [0; 2];
///     conn.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
/// })
/// .unwrap();
/// ```
#[doc(alias = "TCPListener")]
#[derive(Debug)]
pub struct TcpListener {
    reg: Registration<std::net::TcpListener>,
}

impl TcpListener {
    /// Listens on `addr` (Go's `net.Listen("tcp", addr)`); port 0 picks a
    /// free port. As in Go, the socket has `SO_REUSEADDR` (except on
    /// Windows) and the OS's longest accept queue (on Linux
    /// `net.core.somaxconn`, Go's `maxListenerBacklog`; elsewhere 128, as
    /// std's), so a burst of connections waits there instead of having
    /// its handshakes dropped. The socket is non-blocking and registered
    /// with the calling thread's runtime. Names are resolved with the OS
    /// resolver, which may block; each address is tried in turn.
    ///
    /// # Errors
    ///
    /// The OS's: e.g. [`io::ErrorKind::AddrInUse`] (the last address's);
    /// [`io::ErrorKind::InvalidInput`] when `addr` resolves to nothing.
    ///
    /// # Panics
    ///
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match listen_on(a) {
                Ok(ln) => return Self::from_std(ln),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(unresolved))
    }

    /// Takes over a listener made elsewhere, e.g. with options set through
    /// `socket2`, or inherited from a parent process (Go's
    /// `net.FileListener`): makes it non-blocking and registers it with the
    /// calling thread's runtime. Also `TcpListener::try_from(ln)`.
    ///
    /// # Errors
    ///
    /// The OS's, from making it non-blocking or registering it.
    ///
    /// # Panics
    ///
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn from_std(ln: std::net::TcpListener) -> io::Result<TcpListener> {
        ln.set_nonblocking(true)?;
        Ok(TcpListener {
            reg: Registration::new(ln)?,
        })
    }

    /// Gives the listener back as a std one, deregistered from the runtime
    /// and in blocking mode (Go's `File`, whose descriptor blocks).
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close);
    /// the OS's, from making it blocking.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let ln = self.reg.into_inner()?;
        ln.set_nonblocking(false)?;
        Ok(ln)
    }

    /// Waits for a connection (Go's `Accept`). The new stream has
    /// `TCP_NODELAY` set and keep-alive on every [`DEFAULT_KEEPALIVE`], as
    /// Go's connections do.
    ///
    /// # Errors
    ///
    /// The OS's, e.g. "too many open files" when the process is out of
    /// file descriptors: the pending connection stays queued, and a server
    /// should back off and accept again, as Go's `http.Server` does. Also
    /// [`io::ErrorKind::TimedOut`] after [`set_deadline`](Self::set_deadline),
    /// and "use of closed network connection" after [`close`](Self::close).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = self.reg.io(Dir::Read, |l| l.accept()).await?;
        Ok((TcpStream::from_accepted(s)?, addr))
    }

    /// [`accept`](Self::accept) as a poll function.
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (s, addr) = match self.reg.poll_io(cx, Dir::Read, |l| l.accept()) {
            Poll::Ready(Ok(v)) => v,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        Poll::Ready(TcpStream::from_accepted(s).map(|s| (s, addr)))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.reg.addr(false, |s| s.local_addr())
    }

    /// Go's `SetDeadline`: [`accept`](Self::accept) fails with
    /// [`io::ErrorKind::TimedOut`] once `deadline` has passed; `None`
    /// clears it. A waiting `accept` re-checks it at once.
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close).
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.reg.set_deadline(Dir::Read, deadline)
    }

    /// Go's `Close`: a waiting and every later [`accept`](Self::accept)
    /// fails with "use of closed network connection", and the socket is
    /// released (on Unix; elsewhere when the listener is dropped):
    /// connections to its address are refused and the address may be
    /// listened on again. [`local_addr`](Self::local_addr) still gives
    /// the address, as Go's `Addr` does.
    pub fn close(&self) {
        self.reg
            .close_releasing(|s| (s.local_addr().ok(), None), |_| {});
    }
}

/// A TCP connection (Go's `net.TCPConn`). Its operations take `&self`, so
/// one task may read while another writes (share it with an `Arc`, or
/// borrow it); it implements the `futures-io` [`AsyncRead`] and
/// [`AsyncWrite`] traits, also through `&TcpStream`.
///
/// [`AsyncRead`]: futures_io::AsyncRead
/// [`AsyncWrite`]: futures_io::AsyncWrite
#[doc(alias = "TCPConn")]
#[derive(Debug)]
pub struct TcpStream {
    reg: Registration<std::net::TcpStream>,
}

/// EINPROGRESS: a non-blocking connect under way.
fn connect_in_progress(e: &io::Error) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::EINPROGRESS) {
        return true;
    }
    e.kind() == io::ErrorKind::WouldBlock
}

impl TcpStream {
    /// An accepted connection: keep-alive on (failing that is not fatal,
    /// as in Go's `accept`), then as [`from_std`](Self::from_std).
    fn from_accepted(s: std::net::TcpStream) -> io::Result<TcpStream> {
        let _ = set_keepalive_on(&s, Some(DEFAULT_KEEPALIVE));
        Self::from_std(s)
    }

    /// Takes over a connected stream made elsewhere (Go's `net.FileConn`):
    /// makes it non-blocking, sets `TCP_NODELAY` as Go's connections have
    /// it, and registers it with the calling thread's runtime. Also
    /// `TcpStream::try_from(s)`.
    ///
    /// # Errors
    ///
    /// The OS's, from making it non-blocking or registering it.
    ///
    /// # Panics
    ///
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(true)?;
        // Go: "newTCPConn" sets TCP_NODELAY; failing that is not fatal.
        let _ = s.set_nodelay(true);
        Ok(TcpStream {
            reg: Registration::new(s)?,
        })
    }

    /// Gives the stream back as a std one, deregistered from the runtime
    /// and in blocking mode (Go's `File`, whose descriptor blocks). Its
    /// deadlines no longer apply.
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close);
    /// the OS's, from making it blocking.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let s = self.reg.into_inner()?;
        s.set_nonblocking(false)?;
        Ok(s)
    }

    /// Connects to `addr` (Go's `net.Dial("tcp", addr)`): each resolved
    /// address in turn, with a non-blocking connect. `TCP_NODELAY` is set
    /// and keep-alive is on every [`DEFAULT_KEEPALIVE`], as in Go.
    ///
    /// # Errors
    ///
    /// When no address accepts, the first address's error, as Go's (std's
    /// `connect` reports the last): the OS's, e.g.
    /// [`io::ErrorKind::ConnectionRefused`] when nothing listens;
    /// [`io::ErrorKind::InvalidInput`] when `addr` resolves to nothing.
    ///
    /// # Panics
    ///
    /// When polled outside a gosched runtime.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        Self::dial(addr, None).await
    }

    /// As [`connect`](Self::connect), giving up after `timeout` (Go's
    /// `net.DialTimeout`): the time left is shared among the addresses not
    /// yet tried, at least 2 s each while that much is left (Go's
    /// `partialDeadline`). A zero `timeout` means none, as in Go.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect); [`io::ErrorKind::TimedOut`] ("i/o
    /// timeout") for an address whose time ran out.
    ///
    /// # Panics
    ///
    /// When polled outside a gosched runtime.
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        let deadline = if timeout.is_zero() {
            None
        } else {
            // A timeout beyond `Instant`'s range is no timeout.
            Instant::now().checked_add(timeout)
        };
        Self::dial(addr, deadline).await
    }

    /// Go's `dialSerial`: each address in turn, with its share of the time
    /// left until `deadline`; the first error if none connects.
    async fn dial(addr: impl ToSocketAddrs, deadline: Option<Instant>) -> io::Result<TcpStream> {
        let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
        let mut first_err = None;
        for (i, &a) in addrs.iter().enumerate() {
            let part = match deadline {
                None => None,
                Some(d) => match partial_deadline(Instant::now(), d, addrs.len() - i) {
                    Some(part) => Some(part),
                    None => {
                        first_err.get_or_insert_with(super::poll_desc::timeout_error);
                        break;
                    }
                },
            };
            match Self::connect_one(a, part).await {
                Ok(s) => return Ok(s),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(unresolved))
    }

    async fn connect_one(addr: SocketAddr, deadline: Option<Instant>) -> io::Result<TcpStream> {
        let sock = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        sock.set_nonblocking(true)?;
        match sock.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if connect_in_progress(&e) => {}
            Err(e) => return Err(e),
        }
        let s: std::net::TcpStream = sock.into();
        let _ = s.set_nodelay(true);
        let stream = TcpStream {
            reg: Registration::new(s)?,
        };
        // Go's connect: wait until writable, then read SO_ERROR; the dial's
        // deadline is the write deadline meanwhile (Go's `SetWriteDeadline`
        // in `netFD.connect`).
        if deadline.is_some() {
            stream.reg.set_deadline(Dir::Write, deadline)?;
        }
        stream
            .reg
            .io(Dir::Write, |s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
            .await?;
        if deadline.is_some() {
            stream.reg.set_deadline(Dir::Write, None)?;
        }
        // Go's `Dialer`: keep-alive on once connected; failing that is not
        // fatal.
        let _ = set_keepalive_on(stream.reg.get_ref(), Some(DEFAULT_KEEPALIVE));
        Ok(stream)
    }

    /// Reads into `buf`; `Ok(0)` at end of stream (the peer shut its write
    /// side). An empty `buf` returns `Ok(0)` at once, data or not and past
    /// the deadline too, as Go's `Read` does (only a closed stream's error
    /// comes first).
    ///
    /// # Errors
    ///
    /// The OS's (e.g. [`io::ErrorKind::ConnectionReset`]),
    /// [`io::ErrorKind::TimedOut`] past the read deadline, "use of closed
    /// network connection" after [`close`](Self::close).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return self.empty_read();
        }
        self.reg
            .io(Dir::Read, |mut s| io::Read::read(&mut s, buf))
            .await
    }

    /// Reads into `buf` without taking the bytes out of the stream: the
    /// next [`read`](Self::read) returns them again (`MSG_PEEK`). Waits, as
    /// `read` does, while nothing has arrived.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return self.empty_read();
        }
        self.reg.io(Dir::Read, |s| s.peek(buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read); [`io::ErrorKind::UnexpectedEof`] if the
    /// stream ends first.
    pub async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Writes some of `buf`; returns how much.
    ///
    /// # Errors
    ///
    /// The OS's (e.g. [`io::ErrorKind::BrokenPipe`],
    /// [`io::ErrorKind::ConnectionReset`]), [`io::ErrorKind::TimedOut`]
    /// past the write deadline, "use of closed network connection" after
    /// [`close`](Self::close).
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.reg
            .io(Dir::Write, |mut s| io::Write::write(&mut s, buf))
            .await
    }

    /// Writes all of `buf` (Go's `Write`, which loops until done).
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write); [`io::ErrorKind::WriteZero`] if the
    /// socket accepts nothing.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Writes some of the buffers in `bufs`, in order, with one system call
    /// (`writev`; Go's `net.Buffers` write); returns how many bytes.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    pub async fn write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.reg
            .io(Dir::Write, |mut s| io::Write::write_vectored(&mut s, bufs))
            .await
    }

    /// Go's `FD.Read`: a read into an empty buffer returns 0 at once (a
    /// closed stream's error first), where the OS would wait for data.
    fn empty_read(&self) -> io::Result<usize> {
        self.reg.open_ref().map(|_| 0)
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(self.empty_read());
        }
        self.reg
            .poll_io(cx, Dir::Read, |mut s| io::Read::read(&mut s, buf))
    }

    /// The write-side shutdown of the I/O traits' `poll_close` and
    /// `poll_shutdown`: as tokio's, a connection the OS no longer has
    /// (`ENOTCONN`: shut down before, or reset by the peer) counts as shut
    /// down. [`shutdown`](Self::shutdown), Go's `CloseWrite`, reports it.
    /// After [`close`](Self::close) it still fails, with "use of closed
    /// network connection".
    fn shutdown_write_priv(&self) -> io::Result<()> {
        match self.reg.open_ref()?.shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        }
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.reg
            .poll_io(cx, Dir::Write, |mut s| io::Write::write(&mut s, buf))
    }

    fn poll_read_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [io::IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(self.empty_read());
        }
        self.reg
            .poll_io(cx, Dir::Read, |mut s| io::Read::read_vectored(&mut s, bufs))
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.reg.poll_io(cx, Dir::Write, |mut s| {
            io::Write::write_vectored(&mut s, bufs)
        })
    }

    /// Shuts down the read side, the write side (Go's `CloseWrite`: the peer
    /// reads end of stream) or both.
    ///
    /// # Errors
    ///
    /// The OS's, e.g. [`io::ErrorKind::NotConnected`]; "use of closed
    /// network connection" after [`close`](Self::close).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.reg.open_ref()?.shutdown(how)
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.reg.addr(false, |s| s.local_addr())
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The OS's, e.g. [`io::ErrorKind::NotConnected`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.reg.addr(true, |s| s.peer_addr())
    }

    /// Sets `TCP_NODELAY` (on by default, as in Go; Go's `SetNoDelay`).
    ///
    /// # Errors
    ///
    /// The OS's; "use of closed network connection" after
    /// [`close`](Self::close).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.reg.open_ref()?.set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// As [`set_nodelay`](Self::set_nodelay).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.reg.open_ref()?.nodelay()
    }

    /// Go's `SetKeepAlive` and `SetKeepAlivePeriod`: `Some(period)` turns
    /// TCP keep-alive on, probing a connection idle for `period` and then
    /// every `period` (in whole seconds, rounded up, where the OS sets the
    /// interval); `None` turns it off. Accepted and connected streams start
    /// with it on every [`DEFAULT_KEEPALIVE`], as Go's do.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] for a zero period; the OS's, e.g.
    /// for a period beyond its limit; "use of closed network connection"
    /// after [`close`](Self::close).
    pub fn set_keepalive(&self, period: Option<Duration>) -> io::Result<()> {
        set_keepalive_on(self.reg.open_ref()?, period)
    }

    /// Whether TCP keep-alive is on.
    ///
    /// # Errors
    ///
    /// The OS's; "use of closed network connection" after
    /// [`close`](Self::close).
    pub fn keepalive(&self) -> io::Result<bool> {
        socket2::SockRef::from(self.reg.open_ref()?).keepalive()
    }

    /// Go's `SetReadDeadline`: reads fail with [`io::ErrorKind::TimedOut`]
    /// ("i/o timeout") once `deadline` has passed, whether or not data is
    /// waiting; `None` clears it. It applies to a read already waiting, and
    /// a later deadline lets reads succeed again. The deadline is a timer
    /// on the runtime's timer heaps, so a read with a deadline must be
    /// polled on a thread of a gosched runtime (a task or `block_on`).
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close).
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.reg.set_deadline(Dir::Read, deadline)
    }

    /// Go's `SetWriteDeadline`, as [`set_read_deadline`](Self::set_read_deadline)
    /// for writes.
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close).
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.reg.set_deadline(Dir::Write, deadline)
    }

    /// Go's `SetDeadline`: both deadlines.
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close).
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.set_read_deadline(deadline)?;
        self.set_write_deadline(deadline)
    }

    /// Go's `Close`: waiting and later operations fail with "use of closed
    /// network connection" ([`io::ErrorKind::NotConnected`]), and the
    /// socket is released, as Go's `Close` closes it: the peer sees end of
    /// stream (or, if data it sent was left unread here, a reset, as
    /// with Go), and the port is free. Where the socket cannot be released
    /// before the drop (not Unix), the connection is shut down instead, so
    /// the peer still sees end of stream. [`local_addr`](Self::local_addr)
    /// and [`peer_addr`](Self::peer_addr) still give the addresses, as
    /// Go's `LocalAddr` and `RemoteAddr` do.
    pub fn close(&self) {
        self.reg.close_releasing(
            |s| (s.local_addr().ok(), s.peer_addr().ok()),
            // Already shut or reset by the peer: nothing left to tell it.
            |s| {
                let _ = s.shutdown(Shutdown::Both);
            },
        );
    }
}

/// The `futures-io` traits, for the stream and for a shared reference to it
/// (reads and writes take `&self`, as Go's `net.Conn` methods may run from
/// several goroutines).
macro_rules! impl_futures_io {
    ($t:ty) => {
        impl futures_io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }
            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [io::IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_vectored_priv(cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            /// Shuts down the write side (Go's `CloseWrite`); a connection
            /// already shut down or reset counts as shut (tokio's rule).
            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown_write_priv())
            }
        }
    };
}

impl_futures_io!(TcpStream);
impl_futures_io!(&TcpStream);

/// The socket's descriptor, for options this API lacks (e.g. with
/// `socket2::SockRef`).
macro_rules! impl_as_socket {
    ($t:ty) => {
        #[cfg(unix)]
        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.reg.get_ref().as_fd()
            }
        }
        #[cfg(unix)]
        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.reg.get_ref().as_raw_fd()
            }
        }
        #[cfg(windows)]
        impl std::os::windows::io::AsSocket for $t {
            fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
                self.reg.get_ref().as_socket()
            }
        }
        #[cfg(windows)]
        impl std::os::windows::io::AsRawSocket for $t {
            fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
                self.reg.get_ref().as_raw_socket()
            }
        }
    };
}
pub(super) use impl_as_socket;

impl_as_socket!(TcpListener);
impl_as_socket!(TcpStream);

super::options::impl_ip_options!(TcpListener);
super::options::impl_ip_options!(TcpStream);
super::options::impl_buffer_options!(TcpStream);

/// `TryFrom` a std socket, as its type's `from_std`.
macro_rules! impl_try_from_std {
    ($t:ident) => {
        impl TryFrom<std::net::$t> for $t {
            type Error = io::Error;

            /// As [`from_std`](Self::from_std).
            #[track_caller]
            fn try_from(socket: std::net::$t) -> io::Result<$t> {
                $t::from_std(socket)
            }
        }
    };
}
pub(super) use impl_try_from_std;

impl_try_from_std!(TcpListener);
impl_try_from_std!(TcpStream);

/// tokio's I/O traits (feature `tokio-io`), for crates written against
/// tokio's traits; the stream still runs on gosched's netpoller.
#[cfg(feature = "tokio-io")]
mod tokio_io {
    use super::TcpStream;
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use std::io;

    fn poll_read_buf(
        s: &TcpStream,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match s.poll_read_priv(cx, buf.initialize_unfilled()) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    macro_rules! impl_tokio_io {
        ($t:ty) => {
            impl tokio::io::AsyncRead for $t {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut tokio::io::ReadBuf<'_>,
                ) -> Poll<io::Result<()>> {
                    poll_read_buf(&self, cx, buf)
                }
            }

            impl tokio::io::AsyncWrite for $t {
                fn poll_write(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &[u8],
                ) -> Poll<io::Result<usize>> {
                    self.poll_write_priv(cx, buf)
                }
                fn poll_write_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &[io::IoSlice<'_>],
                ) -> Poll<io::Result<usize>> {
                    self.poll_write_vectored_priv(cx, bufs)
                }
                fn is_write_vectored(&self) -> bool {
                    true
                }
                fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(Ok(()))
                }
                /// Shuts down the write side (Go's `CloseWrite`); a
                /// connection already shut down or reset counts as shut
                /// (tokio's rule).
                fn poll_shutdown(
                    self: Pin<&mut Self>,
                    _: &mut Context<'_>,
                ) -> Poll<io::Result<()>> {
                    Poll::Ready(self.shutdown_write_priv())
                }
            }
        };
    }

    impl_tokio_io!(TcpStream);
    impl_tokio_io!(&TcpStream);
}

#[cfg(test)]
mod tests {
    use super::partial_deadline;
    use core::time::Duration;
    use std::time::Instant;

    #[test]
    fn partial_deadline_shares_the_time_left_as_go_does() {
        let now = Instant::now();
        let s = Duration::from_secs;
        let at = |left: Duration, n| partial_deadline(now, now + left, n).map(|d| d - now);
        // One address: all of it.
        assert_eq!(at(s(9), 1), Some(s(9)));
        // An equal share while that is at least 2 s.
        assert_eq!(at(s(9), 3), Some(s(3)));
        // Less than 2 s each: 2 s, stolen from the last addresses.
        assert_eq!(at(s(3), 3), Some(s(2)));
        // Less than 2 s left: all of it.
        assert_eq!(
            at(Duration::from_millis(1500), 5),
            Some(Duration::from_millis(1500))
        );
        // No time left: none.
        assert_eq!(partial_deadline(now + s(1), now, 1), None);
        assert_eq!(partial_deadline(now, now, 2), None);
    }
}
