//! # The driver loop: how to put a [`Connection`] on a socket
//!
//! The machine does no IO and reads no clock, so every program that uses
//! it has a small loop that does both. This page is that loop for a
//! server, a client and a proxy, and what to do with every value the
//! machine returns. Nothing here is code you must call: it is the
//! contract, with examples you can run.
//!
//! ## The loop in one picture
//!
//! ```text
//!         ┌────────────── poll_event() ◄──────────────┐
//!         │                                            │
//!   Event(e) ── act: send_* into a SendBuf ──► write the SendBuf
//!   NeedData ── write what is queued, then read ─► receive()/recv_buf()
//!   Paused ──── the machine waits for you to send (a response, a request)
//!   Finished ── write what is queued, close (lingering), or hand off
//!   Err(e) ──── the peer broke the protocol: answer e.status(), close
//!
//!   and around every blocking wait: a deadline of poll_timeout(), then
//!   handle_timeout(Instant::now()) before the next poll_event()
//! ```
//!
//! ## What to do on every [`Recv`]
//!
//! | value | server | client |
//! |---|---|---|
//! | [`Event::Request`] | route it; answer with [`send_response`](Connection::send_response) now or after reading the body | — |
//! | [`Event::Informational`] | — | a 1xx: note it; the final response follows (after a `100`, send the body if you waited for it); more than [`max_interim_responses`](crate::Config::max_interim_responses) in one exchange is an error |
//! | [`Event::Response`] | — | the final response head (or a 101) |
//! | [`Event::Data`] | request body bytes | response body bytes |
//! | [`Event::End`] | the request ended (trailers attached); finish the response | the response ended |
//! | [`Event::Cycle`] | the exchange is over: [`Persist::KeepAlive`] means the next one has begun, `Close(reason)` that the connection ends | the same; a keep-alive connection can go back to a pool |
//! | [`Event::Switched`] | after a 101 (or a 2xx to CONNECT) you sent: the socket and `leftover` belong to the new protocol | the same, after the server's switch |
//! | [`Event::Closed`] | the client closed between requests | the server closed while the connection was idle |
//! | [`Recv::NeedData`] | write what is queued, then read (or wait for `poll_timeout`) | the same |
//! | [`Recv::Paused`] | send the response to the request just read; pipelined requests wait, buffered | send the next request (or pool the connection) |
//! | [`Recv::Finished`] | write what is queued and close; if the client may still be sending, half-close and read until EOF or [`TimerKind::Linger`] so the response is not lost to a reset (RFC 9112 §9.6) | close, or retry elsewhere if [`response_started`](Connection::response_started) is false and the method is idempotent |
//!
//! ## What to do on every `Err`
//!
//! A [`RecvError`] means the peer broke the protocol. The connection is
//! broken for good: `poll_event` returns the error once, then
//! [`Recv::Finished`], so a loop that polls again
//! ends.
//!
//! - **Server:** if [`response_started`](Connection::response_started) is
//!   false, send one response with [`RecvError::status`] (400, 408, 413,
//!   414, 431, 501...) and `Content-Length: 0`, write it, close. The
//!   machine allows exactly this one response and marks it to close.
//! - **Client:** drop the connection. The response is unusable. Retry on
//!   another connection only when no response byte had arrived and the
//!   method is idempotent (RFC 9112 §9.3.1).
//!
//! A [`SendError`] means the caller asked for something the protocol or
//! the state does not allow; nothing was written and nothing changed:
//!
//! | error | what to do instead |
//! |---|---|
//! | [`WrongRole`](SendError::WrongRole) | a server sends responses, a client requests |
//! | [`HeadAlreadySent`](SendError::HeadAlreadySent) | one head per message: send its body and end, then wait for the next exchange |
//! | [`NoRequestToAnswer`](SendError::NoRequestToAnswer) | a server answers only a received request: poll until `Event::Request` |
//! | [`NoHeadSent`](SendError::NoHeadSent) | send the head before body data or the end |
//! | [`MessageEnded`](SendError::MessageEnded) | the message already ended: wait for `Event::Cycle` |
//! | [`ExchangeInProgress`](SendError::ExchangeInProgress) | a client sends the next request after `Event::Cycle` |
//! | [`SwitchBeforeRequestEnd`](SendError::SwitchBeforeRequestEnd) | read the request to `Event::End` before a 101 or a 2xx to CONNECT |
//! | [`ConnectionClosed`](SendError::ConnectionClosed) | the connection is closing: open another |
//! | [`NotReusable`](SendError::NotReusable) | a client connection got bytes or EOF while idle: drop it, use another |
//! | [`Pipeline`](SendError::Pipeline) | a pipelining client waits: the [`PipelineRefusal`](crate::PipelineRefusal) says for what (the next `Event::Cycle`, `send_end`, or a new connection) |
//! | `Invalid*` (method, target, host, status, reason, field name or value, `Content-Length`, `Transfer-Encoding`) | fix the message: the error names the part |
//! | [`BodyNotAllowed`](SendError::BodyNotAllowed) | HEAD, 1xx, 204 and 304 responses, and requests without framing fields, have no body |
//! | [`BodyTooLong`](SendError::BodyTooLong) / [`BodyTooShort`](SendError::BodyTooShort) | send exactly the `Content-Length` you declared |
//! | [`InvalidTrailer`](SendError::InvalidTrailer) | trailers only on chunked bodies, and never framing, routing or connection fields |
//!
//! ## A server
//!
//! One connection, blocking IO. `stream` is anything readable and
//! writable: a `TcpStream` in real life (set its read timeout from
//! [`poll_timeout`](Connection::poll_timeout) before each read), a canned
//! exchange here.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::time::Instant;
//! use bytes::{Buf, Bytes};
//! use keepalive::{Config, Connection, Event, Header, Recv, Response, Role, SendBuf};
//!
//! fn serve(stream: &mut (impl Read + Write)) -> std::io::Result<()> {
//!     let mut conn = Connection::new(Role::Server, Config::default());
//!     let mut out = SendBuf::new();
//!     let mut buf = [0u8; 8192];
//!     conn.handle_timeout(Instant::now());
//!     loop {
//!         match conn.poll_event() {
//!             Ok(Recv::Event(Event::Request(req))) => {
//!                 let body = Bytes::from(format!("you asked for {}", req.target()));
//!                 let len = body.len().to_string();
//!                 let fields = [Header::new("Content-Length", &len)];
//!                 // Errors here are our bugs, not the peer's.
//!                 conn.send_response(&Response::new(200, &fields), &mut out).expect("valid response");
//!                 conn.send_data(body, &mut out).expect("declared length");
//!                 conn.send_end(&[], &mut out).expect("complete");
//!             }
//!             // Request body, end of request, end of exchange: nothing to do
//!             // for this server (the machine drains unread bodies itself).
//!             Ok(Recv::Event(_)) => {}
//!             Ok(Recv::NeedData) => {
//!                 stream.write_all(&out.copy_to_bytes(out.remaining()))?;
//!                 let n = stream.read(&mut buf)?;
//!                 conn.handle_timeout(Instant::now());
//!                 if n == 0 {
//!                     conn.receive_eof();
//!                 } else {
//!                     conn.receive(&buf[..n]);
//!                 }
//!             }
//!             // A response is owed: this loop answers every request at
//!             // once, so it never gets here.
//!             Ok(Recv::Paused) => unreachable!("every request is answered at once"),
//!             // Over: write what is queued and close (a real server
//!             // half-closes and lingers first, see the table above).
//!             Ok(Recv::Finished) => break,
//!             Err(e) => {
//!                 if !conn.response_started() {
//!                     let status = e.status().unwrap_or(400);
//!                     let fields = [Header::new("Content-Length", "0")];
//!                     if conn.send_response(&Response::new(status, &fields), &mut out).is_ok() {
//!                         let _ = conn.send_end(&[], &mut out);
//!                     }
//!                 }
//!                 break;
//!             }
//!         }
//!     }
//!     stream.write_all(&out.copy_to_bytes(out.remaining()))
//! }
//!
//! // Two pipelined requests, the second asking to close.
//! struct Canned(std::io::Cursor<&'static [u8]>, Vec<u8>);
//! impl Read for Canned {
//!     fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> { self.0.read(b) }
//! }
//! impl Write for Canned {
//!     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.1.write(b) }
//!     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! }
//! let mut peer = Canned(
//!     std::io::Cursor::new(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
//!     Vec::new(),
//! );
//! serve(&mut peer)?;
//! assert_eq!(
//!     String::from_utf8(peer.1).unwrap(),
//!     "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nyou asked for /a\
//!      HTTP/1.1 200 OK\r\nContent-Length: 16\r\nConnection: close\r\n\r\nyou asked for /b"
//! );
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## A client
//!
//! Send a request, then poll until the exchange's [`Event::Cycle`]. The
//! verdict says whether the connection may carry the next request; check
//! [`is_reusable`](Connection::is_reusable) again when taking it out of a
//! pool, after reading whatever arrived while it was idle.
//!
//! ```
//! use keepalive::{Config, Connection, Event, Header, Persist, Recv, Request, Role, SendBuf};
//!
//! let mut conn = Connection::new(Role::Client, Config::default());
//! let mut out = SendBuf::new();
//! let fields = [Header::new("Host", "example")];
//! conn.send_request(&Request::new("GET", "/", &fields), &mut out).unwrap();
//! conn.send_end(&[], &mut out).unwrap();
//! // ... write `out` to the socket; then what the server sends arrives:
//! let mut replies: &[&[u8]] = &[b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 2\r\n\r\nhi"];
//! let mut body = Vec::new();
//! let verdict = loop {
//!     match conn.poll_event().expect("a valid response") {
//!         Recv::Event(Event::Response(head)) => assert_eq!(head.status(), 200),
//!         Recv::Event(Event::Data(d)) => body.extend_from_slice(&d),
//!         Recv::Event(Event::Cycle(verdict)) => break verdict,
//!         Recv::Event(_) => {}
//!         Recv::NeedData => match replies.split_first() {
//!             Some((bytes, rest)) => { conn.receive(bytes); replies = rest; }
//!             None => conn.receive_eof(),
//!         },
//!         Recv::Paused | Recv::Finished => unreachable!("the exchange is not over"),
//!     }
//! };
//! assert_eq!((verdict, &body[..]), (Persist::KeepAlive, &b"hi"[..]));
//! assert!(conn.is_reusable());
//! ```
//!
//! ## Pipelining (client)
//!
//! With [`Config::max_pipeline`](crate::Config::max_pipeline) above 1, a
//! client sends the next request before the previous response arrives
//! (RFC 9112 §9.3.2): call [`send_request`](Connection::send_request) and
//! [`send_end`](Connection::send_end) again while they succeed. Each
//! response is framed by its own request (a HEAD's, a 204's, a 1xx's), and
//! each exchange still ends with its [`Event::Cycle`]. The loop changes in
//! three places:
//!
//! - **When to send:** after each `Cycle`, send the requests that waited.
//!   A refusal is [`SendError::Pipeline`] with its reason
//!   ([`PipelineRefusal`](crate::PipelineRefusal)): the pipeline is full,
//!   or the request before is one nothing may follow before its response
//!   (non-idempotent, CONNECT, upgrade, `Expect: 100-continue`), or the
//!   connection closes after an outstanding request. Nothing was written;
//!   poll, and try again after the next `Cycle` (after a closing one,
//!   `send_request` says [`SendError::ConnectionClosed`]: send the rest on
//!   a new connection).
//! - **When to read:** while requests are outstanding, `poll_event`
//!   returns [`Recv::NeedData`], never `Paused`: keep reading. `Paused`
//!   means nothing is outstanding (send a request). Write what is queued
//!   before every read, or client and server can block on each other's
//!   full buffers. Bytes that arrived before a request went out are never
//!   taken as its response (RFC 9112 §6.3): they fail as
//!   [`UnsolicitedResponse`](crate::RecvErrorKind::UnsolicitedResponse).
//! - **When it ends:** a response that closes (`Connection: close`,
//!   HTTP/1.0, a body read until close), the server's close or an error
//!   leave the later requests unanswered.
//!   [`pipeline_report`](Connection::pipeline_report) says which they are,
//!   by their number on the connection, and which may go again on a new
//!   one (an idempotent request whose response had not started): send
//!   those there, in order, and report the others as failed.
//!
//! ```
//! use keepalive::{Config, Connection, Event, Header, Recv, Request, Role, SendBuf, SendError};
//!
//! let mut config = Config::default();
//! config.max_pipeline = 8;
//! let mut conn = Connection::new(Role::Client, config);
//! let mut out = SendBuf::new();
//! let host = [Header::new("Host", "example")];
//! let targets = ["/a", "/b", "/c"];
//! let mut next = 0;
//! // The server answers two, then closes (as nginx's `keepalive_requests 2`).
//! let mut replies: &[&[u8]] = &[
//!     b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na",
//!     b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nb",
//! ];
//! let mut bodies = Vec::new();
//! loop {
//!     while next < targets.len() {
//!         match conn.send_request(&Request::new("GET", targets[next], &host), &mut out) {
//!             Ok(()) => conn.send_end(&[], &mut out).unwrap(),
//!             Err(SendError::Pipeline(_)) => break,
//!             Err(e) => panic!("{e}"),
//!         }
//!         next += 1;
//!     }
//!     // ... write `out`, then read:
//!     match conn.poll_event().unwrap() {
//!         Recv::Event(Event::Data(d)) => bodies.push(d),
//!         Recv::Event(Event::Cycle(verdict)) if !verdict.is_keep_alive() => break,
//!         Recv::Event(_) => {}
//!         Recv::NeedData => match replies.split_first() {
//!             Some((bytes, rest)) => { conn.receive(bytes); replies = rest; }
//!             None => conn.receive_eof(),
//!         },
//!         Recv::Paused | Recv::Finished => break,
//!     }
//! }
//! assert_eq!(bodies, ["a", "b"]);
//! let report = conn.pipeline_report();
//! assert_eq!(report.unanswered(), 2..3); // "/c": send it on a new connection
//! assert_eq!(report.retryable().collect::<Vec<_>>(), [2]);
//! ```
//!
//! ## A proxy
//!
//! Two machines per exchange: a server machine facing the client and a
//! client machine facing the upstream. [`proxy::Proxy`](crate::proxy::Proxy)
//! turns each received head into the head to send (hop-by-hop fields out,
//! `Via` in, the framing the next hop can read); the body's `Data` and
//! `End` events go across as they come. Move bytes both ways at once:
//! an upstream may answer while it still reads the request body, and a
//! proxy that only writes would deadlock against it. `examples/proxy.rs`
//! is a complete one on the tokio driver; here is one exchange, in memory:
//!
//! ```
//! use bytes::Buf;
//! use keepalive::proxy::Proxy;
//! use keepalive::{Config, Connection, Event, Recv, Role, SendBuf};
//!
//! let proxy = Proxy::new("edge").unwrap();
//! let mut down = Connection::new(Role::Server, Config::default()); // faces the client
//! let mut up = Connection::new(Role::Client, Config::default()); // faces the upstream
//! let (mut to_client, mut to_upstream) = (SendBuf::new(), SendBuf::new());
//!
//! down.receive(b"GET / HTTP/1.0\r\nHost: app\r\n\r\n");
//! let Ok(Recv::Event(Event::Request(req))) = down.poll_event() else { panic!() };
//! let fwd = proxy.forward_request(&req, keepalive::Version::Http11).unwrap();
//! up.send_request(&fwd.head(), &mut to_upstream).unwrap();
//! assert!(matches!(down.poll_event(), Ok(Recv::Event(Event::End(_)))));
//! up.send_end(&[], &mut to_upstream).unwrap();
//!
//! up.receive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
//! loop {
//!     match up.poll_event().unwrap() {
//!         Recv::Event(Event::Response(res)) => {
//!             // HTTP/1.0 client: the chunked body will end at close.
//!             let fwd = proxy.forward_response(&res, req.version()).unwrap().unwrap();
//!             down.send_response(&fwd.head(), &mut to_client).unwrap();
//!         }
//!         Recv::Event(Event::Data(d)) => down.send_data(d, &mut to_client).unwrap(),
//!         Recv::Event(Event::End(_)) => down.send_end(&[], &mut to_client).unwrap(),
//!         _ => break,
//!     }
//! }
//! assert_eq!(
//!     to_client.copy_to_bytes(to_client.remaining()),
//!     &b"HTTP/1.1 200 OK\r\nVia: 1.1 edge\r\nConnection: close\r\n\r\nhi"[..]
//! );
//! assert!(up.is_reusable()); // back to the pool
//! ```
//!
//! ## Time
//!
//! Before every blocking wait, ask [`poll_timeout`](Connection::poll_timeout)
//! and wait no longer; after it, call
//! [`handle_timeout`](Connection::handle_timeout) with the current time,
//! then `poll_event` again: a slow head or body becomes a 408 error, an
//! idle connection `Finished`, a lingering close ends. A loop that never
//! gives the time gets no timers.
//!
//! ## What you still write yourself
//!
//! With the socket drivers (features `blocking` and `tokio`: their `Conn`
//! reads, writes, drives the timers and lingers; their `serve` accepts):
//!
//! - **Server:** the handler: a loop over `next_event`, routing, the
//!   response, and on `Err` the error response with [`RecvError::status`].
//! - **Client:** keeping connections for reuse (a pool), and sending a
//!   failed request again when `Conn::may_retry` allows it.
//! - **Proxy:** both of the above, plus moving bytes both ways at once
//!   (one side's events are sent on the other while both are read), and
//!   a retry rule that also asks whether the request body has started to
//!   go up. [`proxy`](crate::proxy) changes the messages themselves.
//!
//! Without the drivers, add the socket loop on this page: reads into
//! [`recv_buf`](Connection::recv_buf), writes of the [`SendBuf`](crate::SendBuf),
//! the deadline of every wait, and the lingering close.

#[allow(unused_imports)] // Names for the links above.
use crate::{Connection, Event, Persist, Recv, RecvError, SendError, TimerKind};
