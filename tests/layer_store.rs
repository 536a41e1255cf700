//! The columnar layer store and the fast GeoJSON loader (issue 8): a file loaded the fast way
//! is the same layer as the value-tree loader makes of it — features, properties, layouts,
//! dates, categories, skipped lines and errors — and saves to the same bytes.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

#[path = "common/acled_gen.rs"]
mod acled_gen;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use frontier_atlas::io::geojson::{self, Loaded};
use frontier_atlas::io::geojson_fast;
use frontier_atlas::io::progress::Progress;

/// Loads `path` both ways and checks that the two results are the same.
fn assert_same_both_ways(path: &Path) -> Option<Loaded> {
    let slow = geojson::load_file(path);
    let fast = geojson_fast::load_file(path, &Progress::new());
    match (slow, fast) {
        (Ok(slow), Ok(mut fast)) => {
            fast.layer.uid = slow.layer.uid;
            assert_eq!(fast.skipped, slow.skipped, "{}: skipped lines", path.display());
            assert_eq!(format!("{:?}", fast.layer), format!("{:?}", slow.layer), "{}: layer", path.display());
            assert_eq!(fast.layer.categories, slow.layer.categories, "{}", path.display());
            assert_eq!(fast.layer.category_names, slow.layer.category_names, "{}", path.display());
            assert_eq!(fast.layer.layout, slow.layer.layout, "{}", path.display());
            assert_eq!(fast.layer.label_field, slow.layer.label_field, "{}", path.display());
            let spans = |l: &frontier_atlas::model::Layer| {
                (0..l.features.len()).map(|i| l.features.span(i)).collect::<Vec<_>>()
            };
            assert_eq!(spans(&fast.layer), spans(&slow.layer), "{}: spans", path.display());
            assert_eq!(
                fast.layer.time_index.as_ref().map(frontier_atlas::time::TimeIndex::len),
                slow.layer.time_index.as_ref().map(frontier_atlas::time::TimeIndex::len),
                "{}: time index",
                path.display()
            );
            // Saves are byte-identical.
            let dir = tempfile::tempdir().unwrap();
            let (a, b) = (dir.path().join("slow.geojson"), dir.path().join("fast.geojson"));
            frontier_atlas::io::save::save_layer(&slow.layer, &a).unwrap();
            frontier_atlas::io::save::save_layer(&fast.layer, &b).unwrap();
            assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{}: saved bytes", path.display());
            Some(fast)
        }
        (Err(slow), Err(fast)) => {
            assert_eq!(fast.to_string(), slow.to_string(), "{}: error", path.display());
            None
        }
        (slow, fast) => panic!(
            "{}: one loader failed: slow {:?} / fast {:?}",
            path.display(),
            slow.map(|l| l.layer.features.len()),
            fast.map(|l| l.layer.features.len())
        ),
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))];
    stack.push(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata")));
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "geojson" || e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_fixture_and_shipped_file_loads_the_same_both_ways() {
    let files = fixtures();
    assert!(files.len() >= 30, "only {} files", files.len());
    let mut packed = 0;
    for path in &files {
        if let Some(loaded) = assert_same_both_ways(path) {
            packed += loaded.layer.features.packed_count();
        }
    }
    assert!(packed > 1000, "the fast path packed only {packed} features");
}

/// Odd but valid (or invalid) files, each loaded both ways.
#[test]
fn odd_files_load_the_same_both_ways() {
    let cases: &[(&str, &str)] = &[
        (
            "bom",
            "\u{feff}{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{\"a\":1}}]}",
        ),
        (
            "features first, foreign after",
            "{\"features\":[\n  {\"type\":\"Feature\",\"id\":7,\"geometry\":null,\"properties\":null,\"x\":[1,{\"y\":\"]}\"}]}\n ],\"name\":\"n\",\"type\":\"FeatureCollection\",\"bbox\":[1,2,3,4]}",
        ),
        ("empty", "{\"type\":\"FeatureCollection\",\"features\":[]}"),
        ("empty spaced", "{ \"type\" : \"FeatureCollection\" , \"features\" : [ \r\n ] }\n"),
        (
            "escaped key and strings",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70.0000000000001,38.10]},\"properties\":{\"na\\u006de\":\"a \\\"q\\\" \\\\ }\",\"event_type\":\"x\"}}]}",
        ),
        (
            "duplicate member",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":1,\"a\":2}}]}",
        ),
        (
            "bad geometry skipped",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[270,38]},\"properties\":{}},{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{}}]}",
        ),
        (
            "not a feature",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Point\",\"coordinates\":[70,38]},{\"type\":\"Feature\",\"geometry\":null,\"properties\":{}}, 5]}",
        ),
        (
            "syntax error",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":1,}}]}",
        ),
        (
            "missing comma",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":null,\"properties\":{}} {\"type\":\"Feature\",\"geometry\":null,\"properties\":{}}]}",
        ),
        ("trailing garbage", "{\"type\":\"FeatureCollection\",\"features\":[]} x"),
        ("truncated", "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":null,"),
        (
            "not a collection",
            "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{\"a\":1}}",
        ),
        (
            "projected crs",
            "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3857\"}},\"features\":[]}",
        ),
        (
            "events with bad and missing dates",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"e1\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38,1200]},\"properties\":{\"event_date\":\"2021-02-30\",\"event_type\":\"Battles\"}},{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{\"event_type\":\"Riots\"}},{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{\"event_date\":\"2021-03-04\",\"time_precision\":3,\"event_type\":\"Battles\"}}]}",
        ),
        (
            "aid",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{\"donor\":\"China\",\"aid_type\":\"facility\",\"start\":\"2021-05\",\"end\":\"2019\"}},{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[71,38]},\"properties\":{\"donor\":\"USA\",\"aid_type\":\"training\",\"announced\":\"2022-13-01\"}}]}",
        ),
        (
            "kind from a later feature",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{}},{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{\"event_date\":\"2021\",\"event_type\":\"Riots\"}}]}",
        ),
        (
            "polygon and collection",
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":\"Polygon\",\"coordinates\":[[[70,38],[71,38],[71,39],[70,38]]]},{\"type\":\"LineString\",\"coordinates\":[[70,38],[71,39]]}]},\"properties\":{\"shapeName\":\"X\"}}]}",
        ),
        ("not json at all", "hello"),
        ("a bare array", "[1,2]"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (what, text)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.geojson"));
        std::fs::write(&path, text).unwrap();
        println!("case {i}: {what}");
        assert_same_both_ways(&path);
    }
}

/// GDAL and QGIS write a space after every colon and put members on their own lines: such a
/// file takes the fast path (the value-tree loader would give the same layer, so only the
/// packed count tells the paths apart).
#[test]
fn a_gdal_style_spaced_file_is_read_by_the_fast_path() {
    let text = "{\n\"type\": \"FeatureCollection\",\n\"name\" : \"x\",\n\"crs\": { \"type\": \"name\", \"properties\": { \"name\": \"urn:ogc:def:crs:OGC:1.3:CRS84\" } },\n\"features\": [\n{ \"type\": \"Feature\", \"properties\": { \"shapeName\": \"A\" }, \"geometry\": { \"type\": \"Point\", \"coordinates\": [ 70.1, 38.2 ] } },\n{ \"type\": \"Feature\", \"properties\": { \"shapeName\": \"B\" }, \"geometry\": { \"type\": \"Point\", \"coordinates\": [ 70.3, 38.4 ] } }\n]\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gdal.geojson");
    std::fs::write(&path, text).unwrap();
    let loaded = assert_same_both_ways(&path).unwrap();
    assert_eq!(loaded.layer.features.packed_count(), 2, "read by the fast path");
}

#[test]
fn a_generated_10k_events_file_loads_the_same_both_ways_and_packed() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    let mut bytes = Vec::new();
    acled_gen::generate_acled_csv(10_000, 11, &mut bytes).unwrap();
    std::fs::write(&csv, &bytes).unwrap();
    let out = dir.path().join("events.geojson");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .args(["import", "acled"])
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let loaded = assert_same_both_ways(&out).expect("loads");
    assert_eq!(loaded.layer.features.len(), 10_000);
    assert_eq!(loaded.layer.features.packed_count(), 10_000, "every feature kept packed");
    assert!(loaded.layer.time_index.as_ref().is_some_and(|t| t.len() == 10_000));
}

#[test]
fn an_edit_of_a_packed_feature_keeps_the_others_packed_and_saves_them_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.geojson");
    std::fs::write(
        &path,
        "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"id\":1,\"geometry\":{\"type\":\"Point\",\"coordinates\":[70.10,38]},\"properties\":{\"n\":1.50}},\n{\"type\":\"Feature\",\"id\":2,\"geometry\":{\"type\":\"Point\",\"coordinates\":[71,38]},\"properties\":{\"n\":2}}\n]}\n",
    )
    .unwrap();
    let mut loaded = geojson_fast::load_file(&path, &Progress::new()).unwrap();
    assert_eq!(loaded.layer.features.packed_count(), 2);
    loaded.layer.features.get_mut(1).unwrap().properties.insert("n".to_owned(), serde_json::json!(3));
    assert_eq!(loaded.layer.features.packed_count(), 1);
    let out = dir.path().join("out.geojson");
    frontier_atlas::io::save::save_layer(&loaded.layer, &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("[70.10,38]") && text.contains("\"n\":1.50"), "{text}");
    assert!(text.contains("\"n\":3"), "{text}");
}

/// The user's whole path at a size whose saves go past the page cache (`io::direct`, blocks
/// of 8 MiB): a 17 MB export imported, opened, one event edited, saved, opened again. The saved
/// file is the file opened but for the edited event's line, and reads back with the edit.
#[test]
fn an_edit_of_one_event_in_a_big_layer_saves_every_other_line_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    let mut bytes = Vec::new();
    acled_gen::generate_acled_csv(20_000, 11, &mut bytes).unwrap();
    std::fs::write(&csv, bytes).unwrap();
    let path = dir.path().join("events.geojson");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .args(["import", "acled"])
        .arg(&csv)
        .arg("--out")
        .arg(&path)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let before = std::fs::read_to_string(&path).unwrap();
    assert!(before.len() > 16 << 20, "{} bytes: not several blocks", before.len());
    let mut loaded = geojson_fast::load_file(&path, &Progress::new()).unwrap();
    let edited = 12_345;
    loaded.layer.features.get_mut(edited).unwrap().properties.insert("notes".to_owned(), serde_json::json!("checked"));
    let out = dir.path().join("saved.geojson");
    frontier_atlas::io::save::save_layer(&loaded.layer, &out).unwrap();
    let after = std::fs::read_to_string(&out).unwrap();
    let differ: Vec<usize> =
        before.lines().zip(after.lines()).enumerate().filter(|(_, (a, b))| a != b).map(|(i, _)| i).collect();
    assert_eq!(before.lines().count(), after.lines().count());
    // The first line opens the collection: event i is on line i + 1 (from 0).
    assert_eq!(differ, [edited + 1], "lines that differ");
    let again = geojson_fast::load_file(&out, &Progress::new()).unwrap();
    let feature = again.layer.features.get(edited).unwrap();
    assert_eq!(feature.properties.get("notes"), Some(&serde_json::json!("checked")));
}

#[test]
fn a_cancelled_fast_load_returns_no_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for i in 0..50_000 {
        if i > 0 {
            text.push_str(",\n");
        }
        let _ = write!(
            text,
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[70.{i},38]}},\"properties\":{{\"i\":{i},\"pad\":\"{}\"}}}}",
            "x".repeat(200)
        );
    }
    text.push_str("\n]}\n");
    let path = dir.path().join("big.geojson");
    std::fs::write(&path, text).unwrap();
    let progress = Progress::cancel_after_features(1);
    let err = geojson_fast::load_file(&path, &progress).expect_err("cancelled");
    assert!(err.to_string().contains("cancelled"), "{err}");
    let progress = Progress::new();
    let loaded = geojson_fast::load_file(&path, &progress).unwrap();
    assert_eq!(loaded.layer.features.len(), 50_000);
    let snap = progress.snapshot();
    assert_eq!(snap.features, 50_000);
    assert_eq!(snap.bytes_done, std::fs::metadata(&path).unwrap().len(), "the whole file");
}

/// An ACLED CSV opened the streaming, packed way is the layer the GeoJSON-text way made.
fn assert_same_acled(path: &Path) {
    use frontier_atlas::io::acled_layer;
    let slow = acled_layer::load(path);
    let fast = acled_layer::load_packed(path, &Progress::new());
    match (slow, fast) {
        (Ok(slow), Ok(mut fast)) => {
            fast.layer.uid = slow.layer.uid;
            assert_eq!(fast.skipped, slow.skipped, "{}", path.display());
            assert_eq!(format!("{:?}", fast.layer), format!("{:?}", slow.layer), "{}", path.display());
            assert_eq!(fast.layer.categories, slow.layer.categories);
            assert_eq!(fast.layer.category_names, slow.layer.category_names);
            assert_eq!(fast.layer.layout, slow.layer.layout);
            let spans = |l: &frontier_atlas::model::Layer| {
                (0..l.features.len()).map(|i| l.features.span(i)).collect::<Vec<_>>()
            };
            assert_eq!(spans(&fast.layer), spans(&slow.layer));
            assert_eq!(fast.layer.features.packed_count(), fast.layer.features.len());
        }
        (Err(slow), Err(fast)) => assert_eq!(fast, slow),
        (slow, fast) => panic!("{}: slow {:?} / fast {:?}", path.display(), slow.is_ok(), fast.is_ok()),
    }
}

#[test]
fn acled_csv_files_open_packed_as_the_same_layer() {
    assert_same_acled(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/acled/hostile.csv")));
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    let mut bytes = Vec::new();
    acled_gen::generate_acled_csv(10_000, 5, &mut bytes).unwrap();
    std::fs::write(&csv, &bytes).unwrap();
    assert_same_acled(&csv);
    // The File → Open path takes the packed loader.
    let loaded = frontier_atlas::io::open::open_layers(&csv).unwrap().remove(0);
    assert_eq!(loaded.layer.features.packed_count(), 10_000);
}

#[test]
fn the_kind_found_in_a_later_chunk_is_the_same_as_the_value_tree_loaders() {
    // 40k features without properties (more than a chunk), then events.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for i in 0..40_000 {
        let _ = writeln!(
            text,
            "{{\"type\":\"Feature\",\"id\":\"p{i}\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[70.{i},38]}},\"properties\":{{}},\"pad\":\"{}\"}},",
            "y".repeat(200)
        );
    }
    text.push_str("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[70,38]},\"properties\":{\"event_date\":\"2021-05-01\",\"event_type\":\"Riots\"}},\n");
    text.push_str("{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"event_date\":\"2021-05\",\"event_type\":\"Battles\"}}\n]}\n");
    let path = dir.path().join("late.geojson");
    std::fs::write(&path, text).unwrap();
    let loaded = assert_same_both_ways(&path).unwrap();
    assert_eq!(loaded.layer.kind, frontier_atlas::model::LayerKind::Events);
    assert_eq!(loaded.skipped.len(), 40_000);
}
