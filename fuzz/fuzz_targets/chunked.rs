//! The chunked decoder, driven through a server connection after a fixed
//! chunked request head (the decoder itself is crate-private).
#![no_main]

use testkit::fuzz_input::run_chunked;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    run_chunked(data);
});
