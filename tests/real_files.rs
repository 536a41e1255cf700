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
