//! Normalized outcomes: what a poll produced, owned and comparable.
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

use std::fmt::Write as _;

use keepalive::{
    BodyLength, CloseReason, Event, Headers, Persist, RecvError, RecvErrorKind, Role, SendError,
    SwitchKind, Version,
};

/// Owned field list: (name as received, value).
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// One normalized outcome of polling a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// A request head.
    Request {
        /// Method, as received.
        method: String,
        /// Request target, as received.
        target: String,
        /// HTTP version of the head.
        version: Version,
        /// Framing the machine decided.
        body: BodyLength,
        /// Header fields, in order.
        headers: Fields,
    },
    /// An interim (1xx) response head.
    Informational {
        /// Status code.
        status: u16,
        /// Header fields, in order.
        headers: Fields,
    },
    /// A final response head, or 101.
    Response {
        /// Status code.
        status: u16,
        /// HTTP version of the head.
        version: Version,
        /// Framing the machine decided.
        body: BodyLength,
        /// Header fields, in order.
        headers: Fields,
    },
    /// Body bytes, consecutive pieces merged.
    Data(Vec<u8>),
    /// End of message, with its trailer fields.
    End(Fields),
    /// The exchange ended with this verdict.
    Cycle(Persist),
    /// The connection switched protocols.
    Switched {
        /// Upgrade or CONNECT tunnel.
        kind: SwitchKind,
        /// Bytes after the switch, the new protocol's.
        leftover: Vec<u8>,
    },
    /// The peer closed the connection cleanly.
    Closed,
    /// The machine refused what it received.
    Error {
        /// What was wrong.
        kind: RecvErrorKind,
        /// The status a server answers with (none for a client).
        status: Option<u16>,
    },
    /// The harness's own send (auto-response, next request) was refused.
    SendFailed(SendError),
    /// After end of input the machine still asked for data or paused.
    Stuck(&'static str),
}

/// Owned copy of `h`, in order.
pub fn fields(h: &Headers) -> Fields {
    h.iter()
        .map(|f| (f.name.to_vec(), f.value.to_vec()))
        .collect()
}

impl Out {
    /// The owned form of an event.
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

    /// The owned form of a receive error.
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
