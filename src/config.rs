//! Limits, leniencies and timers. Every limit answers a specific status;
//! every leniency is off by default; every timer is optional.

use std::time::Duration;

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
    /// Accept a bare LF as a line terminator in heads, chunk lines and
    /// trailers, in both directions
    /// ([`Lenience::BareLf`](crate::Lenience::BareLf), recorded on the
    /// head or body whose line it ended).
    ///
    /// # Background
    /// RFC 9112 §2.2 lets a recipient recognize a single LF, but accepting
    /// it while another hop does not is a request-smuggling vector: a
    /// front end that sees no line end where this one sees one reads a
    /// different head or chunk boundary. Off by default: a bare LF is a
    /// 400. Hand-typed requests (netcat, telnet), scripts that write `\n`
    /// and some old embedded servers need it; httparse accepts a bare LF in
    /// heads unconditionally, llhttp only with
    /// `lenient_optional_cr_before_lf`.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Event, Recv, RecvErrorKind, Role};
    ///
    /// let head = b"GET / HTTP/1.1\nHost: a\n\n";
    /// let mut strict = Connection::new(Role::Server, Config::default());
    /// strict.receive(head);
    /// assert_eq!(strict.poll_event().unwrap_err().kind(), RecvErrorKind::BareLf);
    ///
    /// let mut config = Config::default();
    /// config.allow_bare_lf = true;
    /// let mut lenient = Connection::new(Role::Server, config);
    /// lenient.receive(head);
    /// assert!(matches!(lenient.poll_event(), Ok(Recv::Event(Event::Request(_)))));
    /// ```
    pub allow_bare_lf: bool,
    /// Accept obsolete line folding (obs-fold) in received *requests*,
    /// replacing each fold with spaces, instead of answering 400
    /// ([`Lenience::ObsFold`](crate::Lenience::ObsFold), recorded on the
    /// request head).
    ///
    /// # Background
    /// RFC 9112 §5.2: a server that receives obs-fold MUST either reject
    /// the message with 400 or replace each fold with SP. The strict
    /// default rejects: a hop that reads a whitespace-preceded line as a
    /// field of its own (` Transfer-Encoding: chunked`) where this one
    /// joins it to the line before disagrees about framing (request
    /// smuggling). Legacy clients that wrap long values, as RFC 2616
    /// allowed, need it; httparse and hyper offer folding only in
    /// responses (`allow_obsolete_multiline_headers_in_responses`).
    /// Responses (client role) are always unfolded, and record no
    /// leniency, because the same section says a user agent MUST replace
    /// the folds.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Event, Recv, RecvErrorKind, Role};
    ///
    /// let head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n";
    /// let mut strict = Connection::new(Role::Server, Config::default());
    /// strict.receive(head);
    /// assert_eq!(strict.poll_event().unwrap_err().kind(), RecvErrorKind::ObsFold);
    ///
    /// let mut config = Config::default();
    /// config.allow_obs_fold_in_requests = true;
    /// let mut lenient = Connection::new(Role::Server, config);
    /// lenient.receive(head);
    /// let Ok(Recv::Event(Event::Request(req))) = lenient.poll_event() else { panic!() };
    /// // Each fold became spaces: the value reads as one line.
    /// let value = req.headers().get("x-long").unwrap();
    /// assert!(value.starts_with(b"one") && value.ends_with(b"two"));
    /// assert!(!value.contains(&b'\n'));
    /// ```
    pub allow_obs_fold_in_requests: bool,
    /// Client: take bytes already buffered when a request is sent as the
    /// beginning of its response, instead of refusing the connection as
    /// stale.
    ///
    /// # Background
    /// RFC 9112 §6.3: a client MUST NOT process data left over after a
    /// complete response as a separate response (a wrong `Content-Length`
    /// would otherwise smuggle a response for the next request: cache
    /// poisoning). On a live connection a server cannot answer a request
    /// not yet sent, so by default such bytes make the connection not
    /// reusable. When replaying a *recorded* server stream in a test
    /// harness, every response may be buffered before its request is
    /// sent; this switch is for that, never for live sockets. A recording
    /// whose requests may all be pipelined needs it not: with
    /// [`max_pipeline`](Self::max_pipeline) at their number, send them all
    /// first and the stream is an ordinary pipeline (the `explain` example
    /// does so). It remains for requests that may not be pipelined (behind
    /// a POST, a CONNECT, an upgrade), whose responses a recording still
    /// holds ahead of them.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Header, Request, Role, SendBuf, SendError};
    ///
    /// let host = [Header::new("Host", "a")];
    /// let get = Request::new("GET", "/", &host);
    /// let recorded = b"HTTP/1.1 204 No Content\r\n\r\n";
    ///
    /// let mut strict = Connection::new(Role::Client, Config::default());
    /// strict.receive(recorded);
    /// assert_eq!(strict.send_request(&get, &mut SendBuf::new()), Err(SendError::NotReusable));
    ///
    /// let mut config = Config::default();
    /// config.replay_buffered_responses = true;
    /// let mut replay = Connection::new(Role::Client, config);
    /// replay.receive(recorded);
    /// assert!(replay.send_request(&get, &mut SendBuf::new()).is_ok());
    /// ```
    pub replay_buffered_responses: bool,
    /// Close a connection that carries no exchange and receives nothing for
    /// this long ([`TimerKind::Idle`](crate::TimerKind::Idle)). A client
    /// uses the shorter of this and the server's `Keep-Alive: timeout`
    /// hint. Default 75 s, nginx's `keepalive_timeout` (Apache uses 5 s,
    /// Node's `keepAliveTimeout` 5 s, hyper none).
    pub idle_timeout: Option<Duration>,
    /// Fail a head that started arriving but is not complete after this long
    /// ([`TimerKind::HeadRead`](crate::TimerKind::HeadRead), 408 for a
    /// server): the slowloris defense. Default 60 s, as nginx's
    /// `client_header_timeout` and Node's `headersTimeout`.
    pub head_timeout: Option<Duration>,
    /// Fail a body that receives no byte for this long
    /// ([`TimerKind::BodyProgress`](crate::TimerKind::BodyProgress), 408 for
    /// a server). Re-armed by every byte, so unbounded streams (server-sent
    /// events) stay alive while they flow. Default 60 s, nginx's
    /// `client_body_timeout`.
    pub body_timeout: Option<Duration>,
    /// How long a client that sent `Expect: 100-continue` waits for an
    /// answer before sending the body anyway
    /// ([`TimerKind::ExpectContinue`](crate::TimerKind::ExpectContinue),
    /// RFC 9110 §10.1.1). Default 1 s, curl's `CURLOPT_EXPECT_100_TIMEOUT_MS`.
    pub expect_continue_timeout: Option<Duration>,
    /// After deciding to close, how long to keep reading and discarding
    /// before closing, so the peer reads the last response instead of a
    /// reset (RFC 9112 §9.6; [`TimerKind::Linger`](crate::TimerKind::Linger)).
    /// Default 5 s, nginx's `lingering_timeout`.
    pub linger_timeout: Option<Duration>,
    /// Close after this many exchanges: the last response (or request)
    /// carries `Connection: close`. Default 1000, nginx's
    /// `keepalive_requests` (Apache's `MaxKeepAliveRequests` is 100).
    pub max_requests: Option<u32>,
    /// A server whose response ends before the request body does keeps
    /// reading (and discards, without handing it over as
    /// [`Event::Data`](crate::Event::Data)) up to this many remaining body
    /// bytes to keep the connection; more, or a body of unknown length,
    /// closes it ([`CloseReason::UnreadBody`](crate::CloseReason::UnreadBody)),
    /// lingering. A response that ends after the request body (a streaming
    /// echo or proxy reading while it answers) keeps the connection
    /// whatever the body's size. Default 256 KiB, Go's `net/http`
    /// (`maxPostHandlerReadBytes`).
    pub drain_budget: u64,
    /// A server adds `Keep-Alive: timeout=…, max=…` (RFC 2068 §19.7.1.1
    /// style hints) to responses on a persistent connection, from
    /// `idle_timeout` and the requests left under `max_requests`. Off by
    /// default: HTTP/1.1 clients do not need it.
    pub advertise_keep_alive: bool,
    /// Most chunk-extension bytes in one chunked body, all chunk-size
    /// lines together (400 beyond,
    /// [`ChunkExtensionsTooLong`](crate::RecvErrorKind::ChunkExtensionsTooLong)).
    ///
    /// # Background
    /// [`max_chunk_ext_len`](Self::max_chunk_ext_len) bounds one line, but
    /// a body of 1-byte chunks each carrying 1 KiB of extension makes the
    /// receiver read a thousand framing bytes per data byte, without end.
    /// RFC 9112 §7.1.1: a server "ought to limit the total length of chunk
    /// extensions received in a request to an amount reasonable for the
    /// services provided". hyper caps the extensions of a body at 16 KiB;
    /// Go refuses bodies with too much non-data framing (CVE-2023-39326).
    /// Default 16 KiB, hyper's.
    pub max_chunk_ext_total: usize,
    /// Client: most interim (1xx other than 101) responses before the
    /// final response of one exchange; one more is refused with
    /// [`TooManyInterimResponses`](crate::RecvErrorKind::TooManyInterimResponses).
    /// The count starts again with each request.
    ///
    /// # Background
    /// RFC 9110 §15.2: a client "MUST be able to parse one or more 1xx
    /// responses received prior to a final response", and sets no bound;
    /// each interim head is bounded by [`max_head_len`](Self::max_head_len)
    /// but their number was not: an attack run held a client in one
    /// exchange with 93 million of them in 10 s. A server legitimately
    /// sends a few: one `100 Continue`, `102 Processing` while it works, a
    /// `103 Early Hints` or two, progress reports such as the
    /// resumable-upload draft's `104`. CPython's `http.client`
    /// (`_MAXINTERIMRESPONSES`) and Ruby's `net/http`
    /// (`MAX_INFORMATIONAL_RESPONSES`) refuse more than 100; Go's
    /// transports refused more than 5 until users sending many `103`/`104`
    /// asked for more (golang/go#65035). Default 100.
    pub max_interim_responses: u32,
    /// Client: accept whitespace between a response field name and its
    /// colon, the name taken without it
    /// ([`Lenience::SpaceBeforeColon`](crate::Lenience::SpaceBeforeColon)).
    ///
    /// # Background
    /// RFC 9112 §5.1: a server MUST reject such a request, a proxy MUST
    /// remove the whitespace from a response. A proxy that forwards the
    /// line unchanged lets `Transfer-Encoding :` be read as framing by one
    /// hop and ignored by the next (request smuggling), so requests are
    /// always refused. Old embedded servers send it; httparse and hyper
    /// offer `allow_spaces_after_header_name_in_responses` for them.
    pub allow_space_before_colon_in_responses: bool,
    /// Client: skip a response field line that is not `name: value` (a
    /// name with a forbidden byte, no colon, a control byte in the value)
    /// instead of refusing the response
    /// ([`Lenience::InvalidFieldSkipped`](crate::Lenience::InvalidFieldSkipped)).
    ///
    /// # Background
    /// A dropped line can hide framing from this hop but not from another,
    /// so requests are always refused. Some servers send garbage lines
    /// (hyper's `ignore_invalid_headers_in_responses`, httparse's option
    /// of the same name). Line ends (a bare CR or a NUL refuses the
    /// response even inside a skipped line), folds and limits stay strict.
    /// A whitespace-preceded first field line is skipped too, as RFC 9112
    /// §2.2 allows ("consume each whitespace-preceded line").
    pub skip_invalid_fields_in_responses: bool,
    /// Server: accept more than one SP between the parts of a request line
    /// ([`Lenience::MultipleSpaces`](crate::Lenience::MultipleSpaces)).
    ///
    /// # Background
    /// RFC 9112 §3: "Recipients of an invalid request-line SHOULD respond
    /// with either a 400"; §3 also notes that some parsers accept other
    /// whitespace. A front end that splits the line differently may route
    /// on another target than the origin serves. Hand-written clients and
    /// scripts send it; httparse offers
    /// `allow_multiple_spaces_in_request_line_delimiters`.
    pub allow_multiple_spaces_in_request_line: bool,
    /// Client: accept spaces or tabs after a response chunk size
    /// (`5  \r\n`)
    /// ([`Lenience::SpacesAfterChunkSize`](crate::Lenience::SpacesAfterChunkSize)).
    ///
    /// # Background
    /// RFC 9112 §7.1 allows no whitespace there (BWS only before a chunk
    /// extension). A proxy that disagrees about where a chunk ends can be
    /// desynchronized, so requests are always refused. Some servers pad
    /// chunk sizes; llhttp offers `lenient_spaces_after_chunk_size`.
    pub allow_spaces_after_chunk_size: bool,
    /// Client: accept LF without CR after response chunk data
    /// ([`Lenience::LfAfterChunkData`](crate::Lenience::LfAfterChunkData)).
    ///
    /// # Background
    /// RFC 9112 §7.1 ends chunk data with CRLF; disagreeing about a bare
    /// LF there is a known smuggling vector (llhttp's
    /// `lenient_optional_cr_before_lf`, off by default for that reason),
    /// so requests are always refused. [`allow_bare_lf`](Self::allow_bare_lf)
    /// relaxes every line end in both directions; this relaxes only this
    /// one, only in responses.
    pub allow_lf_after_chunk_data: bool,
    /// Client: how many requests may be outstanding (sent, their response
    /// not yet complete) at once. 1, the default, sends one request per
    /// exchange, as before pipelining existed (0 counts as 1); with more,
    /// [`send_request`](crate::Connection::send_request) may go on before
    /// earlier responses arrive, each response framed by its own request.
    ///
    /// # Background
    /// RFC 9112 §9.3.2: "A client that supports persistent connections MAY
    /// pipeline its requests". A server answers them in order; one that
    /// closes mid-pipeline leaves the later requests unanswered, and
    /// [`pipeline_report`](crate::Connection::pipeline_report) says which
    /// may be sent again. Some intermediaries mishandle pipelines, which
    /// is why browsers never enabled it by default: turn it on for servers
    /// known to handle it. The machine never pipelines behind a
    /// non-idempotent request (unless
    /// [`allow_pipelining_after_non_idempotent`](Self::allow_pipelining_after_non_idempotent)),
    /// nor behind an upgrade, a CONNECT or a request that expects
    /// `100 Continue`, nor after a request that closes the connection:
    /// such a `send_request` fails with
    /// [`SendError::Pipeline`](crate::SendError::Pipeline). The queue of
    /// outstanding requests is allocated at the first pipelined request
    /// (room for at most 64; it grows only if more are queued), never per
    /// message, so a large value is a limit, not a reservation.
    ///
    /// ```
    /// use keepalive::{Config, Connection, Header, Request, Role, SendBuf, SendError};
    ///
    /// let host = [Header::new("Host", "a")];
    /// let get = Request::new("GET", "/", &host);
    /// let mut out = SendBuf::new();
    ///
    /// let mut one = Connection::new(Role::Client, Config::default());
    /// one.send_request(&get, &mut out).unwrap();
    /// one.send_end(&[], &mut out).unwrap();
    /// assert_eq!(one.send_request(&get, &mut out), Err(SendError::ExchangeInProgress));
    ///
    /// let mut config = Config::default();
    /// config.max_pipeline = 2;
    /// let mut two = Connection::new(Role::Client, config);
    /// for _ in 0..2 {
    ///     two.send_request(&get, &mut out).unwrap();
    ///     two.send_end(&[], &mut out).unwrap();
    /// }
    /// assert!(matches!(two.send_request(&get, &mut out), Err(SendError::Pipeline(_))));
    /// ```
    pub max_pipeline: u32,
    /// Client: pipeline behind a request whose method is not idempotent
    /// (POST, PATCH, ... — RFC 9110 §9.2.2), when
    /// [`max_pipeline`](Self::max_pipeline) allows pipelining at all.
    ///
    /// # Background
    /// RFC 9112 §9.3.2: "A user agent SHOULD NOT pipeline requests after a
    /// non-idempotent method, until the final response status code for
    /// that method has been received". If the connection fails after such
    /// a request, the client cannot know whether the server acted on it,
    /// and every request behind it is lost with it: none of them may be
    /// retried automatically before the application decides about the
    /// non-idempotent one. Off by default: the request behind it waits
    /// ([`PipelineRefusal::BehindNonIdempotent`](crate::PipelineRefusal::BehindNonIdempotent)).
    /// Turn it on only for a server and application that tolerate a
    /// repeated or lost non-idempotent request.
    pub allow_pipelining_after_non_idempotent: bool,
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
            replay_buffered_responses: false,
            idle_timeout: Some(Duration::from_secs(75)),
            head_timeout: Some(Duration::from_secs(60)),
            body_timeout: Some(Duration::from_secs(60)),
            expect_continue_timeout: Some(Duration::from_secs(1)),
            linger_timeout: Some(Duration::from_secs(5)),
            max_requests: Some(1000),
            drain_budget: 256 * 1024,
            advertise_keep_alive: false,
            max_chunk_ext_total: 16 * 1024,
            max_interim_responses: 100,
            allow_space_before_colon_in_responses: false,
            skip_invalid_fields_in_responses: false,
            allow_multiple_spaces_in_request_line: false,
            allow_spaces_after_chunk_size: false,
            allow_lf_after_chunk_data: false,
            max_pipeline: 1,
            allow_pipelining_after_non_idempotent: false,
        }
    }
}
