//! The streamed conversion to GeoPackage reads features of the common shape straight from
//! their text (`frontier_atlas::io::gpkg::raw`) rather than through `serde_json::Value`
//! trees: its tables must hold exactly what the whole-layer conversion (the `Value` path,
//! `--layer NAME`) writes — every cell with its SQLite type — and its reports must be the
//! same, on features that vary in every way the planner and the encoder look at.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

use std::fmt::Write as _;
use std::path::Path;

use frontier_atlas::io::convert::{BadRows, ConvertError, ConvertReport, convert_layer};

/// Every table of the GeoPackage at `path`, every row, each cell with its SQLite type; and
/// the metadata but the time of writing.
fn dump(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = String::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for sql in [
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid".to_owned(),
        "SELECT table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents"
            .to_owned(),
    ]
    .into_iter()
    .chain(
        tables
            .iter()
            .filter(|t| !t.starts_with("gpkg_contents") && !t.starts_with("sqlite_"))
            .map(|t| format!("SELECT * FROM \"{t}\"")),
    ) {
        let mut st = conn.prepare(&sql).unwrap();
        let n = st.column_count();
        let rows: Vec<String> = st
            .query_map([], |r| {
                Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        writeln!(out, "{sql}\n{}", rows.join("\n")).unwrap();
    }
    out
}

/// The report without its paths, or the error's message.
fn outcome(result: Result<ConvertReport, ConvertError>, out: &Path) -> String {
    match result {
        Ok(r) => format!("layers {:?}\nproblems {:#?}\nlossy {:#?}", r.layers, r.problems, r.lossy),
        Err(e) => format!("error {}", e.to_string().replace(&out.display().to_string(), "OUT")),
    }
}

/// Converts `text` (a collection called `t`) streamed and whole; both give the same.
fn same_both_ways(text: &str, bad_rows: BadRows) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.geojson");
    std::fs::write(&input, text).unwrap();
    let streamed = dir.path().join("streamed.gpkg");
    let whole = dir.path().join("whole.gpkg");
    let a = outcome(convert_layer(&input, &streamed, None, bad_rows), &streamed);
    let b = outcome(convert_layer(&input, &whole, Some("t"), bad_rows), &whole);
    assert_eq!(a, b, "{text}");
    assert_eq!(streamed.exists(), whole.exists());
    if streamed.exists() {
        let (s, w) = (dump(&streamed), dump(&whole));
        assert!(s == w, "{text}\n--- streamed\n{s}\n--- whole\n{w}");
    }
    a
}

/// A collection of `features` (one per line).
fn collection(features: &[&str]) -> String {
    format!("{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n", features.join(",\n"))
}

const POINT: &str = r#"{"type":"Point","coordinates":[69.1,37.2]}"#;

/// Values of every kind, in columns that stay one type, join to decimals, or mix types.
#[test]
fn every_kind_of_value_is_written_as_the_value_path_writes_it() {
    let features = [
        format!(
            r#"{{"type":"Feature","id":"a","geometry":{POINT},"properties":{{"int":1,"mixed_num":1,"real":1.5,"exp":1E5,"big":9223372036854775807,"bool":true,"text":"plain","esc":"q\"u\u00e9\n\/","nested":{{"k":[1,"two",{{"x":null}}]}},"arr":[1, 2],"mixed":"s","boolint":true,"k\u00e9y":"escaped key","empty":"","nul":null}}}}"#
        ),
        format!(
            r#"{{"type":"Feature","id":"b","geometry":{POINT},"properties":{{"mixed_num":2.25,"int":-0,"real":-3,"exp":-1.5e-3,"big":9223372036854775808,"bool":false,"text":"\u0041","esc":"","nested":null,"arr":[],"mixed":3,"boolint":0,"kéy":1,"new":"late key"}}}}"#
        ),
        // Keys in another order, some missing.
        format!(
            r#"{{"properties":{{"text":"t","int":7,"mixed":{{"o":1}},"mixed_num":3}},"geometry":{POINT},"type":"Feature","id":"c"}}"#
        ),
        r#"{"type":"Feature","id":"d","geometry":null,"properties":{}}"#.to_owned(),
        r#"{"type":"Feature","id":"e","geometry":null,"properties":null}"#.to_owned(),
        r#"{"type":"Feature","id":"f","geometry":null,"properties":{"mixed":false,"real":1.5e300}}"#.to_owned(),
    ];
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    let out = same_both_ways(&collection(&features), BadRows::Fail);
    assert!(out.starts_with("layers [(\"t\", 6)]"), "{out}");
    assert!(out.contains("mixes integers and decimals"), "{out}");
}

/// Every id policy: unique integers (the fids), duplicates, mixed numbers and strings,
/// numbers spelled with exponents, some features without.
#[test]
fn ids_are_written_as_the_value_path_writes_them() {
    // An empty id: the feature has none.
    let feature = |id: &str| {
        let id = if id.is_empty() { String::new() } else { format!(r#""id":{id},"#) };
        format!(r#"{{"type":"Feature",{id}"geometry":{POINT},"properties":{{"n":1}}}}"#)
    };
    for ids in [
        vec!["1", "2", "30"],
        vec!["1", "1", "2"],
        vec!["1", "\"two\"", "3"],
        vec!["1E2", "2.5", "-0", "\"x\\u00e9\""],
        vec!["1", "", "2"],
        vec!["9223372036854775808", "1"],
    ] {
        let features: Vec<String> = ids.iter().map(|id| feature(id)).collect();
        let features: Vec<&str> = features.iter().map(String::as_str).collect();
        let out = same_both_ways(&collection(&features), BadRows::Fail);
        assert!(out.starts_with("layers"), "{ids:?}: {out}");
    }
}

/// Geometries of every type, with and without Z, and null ones.
#[test]
fn geometries_are_written_as_the_value_path_writes_them() {
    let geometries = [
        POINT,
        r#"{"type":"Point","coordinates":[69.5,37.5,120.5]}"#,
        r#"{"type":"LineString","coordinates":[[69,37],[70,38]]}"#,
        r#"{"type":"Polygon","coordinates":[[[69,37],[70,37],[70,38],[69,37]]]}"#,
        r#"{"type":"MultiPoint","coordinates":[[69,37],[70,38,1]]}"#,
        r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[69,37]}]}"#,
        "null",
    ];
    let features: Vec<String> = geometries
        .iter()
        .enumerate()
        .map(|(i, g)| format!(r#"{{"type":"Feature","id":{i},"geometry":{g},"properties":{{"i":{i}}}}}"#))
        .collect();
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    same_both_ways(&collection(&features), BadRows::Fail);
    // One geometry type: the table's.
    let lines: Vec<String> = (0..3)
        .map(|i| {
            format!(r#"{{"type":"Feature","geometry":{{"type":"LineString","coordinates":[[69,3{i}],[70,38]]}},"properties":null}}"#)
        })
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    same_both_ways(&collection(&lines), BadRows::Fail);
}

/// Features the raw reader leaves to the `Value` path (foreign members) mixed with ones it
/// reads, dates the loader cannot read: the same rows, the same reports, with and without
/// --skip-bad.
#[test]
fn features_read_either_way_and_skipped_ones_give_the_same_table() {
    let features = [
        r#"{"type":"Feature","geometry":null,"properties":{}}"#,
        r#"{"type":"Feature","id":7,"geometry":null,"properties":{"event_date":"2021-03-04","event_type":"Battles","n":1},"extra":{"a":[1,2]}}"#,
        r#"{"type":"Feature","id":8,"geometry":{"type":"Point","coordinates":[69.5,37.5]},"properties":{"event_date":"not a date","event_type":"Riots","n":2}}"#,
        r#"{"type":"Feature","id":9,"geometry":{"type":"Polygon","coordinates":[[[69,37],[70,37],[70,38],[69,37]]]},"properties":{"event_date":"2021-05-01","event_type":"Riots","n":3}}"#,
        r#"{"type":"Feature","id":10,"geometry":{"type":"Point","coordinates":[69.5,37.5]},"properties":{"event_date":"2021-05-01","time_precision":2,"event_type":"Riots","n":4}}"#,
        r#"{"type":"Feature","id":11,"geometry":{"type":"Point","coordinates":[69.5,37.5]},"properties":{"event_date":20210501,"event_type":"Riots","n":5.5}}"#,
    ];
    let text = collection(&features);
    let fail = same_both_ways(&text, BadRows::Fail);
    assert!(fail.starts_with("error"), "{fail}");
    let skip = same_both_ways(&text, BadRows::Skip);
    assert!(skip.starts_with("layers"), "{skip}");
    // Aid and boundary layers read other properties for their kind and dates.
    let aid = [
        r#"{"type":"Feature","geometry":null,"properties":{"donor":"X","aid_type":"Y","start":"2020-01-01","end":"bad"}}"#,
        r#"{"type":"Feature","geometry":null,"properties":{"donor":"X","aid_type":"Y","announced":"2020-02"}}"#,
    ];
    same_both_ways(&collection(&aid), BadRows::Skip);
    let boundary = [r#"{"type":"Feature","geometry":null,"properties":{"shapeType":"ADM1","shapeName":"A"}}"#];
    same_both_ways(&collection(&boundary), BadRows::Fail);
}
