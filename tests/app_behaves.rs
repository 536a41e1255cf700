//! Issue 9, "a desktop app that behaves", driven through `egui_kittest`: keys never reach the
//! map or timeline while a text field has them, bookmarks through a dialog, every feature at a
//! clicked spot offered, dates at their real precision, styles set in the Layers panel that
//! survive a project and change the export, layer reordering with undo, theme, help and
//! playback that starts where there is data.

mod common;

use common::{click_at, harness, screen_of};
use egui::Key;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::model::{FeatureRef, LayerKind, PointShape};
use frontier_atlas::ui::{AtlasApp, Theme};

fn feature_by_id(app: &AtlasApp, kind: LayerKind, id: &str) -> FeatureRef {
    let (li, layer) = app.catalog.layer_of_kind(kind).expect("layer");
    let fi = layer
        .features
        .iter()
        .position(|f| f.id.as_ref().is_some_and(|i| i.to_string().trim_matches('"') == id))
        .expect("feature exists");
    FeatureRef { layer: li, feature: fi }
}

fn anchor_on_screen(h: &egui_kittest::Harness<'static, AtlasApp>, r: FeatureRef) -> egui::Pos2 {
    let anchor = h.state().catalog.feature(r).and_then(|f| f.shape.anchor()).expect("anchor");
    let (lon, lat) = frontier_atlas::spatial::geo_from_world(anchor);
    screen_of(h, lon, lat)
}

#[test]
fn typing_minus_or_space_in_a_text_field_leaves_the_map_and_timeline_alone() {
    let mut h = harness();
    h.run_steps(3);
    // With nothing focused, "-" zooms the map out: the key does reach the map.
    let z0 = h.state().map.viewport.zoom;
    h.key_press(Key::Minus);
    h.run_steps(2);
    let z1 = h.state().map.viewport.zoom;
    assert!(z1 < z0, "the control: '-' on the map zooms out ({z0} -> {z1})");

    // Typed into the From date field, it is text and nothing else.
    h.get_by_label("From").click();
    h.run_steps(2);
    h.key_press(Key::Minus);
    h.get_by_label("From").type_text("-");
    h.run_steps(2);
    assert!((h.state().map.viewport.zoom - z1).abs() < 1e-9, "'-' in a date field zoomed the map");
    let typed = &h.state().timeline.from_text;
    assert_eq!(typed.matches('-').count(), 3, "the '-' went into the field once: {typed}");

    // Space in the search box types a space and does not start playback.
    h.get_by_label("Search").click();
    h.run_steps(2);
    h.key_press(Key::Space);
    h.get_by_label("Search").type_text(" ");
    h.run_steps(2);
    assert!(!h.state().timeline.playback.playing, "Space in a text field started playback");
    assert!((h.state().map.viewport.zoom - z1).abs() < 1e-9);
}

#[test]
fn typing_a_bookmark_name_creates_it_and_bookmarks_can_be_renamed_moved_and_deleted() {
    let mut h = harness();
    h.run_steps(3);
    let zoom = h.state().map.viewport.zoom;
    h.get_by_label("Bookmarks").click();
    h.run_steps(2);
    h.get_by_label("Add bookmark…").click();
    h.run_steps(3);
    assert!(h.state().bookmark_dialog.is_some(), "the dialog opened");
    // The name field has the keyboard from the start: keys typed land in it, a '-' included.
    for (key, text) in [(Key::K, "K"), (Key::H, "h"), (Key::Minus, "-"), (Key::Num1, "1")] {
        h.key_press(key);
        h.event(egui::Event::Text(text.to_owned()));
        h.run_steps(1);
    }
    assert_eq!(h.state().bookmark_dialog.as_ref().map(|d| d.name.as_str()), Some("Kh-1"), "typed keys were lost");
    assert!((h.state().map.viewport.zoom - zoom).abs() < 1e-9, "typing in the dialog moved the map");
    h.get_by_label("Note (optional)").click();
    h.run_steps(1);
    h.get_by_label("Note (optional)").type_text("Crossing point");
    h.run_steps(2);
    h.get_by_label("Add").click();
    h.run_steps(3);
    let b = h.state().bookmarks.first().expect("bookmark created");
    assert_eq!((b.name.as_str(), b.note.as_deref()), ("Kh-1", Some("Crossing point")));
    assert!(h.state().bookmark_dialog.is_none());

    // Rename through the same dialog; Enter saves.
    h.get_by_label("Bookmarks").click();
    h.run_steps(2);
    h.get_by_label("Rename…").click();
    h.run_steps(3);
    if let Some(d) = h.state_mut().bookmark_dialog.as_mut() {
        d.name.clear();
    }
    h.run_steps(1);
    h.get_by_label("Bookmark name").type_text("Khorog");
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(3);
    assert_eq!(h.state().bookmarks.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["Khorog"]);

    // A second one, moved above the first, then the first deleted.
    let second = frontier_atlas::project::Bookmark::new("Shaymak", &h.state().map.viewport, None);
    h.state_mut().bookmarks.push(second);
    h.get_by_label("Bookmarks").click();
    h.run_steps(2);
    // The first bookmark's Up is disabled; the second's moves it to the top.
    h.query_all_by_label("Up").last().expect("Up").click();
    h.run_steps(2);
    assert_eq!(h.state().bookmarks.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["Shaymak", "Khorog"]);
    h.query_all_by_label("Delete").last().expect("Delete").click();
    h.run_steps(2);
    assert_eq!(h.state().bookmarks.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["Shaymak"]);
}

#[test]
fn the_features_here_list_at_dushanbe_offers_events_and_aid_and_a_search_clears_it() {
    let mut h = harness();
    h.run_steps(3);
    let aid = feature_by_id(h.state(), LayerKind::Aid, "AID-RU-001");
    let pos = anchor_on_screen(&h, aid);
    click_at(&mut h, pos);
    let here = h.state().hits_here.clone();
    let app = h.state();
    let kinds: Vec<LayerKind> = here.iter().map(|r| app.catalog.layers[r.layer].kind).collect();
    assert!(kinds.contains(&LayerKind::Aid), "no aid in the list at Dushanbe: {kinds:?}");
    assert!(kinds.contains(&LayerKind::Events), "no events in the list at Dushanbe: {kinds:?}");
    assert!(here.contains(&aid), "the Russian base is offered");
    assert!(h.query_all_by_label_contains("features here").count() >= 1);

    // The Chinese post at Shaymak is offered with the place.
    let post = feature_by_id(h.state(), LayerKind::Aid, "AID-CN-001");
    let pos = anchor_on_screen(&h, post);
    click_at(&mut h, pos);
    assert!(h.state().hits_here.contains(&post) || h.state().selection == Some(post), "post not offered");

    // A search flying elsewhere leaves no stale list.
    let pos = anchor_on_screen(&h, aid);
    click_at(&mut h, pos);
    assert!(h.state().hits_here.len() > 1);
    h.get_by_label("Search").click();
    h.run_steps(1);
    h.get_by_label("Search").type_text("Khorog");
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(4);
    assert!(h.state().hits_here.is_empty(), "features-here list stale after a search: {:?}", h.state().hits_here);
}

#[test]
fn an_aid_project_started_in_a_year_reads_as_a_year_and_id_is_listed_once() {
    let mut h = harness();
    h.run_steps(3);
    let base = feature_by_id(h.state(), LayerKind::Aid, "AID-RU-001");
    h.state_mut().apply(frontier_atlas::ui::Command::Select(Some(base)));
    h.run_steps(3);
    assert!(h.query_all_by_label_contains("from 1991 (year only)").count() >= 1, "the date does not read as a year");
    assert_eq!(h.query_all_by_label_contains("1 Jan 1991").count(), 0, "the year is shown as a day");
    assert_eq!(h.query_all_by_label("id").count(), 1, "id listed more than once");
}

#[test]
fn a_style_set_in_the_layers_panel_survives_a_project_and_changes_the_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness();
    h.state_mut().user_dir = dir.path().join("user");
    h.run_steps(3);
    let before = dir.path().join("before.png");
    h.state_mut().export_to(before.clone());
    h.state_mut().finish_jobs();

    let (_, events) = h.state().catalog.layer_of_kind(LayerKind::Events).expect("events");
    let uid = events.uid;
    h.state_mut().layer_settings = Some(uid);
    h.run_steps(3);
    h.query_all_by_label("Point shape").last().expect("point shape chooser").click();
    h.run_steps(2);
    h.get_by_label("square").click();
    h.run_steps(3);
    let style = h.state().catalog.layer_of_kind(LayerKind::Events).and_then(|(_, l)| l.style.clone());
    assert_eq!(style.as_ref().and_then(|s| s.point_shape), Some(PointShape::Square), "{style:?}");

    let after = dir.path().join("after.png");
    h.state_mut().export_to(after.clone());
    let project = dir.path().join("styled.fatlas.json");
    h.state_mut().save_project_to(&project);
    h.state_mut().finish_jobs();
    let (a, b) = (std::fs::read(&before).expect("before.png"), std::fs::read(&after).expect("after.png"));
    assert_ne!(a, b, "the style did not change the exported PNG");
    let text = std::fs::read_to_string(&project).expect("project");
    assert!(text.contains("\"point_shape\": \"square\""), "{text}");

    let mut h2 = harness();
    h2.state_mut().user_dir = dir.path().join("user2");
    h2.state_mut().open_project(&project);
    h2.state_mut().finish_jobs();
    h2.run_steps(3);
    let reopened = h2.state().catalog.layer_of_kind(LayerKind::Events).and_then(|(_, l)| l.style.clone());
    assert_eq!(reopened, style, "the style did not survive the project");
    let again = dir.path().join("again.png");
    h2.state_mut().map.viewport = h.state().map.viewport;
    h2.state_mut().export_to(again.clone());
    h2.state_mut().finish_jobs();
    assert_eq!(std::fs::read(&again).expect("again.png"), b, "the reopened project renders differently");
}

#[test]
fn a_categorised_user_layer_is_in_the_legend_with_one_swatch_per_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("posts.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"A","kind":"post"},"geometry":{"type":"Point","coordinates":[71.5,37.5]}},
{"type":"Feature","properties":{"name":"B","kind":"camp"},"geometry":{"type":"Point","coordinates":[71.6,37.6]}}]}"#,
    )
    .expect("write");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let app = h.state();
    let scene = |app: &AtlasApp| {
        frontier_atlas::render::build_scene(
            &app.catalog,
            &app.map.viewport,
            &frontier_atlas::render::SceneOptions::default(),
        )
    };
    let legend: Vec<String> = scene(app).legend.iter().map(|e| e.label.clone()).collect();
    assert!(legend.contains(&"posts".to_owned()), "a user point layer is missing from the legend: {legend:?}");
    let li = app.catalog.layers.iter().position(|l| l.name == "posts").expect("posts layer");
    let uid = app.catalog.layers[li].uid;
    h.state_mut().layer_settings = Some(uid);
    h.run_steps(3);
    h.query_all_by_label("Colour by").last().expect("colour by").click();
    h.run_steps(2);
    h.get_by_label("kind").click();
    h.run_steps(3);
    let entries = scene(h.state()).legend;
    let rows: Vec<_> = entries.iter().filter(|e| e.label.starts_with("posts: ")).collect();
    assert_eq!(rows.len(), 2, "{entries:?}");
    assert_ne!(rows[0].swatch, rows[1].swatch, "categories share a swatch");
}

#[test]
fn moving_a_layer_keeps_its_settings_open_and_undo_moves_it_back() {
    let mut h = harness();
    h.run_steps(3);
    let (li, places) = h.state().catalog.layer_of_kind(LayerKind::Places).expect("places");
    let uid = places.uid;
    h.state_mut().layer_settings = Some(uid);
    h.run_steps(2);
    h.get_by_label("Move down").click();
    h.run_steps(3);
    assert_eq!(h.state().catalog.index_of(uid), Some(li - 1), "not moved down");
    assert_eq!(h.state().layer_settings, Some(uid), "the open section did not follow its layer");
    assert!(h.query_by_label("Move down").is_some(), "the section closed");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    h.run_steps(3);
    assert_eq!(h.state().catalog.index_of(uid), Some(li), "Undo did not move it back");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Y);
    h.run_steps(3);
    assert_eq!(h.state().catalog.index_of(uid), Some(li - 1), "Redo did not move it again");
}

#[test]
fn theme_help_pages_and_toolbar_tooltips() {
    let mut h = harness();
    h.run_steps(3);
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Theme").click();
    h.run_steps(2);
    h.get_by_label("Dark").click();
    h.run_steps(3);
    assert_eq!(h.state().state.theme, Theme::Dark);
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);

    h.get_by_label("Help").click();
    h.run_steps(2);
    h.get_by_label("Keyboard shortcuts").click();
    h.run_steps(3);
    for (keys, _, _) in frontier_atlas::ui::SHORTCUTS {
        assert!(h.query_all_by_label(keys).count() >= 1, "shortcut {keys} not listed");
    }
    h.state_mut().show_shortcuts = false;
    h.run_steps(2);
    h.get_by_label("Help").click();
    h.run_steps(2);
    h.get_by_label("Quick guide").click();
    h.run_steps(3);
    for (title, _) in frontier_atlas::ui::QUICK_GUIDE {
        assert!(h.query_all_by_label(title).count() >= 1, "guide section {title} missing");
    }
}

#[test]
fn playback_from_an_empty_year_starts_at_the_first_date_with_data() {
    let mut h = harness();
    h.run_steps(3);
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).expect("date");
    let empty = frontier_atlas::time::Range::new(d(2016, 6, 1), d(2016, 8, 29));
    let app = h.state();
    let first = app
        .catalog
        .layers
        .iter()
        .filter(|l| l.time_index.is_some())
        .flat_map(|l| l.features.iter().filter_map(|f| f.time))
        .map(|s| s.start)
        .filter(|s| *s >= empty.from)
        .min()
        .expect("data after mid-2016");
    assert!(first > empty.to, "the test range must be empty: first start {first}");
    h.state_mut().apply(frontier_atlas::ui::Command::SetRange(Some(empty)));
    h.run_steps(2);
    // Slow enough that the first frame stays put while it is checked.
    h.state_mut().timeline.playback.speed_steps_per_sec = 0.01;
    h.get_by_label("Play").click();
    h.run_steps(2);
    let range = h.state().timeline.range.expect("range");
    assert_eq!(range.from, first, "playback did not start at the first date with data");
    // Skipping empty steps: every frame shown has something starting in it.
    h.state_mut().timeline.playback.speed_steps_per_sec = 10.0;
    let starts: Vec<chrono::NaiveDate> = h
        .state()
        .catalog
        .layers
        .iter()
        .filter(|l| l.time_index.is_some())
        .flat_map(|l| l.features.iter().filter_map(|f| f.time))
        .map(|s| s.start)
        .collect();
    let mut frames = 0;
    for _ in 0..12 {
        h.run_steps(1);
        let r = h.state().timeline.range.expect("range");
        if h.state().timeline.playback.playing {
            frames += 1;
            assert!(starts.iter().any(|s| r.contains(*s)), "an empty step was shown: {r:?}");
        }
    }
    assert!(frames > 0, "playback stopped at once");
}

#[test]
fn the_attribute_form_does_not_jump_when_a_note_is_typed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sites.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"Site A","notes":"","source":""},"geometry":{"type":"Point","coordinates":[71.5,37.5]}}]}"#,
    )
    .expect("write");
    let mut h = harness();
    h.state_mut().user_dir = dir.path().join("user");
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let li = h.state().catalog.layers.iter().position(|l| l.name == "sites").expect("sites layer");
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().apply(frontier_atlas::ui::Command::Edit(frontier_atlas::ui::EditIntent::StartEditing(uid)));
    h.state_mut().apply(frontier_atlas::ui::Command::Select(Some(FeatureRef { layer: li, feature: 0 })));
    h.run_steps(3);
    let row_y = |h: &egui_kittest::Harness<'static, AtlasApp>| {
        h.query_all_by_label("name").last().expect("name field").rect().top()
    };
    let before = row_y(&h);
    for (key, text) in [("notes", "Seen from the river"), ("source", "Field report")] {
        h.query_all_by_label(key).last().expect("field").click();
        h.run_steps(1);
        h.query_all_by_label(key).last().expect("field").type_text(text);
        h.run_steps(1);
        // Moving on to the next field commits the value.
        h.query_all_by_label("name").last().expect("name field").click();
        h.run_steps(3);
    }
    let f = &h.state().catalog.layers[li].features.get(0).unwrap();
    assert_eq!(f.prop_str("notes"), Some("Seen from the river"), "the note was saved");
    assert_eq!(f.prop_str("source"), Some("Field report"));
    let after = row_y(&h);
    assert!((after - before).abs() < 1.0, "the form moved by {} points while typing", after - before);
}

/// Found walking the app: the settings of a districts file offered "Point size", "Point
/// shape" and "Draw points as", which change nothing on its areas. They show for a layer with
/// points only.
#[test]
fn area_layers_offer_no_point_settings() {
    let mut h = harness();
    h.run_steps(3);
    let districts = h.state().catalog.layer_of_kind(LayerKind::Districts).expect("districts").1.uid;
    h.state_mut().layer_settings = Some(districts);
    h.run_steps(3);
    assert!(h.query_by_label("Line width").is_some(), "the settings are open");
    for label in ["Point size", "Point shape", "Draw points as"] {
        assert!(h.query_by_label(label).is_none(), "{label} offered for areas");
    }
    let events = h.state().catalog.layer_of_kind(LayerKind::Events).expect("events").1.uid;
    h.state_mut().layer_settings = Some(events);
    h.run_steps(3);
    for label in ["Point size", "Point shape", "Draw points as"] {
        assert!(h.query_by_label(label).is_some(), "{label} missing for points");
    }
}
