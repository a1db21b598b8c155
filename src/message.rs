//! The shared nouns of HTTP/1.1 messages: who speaks ([`Role`]), which
//! version, which methods change framing or retry rules, how a body is
//! delimited and how a connection leaves HTTP/1.1. This file imports
//! nothing from the crate, so every other module can depend on it without
//! forming a loop.

use core::fmt;

/// Which end of the connection this machine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends requests, receives responses.
    Client,
    /// Receives requests, sends responses.
    Server,
}

impl Role {
    /// The other end.
    pub const fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Client => "client",
            Self::Server => "server",
        })
    }
}

/// The HTTP version of a message. A received `HTTP/1.x` with x ≥ 2 is
/// processed as 1.1 (RFC 9110 §2.5: a recipient of a higher minor version
/// treats it as the highest minor version it implements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// HTTP/1.0: persistence needs `Connection: keep-alive`, no chunked coding.
    Http10,
    /// HTTP/1.1: persistent by default.
    Http11,
}

impl Version {
    /// `"HTTP/1.0"` or `"HTTP/1.1"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http10 => "HTTP/1.0",
            Self::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request methods the machine tells apart: those that change the
/// response's framing (RFC 9112 §6.3: HEAD, CONNECT) and those a client
/// may retry (RFC 9110 §9.2.2: idempotent). Every other method is
/// [`Method::Unremarkable`]: neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Method {
    Get,
    Head,
    Put,
    Delete,
    Options,
    Trace,
    Connect,
    /// Any other method (POST, PATCH, extension methods): default framing
    /// and not idempotent.
    Unremarkable,
}

impl Method {
    /// Methods are case-sensitive (RFC 9110 §9.1): `get` is not `GET`.
    /// Used on the send path only (received heads use
    /// [`of_standard`](Self::of_standard)); kept out of line, as inlined
    /// there it pushed the send path's funnel call out of line instead
    /// (callgrind: +54 Ir per reply).
    #[inline(never)]
    pub(crate) fn of(m: &[u8]) -> Self {
        match m {
            b"GET" => Self::Get,
            b"HEAD" => Self::Head,
            b"PUT" => Self::Put,
            b"DELETE" => Self::Delete,
            b"OPTIONS" => Self::Options,
            b"TRACE" => Self::Trace,
            b"CONNECT" => Self::Connect,
            _ => Self::Unremarkable,
        }
    }

    /// The method at `index` in the received heads' table of standard
    /// method names (`crate::head::STANDARD_METHODS`, in its order), found
    /// while the head was parsed; any other index is a method outside the
    /// table. Reading a received method so costs no compare.
    pub(crate) const fn of_standard(index: u8) -> Self {
        match index {
            0 => Self::Get,
            1 => Self::Head,
            3 => Self::Put,
            4 => Self::Delete,
            5 => Self::Connect,
            6 => Self::Options,
            7 => Self::Trace,
            // POST, PATCH and every method outside the table.
            _ => Self::Unremarkable,
        }
    }

    /// RFC 9110 §9.2.2: the methods whose repetition has the same effect
    /// as one request, which a client may retry automatically.
    pub(crate) const fn is_idempotent(self) -> bool {
        matches!(
            self,
            Self::Get | Self::Head | Self::Put | Self::Delete | Self::Options | Self::Trace
        )
    }
}

/// How a message body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyLength {
    /// No body at all (HEAD responses, 1xx, 204, 304, requests without
    /// framing fields, switching responses).
    Empty,
    /// Exactly this many bytes (`Content-Length`).
    Fixed(u64),
    /// The chunked transfer coding (RFC 9112 §7.1).
    Chunked,
    /// Everything until the connection closes (responses only).
    UntilClose,
}

/// Which protocol switch a response makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SwitchKind {
    /// `101 Switching Protocols` after an `Upgrade` offer.
    Upgrade,
    /// A 2xx answer to `CONNECT`: the connection becomes a tunnel.
    Connect,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_case_sensitive_and_idempotence_follows_rfc9110() {
        let rows: &[(&[u8], Method, bool)] = &[
            (b"GET", Method::Get, true),
            (b"HEAD", Method::Head, true),
            (b"PUT", Method::Put, true),
            (b"DELETE", Method::Delete, true),
            (b"OPTIONS", Method::Options, true),
            (b"TRACE", Method::Trace, true),
            (b"CONNECT", Method::Connect, false),
            (b"POST", Method::Unremarkable, false),
            (b"PATCH", Method::Unremarkable, false),
            (b"get", Method::Unremarkable, false),
        ];
        for &(bytes, method, idempotent) in rows {
            assert_eq!(Method::of(bytes), method);
            assert_eq!(method.is_idempotent(), idempotent, "{method:?}");
        }
    }
}
