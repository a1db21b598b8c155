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
    let head = parse_response(raw, facts, &Config::default()).unwrap();
    let values: Vec<_> = head.headers().known(Known::Connection).collect();
    assert_eq!(values, vec![&b"a,    close"[..]]);
    assert_eq!(head.headers().get("x"), Some(&b"y"[..]));
}
