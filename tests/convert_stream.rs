//! `convert` streams GeoJSON collections and ACLED CSVs (issue 8): its output equals the
//! whole-layer conversion's — byte for byte for GeoJSON, table by table through the app's
//! reader (and the GeoPackage metadata) for GeoPackage — on every fixture and on a generated
//! 10k file, with the same reports and the same refusals; a bad feature in the middle writes
//! nothing and leaves the previous output as it was.
//!
//! The whole-layer conversion is what `convert_layer` does when a layer is named
//! (`--layer NAME`): that path reads the whole file as before.

#![expect(
    clippy::unwrap_used,
    clippy::format_push_string,
    clippy::explicit_iter_loop,
    reason = "test helpers unwrap and build texts like #[test] functions do"
)]

#[path = "common/acled_gen.rs"]
mod acled_gen;

use std::path::{Path, PathBuf};

use frontier_atlas::io::acled::{GeoJsonWriter, open_acled};
use frontier_atlas::io::convert::{BadRows, ConvertReport, convert_layer};
use frontier_atlas::io::gpkg::read_gpkg_tables;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every GeoJSON and CSV fixture that `convert` takes.
fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["tests/fixtures/roundtrip", "tests/fixtures/gpkg", "tests/fixtures/validate", "tests/fixtures/acled"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "geojson" || e == "csv"))
            .collect();
        files.sort();
        out.extend(files);
    }
    assert!(out.len() > 20, "{out:?}");
    out
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The report without its paths, and the error as its message.
fn outcome(result: Result<ConvertReport, frontier_atlas::io::convert::ConvertError>, out: &Path) -> String {
    match result {
        Ok(r) => format!("layers {:?}\nproblems {:#?}\nlossy {:#?}", r.layers, r.problems, r.lossy),
        // The message names the output: name the same file in both.
        Err(e) => format!("error {}", e.to_string().replace(&out.display().to_string(), "OUT")),
    }
}

/// Everything the app reads back from a GeoPackage, and its metadata (all but the time of
/// writing), as text.
fn gpkg_text(path: &Path) -> String {
    let tables = read_gpkg_tables(path).unwrap();
    let mut out = String::new();
    for l in tables.layers.iter().chain(&tables.attributes) {
        out += &format!("layer {} kind {:?} skipped {:?}\n", l.layer.name, l.layer.kind, l.skipped);
        out += &format!("members {:?}\n", l.layer.foreign_members);
        for f in l.layer.features.iter() {
            out += &format!("{:?} {:?} {:?} {:?} {:?}\n", f.id, f.geometry, f.properties, f.foreign_members, f.time);
        }
    }
    assert!(tables.unreadable.is_empty());
    let conn = rusqlite::Connection::open(path).unwrap();
    for sql in [
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid",
        "SELECT table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents",
        "SELECT * FROM gpkg_geometry_columns",
        "SELECT srs_id, definition FROM gpkg_spatial_ref_sys",
    ] {
        let mut st = conn.prepare(sql).unwrap();
        let n = st.column_count();
        let rows: Vec<String> = st
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out += &format!("{sql}\n{}\n", rows.join("\n"));
    }
    // The reader's messages name the file.
    out.replace(&path.display().to_string(), "OUT")
}

/// Converts `input` to `ext` streamed and whole; both must give the same result.
fn same_both_ways(input: &Path, ext: &str, bad_rows: BadRows) -> String {
    let dir = tempfile::tempdir().unwrap();
    let streamed = dir.path().join(format!("streamed.{ext}"));
    let whole = dir.path().join(format!("whole.{ext}"));
    let a = outcome(convert_layer(input, &streamed, None, bad_rows), &streamed);
    let b = outcome(convert_layer(input, &whole, Some(&stem(input)), bad_rows), &whole);
    assert_eq!(a, b, "{}", input.display());
    assert_eq!(streamed.exists(), whole.exists(), "{}", input.display());
    if streamed.exists() {
        if ext == "gpkg" {
            assert_eq!(gpkg_text(&streamed), gpkg_text(&whole), "{}", input.display());
        } else {
            let (s, w) = (std::fs::read(&streamed).unwrap(), std::fs::read(&whole).unwrap());
            assert!(
                s == w,
                "{}:\n{}\n---\n{}",
                input.display(),
                String::from_utf8_lossy(&s),
                String::from_utf8_lossy(&w)
            );
        }
    }
    // Nothing left behind but the outputs.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.len() <= 2, "{left:?}");
    a
}

#[test]
fn every_fixture_converts_streamed_as_it_converts_whole() {
    let mut converted = 0;
    for input in fixtures() {
        for ext in ["gpkg", "geojson"] {
            for bad_rows in [BadRows::Fail, BadRows::Skip] {
                converted += usize::from(same_both_ways(&input, ext, bad_rows).starts_with("layers"));
            }
        }
    }
    // Most fixtures convert; the invalid ones are refused the same way.
    assert!(converted > 40, "{converted}");
}

/// A collection with what the streamed path must keep or report exactly as the whole one:
/// members after `features`, features without properties before the first event (an events
/// layer then reports them), integers and decimals in one column, string and numeric ids,
/// nested values, Z, foreign members, a feature the loader skips, a date it cannot read.
const ODD: &str = r#"{"name":"odd","type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[69.1,37.2]},"properties":{}},
{"type":"Feature","id":7,"geometry":null,"properties":null,"extra":{"a":[1,2]}},
{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[69.5,37.5,120.5]},"properties":{"event_date":"2021-03-04","event_type":"Battles","n":1,"nested":{"k":[1,"two"]}}},
{"type":"Feature","id":2.5,"geometry":{"type":"LineString","coordinates":[[69,37],[70,38]]},"properties":{"event_date":"not a date","event_type":"Riots","n":2.5,"fid":"taken"}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[69,37],[70,37],[70,38],[69,37]]]},"properties":{"event_date":"2021-05","event_type":"Protests","n":null,"":"empty key"}}
],"bbox":[69,37,70,38],"note":"after the features"}
"#;

#[test]
fn odd_collections_convert_streamed_as_they_convert_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.geojson");
    std::fs::write(&path, ODD).unwrap();
    for ext in ["gpkg", "geojson"] {
        let fail = same_both_ways(&path, ext, BadRows::Fail);
        assert!(fail.contains("feature #1: no event_date") && fail.contains("not a date"), "{fail}");
        let skip = same_both_ways(&path, ext, BadRows::Skip);
        assert!(skip.starts_with("layers [(\"odd\", 5)]"), "{skip}");
    }
    // A geometry the loader cannot use (coordinates out of range) is reported: the validator
    // refuses it first, in both.
    std::fs::write(&path, ODD.replace("[69.1,37.2]", "[69.1,97.2]")).unwrap();
    let out = same_both_ways(&path, "gpkg", BadRows::Skip);
    assert!(out.starts_with("error"), "{out}");
    // A projected `crs` on a feature is refused by both.
    std::fs::write(
        &path,
        ODD.replace("\"extra\"", "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:3857\"}},\"extra\""),
    )
    .unwrap();
    let out = same_both_ways(&path, "gpkg", BadRows::Skip);
    assert!(out.starts_with("error") && out.contains("3857"), "{out}");
}

/// A generated ACLED export of `rows` rows as CSV and as the GeoJSON `import acled` writes.
fn generated(dir: &Path, rows: usize) -> (PathBuf, PathBuf) {
    let csv = dir.join(format!("acled-{rows}.csv"));
    let geojson = dir.join(format!("acled-{rows}.geojson"));
    let mut text = Vec::new();
    acled_gen::generate_acled_csv(rows, 8, &mut text).unwrap();
    std::fs::write(&csv, &text).unwrap();
    let mut writer = GeoJsonWriter::new(Vec::new()).unwrap();
    open_acled(&csv).unwrap().stream_rows(|row| writer.row(&row)).unwrap();
    std::fs::write(&geojson, writer.finish().unwrap()).unwrap();
    (csv, geojson)
}

#[test]
fn a_generated_10k_export_converts_streamed_as_it_converts_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, geojson) = generated(dir.path(), 10_000);
    for input in [&csv, &geojson] {
        for ext in ["gpkg", "geojson"] {
            let out = same_both_ways(input, ext, BadRows::Skip);
            assert!(out.starts_with("layers [(\"acled-10000\", 10000)]"), "{out}");
        }
    }
}

#[test]
fn a_bad_feature_in_the_middle_writes_nothing_and_keeps_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, geojson) = generated(dir.path(), 10_000);
    let text = std::fs::read_to_string(&geojson).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let middle = lines.len() / 2;
    for ext in ["gpkg", "geojson"] {
        let out = dir.path().join(format!("out.{ext}"));
        convert_layer(&geojson, &out, None, BadRows::Fail).unwrap();
        let before = std::fs::read(&out).unwrap();
        // A position out of range (the validator refuses it) and an unreadable event date (the
        // loader reports it; without --skip-bad nothing is written).
        for (bad, want) in [
            (lines[middle].replacen("\"coordinates\":[", "\"coordinates\":[500,", 1), "longitude 500"),
            (lines[middle].replacen("\"event_date\":\"", "\"event_date\":\"20x", 1), "nothing written"),
        ] {
            let mut broken = lines.clone();
            broken[middle] = &bad;
            let input = dir.path().join("broken.geojson");
            std::fs::write(&input, broken.join("\n")).unwrap();
            let e = convert_layer(&input, &out, None, BadRows::Fail).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
            assert!(e.contains(&format!("{}:{}:", input.display(), middle + 1)) || want != "longitude 500", "{e}");
            assert_eq!(std::fs::read(&out).unwrap(), before, "the old output is unchanged");
            let names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert!(names.iter().all(|n| !n.contains(".tmp-")), "temporary files left: {names:?}");
        }
        // A bad CSV row likewise.
        let rows = std::fs::read_to_string(&csv).unwrap();
        let mut rows: Vec<String> = rows.lines().map(str::to_owned).collect();
        let middle = rows.len() / 2;
        rows[middle] = rows[middle].replacen(',', ",,", 1);
        let bad_csv = dir.path().join("broken.csv");
        std::fs::write(&bad_csv, rows.join("\n")).unwrap();
        let e = convert_layer(&bad_csv, &out, None, BadRows::Fail).unwrap_err().to_string();
        assert!(e.contains(&format!("{}:{}:", bad_csv.display(), middle + 1)) && e.contains("nothing written"), "{e}");
        assert_eq!(std::fs::read(&out).unwrap(), before);
    }
}
