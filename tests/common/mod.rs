//! Helpers shared by the `egui_kittest` suites: the app in a harness, clicks at map positions.

use egui::{Event, Modifiers, PointerButton, Pos2, pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::ui::AtlasApp;

/// The real app in a 1400×900 harness, without persisted state or autosave.
pub fn harness() -> Harness<'static, AtlasApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(12)
        .build_ui_state(|ui, app: &mut AtlasApp| app.ui(ui), AtlasApp::new(None))
}

/// A full click (press, release) at `pos`, then the double-click window passes.
pub fn click_at(h: &mut Harness<'static, AtlasApp>, pos: Pos2) {
    h.hover_at(pos);
    h.step();
    h.event(Event::PointerButton { pos, button: PointerButton::Primary, pressed: true, modifiers: Modifiers::NONE });
    h.step();
    h.event(Event::PointerButton { pos, button: PointerButton::Primary, pressed: false, modifiers: Modifiers::NONE });
    h.step();
    // Wait out egui's double-click window so the next click is a single click.
    h.run_steps(2);
}

/// Where `(lon, lat)` is on screen in the map as drawn now.
pub fn screen_of(h: &Harness<'static, AtlasApp>, lon: f64, lat: f64) -> Pos2 {
    let app = h.state();
    let [x, y] = app.map.viewport.screen_from_geo(lon, lat);
    let [ox, oy] = app.map.screen_origin;
    pos2(ox + x, oy + y)
}

/// File → Open with the built-in file dialog (as on a desktop without an XDG portal): the
/// dialog is open when this returns.
pub fn open_builtin_file_dialog(h: &mut Harness<'static, AtlasApp>) {
    h.state_mut().state.builtin_file_dialog = true;
    h.run();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open GeoJSON, GeoPackage or CSV…").click();
    h.run();
    assert!(h.state().file_dialog_open());
}

// Each kittest suite uses part of these helpers: naming them here keeps `dead_code` quiet in
// every suite that includes this module.
const _: () = {
    let _ = (harness, click_at, screen_of, open_builtin_file_dialog);
};
