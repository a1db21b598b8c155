//! The head parser, fed whole and one byte at a time: each row's verdict
//! must not depend on the split, and a bad byte is refused when it arrives.

use bytes::Bytes;

use super::*;
use crate::headers::Known;

fn scan_all(
    input: &[u8],
    config: &Config,
    is_request: bool,
) -> Result<Option<usize>, RecvErrorKind> {
    HeadScanner::default()
        .scan(input, config, is_request)
        .map(|o| o.map(|(n, _)| n))
}

/// Feeds `input` one byte more at a time; returns the verdict and how many
/// bytes had arrived when it was given.
fn trickle(
    input: &[u8],
    config: &Config,
    is_request: bool,
) -> (Result<Option<usize>, RecvErrorKind>, usize) {
    let mut s = HeadScanner::default();
    for n in 1..=input.len() {
        match s.scan(&input[..n], config, is_request) {
            Ok(None) => {}
            Ok(Some((end, _))) => return (Ok(Some(end)), n),
            Err(e) => return (Err(e), n),
        }
    }
    (Ok(None), input.len())
}

#[test]
fn scanner_is_resumable_and_linear() {
    let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest";
    let config = Config::default();
    assert_eq!(trickle(head, &config, true), (Ok(Some(27)), 27));
    assert_eq!(scan_all(head, &config, true), Ok(Some(27)));
}

#[test]
fn scanner_refuses_bare_lf_unless_allowed() {
    let mut config = Config::default();
    assert_eq!(
        scan_all(b"GET / HTTP/1.1\nHost: x\r\n\r\n", &config, true),
        Err(RecvErrorKind::BareLf)
    );
    config.allow_bare_lf = true;
    assert_eq!(
        scan_all(b"GET / HTTP/1.1\nHost: x\n\n", &config, true),
        Ok(Some(24))
    );
}

/// Fed a long head one byte at a time, the parser resumes where it
/// stopped: after each call it has consumed every byte it was given, so
/// no byte is read twice (linear, not quadratic).
#[test]
fn trickled_head_is_read_once() {
    let mut head = b"GET /".to_vec();
    head.extend(std::iter::repeat(b'a').take(4000));
    head.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nX-Long: ");
    head.extend(std::iter::repeat(b'v').take(4000));
    head.extend_from_slice(b"\r\n\r\n");
    let config = Config::default();
    let mut s = HeadScanner::default();
    for n in 1..head.len() {
        assert!(
            matches!(s.scan(&head[..n], &config, true), Ok(None)),
            "at {n}"
        );
        assert_eq!(s.pos as usize, n, "resumes at the end of what it was given");
    }
    assert!(matches!(s.scan(&head, &config, true), Ok(Some((n, _))) if n == head.len()));
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

    /// Whatever the bytes and the leniencies, a trickled head resumes at
    /// most one byte back (a CR whose LF has not arrived, in a skipped
    /// line): each byte is looked at a bounded number of times, so the
    /// work is linear in the head, and the verdict is the whole input's.
    #[test]
    fn any_trickled_head_is_read_in_linear_work(
        input in proptest::collection::vec(proptest::prop_oneof![
            proptest::sample::select(b"GET / HTTP/1.1\r\nHost: x\r\n200 OK".to_vec()),
            proptest::sample::select(b"\r\n\t :\x00\x01\x7f\x80(".to_vec()),
        ], 0..120),
        prefix in proptest::sample::select(vec![
            &b"GET / HTTP/1.1\r\n"[..], b"HTTP/1.1 200 OK\r\n", b"",
        ]),
        flags in 0u8..8,
    ) {
        let config = Config {
            allow_bare_lf: flags & 1 != 0,
            skip_invalid_fields_in_responses: flags & 2 != 0,
            allow_space_before_colon_in_responses: flags & 4 != 0,
            allow_obs_fold_in_requests: flags & 4 != 0,
            ..Config::default()
        };
        let head = [prefix, &input[..]].concat();
        for is_request in [true, false] {
            let mut s = HeadScanner::default();
            let mut trickled = Ok(None);
            for n in 1..=head.len() {
                trickled = s.scan(&head[..n], &config, is_request).map(|o| o.map(|(n, _)| n));
                if trickled != Ok(None) {
                    break;
                }
                proptest::prop_assert!(s.pos as usize + 1 >= n, "resumed at {} of {}", s.pos, n);
            }
            proptest::prop_assert_eq!(trickled, scan_all(&head, &config, is_request));
        }
    }
}

/// One row per rule the parser enforces on its own, with the byte count
/// at which the verdict is given when the head is trickled.
#[test]
fn parser_rules() {
    use RecvErrorKind::*;
    let strict = Config::default();
    type Row<'a> = (&'a str, &'a [u8], bool, Result<(), RecvErrorKind>);
    let rows: &[Row] = &[
        (
            "plain request",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            true,
            Ok(()),
        ),
        ("empty method", b" / HTTP/1.1\r\n", true, Err(InvalidMethod)),
        ("method alone", b"GET\r\n", true, Err(InvalidTarget)),
        (
            "version too long",
            b"GET / HTTP/1.10\r\n",
            true,
            Err(InvalidVersion),
        ),
        (
            "third space",
            b"GET /a b HTTP/1.1\r\n",
            true,
            Err(InvalidTarget),
        ),
        (
            "CR then not LF",
            b"GET / HTTP/1.1\rX",
            true,
            Err(InvalidVersion),
        ),
        (
            "fold before first field",
            b"GET / HTTP/1.1\r\n X: a\r\n\r\n",
            true,
            Err(InvalidHeaderName),
        ),
        (
            "fold in a request",
            b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
            true,
            Err(ObsFold),
        ),
        (
            "empty name",
            b"GET / HTTP/1.1\r\n: a\r\n\r\n",
            true,
            Err(InvalidHeaderName),
        ),
        (
            "no colon",
            b"GET / HTTP/1.1\r\nX\r\n\r\n",
            true,
            Err(InvalidHeaderName),
        ),
        (
            "DEL in value",
            b"GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n",
            true,
            Err(InvalidHeaderValue),
        ),
        (
            "HTAB in value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n",
            true,
            Ok(()),
        ),
        (
            "obs-text in value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: \xe9\r\n\r\n",
            true,
            Ok(()),
        ),
        ("plain response", b"HTTP/1.1 200 OK\r\n\r\n", false, Ok(())),
        (
            "status without reason",
            b"HTTP/1.1 200\r\n\r\n",
            false,
            Ok(()),
        ),
        (
            "status missing",
            b"HTTP/1.1\r\n\r\n",
            false,
            Err(InvalidStatus),
        ),
        (
            "HTTP/0.9 response",
            b"HTTP/0.9 200 OK\r\n\r\n",
            false,
            Err(UnsupportedVersion),
        ),
        (
            "HTTP/2.0 response",
            b"HTTP/2.0 200 OK\r\n\r\n",
            false,
            Err(UnsupportedVersion),
        ),
        (
            "control in reason",
            b"HTTP/1.1 200 O\x01K\r\n\r\n",
            false,
            Err(InvalidStatus),
        ),
        (
            "fold in a response",
            b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
            false,
            Ok(()),
        ),
    ];
    for (name, input, is_request, want) in rows {
        let got = scan_all(input, &strict, *is_request).map(|n| assert!(n.is_some(), "{name}"));
        assert_eq!(got, *want, "{name}");
        let (trickled, _) = trickle(input, &strict, *is_request);
        assert_eq!(
            trickled.map(|n| assert!(n.is_some())),
            *want,
            "{name} trickled"
        );
    }
}

#[test]
fn folded_known_field_is_one_value() {
    let raw = Bytes::from_static(b"HTTP/1.1 200 OK\r\nConnection: a,\r\n  close \r\nX: y\r\n\r\n");
    let (n, facts) = HeadScanner::default()
        .scan(&raw, &Config::default(), false)
        .unwrap()
        .unwrap();
    assert_eq!(n, raw.len());
    let head = parse_response(raw, &facts, &Config::default()).unwrap();
    let values: Vec<_> = head.headers().known(Known::Connection).collect();
    assert_eq!(values, vec![&b"a,    close"[..]]);
    assert_eq!(head.headers().get("x"), Some(&b"y"[..]));
}

#[test]
fn standard_method_is_the_table_index() {
    use crate::head::STANDARD_METHODS;
    for (i, m) in STANDARD_METHODS.iter().enumerate() {
        assert_eq!(usize::from(standard_method(m.as_bytes())), i, "{m}");
    }
    assert_eq!(STANDARD_METHODS[usize::from(CONNECT)], "CONNECT");
    for other in [&b"get"[..], b"GETS", b"", b"PROPFIND", b"PATC"] {
        assert_eq!(standard_method(other), u8::MAX);
    }
}

/// What the resumable parser alone (no fast path) makes of `d`.
fn resumable(
    d: &[u8],
    config: &Config,
    mode: Mode,
) -> Result<Option<(usize, ScanFacts)>, RecvErrorKind> {
    let mut s = HeadScanner::default();
    s.step(d, config, mode).map(|o| o.map(|n| (n, s.facts)))
}

/// What a scan of `d` gives, in `mode`, from the state `s` is in.
fn scan_in(s: &mut HeadScanner, d: &[u8], config: &Config, mode: Mode) -> Scanned {
    match mode {
        Mode::Fields => s.scan_fields(d, config),
        _ => s.scan(d, config, mode == Mode::Request),
    }
}

/// Checks that the fast path, where it reads `d`, finds exactly what the
/// resumable parser finds; returns whether it read it.
fn fast_agrees(d: &[u8], config: &Config, mode: Mode) -> bool {
    let mut facts = ScanFacts::default();
    let Some(n) = fast::head(&mut HeadScanner::default(), d, config, mode, &mut facts) else {
        return false;
    };
    let fast = (n, facts);
    assert_eq!(
        resumable(d, config, mode),
        Ok(Some(fast)),
        "{:?}",
        crate::headers::Latin1(d)
    );
    true
}

/// The heads the benchmarks send, and their near relatives, are read by
/// the fast path, with the resumable parser's facts.
#[test]
fn fast_path_reads_common_heads_as_the_resumable_parser_does() {
    let config = Config::default();
    let requests: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\nContent-Length: 1024\r\n\r\n",
        b"GET /articles/2026/x?ref=home HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: M (X11; L)\r\nConnection: keep-alive\r\nCookie: a=b; c=d\r\n\r\n",
        b"PATCH /a%20b HTTP/1.1\r\nHost: x:80\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"CONNECT e.com:443 HTTP/1.1\r\nHost: e.com:443\r\n\r\n",
        b"GET http://e.com/x HTTP/1.1\r\nHost: e.com\r\n\r\n",
        b"X-Y /a HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Ws: \t \r\nX-Tab:\ta\tb \t\r\nHOST: again\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: \xe9\xff\r\nConnection: a\r\nconnection: b\r\n\r\n",
    ];
    for r in requests {
        assert!(
            fast_agrees(r, &config, Mode::Request),
            "{:?}",
            crate::headers::Latin1(r)
        );
    }
    let responses: &[&[u8]] = &[
        b"HTTP/1.1 200 OK\r\nServer: k\r\nContent-Length: 13\r\n\r\n",
        b"HTTP/1.1 204\r\n\r\n",
        b"HTTP/1.0 599 \r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 404 Not \t Found \r\nX:y\r\n\r\n",
    ];
    for r in responses {
        assert!(
            fast_agrees(r, &config, Mode::Response),
            "{:?}",
            crate::headers::Latin1(r)
        );
    }
    assert!(fast_agrees(
        b"X: 1\r\nExpires: 0\r\n\r\n",
        &config,
        Mode::Fields
    ));
    assert!(fast_agrees(b"\r\n", &config, Mode::Fields));
}

/// The fast path leaves every head it cannot read whole and plain to the
/// resumable parser: incomplete heads, errors, leniencies, limits.
#[test]
fn fast_path_leaves_the_rest_to_the_resumable_parser() {
    let lenient = Config {
        allow_bare_lf: true,
        allow_obs_fold_in_requests: true,
        allow_multiple_spaces_in_request_line: true,
        ..Config::default()
    };
    let tiny = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for n in 0..tiny.len() {
        assert!(!fast_agrees(&tiny[..n], &lenient, Mode::Request), "{n}");
    }
    let every = Config {
        allow_space_before_colon_in_responses: true,
        skip_invalid_fields_in_responses: true,
        ..lenient
    };
    let rows: &[(&[u8], Mode)] = &[
        (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", Mode::Request),
        (b"GET / HTTP/1.1\nHost: x\r\n\r\n", Mode::Request),
        (b"GET / HTTP/1.1\r\nHost: x\n\r\n", Mode::Request),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\n", Mode::Request),
        (b"GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", Mode::Request),
        (b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", Mode::Request),
        (b"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", Mode::Request),
        (b"CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n", Mode::Request),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", Mode::Request),
        (b"GET / HTTP/1.1\r\nHost: x\x00\r\n\r\n", Mode::Request),
        (b"GET / HTTP/1.1\r\nHost: x\r\r\n\r\n", Mode::Request),
        (b"HTTP/1.1 200 OK\r\nX : 1\r\n\r\n", Mode::Response),
        (b"HTTP/1.1 200 OK\r\n(: 1\r\n\r\n", Mode::Response),
        (b"HTTP/1.1 200 OK\r\nX: 1\r\n\t2\r\n\r\n", Mode::Response),
        (b"HTTP/1.1 099 OK\r\n\r\n", Mode::Response),
        (b"HTTP/1.1 200 O\x01K\r\n\r\n", Mode::Response),
        (b"HTTP/1.1 2000 OK\r\n\r\n", Mode::Response),
        (b"HTTP/1.1 200\n\r\n", Mode::Response),
    ];
    for &(r, mode) in rows {
        assert!(
            !fast_agrees(r, &every, mode),
            "{:?}",
            crate::headers::Latin1(r)
        );
    }
    let small = Config {
        max_headers: 1,
        max_target_len: 1,
        ..Config::default()
    };
    assert!(fast_agrees(tiny, &small, Mode::Request));
    for r in [
        &b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n"[..],
        b"GET /a HTTP/1.1\r\n\r\n",
    ] {
        assert!(
            !fast_agrees(r, &small, Mode::Request),
            "{:?}",
            crate::headers::Latin1(r)
        );
    }
    // A head past the limit is not even looked at whole.
    let limited = Config {
        max_head_len: tiny.len() - 1,
        ..Config::default()
    };
    assert_eq!(
        scan_all(tiny, &limited, true),
        Err(RecvErrorKind::HeadTooLarge)
    );
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(3000))]

    /// Near-valid heads with one byte changed, inserted or removed, under
    /// every leniency: wherever the fast path reads one, the resumable
    /// parser finds the same end and the same facts.
    #[test]
    fn fast_path_agrees_with_the_resumable_parser(
        method in proptest::sample::select(vec!["GET", "POST", "CONNECT", "OPTIONS", "M-1", "get"]),
        target in proptest::sample::select(vec![
            "/", "/a/b?c=d", "*", "e.com:443", "http://e.com/x", "/%41", "/a%", "//",
        ]),
        version in proptest::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/1.9", "HTTP/2.0"]),
        status in proptest::sample::select(vec!["200 OK", "204", "101 ", "999 x\ty"]),
        fields in proptest::collection::vec((
            proptest::sample::select(vec![
                "Host", "host", "Content-Length", "Transfer-Encoding", "Connection",
                "keep-alive", "Expect", "Upgrade", "X", "X-Long-Name",
            ]),
            proptest::sample::select(vec!["", " ", "x", " 1 ", "\t a,b \t", "e.com:80", "\u{e9}"]),
        ), 0..6),
        edit in proptest::option::of((0usize..200, proptest::sample::select(
            b"\r\n\t :\x00\x7f\x80a/%".to_vec()), 0u8..3)),
        flags in 0u8..32,
    ) {
        let config = Config {
            allow_bare_lf: flags & 1 != 0,
            skip_invalid_fields_in_responses: flags & 2 != 0,
            allow_space_before_colon_in_responses: flags & 4 != 0,
            allow_obs_fold_in_requests: flags & 8 != 0,
            allow_multiple_spaces_in_request_line: flags & 16 != 0,
            max_headers: if flags & 3 == 3 { 2 } else { 100 },
            ..Config::default()
        };
        let mut block = String::new();
        for (name, value) in &fields {
            block += &format!("{name}:{value}\r\n");
        }
        block += "\r\n";
        let heads = [
            (Mode::Request, format!("{method} {target} {version}\r\n{block}")),
            (Mode::Response, format!("{version} {status}\r\n{block}")),
            (Mode::Fields, block),
        ];
        for (mode, head) in heads {
            let mut head = head.into_bytes();
            if let Some((at, byte, how)) = edit {
                let at = at % (head.len() + 1);
                match how {
                    0 => head.insert(at, byte),
                    1 if at < head.len() => head[at] = byte,
                    _ if at < head.len() => { head.remove(at); }
                    _ => {}
                }
            }
            fast_agrees(&head, &config, mode);
            // Whatever the fast path made of it, a scan gives the verdict
            // of the resumable parser.
            let whole = resumable(&head, &config, mode);
            let mut s = HeadScanner::default();
            proptest::prop_assert_eq!(scan_in(&mut s, &head, &config, mode), whole);
            // Split anywhere: where the fast path stops in the first piece,
            // the resumable parser goes on from there to the same facts.
            for k in 0..head.len() {
                let mut s = HeadScanner::default();
                let first = scan_in(&mut s, &head[..k], &config, mode);
                if first == Ok(None) {
                    proptest::prop_assert_eq!(scan_in(&mut s, &head, &config, mode), whole, "split at {}", k);
                } else {
                    proptest::prop_assert_eq!(first, resumable(&head[..k], &config, mode), "first piece {}", k);
                }
            }
        }
    }
}

#[test]
fn runs_end_at_the_first_byte_outside_the_class() {
    for len in 0..30 {
        for at in 0..=len {
            for stop in [b' ', b':', 0x80, 0] {
                let mut s = vec![b'a'; len];
                if at < len {
                    s[at] = stop;
                }
                assert_eq!(run_of(&s, &TCHAR), at, "len {len} at {at}");
            }
        }
    }
}

/// The Host rules (RFC 9112 §3.2) read the index, and scan the fields for
/// a Host the index could not hold (past 64 KiB into the head).
#[test]
fn host_rules_near_and_past_the_index_limit() {
    use RecvErrorKind::*;
    let config = Config {
        max_head_len: 1 << 20,
        ..Config::default()
    };
    let pad = format!("X-Pad: {}\r\n", "p".repeat(70_000));
    for far in [false, true] {
        let pad = if far { pad.as_str() } else { "" };
        for (fields, version, want) in [
            ("Host: a.example:80\r\n", "HTTP/1.1", Ok(())),
            ("Host: a/b\r\n", "HTTP/1.1", Err(InvalidHost)),
            (
                "Host: a\r\nX: 1\r\nhost: a\r\n",
                "HTTP/1.1",
                Err(DuplicateHost),
            ),
            ("", "HTTP/1.1", Err(MissingHost)),
            ("", "HTTP/1.0", Ok(())),
        ] {
            let head = format!("GET / {version}\r\n{pad}{fields}\r\n");
            let raw = Bytes::from(head.into_bytes());
            let (n, facts) = HeadScanner::default()
                .scan(&raw, &config, true)
                .unwrap()
                .unwrap();
            assert_eq!(n, raw.len());
            let got = parse_request(raw, &facts, &config).map(|_| ());
            assert_eq!(got, want, "{fields:?} far {far}");
        }
    }
}

/// The method kind read from the parser's table index is the one the
/// method's bytes name, on the fast path and the resumable one.
#[test]
fn method_kind_follows_the_method_bytes() {
    use crate::head::STANDARD_METHODS;
    use crate::message::Method;
    let others = ["get", "PROPFIND", "GETS", "M"];
    for m in STANDARD_METHODS.iter().chain(&others) {
        let target = match *m {
            "CONNECT" => "e.com:443",
            _ => "/",
        };
        for sep in [" ", "  "] {
            let config = Config {
                allow_multiple_spaces_in_request_line: true,
                ..Config::default()
            };
            let raw = Bytes::from(format!("{m}{sep}{target} HTTP/1.1\r\nHost: x\r\n\r\n"));
            let (_, facts) = HeadScanner::default()
                .scan(&raw, &config, true)
                .unwrap()
                .unwrap();
            let head = parse_request(raw, &facts, &config).unwrap();
            assert_eq!(head.method_kind(), Method::of(m.as_bytes()), "{m}");
            assert_eq!(head.method(), *m);
        }
    }
}

/// Where the fast path stops inside the field section, the resumable
/// parser goes on from the start of that line (not from the head's start)
/// and ends with the facts it would have found alone: after a fold, a
/// bare LF, a skipped or refused line, or the end of the buffer.
#[test]
fn fast_path_hands_over_at_the_line_it_cannot_read() {
    let lenient = Config {
        allow_bare_lf: true,
        allow_obs_fold_in_requests: true,
        allow_space_before_colon_in_responses: true,
        skip_invalid_fields_in_responses: true,
        ..Config::default()
    };
    let plain = "Host: x\r\nConnection: a,\r\nX: 1\r\n";
    let rows: &[(Mode, &str, &str)] = &[
        (
            Mode::Response,
            "HTTP/1.1 200 OK\r\n",
            "  close \r\nY: 2\r\n\r\n",
        ),
        (Mode::Request, "GET / HTTP/1.1\r\n", "\tclose\r\n\r\n"),
        (Mode::Request, "GET / HTTP/1.1\r\n", "Y: 2\n\n"),
        (Mode::Response, "HTTP/1.1 200 OK\r\n", "Y : 2\r\n\r\n"),
        (
            Mode::Response,
            "HTTP/1.1 200 OK\r\n",
            "(: 2\r\n  folded\r\nY: 3\r\n\r\n",
        ),
        (Mode::Request, "GET / HTTP/1.1\r\n", "Y: \x01\r\n\r\n"),
        (Mode::Request, "GET / HTTP/1.1\r\n", "Host: again\r\n\r\n"),
        (Mode::Fields, "", "Y: 2\r\n\r\n"),
    ];
    for (mode, start, rest) in rows {
        let head = format!("{start}{plain}{rest}");
        let head = head.as_bytes();
        let at = start.len() + plain.len();
        for config in [&lenient, &Config::default()] {
            let mut s = HeadScanner::default();
            let whole = scan_in(&mut s, head, config, *mode);
            assert_eq!(whole, resumable(head, config, *mode), "{rest:?}");
            // The buffer ends inside the line after the plain ones.
            let mut s = HeadScanner::default();
            let first = scan_in(&mut s, &head[..at + 1], config, *mode);
            assert_eq!(first, resumable(&head[..at + 1], config, *mode), "{rest:?}");
            if first == Ok(None) {
                assert!(
                    s.pos as usize > at,
                    "{rest:?}: read on from the line, not again"
                );
                assert_eq!(
                    scan_in(&mut s, head, config, *mode),
                    whole,
                    "{rest:?} split"
                );
            }
            // The fast path alone stops at that line and hands it over.
            let mut s = HeadScanner::default();
            assert_eq!(
                s.fast(
                    &head[..at + 1],
                    config,
                    *mode,
                    usize::MAX,
                    &mut ScanFacts::default()
                ),
                None,
                "{rest:?}"
            );
            assert_eq!(s.pos as usize, at, "{rest:?}: handed over at the line");
            // Handed over right at that line, the same.
            let mut s = HeadScanner::default();
            assert_eq!(scan_in(&mut s, &head[..at], config, *mode), Ok(None));
            assert_eq!(s.pos as usize, at, "{rest:?}: resumes at the line");
            assert_eq!(
                scan_in(&mut s, head, config, *mode),
                whole,
                "{rest:?} at the line"
            );
        }
    }
}
