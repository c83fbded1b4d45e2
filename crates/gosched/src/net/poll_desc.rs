//! Go's `pollDesc`: per-socket readiness, waiters, deadlines and close.
//!
//! # States (Go's `rg`/`wg`)
//!
//! Each direction (read, write) of a socket has a [`Half`]:
//!
//! ```text
//!   edges                        how many readiness events arrived so far
//!   waiters non-empty            Go: rg == G         (tasks parked, "IO wait")
//! ```
//!
//! An I/O operation ([`Registration::poll_io`]) notes `edges` (under the
//! pollDesc's lock, where it checks close and the deadline anyway), then
//! tries the non-blocking syscall; on `WouldBlock` it takes the lock
//! again: if an edge arrived since it looked, the syscall is retried,
//! otherwise the task's waker is stored and the poll returns `Pending`. A
//! poll's event counts the edge and wakes the waiters under the same lock,
//! so no edge is lost.
//!
//! Go keeps a flag instead (`rg == pdReady`), which the woken goroutine
//! consumes; only one goroutine reads a socket at a time (`fdMutex`). Here
//! several tasks may wait in one direction, so each operation compares
//! counts rather than consuming a flag. Either way an edge that woke a task
//! does not send that task's *next* operation through a second failing
//! syscall (a read after a wake-up costs one `EAGAIN`, the one that parks
//! it, as in Go), and here an edge taken by a task that then drops its
//! operation is still seen by the others.
//!
//! Sockets are registered once, edge-triggered for both directions (as
//! Go's `EPOLLIN | EPOLLOUT | EPOLLET`); where the OS has no edge mode,
//! one-shot, re-armed whenever a task starts waiting (an event then wakes
//! the waiters of both directions).
//!
//! Each attempt's system call counts as progress of the task's poll for
//! sysmon, and an operation started once the P's 10 ms time slice is over
//! yields first (Go's `syscalltick` and preemption, see
//! `runtime::netpoll`); so does one started after the poll completed its
//! socket budget of operations (not Go's, see `Builder::io_budget`).
//!
//! A future of [`Registration::io`] dropped while waiting takes its waker
//! back out (and wakes it, in case another future of the same task shares
//! it), so a cancelled operation leaves no waiter behind.
//!
//! # Deadlines and close
//!
//! A deadline (Go's `rd`/`wd`) is checked before each attempt: once passed,
//! the operation fails with [`io::ErrorKind::TimedOut`] ("i/o timeout"),
//! data or not (Go's `prepareRead`). A waiter with a deadline also waits on
//! a [`Sleep`] on the scheduler's timer heap (Go's `rt`/`wt` timers), which
//! wakes it at the deadline. Setting a deadline wakes the waiters so that
//! they re-check it (a past deadline fails them at once). Closing marks
//! the pollDesc `closing` and wakes every waiter; every operation then
//! fails with "use of closed network connection". The sockets' `close`
//! also releases the socket, as Go's `Close` closes the descriptor (its
//! port is free again): on Unix the descriptor number is pointed at a
//! dead socket until the drop, so that a racing operation never reaches
//! an unrelated file that reused the number (Go's `fdMutex` reference
//! count keeps the descriptor for the same reason).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::mem::ManuallyDrop;
use core::net::SocketAddr;
use core::pin::Pin;
use core::ptr;
use core::task::{Context, Poll, Waker};
use std::io;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use crate::runtime::netpoll::{netpoll_syscall_tick, netpoll_yield_due, NetPoll};
use crate::runtime::{current_shared, expect_shared, lock, Shared};
use crate::time::{sleep_until, Sleep};

/// A direction of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Read,
    Write,
}

/// One direction of a pollDesc (Go's `rg` or `wg`, `rd` or `wd`, `rt` or
/// `wt`).
#[derive(Default)]
struct Half {
    /// Readiness events so far (wrapping).
    edges: u64,
    waiters: Vec<Waker>,
    deadline: Option<Instant>,
    timer: Option<Sleep>,
}

#[derive(Default)]
struct PdState {
    closing: bool,
    read: Half,
    write: Half,
}

impl PdState {
    fn half(&mut self, dir: Dir) -> &mut Half {
        match dir {
            Dir::Read => &mut self.read,
            Dir::Write => &mut self.write,
        }
    }
}

/// Go: `pollDesc`.
pub(crate) struct PollDesc {
    key: usize,
    /// Registered edge-triggered; else one-shot, re-armed by each wait.
    edge: bool,
    state: Mutex<PdState>,
}

/// Go's `ErrNetClosing` text.
pub(crate) fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "use of closed network connection",
    )
}

/// Go's `ErrDeadlineExceeded` text.
pub(crate) fn timeout_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")
}

/// Takes the waiters of `half`, keeping `netpollWaiters` in step.
fn take_waiters(np: &NetPoll, half: &mut Half, out: &mut Vec<Waker>) {
    if !half.waiters.is_empty() {
        np.waiters.fetch_sub(1, gocore::atomic::Ordering::AcqRel);
        out.append(&mut half.waiters);
    }
}

/// Go's preemption at a safe point: when the task polled on this thread
/// has used up its P's 10 ms time slice, or its poll's socket budget (not
/// Go's; see [`netpoll_yield_due`]), it yields as [`crate::yield_now`]
/// does (to the global queue, behind the tasks the poller readied
/// meanwhile) and the operation is tried at its next poll. Returns whether
/// it yielded.
fn yield_if_due(cx: &mut Context<'_>) -> bool {
    if !netpoll_yield_due() {
        return false;
    }
    gocore::wait::set(gocore::wait::WaitReason::Preempted);
    if !crate::runtime::mark_yield(cx.waker()) {
        cx.waker().wake_by_ref();
    }
    true
}

/// Wakes `wakers` outside every lock. A waker is user code: its panic must
/// not unwind the M that polls.
fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        let _ = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| w.wake()));
    }
}

impl PollDesc {
    /// Go: `netpollready`: an event for this socket.
    pub(crate) fn netpoll_ready(&self, np: &NetPoll, readable: bool, writable: bool) {
        let mut wake = Vec::new();
        {
            let mut st = lock(&self.state);
            if readable {
                st.read.edges = st.read.edges.wrapping_add(1);
            }
            if writable {
                st.write.edges = st.write.edges.wrapping_add(1);
            }
            // A one-shot event disarms both directions: every waiter polls
            // again and re-arms what it still waits for.
            if readable || !self.edge {
                take_waiters(np, &mut st.read, &mut wake);
            }
            if writable || !self.edge {
                take_waiters(np, &mut st.write, &mut wake);
            }
        }
        wake_all(wake);
    }

    /// Go: `pollDesc.prepare`: the error an operation in `dir` fails with
    /// before it is tried; else the edges seen so far in `dir`.
    fn check(st: &mut PdState, dir: Dir) -> io::Result<u64> {
        if st.closing {
            return Err(closed_error());
        }
        let half = st.half(dir);
        match half.deadline {
            Some(d) if Instant::now() >= d => Err(timeout_error()),
            _ => Ok(half.edges),
        }
    }
}

/// A socket `T` registered with a runtime's poller (Go's `netFD` with its
/// `pollDesc`). Dropping it deregisters the socket, wakes its waiters and
/// then closes it.
pub(crate) struct Registration<T: polling::AsSource> {
    shared: Arc<Shared>,
    pd: Arc<PollDesc>,
    io: T,
    /// The local and peer addresses the socket had when
    /// [`close_releasing`](Self::close_releasing) let it go (Go's
    /// `netFD.laddr`/`raddr`, which `LocalAddr` still returns after
    /// `Close`).
    closed_addrs: OnceLock<ClosedAddrs>,
}

/// A socket's local and peer addresses, as they were when it was closed.
pub(crate) type ClosedAddrs = (Option<SocketAddr>, Option<SocketAddr>);

impl<T: polling::AsSource> Registration<T> {
    /// Registers `io` (already non-blocking) with the calling thread's
    /// runtime.
    ///
    /// # Panics
    ///
    /// Outside a gosched runtime.
    #[track_caller]
    pub(crate) fn new(io: T) -> io::Result<Self>
    where
        for<'a> &'a T: polling::AsRawSource,
    {
        let shared = expect_shared("net");
        let np = &shared.netpoll;
        let poller = np.poller()?;
        let edge = poller.supports_edge();
        let pd = np.insert(|key| {
            Arc::new(PollDesc {
                key,
                edge,
                state: Mutex::new(PdState::default()),
            })
        });
        let (mode, interest) = if edge {
            (polling::PollMode::Edge, polling::Event::all(pd.key))
        } else {
            (polling::PollMode::Oneshot, polling::Event::none(pd.key))
        };
        // SAFETY: `polling` requires the source to be deleted from the
        // poller before it is closed: `io` is owned by the returned
        // `Registration`, whose `Drop` deletes it before the field drops.
        let added = unsafe { poller.add_with_mode(&io, interest, mode) };
        if let Err(e) = added {
            np.remove(pd.key);
            return Err(e);
        }
        Ok(Registration {
            shared,
            pd,
            io,
            closed_addrs: OnceLock::new(),
        })
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.io
    }

    /// One non-blocking attempt of `op` in direction `dir`, parking the
    /// task (wait reason "IO wait") when the socket is not ready.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Dir,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if yield_if_due(cx) {
            return Poll::Pending;
        }
        loop {
            let seen = match PollDesc::check(&mut lock(&self.pd.state), dir) {
                Ok(seen) => seen,
                Err(e) => return Poll::Ready(Err(e)),
            };
            let r = op(&self.io);
            let retry = matches!(&r, Err(e) if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ));
            netpoll_syscall_tick(!retry);
            match r {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return Poll::Ready(r),
            }
            match self.wait(cx, dir, seen) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// `op` in direction `dir` as a future: [`poll_io`](Self::poll_io)
    /// until ready. Dropped while waiting, it takes its waker back out of
    /// the pollDesc.
    pub(crate) fn io<R, F>(&self, dir: Dir, op: F) -> Io<'_, T, F>
    where
        F: FnMut(&T) -> io::Result<R> + Unpin,
    {
        Io {
            reg: self,
            dir,
            op,
            waiting: None,
        }
    }

    /// Removes a waiter registered by a future that is dropped before its
    /// wake. The waker is woken as well: another future of the same task
    /// may have registered the same waker and must not lose its wake-up.
    fn forget(&self, dir: Dir, waker: &Waker) {
        let np = &self.shared.netpoll;
        let mut removed = Vec::new();
        {
            let mut st = lock(&self.pd.state);
            let half = st.half(dir);
            let had = !half.waiters.is_empty();
            let mut i = 0;
            while i < half.waiters.len() {
                if half.waiters[i].will_wake(waker) {
                    removed.push(half.waiters.swap_remove(i));
                } else {
                    i += 1;
                }
            }
            if had && half.waiters.is_empty() {
                np.waiters.fetch_sub(1, gocore::atomic::Ordering::AcqRel);
            }
        }
        self.waiters_left();
        wake_all(removed);
    }

    /// After waiters left this pollDesc off the poller's path: when no task
    /// waits on any socket any more and this thread is not an M of the
    /// runtime (which would pass through `stopm`), lets the `block_on`
    /// threads check for a deadlock again (`stopm` skips that while tasks
    /// wait on I/O).
    fn waiters_left(&self) {
        if self
            .shared
            .netpoll
            .waiters
            .load(gocore::atomic::Ordering::Acquire)
            == 0
            && !current_shared().is_some_and(|s| Arc::ptr_eq(&s, &self.shared))
        {
            self.shared.notify_m0s();
        }
    }

    /// Go: `netpollblock`, after an attempt that noted `seen` edges before
    /// its syscall failed with `WouldBlock`. `Ready(Ok)`: an edge arrived
    /// since, retry the I/O.
    pub(crate) fn wait(&self, cx: &mut Context<'_>, dir: Dir, seen: u64) -> Poll<io::Result<()>> {
        let np = &self.shared.netpoll;
        if self.shared.shutdown.load(gocore::atomic::Ordering::Acquire) {
            // No M will ever poll for this socket again.
            return Poll::Ready(Err(io::Error::other(
                "the gosched runtime of this socket was dropped",
            )));
        }
        let mut st = lock(&self.pd.state);
        match PollDesc::check(&mut st, dir) {
            Ok(edges) if edges != seen => return Poll::Ready(Ok(())),
            Ok(_) => {}
            Err(e) => return Poll::Ready(Err(e)),
        }
        let half = st.half(dir);
        if let Some(deadline) = half.deadline {
            let timer = half.timer.get_or_insert_with(|| sleep_until(deadline));
            if Pin::new(timer).poll(cx).is_ready() {
                half.timer = None;
                return Poll::Ready(Err(timeout_error()));
            }
        }
        let mut first_waiter = false;
        if !half.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            // The clone is user code: it runs before any state changes.
            let waker = cx.waker().clone();
            if half.waiters.is_empty() {
                first_waiter = np.waiters.fetch_add(1, gocore::atomic::Ordering::AcqRel) == 0;
            }
            half.waiters.push(waker);
        }
        if !self.pd.edge {
            let interest = polling::Event::new(
                self.pd.key,
                !st.read.waiters.is_empty(),
                !st.write.waiters.is_empty(),
            );
            let rearmed = np.poller().and_then(|p| {
                p.modify_with_mode(self.io.source(), interest, polling::PollMode::Oneshot)
            });
            if let Err(e) = rearmed {
                let mut wake = Vec::new();
                take_waiters(np, st.half(dir), &mut wake);
                drop(st);
                self.waiters_left();
                return Poll::Ready(Err(e));
            }
        }
        drop(st);
        if first_waiter && !current_shared().is_some_and(|s| Arc::ptr_eq(&s, &self.shared)) {
            // Polled by another executor's thread: no M of this runtime
            // will pass through the scheduler to find it; wake one to poll.
            self.shared.netpoll_ensure_poller();
        }
        gocore::wait::set(gocore::wait::WaitReason::IoWait);
        Poll::Pending
    }

    /// Go's `SetReadDeadline`/`SetWriteDeadline`: `None` clears it. The
    /// waiters re-check it at once. After [`close`](Self::close) it fails
    /// with "use of closed network connection" (Go's `fd.incref`).
    pub(crate) fn set_deadline(&self, dir: Dir, deadline: Option<Instant>) -> io::Result<()> {
        let np = &self.shared.netpoll;
        let mut wake = Vec::new();
        let old_timer;
        {
            let mut st = lock(&self.pd.state);
            if st.closing {
                return Err(closed_error());
            }
            let half = st.half(dir);
            half.deadline = deadline;
            old_timer = half.timer.take();
            take_waiters(np, half, &mut wake);
        }
        drop(old_timer);
        self.waiters_left();
        wake_all(wake);
        Ok(())
    }

    /// Go: `pollDesc.evict` + `close`: fails every present and future
    /// operation with "use of closed network connection", waking waiters,
    /// and takes the socket out of the poller. The socket itself stays
    /// open (see [`close_releasing`](Self::close_releasing)). Whether this
    /// call closed it (false if it was closed already).
    pub(crate) fn close(&self) -> bool {
        let np = &self.shared.netpoll;
        let mut wake = Vec::new();
        let timers;
        {
            let mut st = lock(&self.pd.state);
            if st.closing {
                return false;
            }
            st.closing = true;
            take_waiters(np, &mut st.read, &mut wake);
            take_waiters(np, &mut st.write, &mut wake);
            timers = (st.read.timer.take(), st.write.timer.take());
        }
        drop(timers);
        if let Ok(p) = np.poller() {
            // Deleting a registered source fails only if it is gone already.
            let _ = p.delete(self.io.source());
        }
        np.remove(self.pd.key);
        self.waiters_left();
        wake_all(wake);
        true
    }

    /// Go's `Close` of a `netFD`: [`close`](Self::close), then the socket
    /// is released, as Go's `Close` closes the descriptor: the OS frees its
    /// port and ends its connection (with a reset if received data was
    /// left unread, as Go's does) or its accept queue, so the address may
    /// be bound again and new connections to it are refused. `addrs` keeps
    /// the addresses for [`addr`](Self::addr). Where the socket cannot be
    /// released now, `unreleased` runs instead (e.g. a shutdown, so that
    /// the peer still sees the end of the connection).
    ///
    /// The descriptor number stays with this registration until the drop
    /// (an operation racing with the close on another thread, or a
    /// `BorrowedFd` lent out, must not find it reused by an unrelated
    /// file): on Unix it is pointed at a fresh unconnected socket, which
    /// releases the socket it held. Elsewhere the socket is released on
    /// drop.
    pub(crate) fn close_releasing(
        &self,
        addrs: impl FnOnce(&T) -> ClosedAddrs,
        unreleased: impl FnOnce(&T),
    ) {
        // Before the closing flag: `addr` reads this once it sees the flag.
        let _ = self.closed_addrs.set(addrs(&self.io));
        if !self.close() {
            return;
        }
        #[cfg(unix)]
        let released = self.release();
        #[cfg(not(unix))]
        let released = false;
        if !released {
            unreleased(&self.io);
        }
    }

    /// Points the socket's descriptor at a new unconnected socket, which
    /// drops this descriptor's reference to the old one (Go's
    /// `destroy`: `CloseFunc(fd)`). False if the OS refused (the old
    /// socket then stays until the drop).
    #[cfg(unix)]
    fn release(&self) -> bool {
        use std::os::fd::AsRawFd;
        let Ok(dead) = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)
        else {
            return false;
        };
        let fd = self.io.source().as_raw_fd();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: an FFI call on two open descriptors: `dead`'s, which it
        // only reads, and `fd`, which `self.io` owns and keeps owning (the
        // call swaps the file behind the number atomically, and the number
        // stays open until `self.io` drops). No memory is involved. The
        // socket is out of the poller (`close` deleted it), as `polling`
        // requires before the file goes.
        let swapped = unsafe { libc::dup3(dead.as_raw_fd(), fd, libc::O_CLOEXEC) } == fd;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        // SAFETY: as for `dup3` above.
        let swapped = unsafe { libc::dup2(dead.as_raw_fd(), fd) } == fd;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        if swapped {
            // `dup2` clears close-on-exec on `fd`; set it again.
            // SAFETY: an FFI call on the open descriptor `fd`, changing
            // only its flags.
            let _ = unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        swapped
    }

    /// The local (`peer` false) or peer address, by `get` on the socket;
    /// after [`close_releasing`](Self::close_releasing), the one it had
    /// then, as Go's `LocalAddr`/`RemoteAddr` after `Close`.
    pub(crate) fn addr(
        &self,
        peer: bool,
        get: impl FnOnce(&T) -> io::Result<SocketAddr>,
    ) -> io::Result<SocketAddr> {
        let now = get(&self.io);
        // The flag is set after `closed_addrs`, and the socket released
        // after the flag: a socket seen closed has its addresses saved,
        // and `now` came from the real socket unless the flag is set.
        if self.is_closed() {
            if let Some(&(local, remote)) = self.closed_addrs.get() {
                let a = if peer { remote } else { local };
                return a.ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected));
            }
        }
        now
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.pd.state).closing
    }

    /// The socket, for a socket option or a shutdown: after
    /// [`close`](Self::close) "use of closed network connection", as Go's
    /// setters fail once `Close` has run (the descriptor number stays open
    /// until the drop, on a dead socket once
    /// [`close_releasing`](Self::close_releasing) released it).
    pub(crate) fn open_ref(&self) -> io::Result<&T> {
        if self.is_closed() {
            return Err(closed_error());
        }
        Ok(&self.io)
    }

    /// Deregisters the socket, as [`close`](Self::close) does, and gives
    /// it back instead of closing it.
    ///
    /// # Errors
    ///
    /// "use of closed network connection" if it was closed already (the
    /// socket is then released, as on drop).
    pub(crate) fn into_inner(self) -> io::Result<T> {
        if self.is_closed() {
            return Err(closed_error());
        }
        self.close();
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped or used again, so each field is
        // moved out of it exactly once. The socket left the poller in
        // `close`, so `polling` no longer needs it open.
        let (shared, pd, io, addrs) = unsafe {
            (
                ptr::read(&this.shared),
                ptr::read(&this.pd),
                ptr::read(&this.io),
                ptr::read(&this.closed_addrs),
            )
        };
        drop((shared, pd, addrs));
        Ok(io)
    }
}

/// The future of [`Registration::io`].
pub(crate) struct Io<'a, T: polling::AsSource, F> {
    reg: &'a Registration<T>,
    dir: Dir,
    op: F,
    /// The waker this future left in the pollDesc, while pending.
    waiting: Option<Waker>,
}

impl<T: polling::AsSource, R, F> Future for Io<'_, T, F>
where
    F: FnMut(&T) -> io::Result<R> + Unpin,
{
    type Output = io::Result<R>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        match this.reg.poll_io(cx, this.dir, &mut this.op) {
            Poll::Pending => {
                if !this
                    .waiting
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    this.waiting = Some(cx.waker().clone());
                }
                Poll::Pending
            }
            ready => {
                this.waiting = None;
                ready
            }
        }
    }
}

impl<T: polling::AsSource, F> Drop for Io<'_, T, F> {
    fn drop(&mut self) {
        if let Some(w) = self.waiting.take() {
            self.reg.forget(self.dir, &w);
        }
    }
}

impl<T: polling::AsSource> Drop for Registration<T> {
    fn drop(&mut self) {
        // The socket closes as `io` drops.
        self.close();
    }
}

impl<T: polling::AsSource + core::fmt::Debug> core::fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.io.fmt(f)
    }
}

#[cfg(all(test, not(miri)))]
mod tests {
    use super::{Dir, Registration};
    use std::io::{Read as _, Write as _};
    use std::time::Duration;

    /// The edge that wakes a parked read is not seen again by the task's
    /// next read: that one costs one failed syscall (the one that parks
    /// it, as in Go), not a retry of it as well. Each request here finds
    /// the reader parked, so it costs two read syscalls: `WouldBlock`, then
    /// the data after the wake-up.
    #[test]
    fn a_read_woken_by_an_edge_parks_after_one_failed_syscall() {
        const REQUESTS: usize = 100;
        let rt = crate::Runtime::builder().procs(1).build().unwrap();
        let ln = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut conn = std::net::TcpStream::connect(addr).unwrap();
            conn.set_nodelay(true).unwrap();
            for _ in 0..REQUESTS {
                // A pause first, so that the reader has parked.
                std::thread::sleep(Duration::from_micros(200));
                conn.write_all(b"x").unwrap();
                let mut buf = [0; 1];
                conn.read_exact(&mut buf).unwrap();
            }
        });
        let (server, _) = ln.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        server.set_nodelay(true).unwrap();
        let reads = rt
            .block_on(async move {
                let reg = Registration::new(server).unwrap();
                let mut reads = 0;
                for _ in 0..REQUESTS {
                    let mut buf = [0; 1];
                    let n = reg
                        .io(Dir::Read, |s| {
                            reads += 1;
                            (&*s).read(&mut buf)
                        })
                        .await
                        .unwrap();
                    assert_eq!(n, 1);
                    reg.io(Dir::Write, |s| (&*s).write(b"x")).await.unwrap();
                }
                reads
            })
            .unwrap();
        client.join().unwrap();
        assert!(
            reads <= 2 * REQUESTS + 10,
            "{reads} read syscalls for {REQUESTS} requests"
        );
    }
}
