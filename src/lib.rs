//! A deterministic HTTP/1.1 connection state machine: it turns received
//! bytes into events and sent messages into bytes, decides how every
//! message is framed and whether the connection persists after each
//! exchange, and does no IO and reads no clock.
//!
//! # Example: one server cycle
//!
//! ```
//! use keepalive::{Connection, Config, Role, Recv, Event, Response, Header, SendBuf, Persist};
//! use bytes::Buf;
//!
//! let mut conn = Connection::new(Role::Server, Config::default());
//! conn.receive(b"GET /hello HTTP/1.1\r\nHost: example\r\n\r\n");
//!
//! let Ok(Recv::Event(Event::Request(req))) = conn.poll_event() else { panic!() };
//! assert_eq!(req.target(), "/hello");
//! assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::End(_)))));
//! // The next pipelined request waits until this response is sent.
//! assert_eq!(conn.poll_event(), Ok(Recv::Paused));
//!
//! let mut out = SendBuf::new();
//! conn.send_response(&Response::new(200, &[Header::new("Content-Length", "5")]), &mut out).unwrap();
//! conn.send_data(bytes::Bytes::from_static(b"hello"), &mut out).unwrap();
//! conn.send_end(&[], &mut out).unwrap();
//! assert_eq!(out.copy_to_bytes(out.remaining()), &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"[..]);
//!
//! assert_eq!(conn.poll_event(), Ok(Recv::Event(Event::Cycle(Persist::KeepAlive))));
//! assert_eq!(conn.poll_event(), Ok(Recv::NeedData));
//! ```
//!
//! # Example: one client cycle
//!
//! ```
//! use keepalive::{Connection, Config, Role, Recv, Event, Request, Header, SendBuf, Persist, CloseReason};
//!
//! let mut conn = Connection::new(Role::Client, Config::default());
//! let mut out = SendBuf::new();
//! conn.send_request(&Request::new("GET", "/", &[Header::new("Host", "example")]), &mut out).unwrap();
//! conn.send_end(&[], &mut out).unwrap();
//!
//! conn.receive(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
//! let Ok(Recv::Event(Event::Response(resp))) = conn.poll_event() else { panic!() };
//! assert_eq!(resp.status(), 200);
//! assert_eq!(conn.poll_event(), Ok(Recv::Event(Event::Data("ok".into()))));
//! assert!(matches!(conn.poll_event(), Ok(Recv::Event(Event::End(_)))));
//! assert_eq!(
//!     conn.poll_event(),
//!     Ok(Recv::Event(Event::Cycle(Persist::Close(CloseReason::ConnectionClose { by: Role::Server }))))
//! );
//! assert_eq!(conn.poll_event(), Ok(Recv::Finished));
//! ```
//!
//! # Where next
//!
//! - [`guide`]: the driver loop for a server, a client and a proxy, and
//!   what to do with every event and every error.
//! - [`proxy`]: what an intermediary changes in a message it forwards.
//! - `http` (feature `http`): conversions to and from the `http` crate's
//!   heads.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub, clippy::use_self)]

mod config;
mod conn;
mod decode;
#[cfg(any(feature = "blocking", feature = "tokio"))]
mod driver;
mod encode;
mod error;
mod event;
mod exchange;
mod framing;
pub mod guide;
mod head;
mod headers;
#[cfg(feature = "http")]
pub mod http;
mod lenience;
mod message;
mod parse;
mod persist;
pub mod proxy;
mod state;
mod syntax;
mod timer;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use config::Config;
pub use conn::Connection;
#[cfg(feature = "blocking")]
pub use driver::blocking;
#[cfg(feature = "tokio")]
pub use driver::tokio;
pub use encode::{canonical_reason, SendBuf};
pub use error::{RecvError, RecvErrorKind, SendError};
pub use event::{Event, Recv};
pub use exchange::{PipelineRefusal, PipelineReport, RetrySafety};
pub use head::{Request, RequestHead, Response, ResponseHead};
pub use headers::{Header, Headers, Iter as HeaderIter, Values as HeaderValues};
pub use lenience::{Lenience, Leniencies};
pub use message::{BodyLength, Role, SwitchKind, Version};
pub use persist::{CloseReason, KeepAliveHint, Persist};
pub use timer::{Expired, TimerKind};
