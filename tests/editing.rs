//! Editing in the real app through `egui_kittest`: draw, edit attributes, undo, redo, save,
//! reload — and a failed save that loses nothing.

#[path = "common/acled_row.rs"]
mod acled_row;
mod common;

use common::{click_at, harness, screen_of};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::model::LayerSource;
use frontier_atlas::ui::{AtlasApp, Command, EditIntent};

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

/// Edits layer `uid` (saved at `path`): sets property `key` of feature `index` to `value`,
/// saves, and returns the journal's last entry as read back from beside the file.
fn set_save_and_journal(
    h: &mut Harness<'static, AtlasApp>,
    path: &std::path::Path,
    uid: frontier_atlas::model::LayerUid,
    index: usize,
    (key, value): (&str, &str),
) -> frontier_atlas::io::journal::JournalEntry {
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.state_mut().apply(Command::Edit(EditIntent::Apply(
        frontier_atlas::edit::EditCommand::SetProperty {
            layer: uid,
            index,
            key: key.into(),
            value: Some(value.into()),
        },
        format!("Set {key}"),
    )));
    h.state_mut().apply(Command::Edit(EditIntent::Save(uid)));
    h.run_steps(2);
    h.state_mut().finish_jobs();
    let journal =
        frontier_atlas::io::journal::read_journal(&frontier_atlas::io::journal::journal_path(path)).expect("journal");
    journal.entries.last().expect("an entry").clone()
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
    let uid_li = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid_li)));
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
    let new = &h.state().catalog.layers[li].features.get(1).unwrap();
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

    // Save (on a worker), reload from disk, compare.
    h.get_by_label("Save").click();
    h.run_steps(2);
    h.state_mut().finish_jobs();
    h.run_steps(1);
    let li = layer_index(h.state(), "areas");
    assert!(!h.state().history.is_dirty(h.state().catalog.layers[li].uid), "saved");
    let reloaded = frontier_atlas::io::geojson::load_file(&path).expect("reload").layer;
    let saved = &h.state().catalog.layers[li];
    assert_eq!(reloaded.features.len(), 2);
    assert_eq!(reloaded.features.get(1).unwrap().prop_str("name"), Some("Test area"));
    assert_eq!(reloaded.features.get(1).unwrap().geometry, saved.features.get(1).unwrap().geometry);
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
    let uid_li = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid_li)));
    h.state_mut().apply(Command::Edit(EditIntent::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[70.0,38.0]}),
    }));
    h.run_steps(2);
    // A path whose parent is a regular file cannot be written, even by root.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").expect("write");
    let target = blocker.join("areas.geojson");
    h.state_mut().apply(Command::Edit(EditIntent::SaveTo(uid, target.clone())));
    h.run_steps(2);
    h.state_mut().finish_jobs();
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
        app.apply(Command::SetVisible(app.catalog.layers[places].uid, false));
        app.bookmarks.push(frontier_atlas::project::Bookmark::new("Khorog", &app.map.viewport, None));
        app.save_project_to(&project_path);
        app.finish_jobs();
    }
    let saved_order: Vec<String> = h.state().catalog.layers.iter().map(|l| l.name.clone()).collect();
    let saved_range = h.state().filter.range;

    let mut h2 = harness();
    h2.run_steps(2);
    h2.state_mut().open_project(&project_path);
    h2.state_mut().finish_jobs();
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
    let uid_li = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid_li)));
    h.state_mut().apply(Command::Edit(EditIntent::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[70.5,38.1]}),
    }));
    h.run_steps(30); // more than the autosave interval of egui time
    h.state_mut().finish_jobs();
    assert!(std::fs::read_dir(&recovery).expect("recovery folder").count() >= 1, "an autosave was written");
    // "Crash": drop the app without saving; a new session finds the autosave and restores it.
    drop(h);
    let mut h2 = harness();
    h2.state_mut().safety = frontier_atlas::ui::Safety::with_store(recovery.clone());
    h2.run_steps(2);
    assert_eq!(h2.state().safety.offered.len(), 1, "the autosave is offered");
    h2.get_by_label("Restore").click();
    h2.run_steps(2);
    h2.state_mut().finish_jobs();
    h2.run_steps(1);
    let app = h2.state();
    let restored = app.catalog.layers.iter().find(|l| l.name == "areas").expect("restored layer");
    assert_eq!(restored.features.len(), 2, "the unsaved feature is back");
    assert!(app.history.is_dirty(restored.uid), "restored edits still need saving");
    // Saving writes the layer, the journal beside it, and removes the autosave.
    let uid = restored.uid;
    h2.state_mut().apply(Command::Edit(EditIntent::SaveTo(uid, path.clone())));
    h2.run_steps(2);
    h2.state_mut().finish_jobs();
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
    let entry = set_save_and_journal(&mut h, &path, uid, 0, ("name", "Renamed"));
    assert_eq!(entry.who, "analyst-7");
    assert_eq!(entry.feature_id.as_deref(), Some("7"));
    assert!(entry.detail.contains("name") && entry.detail.contains("Renamed"), "{}", entry.detail);
    assert_eq!(entry.source_note.as_deref(), Some("Asia-Plus, 2022-05-18"));
    // The Journal window reads the saved journal off the UI thread, then lists it.
    h.state_mut().apply(Command::Edit(EditIntent::ShowJournal(uid)));
    h.state_mut().finish_jobs();
    h.run_steps(2);
    assert!(h.query_all_by_label("analyst-7").count() >= 1, "the saved entry is listed");
}

#[test]
fn a_layer_saves_as_geopackage_but_never_over_other_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, _) = with_areas(dir.path());
    let li = layer_index(h.state(), "areas");
    let uid = h.state().catalog.layers[li].uid;
    let gpkg = dir.path().join("areas.gpkg");
    h.state_mut().apply(Command::Edit(EditIntent::SaveTo(uid, gpkg.clone())));
    h.state_mut().finish_jobs();
    let back = frontier_atlas::io::gpkg::read_gpkg(&gpkg).expect("read back");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].layer.features.get(0).unwrap().prop_str("name"), Some("Existing"));
    // A GeoPackage holding another layer is not overwritten by a single-layer save.
    let other = dir.path().join("two.gpkg");
    let places = h.state().catalog.layers.iter().find(|l| l.name == "Places").expect("places").clone();
    frontier_atlas::io::gpkg::write_gpkg(&other, &[&places]).expect("write");
    let before = std::fs::read(&other).expect("read");
    h.state_mut().apply(Command::Edit(EditIntent::SaveTo(uid, other.clone())));
    h.state_mut().finish_jobs();
    assert_eq!(std::fs::read(&other).expect("read"), before, "the other GeoPackage is untouched");
    assert!(h.state().messages.last().expect("message").text.contains("Places"));
}

/// Writes `AREAS` into a FIFO once a reader has opened it (giving up after 10 s, so a loader
/// that refuses FIFOs without opening them cannot hang the test).
#[cfg(unix)]
fn feed_fifo(fifo: std::path::PathBuf) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        for _ in 0..200 {
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
                .open(&fifo)
            {
                let _ = f.write_all(AREAS.as_bytes());
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    })
}

/// An app without a window whose data folder and recovery store are in `dir`.
fn app_in(dir: &std::path::Path) -> AtlasApp {
    let mut app = AtlasApp::new(None);
    app.user_dir = dir.join("user");
    app.safety = frontier_atlas::ui::Safety::with_store(dir.join("recovery"));
    app
}

fn events_layer(app: &AtlasApp) -> (usize, frontier_atlas::model::LayerUid, usize) {
    let (li, l) = app.catalog.layer_of_kind(frontier_atlas::model::LayerKind::Events).expect("events");
    (li, l.uid, l.features.len())
}

/// A crashed session that added a point to the shipped "Security events" and autosaved it:
/// returns the number of features the shipped layer has and the new point's id.
fn crashed_session_with_a_new_event(dir: &std::path::Path) -> (usize, String) {
    let mut app = app_in(dir);
    let (li, uid, shipped) = events_layer(&app);
    app.apply(Command::Edit(EditIntent::StartEditing(app.catalog.layers[li].uid)));
    app.apply(Command::Edit(EditIntent::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[70.5,38.1]}),
    }));
    let id = app.catalog.layers[li].features.last().and_then(|f| f.id.clone()).expect("new id").to_string();
    app.autosave(f64::INFINITY);
    app.finish_jobs();
    assert_eq!(app.safety.autosaved.len(), 1, "autosaved: {:?}", app.messages);
    // kill -9: nothing else runs.
    drop(app);
    (shipped, id)
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, Iterator::count)
}

#[test]
fn restore_replaces_the_shipped_layer_and_save_writes_the_user_copy_before_the_recovery_file_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shipped, id) = crashed_session_with_a_new_event(dir.path());
    let recovery = dir.path().join("recovery");
    let mut app = app_in(dir.path());
    assert_eq!(app.safety.offered.len(), 1, "the autosave is offered");
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    // The autosave is read on a worker (found walking the app: a 1M-event restore froze the
    // window for 8-10 s): nothing has changed yet, and a job is running.
    assert!(app.jobs.running.iter().any(|j| j.label.starts_with("restoring")), "{:?}", app.jobs.running);
    let before: Vec<usize> =
        app.catalog.layers.iter().filter(|l| l.name == "Security events").map(|l| l.features.len()).collect();
    assert_eq!(before, vec![shipped], "not restored on the UI thread");
    app.finish_jobs();
    // One "Security events" layer, with the restored point: nothing drawn or counted twice.
    let named: Vec<_> = app.catalog.layers.iter().filter(|l| l.name == "Security events").collect();
    assert_eq!(named.len(), 1, "the restored layer replaces the shipped one");
    assert_eq!(named[0].features.len(), shipped + 1);
    let uid = named[0].uid;
    assert!(app.history.is_dirty(uid));
    assert_eq!(app.dirty_layers().len(), 1);

    app.apply(Command::Edit(EditIntent::Save(uid)));
    // The save runs on a worker; until it is known to be durable the recovery file stays.
    assert!(entry.data_path.exists(), "recovery file removed before the save finished");
    app.finish_jobs();
    let saved = dir.path().join("user").join("layers").join("events.geojson");
    let msg = &app.messages.iter().find(|m| m.text.starts_with("Saved")).expect("saved message").text;
    assert!(msg.contains("events.geojson") && !msg.contains("recovery"), "{msg}");
    // Reopen: the point is in the user copy.
    let reopened = frontier_atlas::io::geojson::load_file(&saved).expect("reopen the user copy").layer;
    assert_eq!(reopened.features.len(), shipped + 1);
    assert!(reopened.features.iter().any(|f| f.id.as_ref().is_some_and(|i| i.to_string() == id)), "point {id} saved");
    // Its journal entry, autosaved with it, went beside the user copy.
    let journal =
        frontier_atlas::io::journal::read_journal(&frontier_atlas::io::journal::journal_path(&saved)).expect("journal");
    assert!(journal.entries.iter().any(|e| e.feature_id.as_deref() == Some(id.as_str())), "{journal:?}");
    assert_eq!(files_in(&recovery), 0, "recovery files removed once the save is durable");
    assert!(!app.history.is_dirty(uid), "saved");
    let li = app.catalog.index_of(uid).expect("layer");
    assert_eq!(app.catalog.layers[li].source, LayerSource::File(saved.clone()));
    // The next start shows the saved copy in place of the shipped layer.
    drop(app);
    let mut app = app_in(dir.path());
    assert!(app.safety.offered.is_empty(), "nothing left to recover");
    app.load_user_copies();
    app.finish_jobs();
    let named: Vec<_> = app.catalog.layers.iter().filter(|l| l.name == "Security events").collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].features.len(), shipped + 1, "{:?}", app.messages);
    assert_eq!(named[0].source, LayerSource::File(saved));
}

/// Found walking the app: after Restore the message says "save it to keep them", but Save was
/// only on the edit toolbar; File → "Save unsaved layers" saves the restored layer.
#[test]
fn file_menu_saves_a_restored_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shipped, _) = crashed_session_with_a_new_event(dir.path());
    let mut app = app_in(dir.path());
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(12)
        .build_ui_state(|ui, app: &mut AtlasApp| app.ui(ui), app);
    h.run();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Save unsaved layers (1)").click();
    h.run();
    h.state_mut().finish_jobs();
    h.run();
    assert!(h.state().dirty_layers().is_empty(), "{:?}", h.state().messages);
    let saved = dir.path().join("user").join("layers").join("events.geojson");
    let reopened = frontier_atlas::io::geojson::load_file(&saved).expect("reopen the user copy").layer;
    assert_eq!(reopened.features.len(), shipped + 1);
    // Nothing left to save: the item has no count.
    h.get_by_label("File").click();
    h.run();
    assert!(h.query_by_label("Save unsaved layers (1)").is_none());
    h.get_by_label("Save unsaved layers");
}

/// Found walking the app: crash, restore, edit, autosave, crash again, and the next start
/// offered two recovery files for the same layer — the first session's and the second's, which
/// already held all of the first — and the older one was still offered after the newer was
/// restored and saved. Once the restored layer's own autosave is written, the one it came from
/// is removed: one entry is offered, with every edit.
#[test]
fn a_second_crash_after_a_restore_offers_one_recovery_with_every_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shipped, first_id) = crashed_session_with_a_new_event(dir.path());
    let mut app = app_in(dir.path());
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    let (li, uid, _) = events_layer(&app);
    app.apply(Command::Edit(EditIntent::StartEditing(app.catalog.layers[li].uid)));
    app.apply(Command::Edit(EditIntent::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[71.5,37.5]}),
    }));
    app.autosave(f64::INFINITY);
    app.finish_jobs();
    // The removal of the older file runs on a worker too.
    app.finish_jobs();
    assert!(!entry.data_path.exists(), "the first session's autosave is superseded");
    drop(app); // the second crash
    let mut app = app_in(dir.path());
    assert_eq!(app.safety.offered.len(), 1, "one offer: {:?}", app.safety.offered);
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    let (li, _, count) = events_layer(&app);
    assert_eq!(count, shipped + 2, "both sessions' new events are back");
    let ids: Vec<String> =
        app.catalog.layers[li].features.iter().filter_map(|f| f.id.as_ref().map(ToString::to_string)).collect();
    assert!(ids.contains(&first_id), "the first session's event is there");
}

/// Found walking the app: the recovery offer opened over the menu bar, so the File menu could
/// not be reached until the window was dragged aside. It opens over the map, below the menu
/// bar, and a real click on File opens the menu while it is offered.
#[test]
fn the_recovery_offer_opens_below_the_menu_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    crashed_session_with_a_new_event(dir.path());
    let mut h = harness();
    h.state_mut().user_dir = dir.path().join("user");
    h.state_mut().safety = frontier_atlas::ui::Safety::with_store(dir.path().join("recovery"));
    h.run_steps(3);
    let title = h.get_by_label("Recover unsaved edits").rect();
    let file = h.get_by_label("File").rect();
    assert!(title.top() >= file.bottom(), "the offer ({title:?}) covers the menu bar ({file:?})");
    assert!(title.top() >= h.state().map.screen_origin[1], "over the map");
    click_at(&mut h, file.center());
    h.run_steps(2);
    assert!(h.query_by_label("Open GeoJSON, GeoPackage or CSV…").is_some(), "the File menu opens");
    assert_eq!(h.state().safety.offered.len(), 1, "still offered");
}

/// Found walking the app with a 1M-row ACLED export: after a crash, the restored CSV layer's
/// message said "Save writes …/events.geojson", but Save of a CSV layer asks where. The message
/// now says so, and still names the file it suggests.
#[test]
fn a_restored_csv_layer_says_save_asks_where() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("events.csv");
    std::fs::write(&csv, acled_row::ONE_EVENT).expect("write");
    let mut app = app_in(dir.path());
    app.open_file_now(&csv);
    let li = app.catalog.layers.iter().position(|l| l.name == "events").expect("opened");
    let uid = app.catalog.layers[li].uid;
    app.apply(Command::Edit(EditIntent::StartEditing(uid)));
    app.apply(Command::Edit(EditIntent::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[71.5,37.5]}),
    }));
    app.autosave(f64::INFINITY);
    app.finish_jobs();
    drop(app); // a crash
    let mut app = app_in(dir.path());
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    let restored = app.messages.iter().find(|m| m.text.starts_with("Restored events")).expect("restored");
    let suggested = dir.path().join("events.geojson").display().to_string();
    assert!(restored.text.contains("Save asks where") && restored.text.contains(&suggested), "{}", restored.text);
    assert!(!restored.text.contains("Save writes"), "{}", restored.text);
}

#[test]
fn a_failed_save_of_a_restored_layer_keeps_the_recovery_file_and_the_edits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shipped, _) = crashed_session_with_a_new_event(dir.path());
    // The user-copy folder cannot be created: its parent is a file.
    std::fs::write(dir.path().join("user"), "x").expect("write");
    let mut app = app_in(dir.path());
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    let (_, uid, count) = events_layer(&app);
    assert_eq!(count, shipped + 1);
    app.apply(Command::Edit(EditIntent::Save(uid)));
    app.finish_jobs();
    let err = app.messages.iter().find(|m| m.level == frontier_atlas::ui::Level::Error).expect("an error");
    assert!(err.text.contains("user"), "names the folder: {}", err.text);
    assert!(app.history.is_dirty(uid), "still unsaved");
    // The edits are still in a recovery file: the failed save autosaved them at once (that
    // autosave supersedes the one restored from, which goes), and a crash now loses nothing.
    app.finish_jobs();
    drop(app);
    let mut app = app_in(dir.path());
    assert_eq!(app.safety.offered.len(), 1, "{:?}", app.safety.offered);
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    assert_eq!(events_layer(&app).2, shipped + 1, "the edit is recoverable");
}

#[test]
fn a_layer_restored_without_its_sidecar_is_never_saved_into_the_recovery_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    crashed_session_with_a_new_event(dir.path());
    let recovery = dir.path().join("recovery");
    for e in std::fs::read_dir(&recovery).expect("dir") {
        let p = e.expect("entry").path();
        if p.to_string_lossy().ends_with(".recovery.json") {
            std::fs::remove_file(p).expect("remove sidecar");
        }
    }
    let mut app = app_in(dir.path());
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    let uid = app.catalog.layers.last().expect("restored").uid;
    let into_recovery = entry.data_path.clone();
    app.apply(Command::Edit(EditIntent::SaveTo(uid, into_recovery)));
    app.finish_jobs();
    let err = &app.messages.last().expect("message").text;
    assert!(err.contains("is a recovery file"), "{err}");
    assert!(entry.data_path.exists());
    assert!(app.history.is_dirty(uid));
}

#[test]
fn quit_then_save_in_the_unsaved_edits_dialog_saves_a_restored_layer_to_its_user_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shipped, _) = crashed_session_with_a_new_event(dir.path());
    let mut h = harness();
    h.state_mut().user_dir = dir.path().join("user");
    h.state_mut().safety = frontier_atlas::ui::Safety::with_store(dir.path().join("recovery"));
    h.run_steps(2);
    h.get_by_label("Restore").click();
    h.run_steps(2);
    h.state_mut().finish_jobs();
    h.run_steps(1);
    assert_eq!(h.state().catalog.layers.iter().filter(|l| l.name == "Security events").count(), 1);
    // The window's close button.
    h.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.push(egui::ViewportEvent::Close);
    h.run_steps(2);
    assert!(!h.state().allow_close, "unsaved edits stop the window from closing");
    h.get_by_label("Save").click();
    h.run_steps(1);
    h.state_mut().finish_jobs();
    h.run_steps(3);
    assert!(h.state().allow_close, "closes once saved: {:?}", h.state().messages);
    let saved = dir.path().join("user").join("layers").join("events.geojson");
    let reopened = frontier_atlas::io::geojson::load_file(&saved).expect("user copy").layer;
    assert_eq!(reopened.features.len(), shipped + 1);
    assert_eq!(files_in(&dir.path().join("recovery")), 0);
}

#[test]
fn undo_names_its_layer_and_keeps_the_selection_on_the_same_feature() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = app_in(dir.path());
    let (li, uid, _) = events_layer(&app);
    let id_at =
        |app: &AtlasApp, i: usize| app.catalog.layers[li].features.get(i).unwrap().id.as_ref().map(ToString::to_string);
    app.apply(Command::Edit(EditIntent::StartEditing(app.catalog.layers[li].uid)));
    let selected = frontier_atlas::model::FeatureRef { layer: li, feature: 5 };
    let selected_id = id_at(&app, 5);
    app.apply(Command::Select(Some(selected)));
    app.apply(Command::Edit(EditIntent::Apply(
        frontier_atlas::edit::EditCommand::DeleteFeature { layer: uid, index: 2 },
        "Delete feature".into(),
    )));
    let sel = app.selection.expect("still selected");
    assert_eq!(id_at(&app, sel.feature), selected_id, "the delete moved the selection");
    app.apply(Command::Edit(EditIntent::Undo));
    let sel = app.selection.expect("still selected");
    assert_eq!(sel.feature, 5);
    assert_eq!(id_at(&app, sel.feature), selected_id, "undoing the delete moved the selection");
    let msg = &app.messages.last().expect("message").text;
    assert_eq!(msg, "Undid: Delete feature in Security events");
    // Undo while editing another layer leaves this layer's steps alone.
    app.apply(Command::Edit(EditIntent::Redo));
    let (pi, places) = app.catalog.layer_of_kind(frontier_atlas::model::LayerKind::Places).expect("places");
    let puid = places.uid;
    app.apply(Command::Edit(EditIntent::StartEditing(app.catalog.layers[pi].uid)));
    app.apply(Command::Edit(EditIntent::Apply(
        frontier_atlas::edit::EditCommand::SetProperty {
            layer: puid,
            index: 0,
            key: "name".into(),
            value: Some("X".into()),
        },
        "Set name".into(),
    )));
    app.apply(Command::Edit(EditIntent::StartEditing(app.catalog.layers[li].uid)));
    app.apply(Command::Edit(EditIntent::Undo));
    assert_eq!(app.messages.last().expect("message").text, "Undid: Delete feature in Security events");
    assert!(app.history.is_dirty(puid), "the other layer's edit stays");
}

#[cfg(unix)]
#[test]
fn saves_exports_and_projects_run_off_the_ui_thread_even_on_a_fifo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe.geojson");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let project = dir.path().join("p.fatlas.json");
    std::fs::write(
        &project,
        r#"{"format":"frontier-atlas-project","version":1,"layers":[{"path":"pipe.geojson","name":"Pipe","visible":true,"opacity":1.0}]}"#,
    )
    .expect("write project");
    let mut app = app_in(dir.path());
    let before = app.catalog.layers.len();
    let started = std::time::Instant::now();
    app.open_project(&project);
    let png = dir.path().join("view.png");
    app.export_to(png.clone());
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "the UI thread waited");
    assert_eq!(app.catalog.layers.len(), before, "nothing replaced yet");
    assert!(app.jobs.running.iter().any(|j| j.label.contains("p.fatlas.json")));
    // Feed the FIFO once the worker opens it, so that it can finish (without blocking here
    // if the loader refuses a FIFO without opening it).
    let feeder = feed_fifo(fifo);
    app.finish_jobs();
    feeder.join().expect("feeder");
    assert!(png.exists(), "exported: {:?}", app.messages);
    assert!(app.messages.iter().any(|m| m.text.contains("Exported to")));
    assert!(app.messages.iter().any(|m| m.text.contains("Opened project")), "{:?}", app.messages);
    // The recent list is private.
    let mode = |p: &std::path::Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(p).expect("meta").permissions()) & 0o777
    };
    assert_eq!(mode(&dir.path().join("user")), 0o700);
    assert_eq!(mode(&dir.path().join("user").join("recent-projects.json")), 0o600);
}

#[test]
fn edits_made_while_a_save_runs_stay_unsaved_and_are_autosaved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("areas.geojson");
    std::fs::write(&path, AREAS).expect("write");
    let mut app = app_in(dir.path());
    app.open_file_now(&path);
    let li = layer_index(&app, "areas");
    let uid = app.catalog.layers[li].uid;
    let set = |v: &str| {
        Command::Edit(EditIntent::Apply(
            frontier_atlas::edit::EditCommand::SetProperty {
                layer: uid,
                index: 0,
                key: "name".into(),
                value: Some(v.into()),
            },
            "Set name".into(),
        ))
    };
    app.apply(Command::Edit(EditIntent::StartEditing(app.catalog.layers[li].uid)));
    app.apply(set("one"));
    app.apply(Command::Edit(EditIntent::Save(uid)));
    assert!(app.jobs.busy(frontier_atlas::ui::jobs::JobKind::Save, Some(uid)), "the save runs on a worker");
    app.apply(set("two"));
    app.finish_jobs();
    let on_disk = frontier_atlas::io::geojson::load_file(&path).expect("reload").layer;
    assert_eq!(
        on_disk.features.get(0).unwrap().prop_str("name"),
        Some("one"),
        "the save wrote the state it started from"
    );
    assert!(app.history.is_dirty(uid), "the edit made during the save is still unsaved");
    app.autosave(f64::INFINITY);
    app.finish_jobs();
    let data = app.safety.autosaved.get(&uid).expect("autosaved").clone();
    assert!(std::fs::read_to_string(&data).expect("read").contains("\"two\""));
    // Nothing changed since: the next autosave copies and writes nothing.
    app.safety.due = true;
    app.autosave(f64::INFINITY);
    assert!(!app.jobs.busy(frontier_atlas::ui::jobs::JobKind::Autosave, None));
    // Undo back to the saved state: clean, and the autosave goes.
    app.apply(Command::Edit(EditIntent::Undo));
    app.finish_jobs();
    assert!(!app.history.is_dirty(uid));
    assert!(!data.exists(), "a clean layer keeps no autosave");
}

#[cfg(unix)]
#[test]
fn a_slow_project_shows_a_spinner_and_the_window_keeps_drawing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe.geojson");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs").success());
    let project = dir.path().join("slow.fatlas.json");
    std::fs::write(
        &project,
        r#"{"format":"frontier-atlas-project","version":1,"layers":[{"path":"pipe.geojson","name":"Pipe","visible":true,"opacity":1.0}]}"#,
    )
    .expect("write project");
    let mut h = harness();
    h.state_mut().user_dir = dir.path().join("user");
    h.run_steps(2);
    h.state_mut().open_project(&project);
    // Frames go on while the worker waits on the FIFO; after half a second the status bar
    // says what is running.
    h.run_steps(40);
    assert!(h.query_all_by_label_contains("opening").count() >= 1, "no progress shown");
    h.get_by_label("2021").click();
    h.run_steps(2);
    assert!(h.state().filter.range.is_some(), "the window still answers");
    let feeder = feed_fifo(fifo);
    h.state_mut().finish_jobs();
    feeder.join().expect("feeder");
    h.run_steps(2);
    assert!(h.state().catalog.layers.iter().any(|l| l.name == "Pipe"), "{:?}", h.state().messages);
}

#[test]
fn restoring_over_a_layer_with_unsaved_edits_of_this_session_is_refused_and_still_offered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shipped, _) = crashed_session_with_a_new_event(dir.path());
    let mut app = app_in(dir.path());
    let (li, uid, _) = events_layer(&app);
    app.apply(Command::Edit(EditIntent::StartEditing(app.catalog.layers[li].uid)));
    app.apply(Command::Edit(EditIntent::Apply(
        frontier_atlas::edit::EditCommand::DeleteFeature { layer: uid, index: 0 },
        "Delete".into(),
    )));
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    let msg = &app.messages.last().expect("message").text;
    assert!(msg.contains("unsaved edits of this session"), "{msg}");
    assert_eq!(app.safety.offered.len(), 1, "still offered");
    let (_, same, count) = events_layer(&app);
    assert_eq!((same, count), (uid, shipped - 1), "this session's edits are untouched");
}

/// Found walking the app: an edit of a geoBoundaries district (features without ids) was
/// journalled as `"feature_id":null`, naming no feature. The entry names it by its place in
/// the file and its name.
#[test]
fn an_edit_of_a_feature_without_an_id_names_it_in_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("districts.geojson");
    let square = |x: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},37.0],[{x},37.5],[{},37.5],[{},37.0],[{x},37.0]]]}}"#,
            x + 0.5,
            x + 0.5
        )
    };
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[
{{"type":"Feature","properties":{{"shapeName":"Shughnon District","shapeISO":""}},"geometry":{}}},
{{"type":"Feature","properties":{{"shapeName":"Rushon District","shapeISO":""}},"geometry":{}}}
]}}
"#,
            square(71.0),
            square(72.0)
        ),
    )
    .expect("write");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let li = layer_index(h.state(), "districts");
    let uid = h.state().catalog.layers[li].uid;
    let entry = set_save_and_journal(&mut h, &path, uid, 1, ("shapeISO", "TJ-GB-RU"));
    assert_eq!(entry.feature_id, None);
    assert_eq!(entry.detail, r#"feature 2 (Rushon District): shapeISO: "" -> "TJ-GB-RU""#);
}

/// Found walking the app: a CSV whose every row is refused (latitudes past 90) added an
/// empty layer to the list and the timeline, under a warning. It is an error naming the file
/// and the rows, and nothing is added; one good row is enough for a layer.
#[test]
fn a_csv_whose_every_row_is_refused_adds_no_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("allbad.csv");
    std::fs::write(&path, "name,lat,lon\na,95.5,70.1\nb,96,71\n").expect("write");
    let mut app = app_in(dir.path());
    let before = app.catalog.layers.len();
    app.open_file_now(&path);
    assert_eq!(app.catalog.layers.len(), before, "{:?}", app.messages);
    let m = app.messages.last().expect("a message");
    assert!(m.text.contains("allbad.csv: no feature could be used (2 skipped); nothing was added"), "{:?}", m.text);
    assert_eq!(m.level, frontier_atlas::ui::Level::Error);
    assert_eq!(m.details.len(), 2, "{:?}", m.details);
    std::fs::write(&path, "name,lat,lon\na,95.5,70.1\nb,37.5,71\n").expect("write");
    app.open_file_now(&path);
    assert_eq!(app.catalog.layers.len(), before + 1, "{:?}", app.messages);
}

/// Found walking the app: Enter in the new property's value did nothing (only the "Add"
/// button, cut off at the inspector's edge, added it). Enter adds it.
#[test]
fn enter_in_a_new_propertys_value_adds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, _path) = with_areas(dir.path());
    let li = layer_index(h.state(), "areas");
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.state_mut().selection = Some(frontier_atlas::model::FeatureRef { layer: li, feature: 0 });
    h.run_steps(3);
    h.get_by_label("new property").click();
    h.run_steps(1);
    h.get_by_label("new property").type_text("source");
    h.run_steps(1);
    h.get_by_label("value").click();
    h.run_steps(1);
    h.get_by_label("value").type_text("field report");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let li = layer_index(h.state(), "areas");
    let f = h.state().catalog.layers[li].features.get(0).expect("feature 0");
    assert_eq!(f.prop_str("source"), Some("field report"), "{:?}", f.properties);
    assert!(h.state().history.is_dirty(uid));
}

/// Adds a scene titled `title` through the Scenes panel, as the analyst does.
fn add_scene(h: &mut Harness<'static, AtlasApp>, title: &str) {
    if h.query_by_label("Add current view").is_none() {
        h.get_by_label("Scenes").click();
        h.run_steps(2);
        h.get_by_label("Scenes panel").click();
        h.run_steps(2);
    }
    h.get_by_label("New scene").click();
    h.run_steps(1);
    h.get_by_label("New scene").type_text(title);
    h.run_steps(1);
    h.get_by_label("Add current view").click();
    h.run_steps(2);
}

/// Found walking the app: a scene made without a project was gone after Quit, without a
/// word. Scenes and bookmarks made with no project open are kept in the app's state and come
/// back at the next start.
#[test]
fn scenes_made_without_a_project_come_back_after_a_restart() {
    let mut h = harness();
    h.run_steps(2);
    add_scene(&mut h, "Important scene");
    assert_eq!(h.state().scenes.len(), 1);
    // What the window's closing saves (eframe's `save`), then a new start from it.
    h.state_mut().keep_session();
    let state = h.state().state.clone();
    let mut restarted = AtlasApp::new(None);
    restarted.state = state;
    restarted.restore_session();
    assert_eq!(restarted.scenes, h.state().scenes);
    assert_eq!(restarted.scenes[0].title, "Important scene");
}

/// With a project open, quitting after adding a scene asks first, and Save writes the scene
/// into the project before the window closes.
#[test]
fn quitting_with_a_new_scene_in_an_open_project_asks_and_saves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("brief.fatlas.json");
    let mut h = harness();
    h.state_mut().user_dir = dir.path().join("user");
    h.run_steps(2);
    h.state_mut().save_project_to(&project);
    h.state_mut().finish_jobs();
    h.run_steps(1);
    assert_eq!(h.state().project_path.as_deref(), Some(project.as_path()));
    // Closing a clean project asks nothing.
    h.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.push(egui::ViewportEvent::Close);
    h.run_steps(2);
    assert!(h.query_by_label("Discard and quit").is_none(), "a clean project asked on quit");
    add_scene(&mut h, "Wakhan brief");
    h.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.push(egui::ViewportEvent::Close);
    h.run_steps(2);
    assert!(!h.state().allow_close, "the new scene stops the window from closing");
    h.get_by_label_contains("the scenes and bookmarks of project brief.fatlas.json");
    h.get_by_label("Save").click();
    h.run_steps(1);
    h.state_mut().finish_jobs();
    h.run_steps(3);
    assert!(h.state().allow_close, "closes once saved: {:?}", h.state().messages);
    let saved = frontier_atlas::project::load_project(&project).expect("the project");
    assert_eq!(saved.scenes.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), ["Wakhan brief"]);
}
