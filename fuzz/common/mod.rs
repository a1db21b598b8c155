//! The invariant checks shared by the fuzz targets (`fuzz/fuzz_targets/`)
//! and the stable tests (`tests/fuzz_corpus.rs` replays the committed seed
//! corpus, `tests/properties.rs` reuses the drivers): one copy of every
//! check, included with `#[path]` by each, so a stable-only machine runs
//! exactly what the fuzzers run.
//!
//! Included files need `mod support;` (tests/support) at their crate root:
//! the normalized outcomes ([`Out`]) and the [`Pair`] come from there.
//!
//! Every check panics with a message naming the broken contract; a panic
//! is what libFuzzer reports as a crash.

// Each includer uses a different part of this module.
#![allow(dead_code)]

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Event, Header, Persist, Recv, RecvError, Request, Response, Role, SendBuf,
    SendError, Version,
};

use crate::support::{push_merged, Out, Pair};

// ---------------------------------------------------------------------
// Per-connection state invariants

/// Watches one connection's `poll_event` results and the commands sent on
/// it, and panics when a result breaks the event contract:
///
/// - no event after an error (every later poll repeats the error);
/// - `Data` and `End` only inside a message whose head was delivered;
/// - one final head per exchange, and only the role's kind of head;
/// - `Cycle(KeepAlive)` only when both halves of the exchange are done,
///   `Cycle(Close)` only when the response is done (the request may be cut
///   short only because the connection closes);
/// - `Closed`, `Switched` and `Cycle(Close)` are followed by `Finished`
///   only, and `Finished` is final and only comes after one of them (or
///   an error, or the idle timer);
/// - after end of input the machine never asks for more data;
/// - bounded memory: after `NeedData` the receive buffer is smaller than
///   the largest head or trailer section the configuration allows.
#[derive(Debug, Clone)]
pub struct Watch {
    pub role: Role,
    bound: usize,
    error: Option<RecvError>,
    /// `Closed`, `Switched` or `Cycle(Close)` seen: only `Finished` may follow.
    ending: bool,
    finished: bool,
    /// A received message's head was delivered and its `End` was not.
    in_message: bool,
    /// This exchange's final head was received.
    recv_head: bool,
    recv_done: bool,
    /// This exchange's final head was sent (a client's request; a
    /// server's final response).
    sent_head: bool,
    sent_done: bool,
    /// The last received or sent final head switches protocols.
    switching: bool,
    /// The method of the request of this exchange (client role).
    method: Option<String>,
    eof: bool,
    /// Keep-alive verdicts, one per exchange, in order.
    pub verdicts: Vec<Persist>,
}

impl Watch {
    pub fn new(role: Role, config: &Config) -> Self {
        Self {
            role,
            bound: config.max_head_len.max(config.max_trailers_len),
            error: None,
            ending: false,
            finished: false,
            in_message: false,
            recv_head: false,
            recv_done: false,
            sent_head: false,
            sent_done: false,
            switching: false,
            method: None,
            eof: false,
            verdicts: Vec::new(),
        }
    }

    pub fn error(&self) -> Option<RecvError> {
        self.error
    }

    /// Whether the connection can produce no more events.
    pub fn is_over(&self) -> bool {
        self.error.is_some() || self.finished
    }

    /// The response of this exchange is complete.
    fn response_done(&self) -> bool {
        match self.role {
            Role::Server => self.sent_done,
            Role::Client => self.recv_done,
        }
    }

    /// The request of this exchange is complete.
    fn request_done(&self) -> bool {
        match self.role {
            Role::Server => self.recv_done,
            Role::Client => self.sent_done,
        }
    }

    /// Records a successful `receive_eof`.
    pub fn saw_eof(&mut self) {
        self.eof = true;
    }

    /// Records a successful `send_request`.
    pub fn sent_request(&mut self, method: &str) {
        assert!(
            !self.sent_head,
            "a second request head was accepted in one exchange"
        );
        self.sent_head = true;
        self.method = Some(method.to_owned());
    }

    /// Records a successful `send_response`.
    pub fn sent_response(&mut self, status: u16, request_method: Option<&str>) {
        if (100..200).contains(&status) && status != 101 {
            return;
        }
        assert!(
            !self.sent_head,
            "a second final response was accepted in one exchange"
        );
        self.sent_head = true;
        self.switching = self.error.is_none()
            && (status == 101
                || (request_method == Some("CONNECT") && (200..300).contains(&status)));
    }

    /// Records a successful `send_end`.
    pub fn sent_end(&mut self) {
        assert!(self.sent_head, "send_end accepted before a head");
        assert!(!self.sent_done, "send_end accepted twice in one exchange");
        self.sent_done = true;
    }

    /// Polls `conn` once and checks the result against the contract.
    #[track_caller]
    pub fn poll(&mut self, conn: &mut Connection) -> Result<Recv, RecvError> {
        if conn.is_draining() {
            // Issue 11: the rest of the request is the machine's to
            // discard; the application sees neither its data nor its end.
            self.in_message = false;
            self.recv_done = true;
        }
        let r = conn.poll_event();
        self.check(conn, &r);
        r
    }

    #[track_caller]
    fn check(&mut self, conn: &Connection, r: &Result<Recv, RecvError>) {
        if let Some(e) = self.error {
            // Issue 11: the error once, then the end (a loop cannot spin).
            assert_eq!(r, &Ok(Recv::Finished), "a poll after {e:?} did not end");
            return;
        }
        if self.finished || self.ending {
            assert_eq!(r, &Ok(Recv::Finished), "something after the end: {r:?}");
            self.finished = true;
            return;
        }
        let event = match r {
            Err(e) => {
                if self.role == Role::Client {
                    assert_eq!(e.status(), None, "client-side errors carry no status");
                } else {
                    assert_eq!(e.status(), Some(e.kind().status()));
                }
                self.error = Some(*e);
                return;
            }
            Ok(Recv::NeedData) => {
                assert!(!self.eof, "NeedData after end of input");
                assert!(
                    conn.unread().len() < self.bound,
                    "receive buffer of {} bytes after NeedData exceeds the limits ({})",
                    conn.unread().len(),
                    self.bound
                );
                return;
            }
            Ok(Recv::Paused) => {
                match self.role {
                    // A server pauses only owing a response: to a complete
                    // request, or to one whose client closed instead of
                    // sending the body it announced (Expect: 100-continue).
                    Role::Server => assert!(
                        !self.sent_done && (self.recv_done || self.eof),
                        "server paused while not owing a response"
                    ),
                    // A client pauses only when it owes the next send: a
                    // request, or the rest of the one it started.
                    Role::Client => {
                        assert!(!self.sent_done, "client paused with its request complete")
                    }
                }
                return;
            }
            Ok(Recv::Finished) => {
                // The idle timer shuts an idle connection without an event.
                assert_eq!(
                    conn.persist(),
                    Persist::Close(keepalive::CloseReason::IdleTimeout),
                    "Finished without Closed, Switched, Cycle(Close), an error or the idle timer"
                );
                self.finished = true;
                return;
            }
            Ok(Recv::Event(e)) => e,
        };
        match event {
            Event::Request(_) | Event::Response(_) => {
                let expected_role = if matches!(event, Event::Request(_)) {
                    Role::Server
                } else {
                    Role::Client
                };
                assert_eq!(
                    self.role, expected_role,
                    "head of the wrong kind: {event:?}"
                );
                assert!(
                    !self.recv_head,
                    "second final head in one exchange: {event:?}"
                );
                if self.role == Role::Client {
                    assert!(self.sent_head, "response to no request: {event:?}");
                }
                self.recv_head = true;
                self.in_message = true;
                if let Event::Response(h) = event {
                    let connect = self.method.as_deref() == Some("CONNECT");
                    self.switching =
                        h.status() == 101 || (connect && (200..300).contains(&h.status()));
                    if self.switching {
                        // A switching head has no body and no End.
                        self.in_message = false;
                    }
                }
            }
            Event::Informational(h) => {
                assert_eq!(self.role, Role::Client, "server received a 1xx");
                assert!(self.sent_head && !self.recv_head, "1xx outside an exchange");
                assert!((100..200).contains(&h.status()) && h.status() != 101);
            }
            Event::Data(d) => {
                assert!(self.in_message, "Data outside a message");
                assert!(!d.is_empty(), "empty Data event");
            }
            Event::End(_) => {
                assert!(self.in_message, "End outside a message");
                self.in_message = false;
                self.recv_done = true;
            }
            Event::Cycle(Persist::Close(keepalive::CloseReason::IdleTimeout))
                if !self.sent_head && !self.recv_head =>
            {
                // The idle timer's ending, reported between exchanges.
                assert_eq!(
                    conn.persist(),
                    Persist::Close(keepalive::CloseReason::IdleTimeout),
                    "persist() disagrees with Cycle"
                );
                self.ending = true;
            }
            Event::Cycle(p) => {
                assert!(
                    self.response_done(),
                    "Cycle before the response was done: {p:?}"
                );
                match p {
                    Persist::KeepAlive => {
                        assert!(
                            self.request_done() && !self.in_message,
                            "Cycle(KeepAlive) before the request was done"
                        );
                    }
                    Persist::Close(_) => {
                        assert_eq!(conn.persist(), *p, "persist() disagrees with Cycle");
                        self.ending = true;
                    }
                }
                self.verdicts.push(*p);
                self.recv_head = false;
                self.recv_done = false;
                self.sent_head = false;
                self.sent_done = false;
                self.in_message = false;
                self.method = None;
            }
            Event::Switched { .. } => {
                assert!(self.switching, "Switched without a switching head");
                assert!(!self.in_message);
                self.ending = true;
            }
            Event::Closed => {
                assert!(!self.in_message, "Closed inside a message");
                assert!(self.eof, "Closed without end of input");
                self.ending = true;
            }
        }
    }
}

// ---------------------------------------------------------------------
// One machine fed bytes: whole, or in a given partition

/// Owned `(name, value)` field pairs.
pub type FieldPairs = Vec<(String, String)>;

/// A request a scripted client sends: method, version, extra fields.
pub type ScriptedRequest = (String, Version, FieldPairs);

/// How the harness plays the other side of a machine fed raw bytes.
#[derive(Debug, Clone)]
pub enum Peer {
    /// Feed requests to a server and answer each complete request with
    /// this status, these fields and this body (the machine frames it).
    Server {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Feed responses to a client sending these requests in turn
    /// (method, version, extra fields), the next one when the previous
    /// exchange ends with keep-alive.
    Client(Vec<ScriptedRequest>),
}

/// The normalized result of feeding one input to one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Events with consecutive data merged, then the error if any, and the
    /// harness's own refused sends.
    pub outs: Vec<Out>,
    /// What the harness sent on the machine's behalf.
    pub sent: Vec<u8>,
    /// `persist()` at the end.
    pub persist: Persist,
}

struct Fed {
    conn: Connection,
    watch: Watch,
    peer: Peer,
    next: usize,
    out: SendBuf,
    sent: Vec<u8>,
    outs: Vec<Out>,
    /// The method of the request being answered (server role).
    method: Option<String>,
    stop: bool,
    /// The current request was answered (server role).
    answered: bool,
}

impl Fed {
    fn new(peer: &Peer, config: &Config) -> Self {
        let role = match peer {
            Peer::Server { .. } => Role::Server,
            Peer::Client(_) => Role::Client,
        };
        // The input is a recorded server stream: every response is buffered
        // before the request it answers is sent, which a live client would
        // rightly refuse as stale (RFC 9112 §6.3). Replay mode accepts it.
        let mut config = config.clone();
        config.replay_buffered_responses |= role == Role::Client;
        let config = &config;
        let mut f = Self {
            conn: Connection::new(role, config.clone()),
            watch: Watch::new(role, config),
            peer: peer.clone(),
            next: 0,
            out: SendBuf::new(),
            sent: Vec::new(),
            outs: Vec::new(),
            method: None,
            stop: false,
            answered: false,
        };
        f.send_request();
        f
    }

    fn flush(&mut self) {
        let b = self.out.copy_to_bytes(self.out.remaining());
        self.sent.extend_from_slice(&b);
    }

    fn send_request(&mut self) {
        let Peer::Client(reqs) = &self.peer else {
            return;
        };
        let Some((method, version, extra)) = reqs.get(self.next).cloned() else {
            return;
        };
        self.next += 1;
        let target = if method == "CONNECT" {
            "example:443"
        } else {
            "/"
        };
        let mut h = vec![Header::new("Host", "example")];
        h.extend(extra.iter().map(|(n, v)| Header::new(n, v)));
        let req = Request {
            version,
            ..Request::new(&method, target, &h)
        };
        let r = self.conn.send_request(&req, &mut self.out);
        if r.is_ok() {
            self.watch.sent_request(&method);
        }
        let r = r.and_then(|()| self.conn.send_end(&[], &mut self.out));
        if r.is_ok() {
            self.watch.sent_end();
        }
        self.flush();
        if let Err(e) = r {
            self.outs.push(Out::SendFailed(e));
            self.stop = true;
        }
    }

    fn respond(&mut self, status_override: Option<u16>) {
        let Peer::Server {
            status,
            headers,
            body,
        } = self.peer.clone()
        else {
            return;
        };
        let status = status_override.unwrap_or(status);
        let h: Vec<Header<'_>> = headers.iter().map(|(n, v)| Header::new(n, v)).collect();
        let method = self.method.clone();
        let mut r = self
            .conn
            .send_response(&Response::new(status, &h), &mut self.out);
        if r.is_ok() {
            self.watch.sent_response(status, method.as_deref());
        }
        let interim = (100..200).contains(&status) && status != 101;
        if r.is_ok() && interim {
            // An interim answer, then the final one.
            self.flush();
            return self.respond(Some(200));
        }
        if r.is_ok() && !self.watch.switching {
            if !body.is_empty() {
                r = self.conn.send_data(Bytes::from(body), &mut self.out);
            }
            if r.is_ok() {
                r = self.conn.send_end(&[], &mut self.out);
                if r.is_ok() {
                    self.watch.sent_end();
                }
            }
        }
        self.flush();
        if let Err(e) = r {
            self.outs.push(Out::SendFailed(e));
            self.stop = true;
        }
    }

    /// Polls until the machine waits for input or is over.
    fn drive(&mut self) {
        while !self.stop {
            match self.watch.poll(&mut self.conn) {
                Ok(Recv::Event(e)) => {
                    if let Event::Request(h) = &e {
                        self.method = Some(h.method().to_owned());
                        self.answered = false;
                    }
                    let keep_alive = matches!(e, Event::Cycle(Persist::KeepAlive));
                    push_merged(&mut self.outs, Out::from_event(e));
                    if keep_alive {
                        self.method = None;
                        self.send_request();
                    }
                }
                Ok(Recv::NeedData) => return,
                Ok(Recv::Paused) => {
                    // Answer each request once, however often the
                    // machine pauses before more input.
                    if self.answered || self.conn.role() == Role::Client {
                        return;
                    }
                    self.answered = true;
                    self.respond(None);
                }
                Ok(Recv::Finished) => self.stop = true,
                Err(e) => {
                    self.outs.push(Out::from_error(e));
                    if self.conn.role() == Role::Server {
                        // The one response allowed after an error.
                        self.respond(Some(e.kind().status()));
                        // The error is reported once; then the end.
                        assert_eq!(
                            self.conn.poll_event(),
                            Ok(Recv::Finished),
                            "no end after the error response"
                        );
                    }
                    self.stop = true;
                }
            }
        }
    }

    fn receive(&mut self, piece: &[u8]) {
        self.conn.receive(piece);
        self.drive();
    }

    fn finish(mut self) -> Trace {
        if !self.stop {
            self.conn.receive_eof();
            self.watch.saw_eof();
            self.drive();
        }
        Trace {
            outs: self.outs,
            sent: self.sent,
            persist: self.conn.persist(),
        }
    }
}

/// Feeds `input` in pieces of the given lengths (the last piece takes the
/// rest; zero lengths are skipped), polling after each, then end of input.
/// Every poll goes through a [`Watch`].
pub fn feed_pieces(peer: &Peer, config: &Config, input: &[u8], pieces: &[usize]) -> Trace {
    let mut f = Fed::new(peer, config);
    f.drive();
    let mut rest = input;
    for &n in pieces {
        if f.stop || rest.is_empty() {
            break;
        }
        let n = n.min(rest.len());
        if n == 0 {
            continue;
        }
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        f.receive(piece);
    }
    if !f.stop && !rest.is_empty() {
        f.receive(rest);
        rest = &[];
    }
    // Bytes after a protocol switch belong to the new protocol: those not
    // handed in yet count into the leftover, as if received before.
    if let Some(Out::Switched { leftover, .. }) = f.outs.last_mut() {
        leftover.extend_from_slice(rest);
    }
    f.finish()
}

/// Split invariance: feeding `input` whole, in `pieces`, and one byte at a
/// time gives the same trace. Returns the whole-input trace.
#[track_caller]
pub fn check_split_invariance(
    peer: &Peer,
    config: &Config,
    input: &[u8],
    pieces: &[usize],
) -> Trace {
    let whole = feed_pieces(peer, config, input, &[input.len()]);
    let split = feed_pieces(peer, config, input, pieces);
    assert_eq!(
        whole,
        split,
        "whole vs pieces {pieces:?} differ for \"{}\"",
        input.escape_ascii()
    );
    let bytewise = feed_pieces(peer, config, input, &vec![1; input.len()]);
    assert_eq!(
        whole,
        bytewise,
        "whole vs bytewise differ for \"{}\"",
        input.escape_ascii()
    );
    whole
}

// ---------------------------------------------------------------------
// Fuzz input layouts (shared so the corpus replays identically)

/// A small reader over fuzz input: every read succeeds (zeros when empty).
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }

    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }

    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.0.len())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A configuration chosen by one byte: the defaults, small limits (so the
/// fuzzer reaches every limit), and each leniency.
pub fn config_from(b: u8) -> Config {
    let mut c = Config::default();
    if b & 1 != 0 {
        c.max_head_len = 256;
        c.max_headers = 8;
        c.max_target_len = 64;
        c.max_chunk_ext_len = 16;
        c.max_trailers_len = 64;
        c.max_body_len = Some(64);
    }
    c.allow_bare_lf = b & 2 != 0;
    c.allow_obs_fold_in_requests = b & 4 != 0;
    c
}

/// Layout of `server_bytes` / `client_bytes` input: a config byte, a peer
/// byte, a piece count `n` (mod 16), `n` piece lengths, then the bytes
/// fed to the machine.
pub struct BytesCase<'a> {
    pub config: Config,
    pub peer: Peer,
    pub pieces: Vec<usize>,
    pub input: &'a [u8],
}

const STATUSES: [u16; 8] = [200, 204, 304, 101, 100, 404, 500, 200];
const METHODS: [&str; 6] = ["GET", "HEAD", "CONNECT", "POST", "OPTIONS", "GET"];

pub fn bytes_case(role: Role, data: &[u8]) -> BytesCase<'_> {
    let mut r = Reader(data);
    let config = config_from(r.u8());
    let p = r.u8();
    let peer = match role {
        Role::Server => {
            let status = STATUSES[usize::from(p & 7)];
            let mut headers = Vec::new();
            let mut body = Vec::new();
            if p & 8 != 0 && status != 204 && status != 101 && status / 100 != 1 {
                headers.push(("Content-Length".to_owned(), "2".to_owned()));
                body = b"ok".to_vec();
            } else if p & 16 != 0 {
                body = b"streamed".to_vec();
            }
            if p & 32 != 0 {
                headers.push(("Connection".to_owned(), "close".to_owned()));
            }
            if p & 64 != 0 {
                headers.push(("Upgrade".to_owned(), "x".to_owned()));
                headers.push(("Connection".to_owned(), "upgrade".to_owned()));
            }
            Peer::Server {
                status,
                headers,
                body,
            }
        }
        Role::Client => {
            let reqs = (0..3)
                .map(|i| {
                    let sel = p.rotate_left(i * 3);
                    let method = METHODS[usize::from(sel & 7) % METHODS.len()].to_owned();
                    let version = if sel & 8 != 0 {
                        Version::Http10
                    } else {
                        Version::Http11
                    };
                    let mut extra = Vec::new();
                    if sel & 16 != 0 {
                        extra.push(("Connection".to_owned(), "keep-alive, upgrade".to_owned()));
                        extra.push(("Upgrade".to_owned(), "x".to_owned()));
                    }
                    (method, version, extra)
                })
                .collect();
            Peer::Client(reqs)
        }
    };
    let n = usize::from(r.u8() & 15);
    let pieces = (0..n).map(|_| usize::from(r.u8())).collect();
    BytesCase {
        config,
        peer,
        pieces,
        input: r.rest(),
    }
}

/// The `server_bytes` / `client_bytes` check.
pub fn run_bytes(role: Role, data: &[u8]) {
    let case = bytes_case(role, data);
    check_split_invariance(&case.peer, &case.config, case.input, &case.pieces);
}

/// The fixed head of the `chunked` target: a request whose body is
/// chunked, so everything after it goes to the chunked decoder.
pub const CHUNKED_PREFIX: &[u8] =
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

/// The `chunked` check: a config byte, a piece count and lengths, then a
/// chunked body. Besides split invariance, the decoded data is checked
/// against an independent whole-input decoder.
pub fn run_chunked(data: &[u8]) {
    let mut r = Reader(data);
    let config = config_from(r.u8());
    let n = usize::from(r.u8() & 15);
    let pieces: Vec<usize> = (0..n).map(|_| usize::from(r.u8())).collect();
    let body = r.rest();
    let mut input = CHUNKED_PREFIX.to_vec();
    input.extend_from_slice(body);
    let peer = Peer::Server {
        status: 200,
        headers: vec![("Content-Length".to_owned(), "0".to_owned())],
        body: Vec::new(),
    };
    let mut p = vec![CHUNKED_PREFIX.len()];
    p.extend_from_slice(&pieces);
    let trace = check_split_invariance(&peer, &config, &input, &p);
    // The decoded data must equal what a plain reading of the chunk sizes
    // gives, up to the first error.
    let mut got = Vec::new();
    let mut ended = false;
    for o in &trace.outs {
        match o {
            Out::Data(d) => got.extend_from_slice(d),
            Out::End(_) => {
                ended = true;
                break;
            }
            _ => {}
        }
    }
    if config.allow_bare_lf {
        // The reference reader is strict about CRLF.
        return;
    }
    let reference = simple_chunked(body);
    match reference {
        Some((data, _)) if ended => {
            assert_eq!(got, data, "chunked data differs from the reference")
        }
        _ if ended => {
            panic!(
                "decoder accepted a body the reference rejects: \"{}\"",
                body.escape_ascii()
            )
        }
        // Rejected or incomplete: whatever was delivered is a prefix of
        // the chunks' data, read the same way.
        _ => {
            let prefix = simple_chunked_prefix(body);
            assert!(
                prefix.starts_with(&got),
                "delivered data is not a prefix of the chunk data"
            );
        }
    }
}

/// A deliberately simple strict chunked reader (RFC 9112 §7.1), whole
/// input at once: `Some((data, consumed))` for a complete valid body with
/// an empty trailer section or field-like trailer lines.
fn simple_chunked(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut data = Vec::new();
    let mut i = 0;
    loop {
        let line_end = find_crlf(body, i)?;
        let line = &body[i..line_end];
        let size = hex(line)?;
        i = line_end + 2;
        if size == 0 {
            // Trailer lines up to an empty line.
            loop {
                let e = find_crlf(body, i)?;
                if e == i {
                    return Some((data, e + 2));
                }
                i = e + 2;
            }
        }
        let size = usize::try_from(size).ok()?;
        let end = i.checked_add(size)?;
        if end + 2 > body.len() || &body[end..end + 2] != b"\r\n" {
            return None;
        }
        data.extend_from_slice(&body[i..end]);
        i = end + 2;
    }
}

/// The chunk data of `body` up to where a strict or lenient reading could
/// first disagree: the data of every chunk whose size is readable, each
/// cut to what is present.
fn simple_chunked_prefix(body: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let Some(nl) = body[i..].iter().position(|&b| b == b'\n').map(|p| p + i) else {
            break;
        };
        let line = &body[i..nl];
        let Some(size) = hex(line) else {
            break;
        };
        if size == 0 {
            break;
        }
        let start = nl + 1;
        let end = start
            .saturating_add(usize::try_from(size).unwrap_or(usize::MAX))
            .min(body.len());
        data.extend_from_slice(&body[start..end]);
        // Skip CRLF (or bare LF) after the data.
        i = end;
        if body.get(i) == Some(&b'\r') {
            i += 1;
        }
        if body.get(i) == Some(&b'\n') {
            i += 1;
        } else {
            break;
        }
    }
    data
}

/// The leading hex digits of `line` as a number; `None` if there are none
/// or they overflow 64 bits.
fn hex(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit());
    let mut n: Option<u64> = None;
    for &d in digits {
        let v = u64::from((d as char).to_digit(16)?);
        n = Some(n.unwrap_or(0).checked_mul(16)?.checked_add(v)?);
    }
    n
}

fn find_crlf(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}

// ---------------------------------------------------------------------
// pair_ops: a client and a server driven by a list of operations

/// One step of a client ↔ server conversation. Indexes pick from small
/// tables so most generated values are meaningful.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `send_request` with the method, target and fields picked.
    Request {
        method: u8,
        target: u8,
        http10: bool,
        fields: Vec<(u8, u8)>,
    },
    /// `send_response` with the status and fields picked.
    Response {
        status: u8,
        fields: Vec<(u8, u8)>,
    },
    /// `send_data` of this many bytes on the client / server.
    ClientData(u8),
    ServerData(u8),
    /// `send_end`, with one trailer field if `true`.
    ClientEnd(bool),
    ServerEnd(bool),
    /// Deliver up to this many pending bytes (0: all) to the server /
    /// client.
    ToServer(u8),
    ToClient(u8),
    /// The client / server closes its sending side (after delivering what
    /// it sent): the other side sees end of input.
    ClientEof,
    ServerEof,
    /// Moves the simulated clock by this many milliseconds. Nothing reads
    /// the clock yet; timers hook in at [`Pair::advance`].
    Advance(u16),
}

pub const OP_METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "CONNECT", "OPTIONS", "PUT", "DELETE", "GET",
];
pub const OP_TARGETS: [&str; 4] = ["/", "/a?b=c", "*", "example:443"];
pub const OP_STATUSES: [u16; 12] = [200, 204, 304, 101, 100, 103, 404, 500, 201, 200, 302, 200];
pub const OP_NAMES: [&str; 12] = [
    "Host",
    "Connection",
    "connection",
    "Content-Length",
    "Transfer-Encoding",
    "Expect",
    "Upgrade",
    "X-Custom",
    "CONNECTION",
    "content-length",
    "Keep-Alive",
    "Trailer",
];
pub const OP_VALUES: [&str; 12] = [
    "example",
    "close",
    "keep-alive",
    "upgrade, keep-alive",
    "chunked",
    "5",
    "0",
    "100-continue",
    "x",
    "Close",
    "gzip, chunked",
    "timeout=5",
];

/// Decodes an operation list: one byte picks the operation, the next ones
/// its arguments. Total on every input (short input reads zeros).
pub fn decode_ops(data: &[u8]) -> Vec<Op> {
    let mut r = Reader(data);
    let mut ops = Vec::new();
    while !r.is_empty() && ops.len() < 256 {
        let op = match r.u8() % 11 {
            0 => {
                let m = r.u8();
                let n = usize::from(r.u8() % 6);
                let fields = (0..n).map(|_| (r.u8(), r.u8())).collect();
                Op::Request {
                    method: m & 7,
                    target: (m >> 3) & 3,
                    http10: m & 0x80 != 0,
                    fields,
                }
            }
            1 => {
                let status = r.u8();
                let n = usize::from(r.u8() % 6);
                let fields = (0..n).map(|_| (r.u8(), r.u8())).collect();
                Op::Response { status, fields }
            }
            2 => Op::ClientData(r.u8()),
            3 => Op::ServerData(r.u8()),
            4 => Op::ClientEnd(r.u8() & 1 != 0),
            5 => Op::ServerEnd(r.u8() & 1 != 0),
            6 => Op::ToServer(r.u8()),
            7 => Op::ToClient(r.u8()),
            8 => Op::ClientEof,
            9 => Op::ServerEof,
            _ => Op::Advance(r.u16()),
        };
        ops.push(op);
    }
    ops
}

/// The inverse of [`decode_ops`], for writing seed corpus files.
pub fn encode_ops(ops: &[Op]) -> Vec<u8> {
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Request {
                method,
                target,
                http10,
                fields,
            } => {
                out.push(0);
                out.push(method | target << 3 | if *http10 { 0x80 } else { 0 });
                out.push(fields.len() as u8);
                for (n, v) in fields {
                    out.extend([*n, *v]);
                }
            }
            Op::Response { status, fields } => {
                out.extend([1, *status, fields.len() as u8]);
                for (n, v) in fields {
                    out.extend([*n, *v]);
                }
            }
            Op::ClientData(n) => out.extend([2, *n]),
            Op::ServerData(n) => out.extend([3, *n]),
            Op::ClientEnd(t) => out.extend([4, u8::from(*t)]),
            Op::ServerEnd(t) => out.extend([5, u8::from(*t)]),
            Op::ToServer(n) => out.extend([6, *n]),
            Op::ToClient(n) => out.extend([7, *n]),
            Op::ClientEof => out.push(8),
            Op::ServerEof => out.push(9),
            Op::Advance(ms) => out.extend([10, (ms >> 8) as u8, *ms as u8]),
        }
    }
    out
}

fn pick_fields(fields: &[(u8, u8)]) -> Vec<Header<'static>> {
    fields
        .iter()
        .map(|&(n, v)| {
            Header::new(
                OP_NAMES[usize::from(n) % OP_NAMES.len()],
                OP_VALUES[usize::from(v) % OP_VALUES.len()],
            )
        })
        .collect()
}

/// One side of a [`Pair`] under a [`Watch`], with its event log.
#[derive(Debug)]
struct Side {
    watch: Watch,
    /// Whether this side's peer closed its sending side (it received EOF).
    eof: bool,
    /// Method of the request being answered (server role).
    method: Option<String>,
}

impl Side {
    fn poll(&mut self, conn: &mut Connection) {
        for _ in 0..10_000 {
            if self.watch.is_over() {
                // One more poll checks that the end is sticky.
                let _ = self.watch.poll(conn);
                return;
            }
            match self.watch.poll(conn) {
                Ok(Recv::Event(e)) => {
                    if let Event::Request(h) = &e {
                        self.method = Some(h.method().to_owned());
                    }
                }
                Ok(_) | Err(_) => return,
            }
        }
        panic!("poll_event never stopped");
    }
}

/// Runs `ops` on a fresh [`Pair`] and checks, after every step, both
/// machines' event contracts ([`Watch`]), that a refused command writes
/// nothing, and at the end that client and server agree on every
/// exchange's keep-alive verdict (unless a side's verdict is `PeerClosed`:
/// a half-close is only visible to the side that received it).
pub fn run_pair_ops(ops: &[Op]) {
    let config = Config::default();
    let mut pair = Pair::with_configs(config.clone(), config.clone());
    let mut client = Side {
        watch: Watch::new(Role::Client, &config),
        eof: false,
        method: None,
    };
    let mut server = Side {
        watch: Watch::new(Role::Server, &config),
        eof: false,
        method: None,
    };
    let data = Bytes::from(vec![b'x'; 255]);
    for op in ops {
        match op {
            Op::Request {
                method,
                target,
                http10,
                fields,
            } => {
                let m = OP_METHODS[usize::from(*method) % OP_METHODS.len()];
                let t = OP_TARGETS[usize::from(*target) % OP_TARGETS.len()];
                let h = pick_fields(fields);
                let req = Request {
                    version: if *http10 {
                        Version::Http10
                    } else {
                        Version::Http11
                    },
                    ..Request::new(m, t, &h)
                };
                let before = pair.to_server.len();
                match pair.client.send_request(&req, &mut pair.to_server) {
                    Ok(()) => client.watch.sent_request(m),
                    Err(e) => refused(e, before, pair.to_server.len()),
                }
            }
            Op::Response { status, fields } => {
                let s = OP_STATUSES[usize::from(*status) % OP_STATUSES.len()];
                let h = pick_fields(fields);
                let before = pair.to_client.len();
                match pair
                    .server
                    .send_response(&Response::new(s, &h), &mut pair.to_client)
                {
                    Ok(()) => server.watch.sent_response(s, server.method.as_deref()),
                    Err(e) => refused(e, before, pair.to_client.len()),
                }
            }
            Op::ClientData(n) => {
                let before = pair.to_server.len();
                if let Err(e) = pair
                    .client
                    .send_data(data.slice(..usize::from(*n)), &mut pair.to_server)
                {
                    refused(e, before, pair.to_server.len());
                }
            }
            Op::ServerData(n) => {
                let before = pair.to_client.len();
                if let Err(e) = pair
                    .server
                    .send_data(data.slice(..usize::from(*n)), &mut pair.to_client)
                {
                    refused(e, before, pair.to_client.len());
                }
            }
            Op::ClientEnd(t) | Op::ServerEnd(t) => {
                let trailers = if *t {
                    vec![Header::new("X-Trailer", "1")]
                } else {
                    vec![]
                };
                let (conn, out, side) = if matches!(op, Op::ClientEnd(_)) {
                    (&mut pair.client, &mut pair.to_server, &mut client)
                } else {
                    (&mut pair.server, &mut pair.to_client, &mut server)
                };
                let before = out.len();
                match conn.send_end(&trailers, out) {
                    Ok(()) => side.watch.sent_end(),
                    Err(e) => refused(e, before, out.len()),
                }
            }
            Op::ToServer(n) => {
                let n = deliverable(&pair.to_server, *n);
                let b = pair.to_server.copy_to_bytes(n);
                if !server.eof {
                    pair.server.receive(&b);
                }
            }
            Op::ToClient(n) => {
                let n = deliverable(&pair.to_client, *n);
                let b = pair.to_client.copy_to_bytes(n);
                if !client.eof {
                    pair.client.receive(&b);
                }
            }
            Op::ClientEof => {
                if !server.eof {
                    let b = pair.to_server.copy_to_bytes(pair.to_server.remaining());
                    pair.server.receive(&b);
                    pair.server.receive_eof();
                    server.eof = true;
                    server.watch.saw_eof();
                }
            }
            Op::ServerEof => {
                if !client.eof {
                    let b = pair.to_client.copy_to_bytes(pair.to_client.remaining());
                    pair.client.receive(&b);
                    pair.client.receive_eof();
                    client.eof = true;
                    client.watch.saw_eof();
                }
            }
            Op::Advance(ms) => {
                // Milliseconds scaled by 16 reach every default timeout
                // (1 s to 75 s) within a few steps.
                let _ = pair.advance(std::time::Duration::from_millis(u64::from(*ms) * 16));
            }
        }
        // A side whose peer closed discards what is sent to it afterwards.
        if server.eof {
            pair.to_server.clear();
        }
        if client.eof {
            pair.to_client.clear();
        }
        server.poll(&mut pair.server);
        client.poll(&mut pair.client);
    }
    check_agreement(&client, &server);
}

fn deliverable(buf: &SendBuf, n: u8) -> usize {
    if n == 0 {
        buf.remaining()
    } else {
        usize::from(n).min(buf.remaining())
    }
}

#[track_caller]
fn refused(e: SendError, before: usize, after: usize) {
    assert_eq!(before, after, "refused command ({e:?}) wrote bytes");
}

fn check_agreement(client: &Side, server: &Side) {
    let c = &client.watch.verdicts;
    let s = &server.watch.verdicts;
    for (i, (cv, sv)) in c.iter().zip(s).enumerate() {
        let half_closed = [cv, sv]
            .iter()
            .any(|v| matches!(v, Persist::Close(keepalive::CloseReason::PeerClosed)));
        // A response that ends before its request, with a remainder the
        // server will not drain, closes at its end (issue 11: full duplex
        // keeps the head open); the client, told nothing, learns it from
        // the close that follows. Only that server reason may differ.
        let unread_at_end =
            cv.is_keep_alive() && matches!(sv, Persist::Close(keepalive::CloseReason::UnreadBody));
        if !half_closed && !unread_at_end {
            assert_eq!(
                cv.is_keep_alive(),
                sv.is_keep_alive(),
                "exchange {i}: client says {cv:?}, server says {sv:?}"
            );
        }
    }
}
