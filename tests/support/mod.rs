//! Shared test harness: a client and a server machine joined by in-memory
//! pipes ([`Pair`]), and single-machine drivers that feed the same input
//! whole and one byte at a time ([`feed_whole`], [`feed_bytewise`],
//! [`assert_same_whole_and_bytewise`]).
//!
//! Outcomes are normalized into [`Out`] values (owned, consecutive `Data`
//! merged) and rendered as short lines by [`Out::line`] so conformance
//! tables can state expectations as data:
//!
//! | line                          | meaning                                   |
//! |-------------------------------|-------------------------------------------|
//! | `req GET / 1.1 empty`         | request head, version, framing            |
//! | `info 100`                    | interim response                          |
//! | `resp 200 1.1 fixed(2)`       | final response (or 101), framing          |
//! | `data "ab"`                   | body bytes (merged), escaped              |
//! | `end` / `end [Name: v]`       | end of message, with trailers             |
//! | `keep-alive` / `close(...)`   | `Event::Cycle` verdict                    |
//! | `switch upgrade "rest"`       | `Event::Switched` with leftover           |
//! | `closed`                      | `Event::Closed`                           |
//! | `error Kind 400` / `error Kind -` | `RecvError` (server / client role)    |
//! | `send-error X`                | the harness's own send failed             |
//! | `stuck need-data` / `stuck paused` | the machine waited after end of input |

// Each test file compiles this module separately (`mod support;`) and uses
// only part of it, so unused-item warnings here would be noise.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use keepalive::{
    BodyLength, CloseReason, Config, Connection, Event, Expired, Header, Headers, Persist, Recv,
    RecvError, RecvErrorKind, Request, Response, Role, SendBuf, SendError, SwitchKind, Version,
};

// ---------------------------------------------------------------------
// Normalized outcomes

/// Owned field list: (name as received, value).
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// One normalized outcome of polling a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Request {
        method: String,
        target: String,
        version: Version,
        body: BodyLength,
        headers: Fields,
    },
    Informational {
        status: u16,
        headers: Fields,
    },
    Response {
        status: u16,
        version: Version,
        body: BodyLength,
        headers: Fields,
    },
    Data(Vec<u8>),
    End(Fields),
    Cycle(Persist),
    Switched {
        kind: SwitchKind,
        leftover: Vec<u8>,
    },
    Closed,
    Error {
        kind: RecvErrorKind,
        status: Option<u16>,
    },
    /// The harness's own send (auto-response, next request) was refused.
    SendFailed(SendError),
    /// After end of input the machine still asked for data or paused.
    Stuck(&'static str),
}

pub fn fields(h: &Headers) -> Fields {
    h.iter()
        .map(|f| (f.name.to_vec(), f.value.to_vec()))
        .collect()
}

impl Out {
    pub fn from_event(e: Event) -> Self {
        match e {
            Event::Request(h) => Self::Request {
                method: h.method().to_owned(),
                target: h.target().to_owned(),
                version: h.version(),
                body: h.body_length(),
                headers: fields(h.headers()),
            },
            Event::Informational(h) => Self::Informational {
                status: h.status(),
                headers: fields(h.headers()),
            },
            Event::Response(h) => Self::Response {
                status: h.status(),
                version: h.version(),
                body: h.body_length(),
                headers: fields(h.headers()),
            },
            Event::Data(d) => Self::Data(d.to_vec()),
            Event::End(t) => Self::End(fields(&t)),
            Event::Cycle(p) => Self::Cycle(p),
            Event::Switched { kind, leftover } => Self::Switched {
                kind,
                leftover: leftover.to_vec(),
            },
            Event::Closed => Self::Closed,
        }
    }

    pub fn from_error(e: RecvError) -> Self {
        Self::Error {
            kind: e.kind(),
            status: e.status(),
        }
    }

    /// The short line used by conformance tables (see the module docs).
    pub fn line(&self) -> String {
        match self {
            Self::Request {
                method,
                target,
                version,
                body,
                ..
            } => format!("req {method} {target} {} {}", ver(*version), len(*body)),
            Self::Informational { status, .. } => format!("info {status}"),
            Self::Response {
                status,
                version,
                body,
                ..
            } => format!("resp {status} {} {}", ver(*version), len(*body)),
            Self::Data(d) => format!("data \"{}\"", esc(d)),
            Self::End(t) if t.is_empty() => "end".to_owned(),
            Self::End(t) => {
                let mut s = "end [".to_owned();
                for (i, (n, v)) in t.iter().enumerate() {
                    if i > 0 {
                        s.push_str("; ");
                    }
                    let _ = write!(s, "{}: {}", esc(n), esc(v));
                }
                s.push(']');
                s
            }
            Self::Cycle(p) => persist_line(*p),
            Self::Switched { kind, leftover } => {
                let k = match kind {
                    SwitchKind::Upgrade => "upgrade",
                    SwitchKind::Connect => "connect",
                };
                format!("switch {k} \"{}\"", esc(leftover))
            }
            Self::Closed => "closed".to_owned(),
            Self::Error { kind, status } => match status {
                Some(s) => format!("error {kind:?} {s}"),
                None => format!("error {kind:?} -"),
            },
            Self::SendFailed(e) => format!("send-error {e:?}"),
            Self::Stuck(why) => format!("stuck {why}"),
        }
    }
}

fn ver(v: Version) -> &'static str {
    match v {
        Version::Http10 => "1.0",
        Version::Http11 => "1.1",
    }
}

fn len(b: BodyLength) -> String {
    match b {
        BodyLength::Empty => "empty".to_owned(),
        BodyLength::Fixed(n) => format!("fixed({n})"),
        BodyLength::Chunked => "chunked".to_owned(),
        BodyLength::UntilClose => "until-close".to_owned(),
    }
}

/// Escapes bytes the way `[u8]::escape_ascii` does.
pub fn esc(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

/// `keep-alive` or `close(reason)` with a compact reason.
pub fn persist_line(p: Persist) -> String {
    match p {
        Persist::KeepAlive => "keep-alive".to_owned(),
        Persist::Close(r) => format!("close({})", reason(r)),
    }
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Client => "client",
        Role::Server => "server",
    }
}

fn reason(r: CloseReason) -> String {
    match r {
        CloseReason::ConnectionClose { by } => format!("connection-close/{}", role(by)),
        CloseReason::Http10 { by } => format!("http10/{}", role(by)),
        CloseReason::UntilCloseBody => "until-close".to_owned(),
        CloseReason::ConflictingFraming => "conflicting".to_owned(),
        CloseReason::ProtocolError => "protocol-error".to_owned(),
        CloseReason::PeerClosed => "peer-closed".to_owned(),
        CloseReason::Switched => "switched".to_owned(),
        CloseReason::UnreadBody => "unread-body".to_owned(),
        // Reasons added later (timers, request limits) print as Debug.
        other => format!("{other:?}"),
    }
}

/// Appends `o`, merging it into the previous entry if both are `Data`.
pub fn push_merged(outs: &mut Vec<Out>, o: Out) {
    if let (Some(Out::Data(prev)), Out::Data(d)) = (outs.last_mut(), &o) {
        prev.extend_from_slice(d);
        return;
    }
    outs.push(o);
}

// ---------------------------------------------------------------------
// Single-machine feeding

/// What the server side of [`feed_whole`] answers each request with.
#[derive(Debug, Clone)]
pub struct AutoResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Default for AutoResponse {
    /// `200` with `Content-Length: 0`, like the `explain` tool.
    fn default() -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Length".into(), "0".into())],
            body: Vec::new(),
        }
    }
}

/// Which machine is fed and how the harness plays the other side.
#[derive(Debug, Clone)]
pub enum Script {
    /// Feed requests to a server; answer each finished request with this.
    Server(AutoResponse),
    /// Feed responses to a client that sends these methods in turn
    /// (target `/`, `example:443` for CONNECT, `Host: example`, no body),
    /// the next one when the previous exchange ends with keep-alive.
    Client(Vec<String>),
}

/// A server answering `200` + `Content-Length: 0`.
pub fn server() -> Script {
    Script::Server(AutoResponse::default())
}

/// A client sending `methods` one per exchange.
pub fn client(methods: &[&str]) -> Script {
    Script::Client(methods.iter().map(|m| (*m).to_owned()).collect())
}

/// The normalized result of feeding one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub outs: Vec<Out>,
    /// Everything the harness sent on behalf of the fed machine.
    pub sent: Vec<u8>,
    /// `persist()` at the end.
    pub persist: Persist,
}

impl Trace {
    pub fn lines(&self) -> Vec<String> {
        self.outs.iter().map(Out::line).collect()
    }
}

struct Feeder {
    conn: Connection,
    script: Script,
    next_request: usize,
    out: SendBuf,
    sent: Vec<u8>,
    outs: Vec<Out>,
    done: bool,
}

impl Feeder {
    fn new(script: &Script, config: &Config) -> Self {
        let role = match script {
            Script::Server(_) => Role::Server,
            Script::Client(_) => Role::Client,
        };
        // A client row's input is a recorded server stream: every response
        // is buffered before the request it answers is sent. A live client
        // rightly refuses that as stale (RFC 9112 §6.3, tested in
        // tests/timers.rs); replay mode accepts it.
        let mut config = config.clone();
        config.replay_buffered_responses |= role == Role::Client;
        let mut f = Self {
            conn: Connection::new(role, config),
            script: script.clone(),
            next_request: 0,
            out: SendBuf::new(),
            sent: Vec::new(),
            outs: Vec::new(),
            done: false,
        };
        f.send_next_request();
        f
    }

    fn flush(&mut self) {
        let b = self.out.copy_to_bytes(self.out.remaining());
        self.sent.extend_from_slice(&b);
    }

    fn fail_send(&mut self, e: SendError) {
        self.outs.push(Out::SendFailed(e));
        self.done = true;
    }

    /// Client script: sends the next request if one is left.
    fn send_next_request(&mut self) -> bool {
        let Script::Client(methods) = &self.script else {
            return false;
        };
        let Some(method) = methods.get(self.next_request).cloned() else {
            return false;
        };
        self.next_request += 1;
        let target = if method == "CONNECT" {
            "example:443"
        } else {
            "/"
        };
        let host = [Header::new("Host", "example")];
        let req = Request::new(&method, target, &host);
        let r = self
            .conn
            .send_request(&req, &mut self.out)
            .and_then(|()| self.conn.send_end(&[], &mut self.out));
        self.flush();
        if let Err(e) = r {
            self.fail_send(e);
        }
        true
    }

    /// Server script: answers the finished request.
    fn respond(&mut self) {
        let Script::Server(auto) = &self.script else {
            return;
        };
        let auto = auto.clone();
        // RFC 9110 §8.6: no Content-Length in a 2xx to CONNECT (the tunnel
        // starts right after the head), so the auto-response drops it there.
        let tunnel = (200..300).contains(&auto.status)
            && matches!(self.outs.iter().rev().find(|o| matches!(o, Out::Request { .. })),
                Some(Out::Request { method, .. }) if method == "CONNECT");
        let headers: Vec<Header<'_>> = auto
            .headers
            .iter()
            .filter(|(n, _)| !(tunnel && n.eq_ignore_ascii_case("content-length")))
            .map(|(n, v)| Header::new(n, v))
            .collect();
        let resp = Response::new(auto.status, &headers);
        let mut r = self.conn.send_response(&resp, &mut self.out);
        // A switching answer (2xx to CONNECT, 101) ends with its head.
        if r.is_ok() && !self.switched_after_head() {
            if !auto.body.is_empty() {
                r = self
                    .conn
                    .send_data(Bytes::from(auto.body.clone()), &mut self.out);
            }
            if r.is_ok() {
                r = self.conn.send_end(&[], &mut self.out);
            }
        }
        self.flush();
        if let Err(e) = r {
            self.fail_send(e);
        }
    }

    /// Whether the last response head switched the connection: then
    /// `send_end` must not follow. Told by trying a zero-length data
    /// write, which a switched connection refuses with `ConnectionClosed`.
    fn switched_after_head(&mut self) -> bool {
        let mut scratch = SendBuf::new();
        matches!(
            self.conn.send_data(Bytes::new(), &mut scratch),
            Err(SendError::ConnectionClosed)
        )
    }

    /// Polls until the machine waits for input (or is done).
    fn drive(&mut self, after_eof: bool) {
        let mut paused_without_progress = false;
        while !self.done {
            match self.conn.poll_event() {
                Ok(Recv::Event(e)) => {
                    paused_without_progress = false;
                    let keep_alive = matches!(e, Event::Cycle(Persist::KeepAlive));
                    push_merged(&mut self.outs, Out::from_event(e));
                    if keep_alive {
                        self.send_next_request();
                    }
                }
                Ok(Recv::NeedData) => {
                    if after_eof {
                        self.outs.push(Out::Stuck("need-data"));
                        self.done = true;
                    }
                    return;
                }
                Ok(Recv::Paused) => {
                    if paused_without_progress || self.conn.role() == Role::Client {
                        if after_eof {
                            self.outs.push(Out::Stuck("paused"));
                            self.done = true;
                        }
                        return;
                    }
                    paused_without_progress = true;
                    self.respond();
                }
                Ok(Recv::Finished) => {
                    self.done = true;
                }
                Err(e) => {
                    self.outs.push(Out::from_error(e));
                    self.done = true;
                }
            }
        }
    }

    fn finish(mut self) -> Trace {
        if !self.done {
            self.conn.receive_eof();
            self.drive(true);
        }
        Trace {
            outs: self.outs,
            sent: self.sent,
            persist: self.conn.persist(),
        }
    }
}

/// Feeds `input` in one `receive` call, then end of input.
pub fn feed_whole(script: &Script, config: &Config, input: &[u8]) -> Trace {
    feed_split(script, config, input, input.len().max(1))
}

/// Feeds `input` one byte at a time (polling until the machine waits
/// after each byte), then end of input.
pub fn feed_bytewise(script: &Script, config: &Config, input: &[u8]) -> Trace {
    feed_split(script, config, input, 1)
}

/// Feeds `input` in pieces of `step` bytes, then end of input.
pub fn feed_split(script: &Script, config: &Config, input: &[u8], step: usize) -> Trace {
    let mut f = Feeder::new(script, config);
    f.drive(false);
    let mut fed = 0;
    for piece in input.chunks(step) {
        if f.done {
            break;
        }
        f.conn.receive(piece);
        fed += piece.len();
        f.drive(false);
    }
    // After a switch, later bytes are the caller's: a real caller reads them
    // straight from the socket. Counting them into `leftover` makes the
    // tunnel's byte stream comparable however the input was split.
    if let Some(Out::Switched { leftover, .. }) = f.outs.last_mut() {
        leftover.extend_from_slice(&input[fed..]);
    }
    f.finish()
}

/// Feeds `input` whole and one byte at a time, asserts both give the same
/// trace (events with data merged, sent bytes, final persistence), and
/// returns it.
#[track_caller]
pub fn assert_same_whole_and_bytewise(script: &Script, config: &Config, input: &[u8]) -> Trace {
    let whole = feed_whole(script, config, input);
    let bytewise = feed_bytewise(script, config, input);
    assert_eq!(
        whole,
        bytewise,
        "whole vs bytewise differ for input \"{}\"",
        esc(input)
    );
    whole
}

/// A server-role row: (name, input, expected lines).
pub type ServerRow<'a> = (&'a str, &'a [u8], &'a [&'a str]);

/// A client-role row: (name, request methods, input, expected lines).
pub type ClientRow<'a> = (&'a str, &'a [&'a str], &'a [u8], &'a [&'a str]);

/// One conformance row's failure, for reporting all of a table at once.
fn check_row(
    name: &str,
    script: &Script,
    config: &Config,
    input: &[u8],
    expect: &[&str],
) -> Option<String> {
    let whole = feed_whole(script, config, input);
    let bytewise = feed_bytewise(script, config, input);
    if whole != bytewise {
        return Some(format!(
            "{name}: whole vs bytewise differ\n  input:    \"{}\"\n  whole:    {:?}\n  bytewise: {:?}",
            esc(input),
            whole.lines(),
            bytewise.lines()
        ));
    }
    let got = whole.lines();
    if got != expect {
        return Some(format!(
            "{name}:\n  input:  \"{}\"\n  expect: {expect:?}\n  got:    {got:?}",
            esc(input)
        ));
    }
    None
}

/// Runs server-role rows `(name, input, expected lines)`; panics listing
/// every failing row.
#[track_caller]
pub fn run_server_rows(config: &Config, rows: &[ServerRow<'_>]) {
    let script = server();
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, input, expect)| check_row(name, &script, config, input, expect))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Runs client-role rows `(name, request methods, input, expected lines)`.
#[track_caller]
pub fn run_client_rows(config: &Config, rows: &[ClientRow<'_>]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, methods, input, expect)| {
            check_row(name, &client(methods), config, input, expect)
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Runs server rows with a custom auto-response.
#[track_caller]
pub fn run_rows_with(script: &Script, config: &Config, rows: &[ServerRow<'_>]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, input, expect)| check_row(name, script, config, input, expect))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------
// Pair: client ↔ server through in-memory pipes

/// How a poll loop stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    NeedData,
    Paused,
    Finished,
    Error(RecvErrorKind),
}

impl Stop {
    pub fn line(&self) -> String {
        match self {
            Self::NeedData => "need-data".to_owned(),
            Self::Paused => "paused".to_owned(),
            Self::Finished => "finished".to_owned(),
            Self::Error(k) => format!("error {k:?}"),
        }
    }
}

/// Polls `conn` until it stops; returns the raw events and why it stopped.
pub fn poll_all(conn: &mut Connection) -> (Vec<Event>, Stop) {
    let mut events = Vec::new();
    // Bounded so a machine that never stops fails the test instead of
    // hanging it.
    for _ in 0..10_000 {
        match conn.poll_event() {
            Ok(Recv::Event(e)) => events.push(e),
            Ok(Recv::NeedData) => return (events, Stop::NeedData),
            Ok(Recv::Paused) => return (events, Stop::Paused),
            Ok(Recv::Finished) => return (events, Stop::Finished),
            Err(e) => return (events, Stop::Error(e.kind())),
        }
    }
    panic!("poll_event never stopped: {events:?}");
}

/// Polls `conn` until it stops; returns lines (data merged) ending with the
/// stop line, e.g. `["req GET / 1.1 empty", "end", "paused"]`.
pub fn poll_lines(conn: &mut Connection) -> Vec<String> {
    let (events, stop) = poll_all(conn);
    let mut outs = Vec::new();
    for e in events {
        push_merged(&mut outs, Out::from_event(e));
    }
    let mut lines: Vec<String> = outs.iter().map(Out::line).collect();
    lines.push(stop.line());
    lines
}

/// Builds owned headers from `(name, value)` pairs.
pub fn hdrs<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<Header<'a>> {
    pairs.iter().map(|(n, v)| Header::new(n, v)).collect()
}

/// A client and a server machine, each side's sent bytes delivered to the
/// other's `receive` by [`pump`](Self::pump).
#[derive(Debug)]
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    /// Client → server bytes not yet delivered.
    pub to_server: SendBuf,
    /// Server → client bytes not yet delivered.
    pub to_client: SendBuf,
    /// Every byte the client sent, for assertions on the wire format.
    pub client_wire: Vec<u8>,
    /// Every byte the server sent.
    pub server_wire: Vec<u8>,
    /// Simulated clock: [`advance`](Self::advance) is the one place that
    /// hands a new time to both sides. No test sleeps.
    pub now: Instant,
}

impl Default for Pair {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair {
    pub fn new() -> Self {
        Self::with_configs(Config::default(), Config::default())
    }

    pub fn with_configs(client: Config, server: Config) -> Self {
        let now = Instant::now();
        let mut pair = Self {
            client: Connection::new(Role::Client, client),
            server: Connection::new(Role::Server, server),
            to_server: SendBuf::new(),
            to_client: SendBuf::new(),
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            now,
        };
        pair.client.handle_timeout(now);
        pair.server.handle_timeout(now);
        pair
    }

    /// Moves the simulated clock forward and hands the new time to both
    /// sides; returns the timers that fired on (client, server).
    pub fn advance(&mut self, by: Duration) -> (Expired, Expired) {
        self.now += by;
        let now = self.now;
        (
            self.client.handle_timeout(now),
            self.server.handle_timeout(now),
        )
    }

    // -- client commands

    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), SendError> {
        let h = hdrs(headers);
        self.client
            .send_request(&Request::new(method, target, &h), &mut self.to_server)
    }

    /// Sends a full request with `Content-Length` framing if `body` is
    /// not empty, and ends it.
    pub fn request_full(
        &mut self,
        method: &str,
        target: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), SendError> {
        let n = body.len().to_string();
        let mut h: Vec<(&str, &str)> = vec![("Host", "example")];
        if !body.is_empty() {
            h.push(("Content-Length", &n));
        }
        h.extend_from_slice(extra);
        self.request(method, target, &h)?;
        if !body.is_empty() {
            self.client_data(body)?;
        }
        self.client_end()
    }

    pub fn client_data(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.client
            .send_data(Bytes::copy_from_slice(data), &mut self.to_server)
    }

    pub fn client_end(&mut self) -> Result<(), SendError> {
        self.client.send_end(&[], &mut self.to_server)
    }

    pub fn client_end_with(&mut self, trailers: &[(&str, &str)]) -> Result<(), SendError> {
        let t = hdrs(trailers);
        self.client.send_end(&t, &mut self.to_server)
    }

    // -- server commands

    pub fn respond(&mut self, status: u16, headers: &[(&str, &str)]) -> Result<(), SendError> {
        let h = hdrs(headers);
        self.server
            .send_response(&Response::new(status, &h), &mut self.to_client)
    }

    /// Sends a full response with `Content-Length` and ends it.
    pub fn respond_full(
        &mut self,
        status: u16,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), SendError> {
        let n = body.len().to_string();
        let mut h: Vec<(&str, &str)> = vec![("Content-Length", &n)];
        h.extend_from_slice(extra);
        self.respond(status, &h)?;
        if !body.is_empty() {
            self.server_data(body)?;
        }
        self.server_end()
    }

    pub fn server_data(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.server
            .send_data(Bytes::copy_from_slice(data), &mut self.to_client)
    }

    pub fn server_end(&mut self) -> Result<(), SendError> {
        self.server.send_end(&[], &mut self.to_client)
    }

    pub fn server_end_with(&mut self, trailers: &[(&str, &str)]) -> Result<(), SendError> {
        let t = hdrs(trailers);
        self.server.send_end(&t, &mut self.to_client)
    }

    // -- the pipes

    /// Delivers every pending byte both ways; returns (to server, to client)
    /// byte counts.
    pub fn pump(&mut self) -> (usize, usize) {
        let a = self.to_server.copy_to_bytes(self.to_server.remaining());
        self.client_wire.extend_from_slice(&a);
        self.server.receive(&a);
        let b = self.to_client.copy_to_bytes(self.to_client.remaining());
        self.server_wire.extend_from_slice(&b);
        self.client.receive(&b);
        (a.len(), b.len())
    }

    /// Like [`pump`](Self::pump) but delivers one byte per `receive` call,
    /// polling the receiver after each; returns the merged lines of every
    /// event seen on (server, client), without stop lines.
    pub fn pump_bytewise(&mut self) -> (Vec<String>, Vec<String>) {
        let a = self.to_server.copy_to_bytes(self.to_server.remaining());
        self.client_wire.extend_from_slice(&a);
        let mut server_outs = Vec::new();
        for b in a.iter() {
            self.server.receive(&[*b]);
            let (events, _) = poll_all(&mut self.server);
            for e in events {
                push_merged(&mut server_outs, Out::from_event(e));
            }
        }
        let b = self.to_client.copy_to_bytes(self.to_client.remaining());
        self.server_wire.extend_from_slice(&b);
        let mut client_outs = Vec::new();
        for x in b.iter() {
            self.client.receive(&[*x]);
            let (events, _) = poll_all(&mut self.client);
            for e in events {
                push_merged(&mut client_outs, Out::from_event(e));
            }
        }
        (
            server_outs.iter().map(Out::line).collect(),
            client_outs.iter().map(Out::line).collect(),
        )
    }

    /// Takes the bytes the server has sent but not yet delivered (they
    /// are delivered later with [`pump_wire`](Self::pump_wire)).
    pub fn take_client_bound(&mut self) -> Bytes {
        self.to_client.copy_to_bytes(self.to_client.remaining())
    }

    /// The client closes its sending side: the server sees end of input.
    pub fn client_closes(&mut self) {
        self.pump();
        self.server.receive_eof();
    }

    /// The server closes its sending side: the client sees end of input.
    pub fn server_closes(&mut self) {
        self.pump();
        self.client.receive_eof();
    }

    /// Polls the server until it stops (see [`poll_lines`]).
    pub fn server_poll(&mut self) -> Vec<String> {
        poll_lines(&mut self.server)
    }

    /// Polls the client until it stops (see [`poll_lines`]).
    pub fn client_poll(&mut self) -> Vec<String> {
        poll_lines(&mut self.client)
    }

    /// Polls the server and returns the raw events (for head inspection).
    pub fn server_events(&mut self) -> (Vec<Event>, Stop) {
        poll_all(&mut self.server)
    }

    /// Polls the client and returns the raw events.
    pub fn client_events(&mut self) -> (Vec<Event>, Stop) {
        poll_all(&mut self.client)
    }
}
