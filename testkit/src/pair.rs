//! [`Pair`]: a client and a server machine joined by in-memory pipes, so
//! every send is checked by the other side's parser; and poll helpers for
//! tests that drive one machine by hand.

use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Event, Expired, Header, Recv, RecvErrorKind, Request, Response, Role,
    SendBuf, SendError,
};

use crate::out::{push_merged, Out};

/// How a poll loop stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `Recv::NeedData`.
    NeedData,
    /// `Recv::Paused`.
    Paused,
    /// `Recv::Finished`.
    Finished,
    /// A receive error of this kind.
    Error(RecvErrorKind),
}

impl Stop {
    /// One-line form, as `poll_lines` ends with.
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
    /// The client machine.
    pub client: Connection,
    /// The server machine.
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
    /// Both sides with the default configuration.
    pub fn new() -> Self {
        Self::with_configs(Config::default(), Config::default())
    }

    /// Each side with its own configuration.
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

    /// Client: sends a request head without ending it.
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

    /// Sends a request head announcing a body of `len` bytes with
    /// `Expect: 100-continue`; the body is left to the test.
    pub fn expect_100(&mut self, method: &str, target: &str, len: &str) {
        let h = [
            ("Host", "a"),
            ("Content-Length", len),
            ("Expect", "100-continue"),
        ];
        self.request(method, target, &h).unwrap();
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

    /// Client: sends body bytes.
    pub fn client_data(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.client
            .send_data(Bytes::copy_from_slice(data), &mut self.to_server)
    }

    /// Client: ends the request.
    pub fn client_end(&mut self) -> Result<(), SendError> {
        self.client.send_end(&[], &mut self.to_server)
    }

    /// Client: ends the request with trailer fields.
    pub fn client_end_with(&mut self, trailers: &[(&str, &str)]) -> Result<(), SendError> {
        let t = hdrs(trailers);
        self.client.send_end(&t, &mut self.to_server)
    }

    // -- server commands

    /// Server: sends a response head without ending it.
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

    /// Server: sends body bytes.
    pub fn server_data(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.server
            .send_data(Bytes::copy_from_slice(data), &mut self.to_client)
    }

    /// Server: ends the response.
    pub fn server_end(&mut self) -> Result<(), SendError> {
        self.server.send_end(&[], &mut self.to_client)
    }

    /// Server: ends the response with trailer fields.
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

    /// Takes the bytes the server has sent but not yet delivered, for a
    /// test that delivers them itself (late, split, or not at all).
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
