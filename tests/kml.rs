//! KML both ways (issue 11): export that GDAL reads back with the same count, names and
//! times; import of Placemarks with every geometry type and both time elements; errors with
//! `FILE:LINE:COL`.
//!
//! The GDAL checks need `ogrinfo` (see `tests/common/gdal.rs`).

#[path = "common/gdal.rs"]
mod gdal;

use std::path::{Path, PathBuf};

use egui_kittest::kittest::Queryable as _;
use std::process::Command;

use frontier_atlas::io::open::open_layers;
use frontier_atlas::model::LayerKind;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the command");
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn shipped(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata").join(file)
}

#[test]
#[cfg_attr(missing_gdal, ignore = "needs GDAL's ogrinfo/ogr2ogr (apt-get install gdal-bin)")]
fn gdal_reads_exported_events_with_the_same_count_names_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("events.kml");
    run_ok(bin().arg("convert").arg(shipped("events.geojson")).arg(&kml));
    let summary = run_ok(gdal::gdal("ogrinfo").args(["-al", "-so"]).arg(&kml));
    assert!(summary.contains("Feature Count: 35"), "{summary}");
    let full = run_ok(gdal::gdal("ogrinfo").arg("-al").arg(&kml));
    let layer = open_layers(&shipped("events.geojson")).unwrap().remove(0).layer;
    for f in &layer.features {
        let name = f.prop_str("location").unwrap();
        assert!(full.contains(&format!("Name (String) = {name}")), "no {name}");
    }
    // A single day is a TimeStamp; a month, a season or a report window is a TimeSpan.
    assert!(full.contains("timestamp (DateTime) = 2021/08/18"), "TJK-FA-004 as a TimeStamp");
    assert!(
        full.contains("begin (DateTime) = 2021/10/18") && full.contains("end (DateTime) = 2021/10/23"),
        "CSTO drills"
    );
    assert!(full.contains("begin (DateTime) = 2022/05/01") && full.contains("end (DateTime) = 2022/05/31"), "May 2022");
}

#[test]
#[cfg_attr(missing_gdal, ignore = "needs GDAL's ogrinfo/ogr2ogr (apt-get install gdal-bin)")]
fn gdal_reads_exported_aid_with_open_ended_spans() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("aid.kml");
    run_ok(bin().arg("convert").arg(shipped("aid.geojson")).arg(&kml));
    let full = run_ok(gdal::gdal("ogrinfo").arg("-al").arg(&kml));
    assert!(full.contains("Feature Count: 14"), "{full}");
    assert!(full.contains("Name (String) = Ayvoj"), "{full}");
    assert!(full.contains("begin (DateTime) = 1991/01/01"), "the 201st base from 1991, open ended");
}

#[test]
fn events_round_trip_through_kml_with_ids_properties_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("events.kml");
    let back = dir.path().join("back.geojson");
    run_ok(bin().arg("convert").arg(shipped("events.geojson")).arg(&kml));
    let text = std::fs::read_to_string(&kml).unwrap();
    assert!(text.contains("<Folder>\n<name>events</name>") && text.contains("<styleUrl>#s"));
    assert!(text.contains("Source: Eurasia Daily Monitor"), "readable balloon with the source");
    run_ok(bin().arg("convert").arg(&kml).arg(&back));
    let original = open_layers(&shipped("events.geojson")).unwrap().remove(0).layer;
    let again = open_layers(&back).unwrap().remove(0).layer;
    assert_eq!(again.kind, LayerKind::Events);
    assert_eq!(again.features.len(), original.features.len());
    for (a, b) in original.features.iter().zip(&again.features) {
        assert_eq!(a.id, b.id);
        for key in ["event_date", "event_type", "source", "notes", "fatalities", "geo_precision"] {
            assert_eq!(a.properties.get(key), b.properties.get(key), "{key} of {:?}", a.id);
        }
        assert_eq!(a.time, b.time, "date span of {:?}", a.id);
        assert_eq!(a.shape.points, b.shape.points);
    }
}

const EVERY_GEOMETRY: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document><name>checkpoints</name>
<Schema name="posts" id="s"><SimpleField type="int" name="strength"/><SimpleField type="bool" name="armed"/></Schema>
<Folder><name>posts</name>
  <Placemark id="p1"><name>Post A</name><TimeStamp><when>2022-05-18</when></TimeStamp>
    <ExtendedData><Data name="guards"><value>12</value></Data><Data name="unit"><value>GKNB</value></Data>
      <SchemaData schemaUrl="#s"><SimpleData name="strength">40</SimpleData><SimpleData name="armed">true</SimpleData></SchemaData></ExtendedData>
    <Point><coordinates>71.55,37.49</coordinates></Point></Placemark>
  <Placemark><name>Patrol</name><TimeSpan><begin>2022-05-01</begin><end>2022-05-31</end></TimeSpan>
    <ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="unit">201st</SimpleData></SchemaData></ExtendedData>
    <LineString><coordinates>71.5,37.4 71.6,37.5,1200 71.7,37.55</coordinates></LineString></Placemark>
</Folder>
  <Placemark><name>Compound</name><TimeSpan><begin>2021-06</begin></TimeSpan>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      71.0,37.0 71.2,37.0 71.2,37.2 71.0,37.2 71.0,37.0
    </coordinates></LinearRing></outerBoundaryIs>
    <innerBoundaryIs><LinearRing><coordinates>71.05,37.05 71.1,37.05 71.1,37.1 71.05,37.05</coordinates></LinearRing></innerBoundaryIs>
    </Polygon></Placemark>
  <Placemark><name>Sites</name><description><![CDATA[Two <b>sites</b>]]></description>
    <MultiGeometry><Point><coordinates>70.1,37.1</coordinates></Point><Point><coordinates>70.2,37.2</coordinates></Point></MultiGeometry></Placemark>
</Document></kml>
"##;

#[test]
fn kml_placemarks_open_as_a_layer_with_every_geometry_and_both_times() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints.kml");
    std::fs::write(&path, EVERY_GEOMETRY).unwrap();
    let loaded = open_layers(&path).unwrap().remove(0);
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    let layer = loaded.layer;
    assert_eq!(layer.name, "checkpoints");
    assert_eq!(layer.features.len(), 4);
    let f = layer.features.to_vec();
    assert_eq!(f[0].id.as_ref().map(ToString::to_string).as_deref(), Some("p1"));
    assert_eq!(f[0].prop_str("name"), Some("Post A"));
    assert_eq!(f[0].prop_str("guards"), Some("12"), "untyped <Data> stays text");
    assert_eq!(f[0].properties.get("strength"), Some(&serde_json::json!(40)), "typed by the Schema");
    assert_eq!(f[0].properties.get("armed"), Some(&serde_json::json!(true)));
    assert_eq!(f[0].prop_str("unit"), Some("GKNB"));
    assert_eq!(f[1].prop_str("unit"), Some("201st"), "SchemaData/SimpleData");
    assert_eq!(f[0].shape.points.len(), 1);
    assert_eq!(f[1].shape.lines().len(), 1);
    assert_eq!(f[2].shape.polygons().first().map(Vec::len), Some(2), "outer ring and a hole");
    assert_eq!(f[3].shape.points.len(), 2);
    assert_eq!(f[3].prop_str("description"), Some("Two <b>sites</b>"));
    // Both time elements put the layer on the timeline.
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(f[0].time.map(|t| (t.start, t.end)), Some((day(2022, 5, 18), day(2022, 5, 18))));
    assert_eq!(f[1].time.map(|t| (t.start, t.end)), Some((day(2022, 5, 1), day(2022, 5, 31))));
    assert_eq!(f[2].time.map(|t| t.start), Some(day(2021, 6, 1)));
    assert!(f[3].time.is_none());
    // And the layer converts to GeoJSON headless.
    let out = dir.path().join("checkpoints.geojson");
    let said = run_ok(bin().arg("convert").arg(&path).arg(&out));
    assert!(said.contains("4 features written"), "{said}");
}

#[test]
fn bad_kml_is_reported_at_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    for (text, want) in [
        ("<kml>\n  <Placemark>\n    <name>x</nam>\n", ":3:"),
        (
            "<kml>\n<Placemark>\n<Point>\n  <coordinates>71.5;37.4</coordinates></Point></Placemark></kml>",
            ":4:3: bad coordinate `71.5;37.4`",
        ),
        ("<kml><Placemark><Point><coordinates>200,37</coordinates></Point></Placemark></kml>", ":1:24: bad coordinate"),
        ("<gpx></gpx>", ":1:1: expected a <kml> document"),
    ] {
        let path = dir.path().join("bad.kml");
        std::fs::write(&path, text).unwrap();
        let err = open_layers(&path).unwrap_err().to_string();
        let file = path.display().to_string();
        assert!(err.starts_with(&file) && err.contains(want), "{err} (want {want})");
        let out = bin().arg("convert").arg(&path).arg(dir.path().join("x.geojson")).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains(want));
    }
}

#[test]
fn render_exports_the_visible_map_in_the_date_range_as_kml() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("map.kml");
    run_ok(bin().args(["render", "--from", "2022-05-01", "--to", "2022-05-31", "--out"]).arg(&kml));
    let text = std::fs::read_to_string(&kml).unwrap();
    assert!(text.contains("<name>Security events</name>") && text.contains("<name>Countries</name>"));
    assert!(text.contains(r#"<Placemark id="TJK-FA-020">"#), "the GBAO operation of 18 May 2022");
    assert!(!text.contains(r#"<Placemark id="TJK-FA-010">"#), "October 2021 is outside the range");
}

#[test]
#[cfg_attr(missing_gdal, ignore = "needs GDAL's ogrinfo/ogr2ogr (apt-get install gdal-bin)")]
fn kmz_is_zipped_kml_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let kmz = dir.path().join("aid.kmz");
    run_ok(bin().arg("convert").arg(shipped("aid.geojson")).arg(&kmz));
    assert!(std::fs::read(&kmz).unwrap().starts_with(b"PK\x03\x04"), "a zip");
    let summary = run_ok(gdal::gdal("ogrinfo").args(["-al", "-so"]).arg(&kmz));
    assert!(summary.contains("Feature Count: 14"), "{summary}");
    let back = dir.path().join("back.geojson");
    run_ok(bin().arg("convert").arg(&kmz).arg(&back));
    let again = open_layers(&back).unwrap().remove(0).layer;
    assert_eq!(again.kind, LayerKind::Aid);
    assert_eq!(again.features.len(), 14);
    // A broken KML inside a KMZ is reported at its entry, line and column.
    let bad = dir.path().join("bad.kmz");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&bad).unwrap());
    zip.start_file("doc.kml", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(
        &mut zip,
        b"<kml>\n<Placemark><Point><coordinates>x</coordinates></Point></Placemark></kml>",
    )
    .unwrap();
    zip.finish().unwrap();
    let err = open_layers(&bad).unwrap_err().to_string();
    assert!(err.contains("bad.kmz!doc.kml:2:19: bad coordinate `x`"), "{err}");
}

#[test]
fn the_apps_export_view_writes_the_visible_map_as_kml() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("view.kml");
    let mut h =
        egui_kittest::Harness::builder().with_size(egui::vec2(1400.0, 900.0)).with_max_steps(12).build_ui_state(
            |ui, app: &mut frontier_atlas::ui::AtlasApp| app.ui(ui),
            frontier_atlas::ui::AtlasApp::new(None),
        );
    h.run_steps(2);
    h.get_by_label("2021").click();
    h.run_steps(2);
    h.state_mut().export_to(kml.clone());
    h.state_mut().finish_jobs();
    let text = std::fs::read_to_string(&kml).unwrap();
    assert!(text.contains(r#"<Placemark id="TJK-FA-010">"#), "an event of 2021");
    assert!(!text.contains(r#"<Placemark id="TJK-FA-020">"#), "2022 is outside the range");
}
