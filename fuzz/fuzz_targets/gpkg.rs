//! The whole GeoPackage reader (SQLite + tables + blobs) on arbitrary bytes written to a
//! temporary file: never panics.

#![no_main]

use std::io::Write as _;

use frontier_atlas::io::gpkg::read_gpkg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::Builder::new().suffix(".gpkg").tempfile().expect("temporary file");
    file.write_all(data).expect("write temporary file");
    let _ = read_gpkg(file.path());
});
