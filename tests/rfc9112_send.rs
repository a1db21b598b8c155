//! The send side: framing chosen by the machine (RFC 9112 §6, §7.1, §9.6
//! and RFC 9110 §6.4.1, §8.6) and every `SendError`, one by one, with the
//! rule it protects. Sent bytes are checked by the peer's parser, fed
//! whole and one byte at a time.

use bytes::{Buf, Bytes};
use keepalive::{Config, Connection, Header, Request, Response, Role, SendBuf, SendError, Version};
use testkit::{assert_same_whole_and_bytewise, client, esc, poll_lines, server};

/// One send-side operation, as data.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// method, target, version, headers
    Req(
        &'static str,
        &'static str,
        Version,
        &'static [(&'static str, &'static str)],
    ),
    /// status, reason, headers
    Resp(u16, &'static str, &'static [(&'static str, &'static str)]),
    Data(&'static [u8]),
    End(&'static [(&'static str, &'static str)]),
}

use Op::{Data, End, Req, Resp};
use Version::{Http10, Http11};

/// Who sends: a server that has received `request` bytes (polled until it
/// waits), or a fresh client.
#[derive(Debug, Clone, Copy)]
enum Side {
    Server(&'static [u8]),
    Client,
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const HEAD: &[u8] = b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
const GET10: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
const GET10_KA: &[u8] = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
const GET_CLOSE: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
const CONNECT: &[u8] = b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n";
const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n";
const POST_CONTINUE: &[u8] =
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";

fn start(side: Side) -> Connection {
    match side {
        Side::Server(req) => {
            let mut c = Connection::new(Role::Server, Config::default());
            c.receive(req);
            let _ = testkit::poll_all(&mut c);
            c
        }
        Side::Client => Connection::new(Role::Client, Config::default()),
    }
}

fn apply(conn: &mut Connection, op: Op, out: &mut SendBuf) -> Result<(), SendError> {
    match op {
        Req(m, t, v, h) => {
            let h: Vec<Header<'_>> = h.iter().map(|(n, v)| Header::new(n, v)).collect();
            let mut r = Request::new(m, t, &h);
            r.version = v;
            conn.send_request(&r, out)
        }
        Resp(s, reason, h) => {
            let h: Vec<Header<'_>> = h.iter().map(|(n, v)| Header::new(n, v)).collect();
            let mut r = Response::new(s, &h);
            r.reason = reason;
            conn.send_response(&r, out)
        }
        Data(d) => conn.send_data(Bytes::from_static(d), out),
        End(t) => {
            let t: Vec<Header<'_>> = t.iter().map(|(n, v)| Header::new(n, v)).collect();
            conn.send_end(&t, out)
        }
    }
}

fn drain(out: &mut SendBuf) -> Vec<u8> {
    out.copy_to_bytes(out.remaining()).to_vec()
}

// ---------------------------------------------------------------------
// Framing chosen by the machine

type FramingRow = (&'static str, Side, &'static [Op], &'static [u8]);

#[test]
fn framing_chosen_by_the_machine() {
    let rows: &[FramingRow] = &[
        (
            // RFC 9112 §6.1 / §7.1: without a length, toward an HTTP/1.1 client
            // the server uses chunked ("A server MUST NOT send a response
            // containing Transfer-Encoding unless the corresponding request
            // indicates HTTP/1.1 (or later minor revisions)").
            "1.1 response without length is chunked",
            Side::Server(GET),
            &[Resp(200, "", &[]), Data(b"ab"), Data(b"cd"), End(&[])],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n",
        ),
        (
            // RFC 9112 §7.1: an empty data write must not become the last chunk.
            "empty data is not a last chunk",
            Side::Server(GET),
            &[Resp(200, "", &[]), Data(b""), Data(b"x"), End(&[])],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        ),
        (
            // RFC 9112 §7.1.2: trailer fields after the last chunk.
            "chunked with trailers",
            Side::Server(GET),
            &[Resp(200, "", &[]), Data(b"x"), End(&[("X-Sum", "1")])],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Sum: 1\r\n\r\n",
        ),
        (
            // RFC 9110 §8.6: a given Content-Length is kept; no chunking added.
            "given Content-Length is kept",
            Side::Server(GET),
            &[Resp(200, "", &[("Content-Length", "4")]), Data(b"ab"), Data(b"cd"), End(&[])],
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd",
        ),
        (
            // RFC 9112 §6.1: a caller's own chunked Transfer-Encoding is not doubled.
            "given chunked is not doubled",
            Side::Server(GET),
            &[Resp(200, "", &[("Transfer-Encoding", "chunked")]), Data(b"ab"), End(&[])],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
        ),
        (
            // RFC 9112 §6.3 rule 7 + §9.6: toward HTTP/1.0 without a length the
            // body is delimited by closing, so the server says close.
            "1.0 response without length is close-delimited",
            Side::Server(GET10),
            &[Resp(200, "", &[]), Data(b"abcd"), End(&[])],
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabcd",
        ),
        (
            // RFC 9112 §9.3 / Appendix C.2.2: a persistent HTTP/1.0 connection is
            // signalled with the keep-alive option.
            "1.0 keep-alive response says keep-alive",
            Side::Server(GET10_KA),
            &[Resp(200, "", &[("Content-Length", "2")]), Data(b"ok"), End(&[])],
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
        ),
        (
            // §6.3 rule 7 beats the 1.0 keep-alive: no length means close.
            "1.0 keep-alive without length still closes",
            Side::Server(GET10_KA),
            &[Resp(200, "", &[]), Data(b"ok"), End(&[])],
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok",
        ),
        (
            // §9.6: "A server that receives a "close" connection option MUST
            // initiate closure ... [and] SHOULD send a "close" connection option
            // in its final response".
            "close echoed to a client that asked",
            Side::Server(GET_CLOSE),
            &[Resp(200, "", &[("Content-Length", "0")]), End(&[])],
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ),
        (
            // §9.6: the caller's own close is not doubled.
            "caller's close is not doubled",
            Side::Server(GET),
            &[Resp(200, "", &[("Connection", "close"), ("Content-Length", "0")]), End(&[])],
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            // RFC 9110 §9.3.2: a HEAD response has no content, nothing is added.
            "HEAD response has no body and no added framing",
            Side::Server(HEAD),
            &[Resp(200, "", &[("Content-Length", "10")]), End(&[])],
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        ),
        (
            // RFC 9110 §15.3.5: 204 "cannot contain content"; nothing added.
            "204 without framing fields",
            Side::Server(GET),
            &[Resp(204, "", &[]), End(&[])],
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ),
        (
            // RFC 9110 §8.6: a 304 MAY carry the Content-Length of the selected
            // representation; no body follows.
            "304 keeps a given Content-Length",
            Side::Server(GET),
            &[Resp(304, "", &[("Content-Length", "99")]), End(&[])],
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
        ),
        (
            // RFC 9112 §4: the reason phrase is the caller's if given.
            "custom reason phrase",
            Side::Server(GET),
            &[Resp(200, "Fine Thanks", &[("Content-Length", "0")]), End(&[])],
            b"HTTP/1.1 200 Fine Thanks\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            // RFC 9110 §15.2: an interim response is a head only.
            "100 Continue then final",
            Side::Server(POST_CONTINUE),
            &[Resp(100, "", &[]), Resp(200, "", &[("Content-Length", "0")])],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            // RFC 9112 §6.3 rule 6: a request with neither field has no body;
            // nothing is added to a request.
            "request without body",
            Side::Client,
            &[Req("GET", "/", Http11, &[("Host", "a")]), End(&[])],
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ),
        (
            // RFC 9110 §8.6: a request with content announces its length.
            "request with Content-Length",
            Side::Client,
            &[Req("POST", "/p", Http11, &[("Host", "a"), ("Content-Length", "3")]), Data(b"abc"), End(&[])],
            b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        ),
        (
            // RFC 9112 §7.1: a chunked request body.
            "chunked request",
            Side::Client,
            &[Req("POST", "/p", Http11, &[("Host", "a"), ("Transfer-Encoding", "chunked")]), Data(b"abc"), End(&[])],
            b"POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            // RFC 9112 §2.3: the version sent is the caller's choice (1.0 here).
            "HTTP/1.0 request line",
            Side::Client,
            &[Req("GET", "/", Http10, &[]), End(&[])],
            b"GET / HTTP/1.0\r\n\r\n",
        ),
    ];
    let mut failures = Vec::new();
    for (name, side, ops, expect) in rows {
        let mut conn = start(*side);
        let mut out = SendBuf::new();
        for op in *ops {
            if let Err(e) = apply(&mut conn, *op, &mut out) {
                failures.push(format!("{name}: {op:?} failed: {e:?}"));
            }
        }
        let wire = drain(&mut out);
        if wire != *expect {
            failures.push(format!(
                "{name}:\n  expect \"{}\"\n  got    \"{}\"",
                esc(expect),
                esc(&wire)
            ));
            continue;
        }
        // The peer's parser accepts the bytes, identically whole and bytewise.
        let peer = match side {
            Side::Server(req) => {
                let method = if req.starts_with(b"HEAD") {
                    "HEAD"
                } else {
                    "GET"
                };
                assert_same_whole_and_bytewise(&client(&[method]), &Config::default(), &wire)
            }
            Side::Client => assert_same_whole_and_bytewise(&server(), &Config::default(), &wire),
        };
        if peer
            .outs
            .iter()
            .any(|o| matches!(o, testkit::Out::Error { .. } | testkit::Out::Stuck(_)))
        {
            failures.push(format!(
                "{name}: peer refused the bytes: {:?}",
                peer.lines()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------
// Every SendError, one by one

type ErrorRow = (&'static str, Side, &'static [Op], Op, SendError);

const H: &[(&str, &str)] = &[("Host", "a")];

#[test]
fn send_errors() {
    use SendError::*;
    let rows: &[ErrorRow] = &[
        // Header injection (RFC 9110 §5.1 field-name = token; §5.5: "a sender
        // MUST NOT generate" CR, LF or NUL in field values; RFC 9112 §4
        // reason-phrase; §3 method = token, request-target without whitespace).
        (
            "CR in a field name",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A\r", "v")]),
            InvalidHeaderName,
        ),
        (
            "LF in a field name",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A\n", "v")]),
            InvalidHeaderName,
        ),
        (
            "NUL in a field name",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X\0A", "v")]),
            InvalidHeaderName,
        ),
        (
            "space in a field name",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X A", "v")]),
            InvalidHeaderName,
        ),
        (
            "colon in a field name",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X:A", "v")]),
            InvalidHeaderName,
        ),
        (
            "empty field name",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("", "v")]),
            InvalidHeaderName,
        ),
        (
            "CR in a field value",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A", "a\rb")]),
            InvalidHeaderValue,
        ),
        (
            "LF in a field value",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A", "a\nb")]),
            InvalidHeaderValue,
        ),
        (
            "CRLF field injection in a value",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A", "a\r\nSet-Cookie: evil=1")]),
            InvalidHeaderValue,
        ),
        (
            "response splitting in a value",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A", "a\r\n\r\nHTTP/1.1 200 OK")]),
            InvalidHeaderValue,
        ),
        (
            "NUL in a field value",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A", "a\0b")]),
            InvalidHeaderValue,
        ),
        (
            "leading space in a value",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("X-A", " a")]),
            InvalidHeaderValue,
        ),
        (
            "CR in a request field value",
            Side::Client,
            &[],
            Req("GET", "/", Http11, &[("Host", "a\r")]),
            InvalidHeaderValue,
        ),
        (
            "CR in the reason phrase",
            Side::Server(GET),
            &[],
            Resp(200, "O\rK", &[]),
            InvalidReason,
        ),
        (
            "LF in the reason phrase",
            Side::Server(GET),
            &[],
            Resp(200, "O\nK", &[]),
            InvalidReason,
        ),
        (
            "CRLF in the reason phrase",
            Side::Server(GET),
            &[],
            Resp(200, "OK\r\nX-Evil: 1", &[]),
            InvalidReason,
        ),
        (
            "NUL in the reason phrase",
            Side::Server(GET),
            &[],
            Resp(200, "O\0K", &[]),
            InvalidReason,
        ),
        (
            "space in the method",
            Side::Client,
            &[],
            Req("GET /x", "/", Http11, H),
            InvalidMethod,
        ),
        (
            "CRLF in the method",
            Side::Client,
            &[],
            Req("GET\r\n", "/", Http11, H),
            InvalidMethod,
        ),
        (
            "empty method",
            Side::Client,
            &[],
            Req("", "/", Http11, H),
            InvalidMethod,
        ),
        (
            "space in the target",
            Side::Client,
            &[],
            Req("GET", "/a b", Http11, H),
            InvalidTarget,
        ),
        (
            "CRLF in the target",
            Side::Client,
            &[],
            Req("GET", "/\r\nX: y", Http11, H),
            InvalidTarget,
        ),
        (
            "NUL in the target",
            Side::Client,
            &[],
            Req("GET", "/\0", Http11, H),
            InvalidTarget,
        ),
        (
            "empty target",
            Side::Client,
            &[],
            Req("GET", "", Http11, H),
            InvalidTarget,
        ),
        // Framing fields (RFC 9112 §6.2: "A sender MUST NOT send a Content-Length
        // header field in any message that contains a Transfer-Encoding header
        // field"; RFC 9110 §8.6, §6.1 for 1xx/204/CONNECT/304).
        (
            "Content-Length beside Transfer-Encoding (request)",
            Side::Client,
            &[],
            Req(
                "POST",
                "/",
                Http11,
                &[
                    ("Host", "a"),
                    ("Content-Length", "1"),
                    ("Transfer-Encoding", "chunked"),
                ],
            ),
            InvalidContentLength,
        ),
        (
            "Content-Length beside Transfer-Encoding (response)",
            Side::Server(GET),
            &[],
            Resp(
                200,
                "",
                &[("Transfer-Encoding", "chunked"), ("Content-Length", "1")],
            ),
            InvalidContentLength,
        ),
        (
            "Content-Length not a number",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("Content-Length", "1x")]),
            InvalidContentLength,
        ),
        (
            "Content-Length twice",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("Content-Length", "1"), ("Content-Length", "1")]),
            InvalidContentLength,
        ),
        (
            "Content-Length on 204",
            Side::Server(GET),
            &[],
            Resp(204, "", &[("Content-Length", "0")]),
            InvalidContentLength,
        ),
        (
            "Content-Length on 1xx",
            Side::Server(POST_CONTINUE),
            &[],
            Resp(100, "", &[("Content-Length", "0")]),
            InvalidContentLength,
        ),
        (
            "Content-Length on 2xx to CONNECT",
            Side::Server(CONNECT),
            &[],
            Resp(200, "", &[("Content-Length", "0")]),
            InvalidContentLength,
        ),
        (
            "Transfer-Encoding on 304",
            Side::Server(GET),
            &[],
            Resp(304, "", &[("Transfer-Encoding", "chunked")]),
            InvalidTransferEncoding,
        ),
        (
            "Transfer-Encoding on 204",
            Side::Server(GET),
            &[],
            Resp(204, "", &[("Transfer-Encoding", "chunked")]),
            InvalidTransferEncoding,
        ),
        // RFC 9112 §6.1: chunked must be final.
        (
            "Transfer-Encoding not ending in chunked",
            Side::Server(GET),
            &[],
            Resp(200, "", &[("Transfer-Encoding", "gzip")]),
            InvalidTransferEncoding,
        ),
        // RFC 9112 §6.1: "A server MUST NOT send a response containing
        // Transfer-Encoding unless the corresponding request indicates HTTP/1.1".
        (
            "Transfer-Encoding toward HTTP/1.0",
            Side::Server(GET10),
            &[],
            Resp(200, "", &[("Transfer-Encoding", "chunked")]),
            InvalidTransferEncoding,
        ),
        (
            "Transfer-Encoding in an HTTP/1.0 request",
            Side::Client,
            &[],
            Req("POST", "/", Http10, &[("Transfer-Encoding", "chunked")]),
            InvalidTransferEncoding,
        ),
        // RFC 9112 §3.2: "A client MUST send a Host header field in all HTTP/1.1
        // request messages" and not more than one.
        (
            "missing Host",
            Side::Client,
            &[],
            Req("GET", "/", Http11, &[]),
            InvalidHost,
        ),
        (
            "two Host fields",
            Side::Client,
            &[],
            Req("GET", "/", Http11, &[("Host", "a"), ("Host", "b")]),
            InvalidHost,
        ),
        // RFC 9110 §15: "status-code = 3DIGIT"; §15.2.2 101 only after an offer.
        (
            "status below 100",
            Side::Server(GET),
            &[],
            Resp(99, "", &[]),
            InvalidStatus,
        ),
        (
            "status above 999",
            Side::Server(GET),
            &[],
            Resp(1000, "", &[]),
            InvalidStatus,
        ),
        (
            "101 without an Upgrade offer",
            Side::Server(GET),
            &[],
            Resp(101, "", &[("Upgrade", "x")]),
            InvalidStatus,
        ),
        // RFC 9110 §15.2: "A server MUST NOT send a 1xx response to an HTTP/1.0 client".
        (
            "1xx to HTTP/1.0",
            Side::Server(GET10),
            &[],
            Resp(103, "", &[]),
            InvalidStatus,
        ),
        // Trailers (RFC 9110 §6.5.1: "A sender MUST NOT generate a trailer field
        // unless the sender knows the corresponding header field name's
        // definition permits the field to be sent in trailers" — framing,
        // routing and connection fields never are).
        (
            "Content-Length in trailers",
            Side::Server(GET),
            &[Resp(200, "", &[])],
            End(&[("Content-Length", "1")]),
            InvalidTrailer,
        ),
        (
            "Transfer-Encoding in trailers",
            Side::Server(GET),
            &[Resp(200, "", &[])],
            End(&[("Transfer-Encoding", "chunked")]),
            InvalidTrailer,
        ),
        (
            "Host in trailers",
            Side::Server(GET),
            &[Resp(200, "", &[])],
            End(&[("host", "b")]),
            InvalidTrailer,
        ),
        (
            "Connection in trailers",
            Side::Server(GET),
            &[Resp(200, "", &[])],
            End(&[("Connection", "close")]),
            InvalidTrailer,
        ),
        // RFC 9112 §7.1.2: trailers exist only in the chunked coding.
        (
            "trailers on a Content-Length message",
            Side::Server(GET),
            &[Resp(200, "", &[("Content-Length", "0")])],
            End(&[("X-Sum", "1")]),
            InvalidTrailer,
        ),
        (
            "CRLF in a trailer name",
            Side::Server(GET),
            &[Resp(200, "", &[])],
            End(&[("X\r\nY", "1")]),
            InvalidHeaderName,
        ),
        (
            "CRLF in a trailer value",
            Side::Server(GET),
            &[Resp(200, "", &[])],
            End(&[("X-Sum", "1\r\nX: 2")]),
            InvalidHeaderValue,
        ),
        // Body on a bodiless message (RFC 9110 §9.3.2 HEAD, §15.3.5 204,
        // §15.4.5 304; RFC 9112 §6.3 rule 6 for requests).
        (
            "body on a HEAD response",
            Side::Server(HEAD),
            &[Resp(200, "", &[("Content-Length", "1")])],
            Data(b"x"),
            BodyNotAllowed,
        ),
        (
            "body on a 204",
            Side::Server(GET),
            &[Resp(204, "", &[])],
            Data(b"x"),
            BodyNotAllowed,
        ),
        (
            "body on a 304",
            Side::Server(GET),
            &[Resp(304, "", &[])],
            Data(b"x"),
            BodyNotAllowed,
        ),
        (
            "body on a request without framing",
            Side::Client,
            &[Req("POST", "/", Http11, H)],
            Data(b"x"),
            BodyNotAllowed,
        ),
        // RFC 9110 §8.6 / RFC 9112 §6.3: the sent length must match Content-Length.
        (
            "more bytes than Content-Length",
            Side::Server(GET),
            &[Resp(200, "", &[("Content-Length", "2")]), Data(b"a")],
            Data(b"bc"),
            BodyTooLong,
        ),
        (
            "fewer bytes than Content-Length",
            Side::Server(GET),
            &[Resp(200, "", &[("Content-Length", "2")]), Data(b"a")],
            End(&[]),
            BodyTooShort,
        ),
        // Message order (RFC 9112 §9.3: one response per request, in order).
        (
            "data after end",
            Side::Server(GET),
            &[Resp(200, "", &[("Content-Length", "0")]), End(&[])],
            Data(b"x"),
            NoHeadSent,
        ),
        (
            "second final response",
            Side::Server(GET),
            &[Resp(200, "", &[("Content-Length", "0")])],
            Resp(200, "", &[]),
            HeadAlreadySent,
        ),
        (
            "response before any request",
            Side::Server(b""),
            &[],
            Resp(200, "", &[]),
            NoRequestToAnswer,
        ),
        (
            "data before a head",
            Side::Server(GET),
            &[],
            Data(b"x"),
            NoHeadSent,
        ),
        ("end before a head", Side::Client, &[], End(&[]), NoHeadSent),
        (
            "second request before the response",
            Side::Client,
            &[Req("GET", "/", Http11, H), End(&[])],
            Req("GET", "/", Http11, H),
            ExchangeInProgress,
        ),
        (
            "request from a server",
            Side::Server(GET),
            &[],
            Req("GET", "/", Http11, H),
            WrongRole,
        ),
        (
            "response from a client",
            Side::Client,
            &[],
            Resp(200, "", &[]),
            WrongRole,
        ),
        // RFC 9112 §9.6: after close, nothing more is sent.
        (
            "response after the connection closed",
            Side::Server(GET_CLOSE),
            &[Resp(200, "", &[("Content-Length", "0")]), End(&[])],
            Resp(200, "", &[]),
            ConnectionClosed,
        ),
        // A 101 ends HTTP/1.1 on the connection.
        (
            "data after a 101",
            Side::Server(UPGRADE),
            &[Resp(
                101,
                "",
                &[("Upgrade", "x"), ("Connection", "upgrade")],
            )],
            Data(b"x"),
            ConnectionClosed,
        ),
    ];
    let mut failures = Vec::new();
    for (name, side, prelude, op, expect) in rows {
        let mut conn = start(*side);
        let mut out = SendBuf::new();
        for p in *prelude {
            if let Err(e) = apply(&mut conn, *p, &mut out) {
                failures.push(format!("{name}: prelude {p:?} failed: {e:?}"));
            }
        }
        // Prelude bytes are not under test here.
        drain(&mut out);
        let got = apply(&mut conn, *op, &mut out);
        if got != Err(*expect) {
            failures.push(format!("{name}: expected Err({expect:?}), got {got:?}"));
        }
        // "Nothing was written and the state did not change" (SendError docs).
        if !out.is_empty() {
            failures.push(format!(
                "{name}: wrote \"{}\" despite the error",
                esc(&drain(&mut out))
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn refused_head_leaves_the_state_unchanged() {
    // SendError docs: "Nothing was written and the state did not change" —
    // after a refused head, a valid one goes through and the exchange
    // completes normally.
    let mut conn = start(Side::Server(GET));
    let mut out = SendBuf::new();
    let bad = [Header::new("X-A", "a\r\nb")];
    assert_eq!(
        conn.send_response(&Response::new(200, &bad), &mut out),
        Err(SendError::InvalidHeaderValue)
    );
    assert!(out.is_empty());
    let good = [Header::new("Content-Length", "2")];
    conn.send_response(&Response::new(200, &good), &mut out)
        .unwrap();
    conn.send_data(Bytes::from_static(b"ok"), &mut out).unwrap();
    // Trailers on a Content-Length body are refused; a plain end still works.
    assert_eq!(
        conn.send_end(&[Header::new("X", "1")], &mut out),
        Err(SendError::InvalidTrailer)
    );
    conn.send_end(&[], &mut out).unwrap();
    assert_eq!(
        drain(&mut out),
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    );
    assert_eq!(testkit::poll_lines(&mut conn), ["keep-alive", "need-data"]);
}

/// RFC 9110 §15.3.6: "a server MUST NOT generate content in a 205
/// response"; a fragment is no part of a request-target (RFC 9112 §3.2);
/// `*` is for OPTIONS only (§3.2.4); an HTTP/1.0 request never carries two
/// `Host` fields either.
#[test]
fn send_side_framing_and_target_rules() {
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut out = SendBuf::new();
    conn.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    poll_lines(&mut conn);
    conn.send_response(&Response::new(205, &[]), &mut out)
        .unwrap();
    assert_eq!(
        conn.send_data(Bytes::from_static(b"x"), &mut out),
        Err(SendError::BodyTooLong)
    );
    conn.send_end(&[], &mut out).unwrap();
    let n = bytes::Buf::remaining(&out);
    let wire = bytes::Buf::copy_to_bytes(&mut out, n);
    assert_eq!(
        &wire[..],
        b"HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n"
    );

    let mut conn = Connection::new(Role::Client, Config::default());
    let host = [Header::new("Host", "a")];
    for target in ["/a#frag", "*"] {
        assert_eq!(
            conn.send_request(&Request::new("GET", target, &host), &mut out),
            Err(SendError::InvalidTarget)
        );
    }
    conn.send_request(&Request::new("OPTIONS", "*", &host), &mut out)
        .unwrap();
    let mut conn = Connection::new(Role::Client, Config::default());
    let two = [Header::new("Host", "a"), Header::new("Host", "b")];
    let req = Request {
        version: keepalive::Version::Http10,
        ..Request::new("GET", "/", &two)
    };
    assert_eq!(
        conn.send_request(&req, &mut out),
        Err(SendError::InvalidHost)
    );
}

/// An empty 204 or 304 without a reason phrase takes a straight path (one
/// constant, no rule evaluated when none applies); the same response with
/// its canonical reason spelled out takes every rule. Both must write the
/// same bytes and leave the connection in the same state, whatever the
/// request, the configuration or the order of the calls.
#[test]
fn empty_204_and_304_straight_path_agrees_with_every_rule() {
    const POST_PARTIAL: &[u8] = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab";
    const BAD: &[u8] = b"GET / HTTP/1.1\r\n\r\n";
    const PIPELINED: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let requests: [&[u8]; 11] = [
        GET,
        HEAD,
        GET10,
        GET10_KA,
        GET_CLOSE,
        CONNECT,
        UPGRADE,
        POST_CONTINUE,
        POST_PARTIAL,
        BAD,
        PIPELINED,
    ];
    let mut configs = Vec::new();
    for advertise in [false, true] {
        for max_requests in [None, Some(1), Some(2)] {
            let mut config = Config::default();
            config.advertise_keep_alive = advertise;
            config.max_requests = max_requests;
            configs.push(config);
        }
    }
    let run =
        |config: &Config, request: &[u8], status: u16, reason: &'static str, discard: bool| {
            let mut conn = Connection::new(Role::Server, config.clone());
            let mut out = SendBuf::new();
            let mut log = Vec::new();
            conn.receive(request);
            log.push(format!("{:?}", testkit::poll_all(&mut conn)));
            if discard {
                log.push(format!("{:?}", conn.discard_request_body()));
            }
            let mut response = Response::new(status, &[]);
            response.reason = reason;
            // Twice: the second is a misuse both paths must refuse alike.
            for _ in 0..2 {
                log.push(format!("{:?}", conn.send_response(&response, &mut out)));
                log.push(esc(&drain(&mut out)));
                log.push(format!("{:?} {:?}", conn.persist(), conn.poll_timeout()));
            }
            log.push(format!("{:?}", conn.send_end(&[], &mut out)));
            log.push(format!("{} {:?}", esc(&drain(&mut out)), conn.persist()));
            log.push(format!("{:?}", testkit::poll_all(&mut conn)));
            log.push(format!("{:?} {:?}", conn.persist(), conn.poll_timeout()));
            log
        };
    let mut straight = 0;
    for config in &configs {
        for request in requests {
            for (status, reason) in [(204, "No Content"), (304, "Not Modified")] {
                for discard in [false, true] {
                    let fast = run(config, request, status, "", discard);
                    let general = run(config, request, status, reason, discard);
                    assert_eq!(fast, general, "{} {status}", esc(request));
                    straight += usize::from(fast[fast.len() - 1].starts_with("KeepAlive"));
                }
            }
        }
    }
    // The rows include connections that stay open (the straight path).
    assert!(straight > 0);
}
