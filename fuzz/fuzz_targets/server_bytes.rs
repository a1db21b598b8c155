//! Arbitrary bytes fed to a server machine whole, in pieces chosen from the
//! input, and one byte at a time: identical outcomes, event contract kept.
#![no_main]

use testkit::fuzz_input::run_bytes;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    run_bytes(keepalive::Role::Server, data);
});
