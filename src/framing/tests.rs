//! RFC 9112 §6.3 ¶2, one row per item, numbered as the RFC numbers
//! them; each calls the pure functions directly.

use super::*;
use bytes::Bytes;

fn fields(raw: &'static str) -> Headers {
    let config = crate::Config::default();
    let (n, facts) = crate::parse::HeadScanner::default()
        .scan_fields(raw.as_bytes(), &config)
        .unwrap()
        .unwrap();
    Headers::from_index(Bytes::from_static(&raw.as_bytes()[..n]), facts.fields)
}

fn request(raw: &'static str) -> Result<Framing, RecvErrorKind> {
    body_length(Message::Request {
        method: Method::Unremarkable,
        version: Version::Http11,
        headers: &fields(raw),
    })
}

fn response(method: Method, status: u16, raw: &'static str) -> Result<Framing, RecvErrorKind> {
    body_length(Message::Response {
        request_method: method,
        upgrade_offered: false,
        status,
        version: Version::Http11,
        headers: &fields(raw),
    })
}

fn length(f: Result<Framing, RecvErrorKind>) -> Result<BodyLength, RecvErrorKind> {
    f.map(|f| f.length)
}

#[test]
fn rfc9112_6_3_items() {
    use BodyLength::*;
    use Method::{Connect, Get, Head};
    use RecvErrorKind::*;
    let cl5 = "Content-Length: 5\r\n\r\n";
    type Row = (
        &'static str,
        Result<Framing, RecvErrorKind>,
        Result<BodyLength, RecvErrorKind>,
    );
    let rows: Vec<Row> = vec![
        (
            "1: a response to HEAD ends at its head",
            response(Head, 200, cl5),
            Ok(Empty),
        ),
        (
            "1: a 1xx ends at its head",
            response(Get, 103, cl5),
            Ok(Empty),
        ),
        (
            "1: a 204 ends at its head",
            response(Get, 204, cl5),
            Ok(Empty),
        ),
        (
            "1: a 304 ends at its head",
            response(Get, 304, cl5),
            Ok(Empty),
        ),
        (
            "2: a 2xx to CONNECT is a tunnel",
            response(Connect, 200, cl5),
            Ok(Empty),
        ),
        (
            "2: a non-2xx to CONNECT has a body",
            response(Connect, 407, cl5),
            Ok(Fixed(5)),
        ),
        (
            "3: Transfer-Encoding overrides Content-Length",
            request("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
            Ok(Chunked),
        ),
        (
            "4: chunked final in a request",
            request("Transfer-Encoding: chunked\r\n\r\n"),
            Ok(Chunked),
        ),
        (
            "4: chunked not final in a response: until close",
            response(Get, 200, "Transfer-Encoding: chunked, gzip\r\n\r\n"),
            Ok(UntilClose),
        ),
        (
            "4: chunked not final in a request: 400",
            request("Transfer-Encoding: gzip\r\n\r\n"),
            Err(TransferEncodingNotChunked),
        ),
        (
            "5: an invalid Content-Length",
            request("Content-Length: 5x\r\n\r\n"),
            Err(InvalidContentLength),
        ),
        (
            "5: a list of differing values",
            request("Content-Length: 5, 6\r\n\r\n"),
            Err(InvalidContentLength),
        ),
        (
            "5: a list of the same value",
            request("Content-Length: 5, 5\r\n\r\n"),
            Ok(Fixed(5)),
        ),
        ("6: a valid Content-Length", request(cl5), Ok(Fixed(5))),
        (
            "7: a request with neither has no body",
            request("Host: a\r\n\r\n"),
            Ok(Empty),
        ),
        (
            "8: a response with neither: until close",
            response(Get, 200, "X: y\r\n\r\n"),
            Ok(UntilClose),
        ),
    ];
    for (item, got, want) in rows {
        assert_eq!(length(got), want, "item {item}");
    }
    let conflicting = request("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n").unwrap();
    assert!(
        conflicting.conflicting,
        "3: the connection must close after"
    );
    let tunnel = response(Connect, 204, "\r\n").unwrap();
    assert_eq!(
        tunnel.switch,
        Some(SwitchKind::Connect),
        "2 before the 204 of 1"
    );
}

#[test]
fn items_1_and_2_are_one_definition_for_both_directions() {
    use StatusFraming::*;
    let rows = [
        (Method::Head, 200, Some(NoBody)),
        (Method::Get, 100, Some(Interim)),
        (Method::Get, 101, Some(Upgrade)),
        (Method::Get, 204, Some(NoBody)),
        (Method::Get, 304, Some(NoBody)),
        (Method::Connect, 200, Some(Tunnel)),
        (Method::Connect, 204, Some(Tunnel)),
        (Method::Connect, 407, None),
        (Method::Get, 200, None),
    ];
    for (method, status, want) in rows {
        assert_eq!(status_framing(method, status), want, "{method:?} {status}");
        // The sender's framing agrees with what the receiver reads back.
        let sent = response_framing(Outgoing {
            status,
            request_method: method,
            request_version: Version::Http11,
            upgrade_offered: true,
            after_error: false,
            content_length: None,
            chunked: false,
            upgrade_field: true,
        })
        .unwrap();
        assert_eq!(
            sent.length == BodyLength::Empty,
            want.is_some(),
            "{method:?} {status}"
        );
    }
}

#[test]
fn a_connect_request_with_content_is_refused() {
    let connect = |raw| {
        body_length(Message::Request {
            method: Method::Connect,
            version: Version::Http11,
            headers: &fields(raw),
        })
    };
    assert_eq!(
        connect("Content-Length: 5\r\n\r\n"),
        Err(RecvErrorKind::ConnectWithContent)
    );
    assert_eq!(
        connect("Transfer-Encoding: chunked\r\n\r\n"),
        Err(RecvErrorKind::ConnectWithContent)
    );
    assert_eq!(
        length(connect("Content-Length: 0\r\n\r\n")),
        Ok(BodyLength::Fixed(0))
    );
    assert_eq!(length(connect("Host: a:1\r\n\r\n")), Ok(BodyLength::Empty));
}

/// The request shortcut answers exactly as the whole function, for heads
/// with and without the framing fields, for every method kind and version.
#[test]
fn request_shortcut_agrees_with_body_length() {
    let heads = [
        "\r\n",
        "Host: a\r\n\r\n",
        "Content-Length: 5\r\n\r\n",
        "Content-Length: 0\r\n\r\n",
        "Content-Length: x\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n",
        "Transfer-Encoding: gzip\r\n\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
    ];
    for raw in heads {
        let headers = fields(raw);
        for method in [
            Method::Get,
            Method::Head,
            Method::Connect,
            Method::Unremarkable,
        ] {
            for version in [Version::Http10, Version::Http11] {
                let whole = body_length(Message::Request {
                    method,
                    version,
                    headers: &headers,
                });
                let short = request_body_length(method, version, &headers);
                assert_eq!(short, whole, "{raw:?} {method:?} {version:?}");
            }
        }
    }
}

/// The word compare of `is_chunked` agrees with `eq_ignore_ascii_case` on
/// every one-byte change of `chunked` (each position, each byte value), in
/// every case of its letters, and on lengths around seven.
#[test]
fn is_chunked_is_a_case_insensitive_compare() {
    let check = |c: &[u8]| {
        assert_eq!(
            is_chunked(c),
            c.eq_ignore_ascii_case(b"chunked"),
            "{}",
            c.escape_ascii()
        );
    };
    for case in 0u8..128 {
        let word: Vec<u8> = b"chunked"
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if case >> i & 1 == 1 {
                    b.to_ascii_uppercase()
                } else {
                    *b
                }
            })
            .collect();
        check(&word);
        for at in 0..7 {
            for b in 0..=255u8 {
                let mut changed = word.clone();
                changed[at] = b;
                check(&changed);
            }
        }
    }
    for c in [
        &b"chunke"[..],
        b"chunkedd",
        b"chunked ",
        b" chunked",
        b"",
        b"CHUNKED\0",
    ] {
        check(c);
    }
}
