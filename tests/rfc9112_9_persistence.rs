//! RFC 9112 §9.3 "Persistence" and §9.6 "Tear-down" (with RFC 9110 §7.6.1
//! `Connection`): the verdict after each exchange, in both roles, plus
//! multi-exchange scenarios through the client↔server [`Pair`].
//! Every table row is fed whole and one byte at a time and must give
//! identical events.

use keepalive::{Config, SendError, Version};
use testkit::{
    poll_lines, run_client_rows, run_rows_with, run_server_rows, AutoResponse, ClientRow, Pair,
    Script, ServerRow,
};

#[test]
fn server_verdicts_from_the_request() {
    let rows: &[ServerRow] = &[
        (
            // §9.3: "If the received protocol is HTTP/1.1 (or later), the
            // connection will persist after the current response" (no close).
            "HTTP/1.1 persists by default",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            &["req GET / 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §9.3: "If the "close" connection option is present, the connection
            // will not persist after the current response"
            "Connection: close",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            &["req GET / 1.1 empty", "end", "close(connection-close/client)"],
        ),
        (
            // RFC 9110 §7.6.1: "Connection options are case-insensitive."
            "Connection: CLOSE in capitals",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n",
            &["req GET / 1.1 empty", "end", "close(connection-close/client)"],
        ),
        (
            // RFC 9110 §7.6.1: "Connection = #connection-option" — close anywhere
            // in the list.
            "close later in the list",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n",
            &["req GET / 1.1 empty", "end", "close(connection-close/client)"],
        ),
        (
            // RFC 9110 §5.3: field lines with the same name form one list, so a
            // later keep-alive line does not undo close.
            "close then keep-alive on separate lines",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
            &["req GET / 1.1 empty", "end", "close(connection-close/client)"],
        ),
        (
            // RFC 9110 §5.3, the other order.
            "keep-alive then close on separate lines",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
            &["req GET / 1.1 empty", "end", "close(connection-close/client)"],
        ),
        (
            // RFC 9110 §5.6.1: empty list elements are ignored.
            "close among empty elements",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: , ,close,\r\n\r\n",
            &["req GET / 1.1 empty", "end", "close(connection-close/client)"],
        ),
        (
            // RFC 9110 §7.6.1: options are whole tokens: "closed" is not "close".
            "closed is not close",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n",
            &["req GET / 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9110 §7.6.1: other options do not affect persistence.
            "unrelated connection option",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: x-custom\r\nX-Custom: 1\r\n\r\n",
            &["req GET / 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §9.3: "If the received protocol is HTTP/1.0, the "keep-alive"
            // connection option is present, ... the connection will persist";
            // otherwise "the connection will close after the current response".
            "HTTP/1.0 without keep-alive closes",
            b"GET / HTTP/1.0\r\n\r\n",
            &["req GET / 1.0 empty", "end", "close(http10/client)"],
        ),
        (
            // §9.3, HTTP/1.0 with keep-alive persists (two exchanges).
            "HTTP/1.0 keep-alive persists",
            b"GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            &[
                "req GET /1 1.0 empty", "end", "keep-alive",
                "req GET /2 1.0 empty", "end", "keep-alive", "closed",
            ],
        ),
        (
            // §9.3: close wins over keep-alive in HTTP/1.0 too.
            "HTTP/1.0 keep-alive and close",
            b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            &["req GET / 1.0 empty", "end", "close(connection-close/client)"],
        ),
        (
            // §9.6: "A server that receives a "close" connection option MUST
            // initiate closure of the connection ... after it sends the final
            // response to the request that contained the "close" connection
            // option" — a pipelined request after it is not read.
            "request after close is not read",
            b"GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            &["req GET /1 1.1 empty", "end", "close(connection-close/client)"],
        ),
        (
            // §6.1: "the server MUST close the connection after responding to such
            // a request" (CL + TE) — the next request is not read.
            "request after CL+TE is not read",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            &["req POST / 1.1 chunked", "end", "close(conflicting)"],
        ),
        (
            // §2.2: a server "SHOULD ignore at least one empty line (CRLF) received
            // prior to the request-line" — also between persistent requests.
            "CRLF between keep-alive requests",
            b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            &[
                "req GET /1 1.1 empty", "end", "keep-alive",
                "req GET /2 1.1 empty", "end", "keep-alive", "closed",
            ],
        ),
        (
            // §9.3 with §9.6: keep-alive for several pipelined 1.1 requests.
            "three pipelined requests",
            b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
            &[
                "req GET /1 1.1 empty", "end", "keep-alive",
                "req GET /2 1.1 empty", "end", "keep-alive",
                "req GET /3 1.1 empty", "end", "keep-alive", "closed",
            ],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn error_statuses_from_the_application_keep_the_connection() {
    // §9.3 ties persistence to the close option and the protocol version,
    // not to the status code: a well-framed 4xx/5xx keeps the connection.
    let input: &[u8] = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    let expect: &[&str] = &[
        "req GET /1 1.1 empty",
        "end",
        "keep-alive",
        "req GET /2 1.1 empty",
        "end",
        "keep-alive",
        "closed",
    ];
    for status in [400, 404, 500, 503] {
        let script = Script::Server(AutoResponse {
            status,
            ..AutoResponse::default()
        });
        run_rows_with(
            &script,
            &Config::default(),
            &[("error status keeps", input, expect)],
        );
    }
}

#[test]
fn server_verdict_from_its_own_response() {
    let script = Script::Server(AutoResponse {
        headers: vec![
            ("Content-Length".into(), "0".into()),
            ("Connection".into(), "close".into()),
        ],
        ..AutoResponse::default()
    });
    run_rows_with(
        &script,
        &Config::default(),
        &[(
            // §9.6: "A server that sends a "close" connection option MUST initiate
            // closure of the connection ... after it sends the response"
            "server says close",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            &[
                "req GET / 1.1 empty",
                "end",
                "close(connection-close/server)",
            ],
        )],
    );
    let script = Script::Server(AutoResponse {
        headers: vec![],
        body: b"x".to_vec(),
        ..AutoResponse::default()
    });
    run_rows_with(
        &script,
        &Config::default(),
        &[(
            // §6.3 rule 7 seen from the sender: without a length toward an
            // HTTP/1.0 client the body is delimited by closing.
            "unframed response to HTTP/1.0 closes",
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            &["req GET / 1.0 empty", "end", "close(until-close)"],
        )],
    );
}

#[test]
fn client_verdicts_from_the_response() {
    let rows: &[ClientRow] = &[
        (
            // §9.3: HTTP/1.1 persists unless told otherwise.
            "1.1 response persists",
            &["GET", "GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
            &[
                "resp 200 1.1 fixed(1)", "data \"a\"", "end", "keep-alive",
                "resp 200 1.1 fixed(1)", "data \"b\"", "end", "keep-alive", "closed",
            ],
        ),
        (
            // §9.6: "A client that receives a "close" connection option MUST cease
            // sending requests on that connection and close the connection after
            // reading the response message containing the "close" connection
            // option"
            "server says close",
            &["GET", "GET"],
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "close(connection-close/server)"],
        ),
        (
            // RFC 9110 §7.6.1: case-insensitive, anywhere in the list.
            "server says Keep-Alive, Close",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "close(connection-close/server)"],
        ),
        (
            // §9.3: an HTTP/1.0 response without keep-alive closes.
            "HTTP/1.0 response closes",
            &["GET", "GET"],
            b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.0 fixed(0)", "end", "close(http10/server)"],
        ),
        (
            // §9.3: an HTTP/1.0 response with keep-alive persists.
            "HTTP/1.0 keep-alive response persists",
            &["GET", "GET"],
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
            &[
                "resp 200 1.0 fixed(0)", "end", "keep-alive",
                "resp 200 1.0 fixed(0)", "end", "close(http10/server)",
            ],
        ),
        (
            // §9.3 and the status code: a 500 with a length keeps the connection.
            "error status persists",
            &["GET", "GET"],
            b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            &[
                "resp 500 1.1 fixed(0)", "end", "keep-alive",
                "resp 404 1.1 fixed(0)", "end", "keep-alive", "closed",
            ],
        ),
        (
            // §9.6: "a client ... MUST NOT assume that ... a server will process"
            // more; end of input with a request outstanding is incomplete.
            "end of input with a request outstanding",
            &["GET", "GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "keep-alive", "error IncompleteMessage -"],
        ),
        (
            // §9.6 / trace format: response bytes with no request left are an
            // error (a stale or broken connection).
            "unsolicited response",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "keep-alive", "error UnsolicitedResponse -"],
        ),
    ];
    run_client_rows(&Config::default(), rows);
}

// ---------------------------------------------------------------------
// Pair scenarios

/// One GET exchange through the pair; returns (server lines, client lines)
/// after the response, each ending with its stop line.
fn get(pair: &mut Pair, target: &str, extra: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
    pair.request_full("GET", target, extra, b"").unwrap();
    pair.pump();
    let mut server = pair.server_poll();
    assert_eq!(
        server.last().map(String::as_str),
        Some("paused"),
        "{server:?}"
    );
    pair.respond_full(200, &[], b"ok").unwrap();
    pair.pump();
    server.extend(pair.server_poll());
    (server, pair.client_poll())
}

#[test]
fn pair_three_keep_alive_exchanges() {
    // §9.3: HTTP/1.1 connections persist; both ends reach the same verdict
    // after each exchange and neither adds a Connection field.
    let mut pair = Pair::new();
    for i in 0..3 {
        let target = format!("/{i}");
        let (server, client) = get(&mut pair, &target, &[]);
        assert_eq!(
            server,
            [
                format!("req GET /{i} 1.1 empty"),
                "end".into(),
                "paused".into(),
                "keep-alive".into(),
                "need-data".into()
            ]
        );
        assert_eq!(
            client,
            [
                "resp 200 1.1 fixed(2)",
                "data \"ok\"",
                "end",
                "keep-alive",
                "paused"
            ]
        );
    }
    let wire = String::from_utf8_lossy(&pair.server_wire).to_lowercase();
    assert!(!wire.contains("connection:"), "{wire}");
    pair.client_closes();
    assert_eq!(pair.server_poll(), ["closed", "finished"]);
}

#[test]
fn pair_client_close_is_echoed_and_ends_both_sides() {
    // §9.6: "A client that sends a "close" connection option MUST NOT send
    // further requests on that connection"; the server closes after its
    // response and says so with its own close option.
    let mut pair = Pair::new();
    let (server, client) = get(&mut pair, "/", &[("Connection", "close")]);
    assert_eq!(
        server,
        [
            "req GET / 1.1 empty",
            "end",
            "paused",
            "close(connection-close/client)",
            "finished"
        ]
    );
    assert_eq!(
        client,
        [
            "resp 200 1.1 fixed(2)",
            "data \"ok\"",
            "end",
            "close(connection-close/client)",
            "finished"
        ]
    );
    let wire = String::from_utf8_lossy(&pair.server_wire).to_lowercase();
    assert!(wire.contains("connection: close\r\n"), "{wire}");
    assert_eq!(
        pair.request_full("GET", "/again", &[], b""),
        Err(SendError::ConnectionClosed)
    );
}

#[test]
fn pair_server_close_ends_both_sides() {
    // §9.6: the server's close option ends the connection for the client.
    let mut pair = Pair::new();
    pair.request_full("GET", "/", &[], b"").unwrap();
    pair.pump();
    pair.server_poll();
    pair.respond_full(200, &[("Connection", "close")], b"")
        .unwrap();
    pair.pump();
    assert_eq!(
        pair.server_poll(),
        ["close(connection-close/server)", "finished"]
    );
    assert_eq!(
        pair.client_poll(),
        [
            "resp 200 1.1 fixed(0)",
            "end",
            "close(connection-close/server)",
            "finished"
        ]
    );
}

#[test]
fn pair_http10_keep_alive() {
    // §9.3: HTTP/1.0 persists only with the keep-alive option; the server
    // echoes it so the 1.0 client knows (RFC 9112 Appendix C.2.2).
    let mut pair = Pair::new();
    for _ in 0..2 {
        let h = testkit::hdrs(&[("Connection", "keep-alive")]);
        let mut req = keepalive::Request::new("GET", "/", &h);
        req.version = Version::Http10;
        pair.client.send_request(&req, &mut pair.to_server).unwrap();
        pair.client_end().unwrap();
        pair.pump();
        assert_eq!(pair.server_poll(), ["req GET / 1.0 empty", "end", "paused"]);
        pair.respond_full(200, &[], b"hi").unwrap();
        pair.pump();
        assert_eq!(pair.server_poll(), ["keep-alive", "need-data"]);
        assert_eq!(
            pair.client_poll(),
            [
                "resp 200 1.1 fixed(2)",
                "data \"hi\"",
                "end",
                "keep-alive",
                "paused"
            ]
        );
    }
    let wire = String::from_utf8_lossy(&pair.server_wire).to_lowercase();
    assert_eq!(
        wire.matches("connection: keep-alive\r\n").count(),
        2,
        "{wire}"
    );
}

#[test]
fn pair_http10_without_keep_alive_closes() {
    // §9.3: HTTP/1.0 without keep-alive: close after the response, which
    // the server marks with Connection: close.
    let mut pair = Pair::new();
    let mut req = keepalive::Request::new("GET", "/", &[]);
    req.version = Version::Http10;
    pair.client.send_request(&req, &mut pair.to_server).unwrap();
    pair.client_end().unwrap();
    pair.pump();
    assert_eq!(pair.server_poll(), ["req GET / 1.0 empty", "end", "paused"]);
    pair.respond_full(200, &[], b"").unwrap();
    pair.pump();
    assert_eq!(pair.server_poll(), ["close(http10/client)", "finished"]);
    assert_eq!(
        pair.client_poll(),
        [
            "resp 200 1.1 fixed(0)",
            "end",
            "close(http10/client)",
            "finished"
        ]
    );
}

#[test]
fn pair_error_statuses_keep_the_connection() {
    // §9.3: persistence does not depend on the status code.
    let mut pair = Pair::new();
    for status in [404, 400, 500] {
        pair.request_full("GET", "/", &[], b"").unwrap();
        pair.pump();
        pair.server_poll();
        pair.respond_full(status, &[], b"err").unwrap();
        pair.pump();
        assert_eq!(pair.server_poll(), ["keep-alive", "need-data"]);
        assert_eq!(
            pair.client_poll(),
            [
                format!("resp {status} 1.1 fixed(3)"),
                "data \"err\"".into(),
                "end".into(),
                "keep-alive".into(),
                "paused".into()
            ]
        );
    }
}

#[test]
fn pair_chunked_response_by_default() {
    // RFC 9112 §6.1 / §7.1: without a length toward a 1.1 client the
    // server streams chunked and the connection persists.
    let mut pair = Pair::new();
    pair.request_full("POST", "/up", &[], b"body").unwrap();
    pair.pump();
    assert_eq!(
        pair.server_poll(),
        [
            "req POST /up 1.1 fixed(4)",
            "data \"body\"",
            "end",
            "paused"
        ]
    );
    pair.respond(200, &[]).unwrap();
    pair.server_data(b"ab").unwrap();
    pair.server_data(b"cd").unwrap();
    pair.server_end_with(&[("X-Checksum", "1")]).unwrap();
    pair.pump();
    assert_eq!(
        pair.client_poll(),
        [
            "resp 200 1.1 chunked",
            "data \"abcd\"",
            "end [X-Checksum: 1]",
            "keep-alive",
            "paused"
        ]
    );
}

#[test]
fn pipelined_requests_wait_for_each_response() {
    // §9.3.2: "A server MAY process a sequence of pipelined requests in
    // parallel if they all have safe methods, but it MUST send the
    // corresponding responses in the same order" — the machine pauses
    // after each request and keeps the next one buffered. (The client
    // machine does not pipeline, so the bytes are written directly.)
    let mut pair = Pair::new();
    pair.server.receive(
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nxGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert_eq!(
        pair.server_poll(),
        ["req GET /1 1.1 empty", "end", "paused"]
    );
    assert_eq!(
        pair.server_poll(),
        ["paused"],
        "still paused until the response is sent"
    );
    assert!(!pair.server.unread().is_empty());
    pair.respond_full(200, &[], b"1").unwrap();
    assert_eq!(
        pair.server_poll(),
        [
            "keep-alive",
            "req POST /2 1.1 fixed(1)",
            "data \"x\"",
            "end",
            "paused"
        ]
    );
    pair.respond_full(200, &[], b"2").unwrap();
    assert_eq!(
        pair.server_poll(),
        ["keep-alive", "req GET /3 1.1 empty", "end", "paused"]
    );
    pair.respond_full(200, &[], b"3").unwrap();
    assert_eq!(pair.server_poll(), ["keep-alive", "need-data"]);
    pair.pump();
    let wire = String::from_utf8_lossy(&pair.server_wire).into_owned();
    assert_eq!(
        wire,
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1\
         HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2\
         HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3"
    );
}

#[test]
fn protocol_error_then_error_response_closes() {
    // §9.6 with §6.3 rule 5: after a framing error the server answers with
    // the error status and closes; the response says Connection: close.
    let mut pair = Pair::new();
    pair.server
        .receive(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n");
    assert_eq!(pair.server_poll(), ["error InvalidContentLength"]);
    pair.respond_full(400, &[], b"").unwrap();
    pair.pump();
    let wire = String::from_utf8_lossy(&pair.server_wire).to_lowercase();
    assert!(wire.starts_with("http/1.1 400 "), "{wire}");
    assert!(wire.contains("connection: close\r\n"), "{wire}");
    // Issue 11: the error was reported once; polling again ends.
    assert_eq!(poll_lines(&mut pair.server), ["finished"]);
}

#[test]
fn pair_client_half_close_after_request() {
    // §9.6: a client that closes its sending side after a request still
    // gets the response ("half-close"), but the connection cannot carry
    // another exchange, so the server's response says close.
    let mut pair = Pair::new();
    pair.request_full("GET", "/", &[], b"").unwrap();
    pair.client_closes();
    assert_eq!(pair.server_poll(), ["req GET / 1.1 empty", "end", "paused"]);
    pair.respond_full(200, &[], b"bye").unwrap();
    pair.pump();
    assert_eq!(pair.server_poll(), ["close(peer-closed)", "finished"]);
    let wire = String::from_utf8_lossy(&pair.server_wire).to_lowercase();
    assert!(wire.contains("connection: close\r\n"), "{wire}");
    assert_eq!(
        pair.client_poll(),
        [
            "resp 200 1.1 fixed(3)",
            "data \"bye\"",
            "end",
            "close(connection-close/server)",
            "finished"
        ]
    );
}
