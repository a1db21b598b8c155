//! The send side: messages in, bytes out, framing chosen here.

use bytes::Bytes;

use super::{caller, Connection};
use crate::encode::{
    bodiless_head, check_request_line, field_facts, put_field, put_fields, put_request_line,
    request_line_len, status_line, Encoder, SendBuf, SentFacts,
};
use crate::error::SendError;
use crate::exchange::{Effects, Fields, HeadFacts, HeadKind, Start};
use crate::head::{Request, Response};
use crate::headers::Header;
use crate::message::{BodyLength, Method, Role, Version};
use crate::persist::ConnectionOptions;
use crate::state::Half;
use crate::timer::TimerKind;

impl Connection {
    /// Sends a request head (client role). The body follows with
    /// [`send_data`](Self::send_data); [`send_end`](Self::send_end) ends it,
    /// also for requests without a body.
    ///
    /// ```
    /// use bytes::Buf;
    /// use keepalive::{Config, Connection, Header, Request, Role, SendBuf};
    ///
    /// let mut conn = Connection::new(Role::Client, Config::default());
    /// let mut out = SendBuf::new();
    /// let fields = [Header::new("Host", "a"), Header::new("Content-Length", "2")];
    /// conn.send_request(&Request::new("POST", "/", &fields), &mut out).unwrap();
    /// conn.send_data(bytes::Bytes::from_static(b"hi"), &mut out).unwrap();
    /// conn.send_end(&[], &mut out).unwrap();
    /// let wire = out.copy_to_bytes(out.remaining());
    /// assert_eq!(&wire[..], b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
    /// ```
    pub fn send_request(&mut self, req: &Request<'_>, out: &mut SendBuf) -> Result<(), SendError> {
        self.ex.may_send_request(&self.buf)?;
        // Everything is checked before a byte is written: a refused head
        // leaves `out` as it was.
        check_request_line(req.method, req.target)?;
        let sent = field_facts(req.headers)?;
        let start = Start::Request(Method::of(req.method.as_bytes()));
        let facts = sent_head(start, req.version, &sent, req.headers, false);
        let effects = self.ex.on_head(&facts).map_err(caller)?;
        out.reserve(request_line_len(req.method, req.target, req.version) + sent.wire_len + 2);
        put_request_line(out, req.method, req.target, req.version);
        put_fields(out, req.headers);
        if adds_nothing(&effects) {
            out.put_reserved(b"\r\n");
        } else {
            finish_head(out, &effects, &self.config);
        }
        let expect_continue = sent.expect_continue;
        if let HeadKind::Message(length) = effects.kind {
            self.encoder = Encoder::new(length);
            self.sending = Some(length);
        }
        if !self.buf.is_empty() {
            self.ex.note_response_bytes();
        }
        self.timers.disarm(TimerKind::Idle);
        if expect_continue {
            self.timers.arm(
                TimerKind::ExpectContinue,
                self.config.expect_continue_timeout,
            );
        }
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
    /// After a [`RecvError`](crate::RecvError) the server may still send one final response
    /// (the error status); the connection closes after it.
    ///
    /// ```
    /// use bytes::Buf;
    /// use keepalive::{Config, Connection, Response, Role, SendBuf};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// conn.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// while conn.poll_event() != Ok(keepalive::Recv::Paused) {}
    /// let mut out = SendBuf::new();
    /// // No length given toward HTTP/1.1: the machine chooses chunked.
    /// conn.send_response(&Response::new(200, &[]), &mut out).unwrap();
    /// conn.send_data(bytes::Bytes::from_static(b"hi"), &mut out).unwrap();
    /// conn.send_end(&[], &mut out).unwrap();
    /// let wire = out.copy_to_bytes(out.remaining());
    /// assert_eq!(&wire[..], b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
    /// ```
    pub fn send_response(
        &mut self,
        resp: &Response<'_>,
        out: &mut SendBuf,
    ) -> Result<(), SendError> {
        self.ex.may_send_response()?;
        // An empty 204 or 304 the rules add nothing to: one constant.
        if resp.headers.is_empty() {
            if let Some(head) = bodiless_head(resp.status, resp.reason) {
                if self
                    .ex
                    .sent_plain_empty_response(resp.status)
                    .map_err(caller)?
                {
                    out.put(head);
                    self.encoder = Encoder::new(BodyLength::Empty);
                    self.sending = Some(BodyLength::Empty);
                    return Ok(());
                }
            }
        }
        // Everything is checked before a byte is written: a refused head
        // leaves `out` as it was.
        let line = status_line(resp.status, resp.reason)?;
        // Many responses carry no field: nothing to check or gather.
        let sent = if resp.headers.is_empty() {
            SentFacts::default()
        } else {
            field_facts(resp.headers)?
        };
        // A response's own version is always HTTP/1.1 (RFC 9110 §2.5).
        let facts = sent_head(
            Start::Response(resp.status),
            Version::Http11,
            &sent,
            resp.headers,
            self.config.advertise_keep_alive,
        );
        let effects = self.ex.on_head(&facts).map_err(caller)?;
        out.reserve(line.len() + sent.wire_len + 2);
        if resp.headers.is_empty() && adds_nothing(&effects) {
            // Status line and blank line in one copy: a bodiless head the
            // straight path above did not take (a reason phrase of its own).
            line.put(out, true);
        } else {
            line.put(out, false);
            put_fields(out, resp.headers);
            finish_head(out, &effects, &self.config);
        }
        match effects.kind {
            HeadKind::Interim => {}
            HeadKind::Switch(_) => self.timers.disarm_all(),
            HeadKind::Message(length) => {
                self.encoder = Encoder::new(length);
                self.sending = Some(length);
            }
        }
        Ok(())
    }

    /// Server: says, before the response head, that the application will
    /// not read the rest of the request body (an early 413, 405 or
    /// redirect). The head then carries `Connection: close` (RFC 9110
    /// §10.1.1: a server answering before reading the whole content says
    /// whether it will close) and the rest of the body is discarded, not
    /// handed over as [`Event::Data`](crate::Event::Data).
    ///
    /// Without this call, a response sent while the request body is still
    /// arriving keeps the connection open at its head: the application
    /// may go on reading (full duplex, as an echo or a proxy does). The
    /// decision is made when the response ends: request complete → keep;
    /// a known remainder within [`Config::drain_budget`](crate::Config::drain_budget)
    /// → drained silently, keep; otherwise → close
    /// ([`CloseReason::UnreadBody`](crate::CloseReason::UnreadBody)), lingering.
    ///
    /// ```
    /// use keepalive::{Connection, Config, Role, Recv, Event, Response, SendBuf, Persist, CloseReason};
    ///
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// conn.receive(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\nxxxx");
    /// assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::Request(_)))));
    /// conn.discard_request_body().unwrap();
    /// let mut out = SendBuf::new();
    /// conn.send_response(&Response::new(413, &[]), &mut out).unwrap();
    /// conn.send_end(&[], &mut out).unwrap();
    /// assert_eq!(
    ///     conn.poll_event(),
    ///     Ok(Recv::Event(Event::Cycle(Persist::Close(CloseReason::UnreadBody))))
    /// );
    /// assert_eq!(conn.poll_event(), Ok(Recv::Finished));
    /// ```
    pub fn discard_request_body(&mut self) -> Result<(), SendError> {
        self.ex.discard_request_body()
    }

    /// Sends body bytes. They are queued in `out` as they are (no copy),
    /// framed as the head decided.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Header, Request, Role, SendBuf, SendError};
    ///
    /// let mut conn = Connection::new(Role::Client, Config::default());
    /// let mut out = SendBuf::new();
    /// let fields = [Header::new("Host", "a"), Header::new("Content-Length", "1")];
    /// conn.send_request(&Request::new("PUT", "/", &fields), &mut out).unwrap();
    /// conn.send_data(bytes::Bytes::from_static(b"x"), &mut out).unwrap();
    /// // The length is enforced: a refused send writes nothing.
    /// assert_eq!(conn.send_data(bytes::Bytes::from_static(b"y"), &mut out), Err(SendError::BodyTooLong));
    /// ```
    pub fn send_data(&mut self, data: Bytes, out: &mut SendBuf) -> Result<(), SendError> {
        self.ex.may_send_body()?;
        if !data.is_empty() {
            // The body is on its way: no more waiting for 100 Continue.
            self.timers.disarm(TimerKind::ExpectContinue);
        }
        self.encoder.data(data, out)
    }

    /// Ends the message, with trailer fields if it is chunked (pass `&[]`
    /// for none).
    ///
    /// ```
    /// use keepalive::{Config, Connection, Header, Request, Role, SendBuf};
    ///
    /// let mut conn = Connection::new(Role::Client, Config::default());
    /// let mut out = SendBuf::new();
    /// let fields = [Header::new("Host", "a"), Header::new("Transfer-Encoding", "chunked")];
    /// conn.send_request(&Request::new("POST", "/", &fields), &mut out).unwrap();
    /// assert!(conn.can_send_trailers());
    /// conn.send_end(&[Header::new("X-Checksum", "abc")], &mut out).unwrap();
    /// ```
    pub fn send_end(
        &mut self,
        trailers: &[Header<'_>],
        out: &mut SendBuf,
    ) -> Result<(), SendError> {
        // A server's response with nothing left to write (an empty 204,
        // a length sent whole) after the whole request: one step.
        if self.role == Role::Server
            && trailers.is_empty()
            && self.encoder.ends_silently()
            && self.ended_silent_response()
        {
            return Ok(());
        }
        self.ex.may_send_body()?;
        self.encoder.end(trailers, out)?;
        self.timers.disarm(TimerKind::ExpectContinue);
        let ended = self
            .ex
            .on_sent_end(self.decoder.remaining(), &self.buf)
            .map_err(caller)?;
        if let Some(verdict) = ended {
            self.after_cycle(verdict);
        }
        Ok(())
    }

    /// The straight path of [`send_end`](Self::send_end) for a server's
    /// response that writes nothing: after the whole request the exchange
    /// ends in one step (it would pass every check of the general path
    /// and end the cycle the same way). `false`, with nothing changed,
    /// when the general path must decide.
    #[inline(always)]
    fn ended_silent_response(&mut self) -> bool {
        match self.ex.sent_end_after_request() {
            Some(verdict) => {
                self.after_server_cycle(verdict);
                true
            }
            None => false,
        }
    }
}

/// The facts of a head being sent, from what the encoder found.
///
/// `look_for_keep_alive`: whether the caller's own `Keep-Alive` field
/// matters (only when the machine would advertise one).
#[inline]
fn sent_head<'a>(
    start: Start,
    version: Version,
    sent: &SentFacts,
    headers: &[Header<'_>],
    look_for_keep_alive: bool,
) -> HeadFacts<'a> {
    HeadFacts {
        half: Half::Ours,
        version,
        start,
        connection: ConnectionOptions {
            close: sent.connection_close,
            keep_alive: sent.connection_keep_alive,
        },
        upgrade_offered: sent.upgrade && sent.connection_upgrade,
        expect_continue: sent.expect_continue,
        fields: Fields::Sent {
            content_length: sent.content_length,
            chunked: sent.transfer_encoding,
            upgrade_field: sent.upgrade,
            host_count: sent.host_count,
            keep_alive_field: look_for_keep_alive && headers.iter().any(|h| h.is("keep-alive")),
        },
    }
}

/// Whether the rules add no field line to the head.
#[inline]
fn adds_nothing(effects: &Effects) -> bool {
    effects.add_framing.is_none()
        && !effects.add_close
        && !effects.add_keep_alive
        && effects.advertise.is_none()
}

/// Appends the fields the rules asked for, then the blank line.
#[inline]
fn finish_head(out: &mut SendBuf, effects: &Effects, config: &crate::Config) {
    if let Some((name, value)) = effects.add_framing {
        put_field(out, name, value);
    }
    if effects.add_close {
        put_field(out, "Connection", "close");
    }
    if effects.add_keep_alive {
        put_field(out, "Connection", "keep-alive");
    }
    if let Some(begun) = effects.advertise {
        put_keep_alive(out, config, begun);
    }
    out.put(b"\r\n");
}

/// `Keep-Alive: timeout=N, max=M` from the idle timeout and the exchanges
/// left under `max_requests`.
fn put_keep_alive(out: &mut SendBuf, config: &crate::Config, exchanges: u32) {
    let mut value = String::new();
    if let Some(idle) = config.idle_timeout {
        value.push_str(&format!("timeout={}", idle.as_secs()));
    }
    if let Some(max) = config.max_requests {
        if !value.is_empty() {
            value.push_str(", ");
        }
        value.push_str(&format!("max={}", max.saturating_sub(exchanges)));
    }
    if !value.is_empty() {
        put_field(out, "Keep-Alive", &value);
    }
}
