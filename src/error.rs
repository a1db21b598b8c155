//! Errors: [`RecvError`] when the peer breaks the protocol, [`SendError`]
//! when the caller misuses the API.

use core::fmt;

use crate::message::Role;

/// One variant per way a peer's bytes can violate HTTP/1.1.
///
/// [`status`](Self::status) gives the status code a server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecvErrorKind {
    /// The request line or status line is malformed (RFC 9112 §3, §4) in
    /// a way no more specific kind names. The one-pass parser names every
    /// fault it finds, so it does not produce this kind today.
    InvalidStartLine,
    /// The method is not a token (RFC 9110 §9.1).
    InvalidMethod,
    /// The request-target has a forbidden byte or a form not allowed for
    /// the method (RFC 9112 §3.2).
    InvalidTarget,
    /// The HTTP-version is malformed (RFC 9112 §2.3).
    InvalidVersion,
    /// A well-formed version with an unsupported major number, such as
    /// `HTTP/2.0` on a request line (RFC 9110 §15.6.6: 505).
    UnsupportedVersion,
    /// The status code is malformed (RFC 9112 §4) or below 100 (RFC 9110
    /// §15: valid codes are 100 to 599; 600–999 are passed on).
    InvalidStatus,
    /// A field name has a byte that is not a token character (RFC 9110 §5.1).
    InvalidHeaderName,
    /// Whitespace after a field name, where only the colon may follow
    /// (RFC 9112 §5.1: MUST 400); refused as soon as it arrives.
    WhitespaceBeforeColon,
    /// A field value holds CR, LF, NUL or another control (RFC 9110 §5.5).
    InvalidHeaderValue,
    /// Obsolete line folding in a request (RFC 9112 §5.2), strict default.
    ObsFold,
    /// A line ended with LF not preceded by CR (RFC 9112 §2.2), strict default.
    BareLf,
    /// An HTTP/1.1 request without a `Host` field (RFC 9112 §3.2: MUST 400).
    MissingHost,
    /// More than one `Host` field line (RFC 9112 §3.2: MUST 400).
    DuplicateHost,
    /// A `Host` value that is not `uri-host [ ":" port ]` (RFC 9112 §3.2),
    /// or whose port is past 65535 or follows no host (RFC 9110 §4.2.1).
    InvalidHost,
    /// The head is longer than [`Config::max_head_len`](crate::Config::max_head_len).
    HeadTooLarge,
    /// More fields than [`Config::max_headers`](crate::Config::max_headers).
    TooManyHeaders,
    /// The request-target is longer than
    /// [`Config::max_target_len`](crate::Config::max_target_len).
    TargetTooLong,
    /// The method is longer than any a server implements (RFC 9112 §3:
    /// SHOULD 501); more than 32 bytes.
    MethodTooLong,
    /// `Content-Length` is not a single non-negative decimal number, or a
    /// list of differing values (RFC 9112 §6.3 rule 5).
    InvalidContentLength,
    /// `Transfer-Encoding` in a request whose final coding is not `chunked`
    /// (RFC 9112 §6.3 rule 4: MUST 400), or `chunked` applied twice.
    TransferEncodingNotChunked,
    /// A `Transfer-Encoding` element that is not a transfer coding at all
    /// (`transfer-coding = token *( OWS ";" OWS transfer-parameter )`,
    /// RFC 9112 §7), such as `x y`: malformed, in either direction. A
    /// well-formed unknown coding is not this error (a response with one
    /// is read until close).
    InvalidTransferCoding,
    /// A transfer coding this crate cannot decode placed before the final
    /// `chunked` (RFC 9112 §6.1: 501).
    UnknownTransferCoding,
    /// `Transfer-Encoding` in an HTTP/1.0 message: faulty framing
    /// (RFC 9112 §6.1).
    Http10TransferEncoding,
    /// A chunk-size line is malformed or its size overflows 64 bits
    /// (RFC 9112 §7.1).
    InvalidChunkSize,
    /// A chunk extension is malformed (RFC 9112 §7.1.1).
    InvalidChunkExtension,
    /// Chunk extensions longer than
    /// [`Config::max_chunk_ext_len`](crate::Config::max_chunk_ext_len).
    ChunkExtensionTooLong,
    /// The chunk extensions of one body, together, are longer than
    /// [`Config::max_chunk_ext_total`](crate::Config::max_chunk_ext_total)
    /// (RFC 9112 §7.1.1).
    ChunkExtensionsTooLong,
    /// Chunk data not followed by exactly CRLF (RFC 9112 §7.1).
    MissingChunkTerminator,
    /// A trailer field is malformed (RFC 9112 §7.1.2).
    InvalidTrailer,
    /// The trailer section is longer than
    /// [`Config::max_trailers_len`](crate::Config::max_trailers_len).
    TrailersTooLarge,
    /// The body is longer than [`Config::max_body_len`](crate::Config::max_body_len).
    BodyTooLarge,
    /// The peer closed the connection in the middle of a message
    /// (RFC 9112 §8: an incomplete message), including a client that sent
    /// `Expect: 100-continue` and closed without sending the body it
    /// announced (the server may still answer before closing).
    IncompleteMessage,
    /// Bytes arrived from a server while no request was outstanding: an
    /// unsolicited response or a stale connection (client role).
    UnsolicitedResponse,
    /// More interim (1xx) responses in one exchange than
    /// [`Config::max_interim_responses`](crate::Config::max_interim_responses)
    /// (client role).
    TooManyInterimResponses,
    /// A `101 Switching Protocols` answered a request that offered no
    /// `Upgrade` (RFC 9110 §15.2.2) (client role).
    UnexpectedSwitch,
    /// A CONNECT request that declares content (`Transfer-Encoding`, or a
    /// `Content-Length` other than 0): RFC 9110 §9.3.6, "A CONNECT request
    /// message does not have content", and peers would disagree on where
    /// the tunnel begins.
    ConnectWithContent,
    /// A head started but did not complete within
    /// [`Config::head_timeout`](crate::Config::head_timeout) (408).
    HeadTimeout,
    /// A body made no progress within
    /// [`Config::body_timeout`](crate::Config::body_timeout) (408).
    BodyTimeout,
}

impl RecvErrorKind {
    /// The status a server answers this violation with.
    pub const fn status(self) -> u16 {
        use RecvErrorKind::*;
        match self {
            UnsupportedVersion => 505,
            HeadTimeout | BodyTimeout => 408,
            HeadTooLarge | TooManyHeaders | TrailersTooLarge => 431,
            TargetTooLong => 414,
            UnknownTransferCoding | MethodTooLong => 501,
            BodyTooLarge => 413,
            _ => 400,
        }
    }

    /// A short description in plain words.
    pub const fn description(self) -> &'static str {
        use RecvErrorKind::*;
        match self {
            InvalidStartLine => "malformed start line",
            InvalidMethod => "invalid method",
            InvalidTarget => "invalid request-target",
            InvalidVersion => "malformed HTTP version",
            UnsupportedVersion => "unsupported HTTP major version",
            InvalidStatus => "invalid status code",
            InvalidHeaderName => "invalid field name",
            WhitespaceBeforeColon => "whitespace between field name and colon",
            InvalidHeaderValue => "invalid field value",
            ObsFold => "obsolete line folding",
            BareLf => "bare LF line terminator",
            MissingHost => "missing Host field",
            DuplicateHost => "more than one Host field",
            InvalidHost => "invalid Host field",
            HeadTooLarge => "message head too large",
            TooManyHeaders => "too many header fields",
            TargetTooLong => "request-target too long",
            MethodTooLong => "method longer than any implemented",
            ChunkExtensionsTooLong => "chunk extensions of one body too long",
            InvalidContentLength => "invalid Content-Length",
            TransferEncodingNotChunked => "Transfer-Encoding whose final coding is not chunked",
            InvalidTransferCoding => "malformed transfer coding",
            UnknownTransferCoding => "unsupported transfer coding",
            Http10TransferEncoding => "Transfer-Encoding in an HTTP/1.0 message",
            InvalidChunkSize => "invalid chunk size",
            InvalidChunkExtension => "invalid chunk extension",
            ChunkExtensionTooLong => "chunk extension too long",
            MissingChunkTerminator => "chunk data not followed by CRLF",
            InvalidTrailer => "invalid trailer field",
            TrailersTooLarge => "trailer section too large",
            BodyTooLarge => "message body too large",
            IncompleteMessage => "connection closed inside a message",
            UnsolicitedResponse => "response bytes with no request outstanding",
            TooManyInterimResponses => "too many interim 1xx responses in one exchange",
            UnexpectedSwitch => "101 response to a request that offered no upgrade",
            ConnectWithContent => "CONNECT request with content",
            HeadTimeout => "head not complete in time",
            BodyTimeout => "no body progress in time",
        }
    }
}

/// The peer's bytes broke the protocol. The connection is unusable
/// afterwards: [`poll_event`](crate::Connection::poll_event) returns the
/// error once, then [`Recv::Finished`](crate::Recv::Finished).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecvError {
    kind: RecvErrorKind,
    role: Role,
}

impl RecvError {
    pub(crate) const fn new(kind: RecvErrorKind, role: Role) -> Self {
        Self { kind, role }
    }

    /// Which rule was broken.
    pub const fn kind(&self) -> RecvErrorKind {
        self.kind
    }

    /// The status to answer with, when this side is the server; `None` on
    /// the client side, which has nobody to answer.
    pub const fn status(&self) -> Option<u16> {
        match self.role {
            Role::Server => Some(self.kind.status()),
            Role::Client => None,
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status() {
            Some(s) => write!(f, "{} ({s})", self.kind.description()),
            None => f.write_str(self.kind.description()),
        }
    }
}

impl std::error::Error for RecvError {}

/// The caller asked for something the protocol or the connection's state
/// does not allow. Nothing was written and the state did not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError {
    /// A client sends requests; a server sends responses.
    WrongRole,
    /// A head was already sent in this exchange. Send its body with
    /// `send_data` and finish it with `send_end`; the next head waits for
    /// the next exchange ([`Event::Cycle`](crate::Event::Cycle)).
    HeadAlreadySent,
    /// A server answered before receiving a request. Call `poll_event`
    /// until it returns [`Event::Request`](crate::Event::Request), then
    /// respond.
    NoRequestToAnswer,
    /// Body data or an end of message before any head in this exchange.
    /// Send the head first (`send_request` or `send_response`).
    NoHeadSent,
    /// This side's message already ended. Wait for the exchange to end
    /// ([`Event::Cycle`](crate::Event::Cycle)) before sending more.
    MessageEnded,
    /// A client sent a request while the previous exchange is still going.
    /// Call `poll_event` until it returns [`Event::Cycle`](crate::Event::Cycle)
    /// (one request at a time unless
    /// [`Config::max_pipeline`](crate::Config::max_pipeline) allows more).
    ExchangeInProgress,
    /// A switching response (101, 2xx to CONNECT) before the request
    /// ended: the bytes after the request belong to the new protocol, so
    /// read the request to its [`Event::End`](crate::Event::End) first.
    SwitchBeforeRequestEnd,
    /// The connection is closing, closed, switched or broken.
    ConnectionClosed,
    /// The method is not a token.
    InvalidMethod,
    /// An HTTP/1.1 request without exactly one `Host` field (RFC 9112 §3.2).
    InvalidHost,
    /// The request-target is empty or has a byte outside visible ASCII.
    InvalidTarget,
    /// The status code is outside 100..=999, or a 101 was sent to a
    /// request that offered no upgrade.
    InvalidStatus,
    /// The reason phrase has CR, LF, NUL or another control byte.
    InvalidReason,
    /// A field name is empty or not a token.
    InvalidHeaderName,
    /// A field value has CR, LF, NUL or another control byte, or leading
    /// or trailing whitespace.
    InvalidHeaderValue,
    /// `Content-Length` is not one decimal number, or appears with
    /// `Transfer-Encoding`, or in a message that must not carry it.
    InvalidContentLength,
    /// `Transfer-Encoding` whose final coding is not `chunked`, or in a
    /// message that must not carry it.
    InvalidTransferEncoding,
    /// Body data for a message that has none (HEAD response, 1xx, 204,
    /// 304, a request without framing headers).
    BodyNotAllowed,
    /// More body bytes than the declared `Content-Length`.
    BodyTooLong,
    /// End of message before the declared `Content-Length` was sent.
    BodyTooShort,
    /// Trailers on a message that is not chunked, or a trailer field that
    /// controls framing, routing or the connection (RFC 9110 §6.5.1).
    InvalidTrailer,
    /// The client has unread bytes from the server, or saw it close, while
    /// no request was outstanding: this connection cannot be reused.
    NotReusable,
    /// Pipelining ([`Config::max_pipeline`](crate::Config::max_pipeline)
    /// above 1): this request may not go out before earlier responses
    /// arrive, for the reason given. Poll until
    /// [`Event::Cycle`](crate::Event::Cycle) and try again (or, for
    /// [`PipelineRefusal::Closing`](crate::PipelineRefusal::Closing), use a new connection).
    Pipeline(crate::PipelineRefusal),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SendError::*;
        f.write_str(match self {
            WrongRole => "message kind does not match the connection's role",
            HeadAlreadySent => "a head was already sent in this exchange: send its body and end",
            NoRequestToAnswer => "no request received yet: poll_event until Event::Request",
            NoHeadSent => "no head sent in this exchange: send a head first",
            MessageEnded => "message already ended: wait for Event::Cycle",
            ExchangeInProgress => "previous exchange not finished: poll_event until Event::Cycle",
            SwitchBeforeRequestEnd => {
                "switching before the request ended: read it to Event::End first"
            }
            ConnectionClosed => "connection is closing or closed",
            InvalidMethod => "invalid method",
            InvalidHost => "missing or repeated Host field",
            InvalidTarget => "invalid request-target",
            InvalidStatus => "invalid status code",
            InvalidReason => "invalid reason phrase",
            InvalidHeaderName => "invalid field name",
            InvalidHeaderValue => "invalid field value",
            InvalidContentLength => "invalid or forbidden Content-Length",
            InvalidTransferEncoding => "invalid or forbidden Transfer-Encoding",
            BodyNotAllowed => "this message has no body",
            BodyTooLong => "more body bytes than Content-Length",
            BodyTooShort => "fewer body bytes than Content-Length",
            InvalidTrailer => "trailers not allowed here",
            NotReusable => "connection is not reusable",
            Pipeline(why) => why.description(),
        })
    }
}

impl std::error::Error for SendError {}
