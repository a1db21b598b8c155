//! RFC 9112 §7.1 "Chunked Transfer Coding" (§7.1.1 chunk extensions,
//! §7.1.2 trailer section): the chunked decoder, resumable at every byte.
//! Every row is fed whole and one byte at a time and must give identical
//! events.

use keepalive::{Config, Connection, Role};
use testkit::{poll_lines, run_client_rows, run_server_rows, server, ClientRow, ServerRow};

/// A request head announcing a chunked body; rows append the body.
macro_rules! chunked {
    ($body:literal) => {
        concat!(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            $body
        )
        .as_bytes()
    };
}

const REQ: &str = "req POST / 1.1 chunked";

#[test]
fn chunk_size_and_data() {
    let rows: &[ServerRow] = &[
        (
            // §7.1: "chunked-body = *chunk last-chunk trailer-section CRLF"
            "one chunk",
            chunked!("5\r\nhello\r\n0\r\n\r\n"),
            &[REQ, "data \"hello\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1: several chunks concatenate into one body.
            "several chunks",
            chunked!("3\r\nabc\r\n3\r\ndef\r\n1\r\ng\r\n0\r\n\r\n"),
            &[REQ, "data \"abcdefg\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1: "chunk-size = 1*HEXDIG" — upper-case hex.
            "upper-case hex size",
            chunked!("A\r\n0123456789\r\n0\r\n\r\n"),
            &[REQ, "data \"0123456789\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1: "chunk-size = 1*HEXDIG" — lower-case hex.
            "lower-case hex size",
            chunked!("b\r\n0123456789a\r\n0\r\n\r\n"),
            &[REQ, "data \"0123456789a\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1: "1*HEXDIG" allows leading zeros.
            "leading zeros in size",
            chunked!("0003\r\nabc\r\n000\r\n\r\n"),
            &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1: "The chunked coding does not define any parameters" — a body
            // with only the last chunk is an empty body.
            "empty chunked body",
            chunked!("0\r\n\r\n"),
            &[REQ, "end", "keep-alive", "closed"],
        ),
        (
            // §7.1: "Recipients MUST anticipate potentially large hexadecimal
            // numerals and prevent parsing errors due to integer conversion
            // overflows"
            "size overflows 64 bits",
            chunked!("10000000000000000\r\n"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §7.1: "chunk-size = 1*HEXDIG" — at least one digit.
            "no size digits",
            chunked!(";ext\r\nabc\r\n"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §7.1: an empty chunk-size line has no HEXDIG.
            "empty size line",
            chunked!("\r\n"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §7.1: HEXDIG only.
            "non-hex size",
            chunked!("g\r\n"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §7.1: no sign.
            "negative size",
            chunked!("-1\r\n"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §7.1: no 0x prefix.
            "0x prefix",
            chunked!("0x5\r\nhello\r\n"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §7.1: no whitespace inside the size (BWS only before ";").
            "space inside size",
            chunked!("1 2\r\n"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §7.1: "chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF" — data
            // must be followed by CRLF.
            "data not followed by CRLF",
            chunked!("3\r\nabcX\r\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "error MissingChunkTerminator 400"],
        ),
        (
            // §7.1: CR alone after data is not CRLF.
            "data followed by CR CR LF",
            chunked!("3\r\nabc\r\r\n"),
            &[REQ, "data \"abc\"", "error MissingChunkTerminator 400"],
        ),
        (
            // §7.1 with §2.2 strict: only LF after data is refused by default.
            "data followed by bare LF",
            chunked!("3\r\nabc\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "error MissingChunkTerminator 400"],
        ),
        (
            // §2.2: a bare LF is a leniency; strict default refuses it.
            "bare LF after size",
            chunked!("3\nabc\r\n0\r\n\r\n"),
            &[REQ, "error BareLf 400"],
        ),
        (
            // §7.1: the size line must end with CRLF: CR then a byte is malformed.
            "CR not followed by LF on size line",
            chunked!("3\rabc"),
            &[REQ, "error InvalidChunkSize 400"],
        ),
        (
            // §8: "A message that uses the chunked transfer coding is incomplete if
            // the zero-sized chunk that terminates the encoding has not been
            // received."
            "end of input inside chunk data",
            chunked!("5\r\nhel"),
            &[REQ, "data \"hel\"", "error IncompleteMessage 400"],
        ),
        (
            // §8 with §7.1: the chunked-body ends with the CRLF after the trailer
            // section; end of input before it is incomplete.
            "end of input before final CRLF",
            chunked!("0\r\n"),
            &[REQ, "error IncompleteMessage 400"],
        ),
        (
            // §7.1: the body ends exactly after the final CRLF; the next request
            // follows on the same connection.
            "chunked body then pipelined request",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nGET /n HTTP/1.1\r\nHost: a\r\n\r\n",
            &[REQ, "data \"x\"", "end", "keep-alive", "req GET /n 1.1 empty", "end", "keep-alive", "closed"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn chunk_extensions() {
    let rows: &[ServerRow] = &[
        (
            // §7.1.1: "chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS
            // chunk-ext-val ] )" — a name alone.
            "extension name only",
            chunked!("3;foo\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1.1: "chunk-ext-val = token / quoted-string" — token value.
            "extension with token value",
            chunked!("3;foo=bar\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1.1: quoted-string value with a space.
            "extension with quoted value",
            chunked!("3;foo=\"b r\"\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9110 §5.6.4: quoted-pair "\" inside a quoted-string.
            "extension with escaped quote",
            chunked!("3;foo=\"a\\\"b\"\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1.1: "*( ... )" — several extensions.
            "several extensions",
            chunked!("3;a=1;b;c=\"x\"\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1.1: BWS before ";" and around "=".
            "extension with BWS",
            chunked!("3 ; a = 1\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // §7.1.1: the last chunk may carry extensions too.
            "extension on the last chunk",
            chunked!("0;final=yes\r\n\r\n"),
            &[REQ, "end", "keep-alive", "closed"],
        ),
        (
            // §7.1.1: "chunk-ext-name = token" — it cannot be empty.
            "extension without name",
            chunked!("3;=x\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "error InvalidChunkExtension 400"],
        ),
        (
            // §7.1.1: a value must be a token or quoted-string; "@" is neither.
            "extension value not a token",
            chunked!("3;a=b@c\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "error InvalidChunkExtension 400"],
        ),
        (
            // RFC 9110 §5.6.4: a quoted-string must close before CRLF.
            "unterminated quoted value",
            chunked!("3;a=\"open\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "error InvalidChunkExtension 400"],
        ),
        (
            // §7.1.1: "=" needs a value.
            "extension with empty value",
            chunked!("3;a=\r\nabc\r\n0\r\n\r\n"),
            &[REQ, "error InvalidChunkExtension 400"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn trailer_section() {
    let rows: &[ServerRow] = &[
        (
            // §7.1.2: "trailer-section = *( field-line CRLF )" — delivered with the
            // end of the message.
            "one trailer field",
            chunked!("1\r\nx\r\n0\r\nX-Sum: 1\r\n\r\n"),
            &[REQ, "data \"x\"", "end [X-Sum: 1]", "keep-alive", "closed"],
        ),
        (
            // §7.1.2: several trailer fields, order and case kept.
            "two trailer fields",
            chunked!("0\r\nx-a: 1\r\nX-B:  two \r\n\r\n"),
            &[REQ, "end [x-a: 1; X-B: two]", "keep-alive", "closed"],
        ),
        (
            // §7.1.2 with §5: a field line needs a colon.
            "trailer without colon",
            chunked!("0\r\nbroken\r\n\r\n"),
            &[REQ, "error InvalidTrailer 400"],
        ),
        (
            // §5.1: "No whitespace is allowed between the field name and colon."
            "trailer with space before colon",
            chunked!("0\r\nX-A : 1\r\n\r\n"),
            &[REQ, "error InvalidTrailer 400"],
        ),
        (
            // §5.2: obs-fold is obsolete; in a trailer it is refused.
            "trailer with obs-fold",
            chunked!("0\r\nX-A: 1\r\n 2\r\n\r\n"),
            &[REQ, "error InvalidTrailer 400"],
        ),
        (
            // §8: end of input inside the trailer section is incomplete.
            "end of input inside trailers",
            chunked!("0\r\nX-A: 1\r\n"),
            &[REQ, "error IncompleteMessage 400"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn chunked_responses() {
    let rows: &[ClientRow] = &[
        (
            // §7.1: the same decoder serves responses.
            "chunked response with trailers",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n",
            &["resp 200 1.1 chunked", "data \"wikipedia\"", "end [Expires: never]", "keep-alive", "closed"],
        ),
        (
            // §7.1: a malformed size in a response is an error for the client.
            "bad chunk size in a response",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            &["resp 200 1.1 chunked", "error InvalidChunkSize -"],
        ),
        (
            // §7.1: two chunked responses back to back on one connection.
            "two chunked responses",
            &["GET", "GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n",
            &[
                "resp 200 1.1 chunked", "data \"a\"", "end", "keep-alive",
                "resp 200 1.1 chunked", "data \"b\"", "end", "keep-alive", "closed",
            ],
        ),
    ];
    run_client_rows(&Config::default(), rows);
}

#[test]
fn bare_lf_leniency_in_chunk_lines() {
    let mut config = Config::default();
    config.allow_bare_lf = true;
    let rows: &[ServerRow] = &[(
        // §2.2: "a recipient MAY recognize a single LF as a line terminator"
        // — opt-in via `allow_bare_lf`.
        "bare LF after size and data when allowed",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
        &[REQ, "data \"abc\"", "end", "keep-alive", "closed"],
    )];
    run_server_rows(&config, rows);
}

/// RFC 9112 §7.1.1: `chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "="
/// BWS chunk-ext-val ] )`: whitespace before `;` or `=`, never before CRLF.
#[test]
fn no_whitespace_before_the_crlf_of_a_chunk_size_line() {
    let head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (ext, ok) in [
        (&b"5;a=b \r\n"[..], false),
        (b"5;a=\"b\" \r\n", false),
        (b"5;a=\"b\"\r\n", true),
        (b"5;a=\"b\" ;c\r\n", true),
        (b"5 ;a=b;c = \"d\"\r\n", true),
    ] {
        let input = [&head[..], ext, b"hello\r\n0\r\n\r\n"].concat();
        let lines =
            testkit::assert_same_whole_and_bytewise(&server(), &Config::default(), &input).lines();
        assert_eq!(
            lines.iter().any(|l| l == "data \"hello\""),
            ok,
            "{}: {lines:?}",
            String::from_utf8_lossy(ext)
        );
    }
}

/// A chunked body that started arriving and was cut by EOF is an
/// incomplete message, even when the request expected 100-continue.
#[test]
fn started_chunked_body_cut_by_eof_is_incomplete() {
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n");
    conn.receive_eof();
    let lines = poll_lines(&mut conn);
    assert_eq!(lines.last().unwrap(), "error IncompleteMessage");
}
