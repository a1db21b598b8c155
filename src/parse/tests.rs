//! The head parser, fed whole and one byte at a time: each row's verdict
//! must not depend on the split, and a bad byte is refused when it arrives.

use super::*;

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
