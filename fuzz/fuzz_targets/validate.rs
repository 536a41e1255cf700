//! The strict RFC 7946 validator on arbitrary bytes: never panics, and every problem has a
//! position inside the text (line and column from 1).

#![no_main]

use frontier_atlas::io::validate::validate_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for p in validate_bytes(data) {
        assert!(p.line >= 1 && p.col >= 1, "problem without a position: {p:?}");
    }
});
