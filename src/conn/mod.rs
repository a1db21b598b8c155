//! [`Connection`]: glue between the decoders, encoders, the pure decision
//! functions (`framing`, `persist`), the state table (`state`) and the
//! timers (`timer`). The receive side is in `recv.rs`, the send side in
//! `send.rs`.

mod recv;
mod send;

use std::time::Instant;

use bytes::BytesMut;

use crate::decode::Decoder;
use crate::encode::Encoder;
use crate::error::{RecvError, RecvErrorKind, SendError};
use crate::event::Role;
use crate::framing::{BodyLength, SwitchKind};
use crate::head::Version;
use crate::parse::HeadScanner;
use crate::persist::{CloseReason, KeepAliveHint, Persist};
use crate::state::{Half, HalfState, Input, Machine};
use crate::timer::{Expired, TimerKind, Timers};
use crate::Config;

/// What this exchange's request said, for the response's framing.
#[derive(Debug, Clone, Copy)]
struct Exchange {
    method: Method,
    version: Version,
    upgrade_offered: bool,
    expect_continue: bool,
    sent_continue: bool,
}

impl Exchange {
    const fn new() -> Self {
        Self {
            method: Method::Other,
            version: Version::Http11,
            upgrade_offered: false,
            expect_continue: false,
            sent_continue: false,
        }
    }
}

/// The only methods whose response framing differs (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Head,
    Connect,
    Other,
}

impl Method {
    fn of(m: &[u8]) -> Self {
        match m {
            b"HEAD" => Self::Head,
            b"CONNECT" => Self::Connect,
            _ => Self::Other,
        }
    }

    const fn as_bytes(self) -> &'static [u8] {
        match self {
            Self::Head => b"HEAD",
            Self::Connect => b"CONNECT",
            Self::Other => b"",
        }
    }
}

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
    machine: Machine,
    decoder: Decoder,
    encoder: Encoder,
    exchange: Exchange,
    body_received: u64,
    eof: bool,
    error: Option<RecvError>,
    /// Client only: bytes arrived while no request was outstanding.
    stale: bool,
    /// Client only: a byte of the current response has arrived.
    response_started: bool,
    cycle: Option<Persist>,
    switch: Option<SwitchKind>,
    timers: Timers,
    /// Exchanges begun on this connection (for `max_requests`).
    exchanges: u32,
    peer_keep_alive: Option<KeepAliveHint>,
}

impl Connection {
    /// A connection in its first cycle.
    pub fn new(role: Role, config: Config) -> Self {
        let mut conn = Self {
            role,
            config,
            buf: BytesMut::new(),
            scanner: HeadScanner::default(),
            machine: Machine::new(),
            decoder: Decoder::new(BodyLength::Empty),
            encoder: Encoder::Empty,
            exchange: Exchange::new(),
            body_received: 0,
            eof: false,
            error: None,
            stale: false,
            response_started: false,
            cycle: None,
            switch: None,
            timers: Timers::default(),
            exchanges: 0,
            peer_keep_alive: None,
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
    pub fn handle_timeout(&mut self, now: Instant) -> Expired {
        self.timers.set_now(now);
        let fired = self.timers.take_expired();
        for kind in fired.iter() {
            match kind {
                TimerKind::Idle => {
                    if self.machine.ours == HalfState::Idle
                        && self.machine.theirs == HalfState::Idle
                    {
                        self.machine.latch.close(CloseReason::IdleTimeout);
                        self.machine.apply(Half::Ours, Input::Shutdown);
                        self.machine.apply(Half::Theirs, Input::Shutdown);
                    }
                }
                TimerKind::HeadRead => {
                    self.fail_slow(RecvErrorKind::HeadTimeout, CloseReason::HeadTimeout)
                }
                TimerKind::BodyProgress => {
                    self.fail_slow(RecvErrorKind::BodyTimeout, CloseReason::BodyTimeout)
                }
                TimerKind::ExpectContinue | TimerKind::Linger => {}
            }
        }
        fired
    }

    fn fail_slow(&mut self, kind: RecvErrorKind, reason: CloseReason) {
        if self.error.is_some() {
            return;
        }
        self.machine.latch.close(reason);
        self.fail(kind);
    }

    /// Enters the sticky error state.
    fn fail(&mut self, kind: RecvErrorKind) -> RecvError {
        let e = RecvError::new(kind, self.role);
        self.error = Some(e);
        self.machine.apply(Half::Theirs, Input::Fail);
        self.machine.latch.close(CloseReason::ProtocolError);
        self.timers.disarm(TimerKind::HeadRead);
        self.timers.disarm(TimerKind::BodyProgress);
        self.timers.disarm(TimerKind::Idle);
        self.timers
            .arm(TimerKind::Linger, self.config.linger_timeout);
        e
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

    fn response_half(&self) -> Half {
        match self.role {
            Role::Server => Half::Ours,
            Role::Client => Half::Theirs,
        }
    }

    fn maybe_end_cycle(&mut self) {
        if !self.machine.exchange_over(self.response_half()) {
            return;
        }
        let verdict = self.machine.end_cycle();
        self.cycle = Some(verdict);
        self.exchange = Exchange::new();
        self.timers.disarm(TimerKind::HeadRead);
        self.timers.disarm(TimerKind::BodyProgress);
        self.timers.disarm(TimerKind::ExpectContinue);
        if verdict.is_keep_alive()
            && self.role == Role::Client
            && !self.config.replay_buffered_responses
            && !self.is_blank(&self.buf)
        {
            // RFC 9112 §6.3: bytes after a complete response, with no
            // request outstanding, MUST NOT be taken as the next response
            // (cache poisoning): the connection is not reusable.
            self.stale = true;
        }
        if verdict.is_keep_alive() {
            if self.role == Role::Server && self.buf.iter().any(|&b| b != b'\r' && b != b'\n') {
                // A pipelined head has already started.
                self.timers
                    .arm(TimerKind::HeadRead, self.config.head_timeout);
            } else {
                self.arm_idle();
            }
        } else {
            self.timers
                .arm(TimerKind::Linger, self.config.linger_timeout);
        }
    }

    /// Whether `bytes` hold nothing but the empty lines allowed between
    /// messages.
    fn is_blank(&self, bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| b == b'\r' || b == b'\n')
    }

    /// Counts an exchange; the one that reaches `max_requests` is the last.
    fn count_exchange(&mut self) {
        self.exchanges = self.exchanges.saturating_add(1);
        if self
            .config
            .max_requests
            .is_some_and(|max| self.exchanges >= max)
        {
            self.machine.latch.close(CloseReason::MaxRequests);
        }
    }

    // ----------------------------------------------------------------
    // Getters

    /// The persistence latch now: [`Persist::KeepAlive`] until a reason to
    /// close is known, then the first such reason.
    pub fn persist(&self) -> Persist {
        self.machine.latch.persist()
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
        self.eof
    }

    /// The `Keep-Alive` hints the peer sent most recently, if any.
    pub fn peer_keep_alive(&self) -> Option<KeepAliveHint> {
        self.peer_keep_alive
    }

    /// Client: whether any byte of the response to the current request has
    /// arrived. A request whose response has not started can be retried
    /// on another connection if this one fails (when the method allows it).
    pub fn response_started(&self) -> bool {
        self.response_started
    }

    /// Client: whether a new request can be sent now — the previous
    /// exchange ended with keep-alive, nothing unsolicited arrived, the
    /// server has not closed, and no error occurred. A pool asks this
    /// before reusing a connection.
    pub fn is_reusable(&self) -> bool {
        self.role == Role::Client
            && self.error.is_none()
            && !self.stale
            && (self.config.replay_buffered_responses || self.is_blank(&self.buf))
            && !self.eof
            && self.machine.ours == HalfState::Idle
            && self.machine.theirs == HalfState::Idle
            && !self.machine.latch.is_close()
    }

    /// How many exchanges this connection has begun.
    pub fn exchanges(&self) -> u32 {
        self.exchanges
    }

    fn check_sending(&self) -> Result<(), SendError> {
        if self.role == Role::Client && self.error.is_some() {
            // The server's bytes broke the protocol: nothing it will read
            // can be trusted to line up any more.
            return Err(SendError::ConnectionClosed);
        }
        match self.machine.ours {
            HalfState::Body => Ok(()),
            HalfState::MustClose | HalfState::Closed | HalfState::Switched | HalfState::Error => {
                Err(SendError::ConnectionClosed)
            }
            HalfState::Idle | HalfState::Done => Err(SendError::InvalidState),
        }
    }

    fn check_open(&self) -> Result<(), SendError> {
        match (self.machine.ours, self.machine.theirs) {
            (
                HalfState::MustClose | HalfState::Closed | HalfState::Switched | HalfState::Error,
                _,
            ) => Err(SendError::ConnectionClosed),
            (
                _,
                HalfState::MustClose | HalfState::Closed | HalfState::Switched | HalfState::Error,
            ) => Err(SendError::ConnectionClosed),
            _ => Ok(()),
        }
    }
}
