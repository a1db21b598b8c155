//! Corpora and drivers shared by the benches and `tests/alloc_budget.rs`:
//! the same loops are timed by criterion and counted by the allocation
//! test, so the numbers in `BENCHMARKS.md` and the regression guard talk
//! about the same code.

// Each bench and test binary compiles this module on its own and uses
// only part of it.
#![allow(dead_code)]

pub mod counting;

use std::hint::black_box;
use std::mem::MaybeUninit;

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Event, Header, Persist, Recv, Request, Response, Role, SendBuf,
};

/// Size of one simulated socket read.
pub const PIECE: usize = 16 * 1024;

/// Messages in one pipelined stream (one benchmark iteration).
pub const STREAM_MESSAGES: usize = 1000;

/// One corpus file: a single message, byte-exact.
#[derive(Debug, Clone, Copy)]
pub struct Corpus {
    pub name: &'static str,
    pub bytes: &'static [u8],
    /// The role that receives this message.
    pub role: Role,
}

pub const REQ_TINY: Corpus = Corpus {
    name: "req_tiny",
    bytes: include_bytes!("../corpora/req_tiny"),
    role: Role::Server,
};
pub const REQ_BROWSER: Corpus = Corpus {
    name: "req_browser",
    bytes: include_bytes!("../corpora/req_browser"),
    role: Role::Server,
};
pub const REQ_POST1K: Corpus = Corpus {
    name: "req_post1k",
    bytes: include_bytes!("../corpora/req_post1k"),
    role: Role::Server,
};
pub const RESP_CL13: Corpus = Corpus {
    name: "resp_cl13",
    bytes: include_bytes!("../corpora/resp_cl13"),
    role: Role::Client,
};
pub const RESP_CHUNKED: Corpus = Corpus {
    name: "resp_chunked",
    bytes: include_bytes!("../corpora/resp_chunked"),
    role: Role::Client,
};

pub const CORPORA: [Corpus; 5] = [REQ_TINY, REQ_BROWSER, REQ_POST1K, RESP_CL13, RESP_CHUNKED];

impl Corpus {
    /// Length of the head (through the blank line).
    pub fn head_len(&self) -> usize {
        self.bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("corpus has a head")
            + 4
    }

    /// `n` copies back to back, as a pipelining peer would send them.
    pub fn stream(&self, n: usize) -> Vec<u8> {
        self.bytes.repeat(n)
    }
}

/// What draining a stream saw; returned so the work cannot be optimized
/// away and so tests can check it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub messages: usize,
    pub body_bytes: usize,
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
fn poll_until_blocked(
    conn: &mut Connection,
    out: &mut SendBuf,
    tally: &mut Tally,
    reply_when_paused: bool,
) {
    poll_until_blocked_with(conn, out, tally, reply_when_paused, reply_204)
}

fn poll_until_blocked_with(
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

/// Allocation counts over a steady-state run.
#[derive(Debug, Clone, Copy)]
pub struct AllocStats {
    pub allocs: u64,
    pub messages: usize,
    /// Times the connection went idle (see [`Tally::idle_reads`]).
    pub idle_reads: usize,
}

/// What an idle period may cost: the receive buffer made anew by the next
/// read, the shared header `bytes` gives it when it is first split, and up
/// to two growths while the first reads (exact-size) settle its capacity.
pub const ALLOCS_PER_IDLE: u64 = 4;

impl AllocStats {
    /// All allocations per message.
    pub fn per_message(&self) -> f64 {
        self.allocs as f64 / self.messages as f64
    }

    /// Allocations per message beyond [`ALLOCS_PER_IDLE`] per idle period:
    /// what the message path itself allocates.
    pub fn per_message_beyond_idle(&self) -> f64 {
        let idle = ALLOCS_PER_IDLE * self.idle_reads as u64;
        self.allocs.saturating_sub(idle) as f64 / self.messages as f64
    }
}

fn measure(rounds: usize, mut run: impl FnMut() -> Tally) -> AllocStats {
    for _ in 0..3 {
        run();
    }
    let before = counting::allocs();
    let mut total = Tally::default();
    for _ in 0..rounds {
        let t = run();
        total.messages += t.messages;
        total.idle_reads += t.idle_reads;
    }
    AllocStats {
        allocs: counting::allocs() - before,
        messages: total.messages,
        idle_reads: total.idle_reads,
    }
}

/// Allocations in steady state (after 3 warm-up streams) on the receive
/// path of `corpus` in its role, with the reply or request the role
/// requires.
pub fn recv_allocs(corpus: &Corpus, rounds: usize) -> AllocStats {
    let mut conn = connection(corpus.role);
    let mut out = SendBuf::new();
    let stream = corpus.stream(STREAM_MESSAGES);
    measure(rounds, || {
        let t = drain_corpus(corpus, &mut conn, &mut out, &stream, STREAM_MESSAGES);
        assert_eq!(t.messages, STREAM_MESSAGES);
        t
    })
}

/// Allocations in steady state for a server answering pipelined
/// `req_tiny` requests with `reply`.
pub fn send_allocs(reply: Reply, messages: usize, rounds: usize) -> AllocStats {
    let mut conn = connection(Role::Server);
    let mut out = SendBuf::new();
    let body = reply_body(reply);
    let stream = REQ_TINY.stream(messages);
    measure(rounds, || {
        let t = server_send(&mut conn, &mut out, &stream, reply, &body);
        assert_eq!(t.messages, messages);
        t
    })
}

/// A socket read as an adapter does it: reserve room for a full read in
/// the receive buffer, then fill part of it.
pub fn socket_read(conn: &mut Connection, bytes: &[u8]) {
    let buf = conn.recv_buf();
    buf.reserve(PIECE);
    buf.extend_from_slice(bytes);
}

/// Heap held per connection, in bytes (the boxed `Connection` itself
/// included).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// Idle keep-alive connection after a few exchanges.
    pub idle: i64,
    /// The same plus its (drained) `SendBuf`.
    pub idle_with_sendbuf: i64,
    /// Peak while a 16 KiB head arrives in 1 KiB reads.
    pub peak_16k_head: i64,
}

/// Server role: three `req_browser` exchanges, each read with
/// [`socket_read`] and answered with `Hello, World!`; then a 16 KiB head.
pub fn server_memory() -> Memory {
    let base = counting::live();
    let mut conn = Box::new(connection(Role::Server));
    let mut out = SendBuf::new();
    let body = reply_body(Reply::Hello);
    let mut tally = Tally::default();
    for _ in 0..3 {
        socket_read(&mut conn, REQ_BROWSER.bytes);
        poll_until_blocked_with(&mut conn, &mut out, &mut tally, true, |c, o| {
            send_reply(c, o, Reply::Hello, &body)
        });
    }
    assert_eq!(tally.messages, 3);
    let with_sendbuf = counting::live() - base;
    drop(out);
    let idle = counting::live() - base;
    let mut out = SendBuf::new();
    counting::reset_peak();
    let head = growing_head(16 * 1024);
    for piece in head.chunks(1024) {
        socket_read(&mut conn, piece);
        poll_until_blocked(&mut conn, &mut out, &mut tally, true);
    }
    assert_eq!(tally.messages, 4);
    let peak = counting::peak() - base;
    drop(conn);
    Memory {
        idle,
        idle_with_sendbuf: with_sendbuf,
        peak_16k_head: peak,
    }
}

/// Client role: three `resp_cl13` exchanges, each read with
/// [`socket_read`].
pub fn client_memory() -> Memory {
    let base = counting::live();
    let mut conn = Box::new(connection(Role::Client));
    let mut out = SendBuf::new();
    let mut tally = Tally::default();
    for _ in 0..3 {
        send_get(&mut conn, &mut out);
        socket_read(&mut conn, RESP_CL13.bytes);
        poll_until_blocked(&mut conn, &mut out, &mut tally, false);
    }
    assert_eq!(tally.messages, 3);
    let with_sendbuf = counting::live() - base;
    drop(out);
    let idle = counting::live() - base;
    Memory {
        idle,
        idle_with_sendbuf: with_sendbuf,
        peak_16k_head: 0,
    }
}
