//! Send path: a server answering pipelined `req_tiny` requests with
//! (1) `200 OK` + `Content-Length: 13` + `Hello, World!`, (2) a 1 MiB body
//! handed over as one `Bytes`, (3) a chunked body of 256 × 4 KiB chunks.
//!
//! The machine sends a response only to a request it received, so each
//! message also receives a 27-byte `req_tiny`; `recv/req_tiny/keepalive`
//! (same loop, empty `204` reply) is the cost of that part. Bodies are
//! `Bytes` clones (reference counts), written out with `Buf::advance` as
//! a vectored socket write would, so no body byte is ever copied: the
//! 1 MiB case costs about as much as the 13-byte one.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keepalive::{Role, SendBuf};
use testkit::corpora::REQ_TINY;
use testkit::drive::{connection, reply_body, server_send, Reply};

fn send(c: &mut Criterion) {
    for (name, reply, messages, body_len) in [
        ("hello_13", Reply::Hello, 1000, 13u64),
        ("body_1mib", Reply::OneMib, 100, 1 << 20),
        ("chunked_4k", Reply::Chunked4k, 100, 1 << 20),
    ] {
        let stream = REQ_TINY.stream(messages);
        let body = reply_body(reply);
        let mut g = c.benchmark_group(format!("send/{name}"));
        g.throughput(Throughput::ElementsAndBytes {
            elements: messages as u64,
            bytes: messages as u64 * body_len,
        });
        let mut conn = connection(Role::Server);
        let mut out = SendBuf::new();
        g.bench_function("keepalive", |b| {
            b.iter(|| {
                let t = server_send(&mut conn, &mut out, black_box(&stream), reply, &body);
                assert_eq!(t.messages, messages);
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = send
}
criterion_main!(benches);
