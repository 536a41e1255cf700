//! `convert` of an ACLED CSV to GeoPackage reads the rows' cells straight into the table
//! (issue 8), without writing each row as GeoJSON text and parsing it back: the file it
//! writes holds exactly what converting the GeoJSON `import acled` writes for the same export
//! gives (every table, row and cell; the metadata but the time of writing), and what the
//! whole-file conversion gives — numbers, empty and non-numeric cells of numeric columns,
//! integers mixed with decimals, quoted text, extra columns and duplicate ids included.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

#[path = "common/acled_gen.rs"]
mod acled_gen;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use frontier_atlas::io::acled::{GeoJsonWriter, open_acled};
use frontier_atlas::io::convert::{BadRows, convert_layer};

/// Every table of the GeoPackage at `path`, row by row, cell by cell (the time of writing
/// left out).
fn dump(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = String::new();
    let tables: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0).unwrap(), r.get(1).unwrap())))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (table, sql) in tables {
        writeln!(out, "{sql}").unwrap();
        let mut st = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid")).unwrap();
        let names: Vec<String> = st.column_names().iter().map(|s| (*s).to_owned()).collect();
        let mut rows = st.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for (i, name) in names.iter().enumerate() {
                match row.get_ref(i).unwrap() {
                    _ if name == "last_change" => {}
                    rusqlite::types::ValueRef::Text(t) => {
                        write!(out, "Text({:?}) | ", String::from_utf8_lossy(t)).unwrap();
                    }
                    other => write!(out, "{other:?} | ").unwrap(),
                }
            }
            out.push('\n');
        }
    }
    out
}

/// The GeoJSON `import acled` writes for the export `csv`, as `dir/NAME.geojson` (the
/// layer's name is the file's stem).
fn as_geojson(csv: &Path, dir: &Path) -> PathBuf {
    let geojson = dir.join(csv.with_extension("geojson").file_name().unwrap());
    let mut writer = GeoJsonWriter::new(Vec::new()).unwrap();
    open_acled(csv).unwrap().stream_rows(|row| writer.row(&row)).unwrap();
    std::fs::write(&geojson, writer.finish().unwrap()).unwrap();
    geojson
}

/// Converts the export `csv` to GeoPackage from its cells, from its GeoJSON and whole; all
/// three files must hold the same; gives the first's dump.
fn same_three_ways(csv: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    for d in [&a, &b, &c] {
        std::fs::create_dir(d).unwrap();
    }
    let stem = csv.file_stem().unwrap().to_string_lossy().into_owned();
    let out = |d: &Path| d.join("out.gpkg");
    let cells = convert_layer(csv, &out(&a), None, BadRows::Skip).unwrap();
    convert_layer(&as_geojson(csv, &b), &out(&b), None, BadRows::Skip).unwrap();
    let whole = convert_layer(csv, &out(&c), Some(&stem), BadRows::Skip).unwrap();
    assert_eq!(cells.problems, whole.problems);
    assert_eq!(cells.lossy, whole.lossy);
    assert_eq!(cells.layers, whole.layers);
    let dumped = dump(&out(&a));
    assert_eq!(dumped, dump(&out(&b)), "cells and GeoJSON differ");
    assert_eq!(dumped, dump(&out(&c)), "cells and whole differ");
    dumped
}

#[test]
fn odd_cells_are_written_as_their_geojson_is() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("odd.csv");
    let rows = [
        "event_id_cnty,event_date,year,time_precision,event_type,inter1,fatalities,timestamp,latitude,longitude,notes,Extra,start",
        "A1,2021-01-02,2021,1,Riots,1,0,1700000000,38.5,68.8,plain,x,2021-01-01",
        "A2,2021-01-03,2021.5,2,Protests,State Forces,2.5,9223372036854775808,-0.0,-0,\"quoted \"\"text\"\", a comma\",,2021-13-01",
        "A3,2021-01-04,,3,Battles,,,-5,37.25,69.125,\"two\nlines\",\"\\u00e9 é\",",
        "A4,2021-01-05,2021, 2 ,Riots, 3 , 7 ,1e3,38,68,x,1,1",
        "A5,2021-01-06,2021,1,Riots,4,abc,1e400,38.1,68.1,,,",
        "A2,2021-01-07,2021,1,Riots,5,1,1,38.2,68.2,duplicate,,",
        "A6,2021-01-08,2021,9,Riots,-0,-0,0.5,38.3,68.3,,,",
    ];
    std::fs::write(&csv, rows.join("\n")).unwrap();
    let dumped = same_three_ways(&csv);
    assert!(dumped.contains("Text(\"quoted \\\"text\\\", a comma\")"), "{dumped}");
    // Six rows: the duplicate id is skipped.
    assert!(dumped.contains("Text(\"A6\")") && !dumped.contains("Text(\"duplicate\")"), "{dumped}");
}

/// A generated export large enough to be read in several pieces on several cores, with
/// rows repeated further on (duplicate ids, skipped) in and across pieces.
#[test]
fn a_generated_export_with_duplicates_is_written_as_its_geojson_is() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gen.csv");
    let mut text = Vec::new();
    acled_gen::generate_acled_csv(6_000, 8, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    for (from, to) in [(10, 12), (100, 5_000), (2_000, 2_001), (3_000, lines.len())] {
        let line = lines[from];
        lines.insert(to, line);
    }
    std::fs::write(&csv, lines.join("\n")).unwrap();
    let dumped = same_three_ways(&csv);
    assert!(dumped.lines().count() > 6_000, "{}", dumped.lines().count());
}

/// An export longer than the rows its table is first planned from (`convert` plans the
/// table from them and writes while it reads), whose last row turns an integer column into
/// decimals: the table is the one every row plans, as its GeoJSON gives.
#[test]
fn a_column_that_turns_decimal_after_the_first_rows_is_written_as_its_geojson_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.csv");
    let mut text = Vec::new();
    acled_gen::generate_acled_csv(15_000, 9, &mut text).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_slice());
    let headers = reader.headers().unwrap().clone();
    let column = headers.iter().position(|h| h == "fatalities").unwrap();
    let mut records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let last = records.last_mut().unwrap();
    *last = last.iter().enumerate().map(|(i, cell)| if i == column { "2.5" } else { cell }).collect();
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&headers).unwrap();
    for record in &records {
        writer.write_record(record).unwrap();
    }
    writer.flush().unwrap();
    let dumped = same_three_ways(&path);
    assert!(dumped.contains("\"fatalities\" REAL"), "{}", dumped.lines().take(12).collect::<Vec<_>>().join("\n"));
    assert!(dumped.contains("Real(2.5)"));
}
