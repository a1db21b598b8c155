//! Every state transition of a connection, and the persistence latch.
//!
//! A connection has two halves, ours (what we send) and theirs (what we
//! receive). Each walks the same states; this file knows nothing of bytes
//! or roles. Its fields are private: the only way to move a half is
//! [`Machine::apply`], whose refusal is a `Result` the caller must handle.
//!
//! ```text
//!            Head                   End
//!   Idle ───────────► Body ─────────────────► Done
//!    │ ▲ Interim                               │ │
//!    └─┘                  Cycle(keep-alive)    │ │ Cycle(close)
//!    ▲─────────────────────────────────────────┘ ▼
//!    │                                        MustClose
//!    │ Eof (between messages)     Switch (from Idle, Body or Done)
//!    │ (Shutdown: Idle ──► MustClose, an idle timeout)
//!    └──────────► Closed           ──────────► Switched
//!
//!   any ── Fail(kind) ──► Error (sticky: the one failure flag; the kind
//!                               is kept beside it, read through `failure`)
//! ```
//!
//! The latch only moves from persist to close and keeps the first reason.
//! A new cycle starts only when both halves are done and the latch says
//! persist (RFC 9112 §9.3); an exchange whose response is done while the
//! request is not can end early only if the latch already says close.

use crate::error::RecvErrorKind;
use crate::persist::{CloseReason, Persist};

/// Where one half of the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HalfState {
    /// No message of this exchange yet (interim responses keep it here).
    Idle,
    /// A head went through; body and end follow.
    Body,
    /// The message of this exchange is complete.
    Done,
    /// The exchange ended and the connection will close: no more messages.
    MustClose,
    /// The peer closed between messages.
    Closed,
    /// The connection left HTTP/1.1.
    Switched,
    /// A protocol error (which one: [`Machine::failure`]).
    Error,
}

/// What happens to a half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// A message head (final for responses).
    Head,
    /// A 1xx interim response head.
    Interim,
    /// The message ended.
    End,
    /// A switching head (101, 2xx to CONNECT).
    Switch,
    /// The exchange ended; `keep_alive` from the latch.
    CycleEnd { keep_alive: bool },
    /// The peer closed between messages.
    Eof,
    /// The peer broke the protocol.
    Fail(RecvErrorKind),
    /// This side decided to close between exchanges (idle timeout).
    Shutdown,
}

/// The transition table. `None`: not allowed in this state.
pub(crate) const fn next(state: HalfState, input: Input) -> Option<HalfState> {
    use HalfState::*;
    use Input::*;
    Some(match (state, input) {
        (Error, _) => Error,
        (_, Fail(_)) => Error,
        (Idle, Head) => Body,
        (Idle, Interim) => Idle,
        (Body, End) => Done,
        // A client may still be sending when a 101 or a 2xx to CONNECT
        // arrives; the bytes it sends next belong to the new protocol.
        (Idle | Body | Done, Switch) => Switched,
        (Done, CycleEnd { keep_alive: true }) => Idle,
        (Idle | Body | Done, CycleEnd { keep_alive: false }) => MustClose,
        (Idle, Shutdown) => MustClose,
        (Idle, Eof) => Closed,
        (Closed, Eof) => Closed,
        (MustClose | Switched, Eof) => state,
        _ => return None,
    })
}

/// The table refused an input: a bug in the caller of [`Machine::apply`],
/// reported rather than ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) half: Half,
    pub(crate) from: HalfState,
    pub(crate) input: Input,
}

/// The persistence latch: persist until the first reason to close.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Latch(Option<CloseReason>);

impl Latch {
    /// Records a reason to close; the first one is kept.
    pub(crate) fn close(&mut self, reason: CloseReason) {
        if self.0.is_none() {
            self.0 = Some(reason);
        }
    }

    /// Records `reason` if there is one.
    pub(crate) fn close_if(&mut self, reason: Option<CloseReason>) {
        if let Some(r) = reason {
            self.close(r);
        }
    }

    pub(crate) fn persist(&self) -> Persist {
        match self.0 {
            None => Persist::KeepAlive,
            Some(r) => Persist::Close(r),
        }
    }

    pub(crate) fn is_close(&self) -> bool {
        self.0.is_some()
    }
}

/// Which half carries the response (the server's own, the client's peer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Half {
    Ours,
    Theirs,
}

impl Half {
    pub(crate) const fn other(self) -> Self {
        match self {
            Self::Ours => Self::Theirs,
            Self::Theirs => Self::Ours,
        }
    }
}

/// Both halves and the latch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Machine {
    ours: HalfState,
    theirs: HalfState,
    latch: Latch,
    /// The response of this exchange announced (or its sender decided)
    /// that the connection closes: only then may the exchange end before
    /// the request is complete. A client whose own request said close
    /// still finishes sending it to a server that keeps reading.
    response_closes: bool,
    /// Which protocol error put a half in `Error`; read only through
    /// [`failure`](Self::failure), which asks the state first.
    failed: RecvErrorKind,
}

impl Machine {
    pub(crate) const fn new() -> Self {
        Self {
            ours: HalfState::Idle,
            theirs: HalfState::Idle,
            latch: Latch(None),
            response_closes: false,
            failed: RecvErrorKind::InvalidStartLine,
        }
    }

    /// Applies `input` to one half, or says why the table forbids it.
    pub(crate) fn apply(&mut self, half: Half, input: Input) -> Result<(), Refused> {
        let from = self.get(half);
        let to = next(from, input).ok_or(Refused { half, from, input })?;
        if let Input::Fail(kind) = input {
            self.note_failure(kind);
        }
        match half {
            Half::Ours => self.ours = to,
            Half::Theirs => self.theirs = to,
        }
        Ok(())
    }

    /// Applies `input` to both halves (a switch, an end of input, a
    /// shutdown): both move or neither does.
    pub(crate) fn apply_both(&mut self, input: Input) -> Result<(), Refused> {
        let refused = |half, from| Refused { half, from, input };
        let ours = next(self.ours, input).ok_or(refused(Half::Ours, self.ours))?;
        let theirs = next(self.theirs, input).ok_or(refused(Half::Theirs, self.theirs))?;
        if let Input::Fail(kind) = input {
            self.note_failure(kind);
        }
        (self.ours, self.theirs) = (ours, theirs);
        Ok(())
    }

    /// Keeps the first failure's kind, before a half enters `Error`.
    fn note_failure(&mut self, kind: RecvErrorKind) {
        let failed = |s| matches!(s, HalfState::Error);
        if !failed(self.ours) && !failed(self.theirs) {
            self.failed = kind;
        }
    }

    pub(crate) const fn get(&self, half: Half) -> HalfState {
        match half {
            Half::Ours => self.ours,
            Half::Theirs => self.theirs,
        }
    }

    pub(crate) const fn ours(&self) -> HalfState {
        self.ours
    }

    pub(crate) const fn theirs(&self) -> HalfState {
        self.theirs
    }

    /// The protocol error the peer committed, if any (only the receiving
    /// half ever fails).
    pub(crate) const fn failure(&self) -> Option<RecvErrorKind> {
        match self.theirs {
            HalfState::Error => Some(self.failed),
            _ => None,
        }
    }

    pub(crate) fn latch(&mut self) -> &mut Latch {
        &mut self.latch
    }

    pub(crate) const fn persist(&self) -> Persist {
        match self.latch.0 {
            None => Persist::KeepAlive,
            Some(r) => Persist::Close(r),
        }
    }

    pub(crate) const fn is_close(&self) -> bool {
        self.latch.0.is_some()
    }

    pub(crate) fn set_response_closes(&mut self, closes: bool) {
        self.response_closes = closes;
    }

    /// Whether the exchange is over: the response is done and either the
    /// request is done too or the response said the connection closes.
    pub(crate) fn exchange_over(&self, response: Half) -> bool {
        let request = self.get(response.other());
        matches!(self.get(response), HalfState::Done)
            && (matches!(request, HalfState::Done)
                || (self.latch.is_close()
                    && self.response_closes
                    && matches!(request, HalfState::Body | HalfState::Idle)))
    }

    /// Their message ended before ours began (a request read whole
    /// before the response): `apply(Theirs, End)` with the exchange
    /// known not to be over. `false`, with nothing changed, from any
    /// other pair of states.
    #[inline]
    pub(crate) fn end_theirs_before_ours(&mut self) -> bool {
        let before = matches!((self.ours, self.theirs), (HalfState::Idle, HalfState::Body));
        if before {
            self.theirs = HalfState::Done;
        }
        before
    }

    /// Our message ended while theirs is already complete (a server's
    /// response after the whole request): the end and the cycle in one
    /// step, both halves moved as `apply(Ours, End)` then
    /// [`end_cycle`](Self::end_cycle) would move them. `None`, with
    /// nothing changed, from any other pair of states.
    #[inline]
    pub(crate) fn end_ours_after_theirs(&mut self) -> Option<Persist> {
        if !matches!((self.ours, self.theirs), (HalfState::Body, HalfState::Done)) {
            return None;
        }
        let next = match self.latch.is_close() {
            false => HalfState::Idle,
            true => HalfState::MustClose,
        };
        (self.ours, self.theirs) = (next, next);
        self.response_closes = false;
        Some(self.latch.persist())
    }

    /// Ends the exchange: both halves move on per the latch.
    pub(crate) fn end_cycle(&mut self) -> Result<Persist, Refused> {
        let keep_alive = !self.latch.is_close();
        self.apply_both(Input::CycleEnd { keep_alive })?;
        self.response_closes = false;
        Ok(self.latch.persist())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HalfState::*;

    #[test]
    fn error_is_sticky_and_cycle_needs_done() {
        let e = RecvErrorKind::BareLf;
        assert_eq!(next(Error, Input::Head), Some(Error));
        assert_eq!(next(Idle, Input::Fail(e)), Some(Error));
        let mut m = Machine::new();
        m.apply(Half::Theirs, Input::Fail(e)).unwrap();
        m.apply(Half::Theirs, Input::Fail(RecvErrorKind::ObsFold))
            .unwrap();
        assert_eq!(m.failure(), Some(e), "the first failure is kept");
        assert_eq!(next(Body, Input::CycleEnd { keep_alive: true }), None);
        assert_eq!(next(Done, Input::CycleEnd { keep_alive: true }), Some(Idle));
        assert_eq!(next(Body, Input::Head), None);
        assert_eq!(next(Closed, Input::Head), None);
        assert_eq!(next(MustClose, Input::Head), None);
    }

    #[test]
    fn refusal_changes_nothing() {
        let mut m = Machine::new();
        assert_eq!(
            m.apply(Half::Ours, Input::End),
            Err(Refused {
                half: Half::Ours,
                from: Idle,
                input: Input::End
            })
        );
        assert_eq!(m.ours(), Idle);
        m.apply(Half::Ours, Input::Head).unwrap();
        // Ours may not cycle from Body: both halves stay where they were.
        assert!(m.apply_both(Input::CycleEnd { keep_alive: true }).is_err());
        assert_eq!((m.ours(), m.theirs()), (Body, Idle));
    }

    #[test]
    fn end_of_theirs_before_ours_moves_as_end() {
        let states = [Idle, Body, Done, MustClose, Closed, Switched, Error];
        for ours in states {
            for theirs in states {
                let mut m = Machine::new();
                (m.ours, m.theirs) = (ours, theirs);
                let mut general = m;
                let ended = general.apply(Half::Theirs, Input::End).is_ok()
                    && !general.exchange_over(Half::Ours);
                if m.end_theirs_before_ours() {
                    assert!(ended, "{ours:?} {theirs:?}");
                    assert_eq!((m.ours, m.theirs), (general.ours, general.theirs));
                } else {
                    assert_eq!((m.ours, m.theirs), (ours, theirs), "nothing moved");
                }
                assert_eq!(
                    (m.ours, m.theirs) != (ours, theirs),
                    (ours, theirs) == (Idle, Body)
                );
            }
        }
    }

    #[test]
    fn end_after_theirs_moves_as_end_then_cycle() {
        let states = [Idle, Body, Done, MustClose, Closed, Switched, Error];
        for ours in states {
            for theirs in states {
                for close in [false, true] {
                    let mut m = Machine::new();
                    (m.ours, m.theirs) = (ours, theirs);
                    if close {
                        m.latch().close(CloseReason::Http10 {
                            by: crate::message::Role::Client,
                        });
                    }
                    let mut general = m;
                    let stepped = general
                        .apply(Half::Ours, Input::End)
                        .ok()
                        .filter(|()| general.exchange_over(Half::Ours))
                        .and_then(|()| general.end_cycle().ok());
                    let straight = m.end_ours_after_theirs();
                    if straight.is_some() {
                        assert_eq!(straight, stepped, "{ours:?} {theirs:?} {close}");
                        assert_eq!((m.ours, m.theirs), (general.ours, general.theirs));
                    } else {
                        assert_eq!((m.ours, m.theirs), (ours, theirs), "nothing moved");
                    }
                    // The straight path takes exactly the complete request.
                    assert_eq!(straight.is_some(), (ours, theirs) == (Body, Done));
                }
            }
        }
    }

    #[test]
    fn latch_keeps_first_reason() {
        let mut l = Latch::default();
        assert_eq!(l.persist(), Persist::KeepAlive);
        l.close(CloseReason::PeerClosed);
        l.close(CloseReason::ProtocolError);
        assert_eq!(l.persist(), Persist::Close(CloseReason::PeerClosed));
    }

    #[test]
    fn early_response_ends_exchange_only_when_closing() {
        let mut m = Machine::new();
        m.apply(Half::Ours, Input::Head).unwrap();
        m.apply(Half::Ours, Input::End).unwrap();
        m.apply(Half::Theirs, Input::Head).unwrap();
        assert!(!m.exchange_over(Half::Ours));
        m.latch().close(CloseReason::UnreadBody);
        assert!(
            !m.exchange_over(Half::Ours),
            "the response did not say close"
        );
        m.set_response_closes(true);
        assert!(m.exchange_over(Half::Ours));
        assert_eq!(m.end_cycle(), Ok(Persist::Close(CloseReason::UnreadBody)));
        assert_eq!((m.ours(), m.theirs()), (MustClose, MustClose));
    }
}
