//! RFC 9112 §3 "Request Line" (§3.2 request-target forms and Host, §2.3
//! HTTP-version with RFC 9110 §2.5 and §15.6.6) and §4 "Status Line".
//! Every row is fed whole and one byte at a time and must give identical
//! events.

use keepalive::Config;
use testkit::{run_client_rows, run_server_rows, ClientRow, ServerRow};

const OK: &[&str] = &["end", "keep-alive", "closed"];

/// Expected lines: the request line, then a plain keep-alive cycle.
macro_rules! ok {
    ($req:literal) => {
        &[$req, OK[0], OK[1], OK[2]]
    };
}

#[test]
fn request_target_forms() {
    let rows: &[ServerRow] = &[
        (
            // §3.2.1: "origin-form = absolute-path [ "?" query ]"
            "origin-form with query",
            b"GET /a/b?q=1&r=/x HTTP/1.1\r\nHost: a\r\n\r\n",
            ok!("req GET /a/b?q=1&r=/x 1.1 empty"),
        ),
        (
            // RFC 3986 §2.1: percent-encoded octets are allowed in a path.
            "origin-form with percent escape",
            b"GET /a%20b HTTP/1.1\r\nHost: a\r\n\r\n",
            ok!("req GET /a%20b 1.1 empty"),
        ),
        (
            // RFC 3986 §2.1: "%" must be followed by two hex digits.
            "bad percent escape",
            b"GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3.2.1: origin-form has no fragment ("#" is not a path character).
            "fragment in target",
            b"GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // RFC 3986 §2: "<" is not allowed in a URI.
            "forbidden character in path",
            b"GET /a<b HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3.2.2: "a server MUST accept the absolute-form in requests"
            "absolute-form",
            b"GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n",
            ok!("req GET http://example.com/x?y 1.1 empty"),
        ),
        (
            // RFC 9110 §4.2.4: a recipient "SHOULD parse for userinfo and treat
            // its presence as an error" (it hides the real host).
            "absolute-form with userinfo",
            b"GET http://x@y/ HTTP/1.1\r\nHost: y\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // RFC 9110 §4.2.1: an "http" URI with an empty host "MUST" be
            // rejected as invalid.
            "absolute-form with an empty host",
            b"GET http:///x HTTP/1.1\r\nHost: y\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // RFC 3986 §3.2.2: an IP literal is closed by "]".
            "absolute-form with an unterminated IP literal",
            b"GET http://[::1/ HTTP/1.1\r\nHost: y\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3.2.2: "the recipient MUST ignore the received Host header field ...
            // and instead use the host information of the request-target" — so a
            // differing Host is no error.
            "absolute-form with a different Host",
            b"GET http://one.example/ HTTP/1.1\r\nHost: two.example\r\n\r\n",
            ok!("req GET http://one.example/ 1.1 empty"),
        ),
        (
            // §3.2.3: "The authority-form is only used for CONNECT requests" —
            // answered here with the harness's 200, which opens the tunnel.
            "authority-form for CONNECT",
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            &[
                "req CONNECT example.com:443 1.1 empty",
                "end",
                "switch connect \"\"",
            ],
        ),
        (
            // §3.2.3: "authority-form = uri-host ":" port" — the port is required.
            "authority-form without port",
            b"CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3.2.3: "a client MUST send only the target URI's authority component"
            // — an origin-form target is not valid for CONNECT.
            "origin-form for CONNECT",
            b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3.2.3: authority-form is only for CONNECT, but "example.com:80"
            // is also a valid absolute-URI (RFC 3986 §3.1: scheme "example.com",
            // path "80"), so it is accepted as absolute-form (§3.2.2).
            "host:port for GET parses as absolute-form",
            b"GET example.com:80 HTTP/1.1\r\nHost: example.com\r\n\r\n",
            ok!("req GET example.com:80 1.1 empty"),
        ),
        (
            // §3.2.4: "The asterisk-form of request-target is only used for a
            // server-wide OPTIONS request"
            "asterisk-form for OPTIONS",
            b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
            ok!("req OPTIONS * 1.1 empty"),
        ),
        (
            // §3.2.4: asterisk-form for any other method is invalid.
            "asterisk-form for GET",
            b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3: "request-line = method SP request-target SP HTTP-version" —
            // whitespace inside the target is invalid.
            "space inside target",
            b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn methods_and_line_shape() {
    let rows: &[ServerRow] = &[
        (
            // RFC 9110 §9.1: "method = token" — extension methods are fine.
            "extension method",
            b"PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n",
            ok!("req PROPFIND /d 1.1 empty"),
        ),
        (
            // RFC 9110 §9.1: "The method token is case-sensitive" — "get" is a
            // different, valid token.
            "lower-case method is another method",
            b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
            ok!("req get / 1.1 empty"),
        ),
        (
            // RFC 9110 §9.1: "method = token"; "(" is a delimiter.
            "method with a delimiter",
            b"GE(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidMethod 400"],
        ),
        (
            // §3: single SP between elements; "Recipients of an invalid
            // request-line SHOULD respond with either a 400 (Bad Request) error"
            "two spaces after method",
            b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3: the HTTP-version is required (no HTTP/0.9 simple requests).
            "request line without version",
            b"GET /\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn host_field() {
    let rows: &[ServerRow] = &[
        (
            // §3.2: "A server MUST respond with a 400 (Bad Request) status code to
            // any HTTP/1.1 request message that lacks a Host header field"
            "missing Host",
            b"GET / HTTP/1.1\r\nX-A: b\r\n\r\n",
            &["error MissingHost 400"],
        ),
        (
            // §3.2: "... and to any request message that contains more than one
            // Host header field line"
            "two Host lines",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
            &["error DuplicateHost 400"],
        ),
        (
            // §3.2: "... or a Host header field with an invalid field value"
            "Host with a slash",
            b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
            &["error InvalidHost 400"],
        ),
        (
            // §3.2: "Host = uri-host [ ":" port ]" — port is digits.
            "Host with a non-numeric port",
            b"GET / HTTP/1.1\r\nHost: a:b\r\n\r\n",
            &["error InvalidHost 400"],
        ),
        (
            // §3.2, a comma list is not one uri-host.
            "Host list",
            b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n",
            &["error InvalidHost 400"],
        ),
        (
            // §3.2: "If the target URI does not include an authority component,
            // then a client MUST send a Host header field with an empty field
            // value."
            "empty Host",
            b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
            ok!("req GET / 1.1 empty"),
        ),
        (
            // §3.2 with RFC 3986 §3.2.2: "port = *DIGIT", an IP-literal host.
            "Host with IPv6 literal and port",
            b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
            ok!("req GET / 1.1 empty"),
        ),
        (
            // RFC 3986 §3.2.3: "port = *DIGIT" — may be empty.
            "Host with empty port",
            b"GET / HTTP/1.1\r\nHost: a:\r\n\r\n",
            ok!("req GET / 1.1 empty"),
        ),
        (
            // RFC 3986 §3.2.3: "port = *DIGIT" — no sign.
            "Host with a signed port",
            b"GET / HTTP/1.1\r\nHost: a:+1\r\n\r\n",
            &["error InvalidHost 400"],
        ),
        (
            // The ABNF sets no bound, but the port of an http URI is the TCP
            // port of the origin (RFC 9110 §4.2.1), 16 bits: 99999 names no
            // server (and wraps to 34463 where read into 16 bits).
            "Host with a port past 65535",
            b"GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n",
            &["error InvalidHost 400"],
        ),
        (
            "Host with port 65535",
            b"GET / HTTP/1.1\r\nHost: a:65535\r\n\r\n",
            ok!("req GET / 1.1 empty"),
        ),
        (
            "Host with IPv6 literal and a port past 65535",
            b"GET / HTTP/1.1\r\nHost: [::1]:65536\r\n\r\n",
            &["error InvalidHost 400"],
        ),
        (
            // RFC 9110 §4.2.1: a recipient "MUST reject" an http URI with an
            // empty host, and §3.3 rebuilds the target URI from Host.
            "Host with a port and no host",
            b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n",
            &["error InvalidHost 400"],
        ),
        (
            // RFC 9110 §9.3.6: "A server MUST reject a CONNECT request that
            // targets an empty or invalid port number, typically by
            // responding with a 400 (Bad Request) status code."
            "CONNECT to a port past 65535",
            b"CONNECT a:65536 HTTP/1.1\r\nHost: a:65536\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            "CONNECT to an empty port",
            b"CONNECT a: HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            "absolute-form with a port past 65535",
            b"GET http://a:70000/ HTTP/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidTarget 400"],
        ),
        (
            // §3.2: the Host requirement is for HTTP/1.1; HTTP/1.0 may omit it.
            "HTTP/1.0 without Host",
            b"GET / HTTP/1.0\r\n\r\n",
            &["req GET / 1.0 empty", "end", "close(http10/client)"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn request_versions() {
    let rows: &[ServerRow] = &[
        (
            // RFC 9110 §15.6.6: "The 505 (HTTP Version Not Supported) status code
            // indicates that the server does not support, or refuses to support,
            // the major version of HTTP that was used in the request message."
            "HTTP/2.0 request line",
            b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            &["error UnsupportedVersion 505"],
        ),
        (
            // RFC 9110 §15.6.6, another major.
            "HTTP/3.0 request line",
            b"GET / HTTP/3.0\r\nHost: a\r\n\r\n",
            &["error UnsupportedVersion 505"],
        ),
        (
            // RFC 9110 §2.5: "A recipient that receives a message with a major
            // version number that it implements and a minor version number higher
            // than what it implements SHOULD process the message as if it were in
            // the highest minor version within that major version"
            "HTTP/1.2 processed as 1.1",
            b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
            ok!("req GET / 1.1 empty"),
        ),
        (
            // §2.3: "HTTP-version = HTTP-name "/" DIGIT "." DIGIT" — one digit each.
            "two-digit minor",
            b"GET / HTTP/1.10\r\nHost: a\r\n\r\n",
            &["error InvalidVersion 400"],
        ),
        (
            // §2.3: "HTTP-name = %s"HTTP"" — case-sensitive.
            "lower-case http name",
            b"GET / http/1.1\r\nHost: a\r\n\r\n",
            &["error InvalidVersion 400"],
        ),
        (
            // §2.3: the version needs its minor digit.
            "version without minor",
            b"GET / HTTP/1\r\nHost: a\r\n\r\n",
            &["error InvalidVersion 400"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn status_line() {
    let rows: &[ClientRow] = &[
        (
            // §4: "status-line = HTTP-version SP status-code SP [ reason-phrase ]"
            "plain status line",
            &["GET"],
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            &["resp 404 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // §4: the reason-phrase is optional (the SP before it is not).
            "empty reason phrase",
            &["GET"],
            b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // §4: "reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )"
            "obs-text in reason phrase",
            &["GET"],
            b"HTTP/1.1 200 D\xe9j\xe0 vu\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // §4: "status-code = 3DIGIT"
            "two-digit status",
            &["GET"],
            b"HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
            &["error InvalidStatus -"],
        ),
        (
            // §4: "status-code = 3DIGIT" — not four.
            "four-digit status",
            &["GET"],
            b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
            &["error InvalidStatus -"],
        ),
        (
            // RFC 9110 §15: "All valid status codes are within the range
            // of 100 to 599, inclusive"; below 100 there is no class to
            // fall back on. Refused at its first digit.
            "status below 100",
            &["GET"],
            b"HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n",
            &["error InvalidStatus -"],
        ),
        (
            "status 000",
            &["GET"],
            b"HTTP/1.1 000 \r\n\r\n",
            &["error InvalidStatus -"],
        ),
        (
            // §4: digits only.
            "non-numeric status",
            &["GET"],
            b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n",
            &["error InvalidStatus -"],
        ),
        (
            // RFC 9110 §2.5: a higher minor is processed as the highest known.
            "HTTP/1.2 response processed as 1.1",
            &["GET"],
            b"HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // §2.3: "HTTP-name = %s"HTTP"" in a status line too.
            "lower-case version in status line",
            &["GET"],
            b"http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["error InvalidVersion -"],
        ),
        (
            // §2.2: "a user agent SHOULD ignore at least one empty line" — only
            // CRLF between responses is ignored (the trace format says so too).
            "CRLF before a status line",
            &["GET"],
            b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
    ];
    run_client_rows(&Config::default(), rows);
}

#[test]
fn overlong_method_is_not_implemented() {
    let long33 = format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(33));
    let long32 = format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(32));
    let req32 = format!("req {} / 1.1 empty", "M".repeat(32));
    let huge = format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(9000));
    let rows: &[ServerRow] = &[
        (
            // §3: "A server that receives a method longer than any that it
            // implements SHOULD respond with a 501 (Not Implemented) status
            // code."
            "33-byte method",
            long33.as_bytes(),
            &["error MethodTooLong 501"],
        ),
        (
            // The same for a method longer than the target limit: 501, not 414.
            "9000-byte method",
            huge.as_bytes(),
            &["error MethodTooLong 501"],
        ),
        (
            // A 32-byte token is still a method the application may know.
            "32-byte method",
            long32.as_bytes(),
            &[&req32, OK[0], OK[1], OK[2]],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn well_formed_but_refused_versions() {
    let rows: &[ServerRow] = &[(
        // RFC 9110 §15.6.6: a well-formed version with another major is
        // refused (505), not malformed.
        "HTTP/0.9 request line",
        b"GET / HTTP/0.9\r\nHost: a\r\n\r\n",
        &["error UnsupportedVersion 505"],
    )];
    run_server_rows(&Config::default(), rows);
    let rows: &[ClientRow] = &[(
        // The same version in a status line is refused for the same reason.
        "HTTP/0.9 status line",
        &["GET"],
        b"HTTP/0.9 200 OK\r\nContent-Length: 0\r\n\r\n",
        &["error UnsupportedVersion -"],
    )];
    run_client_rows(&Config::default(), rows);
}

/// A request line is refused at the byte that makes it invalid: a peer
/// that trickles the rest of a 64 KiB head gets its answer at once, not
/// when the head ends or reaches the limit.
#[test]
fn invalid_request_line_is_refused_at_the_bad_byte() {
    use keepalive::{Connection, RecvErrorKind, Role};
    for (prefix, kind) in [
        (&b"GET /\x01"[..], RecvErrorKind::InvalidTarget),
        (b"GE(", RecvErrorKind::InvalidMethod),
        (b"GET /a<", RecvErrorKind::InvalidTarget),
        (b"GET / HTTP/1.1x", RecvErrorKind::InvalidVersion),
        (
            b"GET / HTTP/1.1\r\nHost: a\x01",
            RecvErrorKind::InvalidHeaderValue,
        ),
        (b"GET / HTTP/1.1\r\nHo(", RecvErrorKind::InvalidHeaderName),
        // RFC 9112 §5.1: "No whitespace is allowed between the field name
        // and colon": the whitespace itself is the bad byte, whatever
        // follows it (`Host :` or `Host x`), so a peer cannot trickle a
        // run of it up to the head limit.
        (
            b"GET / HTTP/1.1\r\nHost ",
            RecvErrorKind::WhitespaceBeforeColon,
        ),
        (
            b"GET / HTTP/1.1\r\nHost\t",
            RecvErrorKind::WhitespaceBeforeColon,
        ),
        // A version refused at its first bad byte, not at the line end.
        (b"GET / HTTP/1.1\r\n\x01", RecvErrorKind::InvalidHeaderName),
        (b"GET / HTTX", RecvErrorKind::InvalidVersion),
        (b"GET / HTTP/x", RecvErrorKind::InvalidVersion),
        (b"GET / HTTP/1,", RecvErrorKind::InvalidVersion),
        (b"GET /a b", RecvErrorKind::InvalidTarget),
        // RFC 9112 §2.2: an empty line before the request line ended by a
        // bare LF is a bare LF, not a bad method.
        (b"\n", RecvErrorKind::BareLf),
        (b"GET / HTTP/1.1\r\nHost: a\n", RecvErrorKind::BareLf),
    ] {
        let mut conn = Connection::new(Role::Server, Config::default());
        // Byte by byte: valid prefixes need more, the bad byte fails.
        for (i, &b) in prefix.iter().enumerate() {
            conn.receive(&[b]);
            let got = conn.poll_event();
            if i + 1 < prefix.len() {
                assert!(got.is_ok(), "{prefix:?}: failed early at byte {i}: {got:?}");
            } else {
                let e = got.expect_err("the bad byte is refused");
                assert_eq!(e.kind(), kind, "{prefix:?}");
            }
        }
    }
}
