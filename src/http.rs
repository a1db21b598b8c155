//! Conversions to and from the [`http`](https://docs.rs/http/1) crate's types (feature
//! `http`, off by default).
//!
//! Received heads become [`::http::request::Parts`] and
//! [`::http::response::Parts`] with [`RequestHead::to_http`] and
//! [`ResponseHead::to_http`]; an `http` head is sent through
//! [`OutgoingRequest`] and [`OutgoingResponse`], which borrow it and hand
//! the machine its borrowed [`Request`]/[`Response`]. Trailers convert
//! with [`trailers_to_http`] and [`trailers_from_http`].
//!
//! # What a conversion loses, and what keeps it
//!
//! A [`HeaderMap`] lowercases field names and groups
//! the lines of one name together, so alone it loses the **case** of names
//! and the **order** of lines with different names. `to_http` therefore
//! also stores the received fields as [`OriginalHeaders`] in the
//! `Extensions` (a cheap clone: it shares the received bytes), and sending
//! uses it: every field whose name and value are still in the map goes out
//! with its received case, in its received order; fields added or changed
//! since follow, in the map's order, with the case of a received field of
//! the same name if there was one, else lowercase. Remove the extension to
//! send the map as it is.
//!
//! Also kept in the `Extensions`:
//! - [`ReasonPhrase`]: a response's reason phrase, when it is not the
//!   canonical one for its status (a phrase that is not UTF-8 is sent as
//!   the canonical one);
//! - [`AbsoluteForm`]: the request-target was in absolute form
//!   (`http://host/path`); without it a request is sent in origin form
//!   (`/path`), as RFC 9112 §3.2.1 requires toward an origin server;
//! - the [`BodyLength`] of the received message.
//!
//! What is lost: a request-target that [`Uri`] refuses is an
//! [`HttpError::Target`] (the machine accepts any visible ASCII a target
//! may hold; `Uri` is stricter); `Uri` may rewrite the target's text
//! (e.g. an empty path becomes `/`). Versions other than HTTP/1.0 and 1.1
//! cannot be sent ([`HttpError::Version`]).
//!
//! ```
//! use keepalive::http::OutgoingRequest;
//! use keepalive::{Config, Connection, Event, Recv, Role, SendBuf};
//!
//! let mut server = Connection::new(Role::Server, Config::default());
//! server.receive(b"GET /a?b HTTP/1.1\r\nHost: example\r\nX-Trace-ID: 7\r\nAccept: */*\r\n\r\n");
//! let Ok(Recv::Event(Event::Request(head))) = server.poll_event() else { panic!() };
//! let parts = head.to_http().unwrap();
//! assert_eq!(parts.uri, "/a?b");
//! assert_eq!(parts.headers["x-trace-id"], "7");
//!
//! // Back out, e.g. toward an upstream: case and order as received.
//! let mut client = Connection::new(Role::Client, Config::default());
//! let mut out = SendBuf::new();
//! client.send_request(&OutgoingRequest::from_parts(&parts).unwrap().head(), &mut out).unwrap();
//! let len = out.len();
//! assert_eq!(
//!     bytes::Buf::copy_to_bytes(&mut out, len),
//!     &b"GET /a?b HTTP/1.1\r\nHost: example\r\nX-Trace-ID: 7\r\nAccept: */*\r\n\r\n"[..]
//! );
//! ```

use std::borrow::Cow;
use std::fmt;

use ::http::header::{HeaderName, HeaderValue};
use ::http::{Extensions, HeaderMap, Method, StatusCode, Uri};
use bytes::Bytes;

use crate::{
    canonical_reason, BodyLength, Header, Headers, Request, RequestHead, Response, ResponseHead,
    Version,
};

/// The received field lines, in their original case and order, as stored
/// in the `Extensions` by [`RequestHead::to_http`] and
/// [`ResponseHead::to_http`]. Sending uses it to restore case and order
/// (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalHeaders(pub Headers);

/// A reason phrase other than the canonical one for the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonPhrase(pub Bytes);

/// Marks a request whose target is sent in absolute form
/// (`http://host/path`, RFC 9112 §3.2.2), as a client does toward a
/// proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbsoluteForm;

/// A head the `http` types and this crate cannot both express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpError {
    /// The method is not a token.
    Method,
    /// The request-target is refused by [`Uri`], or a `CONNECT` request
    /// has no authority.
    Target,
    /// A field name is not a token.
    HeaderName,
    /// A field value has a byte a field value cannot hold.
    HeaderValue,
    /// An HTTP version other than 1.0 and 1.1.
    Version,
    /// A status code outside 100..=999.
    Status,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Method => "invalid method",
            Self::Target => "request-target not expressible as an http::Uri",
            Self::HeaderName => "invalid field name",
            Self::HeaderValue => "invalid field value",
            Self::Version => "HTTP version other than 1.0 and 1.1",
            Self::Status => "invalid status code",
        })
    }
}

impl std::error::Error for HttpError {}

fn to_http_version(v: Version) -> ::http::Version {
    match v {
        Version::Http10 => ::http::Version::HTTP_10,
        Version::Http11 => ::http::Version::HTTP_11,
    }
}

fn from_http_version(v: ::http::Version) -> Result<Version, HttpError> {
    match v {
        ::http::Version::HTTP_10 => Ok(Version::Http10),
        ::http::Version::HTTP_11 => Ok(Version::Http11),
        _ => Err(HttpError::Version),
    }
}

/// Trailer fields (from [`Event::End`](crate::Event::End)) as a map, as
/// `http-body`'s trailer frames carry them. Case and order across names
/// are lost, as for heads.
pub fn trailers_to_http(fields: &Headers) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::with_capacity(fields.len());
    for h in fields {
        let name = HeaderName::from_bytes(h.name).map_err(|_| HttpError::HeaderName)?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| HttpError::HeaderValue)?;
        map.append(name, value);
    }
    Ok(map)
}

/// Trailer fields from a map, to hand to
/// [`Connection::send_end`](crate::Connection::send_end): lowercase names,
/// in the map's order.
pub fn trailers_from_http(map: &HeaderMap) -> Vec<Header<'_>> {
    map.iter()
        .map(|(n, v)| Header::bytes(n.as_str().as_bytes(), v.as_bytes()))
        .collect()
}

/// The fields as a map, plus the extensions every converted head carries.
fn to_map(
    fields: &Headers,
    body: BodyLength,
    ext: &mut Extensions,
) -> Result<HeaderMap, HttpError> {
    let map = trailers_to_http(fields)?;
    ext.insert(OriginalHeaders(fields.clone()));
    ext.insert(body);
    Ok(map)
}

impl RequestHead {
    /// This head as [`::http::request::Parts`] (feature `http`), with
    /// [`OriginalHeaders`], [`BodyLength`] and, for an absolute-form
    /// target, [`AbsoluteForm`] in its extensions. See the
    /// [`http` module](crate::http) for what is lost.
    pub fn to_http(&self) -> Result<::http::request::Parts, HttpError> {
        let (mut parts, ()) = ::http::Request::new(()).into_parts();
        parts.method =
            Method::from_bytes(self.method().as_bytes()).map_err(|_| HttpError::Method)?;
        parts.uri = Uri::try_from(self.target()).map_err(|_| HttpError::Target)?;
        if parts.uri.scheme().is_some() {
            parts.extensions.insert(AbsoluteForm);
        }
        parts.version = to_http_version(self.version());
        parts.headers = to_map(self.headers(), self.body_length(), &mut parts.extensions)?;
        Ok(parts)
    }
}

impl ResponseHead {
    /// This head as [`::http::response::Parts`] (feature `http`), with
    /// [`OriginalHeaders`], [`BodyLength`] and a non-canonical
    /// [`ReasonPhrase`] in its extensions. See the
    /// [`http` module](crate::http) for what is lost.
    pub fn to_http(&self) -> Result<::http::response::Parts, HttpError> {
        let (mut parts, ()) = ::http::Response::new(()).into_parts();
        parts.status = StatusCode::from_u16(self.status()).map_err(|_| HttpError::Status)?;
        if self.reason() != canonical_reason(self.status()).as_bytes() {
            let reason = Bytes::copy_from_slice(self.reason());
            parts.extensions.insert(ReasonPhrase(reason));
        }
        parts.version = to_http_version(self.version());
        parts.headers = to_map(self.headers(), self.body_length(), &mut parts.extensions)?;
        Ok(parts)
    }
}

/// The fields to send: received case and order from [`OriginalHeaders`]
/// where the map still holds them, then the rest in the map's order.
fn fields<'a>(map: &'a HeaderMap, ext: &'a Extensions) -> Vec<Header<'a>> {
    let mut pending: Vec<Option<(&'a HeaderName, &'a HeaderValue)>> =
        map.iter().map(Some).collect();
    let mut out = Vec::with_capacity(pending.len() + 1);
    let original = ext.get::<OriginalHeaders>().map(|o| &o.0);
    if let Some(original) = original {
        for h in original {
            // A linear search per received field: a received head holds
            // at most `Config::max_headers` of them, and no hashing is
            // needed.
            let same = pending
                .iter_mut()
                .find(|p| p.is_some_and(|(n, v)| h.is(n.as_str()) && v.as_bytes() == h.value));
            if let Some(slot) = same {
                *slot = None;
                out.push(h);
            }
        }
    }
    for (name, value) in pending.into_iter().flatten() {
        let cased = original
            .and_then(|o| o.iter().find(|h| h.is(name.as_str())))
            .map_or(name.as_str().as_bytes(), |h| h.name);
        out.push(Header::bytes(cased, value.as_bytes()));
    }
    out
}

/// An `http` request head ready to send (feature `http`): borrows it, and
/// gives [`Connection::send_request`](crate::Connection::send_request) its
/// [`Request`].
///
/// The target is the URI's authority for `CONNECT` (authority form), the
/// whole URI with [`AbsoluteForm`] in the extensions, else its path and
/// query (origin form, `/` when empty). An HTTP/1.1 request without a
/// `Host` field gets one from the URI's authority, placed first (RFC 9110
/// §7.2: "a user agent SHOULD generate Host as the first field line");
/// without either, sending fails with
/// [`SendError::InvalidHost`](crate::SendError::InvalidHost).
#[derive(Debug, Clone)]
pub struct OutgoingRequest<'a> {
    method: &'a str,
    target: Cow<'a, str>,
    version: Version,
    fields: Vec<Header<'a>>,
}

impl<'a> OutgoingRequest<'a> {
    /// From a request's parts.
    pub fn from_parts(parts: &'a ::http::request::Parts) -> Result<Self, HttpError> {
        Self::build(
            &parts.method,
            &parts.uri,
            parts.version,
            &parts.headers,
            &parts.extensions,
        )
    }

    /// From a request (its body is not looked at).
    pub fn from_request<B>(req: &'a ::http::Request<B>) -> Result<Self, HttpError> {
        Self::build(
            req.method(),
            req.uri(),
            req.version(),
            req.headers(),
            req.extensions(),
        )
    }

    fn build(
        method: &'a Method,
        uri: &'a Uri,
        version: ::http::Version,
        map: &'a HeaderMap,
        ext: &'a Extensions,
    ) -> Result<Self, HttpError> {
        let version = from_http_version(version)?;
        let authority = uri.authority().map(|a| a.as_str());
        let target = if *method == Method::CONNECT {
            Cow::Borrowed(authority.ok_or(HttpError::Target)?)
        } else if ext.get::<AbsoluteForm>().is_some() && uri.scheme().is_some() {
            Cow::Owned(uri.to_string())
        } else {
            Cow::Borrowed(uri.path_and_query().map_or("/", |p| p.as_str()))
        };
        let mut fields = fields(map, ext);
        if version == Version::Http11 && !map.contains_key(::http::header::HOST) {
            if let Some(host) = authority {
                fields.insert(0, Header::new("Host", host));
            }
        }
        Ok(Self {
            method: method.as_str(),
            target,
            version,
            fields,
        })
    }

    /// The request to send.
    pub fn head(&self) -> Request<'_> {
        Request {
            method: self.method,
            target: &self.target,
            version: self.version,
            headers: &self.fields,
        }
    }
}

/// An `http` response head ready to send (feature `http`): borrows it, and
/// gives [`Connection::send_response`](crate::Connection::send_response)
/// its [`Response`]. The reason phrase is the [`ReasonPhrase`] extension
/// when it is UTF-8, else the canonical one. The `http` version is not
/// looked at: the machine answers in HTTP/1.1 (RFC 9110 §6.2).
#[derive(Debug, Clone)]
pub struct OutgoingResponse<'a> {
    status: u16,
    reason: &'a str,
    fields: Vec<Header<'a>>,
}

impl<'a> OutgoingResponse<'a> {
    /// From a response's parts.
    pub fn from_parts(parts: &'a ::http::response::Parts) -> Self {
        Self::build(parts.status, &parts.headers, &parts.extensions)
    }

    /// From a response (its body is not looked at).
    pub fn from_response<B>(res: &'a ::http::Response<B>) -> Self {
        Self::build(res.status(), res.headers(), res.extensions())
    }

    fn build(status: StatusCode, map: &'a HeaderMap, ext: &'a Extensions) -> Self {
        let reason = ext
            .get::<ReasonPhrase>()
            .and_then(|r| std::str::from_utf8(&r.0).ok())
            .unwrap_or("");
        Self {
            status: status.as_u16(),
            reason,
            fields: fields(map, ext),
        }
    }

    /// The response to send.
    pub fn head(&self) -> Response<'_> {
        Response {
            status: self.status,
            reason: self.reason,
            headers: &self.fields,
        }
    }
}
