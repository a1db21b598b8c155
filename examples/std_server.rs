//! A blocking HTTP/1.1 server: `std::net`, one thread per connection, every
//! framing and persistence decision taken by [`keepalive::Connection`].
//!
//! ```text
//! cargo run --example std_server -- [--addr 127.0.0.1:8080] [--idle-timeout SECS]
//!     [--max-requests N (0: unlimited)] [--quiet]
//! ```
//!
//! Routes: `/` (Hello, World!), `/echo` (streams the request body back),
//! `/stream?n=N&interval_ms=MS` (one event per interval, default 60 × 1 s),
//! `/status/N`. It prints `listening on ADDR`, then `accept N PEER` per TCP
//! connection unless `--quiet`.
//!
//! Time is the machine's too: before every read the socket's read timeout
//! is set to [`Connection::poll_timeout`], and [`Connection::handle_timeout`]
//! hears the time after every read (idle close, 408 for slow heads and
//! bodies, lingering after a close).

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use keepalive::{
    Config, Connection, Event, Header, Persist, Recv, RecvError, RequestHead, Response, Role,
    SendBuf, TimerKind,
};
use socket2::{SockRef, TcpKeepalive};

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
    let listener = TcpListener::bind(&opts.addr)?;
    println!("listening on {}", listener.local_addr()?);
    let opts: &'static Opts = Box::leak(Box::new(opts));
    let accepted = AtomicU64::new(0);
    for stream in listener.incoming() {
        let stream = stream?;
        let n = accepted.fetch_add(1, Ordering::Relaxed) + 1;
        if !opts.quiet {
            println!("accept {n} {}", stream.peer_addr()?);
        }
        std::thread::spawn(move || {
            // An IO error (reset, idle timeout) just ends the connection.
            let _ = serve(stream, opts);
        });
    }
    Ok(())
}

/// One TCP connection: the socket, the machine, and its output queue.
struct Peer {
    stream: TcpStream,
    conn: Connection,
    out: SendBuf,
}

impl Peer {
    /// Reads once, straight into the machine's receive buffer, waiting
    /// no longer than the machine's next deadline.
    fn fill(&mut self) -> io::Result<()> {
        self.stream.set_read_timeout(self.wait())?;
        let buf = self.conn.recv_buf();
        let len = buf.len();
        buf.resize(len + READ_SIZE, 0);
        let read = self.stream.read(&mut buf[len..]);
        buf.truncate(len + *read.as_ref().unwrap_or(&0));
        self.conn.handle_timeout(Instant::now());
        match read {
            Ok(0) => self.conn.receive_eof(),
            Ok(_) => {}
            // The deadline passed: handle_timeout above has applied it.
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Time until the machine's next deadline (`None`: wait forever).
    fn wait(&self) -> Option<Duration> {
        let deadline = self.conn.poll_timeout()?;
        let left = deadline.saturating_duration_since(Instant::now());
        // A zero read timeout means "none" to the OS.
        Some(left.max(Duration::from_millis(1)))
    }

    /// Writes everything queued, body segments included, with `writev`.
    fn flush(&mut self) -> io::Result<()> {
        while self.out.has_remaining() {
            let mut iov = [IoSlice::new(&[]); 64];
            let n = self.out.chunks_vectored(&mut iov);
            let written = self.stream.write_vectored(&iov[..n])?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.out.advance(written);
        }
        Ok(())
    }

    /// The next event, reading as needed. Output is flushed only before
    /// blocking, so responses to pipelined requests leave in one write.
    fn next(&mut self) -> io::Result<Result<Recv, RecvError>> {
        loop {
            match self.conn.poll_event() {
                Ok(Recv::NeedData) => {
                    self.flush()?;
                    self.fill()?;
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
    fn close(mut self) {
        let _ = self.flush();
        let _ = self.stream.shutdown(Shutdown::Write);
        let mut sink = [0u8; 4096];
        while let Some(wait) = self.wait() {
            if self.stream.set_read_timeout(Some(wait)).is_err() {
                break;
            }
            let read = self.stream.read(&mut sink);
            let fired = self.conn.handle_timeout(Instant::now());
            if fired.contains(TimerKind::Linger) || !matches!(read, Ok(1..)) {
                break;
            }
        }
    }
}

fn bug(e: keepalive::SendError) -> io::Error {
    io::Error::other(e)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn serve(stream: TcpStream, opts: &Opts) -> io::Result<()> {
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
        match peer.next()? {
            Ok(Recv::Event(Event::Request(req))) => route(&mut peer, &req)?,
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
    peer.close();
    Ok(())
}

fn route(peer: &mut Peer, req: &RequestHead) -> io::Result<()> {
    let is_head = req.method() == "HEAD";
    let (path, query) = req.target().split_once('?').unwrap_or((req.target(), ""));
    let text = Header::new("Content-Type", "text/plain");
    match path {
        "/" => {
            let body = Bytes::from_static(if is_head { b"" } else { b"Hello, World!" });
            peer.respond(200, &[text, Header::new("Content-Length", "13")], body)
        }
        "/echo" => echo(peer, req, is_head),
        "/stream" => stream(peer, query, is_head),
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
fn echo(peer: &mut Peer, req: &RequestHead, is_head: bool) -> io::Result<()> {
    if req.expects_continue() {
        // The handler is about to read the body: invite it.
        let resp = Response::new(100, &[]);
        peer.conn.send_response(&resp, &mut peer.out).map_err(bug)?;
    }
    let ct = Header::new("Content-Type", "application/octet-stream");
    let resp = Response::new(200, std::slice::from_ref(&ct));
    peer.conn.send_response(&resp, &mut peer.out).map_err(bug)?;
    loop {
        match peer.next()? {
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
fn stream(peer: &mut Peer, query: &str, is_head: bool) -> io::Result<()> {
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
        peer.flush()?;
        if i < count {
            std::thread::sleep(Duration::from_millis(interval));
        }
    }
    peer.conn.send_end(&[], &mut peer.out).map_err(bug)
}
