//! The single-connection feeder: one machine fed bytes (whole, one byte at
//! a time, or in any partition) while the harness plays the other side
//! from a [`Script`]. Every poll goes through a [`Watch`], so each
//! conformance row, property case and fuzz input is also checked against
//! the event contract. The result is a [`Trace`], compared across splits
//! and against expected [`Out::line`]s.

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Event, Header, Persist, Recv, Request, Response, Role, SendBuf, SendError,
    Version,
};

use crate::out::{esc, push_merged, Out};
use crate::watch::Watch;

/// What the server side answers each request with (the machine frames it).
#[derive(Debug, Clone)]
pub struct AutoResponse {
    /// Status of the answer. An interim status (1xx but 101) is followed
    /// by a final `200` with the same fields.
    pub status: u16,
    /// Fields of the answer. `Content-Length` is left out of a 2xx to
    /// CONNECT (RFC 9110 §8.6: the tunnel starts right after the head).
    pub headers: Vec<(String, String)>,
    /// Body of the answer.
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

/// Owned `(name, value)` field pairs.
pub type FieldPairs = Vec<(String, String)>;

/// A request a scripted client sends: method, version, fields besides
/// `Host: example` (target `/`, `example:443` for CONNECT, no body).
pub type ScriptedRequest = (String, Version, FieldPairs);

/// Which machine is fed and how the harness plays the other side.
#[derive(Debug, Clone)]
pub enum Script {
    /// Feed requests to a server; answer each finished request with this,
    /// and a request the machine refuses with the status its error names.
    Server(AutoResponse),
    /// Feed responses to a client that sends these requests in turn, the
    /// next one when the previous exchange ends with keep-alive.
    Client(Vec<ScriptedRequest>),
}

/// A server answering `200` + `Content-Length: 0`.
pub fn server() -> Script {
    Script::Server(AutoResponse::default())
}

/// A client sending HTTP/1.1 requests with `methods`, one per exchange.
pub fn client(methods: &[&str]) -> Script {
    Script::Client(
        methods
            .iter()
            .map(|m| ((*m).to_owned(), Version::Http11, Vec::new()))
            .collect(),
    )
}

/// The normalized result of feeding one input to one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Events with consecutive data merged, then the error if any, and the
    /// harness's own refused sends.
    pub outs: Vec<Out>,
    /// Everything the harness sent on the fed machine's behalf.
    pub sent: Vec<u8>,
    /// `persist()` at the end.
    pub persist: Persist,
}

impl Trace {
    /// The outcomes as [`Out::line`]s.
    pub fn lines(&self) -> Vec<String> {
        self.outs.iter().map(Out::line).collect()
    }
}

struct Feeder {
    conn: Connection,
    watch: Watch,
    script: Script,
    next_request: usize,
    out: SendBuf,
    sent: Vec<u8>,
    outs: Vec<Out>,
    /// The method of the request being answered (server role).
    method: Option<String>,
    /// The current request was answered (server role).
    answered: bool,
    done: bool,
}

impl Feeder {
    fn new(script: &Script, config: &Config) -> Self {
        let role = match script {
            Script::Server(_) => Role::Server,
            Script::Client(_) => Role::Client,
        };
        // A client's input is a recorded server stream: every response is
        // buffered before the request it answers is sent. A live client
        // rightly refuses that as stale (RFC 9112 §6.3, tested in
        // tests/rfc9112_9_1_stale_connections.rs); replay mode accepts it.
        let mut config = config.clone();
        config.replay_buffered_responses |= role == Role::Client;
        let mut f = Self {
            watch: Watch::new(role, &config),
            conn: Connection::new(role, config),
            script: script.clone(),
            next_request: 0,
            out: SendBuf::new(),
            sent: Vec::new(),
            outs: Vec::new(),
            method: None,
            answered: false,
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
    fn send_next_request(&mut self) {
        let Script::Client(requests) = &self.script else {
            return;
        };
        let Some((method, version, extra)) = requests.get(self.next_request).cloned() else {
            return;
        };
        self.next_request += 1;
        let target = if method == "CONNECT" {
            "example:443"
        } else {
            "/"
        };
        let mut headers = vec![Header::new("Host", "example")];
        headers.extend(extra.iter().map(|(n, v)| Header::new(n, v)));
        let req = Request {
            version,
            ..Request::new(&method, target, &headers)
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
            self.fail_send(e);
        }
    }

    /// Server script: answers the request being received, with `status`
    /// instead of the script's if given.
    fn respond(&mut self, status: Option<u16>) {
        let Script::Server(auto) = &self.script else {
            return;
        };
        let auto = auto.clone();
        let status = status.unwrap_or(auto.status);
        let method = self.method.clone();
        let tunnel = (200..300).contains(&status) && method.as_deref() == Some("CONNECT");
        let headers: Vec<Header<'_>> = auto
            .headers
            .iter()
            .filter(|(n, _)| !(tunnel && n.eq_ignore_ascii_case("content-length")))
            .map(|(n, v)| Header::new(n, v))
            .collect();
        let mut r = self
            .conn
            .send_response(&Response::new(status, &headers), &mut self.out);
        if r.is_ok() {
            self.watch.sent_response(status, method.as_deref());
            if (100..200).contains(&status) && status != 101 {
                // An interim answer, then the final one.
                self.flush();
                return self.respond(Some(200));
            }
        }
        // A switching answer (2xx to CONNECT, 101) ends with its head.
        if r.is_ok() && !self.switched_after_head() {
            if !auto.body.is_empty() {
                r = self
                    .conn
                    .send_data(Bytes::from(auto.body.clone()), &mut self.out);
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
        while !self.done {
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
                        self.send_next_request();
                    }
                }
                // After end of input the watch has already refused this.
                Ok(Recv::NeedData) => return,
                Ok(Recv::Paused) => {
                    // Answer each request once, however often the machine
                    // pauses before more input.
                    if self.answered || self.conn.role() == Role::Client {
                        if after_eof {
                            self.outs.push(Out::Stuck("paused"));
                            self.done = true;
                        }
                        return;
                    }
                    self.answered = true;
                    self.respond(None);
                }
                Ok(Recv::Finished) => self.done = true,
                Err(e) => {
                    self.outs.push(Out::from_error(e));
                    if self.conn.role() == Role::Server && !self.answered {
                        // The one response allowed after an error.
                        self.answered = true;
                        self.respond(Some(e.kind().status()));
                        // The error is reported once; then the end.
                        assert_eq!(
                            self.conn.poll_event(),
                            Ok(Recv::Finished),
                            "no end after the error response"
                        );
                    }
                    self.done = true;
                }
            }
        }
    }

    fn receive(&mut self, piece: &[u8]) {
        self.conn.receive(piece);
        self.drive(false);
    }

    fn finish(mut self) -> Trace {
        if !self.done {
            self.conn.receive_eof();
            self.watch.saw_eof();
            self.drive(true);
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
pub fn feed_pieces(script: &Script, config: &Config, input: &[u8], pieces: &[usize]) -> Trace {
    let mut f = Feeder::new(script, config);
    f.drive(false);
    let mut rest = input;
    for &n in pieces {
        if f.done || rest.is_empty() {
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
    if !f.done && !rest.is_empty() {
        f.receive(rest);
        rest = &[];
    }
    // After a switch, later bytes are the caller's: a real caller reads them
    // straight from the socket. Counting them into `leftover` makes the
    // tunnel's byte stream comparable however the input was split.
    if let Some(Out::Switched { leftover, .. }) = f.outs.last_mut() {
        leftover.extend_from_slice(rest);
    }
    f.finish()
}

/// Feeds `input` in one `receive` call, then end of input.
pub fn feed_whole(script: &Script, config: &Config, input: &[u8]) -> Trace {
    feed_pieces(script, config, input, &[input.len()])
}

/// Feeds `input` one byte at a time (polling until the machine waits
/// after each byte), then end of input.
pub fn feed_bytewise(script: &Script, config: &Config, input: &[u8]) -> Trace {
    feed_split(script, config, input, 1)
}

/// Feeds `input` in pieces of `step` bytes, then end of input.
pub fn feed_split(script: &Script, config: &Config, input: &[u8], step: usize) -> Trace {
    let step = step.max(1);
    feed_pieces(
        script,
        config,
        input,
        &vec![step; input.len().div_ceil(step)],
    )
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

/// Split invariance: feeding `input` whole, in `pieces`, and one byte at a
/// time gives the same trace. Returns the whole-input trace.
#[track_caller]
pub fn check_split_invariance(
    script: &Script,
    config: &Config,
    input: &[u8],
    pieces: &[usize],
) -> Trace {
    let whole = feed_whole(script, config, input);
    let split = feed_pieces(script, config, input, pieces);
    assert_eq!(
        whole,
        split,
        "whole vs pieces {pieces:?} differ for \"{}\"",
        esc(input)
    );
    let bytewise = feed_bytewise(script, config, input);
    assert_eq!(
        whole,
        bytewise,
        "whole vs bytewise differ for \"{}\"",
        esc(input)
    );
    whole
}
