//! The GeoJSON loader on arbitrary bytes: never panics; a layer it accepts saves to text that
//! it accepts again (we never write a file we cannot read back).

#![no_main]

use std::path::PathBuf;

use frontier_atlas::io::geojson::parse_layer;
use frontier_atlas::io::save::layer_to_text;
use frontier_atlas::model::LayerSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = || LayerSource::File(PathBuf::from("fuzz.geojson"));
    let Ok(loaded) = parse_layer(text, "fuzz.geojson", "fuzz", None, source()) else { return };
    let saved = layer_to_text(&loaded.layer).expect("a loaded layer serialises");
    let saved = String::from_utf8(saved).expect("saved text is UTF-8");
    if let Err(e) = parse_layer(&saved, "saved.geojson", "fuzz", None, source()) {
        panic!("saved layer does not load again: {e}\n--- saved:\n{saved}");
    }
});
