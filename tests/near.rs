//! "Events near aid sites" (issue 11): geodesic distances against `GeographicLib` values, the
//! site's active dates, approximate locations flagged, and the `near` command.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
}

const SITES: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "id": "AID-X-1", "geometry": {"type": "Point", "coordinates": [68.02949, 36.96503]},
  "properties": {"id": "AID-X-1", "donor": "United States", "recipient": "Border Troops", "aid_type": "facility",
   "title": "Test post", "announced": "2021-09-01", "start": "2022-01", "end": "2022-06", "status": "completed",
   "location": "Ayvoj", "geo_precision": 2, "source": "Test, 2022", "notes": ""}}
]}"#;

/// Events at hand-computed geodesic distances from the site (`GeographicLib`, WGS84):
/// 6.4946 km, 28.3486 km and 172.9192 km.
const EVENTS: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "id": "E1", "geometry": {"type": "Point", "coordinates": [68.10, 36.98]},
  "properties": {"event_id_cnty": "E1", "event_date": "2022-03-05", "time_precision": 1, "disorder_type": "Political violence",
   "event_type": "Battles", "sub_event_type": "Armed clash", "actor1": "A", "country": "Tajikistan", "location": "x",
   "latitude": 36.98, "longitude": 68.10, "geo_precision": 1, "source": "S1, 2022", "notes": "", "fatalities": 3}},
 {"type": "Feature", "id": "E2", "geometry": {"type": "Point", "coordinates": [68.30, 37.10]},
  "properties": {"event_id_cnty": "E2", "event_date": "2022-04", "time_precision": 3, "disorder_type": "Political violence",
   "event_type": "Battles", "sub_event_type": "Armed clash", "actor1": "A", "country": "Tajikistan", "location": "y",
   "latitude": 37.10, "longitude": 68.30, "geo_precision": 3, "source": "S2, 2022", "notes": "", "fatalities": 0}},
 {"type": "Feature", "id": "E3", "geometry": {"type": "Point", "coordinates": [68.10, 36.98]},
  "properties": {"event_id_cnty": "E3", "event_date": "2021-05-01", "time_precision": 1, "disorder_type": "Political violence",
   "event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack", "actor1": "A",
   "country": "Tajikistan", "location": "x", "latitude": 36.98, "longitude": 68.10, "geo_precision": 1,
   "source": "S3, 2021", "notes": "", "fatalities": 0}},
 {"type": "Feature", "id": "E4", "geometry": {"type": "Point", "coordinates": [69.75, 37.70]},
  "properties": {"event_id_cnty": "E4", "event_date": "2022-03-01", "time_precision": 1, "disorder_type": "Political violence",
   "event_type": "Battles", "sub_event_type": "Armed clash", "actor1": "A", "country": "Tajikistan", "location": "z",
   "latitude": 37.70, "longitude": 69.75, "geo_precision": 1, "source": "S4, 2022", "notes": "", "fatalities": 0}}
]}"#;

fn write(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let sites = dir.join("sites.geojson");
    let events = dir.join("events.geojson");
    std::fs::write(&sites, SITES).expect("write sites");
    std::fs::write(&events, EVENTS).expect("write events");
    (sites, events)
}

fn run(args: &[&str], dir: &Path) -> (String, Vec<Vec<String>>) {
    let (sites, events) = write(dir);
    let out_csv = dir.join("near.csv");
    let out = bin()
        .arg("near")
        .arg("--sites")
        .arg(&sites)
        .arg("--events")
        .arg(&events)
        .args(args)
        .arg("--out")
        .arg(&out_csv)
        .output()
        .expect("run near");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_path(&out_csv).expect("csv");
    let rows = reader.records().map(|r| r.expect("row").iter().map(str::to_owned).collect()).collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), rows)
}

#[test]
fn events_within_the_radius_at_geodesic_distances() {
    let dir = tempfile::tempdir().unwrap();
    let (said, rows) = run(&["--km", "30"], dir.path());
    let ids: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(ids, ["E1", "E3", "E2"], "nearest first; E4 at 172.9 km is out");
    let km: Vec<f64> = rows.iter().map(|r| r[7].parse().unwrap()).collect();
    for (got, want) in km.iter().zip([6.4946, 6.4946, 28.3486]) {
        assert!((got - want).abs() <= 0.01, "{got} km, GeographicLib says {want}");
    }
    assert_eq!(rows[2][8], "yes", "a precision-3 event is flagged approximate");
    assert_eq!(rows[0][8], "no");
    assert!(
        said.contains("AID-X-1 Test post: 3 events (2 Battles, 1 Explosions/Remote violence); 3 fatalities"),
        "{said}"
    );
    let (_, rows) = run(&["--km", "6.4"], dir.path());
    assert!(rows.is_empty(), "6.4 km is just short of the nearest event");
    let (_, rows) = run(&["--km", "173"], dir.path());
    assert_eq!(rows.len(), 4);
}

#[test]
fn during_site_dates_keeps_events_while_the_site_was_active() {
    let dir = tempfile::tempdir().unwrap();
    // The site runs from its announcement (1 Sep 2021) to June 2022: E3 (May 2021) is before it.
    let (_, rows) = run(&["--km", "30", "--during-site-dates"], dir.path());
    let ids: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(ids, ["E1", "E2"]);
    assert_eq!(rows[0][2], "2021-09-01/2022-06-30", "the site's dates");
    let (_, rows) = run(&["--km", "30", "--from", "2022-04-01", "--to", "2022-04-30"], dir.path());
    let ids: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(ids, ["E2"], "the timeline range instead");
}

#[test]
fn near_refuses_bad_input_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let (sites, events) = write(dir.path());
    for (extra, want) in
        [(vec!["--km", "-1"], "--km"), (vec!["--km", "5", "--during-site-dates", "--from", "2022"], "choose one")]
    {
        let out = bin()
            .arg("near")
            .arg("--sites")
            .arg(&sites)
            .arg("--events")
            .arg(&events)
            .args(&extra)
            .arg("--out")
            .arg(dir.path().join("x.csv"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains(want), "{extra:?}");
    }
    let out = bin()
        .args(["near", "--sites", "/nonexistent/aid.geojson", "--events"])
        .arg(&events)
        .args(["--km", "5", "--out"])
        .arg(dir.path().join("x.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/aid.geojson"));
}

#[test]
fn near_writes_the_matched_events_as_a_geojson_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (sites, events) = write(dir.path());
    let out = dir.path().join("near.geojson");
    let status = bin()
        .arg("near")
        .arg("--sites")
        .arg(&sites)
        .arg("--events")
        .arg(&events)
        .args(["--km", "30", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let layer = frontier_atlas::io::open::open_layers(&out).unwrap().remove(0).layer;
    assert_eq!(layer.kind, frontier_atlas::model::LayerKind::Events, "still an events layer");
    assert_eq!(layer.features.len(), 3);
    let f = &layer.features.get(2).unwrap();
    assert_eq!(f.prop_str("near_site"), Some("AID-X-1"));
    assert_eq!(f.prop_str("near_site_title"), Some("Test post"));
    assert_eq!(f.properties.get("approximate"), Some(&serde_json::json!(true)));
    assert!((f.prop_f64("distance_km").unwrap() - 28.35).abs() < 0.01);
}

#[test]
fn the_measure_tool_shows_two_geodesic_legs_and_esc_clears() {
    use egui_kittest::kittest::Queryable as _;
    let mut h = common::harness();
    h.run_steps(2);
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Measure distance").click();
    h.run_steps(2);
    assert!(h.state().measure.active);
    // Three clicks in northern Afghanistan: two legs.
    for (lon, lat) in [(67.6, 36.3), (68.2, 36.5), (68.8, 36.3)] {
        let at = common::screen_of(&h, lon, lat);
        common::click_at(&mut h, at);
    }
    h.run_steps(2);
    let app = h.state();
    assert_eq!(app.measure.points.len(), 3, "each click adds a point");
    assert!(app.selection.is_none(), "measuring does not select");
    let m = frontier_atlas::spatial::near::measure(&app.measure.points);
    let (a, b) = (app.measure.points[0], app.measure.points[1]);
    // The first leg agrees with GeographicLib-level geodesics, not a Mercator ruler.
    let direct = frontier_atlas::spatial::near::geodesic_km(a, b);
    assert!((m.legs_km[0] - direct).abs() < 1e-9);
    let label = format!("Measure: 2 legs, total {:.2} km", m.total_km);
    assert!(h.query_by_label_contains(&label).is_some(), "the total is shown: {label}");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.state().measure.points.is_empty(), "Esc clears");
}

#[test]
fn the_near_panel_lists_sites_within_the_radius_and_a_row_flies_to_its_site() {
    use egui_kittest::kittest::Queryable as _;
    use frontier_atlas::model::LayerKind;
    use frontier_atlas::spatial::near::{When, events_near_sites};
    let mut h = common::harness();
    h.run_steps(2);
    h.get_by_label("Query").click();
    h.run_steps(2);
    h.get_by_label("Events near aid sites…").click();
    h.run_steps(2);
    assert!(h.state().near.open);
    h.state_mut().near.km = 10.0;
    h.get_by_label("Run").click();
    h.run_steps(2);
    let app = h.state();
    let result = app.near.result.clone().expect("the query ran");
    let (aid_id, aid) = app.catalog.layer_of_kind(LayerKind::Aid).unwrap();
    let (_, events) = app.catalog.layer_of_kind(LayerKind::Events).unwrap();
    assert!((result.km - 10.0).abs() < 1e-12);
    assert_eq!(
        result.matches,
        events_near_sites(aid, events, 10.0, When::DuringSiteDates),
        "the radius and dates used"
    );
    assert!(!result.rows.is_empty(), "sites with events within 10 km");
    assert!(result.matches.iter().all(|m| m.distance_km <= 10.0));
    let (site, line) = result.rows[0].clone();
    assert!(
        line.contains("approximate (precision 3)") || !result.matches.iter().any(|m| m.site == site && m.approximate)
    );
    assert!(h.query_by_label_contains("events within 10 km of").is_some(), "the result's heading");
    h.get_by_label(&line).click();
    h.run_steps(3);
    let selection = h.state().selection.expect("the row selects its site");
    assert_eq!((selection.layer, selection.feature), (aid_id, site), "the row's site");
}

#[test]
fn the_near_panel_exports_its_result_as_csv_and_geojson() {
    let mut h = common::harness();
    h.run_steps(1);
    h.state_mut().near.open = true;
    h.run_steps(2);
    let dir = tempfile::tempdir().unwrap();
    let (csv, geojson) = (dir.path().join("near.csv"), dir.path().join("near.geojson"));
    let app = h.state_mut();
    app.run_near(None);
    let pairs = app.near.result.as_ref().unwrap().matches.len();
    assert!(pairs > 0);
    app.export_near_to(csv.clone(), false);
    app.export_near_to(geojson.clone(), true);
    app.finish_jobs();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("site_id,site_title,site_dates,event_id"));
    assert_eq!(csv::Reader::from_reader(text.as_bytes()).records().count(), pairs, "one row per pair");
    let layer: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&geojson).unwrap()).unwrap();
    assert_eq!(layer["features"].as_array().unwrap().len(), pairs);
    assert!(h.state().messages.iter().all(|m| m.level != frontier_atlas::ui::Level::Error));
}
