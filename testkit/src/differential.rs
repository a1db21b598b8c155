//! A differential check of keepalive's hand-written head parser against
//! httparse, the parser it replaced, used as an independent oracle for the
//! syntax of request heads, response heads and trailer sections
//! (`httparse::parse_headers`).
//!
//! keepalive is deliberately stricter than httparse, so the property is
//! asymmetric. For the bytes of one head, fed to a fresh connection:
//!
//! 1. **keepalive accepts ⇒ httparse accepts, and they agree**: on the
//!    length of the head (where the body starts: the smuggling question),
//!    the method, target and version, or the version, status and reason,
//!    and on the exact sequence of (name, value) field pairs.
//! 2. **httparse rejects ⇒ keepalive rejects**, but for one documented
//!    wait: a version with a major other than 1 is read to its end
//!    ([`other_major_pending`]), at most three bytes past httparse.
//! 3. **keepalive rejects while httparse accepts (or wants more bytes) ⇒ the
//!    rejection is one of the stricter rules in [`stricter_rule`]**, each
//!    checked against the bytes, never taken on trust from the kind alone.
//! 4. **keepalive waits for more bytes ⇒ httparse does not accept** (a head
//!    end httparse sees and keepalive misses would desynchronize a proxy).
//! 5. **The outcome does not depend on how the bytes are split**: whole,
//!    one byte at a time, and at the given split points give the same
//!    [`Outcome`].
//! 6. **The lookups framing uses agree with the lines**: `get_all` on every
//!    name the parser indexes returns the values iteration shows.
//!
//! Documented transformations applied before comparing:
//!
//! - **OWS trimming**: both sides' values are compared without leading and
//!   trailing SP/HTAB (RFC 9110 §5.5: "excluded from the field value").
//! - **obs-fold in responses** (RFC 9112 §5.2: a user agent "MUST replace
//!   each received obs-fold with one or more SP octets"): httparse is asked
//!   with `allow_obsolete_multiline_headers_in_responses`, and the CR and LF
//!   it leaves inside a folded value are read as SP, as keepalive writes
//!   them.
//! - **`HTTP/1.x` with x ≥ 2** (RFC 9110 §2.5: such a message "SHOULD" be
//!   processed as the highest minor version the recipient implements):
//!   keepalive reads it as HTTP/1.1; httparse knows only 1.0 and 1.1, so it
//!   is shown `HTTP/1.1` in its place (same length, offsets unchanged).
//! - **Leniencies**: a keepalive [`Config`] leniency with an httparse
//!   counterpart turns that counterpart on ([`oracle_config`]); the others
//!   ([`Config::allow_obs_fold_in_requests`], and bare LF, which httparse
//!   always accepts) have none and are simply not mapped.
//!
//! That the parser's work stays linear when bytes trickle in is proved
//! inside the crate, where the scanner's position is visible
//! (`parse::tests::any_trickled_head_is_read_in_linear_work`: for any bytes
//! and leniencies, each call resumes at most one byte before the end of
//! what it was given, so no byte is read more than twice).

use keepalive::{
    Config, Connection, Event, Header, Recv, RecvErrorKind, Request, Role, SendBuf, Version,
};

mod rules;
pub use rules::{other_major_pending, stricter_rule};

/// Which head is parsed: a request (by a server) or a response to
/// `GET / HTTP/1.1` (by a client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A request head, fed to a server connection.
    Request,
    /// A response head, fed to a client connection that sent a GET.
    Response,
    /// A trailer section (RFC 9112 §7.1.2), fed to a server after the
    /// last chunk of a chunked request; httparse's `parse_headers` is the
    /// oracle.
    Trailers,
}

/// The names keepalive indexes while parsing, plus one it does not.
const INDEXED: [&str; 8] = [
    "host",
    "Content-Length",
    "transfer-encoding",
    "CONNECTION",
    "expect",
    "upgrade",
    "keep-alive",
    "x-a",
];

/// What a server reads before the trailer section of [`Side::Trailers`].
const TRAILERS_AFTER: &[u8] =
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";

/// The start line of a head as either parser read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// `method SP target SP HTTP/1.minor`.
    Request {
        /// The method.
        method: Vec<u8>,
        /// The request-target.
        target: Vec<u8>,
        /// The minor version (0 or 1).
        minor: u8,
    },
    /// `HTTP/1.minor SP status SP reason`.
    Response {
        /// The minor version (0 or 1).
        minor: u8,
        /// The status code.
        status: u16,
        /// The reason phrase; `None` when empty or holding obs-text, which
        /// httparse hides behind an empty string.
        reason: Option<Vec<u8>>,
    },
    /// A trailer section has no start line.
    Trailers,
}

/// A complete head, normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Bytes the head took, leading empty lines included.
    pub len: usize,
    /// The start line.
    pub start: Start,
    /// The fields in order, values without leading or trailing OWS.
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// What keepalive made of the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A complete head.
    Head(Head),
    /// The bytes were refused.
    Rejected(RecvErrorKind),
    /// Valid so far; more bytes are needed.
    Incomplete,
}

/// What httparse made of the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oracle {
    /// A complete head.
    Head(Head),
    /// Refused.
    Error(httparse::Error),
    /// Valid so far.
    Partial,
}

/// How the two parsers related on one input (for counting what a run
/// covered: a generator that only ever produces one kind proves little).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    /// Both accepted the same head.
    BothAccepted,
    /// Both refused.
    BothRejected,
    /// Both want more bytes.
    BothIncomplete,
    /// keepalive refused by the named stricter rule.
    Stricter(&'static str),
    /// httparse refused a version with a major other than 1 that keepalive
    /// reads to its end (see [`other_major_pending`]).
    VersionPending,
}

/// Feeds `bytes` to a fresh connection in the pieces `cuts` makes (sorted
/// offsets into `bytes`) and returns what it made of the first head.
pub fn keepalive(side: Side, config: &Config, bytes: &[u8], cuts: &[usize]) -> Outcome {
    let mut conn = match side {
        Side::Request => Connection::new(Role::Server, config.clone()),
        Side::Trailers => {
            let mut c = Connection::new(Role::Server, config.clone());
            c.receive(TRAILERS_AFTER);
            assert!(matches!(c.poll_event(), Ok(Recv::Event(Event::Request(_)))));
            assert!(matches!(c.poll_event(), Ok(Recv::NeedData)));
            assert!(c.unread().is_empty());
            c
        }
        Side::Response => {
            let mut c = Connection::new(Role::Client, config.clone());
            let mut out = SendBuf::default();
            let host = [Header::new("Host", "example")];
            c.send_request(&Request::new("GET", "/", &host), &mut out)
                .expect("a fresh client sends a request");
            c.send_end(&[], &mut out).expect("and ends it");
            c
        }
    };
    let mut fed = 0;
    let ends = cuts.iter().copied().chain([bytes.len()]);
    for end in ends {
        let end = end.clamp(fed, bytes.len());
        conn.receive(&bytes[fed..end]);
        fed = end;
        match conn.poll_event() {
            Ok(Recv::NeedData) => {}
            Err(e) => return Outcome::Rejected(e.kind()),
            Ok(Recv::Event(ev)) => {
                let len = fed - conn.unread().len();
                return Outcome::Head(head_of(ev, len));
            }
            Ok(other) => panic!("unexpected {other:?} while reading a head"),
        }
    }
    Outcome::Incomplete
}

fn minor(v: Version) -> u8 {
    match v {
        Version::Http10 => 0,
        _ => 1,
    }
}

fn head_of(ev: Event, len: usize) -> Head {
    let (start, headers) = match &ev {
        Event::Request(h) => (
            Start::Request {
                method: h.method().as_bytes().to_vec(),
                target: h.target().as_bytes().to_vec(),
                minor: minor(h.version()),
            },
            h.headers(),
        ),
        Event::Response(h) | Event::Informational(h) => (
            Start::Response {
                minor: minor(h.version()),
                status: h.status(),
                // As httparse shows it: hidden when empty or holding obs-text.
                reason: Some(h.reason().to_vec())
                    .filter(|r| !r.is_empty() && r.iter().all(|&b| b < 0x80)),
            },
            h.headers(),
        ),
        Event::End(t) => (Start::Trailers, t),
        other => panic!("unexpected event {other:?} while reading a head"),
    };
    let fields: Vec<(Vec<u8>, Vec<u8>)> = headers
        .iter()
        .map(|f| (f.name.to_vec(), trim(f.value).to_vec()))
        .collect();
    // The lookups framing and persistence use are answered from the
    // parser's index, not from the lines: they must see the same values
    // the lines hold, or this hop would frame the message by fields
    // another hop does not see.
    for name in INDEXED {
        let looked_up: Vec<&[u8]> = headers.get_all(name).collect();
        let on_lines: Vec<&[u8]> = fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &v[..])
            .collect();
        assert_eq!(
            looked_up, on_lines,
            "get_all({name:?}) disagrees with the lines"
        );
    }
    Head { len, start, fields }
}

/// The httparse configuration matching `config`'s leniencies.
pub fn oracle_config(config: &Config) -> httparse::ParserConfig {
    let mut p = httparse::ParserConfig::default();
    p.allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(config.allow_space_before_colon_in_responses)
        .ignore_invalid_headers_in_responses(config.skip_invalid_fields_in_responses)
        .allow_multiple_spaces_in_request_line_delimiters(
            config.allow_multiple_spaces_in_request_line,
        );
    p
}

/// What httparse makes of `bytes` (after the documented transformations).
pub fn oracle(side: Side, config: &Config, bytes: &[u8]) -> Oracle {
    let shown = show_as_http11(side, bytes);
    let p = oracle_config(config);
    let mut slots = [httparse::EMPTY_HEADER; 256];
    let (res, start, headers): (_, Start, &[httparse::Header<'_>]);
    match side {
        Side::Request => {
            let mut r = httparse::Request::new(&mut slots);
            res = p.parse_request(&mut r, &shown);
            if !matches!(res, Ok(httparse::Status::Complete(_))) {
                return verdict(res);
            }
            start = Start::Request {
                method: r.method.unwrap_or_default().as_bytes().to_vec(),
                target: r.path.unwrap_or_default().as_bytes().to_vec(),
                minor: r.version.unwrap_or_default(),
            };
            headers = r.headers;
        }
        Side::Response => {
            let mut r = httparse::Response::new(&mut slots);
            res = p.parse_response(&mut r, &shown);
            if !matches!(res, Ok(httparse::Status::Complete(_))) {
                return verdict(res);
            }
            let reason = r.reason.unwrap_or_default();
            start = Start::Response {
                minor: r.version.unwrap_or_default(),
                status: r.code.unwrap_or_default(),
                // httparse hides a reason with obs-text behind "".
                reason: (!reason.is_empty()).then(|| reason.as_bytes().to_vec()),
            };
            headers = r.headers;
        }
        Side::Trailers => match httparse::parse_headers(bytes, &mut slots) {
            Ok(httparse::Status::Complete((len, h))) => {
                res = Ok(httparse::Status::Complete(len));
                start = Start::Trailers;
                headers = h;
            }
            Ok(httparse::Status::Partial) => return Oracle::Partial,
            Err(e) => return Oracle::Error(e),
        },
    }
    let Ok(httparse::Status::Complete(len)) = res else {
        unreachable!("checked above")
    };
    let fields = headers
        .iter()
        .map(|h| {
            // A folded value keeps its CR LF in httparse; read them as SP.
            let v: Vec<u8> = h
                .value
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            (h.name.as_bytes().to_vec(), trim(&v).to_vec())
        })
        .collect();
    Oracle::Head(Head { len, start, fields })
}

fn verdict(res: httparse::Result<usize>) -> Oracle {
    match res {
        Ok(httparse::Status::Partial) => Oracle::Partial,
        Err(e) => Oracle::Error(e),
        Ok(httparse::Status::Complete(_)) => unreachable!("handled by the caller"),
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// `bytes` with an `HTTP/1.x` (x from 2 to 9) start-line version shown as
/// `HTTP/1.1`, the version keepalive reads it as (RFC 9110 §2.5).
fn show_as_http11(side: Side, bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let skip = leading_empty_lines(bytes);
    let line_end = bytes[skip..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| skip + p);
    let at = match side {
        Side::Trailers => None,
        Side::Response => Some(skip),
        // After the second run of spaces of the request line.
        Side::Request => {
            let line = &bytes[skip..line_end];
            let mut runs = 0;
            let mut i = 0;
            let mut found = None;
            while i < line.len() {
                if line[i] == b' ' {
                    while i < line.len() && line[i] == b' ' {
                        i += 1;
                    }
                    runs += 1;
                    if runs == 2 {
                        found = Some(skip + i);
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            found
        }
    };
    if let Some(at) = at {
        if let Some(ver) = v.get_mut(at..at + 8) {
            if &ver[..7] == b"HTTP/1." && (b'2'..=b'9').contains(&ver[7]) {
                ver[7] = b'1';
            }
        }
    }
    v
}

/// How many bytes of empty lines (CRLF or LF) start `bytes`; httparse and
/// keepalive both skip them before a start line (RFC 9112 §2.2).
fn leading_empty_lines(bytes: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match bytes.get(i..) {
            Some([b'\r', b'\n', ..]) => i += 2,
            Some([b'\n', ..]) => i += 1,
            _ => return i,
        }
    }
}

/// Runs the whole check on one input: keepalive fed whole, one byte at a
/// time and in the pieces `cuts` makes, against httparse. `Err` says which
/// part of the property failed, with both outcomes.
pub fn check(
    side: Side,
    config: &Config,
    bytes: &[u8],
    cuts: &[usize],
) -> Result<Agreement, String> {
    let whole = keepalive(side, config, bytes, &[]);
    let bytewise: Vec<usize> = (1..bytes.len()).collect();
    for (how, cuts) in [("one byte at a time", &bytewise[..]), ("split", cuts)] {
        let got = keepalive(side, config, bytes, cuts);
        if got != whole {
            return Err(format!(
                "fed {how} ({cuts:?}): {got:?}\n  but whole: {whole:?}"
            ));
        }
    }
    let oracle = oracle(side, config, bytes);
    let fail = |what: &str| {
        Err(format!(
            "{what}\n  keepalive: {whole:?}\n  httparse:  {oracle:?}"
        ))
    };
    match (&whole, &oracle) {
        (Outcome::Head(k), Oracle::Head(h)) if k == h => Ok(Agreement::BothAccepted),
        (Outcome::Head(_), Oracle::Head(_)) => fail("both accept but read different heads"),
        (Outcome::Head(_), _) => fail("keepalive accepts a head httparse does not"),
        (Outcome::Rejected(_), Oracle::Error(_)) => Ok(Agreement::BothRejected),
        (Outcome::Incomplete, Oracle::Partial) => Ok(Agreement::BothIncomplete),
        (Outcome::Incomplete, Oracle::Error(httparse::Error::Version))
            if other_major_pending(side, bytes) =>
        {
            Ok(Agreement::VersionPending)
        }
        (Outcome::Incomplete, Oracle::Error(_)) => {
            fail("httparse rejects what keepalive still waits on")
        }
        (Outcome::Incomplete, Oracle::Head(_)) => fail("httparse ends a head keepalive does not"),
        (Outcome::Rejected(kind), oracle) => {
            let head = match oracle {
                Oracle::Head(h) => Some(h),
                _ => None,
            };
            match stricter_rule(*kind, side, config, bytes, head) {
                Some(rule) => Ok(Agreement::Stricter(rule)),
                None => fail("keepalive rejects by no documented stricter rule"),
            }
        }
    }
}

/// The configuration the first byte of a `differential` fuzz input picks
/// (bits 0 and 4 choose the side): bit 1 every leniency httparse also has,
/// bit 2 small limits (so they are reached), bit 3 bare LF allowed.
pub fn config_from(b: u8) -> Config {
    let mut c = Config::default();
    if b & 2 != 0 {
        c.allow_space_before_colon_in_responses = true;
        c.skip_invalid_fields_in_responses = true;
        c.allow_multiple_spaces_in_request_line = true;
    }
    if b & 4 != 0 {
        c.max_head_len = 256;
        c.max_headers = 8;
        c.max_target_len = 64;
    }
    c.allow_bare_lf = b & 8 != 0;
    c
}

/// The `differential` fuzz target's check. Layout: a byte choosing the
/// side (bits 0 and 4: request, response, trailers) and the configuration ([`config_from`]), a cut count `n`
/// (mod 8), `n` cut offsets (one byte each, sorted here), then the head.
/// Panics with both outcomes when the property fails.
pub fn run_differential(data: &[u8]) {
    let [flags, n, rest @ ..] = data else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (cut_bytes, head) = rest.split_at(n);
    let mut cuts: Vec<usize> = cut_bytes.iter().map(|&c| usize::from(c)).collect();
    cuts.sort_unstable();
    let side = match flags & 0x11 {
        0 => Side::Request,
        1 => Side::Response,
        _ => Side::Trailers,
    };
    if let Err(e) = check(side, &config_from(*flags), head, &cuts) {
        panic!("{side:?}, config byte {flags:#04x}: {e}\n  input: {head:?}");
    }
}
