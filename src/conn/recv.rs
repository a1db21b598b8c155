//! The receive side: bytes in, events out.

use bytes::{Buf, BytesMut};

use super::{Connection, Exchange, Method};
use crate::decode::{Decoded, Decoder};
use crate::error::{RecvError, RecvErrorKind};
use crate::event::{Event, Recv, Role};
use crate::framing::{body_length, BodyLength, Message};
use crate::headers::Known;
use crate::parse::{parse_request, parse_response, HeadScanner};
use crate::persist::{
    abandoned_expectation, framing_verdict, half_close_verdict, message_verdict, KeepAliveHint,
};
use crate::state::{Half, HalfState, Input};
use crate::timer::TimerKind;

/// Receive buffer an idle connection keeps: small messages read with
/// [`Connection::receive`] reuse it instead of allocating each time.
const IDLE_BUF_KEEP: usize = 256;

impl Connection {
    /// Appends received bytes. Nothing is parsed until
    /// [`poll_event`](Self::poll_event).
    ///
    /// Once the connection has decided to close (or failed), or has handed
    /// its bytes to a new protocol with [`Event::Switched`], received bytes
    /// are discarded: nothing will read them, and a peer must not be able
    /// to make such a connection hold memory.
    pub fn receive(&mut self, bytes: &[u8]) {
        let switched_and_handed_over =
            self.machine.theirs == HalfState::Switched && self.switch.is_none();
        if switched_and_handed_over
            || matches!(
                self.machine.theirs,
                HalfState::MustClose | HalfState::Error | HalfState::Closed
            )
        {
            return;
        }
        if self.role == Role::Client && !bytes.is_empty() {
            if self.machine.ours == HalfState::Idle && !self.config.replay_buffered_responses {
                if bytes.iter().any(|&b| b != b'\r' && b != b'\n') {
                    // Nothing was asked: a server talking now is answering
                    // nobody (or closing a stale connection).
                    self.stale = true;
                }
            } else {
                self.response_started = true;
            }
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The receive buffer, for adapters that read straight into it (e.g.
    /// `reserve` then `read` into the spare capacity) instead of calling
    /// [`receive`](Self::receive). Only append to it. A client that reads
    /// this way while idle should [`poll_event`](Self::poll_event) before
    /// reusing the connection: unsolicited bytes are reported there.
    pub fn recv_buf(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// The peer closed its sending side (read returned 0).
    pub fn receive_eof(&mut self) {
        self.eof = true;
        let complete = self.machine.theirs == HalfState::Done;
        let verdict = half_close_verdict(complete, self.is_blank(&self.buf));
        self.machine.latch.close_if(verdict);
    }

    // ----------------------------------------------------------------
    // Outputs

    /// The next thing the peer sent, or why there is none.
    ///
    /// After an `Err`, the connection is broken: every later call returns
    /// the same error (a server may still send one response, see
    /// [`send_response`](Self::send_response)).
    pub fn poll_event(&mut self) -> Result<Recv, RecvError> {
        // An exchange that ended before a later failure is reported first.
        if let Some(verdict) = self.cycle.take() {
            return Ok(Recv::Event(Event::Cycle(verdict)));
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        self.poll_inner().map_err(|kind| self.fail(kind))
    }

    fn poll_inner(&mut self) -> Result<Recv, RecvErrorKind> {
        match self.machine.theirs {
            HalfState::Idle => self.poll_head(),
            HalfState::Body => self.poll_body(),
            HalfState::Done => Ok(Recv::Paused),
            HalfState::Switched => Ok(match self.switch.take() {
                Some(kind) => Recv::Event(Event::Switched {
                    kind,
                    leftover: self.buf.split().freeze(),
                }),
                None => Recv::Finished,
            }),
            HalfState::MustClose | HalfState::Closed | HalfState::Error => Ok(Recv::Finished),
        }
    }

    fn poll_head(&mut self) -> Result<Recv, RecvErrorKind> {
        let awaiting_response = self.role == Role::Client && self.machine.ours != HalfState::Idle;
        if awaiting_response && !self.buf.is_empty() {
            // Bytes appended through `recv_buf` bypass `receive`.
            self.response_started = true;
        }
        if self.scanner_is_fresh() {
            // RFC 9112 §2.2: empty lines before a start line are ignored.
            self.skip_empty_lines();
            if self.buf[..] == b"\r"[..] && !self.eof {
                // Maybe the first half of another empty line.
                return Ok(Recv::NeedData);
            }
        }
        if self.buf.is_empty() {
            self.release_idle_buffer();
            return Ok(match (self.eof, awaiting_response) {
                (true, true) => return Err(RecvErrorKind::IncompleteMessage),
                (true, false) => {
                    self.machine.apply(Half::Theirs, Input::Eof);
                    self.machine.apply(Half::Ours, Input::Eof);
                    self.timers.disarm(TimerKind::Idle);
                    Recv::Event(Event::Closed)
                }
                (false, _) if self.role == Role::Client && !awaiting_response => Recv::Paused,
                (false, _) => Recv::NeedData,
            });
        }
        if self.role == Role::Client && !awaiting_response {
            return Err(RecvErrorKind::UnsolicitedResponse);
        }
        // A head has started: the connection is no longer idle.
        self.timers.disarm(TimerKind::Idle);
        self.timers
            .arm_once(TimerKind::HeadRead, self.config.head_timeout);
        let is_request = self.role == Role::Server;
        let Some((n, facts)) = self.scanner.scan(&self.buf, &self.config, is_request)? else {
            return if self.eof {
                Err(RecvErrorKind::IncompleteMessage)
            } else {
                Ok(Recv::NeedData)
            };
        };
        let raw = self.buf.split_to(n).freeze();
        self.timers.disarm(TimerKind::HeadRead);
        if is_request {
            self.on_request(parse_request(raw, facts, &self.config)?)
        } else {
            self.on_response(parse_response(raw, facts, &self.config)?)
        }
    }

    /// Between messages with nothing buffered, frees a receive buffer
    /// larger than [`IDLE_BUF_KEEP`], as nginx frees its header buffers on
    /// idle keep-alive connections: many idle connections then cost little
    /// memory, for one allocation when the next message arrives.
    fn release_idle_buffer(&mut self) {
        // `try_reclaim` succeeds only for the sole owner of an allocation
        // larger than the keep size: exactly the memory worth freeing.
        if self.buf.capacity() > IDLE_BUF_KEEP || self.buf.try_reclaim(IDLE_BUF_KEEP + 1) {
            self.buf = BytesMut::new();
        }
    }

    fn scanner_is_fresh(&self) -> bool {
        self.scanner.is_fresh()
    }

    fn skip_empty_lines(&mut self) {
        loop {
            match (self.buf.first(), self.buf.get(1)) {
                (Some(b'\r'), Some(b'\n')) => self.buf.advance(2),
                (Some(b'\n'), _) if self.config.allow_bare_lf => self.buf.advance(1),
                _ => return,
            }
        }
    }

    fn on_request(&mut self, mut head: crate::RequestHead) -> Result<Recv, RecvErrorKind> {
        let framing = body_length(Message::Request {
            version: head.version(),
            headers: head.headers(),
        })?;
        head.body = framing.length;
        self.count_exchange();
        self.note_keep_alive_hint(head.headers());
        self.exchange = Exchange {
            method: Method::of(head.method().as_bytes()),
            version: head.version(),
            upgrade_offered: head.is_upgrade(),
            expect_continue: head.expects_continue(),
            sent_continue: false,
        };
        let latch = &mut self.machine.latch;
        latch.close_if(framing_verdict(&framing));
        latch.close_if(message_verdict(
            Role::Client,
            head.version(),
            head.headers().known(Known::Connection),
        ));
        self.start_body(framing.length);
        Ok(Recv::Event(Event::Request(head)))
    }

    fn on_response(&mut self, mut head: crate::ResponseHead) -> Result<Recv, RecvErrorKind> {
        let framing = body_length(Message::Response {
            request_method: self.exchange.method.as_bytes(),
            upgrade_offered: self.exchange.upgrade_offered,
            status: head.status(),
            version: head.version(),
            headers: head.headers(),
        })?;
        head.body = framing.length;
        self.timers.disarm(TimerKind::ExpectContinue);
        if framing.interim {
            self.machine.apply(Half::Theirs, Input::Interim);
            return Ok(Recv::Event(Event::Informational(head)));
        }
        self.note_keep_alive_hint(head.headers());
        let says_close = framing_verdict(&framing).or(message_verdict(
            Role::Server,
            head.version(),
            head.headers().known(Known::Connection),
        ));
        // Framing first, then the Connection field: the order the server
        // applied them in, so both sides record the same first reason.
        let latch = &mut self.machine.latch;
        latch.close_if(framing_verdict(&framing));
        latch.close_if(says_close);
        self.machine.response_closes = says_close.is_some();
        if let Some(kind) = framing.switch {
            self.switch = Some(kind);
            self.machine.apply(Half::Theirs, Input::Switch);
            self.machine.apply(Half::Ours, Input::Switch);
            self.timers.disarm_all();
        } else {
            self.start_body(framing.length);
        }
        Ok(Recv::Event(Event::Response(head)))
    }

    fn start_body(&mut self, length: BodyLength) {
        self.decoder = Decoder::new(length).in_response(self.role == Role::Client);
        self.body_received = 0;
        self.machine.apply(Half::Theirs, Input::Head);
        if length != BodyLength::Empty {
            self.timers
                .arm(TimerKind::BodyProgress, self.config.body_timeout);
        }
    }

    fn note_keep_alive_hint(&mut self, headers: &crate::Headers) {
        if let Some(hint) = KeepAliveHint::parse(headers.known(Known::KeepAlive)) {
            self.peer_keep_alive = Some(hint);
        }
    }

    fn poll_body(&mut self) -> Result<Recv, RecvErrorKind> {
        let step =
            match self
                .decoder
                .decode(&mut self.buf, &self.config, &mut self.body_received)?
            {
                Decoded::NeedData if self.eof => {
                    let body_started = self.body_received > 0
                        || self.decoder.has_started()
                        || !self.buf.is_empty();
                    let gave_up = abandoned_expectation(
                        self.exchange.expect_continue,
                        self.exchange.sent_continue,
                        body_started,
                    );
                    if let (Role::Server, Some(reason)) = (self.role, gave_up) {
                        self.machine.latch.close(reason);
                        self.timers.disarm(TimerKind::BodyProgress);
                        return Ok(Recv::Paused);
                    }
                    self.decoder.eof()?
                }
                step => step,
            };
        match step {
            Decoded::NeedData => Ok(Recv::NeedData),
            Decoded::Data(d) => {
                self.timers
                    .arm(TimerKind::BodyProgress, self.config.body_timeout);
                Ok(Recv::Event(Event::Data(d)))
            }
            Decoded::End(trailers) => {
                self.machine.apply(Half::Theirs, Input::End);
                self.scanner = HeadScanner::default();
                self.timers.disarm(TimerKind::BodyProgress);
                if self.eof && self.role == Role::Server {
                    let verdict = half_close_verdict(true, self.is_blank(&self.buf));
                    self.machine.latch.close_if(verdict);
                }
                self.maybe_end_cycle();
                Ok(Recv::Event(Event::End(trailers)))
            }
        }
    }
}
