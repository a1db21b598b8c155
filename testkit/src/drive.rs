//! The benchmark drivers: the loops `benches/` time and count, and
//! `tests/alloc_budget.rs` holds to budgets, so every figure in
//! `BENCHMARKS.md` talks about the same code. Each driver returns a
//! [`Tally`] so the work cannot be optimized away and tests can check it.

use std::hint::black_box;
use std::mem::MaybeUninit;

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Event, Header, Persist, Recv, Request, Response, Role, SendBuf,
};

use crate::corpora::{Corpus, PIECE};

/// What draining a stream saw; returned so the work cannot be optimized
/// away and so tests can check it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Messages whose end was seen.
    pub messages: usize,
    /// Body bytes delivered, framing removed.
    pub body_bytes: usize,
    /// Exchanges that ended with the connection kept open.
    pub keep_alive_cycles: usize,
    /// Reads after which nothing was left buffered: the connection went
    /// idle and released its receive buffer (re-created by the next read).
    pub idle_reads: usize,
    /// The last event ended an exchange (no message in flight).
    pub at_boundary: bool,
}

/// Writes everything queued, as a vectored socket write would: no copy.
pub fn flush(out: &mut SendBuf) {
    let n = out.remaining();
    out.advance(n);
}

/// The cheapest legal reply, so a server may read the next pipelined
/// request: `HTTP/1.1 204 No Content` and the end of the message.
pub fn reply_204(conn: &mut Connection, out: &mut SendBuf) {
    conn.send_response(&Response::new(204, &[]), out)
        .expect("send 204");
    conn.send_end(&[], out).expect("end 204");
    flush(out);
}

const HOST_X: [Header<'static>; 1] = [Header::new("Host", "x")];

/// The request every client-role corpus answers: `GET / HTTP/1.1`.
pub fn send_get(conn: &mut Connection, out: &mut SendBuf) {
    conn.send_request(&Request::new("GET", "/", &HOST_X), out)
        .expect("send GET");
    conn.send_end(&[], out).expect("end GET");
    flush(out);
}

/// Polls until the machine wants bytes or a reply; counts what it saw.
/// With `reply_when_paused` (server) a pause is answered with
/// [`reply_204`] and polling goes on; otherwise (client) a pause ends it.
pub fn poll_until_blocked(
    conn: &mut Connection,
    out: &mut SendBuf,
    tally: &mut Tally,
    reply_when_paused: bool,
) {
    poll_until_blocked_with(conn, out, tally, reply_when_paused, reply_204)
}

/// [`poll_until_blocked`] with `reply` as the server's answer to each
/// request.
pub fn poll_until_blocked_with(
    conn: &mut Connection,
    out: &mut SendBuf,
    tally: &mut Tally,
    reply_when_paused: bool,
    mut reply: impl FnMut(&mut Connection, &mut SendBuf),
) {
    loop {
        match conn.poll_event() {
            Ok(Recv::Event(ev)) => match ev {
                Event::Request(h) => {
                    tally.at_boundary = false;
                    black_box(&h);
                }
                Event::Response(h) => {
                    tally.at_boundary = false;
                    black_box(&h);
                }
                Event::Data(d) => {
                    tally.body_bytes += d.len();
                    black_box(&d);
                }
                Event::End(t) => {
                    black_box(&t);
                    tally.messages += 1;
                }
                Event::Cycle(Persist::KeepAlive) => {
                    tally.keep_alive_cycles += 1;
                    tally.at_boundary = true;
                }
                other => panic!("unexpected event {other:?}"),
            },
            Ok(Recv::Paused) if reply_when_paused => reply(conn, out),
            Ok(Recv::Paused | Recv::NeedData) => return,
            other => panic!("unexpected poll result {other:?}"),
        }
    }
}

/// Server role: feeds `stream` in [`PIECE`]-sized reads and drains every
/// event, answering each request with [`reply_204`] (a server cannot read
/// the next pipelined request before it answers the current one).
pub fn server_drain(conn: &mut Connection, out: &mut SendBuf, stream: &[u8]) -> Tally {
    let mut tally = Tally::default();
    for piece in stream.chunks(PIECE) {
        conn.receive(piece);
        poll_until_blocked(conn, out, &mut tally, true);
        tally.idle_reads += usize::from(tally.at_boundary && conn.unread().is_empty());
    }
    tally
}

/// Client role: for each of `n` responses, sends `GET /`, then receives
/// the response in one read and drains it. A client cannot hold a second
/// response in its buffer before sending the request it answers (the
/// machine refuses such a stale connection), so each read carries one
/// message.
pub fn client_drain(conn: &mut Connection, out: &mut SendBuf, response: &[u8], n: usize) -> Tally {
    let mut tally = Tally::default();
    for _ in 0..n {
        send_get(conn, out);
        conn.receive(response);
        poll_until_blocked(conn, out, &mut tally, false);
        tally.idle_reads += usize::from(tally.at_boundary && conn.unread().is_empty());
    }
    tally
}

/// Fresh connection for `role`: the default configuration except no
/// `max_requests` cap, so one connection runs in steady state for the whole
/// measurement instead of closing after 1000 exchanges.
pub fn connection(role: Role) -> Connection {
    let mut config = Config::default();
    config.max_requests = None;
    Connection::new(role, config)
}

/// The receive path for one corpus: `n` messages in its role.
pub fn drain_corpus(
    corpus: &Corpus,
    conn: &mut Connection,
    out: &mut SendBuf,
    stream: &[u8],
    n: usize,
) -> Tally {
    match corpus.role {
        Role::Server => server_drain(conn, out, stream),
        Role::Client => client_drain(conn, out, corpus.bytes, n),
    }
}

/// The baseline: raw `httparse` over the same pipelined stream, heads only,
/// body lengths known in advance (no framing decisions, no events). Header
/// slots are uninitialized stack memory, httparse's fastest mode.
pub fn httparse_drain(corpus: &Corpus, stream: &[u8]) -> usize {
    let body_len = corpus.bytes.len() - corpus.head_len();
    let mut off = 0;
    let mut n = 0;
    while off < stream.len() {
        let mut slots = [MaybeUninit::<httparse::Header<'_>>::uninit(); 32];
        let head = match corpus.role {
            Role::Server => {
                let mut req = httparse::Request::new(&mut []);
                let status = req
                    .parse_with_uninit_headers(&stream[off..], &mut slots)
                    .expect("valid request");
                black_box((req.method, req.path, req.headers.len()));
                status
            }
            Role::Client => {
                let mut resp = httparse::Response::new(&mut []);
                let status = httparse::ParserConfig::default()
                    .parse_response_with_uninit_headers(&mut resp, &stream[off..], &mut slots)
                    .expect("valid response");
                black_box((resp.code, resp.headers.len()));
                status
            }
        };
        let httparse::Status::Complete(len) = head else {
            panic!("partial head in corpus")
        };
        off += len + body_len;
        n += 1;
    }
    n
}

/// Feeds `bytes` one byte per `receive` call, polling after each, as a
/// server; answers each request. Returns the messages seen.
pub fn server_bytewise(conn: &mut Connection, out: &mut SendBuf, bytes: &[u8]) -> Tally {
    let mut tally = Tally::default();
    for b in bytes.chunks(1) {
        conn.receive(b);
        poll_until_blocked(conn, out, &mut tally, true);
    }
    tally
}

/// A request head whose one extra header makes it exactly `size` bytes.
pub fn growing_head(size: usize) -> Vec<u8> {
    let start = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ";
    let end = b"\r\n\r\n";
    assert!(size > start.len() + end.len());
    let mut v = Vec::with_capacity(size);
    v.extend_from_slice(start);
    v.resize(size - end.len(), b'a');
    v.extend_from_slice(end);
    v
}

/// A response whose 1 MiB body is sent as one `Bytes`.
pub fn one_mib_body() -> Bytes {
    Bytes::from(vec![b'x'; 1 << 20])
}

/// Server: receives `GET /` (from `req`), replies with `head`, then the
/// `body` pieces, then the end; returns to idle. The reply is written out
/// with [`flush`] unless `keep` is given, which receives the queued bytes.
pub fn serve_one(
    conn: &mut Connection,
    out: &mut SendBuf,
    req: &[u8],
    head: &Response<'_>,
    body: &[Bytes],
) {
    conn.receive(req);
    match conn.poll_event() {
        Ok(Recv::Event(Event::Request(h))) => {
            black_box(&h);
        }
        other => panic!("expected request, got {other:?}"),
    }
    assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::End(_)))));
    conn.send_response(head, out).expect("send head");
    for b in body {
        conn.send_data(b.clone(), out).expect("send data");
    }
    conn.send_end(&[], out).expect("send end");
    assert_eq!(
        conn.poll_event(),
        Ok(Recv::Event(Event::Cycle(Persist::KeepAlive)))
    );
    assert_eq!(conn.poll_event(), Ok(Recv::NeedData));
}

/// What a server sends back on the send-path benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `200 OK`, `Content-Length: 13`, `Hello, World!`.
    Hello,
    /// `200 OK` with a 1 MiB body handed over as one `Bytes`.
    OneMib,
    /// `200 OK`, chunked (no `Content-Length`), 256 chunks of 4 KiB.
    Chunked4k,
}

/// Body pieces for a [`Reply`], made once and cloned (a reference count
/// increment, never a copy) for every message.
pub fn reply_body(reply: Reply) -> Vec<Bytes> {
    match reply {
        Reply::Hello => vec![Bytes::from_static(b"Hello, World!")],
        Reply::OneMib => vec![one_mib_body()],
        Reply::Chunked4k => {
            let all = one_mib_body();
            (0..256)
                .map(|i| all.slice(i * 4096..(i + 1) * 4096))
                .collect()
        }
    }
}

const HELLO_HEADERS: [Header<'static>; 2] = [
    Header::new("Content-Type", "text/plain"),
    Header::new("Content-Length", "13"),
];
const MIB_HEADERS: [Header<'static>; 2] = [
    Header::new("Content-Type", "application/octet-stream"),
    Header::new("Content-Length", "1048576"),
];
const CHUNKED_HEADERS: [Header<'static>; 1] =
    [Header::new("Content-Type", "application/octet-stream")];

/// Sends `reply` with `body` (from [`reply_body`]) and writes it out.
pub fn send_reply(conn: &mut Connection, out: &mut SendBuf, reply: Reply, body: &[Bytes]) {
    let headers: &[Header<'static>] = match reply {
        Reply::Hello => &HELLO_HEADERS,
        Reply::OneMib => &MIB_HEADERS,
        Reply::Chunked4k => &CHUNKED_HEADERS,
    };
    conn.send_response(&Response::new(200, headers), out)
        .expect("send head");
    for b in body {
        conn.send_data(b.clone(), out).expect("send data");
    }
    conn.send_end(&[], out).expect("send end");
    flush(out);
}

/// Server: drains a pipelined `req_tiny` stream, answering each request
/// with `reply`.
pub fn server_send(
    conn: &mut Connection,
    out: &mut SendBuf,
    stream: &[u8],
    reply: Reply,
    body: &[Bytes],
) -> Tally {
    let mut tally = Tally::default();
    for piece in stream.chunks(PIECE) {
        conn.receive(piece);
        poll_until_blocked_with(conn, out, &mut tally, true, |c, o| {
            send_reply(c, o, reply, body)
        });
        tally.idle_reads += usize::from(tally.at_boundary && conn.unread().is_empty());
    }
    tally
}

/// A socket read as an adapter does it: reserve room for a full read in
/// the receive buffer, then fill part of it.
pub fn socket_read(conn: &mut Connection, bytes: &[u8]) {
    let buf = conn.recv_buf();
    buf.reserve(PIECE);
    buf.extend_from_slice(bytes);
}
