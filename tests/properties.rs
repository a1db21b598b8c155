//! The crate's contracts stated as properties (proptest).
//!
//! 1. `split_invariance`: any partition of any input, valid or hostile,
//!    gives the same events (data merged), errors, verdicts and limit
//!    decisions as the whole input.
//! 2. `round_trip`: a conversation sent through a client ↔ server `Pair`
//!    arrives unchanged (heads with names' case and order, bodies,
//!    trailers).
//! 3. `agreement`: client and server reach the same keep-alive verdict for
//!    every exchange; where their reasons differ, only in the documented
//!    way.
//! 4. `reference_model_*`: an independent model of RFC 9112 §6.3 and §9.3
//!    agrees with the crate on every generated head.
//! 5. `no_panic_bounded_memory` and `paused_buffers_exactly_what_is_handed_in`.
//! 6. `state_invariants`: the event contract (checked by
//!    `testkit::Watch` on every poll) holds for arbitrary operation
//!    lists and inputs.
//!
//! The per-poll checks and the single-machine feeder live in `testkit`,
//! shared with the fuzz targets. Default case counts
//! keep the file within seconds; set `PROPTEST_CASES` to raise them.

use keepalive::{
    CloseReason, Config, Header, Persist, Recv, Request, Response, Role, SendBuf, Version,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;
use testkit::model::{crate_len, deliberate_refusal, has, model_length, model_persists, Len};
use testkit::{
    check_split_invariance, feed_pieces, poll_all, AutoResponse, Fields, Out, Pair, Script, Stop,
    Watch,
};

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The case count, and failures saved where they are committed: every
/// shrunk failure becomes a permanent case, replayed first on every run.
fn config(default_cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases(default_cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

// =====================================================================
// Generators

/// `s` with each letter's case chosen at random.
fn any_case(s: &'static str) -> impl Strategy<Value = String> {
    vec(any::<bool>(), s.len()).prop_map(move |up| {
        s.chars()
            .zip(up)
            .map(|(c, u)| {
                if u {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

/// A field value: visible ASCII, no leading or trailing whitespace.
fn value() -> impl Strategy<Value = String> {
    "[!-~]([ -~]{0,12}[!-~])?"
}

/// A field that plays no part in framing or persistence.
fn extra_field() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![
            "X-[A-Za-z0-9-]{1,8}",
            any_case("accept"),
            any_case("cache-control"),
            any_case("user-agent"),
        ],
        value(),
    )
}

/// One `Connection` field line: a token list with varied separators.
fn connection_line() -> impl Strategy<Value = (String, String)> {
    (
        any_case("connection"),
        vec(
            select(vec![
                "close",
                "keep-alive",
                "upgrade",
                "x-hop",
                "Close",
                "KEEP-ALIVE",
            ]),
            1..4,
        ),
        vec(select(vec![",", ", ", " ,\t", ",,", " , "]), 3),
    )
        .prop_map(|(name, tokens, seps)| {
            let mut v = tokens[0].to_owned();
            for (i, t) in tokens.iter().enumerate().skip(1) {
                v.push_str(seps[i - 1]);
                v.push_str(t);
            }
            (name, v)
        })
}

/// Extra fields and `Connection` lines (zero to three), interleaved.
fn field_set() -> impl Strategy<Value = Vec<(String, String)>> {
    (vec(extra_field(), 0..4), vec(connection_line(), 0..3))
        .prop_map(|(mut a, b)| {
            a.extend(b);
            a
        })
        .prop_shuffle()
}

/// Body bytes (any octets).
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..40)
}

/// How a message's body is framed, with its content.
#[derive(Debug, Clone)]
enum Body {
    /// No framing field, no content.
    None,
    /// `Content-Length`.
    Length(Vec<u8>),
    /// `Transfer-Encoding: chunked`: chunks with extensions (raw encoding
    /// only: the machine's encoder writes none), then trailers.
    Chunked {
        chunks: Vec<(Vec<u8>, String)>,
        last_ext: String,
        trailers: Vec<(String, String)>,
        /// Responses only: leave the field to the machine.
        implicit: bool,
    },
    /// Responses only: no framing field and content; the machine frames it
    /// (chunked toward HTTP/1.1, until close toward HTTP/1.0).
    Auto(Vec<u8>),
}

impl Body {
    fn content(&self) -> Vec<u8> {
        match self {
            Self::None => Vec::new(),
            Self::Length(d) | Self::Auto(d) => d.clone(),
            Self::Chunked { chunks, .. } => chunks.iter().flat_map(|(d, _)| d.clone()).collect(),
        }
    }

    fn trailers(&self) -> &[(String, String)] {
        match self {
            Self::Chunked { trailers, .. } => trailers,
            _ => &[],
        }
    }
}

fn chunk_ext() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => "(;[a-z]{1,5}(=[a-z0-9]{1,5})?){1,2}",
        1 => "; ?[a-z]{1,4} ?= ?\"[ a-z,;]{0,6}\"",
    ]
}

fn trailer_field() -> impl Strategy<Value = (String, String)> {
    ("X-T[a-z]{0,4}", value())
}

fn chunked(implicit: bool) -> impl Strategy<Value = Body> {
    (
        vec((vec(any::<u8>(), 1..20), chunk_ext()), 0..4),
        chunk_ext(),
        vec(trailer_field(), 0..3),
    )
        .prop_map(move |(chunks, last_ext, trailers)| Body::Chunked {
            chunks,
            last_ext,
            trailers,
            implicit,
        })
}

#[derive(Debug, Clone)]
struct Req {
    method: String,
    target: String,
    version: Version,
    /// Every field in order, framing fields included.
    fields: Vec<(String, String)>,
    body: Body,
    upgrade: bool,
}

fn request() -> impl Strategy<Value = Req> {
    let method = select(vec![
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "X-TOKEN",
    ]);
    (
        method,
        any::<bool>(),
        any_case("host"),
        field_set(),
        any::<u8>(),
        any::<bool>(),
    )
        .prop_flat_map(|(method, http10, host, extra, pick, upgrade)| {
            let version = if http10 {
                Version::Http10
            } else {
                Version::Http11
            };
            let target: BoxedStrategy<String> = match method {
                "CONNECT" => select(vec!["example:443", "[::1]:8080", "a.b:1"])
                    .prop_map(str::to_owned)
                    .boxed(),
                "OPTIONS" if pick & 1 == 0 => Just("*".to_owned()).boxed(),
                _ if pick & 2 == 0 => "/[a-z0-9/._~-]{0,10}(\\?[a-z=&]{0,8})?".boxed(),
                _ => "http://[a-z]{1,6}(:[0-9]{2})?/[a-z]{0,5}".boxed(),
            };
            let body: BoxedStrategy<Body> = if method == "CONNECT" {
                Just(Body::None).boxed()
            } else if http10 {
                prop_oneof![Just(Body::None), body_bytes().prop_map(Body::Length)].boxed()
            } else {
                prop_oneof![
                    Just(Body::None),
                    body_bytes().prop_map(Body::Length),
                    chunked(false)
                ]
                .boxed()
            };
            let upgrade = upgrade && !http10 && method != "CONNECT";
            (
                Just(method),
                target,
                Just(version),
                Just(host),
                Just(extra),
                body,
                Just(upgrade),
            )
        })
        .prop_map(
            |(method, target, version, host, mut fields, body, upgrade)| {
                if version == Version::Http11 || !fields.is_empty() {
                    fields.insert(0, (host, "example".to_owned()));
                }
                match &body {
                    Body::Length(d) => fields.push(("Content-Length".into(), d.len().to_string())),
                    Body::Chunked { .. } => {
                        fields.push(("Transfer-Encoding".into(), "chunked".into()));
                    }
                    _ => {}
                }
                if upgrade {
                    fields.push(("Upgrade".into(), "websocket".into()));
                    fields.push(("Connection".into(), "upgrade".into()));
                }
                Req {
                    method: method.to_owned(),
                    target,
                    version,
                    fields,
                    body,
                    upgrade,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Resp {
    /// Answer after the request head and part of its body, before the
    /// rest (an early response; only `agreement` uses it).
    early: bool,
    interim: Option<(u16, Vec<(String, String)>)>,
    status: u16,
    fields: Vec<(String, String)>,
    body: Body,
}

/// A response fit for `req` (the sender refuses the others).
fn response(req: &Req) -> impl Strategy<Value = Resp> {
    let req = req.clone();
    let mut statuses = vec![200u16, 201, 204, 206, 301, 304, 404, 500];
    if req.upgrade {
        statuses.extend([101, 101]);
    }
    let interim: BoxedStrategy<Option<(u16, testkit::FieldPairs)>> =
        if req.version == Version::Http11 {
            proptest::option::of((select(vec![100u16, 102, 103]), vec(extra_field(), 0..2))).boxed()
        } else {
            Just(None).boxed()
        };
    (select(statuses), interim, field_set(), any::<u8>())
        .prop_flat_map(move |(status, interim, fields, pick)| {
            let switching =
                status == 101 || (req.method == "CONNECT" && (200..300).contains(&status));
            let no_body = req.method == "HEAD" || status == 204 || status == 304;
            let body: BoxedStrategy<Body> = if switching || no_body {
                Just(Body::None).boxed()
            } else if req.version == Version::Http10 {
                prop_oneof![
                    body_bytes().prop_map(Body::Length),
                    body_bytes().prop_map(Body::Auto)
                ]
                .boxed()
            } else {
                prop_oneof![
                    body_bytes().prop_map(Body::Length),
                    body_bytes().prop_map(Body::Auto),
                    chunked(pick & 1 == 0)
                ]
                .boxed()
            };
            (
                Just(status),
                Just(interim),
                Just(fields),
                body,
                Just(!switching && pick & 2 != 0),
            )
        })
        .prop_map(|(status, interim, mut fields, body, early)| {
            match &body {
                Body::Length(d) => fields.push(("Content-Length".into(), d.len().to_string())),
                Body::Chunked {
                    implicit: false, ..
                } => fields.push(("Transfer-Encoding".into(), "chunked".into())),
                _ => {}
            }
            if status == 101 {
                fields.push(("Upgrade".into(), "websocket".into()));
            }
            Resp {
                early,
                interim,
                status,
                fields,
                body,
            }
        })
}

/// One to three exchanges.
fn conversation() -> impl Strategy<Value = Vec<(Req, Resp)>> {
    vec(request(), 1..4).prop_flat_map(|reqs| {
        let resps: Vec<_> = reqs.iter().map(response).collect();
        (Just(reqs), resps).prop_map(|(reqs, resps)| reqs.into_iter().zip(resps).collect())
    })
}

// ---------------------------------------------------------------------
// Raw encodings (for the single-machine properties)

fn put_fields(out: &mut Vec<u8>, f: &[(String, String)]) {
    for (n, v) in f {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

fn put_body(out: &mut Vec<u8>, body: &Body) {
    match body {
        Body::None => {}
        Body::Length(d) | Body::Auto(d) => out.extend_from_slice(d),
        Body::Chunked {
            chunks,
            last_ext,
            trailers,
            ..
        } => {
            for (d, ext) in chunks {
                out.extend_from_slice(format!("{:x}{ext}\r\n", d.len()).as_bytes());
                out.extend_from_slice(d);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("0{last_ext}\r\n").as_bytes());
            put_fields(out, trailers);
            out.extend_from_slice(b"\r\n");
        }
    }
}

fn raw_request(r: &Req) -> Vec<u8> {
    let mut out = format!("{} {} {}\r\n", r.method, r.target, r.version).into_bytes();
    put_fields(&mut out, &r.fields);
    out.extend_from_slice(b"\r\n");
    put_body(&mut out, &r.body);
    out
}

fn raw_response(r: &Resp, version: Version) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some((s, f)) = &r.interim {
        out.extend_from_slice(format!("HTTP/1.1 {s} Interim\r\n").as_bytes());
        put_fields(&mut out, f);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("{version} {} Reason\r\n", r.status).as_bytes());
    put_fields(&mut out, &r.fields);
    if let Body::Chunked { implicit: true, .. } = r.body {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    out.extend_from_slice(b"\r\n");
    put_body(&mut out, &r.body);
    out
}

/// Hostile input: noise, or a valid input with bytes flipped, inserted,
/// removed or cut short.
fn hostile(valid: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..200),
        1 => vec(select(b"\r\n :;,0aA\t\"\\HTP/1.GET".to_vec()), 0..120),
        3 => (valid, vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..4), any::<prop::sample::Index>(), any::<bool>())
            .prop_map(|(mut v, edits, cut, do_cut)| {
                for (at, b, kind) in edits {
                    if v.is_empty() {
                        break;
                    }
                    let i = at.index(v.len());
                    match kind {
                        0 => v[i] = b,
                        1 => v.insert(i, b),
                        _ => {
                            v.remove(i);
                        }
                    }
                }
                if do_cut && !v.is_empty() {
                    v.truncate(cut.index(v.len()));
                }
                v
            }),
    ]
}

fn valid_requests() -> impl Strategy<Value = Vec<u8>> {
    vec(request(), 1..4).prop_map(|rs| rs.iter().flat_map(raw_request).collect())
}

/// Responses for a client whose request script is derived from the
/// responses' own requests.
fn valid_responses() -> impl Strategy<Value = (Script, Vec<u8>)> {
    conversation().prop_map(|conv| {
        let script = conv
            .iter()
            .map(|(q, _)| {
                let extra = if q.upgrade {
                    vec![
                        ("Upgrade".to_owned(), "websocket".to_owned()),
                        ("Connection".to_owned(), "upgrade".to_owned()),
                    ]
                } else {
                    Vec::new()
                };
                (q.method.clone(), Version::Http11, extra)
            })
            .collect();
        let bytes = conv
            .iter()
            .flat_map(|(_, r)| raw_response(r, Version::Http11))
            .collect();
        (Script::Client(script), bytes)
    })
}

fn server_peer() -> impl Strategy<Value = Script> {
    (
        select(vec![200u16, 204, 304, 404]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(status, cl, close)| {
            let mut headers = Vec::new();
            let mut body = b"hi".to_vec();
            if status != 200 && status != 404 {
                body.clear();
            } else if cl {
                headers.push(("Content-Length".to_owned(), "2".to_owned()));
            }
            if close {
                headers.push(("Connection".to_owned(), "close".to_owned()));
            }
            Script::Server(AutoResponse {
                status,
                headers,
                body,
            })
        })
}

fn pieces() -> impl Strategy<Value = Vec<usize>> {
    vec(prop_oneof![3 => 0usize..8, 1 => 0usize..200], 0..30)
}

// =====================================================================
// 1. Split invariance

proptest! {
    #![proptest_config(config(256))]

    /// Any partition of a request stream (valid or hostile), under default
    /// and tight limits and each leniency, gives the same trace as the
    /// whole input and as one byte at a time.
    #[test]
    fn split_invariance_server(
        input in prop_oneof![valid_requests(), hostile(valid_requests())],
        peer in server_peer(),
        cfg in any::<u8>(),
        pieces in pieces(),
    ) {
        check_split_invariance(&peer, &testkit::fuzz_input::config_from(cfg), &input, &pieces);
    }

    /// The same for a client reading responses to its requests.
    #[test]
    fn split_invariance_client(
        (peer, input) in prop_oneof![
            valid_responses(),
            valid_responses().prop_flat_map(|(p, v)| (Just(p), hostile(Just(v)))),
        ],
        cfg in any::<u8>(),
        pieces in pieces(),
    ) {
        check_split_invariance(&peer, &testkit::fuzz_input::config_from(cfg), &input, &pieces);
    }
}

// =====================================================================
// 2. and 3. Conversations through a Pair

/// What one exchange of a [`converse`] run produced.
#[derive(Debug)]
struct Exchange {
    server_events: Vec<Out>,
    client_events: Vec<Out>,
    server_verdict: Option<Persist>,
    client_verdict: Option<Persist>,
}

fn hdr(f: &[(String, String)]) -> Vec<Header<'_>> {
    f.iter().map(|(n, v)| Header::new(n, v)).collect()
}

fn owned(f: &[(String, String)]) -> Fields {
    f.iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

/// Sends the conversation through a `Pair`, exchange by exchange, until a
/// verdict closes the connection or it switches protocols. Every command
/// must succeed (the generators only make valid messages); every poll goes
/// through a [`Watch`].
fn converse(conv: &[(Req, Resp)], server_config: Config, allow_early: bool) -> Vec<Exchange> {
    let mut pair = Pair::with_configs(Config::default(), server_config.clone());
    let mut cw = Watch::new(Role::Client, &Config::default());
    let mut sw = Watch::new(Role::Server, &server_config);
    let mut log = Vec::new();
    for (req, resp) in conv {
        // Client sends the whole request.
        let h = hdr(&req.fields);
        let r = Request {
            version: req.version,
            ..Request::new(&req.method, &req.target, &h)
        };
        pair.client.send_request(&r, &mut pair.to_server).unwrap();
        cw.sent_request(&req.method);
        // The request body as the pieces the client sends: the chunks, or
        // the content in two halves.
        let pieces: Vec<Vec<u8>> = match &req.body {
            Body::Chunked { chunks, .. } => chunks.iter().map(|(d, _)| d.clone()).collect(),
            b => {
                let c = b.content();
                let (x, y) = c.split_at(c.len() / 2);
                vec![x.to_vec(), y.to_vec()]
            }
        };
        let early = allow_early && resp.early && pieces.iter().any(|p| !p.is_empty());
        let split = if early {
            pieces.len() / 2
        } else {
            pieces.len()
        };
        for p in &pieces[..split] {
            pair.client_data(p).unwrap();
        }
        let finish_request = |pair: &mut Pair, cw: &mut Watch| {
            for p in &pieces[split..] {
                pair.client_data(p).unwrap();
            }
            let t = hdr(req.body.trailers());
            pair.client.send_end(&t, &mut pair.to_server).unwrap();
            cw.sent_end();
        };
        if !early {
            finish_request(&mut pair, &mut cw);
        }
        pair.pump();
        let mut server_events = poll_watched(&mut pair.server, &mut sw);
        // Server answers: interim, then final.
        if let Some((s, f)) = &resp.interim {
            let h = hdr(f);
            pair.server
                .send_response(&Response::new(*s, &h), &mut pair.to_client)
                .unwrap();
        }
        let h = hdr(&resp.fields);
        pair.server
            .send_response(&Response::new(resp.status, &h), &mut pair.to_client)
            .unwrap();
        sw.sent_response(resp.status, Some(&req.method));
        let switching = sw_switching(resp, req);
        if !switching {
            match &resp.body {
                Body::Chunked { chunks, .. } => {
                    for (d, _) in chunks {
                        pair.server_data(d).unwrap();
                    }
                }
                b => pair.server_data(&b.content()).unwrap(),
            }
            let t = hdr(resp.body.trailers());
            pair.server.send_end(&t, &mut pair.to_client).unwrap();
            sw.sent_end();
        }
        if early {
            finish_request(&mut pair, &mut cw);
        }
        for o in poll_watched(&mut pair.server, &mut sw) {
            testkit::push_merged(&mut server_events, o);
        }
        pair.pump();
        for o in poll_watched(&mut pair.server, &mut sw) {
            testkit::push_merged(&mut server_events, o);
        }
        let mut client_events = poll_watched(&mut pair.client, &mut cw);
        if !switching && !client_events.iter().any(|o| matches!(o, Out::Cycle(_))) {
            // A close-delimited body ends when the server closes.
            pair.server_closes();
            cw.saw_eof();
            client_events.extend(poll_watched(&mut pair.client, &mut cw));
        }
        let verdict = |outs: &[Out]| {
            outs.iter().find_map(|o| match o {
                Out::Cycle(p) => Some(*p),
                _ => None,
            })
        };
        let ex = Exchange {
            server_verdict: verdict(&server_events),
            client_verdict: verdict(&client_events),
            server_events,
            client_events,
        };
        let go_on = ex.server_verdict == Some(Persist::KeepAlive)
            && ex.client_verdict == Some(Persist::KeepAlive);
        log.push(ex);
        if !go_on {
            break;
        }
    }
    log
}

fn sw_switching(resp: &Resp, req: &Req) -> bool {
    resp.status == 101 || (req.method == "CONNECT" && (200..300).contains(&resp.status))
}

fn poll_watched(conn: &mut keepalive::Connection, w: &mut Watch) -> Vec<Out> {
    let mut outs = Vec::new();
    for _ in 0..1000 {
        match w.poll(conn) {
            Ok(Recv::Event(e)) => testkit::push_merged(&mut outs, Out::from_event(e)),
            Ok(_) => return outs,
            Err(e) => {
                outs.push(Out::from_error(e));
                return outs;
            }
        }
    }
    panic!("poll_event never stopped");
}

/// Fields a server machine may add to a response after the caller's.
fn machine_added(f: &(Vec<u8>, Vec<u8>)) -> bool {
    let (n, v) = (f.0.as_slice(), f.1.as_slice());
    (n == b"Transfer-Encoding" && v == b"chunked")
        || (n == b"Connection" && (v == b"close" || v == b"keep-alive"))
}

proptest! {
    #![proptest_config(config(256))]

    /// Everything sent arrives unchanged: request heads exactly (method,
    /// target, version, fields with names' case and order), response heads
    /// as sent plus only the framing and connection fields the machine
    /// adds, body bytes, trailers.
    #[test]
    fn round_trip(conv in conversation()) {
        let log = converse(&conv, Config::default(), false);
        for ((req, resp), ex) in conv.iter().zip(&log) {
            let mut s = ex.server_events.iter();
            match s.next() {
                Some(Out::Request { method, target, version, headers, .. }) => {
                    prop_assert_eq!(method, &req.method);
                    prop_assert_eq!(target, &req.target);
                    prop_assert_eq!(*version, req.version);
                    prop_assert_eq!(headers, &owned(&req.fields));
                }
                other => prop_assert!(false, "server got {:?}", other),
            }
            let content = req.body.content();
            let mut next = s.next();
            if !content.is_empty() {
                prop_assert_eq!(next, Some(&Out::Data(content)));
                next = s.next();
            }
            prop_assert_eq!(next, Some(&Out::End(owned(req.body.trailers()))));

            let mut c = ex.client_events.iter().peekable();
            if let Some((status, f)) = &resp.interim {
                prop_assert_eq!(
                    c.next(),
                    Some(&Out::Informational { status: *status, headers: owned(f) })
                );
            }
            match c.next() {
                Some(Out::Response { status, headers, .. }) => {
                    prop_assert_eq!(*status, resp.status);
                    let sent = owned(&resp.fields);
                    prop_assert!(headers.len() >= sent.len());
                    prop_assert_eq!(&headers[..sent.len()], &sent[..]);
                    for extra in &headers[sent.len()..] {
                        prop_assert!(machine_added(extra), "unexpected field {:?}", extra);
                    }
                }
                other => prop_assert!(false, "client got {:?}", other),
            }
            if sw_switching(resp, req) {
                let next = c.next();
                prop_assert!(matches!(next, Some(Out::Switched { .. })), "expected a switch: {:?}", next);
                continue;
            }
            let bodiless = req.method == "HEAD" || resp.status == 204 || resp.status == 304;
            let content = if bodiless { Vec::new() } else { resp.body.content() };
            let mut next = c.next();
            if !content.is_empty() {
                prop_assert_eq!(next, Some(&Out::Data(content)));
                next = c.next();
            }
            prop_assert_eq!(next, Some(&Out::End(owned(resp.body.trailers()))));
        }
    }

    /// Client and server agree on keep-alive for every exchange. Their
    /// reasons are equal too, except where the server closes for a reason
    /// only it knows (`UnreadBody`, `MaxRequests`): the wire carries it as
    /// the `Connection: close` the server adds, so the client's reason is
    /// `ConnectionClose { by: Server }` — or another reason the client
    /// met first on its side of the wire (its own `Connection: close` or
    /// HTTP/1.0 request, a close-delimited response body): each side keeps
    /// the first reason *it* met, and the server checks its request limit
    /// at the request head, before the request's connection options and
    /// before it frames its response.
    #[test]
    fn agreement(conv in conversation(), max in proptest::option::of(1u32..4)) {
        let mut server_config = Config::default();
        server_config.max_requests = max;
        let log = converse(&conv, server_config, true);
        let mut differing = Vec::new();
        for (i, ex) in log.iter().enumerate() {
            let (Some(c), Some(s)) = (ex.client_verdict, ex.server_verdict) else {
                // A switch ends both sides without a verdict.
                prop_assert!(ex.client_verdict.is_none() && ex.server_verdict.is_none(),
                    "only one side reached a verdict: {:?}", ex);
                continue;
            };
            // Issue 11: a response that ends before its request, with a
            // remainder the server will not drain, closes at its end
            // without a `Connection: close` on the wire (its head did not
            // know); the client learns it from the close that follows.
            let unread_at_end = c.is_keep_alive()
                && s == Persist::Close(CloseReason::UnreadBody);
            if unread_at_end {
                continue;
            }
            prop_assert_eq!(c.is_keep_alive(), s.is_keep_alive(), "exchange {}: {:?}", i, ex);
            if c != s {
                differing.push((i, c, s));
            }
        }
        for (i, c, s) in differing {
            let client_knows = matches!(
                c,
                Persist::Close(
                    CloseReason::ConnectionClose { .. }
                        | CloseReason::Http10 { .. }
                        | CloseReason::UntilCloseBody
                )
            );
            let explained = client_knows
                && matches!(s, Persist::Close(CloseReason::UnreadBody | CloseReason::MaxRequests));
            prop_assert!(explained, "exchange {}: client {:?}, server {:?}", i, c, s);
        }
    }
}

// =====================================================================
// 4. Reference model of RFC 9112 §6.3 and §9.3 (`testkit::model`)

/// Framing fields worth testing: valid, listed, conflicting and invalid.
fn framing_fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let cl = (
        any_case("content-length"),
        select(vec![
            "0",
            "5",
            "05",
            "5, 5",
            "5,6",
            "",
            "abc",
            "+5",
            "-1",
            " 7",
            "99999999999999999999",
            "1 2",
        ]),
    )
        .prop_map(|(n, v)| (n, v.to_owned()));
    let te = (
        any_case("transfer-encoding"),
        select(vec![
            "chunked",
            "CHUNKED",
            "gzip, chunked",
            "chunked, gzip",
            "identity",
            "gzip",
            "chunked;q=1",
            "chunked, chunked",
            " chunked ",
            "",
            "x y",
        ]),
    )
        .prop_map(|(n, v)| (n, v.to_owned()));
    (vec(cl, 0..3), vec(te, 0..3), field_set())
        .prop_map(|(a, b, c)| a.into_iter().chain(b).chain(c).collect::<Vec<_>>())
        .prop_shuffle()
}

/// A short body that completes `len` (so persistence can be observed).
fn completing_body(len: Len) -> Vec<u8> {
    match len {
        Len::Fixed(n) if n <= 64 => vec![b'x'; n as usize],
        Len::Chunked => b"3\r\nabc\r\n0\r\n\r\n".to_vec(),
        Len::UntilClose => b"until close".to_vec(),
        _ => Vec::new(),
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Requests: the crate's body length (or refusal) and its keep-alive
    /// verdict match the model for every generated head.
    #[test]
    fn reference_model_requests(
        method in select(vec!["GET", "POST", "PUT", "HEAD", "OPTIONS"]),
        http10 in any::<bool>(),
        mut fields in framing_fields(),
    ) {
        let version = if http10 { Version::Http10 } else { Version::Http11 };
        fields.insert(0, ("Host".to_owned(), "example".to_owned()));
        let req = Req { method: method.to_owned(), target: "/".into(), version, fields: fields.clone(), body: Body::None, upgrade: false };
        let expected = model_length(None, None, version, &fields);
        let mut input = raw_request(&req);
        input.extend_from_slice(&completing_body(expected));
        let peer = Script::Server(AutoResponse { status: 200, headers: vec![("Content-Length".into(), "0".into())], body: Vec::new() });
        let trace = feed_pieces(&peer, &Config::default(), &input, &[input.len()]);
        let first = trace.outs.first().cloned();
        let refused_by_policy = deliberate_refusal(true, &fields);
        match (&first, expected) {
            (Some(Out::Error { .. }), Len::Reject) => {}
            (Some(Out::Error { .. }), _) if refused_by_policy => {}
            (Some(Out::Request { body, .. }), want) if !refused_by_policy || want == Len::None => {
                prop_assert_eq!(crate_len(*body), want, "fields {:?}", fields);
                let verdict = trace.outs.iter().find_map(|o| match o { Out::Cycle(p) => Some(*p), _ => None });
                // The server's own response is HTTP/1.1 with Content-Length.
                let persists = model_persists((version, &fields), (Version::Http11, &[]), Len::Fixed(0));
                prop_assert_eq!(verdict.map(Persist::is_keep_alive), Some(persists), "fields {:?} trace {:?}", fields, trace.outs);
            }
            _ => prop_assert!(false, "model {:?} (policy refusal: {}), crate {:?}, fields {:?}", expected, refused_by_policy, first, fields),
        }
    }

    /// Responses: the same for a client, whose request method (HEAD,
    /// CONNECT, an Upgrade offer) changes the framing.
    #[test]
    fn reference_model_responses(
        req_idx in 0usize..5,
        http10 in any::<bool>(),
        status in select(vec![100u16, 101, 103, 200, 201, 204, 206, 304, 404, 500]),
        mut fields in framing_fields(),
        req_close in any::<bool>(),
    ) {
        let (method, upgrade) = [("GET", false), ("HEAD", false), ("CONNECT", false), ("POST", false), ("GET", true)][req_idx];
        let version = if http10 { Version::Http10 } else { Version::Http11 };
        let mut extra = Vec::new();
        if upgrade {
            extra.push(("Upgrade".to_owned(), "websocket".to_owned()));
            extra.push(("Connection".to_owned(), "upgrade".to_owned()));
        }
        if req_close {
            extra.push(("Connection".to_owned(), "close".to_owned()));
        }
        if status == 101 {
            fields.push(("Upgrade".to_owned(), "websocket".to_owned()));
        }
        let expected = if status == 101 && !upgrade {
            // RFC 9110 §15.2.2: a 101 only answers an Upgrade offer.
            Len::Reject
        } else {
            model_length(Some(method), Some(status), version, &fields)
        };
        let mut input = format!("{version} {status} X\r\n").into_bytes();
        put_fields(&mut input, &fields);
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(&completing_body(expected));
        let mut req_fields = vec![("Host".to_owned(), "example".to_owned())];
        req_fields.extend(extra.iter().cloned());
        let peer = Script::Client(vec![(method.to_owned(), Version::Http11, extra)]);
        let trace = feed_pieces(&peer, &Config::default(), &input, &[input.len()]);
        let first = trace.outs.first().cloned();
        let refused_by_policy = deliberate_refusal(false, &fields);
        let fixed_len_body = |o: &Option<Out>| match o {
            Some(Out::Response { body, .. }) => Some(crate_len(*body)),
            _ => None,
        };
        match (&first, expected) {
            (Some(Out::Error { .. }), Len::Reject) => {}
            (Some(Out::Error { .. }), _) if refused_by_policy => {}
            (Some(Out::Informational { .. }), Len::None) if (100..200).contains(&status) => {}
            (Some(Out::Response { .. }), Len::Tunnel) => {
                let second = trace.outs.get(1);
                prop_assert!(matches!(second, Some(Out::Switched { .. })), "{:?}", trace.outs);
            }
            (Some(Out::Response { .. }), want) if !refused_by_policy || want == Len::None => {
                prop_assert_eq!(fixed_len_body(&first), Some(want), "fields {:?}", fields);
                let verdict = trace.outs.iter().find_map(|o| match o { Out::Cycle(p) => Some(*p), _ => None });
                let conflicting = has(&fields, "transfer-encoding") && has(&fields, "content-length") && want == Len::Chunked;
                let persists = model_persists((Version::Http11, &req_fields), (version, &fields), want);
                // A response with both fields is not a request, so §6.1's
                // "MUST close" does not reach it; but it "ought to be
                // handled as an error", and the crate closes after it.
                // Both outcomes are allowed by the text; the crate's is
                // pinned here.
                let persists = persists && !conflicting;
                prop_assert_eq!(verdict.map(Persist::is_keep_alive), Some(persists), "fields {:?} trace {:?}", fields, trace.outs);
            }
            _ => prop_assert!(false, "model {:?} (policy refusal: {}), crate {:?}, fields {:?}", expected, refused_by_policy, first, fields),
        }
    }
}

// =====================================================================
// 5. No panic, bounded memory

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary bytes in arbitrary pieces give events or a `RecvError`,
    /// never a panic; after every `NeedData` the receive buffer is below
    /// the configured head/trailer limit (checked by `Watch`), so it never
    /// holds more than that plus what one `receive` call handed in.
    #[test]
    fn no_panic_bounded_memory(
        input in vec(any::<u8>(), 0..600),
        server in any::<bool>(),
        cfg in any::<u8>(),
        pieces in pieces(),
    ) {
        let peer = if server {
            Script::Server(AutoResponse { status: 200, headers: Vec::new(), body: b"x".to_vec() })
        } else {
            Script::Client(vec![("GET".into(), Version::Http11, Vec::new()); 3])
        };
        let config = testkit::fuzz_input::config_from(cfg);
        let trace = feed_pieces(&peer, &config, &input, &pieces);
        // The trace ends in a verdict, a close, a switch, an error or a
        // refused send of the harness: the machine never hangs.
        prop_assert!(!trace.outs.is_empty() || input.is_empty() || !server);
    }

    /// What the crate guarantees while `Paused` (it must not bound the
    /// buffer then: the pipelined bytes are the next request): it parses
    /// nothing and drops nothing — the buffer grows by exactly what is
    /// handed in, and the driver, told not to read while paused, bounds
    /// it. Once the pause ends, the bound applies again.
    #[test]
    fn paused_buffers_exactly_what_is_handed_in(
        extra in vec(vec(any::<u8>(), 0..300), 1..5),
    ) {
        let config = testkit::fuzz_input::config_from(1);
        let mut conn = keepalive::Connection::new(Role::Server, config.clone());
        conn.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        let (_, stop) = poll_all(&mut conn);
        prop_assert_eq!(stop, Stop::Paused);
        let mut expected = Vec::new();
        for piece in &extra {
            conn.receive(piece);
            expected.extend_from_slice(piece);
            prop_assert_eq!(conn.unread(), &expected[..]);
            prop_assert_eq!(conn.poll_event(), Ok(Recv::Paused));
        }
        let mut out = SendBuf::new();
        conn.send_response(&Response::new(200, &[Header::new("Content-Length", "0")]), &mut out).unwrap();
        conn.send_end(&[], &mut out).unwrap();
        loop {
            match conn.poll_event() {
                Ok(Recv::NeedData) => {
                    prop_assert!(conn.unread().len() < config.max_head_len.max(config.max_trailers_len));
                    break;
                }
                Ok(Recv::Event(_)) => {}
                Ok(_) | Err(_) => break,
            }
        }
    }
}

// =====================================================================
// 6. State invariants

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary operation lists on a client and a server joined by a
    /// `Pair`: every poll on both sides keeps the event contract (no event
    /// after an error, Data only inside a delivered message, a new cycle
    /// only after both halves are done, Closed/Finished final), refused
    /// commands write nothing, and the verdicts agree.
    #[test]
    fn state_invariants(ops in vec(any::<u8>(), 0..300)) {
        testkit::pair_ops::run_pair_ops(&testkit::pair_ops::decode_ops(&ops));
    }

    /// The same contract for well-formed conversations with a chosen
    /// partition: every event of a valid conversation, fed in pieces,
    /// passes the checks.
    #[test]
    fn state_invariants_valid_conversations(conv in conversation(), pieces in pieces()) {
        let input: Vec<u8> = conv.iter().flat_map(|(q, _)| raw_request(q)).collect();
        let peer = Script::Server(AutoResponse { status: 200, headers: Vec::new(), body: b"ok".to_vec() });
        feed_pieces(&peer, &Config::default(), &input, &pieces);
    }
}

/// Not a property: the request-line targets used above are all accepted,
/// so the generators cannot silently test only the error path.
#[test]
fn generated_requests_are_accepted() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    for _ in 0..200 {
        let req = request().new_tree(&mut runner).unwrap().current();
        let input = raw_request(&req);
        let peer = Script::Server(AutoResponse {
            status: 200,
            headers: vec![("Content-Length".into(), "0".into())],
            body: Vec::new(),
        });
        let trace = feed_pieces(&peer, &Config::default(), &input, &[input.len()]);
        assert!(
            matches!(trace.outs.first(), Some(Out::Request { .. })),
            "{req:?} gave {:?}",
            trace.outs
        );
    }
}
