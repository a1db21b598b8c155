//! The grammar of RFC 9110 and RFC 9112 that messages are checked against,
//! in one place: tokens, field values and lists, decimals, line ends, and
//! the request-target and authority syntax of RFC 3986. Pure functions over
//! bytes, each with its unit table beside it.

/// Byte classes as tables: every received head is checked byte by byte,
/// and one load per byte is cheaper than a chain of comparisons.
const fn byte_table(class: Class) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = match class {
            Class::Tchar => is_tchar(b),
            Class::PathQuery => is_path_query_char(b),
            Class::RegName => is_unreserved(b) || is_sub_delim(b),
            Class::Target => is_target_char(b),
        };
        i += 1;
    }
    t
}

#[derive(Clone, Copy)]
enum Class {
    Tchar,
    PathQuery,
    RegName,
    Target,
}

// ---------------------------------------------------------------------
// Tokens and field values (RFC 9110 §5.5, §5.6).

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+'
        | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// [`is_tchar`] as a table, for the per-byte loops of the head parser.
pub(crate) static TCHAR: [bool; 256] = byte_table(Class::Tchar);

/// Whether `s` is a non-empty token (RFC 9110 §5.6.2).
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| TCHAR[usize::from(b)])
}

/// A byte allowed inside a field value: VCHAR, SP, HTAB, obs-text
/// (RFC 9110 §5.5). CR, LF, NUL and other controls are not.
pub(crate) const fn is_field_vchar(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// `OWS` (RFC 9110 §5.6.3): SP or HTAB.
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing OWS.
pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ows(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_ows(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Splits one field value into its list elements (RFC 9110 §5.6.1):
/// `#element => [ element ] *( OWS "," OWS [ element ] )`. Quoted strings
/// (with backslash escapes) are kept whole; empty elements are dropped.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = value;
    core::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let mut i = 0;
        let mut quoted = false;
        while i < rest.len() {
            match rest[i] {
                b'"' => quoted = !quoted,
                b'\\' if quoted => i += 1,
                b',' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        let end = i.min(rest.len());
        let element = trim_ows(&rest[..end]);
        rest = if end < rest.len() {
            &rest[end + 1..]
        } else {
            &[]
        };
        if !element.is_empty() {
            return Some(element);
        }
    })
}

/// `1*DIGIT` as u64; `None` on any other byte or on overflow.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    if s.len() <= 19 {
        // Nineteen digits stay below 10^19 < 2^64: no overflow to check.
        let mut n = 0u64;
        for &b in s {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            n = n * 10 + u64::from(digit);
        }
        return Some(n);
    }
    s.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

// ---------------------------------------------------------------------
// Word-at-a-time searches: heads are read on every message, so the long
// runs (field values, the rest of a line) cost about one step per eight
// bytes, not one per byte.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// The eight bytes of `s` at `at` as a little-endian word.
fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(w)
}

/// The first LF in `s`.
pub(crate) fn find_lf(s: &[u8]) -> Option<usize> {
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut i = 0;
    while i + 8 <= s.len() {
        let x = word(s, i) ^ LF;
        // Nonzero iff some byte of `x` is zero (some byte is LF); the
        // lowest set bit marks the first such byte.
        let found = x.wrapping_sub(ONES) & !x & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s[i..].iter().position(|&b| b == b'\n').map(|p| i + p)
}

/// The first byte of `s` that is not plainly part of a field value: a
/// control (HTAB included, so the caller looks at it) or DEL. Bytes ≥ 0x80
/// (obs-text) are plain.
pub(crate) fn find_value_stop(s: &[u8]) -> Option<usize> {
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    const LIMIT: u64 = u64::from_ne_bytes([0x21; 8]);
    let mut i = 0;
    while i + 8 <= s.len() {
        let x = word(s, i);
        // Each byte below 0x80, plus one: 0x01..=0x20 for a control, 0x80
        // for DEL, 0x21..=0x7f otherwise (no carry leaves a byte). With the
        // high bit set first, subtracting 0x21 borrows from no neighbour and
        // leaves the high bit clear exactly for a control or DEL; bytes
        // with the high bit (obs-text) are plain. Every byte is exact.
        let bumped = ((x & LOW7) + ONES) | HIGH;
        let found = !(bumped - LIMIT) & !x & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s[i..]
        .iter()
        .position(|&b| b < 0x20 || b == 0x7f)
        .map(|p| i + p)
}

// ---------------------------------------------------------------------
// Request-target and Host (RFC 9112 §3.2, RFC 3986).

const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

const fn is_path_query_char(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@' | b'/' | b'?')
}

/// A byte that can appear in some form of request-target: the union of
/// the four forms' characters and `%`. Anything else refuses a request
/// line at the byte it arrives, before the target is complete.
const fn is_target_char(b: u8) -> bool {
    is_path_query_char(b) || matches!(b, b'%' | b'[' | b']')
}

/// `pchar / "/" / "?"` (RFC 3986 §3.3, §3.4), without `%HH`.
pub(crate) static PATH_QUERY_CHARS: [bool; 256] = byte_table(Class::PathQuery);
/// `unreserved / sub-delims` (RFC 3986 §3.2.2 reg-name), without `%HH`.
static REG_NAME_CHARS: [bool; 256] = byte_table(Class::RegName);
/// [`is_target_char`] as a table.
pub(crate) static TARGET_CHARS: [bool; 256] = byte_table(Class::Target);

/// Checks that `s` holds only bytes from `allowed` or valid `%HH` escapes.
fn valid_chars(s: &[u8], allowed: impl Fn(u8) -> bool) -> bool {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            if !(i + 2 < s.len() && s[i + 1].is_ascii_hexdigit() && s[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        if !allowed(b) {
            return false;
        }
        i += 1;
    }
    true
}

/// The inside of `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`
/// (RFC 3986 §3.2.2).
fn valid_ip_literal(s: &[u8]) -> bool {
    if let [b'v' | b'V', rest @ ..] = s {
        // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
        let Some(dot) = rest.iter().position(|&b| b == b'.') else {
            return false;
        };
        let (ver, tail) = (&rest[..dot], &rest[dot + 1..]);
        return !ver.is_empty()
            && ver.iter().all(u8::is_ascii_hexdigit)
            && !tail.is_empty()
            && tail
                .iter()
                .all(|&b| is_unreserved(b) || is_sub_delim(b) || b == b':');
    }
    valid_ipv6(s)
}

/// `IPv6address` (RFC 3986 §3.2.2): eight 16-bit hex groups, a run of
/// zero groups shortened to `::` at most once, the last two groups
/// optionally written as an IPv4 address.
fn valid_ipv6(s: &[u8]) -> bool {
    let (head, tail, elided) = match s.windows(2).position(|w| w == b"::") {
        Some(i) => (&s[..i], &s[i + 2..], true),
        None => (s, &b""[..], false),
    };
    // Only the very last group may be an IPv4 address; an empty side of
    // `::` has no groups.
    let sides = if elided {
        [(head, false), (tail, true)]
    } else {
        [(head, true), (&b""[..], false)]
    };
    let mut count = 0;
    for (side, holds_last) in sides {
        if side.is_empty() {
            continue;
        }
        let n = side.split(|&b| b == b':').count();
        for (i, g) in side.split(|&b| b == b':').enumerate() {
            if holds_last && i + 1 == n && g.contains(&b'.') {
                if !valid_ipv4(g) {
                    return false;
                }
                count += 2;
            } else if (1..=4).contains(&g.len()) && g.iter().all(u8::is_ascii_hexdigit) {
                count += 1;
            } else {
                return false;
            }
        }
    }
    if elided {
        count <= 7
    } else {
        count == 8
    }
}

/// `IPv4address`: four decimal octets, 0–255, no leading zeros beyond one
/// digit (RFC 3986 `dec-octet`).
fn valid_ipv4(s: &[u8]) -> bool {
    s.split(|&b| b == b'.').count() == 4
        && s.split(|&b| b == b'.').all(|p| {
            matches!(p.len(), 1..=3)
                && (p.len() == 1 || p[0] != b'0')
                && parse_decimal(p).is_some_and(|n| n <= 255)
        })
}

/// `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2).
#[inline]
pub(crate) fn valid_authority(s: &[u8], port_required: bool) -> bool {
    // The common `Host: name`, with no port, escape or literal, is settled
    // here without a call.
    (!port_required && s.iter().all(|&b| REG_NAME_CHARS[usize::from(b)]))
        || valid_authority_in_full(s, port_required)
}

/// [`valid_authority`] for every form.
fn valid_authority_in_full(s: &[u8], port_required: bool) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix(b"[") {
        let Some(close) = rest.iter().position(|&b| b == b']') else {
            return false;
        };
        if !valid_ip_literal(&rest[..close]) {
            return false;
        }
        match &rest[close + 1..] {
            [] => (&b""[..], None),
            [b':', port @ ..] => (&b"x"[..], Some(port)),
            _ => return false,
        }
    } else {
        match s.iter().rposition(|&b| b == b':') {
            Some(c) => (&s[..c], Some(&s[c + 1..])),
            None => (s, None),
        }
    };
    if !valid_chars(host, |b| REG_NAME_CHARS[usize::from(b)]) {
        return false;
    }
    // `:80` names a port of no host: the URI a server rebuilds from it
    // (RFC 9112 §3.3) has an empty host, which a recipient "MUST reject
    // as invalid" (RFC 9110 §4.2.1). Only a wholly empty `Host` is allowed
    // (RFC 9112 §3.2), and it has no colon.
    if host.is_empty() && port.is_some() {
        return false;
    }
    match port {
        Some(p) => valid_port(p) && !(port_required && p.is_empty()),
        None => !port_required,
    }
}

/// `port = *DIGIT` (RFC 3986 §3.2.3), and a number a TCP port can have.
///
/// Empty is valid: the scheme's default port (RFC 3986 §3.2.3, RFC 9110
/// §4.2.3), refused only where the grammar requires a port (CONNECT).
/// The ABNF sets no bound, but an `http` URI's port is the TCP port the
/// origin listens on (RFC 9110 §4.2.1), 16 bits (RFC 9293 §3.1), and a
/// CONNECT server "MUST reject a CONNECT request that targets an empty or
/// invalid port number" (RFC 9110 §9.3.6): a port past 65535 names no
/// server, and a hop that reads it into 16 bits (99999 wraps to 34463)
/// would route where this one never checked. Leading zeros are allowed by
/// the grammar and keep the value (`080` is 80).
fn valid_port(p: &[u8]) -> bool {
    p.is_empty() || parse_decimal(p).is_some_and(|n| n <= u64::from(u16::MAX))
}

/// The part of an `http` or `https` URI after the scheme: `//` authority,
/// then an absolute path and query. RFC 9110 §4.2.1: an empty host "MUST"
/// be rejected as invalid; §4.2.4: a recipient "SHOULD parse for userinfo
/// and treat its presence as an error" (it hides the real host from
/// whoever reads the target naively). The authority must be a valid
/// `host[:port]` (an IP literal closed by its bracket, RFC 3986 §3.2.2).
fn valid_http_hier_part(rest: &[u8]) -> bool {
    let Some(after) = rest.strip_prefix(b"//") else {
        return false;
    };
    let end = after
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(after.len());
    let (authority, path) = after.split_at(end);
    !authority.is_empty()
        && !authority.contains(&b'@')
        && valid_authority(authority, false)
        && valid_chars(path, is_path_query_char)
}

/// Whether `t` is a request-target of a form `method` may use
/// (RFC 9112 §3.2.1–§3.2.4).
pub(crate) fn valid_target(method: &[u8], t: &[u8]) -> bool {
    if method == b"CONNECT" {
        // authority-form only, port required (RFC 9112 §3.2.3).
        !t.is_empty() && valid_authority(t, true)
    } else if t == b"*" {
        // asterisk-form only for OPTIONS (RFC 9112 §3.2.4).
        method == b"OPTIONS"
    } else if t.first() == Some(&b'/') {
        // Most paths have no escape: one table load per byte settles them.
        t.iter().all(|&b| PATH_QUERY_CHARS[usize::from(b)])
            || valid_chars(t, |b| PATH_QUERY_CHARS[usize::from(b)])
    } else {
        // absolute-form: scheme ":" hier-part [ "?" query ] (RFC 3986 §4.3).
        match t.iter().position(|&b| b == b':') {
            Some(c) if c > 0 && t[0].is_ascii_alphabetic() => {
                let (scheme, rest) = (&t[..c], &t[c + 1..]);
                scheme
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
                    && if scheme.eq_ignore_ascii_case(b"http")
                        || scheme.eq_ignore_ascii_case(b"https")
                    {
                        valid_http_hier_part(rest)
                    } else {
                        valid_chars(rest, |b| is_path_query_char(b) || matches!(b, b'[' | b']'))
                    }
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_their_predicates() {
        for b in 0..=255u8 {
            let i = usize::from(b);
            assert_eq!(TCHAR[i], is_tchar(b), "{b}");
            assert_eq!(PATH_QUERY_CHARS[i], is_path_query_char(b), "{b}");
            assert_eq!(REG_NAME_CHARS[i], is_unreserved(b) || is_sub_delim(b));
            assert_eq!(TARGET_CHARS[i], is_target_char(b), "{b}");
        }
    }

    #[test]
    fn tokens() {
        for (s, ok) in [
            ("GET", true),
            ("x-y_z.1~!#$%&'*+^`|", true),
            ("", false),
            ("a b", false),
            ("a:b", false),
            ("(", false),
            ("é", false),
        ] {
            assert_eq!(is_token(s.as_bytes()), ok, "{s:?}");
        }
    }

    #[test]
    fn field_value_bytes() {
        for b in 0..=255u8 {
            let expected = b == b'\t' || (0x20..=0x7e).contains(&b) || b >= 0x80;
            assert_eq!(is_field_vchar(b), expected, "{b:#x}");
        }
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
    }

    fn elems(v: &str) -> Vec<&[u8]> {
        list_elements(v.as_bytes()).collect()
    }

    #[test]
    fn list_syntax_follows_rfc9110_5_6_1() {
        // "empty elements do not contribute to the count of elements present"
        assert_eq!(elems(", ,a ,  b,,"), vec![&b"a"[..], b"b"]);
        assert_eq!(elems(""), Vec::<&[u8]>::new());
        assert_eq!(elems(" \t"), Vec::<&[u8]>::new());
        // quoted strings keep their commas
        assert_eq!(
            elems(r#"gzip;q="a,b", chunked"#),
            vec![&br#"gzip;q="a,b""#[..], b"chunked"]
        );
        assert_eq!(
            elems(r#"x;p="a\",b", y"#),
            vec![&br#"x;p="a\",b""#[..], b"y"]
        );
    }

    #[test]
    fn decimals() {
        for (s, n) in [
            ("0", Some(0)),
            ("007", Some(7)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("9999999999999999999", Some(9_999_999_999_999_999_999)),
            ("00000000000000000000000042", Some(42)),
            ("1234567890123456789/", None),
            ("/", None),
            (":", None),
            ("", None),
            ("+1", None),
            ("1 ", None),
            ("0x1", None),
        ] {
            assert_eq!(parse_decimal(s.as_bytes()), n, "{s:?}");
        }
    }

    #[test]
    fn word_searches_match_bytewise_searches() {
        // Every length and position around the 8-byte steps, with bytes
        // that could fool a word-wise test.
        for len in 0..40 {
            for at in 0..=len {
                for fill in [b'a', 0x0b, 0x8a, 0x09, 0xff, 0x21, 0x7e, 0x80] {
                    for stop in [b'\n', b'\r', 0x7f, 0x00, 0x1f] {
                        let mut v = vec![fill; len];
                        if at < len {
                            v[at] = stop;
                        }
                        if at + 3 < len {
                            v[at + 3] = b'\n';
                        }
                        let lf = v.iter().position(|&b| b == b'\n');
                        assert_eq!(find_lf(&v), lf, "len {len} at {at} fill {fill:#x}");
                        let ctl = v.iter().position(|&b| b < 0x20 || b == 0x7f);
                        assert_eq!(find_value_stop(&v), ctl, "len {len} at {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn value_stop_is_exact_for_every_byte_in_every_lane() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                for fill in [b'a', 0x80, 0xff, 0x21, 0x7e, b' '] {
                    let mut v = [fill; 8];
                    v[lane] = b;
                    let want = v.iter().position(|&c| c < 0x20 || c == 0x7f);
                    assert_eq!(
                        find_value_stop(&v),
                        want,
                        "{b:#x} in lane {lane}, fill {fill:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn target_forms() {
        for (m, t, ok) in [
            ("GET", "/a/b?q=1&r=/x", true),
            ("GET", "/a%20b", true),
            ("GET", "/a%zz", false),
            ("GET", "/a%2", false),
            ("GET", "/a#f", false),
            ("GET", "/a<b", false),
            ("GET", "http://e.com/x?y", true),
            ("GET", "http://[::1]:80/", true),
            ("GET", "HTTP://e.com", true),
            ("GET", "https://e.com:8443/a?b", true),
            // RFC 9110 §4.2.1 and §4.2.4, RFC 3986 §3.2.2.
            ("GET", "http:///x", false),
            // RFC 9110 §4.2.1: no empty host; a port is a TCP port.
            ("GET", "http://:80/", false),
            ("GET", "http://e.com:/", true),
            ("GET", "http://e.com:65536/", false),
            ("CONNECT", "e.com:65536", false),
            ("CONNECT", ":443", false),
            ("GET", "http://x@y/", false),
            ("GET", "http://[::1/", false),
            ("GET", "http://[::1]/a[b]", false),
            ("GET", "http:e.com/", false),
            ("GET", "e.com:80", true),
            ("GET", ":80", false),
            ("GET", "1a:b", false),
            ("GET", "*", false),
            ("OPTIONS", "*", true),
            ("CONNECT", "e.com:443", true),
            ("CONNECT", "e.com", false),
            ("CONNECT", "/x", false),
            ("CONNECT", "", false),
        ] {
            assert_eq!(valid_target(m.as_bytes(), t.as_bytes()), ok, "{m} {t}");
        }
    }

    #[test]
    fn authority_syntax() {
        assert!(valid_authority(b"example.com:443", true));
        assert!(valid_authority(b"[::1]:8080", true));
        for ok in [
            "[::1]",
            "[::]",
            "[2001:db8::8:800:200c:417a]",
            "[1:2:3:4:5:6:7:8]",
            "[::ffff:192.0.2.1]",
            "[v1.x:y]",
        ] {
            assert!(valid_authority(ok.as_bytes(), false), "{ok}");
        }
        for bad in [
            "[zz]",
            "[1:2:3:4:5:6:7:8:9]",
            "[1::2::3]",
            "[12345::]",
            "[::256.0.0.1]",
            "[::1.2.3]",
            "[v.x]",
            "[]",
            "[::01.2.3.4]",
        ] {
            assert!(!valid_authority(bad.as_bytes(), false), "{bad}");
        }
        assert!(!valid_authority(b"example.com", true));
        assert!(valid_authority(b"example.com", false));
        assert!(valid_authority(b"", false));
        assert!(!valid_authority(b"exa mple", false));
        assert!(!valid_authority(b"a:b", false));
        assert!(!valid_authority(b"a/b", false));
    }

    /// RFC 3986 §3.2.3 `port = *DIGIT`, bounded by TCP's 16 bits
    /// (RFC 9110 §4.2.1, §9.3.6): (authority, valid as `Host`, valid as a
    /// CONNECT target, which requires a port).
    #[test]
    fn authority_ports() {
        for (authority, host, connect) in [
            ("a:80", true, true),
            ("a:0", true, true),
            ("a:65535", true, true),
            ("a:080", true, true),
            ("a:0000000000000000000000080", true, true),
            // Empty: the default port; CONNECT needs one.
            ("a:", true, false),
            ("[::1]:", true, false),
            ("[::1]:80", true, true),
            ("[::1]", true, false),
            // Past 16 bits, however written.
            ("a:65536", false, false),
            ("a:99999", false, false),
            ("a:18446744073709551616", false, false),
            ("[::1]:65536", false, false),
            // Digits only: no sign, space, hex or second colon.
            ("a:+1", false, false),
            ("a:-1", false, false),
            ("a: 80", false, false),
            ("a:80 ", false, false),
            ("a:0x50", false, false),
            ("a:80:80", false, false),
            ("a::80", false, false),
            ("[::1]80", false, false),
            ("[::1]:+1", false, false),
            // A port of no host (RFC 9110 §4.2.1: an empty host is invalid).
            (":80", false, false),
            (":", false, false),
        ] {
            let a = authority.as_bytes();
            assert_eq!(valid_authority(a, false), host, "Host: {authority}");
            assert_eq!(valid_authority(a, true), connect, "CONNECT {authority}");
        }
    }
}
