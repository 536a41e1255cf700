//! The build-time rules for shipped layers: every shipped file passes, and each rule catches
//! the mistake it exists for, at the right line.

use frontier_atlas::io::geodata_check::check_layer_file;
use frontier_atlas::time::DateSpan;

fn check(file: &str, text: &str) -> Vec<String> {
    check_layer_file(file, &format!("geodata/{file}"), text.as_bytes())
}

fn event(id: &str, props: &str, lon: f64, lat: f64) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{{props}}}}}"#
    )
}

fn acled(id: &str, date: &str, event_type: &str, sub: &str, lon: f64, lat: f64) -> String {
    format!(
        r#""event_id_cnty":"{id}","event_date":"{date}","time_precision":1,"disorder_type":"Political violence","event_type":"{event_type}","sub_event_type":"{sub}","actor1":"A","actor2":"","country":"Tajikistan","admin1":"GBAO","admin2":"","location":"Khorog","latitude":{lat},"longitude":{lon},"geo_precision":1,"source":"S","notes":"N","fatalities":0"#
    )
}

fn collection(features: &[String]) -> String {
    format!("{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}", features.join(",\n"))
}

#[test]
fn every_shipped_layer_passes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("geodata") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if !name.ends_with(".geojson") {
            continue;
        }
        let problems = check_layer_file(&name, &format!("geodata/{name}"), &std::fs::read(&path).expect("read"));
        assert!(problems.is_empty(), "{name}: {problems:?}");
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} layers checked");
}

#[test]
fn a_valid_event_passes() {
    let text = collection(&[event(
        "TJK-1",
        &acled("TJK-1", "2022-05-18", "Battles", "Armed clash", 71.55, 37.49),
        71.55,
        37.49,
    )]);
    assert_eq!(check("events.geojson", &text), Vec::<String>::new());
}

#[test]
fn event_rules_catch_each_mistake_at_its_line() {
    let cases = [
        (acled("E", "2022-02-30", "Battles", "Armed clash", 71.0, 37.0), "`2022-02-30` is not a calendar date"),
        (acled("E", "2022-05", "Battles", "Grenade", 71.0, 37.0), "sub_event_type"),
        (acled("E", "2022", "Fights", "Armed clash", 71.0, 37.0), "unknown ACLED event_type"),
        (acled("E", "2022-05-18/2022-05-01", "Battles", "Armed clash", 71.0, 37.0), "2022-05-18/2022-05-01"),
        (
            acled("E", "2022-05-18", "Battles", "Armed clash", 71.0, 37.0).replace("Political violence", "Unrest"),
            "disorder_type",
        ),
        (
            acled("E", "2022-05-18", "Battles", "Armed clash", 71.0, 37.0)
                .replace("\"fatalities\":0", "\"fatalities\":-2"),
            "fatalities",
        ),
    ];
    for (props, expected) in cases {
        let text = collection(&[event("E", &props, 71.0, 37.0)]);
        let problems = check("events.geojson", &text);
        assert!(
            problems.iter().any(|p| p.contains(expected) && p.starts_with("geodata/events.geojson:2:")),
            "expected `{expected}` on line 2, got {problems:?}"
        );
    }
    // latitude/longitude must equal the geometry.
    let text = collection(&[event("E", &acled("E", "2022-05-18", "Battles", "Armed clash", 71.0, 37.0), 71.5, 37.0)]);
    assert!(check("events.geojson", &text).iter().any(|p| p.contains("longitude")), "coordinate mismatch not caught");
    // id must equal event_id_cnty; a missing ACLED key is named.
    let text = collection(&[event("X", &acled("E", "2022-05-18", "Battles", "Armed clash", 71.0, 37.0), 71.0, 37.0)]);
    assert!(!check("events.geojson", &text).is_empty(), "id/event_id_cnty mismatch not caught");
    let props = acled("E", "2022-05-18", "Battles", "Armed clash", 71.0, 37.0).replace(r#","notes":"N""#, "");
    let text = collection(&[event("E", &props, 71.0, 37.0)]);
    assert!(check("events.geojson", &text).iter().any(|p| p.contains("notes")), "missing key not named");
}

#[test]
fn ids_must_exist_and_be_unique() {
    let place = |id: &str| {
        format!(
            r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[71.5,37.5]}},"properties":{{"name":"P","kind":"town","country":"TJK","geo_precision":1,"rank":3}}}}"#
        )
    };
    let text = collection(&[place("a"), place("a")]);
    assert!(
        check("places.geojson", &text).iter().any(|p| p.starts_with("geodata/places.geojson:3:")),
        "duplicate id on line 3 not caught"
    );
    let no_id = place("a").replace(r#""id":"a","#, "");
    assert!(!check("places.geojson", &collection(&[no_id])).is_empty(), "missing id not caught");
    let bad_kind = place("a").replace("town", "metropolis");
    assert!(
        check("places.geojson", &collection(&[bad_kind])).iter().any(|p| p.contains("kind")),
        "unknown place kind not caught"
    );
}

#[test]
fn aid_rules_catch_unknown_types_and_missing_dates() {
    let aid = |extra: &str| {
        format!(
            r#"{{"type":"Feature","id":"A-1","geometry":{{"type":"Point","coordinates":[68.1,37.0]}},"properties":{{"id":"A-1","donor":"United States","recipient":"Border Troops","aid_type":"facility","title":"T","status":"planned","location":"Ayvoj","geo_precision":2,"source":"S","notes":"N"{extra}}}}}"#
        )
    };
    assert_eq!(check("aid.geojson", &collection(&[aid(r#","announced":"2021-09""#)])), Vec::<String>::new());
    assert!(!check("aid.geojson", &collection(&[aid("")])).is_empty(), "aid without announced/start not caught");
    let weapons = aid(r#","announced":"2021""#).replace("facility", "weapons");
    assert!(
        check("aid.geojson", &collection(&[weapons])).iter().any(|p| p.contains("aid_type")),
        "unknown aid_type not caught"
    );
    let negative = aid(r#","announced":"2021","amount_usd":-5"#);
    assert!(!check("aid.geojson", &collection(&[negative])).is_empty(), "negative amount not caught");
}

#[test]
fn shipped_dates_follow_the_app_grammar_exactly() {
    // The build check and the app share one date parser: whatever the app reads passes, and a
    // date it refuses fails with the app's own message.
    let aid = |announced: &str| {
        format!(
            r#"{{"type":"Feature","id":"A-1","geometry":{{"type":"Point","coordinates":[68.1,37.0]}},"properties":{{"id":"A-1","donor":"United States","recipient":"Border Troops","aid_type":"facility","title":"T","status":"planned","location":"Ayvoj","geo_precision":2,"source":"S","notes":"N","announced":"{announced}"}}}}"#
        )
    };
    for date in
        ["2021-09", "2021-06-01/2021-08-31", "2021-06/2021-08", "2021-03/..", "18 May 2022", "2022-05-18T06:00:00Z"]
    {
        assert!(DateSpan::parse(date).is_ok(), "{date}");
        assert_eq!(check("aid.geojson", &collection(&[aid(date)])), Vec::<String>::new(), "{date}");
    }
    for date in ["2022-5-1", "5/6/2022", "2022-13", "2021-09-31", "2022-05-18/2022-05-01", "soon"] {
        let why = DateSpan::parse(date).expect_err(date).to_string();
        let problems = check("aid.geojson", &collection(&[aid(date)]));
        assert!(
            problems.len() == 1 && problems[0].ends_with(&format!("`announced`: {why}")),
            "{date}: expected the app's message {why:?}, got {problems:?}"
        );
    }
}

#[test]
fn rfc_problems_stop_before_layer_rules() {
    let problems = check("countries.geojson", "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"feature\"}]}");
    assert!(problems.iter().any(|p| p.starts_with("geodata/countries.geojson:1:")), "{problems:?}");
}

#[test]
fn districts_need_a_name_a_province_a_country_and_a_source() {
    let square = r#"{"type":"Polygon","coordinates":[[[70,37],[71,37],[71,38],[70,38],[70,37]]]}"#;
    let ok = format!(
        r#"{{"type":"Feature","id":"AFG-takhar-baharak","properties":{{"name":"Baharak","province":"Takhar","country":"AFG","source":"geoBoundaries"}},"geometry":{square}}}"#
    );
    assert_eq!(check("districts.geojson", &collection(&[ok])), Vec::<String>::new());
    let no_province = format!(
        r#"{{"type":"Feature","id":"AFG-x","properties":{{"name":"Baharak","country":"AFG","source":"geoBoundaries"}},"geometry":{square}}}"#
    );
    let problems = check("districts.geojson", &collection(&[no_province]));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("geodata/districts.geojson:2:") && problems[0].contains("`province`"),
        "{problems:?}"
    );
}
