//! `explain`: shows how keepalive frames a byte stream and whether the
//! connection persists after each exchange.
//!
//! ```text
//! cargo run --example explain                       # a sample conversation, in words
//! cargo run --example explain -- --role server < requests.bin
//! cargo run --example explain -- --jsonl --role server < requests.bin
//! cargo run --example explain -- --jsonl --role client --requests GET,HEAD < responses.bin
//! ```
//!
//! `--jsonl` prints trace format v1 (`shared/trace-format.md`), one JSON
//! object per line, for comparison with other implementations.
//!
//! `--idle-after SECS` lets SECS seconds of simulated time pass once the
//! input is consumed (before end of input) and shows which timers fire: an
//! idle connection closes, a half-received head gets 408. Timer lines
//! (`{"type":"timer",...}`) are an extension outside trace format v1.

use std::io::{Read, Write};

use bytes::{Buf, Bytes};
use keepalive::{
    BodyLength, Config, Connection, Event, Header, Headers, Lenience, Leniencies, Persist, Recv,
    RecvErrorKind, Request, Response, Role, SendBuf, SendError, SwitchKind, TimerKind, Version,
};

/// One line of the trace, independent of how it is printed.
enum Line {
    Request {
        method: String,
        target: String,
        version: Version,
        headers: Vec<(Bytes, Bytes)>,
        body: BodyLength,
        lenient: Leniencies,
    },
    Informational {
        status: u16,
        headers: Vec<(Bytes, Bytes)>,
    },
    Response {
        status: u16,
        version: Version,
        headers: Vec<(Bytes, Bytes)>,
        body: BodyLength,
        lenient: Leniencies,
    },
    Data(Bytes),
    /// Trailers, and the leniencies the body needed.
    End(Vec<(Bytes, Bytes)>, Leniencies),
    Cycle {
        verdict: Persist,
        unread: Bytes,
    },
    Switch {
        kind: SwitchKind,
        trailing: Bytes,
    },
    Error {
        status: Option<u16>,
        detail: String,
    },
    Eof {
        clean: bool,
        detail: Option<&'static str>,
    },
    Timer {
        kind: TimerKind,
        after: u64,
        verdict: Persist,
    },
    /// What this side sent (plain words only: not part of trace format v1).
    Sent(Bytes),
}

fn fields(h: &Headers) -> Vec<(Bytes, Bytes)> {
    h.iter()
        .map(|f| {
            (
                Bytes::copy_from_slice(f.name),
                Bytes::copy_from_slice(f.value),
            )
        })
        .collect()
}

/// Runs one connection over `input` and returns its trace. In role server
/// every request is answered `200 OK` with an empty body; in role client
/// the `requests` are pipelined (RFC 9112 §9.3.2): each goes out as soon
/// as the machine allows, which is at once unless a request before it
/// forbids pipelining (a non-idempotent method, CONNECT, an upgrade,
/// `Expect: 100-continue`), in which case it waits for that response.
fn run(
    role: Role,
    config: &Config,
    input: &[u8],
    requests: &[String],
    mut idle_after: Option<u64>,
) -> Vec<Line> {
    let mut config = config.clone();
    if role == Role::Client {
        // A recording is an ordinary pipeline: every request may be out
        // before its response is read.
        config.max_pipeline = u32::try_from(requests.len()).unwrap_or(u32::MAX).max(1);
    }
    let mut conn = Connection::new(role, config);
    let start = std::time::Instant::now();
    conn.handle_timeout(start);
    let mut out = SendBuf::new();
    let mut lines = Vec::new();
    let mut next_request = requests.iter().peekable();
    let mut connect = false;
    if role == Role::Client {
        // The tool's requests go out before any response arrives.
        send_requests(&mut conn, &mut next_request, &mut out, &mut lines);
    }
    // Role server: the client may pipeline, so all bytes arrive at once.
    // Role client: a server answers only what was asked, so each byte
    // arrives once the request it answers has gone out (fed one at a time
    // below, only while a response is awaited); bytes left over after the
    // last response are then exactly the unsolicited ones RFC 9112 §6.3
    // forbids treating as a response.
    let mut pending = input;
    if role == Role::Server {
        conn.receive(input);
        pending = &[];
    }
    loop {
        match conn.poll_event() {
            Ok(Recv::Event(ev)) => match ev {
                Event::Request(h) => {
                    connect = h.method() == "CONNECT";
                    lines.push(Line::Request {
                        method: h.method().into(),
                        target: h.target().into(),
                        version: h.version(),
                        headers: fields(h.headers()),
                        body: h.body_length(),
                        lenient: h.leniencies(),
                    })
                }
                Event::Informational(h) => lines.push(Line::Informational {
                    status: h.status(),
                    headers: fields(h.headers()),
                }),
                Event::Response(h) => lines.push(Line::Response {
                    status: h.status(),
                    version: h.version(),
                    headers: fields(h.headers()),
                    body: h.body_length(),
                    lenient: h.leniencies(),
                }),
                Event::Data(d) => match lines.last_mut() {
                    // Fed a byte at a time, a body arrives in pieces: one line.
                    Some(Line::Data(prev)) => *prev = [&prev[..], &d[..]].concat().into(),
                    _ => lines.push(Line::Data(d)),
                },
                Event::End(t) => lines.push(Line::End(fields(&t), conn.body_leniencies())),
                Event::Cycle(verdict) => {
                    let unread = if verdict.is_keep_alive() {
                        Bytes::new()
                    } else {
                        Bytes::copy_from_slice(conn.unread())
                    };
                    lines.push(Line::Cycle { verdict, unread });
                    if !verdict.is_keep_alive() {
                        return lines;
                    }
                    // Role client sends the requests that waited for this
                    // response.
                    if role == Role::Client {
                        send_requests(&mut conn, &mut next_request, &mut out, &mut lines);
                    }
                }
                Event::Switched { kind, leftover } => {
                    // Bytes not yet fed belong to the new protocol too.
                    let trailing = [&leftover[..], pending].concat().into();
                    lines.push(Line::Switch { kind, trailing });
                    return lines;
                }
                Event::Closed => {
                    lines.push(Line::Eof {
                        clean: true,
                        detail: None,
                    });
                    return lines;
                }
            },
            Ok(Recv::Paused) => match role {
                Role::Server => {
                    // CONNECT is answered with a bare 200 (it switches);
                    // anything else with an empty 200.
                    let cl = [Header::new("Content-Length", "0")];
                    let headers: &[Header<'_>] = if connect { &[] } else { &cl };
                    conn.send_response(&Response::new(200, headers), &mut out)
                        .expect("response");
                    if !connect {
                        conn.send_end(&[], &mut out).expect("end");
                    }
                }
                Role::Client => match next_request.peek() {
                    Some(_) => send_requests(&mut conn, &mut next_request, &mut out, &mut lines),
                    // Nothing left to ask: any further byte is unsolicited.
                    None if !pending.is_empty() => {
                        conn.receive(pending);
                        pending = &[];
                    }
                    None => conn.receive_eof(),
                },
            },
            Ok(Recv::NeedData) if !pending.is_empty() => {
                conn.receive(&pending[..1]);
                pending = &pending[1..];
            }
            Ok(Recv::NeedData) if !conn.eof_received() => match idle_after.take() {
                Some(secs) => {
                    for kind in conn
                        .handle_timeout(start + std::time::Duration::from_secs(secs))
                        .iter()
                    {
                        lines.push(Line::Timer {
                            kind,
                            after: secs,
                            verdict: conn.persist(),
                        });
                    }
                }
                None => conn.receive_eof(),
            },
            Ok(Recv::NeedData | Recv::Finished) => return lines,
            Err(e) if e.kind() == RecvErrorKind::IncompleteMessage => {
                lines.push(Line::Eof {
                    clean: false,
                    detail: Some("end of input inside a message"),
                });
                return lines;
            }
            Err(e) => {
                lines.push(Line::Error {
                    status: e.status(),
                    detail: e.to_string(),
                });
                return lines;
            }
        }
        if out.has_remaining() {
            lines.push(Line::Sent(out.copy_to_bytes(out.remaining())));
        }
    }
}

/// Sends the next requests while the machine lets them be pipelined, a
/// `sent` line each.
fn send_requests<'a>(
    conn: &mut Connection,
    next: &mut std::iter::Peekable<impl Iterator<Item = &'a String>>,
    out: &mut SendBuf,
    lines: &mut Vec<Line>,
) {
    while let Some(m) = next.peek() {
        match send_request(conn, m, out) {
            Ok(()) => {
                next.next();
                lines.push(Line::Sent(out.copy_to_bytes(out.remaining())));
            }
            // It waits for the responses before it.
            Err(SendError::Pipeline(_)) => return,
            Err(e) => panic!("request: {e}"),
        }
    }
}

fn send_request(conn: &mut Connection, method: &str, out: &mut SendBuf) -> Result<(), SendError> {
    let target = if method == "CONNECT" {
        "example:443"
    } else {
        "/"
    };
    let host = [Header::new("Host", "example")];
    conn.send_request(&Request::new(method, target, &host), out)?;
    conn.send_end(&[], out)
}

// ---------------------------------------------------------------------
// JSON Lines (trace format v1)

fn json_str(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            // Bytes map 1:1 to Latin-1 code points.
            _ => out.push_str(&format!("\\u{:04x}", b)),
        }
    }
    out.push('"');
}

fn json_fields(out: &mut String, fields: &[(Bytes, Bytes)]) {
    out.push('[');
    for (i, (n, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        json_str(out, n);
        out.push(',');
        json_str(out, v);
        out.push(']');
    }
    out.push(']');
}

fn version_str(v: Version) -> &'static str {
    match v {
        Version::Http10 => "1.0",
        Version::Http11 => "1.1",
    }
}

fn to_json(line: &Line) -> Option<String> {
    let mut s = String::from("{\"type\":");
    match line {
        Line::Request {
            method,
            target,
            version,
            headers,
            ..
        } => {
            s.push_str("\"request\",\"method\":");
            json_str(&mut s, method.as_bytes());
            s.push_str(",\"target\":");
            json_str(&mut s, target.as_bytes());
            s.push_str(&format!(
                ",\"version\":\"{}\",\"headers\":",
                version_str(*version)
            ));
            json_fields(&mut s, headers);
        }
        Line::Informational { status, headers } => {
            s.push_str(&format!(
                "\"informational\",\"status\":{status},\"headers\":"
            ));
            json_fields(&mut s, headers);
        }
        Line::Response {
            status,
            version,
            headers,
            ..
        } => {
            s.push_str(&format!(
                "\"response\",\"status\":{status},\"version\":\"{}\",\"headers\":",
                version_str(*version)
            ));
            json_fields(&mut s, headers);
        }
        Line::Data(d) => {
            s.push_str("\"data\",\"data\":");
            json_str(&mut s, d);
        }
        Line::End(t, _) => {
            s.push_str("\"end\",\"trailers\":");
            json_fields(&mut s, t);
        }
        Line::Cycle { verdict, unread } => {
            s.push_str(&format!(
                "\"cycle\",\"keep_alive\":{}",
                verdict.is_keep_alive()
            ));
            if let Persist::Close(reason) = verdict {
                s.push_str(",\"reason\":");
                json_str(&mut s, reason.to_string().as_bytes());
            }
            if !unread.is_empty() {
                s.push_str(",\"unread\":");
                json_str(&mut s, unread);
            }
        }
        Line::Switch { kind, trailing } => {
            let kind = match kind {
                SwitchKind::Upgrade => "upgrade",
                SwitchKind::Connect => "connect",
            };
            s.push_str(&format!("\"switch\",\"kind\":\"{kind}\",\"trailing\":"));
            json_str(&mut s, trailing);
        }
        Line::Error { status, detail } => {
            match status {
                Some(st) => s.push_str(&format!("\"error\",\"status\":{st},\"detail\":")),
                None => s.push_str("\"error\",\"status\":null,\"detail\":"),
            }
            json_str(&mut s, detail.as_bytes());
        }
        Line::Sent(_) => return None,
        Line::Timer {
            kind,
            after,
            verdict,
        } => {
            s.push_str(&format!(
                "\"timer\",\"kind\":\"{}\",\"after\":{after},\"keep_alive\":{}",
                timer_name(*kind),
                verdict.is_keep_alive()
            ));
            if let Persist::Close(reason) = verdict {
                s.push_str(",\"reason\":");
                json_str(&mut s, reason.to_string().as_bytes());
            }
        }
        Line::Eof { clean, detail } => {
            s.push_str(&format!("\"eof\",\"clean\":{clean}"));
            if let Some(d) = detail {
                s.push_str(",\"detail\":");
                json_str(&mut s, d.as_bytes());
            }
        }
    }
    let lenient = lenient_names(line);
    if !lenient.is_empty() {
        // Trace v1 readers ignore fields they do not know.
        s.push_str(",\"lenient\":");
        json_str(&mut s, lenient.as_bytes());
    }
    s.push('}');
    Some(s)
}

/// The leniencies a line needed, by name, comma-separated (empty: none).
fn lenient_names(line: &Line) -> String {
    let set = match line {
        Line::Request { lenient, .. } | Line::Response { lenient, .. } | Line::End(_, lenient) => {
            *lenient
        }
        _ => Leniencies::NONE,
    };
    set.iter().map(Lenience::name).collect::<Vec<_>>().join(",")
}

/// Switches on the `Config` leniency `l`.
fn allow(config: &mut Config, l: Lenience) {
    match l {
        Lenience::SpaceBeforeColon => config.allow_space_before_colon_in_responses = true,
        Lenience::InvalidFieldSkipped => config.skip_invalid_fields_in_responses = true,
        Lenience::MultipleSpaces => config.allow_multiple_spaces_in_request_line = true,
        Lenience::SpacesAfterChunkSize => config.allow_spaces_after_chunk_size = true,
        Lenience::LfAfterChunkData => config.allow_lf_after_chunk_data = true,
        Lenience::BareLf => config.allow_bare_lf = true,
        Lenience::ObsFold => config.allow_obs_fold_in_requests = true,
        _ => usage(),
    }
}

fn timer_name(kind: TimerKind) -> &'static str {
    match kind {
        TimerKind::Idle => "idle",
        TimerKind::HeadRead => "head_read",
        TimerKind::BodyProgress => "body_progress",
        TimerKind::ExpectContinue => "expect_continue",
        TimerKind::Linger => "linger",
    }
}

// ---------------------------------------------------------------------
// Plain words

fn latin1(b: &[u8]) -> String {
    b.iter()
        .map(|&c| c as char)
        .collect::<String>()
        .escape_debug()
        .to_string()
}

fn framing_words(body: BodyLength) -> String {
    match body {
        BodyLength::Empty => "no body".into(),
        BodyLength::Fixed(n) => format!("a body of exactly {n} bytes (Content-Length)"),
        BodyLength::Chunked => "a chunked body (Transfer-Encoding: chunked)".into(),
        BodyLength::UntilClose => "a body that ends when the connection closes".into(),
    }
}

/// The plain-words line, saying which leniency it needed, if any.
fn words(line: &Line) -> String {
    let mut text = to_words(line);
    let lenient = lenient_names(line);
    if !lenient.is_empty() {
        text.push_str(&format!(
            "\n          (accepted only because of --lenient {lenient})"
        ));
    }
    text
}

fn to_words(line: &Line) -> String {
    match line {
        Line::Request { method, target, version, headers, body, .. } => {
            let mut s = format!("request   {method} {target} {version}, {} field(s); framing: {}", headers.len(), framing_words(*body));
            for (n, v) in headers {
                s.push_str(&format!("\n            {}: {}", latin1(n), latin1(v)));
            }
            s
        }
        Line::Informational { status, .. } => format!("interim   {status} (more responses follow)"),
        Line::Response { status, version, headers, body, .. } => {
            let mut s = format!("response  {version} {status}, {} field(s); framing: {}", headers.len(), framing_words(*body));
            for (n, v) in headers {
                s.push_str(&format!("\n            {}: {}", latin1(n), latin1(v)));
            }
            s
        }
        Line::Data(d) => format!("data      {} bytes: \"{}\"", d.len(), latin1(d)),
        Line::End(t, _) if t.is_empty() => "end       of message".into(),
        Line::End(t, _) => format!("end       of message, trailers: {}", t.iter().map(|(n, v)| format!("{}: {}", latin1(n), latin1(v))).collect::<Vec<_>>().join(", ")),
        Line::Cycle { verdict: Persist::KeepAlive, .. } => "verdict   KEEP ALIVE: the connection carries the next exchange\n".into(),
        Line::Cycle { verdict: Persist::Close(r), unread } => {
            let mut s = format!("verdict   CLOSE: {r}");
            if !unread.is_empty() {
                s.push_str(&format!("\n          {} received byte(s) will never be read: \"{}\"", unread.len(), latin1(unread)));
            }
            s.push('\n');
            s
        }
        Line::Switch { kind, trailing } => format!("switch    {kind:?}: the connection leaves HTTP/1.1; {} byte(s) already received belong to the new protocol\n", trailing.len()),
        Line::Error { status: Some(st), detail } => format!("error     {detail}: the server answers {st} and closes\n"),
        Line::Error { status: None, detail } => format!("error     {detail}: the client closes the connection\n"),
        Line::Timer { kind, after, verdict } => format!(
            "timer     after {after} s the {} timer fired; the connection {}",
            timer_name(*kind),
            match verdict {
                Persist::KeepAlive => "stays open".to_string(),
                Persist::Close(r) => format!("closes: {r}"),
            }
        ),
        Line::Sent(bytes) => {
            let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").map_or(bytes.len(), |i| i + 2);
            let mut s = String::from("sent");
            for line in bytes[..head_end].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                s.push_str(&format!("\n          > {}", latin1(line)));
            }
            if head_end + 2 < bytes.len() {
                s.push_str(&format!("\n          > ({} more byte(s) of body framing)", bytes.len() - head_end - 2));
            }
            s
        }
        Line::Eof { clean: true, .. } => "eof       the peer closed between messages (clean)\n".into(),
        Line::Eof { clean: false, .. } => "eof       the peer closed in the middle of a message (incomplete)\n".into(),
    }
}

/// The sample conversation shown with no arguments.
const SAMPLES: &[(&str, Role, &[&str], &[u8])] = &[
    (
        "Two pipelined keep-alive requests, a chunked upload with a trailer, then Connection: close",
        Role::Server,
        &[],
        b"GET /a HTTP/1.1\r\nHost: example\r\n\r\nGET /b HTTP/1.1\r\nHost: example\r\n\r\n\
POST /upload HTTP/1.1\r\nHost: example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n\
GET /bye HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\nGET /never-read HTTP/1.1\r\nHost: example\r\n\r\n",
    ),
    (
        "HTTP/1.0 with Connection: keep-alive, then HTTP/1.0 without it",
        Role::Server,
        &[],
        b"GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /two HTTP/1.0\r\n\r\nGET /three HTTP/1.0\r\n\r\n",
    ),
    (
        "A client's view: a HEAD response (no body despite Content-Length), then a body read until close",
        Role::Client,
        &["HEAD", "GET"],
        b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthis body ends when the server closes",
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut jsonl = false;
    let mut role = None;
    let mut requests = Vec::new();
    let mut idle_after = None;
    let mut config = Config::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--jsonl" => jsonl = true,
            "--role" => {
                role = match it.next().map(String::as_str) {
                    Some("server") => Some(Role::Server),
                    Some("client") => Some(Role::Client),
                    _ => usage(),
                }
            }
            "--idle-after" => {
                idle_after = Some(
                    it.next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or_else(|| usage()),
                )
            }
            "--lenient" => {
                let name = it.next().map(String::as_str).unwrap_or_else(|| usage());
                allow(
                    &mut config,
                    Lenience::from_name(name).unwrap_or_else(|| usage()),
                );
            }
            "--requests" => {
                requests = it
                    .next()
                    .map(|s| s.split(',').map(str::to_owned).collect())
                    .unwrap_or_else(|| usage())
            }
            _ => usage(),
        }
    }
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let Some(role) = role else {
        if jsonl {
            usage();
        }
        for (title, role, reqs, input) in SAMPLES {
            let reqs: Vec<String> = reqs.iter().map(|s| s.to_string()).collect();
            writeln!(w, "=== {title} ({role} side)\n").unwrap();
            for line in run(*role, &config, input, &reqs, None) {
                writeln!(w, "{}", words(&line)).unwrap();
            }
        }
        return;
    };
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .expect("read stdin");
    for line in run(role, &config, &input, &requests, idle_after) {
        let text = if jsonl {
            match to_json(&line) {
                Some(text) => text,
                None => continue,
            }
        } else {
            words(&line)
        };
        writeln!(w, "{text}").unwrap();
    }
}

fn usage() -> ! {
    let names: Vec<&str> = Lenience::ALL.into_iter().map(Lenience::name).collect();
    eprintln!("usage: explain [--jsonl] [--role server|client [--requests GET,HEAD,...]] [--idle-after SECS] [--lenient NAME]... < input\n  NAME: {}", names.join(", "));
    std::process::exit(2)
}
