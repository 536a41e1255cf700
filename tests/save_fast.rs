//! Saving a packed layer without decoding it (issue 8): a GeoJSON- or CSV-loaded layer is
//! saved straight from its packed texts, decoding no feature, and the file is byte for byte
//! the one the decode-and-write path gives (`save::write_layer_text_decoded`), over every
//! fixture, the shared data files and generated files with the hard cases; edited features
//! are decoded and saved as before; autosaves write the same bytes.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

#[path = "common/acled_gen.rs"]
mod acled_gen;
#[path = "common/shared_data.rs"]
mod shared_data;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use frontier_atlas::edit::{EditCommand, apply};
use frontier_atlas::io::progress::Progress;
use frontier_atlas::io::save::{write_layer_text, write_layer_text_decoded};
use frontier_atlas::model::{Catalog, Layer};
use serde_json::json;

fn load_geojson(path: &Path) -> Option<Layer> {
    frontier_atlas::io::geojson_fast::load_file(path, &Progress::new()).ok().map(|l| l.layer)
}

fn load_csv(path: &Path) -> Layer {
    frontier_atlas::io::acled_layer::load_packed(path, &Progress::new()).unwrap().layer
}

/// The reference bytes, from a copy of the layer (so `layer`'s decode count stays its own).
fn decoded_save(layer: &Layer) -> Vec<u8> {
    let mut out = Vec::new();
    write_layer_text_decoded(&layer.clone(), &mut out).unwrap();
    out
}

/// The save's bytes and how many features it decoded.
fn fast_save(layer: &Layer) -> (Vec<u8>, usize) {
    let before = layer.features.decodes();
    let mut out = Vec::new();
    write_layer_text(layer, &mut out).unwrap();
    (out, layer.features.decodes() - before)
}

/// Asserts the save equals the reference; returns how many features it decoded.
fn assert_same_save(what: &str, layer: &Layer) -> usize {
    let want = decoded_save(layer);
    let (got, decodes) = fast_save(layer);
    if got != want {
        let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        let show = |b: &[u8]| String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())]).into_owned();
        panic!("{what}: the save differs at byte {at}:\nfast    {}\ndecoded {}", show(&got), show(&want));
    }
    decodes
}

fn geojson_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            geojson_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "geojson") {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_saves_from_its_texts_as_the_decoder_would() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    geojson_files(&root.join("tests/fixtures"), &mut files);
    geojson_files(&root.join("geodata"), &mut files);
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let mut packed_files = 0;
    for path in &files {
        let Some(layer) = load_geojson(path) else { continue };
        let decodes = assert_same_save(&path.display().to_string(), &layer);
        if layer.features.packed_count() > 1 {
            packed_files += 1;
            assert_eq!(decodes, 0, "{}: a packed layer was decoded to be saved", path.display());
        }
    }
    assert!(packed_files >= 10, "only {packed_files} fixtures were packed");
}

#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn the_shared_district_files_save_without_decoding() {
    for file in [
        "geoboundaries/geoBoundaries-AFG-ADM2_simplified.geojson",
        "geoboundaries/geoBoundaries-TJK-ADM1.geojson",
        "geoboundaries/geoBoundaries-TJK-ADM2.geojson",
    ] {
        let layer = load_geojson(&shared_data::shared_data(file)).unwrap();
        assert_eq!(layer.features.packed_count(), layer.features.len(), "{file}");
        assert_eq!(assert_same_save(file, &layer), 0, "{file}");
    }
}

/// Feature texts with the hard cases, one per entry; `true` for those a value tree changes
/// (the save must decode them).
fn hard_features() -> Vec<(String, bool)> {
    let plain = |i: usize| {
        format!(
            r#"{{"type":"Feature","id":"f{i}","geometry":{{"type":"Point","coordinates":[70.{i},37.5]}},"properties":{{"n":{i},"name":"p{i}"}}}}"#
        )
    };
    let mut out = vec![
        (plain(0), false),
        // Foreign members before, between and after the standard ones; bbox; 3-D positions.
        (
            r#"{"bbox":[70,37,71,38],"type":"Feature","x-note":{"a":[1,2]},"geometry":{"type":"LineString","coordinates":[[70.0,37.0,1200.50],[71.0,37.5,-3]],"crs-ish":true},"id":7,"properties":{"z":null},"trailer":[]}"#
                .to_owned(),
            false,
        ),
        // Odd number spellings.
        (
            r#"{"type":"Feature","id":-0,"geometry":{"type":"Point","coordinates":[7.0E1,3.75e+1]},"properties":{"a":1.50,"b":1E5,"c":2.5e-3,"d":-0.0,"e":123456789012345678901234567890,"f":0.000001}}"#
                .to_owned(),
            false,
        ),
        // Escapes: unicode, surrogate pairs, solidus, controls; raw UTF-8.
        (
            r#"{"type":"Feature","id":"caf\u00e9\/1","geometry":null,"properties":{"name":"Kab\u0075l \"old\" \\ \ud83d\ude00 \u0007\t","tajik":"Душанбе","k\u00e9y":"v"}}"#
                .to_owned(),
            false,
        ),
        // Properties null, {} and absent; id null; geometry null.
        (r#"{"type":"Feature","id":null,"geometry":null,"properties":null}"#.to_owned(), false),
        (r#"{"properties":{},"geometry":null,"type":"Feature"}"#.to_owned(), false),
        (r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[70,37]}}"#.to_owned(), false),
        // Nested duplicate keys: a value tree keeps the first place and the last value.
        (r#"{"type":"Feature","geometry":null,"properties":{"a":1,"b":2,"a":3}}"#.to_owned(), true),
        (
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[70,37],"type":"Point"},"properties":{}}"#
                .to_owned(),
            true,
        ),
    ];
    out.extend((1..200).map(|i| (plain(i), false)));
    out
}

/// A `FeatureCollection` of `features`, written in one of three layouts.
fn collection(features: &[(String, bool)], style: &str) -> String {
    let mut text = String::new();
    match style {
        "compact" => {
            text.push_str("{\"type\":\"FeatureCollection\",\"name\":\"hard\",\"features\":[\n");
            text.push_str(&features.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(",\n"));
            text.push_str("\n],\"x-after\":{\"k\":1.0}}\n");
        }
        "crlf" => {
            text.push_str("{\"type\": \"FeatureCollection\",\r\n\"features\": [\r\n");
            text.push_str(&features.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(",\r\n"));
            text.push_str("\r\n]\r\n}\r\n");
        }
        _ => {
            // Pretty-printed: every feature re-indented by serde_json (member order kept),
            // with CRLF line ends inside the features.
            text.push_str("{\n  \"type\": \"FeatureCollection\",\n  \"features\": [\n");
            for (n, (f, dup)) in features.iter().enumerate() {
                let body = if *dup {
                    f.clone()
                } else {
                    let v: serde_json::Value = serde_json::from_str(f).unwrap();
                    serde_json::to_string_pretty(&v).unwrap().replace('\n', "\r\n    ")
                };
                let _ = writeln!(text, "    {body}{}", if n + 1 < features.len() { "," } else { "" });
            }
            text.push_str("  ]\n}\n");
        }
    }
    text
}

#[test]
fn generated_hard_cases_save_from_their_texts_in_every_layout() {
    let features = hard_features();
    let duplicates = features.iter().filter(|(_, d)| *d).count();
    let dir = tempfile::tempdir().unwrap();
    for style in ["compact", "crlf", "pretty"] {
        let path = dir.path().join(format!("{style}.geojson"));
        std::fs::write(&path, collection(&features, style)).unwrap();
        let layer = load_geojson(&path).unwrap();
        assert_eq!(layer.features.len(), features.len(), "{style}");
        assert!(layer.features.packed_count() > features.len() / 2, "{style}: not packed");
        // The hard cases a value tree keeps are packed, so their texts are what is written.
        for (i, (text, dup)) in features.iter().enumerate().take(7) {
            assert!(*dup || layer.features.is_packed(i), "{style}: not packed: {text}");
        }
        let decodes = assert_same_save(style, &layer);
        // Only the texts a value tree changes are decoded (duplicates are packed or not,
        // as the loader chooses: never more).
        assert!(decodes <= duplicates, "{style}: {decodes} decoded");
    }
}

#[test]
fn a_layer_saved_in_another_layout_is_decoded_where_it_differs() {
    // When the layout list is out of step every feature is saved in the typical layout:
    // texts in another member order must not be written as they are.
    let features = hard_features();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.geojson");
    std::fs::write(&path, collection(&features, "compact")).unwrap();
    let mut layer = load_geojson(&path).unwrap();
    layer.layout.features.clear();
    let decodes = assert_same_save("typical layout", &layer);
    assert!(decodes >= 4, "features in another order must be decoded ({decodes})");
}

fn csv_file(dir: &Path, rows: usize) -> PathBuf {
    let path = dir.join("events.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    acled_gen::generate_acled_csv(rows, 7, &mut out).unwrap();
    drop(out);
    path
}

#[test]
fn a_csv_loaded_layer_saves_without_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let path = csv_file(dir.path(), 5_000);
    let layer = load_csv(&path);
    assert_eq!(layer.features.packed_count(), layer.features.len());
    assert_eq!(assert_same_save("generated csv", &layer), 0);
    // And it is the layer `import acled` + open gives, saved.
    let serial = frontier_atlas::io::acled_layer::load(&path).unwrap().layer;
    assert_eq!(fast_save(&layer).0, decoded_save(&serial));
}

#[test]
fn the_hostile_csv_fixture_saves_without_decoding() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acled/hostile.csv");
    let layer = load_csv(&path);
    assert!(layer.features.len() > 1);
    let decodes = assert_same_save("hostile.csv", &layer);
    if layer.features.packed_count() == layer.features.len() {
        assert_eq!(decodes, 0);
    }
}

#[test]
fn an_edited_layer_saves_its_edits_and_its_untouched_features_from_text() {
    let dir = tempfile::tempdir().unwrap();
    for (what, layer) in [
        ("geojson", {
            let path = dir.path().join("hard.geojson");
            std::fs::write(&path, collection(&hard_features(), "pretty")).unwrap();
            load_geojson(&path).unwrap()
        }),
        ("csv", load_csv(&csv_file(dir.path(), 2_000))),
    ] {
        let uid = layer.uid;
        let mut catalog = Catalog::default();
        catalog.insert(layer);
        let edits = [
            EditCommand::SetProperty { layer: uid, index: 3, key: "note".into(), value: Some(json!("edited é")) },
            EditCommand::SetProperty { layer: uid, index: 12, key: "n".into(), value: Some(json!(1.25)) },
            EditCommand::MoveFeature { layer: uid, index: 20, dx_deg: 0.5, dy_deg: -0.25 },
            EditCommand::DeleteFeature { layer: uid, index: 30 },
        ];
        for cmd in edits {
            let _undo = apply(&mut catalog, cmd).unwrap();
        }
        let layer = &catalog.layers[catalog.index_of(uid).unwrap()];
        let decodes = assert_same_save(what, layer);
        assert_eq!(layer.features.packed_count(), layer.features.len() - 3, "{what}");
        assert!(decodes <= 2, "{what}: {decodes} decoded besides the edited ones");
        let text = String::from_utf8(fast_save(layer).0).unwrap();
        assert!(text.contains(r#""note":"edited é""#), "{what}");
        // The saved file loads back to the edited layer.
        let back = dir.path().join(format!("back-{what}.geojson"));
        std::fs::write(&back, &text).unwrap();
        let reloaded = load_geojson(&back).unwrap();
        assert_eq!(reloaded.features.len(), layer.features.len(), "{what}");
        for i in [3, 12, 20, 29, 30] {
            let (a, b) = (reloaded.features.get(i).unwrap(), layer.features.get(i).unwrap());
            assert_eq!((&a.id, &a.properties, &a.geometry), (&b.id, &b.properties, &b.geometry), "{what} {i}");
        }
    }
}

#[test]
fn an_autosave_writes_the_same_bytes_without_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hard.geojson");
    std::fs::write(&path, collection(&hard_features(), "crlf")).unwrap();
    for (n, layer) in [load_geojson(&path).unwrap(), load_csv(&csv_file(dir.path(), 3_000))].into_iter().enumerate() {
        let want = decoded_save(&layer);
        // What the app hands its save and autosave workers.
        let copy = frontier_atlas::ui::jobs::snapshot(&layer);
        let store = frontier_atlas::io::recovery::RecoveryStore::new(dir.path().join(format!("recovery{n}")));
        let written = store.autosave(&copy, "test", &[]).unwrap();
        assert_eq!(std::fs::read(&written).unwrap(), want);
        let out = dir.path().join("saved.geojson");
        frontier_atlas::io::save::save_layer(&copy, &out).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), want);
        assert!(copy.features.decodes() <= 2 * 2, "{} decoded", copy.features.decodes());
        // Recovery reads the autosave back as the layer.
        let recovered = store.load(store.list().first().unwrap()).unwrap();
        assert_eq!(recovered.loaded.layer.features.len(), layer.features.len());
    }
}

/// A save is encoded on every core in runs of 4,096 features and written in order: a layer of
/// several runs, edited on both sides of the runs' edges (the first feature deleted, so the
/// file's first line comes from a decoded feature), saves the bytes one thread writes.
#[test]
fn a_save_encoded_in_runs_on_every_core_is_the_one_written_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let layer = load_csv(&csv_file(dir.path(), 13_000));
    let uid = layer.uid;
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    let edits = [
        EditCommand::DeleteFeature { layer: uid, index: 0 },
        EditCommand::SetProperty { layer: uid, index: 0, key: "note".into(), value: Some(json!("first")) },
        EditCommand::SetProperty { layer: uid, index: 4095, key: "note".into(), value: Some(json!("edge")) },
        EditCommand::MoveFeature { layer: uid, index: 4096, dx_deg: 0.5, dy_deg: -0.25 },
        EditCommand::DeleteFeature { layer: uid, index: 8191 },
        EditCommand::SetProperty { layer: uid, index: 12_990, key: "n".into(), value: Some(json!(1.25)) },
    ];
    for cmd in edits {
        let _undo = apply(&mut catalog, cmd).unwrap();
    }
    let layer = &catalog.layers[catalog.index_of(uid).unwrap()];
    assert_eq!(layer.features.len(), 12_998);
    assert!(assert_same_save("13k csv", layer) <= 4, "only the edited features decoded");
    let text = String::from_utf8(fast_save(layer).0).unwrap();
    assert!(text.starts_with("{\"type\":\"FeatureCollection\""), "{}", &text[..80]);
    assert_eq!(text.matches("\n{\"type\":\"Feature\"").count(), 12_998, "one feature a line");
    assert!(!text.contains("[,") && !text.contains(",\n,"), "no separator out of place");
}
