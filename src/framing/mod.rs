//! RFC 9112 §6.3 — the length of a message body, in both directions.
//!
//! Three pure functions: [`body_length`] for a received head (and, for a
//! response, the request it answers), [`response_framing`] and
//! [`request_framing`] for a head this side sends. Items 1–2 of §6.3 ¶2
//! (HEAD, 1xx, 204, 304, 2xx to CONNECT) are decided once, by
//! [`status_framing`], for both directions. Comments number the rules as
//! RFC 9112 §6.3 ¶2 numbers its items (1–8); the first that applies wins.

use crate::error::RecvErrorKind;
use crate::headers::{list_elements, trim_ows, Headers, Known, Values};
use crate::message::{BodyLength, Method, SwitchKind, Version};
use crate::syntax::parse_decimal;

/// What [`body_length`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framing {
    pub(crate) length: BodyLength,
    /// Both Transfer-Encoding and Content-Length were present: the
    /// connection must close after this exchange (RFC 9112 §6.1).
    pub(crate) conflicting: bool,
    /// After this head the connection leaves HTTP/1.1.
    pub(crate) switch: Option<SwitchKind>,
    /// A 1xx other than 101: the final response is still to come.
    pub(crate) interim: bool,
}

impl Framing {
    const fn plain(length: BodyLength) -> Self {
        Self {
            length,
            conflicting: false,
            switch: None,
            interim: false,
        }
    }
}

/// RFC 9112 §6.3 ¶2 items 1–2: what the request method and the status
/// alone decide about a response, whatever its fields say. One definition
/// for a response received and a response sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusFraming {
    /// Item 1, a 1xx other than 101: no body, and a final response follows
    /// (RFC 9110 §15.2).
    Interim,
    /// Item 1, 101: no body; the connection leaves HTTP/1.1 after the head
    /// (RFC 9110 §15.2.2).
    Upgrade,
    /// Item 2: a 2xx to CONNECT turns into a tunnel right after the head.
    Tunnel,
    /// Item 1: a response to HEAD, a 204 or a 304 ends at its head.
    NoBody,
}

/// Items 1–2 of RFC 9112 §6.3 ¶2; `None` when the fields decide (items 3–8).
///
/// Item 2 is checked before the 204 of item 1, so a 204 to CONNECT opens
/// the tunnel too (RFC 9110 §9.3.6 says any 2xx).
pub(crate) const fn status_framing(method: Method, status: u16) -> Option<StatusFraming> {
    Some(match status {
        101 => StatusFraming::Upgrade,
        100..=199 => StatusFraming::Interim,
        200..=299 if matches!(method, Method::Connect) => StatusFraming::Tunnel,
        204 | 304 => StatusFraming::NoBody,
        _ if matches!(method, Method::Head) => StatusFraming::NoBody,
        _ => return None,
    })
}

/// The message whose framing is decided.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Message<'a> {
    Request {
        method: Method,
        version: Version,
        headers: &'a Headers,
    },
    Response {
        request_method: Method,
        upgrade_offered: bool,
        status: u16,
        version: Version,
        headers: &'a Headers,
    },
}

/// [`body_length`] of a received request, the usual case (neither
/// `Transfer-Encoding` nor `Content-Length`: item 7, no body) answered
/// from the field index without the call.
#[inline]
pub(crate) fn request_body_length(
    method: Method,
    version: Version,
    headers: &Headers,
) -> Result<Framing, RecvErrorKind> {
    if !has(headers, Known::TransferEncoding) && !has(headers, Known::ContentLength) {
        return Ok(Framing::plain(BodyLength::Empty));
    }
    body_length(Message::Request {
        method,
        version,
        headers,
    })
}

/// RFC 9112 §6.3: the body length of a received message.
pub(crate) fn body_length(msg: Message<'_>) -> Result<Framing, RecvErrorKind> {
    let (version, headers, is_request) = match msg {
        Message::Request {
            method,
            version,
            headers,
        } => {
            // RFC 9110 §9.3.6: "A CONNECT request message does not have
            // content". Peers that disagree on where the tunnel begins
            // desynchronise, so declared content is refused, not read.
            if method == Method::Connect && declares_content(headers) {
                return Err(RecvErrorKind::ConnectWithContent);
            }
            (version, headers, true)
        }
        Message::Response {
            request_method,
            upgrade_offered,
            status,
            version,
            headers,
        } => match status_framing(request_method, status) {
            // RFC 9110 §15.2.2: a 101 answers an Upgrade offer; without
            // one it is a protocol error.
            Some(StatusFraming::Upgrade) if !upgrade_offered => {
                return Err(RecvErrorKind::UnexpectedSwitch)
            }
            Some(StatusFraming::Upgrade) => {
                return Ok(Framing {
                    switch: Some(SwitchKind::Upgrade),
                    ..Framing::plain(BodyLength::Empty)
                })
            }
            Some(StatusFraming::Interim) => {
                return Ok(Framing {
                    interim: true,
                    ..Framing::plain(BodyLength::Empty)
                })
            }
            // Item 2: the tunnel's framing fields are ignored.
            Some(StatusFraming::Tunnel) => {
                return Ok(Framing {
                    switch: Some(SwitchKind::Connect),
                    ..Framing::plain(BodyLength::Empty)
                })
            }
            Some(StatusFraming::NoBody) => return Ok(Framing::plain(BodyLength::Empty)),
            None => (version, headers, false),
        },
    };

    let has_te = has(headers, Known::TransferEncoding);
    let has_cl = has(headers, Known::ContentLength);

    if has_te {
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty
        // framing, even with a Content-Length.
        if version == Version::Http10 {
            return Err(RecvErrorKind::Http10TransferEncoding);
        }
        // Item 3: Transfer-Encoding overrides Content-Length; the
        // connection must close after the exchange (RFC 9112 §6.1).
        // Item 4: the codings decide (see `transfer_coding`).
        let length = transfer_coding(headers, is_request)?;
        return Ok(Framing {
            conflicting: has_cl,
            ..Framing::plain(length)
        });
    }

    if has_cl {
        // Item 5: an invalid Content-Length is unrecoverable (400 for a
        // request; a client closes). Item 6: a valid one gives the length.
        return Ok(Framing::plain(BodyLength::Fixed(content_length(headers)?)));
    }

    // Item 7: a request with neither has no body.
    // Item 8: a response with neither is read until the connection closes.
    Ok(Framing::plain(if is_request {
        BodyLength::Empty
    } else {
        BodyLength::UntilClose
    }))
}

/// Item 4: the transfer codings, in the order applied. Only `chunked` can
/// be decoded here.
fn transfer_coding(headers: &Headers, is_request: bool) -> Result<BodyLength, RecvErrorKind> {
    // The usual field is one line saying `chunked`: nothing to split.
    if let Values::One(Some(line)) = headers.known(Known::TransferEncoding) {
        if is_chunked(line) {
            return Ok(BodyLength::Chunked);
        }
    }
    let mut codings = headers.known_list(Known::TransferEncoding).peekable();
    let mut saw_chunked = false;
    let mut saw_unknown = false;
    let mut final_is_chunked = false;
    let mut any = false;
    while let Some(coding) = codings.next() {
        any = true;
        let name = coding
            .split(|&b| b == b';')
            .next()
            .map(trim_ows)
            .unwrap_or(b"");
        let is_chunked = is_chunked(name);
        if is_chunked {
            // RFC 9112 §7.1: chunked takes no parameters, and a sender
            // MUST NOT apply it more than once (§6.1).
            if saw_chunked || name.len() != coding.len() {
                return Err(RecvErrorKind::TransferEncodingNotChunked);
            }
            saw_chunked = true;
        } else {
            if !crate::headers::is_token(name) {
                return Err(RecvErrorKind::InvalidTransferCoding);
            }
            saw_unknown = true;
        }
        final_is_chunked = is_chunked && codings.peek().is_none();
    }
    if !any {
        // `Transfer-Encoding = #transfer-coding` with no coding at all: the
        // sender meant something, but nothing says what; refuse to guess.
        return Err(RecvErrorKind::TransferEncodingNotChunked);
    }
    if !final_is_chunked {
        // A request whose final coding is not chunked MUST be refused with
        // 400; a response with such a coding (`gzip`, or `chunked, gzip`)
        // is read until close (item 4).
        return if is_request {
            Err(RecvErrorKind::TransferEncodingNotChunked)
        } else {
            Ok(BodyLength::UntilClose)
        };
    }
    if saw_unknown {
        // A coding before chunked that this crate cannot decode (RFC 9112
        // §6.1: a server SHOULD answer 501).
        return Err(RecvErrorKind::UnknownTransferCoding);
    }
    Ok(BodyLength::Chunked)
}

/// Whether a coding is `chunked`, in any case. Every byte of `chunked` is
/// a letter, and a byte with its case bit (0x20) set equals a lowercase
/// letter only if it is that letter in either case: one word compare is an
/// exact case-insensitive compare.
#[inline]
fn is_chunked(coding: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 7]>::try_from(coding) else {
        return false;
    };
    let mut word = [0; 8];
    word[..7].copy_from_slice(&bytes);
    u64::from_le_bytes(word) | 0x0020_2020_2020_2020 == u64::from_le_bytes(*b"chunked\0")
}

/// Items 5–6: `Content-Length = 1*DIGIT`, possibly repeated as a list of
/// identical values (`5, 5` or two field lines) which is accepted as one.
fn content_length(headers: &Headers) -> Result<u64, RecvErrorKind> {
    // Every value seen must be the same number.
    fn same(value: &mut Option<u64>, n: u64) -> Result<(), RecvErrorKind> {
        if value.is_some_and(|v| v != n) {
            return Err(RecvErrorKind::InvalidContentLength);
        }
        *value = Some(n);
        Ok(())
    }
    let lines = headers.known(Known::ContentLength);
    // The usual field: one line, one number.
    if let Values::One(Some(line)) = lines {
        if let Some(n) = parse_decimal(line) {
            return Ok(n);
        }
    }
    let mut value: Option<u64> = None;
    for line in lines {
        // The usual value is one number: no list to split.
        if let Some(n) = parse_decimal(line) {
            same(&mut value, n)?;
            continue;
        }
        let mut any = false;
        for element in list_elements(line) {
            any = true;
            let n = parse_decimal(element).ok_or(RecvErrorKind::InvalidContentLength)?;
            same(&mut value, n)?;
        }
        if !any {
            return Err(RecvErrorKind::InvalidContentLength);
        }
    }
    value.ok_or(RecvErrorKind::InvalidContentLength)
}

/// Whether a field the machine indexes is present. Answered from the
/// index: most such fields are absent from most heads, and this is asked
/// on every message.
#[inline]
pub(crate) fn has(headers: &Headers, field: Known) -> bool {
    !matches!(headers.known(field), Values::One(None))
}

/// Whether a request declares content: a `Transfer-Encoding`, or a
/// `Content-Length` other than a plain zero.
fn declares_content(headers: &Headers) -> bool {
    has(headers, Known::TransferEncoding)
        || headers
            .known(Known::ContentLength)
            .flat_map(list_elements)
            .any(|v| parse_decimal(v) != Some(0))
}

/// A response about to be sent, and the request it answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing {
    pub(crate) status: u16,
    pub(crate) request_method: Method,
    pub(crate) request_version: Version,
    pub(crate) upgrade_offered: bool,
    /// The request could not be read (a `RecvError`): this is the error
    /// response, and the connection closes after it.
    pub(crate) after_error: bool,
    /// The caller's `Content-Length`, `Transfer-Encoding: …, chunked` and
    /// `Upgrade` fields.
    pub(crate) content_length: Option<u64>,
    pub(crate) chunked: bool,
    pub(crate) upgrade_field: bool,
}

/// How a sent response is framed, and what the machine adds for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SendFraming {
    pub(crate) length: BodyLength,
    /// A framing field the machine appends (`Transfer-Encoding: chunked`
    /// or `Content-Length: 0`).
    pub(crate) add: Option<(&'static str, &'static str)>,
    pub(crate) switch: Option<SwitchKind>,
    pub(crate) interim: bool,
}

/// The sender's side of RFC 9112 §6 and RFC 9110 §8.6, §15: how a server
/// frames its response, or why it may not send it. The mirror of
/// [`body_length`]: what this decides, the peer's `body_length` reads back.
pub(crate) fn response_framing(r: Outgoing) -> Result<SendFraming, crate::SendError> {
    use crate::SendError::{InvalidContentLength, InvalidStatus, InvalidTransferEncoding};
    let status = r.status;
    let informational = (100..200).contains(&status);
    let interim = informational && status != 101;
    // RFC 9110 §15.2: "A server MUST NOT send a 1xx response to an
    // HTTP/1.0 client"; §7.8: a 101 answers an Upgrade offer and "MUST
    // send an Upgrade header field". An error response never switches.
    if informational && (r.request_version == Version::Http10 || r.after_error) {
        return Err(InvalidStatus);
    }
    if status == 101 && (!r.upgrade_offered || !r.upgrade_field) {
        return Err(InvalidStatus);
    }
    // Items 1–2, as the receiver will apply them; an error response
    // never opens a tunnel.
    let by_status = match status_framing(r.request_method, status) {
        Some(StatusFraming::Tunnel) if r.after_error => {
            (status == 204).then_some(StatusFraming::NoBody)
        }
        other => other,
    };
    let switch = match by_status {
        Some(StatusFraming::Upgrade) => Some(SwitchKind::Upgrade),
        Some(StatusFraming::Tunnel) => Some(SwitchKind::Connect),
        _ => None,
    };
    // RFC 9110 §8.6 and RFC 9112 §6.1: no Content-Length or
    // Transfer-Encoding in a 1xx, a 204 or a 2xx to CONNECT; nor
    // Transfer-Encoding in a 304, nor toward an HTTP/1.0 client.
    let no_framing_fields = informational || status == 204 || switch == Some(SwitchKind::Connect);
    if no_framing_fields && r.content_length.is_some() {
        return Err(InvalidContentLength);
    }
    if r.chunked
        && (no_framing_fields
            || status == 304
            || (r.request_version == Version::Http10 && !r.after_error))
    {
        return Err(InvalidTransferEncoding);
    }
    let plain = |length| SendFraming {
        length,
        add: None,
        switch,
        interim,
    };
    // Items 1–2 from the sender's side: HEAD, 1xx, 204, 304 carry no
    // body, whatever their fields say; neither does a switching response.
    if by_status.is_some() {
        return Ok(plain(BodyLength::Empty));
    }
    Ok(match (r.chunked, r.content_length) {
        (true, _) => plain(BodyLength::Chunked),
        (false, Some(n)) => plain(BodyLength::Fixed(n)),
        // RFC 9110 §15.3.6: "a server MUST NOT generate content in a 205
        // response": say so with a zero length.
        (false, None) if status == 205 => SendFraming {
            add: Some(("Content-Length", "0")),
            ..plain(BodyLength::Fixed(0))
        },
        // No length given: chunked toward HTTP/1.1 ...
        (false, None) if r.request_version == Version::Http11 && !r.after_error => SendFraming {
            add: Some(("Transfer-Encoding", "chunked")),
            ..plain(BodyLength::Chunked)
        },
        // ... and close-delimited toward HTTP/1.0 (or after an error).
        (false, None) => plain(BodyLength::UntilClose),
    })
}

/// The sender's side for requests: RFC 9112 §3.2 (`Host`) and §6.1–§6.3.
/// The machine adds no framing field to a request — without
/// `Content-Length` or `Transfer-Encoding` a request has no body (item 7),
/// since a client cannot know before the first response whether the
/// server reads chunked requests.
pub(crate) fn request_framing(
    version: Version,
    host_count: u32,
    content_length: Option<u64>,
    chunked: bool,
) -> Result<BodyLength, crate::SendError> {
    // "A client MUST send a Host header field in all HTTP/1.1 request
    // messages"; a server rejects more than one, whatever the version.
    if host_count > 1 || (version == Version::Http11 && host_count != 1) {
        return Err(crate::SendError::InvalidHost);
    }
    // An HTTP/1.0 recipient would treat Transfer-Encoding as faulty.
    if chunked && version == Version::Http10 {
        return Err(crate::SendError::InvalidTransferEncoding);
    }
    Ok(match (chunked, content_length) {
        (true, _) => BodyLength::Chunked,
        (false, Some(n)) => BodyLength::Fixed(n),
        (false, None) => BodyLength::Empty,
    })
}

#[cfg(test)]
mod tests;
