//! The same client as `std_client`, over tokio (`keepalive::tokio`): N
//! requests over one connection while the verdict is keep-alive,
//! reconnecting when it is not. `--help` lists the options.

mod common;

use common::client::{failure, Exchange, Opts, Report, Step};
use common::die;
use keepalive::tokio::Conn;
use keepalive::Request;

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(e));
    rt.block_on(run());
}

async fn run() {
    let opts = Opts::parse();
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
