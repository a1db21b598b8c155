//! The named leniencies a caller can switch on in [`Config`](crate::Config),
//! and the set of those that fired on a message, so a relaxed parse is
//! never silent.

use core::fmt;

/// One leniency: a way a received message may bend the grammar when the
/// matching [`Config`](crate::Config) switch is on. Each is off by default,
/// scoped to the direction where it is safe (responses read by a client
/// cannot smuggle requests to a server), and reported when it fires.
///
/// ```
/// use keepalive::{Config, Connection, Event, Lenience, Recv, Request, Role, SendBuf};
///
/// // A server that pads its chunk sizes: refused by default.
/// let body = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5  \r\nhello\r\n0\r\n\r\n";
/// let mut config = Config::default();
/// config.allow_spaces_after_chunk_size = true;
/// let mut conn = Connection::new(Role::Client, config);
/// let host = [keepalive::Header::new("Host", "example")];
/// conn.send_request(&Request::new("GET", "/", &host), &mut SendBuf::new()).unwrap();
/// conn.receive(body);
/// loop {
///     if let Recv::Event(Event::End(_)) = conn.poll_event().unwrap() {
///         break;
///     }
/// }
/// assert!(conn.body_leniencies().contains(Lenience::SpacesAfterChunkSize));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lenience {
    /// Whitespace between a response field name and its colon
    /// ([`Config::allow_space_before_colon_in_responses`](crate::Config::allow_space_before_colon_in_responses)).
    SpaceBeforeColon,
    /// Invalid field lines in a response skipped
    /// ([`Config::skip_invalid_fields_in_responses`](crate::Config::skip_invalid_fields_in_responses)).
    InvalidFieldSkipped,
    /// Several spaces between request-line parts
    /// ([`Config::allow_multiple_spaces_in_request_line`](crate::Config::allow_multiple_spaces_in_request_line)).
    MultipleSpaces,
    /// Spaces after a response chunk size
    /// ([`Config::allow_spaces_after_chunk_size`](crate::Config::allow_spaces_after_chunk_size)).
    SpacesAfterChunkSize,
    /// LF without CR after response chunk data
    /// ([`Config::allow_lf_after_chunk_data`](crate::Config::allow_lf_after_chunk_data)).
    LfAfterChunkData,
    /// A line ended by LF without CR, in either direction: a start line,
    /// a field line, the blank line ending a head, an empty line before a
    /// start line, a chunk-size line, the end of chunk data, a trailer
    /// line ([`Config::allow_bare_lf`](crate::Config::allow_bare_lf)).
    /// Where [`LfAfterChunkData`](Self::LfAfterChunkData) is on too, the
    /// end of response chunk data records that narrower one instead.
    BareLf,
    /// Obsolete line folding in a request, replaced by spaces
    /// ([`Config::allow_obs_fold_in_requests`](crate::Config::allow_obs_fold_in_requests)).
    /// A response's folds are not a leniency and record nothing: RFC 9112
    /// §5.2 makes every user agent unfold them.
    ObsFold,
}

impl Lenience {
    /// Every leniency, in the order of [`Leniencies::iter`].
    pub const ALL: [Self; 7] = [
        Self::SpaceBeforeColon,
        Self::InvalidFieldSkipped,
        Self::MultipleSpaces,
        Self::SpacesAfterChunkSize,
        Self::LfAfterChunkData,
        Self::BareLf,
        Self::ObsFold,
    ];

    /// A stable short name (`explain --lenient NAME`, the trace's
    /// `"lenient"` field).
    pub const fn name(self) -> &'static str {
        match self {
            Self::SpaceBeforeColon => "space_before_colon",
            Self::InvalidFieldSkipped => "invalid_field_skipped",
            Self::MultipleSpaces => "multiple_spaces",
            Self::SpacesAfterChunkSize => "spaces_after_chunk_size",
            Self::LfAfterChunkData => "lf_after_chunk_data",
            Self::BareLf => "bare_lf",
            Self::ObsFold => "obs_fold",
        }
    }

    /// The leniency called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Lenience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The leniencies that fired while a message (or its head) was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Leniencies(u8);

impl Leniencies {
    /// No leniency fired.
    pub const NONE: Self = Self(0);

    /// Whether nothing bent the grammar.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `l` fired.
    pub const fn contains(self, l: Lenience) -> bool {
        self.0 & l.bit() != 0
    }

    /// The leniencies that fired.
    pub fn iter(self) -> impl Iterator<Item = Lenience> {
        Lenience::ALL.into_iter().filter(move |l| self.contains(*l))
    }

    pub(crate) fn insert(&mut self, l: Lenience) {
        self.0 |= l.bit();
    }

    /// The set as bits, for a test folded into another (the parser's
    /// fast-path entry).
    pub(crate) const fn bits(self) -> u8 {
        self.0
    }

    /// Adds the leniencies of `other` (a trailer section's to its body's).
    pub(crate) fn extend(&mut self, other: Self) {
        self.0 |= other.0;
    }
}

// Every leniency has its bit in the `u8` of `Leniencies`.
const _: () = assert!(Lenience::ALL.len() <= 8);
