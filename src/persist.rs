//! RFC 9112 §9.3 and §9.6 — does this exchange leave the connection open?
//!
//! Pure functions over one message's facts, plus the reasons a connection
//! closes. The persistence latch itself lives in `state.rs`.

use crate::framing::{BodyLength, Framing};
use crate::head::Version;
use crate::headers::list_elements;
use crate::Role;

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
    /// refused with a final status).
    UnreadBody,
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
        }
    }
}

/// RFC 9112 §9.3: what one message, sent by `by`, says about persistence.
///
/// - `close` in the `Connection` list (any line, any case) means close;
///   a `keep-alive` elsewhere does not undo it.
/// - HTTP/1.1 persists unless told otherwise.
/// - HTTP/1.0 persists only with `keep-alive` in the `Connection` list.
pub(crate) fn message_verdict<'a>(
    by: Role,
    version: Version,
    connection: impl Iterator<Item = &'a [u8]>,
) -> Option<CloseReason> {
    let mut keep_alive = false;
    for option in connection.flat_map(list_elements) {
        if option.eq_ignore_ascii_case(b"close") {
            return Some(CloseReason::ConnectionClose { by });
        }
        keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
    }
    match version {
        Version::Http11 => None,
        Version::Http10 if keep_alive => None,
        Version::Http10 => Some(CloseReason::Http10 { by }),
    }
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
