//! RFC 9110 §7.8 "Upgrade", §15.2.2 "101 Switching Protocols" and §9.3.6
//! "CONNECT" (with RFC 9112 §6.3 rule 2): the connection leaves HTTP/1.1
//! and every byte after the switching head is handed over untouched.
//! Every table row is fed whole and one byte at a time and must give
//! identical events.

use keepalive::{Config, Connection, Event, Header, Recv, Response, Role, SendBuf, SendError};
use testkit::{
    poll_lines, run_client_rows, run_rows_with, AutoResponse, ClientRow, Pair, Script, ServerRow,
};

#[test]
fn client_receives_switches() {
    let rows: &[ClientRow] = &[
        (
            // §15.2.2: "A server MUST NOT switch to a protocol that was not
            // indicated by the client in the corresponding request's Upgrade
            // header field" — these requests offer none.
            "101 without an offer",
            &["GET"],
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
            &["error UnexpectedSwitch -"],
        ),
        (
            // RFC 9112 §6.3 rule 2: "Any 2xx (Successful) response to a CONNECT
            // request implies that the connection will become a tunnel
            // immediately after the empty line that concludes the header fields."
            "CONNECT 200 hands over the bytes after the head",
            &["CONNECT"],
            b"HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01\x00\xa5tls",
            &["resp 200 1.1 empty", "switch connect \"\\x16\\x03\\x01\\x00\\xa5tls\""],
        ),
        (
            // RFC 9112 §6.3 rule 2: "A client MUST ignore any Content-Length or
            // Transfer-Encoding header fields received in such a message." — the
            // bytes that look like a chunked body belong to the tunnel.
            "CONNECT 200 with Transfer-Encoding ignored",
            &["CONNECT"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            &["resp 200 1.1 empty", "switch connect \"0\\r\\n\\r\\n\""],
        ),
        (
            // §9.3.6: "Any 2xx (Successful) response indicates that the sender
            // (and all inbound proxies) will switch to tunnel mode" — any 2xx.
            "CONNECT 204 is a tunnel too",
            &["CONNECT"],
            b"HTTP/1.1 204 No Content\r\n\r\nraw",
            &["resp 204 1.1 empty", "switch connect \"raw\""],
        ),
        (
            // §9.3.6: only 2xx switches; a 407 is an ordinary response.
            "CONNECT 407 is an ordinary response",
            &["CONNECT", "CONNECT"],
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\nxyz",
            &[
                "resp 407 1.1 fixed(0)", "end", "keep-alive",
                "resp 200 1.1 empty", "switch connect \"xyz\"",
            ],
        ),
        (
            // §15.2 before §9.3.6: interim responses may precede the tunnel.
            "CONNECT interim then 200",
            &["CONNECT"],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
            &["info 100", "resp 200 1.1 empty", "switch connect \"\""],
        ),
    ];
    run_client_rows(&Config::default(), rows);
}

#[test]
fn server_switches() {
    let upgrade = Script::Server(AutoResponse {
        status: 101,
        headers: vec![
            ("Upgrade".into(), "echo".into()),
            ("Connection".into(), "upgrade".into()),
        ],
        body: vec![],
    });
    let rows: &[ServerRow] = &[
        (
            // §15.2.2: "the server will switch protocols ... immediately after the
            // empty line that terminates the 101 response" — what the client sent
            // after its request belongs to the new protocol.
            "upgrade accepted, early bytes handed over",
            b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nHELLO\r\n",
            &["req GET /chat 1.1 empty", "end", "switch upgrade \"HELLO\\r\\n\""],
        ),
        (
            // §7.8: "A server MAY ignore a received Upgrade header field if it
            // wishes to continue using the current protocol" — without the
            // "upgrade" connection option there is no offer, so a 101 is refused.
            "Upgrade without the connection option is no offer",
            b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n\r\n",
            &["req GET / 1.1 empty", "end", "send-error InvalidStatus"],
        ),
    ];
    run_rows_with(&upgrade, &Config::default(), rows);

    let rows: &[ServerRow] = &[
        (
            // §9.3.6: after a 2xx to CONNECT the connection is a tunnel; trailing
            // bytes are the client's first tunnel bytes, untouched.
            "CONNECT with trailing bytes",
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\r\n\r\nGET / HTTP/1.1\r\n",
            &[
                "req CONNECT example.com:443 1.1 empty",
                "end",
                "switch connect \"\\x16\\x03\\x01\\r\\n\\r\\nGET / HTTP/1.1\\r\\n\"",
            ],
        ),
        (
            // §9.3.6: "A CONNECT request message does not have content" — one
            // that declares some is refused: peers would disagree on where the
            // tunnel begins.
            "CONNECT with Content-Length",
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 5\r\n\r\nhello",
            &["error ConnectWithContent 400"],
        ),
        (
            "CONNECT with Transfer-Encoding",
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            &["error ConnectWithContent 400"],
        ),
        (
            // A Content-Length of 0 declares no content: the tunnel opens.
            "CONNECT with Content-Length: 0",
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 0\r\n\r\n",
            &["req CONNECT example.com:443 1.1 fixed(0)", "end", "switch connect \"\""],
        ),
        (
            // §7.8: "A server MAY ignore a received Upgrade header field" — a
            // plain 200 declines and HTTP/1.1 goes on.
            "upgrade declined by a 200",
            b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            &[
                "req GET / 1.1 empty", "end", "keep-alive",
                "req GET /2 1.1 empty", "end", "keep-alive", "closed",
            ],
        ),
    ];
    run_rows_with(&testkit::server(), &Config::default(), rows);

    let refuse = Script::Server(AutoResponse {
        status: 407,
        ..AutoResponse::default()
    });
    run_rows_with(
        &refuse,
        &Config::default(),
        &[(
            // §9.3.6: a non-2xx answer to CONNECT does not switch; the connection
            // carries on with HTTP/1.1.
            "CONNECT refused then a request",
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            &[
                "req CONNECT example.com:443 1.1 empty", "end", "keep-alive",
                "req GET / 1.1 empty", "end", "keep-alive", "closed",
            ],
        )],
    );
}

#[test]
fn pair_upgrade() {
    // §7.8 and §15.2.2 end to end: offer, 101, then each side gets the
    // other's new-protocol bytes untouched and HTTP/1.1 is over.
    let mut pair = Pair::new();
    pair.request(
        "GET",
        "/chat",
        &[
            ("Host", "a"),
            ("Upgrade", "echo"),
            ("Connection", "upgrade"),
        ],
    )
    .unwrap();
    pair.client_end().unwrap();
    pair.pump();
    pair.server.receive(b"\x81\x05early");
    assert_eq!(
        pair.server_poll(),
        ["req GET /chat 1.1 empty", "end", "paused"]
    );
    pair.respond(101, &[("Upgrade", "echo"), ("Connection", "upgrade")])
        .unwrap();
    assert_eq!(
        pair.server_poll(),
        ["switch upgrade \"\\x81\\x05early\"", "finished"]
    );
    pair.pump();
    pair.client.receive(b"\x81\x02hi");
    assert_eq!(
        pair.client_poll(),
        [
            "resp 101 1.1 empty",
            "switch upgrade \"\\x81\\x02hi\"",
            "finished"
        ]
    );
    let wire = String::from_utf8_lossy(&pair.server_wire).into_owned();
    assert_eq!(
        wire,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n"
    );
    assert_eq!(pair.server_end(), Err(SendError::ConnectionClosed));
    assert_eq!(
        pair.request_full("GET", "/", &[], b""),
        Err(SendError::ConnectionClosed)
    );
}

#[test]
fn pair_upgrade_declined_then_next_exchange() {
    // §7.8: "A server MAY ignore a received Upgrade header field" — the
    // connection stays HTTP/1.1 and persists.
    let mut pair = Pair::new();
    pair.request_full(
        "GET",
        "/",
        &[("Upgrade", "echo"), ("Connection", "upgrade")],
        b"",
    )
    .unwrap();
    pair.pump();
    pair.server_poll();
    pair.respond_full(200, &[], b"no").unwrap();
    pair.pump();
    assert_eq!(pair.server_poll(), ["keep-alive", "need-data"]);
    assert_eq!(
        pair.client_poll(),
        [
            "resp 200 1.1 fixed(2)",
            "data \"no\"",
            "end",
            "keep-alive",
            "paused"
        ]
    );
    pair.request_full("GET", "/2", &[], b"").unwrap();
    pair.pump();
    assert_eq!(
        pair.server_poll(),
        ["req GET /2 1.1 empty", "end", "paused"]
    );
}

#[test]
fn pair_connect_tunnel() {
    // §9.3.6 end to end: CONNECT, 200, then raw bytes both ways, untouched.
    let mut pair = Pair::new();
    pair.request("CONNECT", "example.com:443", &[("Host", "example.com:443")])
        .unwrap();
    pair.client_end().unwrap();
    pair.pump();
    pair.server.receive(b"\x16\x03\x01client-hello");
    assert_eq!(
        pair.server_poll(),
        ["req CONNECT example.com:443 1.1 empty", "end", "paused"]
    );
    // RFC 9110 §8.6: "A server MUST NOT send a Content-Length header field in
    // any 2xx (Successful) response to a CONNECT request".
    assert_eq!(
        pair.respond(200, &[("Content-Length", "0")]),
        Err(SendError::InvalidContentLength)
    );
    pair.respond(200, &[]).unwrap();
    assert_eq!(
        pair.server_poll(),
        ["switch connect \"\\x16\\x03\\x01client-hello\"", "finished"]
    );
    pair.pump();
    pair.client.receive(b"\x16\x03\x03server-hello");
    assert_eq!(
        pair.client_poll(),
        [
            "resp 200 1.1 empty",
            "switch connect \"\\x16\\x03\\x03server-hello\"",
            "finished"
        ]
    );
    let wire = String::from_utf8_lossy(&pair.server_wire).to_lowercase();
    assert!(
        !wire.contains("transfer-encoding") && !wire.contains("content-length"),
        "{wire}"
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
