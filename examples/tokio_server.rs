//! The same server as `std_server`, over tokio: one task per connection,
//! the same [`keepalive::Connection`] driven by async IO, unchanged.
//!
//! ```text
//! cargo run --example tokio_server -- [--addr 127.0.0.1:8080] [--idle-timeout SECS]
//!     [--max-requests N (0: unlimited)] [--quiet]
//! ```
//!
//! Routes: `/` (Hello, World!), `/echo` (streams the request body back),
//! `/stream?n=N&interval_ms=MS` (one event per interval, default 60 × 1 s),
//! `/status/N`. It prints `listening on ADDR`, then `accept N PEER` per TCP
//! connection unless `--quiet`.

use std::io::{self, IoSlice};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Event, Header, Persist, Recv, RecvError, RequestHead, Response, Role,
    SendBuf, TimerKind,
};
use socket2::{SockRef, TcpKeepalive};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout_at;

const READ_SIZE: usize = 16 * 1024;

struct Opts {
    addr: String,
    config: Config,
    quiet: bool,
}

fn main() -> io::Result<()> {
    let mut opts = Opts {
        addr: "127.0.0.1:8080".into(),
        config: Config::default(),
        quiet: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => opts.addr = args.next().expect("--addr ADDR"),
            "--idle-timeout" => {
                let secs: f64 = args.next().and_then(|s| s.parse().ok()).expect("SECS");
                opts.config.idle_timeout = Some(Duration::from_secs_f64(secs));
            }
            "--max-requests" => {
                let n: u32 = args.next().and_then(|s| s.parse().ok()).expect("N");
                opts.config.max_requests = Some(n).filter(|&n| n > 0);
            }
            "--quiet" => opts.quiet = true,
            _ => panic!("unknown argument {a}"),
        }
    }
    let opts: &'static Opts = Box::leak(Box::new(opts));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(&opts.addr).await?;
        println!("listening on {}", listener.local_addr()?);
        for n in 1u64.. {
            let (stream, addr) = listener.accept().await?;
            if !opts.quiet {
                println!("accept {n} {addr}");
            }
            tokio::spawn(async move {
                // An IO error (reset, idle timeout) just ends the connection.
                let _ = serve(stream, opts).await;
            });
        }
        Ok(())
    })
}

/// One TCP connection: the socket, the machine, and its output queue.
struct Peer {
    stream: TcpStream,
    conn: Connection,
    out: SendBuf,
}

impl Peer {
    /// Reads once, straight into the spare capacity of the machine's
    /// receive buffer, waiting no longer than the machine's next deadline.
    async fn fill(&mut self) -> io::Result<()> {
        let deadline = self.conn.poll_timeout();
        let buf = self.conn.recv_buf();
        buf.reserve(READ_SIZE);
        let read = read_until(&mut self.stream, buf, deadline).await;
        self.conn.handle_timeout(Instant::now());
        match read {
            Some(Ok(0)) => self.conn.receive_eof(),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e),
            // The deadline passed: handle_timeout above has applied it.
            None => {}
        }
        Ok(())
    }

    /// Writes everything queued, body segments included, with `writev`.
    async fn flush(&mut self) -> io::Result<()> {
        while self.out.has_remaining() {
            let mut iov = [IoSlice::new(&[]); 64];
            let n = self.out.chunks_vectored(&mut iov);
            let written = self.stream.write_vectored(&iov[..n]).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.out.advance(written);
        }
        Ok(())
    }

    /// The next event, reading as needed. Output is flushed only before
    /// blocking, so responses to pipelined requests leave in one write.
    async fn next(&mut self) -> io::Result<Result<Recv, RecvError>> {
        loop {
            match self.conn.poll_event() {
                Ok(Recv::NeedData) => {
                    self.flush().await?;
                    self.fill().await?;
                }
                other => return Ok(other),
            }
        }
    }

    fn respond(&mut self, status: u16, headers: &[Header<'_>], body: Bytes) -> io::Result<()> {
        let resp = Response::new(status, headers);
        self.conn.send_response(&resp, &mut self.out).map_err(bug)?;
        if !body.is_empty() {
            self.conn.send_data(body, &mut self.out).map_err(bug)?;
        }
        self.conn.send_end(&[], &mut self.out).map_err(bug)
    }

    /// Half-closes after the last response, then discards what the client
    /// still sends until it closes or the machine's linger timer fires, so
    /// our close does not become a reset that destroys the response in
    /// flight (RFC 9112 §9.6).
    async fn close(mut self) {
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
        let mut sink = Vec::with_capacity(4096);
        while let Some(deadline) = self.conn.poll_timeout() {
            sink.clear();
            let read = read_until(&mut self.stream, &mut sink, Some(deadline)).await;
            let fired = self.conn.handle_timeout(Instant::now());
            if fired.contains(TimerKind::Linger) || !matches!(read, None | Some(Ok(1..))) {
                break;
            }
        }
    }
}

/// One read into `buf`'s spare capacity; `None` if `deadline` passed first.
async fn read_until(
    stream: &mut TcpStream,
    buf: &mut impl bytes::BufMut,
    deadline: Option<Instant>,
) -> Option<io::Result<usize>> {
    match deadline {
        Some(d) => timeout_at(d.into(), stream.read_buf(buf)).await.ok(),
        None => Some(stream.read_buf(buf).await),
    }
}

fn bug(e: keepalive::SendError) -> io::Error {
    io::Error::other(e)
}

async fn serve(stream: TcpStream, opts: &Opts) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // TCP keep-alive finds peers that vanished while idle.
    let ka = TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10));
    SockRef::from(&stream).set_tcp_keepalive(&ka)?;
    let mut peer = Peer {
        stream,
        conn: Connection::new(Role::Server, opts.config.clone()),
        out: SendBuf::new(),
    };
    // Starts the machine's clock: the idle timer runs from now.
    peer.conn.handle_timeout(Instant::now());
    loop {
        match peer.next().await? {
            Ok(Recv::Event(Event::Request(req))) => route(&mut peer, &req).await?,
            // Body of a request whose handler did not read it; then the
            // verdict of a finished exchange.
            Ok(Recv::Event(Event::Data(_) | Event::End(_))) => {}
            Ok(Recv::Event(Event::Cycle(Persist::KeepAlive))) => {}
            Ok(_) => break,
            Err(e) => {
                if let Some(status) = e.status() {
                    // Fails if a response was already under way; then
                    // closing is all that is left.
                    let _ =
                        peer.respond(status, &[Header::new("Content-Length", "0")], Bytes::new());
                }
                break;
            }
        }
    }
    peer.close().await;
    Ok(())
}

async fn route(peer: &mut Peer, req: &RequestHead) -> io::Result<()> {
    let is_head = req.method() == "HEAD";
    let (path, query) = req.target().split_once('?').unwrap_or((req.target(), ""));
    let text = Header::new("Content-Type", "text/plain");
    match path {
        "/" => {
            let body = Bytes::from_static(if is_head { b"" } else { b"Hello, World!" });
            peer.respond(200, &[text, Header::new("Content-Length", "13")], body)
        }
        "/echo" => echo(peer, req, is_head).await,
        "/stream" => stream(peer, query, is_head).await,
        _ => match path.strip_prefix("/status/").and_then(|s| s.parse().ok()) {
            // No Content-Length: the machine frames it (and knows 204 and
            // 304 have no body).
            Some(status @ 200..=999) => peer.respond(status, &[], Bytes::new()),
            _ => {
                let body = Bytes::from_static(if is_head { b"" } else { b"not found\n" });
                peer.respond(404, &[text, Header::new("Content-Length", "10")], body)
            }
        },
    }
}

/// Streams the request body back as it arrives.
async fn echo(peer: &mut Peer, req: &RequestHead, is_head: bool) -> io::Result<()> {
    if req.expects_continue() {
        // The handler is about to read the body: invite it.
        let resp = Response::new(100, &[]);
        peer.conn.send_response(&resp, &mut peer.out).map_err(bug)?;
    }
    let ct = Header::new("Content-Type", "application/octet-stream");
    let resp = Response::new(200, std::slice::from_ref(&ct));
    peer.conn.send_response(&resp, &mut peer.out).map_err(bug)?;
    loop {
        match peer.next().await? {
            Ok(Recv::Event(Event::Data(d))) if !is_head => {
                peer.conn.send_data(d, &mut peer.out).map_err(bug)?;
            }
            Ok(Recv::Event(Event::Data(_))) => {}
            Ok(Recv::Event(Event::End(_))) => break,
            Ok(other) => return Err(io::Error::other(format!("body cut short: {other:?}"))),
            Err(e) => return Err(io::Error::other(e)),
        }
    }
    peer.conn.send_end(&[], &mut peer.out).map_err(bug)
}

/// Server push over a persistent connection: one event per interval.
async fn stream(peer: &mut Peer, query: &str, is_head: bool) -> io::Result<()> {
    let param = |name: &str, default: u64| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    let (count, interval) = (param("n", 60), param("interval_ms", 1000));
    let headers = [
        Header::new("Content-Type", "text/event-stream"),
        Header::new("Cache-Control", "no-cache"),
    ];
    peer.conn
        .send_response(&Response::new(200, &headers), &mut peer.out)
        .map_err(bug)?;
    for i in 1..=count {
        if is_head {
            break;
        }
        let event = Bytes::from(format!("data: event {i}\n\n"));
        peer.conn.send_data(event, &mut peer.out).map_err(bug)?;
        peer.flush().await?;
        if i < count {
            tokio::time::sleep(Duration::from_millis(interval)).await;
        }
    }
    peer.conn.send_end(&[], &mut peer.out).map_err(bug)
}
