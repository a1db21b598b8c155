//! Allocation and memory figures for the hot paths, counted with the
//! [`Counting`](crate::counting::Counting) allocator; `tests/alloc_budget.rs`
//! holds them to their budgets and `benches/alloc.rs` prints them.

use crate::corpora::{Corpus, REQ_BROWSER, REQ_TINY, RESP_CL13, STREAM_MESSAGES};
use crate::counting;
use crate::drive::{
    connection, drain_corpus, growing_head, poll_until_blocked, poll_until_blocked_with,
    reply_body, send_get, send_reply, server_bytewise, server_send, socket_read, Reply, Tally,
};
use crate::yardstick;
use keepalive::{Role, SendBuf};

/// Allocation counts over a steady-state run.
#[derive(Debug, Clone, Copy)]
pub struct AllocStats {
    /// Allocation calls (a `realloc` counts as one).
    pub allocs: u64,
    /// Messages received.
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

/// Allocations for a server reading `messages` pipelined chunked requests
/// that each end with a trailer section (answered with a `204`): reading
/// trailers must cost no allocation per message either.
pub fn trailer_allocs(messages: usize, rounds: usize) -> AllocStats {
    let mut conn = connection(Role::Server);
    let mut out = SendBuf::new();
    let one: &[u8] = b"POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
        5\r\nhello\r\n0\r\nX-Checksum: 1234\r\nX-Other: v\r\n\r\n";
    let stream = one.repeat(messages);
    measure(rounds, || {
        let t = crate::drive::server_drain(&mut conn, &mut out, &stream);
        assert_eq!(t.messages, messages);
        t
    })
}

/// Allocations for a server reading `messages` requests of `corpus` one
/// byte per `receive` (each answered with a `204`): issue 9 wants none per
/// message.
pub fn bytewise_allocs(corpus: &Corpus, messages: usize, rounds: usize) -> AllocStats {
    let mut conn = connection(Role::Server);
    let mut out = SendBuf::new();
    let stream = corpus.stream(messages);
    measure(rounds, || {
        let t = server_bytewise(&mut conn, &mut out, &stream);
        assert_eq!(t.messages, messages);
        t
    })
}

/// [`recv_allocs`] for the yardstick, which allocates nothing per message:
/// the floor keepalive is held to.
pub fn yardstick_allocs(corpus: &Corpus, rounds: usize) -> AllocStats {
    let mut m = yardstick::machine(corpus.role);
    let mut out = Vec::new();
    let stream = corpus.stream(STREAM_MESSAGES);
    measure(rounds, || {
        let t = yardstick::drain_corpus(corpus, &mut m, &mut out, &stream, STREAM_MESSAGES);
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
