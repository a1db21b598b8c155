//! Arbitrary bytes fed to a client machine whole, in pieces chosen from the
//! input, and one byte at a time: identical outcomes, event contract kept.
#![no_main]

#[path = "../common/mod.rs"]
mod common;
#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run_bytes(keepalive::Role::Client, data);
});
