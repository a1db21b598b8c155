//! One row per verdict ordering: several reasons to close meet in one
//! exchange, and the row says which one the latch keeps.
use super::*;
use crate::parse::{parse_request, parse_response, HeadScanner};
use bytes::Bytes;
use CloseReason::*;

fn headers(raw: &'static [u8], request: bool) -> (Headers, Version, u16) {
    let config = Config::default();
    let (n, facts) = HeadScanner::default()
        .scan(raw, &config, request)
        .unwrap()
        .unwrap();
    let raw = Bytes::from_static(&raw[..n]);
    if request {
        let h = parse_request(raw, &facts, &config).unwrap();
        (h.headers().clone(), h.version(), 0)
    } else {
        let h = parse_response(raw, &facts, &config).unwrap();
        (h.headers().clone(), h.version(), h.status())
    }
}

fn receive(ex: &mut Exchange, raw: &'static [u8], method: Method) -> Effects {
    let request = ex.role == Role::Server;
    let (h, version, status) = headers(raw, request);
    let facts = HeadFacts {
        half: Half::Theirs,
        version,
        start: if request {
            Start::Request(method)
        } else {
            Start::Response(status)
        },
        connection: ConnectionOptions::of(h.known(crate::headers::Known::Connection)),
        upgrade_offered: false,
        expect_continue: h.contains("expect"),
        fields: Fields::Received(&h),
    };
    ex.on_head(&facts).unwrap()
}

fn send(ex: &mut Exchange, start: Start, version: Version, close: bool) -> Effects {
    let facts = HeadFacts {
        half: Half::Ours,
        version,
        start,
        connection: ConnectionOptions {
            close,
            keep_alive: false,
        },
        upgrade_offered: false,
        expect_continue: false,
        fields: Fields::Sent {
            content_length: None,
            chunked: false,
            upgrade_field: false,
            host_count: 1,
            keep_alive_field: false,
        },
    };
    ex.on_head(&facts).unwrap()
}

fn server(max_requests: Option<u32>) -> Exchange {
    let config = Config {
        max_requests,
        ..Config::default()
    };
    Exchange::new(Role::Server, &config)
}

#[test]
fn verdict_orderings() {
    type Row = (&'static str, fn() -> Persist, CloseReason);
    let rows: &[Row] = &[
        (
            "request received: max_requests before framing and Connection",
            || {
                let mut ex = server(Some(1));
                receive(
                    &mut ex,
                    b"POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                    Method::Unremarkable,
                );
                ex.persist()
            },
            MaxRequests,
        ),
        (
            "request received: framing (TE + CL) before Connection",
            || {
                let mut ex = server(None);
                receive(
                    &mut ex,
                    b"POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                    Method::Unremarkable,
                );
                ex.persist()
            },
            ConflictingFraming,
        ),
        (
            "request received: Connection: close before HTTP/1.0",
            || {
                let mut ex = server(None);
                receive(
                    &mut ex,
                    b"GET / HTTP/1.0\r\nConnection: close\r\n\r\n",
                    Method::Get,
                );
                ex.persist()
            },
            ConnectionClose { by: Role::Client },
        ),
        (
            "request sent: Connection before max_requests",
            || {
                let config = Config {
                    max_requests: Some(1),
                    ..Config::default()
                };
                let mut ex = Exchange::new(Role::Client, &config);
                let fx = send(&mut ex, Start::Request(Method::Get), Version::Http11, true);
                assert!(!fx.add_close, "the caller already said close");
                ex.persist()
            },
            ConnectionClose { by: Role::Client },
        ),
        (
            "response received: until-close framing before Connection",
            || {
                let mut ex = Exchange::new(Role::Client, &Config::default());
                send(&mut ex, Start::Request(Method::Get), Version::Http11, false);
                receive(
                    &mut ex,
                    b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
                    Method::Get,
                );
                ex.persist()
            },
            UntilCloseBody,
        ),
        (
            "response sent: until-close (HTTP/1.0 client) before the early response",
            || {
                let mut ex = server(None);
                receive(
                    &mut ex,
                    b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 9\r\n\r\n",
                    Method::Unremarkable,
                );
                send(&mut ex, Start::Response(200), Version::Http11, true);
                ex.persist()
            },
            UntilCloseBody,
        ),
        (
            "response sent: early response before the caller's Connection: close",
            || {
                let mut ex = server(None);
                receive(
                    &mut ex,
                    b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n",
                    Method::Unremarkable,
                );
                let fx = send(&mut ex, Start::Response(204), Version::Http11, true);
                assert!(!fx.add_close, "the caller already said close");
                ex.persist()
            },
            UnreadBody,
        ),
        (
            "response sent after an error: the error before anything else",
            || {
                let mut ex = server(None);
                assert!(ex.on_fail(RecvErrorKind::BareLf, None));
                assert!(!ex.on_fail(RecvErrorKind::ObsFold, Some(HeadTimeout)));
                assert_eq!(ex.failure(), Some(RecvErrorKind::BareLf));
                send(&mut ex, Start::Response(400), Version::Http11, false);
                ex.persist()
            },
            ProtocolError,
        ),
        (
            "timeout failure: the timeout before the protocol error",
            || {
                let mut ex = server(None);
                ex.on_fail(RecvErrorKind::HeadTimeout, Some(HeadTimeout));
                ex.persist()
            },
            HeadTimeout,
        ),
        (
            "half-close at the end of the request before the response's Connection: close",
            || {
                let mut ex = server(None);
                receive(&mut ex, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Method::Get);
                ex.on_eof(b"");
                ex.on_received_end(b"").unwrap();
                send(&mut ex, Start::Response(200), Version::Http11, true);
                ex.persist()
            },
            PeerClosed,
        ),
    ];
    for (name, run, reason) in rows {
        assert_eq!(run(), Persist::Close(*reason), "{name}");
    }
}

#[test]
fn a_refused_head_changes_nothing() {
    let mut ex = server(None);
    let before = format!("{ex:?}");
    let facts = HeadFacts::bare_response(200);
    assert_eq!(
        ex.on_head(&facts),
        Err(Refusal::Caller(SendError::NoRequestToAnswer))
    );
    assert_eq!(format!("{ex:?}"), before);
}

#[test]
fn retry_safety_needs_reuse_no_response_and_idempotence() {
    let mut ex = Exchange::new(Role::Client, &Config::default());
    assert_eq!(ex.retry_safety(), RetrySafety::NothingOutstanding);
    send(&mut ex, Start::Request(Method::Get), Version::Http11, false);
    assert_eq!(ex.retry_safety(), RetrySafety::FreshConnection);
    receive(&mut ex, b"HTTP/1.1 204 No Content\r\n\r\n", Method::Get);
    ex.on_received_end(b"").unwrap();
    ex.on_sent_end(None, b"").unwrap_or(None);
    assert_eq!(ex.retry_safety(), RetrySafety::NothingOutstanding);
    send(
        &mut ex,
        Start::Request(Method::Unremarkable),
        Version::Http11,
        false,
    );
    assert_eq!(ex.retry_safety(), RetrySafety::NotIdempotent);
}

/// When several reasons forbid pipelining, the one named is the one that
/// lasts longest: closing, then what the newest request is, then its
/// unfinished body, then a full pipeline.
#[test]
fn pipeline_refusals_name_the_most_lasting_reason() {
    let pipelining = |depth| {
        let config = Config {
            max_pipeline: depth,
            ..Config::default()
        };
        Exchange::new(Role::Client, &config)
    };
    let refused = |why| Err(SendError::Pipeline(why));
    let get = Start::Request(Method::Get);
    let post = Start::Request(Method::Unremarkable);
    // Depth 1: the error of old, whatever the request.
    let mut ex = pipelining(1);
    send(&mut ex, post, Version::Http11, true);
    assert_eq!(ex.may_send_request(b""), Err(SendError::ExchangeInProgress));
    // A POST that closes, body not ended, pipeline full: closing.
    let mut ex = pipelining(2);
    send(&mut ex, get, Version::Http11, false);
    ex.on_sent_end(None, b"").unwrap();
    send(&mut ex, post, Version::Http11, true);
    assert_eq!(ex.may_send_request(b""), refused(PipelineRefusal::Closing));
    // A POST, body not ended, full: the POST.
    let mut ex = pipelining(2);
    send(&mut ex, get, Version::Http11, false);
    ex.on_sent_end(None, b"").unwrap();
    send(&mut ex, post, Version::Http11, false);
    assert_eq!(
        ex.may_send_request(b""),
        refused(PipelineRefusal::BehindNonIdempotent)
    );
    // A GET, body not ended, full: its body.
    let mut ex = pipelining(2);
    send(&mut ex, get, Version::Http11, false);
    ex.on_sent_end(None, b"").unwrap();
    send(&mut ex, get, Version::Http11, false);
    assert_eq!(
        ex.may_send_request(b""),
        refused(PipelineRefusal::RequestNotEnded)
    );
    ex.on_sent_end(None, b"").unwrap();
    assert_eq!(ex.may_send_request(b""), refused(PipelineRefusal::Full));
    assert_eq!(ex.outstanding(), 2);
    // HTTP/1.0 without keep-alive closes after it.
    let mut ex = pipelining(4);
    send(&mut ex, get, Version::Http10, false);
    ex.on_sent_end(None, b"").unwrap();
    assert_eq!(ex.may_send_request(b""), refused(PipelineRefusal::Closing));
}

/// The straight path for plain responses (`plain_response`) against every
/// rule (`sent_response_general`): wherever it is taken, the same result
/// and the same state, over requests of every shape the straight path
/// reads (method, version, `Connection`, `Expect`, an upgrade offer, the
/// request complete or not, its body discarded or not, an earlier close)
/// and responses of every shape (status, framing fields, `Connection`).
#[test]
fn plain_responses_take_the_same_path_as_every_rule() {
    let requests: &[(&'static [u8], Method)] = &[
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Method::Get),
        (b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", Method::Head),
        (
            b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n",
            Method::Connect,
        ),
        (b"GET / HTTP/1.0\r\n\r\n", Method::Get),
        (
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            Method::Get,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            Method::Get,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
            Method::Unremarkable,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            Method::Unremarkable,
        ),
    ];
    let statuses = [100, 101, 200, 204, 205, 304, 404, 500];
    let lengths = [None, Some(0), Some(5)];
    let (mut taken, mut compared) = (0, 0);
    for advertise in [false, true] {
        for max_requests in [None, Some(1)] {
            for &(raw, method) in requests {
                for (ended, discard, upgrade_offered) in
                    (0..8).map(|i| (i & 1 != 0, i & 2 != 0, i & 4 != 0))
                {
                    let config = Config {
                        advertise_keep_alive: advertise,
                        max_requests,
                        ..Config::default()
                    };
                    let mut ex = Exchange::new(Role::Server, &config);
                    receive(&mut ex, raw, method);
                    ex.request.upgrade_offered = upgrade_offered;
                    if discard {
                        ex.discard_request_body().unwrap();
                    }
                    if ended {
                        ex.on_received_end(b"").unwrap();
                    }
                    for status in statuses {
                        for content_length in lengths {
                            for bits in 0..32 {
                                let bit = |i: u32| bits & (1 << i) != 0;
                                let facts = HeadFacts {
                                    half: Half::Ours,
                                    version: Version::Http11,
                                    start: Start::Response(status),
                                    connection: ConnectionOptions {
                                        close: bit(0),
                                        keep_alive: bit(1),
                                    },
                                    upgrade_offered: false,
                                    expect_continue: false,
                                    fields: Fields::Sent {
                                        content_length,
                                        chunked: bit(2),
                                        upgrade_field: bit(3),
                                        host_count: 0,
                                        keep_alive_field: bit(4),
                                    },
                                };
                                let (mut fast, mut general) = (ex.clone(), ex.clone());
                                taken += usize::from(fast.plain_response(&facts, status).is_some());
                                let a = fast.on_head(&facts);
                                let b = general.sent_response_general(&facts, status);
                                assert_eq!(a, b, "{raw:?} {status} {facts:?}");
                                assert_eq!(format!("{fast:?}"), format!("{general:?}"));
                                compared += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    // The straight path is taken often enough to matter to the comparison.
    assert!(taken > 100, "taken {taken} of {compared}");
}
