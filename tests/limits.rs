//! Every `Config` limit at, just under and just over its value, with the
//! status it answers (RFC 6585 §5: 431; RFC 9110 §15.5.15: 414, §15.5.14:
//! 413). Each row is fed whole, one byte at a time, and in pieces of 2 to 7
//! bytes, and every split must give identical events: a limit depends on
//! positions in the stream, never on how the bytes arrived.

use keepalive::Config;
use testkit::{esc, feed_split, server, Script};

struct Row {
    name: String,
    input: Vec<u8>,
    expect: Vec<String>,
}

fn row(name: impl Into<String>, input: Vec<u8>, expect: &[&str]) -> Row {
    Row {
        name: name.into(),
        input,
        expect: expect.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn check(script: &Script, config: &Config, rows: &[Row]) {
    let mut failures = Vec::new();
    for r in rows {
        let whole = feed_split(script, config, &r.input, r.input.len().max(1));
        for step in 1..=7 {
            let split = feed_split(script, config, &r.input, step);
            if split != whole {
                failures.push(format!(
                    "{}: pieces of {step} differ from whole\n  whole: {:?}\n  split: {:?}",
                    r.name,
                    whole.lines(),
                    split.lines()
                ));
            }
        }
        if whole.lines() != r.expect {
            failures.push(format!(
                "{}: input \"{}\"\n  expect {:?}\n  got    {:?}",
                r.name,
                esc(&r.input),
                r.expect,
                whole.lines()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const OK_GET: &[&str] = &["req GET / 1.1 empty", "end", "keep-alive", "closed"];

/// A GET head of exactly `len` bytes (padding goes into an `X-Pad` field).
fn head_of_len(len: usize) -> Vec<u8> {
    let base = b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n".len();
    let pad = "p".repeat(len - base);
    format!("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: {pad}\r\n\r\n").into_bytes()
}

#[test]
fn max_head_len() {
    let mut config = Config::default();
    config.max_head_len = 200;
    let rows = [
        // RFC 6585 §5: "The 431 status code indicates that the server is
        // unwilling to process the request because its header fields are
        // too large."
        row("head one under the limit", head_of_len(199), OK_GET),
        row("head at the limit", head_of_len(200), OK_GET),
        row(
            "head one over the limit",
            head_of_len(201),
            &["error HeadTooLarge 431"],
        ),
        row(
            "head far over the limit, never finished",
            format!("GET / HTTP/1.1\r\nX: {}", "x".repeat(500)).into_bytes(),
            &["error HeadTooLarge 431"],
        ),
        // RFC 9112 §2.2: leading empty lines are skipped, not part of the head.
        row(
            "leading CRLFs do not count",
            [b"\r\n\r\n".to_vec(), head_of_len(200)].concat(),
            OK_GET,
        ),
    ];
    check(&server(), &config, &rows);
}

/// A GET with `Host` plus `extra` more fields.
fn with_fields(extra: usize) -> Vec<u8> {
    let mut s = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
    for i in 0..extra {
        s.push_str(&format!("X-{i}: v\r\n"));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

#[test]
fn max_headers() {
    let mut config = Config::default();
    config.max_headers = 10;
    let rows = [
        // RFC 6585 §5 (431) for too many fields; Host counts as one.
        row("one field under the limit", with_fields(8), OK_GET),
        row("fields at the limit", with_fields(9), OK_GET),
        row(
            "one field over the limit",
            with_fields(10),
            &["error TooManyHeaders 431"],
        ),
    ];
    check(&server(), &config, &rows);
    // Above the stack-array size the heap path must count the same way.
    let mut config = Config::default();
    config.max_headers = 150;
    let rows = [
        row("150 fields at a large limit", with_fields(149), OK_GET),
        row(
            "151 fields over a large limit",
            with_fields(150),
            &["error TooManyHeaders 431"],
        ),
    ];
    check(&server(), &config, &rows);
}

fn target_of_len(len: usize) -> Vec<u8> {
    format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "t".repeat(len - 1)).into_bytes()
}

#[test]
fn max_target_len() {
    let mut config = Config::default();
    config.max_target_len = 100;
    let t = |n: usize| format!("req GET /{} 1.1 empty", "t".repeat(n - 1));
    let (t99, t100) = (t(99), t(100));
    let rows = [
        // RFC 9110 §15.5.15: "The 414 (URI Too Long) status code indicates that
        // the server is refusing to service the request because the target URI
        // is longer than the server is willing to interpret."
        row(
            "target one under the limit",
            target_of_len(99),
            &[&t99, "end", "keep-alive", "closed"],
        ),
        row(
            "target at the limit",
            target_of_len(100),
            &[&t100, "end", "keep-alive", "closed"],
        ),
        row(
            "target one over the limit",
            target_of_len(101),
            &["error TargetTooLong 414"],
        ),
        row(
            "target far over the limit, line never finished",
            format!("GET /{}", "t".repeat(1000)).into_bytes(),
            &["error TargetTooLong 414"],
        ),
    ];
    check(&server(), &config, &rows);
}

fn chunk_ext_of_len(len: usize) -> Vec<u8> {
    // ext_len counts from ";" to the end of the line.
    let ext = format!(";{}", "e".repeat(len - 1));
    format!("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1{ext}\r\nx\r\n0{ext}\r\n\r\n")
        .into_bytes()
}

#[test]
fn max_chunk_ext_len() {
    let mut config = Config::default();
    config.max_chunk_ext_len = 32;
    let ok: &[&str] = &[
        "req POST / 1.1 chunked",
        "data \"x\"",
        "end",
        "keep-alive",
        "closed",
    ];
    let rows = [
        // RFC 9112 §7.1.1: "A recipient ... SHOULD ... limit ... the
        // length of chunk extensions" (a server ought to limit them).
        row("extension one under the limit", chunk_ext_of_len(31), ok),
        row("extension at the limit", chunk_ext_of_len(32), ok),
        row(
            "extension one over the limit",
            chunk_ext_of_len(33),
            &["req POST / 1.1 chunked", "error ChunkExtensionTooLong 400"],
        ),
    ];
    check(&server(), &config, &rows);
}

fn trailers_of_len(len: usize) -> Vec<u8> {
    // The trailer section: "X-T: <pad>\r\n\r\n".
    let pad = "v".repeat(len - b"X-T: \r\n\r\n".len());
    format!(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: {pad}\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn max_trailers_len() {
    let mut config = Config::default();
    config.max_trailers_len = 64;
    let end = |n: usize| format!("end [X-T: {}]", "v".repeat(n - 9));
    let (e63, e64) = (end(63), end(64));
    let rows = [
        // RFC 9112 §7.1.2 with RFC 6585 §5: trailers are bounded like a head.
        row(
            "trailers one under the limit",
            trailers_of_len(63),
            &["req POST / 1.1 chunked", &e63, "keep-alive", "closed"],
        ),
        row(
            "trailers at the limit",
            trailers_of_len(64),
            &["req POST / 1.1 chunked", &e64, "keep-alive", "closed"],
        ),
        row(
            "trailers one over the limit",
            trailers_of_len(65),
            &["req POST / 1.1 chunked", "error TrailersTooLarge 431"],
        ),
    ];
    check(&server(), &config, &rows);
}

#[test]
fn max_body_len() {
    let mut config = Config::default();
    config.max_body_len = Some(10);
    let fixed = |n: usize| {
        format!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {n}\r\n\r\n{}",
            "b".repeat(n)
        )
        .into_bytes()
    };
    let chunked = |sizes: &[usize]| {
        let mut s =
            String::from("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        for n in sizes {
            s.push_str(&format!("{n:x}\r\n{}\r\n", "c".repeat(*n)));
        }
        s.push_str("0\r\n\r\n");
        s.into_bytes()
    };
    let rows = [
        // RFC 9110 §15.5.14: "The 413 (Content Too Large) status code indicates
        // that the server is refusing to process a request because the request
        // content is larger than the server is willing or able to process."
        row(
            "fixed body one under the limit",
            fixed(9),
            &[
                "req POST / 1.1 fixed(9)",
                "data \"bbbbbbbbb\"",
                "end",
                "keep-alive",
                "closed",
            ],
        ),
        row(
            "fixed body at the limit",
            fixed(10),
            &[
                "req POST / 1.1 fixed(10)",
                "data \"bbbbbbbbbb\"",
                "end",
                "keep-alive",
                "closed",
            ],
        ),
        row(
            "fixed body one over the limit",
            fixed(11),
            &["req POST / 1.1 fixed(11)", "error BodyTooLarge 413"],
        ),
        row(
            "chunked body at the limit",
            chunked(&[4, 6]),
            &[
                "req POST / 1.1 chunked",
                "data \"cccccccccc\"",
                "end",
                "keep-alive",
                "closed",
            ],
        ),
        row(
            "chunked body one over the limit",
            chunked(&[4, 7]),
            &[
                "req POST / 1.1 chunked",
                "data \"cccc\"",
                "error BodyTooLarge 413",
            ],
        ),
    ];
    check(&server(), &config, &rows);
}

/// A chunked request of `chunks` one-byte chunks, each with `ext` bytes of
/// chunk extension.
fn chunked_with_ext(chunks: usize, ext: usize) -> String {
    let ext = format!(";{}", "e".repeat(ext - 1));
    let mut s = String::from("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    for _ in 0..chunks {
        s.push_str(&format!("1{ext}\r\nx\r\n"));
    }
    s + "0\r\n\r\n"
}

#[test]
fn max_chunk_ext_total() {
    let mut config = Config::default();
    config.max_chunk_ext_total = 64;
    let ok = |chunks: usize| -> Vec<String> {
        let mut v = vec!["req POST / 1.1 chunked".to_owned()];
        v.push(format!("data \"{}\"", "x".repeat(chunks)));
        v.extend(["end", "keep-alive", "closed"].map(String::from));
        v
    };
    let at_limit = ok(4);
    let at_limit: Vec<&str> = at_limit.iter().map(String::as_str).collect();
    let rows = [
        // RFC 9112 §7.1.1: a server "ought to limit the total length of
        // chunk extensions received in a request": 4 × 16 bytes fit in 64.
        row(
            "extensions at the limit",
            chunked_with_ext(4, 16).into_bytes(),
            &at_limit,
        ),
        // One more byte of extension anywhere in the body is refused, though
        // every line is far below `max_chunk_ext_len`.
        row(
            "extensions one over the limit",
            chunked_with_ext(4, 16)
                .replacen(";e", ";ee", 1)
                .into_bytes(),
            &[
                "req POST / 1.1 chunked",
                "data \"xxx\"",
                "error ChunkExtensionsTooLong 400",
            ],
        ),
        row(
            "many small extensions",
            chunked_with_ext(1000, 16).into_bytes(),
            &[
                "req POST / 1.1 chunked",
                "data \"xxxx\"",
                "error ChunkExtensionsTooLong 400",
            ],
        ),
    ];
    check(&server(), &config, &rows);
    // The budget is per body: two requests at the limit on one connection.
    let one = [
        "req POST / 1.1 chunked",
        "data \"xxxx\"",
        "end",
        "keep-alive",
    ];
    let two: Vec<&str> = one.iter().chain(&one).copied().chain(["closed"]).collect();
    let rows = [row(
        "two bodies each at the limit",
        chunked_with_ext(4, 16).repeat(2).into_bytes(),
        &two,
    )];
    check(&server(), &config, &rows);
}
