//! Limits and leniencies. Every limit answers a specific status; every
//! leniency is off by default.

/// Connection configuration: resource limits and opt-in leniencies.
///
/// Construct with [`Config::default()`] and change fields; the struct is
/// `#[non_exhaustive]` so new limits can be added without breaking callers.
///
/// Every limit is checked on positions in the byte stream, never on how the
/// bytes were split across [`Connection::receive`](crate::Connection::receive)
/// calls: the same input is accepted or refused identically however it
/// arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Largest message head (start line, fields and the blank line), in
    /// bytes. Larger heads are refused with 431.
    ///
    /// Precedent: hyper allows ~400 KiB of buffered head, nginx 4 × 8 KiB
    /// (`large_client_header_buffers`), Apache 100 fields × 8190 bytes.
    /// 64 KiB leaves room for large cookies while bounding memory per
    /// connection.
    pub max_head_len: usize,
    /// Most header fields in one head (431 beyond). Apache's
    /// `LimitRequestFields` default is 100; hyper's is 100.
    pub max_headers: usize,
    /// Longest request-target, in bytes (414 beyond). RFC 9112 §3 asks
    /// recipients to support at least 8000 octets; nginx's default line
    /// buffer is 8 KiB.
    pub max_target_len: usize,
    /// Longest chunk extension on one chunk-size line, in bytes (400
    /// beyond). Extensions carry no meaning for this crate; hyper bounds
    /// them to defeat CVE-2023-39325-style slow drips (16 KiB per body).
    pub max_chunk_ext_len: usize,
    /// Largest trailer section, in bytes (431 beyond). Trailers are
    /// bounded like a head but rarely needed: 16 KiB.
    pub max_trailers_len: usize,
    /// Largest message body this side will receive, in bytes (413 beyond),
    /// or `None` for no limit. Applies to fixed-length and chunked bodies
    /// alike; nginx's `client_max_body_size` defaults to 1 MiB, but a
    /// framing layer cannot know the application's needs, so the default
    /// is unlimited.
    pub max_body_len: Option<u64>,
    /// Accept a bare LF as a line terminator in heads and chunk lines.
    ///
    /// # Background
    /// RFC 9112 §2.2 lets a recipient recognize a single LF, but accepting
    /// it while another hop does not is a request-smuggling vector. Off by
    /// default: a bare LF is a 400.
    pub allow_bare_lf: bool,
    /// Accept obsolete line folding (obs-fold) in received *requests*,
    /// replacing each fold with spaces, instead of answering 400.
    ///
    /// # Background
    /// RFC 9112 §5.2: a server that receives obs-fold MUST either reject
    /// the message with 400 or replace each fold with SP. The strict
    /// default rejects. Responses (client role) are always unfolded,
    /// because the same section says a user agent MUST replace the folds.
    pub allow_obs_fold_in_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_head_len: 64 * 1024,
            max_headers: 100,
            max_target_len: 8 * 1024,
            max_chunk_ext_len: 1024,
            max_trailers_len: 16 * 1024,
            max_body_len: None,
            allow_bare_lf: false,
            allow_obs_fold_in_requests: false,
        }
    }
}
