//! RFC 9112 §9.3 and §9.6 over a live exchange: what a connection may be
//! reused for and how it ends — request limits, early responses and the
//! drain of an unread request body, refused `Expect: 100-continue`,
//! half-close, stale client connections (RFC 9112 §9.3.1 retries) and
//! whether a retry is safe. Driven through the `Pair` harness; the timers
//! themselves are in `timers.rs`.

use bytes::Bytes;
use keepalive::{
    CloseReason, Config, Connection, Header, Persist, RecvErrorKind, Request, Response, Role,
    SendBuf, SendError,
};
use testkit::{hdrs, poll_lines, Pair};

#[test]
fn max_requests_closes_after_the_nth_exchange_with_connection_close() {
    let mut server = Config::default();
    server.max_requests = Some(2);
    let mut p = Pair::with_configs(Config::default(), server);
    let mut client_verdicts = Vec::new();
    for (i, want) in [(0, "keep-alive"), (1, "close(MaxRequests)")] {
        p.request_full("GET", "/", &[], b"").unwrap();
        p.pump();
        p.server_poll();
        p.respond_full(200, &[], b"").unwrap();
        assert_eq!(p.server_poll()[0], want, "exchange {i}");
        p.pump();
        client_verdicts.push(p.client_poll()[2].clone());
    }
    assert_eq!(
        client_verdicts,
        ["keep-alive", "close(connection-close/server)"]
    );
    let wire = String::from_utf8_lossy(&p.server_wire).into_owned();
    assert_eq!(wire.matches("Connection: close").count(), 1, "{wire}");
    assert_eq!(p.client.exchanges(), 2);
}

#[test]
fn a_client_at_max_requests_says_connection_close_itself() {
    let mut client = Config::default();
    client.max_requests = Some(1);
    let mut p = Pair::with_configs(client, Config::default());
    p.request_full("GET", "/", &[], b"").unwrap();
    p.pump();
    assert_eq!(p.server_poll(), ["req GET / 1.1 empty", "end", "paused"]);
    p.respond_full(200, &[], b"").unwrap();
    p.pump();
    assert_eq!(
        p.server_poll(),
        ["close(connection-close/client)", "finished"]
    );
    assert_eq!(
        p.client_poll(),
        [
            "resp 200 1.1 fixed(0)",
            "end",
            "close(MaxRequests)",
            "finished"
        ]
    );
}

#[test]
fn early_response_drains_a_small_remainder_and_keeps_the_connection() {
    let mut p = Pair::new();
    p.request(
        "POST",
        "/upload",
        &[("Host", "a"), ("Content-Length", "10")],
    )
    .unwrap();
    p.client_data(b"0123").unwrap();
    p.pump();
    assert_eq!(
        p.server_poll(),
        [
            "req POST /upload 1.1 fixed(10)",
            "data \"0123\"",
            "need-data"
        ]
    );
    // 401 before the upload finished; 6 bytes remain: within the budget.
    p.respond_full(401, &[], b"").unwrap();
    p.pump();
    assert_eq!(p.client_poll(), ["resp 401 1.1 fixed(0)", "end", "paused"]);
    p.client_data(b"456789").unwrap();
    p.client_end().unwrap();
    p.pump();
    // Issue 11: drained bytes are the machine's, not the application's;
    // the request's end is still reported.
    assert_eq!(p.server_poll(), ["end", "keep-alive", "need-data"]);
    assert_eq!(p.client_poll(), ["keep-alive", "paused"]);
}

#[test]
fn early_response_over_the_drain_budget_closes() {
    let mut server = Config::default();
    server.drain_budget = 4;
    let mut p = Pair::with_configs(Config::default(), server);
    p.request(
        "POST",
        "/upload",
        &[("Host", "a"), ("Content-Length", "10")],
    )
    .unwrap();
    p.client_data(b"0123").unwrap();
    p.pump();
    p.server_poll();
    p.respond_full(413, &[], b"").unwrap();
    assert_eq!(p.server_poll(), ["close(unread-body)", "finished"]);
}

#[test]
fn expect_continue_refused_with_a_final_status_closes_cleanly() {
    let mut p = Pair::new();
    p.expect_100("PUT", "/big", "1000000");
    p.pump();
    assert_eq!(
        p.server_poll(),
        ["req PUT /big 1.1 fixed(1000000)", "need-data"]
    );
    p.respond_full(417, &[], b"").unwrap();
    assert_eq!(p.server_poll(), ["close(unread-body)", "finished"]);
    p.pump();
    assert_eq!(
        p.client_poll(),
        [
            "resp 417 1.1 fixed(0)",
            "end",
            "close(connection-close/server)",
            "finished"
        ]
    );
    // The client gives up: its EOF is no error on either side.
    p.client_closes();
    assert_eq!(p.server_poll(), ["finished"]);
}

#[test]
fn eof_from_a_client_still_waiting_for_100_is_an_incomplete_message() {
    // Issue 11: the announced body will never come, and the application
    // must learn it; the server may still answer before closing.
    let mut p = Pair::new();
    p.expect_100("PUT", "/big", "5");
    p.client_closes();
    assert_eq!(
        p.server_poll(),
        ["req PUT /big 1.1 fixed(5)", "error IncompleteMessage"]
    );
    p.respond_full(400, &[], b"").unwrap();
    assert_eq!(p.server_poll(), ["finished"]);
    assert!(String::from_utf8_lossy(&p.take_client_bound()).contains("Connection: close"));
}

#[test]
fn half_close_after_a_complete_request_still_gets_its_response() {
    let mut p = Pair::new();
    p.request_full("GET", "/", &[], b"").unwrap();
    p.client_closes();
    assert_eq!(p.server_poll(), ["req GET / 1.1 empty", "end", "paused"]);
    assert_eq!(p.server.persist(), Persist::Close(CloseReason::PeerClosed));
    p.respond_full(200, &[], b"hi").unwrap();
    assert_eq!(p.server_poll(), ["close(peer-closed)", "finished"]);
    p.pump();
    assert_eq!(
        p.client_poll(),
        [
            "resp 200 1.1 fixed(2)",
            "data \"hi\"",
            "end",
            "close(connection-close/server)",
            "finished"
        ]
    );
}

#[test]
fn bytes_while_idle_make_a_client_connection_stale() {
    let mut p = Pair::new();
    assert!(p.client.is_reusable());
    p.client
        .receive(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    assert!(!p.client.is_reusable());
    let h = hdrs(&[("Host", "a")]);
    let mut out = SendBuf::new();
    assert_eq!(
        p.client
            .send_request(&keepalive::Request::new("GET", "/", &h), &mut out),
        Err(SendError::NotReusable)
    );
    assert!(out.is_empty());
    let err = p.client.poll_event().unwrap_err();
    assert_eq!(err.kind(), RecvErrorKind::UnsolicitedResponse);
}

#[test]
fn eof_while_idle_makes_a_client_connection_not_reusable() {
    let mut p = Pair::new();
    p.server_closes();
    assert!(!p.client.is_reusable());
    assert_eq!(p.client_poll(), ["closed", "finished"]);
    assert_eq!(
        p.request_full("GET", "/", &[], b""),
        Err(SendError::ConnectionClosed)
    );
}

#[test]
fn response_started_tells_whether_a_retry_is_safe() {
    let mut p = Pair::new();
    p.request_full("GET", "/", &[], b"").unwrap();
    assert!(!p.client.response_started());
    p.pump();
    p.server_poll();
    p.respond(200, &[("Content-Length", "2")]).unwrap();
    p.pump();
    assert!(p.client.response_started());
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
