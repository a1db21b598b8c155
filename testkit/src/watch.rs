//! [`Watch`]: the event contract, checked on every poll of one machine.
//!
//! Every check panics with a message naming the broken contract; a panic
//! is what libFuzzer reports as a crash.

use std::collections::VecDeque;

use keepalive::{Config, Connection, Event, Persist, Recv, RecvError, Role};

/// Watches one connection's `poll_event` results and the commands sent on
/// it, and panics when a result breaks the event contract:
///
/// - no event after an error (every later poll repeats the error);
/// - `Data` and `End` only inside a message whose head was delivered;
/// - one final head per exchange, and only the role's kind of head;
/// - a pipelining client (`Config::max_pipeline` above 1) sends a request
///   behind an outstanding one only once that one's body ended, never more
///   than `max_pipeline` outstanding, and each later exchange is its own
///   (its request's method frames its response);
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
    /// The watched machine's role.
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
    /// Client, pipelining: requests sent behind this exchange's, oldest
    /// first, with whether each ended.
    pipelined: VecDeque<(String, bool)>,
    max_pipeline: usize,
    eof: bool,
    /// Keep-alive verdicts, one per exchange, in order.
    pub verdicts: Vec<Persist>,
}

impl Watch {
    /// A watch for a fresh machine in `role` with `config`.
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
            pipelined: VecDeque::new(),
            max_pipeline: config.max_pipeline.max(1) as usize,
            eof: false,
            verdicts: Vec::new(),
        }
    }

    /// The error the machine reported, if any.
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
        if self.sent_head && self.max_pipeline > 1 {
            let newest_done = self.pipelined.back().map_or(self.sent_done, |q| q.1);
            assert!(newest_done, "a request pipelined behind an unfinished body");
            let outstanding = usize::from(!self.recv_done) + self.pipelined.len();
            assert!(
                outstanding < self.max_pipeline,
                "more than max_pipeline requests outstanding"
            );
            self.pipelined.push_back((method.to_owned(), false));
            return;
        }
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
        if let Some(newest) = self.pipelined.back_mut() {
            assert!(!newest.1, "send_end accepted twice for a pipelined request");
            newest.1 = true;
            return;
        }
        assert!(self.sent_head, "send_end accepted before a head");
        assert!(!self.sent_done, "send_end accepted twice in one exchange");
        self.sent_done = true;
    }

    /// Polls `conn` once and checks the result against the contract.
    #[track_caller]
    pub fn poll(&mut self, conn: &mut Connection) -> Result<Recv, RecvError> {
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
                // Issue 11: every ending is reported before the end.
                panic!(
                    "Finished without Closed, Switched, Cycle(Close) or an error ({:?})",
                    conn.persist()
                );
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
                if p.is_keep_alive() {
                    // The oldest pipelined request's exchange begins.
                    if let Some((method, done)) = self.pipelined.pop_front() {
                        self.sent_head = true;
                        self.sent_done = done;
                        self.method = Some(method);
                    }
                }
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
