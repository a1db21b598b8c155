//! The rest of the exchange rules: ends of messages, input, time,
//! failure, and what the connection's getters read.

use super::{is_blank, Exchange, Expecting, RecvPhase, Refusal, RequestFacts, RetrySafety};
use crate::error::{RecvErrorKind, SendError};
use crate::message::{Role, SwitchKind};
use crate::persist::{half_close_verdict, CloseReason, Persist};
use crate::state::{Half, HalfState, Input};

impl Exchange {
    // ----------------------------------------------------------------
    // Bodies and ends

    /// Whether a remainder of the request body is small enough to drain.
    fn drainable(&self, remaining: Option<u64>) -> bool {
        remaining.is_some_and(|r| r <= self.rules.drain_budget)
    }

    /// The peer's message ended. `rest` is what is buffered after it.
    #[inline]
    pub(crate) fn on_received_end(&mut self, rest: &[u8]) -> Result<Option<Persist>, Refusal> {
        self.machine.apply(Half::Theirs, Input::End)?;
        if self.eof && self.role == Role::Server {
            let verdict = half_close_verdict(true, is_blank(rest));
            self.machine.latch().close_if(verdict);
        }
        self.maybe_end_cycle(rest)
    }

    /// Server: the straight path of [`on_received_end`](Self::on_received_end)
    /// for a request read whole before its response began, the peer still
    /// open: `true` when it applied (the exchange goes on: the answer
    /// there would be `Ok(None)`), `false` with nothing changed otherwise.
    #[inline]
    pub(crate) fn received_request_end(&mut self) -> bool {
        self.role == Role::Server && !self.eof && self.machine.end_theirs_before_ours()
    }

    /// Whether body data or an end may be sent now.
    #[inline]
    pub(crate) fn may_send_body(&self) -> Result<(), SendError> {
        if self.role == Role::Client && self.machine.failure().is_some() {
            // The server's bytes broke the protocol: nothing it will read
            // can be trusted to line up any more.
            return Err(SendError::ConnectionClosed);
        }
        match self.machine.ours() {
            HalfState::Body => Ok(()),
            // A pipelined request behind the current one, which has ended.
            HalfState::Done if self.sending_queued() => self.may_send_queued_body(),
            // A pipelined request kept out of the exchange: bytes that came
            // before it answered no request (`promote_queued`).
            HalfState::Idle if self.stale => Err(SendError::ConnectionClosed),
            HalfState::Idle => Err(SendError::NoHeadSent),
            HalfState::Done => Err(SendError::MessageEnded),
            HalfState::MustClose | HalfState::Closed | HalfState::Switched | HalfState::Error => {
                Err(SendError::ConnectionClosed)
            }
        }
    }

    /// Our message ended. `remaining` is how much of the request body is
    /// still to come, if known; `rest` is what is buffered.
    #[inline]
    pub(crate) fn on_sent_end(
        &mut self,
        remaining: Option<u64>,
        rest: &[u8],
    ) -> Result<Option<Persist>, Refusal> {
        if let Err(refused) = self.machine.apply(Half::Ours, Input::End) {
            if !self.sending_queued() {
                return Err(refused.into());
            }
            // A pipelined request behind the current one, which has ended.
            self.on_queued_end();
            return Ok(None);
        }
        if self.machine.failure().is_some() {
            // The error response is out; only lingering remains.
            self.machine
                .apply(Half::Ours, Input::CycleEnd { keep_alive: false })?;
            return Ok(None);
        }
        if self.role == Role::Server && matches!(self.machine.theirs(), HalfState::Body) {
            // The response ended before the request (issue 11: the decision
            // waits until here, so a full-duplex exchange whose request
            // ends first keeps the connection): drain a known, small
            // remainder to keep the connection; otherwise close without
            // reading the rest, lingering so the client reads the response.
            if !self.drainable(remaining) {
                self.machine.latch().close(CloseReason::UnreadBody);
                self.machine.set_response_closes(true);
            }
        }
        self.maybe_end_cycle(rest)
    }

    /// Ends the exchange if it is over; the verdict, if it ended.
    #[inline]
    fn maybe_end_cycle(&mut self, rest: &[u8]) -> Result<Option<Persist>, Refusal> {
        let response = match self.role {
            Role::Server => Half::Ours,
            Role::Client => Half::Theirs,
        };
        if !self.machine.exchange_over(response) {
            return Ok(None);
        }
        let verdict = self.machine.end_cycle()?;
        self.cycle_ended(verdict);
        if verdict.is_keep_alive() && self.role == Role::Client {
            self.client_kept(rest)?;
        }
        Ok(Some(verdict))
    }

    /// Server: the straight path of [`on_sent_end`](Self::on_sent_end)
    /// for a response that ends after the whole request was read (no
    /// failure, nothing to drain): the exchange ends here with the same
    /// state and verdict. `None`, with nothing changed, otherwise (take
    /// the general path). The caller has checked that ending the body
    /// writes nothing and owes nothing (the states checked here are ones
    /// where [`may_send_body`](Self::may_send_body) passes).
    #[inline]
    pub(crate) fn sent_end_after_request(&mut self) -> Option<Persist> {
        if self.role != Role::Server {
            return None;
        }
        let verdict = self.machine.end_ours_after_theirs()?;
        self.cycle_ended(verdict);
        Some(verdict)
    }

    /// The exchange ended with `verdict`: its facts are dropped.
    #[inline]
    fn cycle_ended(&mut self, verdict: Persist) {
        self.cycle = Some(verdict);
        self.request = RequestFacts::new();
        self.in_flight = false;
        self.discard = false;
    }

    /// Client: an exchange ended with keep-alive; `rest` is what is
    /// buffered after its response.
    // Out of line: the server's cycle does not carry it.
    #[inline(never)]
    fn client_kept(&mut self, rest: &[u8]) -> Result<(), Refusal> {
        if self.promote_queued(rest)? {
            // The next response is already awaited: `rest` is its start.
            return Ok(());
        }
        if !self.rules.replay_buffered_responses && !is_blank(rest) {
            // RFC 9112 §6.3: bytes after a complete response, with no
            // request outstanding, MUST NOT be taken as the next response
            // (cache poisoning): the connection is not reusable.
            self.stale = true;
        }
        Ok(())
    }

    // ----------------------------------------------------------------
    // Input, time, failure

    /// Whether received bytes are still worth keeping.
    pub(crate) fn accepts_bytes(&self) -> bool {
        let handed_over =
            matches!(self.machine.theirs(), HalfState::Switched) && self.switch.is_none();
        !handed_over
            && !matches!(
                self.machine.theirs(),
                HalfState::MustClose | HalfState::Error | HalfState::Closed
            )
    }

    /// Notes received bytes: for a client, unsolicited bytes make the
    /// connection stale, solicited ones start the response.
    pub(crate) fn note_received(&mut self, bytes: &[u8]) {
        if self.role != Role::Client || bytes.is_empty() {
            return;
        }
        self.received = self.received.wrapping_add(bytes.len() as u64);
        if matches!(self.machine.ours(), HalfState::Idle) && !self.rules.replay_buffered_responses {
            if !is_blank(bytes) {
                // Nothing was asked: a server talking now is answering
                // nobody (or closing a stale connection).
                self.stale = true;
            }
        } else {
            self.response_started = true;
        }
    }

    /// A byte of the awaited response is buffered (maybe appended through
    /// `recv_buf`, which bypasses [`note_received`](Self::note_received)).
    pub(crate) fn note_response_bytes(&mut self) {
        self.response_started = true;
    }

    /// The peer closed its sending side; `rest` is what is buffered.
    pub(crate) fn on_eof(&mut self, rest: &[u8]) {
        self.eof = true;
        let complete = matches!(self.machine.theirs(), HalfState::Done);
        let verdict = half_close_verdict(complete, is_blank(rest));
        self.machine.latch().close_if(verdict);
    }

    /// The peer closed between messages, with nothing buffered.
    pub(crate) fn on_peer_closed(&mut self) -> Result<(), Refusal> {
        self.machine.apply_both(Input::Eof)?;
        self.machine.latch().close(CloseReason::PeerClosed);
        Ok(())
    }

    /// The idle timer fired: close if no exchange is in progress.
    pub(crate) fn on_idle_timeout(&mut self) -> Result<(), Refusal> {
        if matches!(self.machine.ours(), HalfState::Idle)
            && matches!(self.machine.theirs(), HalfState::Idle)
        {
            self.machine.latch().close(CloseReason::IdleTimeout);
            self.machine.apply_both(Input::Shutdown)?;
            // The connection's ending is reported like an exchange's, after
            // the verdict of the last exchange if that is still unreported.
            self.ending = Some(self.machine.persist());
        }
        Ok(())
    }

    /// The peer broke the protocol (or was too slow, `reason` saying how):
    /// the first failure is the one kept. `false` if it had already failed.
    pub(crate) fn on_fail(&mut self, kind: RecvErrorKind, reason: Option<CloseReason>) -> bool {
        if self.machine.failure().is_some() {
            return false;
        }
        let latch = self.machine.latch();
        latch.close_if(reason);
        latch.close(CloseReason::ProtocolError);
        // The table accepts a failure in every state.
        self.machine.apply(Half::Theirs, Input::Fail(kind)).is_ok()
    }

    // ----------------------------------------------------------------
    // Getters

    #[inline]
    pub(crate) fn recv_phase(&self) -> RecvPhase {
        match self.machine.theirs() {
            HalfState::Idle => RecvPhase::Head,
            HalfState::Body => RecvPhase::Body,
            HalfState::Done => RecvPhase::Paused,
            HalfState::Switched => RecvPhase::Switched,
            HalfState::MustClose | HalfState::Closed | HalfState::Error => RecvPhase::Finished,
        }
    }

    #[inline]
    pub(crate) fn expecting(&self) -> Expecting {
        match self.role {
            Role::Server => Expecting::Request,
            Role::Client if !matches!(self.machine.ours(), HalfState::Idle) => Expecting::Response,
            Role::Client => Expecting::Nothing,
        }
    }

    /// The verdict of an exchange, or the ending of the connection,
    /// not yet reported.
    #[inline]
    pub(crate) fn take_cycle(&mut self) -> Option<Persist> {
        // Polled several times per message: read before writing.
        if self.cycle.is_some() {
            return self.cycle.take();
        }
        if self.ending.is_some() {
            return self.ending.take();
        }
        None
    }

    /// The failure, the first time it is asked for; `None` afterwards, so
    /// that `poll_event` returns the error once and then `Finished`.
    #[inline]
    pub(crate) fn take_failure(&mut self) -> Option<RecvErrorKind> {
        let failure = self.machine.failure()?;
        if self.failure_reported {
            return None;
        }
        self.failure_reported = true;
        Some(failure)
    }

    /// Server: the application will not read the rest of this request's
    /// body. Refused once the response head is out (the head is where
    /// the decision shows, as `Connection: close`).
    pub(crate) fn discard_request_body(&mut self) -> Result<(), SendError> {
        if self.role != Role::Server {
            return Err(SendError::WrongRole);
        }
        if !matches!(self.machine.ours(), HalfState::Idle) {
            return Err(SendError::HeadAlreadySent);
        }
        if !matches!(self.machine.theirs(), HalfState::Body | HalfState::Done) {
            return Err(SendError::NoRequestToAnswer);
        }
        self.discard = true;
        Ok(())
    }

    /// Server: received body bytes are the machine's to discard, not the
    /// application's: it said so, or its response already ended.
    pub(crate) fn is_draining(&self) -> bool {
        self.role == Role::Server
            && matches!(self.machine.theirs(), HalfState::Body)
            && (self.discard || matches!(self.machine.ours(), HalfState::Done))
    }

    /// Whether the response of the current exchange has started: a
    /// server sent its head, a client received a byte of it.
    pub(crate) fn response_started(&self) -> bool {
        match self.role {
            Role::Server => !matches!(self.machine.ours(), HalfState::Idle),
            Role::Client => self.response_started,
        }
    }

    /// Whether the response of the current exchange is complete.
    pub(crate) fn response_finished(&self) -> bool {
        let response = match self.role {
            Role::Server => self.machine.ours(),
            Role::Client => self.machine.theirs(),
        };
        matches!(response, HalfState::Done)
    }

    pub(crate) fn take_switch(&mut self) -> Option<SwitchKind> {
        self.switch.take()
    }

    pub(crate) const fn failure(&self) -> Option<RecvErrorKind> {
        self.machine.failure()
    }

    pub(crate) const fn persist(&self) -> Persist {
        self.machine.persist()
    }

    pub(crate) const fn eof(&self) -> bool {
        self.eof
    }

    pub(crate) const fn begun(&self) -> u32 {
        self.begun
    }

    /// Client: whether a new request can be sent now; `rest` is what is
    /// buffered.
    pub(crate) fn is_reusable(&self, rest: &[u8]) -> bool {
        self.role == Role::Client
            && self.machine.failure().is_none()
            && !self.stale
            && (self.rules.replay_buffered_responses || is_blank(rest))
            && !self.eof
            && matches!(self.machine.ours(), HalfState::Idle)
            && matches!(self.machine.theirs(), HalfState::Idle)
            && !self.machine.is_close()
    }

    /// Client: whether the outstanding request (the first unanswered one)
    /// may be sent again on a new connection.
    pub(crate) fn retry_safety(&self) -> RetrySafety {
        if self.role != Role::Client {
            RetrySafety::NothingOutstanding
        } else if !self.in_flight {
            // An exchange that closed may leave pipelined requests behind
            // it: the first of them is the outstanding one.
            self.first_queued_safety()
        } else if self.response_started {
            RetrySafety::ResponseStarted
        } else if self.begun_before_queue() <= 1 {
            // Pipelined requests behind it do not make the connection reused.
            RetrySafety::FreshConnection
        } else if !self.request.method.is_idempotent() {
            RetrySafety::NotIdempotent
        } else {
            RetrySafety::Retry
        }
    }

    pub(super) fn check_open(&self) -> Result<(), SendError> {
        let closed = |s| {
            matches!(
                s,
                HalfState::MustClose | HalfState::Closed | HalfState::Switched | HalfState::Error
            )
        };
        if closed(self.machine.ours()) || closed(self.machine.theirs()) {
            return Err(SendError::ConnectionClosed);
        }
        Ok(())
    }
}
