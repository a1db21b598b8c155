//! Fuzz input layouts, shared so the stable corpus replay
//! (`tests/fuzz_corpus.rs`) reads every input exactly as the fuzz targets
//! do, and the checks the `server_bytes`, `client_bytes` and `chunked`
//! targets run on them.

use keepalive::{Config, Role, Version};

use crate::feed::{check_split_invariance, AutoResponse, Script};
use crate::out::Out;

/// A small reader over fuzz input: every read succeeds (zeros when empty).
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// The next byte.
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }

    /// The next `n` bytes, or what is left.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.0.len())
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A configuration chosen by one byte: the defaults, small limits (so the
/// fuzzer reaches every limit), and each leniency.
pub fn config_from(b: u8) -> Config {
    let mut c = Config::default();
    if b & 1 != 0 {
        c.max_head_len = 256;
        c.max_headers = 8;
        c.max_target_len = 64;
        c.max_chunk_ext_len = 16;
        c.max_trailers_len = 64;
        c.max_body_len = Some(64);
    }
    c.allow_bare_lf = b & 2 != 0;
    c.allow_obs_fold_in_requests = b & 4 != 0;
    c
}

/// Layout of `server_bytes` / `client_bytes` input: a config byte, a script
/// byte, a piece count `n` (mod 16), `n` piece lengths, then the bytes
/// fed to the machine.
pub struct BytesCase<'a> {
    /// The configuration the config byte picks.
    pub config: Config,
    /// How the harness plays the other side.
    pub script: Script,
    /// Lengths of the pieces the input is fed in.
    pub pieces: Vec<usize>,
    /// The bytes fed to the machine.
    pub input: &'a [u8],
}

const STATUSES: [u16; 8] = [200, 204, 304, 101, 100, 404, 500, 200];
const METHODS: [&str; 6] = ["GET", "HEAD", "CONNECT", "POST", "OPTIONS", "GET"];

/// Reads a [`BytesCase`] for a machine in `role` from fuzz input.
pub fn bytes_case(role: Role, data: &[u8]) -> BytesCase<'_> {
    let mut r = Reader(data);
    let config = config_from(r.u8());
    let p = r.u8();
    let script = match role {
        Role::Server => {
            let status = STATUSES[usize::from(p & 7)];
            let mut headers = Vec::new();
            let mut body = Vec::new();
            if p & 8 != 0 && status != 204 && status != 101 && status / 100 != 1 {
                headers.push(("Content-Length".to_owned(), "2".to_owned()));
                body = b"ok".to_vec();
            } else if p & 16 != 0 {
                body = b"streamed".to_vec();
            }
            if p & 32 != 0 {
                headers.push(("Connection".to_owned(), "close".to_owned()));
            }
            if p & 64 != 0 {
                headers.push(("Upgrade".to_owned(), "x".to_owned()));
                headers.push(("Connection".to_owned(), "upgrade".to_owned()));
            }
            Script::Server(AutoResponse {
                status,
                headers,
                body,
            })
        }
        Role::Client => {
            let reqs = (0..3)
                .map(|i| {
                    let sel = p.rotate_left(i * 3);
                    let method = METHODS[usize::from(sel & 7) % METHODS.len()].to_owned();
                    let version = if sel & 8 != 0 {
                        Version::Http10
                    } else {
                        Version::Http11
                    };
                    let mut extra = Vec::new();
                    if sel & 16 != 0 {
                        extra.push(("Connection".to_owned(), "keep-alive, upgrade".to_owned()));
                        extra.push(("Upgrade".to_owned(), "x".to_owned()));
                    }
                    (method, version, extra)
                })
                .collect();
            Script::Client(reqs)
        }
    };
    let n = usize::from(r.u8() & 15);
    let pieces = (0..n).map(|_| usize::from(r.u8())).collect();
    BytesCase {
        config,
        script,
        pieces,
        input: r.rest(),
    }
}

/// The `server_bytes` / `client_bytes` check.
pub fn run_bytes(role: Role, data: &[u8]) {
    let case = bytes_case(role, data);
    check_split_invariance(&case.script, &case.config, case.input, &case.pieces);
}

/// The fixed head of the `chunked` target: a request whose body is
/// chunked, so everything after it goes to the chunked decoder.
pub const CHUNKED_PREFIX: &[u8] =
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

/// The `chunked` check: a config byte, a piece count and lengths, then a
/// chunked body. Besides split invariance, the decoded data is checked
/// against an independent whole-input decoder.
pub fn run_chunked(data: &[u8]) {
    let mut r = Reader(data);
    let config = config_from(r.u8());
    let n = usize::from(r.u8() & 15);
    let pieces: Vec<usize> = (0..n).map(|_| usize::from(r.u8())).collect();
    let body = r.rest();
    let mut input = CHUNKED_PREFIX.to_vec();
    input.extend_from_slice(body);
    let script = Script::Server(AutoResponse {
        status: 200,
        headers: vec![("Content-Length".to_owned(), "0".to_owned())],
        body: Vec::new(),
    });
    let mut p = vec![CHUNKED_PREFIX.len()];
    p.extend_from_slice(&pieces);
    let trace = check_split_invariance(&script, &config, &input, &p);
    // The decoded data must equal what a plain reading of the chunk sizes
    // gives, up to the first error.
    let mut got = Vec::new();
    let mut ended = false;
    for o in &trace.outs {
        match o {
            Out::Data(d) => got.extend_from_slice(d),
            Out::End(_) => {
                ended = true;
                break;
            }
            _ => {}
        }
    }
    if config.allow_bare_lf {
        // The reference reader is strict about CRLF.
        return;
    }
    let reference = simple_chunked(body);
    match reference {
        Some((data, _)) if ended => {
            assert_eq!(got, data, "chunked data differs from the reference")
        }
        _ if ended => {
            panic!(
                "decoder accepted a body the reference rejects: \"{}\"",
                body.escape_ascii()
            )
        }
        // Rejected or incomplete: whatever was delivered is a prefix of
        // the chunks' data, read the same way.
        _ => {
            let prefix = simple_chunked_prefix(body);
            assert!(
                prefix.starts_with(&got),
                "delivered data is not a prefix of the chunk data"
            );
        }
    }
}

/// A deliberately simple strict chunked reader (RFC 9112 §7.1), whole
/// input at once: `Some((data, consumed))` for a complete valid body with
/// an empty trailer section or field-like trailer lines.
fn simple_chunked(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut data = Vec::new();
    let mut i = 0;
    loop {
        let line_end = find_crlf(body, i)?;
        let line = &body[i..line_end];
        let size = hex(line)?;
        i = line_end + 2;
        if size == 0 {
            // Trailer lines up to an empty line.
            loop {
                let e = find_crlf(body, i)?;
                if e == i {
                    return Some((data, e + 2));
                }
                i = e + 2;
            }
        }
        let size = usize::try_from(size).ok()?;
        let end = i.checked_add(size)?;
        if end + 2 > body.len() || &body[end..end + 2] != b"\r\n" {
            return None;
        }
        data.extend_from_slice(&body[i..end]);
        i = end + 2;
    }
}

/// The chunk data of `body` up to where a strict or lenient reading could
/// first disagree: the data of every chunk whose size is readable, each
/// cut to what is present.
fn simple_chunked_prefix(body: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let Some(nl) = body[i..].iter().position(|&b| b == b'\n').map(|p| p + i) else {
            break;
        };
        let line = &body[i..nl];
        let Some(size) = hex(line) else {
            break;
        };
        if size == 0 {
            break;
        }
        let start = nl + 1;
        let end = start
            .saturating_add(usize::try_from(size).unwrap_or(usize::MAX))
            .min(body.len());
        data.extend_from_slice(&body[start..end]);
        // Skip CRLF (or bare LF) after the data.
        i = end;
        if body.get(i) == Some(&b'\r') {
            i += 1;
        }
        if body.get(i) == Some(&b'\n') {
            i += 1;
        } else {
            break;
        }
    }
    data
}

/// The leading hex digits of `line` as a number; `None` if there are none
/// or they overflow 64 bits.
fn hex(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit());
    let mut n: Option<u64> = None;
    for &d in digits {
        let v = u64::from((d as char).to_digit(16)?);
        n = Some(n.unwrap_or(0).checked_mul(16)?.checked_add(v)?);
    }
    n
}

fn find_crlf(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}
