//! Regressions for the findings of an independent RFC 9112/9110 review of
//! the core, one test per finding, each citing the sentence it enforces.
//! Every test here failed before its fix.

mod support;

use bytes::Bytes;
use keepalive::{
    CloseReason, Config, Connection, Event, Header, Persist, Recv, RecvErrorKind, Request,
    Response, Role, SendBuf, SendError, TimerKind,
};
use support::{client, feed_whole, poll_lines, server, Pair};

fn get(conn: &mut Connection, out: &mut SendBuf, method: &str) -> Result<(), SendError> {
    conn.send_request(&Request::new(method, "/", &[Header::new("Host", "a")]), out)?;
    conn.send_end(&[], out)
}

/// RFC 9112 §6.3: "A client MUST NOT process, cache, or forward such extra
/// data as a separate response, since such behavior would be vulnerable to
/// cache poisoning."
#[test]
fn bytes_left_after_a_response_are_never_the_next_response() {
    let smuggled = b"HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    get(&mut conn, &mut out, "HEAD").unwrap();
    conn.receive(smuggled);
    for want in ["Response", "End", "Cycle(KeepAlive)"] {
        let Ok(Recv::Event(e)) = conn.poll_event() else {
            panic!()
        };
        assert!(format!("{e:?}").starts_with(want), "{e:?}");
    }
    assert!(!conn.is_reusable());
    assert_eq!(get(&mut conn, &mut out, "GET"), Err(SendError::NotReusable));
    // Polled instead, the leftover is reported as what it is.
    assert_eq!(
        conn.poll_event().unwrap_err().kind(),
        RecvErrorKind::UnsolicitedResponse
    );

    // Through recv_buf() too.
    let mut conn = Connection::new(Role::Client, Config::default());
    get(&mut conn, &mut out, "HEAD").unwrap();
    conn.recv_buf().extend_from_slice(smuggled);
    for _ in 0..3 {
        conn.poll_event().unwrap();
    }
    assert_eq!(get(&mut conn, &mut out, "GET"), Err(SendError::NotReusable));

    // Replaying a recorded stream is the one place buffered bytes may be
    // taken as the next response, and only when asked for.
    let mut config = Config::default();
    config.replay_buffered_responses = true;
    let mut conn = Connection::new(Role::Client, config);
    get(&mut conn, &mut out, "HEAD").unwrap();
    conn.receive(smuggled);
    for _ in 0..3 {
        conn.poll_event().unwrap();
    }
    assert!(conn.is_reusable());
    get(&mut conn, &mut out, "GET").unwrap();
    assert_eq!(
        poll_lines(&mut conn)[..2],
        ["resp 200 1.1 fixed(4)", "data \"EVIL\""]
    );
}

/// RFC 9110 §7.8: "A server that receives an Upgrade header field in an
/// HTTP/1.0 request MUST ignore that Upgrade field"; §15.2: "a server MUST
/// NOT send a 1xx response to an HTTP/1.0 client"; §7.8: "A server that
/// sends a 101 (Switching Protocols) response MUST send an Upgrade header
/// field".
#[test]
fn no_switch_for_http10_and_no_101_without_upgrade() {
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(b"GET / HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    let Ok(Recv::Event(Event::Request(req))) = conn.poll_event() else {
        panic!()
    };
    assert!(!req.is_upgrade());
    let mut out = SendBuf::new();
    let up = [
        Header::new("Upgrade", "websocket"),
        Header::new("Connection", "upgrade"),
    ];
    assert_eq!(
        conn.send_response(&Response::new(101, &up), &mut out),
        Err(SendError::InvalidStatus)
    );
    assert!(out.is_empty());

    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    poll_lines(&mut conn);
    assert_eq!(
        conn.send_response(&Response::new(101, &[]), &mut out),
        Err(SendError::InvalidStatus)
    );
    conn.send_response(&Response::new(101, &up), &mut out)
        .unwrap();
}

/// RFC 9110 §10.1.1: the wait for 100 Continue only makes sense while the
/// body has not been sent.
#[test]
fn expect_continue_timer_stops_once_the_body_is_sent() {
    let mut p = Pair::new();
    p.request(
        "POST",
        "/",
        &[
            ("Host", "a"),
            ("Content-Length", "2"),
            ("Expect", "100-continue"),
        ],
    )
    .unwrap();
    p.client_data(b"ab").unwrap();
    p.client_end().unwrap();
    let (c, _) = p.advance(std::time::Duration::from_secs(2));
    assert!(!c.contains(TimerKind::ExpectContinue));
}

/// A client whose own request said `Connection: close` keeps sending its
/// body until the server's response says the server is closing: the
/// server may well still be reading it.
#[test]
fn client_finishes_its_body_unless_the_response_says_close() {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    let h = [
        Header::new("Host", "a"),
        Header::new("Content-Length", "10"),
        Header::new("Connection", "close"),
    ];
    conn.send_request(&Request::new("POST", "/", &h), &mut out)
        .unwrap();
    conn.send_data(Bytes::from_static(b"12345"), &mut out)
        .unwrap();
    conn.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        poll_lines(&mut conn),
        ["resp 200 1.1 fixed(0)", "end", "paused"]
    );
    conn.send_data(Bytes::from_static(b"67890"), &mut out)
        .unwrap();
    conn.send_end(&[], &mut out).unwrap();
    assert_eq!(
        poll_lines(&mut conn),
        ["close(connection-close/client)", "finished"]
    );

    // When the response says close, the client may stop early.
    let mut conn = Connection::new(Role::Client, Config::default());
    conn.send_request(&Request::new("POST", "/", &h[..2]), &mut out)
        .unwrap();
    conn.receive(
        b"HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(
        poll_lines(&mut conn),
        [
            "resp 413 1.1 fixed(0)",
            "end",
            "close(connection-close/server)",
            "finished"
        ]
    );
}

/// RFC 9112 §6.3 rule 4: "If a Transfer-Encoding header field is present
/// in a response and the chunked transfer coding is not the final
/// encoding, the message body length is determined by reading the
/// connection until it is closed by the server."
#[test]
fn response_with_chunked_not_final_reads_until_close() {
    let t = feed_whole(
        &client(&["GET"]),
        &Config::default(),
        b"HTTP/1.1 200 X\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc",
    );
    assert_eq!(
        t.lines()[..4],
        [
            "resp 200 1.1 until-close",
            "data \"abc\"",
            "end",
            "close(until-close)"
        ]
    );
    // An empty Transfer-Encoding list says nothing usable: refused.
    let t = feed_whole(
        &server(),
        &Config::default(),
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\nContent-Length: 3\r\n\r\nabc",
    );
    assert_eq!(t.lines()[0], "error TransferEncodingNotChunked 400");
}

/// RFC 9112 §7.1.1: `chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "="
/// BWS chunk-ext-val ] )`: whitespace before `;` or `=`, never before CRLF.
#[test]
fn no_whitespace_before_the_crlf_of_a_chunk_size_line() {
    let head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (ext, ok) in [
        (&b"5;a=b \r\n"[..], false),
        (b"5;a=\"b\" \r\n", false),
        (b"5;a=\"b\"\r\n", true),
        (b"5;a=\"b\" ;c\r\n", true),
        (b"5 ;a=b;c = \"d\"\r\n", true),
    ] {
        let input = [&head[..], ext, b"hello\r\n0\r\n\r\n"].concat();
        let lines =
            support::assert_same_whole_and_bytewise(&server(), &Config::default(), &input).lines();
        assert_eq!(
            lines.iter().any(|l| l == "data \"hello\""),
            ok,
            "{}: {lines:?}",
            String::from_utf8_lossy(ext)
        );
    }
}

/// A chunked body that started arriving and was cut by EOF is an
/// incomplete message, even when the request expected 100-continue.
#[test]
fn started_chunked_body_cut_by_eof_is_incomplete() {
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n");
    conn.receive_eof();
    let lines = poll_lines(&mut conn);
    assert_eq!(lines.last().unwrap(), "error IncompleteMessage");
}

/// Half-close: pipelined requests received before the client's EOF are
/// still answered; the close comes after the last of them.
#[test]
fn half_close_still_answers_pipelined_requests() {
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut out = SendBuf::new();
    conn.receive(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    conn.receive_eof();
    let mut respond = |conn: &mut Connection| {
        let h = [Header::new("Content-Length", "0")];
        conn.send_response(&Response::new(200, &h), &mut out)
            .unwrap();
        conn.send_end(&[], &mut out).unwrap();
    };
    assert_eq!(
        poll_lines(&mut conn),
        ["req GET /1 1.1 empty", "end", "paused"]
    );
    respond(&mut conn);
    assert_eq!(
        poll_lines(&mut conn),
        ["keep-alive", "req GET /2 1.1 empty", "end", "paused"]
    );
    respond(&mut conn);
    assert_eq!(poll_lines(&mut conn), ["close(peer-closed)", "finished"]);
}

/// After the switch is handed over, later bytes belong to the new protocol
/// and its driver: the machine does not hoard them.
#[test]
fn bytes_after_a_switch_are_not_kept() {
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut out = SendBuf::new();
    conn.receive(b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\ntls");
    poll_lines(&mut conn);
    conn.send_response(&Response::new(200, &[]), &mut out)
        .unwrap();
    let Ok(Recv::Event(Event::Switched { leftover, .. })) = conn.poll_event() else {
        panic!()
    };
    assert_eq!(leftover, "tls");
    conn.receive(&[0u8; 1000]);
    assert!(conn.unread().is_empty());
}

/// After the server broke the protocol, a client stops sending.
#[test]
fn client_stops_sending_after_a_receive_error() {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    let h = [Header::new("Host", "a"), Header::new("Content-Length", "4")];
    conn.send_request(&Request::new("POST", "/", &h), &mut out)
        .unwrap();
    conn.receive(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n");
    assert_eq!(
        conn.poll_event().unwrap_err().kind(),
        RecvErrorKind::InvalidContentLength
    );
    assert_eq!(
        conn.send_data(Bytes::from_static(b"abcd"), &mut out),
        Err(SendError::ConnectionClosed)
    );
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

/// An exchange that ended before a timer fired is still reported, before
/// the timer's error.
#[test]
fn a_finished_exchange_is_reported_before_a_later_timeout() {
    let mut p = Pair::new();
    p.request_full("GET", "/", &[], b"").unwrap();
    p.pump();
    p.server_poll();
    p.respond(200, &[("Content-Length", "0")]).unwrap();
    p.server.receive(b"GET /slow HTTP/1.1\r\n");
    p.server_end().unwrap();
    p.advance(std::time::Duration::from_secs(61));
    assert_eq!(
        p.server.poll_event(),
        Ok(Recv::Event(Event::Cycle(Persist::KeepAlive)))
    );
    assert_eq!(
        p.server.poll_event().unwrap_err().kind(),
        RecvErrorKind::HeadTimeout
    );
    assert_eq!(p.server.persist(), Persist::Close(CloseReason::HeadTimeout));
}
