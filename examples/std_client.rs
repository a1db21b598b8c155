//! A blocking HTTP/1.1 client: sends N requests over one connection while
//! the machine's verdict is keep-alive, reconnects when it is not, and
//! prints one line per request with its latency.
//!
//! ```text
//! cargo run --example std_client -- [--addr 127.0.0.1:8080] [-n N] [--close]
//!     [-H 'Name: value']... [--pause-ms MS] [--quiet] [[METHOD:]PATH]...
//! ```
//!
//! The paths (default `/`) are used in turn for the N requests (default:
//! one round of the paths). Each line reads
//! `req=I method=M path=P status=S framing=F body=BYTES fnv=HASH conn=C verdict=V us=LATENCY`;
//! the last line is a summary.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Instant;

use bytes::Buf;
use keepalive::{
    BodyLength, Config, Connection, Event, Header, Persist, Recv, RecvErrorKind, Request, Role,
    SendBuf, SendError,
};

const READ_SIZE: usize = 16 * 1024;

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:8080".to_string();
    let (mut n, mut close, mut quiet, mut pause) = (None, false, false, 0);
    let (mut extra, mut specs) = (Vec::new(), Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => addr = args.next().expect("--addr HOST:PORT"),
            "-n" => n = args.next().and_then(|s| s.parse().ok()),
            "--close" => close = true,
            "--quiet" => quiet = true,
            "--pause-ms" => pause = args.next().and_then(|s| s.parse().ok()).expect("MS"),
            "-H" => extra.push(args.next().expect("-H 'Name: value'")),
            _ => specs.push(a),
        }
    }
    if specs.is_empty() {
        specs.push("/".into());
    }
    let n: usize = n.unwrap_or(specs.len());
    let mut fields = vec![Header::new("Host", &addr)];
    if close {
        fields.push(Header::new("Connection", "close"));
    }
    for h in &extra {
        let (name, value) = h.split_once(':').expect("-H 'Name: value'");
        fields.push(Header::new(name.trim(), value.trim()));
    }

    let mut client: Option<Client> = None;
    let (mut connections, mut errors, mut latencies) = (0, 0, Vec::with_capacity(n));
    for i in 0..n {
        if i > 0 && pause > 0 {
            // Idle between requests, e.g. past the server's idle timeout.
            std::thread::sleep(std::time::Duration::from_millis(pause));
        }
        let spec = &specs[i % specs.len()];
        let (method, path) = spec.split_once(':').unwrap_or(("GET", spec));
        let req = Request::new(method, path, &fields);
        // A request on a reused connection may meet the server's idle close
        // before any response: an idempotent one is retried once on a new
        // connection (RFC 9112 §9.3.1).
        let retriable = matches!(method, "GET" | "HEAD");
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            if !client.as_mut().is_some_and(Client::reusable) {
                connections += 1;
                client = Some(Client::connect(&addr, connections)?);
            }
            let c = client.as_mut().expect("connected");
            let reused = c.exchanges > 0;
            match c.exchange(&req) {
                Err(Failure::Stale) if reused && retriable && attempt == 1 => {
                    println!("retry req={} reason=stale-connection", i + 1);
                    client = None;
                }
                r => break r,
            }
        };
        match result {
            Ok(x) => {
                latencies.push(x.micros);
                if !quiet {
                    println!(
                        "req={} method={method} path={path} status={} framing={} body={} fnv={:016x} conn={} verdict={} us={}",
                        i + 1, x.status, x.framing, x.body, x.fnv, x.conn, x.verdict, x.micros
                    );
                }
            }
            Err(e) => {
                errors += 1;
                let e = match e {
                    Failure::Stale => "Stale".into(),
                    Failure::Other(e) => e,
                };
                println!("req={} method={method} path={path} error={e}", i + 1);
                client = None;
            }
        }
    }
    if let Some(c) = client {
        c.close();
    }
    latencies.sort_unstable();
    let pct = |p: usize| {
        latencies
            .get(latencies.len() * p / 100)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "summary requests={n} ok={} errors={errors} connections={connections} p50_us={} p99_us={}",
        latencies.len(),
        pct(50),
        pct(99)
    );
    if errors > 0 {
        std::process::exit(1);
    }
    Ok(())
}

struct Client {
    stream: TcpStream,
    conn: Connection,
    out: SendBuf,
    id: usize,
    exchanges: usize,
}

/// What one exchange produced.
struct Exchange {
    status: u16,
    framing: &'static str,
    body: u64,
    fnv: u64,
    conn: usize,
    verdict: String,
    micros: u128,
}

enum Failure {
    /// The connection died before any response byte: safe to retry.
    Stale,
    Other(String),
}

impl Failure {
    fn other(e: impl std::fmt::Debug) -> Self {
        Self::Other(format!("{e:?}").replace(' ', ""))
    }
}

impl Client {
    fn connect(addr: &str, id: usize) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut client = Self {
            stream,
            conn: Connection::new(Role::Client, Config::default()),
            out: SendBuf::new(),
            id,
            exchanges: 0,
        };
        // Starts the machine's clock.
        client.conn.handle_timeout(Instant::now());
        Ok(client)
    }

    /// Whether the connection can carry another request; the time given
    /// lets the machine's idle timer retire a connection the server is
    /// about to close.
    fn reusable(&mut self) -> bool {
        self.conn.handle_timeout(Instant::now());
        self.conn.is_reusable()
    }

    fn exchange(&mut self, req: &Request<'_>) -> Result<Exchange, Failure> {
        let start = Instant::now();
        match self.conn.send_request(req, &mut self.out) {
            // The server closed (or spoke) while we were idle.
            Err(SendError::NotReusable) => return Err(Failure::Stale),
            r => r.map_err(Failure::other)?,
        }
        self.conn
            .send_end(&[], &mut self.out)
            .map_err(Failure::other)?;
        if self.flush().is_err() {
            return Err(Failure::Stale);
        }
        let mut x = Exchange {
            status: 0,
            framing: "",
            body: 0,
            fnv: 0xcbf2_9ce4_8422_2325,
            conn: self.id,
            verdict: String::new(),
            micros: 0,
        };
        loop {
            match self.conn.poll_event() {
                Ok(Recv::NeedData) => {
                    if let Err(e) = self.fill() {
                        return Err(if !self.conn.response_started() {
                            Failure::Stale
                        } else {
                            Failure::other(e)
                        });
                    }
                }
                Ok(Recv::Event(Event::Response(head))) => {
                    x.status = head.status();
                    x.framing = match head.body_length() {
                        BodyLength::Empty => "empty",
                        BodyLength::Fixed(_) => "length",
                        BodyLength::Chunked => "chunked",
                        BodyLength::UntilClose => "until-close",
                    };
                }
                Ok(Recv::Event(Event::Data(d))) => {
                    x.body += d.len() as u64;
                    for &b in d.iter() {
                        x.fnv = (x.fnv ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                    }
                }
                Ok(Recv::Event(Event::Cycle(verdict))) => {
                    x.verdict = match verdict {
                        Persist::KeepAlive => "keep-alive".into(),
                        Persist::Close(reason) => format!("close({reason:?})").replace(' ', ""),
                    };
                    break;
                }
                // Interim 1xx heads and the end of the body.
                Ok(Recv::Event(_)) => {}
                Ok(other) => return Err(Failure::other(other)),
                Err(e)
                    if e.kind() == RecvErrorKind::IncompleteMessage
                        && !self.conn.response_started() =>
                {
                    return Err(Failure::Stale)
                }
                Err(e) => return Err(Failure::other(e.kind())),
            }
        }
        self.exchanges += 1;
        x.micros = start.elapsed().as_micros();
        Ok(x)
    }

    /// Reads once, straight into the machine's receive buffer.
    fn fill(&mut self) -> io::Result<()> {
        let buf = self.conn.recv_buf();
        let len = buf.len();
        buf.resize(len + READ_SIZE, 0);
        let read = self.stream.read(&mut buf[len..]);
        buf.truncate(len + *read.as_ref().unwrap_or(&0));
        if read? == 0 {
            self.conn.receive_eof();
        }
        Ok(())
    }

    /// Writes everything queued with `writev`.
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

    fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
