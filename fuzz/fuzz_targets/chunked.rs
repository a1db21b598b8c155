//! The chunked decoder, driven through a server connection after a fixed
//! chunked request head (the decoder itself is crate-private).
#![no_main]

#[path = "../common/mod.rs"]
mod common;
#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run_chunked(data);
});
