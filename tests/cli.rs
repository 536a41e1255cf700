//! The binary's headless commands: exit codes and `FILE:LINE:COL: message` output.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
}

#[test]
fn render_writes_a_png_with_date_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("brief.png");
    let status = bin()
        .args(["render", "--out"])
        .arg(&out)
        .args(["--size", "800x500", "--from", "2021-06-01", "--to", "2022-06-30", "--title", "Brief"])
        .status()
        .expect("run");
    assert!(status.success());
    let bytes = std::fs::read(&out).expect("png written");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
}

#[test]
fn render_rejects_bad_dates_and_bboxes_with_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.png");
    let bad_date = bin().args(["render", "--out"]).arg(&out).args(["--from", "2022-02-30"]).output().expect("run");
    assert_eq!(bad_date.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_date.stderr).contains("2022-02-30"));
    let bad_bbox = bin().args(["render", "--out"]).arg(&out).args(["--bbox", "75,35,70,40"]).output().expect("run");
    assert_eq!(bad_bbox.status.code(), Some(1));
    assert!(!out.exists(), "nothing must be written on bad input");
}

#[test]
fn render_add_reports_a_broken_file_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.geojson");
    std::fs::write(&bad, "{\"type\": \"FeatureCollection\", \"features\": [\n  {\"type\": ").expect("write");
    let out =
        bin().args(["render", "--out"]).arg(dir.path().join("x.png")).arg("--add").arg(&bad).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.geojson:2:"), "{stderr}");
}

/// Found by a new user: an ACLED export cut short mid-row (its last row short of fields) drew
/// a map without that row and exited 0, where `import`, `convert` and `validate` refuse it;
/// and the short row was placed at column 0 by `render` but column 1 by `import`. A file some
/// of whose rows cannot be used writes nothing unless `--skip-bad` is given, and every command
/// names the same place.
#[test]
fn render_add_of_a_csv_cut_short_writes_nothing_unless_told_to_skip_bad_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("cut.csv");
    std::fs::write(
        &csv,
        "event_id_cnty,event_date,event_type,country,latitude,longitude,notes\n\
         AFG1,2021-06-01,Battles,Afghanistan,36.727,71.618,first\n\
         AFG2,2021-06-02,Battles,Afgh",
    )
    .expect("write");
    let out = dir.path().join("x.png");
    let render = |skip_bad: bool| {
        let mut cmd = bin();
        cmd.args(["render", "--size", "400x300", "--out"]).arg(&out).arg("--add").arg(&csv);
        if skip_bad {
            cmd.arg("--skip-bad");
        }
        cmd.output().expect("run")
    };
    let refused = render(false);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    let place = format!("{}:3:1: 4 fields, expected 7 (row skipped)", csv.display());
    assert!(stderr.contains(&place), "{stderr}");
    assert!(stderr.contains("nothing written: 1 row(s) or feature(s) could not be used"), "{stderr}");
    assert!(!out.exists(), "nothing must be written");
    // `import acled` names the same place, once.
    let import =
        bin().args(["import", "acled"]).arg(&csv).arg("--out").arg(dir.path().join("e.geojson")).output().expect("run");
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(stderr.contains(&format!("{place}\n")), "{stderr}");
    let drawn = render(true);
    assert!(drawn.status.success(), "{}", String::from_utf8_lossy(&drawn.stderr));
    assert!(std::fs::read(&out).expect("png written").starts_with(b"\x89PNG"));
}

/// Found by a new user: a GeoJSON file cut short was placed at 22:135779 by `render` (the
/// last character, as `serde_json` names it) and at 22:135780 by `validate` (where the text
/// ends). Both name where the text ends, with or without a last newline.
#[test]
fn render_and_validate_place_the_end_of_a_file_cut_short_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("cut.geojson");
    let text = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[71.5,37.4";
    for (text, place) in [(text.to_owned(), ":2:70: "), (format!("{text}\n"), ":3:1: ")] {
        std::fs::write(&cut, &text).expect("write");
        let validate = bin().arg("validate").arg(&cut).output().expect("run");
        let render =
            bin().args(["render", "--out"]).arg(dir.path().join("x.png")).arg("--add").arg(&cut).output().expect("run");
        let expected = format!("{}{place}", cut.display());
        assert!(String::from_utf8_lossy(&validate.stdout).starts_with(&expected), "{validate:?}");
        assert!(String::from_utf8_lossy(&render.stderr).starts_with(&expected), "{render:?}");
    }
}

/// Found trying geoBoundaries' metadata file (JSON, not GeoJSON): `render --add` said
/// "FILE: no `type` member" without the place every other report gives.
#[test]
fn render_add_names_the_place_of_json_that_is_not_geojson() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text, want) in [
        ("meta.json", "{\"boundaryID\": \"AFG-ADM2\"}", "meta.json:1:1: no `type` member"),
        ("list.geojson", "\n\n  [1, 2]", "list.geojson:3:3: the top level is not a JSON object"),
        ("odd.geojson", "\u{feff}\n {\"type\": \"Foo\"}", "odd.geojson:2:2: unknown GeoJSON type `Foo`"),
        (
            "mercator.geojson",
            "\n{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:3857\"}},\"features\":[]}",
            "mercator.geojson:2:1: `crs` names \"EPSG:3857\"",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).expect("write");
        let png = dir.path().join("x.png");
        let out = bin().args(["render", "--out"]).arg(&png).arg("--add").arg(&file).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{name}: {stderr}");
        assert!(!png.exists(), "{name}: nothing written");
    }
}

#[test]
fn validate_prints_file_line_col_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.geojson");
    let bad = dir.path().join("bad.geojson");
    std::fs::write(&good, r#"{"type":"Point","coordinates":[71.55,37.49]}"#).expect("write");
    std::fs::write(
        &bad,
        "{\"type\":\"Feature\",\"properties\":null,\n\"geometry\":{\"type\":\"point\",\"coordinates\":[71.55,37.49]}}",
    )
    .expect("write");
    let ok = bin().arg("validate").arg(&good).output().expect("run");
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let out = bin().arg("validate").arg(&good).arg(&bad).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().expect("a problem line");
    assert!(first.starts_with(&format!("{}:2:", bad.display())), "{stdout}");
    let missing = bin().arg("validate").arg(dir.path().join("nope.geojson")).output().expect("run");
    assert_eq!(missing.status.code(), Some(1));
}

/// Found trying the command: `validate` of a CSV said "1:1: JSON syntax error". A CSV is read
/// as the app reads it: a row left out is an error (exit 1), a row kept with a remark a note;
/// a GeoPackage is told to be one.
#[test]
fn validate_checks_a_csv_as_the_app_reads_it_and_names_other_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("towns.csv");
    std::fs::write(&csv, "name,lat,lon\nKhorog,37.489,71.553\nSwapped,71.553,37.489\nBad,abc,71\n").expect("write");
    let out = bin().arg("validate").arg(&csv).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0]
            .starts_with(&format!("{}:3:2: note: latitude 71.553 and longitude 37.489 look swapped", csv.display())),
        "{stdout}"
    );
    assert_eq!(lines[1], format!("{}:4:2: latitude `abc` is not a number (row skipped)", csv.display()));
    // Notes alone leave it valid.
    std::fs::write(&csv, "name,lat,lon\nKhorog,37.489,71.553\nSwapped,71.553,37.489\n").expect("write");
    let out = bin().arg("validate").arg(&csv).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // No coordinates: one line at 1:1.
    std::fs::write(&csv, "a,b\n1,2\n").expect("write");
    let out = bin().arg("validate").arg(&csv).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with(&format!("{}:1:1: no longitude column", csv.display())), "{stdout}");
    // An ACLED export is read row by row as `import acled` reads it.
    let hostile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acled/hostile.csv");
    let out = bin().arg("validate").arg(&hostile).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{}:8:23: latitude: `abc`", hostile.display())), "{stdout}");
    assert!(stdout.contains(&format!("{}:14:29: note: fatalities", hostile.display())), "{stdout}");
    // A GeoPackage is named as one.
    let gpkg = dir.path().join("places.gpkg");
    std::fs::write(&gpkg, b"SQLite format 3\0").expect("write");
    let out = bin().arg("validate").arg(&gpkg).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(":1:1: a GeoPackage file"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn validate_never_panics_on_garbage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs: [&[u8]; 6] = [
        b"",
        b"\xff\xfe\x00",
        b"[[[[[[[[[[",
        b"{\"type\":\"FeatureCollection\",\"features\":7}",
        b"null",
        b"{\"type\":\"Polygon\",\"coordinates\":[[[1,2],[3,4],[1,2]]]}",
    ];
    for (i, input) in inputs.iter().enumerate() {
        let path = dir.path().join(format!("g{i}.geojson"));
        std::fs::write(&path, input).expect("write");
        let out = bin().arg("validate").arg(&path).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "input {i}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "input {i} panicked");
    }
}

#[test]
fn render_writes_svg_and_pdf_briefings_by_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, magic) in [("brief.svg", &b"<svg"[..]), ("brief.pdf", &b"%PDF"[..])] {
        let out = dir.path().join(name);
        let status =
            bin().args(["render", "--size", "600x400", "--title", "Brief", "--out"]).arg(&out).status().expect("run");
        assert!(status.success(), "{name}");
        let bytes = std::fs::read(&out).expect("written");
        assert!(bytes.starts_with(magic), "{name} does not start with {:?}", String::from_utf8_lossy(magic));
    }
    let bad = bin().args(["render", "--out"]).arg(dir.path().join("brief.docx")).output().expect("run");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("brief.docx"));
}

/// Found trying a boundary file with `import acled`: the refusal named the file without the
/// place (`FILE:LINE:COL`) every other bad-input report gives; nothing is written.
#[test]
fn import_acled_of_a_file_that_is_not_an_export_names_its_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("districts.csv");
    std::fs::write(&input, "shapeName,shapeISO\nDarvoz,TJ-GB\n").expect("write");
    let out_path = dir.path().join("events.geojson");
    let out = bin().args(["import", "acled"]).arg(&input).arg("--out").arg(&out_path).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:1:1: not an ACLED export: missing column(s) event_id_cnty", input.display());
    assert!(stderr.contains(&want), "{stderr}");
    assert!(!out_path.exists(), "nothing written");
}

/// Found trying `validate` on a folder: the line named the path twice
/// ("DIR:1:1: DIR: is a folder, not a file").
#[test]
fn validate_of_a_folder_names_it_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bin().arg("validate").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim_end(), format!("{}:1:1: is a folder, not a file", dir.path().display()));
}
