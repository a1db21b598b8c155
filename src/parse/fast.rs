//! The fast path of the head parser. Most heads arrive whole and keep to
//! the common shapes: CRLF line ends, a known version, an origin-form
//! target, no obs-fold, nothing a leniency would have to bend. Such a head
//! is read here in one pass over runs of bytes (word compares for the
//! method and version, table runs for names and targets, word-at-a-time
//! searches for values) instead of one state step per byte.
//!
//! It never decides that a head is invalid. At the first byte it does not
//! expect (an error, a rarer form, the end of the buffer) it gives up, and
//! the resumable parser takes over: from the start of the field line where
//! the fast path stopped, in the state it would have reached there itself
//! (every line before was read exactly as it reads them), or from the
//! head's start if the fast path stopped in the start line. Errors,
//! leniencies and the rest of split heads are the resumable parser's alone,
//! and no byte is read more than twice. On every head (and every line) the
//! fast path accepts it must find what the resumable parser finds, byte for
//! byte (`tests.rs` runs both, whole and split).

use super::lexical::{find_stop, run_of};
use super::{standard_method, HeadScanner, Mode, ScanFacts, CONNECT, MAX_METHOD_LEN, NONE};
use crate::message::Version;
use crate::syntax::{
    is_field_vchar, trim_ows, valid_target, PATH_QUERY_CHARS, TARGET_CHARS, TCHAR,
};
use crate::Config;

/// Reads a whole head (or trailer section) at the start of `d` into
/// `facts`, which must be [`ScanFacts::default`] on entry (written in the
/// caller's slot, not returned: the facts are not copied out). `Some`:
/// where the head ends. `None`: leave it to the resumable parser `s`, which
/// it hands the field lines it read (see [`HeadScanner::resume_at`]);
/// `facts` is then partly written and means nothing.
#[inline(never)]
pub(super) fn head(
    s: &mut HeadScanner,
    d: &[u8],
    config: &Config,
    mode: Mode,
    facts: &mut ScanFacts,
) -> Option<usize> {
    debug_assert_eq!(*facts, ScanFacts::default());
    let start = match mode {
        Mode::Request => request_line(d, config, facts)?,
        Mode::Response => status_line(d, facts)?,
        Mode::Fields => 0,
    };
    facts.fields.start = start as u32;
    match fields(d, start, config, facts) {
        Ok(end) => Some(end),
        Err(at) => {
            hand_over(s, d, at, facts);
            None
        }
    }
}

/// Hands the head to the resumable parser `s` at the field line `at`
/// (see [`HeadScanner::resume_at`]). Out of line: the loop over whole
/// heads does not pay for it.
#[cold]
#[inline(never)]
fn hand_over(s: &mut HeadScanner, d: &[u8], at: usize, facts: &ScanFacts) {
    if at == 0 {
        // Nothing read: the resumable parser starts from scratch anyway.
        return;
    }
    let start = facts.fields.start as usize;
    let (slot, value) = if at > start {
        // The field line before `at` ends with CRLF at `at - 2`.
        let line = d[start..at - 2]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(start, |lf| start + lf + 1);
        noted_value(d, line, facts)
    } else {
        (None, (NONE, 0))
    };
    s.resume_at(at, *facts, slot, value);
}

/// What the resumable parser keeps of the last field line read, starting
/// at `line`, so that a fold can continue it: the [`Known`] slot that line
/// claimed and its trimmed value (`(NONE, _)` if empty). Looked up again
/// here, on the rare path, so the loop over lines need not carry it.
///
/// [`Known`]: crate::headers::Known
#[cold]
fn noted_value(d: &[u8], line: usize, facts: &ScanFacts) -> (Option<u8>, (u32, u32)) {
    let colon = line + run_of(&d[line..], &TCHAR);
    let Some(slot) = facts.fields.last_line_slot(&d[line..colon]) else {
        return (None, (NONE, 0));
    };
    let end = find_stop(d, colon + 1).unwrap_or(colon + 1);
    match value_at(d, colon, end) {
        (_, 0) => (Some(slot), (NONE, 0)),
        (at, len) => (Some(slot), (at as u32, (at + len) as u32)),
    }
}

/// Where the value of the field line whose colon is at `colon` and whose
/// end is at `end` is, without OWS: its offset and length. An empty value
/// is noted where it would start, as the resumable parser notes it.
#[inline]
fn value_at(d: &[u8], colon: usize, end: usize) -> (usize, usize) {
    let value = trim_ows(&d[colon + 1..end]);
    if value.is_empty() {
        (colon + 1, 0)
    } else {
        (value.as_ptr() as usize - d.as_ptr() as usize, value.len())
    }
}

/// The version a start line names, if it is `HTTP/1.1` or `HTTP/1.0`.
#[inline]
fn version(word: u64) -> Option<Version> {
    if word == u64::from_le_bytes(*b"HTTP/1.1") {
        Some(Version::Http11)
    } else if word == u64::from_le_bytes(*b"HTTP/1.0") {
        Some(Version::Http10)
    } else {
        None
    }
}

/// The eight bytes of `d` at `at`, if there are eight.
#[inline]
fn word8(d: &[u8], at: usize) -> Option<u64> {
    let w: [u8; 8] = d.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(w))
}

/// `method SP target SP HTTP/1.x CRLF` (RFC 9112 §3); returns where the
/// field lines start.
#[inline]
fn request_line(d: &[u8], config: &Config, facts: &mut ScanFacts) -> Option<usize> {
    let head4: [u8; 4] = d.get(..4)?.try_into().ok()?;
    // The method, its length and its index in `STANDARD_METHODS`.
    let (m, id) = if head4 == *b"GET " {
        (3, 0)
    } else {
        let m = run_of(d, &TCHAR);
        if m == 0 || m > MAX_METHOD_LEN || d.get(m) != Some(&b' ') {
            return None;
        }
        (m, standard_method(&d[..m]))
    };
    let t0 = m + 1;
    // Origin-form without escapes, the common target, is valid as soon as
    // its bytes are (and CONNECT takes none); anything else is checked as
    // the resumable parser checks it.
    let mut t1 = match d.get(t0) {
        Some(b'/') if id != CONNECT => t0 + run_of(&d[t0..], &PATH_QUERY_CHARS),
        _ => t0,
    };
    if t1 == t0 || d.get(t1) != Some(&b' ') {
        t1 = t0 + run_of(&d[t0..], &TARGET_CHARS);
        if t1 == t0 || d.get(t1) != Some(&b' ') || !valid_target(&d[..m], &d[t0..t1]) {
            return None;
        }
    }
    if t1 - t0 > config.max_target_len {
        return None;
    }
    let v = t1 + 1;
    let version = version(word8(d, v)?)?;
    if d.get(v + 8..v + 10)? != b"\r\n" {
        return None;
    }
    facts.first = (0, m as u32);
    facts.method = id;
    facts.target = (t0 as u32, t1 as u32);
    facts.version = version;
    Some(v + 10)
}

/// `HTTP/1.x SP 3DIGIT SP reason CRLF` (RFC 9112 §4); returns where the
/// field lines start.
#[inline]
fn status_line(d: &[u8], facts: &mut ScanFacts) -> Option<usize> {
    facts.version = version(word8(d, 0)?)?;
    let [b' ', a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', after] = *d.get(8..13)? else {
        return None;
    };
    facts.status = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    let end = match after {
        b' ' => {
            // Reason phrases are short ("OK"): a byte loop ends sooner than
            // a word search.
            let stop = 13 + d[13..].iter().position(|&b| !is_field_vchar(b))?;
            if stop > 13 {
                facts.first = (13, stop as u32);
            }
            stop
        }
        _ => 12,
    };
    crlf_at(d, end)
}

/// Where the line whose end is at `at` is followed, if it ends in CRLF.
#[inline]
fn crlf_at(d: &[u8], at: usize) -> Option<usize> {
    (d.get(at..at + 2)? == b"\r\n").then_some(at + 2)
}

/// The field lines from `i` and the blank line after them; returns where
/// the head ends, or where the fast path stopped: the start of the line it
/// could not read.
#[inline]
fn fields(d: &[u8], mut i: usize, config: &Config, facts: &mut ScanFacts) -> Result<usize, usize> {
    let index = &mut facts.fields;
    let max_headers = config.max_headers;
    loop {
        // Nothing below changes the index until the line is known good.
        let Some(&first) = d.get(i) else {
            return Err(i);
        };
        if first == b'\r' {
            return crlf_at(d, i).ok_or(i);
        }
        if index.len as usize >= max_headers {
            return Err(i);
        }
        // A line starting with whitespace (obs-fold) or any other
        // non-token byte leaves an empty name here.
        let colon = i + run_of(&d[i..], &TCHAR);
        if colon == i || d.get(colon) != Some(&b':') {
            return Err(i);
        }
        // OWS is allowed anywhere in the value, so it is trimmed only
        // where the value is noted: on the first line of a known field.
        let Some(end) = find_stop(d, colon + 1) else {
            return Err(i);
        };
        let Some(next) = crlf_at(d, end) else {
            return Err(i);
        };
        index.len += 1;
        if let Some(slot) = index.add_name(&d[i..colon]) {
            let (at, len) = value_at(d, colon, end);
            index.set_value(slot, at as u32, len as u32);
        }
        i = next;
    }
}
