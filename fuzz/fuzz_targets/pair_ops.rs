//! An operation list driving a client and a server machine joined by the
//! test `Pair`: state invariants on both, agreement on every verdict.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};

#[path = "../common/mod.rs"]
mod common;
#[path = "../../tests/support/mod.rs"]
mod support;

/// The operations, decoded by `common::decode_ops` so the stable corpus
/// replay (which has no `arbitrary`) reads every input the same way.
#[derive(Debug)]
struct Ops(Vec<common::Op>);

impl<'a> Arbitrary<'a> for Ops {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.len();
        Ok(Self(common::decode_ops(u.bytes(len)?)))
    }
}

libfuzzer_sys::fuzz_target!(|ops: Ops| {
    common::run_pair_ops(&ops.0);
});
