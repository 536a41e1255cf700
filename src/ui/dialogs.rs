//! Small windows: the bookmark dialog (add and rename, with an optional note), Help >
//! Keyboard shortcuts and Help > Quick guide.

use super::app::AtlasApp;
use super::command::Command;
use crate::project::Bookmark;

/// The bookmark dialog's fields. A window, not a menu: it keeps the keyboard while the
/// analyst types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BookmarkDialog {
    /// The bookmark being renamed, or `None` for a new one of the current view.
    pub index: Option<usize>,
    /// Name typed.
    pub name: String,
    /// Note typed.
    pub note: String,
    /// Whether the name field has been given the focus once.
    focused: bool,
}

impl BookmarkDialog {
    /// A dialog for a new bookmark of the current view.
    pub fn new_bookmark() -> Self {
        Self::default()
    }

    /// A dialog renaming bookmark `index`.
    pub fn rename(index: usize, b: &Bookmark) -> Self {
        Self { index: Some(index), name: b.name.clone(), note: b.note.clone().unwrap_or_default(), focused: false }
    }
}

/// Every keyboard shortcut, as Help > Keyboard shortcuts lists them: (keys, what, where).
pub const SHORTCUTS: [(&str, &str, &str); 19] = [
    ("Arrow keys", "Pan the map", "Map"),
    ("+ or =", "Zoom in", "Map"),
    ("-", "Zoom out", "Map"),
    ("Home", "Home view", "Map"),
    ("Mouse wheel / pinch", "Zoom at the pointer", "Map"),
    ("Drag", "Pan the map", "Map"),
    ("Double-click", "Zoom in at the pointer", "Map"),
    ("Space", "Play or pause the timeline", "Timeline"),
    ("Enter", "Fly to the first search result", "Search box"),
    ("Ctrl+Z", "Undo the last edit", "Editing"),
    ("Ctrl+Shift+Z or Ctrl+Y", "Redo", "Editing"),
    ("Ctrl+S", "Save the layer being edited", "Editing"),
    ("Enter", "Finish the line or polygon being drawn", "Editing"),
    ("Backspace", "Remove the last vertex drawn", "Editing"),
    ("Esc", "Cancel the drawing", "Editing"),
    ("Delete", "Delete the vertex under the pointer (Vertices tool)", "Editing"),
    ("Enter", "Add or rename the bookmark", "Bookmark dialog"),
    ("Esc", "Close the bookmark dialog", "Bookmark dialog"),
    ("Enter / Esc", "Open or cancel", "File dialog"),
];

/// Help > Quick guide: a short page on the everyday tasks.
pub const QUICK_GUIDE: [(&str, &str); 5] = [
    (
        "Open data",
        "File > Open adds a GeoJSON, GeoPackage or CSV file as a layer (or drop files on the window); File > Import ACLED CSV reads an ACLED export as events. The Layers panel shows, hides, styles and reorders layers (drag a layer by its handle).",
    ),
    (
        "Time",
        "The timeline at the bottom filters dated layers: type From and To dates, pick a preset, or drag on the histogram. Play (Space) steps through time from the first date with data; tick \"skip empty\" to jump over steps with nothing to show.",
    ),
    (
        "Inspect",
        "Click a symbol: the inspector lists every feature at that spot, in every visible layer, with its date at its real precision, location precision and sources.",
    ),
    (
        "Edit",
        "Layers panel > settings > Edit layer opens the edit toolbar: add points, draw lines and polygons, move features and vertices; attributes are edited in the inspector. Ctrl+Z undoes, Ctrl+S saves; shipped layers are saved as your own copy.",
    ),
    (
        "Export and share",
        "File > Export view writes the map as PNG, SVG or PDF with its legend and date range. File > Save project keeps layers, their order and styles, the date range, the view and bookmarks.",
    ),
];

impl AtlasApp {
    /// The bookmark dialog, when open.
    pub(crate) fn bookmark_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(mut dialog) = self.bookmark_dialog.take() else { return };
        let title = if dialog.index.is_some() { "Rename bookmark" } else { "Add bookmark" };
        let mut open = true;
        let mut cancel = false;
        let mut done = false;
        egui::Window::new(title).collapsible(false).default_pos([360.0, 70.0]).resizable(false).open(&mut open).show(
            ctx,
            |ui| {
                let label = ui.label("Bookmark name");
                let field = ui.add(
                    egui::TextEdit::singleline(&mut dialog.name).hint_text("e.g. Khorog crossing").desired_width(260.0),
                );
                let field = field.labelled_by(label.id);
                if !dialog.focused {
                    field.request_focus();
                    dialog.focused = true;
                }
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let note_label = ui.label("Note (optional)");
                ui.add(egui::TextEdit::multiline(&mut dialog.note).desired_rows(3).desired_width(260.0))
                    .labelled_by(note_label.id);
                let ok = !dialog.name.trim().is_empty();
                ui.horizontal(|ui| {
                    let verb = if dialog.index.is_some() { "Save" } else { "Add" };
                    if ui.add_enabled(ok, egui::Button::new(verb)).clicked() || (ok && enter) {
                        done = true;
                    }
                    if ui.button("Cancel").clicked() {
                        cancel = true;
                    }
                });
                if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    cancel = true;
                }
            },
        );
        if done {
            let name = dialog.name.trim().to_owned();
            let note = Some(dialog.note.trim().to_owned()).filter(|n| !n.is_empty());
            if let Some(b) = dialog.index.and_then(|i| self.bookmarks.get_mut(i)) {
                b.name = name;
                b.note = note;
            } else {
                let mut b = Bookmark::new(name, &self.map.viewport, self.filter.range);
                b.note = note;
                self.bookmarks.push(b);
            }
        } else if open && !cancel {
            self.bookmark_dialog = Some(dialog);
        }
    }

    /// The Bookmarks menu: add (a dialog), go to, rename, move and delete bookmarks.
    pub(crate) fn bookmarks_menu_ui(&mut self, ui: &mut egui::Ui) {
        if ui.button("Add bookmark…").on_hover_text("Bookmark the current view and date range").clicked() {
            self.bookmark_dialog = Some(BookmarkDialog::new_bookmark());
            ui.close();
        }
        if self.bookmarks.is_empty() {
            ui.weak("No bookmarks yet");
            return;
        }
        ui.separator();
        let mut action = None;
        let last = self.bookmarks.len() - 1;
        for (i, b) in self.bookmarks.iter().enumerate() {
            ui.horizontal(|ui| {
                let go = ui.button(&b.name);
                let go = match &b.note {
                    Some(note) => go.on_hover_text(note),
                    None => go,
                };
                if go.clicked() {
                    action = Some(BookmarkAction::Go(i));
                }
                if ui.small_button("Rename…").on_hover_text("Rename or annotate").clicked() {
                    action = Some(BookmarkAction::Rename(i));
                }
                if ui.add_enabled(i > 0, egui::Button::new("Up").small()).clicked() {
                    action = Some(BookmarkAction::Swap(i - 1, i));
                }
                if ui.add_enabled(i < last, egui::Button::new("Down").small()).clicked() {
                    action = Some(BookmarkAction::Swap(i, i + 1));
                }
                if ui.small_button("Delete").clicked() {
                    action = Some(BookmarkAction::Delete(i));
                }
            });
        }
        match action {
            Some(BookmarkAction::Go(i)) => {
                if let Some(b) = self.bookmarks.get(i).cloned() {
                    let v = b.viewport(self.map.viewport.size_pts);
                    self.map.fly_to(v.center, None);
                    self.map.set_fly_zoom(v.zoom);
                    if let Some((from, to)) = b.range {
                        self.apply(Command::SetRange(Some(crate::time::Range::new(from, to))));
                    }
                }
                ui.close();
            }
            Some(BookmarkAction::Rename(i)) => {
                if let Some(b) = self.bookmarks.get(i) {
                    self.bookmark_dialog = Some(BookmarkDialog::rename(i, b));
                }
                ui.close();
            }
            Some(BookmarkAction::Swap(a, b)) if a < b && b < self.bookmarks.len() => self.bookmarks.swap(a, b),
            Some(BookmarkAction::Delete(i)) if i < self.bookmarks.len() => {
                self.bookmarks.remove(i);
            }
            Some(BookmarkAction::Swap(..) | BookmarkAction::Delete(_)) | None => {}
        }
    }

    /// Help > Keyboard shortcuts and Help > Quick guide.
    pub(crate) fn help_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.show_shortcuts;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .default_pos([360.0, 70.0])
            .collapsible(false)
            .min_width(600.0)
            .show(ctx, |ui| {
                ui.weak("Map and timeline keys work while no text field has the keyboard.");
                egui::Grid::new("shortcuts").num_columns(3).striped(true).show(ui, |ui| {
                    for (keys, what, place) in SHORTCUTS {
                        ui.monospace(keys);
                        ui.label(what);
                        ui.weak(place);
                        ui.end_row();
                    }
                });
            });
        self.show_shortcuts = open;
        let mut open = self.show_guide;
        egui::Window::new("Quick guide")
            .open(&mut open)
            .default_pos([360.0, 70.0])
            .collapsible(false)
            .min_width(460.0)
            .show(ctx, |ui| {
                for (title, text) in QUICK_GUIDE {
                    ui.label(egui::RichText::new(title).strong());
                    ui.label(text);
                    ui.add_space(6.0);
                }
            });
        self.show_guide = open;
    }
}

enum BookmarkAction {
    Go(usize),
    Rename(usize),
    Swap(usize, usize),
    Delete(usize),
}
