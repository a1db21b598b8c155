//! The same client as `std_client`, over tokio (`keepalive::tokio`): N
//! requests over one connection while the verdict is keep-alive,
//! reconnecting when it is not, or with `--pipeline DEPTH` up to DEPTH
//! requests outstanding. `--help` lists the options.

mod common;

use common::client::{failure, Exchange, Opts, Pipeline, Refused, Report, Step};
use common::die;
use keepalive::tokio::Conn;
use keepalive::{Header, Request};

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(e));
    rt.block_on(run());
}

async fn run() {
    let opts = Opts::parse();
    if opts.pipeline > 1 {
        return pipelined(&opts).await;
    }
    let fields = opts.fields();
    let mut report = Report::new(&opts);
    let (mut client, mut id): (Option<Conn>, usize) = (None, 0);
    for i in 0..opts.n {
        if let Some(pause) = opts.pause_before(i) {
            tokio::time::sleep(pause).await;
        }
        let (method, path) = opts.request(i);
        let req = Request::new(method, path, &fields);
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            if !client.as_mut().is_some_and(Conn::check_reusable) {
                let c = Conn::connect(&opts.addr, opts.config.clone(), opts.driver.clone()).await;
                client = Some(c.unwrap_or_else(|e| die(e)));
                id = report.connected();
            }
            let c = client.as_mut().expect("connected");
            let result = exchange(c, &req, id).await;
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
        let _ = c.close().await;
    }
    report.finish();
}

async fn exchange(c: &mut Conn, req: &Request<'_>, id: usize) -> Result<Exchange, String> {
    let mut x = Exchange::start(id);
    c.send_request(req).map_err(failure)?;
    c.send_end(&[]).map_err(failure)?;
    loop {
        let polled = c.next_event().await.map_err(|e| failure(e.kind()))?;
        match x.on_poll(polled, c.connection())? {
            Step::Done => return Ok(x),
            Step::Poll => {}
        }
    }
}

/// `--pipeline DEPTH`, as in `std_client`.
async fn pipelined(opts: &Opts) {
    let fields = opts.fields();
    let mut report = Report::new(opts);
    let mut p = Pipeline::new(opts.n);
    while !p.is_done() {
        let c = Conn::connect(&opts.addr, opts.config.clone(), opts.driver.clone()).await;
        let mut c = c.unwrap_or_else(|e| die(e));
        let id = report.connected();
        let ended = run_connection(opts, &fields, &mut c, id, &mut p, &mut report).await;
        let sorted = p.after_connection(c.connection(), ended, opts, &mut report);
        let _ = c.close().await;
        sorted.unwrap_or_else(|e| die(std::io::Error::other(e)));
    }
    report.finish();
}

/// Sends and reads on one connection until it ends (`Ok`) or fails.
async fn run_connection(
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
        let polled = c.next_event().await.map_err(|e| failure(e.kind()))?;
        if p.on_poll(polled, c.connection(), opts, report)? {
            return Ok(());
        }
    }
}
