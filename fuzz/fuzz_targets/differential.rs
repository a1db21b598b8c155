//! keepalive's head parser against httparse on arbitrary bytes
//! (`testkit::differential` states the property): accepted heads agree,
//! httparse's refusals are refused, stricter refusals are documented, and
//! whole, byte-by-byte and split feeds agree.
#![no_main]

use testkit::differential::run_differential;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    run_differential(data);
});
