//! The client examples' command line, per-request lines and summary.

use std::io;
use std::time::{Duration, Instant};

use keepalive::{
    BodyLength, Connection, Event, Header, Persist, Recv, RecvError, RecvErrorKind, Request,
    SendBuf, SendError,
};

/// `[--addr 127.0.0.1:8080] [-n N] [--close] [-H 'Name: value']...
/// [--pause-ms MS] [--quiet] [[METHOD:]PATH]...`
pub struct Opts {
    pub addr: String,
    /// Requests to send (default: one round of the paths).
    pub n: usize,
    close: bool,
    quiet: bool,
    pause: u64,
    extra: Vec<String>,
    specs: Vec<String>,
}

impl Opts {
    pub fn parse() -> Self {
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
        let n = n.unwrap_or(specs.len());
        Self {
            addr,
            n,
            close,
            quiet,
            pause,
            extra,
            specs,
        }
    }

    /// The header fields every request carries.
    pub fn fields(&self) -> Vec<Header<'_>> {
        let mut fields = vec![Header::new("Host", &self.addr)];
        if self.close {
            fields.push(Header::new("Connection", "close"));
        }
        for h in &self.extra {
            let (name, value) = h.split_once(':').expect("-H 'Name: value'");
            fields.push(Header::new(name.trim(), value.trim()));
        }
        fields
    }

    /// How long to idle before request `i` (from 0), e.g. past the
    /// server's idle timeout.
    pub fn pause_before(&self, i: usize) -> Option<Duration> {
        (i > 0 && self.pause > 0).then(|| Duration::from_millis(self.pause))
    }

    /// The method and path of request `i` (from 0): the paths in turn.
    pub fn request(&self, i: usize) -> (&str, &str) {
        let spec = &self.specs[i % self.specs.len()];
        spec.split_once(':').unwrap_or(("GET", spec))
    }
}

/// Why an exchange produced no response.
pub enum Failure {
    /// The connection died before any response byte: safe to retry.
    Stale,
    Other(String),
}

impl Failure {
    pub fn other(e: impl std::fmt::Debug) -> Self {
        Self::Other(format!("{e:?}").replace(' ', ""))
    }

    /// A failed read: stale while no byte of the response has arrived.
    pub fn read(e: io::Error, conn: &Connection) -> Self {
        if conn.response_started() {
            Self::other(e)
        } else {
            Self::Stale
        }
    }
}

/// Queues a bodiless request.
pub fn queue(conn: &mut Connection, req: &Request<'_>, out: &mut SendBuf) -> Result<(), Failure> {
    match conn.send_request(req, out) {
        // The server closed (or spoke) while we were idle.
        Err(SendError::NotReusable) => return Err(Failure::Stale),
        r => r.map_err(Failure::other)?,
    }
    conn.send_end(&[], out).map_err(Failure::other)
}

/// What the adapter does after [`Exchange::on_poll`].
pub enum Step {
    /// Read more into the machine's receive buffer.
    Read,
    /// Poll again.
    Poll,
    /// The exchange is over.
    Done,
}

/// What one exchange produced.
pub struct Exchange {
    status: u16,
    framing: &'static str,
    body: u64,
    fnv: u64,
    conn: usize,
    verdict: String,
    micros: u128,
    start: Instant,
}

impl Exchange {
    /// Starts timing an exchange on connection number `conn`.
    pub fn start(conn: usize) -> Self {
        Self {
            status: 0,
            framing: "",
            body: 0,
            fnv: 0xcbf2_9ce4_8422_2325,
            conn,
            verdict: String::new(),
            micros: 0,
            start: Instant::now(),
        }
    }

    /// Takes in what [`Connection::poll_event`] just gave on `conn`.
    pub fn on_poll(
        &mut self,
        polled: Result<Recv, RecvError>,
        conn: &Connection,
    ) -> Result<Step, Failure> {
        match polled {
            Ok(Recv::NeedData) => return Ok(Step::Read),
            Ok(Recv::Event(Event::Response(head))) => {
                self.status = head.status();
                self.framing = match head.body_length() {
                    BodyLength::Empty => "empty",
                    BodyLength::Fixed(_) => "length",
                    BodyLength::Chunked => "chunked",
                    BodyLength::UntilClose => "until-close",
                };
            }
            Ok(Recv::Event(Event::Data(d))) => {
                self.body += d.len() as u64;
                for &b in d.iter() {
                    self.fnv = (self.fnv ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                }
            }
            Ok(Recv::Event(Event::Cycle(verdict))) => {
                self.verdict = match verdict {
                    Persist::KeepAlive => "keep-alive".into(),
                    Persist::Close(reason) => format!("close({reason:?})").replace(' ', ""),
                };
                self.micros = self.start.elapsed().as_micros();
                return Ok(Step::Done);
            }
            // Interim 1xx heads and the end of the body.
            Ok(Recv::Event(_)) => {}
            Ok(other) => return Err(Failure::other(other)),
            Err(e) if e.kind() == RecvErrorKind::IncompleteMessage && !conn.response_started() => {
                return Err(Failure::Stale)
            }
            Err(e) => return Err(Failure::other(e.kind())),
        }
        Ok(Step::Poll)
    }
}

/// The run's counters and its output lines.
pub struct Report {
    n: usize,
    quiet: bool,
    connections: usize,
    errors: usize,
    latencies: Vec<u128>,
}

impl Report {
    pub fn new(opts: &Opts) -> Self {
        Self {
            n: opts.n,
            quiet: opts.quiet,
            connections: 0,
            errors: 0,
            latencies: Vec::with_capacity(opts.n),
        }
    }

    /// Counts a new connection; gives its number.
    pub fn connected(&mut self) -> usize {
        self.connections += 1;
        self.connections
    }

    /// Whether request `i` (from 0) goes again on a new connection: a
    /// request on a reused connection may meet the server's idle close
    /// before any response, and an idempotent one is retried once
    /// (RFC 9112 §9.3.1).
    pub fn retry(
        &self,
        i: usize,
        method: &str,
        reused: bool,
        attempt: usize,
        result: &Result<Exchange, Failure>,
    ) -> bool {
        let retriable = matches!(method, "GET" | "HEAD");
        let retry = matches!(result, Err(Failure::Stale)) && reused && retriable && attempt == 1;
        if retry {
            println!("retry req={} reason=stale-connection", i + 1);
        }
        retry
    }

    /// Prints the line of request `i` (from 0); false when its connection
    /// is to be dropped.
    pub fn record(
        &mut self,
        i: usize,
        method: &str,
        path: &str,
        result: Result<Exchange, Failure>,
    ) -> bool {
        match result {
            Ok(x) => {
                self.latencies.push(x.micros);
                if !self.quiet {
                    println!(
                        "req={} method={method} path={path} status={} framing={} body={} fnv={:016x} conn={} verdict={} us={}",
                        i + 1, x.status, x.framing, x.body, x.fnv, x.conn, x.verdict, x.micros
                    );
                }
                true
            }
            Err(e) => {
                self.errors += 1;
                let e = match e {
                    Failure::Stale => "Stale".into(),
                    Failure::Other(e) => e,
                };
                println!("req={} method={method} path={path} error={e}", i + 1);
                false
            }
        }
    }

    /// Prints the summary line; exits with 1 if a request failed.
    pub fn finish(mut self) {
        self.latencies.sort_unstable();
        let pct = |p: usize| {
            self.latencies
                .get(self.latencies.len() * p / 100)
                .copied()
                .unwrap_or(0)
        };
        println!(
            "summary requests={} ok={} errors={} connections={} p50_us={} p99_us={}",
            self.n,
            self.latencies.len(),
            self.errors,
            self.connections,
            pct(50),
            pct(99)
        );
        if self.errors > 0 {
            std::process::exit(1);
        }
    }
}
