//! What an HTTP/1.1 intermediary must change in a message it forwards
//! (RFC 9110 §7.6): hop-by-hop fields out, `Via` in, and a body framing
//! the next hop can read.
//!
//! This module is always compiled: it needs nothing beyond the received
//! heads and the borrowed [`Request`]/[`Response`] the machine already
//! sends, and it is small. It does no IO; `examples/proxy.rs` shows a
//! reverse proxy built on it.
//!
//! A forwarded head borrows its fields from the received head and from the
//! [`Proxy`]; building one costs one `Vec` of field references, nothing is
//! copied.
//!
//! ```
//! use keepalive::proxy::Proxy;
//! use keepalive::{Config, Connection, Event, Recv, Role, SendBuf, Version};
//!
//! let proxy = Proxy::new("edge").unwrap();
//! let mut downstream = Connection::new(Role::Server, Config::default());
//! downstream.receive(b"POST /up HTTP/1.1\r\nHost: app\r\nConnection: x-trace\r\n\
//!     X-Trace: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
//! let Ok(Recv::Event(Event::Request(head))) = downstream.poll_event() else { panic!() };
//!
//! let fwd = proxy.forward_request(&head, Version::Http11).unwrap();
//! let mut upstream = Connection::new(Role::Client, Config::default());
//! let mut out = SendBuf::new();
//! upstream.send_request(&fwd.head(), &mut out).unwrap();
//! let len = out.len();
//! let sent = String::from_utf8(bytes::Buf::copy_to_bytes(&mut out, len).to_vec()).unwrap();
//! assert_eq!(
//!     sent,
//!     "POST /up HTTP/1.1\r\nHost: app\r\nVia: 1.1 edge\r\nTransfer-Encoding: chunked\r\n\r\n"
//! );
//! ```

use core::fmt;

use crate::{
    BodyLength, Header, Headers, Request, RequestHead, Response, ResponseHead, SendError, Version,
};

/// Fields that concern only the connection they arrive on, whatever the
/// `Connection` field says (RFC 9110 §7.6.1: "Proxy-Connection,
/// Keep-Alive, TE, Transfer-Encoding, and Upgrade", plus `Connection`
/// itself; RFC 9110 §11.7.1–2 for the proxy authentication fields, which
/// are "consumed by the first inbound proxy").
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

/// Whether the field `name` of a message whose fields are `fields` is
/// hop-by-hop: one of the fixed list of RFC 9110 §7.6.1 (`Connection`,
/// `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding`, `Upgrade`,
/// and the `Proxy-Authenticate`/`Proxy-Authorization` pair), or named as a
/// connection option in one of the message's `Connection` fields.
///
/// RFC 9110 §7.6.1: "Intermediaries MUST parse a received Connection
/// header field before a message is forwarded and, for each
/// connection-option in this field, remove any header or trailer field(s)
/// from the message with the same name as the connection-option".
pub fn is_hop_by_hop(name: &[u8], fields: &Headers) -> bool {
    HOP_BY_HOP
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h.as_bytes()))
        || fields
            .list("connection")
            .any(|option| option.eq_ignore_ascii_case(name))
}

/// The end-to-end fields of a message, in received order and case:
/// `fields` without its hop-by-hop ones ([`is_hop_by_hop`]).
pub fn end_to_end(fields: &Headers) -> impl Iterator<Item = Header<'_>> {
    fields
        .iter()
        .filter(move |h| !is_hop_by_hop(h.name, fields))
}

/// Why a received message cannot be forwarded as it is. Each says what to
/// answer the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForwardError {
    /// A chunked request toward an HTTP/1.0 server, which cannot read the
    /// chunked coding (RFC 9112 §6.1) and would need the whole body
    /// buffered to learn its length: answer `411 Length Required`.
    LengthRequired,
    /// The body carries a transfer coding other than `chunked`, which is
    /// not passed on: only a response can arrive with one (`gzip` as its
    /// final coding, read until close), since the machine refuses a
    /// request whose codings it cannot decode. The answer is `status`: 502
    /// for a response, 501 for a request (RFC 9112 §6.1: "A server that
    /// receives a request message with a transfer coding it does not
    /// understand SHOULD respond with 501").
    TransferCoding {
        /// The status to answer with.
        status: u16,
    },
    /// An HTTP/1.1 request needs `Host` (RFC 9112 §3.2), and the received
    /// one had none (an HTTP/1.0 client, or `Host` named in `Connection`)
    /// and no [`Proxy::default_host`] was set: answer `400 Bad Request`.
    NoHost,
}

impl ForwardError {
    /// The status code to answer the client with.
    pub const fn status(self) -> u16 {
        match self {
            Self::LengthRequired => 411,
            Self::TransferCoding { status } => status,
            Self::NoHost => 400,
        }
    }
}

impl fmt::Display for ForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LengthRequired => "chunked request toward an HTTP/1.0 server",
            Self::TransferCoding { .. } => "transfer coding that cannot be forwarded",
            Self::NoHost => "request without Host",
        })
    }
}

impl std::error::Error for ForwardError {}

/// An intermediary's settings: its name in `Via`, and what it passes on.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// `Via` values for a message received as HTTP/1.0 and as HTTP/1.1.
    via: [String; 2],
    relay_proxy_auth: bool,
    default_host: Option<String>,
}

impl Proxy {
    /// A proxy that calls itself `received_by` in `Via` (RFC 9110 §7.6.3:
    /// `received-by = pseudonym / host [ ":" port ]`; "If a real host
    /// name is considered to be sensitive information, a sender MAY replace
    /// it with a pseudonym"). `Err` when it is empty or has a byte outside
    /// visible ASCII, a comma or a parenthesis.
    pub fn new(received_by: &str) -> Result<Self, SendError> {
        let valid = !received_by.is_empty()
            && received_by
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b',' | b'(' | b')'));
        if !valid {
            return Err(SendError::InvalidHeaderValue);
        }
        Ok(Self {
            // RFC 9110 §7.6.3: "received-protocol = [ protocol-name "/" ]
            // protocol-version", "the protocol-name is omitted if it is HTTP".
            via: [format!("1.0 {received_by}"), format!("1.1 {received_by}")],
            relay_proxy_auth: false,
            default_host: None,
        })
    }

    /// Pass `Proxy-Authorization` and `Proxy-Authenticate` on instead of
    /// removing them. Off by default: RFC 9110 §11.7.2 says
    /// Proxy-Authorization "is consumed by the first inbound proxy that was
    /// expecting to receive credentials. A proxy MAY relay the credentials
    /// from the client request to the next proxy if that is the mechanism
    /// by which the proxies cooperatively authenticate a given request."
    pub fn relay_proxy_auth(mut self, relay: bool) -> Self {
        self.relay_proxy_auth = relay;
        self
    }

    /// The `Host` to send when a forwarded request has none (an HTTP/1.0
    /// client may omit it, RFC 9112 §3.2 requires it in HTTP/1.1): usually
    /// the upstream's authority. `Err` when it is empty or has a byte
    /// outside visible ASCII.
    pub fn default_host(mut self, host: &str) -> Result<Self, SendError> {
        if host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SendError::InvalidHeaderValue);
        }
        self.default_host = Some(host.to_owned());
        Ok(self)
    }

    /// This proxy's `Via` value for a message received with `version`.
    pub fn via(&self, version: Version) -> &str {
        &self.via[usize::from(version == Version::Http11)]
    }

    /// Whether a field is left out of a forwarded message.
    fn drops(&self, h: &Header<'_>, fields: &Headers) -> bool {
        let auth = h.is("proxy-authorization") || h.is("proxy-authenticate");
        // The framing fields are chosen again for the next hop.
        h.is("content-length")
            || (is_hop_by_hop(h.name, fields) && !(auth && self.relay_proxy_auth))
    }

    /// The end-to-end fields of `fields`, then this proxy's `Via` last, so
    /// that it follows every earlier `Via` (RFC 9110 §7.6.3: "each
    /// intermediary appends its own information").
    fn fields<'a>(&'a self, fields: &'a Headers, version: Version) -> Vec<Header<'a>> {
        let mut out = Vec::with_capacity(fields.len() + 2);
        out.extend(fields.iter().filter(|h| !self.drops(h, fields)));
        out.push(Header::new("Via", self.via(version)));
        out
    }

    /// The head to send upstream for a received request, toward a server
    /// speaking `upstream` (HTTP/1.1 unless it is known to be 1.0). The
    /// forwarded request carries `upstream` as its version: intermediaries
    /// "MUST send their own HTTP-version in forwarded messages" (RFC 9110
    /// §6.2).
    ///
    /// Method, target and end-to-end fields pass unchanged (case and
    /// order kept), `Expect: 100-continue` included: relay the upstream's
    /// `100` with [`forward_response`](Self::forward_response). Toward an
    /// HTTP/1.0 upstream, which will never send one, the proxy "MAY
    /// generate an immediate 100 (Continue) response" itself (RFC 9110
    /// §10.1.1). An HTTP/1.0 request loses its `Expect`: "A server that
    /// receives a 100-continue expectation in an HTTP/1.0 request MUST
    /// ignore that expectation" (ibid.), and forwarding it as HTTP/1.1
    /// would revive it. The body keeps its framing when the upstream can
    /// read it:
    ///
    /// | received | toward 1.1 | toward 1.0 |
    /// |---|---|---|
    /// | no body | no body | no body |
    /// | `Content-Length` | the same length | the same length |
    /// | chunked | chunked, trailers pass ([`forward_trailers`](Self::forward_trailers)) | [`ForwardError::LengthRequired`] |
    ///
    /// The received `Content-Length` and `Transfer-Encoding` are replaced
    /// by one field saying the outgoing framing (RFC 9112 §6.3 rule 3: an
    /// intermediary that receives both "MUST remove the received
    /// Content-Length field prior to forwarding").
    pub fn forward_request<'a>(
        &'a self,
        head: &'a RequestHead,
        upstream: Version,
    ) -> Result<ForwardedRequest<'a>, ForwardError> {
        let received = head.headers();
        let mut fields = self.fields(received, head.version());
        if head.version() == Version::Http10 {
            fields.retain(|h| !h.is("expect"));
        }
        let body = match head.body_length() {
            BodyLength::Empty => BodyLength::Empty,
            BodyLength::Fixed(n) => {
                fields.push(content_length(received));
                BodyLength::Fixed(n)
            }
            BodyLength::Chunked | BodyLength::UntilClose => {
                if upstream == Version::Http10 {
                    return Err(ForwardError::LengthRequired);
                }
                fields.push(chunked(received).ok_or(ForwardError::TransferCoding { status: 501 })?);
                BodyLength::Chunked
            }
        };
        if upstream == Version::Http11 && !fields.iter().any(|h| h.is("host")) {
            let host = self.default_host.as_deref().ok_or(ForwardError::NoHost)?;
            fields.insert(0, Header::new("Host", host));
        }
        Ok(ForwardedRequest {
            method: head.method(),
            target: head.target(),
            version: upstream,
            fields,
            body,
        })
    }

    /// The head to send the client for a received response, toward a
    /// client that sent its request as `client`. `Ok(None)` for an interim
    /// (1xx) response to an HTTP/1.0 client, which must not receive one
    /// (RFC 9110 §15.2: "A proxy MUST forward 1xx responses unless the
    /// proxy itself requested the generation of the 1xx response"; "A
    /// server MUST NOT send a 1xx response to an HTTP/1.0 client").
    ///
    /// | received | toward 1.1 | toward 1.0 |
    /// |---|---|---|
    /// | no body (HEAD, 1xx, 204, 304) | no body, `Content-Length` kept except on 1xx and 204 | the same |
    /// | `Content-Length` | the same length | the same length |
    /// | chunked | chunked, trailers pass | ends at close |
    /// | ends at close | chunked | ends at close |
    ///
    /// A final coding other than chunked (`gzip`, the body read until
    /// close) is [`ForwardError::TransferCoding`] (502). A reason phrase
    /// that is not UTF-8 becomes the canonical one.
    pub fn forward_response<'a>(
        &'a self,
        head: &'a ResponseHead,
        client: Version,
    ) -> Result<Option<ForwardedResponse<'a>>, ForwardError> {
        let status = head.status();
        if (100..200).contains(&status) && client == Version::Http10 {
            return Ok(None);
        }
        let received = head.headers();
        let mut fields = self.fields(received, head.version());
        let coding_error = ForwardError::TransferCoding { status: 502 };
        let body = match head.body_length() {
            BodyLength::Empty => {
                // RFC 9110 §8.6: a HEAD or 304 response may state the
                // length the GET would have had; 1xx and 204 may not.
                if status >= 200 && status != 204 && received.contains("content-length") {
                    fields.push(content_length(received));
                }
                BodyLength::Empty
            }
            BodyLength::Fixed(n) => {
                fields.push(content_length(received));
                BodyLength::Fixed(n)
            }
            BodyLength::Chunked | BodyLength::UntilClose if client == Version::Http11 => {
                fields.push(chunked(received).ok_or(coding_error)?);
                BodyLength::Chunked
            }
            BodyLength::Chunked | BodyLength::UntilClose => {
                if received.list("transfer-encoding").any(|c| !is_chunked(c)) {
                    return Err(coding_error);
                }
                // No framing field: the machine ends the body at close.
                BodyLength::UntilClose
            }
        };
        let reason = core::str::from_utf8(head.reason()).unwrap_or("");
        Ok(Some(ForwardedResponse {
            status,
            reason,
            fields,
            body,
        }))
    }

    /// The trailer fields to pass on, given the received head's fields,
    /// the received trailers and the outgoing framing
    /// ([`ForwardedRequest::body`], [`ForwardedResponse::body`]). Fields
    /// the head named in `Connection` stay behind (RFC 9110 §7.6.1 says
    /// "header or trailer field(s)"); with a framing other than chunked
    /// there is nowhere to put trailers and none are returned (RFC 9110
    /// §6.5.1: a recipient "MAY discard" them).
    pub fn forward_trailers<'t>(
        &self,
        head: &Headers,
        trailers: &'t Headers,
        outgoing: BodyLength,
    ) -> Vec<Header<'t>> {
        if outgoing != BodyLength::Chunked {
            return Vec::new();
        }
        trailers.iter().filter(|h| !self.drops(h, head)).collect()
    }
}

/// `chunked`, ignoring case (RFC 9112 §7: coding names are
/// case-insensitive).
fn is_chunked(coding: &[u8]) -> bool {
    coding.eq_ignore_ascii_case(b"chunked")
}

/// The received length as one field. The parser accepted it only if every
/// `Content-Length` element is the same decimal, so the first one is the
/// length; sending one element keeps the next hop from having to accept a
/// list.
fn content_length(fields: &Headers) -> Header<'_> {
    let value = fields.list("content-length").next().unwrap_or(b"0");
    Header::bytes(b"Content-Length", value)
}

/// The `Transfer-Encoding` field for a body sent chunked, or `None` when
/// the received body carries another coding. The receiving machine decodes
/// only `chunked` (it refuses a coding before it with 501), so the only
/// other coding that reaches here is a response's final one (`gzip`: read
/// until close, RFC 9112 §6.3 rule 4), which could only go on as a new
/// `gzip, chunked` line.
fn chunked(fields: &Headers) -> Option<Header<'static>> {
    fields
        .list("transfer-encoding")
        .all(is_chunked)
        .then_some(Header::new("Transfer-Encoding", "chunked"))
}

/// A request head to send upstream, built by [`Proxy::forward_request`].
#[derive(Debug, Clone)]
pub struct ForwardedRequest<'a> {
    method: &'a str,
    target: &'a str,
    version: Version,
    fields: Vec<Header<'a>>,
    body: BodyLength,
}

impl ForwardedRequest<'_> {
    /// The request to hand to [`Connection::send_request`](crate::Connection::send_request).
    pub fn head(&self) -> Request<'_> {
        Request {
            method: self.method,
            target: self.target,
            version: self.version,
            headers: &self.fields,
        }
    }

    /// The outgoing body framing: [`BodyLength::Chunked`] means trailers
    /// can follow.
    pub fn body(&self) -> BodyLength {
        self.body
    }
}

/// A response head to send the client, built by [`Proxy::forward_response`].
#[derive(Debug, Clone)]
pub struct ForwardedResponse<'a> {
    status: u16,
    reason: &'a str,
    fields: Vec<Header<'a>>,
    body: BodyLength,
}

impl ForwardedResponse<'_> {
    /// The response to hand to [`Connection::send_response`](crate::Connection::send_response).
    pub fn head(&self) -> Response<'_> {
        Response {
            status: self.status,
            reason: self.reason,
            headers: &self.fields,
        }
    }

    /// The outgoing body framing. [`BodyLength::UntilClose`] toward an
    /// HTTP/1.0 client: the connection closes after this response.
    pub fn body(&self) -> BodyLength {
        self.body
    }
}

#[cfg(test)]
mod tests;
