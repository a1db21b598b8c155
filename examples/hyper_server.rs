//! A minimal hyper 1.x server answering `Hello, World!`, only as a
//! baseline for `benches/e2e.sh`; it serves no request with this crate.
//!
//! It is set up to do the same work as `std_server` and `tokio_server` on
//! `/`: the same response bytes (`Content-Type: text/plain`, a 13-byte
//! body, no `Date` field) and the responses to pipelined requests written
//! together (`pipeline_flush`), as the keepalive drivers do.
//!
//! ```text
//! cargo run --release --example hyper_server -- [--addr 127.0.0.1:8080]
//! ```

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::{die, fail, say, Args};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const USAGE: &str = "
A minimal hyper 1.x server (the baseline of benches/e2e.sh): every request
gets `200 Hello, World!`.

Usage: hyper_server [--addr HOST:PORT (default 127.0.0.1:8080)]
";

async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut resp = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
    let ct = hyper::header::HeaderValue::from_static("text/plain");
    resp.headers_mut().insert(hyper::header::CONTENT_TYPE, ct);
    Ok(resp)
}

fn main() {
    let mut args = Args::new(USAGE);
    let mut addr = "127.0.0.1:8080".to_string();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => addr = args.value("--addr"),
            _ => fail(&format!("unknown argument {a:?}")),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(e));
    let result: std::io::Result<()> = rt.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        say(format_args!("listening on {}", listener.local_addr()?));
        let mut http = http1::Builder::new();
        // What the keepalive drivers do: no Date field (they add none), and
        // the responses to a pipelined batch leave in one write.
        http.auto_date_header(false).pipeline_flush(true);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                // One failed accept (a reset, EMFILE) is not the server's end.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let conn = http.serve_connection(TokioIo::new(stream), service_fn(hello));
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    die(result
        .err()
        .unwrap_or_else(|| std::io::Error::other("listener closed")))
}
