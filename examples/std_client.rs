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

use common::client::{failure, Exchange, Opts, Pipeline, Refused, Report, Step};
use common::die;
use keepalive::blocking::Conn;
use keepalive::{Header, Request};

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
    let mut p = Pipeline::new(opts.n);
    while !p.is_done() {
        let mut c = Conn::connect(&opts.addr, opts.config.clone(), opts.driver.clone())
            .unwrap_or_else(|e| die(e));
        let id = report.connected();
        let ended = run_connection(opts, &fields, &mut c, id, &mut p, &mut report);
        let sorted = p.after_connection(c.connection(), ended, opts, &mut report);
        let _ = c.close();
        sorted.unwrap_or_else(|e| die(std::io::Error::other(e)));
    }
    report.finish();
}

/// Sends and reads on one connection until it ends (`Ok`) or fails.
fn run_connection(
    opts: &Opts,
    fields: &[Header<'_>],
    c: &mut Conn,
    id: usize,
    p: &mut Pipeline,
    report: &mut Report,
) -> Result<(), String> {
    loop {
        while let Some(i) = p.next() {
            let (method, path) = opts.request(i);
            match c.send_request(&Request::new(method, path, fields)) {
                Ok(()) => c.send_end(&[]).map_err(failure)?,
                Err(e) => match p.refused(e)? {
                    Refused::Wait => break,
                    Refused::Over => return Ok(()),
                },
            }
            p.sent(id);
        }
        if !p.awaiting() {
            return Ok(());
        }
        let polled = c.next_event().map_err(|e| failure(e.kind()))?;
        if p.on_poll(polled, c.connection(), opts, report)? {
            return Ok(());
        }
    }
}
