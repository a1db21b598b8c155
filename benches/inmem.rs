//! In-memory server loops, interleaved in one run (issue 9 item 3): a
//! pipelined stream of 1000 requests answered with `200 OK`,
//! `Content-Type: text/plain`, `Content-Length: 13`, `Hello, World!`, by
//!
//! - keepalive (`testkit::drive::server_send`, the stream fed in 16 KiB
//!   reads, replies queued in a `SendBuf` and written out);
//! - the yardstick (`testkit::yardstick`, the minimal hand-written machine);
//! - hyper 1.x `serve_connection` over a `tokio::io::duplex` pipe on a
//!   current-thread runtime, the client half writing the stream in 16 KiB
//!   writes, then shutting its write side (hyper's `half_close(true)`), and
//!   reading every response. hyper gets its best settings for
//!   this load: `pipeline_flush(true)` (one write for a run of pipelined
//!   responses) and `auto_date_header(false)` (keepalive writes no `Date`
//!   either); the handler drains the request body frame by frame.
//!
//! Each round times one stream per side, in turn, so load on a shared
//! machine hits every side alike; the table gives the median ns per
//! request over the rounds and the ratios. Timings, not instruction
//! counts: read them as ratios from one run (`benches/icount.sh` gives the
//! load-independent figures).
//!
//! ```text
//! cargo bench --bench inmem              # 200 rounds (a few seconds)
//! cargo bench --bench inmem -- 1000      # more rounds
//! ```

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use keepalive::{Role, SendBuf};
use testkit::corpora::{Corpus, PIECE, REQ_BROWSER, REQ_POST1K, REQ_TINY, STREAM_MESSAGES};
use testkit::drive::{connection, reply_body, server_send, Reply};
use testkit::yardstick;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

const HELLO: &[u8] = b"Hello, World!";

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or(200, |a| a.parse().expect("rounds"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    println!(
        "In memory, {STREAM_MESSAGES} pipelined requests per stream, 13-byte reply, \
         median of {rounds} interleaved rounds (benches/inmem.rs)"
    );
    println!();
    println!("| corpus | hyper ns/req | keepalive ns/req | yardstick ns/req | hyper ÷ keepalive | keepalive ÷ yardstick |");
    println!("|---|---:|---:|---:|---:|---:|");
    for corpus in [REQ_TINY, REQ_BROWSER, REQ_POST1K] {
        let mut sides = Sides::new(&corpus, &rt);
        sides.check();
        let mut ns = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (side, times) in ns.iter_mut().enumerate() {
                let start = Instant::now();
                sides.run(side);
                times.push(start.elapsed().as_nanos() as f64 / STREAM_MESSAGES as f64);
            }
        }
        let [h, k, y] = ns.map(median);
        println!(
            "| {} | {h:.0} | {k:.0} | {y:.0} | {:.2} | {:.2} |",
            corpus.name,
            h / k,
            k / y
        );
    }
}

/// The three servers, each with what it keeps between streams.
struct Sides<'a> {
    rt: &'a Runtime,
    stream: Bytes,
    conn: keepalive::Connection,
    out: SendBuf,
    body: Vec<Bytes>,
    machine: yardstick::Machine,
    reply: Vec<u8>,
}

impl<'a> Sides<'a> {
    fn new(corpus: &Corpus, rt: &'a Runtime) -> Self {
        Self {
            rt,
            stream: Bytes::from(corpus.stream(STREAM_MESSAGES)),
            conn: connection(Role::Server),
            out: SendBuf::new(),
            body: reply_body(Reply::Hello),
            machine: yardstick::Machine::new(yardstick::Side::Server),
            reply: Vec::new(),
        }
    }

    /// Serves one stream on `side` (0 hyper, 1 keepalive, 2 yardstick);
    /// returns the requests answered.
    fn run(&mut self, side: usize) -> usize {
        match side {
            0 => {
                let read = self.rt.block_on(hyper_stream(self.stream.clone(), None));
                black_box(read);
                STREAM_MESSAGES
            }
            1 => {
                let t = server_send(
                    &mut self.conn,
                    &mut self.out,
                    black_box(&self.stream),
                    Reply::Hello,
                    &self.body,
                );
                t.messages
            }
            _ => {
                let t = yardstick::server_drain_with(
                    &mut self.machine,
                    &mut self.reply,
                    black_box(&self.stream),
                    |m, out| m.send_ok(HELLO, out),
                );
                t.messages
            }
        }
    }

    /// Every side answers every request before anything is timed; hyper's
    /// replies are parsed back to count them.
    fn check(&mut self) {
        assert_eq!(self.run(1), STREAM_MESSAGES, "keepalive");
        assert_eq!(self.run(2), STREAM_MESSAGES, "yardstick");
        let mut wire = Vec::new();
        self.rt
            .block_on(hyper_stream(self.stream.clone(), Some(&mut wire)));
        let mut client = yardstick::Machine::new(yardstick::Side::Client);
        client.receive(&wire);
        let (mut ends, mut body) = (0, 0);
        while let Ok(yardstick::Poll::Event(ev)) = client.poll() {
            match ev {
                yardstick::Ev::Data(d) => body += d.len(),
                yardstick::Ev::End(_) => ends += 1,
                yardstick::Ev::Head => assert_eq!(client.head().status, 200),
            }
        }
        assert_eq!(
            (ends, body),
            (STREAM_MESSAGES, STREAM_MESSAGES * HELLO.len()),
            "hyper"
        );
    }
}

/// One hyper connection serving `stream`; returns how many bytes it
/// wrote, and keeps them in `keep` if given (the timed runs read them into
/// one reused buffer, so the client side costs hyper as little as it can).
async fn hyper_stream(stream: Bytes, keep: Option<&mut Vec<u8>>) -> usize {
    let (client, server) = tokio::io::duplex(4 * PIECE);
    let conn = tokio::spawn(async move {
        http1::Builder::new()
            .pipeline_flush(true)
            .auto_date_header(false)
            // The client shuts its write side after the last request and
            // still reads every response.
            .half_close(true)
            .serve_connection(TokioIo::new(server), service_fn(hello))
            .await
    });
    let (mut rd, mut wr) = tokio::io::split(client);
    let writer = tokio::spawn(async move {
        for piece in stream.chunks(PIECE) {
            wr.write_all(piece).await.expect("write");
        }
        wr.shutdown().await.expect("shutdown");
    });
    let mut total = 0;
    match keep {
        Some(wire) => total = rd.read_to_end(wire).await.expect("read"),
        None => {
            let mut buf = [0u8; 16 * 1024];
            loop {
                match rd.read(&mut buf).await.expect("read") {
                    0 => break,
                    n => total += n,
                }
            }
        }
    }
    writer.await.expect("writer");
    conn.await.expect("server task").expect("hyper connection");
    total
}

async fn hello(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        black_box(frame.expect("body frame"));
    }
    let resp = hyper::Response::builder()
        .header("Content-Type", "text/plain")
        .body(Full::new(Bytes::from_static(HELLO)));
    Ok(resp.expect("static response"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
