//! Byte-at-a-time input: the cost per byte must not grow with the head
//! (the head scan resumes where it stopped, so total work is linear).
//!
//! - `bytewise/req_browser`: one message fed whole vs one byte per
//!   `receive` call (polling after each byte), each answered with `204`.
//! - `bytewise/header_growth`: a request whose one header makes the head
//!   256 B … 16 KiB, fed one byte per call; time / size = ns per byte.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use keepalive::{Role, SendBuf};
use testkit::corpora::REQ_BROWSER;
use testkit::drive::{connection, growing_head, server_bytewise, server_drain};

fn bytewise(c: &mut Criterion) {
    let msg = REQ_BROWSER.bytes;
    let mut g = c.benchmark_group("bytewise/req_browser");
    g.throughput(Throughput::ElementsAndBytes {
        elements: 1,
        bytes: msg.len() as u64,
    });
    let mut conn = connection(Role::Server);
    let mut out = SendBuf::new();
    g.bench_function("whole", |b| {
        b.iter(|| {
            let t = server_drain(&mut conn, &mut out, black_box(msg));
            assert_eq!(t.messages, 1);
        })
    });
    g.bench_function("one_byte_per_call", |b| {
        b.iter(|| {
            let t = server_bytewise(&mut conn, &mut out, black_box(msg));
            assert_eq!(t.messages, 1);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("bytewise/header_growth");
    for size in [256usize, 1024, 4096, 16384] {
        let head = growing_head(size);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &head, |b, head| {
            b.iter(|| {
                let t = server_bytewise(&mut conn, &mut out, black_box(head));
                assert_eq!(t.messages, 1);
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bytewise
}
criterion_main!(benches);
