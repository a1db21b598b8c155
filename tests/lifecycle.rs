//! Issue 11 items 2 and 3: every way a connection ends is reported once,
//! and the report agrees with `persist()`; after an error, `poll_event`
//! cannot spin — a naive driver loop ends for every `RecvErrorKind`.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use keepalive::{
    CloseReason, Config, Connection, Event, Header, Persist, Recv, RecvErrorKind, Request,
    Response, Role, SendBuf,
};
use testkit::Pair;

/// What a driver feeds when the machine asks for more.
#[derive(Debug, Clone, Copy)]
enum Feed {
    Bytes(&'static [u8]),
    Eof,
    /// Advance the clock by this many seconds.
    Wait(u64),
}

/// The last report before `Finished`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ending {
    Cycle(Persist),
    Closed,
    Switched,
    Error(RecvErrorKind),
}

/// A naive driver loop written from the docs: log errors and poll again,
/// answer what must be answered, feed what is asked for. Returns every
/// error seen and the last report, and panics if the loop spins.
fn drive(conn: &mut Connection, feed: &[Feed]) -> (Vec<RecvErrorKind>, Option<Ending>) {
    let mut now = Instant::now();
    conn.handle_timeout(now);
    let mut feed = feed.iter();
    let mut out = SendBuf::new();
    let mut errors = Vec::new();
    let mut last = None;
    let host = [Header::new("Host", "a")];
    if conn.role() == Role::Client {
        conn.send_request(&Request::new("GET", "/", &host), &mut out)
            .unwrap();
        conn.send_end(&[], &mut out).unwrap();
    }
    for _ in 0..1000 {
        match conn.poll_event() {
            Ok(Recv::Event(e)) => match e {
                Event::Cycle(p) => last = Some(Ending::Cycle(p)),
                Event::Closed => last = Some(Ending::Closed),
                Event::Switched { .. } => last = Some(Ending::Switched),
                _ => {}
            },
            // A server pauses owing a response to a complete request.
            Ok(Recv::Paused) if conn.role() == Role::Server => {
                let fields = [Header::new("Content-Length", "0")];
                conn.send_response(&Response::new(200, &fields), &mut out)
                    .unwrap();
                conn.send_end(&[], &mut out).unwrap();
            }
            Ok(Recv::NeedData) | Ok(Recv::Paused) => match feed.next() {
                Some(Feed::Bytes(b)) => conn.receive(b),
                Some(Feed::Eof) | None => conn.receive_eof(),
                Some(Feed::Wait(s)) => {
                    now += Duration::from_secs(*s);
                    conn.handle_timeout(now);
                }
            },
            Ok(Recv::Finished) => return (errors, last),
            Err(e) => {
                errors.push(e.kind());
                last = Some(Ending::Error(e.kind()));
                if let Some(status) = e.status() {
                    // The one response allowed after an error; refused
                    // if one was already sent, which a naive loop ignores.
                    if conn
                        .send_response(&Response::new(status, &[]), &mut out)
                        .is_ok()
                    {
                        conn.send_end(&[], &mut out).unwrap();
                    }
                }
            }
        }
    }
    panic!("the driver loop did not end: errors {errors:?}, last {last:?}");
}

fn config(edit: impl FnOnce(&mut Config)) -> Config {
    let mut c = Config::default();
    c.head_timeout = Some(Duration::from_secs(3));
    c.body_timeout = Some(Duration::from_secs(3));
    c.idle_timeout = Some(Duration::from_secs(10));
    edit(&mut c);
    c
}

#[test]
fn every_recv_error_kind_ends_a_naive_loop() {
    use Feed::*;
    use RecvErrorKind::*;
    type Row = (RecvErrorKind, Role, fn(&mut Config), &'static [Feed]);
    let none: fn(&mut Config) = |_| {};
    // Every kind but `InvalidStartLine`, the parser's defensive answer to
    // a head the scanner never hands it (tested in parse.rs).
    let rows: &[Row] = &[
        (InvalidMethod, Role::Server, none, &[Bytes(b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n")]),
        (InvalidTarget, Role::Server, none, &[Bytes(b"GET a HTTP/1.1\r\nHost: a\r\n\r\n")]),
        (InvalidVersion, Role::Server, none, &[Bytes(b"GET / HTTP/1.x\r\nHost: a\r\n\r\n")]),
        (UnsupportedVersion, Role::Server, none, &[Bytes(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n")]),
        (InvalidStatus, Role::Client, none, &[Bytes(b"HTTP/1.1 2x0 OK\r\n\r\n")]),
        (InvalidHeaderName, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\nB(d: x\r\n\r\n")]),
        (WhitespaceBeforeColon, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n")]),
        (InvalidHeaderValue, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n")]),
        (ObsFold, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n")]),
        (BareLf, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\nHost: a\r\n\r\n")]),
        (MissingHost, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\r\n\r\n")]),
        (DuplicateHost, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")]),
        (InvalidHost, Role::Server, none, &[Bytes(b"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n")]),
        (HeadTooLarge, Role::Server, |c| c.max_head_len = 16, &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")]),
        (TooManyHeaders, Role::Server, |c| c.max_headers = 1, &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n")]),
        (TargetTooLong, Role::Server, |c| c.max_target_len = 2, &[Bytes(b"GET /abc HTTP/1.1\r\nHost: a\r\n\r\n")]),
        (InvalidContentLength, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")]),
        (TransferEncodingNotChunked, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")]),
        (UnknownTransferCoding, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")]),
        (Http10TransferEncoding, Role::Server, none, &[Bytes(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")]),
        (InvalidChunkSize, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]),
        (InvalidChunkExtension, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;=\r\n")]),
        (ChunkExtensionTooLong, Role::Server, |c| c.max_chunk_ext_len = 4, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;abcdefghij\r\n")]),
        (MissingChunkTerminator, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX")]),
        (InvalidTrailer, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nB(d: x\r\n\r\n")]),
        (TrailersTooLarge, Role::Server, |c| c.max_trailers_len = 4, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-A: aaaaaaaa\r\n\r\n")]),
        (BodyTooLarge, Role::Server, |c| c.max_body_len = Some(2), &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde")]),
        (IncompleteMessage, Role::Server, none, &[Bytes(b"GET / HT"), Eof]),
        (UnsolicitedResponse, Role::Client, none, &[]),
        (TooManyInterimResponses, Role::Client, |c| c.max_interim_responses = 1, &[Bytes(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n")]),
        (UnexpectedSwitch, Role::Client, none, &[Bytes(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")]),
        (ConnectWithContent, Role::Server, none, &[Bytes(b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 5\r\n\r\n")]),
        (HeadTimeout, Role::Server, none, &[Bytes(b"GET / HT"), Wait(4)]),
        (BodyTimeout, Role::Server, none, &[Bytes(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\na"), Wait(4)]),
    ];
    for (kind, role, edit, feed) in rows {
        if *kind == UnsolicitedResponse {
            // Bytes from the server before the client sent anything.
            let mut conn = Connection::new(Role::Client, Config::default());
            conn.receive(b"HTTP/1.1 200 OK\r\n\r\n");
            let first = conn.poll_event().map_err(|e| e.kind());
            assert_eq!(first, Err(UnsolicitedResponse));
            assert_eq!(conn.poll_event(), Ok(Recv::Finished));
            continue;
        }
        let mut conn = Connection::new(*role, config(edit));
        let (errors, last) = drive(&mut conn, feed);
        assert_eq!(errors, vec![*kind], "{kind:?}: reported once");
        assert_eq!(last, Some(Ending::Error(*kind)), "{kind:?}");
        assert!(
            !conn.persist().is_keep_alive(),
            "{kind:?}: {:?}",
            conn.persist()
        );
    }
}

#[test]
fn every_ending_is_reported_once_and_matches_persist() {
    use Feed::*;
    type Row = (
        &'static str,
        Role,
        fn(&mut Config),
        &'static [Feed],
        Ending,
        Persist,
    );
    let none: fn(&mut Config) = |_| {};
    let close = Persist::Close;
    let rows: &[Row] = &[
        (
            "peer closes between messages",
            Role::Server,
            none,
            &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Eof],
            Ending::Closed,
            close(CloseReason::PeerClosed),
        ),
        (
            "idle timeout",
            Role::Server,
            none,
            &[Wait(11)],
            Ending::Cycle(close(CloseReason::IdleTimeout)),
            close(CloseReason::IdleTimeout),
        ),
        (
            "idle timeout after an exchange",
            Role::Server,
            none,
            &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Wait(11)],
            Ending::Cycle(close(CloseReason::IdleTimeout)),
            close(CloseReason::IdleTimeout),
        ),
        (
            "head timeout",
            Role::Server,
            none,
            &[Bytes(b"GET / HTTP/1.1\r\n"), Wait(4)],
            Ending::Error(RecvErrorKind::HeadTimeout),
            close(CloseReason::HeadTimeout),
        ),
        (
            "protocol error",
            Role::Server,
            none,
            &[Bytes(b"GET / HTTP/1.1\r\n\r\n")],
            Ending::Error(RecvErrorKind::MissingHost),
            close(CloseReason::ProtocolError),
        ),
        (
            "max_requests",
            Role::Server,
            |c| c.max_requests = Some(1),
            &[Bytes(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")],
            Ending::Cycle(close(CloseReason::MaxRequests)),
            close(CloseReason::MaxRequests),
        ),
        (
            "Connection: close",
            Role::Server,
            none,
            &[Bytes(
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            )],
            Ending::Cycle(close(CloseReason::ConnectionClose { by: Role::Client })),
            close(CloseReason::ConnectionClose { by: Role::Client }),
        ),
        (
            "server closes the idle connection (client)",
            Role::Client,
            none,
            &[Bytes(b"HTTP/1.1 204 No Content\r\n\r\n"), Eof],
            Ending::Closed,
            close(CloseReason::PeerClosed),
        ),
        (
            "response until close (client)",
            Role::Client,
            none,
            &[Bytes(b"HTTP/1.1 200 OK\r\n\r\nabc"), Eof],
            Ending::Cycle(close(CloseReason::UntilCloseBody)),
            close(CloseReason::UntilCloseBody),
        ),
    ];
    for (name, role, edit, feed, ending, persist) in rows {
        let mut conn = Connection::new(*role, config(edit));
        let (_, last) = drive(&mut conn, feed);
        assert_eq!(last.as_ref(), Some(ending), "{name}");
        assert_eq!(conn.persist(), *persist, "{name}: persist() agrees");
        assert_eq!(
            conn.poll_event(),
            Ok(Recv::Finished),
            "{name}: stays finished"
        );
    }
}

#[test]
fn a_switch_is_reported_and_persist_says_switched() {
    let mut pair = Pair::new();
    pair.request(
        "GET",
        "/chat",
        &[
            ("Host", "a"),
            ("Upgrade", "websocket"),
            ("Connection", "upgrade"),
        ],
    )
    .unwrap();
    pair.client_end().unwrap();
    pair.pump();
    pair.server_poll();
    pair.respond(101, &[("Upgrade", "websocket"), ("Connection", "upgrade")])
        .unwrap();
    let (events, _) = pair.server_events();
    assert!(matches!(events.last(), Some(Event::Switched { .. })));
    assert_eq!(pair.server.persist(), Persist::Close(CloseReason::Switched));
    assert_eq!(pair.server.poll_event(), Ok(Recv::Finished));
}

/// Issue 11 item 8: the server closes an idle connection just as the
/// client's next request goes out; one call says whether to retry.
#[test]
fn retry_safety_when_the_server_closes_as_a_request_goes_out() {
    use keepalive::RetrySafety;
    let second = |method: &str, partial: &[u8]| {
        let mut server = Config::default();
        server.idle_timeout = Some(Duration::from_secs(5));
        let mut pair = Pair::with_configs(Config::default(), server);
        pair.request_full("GET", "/", &[], b"").unwrap();
        pair.pump();
        pair.server_poll();
        pair.respond_full(200, &[], b"ok").unwrap();
        pair.pump();
        assert_eq!(pair.client_poll().last().unwrap(), "paused");
        assert!(pair.client.is_reusable());
        // The server's idle timer fires; its close is still in flight
        // when the client sends again.
        pair.advance(Duration::from_secs(5));
        assert!(pair.server.poll_event().is_ok());
        pair.request_full(method, "/again", &[], b"").unwrap();
        pair.client.receive(partial);
        pair.client.receive_eof();
        let (_, stop) = pair.client_events();
        assert_eq!(stop, testkit::Stop::Error(RecvErrorKind::IncompleteMessage));
        pair.client.retry_safety()
    };
    assert_eq!(second("GET", b""), RetrySafety::Retry);
    assert_eq!(second("DELETE", b""), RetrySafety::Retry);
    assert_eq!(second("POST", b""), RetrySafety::NotIdempotent);
    assert_eq!(second("GET", b"HTTP/1.1 200"), RetrySafety::ResponseStarted);

    // The first request on a connection: its failure is not staleness.
    let mut pair = Pair::new();
    pair.request_full("GET", "/", &[], b"").unwrap();
    pair.client.receive_eof();
    let _ = pair.client_events();
    assert_eq!(pair.client.retry_safety(), RetrySafety::FreshConnection);
}
