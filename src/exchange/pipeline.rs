//! Client pipelining (RFC 9112 §9.3.2): the request half runs ahead of the
//! response half.
//!
//! The state table keeps describing one exchange, the *current* one: the
//! oldest request whose response has not ended. Requests sent after it
//! wait in a queue, with the facts their responses will be framed by
//! (method, version, upgrade and expect facts) and the reason to close
//! they carry (`Connection: close`, HTTP/1.0, the `max_requests`-th).
//! Only the newest request may still be sending its body, so every queued
//! request but the last has ended, and while the queue holds any, the
//! current request has ended too.
//!
//! When the current exchange ends with keep-alive, the oldest queued
//! request becomes current: the table replays its head (and its end, if
//! it ended) on our half, its reason to close reaches the latch then (not
//! when it was sent, which would have closed the exchanges before it), and
//! bytes already buffered are the start of its response, not stale ones,
//! if they arrived after it was sent. Bytes that arrived before (counted
//! by [`Exchange::received`], `recv_buf` appends included) answer no
//! request: RFC 9112 §6.3 forbids taking them as a response (cache
//! poisoning by a desynchronized server), so the request stays queued and
//! the next poll reports them as unsolicited.
//! When an exchange ends with close (or the connection fails), the queued
//! requests stay unanswered, and [`PipelineReport`] says which of them may
//! be sent again on a new connection.

use std::collections::VecDeque;
use std::ops::Range;

use super::{is_blank, Effects, Exchange, HeadKind, Refusal, RequestFacts, RetrySafety};
use crate::error::SendError;
use crate::message::{BodyLength, Method, Role};
use crate::persist::{message_verdict, CloseReason, ConnectionOptions};
use crate::state::{Half, HalfState, Input};

/// Why a client may not pipeline a request now
/// ([`SendError::Pipeline`]). [`Full`](Self::Full) lasts until the next
/// [`Event::Cycle`](crate::Event::Cycle), [`RequestNotEnded`](Self::RequestNotEnded)
/// until [`send_end`](crate::Connection::send_end), and
/// [`Closing`](Self::Closing) for good (use a new connection); each of the
/// others lasts until the responses before the request arrive, and then the
/// request goes out as the next exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PipelineRefusal {
    /// [`Config::max_pipeline`](crate::Config::max_pipeline) requests are
    /// already outstanding: wait for an [`Event::Cycle`](crate::Event::Cycle).
    Full,
    /// The previous request's body is still being sent: finish it with
    /// [`send_end`](crate::Connection::send_end) first (bodies cannot
    /// interleave).
    RequestNotEnded,
    /// The previous request's method is not idempotent (RFC 9110 §9.2.2):
    /// RFC 9112 §9.3.2 says not to pipeline behind it until its final
    /// response arrives, unless
    /// [`Config::allow_pipelining_after_non_idempotent`](crate::Config::allow_pipelining_after_non_idempotent).
    BehindNonIdempotent,
    /// The previous request offers a protocol upgrade: if the server
    /// switches, what follows it is no longer HTTP/1.1.
    BehindUpgrade,
    /// The previous request is a CONNECT: if the server opens the tunnel,
    /// what follows it belongs to the tunnel.
    BehindConnect,
    /// The previous request, or this one, expects `100 Continue`: its body
    /// waits for an answer that comes only after every earlier response,
    /// so it is sent only when nothing else is outstanding.
    ExpectContinue,
    /// An outstanding request said the connection closes after it
    /// (`Connection: close`, HTTP/1.0 without keep-alive, or the
    /// [`Config::max_requests`](crate::Config::max_requests)-th), a
    /// response said so, or the server closed: nothing more may be sent on
    /// this connection. Use a new one.
    Closing,
}

impl PipelineRefusal {
    /// A short description in plain words, saying what to do instead.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Full => "pipeline full (max_pipeline): poll_event until Event::Cycle",
            Self::RequestNotEnded => "previous request body not ended: send_end first",
            Self::BehindNonIdempotent => {
                "no pipelining behind a non-idempotent request (RFC 9112 §9.3.2): wait for its response"
            }
            Self::BehindUpgrade => "no pipelining behind an upgrade: wait for its response",
            Self::BehindConnect => "no pipelining behind CONNECT: wait for its response",
            Self::ExpectContinue => {
                "no pipelining with Expect: 100-continue: send when nothing is outstanding"
            }
            Self::Closing => "the connection closes after an outstanding request: use a new one",
        }
    }
}

/// The requests sent behind the current exchange, oldest first: boxed, so
/// that a connection that never pipelines pays one pointer for it, and
/// allocated at the first pipelined request, for `max_pipeline - 1` up to
/// [`QUEUE_RESERVE`] (it grows, by doubling, only if more are queued, and
/// keeps its capacity: never an allocation per message).
// The box is the point: a `VecDeque` inline would cost every connection
// its 32 bytes; boxed, one that never pipelines pays 8.
#[allow(clippy::box_collection)]
#[derive(Debug, Clone, Default)]
pub(crate) struct Queue(Option<Box<VecDeque<Queued>>>);

/// The most requests the queue reserves room for at once. `max_pipeline`
/// is a limit, not a size: a large one (`u32::MAX` means "no limit") must
/// not reserve gigabytes at the first pipelined request.
const QUEUE_RESERVE: usize = 64;

impl Queue {
    fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |q| q.len())
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn back(&self) -> Option<&Queued> {
        self.0.as_ref()?.back()
    }

    fn back_mut(&mut self) -> Option<&mut Queued> {
        self.0.as_mut()?.back_mut()
    }

    fn get(&self, i: usize) -> Option<&Queued> {
        self.0.as_ref()?.get(i)
    }

    fn pop_front(&mut self) -> Option<Queued> {
        self.0.as_mut()?.pop_front()
    }

    /// Appends, allocating room for `room` requests (at most
    /// [`QUEUE_RESERVE`]) the first time.
    fn push_back(&mut self, q: Queued, room: usize) {
        let room = room.min(QUEUE_RESERVE);
        self.0
            .get_or_insert_with(|| Box::new(VecDeque::with_capacity(room)))
            .push_back(q);
    }
}

/// A request sent behind the current exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Queued {
    facts: RequestFacts,
    /// Its body ended (only the newest may still be sending).
    ended: bool,
    /// The reason to close it carries, applied when it becomes current.
    closes: Option<CloseReason>,
    /// [`Exchange::received`] when it was sent: bytes buffered before
    /// then cannot be its response.
    received_at_send: u64,
}

impl Queued {
    fn safety(&self) -> RetrySafety {
        // Nothing of its response arrived: only the method decides.
        if self.facts.method.is_idempotent() {
            RetrySafety::Retry
        } else {
            RetrySafety::NotIdempotent
        }
    }
}

impl Exchange {
    /// Client, pipelining: whether another request may follow the
    /// outstanding ones (the checks that need only what was sent before).
    // Out of line: the common send does not pipeline.
    #[inline(never)]
    pub(crate) fn may_pipeline(&self) -> Result<(), SendError> {
        let refuse = |why| Err(SendError::Pipeline(why));
        let (newest, ended, closes) = match self.queue.back() {
            Some(q) => (q.facts, q.ended, q.closes.is_some()),
            None => (
                self.request,
                matches!(self.machine.ours(), HalfState::Done),
                false,
            ),
        };
        if closes || self.machine.is_close() || self.eof || self.stale {
            return refuse(PipelineRefusal::Closing);
        }
        if newest.method == Method::Connect {
            return refuse(PipelineRefusal::BehindConnect);
        }
        if newest.upgrade_offered {
            return refuse(PipelineRefusal::BehindUpgrade);
        }
        if newest.expect_continue {
            return refuse(PipelineRefusal::ExpectContinue);
        }
        if !newest.method.is_idempotent() && !self.rules.pipeline_after_non_idempotent {
            return refuse(PipelineRefusal::BehindNonIdempotent);
        }
        if !ended {
            return refuse(PipelineRefusal::RequestNotEnded);
        }
        if self.outstanding() >= self.rules.max_pipeline {
            return refuse(PipelineRefusal::Full);
        }
        Ok(())
    }

    /// Client: whether a request being sent now goes behind an
    /// outstanding one.
    #[inline]
    pub(super) fn queueing(&self) -> bool {
        !matches!(self.machine.ours(), HalfState::Idle) && self.rules.max_pipeline > 1
    }

    /// Client: requests sent whose responses have not ended.
    pub(crate) fn outstanding(&self) -> u32 {
        let current = self.in_flight
            && !matches!(self.machine.theirs(), HalfState::Done | HalfState::Switched);
        // The queue is bounded by `max_pipeline`, a `u32`.
        u32::from(current) + self.queue.len() as u32
    }

    /// Client: a request head sent while an exchange is outstanding goes
    /// to the queue; the table and the latch learn of it when it becomes
    /// current.
    #[inline(never)]
    pub(super) fn queue_request(
        &mut self,
        facts: RequestFacts,
        connection: ConnectionOptions,
        length: BodyLength,
    ) -> Result<Effects, Refusal> {
        self.may_pipeline().map_err(Refusal::Caller)?;
        if facts.expect_continue {
            let why = PipelineRefusal::ExpectContinue;
            return Err(Refusal::Caller(SendError::Pipeline(why)));
        }
        // The current request is not queued.
        let room = self.rules.max_pipeline.saturating_sub(1) as usize;
        // The same order as a request sent on its own: its `Connection`
        // and version first, then `max_requests`.
        let by_message = message_verdict(Role::Client, facts.version, connection);
        self.begun = self.begun.saturating_add(1);
        let last = self.rules.max_requests.is_some_and(|max| self.begun >= max);
        let closes = by_message.or(last.then_some(CloseReason::MaxRequests));
        self.queue.push_back(
            Queued {
                facts,
                ended: false,
                closes,
                received_at_send: self.received,
            },
            room,
        );
        Ok(Effects {
            add_close: last && !connection.close,
            ..Effects::of(HeadKind::Message(length))
        })
    }

    /// Client: the request being sent is a queued one (its body and end
    /// do not touch the table).
    #[inline]
    pub(crate) fn sending_queued(&self) -> bool {
        !self.queue.is_empty()
            && !matches!(
                self.machine.ours(),
                HalfState::MustClose | HalfState::Closed | HalfState::Switched | HalfState::Error
            )
    }

    /// Client: whether the queued request being sent may take body data.
    pub(crate) fn may_send_queued_body(&self) -> Result<(), SendError> {
        match self.queue.back() {
            Some(q) if q.ended => Err(SendError::MessageEnded),
            _ => Ok(()),
        }
    }

    /// Client: the queued request being sent ended.
    pub(crate) fn on_queued_end(&mut self) {
        if let Some(q) = self.queue.back_mut() {
            q.ended = true;
        }
    }

    /// Client: after an exchange ended with keep-alive, the oldest queued
    /// request becomes current; `rest` is what is buffered after the
    /// response that ended. `false` when none was queued.
    pub(crate) fn promote_queued(&mut self, rest: &[u8]) -> Result<bool, Refusal> {
        let Some(front) = self.queue.get(0) else {
            return Ok(false);
        };
        if !self.arrived_after(front, rest) {
            // The server answered a request it had not received (a
            // desynchronized server, a smuggled request): RFC 9112 §6.3,
            // such data MUST NOT be taken as a response (cache
            // poisoning). The request stays unanswered; the next poll
            // reports the bytes as unsolicited.
            self.stale = true;
            return Ok(false);
        }
        let Some(next) = self.queue.pop_front() else {
            return Ok(false);
        };
        self.machine.apply(Half::Ours, Input::Head)?;
        if next.ended {
            self.machine.apply(Half::Ours, Input::End)?;
        }
        self.request = next.facts;
        self.interim = 0;
        self.in_flight = true;
        // Bytes after the last response are the start of this one's.
        self.response_started = !rest.is_empty();
        self.machine.latch().close_if(next.closes);
        Ok(true)
    }

    /// Client: whether `rest`, buffered after the last response, came
    /// after request `q` went out (but for empty lines): only then can it
    /// be the start of its response.
    #[inline(never)]
    fn arrived_after(&self, q: &Queued, rest: &[u8]) -> bool {
        if self.rules.replay_buffered_responses {
            // A recording: its responses are buffered before the requests.
            return true;
        }
        let since = self.received.wrapping_sub(q.received_at_send);
        let before = rest
            .len()
            .saturating_sub(usize::try_from(since).unwrap_or(usize::MAX));
        is_blank(&rest[..before])
    }

    /// Client: `recv_buf` lent the receive buffer out at length `len`.
    pub(crate) fn lend(&mut self, len: usize) {
        if self.role == Role::Client && self.lent == usize::MAX {
            self.lent = len;
        }
    }

    /// Client: counts what was appended through a lent receive buffer,
    /// now `len` long (before anything is read from it or added to it).
    #[inline]
    pub(crate) fn sync_appends(&mut self, len: usize) {
        if self.lent != usize::MAX {
            self.count_lent_appends(len);
        }
    }

    // Out of line: only a client reading through `recv_buf` comes here.
    #[cold]
    #[inline(never)]
    fn count_lent_appends(&mut self, len: usize) {
        let appended = len.saturating_sub(self.lent) as u64;
        self.received = self.received.wrapping_add(appended);
        self.lent = usize::MAX;
    }

    /// Client: whether a request is outstanding (its response awaited)
    /// after a cycle ended.
    #[inline]
    pub(crate) fn awaiting_response(&self) -> bool {
        self.role == Role::Client
            && matches!(self.machine.ours(), HalfState::Body | HalfState::Done)
    }

    /// Client, no exchange in flight: the retry rule of the oldest queued
    /// request, which a closed exchange left unanswered.
    pub(crate) fn first_queued_safety(&self) -> RetrySafety {
        self.queue
            .get(0)
            .map_or(RetrySafety::NothingOutstanding, Queued::safety)
    }

    /// Client: requests sent up to the current exchange's (it included),
    /// for the fresh-connection rule of [`RetrySafety`].
    pub(crate) fn begun_before_queue(&self) -> u32 {
        self.begun.saturating_sub(self.queue.len() as u32)
    }

    /// Which requests were answered, which were not, and which of those
    /// may be retried.
    pub(crate) fn pipeline_report(&self) -> PipelineReport<'_> {
        let sent = if self.role == Role::Client {
            self.begun
        } else {
            0
        };
        let unanswered = if self.role == Role::Client {
            self.outstanding()
        } else {
            0
        };
        PipelineReport {
            sent,
            answered: sent.saturating_sub(unanswered),
            current: self.retry_safety(),
            queue: &self.queue,
        }
    }
}

/// Which requests of a client connection were answered, from
/// [`Connection::pipeline_report`](crate::Connection::pipeline_report).
///
/// Requests are numbered from 0 in the order they were sent on this
/// connection. Responses come in that order, so the answered requests are
/// the first [`answered`](Self::answered) ones, and the rest,
/// [`unanswered`](Self::unanswered), are those whose response had not
/// ended when the connection closed or failed. A driver re-sends exactly
/// those for which [`retry_safety`](Self::retry_safety) says
/// [`RetrySafety::Retry`] ([`retryable`](Self::retryable) lists them), in
/// order, on a new connection, and reports the others as failed.
///
/// The first unanswered request gets the rule of
/// [`Connection::retry_safety`](crate::Connection::retry_safety) (part of
/// its response may have arrived; on a fresh connection its failure says
/// nothing about staleness). The requests behind it had no byte of their
/// response parsed: RFC 9112 §9.3.2 says a client "SHOULD retry unanswered
/// requests" when the connection closes before their responses arrive, and
/// only the method decides ([`RetrySafety::NotIdempotent`] otherwise; a
/// server that announced its close processes no later request, RFC 9112
/// §9.6, but one that failed may have).
#[derive(Debug, Clone, Copy)]
pub struct PipelineReport<'a> {
    sent: u32,
    answered: u32,
    current: RetrySafety,
    queue: &'a Queue,
}

impl PipelineReport<'_> {
    /// Requests sent on this connection (0 for a server).
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// Requests whose response ended (the first ones sent).
    pub fn answered(&self) -> u32 {
        self.answered
    }

    /// The numbers of the requests whose response had not ended, oldest
    /// first; empty when every request was answered.
    pub fn unanswered(&self) -> Range<u32> {
        self.answered..self.sent
    }

    /// Whether request `n` (from 0) may be sent again on a new connection;
    /// [`RetrySafety::NothingOutstanding`] for an answered request or a
    /// number never sent.
    pub fn retry_safety(&self, n: u32) -> RetrySafety {
        if !self.unanswered().contains(&n) {
            return RetrySafety::NothingOutstanding;
        }
        let queued_from = self.sent - self.queue.len() as u32;
        match n.checked_sub(queued_from) {
            Some(i) => self
                .queue
                .get(i as usize)
                .map_or(self.current, Queued::safety),
            None => self.current,
        }
    }

    /// The unanswered requests that may be retried, oldest first.
    pub fn retryable(&self) -> impl Iterator<Item = u32> + '_ {
        self.unanswered()
            .filter(|&n| self.retry_safety(n) == RetrySafety::Retry)
    }
}
