//! Socket options the socket types share, made by one macro each so the
//! types cannot drift apart: the IP time-to-live and the pending error on
//! all three, the OS's buffer sizes on streams and datagram sockets (Go's
//! `SetReadBuffer` and `SetWriteBuffer`).
//!
//! Each method sets or reads the option on the socket itself, once it has
//! checked that the socket was not closed: as in Go, an option after
//! `Close` fails with "use of closed network connection" (the descriptor
//! number stays open until the drop, on a dead socket after `close`, so
//! the OS would answer something else).

use std::io;

/// A buffer size as the OS takes it (a C `int`): a larger one is refused
/// rather than wrapped into a negative or small size.
pub(super) fn buffer_size(size: usize) -> io::Result<usize> {
    if i32::try_from(size).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "buffer size exceeds the OS's limit (i32::MAX)",
        ));
    }
    Ok(size)
}

/// `set_ttl`, `ttl` and `take_error`.
macro_rules! impl_ip_options {
    ($t:ty) => {
        impl $t {
            /// Sets the time-to-live (`IP_TTL`) of the IP packets this
            /// socket sends.
            ///
            /// # Errors
            ///
            /// The OS's; "use of closed network connection" after `close`.
            pub fn set_ttl(&self, ttl: u32) -> std::io::Result<()> {
                self.reg.open_ref()?.set_ttl(ttl)
            }

            /// The time-to-live (`IP_TTL`) of the IP packets this socket
            /// sends.
            ///
            /// # Errors
            ///
            /// As `set_ttl`.
            pub fn ttl(&self) -> std::io::Result<u32> {
                self.reg.open_ref()?.ttl()
            }

            /// Takes the socket's pending error (`SO_ERROR`), if any: an
            /// asynchronous error, such as an ICMP "port unreachable" for
            /// a datagram sent earlier, that no operation has reported
            /// yet. Reading it clears it.
            ///
            /// # Errors
            ///
            /// The OS's, from reading it; "use of closed network
            /// connection" after `close`.
            pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
                self.reg.open_ref()?.take_error()
            }
        }
    };
}
pub(super) use impl_ip_options;

/// `set_recv_buffer_size`, `recv_buffer_size`, `set_send_buffer_size` and
/// `send_buffer_size`.
macro_rules! impl_buffer_options {
    ($t:ty) => {
        impl $t {
            /// Sets the size of the OS's receive buffer for this socket
            /// (`SO_RCVBUF`, Go's `SetReadBuffer`). The OS may adjust it:
            /// Linux doubles it (for its own bookkeeping) and clamps it to
            /// `net.core.rmem_max`.
            ///
            /// # Errors
            ///
            /// [`std::io::ErrorKind::InvalidInput`] for a size beyond
            /// `i32::MAX`; the OS's; "use of closed network connection"
            /// after `close`.
            pub fn set_recv_buffer_size(&self, size: usize) -> std::io::Result<()> {
                let size = super::options::buffer_size(size)?;
                socket2::SockRef::from(self.reg.open_ref()?).set_recv_buffer_size(size)
            }

            /// The size of the OS's receive buffer (`SO_RCVBUF`), as the
            /// OS reports it.
            ///
            /// # Errors
            ///
            /// The OS's; "use of closed network connection" after `close`.
            pub fn recv_buffer_size(&self) -> std::io::Result<usize> {
                socket2::SockRef::from(self.reg.open_ref()?).recv_buffer_size()
            }

            /// Sets the size of the OS's send buffer for this socket
            /// (`SO_SNDBUF`, Go's `SetWriteBuffer`). The OS may adjust it:
            /// Linux doubles it and clamps it to `net.core.wmem_max`.
            ///
            /// # Errors
            ///
            /// As `set_recv_buffer_size`.
            pub fn set_send_buffer_size(&self, size: usize) -> std::io::Result<()> {
                let size = super::options::buffer_size(size)?;
                socket2::SockRef::from(self.reg.open_ref()?).set_send_buffer_size(size)
            }

            /// The size of the OS's send buffer (`SO_SNDBUF`), as the OS
            /// reports it.
            ///
            /// # Errors
            ///
            /// The OS's; "use of closed network connection" after `close`.
            pub fn send_buffer_size(&self) -> std::io::Result<usize> {
                socket2::SockRef::from(self.reg.open_ref()?).send_buffer_size()
            }
        }
    };
}
pub(super) use impl_buffer_options;
