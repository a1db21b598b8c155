//! An operation list driving a client and a server machine joined by the
//! test `Pair`: state invariants on both, agreement on every verdict.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};

use testkit::pair_ops::{decode_ops, run_pair_ops, Op};

/// The operations, decoded by `decode_ops` so the stable corpus
/// replay (which has no `arbitrary`) reads every input the same way.
#[derive(Debug)]
struct Ops(Vec<Op>);

impl<'a> Arbitrary<'a> for Ops {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.len();
        Ok(Self(decode_ops(u.bytes(len)?)))
    }
}

libfuzzer_sys::fuzz_target!(|ops: Ops| {
    run_pair_ops(&ops.0);
});
