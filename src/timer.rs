//! Time, Sans-IO style: the caller passes `now` in, asks for the next
//! deadline, and reports when it passed. This file holds the clock, the
//! timers and their deadlines. `conn/` arms and disarms them as heads,
//! bodies and exchanges come and go; what a firing means (an idle close,
//! a head or body timeout) is decided by the exchange rules in
//! `exchange/`.

use std::time::{Duration, Instant};

/// The timers a connection keeps, each enabled by a `Config` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// No exchange in progress and nothing received for
    /// [`Config::idle_timeout`](crate::Config::idle_timeout): close.
    Idle,
    /// A head started but not complete within
    /// [`Config::head_timeout`](crate::Config::head_timeout) (slowloris
    /// defense): a server answers 408 and closes.
    HeadRead,
    /// No body bytes for [`Config::body_timeout`](crate::Config::body_timeout)
    /// while a body is expected.
    BodyProgress,
    /// A client sent `Expect: 100-continue` and heard nothing for
    /// [`Config::expect_continue_timeout`](crate::Config::expect_continue_timeout):
    /// send the body anyway (RFC 9110 §10.1.1).
    ExpectContinue,
    /// The connection decided to close and kept reading for
    /// [`Config::linger_timeout`](crate::Config::linger_timeout) so the peer
    /// sees the response rather than a reset (RFC 9112 §9.6): close now.
    Linger,
}

const KINDS: [TimerKind; 5] = [
    TimerKind::Idle,
    TimerKind::HeadRead,
    TimerKind::BodyProgress,
    TimerKind::ExpectContinue,
    TimerKind::Linger,
];

impl TimerKind {
    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The set of timers that fired in one
/// [`handle_timeout`](crate::Connection::handle_timeout) call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Expired(u8);

impl Expired {
    /// Whether no timer fired.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `kind` fired.
    pub const fn contains(self, kind: TimerKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The timers that fired.
    pub fn iter(self) -> impl Iterator<Item = TimerKind> {
        KINDS.into_iter().filter(move |k| self.contains(*k))
    }

    pub(crate) fn insert(&mut self, kind: TimerKind) {
        self.0 |= kind.bit();
    }
}

/// One timer. The deadline is computed when the timer is armed, so
/// polling for it costs a comparison; a timer armed before the caller ever
/// gave a time waits with its duration and starts at the first time given.
/// (Kept small: five of these live in every idle `Connection`.)
#[derive(Debug, Clone, Copy, Default)]
enum Slot {
    #[default]
    Off,
    /// Armed before any time was known.
    Waiting(Duration),
    /// Armed; fires at this instant.
    At(Instant),
}

impl Slot {
    fn armed(since: Option<Instant>, duration: Duration) -> Self {
        match since {
            // A deadline past what `Instant` can hold never comes.
            Some(t) => t.checked_add(duration).map_or(Self::Off, Self::At),
            None => Self::Waiting(duration),
        }
    }

    fn is_armed(&self) -> bool {
        !matches!(self, Self::Off)
    }

    fn deadline(&self) -> Option<Instant> {
        match *self {
            Self::At(t) => Some(t),
            _ => None,
        }
    }
}

/// The clock (the last `now` the caller gave) and every timer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timers {
    now: Option<Instant>,
    slots: [Slot; 5],
}

impl Timers {
    /// Advances the clock (never backwards) and starts timers armed
    /// before any time was known.
    pub(crate) fn set_now(&mut self, now: Instant) {
        let now = match self.now {
            Some(prev) if prev > now => prev,
            _ => now,
        };
        self.now = Some(now);
        for s in &mut self.slots {
            if let Slot::Waiting(d) = *s {
                *s = Slot::armed(Some(now), d);
            }
        }
    }

    /// Arms `kind` from now for `duration` (`None`: the timer is off). A
    /// timer already armed is restarted.
    pub(crate) fn arm(&mut self, kind: TimerKind, duration: Option<Duration>) {
        self.slots[kind as usize] = match duration {
            Some(d) => Slot::armed(self.now, d),
            None => Slot::Off,
        };
    }

    /// Arms `kind` only if it is not running already.
    pub(crate) fn arm_once(&mut self, kind: TimerKind, duration: Option<Duration>) {
        if !self.slots[kind as usize].is_armed() {
            self.arm(kind, duration);
        }
    }

    pub(crate) fn disarm(&mut self, kind: TimerKind) {
        self.slots[kind as usize] = Slot::Off;
    }

    /// Stops every timer; the clock is kept.
    pub(crate) fn disarm_all(&mut self) {
        self.slots = [Slot::Off; 5];
    }

    /// The earliest deadline of an armed timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.slots.iter().filter_map(Slot::deadline).min()
    }

    /// The armed timers whose deadline is at or before the clock, in
    /// [`TimerKind`] order; they are disarmed.
    pub(crate) fn take_expired(&mut self) -> Expired {
        let mut fired = Expired::default();
        let Some(now) = self.now else { return fired };
        for kind in KINDS {
            let slot = &mut self.slots[kind as usize];
            if slot.deadline().is_some_and(|d| d <= now) {
                *slot = Slot::Off;
                fired.insert(kind);
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_at_the_deadline_not_before() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        t.set_now(t0);
        t.arm(TimerKind::Idle, Some(Duration::from_secs(5)));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(5)));
        t.set_now(t0 + Duration::from_millis(4999));
        assert!(t.take_expired().is_empty());
        t.set_now(t0 + Duration::from_secs(5));
        assert!(t.take_expired().contains(TimerKind::Idle));
        assert!(
            t.take_expired().is_empty(),
            "a fired timer does not fire twice"
        );
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn armed_before_any_time_starts_at_first_time() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        t.arm(TimerKind::HeadRead, Some(Duration::from_secs(1)));
        assert_eq!(t.next_deadline(), None);
        t.set_now(t0);
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(1)));
    }

    #[test]
    fn clock_never_goes_backwards() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        t.set_now(t0 + Duration::from_secs(10));
        t.set_now(t0);
        t.arm(TimerKind::Linger, Some(Duration::from_secs(1)));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(11)));
    }
}
