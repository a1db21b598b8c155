//! The byte-level helpers of the one-pass head parser: runs of a byte
//! class, the version grammar, and which error a stray byte means. Pure
//! functions, each called from [`HeadScanner`](super::HeadScanner)'s
//! states.

use super::{Line, Mode};
use crate::error::RecvErrorKind;
use crate::message::Version;
use crate::syntax::find_value_stop;

/// How many bytes at the start of `s` are in the class `table`: eight
/// bytes per step with no bounds check between them, each one table load
/// and one branch that leaves at the first byte outside the class (runs
/// are short: a method, a field name, a path).
#[inline]
pub(super) fn run_of(s: &[u8], table: &[bool; 256]) -> usize {
    let mut i = 0;
    while let Some(w) = s.get(i..i + 8) {
        let Ok(w) = <&[u8; 8]>::try_from(w) else {
            break;
        };
        for (k, &b) in w.iter().enumerate() {
            if !table[usize::from(b)] {
                return i + k;
            }
        }
        i += 8;
    }
    i + s[i..]
        .iter()
        .position(|&b| !table[usize::from(b)])
        .unwrap_or(s.len() - i)
}

/// An empty line ended by LF alone before the start line: the caller
/// skips only the empty lines it may (RFC 9112 §2.2), so this one is a
/// bare LF, not a bad method or version.
#[inline]
pub(super) fn empty_line_before_start() -> RecvErrorKind {
    RecvErrorKind::BareLf
}

/// The error for a CR that ends `line` but is not followed by LF.
#[inline]
pub(super) fn cr_error(line: Line, mode: Mode) -> RecvErrorKind {
    match line {
        Line::Start if mode == Mode::Request => RecvErrorKind::InvalidVersion,
        Line::Start => RecvErrorKind::InvalidStatus,
        Line::Field => RecvErrorKind::InvalidHeaderValue,
        Line::Blank => RecvErrorKind::InvalidHeaderName,
    }
}

/// The first byte at or after `from` that ends a value or reason phrase
/// or is not allowed in one, skipping HTAB.
#[inline]
pub(super) fn find_stop(d: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + find_value_stop(&d[from..])?;
        if d[at] != b'\t' {
            return Some(at);
        }
        from = at + 1;
    }
}

/// Whether `b` may be byte `i` (< 8) of `HTTP-version` (RFC 9112 §2.3:
/// `HTTP-name "/" DIGIT "." DIGIT`, the name case-sensitive).
#[inline]
pub(super) fn version_byte(i: usize, b: u8) -> bool {
    match i {
        5 | 7 => b.is_ascii_digit(),
        _ => b == b"HTTP/1.1"[i],
    }
}

/// Whether `v` is `HTTP/DIGIT.DIGIT` (RFC 9112 §2.3), in one step.
#[inline]
pub(super) fn is_version(v: &[u8]) -> bool {
    matches!(v, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if major.is_ascii_digit() && minor.is_ascii_digit())
}

/// The version at the end of a request line. RFC 9110 §2.5: `HTTP/1.x`
/// with a higher minor is processed as 1.1; another major is 505.
#[inline]
pub(super) fn request_version(v: &[u8]) -> Result<Version, RecvErrorKind> {
    if !is_version(v) {
        return Err(RecvErrorKind::InvalidVersion);
    }
    match (v[5], v[7]) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(RecvErrorKind::UnsupportedVersion),
    }
}
