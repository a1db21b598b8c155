//! Message heads: the received [`RequestHead`] and [`ResponseHead`], and
//! the [`Request`] and [`Response`] a caller sends. The parser that fills
//! the received ones lives in `parse.rs`.

use core::fmt;

use bytes::Bytes;

use crate::headers::{Header, Headers, Known, Latin1};
use crate::lenience::Leniencies;
use crate::message::{BodyLength, Method, Version};

/// A received request head. Method, target and fields are slices of the
/// received bytes (no copy).
#[derive(Clone, PartialEq, Eq)]
pub struct RequestHead {
    headers: Headers,
    method: (u32, u32),
    /// The method's index in [`STANDARD_METHODS`] when it is one of
    /// them (reading it then needs no UTF-8 check), else `u8::MAX`. One
    /// byte, not a `&str`: heads are moved through every event.
    method_name: u8,
    target: (u32, u32),
    version: Version,
    pub(crate) body: BodyLength,
    pub(crate) lenient: Leniencies,
}

impl RequestHead {
    pub(crate) fn new(
        headers: Headers,
        method: (u32, u32),
        method_name: u8,
        target: (u32, u32),
        version: Version,
    ) -> Self {
        Self {
            headers,
            method,
            method_name,
            target,
            version,
            body: BodyLength::Empty,
            lenient: Leniencies::NONE,
        }
    }

    /// The method, e.g. `"GET"` (case-sensitive, RFC 9110 §9.1).
    pub fn method(&self) -> &str {
        match STANDARD_METHODS.get(usize::from(self.method_name)) {
            Some(name) => name,
            None => str_at(self.headers.raw(), self.method),
        }
    }

    /// What the machine needs to know of the method, from the index the
    /// parser found (no compare, no UTF-8 check).
    pub(crate) fn method_kind(&self) -> Method {
        Method::of_standard(self.method_name)
    }

    /// The request-target exactly as received.
    pub fn target(&self) -> &str {
        str_at(self.headers.raw(), self.target)
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields, in received order.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// How the body of this request is framed (RFC 9112 §6.3).
    pub fn body_length(&self) -> BodyLength {
        self.body
    }

    /// The leniencies of [`Config`](crate::Config) that this head needed:
    /// empty unless it bent the grammar in a way the configuration allows.
    pub fn leniencies(&self) -> Leniencies {
        self.lenient
    }

    /// Whether the client asked for `100 Continue` before sending the body
    /// (RFC 9110 §10.1.1). The caller decides: send a `100` response with
    /// [`Connection::send_response`](crate::Connection::send_response), or a
    /// final response straight away.
    pub fn expects_continue(&self) -> bool {
        self.version >= Version::Http11
            && self
                .headers
                .known_list(Known::Expect)
                .any(|e| e.eq_ignore_ascii_case(b"100-continue"))
    }

    /// Whether the request offers a protocol upgrade (`Upgrade` field and
    /// the `upgrade` connection option, RFC 9110 §7.8).
    pub fn is_upgrade(&self) -> bool {
        // RFC 9110 §7.8: a server MUST ignore Upgrade in an HTTP/1.0 request.
        self.version >= Version::Http11
            && self.headers.known(Known::Upgrade).next().is_some()
            && self
                .headers
                .known_list(Known::Connection)
                .any(|o| o.eq_ignore_ascii_case(b"upgrade"))
    }
}

impl fmt::Debug for RequestHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHead")
            .field("method", &self.method())
            .field("target", &self.target())
            .field("version", &self.version)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish()
    }
}

/// A received response head (final, interim 1xx, or 101).
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseHead {
    headers: Headers,
    status: u16,
    reason: (u32, u32),
    version: Version,
    pub(crate) body: BodyLength,
    pub(crate) lenient: Leniencies,
}

impl ResponseHead {
    pub(crate) fn new(headers: Headers, status: u16, reason: (u32, u32), version: Version) -> Self {
        Self {
            headers,
            status,
            reason,
            version,
            body: BodyLength::Empty,
            lenient: Leniencies::NONE,
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as received (may be empty; RFC 9112 §4 says to
    /// ignore it).
    pub fn reason(&self) -> &[u8] {
        let (s, e) = self.reason;
        &self.headers.raw()[s as usize..e as usize]
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields, in received order.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The leniencies of [`Config`](crate::Config) that this head needed:
    /// empty unless it bent the grammar in a way the configuration allows.
    pub fn leniencies(&self) -> Leniencies {
        self.lenient
    }

    /// How the body of this response is framed (RFC 9112 §6.3), given the
    /// request it answers.
    pub fn body_length(&self) -> BodyLength {
        self.body
    }
}

impl fmt::Debug for ResponseHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseHead")
            .field("status", &self.status)
            .field("reason", &Latin1(self.reason()))
            .field("version", &self.version)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish()
    }
}

/// The methods whose names a head hands out without a UTF-8 check.
pub(crate) const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

fn str_at(raw: &Bytes, (s, e): (u32, u32)) -> &str {
    // Method and target were checked to be ASCII when parsed.
    core::str::from_utf8(&raw[s as usize..e as usize]).unwrap_or("")
}

/// A request to send. Borrowed, so sending costs no allocation.
///
/// The machine adds no framing header to a request: a request without
/// `Content-Length` or `Transfer-Encoding` has no body (RFC 9112 §6.3 rule
/// 7), so give `Content-Length`, or `Transfer-Encoding: chunked` to stream.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method token, e.g. `"GET"`.
    pub method: &'a str,
    /// The request-target, e.g. `"/index.html"`.
    pub target: &'a str,
    /// The version to send: HTTP/1.1 unless emulating an HTTP/1.0 client.
    pub version: Version,
    /// The header fields, in the order to send them. Must include `Host`
    /// for HTTP/1.1 (RFC 9112 §3.2).
    pub headers: &'a [Header<'a>],
}

impl<'a> Request<'a> {
    /// An HTTP/1.1 request.
    pub const fn new(method: &'a str, target: &'a str, headers: &'a [Header<'a>]) -> Self {
        Self {
            method,
            target,
            version: Version::Http11,
            headers,
        }
    }
}

/// A response to send. Borrowed, so sending costs no allocation.
///
/// Without `Content-Length` the machine frames the body itself: chunked for
/// an HTTP/1.1 request, until close for HTTP/1.0.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The status code (100..=999).
    pub status: u16,
    /// The reason phrase; empty means the canonical phrase for `status`.
    pub reason: &'a str,
    /// The header fields, in the order to send them.
    pub headers: &'a [Header<'a>],
}

impl<'a> Response<'a> {
    /// A response with the canonical reason phrase.
    pub const fn new(status: u16, headers: &'a [Header<'a>]) -> Self {
        Self {
            status,
            reason: "",
            headers,
        }
    }
}
