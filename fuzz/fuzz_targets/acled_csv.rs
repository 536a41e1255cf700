//! The ACLED CSV reader on arbitrary bytes: never panics; an accepted import writes GeoJSON
//! that the strict validator accepts and that opens as an events layer (the File → Open path).

#![no_main]

use std::path::Path;

use frontier_atlas::io::acled::{parse_acled, write_geojson};
use frontier_atlas::io::acled_layer;
use frontier_atlas::io::validate::validate_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(import) = parse_acled(data, "fuzz.csv") else { return };
    let text = write_geojson(&import);
    let errors: Vec<String> = validate_str(&text).iter().filter(|p| p.is_error()).map(ToString::to_string).collect();
    assert!(errors.is_empty(), "ACLED import wrote invalid GeoJSON: {errors:?}\n{text}");
    if let Err(e) = acled_layer::from_bytes(Path::new("fuzz.csv"), data) {
        panic!("an accepted ACLED file does not open as a layer: {e}");
    }
});
