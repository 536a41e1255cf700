//! The built-in file dialog (the fallback where the system dialog is unavailable), driven by
//! clicks and typing as a user would.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::ui::file_dialog::{DialogOutcome, FileDialog, FileFilter};

struct State {
    dialog: FileDialog,
    outcome: DialogOutcome,
}

fn harness(dialog: FileDialog) -> Harness<'static, State> {
    Harness::builder().with_size(egui::vec2(900.0, 700.0)).with_step_dt(1.0 / 60.0).build_ui_state(
        |ui, state: &mut State| {
            if state.outcome == DialogOutcome::Pending {
                state.outcome = state.dialog.show(ui.ctx());
            }
        },
        State { dialog, outcome: DialogOutcome::Pending },
    )
}

#[test]
fn clicking_a_file_and_open_picks_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("events.geojson"), "{}").unwrap();
    std::fs::write(dir.path().join("readme.txt"), "x").unwrap();
    let mut dialog =
        FileDialog::open("Open data", vec![FileFilter::new("Map data", &["geojson"])], Some(dir.path().into()), true);
    dialog.wait_for_listing(std::time::Duration::from_secs(5));
    let mut h = harness(dialog);
    h.run();
    assert!(h.query_by_label_contains("readme.txt").is_none(), "filtered out");
    h.get_by_label_contains("events.geojson").click();
    h.run();
    h.get_by_label("Open").click();
    h.run();
    assert_eq!(h.state().outcome, DialogOutcome::Chosen(vec![dir.path().join("events.geojson")]));
}

#[test]
fn typing_a_name_and_save_chooses_it_with_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let mut dialog =
        FileDialog::save("Save layer as", vec![FileFilter::new("GeoJSON", &["geojson"])], Some(dir.path().into()), "");
    dialog.wait_for_listing(std::time::Duration::from_secs(5));
    let mut h = harness(dialog);
    h.run();
    h.get_by_label("File name:").click();
    h.run();
    h.get_by_label("File name:").type_text("my events");
    h.run();
    h.get_by_label("Save").click();
    h.run();
    assert_eq!(h.state().outcome, DialogOutcome::Chosen(vec![dir.path().join("my events.geojson")]));
}

#[test]
fn cancel_closes_without_a_choice() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(FileDialog::open("Open", Vec::new(), Some(dir.path().into()), false));
    h.run();
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(h.state().outcome, DialogOutcome::Cancelled);
}

mod common;

/// The whole path in the app: File → Open, the built-in dialog, a folder typed, a file
/// clicked, Open — the layer is loaded and the folder remembered.
#[test]
fn file_open_through_the_built_in_dialog_loads_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("posts.csv");
    std::fs::write(&path, "name,lat,lon\nKhorog,37.49,71.55\nIshkashim,36.71,71.61\n").unwrap();
    let mut h = common::harness();
    common::open_builtin_file_dialog(&mut h);
    // Go to the folder (as the Folder field or a Recent place would).
    h.state_mut().files.dialog.as_mut().unwrap().0.go_to(dir.path().to_owned());
    h.state_mut().files.dialog.as_mut().unwrap().0.wait_for_listing(std::time::Duration::from_secs(5));
    h.run();
    h.get_by_label_contains("posts.csv").click();
    h.run();
    h.get_by_label("Open").click();
    // Steps, not `run`: the layer may arrive (and the map fly to it, repainting for more
    // frames than `run` allows) while these run.
    h.run_steps(2);
    assert!(!h.state().file_dialog_open());
    for _ in 0..200 {
        h.run_steps(1);
        if h.state().catalog.layers.iter().any(|l| l.name == "posts") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let layer = h.state().catalog.layers.iter().find(|l| l.name == "posts").expect("the CSV was opened");
    assert_eq!(layer.features.len(), 2);
    assert_eq!(h.state().state.recent_dirs.first(), Some(&dir.path().to_owned()));
}

#[test]
fn double_clicking_a_file_picks_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("events.geojson"), "{}").unwrap();
    let mut dialog = FileDialog::open("Open data", Vec::new(), Some(dir.path().into()), false);
    dialog.wait_for_listing(std::time::Duration::from_secs(5));
    let mut h = harness(dialog);
    h.run();
    let pos = h.get_by_label_contains("events.geojson").rect().center();
    h.hover_at(pos);
    h.step();
    // Two clicks within egui's double-click time (this harness steps 1/60 s).
    for _ in 0..2 {
        for pressed in [true, false] {
            h.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            h.step();
        }
    }
    h.run();
    assert_eq!(h.state().outcome, DialogOutcome::Chosen(vec![dir.path().join("events.geojson")]));
}

/// Found walking the app: Save as… of a layer read from a GeoPackage proposed a GeoJSON beside
/// it, with the dialog on the GeoJSON type (the GeoPackage itself hidden). It now proposes the
/// layer's own GeoPackage on the GeoPackage type, and a layer that shares its GeoPackage with
/// another loaded layer a GeoPackage of its own (saving one table over a file of two is refused).
#[test]
fn save_as_of_a_geopackage_layer_proposes_a_geopackage() {
    use frontier_atlas::model::LayerSource;
    use frontier_atlas::ui::{Command, EditIntent};
    let fixture = |name: &str| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpkg").join(name);
    let load = |name: &str| frontier_atlas::io::geojson::load_file(&fixture(name)).expect("fixture").layer;
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("places.gpkg");
    frontier_atlas::io::gpkg::write_gpkg(&one, &[&load("places.geojson")]).unwrap();
    let two = dir.path().join("atlas.gpkg");
    frontier_atlas::io::gpkg::write_gpkg(&two, &[&load("places.geojson"), &load("rivers.geojson")]).unwrap();
    let mut h = common::harness();
    h.state_mut().state.builtin_file_dialog = true;
    for (file, layer, proposed) in [(&one, "places", "places.gpkg"), (&two, "rivers", "atlas-rivers.gpkg")] {
        h.state_mut().open_file_now(file);
        let uid = {
            let app = h.state();
            app.catalog
                .layers
                .iter()
                .find(|l| l.name == layer && l.source == LayerSource::File(file.clone()))
                .expect("opened")
                .uid
        };
        h.state_mut().apply(Command::Edit(EditIntent::SaveAs(uid)));
        h.run();
        assert!(h.state().file_dialog_open());
        let name = h.get_by_label("File name:");
        assert_eq!(name.value().as_deref(), Some(proposed));
        assert_eq!(h.get_by_label("Type:").value().as_deref(), Some("GeoPackage (.gpkg)"), "the type shown");
        h.get_by_label("Cancel").click();
        h.run();
        assert!(!h.state().file_dialog_open());
    }
}

/// Found walking the app: after Open with nothing chosen, "Choose a file first." stayed in red
/// under the path typed next. Typing a name takes the message away.
#[test]
fn typing_a_name_clears_choose_a_file_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut dialog =
        FileDialog::open("Open data", vec![FileFilter::new("Map data", &["geojson"])], Some(dir.path().into()), true);
    dialog.wait_for_listing(std::time::Duration::from_secs(5));
    let mut h = harness(dialog);
    h.run();
    h.get_by_label("Open").click();
    h.run();
    assert!(h.query_by_label("Choose a file first.").is_some(), "the message shows");
    h.get_by_label("File name:").click();
    h.run();
    h.get_by_label("File name:").type_text("events.geojson");
    h.run();
    assert!(h.query_by_label("Choose a file first.").is_none(), "the message stays under a typed name");
}

/// Found walking the app: Export view with "PDF (.pdf)" chosen as its type wrote the proposed
/// `briefing.png` as a PNG. Choosing a type gives the name that type's extension.
#[test]
fn choosing_a_type_gives_the_file_name_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let filters = vec![FileFilter::new("PNG image", &["png"]), FileFilter::new("PDF", &["pdf"])];
    let mut dialog = FileDialog::save("Export view", filters, Some(dir.path().into()), "briefing.png");
    dialog.wait_for_listing(std::time::Duration::from_secs(5));
    let mut h = harness(dialog);
    h.run();
    h.get_by_label("Type:").click();
    h.run();
    h.get_by_label("PDF (.pdf)").click();
    h.run();
    assert_eq!(h.get_by_label("File name:").value().as_deref(), Some("briefing.pdf"));
    h.get_by_label("Save").click();
    h.run();
    assert_eq!(h.state().outcome, DialogOutcome::Chosen(vec![dir.path().join("briefing.pdf")]));
}
