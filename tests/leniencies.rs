//! The named leniencies of `Config`: each is off by default (the strict
//! answer stays), relaxes only its own rule in its own direction when on,
//! and is reported on the head or the body it affected. Rows are fed whole
//! and one byte at a time and must give identical events.

use keepalive::{
    Config, Connection, Event, Header, Lenience, Leniencies, Recv, RecvErrorKind, Request,
    Response, Role, SendBuf,
};
use testkit::{run_client_rows, run_server_rows, ClientRow, ServerRow};

mod procs;

fn with(f: impl FnOnce(&mut Config)) -> Config {
    let mut c = Config::default();
    f(&mut c);
    c
}

const RESP_OK: &[&str] = &[
    "resp 200 1.1 fixed(5)",
    "data \"hello\"",
    "end",
    "keep-alive",
    "closed",
];

#[test]
fn space_before_colon_in_responses() {
    let input: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello";
    let strict: &[ClientRow] = &[(
        "strict",
        &["GET"],
        input,
        &["error WhitespaceBeforeColon -"],
    )];
    run_client_rows(&Config::default(), strict);
    let config = with(|c| c.allow_space_before_colon_in_responses = true);
    let lenient: &[ClientRow] = &[("lenient", &["GET"], input, RESP_OK)];
    run_client_rows(&config, lenient);
    // Never for requests: RFC 9112 §5.1 says a server MUST reject them.
    let req: &[ServerRow] = &[(
        "request stays strict",
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        &["error WhitespaceBeforeColon 400"],
    )];
    run_server_rows(&config, req);
}

#[test]
fn multiple_spaces_in_request_line() {
    let input: &[u8] = b"GET  /a   HTTP/1.1\r\nHost: a\r\n\r\n";
    run_server_rows(
        &Config::default(),
        &[("strict", input, &["error InvalidTarget 400"])],
    );
    let config = with(|c| c.allow_multiple_spaces_in_request_line = true);
    run_server_rows(
        &config,
        &[
            (
                "lenient",
                input,
                &["req GET /a 1.1 empty", "end", "keep-alive", "closed"],
            ),
            // A space inside the target is still one.
            (
                "space in target",
                b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
                &["error InvalidTarget 400"],
            ),
        ],
    );
}

#[test]
fn spaces_after_chunk_size_in_responses() {
    let input: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5  \r\nhello\r\n0\r\n\r\n";
    run_client_rows(
        &Config::default(),
        &[(
            "strict",
            &["GET"],
            input,
            &["resp 200 1.1 chunked", "error InvalidChunkSize -"],
        )],
    );
    let config = with(|c| c.allow_spaces_after_chunk_size = true);
    run_client_rows(
        &config,
        &[(
            "lenient",
            &["GET"],
            input,
            &[
                "resp 200 1.1 chunked",
                "data \"hello\"",
                "end",
                "keep-alive",
                "closed",
            ],
        )],
    );
    run_server_rows(
        &config,
        &[(
            "request stays strict",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5  \r\nhello\r\n0\r\n\r\n",
            &["req POST / 1.1 chunked", "error InvalidChunkSize 400"],
        )],
    );
}

#[test]
fn lf_after_chunk_data_in_responses() {
    let input: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n";
    run_client_rows(
        &Config::default(),
        &[(
            "strict",
            &["GET"],
            input,
            &[
                "resp 200 1.1 chunked",
                "data \"hello\"",
                "error MissingChunkTerminator -",
            ],
        )],
    );
    let config = with(|c| c.allow_lf_after_chunk_data = true);
    run_client_rows(
        &config,
        &[(
            "lenient",
            &["GET"],
            input,
            &[
                "resp 200 1.1 chunked",
                "data \"hello\"",
                "end",
                "keep-alive",
                "closed",
            ],
        )],
    );
    run_server_rows(
        &config,
        &[(
            "request stays strict",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
            &["req POST / 1.1 chunked", "data \"hello\"", "error MissingChunkTerminator 400"],
        )],
    );
}

/// A client connection that sent `GET /` and received `input`: the
/// leniencies on its response head, and those of its body.
fn client_leniencies(config: Config, input: &[u8]) -> (Leniencies, Leniencies) {
    let mut conn = Connection::new(Role::Client, config);
    let host = [keepalive::Header::new("Host", "a")];
    conn.send_request(&Request::new("GET", "/", &host), &mut SendBuf::new())
        .unwrap();
    conn.receive(input);
    let mut head = Leniencies::NONE;
    loop {
        match conn.poll_event().unwrap() {
            Recv::Event(Event::Response(h)) => head = h.leniencies(),
            Recv::Event(Event::End(_)) => return (head, conn.body_leniencies()),
            Recv::Event(_) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn fired_leniencies_are_reported() {
    let all = with(|c| {
        c.allow_space_before_colon_in_responses = true;
        c.allow_spaces_after_chunk_size = true;
        c.allow_lf_after_chunk_data = true;
    });
    let plain: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_eq!(
        client_leniencies(all.clone(), plain),
        (Leniencies::NONE, Leniencies::NONE)
    );
    let bent: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n5 \r\nhello\n0\r\n\r\n";
    let (head, body) = client_leniencies(all, bent);
    assert_eq!(
        head.iter().collect::<Vec<_>>(),
        [Lenience::SpaceBeforeColon]
    );
    assert_eq!(
        body.iter().collect::<Vec<_>>(),
        [Lenience::SpacesAfterChunkSize, Lenience::LfAfterChunkData]
    );
    let mut server = Connection::new(
        Role::Server,
        with(|c| c.allow_multiple_spaces_in_request_line = true),
    );
    server.receive(b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n");
    match server.poll_event().unwrap() {
        Recv::Event(Event::Request(h)) => {
            assert!(h.leniencies().contains(Lenience::MultipleSpaces))
        }
        other => panic!("{other:?}"),
    }
    for l in Lenience::ALL {
        assert_eq!(Lenience::from_name(l.name()), Some(l));
    }
}

#[test]
fn invalid_fields_in_responses_skipped() {
    // A bad name, a control byte in a value (on a framing field), a line
    // without colon and its fold: all skipped; the valid lines kept.
    let input: &[u8] = b"HTTP/1.1 200 OK\r\nX-Good: 1\r\nBad Name: 2\r\nContent-Length: 9\x01\r\nno colon\r\n folded\r\nContent-Length: 5\r\n\r\nhello";
    run_client_rows(
        &Config::default(),
        // Strict: refused at the space after `Bad` (RFC 9112 §5.1).
        &[(
            "strict",
            &["GET"],
            input,
            &["error WhitespaceBeforeColon -"],
        )],
    );
    let config = with(|c| c.skip_invalid_fields_in_responses = true);
    run_client_rows(&config, &[("lenient", &["GET"], input, RESP_OK)]);
    let mut conn = Connection::new(Role::Client, config.clone());
    let host = [keepalive::Header::new("Host", "a")];
    conn.send_request(&Request::new("GET", "/", &host), &mut SendBuf::new())
        .unwrap();
    conn.receive(input);
    match conn.poll_event().unwrap() {
        Recv::Event(Event::Response(h)) => {
            let fields: Vec<(&[u8], &[u8])> =
                h.headers().iter().map(|f| (f.name, f.value)).collect();
            assert_eq!(
                fields,
                [(&b"X-Good"[..], &b"1"[..]), (b"Content-Length", b"5")]
            );
            assert_eq!(h.headers().len(), 2);
            assert_eq!(h.headers().get_all("content-length").count(), 1);
            assert_eq!(
                h.leniencies().iter().collect::<Vec<_>>(),
                [Lenience::InvalidFieldSkipped]
            );
        }
        other => panic!("{other:?}"),
    }
    // Line ends stay strict, and requests are never relaxed.
    run_client_rows(
        &config,
        &[
            (
                "bare LF still refused",
                &["GET"],
                b"HTTP/1.1 200 OK\r\nBad Name\nContent-Length: 0\r\n\r\n",
                &["error BareLf -"],
            ),
            // RFC 9112 §2.2: a bare CR "MUST" make the element invalid or
            // be replaced by SP; a skipped line could hide a line end
            // another recipient sees, so it refuses the head, whole or
            // split after the CR alike (the split used to skip it).
            (
                "bare CR in a skipped line refused",
                &["GET"],
                b"HTTP/1.1 200 OK\r\nX: a\rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
                &["error InvalidHeaderValue -"],
            ),
            (
                "bare CR in a bad name refused",
                &["GET"],
                b"HTTP/1.1 200 OK\r\nC\rontent-Length: 9\r\nContent-Length: 5\r\n\r\nhello",
                &["error InvalidHeaderValue -"],
            ),
            // A NUL refuses the head even in a skipped line (as httparse).
            (
                "NUL in a skipped line refused",
                &["GET"],
                b"HTTP/1.1 200 OK\r\nBad\x00Name: 1\r\nContent-Length: 5\r\n\r\nhello",
                &["error InvalidHeaderValue -"],
            ),
            // A line after a folded one is skipped like any other (the
            // fold used to leave the next line unskippable).
            (
                "invalid line after a fold skipped",
                &["GET"],
                b"HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n(bad): 3\r\nContent-Length: 5\r\n\r\nhello",
                RESP_OK,
            ),
            // RFC 9112 §2.2: whitespace before the first field line: the
            // recipient MUST "reject the message as invalid or consume
            // each whitespace-preceded line without further processing".
            // Where invalid lines are skipped, it is consumed.
            (
                "whitespace-preceded first line skipped",
                &["GET"],
                b"HTTP/1.1 200 OK\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
                RESP_OK,
            ),
        ],
    );
    run_client_rows(
        &Config::default(),
        &[(
            "whitespace-preceded first line refused when strict",
            &["GET"],
            b"HTTP/1.1 200 OK\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
            &["error InvalidHeaderName -"],
        )],
    );
    run_server_rows(
        &config,
        &[(
            "request stays strict",
            b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: 2\r\n\r\n",
            &["error WhitespaceBeforeColon 400"],
        )],
    );
}

/// A skipped line stays skipped when the head is unfolded for a fold
/// elsewhere: its own continuation is not joined to it. (Found by the
/// `differential` fuzz target: `Transfer-Encoding ` then ` : chunked`
/// came out of `iter()` joined as a field the framing never saw, and the
/// last field was lost.)
#[test]
fn skipped_line_and_its_fold_stay_out_when_another_line_folds() {
    let config = with(|c| {
        c.skip_invalid_fields_in_responses = true;
        c.allow_space_before_colon_in_responses = true;
    });
    let input: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding \r\n : chunked\r\nX-A: 1\r\n 2\r\nX-B : 3\r\nContent-Length: 5\r\n\r\nhello";
    let mut conn = Connection::new(Role::Client, config.clone());
    let host = [keepalive::Header::new("Host", "a")];
    conn.send_request(&Request::new("GET", "/", &host), &mut SendBuf::new())
        .unwrap();
    conn.receive(input);
    match conn.poll_event().unwrap() {
        Recv::Event(Event::Response(h)) => {
            let fields: Vec<(&[u8], &[u8])> =
                h.headers().iter().map(|f| (f.name, f.value)).collect();
            assert_eq!(
                fields,
                [
                    (&b"X-A"[..], &b"1   2"[..]),
                    (b"X-B", b"3"),
                    (b"Content-Length", b"5")
                ]
            );
            assert_eq!(h.headers().get("transfer-encoding"), None);
        }
        other => panic!("{other:?}"),
    }
    run_client_rows(&config, &[("framed by length", &["GET"], input, RESP_OK)]);
}

fn all_on() -> Config {
    with(|c| {
        c.allow_bare_lf = true;
        c.allow_obs_fold_in_requests = true;
        c.allow_space_before_colon_in_responses = true;
        c.skip_invalid_fields_in_responses = true;
        c.allow_multiple_spaces_in_request_line = true;
        c.allow_spaces_after_chunk_size = true;
        c.allow_lf_after_chunk_data = true;
    })
}

/// A message with bytes that bend the grammar here and there.
fn bent(base: &'static [u8]) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let edits = proptest::collection::vec(
        (
            0..base.len(),
            prop::sample::select(vec![b' ', b'\n', b'\r', b':', b'\t', 0x01, b'x']),
        ),
        0..4,
    );
    edits.prop_map(move |edits| {
        let mut v = base.to_vec();
        for (at, b) in edits {
            let at = at.min(v.len());
            v.insert(at, b);
        }
        v
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// A leniency is recorded only where it was needed: whatever the
    /// strict machine accepts, the machine with every leniency on reads
    /// without recording one, whole or a byte at a time.
    #[test]
    fn nothing_recorded_where_strict_accepts(
        resp in bent(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
        req in bent(b"\r\nPOST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    ) {
        for (role, input) in [(Role::Client, &resp), (Role::Server, &req)] {
            if recorded(role, Config::default(), input, usize::MAX).is_err() {
                continue;
            }
            for step in [usize::MAX, 1] {
                let got = recorded(role, all_on(), input, step).unwrap();
                proptest::prop_assert!(
                    got.iter().all(|(h, b)| h.is_empty() && b.is_empty()),
                    "{:?} {:?}", role, got
                );
            }
        }
    }

    /// What is recorded does not depend on how the input was split.
    #[test]
    fn recorded_leniencies_are_split_invariant(
        resp in bent(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
        req in bent(b"\r\nGET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\nPOST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        step in 1usize..8,
    ) {
        for (role, input) in [(Role::Client, &resp), (Role::Server, &req)] {
            let whole = recorded(role, all_on(), input, usize::MAX);
            proptest::prop_assert_eq!(&whole, &recorded(role, all_on(), input, 1));
            proptest::prop_assert_eq!(&whole, &recorded(role, all_on(), input, step));
        }
    }

    /// Leniencies only ever turn a refusal into an acceptance: whatever the
    /// strict machine accepts, the machine with every leniency on reads
    /// identically. (With every leniency off, `Config::default()` is the
    /// strict machine every other test runs.)
    #[test]
    fn leniencies_change_only_what_strict_refuses(
        resp in bent(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        req in bent(b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"),
    ) {
        let strict = Config::default();
        let lenient = all_on();
        for (script, input) in [(testkit::client(&["GET"]), &resp), (testkit::server(), &req)] {
            let a = testkit::feed_whole(&script, &strict, input).lines();
            if a.iter().any(|l| l.starts_with("error")) {
                continue;
            }
            let b = testkit::feed_whole(&script, &lenient, input).lines();
            proptest::prop_assert_eq!(a, b);
        }
    }
}

/// What a connection in `role` recorded on `input` (fed `step` bytes at a
/// time), per message: the leniencies of its head and of its body. A
/// server answers each request `200` with no body; a client sent one
/// `GET /` and stops at the end of its response.
fn recorded(
    role: Role,
    config: Config,
    input: &[u8],
    step: usize,
) -> Result<Vec<(Leniencies, Leniencies)>, RecvErrorKind> {
    let mut conn = Connection::new(role, config);
    let mut out = SendBuf::new();
    if role == Role::Client {
        let host = [Header::new("Host", "a")];
        conn.send_request(&Request::new("GET", "/", &host), &mut out)
            .unwrap();
    }
    let (mut fed, mut eof) = (0, false);
    let mut messages = Vec::new();
    let mut head = Leniencies::NONE;
    loop {
        match conn.poll_event().map_err(|e| e.kind())? {
            Recv::Event(Event::Request(h)) => head = h.leniencies(),
            Recv::Event(Event::Response(h)) => head = h.leniencies(),
            Recv::Event(Event::End(_)) => {
                messages.push((head, conn.body_leniencies()));
                if role == Role::Client {
                    return Ok(messages);
                }
            }
            Recv::Event(Event::Closed) | Recv::Finished => return Ok(messages),
            Recv::Event(_) => {}
            Recv::Paused => {
                let cl = [Header::new("Content-Length", "0")];
                conn.send_response(&Response::new(200, &cl), &mut out)
                    .unwrap();
                conn.send_end(&[], &mut out).unwrap();
            }
            Recv::NeedData if fed < input.len() => {
                let n = step.min(input.len() - fed);
                conn.receive(&input[fed..fed + n]);
                fed += n;
            }
            Recv::NeedData if !eof => {
                conn.receive_eof();
                eof = true;
            }
            other => panic!("{other:?} after end of input"),
        }
    }
}

/// One row: (name, role, input, the strict error, what the lenient
/// machine records per message).
type RecordRow<'a> = (
    &'a str,
    Role,
    &'a [u8],
    RecvErrorKind,
    &'a [(&'a [Lenience], &'a [Lenience])],
);

/// Checks `rows`: refused by default with the row's error, accepted with
/// `config`, recording exactly the row's leniencies, whole and byte by
/// byte.
#[track_caller]
fn check_recorded(config: &Config, rows: &[RecordRow<'_>]) {
    let set = |ls: &[Lenience]| ls.to_vec();
    for (name, role, input, strict, expect) in rows {
        assert_eq!(
            recorded(*role, Config::default(), input, usize::MAX),
            Err(*strict),
            "{name}: strict"
        );
        let expect: Vec<_> = expect.iter().map(|(h, b)| (set(h), set(b))).collect();
        for step in [usize::MAX, 1] {
            let got: Vec<_> = recorded(*role, config.clone(), input, step)
                .unwrap_or_else(|e| panic!("{name}: lenient, step {step}: {e:?}"))
                .into_iter()
                .map(|(h, b)| (h.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>()))
                .collect();
            assert_eq!(got, expect, "{name}: lenient, step {step}");
        }
    }
}

const BARE: &[Lenience] = &[Lenience::BareLf];
const FOLD: &[Lenience] = &[Lenience::ObsFold];
const NO: &[Lenience] = &[];

/// `allow_bare_lf` relaxes every line end in both directions, and each
/// bare LF is recorded on the head or body whose line it ended.
#[test]
fn bare_lf_recorded_where_it_ends_a_line() {
    use RecvErrorKind::{BareLf, MissingChunkTerminator};
    use Role::{Client, Server};
    let config = with(|c| c.allow_bare_lf = true);
    #[rustfmt::skip]
    let rows: &[RecordRow<'_>] = &[
        ("request line", Server, b"GET / HTTP/1.1\nHost: a\r\n\r\n", BareLf, &[(BARE, NO)]),
        ("field line", Server, b"GET / HTTP/1.1\r\nHost: a\n\r\n", BareLf, &[(BARE, NO)]),
        ("blank line", Server, b"GET / HTTP/1.1\r\nHost: a\r\n\n", BareLf, &[(BARE, NO)]),
        ("empty line before the request line", Server,
         b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", BareLf, &[(BARE, NO)]),
        // Recorded on the request it precedes, not the one before it.
        ("empty line between pipelined requests", Server,
         b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
         BareLf, &[(NO, NO), (BARE, NO)]),
        ("chunk-size line", Server,
         b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
         BareLf, &[(NO, BARE)]),
        ("end of chunk data", Server,
         b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
         MissingChunkTerminator, &[(NO, BARE)]),
        ("last-chunk line", Server,
         b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\n\r\n",
         BareLf, &[(NO, BARE)]),
        ("trailer field line", Server,
         b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\n\r\n",
         BareLf, &[(NO, BARE)]),
        ("blank line ending trailers", Server,
         b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\n",
         BareLf, &[(NO, BARE)]),
        ("empty trailer section", Server,
         b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n",
         BareLf, &[(NO, BARE)]),
        ("status line", Client, b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", BareLf, &[(BARE, NO)]),
        ("response field line", Client, b"HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n", BareLf, &[(BARE, NO)]),
        ("response chunk data", Client,
         b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
         MissingChunkTerminator, &[(NO, BARE)]),
    ];
    check_recorded(&config, rows);
    // Where invalid response lines are skipped, the skipped line's bare LF
    // is recorded too.
    let skip = with(|c| {
        c.allow_bare_lf = true;
        c.skip_invalid_fields_in_responses = true;
    });
    check_recorded(
        &skip,
        &[(
            "skipped line",
            Client,
            b"HTTP/1.1 200 OK\r\nBad Name\nContent-Length: 0\r\n\r\n",
            RecvErrorKind::WhitespaceBeforeColon,
            &[(&[Lenience::InvalidFieldSkipped, Lenience::BareLf], NO)],
        )],
    );
    // Both allow LF after response chunk data: the narrower one is named.
    let both = with(|c| {
        c.allow_bare_lf = true;
        c.allow_lf_after_chunk_data = true;
    });
    check_recorded(
        &both,
        &[(
            "response chunk data, both on",
            Client,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
            MissingChunkTerminator,
            &[(NO, &[Lenience::LfAfterChunkData])],
        )],
    );
}

/// `allow_obs_fold_in_requests` is recorded on the request it unfolded; a
/// response's folds, unfolded whatever the configuration (RFC 9112 §5.2),
/// record nothing.
#[test]
fn obs_fold_recorded_in_requests_only() {
    let config = with(|c| c.allow_obs_fold_in_requests = true);
    check_recorded(
        &config,
        &[(
            "folded request field",
            Role::Server,
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n",
            RecvErrorKind::ObsFold,
            &[(FOLD, NO)],
        )],
    );
    let both = with(|c| {
        c.allow_obs_fold_in_requests = true;
        c.allow_bare_lf = true;
    });
    check_recorded(
        &both,
        &[(
            "fold ended by a bare LF",
            Role::Server,
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\n 2\r\n\r\n",
            RecvErrorKind::BareLf,
            &[(&[Lenience::BareLf, Lenience::ObsFold], NO)],
        )],
    );
    let folded: &[u8] = b"HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n";
    for config in [Config::default(), config] {
        assert_eq!(
            recorded(Role::Client, config, folded, 1),
            Ok(vec![(Leniencies::NONE, Leniencies::NONE)])
        );
    }
}

/// With the two options on but nothing to relax, nothing is recorded.
#[test]
fn bare_lf_and_obs_fold_on_but_unused_record_nothing() {
    let config = with(|c| {
        c.allow_bare_lf = true;
        c.allow_obs_fold_in_requests = true;
    });
    let none = vec![(Leniencies::NONE, Leniencies::NONE)];
    let rows: &[(Role, &[u8])] = &[
        (Role::Server, b"\r\nGET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n"),
        (
            Role::Server,
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        ),
        (
            Role::Client,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ),
    ];
    for (role, input) in rows {
        for step in [usize::MAX, 1] {
            assert_eq!(
                recorded(*role, config.clone(), input, step),
                Ok(none.clone())
            );
        }
    }
}

/// `explain --lenient NAME` switches each leniency on, and the trace line
/// it affected carries `"lenient": NAME`; without the switch the same
/// bytes are an error line.
#[test]
fn explain_trace_names_the_leniency() {
    let explain = |args: &[&str], input: &[u8]| -> Vec<String> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new(procs::example("explain"))
            .arg("--jsonl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run explain");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let server = ["--role", "server"];
    let fold: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n";
    let strict = explain(&server, fold);
    assert!(
        strict[0].starts_with("{\"type\":\"error\",\"status\":400"),
        "{strict:?}"
    );
    let lines = explain(&[&server[..], &["--lenient", "obs_fold"]].concat(), fold);
    assert!(lines[0].starts_with("{\"type\":\"request\""), "{lines:?}");
    assert!(
        lines[0].ends_with(",\"lenient\":\"obs_fold\"}"),
        "{lines:?}"
    );
    assert!(
        lines[1..].iter().all(|l| !l.contains("lenient")),
        "{lines:?}"
    );

    let chunked: &[u8] =
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n";
    let strict = explain(&server, chunked);
    assert!(
        strict
            .iter()
            .any(|l| l.starts_with("{\"type\":\"error\",\"status\":400")),
        "{strict:?}"
    );
    let lines = explain(&[&server[..], &["--lenient", "bare_lf"]].concat(), chunked);
    let flagged: Vec<&String> = lines.iter().filter(|l| l.contains("\"lenient\"")).collect();
    assert_eq!(flagged.len(), 1, "{lines:?}");
    assert!(flagged[0].starts_with("{\"type\":\"end\""), "{lines:?}");
    assert!(
        flagged[0].ends_with(",\"lenient\":\"bare_lf\"}"),
        "{lines:?}"
    );

    let client = ["--role", "client", "--requests", "GET"];
    let resp: &[u8] = b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n";
    let lines = explain(&[&client[..], &["--lenient", "bare_lf"]].concat(), resp);
    assert!(lines[0].starts_with("{\"type\":\"response\""), "{lines:?}");
    assert!(lines[0].ends_with(",\"lenient\":\"bare_lf\"}"), "{lines:?}");
}
