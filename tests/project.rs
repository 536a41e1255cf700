//! Integration tests for project files (`frontier_atlas::project`): round trips through the
//! catalog, relative paths surviving a move, unknown members, broken layers, errors that
//! name the file, and the recent-projects list.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use frontier_atlas::geodata::default_catalog;
use frontier_atlas::io::geojson::load_file;
use frontier_atlas::model::{LayerSource, assign_spans};
use frontier_atlas::project::{
    Bookmark, LayerRef, MAX_RECENT, ProjectError, RecentProjects, catalog_from_project, is_project_path, load_project,
    parse_project, project_from_catalog, project_to_json, save_project,
};
use frontier_atlas::spatial::Viewport;
use frontier_atlas::time::Range;
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Copies the fixture project and its data folder into `dir`.
fn copy_fixture(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("data")).expect("create the data folder");
    for f in ["data/districts.geojson", "data/checkpoints.geojson", "example.fatlas.json"] {
        std::fs::copy(fixtures().join(f), dir.join(f)).expect("copy a fixture");
    }
    dir.join("example.fatlas.json")
}

#[test]
fn catalog_project_json_project_catalog_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(fixtures().join("data/checkpoints.geojson"), data.join("checkpoints.geojson")).unwrap();

    let (mut catalog, problems) = default_catalog();
    assert!(problems.is_empty(), "{problems:?}");
    let mut layer = load_file(&data.join("checkpoints.geojson")).unwrap().layer;
    layer.name = "Checkpoints".to_owned();
    layer.opacity = 0.7;
    layer.label_field = Some("title".to_owned());
    layer.date_fields = Some(("opened".to_owned(), Some("closed".to_owned())));
    assign_spans(&mut layer);
    catalog.layers.insert(2, layer);
    catalog.layers[0].visible = false;
    catalog.layers[1].opacity = 0.25;
    catalog.layers[3].name = "Regions (renamed)".to_owned();

    let range = Range::new(day(2021, 1, 1), day(2022, 6, 30));
    let viewport = Viewport::centered(71.55, 37.49, 9.0, [800.0, 600.0]);
    let bookmarks = vec![
        Bookmark::new("Khorog", &Viewport::centered(71.553, 37.489, 11.0, [1.0, 1.0]), None),
        Bookmark::new("Wakhan 2021", &Viewport::centered(73.2, 37.0, 8.0, [1.0, 1.0]), Some(range)),
    ];
    let project = project_from_catalog(&catalog, Some(range), &viewport, &bookmarks);

    let project_path = tmp.path().join("frontier.fatlas.json");
    let text = project_to_json(&project, &project_path);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["layers"][2]["path"], "data/checkpoints.geojson", "stored relative:\n{text}");
    assert_eq!(doc["layers"][0]["embedded"], "countries.geojson");
    assert_eq!(doc["layers"][2]["opacity"], json!(0.7), "f32 written as read");
    assert_eq!(doc["layers"][2]["date_fields"], json!(["opened", "closed"]));
    assert_eq!((doc["from"].as_str(), doc["to"].as_str()), (Some("2021-01-01"), Some("2022-06-30")));

    let reread = parse_project(&text, &project_path).unwrap();
    assert_eq!(reread, project);
    let view = reread.view.as_ref().unwrap();
    assert!(close(view.center_lon, 71.55) && close(view.center_lat, 37.49) && close(view.zoom, 9.0), "{view:?}");
    assert_eq!(reread.time_range(), Some(range));
    assert_eq!(reread.bookmarks[0].name, "Khorog");
    assert!(close(reread.bookmarks[0].center_lon, 71.553) && close(reread.bookmarks[0].zoom, 11.0));
    assert_eq!(reread.bookmarks[1].range, Some((range.from, range.to)));

    let (rebuilt, problems) = catalog_from_project(&reread);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rebuilt.layers.len(), catalog.layers.len());
    for (a, b) in catalog.layers.iter().zip(&rebuilt.layers) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.kind, b.kind, "{}", a.name);
        assert_eq!(a.visible, b.visible, "{}", a.name);
        assert!((a.opacity - b.opacity).abs() < 1e-6, "{}", a.name);
        assert_eq!(a.label_field, b.label_field, "{}", a.name);
        assert_eq!(a.date_fields, b.date_fields, "{}", a.name);
        assert_eq!(a.features.len(), b.features.len(), "{}", a.name);
        match (&a.source, &b.source) {
            (LayerSource::Embedded(x), LayerSource::Embedded(y)) => assert_eq!(x, y),
            (LayerSource::File(x), LayerSource::File(y)) => assert_eq!(x.file_name(), y.file_name()),
            other => panic!("source changed: {other:?}"),
        }
    }
    let dated = &rebuilt.layers[2];
    assert!(dated.time_index.is_some(), "date fields applied through assign_spans");
    assert_eq!(dated.features.iter().filter(|f| f.time.is_some()).count(), 2);
}

#[test]
fn relative_paths_resolve_after_the_project_folder_moves() {
    let first = tempfile::tempdir().unwrap();
    let project_path = copy_fixture(first.path());
    let project = load_project(&project_path).unwrap();
    save_project(&project, &project_path).unwrap();

    let second = tempfile::tempdir().unwrap();
    let moved = copy_fixture(second.path());
    std::fs::copy(&project_path, &moved).unwrap();
    drop(first);

    let project = load_project(&moved).unwrap();
    let LayerRef::Path(path) = &project.layers[1].source else { panic!("{:?}", project.layers[1].source) };
    assert!(path.starts_with(second.path()), "{} not under {}", path.display(), second.path().display());
    let (catalog, problems) = catalog_from_project(&project);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(catalog.layers.len(), 4);
    assert_eq!(catalog.layers[1].features.len(), 2);
    assert_eq!(catalog.layers[1].source, LayerSource::File(second.path().join("data/districts.geojson")));
}

#[test]
fn layer_paths_far_away_are_stored_absolute() {
    let project_dir = tempfile::tempdir().unwrap();
    let mut project = parse_project(
        r#"{"format": "frontier-atlas-project", "version": 1, "layers": [{"path": "/srv/gis/a.geojson"}]}"#,
        &project_dir.path().join("p.fatlas.json"),
    )
    .unwrap();
    let LayerRef::Path(p) = &project.layers[0].source else { panic!() };
    assert_eq!(p, Path::new("/srv/gis/a.geojson"));
    assert_eq!(project.layers[0].name, "a", "name defaults to the file stem");
    let text = project_to_json(&project, &project_dir.path().join("p.fatlas.json"));
    assert!(text.contains(r#""path": "/srv/gis/a.geojson""#), "{text}");

    project.layers[0].source = LayerRef::Path(project_dir.path().join("sub/b.geojson"));
    let text = project_to_json(&project, &project_dir.path().join("p.fatlas.json"));
    assert!(text.contains(r#""path": "sub/b.geojson""#), "{text}");
}

#[test]
fn unknown_members_are_preserved() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("future.fatlas.json");
    let original = json!({
        "format": "frontier-atlas-project",
        "version": 1,
        "author": {"name": "analyst", "unit": "desk 3"},
        "view": {"center_lon": 70.0, "center_lat": 38.0, "zoom": 7.0, "rotation": 12},
        "layers": [{
            "embedded": "rivers.geojson",
            "name": "Rivers",
            "visible": true,
            "opacity": 0.5,
            "style": {"stroke": "#1F78B4", "dash": [4, 2]},
            "filter": {"property": "scalerank", "max": 6},
            "kind_hint": "rivers"
        }],
        "bookmarks": [{"name": "Dushanbe", "center_lon": 68.78, "center_lat": 38.54, "zoom": 10.0, "note": "capital"}],
        "z_last": [1, 2, 3]
    });
    let project = parse_project(&original.to_string(), &path).unwrap();
    assert_eq!(project.extra.keys().collect::<Vec<_>>(), ["author", "z_last"]);
    assert_eq!(project.layers[0].extra.keys().collect::<Vec<_>>(), ["filter", "kind_hint"]);
    assert_eq!(project.layers[0].style.as_ref().unwrap().stroke, Some([0x1f, 0x78, 0xb4, 255]));

    save_project(&project, &path).unwrap();
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut expected = original;
    expected["layers"][0]["style"]["stroke"] = json!("#1f78b4");
    assert_eq!(saved, expected);
    assert_eq!(load_project(&path).unwrap(), project);
}

#[test]
fn missing_and_broken_layer_files_are_reported_and_the_rest_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let project_path = copy_fixture(tmp.path());
    std::fs::remove_file(tmp.path().join("data/districts.geojson")).unwrap();
    std::fs::write(tmp.path().join("data/checkpoints.geojson"), "{\"type\": \"FeatureCollection\",\n  \"features\": [")
        .unwrap();
    let mut project = load_project(&project_path).unwrap();
    project.layers.push(project.layers[0].clone());
    project.layers.last_mut().unwrap().source = LayerRef::Embedded("nowhere.geojson".to_owned());

    let (catalog, problems) = catalog_from_project(&project);
    let names: Vec<&str> = catalog.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Countries", "Security events"]);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("districts.geojson") && problems[0].contains("Districts"), "{}", problems[0]);
    assert!(problems[1].contains("checkpoints.geojson:2:"), "{}", problems[1]);
    assert!(problems[2].contains("nowhere.geojson"), "{}", problems[2]);
}

#[test]
fn bad_json_gives_line_and_column_naming_the_file() {
    let path = Path::new("/projects/broken.fatlas.json");
    let text = "{\n  \"format\": \"frontier-atlas-project\",\n  \"version\": 1,,\n}";
    let err = parse_project(text, path).unwrap_err();
    let ProjectError::Json { line, col, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*line, *col), (3, 16));
    assert!(err.to_string().starts_with("/projects/broken.fatlas.json:3:16: "), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("gone.fatlas.json");
    let err = load_project(&missing).unwrap_err();
    assert!(matches!(err, ProjectError::Io { .. }) && err.to_string().contains("gone.fatlas.json"), "{err}");
}

#[test]
fn wrong_version_and_foreign_json_are_refused() {
    let path = Path::new("next.fatlas.json");
    let err = parse_project(r#"{"format": "frontier-atlas-project", "version": 2, "layers": "new shape"}"#, path)
        .unwrap_err();
    let ProjectError::Version { found, .. } = &err else { panic!("{err:?}") };
    assert_eq!(found, "2");
    assert!(err.to_string().contains("next.fatlas.json") && err.to_string().contains("version 2"), "{err}");

    let err = parse_project(r#"{"format": "frontier-atlas-project"}"#, path).unwrap_err();
    assert!(matches!(&err, ProjectError::Version { found, .. } if found == "missing"), "{err:?}");
    let err = parse_project(r#"{"type": "FeatureCollection", "features": []}"#, path).unwrap_err();
    assert!(matches!(err, ProjectError::NotAProject { .. }), "{err:?}");
    let err = parse_project("[1, 2]", path).unwrap_err();
    assert!(matches!(err, ProjectError::NotAProject { .. }), "{err:?}");
}

#[test]
fn invalid_values_name_their_place() {
    let path = Path::new("p.fatlas.json");
    let cases = [
        (
            r#""layers": [{"embedded": "lakes.geojson"}, {"path": "a.geojson", "style": {"fill": "red"}}]"#,
            "layers[1].style.fill",
        ),
        (r#""layers": [{"embedded": "lakes.geojson", "path": "a.geojson"}]"#, "layers[0]"),
        (r#""layers": [{"name": "nothing"}]"#, "layers[0]"),
        (r#""layers": [{"path": "a.geojson", "opacity": 1.5}]"#, "layers[0].opacity"),
        (r#""layers": [{"path": "a.geojson", "date_fields": ["a", "b", "c"]}]"#, "layers[0].date_fields"),
        (r#""layers": [{"path": "a.geojson", "visible": "yes"}]"#, "layers[0].visible"),
        (r#""from": "2024-01-01""#, "to"),
        (r#""from": "2024-02-01", "to": "2024-01-01""#, "to"),
        (r#""from": "2024-1-1", "to": "2024-02-01""#, "from"),
        (r#""view": {"center_lon": 70, "center_lat": 95, "zoom": 5}"#, "view.center_lat"),
        (r#""bookmarks": [{"center_lon": 70, "center_lat": 38, "zoom": 5}]"#, "bookmarks[0].name"),
        (r#""layers": {}"#, "layers"),
    ];
    for (members, expected_at) in cases {
        let text = format!(r#"{{"format": "frontier-atlas-project", "version": 1, {members}}}"#);
        let err = parse_project(&text, path).unwrap_err();
        let ProjectError::Invalid { at, .. } = &err else { panic!("{members}: {err:?}") };
        assert_eq!(at, expected_at, "{members}: {err}");
        assert!(err.to_string().starts_with("p.fatlas.json: "), "{err}");
    }
}

#[test]
fn the_fixture_and_the_documented_example_agree() {
    let fixture_path = fixtures().join("example.fatlas.json");
    let fixture_text = std::fs::read_to_string(&fixture_path).unwrap();
    let project = load_project(&fixture_path).unwrap();
    assert_eq!(project.layers.len(), 4);
    assert_eq!(project.range, Some((day(2023, 1, 1), day(2023, 12, 31))));
    let style = project.layers[1].style.as_ref().unwrap();
    assert_eq!(style.fill, Some([0xf2, 0xe8, 0xcf, 0x80]));
    assert_eq!(style.stroke_width, Some(1.5));
    assert_eq!(project.layers[2].date_fields, Some(("opened".to_owned(), Some("closed".to_owned()))));
    assert_eq!(project.bookmarks[1].range, Some((day(2023, 6, 1), day(2023, 8, 31))));
    assert_eq!(project_to_json(&project, &fixture_path), fixture_text, "the fixture is in canonical form");

    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/PROJECT_FORMAT.md")).unwrap();
    let example = doc.split("```json\n").nth(1).and_then(|s| s.split("```").next()).unwrap();
    assert_eq!(example, fixture_text, "docs/PROJECT_FORMAT.md's first example is the fixture");
}

#[test]
fn project_paths_are_recognised() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(is_project_path(Path::new("/nowhere/Frontier.FATLAS.JSON")));
    let plain = tmp.path().join("saved.json");
    std::fs::write(&plain, r#"{"format": "frontier-atlas-project", "version": 1}"#).unwrap();
    assert!(is_project_path(&plain));
    let geojson = tmp.path().join("layer.json");
    std::fs::write(&geojson, r#"{"type": "FeatureCollection", "features": []}"#).unwrap();
    assert!(!is_project_path(&geojson));
    let late = tmp.path().join("late.json");
    std::fs::write(&late, format!("{{\"pad\": \"{}\", \"format\": \"frontier-atlas-project\"}}", "x".repeat(5000)))
        .unwrap();
    assert!(!is_project_path(&late), "only the first 4 KB are read");
    assert!(!is_project_path(&tmp.path().join("missing.json")));
    assert!(!is_project_path(Path::new("/nowhere/layer.geojson")));
}

#[test]
fn recent_projects_order_cap_dedupe_and_missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..13)
        .map(|i| {
            let p = tmp.path().join(format!("p{i}.fatlas.json"));
            std::fs::write(&p, "{}").unwrap();
            p
        })
        .collect();
    let mut recent = RecentProjects::default();
    for f in &files {
        recent.push(f);
    }
    assert_eq!(recent.entries().len(), MAX_RECENT);
    assert_eq!(recent.entries()[0], files[12]);
    assert_eq!(recent.entries()[9], files[3]);

    recent.push(&files[5]);
    recent.push(&tmp.path().join("sub/../p5.fatlas.json"));
    assert_eq!(recent.entries().len(), MAX_RECENT, "no duplicates");
    assert_eq!(recent.entries()[0], files[5]);
    assert_eq!(recent.entries()[1], files[12]);
    assert_eq!(recent.entries().iter().filter(|e| **e == files[5]).count(), 1);

    let list = tmp.path().join("config/recent.json");
    recent.save(&list).unwrap();
    assert_eq!(RecentProjects::load(&list), recent);

    std::fs::remove_file(&files[12]).unwrap();
    let reloaded = RecentProjects::load(&list);
    assert_eq!(reloaded.entries().len(), MAX_RECENT - 1);
    assert!(!reloaded.entries().contains(&files[12]));
    assert_eq!(reloaded.entries()[0], files[5]);

    std::fs::write(&list, "not json").unwrap();
    assert!(RecentProjects::load(&list).entries().is_empty());
    assert!(RecentProjects::load(&tmp.path().join("none.json")).entries().is_empty());
}
