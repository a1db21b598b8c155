//! RFC 9112 §5 "Field Syntax" (and §2.2 message parsing, RFC 9110 §5.5
//! field values): how received field lines are split, trimmed, and refused.
//! Rows give either the exact fields the head must carry or the error line.
//! Every row is fed whole and one byte at a time and must give identical
//! events.

use keepalive::Config;
use testkit::{assert_same_whole_and_bytewise, client, esc, server, Out, Script};

/// Expected outcome: the head's fields (name, value) in order, or the
/// error line.
type Expect = Result<&'static [(&'static [u8], &'static [u8])], &'static str>;
type Row = (&'static str, &'static [u8], Expect);

fn check(script: &Script, config: &Config, rows: &[Row]) {
    let mut failures = Vec::new();
    for (name, input, expect) in rows {
        let trace = assert_same_whole_and_bytewise(script, config, input);
        let first = trace.outs.first().cloned();
        let got: Result<testkit::Fields, String> = match first {
            Some(Out::Request { headers, .. } | Out::Response { headers, .. }) => Ok(headers),
            Some(o) => Err(o.line()),
            None => Err("nothing".to_owned()),
        };
        let want: Result<testkit::Fields, String> = match expect {
            Ok(f) => Ok(f.iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect()),
            Err(e) => Err((*e).to_owned()),
        };
        if got != want {
            failures.push(format!(
                "{name}: input \"{}\"\n  expect {want:?}\n  got    {got:?}\n  trace {:?}",
                esc(input),
                trace.lines()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn request_fields() {
    let rows: &[Row] = &[
        (
            // §5.1: "A field line value might be preceded and/or followed by
            // optional whitespace (OWS) ... excluded by parsers when extracting
            // the field line value"
            "OWS around the value is removed",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A:   v   \r\n\r\n",
            Ok(&[(b"Host", b"a"), (b"X-A", b"v")]),
        ),
        (
            // §5.1, OWS includes HTAB.
            "tabs around the value are removed",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A:\tv\t\r\n\r\n",
            Ok(&[(b"Host", b"a"), (b"X-A", b"v")]),
        ),
        (
            // §5: "field-line = field-name ":" OWS field-value OWS" — the value
            // may be empty.
            "empty value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n",
            Ok(&[(b"Host", b"a"), (b"X-Empty", b"")]),
        ),
        (
            // RFC 9110 §5.5: whitespace inside a value is part of it.
            "inner whitespace kept",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a b\t c\r\n\r\n",
            Ok(&[(b"Host", b"a"), (b"X-A", b"a b\t c")]),
        ),
        (
            // RFC 9110 §5.1: names are case-insensitive, but the case as received
            // is kept for the caller (proxies forward it).
            "name case preserved",
            b"GET / HTTP/1.1\r\nhOsT: a\r\nx-CamEL: v\r\n\r\n",
            Ok(&[(b"hOsT", b"a"), (b"x-CamEL", b"v")]),
        ),
        (
            // RFC 9110 §5.3: repeated field lines are kept in order.
            "repeated fields in order",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nX-A: 3\r\n\r\n",
            Ok(&[
                (b"Host", b"a"),
                (b"X-A", b"1"),
                (b"X-B", b"2"),
                (b"X-A", b"3"),
            ]),
        ),
        (
            // RFC 9110 §5.5: "field-vchar = VCHAR / obs-text" — octets 0x80-0xFF.
            "obs-text in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9\r\n\r\n",
            Ok(&[(b"Host", b"a"), (b"X-A", b"caf\xe9")]),
        ),
        (
            // RFC 9110 §5.5: a colon inside a value is just a character.
            "colon inside the value",
            b"GET / HTTP/1.1\r\nHost: a:80\r\nX-Time: 12:00:01\r\n\r\n",
            Ok(&[(b"Host", b"a:80"), (b"X-Time", b"12:00:01")]),
        ),
        (
            // §2.2: "a server that is expecting to receive and parse a request-line
            // SHOULD ignore at least one empty line (CRLF) received prior to the
            // request-line"
            "empty lines before the request line",
            b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            Ok(&[(b"Host", b"a")]),
        ),
        (
            // §5.1: "No whitespace is allowed between the field name and colon.
            // ... A server MUST reject, with a response status code of 400"
            "space before colon",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A : v\r\n\r\n",
            Err("error WhitespaceBeforeColon 400"),
        ),
        (
            // §5.1, same with HTAB.
            "tab before colon",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A\t: v\r\n\r\n",
            Err("error WhitespaceBeforeColon 400"),
        ),
        (
            // §5.1 on the Host field itself (a classic smuggling vector).
            "space before colon in Host",
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            Err("error WhitespaceBeforeColon 400"),
        ),
        (
            // RFC 9110 §5.1: "field-name = token" — "(" is a delimiter.
            "delimiter in a name",
            b"GET / HTTP/1.1\r\nHost: a\r\nX(A): v\r\n\r\n",
            Err("error InvalidHeaderName 400"),
        ),
        (
            // RFC 9110 §5.1: a token has at least one tchar.
            "empty name",
            b"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n",
            Err("error InvalidHeaderName 400"),
        ),
        (
            // §5: a field line needs a colon.
            "line without colon",
            b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
            Err("error InvalidHeaderName 400"),
        ),
        (
            // RFC 9110 §5.1: token characters are ASCII.
            "non-ASCII in a name",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-\xe9: v\r\n\r\n",
            Err("error InvalidHeaderName 400"),
        ),
        (
            // RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are
            // invalid and dangerous ... a recipient ... MUST either reject the
            // message or replace each of those characters with SP"
            "NUL in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n",
            Err("error InvalidHeaderValue 400"),
        ),
        (
            // RFC 9110 §5.5, CR alone inside a value.
            "CR in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n",
            Err("error InvalidHeaderValue 400"),
        ),
        (
            // RFC 9110 §5.5: "field-vchar = VCHAR / obs-text" excludes other
            // controls such as 0x01.
            "control byte in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x01b\r\n\r\n",
            Err("error InvalidHeaderValue 400"),
        ),
        (
            // RFC 9110 §5.5: DEL (0x7F) is not VCHAR.
            "DEL in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x7fb\r\n\r\n",
            Err("error InvalidHeaderValue 400"),
        ),
        (
            // §2.2: "Although the line terminator for the start-line and fields is
            // the sequence CRLF, a recipient MAY recognize a single LF" — not by
            // default here.
            "bare LF in the head",
            b"GET / HTTP/1.1\r\nHost: a\nX-A: v\r\n\r\n",
            Err("error BareLf 400"),
        ),
        (
            // §2.2, a bare LF ending the request line.
            "bare LF after the request line",
            b"GET / HTTP/1.1\nHost: a\r\n\r\n",
            Err("error BareLf 400"),
        ),
        (
            // §5.2: "A server that receives an obs-fold in a request message ...
            // MUST either reject the message by sending a 400 (Bad Request) ... or
            // replace each received obs-fold with one or more SP octets" — strict
            // default rejects.
            "obs-fold in a request",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",
            Err("error ObsFold 400"),
        ),
        (
            // §2.2: "A recipient that receives whitespace between the start-line and
            // the first header field MUST either reject the message as invalid or
            // consume each whitespace-preceded line without further processing"
            "whitespace line after the request line",
            b"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
            Err("error InvalidHeaderName 400"),
        ),
    ];
    check(&server(), &Config::default(), rows);
}

#[test]
fn request_field_leniencies() {
    let mut config = Config::default();
    config.allow_obs_fold_in_requests = true;
    config.allow_bare_lf = true;
    let rows: &[Row] = &[
        (
            // §5.2: "... or replace each received obs-fold with one or more SP
            // octets prior to interpreting the field value" — opt-in.
            "obs-fold replaced by spaces when allowed",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",
            Ok(&[(b"Host", b"a"), (b"X-A", b"one   two")]),
        ),
        (
            // §2.2: "a recipient MAY recognize a single LF as a line terminator and
            // ignore any preceding CR" — opt-in.
            "bare LF accepted when allowed",
            b"GET / HTTP/1.1\nHost: a\nX-A: v\n\n",
            Ok(&[(b"Host", b"a"), (b"X-A", b"v")]),
        ),
    ];
    check(&server(), &config, rows);
}

#[test]
fn response_fields() {
    let rows: &[Row] = &[
        (
            // §5.2: "A user agent that receives an obs-fold in a response message
            // ... MUST replace each received obs-fold with one or more SP octets
            // prior to interpreting the field value."
            "obs-fold in a response is unfolded",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: one\r\n\ttwo\r\n\r\n",
            Ok(&[(b"Content-Length", b"0"), (b"X-A", b"one  \ttwo")]),
        ),
        (
            // §5.1: OWS trimmed in responses too.
            "OWS trimmed in a response",
            b"HTTP/1.1 200 OK\r\nContent-Length:  0 \r\n\r\n",
            Ok(&[(b"Content-Length", b"0")]),
        ),
        (
            // RFC 9110 §5.5: NUL in a response value is invalid.
            "NUL in a response value",
            b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n",
            Err("error InvalidHeaderValue -"),
        ),
        (
            // RFC 9110 §5.1: a response field name must be a token too;
            // RFC 9112 §5.1: whitespace after it is refused as soon as it
            // arrives, whatever follows (the kind says so).
            "bad name in a response",
            b"HTTP/1.1 200 OK\r\nX A: v\r\nContent-Length: 0\r\n\r\n",
            Err("error WhitespaceBeforeColon -"),
        ),
    ];
    check(&client(&["GET"]), &Config::default(), rows);
}
