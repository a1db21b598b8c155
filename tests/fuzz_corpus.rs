//! Replays the committed fuzz seed corpus (`fuzz/corpus/<target>/`) through
//! the same checks the fuzz targets run (`testkit::fuzz_input`, `testkit::pair_ops`,
//! `testkit::differential`), so a
//! machine without a nightly toolchain still runs them on every
//! `cargo test`. Crashes the fuzzers found live in the corpus too, as
//! named files.

use std::path::Path;

use keepalive::Role;

/// Runs `check` on every file of `fuzz/corpus/<target>/`; fails if the
/// directory holds no seed (a corpus that vanished must not pass).
fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{target}: only {} seeds", files.len());
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data))) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("{target}/{name}: {msg}");
        }
    }
}

#[test]
fn corpus_server_bytes() {
    replay("server_bytes", |d| {
        testkit::fuzz_input::run_bytes(Role::Server, d)
    });
}

#[test]
fn corpus_client_bytes() {
    replay("client_bytes", |d| {
        testkit::fuzz_input::run_bytes(Role::Client, d)
    });
}

#[test]
fn corpus_chunked() {
    replay("chunked", testkit::fuzz_input::run_chunked);
}

#[test]
fn corpus_differential() {
    replay("differential", testkit::differential::run_differential);
}

#[test]
fn corpus_pair_ops() {
    replay("pair_ops", |d| {
        testkit::pair_ops::run_pair_ops(&testkit::pair_ops::decode_ops(d))
    });
}

/// The pair_ops seeds decode to what they were written as: the layout in
/// `decode_ops` and `encode_ops` is one format.
#[test]
fn op_encoding_round_trips() {
    let ops = vec![
        testkit::pair_ops::Op::Request {
            method: 3,
            target: 2,
            http10: true,
            fields: vec![(1, 2), (11, 0)],
        },
        testkit::pair_ops::Op::Response {
            status: 7,
            fields: vec![(4, 4)],
        },
        testkit::pair_ops::Op::ClientData(9),
        testkit::pair_ops::Op::ServerData(0),
        testkit::pair_ops::Op::ClientEnd(true),
        testkit::pair_ops::Op::ServerEnd(false),
        testkit::pair_ops::Op::ToServer(3),
        testkit::pair_ops::Op::ToClient(0),
        testkit::pair_ops::Op::ClientEof,
        testkit::pair_ops::Op::ServerEof,
        testkit::pair_ops::Op::Advance(0x1234),
    ];
    assert_eq!(
        testkit::pair_ops::decode_ops(&testkit::pair_ops::encode_ops(&ops)),
        ops
    );
}

/// Found by `pair_ops`: a server that answered before the request body
/// was in, and could not drain the rest (chunked, so of unknown size).
/// Since issue 11 the head of such a response does not close by itself
/// (the application may still be reading: full duplex); the decision is
/// made at the end of the response, and here it is to close, lingering.
/// The client, told nothing on the wire, keeps its verdict and learns of
/// the close from the end of input.
#[test]
fn early_response_closes_at_its_end() {
    let mut pair = testkit::Pair::new();
    pair.request(
        "POST",
        "/",
        &[("Host", "example"), ("Transfer-Encoding", "chunked")],
    )
    .unwrap();
    pair.client_data(b"0123456789").unwrap();
    pair.pump();
    let _ = pair.server_events();
    pair.respond(302, &[]).unwrap();
    pair.server_end().unwrap();
    pair.client_data(b"abc").unwrap();
    pair.client_end().unwrap();
    pair.pump();
    let (events, _) = pair.client_events();
    let Some(keepalive::Event::Response(head)) = events.first() else {
        panic!("{events:?}");
    };
    assert!(!head.headers().has_token("connection", "close"));
    let verdicts = |events: &[keepalive::Event]| -> Vec<keepalive::Persist> {
        events
            .iter()
            .filter_map(|e| match e {
                keepalive::Event::Cycle(p) => Some(*p),
                _ => None,
            })
            .collect()
    };
    let (server_events, _) = pair.server_events();
    assert_eq!(
        verdicts(&server_events),
        vec![keepalive::Persist::Close(
            keepalive::CloseReason::UnreadBody
        )]
    );
    assert_eq!(verdicts(&events), vec![keepalive::Persist::KeepAlive]);
    // The server closes; the client sees it and will not reuse the connection.
    pair.client.receive_eof();
    let (events, _) = pair.client_events();
    assert_eq!(events, vec![keepalive::Event::Closed]);
    assert!(!pair.client.is_reusable());
}

/// Found by `client_bytes`: an until-close body over `max_body_len` gave
/// the 413 with no data when fed whole, but the data under the limit
/// first when fed in pieces. Both now deliver the bytes up to the limit,
/// then refuse.
#[test]
fn until_close_limit_does_not_depend_on_splits() {
    let mut config = keepalive::Config::default();
    config.max_body_len = Some(4);
    let peer = testkit::Script::Client(vec![(
        "GET".to_owned(),
        keepalive::Version::Http11,
        Vec::new(),
    )]);
    let input = b"HTTP/1.1 200 OK\r\n\r\nabcdefgh";
    let trace = testkit::check_split_invariance(&peer, &config, input, &[20, 2, 1]);
    let lines: Vec<String> = trace.outs.iter().map(testkit::Out::line).collect();
    assert_eq!(
        lines,
        [
            "resp 200 1.1 until-close",
            "data \"abcd\"",
            "error BodyTooLarge -"
        ]
    );
}
