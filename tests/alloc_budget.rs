//! Regression guard for the allocation and memory budgets of the hot
//! paths, counted with a global allocator (deterministic counts, not
//! timings). The drivers are the benchmark drivers (`testkit::drive`), so
//! these budgets hold for exactly what `BENCHMARKS.md` measures.

use std::io::IoSlice;

use bytes::{Buf, Bytes};
use keepalive::{Event, Recv, Role, SendBuf};
use testkit::budget::{client_memory, recv_allocs, send_allocs, server_memory, trailer_allocs};
use testkit::corpora::{CORPORA, REQ_TINY};
use testkit::counting::{self, Counting};
use testkit::drive::{connection, send_reply, socket_read, Reply};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heads, header lists, body data and end-of-message must not allocate.
/// Counted beyond what going idle costs: an idle connection frees its
/// receive buffer (see `idle_connection_holds_at_most_1_kib`) and the next
/// read makes a new one; `going_idle_and_back_costs_only_the_receive_buffer`
/// bounds that part.
const PER_MESSAGE: f64 = 0.001;

/// Heap an idle keep-alive connection may hold (100k idle connections in
/// about 100 MB).
const IDLE_BYTES: i64 = 1024;

#[test]
fn counting_allocator_sees_allocations() {
    // Guards the guard: a budget of zero is only meaningful if counting works.
    let before = counting::allocs();
    let v = std::hint::black_box(vec![1u8; 100]);
    assert_eq!(counting::allocs() - before, 1);
    drop(v);
}

#[test]
fn receive_paths_allocate_nothing_per_message() {
    for corpus in &CORPORA {
        let stats = recv_allocs(corpus, 5);
        assert!(
            stats.per_message_beyond_idle() <= PER_MESSAGE,
            "{} ({:?} role): {stats:?}",
            corpus.name,
            corpus.role
        );
    }
}

/// A trailer section is read by the connection's own head parser: no
/// parser is made per message.
#[test]
fn trailers_allocate_nothing_per_message() {
    let stats = trailer_allocs(200, 5);
    assert!(
        stats.per_message_beyond_idle() <= PER_MESSAGE,
        "chunked requests with trailers: {stats:?}"
    );
}

#[test]
fn send_paths_allocate_nothing_per_message() {
    for (reply, n) in [
        (Reply::Hello, 1000),
        (Reply::OneMib, 100),
        (Reply::Chunked4k, 100),
    ] {
        let stats = send_allocs(reply, n, 5);
        assert!(
            stats.per_message_beyond_idle() <= PER_MESSAGE,
            "{reply:?}: {stats:?}"
        );
    }
}

#[test]
fn idle_connection_holds_at_most_1_kib() {
    let server = server_memory();
    assert!(server.idle <= IDLE_BYTES, "server idle: {server:?}");
    let client = client_memory();
    assert!(client.idle <= IDLE_BYTES, "client idle: {client:?}");
    // The head in flight needs its bytes; bounded by a few read sizes.
    assert!(server.peak_16k_head >= 16 * 1024, "{server:?}");
}

#[test]
fn going_idle_and_back_costs_only_the_receive_buffer() {
    // An idle connection frees a large receive buffer; the next read
    // allocates one again (the buffer, and its shared header once split).
    let mut conn = connection(Role::Server);
    let mut out = SendBuf::new();
    let body = testkit::drive::reply_body(Reply::Hello);
    let exchange = |conn: &mut keepalive::Connection, out: &mut SendBuf| {
        socket_read(conn, REQ_TINY.bytes);
        assert!(matches!(
            conn.poll_event(),
            Ok(Recv::Event(Event::Request(_)))
        ));
        assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::End(_)))));
        assert_eq!(conn.poll_event(), Ok(Recv::Paused));
        send_reply(conn, out, Reply::Hello, &body);
        assert!(matches!(
            conn.poll_event(),
            Ok(Recv::Event(Event::Cycle(_)))
        ));
        assert_eq!(conn.poll_event(), Ok(Recv::NeedData));
    };
    for _ in 0..3 {
        exchange(&mut conn, &mut out);
    }
    let before = counting::allocs();
    for _ in 0..10 {
        exchange(&mut conn, &mut out);
    }
    let per_idle = (counting::allocs() - before) as f64 / 10.0;
    assert!(
        per_idle <= testkit::budget::ALLOCS_PER_IDLE as f64,
        "{per_idle} allocations per idle period"
    );
}

#[test]
fn one_mib_body_is_queued_without_copy() {
    let mut conn = connection(Role::Server);
    let mut out = SendBuf::new();
    conn.receive(REQ_TINY.bytes);
    assert!(matches!(
        conn.poll_event(),
        Ok(Recv::Event(Event::Request(_)))
    ));
    assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::End(_)))));
    let body = testkit::drive::one_mib_body();
    let headers = [keepalive::Header::new("Content-Length", "1048576")];
    conn.send_response(&keepalive::Response::new(200, &headers), &mut out)
        .unwrap();
    let live_before = counting::live();
    conn.send_data(body.clone(), &mut out).unwrap();
    conn.send_end(&[], &mut out).unwrap();
    let mut slices = [IoSlice::new(&[]); 8];
    let n = out.chunks_vectored(&mut slices);
    let same = slices[..n]
        .iter()
        .any(|s| s.as_ptr() == body.as_ptr() && s.len() == body.len());
    assert!(
        same,
        "the 1 MiB body is not queued as the caller's own bytes"
    );
    // Queuing it moved a pointer, not a megabyte.
    assert!(counting::live() - live_before < 4096);
    let all: Bytes = out.copy_to_bytes(out.remaining());
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n";
    assert_eq!(&all[..head.len()], &head[..]);
    assert_eq!(&all[head.len()..], &body[..]);
}

/// Issue 9: a head fed one byte at a time grows the receive buffer once to
/// the size the previous head needed, not by doubling from a few bytes;
/// heads that fit the buffer an idle connection keeps allocate nothing at
/// all. Every allocation is counted here, idle periods included.
#[test]
fn byte_at_a_time_feeding_allocates_nothing_per_message_within_the_idle_buffer() {
    // Heads that fit the 256-byte buffer an idle connection keeps
    // allocate nothing; larger ones reallocate it once per message.
    for (size, budget) in [(100, 0.0), (240, 0.0), (600, 2.0), (4000, 2.0)] {
        let mut conn = connection(Role::Server);
        let mut out = SendBuf::new();
        let msg = testkit::drive::growing_head(size);
        for _ in 0..3 {
            testkit::drive::server_bytewise(&mut conn, &mut out, &msg);
        }
        let before = counting::allocs();
        for _ in 0..10 {
            let t = testkit::drive::server_bytewise(&mut conn, &mut out, &msg);
            assert_eq!(t.messages, 1);
        }
        let per_message = (counting::allocs() - before) as f64 / 10.0;
        assert!(
            per_message <= budget,
            "{size}-byte head: {per_message} allocations per message (budget {budget})"
        );
    }
}

#[test]
fn idle_after_byte_at_a_time_feeding_holds_at_most_1_kib() {
    let msg = testkit::drive::growing_head(100);
    let base = counting::live();
    let mut conn = Box::new(connection(Role::Server));
    let mut out = SendBuf::new();
    for _ in 0..3 {
        testkit::drive::server_bytewise(&mut conn, &mut out, &msg);
    }
    drop(out);
    let idle = counting::live() - base;
    assert!(
        idle <= IDLE_BYTES,
        "idle after byte-at-a-time heads: {idle} bytes"
    );
    drop(conn);
}
