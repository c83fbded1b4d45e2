//! UDP: [`UdpSocket`] (Go's `UDPConn`).

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::io;
use std::net::ToSocketAddrs;
use std::time::Instant;

use gocore::atomic::{AtomicBool, Ordering};

use super::poll_desc::{Dir, Registration};

/// A UDP socket (Go's `net.UDPConn`). Operations take `&self`.
///
/// ```
/// # if cfg!(miri) { return; }
/// use gosched::net::UdpSocket;
/// let rt = gosched::Runtime::builder().procs(1).build().unwrap();
/// rt.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// })
/// .unwrap();
/// ```
#[doc(alias = "UDPConn")]
#[derive(Debug)]
pub struct UdpSocket {
    reg: Registration<std::net::UdpSocket>,
    /// Connected to a peer (Go's `netFD.isConnected`): `send_to` refuses.
    connected: AtomicBool,
}

/// Go's `ErrWriteToConnected`.
fn write_to_connected() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "use of WriteTo with pre-connected connection",
    )
}

impl UdpSocket {
    /// Binds to `addr` (Go's `net.ListenUDP`); port 0 picks a free port.
    /// As Go's, the socket may send broadcasts (`SO_BROADCAST`).
    ///
    /// # Errors
    ///
    /// The OS's: e.g. [`io::ErrorKind::AddrInUse`].
    ///
    /// # Panics
    ///
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let s = std::net::UdpSocket::bind(addr)?;
        s.set_broadcast(true)?;
        Self::from_std(s)
    }

    /// Takes over a socket made elsewhere, e.g. with options set through
    /// `socket2` (Go's `net.FilePacketConn`): makes it non-blocking and
    /// registers it with the calling thread's runtime. Also
    /// `UdpSocket::try_from(s)`.
    ///
    /// # Errors
    ///
    /// The OS's, from making it non-blocking or registering it.
    ///
    /// # Panics
    ///
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn from_std(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        s.set_nonblocking(true)?;
        let connected = s.peer_addr().is_ok();
        Ok(UdpSocket {
            reg: Registration::new(s)?,
            connected: AtomicBool::new(connected),
        })
    }

    /// Gives the socket back as a std one, deregistered from the runtime
    /// and in blocking mode (Go's `File`, whose descriptor blocks). Its
    /// deadlines no longer apply.
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close);
    /// the OS's, from making it blocking.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let s = self.reg.into_inner()?;
        s.set_nonblocking(false)?;
        Ok(s)
    }

    /// Sets the default peer for [`send`](Self::send) and
    /// [`recv`](Self::recv), and drops datagrams from others.
    ///
    /// # Errors
    ///
    /// The OS's; "use of closed network connection" after
    /// [`close`](Self::close).
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        self.reg.open_ref()?.connect(addr)?;
        self.connected.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Sends one datagram to `target`: a `SocketAddr`, or anything std's
    /// `send_to` takes (a name is resolved with the OS resolver, which may
    /// block, and the datagram goes to its first address, as std sends it).
    /// As Go's `WriteTo`, it refuses a socket connected to a peer (use
    /// [`send`](Self::send)), where the OS would send to `target`.
    ///
    /// # Errors
    ///
    /// The OS's, [`io::ErrorKind::TimedOut`] past the write deadline, "use
    /// of closed network connection" after [`close`](Self::close);
    /// [`io::ErrorKind::InvalidInput`] when `target` resolves to nothing,
    /// or with Go's "use of WriteTo with pre-connected connection" after
    /// [`connect`](Self::connect).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        if self.connected.load(Ordering::Relaxed) {
            return Err(write_to_connected());
        }
        let target = target.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        self.reg.io(Dir::Write, |s| s.send_to(buf, target)).await
    }

    /// Receives one datagram; a longer datagram is truncated to `buf`.
    ///
    /// # Errors
    ///
    /// The OS's, [`io::ErrorKind::TimedOut`] past the read deadline, "use
    /// of closed network connection" after [`close`](Self::close).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.reg.io(Dir::Read, |s| s.recv_from(buf)).await
    }

    /// As [`recv_from`](Self::recv_from), but the datagram stays queued:
    /// the next receive returns it again (`MSG_PEEK`).
    ///
    /// # Errors
    ///
    /// As [`recv_from`](Self::recv_from).
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.reg.io(Dir::Read, |s| s.peek_from(buf)).await
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// As [`send_to`](Self::send_to); also when not connected.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.reg.io(Dir::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// As [`recv_from`](Self::recv_from); a previous send's ICMP error may
    /// surface here as [`io::ErrorKind::ConnectionRefused`].
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.reg.io(Dir::Read, |s| s.recv(buf)).await
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.reg.addr(false, |s| s.local_addr())
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotConnected`] before [`connect`](Self::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.reg.addr(true, |s| s.peer_addr())
    }

    /// Sets `SO_BROADCAST`: whether datagrams may go to a broadcast
    /// address (on after [`bind`](Self::bind), as in Go).
    ///
    /// # Errors
    ///
    /// The OS's; "use of closed network connection" after
    /// [`close`](Self::close).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.reg.open_ref()?.set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// As [`set_broadcast`](Self::set_broadcast).
    pub fn broadcast(&self) -> io::Result<bool> {
        self.reg.open_ref()?.broadcast()
    }

    /// Joins the IPv4 multicast group `group` on the interface with the
    /// address `interface` (`Ipv4Addr::UNSPECIFIED`: the OS picks one), as
    /// Go's `ListenMulticastUDP` does after binding: datagrams sent to the
    /// group and this socket's port are then received here.
    ///
    /// # Errors
    ///
    /// The OS's, e.g. when `group` is not a multicast address or no
    /// interface can reach it; "use of closed network connection" after
    /// [`close`](Self::close).
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.reg.open_ref()?.join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group joined with
    /// [`join_multicast_v4`](Self::join_multicast_v4).
    ///
    /// # Errors
    ///
    /// As [`join_multicast_v4`](Self::join_multicast_v4); also when the
    /// group was not joined.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.reg.open_ref()?.leave_multicast_v4(&group, &interface)
    }

    /// Joins the IPv6 multicast group `group` on the interface with index
    /// `interface` (0: the OS picks one).
    ///
    /// # Errors
    ///
    /// As [`join_multicast_v4`](Self::join_multicast_v4).
    pub fn join_multicast_v6(&self, group: Ipv6Addr, interface: u32) -> io::Result<()> {
        self.reg.open_ref()?.join_multicast_v6(&group, interface)
    }

    /// Leaves an IPv6 multicast group joined with
    /// [`join_multicast_v6`](Self::join_multicast_v6).
    ///
    /// # Errors
    ///
    /// As [`leave_multicast_v4`](Self::leave_multicast_v4).
    pub fn leave_multicast_v6(&self, group: Ipv6Addr, interface: u32) -> io::Result<()> {
        self.reg.open_ref()?.leave_multicast_v6(&group, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether IPv4 multicast datagrams this
    /// socket sends are also delivered to the sending host's own members
    /// (on by default; Go's `ListenMulticastUDP` turns it off).
    ///
    /// # Errors
    ///
    /// The OS's; "use of closed network connection" after
    /// [`close`](Self::close).
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.reg.open_ref()?.set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// As [`set_multicast_loop_v4`](Self::set_multicast_loop_v4).
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.reg.open_ref()?.multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`, the time-to-live of the IPv4 multicast
    /// datagrams this socket sends (1 by default: the local network).
    ///
    /// # Errors
    ///
    /// As [`set_multicast_loop_v4`](Self::set_multicast_loop_v4).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.reg.open_ref()?.set_multicast_ttl_v4(ttl)
    }

    /// The `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// As [`set_multicast_loop_v4`](Self::set_multicast_loop_v4).
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.reg.open_ref()?.multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`, as
    /// [`set_multicast_loop_v4`](Self::set_multicast_loop_v4) for IPv6.
    ///
    /// # Errors
    ///
    /// As [`set_multicast_loop_v4`](Self::set_multicast_loop_v4).
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.reg.open_ref()?.set_multicast_loop_v6(on)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// As [`set_multicast_loop_v4`](Self::set_multicast_loop_v4).
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.reg.open_ref()?.multicast_loop_v6()
    }

    /// Go's `SetReadDeadline` (see [`TcpStream::set_read_deadline`](super::TcpStream::set_read_deadline)).
    ///
    /// # Errors
    ///
    /// "use of closed network connection" after [`close`](Self::close).
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.reg.set_deadline(Dir::Read, deadline)
    }

    /// Go's `SetWriteDeadline`.
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
    /// network connection", and the socket is released (on Unix; elsewhere
    /// on drop), so its port may be bound again.
    /// [`local_addr`](Self::local_addr) still gives the address, as Go's
    /// `LocalAddr` does.
    pub fn close(&self) {
        self.reg
            .close_releasing(|s| (s.local_addr().ok(), s.peer_addr().ok()), |_| {});
    }
}
super::tcp::impl_as_socket!(UdpSocket);
super::options::impl_ip_options!(UdpSocket);
super::options::impl_buffer_options!(UdpSocket);
super::tcp::impl_try_from_std!(UdpSocket);
