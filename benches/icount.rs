//! Instruction counts per message, for `benches/icount.sh` (callgrind).
//!
//! Timings on shared machines move by tens of percent; instruction counts
//! do not. This binary runs one receive loop — keepalive or the raw
//! httparse baseline, over one corpus — so callgrind can count it:
//!
//! ```text
//! benches/icount.sh            # every corpus, both sides, Ir per message
//! ```
//!
//! Run without callgrind (as `cargo bench` does) it just runs each loop
//! once and prints nothing, so it stays compiled and correct.

mod common;

use std::hint::black_box;

use common::{connection, drain_corpus, httparse_drain, CORPORA};
use keepalive::SendBuf;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (name, side, n) = match &args[..] {
        [name, side, n] => (
            name.as_str(),
            side.as_str(),
            n.parse().expect("message count"),
        ),
        _ => {
            // `cargo bench`: exercise every loop once.
            for c in &CORPORA {
                run(c.name, "keepalive", 10);
                run(c.name, "httparse", 10);
            }
            return;
        }
    };
    run(name, side, n);
}

fn run(name: &str, side: &str, n: usize) {
    let corpus = CORPORA
        .iter()
        .find(|c| c.name == name)
        .expect("corpus name");
    let stream = corpus.stream(n);
    match side {
        "keepalive" => {
            let mut conn = connection(corpus.role);
            let mut out = SendBuf::new();
            let t = drain_corpus(corpus, &mut conn, &mut out, black_box(&stream), n);
            assert_eq!(t.messages, n);
        }
        "httparse" => assert_eq!(httparse_drain(corpus, black_box(&stream)), n),
        "none" => {}
        _ => panic!("side: keepalive | httparse | none"),
    }
}
