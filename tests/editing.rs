//! Editing in the real app through `egui_kittest`: draw, edit attributes, undo, redo, save,
//! reload — and a failed save that loses nothing.

mod common;

use common::{click_at, harness, screen_of};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::model::LayerSource;
use frontier_atlas::ui::{AtlasApp, Command};

const AREAS: &str = r#"{"type":"FeatureCollection","name":"areas","features":[
{"type":"Feature","id":7,"properties":{"name":"Existing","note":null},"geometry":{"type":"Point","coordinates":[69.5,38.9,1200]},"extra":"kept"}
]}
"#;

/// The app with `AREAS` written to `dir/areas.geojson` and opened as layer "areas".
fn with_areas(dir: &std::path::Path) -> (Harness<'static, AtlasApp>, std::path::PathBuf) {
    let path = dir.join("areas.geojson");
    std::fs::write(&path, AREAS).expect("write");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    (h, path)
}

fn layer_index(app: &AtlasApp, name: &str) -> usize {
    app.catalog.layers.iter().position(|l| l.name == name).expect("layer loaded")
}

#[test]
fn draw_polygon_edit_attribute_undo_redo_save_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("areas.geojson");
    std::fs::write(&path, AREAS).expect("write");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.state_mut().apply(Command::Home);
    h.run_steps(6);
    let li = layer_index(h.state(), "areas");
    h.state_mut().apply(Command::StartEditing(li));
    h.run_steps(2);

    // Draw a triangle north of Kulob by clicking, then Enter.
    h.get_by_label("Draw polygon").click();
    h.run_steps(2);
    for (lon, lat) in [(69.6, 38.2), (70.2, 38.2), (69.9, 38.6)] {
        let p = screen_of(&h, lon, lat);
        click_at(&mut h, p);
    }
    assert_eq!(h.state().editor.sketch.len(), 3, "three vertices sketched");
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    let li = layer_index(h.state(), "areas");
    assert_eq!(h.state().catalog.layers[li].features.len(), 2, "polygon added");
    let new = &h.state().catalog.layers[li].features[1];
    assert_eq!(new.geometry.as_ref().and_then(|g| g["type"].as_str()), Some("Polygon"));
    assert_eq!(
        new.geometry.as_ref().and_then(|g| g["coordinates"][0].as_array()).map(Vec::len),
        Some(4),
        "closed ring"
    );
    assert!(h.state().history.is_dirty(h.state().catalog.layers[li].uid));

    // Edit its name in the inspector's form.
    h.get_by_label("name").click();
    h.run_steps(1);
    h.get_by_label("name").type_text("Test area");
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    let name = |h: &Harness<'static, AtlasApp>| {
        let li = layer_index(h.state(), "areas");
        h.state().catalog.layers[li].features.get(1).and_then(|f| f.prop_str("name").map(str::to_owned))
    };
    assert_eq!(name(&h).as_deref(), Some("Test area"));

    // Undo both, redo both.
    h.get_by_label("Undo").click();
    h.run_steps(2);
    assert_eq!(name(&h).as_deref(), Some(""), "attribute edit undone");
    h.get_by_label("Undo").click();
    h.run_steps(2);
    let li = layer_index(h.state(), "areas");
    assert_eq!(h.state().catalog.layers[li].features.len(), 1, "polygon undone");
    assert!(!h.state().history.is_dirty(h.state().catalog.layers[li].uid), "back to the saved state");
    h.get_by_label("Redo").click();
    h.run_steps(2);
    h.get_by_label("Redo").click();
    h.run_steps(2);
    assert_eq!(name(&h).as_deref(), Some("Test area"));

    // Save, reload from disk, compare.
    h.get_by_label("Save").click();
    h.run_steps(2);
    let li = layer_index(h.state(), "areas");
    assert!(!h.state().history.is_dirty(h.state().catalog.layers[li].uid), "saved");
    let reloaded = frontier_atlas::io::geojson::load_file(&path).expect("reload").layer;
    let saved = &h.state().catalog.layers[li];
    assert_eq!(reloaded.features.len(), 2);
    assert_eq!(reloaded.features[1].prop_str("name"), Some("Test area"));
    assert_eq!(reloaded.features[1].geometry, saved.features[1].geometry);
    // The untouched feature survived byte-for-value: numeric id, 3-D position, null property,
    // foreign member.
    let text = std::fs::read_to_string(&path).expect("read");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let first = &json["features"][0];
    assert_eq!(first["id"], serde_json::json!(7));
    assert_eq!(first["geometry"]["coordinates"], serde_json::json!([69.5, 38.9, 1200]));
    assert_eq!(first["properties"]["note"], serde_json::Value::Null);
    assert_eq!(first["extra"], serde_json::json!("kept"));
    assert_eq!(json["name"], serde_json::json!("areas"), "collection foreign member kept");
}

#[test]
fn a_failed_save_names_the_file_and_keeps_the_edits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, path) = with_areas(dir.path());
    let li = layer_index(h.state(), "areas");
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::StartEditing(li));
    h.state_mut().apply(Command::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[70.0,38.0]}),
    });
    h.run_steps(2);
    // A path whose parent is a regular file cannot be written, even by root.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").expect("write");
    let target = blocker.join("areas.geojson");
    h.state_mut().apply(Command::SaveTo(uid, target.clone()));
    h.run_steps(2);
    let app = h.state();
    let msg = app.messages.last().expect("an error message");
    assert!(msg.text.contains("not-a-folder"), "{}", msg.text);
    assert!(app.history.is_dirty(uid), "still unsaved");
    assert_eq!(app.catalog.layers[layer_index(app, "areas")].features.len(), 2, "edit kept in memory");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), AREAS, "the old file is untouched");
    assert!(matches!(&app.catalog.layers[layer_index(app, "areas")].source, LayerSource::File(p) if p == &path));
}

#[test]
fn a_saved_project_reopens_with_layers_range_view_and_bookmarks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layer_path = dir.path().join("areas.geojson");
    std::fs::write(&layer_path, AREAS).expect("write");
    let project_path = dir.path().join("brief.fatlas.json");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&layer_path);
    h.run_steps(2);
    h.get_by_label("2021").click();
    h.run_steps(2);
    {
        let app = h.state_mut();
        let places = app.catalog.layers.iter().position(|l| l.name == "Places").expect("places");
        app.apply(Command::SetVisible(places, false));
        app.bookmarks.push(frontier_atlas::project::Bookmark::new("Khorog", &app.map.viewport, None));
        app.save_project_to(&project_path);
    }
    let saved_order: Vec<String> = h.state().catalog.layers.iter().map(|l| l.name.clone()).collect();
    let saved_range = h.state().filter.range;

    let mut h2 = harness();
    h2.run_steps(2);
    h2.state_mut().open_project(&project_path);
    h2.run_steps(2);
    let app = h2.state();
    let order: Vec<String> = app.catalog.layers.iter().map(|l| l.name.clone()).collect();
    assert_eq!(order, saved_order);
    assert!(!app.catalog.layers.iter().find(|l| l.name == "Places").expect("places").visible);
    assert_eq!(app.filter.range, saved_range);
    assert_eq!(app.bookmarks.len(), 1);
    assert_eq!(app.project_path.as_deref(), Some(project_path.as_path()));
}

#[test]
fn unsaved_edits_are_autosaved_offered_after_a_crash_and_journalled_on_save() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("areas.geojson");
    std::fs::write(&path, AREAS).expect("write");
    let recovery = dir.path().join("recovery");
    let mut h = harness();
    h.state_mut().safety = frontier_atlas::ui::Safety::with_store(recovery.clone());
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let li = layer_index(h.state(), "areas");
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::StartEditing(li));
    h.state_mut().apply(Command::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[70.5,38.1]}),
    });
    h.run_steps(30); // more than the autosave interval of egui time
    assert!(std::fs::read_dir(&recovery).expect("recovery folder").count() >= 1, "an autosave was written");
    // "Crash": drop the app without saving; a new session finds the autosave and restores it.
    drop(h);
    let mut h2 = harness();
    h2.state_mut().safety = frontier_atlas::ui::Safety::with_store(recovery.clone());
    h2.run_steps(2);
    assert_eq!(h2.state().safety.offered.len(), 1, "the autosave is offered");
    h2.get_by_label("Restore").click();
    h2.run_steps(2);
    let app = h2.state();
    let restored = app.catalog.layers.iter().find(|l| l.name == "areas").expect("restored layer");
    assert_eq!(restored.features.len(), 2, "the unsaved feature is back");
    assert!(app.history.is_dirty(restored.uid), "restored edits still need saving");
    // Saving writes the layer, the journal beside it, and removes the autosave.
    let uid = restored.uid;
    h2.state_mut().apply(Command::SaveTo(uid, path.clone()));
    h2.run_steps(2);
    assert_eq!(frontier_atlas::io::geojson::load_file(&path).expect("reload").layer.features.len(), 2);
    assert!(std::fs::read_dir(&recovery).expect("recovery folder").count() == 0, "autosave removed after saving");
}

#[test]
fn saving_writes_the_edit_journal_beside_the_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, path) = with_areas(dir.path());
    let li = layer_index(h.state(), "areas");
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().state.user_name = "analyst-7".to_owned();
    h.state_mut().safety.source_note = "Asia-Plus, 2022-05-18".to_owned();
    h.state_mut().apply(Command::StartEditing(li));
    h.state_mut().apply(Command::Edit(
        frontier_atlas::edit::EditCommand::SetProperty {
            layer: uid,
            index: 0,
            key: "name".into(),
            value: Some("Renamed".into()),
        },
        "Set name".into(),
    ));
    h.state_mut().apply(Command::Save(uid));
    h.run_steps(2);
    let journal =
        frontier_atlas::io::journal::read_journal(&frontier_atlas::io::journal::journal_path(&path)).expect("journal");
    let entry = journal.entries.last().expect("an entry");
    assert_eq!(entry.who, "analyst-7");
    assert_eq!(entry.feature_id.as_deref(), Some("7"));
    assert!(entry.detail.contains("name") && entry.detail.contains("Renamed"), "{}", entry.detail);
    assert_eq!(entry.source_note.as_deref(), Some("Asia-Plus, 2022-05-18"));
}

#[test]
fn a_layer_saves_as_geopackage_but_never_over_other_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, _) = with_areas(dir.path());
    let li = layer_index(h.state(), "areas");
    let uid = h.state().catalog.layers[li].uid;
    let gpkg = dir.path().join("areas.gpkg");
    h.state_mut().apply(Command::SaveTo(uid, gpkg.clone()));
    h.run_steps(1);
    let back = frontier_atlas::io::gpkg::read_gpkg(&gpkg).expect("read back");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].layer.features[0].prop_str("name"), Some("Existing"));
    // A GeoPackage holding another layer is not overwritten by a single-layer save.
    let other = dir.path().join("two.gpkg");
    let places = h.state().catalog.layers.iter().find(|l| l.name == "Places").expect("places").clone();
    frontier_atlas::io::gpkg::write_gpkg(&other, &[&places]).expect("write");
    let before = std::fs::read(&other).expect("read");
    h.state_mut().apply(Command::SaveTo(uid, other.clone()));
    h.run_steps(1);
    assert_eq!(std::fs::read(&other).expect("read"), before, "the other GeoPackage is untouched");
    assert!(h.state().messages.last().expect("message").text.contains("Places"));
}
