//! Lossless save: every file in `tests/fixtures/roundtrip/` loads, saves and loads again to
//! the same GeoJSON, member order included; files already in the canonical text form (one
//! feature per line) come back byte for byte.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

use std::path::{Path, PathBuf};

use frontier_atlas::io::geojson::{layer_to_geojson, load_file};
use frontier_atlas::io::save::save_layer;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roundtrip").join(name)
}

/// JSON text with key order (`serde_json` keeps file order), so `==` also compares order.
fn ordered(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

fn check(name: &str, canonical: bool) {
    let path = fixture(name);
    let original_text = std::fs::read_to_string(&path).unwrap();
    let original: Value = serde_json::from_str(&original_text).unwrap();
    let first = load_file(&path).unwrap();
    assert!(first.skipped.iter().all(|s| !s.contains("skipped")), "{name}: {:?}", first.skipped);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(name);
    save_layer(&first.layer, &out).unwrap();
    let saved_text = std::fs::read_to_string(&out).unwrap();
    let saved: Value = serde_json::from_str(&saved_text).unwrap();
    assert_eq!(ordered(&saved), ordered(&original), "{name}: saved JSON differs from the file");
    if canonical {
        assert_eq!(saved_text, original_text, "{name}: canonical file not written back byte for byte");
    }

    let second = load_file(&out).unwrap();
    assert_eq!(ordered(&layer_to_geojson(&second.layer)), ordered(&layer_to_geojson(&first.layer)), "{name}");
    assert_eq!(second.layer.kind, first.layer.kind, "{name}");
    // Saving what was loaded from a save changes nothing.
    let again = dir.path().join("again.geojson");
    save_layer(&second.layer, &again).unwrap();
    assert_eq!(std::fs::read_to_string(&again).unwrap(), saved_text, "{name}: second save differs");
}

macro_rules! roundtrip {
    ($($name:ident: $canonical:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check(concat!(stringify!($name), ".geojson"), $canonical);
            }
        )*

        /// Every fixture file has a test above.
        #[test]
        fn every_fixture_is_tested() {
            let listed = [$(concat!(stringify!($name), ".geojson")),*];
            for entry in std::fs::read_dir(fixture("")).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(listed.contains(&name.as_str()), "fixture {name} has no roundtrip! entry");
            }
        }
    };
}

roundtrip! {
    canonical_events: true,
    three_d: true,
    null_geometry: true,
    geometry_collection: true,
    multipolygon_holes: true,
    bbox_everywhere: true,
    nested_properties: false,
    ids_numeric_and_string: true,
    unicode_names: true,
    foreign_members: true,
    properties_null: true,
    empty_collection: true,
    bare_geometry: true,
    bare_feature: true,
    pretty_input: false,
}

/// The shipped data round-trips too; the one-feature-per-line files byte for byte.
#[test]
fn shipped_geodata_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let geodata = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    for entry in std::fs::read_dir(&geodata).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("geojson") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let layer = load_file(&path).unwrap().layer;
        let out = dir.path().join(path.file_name().unwrap());
        save_layer(&layer, &out).unwrap();
        let saved = std::fs::read_to_string(&out).unwrap();
        let a: Value = serde_json::from_str(&text).unwrap();
        let b: Value = serde_json::from_str(&saved).unwrap();
        assert_eq!(ordered(&a), ordered(&b), "{}", path.display());
        if text.starts_with("{\"type\":\"FeatureCollection\"") {
            assert_eq!(saved, text, "{} not written back byte for byte", path.display());
        }
    }
}

/// A bare geometry that gained properties (or more features) is saved as a collection.
#[test]
fn bare_geometry_with_properties_becomes_a_collection() {
    let mut layer = load_file(&fixture("bare_geometry.geojson")).unwrap().layer;
    layer.features.get_mut(0).unwrap().properties.insert("name".to_owned(), Value::from("box"));
    let v = layer_to_geojson(&layer);
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["features"][0]["properties"]["name"], "box");
}

/// A feature that had `properties: null` and gained a property writes an object; losing it
/// again writes `null` again.
#[test]
fn null_properties_follow_the_content() {
    let mut layer = load_file(&fixture("properties_null.geojson")).unwrap().layer;
    layer.features.get_mut(0).unwrap().properties.insert("a".to_owned(), Value::from(1));
    layer.features.get_mut(2).unwrap().properties.insert("b".to_owned(), Value::from(2));
    let v = layer_to_geojson(&layer);
    assert_eq!(v["features"][0]["properties"], serde_json::json!({"a": 1}));
    assert_eq!(
        ordered(&v["features"][2]),
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[70.2,37.2]},"properties":{"b":2}}"#
    );
    layer.features.get_mut(0).unwrap().properties.clear();
    assert_eq!(layer_to_geojson(&layer)["features"][0]["properties"], Value::Null);
}
