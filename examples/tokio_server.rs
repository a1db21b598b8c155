//! The same server as `std_server`, over tokio: `keepalive::tokio`, one
//! task per connection, the same [`keepalive::Connection`] unchanged.
//! `--help` lists the options and routes.
//!
//! It prints `listening on ADDR`, then `accept N PEER` per TCP connection
//! unless `--quiet`; connection errors go to stderr.

mod common;

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use common::server::{bug, dispatch, event, route, tune, Next, Opts, Route};
use common::{die, say};
use keepalive::tokio::{self as driver, Conn, Wake};
use socket2::SockRef;

fn main() {
    let opts = Opts::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(e));
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&opts.addr).await?;
        say(format_args!("listening on {}", listener.local_addr()?));
        let accepted = AtomicU64::new(0);
        let quiet = opts.quiet;
        driver::serve(listener, opts.config, opts.driver, move |conn| {
            let n = accepted.fetch_add(1, Ordering::Relaxed) + 1;
            if !quiet {
                let peer = conn.peer_addr().map_or("?".into(), |a| a.to_string());
                say(format_args!("accept {n} {peer}"));
            }
            serve(conn)
        })
        .await
    });
    die(result
        .err()
        .unwrap_or_else(|| io::Error::other("listener closed")))
}

async fn serve(mut conn: Conn) -> io::Result<()> {
    tune(SockRef::from(conn.stream()));
    loop {
        let polled = conn.next_event().await?;
        let (c, out) = conn.parts_mut();
        match dispatch(c, out, polled) {
            Next::Request(req) => match route(c, out, &req)? {
                Route::Answered => {}
                // Streams the request body back as it arrives.
                Route::Echo(mut echo) => loop {
                    let polled = conn.next_event().await?;
                    let (c, out) = conn.parts_mut();
                    if echo.on_poll(c, out, polled)? {
                        break;
                    }
                },
                // Server push: one event per interval, noticing at once a
                // client that leaves.
                Route::Stream { count, interval } => {
                    for i in 1..=count {
                        conn.send_data(event(i)).map_err(bug)?;
                        let next = Instant::now() + interval;
                        if i < count && conn.wait_until(next).await? == Wake::PeerClosed {
                            return Ok(());
                        }
                    }
                    conn.send_end(&[]).map_err(bug)?;
                }
            },
            Next::Poll => {}
            Next::Close => return conn.close().await,
        }
    }
}
