//! Instructions per message, for `benches/icount.sh` (callgrind).
//!
//! Timings on shared machines move by tens of percent; instruction counts
//! do not. This binary runs one receive loop over one corpus, on one side:
//! keepalive, the yardstick (`testkit::yardstick`, the minimal hand-written
//! machine with the same inputs and replies) or raw httparse (heads only),
//! so callgrind can count it:
//!
//! ```text
//! benches/icount.sh            # every corpus, every side, Ir per message
//! benches/icount.sh --check    # and fail if keepalive passes its budget
//! ```
//!
//! Run without arguments (as `cargo bench` does) it runs each loop once,
//! checks what it saw and prints nothing, so it stays compiled and correct.

use std::hint::black_box;

use keepalive::SendBuf;
use testkit::corpora::{Corpus, CORPORA};
use testkit::drive::{connection, drain_corpus, httparse_drain};
use testkit::yardstick;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match &args[..] {
        [name, side, n] => run(
            Corpus::named(name).expect("corpus name"),
            side,
            n.parse().expect("message count"),
        ),
        _ => {
            // `cargo bench`: exercise every loop once.
            for c in &CORPORA {
                for side in ["keepalive", "yardstick", "httparse"] {
                    run(c, side, 10);
                }
            }
        }
    }
}

fn run(corpus: &Corpus, side: &str, n: usize) {
    let stream = corpus.stream(n);
    let seen = match side {
        "keepalive" => {
            let mut conn = connection(corpus.role);
            let mut out = SendBuf::new();
            drain_corpus(corpus, &mut conn, &mut out, black_box(&stream), n).messages
        }
        "yardstick" => {
            let mut m = yardstick::machine(corpus.role);
            let mut out = Vec::new();
            yardstick::drain_corpus(corpus, &mut m, &mut out, black_box(&stream), n).messages
        }
        "httparse" => httparse_drain(corpus, black_box(&stream)),
        "none" => n,
        _ => panic!("side: keepalive | yardstick | httparse | none"),
    };
    assert_eq!(seen, n, "{} {side}", corpus.name);
}
