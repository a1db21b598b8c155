//! The funnel: every exchange rule in one place.
//!
//! Every head, sent or received, is reduced to its facts ([`HeadFacts`])
//! and goes through [`Exchange::on_head`], which asks `framing/` how the
//! body is delimited, asks `persist.rs` what the message says about
//! persistence, feeds those verdicts to the latch in one fixed order, moves
//! the state table, and returns what the glue must do ([`Effects`]). Ends
//! of messages, ends of input, timeouts and failures come through the
//! `on_*` methods of `life.rs`; the exchange decides once, here, the early-response
//! drain, reuse and staleness, `max_requests`, `max_interim_responses`,
//! and what ends an exchange.
//! `conn/` only turns bytes into facts and effects into bytes and events.
//!
//! # The order of verdicts
//!
//! The latch keeps the first reason to close, so the order in which the
//! verdicts reach it decides the reason reported. For each head:
//!
//! | head              | order (first wins)                                                    |
//! |-------------------|-----------------------------------------------------------------------|
//! | request received  | `max_requests`, framing (TE + CL), `Connection`/version of the request |
//! | request sent      | `Connection`/version of the request, `max_requests`                    |
//! | response received | framing (switch, TE + CL, until-close), `Connection`/version           |
//! | response sent     | after an error, switch, until-close, early response, `Connection`      |
//!
//! A response received applies framing before its `Connection` field, as
//! the server that sent it did, so both sides record the same first reason.
//! A request a client pipelines behind an outstanding one (`pipeline.rs`)
//! keeps its reasons (`Connection`/version, then `max_requests`) aside
//! until the exchanges before it end: they reach the latch when it becomes
//! the current exchange, not when it is sent.
//! After the heads: the peer's half-close at the end of its message, then
//! the early-response drain at the end of ours.

use crate::error::{RecvErrorKind, SendError};
use crate::framing::{
    body_length, request_body_length, request_framing, response_framing, Framing, Message, Outgoing,
};
use crate::headers::Headers;
use crate::message::{BodyLength, Method, Role, SwitchKind, Version};
use crate::persist::{
    framing_verdict, message_verdict, sent_response_verdict, CloseReason, ConnectionOptions,
    EarlyResponse, Persist,
};
use crate::state::{Half, HalfState, Input, Machine, Refused};
use crate::Config;

/// What this exchange's request said, for the response's framing.
#[derive(Debug, Clone, Copy)]
struct RequestFacts {
    method: Method,
    version: Version,
    upgrade_offered: bool,
    expect_continue: bool,
    sent_continue: bool,
}

impl RequestFacts {
    /// The facts of a request being sent.
    #[inline(always)]
    fn sent(f: &HeadFacts<'_>, method: Method) -> Self {
        Self {
            method,
            version: f.version,
            upgrade_offered: f.upgrade_offered,
            expect_continue: f.expect_continue,
            sent_continue: false,
        }
    }

    const fn new() -> Self {
        Self {
            method: Method::Unremarkable,
            version: Version::Http11,
            upgrade_offered: false,
            expect_continue: false,
            sent_continue: false,
        }
    }
}

/// The `Config` fields the rules read, copied once.
#[derive(Debug, Clone, Copy)]
struct Rules {
    max_requests: Option<u32>,
    replay_buffered_responses: bool,
    drain_budget: u64,
    advertise_keep_alive: bool,
    max_interim_responses: u32,
    /// Client: requests outstanding at once (at least 1).
    max_pipeline: u32,
    pipeline_after_non_idempotent: bool,
}

/// The start line of a head.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    Request(Method),
    Response(u16),
}

/// What the fields of a head say about framing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fields<'a> {
    /// A received head: `framing/` reads its fields.
    Received(&'a Headers),
    /// A head the caller is sending, as the encoder found it.
    Sent {
        content_length: Option<u64>,
        chunked: bool,
        upgrade_field: bool,
        host_count: u32,
        /// The caller wrote its own `Keep-Alive` field.
        keep_alive_field: bool,
    },
}

/// The facts of one head, sent (`half == Ours`) or received.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadFacts<'a> {
    pub(crate) half: Half,
    pub(crate) version: Version,
    pub(crate) start: Start,
    pub(crate) connection: ConnectionOptions,
    /// A request offering an upgrade (`Upgrade` + `Connection: upgrade`).
    pub(crate) upgrade_offered: bool,
    /// A request with `Expect: 100-continue`.
    pub(crate) expect_continue: bool,
    pub(crate) fields: Fields<'a>,
}

impl HeadFacts<'_> {
    /// The facts of a response this side sends with no field at all: an
    /// HTTP/1.1 status line, then the blank line.
    #[inline]
    pub(crate) const fn bare_response(status: u16) -> Self {
        HeadFacts {
            half: Half::Ours,
            version: Version::Http11,
            start: Start::Response(status),
            connection: ConnectionOptions {
                close: false,
                keep_alive: false,
            },
            upgrade_offered: false,
            expect_continue: false,
            fields: Fields::Sent {
                content_length: None,
                chunked: false,
                upgrade_field: false,
                host_count: 0,
                keep_alive_field: false,
            },
        }
    }
}

/// What kind of head went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadKind {
    /// A 1xx other than 101: the exchange waits for the final response.
    Interim,
    /// A message whose body follows, delimited so.
    Message(BodyLength),
    /// The connection leaves HTTP/1.1 after this head.
    Switch(SwitchKind),
}

/// What the glue does after a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Effects {
    pub(crate) kind: HeadKind,
    /// Sent heads: a framing field the machine appends.
    pub(crate) add_framing: Option<(&'static str, &'static str)>,
    /// Sent heads: append `Connection: close` (the latch says close and
    /// the caller did not say it).
    pub(crate) add_close: bool,
    /// Sent responses: append `Connection: keep-alive` (HTTP/1.0 client
    /// kept).
    pub(crate) add_keep_alive: bool,
    /// Sent responses: append `Keep-Alive` hints, with this many
    /// exchanges begun.
    pub(crate) advertise: Option<u32>,
}

impl Effects {
    const fn of(kind: HeadKind) -> Self {
        Self {
            kind,
            add_framing: None,
            add_close: false,
            add_keep_alive: false,
            advertise: None,
        }
    }
}

/// Why a head was refused: the peer broke the protocol, or the caller
/// misused the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Peer(RecvErrorKind),
    Caller(SendError),
}

impl From<Refused> for Refusal {
    /// A transition the table refuses. For our half it is a misuse named
    /// by where the half stands; for theirs, a message the exchange did
    /// not expect (the glue polls a head only when one is expected, so
    /// this marks a peer speaking out of turn).
    fn from(r: Refused) -> Self {
        match (r.half, r.from) {
            (Half::Theirs, _) => Self::Peer(RecvErrorKind::UnsolicitedResponse),
            (Half::Ours, HalfState::Idle) => Self::Caller(SendError::NoHeadSent),
            (Half::Ours, HalfState::Body) => Self::Caller(SendError::HeadAlreadySent),
            (Half::Ours, HalfState::Done) => Self::Caller(SendError::MessageEnded),
            (Half::Ours, _) => Self::Caller(SendError::ConnectionClosed),
        }
    }
}

/// Whether a client may send a failed request again on a new connection,
/// and why (RFC 9110 §9.2.2, RFC 9112 §9.3.1), from
/// [`Connection::retry_safety`](crate::Connection::retry_safety).
///
/// A server may close an idle keep-alive connection just as a request goes
/// out on it; the request then fails although the server never saw it.
/// Such a request may be retried automatically when all three hold: the
/// connection had carried an earlier exchange (so its closing is the
/// likely cause), nothing of the response arrived (so the server did not
/// act on it, or at least said nothing), and the method is idempotent (so
/// acting twice is the same as once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetrySafety {
    /// Retry on a new connection: reused connection, no response byte,
    /// idempotent method.
    Retry,
    /// No request is outstanding: nothing was sent (e.g.
    /// [`SendError::NotReusable`]: just use a new connection), or its
    /// exchange completed.
    NothingOutstanding,
    /// Part of the response arrived: the server acted on the request.
    ResponseStarted,
    /// The request was the first on this connection: its failure is not a
    /// stale keep-alive connection, so retrying is unlikely to help.
    FreshConnection,
    /// The method is not idempotent (POST, PATCH, CONNECT, ...): the
    /// server may have acted on it, and doing so twice may differ from
    /// once. Only the application can decide.
    NotIdempotent,
}

/// Where the receive side stands, for `poll_event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecvPhase {
    /// Read a head (or wait for one).
    Head,
    /// Read the body of the current message.
    Body,
    /// The peer's message is done: our side must send.
    Paused,
    /// The connection switched; the `Switched` event may be pending.
    Switched,
    /// Nothing more will be read.
    Finished,
}

/// Which head the receive side waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expecting {
    Request,
    Response,
    /// A client with no request outstanding: anything received is
    /// unsolicited.
    Nothing,
}

/// The exchange rules of one connection: the state table, the request
/// being answered, and the facts the rules remember between heads.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    role: Role,
    rules: Rules,
    machine: Machine,
    request: RequestFacts,
    /// Exchanges begun on this connection (for `max_requests`).
    begun: u32,
    /// Client only: interim responses received in this exchange (for
    /// `max_interim_responses`).
    interim: u32,
    /// The verdict of an exchange that ended, not yet reported.
    cycle: Option<Persist>,
    /// A switch not yet reported.
    switch: Option<SwitchKind>,
    /// Client only: bytes arrived while no request was outstanding.
    stale: bool,
    /// Client only: a byte of the current response has arrived.
    response_started: bool,
    /// The peer's end of input was seen.
    eof: bool,
    /// Client only: a request was sent and its exchange has not ended.
    in_flight: bool,
    /// Server only: the application will not read the rest of this
    /// request's body.
    discard: bool,
    /// The failure was returned once by `poll_event`.
    failure_reported: bool,
    /// An ending outside any exchange (idle timeout), not yet reported.
    ending: Option<Persist>,
    /// Client, pipelining: requests sent behind the current exchange,
    /// oldest first (`pipeline.rs`). Allocated at the first one.
    queue: Queue,
    /// Client: bytes appended to the receive buffer so far, so that bytes
    /// that arrived before a pipelined request went out are never taken
    /// as its response (`pipeline.rs`).
    received: u64,
    /// Client: the receive buffer's length when `recv_buf` lent it out
    /// (`usize::MAX`: not lent); what the caller appended is counted at
    /// the next [`sync_appends`](Self::sync_appends).
    lent: usize,
}

/// Whether `bytes` hold nothing but the empty lines allowed between
/// messages.
pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == b'\r' || b == b'\n')
}

impl Exchange {
    pub(crate) fn new(role: Role, config: &Config) -> Self {
        Self {
            role,
            rules: Rules {
                max_requests: config.max_requests,
                replay_buffered_responses: config.replay_buffered_responses,
                drain_budget: config.drain_budget,
                advertise_keep_alive: config.advertise_keep_alive,
                max_interim_responses: config.max_interim_responses,
                max_pipeline: config.max_pipeline.max(1),
                pipeline_after_non_idempotent: config.allow_pipelining_after_non_idempotent,
            },
            machine: Machine::new(),
            request: RequestFacts::new(),
            begun: 0,
            interim: 0,
            cycle: None,
            switch: None,
            stale: false,
            response_started: false,
            eof: false,
            in_flight: false,
            discard: false,
            failure_reported: false,
            ending: None,
            queue: Queue::default(),
            received: 0,
            lent: usize::MAX,
        }
    }

    // ----------------------------------------------------------------
    // Heads: the funnel

    /// Takes one head through the rules: framing, then the verdicts in the
    /// order of the module table, then the state table. A refused head
    /// changes nothing.
    // Inlined so that each call site, which knows its half and start,
    // goes straight to its arm.
    #[inline(always)]
    pub(crate) fn on_head(&mut self, facts: &HeadFacts<'_>) -> Result<Effects, Refusal> {
        match (facts.half, facts.start) {
            (Half::Theirs, Start::Request(method)) => self.received_request(facts, method),
            (Half::Theirs, Start::Response(status)) => self.received_response(facts, status),
            (Half::Ours, Start::Request(method)) => self.sent_request(facts, method),
            (Half::Ours, Start::Response(status)) => self.sent_response(facts, status),
        }
    }

    #[inline]
    fn received_request(&mut self, f: &HeadFacts<'_>, method: Method) -> Result<Effects, Refusal> {
        let Fields::Received(headers) = f.fields else {
            return Err(Refusal::Caller(SendError::WrongRole));
        };
        let framing = request_body_length(method, f.version, headers).map_err(Refusal::Peer)?;
        self.machine.apply(Half::Theirs, Input::Head)?;
        self.count_exchange();
        self.request = RequestFacts {
            method,
            version: f.version,
            upgrade_offered: f.upgrade_offered,
            expect_continue: f.expect_continue,
            sent_continue: false,
        };
        let latch = self.machine.latch();
        latch.close_if(framing_verdict(&framing));
        latch.close_if(message_verdict(Role::Client, f.version, f.connection));
        Ok(Effects::of(HeadKind::Message(framing.length)))
    }

    #[inline]
    fn received_response(&mut self, f: &HeadFacts<'_>, status: u16) -> Result<Effects, Refusal> {
        let Fields::Received(headers) = f.fields else {
            return Err(Refusal::Caller(SendError::WrongRole));
        };
        let framing: Framing = body_length(Message::Response {
            request_method: self.request.method,
            upgrade_offered: self.request.upgrade_offered,
            status,
            version: f.version,
            headers,
        })
        .map_err(Refusal::Peer)?;
        if framing.interim {
            if self.interim >= self.rules.max_interim_responses {
                return Err(Refusal::Peer(RecvErrorKind::TooManyInterimResponses));
            }
            self.machine.apply(Half::Theirs, Input::Interim)?;
            self.interim += 1;
            return Ok(Effects::of(HeadKind::Interim));
        }
        let by_framing = framing_verdict(&framing);
        let says_close = by_framing.or(message_verdict(Role::Server, f.version, f.connection));
        if let Some(kind) = framing.switch {
            self.machine.apply_both(Input::Switch)?;
            self.switch = Some(kind);
        } else {
            self.machine.apply(Half::Theirs, Input::Head)?;
        }
        self.machine.latch().close_if(says_close);
        self.machine.set_response_closes(says_close.is_some());
        Ok(Effects::of(match framing.switch {
            Some(kind) => HeadKind::Switch(kind),
            None => HeadKind::Message(framing.length),
        }))
    }

    /// Client: whether a request may be sent now, before anything is
    /// written.
    #[inline]
    pub(crate) fn may_send_request(&mut self, rest: &[u8]) -> Result<(), SendError> {
        if self.role != Role::Client {
            return Err(SendError::WrongRole);
        }
        // What arrived so far arrived before this request.
        self.sync_appends(rest.len());
        self.check_open()?;
        let idle = matches!(self.machine.ours(), HalfState::Idle)
            && matches!(self.machine.theirs(), HalfState::Idle);
        if !idle || self.cycle.is_some() {
            if self.rules.max_pipeline <= 1 {
                return Err(SendError::ExchangeInProgress);
            }
            if !idle {
                return self.may_pipeline();
            }
            // An ended exchange whose verdict is not yet polled does not
            // hold a pipelining client back.
        }
        let leftover = !self.rules.replay_buffered_responses && !is_blank(rest);
        if self.stale || self.eof || leftover {
            // Bytes or EOF from the server while no request was
            // outstanding: stale connection, not safe to reuse.
            return Err(SendError::NotReusable);
        }
        Ok(())
    }

    #[inline(always)]
    fn sent_request(&mut self, f: &HeadFacts<'_>, method: Method) -> Result<Effects, Refusal> {
        let Fields::Sent {
            content_length,
            chunked,
            host_count,
            ..
        } = f.fields
        else {
            return Err(Refusal::Caller(SendError::WrongRole));
        };
        let length = request_framing(f.version, host_count, content_length, chunked)
            .map_err(Refusal::Caller)?;
        let request = RequestFacts::sent(f, method);
        if self.queueing() {
            return self.queue_request(request, f.connection, length);
        }
        self.machine.apply(Half::Ours, Input::Head)?;
        self.request = request;
        self.interim = 0;
        // Bytes already buffered (replayed streams) are noted by the glue.
        self.response_started = false;
        self.in_flight = true;
        let latch = self.machine.latch();
        latch.close_if(message_verdict(Role::Client, f.version, f.connection));
        let last = self.count_exchange();
        Ok(Effects {
            // The server learns it is the last exchange too.
            add_close: last && !f.connection.close,
            ..Effects::of(HeadKind::Message(length))
        })
    }

    /// Server: whether a response may be sent now, before anything is
    /// written; `Ok(true)` when it answers a request that failed.
    pub(crate) fn may_send_response(&self) -> Result<bool, SendError> {
        if self.role != Role::Server {
            return Err(SendError::WrongRole);
        }
        let after_error = self.machine.failure().is_some();
        if !after_error {
            self.check_open()?;
        }
        if !matches!(self.machine.ours(), HalfState::Idle) {
            return Err(SendError::HeadAlreadySent);
        }
        if matches!(self.machine.theirs(), HalfState::Idle) {
            return Err(SendError::NoRequestToAnswer);
        }
        Ok(after_error)
    }

    #[inline]
    fn sent_response(&mut self, f: &HeadFacts<'_>, status: u16) -> Result<Effects, Refusal> {
        if let Some(length) = self.plain_response(f, status) {
            self.machine.apply(Half::Ours, Input::Head)?;
            self.machine.set_response_closes(false);
            return Ok(Effects::of(HeadKind::Message(length)));
        }
        self.sent_response_general(f, status)
    }

    /// Server: the straight path of a response with no field and no
    /// content (an empty 204 or 304, the commonest bodiless reply): `true`
    /// when [`plain_response`](Self::plain_response) holds for it, with
    /// the state moved exactly as [`on_head`](Self::on_head) would move it
    /// for the same facts; `false` with nothing changed otherwise (take
    /// the general path). Call after
    /// [`may_send_response`](Self::may_send_response).
    #[inline]
    pub(crate) fn sent_plain_empty_response(&mut self, status: u16) -> Result<bool, Refusal> {
        let facts = HeadFacts::bare_response(status);
        if self.plain_response(&facts, status) != Some(BodyLength::Empty) {
            return Ok(false);
        }
        self.machine.apply(Half::Ours, Input::Head)?;
        self.machine.set_response_closes(false);
        Ok(true)
    }

    /// The straight path for the common response: a final response with
    /// nothing to add, sent after a complete HTTP/1.1 request that is
    /// neither HEAD nor CONNECT, on a connection that stays open. `Some`
    /// only where [`sent_response_general`](Self::sent_response_general)
    /// would move the same state and return `Message(length)` with no
    /// field added and the latch open (`tests.rs` compares the two over
    /// every combination of the facts read here); `None` otherwise.
    #[inline]
    fn plain_response(&self, f: &HeadFacts<'_>, status: u16) -> Option<BodyLength> {
        let Fields::Sent {
            content_length,
            chunked: false,
            upgrade_field: false,
            ..
        } = f.fields
        else {
            return None;
        };
        let plain = self.role == Role::Server
            && matches!(self.machine.theirs(), HalfState::Done)
            && matches!(self.machine.ours(), HalfState::Idle)
            && !self.machine.is_close()
            && !self.rules.advertise_keep_alive
            && !f.connection.close
            && self.request.version == Version::Http11
            && !matches!(self.request.method, Method::Head | Method::Connect);
        if !plain {
            return None;
        }
        match (status, content_length) {
            (204, None) | (304, _) => Some(BodyLength::Empty),
            (200..=599, Some(n)) if status != 204 => Some(BodyLength::Fixed(n)),
            _ => None,
        }
    }

    /// Every rule for a sent response, in the order of the module table.
    #[inline]
    fn sent_response_general(
        &mut self,
        f: &HeadFacts<'_>,
        status: u16,
    ) -> Result<Effects, Refusal> {
        let Fields::Sent {
            content_length,
            chunked,
            upgrade_field,
            keep_alive_field,
            ..
        } = f.fields
        else {
            return Err(Refusal::Caller(SendError::WrongRole));
        };
        let after_error = self.may_send_response().map_err(Refusal::Caller)?;
        let request_done = matches!(self.machine.theirs(), HalfState::Done);
        let ex = self.request;
        let framing = response_framing(Outgoing {
            status,
            request_method: ex.method,
            request_version: ex.version,
            upgrade_offered: ex.upgrade_offered,
            after_error,
            content_length,
            chunked,
            upgrade_field,
        })
        .map_err(Refusal::Caller)?;
        if framing.switch.is_some() && !request_done {
            // Switch only once the request is complete: what follows it
            // belongs to the new protocol.
            return Err(Refusal::Caller(SendError::SwitchBeforeRequestEnd));
        }
        if framing.interim {
            self.request.sent_continue |= status == 100;
            return Ok(Effects {
                add_framing: framing.add,
                ..Effects::of(HeadKind::Interim)
            });
        }
        let mut latch = *self.machine.latch();
        if after_error {
            latch.close(CloseReason::ProtocolError);
        }
        let mut effects = Effects {
            add_framing: framing.add,
            ..Effects::of(match framing.switch {
                Some(kind) => HeadKind::Switch(kind),
                None => HeadKind::Message(framing.length),
            })
        };
        if framing.switch.is_some() {
            latch.close(CloseReason::Switched);
            self.machine.apply_both(Input::Switch)?;
            self.switch = framing.switch;
        } else {
            latch.close_if(sent_response_verdict(
                framing.length,
                EarlyResponse {
                    expect_continue: ex.expect_continue,
                    sent_continue: ex.sent_continue,
                    request_done,
                    discard: self.discard,
                },
                f.connection,
            ));
            self.machine.apply(Half::Ours, Input::Head)?;
            if latch.is_close() {
                effects.add_close = !f.connection.close;
            } else {
                effects.add_keep_alive = ex.version == Version::Http10 && !f.connection.keep_alive;
                effects.advertise =
                    (self.rules.advertise_keep_alive && !keep_alive_field).then_some(self.begun);
            }
        }
        // Whenever the latch says close, the head just written says so too.
        self.machine.set_response_closes(latch.is_close());
        *self.machine.latch() = latch;
        Ok(effects)
    }

    /// Counts an exchange; `true` for the one that reaches `max_requests`,
    /// which is the last.
    fn count_exchange(&mut self) -> bool {
        self.begun = self.begun.saturating_add(1);
        let last = self.rules.max_requests.is_some_and(|max| self.begun >= max);
        if last {
            self.machine.latch().close(CloseReason::MaxRequests);
        }
        last
    }
}

mod life;
mod pipeline;

use pipeline::Queue;
pub use pipeline::{PipelineRefusal, PipelineReport};

#[cfg(test)]
mod tests;
