//! ACLED CSV import: the hostile fixture, header handling, errors and the generator.

use std::io::Cursor;
use std::path::Path;

use frontier_atlas::io::acled::{AcledError, import_acled, parse_acled, write_geojson};
use serde_json::{Value, json};

#[path = "common/acled_gen.rs"]
mod acled_gen;
use acled_gen::{generate_acled_csv, generate_features};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/acled/hostile.csv");

fn hostile() -> frontier_atlas::io::acled::AcledImport {
    import_acled(Path::new(FIXTURE)).unwrap_or_else(|e| panic!("{e}"))
}

fn props(f: &geojson::Feature) -> &serde_json::Map<String, Value> {
    f.properties.as_ref().unwrap_or_else(|| panic!("feature without properties"))
}

fn id_of(f: &geojson::Feature) -> String {
    match f.id.as_ref() {
        None => panic!("feature without id"),
        Some(geojson::feature::Id::String(s)) => s.clone(),
        Some(geojson::feature::Id::Number(n)) => n.to_string(),
    }
}

#[test]
fn hostile_fixture_counts() {
    let imp = hostile();
    assert_eq!(imp.rows_read, 11);
    let ids: Vec<String> = imp.features.iter().map(id_of).collect();
    assert_eq!(ids, ["AFG900001", "AFG900002", "TJK900001", "TJK900002", "AFG900007"]);
    assert_eq!(imp.problems.len(), 7);
    assert_eq!(imp.rows_skipped(), 6);
}

#[test]
fn hostile_fixture_problem_lines_and_columns() {
    let imp = hostile();
    let got: Vec<(usize, usize, bool)> = imp.problems.iter().map(|p| (p.line, p.col, p.skipped)).collect();
    assert_eq!(
        got,
        [
            (7, 2, true),    // 2022-02-30
            (8, 23, true),   // latitude abc
            (9, 0, true),    // too few fields
            (11, 1, true),   // duplicate id
            (12, 1, true),   // missing id
            (13, 24, true),  // longitude 200
            (14, 29, false)  // fatalities "unknown", kept as text
        ]
    );
    let msgs: Vec<&str> = imp.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(msgs[0].contains("event_date") && msgs[0].contains("`2022-02-30` is not a calendar date"), "{}", msgs[0]);
    assert!(msgs[1].starts_with("latitude:") && msgs[1].contains("abc"), "{}", msgs[1]);
    assert!(msgs[2].contains("20 fields, expected 32"), "{}", msgs[2]);
    assert!(msgs[3].contains("duplicate id `AFG900001`") && msgs[3].contains("line 2"), "{}", msgs[3]);
    assert!(msgs[4].contains("missing event id"), "{}", msgs[4]);
    assert!(msgs[5].starts_with("longitude:"), "{}", msgs[5]);
    assert!(msgs[6].starts_with("fatalities:") && msgs[6].contains("kept as text"), "{}", msgs[6]);
}

#[test]
fn geometry_is_lon_lat_point() {
    let imp = hostile();
    let g = imp.features[0].geometry.as_ref().unwrap();
    let v = serde_json::to_value(g).unwrap();
    assert_eq!(v, json!({"type": "Point", "coordinates": [70.7911, 38.4231]}));
}

#[test]
fn property_order_and_types() {
    let imp = hostile();
    let p = props(&imp.features[0]);
    let keys: Vec<&str> = p.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = frontier_atlas::io::acled::ACLED_COLUMNS.to_vec();
    expected.push("review_flag");
    assert_eq!(keys, expected);
    assert_eq!(p["event_id_cnty"], json!("AFG900001"));
    assert_eq!(p["event_date"], json!("2022-05-18"));
    assert_eq!(p["year"], json!(2022));
    assert_eq!(p["time_precision"], json!(1));
    assert_eq!(p["inter1"], json!(1));
    assert_eq!(p["interaction"], json!(12));
    assert_eq!(p["iso"], json!(4));
    assert_eq!(p["latitude"], json!(38.4231));
    assert_eq!(p["longitude"], json!(70.7911));
    assert_eq!(p["geo_precision"], json!(2));
    assert_eq!(p["fatalities"], json!(0));
    assert_eq!(p["timestamp"], json!(1_653_955_200));
    assert_eq!(p["event_type"], json!("Battles"));
    assert_eq!(p["assoc_actor_1"], json!(""));
    assert_eq!(p["review_flag"], json!("checked"));
    assert_eq!(p["notes"], json!("Fixture row: clash near the river, two posts, no casualties reported."));
}

#[test]
fn textual_dates_are_normalised() {
    let imp = hostile();
    assert_eq!(props(&imp.features[1])["event_date"], json!("2022-05-18")); // 18 May 2022
    assert_eq!(props(&imp.features[2])["event_date"], json!("2022-05-18")); // 18-May-2022
    assert_eq!(props(&imp.features[4])["event_date"], json!("2023-01-03")); // 3 Jan 2023
}

#[test]
fn quotes_and_newlines_survive() {
    let imp = hostile();
    assert_eq!(props(&imp.features[1])["notes"], json!("Fixture row with \"quoted\" words, and a comma."));
    assert_eq!(
        props(&imp.features[2])["notes"],
        json!("Fixture row line one.\r\nFixture row line two, with a comma.\r\nFixture row line three.")
    );
}

#[test]
fn text_in_numeric_columns() {
    let imp = hostile();
    let p = props(&imp.features[4]);
    assert_eq!(p["inter1"], json!("Rebel group"));
    assert_eq!(p["fatalities"], json!("unknown"));
}

#[test]
fn bom_is_stripped_from_first_header() {
    let imp = hostile();
    assert!(props(&imp.features[0]).contains_key("event_id_cnty"));
}

#[test]
fn columns_by_name_any_order_and_case() {
    let csv = " LONGITUDE ,Latitude,event_type,EVENT_DATE,event_id_cnty,fatalities\n\
               70.5,37.25,Battles,2022-01-02,X1,\n";
    let imp = parse_acled(Cursor::new(csv), "mem.csv").unwrap();
    assert!(imp.problems.is_empty(), "{:?}", imp.problems);
    let p = props(&imp.features[0]);
    let keys: Vec<&str> = p.keys().map(String::as_str).collect();
    assert_eq!(keys, ["event_id_cnty", "event_date", "event_type", "latitude", "longitude", "fatalities"]);
    assert_eq!(p["fatalities"], Value::Null);
}

#[test]
fn missing_required_columns_named() {
    let csv = "event_id_cnty,event_date,notes\nX1,2022-01-02,hi\n";
    let err = parse_acled(Cursor::new(csv), "partial.csv").unwrap_err();
    match &err {
        AcledError::MissingColumns { file, columns } => {
            assert_eq!(file, "partial.csv");
            assert_eq!(columns, &["event_type", "latitude", "longitude"]);
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("partial.csv") && msg.contains("event_type, latitude, longitude"), "{msg}");
}

#[test]
fn duplicate_headers_are_refused_naming_each_repeated_column() {
    // `latitude` twice (the second is a different place): which one is meant is a guess.
    let csv = "event_id_cnty,event_date,event_type,latitude,longitude, Latitude ,notes,NOTES\n\
               X1,2022-01-02,Battles,37.5,69.1,38.9,a,b\n";
    let err = parse_acled(Cursor::new(csv), "dup.csv").unwrap_err();
    assert!(
        matches!(&err, AcledError::DuplicateColumns { columns, .. }
            if *columns == [(6, "Latitude".to_owned(), 4), (8, "NOTES".to_owned(), 7)]),
        "{err:?}"
    );
    let lines: Vec<String> = err.to_string().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("dup.csv:1:6: duplicate column `Latitude` (also column 4)"), "{lines:?}");
    assert!(lines[1].starts_with("dup.csv:1:8: duplicate column `NOTES` (also column 7)"), "{lines:?}");
    // Empty header cells are not names: several may appear (trailing commas of spreadsheets).
    let csv = "event_id_cnty,event_date,event_type,latitude,longitude,,\nX1,2022-01-02,Battles,37.5,69.1,,\n";
    assert_eq!(parse_acled(Cursor::new(csv), "blank.csv").expect("loads").features.len(), 1);
}

#[test]
fn point_csv_with_a_duplicate_header_is_refused() {
    use frontier_atlas::io::csv_points::{CsvPointsError, read_csv_points};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.csv");
    std::fs::write(&path, "name,lat,lon,LAT\nKhorog,37.49,71.55,0\n").unwrap();
    let err = read_csv_points(&path).expect_err("duplicate `lat` must be refused");
    assert!(matches!(&err, CsvPointsError::DuplicateColumns { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{}:1:4: duplicate column `LAT` (also column 2)", path.display())), "{msg}");
    // An ACLED export read through the point reader reports the same way.
    std::fs::write(&path, "event_id_cnty,event_date,event_type,latitude,longitude,latitude\n").unwrap();
    let msg = read_csv_points(&path).expect_err("duplicate ACLED column").to_string();
    assert!(msg.contains(&format!("{}:1:6: duplicate column `latitude` (also column 4)", path.display())), "{msg}");
}

#[test]
fn empty_input_is_missing_columns() {
    let err = parse_acled(Cursor::new(""), "empty.csv").unwrap_err();
    assert!(matches!(err, AcledError::MissingColumns { .. }));
}

#[test]
fn io_error_names_file() {
    let err = import_acled(Path::new("/nonexistent/dir/x.csv")).unwrap_err();
    assert!(matches!(err, AcledError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/dir/x.csv"));
}

#[test]
fn invalid_utf8_row_reported_and_skipped() {
    let mut bytes =
        b"event_id_cnty,event_date,event_type,latitude,longitude\nA1,2022-01-01,Battles,37,70\nA2,2022-01-01,Bat"
            .to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"tles,37,70\nA3,2022-01-01,Battles,37,70\n");
    let imp = parse_acled(Cursor::new(bytes), "bad.csv").unwrap();
    assert_eq!(imp.features.len(), 2);
    assert_eq!(imp.problems.len(), 1);
    assert_eq!((imp.problems[0].line, imp.problems[0].col), (3, 3));
}

#[test]
fn write_geojson_round_trips() {
    let imp = hostile();
    let text = write_geojson(&imp);
    // Compared as JSON values: numbers keep their exact text (serde_json's
    // `arbitrary_precision`), which the geojson crate's typed reader does not accept.
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    let want = serde_json::to_value(&imp.features).unwrap();
    assert_eq!(back["features"].as_array().unwrap().len(), imp.features.len());
    assert_eq!(back["features"], want);
}

#[test]
fn generator_is_deterministic() {
    let mut a = Vec::new();
    let mut b = Vec::new();
    generate_acled_csv(1000, 42, &mut a).unwrap();
    generate_acled_csv(1000, 42, &mut b).unwrap();
    assert_eq!(a, b);
    let mut c = Vec::new();
    generate_acled_csv(1000, 43, &mut c).unwrap();
    assert_ne!(a, c);
}

#[test]
fn generator_output_parses_cleanly() {
    let mut bytes = Vec::new();
    generate_acled_csv(1000, 7, &mut bytes).unwrap();
    let imp = parse_acled(Cursor::new(bytes), "generated.csv").unwrap();
    assert!(imp.problems.is_empty(), "{:?}", &imp.problems[..imp.problems.len().min(3)]);
    assert_eq!(imp.features.len(), 1000);
    assert_eq!(imp.rows_read, 1000);
    for f in &imp.features {
        let p = props(f);
        let lon = p["longitude"].as_f64().unwrap();
        let lat = p["latitude"].as_f64().unwrap();
        assert!((66.0..=76.0).contains(&lon) && (35.0..=40.0).contains(&lat));
        let year = p["year"].as_i64().unwrap();
        assert!((2016..=2024).contains(&year));
    }
    // In-memory events match the CSV.
    let mem = generate_features(1000, 7);
    let first = props(&imp.features[0]);
    assert!((first["longitude"].as_f64().unwrap() - mem[0].0).abs() < 1e-4);
    for (f, (_, _, span)) in imp.features.iter().zip(&mem) {
        let p = props(f);
        let precision = p["time_precision"].as_u64().map(|v| u8::try_from(v).unwrap());
        let got = frontier_atlas::time::DateSpan::from_acled(p["event_date"].as_str().unwrap(), precision).unwrap();
        assert_eq!(&got, span);
    }
}

#[test]
fn lf_and_blank_lines_give_same_line_numbers() {
    let crlf = std::fs::read(FIXTURE).unwrap();
    let lf: Vec<u8> = String::from_utf8(crlf).unwrap().replace("\r\n", "\n").into_bytes();
    let imp = parse_acled(Cursor::new(lf.clone()), "lf.csv").unwrap();
    let lines: Vec<usize> = imp.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [7, 8, 9, 11, 12, 13, 14]);
    // Without the BOM, and with a blank line inserted after line 3 (shifting later lines by one).
    let text = String::from_utf8(lf).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut out: Vec<&str> = text.split('\n').collect();
    out.insert(3, "");
    let imp = parse_acled(Cursor::new(out.join("\n")), "blank.csv").unwrap();
    let lines: Vec<usize> = imp.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [8, 9, 10, 12, 13, 14, 15]);
    assert_eq!(imp.features.len(), 5);
}
