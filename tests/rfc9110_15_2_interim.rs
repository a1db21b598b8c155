//! RFC 9110 §15.2 "Informational 1xx" and §10.1.1 `Expect: 100-continue`:
//! interim responses before the final one, in the client's receive
//! tables and in client↔server [`Pair`] scenarios. Every table row is fed
//! whole and one byte at a time and must give identical events.

use keepalive::{Config, Event, Request, SendError, Version};
use testkit::{hdrs, run_client_rows, ClientRow, Pair};

#[test]
fn client_receives_interim_responses() {
    let rows: &[ClientRow] = &[
        (
            // §15.2.1: "The 100 (Continue) status code indicates that the initial
            // part of a request has been received"; the final response follows.
            "100 then 200",
            &["GET"],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            &["info 100", "resp 200 1.1 fixed(2)", "data \"ok\"", "end", "keep-alive", "closed"],
        ),
        (
            // §15.2: "A client MUST be able to parse one or more 1xx responses
            // received prior to a final response, even if the client does not
            // expect one."
            "several interim responses",
            &["GET"],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
            &["info 100", "info 102", "info 103", "resp 204 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §15.2: "A user agent MAY ignore unexpected 1xx responses" — an
            // unknown 1xx is still interim.
            "unknown 1xx is interim",
            &["GET"],
            b"HTTP/1.1 199 Whatever\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["info 199", "resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9112 §6.3 rule 1: a 1xx "is always terminated by the first empty
            // line after the header fields, regardless of the header fields
            // present".
            "1xx ignores Content-Length",
            &["GET"],
            b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["info 100", "resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // §15.2 + RFC 9112 §9.3: persistence is judged on the final response,
            // not on an interim one.
            "close option on the final response only",
            &["GET", "GET"],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            &["info 100", "resp 200 1.1 fixed(0)", "end", "close(connection-close/server)"],
        ),
        (
            // §15.2 with the HEAD rule: the final HEAD response still has no body.
            "interim before a HEAD response",
            &["HEAD"],
            b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
            &["info 103", "resp 200 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9112 §8: end of input after an interim response, before the
            // final one, leaves the exchange incomplete.
            "end of input after an interim response",
            &["GET"],
            b"HTTP/1.1 100 Continue\r\n\r\n",
            &["info 100", "error IncompleteMessage -"],
        ),
        (
            // §15.2 (interim) then a keep-alive cycle, then the second exchange.
            "interim responses in two exchanges",
            &["GET", "GET"],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            &[
                "info 100", "resp 200 1.1 fixed(0)", "end", "keep-alive",
                "info 103", "resp 200 1.1 fixed(0)", "end", "keep-alive", "closed",
            ],
        ),
    ];
    run_client_rows(&Config::default(), rows);
}

/// `n` interim responses, then a final `200` when `final_response`.
fn interims(n: usize, final_response: bool) -> Vec<u8> {
    let mut input = b"HTTP/1.1 103 Early Hints\r\n\r\n".repeat(n);
    if final_response {
        input.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    }
    input
}

/// The events of `n` interim responses.
fn infos(n: usize) -> Vec<&'static str> {
    vec!["info 103"; n]
}

#[test]
fn interim_responses_are_bounded_per_exchange() {
    // §15.2 sets no bound ("one or more 1xx responses"); a server that
    // sends them without end must not hold the client in one exchange.
    let mut config = Config::default();
    config.max_interim_responses = 2;
    let at_limit = interims(2, true);
    let over = interims(3, true);
    let mut two_exchanges = interims(2, true);
    two_exchanges.extend_from_slice(&interims(2, true));
    let rows: &[ClientRow] = &[
        (
            "exactly at the limit",
            &["GET"],
            &at_limit,
            &[
                "info 103",
                "info 103",
                "resp 200 1.1 fixed(0)",
                "end",
                "keep-alive",
                "closed",
            ],
        ),
        (
            "one over the limit",
            &["GET"],
            &over,
            &["info 103", "info 103", "error TooManyInterimResponses -"],
        ),
        (
            "the count starts again with each request",
            &["GET", "GET"],
            &two_exchanges,
            &[
                "info 103",
                "info 103",
                "resp 200 1.1 fixed(0)",
                "end",
                "keep-alive",
                "info 103",
                "info 103",
                "resp 200 1.1 fixed(0)",
                "end",
                "keep-alive",
                "closed",
            ],
        ),
    ];
    run_client_rows(&config, rows);
}

#[test]
fn default_interim_limit_is_100() {
    let at_limit = interims(100, true);
    let mut accepted = infos(100);
    accepted.extend(["resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"]);
    let over = interims(101, false);
    let mut refused = infos(100);
    refused.push("error TooManyInterimResponses -");
    let rows: &[ClientRow] = &[
        ("100 interim responses", &["GET"], &at_limit, &accepted),
        ("101 interim responses", &["GET"], &over, &refused),
    ];
    run_client_rows(&Config::default(), rows);
}

/// Sends `POST /up` with `Expect: 100-continue` and a 5-byte length, head
/// only.
fn expect_continue_head(pair: &mut Pair) {
    pair.request(
        "POST",
        "/up",
        &[
            ("Host", "a"),
            ("Content-Length", "5"),
            ("Expect", "100-continue"),
        ],
    )
    .unwrap();
    pair.pump();
}

#[test]
fn pair_100_continue_accepted() {
    // §10.1.1: "A server that receives a 100-continue expectation in an
    // HTTP/1.1 request ... MAY send a 100 (Continue) ... before reading the
    // content"; the client then sends the body.
    let mut pair = Pair::new();
    expect_continue_head(&mut pair);
    let (events, _) = pair.server_events();
    let Some(Event::Request(head)) = events.first() else {
        panic!("{events:?}")
    };
    assert!(head.expects_continue());
    assert_eq!(pair.server_poll(), ["need-data"]);
    pair.respond(100, &[]).unwrap();
    pair.pump();
    assert_eq!(pair.client_poll(), ["info 100", "need-data"]);
    pair.client_data(b"hello").unwrap();
    pair.client_end().unwrap();
    pair.pump();
    assert_eq!(pair.server_poll(), ["data \"hello\"", "end", "paused"]);
    pair.respond_full(201, &[], b"").unwrap();
    pair.pump();
    assert_eq!(pair.server_poll(), ["keep-alive", "need-data"]);
    assert_eq!(
        pair.client_poll(),
        ["resp 201 1.1 fixed(0)", "end", "keep-alive", "paused"]
    );
    let wire = String::from_utf8_lossy(&pair.server_wire).into_owned();
    assert!(
        wire.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 "),
        "{wire}"
    );
}

#[test]
fn pair_100_continue_refused_closes() {
    // §10.1.1: "A server MAY omit sending a 100 (Continue) response if it
    // has already received some or all of the content ... or if ... the
    // final status code" is sent instead; then the unread body makes the
    // connection unsafe to reuse, so the server closes (RFC 9112 §9.6).
    let mut pair = Pair::new();
    expect_continue_head(&mut pair);
    pair.server_poll();
    pair.respond_full(417, &[], b"").unwrap();
    pair.pump();
    let wire = String::from_utf8_lossy(&pair.server_wire).to_lowercase();
    assert!(wire.contains("connection: close\r\n"), "{wire}");
    assert_eq!(pair.server_poll(), ["close(unread-body)", "finished"]);
    assert_eq!(
        pair.client_poll(),
        [
            "resp 417 1.1 fixed(0)",
            "end",
            "close(connection-close/server)",
            "finished"
        ]
    );
    assert_eq!(pair.client_data(b"hello"), Err(SendError::ConnectionClosed));
}

#[test]
fn pair_body_sent_without_waiting_for_100() {
    // §10.1.1: a client "MAY proceed to send the content" without waiting;
    // the server reads it and the connection persists.
    let mut pair = Pair::new();
    expect_continue_head(&mut pair);
    pair.client_data(b"hello").unwrap();
    pair.client_end().unwrap();
    pair.pump();
    assert_eq!(
        pair.server_poll(),
        [
            "req POST /up 1.1 fixed(5)",
            "data \"hello\"",
            "end",
            "paused"
        ]
    );
    pair.respond_full(200, &[], b"").unwrap();
    pair.pump();
    assert_eq!(pair.server_poll(), ["keep-alive", "need-data"]);
    assert_eq!(
        pair.client_poll(),
        ["resp 200 1.1 fixed(0)", "end", "keep-alive", "paused"]
    );
}

#[test]
fn pair_early_hints_before_final() {
    // §15.2: the server may send interim responses before the final one.
    let mut pair = Pair::new();
    pair.request_full("GET", "/", &[], b"").unwrap();
    pair.pump();
    pair.server_poll();
    pair.respond(103, &[("Link", "</s.css>; rel=preload")])
        .unwrap();
    pair.respond(103, &[("Link", "</t.js>; rel=preload")])
        .unwrap();
    pair.respond_full(200, &[], b"x").unwrap();
    pair.pump();
    assert_eq!(
        pair.client_poll(),
        [
            "info 103",
            "info 103",
            "resp 200 1.1 fixed(1)",
            "data \"x\"",
            "end",
            "keep-alive",
            "paused"
        ]
    );
}

#[test]
fn no_1xx_to_http10_and_expectation_ignored() {
    // §15.2: "A server MUST NOT send a 1xx response to an HTTP/1.0 client";
    // §10.1.1: "A server that receives a 100-continue expectation in an
    // HTTP/1.0 request MUST ignore that expectation."
    let mut pair = Pair::new();
    let h = hdrs(&[("Content-Length", "1"), ("Expect", "100-continue")]);
    let mut req = Request::new("POST", "/", &h);
    req.version = Version::Http10;
    pair.client.send_request(&req, &mut pair.to_server).unwrap();
    pair.pump();
    let (events, _) = pair.server_events();
    let Some(Event::Request(head)) = events.first() else {
        panic!("{events:?}")
    };
    assert!(!head.expects_continue());
    assert_eq!(pair.respond(100, &[]), Err(SendError::InvalidStatus));
    assert_eq!(pair.respond(103, &[]), Err(SendError::InvalidStatus));
}
