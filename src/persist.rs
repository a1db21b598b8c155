//! RFC 9112 §9.3 and §9.6 — does this exchange leave the connection open?
//!
//! Pure functions over one message's facts, plus the reasons a connection
//! closes. The persistence latch itself lives in `state.rs`.

use crate::framing::Framing;
use crate::headers::list_elements;
use crate::message::{BodyLength, Role, Version};
use crate::syntax::parse_decimal;

/// Whether the connection persists after an exchange, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Persist {
    /// The connection stays open for another exchange.
    KeepAlive,
    /// The connection closes after this exchange, for this (first) reason.
    Close(CloseReason),
}

impl Persist {
    /// `true` for [`Persist::KeepAlive`].
    pub const fn is_keep_alive(self) -> bool {
        matches!(self, Self::KeepAlive)
    }
}

/// Why a connection does not persist. Only the first reason is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// A message carried the `close` connection option (RFC 9112 §9.6);
    /// `by` is the role that sent it.
    ConnectionClose {
        /// Who sent `Connection: close`.
        by: Role,
    },
    /// An HTTP/1.0 message without `Connection: keep-alive` (RFC 9112 §9.3);
    /// `by` is the role that sent it.
    Http10 {
        /// Who sent the HTTP/1.0 message.
        by: Role,
    },
    /// The response body is delimited by closing the connection (RFC 9112
    /// §6.3 rule 7, or a response to an HTTP/1.0 request without length).
    UntilCloseBody,
    /// The message had both `Transfer-Encoding` and `Content-Length`
    /// (RFC 9112 §6.1: MUST close after).
    ConflictingFraming,
    /// The peer broke the protocol ([`RecvError`](crate::RecvError)).
    ProtocolError,
    /// The peer closed its side.
    PeerClosed,
    /// The connection switched protocols (101, or 2xx to CONNECT).
    Switched,
    /// The server answered before reading the request body, and the rest
    /// of that body cannot be read safely (e.g. `Expect: 100-continue`
    /// refused with a final status, or more left than
    /// [`Config::drain_budget`](crate::Config::drain_budget)).
    UnreadBody,
    /// Nothing happened for [`Config::idle_timeout`](crate::Config::idle_timeout).
    IdleTimeout,
    /// A head did not complete within [`Config::head_timeout`](crate::Config::head_timeout).
    HeadTimeout,
    /// A body stalled for [`Config::body_timeout`](crate::Config::body_timeout).
    BodyTimeout,
    /// The connection carried [`Config::max_requests`](crate::Config::max_requests) exchanges.
    MaxRequests,
}

impl core::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ConnectionClose { by } => write!(f, "{by} sent Connection: close"),
            Self::Http10 { by } => write!(f, "{by} spoke HTTP/1.0 without Connection: keep-alive"),
            Self::UntilCloseBody => f.write_str("body delimited by connection close"),
            Self::ConflictingFraming => f.write_str("both Transfer-Encoding and Content-Length"),
            Self::ProtocolError => f.write_str("protocol error"),
            Self::PeerClosed => f.write_str("peer closed the connection"),
            Self::Switched => f.write_str("protocol switched"),
            Self::UnreadBody => f.write_str("request body left unread"),
            Self::IdleTimeout => f.write_str("idle timeout"),
            Self::HeadTimeout => f.write_str("head read timeout"),
            Self::BodyTimeout => f.write_str("body progress timeout"),
            Self::MaxRequests => f.write_str("maximum requests per connection reached"),
        }
    }
}

/// The persistence options of one message's `Connection` fields (RFC 9112
/// §9.6): a comma list across every line, tokens case-insensitive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConnectionOptions {
    pub(crate) close: bool,
    pub(crate) keep_alive: bool,
}

impl ConnectionOptions {
    /// Reads the values of every `Connection` line.
    pub(crate) fn of<'a>(values: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut o = Self::default();
        for value in values {
            // The usual value is one option: no list to split.
            if value.eq_ignore_ascii_case(b"keep-alive") {
                o.keep_alive = true;
                continue;
            }
            if value.eq_ignore_ascii_case(b"close") {
                o.close = true;
                continue;
            }
            for option in list_elements(value) {
                o.close |= option.eq_ignore_ascii_case(b"close");
                o.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        }
        o
    }
}

/// RFC 9112 §9.3: what one message, sent by `by`, says about persistence.
///
/// - `close` in the `Connection` list (any line, any case) means close;
///   a `keep-alive` elsewhere does not undo it.
/// - HTTP/1.1 persists unless told otherwise.
/// - HTTP/1.0 persists only with `keep-alive` in the `Connection` list.
pub(crate) const fn message_verdict(
    by: Role,
    version: Version,
    connection: ConnectionOptions,
) -> Option<CloseReason> {
    if connection.close {
        return Some(CloseReason::ConnectionClose { by });
    }
    match version {
        Version::Http11 => None,
        Version::Http10 if connection.keep_alive => None,
        Version::Http10 => Some(CloseReason::Http10 { by }),
    }
}

/// RFC 9112 §9.6, half-close: the peer closed its sending side after a
/// complete message. That message is still answered; if nothing else it
/// sent is waiting (no pipelined request), the connection closes after the
/// answer — otherwise the waiting requests are answered first.
pub(crate) fn half_close_verdict(
    message_complete: bool,
    rest_is_blank: bool,
) -> Option<CloseReason> {
    (message_complete && rest_is_blank).then_some(CloseReason::PeerClosed)
}

/// Where the request stands when a server sends its final response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EarlyResponse {
    pub(crate) expect_continue: bool,
    pub(crate) sent_continue: bool,
    pub(crate) request_done: bool,
    /// The application said it will not read the rest of the request
    /// body ([`Connection::discard_request_body`](crate::Connection::discard_request_body)).
    pub(crate) discard: bool,
}

/// RFC 9112 §9.3/§9.6 for a final response this server sends, in the
/// order the client will apply them on receipt (framing first, then the
/// `Connection` field), so both sides record the same first reason:
///
/// - a body delimited by close (no length toward HTTP/1.0);
/// - an early response: RFC 9110 §10.1.1, the client that sent
///   `Expect: 100-continue` and got no `100` may never send the body it
///   announced, so only closing leaves no doubt about what follows; and a
///   body the application said it will not read. An early response
///   without either keeps the connection open at its head: the
///   application may go on reading while it answers (full duplex), and the
///   decision waits for the end of the response;
/// - the caller's own `Connection: close`.
pub(crate) fn sent_response_verdict(
    length: BodyLength,
    early: EarlyResponse,
    connection: ConnectionOptions,
) -> Option<CloseReason> {
    if length == BodyLength::UntilClose {
        return Some(CloseReason::UntilCloseBody);
    }
    let unanswered_expect = early.expect_continue && !early.sent_continue;
    if !early.request_done && (unanswered_expect || early.discard) {
        return Some(CloseReason::UnreadBody);
    }
    message_verdict(Role::Server, Version::Http11, connection)
}

/// What a message's framing says about persistence (RFC 9112 §6.1, §6.3).
pub(crate) fn framing_verdict(framing: &Framing) -> Option<CloseReason> {
    if framing.switch.is_some() {
        Some(CloseReason::Switched)
    } else if framing.conflicting {
        Some(CloseReason::ConflictingFraming)
    } else if framing.length == BodyLength::UntilClose {
        Some(CloseReason::UntilCloseBody)
    } else {
        None
    }
}

/// `Keep-Alive` parameters a peer advertised (RFC 2068 §19.7.1.1 style:
/// `Keep-Alive: timeout=5, max=100`). Hints only: HTTP/1.1 does not define
/// the field, so nothing depends on them being present or accurate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct KeepAliveHint {
    /// How long the peer keeps an idle connection, in seconds.
    pub timeout: Option<u64>,
    /// How many more exchanges the peer allows on this connection.
    pub max: Option<u64>,
}

impl KeepAliveHint {
    /// Parses every `Keep-Alive` field value given; unknown parameters and
    /// malformed numbers are ignored. `None` if no parameter was found.
    pub(crate) fn parse<'a>(values: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let mut hint = Self::default();
        let mut any = false;
        for param in values.flat_map(list_elements) {
            let mut kv = param.splitn(2, |&b| b == b'=');
            let key = crate::headers::trim_ows(kv.next().unwrap_or(b""));
            let Some(value) = kv
                .next()
                .map(crate::headers::trim_ows)
                .and_then(parse_decimal)
            else {
                continue;
            };
            if key.eq_ignore_ascii_case(b"timeout") {
                hint.timeout = Some(value);
                any = true;
            } else if key.eq_ignore_ascii_case(b"max") {
                hint.max = Some(value);
                any = true;
            }
        }
        any.then_some(hint)
    }
}

#[cfg(test)]
mod tests {
    //! RFC 9112 §9.3 and §9.6, one row per sentence, calling the pure
    //! functions directly.
    use super::*;

    fn opts(close: bool, keep_alive: bool) -> ConnectionOptions {
        ConnectionOptions { close, keep_alive }
    }

    #[test]
    fn rfc9112_9_3_message_verdict() {
        use Role::*;
        use Version::*;
        let rows = [
            // "If the close connection option is present, the connection
            // will not persist after the current response" (§9.3).
            (
                Client,
                Http11,
                opts(true, false),
                Some(CloseReason::ConnectionClose { by: Client }),
            ),
            // A keep-alive elsewhere does not undo a close.
            (
                Server,
                Http10,
                opts(true, true),
                Some(CloseReason::ConnectionClose { by: Server }),
            ),
            // "Otherwise, if the received protocol is HTTP/1.1 (or later),
            // the connection will persist".
            (Client, Http11, opts(false, false), None),
            // "Otherwise, if the received protocol is HTTP/1.0, the
            // keep-alive connection option is present, ... persist".
            (Server, Http10, opts(false, true), None),
            // "Otherwise, the connection will close after the current
            // response."
            (
                Client,
                Http10,
                opts(false, false),
                Some(CloseReason::Http10 { by: Client }),
            ),
        ];
        for (by, version, o, want) in rows {
            assert_eq!(
                message_verdict(by, version, o),
                want,
                "{by:?} {version:?} {o:?}"
            );
        }
    }

    #[test]
    fn connection_options_are_one_list_across_lines_and_case() {
        let lines: [&[u8]; 2] = [b"Upgrade, KEEP-ALIVE", b" x ,Close"];
        assert_eq!(ConnectionOptions::of(lines.into_iter()), opts(true, true));
        assert_eq!(
            ConnectionOptions::of(core::iter::empty()),
            opts(false, false)
        );
        assert_eq!(
            ConnectionOptions::of([&b"closed"[..]].into_iter()),
            opts(false, false)
        );
    }

    #[test]
    fn rfc9112_9_6_half_close_and_sent_responses() {
        // A complete message followed by the peer's close, with nothing
        // pipelined: answer it, then close.
        assert_eq!(
            half_close_verdict(true, true),
            Some(CloseReason::PeerClosed)
        );
        assert_eq!(
            half_close_verdict(true, false),
            None,
            "pipelined requests first"
        );
        assert_eq!(
            half_close_verdict(false, true),
            None,
            "incomplete: not a clean close"
        );
        let early = |expect_continue, sent_continue, request_done, discard| EarlyResponse {
            expect_continue,
            sent_continue,
            request_done,
            discard,
        };
        let none = opts(false, false);
        let rows = [
            (
                BodyLength::UntilClose,
                early(false, false, true, false),
                none,
                Some(CloseReason::UntilCloseBody),
            ),
            // RFC 9110 §10.1.1: an unanswered 100-continue, body unread.
            (
                BodyLength::Fixed(0),
                early(true, false, false, false),
                none,
                Some(CloseReason::UnreadBody),
            ),
            (
                BodyLength::Fixed(0),
                early(true, true, false, false),
                none,
                None,
            ),
            // Full duplex: an early head alone does not close.
            (
                BodyLength::Chunked,
                early(false, false, false, false),
                none,
                None,
            ),
            (
                BodyLength::Chunked,
                early(false, false, false, true),
                none,
                Some(CloseReason::UnreadBody),
            ),
            (
                BodyLength::Fixed(2),
                early(false, false, true, false),
                opts(true, false),
                Some(CloseReason::ConnectionClose { by: Role::Server }),
            ),
        ];
        for (length, e, o, want) in rows {
            assert_eq!(
                sent_response_verdict(length, e, o),
                want,
                "{length:?} {e:?} {o:?}"
            );
        }
    }

    #[test]
    fn keep_alive_hints_ignore_what_they_do_not_know() {
        let v: [&[u8]; 1] = [b"timeout=5, max=100, foo=bar, max=x"];
        let hint = KeepAliveHint::parse(v.into_iter()).unwrap();
        assert_eq!((hint.timeout, hint.max), (Some(5), Some(100)));
        assert_eq!(KeepAliveHint::parse([&b"foo"[..]].into_iter()), None);
    }
}
