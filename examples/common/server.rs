//! The server examples' command line and routes: what to answer, queued
//! into the machine's output; the driver moves the bytes and keeps time.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use keepalive::{
    Config, Connection, Event, Header, Persist, Recv, RecvError, RequestHead, Response, SendBuf,
    SendError,
};

use keepalive::blocking::Options;
use socket2::{SockRef, TcpKeepalive};

use super::{fail, Args};

/// The server examples' usage.
pub const USAGE: &str = "
An HTTP/1.1 server on keepalive's socket driver.

Usage: SERVER [OPTIONS]

Options:
  --addr HOST:PORT        address to listen on (default 127.0.0.1:8080)
  --idle-timeout SECS     close idle keep-alive connections after SECS (default 75)
  --max-requests N        requests per connection, 0: unlimited (default 1000)
  --max-body BYTES        largest request body; larger ones get 413 (default: no limit)
  --send-timeout SECS     close a connection whose peer reads nothing for SECS (default 60)
  --quiet                 do not print a line per accepted connection
  -h, --help              print this help

Routes: / (Hello, World!), /echo (streams the request body back),
/stream?n=N&interval_ms=MS (one event per interval, default 60 x 1 s), /status/N.
";

/// The server examples' command line.
pub struct Opts {
    pub addr: String,
    pub config: Config,
    pub driver: Options,
    pub quiet: bool,
}

impl Opts {
    pub fn parse() -> Self {
        let mut opts = Opts {
            addr: "127.0.0.1:8080".into(),
            config: Config::default(),
            driver: Options::default(),
            quiet: false,
        };
        // Connection errors go to stderr, one line each.
        opts.driver.on_error = std::sync::Arc::new(|stage, e| eprintln!("{stage:?}: {e}"));
        let mut args = Args::new(USAGE);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--addr" => opts.addr = args.value("--addr"),
                "--idle-timeout" => opts.config.idle_timeout = Some(args.secs(&a)),
                "--max-requests" => {
                    let n: u32 = args.value(&a);
                    opts.config.max_requests = Some(n).filter(|&n| n > 0);
                }
                "--max-body" => opts.config.max_body_len = Some(args.value(&a)),
                "--send-timeout" => opts.driver.send_timeout = Some(args.secs(&a)),
                "--quiet" => opts.quiet = true,
                _ => fail(&format!("unknown argument {a:?}")),
            }
        }
        opts
    }
}

/// Turns TCP keep-alive on, so that a peer that vanished without a word
/// during a long `/stream` is found; a failure only loses that.
pub fn tune(sock: SockRef<'_>) {
    let ka = TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10));
    let _ = sock.set_tcp_keepalive(&ka);
}

/// A misuse of the send API: a bug in the example, not the peer's fault.
pub fn bug(e: SendError) -> io::Error {
    io::Error::other(e)
}

/// What the connection loop does next.
pub enum Next {
    /// Answer this request.
    Request(RequestHead),
    /// Poll again.
    Poll,
    /// Flush what is queued and close.
    Close,
}

/// Takes in what the connection loop polled; a malformed request gets its
/// error response queued before [`Next::Close`].
pub fn dispatch(conn: &mut Connection, out: &mut SendBuf, polled: Result<Recv, RecvError>) -> Next {
    match polled {
        Ok(Recv::Event(Event::Request(req))) => Next::Request(req),
        // Body of a request whose handler did not read it; then the
        // verdict of a finished exchange.
        Ok(Recv::Event(Event::Data(_) | Event::End(_))) => Next::Poll,
        Ok(Recv::Event(Event::Cycle(Persist::KeepAlive))) => Next::Poll,
        Ok(_) => Next::Close,
        Err(e) => {
            if let Some(status) = e.status() {
                // Fails if a response was already under way; then
                // closing is all that is left.
                let _ = respond(
                    conn,
                    out,
                    status,
                    &[Header::new("Content-Length", "0")],
                    Bytes::new(),
                );
            }
            Next::Close
        }
    }
}

/// Queues a whole response.
pub fn respond(
    conn: &mut Connection,
    out: &mut SendBuf,
    status: u16,
    headers: &[Header<'_>],
    body: Bytes,
) -> io::Result<()> {
    let resp = Response::new(status, headers);
    conn.send_response(&resp, out).map_err(bug)?;
    if !body.is_empty() {
        conn.send_data(body, out).map_err(bug)?;
    }
    conn.send_end(&[], out).map_err(bug)
}

/// What is left of a response after [`route`].
pub enum Route {
    /// Queued whole.
    Answered,
    /// `/echo`: feed each polled body event to [`Echo::on_poll`].
    Echo(Echo),
    /// `/stream`: the head is queued; send `count` [`event`]s, one per
    /// `interval`, then end the body.
    Stream { count: u64, interval: Duration },
}

/// Routes: `/` (Hello, World!), `/echo` (streams the request body back),
/// `/stream?n=N&interval_ms=MS` (one event per interval, default 60 × 1 s),
/// `/status/N`.
pub fn route(conn: &mut Connection, out: &mut SendBuf, req: &RequestHead) -> io::Result<Route> {
    let is_head = req.method() == "HEAD";
    let (path, query) = req.target().split_once('?').unwrap_or((req.target(), ""));
    let text = Header::new("Content-Type", "text/plain");
    match path {
        "/" => {
            let body = Bytes::from_static(if is_head { b"" } else { b"Hello, World!" });
            respond(
                conn,
                out,
                200,
                &[text, Header::new("Content-Length", "13")],
                body,
            )?;
        }
        "/echo" => {
            if req.expects_continue() {
                // The handler is about to read the body: invite it.
                let resp = Response::new(100, &[]);
                conn.send_response(&resp, out).map_err(bug)?;
            }
            return Ok(Route::Echo(Echo {
                is_head,
                head_sent: false,
            }));
        }
        // Server push over a persistent connection.
        "/stream" => {
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
            conn.send_response(&Response::new(200, &headers), out)
                .map_err(bug)?;
            return Ok(Route::Stream {
                count: if is_head { 0 } else { count },
                interval: Duration::from_millis(interval),
            });
        }
        _ => match path.strip_prefix("/status/").and_then(|s| s.parse().ok()) {
            // No Content-Length: the machine frames it (and knows 204 and
            // 304 have no body).
            Some(status @ 200..=999) => respond(conn, out, status, &[], Bytes::new())?,
            _ => {
                let body = Bytes::from_static(if is_head { b"" } else { b"not found\n" });
                respond(
                    conn,
                    out,
                    404,
                    &[text, Header::new("Content-Length", "10")],
                    body,
                )?;
            }
        },
    }
    Ok(Route::Answered)
}

/// An `/echo` response: the request body streamed back as it arrives.
pub struct Echo {
    is_head: bool,
    head_sent: bool,
}

impl Echo {
    /// Takes in one polled event of the request body, queuing the data
    /// back; true once the exchange is answered. The head waits for the
    /// first body event, so that a body the machine refuses (413 past
    /// `--max-body`) still gets its error status.
    pub fn on_poll(
        &mut self,
        conn: &mut Connection,
        out: &mut SendBuf,
        polled: Result<Recv, RecvError>,
    ) -> io::Result<bool> {
        if let (false, Err(e)) = (self.head_sent, &polled) {
            if let Some(status) = e.status() {
                let fields = [Header::new("Content-Length", "0")];
                respond(conn, out, status, &fields, Bytes::new())?;
                return Ok(true);
            }
        }
        if !self.head_sent {
            let ct = Header::new("Content-Type", "application/octet-stream");
            let resp = Response::new(200, std::slice::from_ref(&ct));
            conn.send_response(&resp, out).map_err(bug)?;
            self.head_sent = true;
        }
        match polled {
            Ok(Recv::Event(Event::Data(d))) if !self.is_head => {
                conn.send_data(d, out).map_err(bug)?;
            }
            Ok(Recv::Event(Event::Data(_))) => {}
            Ok(Recv::Event(Event::End(_))) => {
                conn.send_end(&[], out).map_err(bug)?;
                return Ok(true);
            }
            Ok(other) => return Err(io::Error::other(format!("body cut short: {other:?}"))),
            Err(e) => return Err(io::Error::other(e)),
        }
        Ok(false)
    }
}

/// The `i`th event of a `/stream` response.
pub fn event(i: u64) -> Bytes {
    Bytes::from(format!("data: event {i}\n\n"))
}
