//! A reverse proxy: HTTP/1.1 clients in, one upstream server out, both
//! sides kept alive, on the tokio socket driver (`keepalive::tokio`), every
//! message forwarded with [`keepalive::proxy`].
//!
//! ```text
//! cargo run --example proxy -- --upstream HOST:PORT
//!     [--addr 127.0.0.1:8080] [--pool N] [--quiet]
//! ```
//!
//! It prints `listening on ADDR`, then unless `--quiet` one line per event
//! worth seeing: `upstream connect N`, `upstream stale (WHY)` when a pooled
//! connection turns out closed, `retry METHOD TARGET` when a request is
//! sent again on another connection, `upstream failed (WHY)`.
//!
//! The driver's accept loop runs one task per client connection. Each
//! exchange reads the request head, takes an upstream connection (the one
//! this client's previous exchange used, else an idle one from a small
//! pool left by clients that have gone, else a new one), and then moves
//! both ways at once: the request
//! body up while the response comes down, so an upstream that answers
//! while it reads (an echo) cannot deadlock against a client that uploads.
//! Each side stops reading while 256 KiB wait to be written to the other.
//!
//! A pooled connection may have been closed by the upstream while idle:
//! the driver checks it for EOF or stray bytes before use
//! ([`Conn::check_reusable`]), and if it still fails before any response
//! byte arrives, the request is sent again on another connection only when
//! that is safe ([`Conn::may_retry`]: an idempotent method, RFC 9110
//! §9.2.2) and its body, if any, has not started to go up (RFC 9112
//! §9.3.1: "A proxy MUST NOT automatically retry non-idempotent
//! requests").

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Buf;
use keepalive::proxy::{ForwardedRequest, Proxy};
use keepalive::tokio::{serve, Conn, Options, Stage};
use keepalive::{
    BodyLength, Config, Event, Header, Recv, RecvError, RecvErrorKind, RequestHead, Response,
    ResponseHead, SendError, Version,
};
use tokio::net::TcpListener;

const USAGE: &str = "usage: proxy --upstream HOST:PORT [--addr ADDR] [--pool N] [--quiet]

  --upstream HOST:PORT  the server requests are forwarded to (required)
  --addr ADDR           where to listen (default 127.0.0.1:8080)
  --pool N              idle upstream connections kept (default 8)
  --quiet               print only the listening line
  --help                print this and exit";

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
    pool: Mutex<Vec<Conn>>,
    connects: AtomicU64,
}

impl Shared {
    fn log(&self, line: std::fmt::Arguments<'_>) {
        if !self.opts.quiet {
            println!("{line}");
        }
    }
}

fn report(stage: Stage, e: &io::Error) {
    eprintln!("{stage:?}: {e}");
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
    let mut options = Options::default();
    if !shared.opts.quiet {
        options.on_error = Arc::new(report);
    }
    serve(listener, Config::default(), options, move |down| {
        let shared = Arc::clone(&shared);
        async move { serve_client(&shared, down).await }
    })
    .await
}

/// A client connection, exchange after exchange.
async fn serve_client(shared: &Shared, mut down: Conn) -> io::Result<()> {
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
    down.close().await
}

/// Reads requests and forwards each until the client connection ends.
async fn exchanges(shared: &Shared, down: &mut Conn, held: &mut Option<Conn>) -> io::Result<()> {
    loop {
        match down.next_event().await? {
            Ok(Recv::Event(Event::Request(head))) => exchange(shared, down, &head, held).await?,
            // The end of the last exchange, or the rest of a request body
            // already answered with an error.
            Ok(Recv::Event(_)) => {}
            Ok(Recv::NeedData | Recv::Paused | Recv::Finished) => return Ok(()),
            Err(e) => {
                if !down.connection().response_started() {
                    respond(down, e.status().unwrap_or(400));
                }
                return Ok(());
            }
        }
    }
}

/// A short answer from the proxy itself.
fn respond(down: &mut Conn, status: u16) {
    let fields = [Header::new("Content-Length", "0")];
    if down.send_response(&Response::new(status, &fields)).is_ok() {
        let _ = down.send_end(&[]);
    }
}

/// How forwarding one request on one upstream connection ended.
enum Outcome {
    /// The response went to the client.
    Done,
    /// The upstream connection failed before any response byte.
    Stale(&'static str),
    /// The machine refused to send on a connection it found closed or
    /// broken: nothing was written, so the request may go to another
    /// connection whatever its method.
    Unsent,
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

/// Forwards one request, on pooled connections while they turn out stale
/// and the request is safe to send again, then on a new one.
async fn exchange(
    shared: &Shared,
    down: &mut Conn,
    head: &RequestHead,
    held: &mut Option<Conn>,
) -> io::Result<()> {
    let fwd = match shared.proxy.forward_request(head, Version::Http11) {
        Ok(fwd) => fwd,
        Err(e) => {
            respond(down, e.status());
            return Ok(());
        }
    };
    let mut progress = Progress::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut up = match checkout(shared, held).await {
            Ok(up) => up,
            Err(e) => {
                shared.log(format_args!("upstream connect failed: {e}"));
                respond(down, 502);
                return Ok(());
            }
        };
        let mut sent = up.send_request(&fwd.head());
        if sent.is_ok() && progress.request_done {
            // A retry of a request whose (empty) body already ended.
            sent = up.send_end(&[]);
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
                respond(down, 502);
                return Ok(());
            }
        };
        match outcome {
            Outcome::Done => {
                if up.connection().is_reusable() {
                    *held = Some(up);
                }
                return Ok(());
            }
            Outcome::Unsent => {
                shared.log(format_args!("upstream stale (not reusable)"));
            }
            Outcome::Stale(why) if up.may_retry() && !progress.body_sent && !progress.answered => {
                shared.log(format_args!("upstream stale ({why})"));
                shared.log(format_args!("retry {} {}", head.method(), head.target()));
            }
            Outcome::Stale(why) => {
                shared.log(format_args!("upstream failed ({why})"));
                if !progress.answered {
                    respond(down, 502);
                }
                return Ok(());
            }
        }
    }
}

/// The held or a pooled connection the driver finds still usable, or a
/// new one.
async fn checkout(shared: &Shared, held: &mut Option<Conn>) -> io::Result<Conn> {
    loop {
        let idle = held
            .take()
            .or_else(|| shared.pool.lock().map_or(None, |mut pool| pool.pop()));
        let Some(mut up) = idle else { break };
        if up.check_reusable() {
            return Ok(up);
        }
        shared.log(format_args!("upstream stale (closed while idle)"));
    }
    let up = Conn::connect(&shared.opts.upstream, Config::default(), Options::default()).await?;
    let n = shared.connects.fetch_add(1, Ordering::Relaxed) + 1;
    shared.log(format_args!("upstream connect {n}"));
    Ok(up)
}

fn checkin(shared: &Shared, mut up: Conn) {
    let idle = up.connection().is_reusable() && !up.parts_mut().1.has_remaining();
    if idle {
        if let Ok(mut pool) = shared.pool.lock() {
            if pool.len() < shared.opts.pool {
                pool.push(up);
            }
        }
    }
}

/// What to do with one side while the other works.
#[derive(Clone, Copy)]
enum Work {
    /// Read its next event (writing what it has queued first).
    Read,
    /// Only write what it has queued.
    Flush,
    /// Nothing.
    Wait,
}

impl Work {
    fn of(conn: &mut Conn, read: bool) -> Self {
        if read {
            Self::Read
        } else if conn.parts_mut().1.has_remaining() {
            Self::Flush
        } else {
            Self::Wait
        }
    }

    /// `Some` event after a read; `None` once flushed.
    async fn run(self, conn: &mut Conn) -> io::Result<Option<Result<Recv, RecvError>>> {
        match self {
            Self::Read => conn.next_event().await.map(Some),
            Self::Flush => conn.flush().await.map(|()| None),
            Self::Wait => std::future::pending().await,
        }
    }
}

/// Which side made progress.
enum Step {
    Down(io::Result<Option<Result<Recv, RecvError>>>),
    Up(io::Result<Option<Result<Recv, RecvError>>>),
}

/// Moves one exchange both ways until the response has reached the client.
async fn pump(
    shared: &Shared,
    down: &mut Conn,
    up: &mut Conn,
    head: &RequestHead,
    fwd: &ForwardedRequest<'_>,
    progress: &mut Progress,
) -> io::Result<Outcome> {
    let mut response: Option<(ResponseHead, BodyLength)> = None;
    let mut response_done = false;
    loop {
        let down_backlog = down.parts_mut().1.remaining();
        if response_done && down_backlog == 0 {
            return Ok(Outcome::Done);
        }
        let up_backlog = up.parts_mut().1.remaining();
        let down_work = Work::of(down, !progress.request_done && up_backlog < BACKLOG);
        let up_work = Work::of(up, !response_done && down_backlog < BACKLOG);
        // Both futures end here, so the event can use both sides.
        let step = tokio::select! {
            r = down_work.run(down) => Step::Down(r),
            r = up_work.run(up) => Step::Up(r),
        };
        match step {
            // The request body, up.
            Step::Down(r) => match r? {
                None => {}
                Some(Ok(Recv::Event(Event::Data(data)))) => {
                    progress.body_sent = true;
                    request_part(up, progress, |up| up.send_data(data))?;
                }
                Some(Ok(Recv::Event(Event::End(trailers)))) => {
                    let kept = shared
                        .proxy
                        .forward_trailers(head.headers(), &trailers, fwd.body());
                    // Trailers cannot be replayed: as good as body bytes.
                    progress.body_sent |= !kept.is_empty();
                    request_part(up, progress, |up| up.send_end(&kept))?;
                    progress.request_done = true;
                }
                // The client's machine ended the exchange before the
                // request's end was read here: the whole response (its end
                // forwarded by the arm below) was queued first, on a
                // connection that closes (an HTTP/1.0 client, an upstream's
                // early answer). Nothing more of the request comes.
                Some(Ok(Recv::Event(Event::Cycle(_)))) => {
                    if fwd.body() == BodyLength::Empty {
                        // Nothing was missing: ending it upstream sends no
                        // byte and lets that connection end its exchange.
                        request_part(up, progress, |up| up.send_end(&[]))?;
                    } else {
                        // That request stays unfinished upstream, so its
                        // connection is not reused, and waiting for its
                        // cycle would wait forever.
                        response_done = true;
                    }
                    progress.request_done = true;
                }
                // The client vanished or broke the body mid-request: the
                // upstream request cannot be completed, nor that connection
                // reused.
                Some(Ok(_)) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Some(Err(e)) => {
                    if !progress.answered {
                        respond(down, e.status().unwrap_or(400));
                        down.flush().await?;
                    }
                    return Err(io::Error::other(e));
                }
            },
            // The response, down.
            Step::Up(r) => {
                let started = up.connection().response_started();
                let event = match r {
                    Ok(event) => event,
                    // A reset or a failed write before any response byte:
                    // stale; after one, the response is lost.
                    Err(_) if !started => return Ok(Outcome::Stale("connection failed")),
                    Err(e) => return Err(e),
                };
                match event {
                    None => {}
                    Some(Ok(Recv::Event(Event::Informational(h) | Event::Response(h)))) => {
                        match shared.proxy.forward_response(&h, head.version()) {
                            Ok(Some(f)) => {
                                if !(100..200).contains(&h.status())
                                    && !progress.request_done
                                    && !up.connection().persist().is_keep_alive()
                                {
                                    // The upstream will close after this
                                    // answer and read no more of the body:
                                    // neither will we, and the client is
                                    // told at the head (RFC 9110 §10.1.1).
                                    let (client, _) = down.parts_mut();
                                    client.discard_request_body().map_err(io::Error::other)?;
                                }
                                down.send_response(&f.head()).map_err(io::Error::other)?;
                                progress.answered = true;
                                if !(100..200).contains(&h.status()) {
                                    response = Some((h.clone(), f.body()));
                                }
                            }
                            Ok(None) => {}
                            Err(e) => {
                                respond(down, e.status());
                                down.flush().await?;
                                return Err(io::Error::other(e));
                            }
                        }
                    }
                    Some(Ok(Recv::Event(Event::Data(data)))) => {
                        down.send_data(data).map_err(io::Error::other)?;
                    }
                    Some(Ok(Recv::Event(Event::End(trailers)))) => {
                        let kept = match &response {
                            Some((h, body)) => {
                                shared.proxy.forward_trailers(h.headers(), &trailers, *body)
                            }
                            None => Vec::new(),
                        };
                        down.send_end(&kept).map_err(io::Error::other)?;
                    }
                    Some(Ok(Recv::Event(Event::Cycle(_)))) => response_done = true,
                    // A client machine asks to send only before the
                    // request, which is sent.
                    Some(Ok(Recv::NeedData | Recv::Paused)) => {}
                    Some(Ok(
                        Recv::Event(Event::Closed | Event::Switched { .. } | Event::Request(_))
                        | Recv::Finished,
                    )) => {
                        if !started {
                            return Ok(Outcome::Stale("closed before answering"));
                        }
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    // A close before any response byte is a stale
                    // connection (the machine reports an incomplete
                    // exchange).
                    Some(Err(_)) if !started && up.connection().eof_received() => {
                        return Ok(Outcome::Stale("closed before answering"));
                    }
                    Some(Err(e)) => {
                        if !progress.answered {
                            // A slow upstream is not a stale one: no retry.
                            let timeout = matches!(
                                e.kind(),
                                RecvErrorKind::HeadTimeout | RecvErrorKind::BodyTimeout
                            );
                            respond(down, if timeout { 504 } else { 502 });
                            down.flush().await?;
                        }
                        return Err(io::Error::other(e));
                    }
                }
            }
        }
    }
}

/// Sends the next part of the request upstream, unless the upstream has
/// already answered it in full and is closing: the machine then ended the
/// exchange early and refuses the rest with `ConnectionClosed`. That
/// happens whenever the response (say nginx's last one on a connection,
/// `Connection: close`) arrives before the client's end of the request has
/// been read, even for a request without a body. It is no failure: the
/// proxy stops sending (RFC 9112 §9.5: a client that "sees a response that
/// indicates the server does not wish to receive the message body and is
/// closing the connection" should "immediately cease transmitting the
/// body") and the response still goes to the client; the rest of the
/// client's body is drained or the client connection closed by its own
/// machine.
fn request_part(
    up: &mut Conn,
    progress: &mut Progress,
    send: impl FnOnce(&mut Conn) -> Result<(), SendError>,
) -> io::Result<()> {
    match send(up) {
        Err(SendError::ConnectionClosed) if up.connection().response_started() => {
            progress.request_done = true;
            Ok(())
        }
        sent => sent.map_err(io::Error::other),
    }
}
