//! Receive path per corpus, with raw `httparse` over the same heads and
//! the yardstick (`testkit::yardstick`, the minimal hand-written machine,
//! same loop and replies) in the same group, so the ratios come from one
//! run.
//!
//! Server-role corpora are pipelined streams fed in 16 KiB reads; each
//! request is answered with the cheapest legal reply (`204`, no body), which
//! the machine requires before it reads the next request, so that reply's
//! cost is inside the measured loop. Client-role corpora send `GET /`
//! before each response (the machine requires it too) and that cost is
//! inside the loop as well; see `BENCHMARKS.md` for what it amounts to.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keepalive::SendBuf;
use testkit::corpora::{CORPORA, STREAM_MESSAGES};
use testkit::drive::{connection, drain_corpus, httparse_drain};
use testkit::yardstick;

fn recv(c: &mut Criterion) {
    for corpus in &CORPORA {
        let stream = corpus.stream(STREAM_MESSAGES);
        let mut g = c.benchmark_group(format!("recv/{}", corpus.name));
        g.throughput(Throughput::ElementsAndBytes {
            elements: STREAM_MESSAGES as u64,
            bytes: stream.len() as u64,
        });
        g.bench_function("httparse", |b| {
            b.iter(|| {
                let n = httparse_drain(corpus, black_box(&stream));
                assert_eq!(n, STREAM_MESSAGES);
            })
        });
        let mut conn = connection(corpus.role);
        let mut out = SendBuf::new();
        g.bench_function("keepalive", |b| {
            b.iter(|| {
                let t = drain_corpus(
                    corpus,
                    &mut conn,
                    &mut out,
                    black_box(&stream),
                    STREAM_MESSAGES,
                );
                assert_eq!(t.messages, STREAM_MESSAGES);
            })
        });
        let mut m = yardstick::machine(corpus.role);
        let mut reply = Vec::new();
        g.bench_function("yardstick", |b| {
            b.iter(|| {
                let t = yardstick::drain_corpus(
                    corpus,
                    &mut m,
                    &mut reply,
                    black_box(&stream),
                    STREAM_MESSAGES,
                );
                assert_eq!(t.messages, STREAM_MESSAGES);
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
    targets = recv
}
criterion_main!(benches);
