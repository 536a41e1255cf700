//! The ACLED CSV reader on arbitrary bytes: never panics; an accepted import writes GeoJSON
//! that parses as JSON.

#![no_main]

use frontier_atlas::io::acled::{parse_acled, write_geojson};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(import) = parse_acled(data, "fuzz.csv") else { return };
    let text = write_geojson(&import);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
        panic!("ACLED import wrote invalid JSON: {e}\n{text}");
    }
});
