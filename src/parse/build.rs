//! Turning what the one-pass parser found into the received heads: the
//! `Host` rule (RFC 9112 §3.2) that needs every field, and obs-fold
//! replaced by spaces (RFC 9112 §5.2).

use bytes::{Bytes, BytesMut};

use super::ScanFacts;
use crate::error::RecvErrorKind;
use crate::head::{RequestHead, ResponseHead};
use crate::headers::{line_is_field, FieldIndex, Headers, Known, Once};
use crate::message::Version;
use crate::syntax::{is_ows, valid_authority};
#[cfg(test)]
use crate::Config;

/// Builds a complete request head from what [`HeadScanner::scan`] found:
/// [`unfolded`], [`check_request`] and [`request_head`] in turn, which the
/// head path calls one by one so that no `Result` carries the head.
#[cfg(test)]
pub(crate) fn parse_request(
    raw: Bytes,
    facts: &ScanFacts,
    _config: &Config,
) -> Result<RequestHead, RecvErrorKind> {
    let raw = unfolded(raw, facts);
    check_request(&raw, facts)?;
    Ok(request_head(raw, facts))
}

/// Builds a complete response head from what [`HeadScanner::scan`] found.
#[cfg(test)]
pub(crate) fn parse_response(
    raw: Bytes,
    facts: &ScanFacts,
    _config: &Config,
) -> Result<ResponseHead, RecvErrorKind> {
    Ok(response_head(unfolded(raw, facts), facts))
}

/// The head's bytes with every obs-fold replaced by spaces (RFC 9112
/// §5.2: a user agent MUST replace obs-fold with SP; a server may, and
/// this one does, so that every field is one line).
#[inline(always)]
pub(crate) fn unfolded(raw: Bytes, facts: &ScanFacts) -> Bytes {
    if facts.obs_fold {
        unfold(&raw, &facts.fields)
    } else {
        raw
    }
}

/// The checks a request head needs that the scan could not make: the
/// `Host` rule, on the (unfolded) head `raw`, before the head is built, so
/// that the field index is copied once, into the head.
#[inline(always)]
pub(crate) fn check_request(raw: &Bytes, facts: &ScanFacts) -> Result<(), RecvErrorKind> {
    check_host(raw, &facts.fields, facts.version)
}

/// The request head of the (unfolded, checked) head `raw`. Infallible and
/// inlined: the head is built where the event is returned.
#[inline(always)]
pub(crate) fn request_head(raw: Bytes, facts: &ScanFacts) -> RequestHead {
    let mut head = RequestHead::new(
        Headers::from_index(raw, facts.fields),
        facts.first,
        facts.method,
        facts.target,
        facts.version,
    );
    head.lenient = facts.lenient;
    head
}

/// The response head of the (unfolded) head `raw`.
#[inline(always)]
pub(crate) fn response_head(raw: Bytes, facts: &ScanFacts) -> ResponseHead {
    let mut head = ResponseHead::new(
        Headers::from_index(raw, facts.fields),
        facts.status,
        facts.first,
        facts.version,
    );
    head.lenient = facts.lenient;
    head
}

/// Replaces every obs-fold (CRLF or LF followed by SP/HTAB) with spaces of
/// the same length, so every field is one line and offsets stay valid.
/// The folds of a line the parser skipped stay: joined, the line and its
/// continuation could read as a field the parser never indexed (a
/// `Transfer-Encoding ` line and ` : chunked`), and iteration, which
/// counts the indexed fields, would lose the last one.
fn unfold(raw: &[u8], fields: &FieldIndex) -> Bytes {
    let start = fields.start as usize;
    let check = fields.skipped.then_some(fields.ws_before_colon);
    let kept = |from: usize| match check {
        None => true,
        Some(ws_ok) => {
            let line = &raw[from..];
            let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
            line_is_field(&line[..end], ws_ok)
        }
    };
    let mut copy = BytesMut::from(raw);
    let end = copy.len();
    // Whether the field line being read (with its folds) was kept.
    let mut keep = kept(start);
    for i in start..end {
        if copy[i] != b'\n' || i + 1 == end {
            continue;
        }
        if !is_ows(copy[i + 1]) {
            keep = kept(i + 1);
        } else if keep {
            copy[i] = b' ';
            if copy[i - 1] == b'\r' {
                copy[i - 1] = b' ';
            }
        }
    }
    copy.freeze()
}

/// RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status
/// code to any HTTP/1.1 request message that lacks a Host header field and
/// to any request message that contains more than one Host header field
/// line or a Host header field with an invalid field value."
fn check_host(raw: &Bytes, index: &FieldIndex, version: Version) -> Result<(), RecvErrorKind> {
    let Some(host) = index.known_once_in(raw, Known::Host) else {
        return check_host_by_scan(raw, index, version);
    };
    host_rule(host, version)
}

/// [`check_host`] for a `Host` value past what the index holds.
#[cold]
#[inline(never)]
fn check_host_by_scan(
    raw: &Bytes,
    index: &FieldIndex,
    version: Version,
) -> Result<(), RecvErrorKind> {
    let headers = Headers::from_index(raw.clone(), *index);
    host_rule(headers.known_once(Known::Host), version)
}

/// The RFC 9112 §3.2 rule for the `Host` field found.
#[inline]
fn host_rule(host: Once<'_>, version: Version) -> Result<(), RecvErrorKind> {
    match host {
        Once::Absent if version >= Version::Http11 => Err(RecvErrorKind::MissingHost),
        Once::Absent => Ok(()),
        Once::Repeated => Err(RecvErrorKind::DuplicateHost),
        Once::One(h) if valid_authority(h, false) => Ok(()),
        Once::One(_) => Err(RecvErrorKind::InvalidHost),
    }
}
