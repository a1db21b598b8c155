//! [`Connection`]: plumbing. Received bytes go to the scanner and parser,
//! each head's facts to the exchange rules (`exchange/`, which alone
//! decides framing, persistence and state), and the rules' effects to the
//! decoder, the encoder, the timers and the events; this module decides no
//! protocol rule. The receive side is in `recv.rs`, the send side in
//! `send.rs`; the data flow is drawn in `ARCHITECTURE.md`.

mod recv;
mod send;

use std::time::Instant;

use bytes::BytesMut;

use crate::decode::Decoder;
use crate::encode::Encoder;
use crate::error::{RecvError, RecvErrorKind};
use crate::exchange::{is_blank, Exchange, PipelineReport, Refusal, RetrySafety};
use crate::message::{BodyLength, Role};
use crate::parse::HeadScanner;
use crate::persist::{CloseReason, KeepAliveHint, Persist};
use crate::timer::{Expired, TimerKind, Timers};
use crate::Config;

/// A deterministic HTTP/1.1 connection: bytes in, events out; messages in,
/// bytes out; and after every exchange, whether the connection persists.
///
/// # Driver loop
///
/// Methods fall into four groups (in the style of `quinn-proto`):
///
/// - **inputs**: [`receive`](Self::receive) (or read straight into
///   [`recv_buf`](Self::recv_buf)), [`receive_eof`](Self::receive_eof), and
///   [`handle_timeout`](Self::handle_timeout), which also tells the machine
///   what time it is;
/// - **outputs**: [`poll_event`](Self::poll_event), called until it
///   returns [`Recv::NeedData`](crate::Recv::NeedData),
///   [`Recv::Paused`](crate::Recv::Paused) or
///   [`Recv::Finished`](crate::Recv::Finished); and
///   [`poll_timeout`](Self::poll_timeout), the next deadline;
/// - **commands**: [`send_request`](Self::send_request) /
///   [`send_response`](Self::send_response), [`send_data`](Self::send_data),
///   [`send_end`](Self::send_end), each appending to a caller-owned
///   [`SendBuf`](crate::SendBuf) that the caller writes to the socket;
/// - **getters**: [`persist`](Self::persist), [`unread`](Self::unread),
///   [`peer_keep_alive`](Self::peer_keep_alive),
///   [`response_started`](Self::response_started), …
///
/// A driver repeats: read bytes → `handle_timeout(now)` → `receive` →
/// `poll_event` until it stops → act on the events (send) → write the
/// `SendBuf` → `poll_event` again → wait for readability or
/// `poll_timeout()`, whichever comes first. After `Paused`, send; after
/// `NeedData`, read; after `Finished`, flush and close (lingering until
/// [`TimerKind::Linger`] if the peer may still be sending), or hand the
/// socket to the new protocol after [`Event::Switched`](crate::Event::Switched).
/// After an `Err` (the peer broke the protocol), log it; a server sends
/// one response with [`RecvError::status`]; the next `poll_event` returns
/// `Finished` — the error is reported once, so the loop cannot spin.
///
/// Every ending is reported once, and agrees with [`persist`](Self::persist):
/// a last [`Event::Cycle`](crate::Event::Cycle)`(Close(reason))` (the
/// exchange's verdict, `max_requests`, an idle timeout), an
/// [`Event::Closed`](crate::Event::Closed) (the peer closed between
/// messages: `PeerClosed`), an [`Event::Switched`](crate::Event::Switched)
/// (`Switched`) or an `Err` (`ProtocolError`, `HeadTimeout`,
/// `BodyTimeout`); then `Finished`.
///
/// Cycles advance by themselves: when an exchange ends, the next
/// `poll_event` returns [`Event::Cycle`](crate::Event::Cycle) with the
/// verdict, and with keep-alive the next exchange has already begun.
///
/// # Time
///
/// The machine never reads a clock. It knows the last `now` given to
/// [`handle_timeout`](Self::handle_timeout); timers armed before any time
/// was given start at the first one. A caller that never gives a time gets
/// no timers.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    config: Config,
    buf: BytesMut,
    scanner: HeadScanner,
    /// Every exchange rule and the state table.
    ex: Exchange,
    decoder: Decoder,
    encoder: Encoder,
    body_received: u64,
    timers: Timers,
    peer_keep_alive: Option<KeepAliveHint>,
    /// How the message this side is sending is framed, once its head is out.
    sending: Option<BodyLength>,
    /// Bytes the last head took: how much a receive buffer grown from
    /// empty reserves at once.
    recv_hint: u32,
}

impl Connection {
    /// A connection in its first cycle.
    pub fn new(role: Role, config: Config) -> Self {
        let mut conn = Self {
            role,
            ex: Exchange::new(role, &config),
            config,
            buf: BytesMut::new(),
            scanner: HeadScanner::default(),
            decoder: Decoder::new(BodyLength::Empty),
            encoder: Encoder::Empty,
            body_received: 0,
            timers: Timers::default(),
            peer_keep_alive: None,
            sending: None,
            recv_hint: 0,
        };
        conn.arm_idle();
        conn
    }

    /// This side's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ----------------------------------------------------------------
    // Time

    /// The earliest pending deadline, if any: call
    /// [`handle_timeout`](Self::handle_timeout) when it has passed.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use keepalive::{Config, Connection, Role};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// let now = Instant::now();
    /// conn.handle_timeout(now); // the machine learns the time
    /// // Nothing received yet: the idle timer (75 s by default) runs.
    /// assert_eq!(conn.poll_timeout(), Some(now + Duration::from_secs(75)));
    /// ```
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Tells the machine the time is `now` (it never goes backwards) and
    /// applies every deadline at or before it; returns the timers that
    /// fired. Idempotent: a second call with the same `now` fires nothing.
    ///
    /// Call it with the current time before feeding bytes read at that
    /// time, and whenever [`poll_timeout`](Self::poll_timeout)'s deadline
    /// passes. What firing does:
    ///
    /// - [`TimerKind::Idle`]: the connection closes
    ///   ([`CloseReason::IdleTimeout`]); `poll_event` returns `Finished`.
    /// - [`TimerKind::HeadRead`], [`TimerKind::BodyProgress`]: the peer is
    ///   too slow; `poll_event` returns a [`RecvError`] (408 for a server,
    ///   which may still send that response) and the connection closes.
    /// - [`TimerKind::ExpectContinue`]: a client should send its body now.
    /// - [`TimerKind::Linger`]: stop reading and close the socket.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use keepalive::{CloseReason, Config, Connection, Event, Persist, Recv, Role, TimerKind};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// let start = Instant::now();
    /// conn.handle_timeout(start);
    /// let fired = conn.handle_timeout(start + Duration::from_secs(75));
    /// assert!(fired.contains(TimerKind::Idle));
    /// assert_eq!(
    ///     conn.poll_event(),
    ///     Ok(Recv::Event(Event::Cycle(Persist::Close(CloseReason::IdleTimeout))))
    /// );
    /// assert_eq!(conn.poll_event(), Ok(Recv::Finished));
    /// ```
    pub fn handle_timeout(&mut self, now: Instant) -> Expired {
        self.timers.set_now(now);
        let fired = self.timers.take_expired();
        for kind in fired.iter() {
            match kind {
                TimerKind::Idle => {
                    // Idle fires only while no exchange is in progress;
                    // `Exchange::on_idle_timeout` checks it again.
                    if self.ex.on_idle_timeout().is_err() {
                        self.timers.disarm_all();
                    }
                }
                TimerKind::HeadRead => {
                    self.fail_timed_out(RecvErrorKind::HeadTimeout, CloseReason::HeadTimeout)
                }
                TimerKind::BodyProgress => {
                    self.fail_timed_out(RecvErrorKind::BodyTimeout, CloseReason::BodyTimeout)
                }
                TimerKind::ExpectContinue | TimerKind::Linger => {}
            }
        }
        fired
    }

    /// A timer saying the peer is too slow fired.
    fn fail_timed_out(&mut self, kind: RecvErrorKind, reason: CloseReason) {
        if self.ex.on_fail(kind, Some(reason)) {
            self.after_fail();
        }
    }

    /// Enters the sticky error state (the exchange stores the failure).
    fn fail(&mut self, kind: RecvErrorKind) -> RecvError {
        if self.ex.on_fail(kind, None) {
            self.after_fail();
        }
        RecvError::new(self.ex.failure().unwrap_or(kind), self.role)
    }

    fn after_fail(&mut self) {
        self.timers.disarm(TimerKind::HeadRead);
        self.timers.disarm(TimerKind::BodyProgress);
        self.timers.disarm(TimerKind::Idle);
        self.timers
            .arm(TimerKind::Linger, self.config.linger_timeout);
    }

    fn arm_idle(&mut self) {
        let mut idle = self.config.idle_timeout;
        if self.role == Role::Client {
            // Leave before the server does: use its hint when shorter.
            if let Some(secs) = self.peer_keep_alive.and_then(|h| h.timeout) {
                let hint = std::time::Duration::from_secs(secs);
                idle = Some(idle.map_or(hint, |d| d.min(hint)));
            }
        }
        self.timers.arm(TimerKind::Idle, idle);
    }

    // ----------------------------------------------------------------
    // Cycle

    /// Timers after an exchange ended with `verdict`.
    fn after_cycle(&mut self, verdict: Persist) {
        if self.role == Role::Server {
            return self.after_server_cycle(verdict);
        }
        let sending = self.sending.take();
        self.disarm_exchange_timers();
        if !verdict.is_keep_alive() {
            self.timers
                .arm(TimerKind::Linger, self.config.linger_timeout);
        } else if self.ex.awaiting_response() {
            // Pipelining: a later request is current now (its response
            // awaited: not idle), maybe still sending its body.
            self.sending = sending;
        } else {
            self.arm_idle();
        }
    }

    /// [`after_cycle`](Self::after_cycle) of a server, inlined where a
    /// response's end is known to be a server's.
    #[inline(always)]
    fn after_server_cycle(&mut self, verdict: Persist) {
        self.sending = None;
        self.disarm_exchange_timers();
        if !verdict.is_keep_alive() {
            self.timers
                .arm(TimerKind::Linger, self.config.linger_timeout);
        } else if !is_blank(&self.buf) {
            // A pipelined head has already started.
            self.timers
                .arm(TimerKind::HeadRead, self.config.head_timeout);
        } else {
            self.timers.arm(TimerKind::Idle, self.config.idle_timeout);
        }
    }

    /// The timers of one exchange stop when it ends.
    #[inline(always)]
    fn disarm_exchange_timers(&mut self) {
        self.timers.disarm(TimerKind::HeadRead);
        self.timers.disarm(TimerKind::BodyProgress);
        self.timers.disarm(TimerKind::ExpectContinue);
    }

    // ----------------------------------------------------------------
    // Getters

    /// The persistence latch now: [`Persist::KeepAlive`] until a reason to
    /// close is known, then the first such reason.
    ///
    /// ```
    /// use keepalive::{CloseReason, Config, Connection, Persist, Role};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// assert_eq!(conn.persist(), Persist::KeepAlive);
    /// conn.receive(b"GET / HTTP/1.0\r\n\r\n");
    /// conn.poll_event().unwrap();
    /// // Known at the request head: HTTP/1.0 without keep-alive.
    /// assert_eq!(conn.persist(), Persist::Close(CloseReason::Http10 { by: Role::Client }));
    /// ```
    pub fn persist(&self) -> Persist {
        self.ex.persist()
    }

    /// The leniencies of [`Config`] that the body being read (or the last
    /// one read) needed, such as
    /// [`Lenience::SpacesAfterChunkSize`](crate::Lenience::SpacesAfterChunkSize).
    /// Those of heads are on the heads
    /// ([`ResponseHead::leniencies`](crate::ResponseHead::leniencies)).
    pub fn body_leniencies(&self) -> crate::Leniencies {
        self.decoder.leniencies()
    }

    /// Received bytes not processed: after
    /// [`Recv::Finished`](crate::Recv::Finished), what the peer sent that
    /// this connection will never read (e.g. a pipelined request after
    /// `Connection: close`). Bytes received after the connection decided
    /// to close are discarded, not kept here.
    pub fn unread(&self) -> &[u8] {
        &self.buf
    }

    /// Whether the peer's end of input was seen.
    pub fn eof_received(&self) -> bool {
        self.ex.eof()
    }

    /// The `Keep-Alive` hints the peer sent most recently, if any.
    pub fn peer_keep_alive(&self) -> Option<KeepAliveHint> {
        self.peer_keep_alive
    }

    /// Whether the response of the current exchange has started. Client:
    /// a byte of it has arrived (a request whose response has not started
    /// may be retried, see [`retry_safety`](Self::retry_safety)). Server:
    /// its head was sent.
    pub fn response_started(&self) -> bool {
        self.ex.response_started()
    }

    /// Whether the response of the current exchange is complete (server:
    /// sent to its end; client: received to its end). The exchange itself
    /// may still wait for the request's end; [`Event::Cycle`](crate::Event::Cycle)
    /// says when it is over.
    pub fn response_finished(&self) -> bool {
        self.ex.response_finished()
    }

    /// Server: whether received request body bytes are being discarded
    /// rather than handed over, because the application called
    /// [`discard_request_body`](Self::discard_request_body) or its response
    /// ended before the request did.
    pub fn is_draining(&self) -> bool {
        self.ex.is_draining()
    }

    /// How the message this side is sending is framed, once its head is
    /// out and until the exchange ends: [`BodyLength::Fixed`],
    /// [`BodyLength::Chunked`] (trailers can be sent), [`BodyLength::UntilClose`]
    /// or [`BodyLength::Empty`]. `None` before the head.
    ///
    /// ```
    /// use keepalive::{Connection, Config, Role, Request, Header, SendBuf, BodyLength};
    ///
    /// let mut conn = Connection::new(Role::Client, Config::default());
    /// assert_eq!(conn.outgoing_body(), None);
    /// let fields = [Header::new("Host", "a"), Header::new("Transfer-Encoding", "chunked")];
    /// conn.send_request(&Request::new("POST", "/", &fields), &mut SendBuf::new()).unwrap();
    /// assert_eq!(conn.outgoing_body(), Some(BodyLength::Chunked));
    /// assert!(conn.can_send_trailers());
    /// ```
    pub fn outgoing_body(&self) -> Option<BodyLength> {
        self.sending
    }

    /// Whether [`send_end`](Self::send_end) may carry trailer fields: the
    /// message being sent is chunked.
    pub fn can_send_trailers(&self) -> bool {
        self.sending == Some(BodyLength::Chunked)
    }

    /// Client: whether a new request can be sent now — the previous
    /// exchange ended with keep-alive, nothing unsolicited arrived, the
    /// server has not closed, and no error occurred. A pool asks this
    /// before reusing a connection.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Event, Header, Recv, Request, Role, SendBuf};
    ///
    /// let mut conn = Connection::new(Role::Client, Config::default());
    /// let host = [Header::new("Host", "a")];
    /// let mut out = SendBuf::new();
    /// conn.send_request(&Request::new("GET", "/", &host), &mut out).unwrap();
    /// conn.send_end(&[], &mut out).unwrap();
    /// assert!(!conn.is_reusable(), "an exchange is in progress");
    /// conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    /// while !matches!(conn.poll_event(), Ok(Recv::Event(Event::Cycle(_)))) {}
    /// assert!(conn.is_reusable());
    /// conn.receive_eof(); // the server closed the idle connection
    /// assert!(!conn.is_reusable());
    /// ```
    pub fn is_reusable(&self) -> bool {
        self.ex.is_reusable(&self.buf)
    }

    /// How many exchanges this connection has begun.
    pub fn exchanges(&self) -> u32 {
        self.ex.begun()
    }

    /// Client: whether the outstanding request may be sent again on a new
    /// connection after this one failed, and why. Ask it when a read or
    /// write fails or `poll_event` returns an error before the response
    /// ended. With pipelined requests it is the first unanswered one (also
    /// after a response that closed the connection ahead of them): the same
    /// as [`pipeline_report`](Self::pipeline_report)`.retry_safety(answered)`.
    ///
    /// ```
    /// use keepalive::{Connection, Config, Role, Request, Header, SendBuf, RetrySafety, Recv, Event};
    ///
    /// let mut conn = Connection::new(Role::Client, Config::default());
    /// let mut out = SendBuf::new();
    /// let host = [Header::new("Host", "example")];
    /// let get = Request::new("GET", "/", &host);
    /// conn.send_request(&get, &mut out).unwrap();
    /// conn.send_end(&[], &mut out).unwrap();
    /// conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    /// while !matches!(conn.poll_event(), Ok(Recv::Event(Event::Cycle(_)))) {}
    ///
    /// // The second request goes out as the server closes the idle connection.
    /// conn.send_request(&get, &mut out).unwrap();
    /// conn.send_end(&[], &mut out).unwrap();
    /// conn.receive_eof();
    /// assert!(conn.poll_event().is_err());
    /// assert_eq!(conn.retry_safety(), RetrySafety::Retry);
    /// ```
    pub fn retry_safety(&self) -> RetrySafety {
        self.ex.retry_safety()
    }

    /// Client: which requests sent on this connection were answered,
    /// which were not, and which of those may be sent again on a new
    /// connection. Ask it when the connection closes (a last
    /// [`Event::Cycle`](crate::Event::Cycle)`(Close(_))`,
    /// [`Recv::Finished`](crate::Recv::Finished)) or fails (an `Err` from
    /// `poll_event`, a read or write error) while requests are
    /// outstanding: with [`Config::max_pipeline`] above 1 there may be
    /// several. The first unanswered request follows the rule of
    /// [`retry_safety`](Self::retry_safety); see [`PipelineReport`].
    ///
    /// ```
    /// use keepalive::{Config, Connection, Event, Header, Recv, Request, RetrySafety, Role, SendBuf};
    ///
    /// let mut config = Config::default();
    /// config.max_pipeline = 4;
    /// let mut conn = Connection::new(Role::Client, config);
    /// let host = [Header::new("Host", "a")];
    /// let mut out = SendBuf::new();
    /// for method in ["GET", "GET", "POST"] {
    ///     conn.send_request(&Request::new(method, "/", &host), &mut out).unwrap();
    ///     conn.send_end(&[], &mut out).unwrap();
    /// }
    /// // The server answers the first request, then closes.
    /// conn.receive(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    /// while !matches!(conn.poll_event(), Ok(Recv::Event(Event::Cycle(_)))) {}
    /// let report = conn.pipeline_report();
    /// assert_eq!((report.sent(), report.answered()), (3, 1));
    /// assert_eq!(report.unanswered(), 1..3);
    /// assert_eq!(report.retry_safety(2), RetrySafety::NotIdempotent);
    /// assert_eq!(report.retryable().collect::<Vec<_>>(), [1]);
    /// ```
    pub fn pipeline_report(&self) -> PipelineReport<'_> {
        self.ex.pipeline_report()
    }
}

/// A refusal from the exchange rules, on the receive side: the peer's.
fn peer(r: Refusal) -> RecvErrorKind {
    match r {
        Refusal::Peer(kind) => kind,
        // Received heads carry received fields; the exchange refuses a
        // caller's misuse only for sent heads.
        Refusal::Caller(_) => RecvErrorKind::UnsolicitedResponse,
    }
}

/// A refusal from the exchange rules, on the send side: the caller's.
fn caller(r: Refusal) -> crate::SendError {
    match r {
        Refusal::Caller(e) => e,
        // Sent heads are never judged as the peer's bytes.
        Refusal::Peer(_) => crate::SendError::ConnectionClosed,
    }
}
