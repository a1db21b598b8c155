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

mod common;

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Instant;

use bytes::Buf;
use common::client::{queue, Exchange, Failure, Opts, Report, Step};
use keepalive::{Config, Connection, Request, Role, SendBuf};

const READ_SIZE: usize = 16 * 1024;

fn main() -> io::Result<()> {
    let opts = Opts::parse();
    let fields = opts.fields();
    let mut report = Report::new(&opts);
    let mut client: Option<Client> = None;
    for i in 0..opts.n {
        if let Some(pause) = opts.pause_before(i) {
            std::thread::sleep(pause);
        }
        let (method, path) = opts.request(i);
        let req = Request::new(method, path, &fields);
        // One more try on a new connection when a reused one was found
        // closed (`Report::retry`).
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            if !client.as_mut().is_some_and(Client::reusable) {
                client = Some(Client::connect(&opts.addr, report.connected())?);
            }
            let c = client.as_mut().expect("connected");
            let reused = c.exchanges > 0;
            let result = c.exchange(&req);
            if !report.retry(i, method, reused, attempt, &result) {
                break result;
            }
            client = None;
        };
        if !report.record(i, method, path, result) {
            client = None;
        }
    }
    if let Some(c) = client {
        c.close();
    }
    report.finish();
    Ok(())
}

struct Client {
    stream: TcpStream,
    conn: Connection,
    out: SendBuf,
    id: usize,
    exchanges: usize,
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
        let mut x = Exchange::start(self.id);
        queue(&mut self.conn, req, &mut self.out)?;
        if self.flush().is_err() {
            return Err(Failure::Stale);
        }
        loop {
            let polled = self.conn.poll_event();
            match x.on_poll(polled, &self.conn)? {
                Step::Read => self.fill().map_err(|e| Failure::read(e, &self.conn))?,
                Step::Poll => {}
                Step::Done => break,
            }
        }
        self.exchanges += 1;
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
