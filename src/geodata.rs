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

/// A country the shipped outlines hold whole, not cut by the edge of the shipped map
/// (Afghanistan, Tajikistan and Kyrgyzstan): a point can be told to lie in it or not.
#[derive(Debug)]
pub struct WholeCountry {
    /// Its name, as the outlines (and ACLED's `country` column) write it.
    pub name: String,
    /// Its bounds, `[west, south, east, north]` in degrees.
    pub bounds: [f64; 4],
    /// Its outline's polygons (world coordinates).
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

impl WholeCountry {
    /// Whether `(lon, lat)` lies in the country.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let [w, s, e, n] = self.bounds;
        (w..=e).contains(&lon)
            && (s..=n).contains(&lat)
            && self.polygons.iter().any(|rings| polygon_contains(rings, crate::spatial::world_from_geo(lon, lat)))
    }

    /// Whether `(lon, lat)` lies within `margin` degrees of the country's bounds.
    pub fn near(&self, lon: f64, lat: f64, margin: f64) -> bool {
        let [w, s, e, n] = self.bounds;
        (w - margin..=e + margin).contains(&lon) && (s - margin..=n + margin).contains(&lat)
    }
}

/// The countries the shipped outlines hold whole (see [`WholeCountry`]), read once from the
/// embedded outlines: those whose bounds keep clear of the bounds of them all.
pub fn whole_countries() -> &'static [WholeCountry] {
    static WHOLE: std::sync::OnceLock<Vec<WholeCountry>> = std::sync::OnceLock::new();
    WHOLE.get_or_init(|| {
        let Some(countries) = EMBEDDED.iter().find(|e| e.kind == LayerKind::Countries) else { return Vec::new() };
        let source = LayerSource::Embedded(countries.file);
        let Ok(loaded) = crate::io::geojson::parse_layer(countries.text, countries.file, countries.name, None, source)
        else {
            return Vec::new();
        };
        let degrees = |b: crate::spatial::WorldRect| {
            let (w, s) = crate::spatial::geo_from_world(b.min);
            let (e, n) = crate::spatial::geo_from_world(b.max);
            [w.min(e), s.min(n), w.max(e), s.max(n)]
        };
        let mut all: Vec<WholeCountry> = loaded
            .layer
            .features
            .decoded()
            .filter_map(|f| {
                let name = f.prop_str("name")?.to_owned();
                Some(WholeCountry { name, bounds: degrees(f.shape.bounds()?), polygons: f.shape.polygons().to_vec() })
            })
            .collect();
        let frame = all.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |[w, s, e, n], c| {
            [w.min(c.bounds[0]), s.min(c.bounds[1]), e.max(c.bounds[2]), n.max(c.bounds[3])]
        });
        let clear = 1e-6;
        all.retain(|c| {
            let b = c.bounds;
            b[0] > frame[0] + clear && b[1] > frame[1] + clear && b[2] < frame[2] - clear && b[3] < frame[3] - clear
        });
        all
    })
}

/// How far outside a country's bounds (degrees) a point may lie before it is said to be
/// outside it: an event on a border river, a village just over the line.
const COUNTRY_MARGIN_DEG: f64 = 0.5;

/// Where a point written `(lon, lat)` would lie read the other way round, when that looks like
/// the mistake: the country it would then lie in. With `country` (an ACLED row's, or a CSV's
/// `country` column) naming a country held whole, when the point lies outside it and the
/// swapped one inside; with no country named, when the point lies far from every country held
/// whole and the swapped one inside one. `None` otherwise (a country named that is not held
/// whole tells nothing).
pub fn swapped_into(lon: f64, lat: f64, country: Option<&str>) -> Option<&'static str> {
    let whole = whole_countries();
    if let Some(name) = country.map(str::trim).filter(|c| !c.is_empty()) {
        let c = whole.iter().find(|c| c.name.eq_ignore_ascii_case(name))?;
        return (!c.near(lon, lat, COUNTRY_MARGIN_DEG) && c.contains(lat, lon)).then_some(c.name.as_str());
    }
    if whole.iter().any(|c| c.near(lon, lat, COUNTRY_MARGIN_DEG)) {
        return None;
    }
    whole.iter().find(|c| c.contains(lat, lon)).map(|c| c.name.as_str())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_countries_held_whole_are_the_frontiers_not_those_the_map_cuts() {
        let names: Vec<&str> = whole_countries().iter().map(|c| c.name.as_str()).collect();
        for whole in ["Afghanistan", "Tajikistan", "Kyrgyzstan"] {
            assert!(names.contains(&whole), "{names:?}");
        }
        for cut in ["China", "Pakistan", "Uzbekistan", "Iran", "Kazakhstan"] {
            assert!(!names.contains(&cut), "{cut} is cut by the map's edge: {names:?}");
        }
    }

    #[test]
    fn swapped_coordinates_are_told_only_where_the_other_reading_is_plain() {
        // Khorog as written, and swapped.
        assert_eq!(swapped_into(71.553, 37.489, None), None);
        assert_eq!(swapped_into(37.489, 71.553, None), Some("Tajikistan"));
        // A row naming its country: outside it, and inside it swapped.
        assert_eq!(swapped_into(36.7, 68.9, Some("Afghanistan")), Some("Afghanistan"));
        assert_eq!(swapped_into(68.9, 36.7, Some("afghanistan ")), None);
        // Murmansk swaps into Afghanistan, but a row that says Russia is left alone; a town
        // in a country the map cuts (Delhi) or near the frontier is never told.
        assert_eq!(swapped_into(33.09, 68.97, Some("Russia")), None);
        assert_eq!(swapped_into(77.2, 28.6, None), None);
        assert_eq!(swapped_into(73.05, 33.68, None), None);
        // A point on the Panj, a hair outside its country, is near enough.
        assert_eq!(swapped_into(71.56, 37.47, Some("Afghanistan")), None);
    }
}
