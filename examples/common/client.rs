//! The client examples' command line, per-request lines and summary.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use keepalive::blocking::Options;
use keepalive::{
    BodyLength, Config, Connection, Event, Header, Persist, Recv, RecvError, RecvErrorKind,
    RetrySafety, SendError,
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
  --pause-ms MS      idle this long between requests (not with --pipeline)
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

/// `--pipeline`: the client's bookkeeping around the machine, shared by
/// both clients. Requests go out in order as the machine allows; their
/// responses come back in that order; when a connection ends, the
/// machine's pipeline report says which requests it left unanswered and
/// which of those go again, first, on the next connection.
pub struct Pipeline {
    /// Requests (by number) not yet sent; retries go first, in order.
    pending: VecDeque<usize>,
    /// What went out on this connection, by its number there.
    sent: Vec<usize>,
    /// The exchanges awaiting their responses, oldest first.
    outstanding: VecDeque<Exchange>,
}

/// What a pipelining client does after `send_request` refused.
pub enum Refused {
    /// Wait for the responses before (pipelining refused for now).
    Wait,
    /// The connection carries nothing more: go on with a new one.
    Over,
}

impl Pipeline {
    pub fn new(n: usize) -> Self {
        Self {
            pending: (0..n).collect(),
            sent: Vec::new(),
            outstanding: VecDeque::new(),
        }
    }

    /// Every request was answered or reported failed.
    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    /// The next request to send, if any.
    pub fn next(&self) -> Option<usize> {
        self.pending.front().copied()
    }

    /// Sorts a refused `send_request`.
    pub fn refused(&self, e: SendError) -> Result<Refused, String> {
        match e {
            SendError::Pipeline(_) | SendError::ExchangeInProgress => Ok(Refused::Wait),
            SendError::ConnectionClosed if !self.outstanding.is_empty() => Ok(Refused::Wait),
            SendError::ConnectionClosed => Ok(Refused::Over),
            e => Err(failure(e)),
        }
    }

    /// The next request went out on connection number `conn`.
    pub fn sent(&mut self, conn: usize) {
        if let Some(i) = self.pending.pop_front() {
            self.sent.push(i);
            self.outstanding.push_back(Exchange::start(conn));
        }
    }

    /// Whether a response is awaited.
    pub fn awaiting(&self) -> bool {
        !self.outstanding.is_empty()
    }

    /// Takes in a polled event for the oldest outstanding exchange;
    /// `Ok(true)` when the connection closed after it.
    pub fn on_poll(
        &mut self,
        polled: Result<Recv, RecvError>,
        conn: &Connection,
        opts: &Opts,
        report: &mut Report,
    ) -> Result<bool, String> {
        let closing = matches!(polled, Ok(Recv::Event(Event::Cycle(Persist::Close(_)))));
        let Some(x) = self.outstanding.front_mut() else {
            return Err(failure(polled));
        };
        if let Step::Poll = x.on_poll(polled, conn)? {
            return Ok(false);
        }
        let x = self.outstanding.pop_front().expect("just polled");
        let i = self.sent[self.sent.len() - self.outstanding.len() - 1];
        let (method, path) = opts.request(i);
        report.record(i, method, path, Ok(x));
        Ok(closing)
    }

    /// The connection ended (`ended`: how); sorts what it left unanswered.
    /// `Err` when it failed with nothing outstanding (nothing to retry).
    pub fn after_connection(
        &mut self,
        conn: &Connection,
        ended: Result<(), String>,
        opts: &Opts,
        report: &mut Report,
    ) -> Result<(), String> {
        let pipeline = conn.pipeline_report();
        let mut retry = Vec::new();
        for n in pipeline.unanswered() {
            let i = self.sent[n as usize];
            let safety = pipeline.retry_safety(n);
            // No limit is needed: a connection either answers a request
            // or fails its first one (fresh, so not retried).
            if safety == RetrySafety::Retry {
                report.retry_unanswered(i);
                retry.push(i);
            } else {
                let why = match (&ended, n == pipeline.answered()) {
                    (Err(e), true) => e.clone(),
                    _ => format!("Unanswered({safety:?})"),
                };
                let (method, path) = opts.request(i);
                report.record(i, method, path, Err(why));
            }
        }
        for i in retry.into_iter().rev() {
            self.pending.push_front(i);
        }
        let nothing_outstanding = pipeline.unanswered().is_empty();
        self.sent.clear();
        self.outstanding.clear();
        match ended {
            Err(e) if nothing_outstanding => Err(e),
            _ => Ok(()),
        }
    }
}
