//! A blocking HTTP/1.1 server: `keepalive::blocking`, one thread per
//! connection, every framing and persistence decision taken by
//! [`keepalive::Connection`]. `--help` lists the options and routes.
//!
//! It prints `listening on ADDR`, then `accept N PEER` per TCP connection
//! unless `--quiet`; connection errors go to stderr.

mod common;

use std::io;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use common::server::{bug, dispatch, event, route, tune, Next, Opts, Route};
use common::{die, say};
use keepalive::blocking::{self, Conn, Wake};
use socket2::SockRef;

fn main() {
    let opts = Opts::parse();
    let listener = TcpListener::bind(&opts.addr).unwrap_or_else(|e| die(e));
    say(format_args!(
        "listening on {}",
        listener.local_addr().unwrap_or_else(|e| die(e))
    ));
    let accepted = AtomicU64::new(0);
    let quiet = opts.quiet;
    let result = blocking::serve(&listener, opts.config, opts.driver, move |conn| {
        let n = accepted.fetch_add(1, Ordering::Relaxed) + 1;
        if !quiet {
            let peer = conn.peer_addr().map_or("?".into(), |a| a.to_string());
            say(format_args!("accept {n} {peer}"));
        }
        serve(conn)
    });
    die(result
        .err()
        .unwrap_or_else(|| io::Error::other("listener closed")))
}

fn serve(mut conn: Conn) -> io::Result<()> {
    tune(SockRef::from(conn.stream()));
    loop {
        let polled = conn.next_event()?;
        let (c, out) = conn.parts_mut();
        match dispatch(c, out, polled) {
            Next::Request(req) => match route(c, out, &req)? {
                Route::Answered => {}
                // Streams the request body back as it arrives.
                Route::Echo(mut echo) => loop {
                    let polled = conn.next_event()?;
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
                        if i < count && conn.wait_until(next)? == Wake::PeerClosed {
                            return Ok(());
                        }
                    }
                    conn.send_end(&[]).map_err(bug)?;
                }
            },
            Next::Poll => {}
            Next::Close => return conn.close(),
        }
    }
}
