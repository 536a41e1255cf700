//! The point CSV reader (lon/lat columns) on arbitrary bytes: never panics.

#![no_main]

use std::path::Path;

use frontier_atlas::io::csv_points::parse_csv_points;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_csv_points(Path::new("fuzz.csv"), data);
});
