//! Defects found walking the app as a new user (issue 8), each driven through the real app:
//! the edit toolbar keeps every button in place, a removed layer comes back with Undo, counts
//! carry thousands separators, messages stay readable over the built-in file dialog, a save
//! over a read-only file is refused, and a Points layer's column is built on a worker.

mod common;

#[path = "common/point_event.rs"]
mod point_event;
#[path = "common/shared_data.rs"]
mod shared_data;

use common::harness;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::model::{Layer, LayerKind, LayerSource, LayerStyleOverride, PointView};
use frontier_atlas::render::Item;
use frontier_atlas::ui::{AtlasApp, Command, EditIntent, Level, Message};

const POSTS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":1,"properties":{"name":"Khorog"},"geometry":{"type":"Point","coordinates":[71.55,37.49]}},
{"type":"Feature","id":2,"properties":{"name":"Ishkashim"},"geometry":{"type":"Point","coordinates":[71.61,36.71]}}
]}
"#;

/// The app with `name.geojson` (from `POSTS`) opened; its position in the list.
fn with_posts(dir: &std::path::Path, name: &str) -> (Harness<'static, AtlasApp>, usize) {
    let path = dir.join(format!("{name}.geojson"));
    std::fs::write(&path, POSTS).expect("write the layer");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let li = h.state().catalog.layers.iter().position(|l| l.name == name).expect("layer opened");
    (h, li)
}

const TOOLBAR: [&str; 15] = [
    "Select",
    "Move",
    "Vertices",
    "Add point",
    "Draw line",
    "Draw polygon",
    "Add hole",
    "Undo",
    "Redo",
    "Duplicate",
    "Save",
    "Save as…",
    "Journal",
    "Stop editing",
    "Delete feature",
];

fn toolbar(h: &Harness<'static, AtlasApp>) -> Vec<(&'static str, egui::Rect)> {
    TOOLBAR.iter().map(|&label| (label, h.get_by_label(label).rect())).collect()
}

/// Regression: the toolbar flowed with the map's width and the save state's text, so opening a
/// side panel or making an edit moved the buttons under the pointer (a click meant for another
/// button hit "Delete feature"). Every button now keeps its place through panels opening and
/// closing, a selection, an edit (the state reads "unsaved changes") and a long layer name; and
/// "Delete feature" is last, apart from the others.
#[test]
fn edit_toolbar_buttons_keep_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, li) = with_posts(dir.path(), "posts");
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.run_steps(3);
    let before = toolbar(&h);
    let check = |h: &Harness<'static, AtlasApp>, when: &str| {
        for ((label, was), (_, now)) in before.iter().zip(toolbar(h)) {
            assert!((was.min - now.min).length() < 0.5, "{label} moved from {was:?} to {now:?} {when}");
        }
    };
    h.state_mut().state.show_layers = !h.state().state.show_layers;
    h.run_steps(3);
    check(&h, "when the Layers panel was toggled");
    h.state_mut().state.show_inspector = !h.state().state.show_inspector;
    h.run_steps(3);
    check(&h, "when the inspector was toggled");
    h.state_mut().apply(Command::Select(Some(frontier_atlas::model::FeatureRef { layer: li, feature: 0 })));
    h.run_steps(3);
    check(&h, "when a feature was selected");
    h.get_by_label("Duplicate").click();
    h.run_steps(3);
    assert!(h.state().history.is_dirty(uid), "the duplicate is an unsaved edit");
    assert!(h.query_by_label("unsaved changes").is_some());
    check(&h, "after an edit");
    h.state_mut().catalog.layers[li].name = "Security events reported by field teams, 2020–2024".into();
    h.run_steps(3);
    check(&h, "with a long layer name");
    // The destructive button is the last, with room before it.
    let delete = before.iter().find(|(l, _)| *l == "Delete feature").unwrap().1;
    for (label, rect) in
        before.iter().filter(|(l, _)| ["Undo", "Redo", "Duplicate", "Save", "Stop editing"].contains(l))
    {
        let same_row = (rect.center().y - delete.center().y).abs() < 2.0;
        assert!(!same_row || delete.min.x - rect.max.x >= 40.0, "{label} {rect:?} is right next to Delete {delete:?}");
    }
}

/// Found walking the app: below about 1,100 points of window width the first row ran off the
/// window's edge and "Draw polygon" and "Add hole" could not be reached. In a narrow window the
/// layer's name and save state take a row of their own, and every button is inside the window;
/// in a wide one the layout is the one row it was.
#[test]
fn edit_toolbar_fits_a_narrow_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("posts.geojson");
    std::fs::write(&path, POSTS).unwrap();
    for width in [820.0_f32, 1000.0, 1400.0] {
        let mut h = Harness::builder()
            .with_size(egui::vec2(width, 800.0))
            .with_max_steps(12)
            .build_ui_state(|ui, app: &mut AtlasApp| app.ui(ui), AtlasApp::new(None));
        h.run_steps(2);
        h.state_mut().open_file_now(&path);
        h.run_steps(2);
        let uid = h.state().catalog.layers.iter().find(|l| l.name == "posts").unwrap().uid;
        h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
        h.run_steps(3);
        for (label, rect) in toolbar(&h) {
            assert!(rect.max.x <= width, "{label} ({rect:?}) runs off a window {width} points wide");
        }
        let tools_row = h.get_by_label("Select").rect().center().y;
        let name_row = h.get_by_label("Editing posts").rect().center().y;
        assert_eq!((tools_row - name_row).abs() < 2.0, width >= 1400.0, "one row only when it fits ({width})");
    }
}

/// Found walking the app: at the default window size the legend covers part of Kyrgyzstan and
/// China, and nothing hid it. Its × hides it (the click selects nothing on the map below), a
/// "Legend" button in the map's corner and View → Legend bring it back, and the choice is kept
/// across restarts with the other view settings.
#[test]
fn the_legend_can_be_hidden_and_brought_back() {
    let mut h = harness();
    h.run_steps(3);
    let map = h.get_by_label("Map").rect();
    let hide = h.get_by_label("×").rect();
    assert!(hide.max.x <= map.max.x && hide.min.y >= map.min.y && hide.min.x > map.center().x, "top right: {hide:?}");
    common::click_at(&mut h, hide.center());
    h.run_steps(2);
    assert!(!h.state().state.show_legend, "hidden");
    assert!(h.state().selection.is_none(), "the click went to the button, not the map");
    assert!(h.query_by_label("×").is_none());
    h.get_by_label("Legend").click();
    h.run_steps(2);
    assert!(h.state().state.show_legend, "shown again");
    // View → Legend, a checkbox with the other panels.
    h.state_mut().state.show_legend = false;
    let saved = serde_json::to_string(&h.state().state).unwrap();
    let back: frontier_atlas::ui::PersistedState = serde_json::from_str(&saved).unwrap();
    assert!(!back.show_legend, "kept across restarts");
    let old: frontier_atlas::ui::PersistedState = serde_json::from_str("{}").unwrap();
    assert!(old.show_legend, "shown for settings saved before it existed");
}

/// Found walking the app: at the default window size the legend covers Murghob and the
/// Kyrgyz border, the frontier's east, and hiding it hides the legend too. View → Legend
/// position moves it to another corner of the map (its × moves with it, clear of the scale
/// bar), and the corner is kept across restarts.
#[test]
fn the_legend_moves_to_the_corner_chosen_and_stays_there() {
    use frontier_atlas::render::LegendCorner;
    let mut h = harness();
    h.run_steps(3);
    let map = h.get_by_label("Map").rect();
    let top_right = h.get_by_label("×").rect();
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Legend position").click();
    h.run_steps(2);
    h.get_by_label("Bottom left").click();
    h.run_steps(3);
    assert_eq!(h.state().state.legend_corner, LegendCorner::BottomLeft);
    let hide = h.get_by_label("×").rect();
    assert!(hide.center().x < map.center().x && hide.center().y > map.center().y, "bottom left: {hide:?} in {map:?}");
    assert!(hide.center().x < top_right.center().x && hide.center().y > top_right.center().y);
    // The legend's box (its × 2 points below its top, 18 points a row) ends above the scale
    // bar, which takes the map's bottom 34 points.
    let rows = h.state().map.scene().map_or(0, |s| s.legend.len());
    let bottom = hide.min.y - 2.0 + 18.0 * rows as f32 + 12.0;
    assert!(rows > 5 && bottom <= map.max.y - 34.0, "the legend ends at {bottom}, over the scale bar ({map:?})");
    let saved = serde_json::to_string(&h.state().state).unwrap();
    let back: frontier_atlas::ui::PersistedState = serde_json::from_str(&saved).unwrap();
    assert_eq!(back.legend_corner, LegendCorner::BottomLeft, "kept across restarts");
    let old: frontier_atlas::ui::PersistedState = serde_json::from_str("{}").unwrap();
    assert_eq!(old.legend_corner, LegendCorner::TopRight, "top right for settings saved before it existed");
}

/// Regression: "Remove layer" could not be undone. Undo puts the layer back at its place with
/// its style and opacity; a layer with unsaved edits is asked about first and, removed anyway,
/// comes back with its edits still unsaved. Removals and edits undo newest first.
#[test]
fn a_removed_layer_comes_back_with_undo() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, li) = with_posts(dir.path(), "posts");
    let uid = h.state().catalog.layers[li].uid;
    let red = LayerStyleOverride { fill: Some([200, 30, 30, 255]), ..LayerStyleOverride::default() };
    h.state_mut().apply(Command::SetStyle(uid, Some(Box::new(red.clone()))));
    h.state_mut().apply(Command::SetOpacity(uid, 0.4));
    let names =
        |h: &Harness<'static, AtlasApp>| h.state().catalog.layers.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    let listed = names(&h);
    // Clicked in the layer's settings, as an analyst does.
    h.state_mut().layer_settings = Some(uid);
    h.run_steps(3);
    h.get_by_label("Remove layer").scroll_to_me();
    h.run_steps(3);
    h.get_by_label("Remove layer").click();
    h.run_steps(3);
    assert!(h.state().catalog.index_of(uid).is_none(), "removed");
    assert!(h.query_by_label_contains("Undo (Ctrl+Z) brings it back").is_some(), "the message says how to undo");
    h.state_mut().apply(Command::Edit(EditIntent::Undo));
    h.run_steps(2);
    assert_eq!(names(&h), listed, "back at its place");
    let layer = &h.state().catalog.layers[li];
    assert_eq!((layer.uid, layer.features.len(), layer.opacity), (uid, 2, 0.4));
    assert_eq!(layer.style.as_ref().and_then(|s| s.fill), red.fill);
    // Redo removes it again; Undo brings it back again.
    h.state_mut().apply(Command::Edit(EditIntent::Redo));
    assert!(h.state().catalog.index_of(uid).is_none(), "redo removes it again");
    h.state_mut().apply(Command::Edit(EditIntent::Undo));
    assert_eq!(h.state().catalog.index_of(uid), Some(li));

    // With unsaved edits: asked first; "Discard and remove", then Undo: the edits are back,
    // still unsaved, and their own undo steps still work.
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.state_mut().apply(Command::Select(Some(frontier_atlas::model::FeatureRef { layer: li, feature: 0 })));
    h.state_mut().apply(Command::Edit(EditIntent::DuplicateSelected));
    assert_eq!(h.state().catalog.layers[li].features.len(), 3);
    h.state_mut().apply(Command::RemoveLayer(uid));
    h.run_steps(2);
    assert!(h.state().catalog.index_of(uid).is_some(), "not removed before the analyst answers");
    h.get_by_label("Discard and remove").click();
    h.run_steps(3);
    assert!(h.state().catalog.index_of(uid).is_none());
    h.state_mut().apply(Command::Edit(EditIntent::Undo));
    h.run_steps(2);
    let li = h.state().catalog.index_of(uid).expect("back");
    assert_eq!(h.state().catalog.layers[li].features.len(), 3, "with its edit");
    assert!(h.state().history.is_dirty(uid), "still unsaved: it will be asked about, autosaved and saved");
    assert_eq!(h.state().editor.layer, Some(uid), "still being edited");
    h.state_mut().apply(Command::Edit(EditIntent::Undo));
    assert_eq!(h.state().catalog.layers[li].features.len(), 2, "the duplicate's own undo step still works");
    assert!(!h.state().history.is_dirty(uid));
    h.state_mut().apply(Command::Edit(EditIntent::Redo));
    assert_eq!(h.state().catalog.layers[li].features.len(), 3);
}

/// An edit made after a removal is undone first, then the removal; redo in the order made.
#[test]
fn removals_and_edits_undo_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = with_posts(dir.path(), "posts");
    let other = dir.path().join("sites.geojson");
    std::fs::write(&other, POSTS).unwrap();
    h.state_mut().open_file_now(&other);
    h.run_steps(2);
    let uid_of = |h: &Harness<'static, AtlasApp>, name: &str| {
        h.state().catalog.layers.iter().find(|l| l.name == name).map(|l| l.uid).unwrap()
    };
    let (posts, sites) = (uid_of(&h, "posts"), uid_of(&h, "sites"));
    h.state_mut().apply(Command::RemoveLayer(posts));
    let li = h.state().catalog.index_of(sites).unwrap();
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(sites)));
    h.state_mut().apply(Command::Select(Some(frontier_atlas::model::FeatureRef { layer: li, feature: 0 })));
    h.state_mut().apply(Command::Edit(EditIntent::DuplicateSelected));
    h.state_mut().apply(Command::Edit(EditIntent::StopEditing));
    let count = |h: &Harness<'static, AtlasApp>| {
        h.state().catalog.layers[h.state().catalog.index_of(sites).unwrap()].features.len()
    };
    assert_eq!(count(&h), 3);
    h.state_mut().apply(Command::Edit(EditIntent::Undo));
    assert_eq!((count(&h), h.state().catalog.index_of(posts).is_some()), (2, false), "the edit first");
    h.state_mut().apply(Command::Edit(EditIntent::Undo));
    assert!(h.state().catalog.index_of(posts).is_some(), "then the removal");
    h.state_mut().apply(Command::Edit(EditIntent::Redo));
    assert_eq!((count(&h), h.state().catalog.index_of(posts).is_some()), (2, false), "redo: the removal first");
    h.state_mut().apply(Command::Edit(EditIntent::Redo));
    assert_eq!(count(&h), 3);
}

/// Regression: the recovery window showed "1234567 features".
#[test]
fn the_recovery_window_counts_with_thousands_separators() {
    let mut h = harness();
    h.run_steps(2);
    let meta = frontier_atlas::io::recovery::RecoveryMeta {
        layer_name: "ACLED 2020-2024".into(),
        source_label: "/data/acled.csv".into(),
        original_path: None,
        embedded: None,
        kind: "events".into(),
        saved_at: "2026-11-30T05:00:00Z".into(),
        feature_count: 1_234_567,
    };
    h.state_mut().safety.offered.push(frontier_atlas::io::recovery::RecoveryEntry {
        data_path: "/tmp/none.geojson".into(),
        meta_path: "/tmp/none.json".into(),
        journal_path: "/tmp/none.journal".into(),
        meta: Some(meta),
        problem: None,
    });
    h.run_steps(3);
    assert!(h.query_by_label_contains("1,234,567 features").is_some(), "the count is grouped");
}

/// Regression: a message (toast) was drawn under the built-in file dialog and its dimmed
/// backdrop: it can now be read and dismissed while the dialog is open.
#[test]
fn messages_stay_on_top_of_the_built_in_file_dialog() {
    let mut h = harness();
    common::open_builtin_file_dialog(&mut h);
    h.state_mut().messages.clear();
    h.state_mut().messages.push(Message::new(Level::Error, "Could not read /data/broken.geojson"));
    h.run_steps(3);
    let toast = h.get_by_label_contains("Could not read /data/broken.geojson").rect();
    let layer = h.ctx.layer_id_at(toast.center()).expect("a layer there");
    assert_eq!(layer.order, egui::Order::Tooltip, "the message is on top, not under the dialog: {layer:?}");
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.state().messages.is_empty(), "Dismiss works with the dialog open");
    assert!(h.state().file_dialog_open(), "and the dialog stays open");
}

/// Saving over a read-only file is refused, naming it, and Save as is offered (the built-in
/// dialog opens); the edits stay unsaved and the file untouched. The permission bits decide,
/// so this holds as root.
#[cfg(unix)]
#[test]
fn saving_over_a_read_only_file_is_refused_and_save_as_offered() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (mut h, li) = with_posts(dir.path(), "posts");
    h.state_mut().state.builtin_file_dialog = true;
    let path = dir.path().join("posts.geojson");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.state_mut().apply(Command::Select(Some(frontier_atlas::model::FeatureRef { layer: li, feature: 0 })));
    h.state_mut().apply(Command::Edit(EditIntent::DuplicateSelected));
    h.state_mut().apply(Command::Edit(EditIntent::Save(uid)));
    h.state_mut().finish_jobs();
    h.run_steps(3);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), POSTS, "the read-only file is untouched");
    assert!(h.state().history.is_dirty(uid), "the edit is still unsaved");
    let error = h.state().messages.iter().find(|m| m.level == Level::Error).expect("an error is shown");
    assert!(error.text.contains(&path.display().to_string()) && error.text.contains("read-only"), "{}", error.text);
    // Found walking the app: the message named the file twice.
    assert_eq!(error.text.matches(&path.display().to_string()).count(), 1, "{}", error.text);
    assert!(!error.text.contains("no permission to write there"), "said once, plainly: {}", error.text);
    assert!(h.state().file_dialog_open(), "Save as is offered");
    // Found walking the app: the error sat over the dialog's file name field and its type
    // chooser. It stays readable, and off the dialog.
    h.run_steps(3);
    let toast = h.get_by_label_contains("cannot save").rect();
    // ("File name:" finds the field it labels.)
    for control in ["File name:", "Save", "Cancel"] {
        let rects: Vec<_> = h.query_all_by_label(control).map(|n| n.rect()).collect();
        assert!(!rects.is_empty(), "{control} is shown");
        for rect in rects {
            assert!(!toast.intersects(rect), "the error {toast:?} covers {control} {rect:?}");
        }
    }
    // Found walking the app: the refusal stayed up after Save as had written the edits
    // elsewhere. A save of the layer that succeeds takes it down.
    let other = dir.path().join("posts-edited.geojson");
    h.state_mut().apply(Command::Edit(EditIntent::SaveTo(uid, other.clone())));
    h.state_mut().finish_jobs();
    h.run_steps(2);
    assert!(!h.state().history.is_dirty(uid), "saved to {}", other.display());
    assert!(h.state().messages.iter().all(|m| m.level != Level::Error), "{:?}", h.state().messages);
}

/// `n` events on a small patch of the frontier, drawn as Points.
fn points_layer(n: usize) -> Layer {
    let features = (0..n)
        .map(|i| {
            let (lon, lat) = (70.0 + (i % 173) as f64 * 0.01, 37.0 + (i / 173) as f64 * 0.01);
            let mut properties = serde_json::Map::new();
            properties.insert("event_type".into(), ["Battles", "Riots", "Protests"][i % 3].into());
            point_event::point_event(lon, lat, properties)
        })
        .collect();
    let mut layer = Layer::new("Many events", LayerKind::Events, LayerSource::Embedded("test"), features);
    layer.style = Some(LayerStyleOverride { point_view: Some(PointView::Points), ..LayerStyleOverride::default() });
    layer
}

/// The same symbols, counts and colours at the same places (to a hundredth of a point: the
/// cells' sums add the same points in another order).
fn assert_same_picture(before: &[Item], after: &[Item]) {
    use Item::{Marker, Text};
    assert_eq!(before.len(), after.len(), "as many items");
    for (b, a) in before.iter().zip(after) {
        match (b, a) {
            (Marker { center: c1, radius: r1, fill: f1, .. }, Marker { center: c2, radius: r2, fill: f2, .. }) => {
                let moved = (c1[0] - c2[0]).abs().max((c1[1] - c2[1]).abs());
                assert!(moved < 0.01 && (r1 - r2).abs() < 1e-6 && f1 == f2, "{b:?} became {a:?}");
            }
            (Text { center: c1, text: t1, .. }, Text { center: c2, text: t2, .. }) => {
                let moved = (c1[0] - c2[0]).abs().max((c1[1] - c2[1]).abs());
                assert!(moved < 0.01 && t1 == t2, "{b:?} became {a:?}");
            }
            _ => assert_eq!(b, a),
        }
    }
}

/// The Points style's point column of a big layer is built on a worker, never in a frame: the
/// frames before it is ready draw the same cells from the list of features in view, so the
/// picture does not change when it arrives; an edit (a new store generation) is built on a
/// worker again.
#[test]
fn a_points_column_is_built_on_a_worker_with_the_same_picture() {
    use frontier_atlas::render::points;
    let mut h = harness();
    h.run_steps(2);
    let layer = points_layer(30_000);
    let bounds = layer.bounds().unwrap();
    let uid = layer.uid;
    h.state_mut().catalog.insert(layer);
    let size = h.state().map.viewport.size_pts;
    h.state_mut().map.viewport = frontier_atlas::spatial::Viewport::fit_world(bounds.expanded(0.05), size);
    h.state_mut().apply(Command::SetRange(None));
    let built_here = points::columns_built_on_this_thread();
    h.run_steps(1);
    assert!(h.state().jobs.busy(frontier_atlas::ui::jobs::JobKind::PointColumn, None), "requested from a worker");
    h.run_steps(2);
    let before = h.state().map.scene().cloned().expect("drawn");
    assert!(before.items.len() > 10, "the layer is drawn while the column is built");
    h.state_mut().finish_jobs();
    h.state_mut().map.invalidate();
    h.run_steps(2);
    let after = h.state().map.scene().cloned().expect("drawn");
    assert_eq!(points::columns_built_on_this_thread(), built_here, "no column was built in a frame");
    assert_same_picture(&before.items, &after.items);
    // An edit: a new generation, built on a worker again.
    let li = h.state().catalog.index_of(uid).unwrap();
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.state_mut().apply(Command::Select(Some(frontier_atlas::model::FeatureRef { layer: li, feature: 5 })));
    h.state_mut().apply(Command::Edit(EditIntent::DeleteSelected));
    h.run_steps(2);
    h.state_mut().finish_jobs();
    h.run_steps(2);
    assert_eq!(points::columns_built_on_this_thread(), built_here, "nor after an edit");
}

/// Found walking the app: after a restart, a file opened before could be found again only
/// through the file dialog. The files opened (and saved as) are remembered with the app's
/// state, and File → Open recent opens one with a click.
#[test]
fn a_file_opened_before_is_one_click_away_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (h, _) = with_posts(dir.path(), "posts");
    let path = dir.path().join("posts.geojson");
    assert_eq!(h.state().state.recent_files, vec![path.clone()]);
    // What a restart reads back: the app's state, as stored (and one stored before the list
    // existed still loads, with an empty list).
    let stored = serde_json::to_string(&h.state().state).unwrap();
    let restored: frontier_atlas::ui::PersistedState = serde_json::from_str(&stored).unwrap();
    let older: frontier_atlas::ui::PersistedState = serde_json::from_str(r#"{"show_legend":false}"#).unwrap();
    assert!(older.recent_files.is_empty() && !older.show_legend);
    drop(h);
    let mut h = harness();
    h.state_mut().state = restored;
    h.run_steps(2);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Open recent").hover();
    h.run_steps(2);
    h.get_by_label(&path.display().to_string()).click();
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while !h.state().catalog.layers.iter().any(|l| l.name == "posts") {
        assert!(std::time::Instant::now() < deadline, "the recent file was not opened");
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
}

/// Found walking the app with a 100k-event layer: a district with 883 events in the date
/// range listed them all, one under the other, and its attributes (what an analyst edits)
/// went out of the inspector, which does not scroll. The list now scrolls in a few rows, laid
/// out only where visible, and the attributes stay in view. Events of a hidden layer are not
/// counted.
#[test]
fn a_district_with_hundreds_of_events_keeps_its_attributes_in_view() {
    let mut h = harness();
    h.run_steps(2);
    // 900 events on open ground in Shahritus district (Khatlon).
    let features =
        (0..900).map(|i| protest(67.93 + (i % 30) as f64 * 1e-4, 37.45 + (i / 30) as f64 * 1e-4, None)).collect();
    h.state_mut().catalog.insert(Layer::new("Many events", LayerKind::Events, LayerSource::Embedded("test"), features));
    let district = {
        let app = h.state();
        let (li, layer) = app.catalog.layer_of_kind(LayerKind::Districts).expect("districts");
        let fi = (0..layer.features.len())
            .find(|&i| {
                layer
                    .features
                    .get(i)
                    .is_some_and(|f| f.id.as_ref().is_some_and(|id| id.to_string() == "TJK-khatlon-shahritus"))
            })
            .expect("Shahritus");
        frontier_atlas::model::FeatureRef { layer: li, feature: fi }
    };
    let made = frontier_atlas::geodata::district_summaries_made_on_this_thread();
    h.state_mut().apply(Command::Select(Some(district)));
    h.run_steps(3);
    h.get_by_label("Events inside it in all dates: 901");
    h.get_by_label("Newest first; scroll the list for the rest");
    // Made once for the selection, not in every frame (it tests every event near the
    // district against its polygon); made again when the range changes.
    h.run_steps(10);
    assert_eq!(frontier_atlas::geodata::district_summaries_made_on_this_thread(), made + 1);
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    h.state_mut().apply(Command::SetRange(Some(frontier_atlas::time::Range::new(day(1990, 1, 1), day(1990, 12, 31)))));
    h.run_steps(3);
    // The shipped event there (2021) is out of the range; the 900 undated ones stay.
    h.get_by_label("Events inside it in the date range: 900");
    assert_eq!(frontier_atlas::geodata::district_summaries_made_on_this_thread(), made + 2);
    h.state_mut().apply(Command::SetRange(None));
    h.run_steps(3);
    // A hidden layer's events are not counted (nor listed): the summary tells of the map.
    let many = h.state().catalog.layers.iter().find(|l| l.name == "Many events").map(|l| l.uid).expect("layer");
    h.state_mut().apply(Command::SetVisible(many, false));
    h.run_steps(3);
    h.get_by_label("Events inside it in all dates: 1");
    h.state_mut().apply(Command::SetVisible(many, true));
    h.run_steps(3);
    h.get_by_label("Events inside it in all dates: 901");
    let attributes = h.get_by_label("Attributes").rect();
    assert!(attributes.bottom() < 900.0, "the attributes heading is in the window: {attributes:?}");
    let listed = h.query_all_by_label_contains("Protests").count();
    assert!(listed < 20, "only the rows in view are laid out: {listed}");
}

/// Found walking the app: clicking inside a district of an opened boundary file (geoBoundaries
/// TJK ADM2, drawn as outlines) selected the shipped province under it, or nothing.
#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn a_click_inside_an_opened_boundary_file_selects_its_district() {
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&shared_data::shared_data("geoboundaries/geoBoundaries-TJK-ADM2.geojson"));
    h.run_steps(2);
    click_centred(&mut h, 74.3, 38.5, 8.0);
    let app = h.state();
    let picked = app.selection.map(|s| {
        let layer = &app.catalog.layers[s.layer];
        let f = app.catalog.feature(s).expect("feature");
        (layer.name.clone(), format!("{:?}", layer.kind), f.display_name(layer.label_field.as_deref()))
    });
    let names: Vec<_> = app.catalog.layers.iter().map(|l| (l.name.clone(), format!("{:?}", l.kind))).collect();
    assert_eq!(
        picked.as_ref().map(|p| (p.0.as_str(), p.2.as_str())),
        Some(("geoBoundaries-TJK-ADM2", "Murghob District")),
        "{picked:?} in {names:?}"
    );
}

/// Found walking the app: after a click listed the features at a spot, a narrower date range
/// hid some of them on the map, but the list still offered them. The list now keeps only what
/// the range shows, and a layer hidden (from the layer list or by a scene) leaves it.
#[test]
fn a_new_date_range_drops_the_features_it_hides_from_the_clicked_list() {
    let mut h = harness();
    h.run_steps(2);
    let features = ["2016-03-21", "2021-06-01", "2021-07-02"]
        .into_iter()
        .map(|date| {
            let mut properties = serde_json::Map::new();
            properties.insert("event_date".into(), date.into());
            properties.insert("event_type".into(), "Protests".into());
            point_event::point_event(69.5, 37.9, properties)
        })
        .collect();
    let mut layer = Layer::new("Same spot", LayerKind::Events, LayerSource::Embedded("test"), features);
    frontier_atlas::model::assign_spans(&mut layer);
    let uid = layer.uid;
    h.state_mut().catalog.insert(layer);
    h.state_mut().apply(Command::SetRange(None));
    click_centred(&mut h, 69.5, 37.9, 9.0);
    let li = h.state().catalog.index_of(uid).expect("layer");
    let listed = |h: &Harness<'static, AtlasApp>| {
        let mut f: Vec<usize> = h.state().hits_here.iter().filter(|r| r.layer == li).map(|r| r.feature).collect();
        f.sort_unstable();
        f
    };
    assert_eq!(listed(&h), [0, 1, 2]);
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2021, m, d).expect("date");
    h.state_mut().apply(Command::SetRange(Some(frontier_atlas::time::Range::new(day(1, 1), day(12, 31)))));
    h.run_steps(2);
    assert_eq!(listed(&h), [1, 2], "the 2016 event is no longer listed");
    h.get_by_label("2 features here");
    // Hiding the layer drops its features from the list and the selection.
    h.state_mut().apply(Command::Select(Some(frontier_atlas::model::FeatureRef { layer: li, feature: 1 })));
    h.state_mut().apply(Command::SetVisible(uid, false));
    h.run_steps(2);
    assert_eq!(listed(&h), Vec::<usize>::new(), "a hidden layer's features are not listed");
    assert_eq!(h.state().selection, None, "nor selected");
    // A scene that hides the layer does the same.
    let scene =
        frontier_atlas::project::ProjectScene::capture("without it", &h.state().map.viewport, None, &h.state().catalog);
    h.state_mut().scenes.push(scene);
    h.state_mut().apply(Command::SetVisible(uid, true));
    click_centred(&mut h, 69.5, 37.9, 9.0);
    assert!(!listed(&h).is_empty(), "shown again, the layer is listed");
    h.state_mut().apply(Command::Select(Some(frontier_atlas::model::FeatureRef { layer: li, feature: 1 })));
    let last = h.state().scenes.len() - 1;
    h.state_mut().go_to_scene(last);
    h.run_steps(2);
    assert!(!h.state().catalog.layers[li].visible, "the scene hid the layer");
    assert_eq!(listed(&h), Vec::<usize>::new(), "the scene's hidden layer is not listed");
    assert_eq!(h.state().selection, None, "nor selected");
}

/// Found walking the app: editing the districts, a click inside one selected the river drawn
/// over it. While a layer is edited, a click selects its feature there; what the other layers
/// have at the spot follows in the list.
#[test]
fn while_editing_a_layer_a_click_selects_its_feature_under_a_river() {
    use frontier_atlas::model::hit_test_all;
    use frontier_atlas::spatial::HitTolerance;
    let mut h = harness();
    h.run_steps(2);
    let size = h.state().map.viewport.size_pts;
    let (districts, rivers) = {
        let app = h.state();
        let index = |kind| app.catalog.layer_of_kind(kind).expect("shipped layer").0;
        (index(LayerKind::Districts), index(LayerKind::Rivers))
    };
    // A river vertex inside a district where, not editing, the river is what a click hits.
    let spot = {
        let app = h.state();
        let layer = &app.catalog.layers[rivers];
        let mut vertices = Vec::new();
        for fi in 0..layer.features.len() {
            let f = layer.features.get(fi).expect("river");
            let g = frontier_atlas::io::geojson::geo_from_json(f.geometry.as_ref().expect("geometry")).expect("geo");
            vertices.extend(geo::CoordsIter::coords_iter(&g).map(|c| (c.x, c.y)));
        }
        vertices
            .into_iter()
            .find(|&(lon, lat)| {
                let v = frontier_atlas::spatial::Viewport::centered(lon, lat, 9.0, size);
                let at = v.screen_from_geo(lon, lat);
                let tol = HitTolerance::default();
                let top = hit_test_all(&app.catalog.layers, &v, at, tol, |l, _| l >= districts);
                let inside = hit_test_all(&app.catalog.layers, &v, at, tol, |l, _| l == districts);
                top.first().is_some_and(|r| r.layer == rivers) && !inside.is_empty()
            })
            .expect("a river inside a district")
    };
    click_centred(&mut h, spot.0, spot.1, 9.0);
    assert_eq!(h.state().selection.map(|s| s.layer), Some(rivers), "not editing: the river");
    let uid = h.state().catalog.layers[districts].uid;
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.run_steps(2);
    // The edit toolbar moved the map: the spot is found again.
    let pos = common::screen_of(&h, spot.0, spot.1);
    common::click_at(&mut h, pos);
    assert_eq!(h.state().selection.map(|s| s.layer), Some(districts), "editing: the district");
    assert!(h.state().hits_here.iter().any(|r| r.layer == rivers), "the river is still listed");
}

/// An undated protest at `lon, lat`, at `location` when given.
fn protest(lon: f64, lat: f64, location: Option<String>) -> frontier_atlas::model::Feature {
    let mut properties = serde_json::Map::new();
    properties.insert("event_type".into(), "Protests".into());
    if let Some(location) = location {
        properties.insert("location".into(), location.into());
    }
    point_event::point_event(lon, lat, properties)
}

/// Centres the map on `lon, lat` at `zoom`, draws it, and clicks there.
fn click_centred(h: &mut Harness<'static, AtlasApp>, lon: f64, lat: f64, zoom: f64) {
    let size = h.state().map.viewport.size_pts;
    h.state_mut().map.viewport = frontier_atlas::spatial::Viewport::centered(lon, lat, zoom, size);
    h.state_mut().map.invalidate();
    h.run_steps(2);
    let pos = common::screen_of(h, lon, lat);
    common::click_at(h, pos);
}

/// Regression: the timeline's histogram stacked every dated layer, hidden or not, so the bars
/// told of events the map did not show. A layer hidden in the layer list leaves the bars (its
/// line in the timeline says it is hidden) and comes back when shown again.
#[test]
fn a_hidden_layer_leaves_the_timeline_bars() {
    let mut h = harness();
    h.run_steps(3);
    let all = h.state().timeline.counted_in_bars();
    let events = h.state().catalog.layers.iter().find(|l| l.kind == LayerKind::Events).expect("the events layer");
    let (name, in_bars) =
        (events.name.clone(), events.time_index.as_ref().map_or(0, frontier_atlas::time::TimeIndex::len) as u64);
    assert!(in_bars > 0 && all > in_bars, "{all} in the bars, {in_bars} events");
    h.get_by_label(&name).click();
    h.run_steps(3);
    assert!(!h.state().catalog.layers.iter().any(|l| l.name == name && l.visible), "the click hid the layer");
    assert_eq!(h.state().timeline.counted_in_bars(), all - in_bars);
    assert!(h.query_by_label_contains(&format!("{name}: hidden")).is_some(), "the timeline says it is hidden");
    h.get_by_label(&name).click();
    h.run_steps(3);
    assert_eq!(h.state().timeline.counted_in_bars(), all);
}

/// Found walking the app: over the legend the map named the features under it, and a click on
/// the legend selected one. The legend takes neither; hidden, the same spot selects.
#[test]
fn a_click_on_the_legend_selects_nothing_under_it() {
    let mut h = harness();
    h.run_steps(3);
    let hide = h.get_by_label("×").rect();
    let spot = egui::pos2(hide.left() - 80.0, hide.bottom() + 60.0);
    common::click_at(&mut h, spot);
    assert_eq!(h.state().selection, None, "a click on the legend selected {:?}", h.state().selection);
    assert!(h.state().hits_here.is_empty());
    h.get_by_label("×").click();
    h.run_steps(3);
    assert!(!h.state().state.show_legend, "the legend is hidden");
    common::click_at(&mut h, spot);
    assert!(h.state().selection.is_some(), "with the legend hidden the spot has a feature");
}

/// Found walking the app: a click listing events with long names (or a district's list of
/// them) widened the inspector and narrowed the map. The rows are cut to the panel (whole on
/// hover); the map keeps its width.
#[test]
fn long_event_names_in_the_inspector_do_not_narrow_the_map() {
    let mut h = harness();
    h.run_steps(3);
    let features = (0..8)
        .map(|i| {
            let long = format!("Village {i} on the road between Shahritus and Ayvoj, near the crossing to Termez");
            protest(67.93 + f64::from(i) * 1e-4, 37.45, Some(long))
        })
        .collect();
    // A layer named as geoBoundaries names its files, and longer.
    let name = "geoBoundaries-TJK-ADM2_simplified-events-of-the-Khatlon-border-districts";
    h.state_mut().catalog.insert(Layer::new(name, LayerKind::Events, LayerSource::Embedded("t"), features));
    h.state_mut().apply(Command::SetRange(None));
    h.run_steps(3);
    let width = h.get_by_label("Map").rect().width();
    click_centred(&mut h, 67.93035, 37.45, 12.0);
    h.run_steps(4);
    assert!(h.state().hits_here.len() >= 8, "{:?}", h.state().hits_here);
    let now = h.get_by_label("Map").rect().width();
    assert!((now - width).abs() < 1.0, "the map went from {width} to {now} points wide");
}
