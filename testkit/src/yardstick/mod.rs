//! The yardstick (issue 9): a minimal hand-written HTTP/1.1 machine that
//! keepalive's hot path is measured against.
//!
//! It does what any HTTP/1.1 implementation must do per message and little
//! more: httparse into an uninitialised header array, header offsets kept
//! (no copies), framing from `Content-Length` / `Transfer-Encoding`,
//! persistence from the version and `Connection`, chunked de-framing with
//! trailers, every head and body piece a `Bytes` split of the receive
//! `BytesMut`, and the reply bytes appended to a reused `Vec`. It skips
//! what keepalive adds on top (field-value and target grammar, limits,
//! timers, the state table, interim responses, upgrades), so the ratio
//! keepalive ÷ yardstick is the price of that strictness plus whatever
//! overhead is left to remove. It is a measuring stick, not a product:
//! it must never be used on real traffic.
//!
//! [`drive`] runs it over the corpora as `crate::drive` runs keepalive.

pub mod drive;

pub use drive::{client_drain, drain_corpus, machine, server_drain, server_drain_with};

use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};

/// Header slots per head; a head with more is refused.
pub const MAX_HEADERS: usize = 32;

/// The reply every server-role corpus gets (what keepalive writes for
/// `Response::new(204, &[])`).
pub const REPLY_204: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";

/// Which end of the connection the machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Receives requests.
    Server,
    /// Receives responses.
    Client,
}

/// Offsets of a piece of the head, so the head stays one `Bytes`.
type Span = (u16, u16);

/// A received head: its raw bytes and where each part lies in them.
#[derive(Debug, Clone)]
pub struct Head {
    raw: Bytes,
    method: Span,
    target: Span,
    /// Response status (0 for a request).
    pub status: u16,
    /// HTTP/1.x minor version.
    pub minor: u8,
    fields: [(Span, Span); MAX_HEADERS],
    len: usize,
}

impl Head {
    fn slice(&self, (a, b): Span) -> &[u8] {
        &self.raw[usize::from(a)..usize::from(b)]
    }

    /// Request method (empty for a response).
    pub fn method(&self) -> &[u8] {
        self.slice(self.method)
    }

    /// Request target (empty for a response).
    pub fn target(&self) -> &[u8] {
        self.slice(self.target)
    }

    /// Number of header fields.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the head has no fields.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Field `i` as (name, value).
    pub fn field(&self, i: usize) -> (&[u8], &[u8]) {
        let (n, v) = self.fields[..self.len][i];
        (self.slice(n), self.slice(v))
    }

    /// The first value of the field `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        (0..self.len)
            .map(|i| self.field(i))
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }
}

/// What [`Machine::poll`] produced.
#[derive(Debug, Clone)]
pub enum Ev {
    /// A request or response head, read with [`Machine::head`]. It stays in
    /// the machine (reused, like its header index) so that no head is
    /// copied or boxed on its way out.
    Head,
    /// A piece of the body.
    Data(Bytes),
    /// End of the message, with its raw trailer section (empty if none).
    End(Bytes),
}

/// The result of one [`Machine::poll`].
#[derive(Debug, Clone)]
pub enum Poll {
    /// Something happened.
    Event(Ev),
    /// More bytes are needed.
    NeedData,
    /// The last exchange closes the connection; nothing more is read.
    Closed,
}

/// Why the machine gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// httparse refused the head or the trailers.
    Parse(httparse::Error),
    /// A head longer than the offsets can hold.
    HeadTooLong,
    /// `Content-Length` not a decimal, or two different values.
    ContentLength,
    /// A request whose `Transfer-Encoding` does not end in `chunked`.
    TransferEncoding,
    /// Bad chunk framing.
    Chunk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Head,
    Fixed(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
    UntilClose,
    Closed,
}

/// The minimal machine for one connection.
#[derive(Debug)]
pub struct Machine {
    side: Side,
    buf: BytesMut,
    body: Body,
    keep_alive: bool,
    /// Client: the request in flight is `HEAD` (its response has no body).
    head_request: bool,
    eof: bool,
    head: Head,
}

/// Framing and persistence facts of one head, gathered in the parse pass.
struct Facts {
    content_length: Option<u64>,
    transfer_encoding: bool,
    chunked: bool,
    close: bool,
    keep_alive: bool,
}

impl Machine {
    /// A machine for `side`, idle.
    pub fn new(side: Side) -> Self {
        Self {
            side,
            buf: BytesMut::new(),
            body: Body::Head,
            keep_alive: true,
            head_request: false,
            eof: false,
            head: Head {
                raw: Bytes::new(),
                method: (0, 0),
                target: (0, 0),
                status: 0,
                minor: 0,
                fields: [((0, 0), (0, 0)); MAX_HEADERS],
                len: 0,
            },
        }
    }

    /// Appends received bytes.
    pub fn receive(&mut self, bytes: &[u8]) {
        // Unshare the buffer first so that it grows in place (see `head`).
        self.head.raw = Bytes::new();
        self.buf.extend_from_slice(bytes);
    }

    /// The peer closed its side.
    pub fn receive_eof(&mut self) {
        self.eof = true;
    }

    /// Bytes received and not yet turned into events.
    pub fn unread(&self) -> &[u8] {
        &self.buf
    }

    /// The head of the message being received, from its [`Ev::Head`] until
    /// its [`Ev::End`] or the next [`receive`](Self::receive), whichever
    /// comes first. The machine then lets go of it so that the receive
    /// buffer is no longer shared and the next read can reuse it, as it
    /// does when a keepalive caller drops its events.
    ///
    /// # Panics
    ///
    /// Reading fields outside that window panics.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// Whether the last finished exchange left the connection open.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Client: appends a request without body to `out`.
    pub fn send_request(&mut self, method: &[u8], target: &[u8], host: &[u8], out: &mut Vec<u8>) {
        self.head_request = method == b"HEAD";
        out.extend_from_slice(method);
        out.push(b' ');
        out.extend_from_slice(target);
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(host);
        out.extend_from_slice(b"\r\n\r\n");
    }

    /// Server: appends a `200 OK` with `Content-Type: text/plain`,
    /// `Content-Length` and `body` to `out` (what `testkit::drive::Reply::Hello`
    /// has keepalive send).
    pub fn send_ok(&mut self, body: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ");
        push_decimal(out, body.len());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body);
    }

    /// Server: appends an empty `204 No Content` to `out`.
    pub fn send_204(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(REPLY_204);
    }

    /// The next event, or what the machine waits for.
    pub fn poll(&mut self) -> Result<Poll, Error> {
        match self.body {
            Body::Head => self.read_head(),
            Body::Fixed(0) => Ok(self.end(Bytes::new())),
            Body::Fixed(n) => Ok(match self.take(n) {
                Some(d) => {
                    self.body = Body::Fixed(n - d.len() as u64);
                    Poll::Event(Ev::Data(d))
                }
                None => Poll::NeedData,
            }),
            Body::ChunkSize => match httparse::parse_chunk_size(&self.buf) {
                Ok(httparse::Status::Complete((used, size))) => {
                    self.buf.advance(used);
                    self.body = if size == 0 {
                        Body::Trailers
                    } else {
                        Body::ChunkData(size)
                    };
                    self.poll()
                }
                Ok(httparse::Status::Partial) => Ok(Poll::NeedData),
                Err(_) => Err(Error::Chunk),
            },
            Body::ChunkData(n) => Ok(match self.take(n) {
                Some(d) => {
                    let left = n - d.len() as u64;
                    self.body = if left == 0 {
                        Body::ChunkEnd
                    } else {
                        Body::ChunkData(left)
                    };
                    Poll::Event(Ev::Data(d))
                }
                None => Poll::NeedData,
            }),
            Body::ChunkEnd => match self.buf.get(..2) {
                None => Ok(Poll::NeedData),
                Some(b"\r\n") => {
                    self.buf.advance(2);
                    self.body = Body::ChunkSize;
                    self.poll()
                }
                Some(_) => Err(Error::Chunk),
            },
            Body::Trailers => self.read_trailers(),
            Body::UntilClose => Ok(match self.take(u64::MAX) {
                Some(d) => Poll::Event(Ev::Data(d)),
                None if self.eof => self.end(Bytes::new()),
                None => Poll::NeedData,
            }),
            Body::Closed => Ok(Poll::Closed),
        }
    }

    /// Up to `n` buffered body bytes, split off without a copy.
    fn take(&mut self, n: u64) -> Option<Bytes> {
        if self.buf.is_empty() {
            return None;
        }
        let len = usize::try_from(n).unwrap_or(usize::MAX).min(self.buf.len());
        Some(self.buf.split_to(len).freeze())
    }

    fn end(&mut self, trailers: Bytes) -> Poll {
        self.head.raw = Bytes::new();
        self.body = if self.keep_alive {
            Body::Head
        } else {
            Body::Closed
        };
        Poll::Event(Ev::End(trailers))
    }

    fn read_trailers(&mut self) -> Result<Poll, Error> {
        if self.buf.starts_with(b"\r\n") {
            self.buf.advance(2);
            return Ok(self.end(Bytes::new()));
        }
        let Some(at) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Ok(Poll::NeedData);
        };
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        httparse::parse_headers(&self.buf[..at + 4], &mut slots).map_err(Error::Parse)?;
        let trailers = self.buf.split_to(at + 4).freeze();
        Ok(self.end(trailers))
    }

    fn read_head(&mut self) -> Result<Poll, Error> {
        let mut slots = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
        let base = self.buf.as_ptr() as usize;
        let span = |s: &[u8]| {
            let a = s.as_ptr() as usize - base;
            (a as u16, (a + s.len()) as u16)
        };
        let head = &mut self.head;
        head.status = 0;
        head.method = (0, 0);
        head.target = (0, 0);
        let (len, headers): (usize, &[httparse::Header<'_>]) = match self.side {
            Side::Server => {
                let mut req = httparse::Request::new(&mut []);
                let status = req
                    .parse_with_uninit_headers(&self.buf, &mut slots)
                    .map_err(Error::Parse)?;
                let httparse::Status::Complete(len) = status else {
                    return self.partial();
                };
                if len > usize::from(u16::MAX) {
                    return Err(Error::HeadTooLong);
                }
                head.method = span(req.method.unwrap_or_default().as_bytes());
                head.target = span(req.path.unwrap_or_default().as_bytes());
                head.minor = req.version.unwrap_or(1);
                (len, req.headers)
            }
            Side::Client => {
                let mut resp = httparse::Response::new(&mut []);
                let status = httparse::ParserConfig::default()
                    .parse_response_with_uninit_headers(&mut resp, &self.buf, &mut slots)
                    .map_err(Error::Parse)?;
                let httparse::Status::Complete(len) = status else {
                    return self.partial();
                };
                if len > usize::from(u16::MAX) {
                    return Err(Error::HeadTooLong);
                }
                head.status = resp.code.unwrap_or_default();
                head.minor = resp.version.unwrap_or(1);
                (len, resp.headers)
            }
        };
        let mut facts = Facts {
            content_length: None,
            transfer_encoding: false,
            chunked: false,
            close: false,
            keep_alive: false,
        };
        for (slot, h) in head.fields.iter_mut().zip(headers) {
            *slot = (span(h.name.as_bytes()), span(h.value));
            facts.note(h.name.as_bytes(), h.value)?;
        }
        head.len = headers.len();
        let minor = head.minor;
        self.body = self.framing(&facts)?;
        self.keep_alive = !facts.close
            && (minor == 1 || facts.keep_alive)
            && self.body != Body::UntilClose
            && !(facts.transfer_encoding && facts.content_length.is_some());
        self.head.raw = self.buf.split_to(len).freeze();
        Ok(Poll::Event(Ev::Head))
    }

    fn partial(&self) -> Result<Poll, Error> {
        if self.buf.len() > usize::from(u16::MAX) {
            return Err(Error::HeadTooLong);
        }
        Ok(Poll::NeedData)
    }

    /// RFC 9112 §6.3, the parts every implementation needs.
    fn framing(&self, facts: &Facts) -> Result<Body, Error> {
        if self.side == Side::Client
            && (self.head_request || matches!(self.head.status, 100..=199 | 204 | 304))
        {
            return Ok(Body::Fixed(0));
        }
        Ok(match (facts.transfer_encoding, facts.content_length) {
            (true, _) if facts.chunked => Body::ChunkSize,
            (true, _) if self.side == Side::Server => return Err(Error::TransferEncoding),
            (true, _) => Body::UntilClose,
            (false, Some(n)) => Body::Fixed(n),
            (false, None) if self.side == Side::Server => Body::Fixed(0),
            (false, None) => Body::UntilClose,
        })
    }
}

impl Facts {
    fn note(&mut self, name: &[u8], value: &[u8]) -> Result<(), Error> {
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                let n = parse_decimal(value).ok_or(Error::ContentLength)?;
                if self.content_length.is_some_and(|m| m != n) {
                    return Err(Error::ContentLength);
                }
                self.content_length = Some(n);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                self.transfer_encoding = true;
                self.chunked = value
                    .rsplit(|&b| b == b',')
                    .next()
                    .is_some_and(|last| trim(last).eq_ignore_ascii_case(b"chunked"));
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in value.split(|&b| b == b',').map(trim) {
                    self.close |= token.eq_ignore_ascii_case(b"close");
                    self.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let end = s.iter().rposition(|b| !matches!(b, b' ' | b'\t'));
    match (start, end) {
        (Some(a), Some(b)) => &s[a..=b],
        _ => &[],
    }
}

fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event until the machine blocks, one line each.
    fn lines(m: &mut Machine) -> Vec<String> {
        let mut lines = Vec::new();
        while let Poll::Event(e) = m.poll().expect("valid input") {
            let h = m.head();
            lines.push(match e {
                Ev::Head if h.status == 0 => format!(
                    "req {} {} {}",
                    String::from_utf8_lossy(h.method()),
                    String::from_utf8_lossy(h.target()),
                    h.len()
                ),
                Ev::Head => format!("resp {} {}", h.status, h.len()),
                Ev::Data(d) => format!("data {}", String::from_utf8_lossy(&d)),
                Ev::End(t) => format!("end {:?}", String::from_utf8_lossy(&t)),
            });
        }
        lines
    }

    #[test]
    fn chunked_body_and_trailers_are_deframed() {
        let mut m = Machine::new(Side::Client);
        m.send_request(b"GET", b"/", b"x", &mut Vec::new());
        m.receive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n");
        assert_eq!(
            lines(&mut m),
            ["resp 200 1", "data abc", "end \"T: 1\\r\\n\\r\\n\""]
        );
        assert!(m.keep_alive());
        assert!(m.unread().is_empty());
    }

    #[test]
    fn persistence_follows_version_and_connection() {
        for (head, keep) in [
            (&b"GET / HTTP/1.1\r\n\r\n"[..], true),
            (b"GET / HTTP/1.1\r\nConnection: a, Close\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ] {
            let mut m = Machine::new(Side::Server);
            m.receive(head);
            m.receive(head);
            let evs = lines(&mut m);
            assert_eq!(m.keep_alive(), keep, "{}", String::from_utf8_lossy(head));
            // A closing exchange stops reading: the second request stays put.
            assert_eq!(evs.len(), if keep { 4 } else { 2 });
            assert!(matches!(m.poll(), Ok(Poll::NeedData | Poll::Closed)));
        }
    }

    #[test]
    fn framing_errors_and_bodiless_responses() {
        let mut m = Machine::new(Side::Server);
        m.receive(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assert_eq!(m.poll().unwrap_err(), Error::ContentLength);
        let mut m = Machine::new(Side::Server);
        m.receive(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
        assert_eq!(m.poll().unwrap_err(), Error::TransferEncoding);
        let mut m = Machine::new(Side::Client);
        m.send_request(b"HEAD", b"/", b"x", &mut Vec::new());
        m.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(lines(&mut m), ["resp 200 1", "end \"\""]);
        let mut m = Machine::new(Side::Client);
        m.send_request(b"GET", b"/", b"x", &mut Vec::new());
        m.receive(b"HTTP/1.1 200 OK\r\n\r\nab");
        assert_eq!(lines(&mut m), ["resp 200 0", "data ab"]);
        m.receive_eof();
        assert_eq!(lines(&mut m), ["end \"\""]);
        assert!(!m.keep_alive());
    }

    #[test]
    fn replies_are_well_formed() {
        let mut m = Machine::new(Side::Server);
        let mut out = Vec::new();
        m.send_ok(b"Hello, World!", &mut out);
        m.send_204(&mut out);
        let mut c = Machine::new(Side::Client);
        c.send_request(b"GET", b"/", b"x", &mut Vec::new());
        c.receive(&out);
        // The yardstick does not check that a response answers a request.
        assert_eq!(
            lines(&mut c),
            [
                "resp 200 2",
                "data Hello, World!",
                "end \"\"",
                "resp 204 0",
                "end \"\""
            ]
        );
    }
}
