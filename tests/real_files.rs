//! Files as GDAL and QGIS write them: a `crs` member naming WGS 84 is accepted everywhere (a
//! note in `validate`), one naming any other system is refused everywhere, with a message
//! saying the coordinates are not longitude/latitude.

use std::path::Path;
use std::process::{Command, Output};

use frontier_atlas::io::geojson::load_file;

#[path = "common/shared_data.rs"]
mod shared_data;
use shared_data::shared_data;

/// The official district files (GDAL output, with `crs`), in the shared data folder.
const GEOBOUNDARIES: [&str; 3] = [
    "geoboundaries/geoBoundaries-AFG-ADM2_simplified.geojson",
    "geoboundaries/geoBoundaries-TJK-ADM1.geojson",
    "geoboundaries/geoBoundaries-TJK-ADM2.geojson",
];

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas")).args(args).output().expect("run the binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A one-point layer declaring `crs_name`, with coordinates that would also pass as degrees.
fn write_with_crs(dir: &Path, crs_name: &str) -> std::path::PathBuf {
    let path = dir.join("declared.geojson");
    let body = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"{crs_name}"}}}},"features":[
{{"type":"Feature","properties":{{"name":"a"}},"geometry":{{"type":"Point","coordinates":[68.5,37.25]}}}}]}}"#
    );
    std::fs::write(&path, body).expect("write the test layer");
    path
}

#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn validate_accepts_the_official_district_files_with_a_note() {
    for file in GEOBOUNDARIES {
        let path = shared_data(file);
        let out = run(&["validate".as_ref(), path.as_os_str()]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{file}: {stdout}{}", text(&out.stderr));
        assert_eq!(stdout.lines().count(), 1, "{file}: {stdout}");
        assert!(stdout.starts_with(&format!("{}:3:1: note: `crs` member", path.display())), "{file}: {stdout}");
    }
}

#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn convert_and_load_accept_the_official_district_files() {
    let dir = tempfile::tempdir().unwrap();
    for file in GEOBOUNDARIES {
        let path = shared_data(file);
        let loaded = load_file(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!loaded.layer.features.is_empty() && loaded.skipped.is_empty(), "{file}: {:?}", loaded.skipped);
        let out_path = dir.path().join("out.gpkg");
        let out = run(&["convert".as_ref(), path.as_os_str(), out_path.as_os_str()]);
        assert!(out.status.success(), "{file}: {}{}", text(&out.stdout), text(&out.stderr));
        assert!(out_path.exists(), "{file}: no output");
        std::fs::remove_file(&out_path).unwrap();
    }
}

#[test]
fn a_crs_naming_wgs84_loads_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_with_crs(dir.path(), "EPSG:4326");
    assert_eq!(load_file(&path).expect("EPSG:4326 loads").layer.features.len(), 1);
    let png = dir.path().join("map.png");
    let out = run(&[
        "render".as_ref(),
        "--add".as_ref(),
        path.as_os_str(),
        "--size".as_ref(),
        "320x200".as_ref(),
        "--out".as_ref(),
        png.as_os_str(),
    ]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn a_projected_crs_is_refused_by_the_loader_and_render() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["urn:ogc:def:crs:EPSG::3857", "EPSG:32642"] {
        let path = write_with_crs(dir.path(), name);
        let err = load_file(&path).expect_err("a projected layer must not load as degrees").to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains(name) && err.contains("not WGS 84 longitude/latitude"), "{err}");
        let png = dir.path().join("map.png");
        let out = run(&[
            "render".as_ref(),
            "--add".as_ref(),
            path.as_os_str(),
            "--size".as_ref(),
            "320x200".as_ref(),
            "--out".as_ref(),
            png.as_os_str(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stdout));
        assert!(text(&out.stderr).contains("not WGS 84 longitude/latitude"), "{}", text(&out.stderr));
        assert!(!png.exists(), "nothing is written");
        let out = run(&["validate".as_ref(), path.as_os_str()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stdout).contains(&format!("{}:1:29: `crs` names", path.display())), "{}", text(&out.stdout));
    }
}

/// The analyst's whole path on an official file, through the columnar store: File → Open
/// (the fast loader, features kept packed), rename one district, save, reopen; the save
/// differs from the untouched file's save in that one feature's line only, the rest stay
/// packed, and undo gives the untouched bytes back.
#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn an_official_district_file_opened_edited_saved_and_reopened_changes_only_the_edited_feature() {
    use frontier_atlas::edit::{EditCommand, apply};
    use frontier_atlas::io::open::open_layers;
    use frontier_atlas::io::save::save_layer;
    use frontier_atlas::model::Catalog;
    let dir = tempfile::tempdir().unwrap();
    for file in GEOBOUNDARIES {
        let path = shared_data(file);
        let loaded = open_layers(&path).unwrap_or_else(|e| panic!("{file}: {e}")).remove(0);
        let n = loaded.layer.features.len();
        assert_eq!(loaded.layer.features.packed_count(), n, "{file}: opened into the store packed");
        let untouched = dir.path().join("untouched.geojson");
        save_layer(&loaded.layer, &untouched).unwrap();
        let mut catalog = Catalog::default();
        let uid = loaded.layer.uid;
        catalog.insert(loaded.layer);
        let edit = EditCommand::SetProperty {
            layer: uid,
            index: 3,
            key: "shapeName".to_owned(),
            value: Some(serde_json::json!("Renamed by the analyst")),
        };
        let undo = apply(&mut catalog, edit).unwrap();
        let li = catalog.index_of(uid).unwrap();
        assert_eq!(catalog.layers[li].features.packed_count(), n - 1, "{file}: only the edited feature decoded");
        let edited = dir.path().join("edited.geojson");
        save_layer(&catalog.layers[li], &edited).unwrap();
        let (a, b) = (std::fs::read_to_string(&untouched).unwrap(), std::fs::read_to_string(&edited).unwrap());
        let differing: Vec<usize> =
            a.lines().zip(b.lines()).enumerate().filter(|(_, (x, y))| x != y).map(|(i, _)| i).collect();
        assert_eq!(a.lines().count(), b.lines().count(), "{file}");
        assert_eq!(differing, [4], "{file}: only the fourth feature's line (after the header line) changes");
        assert!(b.contains("Renamed by the analyst"), "{file}");
        // Reopen the saved file: the rename is there, as a packed feature again.
        let reopened = open_layers(&edited).unwrap().remove(0);
        assert_eq!(reopened.layer.features.len(), n);
        assert_eq!(reopened.layer.features.get(3).unwrap().prop_str("shapeName"), Some("Renamed by the analyst"));
        // Undo restores the untouched save, byte for byte.
        let _redo = apply(&mut catalog, undo).unwrap();
        save_layer(&catalog.layers[li], &edited).unwrap();
        assert_eq!(std::fs::read(&edited).unwrap(), std::fs::read(&untouched).unwrap(), "{file}: undo");
    }
}

/// Found walking the app: the official Tajik regions (ADM1), opened, are read as provinces and
/// had no legend row, while an opened district file had one. Every file the analyst opens
/// has its row; the shipped countries and provinces, the map's ground, still take none.
#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn every_opened_boundary_file_has_a_legend_row() {
    use frontier_atlas::render::{SceneOptions, build_scene};
    for file in GEOBOUNDARIES {
        let (mut catalog, _) = frontier_atlas::geodata::default_catalog();
        let loaded = frontier_atlas::io::open::open_layer(&shared_data(file), None).expect("opens");
        let name = loaded.layer.name.clone();
        catalog.insert(loaded.layer);
        let viewport = frontier_atlas::spatial::Viewport::fit_bbox(frontier_atlas::geodata::HOME_BBOX, [1200.0, 800.0]);
        let scene = build_scene(&catalog, &viewport, &SceneOptions::default());
        let rows: Vec<&str> = scene.legend.iter().map(|e| e.label.as_str()).collect();
        assert!(rows.contains(&name.as_str()), "{file}: no row for {name} in {rows:?}");
        assert!(!rows.contains(&"Provinces") && !rows.contains(&"Countries"), "{file}: {rows:?}");
    }
}
