//! What the receive side hands the caller.

use bytes::Bytes;

use crate::head::{RequestHead, ResponseHead};
use crate::headers::Headers;
use crate::message::SwitchKind;
use crate::persist::Persist;

/// Something the peer sent, or the end of an exchange.
// Heads carry their field index inline so that a message costs no
// allocation; boxing the large variant would add one per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request head (server role). Its body follows as `Data`, then `End`.
    Request(RequestHead),
    /// An interim 1xx response other than 101 (client role). More heads
    /// follow until the final response.
    Informational(ResponseHead),
    /// A final response head, or a 101 (client role).
    Response(ResponseHead),
    /// Body bytes: a zero-copy slice of the receive buffer.
    Data(Bytes),
    /// The message ended, with its trailer fields (usually empty).
    End(Headers),
    /// The exchange (request and response) is complete: whether the
    /// connection persists, and why not. With [`Persist::KeepAlive`] the
    /// next cycle has already begun. Also the report of an idle timeout
    /// between exchanges (`Close(IdleTimeout)`), so that every ending
    /// has one report that agrees with
    /// [`persist`](crate::Connection::persist).
    Cycle(Persist),
    /// The connection left HTTP/1.1 (101 or a 2xx to CONNECT). `leftover`
    /// holds every byte received after the head, untouched; later bytes
    /// belong to the new protocol and are the caller's.
    Switched {
        /// Upgrade or CONNECT tunnel.
        kind: SwitchKind,
        /// Bytes already received after the switching head.
        leftover: Bytes,
    },
    /// The peer closed the connection cleanly between messages;
    /// [`persist`](crate::Connection::persist) then says
    /// `Close(PeerClosed)`.
    Closed,
}

/// The result of [`Connection::poll_event`](crate::Connection::poll_event).
// Heads carry their field index inline so that a message costs no
// allocation; boxing the large variant would add one per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recv {
    /// An event.
    Event(Event),
    /// Feed more bytes ([`receive`](crate::Connection::receive)) or the end
    /// of input ([`receive_eof`](crate::Connection::receive_eof)).
    NeedData,
    /// Waiting for this side to send: a server must finish its response
    /// before the next pipelined request is read; a client must send a
    /// request (a client with requests outstanding gets
    /// [`Recv::NeedData`] instead: it keeps reading). Bytes already received stay buffered. Do not read more
    /// from the socket while paused: the machine cannot process it yet, and
    /// reading only when [`Recv::NeedData`] asks keeps the receive buffer
    /// bounded by the configured limits plus one read.
    Paused,
    /// No more events: the connection is closing, closed, switched or
    /// broken (after its error was returned once). See
    /// [`persist`](crate::Connection::persist) and
    /// [`unread`](crate::Connection::unread).
    Finished,
}
