//! keepalive's test kit (`publish = false`): everything its tests, benches
//! and fuzz targets share, in one crate they depend on by path, on the
//! model of h2's `h2-support`.
//!
//! | module | holds |
//! |---|---|
//! | [`corpora`] | the five benchmark messages and pipelined streams of them |
//! | [`drive`] | the benchmark loops (keepalive, raw httparse) and their [`drive::Tally`] |
//! | [`yardstick`] | the minimal hand-written machine keepalive is measured against |
//! | [`budget`] | allocation and memory figures the budgets are checked on |
//! | [`counting`] | the counting global allocator behind them |

pub mod budget;
pub mod corpora;
pub mod counting;
pub mod drive;
pub mod yardstick;
