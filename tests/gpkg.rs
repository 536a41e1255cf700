//! GeoPackage read/write: exact round trips, GDAL reading our files, us reading GDAL's.
//!
//! The GDAL tests need `ogrinfo`/`ogr2ogr` (Debian package `gdal-bin`, which `.ci/run`
//! installs). Under `CI=true` a missing GDAL fails them; elsewhere `build.rs` marks them
//! ignored when GDAL is missing, so `cargo test` says what it did not run.

use std::path::{Path, PathBuf};
use std::process::Command;

use frontier_atlas::io::geojson::load_file;
use frontier_atlas::io::gpkg::{GpkgError, read_gpkg, write_gpkg};
use frontier_atlas::model::{FeatureId, FeatureStore, Layer};
use serde_json::Value;

mod json_eq;
use json_eq::same;

#[path = "common/gdal.rs"]
mod gdal;
use gdal::gdal;

#[cfg(unix)]
#[path = "common/child.rs"]
mod child;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpkg").join(name)
}

fn load(name: &str) -> Layer {
    let loaded = load_file(&fixture(name)).expect("fixture loads");
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    loaded.layer
}

fn assert_same_features(want: &FeatureStore, got: &FeatureStore, what: &str) {
    assert_eq!(want.len(), got.len(), "{what}: feature count");
    for (w, g) in want.iter().zip(got) {
        assert_eq!(w.id, g.id, "{what}: id");
        let (wg, gg) = (w.geometry.clone().unwrap_or(Value::Null), g.geometry.clone().unwrap_or(Value::Null));
        assert!(same(&wg, &gg), "{what}: geometry\n want {wg}\n got  {gg}");
        let (wp, gp) = (Value::Object(w.properties.clone()), Value::Object(g.properties.clone()));
        assert!(same(&wp, &gp), "{what}: properties (values and order)\n want {wp}\n got  {gp}");
    }
}

fn write_three(dir: &Path) -> (PathBuf, [Layer; 3]) {
    let layers = [load("places.geojson"), load("rivers.geojson"), load("districts.geojson")];
    let path = dir.join("frontier.gpkg");
    write_gpkg(&path, &layers.iter().collect::<Vec<_>>()).expect("write gpkg");
    (path, layers)
}

/// Found by a new user: a 100,000-row GeoPackage took 1.2 GB and 4.4 s to open (every feature
/// held as a `Value` tree, then the whole collection's text parsed into another), ten times
/// the memory of the GeoJSON file with the same events. A table's features are packed into the
/// layer's store as a GeoJSON file's are: the same features, kept as text until one is needed.
#[test]
fn a_tables_features_are_packed_as_a_geojson_files_are() {
    let dir = tempfile::tempdir().unwrap();
    let (path, layers) = write_three(dir.path());
    let back = read_gpkg(&path).unwrap();
    for (want, got) in layers.iter().zip(&back) {
        assert!(got.layer.features.len() > 1, "{}", want.name);
        assert!(
            (0..got.layer.features.len()).all(|i| got.layer.features.is_packed(i)),
            "{}: features held decoded",
            want.name
        );
        assert_same_features(&want.features, &got.layer.features, &want.name);
        assert_eq!(want.label_field, got.layer.label_field, "{}", want.name);
    }
}

#[test]
fn round_trip_keeps_features_ids_coordinates_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, layers) = write_three(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..16], b"SQLite format 3\0");
    assert_eq!(&bytes[68..72], b"GPKG", "application_id");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");

    let back = read_gpkg(&path).unwrap();
    let names: Vec<&str> = back.iter().map(|l| l.layer.name.as_str()).collect();
    assert_eq!(names, ["places", "rivers", "districts"]);
    for (want, got) in layers.iter().zip(&back) {
        assert!(got.skipped.is_empty(), "{:?}", got.skipped);
        assert_same_features(&want.features, &got.layer.features, &want.name);
        assert_eq!(want.kind, got.layer.kind, "kind inferred the same way");
    }
    // Spot checks: integer ids are fids, string ids survive, JSON values come back as JSON,
    // booleans as booleans, Z values kept.
    let rivers = &back[1].layer;
    assert_eq!(rivers.features.get(0).unwrap().id, Some(FeatureId::Str("R-PANJ".into())));
    assert_eq!(rivers.features.get(0).unwrap().properties["tags"], serde_json::json!(["border", "Amu Darya"]));
    assert_eq!(rivers.features.get(1).unwrap().geometry.as_ref().unwrap()["coordinates"][0][2], 500.0);
    assert_eq!(back[0].layer.features.get(0).unwrap().properties["capital"], Value::Bool(true));
    assert_eq!(back[2].layer.features.get(0).unwrap().id, None, "features without ids stay without ids");
    assert_eq!(back[2].layer.label_field.as_deref(), Some("shapeName"));
}

#[test]
fn other_coordinate_systems_are_refused_naming_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_three(dir.path());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 / Pseudo-Mercator', 3857, 'EPSG', 3857, 'PROJCS[...]', '');
         UPDATE gpkg_geometry_columns SET srs_id = 3857 WHERE table_name = 'rivers';
         UPDATE gpkg_contents SET srs_id = 3857 WHERE table_name = 'rivers';",
    )
    .unwrap();
    drop(conn);
    // The other tables still load; the refused one is reported, naming it and its system.
    let back = read_gpkg(&path).unwrap();
    assert_eq!(back.iter().map(|l| l.layer.name.as_str()).collect::<Vec<_>>(), ["places", "districts"]);
    let msg = back[0].skipped.join("\n");
    assert!(msg.contains("`rivers`") && msg.contains("3857") && msg.contains("Pseudo-Mercator"), "{msg}");
    let tables = frontier_atlas::io::gpkg::read_gpkg_tables(&path).unwrap();
    let err = tables.unreadable_table("rivers").expect("rivers is unreadable");
    assert!(matches!(err, GpkgError::UnsupportedSrs { srs_id: 3857, .. }), "{err:?}");
}

#[test]
fn blobs_dates_and_bad_geometries_are_read_with_notes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.gpkg");
    write_gpkg(&path, &[&load("places.geojson")]).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "ALTER TABLE places ADD COLUMN raw BLOB; ALTER TABLE places ADD COLUMN seen DATE;
         UPDATE places SET raw = x'666f6f', seen = '2021-07-05' WHERE fid = 1;
         UPDATE places SET geom = x'4750000100000000' WHERE fid = 2;",
    )
    .unwrap();
    drop(conn);
    let back = read_gpkg(&path).unwrap().remove(0);
    assert_eq!(back.layer.features.len(), 2, "the broken geometry is skipped");
    let first = &back.layer.features.get(0).unwrap();
    assert_eq!(first.properties["raw"], "Zm9v");
    assert_eq!(first.properties["seen"], "2021-07-05");
    assert!(back.skipped.iter().any(|s| s.contains("fid 2 skipped")), "{:?}", back.skipped);
    assert!(back.skipped.iter().any(|s| s.contains("BLOB column `raw`")), "{:?}", back.skipped);
}

/// The child of `a_write_failing_mid_way_keeps_the_old_file_and_leaves_nothing_behind`.
const FULL_DISK_TARGET: &str = "FRONTIER_ATLAS_GPKG_FULL_DISK_TARGET";

/// Not a real test: run under a 64 KiB file-size cap by the test below; writes a GeoPackage of
/// about 1 MB over the target, which must fail part-way through.
#[test]
#[ignore = "child process helper; run by a_write_failing_mid_way_keeps_the_old_file_and_leaves_nothing_behind"]
fn full_disk_child_writer() {
    let Some(target) = std::env::var_os(FULL_DISK_TARGET) else { return };
    let target = PathBuf::from(target);
    let mut big = load("places.geojson");
    let template = big.features.get(0).unwrap().into_owned();
    big.features = (0_u32..5_000)
        .map(|i| {
            let mut f = template.clone();
            f.id = Some(FeatureId::Num((i + 1).into()));
            f.properties.insert("name".to_owned(), Value::String(format!("Place {i} {}", "x".repeat(120))));
            f
        })
        .collect();
    let err = write_gpkg(&target, &[&big]).expect_err("a 1 MB write under a 64 KiB cap must fail");
    let msg = err.to_string();
    assert!(msg.contains(&target.display().to_string()), "the message names the file: {msg}");
    println!("child error: {msg}");
}

/// A write that fails part-way (the disk fills up: a file-size cap, which binds root too)
/// returns an error naming the file, keeps the old GeoPackage byte for byte and leaves no
/// temporary or journal file.
#[cfg(unix)]
#[test]
fn a_write_failing_mid_way_keeps_the_old_file_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_three(dir.path());
    let old = std::fs::read(&path).unwrap();
    let out = child::run_child_test(
        child::with_file_size_limit(64),
        "full_disk_child_writer",
        &[(FULL_DISK_TARGET, path.as_os_str())],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("child error: "), "the child did not try the write:\n{stdout}");
    assert!(std::fs::read(&path).unwrap() == old, "the old GeoPackage changed");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, [path.file_name().unwrap()], "files left behind");
    assert_eq!(read_gpkg(&path).unwrap().len(), 3, "the old file still reads");
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run GDAL");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed: {stderr}");
    assert!(!stderr.contains("Warning") && !stderr.contains("ERROR"), "{cmd:?} complained: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
#[cfg_attr(missing_gdal, ignore = "needs GDAL's ogrinfo/ogr2ogr (apt-get install gdal-bin)")]
fn gdal_reads_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_three(dir.path());
    let summary = run(gdal("ogrinfo").args(["-al", "-so"]).arg(&path));
    for want in [
        "Layer name: places",
        "Geometry: Point",
        "Layer name: rivers",
        "Geometry: 3D Line String",
        "Layer name: districts",
        "Geometry: Unknown (any)",
        "Extent: (68.786400, 37.116700) - (71.553100, 38.559800)",
        "ID[\"EPSG\",4326]",
        "FID Column = fid",
        "Geometry Column = geom",
        "name: String",
        "population: Integer64",
        "elevation_m: Real",
        "capital: Integer(Boolean)",
        "tags: String(JSON)",
        "id: String",
        "area_km2: Integer64",
    ] {
        assert!(summary.contains(want), "`{want}` not in ogrinfo -so output:\n{summary}");
    }
    assert_eq!(summary.matches("Feature Count: 3").count(), 1, "{summary}");
    assert_eq!(summary.matches("Feature Count: 2").count(), 2, "{summary}");

    let full = run(gdal("ogrinfo").arg("-al").arg(&path));
    for want in [
        "OGRFeature(places):1",
        "name (String) = Душанбе",
        "name (String) = فیض‌آباد",
        "population (Integer64) = 863400",
        "elevation_m (Real) = 1200.125",
        "note (String) = (null)",
        "POINT (68.7864 38.5598)",
        "id (String) = R-VAKHSH",
        "LINESTRING Z (69.6 38.2 500,68.9 37.6 350.5)",
        "POLYGON ((70 37,71 37,71 38,70 38,70 37),(70.25 37.25,70.5 37.25,70.5 37.5,70.25 37.25))",
        "MULTIPOLYGON",
    ] {
        assert!(full.contains(want), "`{want}` not in ogrinfo -al output:\n{full}");
    }
}

#[test]
#[cfg_attr(missing_gdal, ignore = "needs GDAL's ogrinfo/ogr2ogr (apt-get install gdal-bin)")]
fn we_read_what_gdal_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gdal.gpkg");
    run(gdal("ogr2ogr").args(["-f", "GPKG"]).arg(&path).arg(fixture("places.geojson")));
    run(gdal("ogr2ogr")
        .args(["-update", "-f", "GPKG", "-nln", "districts"])
        .arg(&path)
        .arg(fixture("districts.geojson")));
    let back = read_gpkg(&path).unwrap();
    assert_eq!(back.iter().map(|l| l.layer.name.as_str()).collect::<Vec<_>>(), ["places", "districts"]);

    // Points with integer ids: GDAL keeps them as fids, which become the ids again.
    let places = load("places.geojson");
    assert!(back[0].skipped.is_empty(), "{:?}", back[0].skipped);
    assert_same_features(&places.features, &back[0].layer.features, "GDAL places");

    // Polygons without ids: GDAL numbers them; everything else is the same.
    let districts = load("districts.geojson");
    let got = &back[1].layer.features;
    assert_eq!(got.iter().map(|f| f.id.clone()).collect::<Vec<_>>(), [1, 2].map(|n| Some(FeatureId::Num(n.into()))));
    let mut without_ids = got.clone();
    for f in &mut without_ids {
        f.id = None;
    }
    assert_same_features(&districts.features, &without_ids, "GDAL districts");
}
