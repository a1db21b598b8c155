//! The send side: messages in, bytes out, framing chosen here.

use bytes::Bytes;

use super::{Connection, Exchange, Method};
use crate::encode::{
    connection_values, put_field, write_fields, write_request_line, write_status_line, Encoder,
    SendBuf,
};
use crate::error::SendError;
use crate::event::Role;
use crate::framing::{request_framing, response_framing, Outgoing};
use crate::head::{Request, Response, Version};
use crate::headers::Header;
use crate::persist::{message_verdict, sent_response_verdict, CloseReason, EarlyResponse};
use crate::state::{Half, HalfState, Input};
use crate::timer::TimerKind;

impl Connection {
    /// Sends a request head (client role). The body follows with
    /// [`send_data`](Self::send_data); [`send_end`](Self::send_end) ends it,
    /// also for requests without a body.
    pub fn send_request(&mut self, req: &Request<'_>, out: &mut SendBuf) -> Result<(), SendError> {
        if self.role != Role::Client {
            return Err(SendError::WrongRole);
        }
        self.check_open()?;
        if self.machine.ours != HalfState::Idle
            || self.machine.theirs != HalfState::Idle
            || self.cycle.is_some()
        {
            return Err(SendError::InvalidState);
        }
        let leftover = !self.config.replay_buffered_responses && !self.is_blank(&self.buf);
        if self.stale || self.eof || leftover {
            // Bytes or EOF from the server while no request was
            // outstanding: stale connection, not safe to reuse.
            return Err(SendError::NotReusable);
        }
        let last = self
            .config
            .max_requests
            .is_some_and(|max| self.exchanges.saturating_add(1) >= max);
        let mark = out.mark();
        let result = (|| {
            write_request_line(out, req.method, req.target, req.version)?;
            let facts = write_fields(out, req.headers)?;
            let length = request_framing(
                req.version,
                facts.host_count,
                facts.content_length,
                facts.transfer_encoding,
            )?;
            if last && !facts.connection_close {
                // The server learns it is the last exchange too.
                put_field(out, "Connection", "close");
            }
            out.put(b"\r\n");
            Ok((facts, length))
        })();
        let (facts, length) = result.inspect_err(|_| out.rollback(mark))?;
        self.exchange = Exchange {
            method: Method::of(req.method.as_bytes()),
            version: req.version,
            upgrade_offered: facts.upgrade && facts.connection_upgrade,
            expect_continue: facts.expect_continue,
            sent_continue: false,
        };
        self.machine.latch.close_if(message_verdict(
            Role::Client,
            req.version,
            connection_values(req.headers),
        ));
        self.count_exchange();
        self.encoder = Encoder::new(length);
        self.machine.apply(Half::Ours, Input::Head);
        self.response_started = !self.buf.is_empty();
        self.timers.disarm(TimerKind::Idle);
        if facts.expect_continue {
            self.timers.arm(
                TimerKind::ExpectContinue,
                self.config.expect_continue_timeout,
            );
        }
        Ok(())
    }

    /// Sends a response head (server role): an interim 1xx, a 101 that
    /// accepts an upgrade, or the final response.
    ///
    /// The machine completes the framing: it keeps a given
    /// `Content-Length` (and enforces it), otherwise uses chunked coding
    /// toward an HTTP/1.1 client or close-delimiting toward HTTP/1.0; it
    /// adds `Connection: close` when the connection will close, and
    /// `Connection: keep-alive` toward an HTTP/1.0 client it keeps.
    ///
    /// After a [`RecvError`](crate::RecvError) the server may still send one final response
    /// (the error status); the connection closes after it.
    pub fn send_response(
        &mut self,
        resp: &Response<'_>,
        out: &mut SendBuf,
    ) -> Result<(), SendError> {
        if self.role != Role::Server {
            return Err(SendError::WrongRole);
        }
        let after_error = self.machine.theirs == HalfState::Error;
        if !after_error {
            self.check_open()?;
        }
        if self.machine.ours != HalfState::Idle
            || !matches!(
                self.machine.theirs,
                HalfState::Body | HalfState::Done | HalfState::Error
            )
        {
            return Err(SendError::InvalidState);
        }
        let status = resp.status;
        let request_done = self.machine.theirs == HalfState::Done;
        let ex = self.exchange;
        let advertise = self.config.advertise_keep_alive && !facts_has_keep_alive(resp.headers);
        // An early response (request body still arriving) keeps the
        // connection only if the rest can be drained; decided here, not at
        // `send_end`, so the head can carry the `Connection: close` that
        // tells the client.
        let drainable = request_done
            || self
                .decoder
                .remaining()
                .is_some_and(|r| r <= self.config.drain_budget);
        let mark = out.mark();
        let mut latch = self.machine.latch;
        if after_error {
            latch.close(CloseReason::ProtocolError);
        }
        let result = (|| {
            write_status_line(out, status, resp.reason)?;
            let facts = write_fields(out, resp.headers)?;
            let framing = response_framing(Outgoing {
                status,
                request_method: ex.method.as_bytes(),
                request_version: ex.version,
                upgrade_offered: ex.upgrade_offered,
                after_error,
                content_length: facts.content_length,
                chunked: facts.transfer_encoding,
                upgrade_field: facts.upgrade,
            })?;
            if framing.switch.is_some() && !request_done {
                // Switch only once the request is complete: what follows
                // it belongs to the new protocol.
                return Err(SendError::InvalidState);
            }
            if let Some((name, value)) = framing.add {
                put_field(out, name, value);
            }
            let (length, interim, switch) = (framing.length, framing.interim, framing.switch);
            if interim {
                out.put(b"\r\n");
                return Ok((length, interim, switch));
            }
            if switch.is_some() {
                latch.close(CloseReason::Switched);
            } else {
                let connection = connection_values(resp.headers);
                latch.close_if(sent_response_verdict(
                    length,
                    EarlyResponse {
                        expect_continue: ex.expect_continue,
                        sent_continue: ex.sent_continue,
                        request_done,
                        drainable,
                    },
                    connection,
                ));
                if latch.is_close() && !facts.connection_close {
                    put_field(out, "Connection", "close");
                } else if !latch.is_close() {
                    if ex.version == Version::Http10 && !facts.connection_keep_alive {
                        put_field(out, "Connection", "keep-alive");
                    }
                    if advertise {
                        put_keep_alive(out, &self.config, self.exchanges);
                    }
                }
            }
            out.put(b"\r\n");
            Ok((length, interim, switch))
        })();
        let (length, interim, switch) = result.inspect_err(|_| out.rollback(mark))?;
        if interim {
            self.exchange.sent_continue |= status == 100;
            return Ok(());
        }
        self.machine.latch = latch;
        // Whenever the latch says close, the head just written says so too.
        self.machine.response_closes = latch.is_close();
        if let Some(kind) = switch {
            self.switch = Some(kind);
            self.machine.apply(Half::Ours, Input::Switch);
            self.machine.apply(Half::Theirs, Input::Switch);
            self.timers.disarm_all();
            return Ok(());
        }
        self.encoder = Encoder::new(length);
        self.machine.apply(Half::Ours, Input::Head);
        Ok(())
    }

    /// Sends body bytes. They are queued in `out` as they are (no copy),
    /// framed as the head decided.
    pub fn send_data(&mut self, data: Bytes, out: &mut SendBuf) -> Result<(), SendError> {
        self.check_sending()?;
        if !data.is_empty() {
            // The body is on its way: no more waiting for 100 Continue.
            self.timers.disarm(TimerKind::ExpectContinue);
        }
        self.encoder.data(data, out)
    }

    /// Ends the message, with trailer fields if it is chunked (pass `&[]`
    /// for none).
    pub fn send_end(
        &mut self,
        trailers: &[Header<'_>],
        out: &mut SendBuf,
    ) -> Result<(), SendError> {
        self.check_sending()?;
        self.encoder.end(trailers, out)?;
        self.timers.disarm(TimerKind::ExpectContinue);
        self.machine.apply(Half::Ours, Input::End);
        if self.machine.theirs == HalfState::Error {
            // The error response is out; only lingering remains.
            self.machine
                .apply(Half::Ours, Input::CycleEnd { keep_alive: false });
            return Ok(());
        }
        if self.role == Role::Server && self.machine.theirs == HalfState::Body {
            // Early response: drain a known, small remainder to keep the
            // connection; otherwise close without reading the rest.
            let within_budget = self
                .decoder
                .remaining()
                .is_some_and(|r| r <= self.config.drain_budget);
            if !within_budget {
                self.machine.latch.close(CloseReason::UnreadBody);
                self.machine.response_closes = true;
            }
        }
        self.maybe_end_cycle();
        Ok(())
    }
}

fn facts_has_keep_alive(headers: &[Header<'_>]) -> bool {
    headers.iter().any(|h| h.is("keep-alive"))
}

/// `Keep-Alive: timeout=N, max=M` from the idle timeout and the exchanges
/// left under `max_requests`.
fn put_keep_alive(out: &mut SendBuf, config: &crate::Config, exchanges: u32) {
    let mut value = String::new();
    if let Some(idle) = config.idle_timeout {
        value.push_str(&format!("timeout={}", idle.as_secs()));
    }
    if let Some(max) = config.max_requests {
        if !value.is_empty() {
            value.push_str(", ");
        }
        value.push_str(&format!("max={}", max.saturating_sub(exchanges)));
    }
    if !value.is_empty() {
        put_field(out, "Keep-Alive", &value);
    }
}
