//! Turning what the one-pass parser found into the received heads: the
//! `Host` rule (RFC 9112 §3.2) that needs every field, and obs-fold
//! replaced by spaces (RFC 9112 §5.2).

use bytes::{Bytes, BytesMut};

use super::ScanFacts;
use crate::error::RecvErrorKind;
use crate::head::{RequestHead, ResponseHead};
use crate::headers::{line_is_field, FieldIndex, Headers, Known};
use crate::message::Version;
use crate::syntax::{is_ows, valid_authority};
use crate::Config;

/// Builds a complete request head from what [`HeadScanner::scan`] found.
pub(crate) fn parse_request(
    raw: Bytes,
    facts: ScanFacts,
    _config: &Config,
) -> Result<RequestHead, RecvErrorKind> {
    let raw = if facts.obs_fold {
        unfold(&raw, &facts.fields)
    } else {
        raw
    };
    let (m0, m1) = facts.first;
    let method = &raw[m0 as usize..m1 as usize];
    let name = standard_method(method);
    let headers = Headers::from_index(raw, facts.fields);
    check_host(&headers, facts.version)?;
    let mut head = RequestHead::new(headers, facts.first, name, facts.target, facts.version);
    head.lenient = facts.lenient;
    Ok(head)
}

/// The index of `method` in [`crate::head::STANDARD_METHODS`], or `u8::MAX`. A
/// `match` compiles to a length switch and one compare, where a search of
/// the table compares against each name in turn.
fn standard_method(method: &[u8]) -> u8 {
    match method {
        b"GET" => 0,
        b"HEAD" => 1,
        b"POST" => 2,
        b"PUT" => 3,
        b"DELETE" => 4,
        b"CONNECT" => 5,
        b"OPTIONS" => 6,
        b"TRACE" => 7,
        b"PATCH" => 8,
        _ => u8::MAX,
    }
}

/// Builds a complete response head from what [`HeadScanner::scan`] found.
pub(crate) fn parse_response(
    raw: Bytes,
    facts: ScanFacts,
    _config: &Config,
) -> Result<ResponseHead, RecvErrorKind> {
    // RFC 9112 §5.2: a user agent MUST replace obs-fold with SP.
    let raw = if facts.obs_fold {
        unfold(&raw, &facts.fields)
    } else {
        raw
    };
    let mut head = ResponseHead::new(
        Headers::from_index(raw, facts.fields),
        facts.status,
        facts.first,
        facts.version,
    );
    head.lenient = facts.lenient;
    Ok(head)
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

fn check_host(headers: &Headers, version: Version) -> Result<(), RecvErrorKind> {
    let mut hosts = headers.known(Known::Host);
    match (hosts.next(), hosts.next()) {
        (None, _) if version >= Version::Http11 => Err(RecvErrorKind::MissingHost),
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err(RecvErrorKind::DuplicateHost),
        (Some(h), None) if valid_authority(h, false) => Ok(()),
        (Some(_), None) => Err(RecvErrorKind::InvalidHost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::STANDARD_METHODS;

    #[test]
    fn standard_method_is_the_table_index() {
        for (i, m) in STANDARD_METHODS.iter().enumerate() {
            assert_eq!(usize::from(standard_method(m.as_bytes())), i, "{m}");
        }
        for other in [&b"get"[..], b"GETS", b"", b"PROPFIND", b"PATC"] {
            assert_eq!(standard_method(other), u8::MAX);
        }
    }
}
