//! A blocking driver over `std::net` (feature `blocking`): one
//! [`Connection`] on one [`TcpStream`], for a thread per connection.
//!
//! [`Conn`] moves bytes between the socket and the machine and keeps its
//! time; [`serve`] is an accept loop that survives the network. Every
//! framing and persistence decision stays in the machine.
//!
//! # Costs
//!
//! `std` has no safe way to read into uninitialized memory, so each read
//! goes into a 4 KiB buffer on the reading thread's stack (zeroed on each
//! read, about a hundred nanoseconds against the system call's
//! microsecond) and is copied once into the machine's receive buffer.
//! Nothing is held on the heap for reading between reads. Waiting for the
//! machine's deadlines costs a `setsockopt` only when the wait they need
//! changes by more than an eighth (not at each keep-alive request, whose
//! idle deadline moves on by microseconds), and checking a pooled client
//! connection three system calls. An idle connection costs
//! its thread: about 23 KB of resident memory besides the kernel socket.
//!
//! # Example: a server
//!
//! ```
//! use keepalive::blocking::{self, Conn, Options};
//! use keepalive::{Config, Event, Header, Recv, Response};
//! use std::net::TcpListener;
//!
//! fn hello(mut conn: Conn) -> std::io::Result<()> {
//!     loop {
//!         match conn.next_event()? {
//!             Ok(Recv::Event(Event::Request(_))) => {
//!                 let length = [Header::new("Content-Length", "2")];
//!                 conn.send_response(&Response::new(200, &length)).map_err(std::io::Error::other)?;
//!                 conn.send_data("hi".into()).map_err(std::io::Error::other)?;
//!                 conn.send_end(&[]).map_err(std::io::Error::other)?;
//!             }
//!             // Request bodies, and the end of each exchange.
//!             Ok(Recv::Event(Event::Data(_) | Event::End(_) | Event::Cycle(_))) => {}
//!             // Finished, a closed peer, or an error (answer `e.status()`).
//!             _ => return conn.close(),
//!         }
//!     }
//! }
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! std::thread::spawn(move || blocking::serve(&listener, Config::default(), Options::default(), hello));
//!
//! // A client on the same driver.
//! let host = [Header::new("Host", "example")];
//! let mut client = Conn::connect(addr, Config::default(), Options::default())?;
//! let (head, body) = client.get("/", &host)?;
//! assert_eq!(head.status(), 200);
//! assert_eq!(body, b"hi");
//!
//! // Before reusing a connection, ask: bytes or a close that arrived while
//! // it was idle make it unusable (and are never the next response). A
//! // request that then fails may go again on a new connection only if
//! // `may_retry` says so.
//! assert!(client.check_reusable());
//! match client.get("/", &host) {
//!     Ok((head, _)) => assert_eq!(head.status(), 200),
//!     Err(_) if client.may_retry() => { /* connect again, send again */ }
//!     Err(e) => return Err(e),
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};

use super::{after_accept_error, earliest, paused_read_cap, send_timed_out, Session, Whole};
pub use super::{ErrorHook, Options, Stage, Wake};
use crate::{
    Config, Connection, Header, Recv, RecvError, Request, Response, ResponseHead, Role, SendBuf,
    SendError, TimerKind,
};

/// Bytes read from the socket in one call, into a buffer on the stack:
/// small, because every page of it a read touches stays resident in each
/// connection's thread.
const STACK_READ: usize = 4 * 1024;

/// One connection: the socket, the machine, and the queue of bytes to send.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    s: Session,
    /// The socket's read timeout as last set (`None`: none), so that a
    /// read re-arms it only when the wait it needs has really changed.
    armed: Option<Duration>,
}

impl Conn {
    /// Drives `conn` over `stream`. Starts the machine's clock (its idle
    /// timer runs from now) and turns Nagle off: the machine already
    /// coalesces what it sends.
    pub fn new(stream: TcpStream, conn: Connection, opts: Options) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        // The OS refuses a zero timeout; the shortest it takes is as good.
        let send_timeout = opts.send_timeout.map(|t| t.max(Duration::from_millis(1)));
        stream.set_write_timeout(send_timeout)?;
        let peer = stream.peer_addr().ok();
        Ok(Self {
            stream,
            s: Session::new(conn, opts, peer),
            armed: None,
        })
    }

    /// Connects a client to the first address of `addr` that answers
    /// within [`Options::connect_timeout`].
    pub fn connect(addr: impl ToSocketAddrs, config: Config, opts: Options) -> io::Result<Self> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for a in addr.to_socket_addrs()? {
            let stream = match opts.connect_timeout {
                Some(t) => TcpStream::connect_timeout(&a, t),
                None => TcpStream::connect(a),
            };
            match stream {
                Ok(s) => return Self::new(s, Connection::new(Role::Client, config), opts),
                Err(e) => last = e,
            }
        }
        Err(last)
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

    /// The socket. Its read timeout belongs to the driver, which sets it
    /// only when the wait it needs changes: leave it alone.
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
    pub fn next_event(&mut self) -> io::Result<Result<Recv, RecvError>> {
        loop {
            match self.s.conn.poll_event() {
                Ok(Recv::NeedData) if self.s.take_expect_fired() => return Ok(Ok(Recv::NeedData)),
                Ok(Recv::NeedData) => {
                    self.flush()?;
                    self.fill()?;
                }
                other => return Ok(other),
            }
        }
    }

    /// Writes everything queued, with vectored writes (body segments go
    /// out without being copied). Fails with [`io::ErrorKind::TimedOut`]
    /// when the peer accepts no byte for [`Options::send_timeout`].
    pub fn flush(&mut self) -> io::Result<()> {
        let out = &mut self.s.out;
        while out.has_remaining() {
            let mut iov = [IoSlice::new(&[]); 64];
            let n = out.chunks_vectored(&mut iov);
            match self.stream.write_vectored(&iov[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => out.advance(written),
                Err(e) if is_timeout(&e) => return Err(send_timed_out()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads once, waiting no longer than the machine's next deadline (and,
    /// for a client, [`Options::response_timeout`]).
    fn fill(&mut self) -> io::Result<()> {
        let (deadline, own) = self.s.deadlines();
        self.wait_at_most(deadline.map(until))?;
        let mut scratch = [0u8; STACK_READ];
        match self.stream.read(&mut scratch) {
            Ok(n) => self.take(&scratch[..n]),
            // A deadline passed.
            Err(e) if is_timeout(&e) => self.s.waited(own)?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Makes the next read wait no longer than `want` (`None`: without
    /// limit), with one `setsockopt` only when the timeout already set
    /// does not fit. It fits when it ends no later than `want` and at most
    /// an eighth of `want` earlier: a read that times out early costs one
    /// more turn of the loop (the machine's timers have not fired yet, the
    /// next read waits again), while a `setsockopt` per read was a third
    /// of a keep-alive request's system calls, the idle deadline moving on
    /// by microseconds at each request.
    fn wait_at_most(&mut self, want: Option<Duration>) -> io::Result<()> {
        let fits = match (self.armed, want) {
            (None, None) => true,
            (Some(armed), Some(want)) => armed <= want && armed >= want - want / 8,
            _ => false,
        };
        if !fits {
            // Aim a sixteenth early, so that the following reads, whose
            // deadline is the same or a little later, still fit.
            let arm = want.map(|w| (w - w / 16).max(Duration::from_millis(1)));
            self.stream.set_read_timeout(arm)?;
            self.armed = arm;
        }
        Ok(())
    }

    /// Hands what one read returned to the machine (nothing: EOF), after
    /// telling it the time.
    fn take(&mut self, bytes: &[u8]) {
        let now = Instant::now();
        self.s.tick(now);
        if bytes.is_empty() {
            self.s.conn.receive_eof();
        } else {
            self.s.conn.receive(bytes);
            self.s.progressed(now);
        }
    }

    /// Waits until `deadline` (e.g. the next event of a streamed response)
    /// while reading, so that a peer that closes or resets is noticed at
    /// once instead of at the next write. Bytes that arrive (a pipelined
    /// request) go to the machine, up to one head's worth; beyond that the
    /// driver stops reading until the machine asks for more.
    pub fn wait_until(&mut self, deadline: Instant) -> io::Result<Wake> {
        self.flush()?;
        loop {
            if self.s.conn.eof_received() {
                return Ok(Wake::PeerClosed);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Wake::Deadline);
            }
            if self.s.conn.unread().len() >= paused_read_cap(&self.s.conn) {
                std::thread::sleep(deadline - now);
                return Ok(Wake::Deadline);
            }
            self.wait_at_most(Some(until(deadline)))?;
            let mut scratch = [0u8; STACK_READ];
            match self.stream.read(&mut scratch) {
                Ok(n) => self.take(&scratch[..n]),
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Client: whether this connection can carry the next request. Besides
    /// [`Connection::is_reusable`], looks at the socket without waiting:
    /// bytes that arrived while idle (an idle-timeout 408, a late extra
    /// response) or the server's close are handed to the machine, which
    /// then refuses the connection: such bytes are never taken as the next
    /// response (RFC 9112 §6.3).
    pub fn check_reusable(&mut self) -> bool {
        if !self.s.reusable_now() || self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut scratch = [0u8; 1024];
        let read = self.stream.read(&mut scratch);
        let restored = self.stream.set_nonblocking(false).is_ok();
        self.s.reusable_after(read, &scratch) && restored
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
    pub fn get(
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
            if let Some(response) = whole.on_poll(self.next_event()?)? {
                return Ok(response);
            }
        }
    }

    /// Writes what is queued and closes. A server lingers (RFC 9112 §9.6):
    /// it half-closes, then reads and discards what the client still sends
    /// until the client closes or [`Config::linger_timeout`] passes, so
    /// that its close does not turn into a reset that destroys the last
    /// response in flight. The socket closes when the `Conn` is dropped.
    pub fn close(&mut self) -> io::Result<()> {
        let flushed = self.flush();
        if self.s.conn.role() == Role::Client || flushed.is_err() {
            let _ = self.stream.shutdown(Shutdown::Both);
            return flushed;
        }
        let _ = self.stream.shutdown(Shutdown::Write);
        let Some(linger) = self.s.conn.config().linger_timeout else {
            return Ok(());
        };
        let end = Instant::now() + linger;
        let mut scratch = [0u8; STACK_READ];
        loop {
            let deadline = earliest(self.s.conn.poll_timeout(), Some(end)).unwrap_or(end);
            self.wait_at_most(Some(until(deadline)))?;
            let read = self.stream.read(&mut scratch);
            let now = Instant::now();
            let fired = self.s.conn.handle_timeout(now);
            match read {
                Ok(1..) if now < end && !fired.contains(TimerKind::Linger) => {}
                Err(e) if is_timeout(&e) && now < end && !fired.contains(TimerKind::Linger) => {}
                _ => return Ok(()),
            }
        }
    }

    /// The socket, the machine and what is still queued: for a connection
    /// that switched protocols ([`Event::Switched`](crate::Event::Switched)).
    pub fn into_parts(self) -> (TcpStream, Connection, SendBuf) {
        (self.stream, self.s.conn, self.s.out)
    }
}

/// Time left until `deadline`, at least 1 ms (a zero read timeout means
/// "none" to the OS).
fn until(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Serves every connection `listener` accepts, each on its own thread,
/// with a new server [`Connection`] on `config`; `handler` runs the
/// connection and ends with [`Conn::close`].
///
/// The loop survives the network: an IO error ends only its connection;
/// an `accept` that fails for lack of file descriptors or memory (EMFILE,
/// ENFILE) pauses ([`Options::accept_backoff`], doubling) and goes on; a
/// connection no thread can be spawned for is closed at once. Each is
/// reported to [`Options::on_error`]. Only an unusable listener returns.
pub fn serve<F>(listener: &TcpListener, config: Config, opts: Options, handler: F) -> io::Result<()>
where
    F: Fn(Conn) -> io::Result<()> + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    let mut shortages = 0;
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => {
                shortages = 0;
                stream
            }
            Err(e) => {
                if let Some(pause) = after_accept_error(&opts, e, &mut shortages)? {
                    std::thread::sleep(pause);
                }
                continue;
            }
        };
        let (handler, conn_opts, config) = (Arc::clone(&handler), opts.clone(), config.clone());
        let on_error = Arc::clone(&opts.on_error);
        let spawned = std::thread::Builder::new().spawn(move || {
            let result = Conn::new(stream, Connection::new(Role::Server, config), conn_opts)
                .and_then(|conn| handler(conn));
            if let Err(e) = result {
                on_error(Stage::Connection, &e);
            }
        });
        // The closure, and the stream with it, is dropped: refused.
        if let Err(e) = spawned {
            (opts.on_error)(Stage::Spawn, &e);
        }
    }
}
