//! The yardstick's corpus loops: the same inputs and replies as
//! `crate::drive` gives keepalive, so the two are compared like for like.

use std::hint::black_box;

use keepalive::Role;

use super::{Ev, Machine, Poll, Side};
use crate::corpora::{Corpus, PIECE};
use crate::drive::Tally;

/// Server side of a corpus: feeds `stream` in [`PIECE`]-sized reads and
/// answers every request with [`REPLY_204`](super::REPLY_204), written out (the `Vec`
/// cleared) as [`crate::drive::flush`] does for keepalive.
pub fn server_drain(m: &mut Machine, out: &mut Vec<u8>, stream: &[u8]) -> Tally {
    server_drain_with(m, out, stream, |m, out| m.send_204(out))
}

/// [`server_drain`] with `reply` as the answer to each request.
pub fn server_drain_with(
    m: &mut Machine,
    out: &mut Vec<u8>,
    stream: &[u8],
    mut reply: impl FnMut(&mut Machine, &mut Vec<u8>),
) -> Tally {
    let mut tally = Tally::default();
    for piece in stream.chunks(PIECE) {
        m.receive(piece);
        poll_until_blocked(m, &mut tally, |m| {
            reply(m, out);
            black_box(&out);
            out.clear();
        });
    }
    tally
}

/// Client side of a corpus: for each of `n` responses, sends `GET /`, then
/// receives the response in one read and drains it.
pub fn client_drain(m: &mut Machine, out: &mut Vec<u8>, response: &[u8], n: usize) -> Tally {
    let mut tally = Tally::default();
    for _ in 0..n {
        m.send_request(b"GET", b"/", b"x", out);
        black_box(&out);
        out.clear();
        m.receive(response);
        poll_until_blocked(m, &mut tally, |_| {});
    }
    tally
}

/// `n` messages of `corpus` in its role, as [`crate::drive::drain_corpus`]
/// runs them through keepalive.
pub fn drain_corpus(
    corpus: &Corpus,
    m: &mut Machine,
    out: &mut Vec<u8>,
    stream: &[u8],
    n: usize,
) -> Tally {
    match corpus.role {
        Role::Server => server_drain(m, out, stream),
        Role::Client => client_drain(m, out, corpus.bytes, n),
    }
}

/// A machine for the role that receives `corpus`.
pub fn machine(role: Role) -> Machine {
    Machine::new(match role {
        Role::Server => Side::Server,
        Role::Client => Side::Client,
    })
}

fn poll_until_blocked(m: &mut Machine, tally: &mut Tally, mut on_end: impl FnMut(&mut Machine)) {
    loop {
        match m.poll() {
            Ok(Poll::Event(Ev::Head)) => {
                tally.at_boundary = false;
                black_box(m.head());
            }
            Ok(Poll::Event(Ev::Data(d))) => {
                tally.body_bytes += d.len();
                black_box(&d);
            }
            Ok(Poll::Event(Ev::End(t))) => {
                black_box(&t);
                tally.messages += 1;
                on_end(m);
                if m.keep_alive() {
                    tally.keep_alive_cycles += 1;
                    tally.at_boundary = true;
                }
            }
            Ok(Poll::NeedData | Poll::Closed) => return,
            Err(e) => panic!("yardstick refused a corpus: {e:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpora::CORPORA;
    use crate::drive;
    use keepalive::SendBuf;

    /// The yardstick cannot cheat: on every corpus it sees as many
    /// messages, body bytes and keep-alive cycles as keepalive does, fed
    /// in socket-sized reads or one byte at a time.
    #[test]
    fn frames_every_corpus_like_keepalive() {
        let n = 50;
        for corpus in &CORPORA {
            let stream = corpus.stream(n);
            let mut out = Vec::new();
            let t = drain_corpus(corpus, &mut machine(corpus.role), &mut out, &stream, n);
            assert_eq!(t.messages, n, "{}", corpus.name);
            assert_eq!(t.body_bytes, n * corpus.body_len(), "{}", corpus.name);
            assert_eq!(t.keep_alive_cycles, n, "{}", corpus.name);
            let mut conn = drive::connection(corpus.role);
            let k = drive::drain_corpus(corpus, &mut conn, &mut SendBuf::new(), &stream, n);
            assert_eq!(
                (k.messages, k.body_bytes, k.keep_alive_cycles),
                (t.messages, t.body_bytes, t.keep_alive_cycles),
                "{}",
                corpus.name
            );
            let mut m = machine(corpus.role);
            let mut bytewise = Tally::default();
            for _ in 0..3 {
                if corpus.role == Role::Client {
                    m.send_request(b"GET", b"/", b"x", &mut out);
                }
                for b in corpus.bytes.chunks(1) {
                    m.receive(b);
                    poll_until_blocked(&mut m, &mut bytewise, |_| {});
                }
            }
            assert_eq!(bytewise.messages, 3, "{}", corpus.name);
            assert_eq!(
                bytewise.body_bytes,
                3 * corpus.body_len(),
                "{}",
                corpus.name
            );
        }
    }

    /// Nor does it allocate per message (the crate's test binary counts
    /// allocations, see `lib.rs`), as keepalive must not either.
    #[test]
    fn allocates_nothing_per_message() {
        let before = crate::counting::allocs();
        drop(black_box(vec![0u8; 8]));
        assert_eq!(crate::counting::allocs() - before, 1, "counting works");
        for corpus in &CORPORA {
            let stats = crate::budget::yardstick_allocs(corpus, 3);
            assert_eq!(stats.allocs, 0, "{}: {stats:?}", corpus.name);
        }
    }
}
