//! Full duplex (issue 11 item 1, RFC 9110 §10.1.1): a server that answers
//! while the request body is still arriving keeps the connection when it
//! reads the whole body, and closes only when it leaves some unread. The
//! request body handed to the application is byte-exact whatever the
//! interleaving of reads and sends.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use keepalive::{BodyLength, Event, Persist, Recv, SendError};
use proptest::prelude::*;
use testkit::Pair;

/// The server's view of one poll loop: body bytes, whether `End` came, and
/// the verdict if the exchange ended.
#[derive(Debug, Default)]
struct Seen {
    body: Vec<u8>,
    end: bool,
    cycle: Option<Persist>,
}

fn poll_server(pair: &mut Pair, seen: &mut Seen) {
    let (events, _) = pair.server_events();
    for e in events {
        match e {
            Event::Request(_) => {}
            Event::Data(d) => seen.body.extend_from_slice(&d),
            Event::End(_) => seen.end = true,
            Event::Cycle(p) => seen.cycle = Some(p),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Streams `body` as the request (chunked or with a length), echoing each
/// piece back in a chunked response while the upload goes on.
fn echo(pair: &mut Pair, body: &[u8], chunked: bool, piece: usize) -> Seen {
    let n = body.len().to_string();
    let framing = if chunked {
        ("Transfer-Encoding", "chunked")
    } else {
        ("Content-Length", n.as_str())
    };
    pair.request("POST", "/echo", &[("Host", "a"), framing])
        .unwrap();
    let mut seen = Seen::default();
    let mut echoed = 0;
    let mut responded = false;
    for part in body.chunks(piece) {
        pair.client_data(part).unwrap();
        pair.pump();
        poll_server(pair, &mut seen);
        if !responded {
            // The response head goes out before the request body ended.
            pair.respond(200, &[]).unwrap();
            assert_eq!(pair.server.outgoing_body(), Some(BodyLength::Chunked));
            assert!(pair.server.response_started() && !pair.server.is_draining());
            responded = true;
        }
        pair.server_data(&seen.body[echoed..]).unwrap();
        echoed = seen.body.len();
    }
    pair.client_end().unwrap();
    pair.pump();
    poll_server(pair, &mut seen);
    assert!(seen.end, "the request ended before the response");
    pair.server_data(&seen.body[echoed..]).unwrap();
    pair.server_end().unwrap();
    poll_server(pair, &mut seen);
    seen
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn streaming_echo_of_chunked_and_large_uploads_keeps_one_connection() {
    let mut pair = Pair::new();
    // A chunked upload, then one larger than the drain budget (256 KiB).
    for (len, chunked) in [(40_000, true), (400_000, false), (70_000, true)] {
        let sent = body(len);
        let seen = echo(&mut pair, &sent, chunked, 16 * 1024);
        assert_eq!(seen.body, sent, "request body byte-exact");
        assert_eq!(seen.cycle, Some(Persist::KeepAlive), "upload of {len}");
        pair.pump();
        let (events, _) = pair.client_events();
        let mut echoed = Vec::new();
        for e in &events {
            if let Event::Data(d) = e {
                echoed.extend_from_slice(d);
            }
        }
        assert_eq!(echoed, sent, "echo byte-exact");
        assert_eq!(events.last(), Some(&Event::Cycle(Persist::KeepAlive)));
    }
    assert!(!String::from_utf8_lossy(&pair.server_wire).contains("Connection: close"));
    assert_eq!(pair.server.exchanges(), 3);
}

#[test]
fn an_early_413_that_discards_says_close_at_its_head() {
    let mut pair = Pair::new();
    pair.request(
        "POST",
        "/upload",
        &[("Host", "a"), ("Content-Length", "1000000")],
    )
    .unwrap();
    pair.client_data(b"0123456789").unwrap();
    pair.pump();
    assert_eq!(
        pair.server_poll(),
        [
            "req POST /upload 1.1 fixed(1000000)",
            "data \"0123456789\"",
            "need-data"
        ]
    );
    pair.server.discard_request_body().unwrap();
    assert!(pair.server.is_draining());
    pair.respond(413, &[("Content-Length", "0")]).unwrap();
    assert_eq!(
        pair.server.discard_request_body(),
        Err(SendError::HeadAlreadySent),
        "too late once the head is out"
    );
    pair.client_data(b"more").unwrap();
    pair.pump();
    assert_eq!(
        pair.server_poll(),
        ["need-data"],
        "discarded, not handed over"
    );
    pair.server_end().unwrap();
    assert_eq!(pair.server_poll(), ["close(unread-body)", "finished"]);
    pair.pump();
    assert!(String::from_utf8_lossy(&pair.server_wire).contains("Connection: close\r\n"));
    let lines = pair.client_poll();
    assert_eq!(lines[0], "resp 413 1.1 fixed(0)");
    assert!(
        lines.contains(&"close(connection-close/server)".to_owned()),
        "{lines:?}"
    );
}

#[test]
fn a_response_that_ends_first_drains_a_small_remainder_silently() {
    let mut pair = Pair::new();
    pair.request("PUT", "/x", &[("Host", "a"), ("Content-Length", "8")])
        .unwrap();
    pair.client_data(b"abcd").unwrap();
    pair.pump();
    pair.server_poll();
    pair.respond_full(201, &[], b"").unwrap();
    assert!(pair.server.response_finished() && pair.server.is_draining());
    pair.client_data(b"efgh").unwrap();
    pair.client_end().unwrap();
    pair.pump();
    // The drained bytes are not handed over; the request's end is.
    assert_eq!(pair.server_poll(), ["end", "keep-alive", "need-data"]);
    assert!(!pair.server.is_draining());
    assert_eq!(
        pair.client_poll(),
        ["resp 201 1.1 fixed(0)", "end", "keep-alive", "paused"]
    );
}

#[test]
fn a_response_that_ends_first_over_the_budget_closes_at_its_end() {
    let mut pair = Pair::new();
    pair.request(
        "POST",
        "/",
        &[("Host", "a"), ("Transfer-Encoding", "chunked")],
    )
    .unwrap();
    pair.client_data(b"abcd").unwrap();
    pair.pump();
    pair.server_poll();
    pair.respond(200, &[("Content-Length", "2")]).unwrap();
    pair.server_data(b"ok").unwrap();
    // The head did not know: no Connection: close on it.
    pair.pump();
    assert!(!String::from_utf8_lossy(&pair.server_wire).contains("Connection: close"));
    pair.server_end().unwrap();
    assert_eq!(pair.server_poll(), ["close(unread-body)", "finished"]);
}

#[derive(Debug, Clone)]
enum Step {
    /// The client sends this many more body bytes.
    Upload(usize),
    /// The bytes in flight are delivered.
    Pump,
    /// The server polls.
    Poll,
    /// The server sends (its head the first time, then data).
    Send,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1usize..300).prop_map(Step::Upload),
        Just(Step::Pump),
        Just(Step::Poll),
        Just(Step::Send),
    ]
}

proptest! {
    /// Whatever the interleaving of uploads, deliveries, polls and
    /// response sends, the application receives the request body exactly
    /// as sent, and the exchange keeps the connection.
    #[test]
    fn request_body_is_byte_exact_whatever_the_interleaving(
        steps in prop::collection::vec(step(), 1..60),
        chunked in any::<bool>(),
        len in 1usize..3000,
    ) {
        let sent = body(len);
        let n = len.to_string();
        let mut pair = Pair::new();
        let framing = if chunked { ("Transfer-Encoding", "chunked") } else { ("Content-Length", n.as_str()) };
        pair.request("POST", "/", &[("Host", "a"), framing]).unwrap();
        let mut seen = Seen::default();
        let mut at = 0;
        let mut responded = false;
        for s in steps {
            match s {
                Step::Upload(k) => {
                    let end = (at + k).min(len);
                    if end > at {
                        pair.client_data(&sent[at..end]).unwrap();
                        at = end;
                    }
                }
                Step::Pump => { pair.pump(); }
                Step::Poll => poll_server(&mut pair, &mut seen),
                Step::Send => {
                    if !responded {
                        if pair.respond(200, &[]).is_ok() {
                            responded = true;
                        }
                    } else {
                        pair.server.send_data(Bytes::from_static(b"x"), &mut pair.to_client).unwrap();
                    }
                }
            }
        }
        if at < len {
            pair.client_data(&sent[at..]).unwrap();
        }
        pair.client_end().unwrap();
        pair.pump();
        poll_server(&mut pair, &mut seen);
        if !responded {
            pair.respond(200, &[]).unwrap();
        }
        prop_assert!(seen.end);
        pair.server_end().unwrap();
        poll_server(&mut pair, &mut seen);
        prop_assert_eq!(&seen.body, &sent);
        prop_assert_eq!(seen.cycle, Some(Persist::KeepAlive));
        prop_assert_eq!(pair.server.poll_event(), Ok(Recv::NeedData));
    }
}
