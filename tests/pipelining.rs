//! RFC 9112 §9.3.2, client pipelining: requests sent before earlier
//! responses arrive, each response framed by its own request (HEAD, 1xx,
//! 204, 304 mid-pipeline), the refusals (behind a non-idempotent request,
//! an upgrade, CONNECT, `Expect: 100-continue`, a full pipeline, a
//! connection that closes), and the report of which requests a closed or
//! failed connection left unanswered, retried on a new connection. A
//! property shows that a pipelined run and a one-at-a-time run of the same
//! exchanges produce the same events.

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Header, PipelineRefusal, Request, RetrySafety, Role, SendBuf, SendError,
};
use proptest::prelude::*;
use testkit::{poll_lines, Pair};

const HOST: [Header<'static>; 1] = [Header::new("Host", "a")];

fn client(depth: u32) -> Connection {
    let mut config = Config::default();
    config.max_pipeline = depth;
    Connection::new(Role::Client, config)
}

/// Sends a bodiless request with `extra` fields after `Host`.
fn send(
    conn: &mut Connection,
    method: &str,
    extra: &[Header<'_>],
    out: &mut SendBuf,
) -> Result<(), SendError> {
    let mut fields = HOST.to_vec();
    fields.extend_from_slice(extra);
    let target = if method == "CONNECT" { "a:443" } else { "/" };
    conn.send_request(&Request::new(method, target, &fields), out)?;
    conn.send_end(&[], out)
}

fn get(conn: &mut Connection, out: &mut SendBuf) -> Result<(), SendError> {
    send(conn, "GET", &[], out)
}

fn refused(why: PipelineRefusal) -> Result<(), SendError> {
    Err(SendError::Pipeline(why))
}

#[test]
fn the_default_sends_one_request_per_exchange_as_before() {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    assert_eq!(get(&mut conn, &mut out), Err(SendError::ExchangeInProgress));
    // Behind a POST too: the default names no pipelining reason.
    let mut conn = Connection::new(Role::Client, Config::default());
    send(&mut conn, "POST", &[], &mut out).unwrap();
    assert_eq!(get(&mut conn, &mut out), Err(SendError::ExchangeInProgress));
}

#[test]
fn each_response_is_framed_by_its_own_request_mid_pipeline() {
    let mut conn = client(8);
    let mut out = SendBuf::new();
    for method in ["GET", "HEAD", "GET", "GET", "GET", "OPTIONS"] {
        send(&mut conn, method, &[], &mut out).unwrap();
    }
    // The HEAD response announces 5 bytes that never come (RFC 9110
    // §9.3.2); 204 and 304 have no content whatever their fields say
    // (RFC 9112 §6.3 rules 1); the 1xx is interim and the 200 after it is
    // the fifth request's.
    conn.receive(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\
          HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\
          HTTP/1.1 204 No Content\r\n\r\n\
          HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n\
          HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
          HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
          HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz",
    );
    assert_eq!(
        poll_lines(&mut conn),
        [
            "resp 200 1.1 fixed(2)",
            "data \"hi\"",
            "end",
            "keep-alive",
            "resp 200 1.1 empty",
            "end",
            "keep-alive",
            "resp 204 1.1 empty",
            "end",
            "keep-alive",
            "resp 304 1.1 empty",
            "end",
            "keep-alive",
            "info 103",
            "resp 200 1.1 chunked",
            "data \"abc\"",
            "end",
            "keep-alive",
            "resp 200 1.1 fixed(1)",
            "data \"z\"",
            "end",
            "keep-alive",
            "paused"
        ]
    );
    assert!(conn.is_reusable());
    let report = conn.pipeline_report();
    assert_eq!((report.sent(), report.answered()), (6, 6));
    assert!(report.unanswered().is_empty());
}

#[test]
fn a_client_with_requests_outstanding_keeps_reading() {
    let mut conn = client(4);
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    get(&mut conn, &mut out).unwrap();
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    // One response in, one outstanding: NeedData, not Paused.
    assert_eq!(
        poll_lines(&mut conn),
        ["resp 204 1.1 empty", "end", "keep-alive", "need-data"]
    );
    assert!(!conn.is_reusable());
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(
        poll_lines(&mut conn),
        ["resp 204 1.1 empty", "end", "keep-alive", "paused"]
    );
}

#[test]
fn responses_fed_one_byte_at_a_time_give_the_same_events() {
    let stream: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc\
        HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\
        HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
    let run = |bytewise: bool| {
        let mut conn = client(3);
        let mut out = SendBuf::new();
        for m in ["GET", "HEAD", "GET"] {
            send(&mut conn, m, &[], &mut out).unwrap();
        }
        let mut lines = Vec::new();
        if bytewise {
            for b in stream {
                conn.receive(&[*b]);
                lines.extend(poll_lines(&mut conn));
                lines.pop(); // the stop line
            }
        } else {
            conn.receive(stream);
            lines = poll_lines(&mut conn);
            lines.pop();
        }
        // Data pieces merged.
        let mut merged: Vec<String> = Vec::new();
        for l in lines {
            match (merged.last_mut(), l.strip_prefix("data \"")) {
                (Some(prev), Some(rest)) if prev.starts_with("data \"") => {
                    prev.pop();
                    prev.push_str(rest);
                }
                _ => merged.push(l),
            }
        }
        merged
    };
    assert_eq!(run(true), run(false));
    assert_eq!(run(false).len(), 11);
}

#[test]
fn refusals_name_their_reason_and_write_nothing() {
    let expect = [
        Header::new("Expect", "100-continue"),
        Header::new("Content-Length", "1"),
    ];
    let upgrade = [
        Header::new("Upgrade", "websocket"),
        Header::new("Connection", "upgrade"),
    ];
    let close = [Header::new("Connection", "close")];
    // (first request, its fields, second request, its fields, verdict on the second)
    type Row<'a> = (
        &'a str,
        &'a [Header<'a>],
        &'a str,
        &'a [Header<'a>],
        PipelineRefusal,
    );
    let rows: &[Row<'_>] = &[
        (
            "POST",
            &[],
            "GET",
            &[],
            PipelineRefusal::BehindNonIdempotent,
        ),
        (
            "PATCH",
            &[],
            "GET",
            &[],
            PipelineRefusal::BehindNonIdempotent,
        ),
        ("CONNECT", &[], "GET", &[], PipelineRefusal::BehindConnect),
        ("GET", &upgrade, "GET", &[], PipelineRefusal::BehindUpgrade),
        ("GET", &close, "GET", &[], PipelineRefusal::Closing),
        ("GET", &[], "PUT", &expect, PipelineRefusal::ExpectContinue),
    ];
    for (i, &(m1, f1, m2, f2, why)) in rows.iter().enumerate() {
        let mut conn = client(4);
        let mut out = SendBuf::new();
        let mut fields = HOST.to_vec();
        fields.extend_from_slice(f1);
        let target = if m1 == "CONNECT" { "a:443" } else { "/" };
        conn.send_request(&Request::new(m1, target, &fields), &mut out)
            .unwrap();
        if !f1.iter().any(|h| h.is("expect")) {
            conn.send_end(&[], &mut out).unwrap();
        }
        let before = out.remaining();
        let mut fields = HOST.to_vec();
        fields.extend_from_slice(f2);
        let second = conn.send_request(&Request::new(m2, "/", &fields), &mut out);
        assert_eq!(second, refused(why), "row {i}");
        assert_eq!(out.remaining(), before, "row {i}: nothing written");
        assert_eq!(conn.pipeline_report().sent(), 1, "row {i}");
    }
}

#[test]
fn nothing_follows_a_request_that_expects_100_continue() {
    let mut conn = client(4);
    let mut out = SendBuf::new();
    let fields = [
        HOST[0],
        Header::new("Expect", "100-continue"),
        Header::new("Content-Length", "1"),
    ];
    conn.send_request(&Request::new("PUT", "/", &fields), &mut out)
        .unwrap();
    conn.send_data(Bytes::from_static(b"x"), &mut out).unwrap();
    conn.send_end(&[], &mut out).unwrap();
    assert_eq!(
        get(&mut conn, &mut out),
        refused(PipelineRefusal::ExpectContinue)
    );
}

#[test]
fn a_full_pipeline_and_an_unfinished_body_are_refused() {
    let mut conn = client(2);
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    let fields = [HOST[0], Header::new("Content-Length", "2")];
    conn.send_request(&Request::new("PUT", "/", &fields), &mut out)
        .unwrap();
    // Bodies cannot interleave.
    assert_eq!(
        get(&mut conn, &mut out),
        refused(PipelineRefusal::RequestNotEnded)
    );
    conn.send_data(Bytes::from_static(b"ab"), &mut out).unwrap();
    conn.send_end(&[], &mut out).unwrap();
    assert_eq!(
        conn.send_end(&[], &mut out),
        Err(SendError::MessageEnded),
        "the queued request's end is its own"
    );
    assert_eq!(get(&mut conn, &mut out), refused(PipelineRefusal::Full));
    // One response frees one place.
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(
        poll_lines(&mut conn),
        ["resp 204 1.1 empty", "end", "keep-alive", "need-data"]
    );
    get(&mut conn, &mut out).unwrap();
}

#[test]
fn the_newest_request_may_still_send_its_body_while_responses_arrive() {
    let mut conn = client(2);
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    let fields = [HOST[0], Header::new("Transfer-Encoding", "chunked")];
    conn.send_request(&Request::new("PUT", "/", &fields), &mut out)
        .unwrap();
    conn.send_data(Bytes::from_static(b"ab"), &mut out).unwrap();
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(
        poll_lines(&mut conn),
        ["resp 204 1.1 empty", "end", "keep-alive", "need-data"]
    );
    // The PUT is current now and still chunked.
    assert!(conn.can_send_trailers());
    conn.send_data(Bytes::from_static(b"cd"), &mut out).unwrap();
    conn.send_end(&[Header::new("X-Sum", "1")], &mut out)
        .unwrap();
    conn.receive(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        poll_lines(&mut conn),
        ["resp 201 1.1 fixed(0)", "end", "keep-alive", "paused"]
    );
    assert!(conn.is_reusable());
}

#[test]
fn allow_pipelining_after_non_idempotent_both_settings() {
    for allow in [false, true] {
        let mut config = Config::default();
        config.max_pipeline = 4;
        config.allow_pipelining_after_non_idempotent = allow;
        let mut conn = Connection::new(Role::Client, config);
        let mut out = SendBuf::new();
        send(&mut conn, "POST", &[], &mut out).unwrap();
        let second = get(&mut conn, &mut out);
        if allow {
            second.unwrap();
            // Closed before any answer: the POST is the server's to have
            // acted on; the GET behind it may go again.
            conn.receive_eof();
            assert!(conn.poll_event().is_err());
            let report = conn.pipeline_report();
            assert_eq!(report.unanswered(), 0..2);
            assert_eq!(report.retry_safety(0), RetrySafety::FreshConnection);
            assert_eq!(report.retry_safety(1), RetrySafety::Retry);
        } else {
            assert_eq!(second, refused(PipelineRefusal::BehindNonIdempotent));
        }
    }
}

#[test]
fn a_close_mid_pipeline_leaves_the_later_requests_unanswered() {
    // (response that ends the pipeline, its verdict line)
    let rows: &[(&[u8], &str)] = &[
        (
            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
            "close(connection-close/server)",
        ),
        (b"HTTP/1.0 204 No Content\r\n\r\n", "close(http10/server)"),
        (b"HTTP/1.1 200 OK\r\n\r\nall", "close(until-close)"),
    ];
    for (i, &(response, verdict)) in rows.iter().enumerate() {
        let mut conn = client(4);
        let mut out = SendBuf::new();
        for m in ["GET", "GET", "DELETE", "POST"] {
            send(&mut conn, m, &[], &mut out).unwrap();
        }
        conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
        conn.receive(response);
        conn.receive_eof();
        let lines = poll_lines(&mut conn);
        assert_eq!(
            lines.iter().filter(|l| *l == "keep-alive").count(),
            1,
            "row {i}"
        );
        assert!(lines.contains(&verdict.to_owned()), "row {i}: {lines:?}");
        assert_eq!(lines.last().unwrap(), "finished", "row {i}");
        let report = conn.pipeline_report();
        assert_eq!((report.sent(), report.answered()), (4, 2), "row {i}");
        assert_eq!(report.unanswered(), 2..4);
        assert_eq!(report.retry_safety(1), RetrySafety::NothingOutstanding);
        assert_eq!(report.retry_safety(2), RetrySafety::Retry);
        assert_eq!(report.retry_safety(3), RetrySafety::NotIdempotent);
        assert_eq!(
            report.retry_safety(4),
            RetrySafety::NothingOutstanding,
            "never sent"
        );
        assert_eq!(report.retryable().collect::<Vec<_>>(), [2]);
        // Nothing more may be sent on it.
        assert_eq!(get(&mut conn, &mut out), Err(SendError::ConnectionClosed));
    }
}

#[test]
fn a_failure_inside_a_response_reports_it_started_and_the_rest_retryable() {
    let mut conn = client(4);
    let mut out = SendBuf::new();
    for _ in 0..3 {
        get(&mut conn, &mut out).unwrap();
    }
    conn.receive(
        b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\npart",
    );
    conn.receive_eof();
    let lines = poll_lines(&mut conn);
    assert_eq!(lines.last().unwrap(), "error IncompleteMessage");
    let report = conn.pipeline_report();
    assert_eq!(report.answered(), 1);
    assert_eq!(report.retry_safety(1), RetrySafety::ResponseStarted);
    assert_eq!(conn.retry_safety(), RetrySafety::ResponseStarted);
    assert_eq!(report.retry_safety(2), RetrySafety::Retry);
    assert_eq!(report.retryable().collect::<Vec<_>>(), [2]);
}

#[test]
fn the_first_request_of_a_fresh_connection_stays_fresh_with_others_behind_it() {
    let mut conn = client(4);
    let mut out = SendBuf::new();
    for _ in 0..3 {
        get(&mut conn, &mut out).unwrap();
    }
    conn.receive_eof();
    assert!(conn.poll_event().is_err());
    assert_eq!(conn.retry_safety(), RetrySafety::FreshConnection);
    assert_eq!(
        conn.pipeline_report().retryable().collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn a_request_that_closes_applies_its_verdict_only_when_current() {
    let mut conn = client(4);
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    send(
        &mut conn,
        "GET",
        &[Header::new("Connection", "close")],
        &mut out,
    )
    .unwrap();
    assert_eq!(get(&mut conn, &mut out), refused(PipelineRefusal::Closing));
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(
        poll_lines(&mut conn),
        [
            "resp 204 1.1 empty",
            "end",
            // The first exchange is not closed by the second's field.
            "keep-alive",
            "resp 204 1.1 empty",
            "end",
            "close(connection-close/client)",
            "finished"
        ]
    );
}

#[test]
fn max_requests_closes_at_the_nth_request_not_before() {
    let mut config = Config::default();
    config.max_pipeline = 4;
    config.max_requests = Some(2);
    let mut conn = Connection::new(Role::Client, config);
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    get(&mut conn, &mut out).unwrap();
    let wire = String::from_utf8(drain(&mut out)).unwrap();
    assert_eq!(wire.matches("Connection: close").count(), 1, "{wire}");
    assert!(wire.ends_with("Connection: close\r\n\r\n"), "{wire}");
    assert_eq!(get(&mut conn, &mut out), refused(PipelineRefusal::Closing));
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
    let lines = poll_lines(&mut conn);
    assert_eq!(lines[2], "keep-alive");
    assert_eq!(lines[5], "close(MaxRequests)");
}

#[test]
fn an_upgrade_or_connect_may_end_a_pipeline() {
    let mut conn = client(4);
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    send(&mut conn, "CONNECT", &[], &mut out).unwrap();
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\ntunnel");
    assert_eq!(
        poll_lines(&mut conn),
        [
            "resp 204 1.1 empty",
            "end",
            "keep-alive",
            "resp 200 1.1 empty",
            "switch connect \"tunnel\"",
            "finished"
        ]
    );
    let mut conn = client(4);
    get(&mut conn, &mut out).unwrap();
    let upgrade = [
        Header::new("Upgrade", "websocket"),
        Header::new("Connection", "upgrade"),
    ];
    send(&mut conn, "GET", &upgrade, &mut out).unwrap();
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nws");
    let lines = poll_lines(&mut conn);
    assert_eq!(lines[3], "resp 101 1.1 empty");
    assert_eq!(lines[4], "switch upgrade \"ws\"");
    assert_eq!(conn.pipeline_report().unanswered(), 2..2);
}

#[test]
fn bytes_beyond_the_last_outstanding_response_are_still_refused() {
    let mut conn = client(4);
    let mut out = SendBuf::new();
    get(&mut conn, &mut out).unwrap();
    get(&mut conn, &mut out).unwrap();
    // Three responses to two requests: RFC 9112 §6.3, the third is
    // unsolicited and never taken as a response.
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n".repeat(3).as_slice());
    let lines = poll_lines(&mut conn);
    assert_eq!(lines.last().unwrap(), "error UnsolicitedResponse");
    assert_eq!(lines.iter().filter(|l| *l == "keep-alive").count(), 2);
}

#[test]
fn a_server_that_closes_after_n_requests_and_a_retry_on_a_new_connection() {
    // Like nginx's `keepalive_requests 3`: the third response says close,
    // and the server reads nothing after the third request.
    let mut client_config = Config::default();
    client_config.max_pipeline = 8;
    let mut server_config = Config::default();
    server_config.max_requests = Some(3);
    let targets: Vec<String> = (0..5).map(|i| format!("/{i}")).collect();
    let mut answered: Vec<String> = Vec::new();
    let mut todo: Vec<usize> = (0..targets.len()).collect();
    let mut connections = 0;
    while !todo.is_empty() {
        connections += 1;
        assert!(connections <= 2, "one retry round suffices");
        let mut p = Pair::with_configs(client_config.clone(), server_config.clone());
        for &i in &todo {
            p.request_full("GET", &targets[i], &[], b"").unwrap();
        }
        p.pump();
        // The server answers each request with its target as the body,
        // one at a time as its machine hands them over.
        loop {
            let (events, _) = p.server_events();
            let mut target = None;
            let mut over = false;
            for e in events {
                match e {
                    keepalive::Event::Request(h) => target = Some(h.target().to_owned()),
                    keepalive::Event::Cycle(v) => over = !v.is_keep_alive(),
                    _ => {}
                }
            }
            if over {
                break;
            }
            let Some(t) = target else { break };
            p.respond_full(200, &[], t.as_bytes()).unwrap();
        }
        p.pump();
        p.server_closes();
        p.pump();
        let (events, _) = p.client_events();
        for e in events {
            if let keepalive::Event::Data(d) = e {
                answered.push(String::from_utf8(d.to_vec()).unwrap());
            }
        }
        let report = p.client.pipeline_report();
        let retry: Vec<usize> = report.retryable().map(|n| todo[n as usize]).collect();
        assert_eq!(
            report.unanswered().len(),
            retry.len(),
            "every unanswered GET is retryable"
        );
        todo = retry;
    }
    assert_eq!(connections, 2);
    assert_eq!(answered, targets, "all answered, in order");
}

/// One exchange of the property: the request's method and the response.
#[derive(Debug, Clone)]
struct Step {
    method: &'static str,
    response: Vec<u8>,
}

fn step() -> impl Strategy<Value = Step> {
    let method = prop::sample::select(vec!["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
    let body = prop::collection::vec(b'a'..=b'z', 0..20);
    (method, 0..6u8, body).prop_map(|(method, shape, body)| {
        let len = body.len();
        let text = String::from_utf8(body).unwrap();
        let response = match shape {
            0 => format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n{text}"),
            1 if len == 0 => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_owned(),
            1 => format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{len:x}\r\n{text}\r\n0\r\n\r\n"),
            2 => "HTTP/1.1 204 No Content\r\n\r\n".to_owned(),
            3 => "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\n".to_owned(),
            4 => format!("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n{text}"),
            _ => format!("HTTP/1.1 404 Not Found\r\nContent-Length: {len}\r\n\r\n{text}"),
        };
        // A HEAD response carries no body, whatever it announces.
        let response = if method == "HEAD" && shape != 2 && shape != 3 {
            response
                .split_inclusive("\r\n\r\n")
                .take(if shape == 4 { 2 } else { 1 })
                .collect()
        } else {
            response
        };
        Step {
            method,
            response: response.into_bytes(),
        }
    })
}

/// Lines with data merged across polls and stop lines dropped.
fn merge(lines: &mut Vec<String>, more: Vec<String>) {
    for l in more {
        if matches!(l.as_str(), "need-data" | "paused") {
            continue;
        }
        match (lines.last_mut(), l.strip_prefix("data \"")) {
            (Some(prev), Some(rest)) if prev.starts_with("data \"") => {
                prev.pop();
                prev.push_str(rest);
            }
            _ => lines.push(l),
        }
    }
}

proptest! {
    #[test]
    fn pipelined_and_one_at_a_time_runs_give_the_same_events(
        steps in prop::collection::vec(step(), 1..12),
        depth in 2u32..6,
        cut in 1usize..40,
    ) {
        // One at a time: each response arrives after its request.
        let mut one = client(1);
        let mut one_out = SendBuf::new();
        let mut one_lines = Vec::new();
        for s in &steps {
            send(&mut one, s.method, &[], &mut one_out).unwrap();
            one.receive(&s.response);
            merge(&mut one_lines, poll_lines(&mut one));
        }
        // Pipelined: up to `depth` requests out, the stream in `cut`-byte
        // pieces; a request goes out whenever there is room.
        let mut piped = client(depth);
        let mut out = SendBuf::new();
        let mut lines = Vec::new();
        let stream: Vec<u8> = steps.iter().flat_map(|s| s.response.clone()).collect();
        let mut fed = 0;
        let mut next = 0;
        loop {
            while next < steps.len() {
                match send(&mut piped, steps[next].method, &[], &mut out) {
                    Ok(()) => next += 1,
                    Err(SendError::Pipeline(PipelineRefusal::Full)) => break,
                    Err(e) => panic!("{e:?}"),
                }
            }
            // The server answers only what was sent.
            let sent_responses: usize = steps[..next].iter().map(|s| s.response.len()).sum();
            if fed >= sent_responses {
                break;
            }
            let end = (fed + cut).min(sent_responses);
            piped.receive(&stream[fed..end]);
            fed = end;
            merge(&mut lines, poll_lines(&mut piped));
        }
        prop_assert_eq!(&lines, &one_lines);
        prop_assert_eq!(drain(&mut out), drain(&mut one_out));
        prop_assert!(piped.is_reusable());
    }
}

/// Takes everything queued in `out`.
fn drain(out: &mut SendBuf) -> Vec<u8> {
    out.copy_to_bytes(out.remaining()).to_vec()
}

/// How the server answers one request in the agreement property.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    close: bool,
    body: usize,
}

fn answer() -> impl Strategy<Value = Answer> {
    let status = prop::sample::select(vec![200u16, 204, 304, 404, 500]);
    (status, prop::bool::weighted(0.15), 0..40usize).prop_map(|(status, close, body)| Answer {
        status,
        close,
        body,
    })
}

proptest! {
    /// A pipelining client machine and a server machine, joined by the
    /// `Pair` pipes, agree on every exchange: the same number of
    /// exchanges, the same verdict for each, the bodies in order; and the
    /// requests the client reports unanswered are exactly those the server
    /// never answered.
    #[test]
    fn a_pipelining_client_and_a_server_agree_on_every_exchange(
        methods in prop::collection::vec(prop::sample::select(vec!["GET", "HEAD", "PUT", "DELETE", "POST"]), 1..12),
        answers in prop::collection::vec(answer(), 12),
        depth in 2u32..6,
    ) {
        let mut client_config = Config::default();
        client_config.max_pipeline = depth;
        let mut p = Pair::with_configs(client_config, Config::default());
        let (mut next, mut answered) = (0, 0);
        let mut server_verdicts = Vec::new();
        let mut client_lines = Vec::new();
        for _ in 0..200 {
            while next < methods.len() {
                match p.request_full(methods[next], "/", &[], b"") {
                    Ok(()) => next += 1,
                    Err(SendError::Pipeline(_)) => break,
                    Err(e) => {
                        prop_assert_eq!(e, SendError::ConnectionClosed);
                        break;
                    }
                }
            }
            p.pump();
            let (events, stop) = p.server_events();
            for e in events {
                if let keepalive::Event::Cycle(v) = e {
                    server_verdicts.push(v);
                }
            }
            if stop == testkit::Stop::Paused {
                let a = &answers[answered];
                answered += 1;
                let n = a.body.to_string();
                let mut fields = vec![];
                if !matches!(a.status, 204 | 304) {
                    fields.push(("Content-Length", n.as_str()));
                }
                if a.close {
                    fields.push(("Connection", "close"));
                }
                p.respond(a.status, &fields).unwrap();
                if !matches!(a.status, 204 | 304) && methods[answered - 1] != "HEAD" && a.body > 0 {
                    p.server_data(&vec![b'x'; a.body]).unwrap();
                }
                p.server_end().unwrap();
            }
            p.pump();
            let lines = poll_lines(&mut p.client);
            let client_done = lines.last().is_some_and(|l| l == "finished");
            client_lines.extend(lines.into_iter().filter(|l| l == "keep-alive" || l.starts_with("close(")));
            if client_done || (next == methods.len() && answered == next && stop != testkit::Stop::Paused) {
                break;
            }
        }
        // The server's last verdict may still be unpolled.
        let (events, _) = p.server_events();
        for e in events {
            if let keepalive::Event::Cycle(v) = e {
                server_verdicts.push(v);
            }
        }
        let server_lines: Vec<String> = server_verdicts.iter().map(|v| testkit::persist_line(*v)).collect();
        // The peers name the same reason from their two sides: compare
        // keep-alive against close, exchange by exchange.
        let kept = |l: &Vec<String>| l.iter().map(|l| l == "keep-alive").collect::<Vec<_>>();
        prop_assert_eq!(kept(&client_lines), kept(&server_lines));
        prop_assert_eq!(client_lines.len(), answered);
        let report = p.client.pipeline_report();
        prop_assert_eq!(report.answered() as usize, answered);
        prop_assert_eq!(report.sent() as usize, next);
        // Every unanswered request but a POST may go again.
        for n in report.unanswered() {
            let want = if methods[n as usize] == "POST" {
                RetrySafety::NotIdempotent
            } else {
                RetrySafety::Retry
            };
            prop_assert_eq!(report.retry_safety(n), want);
        }
    }
}

#[test]
fn a_pipelining_client_need_not_poll_the_verdict_before_sending() {
    for depth in [1, 2] {
        let mut conn = client(depth);
        let mut out = SendBuf::new();
        get(&mut conn, &mut out).unwrap();
        conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
        // Polled up to the response's end, not its verdict.
        for want in ["resp 204 1.1 empty", "end"] {
            let Ok(keepalive::Recv::Event(e)) = conn.poll_event() else {
                panic!("an event")
            };
            assert_eq!(testkit::Out::from_event(e).line(), want);
        }
        // The exchange is over; its verdict is not polled yet.
        let second = get(&mut conn, &mut out);
        if depth == 1 {
            assert_eq!(second, Err(SendError::ExchangeInProgress));
            continue;
        }
        second.unwrap();
        conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(
            poll_lines(&mut conn),
            [
                "keep-alive",
                "resp 204 1.1 empty",
                "end",
                "keep-alive",
                "paused"
            ]
        );
    }
}

#[test]
fn a_huge_max_pipeline_allocates_only_what_is_queued() {
    // `max_pipeline` bounds the requests outstanding; it is not a size to
    // reserve up front: `u32::MAX` (or `--pipeline 4000000000`) must not
    // ask the allocator for gigabytes at the first pipelined request.
    let mut conn = client(u32::MAX);
    let mut out = SendBuf::new();
    for _ in 0..100 {
        get(&mut conn, &mut out).unwrap();
    }
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n".repeat(100).as_slice());
    let lines = poll_lines(&mut conn);
    assert_eq!(lines.iter().filter(|l| *l == "keep-alive").count(), 100);
    assert_eq!(lines.last().unwrap(), "paused");
}

#[test]
fn retry_safety_names_the_first_unanswered_request_after_a_close_mid_pipeline() {
    // `Connection::retry_safety` is the rule of the first unanswered
    // request (the report's doc says so, and the drivers' `may_retry`
    // reads it): after a response that closes, that is the first request
    // behind it, not "nothing outstanding", which a driver takes as "retry".
    for (second, want) in [
        ("POST", RetrySafety::NotIdempotent),
        ("GET", RetrySafety::Retry),
    ] {
        let mut config = Config::default();
        config.max_pipeline = 4;
        config.allow_pipelining_after_non_idempotent = true;
        let mut conn = Connection::new(Role::Client, config);
        let mut out = SendBuf::new();
        for method in ["GET", second, "GET"] {
            send(&mut conn, method, &[], &mut out).unwrap();
        }
        conn.receive(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        let lines = poll_lines(&mut conn);
        assert_eq!(lines.last().unwrap(), "finished");
        let report = conn.pipeline_report();
        assert_eq!(report.unanswered(), 1..3);
        assert_eq!(report.retry_safety(1), want, "{second}");
        assert_eq!(conn.retry_safety(), want, "{second}");
    }
}

/// A response of the ending property: any of [`step`]'s, or one that
/// closes the connection (`Connection: close`, HTTP/1.0, a body read until
/// close), or an HTTP/1.0 one kept alive.
fn any_step() -> impl Strategy<Value = Step> {
    let method = prop::sample::select(vec!["GET", "HEAD", "PUT", "DELETE", "POST"]);
    let body = prop::collection::vec(b'a'..=b'z', 0..12);
    let closing = (method, 0..4u8, body).prop_map(|(method, shape, body)| {
        let len = body.len();
        let text = String::from_utf8(body).unwrap();
        let (head, text) = match shape {
            0 => (
                format!("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {len}\r\n\r\n"),
                text,
            ),
            1 => (
                format!("HTTP/1.0 200 OK\r\nContent-Length: {len}\r\n\r\n"),
                text,
            ),
            2 => (
                format!(
                    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: {len}\r\n\r\n"
                ),
                text,
            ),
            _ => ("HTTP/1.1 200 OK\r\n\r\n".to_owned(), text),
        };
        let response = if method == "HEAD" { head } else { head + &text };
        Step {
            method,
            response: response.into_bytes(),
        }
    });
    prop_oneof![3 => step(), 1 => closing]
}

/// Lines with data merged, stop lines dropped (`finished` too: a closed
/// connection says it at every poll).
fn merge_all(lines: &mut Vec<String>, more: Vec<String>) {
    let more = more.into_iter().filter(|l| l != "finished").collect();
    merge(lines, more);
}

proptest! {
    /// Any response sequence (closing ones, HTTP/1.0, until close, 1xx),
    /// cut short or not, then the server's close or not, at any depth:
    /// the pipelined run gives the one-at-a-time run's events; its report
    /// adds up (answered = exchanges ended, answered + unanswered = sent);
    /// no unanswered request is retryable if it is not idempotent or its
    /// response started; `retry_safety()` is the first unanswered one's;
    /// and the request both runs left unanswered gets the same rule.
    #[test]
    fn any_responses_at_any_depth_give_the_one_at_a_time_events_and_a_report_that_adds_up(
        steps in prop::collection::vec(any_step(), 1..10),
        depth in 1u32..6,
        cut in 1usize..40,
        truncate in prop::option::of(0usize..60),
        eof in any::<bool>(),
        allow in any::<bool>(),
    ) {
        let config = |depth| {
            let mut config = Config::default();
            config.max_pipeline = depth;
            config.allow_pipelining_after_non_idempotent = allow;
            config
        };
        // One at a time; `stream` is every byte the server sent, `ends`
        // where each response ends in it.
        let mut one = Connection::new(Role::Client, config(1));
        let mut one_out = SendBuf::new();
        let mut one_lines = Vec::new();
        let (mut stream, mut ends) = (Vec::new(), Vec::new());
        let mut eof = eof;
        let mut started = false;
        for (i, s) in steps.iter().enumerate() {
            if send(&mut one, s.method, &[], &mut one_out).is_err() {
                // Closed, or a body read until close: the server closes.
                eof = true;
                break;
            }
            let mut response = &s.response[..];
            if let (true, Some(t)) = (i + 1 == steps.len(), truncate) {
                if t < response.len() {
                    response = &response[..t];
                    started = t > 0;
                    eof = true;
                }
            }
            one.receive(response);
            stream.extend_from_slice(response);
            ends.push(stream.len());
            merge_all(&mut one_lines, poll_lines(&mut one));
        }
        if eof {
            one.receive_eof();
            merge_all(&mut one_lines, poll_lines(&mut one));
        }

        let mut piped = Connection::new(Role::Client, config(depth));
        let mut out = SendBuf::new();
        let mut lines = Vec::new();
        let (mut fed, mut next) = (0, 0);
        loop {
            while next < steps.len() && send(&mut piped, steps[next].method, &[], &mut out).is_ok() {
                next += 1;
            }
            // The server answers only what was sent.
            let answerable = ends.get(next.min(ends.len()).wrapping_sub(1)).copied().unwrap_or(0);
            let answerable = if next == 0 { 0 } else { answerable };
            if fed >= answerable {
                break;
            }
            let end = (fed + cut).min(answerable);
            piped.receive(&stream[fed..end]);
            fed = end;
            merge_all(&mut lines, poll_lines(&mut piped));
        }
        prop_assert_eq!(fed, stream.len(), "every response was asked for");
        if eof {
            piped.receive_eof();
            merge_all(&mut lines, poll_lines(&mut piped));
        }
        prop_assert_eq!(&lines, &one_lines);

        let report = piped.pipeline_report();
        let ended = lines.iter().filter(|l| *l == "keep-alive" || l.starts_with("close(")).count();
        prop_assert_eq!(report.sent() as usize, next);
        prop_assert_eq!(report.answered() as usize, ended);
        prop_assert_eq!(report.answered() + report.unanswered().len() as u32, report.sent());
        for n in report.unanswered() {
            let safety = report.retry_safety(n);
            let method = steps[n as usize].method;
            if method == "POST" {
                prop_assert_ne!(safety, RetrySafety::Retry, "request {}", n);
            }
            if started && n == report.answered() {
                prop_assert_eq!(safety, RetrySafety::ResponseStarted, "request {}", n);
            }
            if n > report.answered() {
                // Nothing of its response was parsed: only the method decides.
                let want = if method == "POST" { RetrySafety::NotIdempotent } else { RetrySafety::Retry };
                prop_assert_eq!(safety, want, "request {}", n);
            }
        }
        prop_assert_eq!(piped.retry_safety(), report.retry_safety(report.answered()));
        let one_report = one.pipeline_report();
        if one_report.unanswered().contains(&report.answered()) {
            prop_assert_eq!(one.retry_safety(), report.retry_safety(report.answered()));
        }
    }
}

/// A request of the streaming property: bodies for PUT, sent in pieces.
#[derive(Debug, Clone)]
struct Upload {
    method: &'static str,
    body: Vec<u8>,
    chunked: bool,
    pieces: usize,
}

impl Upload {
    fn head(&self, conn: &mut Connection, out: &mut SendBuf) -> Result<(), SendError> {
        let n = self.body.len().to_string();
        let mut fields = HOST.to_vec();
        if self.method == "PUT" {
            fields.push(if self.chunked {
                Header::new("Transfer-Encoding", "chunked")
            } else {
                Header::new("Content-Length", &n)
            });
        }
        conn.send_request(&Request::new(self.method, "/", &fields), out)
    }

    /// The body's `k`-th piece, if any is left.
    fn piece(&self, k: usize) -> Option<Bytes> {
        let per = self.body.len().div_ceil(self.pieces).max(1);
        let start = k * per;
        (start < self.body.len())
            .then(|| Bytes::copy_from_slice(&self.body[start..(start + per).min(self.body.len())]))
    }

    /// Its response: the body names the request, a HEAD's has none.
    fn response(&self, i: usize) -> Vec<u8> {
        let body = format!("r{i}");
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        if self.method == "HEAD" {
            head.into_bytes()
        } else {
            (head + &body).into_bytes()
        }
    }
}

fn upload() -> impl Strategy<Value = Upload> {
    let method = prop::sample::select(vec!["GET", "PUT", "DELETE", "HEAD"]);
    let body = prop::collection::vec(b'a'..=b'z', 0..10);
    (method, body, any::<bool>(), 1usize..4).prop_map(|(method, body, chunked, pieces)| Upload {
        method,
        body: if method == "PUT" { body } else { Vec::new() },
        chunked,
        pieces,
    })
}

proptest! {
    /// The newest request streams its body while earlier responses
    /// arrive (and its own response may arrive before its body ends): in
    /// any interleaving of sends, receives (through `receive` or
    /// `recv_buf`) and polls, the events and the wire are those of the
    /// one-at-a-time run: no response to a request sent is ever taken for
    /// bytes that came before it.
    #[test]
    fn the_newest_body_streams_while_responses_arrive_in_any_interleaving(
        uploads in prop::collection::vec(upload(), 1..8),
        depth in 2u32..5,
        cut in 1usize..30,
        turns in prop::collection::vec(any::<bool>(), 1..64),
    ) {
        let mut one = client(1);
        let mut one_out = SendBuf::new();
        let mut one_lines = Vec::new();
        let (mut stream, mut ends) = (Vec::new(), Vec::new());
        for (i, u) in uploads.iter().enumerate() {
            u.head(&mut one, &mut one_out).unwrap();
            let mut k = 0;
            while let Some(piece) = u.piece(k) {
                one.send_data(piece, &mut one_out).unwrap();
                k += 1;
            }
            one.send_end(&[], &mut one_out).unwrap();
            let response = u.response(i);
            one.receive(&response);
            stream.extend_from_slice(&response);
            ends.push(stream.len());
            merge_all(&mut one_lines, poll_lines(&mut one));
        }

        let mut piped = client(depth);
        let mut out = SendBuf::new();
        let mut lines = Vec::new();
        // `next`: the request being sent; `piece`: its next body piece,
        // `None` before its head.
        let (mut next, mut piece, mut fed) = (0, None::<usize>, 0);
        for turn in 0.. {
            prop_assert!(turn < 10_000, "stuck at request {}, byte {}", next, fed);
            if next == uploads.len() && fed == stream.len() {
                break;
            }
            // The turns repeat, inverted every other round, so that both
            // sides always get to move.
            let send = turns[turn % turns.len()] ^ (turn / turns.len() % 2 == 1);
            if send && next < uploads.len() {
                let u = &uploads[next];
                match piece {
                    None => match u.head(&mut piped, &mut out) {
                        Ok(()) => piece = Some(0),
                        Err(SendError::Pipeline(_)) => {}
                        Err(e) => panic!("{e:?}"),
                    },
                    Some(k) => match u.piece(k) {
                        Some(data) => {
                            piped.send_data(data, &mut out).unwrap();
                            piece = Some(k + 1);
                        }
                        None => {
                            piped.send_end(&[], &mut out).unwrap();
                            (next, piece) = (next + 1, None);
                        }
                    },
                }
            } else if !send {
                // The server answers what was asked, maybe before the
                // request's body ended.
                let asked = next + usize::from(piece.is_some());
                let answerable = if asked == 0 { 0 } else { ends[asked - 1] };
                if fed < answerable {
                    let end = (fed + cut).min(answerable);
                    // Read into `recv_buf` or handed to `receive`, polled
                    // at once or after the next sends.
                    if turn % 2 == 0 {
                        piped.recv_buf().extend_from_slice(&stream[fed..end]);
                    } else {
                        piped.receive(&stream[fed..end]);
                    }
                    fed = end;
                    if turn % 3 == 0 {
                        continue;
                    }
                }
                merge_all(&mut lines, poll_lines(&mut piped));
            }
        }
        merge_all(&mut lines, poll_lines(&mut piped));
        prop_assert_eq!(&lines, &one_lines);
        prop_assert_eq!(drain(&mut out), drain(&mut one_out));
        prop_assert!(piped.is_reusable());
    }
}

#[test]
fn the_idle_timer_never_runs_while_a_pipelined_response_is_awaited() {
    use keepalive::TimerKind;
    use std::time::{Duration, Instant};
    let mut conn = client(4);
    let mut out = SendBuf::new();
    let start = Instant::now();
    conn.handle_timeout(start);
    for _ in 0..3 {
        get(&mut conn, &mut out).unwrap();
    }
    assert_eq!(
        conn.poll_timeout(),
        None,
        "requests outstanding: no idle timer"
    );
    // The first response hints a 1 s idle timeout; two are still awaited.
    conn.receive(b"HTTP/1.1 204 No Content\r\nKeep-Alive: timeout=1\r\n\r\n");
    assert_eq!(poll_lines(&mut conn).last().unwrap(), "need-data");
    assert_eq!(conn.poll_timeout(), None);
    let later = start + Duration::from_secs(1000);
    assert!(conn.handle_timeout(later).is_empty());
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(poll_lines(&mut conn).last().unwrap(), "need-data");
    assert!(conn
        .handle_timeout(later + Duration::from_secs(1000))
        .is_empty());
    conn.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(poll_lines(&mut conn).last().unwrap(), "paused");
    // Nothing outstanding: idle now, for the server's shorter hint.
    let now = later + Duration::from_secs(1000);
    assert_eq!(conn.poll_timeout(), Some(now + Duration::from_secs(1)));
    assert!(conn
        .handle_timeout(now + Duration::from_secs(1))
        .contains(TimerKind::Idle));
}

/// A server on 127.0.0.1 that answers each request, as its head arrives,
/// with its target as the body.
fn echo_target_server() -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            while let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).into_owned();
                got.drain(..end + 4);
                let target = head.split(' ').nth(1).unwrap_or("?").to_owned();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{target}",
                    target.len()
                );
                if sock.write_all(reply.as_bytes()).is_err() {
                    return;
                }
            }
            match sock.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    addr
}

#[test]
fn the_drivers_get_refuses_to_run_behind_an_outstanding_request() {
    // `get` reads "the" response of its request: behind a pipelined
    // request it would read that one's response as its own (here "/a" as
    // the answer to "/b"). It refuses, as at depth 1.
    let mut config = Config::default();
    config.max_pipeline = 4;
    let addr = echo_target_server();
    let mut c =
        keepalive::blocking::Conn::connect(addr, config.clone(), Default::default()).unwrap();
    c.send_request(&Request::new("GET", "/a", &HOST)).unwrap();
    c.send_end(&[]).unwrap();
    let got = c.get("/b", &HOST).map(|(_, body)| body);
    let err = got.expect_err("get behind an outstanding request");
    assert_eq!(
        err.get_ref()
            .and_then(|e| e.downcast_ref::<SendError>())
            .copied(),
        Some(SendError::ExchangeInProgress)
    );
    // Nothing was sent for "/b": "/a" is still answered, as itself.
    let mut bodies = Vec::new();
    loop {
        match c.next_event().unwrap().unwrap() {
            keepalive::Recv::Event(keepalive::Event::Data(d)) => bodies.extend_from_slice(&d),
            keepalive::Recv::Event(keepalive::Event::Cycle(_)) => break,
            _ => {}
        }
    }
    assert_eq!(bodies, b"/a");
    let (_, body) = c.get("/b", &HOST).unwrap();
    assert_eq!(body, b"/b");

    let addr = echo_target_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = keepalive::tokio::Conn::connect(addr, config, Default::default())
            .await
            .unwrap();
        c.send_request(&Request::new("GET", "/a", &HOST)).unwrap();
        c.send_end(&[]).unwrap();
        let err = c.get("/b", &HOST).await.expect_err("tokio get behind /a");
        assert_eq!(
            err.get_ref()
                .and_then(|e| e.downcast_ref::<SendError>())
                .copied(),
            Some(SendError::ExchangeInProgress)
        );
    });
}

#[test]
fn the_drivers_get_runs_after_an_exchange_whose_verdict_was_not_polled() {
    // A pipelining client may send once a response ended, before polling
    // its verdict; `get` then reads that verdict first. It belongs to the
    // exchange before, not to `get`'s, which has no head yet.
    let mut config = Config::default();
    config.max_pipeline = 2;
    let addr = echo_target_server();
    let mut c = keepalive::blocking::Conn::connect(addr, config, Default::default()).unwrap();
    c.send_request(&Request::new("GET", "/a", &HOST)).unwrap();
    c.send_end(&[]).unwrap();
    // Read "/a" to its end, not to its verdict.
    while !matches!(
        c.next_event().unwrap().unwrap(),
        keepalive::Recv::Event(keepalive::Event::End(_))
    ) {}
    let (head, body) = c.get("/b", &HOST).unwrap();
    assert_eq!((head.status(), &body[..]), (200, &b"/b"[..]));
}

#[test]
fn bytes_that_arrived_before_a_pipelined_request_are_never_its_response() {
    // RFC 9112 §6.3: data after the final response to the last request
    // sent MUST NOT be processed as a separate response (cache poisoning;
    // a desynchronized server or a smuggled request leaves one). Sending
    // another request before polling those bytes must not turn them into
    // its response: the server could not have answered a request it had
    // not received. Through `receive` and through `recv_buf` alike.
    let extra: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nevil!!";
    for via_recv_buf in [false, true] {
        let mut conn = client(2);
        let mut out = SendBuf::new();
        get(&mut conn, &mut out).unwrap();
        let bytes = [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"[..],
            extra,
        ]
        .concat();
        if via_recv_buf {
            conn.recv_buf().extend_from_slice(&bytes);
        } else {
            conn.receive(&bytes);
        }
        // The application reads the head, then sends its next request.
        let Ok(keepalive::Recv::Event(keepalive::Event::Response(_))) = conn.poll_event() else {
            panic!("the first response's head")
        };
        get(&mut conn, &mut out).unwrap();
        let lines = poll_lines(&mut conn);
        assert!(
            !lines.iter().any(|l| l.contains("evil")),
            "recv_buf {via_recv_buf}: {lines:?}"
        );
        assert_eq!(
            lines.last().unwrap(),
            "error UnsolicitedResponse",
            "{lines:?}"
        );
        // The request is reported unanswered, not answered by those bytes.
        assert_eq!(conn.pipeline_report().unanswered(), 1..2);
        // Replaying a recording, buffered responses are the requests'.
        let mut config = Config::default();
        config.max_pipeline = 2;
        config.replay_buffered_responses = true;
        let mut replay = Connection::new(Role::Client, config);
        get(&mut replay, &mut out).unwrap();
        replay.receive(&bytes);
        let Ok(keepalive::Recv::Event(keepalive::Event::Response(_))) = replay.poll_event() else {
            panic!("the first response's head")
        };
        get(&mut replay, &mut out).unwrap();
        let lines = poll_lines(&mut replay);
        assert!(lines.contains(&"data \"evil!!\"".to_owned()), "{lines:?}");
        // The same bytes arriving after the request went out are its response.
        let mut conn = client(2);
        get(&mut conn, &mut out).unwrap();
        conn.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let Ok(keepalive::Recv::Event(keepalive::Event::Response(_))) = conn.poll_event() else {
            panic!("the first response's head")
        };
        get(&mut conn, &mut out).unwrap();
        if via_recv_buf {
            conn.recv_buf().extend_from_slice(extra);
        } else {
            conn.receive(extra);
        }
        let lines = poll_lines(&mut conn);
        assert!(lines.contains(&"data \"evil!!\"".to_owned()), "{lines:?}");
        assert_eq!(lines.last().unwrap(), "paused");
    }
}
