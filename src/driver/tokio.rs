//! A tokio driver (feature `tokio`): one [`Connection`] on one
//! [`TcpStream`], one task per connection.
//!
//! [`Conn`] moves bytes between the socket and the machine and keeps its
//! time; [`serve`] is an accept loop that survives the network. Every
//! framing and persistence decision stays in the machine.
//!
//! # Costs
//!
//! The driver waits for readability first and only then reserves room in
//! the machine's receive buffer and reads into its spare capacity (no
//! zero-filling, no copy). An idle connection therefore holds no read
//! buffer: its cost is the machine (about 600 bytes), the send queue, the
//! socket's registration and the task, about 3.4 KB of resident memory in
//! all besides the kernel socket (10,000 idle connections: 37.7 MB).
//!
//! # Example: a server and a client
//!
//! ```
//! use keepalive::tokio::{self as driver, Conn, Options};
//! use keepalive::{Config, Event, Header, Recv, Response};
//!
//! async fn hello(mut conn: Conn) -> std::io::Result<()> {
//!     loop {
//!         match conn.next_event().await? {
//!             Ok(Recv::Event(Event::Request(_))) => {
//!                 let length = [Header::new("Content-Length", "2")];
//!                 conn.send_response(&Response::new(200, &length)).map_err(std::io::Error::other)?;
//!                 conn.send_data("hi".into()).map_err(std::io::Error::other)?;
//!                 conn.send_end(&[]).map_err(std::io::Error::other)?;
//!             }
//!             // Request bodies, and the end of each exchange.
//!             Ok(Recv::Event(Event::Data(_) | Event::End(_) | Event::Cycle(_))) => {}
//!             // Finished, a closed peer, or an error (answer `e.status()`).
//!             _ => return conn.close().await,
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tokio::spawn(driver::serve(listener, Config::default(), Options::default(), hello));
//!
//! let host = [Header::new("Host", "example")];
//! let mut client = Conn::connect(addr, Config::default(), Options::default()).await?;
//! let (head, body) = client.get("/", &host).await?;
//! assert_eq!(head.status(), 200);
//! assert_eq!(body, b"hi");
//!
//! // Before reusing a connection, ask: bytes or a close that arrived while
//! // it was idle make it unusable (and are never the next response). A
//! // request that then fails may go again on a new connection only if
//! // `may_retry` says so.
//! assert!(client.check_reusable());
//! match client.get("/", &host).await {
//!     Ok((head, _)) => assert_eq!(head.status(), 200),
//!     Err(_) if client.may_retry() => { /* connect again, send again */ }
//!     Err(e) => return Err(e),
//! }
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use ::tokio::io::{AsyncWriteExt, Interest};
use ::tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use ::tokio::time::{sleep, sleep_until, timeout, timeout_at, Sleep};
use bytes::{Buf, Bytes, BytesMut};

use super::{after_accept_error, earliest, paused_read_cap, send_timed_out, Session, Whole};
pub use super::{ErrorHook, Options, Stage, Wake};
use crate::{
    Config, Connection, Header, Recv, RecvError, Request, Response, ResponseHead, Role, SendBuf,
    SendError, TimerKind,
};

/// Bytes read from the socket in one call, straight into the machine's
/// receive buffer. The driver reserves this much only once the socket is
/// readable, so an idle connection holds no read buffer.
const READ_SIZE: usize = 8 * 1024;

/// Whether a read shorter than its buffer means the socket is drained:
/// true where mio waits with epoll, kqueue or event ports (tokio's
/// `poll_read` makes the same assumption on the same systems).
const SHORT_READ_DRAINS: bool = cfg!(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
));

/// One connection: the socket, the machine, and the queue of bytes to send.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    s: Session,
    /// The wake-up for the machine's next deadline while reading, kept
    /// from one read to the next (made at the first wait).
    timer: Option<Pin<Box<Sleep>>>,
}

/// What one non-blocking read did.
enum Filled {
    Bytes,
    Eof,
    WouldBlock,
}

impl Conn {
    /// Drives `conn` over `stream`. Starts the machine's clock (its idle
    /// timer runs from now) and turns Nagle off: the machine already
    /// coalesces what it sends.
    pub fn new(stream: TcpStream, conn: Connection, opts: Options) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr().ok();
        Ok(Self {
            stream,
            s: Session::new(conn, opts, peer),
            timer: None,
        })
    }

    /// Connects a client, giving up after [`Options::connect_timeout`].
    pub async fn connect(
        addr: impl ToSocketAddrs,
        config: Config,
        opts: Options,
    ) -> io::Result<Self> {
        let stream = match opts.connect_timeout {
            Some(t) => timeout(t, TcpStream::connect(addr))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timeout"))??,
            None => TcpStream::connect(addr).await?,
        };
        Self::new(stream, Connection::new(Role::Client, config), opts)
    }

    /// The machine.
    pub fn connection(&self) -> &Connection {
        &self.s.conn
    }

    /// The machine and the queue of bytes it sends, for calls the driver
    /// does not wrap. Bytes queued here leave at the next
    /// [`flush`](Self::flush) or read.
    pub fn parts_mut(&mut self) -> (&mut Connection, &mut SendBuf) {
        (&mut self.s.conn, &mut self.s.out)
    }

    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// The peer's address, when the socket still knew it (a peer that
    /// reset at once leaves none: that is not an error here).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.s.peer
    }

    /// Queues a request head ([`Connection::send_request`]). With
    /// [`Config::max_pipeline`] above 1, queue the next requests while this
    /// succeeds: [`next_event`](Self::next_event) writes them all before it
    /// reads, and the responses come back in order, each ending with its
    /// [`Event::Cycle`](crate::Event::Cycle). If the connection then closes
    /// or fails, [`Connection::pipeline_report`] says which requests to
    /// send again on a new one (`std_client --pipeline` does so).
    pub fn send_request(&mut self, req: &Request<'_>) -> Result<(), SendError> {
        self.s.send_request(req)
    }

    /// Queues a response head ([`Connection::send_response`]).
    pub fn send_response(&mut self, resp: &Response<'_>) -> Result<(), SendError> {
        self.s.conn.send_response(resp, &mut self.s.out)
    }

    /// Queues body data without copying it ([`Connection::send_data`]).
    pub fn send_data(&mut self, data: Bytes) -> Result<(), SendError> {
        self.s.conn.send_data(data, &mut self.s.out)
    }

    /// Ends the message being sent ([`Connection::send_end`]).
    pub fn send_end(&mut self, trailers: &[Header<'_>]) -> Result<(), SendError> {
        self.s.conn.send_end(trailers, &mut self.s.out)
    }

    /// The next event, reading as needed and applying the machine's
    /// deadlines while it waits. Queued bytes are written before each read,
    /// so responses to pipelined requests leave together.
    ///
    /// The inner `Result` is the machine's ([`Connection::poll_event`]); an
    /// outer `Err` is the socket's: a reset, a send timeout, or (client)
    /// [`Options::response_timeout`]. Either way the connection is over.
    ///
    /// A client gets `Ok(Ok(Recv::NeedData))` only when the expect-continue
    /// timer fired while it waited for `100 Continue`: send the body now
    /// (RFC 9110 §10.1.1).
    pub async fn next_event(&mut self) -> io::Result<Result<Recv, RecvError>> {
        loop {
            match self.s.conn.poll_event() {
                Ok(Recv::NeedData) if self.s.take_expect_fired() => return Ok(Ok(Recv::NeedData)),
                Ok(Recv::NeedData) => {
                    self.flush().await?;
                    self.fill().await?;
                }
                other => return Ok(other),
            }
        }
    }

    /// Writes everything queued, with vectored writes (body segments go
    /// out without being copied). Fails with [`io::ErrorKind::TimedOut`]
    /// when the peer accepts no byte for [`Options::send_timeout`].
    pub async fn flush(&mut self) -> io::Result<()> {
        while self.s.out.has_remaining() {
            if self.try_write()? {
                continue;
            }
            let writable = self.stream.writable();
            match self.s.opts.send_timeout {
                Some(t) => timeout(t, writable).await.map_err(|_| send_timed_out())??,
                None => writable.await?,
            }
        }
        Ok(())
    }

    /// One vectored write; false if the socket is not writable. The
    /// `IoSlice` array lives only here, never across an `await`.
    fn try_write(&mut self) -> io::Result<bool> {
        let mut iov = [IoSlice::new(&[]); 64];
        let n = self.s.out.chunks_vectored(&mut iov);
        match self.stream.try_write_vectored(&iov[..n]) {
            Ok(0) => Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => {
                self.s.out.advance(written);
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads what the socket holds into the machine's receive buffer,
    /// reserving room only now that there is something to read.
    ///
    /// A read that fills less than the room offered has drained the socket
    /// (epoll and kqueue report readiness by edges): the driver then tells
    /// tokio so, through `try_io`, as tokio's own `poll_read` does. Without
    /// it the readiness stays set and the next wait reads once more only to
    /// get `EWOULDBLOCK`: a third system call per keep-alive request.
    fn try_read(&mut self) -> io::Result<Filled> {
        let now = Instant::now();
        self.s.tick(now);
        let buf = self.s.conn.recv_buf();
        buf.reserve(READ_SIZE);
        let room = buf.capacity() - buf.len();
        let mut got = None;
        let read = self.stream.try_io(Interest::READABLE, || {
            let n = self.stream.try_read_buf(buf)?;
            got = Some(n);
            if SHORT_READ_DRAINS && 0 < n && n < room {
                // Not an error: `try_io` clears the readiness on it.
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(n)
        });
        match got.map_or(read, Ok) {
            Ok(0) => {
                self.s.conn.receive_eof();
                Ok(Filled::Eof)
            }
            Ok(_) => {
                self.s.progressed(now);
                Ok(Filled::Bytes)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Readiness was stale (tokio clears it only on WouldBlock):
                // give the room back rather than hold it while idle.
                let buf = self.s.conn.recv_buf();
                if buf.is_empty() {
                    *buf = BytesMut::new();
                }
                Ok(Filled::WouldBlock)
            }
            Err(e) => Err(e),
        }
    }

    /// Waits for bytes or the machine's next deadline (and, for a client,
    /// [`Options::response_timeout`]), then reads once.
    async fn fill(&mut self) -> io::Result<()> {
        loop {
            let (deadline, own) = self.s.deadlines();
            let ready = {
                let mut readable = pin!(self.stream.readable());
                match deadline {
                    Some(d) => {
                        let mut timer = arm(&mut self.timer, d);
                        poll_fn(|cx| match readable.as_mut().poll(cx) {
                            Poll::Ready(r) => Poll::Ready(Some(r)),
                            Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
                        })
                        .await
                    }
                    None => Some(readable.await),
                }
            };
            let Some(ready) = ready else {
                return self.s.waited(own);
            };
            ready?;
            if !matches!(self.try_read()?, Filled::WouldBlock) {
                return Ok(());
            }
        }
    }

    /// Waits until `deadline` (e.g. the next event of a streamed response)
    /// while reading, so that a peer that closes or resets is noticed at
    /// once instead of at the next write. Bytes that arrive (a pipelined
    /// request) go to the machine, up to one head's worth; beyond that the
    /// driver stops reading until the machine asks for more.
    pub async fn wait_until(&mut self, deadline: Instant) -> io::Result<Wake> {
        self.flush().await?;
        loop {
            if self.s.conn.eof_received() {
                return Ok(Wake::PeerClosed);
            }
            // A timer would round a past deadline up to the next tick.
            if Instant::now() >= deadline {
                return Ok(Wake::Deadline);
            }
            if self.s.conn.unread().len() >= paused_read_cap(&self.s.conn) {
                sleep_until(deadline.into()).await;
                return Ok(Wake::Deadline);
            }
            match timeout_at(deadline.into(), self.stream.readable()).await {
                Err(_) => return Ok(Wake::Deadline),
                Ok(r) => r?,
            }
            self.try_read()?;
        }
    }

    /// Client: whether this connection can carry the next request. Besides
    /// [`Connection::is_reusable`], looks at the socket without waiting:
    /// bytes that arrived while idle (an idle-timeout 408, a late extra
    /// response) or the server's close are handed to the machine, which
    /// then refuses the connection: such bytes are never taken as the next
    /// response (RFC 9112 §6.3).
    pub fn check_reusable(&mut self) -> bool {
        if !self.s.reusable_now() {
            return false;
        }
        let mut scratch = [0u8; 1024];
        let read = self.read_now(&mut scratch);
        self.s.reusable_after(read, &scratch)
    }

    /// One non-blocking read that asks the socket itself. tokio's `try_read` answers
    /// `WouldBlock` without a system call until its reactor has seen the
    /// socket readable, which it may not have yet when a connection is
    /// taken from a pool; a duplicate of the (non-blocking) descriptor,
    /// read through `std`, has no such lag.
    #[cfg(unix)]
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        use std::io::Read;
        use std::os::fd::AsFd;
        let fd = self.stream.as_fd().try_clone_to_owned()?;
        std::net::TcpStream::from(fd).read(buf)
    }

    #[cfg(not(unix))]
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.try_read(buf)
    }

    /// Client: whether the request that just failed on this connection may
    /// be sent again on a new one (RFC 9112 §9.3.1): the machine's
    /// [`Connection::retry_safety`] says [`RetrySafety::Retry`] (it went out
    /// on a reused connection, no byte of its response arrived, and its
    /// method is idempotent), or nothing of it was sent at all. With
    /// pipelined requests behind it, ask [`Connection::pipeline_report`]
    /// about each of them.
    ///
    /// [`RetrySafety::Retry`]: crate::RetrySafety::Retry
    pub fn may_retry(&self) -> bool {
        self.s.may_retry()
    }

    /// Client: the machine's verdict on retrying the failed request, with
    /// its reason ([`Connection::retry_safety`]).
    pub fn retry_safety(&self) -> crate::RetrySafety {
        self.connection().retry_safety()
    }

    /// Client: sends a bodiless request and reads the whole response (head
    /// and body, interim responses skipped). For tests and simple tools;
    /// a streaming client uses [`next_event`](Self::next_event). Refused
    /// with [`SendError::ExchangeInProgress`] while pipelined requests are
    /// outstanding: the next response would be theirs, not this one's.
    pub async fn get(
        &mut self,
        target: &str,
        headers: &[Header<'_>],
    ) -> io::Result<(ResponseHead, Vec<u8>)> {
        self.s.may_get().map_err(io::Error::other)?;
        self.send_request(&Request::new("GET", target, headers))
            .map_err(io::Error::other)?;
        self.send_end(&[]).map_err(io::Error::other)?;
        let mut whole = Whole::default();
        loop {
            if let Some(response) = whole.on_poll(self.next_event().await?)? {
                return Ok(response);
            }
        }
    }

    /// Writes what is queued and closes. A server lingers (RFC 9112 §9.6):
    /// it half-closes, then reads and discards what the client still sends
    /// until the client closes or [`Config::linger_timeout`] passes, so
    /// that its close does not turn into a reset that destroys the last
    /// response in flight. The socket closes when the `Conn` is dropped.
    ///
    /// It takes `&mut self` rather than `self` so that a task's future
    /// does not hold a second copy of the connection for its last step.
    pub async fn close(&mut self) -> io::Result<()> {
        let flushed = self.flush().await;
        // A half-close: the write side only.
        let _ = self.stream.shutdown().await;
        if self.s.conn.role() == Role::Client || flushed.is_err() {
            return flushed;
        }
        let Some(linger) = self.s.conn.config().linger_timeout else {
            return Ok(());
        };
        let end = Instant::now() + linger;
        loop {
            let deadline = earliest(self.s.conn.poll_timeout(), Some(end)).unwrap_or(end);
            let ready = timeout_at(deadline.into(), self.stream.readable()).await;
            let now = Instant::now();
            let fired = self.s.conn.handle_timeout(now);
            if now >= end || fired.contains(TimerKind::Linger) {
                return Ok(());
            }
            if ready.is_ok() && !self.discard() {
                return Ok(());
            }
        }
    }

    /// Reads and drops what the socket holds; false once the peer closed
    /// or reset (lingering is over). The buffer lives only here, never in
    /// a task's future.
    fn discard(&mut self) -> bool {
        let mut scratch = [0u8; 1024];
        match self.stream.try_read(&mut scratch) {
            Ok(n) => n > 0,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        }
    }

    /// The socket, the machine and what is still queued: for a connection
    /// that switched protocols ([`Event::Switched`](crate::Event::Switched)).
    pub fn into_parts(self) -> (TcpStream, Connection, SendBuf) {
        (self.stream, self.s.conn, self.s.out)
    }
}

/// The read wake-up `slot` set to fire no later than `deadline`. A timer
/// already set that fires no later is kept: re-registering one at each
/// read was a timer-wheel insertion and removal per keep-alive request
/// (whose idle deadline moves on by microseconds each time). One that
/// fires early costs one more turn of the read loop: the machine's timers
/// have not fired yet, and the next wait sets it again.
fn arm(slot: &mut Option<Pin<Box<Sleep>>>, deadline: Instant) -> Pin<&mut Sleep> {
    let deadline = deadline.into();
    let timer = slot.get_or_insert_with(|| Box::pin(sleep_until(deadline)));
    if timer.deadline() > deadline || timer.is_elapsed() {
        timer.as_mut().reset(deadline);
    }
    timer.as_mut()
}

/// Serves every connection `listener` accepts, each on its own task, with
/// a new server [`Connection`] on `config`; `handler` runs the connection
/// and ends with [`Conn::close`].
///
/// The loop survives the network: an IO error ends only its connection;
/// an `accept` that fails for lack of file descriptors or memory (EMFILE,
/// ENFILE) pauses ([`Options::accept_backoff`], doubling) and goes on.
/// Each is reported to [`Options::on_error`]. Only an unusable listener
/// returns.
pub async fn serve<F, Fut>(
    listener: TcpListener,
    config: Config,
    opts: Options,
    handler: F,
) -> io::Result<()>
where
    F: Fn(Conn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let handler = Arc::new(handler);
    let mut shortages = 0;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                shortages = 0;
                stream
            }
            Err(e) => {
                if let Some(pause) = after_accept_error(&opts, e, &mut shortages)? {
                    sleep(pause).await;
                }
                continue;
            }
        };
        let on_error = Arc::clone(&opts.on_error);
        match Conn::new(
            stream,
            Connection::new(Role::Server, config.clone()),
            opts.clone(),
        ) {
            Ok(conn) => {
                // Boxed, the handler's future is held once: an `async`
                // block awaiting it by value would hold it twice (the
                // captured value and the awaited one), doubling what an
                // idle connection costs.
                let task = Box::pin(handler(conn));
                ::tokio::spawn(async move {
                    if let Err(e) = task.await {
                        on_error(Stage::Connection, &e);
                    }
                });
            }
            Err(e) => on_error(Stage::Connection, &e),
        }
    }
}
