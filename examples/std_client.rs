//! A blocking HTTP/1.1 client on `keepalive::blocking`: sends N requests
//! over one connection while the machine's verdict is keep-alive,
//! reconnects when it is not, and prints one line per request with its
//! latency. `--help` lists the options.
//!
//! Before reusing the connection it checks it for bytes or a close that
//! arrived while idle (never taken as the next response); a request that
//! fails on a reused connection before any byte of its response goes again
//! once on a new one when the driver says it may.
//!
//! With `--pipeline DEPTH` it keeps up to DEPTH requests outstanding
//! (RFC 9112 §9.3.2; the machine refuses to pipeline where the RFC says
//! not to, and the client then waits for the responses before). When the
//! server closes mid-pipeline, the machine's pipeline report says which
//! requests were left unanswered and which of them may go again: those are
//! sent first on a new connection, the others reported as failed.

mod common;

use std::collections::VecDeque;

use common::client::{failure, Exchange, Opts, Report, Step};
use common::die;
use keepalive::blocking::Conn;
use keepalive::{Event, Persist, Recv, Request, RetrySafety, SendError};

fn main() {
    let opts = Opts::parse();
    if opts.pipeline > 1 {
        return pipelined(&opts);
    }
    let fields = opts.fields();
    let mut report = Report::new(&opts);
    let (mut client, mut id): (Option<Conn>, usize) = (None, 0);
    for i in 0..opts.n {
        if let Some(pause) = opts.pause_before(i) {
            std::thread::sleep(pause);
        }
        let (method, path) = opts.request(i);
        let req = Request::new(method, path, &fields);
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            if !client.as_mut().is_some_and(Conn::check_reusable) {
                let c = Conn::connect(&opts.addr, opts.config.clone(), opts.driver.clone());
                client = Some(c.unwrap_or_else(|e| die(e)));
                id = report.connected();
            }
            let c = client.as_mut().expect("connected");
            let result = exchange(c, &req, id);
            if result.is_ok() || attempt > 1 || !c.may_retry() {
                break result;
            }
            report.retry(i);
            client = None;
        };
        if !report.record(i, method, path, result) {
            client = None;
        }
    }
    if let Some(mut c) = client {
        let _ = c.close();
    }
    report.finish();
}

fn exchange(c: &mut Conn, req: &Request<'_>, id: usize) -> Result<Exchange, String> {
    let mut x = Exchange::start(id);
    c.send_request(req).map_err(failure)?;
    c.send_end(&[]).map_err(failure)?;
    loop {
        let polled = c.next_event().map_err(|e| failure(e.kind()))?;
        match x.on_poll(polled, c.connection())? {
            Step::Done => return Ok(x),
            Step::Poll => {}
        }
    }
}

/// `--pipeline DEPTH`: the requests in order, as many outstanding as the
/// machine allows, over as many connections as the server's closes need.
fn pipelined(opts: &Opts) {
    let fields = opts.fields();
    let mut report = Report::new(opts);
    // Requests (by number) not yet sent; retries go first, in order.
    let mut pending: VecDeque<usize> = (0..opts.n).collect();
    while !pending.is_empty() {
        let mut c = Conn::connect(&opts.addr, opts.config.clone(), opts.driver.clone())
            .unwrap_or_else(|e| die(e));
        let id = report.connected();
        // What went out on this connection, by its number there.
        let mut sent: Vec<usize> = Vec::new();
        let mut outstanding: VecDeque<Exchange> = VecDeque::new();
        let ended = run_connection(
            opts,
            &fields,
            &mut c,
            id,
            &mut pending,
            &mut sent,
            &mut outstanding,
            &mut report,
        );
        // The connection is over: its report sorts what it left unanswered.
        let pipeline = c.connection().pipeline_report();
        let mut retry = Vec::new();
        for n in pipeline.unanswered() {
            let i = sent[n as usize];
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
            pending.push_front(i);
        }
        let nothing_outstanding = pipeline.unanswered().is_empty();
        let _ = c.close();
        if let Err(e) = ended {
            if nothing_outstanding {
                // Refused before anything was outstanding: nothing to retry.
                die(std::io::Error::other(e));
            }
        }
    }
    report.finish();
}

/// Sends and reads on one connection until it ends (`Ok`) or fails.
#[allow(clippy::too_many_arguments)]
fn run_connection(
    opts: &Opts,
    fields: &[keepalive::Header<'_>],
    c: &mut Conn,
    id: usize,
    pending: &mut VecDeque<usize>,
    sent: &mut Vec<usize>,
    outstanding: &mut VecDeque<Exchange>,
    report: &mut Report,
) -> Result<(), String> {
    loop {
        while let Some(&i) = pending.front() {
            let (method, path) = opts.request(i);
            match c.send_request(&Request::new(method, path, fields)) {
                Ok(()) => c.send_end(&[]).map_err(failure)?,
                // Wait for the responses before this one.
                Err(SendError::Pipeline(_) | SendError::ExchangeInProgress) => break,
                Err(SendError::ConnectionClosed) if !outstanding.is_empty() => break,
                Err(SendError::ConnectionClosed) => return Ok(()),
                Err(e) => return Err(failure(e)),
            }
            pending.pop_front();
            sent.push(i);
            outstanding.push_back(Exchange::start(id));
        }
        if outstanding.is_empty() {
            return Ok(());
        }
        let polled = c.next_event().map_err(|e| failure(e.kind()))?;
        let closing = matches!(polled, Ok(Recv::Event(Event::Cycle(Persist::Close(_)))));
        let x = outstanding.front_mut().expect("a response is awaited");
        if let Step::Done = x.on_poll(polled, c.connection())? {
            let x = outstanding.pop_front().expect("just polled");
            let i = sent[sent.len() - outstanding.len() - 1];
            let (method, path) = opts.request(i);
            report.record(i, method, path, Ok(x));
            if closing {
                return Ok(());
            }
        }
    }
}
