//! keepalive's test kit (`publish = false`): everything its tests, benches
//! and fuzz targets share, in one crate they depend on by path, on the
//! model of h2's `h2-support`. Tests import the harness from the root:
//! `use testkit::{Pair, feed_whole, Out, ...};`.
//!
//! | module | holds |
//! |---|---|
//! | [`out`] | [`Out`], the normalized outcome of a poll, and its one-line form |
//! | [`feed`] | the single-connection feeder ([`feed_whole`], [`feed_pieces`]...) and its [`Trace`] |
//! | [`rows`] | conformance tables run whole and byte by byte |
//! | [`pair`] | [`Pair`], a client and a server joined by in-memory pipes |
//! | [`watch`] | [`Watch`], the event contract checked on every poll |
//! | [`model`] | the reference model of RFC 9112 §6.3 and §9.3 the properties check against |
//! | [`fuzz_input`] | fuzz input layouts and the byte-feeding fuzz checks |
//! | [`pair_ops`] | the operation-list fuzz check on a [`Pair`] |
//! | [`differential`] | keepalive's head parser checked against httparse |
//! | [`corpora`] | the five benchmark messages and pipelined streams of them |
//! | [`drive`] | the benchmark loops (keepalive, raw httparse) and their [`drive::Tally`] |
//! | [`yardstick`] | the minimal hand-written machine keepalive is measured against |
//! | [`budget`] | allocation and memory figures the budgets are checked on |
//! | [`counting`] | the counting global allocator behind them |

#![warn(missing_docs)]

pub mod budget;
pub mod corpora;
pub mod counting;
pub mod differential;
pub mod drive;
pub mod feed;
pub mod fuzz_input;
pub mod model;
pub mod out;
pub mod pair;
pub mod pair_ops;
pub mod rows;
pub mod watch;
pub mod yardstick;

// The kit's own tests count allocations (the yardstick must make none).
#[cfg(test)]
#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

pub use feed::{
    assert_same_whole_and_bytewise, check_split_invariance, client, feed_bytewise, feed_pieces,
    feed_split, feed_whole, server, AutoResponse, FieldPairs, Script, ScriptedRequest, Trace,
};
pub use out::{esc, fields, persist_line, push_merged, Fields, Out};
pub use pair::{hdrs, poll_all, poll_lines, Pair, Stop};
pub use rows::{run_client_rows, run_rows_with, run_server_rows, ClientRow, ServerRow};
pub use watch::Watch;
