//! A blocking HTTP/1.1 server: `std::net`, one thread per connection, every
//! framing and persistence decision taken by [`keepalive::Connection`].
//!
//! ```text
//! cargo run --example std_server -- [--addr 127.0.0.1:8080] [--idle-timeout SECS]
//!     [--max-requests N (0: unlimited)] [--quiet]
//! ```
//!
//! Routes: `/` (Hello, World!), `/echo` (streams the request body back),
//! `/stream?n=N&interval_ms=MS` (one event per interval, default 60 × 1 s),
//! `/status/N`. It prints `listening on ADDR`, then `accept N PEER` per TCP
//! connection unless `--quiet`.
//!
//! Time is the machine's too: before every read the socket's read timeout
//! is set to [`Connection::poll_timeout`], and [`Connection::handle_timeout`]
//! hears the time after every read (idle close, 408 for slow heads and
//! bodies, lingering after a close).

mod common;

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Buf;
use common::server::{bug, dispatch, event, route, tune, Next, Opts, Route};
use keepalive::{Connection, Recv, RecvError, Role, SendBuf, TimerKind};
use socket2::SockRef;

const READ_SIZE: usize = 16 * 1024;

fn main() -> io::Result<()> {
    let opts = Opts::parse();
    let listener = TcpListener::bind(&opts.addr)?;
    println!("listening on {}", listener.local_addr()?);
    let opts: &'static Opts = Box::leak(Box::new(opts));
    let accepted = AtomicU64::new(0);
    for stream in listener.incoming() {
        let stream = stream?;
        let n = accepted.fetch_add(1, Ordering::Relaxed) + 1;
        if !opts.quiet {
            println!("accept {n} {}", stream.peer_addr()?);
        }
        std::thread::spawn(move || {
            // An IO error (reset, idle timeout) just ends the connection.
            let _ = serve(stream, opts);
        });
    }
    Ok(())
}

/// One TCP connection: the socket, the machine, and its output queue.
struct Peer {
    stream: TcpStream,
    conn: Connection,
    out: SendBuf,
}

impl Peer {
    /// Reads once, straight into the machine's receive buffer, waiting
    /// no longer than the machine's next deadline.
    fn fill(&mut self) -> io::Result<()> {
        self.stream.set_read_timeout(self.wait())?;
        let buf = self.conn.recv_buf();
        let len = buf.len();
        buf.resize(len + READ_SIZE, 0);
        let read = self.stream.read(&mut buf[len..]);
        buf.truncate(len + *read.as_ref().unwrap_or(&0));
        self.conn.handle_timeout(Instant::now());
        match read {
            Ok(0) => self.conn.receive_eof(),
            Ok(_) => {}
            // The deadline passed: handle_timeout above has applied it.
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Time until the machine's next deadline (`None`: wait forever).
    fn wait(&self) -> Option<Duration> {
        let deadline = self.conn.poll_timeout()?;
        let left = deadline.saturating_duration_since(Instant::now());
        // A zero read timeout means "none" to the OS.
        Some(left.max(Duration::from_millis(1)))
    }

    /// Writes everything queued, body segments included, with `writev`.
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

    /// The next event, reading as needed. Output is flushed only before
    /// blocking, so responses to pipelined requests leave in one write.
    fn next(&mut self) -> io::Result<Result<Recv, RecvError>> {
        loop {
            match self.conn.poll_event() {
                Ok(Recv::NeedData) => {
                    self.flush()?;
                    self.fill()?;
                }
                other => return Ok(other),
            }
        }
    }

    /// Half-closes after the last response, then discards what the client
    /// still sends until it closes or the machine's linger timer fires, so
    /// our close does not become a reset that destroys the response in
    /// flight (RFC 9112 §9.6).
    fn close(mut self) {
        let _ = self.flush();
        let _ = self.stream.shutdown(Shutdown::Write);
        let mut sink = [0u8; 4096];
        while let Some(wait) = self.wait() {
            if self.stream.set_read_timeout(Some(wait)).is_err() {
                break;
            }
            let read = self.stream.read(&mut sink);
            let fired = self.conn.handle_timeout(Instant::now());
            if fired.contains(TimerKind::Linger) || !matches!(read, Ok(1..)) {
                break;
            }
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn serve(stream: TcpStream, opts: &Opts) -> io::Result<()> {
    tune(SockRef::from(&stream))?;
    let mut peer = Peer {
        stream,
        conn: Connection::new(Role::Server, opts.config.clone()),
        out: SendBuf::new(),
    };
    // Starts the machine's clock: the idle timer runs from now.
    peer.conn.handle_timeout(Instant::now());
    loop {
        let polled = peer.next()?;
        match dispatch(&mut peer.conn, &mut peer.out, polled) {
            Next::Request(req) => match route(&mut peer.conn, &mut peer.out, &req)? {
                Route::Answered => {}
                Route::Echo { is_head } => echo(&mut peer, is_head)?,
                Route::Stream { count, interval } => push(&mut peer, count, interval)?,
            },
            Next::Poll => {}
            Next::Close => break,
        }
    }
    peer.close();
    Ok(())
}

/// Streams the request body back as it arrives.
fn echo(peer: &mut Peer, is_head: bool) -> io::Result<()> {
    loop {
        let polled = peer.next()?;
        if common::server::echo(&mut peer.conn, &mut peer.out, polled, is_head)? {
            return Ok(());
        }
    }
}

/// Server push over a persistent connection: one event per interval.
fn push(peer: &mut Peer, count: u64, interval: Duration) -> io::Result<()> {
    for i in 1..=count {
        peer.conn.send_data(event(i), &mut peer.out).map_err(bug)?;
        peer.flush()?;
        if i < count {
            std::thread::sleep(interval);
        }
    }
    peer.conn.send_end(&[], &mut peer.out).map_err(bug)
}
