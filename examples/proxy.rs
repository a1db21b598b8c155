//! A reverse proxy: HTTP/1.1 clients in, one upstream server out, both
//! sides kept alive, every message forwarded with [`keepalive::proxy`].
//!
//! ```text
//! cargo run --example proxy -- --upstream HOST:PORT [--addr 127.0.0.1:8080]
//!     [--pool N] [--quiet]
//! ```
//!
//! It prints `listening on ADDR`, then unless `--quiet` one line per event
//! worth seeing: `accept N PEER`, `upstream connect N`, `upstream stale
//! (WHY)` when a pooled connection is found closed, and `retry METHOD
//! TARGET` when a request is sent again on another connection.
//!
//! One tokio task per client connection. Each exchange reads the request
//! head, takes an upstream connection (the one this client's previous
//! exchange used, else an idle one from a small pool left by clients that
//! have gone, else a new one), and then moves bytes both ways at once: the request body up while the
//! response comes down, so an upstream that answers while it reads (an
//! echo) cannot deadlock against a client that uploads. Each direction
//! stops reading while 256 KiB wait to be written the other way.
//!
//! A pooled connection may have been closed by the upstream while idle:
//! it is checked for EOF or stray bytes before use, and if it still fails
//! before any response byte arrives, the request is sent again on another
//! connection only when that is safe: an idempotent method (RFC 9110
//! §9.2.2) whose body, if any, has not started to go up (RFC 9112 §9.3.1:
//! "A proxy MUST NOT automatically retry non-idempotent requests").
//!
//! Written on tokio and the crate's public API directly: the library's
//! socket drivers were not available on this branch when it was written.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Buf;
use keepalive::proxy::Proxy;
use keepalive::{
    Config, Connection, Event, Header, Recv, RecvErrorKind, RequestHead, Response, ResponseHead,
    Role, SendBuf, SendError, Version,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: proxy --upstream HOST:PORT [--addr ADDR] [--pool N] [--quiet]

  --upstream HOST:PORT  the server requests are forwarded to (required)
  --addr ADDR           where to listen (default 127.0.0.1:8080)
  --pool N              idle upstream connections kept (default 8)
  --quiet               print only the listening line
  --help                print this and exit";

/// Bytes read from a socket at a time.
const READ_SIZE: usize = 16 * 1024;
/// Stop reading one side while this much waits to be written to the other.
const BACKLOG: usize = 256 * 1024;

struct Opts {
    addr: String,
    upstream: String,
    pool: usize,
    quiet: bool,
}

fn parse_args() -> Result<Opts, String> {
    let mut opts = Opts {
        addr: "127.0.0.1:8080".into(),
        upstream: String::new(),
        pool: 8,
        quiet: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--addr" => opts.addr = value("--addr")?,
            "--upstream" => opts.upstream = value("--upstream")?,
            "--pool" => {
                let v = value("--pool")?;
                opts.pool = v
                    .parse()
                    .map_err(|_| format!("--pool: not a number: {v}"))?;
            }
            "--quiet" => opts.quiet = true,
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    if opts.upstream.is_empty() {
        return Err("--upstream HOST:PORT is required (try --help)".into());
    }
    Ok(opts)
}

fn main() {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("proxy: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let result = runtime.and_then(|rt| rt.block_on(run(opts)));
    if let Err(e) = result {
        eprintln!("proxy: {e}");
        std::process::exit(1);
    }
}

/// What every connection task shares.
struct Shared {
    opts: Opts,
    proxy: Proxy,
    pool: Mutex<Vec<Upstream>>,
    connects: AtomicU64,
}

impl Shared {
    fn log(&self, line: std::fmt::Arguments<'_>) {
        if !self.opts.quiet {
            println!("{line}");
        }
    }
}

async fn run(opts: Opts) -> io::Result<()> {
    let listener = TcpListener::bind(&opts.addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let proxy = Proxy::new("keepalive-proxy")
        .and_then(|p| p.default_host(&opts.upstream))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let shared = Arc::new(Shared {
        opts,
        proxy,
        pool: Mutex::new(Vec::new()),
        connects: AtomicU64::new(0),
    });
    let mut accepted = 0u64;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // A connection reset before it was accepted, or no descriptor
            // left: that connection's problem, not the proxy's.
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        accepted += 1;
        shared.log(format_args!("accept {accepted} {peer}"));
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            if let Err(e) = serve(&shared, stream).await {
                shared.log(format_args!("connection {peer}: {e}"));
            }
        });
    }
}

/// One side of the proxy: a socket and its machine.
struct Side {
    stream: TcpStream,
    conn: Connection,
    out: SendBuf,
}

impl Side {
    fn new(stream: TcpStream, role: Role) -> Self {
        let mut conn = Connection::new(role, Config::default());
        // Timers count from now.
        conn.handle_timeout(Instant::now());
        Self {
            stream,
            conn,
            out: SendBuf::new(),
        }
    }

    /// Reads once into the machine, or lets its next deadline pass.
    async fn fill(&mut self) -> io::Result<()> {
        let buf = self.conn.recv_buf();
        buf.reserve(READ_SIZE);
        let read = match self.conn.poll_timeout() {
            Some(at) => {
                let read = self.stream.read_buf(self.conn.recv_buf());
                tokio::time::timeout_at(at.into(), read).await.ok()
            }
            None => Some(self.stream.read_buf(self.conn.recv_buf()).await),
        };
        self.conn.handle_timeout(Instant::now());
        match read {
            Some(Ok(0)) => self.conn.receive_eof(),
            Some(Ok(_)) | None => {}
            Some(Err(e)) => return Err(e),
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        while self.out.has_remaining() {
            self.stream.write_buf(&mut self.out).await?;
        }
        Ok(())
    }
}

/// An idle upstream connection.
type Upstream = Side;

/// A client connection, exchange after exchange.
async fn serve(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut down = Side::new(stream, Role::Server);
    // The upstream connection this client's last exchange used: the next
    // one goes there too, so a keep-alive client costs one upstream
    // connection, not a pool checkout (and a new connection when the pool
    // is empty) per request. It goes back to the pool when the client
    // leaves.
    let mut held = None;
    let result = exchanges(shared, &mut down, &mut held).await;
    if let Some(up) = held {
        checkin(shared, up);
    }
    result?;
    down.flush().await?;
    // Half-close, then let the client see the end before the socket goes
    // (RFC 9112 §9.6): read until its EOF, for a moment at most.
    down.stream.shutdown().await?;
    let mut sink = [0u8; 4096];
    let linger = tokio::time::sleep(Duration::from_secs(2));
    tokio::pin!(linger);
    loop {
        tokio::select! {
            r = down.stream.read(&mut sink) => if !matches!(r, Ok(n) if n > 0) { break },
            () = &mut linger => break,
        }
    }
    Ok(())
}

/// Reads requests and forwards each until the client connection ends.
async fn exchanges(
    shared: &Shared,
    down: &mut Side,
    held: &mut Option<Upstream>,
) -> io::Result<()> {
    loop {
        let head = match down.conn.poll_event() {
            Ok(Recv::Event(Event::Request(head))) => head,
            // The end of the last exchange, or the rest of a request body
            // already answered with an error.
            Ok(Recv::Event(_)) => continue,
            Ok(Recv::NeedData) => {
                down.flush().await?;
                down.fill().await?;
                continue;
            }
            Ok(Recv::Paused | Recv::Finished) => return Ok(()),
            Err(e) => {
                if !down.conn.response_started() {
                    respond(&mut down.conn, &mut down.out, e.status().unwrap_or(400));
                }
                return Ok(());
            }
        };
        exchange(shared, down, &head, held).await?;
    }
}

/// A short answer from the proxy itself.
fn respond(conn: &mut Connection, out: &mut SendBuf, status: u16) {
    let fields = [Header::new("Content-Length", "0")];
    if conn
        .send_response(&Response::new(status, &fields), out)
        .is_ok()
    {
        let _ = conn.send_end(&[], out);
    }
}

/// How forwarding one request on one upstream connection ended.
enum Outcome {
    /// The response went to the client (or the client went away).
    Done,
    /// The upstream connection failed before any response byte.
    Stale(&'static str),
    /// The machine refused to send on a connection it found closed or
    /// broken: nothing was written, so the request may go to another
    /// connection whatever its method.
    Unsent,
}

/// Forwards one request, on pooled connections while they turn out stale
/// and the request is safe to send again, then on a new one.
async fn exchange(
    shared: &Shared,
    down: &mut Side,
    head: &RequestHead,
    held: &mut Option<Upstream>,
) -> io::Result<()> {
    let fwd = match shared.proxy.forward_request(head, Version::Http11) {
        Ok(fwd) => fwd,
        Err(e) => {
            respond(&mut down.conn, &mut down.out, e.status());
            return Ok(());
        }
    };
    // RFC 9110 §9.2.2: these methods are idempotent.
    let idempotent = matches!(
        head.method(),
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
    );
    let mut progress = Progress::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (mut up, reused) = match checkout(shared, held).await {
            Ok(up) => up,
            Err(e) => {
                shared.log(format_args!("upstream connect failed: {e}"));
                respond(&mut down.conn, &mut down.out, 502);
                return Ok(());
            }
        };
        let mut sent = up.conn.send_request(&fwd.head(), &mut up.out);
        if sent.is_ok() && progress.request_done {
            // A retry of a request whose (empty) body already ended.
            sent = up.conn.send_end(&[], &mut up.out);
        }
        let outcome = match sent {
            Ok(()) => pump(shared, down, &mut up, head, &fwd, &mut progress).await?,
            // Bounded: each try takes a pooled connection or makes one.
            Err(SendError::NotReusable | SendError::ConnectionClosed)
                if attempts <= shared.opts.pool =>
            {
                Outcome::Unsent
            }
            Err(SendError::NotReusable | SendError::ConnectionClosed) => {
                Outcome::Stale("not reusable")
            }
            Err(e) => {
                shared.log(format_args!("cannot forward: {e}"));
                respond(&mut down.conn, &mut down.out, 502);
                return Ok(());
            }
        };
        match outcome {
            Outcome::Done => {
                if up.conn.is_reusable() {
                    *held = Some(up);
                }
                return Ok(());
            }
            Outcome::Unsent => {
                shared.log(format_args!("upstream stale (not reusable)"));
            }
            Outcome::Stale(why)
                if reused && idempotent && !progress.body_sent && !progress.answered =>
            {
                shared.log(format_args!("upstream stale ({why})"));
                shared.log(format_args!("retry {} {}", head.method(), head.target()));
            }
            Outcome::Stale(why) => {
                shared.log(format_args!("upstream failed ({why})"));
                if !progress.answered {
                    respond(&mut down.conn, &mut down.out, 502);
                }
                return Ok(());
            }
        }
    }
}

/// The held or a pooled connection that still looks alive, or a new one.
async fn checkout(shared: &Shared, held: &mut Option<Upstream>) -> io::Result<(Upstream, bool)> {
    loop {
        let idle = held
            .take()
            .or_else(|| shared.pool.lock().map_or(None, |mut pool| pool.pop()));
        let Some(mut up) = idle else { break };
        up.conn.handle_timeout(Instant::now());
        // The upstream may have closed it, or sent something unasked
        // (an idle 408): the machine must see either before reuse.
        match up.stream.try_read_buf(up.conn.recv_buf()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Ok(0) => up.conn.receive_eof(),
            Ok(_) | Err(_) => {}
        }
        if up.conn.is_reusable() {
            return Ok((up, true));
        }
        shared.log(format_args!("upstream stale (closed while idle)"));
    }
    let stream = TcpStream::connect(&shared.opts.upstream).await?;
    stream.set_nodelay(true)?;
    let n = shared.connects.fetch_add(1, Ordering::Relaxed) + 1;
    shared.log(format_args!("upstream connect {n}"));
    Ok((Side::new(stream, Role::Client), false))
}

fn checkin(shared: &Shared, up: Upstream) {
    if up.conn.is_reusable() && !up.out.has_remaining() {
        if let Ok(mut pool) = shared.pool.lock() {
            if pool.len() < shared.opts.pool {
                pool.push(up);
            }
        }
    }
}

/// What one attempt has done that cannot be undone.
#[derive(Default)]
struct Progress {
    /// Request body bytes went to the upstream.
    body_sent: bool,
    /// A response head (interim or final) went to the client.
    answered: bool,
    /// The request's end (and its trailers) went to the upstream.
    request_done: bool,
}

/// Moves one exchange both ways until the response has reached the client.
async fn pump(
    shared: &Shared,
    down: &mut Side,
    up: &mut Side,
    head: &RequestHead,
    fwd: &keepalive::proxy::ForwardedRequest<'_>,
    progress: &mut Progress,
) -> io::Result<Outcome> {
    let client_version = head.version();
    let mut response: Option<(ResponseHead, keepalive::BodyLength)> = None;
    let mut response_done = false;
    let (mut down_r, mut down_w) = down.stream.split();
    let (mut up_r, mut up_w) = up.stream.split();
    loop {
        // The request body, up.
        while !progress.request_done {
            match down.conn.poll_event() {
                Ok(Recv::Event(Event::Data(data))) => {
                    progress.body_sent = true;
                    up.conn
                        .send_data(data, &mut up.out)
                        .map_err(io::Error::other)?;
                }
                Ok(Recv::Event(Event::End(trailers))) => {
                    let kept = shared
                        .proxy
                        .forward_trailers(head.headers(), &trailers, fwd.body());
                    // Trailers cannot be replayed: as good as body bytes.
                    progress.body_sent |= !kept.is_empty();
                    up.conn
                        .send_end(&kept, &mut up.out)
                        .map_err(io::Error::other)?;
                    progress.request_done = true;
                }
                Ok(Recv::NeedData | Recv::Paused) => break,
                // The client vanished or broke the body mid-request: the
                // upstream request cannot be completed, nor that connection
                // reused.
                Ok(_) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Err(e) => {
                    if !progress.answered {
                        respond(&mut down.conn, &mut down.out, e.status().unwrap_or(400));
                        down_w.write_all_buf(&mut down.out).await?;
                    }
                    return Err(io::Error::other(e));
                }
            }
        }
        // The response, down.
        while !response_done {
            match up.conn.poll_event() {
                Ok(Recv::Event(Event::Informational(h) | Event::Response(h))) => {
                    match shared.proxy.forward_response(&h, client_version) {
                        Ok(Some(f)) => {
                            down.conn
                                .send_response(&f.head(), &mut down.out)
                                .map_err(io::Error::other)?;
                            progress.answered = true;
                            if !(100..200).contains(&h.status()) {
                                response = Some((h.clone(), f.body()));
                            }
                        }
                        Ok(None) => {}
                        Err(e) => {
                            respond(&mut down.conn, &mut down.out, e.status());
                            down_w.write_all_buf(&mut down.out).await?;
                            return Err(io::Error::other(e));
                        }
                    }
                }
                Ok(Recv::Event(Event::Data(data))) => {
                    down.conn
                        .send_data(data, &mut down.out)
                        .map_err(io::Error::other)?;
                }
                Ok(Recv::Event(Event::End(trailers))) => {
                    let kept = match &response {
                        Some((h, body)) => {
                            shared.proxy.forward_trailers(h.headers(), &trailers, *body)
                        }
                        None => Vec::new(),
                    };
                    down.conn
                        .send_end(&kept, &mut down.out)
                        .map_err(io::Error::other)?;
                }
                Ok(Recv::Event(Event::Cycle(_))) => response_done = true,
                Ok(Recv::NeedData | Recv::Paused) => break,
                // A client machine never yields a request.
                Ok(
                    Recv::Event(Event::Closed | Event::Switched { .. } | Event::Request(_))
                    | Recv::Finished,
                ) => {
                    if !up.conn.response_started() {
                        return Ok(Outcome::Stale("closed before answering"));
                    }
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                // A close before any response byte is a stale connection
                // (the machine reports it as an incomplete exchange).
                Err(_) if !up.conn.response_started() && up.conn.eof_received() => {
                    return Ok(Outcome::Stale("closed before answering"));
                }
                Err(e) => {
                    if !progress.answered {
                        // A slow upstream is not a stale one: no retry.
                        let timeout = matches!(
                            e.kind(),
                            RecvErrorKind::HeadTimeout | RecvErrorKind::BodyTimeout
                        );
                        let status = if timeout { 504 } else { 502 };
                        respond(&mut down.conn, &mut down.out, status);
                        down_w.write_all_buf(&mut down.out).await?;
                    }
                    return Err(io::Error::other(e));
                }
            }
        }
        if response_done && !down.out.has_remaining() {
            return Ok(Outcome::Done);
        }
        let read_down = !progress.request_done && up.out.remaining() < BACKLOG;
        let read_up = !response_done && down.out.remaining() < BACKLOG;
        if read_down {
            down.conn.recv_buf().reserve(READ_SIZE);
        }
        if read_up {
            up.conn.recv_buf().reserve(READ_SIZE);
        }
        let deadline = [down.conn.poll_timeout(), up.conn.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let wake = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = down_r.read_buf(down.conn.recv_buf()), if read_down => {
                if r? == 0 {
                    down.conn.receive_eof();
                }
            }
            r = up_r.read_buf(up.conn.recv_buf()), if read_up => match r {
                Ok(0) => up.conn.receive_eof(),
                Ok(_) => {}
                Err(_) if !up.conn.response_started() => return Ok(Outcome::Stale("read failed")),
                Err(e) => return Err(e),
            },
            r = down_w.write_buf(&mut down.out), if down.out.has_remaining() => {
                r?;
            }
            r = up_w.write_buf(&mut up.out), if up.out.has_remaining() => {
                if let Err(e) = r {
                    if !up.conn.response_started() {
                        return Ok(Outcome::Stale("write failed"));
                    }
                    return Err(e);
                }
            }
            () = wake => {}
        }
        let now = Instant::now();
        down.conn.handle_timeout(now);
        up.conn.handle_timeout(now);
    }
}
