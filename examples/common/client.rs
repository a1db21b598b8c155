//! The client examples' command line, per-request lines and summary.

use std::time::{Duration, Instant};

use keepalive::blocking::Options;
use keepalive::{
    BodyLength, Config, Connection, Event, Header, Persist, Recv, RecvError, RecvErrorKind,
};

use super::{fail, Args};

/// The client examples' usage.
pub const USAGE: &str = "
An HTTP/1.1 client on keepalive's socket driver: N requests over one
connection while the machine's verdict is keep-alive, reconnecting when it
is not, one line per request and a summary.

Usage: CLIENT [OPTIONS] [[METHOD:]PATH]...

The paths (default /) are used in turn for the N requests.

Options:
  --addr HOST:PORT   server address (default 127.0.0.1:8080)
  -n N               requests to send (default: one round of the paths)
  --close            send Connection: close
  --pipeline DEPTH   keep up to DEPTH requests outstanding on a connection
                     (default 1: one at a time); requests a closing server
                     left unanswered go again on a new connection when the
                     machine says they may
  -H 'Name: value'   add a header field (repeatable)
  --pause-ms MS      idle this long between requests
  --timeout SECS     give up on a connect or a response that makes no
                     progress for SECS (default 60)
  --quiet            print only the summary and errors
  -h, --help         print this help

Each line reads: req=I method=M path=P status=S framing=F body=BYTES fnv=HASH
conn=C verdict=V us=LATENCY; the last line is a summary. Exits 1 if a request
failed.
";

/// The client examples' command line.
pub struct Opts {
    pub addr: String,
    /// Requests to send (default: one round of the paths).
    pub n: usize,
    pub config: Config,
    pub driver: Options,
    /// Requests outstanding at once (`--pipeline`).
    pub pipeline: u32,
    close: bool,
    quiet: bool,
    pause: u64,
    extra: Vec<(String, String)>,
    specs: Vec<String>,
}

impl Opts {
    pub fn parse() -> Self {
        let mut addr = "127.0.0.1:8080".to_string();
        let (mut n, mut close, mut quiet, mut pause) = (None, false, false, 0);
        let mut pipeline = 1;
        let (mut extra, mut specs) = (Vec::new(), Vec::new());
        let (mut config, mut driver) = (Config::default(), Options::default());
        let mut args = Args::new(USAGE);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--addr" => addr = args.value(&a),
                "-n" => n = Some(args.value(&a)),
                "--close" => close = true,
                "--pipeline" => {
                    pipeline = args.value(&a);
                    config.max_pipeline = pipeline;
                }
                "--quiet" => quiet = true,
                "--pause-ms" => pause = args.value(&a),
                "--timeout" => {
                    // Every wait: connecting, the response's first byte,
                    // its head, and each stretch of its body.
                    let t = args.secs(&a);
                    config.head_timeout = Some(t);
                    config.body_timeout = Some(t);
                    driver.response_timeout = Some(t);
                    driver.connect_timeout = Some(t);
                    driver.send_timeout = Some(t);
                }
                "-H" => {
                    let h: String = args.value(&a);
                    match h.split_once(':') {
                        Some((name, value)) => {
                            extra.push((name.trim().to_string(), value.trim().to_string()))
                        }
                        None => fail(&format!("-H {h:?}: expected 'Name: value'")),
                    }
                }
                flag if flag.starts_with('-') => fail(&format!("unknown argument {a:?}")),
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
            config,
            driver,
            pipeline,
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
        for (name, value) in &self.extra {
            fields.push(Header::new(name, value));
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

/// Why an exchange produced no response, in one word for the output line.
pub fn failure(e: impl std::fmt::Debug) -> String {
    format!("{e:?}").replace(' ', "")
}

/// What the client does after [`Exchange::on_poll`].
pub enum Step {
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
    ) -> Result<Step, String> {
        match polled {
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
            Ok(other) => return Err(failure(other)),
            Err(e) if e.kind() == RecvErrorKind::IncompleteMessage && !conn.response_started() => {
                return Err("Stale".into())
            }
            Err(e) => return Err(failure(e.kind())),
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

    /// Notes that request `i` (from 0) goes again on a new connection.
    pub fn retry(&self, i: usize) {
        super::say(format_args!("retry req={} reason=stale-connection", i + 1));
    }

    /// Notes that request `i` (from 0), pipelined and left unanswered by a
    /// closing server, goes again on a new connection.
    pub fn retry_unanswered(&self, i: usize) {
        super::say(format_args!("retry req={} reason=unanswered", i + 1));
    }

    /// Prints the line of request `i` (from 0); false when its connection
    /// is to be dropped.
    pub fn record(
        &mut self,
        i: usize,
        method: &str,
        path: &str,
        result: Result<Exchange, String>,
    ) -> bool {
        match result {
            Ok(x) => {
                self.latencies.push(x.micros);
                if !self.quiet {
                    super::say(format_args!(
                        "req={} method={method} path={path} status={} framing={} body={} fnv={:016x} conn={} verdict={} us={}",
                        i + 1, x.status, x.framing, x.body, x.fnv, x.conn, x.verdict, x.micros
                    ));
                }
                true
            }
            Err(e) => {
                self.errors += 1;
                super::say(format_args!(
                    "req={} method={method} path={path} error={e}",
                    i + 1
                ));
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
        super::say(format_args!(
            "summary requests={} ok={} errors={} connections={} p50_us={} p99_us={}",
            self.n,
            self.latencies.len(),
            self.errors,
            self.connections,
            pct(50),
            pct(99)
        ));
        if self.errors > 0 {
            std::process::exit(1);
        }
    }
}
