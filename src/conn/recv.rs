//! The receive side: bytes in, events out.

use bytes::{Buf, BytesMut};

use super::{peer, Connection};
use crate::decode::{Decoded, Decoder};
use crate::error::{RecvError, RecvErrorKind};
use crate::event::{Event, Recv};
use crate::exchange::{Effects, Expecting, Fields, HeadFacts, HeadKind, RecvPhase, Start};
use crate::framing::has;
use crate::headers::{Headers, Known};
use crate::message::{BodyLength, Role};
use crate::parse::{check_request, request_head, response_head, unfolded, HeadScanner};
use crate::persist::{ConnectionOptions, KeepAliveHint};
use crate::state::Half;
use crate::timer::TimerKind;

/// Receive buffer an idle connection keeps: messages read with
/// [`Connection::receive`] that fit reuse it instead of allocating each
/// time (a client reading one small response per request, a server fed
/// small heads byte by byte). A `Connection` of 840 bytes plus this stays
/// near 1 KiB; shrinking the `Connection` is what would let it grow.
const IDLE_BUF_KEEP: usize = 256;

impl Connection {
    /// Appends received bytes. Nothing is parsed until
    /// [`poll_event`](Self::poll_event).
    ///
    /// Once the connection has decided to close (or failed), or has handed
    /// its bytes to a new protocol with [`Event::Switched`], received bytes
    /// are discarded: nothing will read them, and a peer must not be able
    /// to make such a connection hold memory.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Event, Recv, Role};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// conn.receive(b"GET / HTTP/1.1\r\nHo");
    /// assert_eq!(conn.poll_event(), Ok(Recv::NeedData));
    /// conn.receive(b"st: a\r\n\r\n");
    /// assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::Request(_)))));
    /// ```
    pub fn receive(&mut self, bytes: &[u8]) {
        if !self.ex.accepts_bytes() {
            return;
        }
        self.ex.sync_appends(self.buf.len());
        self.ex.note_received(bytes);
        if bytes.len() > self.buf.capacity() - self.buf.len() {
            // Grow once to what the last head needed instead of doubling
            // from a few bytes (a head fed one byte at a time would
            // otherwise reallocate nine times).
            self.buf.reserve(bytes.len().max(self.recv_hint as usize));
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The receive buffer, for adapters that read straight into it (e.g.
    /// `reserve` then `read` into the spare capacity) instead of calling
    /// [`receive`](Self::receive). Only append to it. A client that reads
    /// this way while idle should [`poll_event`](Self::poll_event) before
    /// reusing the connection: unsolicited bytes are reported there.
    ///
    /// ```
    /// use std::io::Read;
    /// use keepalive::{Config, Connection, Event, Recv, Role};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// let mut socket: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    /// let buf = conn.recv_buf();
    /// let start = buf.len();
    /// buf.resize(start + 4096, 0); // room for one read
    /// let n = socket.read(&mut buf[start..]).unwrap();
    /// buf.truncate(start + n); // keep only what was read
    /// assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::Request(_)))));
    /// ```
    pub fn recv_buf(&mut self) -> &mut BytesMut {
        // A client counts what is appended (pipelining: bytes that came
        // before a request are never its response).
        self.ex.lend(self.buf.len());
        &mut self.buf
    }

    /// The peer closed its sending side (read returned 0).
    ///
    /// Between messages this is a clean end; inside a message whose length
    /// is known it is an incomplete message.
    ///
    /// ```
    /// use keepalive::{CloseReason, Config, Connection, Event, Persist, Recv, RecvErrorKind, Role};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// conn.receive_eof();
    /// assert_eq!(conn.poll_event(), Ok(Recv::Event(Event::Closed)));
    /// assert_eq!(conn.persist(), Persist::Close(CloseReason::PeerClosed));
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// conn.receive(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab");
    /// conn.receive_eof();
    /// assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::Request(_)))));
    /// assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::Data(_)))));
    /// assert_eq!(conn.poll_event().unwrap_err().kind(), RecvErrorKind::IncompleteMessage);
    /// ```
    pub fn receive_eof(&mut self) {
        self.ex.on_eof(&self.buf);
    }

    // ----------------------------------------------------------------
    // Outputs

    /// The next thing the peer sent, or why there is none.
    ///
    /// After an `Err` the connection is broken: the error is returned
    /// once, and every later call returns [`Recv::Finished`], so a driver
    /// loop that logs the error and polls again cannot spin. A server may
    /// still send one response, with the error's
    /// [`status`](RecvError::status) (see [`send_response`](Self::send_response)),
    /// then flush, linger and close.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Recv, Response, Role, SendBuf};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// conn.receive(b"GET / HTTP/1.1\r\n\r\n"); // no Host: a 400
    /// let err = conn.poll_event().unwrap_err();
    /// assert_eq!(err.status(), Some(400));
    /// let mut out = SendBuf::new();
    /// conn.send_response(&Response::new(400, &[]), &mut out).unwrap();
    /// conn.send_end(&[], &mut out).unwrap();
    /// // Reported once: a loop that polls again ends.
    /// assert_eq!(conn.poll_event(), Ok(Recv::Finished));
    /// ```
    pub fn poll_event(&mut self) -> Result<Recv, RecvError> {
        // An exchange that ended before a later failure is reported first.
        if let Some(verdict) = self.ex.take_cycle() {
            return Ok(Recv::Event(Event::Cycle(verdict)));
        }
        // A failure found by a timer is reported here, once.
        if let Some(kind) = self.ex.take_failure() {
            return Err(RecvError::new(kind, self.role));
        }
        match self.ex.recv_phase() {
            // The common cycle polls here between the request's end and
            // the response: answered without entering the reading
            // machinery.
            RecvPhase::Paused => Ok(Recv::Paused),
            // A fixed-length body read to its end (or none: most requests)
            // ends without the decoder, whose answer is known.
            RecvPhase::Body if self.decoder.remaining() == Some(0) => self.end_reported(),
            RecvPhase::Body => self.poll_body_reported(),
            // Nothing buffered between messages (a read consumed to its
            // end): the answer needs no parsing.
            RecvPhase::Head if self.buf.is_empty() && !self.ex.eof() => Ok(self.idle()),
            RecvPhase::Head => self.poll_head_reported(),
            RecvPhase::Switched => Ok(self.switched()),
            RecvPhase::Finished => Ok(Recv::Finished),
        }
    }

    // The paths of `poll_event` that need a stack frame are out of line,
    // each a tail call: the polls answered from the state alone (cycle,
    // pause, failure) then save no registers.

    /// The `End` of a fixed-length body read to its end.
    #[inline(never)]
    fn end_reported(&mut self) -> Result<Recv, RecvError> {
        // Before anything is read or a pipelined request promoted: what a
        // client appended through `recv_buf` is counted.
        self.ex.sync_appends(self.buf.len());
        match self.body_ended() {
            Ok(()) => Ok(Recv::Event(Event::End(Headers::empty()))),
            Err(kind) => Err(self.fail_reported(kind)),
        }
    }

    /// Between messages with nothing buffered.
    #[inline(never)]
    fn idle(&mut self) -> Recv {
        self.release_idle_buffer();
        match self.ex.expecting() {
            Expecting::Nothing => Recv::Paused,
            _ => Recv::NeedData,
        }
    }

    /// After a switch: the `Switched` event once, then `Finished`.
    #[inline(never)]
    fn switched(&mut self) -> Recv {
        match self.ex.take_switch() {
            Some(kind) => Recv::Event(Event::Switched {
                kind,
                leftover: self.buf.split().freeze(),
            }),
            None => Recv::Finished,
        }
    }

    /// Enters the failed state for an error `poll_event` returns now (so
    /// the next call returns `Finished`).
    #[cold]
    fn fail_reported(&mut self, kind: RecvErrorKind) -> RecvError {
        let e = self.fail(kind);
        let _first = self.ex.take_failure();
        e
    }

    /// The peer's message ended (its `End` event is returned next).
    #[inline]
    fn body_ended(&mut self) -> Result<(), RecvErrorKind> {
        self.timers.disarm(TimerKind::BodyProgress);
        if self.ex.received_request_end() {
            return Ok(());
        }
        if let Some(verdict) = self.ex.on_received_end(&self.buf).map_err(peer)? {
            self.after_cycle(verdict);
        }
        Ok(())
    }

    /// [`poll_head`](Self::poll_head) for `poll_event`, with the error
    /// reported here so the event is built where it is returned.
    #[inline(never)]
    fn poll_head_reported(&mut self) -> Result<Recv, RecvError> {
        self.ex.sync_appends(self.buf.len());
        // Each failure is reported where it is found, so the event is
        // built in the returned value instead of being moved from one
        // result to another.
        macro_rules! tri {
            ($conn:ident, $result:expr) => {
                match $result {
                    Ok(value) => value,
                    Err(kind) => return Err($conn.fail_reported(kind)),
                }
            };
        }
        // Filled in place by the scan, not returned through it.
        let mut facts = crate::parse::ScanFacts::default();
        let (raw, is_request) = match tri!(self, self.poll_head(&mut facts)) {
            HeadRead::Whole { raw, is_request } => (raw, is_request),
            HeadRead::Not(recv) => return Ok(recv),
        };
        let raw = unfolded(raw, &facts);
        if is_request {
            // Checked, then built and completed in place: no `Result`
            // carries the head on its way to the event.
            tri!(self, check_request(&raw, &facts));
            let mut head = request_head(raw, &facts);
            tri!(self, self.on_request(&mut head));
            Ok(Recv::Event(Event::Request(head)))
        } else {
            Ok(tri!(self, self.on_response(response_head(raw, &facts))))
        }
    }

    /// Reads a head: its bytes (what the scan found in them goes to
    /// `facts`, default on entry), or what to answer without one.
    #[inline(always)]
    fn poll_head(
        &mut self,
        facts: &mut crate::parse::ScanFacts,
    ) -> Result<HeadRead, RecvErrorKind> {
        let expecting = self.ex.expecting();
        if expecting == Expecting::Response && !self.buf.is_empty() {
            // Bytes appended through `recv_buf` bypass `receive`.
            self.ex.note_response_bytes();
        }
        if self.scanner.is_fresh() {
            // RFC 9112 §2.2: empty lines before a start line are ignored.
            self.skip_empty_lines();
            if self.buf[..] == b"\r"[..] && !self.ex.eof() {
                // Maybe the first half of another empty line.
                return Ok(HeadRead::Not(Recv::NeedData));
            }
        }
        if self.buf.is_empty() {
            self.release_idle_buffer();
            return match (self.ex.eof(), expecting) {
                (true, Expecting::Response) => Err(RecvErrorKind::IncompleteMessage),
                (true, _) => {
                    self.ex.on_peer_closed().map_err(peer)?;
                    self.timers.disarm(TimerKind::Idle);
                    Ok(HeadRead::Not(Recv::Event(Event::Closed)))
                }
                (false, Expecting::Nothing) => Ok(HeadRead::Not(Recv::Paused)),
                (false, _) => Ok(HeadRead::Not(Recv::NeedData)),
            };
        }
        if expecting == Expecting::Nothing {
            return Err(RecvErrorKind::UnsolicitedResponse);
        }
        // A head has started: the connection is no longer idle.
        self.timers.disarm(TimerKind::Idle);
        let is_request = expecting == Expecting::Request;
        let Some(n) = self
            .scanner
            .scan_into(&self.buf, &self.config, is_request, facts)?
        else {
            // The head read timer runs from the first poll that found the
            // head incomplete (no clock is read between that and here, so
            // arming it only now changes no deadline, and a head that
            // arrives whole never touches it).
            self.timers
                .arm_once(TimerKind::HeadRead, self.config.head_timeout);
            return if self.ex.eof() {
                Err(RecvErrorKind::IncompleteMessage)
            } else {
                Ok(HeadRead::Not(Recv::NeedData))
            };
        };
        // The next head probably needs as much (bounded by the limit).
        self.recv_hint = n.min(self.config.max_head_len) as u32;
        let raw = self.buf.split_to(n).freeze();
        self.timers.disarm(TimerKind::HeadRead);
        Ok(HeadRead::Whole { raw, is_request })
    }

    /// Between messages with nothing buffered, frees a receive buffer
    /// larger than [`IDLE_BUF_KEEP`], as nginx frees its header buffers on
    /// idle keep-alive connections: many idle connections then cost little
    /// memory, for one allocation when the next message arrives.
    fn release_idle_buffer(&mut self) {
        let large = if self.buf.capacity() == 0 {
            // Read to the end of its allocation (the usual case): take the
            // whole allocation back if it is ours alone, so the next read
            // fills it without a reserve; its capacity is then its size.
            self.buf.try_reclaim(1) && self.buf.capacity() > IDLE_BUF_KEEP
        } else {
            // `try_reclaim` succeeds only for the sole owner of an
            // allocation larger than the keep size: exactly the memory
            // worth freeing.
            self.buf.capacity() > IDLE_BUF_KEEP || self.buf.try_reclaim(IDLE_BUF_KEEP + 1)
        };
        if large {
            self.buf = BytesMut::new();
        }
    }

    fn skip_empty_lines(&mut self) {
        loop {
            match (self.buf.first(), self.buf.get(1)) {
                (Some(b'\r'), Some(b'\n')) => self.buf.advance(2),
                (Some(b'\n'), _) if self.config.allow_bare_lf => {
                    self.scanner.note_bare_lf_before_head();
                    self.buf.advance(1);
                }
                _ => return,
            }
        }
    }

    /// The machine's part of a received request head, which it completes
    /// in place (its body length set).
    #[inline(always)]
    fn on_request(&mut self, head: &mut crate::RequestHead) -> Result<(), RecvErrorKind> {
        let headers = head.headers();
        let facts = HeadFacts {
            half: Half::Theirs,
            version: head.version(),
            start: Start::Request(head.method_kind()),
            connection: connection_options(headers),
            // Both fields are usually absent: their lookups cost little.
            upgrade_offered: has(headers, Known::Upgrade) && head.is_upgrade(),
            expect_continue: has(headers, Known::Expect) && head.expects_continue(),
            fields: Fields::Received(headers),
        };
        let effects = self.ex.on_head(&facts).map_err(peer)?;
        self.note_keep_alive_hint(head.headers());
        head.body = self.start_body(effects);
        Ok(())
    }

    fn on_response(&mut self, mut head: crate::ResponseHead) -> Result<Recv, RecvErrorKind> {
        let headers = head.headers();
        let facts = HeadFacts {
            half: Half::Theirs,
            version: head.version(),
            start: Start::Response(head.status()),
            connection: connection_options(headers),
            upgrade_offered: false,
            expect_continue: false,
            fields: Fields::Received(headers),
        };
        let effects = self.ex.on_head(&facts).map_err(peer)?;
        self.timers.disarm(TimerKind::ExpectContinue);
        if effects.kind == HeadKind::Interim {
            return Ok(Recv::Event(Event::Informational(head)));
        }
        self.note_keep_alive_hint(head.headers());
        head.body = self.start_body(effects);
        Ok(Recv::Event(Event::Response(head)))
    }

    /// Readies the decoder and timers for the body a head announced; the
    /// body length, for the head.
    fn start_body(&mut self, effects: Effects) -> BodyLength {
        let length = match effects.kind {
            HeadKind::Message(length) => length,
            HeadKind::Switch(_) => {
                self.timers.disarm_all();
                return BodyLength::Empty;
            }
            HeadKind::Interim => return BodyLength::Empty,
        };
        self.decoder = Decoder::new(length).in_response(self.role == Role::Client);
        self.body_received = 0;
        if length != BodyLength::Empty {
            self.timers
                .arm(TimerKind::BodyProgress, self.config.body_timeout);
        }
        length
    }

    fn note_keep_alive_hint(&mut self, headers: &crate::Headers) {
        // Most heads carry no hint: the index answers without a call.
        if !has(headers, Known::KeepAlive) {
            return;
        }
        if let Some(hint) = KeepAliveHint::parse(headers.known(Known::KeepAlive)) {
            self.peer_keep_alive = Some(hint);
        }
    }

    /// The body's part of `poll_event`. Body bytes at hand and the end of
    /// a chunked body without trailers are answered here, the result built
    /// where it is returned; the rest goes to [`poll_body`](Self::poll_body),
    /// out of line so that its larger frame is not paid on this path.
    #[inline(never)]
    fn poll_body_reported(&mut self) -> Result<Recv, RecvError> {
        self.ex.sync_appends(self.buf.len());
        if !self.ex.is_draining() {
            let piece =
                self.decoder
                    .next_data(&mut self.buf, &self.config, &mut self.body_received);
            match piece {
                Some(Ok(data)) => {
                    self.timers
                        .arm(TimerKind::BodyProgress, self.config.body_timeout);
                    return Ok(Recv::Event(Event::Data(data)));
                }
                Some(Err(kind)) => return Err(self.fail_reported(kind)),
                None => {}
            }
            if self.decoder.ended() {
                // The trailer section was empty: the head parser was not
                // used and stays fresh.
                return match self.body_ended() {
                    Ok(()) => Ok(Recv::Event(Event::End(Headers::empty()))),
                    Err(kind) => Err(self.fail_reported(kind)),
                };
            }
        }
        self.poll_body().map_err(|kind| self.fail_reported(kind))
    }

    /// The body with the general decoder: framing split across reads,
    /// extensions, trailers, a drained body, the peer's close.
    #[inline(never)]
    fn poll_body(&mut self) -> Result<Recv, RecvErrorKind> {
        loop {
            let step = match self.decoder.decode(
                &mut self.buf,
                &self.config,
                &mut self.body_received,
                &mut self.scanner,
            )? {
                Decoded::NeedData if self.ex.eof() => self.decoder.eof()?,
                step => step,
            };
            match step {
                Decoded::NeedData => return Ok(Recv::NeedData),
                Decoded::Data(d) => {
                    self.timers
                        .arm(TimerKind::BodyProgress, self.config.body_timeout);
                    if !self.ex.is_draining() {
                        return Ok(Recv::Event(Event::Data(d)));
                    }
                    // Drained bytes are not the application's: dropped
                    // (its `End` still comes).
                }
                Decoded::End(trailers) => {
                    // The parser read the trailers: fresh for the next head.
                    self.scanner = HeadScanner::default();
                    self.body_ended()?;
                    // Reported even after a drain: the request is complete,
                    // and an application relaying it (a proxy) waits for it.
                    return Ok(Recv::Event(Event::End(trailers)));
                }
            }
        }
    }
}

/// What [`Connection::poll_head`] read.
enum HeadRead {
    /// A whole head: its bytes (split off the receive buffer); what the
    /// scan found in them is in the caller's slot.
    Whole { raw: bytes::Bytes, is_request: bool },
    /// No head: the answer to return instead.
    Not(Recv),
}

/// The `Connection` options of a received head; most heads have none, and
/// the index answers that without the list walk.
fn connection_options(headers: &crate::Headers) -> ConnectionOptions {
    if !has(headers, Known::Connection) {
        return ConnectionOptions::default();
    }
    ConnectionOptions::of(headers.known(Known::Connection))
}
