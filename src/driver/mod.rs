//! Socket drivers: the IO loop around a [`Connection`](crate::Connection),
//! as library code (features `blocking` and `tokio`, both off by default).
//!
//! The two drivers make the same decisions; this module holds the parts
//! that do no IO, so that the rules are written once:
//!
//! - [`Options`]: the driver's own limits (send progress, connect, response
//!   wait, accept back-off). Protocol limits stay in [`Config`](crate::Config).
//! - the accept loop's error policy ([`accept_verdict`]): one bad connection
//!   or a full file table never stops a server;
//! - the client's retry rule ([`may_retry`]).

#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "tokio")]
pub mod tokio;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{
    Connection, Event, Recv, RecvError, Request, ResponseHead, RetrySafety, Role, SendBuf,
    SendError, TimerKind,
};

/// The drivers' own settings: what the network can do to a connection
/// that the protocol machine cannot see (a peer that stops reading, a
/// server that never answers, a full file table).
///
/// Construct with [`Options::default()`] and change fields.
#[derive(Clone)]
#[non_exhaustive]
pub struct Options {
    /// Close a connection whose peer accepts no byte of what is queued for
    /// this long (a client that never reads would otherwise pin a task or
    /// thread and the kernel's send buffer forever). Re-armed by every
    /// byte written. Default 60 s, nginx's `send_timeout`; `None`: never.
    pub send_timeout: Option<Duration>,
    /// Client: fail a request whose response sends no byte for this long
    /// while the machine runs no timer of its own (a silent server, or
    /// nothing after a `100 Continue`); re-armed by every byte received.
    /// Default 60 s; `None`: wait for the machine's timers only.
    pub response_timeout: Option<Duration>,
    /// Client: give up connecting after this long. Default 10 s.
    pub connect_timeout: Option<Duration>,
    /// Server: the first pause after `accept` fails for lack of file
    /// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM); it doubles
    /// on each further failure up to one second. Default 10 ms.
    pub accept_backoff: Duration,
    /// Server: told about every error the accept loop survives (a failed
    /// accept, a thread that could not be spawned, a connection that ended
    /// with an IO error), with the step it happened in: a place to log or
    /// count them. Default: ignored.
    pub on_error: ErrorHook,
}

/// What [`Options::on_error`] holds: shared by every connection's thread or
/// task, so it may count or log from any of them.
pub type ErrorHook = Arc<dyn Fn(Stage, &io::Error) + Send + Sync>;

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("send_timeout", &self.send_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("accept_backoff", &self.accept_backoff)
            .finish_non_exhaustive()
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            send_timeout: Some(Duration::from_secs(60)),
            response_timeout: Some(Duration::from_secs(60)),
            connect_timeout: Some(Duration::from_secs(10)),
            accept_backoff: Duration::from_millis(10),
            on_error: Arc::new(|_, _| {}),
        }
    }
}

/// Where in a server's life an error reported to [`Options::on_error`]
/// happened. Each one ended at most one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// `accept` failed; the loop went on (after a pause when file
    /// descriptors or memory ran out).
    Accept,
    /// The connection was accepted but could not be served (no thread
    /// could be spawned): it was closed at once.
    Spawn,
    /// A served connection ended with an IO error (reset, send timeout...).
    Connection,
}

/// What a driver's `wait_until` saw while a response was being streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The deadline passed; the peer is still there.
    Deadline,
    /// The peer closed its sending side (received bytes, if any, were handed
    /// to the machine first). A streaming response usually stops here: most
    /// clients close both directions at once.
    PeerClosed,
}

/// What both drivers keep beside the socket: the machine, its send queue,
/// and a client's bookkeeping for the retry rule and the response timeout.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) conn: Connection,
    pub(crate) out: SendBuf,
    pub(crate) opts: Options,
    pub(crate) peer: Option<SocketAddr>,
    /// Client: when the current response last made progress.
    progress: Instant,
    /// Client: the expect-continue timer fired and the caller has not
    /// been told yet.
    expect_fired: bool,
}

impl Session {
    /// Starts the machine's clock: its idle timer runs from now.
    pub(crate) fn new(mut conn: Connection, opts: Options, peer: Option<SocketAddr>) -> Self {
        let now = Instant::now();
        conn.handle_timeout(now);
        Self {
            conn,
            out: SendBuf::new(),
            opts,
            peer,
            progress: now,
            expect_fired: false,
        }
    }

    /// Tells the machine the time, noting an expect-continue timer that
    /// fired for [`take_expect_fired`](Self::take_expect_fired).
    pub(crate) fn tick(&mut self, now: Instant) {
        let fired = self.conn.handle_timeout(now);
        self.expect_fired |= fired.contains(TimerKind::ExpectContinue);
    }

    /// Whether the expect-continue timer fired since the last call: the
    /// drivers' `next_event` then returns `Recv::NeedData` so that a client
    /// waiting for `100 Continue` sends its body (RFC 9110 §10.1.1).
    pub(crate) fn take_expect_fired(&mut self) -> bool {
        std::mem::take(&mut self.expect_fired)
    }

    pub(crate) fn send_request(&mut self, req: &Request<'_>) -> Result<(), SendError> {
        self.conn.send_request(req, &mut self.out)?;
        self.progress = Instant::now();
        Ok(())
    }

    /// Client: `get` takes the next response as its own, so it runs only
    /// with no request outstanding (a pipelined one's response comes first).
    pub(crate) fn may_get(&self) -> Result<(), SendError> {
        if self.conn.pipeline_report().unanswered().is_empty() {
            Ok(())
        } else {
            Err(SendError::ExchangeInProgress)
        }
    }

    pub(crate) fn may_retry(&self) -> bool {
        may_retry(self.conn.retry_safety())
    }

    /// The deadline to wait for (the machine's or
    /// [`Options::response_timeout`]'s), and the latter alone. A client's
    /// response timeout runs only while the machine runs no timer of its
    /// own: its head and body timers, once armed, say more precisely what
    /// went wrong.
    pub(crate) fn deadlines(&self) -> (Option<Instant>, Option<Instant>) {
        let machine = self.conn.poll_timeout();
        let own = match (self.opts.response_timeout, machine, self.conn.role()) {
            (Some(t), None, Role::Client) => Some(self.progress + t),
            _ => None,
        };
        (earliest(machine, own), own)
    }

    /// Bytes were read at `now`.
    pub(crate) fn progressed(&mut self, now: Instant) {
        self.progress = now;
    }

    /// The wait for `deadlines()` ran out: applies the machine's timers,
    /// and fails if the response timeout was the one that passed.
    pub(crate) fn waited(&mut self, own: Option<Instant>) -> io::Result<()> {
        let now = Instant::now();
        self.tick(now);
        if own.is_some_and(|d| d <= now) {
            return Err(response_timed_out());
        }
        Ok(())
    }

    /// Before a client's non-blocking look at an idle socket: whether the
    /// machine would reuse the connection at all.
    pub(crate) fn reusable_now(&mut self) -> bool {
        self.tick(Instant::now());
        self.conn.is_reusable()
    }

    /// Takes in that look: bytes or EOF go to the machine, which then
    /// refuses the connection; a socket error refuses it too.
    pub(crate) fn reusable_after(&mut self, read: io::Result<usize>, scratch: &[u8]) -> bool {
        match read {
            Ok(0) => self.conn.receive_eof(),
            Ok(n) => self.conn.receive(&scratch[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return false,
        }
        self.conn.is_reusable()
    }
}

/// A whole response gathered from polled events (the drivers' `get`).
#[derive(Default)]
pub(crate) struct Whole {
    head: Option<ResponseHead>,
    body: Vec<u8>,
}

impl Whole {
    /// Takes in one polled event; the response once the exchange is over.
    pub(crate) fn on_poll(
        &mut self,
        polled: Result<Recv, RecvError>,
    ) -> io::Result<Option<(ResponseHead, Vec<u8>)>> {
        match polled.map_err(io::Error::other)? {
            Recv::Event(Event::Response(h)) => self.head = Some(h),
            Recv::Event(Event::Data(d)) => self.body.extend_from_slice(&d),
            Recv::Event(Event::Cycle(_)) => {
                // Before the head, it is the verdict of the exchange before,
                // which a pipelining client may leave unpolled when it sends.
                if let Some(head) = self.head.take() {
                    return Ok(Some((head, std::mem::take(&mut self.body))));
                }
            }
            Recv::Event(_) => {}
            other => return Err(io::Error::other(format!("response cut short: {other:?}"))),
        }
        Ok(None)
    }
}

/// What an accept loop does after `accept` failed: reports it, then
/// returns how long to pause (after `shortages` shortages in a row), or
/// the error if the listener is unusable.
pub(crate) fn after_accept_error(
    opts: &Options,
    e: io::Error,
    shortages: &mut u32,
) -> io::Result<Option<Duration>> {
    (opts.on_error)(Stage::Accept, &e);
    match accept_verdict(&e) {
        AcceptVerdict::Retry => Ok(None),
        AcceptVerdict::BackOff => {
            *shortages += 1;
            Ok(Some(backoff(opts.accept_backoff, *shortages - 1)))
        }
        AcceptVerdict::Fatal => Err(e),
    }
}

/// What the accept loop does after `accept` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AcceptVerdict {
    /// The failure belonged to one connection attempt (it was reset or
    /// aborted before we took it): accept again.
    Retry,
    /// The process or the system is out of descriptors or memory: pause,
    /// then accept again. Connections already open go on being served
    /// and free descriptors as they end.
    BackOff,
    /// The listener itself is unusable: stop.
    Fatal,
}

// errno values shared by Linux, the BSDs and macOS.
const ENOMEM: i32 = 12;
const ENFILE: i32 = 23;
const EMFILE: i32 = 24;
const EBADF: i32 = 9;
#[cfg(target_os = "linux")]
const ENOBUFS: i32 = 105;
#[cfg(not(target_os = "linux"))]
const ENOBUFS: i32 = 55;

/// Sorts an `accept` error. Only an unusable listener stops a server;
/// anything else is one connection's failure or a shortage that passes.
pub(crate) fn accept_verdict(e: &io::Error) -> AcceptVerdict {
    match e.raw_os_error() {
        Some(EMFILE | ENFILE | ENOBUFS | ENOMEM) => return AcceptVerdict::BackOff,
        Some(EBADF) => return AcceptVerdict::Fatal,
        _ => {}
    }
    match e.kind() {
        io::ErrorKind::InvalidInput => AcceptVerdict::Fatal,
        io::ErrorKind::OutOfMemory => AcceptVerdict::BackOff,
        // ECONNABORTED, ECONNRESET, EINTR, EPROTO, EPERM (a firewall), ...
        _ => AcceptVerdict::Retry,
    }
}

/// The pause before the next accept after `failures` shortages in a row.
pub(crate) fn backoff(first: Duration, failures: u32) -> Duration {
    let max = Duration::from_secs(1);
    first
        .checked_mul(1 << failures.min(16))
        .map_or(max, |d| d.min(max))
}

/// Whether a client request that failed may go again on a new connection,
/// from the machine's verdict ([`Connection::retry_safety`], RFC 9112
/// §9.3.1): yes when it says [`RetrySafety::Retry`], and when nothing is
/// outstanding (the request was refused before a byte of it went out, so
/// sending it elsewhere is its first try).
pub(crate) fn may_retry(safety: RetrySafety) -> bool {
    matches!(safety, RetrySafety::Retry | RetrySafety::NothingOutstanding)
}

/// The earlier of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// How many bytes the driver lets pile up in the machine's receive buffer
/// while it reads only to notice a close (during a streamed response, or
/// while the machine is paused): one head's worth.
pub(crate) fn paused_read_cap(conn: &Connection) -> usize {
    conn.config().max_head_len
}

/// The error a driver returns when the peer accepted no byte for
/// [`Options::send_timeout`].
pub(crate) fn send_timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "send timeout: the peer stopped reading",
    )
}

/// The error a client driver returns when the response made no progress
/// for [`Options::response_timeout`].
pub(crate) fn response_timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "response timeout: the server sent nothing",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_errors_are_sorted() {
        let os = io::Error::from_raw_os_error;
        for (e, verdict) in [
            (os(EMFILE), AcceptVerdict::BackOff),
            (os(ENFILE), AcceptVerdict::BackOff),
            (os(ENOBUFS), AcceptVerdict::BackOff),
            (os(ENOMEM), AcceptVerdict::BackOff),
            (os(EBADF), AcceptVerdict::Fatal),
            (
                io::ErrorKind::ConnectionAborted.into(),
                AcceptVerdict::Retry,
            ),
            (io::ErrorKind::Interrupted.into(), AcceptVerdict::Retry),
            (io::ErrorKind::InvalidInput.into(), AcceptVerdict::Fatal),
        ] {
            assert_eq!(accept_verdict(&e), verdict, "{e:?}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_a_second() {
        let first = Duration::from_millis(10);
        assert_eq!(backoff(first, 0), first);
        assert_eq!(backoff(first, 3), Duration::from_millis(80));
        assert_eq!(backoff(first, 40), Duration::from_secs(1));
    }

    #[test]
    fn retry_rule() {
        use crate::{Config, Header, Request, SendBuf};
        let host = [Header::new("Host", "x")];
        let get = Request::new("GET", "/", &host);
        let post = Request::new("POST", "/", &host);
        let mut out = SendBuf::new();
        // One exchange completes, so the next request reuses the connection.
        let reused = |req: &Request<'_>| {
            let mut conn = Connection::new(Role::Client, Config::default());
            let mut out = SendBuf::new();
            conn.send_request(&get, &mut out).unwrap();
            conn.send_end(&[], &mut out).unwrap();
            conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
            while !matches!(
                conn.poll_event(),
                Ok(crate::Recv::Event(crate::Event::Cycle(_)))
            ) {}
            conn.send_request(req, &mut out).unwrap();
            conn
        };
        // Only a reused connection, only idempotent methods.
        assert!(may_retry(reused(&get).retry_safety()));
        assert!(!may_retry(reused(&post).retry_safety()));
        let mut fresh = Connection::new(Role::Client, Config::default());
        fresh.send_request(&get, &mut out).unwrap();
        assert!(!may_retry(fresh.retry_safety()));
        // Once a byte of the response arrived, the server acted on it.
        let mut started = reused(&get);
        started.receive(b"H");
        assert!(!may_retry(started.retry_safety()));
    }
}
