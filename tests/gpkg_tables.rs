//! GeoPackage files as GDAL writes them: SRS 4979 and WGS 84 by definition, one unusable table
//! among good ones, EMPTY parts, attributes-only tables. Built here with SQLite, so no GDAL
//! is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use frontier_atlas::io::geojson::{layer_to_geojson, load_file};
use frontier_atlas::io::gpkg::{
    GpkgError, is_wgs84_lon_lat, read_gpkg, read_gpkg_tables, write_gpkg, write_gpkg_tables,
};
use frontier_atlas::io::validate::{has_errors, validate_str};
use frontier_atlas::model::Layer;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpkg").join(name)
}

fn load(name: &str) -> Layer {
    load_file(&fixture(name)).expect("fixture loads").layer
}

/// `places` and `rivers` written by this app, then edited with `sql`.
fn two_tables(dir: &Path, sql: &str) -> PathBuf {
    let path = dir.join("gdal.gpkg");
    write_gpkg(&path, &[&load("places.geojson"), &load("rivers.geojson")]).expect("write the GeoPackage");
    let conn = rusqlite::Connection::open(&path).expect("open it with SQLite");
    conn.execute_batch(sql).expect("edit it");
    path
}

/// GDAL's definition of EPSG:4979 (WGS 84 with ellipsoidal height), as `ogr2ogr` writes it.
const GDAL_4979: &str = r#"GEOGCRS["WGS 84",ENSEMBLE["World Geodetic System 1984 ensemble",MEMBER["World Geodetic System 1984 (Transit)"],MEMBER["World Geodetic System 1984 (G730)"],ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]],ENSEMBLEACCURACY[2.0]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,3],AXIS["geodetic latitude (Lat)",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],AXIS["geodetic longitude (Lon)",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],AXIS["ellipsoidal height (h)",up,ORDER[3],LENGTHUNIT["metre",1]],USAGE[SCOPE["Geodesy. Navigation and positioning using GPS satellite system."],AREA["World."],BBOX[-90,-180,90,180]],ID["EPSG",4979]]"#;

const MERCATOR: &str = r#"PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]],PROJECTION["Mercator_1SP"],UNIT["metre",1],AUTHORITY["EPSG","3857"]]"#;

fn set_srs(table: &str, srs_id: i64) -> String {
    format!(
        "UPDATE gpkg_geometry_columns SET srs_id = {srs_id} WHERE table_name = '{table}';
         UPDATE gpkg_contents SET srs_id = {srs_id} WHERE table_name = '{table}';"
    )
}

#[test]
fn srs_4979_and_wgs84_by_definition_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let sql = format!(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4979, 'EPSG', 4979, '{GDAL_4979}', '');
         INSERT INTO gpkg_spatial_ref_sys VALUES ('my lon/lat', 100001, 'NONE', 100001,
           'GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]]', '');
         {}{}",
        set_srs("places", 4979),
        set_srs("rivers", 100001)
    );
    let path = two_tables(dir.path(), &sql);
    let layers = read_gpkg(&path).expect("4979 and a WGS 84 definition are lon/lat");
    let names: Vec<&str> = layers.iter().map(|l| l.layer.name.as_str()).collect();
    assert_eq!(names, ["places", "rivers"]);
    assert!(layers.iter().all(|l| l.skipped.is_empty()), "{:?}", layers[0].skipped);
    assert!(is_wgs84_lon_lat("NONE", 0, GDAL_4979), "WKT 2 by definition");
    assert!(!is_wgs84_lon_lat("EPSG", 3857, MERCATOR), "projected");
    assert!(!is_wgs84_lon_lat(
        "EPSG",
        4258,
        "GEOGCS[\"ETRS89\",DATUM[\"European_Terrestrial_Reference_System_1989\"]]"
    ));
}

#[test]
fn one_unusable_table_does_not_make_the_file_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let sql = format!(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 / Pseudo-Mercator', 3857, 'EPSG', 3857, '{MERCATOR}', '');
         {}
         CREATE TABLE tiles_t (id INTEGER PRIMARY KEY);
         INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('tiles_t', 'tiles', 'tiles_t');",
        set_srs("rivers", 3857)
    );
    let path = two_tables(dir.path(), &sql);
    let layers = read_gpkg(&path).expect("the good table still loads");
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].layer.name, "places");
    let notes = &layers[0].skipped;
    assert!(notes.iter().any(|n| n.contains("`rivers`") && n.contains("3857") && n.contains("not read")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("`tiles_t`") && n.contains("tiles")), "{notes:?}");

    let tables = read_gpkg_tables(&path).unwrap();
    assert_eq!(tables.layers.len(), 1);
    assert!(
        matches!(tables.unreadable_table("RIVERS"), Some(GpkgError::UnsupportedSrs { srs_id: 3857, .. })),
        "{:?}",
        tables.unreadable
    );
    assert_eq!(tables.unreadable.len(), 2, "{:?}", tables.unreadable);

    // Only unreadable tables: the first one is the error.
    let only_bad = dir.path().join("bad.gpkg");
    write_gpkg(&only_bad, &[&load("rivers.geojson")]).unwrap();
    let conn = rusqlite::Connection::open(&only_bad).unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Mercator', 3857, 'EPSG', 3857, '{MERCATOR}', ''); {}",
        set_srs("rivers", 3857)
    ))
    .unwrap();
    drop(conn);
    assert!(matches!(read_gpkg(&only_bad), Err(GpkgError::UnsupportedSrs { .. })));
}

#[test]
fn convert_with_a_missing_layer_names_the_layer_not_another_table() {
    let dir = tempfile::tempdir().unwrap();
    let sql = format!(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Mercator', 3857, 'EPSG', 3857, '{MERCATOR}', ''); {}",
        set_srs("rivers", 3857)
    );
    let path = two_tables(dir.path(), &sql);
    let out = Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .arg("convert")
        .arg(&path)
        .arg(dir.path().join("out.geojson"))
        .args(["--layer", "nope"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no layer `nope`"), "{stderr}");
    assert!(!stderr.contains("srs_id"), "the missing layer, not the SRS of another table: {stderr}");
}

/// A GeoPackage blob (little-endian, no envelope, srs 4326) around WKB `body`.
fn blob(body: &[u8]) -> Vec<u8> {
    let mut b = b"GP\x00\x01".to_vec();
    b.extend_from_slice(&4326_i32.to_le_bytes());
    b.extend_from_slice(body);
    b
}

/// Little-endian WKB header: byte order and type code.
fn wkb_head(code: u32) -> Vec<u8> {
    let mut b = vec![1];
    b.extend_from_slice(&code.to_le_bytes());
    b
}

fn u32le(n: u32) -> [u8; 4] {
    n.to_le_bytes()
}

/// A square polygon at `(x, y)` in WKB.
fn square(x: f64, y: f64) -> Vec<u8> {
    let mut b = wkb_head(3);
    b.extend_from_slice(&u32le(1));
    b.extend_from_slice(&u32le(5));
    for (px, py) in [(x, y), (x + 0.1, y), (x + 0.1, y + 0.1), (x, y + 0.1), (x, y)] {
        b.extend_from_slice(&px.to_le_bytes());
        b.extend_from_slice(&py.to_le_bytes());
    }
    b
}

#[test]
fn empty_parts_are_dropped_so_the_geojson_is_valid() {
    // MultiPolygon (square, EMPTY polygon); MultiLineString (EMPTY, line);
    // GeometryCollection (EMPTY point, square).
    let mut multi_polygon = wkb_head(6);
    multi_polygon.extend_from_slice(&u32le(2));
    multi_polygon.extend(square(69.0, 37.0));
    multi_polygon.extend(wkb_head(3));
    multi_polygon.extend_from_slice(&u32le(0));
    let mut multi_line = wkb_head(5);
    multi_line.extend_from_slice(&u32le(2));
    multi_line.extend(wkb_head(2));
    multi_line.extend_from_slice(&u32le(0));
    multi_line.extend(wkb_head(2));
    multi_line.extend_from_slice(&u32le(2));
    for v in [69.0_f64, 37.0, 69.5, 37.5] {
        multi_line.extend_from_slice(&v.to_le_bytes());
    }
    let mut collection = wkb_head(7);
    collection.extend_from_slice(&u32le(2));
    collection.extend(wkb_head(1));
    collection.extend_from_slice(&f64::NAN.to_le_bytes());
    collection.extend_from_slice(&f64::NAN.to_le_bytes());
    collection.extend(square(70.0, 38.0));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.gpkg");
    write_gpkg(&path, &[&load("places.geojson")]).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (fid, body) in [(1, &multi_polygon), (2, &multi_line)] {
        conn.execute("UPDATE places SET geom = ?1 WHERE fid = ?2", rusqlite::params![blob(body), fid]).unwrap();
    }
    conn.execute(
        "INSERT INTO places (fid, geom) SELECT max(fid) + 1, ?1 FROM places",
        rusqlite::params![blob(&collection)],
    )
    .unwrap();
    drop(conn);

    let layer = read_gpkg(&path).unwrap().remove(0);
    assert!(layer.skipped.is_empty(), "{:?}", layer.skipped);
    let geometry = |i: usize| layer.layer.features.get(i).unwrap().geometry.clone().unwrap();
    assert_eq!(geometry(0)["coordinates"].as_array().map(Vec::len), Some(1), "{}", geometry(0));
    assert_eq!(geometry(1)["coordinates"].as_array().map(Vec::len), Some(1), "{}", geometry(1));
    let last = layer.layer.features.len() - 1;
    assert_eq!(geometry(last)["geometries"].as_array().map(Vec::len), Some(1), "{}", geometry(last));
    let text = layer_to_geojson(&layer.layer).to_string();
    let problems = validate_str(&text);
    assert!(!has_errors(&problems), "our own validator rejects what we wrote: {problems:?}");
}

#[test]
fn attributes_only_tables_are_read_and_written_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_tables(
        dir.path(),
        "CREATE TABLE sources (fid INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, year INTEGER);
         INSERT INTO sources (title, year) VALUES ('RFE/RL report', 2021), ('Asia-Plus', 2022);
         INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('sources', 'attributes', 'sources');",
    );
    let tables = read_gpkg_tables(&path).unwrap();
    assert_eq!(tables.layers.len(), 2);
    assert!(tables.unreadable.is_empty(), "{:?}", tables.unreadable);
    let [sources] = tables.attributes.as_slice() else { panic!("one attributes table: {:?}", tables.attributes) };
    assert_eq!(sources.layer.name, "sources");
    let features = &sources.layer.features;
    assert_eq!(features.len(), 2);
    assert!(features.iter().all(|f| f.geometry.is_none()));
    assert_eq!(features.get(1).unwrap().properties["title"], "Asia-Plus");
    assert_eq!(features.get(1).unwrap().properties["year"], 2022);
    // The feature-layer reader does not mistake it for a map layer.
    assert_eq!(read_gpkg(&path).unwrap().len(), 2);

    // GeoPackage to GeoPackage keeps every table, the attributes one as attributes.
    let copy = dir.path().join("copy.gpkg");
    let layers: Vec<&Layer> = tables.layers.iter().map(|l| &l.layer).collect();
    let attributes: Vec<&Layer> = tables.attributes.iter().map(|l| &l.layer).collect();
    write_gpkg_tables(&copy, &layers, &attributes).unwrap();
    let back = read_gpkg_tables(&copy).unwrap();
    assert_eq!(back.layers.len(), 2);
    assert_eq!(back.attributes.len(), 1);
    assert_eq!(back.attributes[0].layer.features.get(0).unwrap().properties["title"], "RFE/RL report");
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let kind: String =
        conn.query_row("SELECT data_type FROM gpkg_contents WHERE table_name = 'sources'", [], |r| r.get(0)).unwrap();
    assert_eq!(kind, "attributes");
    let geometry_rows: i64 = conn
        .query_row("SELECT count(*) FROM gpkg_geometry_columns WHERE table_name = 'sources'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(geometry_rows, 0);
    // A geometry in an attributes table is refused, naming it.
    let err = write_gpkg_tables(&dir.path().join("x.gpkg"), &[], &[&load("places.geojson")]).unwrap_err();
    assert!(err.to_string().contains("attributes table has no geometry column"), "{err}");
}

#[test]
fn saving_one_layer_over_a_geopackage_never_drops_tables_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let sql = format!(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Mercator', 3857, 'EPSG', 3857, '{MERCATOR}', ''); {}
         CREATE TABLE sources (fid INTEGER PRIMARY KEY, title TEXT);
         INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('sources', 'attributes', 'sources');",
        set_srs("rivers", 3857)
    );
    let path = two_tables(dir.path(), &sql);
    let before = std::fs::read(&path).unwrap();
    assert_eq!(frontier_atlas::io::gpkg::table_names(&path).unwrap(), ["places", "rivers", "sources"]);
    let places = read_gpkg(&path).unwrap().remove(0).layer;
    let err = frontier_atlas::io::open::write_layer(&places, &path).expect_err("would drop rivers and sources");
    assert!(err.contains("rivers") && err.contains("sources"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is untouched");
}
