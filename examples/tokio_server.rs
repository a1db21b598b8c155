//! The same server as `std_server`, over tokio: one task per connection,
//! the same [`keepalive::Connection`] driven by async IO, unchanged.
//!
//! ```text
//! cargo run --example tokio_server -- [--addr 127.0.0.1:8080] [--idle-timeout SECS]
//!     [--max-requests N (0: unlimited)] [--quiet]
//! ```
//!
//! Routes: `/` (Hello, World!), `/echo` (streams the request body back),
//! `/stream?n=N&interval_ms=MS` (one event per interval, default 60 × 1 s),
//! `/status/N`. It prints `listening on ADDR`, then `accept N PEER` per TCP
//! connection unless `--quiet`.

mod common;

use std::io::{self, IoSlice};
use std::time::{Duration, Instant};

use bytes::Buf;
use common::server::{bug, dispatch, event, route, tune, Next, Opts, Route};
use keepalive::{Connection, Recv, RecvError, Role, SendBuf, TimerKind};
use socket2::SockRef;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout_at;

const READ_SIZE: usize = 16 * 1024;

fn main() -> io::Result<()> {
    let opts: &'static Opts = Box::leak(Box::new(Opts::parse()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(&opts.addr).await?;
        println!("listening on {}", listener.local_addr()?);
        for n in 1u64.. {
            let (stream, addr) = listener.accept().await?;
            if !opts.quiet {
                println!("accept {n} {addr}");
            }
            tokio::spawn(async move {
                // An IO error (reset, idle timeout) just ends the connection.
                let _ = serve(stream, opts).await;
            });
        }
        Ok(())
    })
}

/// One TCP connection: the socket, the machine, and its output queue.
struct Peer {
    stream: TcpStream,
    conn: Connection,
    out: SendBuf,
}

impl Peer {
    /// Reads once, straight into the spare capacity of the machine's
    /// receive buffer, waiting no longer than the machine's next deadline.
    async fn fill(&mut self) -> io::Result<()> {
        let deadline = self.conn.poll_timeout();
        let buf = self.conn.recv_buf();
        buf.reserve(READ_SIZE);
        let read = read_until(&mut self.stream, buf, deadline).await;
        self.conn.handle_timeout(Instant::now());
        match read {
            Some(Ok(0)) => self.conn.receive_eof(),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e),
            // The deadline passed: handle_timeout above has applied it.
            None => {}
        }
        Ok(())
    }

    /// Writes everything queued, body segments included, with `writev`.
    async fn flush(&mut self) -> io::Result<()> {
        while self.out.has_remaining() {
            let mut iov = [IoSlice::new(&[]); 64];
            let n = self.out.chunks_vectored(&mut iov);
            let written = self.stream.write_vectored(&iov[..n]).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.out.advance(written);
        }
        Ok(())
    }

    /// The next event, reading as needed. Output is flushed only before
    /// blocking, so responses to pipelined requests leave in one write.
    async fn next(&mut self) -> io::Result<Result<Recv, RecvError>> {
        loop {
            match self.conn.poll_event() {
                Ok(Recv::NeedData) => {
                    self.flush().await?;
                    self.fill().await?;
                }
                other => return Ok(other),
            }
        }
    }

    /// Half-closes after the last response, then discards what the client
    /// still sends until it closes or the machine's linger timer fires, so
    /// our close does not become a reset that destroys the response in
    /// flight (RFC 9112 §9.6).
    async fn close(mut self) {
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
        let mut sink = Vec::with_capacity(4096);
        while let Some(deadline) = self.conn.poll_timeout() {
            sink.clear();
            let read = read_until(&mut self.stream, &mut sink, Some(deadline)).await;
            let fired = self.conn.handle_timeout(Instant::now());
            if fired.contains(TimerKind::Linger) || !matches!(read, None | Some(Ok(1..))) {
                break;
            }
        }
    }
}

/// One read into `buf`'s spare capacity; `None` if `deadline` passed first.
async fn read_until(
    stream: &mut TcpStream,
    buf: &mut impl bytes::BufMut,
    deadline: Option<Instant>,
) -> Option<io::Result<usize>> {
    match deadline {
        Some(d) => timeout_at(d.into(), stream.read_buf(buf)).await.ok(),
        None => Some(stream.read_buf(buf).await),
    }
}

async fn serve(stream: TcpStream, opts: &Opts) -> io::Result<()> {
    tune(SockRef::from(&stream))?;
    let mut peer = Peer {
        stream,
        conn: Connection::new(Role::Server, opts.config.clone()),
        out: SendBuf::new(),
    };
    // Starts the machine's clock: the idle timer runs from now.
    peer.conn.handle_timeout(Instant::now());
    loop {
        let polled = peer.next().await?;
        match dispatch(&mut peer.conn, &mut peer.out, polled) {
            Next::Request(req) => match route(&mut peer.conn, &mut peer.out, &req)? {
                Route::Answered => {}
                Route::Echo { is_head } => echo(&mut peer, is_head).await?,
                Route::Stream { count, interval } => push(&mut peer, count, interval).await?,
            },
            Next::Poll => {}
            Next::Close => break,
        }
    }
    peer.close().await;
    Ok(())
}

/// Streams the request body back as it arrives.
async fn echo(peer: &mut Peer, is_head: bool) -> io::Result<()> {
    loop {
        let polled = peer.next().await?;
        if common::server::echo(&mut peer.conn, &mut peer.out, polled, is_head)? {
            return Ok(());
        }
    }
}

/// Server push over a persistent connection: one event per interval.
async fn push(peer: &mut Peer, count: u64, interval: Duration) -> io::Result<()> {
    for i in 1..=count {
        peer.conn.send_data(event(i), &mut peer.out).map_err(bug)?;
        peer.flush().await?;
        if i < count {
            tokio::time::sleep(interval).await;
        }
    }
    peer.conn.send_end(&[], &mut peer.out).map_err(bug)
}
