//! keepalive's hand-written head parser against httparse as an oracle
//! (`testkit::differential` states the asymmetric property and the list of
//! stricter rules): near-valid request and response heads, with small
//! mutations where smuggling bugs live (CR and LF placement, tabs, spaces
//! around colons, control and high-bit bytes, empty names, `:` in names,
//! long runs, duplicated framing fields, odd versions), fed whole, one
//! byte at a time and in random pieces, under the default configuration
//! and with every leniency httparse also has.

use std::collections::BTreeMap;

use keepalive::Config;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use testkit::differential::{check, config_from, Agreement, Side};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn methods() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("GET".to_owned()),
        2 => Just("POST".to_owned()),
        1 => Just("OPTIONS".to_owned()),
        1 => Just("CONNECT".to_owned()),
        1 => Just("HEAD".to_owned()),
        1 => "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}",
        1 => "[A-Z]{30,34}",
    ]
}

fn targets() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("/".to_owned()),
        3 => "/[a-z0-9/._~-]{0,12}(\\?[a-z=&]{0,8})?",
        1 => Just("*".to_owned()),
        1 => Just("example.com:443".to_owned()),
        1 => Just("http://example.com/x?y".to_owned()),
        1 => "/[a-z]{0,3}%[0-9A-Fa-fg]{2}",
        1 => "/[\"<>\\\\^`{|}#\\[\\]]",
    ]
}

fn versions() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just("HTTP/1.1".to_owned()),
        2 => Just("HTTP/1.0".to_owned()),
        1 => "HTTP/[0-9]\\.[0-9]",
        1 => prop_oneof![
            Just("http/1.1".to_owned()),
            Just("HTTP/1.".to_owned()),
            Just("HTTP/1.1x".to_owned()),
            Just("HTTP/11".to_owned()),
            Just("HTTP/1.10".to_owned()),
        ],
    ]
}

fn field() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        3 => Just("Host".to_owned()),
        2 => Just("Content-Length".to_owned()),
        2 => Just("Transfer-Encoding".to_owned()),
        1 => Just("Connection".to_owned()),
        1 => Just("Upgrade".to_owned()),
        3 => "[A-Za-z][A-Za-z0-9-]{0,10}",
        1 => "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,4}",
    ];
    let value = prop_oneof![
        2 => Just("example".to_owned()),
        2 => "[0-9]{1,3}",
        1 => Just("chunked".to_owned()),
        1 => Just("gzip, chunked".to_owned()),
        1 => Just("close".to_owned()),
        3 => "[ -~]{0,16}",
        1 => "[ \t]{0,3}[a-z]{0,4}[ \t]{0,3}",
    ];
    (name, value)
}

fn status_lines() -> impl Strategy<Value = String> {
    let code = prop_oneof![
        6 => Just("200".to_owned()),
        1 => Just("204".to_owned()),
        1 => Just("304".to_owned()),
        1 => Just("101".to_owned()),
        1 => Just("100".to_owned()),
        1 => "[0-9]{3}",
        1 => "[0-9]{1,4}",
    ];
    let reason = prop_oneof![
        4 => Just(" OK".to_owned()),
        1 => Just(String::new()),
        1 => Just(" ".to_owned()),
        2 => " [ -~\t]{0,12}",
    ];
    (versions(), code, reason).prop_map(|(v, c, r)| format!("{v} {c}{r}"))
}

/// One small edit of a head: the mutations that separate parsers.
#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, Vec<u8>),
    Replace(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'\r'),
        Just(b'\n'),
        Just(b'\t'),
        Just(b' '),
        Just(b':'),
        Just(0u8),
        Just(0x7f),
        Just(0x80),
        Just(0xff),
        Just(0x0b),
        Just(b'a'),
        Just(b','),
        Just(b'+'),
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<prop::sample::Index>();
    prop_oneof![
        4 => (at.clone(), interesting_byte()).prop_map(|(i, b)| Mutation::Insert(i.index(usize::MAX), vec![b])),
        2 => (at.clone(), prop_oneof![
            Just(b"\r\n".to_vec()),
            Just(b"\r\n ".to_vec()),
            Just(b"\n\t".to_vec()),
            Just(b" :".to_vec()),
            Just(b"\r\n: x".to_vec()),
            Just(b"\r\nContent-Length: 5".to_vec()),
            Just(b"\r\nTransfer-Encoding: chunked".to_vec()),
            Just(b"\r\nHost: example".to_vec()),
            (1usize..300, interesting_byte()).prop_map(|(n, b)| vec![b; n]),
        ]).prop_map(|(i, s)| Mutation::Insert(i.index(usize::MAX), s)),
        3 => (at.clone(), interesting_byte()).prop_map(|(i, b)| Mutation::Replace(i.index(usize::MAX), b)),
        2 => at.clone().prop_map(|i| Mutation::Delete(i.index(usize::MAX))),
        1 => at.prop_map(|i| Mutation::Truncate(i.index(usize::MAX))),
    ]
}

fn apply(mut head: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = head.len();
        match m {
            Mutation::Insert(i, s) => {
                let at = i % (n + 1);
                head.splice(at..at, s.iter().copied());
            }
            Mutation::Replace(i, b) if n > 0 => head[i % n] = *b,
            Mutation::Delete(i) if n > 0 => {
                head.remove(i % n);
            }
            Mutation::Truncate(i) => head.truncate(i % (n + 1)),
            _ => {}
        }
    }
    head
}

fn serialize(start: &str, fields: &[(String, String)], sep: &[&str]) -> Vec<u8> {
    let mut out = start.as_bytes().to_vec();
    out.extend_from_slice(b"\r\n");
    for (i, (n, v)) in fields.iter().enumerate() {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(sep[i % sep.len()].as_bytes());
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn separators() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop_oneof![6 => Just(": "), 2 => Just(":"), 1 => Just(":\t"), 1 => Just(" : "), 1 => Just(":  ")],
        1..3,
    )
}

fn mutated(valid: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (valid, prop::collection::vec(mutation(), 0..4)).prop_map(|(h, m)| apply(h, &m))
}

fn requests() -> impl Strategy<Value = Vec<u8>> {
    let start = (methods(), targets(), versions()).prop_map(|(m, t, v)| format!("{m} {t} {v}"));
    let fields = prop::collection::vec(field(), 0..6);
    let head = (start, fields, separators()).prop_map(|(s, mut f, sep)| {
        if !f.iter().any(|(n, _)| n == "Host") {
            f.insert(0, ("Host".to_owned(), "example".to_owned()));
        }
        serialize(&s, &f, &sep)
    });
    mutated(head)
}

fn responses() -> impl Strategy<Value = Vec<u8>> {
    let fields = prop::collection::vec(field(), 0..6);
    let head =
        (status_lines(), fields, separators()).prop_map(|(s, f, sep)| serialize(&s, &f, &sep));
    mutated(head)
}

fn trailers() -> impl Strategy<Value = Vec<u8>> {
    let fields = prop::collection::vec(field(), 0..4);
    let block = (fields, separators()).prop_map(|(f, sep)| {
        // `serialize` writes a start line first: drop it.
        serialize("", &f, &sep)[2..].to_vec()
    });
    mutated(block)
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..200, 0..6).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

/// The configurations each input runs under (the fuzz target's config
/// byte): strict; every leniency that has an httparse counterpart; small
/// limits with bare LF allowed.
fn configs() -> [Config; 3] {
    [0, 2, 4 | 8].map(config_from)
}

fn run(side: Side, head: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    for (i, config) in configs().iter().enumerate() {
        if let Err(e) = check(side, config, head, cuts) {
            return Err(TestCaseError::fail(format!(
                "config #{i}: {e}\n  input: {:?}",
                String::from_utf8_lossy(head)
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn request_heads_agree(head in requests(), cuts in cuts()) {
        run(Side::Request, &head, &cuts)?;
    }

    #[test]
    fn trailer_sections_agree(block in trailers(), cuts in cuts()) {
        run(Side::Trailers, &block, &cuts)?;
    }

    #[test]
    fn response_heads_agree(head in responses(), cuts in cuts()) {
        run(Side::Response, &head, &cuts)?;
    }
}

/// The generators reach every kind of agreement (else the property could
/// hold by never testing what it claims), counted on a fixed sample.
#[test]
fn generators_cover_every_agreement() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config as RunConfig, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        RunConfig::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    for (side, strategy) in [
        (Side::Request, requests().boxed()),
        (Side::Response, responses().boxed()),
        (Side::Trailers, trailers().boxed()),
    ] {
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        for _ in 0..1000 {
            let head = strategy.new_tree(&mut runner).unwrap().current();
            let a = check(side, &Config::default(), &head, &[])
                .unwrap_or_else(|e| panic!("{e}\n  input: {:?}", String::from_utf8_lossy(&head)));
            let key = match a {
                Agreement::Stricter(_) => "stricter".to_owned(),
                other => format!("{other:?}"),
            };
            *seen.entry(key).or_default() += 1;
        }
        for key in ["BothAccepted", "BothRejected", "BothIncomplete"] {
            assert!(
                seen.get(key).copied().unwrap_or(0) >= 20,
                "{side:?}: {seen:?}"
            );
        }
        if side == Side::Request {
            assert!(seen.get("stricter").copied().unwrap_or(0) >= 20, "{seen:?}");
        }
    }
}
