//! "Time zones, stated" (issue 11) in the app: View → Time zone re-dates timestamps on their
//! calendar day in the chosen zone, the zone is shown beside the timeline's date fields, and
//! dates without a time stay the days they name.

#[path = "common/mod.rs"]
mod common;

use chrono::NaiveDate;
use egui_kittest::kittest::Queryable as _;

const SEEN: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [68.8, 38.5]},
  "properties": {"name": "late", "seen": "2022-06-30T22:00:00Z"}},
 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [68.9, 38.6]},
  "properties": {"name": "dated", "seen": "2022-06-30"}}]}"#;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a calendar day")
}

#[test]
fn choosing_dushanbe_puts_22_utc_on_30_june_on_1_july_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.geojson");
    std::fs::write(&path, SEEN).unwrap();
    let mut h = common::harness();
    h.run_steps(1);
    h.state_mut().open_file_now(&path);
    let uid = h.state().catalog.layers.iter().find(|l| l.name == "seen").unwrap().uid;
    h.state_mut().apply(frontier_atlas::ui::Command::SetDateFields(uid, Some(("seen".to_owned(), None))));
    h.run_steps(2);
    let starts = |h: &egui_kittest::Harness<'static, frontier_atlas::ui::AtlasApp>| {
        let app = h.state();
        let layer = app.catalog.layers.iter().find(|l| l.uid == uid).unwrap();
        layer.features.iter().map(|f| f.time.map(|t| t.start)).collect::<Vec<_>>()
    };
    assert_eq!(starts(&h), [Some(day(2022, 6, 30)), Some(day(2022, 6, 30))], "UTC until chosen");
    assert!(h.query_by_label("UTC (UTC+00:00)").is_some(), "the zone beside the date fields");
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Time zone").click();
    h.run_steps(2);
    h.get_by_label("Asia/Dushanbe").click();
    h.run_steps(3);
    assert_eq!(frontier_atlas::time::zone::current(), chrono_tz::Tz::Asia__Dushanbe);
    assert_eq!(starts(&h), [Some(day(2022, 7, 1)), Some(day(2022, 6, 30))], "the timestamp moves, the date stays");
    assert!(h.query_by_label("Asia/Dushanbe (UTC+05:00)").is_some(), "the zone beside the date fields");
    assert_eq!(h.state().state.time_zone, "Asia/Dushanbe", "remembered for the next start");
    // Every export states it beside its dates.
    let range = frontier_atlas::time::Range::new(day(2022, 6, 1), day(2022, 6, 30));
    assert_eq!(
        frontier_atlas::cli::describe_range(&range),
        "1 Jun 2022 – 30 Jun 2022 · times in Asia/Dushanbe (UTC+05:00)"
    );
    // An unknown zone is refused with a message naming it; the zone stays.
    h.state_mut().zone_text = "Asia/Nowhere".to_owned();
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Time zone").click();
    h.run_steps(2);
    h.get_by_label("Use").click();
    h.run_steps(2);
    assert!(h.state().messages.iter().any(|m| m.text.contains("unknown time zone \"Asia/Nowhere\"")));
    assert_eq!(frontier_atlas::time::zone::current(), chrono_tz::Tz::Asia__Dushanbe);
}
