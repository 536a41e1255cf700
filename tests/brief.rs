//! Briefings (issue 11): scenes in the project file, and the `brief` deck export.
//!
//! The PDF checks use poppler's `pdfinfo`, `pdftoppm` and `pdftotext` (Debian package
//! `poppler-utils`, which `.ci/run` installs). Under `CI=true` a missing tool fails them;
//! elsewhere `build.rs` marks them ignored.

use std::path::{Path, PathBuf};
use std::process::Command;

use frontier_atlas::project::{load_project, parse_project, project_to_json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
}

/// A poppler tool; panics naming the package when it does not run.
fn poppler(tool: &str) -> Command {
    let runs = Command::new(tool).arg("-v").output().is_ok();
    assert!(
        runs,
        "`{tool}` is not on PATH: install poppler-utils (`apt-get install poppler-utils`); under CI this is \
         required, elsewhere the test is ignored"
    );
    Command::new(tool)
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the command");
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const EMBEDDED: [&str; 10] = [
    "countries.geojson",
    "provinces.geojson",
    "districts.geojson",
    "regions.geojson",
    "lakes.geojson",
    "rivers.geojson",
    "border.geojson",
    "places.geojson",
    "aid.geojson",
    "events.geojson",
];

/// A project of the embedded layers with the given scenes (JSON objects).
fn project_text(scenes: &str) -> String {
    let layers: Vec<String> = EMBEDDED.iter().map(|f| format!(r#"{{"embedded": "{f}"}}"#)).collect();
    format!(
        r#"{{"format": "frontier-atlas-project", "version": 1, "layers": [{}], "scenes": [{scenes}]}}"#,
        layers.join(", ")
    )
}

const THREE_SCENES: &str = r#"
  {"title": "Ayvoj crossing", "notes": "A planned post on the Panj.", "center_lon": 68.03, "center_lat": 37.0,
   "zoom": 9.6, "from": "2021-09-01", "to": "2022-12-31", "highlight": ["AID-US-002"]},
  {"title": "Panj drills", "center_lon": 69.2, "center_lat": 37.9, "zoom": 8.1,
   "from": "2021-10-01", "to": "2021-10-31",
   "layers": [{"embedded": "countries.geojson"}, {"embedded": "border.geojson"}, {"embedded": "events.geojson", "opacity": 0.8}]},
  {"title": "Pamirs in May", "center_lon": 71.3, "center_lat": 37.85, "zoom": 7.7,
   "from": "2022-05-01", "to": "2022-05-31"}
"#;

#[test]
fn scenes_round_trip_with_unknown_members_kept() {
    let scenes = r##"{"title": "Wakhan", "notes": "Line one.\nLine two.", "center_lon": 73.45, "center_lat": 37.2,
        "zoom": 8.0, "from": "2016-01-01", "to": "2022-12-31",
        "layers": [{"embedded": "border.geojson", "opacity": 0.5, "style": {"stroke": "#ff0000", "point_size": 7, "dash": true}, "pin": 1}],
        "highlight": ["AID-CN-001", 42], "mood": "calm"}"##;
    let path = Path::new("/tmp/x/brief.fatlas.json");
    let project = parse_project(&project_text(scenes), path).unwrap();
    let scene = &project.scenes[0];
    assert_eq!(scene.title, "Wakhan");
    assert_eq!(scene.notes, "Line one.\nLine two.");
    assert_eq!(scene.highlight, ["AID-CN-001", "42"]);
    let layers = scene.layers.as_ref().unwrap();
    assert_eq!(layers[0].opacity, Some(0.5));
    assert_eq!(layers[0].style.as_ref().unwrap().stroke, Some([255, 0, 0, 255]));
    assert!(scene.extra.contains_key("mood") && layers[0].extra.contains_key("pin"));
    let text = project_to_json(&project, path);
    assert!(
        text.contains("\"mood\": \"calm\"")
            && text.contains("\"pin\": 1")
            && text.contains("\"dash\": true")
            && text.contains("\"point_size\": 7"),
        "{text}"
    );
    assert_eq!(parse_project(&text, path).unwrap(), project, "second read differs:\n{text}");
}

#[test]
fn old_projects_open_without_scenes_and_save_without_them() {
    let path = Path::new("/tmp/x/old.fatlas.json");
    let text = r#"{"format": "frontier-atlas-project", "version": 1, "layers": [{"embedded": "events.geojson"}]}"#;
    let project = parse_project(text, path).unwrap();
    assert!(project.scenes.is_empty());
    assert!(!project_to_json(&project, path).contains("scenes"));
}

#[test]
fn a_bad_scene_is_reported_at_its_place() {
    let path = Path::new("/tmp/x/bad.fatlas.json");
    for (scene, at) in [
        (r#"{"title": "a", "center_lon": 70, "center_lat": 38}"#, "scenes[0].zoom"),
        (
            r#"{"title": "a", "center_lon": 70, "center_lat": 38, "zoom": 8, "from": "2022-05-31", "to": "2022-05-01"}"#,
            "scenes[0].to",
        ),
        (
            r#"{"title": "a", "center_lon": 70, "center_lat": 38, "zoom": 8, "layers": [{"opacity": 1}]}"#,
            "scenes[0].layers[0]",
        ),
        (
            r#"{"title": "a", "center_lon": 70, "center_lat": 38, "zoom": 8, "highlight": [{}]}"#,
            "scenes[0].highlight[0]",
        ),
        ("7", "scenes[0]"),
    ] {
        let err = parse_project(&project_text(scene), path).unwrap_err().to_string();
        assert!(err.starts_with("/tmp/x/bad.fatlas.json: ") && err.contains(at), "{err} (want {at})");
    }
}

fn write_project(dir: &Path, scenes: &str) -> PathBuf {
    let path = dir.join("deck.fatlas.json");
    std::fs::write(&path, project_text(scenes)).expect("write the project");
    path
}

#[test]
#[cfg_attr(missing_poppler, ignore = "needs poppler's pdfinfo/pdftoppm/pdftotext (apt-get install poppler-utils)")]
fn brief_writes_one_page_per_scene_with_titles_dates_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let project = write_project(dir.path(), THREE_SCENES);
    let pdf = dir.path().join("deck.pdf");
    let out = run_ok(bin().arg("brief").arg(&project).arg("--out").arg(&pdf));
    assert!(out.contains("3 page(s)"), "{out}");
    let info = run_ok(poppler("pdfinfo").arg(&pdf));
    assert!(info.contains("Pages:           3"), "{info}");
    assert!(info.contains("841.89 x 595.28 pts (A4)"), "{info}");
    let fonts = run_ok(poppler("pdffonts").arg(&pdf));
    assert!(
        fonts.contains("Ubuntu") && !fonts.lines().skip(2).any(|l| l.contains(" no ")),
        "fonts not embedded:\n{fonts}"
    );
    let images = run_ok(poppler("pdfimages").arg("-list").arg(&pdf));
    assert_eq!(images.lines().count(), 2, "vector pages: no raster images\n{images}");
    let text = run_ok(poppler("pdftotext").args(["-layout"]).arg(&pdf).arg("-"));
    let pages: Vec<&str> = text.split('\u{c}').collect();
    for (i, (title, range)) in [
        ("Ayvoj crossing", "1 Sep 2021 – 31 Dec 2022"),
        ("Panj drills", "1 Oct 2021 – 31 Oct 2021"),
        ("Pamirs in May", "1 May 2022 – 31 May 2022"),
    ]
    .into_iter()
    .enumerate()
    {
        let page = pages[i];
        assert!(page.contains(title) && page.contains(range), "page {}:\n{page}", i + 1);
        assert!(page.contains("Sources") && page.contains("Legend"), "page {}:\n{page}", i + 1);
    }
    // Ayvoj: the planned US facility's source; the CSTO drills; the GBAO operation.
    assert!(pages[0].contains("Eurasia Daily Monitor"), "{}", pages[0]);
    assert!(pages[0].contains("A planned post on the Panj."), "{}", pages[0]);
    assert!(pages[1].contains("record"), "{}", pages[1]);
    assert!(pages[2].contains("Eurasia Daily Monitor"), "{}", pages[2]);
    // Rendered pages are A4 at 50 dpi and not blank.
    run_ok(poppler("pdftoppm").args(["-r", "50", "-png"]).arg(&pdf).arg(dir.path().join("p")));
    for n in 1..=3 {
        let png = dir.path().join(format!("p-{n}.png"));
        let img = read_png(&png);
        assert_eq!((img.0, img.1), (585, 414), "page {n} size");
        assert!(img.2 > 500, "page {n} looks blank ({} distinct colours)", img.2);
    }
}

/// Width, height and number of distinct colours of a PNG (decoded with resvg's tiny-skia).
fn read_png(path: &Path) -> (u32, u32, usize) {
    let pixmap = resvg::tiny_skia::Pixmap::load_png(path).expect("read the PNG");
    let mut colours: Vec<u32> =
        pixmap.pixels().iter().map(|p| u32::from_be_bytes([p.red(), p.green(), p.blue(), p.alpha()])).collect();
    colours.sort_unstable();
    colours.dedup();
    (pixmap.width(), pixmap.height(), colours.len())
}

#[test]
fn brief_picks_scenes_and_writes_png_and_svg_per_scene() {
    let dir = tempfile::tempdir().unwrap();
    let project = write_project(dir.path(), THREE_SCENES);
    let png = dir.path().join("page.png");
    let out = run_ok(bin().arg("brief").arg(&project).arg("--out").arg(&png).args([
        "--scenes",
        "3,1",
        "--page",
        "letter",
        "--orientation",
        "portrait",
        "--dpi",
        "72",
    ]));
    assert!(out.contains("2 page(s)"), "{out}");
    let (w, h, colours) = read_png(&dir.path().join("page-1.png"));
    assert_eq!((w, h), (612, 792));
    assert!(colours > 500);
    assert!(!dir.path().join("page-3.png").exists());
    let svg = dir.path().join("page.svg");
    run_ok(bin().arg("brief").arg(&project).arg("--out").arg(&svg).args(["--scenes", "2-3", "--page", "200x150mm"]));
    let first = std::fs::read_to_string(dir.path().join("page-1.svg")).unwrap();
    assert!(first.contains("Panj drills") && first.contains("1 Oct 2021 – 31 Oct 2021"), "scene 2 first");
    assert!(first.contains(r#"width="566.92"#), "custom page width in points");
}

#[test]
fn brief_refuses_bad_input_with_exit_1_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let project = write_project(dir.path(), THREE_SCENES);
    let pdf = dir.path().join("deck.pdf");
    for (args, want) in [
        (vec!["--scenes", "4"], "no scene 4"),
        (vec!["--scenes", "2-1"], "backwards"),
        (vec!["--page", "a9"], "--page"),
    ] {
        let out = bin().arg("brief").arg(&project).arg("--out").arg(&pdf).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!pdf.exists());
    }
    let empty = dir.path().join("empty.fatlas.json");
    std::fs::write(&empty, r#"{"format": "frontier-atlas-project", "version": 1}"#).unwrap();
    let out = bin().arg("brief").arg(&empty).arg("--out").arg(&pdf).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.fatlas.json: the project has no scenes"));
    let broken = dir.path().join("broken.fatlas.json");
    std::fs::write(&broken, "{\n  \"format\": \"frontier-atlas-project\",\n  \"version\": 1,\n  \"scenes\": [\n}")
        .unwrap();
    let out = bin().arg("brief").arg(&broken).arg("--out").arg(&pdf).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("broken.fatlas.json:5:1"), "{err}");
}

#[test]
fn the_shipped_briefing_has_four_scenes_and_renders() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/frontier-briefing.fatlas.json");
    let project = load_project(&path).unwrap();
    assert!(project.scenes.len() >= 4);
    let titles: Vec<&str> = project.scenes.iter().map(|s| s.title.as_str()).collect();
    for want in ["Ayvoj", "Wakhan", "CSTO", "GBAO"] {
        assert!(titles.iter().any(|t| t.contains(want)), "no {want} scene in {titles:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("shipped.svg");
    let out = run_ok(bin().arg("brief").arg(&path).arg("--out").arg(&svg));
    assert!(out.contains(&format!("{} page(s)", project.scenes.len())), "{out}");
    for (i, scene) in project.scenes.iter().enumerate() {
        let page = std::fs::read_to_string(dir.path().join(format!("shipped-{}.svg", i + 1))).unwrap();
        assert!(!page.contains("No events or aid in this view"), "scene {} shows no sourced record", scene.title);
    }
}

#[test]
fn render_takes_a_page_size_and_the_typed_title() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("view.svg");
    run_ok(
        bin()
            .args(["render", "--page", "a4", "--orientation", "portrait", "--title", "Khatlon, my title", "--out"])
            .arg(&out),
    );
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains(r#"width="595.28" height="841.89""#), "{}", &svg[..200]);
    assert!(svg.contains("Khatlon, my title"));
    let bad = bin().args(["render", "--page", "huge", "--out"]).arg(&out).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn the_app_keeps_a_projects_scenes_when_it_saves_it() {
    // Regression: the app rebuilt the project from its catalog on save and dropped `scenes`.
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/frontier-briefing.fatlas.json");
    let original = load_project(&shipped).unwrap();
    let copy = dir.path().join("copy.fatlas.json");
    std::fs::copy(&shipped, &copy).unwrap();
    let mut h =
        egui_kittest::Harness::builder().with_size(egui::vec2(1400.0, 900.0)).with_max_steps(12).build_ui_state(
            |ui, app: &mut frontier_atlas::ui::AtlasApp| app.ui(ui),
            frontier_atlas::ui::AtlasApp::new(None),
        );
    h.run_steps(2);
    h.state_mut().open_project(&copy);
    h.state_mut().finish_jobs();
    h.run_steps(2);
    assert_eq!(h.state().scenes.len(), original.scenes.len());
    let saved = dir.path().join("saved.fatlas.json");
    h.state_mut().save_project_to(&saved);
    h.state_mut().finish_jobs();
    let reread = load_project(&saved).unwrap();
    assert_eq!(reread.scenes, original.scenes);
}

#[test]
fn scenes_panel_adds_and_renames_a_scene_and_presentation_steps_through_scenes() {
    use egui_kittest::kittest::Queryable as _;
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/frontier-briefing.fatlas.json");
    let mut h =
        egui_kittest::Harness::builder().with_size(egui::vec2(1400.0, 900.0)).with_max_steps(12).build_ui_state(
            |ui, app: &mut frontier_atlas::ui::AtlasApp| app.ui(ui),
            frontier_atlas::ui::AtlasApp::new(None),
        );
    h.run_steps(2);
    h.state_mut().open_project(&shipped);
    h.state_mut().finish_jobs();
    h.run_steps(2);
    let n = h.state().scenes.len();
    h.get_by_label("Scenes").click();
    h.run_steps(2);
    h.get_by_label("Scenes panel").click();
    h.run_steps(2);
    h.get_by_label("New scene").click();
    h.run_steps(1);
    h.get_by_label("New scene").type_text("Khorog");
    h.run_steps(1);
    h.get_by_label("Add current view").click();
    h.run_steps(2);
    assert_eq!(h.state().scenes.len(), n + 1);
    assert_eq!(h.state().scenes[n].title, "Khorog");
    let row = format!("{}.", n + 1);
    h.get_by_label(&row).click();
    h.run_steps(1);
    h.get_by_label(&row).type_text(" at night");
    h.run_steps(2);
    assert_eq!(h.state().scenes[n].title, "Khorog at night");
    // Presentation mode: F5 starts at the first scene, → goes to the next, Esc leaves.
    h.key_press(egui::Key::F5);
    h.run_steps(2);
    assert_eq!(h.state().scenes_ui.presenting, Some(0));
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    let app = h.state();
    assert_eq!(app.scenes_ui.presenting, Some(1));
    let second = &app.scenes[1];
    let [x, y] = app.map.viewport.screen_from_geo(second.center_lon, second.center_lat);
    let [w, hgt] = app.map.viewport.size_pts;
    assert!((x - w / 2.0).abs() < 1.0 && (y - hgt / 2.0).abs() < 1.0, "the map is on scene 2");
    assert_eq!(app.filter.range.map(|r| (r.from, r.to)), second.range);
    assert!(h.query_by_label(&second.title).is_some(), "its title is shown");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert_eq!(h.state().scenes_ui.presenting, None);
}
