//! Issue 7, "Data lost" and "Real files", headless paths: a command that fails writes
//! nothing; an output is never its own input; every open goes through one dispatcher (projects
//! reopen GeoPackage and CSV layers; `render --add` takes them); saves keep every value's text;
//! FIFOs are read once and devices are cut off; a project of 10,000 layers is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use frontier_atlas::project::{LayerRef, LayerStyleOverride, catalog_from_project, load_project, save_project};

#[path = "common/acled_row.rs"]
mod acled_row;
#[path = "common/shared_data.rs"]
mod shared_data;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    bin().args(args).output().expect("run binary")
}

fn os<P: AsRef<std::ffi::OsStr> + ?Sized>(p: &P) -> &std::ffi::OsStr {
    p.as_ref()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

const ALL_BAD_ACLED: &str = "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,\
actor1,country,admin1,location,latitude,longitude,geo_precision,source,notes,fatalities\n\
TJK1,2021-13-45,2021,1,Political violence,Battles,Armed clash,A,Tajikistan,GBAO,Khorog,95.0,71.5,1,S,n,0\n\
TJK2,not a date,2021,1,Political violence,Battles,Armed clash,A,Tajikistan,GBAO,Khorog,37.4,,1,S,n,0\n";

#[test]
fn convert_of_an_all_bad_csv_leaves_the_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "name,lat,lon\na,95,71\nb,,70\n").unwrap();
    let out_path = dir.path().join("out.geojson");
    std::fs::write(&out_path, "precious old content\n").unwrap();
    let out = run(&[os("convert"), os(&csv), os(&out_path)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("{}:2:2: latitude 95 is outside", csv.display())), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), "precious old content\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
}

#[test]
fn import_of_an_all_bad_acled_export_leaves_the_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("ALLBAD.csv");
    std::fs::write(&csv, ALL_BAD_ACLED).unwrap();
    let existing = dir.path().join("existing.geojson");
    std::fs::write(&existing, "{\"type\":\"FeatureCollection\",\"features\":[]}\n").unwrap();
    let before = std::fs::read(&existing).unwrap();
    let out = run(&[os("import"), os("acled"), os(&csv), os("--out"), os(&existing)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing written"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&existing).unwrap(), before);
}

#[test]
fn skip_bad_writes_the_usable_rows_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mixed.csv");
    std::fs::write(&csv, "name,lat,lon\nKhorog,37.49,71.55\nb,95,70\n").unwrap();
    let out_path = dir.path().join("out.geojson");
    let out = run(&[os("convert"), os(&csv), os(&out_path), os("--skip-bad")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("latitude 95 is outside"), "{}", text(&out.stderr));
    let layer = frontier_atlas::io::geojson::load_file(&out_path).unwrap().layer;
    assert_eq!(layer.features.len(), 1);
}

#[test]
fn import_onto_its_own_input_or_with_a_foreign_extension_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("ev.csv");
    std::fs::copy(fixture("acled/hostile.csv"), &csv).unwrap();
    let before = std::fs::read(&csv).unwrap();
    let out = run(&[os("import"), os("acled"), os(&csv), os("--out"), os(&csv)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the output is the input file"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&csv).unwrap(), before, "the CSV is not overwritten");
    // The same file reached through another spelling of its path.
    let other_spelling = dir.path().join(".").join("ev.csv");
    let out = run(&[os("import"), os("acled"), os(&csv), os("--out"), os(&other_spelling)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&csv).unwrap(), before);
    // (KML is a known format since issue 11; a shapefile is not.)
    let shp = dir.path().join("ev.shp");
    let out = run(&[os("import"), os("acled"), os(&csv), os("--out"), os(&shp)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown file type `.shp`"), "{}", text(&out.stderr));
    assert!(!shp.exists());
}

#[test]
fn import_acled_writes_the_format_its_output_names() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("ev.csv");
    std::fs::write(&csv, acled_row::ONE_EVENT).unwrap();
    let gpkg = dir.path().join("ev.gpkg");
    let out = run(&[os("import"), os("acled"), os(&csv), os("--out"), os(&gpkg)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(&std::fs::read(&gpkg).unwrap()[..16], b"SQLite format 3\0", "a real GeoPackage");
    let layers = frontier_atlas::io::open::open_layers(&gpkg).unwrap();
    assert_eq!(layers[0].layer.features.len(), 1);
}

#[test]
fn convert_of_a_geopackage_onto_itself_is_refused_and_keeps_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("atlas.gpkg");
    let places = fixture("gpkg/places.geojson");
    let rivers = fixture("gpkg/rivers.geojson");
    let a = frontier_atlas::io::geojson::load_file(&places).unwrap().layer;
    let b = frontier_atlas::io::geojson::load_file(&rivers).unwrap().layer;
    frontier_atlas::io::gpkg::write_gpkg(&gpkg, &[&a, &b]).unwrap();
    let before = std::fs::read(&gpkg).unwrap();
    let out = run(&[os("convert"), os(&gpkg), os(&gpkg), os("--layer"), os("places")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the output is the input file"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&gpkg).unwrap(), before);
    #[cfg(unix)]
    {
        let link = dir.path().join("link.gpkg");
        std::os::unix::fs::symlink(&gpkg, &link).unwrap();
        let out = run(&[os("convert"), os(&gpkg), os(&link)]);
        assert_eq!(out.status.code(), Some(1), "a link to the input is the input");
        assert_eq!(std::fs::read(&gpkg).unwrap(), before);
    }
}

/// Every JSON number token of `text`, in order, as written.
fn number_tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                i += 1;
            }
            out.push(&text[start..i]);
            continue;
        }
        i += 1;
    }
    out
}

#[test]
fn a_save_keeps_the_exact_text_of_every_number_nobody_edited() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.geojson");
    let text_in = "{\"type\":\"FeatureCollection\",\"features\":[\n\
{\"type\":\"Feature\",\"properties\":{\"big\":123456789012345678901234567890,\"pi\":3.140,\"e\":1e-05},\
\"geometry\":{\"type\":\"Point\",\"coordinates\":[70.350471299999981,37.520,2.5e+3]}}\n]}\n";
    std::fs::write(&src, text_in).unwrap();
    let out_path = dir.path().join("out.geojson");
    let out = run(&[os("convert"), os(&src), os(&out_path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let text_out = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(number_tokens(text_in), number_tokens(&text_out), "{text_out}");
    // And the app's own save of the loaded layer writes the same bytes.
    let layer = frontier_atlas::io::geojson::load_file(&src).unwrap().layer;
    let saved = frontier_atlas::io::save::layer_to_text(&layer).unwrap();
    assert_eq!(String::from_utf8(saved).unwrap(), text_in);
}

#[test]
fn a_bare_geometry_converts_to_itself_without_a_features_member() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("point.geojson");
    std::fs::write(&src, "{\"type\":\"Point\",\"coordinates\":[71.55,37.49]}\n").unwrap();
    let out_path = dir.path().join("out.geojson");
    let out = run(&[os("convert"), os(&src), os(&out_path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), "{\"type\":\"Point\",\"coordinates\":[71.55,37.49]}\n");
}

#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn the_official_tajik_districts_keep_every_coordinate_text_through_convert() {
    let src = shared_data::shared_data("geoboundaries/geoBoundaries-TJK-ADM2.geojson");
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("tjk.geojson");
    let out = run(&[os("convert"), os(&src), os(&out_path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let a = std::fs::read_to_string(&src).unwrap();
    let b = std::fs::read_to_string(&out_path).unwrap();
    let (ta, tb) = (number_tokens(&a), number_tokens(&b));
    assert_eq!(ta.len(), tb.len());
    let first_diff = ta.iter().zip(&tb).position(|(x, y)| x != y);
    assert_eq!(first_diff, None, "first changed number: {:?}", first_diff.map(|i| (ta[i], tb[i])));
}

#[test]
fn render_add_takes_a_geopackage_and_a_point_csv() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("p.gpkg");
    let layer = frontier_atlas::io::geojson::load_file(&fixture("gpkg/places.geojson")).unwrap().layer;
    frontier_atlas::io::gpkg::write_gpkg(&gpkg, &[&layer]).unwrap();
    let csv = dir.path().join("posts.csv");
    std::fs::write(&csv, "name,lat,lon\nKhorog,37.49,71.55\n").unwrap();
    let png = dir.path().join("map.png");
    let out = run(&[
        os("render"),
        os("--out"),
        os(&png),
        os("--add"),
        os(&gpkg),
        os("--add"),
        os(&csv),
        os("--size"),
        os("200x150"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(png.exists());
}

/// A GeoPackage layer and a point-CSV layer in a project: save, reopen, same layers, and the
/// style and unknown members the project file had are still there.
#[test]
fn a_project_with_a_geopackage_and_a_csv_layer_reopens_whole() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("atlas.gpkg");
    let places = frontier_atlas::io::geojson::load_file(&fixture("gpkg/places.geojson")).unwrap().layer;
    let rivers = frontier_atlas::io::geojson::load_file(&fixture("gpkg/rivers.geojson")).unwrap().layer;
    frontier_atlas::io::gpkg::write_gpkg(&gpkg, &[&places, &rivers]).unwrap();
    let csv = dir.path().join("posts.csv");
    std::fs::write(&csv, "name,lat,lon\nKhorog,37.49,71.55\nIshkashim,36.71,71.61\n").unwrap();
    let project_path = dir.path().join("brief.fatlas.json");
    std::fs::write(
        &project_path,
        r##"{"format":"frontier-atlas-project","version":1,"future_member":{"keep":[1,2]},
"view":{"center_lon":71.5,"center_lat":37.5,"zoom":7,"tilt":3},
"layers":[{"path":"atlas.gpkg","table":"rivers","name":"Rivers (gpkg)","style":{"fill":"#ff8000","pattern":"hatch"},"legend_group":"water"},
{"path":"posts.csv","name":"Posts"},{"embedded":"countries.geojson"}]}"##,
    )
    .unwrap();
    let project = load_project(&project_path).unwrap();
    let (catalog, problems) = catalog_from_project(&project);
    assert!(problems.is_empty(), "{problems:?}");
    let names: Vec<&str> = catalog.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Rivers (gpkg)", "Posts", "Countries"]);
    assert_eq!(catalog.layers[0].features.len(), rivers.features.len(), "the rivers table, not places");
    assert_eq!(catalog.layers[1].features.len(), 2, "a point CSV, not refused as 'not an ACLED export'");

    // Save from the catalog (what File → Save project does), quit, reopen.
    let viewport = frontier_atlas::spatial::Viewport::centered(71.5, 37.5, 7.0, [800.0, 600.0]);
    let again = frontier_atlas::project::project_from_catalog(&catalog, None, &viewport, &[]);
    let saved_path = dir.path().join("again.fatlas.json");
    save_project(&again, &saved_path).unwrap();
    let reopened = load_project(&saved_path).unwrap();
    assert_eq!(reopened.extra["future_member"], serde_json::json!({"keep": [1, 2]}));
    assert_eq!(reopened.view.as_ref().unwrap().extra["tilt"], serde_json::json!(3));
    let first = &reopened.layers[0];
    assert_eq!(first.source, LayerRef::Path(gpkg.canonicalize().unwrap()));
    assert_eq!(first.table.as_deref(), Some("rivers"));
    assert_eq!(first.extra["legend_group"], "water");
    let style: &LayerStyleOverride = first.style.as_ref().unwrap();
    assert_eq!(style.fill, Some([255, 128, 0, 255]));
    assert_eq!(style.extra["pattern"], "hatch");
    let (catalog2, problems) = catalog_from_project(&reopened);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(catalog2.layers.len(), 3);
    assert_eq!(catalog2.layers[0].features.len(), rivers.features.len());
    assert_eq!(catalog2.layers[1].features.len(), 2);
}

#[test]
fn a_project_of_ten_thousand_layers_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.fatlas.json");
    let layers = vec![r#"{"embedded":"countries.geojson"}"#; 10_000].join(",");
    std::fs::write(&path, format!(r#"{{"format":"frontier-atlas-project","version":1,"layers":[{layers}]}}"#)).unwrap();
    let e = load_project(&path).unwrap_err().to_string();
    assert!(e.contains("10000 layers") && e.contains("at most 256"), "{e}");
    assert!(e.contains("huge.fatlas.json"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_device_as_input_or_project_layer_is_cut_off_with_a_message() {
    let out = run(&[os("validate"), os("/dev/zero")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("/dev/zero:1:1: is not a regular file"), "{}", text(&out.stdout));
    let dir = tempfile::tempdir().unwrap();
    let project_path = dir.path().join("dev.fatlas.json");
    std::fs::write(
        &project_path,
        r#"{"format":"frontier-atlas-project","version":1,"layers":[{"path":"/dev/zero","name":"zero"},{"embedded":"countries.geojson"}]}"#,
    )
    .unwrap();
    let (catalog, problems) = catalog_from_project(&load_project(&project_path).unwrap());
    assert_eq!(catalog.layers.len(), 1, "the rest of the project opens");
    assert!(problems.iter().any(|p| p.contains("zero") && p.contains("not a regular file")), "{problems:?}");
}

#[cfg(unix)]
#[test]
fn convert_reads_a_fifo_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("in.geojson");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let content = std::fs::read(fixture("gpkg/places.geojson")).unwrap();
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || std::fs::write(&writer_path, content));
    let out_path = dir.path().join("out.geojson");
    let out = run(&[os("convert"), os(&fifo), os(&out_path)]);
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let layer = frontier_atlas::io::geojson::load_file(&out_path).unwrap().layer;
    assert!(!layer.features.is_empty());
}

/// Found walking the app: loading a FIFO that no program writes held the loader's thread in
/// `open()`; Cancel took the progress row away, but the thread waited for ever. The load the
/// loader runs now ends, cancelled, soon after Cancel, and gives no layer.
#[cfg(unix)]
#[test]
fn cancelling_the_load_of_a_fifo_nobody_writes_ends_it() {
    use frontier_atlas::io::open::{OpenError, open_layers_with};
    use frontier_atlas::io::progress::Progress;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("waiting.geojson");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let progress = Progress::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let (path, worker) = (fifo.clone(), progress.clone());
    std::thread::spawn(move || tx.send(open_layers_with(&path, &worker).map(|layers| layers.len())));
    std::thread::sleep(std::time::Duration::from_millis(300));
    progress.cancel();
    let answer = rx.recv_timeout(std::time::Duration::from_secs(5));
    if answer.is_err() {
        // Free a load stuck in open() (a writer that closes at once) before failing.
        use std::os::unix::fs::OpenOptionsExt as _;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
            .open(&fifo);
    }
    let result = answer.expect("the load ends within 5 s of Cancel");
    assert!(matches!(result, Err(OpenError::Cancelled { .. })), "{result:?}");
}

/// A GeoPackage with two feature tables, an attributes-only table and a table in a projected
/// system nobody here reads, as GDAL or QGIS users make them.
fn mixed_geopackage(dir: &Path) -> PathBuf {
    let path = dir.join("atlas.gpkg");
    let places = frontier_atlas::io::geojson::load_file(&fixture("gpkg/places.geojson")).expect("fixture").layer;
    let rivers = frontier_atlas::io::geojson::load_file(&fixture("gpkg/rivers.geojson")).expect("fixture").layer;
    frontier_atlas::io::gpkg::write_gpkg(&path, &[&places, &rivers]).expect("write the GeoPackage");
    let conn = rusqlite::Connection::open(&path).expect("open it with SQLite");
    conn.execute_batch(
        "CREATE TABLE sources (fid INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, year INTEGER);
         INSERT INTO sources (title, year) VALUES ('RFE/RL report', 2021), ('Asia-Plus', 2022);
         INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('sources', 'attributes', 'sources');
         INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 / Pseudo-Mercator', 3857, 'EPSG', 3857, 'PROJCS[\"WGS 84 / Pseudo-Mercator\"]', '');
         CREATE TABLE grid (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('grid', 'features', 'grid', 3857);
         INSERT INTO gpkg_geometry_columns VALUES ('grid', 'geom', 'POINT', 3857, 0, 0);",
    )
    .expect("edit it");
    path
}

#[test]
fn convert_geopackage_to_geopackage_keeps_every_table_and_names_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let src = mixed_geopackage(dir.path());
    let copy = dir.path().join("copy.gpkg");
    let out = run(&[os("convert"), os(&src), os(&copy)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("layer `sources`: 2 features written"), "{stdout}");
    assert!(stdout.contains("not kept: table `grid` not converted"), "the unreadable table is named: {stdout}");
    let back = frontier_atlas::io::gpkg::read_gpkg_tables(&copy).unwrap();
    let names: Vec<&str> = back.layers.iter().chain(&back.attributes).map(|l| l.layer.name.as_str()).collect();
    assert_eq!(names, ["places", "rivers", "sources"]);
    assert_eq!(back.attributes[0].layer.features.get(1).unwrap().properties["title"], "Asia-Plus");

    // To GeoJSON one table is needed, attributes-only ones count; --layer takes one of them.
    let geojson = dir.path().join("sources.geojson");
    let out = run(&[os("convert"), os(&src), os(&geojson)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("`sources`"), "{}", text(&out.stderr));
    assert!(!geojson.exists());
    let out = run(&[os("convert"), os(&src), os(&geojson), os("--layer"), os("sources")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let layer = frontier_atlas::io::geojson::load_file(&geojson).unwrap().layer;
    assert_eq!(layer.features.len(), 2);
    // Asking for the unreadable table says why it cannot be read.
    let out = run(&[os("convert"), os(&src), os(&dir.path().join("grid.geojson")), os("--layer"), os("grid")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("grid"), "{}", text(&out.stderr));
}

/// Found opening bad files as a new user would: an empty file was "1:0: EOF while parsing a
/// value" (column 0, a parser's words) and a download cut short "EOF while parsing a string".
/// Opened (the app's path, `render --add`), they now read as `validate` words them; nothing is
/// written.
#[test]
fn an_empty_or_cut_short_geojson_is_named_in_words_not_parser_terms() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(fixture("gpkg/places.geojson")).unwrap();
    let cut = full.get(..full.len() / 2).unwrap();
    let lines = cut.lines().count();
    for (name, content, expected) in [
        ("empty.geojson", "", ":1:1: empty document: expected a GeoJSON object".to_owned()),
        ("blank.geojson", "  \n\t\n", ":1:1: empty document: expected a GeoJSON object".to_owned()),
        ("cut.geojson", cut, format!(":{lines}:")),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let png = dir.path().join("map.png");
        let out = run(&[os("render"), os("--add"), os(&path), os("--out"), os(&png)]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = text(&out.stderr);
        assert!(err.contains(&format!("{}{expected}", path.display())), "{name}: {err}");
        assert!(!err.contains("EOF") || name == "cut.geojson", "{name}: {err}");
        if name == "cut.geojson" {
            assert!(err.contains("the file ends before the document does (cut short?)"), "{err}");
        }
        assert!(!png.exists(), "{name}: nothing written");
        let loaded = frontier_atlas::io::geojson::load_file(&path).unwrap_err().to_string();
        assert!(err.contains(&loaded), "the app's open says the same: {loaded} / {err}");
    }
}
