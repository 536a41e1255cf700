//! `frontier-atlas convert`: round trips through GeoPackage and CSV, and how bad input is
//! reported (exit 1, `FILE:LINE:COL: message`, nothing written).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use frontier_atlas::io::geojson::load_file;
use frontier_atlas::model::{FeatureId, Layer};
use serde_json::Value;

mod json_eq;
use json_eq::same;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpkg").join(name)
}

fn convert(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas")).arg("convert").args(args).output().expect("run binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn load(path: &Path) -> Layer {
    let loaded = load_file(path).expect("output loads");
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    loaded.layer
}

fn assert_same_layer(want: &Layer, got: &Layer) {
    assert_eq!(want.features.len(), got.features.len());
    for (w, g) in want.features.iter().zip(&got.features) {
        assert_eq!(w.id, g.id);
        assert!(
            same(w.geometry.as_ref().expect("geometry"), g.geometry.as_ref().expect("geometry")),
            "{:?} vs {:?}",
            w.geometry,
            g.geometry
        );
        let (wp, gp) = (Value::Object(w.properties.clone()), Value::Object(g.properties.clone()));
        assert!(same(&wp, &gp), "want {wp}\n got {gp}");
    }
}

#[test]
fn geojson_to_gpkg_to_geojson_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["places", "rivers", "districts"] {
        let src = fixture(&format!("{name}.geojson"));
        let gpkg = dir.path().join(format!("{name}.gpkg"));
        let back = dir.path().join(format!("{name}.geojson"));
        let out = convert(&[&src, &gpkg]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains(&format!("layer `{name}`")), "{}", text(&out.stdout));
        let out = convert(&[&gpkg, &back]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(frontier_atlas::io::validate::validate_bytes(&std::fs::read(&back).unwrap()).is_empty());
        assert_same_layer(&load(&src), &load(&back));
    }
    // The collection's `name` member cannot go into a GeoPackage, and the report says so.
    let out = convert(&[&fixture("places.geojson"), &dir.path().join("again.gpkg")]);
    assert!(text(&out.stdout).contains("not kept: layer `places`: FeatureCollection foreign members dropped"));
}

#[test]
fn geojson_to_csv_to_geojson_round_trips_points() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("places.csv");
    let back = dir.path().join("places.json");
    let out = convert(&[&fixture("places.geojson"), &csv]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(written.starts_with("id,longitude,latitude,name,population,elevation_m,capital,note\n"), "{written}");
    assert!(written.contains("1,68.7864,38.5598,Душанбе,863400,806.5,true,\n"), "{written}");
    let out = convert(&[&csv, &back]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = load(&back);
    assert_same_layer(&load(&fixture("places.geojson")), &got);
    assert_eq!(got.features.get(2).unwrap().id, Some(FeatureId::Num(3.into())));
}

#[test]
fn csv_bad_rows_are_reported_by_line_and_nothing_is_written_unless_skip_bad() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("posts.csv");
    std::fs::write(
        &csv,
        "Name,Lat,Lon,code\r\nIshkashim,36.71,71.61,007\r\nbad,91.5,71.0,8\r\n\r\nnone,,70.1,9\r\nKhorog,37.49,71.55,10\r\n",
    )
    .unwrap();
    let out_path = dir.path().join("posts.geojson");
    let out = convert(&[&csv, &out_path]);
    assert_eq!(out.status.code(), Some(1), "skipped rows make the exit code 1");
    let stderr = text(&out.stderr);
    let label = csv.display();
    assert!(stderr.contains(&format!("{label}:3:2: latitude 91.5 is outside")), "{stderr}");
    assert!(stderr.contains(&format!("{label}:5:2: latitude is empty")), "{stderr}");
    assert!(!out_path.exists(), "a command that fails writes nothing");
    let out = Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .arg("convert")
        .args([&csv, &out_path])
        .arg("--skip-bad")
        .output()
        .expect("run binary");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("{label}:3:2: latitude 91.5 is outside")));
    let layer = load(&out_path);
    assert_eq!(layer.features.len(), 2);
    // `007` is not a JSON number, so the column stays text.
    assert_eq!(layer.features.get(0).unwrap().properties["code"], "007");
    assert_eq!(
        layer.features.get(1).unwrap().geometry.as_ref().unwrap()["coordinates"],
        serde_json::json!([71.55, 37.49])
    );
}

#[test]
fn invalid_geojson_exits_1_with_file_line_col_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        "{\"type\": \"FeatureCollection\", \"features\": [\n  {\"type\": \"Feature\", \"properties\": {},\n   \"geometry\": {\"type\": \"Point\", \"coordinates\": [200, 38]}},\n]}\n",
    )
    .unwrap();
    let out_path = dir.path().join("out.gpkg");
    let out = convert(&[&bad, &out_path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out_path.exists(), "nothing written for invalid input");
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty());
    let prefix = format!("{}:", bad.display());
    for line in &lines {
        let rest = line.strip_prefix(&prefix).unwrap_or_else(|| panic!("line does not name the file: {line}"));
        let mut parts = rest.splitn(3, ':');
        assert!(parts.next().unwrap().parse::<usize>().is_ok(), "no line number: {line}");
        assert!(parts.next().unwrap().parse::<usize>().is_ok(), "no column: {line}");
    }
    // The same problems `validate` reports.
    let validate = Command::new(env!("CARGO_BIN_EXE_frontier-atlas")).arg("validate").arg(&bad).output().unwrap();
    assert_eq!(text(&validate.stdout).lines().collect::<Vec<_>>(), lines);
}

#[test]
fn unknown_extensions_are_named() {
    let dir = tempfile::tempdir().unwrap();
    // An unknown extension is looked into (GeoJSON, GeoPackage and KML are recognised by
    // content); a shapefile is none of them.
    std::fs::write(dir.path().join("map.shp"), b"\x00\x00\x27\x0a shapefile header").unwrap();
    let out = convert(&[&dir.path().join("map.shp"), &dir.path().join("x.gpkg")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("map.shp: unknown file type `.shp`; expected .geojson"), "{stderr}");
    let out = convert(&[&fixture("places.geojson"), &dir.path().join("x.shp")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("x.shp: unknown file type `.shp`"));
}

#[test]
fn non_points_to_csv_and_multi_layer_gpkg_to_geojson_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rivers.csv");
    let out = convert(&[&fixture("rivers.geojson"), &csv]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("feature R-PANJ is a LineString, not a Point"), "{}", text(&out.stderr));
    assert!(!csv.exists());

    let layers: Vec<Layer> = ["places", "rivers"].iter().map(|n| load(&fixture(&format!("{n}.geojson")))).collect();
    let gpkg = dir.path().join("two.gpkg");
    frontier_atlas::io::gpkg::write_gpkg(&gpkg, &layers.iter().collect::<Vec<_>>()).unwrap();
    let json = dir.path().join("one.geojson");
    let out = convert(&[&gpkg, &json]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("2 layers (`places`, `rivers`); choose one with --layer NAME"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .arg("convert")
        .arg(&gpkg)
        .arg(&json)
        .args(["--layer", "rivers"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_same_layer(&layers[1], &load(&json));
}

/// Found trying the command: the GeoJSON the app makes of an ACLED export did not convert
/// back to CSV ("property `latitude` clashes with the `latitude` column of the CSV"). Its
/// `latitude`/`longitude` are the CSV's coordinate columns, in their places, and its id is
/// its `event_id_cnty`: CSV → GeoJSON → CSV → GeoJSON gives the same layer, and the CSV
/// has the export's own header.
#[test]
fn an_acled_export_converts_to_geojson_and_back_to_csv() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acled/hostile.csv");
    let (geojson, csv, again) =
        (dir.path().join("events.geojson"), dir.path().join("events.csv"), dir.path().join("again.geojson"));
    for (from, to) in [(&src, &geojson), (&geojson, &csv), (&csv, &again)] {
        let args = [from.as_path(), to.as_path(), Path::new("--skip-bad")];
        let out = Command::new(env!("CARGO_BIN_EXE_frontier-atlas")).arg("convert").args(args).output().unwrap();
        assert!(out.status.success(), "{} → {}: {}", from.display(), to.display(), text(&out.stderr));
    }
    assert_same_layer(&load(&geojson), &load(&again));
    let header = |p: &Path| std::fs::read_to_string(p).unwrap().lines().next().unwrap_or_default().to_owned();
    assert_eq!(header(&csv), header(&src).trim_start_matches('\u{feff}'));
    // A point moved in the editor is written where it now is.
    let layer = load(&geojson);
    let moved = layer.features.get(0).unwrap().shape.points[0];
    let uid = layer.uid;
    let edit = frontier_atlas::edit::EditCommand::MoveFeature { layer: uid, index: 0, dx_deg: 0.5, dy_deg: -0.25 };
    let mut catalog = frontier_atlas::model::Catalog::default();
    catalog.insert(layer);
    let _undo = frontier_atlas::edit::apply(&mut catalog, edit).unwrap();
    let layer = &catalog.layers[catalog.index_of(uid).unwrap()];
    frontier_atlas::io::csv_points::write_csv_points(&csv, layer).unwrap();
    let reread = frontier_atlas::io::open::open_layer(&csv, None).unwrap().layer;
    let (lon, lat) = frontier_atlas::spatial::geo_from_world(reread.features.get(0).unwrap().shape.points[0]);
    let (lon0, lat0) = frontier_atlas::spatial::geo_from_world(moved);
    assert!((lon - lon0 - 0.5).abs() < 1e-9 && (lat - lat0 + 0.25).abs() < 1e-9, "{lon},{lat} from {lon0},{lat0}");
}
