//! `import acled` streams: the same bytes as the whole-file import, and nothing written when a
//! row (even the last of many) cannot be used.

#[path = "common/acled_gen.rs"]
mod acled_gen;
#[cfg(unix)]
#[path = "common/child.rs"]
#[expect(dead_code, reason = "run_child_test: these tests run the binary itself under the cap")]
mod child;

use std::path::Path;
use std::process::{Command, Output};

use frontier_atlas::io::acled::{
    GeoJsonWriter, import_acled, parse_acled, stream_acled, stream_acled_rows, write_geojson,
};

const HOSTILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/acled/hostile.csv");

fn import(input: &Path, out: &Path, skip_bad: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontier-atlas"));
    cmd.args(["import", "acled"]).arg(input).arg("--out").arg(out);
    if skip_bad {
        cmd.arg("--skip-bad");
    }
    cmd.output().expect("run")
}

fn generated_csv(n: usize) -> Vec<u8> {
    let mut csv = Vec::new();
    acled_gen::generate_acled_csv(n, 7, &mut csv).expect("writing to memory");
    csv
}

/// Files in `dir` other than `keep` (a staged temporary file left behind would show here).
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("the folder lists")
        .map(|e| e.expect("the folder lists").file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

#[test]
fn streamed_features_are_written_byte_for_byte_as_the_whole_import_writes_them() {
    for bytes in [std::fs::read(HOSTILE).unwrap(), generated_csv(3000)] {
        let whole = write_geojson(&parse_acled(bytes.as_slice(), "x.csv").unwrap());
        let mut writer = GeoJsonWriter::new(Vec::new()).unwrap();
        let summary = stream_acled(bytes.as_slice(), "x.csv", |f| writer.feature(&f)).unwrap();
        let streamed = writer.finish().unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), whole);
        // Rows written without building their features: the same bytes.
        let mut writer = GeoJsonWriter::new(Vec::new()).unwrap();
        stream_acled_rows(bytes.as_slice(), "x.csv", |row| writer.row(&row)).unwrap();
        assert_eq!(String::from_utf8(writer.finish().unwrap()).unwrap(), whole);
        let import = parse_acled(bytes.as_slice(), "x.csv").unwrap();
        assert_eq!(summary.problems, import.problems);
        assert_eq!(summary.rows_read, import.rows_read);
        assert_eq!(summary.features, import.features.len());
    }
}

#[test]
fn the_command_writes_the_same_bytes_as_the_whole_import() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    std::fs::write(&csv, generated_csv(20_000)).unwrap();
    let out = dir.path().join("events.geojson");
    let run = import(&csv, &out, false);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), write_geojson(&import_acled(&csv).unwrap()));
    assert!(String::from_utf8_lossy(&run.stdout).contains("20000 events written"), "{run:?}");
    // The hostile fixture, whose bad rows are skipped on request.
    let out = dir.path().join("hostile.geojson");
    let run = import(Path::new(HOSTILE), &out, true);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), write_geojson(&import_acled(Path::new(HOSTILE)).unwrap()));
}

#[test]
fn a_bad_last_row_after_many_streamed_ones_writes_nothing_and_keeps_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    let mut bytes = generated_csv(20_000);
    bytes.extend_from_slice(
        b"TJK999999,2021-13-45,2021,1,x,Battles,x,x,,1,,,0,10,,762,x,x,x,,,x,37.5,70.1,2,x,x,x,0,,1\n",
    );
    std::fs::write(&csv, &bytes).unwrap();
    let out = dir.path().join("events.geojson");
    std::fs::write(&out, "old output").unwrap();
    let run = import(&csv, &out, false);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("events.csv:20002:2: event_date:"), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old output");
    assert_eq!(others(dir.path(), &["events.csv", "events.geojson"]), Vec::<String>::new());
    // With --skip-bad the good rows are written.
    let run = import(&csv, &out, true);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), write_geojson(&import_acled(&csv).unwrap()));
}

/// A full disk part-way through an output of several blocks, which go to the disk past the
/// page cache (`io::direct`): a file-size cap in the child (root too), at 10,001 KiB, past the
/// first 8 MiB block and on no 4 KiB boundary, so the second direct write comes back short and
/// the rest is written the usual way until the cap refuses it. The command fails naming the
/// output; the old output stays; nothing is left behind.
#[cfg(unix)]
#[test]
fn an_import_that_fills_the_disk_part_way_writes_nothing_and_keeps_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    std::fs::write(&csv, generated_csv(20_000)).unwrap();
    let out = dir.path().join("events.geojson");
    std::fs::write(&out, "old output").unwrap();
    let run = child::with_file_size_limit(10_001)
        .arg(env!("CARGO_BIN_EXE_frontier-atlas"))
        .args(["import", "acled"])
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write") && stderr.contains("events.geojson"), "{stderr}");
    assert!(stderr.contains("too large") || stderr.contains("full"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old output");
    assert_eq!(others(dir.path(), &["events.csv", "events.geojson"]), Vec::<String>::new());
    // Without the cap the same import writes the whole import's bytes.
    let run = import(&csv, &out, false);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), write_geojson(&import_acled(&csv).unwrap()));
}

/// Every row of every table of the GeoPackage at `path` (the time of writing left out).
fn dump(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("opens");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    let mut out = Vec::new();
    for table in tables {
        let mut st = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid")).expect("select");
        let names: Vec<String> = st.column_names().iter().map(|s| (*s).to_owned()).collect();
        let mut rows = st.query([]).expect("rows");
        while let Some(row) = rows.next().expect("row") {
            let cells = (0..names.len()).filter(|&i| names[i] != "last_change");
            out.push(format!("{table}: {:?}", cells.map(|i| format!("{:?}", row.get_ref(i))).collect::<Vec<_>>()));
        }
    }
    out
}

/// Found by a new user: `import acled --out X.gpkg` built the whole layer (5.3 s and 1.2 GB
/// for 100,000 rows, where `convert` of the same file took 0.4 s and 118 MB). It is written as
/// `convert` streams an export, and is the table the whole layer gave, bad rows skipped or not.
#[test]
fn an_import_to_a_geopackage_is_the_table_the_whole_layer_gives() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, skip_bad) in
        [("events", generated_csv(3000), false), ("hostile", std::fs::read(HOSTILE).unwrap(), true)]
    {
        let csv = dir.path().join(format!("{name}.csv"));
        std::fs::write(&csv, &bytes).unwrap();
        let streamed = dir.path().join(format!("{name}.gpkg"));
        let run = import(&csv, &streamed, skip_bad);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        // The whole layer, as the import made it before: its GeoJSON text parsed as events.
        let text = write_geojson(&import_acled(&csv).unwrap());
        let layer = frontier_atlas::io::geojson::parse_layer(
            &text,
            &csv.display().to_string(),
            name,
            Some(frontier_atlas::model::LayerKind::Events),
            frontier_atlas::model::LayerSource::File(csv.clone()),
        )
        .unwrap()
        .layer;
        let whole = dir.path().join(format!("{name}-whole.gpkg"));
        frontier_atlas::io::open::write_layer(&layer, &whole).unwrap();
        assert_eq!(dump(&streamed), dump(&whole), "{name}");
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(stdout.contains(&format!("{} events written", layer.features.len())), "{stdout}");
    }
}

#[test]
fn an_input_that_cannot_be_read_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.geojson");
    let run = import(&dir.path().join("missing.csv"), &out, true);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("missing.csv"), "{run:?}");
    assert!(!out.exists());
    let run = import(dir.path(), &out, true);
    assert!(String::from_utf8_lossy(&run.stderr).contains("is a folder"), "{run:?}");
    assert_eq!(others(dir.path(), &[]), Vec::<String>::new());
}
