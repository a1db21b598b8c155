//! The reference model: RFC 9112 §6.3 (message body length) and §9.3
//! (persistence) written again, independently of `src/`, straight from the
//! RFC's sentences, so `tests/properties.rs` can check that the crate
//! agrees with it on every generated head.

use keepalive::{BodyLength, Version};

/// The model's answer for a body: RFC 9112 §6.3's outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// Rule 1 (and rule 6 for requests): the message ends after the head.
    None,
    /// Rule 2: a 2xx to CONNECT or a 101: the connection switches.
    Tunnel,
    /// Rule 4: chunked is the final coding.
    Chunked,
    /// Rule 5: a valid Content-Length.
    Fixed(u64),
    /// Rule 4 (responses) and rule 7: read until the connection closes.
    UntilClose,
    /// Rules 3–5: the framing cannot be trusted; reject the message.
    Reject,
}

/// The comma-separated elements of every line named `name`, trimmed,
/// empties dropped (RFC 9110 §5.6.1).
pub fn list<'a>(f: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    f.iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .map(|e| e.trim_matches([' ', '\t']))
        .filter(|e| !e.is_empty())
        .collect()
}

/// Whether a field named `name` is present (case-insensitive).
pub fn has(f: &[(String, String)], name: &str) -> bool {
    f.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// RFC 9112 §6.3, from its text:
///
/// 1. "Any response to a HEAD request and any response with a 1xx
///    (Informational), 204 (No Content), or 304 (Not Modified) status
///    code is always terminated by the first empty line after the header
///    fields ... and thus cannot contain a message body."
/// 2. "Any 2xx (Successful) response to a CONNECT request implies that the
///    connection will become a tunnel immediately after the empty line";
///    RFC 9110 §15.2.2 does the same for 101 after an Upgrade offer.
/// 3. Transfer-Encoding with Content-Length: "the Transfer-Encoding
///    overrides the Content-Length".
/// 4. "If a Transfer-Encoding header field is present and the chunked
///    transfer coding is the final encoding, the message body length is
///    determined by reading and decoding the chunked data". Otherwise, in
///    a response, read until close; in a request, "the server MUST
///    respond with the 400 (Bad Request) status code and then close".
///    RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding "MUST
///    [be treated] as if the framing is faulty".
/// 5. "If a message is received without Transfer-Encoding and with an
///    invalid Content-Length header field, then the message framing is
///    invalid" (request: 400; response: close and discard). A list of
///    identical values may be accepted as one (RFC 9110 §8.6).
/// 6. "If this is a request message and none of the above are true, then
///    the message body length is zero".
/// 7. "Otherwise, this is a response message without a declared message
///    body length, so the message body length is determined by the number
///    of octets received prior to the server closing the connection."
pub fn model_length(
    request_method: Option<&str>,
    status: Option<u16>,
    version: Version,
    f: &[(String, String)],
) -> Len {
    if let Some(status) = status {
        if status == 101 {
            return Len::Tunnel;
        }
        // Rule 2 before rule 1's status codes: a 204 to CONNECT has no
        // body and also opens the tunnel (RFC 9110 §9.3.6: "Any 2xx
        // (Successful) response indicates that the sender ... will switch
        // to tunnel mode immediately after the response header section").
        // The first version of this model returned "no body, keep going"
        // for it; the crate was right.
        if request_method == Some("CONNECT") && (200..300).contains(&status) {
            return Len::Tunnel;
        }
        if request_method == Some("HEAD")
            || (100..200).contains(&status)
            || status == 204
            || status == 304
        {
            return Len::None;
        }
    }
    let is_request = status.is_none();
    if has(f, "transfer-encoding") {
        if version == Version::Http10 {
            return Len::Reject;
        }
        let codings = list(f, "transfer-encoding");
        // `transfer-coding = token *( OWS ";" OWS transfer-parameter )`
        // (RFC 9110 §10.1.4): a coding that is not a token is a syntax
        // error, and the framing cannot be determined from it.
        let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        let not_token = codings.iter().any(|c| {
            let name = c.split(';').next().unwrap_or("").trim_matches([' ', '\t']);
            name.is_empty() || !name.bytes().all(tchar)
        });
        if not_token {
            return Len::Reject;
        }
        let final_chunked = codings
            .last()
            .is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
        return match (final_chunked, is_request) {
            (true, _) => Len::Chunked,
            (false, true) => Len::Reject,
            (false, false) => Len::UntilClose,
        };
    }
    if has(f, "content-length") {
        // `Content-Length = 1*DIGIT` (RFC 9110 §8.6): a field line with no
        // value at all is invalid, not an empty list element to skip. (The
        // first version of this model skipped it; the crate was right.)
        let empty_line = f.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("content-length")
                && list(&[(n.clone(), v.clone())], n).is_empty()
        });
        if empty_line {
            return Len::Reject;
        }
        let values = list(f, "content-length");
        let parsed: Vec<Option<u64>> = values
            .iter()
            .map(|v| {
                if v.bytes().all(|b| b.is_ascii_digit()) {
                    v.parse().ok()
                } else {
                    None
                }
            })
            .collect();
        return match parsed.first() {
            Some(Some(n)) if parsed.iter().all(|p| *p == Some(*n)) => Len::Fixed(*n),
            _ => Len::Reject,
        };
    }
    if is_request {
        Len::None
    } else {
        Len::UntilClose
    }
}

/// Where the crate is deliberately stricter than the framing rules above,
/// with the reason. These cases are excluded from the length comparison
/// (and checked to be refused instead); every other disagreement fails.
pub fn deliberate_refusal(is_request: bool, f: &[(String, String)]) -> bool {
    let codings = list(f, "transfer-encoding");
    let chunked_at = |c: &str| {
        let name = c.split(';').next().unwrap_or("").trim_matches([' ', '\t']);
        name.eq_ignore_ascii_case("chunked")
    };
    // A coding other than chunked before the final chunked: the framing is
    // chunked, but the crate hands out raw bytes and cannot undo that
    // coding, so it refuses (RFC 9112 §6.1: a server "SHOULD respond with
    // 501 (Not Implemented)" to a coding it does not understand).
    let unknown_before_chunked = codings.len() > 1
        && codings
            .last()
            .is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
    // chunked applied twice, or with parameters (RFC 9112 §6.1: "A sender
    // MUST NOT apply the chunked transfer coding more than once"; §7.1
    // defines no parameters): refused as smuggling vectors rather than
    // read until close. (chunked not final in a *response* is read until
    // close, as rule 4 says; in a request it is a 400 either way.)
    let chunked_count = codings.iter().filter(|c| chunked_at(c)).count();
    let chunked_with_params = codings
        .iter()
        .any(|c| chunked_at(c) && !c.eq_ignore_ascii_case("chunked"));
    let chunked_not_final = is_request
        && chunked_count > 0
        && !codings
            .last()
            .is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
    // A Transfer-Encoding field with no coding at all (`#transfer-coding`
    // allows an empty list, but it can only be a mistake or an attack).
    let empty_te = codings.is_empty()
        && f.iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"));
    unknown_before_chunked
        || chunked_count > 1
        || chunked_with_params
        || chunked_not_final
        || empty_te
}

/// RFC 9112 §9.3, from its text, for one exchange: "If the 'close'
/// connection option is present ... the connection will not persist
/// after the current response"; "Otherwise, if the received protocol is
/// HTTP/1.1 (or later), the connection will persist"; "Otherwise, if the
/// received protocol is HTTP/1.0, the 'keep-alive' connection option is
/// present, ... the connection will persist"; "Otherwise, the connection
/// will close after the current response." Plus the framing rules that
/// force a close: a close-delimited body (§6.3 rule 7), a request with
/// both Transfer-Encoding and Content-Length (§6.1: "the server MUST close
/// the connection after responding"), and a protocol switch.
pub fn model_persists(
    request: (Version, &[(String, String)]),
    response: (Version, &[(String, String)]),
    response_len: Len,
) -> bool {
    let says = |(v, f): (Version, &[(String, String)])| {
        let opts = list(f, "connection");
        if opts.iter().any(|o| o.eq_ignore_ascii_case("close")) {
            return false;
        }
        v == Version::Http11 || opts.iter().any(|o| o.eq_ignore_ascii_case("keep-alive"))
    };
    let conflicting = has(request.1, "transfer-encoding") && has(request.1, "content-length");
    says(request)
        && says(response)
        && !conflicting
        && !matches!(response_len, Len::UntilClose | Len::Tunnel)
}

/// The crate's framing decision in the model's terms.
pub fn crate_len(b: BodyLength) -> Len {
    match b {
        BodyLength::Empty => Len::None,
        BodyLength::Fixed(n) => Len::Fixed(n),
        BodyLength::Chunked => Len::Chunked,
        BodyLength::UntilClose => Len::UntilClose,
    }
}
