//! The five benchmark corpora: one message each, byte-exact, repeated to
//! make a pipelined stream.

use keepalive::Role;

/// Size of one simulated socket read.
pub const PIECE: usize = 16 * 1024;

/// Messages in one pipelined stream (one benchmark iteration).
pub const STREAM_MESSAGES: usize = 1000;

/// One corpus file: a single message, byte-exact.
#[derive(Debug, Clone, Copy)]
pub struct Corpus {
    /// File name under `benches/corpora`.
    pub name: &'static str,
    /// The message.
    pub bytes: &'static [u8],
    /// The role that receives this message.
    pub role: Role,
}

/// `GET / HTTP/1.1` with `Host: x` only.
pub const REQ_TINY: Corpus = Corpus {
    name: "req_tiny",
    bytes: include_bytes!("../../benches/corpora/req_tiny"),
    role: Role::Server,
};
/// A browser's page request: 12 fields, about 600 bytes.
pub const REQ_BROWSER: Corpus = Corpus {
    name: "req_browser",
    bytes: include_bytes!("../../benches/corpora/req_browser"),
    role: Role::Server,
};
/// A `POST` with a 1 KiB `Content-Length` body.
pub const REQ_POST1K: Corpus = Corpus {
    name: "req_post1k",
    bytes: include_bytes!("../../benches/corpora/req_post1k"),
    role: Role::Server,
};
/// A `200` response with a 13-byte `Content-Length` body.
pub const RESP_CL13: Corpus = Corpus {
    name: "resp_cl13",
    bytes: include_bytes!("../../benches/corpora/resp_cl13"),
    role: Role::Client,
};
/// A `200` response with a 13-byte body in three chunks.
pub const RESP_CHUNKED: Corpus = Corpus {
    name: "resp_chunked",
    bytes: include_bytes!("../../benches/corpora/resp_chunked"),
    role: Role::Client,
};

/// Every corpus, in the order the reports print them.
pub const CORPORA: [Corpus; 5] = [REQ_TINY, REQ_BROWSER, REQ_POST1K, RESP_CL13, RESP_CHUNKED];

impl Corpus {
    /// The corpus called `name`.
    pub fn named(name: &str) -> Option<&'static Self> {
        CORPORA.iter().find(|c| c.name == name)
    }

    /// Length of the head (through the blank line).
    pub fn head_len(&self) -> usize {
        self.bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("corpus has a head")
            + 4
    }

    /// Body bytes one message carries once de-framed (chunk framing
    /// removed), for the drivers' self-checks.
    pub fn body_len(&self) -> usize {
        match self.name {
            "resp_chunked" => 13,
            _ => self.bytes.len() - self.head_len(),
        }
    }

    /// `n` copies back to back, as a pipelining peer would send them.
    pub fn stream(&self, n: usize) -> Vec<u8> {
        self.bytes.repeat(n)
    }
}
