//! The geodata shipped inside the binary (`geodata/*.geojson`, validated by `build.rs`).

use crate::model::{Catalog, LayerKind, LayerSource};

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    /// File name under `geodata/`.
    pub file: &'static str,
    /// Layer name shown in the app.
    pub name: &'static str,
    /// Layer kind.
    pub kind: LayerKind,
    /// The GeoJSON text.
    pub text: &'static str,
}

macro_rules! embed {
    ($file:literal, $name:literal, $kind:expr) => {
        Embedded {
            file: $file,
            name: $name,
            kind: $kind,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata/", $file)),
        }
    };
}

/// Every embedded layer, bottom to top.
pub const EMBEDDED: [Embedded; 10] = [
    embed!("countries.geojson", "Countries", LayerKind::Countries),
    embed!("provinces.geojson", "Provinces", LayerKind::Provinces),
    embed!("districts.geojson", "Districts", LayerKind::Districts),
    embed!("regions.geojson", "Named regions", LayerKind::Regions),
    embed!("lakes.geojson", "Lakes", LayerKind::Lakes),
    embed!("rivers.geojson", "Rivers", LayerKind::Rivers),
    embed!("border.geojson", "Tajik–Afghan border", LayerKind::Border),
    embed!("places.geojson", "Places", LayerKind::Places),
    embed!("aid.geojson", "Security assistance", LayerKind::Aid),
    embed!("events.geojson", "Security events", LayerKind::Events),
];

/// The attribution line every view and export carries.
pub const ATTRIBUTION: &str = "Natural Earth; © GeoNames (CC BY 4.0); GSHHG/WDB II rivers (LGPL-3.0); districts: geoBoundaries (CC BY 4.0; AIMS, public domain); events and aid: Frontier Atlas curation of cited reporting";

/// The home view: the Tajik–Afghan frontier from Termez to the Chinese tripoint,
/// `[west, south, east, north]` in degrees.
pub const HOME_BBOX: [f64; 4] = [66.9, 35.6, 75.6, 39.6];

/// Loads every embedded layer. Shipped data is validated at build time, so problems here
/// mean a bug; they are returned (not panicked on) so the app can still start.
pub fn default_catalog() -> (Catalog, Vec<String>) {
    let mut catalog = Catalog::default();
    let mut problems = Vec::new();
    for e in EMBEDDED {
        let label = format!("geodata/{}", e.file);
        match crate::io::geojson::parse_layer(e.text, &label, e.name, Some(e.kind), LayerSource::Embedded(e.file)) {
            Ok(loaded) => {
                problems.extend(loaded.skipped);
                catalog.insert(loaded.layer);
            }
            Err(err) => problems.push(err.to_string()),
        }
    }
    (catalog, problems)
}
