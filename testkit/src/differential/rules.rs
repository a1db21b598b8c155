//! The documented ways keepalive may differ from httparse: the stricter
//! rules a refusal must match, and the one place it waits longer.

use keepalive::{Config, RecvErrorKind};

use super::{leading_empty_lines, Head, Side, Start};

/// Whether the input ends inside a version `HTTP/d.d` whose major digit
/// is not 1. httparse refuses it at that digit; keepalive reads the rest
/// of it first, to answer a well-formed version 505 (RFC 9110
/// §15.6.6) and a malformed one 400: it refuses at most three bytes later.
pub fn other_major_pending(side: Side, bytes: &[u8]) -> bool {
    let skip = leading_empty_lines(bytes);
    let line = &bytes[skip..];
    let v = match side {
        Side::Trailers => return false,
        Side::Response => line,
        Side::Request => {
            let mut parts = line.splitn(3, |&b| b == b' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(_), Some(_), Some(v)) => v,
                _ => return false,
            }
        }
    };
    let shape = |(i, &b): (usize, &u8)| match i {
        5 | 7 => b.is_ascii_digit(),
        _ => b"HTTP/1.1".get(i) == Some(&b),
    };
    (6..=8).contains(&v.len()) && v[5] != b'1' && v.iter().enumerate().all(shape)
}

/// The stricter rule that explains keepalive refusing `bytes` where
/// httparse accepted them (`oracle` is its head) or wants more (`None`), if
/// one does. Each rule is checked against the bytes:
///
/// | kind | rule |
/// |---|---|
/// | `BareLf` | a line ends with LF alone (RFC 9112 §2.2; httparse always accepts it) |
/// | `MethodTooLong` | the method is longer than 32 bytes (RFC 9112 §3: 501) |
/// | `TargetTooLong` | the target is longer than `max_target_len` (414) |
/// | `InvalidTarget` | the target is not a plain origin-form path (`/`, unreserved, sub-delims, `:@/?`, `%HH`); httparse takes any visible byte |
/// | `HeadTooLarge` | the head is longer than `max_head_len` |
/// | `TrailersTooLarge` | the trailer section is longer than `max_trailers_len`, or has more lines than `max_headers` |
/// | `TooManyHeaders` | more field lines than `max_headers` |
/// | `MissingHost` | an HTTP/1.1 request without `Host` (RFC 9112 §3.2) |
/// | `DuplicateHost` | more than one `Host` line (RFC 9112 §3.2) |
/// | `InvalidHost` | the one `Host` value is not a plain `name[:port]` (port at most 65535, name not empty before it) |
/// | `InvalidContentLength` | a `Content-Length` value other than one plain decimal that fits a `u64` (RFC 9112 §6.3) |
/// | `TransferEncodingNotChunked`, `InvalidTransferCoding`, `UnknownTransferCoding`, `Http10TransferEncoding` | a `Transfer-Encoding` field is present (RFC 9112 §6.1, §6.3) |
/// | `InvalidHeaderValue`, `InvalidHeaderName` | with `skip_invalid_fields_in_responses`, an invalid obs-fold continuation line: httparse drops the whole folded field, keepalive refuses |
/// | `InvalidStatus` | the status code starts with 0 (RFC 9110 §15: 100 to 599) |
/// | `UnexpectedSwitch` | a `101` answers the GET, which offered no upgrade (RFC 9110 §15.2.2) |
/// | `ConnectWithContent` | a CONNECT request with a `Transfer-Encoding` or a `Content-Length` field (RFC 9110 §9.3.6: "A CONNECT request message does not have content") |
pub fn stricter_rule(
    kind: RecvErrorKind,
    side: Side,
    config: &Config,
    bytes: &[u8],
    oracle: Option<&Head>,
) -> Option<&'static str> {
    use RecvErrorKind::*;
    let skip = match side {
        Side::Trailers => 0,
        _ => leading_empty_lines(bytes),
    };
    let head = &bytes[skip..];
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let first = &head[..line_end];
    let mut parts = first.splitn(2, |&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    // With `allow_multiple_spaces_in_request_line` the target starts after
    // a run of spaces, not after the first one.
    let rest = parts.next().unwrap_or_default();
    let rest = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
    let target = rest.split(|&b| b == b' ').next().unwrap_or_default();
    let target = target.strip_suffix(b"\r").unwrap_or(target);
    let fields = oracle.map_or(&[][..], |h| &h.fields[..]);
    let named = |n: &'static str| {
        fields
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(n.as_bytes()))
    };
    let held = match kind {
        BareLf => {
            !config.allow_bare_lf
                && bytes
                    .iter()
                    .enumerate()
                    .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
        }
        MethodTooLong => side == Side::Request && method.len() > 32,
        TargetTooLong => side == Side::Request && target.len() > config.max_target_len,
        InvalidTarget => side == Side::Request && !plain_origin_form(method, target),
        HeadTooLarge => side != Side::Trailers && head.len() >= config.max_head_len,
        TrailersTooLarge => {
            side == Side::Trailers
                && (head.len() >= config.max_trailers_len
                    || field_lines(side, head) > config.max_headers)
        }
        TooManyHeaders => side != Side::Trailers && field_lines(side, head) > config.max_headers,
        MissingHost => oracle.is_some_and(|h| {
            side == Side::Request
                && matches!(h.start, Start::Request { minor: 1, .. })
                && named("host").count() == 0
        }),
        DuplicateHost => side == Side::Request && named("host").count() > 1,
        InvalidHost => {
            let mut hosts = named("host");
            side == Side::Request
                && matches!((hosts.next(), hosts.next()), (Some((_, v)), None) if !plain_host(v))
        }
        InvalidContentLength if side != Side::Trailers => {
            let mut cls = named("content-length");
            match (cls.next(), cls.next()) {
                // Not 1*DIGIT, or past what a u64 holds.
                (Some((_, v)), None) => core::str::from_utf8(v)
                    .ok()
                    .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<u64>().ok())
                    .is_none(),
                (Some(_), Some(_)) => true,
                _ => false,
            }
        }
        TransferEncodingNotChunked
        | InvalidTransferCoding
        | UnknownTransferCoding
        | Http10TransferEncoding => {
            side != Side::Trailers && named("transfer-encoding").count() > 0
        }
        // httparse drops a whole folded field when a continuation line
        // is invalid; keepalive refuses rather than guess what the field
        // would have been.
        InvalidHeaderValue | InvalidHeaderName => {
            side == Side::Response
                && config.skip_invalid_fields_in_responses
                && head
                    .windows(2)
                    .any(|w| w[0] == b'\n' && (w[1] == b' ' || w[1] == b'\t'))
        }
        // The first status digit is 0 (RFC 9110 §15: 100 to 599).
        InvalidStatus => {
            side == Side::Response && head.get(9) == Some(&b'0') && head.get(8) == Some(&b' ')
        }
        UnexpectedSwitch => oracle.is_some_and(|h| {
            side == Side::Response && matches!(h.start, Start::Response { status: 101, .. })
        }),
        // A framing field at all: a `Content-Length: 0` is allowed, but
        // any other value (valid or not) or a Transfer-Encoding declares
        // content the tunnel would not have.
        ConnectWithContent => oracle.is_some_and(|h| {
            side == Side::Request
                && matches!(&h.start, Start::Request { method, .. } if method == b"CONNECT")
                && (named("transfer-encoding").count() > 0 || named("content-length").count() > 0)
        }),
        _ => false,
    };
    held.then_some(match kind {
        BareLf => "bare LF (RFC 9112 §2.2)",
        MethodTooLong => "method longer than 32 bytes (RFC 9112 §3)",
        TargetTooLong => "target longer than max_target_len",
        InvalidTarget => "target syntax (RFC 9112 §3.2)",
        HeadTooLarge => "head longer than max_head_len",
        TrailersTooLarge => "trailers longer than max_trailers_len or max_headers lines",
        TooManyHeaders => "more fields than max_headers",
        MissingHost => "HTTP/1.1 request without Host (RFC 9112 §3.2)",
        DuplicateHost => "several Host lines (RFC 9112 §3.2)",
        InvalidHost => "Host syntax (RFC 9112 §3.2)",
        InvalidContentLength => "Content-Length syntax (RFC 9112 §6.3)",
        UnexpectedSwitch => "101 without an upgrade offered (RFC 9110 §15.2.2)",
        ConnectWithContent => "CONNECT with content (RFC 9110 §9.3.6)",
        InvalidStatus => "status below 100 (RFC 9110 §15)",
        InvalidHeaderValue | InvalidHeaderName => "invalid folded line not skipped",
        _ => "Transfer-Encoding rules (RFC 9112 §6.1)",
    })
}

/// How many field lines `head` starts (folds counted as lines): the
/// non-empty lines after the start line, the last one possibly partial.
fn field_lines(side: Side, head: &[u8]) -> usize {
    let lines = head.split(|&b| b == b'\n');
    let skip = usize::from(side != Side::Trailers);
    lines
        .skip(skip)
        .take_while(|l| !l.is_empty() && *l != b"\r")
        .count()
}

/// `/` followed by path and query bytes or `%HH`, or `*` for OPTIONS: a
/// target keepalive must accept for any method but CONNECT.
fn plain_origin_form(method: &[u8], target: &[u8]) -> bool {
    if method == b"CONNECT" {
        return false;
    }
    if target == b"*" {
        return method == b"OPTIONS";
    }
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b);
    let mut i = 0;
    while i < target.len() {
        match target[i] {
            b'%' if target.len() > i + 2
                && target[i + 1].is_ascii_hexdigit()
                && target[i + 2].is_ascii_hexdigit() =>
            {
                i += 3
            }
            b if plain(b) => i += 1,
            _ => return false,
        }
    }
    target.first() == Some(&b'/')
}

/// A `Host` value keepalive must accept: letters, digits, `-._~`, then
/// optionally `:` and digits worth at most 65535 (a TCP port, RFC 9110
/// §4.2.1), the name not empty then (RFC 9110 §4.2.1: no empty host).
fn plain_host(v: &[u8]) -> bool {
    let (name, port) = match v.iter().position(|&b| b == b':') {
        Some(c) => (&v[..c], Some(&v[c + 1..])),
        None => (v, None),
    };
    // Digits only, their value within 16 bits however many there are.
    let port_ok = |p: &[u8]| {
        p.iter()
            .try_fold(0u32, |n, &d| {
                d.is_ascii_digit()
                    .then(|| n * 10 + u32::from(d - b'0'))
                    .filter(|&n| n <= 65535)
            })
            .is_some()
    };
    port.is_none_or(|p| !name.is_empty() && port_ok(p))
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}
