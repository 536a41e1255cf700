//! The geodata shipped inside the binary (`geodata/*.geojson`, validated by `build.rs`).

use crate::model::{Catalog, Feature, FeatureRef, LayerKind, LayerSource};
use crate::spatial::polygon_contains;
use crate::time::Range;

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

/// What one district holds: its name and province, and the dated events and aid whose point
/// lies inside its polygon and whose date overlaps the range (all of them without a range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictSummary {
    /// District name.
    pub name: String,
    /// Province (Afghanistan) or region (Tajikistan) it belongs to.
    pub province: String,
    /// Events inside it, newest first (by start day), undated last.
    pub events: Vec<FeatureRef>,
    /// Aid records inside it, newest first (by start day), undated last.
    pub aid: Vec<FeatureRef>,
}

/// The summary of the district `district` (a feature of a districts layer), or `None` when it
/// is not an area. Features without a date are counted whatever the range; features of hidden
/// layers are not counted (the summary tells of what the map shows).
pub fn district_summary(catalog: &Catalog, district: FeatureRef, range: Option<&Range>) -> Option<DistrictSummary> {
    SUMMARIES_HERE.set(SUMMARIES_HERE.get() + 1);
    let f = catalog.feature(district)?;
    if !f.shape.is_area() {
        return None;
    }
    let inside = |kind: LayerKind| -> Vec<FeatureRef> {
        let mut out = Vec::new();
        let Some(area) = f.shape.bounds() else { return out };
        for (li, layer) in catalog.layers.iter().enumerate().filter(|(_, l)| l.kind == kind && l.visible) {
            // Only the features whose box meets the district's (from the R-tree), read from
            // the columns: a million packed events are neither visited nor decoded.
            for fi in layer.index.query(&area) {
                let in_range = match (range, layer.features.span(fi)) {
                    (Some(r), Some(t)) => t.overlaps(r),
                    _ => true,
                };
                let in_district = layer.features.shape(fi).is_some_and(|g| {
                    g.points.iter().any(|p| f.shape.polygons().iter().any(|rings| polygon_contains(rings, *p)))
                });
                if in_range && in_district {
                    out.push(FeatureRef { layer: li, feature: fi });
                }
            }
        }
        // Newest first, undated last, as a density bin lists its events (found walking the
        // app: the list ran 2024, 2019, 2016, 2018 in the order the index gave).
        // (`Option` puts `None` first; reversed, undated events go last.)
        out.sort_by_cached_key(|r| {
            let day = catalog.layers.get(r.layer).and_then(|l| l.features.span(r.feature)).map(|s| s.start);
            (std::cmp::Reverse(day), r.layer, r.feature)
        });
        out
    };
    Some(DistrictSummary {
        name: f.prop_str("name").or_else(|| f.prop_str("shapeName")).unwrap_or_default().trim().to_owned(),
        province: f.prop_str("province").unwrap_or_default().to_owned(),
        events: inside(LayerKind::Events),
        aid: inside(LayerKind::Aid),
    })
}

thread_local! {
    static SUMMARIES_HERE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many district summaries were made on this thread (the app keeps one per selection,
/// range and data: tests check it is not made again in every frame).
pub fn district_summaries_made_on_this_thread() -> usize {
    SUMMARIES_HERE.get()
}

/// How a curated record's date was found, in words, from its notes (`geodata/RECORD.md`):
/// inferred by the curator ("Date inferred: …"), or the date of the report that cites the
/// fact ("Report date: …"). `None` when the source gives the date itself.
pub fn date_basis(f: &Feature) -> Option<&'static str> {
    let notes = ["notes", "note"].iter().find_map(|k| f.prop_str(k))?;
    if notes.contains("Date inferred") {
        Some("Date inferred: the source gives no date; the span is the widest the text supports (see notes)")
    } else if notes.contains("Report date") {
        Some("Report date: the date of the report citing the fact, not of the fact itself")
    } else {
        None
    }
}
