//! [`Connection`]: glue between the decoders, encoders, the two pure
//! decision functions and the state table. No protocol rule lives here
//! that is not a call into `framing`, `persist` or `state`.

use bytes::{Buf, Bytes, BytesMut};

use crate::decode::{Decoded, Decoder};
use crate::encode::{
    put_field, write_fields, write_request_line, write_status_line, Encoder, SendBuf,
};
use crate::error::{RecvError, RecvErrorKind, SendError};
use crate::event::{Event, Recv, Role};
use crate::framing::{body_length, BodyLength, Message, SwitchKind};
use crate::head::{parse_request, parse_response, HeadScanner, Request, Response, Version};
use crate::headers::Header;
use crate::persist::{framing_verdict, message_verdict, CloseReason, Persist};
use crate::state::{Half, HalfState, Input, Machine};
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
///   [`recv_buf`](Self::recv_buf)) and [`receive_eof`](Self::receive_eof);
/// - **outputs**: [`poll_event`](Self::poll_event), called until it
///   returns [`Recv::NeedData`], [`Recv::Paused`] or [`Recv::Finished`];
/// - **commands**: [`send_request`](Self::send_request) /
///   [`send_response`](Self::send_response), [`send_data`](Self::send_data),
///   [`send_end`](Self::send_end), each appending to a caller-owned
///   [`SendBuf`] that the caller writes to the socket;
/// - **getters**: [`persist`](Self::persist), [`role`](Self::role),
///   [`unread`](Self::unread).
///
/// A driver repeats: read bytes → `receive` → `poll_event` until it stops
/// → act on the events (send) → write the `SendBuf` → `poll_event` again.
/// After `Paused`, send; after `NeedData`, read; after `Finished`, flush
/// and close (or hand the socket to the new protocol after
/// [`Event::Switched`]).
///
/// Cycles advance by themselves: when an exchange ends, the next
/// `poll_event` returns [`Event::Cycle`] with the verdict, and with
/// keep-alive the next exchange has already begun.
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
    cycle: Option<Persist>,
    switch: Option<SwitchKind>,
}

impl Connection {
    /// A connection in its first cycle.
    pub fn new(role: Role, config: Config) -> Self {
        Self {
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
            cycle: None,
            switch: None,
        }
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
    // Inputs

    /// Appends received bytes. Nothing is parsed until
    /// [`poll_event`](Self::poll_event).
    pub fn receive(&mut self, bytes: &[u8]) {
        if self.role == Role::Client
            && self.machine.ours == HalfState::Idle
            && bytes.iter().any(|&b| b != b'\r' && b != b'\n')
        {
            // Nothing was asked: a server talking now is answering nobody
            // (or closing a stale connection with an error page).
            self.stale = true;
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
        // Half-close: a complete request is still answered, but the
        // connection will not carry another (RFC 9112 §9.6).
        if self.machine.theirs == HalfState::Done {
            self.machine.latch.close(CloseReason::PeerClosed);
        }
    }

    // ----------------------------------------------------------------
    // Outputs

    /// The next thing the peer sent, or why there is none.
    ///
    /// After an `Err`, the connection is broken: every later call returns
    /// the same error (a server may still send one response, see
    /// [`send_response`](Self::send_response)).
    pub fn poll_event(&mut self) -> Result<Recv, RecvError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some(verdict) = self.cycle.take() {
            return Ok(Recv::Event(Event::Cycle(verdict)));
        }
        match self.poll_inner() {
            Ok(r) => Ok(r),
            Err(kind) => {
                let e = RecvError::new(kind, self.role);
                self.error = Some(e);
                self.machine.apply(Half::Theirs, Input::Fail);
                self.machine.latch.close(CloseReason::ProtocolError);
                Err(e)
            }
        }
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
        if self.scanner_is_fresh() {
            // RFC 9112 §2.2: empty lines before a start line are ignored.
            self.skip_empty_lines();
        }
        // A lone CR may start an empty line still to be skipped: wait for
        // its LF instead of letting the scanner take it as the start line,
        // so the verdict does not depend on how the bytes were split.
        let lone_cr = !self.eof && self.scanner_is_fresh() && self.buf[..] == b"\r"[..];
        if self.buf.is_empty() || lone_cr {
            return Ok(match (self.eof, awaiting_response) {
                (true, true) => return Err(RecvErrorKind::IncompleteMessage),
                (true, false) => {
                    self.machine.apply(Half::Theirs, Input::Eof);
                    Recv::Event(Event::Closed)
                }
                (false, _) if self.role == Role::Client && !awaiting_response => Recv::Paused,
                (false, _) => Recv::NeedData,
            });
        }
        if self.role == Role::Client && !awaiting_response {
            return Err(RecvErrorKind::UnsolicitedResponse);
        }
        let is_request = self.role == Role::Server;
        let Some((n, facts)) = self.scanner.scan(&self.buf, &self.config, is_request)? else {
            return if self.eof {
                Err(RecvErrorKind::IncompleteMessage)
            } else {
                Ok(Recv::NeedData)
            };
        };
        let raw = self.buf.split_to(n).freeze();
        if is_request {
            self.on_request(parse_request(raw, facts, &self.config)?)
        } else {
            self.on_response(parse_response(raw, facts, &self.config)?)
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
            head.headers().get_all("connection"),
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
        if (100..200).contains(&head.status()) && head.status() != 101 {
            self.machine.apply(Half::Theirs, Input::Interim);
            return Ok(Recv::Event(Event::Informational(head)));
        }
        let latch = &mut self.machine.latch;
        latch.close_if(framing_verdict(&framing));
        latch.close_if(message_verdict(
            Role::Server,
            head.version(),
            head.headers().get_all("connection"),
        ));
        if let Some(kind) = framing.switch {
            self.switch = Some(kind);
            self.machine.apply(Half::Theirs, Input::Switch);
            self.machine.ours = HalfState::Switched;
        } else {
            self.start_body(framing.length);
        }
        Ok(Recv::Event(Event::Response(head)))
    }

    fn start_body(&mut self, length: BodyLength) {
        self.decoder = Decoder::new(length);
        self.body_received = 0;
        self.machine.apply(Half::Theirs, Input::Head);
    }

    fn poll_body(&mut self) -> Result<Recv, RecvErrorKind> {
        let step =
            match self
                .decoder
                .decode(&mut self.buf, &self.config, &mut self.body_received)?
            {
                Decoded::NeedData if self.eof => self.decoder.eof()?,
                step => step,
            };
        match step {
            Decoded::NeedData => Ok(Recv::NeedData),
            Decoded::Data(d) => Ok(Recv::Event(Event::Data(d))),
            Decoded::End(trailers) => {
                self.machine.apply(Half::Theirs, Input::End);
                self.scanner = HeadScanner::default();
                if self.eof && self.role == Role::Server {
                    self.machine.latch.close(CloseReason::PeerClosed);
                }
                self.maybe_end_cycle();
                Ok(Recv::Event(Event::End(trailers)))
            }
        }
    }

    fn response_half(&self) -> Half {
        match self.role {
            Role::Server => Half::Ours,
            Role::Client => Half::Theirs,
        }
    }

    fn maybe_end_cycle(&mut self) {
        if self.machine.exchange_over(self.response_half()) {
            self.cycle = Some(self.machine.end_cycle());
            self.exchange = Exchange::new();
        }
    }

    // ----------------------------------------------------------------
    // Getters

    /// The persistence latch now: [`Persist::KeepAlive`] until a reason to
    /// close is known, then the first such reason.
    pub fn persist(&self) -> Persist {
        self.machine.latch.persist()
    }

    /// Received bytes not processed: after [`Recv::Finished`], what the
    /// peer sent that this connection will never read (e.g. a pipelined
    /// request after `Connection: close`).
    pub fn unread(&self) -> &[u8] {
        &self.buf
    }

    /// Whether the peer's end of input was seen.
    pub fn eof_received(&self) -> bool {
        self.eof
    }

    // ----------------------------------------------------------------
    // Commands

    /// Sends a request head (client role). The body follows with
    /// [`send_data`](Self::send_data); [`send_end`](Self::send_end) ends it,
    /// also for requests without a body.
    pub fn send_request(&mut self, req: &Request<'_>, out: &mut SendBuf) -> Result<(), SendError> {
        if self.role != Role::Client {
            return Err(SendError::WrongRole);
        }
        self.check_open()?;
        if self.machine.ours != HalfState::Idle
            || self.machine.theirs != HalfState::Idle
            || self.cycle.is_some()
        {
            return Err(SendError::InvalidState);
        }
        if self.stale || self.eof {
            // Bytes or EOF from the server while no request was
            // outstanding: stale connection, not safe to reuse.
            return Err(SendError::NotReusable);
        }
        let mark = out.mark();
        let result = (|| {
            write_request_line(out, req.method, req.target, req.version)?;
            let facts = write_fields(out, req.headers)?;
            if req.version == Version::Http11 && facts.host_count != 1 {
                return Err(SendError::InvalidHost);
            }
            if facts.transfer_encoding && req.version == Version::Http10 {
                return Err(SendError::InvalidTransferEncoding);
            }
            out.put(b"\r\n");
            Ok(facts)
        })();
        let facts = result.inspect_err(|_| out.rollback(mark))?;
        let length = match (facts.transfer_encoding, facts.content_length) {
            (true, _) => BodyLength::Chunked,
            (false, Some(n)) => BodyLength::Fixed(n),
            (false, None) => BodyLength::Empty,
        };
        self.exchange = Exchange {
            method: Method::of(req.method.as_bytes()),
            version: req.version,
            upgrade_offered: facts.upgrade && facts.connection_upgrade,
            expect_continue: facts.expect_continue,
            sent_continue: false,
        };
        let connection = req
            .headers
            .iter()
            .filter(|h| h.is("connection"))
            .map(|h| h.value);
        self.machine
            .latch
            .close_if(message_verdict(Role::Client, req.version, connection));
        self.encoder = Encoder::new(length);
        self.machine.apply(Half::Ours, Input::Head);
        Ok(())
    }

    /// Sends a response head (server role): an interim 1xx, a 101 that
    /// accepts an upgrade, or the final response.
    ///
    /// The machine completes the framing: it keeps a given
    /// `Content-Length` (and enforces it), otherwise uses chunked coding
    /// toward an HTTP/1.1 client or close-delimiting toward HTTP/1.0; it
    /// adds `Connection: close` when the connection will close, and
    /// `Connection: keep-alive` toward an HTTP/1.0 client it keeps.
    ///
    /// After a [`RecvError`] the server may still send one final response
    /// (the error status); the connection closes after it.
    pub fn send_response(
        &mut self,
        resp: &Response<'_>,
        out: &mut SendBuf,
    ) -> Result<(), SendError> {
        if self.role != Role::Server {
            return Err(SendError::WrongRole);
        }
        let after_error = self.machine.theirs == HalfState::Error;
        if !after_error {
            self.check_open()?;
        }
        if self.machine.ours != HalfState::Idle
            || !matches!(
                self.machine.theirs,
                HalfState::Body | HalfState::Done | HalfState::Error
            )
        {
            return Err(SendError::InvalidState);
        }
        let status = resp.status;
        let request_done = self.machine.theirs == HalfState::Done;
        let ex = self.exchange;
        let interim = (100..200).contains(&status) && status != 101;
        let switch = if after_error {
            None
        } else if status == 101 {
            Some(SwitchKind::Upgrade)
        } else if ex.method == Method::Connect && (200..300).contains(&status) {
            Some(SwitchKind::Connect)
        } else {
            None
        };
        if (interim && (ex.version == Version::Http10 || after_error))
            || (status == 101 && (!ex.upgrade_offered || after_error))
        {
            // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client; a 101 only
            // answers an Upgrade offer.
            return Err(SendError::InvalidStatus);
        }
        if switch.is_some() && !request_done {
            return Err(SendError::InvalidState);
        }
        let mark = out.mark();
        let mut latch = self.machine.latch;
        if after_error {
            latch.close(CloseReason::ProtocolError);
        }
        let result = (|| {
            write_status_line(out, status, resp.reason)?;
            let facts = write_fields(out, resp.headers)?;
            let no_body = interim || status == 204 || status == 304 || ex.method == Method::Head;
            // RFC 9110 §8.6, RFC 9112 §6.1: no Content-Length or
            // Transfer-Encoding in 1xx, 204, or 2xx to CONNECT; no
            // Transfer-Encoding in 304 either.
            let cl_forbidden = (100..200).contains(&status)
                || status == 204
                || switch == Some(SwitchKind::Connect);
            if cl_forbidden && facts.content_length.is_some() {
                return Err(SendError::InvalidContentLength);
            }
            if (cl_forbidden || status == 304) && facts.transfer_encoding {
                return Err(SendError::InvalidTransferEncoding);
            }
            if facts.transfer_encoding && ex.version == Version::Http10 && !after_error {
                return Err(SendError::InvalidTransferEncoding);
            }
            let length = if no_body || switch.is_some() {
                BodyLength::Empty
            } else if facts.transfer_encoding {
                BodyLength::Chunked
            } else if let Some(n) = facts.content_length {
                BodyLength::Fixed(n)
            } else if ex.version == Version::Http11 && !after_error {
                put_field(out, "Transfer-Encoding", "chunked");
                BodyLength::Chunked
            } else {
                BodyLength::UntilClose
            };
            if interim {
                out.put(b"\r\n");
                return Ok(length);
            }
            if switch.is_some() {
                latch.close(CloseReason::Switched);
            } else {
                if length == BodyLength::UntilClose {
                    latch.close(CloseReason::UntilCloseBody);
                }
                if ex.expect_continue && !ex.sent_continue && !request_done {
                    // RFC 9110 §10.1.1: the client may never send the
                    // body it announced; only closing leaves no doubt
                    // about what follows.
                    latch.close(CloseReason::UnreadBody);
                }
                let connection = resp
                    .headers
                    .iter()
                    .filter(|h| h.is("connection"))
                    .map(|h| h.value);
                latch.close_if(message_verdict(Role::Server, Version::Http11, connection));
                if latch.is_close() && !facts.connection_close {
                    put_field(out, "Connection", "close");
                } else if !latch.is_close()
                    && ex.version == Version::Http10
                    && !facts.connection_keep_alive
                {
                    put_field(out, "Connection", "keep-alive");
                }
            }
            out.put(b"\r\n");
            Ok(length)
        })();
        let length = result.inspect_err(|_| out.rollback(mark))?;
        if interim {
            self.exchange.sent_continue |= status == 100;
            return Ok(());
        }
        self.machine.latch = latch;
        if let Some(kind) = switch {
            self.switch = Some(kind);
            self.machine.apply(Half::Ours, Input::Switch);
            self.machine.apply(Half::Theirs, Input::Switch);
            return Ok(());
        }
        self.encoder = Encoder::new(length);
        self.machine.apply(Half::Ours, Input::Head);
        Ok(())
    }

    /// Sends body bytes. They are queued in `out` as they are (no copy),
    /// framed as the head decided.
    pub fn send_data(&mut self, data: Bytes, out: &mut SendBuf) -> Result<(), SendError> {
        self.check_sending()?;
        self.encoder.data(data, out)
    }

    /// Ends the message, with trailer fields if it is chunked (pass `&[]`
    /// for none).
    pub fn send_end(
        &mut self,
        trailers: &[Header<'_>],
        out: &mut SendBuf,
    ) -> Result<(), SendError> {
        self.check_sending()?;
        self.encoder.end(trailers, out)?;
        self.machine.apply(Half::Ours, Input::End);
        if self.machine.theirs != HalfState::Error {
            self.maybe_end_cycle();
        }
        Ok(())
    }

    fn check_sending(&self) -> Result<(), SendError> {
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
