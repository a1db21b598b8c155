//! Serialization: heads into the caller's [`SendBuf`], body framing around
//! the caller's own `Bytes` (never copied).

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::error::SendError;
use crate::headers::{is_field_vchar, is_token, list_elements, Header};
use crate::message::BodyLength;
use crate::message::Version;
use crate::syntax::parse_decimal;

/// Outgoing bytes, in order: framing written by the machine and body
/// `Bytes` handed in by the caller, kept as separate segments so body data
/// is never copied.
///
/// It implements [`bytes::Buf`]: write it with
/// [`chunks_vectored`](Buf::chunks_vectored) and
/// [`advance`](Buf::advance) (vectored IO), or drain it with
/// [`copy_to_bytes`](Buf::copy_to_bytes). Reuse one per connection: its
/// storage is recycled once written bytes are released.
#[derive(Debug, Default)]
pub struct SendBuf {
    /// Segments before `staging`, oldest first.
    queue: VecDeque<Bytes>,
    /// Framing bytes being written after the last queued segment.
    staging: BytesMut,
    /// Size of `staging`'s current allocation.
    staging_cap: usize,
    queued: usize,
}

impl SendBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.queued + self.staging.len()
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops everything waiting to be written.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.staging.clear();
        self.queued = 0;
    }

    /// Number of segments (framing runs and body `Bytes`) waiting.
    pub fn segments(&self) -> usize {
        self.queue.len() + usize::from(!self.staging.is_empty())
    }

    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.staging.extend_from_slice(bytes);
    }

    /// [`put`](Self::put) for the pieces of a head whose length was
    /// [`reserve`](Self::reserve)d first: no second capacity check of our
    /// own (`BytesMut` still grows if a piece was not counted).
    #[inline]
    pub(crate) fn put_reserved(&mut self, bytes: &[u8]) {
        self.staging.extend_from_slice(bytes);
    }

    /// Room for `need` more framing bytes: a head checks its capacity
    /// once, then its pieces are copied without growing.
    #[inline]
    pub(crate) fn reserve(&mut self, need: usize) {
        if self.staging.capacity() - self.staging.len() < need {
            self.grow(need);
        }
    }

    /// Makes room for `need` more framing bytes without an allocation per
    /// message: once everything split off earlier was written and
    /// dropped, the old allocation is reused from its start; otherwise
    /// (those segments still queued) a new one twice as large is started,
    /// so a long chunked body settles on a size that holds its framing.
    fn grow(&mut self, need: usize) {
        if self.staging.try_reclaim(need) {
            return;
        }
        let cap = (self.staging_cap * 2)
            .max(self.staging.len() + need)
            .max(64);
        let mut fresh = BytesMut::with_capacity(cap);
        fresh.extend_from_slice(&self.staging);
        self.staging = fresh;
        self.staging_cap = cap;
    }

    pub(crate) fn put_u64_hex(&mut self, n: u64) {
        let mut digits = [0u8; 16];
        let mut i = digits.len();
        let mut v = n;
        loop {
            i -= 1;
            digits[i] = b"0123456789abcdef"[(v & 0xf) as usize];
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        self.put(&digits[i..]);
    }

    /// Queues a body segment after everything written so far.
    pub(crate) fn push(&mut self, data: Bytes) {
        if !self.staging.is_empty() {
            let framing = self.staging.split().freeze();
            self.queued += framing.len();
            self.queue.push_back(framing);
        }
        self.queued += data.len();
        self.queue.push_back(data);
    }
}

impl Buf for SendBuf {
    fn remaining(&self) -> usize {
        self.len()
    }

    fn chunk(&self) -> &[u8] {
        match self.queue.front() {
            Some(b) => b,
            None => &self.staging,
        }
    }

    fn advance(&mut self, mut cnt: usize) {
        if self.queue.is_empty() {
            // Only framing waits (every bodiless message): no segments to
            // walk. All of it written, the next framing is copied over it,
            // from where this run began; `grow` goes back to the start of
            // the allocation when that runs short.
            if cnt == self.staging.len() {
                self.staging.clear();
            } else {
                self.staging.advance(cnt);
            }
            return;
        }
        if cnt == self.len() {
            // Everything written (a socket took the whole batch): no
            // segment to walk.
            self.queue.clear();
            self.queued = 0;
            self.staging.clear();
            let _ = self.staging.try_reclaim(self.staging_cap);
            return;
        }
        while cnt > 0 {
            let Some(front) = self.queue.front_mut() else {
                self.staging.advance(cnt);
                break;
            };
            let n = cnt.min(front.len());
            front.advance(n);
            self.queued -= n;
            cnt -= n;
            if front.is_empty() {
                self.queue.pop_front();
            }
        }
        while self.queue.front().is_some_and(Bytes::is_empty) {
            self.queue.pop_front();
        }
        if self.queue.is_empty() && self.staging.is_empty() {
            // All written: the next message's framing starts at the front
            // of the allocation again, instead of running off its end.
            let _ = self.staging.try_reclaim(self.staging_cap);
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for seg in self
            .queue
            .iter()
            .map(|b| &b[..])
            .chain(core::iter::once(&self.staging[..]))
        {
            if n == dst.len() {
                break;
            }
            if !seg.is_empty() {
                dst[n] = IoSlice::new(seg);
                n += 1;
            }
        }
        n
    }
}

/// What a sent head says, gathered while writing it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SentFacts {
    pub(crate) content_length: Option<u64>,
    pub(crate) transfer_encoding: bool,
    pub(crate) host_count: u32,
    pub(crate) connection_close: bool,
    pub(crate) connection_keep_alive: bool,
    pub(crate) upgrade: bool,
    pub(crate) connection_upgrade: bool,
    pub(crate) expect_continue: bool,
    /// Bytes the field lines take on the wire.
    pub(crate) wire_len: usize,
}

/// Validates field lines and gathers the framing facts, writing nothing:
/// a head is written only once everything in it was accepted, so a
/// refusal leaves nothing to roll back.
#[inline]
pub(crate) fn field_facts(headers: &[Header<'_>]) -> Result<SentFacts, SendError> {
    let mut facts = SentFacts::default();
    for h in headers {
        check_field(h)?;
        facts.wire_len += h.name.len() + h.value.len() + 4;
        match sent_field(h.name) {
            Some(SentField::ContentLength) => {
                let n = parse_decimal(h.value).ok_or(SendError::InvalidContentLength)?;
                if facts.content_length.is_some() {
                    return Err(SendError::InvalidContentLength);
                }
                facts.content_length = Some(n);
            }
            Some(SentField::TransferEncoding) => {
                if facts.transfer_encoding {
                    // One line keeps the final-coding check simple and exact.
                    return Err(SendError::InvalidTransferEncoding);
                }
                let codings = list_elements(h.value);
                let mut last_chunked = false;
                let mut chunked_count = 0;
                for c in codings {
                    last_chunked = c.eq_ignore_ascii_case(b"chunked");
                    chunked_count += usize::from(last_chunked);
                }
                if !last_chunked || chunked_count != 1 {
                    return Err(SendError::InvalidTransferEncoding);
                }
                facts.transfer_encoding = true;
            }
            Some(SentField::Host) => facts.host_count += 1,
            Some(SentField::Connection) => {
                for o in list_elements(h.value) {
                    facts.connection_close |= o.eq_ignore_ascii_case(b"close");
                    facts.connection_keep_alive |= o.eq_ignore_ascii_case(b"keep-alive");
                    facts.connection_upgrade |= o.eq_ignore_ascii_case(b"upgrade");
                }
            }
            Some(SentField::Upgrade) => facts.upgrade = true,
            Some(SentField::Expect) => {
                facts.expect_continue |=
                    list_elements(h.value).any(|e| e.eq_ignore_ascii_case(b"100-continue"));
            }
            None => {}
        }
    }
    if facts.content_length.is_some() && facts.transfer_encoding {
        // RFC 9112 §6.2: a sender MUST NOT send Content-Length with
        // Transfer-Encoding.
        return Err(SendError::InvalidContentLength);
    }
    Ok(facts)
}

/// The sent fields whose values the machine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SentField {
    ContentLength,
    TransferEncoding,
    Host,
    Connection,
    Upgrade,
    Expect,
}

/// Which of the [`SentField`]s `name` is (case-insensitive). Their
/// lengths differ, so one comparison decides: most fields a caller sends
/// (`Content-Type`, `Date`, ...) cost a length check.
fn sent_field(name: &[u8]) -> Option<SentField> {
    let (known, field) = match name.len() {
        14 => ("content-length", SentField::ContentLength),
        17 => ("transfer-encoding", SentField::TransferEncoding),
        4 => ("host", SentField::Host),
        10 => ("connection", SentField::Connection),
        7 => ("upgrade", SentField::Upgrade),
        6 => ("expect", SentField::Expect),
        _ => return None,
    };
    token_is(name, known.as_bytes()).then_some(field)
}

/// Whether the token `name` is `lower` (lowercase letters and `-`, at
/// least 4 bytes, as long as `name`) in any case, a word at a time.
///
/// Setting bit 5 of every byte maps `A`–`Z` onto `a`–`z` and leaves `a`–`z`
/// and `-` as they are; the only other bytes it maps onto a letter or `-`
/// are `@`, `CR` and controls, which a token cannot hold ([`check_field`]
/// ran first), so equality after the mask is exact.
fn token_is(name: &[u8], lower: &[u8]) -> bool {
    const MASK: u64 = 0x2020_2020_2020_2020;
    let n = name.len();
    if n != lower.len() || n < 4 {
        return false;
    }
    if n < 8 {
        let word = |s: &[u8], at: usize| {
            u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]]) | MASK as u32
        };
        return word(name, 0) == word(lower, 0) && word(name, n - 4) == word(lower, n - 4);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w) | MASK
    };
    // Whole words, then one overlapping the end.
    (0..n / 8).all(|i| word(name, i * 8) == word(lower, i * 8))
        && word(name, n - 8) == word(lower, n - 8)
}

/// Writes field lines [`field_facts`] accepted.
pub(crate) fn put_fields(out: &mut SendBuf, headers: &[Header<'_>]) {
    for h in headers {
        out.put_reserved(h.name);
        out.put_reserved(b": ");
        out.put_reserved(h.value);
        out.put_reserved(b"\r\n");
    }
}

/// A field name must be a token; a value must hold no CR, LF, NUL or other
/// control, and no leading or trailing whitespace (a recipient would strip
/// it, so the peer would see something else than was sent).
fn check_field(h: &Header<'_>) -> Result<(), SendError> {
    if !sent_token(h.name) {
        return Err(SendError::InvalidHeaderName);
    }
    let ows = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    if ows(h.value.first()) || ows(h.value.last()) || !sent_value(h.value) {
        return Err(SendError::InvalidHeaderValue);
    }
    Ok(())
}

/// [`is_token`] for the names a caller sends, which are valid: every
/// byte is looked up without a branch per byte.
fn sent_token(name: &[u8]) -> bool {
    let all = name
        .iter()
        .fold(true, |all, &b| all & crate::syntax::TCHAR[usize::from(b)]);
    all && !name.is_empty()
}

/// Whether every byte of `value` is [`is_field_vchar`], eight at a time:
/// a word with no byte below `0x20` and none equal to `0x7f` is valid
/// (the usual case); a word with one (maybe a tab) is checked byte by
/// byte.
fn sent_value(value: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = value.chunks_exact(8);
    for chunk in &mut words {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        let w = u64::from_le_bytes(bytes);
        // A byte below 0x20 borrows into its high bit (exact as a test
        // of the whole word: a borrow starts only at such a byte).
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let del = (w ^ (ONES * 0x7f)).wrapping_sub(ONES) & !(w ^ (ONES * 0x7f)) & HIGH;
        if control | del != 0 && !chunk.iter().all(|&b| is_field_vchar(b)) {
            return false;
        }
    }
    words.remainder().iter().all(|&b| is_field_vchar(b))
}

/// Fields that must not be sent as trailers (RFC 9110 §6.5.1): framing,
/// routing, connection control, request modifiers, authentication,
/// response control and content processing.
fn forbidden_trailer(name: &[u8]) -> bool {
    const FORBIDDEN: &[&str] = &[
        "content-length",
        "transfer-encoding",
        "host",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
        "expect",
        "authorization",
        "proxy-authorization",
        "www-authenticate",
        "proxy-authenticate",
        "set-cookie",
        "cookie",
        "content-encoding",
        "content-type",
        "content-range",
        "cache-control",
        "expires",
        "date",
        "location",
        "retry-after",
        "vary",
        "age",
        "range",
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
        "max-forwards",
    ];
    FORBIDDEN
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f.as_bytes()))
}

/// Checks a request line before anything of its head is written.
pub(crate) fn check_request_line(method: &str, target: &str) -> Result<(), SendError> {
    if !is_token(method.as_bytes()) {
        return Err(SendError::InvalidMethod);
    }
    // Visible ASCII only (no space, CR, LF, NUL: no request splitting); no
    // fragment (RFC 9112 §3.2 forms carry none); `*` only for OPTIONS.
    if target.is_empty()
        || !target
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'#')
        || (target == "*" && method != "OPTIONS")
    {
        return Err(SendError::InvalidTarget);
    }
    Ok(())
}

/// Bytes of the request line [`check_request_line`] accepted.
pub(crate) fn request_line_len(method: &str, target: &str, version: Version) -> usize {
    method.len() + target.len() + version.as_str().len() + 4
}

pub(crate) fn put_request_line(out: &mut SendBuf, method: &str, target: &str, version: Version) {
    // The line's end is one constant per version: four copies, not six.
    let end: &[u8] = match version {
        Version::Http10 => b" HTTP/1.0\r\n",
        Version::Http11 => b" HTTP/1.1\r\n",
    };
    out.put_reserved(method.as_bytes());
    out.put_reserved(b" ");
    out.put_reserved(target.as_bytes());
    out.put_reserved(end);
}

/// A validated status line, to be written once the whole head is accepted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StatusLine<'a> {
    /// A common line with the head's blank line after it: a response with
    /// no field lines is one copy.
    Whole(&'static [u8]),
    /// `HTTP/1.1 NNN ` and a reason phrase.
    Parts([u8; 13], &'a str),
}

impl StatusLine<'_> {
    /// Bytes of the line, its CRLF included (not the blank line).
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Whole(line) => line.len() - 2,
            Self::Parts(start, reason) => start.len() + reason.len() + 2,
        }
    }

    /// Writes the line; with `end_head`, the blank line that ends a head
    /// too.
    #[inline]
    pub(crate) fn put(&self, out: &mut SendBuf, end_head: bool) {
        match self {
            Self::Whole(line) if end_head => out.put_reserved(line),
            Self::Whole(line) => out.put_reserved(&line[..line.len() - 2]),
            Self::Parts(start, reason) => {
                out.put_reserved(start);
                out.put_reserved(reason.as_bytes());
                out.put_reserved(if end_head { b"\r\n\r\n" } else { b"\r\n" });
            }
        }
    }
}

#[inline]
pub(crate) fn status_line(status: u16, reason: &str) -> Result<StatusLine<'_>, SendError> {
    if !(100..=999).contains(&status) {
        return Err(SendError::InvalidStatus);
    }
    if reason.is_empty() {
        if let Some(line) = common_status_line(status) {
            return Ok(StatusLine::Whole(line));
        }
    }
    let reason = if reason.is_empty() {
        // The table's phrases are valid: only a caller's is checked.
        canonical_reason(status)
    } else if reason.bytes().all(is_field_vchar) {
        reason
    } else {
        return Err(SendError::InvalidReason);
    };
    let mut start = *b"HTTP/1.1 000 ";
    start[9] += (status / 100) as u8;
    start[10] += (status / 10 % 10) as u8;
    start[11] += (status % 10) as u8;
    Ok(StatusLine::Parts(start, reason))
}

/// The whole head of a response that has neither fields nor content
/// (RFC 9110 §15.3.5, §15.4.5) when the caller gave no reason phrase:
/// one constant, nothing to check.
#[inline]
pub(crate) fn bodiless_head(status: u16, reason: &str) -> Option<&'static [u8]> {
    match status {
        204 | 304 if reason.is_empty() => common_status_line(status),
        _ => None,
    }
}

/// Whole status lines for the statuses most responses carry, with the
/// blank line that ends a head without fields (an empty 204 or 304 is one
/// copy): every response pays for its status line.
fn common_status_line(status: u16) -> Option<&'static [u8]> {
    Some(match status {
        100 => b"HTTP/1.1 100 Continue\r\n\r\n",
        200 => b"HTTP/1.1 200 OK\r\n\r\n",
        201 => b"HTTP/1.1 201 Created\r\n\r\n",
        204 => b"HTTP/1.1 204 No Content\r\n\r\n",
        206 => b"HTTP/1.1 206 Partial Content\r\n\r\n",
        301 => b"HTTP/1.1 301 Moved Permanently\r\n\r\n",
        302 => b"HTTP/1.1 302 Found\r\n\r\n",
        304 => b"HTTP/1.1 304 Not Modified\r\n\r\n",
        400 => b"HTTP/1.1 400 Bad Request\r\n\r\n",
        404 => b"HTTP/1.1 404 Not Found\r\n\r\n",
        500 => b"HTTP/1.1 500 Internal Server Error\r\n\r\n",
        _ => return None,
    })
}

/// The canonical reason phrase (RFC 9110 §15), or `""` for an unknown code.
pub fn canonical_reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Frames body data as it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoder {
    Empty,
    Fixed { remaining: u64 },
    Chunked,
    UntilClose,
}

impl Encoder {
    pub(crate) fn new(length: BodyLength) -> Self {
        match length {
            BodyLength::Empty => Self::Empty,
            BodyLength::Fixed(n) => Self::Fixed { remaining: n },
            BodyLength::Chunked => Self::Chunked,
            BodyLength::UntilClose => Self::UntilClose,
        }
    }

    pub(crate) fn data(&mut self, data: Bytes, out: &mut SendBuf) -> Result<(), SendError> {
        if data.is_empty() {
            // Nothing to frame; an empty chunk would end the body.
            return Ok(());
        }
        match self {
            Self::Empty => return Err(SendError::BodyNotAllowed),
            Self::Fixed { remaining } => {
                let n = data.len() as u64;
                if n > *remaining {
                    return Err(SendError::BodyTooLong);
                }
                *remaining -= n;
                out.push(data);
            }
            Self::Chunked => {
                out.put_u64_hex(data.len() as u64);
                out.put(b"\r\n");
                out.push(data);
                out.put(b"\r\n");
            }
            Self::UntilClose => out.push(data),
        }
        Ok(())
    }

    /// Whether [`end`](Self::end) without trailers writes nothing and
    /// succeeds: no last chunk, no length still owed.
    #[inline]
    pub(crate) fn ends_silently(&self) -> bool {
        matches!(
            self,
            Self::Empty | Self::Fixed { remaining: 0 } | Self::UntilClose
        )
    }

    /// Ends the body; inlined, since most ends write nothing.
    #[inline]
    pub(crate) fn end(
        &mut self,
        trailers: &[Header<'_>],
        out: &mut SendBuf,
    ) -> Result<(), SendError> {
        match self {
            Self::Fixed { remaining } if *remaining > 0 => Err(SendError::BodyTooShort),
            Self::Chunked => last_chunk(trailers, out),
            _ if !trailers.is_empty() => Err(SendError::InvalidTrailer),
            _ => Ok(()),
        }
    }
}

/// The last chunk of a chunked body and its trailer section.
fn last_chunk(trailers: &[Header<'_>], out: &mut SendBuf) -> Result<(), SendError> {
    if trailers.iter().any(|t| forbidden_trailer(t.name)) {
        return Err(SendError::InvalidTrailer);
    }
    let sent = field_facts(trailers)?;
    out.reserve(sent.wire_len + 5);
    out.put(b"0\r\n");
    put_fields(out, trailers);
    out.put(b"\r\n");
    Ok(())
}

/// Appends `Name: value\r\n` for a field the machine adds itself.
pub(crate) fn put_field(out: &mut SendBuf, name: &str, value: &str) {
    out.put(name.as_bytes());
    out.put(b": ");
    out.put(value.as_bytes());
    out.put(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_status_lines_match_the_general_path() {
        for status in 100..=599 {
            if let Some(line) = common_status_line(status) {
                let expect = format!("HTTP/1.1 {status} {}\r\n\r\n", canonical_reason(status));
                assert_eq!(line, expect.as_bytes());
            }
        }
    }

    #[test]
    fn sent_fields_are_found_in_any_case_and_nothing_else() {
        let rows = [
            ("Content-Length", Some(SentField::ContentLength)),
            ("TRANSFER-ENCODING", Some(SentField::TransferEncoding)),
            ("host", Some(SentField::Host)),
            ("Connection", Some(SentField::Connection)),
            ("upGrade", Some(SentField::Upgrade)),
            ("Expect", Some(SentField::Expect)),
            // Same lengths as known names, different bytes.
            ("Content-Lengtx", None),
            ("Hosts", None),
            ("Date", None),
            ("Keep-Alive", None),
            ("Content-Type", None),
            ("", None),
        ];
        for (name, want) in rows {
            assert_eq!(sent_field(name.as_bytes()), want, "{name}");
        }
    }

    #[test]
    fn sent_names_and_values_agree_with_the_grammar_at_every_byte_and_place() {
        for len in [1, 7, 8, 9, 16, 17] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    assert_eq!(sent_token(&v), is_token(&v), "name {v:?}");
                    let all = v.iter().all(|&b| is_field_vchar(b));
                    assert_eq!(sent_value(&v), all, "value {v:?}");
                }
            }
        }
        assert!(!sent_token(b""));
        assert!(sent_value(b""));
    }

    #[test]
    fn token_is_agrees_with_eq_ignore_ascii_case_for_every_token_byte() {
        let known = [
            "content-length",
            "transfer-encoding",
            "host",
            "connection",
            "upgrade",
            "expect",
        ];
        for k in known {
            for at in 0..k.len() {
                for b in (0..=255u8).filter(|&b| crate::syntax::is_tchar(b)) {
                    let mut name = k.as_bytes().to_vec();
                    name[at] = b;
                    assert_eq!(
                        token_is(&name, k.as_bytes()),
                        name.eq_ignore_ascii_case(k.as_bytes()),
                        "{k} with byte {b:#x} at {at}"
                    );
                }
            }
        }
    }
}
